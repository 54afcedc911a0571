//! The compliance report (FORMATS.md) for machines: the same rows `lianxin compliance` writes.

use crate::error::{ApiError, AppError};
use crate::startup::AppState;
use crate::store::access::Caller;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report))
}

#[derive(Deserialize, IntoParams)]
pub struct ReportParams {
    /// The year (this year when left out).
    pub year: Option<i32>,
    /// Only records dated on or before this day count (the year's end, or today).
    pub as_of: Option<NaiveDate>,
    /// `json` (default) or `xlsx`.
    pub format: Option<String>,
}

/// Where every person, unit and region stands against every rule, as FORMATS.md describes;
/// for callers who see the whole county. Every download is in the audit log.
#[utoipa::path(get, path = "/compliance", tag = "compliance", params(ReportParams),
    responses((status = 200, body = crate::domain::rules::Report), (status = 400), (status = 401), (status = 403)))]
async fn report(
    State(s): State<AppState>,
    caller: Caller,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    if !caller.visibility().all {
        return Err(AppError::Forbidden.into());
    }
    let (year, as_of) = crate::web::pages::compliance::resolve_year(p.year, p.as_of)?;
    Ok(crate::web::pages::compliance::report_file(
        &s,
        &caller,
        year,
        as_of,
        p.format.as_deref().unwrap_or("json"),
    )
    .await?)
}
