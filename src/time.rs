//! Beijing time, below every layer: today's date, which the edges read once and pass down
//! (the domain and the store take time as an argument), and instants as people read them.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

fn beijing() -> Option<FixedOffset> {
    FixedOffset::east_opt(8 * 3600)
}

/// Today's date in Beijing: the date every period and deadline of the UI is judged on.
pub fn today() -> NaiveDate {
    let now = Utc::now();
    match beijing() {
        Some(tz) => now.with_timezone(&tz).date_naive(),
        None => now.date_naive(),
    }
}

/// The date in Beijing at an instant.
pub fn beijing_date(t: DateTime<Utc>) -> NaiveDate {
    match beijing() {
        Some(tz) => t.with_timezone(&tz).date_naive(),
        None => t.date_naive(),
    }
}

/// Times are stored in UTC and shown in Beijing time.
pub fn beijing_time(t: &DateTime<Utc>) -> String {
    match beijing() {
        Some(tz) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        None => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}
