//! A share of a set visited by the subject’s records of these kinds, each member of the set
//! `each` times: every village of one’s own town (DY-5), ⅓ of the households of one’s linked
//! community (LXD-10), each household of one’s area twice (CG-5), each member of one’s branch
//! (talks). Over the rule’s periods, or over the term of office (DY-3) or its first year (CG-3),
//! where records of earlier years within the term count.

use super::{Judge, five, kinds_zh, once, whole};
use crate::domain::labels::ActivityKind;
use crate::domain::policy::{CountedBy, Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::rules::facts::EarlierVisit;
use crate::domain::rules::period::{Period, in_period, period_zh, ymd};
use chrono::Duration;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Covers {
    pub activity_kinds: Vec<ActivityKind>,
    pub of: CoverSet,
    #[serde(default = "whole")]
    pub share: f64,
    /// Records each one of the set needs (CG-5: each household twice).
    #[serde(default = "once")]
    pub each: u32,
    /// Over the term of office (or its first year) rather than the period; records of
    /// earlier years within it count.
    #[serde(default)]
    pub term: Option<TermSpan>,
    #[serde(default = "five")]
    pub term_years: u32,
}

/// The places a `covers` rule counts.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CoverSet {
    /// The villages and communities under the person's own region (a town leader's town).
    VillagesOfOwnRegion,
    /// The households of the places the person links with the rule's link kinds.
    HouseholdsOfLinkedPlaces,
    /// The households of the person's responsible area 责任片(组).
    HouseholdsOfOwnArea,
    /// The other members of the person's party branch (talks name them by ID number).
    MembersOfOwnBranch,
    /// The households of the person's own region (a village secretary's village).
    HouseholdsOfOwnRegion,
}

/// Judged over the person's term of office instead of the rule's period.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TermSpan {
    /// The whole term, from the person's 任期开始 for `term_years` (DY-3).
    Whole,
    /// Its first year (CG-3).
    FirstYear,
}

impl Judge for Covers {
    const KEYS: &'static [&'static str] = &[
        "activity_kinds",
        "of",
        "share",
        "each",
        "term",
        "term_years",
    ];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        if !(1..=10).contains(&self.term_years) {
            errors.push("term_years 应在1到10之间（任期年数）".into());
        }
        if !(self.share > 0.0 && self.share <= 1.0) {
            errors.push("share 应在0和1之间（如 0.34 表示三分之一）".into());
        }
        if rule.who.roles.is_empty() {
            errors.push("who.roles 须指明适用的角色".into());
        }
        errors
    }

    fn threshold(&self) -> String {
        let over = match self.term {
            Some(TermSpan::FirstYear) => "任期首年",
            Some(TermSpan::Whole) => "任期内",
            None => "",
        };
        format!("{over}走访覆盖 ≥ {:.0}%", self.share * 100.0)
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let ix = cx.index;
        let mut earlier_of: HashMap<i32, Vec<&EarlierVisit>> = HashMap::default();
        if self.term.is_some() {
            for e in cx
                .facts
                .earlier
                .iter()
                .filter(|e| self.activity_kinds.contains(&e.kind))
            {
                earlier_of.entry(e.person).or_default().push(e);
            }
        }
        for s in cx.subjects(rule) {
            let Some(me) = s.person.and_then(|p| ix.people.get(&p)) else {
                continue;
            };
            // The set, as (code, name) and how a record's target reaches it.
            let set: Vec<(String, String)> = match self.of {
                CoverSet::VillagesOfOwnRegion => {
                    let Some(own) = me.region.as_deref() else {
                        continue;
                    };
                    cx.villages_under(&format!("/{own}/"))
                        .map(|r| (r.code.clone(), r.name.clone()))
                        .collect()
                }
                CoverSet::MembersOfOwnBranch => {
                    let Some(branch) = me.branch.as_deref() else {
                        continue;
                    };
                    ix.members_of
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
                    ix.households_at
                        .get(own)
                        .into_iter()
                        .flatten()
                        .map(|h| (h.to_string(), h.to_string()))
                        .collect()
                }
                CoverSet::HouseholdsOfLinkedPlaces | CoverSet::HouseholdsOfOwnArea => {
                    let places: HashSet<&str> = if self.of == CoverSet::HouseholdsOfOwnArea {
                        me.areas.iter().map(String::as_str).collect()
                    } else {
                        cx.links(&s)
                            .iter()
                            .filter(|l| rule.who.link_kinds.contains(&l.kind))
                            .map(|l| l.target.as_str())
                            .collect()
                    };
                    let mut set: Vec<(String, String)> = places
                        .iter()
                        .flat_map(|p| ix.households_at.get(p).into_iter().flatten())
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
                if self.of != CoverSet::VillagesOfOwnRegion {
                    return None;
                }
                if let Some(v) = ix.village_of_household.get(t) {
                    return wanted.contains(v).then(|| v.to_string());
                }
                let r = ix.regions.get(t)?;
                wanted
                    .iter()
                    .find(|v| r.path.contains(&format!("/{v}/")))
                    .map(|v| v.to_string())
            };
            let recs = cx.records(&s, CountedBy::Participant, &self.activity_kinds);
            // The rule's periods, or the part of the term of office this year sees.
            let judged: Vec<(Period, String)> = match self.term {
                None => cx
                    .periods
                    .iter()
                    .map(|p| (p.clone(), period_zh(p)))
                    .collect(),
                Some(span) => {
                    let year_period = Period {
                        label: cx.year.to_string(),
                        start: ymd(cx.year, 1, 1),
                        end: ymd(cx.year, 12, 31),
                    };
                    let Some(start) = me.term_start else {
                        let found = Found {
                            target: None,
                            actual: 0.0,
                            required: 1.0,
                            detail: "未登记任期开始日期，无法计算任期内走访".into(),
                        };
                        rows.against(&s, &year_period, found, None);
                        continue;
                    };
                    let years = match span {
                        TermSpan::FirstYear => 1,
                        TermSpan::Whole => self.term_years,
                    };
                    let end = start
                        .checked_add_months(chrono::Months::new(12 * years))
                        .map_or(start, |d| d - Duration::days(1));
                    if start > cx.as_of || start > year_period.end || end < year_period.start {
                        continue;
                    }
                    let name = match span {
                        TermSpan::FirstYear => "任期首年",
                        TermSpan::Whole => "任期",
                    };
                    vec![(
                        Period {
                            label: cx.year.to_string(),
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
                    if p.start <= e.day
                        && e.day <= p.end
                        && let Some(r) = reach(&e.target)
                    {
                        *seen.entry(r).or_default() += 1;
                    }
                }
                let covered: HashSet<String> = seen
                    .into_iter()
                    .filter(|(_, n)| *n >= self.each)
                    .map(|(c, _)| c)
                    .collect();
                let required = (self.share * set.len() as f64 - 1e-9).ceil().max(1.0);
                let missing: Vec<&str> = set
                    .iter()
                    .filter(|(c, _)| !covered.contains(c))
                    .map(|(_, n)| n.as_str())
                    .take(5)
                    .collect();
                let left = (required - covered.len() as f64).max(0.0);
                let unit = match self.of {
                    CoverSet::VillagesOfOwnRegion => "个村（社区）",
                    CoverSet::MembersOfOwnBranch => "人",
                    _ => "户",
                };
                let detail = format!(
                    "{}还差{}{}{}{}",
                    when,
                    left,
                    unit,
                    if self.each > 1 {
                        format!(
                            "（每{unit}{}{}次）",
                            kinds_zh(&self.activity_kinds),
                            self.each
                        )
                    } else {
                        String::new()
                    },
                    if missing.is_empty() {
                        String::new()
                    } else {
                        format!("，未达到：{}", missing.join("、"))
                    }
                );
                let found = Found {
                    target: None,
                    actual: covered.len() as f64,
                    required,
                    detail,
                };
                // A term's rows are the year's look at it: judged by the policy in force on
                // the later of the term's and the year's first day.
                let row = Period {
                    start: p.start.max(ymd(cx.year, 1, 1)),
                    ..p.clone()
                };
                rows.against(&s, &row, found, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn a_village_head_visits_every_household_in_the_first_year_of_the_term() {
        // CG-3: the secretary of V1 took office on 1 July 2025; the first year ends on 30 June
        // 2026. H1 was visited in 2025 (an earlier year's record), H2 on the last day.
        let mut secretary = person(1, &[Role::VillageSecretary]);
        secretary.region = Some("V1".into());
        secretary.term_start = Some(d("2025-07-01"));
        let hh = |code: &str| HouseholdFact {
            head: String::new(),
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
                    head: String::new(),
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
            disputed_on: None,
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
                head: String::new(),
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
                    head: String::new(),
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
            disputed_on: None,
        };
        // CG-5: a village cadre responsible for group G1 with households A and B (C is
        // elsewhere): both twice, the last visit on 31 December.
        let mut cadre = person(1, &[Role::VillageCadre]);
        cadre.areas = vec!["G1".into()];
        let hh = |code: &str, region: &str| HouseholdFact {
            head: String::new(),
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
}
