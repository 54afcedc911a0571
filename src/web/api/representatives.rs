//! Party representatives for machines: the working groups with members, convener and their
//! activities by quarter; each representative's published contact details (DDB-4). The office
//! (ManageLinks) within its regions.

use crate::error::{ApiError, AppError};
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::representatives::{self as store, NewPublication, Overview, Publication};
use axum::Json;
use axum::extract::{Query, State};
use chrono::Datelike;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(publish))
}

use super::office;

#[derive(Deserialize, IntoParams)]
pub struct YearQuery {
    /// 2000–2100; default this year.
    pub year: Option<i32>,
}

/// The working groups and representatives in the caller's regions, for a year.
#[utoipa::path(get, path = "/representatives", tag = "representatives", params(YearQuery),
    responses((status = 200, body = Overview)))]
async fn overview(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<YearQuery>,
) -> Result<Json<Overview>, ApiError> {
    let vis = office(&caller)?;
    let year = q
        .year
        .unwrap_or_else(|| crate::time::beijing_date(caller.now).year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::BadRequest("year：应在2000到2100之间".into()).into());
    }
    Ok(Json(store::overview(&s.db, &vis, year).await?))
}

/// Records that a representative's contact details were made public (DDB-4). The same person,
/// day and place again answers with the publication already recorded (`duplicate`: true).
#[utoipa::path(post, path = "/representatives/publications", tag = "representatives",
    request_body = NewPublication, responses((status = 200, body = Publication)))]
async fn publish(
    State(s): State<AppState>,
    caller: Caller,
    Json(n): Json<NewPublication>,
) -> Result<Json<Publication>, ApiError> {
    let vis = office(&caller)?;
    let p = store::publish(&s.db, &vis, n, &caller.display_name, caller.now).await?;
    s.forget_reports().await;
    Ok(Json(p))
}
