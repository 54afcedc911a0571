//! The assessment 联户考核 of each household-linking cadre (PJ-4), and the spot checks 抽查 of
//! recorded work (PJ-3) whose confirmations it reads.
//!
//! A scorecard has a part per measure — visits, cards delivered, problems solved, residents'
//! satisfaction, spot-check confirmations — each a share in per cent with what it was counted
//! from. A part without anything to count is left out and the others' weights carry the total;
//! the integrity flags are shown beside it and deduct only the points the policy names.

use crate::domain::survey::Draw;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[assessment]` of the policy.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentSettings {
    /// The rules whose rows make the visits part, and the cards part.
    pub visit_rules: Vec<String>,
    pub card_rules: Vec<String>,
    /// The weight of each part; they add up to 100.
    pub weights: Weights,
    /// Points deducted for each integrity flag on the cadre's records (0: shown only).
    pub flag_penalty: f64,
    /// The grades, highest first: the first whose `at_least` the total reaches.
    pub grades: Vec<crate::domain::survey::Grade>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub visits: f64,
    pub cards: f64,
    pub solved: f64,
    pub satisfaction: f64,
    pub spot_checks: f64,
}

impl Default for AssessmentSettings {
    fn default() -> Self {
        let g = |n: &str, a: f64| crate::domain::survey::Grade {
            name: n.into(),
            at_least: a,
        };
        AssessmentSettings {
            visit_rules: vec!["LH-2".into(), "LH-4".into()],
            card_rules: vec!["LH-3".into()],
            weights: Weights {
                visits: 30.0,
                cards: 15.0,
                solved: 20.0,
                satisfaction: 25.0,
                spot_checks: 10.0,
            },
            flag_penalty: 0.0,
            grades: vec![
                g("优秀", 90.0),
                g("称职", 75.0),
                g("基本称职", 60.0),
                g("不称职", 0.0),
            ],
        }
    }
}

/// The grades an assessment may give, for checking the policy's names.
pub const GRADES: [&str; 4] = ["优秀", "称职", "基本称职", "不称职"];

impl AssessmentSettings {
    pub fn check(&self, rule_ids: &[&str]) -> Vec<String> {
        let mut e = Vec::new();
        let w = self.weights;
        let parts = [w.visits, w.cards, w.solved, w.satisfaction, w.spot_checks];
        if parts.iter().any(|x| *x < 0.0) || (parts.iter().sum::<f64>() - 100.0).abs() > 1e-6 {
            e.push("[assessment.weights]：各项权重不能为负，合计应为100".into());
        }
        if !(0.0..=100.0).contains(&self.flag_penalty) {
            e.push("[assessment] flag_penalty：应在0到100之间".into());
        }
        for r in self.visit_rules.iter().chain(&self.card_rules) {
            if !rule_ids.contains(&r.as_str()) {
                e.push(format!("[assessment]：没有规则“{r}”"));
            }
        }
        if self.grades.iter().map(|g| g.name.as_str()).ne(GRADES) {
            e.push(format!(
                "[assessment] grades：应依次为{}",
                GRADES.join("、")
            ));
        }
        if self
            .grades
            .windows(2)
            .any(|w| w[0].at_least <= w[1].at_least)
        {
            e.push("[assessment] grades：at_least 应从高到低排列".into());
        }
        e
    }
}

/// What one part of a scorecard was counted from: `good` of `all`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub good: f64,
    pub all: f64,
}

impl Tally {
    pub fn add(&mut self, good: bool) {
        self.all += 1.0;
        if good {
            self.good += 1.0;
        }
    }

    /// A row fulfilled in part: `share` of it (0–1) counts as good.
    pub fn add_share(&mut self, share: f64) {
        self.all += 1.0;
        self.good += share.clamp(0.0, 1.0);
    }

    /// Per cent, or nothing to count.
    pub fn score(self) -> Option<f64> {
        (self.all > 0.0).then(|| self.good / self.all * 100.0)
    }
}

/// What is counted for one cadre.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counted {
    /// Rows of the visit rules: each row's fulfilment (what was done of what is owed, at most
    /// all), so that a row still open in the year counts for what has been done.
    pub visits: Tally,
    pub cards: Tally,
    /// Items of the linked households the resident answered: those answered 已解决.
    pub solved: Tally,
    /// Survey answers and resident-page ratings: satisfied or basically satisfied.
    pub satisfaction: Tally,
    /// Spot checks of the cadre's records decided: confirmed.
    pub spot_checks: Tally,
    /// Integrity flags on the cadre's records.
    pub flags: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub person: i32,
    pub name: String,
    pub unit: String,
    pub unit_name: String,
    pub region: String,
    pub counted: Counted,
    /// The weighted total, 0–100, one decimal.
    pub total: f64,
    pub grade: String,
    /// The parts left out for want of anything to count.
    pub left_out: Vec<String>,
}

pub const PARTS: [&str; 5] = [
    "入户走访",
    "亲情卡发放",
    "问题解决",
    "群众满意度",
    "抽查核实",
];

impl Counted {
    /// The weighted total and the parts left out.
    pub fn total(&self, s: &AssessmentSettings) -> (f64, Vec<String>) {
        let w = s.weights;
        let parts = [
            (self.visits, w.visits),
            (self.cards, w.cards),
            (self.solved, w.solved),
            (self.satisfaction, w.satisfaction),
            (self.spot_checks, w.spot_checks),
        ];
        let (mut sum, mut weight) = (0.0, 0.0);
        let mut left_out = Vec::new();
        for (i, (t, w)) in parts.iter().enumerate() {
            match t.score() {
                Some(x) => {
                    sum += x * w;
                    weight += w;
                }
                None => left_out.push(PARTS[i].to_string()),
            }
        }
        let base = if weight > 0.0 { sum / weight } else { 0.0 };
        let total = (base - self.flags as f64 * s.flag_penalty).clamp(0.0, 100.0);
        ((total * 10.0).round() / 10.0, left_out)
    }
}

pub fn grade(total: f64, s: &AssessmentSettings) -> String {
    s.grades
        .iter()
        .find(|g| total >= g.at_least)
        .map(|g| g.name.clone())
        .unwrap_or_default()
}

/// A summary of scorecards: how many, their mean, and how many in each grade.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub code: String,
    pub name: String,
    pub cadres: usize,
    pub mean: f64,
    pub grades: Vec<(String, usize)>,
}

/// Summaries keyed by what `key` gives each scorecard (a unit, a town).
pub fn summarise(
    cards: &[Scorecard],
    key: impl Fn(&Scorecard) -> (String, String),
    s: &AssessmentSettings,
) -> Vec<Summary> {
    let mut by: BTreeMap<(String, String), Vec<&Scorecard>> = BTreeMap::new();
    for c in cards {
        by.entry(key(c)).or_default().push(c);
    }
    by.into_iter()
        .map(|((code, name), v)| Summary {
            code,
            name,
            cadres: v.len(),
            mean: (v.iter().map(|c| c.total).sum::<f64>() / v.len() as f64 * 10.0).round() / 10.0,
            grades: s
                .grades
                .iter()
                .map(|g| {
                    (
                        g.name.clone(),
                        v.iter().filter(|c| c.grade == g.name).count(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// A work record that may be drawn for a spot check.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkable {
    pub activity: i32,
    pub person: i32,
    pub unit: String,
    pub flagged: bool,
}

/// Draws up to `per_cadre` records of each cadre (each cadre a stratum, the strata ordered by
/// unit), a record flagged by an integrity check `weight` times as likely as another
/// (weighted sampling without replacement: each record's key is u^(1/w), the largest keys
/// drawn). A record two cadres share is drawn at most once.
pub fn draw_checks(
    records: &[Checkable],
    per_cadre: usize,
    weight: f64,
    seed: u64,
) -> Vec<Checkable> {
    let mut rng = Draw::new(seed);
    let mut by: BTreeMap<(&str, i32), Vec<&Checkable>> = BTreeMap::new();
    for r in records {
        by.entry((r.unit.as_str(), r.person)).or_default().push(r);
    }
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (_, mut v) in by {
        v.sort_by_key(|r| r.activity);
        let mut keyed: Vec<(f64, &Checkable)> = v
            .into_iter()
            .map(|r| {
                let w = if r.flagged { weight.max(1.0) } else { 1.0 };
                (rng.unit().powf(1.0 / w), r)
            })
            .collect();
        keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut n = 0;
        for (_, r) in keyed {
            if n == per_cadre {
                break;
            }
            if taken.insert(r.activity) {
                out.push(r.clone());
                n += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scorecard_weighs_its_parts_and_leaves_out_what_has_nothing_to_count() {
        let s = AssessmentSettings::default();
        let t = |good, all| Tally { good, all };
        let c = Counted {
            visits: t(3.0, 4.0),       // 75
            cards: t(2.0, 2.0),        // 100
            solved: t(1.0, 2.0),       // 50
            satisfaction: t(4.0, 5.0), // 80
            spot_checks: t(1.0, 1.0),  // 100
            flags: 2,
        };
        // (75×30 + 100×15 + 50×20 + 80×25 + 100×10) / 100 = 77.5
        assert_eq!(c.total(&s), (77.5, vec![]));
        assert_eq!(grade(77.5, &s), "称职");
        let none = Counted {
            solved: Tally::default(),
            spot_checks: Tally::default(),
            ..c.clone()
        };
        // (75×30 + 100×15 + 80×25) / 70 = 82.14…
        assert_eq!(
            none.total(&s),
            (82.1, vec!["问题解决".into(), "抽查核实".into()])
        );
        let strict = AssessmentSettings {
            flag_penalty: 5.0,
            ..s.clone()
        };
        assert_eq!(c.total(&strict).0, 67.5);
        assert_eq!(grade(59.9, &s), "不称职");
        assert!(s.check(&["LH-2", "LH-3", "LH-4"]).is_empty());
        assert_eq!(s.check(&["LH-3"]).len(), 2);
        let bad = AssessmentSettings {
            weights: Weights {
                visits: 50.0,
                ..s.weights
            },
            ..s
        };
        assert!(bad.check(&["LH-2", "LH-3", "LH-4"])[0].contains("合计应为100"));
    }

    #[test]
    fn spot_checks_draw_per_cadre_and_favour_flagged_records() {
        let records: Vec<Checkable> = (0..200)
            .map(|i| Checkable {
                activity: i,
                person: i % 4,
                unit: format!("U{}", i % 2),
                flagged: i % 10 == 0,
            })
            .collect();
        let a = draw_checks(&records, 5, 8.0, 7);
        assert_eq!(a, draw_checks(&records, 5, 8.0, 7));
        assert_eq!(a.len(), 20);
        for p in 0..4 {
            assert_eq!(a.iter().filter(|r| r.person == p).count(), 5);
        }
        // One in ten records is flagged; with eight times the weight about half the draw is.
        let mut flagged = 0;
        for seed in 0..50 {
            flagged += draw_checks(&records, 5, 8.0, seed)
                .iter()
                .filter(|r| r.flagged)
                .count();
        }
        assert!(flagged > 50 * 20 / 4, "flagged drawn: {flagged} of 1000");
        let plain: usize = (0..50)
            .map(|seed| {
                draw_checks(&records, 5, 1.0, seed)
                    .iter()
                    .filter(|r| r.flagged)
                    .count()
            })
            .sum();
        assert!(plain < 50 * 20 / 5, "unweighted flagged: {plain} of 1000");
    }
}
