//! A year of work as the county's policy asks for it. For every rule that counts a person's own
//! records, the people it binds do that work — most of them in full, and about one in seven
//! falls a little short somewhere — so that each rule's page shows both what it is for and who
//! lags behind. Driven by the policy's own data (kinds, thresholds, periods, named dates), so a
//! rule added to the policy gets its demo work without code here.

use crate::domain::calendar::{Calendar, DateSet};
use crate::domain::labels::{ActivityKind, LinkKind, Role};
use crate::domain::policy::{CountedBy, CoverSet, Measure, Policy, Rule};
use crate::domain::rules::measure;
use crate::domain::rules::{Period, periods};
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::HashMap;

/// Columns of the people rows the generator reads.
const ID: usize = 0;
const UNIT: usize = 3;
const ROLES: usize = 5;
const REGION: usize = 6;
const AREA: usize = 7;
const BRANCH: usize = 10;

/// What the generator knows of the demo county.
pub struct World<'a> {
    pub people: &'a [Vec<String>],
    /// 年度 干部身份证号 单位代码 关系类型 对象代码 开始日期 结束日期
    pub links: &'a [Vec<String>],
    /// The households of each village, community and group.
    pub households_at: &'a HashMap<String, Vec<String>>,
    /// Village and community codes.
    pub villages: &'a [String],
    /// 单位代码 单位名称 类型 所属区划 上级单位 标签 监督电话
    pub units: &'a [Vec<String>],
    /// 区划代码 名称 层级 上级代码 标签
    pub regions: &'a [Vec<String>],
    pub today: NaiveDate,
}

/// A small stable hash: who lags on which rule does not change from run to run.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A person, unit or region bound by a rule, who does its work, and whether (and where) they
/// fall short.
struct Subject<'a> {
    code: String,
    /// The person's row, for a person subject.
    row: Option<&'a [String]>,
    /// Who takes part in the subject's records (the person; a unit's or a region's people).
    people: Vec<&'a str>,
    /// Its own place: a person's region, a unit's region, the region itself.
    place: String,
    /// Whether the rule counts records naming the subject rather than its people's.
    by_target: bool,
    /// Falls short of a yearly rule.
    lags: bool,
    /// Where its shortfalls in periodic rules fall (one period in eight or so).
    short_in: u64,
}

impl Subject<'_> {
    /// Who takes part in the `i`th record (a rota among the subject's people).
    fn who(&self, i: usize) -> &str {
        self.people[i % self.people.len()]
    }
    fn field(&self, col: usize) -> &str {
        self.row.map(|r| r[col].as_str()).unwrap_or("")
    }
    /// Whether it falls short in period `i` of `n`: a laggard in a yearly rule; about one
    /// period in eight of a weekly or monthly one, for anyone.
    fn misses(&self, i: usize, n: usize) -> bool {
        if n <= 1 {
            self.lags
        } else {
            hash(&[&self.short_in.to_string(), &i.to_string()]) % 100 < 12
        }
    }
    /// What it does of `min` in period `i`: all of it, or about half when it falls short.
    fn of(&self, min: u32, i: usize, n: usize) -> u32 {
        if self.misses(i, n) { min / 2 } else { min }
    }
    /// The target of its records: itself when the rule counts by target, else its place.
    fn target(&self) -> [String; 1] {
        [if self.by_target {
            self.code.clone()
        } else {
            self.place.clone()
        }]
    }
}

struct Out {
    rows: Vec<Vec<String>>,
}

/// A matter raised on about one household visit in twenty-five.
const MATTERS: &[&str] = &[
    "村道路灯损坏，晚上出行不便",
    "饮水管道老化漏水",
    "申请低保复核",
    "房屋漏雨需要修缮",
    "孩子上学交通不便",
    "医保报销手续咨询",
];

impl Out {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        start: NaiveDate,
        end: NaiveDate,
        who: &str,
        kind: ActivityKind,
        targets: &[String],
        hours: Option<f64>,
        notes: &str,
    ) {
        let n = self.rows.len();
        let matter = if kind == ActivityKind::HouseholdVisit
            && targets.len() == 1
            && targets[0].starts_with('H')
            && hash(&[who, &targets[0], &start.to_string()]).is_multiple_of(25)
        {
            MATTERS[n % MATTERS.len()]
        } else {
            ""
        };
        self.rows.push(vec![
            start.to_string(),
            if end > start {
                end.to_string()
            } else {
                String::new()
            },
            who.to_string(),
            kind.zh().to_string(),
            targets.join("、"),
            String::new(),
            hours.map(|h| format!("{h}")).unwrap_or_default(),
            notes.to_string(),
            matter.to_string(),
        ]);
    }
}

fn note(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Reception => "接待来访群众，登记诉求并当场答复",
        ActivityKind::OutreachVisit => "带案下访，现场协调解决群众诉求",
        ActivityKind::HeartTalk => "谈心谈话，了解思想和工作情况",
        ActivityKind::VolunteerService => "志愿服务：政策宣传、环境整治",
        ActivityKind::Duty => "村（社区）便民服务室坐班值守",
        ActivityKind::StationedResearch | ActivityKind::Research => "蹲点调研，听取群众意见",
        ActivityKind::CoLiving | ActivityKind::VillageStay => "住村，与群众同吃同住",
        ActivityKind::CondolenceVisit => "走访慰问困难群众和优抚对象",
        ActivityKind::SituationMeeting => "召开民情分析会，研究群众诉求",
        _ => "入户走访，了解生产生活情况",
    }
}

/// `n` days spread over `from..=to` (as evenly as the days allow).
fn spread(from: NaiveDate, to: NaiveDate, n: u32) -> Vec<NaiveDate> {
    let span = (to - from).num_days().max(0) + 1;
    (0..i64::from(n))
        .map(|i| from + Duration::days((i * span / i64::from(n.max(1))).min(span - 1)))
        .collect()
}

/// Links the policy asks people to hold in numbers (pairings with residents, 帮带致富): most
/// hold the minimum, about one in seven one fewer. Households near them are the targets.
pub fn links_for_the_rules(policy: &Policy, w: &World) -> Vec<Vec<String>> {
    let year = w.today.year().to_string();
    let roles = roles_of(w);
    let mut out = Vec::new();
    for rule in &policy.rules {
        let Measure::Links(measure::links::Links {
            link_kinds, min, ..
        }) = &rule.measure
        else {
            continue;
        };
        let Some(kind) = link_kinds.first() else {
            continue;
        };
        let held = w
            .links
            .iter()
            .any(|l| LinkKind::parse(&l[3]).ok() == Some(*kind));
        if held
            || rule.who.roles.is_empty()
            || !kind
                .target_kinds()
                .contains(&crate::domain::labels::TargetKind::Household)
        {
            continue;
        }
        for (pi, row) in w.people.iter().enumerate() {
            if !rule.who.roles.iter().any(|r| roles[pi].contains(r)) {
                continue;
            }
            let lags = hash(&[&rule.id, &row[ID]]) % 100 < 14;
            let s = person(row, false, lags, 0);
            let want = if lags { *min / 2 } else { *min } as usize;
            for h in nearby(&s, w, want) {
                out.push(vec![
                    year.clone(),
                    row[ID].clone(),
                    String::new(),
                    kind.zh().to_string(),
                    h,
                    String::new(),
                    String::new(),
                ]);
            }
        }
    }
    out
}

fn roles_of(w: &World) -> Vec<Vec<Role>> {
    w.people
        .iter()
        .map(|p| {
            p[ROLES]
                .split('、')
                .filter_map(|r| Role::parse(r).ok())
                .collect()
        })
        .collect()
}

fn person<'a>(row: &'a [String], by_target: bool, lags: bool, short_in: u64) -> Subject<'a> {
    Subject {
        code: row[ID].clone(),
        row: Some(row),
        people: vec![row[ID].as_str()],
        place: row[REGION].clone(),
        by_target,
        lags,
        short_in,
    }
}

pub fn work_for_the_rules(policy: &Policy, w: &World) -> Vec<Vec<String>> {
    use crate::domain::labels::{RegionLevel, UnitKind, UnitTag};
    let cal = Calendar::seeded();
    let year = w.today.year();
    let mut out = Out { rows: Vec::new() };
    let roles = roles_of(w);
    // Links held by a person's ID number or a unit's code.
    let mut links_of: HashMap<&str, Vec<(LinkKind, &str)>> = HashMap::new();
    for l in w.links {
        // A unit's link (优抚帮扶 may also name its contact person in the cadre column).
        let holder = if l[2].is_empty() { &l[1] } else { &l[2] };
        if let Ok(k) = LinkKind::parse(&l[3]) {
            links_of
                .entry(holder.as_str())
                .or_default()
                .push((k, &l[4]));
        }
    }
    let by_branch: HashMap<&str, Vec<&str>> = w.people.iter().fold(HashMap::new(), |mut m, p| {
        if !p[BRANCH].is_empty() {
            m.entry(p[BRANCH].as_str())
                .or_default()
                .push(p[ID].as_str());
        }
        m
    });
    // A representatives' working group's members (工作小组成员).
    let mut members_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in w.links {
        if LinkKind::parse(&l[3]) == Ok(LinkKind::GroupMembership) && !l[1].is_empty() {
            members_of
                .entry(l[4].as_str())
                .or_default()
                .push(l[1].as_str());
        }
    }
    let mut of_unit: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut of_region: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in w.people {
        of_unit
            .entry(p[UNIT].as_str())
            .or_default()
            .push(p[ID].as_str());
        of_region
            .entry(p[REGION].as_str())
            .or_default()
            .push(p[ID].as_str());
    }
    let leaders: Vec<&str> = w
        .people
        .iter()
        .zip(&roles)
        .filter(|(_, r)| r.contains(&Role::CountyLeadershipMember))
        .map(|(p, _)| p[ID].as_str())
        .collect();
    for rule in &policy.rules {
        let kind = rule.period.as_deref().unwrap_or("year");
        let ps: Vec<Period> = periods(kind, year, w.today)
            .into_iter()
            .map(|mut p| {
                p.end = p.end.min(w.today);
                p
            })
            .filter(|p| p.start <= p.end)
            .collect();
        if ps.is_empty() {
            continue;
        }
        let by_target = matches!(
            rule.measure,
            Measure::Count(measure::count::Count {
                by: CountedBy::Target,
                ..
            }) | Measure::OnDates(measure::on_dates::OnDates {
                by: CountedBy::Target,
                ..
            })
        );
        // A laggard in a yearly rule is one of that rule; a missed week or month is the
        // subject's for everything it does then (so that two rules counting the same work do not
        // fill each other's gaps).
        let lag = |code: &str| (hash(&[&rule.id, code]) % 100 < 15, hash(&[code]));
        let mut subjects: Vec<Subject> = Vec::new();
        let who = &rule.who;
        if !who.region_levels.is_empty() {
            for r in w.regions {
                let level = RegionLevel::parse(&r[2]).ok();
                if !level.is_some_and(|l| who.region_levels.contains(&l)) {
                    continue;
                }
                let mut people = of_region.get(r[0].as_str()).cloned().unwrap_or_default();
                if level == Some(RegionLevel::County) {
                    people = leaders.clone();
                }
                if people.is_empty() {
                    continue;
                }
                let (lags, short_in) = lag(&r[0]);
                subjects.push(Subject {
                    code: r[0].clone(),
                    row: None,
                    people,
                    place: r[0].clone(),
                    by_target,
                    lags,
                    short_in,
                });
            }
        } else if !who.unit_kinds.is_empty() || !who.unit_tags.is_empty() {
            for u in w.units {
                // As the engine binds them: a unit of one of the kinds or with one of the tags.
                let kind_ok = UnitKind::parse(&u[2]).is_ok_and(|k| who.unit_kinds.contains(&k));
                let tag_ok = u[5]
                    .split('、')
                    .any(|t| UnitTag::parse(t).is_ok_and(|t| who.unit_tags.contains(&t)));
                if !(kind_ok || tag_ok) {
                    continue;
                }
                // A team or group has no staff of its own: its linked members do its work, or
                // else the people of its region.
                let Some(people) = of_unit
                    .get(u[0].as_str())
                    .or_else(|| members_of.get(u[0].as_str()))
                    .or_else(|| of_region.get(u[3].as_str()))
                    .or(Some(&leaders))
                    .filter(|p| !p.is_empty())
                else {
                    continue;
                };
                let (lags, short_in) = lag(&u[0]);
                subjects.push(Subject {
                    code: u[0].clone(),
                    row: None,
                    people: people.clone(),
                    // A unit's own work names the unit (its reception desk, its team).
                    place: u[0].clone(),
                    by_target,
                    lags,
                    short_in,
                });
            }
        } else if !who.roles.is_empty() || !who.link_kinds.is_empty() {
            for (pi, row) in w.people.iter().enumerate() {
                let role_ok =
                    who.roles.is_empty() || who.roles.iter().any(|r| roles[pi].contains(r));
                let link_ok = who.link_kinds.is_empty()
                    || links_of
                        .get(row[ID].as_str())
                        .is_some_and(|l| l.iter().any(|(k, _)| who.link_kinds.contains(k)));
                if role_ok && link_ok {
                    let (lags, short_in) = lag(&row[ID]);
                    subjects.push(person(row, by_target, lags, short_in));
                }
            }
        }
        // A rule with few subjects still shows one laggard (a yearly rule; periodic ones miss
        // some of their periods anyway).
        if ps.len() == 1 && subjects.len() >= 4 && !subjects.iter().any(|s| s.lags) {
            let i = (hash(&[&rule.id]) % subjects.len() as u64) as usize;
            subjects[i].lags = true;
        }
        // The targets' link kinds: the measure's own (CG-8), else the rule's `who`.
        let target_kinds = match &rule.measure {
            Measure::VisitsPerTarget(m) if !m.link_kinds.is_empty() => &m.link_kinds,
            _ => &who.link_kinds,
        };
        for s in &subjects {
            let targets: Vec<String> = links_of
                .get(s.code.as_str())
                .map(|l| {
                    l.iter()
                        .filter(|(k, _)| target_kinds.contains(k))
                        .map(|(_, t)| t.to_string())
                        .collect()
                })
                .unwrap_or_default();
            work(rule, s, &ps, &targets, w, &cal, &by_branch, &mut out);
        }
    }
    out.rows
}

/// `want` households near a subject: its village's first, then its town's, then the county's.
fn nearby(s: &Subject, w: &World, want: usize) -> Vec<String> {
    let region = s.place.as_str();
    let start = (hash(&[&s.code]) % w.villages.len().max(1) as u64) as usize;
    // Every village once, from a place of the subject's own: its village first, then the others
    // of its town (demo codes: county 6 digits, town 3 more), then the rest of the county.
    let town: String = region.chars().take(9).collect();
    let rotated = || w.villages.iter().cycle().skip(start).take(w.villages.len());
    let mut order: Vec<&String> = w.villages.iter().filter(|v| *v == region).collect();
    order.extend(rotated().filter(|v| v.starts_with(town.as_str()) && *v != region));
    order.extend(rotated().filter(|v| !v.starts_with(town.as_str())));
    let mut out = Vec::new();
    for v in order {
        if out.len() >= want {
            break;
        }
        if let Some(h) = w.households_at.get(v.as_str()) {
            out.extend(h.iter().take(want - out.len()).cloned());
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn work(
    rule: &Rule,
    s: &Subject,
    ps: &[Period],
    targets: &[String],
    w: &World,
    cal: &Calendar,
    by_branch: &HashMap<&str, Vec<&str>>,
    out: &mut Out,
) {
    let n = ps.len();
    // Records counted only at the subject's linked places are made there.
    let at_links = matches!(
        rule.measure,
        Measure::Count(measure::count::Count { at_links: true, .. })
    );
    let place = match targets.first() {
        Some(t) if at_links => [t.clone()],
        _ => s.target(),
    };
    let mut k_i = 0usize;
    let mut next = || {
        k_i += 1;
        k_i
    };
    match &rule.measure {
        Measure::Count(measure::count::Count {
            activity_kinds,
            min,
            max,
            ..
        }) => {
            let k = activity_kinds[0];
            for (i, p) in ps.iter().enumerate() {
                let want = s.of(*min, i, n);
                let want = max.map_or(want, |m| want.min(m));
                for d in spread(p.start, p.end, want) {
                    out.push(d, d, s.who(next()), k, &place, None, note(k));
                }
            }
        }
        Measure::Days(measure::days::Days {
            activity_kinds,
            min,
        })
        | Measure::Run(measure::days::Run {
            activity_kinds,
            min,
        }) => {
            let k = activity_kinds[0];
            for (i, p) in ps.iter().enumerate() {
                let want = i64::from(s.of(*min, i, n));
                if want == 0 {
                    continue;
                }
                let start = (p.end - Duration::days(want - 1)).max(p.start);
                out.push(
                    start,
                    start + Duration::days(want - 1),
                    s.who(next()),
                    k,
                    &place,
                    None,
                    note(k),
                );
            }
        }
        Measure::Hours(measure::hours::Hours {
            activity_kinds,
            min,
        }) => {
            let k = activity_kinds[0];
            for (i, p) in ps.iter().enumerate() {
                let total = if s.misses(i, n) { min * 0.5 } else { *min };
                let parts = (total / 8.0).ceil().max(1.0) as u32;
                for d in spread(p.start, p.end, parts) {
                    let h = total / f64::from(parts);
                    out.push(d, d, s.who(next()), k, &place, Some(h), note(k));
                }
            }
        }
        Measure::DistinctTargets(measure::distinct_targets::DistinctTargets {
            activity_kinds,
            min,
            ..
        }) => {
            let k = activity_kinds[0];
            for (i, p) in ps.iter().enumerate() {
                let want = s.of(*min, i, n) as usize;
                let chosen = nearby(s, w, want);
                for (d, h) in spread(p.start, p.end, chosen.len() as u32)
                    .into_iter()
                    .zip(chosen)
                {
                    out.push(d, d, s.who(next()), k, &[h], None, note(k));
                }
            }
        }
        Measure::OnDates(measure::on_dates::OnDates {
            activity_kinds,
            dates,
            min,
            ..
        }) => {
            if matches!(dates, DateSet::SensitiveDays | DateSet::SpecialDays) {
                return;
            }
            let k = activity_kinds[0];
            for (i, p) in ps.iter().enumerate() {
                let mut days = cal.dates(*dates, p.start, p.end);
                if let Some(m) = min {
                    days.truncate(*m as usize);
                }
                if s.misses(i, n) && !days.is_empty() {
                    let skip = (s.short_in as usize / 7) % days.len();
                    days.remove(skip);
                }
                // Consecutive days as one record that spans them (one person on duty).
                let mut run: Option<(NaiveDate, NaiveDate)> = None;
                for d in days {
                    run = match run {
                        Some((a, b)) if b + Duration::days(1) == d => Some((a, d)),
                        Some((a, b)) => {
                            out.push(a, b, s.who(next()), k, &place, None, note(k));
                            Some((d, d))
                        }
                        None => Some((d, d)),
                    };
                }
                if let Some((a, b)) = run {
                    out.push(a, b, s.who(next()), k, &place, None, note(k));
                }
            }
        }
        Measure::VisitsPerTarget(measure::visits_per_target::VisitsPerTarget {
            activity_kinds,
            min,
            each_half,
            seasons,
            ..
        }) => {
            let k = activity_kinds[0];
            let year = w.today.year();
            let half = NaiveDate::from_ymd_opt(year, 7, 1).unwrap_or(w.today);
            for (ti, t) in targets.iter().enumerate() {
                let mut days: Vec<NaiveDate> = if !seasons.is_empty() {
                    seasons
                        .iter()
                        .map(|season| season.window(year))
                        .filter(|(a, _)| *a <= w.today)
                        .map(|(a, b)| a + (b.min(w.today) - a) / 2)
                        .collect()
                } else if *each_half > 0 {
                    let jan = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(w.today);
                    let mut v = spread(jan, half - Duration::days(1), *each_half);
                    if half <= w.today {
                        let rest = (*min).max(2 * each_half) - each_half;
                        v.extend(spread(half, w.today, rest));
                    }
                    v
                } else {
                    // Each target in each period; about one target-period in eight is missed.
                    ps.iter()
                        .enumerate()
                        .filter(|(pi, _)| {
                            n <= 1 || hash(&[&s.code, t, &pi.to_string()]) % 100 >= 12
                        })
                        .flat_map(|(_, p)| spread(p.start, p.end, *min))
                        .collect()
                };
                // In a yearly rule a laggard misses a visit to its first target, and about one
                // target in eight misses one anyway.
                if n <= 1 && ((s.lags && ti == 0) || s.misses(ti, usize::MAX)) && !days.is_empty() {
                    let skip = (s.short_in as usize / 7) % days.len();
                    days.remove(skip);
                }
                for d in days.into_iter().filter(|d| *d <= w.today) {
                    out.push(
                        d,
                        d,
                        s.who(next()),
                        k,
                        std::slice::from_ref(t),
                        None,
                        note(k),
                    );
                }
            }
        }
        Measure::Covers(measure::covers::Covers {
            activity_kinds,
            of,
            share,
            each,
            ..
        }) => {
            let k = activity_kinds[0];
            let region = s.field(REGION);
            let set: Vec<String> = match of {
                CoverSet::VillagesOfOwnRegion => w
                    .villages
                    .iter()
                    .filter(|v| !region.is_empty() && v.starts_with(region))
                    .cloned()
                    .collect(),
                CoverSet::HouseholdsOfLinkedPlaces => targets
                    .iter()
                    .flat_map(|t| w.households_at.get(t).cloned().unwrap_or_default())
                    .collect(),
                CoverSet::HouseholdsOfOwnArea => s
                    .field(AREA)
                    .split('、')
                    .flat_map(|g| w.households_at.get(g).cloned().unwrap_or_default())
                    .collect(),
                CoverSet::HouseholdsOfOwnRegion => {
                    w.households_at.get(region).cloned().unwrap_or_default()
                }
                CoverSet::MembersOfOwnBranch => by_branch
                    .get(s.field(BRANCH))
                    .map(|m| {
                        m.iter()
                            .filter(|id| **id != s.code)
                            .map(|id| id.to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            if set.is_empty() {
                return;
            }
            let full = ((set.len() as f64 * share).ceil() as usize).min(set.len());
            let need = if s.lags { full / 2 } else { full };
            let from = NaiveDate::from_ymd_opt(w.today.year(), 1, 1).unwrap_or(w.today);
            // A day's round names up to five households (or people) at once.
            for round in 0..*each {
                let chunks: Vec<&[String]> = set[..need].chunks(5).collect();
                let days = spread(
                    (from + Duration::days(i64::from(round) * 30)).min(w.today),
                    w.today,
                    chunks.len() as u32,
                );
                for (d, chunk) in days.into_iter().zip(chunks) {
                    out.push(d, d, s.who(next()), k, chunk, None, note(k));
                }
            }
        }
        _ => {}
    }
}
