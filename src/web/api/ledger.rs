//! Ledger items, petitions, letters and hotline calls: registration, steps, inboxes, the village
//! review, and the resident's answer through the item's secret link (no login).

use crate::error::{ApiError, AppError};
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::ledger::{self, Inbox, ItemDetail, NewItem, ResidentView, Review, Step};
use crate::store::rules::calendar;
use crate::web::Writing;
use crate::web::view::today;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(get_item))
        .routes(routes!(step))
        .routes(routes!(inbox))
        .routes(routes!(review))
        .routes(routes!(resident_item, resident_answer))
}

#[derive(Deserialize, IntoParams)]
pub struct AsOf {
    /// The day to judge deadlines on (today when not given).
    pub date: Option<NaiveDate>,
}

pub async fn detail(
    s: &AppState,
    caller: &Caller,
    id: i32,
    on: NaiveDate,
) -> Result<ItemDetail, AppError> {
    ledger::view(s.quick(), &s.policy(), caller, id, on)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound("事项".into()))
}

/// Registers an item from reception, a letter, the hotline, outreach, a representative, the
/// service room or the resident's own report. Its deadline follows the policy's clock.
#[utoipa::path(post, path = "/items", tag = "ledger", request_body = NewItem,
    responses((status = 201, body = ItemDetail), (status = 200, body = ItemDetail, description = "sent again with its key: the item registered the first time"), (status = 400), (status = 403)))]
async fn register(
    State(s): State<AppState>,
    caller: Caller,
    Writing(db): Writing,
    Json(n): Json<NewItem>,
) -> Result<(StatusCode, Json<ItemDetail>), ApiError> {
    let cal = calendar(&db).await.map_err(AppError::from)?;
    let on = n.registered_on;
    // Sent again with its key: the item registered the first time, once (200).
    let again = match n.client_key.as_deref().map(str::trim) {
        Some(k) if !k.is_empty() => ledger::registered_with(&db, &caller, k)
            .await
            .map_err(AppError::from)?,
        _ => None,
    };
    let (status, m) = match again {
        Some(m) => (StatusCode::OK, m),
        None => (
            StatusCode::CREATED,
            ledger::register(&db, &s.policy(), &cal, &caller, n, Utc::now())
                .await
                .map_err(AppError::from)?,
        ),
    };
    // A write answers with what it wrote, also to a registrar who may not read it afterwards.
    let written = match ledger::view(&db, &s.policy(), &caller, m.id, on).await {
        Ok(Some(d)) => d,
        Ok(None) => ledger::receipt(&db, &s.policy(), &caller, m, on)
            .await
            .map_err(AppError::from)?,
        Err(e) => return Err(AppError::from(e).into()),
    };
    Ok((status, Json(written)))
}

/// An item with its whole history and the steps the caller may take; 404 outside the caller's
/// reach (stability items need the right to read them).
#[utoipa::path(get, path = "/items/{id}", tag = "ledger", params(AsOf),
    responses((status = 200, body = ItemDetail), (status = 404)))]
async fn get_item(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Query(q): Query<AsOf>,
) -> Result<Json<ItemDetail>, ApiError> {
    Ok(Json(
        detail(&s, &caller, id, q.date.unwrap_or_else(today)).await?,
    ))
}

/// One step: assign, start, escalate, return, extend, resolve, feedback, close, supervise,
/// overdue_reason, notice, take_case, guarantee or note. Refused whole with the reason.
#[utoipa::path(post, path = "/items/{id}/steps", tag = "ledger", request_body = Step,
    responses((status = 200, body = ItemDetail), (status = 400), (status = 403), (status = 404)))]
async fn step(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(st): Json<Step>,
) -> Result<Json<ItemDetail>, ApiError> {
    let cal = calendar(&s.db).await.map_err(AppError::from)?;
    let on = st.on.unwrap_or_else(today);
    ledger::act(&s.db, &s.policy(), &cal, &caller, id, st, Utc::now())
        .await
        .map_err(AppError::from)?;
    Ok(Json(detail(&s, &caller, id, on).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct InboxQuery {
    pub date: Option<NaiveDate>,
    /// At most this many rows per list (50 when not given).
    pub limit: Option<usize>,
}

/// What waits for the caller, what falls due soon, what is late, under supervision or
/// reopened by a resident's “not solved”.
#[utoipa::path(get, path = "/inbox", tag = "ledger", params(InboxQuery),
    responses((status = 200, body = Inbox)))]
async fn inbox(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<InboxQuery>,
) -> Result<Json<Inbox>, ApiError> {
    Ok(Json(
        inbox_for(&s, &caller, q.date, q.limit.unwrap_or(50)).await?,
    ))
}

pub async fn inbox_for(
    s: &AppState,
    caller: &Caller,
    date: Option<NaiveDate>,
    limit: usize,
) -> Result<Inbox, AppError> {
    let cal = calendar(&s.db).await?;
    let now = Utc::now() + chrono::Duration::hours(8);
    let remind = s
        .policy()
        .ledger
        .hours()
        .is_some_and(|h| crate::domain::ledger::reminders_now(&cal, now.naive_utc(), h));
    Ok(ledger::inbox(
        &s.db,
        &s.policy(),
        &cal,
        caller,
        date.unwrap_or_else(today),
        remind,
        limit.clamp(1, 500),
    )
    .await?)
}

/// The village's review for its monthly 民情分析会: open, late, and closed since the last meeting.
#[utoipa::path(get, path = "/regions/{code}/review", tag = "ledger", params(AsOf),
    responses((status = 200, body = Review), (status = 404)))]
async fn review(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Json<Review>, ApiError> {
    let cal = calendar(&s.db).await.map_err(AppError::from)?;
    let r = ledger::review(&s.db, &cal, &caller, &code, q.date.unwrap_or_else(today))
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound("区划".into()))?;
    Ok(Json(r))
}

#[derive(Deserialize, ToSchema)]
pub struct ResidentAnswer {
    /// 已解决, 部分解决 or 未解决.
    pub answer: String,
    #[serde(default)]
    pub note: String,
}

/// The resident's view of their item through its secret link: the matter and the outcome.
#[utoipa::path(get, path = "/feedback/{token}", tag = "ledger",
    responses((status = 200), (status = 404)))]
async fn resident_item(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<ResidentView>, ApiError> {
    let m = ledger::by_token(&s.db, &token)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound("事项".into()))?;
    Ok(Json(
        ledger::resident_view(&s.db, &m)
            .await
            .map_err(AppError::from)?,
    ))
}

/// The resident says solved, partly solved or not solved; “not solved” reopens the item.
#[utoipa::path(post, path = "/feedback/{token}", tag = "ledger", request_body = ResidentAnswer,
    security((), ("session" = [])),
    responses((status = 200), (status = 400), (status = 404), (status = 413)))]
async fn resident_answer(
    State(s): State<AppState>,
    staff: Option<axum::Extension<Caller>>,
    Path(token): Path<String>,
    Json(a): Json<ResidentAnswer>,
) -> Result<Json<ResidentView>, ApiError> {
    let cal = crate::store::rules::calendar(&s.db)
        .await
        .map_err(AppError::from)?;
    // A staff member's session or token makes it their 代填, never the resident's own answer.
    let by = match &staff {
        Some(c) => ledger::Answerer::Staff(&c.0),
        None => ledger::Answerer::Resident,
    };
    let m = ledger::resident_feedback(
        &s.db,
        &s.policy(),
        &cal,
        &token,
        by,
        &a.answer,
        &a.note,
        Utc::now(),
    )
    .await
    .map_err(AppError::from)?;
    Ok(Json(
        ledger::resident_view(&s.db, &m)
            .await
            .map_err(AppError::from)?,
    ))
}
