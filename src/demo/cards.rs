//! After the demo county is imported: its cards printed in January and handed out over the
//! following weeks, most of them; a few households and service objects still wait, as in a
//! real county (LH-3, LXK-1..3).

use crate::domain::cards::{CardSettings, Holder};
use crate::store::cards::{self, Delivery, Scope};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::DatabaseConnection;
use std::collections::BTreeMap;

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One in eight is still waiting for its card.
fn waits(code: &str) -> bool {
    hash(code).is_multiple_of(8)
}

pub async fn hand_out(
    db: &DatabaseConnection,
    settings: &CardSettings,
    county: &str,
    today: NaiveDate,
) -> Result<usize, crate::store::StoreError> {
    let printed = NaiveDate::from_ymd_opt(today.year(), 1, 12)
        .unwrap_or(today)
        .min(today);
    let at = Utc
        .from_utc_datetime(&printed.and_hms_opt(1, 0, 0).unwrap_or_default())
        .to_owned();
    let by = "演示数据";
    let day_of = |code: &str| (printed + Duration::days((hash(code) % 50) as i64)).min(today);
    let mut n = 0;
    // The planner's statistics are taken again each time the cards have doubled: the import's
    // were taken before any card existed, and a PostgreSQL without autovacuum then scanned the
    // whole card table for every lookup (23 minutes for the county's cards, 80 s on SQLite).
    let (mut printed_so_far, mut analyzed_at) = (0usize, 0usize);
    for batch in cards::household_batches(db, &Scope::Region(county.into()), printed).await? {
        cards::issue(db, settings, Holder::Household, &batch, false, by, at).await?;
        printed_so_far += batch.len();
        let mut by_day: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
        for code in batch.into_iter().filter(|c| !waits(c)) {
            by_day.entry(day_of(&code)).or_default().push(code);
        }
        for (on, codes) in by_day {
            let d = Delivery {
                on,
                by,
                activity: None,
                recipient: None,
            };
            n += cards::deliver(db, Holder::Household, &codes, &d, at).await?;
        }
        if printed_so_far >= 2 * analyzed_at.max(256) {
            crate::store::analyze(db).await?;
            analyzed_at = printed_so_far;
        }
    }
    crate::store::analyze(db).await?;
    for line in cards::unit_lines(db).await? {
        let code = line.holder_code;
        cards::issue(
            db,
            settings,
            Holder::Unit,
            std::slice::from_ref(&code),
            false,
            by,
            at,
        )
        .await?;
        for o in cards::service_objects(db, &code, printed).await? {
            if waits(&format!("{code}{o}")) {
                continue;
            }
            let d = Delivery {
                on: day_of(&o),
                by,
                activity: None,
                recipient: Some(&o),
            };
            n += cards::deliver(db, Holder::Unit, std::slice::from_ref(&code), &d, at).await?;
        }
    }
    Ok(n)
}
