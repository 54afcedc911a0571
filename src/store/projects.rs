//! Community service projects of 双报到 (BF-7): a community lists a need, a unit reported to
//! it claims the project and completes it, and the community confirms it. Every write
//! answers with what it wrote, a retried write is recorded once, and each step goes into the
//! history under the project's number.

use super::StoreError;
use super::access::Visibility;
use super::decisions::{bounded, key, year_bounds};
use super::entities::{link, region, service_project, unit};
use super::history;
use crate::domain::labels::{LinkKind, RegionLevel};
use crate::domain::rules::facts::ProjectFact;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewProject {
    /// The community (or village) that needs it.
    pub region_code: String,
    pub title: String,
    /// What the community needs, in its own words.
    pub need: String,
    pub listed_on: NaiveDate,
    /// Sent again on a retry: the project is listed once.
    pub client_key: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct Claim {
    /// The unit whose party organisation claims it; it must be reported to the community.
    pub unit_code: String,
    pub claimed_on: NaiveDate,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct Completion {
    pub completed_on: NaiveDate,
    /// Who took part (names, or “机关党员12人”).
    pub took_part: String,
    /// What was done.
    pub outcome: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct Confirmation {
    pub confirmed_on: NaiveDate,
    /// The community's word on it (who confirmed, what residents said).
    pub confirmation: String,
}

/// One project as its pages and the API show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProjectView {
    pub id: i32,
    pub region_code: String,
    pub community_name: String,
    pub title: String,
    pub need: String,
    pub listed_on: NaiveDate,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub claimed_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub took_part: String,
    pub outcome: String,
    pub confirmed_on: Option<NaiveDate>,
    pub confirmed_by: String,
    pub confirmation: String,
    /// 待认领, 已认领, 已完成待社区确认 or 社区已确认.
    pub stage: String,
    /// Whether a retried write found this already recorded.
    pub duplicate: bool,
}

async fn community(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    code: &str,
) -> Result<region::Model, StoreError> {
    let r = region::Entity::find()
        .filter(region::Column::Code.eq(code.trim()))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("社区：区划代码“{code}”不存在")))?;
    if !matches!(
        RegionLevel::from_code(&r.level),
        Some(RegionLevel::Community | RegionLevel::Village)
    ) {
        return Err(StoreError::Invalid(format!(
            "社区：{}不是社区或村，服务项目由社区（村）提出",
            r.name
        )));
    }
    if !vis.covers_region(&r.path) {
        return Err(StoreError::Forbidden(format!(
            "无权登记{}的服务项目",
            r.name
        )));
    }
    Ok(r)
}

/// A day of something that happened: not after today, not before 2000.
pub(crate) fn not_future(field: &str, on: NaiveDate, now: DateTime<Utc>) -> Result<(), StoreError> {
    if on.year() < 2000 {
        return Err(StoreError::Invalid(format!(
            "{field}：{on}太早，应在2000年以后"
        )));
    }
    if on > crate::time::beijing_date(now) {
        return Err(StoreError::Invalid(format!(
            "{field}：{on}还没有到，只能登记已经发生的事"
        )));
    }
    Ok(())
}

/// Lists a community's need as a project (or answers with the one already listed under the
/// client key).
pub async fn create(
    db: &DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    now: DateTime<Utc>,
    n: &NewProject,
) -> Result<ProjectView, StoreError> {
    let client_key = key(&n.client_key)?;
    if let Some(m) = service_project::Entity::find()
        .filter(service_project::Column::ClientKey.eq(&client_key))
        .one(db)
        .await?
    {
        let mut v = one(db, vis, m.id).await?;
        v.duplicate = true;
        return Ok(v);
    }
    let title = bounded("项目名称", &n.title, 200, true)?;
    let need = bounded("社区需求", &n.need, 2000, true)?;
    not_future("提出日期", n.listed_on, now)?;
    let r = community(db, vis, &n.region_code).await?;
    let txn = db.begin().await?;
    let m = service_project::ActiveModel {
        id: NotSet,
        region_code: Set(r.code),
        title: Set(title),
        need: Set(need),
        listed_on: Set(n.listed_on),
        unit_code: Set(None),
        claimed_on: Set(None),
        completed_on: Set(None),
        took_part: Set(String::new()),
        outcome: Set(String::new()),
        confirmed_on: Set(None),
        confirmed_by: Set(String::new()),
        confirmation: Set(String::new()),
        client_key: Set(client_key),
        created_by: Set(actor.to_string()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    history::step(
        &txn,
        "service_project",
        actor,
        now,
        m.id,
        "create",
        None,
        &m,
    )
    .await?;
    txn.commit().await?;
    one(db, vis, m.id).await
}

async fn find(db: &impl ConnectionTrait, id: i32) -> Result<service_project::Model, StoreError> {
    service_project::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound("没有这个服务项目".into()))
}

/// The project, if the caller may keep its community's projects.
async fn mine(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    id: i32,
) -> Result<(service_project::Model, region::Model), StoreError> {
    let m = find(db, id).await?;
    let r = community(db, vis, &m.region_code)
        .await
        .map_err(|e| match e {
            StoreError::Forbidden(_) => StoreError::NotFound("没有这个服务项目".into()),
            e => e,
        })?;
    Ok((m, r))
}

async fn save(
    db: &DatabaseConnection,
    actor: &str,
    now: DateTime<Utc>,
    action: &'static str,
    old: service_project::Model,
    change: impl FnOnce(&mut service_project::ActiveModel),
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    let before = serde_json::to_value(&old).unwrap_or_default();
    let id = old.id;
    let mut a: service_project::ActiveModel = old.into();
    change(&mut a);
    let m = a.update(&txn).await?;
    history::step(
        &txn,
        "service_project",
        actor,
        now,
        id,
        action,
        Some(&before),
        &m,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A unit reported to the community claims the project. Claiming it again for the same unit
/// answers with the project as it is.
pub async fn claim(
    db: &DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    now: DateTime<Utc>,
    id: i32,
    c: &Claim,
) -> Result<ProjectView, StoreError> {
    let (m, _) = mine(db, vis, id).await?;
    let code = c.unit_code.trim();
    let u = unit::Entity::find()
        .filter(unit::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("认领单位：单位代码“{code}”不存在")))?;
    if let Some(held) = &m.unit_code {
        if *held == u.code {
            return one(db, vis, id).await;
        }
        return Err(StoreError::Invalid(format!(
            "认领单位：这个项目已由{}认领",
            unit_name(db, held).await?
        )));
    }
    not_future("认领日期", c.claimed_on, now)?;
    if c.claimed_on < m.listed_on {
        return Err(StoreError::Invalid(format!(
            "认领日期：{}早于社区提出需求的日期{}",
            c.claimed_on, m.listed_on
        )));
    }
    let reported = link::Entity::find()
        .filter(link::Column::UnitCode.eq(&u.code))
        .filter(link::Column::Kind.eq(LinkKind::CommunityRegistration.code()))
        .filter(link::Column::TargetCode.eq(&m.region_code))
        .filter(
            Condition::any()
                .add(link::Column::EndDate.is_null())
                .add(link::Column::EndDate.gte(c.claimed_on)),
        )
        .one(db)
        .await?;
    if reported.is_none() {
        return Err(StoreError::Invalid(format!(
            "认领单位：{}没有到这个社区报到（社区报到），先在联系关系中登记报到",
            u.name
        )));
    }
    let (unit_code, on) = (u.code, c.claimed_on);
    save(db, actor, now, "claim", m, |a| {
        a.unit_code = Set(Some(unit_code));
        a.claimed_on = Set(Some(on));
    })
    .await?;
    one(db, vis, id).await
}

/// The claiming unit completed the project: when, who took part and what was done.
pub async fn complete(
    db: &DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    now: DateTime<Utc>,
    id: i32,
    c: &Completion,
) -> Result<ProjectView, StoreError> {
    let (m, _) = mine(db, vis, id).await?;
    let Some(claimed_on) = m.claimed_on else {
        return Err(StoreError::Invalid(
            "完成日期：项目还没有单位认领，认领后才能登记完成".into(),
        ));
    };
    if m.completed_on == Some(c.completed_on) {
        return one(db, vis, id).await;
    }
    if m.confirmed_on.is_some() {
        return Err(StoreError::Invalid(
            "完成日期：社区已确认这个项目，不能再改".into(),
        ));
    }
    not_future("完成日期", c.completed_on, now)?;
    if c.completed_on < claimed_on {
        return Err(StoreError::Invalid(format!(
            "完成日期：{}早于认领日期{claimed_on}",
            c.completed_on
        )));
    }
    let took_part = bounded("参与人员", &c.took_part, 500, true)?;
    let outcome = bounded("完成情况", &c.outcome, 2000, true)?;
    let on = c.completed_on;
    save(db, actor, now, "complete", m, |a| {
        a.completed_on = Set(Some(on));
        a.took_part = Set(took_part);
        a.outcome = Set(outcome);
    })
    .await?;
    one(db, vis, id).await
}

/// The community confirms the completed project.
pub async fn confirm(
    db: &DatabaseConnection,
    vis: &Visibility,
    actor: &str,
    now: DateTime<Utc>,
    id: i32,
    c: &Confirmation,
) -> Result<ProjectView, StoreError> {
    let (m, _) = mine(db, vis, id).await?;
    if m.confirmed_on.is_some() {
        return one(db, vis, id).await;
    }
    let Some(completed_on) = m.completed_on else {
        return Err(StoreError::Invalid(
            "确认日期：项目还没有登记完成，完成后社区才能确认".into(),
        ));
    };
    not_future("确认日期", c.confirmed_on, now)?;
    if c.confirmed_on < completed_on {
        return Err(StoreError::Invalid(format!(
            "确认日期：{}早于完成日期{completed_on}",
            c.confirmed_on
        )));
    }
    let confirmation = bounded("社区意见", &c.confirmation, 500, true)?;
    let (on, by) = (c.confirmed_on, actor.to_string());
    save(db, actor, now, "confirm", m, |a| {
        a.confirmed_on = Set(Some(on));
        a.confirmed_by = Set(by);
        a.confirmation = Set(confirmation);
    })
    .await?;
    one(db, vis, id).await
}

async fn unit_name(db: &impl ConnectionTrait, code: &str) -> Result<String, StoreError> {
    Ok(unit::Entity::find()
        .filter(unit::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_else(|| code.to_string()))
}

fn view(
    m: service_project::Model,
    community_name: String,
    unit_name: Option<String>,
) -> ProjectView {
    let stage = match (&m.unit_code, m.completed_on, m.confirmed_on) {
        (_, _, Some(_)) => "社区已确认",
        (_, Some(_), None) => "已完成待社区确认",
        (Some(_), None, None) => "已认领",
        (None, _, _) => "待认领",
    };
    ProjectView {
        id: m.id,
        region_code: m.region_code,
        community_name,
        title: m.title,
        need: m.need,
        listed_on: m.listed_on,
        unit_code: m.unit_code,
        unit_name,
        claimed_on: m.claimed_on,
        completed_on: m.completed_on,
        took_part: m.took_part,
        outcome: m.outcome,
        confirmed_on: m.confirmed_on,
        confirmed_by: m.confirmed_by,
        confirmation: m.confirmation,
        stage: stage.to_string(),
        duplicate: false,
    }
}

pub async fn one(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    id: i32,
) -> Result<ProjectView, StoreError> {
    let (m, r) = mine(db, vis, id).await?;
    let u = match &m.unit_code {
        Some(c) => Some(unit_name(db, c).await?),
        None => None,
    };
    Ok(view(m, r.name, u))
}

/// The projects listed in a year (or still open from earlier) in the caller's regions,
/// newest first, at most `limit`.
pub async fn list(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    year: i32,
    limit: u64,
) -> Result<Vec<ProjectView>, StoreError> {
    let (from, to) = year_bounds(year);
    let ms = service_project::Entity::find()
        .filter(
            Condition::any()
                .add(service_project::Column::ListedOn.between(from, to))
                .add(service_project::Column::CompletedOn.between(from, to))
                .add(
                    Condition::all()
                        .add(service_project::Column::ListedOn.lt(from))
                        .add(service_project::Column::ConfirmedOn.is_null()),
                ),
        )
        .order_by_desc(service_project::Column::ListedOn)
        .order_by_desc(service_project::Column::Id)
        .all(db)
        .await?;
    let regions: HashMap<String, (String, String)> = region::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.code, (r.name, r.path)))
        .collect();
    let units: HashMap<String, String> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    Ok(ms
        .into_iter()
        .filter_map(|m| {
            let (name, path) = regions.get(&m.region_code)?;
            if !vis.covers_region(path) {
                return None;
            }
            let u = m.unit_code.as_ref().and_then(|c| units.get(c)).cloned();
            Some(view(m, name.clone(), u))
        })
        .take(limit as usize)
        .collect())
}

/// The communities (and villages) the caller may list projects for, and for each the units
/// reported to it, as (code, name, [(unit code, unit name)]).
pub async fn communities(
    db: &impl ConnectionTrait,
    vis: &Visibility,
) -> Result<Vec<(String, String, Vec<(String, String)>)>, StoreError> {
    let rs = region::Entity::find()
        .filter(
            region::Column::Level
                .is_in([RegionLevel::Community.code(), RegionLevel::Village.code()]),
        )
        .order_by_asc(region::Column::Code)
        .all(db)
        .await?;
    let units: HashMap<String, String> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let mut reported: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for l in link::Entity::find()
        .filter(link::Column::Kind.eq(LinkKind::CommunityRegistration.code()))
        .filter(link::Column::UnitCode.is_not_null())
        .all(db)
        .await?
    {
        if let Some(u) = l.unit_code {
            let name = units.get(&u).cloned().unwrap_or_else(|| u.clone());
            let list = reported.entry(l.target_code).or_default();
            if !list.iter().any(|(c, _)| *c == u) {
                list.push((u, name));
            }
        }
    }
    // Communities first: 双报到 is a community's; villages follow.
    let mut rs = rs;
    rs.sort_by_key(|r| r.level != RegionLevel::Community.code());
    Ok(rs
        .into_iter()
        .filter(|r| vis.covers_region(&r.path))
        .map(|r| {
            let us = reported.remove(&r.code).unwrap_or_default();
            (r.code, r.name, us)
        })
        .collect())
}

/// The projects as the rules read them: every project claimed by a unit, completed up to the
/// end of the year.
pub async fn facts(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<Vec<ProjectFact>, sea_orm::DbErr> {
    let (_, to) = year_bounds(year);
    Ok(service_project::Entity::find()
        .filter(service_project::Column::UnitCode.is_not_null())
        .filter(service_project::Column::ListedOn.lte(to))
        .all(db)
        .await?
        .into_iter()
        .map(|m| ProjectFact {
            id: m.id,
            community: m.region_code,
            title: m.title,
            unit: m.unit_code,
            completed_on: m.completed_on,
            confirmed_on: m.confirmed_on,
        })
        .collect())
}
