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

    /// Rules whose module belongs to an issue still open, with that issue: the report lists
    /// them as unmeasured with the reason. Empty: every rule of RULES.md is measured.
    const WAITING: &[(&str, u32)] = &[];

    /// The rule IDs of the catalogue, in its order: the first cell of each table row.
    fn catalogue(text: &str) -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("| "))
            .filter_map(|l| l.split(" |").next())
            .filter(|id| {
                id.split_once('-').is_some_and(|(a, n)| {
                    !a.is_empty()
                        && a.chars().all(|c| c.is_ascii_uppercase())
                        && n.chars().all(|c| c.is_ascii_digit())
                })
            })
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_rule_of_the_catalogue_is_measured_unless_its_issue_is_open() {
        // The catalogue as committed beside the code; where the shared original is at hand
        // (a working machine), the copy must not have drifted from it.
        let copy = include_str!("../../../../docs/RULES.md");
        if let Ok(shared) = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/RULES.md"),
        ) {
            assert_eq!(
                shared, copy,
                "docs/RULES.md differs from ../shared/RULES.md: copy it again"
            );
        }
        let ids = catalogue(copy);
        assert!(ids.len() >= 80, "{ids:?}");
        let p = Policy::parse(DEFAULT).unwrap();
        for id in &ids {
            assert!(
                p.rule(id).is_some(),
                "{id} of RULES.md is not in policy/default.toml"
            );
        }
        for r in &p.rules {
            assert!(ids.contains(&r.id), "{} is not a rule of RULES.md", r.id);
        }
        let r = evaluate(&p, &Facts::default(), 2026, d("2026-12-31"));
        let mut unmeasured: Vec<&str> = r.unmeasured.iter().map(|u| u.rule.as_str()).collect();
        unmeasured.sort_unstable();
        let mut waiting: Vec<&str> = WAITING.iter().map(|(id, _)| *id).collect();
        waiting.sort_unstable();
        assert_eq!(
            unmeasured, waiting,
            "unmeasured rules other than those of open issues"
        );
        assert!(r.unmeasured.iter().all(|u| u.reason.chars().count() >= 6));
    }

    #[test]
    fn an_unmeasured_rule_is_listed_with_its_reason_and_has_no_row() {
        let text = DEFAULT.replace(
            "measure = \"proposals\"\nforward_days = 15",
            "measure = \"unmeasured\"\nreason = \"议案建议模块停用\"",
        );
        let p = Policy::parse(&text).unwrap();
        let r = evaluate(&p, &Facts::default(), 2026, d("2026-12-31"));
        assert_eq!(r.unmeasured.len(), 1);
        assert_eq!(
            (
                r.unmeasured[0].rule.as_str(),
                r.unmeasured[0].reason.as_str()
            ),
            ("DDB-5", "议案建议模块停用")
        );
        assert!(!r.results.iter().any(|o| o.rule == "DDB-5"));
    }
}
