//! Decision records 三问决策 (DY-7) for machines: a body's major decisions and the records of
//! asking the people before, during and after. The office (ManageLinks) within its regions.

use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::decisions::{self as store, DecisionView, NewConsultation, NewDecision};
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one))
        .routes(routes!(consult))
        .routes(routes!(complete))
}

use super::office;

#[derive(Deserialize, IntoParams)]
pub struct YearQuery {
    /// 2000–2100; default this year.
    pub year: Option<i32>,
}

/// The year's major decisions of the bodies in the caller's regions, with their consultations
/// and what each still lacks.
#[utoipa::path(get, path = "/decisions", tag = "decisions", params(YearQuery),
    responses((status = 200, body = Vec<DecisionView>)))]
async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<YearQuery>,
) -> Result<Json<Vec<DecisionView>>, ApiError> {
    let vis = office(&caller)?;
    let year = q
        .year
        .unwrap_or_else(|| crate::time::beijing_date(caller.now).year());
    if !(2000..=2100).contains(&year) {
        return Err(crate::error::AppError::BadRequest("year：应在2000到2100之间".into()).into());
    }
    Ok(Json(
        store::list(&s.db, &vis, year, store::At::of(&s.policy(), caller.now)).await?,
    ))
}

/// Records a major decision. The same `client_key` again answers with the decision already
/// recorded (`duplicate`: true).
#[utoipa::path(post, path = "/decisions", tag = "decisions", request_body = NewDecision,
    responses((status = 200, body = DecisionView)))]
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Json(d): Json<NewDecision>,
) -> Result<Json<DecisionView>, ApiError> {
    let vis = office(&caller)?;
    let v = store::create(
        &s.db,
        &vis,
        &caller.display_name,
        store::At::of(&s.policy(), caller.now),
        &d,
    )
    .await?;
    s.forget_reports().await;
    Ok(Json(v))
}

#[utoipa::path(get, path = "/decisions/{id}", tag = "decisions",
    responses((status = 200, body = DecisionView)))]
async fn one(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Json<DecisionView>, ApiError> {
    let vis = office(&caller)?;
    Ok(Json(
        store::one(&s.db, &vis, id, store::At::of(&s.policy(), caller.now)).await?,
    ))
}

/// Records asking the people before (事前问需), during (事中问计) or after (事后问效), each in its
/// window of the decision's life.
#[utoipa::path(post, path = "/decisions/{id}/consultations", tag = "decisions",
    request_body = NewConsultation, responses((status = 200, body = DecisionView)))]
async fn consult(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(c): Json<NewConsultation>,
) -> Result<Json<DecisionView>, ApiError> {
    let vis = office(&caller)?;
    let v = store::consult(
        &s.db,
        &vis,
        &caller.display_name,
        store::At::of(&s.policy(), caller.now),
        id,
        &c,
    )
    .await?;
    s.forget_reports().await;
    Ok(Json(v))
}

#[derive(Deserialize, ToSchema)]
pub struct Completion {
    pub completed_on: NaiveDate,
}

/// Enters the day the decision's carrying out was completed (the consultation after follows it).
#[utoipa::path(post, path = "/decisions/{id}/completion", tag = "decisions",
    request_body = Completion, responses((status = 200, body = DecisionView)))]
async fn complete(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(c): Json<Completion>,
) -> Result<Json<DecisionView>, ApiError> {
    let vis = office(&caller)?;
    let v = store::complete(
        &s.db,
        &vis,
        &caller.display_name,
        store::At::of(&s.policy(), caller.now),
        id,
        c.completed_on,
    )
    .await?;
    s.forget_reports().await;
    Ok(Json(v))
}
