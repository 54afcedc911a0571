//! Contact cards: the resident's page behind a card's QR code (no login, no script needed),
//! and the office's pages to print cards, see which are stale and mark deliveries.

use super::render;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::access::Caller;
use crate::store::cards::{self as store, ResidentHome};
use crate::store::entities::card;
use crate::store::ledger::{self, Answerer};
use crate::store::rules::calendar;
use crate::web::limit::{ClientAddr, minute_now};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form};
use chrono::Utc;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    let public = Router::new()
        .route("/k/{secret}", get(home))
        .route("/k/{secret}/report", post(report))
        .route("/k/{secret}/items/{id}", post(answer))
        .route("/k/{secret}/rating", post(rate))
        .route("/k/{secret}/survey", post(survey))
        .layer(DefaultBodyLimit::max(super::PUBLIC_BODY_LIMIT));
    Router::new()
        .route("/cards", get(office))
        .route("/cards/print.pdf", get(print_pdf))
        .route("/cards/print", get(print_html))
        .route("/cards/deliveries", post(deliveries))
        .merge(public)
}

/// The phones the page lists besides the cadre's.
const PHONES: [(&str, &str); 3] = [
    ("village_duty_phone", "村（社区）值班电话"),
    ("town_desk_phone", "镇民情处理站"),
    ("supervision_phone", "监督电话"),
];

#[derive(Template)]
#[template(path = "cards/resident.html")]
struct ResidentPage {
    home: Option<ResidentHome>,
    secret: String,
    phones: [(&'static str, &'static str); 3],
    /// A fresh key for the report form: sent twice, it is recorded once.
    key: String,
    draft: String,
    message: Option<String>,
    error: Option<String>,
    staff: Option<String>,
    busy: bool,
    /// The open survey the household was drawn for: its id, name and questions left.
    survey: Option<(i32, String, Vec<crate::store::survey::Question>)>,
}

impl ResidentPage {
    fn new(secret: &str, home: Option<ResidentHome>, staff: &Option<Extension<Caller>>) -> Self {
        ResidentPage {
            home,
            secret: secret.to_string(),
            phones: PHONES,
            key: ledger::new_token(),
            draft: String::new(),
            message: None,
            error: None,
            staff: staff.as_ref().map(|c| c.0.display_name.clone()),
            busy: false,
            survey: None,
        }
    }
}

/// The card a secret opens, within the allowances; otherwise the answer to send. A wrong,
/// replaced-and-expired or malformed secret is answered exactly like a missing one.
async fn open(
    s: &AppState,
    secret: &str,
    addr: &str,
) -> Result<Result<card::Model, Response>, AppError> {
    let minute = minute_now();
    let within = s.resident.by_address.allow(&s.db, addr, minute).await?
        && s.resident.by_secret.allow(&s.db, secret, minute).await?;
    if !within {
        let mut p = ResidentPage::new(secret, None, &None);
        p.busy = true;
        return Ok(Err(
            (StatusCode::TOO_MANY_REQUESTS, render(&p)?).into_response()
        ));
    }
    let grace = s.policy().cards.grace_days;
    match store::by_secret(&s.db, secret, grace, crate::time::today()).await? {
        Some(c) => Ok(Ok(c)),
        None => Ok(Err((
            StatusCode::NOT_FOUND,
            render(&ResidentPage::new("", None, &None))?,
        )
            .into_response())),
    }
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn home(
    State(s): State<AppState>,
    staff: Option<Extension<Caller>>,
    ClientAddr(addr): ClientAddr,
    Path(secret): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    let c = match open(&s, &secret, &addr).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let h = store::resident_home(&s.db, &c, crate::time::today()).await?;
    let mut p = ResidentPage::new(&secret, h, &staff);
    p.survey = survey_of(&s, &c).await?;
    p.message = match q.done.as_deref() {
        Some("report") => Some(
            "已经收到您反映的问题，村（社区）会登记办理。办理进度请看下面“本户反映的事项”。".into(),
        ),
        Some("answer") => Some("谢谢您的评价。".into()),
        Some("reopened") => Some("谢谢您的反馈。事项已重新打开，转上一级重新办理。".into()),
        Some("rating") => Some("谢谢您的评价！".into()),
        Some("survey") => Some("谢谢您参加民意调查！".into()),
        _ => None,
    };
    Ok(render(&p)?.into_response())
}

/// The page again with what went wrong and what the resident wrote (nothing is lost).
async fn again(
    s: &AppState,
    c: &card::Model,
    secret: &str,
    staff: &Option<Extension<Caller>>,
    error: String,
    draft: String,
) -> Result<Response, AppError> {
    let h = store::resident_home(&s.db, c, crate::time::today()).await?;
    let mut p = ResidentPage::new(secret, h, staff);
    p.survey = survey_of(s, c).await?;
    p.error = Some(error);
    p.draft = draft;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
}

/// How a resident's form ends: back to the page with what was done, or the page again with
/// what went wrong (and what they wrote).
async fn settle(
    s: &AppState,
    c: &card::Model,
    secret: &str,
    staff: &Option<Extension<Caller>>,
    res: Result<&str, StoreError>,
    draft: String,
) -> Result<Response, AppError> {
    match res {
        Ok(done) => Ok(Redirect::to(&format!("/k/{secret}?done={done}")).into_response()),
        Err(StoreError::Invalid(e)) => again(s, c, secret, staff, e, draft).await,
        Err(e) => Err(e.into()),
    }
}

fn answerer(staff: &Option<Extension<Caller>>) -> Answerer<'_> {
    match staff {
        Some(c) => Answerer::Staff(&c.0),
        None => Answerer::Resident,
    }
}

#[derive(Deserialize)]
struct ReportForm {
    #[serde(default)]
    matter: String,
    #[serde(default)]
    key: String,
}

async fn report(
    State(s): State<AppState>,
    staff: Option<Extension<Caller>>,
    ClientAddr(addr): ClientAddr,
    Path(secret): Path<String>,
    Form(f): Form<ReportForm>,
) -> Result<Response, AppError> {
    let c = match open(&s, &secret, &addr).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let Some(h) = crate::store::registry::household(
        &s.db,
        &c.holder_code,
        &crate::store::access::Visibility::everything(),
    )
    .await?
    else {
        return Err(AppError::NotFound("户".into()));
    };
    let cal = calendar(&s.db).await?;
    let res = ledger::register_from_resident(
        &s.db,
        &s.policy(),
        &cal,
        &h,
        &f.matter,
        Some(&f.key),
        answerer(&staff),
        Utc::now(),
    )
    .await
    .map(|_| "report");
    settle(&s, &c, &secret, &staff, res, f.matter).await
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    note: String,
}

async fn answer(
    State(s): State<AppState>,
    staff: Option<Extension<Caller>>,
    ClientAddr(addr): ClientAddr,
    Path((secret, id)): Path<(String, i32)>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let c = match open(&s, &secret, &addr).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    // Only an item of this household, and never a stability item.
    let Some(token) = store::item_token(&s.db, &c.holder_code, id).await? else {
        return again(
            &s,
            &c,
            &secret,
            &staff,
            "没有这个事项".into(),
            String::new(),
        )
        .await;
    };
    let cal = calendar(&s.db).await?;
    let res = ledger::resident_feedback(
        &s.db,
        &s.policy(),
        &cal,
        &token,
        answerer(&staff),
        &f.answer,
        &f.note,
        Utc::now(),
    )
    .await
    // “Not solved” reopens the item at the level above.
    .map(|m| match m.answer.as_deref() {
        Some("not_solved") => "reopened",
        _ => "answer",
    });
    settle(&s, &c, &secret, &staff, res, String::new()).await
}

#[derive(Deserialize)]
struct RatingForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    note: String,
}

async fn rate(
    State(s): State<AppState>,
    staff: Option<Extension<Caller>>,
    ClientAddr(addr): ClientAddr,
    Path(secret): Path<String>,
    Form(f): Form<RatingForm>,
) -> Result<Response, AppError> {
    let c = match open(&s, &secret, &addr).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let by = staff.as_ref().map(|c| c.0.account_id);
    let res = store::rate(&s.db, &c, &f.rating, &f.note, by, Utc::now())
        .await
        .map(|()| "rating");
    settle(&s, &c, &secret, &staff, res, String::new()).await
}

/// The open survey that drew this household, with the questions it has not answered.
async fn survey_of(
    s: &AppState,
    c: &card::Model,
) -> Result<Option<(i32, String, Vec<crate::store::survey::Question>)>, AppError> {
    let Some(sv) = crate::store::survey::open_for(&s.db, &c.holder_code).await? else {
        return Ok(None);
    };
    let settings = s.policy().survey.clone();
    let qs = crate::store::survey::questionnaire(&s.db, &settings, sv.id, &c.holder_code)
        .await?
        .unwrap_or_default();
    Ok((qs.iter().any(|q| q.answer.is_none())).then_some((sv.id, sv.name, qs)))
}

/// The resident's answers to the survey that drew the household (by a staff member's
/// session: entered for them, with the account kept).
async fn survey(
    State(s): State<AppState>,
    staff: Option<Extension<Caller>>,
    ClientAddr(addr): ClientAddr,
    Path(secret): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let c = match open(&s, &secret, &addr).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let Some(sv) = crate::store::survey::open_for(&s.db, &c.holder_code).await? else {
        return again(
            &s,
            &c,
            &secret,
            &staff,
            "调查已经结束，谢谢您".into(),
            String::new(),
        )
        .await;
    };
    let mut answers = Vec::new();
    for (k, v) in f.iter().take(100) {
        if let (Some(id), Ok(r)) = (
            k.strip_prefix('q').and_then(|x| x.parse::<i32>().ok()),
            crate::domain::cards::Rating::parse(v),
        ) {
            answers.push((id, r));
        }
    }
    answers.sort_by_key(|a| a.0);
    let (account, by) = match &staff {
        Some(c) => (Some(c.0.account_id), c.0.username.clone()),
        None => (None, "群众".to_string()),
    };
    let res = crate::store::survey::answer(
        &s.db,
        sv.id,
        &c.holder_code,
        &answers,
        "resident",
        account,
        &by,
        Utc::now(),
    )
    .await
    .map(|_| "survey");
    settle(&s, &c, &secret, &staff, res, String::new()).await
}

// The office's side: where each card stands, printing, deliveries.

#[derive(Deserialize, Default)]
struct Which {
    region: Option<String>,
    unit: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "cards/index.html")]
struct OfficePage {
    title: Option<String>,
    manage: bool,
    villages: Vec<(String, String)>,
    region: Option<String>,
    /// household, unit or mine
    holder: String,
    print_query: Option<String>,
    lines: Vec<store::CardLine>,
    counts: Vec<(&'static str, usize)>,
    units: Vec<store::CardLine>,
    today: chrono::NaiveDate,
    message: Option<String>,
    error: Option<String>,
}

async fn scope_of(
    s: &AppState,
    caller: &Caller,
    q: &Which,
) -> Result<Option<(store::Scope, String)>, AppError> {
    crate::web::api::cards::scope_of(s, caller, q.region.as_deref(), q.unit.as_deref()).await
}

async fn office(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<Which>,
) -> Result<Response, AppError> {
    use crate::domain::access::Capability;
    let manage = caller.can(Capability::ManageLinks);
    if !manage && caller.person_id.is_none() {
        return Err(AppError::Forbidden);
    }
    let today = crate::time::today();
    let villages = if manage {
        store::villages_within(&s.db, &caller.visibility_for(Capability::ManageLinks)).await?
    } else {
        vec![]
    };
    // The office starts on its first village; a cadre on their own households.
    let mut which = q;
    if manage && which.region.is_none() && which.unit.is_none() {
        which.region = villages.first().map(|(c, _)| c.clone());
    }
    let scope = scope_of(&s, &caller, &which).await?;
    let (holder, lines, title, print_query) = match &scope {
        Some((store::Scope::Unit(_), _)) | None => ("household", vec![], None, None),
        Some((sc, name)) => {
            let query = match sc {
                store::Scope::Region(c) => Some(format!("region={c}")),
                _ => None,
            };
            let holder = if matches!(sc, store::Scope::Person(_)) {
                "mine"
            } else {
                "household"
            };
            (
                holder,
                crate::web::api::cards::lines_of(&s, sc).await?,
                Some(name.clone()),
                query.filter(|_| manage),
            )
        }
    };
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for state in ["待重新发放", "未印制", "待送达", "已送达"] {
        let n = lines.iter().filter(|l| l.state == state).count();
        if n > 0 {
            counts.push((state, n));
        }
    }
    let units = if manage {
        store::unit_lines(&s.db).await?
    } else {
        vec![]
    };
    let message = which
        .done
        .as_deref()
        .and_then(|d| d.parse::<usize>().ok())
        .map(|n| format!("已登记 {n} 张卡送达。"));
    Ok(render(&OfficePage {
        title,
        manage,
        villages,
        region: which.region.clone(),
        holder: holder.into(),
        print_query,
        lines,
        counts,
        units,
        today,
        message,
        error: None,
    })?
    .into_response())
}

fn base(s: &AppState, headers: &axum::http::HeaderMap) -> String {
    crate::web::view::public_url(&s.config, headers, "")
}

async fn print_pdf(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Query(q): Query<Which>,
) -> Result<Response, AppError> {
    use crate::domain::access::Capability;
    if !caller.can(Capability::ManageLinks) {
        return Err(AppError::Forbidden);
    }
    let Some((scope, _)) = scope_of(&s, &caller, &q).await? else {
        return Err(AppError::BadRequest("请选择村（社区）或单位".into()));
    };
    let font =
        crate::print::load_font(s.config.card_font.as_deref()).map_err(AppError::BadRequest)?;
    // A page prints a village, a unit or a cadre's households: one file.
    let (tx, rx) = std::sync::mpsc::channel();
    crate::print::print_scope(
        &s.db,
        &s.policy().cards,
        font,
        &scope,
        &base(&s, &headers),
        &caller.display_name,
        Utc::now(),
        usize::MAX,
        move |_, bytes| tx.send(bytes).map_err(|_| "PDF 未能送出".to_string()),
    )
    .await?;
    let pdf = rx
        .try_recv()
        .map_err(|_| AppError::BadRequest("没有可打印的卡片".into()))?;
    let name = match &scope {
        store::Scope::Region(c) | store::Scope::Unit(c) => format!("cards-{c}.pdf"),
        store::Scope::Person(p) => format!("cards-p{p}.pdf"),
    };
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

struct HtmlCard {
    title: String,
    lines: Vec<(String, String)>,
    note: String,
    footer: String,
    qr: Option<String>,
}

#[derive(Template)]
#[template(path = "cards/print.html")]
struct PrintPage {
    cards: Vec<HtmlCard>,
    new_versions: usize,
}

/// The most cards one web print page holds; more go to the PDF.
const HTML_CARDS: usize = 2000;

async fn print_html(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Query(q): Query<Which>,
) -> Result<Response, AppError> {
    use crate::domain::access::Capability;
    if !caller.can(Capability::ManageLinks) {
        return Err(AppError::Forbidden);
    }
    let Some((scope, _)) = scope_of(&s, &caller, &q).await? else {
        return Err(AppError::BadRequest("请选择村（社区）或单位".into()));
    };
    let mut cards = Vec::new();
    let new_versions = crate::print::each_card(
        &s.db,
        &s.policy().cards,
        &scope,
        &base(&s, &headers),
        &caller.display_name,
        Utc::now(),
        |c| {
            let Some(c) = c else { return Ok(()) };
            if cards.len() >= HTML_CARDS {
                return Err(format!(
                    "网页打印一次最多{HTML_CARDS}张，请按村打印或用 PDF"
                ));
            }
            cards.push(HtmlCard {
                qr: c.link.as_deref().map(crate::web::view::qr_svg),
                title: c.title,
                lines: c.lines,
                note: c.note,
                footer: c.footer,
            });
            Ok(())
        },
    )
    .await?;
    Ok(render(&PrintPage {
        cards,
        new_versions,
    })?
    .into_response())
}

async fn deliveries(
    State(s): State<AppState>,
    caller: Caller,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |k: &str| fields.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    let on = match get("on").map(str::parse::<chrono::NaiveDate>) {
        Some(Ok(d)) => d,
        _ => return Err(AppError::BadRequest("送达日期：请填写日期".into())),
    };
    let d = crate::web::api::cards::NewDeliveries {
        holder: get("holder").map(str::to_string),
        codes: fields
            .iter()
            .filter(|(k, _)| k == "codes")
            .map(|(_, v)| v.clone())
            .collect(),
        on,
    };
    let n = crate::web::api::cards::record(&s, &caller, d).await?;
    let back = get("back").filter(|b| b.starts_with("region=") && b.len() < 80);
    let to = match back {
        Some(b) => format!("/cards?{b}&done={n}"),
        None => format!("/cards?done={n}"),
    };
    Ok(Redirect::to(&to).into_response())
}
