//! Community service projects of 双报到 (BF-7) for machines: a community's need listed, claimed
//! by a unit reported to it, completed and confirmed by the community. The office (ManageLinks)
//! within its regions.

use crate::error::{ApiError, AppError};
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::projects::{
    self as store, Claim, Completion, Confirmation, NewProject, ProjectView,
};
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
        .routes(routes!(claim))
        .routes(routes!(complete))
        .routes(routes!(confirm))
}

use super::office;

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// 2000–2100; default this year.
    pub year: Option<i32>,
    /// 1–500; default 200.
    pub limit: Option<u64>,
}

/// The year's projects in the caller's communities (and those still open from before).
#[utoipa::path(get, path = "/projects", tag = "projects", params(ListQuery),
    responses((status = 200, body = Vec<ProjectView>)))]
async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    let vis = office(&caller)?;
    let year = q
        .year
        .unwrap_or_else(|| crate::time::beijing_date(caller.now).year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::BadRequest("year：应在2000到2100之间".into()).into());
    }
    let limit = q.limit.unwrap_or(200);
    if !(1..=500).contains(&limit) {
        return Err(AppError::BadRequest("limit：应在1到500之间".into()).into());
    }
    Ok(Json(store::list(&s.db, &vis, year, limit).await?))
}

/// Lists a community's need as a project. The same `client_key` again answers with the
/// project already listed (`duplicate`: true).
#[utoipa::path(post, path = "/projects", tag = "projects", request_body = NewProject,
    responses((status = 200, body = ProjectView)))]
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Json(n): Json<NewProject>,
) -> Result<Json<ProjectView>, ApiError> {
    let vis = office(&caller)?;
    Ok(Json(
        store::create(&s.db, &vis, &caller.display_name, caller.now, &n).await?,
    ))
}

#[utoipa::path(get, path = "/projects/{id}", tag = "projects",
    responses((status = 200, body = ProjectView)))]
async fn one(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Json<ProjectView>, ApiError> {
    let vis = office(&caller)?;
    Ok(Json(store::one(&s.db, &vis, id).await?))
}

/// A unit reported to the community (社区报到) claims the project.
#[utoipa::path(post, path = "/projects/{id}/claim", tag = "projects", request_body = Claim,
    responses((status = 200, body = ProjectView)))]
async fn claim(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(c): Json<Claim>,
) -> Result<Json<ProjectView>, ApiError> {
    let vis = office(&caller)?;
    let v = store::claim(&s.db, &vis, &caller.display_name, caller.now, id, &c).await?;
    s.forget_reports().await;
    Ok(Json(v))
}

/// The claiming unit completed it: when, who took part, what was done.
#[utoipa::path(post, path = "/projects/{id}/completion", tag = "projects",
    request_body = Completion, responses((status = 200, body = ProjectView)))]
async fn complete(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(c): Json<Completion>,
) -> Result<Json<ProjectView>, ApiError> {
    let vis = office(&caller)?;
    let v = store::complete(&s.db, &vis, &caller.display_name, caller.now, id, &c).await?;
    s.forget_reports().await;
    Ok(Json(v))
}

/// The community confirms the completed project; only then does it count for BF-7.
#[utoipa::path(post, path = "/projects/{id}/confirmation", tag = "projects",
    request_body = Confirmation, responses((status = 200, body = ProjectView)))]
async fn confirm(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(c): Json<Confirmation>,
) -> Result<Json<ProjectView>, ApiError> {
    let vis = office(&caller)?;
    let v = store::confirm(&s.db, &vis, &caller.display_name, caller.now, id, &c).await?;
    s.forget_reports().await;
    Ok(Json(v))
}
