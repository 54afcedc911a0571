//! The assessment 联户考核 (PJ-4): a scorecard per household-linking cadre from the one
//! record — the compliance rows of the visit and card rules, the linked households' items
//! answered by the resident, the survey and the resident page's ratings, the spot checks and
//! the integrity flags — computed on demand and kept when issued.

use super::StoreError;
use super::access::Visibility;
use super::entities::{
    activity_participant, assessment, ledger_item, link, person, region, resident_rating,
    spot_check, survey, survey_answer, survey_subject, unit,
};
use super::history::{self, Change};
use crate::domain::assessment::{AssessmentSettings, Counted, Scorecard, grade};
use crate::domain::cards::Rating;
use crate::domain::integrity::IntegritySettings;
use crate::domain::rules::facts::AssessmentFact;
use crate::domain::rules::report::{Report, Status};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// The scorecards of the cadres who link households in `year`, within `vis`, counted as of
/// `as_of` from `report` (the county's evaluation on that day).
pub async fn scorecards(
    db: &impl ConnectionTrait,
    settings: &AssessmentSettings,
    integrity: &IntegritySettings,
    report: &Report,
    vis: &Visibility,
) -> Result<Vec<Scorecard>, StoreError> {
    let (year, as_of) = (report.year, report.as_of);
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let links = link::Entity::find()
        .filter(link::Column::Year.eq(year))
        .filter(link::Column::Kind.eq("household_link"))
        .filter(link::Column::PersonId.is_not_null())
        .all(db)
        .await?;
    let mut households: HashMap<i32, Vec<String>> = HashMap::new();
    for l in links {
        if let Some(p) = l.person_id {
            households.entry(p).or_default().push(l.target_code);
        }
    }
    let ids: Vec<i32> = households.keys().copied().collect();
    let people = person::Entity::find()
        .filter(person::Column::Id.is_in(ids.clone()))
        .filter(vis.people())
        .all(db)
        .await?;
    let units: HashMap<String, (String, String)> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, (u.name, u.region_code)))
        .collect();
    let regions: HashMap<String, (String, String)> = region::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.code, (r.path, r.name)))
        .collect();
    let mut counted: HashMap<i32, Counted> =
        people.iter().map(|p| (p.id, Counted::default())).collect();
    // Visits and cards: the cadre's own rows of the named rules, each for the share of it
    // done (a row still open in the year counts for what has been done).
    let by_code: HashMap<&str, i32> = people
        .iter()
        .map(|p| (p.id_number.as_str(), p.id))
        .collect();
    for o in &report.results {
        if o.subject_kind != "person" {
            continue;
        }
        let share = if o.status == Status::Met || o.required <= 0.0 {
            1.0
        } else {
            o.actual / o.required
        };
        let Some(c) = by_code
            .get(o.subject_code.as_str())
            .and_then(|p| counted.get_mut(p))
        else {
            continue;
        };
        if settings.visit_rules.contains(&o.rule) {
            c.visits.add_share(share);
        } else if settings.card_rules.contains(&o.rule) {
            c.cards.add_share(share);
        }
    }
    // Problems solved: the linked households' items the resident answered this year.
    let mut owner_of: HashMap<&str, i32> = HashMap::new();
    for (p, hs) in &households {
        for h in hs {
            owner_of.insert(h.as_str(), *p);
        }
    }
    let codes: Vec<String> = owner_of.keys().map(|s| s.to_string()).collect();
    for chunk in codes.chunks(900) {
        for i in ledger_item::Entity::find()
            .filter(ledger_item::Column::HouseholdCode.is_in(chunk.to_vec()))
            .filter(ledger_item::Column::Answer.is_not_null())
            .filter(ledger_item::Column::ResolvedOn.between(first, as_of))
            .all(db)
            .await?
        {
            let p = i.household_code.as_deref().and_then(|h| owner_of.get(h));
            if let Some(c) = p.and_then(|p| counted.get_mut(p)) {
                c.solved.add(i.answer.as_deref() == Some("solved"));
            }
        }
    }
    // Satisfaction: the closed surveys' answers about the cadre and the resident page's
    // ratings of the year.
    let closed: Vec<i32> = survey::Entity::find()
        .filter(survey::Column::Year.eq(year))
        .filter(survey::Column::ClosedOn.lte(as_of))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let subjects: HashMap<i32, i32> = survey_subject::Entity::find()
        .filter(survey_subject::Column::SurveyId.is_in(closed.clone()))
        .filter(survey_subject::Column::Kind.eq("cadre"))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| Some((s.id, s.person_id?)))
        .collect();
    let good = |r: &str| {
        Rating::parse(r).is_ok_and(|r| matches!(r, Rating::Satisfied | Rating::Basically))
    };
    for a in survey_answer::Entity::find()
        .filter(survey_answer::Column::SurveyId.is_in(closed))
        .all(db)
        .await?
    {
        if let Some(c) = subjects.get(&a.subject_id).and_then(|p| counted.get_mut(p)) {
            c.satisfaction.add(good(&a.rating));
        }
    }
    for r in resident_rating::Entity::find()
        .filter(resident_rating::Column::Year.eq(year))
        .all(db)
        .await?
    {
        if crate::time::beijing_date(r.at) <= as_of
            && let Some(c) = counted.get_mut(&r.person_id)
        {
            c.satisfaction.add(good(&r.rating));
        }
    }
    // Spot checks of records the cadre took part in: confirmed, or counted by the office's
    // decision, of those found either way.
    let checks = spot_check::Entity::find()
        .filter(spot_check::Column::CheckedOn.between(first, as_of))
        .filter(spot_check::Column::Outcome.is_in(["confirmed", "not_confirmed"]))
        .all(db)
        .await?;
    let acts: Vec<i32> = checks.iter().map(|c| c.activity_id).collect();
    let mut took_part: HashMap<i32, Vec<i32>> = HashMap::new();
    for chunk in acts.chunks(900) {
        for p in activity_participant::Entity::find()
            .filter(activity_participant::Column::ActivityId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            took_part
                .entry(p.activity_id)
                .or_default()
                .push(p.person_id);
        }
    }
    for ch in &checks {
        let ok =
            ch.outcome.as_deref() == Some("confirmed") || ch.decision.as_deref() == Some("counts");
        for p in took_part.get(&ch.activity_id).into_iter().flatten() {
            if let Some(c) = counted.get_mut(p) {
                c.spot_checks.add(ok);
            }
        }
    }
    // Integrity flags naming the cadre, on records up to the as-of day.
    for f in crate::store::integrity::flags(db, &Visibility::everything(), integrity, year).await? {
        if f.day.is_none_or(|d| d <= as_of)
            && let Some(c) = f.person.and_then(|p| counted.get_mut(&p))
        {
            c.flags += 1;
        }
    }
    let mut out: Vec<Scorecard> = people
        .into_iter()
        .map(|p| {
            let counted = counted.remove(&p.id).unwrap_or_default();
            let (total, left_out) = counted.total(settings);
            let (unit_name, unit_region) = units.get(&p.unit_code).cloned().unwrap_or_default();
            let home = p.region_code.clone().unwrap_or(unit_region);
            Scorecard {
                person: p.id,
                name: p.name,
                unit: p.unit_code,
                unit_name,
                region: town_name(&regions, &home),
                counted,
                total,
                grade: grade(total, settings),
                left_out,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.unit, &a.name).cmp(&(&b.unit, &b.name)));
    Ok(out)
}

/// The name of the town (or the county) a region lies in.
fn town_name(regions: &HashMap<String, (String, String)>, code: &str) -> String {
    let path = regions.get(code).map(|r| r.0.as_str()).unwrap_or("");
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let at = parts.get(1).or(parts.first()).copied().unwrap_or(code);
    regions.get(at).map(|r| r.1.clone()).unwrap_or_default()
}

/// Issues the year's assessment as computed now: kept as issued, with its day.
pub async fn issue(
    db: &impl ConnectionTrait,
    year: i32,
    cards: &[Scorecard],
    by: &str,
    now: DateTime<Utc>,
) -> Result<assessment::Model, StoreError> {
    if cards.is_empty() {
        return Err(StoreError::Invalid("今年还没有联户干部，无从考核".into()));
    }
    let saved = assessment::ActiveModel {
        id: NotSet,
        year: Set(year),
        issued_on: Set(crate::time::beijing_date(now)),
        issued_by: Set(by.to_string()),
        issued_at: Set(now),
        cards: Set(serde_json::to_string(cards).unwrap_or_default()),
    }
    .insert(db)
    .await?;
    history::append(
        db,
        by,
        now,
        vec![Change {
            entity: "assessment",
            entity_key: saved.id.to_string(),
            action: "issue",
            changes: serde_json::json!({ "year": year, "cadres": cards.len() }),
        }],
    )
    .await?;
    Ok(saved)
}

/// The newest issued assessment of a year.
pub async fn issued(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<Option<(assessment::Model, Vec<Scorecard>)>, StoreError> {
    let Some(a) = assessment::Entity::find()
        .filter(assessment::Column::Year.eq(year))
        .order_by_desc(assessment::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let cards = serde_json::from_str(&a.cards).unwrap_or_default();
    Ok(Some((a, cards)))
}

/// The issued assessments of a year as PJ-4 reads them: who was assessed and on which parts.
pub async fn facts(db: &impl ConnectionTrait, year: i32) -> Result<Vec<AssessmentFact>, DbErr> {
    let mut out = Vec::new();
    for a in assessment::Entity::find()
        .filter(assessment::Column::Year.eq(year))
        .all(db)
        .await?
    {
        let cards: Vec<Scorecard> = serde_json::from_str(&a.cards).unwrap_or_default();
        let parts = crate::domain::assessment::PARTS;
        out.push(AssessmentFact {
            issued_on: a.issued_on,
            cadres: cards
                .into_iter()
                .map(|c| {
                    let present: Vec<String> = parts
                        .iter()
                        .filter(|p| !c.left_out.iter().any(|l| l == *p))
                        .map(|p| p.to_string())
                        .collect();
                    (c.person, present)
                })
                .collect(),
        });
    }
    Ok(out)
}
