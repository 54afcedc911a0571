//! Regions, units, people and households: lists with search, and detail.

use crate::domain::access::Capability;
use crate::error::{ApiError, AppError};
use crate::startup::AppState;
use crate::store::access::{self, Caller};
use crate::store::history;
use crate::store::registry::{self as reg, Counts, ListQuery, Page};
use crate::web::view::*;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stats))
        .routes(routes!(regions))
        .routes(routes!(region))
        .routes(routes!(units))
        .routes(routes!(unit))
        .routes(routes!(people))
        .routes(routes!(person))
        .routes(routes!(households))
        .routes(routes!(household))
        .routes(routes!(person_reveal))
        .routes(routes!(household_reveal))
}

/// How much the registry holds.
#[utoipa::path(get, path = "/stats", tag = "registry", responses((status = 200, body = Counts)))]
async fn stats(State(s): State<AppState>, _: Caller) -> Result<Json<Counts>, ApiError> {
    Ok(Json(reg::counts(&s.db).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct RegionsQuery {
    /// Children of this region; without it, the top level. With `q`, a search instead.
    parent: Option<String>,
    q: Option<String>,
    page: Option<u64>,
}

/// The region tree, one level at a time, or a search by name, pinyin or code.
#[utoipa::path(get, path = "/regions", tag = "registry", params(RegionsQuery), responses((status = 200, body = Vec<RegionView>)))]
async fn regions(
    State(s): State<AppState>,
    _: Caller,
    Query(q): Query<RegionsQuery>,
) -> Result<Json<Vec<RegionView>>, ApiError> {
    let list = match q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(text) => {
            reg::region_search(&s.db, text, q.page.unwrap_or(1))
                .await?
                .items
        }
        None => reg::region_children(&s.db, q.parent.as_deref()).await?,
    };
    Ok(Json(list.iter().map(RegionView::from).collect()))
}

#[derive(Serialize, ToSchema)]
struct RegionDetail {
    region: RegionView,
    /// From the county down to this region.
    trail: Vec<RegionView>,
    children: Vec<RegionView>,
    households: u64,
    people: u64,
}

#[utoipa::path(get, path = "/regions/{code}", tag = "registry", responses((status = 200, body = RegionDetail), (status = 404)))]
async fn region(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<RegionDetail>, ApiError> {
    let r = reg::region(&s.db, &code)
        .await?
        .ok_or(AppError::NotFound("该区划".into()))?;
    let trail = reg::region_trail(&s.db, &r).await?;
    let children = reg::region_children(&s.db, Some(&r.code)).await?;
    let (_, households, people) = reg::region_counts(&s.db, &r, &caller.visibility()).await?;
    Ok(Json(RegionDetail {
        region: (&r).into(),
        trail: trail.iter().map(RegionView::from).collect(),
        children: children.iter().map(RegionView::from).collect(),
        households,
        people,
    }))
}

/// Units; `tag` filters by kind or tag code (e.g. `county_department`, `law_enforcement`).
#[utoipa::path(get, path = "/units", tag = "registry", params(ListQuery), responses((status = 200, body = Page<UnitView>)))]
async fn units(
    State(s): State<AppState>,
    _: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<UnitView>>, ApiError> {
    let page = reg::units(&s.db, &q).await?.map(|m| UnitView::from(&m));
    Ok(Json(named(s.quick(), page).await?))
}

#[derive(Serialize, ToSchema)]
struct UnitDetail {
    unit: UnitView,
    people: u64,
}

#[utoipa::path(get, path = "/units/{code}", tag = "registry", responses((status = 200, body = UnitDetail), (status = 404)))]
async fn unit(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<UnitDetail>, ApiError> {
    let u = reg::unit(&s.db, &code)
        .await?
        .ok_or(AppError::NotFound("该单位".into()))?;
    let people = reg::people(
        &s.db,
        &ListQuery {
            unit: Some(code),
            ..Default::default()
        },
        &caller.visibility(),
    )
    .await?
    .total;
    Ok(Json(UnitDetail {
        unit: (&u).into(),
        people,
    }))
}

/// Cadres and party members; `tag` filters by role code (e.g. `village_cadre`); `q` finds pinyin initials too.
#[utoipa::path(get, path = "/people", tag = "registry", params(ListQuery), responses((status = 200, body = Page<PersonView>)))]
async fn people(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<PersonView>>, ApiError> {
    let page = reg::people(s.quick(), &q, &caller.visibility())
        .await?
        .map(|m| PersonView::from(&m));
    Ok(Json(named(s.quick(), page).await?))
}

#[derive(Serialize, ToSchema)]
struct PersonDetail {
    person: PersonView,
    links: Vec<LinkView>,
    recent_activities: Vec<ActivityView>,
    history: Vec<HistoryView>,
}

#[utoipa::path(get, path = "/people/{id}", tag = "registry", responses((status = 200, body = PersonDetail), (status = 404)))]
async fn person(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Json<PersonDetail>, ApiError> {
    let p = reg::person(&s.db, id, &caller.visibility())
        .await?
        .ok_or(AppError::NotFound("该人员".into()))?;
    let links = reg::links_of(&s.db, id).await?;
    let acts = reg::activities_of(&s.db, id, 50).await?;
    let hist = history::of(&s.db, "person", &id.to_string()).await?;
    Ok(Json(PersonDetail {
        links: {
            let mut v: Vec<LinkView> = links.iter().map(|l| LinkView::new(l, Some(&p))).collect();
            crate::web::view::name_targets(&s.db, &mut v, &links).await?;
            v
        },
        recent_activities: acts
            .iter()
            .map(|a| ActivityView::new(a, std::slice::from_ref(&p)))
            .collect(),
        history: crate::web::view::history_views(&s.db, &hist).await?,
        person: (&p).into(),
    }))
}

/// Households; `tag` filters by category code (e.g. `dibao`); `q` matches head's name, pinyin, initials or the code.
#[utoipa::path(get, path = "/households", tag = "registry", params(ListQuery), responses((status = 200, body = Page<HouseholdView>)))]
async fn households(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<HouseholdView>>, ApiError> {
    let page = reg::households(s.quick(), &q, &caller.visibility())
        .await?
        .map(|m| HouseholdView::from(&m));
    Ok(Json(named(s.quick(), page).await?))
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdDetail {
    pub household: HouseholdView,
    pub members: Vec<MemberView>,
    pub links: Vec<LinkView>,
    pub activities: Vec<ActivityView>,
    /// Ledger items of this household (matters raised on visits and elsewhere).
    pub items: Vec<ItemView>,
    pub history: Vec<HistoryView>,
}

/// One household's page (一户一页): basic form, members, who links it, visits, history.
#[utoipa::path(get, path = "/households/{code}", tag = "registry", responses((status = 200, body = HouseholdDetail), (status = 404)))]
async fn household(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<HouseholdDetail>, ApiError> {
    let d = household_detail(&s, &code, &caller).await?;
    Ok(Json(d))
}

pub async fn household_detail(
    s: &AppState,
    code: &str,
    caller: &Caller,
) -> Result<HouseholdDetail, AppError> {
    let vis = &caller.visibility();
    let h = reg::household(s.quick(), code, vis)
        .await?
        .ok_or(AppError::NotFound("该户".into()))?;
    let members = reg::members(s.quick(), h.id).await?;
    let links = reg::links_to(s.quick(), &h.code).await?;
    let acts = reg::activities_at(s.quick(), &h.code).await?;
    let mut hist = history::of(s.quick(), "household", &h.code).await?;
    hist.extend(history::of(s.quick(), "member", &h.code).await?);
    hist.extend(history::of_links_to(s.quick(), &h.code).await?);
    let items = crate::store::work::items_of_household(s.quick(), &h.code).await?;
    let read_stability = caller.can(Capability::ReadStability);
    hist.sort_by_key(|h| std::cmp::Reverse(h.id));
    Ok(HouseholdDetail {
        household: (&h).into(),
        members: members.iter().map(MemberView::from).collect(),
        links: links
            .iter()
            .map(|(l, p)| LinkView::new(l, p.as_ref()))
            .collect(),
        activities: acts
            .iter()
            .map(|(a, who)| ActivityView::new(a, who))
            .collect(),
        items: items
            .iter()
            .map(|i| ItemView::new(i, read_stability))
            .collect(),
        history: crate::web::view::history_views(s.quick(), &hist).await?,
    })
}

/// One personal-data field shown in full.
#[derive(Serialize, ToSchema)]
pub struct Revealed {
    pub label: String,
    pub value: String,
}

/// Full ID number and phone of a person. Outside the caller's scope: 404; inside it
/// but without a role that may reveal: 403. Every reveal is audited.
pub async fn reveal_person(
    s: &AppState,
    caller: &Caller,
    id: i32,
) -> Result<Vec<Revealed>, AppError> {
    let p = reg::person(&s.db, id, &caller.visibility())
        .await?
        .ok_or(AppError::NotFound("该人员".into()))?;
    let may = caller.visibility_for(Capability::Reveal);
    if may.is_empty() || reg::person(&s.db, id, &may).await?.is_none() {
        return Err(AppError::Forbidden);
    }
    access::audit(
        &s.db,
        caller.now,
        Some(caller.account_id),
        &caller.username,
        "reveal",
        &format!("person:{id}"),
        "身份证号、手机号",
        &caller.address,
    )
    .await?;
    let mut out = vec![Revealed {
        label: format!("{} 身份证号", p.name),
        value: p.id_number,
    }];
    if let Some(phone) = p.phone {
        out.push(Revealed {
            label: format!("{} 手机号", p.name),
            value: phone,
        });
    }
    Ok(out)
}

/// Full ID numbers and phones of a household and its members; rules as for a person.
pub async fn reveal_household(
    s: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<Vec<Revealed>, AppError> {
    let h = reg::household(&s.db, code, &caller.visibility())
        .await?
        .ok_or(AppError::NotFound("该户".into()))?;
    let may = caller.visibility_for(Capability::Reveal);
    if may.is_empty() || reg::household(&s.db, code, &may).await?.is_none() {
        return Err(AppError::Forbidden);
    }
    access::audit(
        &s.db,
        caller.now,
        Some(caller.account_id),
        &caller.username,
        "reveal",
        &format!("household:{code}"),
        "身份证号、电话",
        &caller.address,
    )
    .await?;
    let mut out = Vec::new();
    if let Some(id) = h.head_id_number {
        out.push(Revealed {
            label: format!("户主{} 身份证号", h.head_name),
            value: id,
        });
    }
    if let Some(p) = h.phone {
        out.push(Revealed {
            label: "联系电话".into(),
            value: p,
        });
    }
    for m in reg::members(&s.db, h.id).await? {
        if let Some(id) = m.id_number {
            out.push(Revealed {
                label: format!("{} 身份证号", m.name),
                value: id,
            });
        }
        if let Some(p) = m.phone {
            out.push(Revealed {
                label: format!("{} 手机号", m.name),
                value: p,
            });
        }
    }
    Ok(out)
}

/// Whether the caller may reveal this household's personal data (to show the button).
pub async fn may_reveal_household(
    s: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<bool, AppError> {
    let may = caller.visibility_for(Capability::Reveal);
    Ok(!may.is_empty() && reg::household(s.quick(), code, &may).await?.is_some())
}

pub async fn may_reveal_person(s: &AppState, caller: &Caller, id: i32) -> Result<bool, AppError> {
    let may = caller.visibility_for(Capability::Reveal);
    Ok(!may.is_empty() && reg::person(&s.db, id, &may).await?.is_some())
}

/// A person's full ID number and phone (audited).
#[utoipa::path(post, path = "/people/{id}/reveal", tag = "registry",
    responses((status = 200, body = Vec<Revealed>), (status = 403), (status = 404)))]
async fn person_reveal(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Json<Vec<Revealed>>, ApiError> {
    Ok(Json(reveal_person(&s, &caller, id).await?))
}

/// A household's full ID numbers and phones (audited).
#[utoipa::path(post, path = "/households/{code}/reveal", tag = "registry",
    responses((status = 200, body = Vec<Revealed>), (status = 403), (status = 404)))]
async fn household_reveal(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Vec<Revealed>>, ApiError> {
    Ok(Json(reveal_household(&s, &caller, &code).await?))
}
