//! The life of a ledger item as an explicit state machine (issue 6 builds the store and pages on
//! it): registered → assigned 交办 → in progress → resolved 办结 → fed back 反馈 → closed 销号,
//! with escalation 上报 village → town desk → county centre, return, extension and reopening.
//! Every transition is checked here: which state it starts from, and who may make it.

use crate::domain::calendar::Calendar;
pub use crate::domain::policy::Counting;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Village,
    Town,
    County,
}

impl Level {
    pub fn up(self) -> Option<Level> {
        match self {
            Level::Village => Some(Level::Town),
            Level::Town => Some(Level::County),
            Level::County => None,
        }
    }
    pub fn down(self) -> Option<Level> {
        match self {
            Level::Village => None,
            Level::Town => Some(Level::Village),
            Level::County => Some(Level::Town),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Registered,
    Assigned,
    InProgress,
    Escalated,
    Resolved,
    FedBack,
    Closed,
    /// A petition under 复查: the petitioner asked the level above to review the answer
    /// (national clocks only).
    Review,
    /// Under 复核, the second and last review.
    Recheck,
}

/// What the resident said of the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Solved,
    PartlySolved,
    NotSolved,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Assign,
    Start,
    Escalate,
    /// The level above sends an escalated item back down.
    Return,
    /// One extension of the deadline.
    Extend,
    Resolve,
    /// The resident's answer; `on_behalf` when the owner records it for the resident.
    Feedback {
        answer: Answer,
        on_behalf: bool,
    },
    Close,
    /// The petitioner, not satisfied with the answer, asks for 复查 (then 复核): the level
    /// above reviews it on its own clock. The store allows it only where the policy has
    /// review steps.
    RequestReview,
    /// The level above puts a late item under supervision 督办.
    Supervise,
    /// A record that changes no state: the reason an item is late, a notice given to the
    /// petitioner, one of the five guarantees of a key case.
    Note,
}

/// Who acts: the office of a level, the item's first handler 首办责任人, the resident, or the
/// supervision office 督查 (which may only supervise and note).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Office(Level),
    FirstHandler,
    Resident,
    Supervisor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    pub status: Status,
    pub level: Level,
    pub extended: bool,
    pub last_answer: Option<Answer>,
    /// The answer was recorded by the owner for the resident (shown as such).
    pub answered_on_behalf: bool,
    pub supervised: bool,
    /// Reviews asked for so far: 1 复查, 2 复核 (the last).
    pub reviews: u8,
}

impl Item {
    pub fn new(level: Level) -> Item {
        Item {
            status: Status::Registered,
            level,
            extended: false,
            last_answer: None,
            answered_on_behalf: false,
            supervised: false,
            reviews: 0,
        }
    }

    /// Still waiting for work: not yet resolved (or reopened by the resident).
    pub fn open(&self) -> bool {
        !matches!(
            self.status,
            Status::Resolved | Status::FedBack | Status::Closed
        )
    }

    /// The item after `action` by `actor`, or why it is refused (in Chinese). Never partial.
    pub fn apply(&self, action: Action, actor: Actor) -> Result<Item, String> {
        use Status::*;
        let office_here = actor == Actor::Office(self.level);
        let office_above = self.level.up().is_some_and(|l| actor == Actor::Office(l));
        let mut next = *self;
        // 分级督办 (seed 001): the office of the level above may do what the level's own office
        // does — assign, resolve, extend, close — without waiting for an escalation.
        let office = office_here || office_above;
        match (action, self.status) {
            (Action::Assign, Registered | Escalated | Assigned | InProgress) if office => {
                next.status = Assigned
            }
            (Action::Start, Registered | Assigned) if actor == Actor::FirstHandler => {
                next.status = InProgress
            }
            (Action::Escalate, Registered | Assigned | InProgress)
                if office_here || actor == Actor::FirstHandler =>
            {
                next.level = self.level.up().ok_or("已在县级民情处理中心，不能再上报")?;
                next.status = Escalated;
            }
            (Action::Return, Escalated) if office_here => {
                next.level = self.level.down().ok_or("村级事项不能退回")?;
                next.status = Assigned;
            }
            (Action::Extend, Review | Recheck) if office => {
                return Err("复查、复核的期限不能延长".into());
            }
            (Action::Extend, Registered | Assigned | InProgress | Escalated) if office => {
                if self.extended {
                    return Err("已经延期过一次，不能再延期".into());
                }
                next.extended = true;
            }
            (Action::Resolve, Registered | Assigned | InProgress)
                if actor == Actor::FirstHandler || office =>
            {
                next.status = Resolved
            }
            // The level an item was escalated (or reopened) to may settle it itself.
            (Action::Resolve, Escalated) if office => next.status = Resolved,
            // The reviewing level gives its 复查意见 or 复核意见.
            (Action::Resolve, Review | Recheck) if office => next.status = Resolved,
            (Action::RequestReview, Resolved | FedBack | Closed) if office => {
                next.status = match self.reviews {
                    0 => Review,
                    1 => Recheck,
                    _ => return Err("复核意见为最终结论，不再受理复查、复核请求".into()),
                };
                next.reviews = self.reviews + 1;
                // Reviewed by the level above (the county centre reviews its own).
                next.level = self.level.up().unwrap_or(self.level);
                next.last_answer = None;
                next.answered_on_behalf = false;
            }
            (Action::Feedback { answer, on_behalf }, Resolved) => {
                match (actor, on_behalf) {
                    (Actor::Resident, false) | (Actor::FirstHandler, true) => {}
                    (Actor::FirstHandler, false) => {
                        return Err("责任人代群众填写反馈时须注明“代填”".into());
                    }
                    _ => return Err("反馈应由群众本人填写，或由责任人注明代填".into()),
                }
                next.last_answer = Some(answer);
                next.answered_on_behalf = on_behalf;
                // “Not solved” reopens the item at the level above, which assigns it anew
                // (at the county centre it is reopened where it is).
                next.status = if answer == Answer::NotSolved {
                    match self.level.up() {
                        Some(up) => {
                            next.level = up;
                            Escalated
                        }
                        None => InProgress,
                    }
                } else {
                    FedBack
                };
            }
            (Action::Close, FedBack) if office => next.status = Closed,
            (_, Closed) => return Err("事项已销号".into()),
            // Supervision comes from the level above; the county centre supervises its own.
            (Action::Supervise, _)
                if self.open()
                    && (office_above
                        || actor == Actor::Supervisor
                        || (self.level == Level::County && office_here)) =>
            {
                if self.supervised {
                    return Err("事项已在督办中".into());
                }
                next.supervised = true;
            }
            (Action::Note, _) if actor != Actor::Resident => {}
            (a, s) => {
                return Err(format!(
                    "当前状态“{}”下不能{}，或您无权办理",
                    status_zh(s),
                    action_zh(a)
                ));
            }
        }
        Ok(next)
    }
}

/// A deadline `days` from `from` under `clock`: calendar days, where a deadline that falls on a
/// rest day moves to the next working day (as statutory time limits do), or working days.
pub fn deadline(cal: &Calendar, from: NaiveDate, days: u32, count: Counting) -> NaiveDate {
    match count {
        Counting::Calendar => {
            let mut d = from + Duration::days(i64::from(days));
            while !cal.is_working_day(d) {
                d += Duration::days(1);
            }
            d
        }
        Counting::Working => {
            let mut d = from;
            let mut left = days;
            while left > 0 {
                d += Duration::days(1);
                if cal.is_working_day(d) {
                    left -= 1;
                }
            }
            d
        }
    }
}

/// Whether `today` is past `deadline` for an item still open.
pub fn overdue(deadline: Option<NaiveDate>, today: NaiveDate) -> bool {
    deadline.is_some_and(|d| today > d)
}

/// Working days from `today` to `deadline` (0 when due today; negative when late).
pub fn working_days_left(cal: &Calendar, today: NaiveDate, deadline: NaiveDate) -> i64 {
    let (a, b, sign) = if deadline >= today {
        (today, deadline, 1)
    } else {
        (deadline, today, -1)
    };
    let mut n = 0;
    let mut d = a;
    while d < b {
        d += Duration::days(1);
        if cal.is_working_day(d) {
            n += 1;
        }
    }
    sign * n
}

/// Reminders are shown in working hours of working days only: no alerts at midnight or on a
/// holiday. `now` is Beijing time.
pub fn reminders_now(cal: &Calendar, now: NaiveDateTime, hours: (NaiveTime, NaiveTime)) -> bool {
    cal.is_working_day(now.date()) && now.time() >= hours.0 && now.time() < hours.1
}

pub fn status_zh(s: Status) -> &'static str {
    match s {
        Status::Registered => "已登记",
        Status::Assigned => "已交办",
        Status::InProgress => "办理中",
        Status::Escalated => "已上报",
        Status::Resolved => "已办结",
        Status::FedBack => "已反馈",
        Status::Closed => "已销号",
        Status::Review => "复查中",
        Status::Recheck => "复核中",
    }
}

pub fn action_zh(a: Action) -> &'static str {
    match a {
        Action::Assign => "交办",
        Action::Start => "开始办理",
        Action::Escalate => "上报",
        Action::Return => "退回",
        Action::Extend => "延期",
        Action::Resolve => "办结",
        Action::Feedback { .. } => "反馈",
        Action::Close => "销号",
        Action::RequestReview => "受理复查复核请求",
        Action::Supervise => "督办",
        Action::Note => "记录情况",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Assign),
            Just(Action::Start),
            Just(Action::Escalate),
            Just(Action::Return),
            Just(Action::Extend),
            Just(Action::Resolve),
            Just(Action::Close),
            Just(Action::RequestReview),
            Just(Action::Supervise),
            Just(Action::Note),
            (0..3u8, any::<bool>()).prop_map(|(a, on_behalf)| Action::Feedback {
                answer: [Answer::Solved, Answer::PartlySolved, Answer::NotSolved][a as usize],
                on_behalf
            }),
        ]
    }

    fn actor() -> impl Strategy<Value = Actor> {
        prop_oneof![
            Just(Actor::FirstHandler),
            Just(Actor::Resident),
            Just(Actor::Office(Level::Village)),
            Just(Actor::Office(Level::Town)),
            Just(Actor::Office(Level::County)),
            Just(Actor::Supervisor),
        ]
    }

    fn valid(i: &Item) -> bool {
        // Closed only after a resident's (or marked) answer that was not “not solved”;
        // escalated items sit above the village; an answer exists once fed back.
        (i.status != Status::Closed
            || matches!(i.last_answer, Some(Answer::Solved | Answer::PartlySolved)))
            && (i.status != Status::Escalated || i.level > Level::Village)
            && (i.status != Status::FedBack || i.last_answer.is_some())
            && (i.status != Status::Review || i.reviews == 1)
            && (i.status != Status::Recheck || i.reviews == 2)
            && i.reviews <= 2
    }

    proptest! {
        #[test]
        fn no_sequence_of_allowed_actions_reaches_an_invalid_state(
            steps in proptest::collection::vec((action(), actor()), 0..60)
        ) {
            let mut item = Item::new(Level::Village);
            for (a, who) in steps {
                match item.apply(a, who) {
                    Ok(next) => {
                        prop_assert!(valid(&next), "{:?} after {:?} by {:?}", next, a, who);
                        prop_assert!(!(item.extended && a == Action::Extend));
                        item = next;
                    }
                    // A refusal changes nothing: `apply` takes `&self` and returns a new item.
                    Err(why) => prop_assert!(!why.is_empty()),
                }
            }
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_petition_is_reviewed_once_and_rechecked_once_by_the_level_above() {
        let town = Actor::Office(Level::Town);
        let county = Actor::Office(Level::County);
        let mut i = Item::new(Level::Village)
            .apply(Action::Resolve, Actor::FirstHandler)
            .unwrap();
        // The petitioner asks for 复查: the town reviews, on its own clock, without extension.
        i = i.apply(Action::RequestReview, town).unwrap();
        assert_eq!(
            (i.status, i.level, i.reviews),
            (Status::Review, Level::Town, 1)
        );
        assert!(i.open());
        assert!(i.apply(Action::Extend, town).is_err());
        assert!(i.apply(Action::Resolve, Actor::FirstHandler).is_err());
        i = i.apply(Action::Resolve, town).unwrap();
        // Then 复核 at the county, whose answer is final.
        i = i.apply(Action::RequestReview, county).unwrap();
        assert_eq!(
            (i.status, i.level, i.reviews),
            (Status::Recheck, Level::County, 2)
        );
        i = i.apply(Action::Resolve, county).unwrap();
        let why = i.apply(Action::RequestReview, county).unwrap_err();
        assert!(why.contains("最终结论"), "{why}");
        // Nobody below the reviewing level asks for it on the petitioner's behalf.
        let fresh = Item::new(Level::Town)
            .apply(Action::Resolve, Actor::Office(Level::Town))
            .unwrap();
        assert!(
            fresh
                .apply(Action::RequestReview, Actor::Office(Level::Village))
                .is_err()
        );
    }

    #[test]
    fn deadlines_follow_the_official_calendar() {
        let cal = Calendar::seeded();
        // Registered the day before the National Day holiday (1–7 Oct 2026, with Saturday
        // 10 Oct a make-up working day): three working days are 8, 9 and 10 October.
        assert_eq!(
            deadline(&cal, day("2026-09-30"), 3, Counting::Working),
            day("2026-10-10")
        );
        // The day before the Spring Festival break, whose Saturday 14 Feb is a working day.
        assert_eq!(
            deadline(&cal, day("2026-02-13"), 3, Counting::Working),
            day("2026-02-25")
        );
        // Thirty calendar days that end on a holiday end on the next working day.
        assert_eq!(
            deadline(&cal, day("2026-09-01"), 30, Counting::Calendar),
            day("2026-10-08")
        );
        assert_eq!(
            deadline(&cal, day("2026-09-30"), 30, Counting::Calendar),
            day("2026-10-30")
        );
        // An extension of 30 days from that deadline ends on a Saturday: Monday.
        assert_eq!(
            deadline(&cal, day("2026-10-08"), 30, Counting::Calendar),
            day("2026-11-09")
        );
        assert_eq!(
            working_days_left(&cal, day("2026-09-30"), day("2026-10-10")),
            3
        );
        assert_eq!(
            working_days_left(&cal, day("2026-10-12"), day("2026-10-08")),
            -3
        );
        assert!(
            !overdue(Some(day("2026-10-08")), day("2026-10-08")),
            "due today is not late"
        );
        assert!(overdue(Some(day("2026-10-08")), day("2026-10-09")));
    }

    #[test]
    fn reminders_wait_for_working_hours() {
        let cal = Calendar::seeded();
        let hours = (
            NaiveTime::from_hms_opt(8, 30, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 30, 0).unwrap(),
        );
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert!(
            reminders_now(&cal, at("2026-10-10 09:00"), hours),
            "make-up Saturday"
        );
        assert!(
            !reminders_now(&cal, at("2026-10-09 23:50"), hours),
            "midnight"
        );
        assert!(
            !reminders_now(&cal, at("2026-10-02 10:00"), hours),
            "holiday"
        );
        assert!(!reminders_now(&cal, at("2026-10-12 17:30"), hours));
    }

    #[test]
    fn the_level_above_acts_on_a_village_item_and_the_owner_on_a_fresh_one() {
        // 分级督办: the town desk assigns and settles a village's item without an escalation.
        let i = Item::new(Level::Village);
        let town = Actor::Office(Level::Town);
        let a = i.apply(Action::Assign, town).unwrap();
        assert_eq!((a.status, a.level), (Status::Assigned, Level::Village));
        assert_eq!(
            i.apply(Action::Resolve, town).unwrap().status,
            Status::Resolved
        );
        // The first handler of a matter heard on a visit works on it at once.
        assert_eq!(
            i.apply(Action::Start, Actor::FirstHandler).unwrap().status,
            Status::InProgress
        );
        // Two levels up is no office of this item; the supervision office only supervises.
        assert!(
            i.apply(Action::Assign, Actor::Office(Level::County))
                .is_err()
        );
        assert!(i.apply(Action::Resolve, Actor::Supervisor).is_err());
        assert!(
            i.apply(Action::Supervise, Actor::Supervisor)
                .unwrap()
                .supervised
        );
        // Not solved at the county centre: open again where it is.
        let mut c = Item::new(Level::County);
        c = c
            .apply(Action::Resolve, Actor::Office(Level::County))
            .unwrap();
        c = c
            .apply(
                Action::Feedback {
                    answer: Answer::NotSolved,
                    on_behalf: false,
                },
                Actor::Resident,
            )
            .unwrap();
        assert_eq!((c.status, c.level), (Status::InProgress, Level::County));
    }

    #[test]
    fn supervision_comes_from_above_once_and_notes_change_nothing() {
        let i = Item::new(Level::Village);
        assert!(
            i.apply(Action::Supervise, Actor::Office(Level::Village))
                .is_err()
        );
        let s = i
            .apply(Action::Supervise, Actor::Office(Level::Town))
            .unwrap();
        assert!(s.supervised);
        assert!(
            s.apply(Action::Supervise, Actor::Office(Level::Town))
                .is_err()
        );
        assert_eq!(s.apply(Action::Note, Actor::FirstHandler).unwrap(), s);
        assert!(s.apply(Action::Note, Actor::Resident).is_err());
    }

    #[test]
    fn the_full_loop_with_a_not_solved_answer() {
        let village = Actor::Office(Level::Village);
        let town = Actor::Office(Level::Town);
        let mut i = Item::new(Level::Village);
        for (a, who) in [
            (Action::Assign, village),
            (Action::Start, Actor::FirstHandler),
            (Action::Escalate, Actor::FirstHandler),
        ] {
            i = i.apply(a, who).unwrap();
        }
        assert_eq!((i.status, i.level), (Status::Escalated, Level::Town));
        assert!(
            i.apply(Action::Assign, village).is_err(),
            "the village cannot take back an escalated item"
        );
        i = i.apply(Action::Assign, town).unwrap();
        i = i.apply(Action::Resolve, Actor::FirstHandler).unwrap();
        let e = i
            .apply(
                Action::Feedback {
                    answer: Answer::Solved,
                    on_behalf: false,
                },
                Actor::FirstHandler,
            )
            .unwrap_err();
        assert!(e.contains("代填"), "{e}");
        i = i
            .apply(
                Action::Feedback {
                    answer: Answer::NotSolved,
                    on_behalf: false,
                },
                Actor::Resident,
            )
            .unwrap();
        // Not solved at the town desk: open again at the county centre, which assigns it anew.
        assert_eq!(
            (i.status, i.level),
            (Status::Escalated, Level::County),
            "reopened above"
        );
        assert_eq!(i.last_answer, Some(Answer::NotSolved));
        let county = Actor::Office(Level::County);
        i = i.apply(Action::Assign, county).unwrap();
        i = i.apply(Action::Resolve, Actor::FirstHandler).unwrap();
        i = i
            .apply(
                Action::Feedback {
                    answer: Answer::Solved,
                    on_behalf: true,
                },
                Actor::FirstHandler,
            )
            .unwrap();
        assert!(i.answered_on_behalf);
        assert!(
            i.apply(Action::Close, town).is_err(),
            "closed at its own level (or above)"
        );
        i = i.apply(Action::Close, county).unwrap();
        assert_eq!(i.status, Status::Closed);
        assert_eq!(
            i.apply(Action::Resolve, Actor::FirstHandler).unwrap_err(),
            "事项已销号"
        );
        let mut j = Item::new(Level::County);
        j = j
            .apply(Action::Extend, Actor::Office(Level::County))
            .unwrap();
        assert!(
            j.apply(Action::Extend, Actor::Office(Level::County))
                .unwrap_err()
                .contains("一次")
        );
        assert!(
            j.apply(Action::Escalate, Actor::Office(Level::County))
                .unwrap_err()
                .contains("县级")
        );
    }
}
