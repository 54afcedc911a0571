//! The periods a rule is judged over (year, half, quarter, month, ISO week) and the days a set
//! of records covers in one of them.

use crate::domain::rules::facts::ActivityFact;
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

pub(crate) fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn month_end(y: i32, m: u32) -> NaiveDate {
    if m == 12 {
        ymd(y, 12, 31)
    } else {
        ymd(y, m + 1, 1) - Duration::days(1)
    }
}

/// The periods of a year that have begun by `as_of` (all of them for a past year).
pub fn periods(kind: &str, year: i32, as_of: NaiveDate) -> Vec<Period> {
    let all: Vec<Period> = match kind {
        "half" => vec![
            Period {
                label: format!("{year}-H1"),
                start: ymd(year, 1, 1),
                end: ymd(year, 6, 30),
            },
            Period {
                label: format!("{year}-H2"),
                start: ymd(year, 7, 1),
                end: ymd(year, 12, 31),
            },
        ],
        "quarter" => (0..4)
            .map(|q| Period {
                label: format!("{year}-Q{}", q + 1),
                start: ymd(year, q * 3 + 1, 1),
                end: month_end(year, q * 3 + 3),
            })
            .collect(),
        "month" => (1..=12)
            .map(|m| Period {
                label: format!("{year}-{m:02}"),
                start: ymd(year, m, 1),
                end: month_end(year, m),
            })
            .collect(),
        "week" => {
            // ISO weeks whose Thursday falls in the year.
            let mut out = Vec::new();
            let mut d = ymd(year, 1, 1);
            while d.weekday() != chrono::Weekday::Mon {
                d -= Duration::days(1);
            }
            while d <= ymd(year, 12, 31) {
                let w = d.iso_week();
                if w.year() == year {
                    out.push(Period {
                        label: format!("{year}-W{:02}", w.week()),
                        start: d,
                        end: d + Duration::days(6),
                    });
                }
                d += Duration::days(7);
            }
            out
        }
        "day" => {
            // Every day of the year (XF-4); with a date set of working days, the measure keeps
            // only those (XF-5).
            let mut out = Vec::new();
            let mut d = ymd(year, 1, 1);
            while d <= ymd(year, 12, 31).min(as_of) {
                out.push(Period {
                    label: d.format("%Y-%m-%d").to_string(),
                    start: d,
                    end: d,
                });
                d += Duration::days(1);
            }
            out
        }
        _ => vec![Period {
            label: year.to_string(),
            start: ymd(year, 1, 1),
            end: ymd(year, 12, 31),
        }],
    };
    all.into_iter().filter(|p| p.start <= as_of).collect()
}

#[inline]
pub(crate) fn in_period(a: &ActivityFact, p: &Period) -> bool {
    a.start <= p.end && a.end >= p.start
}

/// Days of the period a set of records covers (a record counts on each day it spans).
pub(crate) fn days(records: &[&ActivityFact], p: &Period) -> BTreeSet<NaiveDate> {
    let mut out = BTreeSet::new();
    for a in records.iter().filter(|a| in_period(a, p)) {
        let mut d = a.start.max(p.start);
        let end = a.end.min(p.end);
        while d <= end {
            out.insert(d);
            d += Duration::days(1);
        }
    }
    out
}

pub(crate) fn period_zh(p: &Period) -> String {
    let l = &p.label;
    if let Some(h) = l.strip_suffix("-H1") {
        format!("{h}年上半年")
    } else if let Some(h) = l.strip_suffix("-H2") {
        format!("{h}年下半年")
    } else if l.contains("-Q") {
        l.replace("-Q", "年第") + "季度"
    } else if l.contains("-W") {
        l.replace("-W", "年第") + "周"
    } else if l.len() == 10 {
        format!(
            "{}年{}月{}日",
            &l[..4],
            l[5..7].trim_start_matches('0'),
            l[8..].trim_start_matches('0')
        )
    } else if l.len() == 7 {
        format!("{}年{}月", &l[..4], l[5..].trim_start_matches('0'))
    } else {
        format!("{l}年")
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn periods_label_as_the_report_does() {
        let w = periods("week", 2026, d("2026-12-31"));
        assert_eq!(w.first().unwrap().label, "2026-W01");
        assert_eq!(w.first().unwrap().start, d("2025-12-29"));
        assert_eq!(w.len(), 53);
        let m = periods("month", 2026, d("2026-02-01"));
        assert_eq!(
            m.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
            ["2026-01", "2026-02"]
        );
        assert_eq!(m[1].end, d("2026-02-28"));
        assert_eq!(
            periods("quarter", 2025, d("2026-01-01"))[3].label,
            "2025-Q4"
        );
    }
}
