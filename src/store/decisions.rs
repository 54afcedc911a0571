//! Decision records 三问决策 (DY-7): a decision-making body's major decisions and the records
//! of asking the people before, during and after. Every write answers with what it wrote, a
//! retried write (the same client key) is recorded once, and each goes into the history.

use super::StoreError;
use super::access::Visibility;
use super::entities::{decision, decision_consultation, region, unit};
use super::history;
use crate::domain::decision::{stage_window_error, standing};
use crate::domain::labels::{DecisionStage, UnitKind};
use crate::domain::rules::facts::DecisionFact;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The kinds of body that take major decisions.
pub const BODIES: [UnitKind; 4] = [
    UnitKind::CountyLeadershipBody,
    UnitKind::CountyDepartment,
    UnitKind::TownGovernment,
    UnitKind::StreetOffice,
];

/// When a write or a view happens, and the policy's window for the consultation after
/// completion, so that a page says what is missing as the report judges it.
#[derive(Clone, Copy, Debug)]
pub struct At {
    pub now: DateTime<Utc>,
    pub after_days: u32,
}

impl At {
    /// The window of the policy's DY-7 (any rule measured by `decisions`); 90 days without one.
    pub fn of(policy: &crate::domain::policy::Policy, now: DateTime<Utc>) -> At {
        let after_days = policy
            .rules
            .iter()
            .find_map(|r| match &r.measure {
                crate::domain::policy::Measure::Decisions(m) => Some(m.after_days),
                _ => None,
            })
            .unwrap_or(90);
        At { now, after_days }
    }
}

const MAX_TITLE: usize = 200;
const MAX_ASKED: usize = 500;
const MAX_TEXT: usize = 2000;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewDecision {
    /// The deciding body's unit code.
    pub unit_code: String,
    pub title: String,
    pub decided_on: NaiveDate,
    pub completed_on: Option<NaiveDate>,
    /// Sent again on a retry: the decision is recorded once.
    pub client_key: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewConsultation {
    pub stage: DecisionStage,
    pub held_on: NaiveDate,
    /// Who was asked (residents of a village, a hearing, a survey of 200 households).
    pub asked: String,
    /// What they said.
    pub said: String,
    /// What changed in the decision or its carrying out because of it.
    pub changed: String,
    pub client_key: String,
}

/// One decision as its pages and the API show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub id: i32,
    pub unit_code: String,
    pub unit_name: String,
    pub title: String,
    pub decided_on: NaiveDate,
    pub completed_on: Option<NaiveDate>,
    pub consultations: Vec<ConsultationView>,
    /// The stages still missing, in Chinese (事前问需 …), and whether any is past its window.
    pub missing: Vec<String>,
    pub overdue: bool,
    /// Whether a retried write found this already recorded.
    pub duplicate: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ConsultationView {
    pub id: i32,
    pub stage: DecisionStage,
    pub stage_name: String,
    pub held_on: NaiveDate,
    pub asked: String,
    pub said: String,
    pub changed: String,
    pub recorded_by: String,
}

pub(crate) fn bounded(
    field: &str,
    v: &str,
    max: usize,
    required: bool,
) -> Result<String, StoreError> {
    let v = v.trim();
    if required && v.is_empty() {
        return Err(StoreError::Invalid(format!("{field}：不能为空")));
    }
    if v.chars().count() > max {
        return Err(StoreError::Invalid(format!(
            "{field}：不能超过{max}个字，现有{}个",
            v.chars().count()
        )));
    }
    Ok(v.to_string())
}

pub(crate) fn key(client_key: &str) -> Result<String, StoreError> {
    let k = client_key.trim();
    if k.is_empty() || k.len() > 64 {
        return Err(StoreError::Invalid(
            "client_key：须有，且不超过64个字符".into(),
        ));
    }
    Ok(k.to_string())
}

/// The body's unit, if the caller may keep its decisions.
async fn body(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    code: &str,
) -> Result<unit::Model, StoreError> {
    let u = unit::Entity::find()
        .filter(unit::Column::Code.eq(code.trim()))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("决策机关：单位代码“{code}”不存在")))?;
    if !UnitKind::from_code(&u.kind).is_some_and(|k| BODIES.contains(&k)) {
        return Err(StoreError::Invalid(format!(
            "决策机关：{}不是决策机关（应为县四大班子、县直单位、镇党委政府或街道党工委办事处）",
            u.name
        )));
    }
    let path = region::Entity::find()
        .filter(region::Column::Code.eq(&u.region_code))
        .one(db)
        .await?
        .map(|r| r.path)
        .unwrap_or_default();
    if !vis.covers_region(&path) {
        return Err(StoreError::Forbidden(format!("无权登记{}的决策", u.name)));
    }
    Ok(u)
}

/// Records a decision (or answers with the one already recorded under its client key).
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    at: At,
    d: &NewDecision,
) -> Result<DecisionView, StoreError> {
    let client_key = key(&d.client_key)?;
    if let Some(m) = decision::Entity::find()
        .filter(decision::Column::ClientKey.eq(&client_key))
        .one(db)
        .await?
    {
        let mut v = one(db, vis, m.id, at).await?;
        v.duplicate = true;
        return Ok(v);
    }
    let title = bounded("决策事项", &d.title, MAX_TITLE, true)?;
    if let Some(c) = d.completed_on.filter(|c| *c < d.decided_on) {
        return Err(StoreError::Invalid(format!(
            "实施完成日期：{c}早于决策日期{}",
            d.decided_on
        )));
    }
    let u = body(db, vis, &d.unit_code).await?;
    let txn = db.begin().await?;
    let m = decision::ActiveModel {
        id: NotSet,
        unit_code: Set(u.code.clone()),
        title: Set(title),
        decided_on: Set(d.decided_on),
        completed_on: Set(d.completed_on),
        client_key: Set(client_key),
        created_by: Set(actor.to_string()),
        created_at: Set(at.now),
    }
    .insert(&txn)
    .await?;
    history::step(&txn, "decision", actor, at.now, m.id, "create", None, &m).await?;
    txn.commit().await?;
    one(db, vis, m.id, at).await
}

/// Enters (or corrects) the day the decision's carrying out was completed.
pub async fn complete(
    db: &sea_orm::DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    at: At,
    id: i32,
    completed_on: NaiveDate,
) -> Result<DecisionView, StoreError> {
    let m = find(db, id).await?;
    body(db, vis, &m.unit_code).await?;
    if completed_on < m.decided_on {
        return Err(StoreError::Invalid(format!(
            "实施完成日期：{completed_on}早于决策日期{}",
            m.decided_on
        )));
    }
    let held = decision_consultation::Entity::find()
        .filter(decision_consultation::Column::DecisionId.eq(id))
        .all(db)
        .await?;
    for c in &held {
        let stage = DecisionStage::from_code(&c.stage).unwrap_or(DecisionStage::During);
        if let Some(e) = stage_window_error(stage, c.held_on, m.decided_on, Some(completed_on)) {
            return Err(StoreError::Invalid(format!(
                "实施完成日期：与已登记的{}记录不符（{e}）",
                stage.zh()
            )));
        }
    }
    if m.completed_on != Some(completed_on) {
        let txn = db.begin().await?;
        let old = serde_json::to_value(&m).unwrap_or_default();
        let mut a: decision::ActiveModel = m.into();
        a.completed_on = Set(Some(completed_on));
        let m = a.update(&txn).await?;
        history::step(
            &txn,
            "decision",
            actor,
            at.now,
            id,
            "complete",
            Some(&old),
            &m,
        )
        .await?;
        txn.commit().await?;
    }
    one(db, vis, id, at).await
}

/// Records one consultation of a decision, in its stage's window.
pub async fn consult(
    db: &sea_orm::DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    at: At,
    id: i32,
    c: &NewConsultation,
) -> Result<DecisionView, StoreError> {
    let client_key = key(&c.client_key)?;
    let m = find(db, id).await?;
    body(db, vis, &m.unit_code).await?;
    if decision_consultation::Entity::find()
        .filter(decision_consultation::Column::ClientKey.eq(&client_key))
        .one(db)
        .await?
        .is_some()
    {
        let mut v = one(db, vis, id, at).await?;
        v.duplicate = true;
        return Ok(v);
    }
    if let Some(e) = stage_window_error(c.stage, c.held_on, m.decided_on, m.completed_on) {
        return Err(StoreError::Invalid(format!("日期：{e}")));
    }
    let today = crate::time::beijing_date(at.now);
    if c.held_on > today {
        return Err(StoreError::Invalid(format!(
            "日期：{}还没有到，只能登记已经做过的征询",
            c.held_on
        )));
    }
    let asked = bounded("征询对象", &c.asked, MAX_ASKED, true)?;
    let said = bounded("群众意见", &c.said, MAX_TEXT, true)?;
    let changed = bounded("采纳和改进", &c.changed, MAX_TEXT, false)?;
    let txn = db.begin().await?;
    let row = decision_consultation::ActiveModel {
        id: NotSet,
        decision_id: Set(id),
        stage: Set(c.stage.code().to_string()),
        held_on: Set(c.held_on),
        asked: Set(asked),
        said: Set(said),
        changed: Set(changed),
        client_key: Set(client_key),
        recorded_by: Set(actor.to_string()),
        recorded_at: Set(at.now),
    }
    .insert(&txn)
    .await?;
    history::step(&txn, "decision", actor, at.now, id, "consult", None, &row).await?;
    txn.commit().await?;
    one(db, vis, id, at).await
}

async fn find(db: &impl ConnectionTrait, id: i32) -> Result<decision::Model, StoreError> {
    decision::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound("没有这项决策".into()))
}

/// One decision with its consultations, if the caller may see its body.
pub async fn one(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    id: i32,
    at: At,
) -> Result<DecisionView, StoreError> {
    let m = find(db, id).await?;
    let u = body(db, vis, &m.unit_code).await.map_err(|e| match e {
        StoreError::Forbidden(_) => StoreError::NotFound("没有这项决策".into()),
        e => e,
    })?;
    let cs = decision_consultation::Entity::find()
        .filter(decision_consultation::Column::DecisionId.eq(id))
        .order_by_asc(decision_consultation::Column::HeldOn)
        .order_by_asc(decision_consultation::Column::Id)
        .all(db)
        .await?;
    Ok(view(m, u.name, cs, at))
}

fn view(
    m: decision::Model,
    unit_name: String,
    cs: Vec<decision_consultation::Model>,
    at: At,
) -> DecisionView {
    let consultations: Vec<ConsultationView> = cs
        .into_iter()
        .filter_map(|c| {
            let stage = DecisionStage::from_code(&c.stage)?;
            Some(ConsultationView {
                id: c.id,
                stage,
                stage_name: stage.zh().to_string(),
                held_on: c.held_on,
                asked: c.asked,
                said: c.said,
                changed: c.changed,
                recorded_by: c.recorded_by,
            })
        })
        .collect();
    let held: Vec<DecisionStage> = consultations.iter().map(|c| c.stage).collect();
    let today = crate::time::beijing_date(at.now);
    let st = standing(&held, m.decided_on, m.completed_on, at.after_days, today);
    DecisionView {
        id: m.id,
        unit_code: m.unit_code,
        unit_name,
        title: m.title,
        decided_on: m.decided_on,
        completed_on: m.completed_on,
        consultations,
        missing: st
            .overdue
            .iter()
            .chain(&st.open)
            .map(|s| s.zh().to_string())
            .collect(),
        overdue: !st.overdue.is_empty(),
        duplicate: false,
    }
}

/// The decisions of a year (decided in it) of the bodies the caller may see, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    year: i32,
    at: At,
) -> Result<Vec<DecisionView>, StoreError> {
    let (from, to) = year_bounds(year);
    let ms = decision::Entity::find()
        .filter(decision::Column::DecidedOn.between(from, to))
        .order_by_desc(decision::Column::DecidedOn)
        .order_by_desc(decision::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = ms.iter().map(|m| m.id).collect();
    let mut cs: HashMap<i32, Vec<decision_consultation::Model>> = HashMap::new();
    for c in decision_consultation::Entity::find()
        .filter(decision_consultation::Column::DecisionId.is_in(ids))
        .order_by_asc(decision_consultation::Column::HeldOn)
        .order_by_asc(decision_consultation::Column::Id)
        .all(db)
        .await?
    {
        cs.entry(c.decision_id).or_default().push(c);
    }
    let units: HashMap<String, (String, String)> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, (u.name, u.region_code)))
        .collect();
    let paths = super::registry::region_paths(db).await?;
    Ok(ms
        .into_iter()
        .filter_map(|m| {
            let (name, region) = units.get(&m.unit_code)?;
            let path = paths.get(region).map(String::as_str).unwrap_or("");
            vis.covers_region(path).then(|| {
                let c = cs.remove(&m.id).unwrap_or_default();
                view(m, name.clone(), c, at)
            })
        })
        .collect())
}

/// The bodies the caller may keep decisions for, as (code, name).
pub async fn bodies(
    db: &impl ConnectionTrait,
    vis: &Visibility,
) -> Result<Vec<(String, String)>, StoreError> {
    let kinds: Vec<&str> = BODIES.iter().map(|k| k.code()).collect();
    let paths = super::registry::region_paths(db).await?;
    Ok(unit::Entity::find()
        .filter(unit::Column::Kind.is_in(kinds))
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .filter(|u| vis.covers_region(paths.get(&u.region_code).map(String::as_str).unwrap_or("")))
        .map(|u| (u.code, u.name))
        .collect())
}

pub(crate) fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    )
}

/// The year's decisions as the rules read them.
pub async fn facts(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<Vec<DecisionFact>, sea_orm::DbErr> {
    let (from, to) = year_bounds(year);
    let ms = decision::Entity::find()
        .filter(decision::Column::DecidedOn.between(from, to))
        .all(db)
        .await?;
    let ids: Vec<i32> = ms.iter().map(|m| m.id).collect();
    let mut held: HashMap<i32, Vec<(DecisionStage, NaiveDate)>> = HashMap::new();
    for c in decision_consultation::Entity::find()
        .filter(decision_consultation::Column::DecisionId.is_in(ids))
        .all(db)
        .await?
    {
        if let Some(s) = DecisionStage::from_code(&c.stage) {
            held.entry(c.decision_id).or_default().push((s, c.held_on));
        }
    }
    Ok(ms
        .into_iter()
        .map(|m| DecisionFact {
            held: held.remove(&m.id).unwrap_or_default(),
            id: m.id,
            unit: m.unit_code,
            title: m.title,
            decided_on: m.decided_on,
            completed_on: m.completed_on,
        })
        .collect())
}
