//! Each linked household (links of the rule’s kinds) has its basic-information form
//! 家庭基本情况表: members, living and production situation, income sources (LH-4).

use super::Judge;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::facts::HouseholdFact;
use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct HouseholdForms {}

impl Judge for HouseholdForms {
    const KEYS: &'static [&'static str] = &[];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        if rule.who.link_kinds.is_empty() {
            vec!["who.link_kinds 须指明联系户的关系类型".into()]
        } else {
            vec![]
        }
    }

    fn threshold(&self) -> String {
        "每个联系户的家庭基本情况表完整".into()
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let households: HashMap<&str, &HouseholdFact> = cx
            .facts
            .households
            .iter()
            .map(|h| (h.code.as_str(), h))
            .collect();
        for s in cx.subjects(rule) {
            let targets: Vec<&HouseholdFact> = cx
                .linked_targets(&s, &rule.who.link_kinds)
                .into_iter()
                .filter_map(|t| households.get(t).copied())
                .collect();
            for p in &cx.periods {
                for h in &targets {
                    let missing: Vec<&str> = [
                        (h.has_members, "家庭成员"),
                        (h.has_situation, "生产生活情况"),
                        (h.has_income, "收入来源"),
                    ]
                    .iter()
                    .filter(|(has, _)| !has)
                    .map(|(_, what)| *what)
                    .collect();
                    let found = Found {
                        target: Some(h.code.clone()),
                        actual: (3 - missing.len()) as f64,
                        required: 3.0,
                        detail: format!("家庭基本情况表缺{}", missing.join("、")),
                    };
                    rows.against(&s, p, found, None);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn each_linked_household_has_its_basic_information_form() {
        let mut f = Facts {
            people: vec![person(1, &[Role::VillageCadre])],
            links: vec![
                link(1, LinkKind::HouseholdLink, "H1"),
                link(1, LinkKind::HouseholdLink, "H2"),
            ],
            ..Default::default()
        };
        for (code, income) in [("H1", true), ("H2", false)] {
            f.households.push(HouseholdFact {
                head: String::new(),
                code: code.into(),
                region: "V1".into(),
                village: "V1".into(),
                has_members: true,
                has_situation: true,
                has_income: income,
            });
        }
        let r = rows(&f, "LH-4", "2026-12-31");
        assert_eq!(
            r,
            [
                ("2026".into(), Some("H1".into()), Status::Met, 3.0),
                ("2026".into(), Some("H2".into()), Status::Unmet, 2.0)
            ]
        );
        // Before the year is out, the missing part is still owed, not failed.
        assert_eq!(rows(&f, "LH-4", "2026-06-30")[1].2, Status::Pending);
        let p = Policy::parse(DEFAULT).unwrap();
        let report = evaluate(&p, &f, 2026, d("2026-12-31"));
        let h2 = report
            .results
            .iter()
            .find(|o| o.rule == "LH-4" && o.target_code.as_deref() == Some("H2"))
            .unwrap();
        assert_eq!(h2.detail, "家庭基本情况表缺收入来源");
    }
}
