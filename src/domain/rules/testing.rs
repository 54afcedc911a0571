//! Facts and shortcuts for the engine's tests: people, records and links in a line each, and
//! the rows a rule of the default policy gives for them.

pub(crate) use crate::domain::labels::{
    ActivityKind, LinkKind, RegionLevel, Role, UnitKind, UnitTag,
};
pub(crate) use crate::domain::policy::{CountedBy, DEFAULT, Measure, Policy, Rule};
pub(crate) use crate::domain::rules::measure;
pub(crate) use crate::domain::rules::period::{Period, periods};
pub(crate) use crate::domain::rules::{
    ActivityFact, CardFact, EarlierVisit, Facts, HouseholdFact, ItemFact, LinkFact, Outcome,
    PersonFact, RegionFact, Status, UnitFact, evaluate, evaluate_dated,
};
pub(crate) use chrono::{Duration, NaiveDate};

pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(crate) fn person(id: i32, roles: &[Role]) -> PersonFact {
    PersonFact {
        id,
        code: format!("P{id}"),
        name: format!("人{id}"),
        roles: roles.to_vec(),
        unit: "U1".into(),
        region: Some("T1".into()),
        areas: vec![],
        branch: None,
        term_start: None,
        published: vec![],
    }
}

pub(crate) fn act(
    kind: ActivityKind,
    start: &str,
    end: &str,
    who: &[i32],
    targets: &[&str],
) -> ActivityFact {
    ActivityFact {
        start: d(start),
        end: d(end),
        kind,
        hours: 0.0,
        companions: None,
        participants: who.to_vec(),
        targets: targets.iter().map(|t| t.to_string()).collect(),
        disputed_on: None,
    }
}

pub(crate) fn link(person: i32, kind: LinkKind, target: &str) -> LinkFact {
    LinkFact {
        contact: None,
        person: Some(person),
        unit: None,
        kind,
        target: target.into(),
        start: d("2026-01-01"),
        end: d("2026-12-31"),
        front_line: None,
        report_on: None,
        assessed: false,
    }
}

/// The rows of one rule, as (period, target, status, actual).
pub(crate) fn rows(
    facts: &Facts,
    rule: &str,
    as_of: &str,
) -> Vec<(String, Option<String>, Status, f64)> {
    let p = Policy::parse(DEFAULT).unwrap();
    evaluate(&p, facts, 2026, d(as_of))
        .results
        .into_iter()
        .filter(|o| o.rule == rule)
        .map(|o| (o.period, o.target_code, o.status, o.actual))
        .collect()
}

pub(crate) fn status_of(facts: &Facts, rule: &str, period: &str, as_of: &str) -> (Status, f64) {
    rows(facts, rule, as_of)
        .into_iter()
        .find(|r| r.0 == period)
        .map(|r| (r.2, r.3))
        .unwrap_or_else(|| panic!("no {rule} row for {period}"))
}

pub(crate) fn item(id: i32, source: crate::domain::labels::ItemSource, clock: &str) -> ItemFact {
    ItemFact {
        id,
        source,
        clock: clock.into(),
        village: "V1".into(),
        household: Some("H1".into()),
        status: "assigned".into(),
        level: "village".into(),
        first_handler: Some(1),
        case_owner: None,
        registered_on: d("2026-09-01"),
        deadline: Some(d("2026-10-08")),
        resolved_on: None,
        closed_on: None,
        answered: false,
        overdue_reason: false,
        supervised: false,
        guarantees: 0,
        told_on: None,
        category: None,
    }
}

pub(crate) fn item_facts(items: Vec<ItemFact>) -> Facts {
    Facts {
        people: vec![
            person(1, &[Role::VillageCadre]),
            person(2, &[Role::CountyLeadershipMember]),
        ],
        regions: vec![RegionFact {
            code: "V1".into(),
            name: "一村".into(),
            level: Some(RegionLevel::Village),
            path: format!("/C/T1/{}/", "V1"),
        }],
        items,
        ..Default::default()
    }
}

pub(crate) fn item_status(f: &Facts, rule: &str, as_of: &str) -> Vec<(Option<String>, Status)> {
    rows(f, rule, as_of)
        .into_iter()
        .map(|(_, t, s, _)| (t, s))
        .collect()
}

/// (rule, facts that meet it, facts one short, period, as-of at the period's last day).
pub(crate) fn case(rule: &str, period: &str, as_of: &str, meet: &Facts, short: &Facts) {
    assert_eq!(
        status_of(meet, rule, period, as_of).0,
        Status::Met,
        "{rule} met"
    );
    assert_eq!(
        status_of(short, rule, period, as_of).0,
        Status::Unmet,
        "{rule} short"
    );
}

pub(crate) fn with(mut f: Facts, acts: Vec<ActivityFact>) -> Facts {
    f.activities.extend(acts);
    f
}

/// A subject the rule binds: person 1 with its roles and links (to `T0`), unit `U1` of its
/// kind and tags, region `V1` of its level.
pub(crate) fn subject_facts(rule: &Rule) -> Facts {
    let w = &rule.who;
    let mut me = person(1, &w.roles);
    if me.roles.is_empty() {
        me.roles.push(Role::PartyMember);
    }
    let mut f = Facts {
        people: vec![me],
        units: vec![UnitFact {
            code: "U1".into(),
            name: "一单位".into(),
            kind: w.unit_kinds.first().copied(),
            tags: w.unit_tags.clone(),
        }],
        regions: vec![RegionFact {
            code: "V1".into(),
            name: "一村".into(),
            level: w.region_levels.first().copied(),
            path: format!("/C/T1/{}/", "V1"),
        }],
        ..Default::default()
    };
    for k in &w.link_kinds {
        f.links.push(link(1, *k, "T0"));
    }
    if let Measure::VisitsPerTarget(m) = &rule.measure {
        for k in &m.link_kinds {
            f.links.push(link(1, *k, "T0"));
        }
    }
    // DDB-4's subject has published its contact details; the measure's own test takes it away.
    if let Measure::DistinctTargets(m) = &rule.measure
        && m.contact_published
    {
        f.people[0].published.push(d("2026-01-01"));
    }
    for k in &w.unit_links {
        let mut l = link(1, *k, "C1");
        (l.person, l.unit) = (None, Some("U1".into()));
        f.links.push(l);
    }
    f
}

/// Facts for one rule of the default policy: a subject it binds (a person with its roles
/// and links, a unit of its kind, or a region of its level) and what `make` adds, judged
/// for the rule's first period of 2026 at the end of the year.
pub(crate) fn judge(
    rule_id: &str,
    make: &dyn Fn(&Rule, &Period, &mut Facts, i32),
) -> (Status, Status) {
    let p = Policy::parse(DEFAULT).unwrap();
    let rule = p.rule(rule_id).unwrap().clone();
    let period = periods(
        rule.period.as_deref().unwrap_or("year"),
        2026,
        d("2026-12-31"),
    )
    .into_iter()
    .next()
    .unwrap();
    let base = || subject_facts(&rule);
    let subject = if !rule.who.region_levels.is_empty() {
        "V1"
    } else if !rule.who.unit_kinds.is_empty()
        || !rule.who.unit_tags.is_empty()
        || !rule.who.unit_links.is_empty()
    {
        "U1"
    } else {
        "P1"
    };
    let status_for = |n: i32| {
        let mut f = base();
        make(&rule, &period, &mut f, n);
        let r = evaluate(&p, &f, 2026, d("2026-12-31"));
        let mine: Vec<&Outcome> = r
            .results
            .iter()
            .filter(|o| o.rule == rule_id && o.subject_code == subject && o.period == period.label)
            .collect();
        assert!(
            !mine.is_empty(),
            "{rule_id}: no row for {subject} in {}",
            period.label
        );
        // Per-target rules: the subject's worst row.
        mine.iter()
            .map(|o| o.status)
            .min_by_key(|s| match s {
                Status::Unmet => 0,
                Status::Pending => 1,
                Status::Met => 2,
            })
            .unwrap()
    };
    (status_for(0), status_for(-1))
}

pub(crate) fn record(
    kind: ActivityKind,
    start: NaiveDate,
    days: i64,
    target: &str,
) -> ActivityFact {
    ActivityFact {
        start,
        end: start + Duration::days(days - 1),
        kind,
        hours: 2.0,
        companions: None,
        participants: vec![1],
        targets: vec![target.into()],
        disputed_on: None,
    }
}

/// The target a rule's records name: the subject itself when they count by target.
pub(crate) fn target_of(rule: &Rule) -> &'static str {
    match &rule.measure {
        Measure::Count(measure::count::Count {
            by: CountedBy::Target,
            ..
        })
        | Measure::OnDates(measure::on_dates::OnDates {
            by: CountedBy::Target,
            ..
        }) => {
            if rule.who.region_levels.is_empty() {
                "U1"
            } else {
                "V1"
            }
        }
        _ => "T0",
    }
}

/// `min + delta` records on distinct days from the period's start; the last one on its
/// last day (the boundary).
pub(crate) fn count_records(rule: &Rule, p: &Period, f: &mut Facts, delta: i32) {
    let Measure::Count(measure::count::Count {
        activity_kinds,
        min,
        ..
    }) = &rule.measure
    else {
        panic!("{}", rule.id)
    };
    let n = *min as i32 + delta;
    for i in 0..n {
        let day = if i == n - 1 {
            p.end
        } else {
            p.start + Duration::days(i as i64)
        };
        f.activities
            .push(record(activity_kinds[0], day, 1, target_of(rule)));
    }
}
