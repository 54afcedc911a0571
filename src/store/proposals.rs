//! Representatives' proposals 议案/建议 (DDB-5): the liaison office compiles the issues
//! representatives collected (ledger items from 党代表) into proposals for a meeting, forwards
//! each to a unit, and tracks it to an answer on the ledger's proposal clock (one extension),
//! then closes it. Every write answers with what it wrote, a retried write is recorded once,
//! and each step goes into the history under the proposal's number.

use super::StoreError;
use super::access::Visibility;
use super::decisions::{bounded, key, year_bounds};
use super::entities::{ledger_item, proposal, proposal_item, region, unit};
use super::history;
use super::projects::not_future;
use crate::domain::calendar::Calendar;
use crate::domain::labels::{ItemSource, ProposalKind, UnitTag};
use crate::domain::ledger::deadline;
use crate::domain::policy::Clock;
use crate::domain::rules::facts::ProposalFact;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The most collected issues one proposal compiles.
pub const MAX_ITEMS: usize = 50;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewProposal {
    /// The liaison office (a unit tagged 党代表联络机构 or 党建办).
    pub unit_code: String,
    /// The meeting it is for, e.g. 县第十五次党代会第三次会议.
    pub meeting: String,
    pub kind: ProposalKind,
    pub title: String,
    pub content: String,
    /// The representatives who raised it.
    pub raised_by: String,
    pub submitted_on: NaiveDate,
    /// The ledger items (issues representatives collected) it compiles; at most 50.
    #[serde(default)]
    pub item_ids: Vec<i32>,
    pub client_key: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct Forward {
    /// The unit that must answer.
    pub unit_code: String,
    pub forwarded_on: NaiveDate,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub answered_on: NaiveDate,
    pub answer: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct Close {
    pub closed_on: NaiveDate,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    pub id: i32,
    pub unit_code: String,
    pub office_name: String,
    pub meeting: String,
    pub kind: ProposalKind,
    pub kind_name: String,
    pub title: String,
    pub content: String,
    pub raised_by: String,
    pub submitted_on: NaiveDate,
    pub forwarded_to: Option<String>,
    pub forwarded_to_name: Option<String>,
    pub forwarded_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub extended: bool,
    pub answered_on: Option<NaiveDate>,
    pub answer: String,
    pub closed_on: Option<NaiveDate>,
    /// The collected issues it compiles: (item number, matter).
    pub items: Vec<(i32, String)>,
    /// 待交办, 办理中, 已逾期, 已答复, 逾期答复 or 已办结.
    pub stage: String,
    /// Answered after its deadline, or past it without an answer.
    pub late: bool,
    pub duplicate: bool,
}

/// Whether a unit's stored tags make it a liaison office that compiles proposals (党代表联络机构
/// or 党建办).
pub fn is_liaison_office(tags: &str) -> bool {
    crate::domain::labels::split_codes(tags).iter().any(|t| {
        [
            UnitTag::RepresentativeLiaison.code(),
            UnitTag::PartyBuildingOffice.code(),
        ]
        .contains(t)
    })
}

/// The office's unit, if it is a liaison office the caller may keep proposals for.
async fn office(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    code: &str,
) -> Result<unit::Model, StoreError> {
    let u = unit::Entity::find()
        .filter(unit::Column::Code.eq(code.trim()))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("联络机构：单位代码“{code}”不存在")))?;
    if !is_liaison_office(&u.tags) {
        return Err(StoreError::Invalid(format!(
            "联络机构：{}不是党代表联络办或党建办，议案建议由它们整理交办",
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
        return Err(StoreError::Forbidden(format!(
            "无权登记{}的议案建议",
            u.name
        )));
    }
    Ok(u)
}

pub async fn create(
    db: &DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    now: DateTime<Utc>,
    n: &NewProposal,
) -> Result<ProposalView, StoreError> {
    let client_key = key(&n.client_key)?;
    if let Some(m) = proposal::Entity::find()
        .filter(proposal::Column::ClientKey.eq(&client_key))
        .one(db)
        .await?
    {
        let mut v = one(db, vis, m.id, crate::time::beijing_date(now)).await?;
        v.duplicate = true;
        return Ok(v);
    }
    let meeting = bounded("会议", &n.meeting, 100, true)?;
    let title = bounded("标题", &n.title, 200, true)?;
    let content = bounded("内容", &n.content, 2000, true)?;
    let raised_by = bounded("提出的党代表", &n.raised_by, 500, true)?;
    not_future("提交日期", n.submitted_on, now)?;
    if n.item_ids.len() > MAX_ITEMS {
        return Err(StoreError::Invalid(format!(
            "收集的问题：一件最多汇集{MAX_ITEMS}个，现有{}个",
            n.item_ids.len()
        )));
    }
    let mut ids = n.item_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let items = ledger_item::Entity::find()
        .filter(ledger_item::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    for id in &ids {
        match items.iter().find(|i| i.id == *id) {
            None => {
                return Err(StoreError::Invalid(format!("收集的问题：没有{id}号事项")));
            }
            Some(i) if i.source != ItemSource::Representative.code() => {
                return Err(StoreError::Invalid(format!(
                    "收集的问题：{id}号事项来源不是党代表，不能汇入议案建议"
                )));
            }
            _ => {}
        }
    }
    let u = office(db, vis, &n.unit_code).await?;
    let txn = db.begin().await?;
    let m = proposal::ActiveModel {
        id: NotSet,
        unit_code: Set(u.code),
        meeting: Set(meeting),
        kind: Set(n.kind.code().to_string()),
        title: Set(title),
        content: Set(content),
        raised_by: Set(raised_by),
        submitted_on: Set(n.submitted_on),
        forwarded_to: Set(None),
        forwarded_on: Set(None),
        due_on: Set(None),
        extended: Set(false),
        answered_on: Set(None),
        answer: Set(String::new()),
        closed_on: Set(None),
        client_key: Set(client_key),
        created_by: Set(actor.to_string()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for item_id in &ids {
        proposal_item::ActiveModel {
            id: NotSet,
            proposal_id: Set(m.id),
            item_id: Set(*item_id),
        }
        .insert(&txn)
        .await?;
    }
    let mut logged = serde_json::to_value(&m).unwrap_or_default();
    logged["item_ids"] = serde_json::json!(ids);
    history::step(&txn, "proposal", actor, now, m.id, "create", None, &logged).await?;
    txn.commit().await?;
    one(db, vis, m.id, crate::time::beijing_date(now)).await
}

async fn mine(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    id: i32,
) -> Result<(proposal::Model, unit::Model), StoreError> {
    let m = proposal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound("没有这件议案建议".into()))?;
    let u = office(db, vis, &m.unit_code).await.map_err(|e| match e {
        StoreError::Forbidden(_) => StoreError::NotFound("没有这件议案建议".into()),
        e => e,
    })?;
    Ok((m, u))
}

async fn save(
    db: &DatabaseConnection,
    actor: &str,
    now: DateTime<Utc>,
    action: &'static str,
    old: proposal::Model,
    change: impl FnOnce(&mut proposal::ActiveModel),
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    let before = serde_json::to_value(&old).unwrap_or_default();
    let id = old.id;
    let mut a: proposal::ActiveModel = old.into();
    change(&mut a);
    let m = a.update(&txn).await?;
    history::step(&txn, "proposal", actor, now, id, action, Some(&before), &m).await?;
    txn.commit().await?;
    Ok(())
}

/// Forwards the proposal to the unit that must answer; its deadline runs from that day on
/// the ledger's proposal clock. Forwarding again to the same unit answers with it as it is.
#[allow(clippy::too_many_arguments)]
pub async fn forward(
    db: &DatabaseConnection,
    vis: &Visibility,
    clock: &Clock,
    cal: &Calendar,
    actor: &str,
    now: DateTime<Utc>,
    id: i32,
    f: &Forward,
) -> Result<ProposalView, StoreError> {
    let (m, _) = mine(db, vis, id).await?;
    let code = f.unit_code.trim();
    let to = unit::Entity::find()
        .filter(unit::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("承办单位：单位代码“{code}”不存在")))?;
    if let Some(held) = &m.forwarded_to {
        if *held == to.code {
            return one(db, vis, id, crate::time::beijing_date(now)).await;
        }
        return Err(StoreError::Invalid(
            "承办单位：这件已经交办，不能改交".into(),
        ));
    }
    not_future("交办日期", f.forwarded_on, now)?;
    if f.forwarded_on < m.submitted_on {
        return Err(StoreError::Invalid(format!(
            "交办日期：{}早于提交日期{}",
            f.forwarded_on, m.submitted_on
        )));
    }
    let due = deadline(cal, f.forwarded_on, clock.days, clock.count);
    let on = f.forwarded_on;
    save(db, actor, now, "forward", m, |a| {
        a.forwarded_to = Set(Some(to.code));
        a.forwarded_on = Set(Some(on));
        a.due_on = Set(Some(due));
    })
    .await?;
    one(db, vis, id, crate::time::beijing_date(now)).await
}

/// One extension of the deadline, by the clock's extension days, before it has passed.
#[allow(clippy::too_many_arguments)]
pub async fn extend(
    db: &DatabaseConnection,
    vis: &Visibility,
    clock: &Clock,
    cal: &Calendar,
    actor: &str,
    now: DateTime<Utc>,
    id: i32,
) -> Result<ProposalView, StoreError> {
    let (m, _) = mine(db, vis, id).await?;
    let Some(due) = m.due_on else {
        return Err(StoreError::Invalid("延期：这件还没有交办".into()));
    };
    if m.extended {
        return Err(StoreError::Invalid(
            "延期：这件已经延期过一次，不能再延".into(),
        ));
    }
    if m.answered_on.is_some() {
        return Err(StoreError::Invalid("延期：这件已经答复".into()));
    }
    if clock.extension_days == 0 {
        return Err(StoreError::Invalid("延期：制度不允许延期".into()));
    }
    if crate::time::beijing_date(now) > due {
        return Err(StoreError::Invalid(format!(
            "延期：答复期限{due}已过，只能在期限内申请延期"
        )));
    }
    let new_due = deadline(cal, due, clock.extension_days, clock.count);
    save(db, actor, now, "extend", m, |a| {
        a.due_on = Set(Some(new_due));
        a.extended = Set(true);
    })
    .await?;
    one(db, vis, id, crate::time::beijing_date(now)).await
}

/// The unit's answer, on the day it came.
pub async fn answer(
    db: &DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    now: DateTime<Utc>,
    id: i32,
    a: &Answer,
) -> Result<ProposalView, StoreError> {
    let (m, _) = mine(db, vis, id).await?;
    let Some(forwarded_on) = m.forwarded_on else {
        return Err(StoreError::Invalid("答复：这件还没有交办承办单位".into()));
    };
    if m.answered_on == Some(a.answered_on) {
        return one(db, vis, id, crate::time::beijing_date(now)).await;
    }
    if m.closed_on.is_some() {
        return Err(StoreError::Invalid("答复：这件已经办结".into()));
    }
    not_future("答复日期", a.answered_on, now)?;
    if a.answered_on < forwarded_on {
        return Err(StoreError::Invalid(format!(
            "答复日期：{}早于交办日期{forwarded_on}",
            a.answered_on
        )));
    }
    let text = bounded("答复内容", &a.answer, 2000, true)?;
    let on = a.answered_on;
    save(db, actor, now, "answer", m, |x| {
        x.answered_on = Set(Some(on));
        x.answer = Set(text);
    })
    .await?;
    one(db, vis, id, crate::time::beijing_date(now)).await
}

/// Closes an answered proposal (the representatives have the answer).
pub async fn close(
    db: &DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    now: DateTime<Utc>,
    id: i32,
    c: &Close,
) -> Result<ProposalView, StoreError> {
    let (m, _) = mine(db, vis, id).await?;
    if m.closed_on.is_some() {
        return one(db, vis, id, crate::time::beijing_date(now)).await;
    }
    let Some(answered_on) = m.answered_on else {
        return Err(StoreError::Invalid("办结：承办单位还没有答复".into()));
    };
    not_future("办结日期", c.closed_on, now)?;
    if c.closed_on < answered_on {
        return Err(StoreError::Invalid(format!(
            "办结日期：{}早于答复日期{answered_on}",
            c.closed_on
        )));
    }
    let on = c.closed_on;
    save(db, actor, now, "close", m, |x| x.closed_on = Set(Some(on))).await?;
    one(db, vis, id, crate::time::beijing_date(now)).await
}

fn view(
    m: proposal::Model,
    office_name: String,
    to_name: Option<String>,
    items: Vec<(i32, String)>,
    today: NaiveDate,
) -> ProposalView {
    let late = match (m.due_on, m.answered_on) {
        (Some(due), Some(a)) => a > due,
        (Some(due), None) => today > due,
        _ => false,
    };
    let stage = match (m.forwarded_on, m.answered_on, m.closed_on) {
        (_, _, Some(_)) => "已办结",
        (_, Some(_), None) if late => "逾期答复",
        (_, Some(_), None) => "已答复",
        (Some(_), None, None) if late => "已逾期",
        (Some(_), None, None) => "办理中",
        (None, _, _) => "待交办",
    };
    let kind = ProposalKind::from_code(&m.kind).unwrap_or(ProposalKind::Suggestion);
    ProposalView {
        id: m.id,
        unit_code: m.unit_code,
        office_name,
        meeting: m.meeting,
        kind,
        kind_name: kind.zh().to_string(),
        title: m.title,
        content: m.content,
        raised_by: m.raised_by,
        submitted_on: m.submitted_on,
        forwarded_to: m.forwarded_to,
        forwarded_to_name: to_name,
        forwarded_on: m.forwarded_on,
        due_on: m.due_on,
        extended: m.extended,
        answered_on: m.answered_on,
        answer: m.answer,
        closed_on: m.closed_on,
        items,
        stage: stage.to_string(),
        late,
        duplicate: false,
    }
}

async fn items_of(
    db: &impl ConnectionTrait,
    ids: Vec<i32>,
) -> Result<HashMap<i32, Vec<(i32, String)>>, StoreError> {
    let links = proposal_item::Entity::find()
        .filter(proposal_item::Column::ProposalId.is_in(ids))
        .all(db)
        .await?;
    let matters: HashMap<i32, String> = ledger_item::Entity::find()
        .filter(ledger_item::Column::Id.is_in(links.iter().map(|l| l.item_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.matter))
        .collect();
    let mut out: HashMap<i32, Vec<(i32, String)>> = HashMap::new();
    for l in links {
        let matter = matters.get(&l.item_id).cloned().unwrap_or_default();
        out.entry(l.proposal_id)
            .or_default()
            .push((l.item_id, matter));
    }
    Ok(out)
}

/// One proposal, judged late or not as of `today`.
pub async fn one(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    id: i32,
    today: NaiveDate,
) -> Result<ProposalView, StoreError> {
    let (m, u) = mine(db, vis, id).await?;
    let to = match &m.forwarded_to {
        Some(c) => unit::Entity::find()
            .filter(unit::Column::Code.eq(c))
            .one(db)
            .await?
            .map(|u| u.name),
        None => None,
    };
    let items = items_of(db, vec![id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(view(m, u.name, to, items, today))
}

/// The proposals submitted in a year by the offices in the caller's regions, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    year: i32,
    today: NaiveDate,
) -> Result<Vec<ProposalView>, StoreError> {
    let (from, to) = year_bounds(year);
    let ms = proposal::Entity::find()
        .filter(proposal::Column::SubmittedOn.between(from, to))
        .order_by_desc(proposal::Column::SubmittedOn)
        .order_by_desc(proposal::Column::Id)
        .all(db)
        .await?;
    let units: HashMap<String, (String, String)> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, (u.name, u.region_code)))
        .collect();
    let paths = super::registry::region_paths(db).await?;
    let mut items = items_of(db, ms.iter().map(|m| m.id).collect()).await?;
    Ok(ms
        .into_iter()
        .filter_map(|m| {
            let (name, region) = units.get(&m.unit_code)?;
            let path = paths.get(region).map(String::as_str).unwrap_or("");
            if !vis.covers_region(path) {
                return None;
            }
            let to = m
                .forwarded_to
                .as_ref()
                .and_then(|c| units.get(c))
                .map(|u| u.0.clone());
            let its = items.remove(&m.id).unwrap_or_default();
            Some(view(m, name.clone(), to, its, today))
        })
        .collect())
}

/// The liaison offices the caller may keep proposals for, and every unit a proposal can be
/// forwarded to, each as (code, name).
pub async fn choices(
    db: &impl ConnectionTrait,
    vis: &Visibility,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>), StoreError> {
    let paths = super::registry::region_paths(db).await?;
    let all = unit::Entity::find()
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?;
    let offices = all
        .iter()
        .filter(|u| {
            is_liaison_office(&u.tags)
                && vis.covers_region(paths.get(&u.region_code).map(String::as_str).unwrap_or(""))
        })
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let targets = all
        .into_iter()
        .filter(|u| !matches!(u.kind.as_str(), "representative_group" | "volunteer_team"))
        .map(|u| (u.code, u.name))
        .collect();
    Ok((offices, targets))
}

/// The year's proposals as the rules read them.
pub async fn facts(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<Vec<ProposalFact>, sea_orm::DbErr> {
    let (from, to) = year_bounds(year);
    Ok(proposal::Entity::find()
        .filter(proposal::Column::SubmittedOn.between(from, to))
        .all(db)
        .await?
        .into_iter()
        .map(|m| ProposalFact {
            id: m.id,
            office: m.unit_code,
            meeting: m.meeting,
            title: m.title,
            submitted_on: m.submitted_on,
            forwarded_to: m.forwarded_to,
            forwarded_on: m.forwarded_on,
            due_on: m.due_on,
            answered_on: m.answered_on,
        })
        .collect())
}
