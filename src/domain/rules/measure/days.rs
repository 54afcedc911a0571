//! Days covered by records of these kinds (a record counts on each day it spans): all of them
//! (`days`: ZC-1’s stays, LXD-9’s days at the contact point) or the longest run of consecutive
//! ones (`run`: a stay of seven days together). A pending row that needs more days than its
//! period has left is marked out of reach.

use super::{Judge, need_kinds};
use crate::domain::labels::ActivityKind;
use crate::domain::policy::{CountedBy, Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::period::{days, period_zh};
use crate::domain::rules::report::Status;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Clone, Debug, Deserialize)]
pub struct Days {
    pub activity_kinds: Vec<ActivityKind>,
    pub min: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Run {
    pub activity_kinds: Vec<ActivityKind>,
    pub min: u32,
}

impl Judge for Days {
    const KEYS: &'static [&'static str] = &["activity_kinds", "min"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        need_kinds(&self.activity_kinds)
    }

    fn threshold(&self) -> String {
        format!("天数 ≥ {}", self.min)
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        judge(rule, cx, rows, &self.activity_kinds, self.min, false);
    }
}

impl Judge for Run {
    const KEYS: &'static [&'static str] = &["activity_kinds", "min"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        need_kinds(&self.activity_kinds)
    }

    fn threshold(&self) -> String {
        format!("连续天数 ≥ {}", self.min)
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        judge(rule, cx, rows, &self.activity_kinds, self.min, true);
    }
}

fn judge(rule: &Rule, cx: &Context, rows: &mut Rows, kinds: &[ActivityKind], min: u32, run: bool) {
    for s in cx.subjects(rule) {
        let recs = cx.records(&s, CountedBy::Participant, kinds);
        for p in &cx.periods {
            let d = days(&recs, p);
            let n = f64::from(if run { longest_run(&d) } else { d.len() as u32 });
            let detail = if run {
                format!("{}最长连续{}天，需连续{}天", period_zh(p), n, min)
            } else {
                format!("{}已{}天，还需{}天", period_zh(p), n, f64::from(min) - n)
            };
            let found = Found {
                target: None,
                actual: n,
                required: f64::from(min),
                detail,
            };
            if let Some(row) = rows.against(&s, p, found, None) {
                // Days after the as-of day up to the period's end; the as-of day itself counts.
                let left = (p.end - cx.as_of).num_days().max(0) as f64;
                if row.status == Status::Pending && row.required - row.actual > left {
                    row.reachable = Some(false);
                }
            }
        }
    }
}

fn longest_run(days: &BTreeSet<NaiveDate>) -> u32 {
    let (mut best, mut run, mut prev): (u32, u32, Option<NaiveDate>) = (0, 0, None);
    for d in days {
        run = if prev.is_some_and(|p| *d == p + Duration::days(1)) {
            run + 1
        } else {
            1
        };
        best = best.max(run);
        prev = Some(*d);
    }
    best
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn days_count_each_day_a_record_spans_within_the_period() {
        // BF-6: a stationed cadre spends ten days a month in the village; a stay from
        // 28 January to 6 February gives January four days and February six.
        let mut f = Facts {
            people: vec![person(1, &[Role::StationedCadre])],
            ..Default::default()
        };
        f.activities.push(act(
            ActivityKind::VillageStay,
            "2026-01-28",
            "2026-02-06",
            &[1],
            &["V1"],
        ));
        assert_eq!(
            status_of(&f, "BF-6", "2026-01", "2026-11-20"),
            (Status::Unmet, 4.0)
        );
        assert_eq!(
            status_of(&f, "BF-6", "2026-02", "2026-11-20"),
            (Status::Unmet, 6.0)
        );
        f.activities.push(act(
            ActivityKind::Duty,
            "2026-02-20",
            "2026-02-23",
            &[1],
            &["V1"],
        ));
        assert_eq!(
            status_of(&f, "BF-6", "2026-02", "2026-11-20"),
            (Status::Met, 10.0)
        );
        // November has begun: pending, not unmet.
        assert_eq!(
            status_of(&f, "BF-6", "2026-11", "2026-11-20").0,
            Status::Pending
        );
        assert!(
            rows(&f, "BF-6", "2026-11-20")
                .iter()
                .all(|r| r.0 != "2026-12"),
            "a month not begun has no row"
        );
    }

    #[test]
    fn a_run_needs_consecutive_days_and_is_cut_at_the_month() {
        // LXD-8: a town leader lives three consecutive days in a village each month.
        let mut f = Facts {
            people: vec![person(1, &[Role::TownLeadershipMember])],
            ..Default::default()
        };
        f.activities.push(act(
            ActivityKind::VillageStay,
            "2026-03-30",
            "2026-04-01",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "LXD-8", "2026-03", "2026-11-20"),
            (Status::Unmet, 2.0)
        );
        // 1 April (end of that stay) and a stay of 2–3 April make three days in a row.
        f.activities.push(act(
            ActivityKind::VillageStay,
            "2026-04-02",
            "2026-04-02",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "LXD-8", "2026-04", "2026-11-20"),
            (Status::Unmet, 2.0)
        );
        f.activities.push(act(
            ActivityKind::VillageStay,
            "2026-04-03",
            "2026-04-03",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "LXD-8", "2026-04", "2026-11-20"),
            (Status::Met, 3.0)
        );
    }

    #[test]
    fn a_pending_row_that_needs_more_days_than_are_left_is_out_of_reach() {
        let policy = Policy::parse(
            r#"name = "t"
[[rule]]
id = "T-1"
who = { roles = ["party_member"] }
measure = "days"
activity_kinds = ["village_stay"]
min = 120
"#,
        )
        .unwrap();
        // Two, ninety and eighty-nine days of stays; on 1 December 30 days are left.
        let mut f = Facts::default();
        for (id, last) in [(1, "2026-01-02"), (2, "2026-03-31"), (3, "2026-03-30")] {
            f.people.push(person(id, &[Role::PartyMember]));
            f.activities.push(act(
                ActivityKind::VillageStay,
                "2026-01-01",
                last,
                &[id],
                &[],
            ));
        }
        let r = evaluate(&policy, &f, 2026, d("2026-12-01"));
        let reach: Vec<(f64, Option<bool>)> =
            r.results.iter().map(|o| (o.actual, o.reachable)).collect();
        assert_eq!(
            reach,
            [(2.0, Some(false)), (90.0, None), (89.0, Some(false))],
            "118 owed, 30 left; 30 owed, 30 left; 31 owed, 30 left"
        );
        // The field is left out of the report unless it is false.
        let json = serde_json::to_value(&r.results[1]).unwrap();
        assert!(json.get("reachable").is_none());
        assert_eq!(
            serde_json::to_value(&r.results[0]).unwrap()["reachable"],
            serde_json::json!(false)
        );
    }

    #[test]
    fn every_days_rule_counts_days_up_to_the_period_end() {
        for id in ["DY-4", "DY-6"] {
            let days = |rule: &Rule, p: &Period, f: &mut Facts, delta: i32| {
                let Measure::Days(measure::days::Days {
                    activity_kinds,
                    min,
                }) = &rule.measure
                else {
                    panic!()
                };
                let n = (*min as i32 + delta) as i64;
                // One stay ending on the period's last day, and a day outside the period.
                f.activities.push(record(
                    activity_kinds[0],
                    p.end - Duration::days(n - 1),
                    n,
                    "T0",
                ));
                f.activities.push(record(
                    activity_kinds[0],
                    p.end + Duration::days(1),
                    1,
                    "T0",
                ));
            };
            assert_eq!(judge(id, &days), (Status::Met, Status::Unmet), "{id}");
        }
    }
}
