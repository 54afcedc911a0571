//! Members of a body holding a role (DDB-1: a representatives' working group has a convener):
//! people linked to the subject unit by links of these kinds, in force in the period, who hold
//! one of these roles.

use super::Judge;
use crate::domain::labels::{LinkKind, Role};
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Members {
    pub link_kinds: Vec<LinkKind>,
    pub roles: Vec<Role>,
    pub min: u32,
}

impl Judge for Members {
    const KEYS: &'static [&'static str] = &["link_kinds", "roles", "min"];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        if self.link_kinds.is_empty() {
            errors.push("link_kinds 不能为空".into());
        }
        if self.roles.is_empty() {
            errors.push("roles 不能为空".into());
        }
        if rule.who.unit_kinds.is_empty() && rule.who.unit_tags.is_empty() {
            errors.push("成员按单位计算：who 须写 unit_kinds 或 unit_tags".into());
        }
        errors
    }

    fn threshold(&self) -> String {
        let roles: Vec<&str> = self.roles.iter().map(|r| r.zh()).collect();
        format!("{} ≥ {}", roles.join("或"), self.min)
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let roles: Vec<&str> = self.roles.iter().map(|r| r.zh()).collect();
        let roles = roles.join("或");
        for s in cx.subjects(rule) {
            for p in &cx.periods {
                let mut holders: Vec<i32> = cx
                    .facts
                    .links
                    .iter()
                    .filter(|l| {
                        l.target == s.code
                            && self.link_kinds.contains(&l.kind)
                            && l.start <= p.end.min(cx.as_of)
                            && l.end >= p.start
                    })
                    .filter_map(|l| l.person)
                    .filter(|id| {
                        cx.index
                            .people
                            .get(id)
                            .is_some_and(|p| p.roles.iter().any(|r| self.roles.contains(r)))
                    })
                    .collect();
                holders.sort_unstable();
                holders.dedup();
                let n = holders.len() as f64;
                let found = Found {
                    target: None,
                    actual: n,
                    required: f64::from(self.min),
                    detail: format!("尚未确定{roles}（成员中无人担任）"),
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::labels::{LinkKind, Role};
    use crate::domain::rules::testing::*;

    #[test]
    fn a_group_has_its_convener_only_when_a_member_holds_the_role() {
        // DDB-1: the group U1 with member 2 (a representative) and, at the threshold, member 3
        // who is the convener; one short, the convener is not a member (linked elsewhere).
        let convener = |_: &Rule, _: &Period, f: &mut Facts, delta: i32| {
            f.people
                .push(person(2, &[Role::PartyMember, Role::CountyRepresentative]));
            f.people.push(person(
                3,
                &[
                    Role::PartyMember,
                    Role::CountyRepresentative,
                    Role::Convener,
                ],
            ));
            f.links.push(link(2, LinkKind::GroupMembership, "U1"));
            let group = if delta == 0 { "U1" } else { "U9" };
            f.links.push(link(3, LinkKind::GroupMembership, group));
        };
        assert_eq!(judge("DDB-1", &convener), (Status::Met, Status::Unmet));
    }

    #[test]
    fn a_convener_linked_only_after_the_as_of_day_does_not_count() {
        let p = Policy::parse(DEFAULT).unwrap();
        let rule = p.rule("DDB-1").unwrap().clone();
        let mut f = subject_facts(&rule);
        f.people.push(person(3, &[Role::Convener]));
        let mut l = link(3, LinkKind::GroupMembership, "U1");
        l.start = d("2026-07-01");
        f.links.push(l);
        let of = |as_of: &str| {
            evaluate(&p, &f, 2026, d(as_of))
                .results
                .into_iter()
                .find(|o| o.rule == "DDB-1" && o.subject_code == "U1")
                .map(|o| o.status)
        };
        assert_eq!(of("2026-06-30"), Some(Status::Pending));
        assert_eq!(of("2026-07-01"), Some(Status::Met));
        assert_eq!(of("2026-12-31"), Some(Status::Met));
    }
}
