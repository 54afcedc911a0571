//! Representatives' proposals 议案/建议 (DDB-5): the issues representatives collect are compiled
//! by the liaison office into proposals for a meeting; each is forwarded to a unit within
//! `forward_days` of being submitted and answered by its deadline (the ledger's proposal
//! clock, set when it is forwarded). A row per proposal submitted in the period, for the office
//! that compiled it.

use super::Judge;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::facts::ProposalFact;
use crate::domain::rules::report::Status;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Proposals {
    /// Days from submission by which a proposal must be forwarded to a unit.
    pub forward_days: u32,
}

/// Where a proposal stands on `as_of`, and what is missing (in Chinese) when not met.
pub fn standing(x: &ProposalFact, forward_days: u32, as_of: NaiveDate) -> (Status, String) {
    let seen = |d: Option<NaiveDate>| d.filter(|d| *d <= as_of);
    let Some(forwarded) = seen(x.forwarded_on) else {
        let by = x.submitted_on + Duration::days(i64::from(forward_days));
        return if as_of > by {
            (
                Status::Unmet,
                format!("提交后{forward_days}天内（{by}前）未交办承办单位"),
            )
        } else {
            (Status::Pending, format!("待交办承办单位（{by}前）"))
        };
    };
    let due = x.due_on.unwrap_or(forwarded);
    match seen(x.answered_on) {
        Some(a) if a <= due => (Status::Met, String::new()),
        Some(a) => (
            Status::Unmet,
            format!("答复期限{due}，{a}才答复，逾期{}天", (a - due).num_days()),
        ),
        None if as_of > due => (
            Status::Unmet,
            format!("答复期限{due}已过，承办单位尚未答复"),
        ),
        None => (Status::Pending, format!("已交办，待承办单位在{due}前答复")),
    }
}

impl Judge for Proposals {
    const KEYS: &'static [&'static str] = &["forward_days"];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        if rule.who.unit_kinds.is_empty() && rule.who.unit_tags.is_empty() {
            errors.push("议案建议按联络机构计算：who 须写 unit_kinds 或 unit_tags".into());
        }
        if self.forward_days == 0 || self.forward_days > 366 {
            errors.push(format!(
                "forward_days（{}）应在 1–366 天之间",
                self.forward_days
            ));
        }
        errors
    }

    fn threshold(&self) -> String {
        format!(
            "每件议案建议提交后{}天内交办承办单位，并在答复期限内答复",
            self.forward_days
        )
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        for s in cx.subjects(rule) {
            for p in &cx.periods {
                for x in cx.facts.proposals.iter().filter(|x| {
                    x.office == s.code
                        && x.submitted_on >= p.start
                        && x.submitted_on <= p.end.min(cx.as_of)
                }) {
                    let (status, why) = standing(x, self.forward_days, cx.as_of);
                    let found = Found {
                        target: Some(x.id.to_string()),
                        actual: f64::from(status == Status::Met),
                        required: 1.0,
                        detail: format!("{}“{}”：{why}", x.meeting, x.title),
                    };
                    rows.decided(&s, p, found, status);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::facts::ProposalFact;
    use crate::domain::rules::testing::*;

    fn proposal(forwarded: Option<&str>, answered: Option<&str>) -> ProposalFact {
        ProposalFact {
            id: 9,
            office: "U1".into(),
            meeting: "县第十五次党代会第三次会议".into(),
            title: "农村饮水安全".into(),
            submitted_on: d("2026-03-02"),
            forwarded_to: forwarded.map(|_| "U2".into()),
            forwarded_on: forwarded.map(d),
            due_on: forwarded.map(|f| d(f) + chrono::Duration::days(90)),
            answered_on: answered.map(d),
        }
    }

    fn status(x: ProposalFact, as_of: &str) -> Vec<(Option<String>, Status)> {
        let p = Policy::parse(DEFAULT).unwrap();
        let mut f = subject_facts(p.rule("DDB-5").unwrap());
        f.proposals.push(x);
        evaluate(&p, &f, 2026, d(as_of))
            .results
            .into_iter()
            .filter(|o| o.rule == "DDB-5")
            .map(|o| (o.target_code, o.status))
            .collect()
    }

    #[test]
    fn a_proposal_answered_on_its_last_day_is_met_and_one_day_late_unmet() {
        // Forwarded 2026-03-10: 90 days make 2026-06-08 the last day.
        let on_time = proposal(Some("2026-03-10"), Some("2026-06-08"));
        assert_eq!(
            status(on_time, "2026-12-31"),
            [(Some("9".into()), Status::Met)]
        );
        let late = proposal(Some("2026-03-10"), Some("2026-06-09"));
        assert_eq!(status(late, "2026-12-31")[0].1, Status::Unmet);
        // Unanswered: pending to its last day, unmet the day after.
        let open = proposal(Some("2026-03-10"), None);
        assert_eq!(status(open.clone(), "2026-06-08")[0].1, Status::Pending);
        assert_eq!(status(open, "2026-06-09")[0].1, Status::Unmet);
    }

    #[test]
    fn a_proposal_must_be_forwarded_within_the_days_allowed() {
        // Submitted 2026-03-02; 15 days to forward: 2026-03-17 is the last day.
        let waiting = proposal(None, None);
        assert_eq!(status(waiting.clone(), "2026-03-17")[0].1, Status::Pending);
        assert_eq!(status(waiting, "2026-03-18")[0].1, Status::Unmet);
        // Forwarded after the as-of day does not count yet; submitted after it, no row.
        let later = proposal(Some("2026-03-10"), None);
        assert_eq!(status(later.clone(), "2026-03-09")[0].1, Status::Pending);
        assert!(status(later, "2026-03-01").is_empty());
    }
}
