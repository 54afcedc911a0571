//! Contact cards: a unit's card carries the fields LXK-1 names; cards reach every linked
//! household or service object within the year (LXK-2, LH-3); a card whose facts changed does
//! not stay in a holder's hands longer than the days allowed (LXK-3).

use super::Judge;
use crate::domain::cards::{Holder, UNIT_FIELDS};
use crate::domain::labels::LinkKind;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows, Subject};
use crate::domain::rules::facts::CardFact;
use crate::domain::rules::report::Status;
use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;

/// The cards of each holder, printed on or before `as_of`.
fn cards_of<'a>(cx: &Context<'a>, holder: Holder) -> HashMap<&'a str, Vec<&'a CardFact>> {
    let mut out: HashMap<&str, Vec<&CardFact>> = HashMap::default();
    for c in &cx.facts.cards {
        if c.holder == holder && c.printed_on <= cx.as_of {
            out.entry(c.code.as_str()).or_default().push(c);
        }
    }
    out
}

#[derive(Clone, Debug, Deserialize)]
pub struct CardFields {
    /// The fields the card must carry, by key (`[cards]` names them).
    pub fields: Vec<String>,
}

impl Judge for CardFields {
    const KEYS: &'static [&'static str] = &["fields"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        let mut e = Vec::new();
        if self.fields.is_empty() {
            e.push("fields 不能为空".into());
        }
        for f in &self.fields {
            if !UNIT_FIELDS.iter().any(|(k, _)| k == f) {
                e.push(format!("fields：没有“{f}”这一项"));
            }
        }
        e
    }

    fn threshold(&self) -> String {
        format!("连心卡载明{}项要素", self.fields.len())
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let cards = cards_of(cx, Holder::Unit);
        let labels = |k: &str| {
            UNIT_FIELDS
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, l)| *l)
                .unwrap_or("")
        };
        for s in cx.subjects(rule) {
            let latest = cards
                .get(s.code)
                .and_then(|v| v.iter().max_by_key(|c| c.version));
            for p in &cx.periods {
                let (actual, detail) = match latest {
                    None => (0, "尚未印制连心卡".to_string()),
                    Some(c) => {
                        let missing: Vec<&str> = self
                            .fields
                            .iter()
                            .filter(|f| !c.printed.contains(f))
                            .map(|f| labels(f))
                            .collect();
                        (
                            self.fields.len() - missing.len(),
                            format!("连心卡缺{}", missing.join("、")),
                        )
                    }
                };
                let found = Found {
                    target: None,
                    actual: actual as f64,
                    required: self.fields.len() as f64,
                    detail,
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct CardsDelivered {
    /// The links whose targets get a card: a cadre's linked households, a unit's service
    /// objects.
    pub target_kinds: Vec<LinkKind>,
    /// One row per target (LH-3) instead of one per subject (LXK-2).
    #[serde(default)]
    pub per_target: bool,
}

impl CardsDelivered {
    /// Whether `target` got a card from subject `s` in the days `from..=to`: a household card
    /// (any version) for a household; the unit's own card for a unit's service object.
    fn delivered(
        s: &Subject,
        target: &str,
        households: &HashMap<&str, Vec<&CardFact>>,
        units: &HashMap<&str, Vec<&CardFact>>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> bool {
        let within = |c: &&CardFact, who: &str| {
            c.delivered
                .iter()
                .any(|(r, d)| r == who && *d >= from && *d <= to)
        };
        if s.person.is_none()
            && let Some(own) = units.get(s.code)
            && own.iter().any(|c| within(c, target))
        {
            return true;
        }
        households
            .get(target)
            .is_some_and(|v| v.iter().any(|c| within(c, target)))
    }
}

impl Judge for CardsDelivered {
    const KEYS: &'static [&'static str] = &["target_kinds", "per_target"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        if self.target_kinds.is_empty() {
            vec!["target_kinds 不能为空".into()]
        } else {
            vec![]
        }
    }

    fn threshold(&self) -> String {
        if self.per_target {
            "每一联系户发放亲情卡".into()
        } else {
            "每一服务对象、联系户都发放连心卡".into()
        }
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let households = cards_of(cx, Holder::Household);
        let units = cards_of(cx, Holder::Unit);
        for s in cx.subjects(rule) {
            let targets = cx.linked_targets(&s, &self.target_kinds);
            if targets.is_empty() {
                continue;
            }
            for p in &cx.periods {
                let to = p.end.min(cx.as_of);
                let missing: Vec<&str> = targets
                    .iter()
                    .copied()
                    .filter(|t| !Self::delivered(&s, t, &households, &units, p.start, to))
                    .collect();
                if self.per_target {
                    for t in &targets {
                        let got = !missing.contains(t);
                        let found = Found {
                            target: Some((*t).to_string()),
                            actual: if got { 1.0 } else { 0.0 },
                            required: 1.0,
                            detail: "亲情卡尚未送达".into(),
                        };
                        rows.against(&s, p, found, None);
                    }
                } else {
                    let shown: Vec<&str> = missing.iter().copied().take(5).collect();
                    let found = Found {
                        target: None,
                        actual: (targets.len() - missing.len()) as f64,
                        required: targets.len() as f64,
                        detail: format!(
                            "{}个对象尚未送达连心卡：{}{}",
                            missing.len(),
                            shown.join("、"),
                            if missing.len() > shown.len() {
                                "等"
                            } else {
                                ""
                            }
                        ),
                    };
                    rows.against(&s, p, found, None);
                }
            }
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct CardsCurrent {
    /// Days a card whose facts changed may stay in the holder's hands.
    pub within_days: u32,
}

impl Judge for CardsCurrent {
    const KEYS: &'static [&'static str] = &["within_days"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        vec![]
    }

    fn threshold(&self) -> String {
        format!("卡面信息变化后{}天内重新发放", self.within_days)
    }

    /// One row per holder that has received a card: the newest version delivered by the day
    /// judged is the one in their hands; stale longer than the days allowed is unmet, stale
    /// within them pending.
    fn judge(&self, _: &Rule, cx: &Context, rows: &mut Rows) {
        let names: HashMap<&str, &str> = cx
            .facts
            .units
            .iter()
            .map(|u| (u.code.as_str(), u.name.as_str()))
            .collect();
        for holder in [Holder::Household, Holder::Unit] {
            let mut cards: Vec<(&str, Vec<&CardFact>)> = cards_of(cx, holder).into_iter().collect();
            cards.sort_unstable_by_key(|(code, _)| *code);
            for (code, versions) in cards {
                let s = Subject {
                    kind: holder.code(),
                    code,
                    name: names.get(code).copied().unwrap_or(code),
                    person: None,
                    path: None,
                };
                for p in &cx.periods {
                    let at = p.end.min(cx.as_of);
                    let in_hands = versions
                        .iter()
                        .filter(|c| c.delivered.iter().any(|(_, d)| *d <= at))
                        .max_by_key(|c| c.version);
                    let Some(c) = in_hands else { continue };
                    let stale_days = c
                        .stale_since
                        .filter(|d| *d <= at)
                        .map(|d| (at - d).num_days());
                    let (status, detail) = match stale_days {
                        None => (Status::Met, String::new()),
                        Some(n) if n <= i64::from(self.within_days) => (
                            Status::Pending,
                            format!("卡面信息已变化{n}天，须在{}天内重新发放", self.within_days),
                        ),
                        Some(n) => (
                            Status::Unmet,
                            format!("卡面信息已变化{n}天，群众手中仍是旧卡（第{}版）", c.version),
                        ),
                    };
                    let found = Found {
                        target: None,
                        actual: stale_days.unwrap_or(0) as f64,
                        required: f64::from(self.within_days),
                        detail,
                    };
                    rows.decided(&s, p, found, status);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::cards::Holder;
    use crate::domain::rules::testing::*;

    fn card(holder: Holder, code: &str, version: i32, printed: &str) -> CardFact {
        CardFact {
            holder,
            code: code.into(),
            version,
            printed_on: d(printed),
            stale_since: None,
            printed: vec![],
            delivered: vec![],
        }
    }

    fn window_unit() -> UnitFact {
        UnitFact {
            code: "U9".into(),
            name: "县政务服务中心".into(),
            kind: Some(UnitKind::CountyDepartment),
            tags: vec![UnitTag::WindowService],
        }
    }

    #[test]
    fn lxk1_a_window_units_card_carries_all_six_fields() {
        let mut f = Facts {
            units: vec![window_unit()],
            ..Default::default()
        };
        // No card printed: unmet at the year's end, with the reason.
        let p = Policy::parse(DEFAULT).unwrap();
        let r = evaluate(&p, &f, 2026, d("2026-12-31"));
        let row = r.results.iter().find(|o| o.rule == "LXK-1").unwrap();
        assert_eq!(
            (row.status, row.detail.as_str()),
            (Status::Unmet, "尚未印制连心卡")
        );
        let mut c = card(Holder::Unit, "U9", 1, "2026-03-01");
        c.printed = [
            "unit_name",
            "service_scope",
            "duties",
            "responsible",
            "phone",
        ]
        .map(String::from)
        .to_vec();
        f.cards.push(c.clone());
        let r = evaluate(&p, &f, 2026, d("2026-12-31"));
        let row = r.results.iter().find(|o| o.rule == "LXK-1").unwrap();
        assert_eq!((row.status, row.actual), (Status::Unmet, 5.0));
        assert_eq!(row.detail, "连心卡缺监督电话");
        // The next version carries the supervision phone: met at exactly six.
        let mut c2 = card(Holder::Unit, "U9", 2, "2026-04-01");
        c2.printed = c.printed.clone();
        c2.printed.push("supervision_phone".into());
        f.cards.push(c2);
        assert_eq!(rows(&f, "LXK-1", "2026-12-31")[0].2, Status::Met);
        // Judged before the second version was printed, the first one counts.
        assert_eq!(rows(&f, "LXK-1", "2026-03-15")[0].2, Status::Pending);
    }

    #[test]
    fn lh3_and_lxk2_count_cards_delivered_to_linked_households_in_the_year() {
        let mut f = Facts {
            people: vec![person(1, &[Role::VillageCadre])],
            links: vec![
                link(1, LinkKind::HouseholdLink, "H1"),
                link(1, LinkKind::HouseholdLink, "H2"),
            ],
            ..Default::default()
        };
        let mut h1 = card(Holder::Household, "H1", 1, "2026-02-01");
        h1.delivered.push(("H1".into(), d("2026-02-03")));
        // H2's card was delivered last year: it does not count for this year.
        let mut h2 = card(Holder::Household, "H2", 1, "2025-02-01");
        h2.delivered.push(("H2".into(), d("2025-12-30")));
        f.cards = vec![h1, h2.clone()];
        assert_eq!(
            rows(&f, "LH-3", "2026-12-31"),
            [
                ("2026".into(), Some("H1".into()), Status::Met, 1.0),
                ("2026".into(), Some("H2".into()), Status::Unmet, 0.0),
            ]
        );
        assert_eq!(rows(&f, "LXK-2", "2026-12-31")[0].2, Status::Unmet);
        assert_eq!(rows(&f, "LXK-2", "2026-12-31")[0].3, 1.0);
        assert_eq!(rows(&f, "LXK-2", "2026-06-30")[0].2, Status::Pending);
        // Delivered on the last day of the year: both met.
        f.cards[1].delivered.push(("H2".into(), d("2026-12-31")));
        assert_eq!(rows(&f, "LH-3", "2026-12-31")[1].2, Status::Met);
        assert_eq!(rows(&f, "LXK-2", "2026-12-31")[0].2, Status::Met);
        // A delivery after the as-of day does not count yet.
        assert_eq!(rows(&f, "LH-3", "2026-12-30")[1].2, Status::Pending);
    }

    #[test]
    fn lxk2_a_units_card_reaches_each_service_object() {
        let mut f = Facts {
            units: vec![window_unit()],
            links: vec![LinkFact {
                contact: None,
                person: None,
                unit: Some("U9".into()),
                ..link(0, LinkKind::ContactServiceObject, "E1")
            }],
            ..Default::default()
        };
        let mut c = card(Holder::Unit, "U9", 1, "2026-02-01");
        f.cards.push(c.clone());
        assert_eq!(rows(&f, "LXK-2", "2026-12-31")[0].2, Status::Unmet);
        c.delivered.push(("E1".into(), d("2026-05-01")));
        f.cards = vec![c];
        assert_eq!(rows(&f, "LXK-2", "2026-12-31")[0].2, Status::Met);
    }

    #[test]
    fn lxk3_a_stale_card_may_stay_out_thirty_days_then_is_unmet_until_the_new_one_arrives() {
        let mut old = card(Holder::Household, "H1", 1, "2026-01-10");
        old.delivered.push(("H1".into(), d("2026-01-12")));
        old.stale_since = Some(d("2026-06-01"));
        let mut f = Facts {
            cards: vec![old],
            ..Default::default()
        };
        // Not stale yet on 2026-05-31; 30 days stale is still within the limit; 31 is not.
        assert_eq!(rows(&f, "LXK-3", "2026-05-31")[0].2, Status::Met);
        assert_eq!(rows(&f, "LXK-3", "2026-07-01")[0].2, Status::Pending);
        assert_eq!(rows(&f, "LXK-3", "2026-07-01")[0].3, 30.0);
        assert_eq!(rows(&f, "LXK-3", "2026-07-02")[0].2, Status::Unmet);
        // Re-issued but not yet delivered: the old card is still in the household's hands.
        let mut new = card(Holder::Household, "H1", 2, "2026-06-20");
        f.cards.push(new.clone());
        assert_eq!(rows(&f, "LXK-3", "2026-07-02")[0].2, Status::Unmet);
        // Delivered: met from that day on.
        new.delivered.push(("H1".into(), d("2026-07-05")));
        f.cards[1] = new;
        assert_eq!(rows(&f, "LXK-3", "2026-07-05")[0].2, Status::Met);
        let p = Policy::parse(DEFAULT).unwrap();
        let r = evaluate(&p, &f, 2026, d("2026-07-04"));
        let row = r.results.iter().find(|o| o.rule == "LXK-3").unwrap();
        assert_eq!(row.subject_kind, "household");
        assert!(row.detail.contains("旧卡"), "{}", row.detail);
    }
}
