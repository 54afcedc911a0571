//! The county's policy as data (`policy/default.toml`): each rule under its RULES.md ID,
//! with who it binds, what it measures and its threshold. Parsing checks the file and
//! answers in Chinese, naming the rule and the field.

use crate::domain::labels::{LinkKind, Role};
use crate::domain::rules::report::VersionUsed;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

pub use crate::domain::rules::measure::Measure;
pub use crate::domain::rules::measure::contact_points::Slot;
pub use crate::domain::rules::measure::covers::{CoverSet, TermSpan};
pub use crate::domain::rules::measure::distinct_contacts::Tier;
pub use crate::domain::rules::measure::items::{ItemCheck, ItemSubject};
pub use crate::domain::rules::measure::postings::PostingCheck;

/// The policy shipped with lianxin.
pub const DEFAULT: &str = include_str!("../../policy/default.toml");
/// The default policy with the national 《信访工作条例》(2022) clocks for petitions.
pub const NATIONAL_2022: &str = include_str!("../../policy/national-2022.toml");

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
    /// What contact cards print and how long a changed card may stay out (LXK-3).
    #[serde(default)]
    pub cards: crate::domain::cards::CardSettings,
    /// Thresholds of the integrity checks on work records.
    #[serde(default)]
    pub integrity: crate::domain::integrity::IntegritySettings,
    /// The survey's template, sample sizes and the circulation's categories (PJ-1, PJ-2).
    #[serde(default)]
    pub survey: crate::domain::survey::SurveySettings,
    /// The assessment's parts, weights and grades (PJ-4); the defaults when the policy has no
    /// `[assessment]` (see `assessment()`).
    #[serde(default, rename = "assessment")]
    pub assessment_settings: Option<crate::domain::assessment::AssessmentSettings>,
    /// The kinds of rota, each named by the rule it serves (XF-2, CG-1 …).
    #[serde(default, rename = "rota")]
    pub rotas: Vec<crate::domain::rota::RotaKind>,
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

/// 复查 and 复核 of a petition: the petitioner asks within `request_days` of the answer (or of
/// the 复查意见), the level above answers within `days`, counted as `count`; no extension.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewClock {
    pub request_days: u32,
    pub days: u32,
    pub count: Counting,
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
    /// A representatives' proposal 议案/建议 forwarded to a unit, until its answer (DDB-5).
    #[serde(default = "proposal_clock")]
    pub proposal: Clock,
    /// 复查 and 复核 of a petition's answer (national: asked within 30 days, answered within
    /// 30); none where the county's text has no review steps.
    #[serde(default)]
    pub petition_review: Option<ReviewClock>,
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
            proposal: proposal_clock(),
            petition_review: None,
            due_soon_days: 3,
            reminder_hours: ["08:30".into(), "17:30".into()],
        }
    }
}

/// Three months to answer a proposal, once extended by at most one more.
fn proposal_clock() -> Clock {
    Clock {
        days: 90,
        count: Counting::Calendar,
        extension_days: 30,
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
    /// Units holding a link of these kinds (BF-7: a unit reported to a community, 双报到).
    #[serde(default)]
    pub unit_links: Vec<LinkKind>,
    /// Regions of these levels (the rule binds the region).
    #[serde(default)]
    pub region_levels: Vec<crate::domain::labels::RegionLevel>,
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
            cards: Default::default(),
            integrity: Default::default(),
            survey: Default::default(),
            assessment_settings: None,
            rotas: vec![],
            rules: vec![],
        })
    }

    pub fn assessment(&self) -> crate::domain::assessment::AssessmentSettings {
        self.assessment_settings.clone().unwrap_or_default()
    }

    fn check(&self) -> Vec<String> {
        let mut errors = self.cards.check();
        errors.extend(self.integrity.check());
        errors.extend(self.survey.check());
        for k in &self.rotas {
            let at = format!("[[rota]] {}", k.rule);
            if !self.rules.iter().any(|r| r.id == k.rule) {
                errors.push(format!("{at}：没有这条规则"));
            }
            if k.roles.is_empty() {
                errors.push(format!("{at} roles 不能为空"));
            }
            if !(1..=20).contains(&k.per_slot) {
                errors.push(format!("{at} per_slot：应在1到20之间"));
            }
            if k.start >= k.end {
                errors.push(format!("{at}：start 应早于 end"));
            }
        }
        if let Some(a) = &self.assessment_settings {
            let ids: Vec<&str> = self.rules.iter().map(|r| r.id.as_str()).collect();
            errors.extend(a.check(&ids));
        }
        if self.ledger.hours().is_none_or(|(a, b)| a >= b) {
            errors.push("[ledger] reminder_hours：应为两个“时:分”，开始早于结束".to_string());
        }
        for (name, c) in [
            ("item", self.ledger.item),
            ("petition", self.ledger.petition),
            ("hotline", self.ledger.hotline),
            ("proposal", self.ledger.proposal),
        ] {
            if c.days == 0 || c.days > 366 {
                errors.push(format!("[ledger] {name}.days：期限应在1到366天之间"));
            }
            if c.extension_days > 366 {
                errors.push(format!("[ledger] {name}.extension_days：不应超过366天"));
            }
        }
        if let Some(r) = self.ledger.petition_review {
            for (k, v) in [("request_days", r.request_days), ("days", r.days)] {
                if !(1..=366).contains(&v) {
                    errors.push(format!("[ledger] petition_review.{k}：应在1到366天之间"));
                }
            }
        }
        let mut seen = HashSet::new();
        for r in &self.rules {
            let at = format!("规则 {}", r.id);
            if !seen.insert(r.id.as_str()) {
                errors.push(format!("{at}：编号重复"));
            }
            if let Some(p) = &r.period
                && !PERIODS.contains(&p.as_str())
            {
                errors.push(format!(
                    "{at}：period “{p}”无效，可选：{}",
                    PERIODS.join("、")
                ));
            }
            errors.extend(
                r.measure
                    .check(r, self)
                    .into_iter()
                    .map(|e| format!("{at}：{e}")),
            );
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
            Measure::ContactPoints(c) => Some((r, c.slots.as_slice())),
            _ => None,
        })
    }

    pub fn tiers(&self) -> Option<(&Rule, &[Tier])> {
        self.rules.iter().find_map(|r| match &r.measure {
            Measure::DistinctContacts(d) => Some((r, d.tiers.as_slice())),
            _ => None,
        })
    }
}

/// A saved policy version (or the county's file) and the day it takes effect.
#[derive(Clone, Debug)]
pub struct Dated {
    /// The saved version's number; `None` for the county's file or the shipped default.
    pub version: Option<i32>,
    /// The day it takes effect; `None` from the start.
    pub from: Option<NaiveDate>,
    pub policy: std::sync::Arc<Policy>,
}

impl Dated {
    pub fn in_force(&self) -> InForce<'_> {
        InForce {
            policy: &self.policy,
            version: self.version,
            from: self.from,
        }
    }

    /// The version in force on a day: the last to take effect by then (of two on the same
    /// day, the later saved); before the first of them, the first.
    pub fn on(versions: &[Dated], day: NaiveDate) -> Option<&Dated> {
        let list: Vec<InForce> = versions.iter().map(Dated::in_force).collect();
        InForce::days_of(&list)
            .into_iter()
            .find(|(_, (from, until))| *from <= day && day <= *until)
            .and_then(|(i, _)| versions.get(i))
    }
}

/// A policy as one evaluation reads it, with the day it takes effect.
#[derive(Clone, Copy, Debug)]
pub struct InForce<'p> {
    pub policy: &'p Policy,
    pub version: Option<i32>,
    pub from: Option<NaiveDate>,
}

impl<'p> InForce<'p> {
    /// One policy for every day.
    pub fn always(policy: &'p Policy) -> InForce<'p> {
        InForce {
            policy,
            version: None,
            from: None,
        }
    }

    /// The positions (in the order given, which is the order saved) of the versions that are
    /// ever in force, by the day they take effect.
    fn kept(versions: &[InForce]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..versions.len()).collect();
        order.sort_by_key(|i| versions[*i].from);
        // Of versions taking effect on the same day, the one saved last.
        let mut kept: Vec<usize> = Vec::new();
        for i in order {
            match kept.last() {
                Some(last) if versions[*last].from == versions[i].from => {
                    if let Some(l) = kept.last_mut() {
                        *l = i;
                    }
                }
                _ => kept.push(i),
            }
        }
        kept
    }

    /// Each version that is ever in force, with its first and last day: from the day it takes
    /// effect (the first of them from the start) to the day before the next one's.
    pub fn spans<'a>(
        versions: &'a [InForce<'p>],
    ) -> Vec<(&'a InForce<'p>, (NaiveDate, NaiveDate))> {
        Self::days_of(versions)
            .into_iter()
            .filter_map(|(i, days)| Some((versions.get(i)?, days)))
            .collect()
    }

    /// `spans` by position in `versions`.
    fn days_of(versions: &[InForce]) -> Vec<(usize, (NaiveDate, NaiveDate))> {
        let kept = Self::kept(versions);
        let from = |i: usize| versions.get(i).and_then(|v| v.from);
        kept.iter()
            .enumerate()
            .map(|(n, i)| {
                let first = if n == 0 {
                    NaiveDate::MIN
                } else {
                    from(*i).unwrap_or(NaiveDate::MIN)
                };
                let last = kept
                    .get(n + 1)
                    .and_then(|next| from(*next))
                    .and_then(|d| d.pred_opt())
                    .unwrap_or(NaiveDate::MAX);
                (*i, (first, last))
            })
            .collect()
    }

    /// How the report names it: a saved version by its number and day.
    pub fn used(&self) -> Option<VersionUsed> {
        Some(VersionUsed {
            version: self.version?,
            name: self.policy.title.clone(),
            from: self.from,
        })
    }
}

/// The periods the engine judges over.
/// A posting's rows carry the year they are judged in (the posting itself is the target).
pub const PERIODS: &[&str] = &["year", "half", "quarter", "month", "week", "day", "posting"];

const RULE_KEYS: &[&str] = &["id", "name", "text", "who", "period", "severity", "measure"];

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
            if !RULE_KEYS.contains(&k.as_str())
                && !Measure::keys(measure).unwrap_or(&[]).contains(&k.as_str())
            {
                out.push(format!(
                    "规则 {id}：未知的字段“{k}”（{measure} 可用：{}）",
                    RULE_KEYS
                        .iter()
                        .chain(Measure::keys(measure).unwrap_or(&[]))
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
    fn the_national_variant_differs_from_the_default_only_in_its_petition_clocks() {
        let p = Policy::parse(NATIONAL_2022).unwrap();
        let c = p.ledger.petition;
        assert_eq!((c.days, c.extension_days), (60, 30));
        let r = p.ledger.petition_review.unwrap();
        assert_eq!((r.request_days, r.days), (30, 30));
        assert!(
            Policy::parse(DEFAULT)
                .unwrap()
                .ledger
                .petition_review
                .is_none()
        );
        // Everything else is the default's, so that a change to one reaches the other.
        let strip = |text: &str| {
            let mut t: toml::Table = text.parse().unwrap();
            t.remove("name");
            t.remove("title");
            let ledger = t.get_mut("ledger").unwrap().as_table_mut().unwrap();
            ledger.remove("petition");
            ledger.remove("petition_review");
            let rules = t.get_mut("rule").unwrap().as_array_mut().unwrap();
            rules.retain(|r| r.get("id").and_then(|v| v.as_str()) != Some("XF-10"));
            t
        };
        assert_eq!(strip(DEFAULT), strip(NATIONAL_2022));
        // A review clock of no days is refused by the check.
        let bad = NATIONAL_2022.replace("request_days = 30", "request_days = 0");
        let e = Policy::parse(&bad).unwrap_err();
        assert!(
            e.iter().any(|e| e.contains("petition_review.request_days")),
            "{e:?}"
        );
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
