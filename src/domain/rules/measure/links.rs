//! Links of these kinds held in each period, between `min` and `max` (LH-3’s households per
//! cadre, a pairing per hardship household).

use super::Judge;
use crate::domain::labels::LinkKind;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Links {
    pub link_kinds: Vec<LinkKind>,
    pub min: u32,
    #[serde(default)]
    pub max: Option<u32>,
    /// Each kind on its own must reach `min` (BF-8: a service post and a hardship pairing);
    /// otherwise the kinds count together.
    #[serde(default)]
    pub each: bool,
    /// A unit's link counts only when it names its contact person (BF-3: 明确联系人).
    #[serde(default)]
    pub named: bool,
}

impl Judge for Links {
    const KEYS: &'static [&'static str] = &["link_kinds", "min", "max", "each", "named"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        if self.link_kinds.is_empty() {
            errors.push("link_kinds 不能为空".into());
        }
        if let Some(max) = self.max.filter(|m| *m < self.min) {
            errors.push(format!("max（{max}）小于 min（{}），自相矛盾", self.min));
        }
        errors
    }

    fn threshold(&self) -> String {
        if self.each {
            let each: Vec<String> = self
                .link_kinds
                .iter()
                .map(|k| format!("{} ≥ {}", k.zh(), self.min))
                .collect();
            return each.join("，且");
        }
        let named = if self.named {
            "（明确联系人）"
        } else {
            ""
        };
        match self.max {
            Some(m) => format!("联系关系 {}–{m}{named}", self.min),
            None => format!("联系关系 ≥ {}{named}", self.min),
        }
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let names = self
            .link_kinds
            .iter()
            .map(|k| k.zh())
            .collect::<Vec<_>>()
            .join("或");
        for s in cx.subjects(rule) {
            let ls = cx.links(&s);
            for p in &cx.periods {
                let held = |kinds: &[LinkKind]| {
                    ls.iter()
                        .filter(|l| kinds.contains(&l.kind) && l.start <= p.end && l.end >= p.start)
                        .count() as f64
                };
                let min = f64::from(self.min);
                if self.each {
                    let counts: Vec<(LinkKind, f64)> = self
                        .link_kinds
                        .iter()
                        .map(|k| (*k, held(std::slice::from_ref(k))))
                        .collect();
                    let short: Vec<String> = counts
                        .iter()
                        .filter(|(_, n)| *n < min)
                        .map(|(k, n)| format!("{}{}个", k.zh(), min - n))
                        .collect();
                    let found = Found {
                        target: None,
                        actual: counts.iter().map(|(_, n)| *n).fold(f64::INFINITY, f64::min),
                        required: min,
                        detail: format!("还需{}", short.join("、")),
                    };
                    rows.against(&s, p, found, None);
                    continue;
                }
                let mut n = held(&self.link_kinds);
                // Without a named contact a unit's pairing is held but not yet counted.
                let unnamed = if self.named {
                    let k = ls
                        .iter()
                        .filter(|l| {
                            self.link_kinds.contains(&l.kind)
                                && l.start <= p.end
                                && l.end >= p.start
                                && l.unit.is_some()
                                && l.contact.is_none()
                        })
                        .count() as f64;
                    n -= k;
                    k
                } else {
                    0.0
                };
                let detail = match self.max {
                    Some(m) if n > f64::from(m) => format!("{names}{}个，超过{}个", n, m),
                    Some(m) => format!("{names}应为{}–{}个，现有{}个", self.min, m, n),
                    None if unnamed > 0.0 => {
                        format!("已结对{unnamed}户，尚未明确联系人")
                    }
                    None => format!("还需{names}{}个", min - n),
                };
                let found = Found {
                    target: None,
                    actual: n,
                    required: min,
                    detail,
                };
                rows.against(&s, p, found, self.max.map(f64::from));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn every_link_rule_is_met_at_its_minimum() {
        for id in ["ZY-4", "BF-3", "CG-7"] {
            let links = |rule: &Rule, _: &Period, f: &mut Facts, delta: i32| {
                let Measure::Links(measure::links::Links {
                    link_kinds, min, ..
                }) = &rule.measure
                else {
                    panic!()
                };
                let unit = !rule.who.unit_kinds.is_empty();
                for i in 0..(*min as i32 + delta) {
                    let mut l = link(1, link_kinds[0], &format!("H{i}"));
                    if unit {
                        (l.person, l.unit, l.contact) = (None, Some("U1".into()), Some(1));
                    }
                    f.links.push(l);
                }
            };
            assert_eq!(judge(id, &links), (Status::Met, Status::Unmet), "{id}");
        }
    }

    #[test]
    fn bf3_counts_a_pairing_only_once_it_names_a_contact_person() {
        let p = Policy::parse(DEFAULT).unwrap();
        let rule = p.rule("BF-3").unwrap();
        let mut f = subject_facts(rule);
        let mut l = link(1, LinkKind::VeteranBenefitPairing, "H1");
        (l.person, l.unit, l.contact) = (None, Some("U1".into()), None);
        f.links.push(l);
        let row = |f: &Facts| {
            evaluate(&p, f, 2026, d("2026-12-31"))
                .results
                .into_iter()
                .find(|o| o.rule == "BF-3")
                .unwrap()
        };
        let r = row(&f);
        assert_eq!((r.status, r.actual), (Status::Unmet, 0.0));
        assert!(r.detail.contains("尚未明确联系人"), "{}", r.detail);
        f.links[0].contact = Some(1);
        assert_eq!(row(&f).status, Status::Met);
    }

    #[test]
    fn bf8_needs_a_service_post_and_a_hardship_pairing_each() {
        let p = Policy::parse(DEFAULT).unwrap();
        let status = |kinds: &[LinkKind]| {
            let mut f = subject_facts(p.rule("BF-8").unwrap());
            for (i, k) in kinds.iter().enumerate() {
                f.links.push(link(1, *k, &format!("H{i}")));
            }
            let r = evaluate(&p, &f, 2026, d("2026-12-31"));
            let o = r.results.iter().find(|o| o.rule == "BF-8").unwrap().clone();
            (o.status, o.detail)
        };
        use LinkKind::{HardshipPairing, ServicePost};
        assert_eq!(status(&[ServicePost, HardshipPairing]).0, Status::Met);
        let (st, why) = status(&[ServicePost, ServicePost]);
        assert_eq!(st, Status::Unmet);
        assert!(why.contains("一助一1个"), "{why}");
        assert_eq!(status(&[HardshipPairing]).0, Status::Unmet);
    }
}
