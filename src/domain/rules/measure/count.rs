//! Records of these kinds in each period: at least `min`, at most `max` when given (LH-1’s
//! visits, XF-2’s receptions, DDB-3 counted by the unit’s people or by records naming it).

use super::{Judge, kinds_zh, need_kinds};
use crate::domain::labels::ActivityKind;
use crate::domain::policy::{CountedBy, Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::period::{in_period, period_zh};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Count {
    pub activity_kinds: Vec<ActivityKind>,
    pub min: u32,
    #[serde(default)]
    pub max: Option<u32>,
    #[serde(default)]
    pub by: CountedBy,
    /// Only records at one of the subject's linked targets (of the rule's `who.link_kinds`) or
    /// at a place under one (LXD-5: stationed research at the contact point).
    #[serde(default)]
    pub at_links: bool,
}

impl Judge for Count {
    const KEYS: &'static [&'static str] = &["activity_kinds", "min", "max", "by", "at_links"];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = need_kinds(&self.activity_kinds);
        if self.at_links && rule.who.link_kinds.is_empty() {
            errors.push("at_links 须与 who.link_kinds 同用（在哪些联系对象处）".into());
        }
        if self.max.is_some_and(|m| m < self.min) {
            errors.push("max 小于 min，自相矛盾".into());
        }
        errors
    }

    fn threshold(&self) -> String {
        match self.max {
            Some(m) => format!("次数 {}–{m}", self.min),
            None => format!("次数 ≥ {}", self.min),
        }
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let kinds = &self.activity_kinds;
        for s in cx.subjects(rule) {
            let mut recs = cx.records(&s, self.by, kinds);
            if self.at_links {
                let at = cx.linked_targets(&s, &rule.who.link_kinds);
                recs.retain(|a| {
                    a.targets
                        .iter()
                        .any(|x| at.iter().any(|t| cx.lies_at(x, t)))
                });
            }
            for p in &cx.periods {
                let n = recs.iter().filter(|a| in_period(a, p)).count() as f64;
                let detail = match self.max {
                    Some(m) if n > f64::from(m) => {
                        format!("{}{}共{}次，超过{}次", period_zh(p), kinds_zh(kinds), n, m)
                    }
                    _ => format!(
                        "{}还需{}{}次",
                        period_zh(p),
                        kinds_zh(kinds),
                        f64::from(self.min) - n
                    ),
                };
                let found = Found {
                    target: None,
                    actual: n,
                    required: f64::from(self.min),
                    detail,
                };
                rows.against(&s, p, found, self.max.map(f64::from));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn a_count_is_met_at_the_threshold_pending_before_the_end_and_unmet_after() {
        // TX-1: leaders hold at least two heart talks a year.
        let mut f = Facts {
            people: vec![person(1, &[Role::TownLeadershipMember])],
            ..Default::default()
        };
        f.activities.push(act(
            ActivityKind::HeartTalk,
            "2026-03-01",
            "2026-03-01",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "TX-1", "2026", "2026-11-20"),
            (Status::Pending, 1.0)
        );
        assert_eq!(
            status_of(&f, "TX-1", "2026", "2026-12-31"),
            (Status::Unmet, 1.0)
        );
        f.activities.push(act(
            ActivityKind::HeartTalk,
            "2026-12-31",
            "2026-12-31",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "TX-1", "2026", "2026-12-31"),
            (Status::Met, 2.0)
        );
    }

    #[test]
    fn records_naming_a_place_count_for_the_place() {
        // CG-6: a situation meeting in each village each month.
        let mut f = Facts::default();
        f.regions.push(RegionFact {
            code: "V1".into(),
            name: "一村".into(),
            level: Some(RegionLevel::Village),
            path: format!("/C/T1/{}/", "V1"),
        });
        f.activities.push(act(
            ActivityKind::SituationMeeting,
            "2026-10-31",
            "2026-10-31",
            &[],
            &["V1"],
        ));
        assert_eq!(
            status_of(&f, "CG-6", "2026-10", "2026-11-20"),
            (Status::Met, 1.0)
        );
        assert_eq!(
            status_of(&f, "CG-6", "2026-09", "2026-11-20"),
            (Status::Unmet, 0.0)
        );
    }

    #[test]
    fn every_count_rule_is_met_at_its_threshold_on_the_last_day_and_unmet_one_short() {
        for id in [
            "DY-1", "LXD-5", "XF-6", "XF-8", "ZY-3", "DDB-2", "DDB-3", "TZ-5",
        ] {
            assert_eq!(
                judge(id, &count_records),
                (Status::Met, Status::Unmet),
                "{id}"
            );
        }
    }
}

#[cfg(test)]
mod at_links {
    use crate::domain::rules::testing::*;

    #[test]
    fn stationed_research_counts_at_the_contact_point_or_a_place_under_it_only() {
        // LXD-5: leader 1's contact point is the town T0; V1 is a village of T0, V2 of T9.
        let p = Policy::parse(DEFAULT).unwrap();
        let rule = p.rule("LXD-5").unwrap().clone();
        let at = |target: &str| {
            let mut f = subject_facts(&rule);
            f.regions = ["T0", "V1", "T9", "V2"]
                .iter()
                .zip(["/C/T0/", "/C/T0/V1/", "/C/T9/", "/C/T9/V2/"])
                .map(|(c, path)| RegionFact {
                    code: c.to_string(),
                    name: c.to_string(),
                    level: None,
                    path: path.into(),
                })
                .collect();
            f.activities.push(record(
                ActivityKind::StationedResearch,
                d("2026-05-06"),
                3,
                target,
            ));
            status_of(&f, "LXD-5", "2026", "2026-12-31").0
        };
        assert_eq!(at("T0"), Status::Met);
        assert_eq!(at("V1"), Status::Met);
        assert_eq!(at("V2"), Status::Unmet, "stationed research elsewhere");
        assert_eq!(at("T9"), Status::Unmet);
    }
}
