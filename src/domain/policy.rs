//! The county's policy as data (`policy/default.toml`): each rule under its RULES.md ID,
//! with who it binds, what it measures and its threshold. Parsing checks the file and
//! answers in Chinese, naming the rule and the field.

use crate::domain::labels::{ActivityKind, LinkKind, Role};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

/// The policy shipped with lianxin.
pub const DEFAULT: &str = include_str!("../../policy/default.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub work: WorkSettings,
    #[serde(default)]
    pub assignment: AssignmentSettings,
    #[serde(default)]
    pub ledger: LedgerSettings,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkSettings {
    pub correction_days: u32,
    pub max_companions: u32,
}

impl Default for WorkSettings {
    fn default() -> Self {
        WorkSettings {
            correction_days: 7,
            max_companions: 3,
        }
    }
}

/// How days are counted towards a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Calendar days; a deadline on a rest day moves to the next working day.
    Calendar,
    /// Working days of the official calendar.
    Working,
}

/// A time limit: days to answer, counted one way, and at most one extension.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    pub days: u32,
    pub count: Counting,
    #[serde(default)]
    pub extension_days: u32,
}

/// The clocks of ledger items, petitions and hotline calls (TZ-2, XF-10, RX-1).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerSettings {
    /// A resident's demand raised on a visit, at a service room or by the resident.
    pub item: Clock,
    /// A petition (reception, letter, outreach): XF-10's written reply.
    pub petition: Clock,
    /// A hotline call.
    pub hotline: Clock,
    /// An item is “due soon” this many working days before its deadline.
    pub due_soon_days: u32,
    /// Reminders are shown between these times (Beijing) on working days.
    pub reminder_hours: [String; 2],
}

impl Default for LedgerSettings {
    fn default() -> Self {
        LedgerSettings {
            item: Clock {
                days: 15,
                count: Counting::Working,
                extension_days: 15,
            },
            petition: Clock {
                days: 30,
                count: Counting::Calendar,
                extension_days: 30,
            },
            hotline: Clock {
                days: 5,
                count: Counting::Working,
                extension_days: 5,
            },
            due_soon_days: 3,
            reminder_hours: ["08:30".into(), "17:30".into()],
        }
    }
}

impl LedgerSettings {
    pub fn hours(&self) -> Option<(chrono::NaiveTime, chrono::NaiveTime)> {
        let t = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").ok();
        Some((t(&self.reminder_hours[0])?, t(&self.reminder_hours[1])?))
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentSettings {
    /// Registry role code → relative capacity.
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
}

impl AssignmentSettings {
    /// The capacity of a person with these roles: the highest weight among them, if any.
    pub fn weight(&self, roles: &[Role]) -> Option<f64> {
        roles
            .iter()
            .filter_map(|r| self.weights.get(r.code()).copied())
            .fold(None, |acc: Option<f64>, w| {
                Some(acc.map_or(w, |a| a.max(w)))
            })
    }
}

/// Unknown keys of a rule are refused by `unknown_rule_fields` (serde cannot deny them
/// through the flattened measure).
#[derive(Clone, Debug, Deserialize)]
pub struct Rule {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub who: Who,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub severity: Severity,
    #[serde(flatten)]
    pub measure: Measure,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Required,
    Warning,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Who {
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub link_kinds: Vec<LinkKind>,
    /// Units of these kinds (the rule binds the unit).
    #[serde(default)]
    pub unit_kinds: Vec<crate::domain::labels::UnitKind>,
    /// Units with any of these tags (the rule binds the unit).
    #[serde(default)]
    pub unit_tags: Vec<crate::domain::labels::UnitTag>,
    /// Regions of these levels (the rule binds the region).
    #[serde(default)]
    pub region_levels: Vec<crate::domain::labels::RegionLevel>,
}

fn whole() -> f64 {
    1.0
}

fn five() -> u32 {
    5
}

fn once() -> u32 {
    1
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

/// What is checked of each ledger item.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ItemCheck {
    /// TZ-2: a responsible person and a deadline.
    OwnerAndDeadline,
    /// XF-1, RX-1, CG-9: assigned to someone and answered (办结) by the deadline.
    AssignedAndAnswered,
    /// XF-10: answered (in writing) by the deadline, extension included.
    AnsweredInTime,
    /// TZ-4: closed out; while late, a reason recorded and under supervision.
    ClosedOrSupervised,
    /// LH-5: the outcome fed back to the resident (an answer recorded).
    FedBack,
    /// XF-9: a key case's five guarantees each recorded.
    FiveGuarantees,
    /// TZ-1: on its household's page of the village's book (the item names its household).
    OnHouseholdPage,
    /// TZ-3: settled by its deadline where it is, or escalated a level up (village → town →
    /// county) before the deadline passed unsettled.
    EscalatedWhenOverdue,
}

/// What is checked of each grassroots posting 下基层锻炼 (DJC).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PostingCheck {
    /// DJC-1: at least `min_days` days, on one of the front lines.
    Length,
    /// DJC-2: the end-of-posting report handed in.
    Report,
    /// DJC-3: the organisation department's assessment recorded.
    Assessment,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ItemSubject {
    #[default]
    Village,
    Owner,
    CaseOwner,
}

/// Whose records count for a region or unit subject: records naming it as a target, or
/// records of its people.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CountedBy {
    #[default]
    Participant,
    Target,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum Measure {
    /// Records of these kinds in each period (at least `min`; at most `max` when given).
    Count {
        activity_kinds: Vec<ActivityKind>,
        min: u32,
        #[serde(default)]
        max: Option<u32>,
        #[serde(default)]
        by: CountedBy,
    },
    /// Distinct days covered by records of these kinds (a record spans start to end).
    Days {
        activity_kinds: Vec<ActivityKind>,
        min: u32,
    },
    /// The longest run of consecutive days covered by records of these kinds.
    Run {
        activity_kinds: Vec<ActivityKind>,
        min: u32,
    },
    /// Hours of records of these kinds.
    Hours {
        activity_kinds: Vec<ActivityKind>,
        min: f64,
    },
    /// Distinct targets (households, people, places) of records of these kinds.
    DistinctTargets {
        activity_kinds: Vec<ActivityKind>,
        min: u32,
    },
    /// Links of these kinds held (between `min` and `max`).
    Links {
        link_kinds: Vec<LinkKind>,
        min: u32,
        #[serde(default)]
        max: Option<u32>,
    },
    /// Records of these kinds on the named dates of each period (all of them, or `min`).
    OnDates {
        activity_kinds: Vec<ActivityKind>,
        dates: crate::domain::calendar::DateSet,
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        by: CountedBy,
    },
    /// Not measurable yet: the module it needs is not built. The report says so.
    Unmeasured { reason: String },
    /// Each record of these kinds at one of the subject's contact points (links of the rule's
    /// link kinds) has at most `max_companions` companions (LXD-12): one row per visit.
    Companions {
        activity_kinds: Vec<ActivityKind>,
        max_companions: u32,
    },
    /// A share of a set of places visited by the subject's records of these kinds: every
    /// village of one's own town (DY-5), ⅓ of the households of one's linked community (LXD-10).
    Covers {
        activity_kinds: Vec<ActivityKind>,
        of: CoverSet,
        #[serde(default = "whole")]
        share: f64,
        /// Records each one of the set needs (CG-5: each household twice).
        #[serde(default = "once")]
        each: u32,
        /// Over the term of office (or its first year) rather than the period; records of
        /// earlier years within it count.
        #[serde(default)]
        term: Option<TermSpan>,
        #[serde(default = "five")]
        term_years: u32,
    },
    /// Each ledger item (of these clocks and sources) registered in the year, judged on its
    /// own: has it an owner and deadline, was it answered in time, fed back, closed …
    Items {
        check: ItemCheck,
        /// item, petition, hotline; all when empty.
        #[serde(default)]
        clocks: Vec<String>,
        #[serde(default)]
        sources: Vec<crate::domain::labels::ItemSource>,
        /// Whose row it is: the village the item belongs to, its owner or its case owner.
        #[serde(default)]
        by: ItemSubject,
    },
    /// A leader's yearly contact points: at least `min` links of each kind.
    ContactPoints { slots: Vec<Slot> },
    /// No target is a contact point of two leaders of the same tier.
    DistinctContacts { tiers: Vec<Tier> },
    /// The share of households with a link of these kinds.
    HouseholdCoverage {
        link_kinds: Vec<LinkKind>,
        share: f64,
    },
    /// Records of these kinds per linked target; `each_half` of them in each half-year; with
    /// `seasons`, one in each of those times of the year instead (BF-2, BF-4).
    VisitsPerTarget {
        activity_kinds: Vec<ActivityKind>,
        #[serde(default = "once")]
        min: u32,
        #[serde(default)]
        each_half: u32,
        #[serde(default)]
        seasons: Vec<crate::domain::calendar::Season>,
        /// A record naming a person of the target (its unit or region) counts for it: a talk
        /// with a contact point's head, recorded under the head's ID number (TX-3).
        #[serde(default)]
        people_of_target: bool,
    },
    /// Each grassroots posting (a link of the rule's link kinds) judged on its own, under the
    /// posted person or, for a unit-bound rule, under the unit (DJC-3).
    Postings {
        check: PostingCheck,
        #[serde(default)]
        min_days: u32,
        /// 农村, 信访, 重点项目 …; any when empty.
        #[serde(default)]
        front_lines: Vec<String>,
    },
    /// Each linked household (links of the rule's kinds) has its basic-information form
    /// 家庭基本情况表: members, living and production situation, income sources (LH-4).
    HouseholdForms {},
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub kind: LinkKind,
    pub min: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    pub roles: Vec<Role>,
}

impl Policy {
    /// Parses and checks a policy; every problem is one Chinese sentence.
    pub fn parse(text: &str) -> Result<Policy, Vec<String>> {
        let p: Policy = toml::from_str(text).map_err(|e| vec![toml_error(text, &e)])?;
        let mut errors = unknown_rule_fields(text);
        errors.extend(p.check());
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(errors)
        }
    }

    pub fn default_policy() -> Policy {
        // The shipped file is checked by a unit test; a broken build of it cannot pass CI.
        Policy::parse(DEFAULT).unwrap_or_else(|_| Policy {
            name: "empty".into(),
            title: String::new(),
            work: WorkSettings::default(),
            assignment: AssignmentSettings::default(),
            ledger: LedgerSettings::default(),
            rules: vec![],
        })
    }

    fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.ledger.hours().is_none_or(|(a, b)| a >= b) {
            errors.push("[ledger] reminder_hours：应为两个“时:分”，开始早于结束".to_string());
        }
        for (name, c) in [
            ("item", self.ledger.item),
            ("petition", self.ledger.petition),
            ("hotline", self.ledger.hotline),
        ] {
            if c.days == 0 {
                errors.push(format!("[ledger.{name}] days：期限至少1天"));
            }
        }
        let mut seen = HashSet::new();
        for r in &self.rules {
            let at = format!("规则 {}", r.id);
            if !seen.insert(r.id.as_str()) {
                errors.push(format!("{at}：编号重复"));
            }
            if let Some(p) = &r.period {
                if !PERIODS.contains(&p.as_str()) {
                    errors.push(format!(
                        "{at}：period “{p}”无效，可选：{}",
                        PERIODS.join("、")
                    ));
                }
            }
            match &r.measure {
                Measure::ContactPoints { slots } => {
                    if slots.is_empty() {
                        errors.push(format!("{at}：slots 不能为空"));
                    }
                    if r.who.roles.is_empty() {
                        errors.push(format!("{at}：who.roles 须指明适用的角色"));
                    }
                    let mut kinds = HashSet::new();
                    for s in slots {
                        if !s.kind.code().starts_with("contact_") {
                            errors.push(format!("{at}：slots 中的“{}”不是联系点类型", s.kind.zh()));
                        }
                        if s.min == 0 {
                            errors.push(format!("{at}：slots 中“{}”的 min 须大于0", s.kind.zh()));
                        }
                        if !kinds.insert(s.kind) {
                            errors.push(format!("{at}：slots 中“{}”重复", s.kind.zh()));
                        }
                    }
                }
                Measure::DistinctContacts { tiers } => {
                    let mut roles = HashSet::new();
                    for t in tiers {
                        for role in &t.roles {
                            if !roles.insert(*role) {
                                errors.push(format!(
                                    "{at}：角色“{}”出现在两个层级中，层级互相矛盾",
                                    role.zh()
                                ));
                            }
                        }
                    }
                }
                Measure::HouseholdCoverage { share, link_kinds } => {
                    if !(0.0..=1.0).contains(share) || *share == 0.0 {
                        errors.push(format!("{at}：share 应在0到1之间（不含0），现为{share}"));
                    }
                    if link_kinds.is_empty() {
                        errors.push(format!("{at}：link_kinds 不能为空"));
                    }
                }
                Measure::Count {
                    activity_kinds,
                    min,
                    max,
                    ..
                } => {
                    if activity_kinds.is_empty() {
                        errors.push(format!("{at}：activity_kinds 不能为空"));
                    }
                    if max.is_some_and(|m| m < *min) {
                        errors.push(format!("{at}：max 小于 min，自相矛盾"));
                    }
                }
                Measure::Days { activity_kinds, .. }
                | Measure::Run { activity_kinds, .. }
                | Measure::DistinctTargets { activity_kinds, .. }
                | Measure::Hours { activity_kinds, .. } => {
                    if activity_kinds.is_empty() {
                        errors.push(format!("{at}：activity_kinds 不能为空"));
                    }
                }
                Measure::Links {
                    link_kinds,
                    min,
                    max,
                } => {
                    if link_kinds.is_empty() {
                        errors.push(format!("{at}：link_kinds 不能为空"));
                    }
                    if max.is_some_and(|m| m < *min) {
                        errors.push(format!(
                            "{at}：max（{}）小于 min（{min}），自相矛盾",
                            max.unwrap_or(0)
                        ));
                    }
                }
                Measure::Unmeasured { .. } => {}
                Measure::Companions { max_companions, .. }
                    if *max_companions != self.work.max_companions =>
                {
                    errors.push(format!(
                        "{at}：max_companions（{max_companions}）应与 [work] max_companions（{}）一致",
                        self.work.max_companions
                    ));
                }
                Measure::Companions { .. } => {}
                Measure::Covers {
                    share, term_years, ..
                } => {
                    if !(1..=10).contains(term_years) {
                        errors.push(format!("{at}：term_years 应在1到10之间（任期年数）"));
                    }
                    if !(*share > 0.0 && *share <= 1.0) {
                        errors.push(format!("{at}：share 应在0和1之间（如 0.34 表示三分之一）"));
                    }
                    if r.who.roles.is_empty() {
                        errors.push(format!("{at}：who.roles 须指明适用的角色"));
                    }
                }
                Measure::Items { clocks, .. } => {
                    for c in clocks {
                        if !["item", "petition", "hotline"].contains(&c.as_str()) {
                            errors.push(format!(
                                "{at}：clocks 中的“{c}”无效，可选：item、petition、hotline"
                            ));
                        }
                    }
                }
                Measure::OnDates { activity_kinds, .. } => {
                    if activity_kinds.is_empty() {
                        errors.push(format!("{at}：activity_kinds 不能为空"));
                    }
                }
                Measure::Postings {
                    check, min_days, ..
                } => {
                    if *check == PostingCheck::Length && *min_days == 0 {
                        errors.push(format!("{at}：min_days 须为正数（锻炼时长天数）"));
                    }
                    if !r.who.link_kinds.contains(&LinkKind::GrassrootsPosting) {
                        errors.push(format!("{at}：who.link_kinds 须包含 grassroots_posting"));
                    }
                }
                Measure::HouseholdForms {} => {
                    if r.who.link_kinds.is_empty() {
                        errors.push(format!("{at}：who.link_kinds 须指明联系户的关系类型"));
                    }
                }
                Measure::VisitsPerTarget {
                    min,
                    each_half,
                    activity_kinds,
                    seasons,
                    ..
                } => {
                    if !seasons.is_empty() && *each_half > 0 {
                        errors.push(format!("{at}：seasons 与 each_half 不能同时使用"));
                    }
                    if activity_kinds.is_empty() {
                        errors.push(format!("{at}：activity_kinds 不能为空"));
                    }
                    if each_half * 2 > *min {
                        errors.push(format!(
                            "{at}：each_half（{each_half}）的两倍大于 min（{min}），自相矛盾"
                        ));
                    }
                    if r.who.link_kinds.is_empty() {
                        errors.push(format!("{at}：who.link_kinds 须指明按哪种联系关系计算"));
                    }
                }
            }
        }
        if self.work.correction_days > 366 {
            errors.push("work.correction_days 不应超过366天".into());
        }
        for (role, w) in &self.assignment.weights {
            if Role::from_code(role).is_none() {
                errors.push(format!(
                    "assignment.weights：未知的角色“{role}”，可选：{}",
                    Role::ALL
                        .iter()
                        .map(|r| r.code())
                        .collect::<Vec<_>>()
                        .join("、")
                ));
            }
            if !(*w > 0.0 && *w <= 10.0) {
                errors.push(format!(
                    "assignment.weights：角色“{role}”的权重应在0到10之间，现为{w}"
                ));
            }
        }
        errors
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The contact-point rules (一联六 / 一联五 / 一联二).
    pub fn contact_rules(&self) -> impl Iterator<Item = (&Rule, &[Slot])> {
        self.rules.iter().filter_map(|r| match &r.measure {
            Measure::ContactPoints { slots } => Some((r, slots.as_slice())),
            _ => None,
        })
    }

    pub fn tiers(&self) -> Option<(&Rule, &[Tier])> {
        self.rules.iter().find_map(|r| match &r.measure {
            Measure::DistinctContacts { tiers } => Some((r, tiers.as_slice())),
            _ => None,
        })
    }
}

/// The periods the engine judges over.
/// A posting's rows carry the year they are judged in (the posting itself is the target).
pub const PERIODS: &[&str] = &["year", "half", "quarter", "month", "week", "posting"];

const RULE_KEYS: &[&str] = &["id", "name", "text", "who", "period", "severity", "measure"];

fn measure_keys(measure: &str) -> &'static [&'static str] {
    match measure {
        "contact_points" => &["slots"],
        "distinct_contacts" => &["tiers"],
        "household_coverage" => &["link_kinds", "share"],
        "visits_per_target" => &[
            "activity_kinds",
            "min",
            "each_half",
            "seasons",
            "people_of_target",
        ],
        "postings" => &["check", "min_days", "front_lines"],
        "count" => &["activity_kinds", "min", "max", "by"],
        "days" | "run" | "distinct_targets" => &["activity_kinds", "min"],
        "hours" => &["activity_kinds", "min"],
        "links" => &["link_kinds", "min", "max"],
        "unmeasured" => &["reason"],
        "on_dates" => &["activity_kinds", "dates", "min", "by"],
        "items" => &["check", "clocks", "sources", "by"],
        "covers" => &[
            "activity_kinds",
            "of",
            "share",
            "each",
            "term",
            "term_years",
        ],
        "companions" => &["activity_kinds", "max_companions"],
        _ => &[],
    }
}

/// Keys a rule may not carry: a misspelt threshold must not be silently ignored.
fn unknown_rule_fields(text: &str) -> Vec<String> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return vec![];
    };
    let Some(rules) = table.get("rule").and_then(|r| r.as_array()) else {
        return vec![];
    };
    let mut out = Vec::new();
    for r in rules.iter().filter_map(|r| r.as_table()) {
        let id = r.get("id").and_then(|v| v.as_str()).unwrap_or("?");
        let measure = r.get("measure").and_then(|v| v.as_str()).unwrap_or("");
        for k in r.keys() {
            if !RULE_KEYS.contains(&k.as_str()) && !measure_keys(measure).contains(&k.as_str()) {
                out.push(format!(
                    "规则 {id}：未知的字段“{k}”（{measure} 可用：{}）",
                    RULE_KEYS
                        .iter()
                        .chain(measure_keys(measure))
                        .copied()
                        .collect::<Vec<_>>()
                        .join("、")
                ));
            }
        }
    }
    out
}

/// A TOML error as "第N行：…", with the rule it sits in when that can be told.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().to_string();
    let Some(span) = e.span() else {
        return format!("制度文件格式错误：{message}");
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    // The rule the error sits in: the last `[[rule]]` header at or before the error.
    let upto = (span.start + "[[rule]]".len()).min(text.len());
    let rule = text
        .get(..upto)
        .and_then(|t| t.rfind("[[rule]]"))
        .and_then(|at| {
            text[at..].lines().skip(1).find_map(|l| {
                let l = l.trim();
                l.strip_prefix("id")
                    .filter(|r| r.trim_start().starts_with('='))
                    .map(|r| {
                        r.trim_start_matches([' ', '='])
                            .trim()
                            .trim_matches('"')
                            .to_string()
                    })
            })
        });
    let message = message
        .replace("unknown field", "未知的字段")
        .replace("missing field", "缺少字段")
        .replace("unknown variant", "未知的取值")
        .replace("expected one of", "可选")
        .replace("invalid type", "类型不对")
        .replace("expected", "应为");
    match rule {
        Some(r) => format!("第{line}行（规则 {r}）：{message}"),
        None => format!("第{line}行：{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_parses_and_holds_the_contact_templates() {
        let p = Policy::parse(DEFAULT).unwrap();
        let names: Vec<_> = p.contact_rules().map(|(r, _)| r.name.as_str()).collect();
        assert_eq!(names, ["一联六", "一联五", "一联二"]);
        let (_, six) = p.contact_rules().next().unwrap();
        assert_eq!(six.iter().map(|s| s.min).sum::<u32>(), 6);
        assert_eq!(p.tiers().unwrap().1.len(), 3);
        assert_eq!(
            p.assignment
                .weight(&[Role::PartyMember, Role::VillageSecretary]),
            Some(0.6)
        );
        assert_eq!(p.assignment.weight(&[Role::PartyMember]), None);
    }

    #[test]
    fn a_bad_policy_is_refused_in_chinese_naming_the_rule_and_field() {
        let bad = DEFAULT.replace("kind = \"contact_town\"", "kind = \"contact_townn\"");
        let e = Policy::parse(&bad).unwrap_err();
        assert!(
            e[0].contains("规则 LXD-1") && e[0].contains("未知的取值"),
            "{e:?}"
        );

        let contradictory = DEFAULT.replace("min = 2\neach_half = 1", "min = 1\neach_half = 1");
        let e = Policy::parse(&contradictory).unwrap_err();
        assert!(
            e.iter()
                .any(|m| m.contains("规则 LH-2") && m.contains("each_half")),
            "{e:?}"
        );

        let twice = DEFAULT.replace(
            "{ name = \"县直单位领导班子成员\", roles = [\"department_leadership_member\"] }",
            "{ name = \"县直单位领导班子成员\", roles = [\"county_leadership_member\"] }",
        );
        let e = Policy::parse(&twice).unwrap_err();
        assert!(
            e.iter()
                .any(|m| m.contains("LXD-4") && m.contains("县四大班子成员")),
            "{e:?}"
        );

        let misspelt = DEFAULT.replace("min = 2\neach_half = 1", "min = 2\neach_halff = 1");
        let e = Policy::parse(&misspelt).unwrap_err();
        assert!(
            e.iter()
                .any(|m| m.contains("规则 LH-2") && m.contains("each_halff")),
            "{e:?}"
        );
    }
}
