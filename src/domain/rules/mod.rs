//! The rule engine: one evaluation of the policy over the year's facts, for any as-of date.
//! Every rule of the policy gives rows per subject, period (and target where it is judged per
//! target): met, unmet, or pending with what is still missing. No database here; time is an
//! argument. Each measure lives in its own module under `measure/` (decision record 0005).

pub mod context;
pub mod facts;
pub mod measure;
mod parallel;
pub mod period;
pub mod report;
#[cfg(test)]
pub(crate) mod testing;

pub use context::{Context, Found, Index, Rows, Subject};
pub use facts::{
    ActivityFact, CardFact, EarlierVisit, Facts, HouseholdFact, ItemFact, LinkFact, PersonFact,
    RegionFact, UnitFact,
};
pub use period::{Period, periods};
pub use report::{Outcome, Report, Status, Unmeasured, VersionUsed};

use crate::domain::policy::{InForce, Policy, Rule};
use chrono::{Duration, NaiveDate};

/// Evaluates every rule of one policy for a year as of a day.
pub fn evaluate(policy: &Policy, facts: &Facts, year: i32, as_of: NaiveDate) -> Report {
    evaluate_dated(&[InForce::always(policy)], facts, year, as_of)
}

/// Evaluates a year under the policy versions of a county: each period is judged by the
/// version in force on its first day, so that new numbers from 1 July leave the first half as
/// it was judged.
pub fn evaluate_dated(versions: &[InForce], facts: &Facts, year: i32, as_of: NaiveDate) -> Report {
    let cut = facts.cut_at(as_of);
    let facts = cut.as_ref().unwrap_or(facts);
    let index = Index::new(facts);
    let mut report = Report {
        year,
        as_of,
        policy: String::new(),
        results: Vec::new(),
        unmeasured: Vec::new(),
        notes: Vec::new(),
        versions: Vec::new(),
    };
    // A week of the year may begin in the December before it.
    let earliest = period::ymd(year, 1, 1) - Duration::days(7);
    for (v, days) in InForce::spans(versions) {
        if days.0 > as_of || days.1 < earliest {
            continue;
        }
        let one_rule = |rule: &Rule| {
            let cx = Context {
                facts,
                year,
                as_of,
                index: &index,
                periods: periods(rule.period.as_deref().unwrap_or("year"), year, as_of),
            };
            let mut rows = Rows::new(rule, as_of, days);
            rule.measure.judge(rule, &cx, &mut rows);
            (rows.results, rows.unmeasured)
        };
        let parallel = facts.only_person.is_none();
        let (results, unmeasured) = parallel::in_parallel(&v.policy.rules, parallel, one_rule);
        if report.results.is_empty() {
            // One version (as almost always): its rows are the report's, not copied.
            report.results = results;
        } else {
            report.results.extend(results);
        }
        for u in unmeasured {
            if !report.unmeasured.iter().any(|x| x.rule == u.rule) {
                report.unmeasured.push(u);
            }
        }
        report.policy = v.policy.name.clone();
        report.versions.extend(v.used());
    }
    if !facts.calendar.knows(year) {
        report.notes.push(format!(
            "{year}年的法定节假日和调休安排尚未录入：工作日按周一至周五计算"
        ));
    }
    report
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    /// Only records dated on or before the as-of day count (FORMATS.md): for every rule of the
    /// default policy, a record of every kind one day after it, and the part after it of a
    /// stay that runs past it, change nothing.
    #[test]
    fn a_record_one_day_after_the_as_of_day_never_counts() {
        use crate::domain::rules::testing::*;
        let p = Policy::parse(DEFAULT).unwrap();
        let as_of = d("2026-06-15");
        for rule in &p.rules {
            let base = subject_facts(rule);
            let targets = ["T0", "U1", "V1", target_of(rule)];
            let one = |kind: ActivityKind, from: &str, to: &str| ActivityFact {
                targets: targets.iter().map(|t| t.to_string()).collect(),
                disputed_on: None,
                hours: 40.0,
                companions: Some(0),
                ..act(kind, from, to, &[1], &[])
            };
            // Up to the as-of day: a stay that ends on it, and a record on it.
            let mut before = base.clone();
            for k in ActivityKind::ALL {
                before.activities.push(one(*k, "2026-06-10", "2026-06-15"));
                before.activities.push(one(*k, "2026-06-15", "2026-06-15"));
            }
            // The same stay running on past the day, and every kind again the day after.
            let mut after = base.clone();
            for k in ActivityKind::ALL {
                after.activities.push(one(*k, "2026-06-10", "2026-06-25"));
                after.activities.push(one(*k, "2026-06-15", "2026-06-15"));
                after.activities.push(one(*k, "2026-06-16", "2026-06-16"));
            }
            // The survey closed and circulated, a spot-check round drawn and made, and the
            // assessment issued the day after; the record on the day disputed the day after.
            after.surveys.push(crate::domain::rules::facts::SurveyFact {
                year: 2026,
                closed_on: Some(d("2026-06-16")),
                circulated_on: Some(d("2026-06-16")),
                subjects: vec![],
            });
            after
                .spot_rounds
                .push(crate::domain::rules::facts::SpotRoundFact {
                    region_path: "/".into(),
                    drawn_on: d("2026-06-16"),
                    checks: vec![
                        (d("2026-06-16"), "phone".into()),
                        (d("2026-06-16"), "field".into()),
                    ],
                });
            after
                .assessments
                .push(crate::domain::rules::facts::AssessmentFact {
                    issued_on: d("2026-06-16"),
                    cadres: vec![(
                        1,
                        crate::domain::assessment::PARTS
                            .iter()
                            .map(|p| p.to_string())
                            .collect(),
                    )],
                });
            for a in after
                .activities
                .iter_mut()
                .filter(|a| a.start == d("2026-06-15"))
            {
                a.disputed_on = Some(d("2026-06-16"));
            }
            // Ledger items: open on the day; resolved, answered and closed the day after, and
            // one more registered the day after.
            for src in crate::domain::labels::ItemSource::ALL {
                for clock in ["item", "petition", "hotline"] {
                    let mut open = item(before.items.len() as i32 + 1, *src, clock);
                    open.registered_on = d("2026-06-01");
                    open.deadline = Some(d("2026-06-20"));
                    open.case_owner = Some(1);
                    before.items.push(open.clone());
                    let mut done = open.clone();
                    done.resolved_on = Some(d("2026-06-16"));
                    done.closed_on = Some(d("2026-06-16"));
                    done.answered = true;
                    done.status = "closed".into();
                    after.items.push(done);
                    let mut new = open;
                    new.id += 10_000;
                    new.registered_on = d("2026-06-16");
                    after.items.push(new);
                }
            }
            let rows = |f: &Facts| -> Vec<String> {
                evaluate(&p, f, 2026, as_of)
                    .results
                    .iter()
                    .filter(|o| o.rule == rule.id)
                    .map(|o| {
                        format!(
                            "{} {:?} {} {:?} {}",
                            o.subject_code, o.target_code, o.period, o.status, o.actual
                        )
                    })
                    .collect()
            };
            assert_eq!(rows(&before), rows(&after), "{}", rule.id);
            // Cut in place by its owner (what the store's callers do), the same rows.
            let owned = after.clone().as_of(as_of);
            assert!(owned.activities.len() < after.activities.len());
            assert_eq!(rows(&owned), rows(&after), "{} cut in place", rule.id);
        }
    }

    fn policy_with(min: u32) -> Policy {
        Policy::parse(&format!(
            r#"name = "t"
title = "每半年走访{min}次"
[[rule]]
id = "T-1"
who = {{ roles = ["party_member"] }}
period = "half"
measure = "count"
activity_kinds = ["household_visit"]
min = {min}
"#
        ))
        .unwrap()
    }

    #[test]
    fn a_policy_changed_on_1_july_leaves_the_first_half_judged_by_the_old_numbers() {
        use crate::domain::policy::{Dated, InForce};
        use std::sync::Arc;
        let mut f = Facts::default();
        f.people.push(person(1, &[Role::PartyMember]));
        for day in ["2026-02-01", "2026-05-01", "2026-08-01", "2026-11-01"] {
            f.activities
                .push(act(ActivityKind::HouseholdVisit, day, day, &[1], &["H1"]));
        }
        let versions = [
            Dated {
                version: None,
                from: None,
                policy: Arc::new(policy_with(2)),
            },
            Dated {
                version: Some(7),
                from: Some(d("2026-07-01")),
                policy: Arc::new(policy_with(3)),
            },
        ];
        let in_force: Vec<InForce> = versions.iter().map(Dated::in_force).collect();
        let r = evaluate_dated(&in_force, &f, 2026, d("2026-12-31"));
        let rows: Vec<(&str, Status, f64, f64)> = r
            .results
            .iter()
            .map(|o| (o.period.as_str(), o.status, o.actual, o.required))
            .collect();
        assert_eq!(
            rows,
            [
                ("2026-H1", Status::Met, 2.0, 2.0),
                ("2026-H2", Status::Unmet, 2.0, 3.0)
            ]
        );
        // The report names the saved version it used, and from when.
        assert_eq!(r.versions.len(), 1);
        assert_eq!(r.versions[0].version, 7);
        assert_eq!(r.versions[0].from, Some(d("2026-07-01")));
        // Before 1 July the first version is in force; from then on the second.
        assert_eq!(Dated::on(&versions, d("2026-06-30")).unwrap().version, None);
        assert_eq!(
            Dated::on(&versions, d("2026-07-01")).unwrap().version,
            Some(7)
        );

        // Without the change, both halves by the old numbers; as of June only the first half.
        let r = evaluate(&policy_with(2), &f, 2026, d("2026-12-31"));
        assert!(r.results.iter().all(|o| o.status == Status::Met));
        assert!(r.versions.is_empty());
        let r = evaluate_dated(&in_force, &f, 2026, d("2026-06-30"));
        assert_eq!(r.results.len(), 1);
        assert_eq!(r.results[0].required, 2.0);
    }

    #[test]
    fn of_two_versions_taking_effect_on_one_day_the_later_saved_is_in_force() {
        use crate::domain::policy::{Dated, InForce};
        use std::sync::Arc;
        let v = |version, from: &str, min| Dated {
            version: Some(version),
            from: Some(d(from)),
            policy: Arc::new(policy_with(min)),
        };
        let versions = [
            Dated {
                version: None,
                from: None,
                policy: Arc::new(policy_with(1)),
            },
            v(1, "2026-07-01", 2),
            v(2, "2026-03-01", 4),
            v(3, "2026-07-01", 3),
        ];
        let in_force: Vec<InForce> = versions.iter().map(Dated::in_force).collect();
        let spans: Vec<(Option<i32>, NaiveDate)> = InForce::spans(&in_force)
            .into_iter()
            .map(|(v, (from, _))| (v.version, from))
            .collect();
        assert_eq!(
            spans,
            [
                (None, NaiveDate::MIN),
                (Some(2), d("2026-03-01")),
                (Some(3), d("2026-07-01"))
            ]
        );
        assert_eq!(Dated::on(&versions, d("2026-02-28")).unwrap().version, None);
        assert_eq!(
            Dated::on(&versions, d("2026-03-01")).unwrap().version,
            Some(2)
        );
        assert_eq!(
            Dated::on(&versions, d("2027-01-01")).unwrap().version,
            Some(3)
        );
    }

    #[test]
    fn a_year_without_records_is_never_met() {
        let roles: Vec<Role> = Role::ALL.to_vec();
        let f = Facts {
            people: vec![person(1, &roles)],
            units: UnitKind::ALL
                .iter()
                .map(|k| UnitFact {
                    code: k.code().into(),
                    name: k.zh().into(),
                    kind: Some(*k),
                    tags: UnitTag::ALL.to_vec(),
                })
                .collect(),
            regions: vec![RegionFact {
                code: "V1".into(),
                name: "一村".into(),
                level: Some(RegionLevel::Village),
                path: format!("/C/T1/{}/", "V1"),
            }],
            households: vec![HouseholdFact {
                head: String::new(),
                code: "H1".into(),
                region: "V1".into(),
                village: "V1".into(),
                has_members: true,
                has_situation: true,
                has_income: true,
            }],
            ..Default::default()
        };
        let p = Policy::parse(DEFAULT).unwrap();
        for as_of in ["2026-03-15", "2026-12-31"] {
            let r = evaluate(&p, &f, 2026, d(as_of));
            assert!(!r.results.is_empty());
            let met: Vec<_> = r
                .results
                .iter()
                .filter(|o| o.status == Status::Met)
                .collect();
            assert!(met.is_empty(), "{met:?}");
            assert!(r.unmeasured.is_empty(), "{:?}", r.unmeasured);
        }
    }

    #[test]
    fn more_rules_at_their_thresholds() {
        let leader = Facts {
            people: vec![person(1, &[Role::CountyLeadershipMember])],
            ..Default::default()
        };
        // XF-7: one outreach visit a month, judged on the month's last day.
        let out = |day: &str| act(ActivityKind::OutreachVisit, day, day, &[1], &[]);
        case(
            "XF-7",
            "2026-02",
            "2026-02-28",
            &with(leader.clone(), vec![out("2026-02-28")]),
            &with(leader.clone(), vec![out("2026-03-01")]),
        );
        // LXD-6: seven days of co-living; a stay of 1–7 July meets it, 1–6 does not.
        let stay = |to: &str| act(ActivityKind::CoLiving, "2026-07-01", to, &[1], &[]);
        case(
            "LXD-6",
            "2026",
            "2026-12-31",
            &with(leader.clone(), vec![stay("2026-07-07")]),
            &with(leader.clone(), vec![stay("2026-07-06")]),
        );
        // DY-2: 90 distinct days of grassroots work; overlapping records count a day once.
        let days = |n: i64| -> Vec<ActivityFact> {
            (0..n)
                .flat_map(|i| {
                    let d = (d("2026-01-01") + Duration::days(i)).to_string();
                    vec![
                        act(ActivityKind::FieldVisit, &d, &d, &[1], &[]),
                        act(ActivityKind::Research, &d, &d, &[1], &[]),
                    ]
                })
                .collect()
        };
        case(
            "DY-2",
            "2026",
            "2026-12-31",
            &with(leader.clone(), days(90)),
            &with(leader.clone(), days(89)),
        );
        // LXD-7: each linked enterprise visited every month.
        let mut linked = leader.clone();
        linked
            .links
            .push(link(1, LinkKind::ContactEnterprise, "E1"));
        linked
            .links
            .push(link(1, LinkKind::ContactKeyProject, "P1"));
        let visit = |t: &str| {
            act(
                ActivityKind::FieldVisit,
                "2026-05-31",
                "2026-05-31",
                &[1],
                &[t],
            )
        };
        let r = rows(
            &with(linked.clone(), vec![visit("E1")]),
            "LXD-7",
            "2026-05-31",
        );
        let may: Vec<_> = r
            .iter()
            .filter(|x| x.0 == "2026-05")
            .map(|x| (x.1.clone().unwrap(), x.2))
            .collect();
        assert_eq!(
            may,
            vec![
                ("E1".to_string(), Status::Met),
                ("P1".to_string(), Status::Unmet)
            ]
        );

        // CG-4: ten household visits a month by a village principal.
        let sec = Facts {
            people: vec![person(2, &[Role::VillageSecretary])],
            ..Default::default()
        };
        let visits = |n: usize| {
            (0..n)
                .map(|i| {
                    act(
                        ActivityKind::HouseholdVisit,
                        "2026-06-30",
                        "2026-06-30",
                        &[2],
                        &[&format!("H{i}")],
                    )
                })
                .collect()
        };
        case(
            "CG-4",
            "2026-06",
            "2026-06-30",
            &with(sec.clone(), visits(10)),
            &with(sec.clone(), visits(9)),
        );

        // DDB-4: fifty distinct people or households visited by a representative whose
        // contact details are published (measured without them in distinct_targets).
        let mut published = person(3, &[Role::TownRepresentative]);
        published.published.push(d("2026-02-01"));
        let rep = Facts {
            people: vec![published],
            ..Default::default()
        };
        // A second visit to H0 counts once.
        let reach = |n: usize| {
            (0..n)
                .map(|i| {
                    act(
                        ActivityKind::RepresentativeActivity,
                        "2026-12-31",
                        "2026-12-31",
                        &[3],
                        &[&format!("H{i}")],
                    )
                })
                .chain(std::iter::once(act(
                    ActivityKind::RepresentativeActivity,
                    "2026-12-01",
                    "2026-12-01",
                    &[3],
                    &["H0"],
                )))
                .collect()
        };
        case(
            "DDB-4",
            "2026",
            "2026-12-31",
            &with(rep.clone(), reach(50)),
            &with(rep.clone(), reach(49)),
        );

        // BF-1: a section-level cadre pairs one hardship household.
        let cadre = Facts {
            people: vec![person(4, &[Role::SectionLevelCadre])],
            ..Default::default()
        };
        let mut paired = cadre.clone();
        paired.links.push(link(4, LinkKind::HardshipPairing, "H1"));
        case("BF-1", "2026", "2026-12-31", &paired, &cadre);

        // ZY-2 and ZY-6: a volunteer team's records name the team; the volunteer day is the
        // second Saturday (14 November 2026).
        let team = Facts {
            units: vec![UnitFact {
                code: "Y1".into(),
                name: "服务队".into(),
                kind: Some(UnitKind::VolunteerTeam),
                tags: vec![],
            }],
            ..Default::default()
        };
        let serve = |day: &str| act(ActivityKind::VolunteerService, day, day, &[], &["Y1"]);
        let six: Vec<ActivityFact> = (1..=6).map(|m| serve(&format!("2026-{m:02}-15"))).collect();
        case(
            "ZY-2",
            "2026",
            "2026-12-31",
            &with(team.clone(), six.clone()),
            &with(team.clone(), six[..5].to_vec()),
        );
        case(
            "ZY-6",
            "2026-11",
            "2026-11-30",
            &with(team.clone(), vec![serve("2026-11-14")]),
            &with(team.clone(), vec![serve("2026-11-15")]),
        );
    }
}
