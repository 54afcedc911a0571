//! Representatives' proposals 议案/建议 (DDB-5) for machines: compiled by the liaison office,
//! forwarded to a unit, answered on the ledger's proposal clock (one extension), closed. The
//! office (ManageLinks) within its regions.

use crate::error::{ApiError, AppError};
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::proposals::{self as store, Answer, Close, Forward, NewProposal, ProposalView};
use crate::store::rules::calendar;
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Datelike;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one))
        .routes(routes!(forward))
        .routes(routes!(extend))
        .routes(routes!(answer))
        .routes(routes!(close))
}

use super::office;

fn today(caller: &Caller) -> chrono::NaiveDate {
    crate::time::beijing_date(caller.now)
}

#[derive(Deserialize, IntoParams)]
pub struct YearQuery {
    /// 2000–2100; default this year.
    pub year: Option<i32>,
}

/// The year's proposals of the liaison offices in the caller's regions.
#[utoipa::path(get, path = "/proposals", tag = "proposals", params(YearQuery),
    responses((status = 200, body = Vec<ProposalView>)))]
async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<YearQuery>,
) -> Result<Json<Vec<ProposalView>>, ApiError> {
    let vis = office(&caller)?;
    let year = q.year.unwrap_or_else(|| today(&caller).year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::BadRequest("year：应在2000到2100之间".into()).into());
    }
    Ok(Json(store::list(&s.db, &vis, year, today(&caller)).await?))
}

/// Records a proposal compiled from the issues representatives collected. The same
/// `client_key` again answers with the proposal already recorded (`duplicate`: true).
#[utoipa::path(post, path = "/proposals", tag = "proposals", request_body = NewProposal,
    responses((status = 200, body = ProposalView)))]
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Json(n): Json<NewProposal>,
) -> Result<Json<ProposalView>, ApiError> {
    let vis = office(&caller)?;
    let v = store::create(&s.db, &vis, &caller.display_name, caller.now, &n).await?;
    s.forget_reports().await;
    Ok(Json(v))
}

#[utoipa::path(get, path = "/proposals/{id}", tag = "proposals",
    responses((status = 200, body = ProposalView)))]
async fn one(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Json<ProposalView>, ApiError> {
    let vis = office(&caller)?;
    Ok(Json(store::one(&s.db, &vis, id, today(&caller)).await?))
}

/// Forwards it to the unit that must answer; the deadline runs on the policy's
/// `[ledger] proposal` clock.
#[utoipa::path(post, path = "/proposals/{id}/forward", tag = "proposals", request_body = Forward,
    responses((status = 200, body = ProposalView)))]
async fn forward(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(f): Json<Forward>,
) -> Result<Json<ProposalView>, ApiError> {
    let vis = office(&caller)?;
    let cal = calendar(&s.db).await.map_err(AppError::from)?;
    let clock = s.policy().ledger.proposal;
    let v = store::forward(
        &s.db,
        &vis,
        &clock,
        &cal,
        &caller.display_name,
        caller.now,
        id,
        &f,
    )
    .await?;
    s.forget_reports().await;
    Ok(Json(v))
}

/// One extension of the deadline, before it has passed.
#[utoipa::path(post, path = "/proposals/{id}/extension", tag = "proposals",
    responses((status = 200, body = ProposalView)))]
async fn extend(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Json<ProposalView>, ApiError> {
    let vis = office(&caller)?;
    let cal = calendar(&s.db).await.map_err(AppError::from)?;
    let clock = s.policy().ledger.proposal;
    let v = store::extend(
        &s.db,
        &vis,
        &clock,
        &cal,
        &caller.display_name,
        caller.now,
        id,
    )
    .await?;
    s.forget_reports().await;
    Ok(Json(v))
}

/// The unit's answer.
#[utoipa::path(post, path = "/proposals/{id}/answer", tag = "proposals", request_body = Answer,
    responses((status = 200, body = ProposalView)))]
async fn answer(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(a): Json<Answer>,
) -> Result<Json<ProposalView>, ApiError> {
    let vis = office(&caller)?;
    let v = store::answer(&s.db, &vis, &caller.display_name, caller.now, id, &a).await?;
    s.forget_reports().await;
    Ok(Json(v))
}

/// Closes an answered proposal.
#[utoipa::path(post, path = "/proposals/{id}/close", tag = "proposals", request_body = Close,
    responses((status = 200, body = ProposalView)))]
async fn close(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(c): Json<Close>,
) -> Result<Json<ProposalView>, ApiError> {
    let vis = office(&caller)?;
    let v = store::close(&s.db, &vis, &caller.display_name, caller.now, id, &c).await?;
    s.forget_reports().await;
    Ok(Json(v))
}
