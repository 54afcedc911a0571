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
}

impl Judge for DistinctTargets {
    const KEYS: &'static [&'static str] = &["activity_kinds", "min"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        need_kinds(&self.activity_kinds)
    }

    fn threshold(&self) -> String {
        format!("不同对象 ≥ {}", self.min)
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
                let found = Found {
                    target: None,
                    actual: n,
                    required: min,
                    detail: format!("{}已走访{}人（户），还需{}", period_zh(p), n, min - n),
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}
