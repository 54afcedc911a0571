//! Server-rendered pages (zh-CN), with htmx for fragments.

pub mod account;
pub mod assessment;
pub mod books;
pub mod cards;
pub mod compliance;
pub mod decision;
pub mod exchange;
pub mod integrity;
pub mod ledger;
pub mod project;
pub mod proposal;
pub mod registry;
pub mod representatives;
pub mod rota;
pub mod survey;
pub mod work;

use crate::error::AppError;
use crate::startup::AppState;
use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

pub fn router() -> Router<AppState> {
    registry::router()
        .merge(exchange::router())
        .merge(account::router())
        .merge(work::router())
        .merge(books::router())
        .merge(cards::router())
        .merge(integrity::router())
        .merge(survey::router())
        .merge(assessment::router())
        .merge(rota::router())
        .merge(decision::router())
        .merge(project::router())
        .merge(proposal::router())
        .merge(representatives::router())
        .merge(compliance::router())
        .merge(ledger::router()).layer(
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
            ),
        ),
    )
}

/// The largest body a page anyone can reach without logging in accepts (the login form, the
/// resident's answer): enough for their fields, too little to hold the server's memory.
pub const PUBLIC_BODY_LIMIT: usize = 16 * 1024;

/// The year a page of records shows: the one asked for (2000–2100), else this year.
pub(crate) fn year_of(
    caller: &crate::store::access::Caller,
    y: Option<i32>,
) -> Result<i32, AppError> {
    use chrono::Datelike;
    let year = y.unwrap_or_else(|| crate::time::beijing_date(caller.now).year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::BadRequest("年度应在2000到2100之间".into()));
    }
    Ok(year)
}

/// A date typed into a form, or why it is not one.
pub(crate) fn form_date(
    field: &str,
    raw: &str,
) -> Result<chrono::NaiveDate, crate::store::StoreError> {
    raw.trim()
        .parse()
        .map_err(|_| crate::store::StoreError::Invalid(format!("{field}：请填写日期（年-月-日）")))
}

/// The forms of a page of records: the one refused (for which record, `None` for a new one),
/// its error and what was typed, shown again; the others blank with a fresh submission key.
pub(crate) struct Forms<D> {
    pub refused: Option<(Option<i32>, String, D)>,
    pub blank: D,
    pub key: String,
}

impl<D: Default> Forms<D> {
    pub fn new(refused: Option<(Option<i32>, String, D)>) -> Forms<D> {
        Forms {
            refused,
            blank: D::default(),
            key: crate::store::access::new_secret()[..24].to_string(),
        }
    }
    /// What to show in a form: the refused one's typed values, else blank.
    pub fn draft(&self, of: Option<i32>) -> &D {
        match &self.refused {
            Some((which, _, d)) if *which == of => d,
            _ => &self.blank,
        }
    }
    pub fn error(&self, of: Option<i32>) -> Option<&str> {
        match &self.refused {
            Some((which, e, _)) if *which == of => Some(e),
            _ => None,
        }
    }
}

pub fn render(t: &impl Template) -> Result<Html<String>, AppError> {
    Ok(Html(t.render()?))
}

/// CSS and htmx are compiled into the binary: nothing to install or download.
pub async fn static_file(Path(file): Path<String>) -> Response {
    let (body, mime): (&'static [u8], &str) = match file.as_str() {
        "app.css" => (
            include_bytes!("../../../static/app.css"),
            "text/css; charset=utf-8",
        ),
        "draft.js" => (
            include_bytes!("../../../static/draft.js"),
            "text/javascript; charset=utf-8",
        ),
        "htmx.min.js" => (
            include_bytes!("../../../static/htmx.min.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the path; `params` the filters to keep on every page link.
    pub fn new(
        base: &str,
        params: &[(&str, Option<&str>)],
        page: u64,
        pages: u64,
        total: u64,
    ) -> Pager {
        let mut qs: String = params
            .iter()
            .filter_map(|(k, v)| {
                v.filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}&", encode(v)))
            })
            .collect();
        qs.insert(0, '?');
        let link = |p: u64| format!("{base}{qs}page={p}");
        Pager {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// A choice in a filter list.
pub struct Opt {
    pub code: &'static str,
    pub zh: &'static str,
    pub selected: bool,
}

pub fn options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
    current: Option<&str>,
) -> Vec<Opt> {
    all.iter()
        .map(|v| Opt {
            code: code(*v),
            zh: zh(*v),
            selected: current == Some(code(*v)),
        })
        .collect()
}
