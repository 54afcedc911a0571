//! Each major decision judged on its own (DY-7 三问决策): its body consulted the people before
//! the decision, during its carrying out and after it was done. A row per decision of the year,
//! for the body that took it; a missing stage is pending while its window is open, unmet once
//! it has closed (the record after, `after_days` after completion).

use super::Judge;
use crate::domain::decision::standing;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::report::Status;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Decisions {
    /// Days after completion by which the consultation after must be held.
    pub after_days: u32,
}

impl Judge for Decisions {
    const KEYS: &'static [&'static str] = &["after_days"];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        if rule.who.unit_kinds.is_empty() && rule.who.unit_tags.is_empty() {
            errors.push("决策按决策机关计算：who 须写 unit_kinds 或 unit_tags".into());
        }
        if self.after_days == 0 || self.after_days > 366 {
            errors.push(format!(
                "after_days（{}）应在 1–366 天之间",
                self.after_days
            ));
        }
        errors
    }

    fn threshold(&self) -> String {
        format!(
            "每项重大决策事前问需、事中问计、事后问效（完成后{}天内）",
            self.after_days
        )
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let Some(p) = cx.periods.first() else {
            return;
        };
        for s in cx.subjects(rule) {
            for dec in cx.facts.decisions.iter().filter(|d| {
                d.unit == s.code && d.decided_on >= p.start && d.decided_on <= p.end.min(cx.as_of)
            }) {
                let held: Vec<_> = dec
                    .held
                    .iter()
                    .filter(|(_, on)| *on <= cx.as_of)
                    .map(|(stage, _)| *stage)
                    .collect();
                let st = standing(
                    &held,
                    dec.decided_on,
                    dec.completed_on,
                    self.after_days,
                    cx.as_of,
                );
                let status = if !st.overdue.is_empty() {
                    Status::Unmet
                } else if !st.open.is_empty() {
                    Status::Pending
                } else {
                    Status::Met
                };
                let missing: Vec<&str> =
                    st.overdue.iter().chain(&st.open).map(|s| s.zh()).collect();
                let found = Found {
                    target: Some(dec.id.to_string()),
                    actual: st.held as f64,
                    required: 3.0,
                    detail: format!("“{}”缺{}记录", dec.title, missing.join("、")),
                };
                rows.decided(&s, p, found, status);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::labels::DecisionStage::{self, *};
    use crate::domain::rules::facts::DecisionFact;
    use crate::domain::rules::testing::*;

    fn decision(held: &[(DecisionStage, &str)]) -> DecisionFact {
        DecisionFact {
            id: 7,
            unit: "U1".into(),
            title: "县城供水改造".into(),
            decided_on: d("2026-03-01"),
            completed_on: Some(d("2026-08-31")),
            held: held.iter().map(|(s, on)| (*s, d(on))).collect(),
        }
    }

    fn status(held: &[(DecisionStage, &str)], as_of: &str) -> Vec<(Option<String>, Status)> {
        let p = Policy::parse(DEFAULT).unwrap();
        let mut f = subject_facts(p.rule("DY-7").unwrap());
        f.decisions.push(decision(held));
        evaluate(&p, &f, 2026, d(as_of))
            .results
            .into_iter()
            .filter(|o| o.rule == "DY-7")
            .map(|o| (o.target_code, o.status))
            .collect()
    }

    #[test]
    fn a_decision_is_met_with_its_three_records_and_unmet_one_short() {
        let all = [
            (Before, "2026-02-10"),
            (During, "2026-05-20"),
            (After, "2026-10-15"),
        ];
        assert_eq!(
            status(&all, "2026-12-31"),
            [(Some("7".into()), Status::Met)]
        );
        assert_eq!(status(&all[..2], "2026-12-31")[0].1, Status::Unmet);
        assert_eq!(status(&all[1..], "2026-12-31")[0].1, Status::Unmet);
    }

    #[test]
    fn the_record_after_may_come_until_its_window_closes_and_only_records_by_the_as_of_day_count() {
        let two = [(Before, "2026-02-10"), (During, "2026-05-20")];
        // 90 days after 31 August is 29 November.
        assert_eq!(status(&two, "2026-11-29")[0].1, Status::Pending);
        assert_eq!(status(&two, "2026-11-30")[0].1, Status::Unmet);
        // The record during, dated after the as-of day, does not count yet: pending while the
        // decision is carried out.
        assert_eq!(status(&two, "2026-05-19")[0].1, Status::Pending);
        // A decision taken after the as-of day has no row.
        assert!(status(&two, "2026-02-28").is_empty());
    }
}
