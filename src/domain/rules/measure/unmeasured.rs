//! A rule no module measures yet: the report lists it with the reason instead of dropping it.

use super::Judge;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Rows};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Unmeasured {
    pub reason: String,
}

impl Judge for Unmeasured {
    const KEYS: &'static [&'static str] = &["reason"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        vec![]
    }

    fn threshold(&self) -> String {
        format!("暂不计算：{}", self.reason)
    }

    fn judge(&self, _: &Rule, _: &Context, rows: &mut Rows) {
        rows.unmeasured(&self.reason);
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn the_rules_without_their_module_are_listed_with_the_reason_not_dropped() {
        // The 2 rules whose module (decisions, representatives'
        // groups, community projects) is not built: each in the report's `unmeasured`, with a
        // reason, and no row; every other rule is measured.
        let p = Policy::parse(DEFAULT).unwrap();
        let r = evaluate(&p, &Facts::default(), 2026, d("2026-12-31"));
        let mut ids: Vec<&str> = r.unmeasured.iter().map(|u| u.rule.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["BF-7", "DDB-5"]);
        assert!(r.unmeasured.iter().all(|u| u.reason.chars().count() >= 6));
        assert!(!r.results.iter().any(|o| ids.contains(&o.rule.as_str())));
        assert_eq!(p.rules.len() - ids.len(), 80);
    }
}
