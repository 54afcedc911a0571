//! Records of these kinds per linked target (links of the rule’s kinds): at least `min`, with
//! `each_half` of them in each half-year (LH-2: each household twice, once in each half); or,
//! with `seasons`, one in each of those times of the year (BF-2, BF-4). With
//! `people_of_target`, a record naming a person of the target (its unit or region) counts for
//! it: a talk with a contact point’s head, recorded under the head’s ID number (TX-3).

use super::{Judge, need_kinds, once};
use crate::domain::calendar::Season;
use crate::domain::labels::ActivityKind;
use crate::domain::policy::{CountedBy, Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows, status};
use crate::domain::rules::facts::ActivityFact;
use crate::domain::rules::period::{in_period, ymd};
use crate::domain::rules::report::Status;
use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct VisitsPerTarget {
    pub activity_kinds: Vec<ActivityKind>,
    #[serde(default = "once")]
    pub min: u32,
    #[serde(default)]
    pub each_half: u32,
    #[serde(default)]
    pub seasons: Vec<Season>,
    #[serde(default)]
    pub people_of_target: bool,
    /// Distinct days at the target as well (LXD-11: four visits and four days).
    #[serde(default)]
    pub min_days: u32,
    /// The targets: links of these kinds, with the subjects bound by `who` whether or not
    /// they hold one; one without is a row of its own (CG-8: every village cadre pairs with a
    /// hardship household). Empty: `who.link_kinds` names both.
    #[serde(default)]
    pub link_kinds: Vec<crate::domain::labels::LinkKind>,
}

impl Judge for VisitsPerTarget {
    const KEYS: &'static [&'static str] = &[
        "activity_kinds",
        "min",
        "each_half",
        "seasons",
        "people_of_target",
        "min_days",
        "link_kinds",
    ];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        let (min, each_half) = (self.min, self.each_half);
        if !self.seasons.is_empty() && each_half > 0 {
            errors.push("seasons 与 each_half 不能同时使用".into());
        }
        errors.extend(need_kinds(&self.activity_kinds));
        if each_half * 2 > min {
            errors.push(format!(
                "each_half（{each_half}）的两倍大于 min（{min}），自相矛盾"
            ));
        }
        if rule.who.link_kinds.is_empty() && self.link_kinds.is_empty() {
            errors.push("who.link_kinds 或 link_kinds 须指明按哪种联系关系计算".into());
        }
        errors
    }

    fn threshold(&self) -> String {
        if self.seasons.is_empty() {
            format!(
                "每个联系对象走访 ≥ {}（每半年 ≥ {}）",
                self.min, self.each_half
            )
        } else {
            let names: Vec<&str> = self.seasons.iter().map(|s| s.zh()).collect();
            format!("每个联系对象在{}各走访 ≥ 1", names.join("、"))
        }
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let min = f64::from(self.min);
        // Where each person named by a record works: their unit and region.
        let place_of: HashMap<&str, [Option<&str>; 2]> = if self.people_of_target {
            cx.facts
                .people
                .iter()
                .map(|p| {
                    (
                        p.code.as_str(),
                        [Some(p.unit.as_str()), p.region.as_deref()],
                    )
                })
                .collect()
        } else {
            HashMap::default()
        };
        let names =
            |x: &str, t: &str| x == t || place_of.get(x).is_some_and(|at| at.contains(&Some(t)));
        for s in cx.subjects(rule) {
            // A person's own records, or a unit's: those of its people (BF-4).
            let recs = cx.records(&s, CountedBy::Participant, &self.activity_kinds);
            let kinds = if self.link_kinds.is_empty() {
                &rule.who.link_kinds
            } else {
                &self.link_kinds
            };
            let targets = cx.linked_targets(&s, kinds);
            if targets.is_empty() && !self.link_kinds.is_empty() {
                let names: Vec<&str> = kinds.iter().map(|k| k.zh()).collect();
                for p in &cx.periods {
                    let found = Found {
                        target: None,
                        actual: 0.0,
                        required: min,
                        detail: format!("还没有{}对象", names.join("或")),
                    };
                    rows.against(&s, p, found, None);
                }
                continue;
            }
            if !self.seasons.is_empty() {
                // One visit in each of the named times of the year; a time that has
                // passed without one is missed for good.
                for p in &cx.periods {
                    for t in &targets {
                        let mut visited = 0;
                        let mut missed = Vec::new();
                        let mut open = Vec::new();
                        for season in &self.seasons {
                            let (from, to) = season.window(cx.year);
                            let hit = recs.iter().any(|a| {
                                a.start <= to
                                    && a.end >= from
                                    && in_period(a, p)
                                    && a.start <= cx.as_of
                                    && a.targets.iter().any(|x| names(x, t))
                            });
                            if hit {
                                visited += 1;
                            } else if to < cx.as_of {
                                missed.push(season.zh());
                            } else {
                                open.push(season.zh());
                            }
                        }
                        // A missed time cannot be made up, but the row stays pending (and
                        // unreachable) until its period ends (FORMATS.md).
                        let ended = p.end <= cx.as_of;
                        let (st, detail) = if !missed.is_empty() {
                            let st = if ended {
                                Status::Unmet
                            } else {
                                Status::Pending
                            };
                            (st, format!("{}未走访", missed.join("、")))
                        } else if !open.is_empty() {
                            (Status::Pending, format!("还需在{}走访", open.join("、")))
                        } else {
                            (Status::Met, String::new())
                        };
                        let found = Found {
                            target: Some(t.to_string()),
                            actual: visited as f64,
                            required: self.seasons.len() as f64,
                            detail,
                        };
                        if let Some(row) = rows.decided(&s, p, found, st)
                            && st == Status::Pending
                            && !missed.is_empty()
                        {
                            row.reachable = Some(false);
                        }
                    }
                }
                continue;
            }
            for p in &cx.periods {
                let h2 = ymd(cx.year, 7, 1);
                for t in &targets {
                    let mine: Vec<&&ActivityFact> = recs
                        .iter()
                        .filter(|a| in_period(a, p) && a.targets.iter().any(|x| names(x, t)))
                        .collect();
                    let n = mine.len() as f64;
                    let first = mine.iter().filter(|a| a.start < h2).count() as u32;
                    let second = mine.iter().filter(|a| a.start >= h2).count() as u32;
                    // Met only once both halves have their visits.
                    let halves_ok = self.each_half == 0
                        || (first >= self.each_half && second >= self.each_half);
                    let h1_missed = self.each_half > 0 && first < self.each_half && cx.as_of >= h2;
                    let mut st_actual = n;
                    if !halves_ok && n >= min {
                        // Enough visits, but not spread over both halves.
                        st_actual = min - 1.0;
                    }
                    // The facts are already cut at the as-of day.
                    let days = if self.min_days > 0 {
                        let recs: Vec<&ActivityFact> = mine.iter().map(|a| **a).collect();
                        crate::domain::rules::period::days(&recs, p).len() as u32
                    } else {
                        0
                    };
                    let days_short = days < self.min_days;
                    if days_short && st_actual >= min {
                        // Enough visits, but not enough days there.
                        st_actual = min - 1.0;
                    }
                    let detail = if days_short && n >= min {
                        format!("到联系点{days}天，还需{}天", self.min_days - days)
                    } else if h1_missed {
                        "上半年未走访".to_string()
                    } else if second < self.each_half && cx.as_of >= h2 {
                        format!("下半年还需走访{}次", self.each_half - second)
                    } else if self
                        .activity_kinds
                        .iter()
                        .all(|k| *k == ActivityKind::HeartTalk)
                    {
                        format!("还需谈心谈话{}次", min - n)
                    } else {
                        format!("还需走访{}次", min - n)
                    };
                    let st = if h1_missed {
                        Status::Unmet
                    } else {
                        status(st_actual, min, None, p, cx.as_of)
                    };
                    let found = Found {
                        target: Some(t.to_string()),
                        actual: n,
                        required: min,
                        detail,
                    };
                    rows.decided(&s, p, found, st);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn visits_per_household_need_one_in_each_half() {
        // LH-2: two visits a year to each linked household, at least one in each half.
        let mut f = Facts {
            people: vec![person(1, &[Role::VillageCadre])],
            ..Default::default()
        };
        f.links.push(link(1, LinkKind::HouseholdLink, "H1"));
        f.links.push(link(1, LinkKind::HouseholdLink, "H2"));
        f.activities.push(act(
            ActivityKind::HouseholdVisit,
            "2026-03-01",
            "2026-03-01",
            &[1],
            &["H1"],
        ));
        f.activities.push(act(
            ActivityKind::HouseholdVisit,
            "2026-04-01",
            "2026-04-01",
            &[1],
            &["H1"],
        ));
        f.activities.push(act(
            ActivityKind::HouseholdVisit,
            "2026-08-01",
            "2026-08-01",
            &[1],
            &["H2"],
        ));
        f.activities.push(act(
            ActivityKind::PhoneContact,
            "2026-09-01",
            "2026-09-01",
            &[1],
            &["H2"],
        ));
        let r = rows(&f, "LH-2", "2026-12-31");
        let h1 = r.iter().find(|x| x.1.as_deref() == Some("H1")).unwrap();
        let h2 = r.iter().find(|x| x.1.as_deref() == Some("H2")).unwrap();
        assert_eq!(
            (h1.2, h1.3),
            (Status::Unmet, 2.0),
            "two visits, both in the first half"
        );
        assert_eq!(
            (h2.2, h2.3),
            (Status::Unmet, 1.0),
            "no first-half visit; a phone call is not a visit"
        );
        // Mid-year, H1 is on track and pending.
        let r = rows(&f, "LH-2", "2026-06-30");
        assert_eq!(
            r.iter().find(|x| x.1.as_deref() == Some("H1")).unwrap().2,
            Status::Pending
        );
    }

    #[test]
    fn festival_and_season_visits_fall_in_their_windows() {
        // BF-2: the paired household visited from New Year's Day to the Lantern Festival
        // (3 March 2026); the day after is too late.
        let f = |day: &str| Facts {
            people: vec![person(1, &[Role::SectionLevelCadre])],
            links: vec![link(1, LinkKind::HardshipPairing, "H1")],
            activities: vec![act(ActivityKind::CondolenceVisit, day, day, &[1], &["H1"])],
            ..Default::default()
        };
        assert_eq!(
            status_of(&f("2026-03-03"), "BF-2", "2026", "2026-12-31").0,
            Status::Met
        );
        assert_eq!(
            status_of(&f("2026-03-04"), "BF-2", "2026", "2026-12-31").0,
            Status::Unmet
        );
        // In February, with no visit yet, it is still owed.
        assert_eq!(
            status_of(&f("2026-03-04"), "BF-2", "2026", "2026-02-10").0,
            Status::Pending
        );
        // In June the window has passed: pending until the year ends, and no longer reachable;
        // in February it still is.
        let reach = |as_of: &str| {
            let p = Policy::parse(DEFAULT).unwrap();
            let r = evaluate(&p, &f("2026-03-04"), 2026, d(as_of));
            let o = r.results.iter().find(|o| o.rule == "BF-2").unwrap();
            (o.status, o.reachable)
        };
        assert_eq!(reach("2026-06-30"), (Status::Pending, Some(false)));
        assert_eq!(reach("2026-02-10"), (Status::Pending, None));
        assert_eq!(reach("2026-12-31"), (Status::Unmet, None));
        // BF-4: a county department's veteran-benefit household, visited by the department's
        // people at each of the four times; the 1 August visit is the last day of its window.
        let unit = |days: &[&str]| Facts {
            people: vec![person(1, &[Role::DepartmentLeadershipMember])],
            units: vec![UnitFact {
                code: "U1".into(),
                name: "一局".into(),
                kind: Some(UnitKind::CountyDepartment),
                tags: vec![],
            }],
            links: vec![LinkFact {
                contact: None,
                person: None,
                unit: Some("U1".into()),
                ..link(0, LinkKind::VeteranBenefitPairing, "H7")
            }],
            activities: days
                .iter()
                .map(|day| act(ActivityKind::HouseholdVisit, day, day, &[1], &["H7"]))
                .collect(),
            ..Default::default()
        };
        let all = unit(&["2026-02-10", "2026-04-30", "2026-08-01", "2026-09-01"]);
        assert_eq!(
            status_of(&all, "BF-4", "2026", "2026-12-31"),
            (Status::Met, 4.0)
        );
        let late = unit(&["2026-02-10", "2026-04-30", "2026-08-02", "2026-09-01"]);
        assert_eq!(
            status_of(&late, "BF-4", "2026", "2026-12-31"),
            (Status::Unmet, 3.0)
        );
        let p = Policy::parse(DEFAULT).unwrap();
        let r = evaluate(&p, &late, 2026, d("2026-12-31"));
        let row = r.results.iter().find(|o| o.rule == "BF-4").unwrap();
        assert_eq!(row.detail, "八一未走访");
        // In June the summer and autumn visits are still to come.
        let spring = unit(&["2026-02-10", "2026-04-30"]);
        assert_eq!(
            status_of(&spring, "BF-4", "2026", "2026-06-30"),
            (Status::Pending, 2.0)
        );
    }

    #[test]
    fn a_leader_talks_with_the_head_of_each_contact_point() {
        // TX-3: 李 holds a contact village V1 and a poor household H1. A talk with the village
        // secretary (whose region is V1) counts for V1; one with the household counts for H1;
        // a talk with someone of another village counts for neither.
        let mut secretary = person(2, &[Role::VillageSecretary]);
        secretary.region = Some("V1".into());
        let mut elsewhere = person(3, &[Role::VillageSecretary]);
        elsewhere.region = Some("V9".into());
        let f = |talks: Vec<ActivityFact>| Facts {
            people: vec![
                person(1, &[Role::TownLeadershipMember]),
                secretary.clone(),
                elsewhere.clone(),
            ],
            links: vec![
                link(1, LinkKind::ContactVillage, "V1"),
                link(1, LinkKind::ContactPoorHousehold, "H1"),
            ],
            activities: talks,
            ..Default::default()
        };
        let talk = |day: &str, with: &str| act(ActivityKind::HeartTalk, day, day, &[1], &[with]);
        let both = f(vec![talk("2026-12-31", "P2"), talk("2026-05-01", "H1")]);
        let r = rows(&both, "TX-3", "2026-12-31");
        assert_eq!(
            r.iter().map(|r| (r.1.clone(), r.2)).collect::<Vec<_>>(),
            [
                (Some("H1".into()), Status::Met),
                (Some("V1".into()), Status::Met)
            ]
        );
        let wrong = f(vec![talk("2026-06-01", "P3"), talk("2026-05-01", "H1")]);
        let r = rows(&wrong, "TX-3", "2026-12-31");
        assert_eq!(r[1].1.as_deref(), Some("V1"));
        assert_eq!((r[1].2, r[1].3), (Status::Unmet, 0.0));
        let p = Policy::parse(DEFAULT).unwrap();
        let report = evaluate(&p, &wrong, 2026, d("2026-12-31"));
        let v1 = report
            .results
            .iter()
            .find(|o| o.rule == "TX-3" && o.target_code.as_deref() == Some("V1"))
            .unwrap();
        assert_eq!(v1.detail, "还需谈心谈话1次");
        // A visit is not a talk.
        let visit = f(vec![act(
            ActivityKind::HouseholdVisit,
            "2026-05-01",
            "2026-05-01",
            &[1],
            &["H1"],
        )]);
        assert_eq!(rows(&visit, "TX-3", "2026-12-31")[0].2, Status::Unmet);
    }

    #[test]
    fn every_visits_per_target_rule_counts_visits_to_each_linked_target() {
        // LXD-11 (a department leader at the contact point) and CG-8 (a village cadre at the
        // paired hardship household), the last visit on the period's last day.
        for id in ["LXD-11", "CG-8"] {
            let visits = |rule: &Rule, p: &Period, f: &mut Facts, delta: i32| {
                let Measure::VisitsPerTarget(measure::visits_per_target::VisitsPerTarget {
                    activity_kinds,
                    min,
                    each_half,
                    ..
                }) = &rule.measure
                else {
                    panic!()
                };
                let n = *min as i32 + delta;
                for i in 0..n {
                    // Spread over both halves when the rule wants each half.
                    let day = if i == n - 1 {
                        p.end
                    } else if *each_half > 0 && i % 2 == 1 {
                        p.start + Duration::days(200 + i as i64)
                    } else {
                        p.start + Duration::days(i as i64)
                    };
                    f.activities.push(record(activity_kinds[0], day, 1, "T0"));
                }
            };
            assert_eq!(judge(id, &visits), (Status::Met, Status::Unmet), "{id}");
        }
    }
}

#[cfg(test)]
mod days_there {
    use crate::domain::rules::testing::*;

    #[test]
    fn four_visits_need_four_days_there_as_well() {
        // LXD-11: four visits to the contact unit T0 on four days is met; four visits on three
        // days (two the same day) is one day short.
        let p = Policy::parse(DEFAULT).unwrap();
        let rule = p.rule("LXD-11").unwrap().clone();
        let with = |days: &[&str]| {
            let mut f = subject_facts(&rule);
            for day in days {
                f.activities
                    .push(record(ActivityKind::FieldVisit, d(day), 1, "T0"));
            }
            let r = evaluate(&p, &f, 2026, d("2026-12-31"));
            let o = r
                .results
                .iter()
                .find(|o| o.rule == "LXD-11")
                .unwrap()
                .clone();
            (o.status, o.detail)
        };
        assert_eq!(
            with(&["2026-03-02", "2026-05-06", "2026-08-11", "2026-11-03"]).0,
            Status::Met
        );
        let (st, detail) = with(&["2026-03-02", "2026-03-02", "2026-08-11", "2026-11-03"]);
        assert_eq!(st, Status::Unmet);
        assert_eq!(detail, "到联系点3天，还需1天");
    }

    #[test]
    fn a_village_cadre_without_a_paired_household_has_a_row_saying_so() {
        // CG-8 binds every village cadre; one without a 一助一 pairing is behind every month.
        let f = Facts {
            people: vec![person(1, &[Role::VillageCadre])],
            ..Default::default()
        };
        let r = rows(&f, "CG-8", "2026-12-31");
        assert_eq!(r.len(), 12);
        assert!(r.iter().all(|r| r.1.is_none() && r.2 == Status::Unmet));
        let p = Policy::parse(DEFAULT).unwrap();
        let o = evaluate(&p, &f, 2026, d("2026-12-31"))
            .results
            .into_iter()
            .find(|o| o.rule == "CG-8")
            .unwrap();
        assert_eq!(o.detail, "还没有一助一对象");
    }
}
