//! Work records, contact points, coverage, household assignment and handover.

use crate::domain::access::Capability;
use crate::domain::work::RawActivity;
use crate::error::{ApiError, AppError};
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::entities::*;
use crate::store::history;
use crate::store::registry as reg;
use crate::store::work::{self, CoverageRow, Handover, MyWork, Recorded};
use crate::web::Writing;
use crate::web::view::*;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_activity))
        .routes(routes!(get_activity, correct_activity))
        .routes(routes!(person_contacts))
        .routes(routes!(duplicate_contacts))
        .routes(routes!(coverage))
        .routes(routes!(proposal))
        .routes(routes!(confirm))
        .routes(routes!(handover))
        .routes(routes!(my_work))
        .routes(routes!(my_invitations))
        .routes(routes!(answer_invitation))
        .routes(routes!(add_link))
        .routes(routes!(change_link))
}

fn record_error(errors: Vec<crate::domain::work::FieldError>) -> AppError {
    AppError::BadRequest(crate::domain::work::describe(&errors))
}

/// Records work once for everyone who took part. Each matter becomes a ledger item of the
/// household visited. The same `client_key` twice records once (200 with `duplicate`).
#[utoipa::path(post, path = "/activities", tag = "work", request_body = RawActivity,
    responses((status = 201, body = Recorded), (status = 200, body = Recorded), (status = 400), (status = 403)))]
async fn create_activity(
    State(s): State<AppState>,
    caller: Caller,
    Writing(db): Writing,
    Json(raw): Json<RawActivity>,
) -> Result<(StatusCode, Json<Recorded>), ApiError> {
    let r = raw
        .parse(today(), s.config.max_list_items)
        .map_err(record_error)?;
    let done = work::record(&db, &s.policy(), &caller, r, Utc::now())
        .await
        .map_err(AppError::from)?;
    let status = if done.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(done)))
}

#[derive(Serialize, ToSchema)]
pub struct ActivityDetail {
    pub id: i32,
    pub activity: ActivityView,
    /// Everyone the record counts for; a participant the caller may not read shows only as
    /// 范围外人员 with a masked ID number.
    pub participants: Vec<PersonView>,
    /// Participants beyond the author's reach who have not yet confirmed (masked ID numbers).
    pub invited: Vec<String>,
    /// The caller is invited to confirm this record.
    pub awaiting_me: bool,
    pub targets: Vec<String>,
    /// The targets by name: 王五户, 乙村, 县公安局 (an ID number stays masked).
    pub target_names: Vec<crate::web::view::Label>,
    pub items: Vec<ItemView>,
    pub history: Vec<HistoryView>,
    /// Whether the caller may correct it now, and if not why.
    pub may_correct: bool,
    pub correct_refusal: Option<String>,
}

/// Codes a record names, as a person reads them.
pub async fn target_names(
    db: &impl sea_orm::ConnectionTrait,
    codes: &[String],
) -> Result<Vec<crate::web::view::Label>, sea_orm::DbErr> {
    use crate::store::entities::{household, region, unit};
    use crate::store::work::lookup;
    let heads: std::collections::HashMap<String, String> = lookup::<household::Entity, _, _>(
        db,
        household::Column::Code,
        household::Column::HeadName,
        codes,
    )
    .await?;
    let regions: std::collections::HashMap<String, String> =
        lookup::<region::Entity, _, _>(db, region::Column::Code, region::Column::Name, codes)
            .await?;
    let units: std::collections::HashMap<String, String> =
        lookup::<unit::Entity, _, _>(db, unit::Column::Code, unit::Column::Name, codes).await?;
    Ok(codes
        .iter()
        .map(|c| crate::web::view::Label {
            code: crate::domain::ids::shown_code(c),
            zh: heads
                .get(c)
                .map(|h| format!("{h}户"))
                .or_else(|| regions.get(c).cloned())
                .or_else(|| units.get(c).cloned())
                .unwrap_or_else(|| crate::domain::ids::shown_code(c)),
        })
        .collect())
}

pub async fn activity_detail(
    s: &AppState,
    caller: &Caller,
    id: i32,
) -> Result<ActivityDetail, AppError> {
    let d = work::activity_detail(&s.db, id)
        .await?
        .ok_or(AppError::NotFound("该工作记录".into()))?;
    // A record is visible to whoever may see one of its participants, and to whoever is
    // invited to confirm it; participants beyond the caller's sight are not shown by name.
    let ids: Vec<i32> = d.participants.iter().map(|p| p.id).collect();
    let readable = reg::visible_people(&s.db, &ids, &caller.visibility()).await?;
    let me = match caller.person_id {
        Some(pid) => {
            reg::person(&s.db, pid, &crate::store::access::Visibility::everything()).await?
        }
        None => None,
    };
    let awaiting_me = me
        .as_ref()
        .is_some_and(|m| d.invited.contains(&m.id_number));
    if readable.is_empty() && !awaiting_me {
        return Err(AppError::NotFound("该工作记录".into()));
    }
    let hist = history::of(&s.db, "activity", &id.to_string()).await?;
    let refusal = work::may_correct(&s.policy(), caller, &d.activity, Utc::now()).err();
    let read_stability = caller.can(Capability::ReadStability);
    let target_names = target_names(&s.db, &d.targets).await?;
    Ok(ActivityDetail {
        id,
        target_names,
        activity: ActivityView::new(
            &d.activity,
            &d.participants
                .iter()
                .filter(|p| readable.contains(&p.id))
                .cloned()
                .collect::<Vec<_>>(),
        ),
        participants: d
            .participants
            .iter()
            .map(|p| {
                if readable.contains(&p.id) {
                    PersonView::from(p)
                } else {
                    PersonView::beyond_sight(p)
                }
            })
            .collect(),
        invited: d
            .invited
            .iter()
            .map(|i| crate::domain::ids::mask_id_number(i))
            .collect(),
        awaiting_me,
        targets: d
            .targets
            .iter()
            .map(|t| crate::domain::ids::shown_code(t))
            .collect(),
        items: d
            .items
            .iter()
            .map(|i| ItemView::new(i, read_stability))
            .collect(),
        history: history_within_sight(
            crate::web::view::history_views(&s.db, &hist).await?,
            &d.participants,
            &readable,
        ),
        may_correct: refusal.is_none(),
        correct_refusal: refusal,
    })
}

/// A record's history as a caller who may not read every participant sees it: their names
/// become 范围外人员, and an invited person's own answer is shown as theirs without their name.
fn history_within_sight(
    mut lines: Vec<HistoryView>,
    participants: &[person::Model],
    readable: &std::collections::HashSet<i32>,
) -> Vec<HistoryView> {
    let shown: Vec<&str> = participants
        .iter()
        .filter(|p| readable.contains(&p.id))
        .map(|p| p.name.as_str())
        .collect();
    let hidden: Vec<&str> = participants
        .iter()
        .filter(|p| !readable.contains(&p.id) && !shown.contains(&p.name.as_str()))
        .map(|p| p.name.as_str())
        .collect();
    for l in &mut lines {
        if l.action == "参加人确认" || l.action == "参加人否认" {
            l.actor = "参加人本人".into();
        }
        for name in &hidden {
            for c in &mut l.changes {
                *c = c.replace(name, "范围外人员");
            }
            if l.actor == *name {
                l.actor = "范围外人员".into();
            }
        }
    }
    lines
}

#[utoipa::path(get, path = "/activities/{id}", tag = "work", responses((status = 200, body = ActivityDetail), (status = 404)))]
async fn get_activity(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Json<ActivityDetail>, ApiError> {
    Ok(Json(activity_detail(&s, &caller, id).await?))
}

/// Corrects a record: its author within the policy's window, the office after it.
#[utoipa::path(put, path = "/activities/{id}", tag = "work", request_body = RawActivity,
    responses((status = 200, body = Recorded), (status = 400), (status = 403), (status = 404)))]
async fn correct_activity(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(raw): Json<RawActivity>,
) -> Result<Json<Recorded>, ApiError> {
    activity_detail(&s, &caller, id).await?;
    let r = raw
        .parse(today(), s.config.max_list_items)
        .map_err(record_error)?;
    Ok(Json(
        work::correct(&s.db, &s.policy(), &caller, id, r, Utc::now())
            .await
            .map_err(AppError::from)?,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct DayQuery {
    /// The day to judge on (default today); its year is the links' year.
    pub date: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateView {
    pub rule: String,
    pub tier: String,
    pub target_code: String,
    pub people: Vec<String>,
    pub warning: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ContactsView {
    pub templates: Vec<crate::domain::work::TemplateStatus>,
    pub duplicates: Vec<DuplicateView>,
}

pub fn duplicate_views(
    d: Vec<(crate::domain::work::DuplicateContact, Vec<person::Model>)>,
) -> Vec<DuplicateView> {
    d.into_iter()
        .map(|(d, who)| DuplicateView {
            rule: d.rule,
            tier: d.tier,
            target_code: d.target_code,
            people: who.iter().map(|p| p.name.clone()).collect(),
            warning: d.warning,
        })
        .collect()
}

/// A leader's contact points against the policy's template (一联六/一联五/一联二), and
/// targets they share with a leader of the same tier (LXD-4, a warning).
#[utoipa::path(get, path = "/people/{id}/contacts", tag = "work", params(DayQuery), responses((status = 200, body = ContactsView), (status = 404)))]
async fn person_contacts(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Query(q): Query<DayQuery>,
) -> Result<Json<ContactsView>, ApiError> {
    let p = reg::person(&s.db, id, &caller.visibility())
        .await?
        .ok_or(AppError::NotFound("该人员".into()))?;
    let day = q.date.unwrap_or_else(today);
    Ok(Json(ContactsView {
        templates: work::contact_status(&s.db, &s.policy(), &p, day).await?,
        duplicates: duplicate_views(
            work::duplicate_contacts(&s.db, &s.policy(), day, Some(p.id)).await?,
        ),
    }))
}

/// Every contact point two leaders of one tier share this year (LXD-4).
#[utoipa::path(get, path = "/contacts/duplicates", tag = "work", params(DayQuery), responses((status = 200, body = Vec<DuplicateView>), (status = 403)))]
async fn duplicate_contacts(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<DayQuery>,
) -> Result<Json<Vec<DuplicateView>>, ApiError> {
    may_see_all_contacts(&caller)?;
    let day = q.date.unwrap_or_else(today);
    Ok(Json(duplicate_views(
        work::duplicate_contacts(&s.db, &s.policy(), day, None).await?,
    )))
}

/// The county's shared contact points name leaders across the county: for those who assign
/// links or read the whole county, not for every role.
pub fn may_see_all_contacts(caller: &Caller) -> Result<(), AppError> {
    if caller.can(Capability::ManageLinks) || caller.visibility().all {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn region_in_reach(
    s: &AppState,
    caller: &Caller,
    code: &str,
    manage: bool,
) -> Result<region::Model, AppError> {
    let r = reg::region(&s.db, code)
        .await?
        .ok_or(AppError::NotFound("该区划".into()))?;
    let vis = if manage {
        if !caller.can(Capability::ManageLinks) {
            return Err(AppError::Forbidden);
        }
        caller.visibility_for(Capability::ManageLinks)
    } else {
        caller.visibility()
    };
    if !vis.covers_region(&r.path) {
        return Err(AppError::NotFound("该区划".into()));
    }
    Ok(r)
}

/// Household-link coverage under a region, one row per child region (LH-1).
#[utoipa::path(get, path = "/regions/{code}/coverage", tag = "work", params(DayQuery), responses((status = 200, body = Vec<CoverageRow>), (status = 404)))]
async fn coverage(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Json<Vec<CoverageRow>>, ApiError> {
    let r = region_in_reach(&s, &caller, &code, false).await?;
    let day = q.date.unwrap_or_else(today);
    Ok(Json(work::coverage(&s.db, &s.policy(), &r, day).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ProposalRequest {
    /// Person id → relative capacity, overriding the policy's weight for their role (0 leaves them out).
    pub weights: HashMap<i32, f64>,
    pub date: Option<NaiveDate>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct Pair {
    pub household_code: String,
    pub person_id: i32,
}

#[derive(Serialize, ToSchema)]
pub struct Load {
    pub person_id: i32,
    pub name: String,
    pub weight: f64,
    pub before: usize,
    pub after: usize,
    pub hardship_after: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Proposal {
    pub region_code: String,
    pub unlinked: usize,
    pub pairs: Vec<Pair>,
    pub loads: Vec<Load>,
}

pub async fn make_proposal(
    s: &AppState,
    r: &region::Model,
    req: &ProposalRequest,
) -> Result<Proposal, AppError> {
    let day = req.date.unwrap_or_else(today);
    let input = work::proposal_input(&s.db, &s.policy(), r, day).await?;
    let pairs = work::propose(&input, &req.weights);
    let takers: Vec<crate::domain::work::Taker> = input
        .candidates
        .iter()
        .map(|c| crate::domain::work::Taker {
            person_id: c.person_id,
            weight: c.weight,
            load: c.load,
            hardship_load: c.hardship_load,
        })
        .collect();
    let loads = crate::domain::work::loads(&input.households, &takers, &pairs);
    Ok(Proposal {
        region_code: r.code.clone(),
        unlinked: input.households.len(),
        loads: input
            .candidates
            .iter()
            .map(|c| {
                let (after, hard) = loads.get(&c.person_id).copied().unwrap_or_default();
                Load {
                    person_id: c.person_id,
                    name: c.name.clone(),
                    weight: req.weights.get(&c.person_id).copied().unwrap_or(c.weight),
                    before: c.load,
                    after,
                    hardship_after: hard,
                }
            })
            .collect(),
        pairs: pairs
            .into_iter()
            .map(|(household_code, person_id)| Pair {
                household_code,
                person_id,
            })
            .collect(),
    })
}

/// Proposes a cadre for every household of the region that has none (nothing is written).
#[utoipa::path(post, path = "/regions/{code}/proposal", tag = "work", request_body = ProposalRequest,
    responses((status = 200, body = Proposal), (status = 403), (status = 404)))]
async fn proposal(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(req): Json<ProposalRequest>,
) -> Result<Json<Proposal>, ApiError> {
    let r = region_in_reach(&s, &caller, &code, true).await?;
    Ok(Json(make_proposal(&s, &r, &req).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Confirmation {
    pub pairs: Vec<Pair>,
    pub date: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct Confirmed {
    pub created: usize,
}

/// Writes the reviewed proposal as household links (联户) of the year, all or nothing.
#[utoipa::path(post, path = "/regions/{code}/proposal/confirm", tag = "work", request_body = Confirmation,
    responses((status = 200, body = Confirmed), (status = 400), (status = 403)))]
async fn confirm(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(c): Json<Confirmation>,
) -> Result<Json<Confirmed>, ApiError> {
    region_in_reach(&s, &caller, &code, true).await?;
    let pairs: Vec<(String, i32)> = c
        .pairs
        .into_iter()
        .map(|p| (p.household_code, p.person_id))
        .collect();
    let day = c.date.unwrap_or_else(today);
    let created = work::confirm_links(&s.db, &s.policy(), &caller, &pairs, day, Utc::now())
        .await
        .map_err(AppError::from)?;
    Ok(Json(Confirmed { created }))
}

#[derive(Deserialize, ToSchema)]
pub struct HandoverRequest {
    /// Person id of the cadre who leaves.
    pub from: i32,
    /// Person id of the successor.
    pub to: i32,
    /// First day of the successor (default today).
    pub date: Option<NaiveDate>,
}

/// Moves every link and open item of a cadre to a successor in one step.
#[utoipa::path(post, path = "/handover", tag = "work", request_body = HandoverRequest,
    responses((status = 200, body = Handover), (status = 403), (status = 404)))]
async fn handover(
    State(s): State<AppState>,
    caller: Caller,
    Json(h): Json<HandoverRequest>,
) -> Result<Json<Handover>, ApiError> {
    if !caller.can(Capability::ManageLinks) {
        return Err(AppError::Forbidden.into());
    }
    let vis = caller.visibility();
    let from = reg::person(&s.db, h.from, &vis)
        .await?
        .ok_or(AppError::NotFound("交出人".into()))?;
    let to = reg::person(&s.db, h.to, &vis)
        .await?
        .ok_or(AppError::NotFound("接任人".into()))?;
    let day = h.date.unwrap_or_else(today);
    Ok(Json(
        work::handover(&s.db, &caller, &from, &to, day, Utc::now())
            .await
            .map_err(AppError::from)?,
    ))
}

/// The caller's own work: households, contact points, who has not been visited this
/// half-year, open items and what is still owed.
#[utoipa::path(get, path = "/me/work", tag = "work", params(DayQuery), responses((status = 200, body = MyWork), (status = 404)))]
async fn my_work(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<DayQuery>,
) -> Result<Json<MyWork>, ApiError> {
    let me = my_person(&s, &caller).await?;
    let day = q.date.unwrap_or_else(today);
    Ok(Json(work::my_work(&s.db, &s.policy(), &me, day).await?))
}

/// Records that name the caller beyond their author's reach, waiting for the caller to
/// confirm or decline (the oldest first, at most 100).
#[utoipa::path(get, path = "/me/invitations", tag = "work", responses((status = 200, body = Vec<work::Invitation>), (status = 400)))]
async fn my_invitations(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<work::Invitation>>, ApiError> {
    let me = my_person(&s, &caller).await?;
    Ok(Json(work::invitations_for(&s.db, &me).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct InvitationAnswer {
    /// true: I took part, count it for me; false: I did not.
    pub accept: bool,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationAnswered {
    pub activity_id: i32,
    /// Confirmed: the record now counts for the caller. Declined: it never will.
    pub accepted: bool,
    /// Everyone the record now counts for, masked ID numbers.
    pub participants: Vec<String>,
}

/// The invited person confirms or declines a record that names them. Asked again, 404 (the
/// invitation is gone).
#[utoipa::path(post, path = "/activities/{id}/invitation", tag = "work", request_body = InvitationAnswer,
    responses((status = 200, body = InvitationAnswered), (status = 400), (status = 404)))]
async fn answer_invitation(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(a): Json<InvitationAnswer>,
) -> Result<Json<InvitationAnswered>, ApiError> {
    Ok(Json(
        answer_invitation_for(&s, &caller, id, a.accept).await?,
    ))
}

pub async fn answer_invitation_for(
    s: &AppState,
    caller: &Caller,
    id: i32,
    accept: bool,
) -> Result<InvitationAnswered, AppError> {
    let me = my_person(s, caller).await?;
    let d = work::answer_invitation(&s.db, caller, &me, id, accept, Utc::now())
        .await
        .map_err(AppError::from)?;
    Ok(InvitationAnswered {
        activity_id: id,
        accepted: accept,
        participants: d
            .participants
            .iter()
            .map(|p| crate::domain::ids::mask_id_number(&p.id_number))
            .collect(),
    })
}

pub async fn my_person(s: &AppState, caller: &Caller) -> Result<person::Model, AppError> {
    let pid = caller.person_id.ok_or(AppError::BadRequest(
        "您的账号没有对应的人员，无“我的工作”".into(),
    ))?;
    reg::person(&s.db, pid, &crate::store::access::Visibility::everything())
        .await?
        .ok_or(AppError::NotFound("您的人员信息".into()))
}

#[derive(Deserialize, ToSchema)]
pub struct LinkRequest {
    /// 关系类型, as its Chinese name or code.
    pub kind: String,
    pub target_code: String,
    pub year: Option<i32>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct LinkAdded {
    pub link: LinkView,
    /// Leaders of the same tier who hold the same target (LXD-4): a warning, saved anyway.
    pub duplicates: Vec<DuplicateView>,
}

pub async fn add_link_for(
    s: &AppState,
    caller: &Caller,
    person_id: i32,
    r: LinkRequest,
) -> Result<LinkAdded, AppError> {
    if !caller.can(Capability::ManageLinks) {
        return Err(AppError::Forbidden);
    }
    let p = reg::person(
        &s.db,
        person_id,
        &caller.visibility_for(Capability::ManageLinks),
    )
    .await?
    .ok_or(AppError::NotFound("该人员".into()))?;
    let kind = crate::domain::labels::LinkKind::parse(&r.kind).map_err(AppError::BadRequest)?;
    let year = r.year.unwrap_or_else(|| chrono::Datelike::year(&today()));
    let saved = work::add_link(
        &s.db,
        caller,
        &p,
        work::NewLink {
            kind,
            target_code: r.target_code,
            year,
            start: r.start,
            end: r.end,
        },
        Utc::now(),
    )
    .await?;
    // Judge the shared contact points on a day the new link is in force.
    let t = today();
    let day = saved
        .start_date
        .unwrap_or(if year == chrono::Datelike::year(&t) {
            t
        } else {
            NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(t)
        });
    let dups = work::duplicate_contacts(&s.db, &s.policy(), day, Some(p.id)).await?;
    Ok(LinkAdded {
        link: LinkView::new(&saved, Some(&p)),
        duplicates: duplicate_views(
            dups.into_iter()
                .filter(|(d, _)| d.target_code == saved.target_code)
                .collect(),
        ),
    })
}

/// Adds a link for a person (the office): a contact point, household link, pairing,
/// stationing, posting. A contact point shared within a tier is saved with a warning.
#[utoipa::path(post, path = "/people/{id}/links", tag = "work", request_body = LinkRequest,
    responses((status = 201, body = LinkAdded), (status = 400), (status = 403), (status = 404)))]
async fn add_link(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(r): Json<LinkRequest>,
) -> Result<(StatusCode, Json<LinkAdded>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(add_link_for(&s, &caller, id, r).await?),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct LinkChangeRequest {
    /// End date; "" clears it.
    pub end: Option<String>,
    /// Grassroots posting: 农村, 信访 or 重点项目; "" clears it.
    pub front_line: Option<String>,
    /// Grassroots posting: the day the end report was handed in; "" clears it.
    pub report_on: Option<String>,
    /// Grassroots posting: the assessment; "" clears it.
    pub assessment: Option<String>,
}

fn date_field(v: Option<String>, what: &str) -> Result<Option<Option<NaiveDate>>, AppError> {
    match v.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(d) => crate::domain::formats::parse_date(d)
            .map(|d| Some(Some(d)))
            .map_err(|e| AppError::BadRequest(format!("{what}：{e}"))),
    }
}

pub async fn change_link_by(
    s: &AppState,
    caller: &Caller,
    id: i32,
    r: LinkChangeRequest,
) -> Result<link::Model, AppError> {
    let text = |v: Option<String>| v.map(|t| Some(t.trim().to_string()).filter(|t| !t.is_empty()));
    let c = work::LinkChange {
        end: date_field(r.end, "结束日期")?,
        report_on: date_field(r.report_on, "述职报告日期")?,
        front_line: text(r.front_line),
        assessment: text(r.assessment),
    };
    Ok(work::change_link(&s.db, caller, id, c, Utc::now()).await?)
}

/// Ends a link, or records a grassroots posting's front line, end report and assessment.
#[utoipa::path(patch, path = "/links/{id}", tag = "work", request_body = LinkChangeRequest,
    responses((status = 200, body = LinkView), (status = 400), (status = 403), (status = 404)))]
async fn change_link(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Json(r): Json<LinkChangeRequest>,
) -> Result<Json<LinkView>, ApiError> {
    let l = change_link_by(&s, &caller, id, r).await?;
    Ok(Json(LinkView::new(&l, None)))
}
