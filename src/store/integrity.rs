//! Reading a year's work records for the integrity checks, within the caller's regions.

use super::access::Visibility;
use super::entities::{activity, activity_participant, activity_target, household, ledger_item};
use crate::domain::integrity::{Flag, IntegritySettings, Record};
use crate::domain::labels::ActivityKind;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// The town code of a region path `/county/town/…/`.
fn town_of(path: &str) -> Option<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .nth(1)
        .map(str::to_string)
}

/// The flags of the records that start in `year` and reach the caller's regions.
pub async fn flags(
    db: &impl ConnectionTrait,
    vis: &Visibility,
    settings: &IntegritySettings,
    year: i32,
) -> Result<Vec<Flag>, DbErr> {
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    );
    let acts = activity::Entity::find()
        .filter(activity::Column::StartDate.between(from, to))
        .all(db)
        .await?;
    let ids: Vec<i32> = acts.iter().map(|a| a.id).collect();
    let mut people: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut targets: HashMap<i32, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(900) {
        for p in activity_participant::Entity::find()
            .filter(activity_participant::Column::ActivityId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            people.entry(p.activity_id).or_default().push(p.person_id);
        }
        for t in activity_target::Entity::find()
            .filter(activity_target::Column::ActivityId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            targets
                .entry(t.activity_id)
                .or_default()
                .push(t.target_code);
        }
    }
    let paths = super::registry::region_paths(db).await?;
    let households: HashMap<String, String> = household::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.code, h.region_code))
        .collect();
    let units = super::registry::unit_regions(db).await?;
    let path_of = |code: &str| -> Option<&String> {
        let region = households
            .get(code)
            .or_else(|| units.get(code))
            .map(String::as_str)
            .unwrap_or(code);
        paths.get(region)
    };
    let mut records = Vec::new();
    for a in acts {
        let ts = targets.remove(&a.id).unwrap_or_default();
        let reach: Vec<&String> = ts.iter().filter_map(|t| path_of(t)).collect();
        if !vis.all && !reach.iter().any(|p| vis.covers_region(p)) {
            continue;
        }
        let mut towns: Vec<String> = reach.iter().filter_map(|p| town_of(p)).collect();
        towns.sort_unstable();
        towns.dedup();
        let Some(kind) = ActivityKind::from_code(&a.kind) else {
            continue;
        };
        records.push(Record {
            id: a.id,
            kind,
            start: a.start_date,
            end: a.end_date,
            people: people.remove(&a.id).unwrap_or_default(),
            households: ts
                .iter()
                .filter(|t| households.contains_key(*t))
                .cloned()
                .collect(),
            towns,
            notes: a.notes.unwrap_or_default(),
            author: a.author_account_id,
            entered_on: a.recorded_at.map(crate::time::beijing_date),
        });
    }
    let mut out = crate::domain::integrity::flags(&records, settings);
    // Items of the year whose resident's answer a staff member recorded, in reach.
    let answered: Vec<(i32, String)> = ledger_item::Entity::find()
        .filter(ledger_item::Column::AnsweredOnBehalf.eq(true))
        .filter(ledger_item::Column::RegisteredOn.between(from, to))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.region_code))
        .collect();
    let items: Vec<i32> = answered
        .into_iter()
        .filter(|(_, r)| vis.all || paths.get(r).is_some_and(|p| vis.covers_region(p)))
        .map(|(id, _)| id)
        .collect();
    out.extend(crate::domain::integrity::answered_for_residents(items));
    Ok(out)
}

/// The names of the people flags name.
pub async fn names(
    db: &impl ConnectionTrait,
    flags: &[Flag],
) -> Result<HashMap<i32, String>, DbErr> {
    let mut ids: Vec<i32> = flags.iter().filter_map(|f| f.person).collect();
    ids.sort_unstable();
    ids.dedup();
    crate::store::work::lookup::<super::entities::person::Entity, _, _>(
        db,
        super::entities::person::Column::Id,
        super::entities::person::Column::Name,
        &ids,
    )
    .await
}
