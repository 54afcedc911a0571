//! Each record of these kinds at one of the subject’s contact points (links of the rule’s link
//! kinds) has at most `max_companions` companions (LXD-12): one row per such visit, on its day.

use super::Judge;
use crate::domain::labels::ActivityKind;
use crate::domain::policy::{CountedBy, Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::period::Period;
use chrono::Datelike;
use rustc_hash::FxHashSet as HashSet;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Companions {
    pub activity_kinds: Vec<ActivityKind>,
    pub max_companions: u32,
}

impl Judge for Companions {
    const KEYS: &'static [&'static str] = &["activity_kinds", "max_companions"];

    fn check(&self, _: &Rule, policy: &Policy) -> Vec<String> {
        if self.max_companions != policy.work.max_companions {
            vec![format!(
                "max_companions（{}）应与 [work] max_companions（{}）一致",
                self.max_companions, policy.work.max_companions
            )]
        } else {
            vec![]
        }
    }

    fn threshold(&self) -> String {
        format!("每次随行 ≤ {} 人", self.max_companions)
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let max = self.max_companions;
        for s in cx.subjects(rule) {
            let places: HashSet<&str> = cx
                .links(&s)
                .iter()
                .filter(|l| rule.who.link_kinds.contains(&l.kind))
                .map(|l| l.target.as_str())
                .collect();
            for a in cx.all_records(&s, CountedBy::Participant) {
                if !self.activity_kinds.contains(&a.kind)
                    || a.start.year() != cx.year
                    || a.start > cx.as_of
                {
                    continue;
                }
                let (Some(n), Some(t)) = (
                    a.companions,
                    a.targets.iter().find(|t| places.contains(t.as_str())),
                ) else {
                    continue;
                };
                let day = Period {
                    label: a.start.to_string(),
                    start: a.start,
                    end: a.start,
                };
                let found = Found {
                    target: Some(t.clone()),
                    actual: f64::from(n),
                    required: 0.0,
                    detail: format!("随行{n}人，超过{max}人"),
                };
                rows.against(&s, &day, found, Some(f64::from(max)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn a_contact_point_visit_with_more_than_three_companions_is_flagged() {
        // LXD-12: one row per visit to one's contact point that records its companions.
        let visit = |day: &str, target: &str, companions| ActivityFact {
            start: d(day),
            end: d(day),
            kind: ActivityKind::FieldVisit,
            hours: 0.0,
            companions,
            participants: vec![1],
            targets: vec![target.into()],
            disputed_on: None,
        };
        let f = Facts {
            people: vec![person(1, &[Role::TownLeadershipMember])],
            links: vec![link(1, LinkKind::ContactVillage, "V1")],
            activities: vec![
                visit("2026-03-01", "V1", Some(3)),
                visit("2026-04-01", "V1", Some(4)),
                visit("2026-05-01", "V1", None),
                visit("2026-06-01", "V9", Some(9)),
            ],
            ..Default::default()
        };
        assert_eq!(
            rows(&f, "LXD-12", "2026-12-31"),
            [
                (
                    "2026-03-01".to_string(),
                    Some("V1".to_string()),
                    Status::Met,
                    3.0
                ),
                (
                    "2026-04-01".to_string(),
                    Some("V1".to_string()),
                    Status::Unmet,
                    4.0
                ),
            ]
        );
        // The threshold follows the form's warning: a policy where they differ is refused.
        let bad = DEFAULT.replacen("max_companions = 3\n", "max_companions = 5\n", 1);
        let errors = Policy::parse(&bad).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("LXD-12") && e.contains("一致")),
            "{errors:?}"
        );
    }
}
