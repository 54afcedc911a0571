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
    Router::new()
        .route("/k/{secret}", get(home))
        .route("/k/{secret}/report", post(report))
        .route("/k/{secret}/items/{id}", post(answer))
        .route("/k/{secret}/rating", post(rate))
        .layer(DefaultBodyLimit::max(super::PUBLIC_BODY_LIMIT))
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
    let within = s.resident.by_address.allow(addr, minute)
        && s.resident.by_secret.allow(&format!("k:{secret}"), minute);
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
    p.message = match q.done.as_deref() {
        Some("report") => Some(
            "已经收到您反映的问题，村（社区）会登记办理。办理进度请看下面“本户反映的事项”。".into(),
        ),
        Some("answer") => Some("谢谢您的评价。".into()),
        Some("reopened") => Some("谢谢您的反馈。事项已重新打开，转上一级重新办理。".into()),
        Some("rating") => Some("谢谢您的评价！".into()),
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
    p.error = Some(error);
    p.draft = draft;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
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
    .await;
    match res {
        Ok(_) => Ok(Redirect::to(&format!("/k/{secret}?done=report")).into_response()),
        Err(StoreError::Invalid(e)) => again(&s, &c, &secret, &staff, e, f.matter).await,
        Err(e) => Err(e.into()),
    }
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
    .await;
    match res {
        Ok(m) if m.status == "resolved" || m.answer.as_deref() != Some("not_solved") => {
            Ok(Redirect::to(&format!("/k/{secret}?done=answer")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/k/{secret}?done=reopened")).into_response()),
        Err(StoreError::Invalid(e)) => again(&s, &c, &secret, &staff, e, String::new()).await,
        Err(e) => Err(e.into()),
    }
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
    match store::rate(&s.db, &c, &f.rating, &f.note, by, Utc::now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/k/{secret}?done=rating")).into_response()),
        Err(StoreError::Invalid(e)) => again(&s, &c, &secret, &staff, e, String::new()).await,
        Err(e) => Err(e.into()),
    }
}
