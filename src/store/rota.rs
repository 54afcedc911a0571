//! Rotas 排班: planned on the working-day calendar for a rule and a scope, re-planned when a
//! holiday or a period is declared or someone takes leave, swapped with history, published,
//! and sent to phones as calendar feeds.

use super::StoreError;
use super::entities::{calendar_feed, person, region, rota, rota_leave, rota_slot, unit};
use super::history::{self, Change};
use crate::domain::policy::Policy;
use crate::domain::rota::{Candidate, Event, RotaKind, Slot, replan};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::{BTreeSet, HashMap};

/// One slot as lists and the command line show it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Line {
    pub slot: i32,
    pub day: NaiveDate,
    pub person: i32,
    pub id_number: String,
    pub name: String,
    pub unit: String,
    pub status: String,
    pub sequence: i32,
}

pub fn kind<'a>(policy: &'a Policy, rule: &str) -> Result<&'a RotaKind, StoreError> {
    policy.rotas.iter().find(|k| k.rule == rule).ok_or_else(|| {
        let have: Vec<&str> = policy.rotas.iter().map(|k| k.rule.as_str()).collect();
        StoreError::Invalid(format!("没有“{rule}”的排班（可排：{}）", have.join("、")))
    })
}

/// The people a rota of `kind` may plan within the region `path`: holding one of its roles,
/// by their own region or their unit's.
async fn eligible(
    db: &impl ConnectionTrait,
    k: &RotaKind,
    path: &str,
    unit: Option<&str>,
) -> Result<Vec<person::Model>, StoreError> {
    let paths = super::registry::region_paths(db).await?;
    let unit_region = super::registry::unit_regions(db).await?;
    let within = |code: &str| paths.get(code).is_some_and(|p| p.starts_with(path));
    let mut cond = sea_orm::Condition::any();
    for r in &k.roles {
        cond = cond.add(person::Column::Roles.contains(format!(",{},", r.code())));
    }
    Ok(person::Entity::find()
        .filter(cond)
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|p| match unit {
            // A unit's rota: its own people.
            Some(u) => p.unit_code == u,
            None => {
                let home = p
                    .region_code
                    .clone()
                    .or_else(|| unit_region.get(&p.unit_code).cloned())
                    .unwrap_or_default();
                within(&home)
            }
        })
        .collect())
}

/// A rota's scope: a region, or a unit (its people; the declared periods of its region).
struct Scope {
    name: String,
    path: String,
    unit: Option<String>,
}

async fn scope_of(db: &impl ConnectionTrait, code: &str) -> Result<Option<Scope>, StoreError> {
    if let Some(r) = region::Entity::find()
        .filter(region::Column::Code.eq(code))
        .one(db)
        .await?
    {
        return Ok(Some(Scope {
            name: r.name,
            path: r.path,
            unit: None,
        }));
    }
    let Some(u) = super::registry::unit(db, code).await? else {
        return Ok(None);
    };
    let path = super::registry::region_paths(db)
        .await?
        .remove(&u.region_code)
        .unwrap_or_default();
    Ok(Some(Scope {
        name: u.name,
        path,
        unit: Some(u.code),
    }))
}

/// Each person's days away between `from` and `to`.
async fn away(
    db: &impl ConnectionTrait,
    people: &[i32],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<i32, BTreeSet<NaiveDate>>, StoreError> {
    let mut out: HashMap<i32, BTreeSet<NaiveDate>> = HashMap::new();
    for l in rota_leave::Entity::find()
        .filter(rota_leave::Column::PersonId.is_in(people.to_vec()))
        .filter(rota_leave::Column::ToDate.gte(from))
        .filter(rota_leave::Column::FromDate.lte(to))
        .all(db)
        .await?
    {
        let mut d = l.from_date.max(from);
        while d <= l.to_date.min(to) {
            out.entry(l.person_id).or_default().insert(d);
            d += chrono::Duration::days(1);
        }
    }
    Ok(out)
}

/// Plans the rota of `rule` for `scope` from `from` to `to`, or re-plans it when it exists:
/// slots that still stand are kept, those on days no longer wanted or of someone now away
/// cancelled, and the days left short filled. One transaction; each change in the history.
#[allow(clippy::too_many_arguments)]
pub async fn plan(
    db: &DatabaseConnection,
    policy: &Policy,
    rule: &str,
    scope: &str,
    from: NaiveDate,
    to: NaiveDate,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(i32, Vec<Line>), StoreError> {
    let k = kind(policy, rule)?;
    if from > to || (to - from).num_days() > 366 {
        return Err(StoreError::Invalid(
            "期间：开始不晚于结束，不超过一年".into(),
        ));
    }
    let Some(root) = scope_of(db, scope).await? else {
        return Err(StoreError::Invalid(format!(
            "没有代码为“{scope}”的区划或单位"
        )));
    };
    let cal = crate::store::rules::calendar(db).await?;
    let days = crate::domain::rota::days(&cal, k, from, to, Some(&root.path));
    let txn = db.begin().await?;
    let people = eligible(&txn, k, &root.path, root.unit.as_deref()).await?;
    if people.is_empty() {
        return Err(StoreError::Invalid(format!(
            "{}范围内没有可排“{}”的人员",
            root.name, k.name
        )));
    }
    let ids: Vec<i32> = people.iter().map(|p| p.id).collect();
    let mut away = away(&txn, &ids, from, to).await?;
    let candidates: Vec<Candidate> = ids
        .iter()
        .map(|id| Candidate {
            person: *id,
            away: away.remove(id).unwrap_or_default(),
        })
        .collect();
    let per_slot = if k.everyone { ids.len() } else { k.per_slot };
    let existing = rota::Entity::find()
        .filter(rota::Column::Rule.eq(rule))
        .filter(rota::Column::ScopeCode.eq(scope))
        .filter(rota::Column::FromDate.eq(from))
        .filter(rota::Column::ToDate.eq(to))
        .one(&txn)
        .await?;
    let r = match existing {
        Some(r) => r,
        None => {
            rota::ActiveModel {
                id: NotSet,
                rule: Set(rule.to_string()),
                scope_code: Set(scope.to_string()),
                from_date: Set(from),
                to_date: Set(to),
                created_by: Set(by.to_string()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    let planned = rota_slot::Entity::find()
        .filter(rota_slot::Column::RotaId.eq(r.id))
        .filter(rota_slot::Column::Status.eq("planned"))
        .all(&txn)
        .await?;
    let slots: Vec<Slot> = planned
        .iter()
        .map(|s| Slot {
            day: s.day,
            person: s.person_id,
        })
        .collect();
    let change = replan(&slots, &days, &candidates, per_slot);
    let mut log = Vec::new();
    for c in &change.cancel {
        if let Some(m) = planned
            .iter()
            .find(|s| s.day == c.day && s.person_id == c.person)
        {
            let seq = m.sequence + 1;
            let mut am = m.clone().into_active_model();
            am.status = Set("cancelled".into());
            am.sequence = Set(seq);
            am.updated_at = Set(now);
            am.update(&txn).await?;
            log.push(Change {
                entity: "rota_slot",
                entity_key: m.id.to_string(),
                action: "cancel",
                changes: serde_json::json!({ "day": m.day, "person": m.person_id }),
            });
        }
    }
    for chunk in change.add.chunks(500) {
        rota_slot::Entity::insert_many(chunk.iter().map(|s| rota_slot::ActiveModel {
            id: NotSet,
            rota_id: Set(r.id),
            day: Set(s.day),
            person_id: Set(s.person),
            status: Set("planned".into()),
            sequence: Set(0),
            updated_at: Set(now),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    log.push(Change {
        entity: "rota",
        entity_key: r.id.to_string(),
        action: "plan",
        changes: serde_json::json!({
            "rule": rule, "scope": scope, "from": from, "to": to,
            "kept": change.keep.len(), "cancelled": change.cancel.len(), "added": change.add.len(),
        }),
    });
    history::append(&txn, by, now, log).await?;
    txn.commit().await?;
    Ok((r.id, lines(db, r.id, None).await?))
}

/// The slots of a rota (or of a person's across rotas), by day.
pub async fn lines(
    db: &impl ConnectionTrait,
    rota_id: i32,
    status: Option<&str>,
) -> Result<Vec<Line>, StoreError> {
    let slots = rota_slot::Entity::find()
        .filter(rota_slot::Column::RotaId.eq(rota_id))
        .apply_if(status, |q, s| q.filter(rota_slot::Column::Status.eq(s)))
        .order_by_asc(rota_slot::Column::Day)
        .order_by_asc(rota_slot::Column::Id)
        .all(db)
        .await?;
    with_people(db, slots).await
}

use sea_orm::QueryTrait;

async fn with_people(
    db: &impl ConnectionTrait,
    slots: Vec<rota_slot::Model>,
) -> Result<Vec<Line>, StoreError> {
    let mut ids: Vec<i32> = slots.iter().map(|s| s.person_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let people: HashMap<i32, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let units: HashMap<String, String> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    Ok(slots
        .into_iter()
        .map(|s| {
            let p = people.get(&s.person_id);
            Line {
                slot: s.id,
                day: s.day,
                person: s.person_id,
                id_number: p.map(|p| p.id_number.clone()).unwrap_or_default(),
                name: p.map(|p| p.name.clone()).unwrap_or_default(),
                unit: p
                    .and_then(|p| units.get(&p.unit_code).cloned())
                    .unwrap_or_default(),
                status: s.status,
                sequence: s.sequence,
            }
        })
        .collect())
}

/// Swaps the people of two planned slots of one rota; both slots' SEQUENCE is raised.
pub async fn swap(
    db: &DatabaseConnection,
    a: i32,
    b: i32,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    let find = |id: i32| {
        let txn = &txn;
        async move {
            rota_slot::Entity::find_by_id(id)
                .one(txn)
                .await?
                .filter(|s| s.status == "planned")
                .ok_or_else(|| StoreError::NotFound(format!("排班{id}（或已取消）")))
        }
    };
    let (sa, sb) = (find(a).await?, find(b).await?);
    if sa.rota_id != sb.rota_id || a == b {
        return Err(StoreError::Invalid(
            "只能在同一份排班的两个班次之间调换".into(),
        ));
    }
    if sa.person_id == sb.person_id {
        return Err(StoreError::Invalid("两个班次是同一个人，无需调换".into()));
    }
    for (s, to) in [(&sa, sb.person_id), (&sb, sa.person_id)] {
        let mut am = s.clone().into_active_model();
        am.person_id = Set(to);
        am.sequence = Set(s.sequence + 1);
        am.updated_at = Set(now);
        am.update(&txn).await?;
    }
    history::append(
        &txn,
        by,
        now,
        vec![Change {
            entity: "rota_slot",
            entity_key: format!("{a}|{b}"),
            action: "swap",
            changes: serde_json::json!({
                "a": { "day": sa.day, "from": sa.person_id, "to": sb.person_id },
                "b": { "day": sb.day, "from": sb.person_id, "to": sa.person_id },
            }),
        }],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Enters leave and re-plans every rota the person has a slot in on those days.
#[allow(clippy::too_many_arguments)]
pub async fn leave(
    db: &DatabaseConnection,
    policy: &Policy,
    person: i32,
    from: NaiveDate,
    to: NaiveDate,
    note: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if from > to {
        return Err(StoreError::Invalid("请假：开始不晚于结束".into()));
    }
    rota_leave::ActiveModel {
        id: NotSet,
        person_id: Set(person),
        from_date: Set(from),
        to_date: Set(to),
        note: Set(note.chars().take(200).collect()),
        created_by: Set(by.to_string()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let affected: BTreeSet<i32> = rota_slot::Entity::find()
        .filter(rota_slot::Column::PersonId.eq(person))
        .filter(rota_slot::Column::Status.eq("planned"))
        .filter(rota_slot::Column::Day.between(from, to))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.rota_id)
        .collect();
    replan_rotas(db, policy, affected.into_iter().collect(), by, now).await
}

/// Re-plans the rotas still running on `today` (after a holiday or a period is declared).
pub async fn replan_running(
    db: &DatabaseConnection,
    policy: &Policy,
    today: NaiveDate,
    by: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let ids = rota::Entity::find()
        .filter(rota::Column::ToDate.gte(today))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    replan_rotas(db, policy, ids, by, now).await
}

async fn replan_rotas(
    db: &DatabaseConnection,
    policy: &Policy,
    ids: Vec<i32>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for r in rota::Entity::find()
        .filter(rota::Column::Id.is_in(ids))
        .all(db)
        .await?
    {
        plan(
            db,
            policy,
            &r.rule,
            &r.scope_code,
            r.from_date,
            r.to_date,
            by,
            now,
        )
        .await?;
        n += 1;
    }
    Ok(n)
}

/// A person's slots (planned and cancelled) as calendar events.
pub async fn events(
    db: &impl ConnectionTrait,
    policy: &Policy,
    owner_kind: &str,
    owner_code: &str,
) -> Result<Vec<Event>, StoreError> {
    let people: Vec<i32> = match owner_kind {
        "person" => owner_code.parse().ok().into_iter().collect(),
        _ => person::Entity::find()
            .filter(person::Column::UnitCode.eq(owner_code))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect(),
    };
    let slots = rota_slot::Entity::find()
        .filter(rota_slot::Column::PersonId.is_in(people))
        .order_by_asc(rota_slot::Column::Day)
        .all(db)
        .await?;
    let rotas: HashMap<i32, rota::Model> = rota::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let lines = with_people(db, slots.clone()).await?;
    Ok(slots
        .into_iter()
        .zip(lines)
        .filter_map(|(s, l)| {
            let r = rotas.get(&s.rota_id)?;
            let k = policy.rotas.iter().find(|k| k.rule == r.rule)?;
            Some(Event {
                uid: format!("rota-slot-{}@lianxin", s.id),
                sequence: s.sequence,
                cancelled: s.status == "cancelled",
                day: s.day,
                start: k.start,
                end: k.end,
                summary: if owner_kind == "person" {
                    k.name.clone()
                } else {
                    format!("{}：{}", k.name, l.name)
                },
                location: k.place.clone(),
                stamp: s.updated_at,
            })
        })
        .collect())
}

/// The secret of an owner's calendar feed: made on first use, a new one on `renew` (the old
/// URL then opens nothing).
pub async fn feed_secret(
    db: &impl ConnectionTrait,
    owner_kind: &str,
    owner_code: &str,
    renew: bool,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let found = calendar_feed::Entity::find()
        .filter(calendar_feed::Column::OwnerKind.eq(owner_kind))
        .filter(calendar_feed::Column::OwnerCode.eq(owner_code))
        .one(db)
        .await?;
    let secret = crate::store::cards::new_secret()?;
    match found {
        Some(f) if !renew => Ok(f.secret),
        Some(f) => {
            let mut am = f.into_active_model();
            am.secret = Set(secret.clone());
            am.created_at = Set(now);
            am.update(db).await?;
            Ok(secret)
        }
        None => {
            calendar_feed::ActiveModel {
                id: NotSet,
                owner_kind: Set(owner_kind.into()),
                owner_code: Set(owner_code.into()),
                secret: Set(secret.clone()),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
            Ok(secret)
        }
    }
}

/// The owner a feed secret opens (a wrong or renewed one opens nothing).
pub async fn feed_owner(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Option<(String, String)>, StoreError> {
    if secret.len() != 32 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(calendar_feed::Entity::find()
        .filter(calendar_feed::Column::Secret.eq(secret))
        .one(db)
        .await?
        .map(|f| (f.owner_kind, f.owner_code)))
}

/// The published rota of a region: every planned slot of rotas whose scope lies within it,
/// from `from` on, with where and when, and the supervision phone.
pub async fn public(
    db: &impl ConnectionTrait,
    scope: &str,
    from: NaiveDate,
) -> Result<Option<Published>, StoreError> {
    let Some(root) = scope_of(db, scope).await? else {
        return Ok(None);
    };
    let within: Vec<String> = match &root.unit {
        Some(u) => vec![u.clone()],
        None => {
            let mut v: Vec<String> = region::Entity::find()
                .filter(region::Column::Path.starts_with(&root.path))
                .all(db)
                .await?
                .into_iter()
                .map(|r| r.code)
                .collect();
            // And the rotas of the units in those regions.
            v.extend(
                unit::Entity::find()
                    .filter(unit::Column::RegionCode.is_in(v.clone()))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|u| u.code),
            );
            v
        }
    };
    let mut rotas = Vec::new();
    for r in rota::Entity::find()
        .filter(rota::Column::ScopeCode.is_in(within))
        .filter(rota::Column::ToDate.gte(from))
        .order_by_asc(rota::Column::Rule)
        .all(db)
        .await?
    {
        let slots = rota_slot::Entity::find()
            .filter(rota_slot::Column::RotaId.eq(r.id))
            .filter(rota_slot::Column::Status.eq("planned"))
            .filter(rota_slot::Column::Day.gte(from))
            .order_by_asc(rota_slot::Column::Day)
            .all(db)
            .await?;
        rotas.push((r, with_people(db, slots).await?));
    }
    let (towns, county) = crate::store::cards::supervision_phones(db).await?;
    let town = root.path.split('/').filter(|s| !s.is_empty()).nth(1);
    let phone = town.and_then(|t| towns.get(t).cloned()).or(county);
    Ok(Some(Published {
        name: root.name,
        rotas,
        supervision_phone: phone,
    }))
}

pub struct Published {
    pub name: String,
    pub rotas: Vec<(rota::Model, Vec<Line>)>,
    pub supervision_phone: Option<String>,
}

/// The year's planned slots as the rules read them: the rule, the rota's region, the day and
/// the person.
pub async fn facts(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<Vec<crate::domain::rules::facts::SlotFact>, sea_orm::DbErr> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let rotas: HashMap<i32, rota::Model> = rota::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(rota_slot::Entity::find()
        .filter(rota_slot::Column::Day.between(first, last))
        .filter(rota_slot::Column::Status.eq("planned"))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| {
            let r = rotas.get(&s.rota_id)?;
            Some(crate::domain::rules::facts::SlotFact {
                rule: r.rule.clone(),
                scope: r.scope_code.clone(),
                day: s.day,
                person: s.person_id,
            })
        })
        .collect())
}

/// A slot as the inbox shows it: missed (its day passed without the work recorded) or coming.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Duty {
    pub day: NaiveDate,
    pub name: String,
    pub person: String,
    pub place: String,
    pub missed: bool,
}

/// The caller's own slots of the coming week, and the missed slots of the last thirty days:
/// their own, and (for an office) those of the rotas of the regions they see.
pub async fn duty(
    db: &impl ConnectionTrait,
    policy: &Policy,
    vis: &crate::store::access::Visibility,
    person: Option<i32>,
    today: NaiveDate,
) -> Result<Vec<Duty>, StoreError> {
    use crate::domain::rules::measure::Measure;
    use crate::store::entities::{activity, activity_participant};
    let from = today - chrono::Duration::days(30);
    let to = today + chrono::Duration::days(7);
    let office = !vis.region_paths.is_empty() || vis.all;
    let rotas: HashMap<i32, rota::Model> = rota::Entity::find()
        .filter(rota::Column::ToDate.gte(from))
        .filter(rota::Column::FromDate.lte(to))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    // Most inboxes, most days: no rota running.
    if rotas.is_empty() || (person.is_none() && !office) {
        return Ok(vec![]);
    }
    let paths = super::registry::region_paths(db).await?;
    let slots: Vec<rota_slot::Model> = rota_slot::Entity::find()
        .filter(rota_slot::Column::RotaId.is_in(rotas.keys().copied().collect::<Vec<_>>()))
        .filter(rota_slot::Column::Status.eq("planned"))
        .filter(rota_slot::Column::Day.between(from, to))
        .order_by_asc(rota_slot::Column::Day)
        .all(db)
        .await?
        .into_iter()
        .filter(|s| {
            let mine = Some(s.person_id) == person;
            let seen = office
                && rotas
                    .get(&s.rota_id)
                    .and_then(|r| paths.get(&r.scope_code))
                    .is_some_and(|p| vis.covers_region(p));
            mine || (seen && s.day < today)
        })
        .take(2000)
        .collect();
    // Who recorded work of the rule's kinds on which day.
    let ids: Vec<i32> = slots.iter().map(|s| s.person_id).collect();
    let mut done: std::collections::HashSet<(i32, NaiveDate, String)> = Default::default();
    for chunk in ids.chunks(900) {
        let rows: Vec<(i32, NaiveDate, NaiveDate, String)> = activity_participant::Entity::find()
            .select_only()
            .column(activity_participant::Column::PersonId)
            .column_as(activity::Column::StartDate, "s")
            .column_as(activity::Column::EndDate, "e")
            .column_as(activity::Column::Kind, "k")
            .join(
                sea_orm::JoinType::InnerJoin,
                activity_participant::Entity::belongs_to(activity::Entity)
                    .from(activity_participant::Column::ActivityId)
                    .to(activity::Column::Id)
                    .into(),
            )
            .filter(activity_participant::Column::PersonId.is_in(chunk.to_vec()))
            .filter(activity::Column::EndDate.gte(from))
            .filter(activity::Column::StartDate.lte(today))
            .into_tuple()
            .all(db)
            .await?;
        for (p, s, e, k) in rows {
            let mut d = s.max(from);
            while d <= e.min(today) {
                done.insert((p, d, k.clone()));
                d += chrono::Duration::days(1);
            }
        }
    }
    let kinds_of = |rule: &str| -> Vec<&'static str> {
        match policy
            .rules
            .iter()
            .find(|r| r.id == rule)
            .map(|r| &r.measure)
        {
            Some(Measure::OnDates(m)) => m.activity_kinds.iter().map(|k| k.code()).collect(),
            _ => vec![],
        }
    };
    let lines = with_people(db, slots.clone()).await?;
    Ok(slots
        .into_iter()
        .zip(lines)
        .filter_map(|(s, l)| {
            let r = rotas.get(&s.rota_id)?;
            let k = policy.rotas.iter().find(|k| k.rule == r.rule)?;
            let kept = kinds_of(&r.rule)
                .iter()
                .any(|kind| done.contains(&(s.person_id, s.day, kind.to_string())));
            let missed = s.day < today && !kept;
            (missed || s.day >= today).then(|| Duty {
                day: s.day,
                name: k.name.clone(),
                person: l.name,
                place: k.place.clone(),
                missed,
            })
        })
        .collect())
}
