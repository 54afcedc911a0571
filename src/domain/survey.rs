//! The annual satisfaction survey 民意调查 (PJ-1, PJ-2): who is asked about whom, drawn from a
//! recorded seed, and what the answers say with their margin of error.
//!
//! A survey asks sampled households about *subjects*: the leadership teams (the county's and
//! each town's), the law-enforcement and window units, each leader's contact point, and each
//! household-linking cadre. The sample is drawn per subject, smallest first, spread over the
//! villages where the subject's households live; a household drawn once answers for every
//! subject it was drawn for, and is never drawn twice.

use crate::domain::cards::Rating;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What a survey asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A leadership team 领导班子: the county's or a town's (a region code).
    Team,
    /// A law-enforcement or window unit (a unit code).
    Unit,
    /// A leader's contact point 联系点 (the leader's person id and the place).
    ContactPoint,
    /// A household-linking cadre 联户干部 (a person id).
    Cadre,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 4] = [
        SubjectKind::Team,
        SubjectKind::Unit,
        SubjectKind::ContactPoint,
        SubjectKind::Cadre,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SubjectKind::Team => "team",
            SubjectKind::Unit => "unit",
            SubjectKind::ContactPoint => "contact_point",
            SubjectKind::Cadre => "cadre",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            SubjectKind::Team => "领导班子",
            SubjectKind::Unit => "执法管理和窗口服务单位",
            SubjectKind::ContactPoint => "领导干部联系点",
            SubjectKind::Cadre => "联户干部",
        }
    }

    pub fn parse(s: &str) -> Option<SubjectKind> {
        SubjectKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// `[survey]` of the policy: the county's template and its cut-offs.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SurveySettings {
    /// Households drawn for each subject (fewer where fewer are eligible).
    pub min_per_subject: u32,
    /// A subject with fewer answers than this is marked 样本不足 in the results.
    pub min_answers: u32,
    /// What the caller reads out before the questions.
    pub script: String,
    /// The question about each kind of subject; `{name}` is the subject's name.
    pub questions: BTreeMap<SubjectKind, String>,
    /// The circulation's categories: the first whose `at_least` (per cent satisfied or
    /// basically satisfied) the result reaches.
    pub grades: Vec<Grade>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub name: String,
    pub at_least: f64,
}

impl Default for SurveySettings {
    fn default() -> Self {
        let q = |k: SubjectKind, s: &str| (k, s.to_string());
        SurveySettings {
            min_per_subject: 10,
            min_answers: 5,
            script: "您好，这里是县民意调查，想耽误您几分钟，请您对以下单位和干部的服务作个评价。"
                .into(),
            questions: [
                q(SubjectKind::Team, "您对{name}的工作满意吗？"),
                q(SubjectKind::Unit, "您对{name}的服务满意吗？"),
                q(
                    SubjectKind::ContactPoint,
                    "您对{name}联系本村的工作满意吗？",
                ),
                q(SubjectKind::Cadre, "您对联系您家的干部{name}满意吗？"),
            ]
            .into_iter()
            .collect(),
            grades: vec![
                Grade {
                    name: "好".into(),
                    at_least: 90.0,
                },
                Grade {
                    name: "较好".into(),
                    at_least: 80.0,
                },
                Grade {
                    name: "一般".into(),
                    at_least: 60.0,
                },
                Grade {
                    name: "差".into(),
                    at_least: 0.0,
                },
            ],
        }
    }
}

impl SurveySettings {
    pub fn check(&self) -> Vec<String> {
        let mut e = Vec::new();
        if !(1..=1000).contains(&self.min_per_subject) {
            e.push("[survey] min_per_subject：应在1到1000之间".into());
        }
        if self.min_answers == 0 || self.min_answers > self.min_per_subject {
            e.push("[survey] min_answers：至少1，且不多于 min_per_subject".into());
        }
        for k in SubjectKind::ALL {
            if self.questions.get(&k).is_none_or(|q| q.trim().is_empty()) {
                e.push(format!(
                    "[survey.questions] 缺少“{}”的问题（{}）",
                    k.zh(),
                    k.code()
                ));
            }
        }
        if self.grades.is_empty() {
            e.push("[survey] grades 不能为空".into());
        }
        if self
            .grades
            .windows(2)
            .any(|w| w[0].at_least <= w[1].at_least)
            || self
                .grades
                .iter()
                .any(|g| !(0.0..=100.0).contains(&g.at_least))
        {
            e.push("[survey] grades：at_least 应在0到100之间，从高到低排列".into());
        }
        e
    }

    pub fn question(&self, kind: SubjectKind, name: &str) -> String {
        self.questions
            .get(&kind)
            .map(|q| q.replace("{name}", name))
            .unwrap_or_default()
    }

    /// The category a rate (per cent) falls in.
    pub fn grade(&self, rate: f64) -> &str {
        self.grades
            .iter()
            .find(|g| rate >= g.at_least)
            .map(|g| g.name.as_str())
            .unwrap_or("")
    }
}

/// One household that may be drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Household {
    pub code: String,
    pub village: String,
}

/// A subject and the households that may answer about it (indexes into the households).
#[derive(Clone, Debug)]
pub struct Eligible {
    pub eligible: Vec<usize>,
}

/// A drawn household and the subjects (indexes) it answers about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawn {
    pub household: usize,
    pub subjects: Vec<usize>,
}

/// A reproducible source of numbers from the survey's recorded seed: ChaCha8, whose output is
/// fixed for a seed across versions.
pub struct Draw(ChaCha8Rng);

impl Draw {
    pub fn new(seed: u64) -> Draw {
        Draw(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.0.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// A number in (0, 1].
    pub fn unit(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Up to `n` of `pool`, spread over their strata (see `round_robin`), each stratum's order
/// drawn.
pub fn spread<T: Copy, S: Ord + Clone>(
    rng: &mut Draw,
    pool: &[T],
    stratum: impl Fn(T) -> S,
    n: usize,
) -> Vec<T> {
    let mut by: BTreeMap<S, Vec<T>> = BTreeMap::new();
    for &x in pool {
        by.entry(stratum(x)).or_default().push(x);
    }
    let mut strata: Vec<Vec<T>> = by.into_values().collect();
    for s in &mut strata {
        rng.shuffle(s);
    }
    round_robin(rng, strata, n)
}

/// Up to `n` from the strata, in a drawn order of strata, the next of each in turn, so that
/// the counts per stratum differ by at most one unless a stratum runs out.
pub fn round_robin<T: Copy>(rng: &mut Draw, mut strata: Vec<Vec<T>>, n: usize) -> Vec<T> {
    rng.shuffle(&mut strata);
    let mut out = Vec::new();
    let mut round = 0;
    while out.len() < n {
        let mut any = false;
        for s in &strata {
            if let Some(&x) = s.get(round) {
                any = true;
                out.push(x);
                if out.len() == n {
                    break;
                }
            }
        }
        if !any {
            break;
        }
        round += 1;
    }
    out
}

/// Draws the sample: for each subject, smallest eligible set first, up to `min` households;
/// households already drawn that may answer about it are asked first (no one twice), then new
/// ones, both spread over villages. The same seed and the same registry give the same sample.
pub fn draw(households: &[Household], subjects: &[Eligible], min: usize, seed: u64) -> Vec<Drawn> {
    let mut rng = Draw::new(seed);
    let mut order: Vec<usize> = (0..subjects.len()).collect();
    order.sort_by_key(|&s| (subjects[s].eligible.len(), s));
    let mut drawn: Vec<Drawn> = Vec::new();
    let mut at: HashMap<usize, usize> = HashMap::new();
    for s in order {
        let eligible: Vec<usize> = {
            let mut seen = HashSet::new();
            subjects[s]
                .eligible
                .iter()
                .copied()
                .filter(|h| *h < households.len() && seen.insert(*h))
                .collect()
        };
        // Per village: the households already drawn first, then the others, each in a drawn
        // order.
        let mut by: BTreeMap<&str, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for h in eligible {
            let e = by.entry(households[h].village.as_str()).or_default();
            if at.contains_key(&h) {
                e.0.push(h)
            } else {
                e.1.push(h)
            }
        }
        let strata: Vec<Vec<usize>> = by
            .into_values()
            .map(|(mut old, mut new)| {
                rng.shuffle(&mut old);
                rng.shuffle(&mut new);
                old.extend(new);
                old
            })
            .collect();
        for h in round_robin(&mut rng, strata, min) {
            match at.get(&h) {
                Some(&i) => drawn[i].subjects.push(s),
                None => {
                    at.insert(h, drawn.len());
                    drawn.push(Drawn {
                        household: h,
                        subjects: vec![s],
                    });
                }
            }
        }
    }
    for d in &mut drawn {
        d.subjects.sort_unstable();
    }
    drawn
}

/// What the answers about one subject say.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    pub answers: u32,
    pub satisfied: u32,
    pub basically: u32,
    pub dissatisfied: u32,
    /// Satisfied or basically satisfied, per cent of the answers.
    pub rate: f64,
    /// Half the width of the 95% interval, in percentage points.
    pub margin: f64,
    /// Fewer answers than the policy's minimum: no category given.
    pub too_small: bool,
    pub grade: String,
}

impl Outcome {
    /// Counts the answers; `population` is how many households could have answered (the
    /// finite-population correction).
    pub fn of(answers: &[Rating], population: usize, settings: &SurveySettings) -> Outcome {
        let count = |r| answers.iter().filter(|a| **a == r).count() as u32;
        let (s, b, d) = (
            count(Rating::Satisfied),
            count(Rating::Basically),
            count(Rating::Dissatisfied),
        );
        let n = answers.len();
        let p = if n == 0 {
            0.0
        } else {
            (s + b) as f64 / n as f64
        };
        let too_small = (n as u32) < settings.min_answers;
        Outcome {
            answers: n as u32,
            satisfied: s,
            basically: b,
            dissatisfied: d,
            rate: round1(p * 100.0),
            margin: round1(margin(p, n, population) * 100.0),
            too_small,
            grade: if too_small {
                "样本不足".into()
            } else {
                settings.grade(round1(p * 100.0)).to_string()
            },
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The 95% margin of error of a proportion `p` from `n` answers out of `population`
/// households, with the finite-population correction. A proportion of 0 or 1 is taken at
/// the most cautious 0.5, so that a small unanimous sample does not claim certainty.
pub fn margin(p: f64, n: usize, population: usize) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let p = if n < 30 && (p == 0.0 || p == 1.0) {
        0.5
    } else {
        p
    };
    let fpc = if population > 1 && population >= n {
        ((population - n) as f64 / (population - 1) as f64).sqrt()
    } else {
        1.0
    };
    1.96 * (p * (1.0 - p) / n as f64).sqrt() * fpc
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn households(villages: &[usize]) -> Vec<Household> {
        villages
            .iter()
            .enumerate()
            .map(|(i, v)| Household {
                code: format!("H{i}"),
                village: format!("V{v}"),
            })
            .collect()
    }

    fn registry() -> impl Strategy<Value = (Vec<Household>, Vec<Eligible>, usize, u64)> {
        (1usize..60, 1usize..6).prop_flat_map(|(n, v)| {
            (
                proptest::collection::vec(0..v, n),
                proptest::collection::vec(proptest::collection::vec(0..n, 0..40), 1..8),
                1usize..12,
                any::<u64>(),
            )
                .prop_map(|(villages, subjects, min, seed)| {
                    (
                        households(&villages),
                        subjects
                            .into_iter()
                            .map(|eligible| Eligible { eligible })
                            .collect(),
                        min,
                        seed,
                    )
                })
        })
    }

    proptest! {
        #[test]
        fn the_sample_keeps_its_promises((hs, subjects, min, seed) in registry()) {
            let sample = draw(&hs, &subjects, min, seed);
            // The same seed gives the same sample.
            prop_assert_eq!(&sample, &draw(&hs, &subjects, min, seed));
            // No household twice.
            let mut seen = HashSet::new();
            for d in &sample {
                prop_assert!(seen.insert(d.household));
            }
            for (s, subject) in subjects.iter().enumerate() {
                let eligible: HashSet<usize> = subject.eligible.iter().copied().collect();
                let asked: Vec<usize> = sample
                    .iter()
                    .filter(|d| d.subjects.contains(&s))
                    .map(|d| d.household)
                    .collect();
                // Only households that may answer about the subject are asked about it…
                prop_assert!(asked.iter().all(|h| eligible.contains(h)));
                // …and as many as the minimum asks, where there are enough.
                prop_assert_eq!(asked.len(), min.min(eligible.len()));
                // Spread over villages: where every village could give more, their counts
                // differ by at most one.
                let mut per: HashMap<&str, (usize, usize)> = HashMap::new();
                for h in &eligible {
                    per.entry(&hs[*h].village).or_default().1 += 1;
                }
                for h in &asked {
                    per.entry(&hs[*h].village).or_default().0 += 1;
                }
                let open: Vec<usize> = per.values().filter(|(a, e)| a < e).map(|(a, _)| *a).collect();
                if let Some(least) = open.iter().min() {
                    prop_assert!(per.values().all(|(a, _)| *a <= least + 1),
                        "strata uneven: {:?}", per);
                }
            }
        }
    }

    #[test]
    fn another_seed_draws_another_sample() {
        let hs = households(&(0..200).map(|i| i % 7).collect::<Vec<_>>());
        let all = Eligible {
            eligible: (0..200).collect(),
        };
        let a = draw(&hs, std::slice::from_ref(&all), 20, 1);
        let b = draw(&hs, std::slice::from_ref(&all), 20, 2);
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }

    #[test]
    fn outcomes_give_rate_margin_and_category() {
        let s = SurveySettings::default();
        let mut answers = vec![Rating::Satisfied; 36];
        answers.extend([Rating::Basically; 4]);
        answers.extend([Rating::Dissatisfied; 10]);
        let o = Outcome::of(&answers, 1_000_000, &s);
        assert_eq!((o.answers, o.rate), (50, 80.0));
        // 1.96 × √(0.8 × 0.2 / 50) = 11.09 points.
        assert_eq!(o.margin, 11.1);
        assert_eq!(o.grade, "较好");
        let small = Outcome::of(&[Rating::Satisfied; 4], 100, &s);
        assert!(small.too_small);
        assert_eq!(small.grade, "样本不足");
        // The whole population asked: no sampling error.
        assert_eq!(Outcome::of(&answers, 50, &s).margin, 0.0);
        assert!(s.check().is_empty(), "{:?}", s.check());
    }
}
