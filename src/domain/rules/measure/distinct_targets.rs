//! Distinct targets (households, people, places) of records of these kinds in each period.

use super::{Judge, need_kinds};
use crate::domain::labels::ActivityKind;
use crate::domain::policy::{CountedBy, Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::period::{in_period, period_zh};
use rustc_hash::FxHashSet as HashSet;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct DistinctTargets {
    pub activity_kinds: Vec<ActivityKind>,
    pub min: u32,
    /// DDB-4: the subject's contact details are also made public, on or before the period's
    /// end (a publication stays valid: it is the same representative and the same phone).
    #[serde(default)]
    pub contact_published: bool,
}

impl Judge for DistinctTargets {
    const KEYS: &'static [&'static str] = &["activity_kinds", "min", "contact_published"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        need_kinds(&self.activity_kinds)
    }

    fn threshold(&self) -> String {
        if self.contact_published {
            format!("不同对象 ≥ {}，并公开联系方式", self.min)
        } else {
            format!("不同对象 ≥ {}", self.min)
        }
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        for s in cx.subjects(rule) {
            let recs = cx.records(&s, CountedBy::Participant, &self.activity_kinds);
            for p in &cx.periods {
                let t: HashSet<&str> = recs
                    .iter()
                    .filter(|a| in_period(a, p))
                    .flat_map(|a| a.targets.iter().map(String::as_str))
                    .collect();
                let n = t.len() as f64;
                let min = f64::from(self.min);
                let mut detail = format!("{}已走访{}人（户），还需{}", period_zh(p), n, min - n);
                let unpublished = self.contact_published
                    && !s
                        .person
                        .and_then(|id| cx.index.people.get(&id))
                        .is_some_and(|p2| p2.published.iter().any(|d| *d <= p.end.min(cx.as_of)));
                if unpublished {
                    // Short of the threshold until it is published: counted one short.
                    detail = if n >= min {
                        "联系方式尚未公开".into()
                    } else {
                        format!("{detail}；联系方式尚未公开")
                    };
                }
                let found = Found {
                    target: None,
                    actual: if unpublished {
                        n.min(min - 1.0).max(0.0)
                    } else {
                        n
                    },
                    required: min,
                    detail,
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn ddb4_needs_the_contact_details_published_as_well_as_fifty_people_visited() {
        let p = Policy::parse(DEFAULT).unwrap();
        let rule = p.rule("DDB-4").unwrap();
        let mut f = subject_facts(rule);
        f.people[0].published.clear();
        for i in 0..50 {
            let h = format!("H{i}");
            f.activities.push(act(
                ActivityKind::HouseholdVisit,
                "2026-03-01",
                "2026-03-01",
                &[1],
                &[h.as_str()],
            ));
        }
        let row = |f: &Facts, as_of: &str| {
            evaluate(&p, f, 2026, d(as_of))
                .results
                .into_iter()
                .find(|o| o.rule == "DDB-4")
                .unwrap()
        };
        let r = row(&f, "2026-12-31");
        assert_eq!((r.status, r.actual), (Status::Unmet, 49.0));
        assert!(r.detail.contains("联系方式尚未公开"), "{}", r.detail);
        // Published in November: met at the year's end, but not on a day before it was.
        f.people[0].published.push(d("2026-11-02"));
        assert_eq!(row(&f, "2026-12-31").status, Status::Met);
        assert_eq!(row(&f, "2026-11-01").status, Status::Pending);
    }
}
