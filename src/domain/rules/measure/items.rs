//! Each ledger item (of these clocks and sources) registered in the year up to the as-of day,
//! judged on its own under its village, its first handler or its case first_handler: an owner and a
//! deadline (TZ-2), answered in time (XF-1, XF-10, RX-1, CG-9), closed out or supervised (TZ-4),
//! fed back (LH-5), five guarantees (XF-9), on its household's page (TZ-1), escalated when
//! overdue (TZ-3). An item's own deadline decides between pending and unmet.

use super::Judge;
use crate::domain::labels::ItemSource;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows, Subject};
use crate::domain::rules::facts::ItemFact;
use crate::domain::rules::period::Period;
use crate::domain::rules::report::Status;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Items {
    pub check: ItemCheck,
    /// item, petition, hotline; all when empty.
    #[serde(default)]
    pub clocks: Vec<String>,
    #[serde(default)]
    pub sources: Vec<ItemSource>,
    /// Whose row it is: the village the item belongs to, its owner or its case owner.
    #[serde(default)]
    pub by: ItemSubject,
    /// With `answered_in_time`: the petitioner is also told within this many calendar days of
    /// registration whether the petition is accepted 受理告知 (a “notice” step; the national
    /// 《信访工作条例》 sets 15).
    #[serde(default)]
    pub notice_days: Option<u32>,
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

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ItemSubject {
    #[default]
    Village,
    /// The first handler 首办责任人 (`owner` in policies written before the word was fixed).
    #[serde(alias = "owner")]
    FirstHandler,
    CaseOwner,
    /// The cadre linked to the item's household (联户干部) when it was registered: LH-5 binds
    /// them for every problem their household raised, whatever its source.
    Linker,
}

const CLOCKS: [&str; 3] = ["item", "petition", "hotline"];

impl Judge for Items {
    const KEYS: &'static [&'static str] = &["check", "clocks", "sources", "by", "notice_days"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        let mut errors: Vec<String> = self
            .clocks
            .iter()
            .filter(|c| !CLOCKS.contains(&c.as_str()))
            .map(|c| format!("clocks 中的“{c}”无效，可选：item、petition、hotline"))
            .collect();
        if let Some(n) = self.notice_days {
            if self.check != ItemCheck::AnsweredInTime {
                errors.push("notice_days 只用于 check = \"answered_in_time\"".into());
            }
            if !(1..=366).contains(&n) {
                errors.push(format!("notice_days（{n}）应在1到366天之间"));
            }
        }
        errors
    }

    fn threshold(&self) -> String {
        use ItemCheck as C;
        let what = match self.check {
            C::OwnerAndDeadline => "有责任人和期限",
            C::AssignedAndAnswered => "已交办并在期限内办结",
            C::AnsweredInTime => "在期限内书面答复",
            C::ClosedOrSupervised => "已销号，逾期的记录原因并督办",
            C::FedBack => "办理结果已反馈群众",
            C::FiveGuarantees => "五包逐项落实",
            C::OnHouseholdPage => "记入该户的一户一页",
            C::EscalatedWhenOverdue => "本级到期未办结的逐级上报",
        };
        match self.notice_days {
            Some(n) => format!("每件事项：{n}日内受理告知，{what}"),
            None => format!("每件事项：{what}"),
        }
    }

    fn judge(&self, _: &Rule, cx: &Context, rows: &mut Rows) {
        let ix = cx.index;
        // Household → its household links, for `by = "linker"`.
        let mut linkers: rustc_hash::FxHashMap<&str, Vec<&crate::domain::rules::facts::LinkFact>> =
            Default::default();
        if self.by == ItemSubject::Linker {
            for l in &cx.facts.links {
                if l.kind == crate::domain::labels::LinkKind::HouseholdLink && l.person.is_some() {
                    linkers.entry(l.target.as_str()).or_default().push(l);
                }
            }
        }
        for i in &cx.facts.items {
            if i.registered_on.year() != cx.year
                || i.registered_on > cx.as_of
                || (!self.clocks.is_empty() && !self.clocks.contains(&i.clock))
                || (!self.sources.is_empty() && !self.sources.contains(&i.source))
            {
                continue;
            }
            let subject = match self.by {
                ItemSubject::Village => Subject {
                    kind: "region",
                    code: &i.village,
                    name: ix
                        .regions
                        .get(i.village.as_str())
                        .map_or("", |r| r.name.as_str()),
                    person: None,
                    path: None,
                },
                ItemSubject::Linker => {
                    let linker = i.household.as_deref().and_then(|h| {
                        linkers
                            .get(h)?
                            .iter()
                            .find(|l| l.start <= i.registered_on && l.end >= i.registered_on)
                    });
                    match linker.and_then(|l| ix.people.get(&l.person?)) {
                        Some(p) => Subject::person(p),
                        // Not a linked household's problem (or none named): LH-5 does not bind.
                        None => continue,
                    }
                }
                ItemSubject::FirstHandler | ItemSubject::CaseOwner => {
                    let who = if self.by == ItemSubject::FirstHandler {
                        i.first_handler
                    } else {
                        i.case_owner
                    };
                    match who.and_then(|p| ix.people.get(&p)) {
                        Some(p) => Subject::person(p),
                        // An item without its owner (or a case without its leader) binds no
                        // one yet; TZ-2 reports the missing owner.
                        None => continue,
                    }
                }
            };
            let Some((mut status, mut actual, mut required, mut detail)) =
                judge_item(self.check, i, cx.as_of)
            else {
                continue;
            };
            // A service-room application is named by its kind (CG-9: 婚育证明, 低保 …).
            if i.source == ItemSource::ServiceRoom
                && let Some(c) = &i.category
            {
                detail = if detail.is_empty() {
                    c.clone()
                } else {
                    format!("{c}：{detail}")
                };
            }
            if let Some(n) = self.notice_days {
                let (told, why) = told_in_time(i, n, cx.as_of);
                required += 1;
                match told {
                    Status::Met => actual += 1,
                    Status::Unmet => status = Status::Unmet,
                    Status::Pending if status == Status::Met => status = Status::Pending,
                    _ => {}
                }
                if !why.is_empty() {
                    detail = if detail.is_empty() {
                        why
                    } else {
                        format!("{why}；{detail}")
                    };
                }
            }
            // Judged in the year, by the policy in force on the day it was registered.
            let registered = Period {
                label: cx.year.to_string(),
                start: i.registered_on,
                end: i.registered_on,
            };
            let found = Found {
                target: Some(match &i.household {
                    Some(h) => format!("{h}#{}", i.id),
                    None => format!("#{}", i.id),
                }),
                actual: actual as f64,
                required: required as f64,
                detail,
            };
            rows.decided(&subject, &registered, found, status);
        }
    }
}

/// Whether the petitioner was told within `days` of registration that the petition is accepted
/// (受理告知), and what is missing.
fn told_in_time(i: &ItemFact, days: u32, as_of: NaiveDate) -> (Status, String) {
    let by = i.registered_on + chrono::Duration::days(i64::from(days));
    match i.told_on {
        Some(t) if t <= by => (Status::Met, String::new()),
        Some(t) => (Status::Unmet, format!("{t}才受理告知，应在{by}前")),
        None if as_of > by => (Status::Unmet, format!("未在{by}前受理告知")),
        None => (Status::Pending, format!("{by}前受理告知")),
    }
}

/// One item under one check: its status, how much of it is done out of how much, and what is
/// missing; `None` where the check does not apply (five guarantees without a case owner).
fn judge_item(
    check: ItemCheck,
    i: &ItemFact,
    as_of: NaiveDate,
) -> Option<(Status, usize, usize, String)> {
    use ItemCheck as C;
    let late = i.deadline.is_some_and(|d| as_of > d);
    let done = i.resolved_on.is_some() || matches!(i.status.as_str(), "fed_back" | "closed");
    let judged = match check {
        C::OwnerAndDeadline => {
            let missing: Vec<&str> = [
                (i.first_handler.is_none(), "责任人"),
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
            let assigned = check == C::AnsweredInTime || i.first_handler.is_some();
            match (in_time && assigned, done, late) {
                (true, _, _) => (Status::Met, 1, 1, String::new()),
                (false, true, _) if !assigned => (Status::Unmet, 0, 1, "办结前未交办责任人".into()),
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
            // Only a key case, one with a case owner, has five guarantees.
            i.case_owner?;
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
    Some(judged)
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

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
        // On the deadline day the one answered the day after is still open: only what is
        // dated on or before the as-of day counts.
        assert_eq!(
            r,
            [
                (Some("H1#1".into()), Status::Met),
                (Some("H1#2".into()), Status::Pending),
                (Some("H1#3".into()), Status::Pending),
            ]
        );
        assert_eq!(item_status(&f, "XF-10", "2026-10-09")[1].1, Status::Unmet);
        // The day after the deadline, the open one is unmet.
        assert_eq!(item_status(&f, "XF-10", "2026-10-09")[2].1, Status::Unmet);
        // Registered after the as-of day: not yet in the report.
        assert!(item_status(&f, "XF-10", "2026-08-31").is_empty());
        // XF-1 counts letters only; an unassigned letter answered is unmet.
        let mut unassigned = item(5, Letter, "petition");
        unassigned.first_handler = None;
        unassigned.resolved_on = Some(d("2026-09-10"));
        let f = item_facts(vec![unassigned, item(6, Reception, "petition")]);
        assert_eq!(
            item_status(&f, "XF-1", "2026-09-30"),
            [(Some("H1#5".into()), Status::Unmet)]
        );
    }

    #[test]
    fn under_the_national_clocks_a_petition_is_also_told_within_fifteen_days() {
        use crate::domain::labels::ItemSource::*;
        let national = Policy::parse(crate::domain::policy::NATIONAL_2022).unwrap();
        let status = |f: &Facts, as_of: &str| -> Vec<(Status, f64, String)> {
            evaluate(&national, f, 2026, d(as_of))
                .results
                .into_iter()
                .filter(|o| o.rule == "XF-10")
                .map(|o| (o.status, o.actual, o.detail))
                .collect()
        };
        // Registered 1 Sep, answered 20 Sep: told on the 15th day is met, on the 16th unmet.
        let answered = |id: i32, told: &str| {
            let mut i = item(id, Letter, "petition");
            i.resolved_on = Some(d("2026-09-20"));
            i.status = "resolved".into();
            i.told_on = Some(d(told));
            i
        };
        let f = item_facts(vec![answered(1, "2026-09-16"), answered(2, "2026-09-17")]);
        let r = status(&f, "2026-12-31");
        assert_eq!((r[0].0, r[0].1), (Status::Met, 2.0));
        assert_eq!((r[1].0, r[1].1), (Status::Unmet, 1.0));
        assert!(r[1].2.contains("2026-09-17才受理告知"), "{}", r[1].2);
        // Not yet told: pending until the 15th day, unmet after, even while the answer is due.
        let f = item_facts(vec![item(3, Letter, "petition")]);
        assert_eq!(status(&f, "2026-09-16")[0].0, Status::Pending);
        let late = status(&f, "2026-09-17");
        assert_eq!(late[0].0, Status::Unmet);
        assert!(
            late[0].2.contains("未在2026-09-16前受理告知"),
            "{}",
            late[0].2
        );
        // The default policy has no such part: the same item is pending on its answer.
        assert_eq!(item_status(&f, "XF-10", "2026-09-17")[0].1, Status::Pending);
    }

    #[test]
    fn a_service_room_application_is_answered_in_time_and_named_by_its_kind() {
        use crate::domain::labels::ItemSource::*;
        // CG-9: assigned and answered by the deadline (8 October) is met, a day late unmet;
        // a row with something to say begins with the application's kind.
        let mut in_time = item(1, ServiceRoom, "item");
        in_time.resolved_on = Some(d("2026-10-08"));
        in_time.category = Some("低保".into());
        let mut late = item(2, ServiceRoom, "item");
        late.resolved_on = Some(d("2026-10-09"));
        late.category = Some("户籍迁移".into());
        let f = item_facts(vec![in_time, late]);
        let p = Policy::parse(DEFAULT).unwrap();
        let rows: Vec<(Status, String)> = evaluate(&p, &f, 2026, d("2026-12-31"))
            .results
            .into_iter()
            .filter(|o| o.rule == "CG-9")
            .map(|o| (o.status, o.detail))
            .collect();
        assert_eq!(rows[0].0, Status::Met);
        assert_eq!(rows[1].0, Status::Unmet);
        assert!(rows[1].1.starts_with("户籍迁移："), "{}", rows[1].1);
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
    fn every_item_has_an_owner_and_is_closed_or_supervised() {
        use crate::domain::labels::ItemSource::*;
        let mut no_owner = item(1, Hotline, "hotline");
        no_owner.first_handler = None;
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
        let mut f = item_facts(vec![answered, waiting, case, full]);
        // LH-5 binds the household's linked cadre: none linked, no row.
        assert!(rows(&f, "LH-5", "2026-10-08").is_empty());
        // Linked to P1: every item of H1 whatever its source, the letters too. Answered met;
        // the others pending to their deadline, then unmet.
        f.links.push(link(1, LinkKind::HouseholdLink, "H1"));
        let r = rows(&f, "LH-5", "2026-10-08");
        assert_eq!(r.len(), 4);
        assert_eq!(
            r.iter().map(|r| r.2).collect::<Vec<_>>(),
            [
                Status::Met,
                Status::Pending,
                Status::Pending,
                Status::Pending
            ]
        );
        assert_eq!(item_status(&f, "LH-5", "2026-10-09")[1].1, Status::Unmet);
        let p = Policy::parse(DEFAULT).unwrap();
        assert!(
            evaluate(&p, &f, 2026, d("2026-10-08"))
                .results
                .iter()
                .filter(|o| o.rule == "LH-5")
                .all(|o| o.subject_code == "P1")
        );
        // XF-9 under the case first_handler: four of five is pending, then unmet; five is met.
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
}
