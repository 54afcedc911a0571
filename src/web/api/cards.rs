//! Contact cards for machines: where each card of a village (or a cadre's households) stands,
//! and recording deliveries (LH-3, LXK-2).

use crate::domain::access::Capability;
use crate::domain::cards::Holder;
use crate::error::{ApiError, AppError};
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::cards::{self as store, CardLine, Scope};
use axum::Json;
use axum::extract::{Query, State};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(deliveries))
}

/// Whose cards: a region's households or a unit's card (the office), else the caller's own
/// linked households.
#[derive(Deserialize, IntoParams, Default)]
pub struct Which {
    pub region: Option<String>,
    pub unit: Option<String>,
}

/// What a caller may print and mark: the office (ManageLinks) within its regions; a cadre
/// their own households. `None`: nothing chosen and no households of one's own.
pub async fn scope_of(
    s: &AppState,
    caller: &Caller,
    region: Option<&str>,
    unit: Option<&str>,
) -> Result<Option<(Scope, String)>, AppError> {
    let manage = caller.can(Capability::ManageLinks);
    if let Some(code) = unit.filter(|c| !c.is_empty()) {
        if !manage {
            return Err(AppError::Forbidden);
        }
        let u = crate::store::registry::unit(&s.db, code)
            .await?
            .ok_or_else(|| AppError::NotFound("单位".into()))?;
        return Ok(Some((Scope::Unit(u.code), u.name)));
    }
    if let Some(code) = region.filter(|c| !c.is_empty()) {
        let r = crate::store::registry::region(&s.db, code)
            .await?
            .ok_or_else(|| AppError::NotFound("区划".into()))?;
        if !manage
            || !caller
                .visibility_for(Capability::ManageLinks)
                .covers_region(&r.path)
        {
            return Err(AppError::Forbidden);
        }
        return Ok(Some((Scope::Region(r.code), r.name)));
    }
    Ok(caller
        .person_id
        .map(|p| (Scope::Person(p), "我的联系户".to_string())))
}

/// The most lines one answer holds.
pub const MAX_LINES: usize = 5000;

/// The card lines of a scope: households (stale and unprinted first), or the unit's card.
pub async fn lines_of(s: &AppState, scope: &Scope) -> Result<Vec<CardLine>, AppError> {
    let today = crate::time::today();
    Ok(match scope {
        Scope::Unit(code) => store::unit_lines(&s.db)
            .await?
            .into_iter()
            .filter(|l| &l.holder_code == code)
            .collect(),
        _ => {
            let codes: Vec<String> = store::household_batches(&s.db, scope, today)
                .await?
                .into_iter()
                .flatten()
                .take(MAX_LINES)
                .collect();
            store::household_lines(&s.db, &codes, today).await?
        }
    })
}

#[derive(Serialize, ToSchema)]
pub struct CardList {
    /// The village, unit or “我的联系户”.
    pub title: String,
    pub lines: Vec<CardLine>,
}

/// Where each card stands: 未印制, 待重新发放 (its facts changed), 待送达 or 已送达.
#[utoipa::path(get, path = "/cards", tag = "cards", params(Which),
    responses((status = 200, body = CardList), (status = 404, description = "没有这个区划或单位")))]
async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<Which>,
) -> Result<Json<CardList>, ApiError> {
    let Some((scope, title)) =
        scope_of(&s, &caller, q.region.as_deref(), q.unit.as_deref()).await?
    else {
        return Err(AppError::BadRequest("请指明 region 或 unit".into()).into());
    };
    Ok(Json(CardList {
        lines: lines_of(&s, &scope).await?,
        title,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewDeliveries {
    /// household (default) or unit
    #[serde(default)]
    pub holder: Option<String>,
    /// Household codes, or unit codes (a unit's card then reaches each of its service objects).
    pub codes: Vec<String>,
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct Delivered {
    /// Deliveries newly recorded (one already recorded is not counted again).
    pub recorded: usize,
}

/// Records cards as delivered on a day (the office's list).
#[utoipa::path(post, path = "/cards/deliveries", tag = "cards", request_body = NewDeliveries,
    responses((status = 200, body = Delivered), (status = 404, description = "所列的户不在您的范围内")))]
async fn deliveries(
    State(s): State<AppState>,
    caller: Caller,
    Json(d): Json<NewDeliveries>,
) -> Result<Json<Delivered>, ApiError> {
    Ok(Json(Delivered {
        recorded: record(&s, &caller, d).await?,
    }))
}

/// The checks of a delivery list, shared by the API and the page.
pub async fn record(s: &AppState, caller: &Caller, d: NewDeliveries) -> Result<usize, AppError> {
    if !caller.can(Capability::ManageLinks) {
        return Err(AppError::Forbidden);
    }
    let holder = match d.holder.as_deref() {
        None | Some("household") => Holder::Household,
        Some("unit") => Holder::Unit,
        Some(_) => {
            return Err(AppError::BadRequest(
                "holder：应为 household 或 unit".into(),
            ));
        }
    };
    let codes: Vec<String> = d
        .codes
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if codes.is_empty() {
        return Err(AppError::BadRequest("codes：请列出已送达的卡".into()));
    }
    if codes.len() > s.config.max_list_items {
        return Err(AppError::BadRequest(format!(
            "codes：一次最多{}个",
            s.config.max_list_items
        )));
    }
    if d.on > crate::time::today() {
        return Err(AppError::BadRequest("送达日期：不能晚于今天".into()));
    }
    Ok(store::record_deliveries(
        &s.db,
        &caller.visibility_for(Capability::ManageLinks),
        holder,
        &codes,
        d.on,
        &caller.display_name,
        Utc::now(),
    )
    .await?)
}
