//! The rule engine: one evaluation of the policy over the year's facts, for any as-of date.
//! Every rule of the policy gives rows per subject, period (and target where it is judged per
//! target): met, unmet, or pending with what is still missing. No database here; time is an
//! argument.

use crate::domain::labels::{ActivityKind, LinkKind, RegionLevel, Role, UnitKind, UnitTag};
use crate::domain::policy::{CountedBy, Measure, Policy, Rule};
use chrono::{Datelike, Duration, NaiveDate};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
pub struct PersonFact {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub unit: String,
    /// The region the person works in (a town leader's town).
    pub region: Option<String>,
    /// Responsible area 责任片区: group or village codes.
    pub areas: Vec<String>,
    /// The party branch the person belongs to.
    pub branch: Option<String>,
    /// The first day of the current term of office 任期开始 (DY-3, CG-3).
    pub term_start: Option<NaiveDate>,
}

/// A record of an earlier year by someone whose term reaches back into it: who, what kind,
/// its first day and one of its targets (one per target).
#[derive(Clone, Debug)]
pub struct EarlierVisit {
    pub person: i32,
    pub kind: ActivityKind,
    pub day: NaiveDate,
    pub target: String,
}

#[derive(Clone, Debug)]
pub struct UnitFact {
    pub code: String,
    pub name: String,
    pub kind: Option<UnitKind>,
    pub tags: Vec<UnitTag>,
}

#[derive(Clone, Debug)]
pub struct RegionFact {
    pub code: String,
    pub name: String,
    pub level: Option<RegionLevel>,
    /// `/county/town/…/code/`: which declared periods reach it.
    pub path: String,
}

#[derive(Clone, Debug)]
pub struct LinkFact {
    pub person: Option<i32>,
    pub unit: Option<String>,
    pub kind: LinkKind,
    pub target: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// A grassroots posting's front line, report day and whether it has its assessment.
    pub front_line: Option<String>,
    pub report_on: Option<NaiveDate>,
    pub assessed: bool,
}

#[derive(Clone, Debug)]
pub struct ActivityFact {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub kind: ActivityKind,
    pub hours: f64,
    /// Companions 随员 (LXD-12), when recorded.
    pub companions: Option<i32>,
    pub participants: Vec<i32>,
    pub targets: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct HouseholdFact {
    pub code: String,
    /// Its own region (a group or the village).
    pub region: String,
    /// The village or community it belongs to (its group's village).
    pub village: String,
    /// What its basic-information form holds: members, living and production situation,
    /// income sources (LH-4).
    pub has_members: bool,
    pub has_situation: bool,
    pub has_income: bool,
}

/// A ledger item as the rules read it.
#[derive(Clone, Debug)]
pub struct ItemFact {
    pub id: i32,
    pub source: crate::domain::labels::ItemSource,
    /// item, petition or hotline.
    pub clock: String,
    /// The village (or community) it belongs to.
    pub village: String,
    pub household: Option<String>,
    pub status: String,
    pub owner: Option<i32>,
    pub case_owner: Option<i32>,
    /// Where it stands: village, town or county.
    pub level: String,
    pub registered_on: NaiveDate,
    pub deadline: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub answered: bool,
    pub overdue_reason: bool,
    pub supervised: bool,
    /// How many of the five guarantees are recorded.
    pub guarantees: u8,
}

/// Everything the rules read for one year.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub households: Vec<HouseholdFact>,
    pub people: Vec<PersonFact>,
    pub units: Vec<UnitFact>,
    pub regions: Vec<RegionFact>,
    pub links: Vec<LinkFact>,
    pub activities: Vec<ActivityFact>,
    pub items: Vec<ItemFact>,
    /// Records before the year by people with a term of office, back to its start.
    pub earlier: Vec<EarlierVisit>,
    pub calendar: crate::domain::calendar::Calendar,
    /// Evaluate for this person only (the person page): no other subjects.
    pub only_person: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Unmet,
    Pending,
}

/// One row of the compliance report (FORMATS.md).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    pub rule: String,
    pub subject_kind: &'static str,
    pub subject_code: String,
    pub subject_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_code: Option<String>,
    pub period: String,
    pub status: Status,
    pub actual: f64,
    pub required: f64,
    pub detail: String,
    /// `Some(false)` on a pending row that can no longer be met in the days left of its period
    /// (118 days owed with 30 left); left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachable: Option<bool>,
}

/// A rule the engine cannot measure yet, and why.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Unmeasured {
    pub rule: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub year: i32,
    pub as_of: NaiveDate,
    pub policy: String,
    pub results: Vec<Outcome>,
    /// Rules of the policy that no module measures yet (not silently dropped).
    pub unmeasured: Vec<Unmeasured>,
    /// What the reader should know about this evaluation (a calendar year not yet entered).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A period of a rule: its label as FORMATS.md writes it, and its first and last day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn month_end(y: i32, m: u32) -> NaiveDate {
    if m == 12 {
        ymd(y, 12, 31)
    } else {
        ymd(y, m + 1, 1) - Duration::days(1)
    }
}

/// The periods of a year that have begun by `as_of` (all of them for a past year).
pub fn periods(kind: &str, year: i32, as_of: NaiveDate) -> Vec<Period> {
    let all: Vec<Period> = match kind {
        "half" => vec![
            Period {
                label: format!("{year}-H1"),
                start: ymd(year, 1, 1),
                end: ymd(year, 6, 30),
            },
            Period {
                label: format!("{year}-H2"),
                start: ymd(year, 7, 1),
                end: ymd(year, 12, 31),
            },
        ],
        "quarter" => (0..4)
            .map(|q| Period {
                label: format!("{year}-Q{}", q + 1),
                start: ymd(year, q * 3 + 1, 1),
                end: month_end(year, q * 3 + 3),
            })
            .collect(),
        "month" => (1..=12)
            .map(|m| Period {
                label: format!("{year}-{m:02}"),
                start: ymd(year, m, 1),
                end: month_end(year, m),
            })
            .collect(),
        "week" => {
            // ISO weeks whose Thursday falls in the year.
            let mut out = Vec::new();
            let mut d = ymd(year, 1, 1);
            while d.weekday() != chrono::Weekday::Mon {
                d -= Duration::days(1);
            }
            while d <= ymd(year, 12, 31) {
                let w = d.iso_week();
                if w.year() == year {
                    out.push(Period {
                        label: format!("{year}-W{:02}", w.week()),
                        start: d,
                        end: d + Duration::days(6),
                    });
                }
                d += Duration::days(7);
            }
            out
        }
        _ => vec![Period {
            label: year.to_string(),
            start: ymd(year, 1, 1),
            end: ymd(year, 12, 31),
        }],
    };
    all.into_iter().filter(|p| p.start <= as_of).collect()
}

fn status(
    actual: f64,
    required: f64,
    max: Option<f64>,
    period: &Period,
    as_of: NaiveDate,
) -> Status {
    let over = max.is_some_and(|m| actual > m);
    if actual >= required && !over {
        Status::Met
    } else if period.end > as_of && !over {
        Status::Pending
    } else {
        Status::Unmet
    }
}

/// Who a rule binds, as (kind, code, name, person id if a person).
struct Subject<'a> {
    kind: &'static str,
    code: &'a str,
    name: &'a str,
    person: Option<i32>,
    /// A region subject's path.
    path: Option<&'a str>,
}

fn subjects<'a>(
    rule: &Rule,
    facts: &'a Facts,
    linked: &HashSet<(i32, LinkKind)>,
) -> Vec<Subject<'a>> {
    let w = &rule.who;
    let mut out = Vec::new();
    if !w.roles.is_empty() || !w.link_kinds.is_empty() {
        for p in &facts.people {
            if facts.only_person.is_some_and(|only| only != p.id) {
                continue;
            }
            // Every condition named must hold: a village cadre *with* a hardship pairing.
            let by_role = w.roles.is_empty() || p.roles.iter().any(|r| w.roles.contains(r));
            let by_link = w.link_kinds.is_empty()
                || w.link_kinds.iter().any(|k| linked.contains(&(p.id, *k)));
            if by_role && by_link {
                out.push(Subject {
                    kind: "person",
                    code: &p.code,
                    name: &p.name,
                    person: Some(p.id),
                    path: None,
                });
            }
        }
    }
    if facts.only_person.is_some() {
        return out;
    }
    if !w.unit_kinds.is_empty() || !w.unit_tags.is_empty() {
        for u in &facts.units {
            let by_kind = u.kind.is_some_and(|k| w.unit_kinds.contains(&k));
            let by_tag = u.tags.iter().any(|t| w.unit_tags.contains(t));
            if by_kind || by_tag {
                out.push(Subject {
                    kind: "unit",
                    code: &u.code,
                    name: &u.name,
                    person: None,
                    path: None,
                });
            }
        }
    }
    if !w.region_levels.is_empty() {
        for r in &facts.regions {
            if r.level.is_some_and(|l| w.region_levels.contains(&l)) {
                out.push(Subject {
                    kind: "region",
                    code: &r.code,
                    name: &r.name,
                    person: None,
                    path: Some(&r.path),
                });
            }
        }
    }
    out
}

/// Indexes built once per evaluation.
struct Index<'a> {
    by_person: HashMap<i32, Vec<&'a ActivityFact>>,
    by_target: HashMap<&'a str, Vec<&'a ActivityFact>>,
    unit_people: HashMap<&'a str, Vec<i32>>,
    links_of_person: HashMap<i32, Vec<&'a LinkFact>>,
    links_of_unit: HashMap<&'a str, Vec<&'a LinkFact>>,
}

impl<'a> Index<'a> {
    fn new(f: &'a Facts) -> Index<'a> {
        let mut by_person: HashMap<i32, Vec<&ActivityFact>> = HashMap::default();
        let mut by_target: HashMap<&str, Vec<&ActivityFact>> = HashMap::default();
        for a in &f.activities {
            for p in &a.participants {
                by_person.entry(*p).or_default().push(a);
            }
            for t in &a.targets {
                by_target.entry(t.as_str()).or_default().push(a);
            }
        }
        let mut unit_people: HashMap<&str, Vec<i32>> = HashMap::default();
        for p in &f.people {
            unit_people.entry(p.unit.as_str()).or_default().push(p.id);
        }
        let mut links_of_person: HashMap<i32, Vec<&LinkFact>> = HashMap::default();
        let mut links_of_unit: HashMap<&str, Vec<&LinkFact>> = HashMap::default();
        for l in &f.links {
            if let Some(p) = l.person {
                links_of_person.entry(p).or_default().push(l);
            }
            if let Some(u) = &l.unit {
                links_of_unit.entry(u.as_str()).or_default().push(l);
            }
        }
        Index {
            by_person,
            by_target,
            unit_people,
            links_of_person,
            links_of_unit,
        }
    }

    /// The records that count for a subject under a rule.
    fn records(&self, s: &Subject, by: CountedBy) -> Vec<&'a ActivityFact> {
        match (s.person, by) {
            (Some(p), _) => self.by_person.get(&p).cloned().unwrap_or_default(),
            (None, CountedBy::Target) => self.by_target.get(s.code).cloned().unwrap_or_default(),
            (None, CountedBy::Participant) => {
                let mut seen = HashSet::default();
                let mut out = Vec::new();
                for p in self.unit_people.get(s.code).into_iter().flatten() {
                    for a in self.by_person.get(p).into_iter().flatten() {
                        if seen.insert(*a as *const ActivityFact) {
                            out.push(*a);
                        }
                    }
                }
                out
            }
        }
    }

    fn links(&self, s: &Subject) -> Vec<&'a LinkFact> {
        match s.person {
            Some(p) => self.links_of_person.get(&p).cloned().unwrap_or_default(),
            None => self.links_of_unit.get(s.code).cloned().unwrap_or_default(),
        }
    }
}

fn in_period(a: &ActivityFact, p: &Period) -> bool {
    a.start <= p.end && a.end >= p.start
}

/// Days of the period a set of records covers (a record counts on each day it spans).
fn days(records: &[&ActivityFact], p: &Period) -> BTreeSet<NaiveDate> {
    let mut out = BTreeSet::new();
    for a in records.iter().filter(|a| in_period(a, p)) {
        let mut d = a.start.max(p.start);
        let end = a.end.min(p.end);
        while d <= end {
            out.insert(d);
            d += Duration::days(1);
        }
    }
    out
}

fn longest_run(days: &BTreeSet<NaiveDate>) -> u32 {
    let (mut best, mut run, mut prev): (u32, u32, Option<NaiveDate>) = (0, 0, None);
    for d in days {
        run = if prev.is_some_and(|p| *d == p + Duration::days(1)) {
            run + 1
        } else {
            1
        };
        best = best.max(run);
        prev = Some(*d);
    }
    best
}

fn period_zh(p: &Period) -> String {
    let l = &p.label;
    if let Some(h) = l.strip_suffix("-H1") {
        format!("{h}年上半年")
    } else if let Some(h) = l.strip_suffix("-H2") {
        format!("{h}年下半年")
    } else if l.contains("-Q") {
        l.replace("-Q", "年第") + "季度"
    } else if l.contains("-W") {
        l.replace("-W", "年第") + "周"
    } else if l.len() == 7 {
        format!("{}年{}月", &l[..4], l[5..].trim_start_matches('0'))
    } else {
        format!("{l}年")
    }
}

fn kinds_zh(k: &[ActivityKind]) -> String {
    k.iter().map(|k| k.zh()).collect::<Vec<_>>().join("或")
}

/// Evaluates every rule of the policy for a year as of a day.
/// One row per ledger item registered in `year` up to `as_of`, for the item rules (TZ-2, TZ-4,
/// XF-1, XF-9, XF-10, RX-1, LH-5, CG-9). An item's own deadline decides between pending and
/// unmet.
#[allow(clippy::too_many_arguments)]
fn item_outcomes(
    rule: &Rule,
    check: crate::domain::policy::ItemCheck,
    clocks: &[String],
    sources: &[crate::domain::labels::ItemSource],
    by: crate::domain::policy::ItemSubject,
    facts: &Facts,
    year: i32,
    as_of: NaiveDate,
) -> Vec<Outcome> {
    use crate::domain::policy::{ItemCheck as C, ItemSubject};
    let people: HashMap<i32, &PersonFact> = facts.people.iter().map(|p| (p.id, p)).collect();
    let regions: HashMap<&str, &RegionFact> =
        facts.regions.iter().map(|r| (r.code.as_str(), r)).collect();
    let mut out = Vec::new();
    for i in &facts.items {
        if i.registered_on.year() != year
            || i.registered_on > as_of
            || (!clocks.is_empty() && !clocks.contains(&i.clock))
            || (!sources.is_empty() && !sources.contains(&i.source))
        {
            continue;
        }
        let (kind, code, name) = match by {
            ItemSubject::Village => (
                "region",
                i.village.clone(),
                regions
                    .get(i.village.as_str())
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
            ),
            ItemSubject::Owner | ItemSubject::CaseOwner => {
                let who = if by == ItemSubject::Owner {
                    i.owner
                } else {
                    i.case_owner
                };
                match who.and_then(|p| people.get(&p)) {
                    Some(p) => ("person", p.code.clone(), p.name.clone()),
                    // An item without its owner (or a case without its leader) binds no one yet;
                    // TZ-2 reports the missing owner.
                    None => continue,
                }
            }
        };
        let late = i.deadline.is_some_and(|d| as_of > d);
        let done = i.resolved_on.is_some() || matches!(i.status.as_str(), "fed_back" | "closed");
        let (status, actual, required, detail) = match check {
            C::OwnerAndDeadline => {
                let missing: Vec<&str> = [
                    (i.owner.is_none(), "责任人"),
                    (i.deadline.is_none(), "办理期限"),
                ]
                .iter()
                .filter(|(m, _)| *m)
                .map(|(_, w)| *w)
                .collect();
                let n = 2 - missing.len();
                match (missing.is_empty(), late || done) {
                    (true, _) => (Status::Met, n, 2, String::new()),
                    (false, false) => (
                        Status::Pending,
                        n,
                        2,
                        format!("尚未确定{}", missing.join("和")),
                    ),
                    (false, true) => (Status::Unmet, n, 2, format!("没有{}", missing.join("和"))),
                }
            }
            C::AssignedAndAnswered | C::AnsweredInTime => {
                let in_time = i
                    .resolved_on
                    .is_some_and(|r| i.deadline.is_none_or(|d| r <= d));
                let assigned = check == C::AnsweredInTime || i.owner.is_some();
                match (in_time && assigned, done, late) {
                    (true, _, _) => (Status::Met, 1, 1, String::new()),
                    (false, true, _) if !assigned => {
                        (Status::Unmet, 0, 1, "办结前未交办责任人".into())
                    }
                    (false, true, _) => (
                        Status::Unmet,
                        0,
                        1,
                        format!(
                            "{}办结，超过期限{}",
                            i.resolved_on.map(|d| d.to_string()).unwrap_or_default(),
                            i.deadline.map(|d| d.to_string()).unwrap_or_default()
                        ),
                    ),
                    (false, false, true) => (
                        Status::Unmet,
                        0,
                        1,
                        format!(
                            "已过期限{}仍未答复",
                            i.deadline.map(|d| d.to_string()).unwrap_or_default()
                        ),
                    ),
                    (false, false, false) => (
                        Status::Pending,
                        0,
                        1,
                        format!(
                            "{}前答复",
                            i.deadline.map(|d| d.to_string()).unwrap_or_default()
                        ),
                    ),
                }
            }
            C::ClosedOrSupervised => {
                if i.status == "closed" {
                    (Status::Met, 1, 1, String::new())
                } else if done || !late {
                    (Status::Pending, 0, 1, "尚未销号".into())
                } else if i.overdue_reason && i.supervised {
                    (Status::Pending, 0, 1, "已逾期，已记录原因并督办".into())
                } else {
                    let missing: Vec<&str> = [
                        (!i.overdue_reason, "未记录逾期原因"),
                        (!i.supervised, "未督办"),
                    ]
                    .iter()
                    .filter(|(m, _)| *m)
                    .map(|(_, w)| *w)
                    .collect();
                    (
                        Status::Unmet,
                        0,
                        1,
                        format!("已逾期，{}", missing.join("、")),
                    )
                }
            }
            C::FedBack => {
                if i.answered {
                    (Status::Met, 1, 1, String::new())
                } else if !late {
                    (Status::Pending, 0, 1, "办结后向群众反馈".into())
                } else {
                    (Status::Unmet, 0, 1, "已过期限，办理结果未反馈群众".into())
                }
            }
            C::OnHouseholdPage => {
                if i.household.is_some() {
                    (Status::Met, 1, 1, String::new())
                } else {
                    (Status::Unmet, 0, 1, "未关联到户，无法记入户页".into())
                }
            }
            C::EscalatedWhenOverdue => {
                let in_time = i
                    .resolved_on
                    .is_some_and(|r| i.deadline.is_none_or(|d| r <= d));
                let at = |l: &str| match l {
                    "county" => "县民情处理中心",
                    "town" => "镇民情处理站",
                    _ => "村",
                };
                if in_time || i.level == "county" {
                    (Status::Met, 1, 1, String::new())
                } else if !late && !done {
                    (Status::Pending, 0, 1, String::new())
                } else {
                    let up = if i.level == "town" { "县" } else { "镇" };
                    (
                        Status::Unmet,
                        0,
                        1,
                        format!("期限内未办结，仍在{}，应上报{up}", at(&i.level)),
                    )
                }
            }
            C::FiveGuarantees => {
                if i.case_owner.is_none() {
                    continue;
                }
                let n = i.guarantees as usize;
                if n >= 5 {
                    (Status::Met, n, 5, String::new())
                } else if i.status == "closed" || late {
                    (Status::Unmet, n, 5, format!("五包还有{}项未记录", 5 - n))
                } else {
                    (Status::Pending, n, 5, format!("五包还有{}项未记录", 5 - n))
                }
            }
        };
        out.push(Outcome {
            reachable: None,
            rule: rule.id.clone(),
            subject_kind: kind,
            subject_code: code,
            subject_name: name,
            target_code: Some(match &i.household {
                Some(h) => format!("{h}#{}", i.id),
                None => format!("#{}", i.id),
            }),
            period: year.to_string(),
            status,
            actual: actual as f64,
            required: required as f64,
            detail,
        });
    }
    out
}

/// Evaluates the rules on up to four threads (the county's evaluation: one person's is too
/// small to be worth it), keeping the policy's order of rules in the rows.
fn in_parallel<F>(rules: &[Rule], parallel: bool, one_rule: F) -> (Vec<Outcome>, Vec<Unmeasured>)
where
    F: Fn(&Rule) -> (Vec<Outcome>, Vec<Unmeasured>) + Sync,
{
    let threads = if parallel {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    } else {
        1
    };
    let mut parts: Vec<(usize, (Vec<Outcome>, Vec<Unmeasured>))> = if threads > 1 {
        // Rules dealt round-robin so that each thread gets a mix of heavy and light ones.
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..threads)
                .map(|t| {
                    let one_rule = &one_rule;
                    scope.spawn(move || {
                        (t..rules.len())
                            .step_by(threads)
                            .map(|i| (i, one_rule(&rules[i])))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut parts: Vec<_> = (0..rules.len())
                .step_by(threads)
                .map(|i| (i, one_rule(&rules[i])))
                .collect();
            for h in handles {
                // A rule that panicked is a bug: it must not leave a report with rows missing.
                match h.join() {
                    Ok(more) => parts.extend(more),
                    Err(e) => std::panic::resume_unwind(e),
                }
            }
            parts
        })
    } else {
        rules.iter().map(&one_rule).enumerate().collect()
    };
    parts.sort_by_key(|(i, _)| *i);
    let mut results = Vec::new();
    let mut unmeasured = Vec::new();
    for (_, (r, u)) in parts {
        results.extend(r);
        unmeasured.extend(u);
    }
    (results, unmeasured)
}

pub fn evaluate(policy: &Policy, facts: &Facts, year: i32, as_of: NaiveDate) -> Report {
    let ix = Index::new(facts);
    let linked: HashSet<(i32, LinkKind)> = facts
        .links
        .iter()
        .filter_map(|l| Some((l.person?, l.kind)))
        .collect();
    // For the coverage rules, built once: places, people, each household's village, each
    // branch's members, each place's households.
    let cover = {
        let regions: HashMap<&str, &RegionFact> =
            facts.regions.iter().map(|r| (r.code.as_str(), r)).collect();
        let people: HashMap<i32, &PersonFact> = facts.people.iter().map(|p| (p.id, p)).collect();
        // Built once per rule: a household's village, and the households of each place.
        let village_of_household: HashMap<&str, &str> = facts
            .households
            .iter()
            .map(|h| (h.code.as_str(), h.village.as_str()))
            .collect();
        let mut members_of: HashMap<&str, Vec<&PersonFact>> = HashMap::default();
        for p in &facts.people {
            if let Some(b) = p.branch.as_deref() {
                members_of.entry(b).or_default().push(p);
            }
        }
        let mut households_at: HashMap<&str, Vec<&str>> = HashMap::default();
        for h in &facts.households {
            households_at
                .entry(h.village.as_str())
                .or_default()
                .push(&h.code);
            if h.region != h.village {
                households_at
                    .entry(h.region.as_str())
                    .or_default()
                    .push(&h.code);
            }
        }
        (
            regions,
            people,
            village_of_household,
            members_of,
            households_at,
        )
    };
    // One rule's rows (or the reason it is not measured). Rules are independent: they share
    // only the read-only indexes above.
    let one_rule = |rule: &Rule| -> (Vec<Outcome>, Vec<Unmeasured>) {
        let mut results = Vec::new();
        let mut unmeasured = Vec::new();
        let period_kind = rule.period.as_deref().unwrap_or("year");
        let ps = periods(period_kind, year, as_of);
        let push = |results: &mut Vec<Outcome>,
                    s: &Subject,
                    target: Option<String>,
                    p: &Period,
                    actual: f64,
                    required: f64,
                    max: Option<f64>,
                    detail: String| {
            let st = status(actual, required, max, p, as_of);
            results.push(Outcome {
                reachable: None,
                rule: rule.id.clone(),
                subject_kind: s.kind,
                subject_code: s.code.to_string(),
                subject_name: s.name.to_string(),
                target_code: target,
                period: p.label.clone(),
                status: st,
                actual,
                required,
                detail: if st == Status::Met {
                    String::new()
                } else {
                    detail
                },
            });
        };
        match &rule.measure {
            Measure::Unmeasured { reason } => unmeasured.push(Unmeasured {
                rule: rule.id.clone(),
                reason: reason.clone(),
            }),
            Measure::Companions {
                activity_kinds,
                max_companions,
            } => {
                for s in subjects(rule, facts, &linked) {
                    let places: HashSet<&str> = ix
                        .links(&s)
                        .iter()
                        .filter(|l| rule.who.link_kinds.contains(&l.kind))
                        .map(|l| l.target.as_str())
                        .collect();
                    for a in ix.records(&s, CountedBy::Participant) {
                        if !activity_kinds.contains(&a.kind)
                            || a.start.year() != year
                            || a.start > as_of
                        {
                            continue;
                        }
                        let (Some(n), Some(t)) = (
                            a.companions,
                            a.targets.iter().find(|t| places.contains(t.as_str())),
                        ) else {
                            continue;
                        };
                        let day = Period {
                            label: a.start.to_string(),
                            start: a.start,
                            end: a.start,
                        };
                        push(
                            &mut results,
                            &s,
                            Some(t.clone()),
                            &day,
                            f64::from(n),
                            0.0,
                            Some(f64::from(*max_companions)),
                            format!("随行{n}人，超过{max_companions}人"),
                        );
                    }
                }
            }
            Measure::Covers {
                activity_kinds,
                of,
                share,
                each,
                term,
                term_years,
            } => {
                use crate::domain::policy::{CoverSet, TermSpan};
                let (regions, people, village_of_household, members_of, households_at) = &cover;
                let mut earlier_of: HashMap<i32, Vec<&EarlierVisit>> = HashMap::default();
                if term.is_some() {
                    for e in facts
                        .earlier
                        .iter()
                        .filter(|e| activity_kinds.contains(&e.kind))
                    {
                        earlier_of.entry(e.person).or_default().push(e);
                    }
                }
                for s in subjects(rule, facts, &linked) {
                    let Some(me) = s.person.and_then(|p| people.get(&p)) else {
                        continue;
                    };
                    // The set, as (code, name) and how a record's target reaches it.
                    let set: Vec<(String, String)> = match of {
                        CoverSet::VillagesOfOwnRegion => {
                            let Some(own) = me.region.as_deref() else {
                                continue;
                            };
                            let mark = format!("/{own}/");
                            facts
                                .regions
                                .iter()
                                .filter(|r| {
                                    matches!(
                                        r.level,
                                        Some(RegionLevel::Village | RegionLevel::Community)
                                    ) && r.path.contains(&mark)
                                })
                                .map(|r| (r.code.clone(), r.name.clone()))
                                .collect()
                        }
                        CoverSet::MembersOfOwnBranch => {
                            let Some(branch) = me.branch.as_deref() else {
                                continue;
                            };
                            members_of
                                .get(branch)
                                .into_iter()
                                .flatten()
                                .filter(|p| p.id != me.id)
                                .map(|p| (p.code.clone(), p.name.clone()))
                                .collect()
                        }
                        CoverSet::HouseholdsOfOwnRegion => {
                            let Some(own) = me.region.as_deref() else {
                                continue;
                            };
                            households_at
                                .get(own)
                                .into_iter()
                                .flatten()
                                .map(|h| (h.to_string(), h.to_string()))
                                .collect()
                        }
                        CoverSet::HouseholdsOfLinkedPlaces | CoverSet::HouseholdsOfOwnArea => {
                            let places: HashSet<&str> = if *of == CoverSet::HouseholdsOfOwnArea {
                                me.areas.iter().map(String::as_str).collect()
                            } else {
                                ix.links(&s)
                                    .iter()
                                    .filter(|l| rule.who.link_kinds.contains(&l.kind))
                                    .map(|l| l.target.as_str())
                                    .collect()
                            };
                            let mut set: Vec<(String, String)> = places
                                .iter()
                                .flat_map(|p| households_at.get(p).into_iter().flatten())
                                .map(|h| (h.to_string(), h.to_string()))
                                .collect();
                            set.sort();
                            set.dedup();
                            set
                        }
                    };
                    if set.is_empty() {
                        continue;
                    }
                    let wanted: HashSet<&str> = set.iter().map(|(c, _)| c.as_str()).collect();
                    // A record's target reaches a village directly, through a household of it,
                    // or through a group under it.
                    let reach = |t: &str| -> Option<String> {
                        if wanted.contains(t) {
                            return Some(t.to_string());
                        }
                        if *of != CoverSet::VillagesOfOwnRegion {
                            return None;
                        }
                        if let Some(v) = village_of_household.get(t) {
                            return wanted.contains(v).then(|| v.to_string());
                        }
                        let r = regions.get(t)?;
                        wanted
                            .iter()
                            .find(|v| r.path.contains(&format!("/{v}/")))
                            .map(|v| v.to_string())
                    };
                    let recs: Vec<&ActivityFact> = ix
                        .records(&s, CountedBy::Participant)
                        .into_iter()
                        .filter(|a| activity_kinds.contains(&a.kind))
                        .collect();
                    // The rule's periods, or the part of the term of office this year sees.
                    let judged: Vec<(Period, String)> = match term {
                        None => ps.iter().map(|p| (p.clone(), period_zh(p))).collect(),
                        Some(span) => {
                            let year_period = Period {
                                label: year.to_string(),
                                start: ymd(year, 1, 1),
                                end: ymd(year, 12, 31),
                            };
                            let Some(start) = me.term_start else {
                                push(
                                    &mut results,
                                    &s,
                                    None,
                                    &year_period,
                                    0.0,
                                    1.0,
                                    None,
                                    "未登记任期开始日期，无法计算任期内走访".into(),
                                );
                                continue;
                            };
                            let years = match span {
                                TermSpan::FirstYear => 1,
                                TermSpan::Whole => *term_years,
                            };
                            let end = start
                                .checked_add_months(chrono::Months::new(12 * years))
                                .map_or(start, |d| d - Duration::days(1));
                            if start > as_of || start > year_period.end || end < year_period.start {
                                continue;
                            }
                            let name = match span {
                                TermSpan::FirstYear => "任期首年",
                                TermSpan::Whole => "任期",
                            };
                            vec![(
                                Period {
                                    label: year.to_string(),
                                    start,
                                    end,
                                },
                                format!("{name}（{start}至{end}）"),
                            )]
                        }
                    };
                    for (p, when) in &judged {
                        // Records per member of the set (a record reaching one twice counts once).
                        let mut seen: HashMap<String, u32> = HashMap::default();
                        for a in recs.iter().filter(|a| in_period(a, p)) {
                            let reached: HashSet<String> =
                                a.targets.iter().filter_map(|t| reach(t)).collect();
                            for r in reached {
                                *seen.entry(r).or_default() += 1;
                            }
                        }
                        for e in earlier_of.get(&me.id).into_iter().flatten() {
                            if p.start <= e.day && e.day <= p.end {
                                if let Some(r) = reach(&e.target) {
                                    *seen.entry(r).or_default() += 1;
                                }
                            }
                        }
                        let covered: HashSet<String> = seen
                            .into_iter()
                            .filter(|(_, n)| *n >= *each)
                            .map(|(c, _)| c)
                            .collect();
                        let required = (share * set.len() as f64 - 1e-9).ceil().max(1.0);
                        let missing: Vec<&str> = set
                            .iter()
                            .filter(|(c, _)| !covered.contains(c))
                            .map(|(_, n)| n.as_str())
                            .take(5)
                            .collect();
                        let left = (required - covered.len() as f64).max(0.0);
                        let unit = match of {
                            CoverSet::VillagesOfOwnRegion => "个村（社区）",
                            CoverSet::MembersOfOwnBranch => "人",
                            _ => "户",
                        };
                        let detail = format!(
                            "{}还差{}{}{}{}",
                            when,
                            left,
                            unit,
                            if *each > 1 {
                                format!("（每{unit}{}{}次）", kinds_zh(activity_kinds), each)
                            } else {
                                String::new()
                            },
                            if missing.is_empty() {
                                String::new()
                            } else {
                                format!("，未达到：{}", missing.join("、"))
                            }
                        );
                        push(
                            &mut results,
                            &s,
                            None,
                            p,
                            covered.len() as f64,
                            required,
                            None,
                            detail,
                        );
                    }
                }
            }
            Measure::Items {
                check,
                clocks,
                sources,
                by,
            } => results.extend(item_outcomes(
                rule, *check, clocks, sources, *by, facts, year, as_of,
            )),
            Measure::Count {
                activity_kinds,
                min,
                max,
                by,
            } => {
                for s in subjects(rule, facts, &linked) {
                    let recs: Vec<&ActivityFact> = ix
                        .records(&s, *by)
                        .into_iter()
                        .filter(|a| activity_kinds.contains(&a.kind))
                        .collect();
                    for p in &ps {
                        let n = recs.iter().filter(|a| in_period(a, p)).count() as f64;
                        let detail = if max.is_some_and(|m| n > m as f64) {
                            format!(
                                "{}{}共{}次，超过{}次",
                                period_zh(p),
                                kinds_zh(activity_kinds),
                                n,
                                max.unwrap_or(0)
                            )
                        } else {
                            format!(
                                "{}还需{}{}次",
                                period_zh(p),
                                kinds_zh(activity_kinds),
                                *min as f64 - n
                            )
                        };
                        push(
                            &mut results,
                            &s,
                            None,
                            p,
                            n,
                            *min as f64,
                            max.map(f64::from),
                            detail,
                        );
                    }
                }
            }
            Measure::Days {
                activity_kinds,
                min,
            }
            | Measure::Run {
                activity_kinds,
                min,
            } => {
                let run = matches!(rule.measure, Measure::Run { .. });
                for s in subjects(rule, facts, &linked) {
                    let recs: Vec<&ActivityFact> = ix
                        .records(&s, CountedBy::Participant)
                        .into_iter()
                        .filter(|a| activity_kinds.contains(&a.kind))
                        .collect();
                    for p in &ps {
                        let d = days(&recs, p);
                        let n = if run { longest_run(&d) } else { d.len() as u32 } as f64;
                        let detail = if run {
                            format!("{}最长连续{}天，需连续{}天", period_zh(p), n, min)
                        } else {
                            format!("{}已{}天，还需{}天", period_zh(p), n, *min as f64 - n)
                        };
                        push(&mut results, &s, None, p, n, *min as f64, None, detail);
                    }
                }
            }
            Measure::OnDates {
                activity_kinds,
                dates,
                min,
                by,
            } => {
                for s in subjects(rule, facts, &linked) {
                    let recs: Vec<&ActivityFact> = ix
                        .records(&s, *by)
                        .into_iter()
                        .filter(|a| activity_kinds.contains(&a.kind))
                        .collect();
                    for p in &ps {
                        let wanted = facts.calendar.dates_at(*dates, p.start, p.end, s.path);
                        // A month without a declared period: the rule does not apply in it.
                        if wanted.is_empty() {
                            continue;
                        }
                        let done = days(&recs, p);
                        let hit = wanted.iter().filter(|d| done.contains(d)).count() as f64;
                        let required = min.map(f64::from).unwrap_or(wanted.len() as f64);
                        let missed: Vec<String> = wanted
                            .iter()
                            .filter(|d| **d <= as_of && !done.contains(d))
                            .take(5)
                            .map(|d| d.format("%-m月%-d日").to_string())
                            .collect();
                        let detail = if let Some(m) = min {
                            format!(
                                "{}{}须有{}{m}天，已有{hit}天",
                                period_zh(p),
                                dates.zh(),
                                kinds_zh(activity_kinds)
                            )
                        } else if missed.is_empty() {
                            format!(
                                "{}{}须有{}",
                                period_zh(p),
                                dates.zh(),
                                kinds_zh(activity_kinds)
                            )
                        } else {
                            format!(
                                "{}{}须有{}，缺：{}",
                                period_zh(p),
                                dates.zh(),
                                kinds_zh(activity_kinds),
                                missed.join("、")
                            )
                        };
                        // Once the last of its dates has passed, the period cannot be met later
                        // (BF-5's season ends in February or March).
                        let over = wanted.last().is_some_and(|last| *last < as_of);
                        let judged_on = Period {
                            end: if over { as_of } else { p.end },
                            ..p.clone()
                        };
                        push(
                            &mut results,
                            &s,
                            None,
                            &judged_on,
                            hit,
                            required,
                            None,
                            detail,
                        );
                    }
                }
            }
            Measure::Hours {
                activity_kinds,
                min,
            } => {
                for s in subjects(rule, facts, &linked) {
                    let recs: Vec<&ActivityFact> = ix
                        .records(&s, CountedBy::Participant)
                        .into_iter()
                        .filter(|a| activity_kinds.contains(&a.kind))
                        .collect();
                    for p in &ps {
                        let h: f64 = recs
                            .iter()
                            .filter(|a| in_period(a, p))
                            .map(|a| a.hours)
                            .sum();
                        push(
                            &mut results,
                            &s,
                            None,
                            p,
                            h,
                            *min,
                            None,
                            format!("{}已{:.1}小时，还需{:.1}小时", period_zh(p), h, min - h),
                        );
                    }
                }
            }
            Measure::DistinctTargets {
                activity_kinds,
                min,
            } => {
                for s in subjects(rule, facts, &linked) {
                    let recs: Vec<&ActivityFact> = ix
                        .records(&s, CountedBy::Participant)
                        .into_iter()
                        .filter(|a| activity_kinds.contains(&a.kind))
                        .collect();
                    for p in &ps {
                        let t: HashSet<&str> = recs
                            .iter()
                            .filter(|a| in_period(a, p))
                            .flat_map(|a| a.targets.iter().map(String::as_str))
                            .collect();
                        let n = t.len() as f64;
                        push(
                            &mut results,
                            &s,
                            None,
                            p,
                            n,
                            *min as f64,
                            None,
                            format!(
                                "{}已走访{}人（户），还需{}",
                                period_zh(p),
                                n,
                                *min as f64 - n
                            ),
                        );
                    }
                }
            }
            Measure::Links {
                link_kinds,
                min,
                max,
            } => {
                for s in subjects(rule, facts, &linked) {
                    let ls = ix.links(&s);
                    for p in &ps {
                        let n = ls
                            .iter()
                            .filter(|l| {
                                link_kinds.contains(&l.kind) && l.start <= p.end && l.end >= p.start
                            })
                            .count() as f64;
                        let names = link_kinds
                            .iter()
                            .map(|k| k.zh())
                            .collect::<Vec<_>>()
                            .join("或");
                        let detail = match max {
                            Some(m) if n > *m as f64 => format!("{names}{}个，超过{}个", n, m),
                            Some(m) => format!("{names}应为{}–{}个，现有{}个", min, m, n),
                            None => format!("还需{names}{}个", *min as f64 - n),
                        };
                        push(
                            &mut results,
                            &s,
                            None,
                            p,
                            n,
                            *min as f64,
                            max.map(f64::from),
                            detail,
                        );
                    }
                }
            }
            Measure::ContactPoints { slots } => {
                for s in subjects(rule, facts, &linked) {
                    let ls = ix.links(&s);
                    for p in &ps {
                        let mut missing = Vec::new();
                        let mut have = 0u32;
                        for slot in slots {
                            let n = ls
                                .iter()
                                .filter(|l| {
                                    l.kind == slot.kind && l.start <= p.end && l.end >= p.start
                                })
                                .count() as u32;
                            have += n.min(slot.min);
                            if n < slot.min {
                                missing.push(format!("{}×{}", slot.kind.zh(), slot.min - n));
                            }
                        }
                        let need: u32 = slots.iter().map(|s| s.min).sum();
                        push(
                            &mut results,
                            &s,
                            None,
                            p,
                            have as f64,
                            need as f64,
                            None,
                            format!("{}缺：{}", rule.name, missing.join("、")),
                        );
                    }
                }
            }
            Measure::VisitsPerTarget {
                activity_kinds,
                min,
                each_half,
                seasons,
                people_of_target,
            } => {
                // Where each person named by a record works: their unit and region.
                let place_of: HashMap<&str, [Option<&str>; 2]> = if *people_of_target {
                    facts
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
                let names = |x: &str, t: &str| {
                    x == t || place_of.get(x).is_some_and(|at| at.contains(&Some(t)))
                };
                for s in subjects(rule, facts, &linked) {
                    // A person's own records, or a unit's: those of its people (BF-4).
                    let recs: Vec<&ActivityFact> = ix
                        .records(&s, CountedBy::Participant)
                        .into_iter()
                        .filter(|a| activity_kinds.contains(&a.kind))
                        .collect();
                    let mut targets: Vec<&str> = ix
                        .links(&s)
                        .into_iter()
                        .filter(|l| rule.who.link_kinds.contains(&l.kind))
                        .map(|l| l.target.as_str())
                        .collect();
                    targets.sort_unstable();
                    targets.dedup();
                    if !seasons.is_empty() {
                        // One visit in each of the named times of the year; a time that has
                        // passed without one is missed for good.
                        for p in &ps {
                            for t in &targets {
                                let mut visited = 0;
                                let mut missed = Vec::new();
                                let mut open = Vec::new();
                                for season in seasons {
                                    let (from, to) = season.window(year);
                                    let hit = recs.iter().any(|a| {
                                        a.start <= to
                                            && a.end >= from
                                            && in_period(a, p)
                                            && a.start <= as_of
                                            && a.targets.iter().any(|x| names(x, t))
                                    });
                                    if hit {
                                        visited += 1;
                                    } else if to < as_of {
                                        missed.push(season.zh());
                                    } else {
                                        open.push(season.zh());
                                    }
                                }
                                let (st, detail) = if !missed.is_empty() {
                                    (Status::Unmet, format!("{}未走访", missed.join("、")))
                                } else if !open.is_empty() {
                                    (Status::Pending, format!("还需在{}走访", open.join("、")))
                                } else {
                                    (Status::Met, String::new())
                                };
                                results.push(Outcome {
                                    reachable: None,
                                    rule: rule.id.clone(),
                                    subject_kind: s.kind,
                                    subject_code: s.code.to_string(),
                                    subject_name: s.name.to_string(),
                                    target_code: Some(t.to_string()),
                                    period: p.label.clone(),
                                    status: st,
                                    actual: visited as f64,
                                    required: seasons.len() as f64,
                                    detail,
                                });
                            }
                        }
                        continue;
                    }
                    for p in &ps {
                        let h2 = ymd(year, 7, 1);
                        for t in &targets {
                            let mine: Vec<&&ActivityFact> = recs
                                .iter()
                                .filter(|a| {
                                    in_period(a, p) && a.targets.iter().any(|x| names(x, t))
                                })
                                .collect();
                            let n = mine.len() as f64;
                            let first = mine.iter().filter(|a| a.start < h2).count() as u32;
                            let second = mine.iter().filter(|a| a.start >= h2).count() as u32;
                            // Met only once both halves have their visits.
                            let halves_ok =
                                *each_half == 0 || (first >= *each_half && second >= *each_half);
                            let h1_missed = *each_half > 0 && first < *each_half && as_of >= h2;
                            let mut st_actual = n;
                            if !halves_ok && n >= *min as f64 {
                                // Enough visits, but not spread over both halves.
                                st_actual = (*min as f64) - 1.0;
                            }
                            let detail = if h1_missed {
                                "上半年未走访".to_string()
                            } else if second < *each_half && as_of >= h2 {
                                format!("下半年还需走访{}次", each_half - second)
                            } else if activity_kinds.iter().all(|k| *k == ActivityKind::HeartTalk) {
                                format!("还需谈心谈话{}次", *min as f64 - n)
                            } else {
                                format!("还需走访{}次", *min as f64 - n)
                            };
                            let st = if h1_missed {
                                Status::Unmet
                            } else {
                                status(st_actual, *min as f64, None, p, as_of)
                            };
                            results.push(Outcome {
                                reachable: None,
                                rule: rule.id.clone(),
                                subject_kind: s.kind,
                                subject_code: s.code.to_string(),
                                subject_name: s.name.to_string(),
                                target_code: Some(t.to_string()),
                                period: p.label.clone(),
                                status: st,
                                actual: n,
                                required: *min as f64,
                                detail: if st == Status::Met {
                                    String::new()
                                } else {
                                    detail
                                },
                            });
                        }
                    }
                }
            }
            Measure::Postings {
                check,
                min_days,
                front_lines,
            } => {
                use crate::domain::policy::PostingCheck;
                for s in subjects(rule, facts, &linked) {
                    for l in ix.links(&s) {
                        if !rule.who.link_kinds.contains(&l.kind) {
                            continue;
                        }
                        let ended = l.end <= as_of;
                        let days = (l.end - l.start).num_days() + 1;
                        // Something owed at the posting's end: pending until then, unmet after.
                        let owed = |done: bool, before: String, after: String| match (done, ended) {
                            (true, _) => (Status::Met, 1.0, 1.0, String::new()),
                            (false, false) => (Status::Pending, 0.0, 1.0, before),
                            (false, true) => (Status::Unmet, 0.0, 1.0, after),
                        };
                        let (st, actual, required, detail) = match check {
                            PostingCheck::Length => {
                                let line = l.front_line.as_deref().unwrap_or("");
                                let on_line =
                                    front_lines.is_empty() || front_lines.iter().any(|f| f == line);
                                let long = days >= i64::from(*min_days);
                                let mut missing = Vec::new();
                                if !long {
                                    missing.push(format!("锻炼期{days}天，不足{min_days}天"));
                                }
                                if !on_line {
                                    missing.push(if line.is_empty() {
                                        "未登记锻炼一线".to_string()
                                    } else {
                                        format!("“{line}”不是{}一线", front_lines.join("、"))
                                    });
                                }
                                let st = match (missing.is_empty(), ended) {
                                    (true, _) => Status::Met,
                                    (false, false) => Status::Pending,
                                    (false, true) => Status::Unmet,
                                };
                                (st, days as f64, f64::from(*min_days), missing.join("；"))
                            }
                            PostingCheck::Report => owed(
                                l.report_on.is_some(),
                                format!("锻炼于{}结束时提交述职报告", l.end),
                                format!("锻炼已于{}结束，未提交述职报告", l.end),
                            ),
                            PostingCheck::Assessment => owed(
                                l.assessed,
                                format!("锻炼于{}结束后由组织部门鉴定", l.end),
                                "锻炼已结束，组织部门尚未记录鉴定".to_string(),
                            ),
                        };
                        results.push(Outcome {
                            reachable: None,
                            rule: rule.id.clone(),
                            subject_kind: s.kind,
                            subject_code: s.code.to_string(),
                            subject_name: s.name.to_string(),
                            target_code: Some(l.target.clone()),
                            period: year.to_string(),
                            status: st,
                            actual,
                            required,
                            detail,
                        });
                    }
                }
            }
            Measure::HouseholdForms {} => {
                let households: HashMap<&str, &HouseholdFact> = facts
                    .households
                    .iter()
                    .map(|h| (h.code.as_str(), h))
                    .collect();
                for s in subjects(rule, facts, &linked) {
                    let mut targets: Vec<&HouseholdFact> = ix
                        .links(&s)
                        .into_iter()
                        .filter(|l| rule.who.link_kinds.contains(&l.kind))
                        .filter_map(|l| households.get(l.target.as_str()).copied())
                        .collect();
                    targets.sort_unstable_by(|a, b| a.code.cmp(&b.code));
                    targets.dedup_by(|a, b| a.code == b.code);
                    for p in &ps {
                        for h in &targets {
                            let missing: Vec<&str> = [
                                (h.has_members, "家庭成员"),
                                (h.has_situation, "生产生活情况"),
                                (h.has_income, "收入来源"),
                            ]
                            .iter()
                            .filter(|(has, _)| !has)
                            .map(|(_, what)| *what)
                            .collect();
                            let actual = (3 - missing.len()) as f64;
                            let st = status(actual, 3.0, None, p, as_of);
                            results.push(Outcome {
                                reachable: None,
                                rule: rule.id.clone(),
                                subject_kind: s.kind,
                                subject_code: s.code.to_string(),
                                subject_name: s.name.to_string(),
                                target_code: Some(h.code.clone()),
                                period: p.label.clone(),
                                status: st,
                                actual,
                                required: 3.0,
                                detail: if st == Status::Met {
                                    String::new()
                                } else {
                                    format!("家庭基本情况表缺{}", missing.join("、"))
                                },
                            });
                        }
                    }
                }
            }
            Measure::HouseholdCoverage { link_kinds, share } => {
                let mut per_village: HashMap<&str, Vec<&str>> = HashMap::default();
                for h in &facts.households {
                    per_village
                        .entry(h.village.as_str())
                        .or_default()
                        .push(h.code.as_str());
                }
                // Covered on the last day of the period that has come; one set per such day.
                let mut covered_on: HashMap<NaiveDate, HashSet<&str>> = HashMap::default();
                for p in &ps {
                    let day = p.end.min(as_of);
                    covered_on.entry(day).or_insert_with(|| {
                        facts
                            .links
                            .iter()
                            .filter(|l| {
                                link_kinds.contains(&l.kind) && l.start <= day && l.end >= day
                            })
                            .map(|l| l.target.as_str())
                            .collect()
                    });
                }
                let none = HashSet::default();
                for s in subjects(rule, facts, &linked) {
                    let Some(hh) = per_village.get(s.code) else {
                        continue;
                    };
                    for p in &ps {
                        let covered = covered_on.get(&p.end.min(as_of)).unwrap_or(&none);
                        let open: Vec<&str> = hh
                            .iter()
                            .copied()
                            .filter(|h| !covered.contains(h))
                            .collect();
                        let got = (hh.len() - open.len()) as f64 / hh.len() as f64;
                        let detail = format!(
                            "还有{}户没有联户干部：{}{}",
                            open.len(),
                            open.iter().take(5).copied().collect::<Vec<_>>().join("、"),
                            if open.len() > 5 { "……" } else { "" }
                        );
                        push(
                            &mut results,
                            &s,
                            None,
                            p,
                            (got * 1000.0).floor() / 1000.0,
                            *share,
                            None,
                            detail,
                        );
                    }
                }
            }
            Measure::DistinctContacts { tiers } => {
                for p in &ps {
                    let day = p.end.min(as_of);
                    for tier in tiers {
                        let mut holders: HashMap<&str, BTreeSet<i32>> = HashMap::default();
                        for l in facts.links.iter().filter(|l| {
                            l.kind.code().starts_with("contact_") && l.start <= day && l.end >= day
                        }) {
                            if let Some(pid) = l.person {
                                holders.entry(l.target.as_str()).or_default().insert(pid);
                            }
                        }
                        // Only leaders who hold contact points are judged: no links, no row.
                        let holding: HashSet<i32> = holders.values().flatten().copied().collect();
                        for person in facts.people.iter().filter(|x| {
                            holding.contains(&x.id)
                                && x.roles.iter().any(|r| tier.roles.contains(r))
                        }) {
                            let shared: Vec<(&str, Vec<&str>)> = holders
                                .iter()
                                .filter(|(_, who)| who.contains(&person.id))
                                .map(|(t, who)| {
                                    let others: Vec<&str> = facts
                                        .people
                                        .iter()
                                        .filter(|o| {
                                            o.id != person.id
                                                && who.contains(&o.id)
                                                && o.roles.iter().any(|r| tier.roles.contains(r))
                                        })
                                        .map(|o| o.name.as_str())
                                        .collect();
                                    (*t, others)
                                })
                                .filter(|(_, others)| !others.is_empty())
                                .collect();
                            let s = Subject {
                                kind: "person",
                                code: &person.code,
                                name: &person.name,
                                person: Some(person.id),
                                path: None,
                            };
                            let detail = shared
                                .iter()
                                .map(|(t, o)| format!("{t}与{}重复", o.join("、")))
                                .collect::<Vec<_>>()
                                .join("；");
                            push(
                                &mut results,
                                &s,
                                None,
                                p,
                                shared.len() as f64,
                                0.0,
                                Some(0.0),
                                format!("联系点重复交叉（提醒）：{detail}"),
                            );
                        }
                    }
                }
            }
        }
        (results, unmeasured)
    };
    let (mut results, unmeasured) =
        in_parallel(&policy.rules, facts.only_person.is_none(), one_rule);
    mark_unreachable(policy, &mut results, year, as_of);
    let mut notes = Vec::new();
    if !facts.calendar.knows(year) {
        notes.push(format!(
            "{year}年的法定节假日和调休安排尚未录入：工作日按周一至周五计算"
        ));
    }
    Report {
        year,
        as_of,
        policy: policy.name.clone(),
        results,
        unmeasured,
        notes,
    }
}

/// Marks pending rows of day-counted rules that need more days than their period has left.
fn mark_unreachable(policy: &Policy, results: &mut [Outcome], year: i32, as_of: NaiveDate) {
    let day_based: HashMap<&str, &str> = policy
        .rules
        .iter()
        .filter(|r| matches!(r.measure, Measure::Days { .. } | Measure::Run { .. }))
        .map(|r| (r.id.as_str(), r.period.as_deref().unwrap_or("year")))
        .collect();
    for o in results.iter_mut().filter(|o| o.status == Status::Pending) {
        let Some(kind) = day_based.get(o.rule.as_str()) else {
            continue;
        };
        let Some(p) = periods(kind, year, as_of)
            .into_iter()
            .find(|p| p.label == o.period)
        else {
            continue;
        };
        // Days after the as-of day up to the period's end; the as-of day itself is counted.
        let left = (p.end - as_of).num_days().max(0) as f64;
        if o.required - o.actual > left {
            o.reachable = Some(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::DEFAULT;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn person(id: i32, roles: &[Role]) -> PersonFact {
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
        }
    }

    fn act(
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
        }
    }

    fn link(person: i32, kind: LinkKind, target: &str) -> LinkFact {
        LinkFact {
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
    fn rows(facts: &Facts, rule: &str, as_of: &str) -> Vec<(String, Option<String>, Status, f64)> {
        let p = Policy::parse(DEFAULT).unwrap();
        evaluate(&p, facts, 2026, d(as_of))
            .results
            .into_iter()
            .filter(|o| o.rule == rule)
            .map(|o| (o.period, o.target_code, o.status, o.actual))
            .collect()
    }

    fn status_of(facts: &Facts, rule: &str, period: &str, as_of: &str) -> (Status, f64) {
        rows(facts, rule, as_of)
            .into_iter()
            .find(|r| r.0 == period)
            .map(|r| (r.2, r.3))
            .unwrap_or_else(|| panic!("no {rule} row for {period}"))
    }

    #[test]
    fn the_default_policy_holds_every_rule_of_the_catalogue() {
        let p = Policy::parse(DEFAULT).unwrap();
        let ids: Vec<&str> = p.rules.iter().map(|r| r.id.as_str()).collect();
        let catalogue = [
            ("DY", 7),
            ("LXD", 12),
            ("DJC", 3),
            ("XF", 10),
            ("TX", 3),
            ("ZY", 7),
            ("LXK", 3),
            ("BF", 8),
            ("DDB", 5),
            ("PJ", 4),
            ("TZ", 5),
            ("LH", 5),
            ("CG", 9),
            ("RX", 1),
        ];
        for (prefix, n) in catalogue {
            for i in 1..=n {
                let id = format!("{prefix}-{i}");
                assert!(
                    ids.contains(&id.as_str()),
                    "{id} missing from policy/default.toml"
                );
            }
        }
        assert_eq!(ids.len(), catalogue.iter().map(|c| c.1).sum::<usize>());
    }

    #[test]
    fn a_count_is_met_at_the_threshold_pending_before_the_end_and_unmet_after() {
        // TX-1: leaders hold at least two heart talks a year.
        let mut f = Facts {
            people: vec![person(1, &[Role::TownLeadershipMember])],
            ..Default::default()
        };
        f.activities.push(act(
            ActivityKind::HeartTalk,
            "2026-03-01",
            "2026-03-01",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "TX-1", "2026", "2026-11-20"),
            (Status::Pending, 1.0)
        );
        assert_eq!(
            status_of(&f, "TX-1", "2026", "2026-12-31"),
            (Status::Unmet, 1.0)
        );
        f.activities.push(act(
            ActivityKind::HeartTalk,
            "2026-12-31",
            "2026-12-31",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "TX-1", "2026", "2026-12-31"),
            (Status::Met, 2.0)
        );
    }

    #[test]
    fn days_count_each_day_a_record_spans_within_the_period() {
        // BF-6: a stationed cadre spends ten days a month in the village; a stay from
        // 28 January to 6 February gives January four days and February six.
        let mut f = Facts {
            people: vec![person(1, &[Role::StationedCadre])],
            ..Default::default()
        };
        f.activities.push(act(
            ActivityKind::VillageStay,
            "2026-01-28",
            "2026-02-06",
            &[1],
            &["V1"],
        ));
        assert_eq!(
            status_of(&f, "BF-6", "2026-01", "2026-11-20"),
            (Status::Unmet, 4.0)
        );
        assert_eq!(
            status_of(&f, "BF-6", "2026-02", "2026-11-20"),
            (Status::Unmet, 6.0)
        );
        f.activities.push(act(
            ActivityKind::Duty,
            "2026-02-20",
            "2026-02-23",
            &[1],
            &["V1"],
        ));
        assert_eq!(
            status_of(&f, "BF-6", "2026-02", "2026-11-20"),
            (Status::Met, 10.0)
        );
        // November has begun: pending, not unmet.
        assert_eq!(
            status_of(&f, "BF-6", "2026-11", "2026-11-20").0,
            Status::Pending
        );
        assert!(
            rows(&f, "BF-6", "2026-11-20")
                .iter()
                .all(|r| r.0 != "2026-12"),
            "a month not begun has no row"
        );
    }

    #[test]
    fn a_run_needs_consecutive_days_and_is_cut_at_the_month() {
        // LXD-8: a town leader lives three consecutive days in a village each month.
        let mut f = Facts {
            people: vec![person(1, &[Role::TownLeadershipMember])],
            ..Default::default()
        };
        f.activities.push(act(
            ActivityKind::VillageStay,
            "2026-03-30",
            "2026-04-01",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "LXD-8", "2026-03", "2026-11-20"),
            (Status::Unmet, 2.0)
        );
        // 1 April (end of that stay) and a stay of 2–3 April make three days in a row.
        f.activities.push(act(
            ActivityKind::VillageStay,
            "2026-04-02",
            "2026-04-02",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "LXD-8", "2026-04", "2026-11-20"),
            (Status::Unmet, 2.0)
        );
        f.activities.push(act(
            ActivityKind::VillageStay,
            "2026-04-03",
            "2026-04-03",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "LXD-8", "2026-04", "2026-11-20"),
            (Status::Met, 3.0)
        );
    }

    #[test]
    fn hours_and_links_with_bounds() {
        // ZY-5: 20 volunteer hours; ZY-1: between 10 and 20 paired residents.
        let mut f = Facts {
            people: vec![person(1, &[Role::InServicePartyMember, Role::PartyMember])],
            ..Default::default()
        };
        let mut a = act(
            ActivityKind::VolunteerService,
            "2026-05-01",
            "2026-05-01",
            &[1],
            &[],
        );
        a.hours = 19.5;
        f.activities.push(a.clone());
        assert_eq!(
            status_of(&f, "ZY-5", "2026", "2026-12-31"),
            (Status::Unmet, 19.5)
        );
        a.hours = 0.5;
        f.activities.push(a);
        assert_eq!(
            status_of(&f, "ZY-5", "2026", "2026-12-31"),
            (Status::Met, 20.0)
        );
        for i in 0..10 {
            f.links
                .push(link(1, LinkKind::ResidentPairing, &format!("H{i}")));
        }
        assert_eq!(
            status_of(&f, "ZY-1", "2026", "2026-06-01"),
            (Status::Met, 10.0)
        );
        for i in 10..21 {
            f.links
                .push(link(1, LinkKind::ResidentPairing, &format!("H{i}")));
        }
        assert_eq!(
            status_of(&f, "ZY-1", "2026", "2026-06-01"),
            (Status::Unmet, 21.0),
            "over the maximum"
        );
    }

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
    fn records_naming_a_place_count_for_the_place() {
        // CG-6: a situation meeting in each village each month.
        let mut f = Facts::default();
        f.regions.push(RegionFact {
            code: "V1".into(),
            name: "一村".into(),
            level: Some(RegionLevel::Village),
            path: format!("/C/T1/{}/", "V1"),
        });
        f.activities.push(act(
            ActivityKind::SituationMeeting,
            "2026-10-31",
            "2026-10-31",
            &[],
            &["V1"],
        ));
        assert_eq!(
            status_of(&f, "CG-6", "2026-10", "2026-11-20"),
            (Status::Met, 1.0)
        );
        assert_eq!(
            status_of(&f, "CG-6", "2026-09", "2026-11-20"),
            (Status::Unmet, 0.0)
        );
    }

    #[test]
    fn coverage_contact_templates_and_shared_contacts() {
        let mut f = Facts {
            people: vec![
                person(1, &[Role::TownLeadershipMember]),
                person(2, &[Role::StreetLeadershipMember]),
            ],
            ..Default::default()
        };
        f.regions.push(RegionFact {
            code: "V1".into(),
            name: "一村".into(),
            level: Some(RegionLevel::Village),
            path: format!("/C/T1/{}/", "V1"),
        });
        for h in ["H1", "H2", "H3"] {
            f.households.push(HouseholdFact {
                code: h.into(),
                region: "V1".into(),
                village: "V1".into(),
                has_members: true,
                has_situation: true,
                has_income: true,
            });
        }
        f.links.push(link(1, LinkKind::HouseholdLink, "H1"));
        f.links.push(link(2, LinkKind::HouseholdLink, "H2"));
        assert_eq!(
            status_of(&f, "LH-1", "2026", "2026-12-31"),
            (Status::Unmet, 0.666)
        );
        f.links.push(link(2, LinkKind::HouseholdLink, "H3"));
        assert_eq!(
            status_of(&f, "LH-1", "2026", "2026-12-31"),
            (Status::Met, 1.0)
        );
        // 一联五 counts filled slots; both hold 一村 as contact point: LXD-4 warns both.
        f.links.push(link(1, LinkKind::ContactVillage, "V1"));
        f.links.push(link(2, LinkKind::ContactVillage, "V1"));
        assert_eq!(
            status_of(&f, "LXD-2", "2026", "2026-12-31"),
            (Status::Unmet, 1.0)
        );
        assert_eq!(
            status_of(&f, "LXD-4", "2026", "2026-12-31"),
            (Status::Unmet, 1.0)
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
            assert!(r.unmeasured.iter().any(|u| u.rule == "PJ-1"));
        }
    }

    #[test]
    fn the_rules_without_their_module_are_listed_with_the_reason_not_dropped() {
        // The 12 rules whose module (cards, survey and assessment, decisions, representatives'
        // groups, community projects) is not built: each in the report's `unmeasured`, with a
        // reason, and no row; every other rule is measured.
        let p = Policy::parse(DEFAULT).unwrap();
        let r = evaluate(&p, &Facts::default(), 2026, d("2026-12-31"));
        let mut ids: Vec<&str> = r.unmeasured.iter().map(|u| u.rule.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            [
                "BF-7", "DDB-1", "DDB-5", "DY-7", "LH-3", "LXK-1", "LXK-2", "LXK-3", "PJ-1",
                "PJ-2", "PJ-3", "PJ-4"
            ]
        );
        assert!(r.unmeasured.iter().all(|u| u.reason.chars().count() >= 6));
        assert!(!r.results.iter().any(|o| ids.contains(&o.rule.as_str())));
        assert_eq!(p.rules.len() - ids.len(), 70);
    }

    fn item(id: i32, source: crate::domain::labels::ItemSource, clock: &str) -> ItemFact {
        ItemFact {
            id,
            source,
            clock: clock.into(),
            village: "V1".into(),
            household: Some("H1".into()),
            status: "assigned".into(),
            level: "village".into(),
            owner: Some(1),
            case_owner: None,
            registered_on: d("2026-09-01"),
            deadline: Some(d("2026-10-08")),
            resolved_on: None,
            closed_on: None,
            answered: false,
            overdue_reason: false,
            supervised: false,
            guarantees: 0,
        }
    }

    fn item_facts(items: Vec<ItemFact>) -> Facts {
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

    fn item_status(f: &Facts, rule: &str, as_of: &str) -> Vec<(Option<String>, Status)> {
        rows(f, rule, as_of)
            .into_iter()
            .map(|(_, t, s, _)| (t, s))
            .collect()
    }

    #[test]
    fn a_petition_is_answered_within_its_time_limit() {
        use crate::domain::labels::ItemSource::*;
        // XF-10, per petition under its first handler; the deadline day itself is in time.
        let mut on_time = item(1, Letter, "petition");
        on_time.resolved_on = Some(d("2026-10-08"));
        on_time.status = "resolved".into();
        let mut late = item(2, Reception, "petition");
        late.resolved_on = Some(d("2026-10-09"));
        late.status = "resolved".into();
        let open = item(3, Letter, "petition");
        let not_petition = item(4, Visit, "item");
        let f = item_facts(vec![on_time, late, open, not_petition]);
        let r = item_status(&f, "XF-10", "2026-10-08");
        assert_eq!(
            r,
            [
                (Some("H1#1".into()), Status::Met),
                (Some("H1#2".into()), Status::Unmet),
                (Some("H1#3".into()), Status::Pending),
            ]
        );
        // The day after the deadline, the open one is unmet.
        assert_eq!(item_status(&f, "XF-10", "2026-10-09")[2].1, Status::Unmet);
        // Registered after the as-of day: not yet in the report.
        assert!(item_status(&f, "XF-10", "2026-08-31").is_empty());
        // XF-1 counts letters only; an unassigned letter answered is unmet.
        let mut unassigned = item(5, Letter, "petition");
        unassigned.owner = None;
        unassigned.resolved_on = Some(d("2026-09-10"));
        let f = item_facts(vec![unassigned, item(6, Reception, "petition")]);
        assert_eq!(
            item_status(&f, "XF-1", "2026-09-30"),
            [(Some("H1#5".into()), Status::Unmet)]
        );
    }

    #[test]
    fn items_are_filed_by_household_and_escalated_when_beyond_the_village() {
        use crate::domain::labels::ItemSource::*;
        // TZ-1: an item without its household has no page in the village's book.
        let mut no_household = item(1, Hotline, "hotline");
        no_household.household = None;
        let f = item_facts(vec![no_household, item(2, Visit, "item")]);
        assert_eq!(
            item_status(&f, "TZ-1", "2026-09-01"),
            [
                (Some("#1".into()), Status::Unmet),
                (Some("H1#2".into()), Status::Met)
            ]
        );
        // TZ-3: settled on the deadline day where it stands: met; still at the village the day
        // after: unmet; at the town: still unmet (beyond the town, to the county); the county
        // holding it: met.
        let mut settled = item(3, Visit, "item");
        settled.resolved_on = Some(d("2026-10-08"));
        settled.status = "resolved".into();
        let stuck = item(4, Visit, "item");
        let mut at_town = item(5, Visit, "item");
        at_town.level = "town".into();
        let mut at_county = item(6, Visit, "item");
        at_county.level = "county".into();
        let f = item_facts(vec![settled, stuck, at_town, at_county]);
        let on_deadline = item_status(&f, "TZ-3", "2026-10-08");
        assert_eq!(
            on_deadline.iter().map(|r| r.1).collect::<Vec<_>>(),
            [Status::Met, Status::Pending, Status::Pending, Status::Met]
        );
        let after = item_status(&f, "TZ-3", "2026-10-09");
        assert_eq!(
            after.iter().map(|r| r.1).collect::<Vec<_>>(),
            [Status::Met, Status::Unmet, Status::Unmet, Status::Met]
        );
        let detail = |as_of: &str, target: &str| {
            let p = Policy::parse(DEFAULT).unwrap();
            evaluate(&p, &f, 2026, d(as_of))
                .results
                .into_iter()
                .find(|o| o.rule == "TZ-3" && o.target_code.as_deref() == Some(target))
                .unwrap()
                .detail
        };
        assert_eq!(
            detail("2026-10-09", "H1#4"),
            "期限内未办结，仍在村，应上报镇"
        );
        assert_eq!(
            detail("2026-10-09", "H1#5"),
            "期限内未办结，仍在镇民情处理站，应上报县"
        );
    }

    #[test]
    fn a_posting_lasts_90_days_on_a_front_line_with_its_report_and_assessment() {
        let posting = |start: &str, end: &str, line: Option<&str>| LinkFact {
            start: d(start),
            end: d(end),
            front_line: line.map(str::to_string),
            ..link(1, LinkKind::GrassrootsPosting, "V1")
        };
        let facts = |l: LinkFact| Facts {
            people: vec![person(1, &[Role::ReserveCadre])],
            links: vec![l],
            ..Default::default()
        };
        // 1 March to 29 May is exactly 90 days; a day shorter is not.
        let f = facts(posting("2026-03-01", "2026-05-29", Some("农村")));
        assert_eq!(
            status_of(&f, "DJC-1", "2026", "2026-12-31"),
            (Status::Met, 90.0)
        );
        let f = facts(posting("2026-03-01", "2026-05-28", Some("农村")));
        assert_eq!(
            status_of(&f, "DJC-1", "2026", "2026-05-27"),
            (Status::Pending, 89.0)
        );
        assert_eq!(
            status_of(&f, "DJC-1", "2026", "2026-05-28"),
            (Status::Unmet, 89.0)
        );
        // Long enough, but not on one of the front lines.
        let f = facts(posting("2026-03-01", "2026-06-30", Some("机关")));
        assert_eq!(
            status_of(&f, "DJC-1", "2026", "2026-12-31").0,
            Status::Unmet
        );
        let f = facts(posting("2026-03-01", "2026-06-30", None));
        let p = Policy::parse(DEFAULT).unwrap();
        let r = evaluate(&p, &f, 2026, d("2026-12-31"));
        let row = r.results.iter().find(|o| o.rule == "DJC-1").unwrap();
        assert_eq!(row.detail, "未登记锻炼一线");
        // DJC-2 and DJC-3: pending until the posting ends, then the report and the
        // assessment are owed.
        let mut l = posting("2026-03-01", "2026-05-29", Some("信访"));
        let f = facts(l.clone());
        for rule in ["DJC-2", "DJC-3"] {
            assert_eq!(status_of(&f, rule, "2026", "2026-05-28").0, Status::Pending);
            assert_eq!(status_of(&f, rule, "2026", "2026-05-29").0, Status::Unmet);
        }
        l.report_on = Some(d("2026-06-02"));
        l.assessed = true;
        let f = facts(l);
        for rule in ["DJC-2", "DJC-3"] {
            assert_eq!(status_of(&f, rule, "2026", "2026-06-30").0, Status::Met);
        }
    }

    #[test]
    fn each_linked_household_has_its_basic_information_form() {
        let mut f = Facts {
            people: vec![person(1, &[Role::VillageCadre])],
            links: vec![
                link(1, LinkKind::HouseholdLink, "H1"),
                link(1, LinkKind::HouseholdLink, "H2"),
            ],
            ..Default::default()
        };
        for (code, income) in [("H1", true), ("H2", false)] {
            f.households.push(HouseholdFact {
                code: code.into(),
                region: "V1".into(),
                village: "V1".into(),
                has_members: true,
                has_situation: true,
                has_income: income,
            });
        }
        let r = rows(&f, "LH-4", "2026-12-31");
        assert_eq!(
            r,
            [
                ("2026".into(), Some("H1".into()), Status::Met, 3.0),
                ("2026".into(), Some("H2".into()), Status::Unmet, 2.0)
            ]
        );
        // Before the year is out, the missing part is still owed, not failed.
        assert_eq!(rows(&f, "LH-4", "2026-06-30")[1].2, Status::Pending);
        let p = Policy::parse(DEFAULT).unwrap();
        let report = evaluate(&p, &f, 2026, d("2026-12-31"));
        let h2 = report
            .results
            .iter()
            .find(|o| o.rule == "LH-4" && o.target_code.as_deref() == Some("H2"))
            .unwrap();
        assert_eq!(h2.detail, "家庭基本情况表缺收入来源");
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
    fn a_village_head_visits_every_household_in_the_first_year_of_the_term() {
        // CG-3: the secretary of V1 took office on 1 July 2025; the first year ends on 30 June
        // 2026. H1 was visited in 2025 (an earlier year's record), H2 on the last day.
        let mut secretary = person(1, &[Role::VillageSecretary]);
        secretary.region = Some("V1".into());
        secretary.term_start = Some(d("2025-07-01"));
        let hh = |code: &str| HouseholdFact {
            code: code.into(),
            region: "V1".into(),
            village: "V1".into(),
            has_members: true,
            has_situation: true,
            has_income: true,
        };
        let f = |h2_day: &str| Facts {
            people: vec![secretary.clone()],
            households: vec![hh("H1"), hh("H2")],
            earlier: vec![EarlierVisit {
                person: 1,
                kind: ActivityKind::HouseholdVisit,
                day: d("2025-09-01"),
                target: "H1".into(),
            }],
            activities: vec![act(
                ActivityKind::HouseholdVisit,
                h2_day,
                h2_day,
                &[1],
                &["H2"],
            )],
            ..Default::default()
        };
        assert_eq!(
            status_of(&f("2026-06-30"), "CG-3", "2026", "2026-12-31"),
            (Status::Met, 2.0)
        );
        assert_eq!(
            status_of(&f("2026-07-01"), "CG-3", "2026", "2026-12-31"),
            (Status::Unmet, 1.0)
        );
        assert_eq!(
            status_of(&f("2026-07-01"), "CG-3", "2026", "2026-06-29"),
            (Status::Pending, 1.0)
        );
        let p = Policy::parse(DEFAULT).unwrap();
        let r = evaluate(&p, &f("2026-07-01"), 2026, d("2026-12-31"));
        let row = r.results.iter().find(|o| o.rule == "CG-3").unwrap();
        assert_eq!(
            row.detail,
            "任期首年（2025-07-01至2026-06-30）还差1户，未达到：H2"
        );
        // The first year is over before 2027 begins: no row then.
        let r = evaluate(&p, &f("2026-06-30"), 2027, d("2027-12-31"));
        assert!(!r.results.iter().any(|o| o.rule == "CG-3"));
        // A head without a recorded term start is told what is missing.
        let mut unknown = f("2026-06-30");
        unknown.people[0].term_start = None;
        let r = evaluate(&p, &unknown, 2026, d("2026-12-31"));
        let row = r.results.iter().find(|o| o.rule == "CG-3").unwrap();
        assert_eq!(
            (row.status, row.detail.as_str()),
            (Status::Unmet, "未登记任期开始日期，无法计算任期内走访")
        );
    }

    #[test]
    fn a_county_leader_visits_every_village_within_the_term() {
        // DY-3: villages V1 and V2 of county C; V1 visited in 2023 (through one of its
        // households), V2 in 2026.
        let village = |code: &str| RegionFact {
            code: code.into(),
            name: format!("{code}村"),
            level: Some(RegionLevel::Village),
            path: format!("/C/T1/{code}/"),
        };
        let f = |term_start: &str, v2: bool| {
            let mut leader = person(1, &[Role::CountyPartyGovLeader]);
            leader.region = Some("C".into());
            leader.term_start = Some(d(term_start));
            Facts {
                people: vec![leader],
                regions: vec![village("V1"), village("V2")],
                households: vec![HouseholdFact {
                    code: "H1".into(),
                    region: "V1".into(),
                    village: "V1".into(),
                    has_members: true,
                    has_situation: true,
                    has_income: true,
                }],
                earlier: vec![EarlierVisit {
                    person: 1,
                    kind: ActivityKind::HouseholdVisit,
                    day: d("2023-05-01"),
                    target: "H1".into(),
                }],
                activities: if v2 {
                    vec![act(
                        ActivityKind::FieldVisit,
                        "2026-02-27",
                        "2026-02-27",
                        &[1],
                        &["V2"],
                    )]
                } else {
                    vec![]
                },
                ..Default::default()
            }
        };
        // A term from 1 March 2021 ends on 28 February 2026.
        assert_eq!(
            status_of(&f("2021-03-01", true), "DY-3", "2026", "2026-12-31"),
            (Status::Met, 2.0)
        );
        assert_eq!(
            status_of(&f("2021-03-01", false), "DY-3", "2026", "2026-12-31"),
            (Status::Unmet, 1.0)
        );
        // A term from 2022 runs to 2027: still pending.
        assert_eq!(
            status_of(&f("2022-03-01", false), "DY-3", "2026", "2026-12-31"),
            (Status::Pending, 1.0)
        );
        // A record before the term began does not count.
        assert_eq!(
            status_of(&f("2023-06-01", true), "DY-3", "2026", "2026-12-31"),
            (Status::Pending, 1.0)
        );
    }

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
    fn every_item_has_an_owner_and_is_closed_or_supervised() {
        use crate::domain::labels::ItemSource::*;
        let mut no_owner = item(1, Hotline, "hotline");
        no_owner.owner = None;
        let mut closed = item(2, Visit, "item");
        closed.status = "closed".into();
        closed.resolved_on = Some(d("2026-09-20"));
        let mut late_handled = item(3, Visit, "item");
        late_handled.overdue_reason = true;
        late_handled.supervised = true;
        let late_reason_only = {
            let mut i = item(4, Visit, "item");
            i.overdue_reason = true;
            i
        };
        let f = item_facts(vec![no_owner, closed, late_handled, late_reason_only]);
        // TZ-2: the owner is missing — pending until the deadline, unmet after it.
        assert_eq!(item_status(&f, "TZ-2", "2026-10-08")[0].1, Status::Pending);
        assert_eq!(item_status(&f, "TZ-2", "2026-10-09")[0].1, Status::Unmet);
        assert_eq!(item_status(&f, "TZ-2", "2026-10-09")[1].1, Status::Met);
        // TZ-4 on 9 October: closed is met; late with reason and supervision still pending;
        // late with a reason but no supervision is unmet; the open call is late and bare.
        let r = item_status(&f, "TZ-4", "2026-10-09");
        assert_eq!(
            r.iter().map(|x| x.1).collect::<Vec<_>>(),
            [Status::Unmet, Status::Met, Status::Pending, Status::Unmet]
        );
        let p = Policy::parse(DEFAULT).unwrap();
        let detail = evaluate(&p, &f, 2026, d("2026-10-09"))
            .results
            .into_iter()
            .find(|o| o.rule == "TZ-4" && o.target_code.as_deref() == Some("H1#4"))
            .unwrap()
            .detail;
        assert_eq!(detail, "已逾期，未督办");
        // RX-1: the hotline call, unassigned and past its deadline.
        assert_eq!(item_status(&f, "RX-1", "2026-10-09")[0].1, Status::Unmet);
    }

    #[test]
    fn a_raised_problem_is_fed_back_and_a_key_case_has_five_guarantees() {
        use crate::domain::labels::ItemSource::*;
        let mut answered = item(1, Visit, "item");
        answered.answered = true;
        let waiting = item(2, Visit, "item");
        let mut case = item(3, Letter, "petition");
        case.case_owner = Some(2);
        case.guarantees = 4;
        let mut full = item(4, Letter, "petition");
        full.case_owner = Some(2);
        full.guarantees = 5;
        let f = item_facts(vec![answered, waiting, case, full]);
        // LH-5 under the owner (P1): answered met; the other pending to its deadline, then unmet.
        let r = rows(&f, "LH-5", "2026-10-08");
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].2, r[1].2), (Status::Met, Status::Pending));
        assert_eq!(item_status(&f, "LH-5", "2026-10-09")[1].1, Status::Unmet);
        // XF-9 under the case owner: four of five is pending, then unmet; five is met.
        let r = item_status(&f, "XF-9", "2026-10-08");
        assert_eq!(
            r,
            [
                (Some("H1#3".into()), Status::Pending),
                (Some("H1#4".into()), Status::Met)
            ]
        );
        assert_eq!(item_status(&f, "XF-9", "2026-10-09")[0].1, Status::Unmet);
        let p = Policy::parse(DEFAULT).unwrap();
        let o = evaluate(&p, &f, 2026, d("2026-10-09"))
            .results
            .into_iter()
            .find(|o| o.rule == "XF-9")
            .unwrap();
        assert_eq!((o.subject_kind, o.subject_code.as_str()), ("person", "P2"));
        assert_eq!((o.actual, o.required), (4.0, 5.0));
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
        let (st, actual) = status_of(&f, "XF-5", "2026-10", "2026-11-20");
        assert_eq!(st, Status::Unmet);
        let out = evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2026, d("2026-11-20"));
        let row = out
            .results
            .iter()
            .find(|o| o.rule == "XF-5" && o.period == "2026-10")
            .unwrap();
        assert_eq!(row.required, actual + 1.0);
        assert!(row.detail.contains("10月10日"), "{}", row.detail);
        f.activities.push(act(
            ActivityKind::Reception,
            "2026-10-10",
            "2026-10-10",
            &[1],
            &[],
        ));
        assert_eq!(
            status_of(&f, "XF-5", "2026-10", "2026-11-20").0,
            Status::Met
        );
        assert!(out.notes.is_empty(), "2026 is a known year");
        assert!(
            !evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2027, d("2027-03-01"))
                .notes
                .is_empty()
        );
    }

    /// (rule, facts that meet it, facts one short, period, as-of at the period's last day).
    fn case(rule: &str, period: &str, as_of: &str, meet: &Facts, short: &Facts) {
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

    fn with(mut f: Facts, acts: Vec<ActivityFact>) -> Facts {
        f.activities.extend(acts);
        f
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

        // DDB-4: fifty distinct people or households visited by a representative.
        let rep = Facts {
            people: vec![person(3, &[Role::TownRepresentative])],
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

    /// Facts for one rule of the default policy: a subject it binds (a person with its roles
    /// and links, a unit of its kind, or a region of its level) and what `make` adds, judged
    /// for the rule's first period of 2026 at the end of the year.
    fn judge(rule_id: &str, make: &dyn Fn(&Rule, &Period, &mut Facts, i32)) -> (Status, Status) {
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
        let base = || {
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
            f
        };
        let subject = if !rule.who.region_levels.is_empty() {
            "V1"
        } else if !rule.who.unit_kinds.is_empty() || !rule.who.unit_tags.is_empty() {
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
                .filter(|o| {
                    o.rule == rule_id && o.subject_code == subject && o.period == period.label
                })
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

    fn record(kind: ActivityKind, start: NaiveDate, days: i64, target: &str) -> ActivityFact {
        ActivityFact {
            start,
            end: start + Duration::days(days - 1),
            kind,
            hours: 2.0,
            companions: None,
            participants: vec![1],
            targets: vec![target.into()],
        }
    }

    /// The target a rule's records name: the subject itself when they count by target.
    fn target_of(rule: &Rule) -> &'static str {
        match &rule.measure {
            Measure::Count {
                by: CountedBy::Target,
                ..
            }
            | Measure::OnDates {
                by: CountedBy::Target,
                ..
            } => {
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
    fn count_records(rule: &Rule, p: &Period, f: &mut Facts, delta: i32) {
        let Measure::Count {
            activity_kinds,
            min,
            ..
        } = &rule.measure
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

    #[test]
    fn a_pending_row_that_needs_more_days_than_are_left_is_out_of_reach() {
        let mut p = Policy::parse(DEFAULT).unwrap();
        p.rules
            .retain(|r| matches!(r.measure, Measure::Days { .. }));
        let rule = p.rules[0].clone();
        let row = |actual: f64, required: f64| Outcome {
            reachable: None,
            rule: rule.id.clone(),
            subject_kind: "person",
            subject_code: "P1".into(),
            subject_name: String::new(),
            target_code: None,
            period: "2026".into(),
            status: Status::Pending,
            actual,
            required,
            detail: String::new(),
        };
        // 1 December: 30 days left in the year.
        let mut rows = vec![row(2.0, 120.0), row(90.0, 120.0), row(89.0, 120.0)];
        mark_unreachable(&p, &mut rows, 2026, d("2026-12-01"));
        assert_eq!(rows[0].reachable, Some(false), "118 owed, 30 left");
        assert_eq!(rows[1].reachable, None, "30 owed, 30 left");
        assert_eq!(rows[2].reachable, Some(false), "31 owed, 30 left");
        // The field is left out of the report unless it is false.
        let json = serde_json::to_value(&rows[1]).unwrap();
        assert!(json.get("reachable").is_none());
        assert_eq!(
            serde_json::to_value(&rows[0]).unwrap()["reachable"],
            serde_json::json!(false)
        );
    }

    #[test]
    fn every_count_rule_is_met_at_its_threshold_on_the_last_day_and_unmet_one_short() {
        for id in [
            "DY-1", "LXD-5", "XF-6", "XF-8", "ZY-3", "DDB-2", "DDB-3", "TZ-5",
        ] {
            assert_eq!(
                judge(id, &count_records),
                (Status::Met, Status::Unmet),
                "{id}"
            );
        }
    }

    #[test]
    fn every_days_rule_counts_days_up_to_the_period_end() {
        for id in ["DY-4", "DY-6"] {
            let days = |rule: &Rule, p: &Period, f: &mut Facts, delta: i32| {
                let Measure::Days {
                    activity_kinds,
                    min,
                } = &rule.measure
                else {
                    panic!()
                };
                let n = (*min as i32 + delta) as i64;
                // One stay ending on the period's last day, and a day outside the period.
                f.activities.push(record(
                    activity_kinds[0],
                    p.end - Duration::days(n - 1),
                    n,
                    "T0",
                ));
                f.activities.push(record(
                    activity_kinds[0],
                    p.end + Duration::days(1),
                    1,
                    "T0",
                ));
            };
            assert_eq!(judge(id, &days), (Status::Met, Status::Unmet), "{id}");
        }
    }

    #[test]
    fn every_named_date_rule_needs_each_of_its_dates() {
        // XF-2 Thursdays, XF-4 every day, ZY-7 the quarter's last weekend, CG-1 working days:
        // all of the first period's dates met; the last one missing unmet.
        for id in ["XF-2", "XF-4", "ZY-7", "CG-1"] {
            let on_dates = |rule: &Rule, p: &Period, f: &mut Facts, delta: i32| {
                let Measure::OnDates {
                    activity_kinds,
                    dates,
                    min,
                    ..
                } = &rule.measure
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
    fn every_link_rule_is_met_at_its_minimum() {
        for id in ["ZY-4", "BF-3", "BF-8", "CG-7"] {
            let links = |rule: &Rule, _: &Period, f: &mut Facts, delta: i32| {
                let Measure::Links {
                    link_kinds, min, ..
                } = &rule.measure
                else {
                    panic!()
                };
                let unit = !rule.who.unit_kinds.is_empty();
                for i in 0..(*min as i32 + delta) {
                    let mut l = link(1, link_kinds[0], &format!("H{i}"));
                    if unit {
                        (l.person, l.unit) = (None, Some("U1".into()));
                    }
                    f.links.push(l);
                }
            };
            assert_eq!(judge(id, &links), (Status::Met, Status::Unmet), "{id}");
        }
    }

    #[test]
    fn every_visits_per_target_rule_counts_visits_to_each_linked_target() {
        // LXD-11 (a department leader at the contact point) and CG-8 (a village cadre at the
        // paired hardship household), the last visit on the period's last day.
        for id in ["LXD-11", "CG-8"] {
            let visits = |rule: &Rule, p: &Period, f: &mut Facts, delta: i32| {
                let Measure::VisitsPerTarget {
                    activity_kinds,
                    min,
                    each_half,
                    ..
                } = &rule.measure
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

    #[test]
    fn the_county_and_department_templates_need_every_slot() {
        for id in ["LXD-1", "LXD-3"] {
            let slots = |rule: &Rule, _: &Period, f: &mut Facts, delta: i32| {
                let Measure::ContactPoints { slots } = &rule.measure else {
                    panic!()
                };
                for (si, s) in slots.iter().enumerate() {
                    // One short in the last slot.
                    let n = if si == slots.len() - 1 {
                        s.min as i32 + delta
                    } else {
                        s.min as i32
                    };
                    for i in 0..n {
                        f.links.push(link(1, s.kind, &format!("C{si}-{i}")));
                    }
                }
            };
            assert_eq!(judge(id, &slots), (Status::Met, Status::Unmet), "{id}");
        }
    }

    #[test]
    fn a_service_room_application_is_handled_by_its_deadline() {
        use crate::domain::labels::ItemSource::*;
        let mut on_time = item(1, ServiceRoom, "item");
        on_time.resolved_on = Some(d("2026-10-08"));
        let late = item(2, ServiceRoom, "item");
        let f = item_facts(vec![on_time, late, item(3, Visit, "item")]);
        assert_eq!(
            item_status(&f, "CG-9", "2026-10-09"),
            [
                (Some("H1#1".into()), Status::Met),
                (Some("H1#2".into()), Status::Unmet)
            ]
        );
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
    fn a_town_leader_visits_every_village_and_a_street_leader_a_third_of_the_community() {
        let region = |code: &str, level, path: &str| RegionFact {
            code: code.into(),
            name: format!("{code}村"),
            level: Some(level),
            path: path.into(),
        };
        let visit = |day: &str, target: &str| ActivityFact {
            start: d(day),
            end: d(day),
            kind: ActivityKind::HouseholdVisit,
            hours: 0.0,
            companions: None,
            participants: vec![1],
            targets: vec![target.into()],
        };
        // DY-5: town T1 has villages V1 and V2 (V3 is in another town). A visit to a group
        // of V1 and one to a household of V2 (on 31 December) cover both.
        let mut leader = person(1, &[Role::TownLeadershipMember]);
        leader.region = Some("T1".into());
        let mut f = Facts {
            people: vec![leader],
            regions: vec![
                region("T1", RegionLevel::Town, "/C/T1/"),
                region("V1", RegionLevel::Village, "/C/T1/V1/"),
                region("G1", RegionLevel::Group, "/C/T1/V1/G1/"),
                region("V2", RegionLevel::Village, "/C/T1/V2/"),
                region("V3", RegionLevel::Village, "/C/T2/V3/"),
            ],
            households: vec![HouseholdFact {
                code: "H9".into(),
                region: "V2".into(),
                village: "V2".into(),
                has_members: true,
                has_situation: true,
                has_income: true,
            }],
            activities: vec![visit("2026-03-01", "G1"), visit("2026-12-31", "H9")],
            ..Default::default()
        };
        assert_eq!(
            rows(&f, "DY-5", "2026-12-31"),
            [("2026".to_string(), None, Status::Met, 2.0)]
        );
        f.activities.pop();
        let p = Policy::parse(DEFAULT).unwrap();
        let r = evaluate(&p, &f, 2026, d("2026-12-31"));
        let o = r.results.iter().find(|o| o.rule == "DY-5").unwrap();
        assert_eq!((o.status, o.actual, o.required), (Status::Unmet, 1.0, 2.0));
        assert!(o.detail.contains("V2村"), "{}", o.detail);

        // LXD-10: a street leader linked to community K1 of 6 households needs 2 of them.
        let mut street = person(1, &[Role::StreetLeadershipMember]);
        street.region = Some("S1".into());
        let mut f = Facts {
            people: vec![street],
            regions: vec![region("K1", RegionLevel::Community, "/C/S1/K1/")],
            households: (1..=6)
                .map(|i| HouseholdFact {
                    code: format!("K{i}"),
                    region: "K1".into(),
                    village: "K1".into(),
                    has_members: true,
                    has_situation: true,
                    has_income: true,
                })
                .collect(),
            links: vec![link(1, LinkKind::ContactVillage, "K1")],
            activities: vec![
                visit("2026-02-01", "K1"),
                visit("2026-12-31", "K2"),
                visit("2026-05-01", "K2"),
            ],
            ..Default::default()
        };
        // The same household twice is one; both households make ⅓.
        f.activities[0].targets = vec!["K3".into()];
        assert_eq!(
            rows(&f, "LXD-10", "2026-12-31"),
            [("2026".to_string(), None, Status::Met, 2.0)]
        );
        f.activities.remove(0);
        assert_eq!(rows(&f, "LXD-10", "2026-12-31")[0].2, Status::Unmet);
        assert_eq!(rows(&f, "LXD-10", "2026-06-30")[0].2, Status::Pending);
    }

    #[test]
    fn each_household_of_ones_area_twice_and_each_branch_member_talked_with_twice() {
        let act = |kind, day: &str, targets: &[&str]| ActivityFact {
            start: d(day),
            end: d(day),
            kind,
            hours: 0.0,
            companions: None,
            participants: vec![1],
            targets: targets.iter().map(|t| t.to_string()).collect(),
        };
        // CG-5: a village cadre responsible for group G1 with households A and B (C is
        // elsewhere): both twice, the last visit on 31 December.
        let mut cadre = person(1, &[Role::VillageCadre]);
        cadre.areas = vec!["G1".into()];
        let hh = |code: &str, region: &str| HouseholdFact {
            code: code.into(),
            region: region.into(),
            village: "V1".into(),
            has_members: true,
            has_situation: true,
            has_income: true,
        };
        let mut f = Facts {
            people: vec![cadre],
            households: vec![hh("A", "G1"), hh("B", "G1"), hh("C", "G2")],
            activities: vec![
                act(ActivityKind::HouseholdVisit, "2026-03-01", &["A", "B"]),
                act(ActivityKind::HouseholdVisit, "2026-09-01", &["A"]),
                act(ActivityKind::PhoneContact, "2026-10-01", &["B"]),
                act(ActivityKind::HouseholdVisit, "2026-12-31", &["B"]),
            ],
            ..Default::default()
        };
        assert_eq!(
            rows(&f, "CG-5", "2026-12-31"),
            [("2026".to_string(), None, Status::Met, 2.0)]
        );
        f.activities.pop();
        let r = evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2026, d("2026-12-31"));
        let o = r.results.iter().find(|o| o.rule == "CG-5").unwrap();
        assert_eq!((o.status, o.actual, o.required), (Status::Unmet, 1.0, 2.0));
        assert!(o.detail.contains("未达到：B"), "{}", o.detail);

        // TX-2: a branch secretary and two members of branch B1 (a member of B2 does not count).
        let member = |id: i32, branch: &str| {
            let mut p = person(id, &[Role::PartyMember]);
            p.branch = Some(branch.into());
            p
        };
        let mut secretary = person(1, &[Role::BranchSecretary]);
        secretary.branch = Some("B1".into());
        let mut f = Facts {
            people: vec![secretary, member(2, "B1"), member(3, "B1"), member(4, "B2")],
            activities: vec![
                act(ActivityKind::HeartTalk, "2026-04-01", &["P2", "P3"]),
                act(ActivityKind::HeartTalk, "2026-12-31", &["P2", "P3"]),
            ],
            ..Default::default()
        };
        let r = evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2026, d("2026-12-31"));
        let o = r
            .results
            .iter()
            .find(|o| o.rule == "TX-2" && o.subject_code == "P1")
            .unwrap();
        assert_eq!((o.status, o.actual, o.required), (Status::Met, 2.0, 2.0));
        f.activities[1].targets.pop();
        let r = evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2026, d("2026-12-31"));
        let o = r
            .results
            .iter()
            .find(|o| o.rule == "TX-2" && o.subject_code == "P1")
            .unwrap();
        assert_eq!((o.status, o.actual), (Status::Unmet, 1.0));
        assert!(o.detail.contains("人3"), "{}", o.detail);
    }

    #[test]
    fn a_contact_point_visit_with_more_than_three_companions_is_flagged() {
        // LXD-12: one row per visit to one's contact point that records its companions.
        let visit = |day: &str, target: &str, companions| ActivityFact {
            start: d(day),
            end: d(day),
            kind: ActivityKind::FieldVisit,
            hours: 0.0,
            companions,
            participants: vec![1],
            targets: vec![target.into()],
        };
        let f = Facts {
            people: vec![person(1, &[Role::TownLeadershipMember])],
            links: vec![link(1, LinkKind::ContactVillage, "V1")],
            activities: vec![
                visit("2026-03-01", "V1", Some(3)),
                visit("2026-04-01", "V1", Some(4)),
                visit("2026-05-01", "V1", None),
                visit("2026-06-01", "V9", Some(9)),
            ],
            ..Default::default()
        };
        assert_eq!(
            rows(&f, "LXD-12", "2026-12-31"),
            [
                (
                    "2026-03-01".to_string(),
                    Some("V1".to_string()),
                    Status::Met,
                    3.0
                ),
                (
                    "2026-04-01".to_string(),
                    Some("V1".to_string()),
                    Status::Unmet,
                    4.0
                ),
            ]
        );
        // The threshold follows the form's warning: a policy where they differ is refused.
        let bad = DEFAULT.replacen("max_companions = 3\n", "max_companions = 5\n", 1);
        let errors = Policy::parse(&bad).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("LXD-12") && e.contains("一致")),
            "{errors:?}"
        );
    }

    #[test]
    fn periods_label_as_the_report_does() {
        let w = periods("week", 2026, d("2026-12-31"));
        assert_eq!(w.first().unwrap().label, "2026-W01");
        assert_eq!(w.first().unwrap().start, d("2025-12-29"));
        assert_eq!(w.len(), 53);
        let m = periods("month", 2026, d("2026-02-01"));
        assert_eq!(
            m.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
            ["2026-01", "2026-02"]
        );
        assert_eq!(m[1].end, d("2026-02-28"));
        assert_eq!(
            periods("quarter", 2025, d("2026-01-01"))[3].label,
            "2025-Q4"
        );
    }
}
