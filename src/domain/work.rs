//! Links and work records: the contact-point templates, the duplicate-target check and
//! the proposal that links every household of a place to a cadre. No database here.

use crate::domain::formats::parse_date;
use crate::domain::ids::{IdNumber, mask_id_number};
use crate::domain::labels::{ActivityKind, LinkKind, Role};
use crate::domain::policy::{Policy, Severity};
use crate::domain::text::split_list;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One slot of a template (“一户建档立卡贫困户”) and what fills it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SlotStatus {
    pub kind: LinkKind,
    pub kind_zh: &'static str,
    pub required: u32,
    pub targets: Vec<String>,
    pub missing: u32,
}

/// How a leader's contact points stand against a template of the policy.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateStatus {
    pub rule: String,
    pub name: String,
    pub slots: Vec<SlotStatus>,
    pub complete: bool,
}

impl TemplateStatus {
    /// “缺：一家民营企业、一个重点项目” in the words of the slot kinds.
    pub fn missing_zh(&self) -> String {
        self.slots
            .iter()
            .filter(|s| s.missing > 0)
            .map(|s| format!("{}×{}", s.kind_zh, s.missing))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The templates that bind a person with `roles`, filled from their contact-point links
/// (`kind`, `target code`) of the year.
pub fn contact_templates(
    policy: &Policy,
    roles: &[Role],
    links: &[(LinkKind, String)],
) -> Vec<TemplateStatus> {
    policy
        .contact_rules()
        .filter(|(r, _)| r.who.roles.iter().any(|role| roles.contains(role)))
        .map(|(r, slots)| {
            let slots: Vec<SlotStatus> = slots
                .iter()
                .map(|s| {
                    let mut targets: Vec<String> = links
                        .iter()
                        .filter(|(k, _)| *k == s.kind)
                        .map(|(_, t)| t.clone())
                        .collect();
                    targets.sort();
                    targets.dedup();
                    SlotStatus {
                        kind: s.kind,
                        kind_zh: s.kind.zh(),
                        required: s.min,
                        missing: s.min.saturating_sub(targets.len() as u32),
                        targets,
                    }
                })
                .collect();
            TemplateStatus {
                rule: r.id.clone(),
                name: r.name.clone(),
                complete: slots.iter().all(|s| s.missing == 0),
                slots,
            }
        })
        .collect()
}

/// A contact point of one year for the duplicate check.
#[derive(Clone, Debug)]
pub struct ContactLink {
    pub person_id: i32,
    pub roles: Vec<Role>,
    pub kind: LinkKind,
    pub target_code: String,
}

/// Two or more leaders of one tier who share a contact point (LXD-4).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DuplicateContact {
    pub rule: String,
    pub tier: String,
    pub target_code: String,
    pub person_ids: Vec<i32>,
    /// A warning by default (“一般不重复交叉”); a county may make it a requirement.
    pub warning: bool,
}

pub fn duplicate_contacts(policy: &Policy, links: &[ContactLink]) -> Vec<DuplicateContact> {
    let Some((rule, tiers)) = policy.tiers() else {
        return vec![];
    };
    let mut out = Vec::new();
    for tier in tiers {
        let mut by_target: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for l in links.iter().filter(|l| {
            l.kind.code().starts_with("contact_") && l.roles.iter().any(|r| tier.roles.contains(r))
        }) {
            by_target
                .entry(&l.target_code)
                .or_default()
                .push(l.person_id);
        }
        for (target, mut people) in by_target {
            people.sort_unstable();
            people.dedup();
            if people.len() > 1 {
                out.push(DuplicateContact {
                    rule: rule.id.clone(),
                    tier: tier.name.clone(),
                    target_code: target.to_string(),
                    person_ids: people,
                    warning: rule.severity == Severity::Warning,
                });
            }
        }
    }
    out
}

/// A household to be linked: its code, its group (or village) and whether it is a hardship one.
#[derive(Clone, Debug)]
pub struct OpenHousehold {
    pub code: String,
    pub group: String,
    pub hardship: bool,
}

/// A cadre who can take households: relative capacity and households already linked.
#[derive(Clone, Debug)]
pub struct Taker {
    pub person_id: i32,
    pub weight: f64,
    pub load: usize,
    pub hardship_load: usize,
}

/// Splits `total` into whole shares proportional to `weights` (largest remainder).
fn shares(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || weights.is_empty() {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut rest = total - out.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for i in order {
        if rest == 0 {
            break;
        }
        out[i] += 1;
        rest -= 1;
    }
    out
}

/// Proposes a cadre for every open household: loads (existing + new) proportional to
/// capacity, whole groups kept with one cadre where the loads allow, and hardship
/// households spread in proportion too. Deterministic for the same input.
pub fn propose(households: &[OpenHousehold], takers: &[Taker]) -> Vec<(String, i32)> {
    if takers.is_empty() || households.is_empty() {
        return vec![];
    }
    let weights: Vec<f64> = takers.iter().map(|t| t.weight.max(0.0)).collect();
    let total = households.len() + takers.iter().map(|t| t.load).sum::<usize>();
    let hard_total = households.iter().filter(|h| h.hardship).count()
        + takers.iter().map(|t| t.hardship_load).sum::<usize>();
    let target = shares(total, &weights);
    let hard_target = shares(hard_total, &weights);
    // What each taker may still receive; those already above their share get none,
    // so the others' quotas are topped up to cover every household.
    let mut quota: Vec<usize> = target
        .iter()
        .zip(takers)
        .map(|(t, k)| t.saturating_sub(k.load))
        .collect();
    let mut short = households.len() as isize - quota.iter().sum::<usize>() as isize;
    let mut i = 0;
    while short > 0 {
        if weights[i % takers.len()] > 0.0 || weights.iter().all(|w| *w <= 0.0) {
            quota[i % takers.len()] += 1;
            short -= 1;
        }
        i += 1;
    }

    // Groups, largest first; inside a group hardship households last so that a split
    // group tends to hand its hardship households to the next cadre.
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, h) in households.iter().enumerate() {
        groups.entry(&h.group).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let mut owner = vec![usize::MAX; households.len()];
    let mut left = quota.clone();
    for g in &groups {
        let mut members = g.clone();
        members.sort_by_key(|&i| (households[i].hardship, households[i].code.clone()));
        let mut pos = 0;
        while pos < members.len() {
            // The taker with the most room left takes as much of the group as fits.
            let Some(k) = (0..takers.len())
                .filter(|&k| left[k] > 0)
                .max_by(|&a, &b| left[a].cmp(&left[b]).then(b.cmp(&a)))
            else {
                break;
            };
            let n = left[k].min(members.len() - pos);
            for &i in &members[pos..pos + n] {
                owner[i] = k;
            }
            left[k] -= n;
            pos += n;
        }
    }

    // Spread hardship: swap a hardship household of a taker above its hardship share with
    // an ordinary one of a taker below it, preferring a swap inside one group.
    let mut hard: Vec<usize> = takers.iter().map(|t| t.hardship_load).collect();
    for (i, h) in households.iter().enumerate() {
        if h.hardship && owner[i] != usize::MAX {
            hard[owner[i]] += 1;
        }
    }
    let k = takers.len();
    let mut hard_of: Vec<Vec<usize>> = vec![vec![]; k];
    let mut soft_of: Vec<BTreeMap<&str, Vec<usize>>> = vec![BTreeMap::new(); k];
    for (i, h) in households.iter().enumerate() {
        let o = owner[i];
        if o == usize::MAX {
            continue;
        }
        if h.hardship {
            hard_of[o].push(i);
        } else {
            soft_of[o].entry(h.group.as_str()).or_default().push(i);
        }
    }
    for _ in 0..households.len() {
        let over = (0..k).find(|&t| hard[t] > hard_target[t]);
        let under = (0..k).find(|&t| hard[t] < hard_target[t]);
        let (Some(a), Some(b)) = (over, under) else {
            break;
        };
        // Prefer an ordinary household of b in the same group as a hardship one of a.
        let same = hard_of[a].iter().enumerate().find_map(|(pos, &i)| {
            let g = households[i].group.as_str();
            soft_of[b]
                .get(g)
                .filter(|v| !v.is_empty())
                .map(|_| (pos, g))
        });
        let (pos, group_j) = match same {
            Some(x) => x,
            None => match (
                hard_of[a].len().checked_sub(1),
                soft_of[b]
                    .iter()
                    .find(|(_, v)| !v.is_empty())
                    .map(|(g, _)| *g),
            ) {
                (Some(pos), Some(g)) => (pos, g),
                _ => break,
            },
        };
        let i = hard_of[a].swap_remove(pos);
        let Some(j) = soft_of[b].get_mut(group_j).and_then(|v| v.pop()) else {
            break;
        };
        owner[i] = b;
        owner[j] = a;
        hard_of[b].push(i);
        soft_of[a].entry(group_j).or_default().push(j);
        hard[a] -= 1;
        hard[b] += 1;
    }

    households
        .iter()
        .zip(owner)
        .filter(|(_, k)| *k != usize::MAX)
        .map(|(h, k)| (h.code.clone(), takers[k].person_id))
        .collect()
}

/// Loads after a proposal: person → (households, hardship households).
pub fn loads(
    households: &[OpenHousehold],
    takers: &[Taker],
    proposal: &[(String, i32)],
) -> HashMap<i32, (usize, usize)> {
    let hardship: HashMap<&str, bool> = households
        .iter()
        .map(|h| (h.code.as_str(), h.hardship))
        .collect();
    let mut out: HashMap<i32, (usize, usize)> = takers
        .iter()
        .map(|t| (t.person_id, (t.load, t.hardship_load)))
        .collect();
    for (code, p) in proposal {
        let e = out.entry(*p).or_default();
        e.0 += 1;
        if hardship.get(code.as_str()).copied().unwrap_or(false) {
            e.1 += 1;
        }
    }
    out
}

/// A work record as typed on the form or sent to the API, before it is checked.
#[derive(Clone, Debug, Default, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RawActivity {
    /// A key the form (or client) makes once per record: sending it twice records once.
    pub client_key: String,
    /// 工作类型, as its Chinese name or code.
    pub kind: String,
    pub start_date: String,
    pub end_date: String,
    /// ID numbers of everyone who took part, or
    pub participants: Vec<String>,
    /// their person ids (as the form's colleague list sends them).
    pub participant_ids: Vec<i32>,
    /// Household, region or unit codes, or ID numbers.
    pub targets: Vec<String>,
    pub companions: String,
    pub hours: String,
    pub notes: String,
    /// One matter per entry (or per line).
    pub matters: Vec<String>,
    /// The household's contact card was handed over on this visit (LH-3, LXK-2).
    pub card_delivered: bool,
    /// 走访慰问: what was given (慰问金、米、油 …), and
    pub aid: String,
    /// its value in yuan.
    pub aid_value: String,
}

/// A checked work record.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    pub client_key: String,
    pub kind: ActivityKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub participants: Vec<IdNumber>,
    pub participant_ids: Vec<i32>,
    pub targets: Vec<String>,
    pub companions: Option<i32>,
    pub hours: Option<f64>,
    pub notes: Option<String>,
    pub matters: Vec<String>,
    pub card_delivered: bool,
    /// A condolence visit's aid and its value in yuan.
    pub aid: Option<String>,
    pub aid_value: Option<f64>,
}

/// A condolence visit's aid as one line: “大米一袋、食用油一桶（价值300元）”.
pub fn aid_line(aid: Option<&str>, value: Option<f64>) -> Option<String> {
    let aid = aid.filter(|a| !a.trim().is_empty())?;
    Some(match value {
        Some(v) if v.fract() == 0.0 => format!("{aid}（价值{v:.0}元）"),
        Some(v) => format!("{aid}（价值{v:.2}元）"),
        None => aid.to_string(),
    })
}

/// A field and what is wrong with it, in Chinese.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// A matter as the form and the API send it: `H1001：路灯坏了` names the household that raised
/// it; a matter without a code belongs to the record's only household.
pub fn matter_household(m: &str) -> (Option<&str>, &str) {
    let cut = m.char_indices().find(|(_, c)| *c == '：' || *c == ':');
    if let Some((i, c)) = cut {
        let code = m[..i].trim();
        if !code.is_empty()
            && code.len() <= 40
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return (Some(code), m[i + c.len_utf8()..].trim());
        }
    }
    (None, m.trim())
}

/// Which household raised each matter of a record, or what is wrong, in Chinese. `households`
/// are the record's targets that are households, in the order given; a record that names no
/// household (a stay in a village) files its matters under its place (`None`).
pub fn attribute_matters(
    kind: ActivityKind,
    matters: &[String],
    households: &[String],
) -> Result<Vec<(Option<String>, String)>, String> {
    if kind == ActivityKind::HouseholdVisit && households.is_empty() {
        return Err("对象：入户走访须选择至少一户（在“对象”中勾选，或填写户编号）".into());
    }
    let mut out = Vec::new();
    for (n, m) in matters.iter().enumerate() {
        let (code, text) = matter_household(m);
        if text.is_empty() {
            continue;
        }
        let short: String = text.chars().take(12).collect();
        let household = match code {
            Some(c) if households.iter().any(|h| h == c) => Some(c.to_string()),
            Some(c) => {
                return Err(format!(
                    "反映事项第{}件（{short}）：户 {c} 不在本次走访对象中",
                    n + 1
                ));
            }
            None if households.len() == 1 => Some(households[0].clone()),
            None if households.is_empty() => None,
            None => {
                return Err(format!(
                    "反映事项第{}件（{short}）：本次走访了{}户，请选择是哪一户反映的",
                    n + 1,
                    households.len()
                ));
            }
        };
        out.push((household, text.to_string()));
    }
    Ok(out)
}

pub fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}：{}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("；")
}

impl RawActivity {
    /// Checks every field at once; `today` bounds the dates (work is recorded after it is done),
    /// `max_items` every list the record carries (participants, targets, matters).
    pub fn parse(&self, today: NaiveDate, max_items: usize) -> Result<Activity, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err =
            |field: &'static str, message: String| errors.push(FieldError { field, message });
        // Bounded before anything else is read: one record cannot carry a flood of lists.
        let lines = |v: &[String]| -> usize {
            v.iter()
                .map(|m| m.lines().filter(|l| !l.trim().is_empty()).count())
                .sum()
        };
        let counted = [
            (
                "参加人",
                self.participants
                    .iter()
                    .map(|p| split_list(p).len())
                    .sum::<usize>()
                    + self.participant_ids.len(),
            ),
            (
                "对象",
                self.targets
                    .iter()
                    .map(|t| split_list(t).len())
                    .sum::<usize>(),
            ),
            ("反映事项", lines(&self.matters)),
        ];
        let mut too_many = false;
        for (field, n) in counted {
            if n > max_items {
                err(
                    field,
                    format!("一条记录最多{max_items}项，本次{n}项：请分成几条记录"),
                );
                too_many = true;
            }
        }
        if too_many {
            return Err(errors);
        }
        let key = self.client_key.trim();
        if key.len() < 8
            || key.len() > 64
            || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            err("提交编号", "缺少或格式不对，请刷新页面后重新填写".into());
        }
        let kind = ActivityKind::parse(&self.kind)
            .map_err(|e| {
                err(
                    "工作类型",
                    if self.kind.trim().is_empty() {
                        "必填".into()
                    } else {
                        e
                    },
                )
            })
            .ok();
        let start = if self.start_date.trim().is_empty() {
            err("开始日期", "必填".into());
            None
        } else {
            parse_date(&self.start_date)
                .map_err(|e| err("开始日期", e))
                .ok()
        };
        let end = if self.end_date.trim().is_empty() {
            start
        } else {
            parse_date(&self.end_date)
                .map_err(|e| err("结束日期", e))
                .ok()
        };
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                err("结束日期", "不能早于开始日期".into());
            } else if (e - s).num_days() > 366 {
                err("结束日期", "一条记录不能超过一年".into());
            }
            if s > today {
                err(
                    "开始日期",
                    format!("不能晚于今天（{today}）：工作做完再记录"),
                );
            }
        }
        let mut participants = Vec::new();
        for p in self.participants.iter().flat_map(|p| split_list(p)) {
            match IdNumber::parse(&p) {
                Ok(id) if !participants.contains(&id) => participants.push(id),
                Ok(_) => {}
                Err(e) => err("参加人", format!("“{}”{e}", mask_id_number(&p))),
            }
        }
        let mut participant_ids = self.participant_ids.clone();
        participant_ids.sort_unstable();
        participant_ids.dedup();
        if participants.is_empty()
            && participant_ids.is_empty()
            && self.participants.iter().all(|p| p.trim().is_empty())
        {
            err("参加人", "至少一人".into());
        }
        let mut targets: Vec<String> = Vec::new();
        for t in self.targets.iter().flat_map(|t| split_list(t)) {
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
        let companions = match self.companions.trim() {
            "" => None,
            c => match c.parse::<i32>() {
                Ok(n) if (0..=50).contains(&n) => Some(n),
                _ => {
                    err("随行人数", format!("“{c}”不是0–50之间的整数"));
                    None
                }
            },
        };
        let days = match (start, end) {
            (Some(s), Some(e)) if e >= s => (e - s).num_days() + 1,
            _ => 1,
        };
        let hours = match self.hours.trim() {
            "" => None,
            h => match h.parse::<f64>() {
                Ok(x) if x >= 0.0 && x <= 24.0 * days as f64 => Some(x),
                _ => {
                    err("时长(小时)", format!("“{h}”应为0到{}之间的数", 24 * days));
                    None
                }
            },
        };
        let notes = Some(self.notes.trim().to_string()).filter(|n| !n.is_empty());
        if notes.as_ref().is_some_and(|n| n.chars().count() > 4000) {
            err("内容", "不能超过4000字".into());
        }
        let matters: Vec<String> = self
            .matters
            .iter()
            .flat_map(|m| m.lines())
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        if matters.iter().any(|m| m.chars().count() > 500) {
            err("反映事项", "每条不能超过500字".into());
        }
        let aid = Some(self.aid.trim().to_string()).filter(|a| !a.is_empty());
        let aid_value = match self.aid_value.trim() {
            "" => None,
            v => match v.trim_end_matches('元').parse::<f64>() {
                Ok(x) if (0.0..=1_000_000.0).contains(&x) => Some(x),
                _ => {
                    err("慰问价值(元)", format!("“{v}”应为0到1000000之间的数"));
                    None
                }
            },
        };
        if (aid.is_some() || aid_value.is_some())
            && kind.is_some_and(|k| k != ActivityKind::CondolenceVisit)
        {
            err("慰问物资", "只有“走访慰问”记录可填写慰问物资和价值".into());
        }
        if aid.as_ref().is_some_and(|a| a.chars().count() > 200) {
            err("慰问物资", "不能超过200字".into());
        }
        if aid.is_none() && aid_value.is_some() {
            err(
                "慰问物资",
                "填写了价值，请写明送了什么（如慰问金、米、油）".into(),
            );
        }
        match (kind, start, end, errors.is_empty()) {
            (Some(kind), Some(start), Some(end), true) => Ok(Activity {
                client_key: key.to_string(),
                kind,
                start,
                end,
                participants,
                participant_ids,
                targets,
                companions,
                hours,
                notes,
                matters,
                card_delivered: self.card_delivered,
                aid,
                aid_value,
            }),
            _ => Err(errors),
        }
    }
}

impl Activity {
    /// What the form warns about but never refuses (the discipline declarations of RULES.md).
    pub fn warnings(&self, policy: &Policy) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(c) = self.companions
            && c as u32 > policy.work.max_companions
        {
            w.push(format!(
                "随行人员{c}人，超过规定的{}人（LXD-12），已照常保存",
                policy.work.max_companions
            ));
        }
        w
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_matter_is_filed_under_the_household_that_raised_it() {
        use super::attribute_matters;
        use crate::domain::labels::ActivityKind::*;
        let hh = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = hh(&["H1：路灯坏了", "H2: 低保复核"]);
        assert_eq!(
            attribute_matters(HouseholdVisit, &m, &hh(&["H1", "H2"])).unwrap(),
            vec![
                (Some("H1".into()), "路灯坏了".into()),
                (Some("H2".into()), "低保复核".into())
            ]
        );
        // One household: a plain matter is its own.
        assert_eq!(
            attribute_matters(HouseholdVisit, &hh(&["水管漏水"]), &hh(&["H1"])).unwrap(),
            vec![(Some("H1".into()), "水管漏水".into())]
        );
        // Several households and no name: refused, saying which matter.
        let e =
            attribute_matters(HouseholdVisit, &hh(&["水管漏水"]), &hh(&["H1", "H2"])).unwrap_err();
        assert!(e.contains("第1件") && e.contains("2户"), "{e}");
        // A household visit with no household is refused even without matters.
        assert!(attribute_matters(HouseholdVisit, &[], &[]).is_err());
        // A household the record does not name.
        assert!(attribute_matters(HouseholdVisit, &hh(&["H9：x"]), &hh(&["H1"])).is_err());
        // A stay in a village files under the village.
        assert_eq!(
            attribute_matters(VillageStay, &hh(&["修路"]), &[]).unwrap(),
            vec![(None, "修路".into())]
        );
    }

    use super::*;
    use proptest::prelude::*;

    fn hh(n: usize, groups: usize, hard_every: usize) -> Vec<OpenHousehold> {
        (0..n)
            .map(|i| OpenHousehold {
                code: format!("H{i:05}"),
                group: format!("G{}", i % groups),
                hardship: hard_every > 0 && i % hard_every == 0,
            })
            .collect()
    }

    fn takers(n: usize) -> Vec<Taker> {
        (0..n)
            .map(|i| Taker {
                person_id: i as i32 + 1,
                weight: 1.0,
                load: 0,
                hardship_load: 0,
            })
            .collect()
    }

    #[test]
    fn templates_show_filled_and_missing_slots() {
        let p = Policy::default_policy();
        let links = vec![
            (LinkKind::ContactVillage, "V1".to_string()),
            (LinkKind::ContactOrdinaryHousehold, "H1".to_string()),
            (LinkKind::ContactOrdinaryHousehold, "H2".to_string()),
        ];
        let t = contact_templates(&p, &[Role::TownLeadershipMember], &links);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].name, "一联五");
        assert!(!t[0].complete);
        let ordinary = t[0]
            .slots
            .iter()
            .find(|s| s.kind == LinkKind::ContactOrdinaryHousehold)
            .unwrap();
        assert_eq!((ordinary.required, ordinary.missing), (5, 3));
        assert!(t[0].missing_zh().contains("联系点-普通群众×3"));
        assert!(contact_templates(&p, &[Role::PartyMember], &links).is_empty());
    }

    #[test]
    fn shares_sum_to_the_total() {
        assert_eq!(shares(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(shares(10, &[2.0, 1.0, 1.0, 1.0]), vec![4, 2, 2, 2]);
        assert_eq!(shares(0, &[1.0]), vec![0]);
    }

    #[test]
    fn groups_stay_together_when_loads_allow() {
        // 3 groups of 10, 3 cadres: each cadre should get exactly one whole group.
        let h = hh(30, 3, 0);
        let p = propose(&h, &takers(3));
        let mut by_group: HashMap<String, Vec<i32>> = HashMap::new();
        for (code, who) in &p {
            let g = h.iter().find(|x| &x.code == code).unwrap().group.clone();
            by_group.entry(g).or_default().push(*who);
        }
        for (_, owners) in by_group {
            assert!(owners.windows(2).all(|w| w[0] == w[1]), "{owners:?}");
        }
    }

    proptest! {
        #[test]
        fn every_household_is_covered_and_loads_are_balanced(
            n in 0usize..400, k in 1usize..25, groups in 1usize..30, hard in 0usize..7,
            preload in proptest::collection::vec(0usize..20, 25),
        ) {
            let h = hh(n, groups, hard);
            let mut t = takers(k);
            for (i, x) in t.iter_mut().enumerate() { x.load = preload[i] / 4; }
            let p = propose(&h, &t);
            prop_assert_eq!(p.len(), n);
            let mut codes: Vec<_> = p.iter().map(|x| x.0.clone()).collect();
            codes.sort(); codes.dedup();
            prop_assert_eq!(codes.len(), n);
            let l = loads(&h, &t, &p);
            let max_pre = t.iter().map(|x| x.load).max().unwrap_or(0);
            let total: usize = l.values().map(|v| v.0).sum();
            // Nobody gets more than their fair share unless they already had it.
            let fair = total.div_ceil(k);
            for x in &t {
                let now = l[&x.person_id].0;
                prop_assert!(now <= fair.max(x.load), "load {} fair {} pre {}", now, fair, max_pre);
            }
            if t.iter().all(|x| x.load == 0) {
                let (mx, mn) = (l.values().map(|v| v.0).max().unwrap(), l.values().map(|v| v.0).min().unwrap());
                prop_assert!(mx - mn <= 1, "max {} min {}", mx, mn);
                let (hx, hn) = (l.values().map(|v| v.1).max().unwrap(), l.values().map(|v| v.1).min().unwrap());
                prop_assert!(hx - hn <= 1, "hardship max {} min {}", hx, hn);
            }
        }
    }

    #[test]
    fn a_record_is_checked_field_by_field_in_chinese() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let raw = RawActivity {
            client_key: "abc".into(),
            kind: "散步".into(),
            start_date: "2026-12-01".into(),
            end_date: "2026-11-30".into(),
            participants: vec!["123".into()],
            companions: "x".into(),
            ..Default::default()
        };
        let e = raw.parse(today, 100).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        for f in [
            "提交编号",
            "工作类型",
            "结束日期",
            "开始日期",
            "参加人",
            "随行人数",
        ] {
            assert!(fields.contains(&f), "{f} missing from {e:?}");
        }
        let ok = RawActivity {
            client_key: "k-12345678".into(),
            kind: "入户走访".into(),
            start_date: "2026/11/2".into(),
            participants: vec!["11010519491231002X".into()],
            targets: vec!["H1、H2".into()],
            companions: "4".into(),
            matters: vec!["路灯坏了\n\n 水渠堵了 ".into()],
            ..Default::default()
        }
        .parse(today, 100)
        .unwrap();
        assert_eq!(ok.end, ok.start);
        assert_eq!(ok.targets, vec!["H1", "H2"]);
        assert_eq!(ok.matters, vec!["路灯坏了", "水渠堵了"]);
        assert_eq!(ok.warnings(&Policy::default_policy()).len(), 1);
    }

    #[test]
    fn a_record_carries_at_most_the_settings_number_of_each_list() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let raw = RawActivity {
            client_key: "k-12345678".into(),
            kind: "入户走访".into(),
            start_date: "2026-11-02".into(),
            participants: vec!["11010519491231002X".into()],
            targets: vec!["H1".into()],
            matters: vec!["事项\n".repeat(101)],
            ..Default::default()
        };
        let e = raw.parse(today, 100).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "反映事项");
        assert!(e[0].message.contains("最多100项，本次101项"), "{e:?}");
        assert!(raw.parse(today, 101).is_ok());
    }

    #[test]
    fn duplicate_contacts_of_one_tier_are_warned() {
        let p = Policy::default_policy();
        let l = |pid, role, target: &str| ContactLink {
            person_id: pid,
            roles: vec![role],
            kind: LinkKind::ContactVillage,
            target_code: target.into(),
        };
        let links = vec![
            l(1, Role::TownLeadershipMember, "V1"),
            l(2, Role::StreetLeadershipMember, "V1"),
            l(3, Role::CountyLeadershipMember, "V2"),
            l(4, Role::TownLeadershipMember, "V2"),
        ];
        let d = duplicate_contacts(&p, &links);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].target_code, "V1");
        assert_eq!(d[0].person_ids, vec![1, 2]);
        assert!(d[0].warning);
    }
}
