//! The menu a caller sees, and the page each role starts on. Every page is rendered with an
//! empty `<nav class="menu"></nav>`; the layout layer fills it for the caller of the request,
//! so that no handler has to pass the caller to its template and no page can show a menu
//! entry its reader may not open.

use crate::domain::access::{AccessRole, Capability, Scope};
use crate::store::access::Caller;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

/// What every page template has where the menu goes.
pub const MARK: &str = "<nav class=\"menu\"></nav>";

pub struct Entry {
    pub href: String,
    pub label: &'static str,
}

fn has_role(c: &Caller, r: AccessRole) -> bool {
    c.grants.iter().any(|g| g.role == r)
}

/// Only the person's own links: a household-linking cadre without a wider grant.
fn own_only(c: &Caller) -> bool {
    c.grants.iter().all(|g| g.scope == Scope::Own)
}

/// The region a caller's standing page starts from, when the county is out of reach.
fn first_region(c: &Caller) -> Option<&str> {
    c.grants.iter().find_map(|g| match &g.scope {
        Scope::Region(code) => Some(code.as_str()),
        _ => None,
    })
}

/// The entries this caller may open, in the order of the day's work.
pub fn entries(c: &Caller) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut add = |href: &str, label: &'static str| {
        out.push(Entry {
            href: href.to_string(),
            label,
        })
    };
    if c.person_id.is_some() {
        add("/me", "我的");
        if c.can(Capability::RecordWork) {
            add("/activities/new", "记一笔");
        }
    }
    if c.person_id.is_some() || c.can(Capability::HandleItems) || has_role(c, AccessRole::Inspector)
    {
        add("/inbox", "待办");
    }
    add("/books", "台账");
    if c.visibility().all {
        add("/compliance", "落实");
    } else if let Some(code) = first_region(c) {
        add(&format!("/compliance/region/{code}"), "落实");
    }
    if c.can(Capability::EditPolicy) || has_role(c, AccessRole::Office) {
        add("/compliance/policy", "制度");
    }
    if !own_only(c) {
        add("/regions", "区划");
        add("/units", "单位");
        add("/people", "人员");
    }
    add("/households", "户");
    if c.can(Capability::ManageLinks) || (c.person_id.is_some() && c.can(Capability::RecordWork)) {
        add("/cards", "连心卡");
    }
    if c.can(Capability::ManageLinks) {
        add("/integrity", "核查");
        add("/surveys", "民意调查");
        add("/spot-checks", "抽查");
        add("/assessment", "考核");
        add("/rotas", "排班");
        add("/decisions", "三问决策");
        add("/projects", "服务项目");
        add("/proposals", "议案建议");
        add("/representatives", "党代表");
    }
    if c.can(Capability::Import) || c.can(Capability::Export) {
        add("/import", "导入导出");
    }
    if c.can(Capability::ManageAccounts) {
        add("/admin/accounts", "账号管理");
    }
    if c.can(Capability::ReadAudit) {
        add("/admin/audit", "审计");
    }
    if has_role(c, AccessRole::Admin) {
        add("/api/docs", "接口");
    }
    add("/account", "账号");
    out
}

/// Where a caller lands after logging in (and on `/`): their own work, their inbox, or the
/// county's standing.
pub fn start_page(c: &Caller) -> String {
    if has_role(c, AccessRole::Admin) {
        return "/".into();
    }
    let handles_region = c.can(Capability::HandleItems) && !c.visibility().all;
    if handles_region && (has_role(c, AccessRole::Office) || has_role(c, AccessRole::VillageCadre))
    {
        return "/inbox".into();
    }
    if c.person_id.is_some() {
        return "/me".into();
    }
    if c.visibility().all {
        return "/compliance".into();
    }
    match first_region(c) {
        Some(code) => format!("/compliance/region/{code}"),
        None => "/account".into(),
    }
}

/// The caller's menu, for a page that streams and so cannot be filled by [`layout`].
pub fn filled(page: &str, c: &Caller) -> String {
    page.replacen(MARK, &render(Some(c)), 1)
}

/// A streamed page ([`filled`] by its handler): passed on as it comes, not gathered here.
#[derive(Clone, Copy, Debug)]
pub struct Streamed;

fn render(c: Option<&Caller>) -> String {
    let Some(c) = c.filter(|c| !c.must_change_password) else {
        return "<nav class=\"menu\"></nav>".into();
    };
    let mut html = String::from("<nav class=\"menu\">");
    for e in entries(c) {
        html.push_str(&format!("<a href=\"{}\">{}</a>", e.href, e.label));
    }
    html.push_str(&format!(
        "<span class=\"who\">{}</span></nav>",
        crate::error::html_escape(&c.display_name)
    ));
    html
}

/// Fills the menu of every HTML page for the caller of the request.
pub async fn layout(req: Request, next: Next) -> Response {
    let caller = req.extensions().get::<Caller>().cloned();
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !html || res.extensions().get::<Streamed>().is_some() {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return Response::from_parts(parts, Body::from("页面过大"));
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if !text.contains(MARK) {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let filled = text.replacen(MARK, &render(caller.as_ref()), 1);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(filled))
}
