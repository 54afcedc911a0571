//! Links and work records: recording work once (with the ledger items it raises),
//! corrections, contact points, coverage, the household-assignment proposal and handover.

use super::access::{Caller, Visibility};
use super::entities::*;
use super::history::{self, Change};
use crate::domain::access::Capability;
use crate::domain::labels::{ActivityKind, HouseholdTag, LinkKind, Role, split_codes};
use crate::domain::policy::{Measure, Policy};
use crate::domain::rules::measure;
use crate::domain::work::{
    self, Activity, ContactLink, DuplicateContact, OpenHousehold, Taker, TemplateStatus,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::StoreError;
pub use crate::domain::labels::ItemSource;

pub fn ledger_zh(code: &str) -> &'static str {
    match code {
        "livelihood" => "民生诉求",
        "hardship" => "困难群众",
        "stability" => "稳定工作",
        _ => "其他",
    }
}

pub fn status_zh(code: &str) -> &'static str {
    match code {
        "registered" => "已登记",
        "assigned" => "已交办",
        "in_progress" => "办理中",
        "escalated" => "已上报",
        "resolved" => "已办结",
        "fed_back" => "已反馈",
        "closed" => "已销号",
        "review" => "复查中",
        "recheck" => "复核中",
        _ => "其他",
    }
}

/// Item statuses that count as solved.
pub const SOLVED: [&str; 3] = ["resolved", "fed_back", "closed"];

/// Matters residents raised during one record.
pub struct Raised {
    pub activity_id: i32,
    pub on: NaiveDate,
    pub source: ItemSource,
    pub targets: Vec<String>,
    pub first_handler: Option<i32>,
    pub matters: Vec<String>,
}

/// Makes each matter a ledger item (民生诉求) of the first household the record names —
/// or of its village when it names no household — owned by the one who heard it.
/// Returns the new items.
pub async fn register_matters<C: ConnectionTrait>(
    db: &C,
    raised: &[Raised],
    clock: &crate::domain::policy::Clock,
    now: DateTime<Utc>,
) -> Result<Vec<ledger_item::Model>, DbErr> {
    if raised.is_empty() {
        return Ok(vec![]);
    }
    let cal = crate::store::rules::calendar(db).await?;
    let codes: HashSet<&str> = raised
        .iter()
        .flat_map(|r| r.targets.iter().map(String::as_str))
        .collect();
    let codes: Vec<String> = codes.into_iter().map(str::to_string).collect();
    let households: HashMap<String, String> = lookup::<household::Entity, _, _>(
        db,
        household::Column::Code,
        household::Column::RegionCode,
        &codes,
    )
    .await?;
    // Of the rest, the region codes (a record may name its village instead of a household).
    let regions = existing::<region::Entity>(db, region::Column::Code, &codes).await?;
    let owners: Vec<i32> = raised.iter().filter_map(|r| r.first_handler).collect();
    let units: HashMap<i32, String> =
        lookup::<person::Entity, _, _>(db, person::Column::Id, person::Column::UnitCode, &owners)
            .await?;
    let mut out = Vec::new();
    let mut log = Vec::new();
    let mut fresh = Vec::new();
    for r in raised {
        let place = r
            .targets
            .iter()
            .find_map(|t| households.get(t).map(|reg| (Some(t.clone()), reg.clone())))
            .or_else(|| {
                r.targets
                    .iter()
                    .find(|t| regions.contains(*t))
                    .map(|t| (None, t.clone()))
            });
        let Some(place) = place else {
            continue;
        };
        for m in &r.matters {
            // `H1001：…` files the matter under the household that raised it.
            let (code, text) = crate::domain::work::matter_household(m);
            let (household_code, region_code) = code
                .filter(|c| r.targets.iter().any(|t| t == c))
                .and_then(|c| {
                    households
                        .get(c)
                        .map(|reg| (Some(c.to_string()), reg.clone()))
                })
                .unwrap_or_else(|| place.clone());
            if text.is_empty() {
                continue;
            }
            fresh.push(ledger_item::ActiveModel {
                id: sea_orm::NotSet,
                ledger: Set("livelihood".into()),
                household_code: Set(household_code),
                region_code: Set(region_code),
                source: Set(r.source.code().into()),
                activity_id: Set(Some(r.activity_id)),
                matter: Set(text.to_string()),
                status: Set("registered".into()),
                level: Set("village".into()),
                owner_person_id: Set(r.first_handler),
                owner_unit_code: Set(r.first_handler.and_then(|o| units.get(&o).cloned())),
                registered_on: Set(r.on),
                deadline: Set(Some(crate::domain::ledger::deadline(
                    &cal,
                    r.on,
                    clock.days,
                    clock.count,
                ))),
                closed_on: Set(None),
                clock: Set(r.source.clock().into()),
                feedback_token: Set(Some(crate::store::ledger::new_token())),
                ..Default::default()
            });
        }
    }
    if fresh.is_empty() {
        return Ok(out);
    }
    // Inserted in batches; read back (newer than any item before, of these records) for the history.
    // The newest id by the key's order (not `MAX(id)`: a column with its table reads as the
    // same type on every connection, see `store::quick`).
    let before: Option<i32> = ledger_item::Entity::find()
        .select_only()
        .column(ledger_item::Column::Id)
        .order_by_desc(ledger_item::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    for chunk in fresh.chunks(500) {
        ledger_item::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let ids: Vec<i32> = raised.iter().map(|r| r.activity_id).collect();
    for chunk in ids.chunks(900) {
        out.extend(
            ledger_item::Entity::find()
                .filter(ledger_item::Column::ActivityId.is_in(chunk.to_vec()))
                .filter(ledger_item::Column::Id.gt(before.unwrap_or(0)))
                .order_by_asc(ledger_item::Column::Id)
                .all(db)
                .await?,
        );
    }
    for item in &out {
        log.push(Change {
            entity: "ledger_item",
            entity_key: item.id.to_string(),
            action: "create",
            changes: history::diff(None, &serde_json::to_value(item).unwrap_or_default()),
        });
    }
    history::append(db, "系统（由工作记录生成）", now, log).await?;
    crate::store::ledger::log_registered(db, &out, "系统（由工作记录生成）", now).await?;
    Ok(out)
}

/// What recording (or correcting) a piece of work did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub activity_id: i32,
    /// The same submission had already been recorded: nothing new was written.
    pub duplicate: bool,
    /// Ledger items raised by this submission.
    pub items: Vec<i32>,
    /// Participants beyond the author's reach, masked: the record counts for them once they
    /// confirm it.
    pub invited: Vec<String>,
    pub warnings: Vec<String>,
}

fn form_fingerprint(client_key: &str) -> String {
    super::access::sha256_hex(&format!("form|{client_key}"))[..32].to_string()
}

/// Of the people a record names, those beyond its author's reach. An author who does not
/// assign links reaches themselves, colleagues of their own unit, people of their own town or
/// street (the town's 包村干部 on a joint visit) and people they can see; anyone else (a county
/// leader, another town's cadre) must confirm before the record counts for them.
async fn beyond_reach<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    people: &[person::Model],
) -> Result<HashSet<i32>, StoreError> {
    if caller.can(Capability::ManageLinks) {
        return Ok(HashSet::new());
    }
    let me = match caller.person_id {
        Some(id) => person::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let others: Vec<&person::Model> = people
        .iter()
        .filter(|p| Some(p.id) != caller.person_id)
        .filter(|p| me.as_ref().is_none_or(|m| m.unit_code != p.unit_code))
        .collect();
    if others.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<i32> = others.iter().map(|p| p.id).collect();
    let seen = crate::store::registry::visible_people(db, &ids, &caller.visibility()).await?;
    // The author's town: the first two levels of their region's path.
    let mut codes: Vec<String> = others
        .iter()
        .filter_map(|p| p.region_code.clone())
        .collect();
    codes.extend(me.as_ref().and_then(|m| m.region_code.clone()));
    let paths: HashMap<String, String> =
        lookup::<region::Entity, _, _>(db, region::Column::Code, region::Column::Path, &codes)
            .await?;
    let town = me
        .as_ref()
        .and_then(|m| m.region_code.as_ref())
        .and_then(|c| paths.get(c))
        .and_then(|p| crate::store::registry::town_of(p))
        .map(|(_, prefix)| prefix);
    let in_town = |p: &person::Model| {
        town.as_ref().is_some_and(|t| {
            p.region_code
                .as_ref()
                .and_then(|c| paths.get(c))
                .is_some_and(|path| path.starts_with(t.as_str()))
        })
    };
    Ok(others
        .iter()
        .filter(|p| !seen.contains(&p.id) && !in_town(p))
        .map(|p| p.id)
        .collect())
}

/// The people a record names: those it counts for now, and the ID numbers invited to confirm.
struct Named {
    people: Vec<person::Model>,
    invited: Vec<String>,
}

/// Resolves a record's participants. People beyond the author's reach are invited by ID number
/// instead of counted, and so is an ID number nobody in the registry holds: the author learns
/// nothing from naming one (an author who assigns links sees everyone and is told it is
/// unknown). `kept` are people already confirmed on the record being corrected.
async fn name_participants<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    r: &Activity,
    kept: &[i32],
) -> Result<Named, StoreError> {
    let (found, unknown) = resolve_people(db, &r.participants, &r.participant_ids).await?;
    if caller.can(Capability::ManageLinks) {
        if !unknown.is_empty() {
            let masked: Vec<String> = unknown
                .iter()
                .map(|i| crate::domain::ids::mask_id_number(i))
                .collect();
            return Err(StoreError::Invalid(format!(
                "参加人：{} 不在名册中",
                masked.join("、")
            )));
        }
        return Ok(Named {
            people: found,
            invited: vec![],
        });
    }
    let beyond = beyond_reach(db, caller, &found).await?;
    let mut invited: Vec<String> = Vec::new();
    let mut people = Vec::new();
    for p in found {
        if beyond.contains(&p.id) && !kept.contains(&p.id) {
            invited.push(p.id_number);
        } else {
            people.push(p);
        }
    }
    // Nobody holds these, so none is among the people found above.
    invited.extend(unknown);
    Ok(Named { people, invited })
}

fn masked_all(ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|i| crate::domain::ids::mask_id_number(i))
        .collect()
}

/// The record's own warnings, and a note on the people invited to confirm it.
fn warnings(r: &Activity, policy: &Policy, invited: &[String]) -> Vec<String> {
    let mut out = r.warnings(policy);
    if !invited.is_empty() {
        out.push(format!(
            "参加人 {} 不在您的范围内：已请其本人确认，确认后才计入其工作",
            masked_all(invited).join("、")
        ));
    }
    out
}

/// Adds invitations not yet on the record (those already there keep their day).
async fn write_invitations<C: ConnectionTrait>(
    db: &C,
    id: i32,
    invited: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if invited.is_empty() {
        return Ok(());
    }
    let there: HashSet<String> = activity_invitation::Entity::find()
        .select_only()
        .column(activity_invitation::Column::IdNumber)
        .filter(activity_invitation::Column::ActivityId.eq(id))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let fresh: Vec<activity_invitation::ActiveModel> = invited
        .iter()
        .filter(|i| !there.contains(*i))
        .map(|i| activity_invitation::ActiveModel {
            activity_id: Set(id),
            id_number: Set(i.clone()),
            invited_at: Set(now),
        })
        .collect();
    if !fresh.is_empty() {
        activity_invitation::Entity::insert_many(fresh)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The people behind the chosen ids and typed ID numbers, in the form's order, and the typed
/// ID numbers nobody holds.
async fn resolve_people<C: ConnectionTrait>(
    db: &C,
    ids: &[crate::domain::ids::IdNumber],
    person_ids: &[i32],
) -> Result<(Vec<person::Model>, Vec<String>), StoreError> {
    let raw: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
    let mut found = person::Entity::find()
        .filter(person::Column::IdNumber.is_in(raw.clone()))
        .all(db)
        .await?;
    let by_id = person::Entity::find()
        .filter(person::Column::Id.is_in(person_ids.to_vec()))
        .all(db)
        .await?;
    if by_id.len() != person_ids.len() {
        return Err(StoreError::Invalid(
            "参加人：所选人员已不在名册中，请刷新页面".into(),
        ));
    }
    let mut missing: Vec<String> = Vec::new();
    for i in ids {
        if !found.iter().any(|p| p.id_number == i.as_str())
            && !missing.iter().any(|m| m == i.as_str())
        {
            missing.push(i.as_str().to_string());
        }
    }
    // Keep the order the form gave: chosen colleagues first, then typed ID numbers.
    let mut out: Vec<person::Model> = person_ids
        .iter()
        .filter_map(|id| by_id.iter().find(|p| p.id == *id).cloned())
        .collect();
    for r in &raw {
        if let Some(i) = found.iter().position(|p| p.id_number == *r) {
            let p = found.swap_remove(i);
            if !out.iter().any(|o| o.id == p.id) {
                out.push(p);
            }
        }
    }
    Ok((out, missing))
}

/// Checks that every target exists and that household targets are within what the caller sees.
/// Checks that every target exists within the caller's reach; answers the targets that are
/// households, in the order given.
async fn check_targets<C: ConnectionTrait>(
    db: &C,
    vis: &Visibility,
    targets: &[String],
) -> Result<Vec<String>, StoreError> {
    if targets.is_empty() {
        return Ok(vec![]);
    }
    let hh: HashSet<String> = household::Entity::find()
        .select_only()
        .column(household::Column::Code)
        .filter(household::Column::Code.is_in(targets.to_vec()))
        .filter(vis.households())
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let rest: Vec<String> = targets
        .iter()
        .filter(|t| !hh.contains(*t))
        .cloned()
        .collect();
    let regions = existing::<region::Entity>(db, region::Column::Code, &rest).await?;
    let units = existing::<unit::Entity>(db, unit::Column::Code, &rest).await?;
    // People named as targets: only those within reach (an ID number outside it is answered
    // like an unknown one, so that a record cannot test who is in the registry).
    let people: HashSet<String> = person::Entity::find()
        .select_only()
        .column(person::Column::IdNumber)
        .filter(person::Column::IdNumber.is_in(rest.clone()))
        .filter(vis.people())
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let unknown: Vec<String> = rest
        .into_iter()
        .filter(|t| !regions.contains(t) && !units.contains(t) && !people.contains(t))
        .map(|t| crate::domain::ids::shown_code(&t))
        .collect();
    if unknown.is_empty() {
        Ok(targets
            .iter()
            .filter(|t| hh.contains(*t))
            .cloned()
            .collect())
    } else {
        Err(StoreError::Invalid(format!(
            "对象：{} 不存在或不在您的范围内（应为户编号、区划代码、单位代码或身份证号）",
            unknown.join("、")
        )))
    }
}

fn activity_model(r: &Activity, fingerprint: String) -> activity::Model {
    activity::Model {
        id: 0,
        fingerprint,
        start_date: r.start,
        end_date: r.end,
        kind: r.kind.code().into(),
        companions: r.companions,
        hours: r.hours,
        notes: r.notes.clone(),
        matters: r.matters.join("\n"),
        author_account_id: None,
        author_person_id: None,
        recorded_at: None,
        aid: r.aid.clone(),
        aid_value: r.aid_value,
    }
}

/// The record's full state for its history: fields, participants and targets.
fn activity_state(
    a: &activity::Model,
    people: &[person::Model],
    invited: &[String],
    targets: &[String],
) -> serde_json::Value {
    let mut v = serde_json::to_value(a).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        for k in [
            "id",
            "fingerprint",
            "author_account_id",
            "author_person_id",
            "recorded_at",
        ] {
            o.remove(k);
        }
        let mut names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        o.insert("participants".into(), names.join("、").into());
        let mut waiting = masked_all(invited);
        waiting.sort_unstable();
        o.insert("invited".into(), waiting.join("、").into());
        let mut t: Vec<&str> = targets.iter().map(String::as_str).collect();
        t.sort_unstable();
        o.insert("targets".into(), t.join("、").into());
    }
    v
}

async fn write_links<C: ConnectionTrait>(
    db: &C,
    id: i32,
    people: &[person::Model],
    targets: &[String],
) -> Result<(), DbErr> {
    activity_participant::Entity::delete_many()
        .filter(activity_participant::Column::ActivityId.eq(id))
        .exec(db)
        .await?;
    activity_target::Entity::delete_many()
        .filter(activity_target::Column::ActivityId.eq(id))
        .exec(db)
        .await?;
    if !people.is_empty() {
        activity_participant::Entity::insert_many(people.iter().map(|p| {
            activity_participant::ActiveModel {
                activity_id: Set(id),
                person_id: Set(p.id),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !targets.is_empty() {
        activity_target::Entity::insert_many(targets.iter().map(|t| {
            activity_target::ActiveModel {
                activity_id: Set(id),
                target_code: Set(t.clone()),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

async fn existing_by_key(db: &DatabaseConnection, fp: &str) -> Result<Option<i32>, DbErr> {
    Ok(activity::Entity::find()
        .filter(activity::Column::Fingerprint.eq(fp))
        .one(db)
        .await?
        .map(|a| a.id))
}

/// Records a piece of work once for everyone who took part; each matter raised becomes a
/// ledger item. Sending the same `client_key` again changes nothing and answers with the
/// record already made.
pub async fn record(
    db: &DatabaseConnection,
    policy: &Policy,
    caller: &Caller,
    r: Activity,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    if !caller.can(Capability::RecordWork) {
        return Err(StoreError::Forbidden("您的角色不能记录工作".into()));
    }
    let fp = form_fingerprint(&r.client_key);
    if let Some(id) = existing_by_key(db, &fp).await? {
        return Ok(Recorded {
            activity_id: id,
            duplicate: true,
            items: vec![],
            invited: vec![],
            warnings: vec![],
        });
    }
    let Named { people, invited } = name_participants(db, caller, &r, &[]).await?;
    if !caller.can(Capability::ManageLinks)
        && !people.iter().any(|p| Some(p.id) == caller.person_id)
    {
        return Err(StoreError::Forbidden(
            "只能记录本人参加的工作（参加人中须有您本人）".into(),
        ));
    }
    let households = check_targets(db, &caller.visibility(), &r.targets).await?;
    crate::domain::work::attribute_matters(r.kind, &r.matters, &households)
        .map_err(StoreError::Invalid)?;
    if !r.matters.is_empty() {
        let places = region::Entity::find()
            .filter(region::Column::Code.is_in(r.targets.clone()))
            .count(db)
            .await?
            + household::Entity::find()
                .filter(household::Column::Code.is_in(r.targets.clone()))
                .count(db)
                .await?;
        if places == 0 {
            return Err(StoreError::Invalid(
                "反映事项：须有走访对象（户或村、社区），才能记入台账".into(),
            ));
        }
    }

    let txn = db.begin().await?;
    let mut m = activity_model(&r, fp.clone());
    m.author_account_id = Some(caller.account_id).filter(|a| *a > 0);
    m.author_person_id = caller.person_id;
    m.recorded_at = Some(now);
    let mut am = m.into_active_model().reset_all();
    am.id = sea_orm::NotSet;
    let saved = match am.insert(&txn).await {
        Ok(a) => a,
        Err(e) => {
            // A second submission of the same form racing the first: answer like a duplicate.
            drop(txn);
            if let Some(id) = existing_by_key(db, &fp).await? {
                return Ok(Recorded {
                    activity_id: id,
                    duplicate: true,
                    items: vec![],
                    invited: vec![],
                    warnings: vec![],
                });
            }
            return Err(e.into());
        }
    };
    write_links(&txn, saved.id, &people, &r.targets).await?;
    write_invitations(&txn, saved.id, &invited, now).await?;
    let items = register_matters(
        &txn,
        &[Raised {
            activity_id: saved.id,
            on: r.start,
            source: ItemSource::Visit,
            targets: r.targets.clone(),
            first_handler: people.first().map(|p| p.id),
            matters: r.matters.clone(),
        }],
        &policy.ledger.item,
        now,
    )
    .await?;
    // Ticked “card delivered”: the households' current cards reached them on the visit's day.
    let mut undelivered = Vec::new();
    if r.card_delivered {
        let delivery = crate::store::cards::Delivery {
            on: r.start,
            by: &caller.display_name,
            activity: Some(saved.id),
            recipient: None,
        };
        let holder = crate::domain::cards::Holder::Household;
        crate::store::cards::deliver(&txn, holder, &households, &delivery, now).await?;
        undelivered = crate::store::cards::without_card(&txn, &households, r.start).await?;
    }
    history::append(
        &txn,
        &caller.username,
        now,
        vec![Change {
            entity: "activity",
            entity_key: saved.id.to_string(),
            action: "create",
            changes: history::diff(None, &activity_state(&saved, &people, &invited, &r.targets)),
        }],
    )
    .await?;
    txn.commit().await?;
    let mut warnings = warnings(&r, policy, &invited);
    if !undelivered.is_empty() {
        warnings.push(format!(
            "{}还没有印制亲情卡，未记为已送达：请先在“连心卡”页面印制",
            undelivered.join("、")
        ));
    }
    Ok(Recorded {
        activity_id: saved.id,
        duplicate: false,
        items: items.iter().map(|i| i.id).collect(),
        invited: masked_all(&invited),
        warnings,
    })
}

/// A record with everyone and everything it names.
#[derive(Debug, Clone)]
pub struct ActivityDetail {
    pub activity: activity::Model,
    pub participants: Vec<person::Model>,
    /// ID numbers invited to confirm (unmasked: for the store's checks only).
    pub invited: Vec<String>,
    pub targets: Vec<String>,
    pub items: Vec<ledger_item::Model>,
}

pub async fn activity_detail(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<ActivityDetail>, DbErr> {
    let Some(a) = activity::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let pids: Vec<i32> = activity_participant::Entity::find()
        .filter(activity_participant::Column::ActivityId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.person_id)
        .collect();
    let participants = person::Entity::find()
        .filter(person::Column::Id.is_in(pids))
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    let targets = activity_target::Entity::find()
        .filter(activity_target::Column::ActivityId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.target_code)
        .collect();
    let items = ledger_item::Entity::find()
        .filter(ledger_item::Column::ActivityId.eq(id))
        .order_by_asc(ledger_item::Column::Id)
        .all(db)
        .await?;
    let invited = activity_invitation::Entity::find()
        .filter(activity_invitation::Column::ActivityId.eq(id))
        .order_by_asc(activity_invitation::Column::InvitedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.id_number)
        .collect();
    Ok(Some(ActivityDetail {
        activity: a,
        participants,
        invited,
        targets,
        items,
    }))
}

/// Whether this caller may correct this record now, and if not, why.
pub fn may_correct(
    policy: &Policy,
    caller: &Caller,
    a: &activity::Model,
    now: DateTime<Utc>,
) -> Result<(), String> {
    if caller.can(Capability::ManageLinks) {
        return Ok(());
    }
    let days = policy.work.correction_days;
    match (a.author_account_id, a.recorded_at) {
        (Some(author), Some(at)) if author == caller.account_id => {
            if now <= at + Duration::days(days as i64) {
                Ok(())
            } else {
                Err(format!("记录已超过{days}天的更正期限，请联系党政办更正"))
            }
        }
        _ => Err("只有记录人本人（在更正期限内）或党政办可以更正".into()),
    }
}

/// Corrects a record; the change is kept in its history. New matters become new items;
/// items already raised stay (they are closed through the ledger, not by editing the record).
pub async fn correct(
    db: &DatabaseConnection,
    policy: &Policy,
    caller: &Caller,
    id: i32,
    r: Activity,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    let Some(old) = activity_detail(db, id).await? else {
        return Err(StoreError::NotFound("工作记录".into()));
    };
    may_correct(policy, caller, &old.activity, now).map_err(StoreError::Forbidden)?;
    let kept: Vec<i32> = old.participants.iter().map(|p| p.id).collect();
    let Named { people, invited } = name_participants(db, caller, &r, &kept).await?;
    // A correction keeps its author in it: it cannot be moved into other people's names only.
    if !caller.can(Capability::ManageLinks)
        && !people.iter().any(|p| Some(p.id) == caller.person_id)
    {
        return Err(StoreError::Forbidden(
            "只能更正本人参加的工作（参加人中须有您本人）".into(),
        ));
    }
    let mut awaiting = old.invited.clone();
    awaiting.extend(invited.iter().filter(|i| !old.invited.contains(i)).cloned());
    let households = check_targets(db, &caller.visibility(), &r.targets).await?;
    crate::domain::work::attribute_matters(r.kind, &r.matters, &households)
        .map_err(StoreError::Invalid)?;
    let txn = db.begin().await?;
    let mut m = activity_model(&r, old.activity.fingerprint.clone());
    m.id = id;
    m.author_account_id = old.activity.author_account_id;
    m.author_person_id = old.activity.author_person_id;
    m.recorded_at = old.activity.recorded_at;
    let new_matters: Vec<String> = r
        .matters
        .iter()
        .filter(|x| !old.activity.matters.lines().any(|o| o == x.as_str()))
        .cloned()
        .collect();
    let before = activity_state(&old.activity, &old.participants, &old.invited, &old.targets);
    let after = activity_state(&m, &people, &awaiting, &r.targets);
    let saved = m.into_active_model().reset_all().update(&txn).await?;
    write_links(&txn, id, &people, &r.targets).await?;
    write_invitations(&txn, id, &invited, now).await?;
    let items = register_matters(
        &txn,
        &[Raised {
            activity_id: id,
            on: r.start,
            source: ItemSource::Visit,
            targets: r.targets.clone(),
            first_handler: people.first().map(|p| p.id),
            matters: new_matters,
        }],
        &policy.ledger.item,
        now,
    )
    .await?;
    history::append(
        &txn,
        &caller.username,
        now,
        vec![Change {
            entity: "activity",
            entity_key: saved.id.to_string(),
            action: "update",
            changes: history::diff(Some(&before), &after),
        }],
    )
    .await?;
    txn.commit().await?;
    let warnings = warnings(&r, policy, &invited);
    Ok(Recorded {
        activity_id: id,
        duplicate: false,
        items: items.iter().map(|i| i.id).collect(),
        invited: masked_all(&awaiting),
        warnings,
    })
}

/// A record that names the caller beyond its author's reach, waiting for their answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Invitation {
    pub activity_id: i32,
    pub kind_zh: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Who recorded it, by name.
    pub author: Option<String>,
    pub notes: Option<String>,
    pub invited_at: DateTime<Utc>,
}

/// At most this many invitations are listed at once (the oldest first).
pub const INVITATIONS_SHOWN: u64 = 100;

/// The records waiting for this person's confirmation, oldest first.
pub async fn invitations_for(
    db: &impl ConnectionTrait,
    me: &person::Model,
) -> Result<Vec<Invitation>, DbErr> {
    let rows = activity_invitation::Entity::find()
        .filter(activity_invitation::Column::IdNumber.eq(me.id_number.as_str()))
        .order_by_asc(activity_invitation::Column::InvitedAt)
        .order_by_asc(activity_invitation::Column::ActivityId)
        .limit(INVITATIONS_SHOWN)
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.activity_id).collect();
    let records: HashMap<i32, activity::Model> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let authors: Vec<i32> = records
        .values()
        .filter_map(|a| a.author_person_id)
        .collect();
    let names: HashMap<i32, String> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::Name)
        .filter(person::Column::Id.is_in(authors))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let a = records.get(&r.activity_id)?;
            Some(Invitation {
                activity_id: a.id,
                kind_zh: ActivityKind::from_code(&a.kind)
                    .map(|k| k.zh())
                    .unwrap_or("工作")
                    .into(),
                start_date: a.start_date,
                end_date: a.end_date,
                author: a.author_person_id.and_then(|p| names.get(&p).cloned()),
                notes: a.notes.clone(),
                invited_at: r.invited_at,
            })
        })
        .collect())
}

/// Whether `me` is invited to confirm this record.
pub async fn is_invited(
    db: &impl ConnectionTrait,
    id: i32,
    me: &person::Model,
) -> Result<bool, DbErr> {
    Ok(
        activity_invitation::Entity::find_by_id((id, me.id_number.clone()))
            .one(db)
            .await?
            .is_some(),
    )
}

/// The invited person answers: confirmed, the record counts for them from now on (as a
/// participant); declined, they are not in it. Either way the invitation is gone and the
/// answer is in the record's history.
pub async fn answer_invitation(
    db: &DatabaseConnection,
    caller: &Caller,
    me: &person::Model,
    id: i32,
    accept: bool,
    now: DateTime<Utc>,
) -> Result<ActivityDetail, StoreError> {
    let txn = db.begin().await?;
    if !is_invited(&txn, id, me).await? {
        return Err(StoreError::NotFound("待您确认的这条工作记录".into()));
    }
    let Some(old) = activity_detail(&txn, id).await? else {
        return Err(StoreError::NotFound("工作记录".into()));
    };
    activity_invitation::Entity::delete_by_id((id, me.id_number.clone()))
        .exec(&txn)
        .await?;
    if accept && !old.participants.iter().any(|p| p.id == me.id) {
        activity_participant::Entity::insert(activity_participant::ActiveModel {
            activity_id: Set(id),
            person_id: Set(me.id),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    let new = activity_detail(&txn, id)
        .await?
        .ok_or(StoreError::NotFound("工作记录".into()))?;
    history::append(
        &txn,
        &caller.username,
        now,
        vec![Change {
            entity: "activity",
            entity_key: id.to_string(),
            action: if accept { "confirm" } else { "decline" },
            changes: history::diff(
                Some(&activity_state(
                    &old.activity,
                    &old.participants,
                    &old.invited,
                    &old.targets,
                )),
                &activity_state(&new.activity, &new.participants, &new.invited, &new.targets),
            ),
        }],
    )
    .await?;
    txn.commit().await?;
    Ok(new)
}

/// Links active on `day`: of its year, started, not ended.
pub fn active_on(day: NaiveDate) -> Condition {
    Condition::all()
        .add(link::Column::Year.eq(day.year()))
        .add(
            Condition::any()
                .add(link::Column::StartDate.is_null())
                .add(link::Column::StartDate.lte(day)),
        )
        .add(
            Condition::any()
                .add(link::Column::EndDate.is_null())
                .add(link::Column::EndDate.gte(day)),
        )
}

fn roles_of(p: &person::Model) -> Vec<Role> {
    split_codes(&p.roles)
        .into_iter()
        .filter_map(Role::from_code)
        .collect()
}

/// A person's contact points of the year against the templates that bind them.
pub async fn contact_status(
    db: &impl ConnectionTrait,
    policy: &Policy,
    p: &person::Model,
    day: NaiveDate,
) -> Result<Vec<TemplateStatus>, DbErr> {
    let links: Vec<(LinkKind, String)> = link::Entity::find()
        .filter(link::Column::PersonId.eq(p.id))
        .filter(active_on(day))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| Some((LinkKind::from_code(&l.kind)?, l.target_code)))
        .collect();
    Ok(work::contact_templates(policy, &roles_of(p), &links))
}

/// Targets that two leaders of one tier both hold as a contact point this year (LXD-4),
/// optionally only those involving one person.
pub async fn duplicate_contacts(
    db: &impl ConnectionTrait,
    policy: &Policy,
    day: NaiveDate,
    only: Option<i32>,
) -> Result<Vec<(DuplicateContact, Vec<person::Model>)>, DbErr> {
    let links = link::Entity::find()
        .filter(link::Column::Kind.starts_with("contact_"))
        .filter(link::Column::PersonId.is_not_null())
        .filter(active_on(day))
        .all(db)
        .await?;
    let targets: Option<HashSet<String>> = only.map(|pid| {
        links
            .iter()
            .filter(|l| l.person_id == Some(pid))
            .map(|l| l.target_code.clone())
            .collect()
    });
    let links: Vec<link::Model> = links
        .into_iter()
        .filter(|l| targets.as_ref().is_none_or(|t| t.contains(&l.target_code)))
        .collect();
    let pids: Vec<i32> = links.iter().filter_map(|l| l.person_id).collect();
    let people: HashMap<i32, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(pids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let contact: Vec<ContactLink> = links
        .iter()
        .filter_map(|l| {
            let p = people.get(&l.person_id?)?;
            Some(ContactLink {
                person_id: p.id,
                roles: roles_of(p),
                kind: LinkKind::from_code(&l.kind)?,
                target_code: l.target_code.clone(),
            })
        })
        .collect();
    Ok(work::duplicate_contacts(policy, &contact)
        .into_iter()
        .filter(|d| only.is_none_or(|pid| d.person_ids.contains(&pid)))
        .map(|d| {
            let who = d
                .person_ids
                .iter()
                .filter_map(|id| people.get(id).cloned())
                .collect();
            (d, who)
        })
        .collect())
}

/// The link kinds that cover a household (LH-1), from the policy.
pub fn coverage_kinds(policy: &Policy) -> Vec<String> {
    policy
        .rules
        .iter()
        .find_map(|r| match &r.measure {
            Measure::HouseholdCoverage(measure::household_coverage::HouseholdCoverage {
                link_kinds,
                ..
            }) => Some(link_kinds.iter().map(|k| k.code().to_string()).collect()),
            _ => None,
        })
        .unwrap_or_else(|| vec![LinkKind::HouseholdLink.code().to_string()])
}

/// Household codes with a covering link active on `day`.
async fn covered(
    db: &impl ConnectionTrait,
    policy: &Policy,
    day: NaiveDate,
) -> Result<HashSet<String>, DbErr> {
    Ok(link::Entity::find()
        .select_only()
        .column(link::Column::TargetCode)
        .filter(link::Column::Kind.is_in(coverage_kinds(policy)))
        .filter(active_on(day))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageRow {
    pub region_code: String,
    pub region_name: String,
    pub households: usize,
    pub linked: usize,
    pub unlinked: usize,
}

/// Coverage of household links under a region, one row per child region (LH-1).
pub async fn coverage(
    db: &impl ConnectionTrait,
    policy: &Policy,
    root: &region::Model,
    day: NaiveDate,
) -> Result<Vec<CoverageRow>, DbErr> {
    let regions = region::Entity::find()
        .filter(region::Column::Path.starts_with(&root.path))
        .all(db)
        .await?;
    let depth = root.path.matches('/').count();
    // Which child of the root each region falls under (the root itself for its own households).
    let child_of: HashMap<&str, &str> = regions
        .iter()
        .map(|r| {
            let child = r
                .path
                .split('/')
                .filter(|s| !s.is_empty())
                .nth(depth - 1)
                .unwrap_or(&root.code);
            (r.code.as_str(), child)
        })
        .collect();
    let names: HashMap<&str, &str> = regions
        .iter()
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let households: Vec<(String, String)> = household::Entity::find()
        .select_only()
        .column(household::Column::Code)
        .column(household::Column::RegionCode)
        .filter(
            household::Column::RegionCode.in_subquery(
                Query::select()
                    .column(region::Column::Code)
                    .from(region::Entity)
                    .and_where(region::Column::Path.starts_with(&root.path))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    let linked = covered(db, policy, day).await?;
    let mut rows: BTreeMap<&str, CoverageRow> = BTreeMap::new();
    for (code, region) in &households {
        let child = child_of.get(region.as_str()).copied().unwrap_or(&root.code);
        let row = rows.entry(child).or_insert_with(|| CoverageRow {
            region_code: child.to_string(),
            region_name: names.get(child).copied().unwrap_or("").to_string(),
            households: 0,
            linked: 0,
            unlinked: 0,
        });
        row.households += 1;
        if linked.contains(code) {
            row.linked += 1;
        } else {
            row.unlinked += 1;
        }
    }
    Ok(rows.into_values().collect())
}

/// Households under a region without a covering link on `day`.
pub async fn unlinked(
    db: &impl ConnectionTrait,
    policy: &Policy,
    root: &region::Model,
    day: NaiveDate,
) -> Result<Vec<household::Model>, DbErr> {
    let linked = covered(db, policy, day).await?;
    Ok(households_under(db, root)
        .await?
        .into_iter()
        .filter(|h| !linked.contains(&h.code))
        .collect())
}

async fn households_under(
    db: &impl ConnectionTrait,
    root: &region::Model,
) -> Result<Vec<household::Model>, DbErr> {
    household::Entity::find()
        .filter(
            household::Column::RegionCode.in_subquery(
                Query::select()
                    .column(region::Column::Code)
                    .from(region::Entity)
                    .and_where(region::Column::Path.starts_with(&root.path))
                    .to_owned(),
            ),
        )
        .order_by_asc(household::Column::Code)
        .all(db)
        .await
}

/// A cadre the proposal may give households to, with the weight the policy gives their role.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub person_id: i32,
    pub name: String,
    pub post: Option<String>,
    pub weight: f64,
    pub load: usize,
    pub hardship_load: usize,
}

/// The households of a region still to be linked, and the cadres who serve there.
pub struct ProposalInput {
    pub households: Vec<OpenHousehold>,
    pub candidates: Vec<Candidate>,
}

pub async fn proposal_input(
    db: &impl ConnectionTrait,
    policy: &Policy,
    root: &region::Model,
    day: NaiveDate,
) -> Result<ProposalInput, DbErr> {
    let linked = covered(db, policy, day).await?;
    let regions = region::Entity::find()
        .filter(region::Column::Path.starts_with(&root.path))
        .all(db)
        .await?;
    let level: HashMap<&str, &str> = regions
        .iter()
        .map(|r| (r.code.as_str(), r.level.as_str()))
        .collect();
    let all = households_under(db, root).await?;
    let households: Vec<OpenHousehold> = all
        .iter()
        .filter(|h| !linked.contains(&h.code))
        .map(|h| OpenHousehold {
            code: h.code.clone(),
            // A household directly in a village forms a group of its own village.
            group: if level.get(h.region_code.as_str()) == Some(&"group") {
                h.region_code.clone()
            } else {
                format!("{}*", h.region_code)
            },
            hardship: split_codes(&h.tags)
                .into_iter()
                .filter_map(HouseholdTag::from_code)
                .any(HouseholdTag::is_hardship),
        })
        .collect();
    let codes: Vec<String> = regions.iter().map(|r| r.code.clone()).collect();
    let people = person::Entity::find()
        .filter(
            Condition::any()
                .add(person::Column::RegionCode.is_in(codes.clone()))
                .add(
                    person::Column::UnitCode.in_subquery(
                        Query::select()
                            .column(unit::Column::Code)
                            .from(unit::Entity)
                            .and_where(unit::Column::RegionCode.is_in(codes))
                            .to_owned(),
                    ),
                ),
        )
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    let mut candidates: Vec<Candidate> = people
        .iter()
        .filter_map(|p| {
            Some(Candidate {
                person_id: p.id,
                name: p.name.clone(),
                post: p.post.clone(),
                weight: policy.assignment.weight(&roles_of(p))?,
                load: 0,
                hardship_load: 0,
            })
        })
        .collect();
    // Households these cadres already link (anywhere), hardship ones counted apart.
    let ids: Vec<i32> = candidates.iter().map(|c| c.person_id).collect();
    let mut loads: HashMap<i32, (usize, usize)> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(Option<i32>, String)> = link::Entity::find()
            .select_only()
            .column(link::Column::PersonId)
            .column(link::Column::TargetCode)
            .filter(link::Column::PersonId.is_in(chunk.to_vec()))
            .filter(link::Column::Kind.is_in(coverage_kinds(policy)))
            .filter(active_on(day))
            .into_tuple()
            .all(db)
            .await?;
        let codes: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
        let mut hard = HashSet::new();
        for c in codes.chunks(900) {
            let tagged: Vec<(String, String)> = household::Entity::find()
                .select_only()
                .column(household::Column::Code)
                .column(household::Column::Tags)
                .filter(household::Column::Code.is_in(c.to_vec()))
                .into_tuple()
                .all(db)
                .await?;
            hard.extend(tagged.into_iter().filter_map(|(code, tags)| {
                split_codes(&tags)
                    .into_iter()
                    .filter_map(HouseholdTag::from_code)
                    .any(HouseholdTag::is_hardship)
                    .then_some(code)
            }));
        }
        for (pid, code) in rows {
            if let Some(pid) = pid {
                let e = loads.entry(pid).or_default();
                e.0 += 1;
                if hard.contains(&code) {
                    e.1 += 1;
                }
            }
        }
    }
    for c in &mut candidates {
        let (l, h) = loads.get(&c.person_id).copied().unwrap_or_default();
        c.load = l;
        c.hardship_load = h;
    }
    Ok(ProposalInput {
        households,
        candidates,
    })
}

/// Proposes a cadre for every unlinked household of the region (nothing is written).
pub fn propose(input: &ProposalInput, weights: &HashMap<i32, f64>) -> Vec<(String, i32)> {
    let takers: Vec<Taker> = input
        .candidates
        .iter()
        .map(|c| Taker {
            person_id: c.person_id,
            weight: weights.get(&c.person_id).copied().unwrap_or(c.weight),
            load: c.load,
            hardship_load: c.hardship_load,
        })
        .filter(|t| t.weight > 0.0)
        .collect();
    work::propose(&input.households, &takers)
}

/// Writes confirmed household links (联户) for the year, in one transaction. A household
/// linked meanwhile, or outside the caller's scope, stops the whole confirmation.
pub async fn confirm_links(
    db: &DatabaseConnection,
    policy: &Policy,
    caller: &Caller,
    pairs: &[(String, i32)],
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if !caller.can(Capability::ManageLinks) {
        return Err(StoreError::Forbidden(
            "只有党政办、组织部门可以确认联户安排".into(),
        ));
    }
    let vis = caller.visibility_for(Capability::ManageLinks);
    let codes: Vec<String> = pairs.iter().map(|p| p.0.clone()).collect();
    let mut visible = HashSet::new();
    for c in codes.chunks(900) {
        let v: Vec<String> = household::Entity::find()
            .select_only()
            .column(household::Column::Code)
            .filter(household::Column::Code.is_in(c.to_vec()))
            .filter(vis.households())
            .into_tuple()
            .all(db)
            .await?;
        visible.extend(v);
    }
    let outside: Vec<&str> = codes
        .iter()
        .filter(|c| !visible.contains(*c))
        .map(String::as_str)
        .collect();
    if !outside.is_empty() {
        return Err(StoreError::Invalid(format!(
            "以下户不存在或不在您的范围内：{}",
            outside
                .iter()
                .take(10)
                .copied()
                .collect::<Vec<_>>()
                .join("、")
        )));
    }
    let linked = covered(db, policy, day).await?;
    let taken: Vec<&str> = codes
        .iter()
        .filter(|c| linked.contains(*c))
        .map(String::as_str)
        .collect();
    if !taken.is_empty() {
        return Err(StoreError::Invalid(format!(
            "以下户在此期间已有联户干部，请重新生成方案：{}",
            taken
                .iter()
                .take(10)
                .copied()
                .collect::<Vec<_>>()
                .join("、")
        )));
    }
    let pids: HashSet<i32> = pairs.iter().map(|p| p.1).collect();
    let found = person::Entity::find()
        .filter(person::Column::Id.is_in(pids.iter().copied().collect::<Vec<_>>()))
        .count(db)
        .await?;
    if found != pids.len() as u64 {
        return Err(StoreError::Invalid(
            "方案中的干部已不在人员名册中，请重新生成方案".into(),
        ));
    }
    let txn = db.begin().await?;
    let mut log = Vec::new();
    let mut models = Vec::new();
    for (code, pid) in pairs {
        let m = link::Model {
            id: 0,
            link_key: format!(
                "{}|p{}|{}|{}",
                day.year(),
                pid,
                LinkKind::HouseholdLink.code(),
                code
            ),
            year: day.year(),
            person_id: Some(*pid),
            unit_code: None,
            kind: LinkKind::HouseholdLink.code().into(),
            target_code: code.clone(),
            start_date: (day.ordinal() > 1).then_some(day),
            end_date: None,
            front_line: None,
            report_on: None,
            assessment: None,
        };
        log.push(Change {
            entity: "link",
            entity_key: m.link_key.clone(),
            action: "create",
            changes: history::diff(None, &serde_json::to_value(&m).unwrap_or_default()),
        });
        let mut am = m.into_active_model().reset_all();
        am.id = sea_orm::NotSet;
        models.push(am);
    }
    for chunk in models.chunks(500) {
        link::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    history::append(&txn, &caller.username, now, log).await?;
    let households: Vec<String> = pairs.iter().map(|(c, _)| c.clone()).collect();
    crate::store::cards::mark_stale(&txn, Some(&households), crate::time::beijing_date(now))
        .await?;
    txn.commit().await?;
    Ok(pairs.len())
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Handover {
    pub links_moved: usize,
    pub items_moved: usize,
}

/// Moves every link a cadre holds on `day` to a successor from that day, and the open ledger
/// items they own. The old links end the day before (so the record of who served when stays);
/// records and items stay with the households.
pub async fn handover(
    db: &DatabaseConnection,
    caller: &Caller,
    from: &person::Model,
    to: &person::Model,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Handover, StoreError> {
    if !caller.can(Capability::ManageLinks) {
        return Err(StoreError::Forbidden(
            "只有党政办、组织部门可以办理交接".into(),
        ));
    }
    if from.id == to.id {
        return Err(StoreError::Invalid("接任人不能是本人".into()));
    }
    let vis = caller.visibility_for(Capability::ManageLinks);
    for p in [from, to] {
        let ok = person::Entity::find()
            .filter(person::Column::Id.eq(p.id))
            .filter(vis.people())
            .count(db)
            .await?;
        if ok == 0 {
            return Err(StoreError::NotFound("人员".into()));
        }
    }
    let txn = db.begin().await?;
    let links = link::Entity::find()
        .filter(link::Column::PersonId.eq(from.id))
        .filter(active_on(day))
        .all(&txn)
        .await?;
    let households: Vec<String> = links
        .iter()
        .filter(|l| l.kind == LinkKind::HouseholdLink.code())
        .map(|l| l.target_code.clone())
        .collect();
    let mut log = Vec::new();
    let mut out = Handover::default();
    for l in links {
        let key = format!("{}|p{}|{}|{}", l.year, to.id, l.kind, l.target_code);
        let successor = link::Entity::find()
            .filter(link::Column::LinkKey.eq(&key))
            .one(&txn)
            .await?;
        // The old link ends the day before; one starting that very day simply changes hands.
        let starts_today = l.start_date.is_some_and(|s| s >= day);
        let before = serde_json::to_value(&l).unwrap_or_default();
        let mut ended = l.clone();
        if starts_today {
            ended.end_date = Some(day - Duration::days(1));
            ended.start_date = Some(day - Duration::days(1)).min(l.start_date);
        } else {
            ended.end_date = Some(day - Duration::days(1));
        }
        ended
            .clone()
            .into_active_model()
            .reset_all()
            .update(&txn)
            .await?;
        log.push(Change {
            entity: "link",
            entity_key: l.link_key.clone(),
            action: "update",
            changes: history::diff(
                Some(&before),
                &serde_json::to_value(&ended).unwrap_or_default(),
            ),
        });
        match successor {
            Some(s) => {
                let before = serde_json::to_value(&s).unwrap_or_default();
                let mut s2 = s.clone();
                s2.end_date = l.end_date;
                s2.start_date = s.start_date.map(|d| d.min(day));
                if s2 != s {
                    s2.clone()
                        .into_active_model()
                        .reset_all()
                        .update(&txn)
                        .await?;
                    log.push(Change {
                        entity: "link",
                        entity_key: s.link_key.clone(),
                        action: "update",
                        changes: history::diff(
                            Some(&before),
                            &serde_json::to_value(&s2).unwrap_or_default(),
                        ),
                    });
                }
            }
            None => {
                let m = link::Model {
                    id: 0,
                    link_key: key.clone(),
                    person_id: Some(to.id),
                    start_date: Some(day),
                    ..l.clone()
                };
                log.push(Change {
                    entity: "link",
                    entity_key: key,
                    action: "create",
                    changes: history::diff(None, &serde_json::to_value(&m).unwrap_or_default()),
                });
                let mut am = m.into_active_model().reset_all();
                am.id = sea_orm::NotSet;
                am.insert(&txn).await?;
            }
        }
        out.links_moved += 1;
    }
    let items = ledger_item::Entity::find()
        .filter(ledger_item::Column::OwnerPersonId.eq(from.id))
        .filter(ledger_item::Column::Status.is_not_in(["closed"]))
        .all(&txn)
        .await?;
    for it in items {
        let before = serde_json::to_value(&it).unwrap_or_default();
        let mut moved = it.clone();
        moved.owner_person_id = Some(to.id);
        moved.owner_unit_code = Some(to.unit_code.clone());
        moved.version += 1;
        moved
            .clone()
            .into_active_model()
            .reset_all()
            .update(&txn)
            .await?;
        log.push(Change {
            entity: "ledger_item",
            entity_key: it.id.to_string(),
            action: "update",
            changes: history::diff(
                Some(&before),
                &serde_json::to_value(&moved).unwrap_or_default(),
            ),
        });
        // The item's own history shows the handover too.
        ledger_event::ActiveModel {
            id: sea_orm::NotSet,
            item_id: Set(it.id),
            at: Set(now),
            on_date: Set(day),
            account_id: Set(Some(caller.account_id)),
            actor: Set(caller.display_name.clone()),
            actor_role: Set("党政办".into()),
            action: Set("handover".into()),
            from_status: Set(it.status.clone()),
            to_status: Set(it.status.clone()),
            level: Set(it.level.clone()),
            note: Set(format!("{}交接给{}", from.name, to.name)),
            data: Set(serde_json::json!({"owner": to.name}).to_string()),
        }
        .insert(&txn)
        .await?;
        out.items_moved += 1;
    }
    log.push(Change {
        entity: "person",
        entity_key: from.id_number.clone(),
        action: "handover",
        changes: serde_json::json!({ "handover_to": [serde_json::Value::Null, to.name], "on": [serde_json::Value::Null, day.to_string()], "links": [serde_json::Value::Null, out.links_moved], "items": [serde_json::Value::Null, out.items_moved] }),
    });
    history::append(&txn, &caller.username, now, log).await?;
    // The households' cards name the old cadre: stale once the new one serves them.
    crate::store::cards::mark_stale(&txn, Some(&households), crate::time::beijing_date(now))
        .await?;
    txn.commit().await?;
    Ok(out)
}

/// Visit kinds that count toward a household's visits (LH-2 of the policy).
pub fn visit_kinds(policy: &Policy) -> Vec<ActivityKind> {
    policy
        .rules
        .iter()
        .find_map(|r| match &r.measure {
            Measure::VisitsPerTarget(measure::visits_per_target::VisitsPerTarget {
                activity_kinds,
                ..
            }) => Some(activity_kinds.clone()),
            _ => None,
        })
        .unwrap_or_else(|| vec![ActivityKind::HouseholdVisit])
}

pub async fn items_of_household(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Vec<ledger_item::Model>, DbErr> {
    ledger_item::Entity::find()
        .filter(ledger_item::Column::HouseholdCode.eq(code))
        .order_by_desc(ledger_item::Column::Id)
        .all(db)
        .await
}

/// One household on a cadre's own page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyHousehold {
    pub code: String,
    pub head_name: String,
    pub region_code: String,
    pub link_kind: String,
    pub link_kind_zh: String,
    pub hardship: bool,
    pub visits_this_year: usize,
    pub visits_this_half: usize,
    pub last_visit: Option<NaiveDate>,
}

/// What a cadre sees on their phone: households, contact points, open items, what is owed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyWork {
    pub day: NaiveDate,
    pub households: Vec<MyHousehold>,
    /// Linked households with no visit in the current half-year.
    pub not_visited_this_half: Vec<String>,
    pub templates: Vec<TemplateStatus>,
    #[schema(value_type = Vec<Object>)]
    pub open_items: Vec<ledger_item::Model>,
    /// One Chinese line per thing still owed, with the rule it comes from.
    pub owed: Vec<String>,
}

fn half_start(day: NaiveDate) -> NaiveDate {
    let month = if day.month() <= 6 { 1 } else { 7 };
    NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day)
}

/// Per (target, person) visit counts in a year, for the visit kinds of the policy:
/// `target → (this year, since half_from, last visit)` for the given people.
pub async fn visit_counts(
    db: &impl ConnectionTrait,
    policy: &Policy,
    people: &[i32],
    year: i32,
    half_from: NaiveDate,
) -> Result<HashMap<(i32, String), (usize, usize, NaiveDate)>, DbErr> {
    let kinds: Vec<&str> = visit_kinds(policy).iter().map(|k| k.code()).collect();
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(half_from);
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(half_from);
    let mut out: HashMap<(i32, String), (usize, usize, NaiveDate)> = HashMap::new();
    for chunk in people.chunks(500) {
        let rows: Vec<(i32, String, NaiveDate)> = activity_participant::Entity::find()
            .select_only()
            .column(activity_participant::Column::PersonId)
            .column_as(activity_target::Column::TargetCode, "target_code")
            .column_as(activity::Column::StartDate, "start_date")
            .join(sea_orm::JoinType::InnerJoin, participant_activity())
            .join_rev(sea_orm::JoinType::InnerJoin, target_activity())
            .filter(activity_participant::Column::PersonId.is_in(chunk.to_vec()))
            .filter(activity::Column::Kind.is_in(kinds.clone()))
            .filter(activity::Column::StartDate.between(from, to))
            .into_tuple()
            .all(db)
            .await?;
        for (pid, target, date) in rows {
            let e = out.entry((pid, target)).or_insert((0, 0, date));
            e.0 += 1;
            if date >= half_from {
                e.1 += 1;
            }
            e.2 = e.2.max(date);
        }
    }
    Ok(out)
}

pub async fn my_work(
    db: &impl ConnectionTrait,
    policy: &Policy,
    me: &person::Model,
    day: NaiveDate,
) -> Result<MyWork, DbErr> {
    let links = link::Entity::find()
        .filter(link::Column::PersonId.eq(me.id))
        .filter(active_on(day))
        .all(db)
        .await?;
    let codes: Vec<String> = links.iter().map(|l| l.target_code.clone()).collect();
    let households: HashMap<String, household::Model> = household::Entity::find()
        .filter(household::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.code.clone(), h))
        .collect();
    let half = half_start(day);
    let visits = visit_counts(db, policy, &[me.id], day.year(), half).await?;
    let mut mine: Vec<MyHousehold> = Vec::new();
    for l in &links {
        let Some(h) = households.get(&l.target_code) else {
            continue;
        };
        if mine.iter().any(|m| m.code == h.code) {
            continue;
        }
        let v = visits.get(&(me.id, h.code.clone()));
        mine.push(MyHousehold {
            code: h.code.clone(),
            head_name: h.head_name.clone(),
            region_code: h.region_code.clone(),
            link_kind: l.kind.clone(),
            link_kind_zh: LinkKind::from_code(&l.kind)
                .map(|k| k.zh())
                .unwrap_or("")
                .into(),
            hardship: split_codes(&h.tags)
                .into_iter()
                .filter_map(HouseholdTag::from_code)
                .any(HouseholdTag::is_hardship),
            visits_this_year: v.map(|v| v.0).unwrap_or(0),
            visits_this_half: v.map(|v| v.1).unwrap_or(0),
            last_visit: v.map(|v| v.2),
        });
    }
    mine.sort_by(|a, b| {
        (a.visits_this_half, a.last_visit, &a.code).cmp(&(
            b.visits_this_half,
            b.last_visit,
            &b.code,
        ))
    });
    let not_visited_this_half = mine
        .iter()
        .filter(|h| h.visits_this_half == 0)
        .map(|h| h.code.clone())
        .collect();
    let mut owed = Vec::new();
    for r in &policy.rules {
        if let Measure::VisitsPerTarget(measure::visits_per_target::VisitsPerTarget {
            min,
            each_half,
            ..
        }) = &r.measure
        {
            let bound: Vec<&MyHousehold> = mine
                .iter()
                .filter(|h| r.who.link_kinds.iter().any(|k| k.code() == h.link_kind))
                .collect();
            let half_name = if day.month() <= 6 {
                "上半年"
            } else {
                "下半年"
            };
            let short_half: Vec<&str> = bound
                .iter()
                .filter(|h| (h.visits_this_half as u32) < *each_half)
                .map(|h| h.head_name.as_str())
                .collect();
            if !short_half.is_empty() {
                owed.push(format!(
                    "{}：{half_name}还需走访{}户：{}",
                    r.name,
                    short_half.len(),
                    short_half
                        .iter()
                        .take(8)
                        .copied()
                        .collect::<Vec<_>>()
                        .join("、")
                        + if short_half.len() > 8 { "……" } else { "" }
                ));
            }
            let short_year: u32 = bound
                .iter()
                .map(|h| min.saturating_sub(h.visits_this_year as u32))
                .sum();
            if short_year > 0 {
                owed.push(format!(
                    "{}：今年还需走访{}次（每户每年不少于{}次）",
                    r.name, short_year, min
                ));
            }
        }
    }
    let templates = contact_status(db, policy, me, day).await?;
    for t in templates.iter().filter(|t| !t.complete) {
        owed.push(format!("{}：联系点缺{}", t.name, t.missing_zh()));
    }
    // Items I answer for, and those of the households I link (still mine to follow when the
    // office has handed them to someone else).
    let my_codes: Vec<String> = mine.iter().map(|h| h.code.clone()).collect();
    let open_items = ledger_item::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(ledger_item::Column::OwnerPersonId.eq(me.id))
                .add(ledger_item::Column::HouseholdCode.is_in(my_codes)),
        )
        .filter(ledger_item::Column::Status.is_not_in(["closed"]))
        .order_by_asc(ledger_item::Column::RegisteredOn)
        .limit(200)
        .all(db)
        .await?;
    Ok(MyWork {
        day,
        households: mine,
        not_visited_this_half,
        templates,
        open_items,
        owed,
    })
}

pub(crate) fn participant_activity() -> sea_orm::RelationDef {
    activity_participant::Entity::belongs_to(activity::Entity)
        .from(activity_participant::Column::ActivityId)
        .to(activity::Column::Id)
        .into()
}

pub(crate) fn target_activity() -> sea_orm::RelationDef {
    activity_target::Entity::belongs_to(activity::Entity)
        .from(activity_target::Column::ActivityId)
        .to(activity::Column::Id)
        .into()
}

/// People of the same unit, for the record form's list of who went along.
pub async fn colleagues(
    db: &impl ConnectionTrait,
    me: &person::Model,
    limit: u64,
) -> Result<Vec<person::Model>, DbErr> {
    person::Entity::find()
        .filter(person::Column::UnitCode.eq(&me.unit_code))
        .filter(person::Column::Id.ne(me.id))
        .order_by_asc(person::Column::Pinyin)
        .limit(limit)
        .all(db)
        .await
}

pub async fn person_by_id_number(
    db: &impl ConnectionTrait,
    id_number: &str,
    vis: &Visibility,
) -> Result<Option<person::Model>, DbErr> {
    person::Entity::find()
        .filter(person::Column::IdNumber.eq(id_number))
        .filter(vis.people())
        .one(db)
        .await
}

/// Whether a code names an object of this kind.
async fn target_exists(
    db: &impl ConnectionTrait,
    kind: crate::domain::labels::TargetKind,
    code: &str,
) -> Result<bool, DbErr> {
    use crate::domain::labels::TargetKind as T;
    let one = [code.to_string()];
    Ok(match kind {
        T::Region => !existing::<region::Entity>(db, region::Column::Code, &one)
            .await?
            .is_empty(),
        T::Unit => !existing::<unit::Entity>(db, unit::Column::Code, &one)
            .await?
            .is_empty(),
        T::Household => !existing::<household::Entity>(db, household::Column::Code, &one)
            .await?
            .is_empty(),
        T::Person => {
            !existing::<person::Entity>(db, person::Column::IdNumber, &one)
                .await?
                .is_empty()
                || !existing::<member::Entity>(db, member::Column::IdNumber, &one)
                    .await?
                    .is_empty()
        }
        T::Any => !code.trim().is_empty(),
    })
}

/// A link entered on the person's page.
pub struct NewLink {
    pub kind: LinkKind,
    pub target_code: String,
    pub year: i32,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// Adds a link for a person (contact point, household link, pairing, posting …), kept in
/// the history. A target shared with a leader of the same tier is allowed (LXD-4 warns).
pub async fn add_link(
    db: &DatabaseConnection,
    caller: &Caller,
    p: &person::Model,
    l: NewLink,
    now: DateTime<Utc>,
) -> Result<link::Model, StoreError> {
    if !caller.can(Capability::ManageLinks) {
        return Err(StoreError::Forbidden(
            "只有党政办、组织部门可以安排联系关系".into(),
        ));
    }
    let code = l.target_code.trim().to_string();
    let mut found = false;
    for k in l.kind.target_kinds() {
        if target_exists(db, *k, &code).await? {
            found = true;
            break;
        }
    }
    if !found {
        let wanted: Vec<&str> = l.kind.target_kinds().iter().map(|k| k.zh()).collect();
        return Err(StoreError::Invalid(format!(
            "对象代码：“{}”不存在，{}的对象应为已有的{}",
            crate::domain::ids::shown_code(&code),
            l.kind.zh(),
            wanted.join("或")
        )));
    }
    if let (Some(s), Some(e)) = (l.start, l.end)
        && e < s
    {
        return Err(StoreError::Invalid("结束日期不能早于开始日期".into()));
    }
    for d in [l.start, l.end].into_iter().flatten() {
        if d.year() != l.year {
            return Err(StoreError::Invalid(format!("日期{d}不在{}年度内", l.year)));
        }
    }
    let key = format!("{}|p{}|{}|{}", l.year, p.id, l.kind.code(), code);
    if link::Entity::find()
        .filter(link::Column::LinkKey.eq(&key))
        .count(db)
        .await?
        > 0
    {
        return Err(StoreError::Invalid("该联系关系已经存在".into()));
    }
    let m = link::Model {
        id: 0,
        link_key: key.clone(),
        year: l.year,
        person_id: Some(p.id),
        unit_code: None,
        kind: l.kind.code().into(),
        target_code: code,
        start_date: l.start,
        end_date: l.end,
        front_line: None,
        report_on: None,
        assessment: None,
    };
    let txn = db.begin().await?;
    let mut am = m.clone().into_active_model().reset_all();
    am.id = sea_orm::NotSet;
    let saved = am.insert(&txn).await?;
    history::append(
        &txn,
        &caller.username,
        now,
        vec![Change {
            entity: "link",
            entity_key: key,
            action: "create",
            changes: history::diff(None, &serde_json::to_value(&m).unwrap_or_default()),
        }],
    )
    .await?;
    crate::store::cards::mark_stale(
        &txn,
        Some(std::slice::from_ref(&saved.target_code)),
        crate::time::beijing_date(now),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Changes one link: its end date, or a grassroots posting's front line, end report and
/// assessment. Every change is in the history.
pub struct LinkChange {
    pub end: Option<Option<NaiveDate>>,
    pub front_line: Option<Option<String>>,
    pub report_on: Option<Option<NaiveDate>>,
    pub assessment: Option<Option<String>>,
}

/// The front lines a reserve cadre may be posted to (DJC-1).
pub const FRONT_LINES: [&str; 3] = ["农村", "信访", "重点项目"];

pub async fn change_link(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    c: LinkChange,
    now: DateTime<Utc>,
) -> Result<link::Model, StoreError> {
    let Some(old) = link::Entity::find_by_id(id).one(db).await? else {
        return Err(StoreError::NotFound("该联系关系".into()));
    };
    let own = old.person_id.is_some() && old.person_id == caller.person_id;
    let manage = caller.can(Capability::ManageLinks);
    // The posted cadre may hand in their own end report; everything else is the office's.
    let only_report = c.end.is_none() && c.front_line.is_none() && c.assessment.is_none();
    if !(manage || (own && only_report)) {
        return Err(StoreError::Forbidden(
            "只有党政办、组织部门可以修改联系关系".into(),
        ));
    }
    if let Some(pid) = old.person_id {
        let vis = caller.visibility();
        if person::Entity::find()
            .filter(person::Column::Id.eq(pid))
            .filter(vis.people())
            .count(db)
            .await?
            == 0
        {
            return Err(StoreError::NotFound("该联系关系".into()));
        }
    }
    let posting = old.kind == LinkKind::GrassrootsPosting.code();
    if !posting && (c.front_line.is_some() || c.report_on.is_some() || c.assessment.is_some()) {
        return Err(StoreError::Invalid(
            "只有下基层锻炼才有锻炼岗位、述职报告和考核".into(),
        ));
    }
    let mut new = old.clone();
    if let Some(e) = c.end {
        if let (Some(e), Some(s)) = (e, old.start_date)
            && e < s
        {
            return Err(StoreError::Invalid("结束日期不能早于开始日期".into()));
        }
        new.end_date = e;
    }
    if let Some(f) = c.front_line {
        if let Some(f) = &f
            && !FRONT_LINES.contains(&f.as_str())
        {
            return Err(StoreError::Invalid(format!(
                "锻炼岗位应为：{}",
                FRONT_LINES.join("、")
            )));
        }
        new.front_line = f;
    }
    if let Some(r) = c.report_on {
        new.report_on = r;
    }
    if let Some(a) = c.assessment {
        new.assessment = a.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    }
    if new == old {
        return Ok(old);
    }
    let txn = db.begin().await?;
    let saved = new
        .clone()
        .into_active_model()
        .reset_all()
        .update(&txn)
        .await?;
    history::append(
        &txn,
        &caller.username,
        now,
        vec![Change {
            entity: "link",
            entity_key: old.link_key.clone(),
            action: "update",
            changes: history::diff(
                Some(&serde_json::to_value(&old).unwrap_or_default()),
                &serde_json::to_value(&new).unwrap_or_default(),
            ),
        }],
    )
    .await?;
    crate::store::cards::mark_stale(
        &txn,
        Some(std::slice::from_ref(&saved.target_code)),
        crate::time::beijing_date(now),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// ID number → person id, for linking report rows to person pages.
pub async fn person_ids_by_code(db: &impl ConnectionTrait) -> Result<HashMap<String, i32>, DbErr> {
    Ok(person::Entity::find()
        .select_only()
        .column(person::Column::IdNumber)
        .column(person::Column::Id)
        .into_tuple::<(String, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Which of these codes a table holds in a column.
async fn existing<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    codes: &[String],
) -> Result<HashSet<String>, DbErr> {
    let mut out = HashSet::new();
    for chunk in codes.chunks(900) {
        let found: Vec<String> = E::find()
            .select_only()
            .column(column)
            .filter(column.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(found);
    }
    Ok(out)
}

/// `key → value` of one table for the given keys, read in chunks (bounded parameter lists).
pub(crate) async fn lookup<E, K, V>(
    db: &impl ConnectionTrait,
    key: E::Column,
    value: E::Column,
    keys: &[K],
) -> Result<HashMap<K, V>, DbErr>
where
    E: EntityTrait,
    K: Clone + Eq + std::hash::Hash + Into<sea_orm::Value> + sea_orm::TryGetable,
    V: sea_orm::TryGetable,
{
    let mut out = HashMap::new();
    for chunk in keys.chunks(900) {
        // Named so that by name and by position are the same order (store::quick).
        let rows: Vec<(K, V)> = E::find()
            .select_only()
            .column_as(key, "k")
            .column_as(value, "v")
            .filter(key.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}
