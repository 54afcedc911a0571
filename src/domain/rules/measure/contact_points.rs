//! A leader’s yearly contact points: at least `min` links of each kind of the template
//! (一联六 / 一联五 / 一联二, LXD-1 to LXD-3).

use super::Judge;
use crate::domain::labels::LinkKind;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use serde::Deserialize;
use std::collections::HashSet;

#[derive(Clone, Debug, Deserialize)]
pub struct ContactPoints {
    pub slots: Vec<Slot>,
}

/// One kind of contact point in a template, and how many of it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub kind: LinkKind,
    pub min: u32,
}

impl Judge for ContactPoints {
    const KEYS: &'static [&'static str] = &["slots"];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        if self.slots.is_empty() {
            errors.push("slots 不能为空".into());
        }
        if rule.who.roles.is_empty() {
            errors.push("who.roles 须指明适用的角色".into());
        }
        let mut kinds = HashSet::new();
        for s in &self.slots {
            if !s.kind.code().starts_with("contact_") {
                errors.push(format!("slots 中的“{}”不是联系点类型", s.kind.zh()));
            }
            if s.min == 0 {
                errors.push(format!("slots 中“{}”的 min 须大于0", s.kind.zh()));
            }
            if !kinds.insert(s.kind) {
                errors.push(format!("slots 中“{}”重复", s.kind.zh()));
            }
        }
        errors
    }

    fn threshold(&self) -> String {
        format!("联系点模板（{}项）", self.slots.len())
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let need: u32 = self.slots.iter().map(|s| s.min).sum();
        for s in cx.subjects(rule) {
            let ls = cx.links(&s);
            for p in &cx.periods {
                let mut missing = Vec::new();
                let mut have = 0u32;
                for slot in &self.slots {
                    let n = ls
                        .iter()
                        .filter(|l| l.kind == slot.kind && l.start <= p.end && l.end >= p.start)
                        .count() as u32;
                    have += n.min(slot.min);
                    if n < slot.min {
                        missing.push(format!("{}×{}", slot.kind.zh(), slot.min - n));
                    }
                }
                let found = Found {
                    target: None,
                    actual: f64::from(have),
                    required: f64::from(need),
                    detail: format!("{}缺：{}", rule.name, missing.join("、")),
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
    fn coverage_contact_templates_and_shared_contacts() {
        let mut f = Facts {
            people: vec![
                person(1, &[Role::TownLeadershipMember]),
                person(2, &[Role::StreetLeadershipMember]),
            ],
            ..Default::default()
        };
        f.regions.push(RegionFact {
            code: "V1".into(),
            name: "一村".into(),
            level: Some(RegionLevel::Village),
            path: format!("/C/T1/{}/", "V1"),
        });
        for h in ["H1", "H2", "H3"] {
            f.households.push(HouseholdFact {
                head: String::new(),
                code: h.into(),
                region: "V1".into(),
                village: "V1".into(),
                has_members: true,
                has_situation: true,
                has_income: true,
            });
        }
        // LH-1: a row per household, the one without a cadre named.
        f.links.push(link(1, LinkKind::HouseholdLink, "H1"));
        f.links.push(link(2, LinkKind::HouseholdLink, "H2"));
        let lh1 = |f: &Facts| -> Vec<(String, &'static str, Status)> {
            let p = Policy::parse(DEFAULT).unwrap();
            evaluate(&p, f, 2026, d("2026-12-31"))
                .results
                .into_iter()
                .filter(|o| o.rule == "LH-1")
                .map(|o| (o.subject_code, o.subject_kind, o.status))
                .collect()
        };
        assert_eq!(
            lh1(&f),
            [
                ("H1".into(), "household", Status::Met),
                ("H2".into(), "household", Status::Met),
                ("H3".into(), "household", Status::Unmet)
            ]
        );
        f.links.push(link(2, LinkKind::HouseholdLink, "H3"));
        assert!(lh1(&f).iter().all(|r| r.2 == Status::Met));
        // 一联五 counts filled slots; both hold 一村 as contact point: LXD-4 warns both.
        f.links.push(link(1, LinkKind::ContactVillage, "V1"));
        f.links.push(link(2, LinkKind::ContactVillage, "V1"));
        assert_eq!(
            status_of(&f, "LXD-2", "2026", "2026-12-31"),
            (Status::Unmet, 1.0)
        );
        assert_eq!(
            status_of(&f, "LXD-4", "2026", "2026-12-31"),
            (Status::Unmet, 1.0)
        );
    }

    #[test]
    fn the_county_and_department_templates_need_every_slot() {
        for id in ["LXD-1", "LXD-3"] {
            let slots = |rule: &Rule, _: &Period, f: &mut Facts, delta: i32| {
                let Measure::ContactPoints(measure::contact_points::ContactPoints { slots }) =
                    &rule.measure
                else {
                    panic!()
                };
                for (si, s) in slots.iter().enumerate() {
                    // One short in the last slot.
                    let n = if si == slots.len() - 1 {
                        s.min as i32 + delta
                    } else {
                        s.min as i32
                    };
                    for i in 0..n {
                        f.links.push(link(1, s.kind, &format!("C{si}-{i}")));
                    }
                }
            };
            assert_eq!(judge(id, &slots), (Status::Met, Status::Unmet), "{id}");
        }
    }
}
