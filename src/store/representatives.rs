//! Party representatives as the liaison office keeps them: the working groups with their members
//! and convener (DDB-1), each group's activities by quarter (DDB-3), and each representative's
//! published contact details (DDB-4). Groups and members come from the registry (a unit of kind
//! 党代表工作小组, links 工作小组成员); a publication is written here, once per key, into the
//! history.

use super::StoreError;
use super::access::Visibility;
use super::decisions::bounded;
use super::entities::{activity, activity_target, contact_publication, link, person, unit};
use super::history;
use super::projects::not_future;
use crate::domain::labels::{LinkKind, Role, UnitKind};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The roles that make a person a party representative.
const REPRESENTATIVE: [Role; 2] = [Role::CountyRepresentative, Role::TownRepresentative];

fn is_representative(roles: &str) -> bool {
    REPRESENTATIVE
        .iter()
        .any(|r| roles.contains(&format!(",{},", r.code())))
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Representative {
    pub person_id: i32,
    pub name: String,
    /// 县党代表 or 镇党代表.
    pub role: String,
    pub convener: bool,
    /// The latest publication of their contact details on or before the year's end.
    pub published_on: Option<NaiveDate>,
    pub place: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub code: String,
    pub name: String,
    pub members: Vec<Representative>,
    /// One of its members is its convener (DDB-1).
    pub has_convener: bool,
    /// Records naming the group, in each quarter of the year (DDB-3).
    pub quarters: [u32; 4],
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub year: i32,
    pub groups: Vec<Group>,
    /// Every representative the caller may see, in a group or not.
    pub representatives: Vec<Representative>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewPublication {
    pub person_id: i32,
    pub published_on: NaiveDate,
    /// Where: 党代表工作室公示栏, 村务公开栏, 县委组织部网站 …
    pub place: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Publication {
    pub id: i32,
    pub person_id: i32,
    pub name: String,
    pub published_on: NaiveDate,
    pub place: String,
    pub duplicate: bool,
}

/// The groups and representatives the caller may see, for `year`.
pub async fn overview(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    year: i32,
) -> Result<Overview, StoreError> {
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let people: Vec<person::Model> = person::Entity::find()
        .filter(vis.people())
        .filter(
            REPRESENTATIVE
                .iter()
                .fold(sea_orm::Condition::any(), |c, r| {
                    c.add(person::Column::Roles.contains(format!(",{},", r.code())))
                }),
        )
        .order_by_asc(person::Column::Pinyin)
        .limit(5000)
        .all(db)
        .await?;
    let ids: Vec<i32> = people.iter().map(|p| p.id).collect();
    let mut latest: HashMap<i32, (NaiveDate, String)> = HashMap::new();
    for chunk in ids.chunks(900) {
        for c in contact_publication::Entity::find()
            .filter(contact_publication::Column::PersonId.is_in(chunk.to_vec()))
            .filter(contact_publication::Column::PublishedOn.lte(last))
            .all(db)
            .await?
        {
            let e = latest
                .entry(c.person_id)
                .or_insert((c.published_on, c.place.clone()));
            if c.published_on > e.0 {
                *e = (c.published_on, c.place);
            }
        }
    }
    let line = |p: &person::Model| {
        let (published_on, place) = latest
            .get(&p.id)
            .map(|(d, w)| (Some(*d), Some(w.clone())))
            .unwrap_or((None, None));
        Representative {
            person_id: p.id,
            name: p.name.clone(),
            role: if p.roles.contains(",county_representative,") {
                Role::CountyRepresentative.zh()
            } else {
                Role::TownRepresentative.zh()
            }
            .to_string(),
            convener: p.roles.contains(&format!(",{},", Role::Convener.code())),
            published_on,
            place,
        }
    };
    let by_id: HashMap<i32, &person::Model> = people.iter().map(|p| (p.id, p)).collect();
    let units: Vec<unit::Model> = unit::Entity::find()
        .filter(unit::Column::Kind.eq(UnitKind::RepresentativeGroup.code()))
        .order_by_asc(unit::Column::Code)
        .limit(2000)
        .all(db)
        .await?;
    let codes: Vec<String> = units.iter().map(|u| u.code.clone()).collect();
    let memberships: Vec<link::Model> = link::Entity::find()
        .filter(link::Column::Kind.eq(LinkKind::GroupMembership.code()))
        .filter(link::Column::Year.eq(year))
        .filter(link::Column::TargetCode.is_in(codes.clone()))
        .all(db)
        .await?;
    // Records naming a group, by quarter (two reads: the entities declare no relations).
    let targets: Vec<(i32, String)> = activity_target::Entity::find()
        .select_only()
        .columns([
            activity_target::Column::ActivityId,
            activity_target::Column::TargetCode,
        ])
        .filter(activity_target::Column::TargetCode.is_in(codes))
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<i32> = targets.iter().map(|t| t.0).collect();
    let mut day_of: HashMap<i32, NaiveDate> = HashMap::new();
    for chunk in ids.chunks(900) {
        let rows: Vec<(i32, NaiveDate)> = activity::Entity::find()
            .select_only()
            .columns([activity::Column::Id, activity::Column::StartDate])
            .filter(activity::Column::Id.is_in(chunk.to_vec()))
            .filter(activity::Column::StartDate.between(first, last))
            .into_tuple()
            .all(db)
            .await?;
        day_of.extend(rows);
    }
    let named: Vec<(String, NaiveDate)> = targets
        .into_iter()
        .filter_map(|(id, code)| Some((code, *day_of.get(&id)?)))
        .collect();
    let mut groups = Vec::new();
    for u in units {
        let members: Vec<Representative> = memberships
            .iter()
            .filter(|l| l.target_code == u.code)
            .filter_map(|l| by_id.get(&l.person_id?).map(|p| line(p)))
            .collect();
        // A group none of whose members the caller may see is not theirs.
        if members.is_empty() && !vis.all {
            continue;
        }
        let mut quarters = [0u32; 4];
        for (_, d) in named.iter().filter(|(c, _)| *c == u.code) {
            quarters[(d.month0() / 3) as usize] += 1;
        }
        groups.push(Group {
            code: u.code,
            name: u.name,
            has_convener: members.iter().any(|m| m.convener),
            members,
            quarters,
        });
    }
    Ok(Overview {
        year,
        groups,
        representatives: people.iter().map(line).collect(),
    })
}

/// Records that a representative's contact details were made public. The same person, day and
/// place sent again is the same publication (answered with `duplicate`).
pub async fn publish(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    n: NewPublication,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Publication, StoreError> {
    let p = super::registry::person(db, n.person_id, vis)
        .await?
        .ok_or_else(|| StoreError::Invalid("党代表：请选择您管理范围内的党代表".into()))?;
    if !is_representative(&p.roles) {
        return Err(StoreError::Invalid(format!("党代表：{}不是党代表", p.name)));
    }
    not_future("公开日期", n.published_on, now)?;
    let place = bounded("公开的地方", &n.place, 200, true)?;
    if let Some(c) = contact_publication::Entity::find()
        .filter(contact_publication::Column::PersonId.eq(p.id))
        .filter(contact_publication::Column::PublishedOn.eq(n.published_on))
        .filter(contact_publication::Column::Place.eq(place.as_str()))
        .one(db)
        .await?
    {
        return Ok(Publication {
            id: c.id,
            person_id: p.id,
            name: p.name,
            published_on: c.published_on,
            place: c.place,
            duplicate: true,
        });
    }
    let saved = contact_publication::ActiveModel {
        id: NotSet,
        person_id: Set(p.id),
        published_on: Set(n.published_on),
        place: Set(place.clone()),
        created_by: Set(actor.chars().take(100).collect()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let out = Publication {
        id: saved.id,
        person_id: p.id,
        name: p.name,
        published_on: n.published_on,
        place,
        duplicate: false,
    };
    history::step(
        db,
        "contact_publication",
        actor,
        now,
        saved.id,
        "create",
        None,
        &out,
    )
    .await?;
    Ok(out)
}
