//! Records of these kinds on the named dates of each period: every one of them, or `min` of
//! them (the days of a declared sensitive period, the festivals, a month’s reception days).

use super::{Judge, kinds_zh, need_kinds};
use crate::domain::calendar::DateSet;
use crate::domain::labels::ActivityKind;
use crate::domain::policy::{CountedBy, Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::facts::SlotFact;
use crate::domain::rules::period::{Period, days, period_zh};
use chrono::NaiveDate;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct OnDates {
    pub activity_kinds: Vec<ActivityKind>,
    pub dates: DateSet,
    #[serde(default)]
    pub min: Option<u32>,
    #[serde(default)]
    pub by: CountedBy,
}

impl Judge for OnDates {
    const KEYS: &'static [&'static str] = &["activity_kinds", "dates", "min", "by"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        need_kinds(&self.activity_kinds)
    }

    fn threshold(&self) -> String {
        format!("{}有记录", self.dates.zh())
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let kinds = &self.activity_kinds;
        let dates = self.dates;
        // The rule's rota (issue 17): a planned day counts only when everyone planned on it
        // kept it with a record of these kinds that day — by rotation, not by anyone.
        let slots: Vec<&SlotFact> = cx
            .facts
            .slots
            .iter()
            .filter(|x| x.rule == rule.id)
            .collect();
        let kept: HashSet<(i32, NaiveDate)> = if slots.is_empty() {
            HashSet::default()
        } else {
            let planned: HashSet<i32> = slots.iter().map(|x| x.person).collect();
            let mut out = HashSet::default();
            for a in cx
                .facts
                .activities
                .iter()
                .filter(|a| kinds.contains(&a.kind))
            {
                for p in a.participants.iter().filter(|p| planned.contains(p)) {
                    let mut d = a.start;
                    while d <= a.end {
                        out.insert((*p, d));
                        d += chrono::Duration::days(1);
                    }
                }
            }
            out
        };
        for s in cx.subjects(rule) {
            let recs = cx.records(&s, self.by, kinds);
            let mut rota: HashMap<NaiveDate, Vec<i32>> = HashMap::default();
            for x in slots
                .iter()
                .filter(|x| x.scope == s.code || (s.person == Some(x.person)))
            {
                rota.entry(x.day).or_default().push(x.person);
            }
            for p in &cx.periods {
                let mut wanted = cx.facts.calendar.dates_at(dates, p.start, p.end, s.path);
                // Under a rota, a Thursday the official calendar makes a holiday has no
                // reception to keep.
                if !rota.is_empty() && dates.on_working_days() {
                    wanted.retain(|d| cx.facts.calendar.is_working_day(*d));
                }
                // A month without a declared period: the rule does not apply in it.
                if wanted.is_empty() {
                    continue;
                }
                let mut done = days(&recs, p);
                for (day, who) in &rota {
                    if *day >= p.start && *day <= p.end {
                        if who.iter().all(|x| kept.contains(&(*x, *day))) {
                            done.insert(*day);
                        } else {
                            done.remove(day);
                        }
                    }
                }
                let hit = wanted.iter().filter(|d| done.contains(d)).count() as f64;
                let required = self.min.map(f64::from).unwrap_or(wanted.len() as f64);
                let missed: Vec<String> = wanted
                    .iter()
                    .filter(|d| **d <= cx.as_of && !done.contains(d))
                    .take(5)
                    .map(|d| d.format("%-m月%-d日").to_string())
                    .collect();
                let (when, what, kinds) = (period_zh(p), dates.zh(), kinds_zh(kinds));
                let detail = if let Some(m) = self.min {
                    format!("{when}{what}须有{kinds}{m}天，已有{hit}天")
                } else if missed.is_empty() {
                    format!("{when}{what}须有{kinds}")
                } else {
                    format!("{when}{what}须有{kinds}，缺：{}", missed.join("、"))
                };
                // Once the last of its dates has passed, the period cannot be met later
                // (BF-5's season ends in February or March).
                let over = wanted.last().is_some_and(|last| *last < cx.as_of);
                let judged_on = Period {
                    end: if over { cx.as_of } else { p.end },
                    ..p.clone()
                };
                let found = Found {
                    target: None,
                    actual: hit,
                    required,
                    detail,
                };
                rows.against(&s, &judged_on, found, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn a_town_visits_the_needy_at_the_spring_festival() {
        // BF-5: one 走访慰问 by the town's people in the season; once it has passed without
        // one, the year is unmet at once, not at its end.
        let f = |day: &str| Facts {
            people: vec![person(1, &[Role::TownLeadershipMember])],
            units: vec![UnitFact {
                code: "U1".into(),
                name: "一镇".into(),
                kind: Some(UnitKind::TownGovernment),
                tags: vec![],
            }],
            activities: vec![act(ActivityKind::CondolenceVisit, day, day, &[1], &["H1"])],
            ..Default::default()
        };
        let by_unit = |facts: &Facts, as_of: &str| {
            let p = Policy::parse(DEFAULT).unwrap();
            evaluate(&p, facts, 2026, d(as_of))
                .results
                .into_iter()
                .find(|o| o.rule == "BF-5" && o.subject_code == "U1")
                .map(|o| o.status)
                .unwrap()
        };
        assert_eq!(by_unit(&f("2026-03-03"), "2026-12-31"), Status::Met);
        assert_eq!(by_unit(&f("2026-03-04"), "2026-03-03"), Status::Pending);
        assert_eq!(by_unit(&f("2026-03-04"), "2026-03-04"), Status::Unmet);
    }

    #[test]
    fn named_dates_follow_the_calendar() {
        // LXD-9: a street leader in a community on the 10th, 20th and 30th; February's “30th”
        // is the 28th.
        let mut f = Facts {
            people: vec![person(1, &[Role::StreetLeadershipMember])],
            ..Default::default()
        };
        for day in ["2026-02-10", "2026-02-20"] {
            f.activities
                .push(act(ActivityKind::FieldVisit, day, day, &[1], &["C1"]));
        }
        assert_eq!(
            status_of(&f, "LXD-9", "2026-02", "2026-11-20"),
            (Status::Unmet, 2.0)
        );
        f.activities.push(act(
            ActivityKind::FieldVisit,
            "2026-02-28",
            "2026-02-28",
            &[1],
            &["C1"],
        ));
        assert_eq!(
            status_of(&f, "LXD-9", "2026-02", "2026-11-20"),
            (Status::Met, 3.0)
        );

        // XF-5: a heavy-petition department receives on every working day, make-up Saturday
        // 10 October 2026 included and the National Day holidays excluded.
        let mut f = Facts {
            people: vec![person(1, &[Role::DepartmentLeadershipMember])],
            units: vec![UnitFact {
                code: "U1".into(),
                name: "信访局".into(),
                kind: Some(UnitKind::CountyDepartment),
                tags: vec![UnitTag::HeavyPetition],
            }],
            calendar: crate::domain::calendar::Calendar::seeded(),
            ..Default::default()
        };
        let cal = f.calendar.clone();
        let mut d0 = d("2026-10-01");
        while d0 <= d("2026-10-31") {
            if cal.is_working_day(d0) && d0 != d("2026-10-10") {
                f.activities.push(act(
                    ActivityKind::Reception,
                    &d0.to_string(),
                    &d0.to_string(),
                    &[1],
                    &[],
                ));
            }
            d0 += Duration::days(1);
        }
        // A row per working day: none on the National Day holiday or a Sunday, met on the
        // days kept, unmet on the 10th (a make-up working day, 调休).
        let out = evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2026, d("2026-11-20"));
        let of = |day: &str| {
            out.results
                .iter()
                .find(|o| o.rule == "XF-5" && o.period == day)
                .map(|o| (o.status, o.detail.clone()))
        };
        assert_eq!(of("2026-10-02"), None, "a holiday");
        assert_eq!(of("2026-10-18"), None, "a Sunday");
        assert_eq!(of("2026-10-12").map(|x| x.0), Some(Status::Met));
        let (st, detail) = of("2026-10-10").unwrap();
        assert_eq!(st, Status::Unmet);
        assert!(detail.contains("10月10日"), "{detail}");
        let working = out
            .results
            .iter()
            .filter(|o| o.rule == "XF-5" && o.period.starts_with("2026-10"))
            .count();
        assert_eq!(
            working,
            cal.dates(
                crate::domain::calendar::DateSet::WorkingDays,
                d("2026-10-01"),
                d("2026-10-31")
            )
            .len()
        );
        f.activities.push(act(
            ActivityKind::Reception,
            "2026-10-10",
            "2026-10-10",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "XF-5", "2026-10-10", "2026-11-20").0,
            Status::Met
        );
        assert!(out.notes.is_empty(), "2026 is a known year");
        assert!(
            !evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2027, d("2027-03-01"))
                .notes
                .is_empty()
        );
    }

    #[test]
    fn every_named_date_rule_needs_each_of_its_dates() {
        // XF-2 Thursdays, XF-4 every day, ZY-7 the quarter's last weekend, CG-1 working days:
        // all of the first period's dates met; the last one missing unmet.
        for id in ["XF-2", "XF-4", "ZY-7", "CG-1"] {
            let on_dates = |rule: &Rule, p: &Period, f: &mut Facts, delta: i32| {
                let Measure::OnDates(measure::on_dates::OnDates {
                    activity_kinds,
                    dates,
                    min,
                    ..
                }) = &rule.measure
                else {
                    panic!()
                };
                let cal = crate::domain::calendar::Calendar::seeded();
                let mut all = cal.dates(*dates, p.start, p.end);
                // All of them (or `min` of them), the last date included; one fewer misses.
                if let Some(m) = min {
                    all.drain(..all.len() - *m as usize);
                }
                if delta < 0 {
                    all.pop();
                }
                for day in all {
                    f.activities
                        .push(record(activity_kinds[0], day, 1, target_of(rule)));
                }
                f.calendar = cal;
            };
            assert_eq!(judge(id, &on_dates), (Status::Met, Status::Unmet), "{id}");
        }
    }

    #[test]
    fn declared_periods_bind_on_their_days_and_only_where_declared() {
        use crate::domain::calendar::{Calendar, DeclaredPeriod};
        let region = |code: &str, level, path: &str| RegionFact {
            code: code.into(),
            name: code.into(),
            level: Some(level),
            path: path.into(),
        };
        let declared = |sensitive, region: Option<&str>, from: &str, to: &str| DeclaredPeriod {
            sensitive,
            region: region.map(str::to_string),
            start: d(from),
            end: d(to),
            name: "test".into(),
        };
        let mut f = Facts {
            regions: vec![
                region("C", RegionLevel::County, "/C/"),
                region("V1", RegionLevel::Village, "/C/T1/V1/"),
                region("V2", RegionLevel::Village, "/C/T2/V2/"),
            ],
            calendar: Calendar::seeded().with_periods([
                declared(true, None, "2026-10-01", "2026-10-03"),
                declared(false, Some("T1"), "2026-07-10", "2026-07-12"),
            ]),
            ..Default::default()
        };
        let on = |kind, day: &str, target: &str| ActivityFact {
            start: d(day),
            end: d(day),
            kind,
            hours: 0.0,
            companions: None,
            participants: vec![],
            targets: vec![target.into()],
            disputed_on: None,
        };
        for day in ["2026-10-01", "2026-10-02", "2026-10-03"] {
            f.activities.push(on(ActivityKind::Reception, day, "C"));
        }
        for day in ["2026-07-10", "2026-07-11", "2026-07-12"] {
            f.activities.push(on(ActivityKind::Duty, day, "V1"));
        }
        // XF-3: a county reception each sensitive day, the last day included; only October
        // has a row.
        let r = rows(&f, "XF-3", "2026-12-31");
        assert_eq!(r, [("2026-10".to_string(), None, Status::Met, 3.0)]);
        // CG-2: the flood period declared for town T1 binds its village V1, not V2.
        let r = evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2026, d("2026-12-31"));
        let cg2: Vec<(&str, &str, Status)> = r
            .results
            .iter()
            .filter(|o| o.rule == "CG-2")
            .map(|o| (o.subject_code.as_str(), o.period.as_str(), o.status))
            .collect();
        assert_eq!(cg2, [("V1", "2026-07", Status::Met)]);
        // One day short of each: unmet, naming the day.
        f.activities
            .retain(|a| a.start != d("2026-10-03") && a.start != d("2026-07-12"));
        let r = evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2026, d("2026-12-31"));
        let xf3 = r.results.iter().find(|o| o.rule == "XF-3").unwrap();
        assert_eq!(xf3.status, Status::Unmet);
        assert!(xf3.detail.contains("10月3日"), "{}", xf3.detail);
        let cg2 = r.results.iter().find(|o| o.rule == "CG-2").unwrap();
        assert_eq!(
            (cg2.status, cg2.actual, cg2.required),
            (Status::Unmet, 2.0, 3.0)
        );
    }

    #[test]
    fn a_planned_thursday_is_kept_only_by_whoever_the_rota_names() {
        use crate::domain::rules::facts::SlotFact;
        // XF-2 in the week of Thursday 8 January 2026: the county's reception.
        let reception = |who: i32| {
            let mut a = act(
                ActivityKind::Reception,
                "2026-01-08",
                "2026-01-08",
                &[who],
                &[],
            );
            a.targets = vec!["C".into()];
            a
        };
        let county = |acts: Vec<ActivityFact>, rota: bool| Facts {
            people: vec![
                person(1, &[Role::CountyPartyGovLeader]),
                person(2, &[Role::CountyPartyGovLeader]),
            ],
            regions: vec![RegionFact {
                code: "C".into(),
                name: "县".into(),
                level: Some(RegionLevel::County),
                path: "/C/".into(),
            }],
            activities: acts,
            slots: if rota {
                vec![SlotFact {
                    rule: "XF-2".into(),
                    scope: "C".into(),
                    day: d("2026-01-08"),
                    person: 2,
                }]
            } else {
                vec![]
            },
            ..Default::default()
        };
        let week = |f: &Facts| {
            rows(f, "XF-2", "2026-01-11")
                .into_iter()
                .find(|r| r.0 == "2026-W02")
                .map(|r| r.2)
                .unwrap()
        };
        // Without a rota anyone's reception counts.
        assert_eq!(week(&county(vec![reception(1)], false)), Status::Met);
        // With one, only the person planned keeps the day.
        assert_eq!(week(&county(vec![reception(1)], true)), Status::Unmet);
        assert_eq!(week(&county(vec![reception(2)], true)), Status::Met);
    }
}
