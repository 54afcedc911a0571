//! Rotas 排班: who receives the public, keeps duty or goes down on which day, planned on the
//! working-day calendar for the rule they serve (XF-2 county leaders every Thursday, XF-3 one a
//! day in a sensitive period, XF-4 a town leader every working day, XF-8 Fridays, CG-1 a
//! village cadre every day …).
//!
//! The planner is fair: each slot goes to the eligible person with the fewest slots so far
//! (then the one who served longest ago, then the list's order), so over a plan each person's
//! count differs by at most one where eligibility allows. A re-plan keeps every slot that still
//! stands and fills only what a declared holiday or period changed.

use crate::domain::calendar::DateSet;
use crate::domain::labels::Role;
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// `[[rota]]` of the policy: one kind of rota, named by the rule it serves.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotaKind {
    pub rule: String,
    pub name: String,
    /// Who may be planned: people holding any of these roles within the rota's scope.
    pub roles: Vec<Role>,
    /// Which days get a slot.
    pub dates: DateSet,
    /// People per slot (all of them in a special period when `everyone` is set).
    #[serde(default = "one")]
    pub per_slot: usize,
    #[serde(default)]
    pub everyone: bool,
    /// Where, and when in the day (Beijing time).
    pub place: String,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

fn one() -> usize {
    1
}

/// The days a rota of `kind` plans between `from` and `to` in the region at `path`: the rule's
/// dates on the calendar (declared periods by region), less the official rest days for a
/// weekday rota (每周四, 每周五, 工作日).
pub fn days(
    cal: &crate::domain::calendar::Calendar,
    kind: &RotaKind,
    from: NaiveDate,
    to: NaiveDate,
    path: Option<&str>,
) -> Vec<NaiveDate> {
    cal.dates_at(kind.dates, from, to, path)
        .into_iter()
        .filter(|d| !kind.dates.on_working_days() || cal.is_working_day(*d))
        .collect()
}

/// One planned slot: a day and who serves on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub day: NaiveDate,
    pub person: i32,
}

/// A person who may be planned, and the days they cannot serve (leave, unavailability).
#[derive(Clone, Debug)]
pub struct Candidate {
    pub person: i32,
    pub away: BTreeSet<NaiveDate>,
}

/// Plans `days` (in order) with `per_slot` people each from `people`, counting the slots each
/// already has in `kept` (a re-plan) so that the year stays fair. A day no one can serve gets
/// fewer people, never someone away.
pub fn plan(days: &[NaiveDate], people: &[Candidate], per_slot: usize, kept: &[Slot]) -> Vec<Slot> {
    let mut count: HashMap<i32, usize> = people.iter().map(|p| (p.person, 0)).collect();
    let mut last: HashMap<i32, NaiveDate> = HashMap::new();
    for s in kept {
        if let Some(c) = count.get_mut(&s.person) {
            *c += 1;
        }
        let l = last.entry(s.person).or_insert(s.day);
        *l = (*l).max(s.day);
    }
    let taken: BTreeMap<NaiveDate, BTreeSet<i32>> =
        kept.iter().fold(BTreeMap::new(), |mut m, s| {
            m.entry(s.day)
                .or_insert_with(BTreeSet::new)
                .insert(s.person);
            m
        });
    let order: HashMap<i32, usize> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.person, i))
        .collect();
    let mut out = Vec::new();
    for &day in days {
        let already = taken.get(&day);
        let need = per_slot.saturating_sub(already.map_or(0, BTreeSet::len));
        let mut free: Vec<&Candidate> = people
            .iter()
            .filter(|p| !p.away.contains(&day) && !already.is_some_and(|a| a.contains(&p.person)))
            .collect();
        free.sort_by_key(|p| {
            (
                count[&p.person],
                last.get(&p.person).copied(),
                order[&p.person],
            )
        });
        for p in free.into_iter().take(need) {
            *count.entry(p.person).or_default() += 1;
            last.insert(p.person, day);
            out.push(Slot {
                day,
                person: p.person,
            });
        }
    }
    out
}

/// What a re-plan does to the slots already planned: those that still stand are kept, slots
/// on days no longer wanted or of someone now away are cancelled, and new slots fill the days
/// left short.
#[derive(Debug, PartialEq, Eq)]
pub struct Replan {
    pub keep: Vec<Slot>,
    pub cancel: Vec<Slot>,
    pub add: Vec<Slot>,
}

pub fn replan(
    existing: &[Slot],
    days: &[NaiveDate],
    people: &[Candidate],
    per_slot: usize,
) -> Replan {
    let wanted: BTreeSet<NaiveDate> = days.iter().copied().collect();
    let away = |s: &Slot| {
        people
            .iter()
            .find(|p| p.person == s.person)
            .is_none_or(|p| p.away.contains(&s.day))
    };
    let (keep, cancel): (Vec<Slot>, Vec<Slot>) = existing
        .iter()
        .cloned()
        .partition(|s| wanted.contains(&s.day) && !away(s));
    let add = plan(days, people, per_slot, &keep);
    Replan { keep, cancel, add }
}

/// A slot as a calendar event: its stable UID, and its SEQUENCE raised on every change.
#[derive(Clone, Debug)]
pub struct Event {
    pub uid: String,
    pub sequence: i32,
    pub cancelled: bool,
    pub day: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub summary: String,
    pub location: String,
    pub stamp: chrono::DateTime<chrono::Utc>,
}

/// An iCalendar (RFC 5545) of the events, in Asia/Shanghai time (a VTIMEZONE of its one
/// offset, +08:00, so that any client places them right).
pub fn ics(name: &str, events: &[Event]) -> String {
    use icalendar::{Calendar, CalendarDateTime, Component, EventLike, EventStatus};
    let mut cal = Calendar::new();
    cal.name(name);
    cal.append_property(icalendar::Property::new("X-WR-TIMEZONE", "Asia/Shanghai"));
    for e in events {
        let at = |t: NaiveTime| CalendarDateTime::WithTimezone {
            date_time: e.day.and_time(t),
            tzid: "Asia/Shanghai".into(),
        };
        let mut ev = icalendar::Event::new();
        ev.uid(&e.uid)
            .sequence(e.sequence.max(0) as u32)
            .summary(&e.summary)
            .location(&e.location)
            .timestamp(e.stamp)
            .starts(at(e.start))
            .ends(at(e.end));
        ev.status(if e.cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
        cal.push(ev.done());
    }
    let text = cal.done().to_string();
    // The time zone the events name, placed before them.
    let tz = "BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0800\r\nTZOFFSETTO:+0800\r\nTZNAME:CST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
    match text.find("BEGIN:VEVENT") {
        Some(i) => format!("{}{tz}{}", &text[..i], &text[i..]),
        None => text.replace("END:VCALENDAR", &format!("{tz}END:VCALENDAR")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn days(n: usize) -> Vec<NaiveDate> {
        (0..n as i64)
            .map(|i| d("2026-01-01") + chrono::Duration::days(i))
            .collect()
    }

    fn people(n: usize, away: &[(usize, NaiveDate)]) -> Vec<Candidate> {
        (0..n)
            .map(|i| Candidate {
                person: i as i32 + 1,
                away: away
                    .iter()
                    .filter(|(p, _)| *p == i)
                    .map(|(_, d)| *d)
                    .collect(),
            })
            .collect()
    }

    fn counts(slots: &[Slot]) -> HashMap<i32, usize> {
        let mut c = HashMap::new();
        for s in slots {
            *c.entry(s.person).or_default() += 1;
        }
        c
    }

    proptest! {
        #[test]
        fn the_plan_is_fair_and_never_plans_someone_away(
            n_days in 1usize..120, n_people in 1usize..12, per_slot in 1usize..3,
            away in proptest::collection::vec((0usize..12, 0i64..120), 0..30),
        ) {
            let ds = days(n_days);
            let away: Vec<(usize, NaiveDate)> =
                away.into_iter().map(|(p, i)| (p, d("2026-01-01") + chrono::Duration::days(i))).collect();
            let ps = people(n_people, &away);
            let slots = plan(&ds, &ps, per_slot, &[]);
            // No one away is planned, no one twice a day, no day over its slot.
            for s in &slots {
                let p = ps.iter().find(|p| p.person == s.person).unwrap();
                prop_assert!(!p.away.contains(&s.day));
                prop_assert_eq!(slots.iter().filter(|x| x.day == s.day && x.person == s.person).count(), 1);
            }
            for day in &ds {
                let n = slots.iter().filter(|s| s.day == *day).count();
                let free = ps.iter().filter(|p| !p.away.contains(day)).count();
                // Every slot filled that can be.
                prop_assert_eq!(n, per_slot.min(free));
            }
            // Without leave, everyone's count is within one of everyone else's.
            if away.is_empty() {
                let c = counts(&slots);
                let (lo, hi) = (
                    ps.iter().map(|p| c.get(&p.person).copied().unwrap_or(0)).min().unwrap(),
                    ps.iter().map(|p| c.get(&p.person).copied().unwrap_or(0)).max().unwrap(),
                );
                prop_assert!(hi - lo <= 1, "{:?}", c);
            }
        }

        #[test]
        fn a_replan_changes_only_the_slots_it_must(
            n_days in 2usize..80, n_people in 1usize..8,
            dropped in proptest::collection::vec(0usize..80, 0..10),
            leave in proptest::collection::vec((0usize..8, 0usize..80), 0..6),
        ) {
            let ds = days(n_days);
            let ps = people(n_people, &[]);
            let before = plan(&ds, &ps, 1, &[]);
            // A holiday declared later drops some days; some people take leave.
            let now: Vec<NaiveDate> = ds.iter().enumerate()
                .filter(|(i, _)| !dropped.contains(i)).map(|(_, d)| *d).collect();
            let away: Vec<(usize, NaiveDate)> = leave.iter()
                .filter(|(_, i)| *i < n_days).map(|(p, i)| (*p, ds[*i])).collect();
            let ps2 = people(n_people, &away);
            let r = replan(&before, &now, &ps2, 1);
            for s in &before {
                let stands = now.contains(&s.day)
                    && !ps2.iter().any(|p| p.person == s.person && p.away.contains(&s.day));
                // A slot is kept exactly when it still stands, cancelled otherwise.
                prop_assert_eq!(r.keep.contains(s), stands);
                prop_assert_eq!(r.cancel.contains(s), !stands);
            }
            // New slots only on days that lost theirs, and only where someone can serve.
            for a in &r.add {
                prop_assert!(!r.keep.iter().any(|k| k.day == a.day));
                prop_assert!(r.cancel.iter().any(|c| c.day == a.day));
            }
        }
    }

    fn kind(dates: DateSet) -> RotaKind {
        RotaKind {
            rule: "XF-2".into(),
            name: "接访".into(),
            roles: vec![],
            dates,
            per_slot: 1,
            everyone: false,
            place: String::new(),
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
        }
    }

    proptest! {
        #[test]
        fn a_weekday_rota_plans_no_official_rest_day(start in 0i64..700, len in 0i64..120) {
            let cal = crate::domain::calendar::Calendar::seeded();
            let from = d("2025-01-01") + chrono::Duration::days(start);
            let to = from + chrono::Duration::days(len);
            for set in [DateSet::Thursdays, DateSet::Fridays, DateSet::WorkingDays] {
                for day in super::days(&cal, &kind(set), from, to, None) {
                    prop_assert!(cal.is_working_day(day), "{set:?} {day}");
                    prop_assert!(day >= from && day <= to);
                }
            }
        }
    }

    #[test]
    fn every_day_of_a_sensitive_period_is_planned_and_filled() {
        use crate::domain::calendar::{Calendar, DeclaredPeriod};
        let cal = Calendar::seeded().with_periods([DeclaredPeriod {
            sensitive: true,
            region: None,
            start: d("2026-10-01"),
            end: d("2026-10-08"),
            name: "国庆".into(),
        }]);
        let ds = super::days(
            &cal,
            &kind(DateSet::SensitiveDays),
            d("2026-09-01"),
            d("2026-10-31"),
            None,
        );
        // Holidays included: a sensitive period is every day.
        assert_eq!(ds.len(), 8);
        let slots = plan(&ds, &people(3, &[(0, d("2026-10-02"))]), 1, &[]);
        assert_eq!(slots.len(), 8);
        assert!(
            !slots
                .iter()
                .any(|s| s.person == 1 && s.day == d("2026-10-02"))
        );
        // The Thursday of National Day is not a weekday rota's.
        let thu = super::days(
            &cal,
            &kind(DateSet::Thursdays),
            d("2026-09-28"),
            d("2026-10-11"),
            None,
        );
        assert_eq!(thu, [d("2026-10-08")]);
    }

    #[test]
    fn a_thursday_rota_in_the_calendar_names_its_zone() {
        let e = Event {
            uid: "rota-1-2026-01-08@lianxin".into(),
            sequence: 2,
            cancelled: true,
            day: d("2026-01-08"),
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
            summary: "县级领导接访".into(),
            location: "县信访接待中心".into(),
            stamp: chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
        };
        let t = ics("接访排班", &[e]);
        for want in [
            "BEGIN:VTIMEZONE",
            "TZID:Asia/Shanghai",
            "DTSTART;TZID=Asia/Shanghai:20260108T090000",
            "SEQUENCE:2",
            "STATUS:CANCELLED",
            "UID:rota-1-2026-01-08@lianxin",
        ] {
            assert!(t.contains(want), "{want} in {t}");
        }
        assert!(t.find("BEGIN:VTIMEZONE") < t.find("BEGIN:VEVENT"));
    }
}
