//! Integrity checks on work records (issue 16): each a flag with the records behind it, for the
//! party-government office and the organisation department to look at — never a deduction.
//! Records made for the book rather than the resident show as back-filling in bulk, days no one
//! could have had, notes pasted across households, and records without an author.

use crate::domain::labels::ActivityKind;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// `[integrity]` of the policy: the thresholds, as data.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IntegritySettings {
    /// A record entered more than this many days after its last day is back-filled…
    pub backfill_days: u32,
    /// …and flagged when one account back-fills at least this many on one day.
    pub backfill_batch: u32,
    /// Household visits one person can make in a day.
    pub max_household_visits_per_day: u32,
    /// Towns one person can be in on one day.
    pub max_towns_per_day: u32,
    /// Notes at least this long, word for word the same…
    pub pasted_notes_min_chars: u32,
    /// …on the records of at least this many households, by one author.
    pub pasted_notes_households: u32,
    /// How many times as likely a flagged record is to be drawn for a spot check.
    #[serde(default = "default_sample_weight")]
    pub sample_weight: f64,
}

fn default_sample_weight() -> f64 {
    3.0
}

impl IntegritySettings {
    /// Thresholds outside what makes sense are named, so that a policy cannot switch a check
    /// off by accident.
    pub fn check(&self) -> Vec<String> {
        let mut e = Vec::new();
        for (name, v, lo, hi) in [
            ("backfill_days", self.backfill_days, 1, 366),
            ("backfill_batch", self.backfill_batch, 2, 10_000),
            (
                "max_household_visits_per_day",
                self.max_household_visits_per_day,
                1,
                200,
            ),
            ("max_towns_per_day", self.max_towns_per_day, 1, 50),
            (
                "pasted_notes_min_chars",
                self.pasted_notes_min_chars,
                5,
                2000,
            ),
            (
                "pasted_notes_households",
                self.pasted_notes_households,
                2,
                1000,
            ),
        ] {
            if !(lo..=hi).contains(&v) {
                e.push(format!("[integrity] {name}：应在{lo}到{hi}之间"));
            }
        }
        if !(1.0..=100.0).contains(&self.sample_weight) {
            e.push("[integrity] sample_weight：应在1到100之间".into());
        }
        e
    }
}

impl Default for IntegritySettings {
    fn default() -> Self {
        IntegritySettings {
            backfill_days: 30,
            backfill_batch: 20,
            max_household_visits_per_day: 15,
            max_towns_per_day: 2,
            pasted_notes_min_chars: 15,
            pasted_notes_households: 3,
            sample_weight: default_sample_weight(),
        }
    }
}

/// A work record as the checks read it.
#[derive(Clone, Debug)]
pub struct Record {
    pub id: i32,
    pub kind: ActivityKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub people: Vec<i32>,
    pub households: Vec<String>,
    /// The towns its targets lie in.
    pub towns: Vec<String>,
    pub notes: String,
    /// The account that entered it, and the day (none: imported without an author).
    pub author: Option<i32>,
    pub entered_on: Option<NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Backfilled,
    TooManyVisits,
    FarApart,
    OverlappingStays,
    PastedNotes,
    NoAuthor,
    /// A resident's answer on a ledger item recorded by a staff member (代填): the records
    /// are the items.
    AnsweredForResident,
}

impl Check {
    pub fn zh(self) -> &'static str {
        match self {
            Check::Backfilled => "集中补录",
            Check::TooManyVisits => "一天走访户数过多",
            Check::FarApart => "一天到了相距太远的地方",
            Check::OverlappingStays => "住村时间重叠",
            Check::PastedNotes => "多户内容雷同",
            Check::NoAuthor => "导入记录无录入人",
            Check::AnsweredForResident => "群众评价由工作人员代填",
        }
    }
}

/// One flag: what looks wrong, whose, on which day, and the records behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Flag {
    pub check: Check,
    pub person: Option<i32>,
    pub day: Option<NaiveDate>,
    pub records: Vec<i32>,
    pub detail: String,
}

fn is_stay(k: ActivityKind) -> bool {
    matches!(k, ActivityKind::CoLiving | ActivityKind::VillageStay)
}

/// Ledger items whose resident's answer a staff member recorded (代填): one flag listing them.
pub fn answered_for_residents(items: Vec<i32>) -> Option<Flag> {
    (!items.is_empty()).then(|| Flag {
        check: Check::AnsweredForResident,
        person: None,
        day: None,
        detail: format!(
            "{}件事项的群众评价是工作人员代填的，应回访群众本人核实",
            items.len()
        ),
        records: items,
    })
}

/// Every flag the records raise, in a stable order.
pub fn flags(records: &[Record], s: &IntegritySettings) -> Vec<Flag> {
    let mut out = Vec::new();
    // Back-filled in bulk: one account, one day of entry, many records long after their date.
    let mut late: BTreeMap<(i32, NaiveDate), Vec<i32>> = BTreeMap::new();
    for r in records {
        if let (Some(a), Some(on)) = (r.author, r.entered_on)
            && (on - r.end).num_days() > i64::from(s.backfill_days)
        {
            late.entry((a, on)).or_default().push(r.id);
        }
    }
    for ((_, on), ids) in late {
        if ids.len() >= s.backfill_batch as usize {
            out.push(Flag {
                check: Check::Backfilled,
                person: None,
                day: Some(on),
                detail: format!(
                    "同一账号在{on}一天补录{}条{}天以前的记录",
                    ids.len(),
                    s.backfill_days
                ),
                records: ids,
            });
        }
    }
    // One person's day: households visited, towns reached.
    let mut days: BTreeMap<(i32, NaiveDate), Vec<&Record>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.start == r.end) {
        for p in &r.people {
            days.entry((*p, r.start)).or_default().push(r);
        }
    }
    for ((p, day), rs) in &days {
        let visited: BTreeSet<&str> = rs
            .iter()
            .filter(|r| r.kind == ActivityKind::HouseholdVisit)
            .flat_map(|r| r.households.iter().map(String::as_str))
            .collect();
        if visited.len() > s.max_household_visits_per_day as usize {
            out.push(Flag {
                check: Check::TooManyVisits,
                person: Some(*p),
                day: Some(*day),
                records: rs.iter().map(|r| r.id).collect(),
                detail: format!("一天入户走访{}户", visited.len()),
            });
        }
        let towns: BTreeSet<&str> = rs
            .iter()
            .filter(|r| r.kind != ActivityKind::PhoneContact)
            .flat_map(|r| r.towns.iter().map(String::as_str))
            .collect();
        if towns.len() > s.max_towns_per_day as usize {
            out.push(Flag {
                check: Check::FarApart,
                person: Some(*p),
                day: Some(*day),
                records: rs.iter().map(|r| r.id).collect(),
                detail: format!("同一天在{}个乡镇（街道）有实地工作记录", towns.len()),
            });
        }
    }
    // Stays of one person that overlap in different places.
    let mut stays: BTreeMap<i32, Vec<&Record>> = BTreeMap::new();
    for r in records.iter().filter(|r| is_stay(r.kind)) {
        for p in &r.people {
            stays.entry(*p).or_default().push(r);
        }
    }
    for (p, mut rs) in stays {
        rs.sort_by_key(|r| (r.start, r.id));
        for (i, a) in rs.iter().enumerate() {
            for b in rs.iter().skip(i + 1) {
                if b.start > a.end {
                    break;
                }
                if a.towns != b.towns || a.households != b.households {
                    out.push(Flag {
                        check: Check::OverlappingStays,
                        person: Some(p),
                        day: Some(b.start),
                        records: vec![a.id, b.id],
                        detail: format!(
                            "{}至{}与{}至{}的住村记录在不同地方重叠",
                            a.start, a.end, b.start, b.end
                        ),
                    });
                }
            }
        }
    }
    // The same notes, word for word, on many households' records by one author.
    // (author, notes) → the households it names and the records.
    type Pasted<'a> = BTreeMap<(Option<i32>, String), (BTreeSet<&'a str>, Vec<i32>)>;
    let mut notes: Pasted = BTreeMap::new();
    for r in records {
        let n = r.notes.trim();
        if n.chars().count() >= s.pasted_notes_min_chars as usize && !r.households.is_empty() {
            let e = notes.entry((r.author, n.to_string())).or_default();
            e.0.extend(r.households.iter().map(String::as_str));
            e.1.push(r.id);
        }
    }
    for ((_, text), (households, ids)) in notes {
        if households.len() >= s.pasted_notes_households as usize {
            let short: String = text.chars().take(20).collect();
            out.push(Flag {
                check: Check::PastedNotes,
                person: None,
                day: None,
                records: ids,
                detail: format!("{}户的记录内容一字不差：“{short}…”", households.len()),
            });
        }
    }
    // Imported without an author: who entered them is unknown.
    let orphans: Vec<i32> = records
        .iter()
        .filter(|r| r.author.is_none())
        .map(|r| r.id)
        .collect();
    if !orphans.is_empty() {
        out.push(Flag {
            check: Check::NoAuthor,
            person: None,
            day: None,
            detail: format!("{}条记录没有录入人（命令行导入）", orphans.len()),
            records: orphans,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn rec(id: i32, kind: ActivityKind, day: &str, household: &str, town: &str) -> Record {
        Record {
            id,
            kind,
            start: d(day),
            end: d(day),
            people: vec![1],
            households: vec![household.into()],
            towns: vec![town.into()],
            notes: String::new(),
            author: Some(7),
            entered_on: Some(d(day)),
        }
    }

    fn checks(rs: &[Record]) -> Vec<Check> {
        flags(rs, &IntegritySettings::default())
            .into_iter()
            .map(|f| f.check)
            .collect()
    }

    #[test]
    fn back_filling_in_bulk_is_flagged_and_a_day_less_is_not() {
        let s = IntegritySettings::default();
        let mut rs: Vec<Record> = (0..20)
            .map(|i| {
                let mut r = rec(
                    i,
                    ActivityKind::HouseholdVisit,
                    "2026-03-01",
                    &format!("H{i}"),
                    "T1",
                );
                r.start = d("2026-03-01") + chrono::Duration::days(i64::from(i % 10));
                r.end = r.start;
                r.entered_on = Some(d("2026-04-11"));
                r
            })
            .collect();
        // The latest record is 31 days old when entered (> 30): all twenty are back-filled.
        assert_eq!(checks(&rs), [Check::Backfilled]);
        let f = &flags(&rs, &s)[0];
        assert_eq!(f.records.len(), 20);
        // Nineteen back-filled (one entered on time) is below the batch.
        rs[0].entered_on = Some(rs[0].end);
        assert!(checks(&rs).is_empty());
        // Thirty days late is not back-filling.
        for r in &mut rs {
            r.entered_on = Some(r.end + chrono::Duration::days(30));
        }
        assert!(checks(&rs).is_empty());
    }

    #[test]
    fn impossible_days_are_flagged_at_one_over_the_limit() {
        let visits = |n: i32| -> Vec<Record> {
            (0..n)
                .map(|i| {
                    rec(
                        i,
                        ActivityKind::HouseholdVisit,
                        "2026-05-06",
                        &format!("H{i}"),
                        "T1",
                    )
                })
                .collect()
        };
        assert!(checks(&visits(15)).is_empty());
        assert_eq!(checks(&visits(16)), [Check::TooManyVisits]);
        // Two towns a day is possible; three are not. A phone call reaches anywhere.
        let mut rs = vec![
            rec(1, ActivityKind::HouseholdVisit, "2026-05-06", "H1", "T1"),
            rec(2, ActivityKind::FieldVisit, "2026-05-06", "V2", "T2"),
            rec(3, ActivityKind::PhoneContact, "2026-05-06", "H3", "T3"),
        ];
        assert!(checks(&rs).is_empty());
        rs[2].kind = ActivityKind::HouseholdVisit;
        assert_eq!(checks(&rs), [Check::FarApart]);
        // Overlapping stays in two villages; back to back is fine.
        let stay = |id: i32, from: &str, to: &str, v: &str| Record {
            start: d(from),
            end: d(to),
            ..rec(id, ActivityKind::VillageStay, from, v, v)
        };
        let ok = vec![
            stay(1, "2026-06-01", "2026-06-05", "V1"),
            stay(2, "2026-06-06", "2026-06-08", "V2"),
        ];
        assert!(checks(&ok).is_empty());
        let bad = vec![
            stay(1, "2026-06-01", "2026-06-06", "V1"),
            stay(2, "2026-06-06", "2026-06-08", "V2"),
        ];
        assert_eq!(checks(&bad), [Check::OverlappingStays]);
        assert_eq!(
            flags(&bad, &IntegritySettings::default())[0].records,
            [1, 2]
        );
    }

    #[test]
    fn notes_pasted_across_households_and_authorless_records_are_flagged() {
        let note = "了解家庭生产生活情况，宣传惠民政策，征求意见建议";
        let mut rs: Vec<Record> = (0..3)
            .map(|i| {
                let mut r = rec(
                    i,
                    ActivityKind::HouseholdVisit,
                    "2026-05-01",
                    &format!("H{i}"),
                    "T1",
                );
                r.start = d("2026-05-01") + chrono::Duration::days(i64::from(i));
                r.end = r.start;
                r.notes = note.into();
                r
            })
            .collect();
        assert_eq!(checks(&rs), [Check::PastedNotes]);
        // Two households with the same words: not yet.
        rs.pop();
        assert!(checks(&rs).is_empty());
        // Short notes (“走访”) are the same everywhere and say nothing.
        let mut short = rs.clone();
        for r in &mut short {
            r.notes = "入户走访了解情况".into();
        }
        short.push(Record {
            id: 9,
            households: vec!["H9".into()],
            ..short[0].clone()
        });
        assert!(checks(&short).is_empty());
        assert_eq!(answered_for_residents(vec![]), None);
        assert_eq!(
            answered_for_residents(vec![4]).map(|f| f.records),
            Some(vec![4])
        );
        rs[0].author = None;
        let f = flags(&rs, &IntegritySettings::default());
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].check, f[0].records.clone()),
            (Check::NoAuthor, vec![0])
        );
    }

    #[test]
    fn thresholds_that_would_switch_a_check_off_are_named() {
        assert!(IntegritySettings::default().check().is_empty());
        let off = IntegritySettings {
            max_towns_per_day: 0,
            pasted_notes_households: 1,
            sample_weight: 0.5,
            ..IntegritySettings::default()
        };
        let e = off.check();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].contains("max_towns_per_day") && e[0].contains("1到50"),
            "{e:?}"
        );
    }
}
