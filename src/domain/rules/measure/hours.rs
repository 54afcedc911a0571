//! Hours of records of these kinds in each period (ZY-1’s volunteer hours).

use super::{Judge, need_kinds};
use crate::domain::labels::ActivityKind;
use crate::domain::policy::{CountedBy, Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::period::{in_period, period_zh};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Hours {
    pub activity_kinds: Vec<ActivityKind>,
    pub min: f64,
}

impl Judge for Hours {
    const KEYS: &'static [&'static str] = &["activity_kinds", "min"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        need_kinds(&self.activity_kinds)
    }

    fn threshold(&self) -> String {
        format!("时长 ≥ {} 小时", self.min)
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        for s in cx.subjects(rule) {
            let recs = cx.records(&s, CountedBy::Participant, &self.activity_kinds);
            for p in &cx.periods {
                let h: f64 = recs
                    .iter()
                    .filter(|a| in_period(a, p))
                    .map(|a| a.hours)
                    .sum();
                let found = Found {
                    target: None,
                    actual: h,
                    required: self.min,
                    detail: format!(
                        "{}已{:.1}小时，还需{:.1}小时",
                        period_zh(p),
                        h,
                        self.min - h
                    ),
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
    fn hours_and_links_with_bounds() {
        // ZY-5: 20 volunteer hours; ZY-1: between 10 and 20 paired residents.
        let mut f = Facts {
            people: vec![person(1, &[Role::InServicePartyMember, Role::PartyMember])],
            ..Default::default()
        };
        let mut a = act(
            ActivityKind::VolunteerService,
            "2026-05-01",
            "2026-05-01",
            &[1],
            &[],
        );
        a.hours = 19.5;
        f.activities.push(a.clone());
        assert_eq!(
            status_of(&f, "ZY-5", "2026", "2026-12-31"),
            (Status::Unmet, 19.5)
        );
        a.hours = 0.5;
        f.activities.push(a);
        assert_eq!(
            status_of(&f, "ZY-5", "2026", "2026-12-31"),
            (Status::Met, 20.0)
        );
        for i in 0..10 {
            f.links
                .push(link(1, LinkKind::ResidentPairing, &format!("H{i}")));
        }
        assert_eq!(
            status_of(&f, "ZY-1", "2026", "2026-06-01"),
            (Status::Met, 10.0)
        );
        for i in 10..21 {
            f.links
                .push(link(1, LinkKind::ResidentPairing, &format!("H{i}")));
        }
        assert_eq!(
            status_of(&f, "ZY-1", "2026", "2026-06-01"),
            (Status::Unmet, 21.0),
            "over the maximum"
        );
    }
}
