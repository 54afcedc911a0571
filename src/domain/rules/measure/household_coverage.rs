//! The share of a village’s households with a link of these kinds, as of the last day of the
//! period that has come; or, with `per_household`, a row for each household of the village
//! (LH-1: every household has its cadre, and the report names the one without).

use super::Judge;
use crate::domain::labels::LinkKind;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows, Subject};
use crate::domain::rules::facts::HouseholdFact;
use chrono::NaiveDate;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct HouseholdCoverage {
    pub link_kinds: Vec<LinkKind>,
    #[serde(default = "super::whole")]
    pub share: f64,
    /// A row per household (subject kind `household`) instead of one per village.
    #[serde(default)]
    pub per_household: bool,
}

impl Judge for HouseholdCoverage {
    const KEYS: &'static [&'static str] = &["link_kinds", "share", "per_household"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        let share = self.share;
        if !(0.0..=1.0).contains(&share) || share == 0.0 {
            errors.push(format!("share 应在0到1之间（不含0），现为{share}"));
        }
        if self.link_kinds.is_empty() {
            errors.push("link_kinds 不能为空".into());
        }
        errors
    }

    fn threshold(&self) -> String {
        if self.per_household {
            return "每户都有联户干部".into();
        }
        format!("联户覆盖 ≥ {:.0}%", self.share * 100.0)
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let mut per_village: HashMap<&str, Vec<&HouseholdFact>> = HashMap::default();
        for h in &cx.facts.households {
            per_village.entry(h.village.as_str()).or_default().push(h);
        }
        // Covered on the last day of the period that has come; one set per such day.
        let mut covered_on: HashMap<NaiveDate, HashSet<&str>> = HashMap::default();
        for p in &cx.periods {
            let day = p.end.min(cx.as_of);
            covered_on.entry(day).or_insert_with(|| {
                cx.facts
                    .links
                    .iter()
                    .filter(|l| self.link_kinds.contains(&l.kind) && l.start <= day && l.end >= day)
                    .map(|l| l.target.as_str())
                    .collect()
            });
        }
        let none = HashSet::default();
        for s in cx.subjects(rule) {
            let Some(hh) = per_village.get(s.code) else {
                continue;
            };
            for p in &cx.periods {
                let covered = covered_on.get(&p.end.min(cx.as_of)).unwrap_or(&none);
                if self.per_household {
                    for h in hh {
                        let has = covered.contains(h.code.as_str());
                        let me = Subject {
                            kind: "household",
                            code: &h.code,
                            name: &h.head,
                            person: None,
                            path: s.path,
                        };
                        let found = Found {
                            target: None,
                            actual: f64::from(u8::from(has)),
                            required: 1.0,
                            detail: format!("{}（{}）还没有联户干部", h.head, h.code),
                        };
                        rows.against(&me, p, found, None);
                    }
                    continue;
                }
                let open: Vec<&str> = hh
                    .iter()
                    .map(|h| h.code.as_str())
                    .filter(|h| !covered.contains(h))
                    .collect();
                let got = (hh.len() - open.len()) as f64 / hh.len() as f64;
                let found = Found {
                    target: None,
                    actual: (got * 1000.0).floor() / 1000.0,
                    required: self.share,
                    detail: format!(
                        "还有{}户没有联户干部：{}{}",
                        open.len(),
                        open.iter().take(5).copied().collect::<Vec<_>>().join("、"),
                        if open.len() > 5 { "……" } else { "" }
                    ),
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}
