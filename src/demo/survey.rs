//! After the demo county's year: the satisfaction survey drawn in November and answered by
//! phone, on the resident's page and on paper, closed and circulated in December (PJ-1,
//! PJ-2); the towns' spot checks in October, most of them checked by phone or in the field
//! (PJ-3); the assessment issued at the end of December (PJ-4). Each step only once its day
//! has come.

use crate::domain::cards::Rating;
use crate::domain::policy::Policy;
use crate::store::entities::{region, survey_answer, survey_sample};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn at(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap_or_default())
}

const BY: &str = "演示数据";

pub async fn run(db: &DatabaseConnection, policy: &Policy, today: NaiveDate) -> anyhow::Result<()> {
    let year = today.year();
    let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(today);
    if today >= day(10, 15) {
        spot_checks(db, policy, day(10, 15), day(9, 30)).await?;
    }
    if today >= day(11, 2) {
        survey(db, policy, year, day(11, 2), today).await?;
    }
    if today >= day(12, 28) {
        let report = {
            let facts = crate::store::rules::facts(db, year).await?;
            crate::domain::rules::evaluate(policy, &facts, year, day(12, 28))
        };
        let cards = crate::store::assessment::scorecards(
            db,
            &policy.assessment(),
            &policy.integrity,
            &report,
            &crate::store::access::Visibility::everything(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        crate::store::assessment::issue(db, year, &cards, BY, at(day(12, 28)))
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    Ok(())
}

/// A round in three towns of four, drawn on `on` from the records up to `until`; the office
/// checks a dozen of each by phone, a few in the field.
async fn spot_checks(
    db: &DatabaseConnection,
    policy: &Policy,
    on: NaiveDate,
    until: NaiveDate,
) -> anyhow::Result<()> {
    let first = NaiveDate::from_ymd_opt(on.year(), 1, 1).unwrap_or(on);
    let flagged = crate::store::spot_checks::flagged_records(db, &policy.integrity, first, until)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let towns = region::Entity::find()
        .filter(region::Column::Level.is_in(["town", "street"]))
        .order_by_asc(region::Column::Code)
        .all(db)
        .await?;
    for t in towns.iter().filter(|t| !hash(&t.code).is_multiple_of(4)) {
        let drawn = crate::store::spot_checks::draw(
            db,
            &policy.integrity,
            &t.code,
            first,
            until,
            1,
            Some(hash(&t.code) >> 1),
            Some(&flagged),
            BY,
            at(on),
        )
        .await;
        let Ok(d) = drawn else { continue };
        let lines = crate::store::spot_checks::checks(db, d.round)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        for (i, l) in lines.iter().take(12).enumerate() {
            let h = hash(&format!("{}{}", t.code, l.check.activity_id));
            let method = if i % 4 == 3 { "field" } else { "phone" };
            let outcome = match h % 50 {
                0 => "not_confirmed",
                1 | 2 => "unreachable",
                _ => "confirmed",
            };
            let checked = at(on + chrono::Duration::days(3 + (i as i64 % 10)));
            crate::store::spot_checks::record(
                db,
                l.check.id,
                d.round,
                Some(method),
                Some(outcome),
                None,
                "",
                BY,
                checked,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            if outcome == "not_confirmed" {
                crate::store::spot_checks::record(
                    db,
                    l.check.id,
                    d.round,
                    None,
                    None,
                    Some("counts"),
                    "核实为记错日期",
                    BY,
                    checked + chrono::Duration::days(2),
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            }
        }
    }
    Ok(())
}

/// The survey: drawn on `opened`, most households answer — half by phone, a third on
/// the resident's page, the rest on paper — mostly satisfied; closed on 10 December and
/// circulated on the 18th.
async fn survey(
    db: &DatabaseConnection,
    policy: &Policy,
    year: i32,
    opened: NaiveDate,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let created = crate::store::survey::create(
        db,
        &policy.survey,
        year,
        &format!("{year}年度党员干部直接联系服务群众民意调查"),
        Some(20_261_102),
        BY,
        at(opened),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let sample = survey_sample::Entity::find()
        .filter(survey_sample::Column::SurveyId.eq(created.id))
        .all(db)
        .await?;
    let mut rows = Vec::new();
    for s in &sample {
        let h = hash(&s.household_code);
        // One household in ten does not answer; in one village in eight the callers did not
        // get through before the survey closed.
        if h.is_multiple_of(10) || hash(&s.village_code).is_multiple_of(8) {
            continue;
        }
        let channel = match h % 6 {
            0..=2 => "phone",
            3 | 4 => "resident",
            _ => "paper",
        };
        let when = at(opened + chrono::Duration::days((h % 30) as i64));
        for subject in s.subjects.split(',').filter_map(|x| x.parse::<i32>().ok()) {
            let r = match hash(&format!("{}{subject}", s.household_code)) % 20 {
                0 => Rating::Dissatisfied,
                1..=3 => Rating::Basically,
                _ => Rating::Satisfied,
            };
            rows.push(survey_answer::ActiveModel {
                id: NotSet,
                survey_id: Set(created.id),
                household_code: Set(s.household_code.clone()),
                subject_id: Set(subject),
                rating: Set(r.code().into()),
                channel: Set(channel.into()),
                account_id: Set(None),
                recorded_at: Set(when),
                note: Set(String::new()),
            });
        }
    }
    for chunk in rows.chunks(2000) {
        survey_answer::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(today);
    for (on, step) in [(day(12, 10), "close"), (day(12, 18), "circulate")] {
        if today >= on {
            crate::store::survey::step(db, created.id, step, BY, at(on))
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
    }
    Ok(())
}
