//! Spot checks 抽查 (PJ-3): the office draws records of visits, stays and receptions in its
//! region, a checker calls or goes and says what they found, and a record not confirmed stops
//! counting until the office decides.

use super::StoreError;
use super::access::Visibility;
use super::entities::{
    activity, activity_participant, activity_target, person, region, spot_check, spot_round, unit,
};
use super::history::{self, Change};
use crate::domain::assessment::{Checkable, draw_checks};
use crate::domain::integrity::IntegritySettings;
use crate::domain::rules::facts::SpotRoundFact;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::{HashMap, HashSet};

/// The kinds of record a spot check draws: visits, stays and receptions.
pub const KINDS: [&str; 8] = [
    "household_visit",
    "field_visit",
    "condolence_visit",
    "co_living",
    "village_stay",
    "reception",
    "outreach_visit",
    "appointment",
];

pub const METHODS: [(&str, &str); 2] = [("phone", "电话核实"), ("field", "实地核实")];
pub const OUTCOMES: [(&str, &str); 3] = [
    ("confirmed", "属实"),
    ("not_confirmed", "不属实"),
    ("unreachable", "联系不上"),
];
pub const DECISIONS: [(&str, &str); 2] = [("counts", "核实后照常计入"), ("discarded", "不予计入")];

pub fn zh(table: &[(&'static str, &'static str)], code: &str) -> &'static str {
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, z)| *z)
        .unwrap_or("")
}

#[derive(Debug, serde::Serialize)]
pub struct Drawn {
    pub round: i32,
    pub seed: u64,
    pub checks: usize,
    pub flagged: usize,
}

/// Draws a round: up to `per_cadre` records of each cadre of the region (by the person's own
/// region, or their unit's) that started between `from` and `to`, flagged ones weighing more
/// (`flagged`: the flagged records when already known, else found here).
#[allow(clippy::too_many_arguments)]
pub async fn draw(
    db: &sea_orm::DatabaseConnection,
    settings: &IntegritySettings,
    region_code: &str,
    from: NaiveDate,
    to: NaiveDate,
    per_cadre: u32,
    seed: Option<u64>,
    flagged: Option<&HashSet<i32>>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Drawn, StoreError> {
    if from > to || (to - from).num_days() > 366 {
        return Err(StoreError::Invalid(
            "抽查期间：开始不晚于结束，不超过一年".into(),
        ));
    }
    if !(1..=20).contains(&per_cadre) {
        return Err(StoreError::Invalid("每人抽几条：应在1到20之间".into()));
    }
    let Some(root) = region::Entity::find()
        .filter(region::Column::Code.eq(region_code))
        .one(db)
        .await?
    else {
        return Err(StoreError::Invalid(format!("区划“{region_code}”不存在")));
    };
    let paths = super::registry::region_paths(db).await?;
    let unit_region = super::registry::unit_regions(db).await?;
    let within = |code: &str| paths.get(code).is_some_and(|p| p.starts_with(&root.path));
    let people: HashMap<i32, String> = person::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|p| {
            p.region_code.as_deref().is_some_and(within)
                || unit_region.get(&p.unit_code).is_some_and(|r| within(r))
        })
        .map(|p| (p.id, p.unit_code))
        .collect();
    // The region's people's records of the kinds drawn, read from the people's side so that
    // a town's round reads its own records, not the county's.
    let ids: Vec<i32> = people.keys().copied().collect();
    let mut taking: Vec<(i32, i32)> = Vec::new();
    for chunk in ids.chunks(900) {
        let rows: Vec<(i32, i32)> = activity_participant::Entity::find()
            .select_only()
            .column(activity_participant::Column::ActivityId)
            .column(activity_participant::Column::PersonId)
            .filter(activity_participant::Column::PersonId.is_in(chunk.to_vec()))
            .filter(
                activity_participant::Column::ActivityId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(activity::Column::Id)
                        .from(activity::Entity)
                        .and_where(activity::Column::StartDate.between(from, to))
                        .and_where(activity::Column::Kind.is_in(KINDS))
                        .to_owned(),
                ),
            )
            .into_tuple()
            .all(db)
            .await?;
        taking.extend(rows);
    }
    let flagged = match flagged {
        Some(f) => f.clone(),
        None => flagged_records(db, settings, from, to).await?,
    };
    let records: Vec<Checkable> = taking
        .into_iter()
        .filter_map(|(activity, person)| {
            Some(Checkable {
                activity,
                person,
                unit: people.get(&person)?.clone(),
                flagged: flagged.contains(&activity),
            })
        })
        .collect();
    let seed = match seed {
        Some(s) => s,
        None => {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b)
                .map_err(|e| StoreError::Invalid(format!("取随机数失败：{e}")))?;
            u64::from_le_bytes(b) >> 1
        }
    };
    let chosen = draw_checks(&records, per_cadre as usize, settings.sample_weight, seed);
    if chosen.is_empty() {
        return Err(StoreError::Invalid(
            "这段时间这个区划没有可抽查的走访、住村、接访记录".into(),
        ));
    }
    let txn = db.begin().await?;
    let round = spot_round::ActiveModel {
        id: NotSet,
        region_code: Set(region_code.to_string()),
        from_date: Set(from),
        to_date: Set(to),
        per_cadre: Set(per_cadre as i32),
        seed: Set(seed as i64),
        drawn_by: Set(by.to_string()),
        drawn_at: Set(now),
        drawn_on: Set(crate::time::beijing_date(now)),
    }
    .insert(&txn)
    .await?;
    for chunk in chosen.chunks(1000) {
        spot_check::Entity::insert_many(chunk.iter().map(|c| spot_check::ActiveModel {
            id: NotSet,
            round_id: Set(round.id),
            activity_id: Set(c.activity),
            person_id: Set(c.person),
            unit_code: Set(c.unit.clone()),
            flagged: Set(c.flagged),
            method: Set(None),
            outcome: Set(None),
            note: Set(String::new()),
            checked_by: Set(None),
            checked_on: Set(None),
            decision: Set(None),
            decided_by: Set(None),
            decided_on: Set(None),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let flagged = chosen.iter().filter(|c| c.flagged).count();
    history::append(
        &txn,
        by,
        now,
        vec![Change {
            entity: "spot_round",
            entity_key: round.id.to_string(),
            action: "draw",
            changes: serde_json::json!({
                "region": region_code, "from": from, "to": to, "per_cadre": per_cadre,
                "seed": seed.to_string(), "checks": chosen.len(), "flagged": flagged,
            }),
        }],
    )
    .await?;
    txn.commit().await?;
    Ok(Drawn {
        round: round.id,
        seed,
        checks: chosen.len(),
        flagged,
    })
}

/// The records an integrity check flags among those starting between `from` and `to`.
pub async fn flagged_records(
    db: &impl ConnectionTrait,
    settings: &IntegritySettings,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashSet<i32>, StoreError> {
    let mut flagged = HashSet::new();
    for year in from.year()..=to.year() {
        for f in
            crate::store::integrity::flags(db, &Visibility::everything(), settings, year).await?
        {
            flagged.extend(f.records);
        }
    }
    Ok(flagged)
}

/// The rounds whose region lies within `vis`, newest first.
pub async fn rounds(
    db: &impl ConnectionTrait,
    vis: &Visibility,
) -> Result<Vec<(spot_round::Model, String)>, StoreError> {
    let regions: HashMap<String, (String, String)> = region::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.code, (r.path, r.name)))
        .collect();
    Ok(spot_round::Entity::find()
        .order_by_desc(spot_round::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| {
            let (path, name) = regions.get(&r.region_code)?;
            vis.covers_region(path).then(|| (r, name.clone()))
        })
        .collect())
}

/// A round, if its region lies within `vis`.
pub async fn round(
    db: &impl ConnectionTrait,
    id: i32,
    vis: &Visibility,
) -> Result<spot_round::Model, StoreError> {
    rounds(db, vis)
        .await?
        .into_iter()
        .map(|(r, _)| r)
        .find(|r| r.id == id)
        .ok_or_else(|| StoreError::NotFound("这一轮抽查".into()))
}

/// A drawn record as the checker sees it.
#[derive(Debug, serde::Serialize)]
pub struct Line {
    pub check: spot_check::Model,
    pub day: NaiveDate,
    pub kind: String,
    pub cadre: String,
    pub unit: String,
    /// The codes the record names (the page shows their names).
    pub targets: Vec<String>,
    pub notes: String,
}

pub async fn checks(db: &impl ConnectionTrait, round: i32) -> Result<Vec<Line>, StoreError> {
    let checks = spot_check::Entity::find()
        .filter(spot_check::Column::RoundId.eq(round))
        .order_by_asc(spot_check::Column::UnitCode)
        .order_by_asc(spot_check::Column::PersonId)
        .order_by_asc(spot_check::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = checks.iter().map(|c| c.activity_id).collect();
    let acts: HashMap<i32, activity::Model> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut targets: HashMap<i32, Vec<String>> = HashMap::new();
    for t in activity_target::Entity::find()
        .filter(activity_target::Column::ActivityId.is_in(ids))
        .all(db)
        .await?
    {
        targets
            .entry(t.activity_id)
            .or_default()
            .push(t.target_code);
    }
    let pids: Vec<i32> = checks.iter().map(|c| c.person_id).collect();
    let people: HashMap<i32, String> = person::Entity::find()
        .filter(person::Column::Id.is_in(pids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let units: HashMap<String, String> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    Ok(checks
        .into_iter()
        .filter_map(|c| {
            let a = acts.get(&c.activity_id)?;
            Some(Line {
                day: a.start_date,
                kind: crate::domain::labels::ActivityKind::from_code(&a.kind)
                    .map(|k| k.zh().to_string())
                    .unwrap_or_default(),
                cadre: people.get(&c.person_id).cloned().unwrap_or_default(),
                unit: units.get(&c.unit_code).cloned().unwrap_or_default(),
                targets: targets.remove(&c.activity_id).unwrap_or_default(),
                notes: a.notes.clone().unwrap_or_default(),
                check: c,
            })
        })
        .collect())
}

/// Records what a checker found, or the office's decision on a record not confirmed.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    db: &sea_orm::DatabaseConnection,
    check: i32,
    round: i32,
    method: Option<&str>,
    outcome: Option<&str>,
    decision: Option<&str>,
    note: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<spot_check::Model, StoreError> {
    let txn = db.begin().await?;
    let c = spot_check::Entity::find_by_id(check)
        .one(&txn)
        .await?
        .filter(|c| c.round_id == round)
        .ok_or_else(|| StoreError::NotFound("这条抽查".into()))?;
    let today = crate::time::beijing_date(now);
    let note: String = note.trim().chars().take(500).collect();
    let mut am: spot_check::ActiveModel = c.clone().into();
    let action;
    if let Some(d) = decision {
        if !DECISIONS.iter().any(|(x, _)| *x == d) {
            return Err(StoreError::Invalid(
                "处理意见：应为照常计入或不予计入".into(),
            ));
        }
        if c.outcome.as_deref() != Some("not_confirmed") {
            return Err(StoreError::Invalid(
                "只有核实为不属实的记录需要处理意见".into(),
            ));
        }
        am.decision = Set(Some(d.into()));
        am.decided_by = Set(Some(by.into()));
        am.decided_on = Set(Some(today));
        action = "decide";
    } else {
        let m = method.filter(|m| METHODS.iter().any(|(x, _)| x == m));
        let o = outcome.filter(|o| OUTCOMES.iter().any(|(x, _)| x == o));
        let (Some(m), Some(o)) = (m, o) else {
            return Err(StoreError::Invalid(
                "请选择核实方式（电话或实地）和核实结果".into(),
            ));
        };
        if c.outcome.as_deref() == Some(o) && c.method.as_deref() == Some(m) {
            txn.commit().await?;
            return Ok(c);
        }
        if c.decision.is_some() {
            return Err(StoreError::Invalid(
                "党政办已作出处理意见，核实结果不能再改".into(),
            ));
        }
        am.method = Set(Some(m.into()));
        am.outcome = Set(Some(o.into()));
        am.checked_by = Set(Some(by.into()));
        am.checked_on = Set(Some(today));
        action = "check";
    }
    if !note.is_empty() {
        am.note = Set(note.clone());
    }
    let saved = am.update(&txn).await?;
    history::append(
        &txn,
        by,
        now,
        vec![Change {
            entity: "spot_check",
            entity_key: format!("{}|{}", c.round_id, c.activity_id),
            action,
            changes: serde_json::json!({
                "method": saved.method, "outcome": saved.outcome,
                "decision": saved.decision, "note": note,
            }),
        }],
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Records that a check could not confirm and the office has not decided count: each with
/// the day it was checked, from when it stops counting.
pub async fn disputed(db: &impl ConnectionTrait) -> Result<Vec<(i32, NaiveDate)>, DbErr> {
    Ok(spot_check::Entity::find()
        .filter(spot_check::Column::Outcome.eq("not_confirmed"))
        .all(db)
        .await?
        .into_iter()
        .filter(|c| c.decision.as_deref() != Some("counts"))
        .filter_map(|c| Some((c.activity_id, c.checked_on?)))
        .collect())
}

/// The rounds drawn in `year`, as PJ-3 reads them.
pub async fn facts(db: &impl ConnectionTrait, year: i32) -> Result<Vec<SpotRoundFact>, DbErr> {
    let paths = super::registry::region_paths(db).await?;
    let (first, last) = (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    );
    let mut out = Vec::new();
    for r in spot_round::Entity::find()
        .filter(spot_round::Column::DrawnOn.between(first, last))
        .all(db)
        .await?
    {
        let checks = spot_check::Entity::find()
            .filter(spot_check::Column::RoundId.eq(r.id))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|c| Some((c.checked_on?, c.method?)))
            .collect();
        out.push(SpotRoundFact {
            region_path: paths.get(&r.region_code).cloned().unwrap_or_default(),
            drawn_on: r.drawn_on,
            checks,
        });
    }
    Ok(out)
}
