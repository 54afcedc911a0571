//! No target is a contact point of two leaders of the same tier (LXD-4): a reminder row for
//! each leader holding contact points, counting the points shared within the tier.

use super::Judge;
use crate::domain::labels::Role;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows, Subject};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Clone, Debug, Deserialize)]
pub struct DistinctContacts {
    pub tiers: Vec<Tier>,
}

/// Leaders of one tier: no two of them share a contact point.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    pub roles: Vec<Role>,
}

impl Judge for DistinctContacts {
    const KEYS: &'static [&'static str] = &["tiers"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        let mut roles = std::collections::HashSet::new();
        for t in &self.tiers {
            for role in &t.roles {
                if !roles.insert(*role) {
                    errors.push(format!("角色“{}”出现在两个层级中，层级互相矛盾", role.zh()));
                }
            }
        }
        errors
    }

    fn threshold(&self) -> String {
        "同级领导不重复联系".into()
    }

    fn judge(&self, _: &Rule, cx: &Context, rows: &mut Rows) {
        let people = &cx.facts.people;
        for p in &cx.periods {
            let day = p.end.min(cx.as_of);
            for tier in &self.tiers {
                let of_tier = |o: &crate::domain::rules::facts::PersonFact| {
                    o.roles.iter().any(|r| tier.roles.contains(r))
                };
                let mut holders: HashMap<&str, BTreeSet<i32>> = HashMap::default();
                for l in cx.facts.links.iter().filter(|l| {
                    l.kind.code().starts_with("contact_") && l.start <= day && l.end >= day
                }) {
                    if let Some(pid) = l.person {
                        holders.entry(l.target.as_str()).or_default().insert(pid);
                    }
                }
                // Only leaders who hold contact points are judged: no links, no row.
                let holding: HashSet<i32> = holders.values().flatten().copied().collect();
                for person in people
                    .iter()
                    .filter(|x| holding.contains(&x.id) && of_tier(x))
                {
                    let shared: Vec<(&str, Vec<&str>)> = holders
                        .iter()
                        .filter(|(_, who)| who.contains(&person.id))
                        .map(|(t, who)| {
                            let others: Vec<&str> = people
                                .iter()
                                .filter(|o| o.id != person.id && who.contains(&o.id) && of_tier(o))
                                .map(|o| o.name.as_str())
                                .collect();
                            (*t, others)
                        })
                        .filter(|(_, others)| !others.is_empty())
                        .collect();
                    let detail = shared
                        .iter()
                        .map(|(t, o)| format!("{t}与{}重复", o.join("、")))
                        .collect::<Vec<_>>()
                        .join("；");
                    let found = Found {
                        target: None,
                        actual: shared.len() as f64,
                        required: 0.0,
                        detail: format!("联系点重复交叉（提醒）：{detail}"),
                    };
                    rows.against(&Subject::person(person), p, found, Some(0.0));
                }
            }
        }
    }
}
