//! Decision records 三问决策 (DY-7): a major decision asks the people what they need before it
//! is taken (问需), how to do it while it is carried out (问计) and how it worked once done (问效).
//! Each stage's record must fall in its own window of the decision's life.

use crate::domain::labels::DecisionStage;
use chrono::NaiveDate;

/// Why a consultation held on `held_on` cannot be the decision's `stage`, in one Chinese
/// sentence; `None` when it can.
pub fn stage_window_error(
    stage: DecisionStage,
    held_on: NaiveDate,
    decided_on: NaiveDate,
    completed_on: Option<NaiveDate>,
) -> Option<String> {
    match stage {
        DecisionStage::Before if held_on > decided_on => Some(format!(
            "事前问需应在决策之日（{decided_on}）或之前，填的是{held_on}"
        )),
        DecisionStage::During if held_on < decided_on => Some(format!(
            "事中问计应在决策之日（{decided_on}）之后的实施中，填的是{held_on}"
        )),
        DecisionStage::During if completed_on.is_some_and(|c| held_on > c) => Some(format!(
            "事中问计应在实施完成（{}）之前，填的是{held_on}",
            completed_on.unwrap_or(held_on)
        )),
        DecisionStage::After => match completed_on {
            None => Some("决策尚未登记实施完成日期，事后问效须在完成之后".into()),
            Some(c) if held_on < c => Some(format!(
                "事后问效应在实施完成（{c}）之日或之后，填的是{held_on}"
            )),
            _ => None,
        },
        _ => None,
    }
}

/// What a decision still lacks as of a day, and whether each missing stage can still come.
#[derive(Debug, PartialEq, Eq)]
pub struct Standing {
    pub held: usize,
    /// Missing stages whose window has closed.
    pub overdue: Vec<DecisionStage>,
    /// Missing stages that can still be held.
    pub open: Vec<DecisionStage>,
}

/// `held`: the stages with a record dated on or before `as_of`. The record before is overdue
/// once the decision is taken; the one during, once it is completed; the one after,
/// `after_days` after completion.
pub fn standing(
    held: &[DecisionStage],
    decided_on: NaiveDate,
    completed_on: Option<NaiveDate>,
    after_days: u32,
    as_of: NaiveDate,
) -> Standing {
    let mut s = Standing {
        held: 0,
        overdue: Vec::new(),
        open: Vec::new(),
    };
    for stage in DecisionStage::ALL {
        if held.contains(stage) {
            s.held += 1;
            continue;
        }
        let closed = match stage {
            DecisionStage::Before => decided_on <= as_of,
            DecisionStage::During => completed_on.is_some_and(|c| c <= as_of),
            DecisionStage::After => completed_on
                .is_some_and(|c| c + chrono::Duration::days(i64::from(after_days)) < as_of),
        };
        if closed {
            s.overdue.push(*stage);
        } else {
            s.open.push(*stage);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecisionStage::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn each_stage_has_its_window() {
        let (dec, done) = (d("2026-03-01"), Some(d("2026-09-30")));
        assert_eq!(stage_window_error(Before, d("2026-03-01"), dec, done), None);
        assert!(stage_window_error(Before, d("2026-03-02"), dec, done).is_some());
        assert_eq!(stage_window_error(During, d("2026-03-01"), dec, done), None);
        assert_eq!(stage_window_error(During, d("2026-09-30"), dec, done), None);
        assert!(stage_window_error(During, d("2026-10-01"), dec, done).is_some());
        assert!(stage_window_error(During, d("2026-02-28"), dec, done).is_some());
        assert_eq!(stage_window_error(During, d("2027-02-28"), dec, None), None);
        assert!(stage_window_error(After, d("2026-10-01"), dec, None).is_some());
        assert!(stage_window_error(After, d("2026-09-29"), dec, done).is_some());
        assert_eq!(stage_window_error(After, d("2026-09-30"), dec, done), None);
    }

    #[test]
    fn a_missing_stage_is_overdue_only_once_its_window_has_closed() {
        let (dec, done) = (d("2026-03-01"), Some(d("2026-09-30")));
        let s = standing(&[Before], dec, done, 90, d("2026-09-29"));
        assert_eq!(
            (s.held, s.overdue, s.open),
            (1, vec![], vec![During, After])
        );
        let s = standing(&[Before], dec, done, 90, d("2026-09-30"));
        assert_eq!((s.overdue, s.open), (vec![During], vec![After]));
        // 90 days after completion is the last day for the record after.
        let s = standing(&[Before, During], dec, done, 90, d("2026-12-29"));
        assert_eq!((s.overdue, s.open), (vec![], vec![After]));
        let s = standing(&[Before, During], dec, done, 90, d("2026-12-30"));
        assert_eq!((s.overdue, s.open), (vec![After], vec![]));
        let s = standing(&[During], dec, None, 90, d("2026-12-31"));
        assert_eq!((s.overdue, s.open), (vec![Before], vec![After]));
        assert_eq!(
            standing(&[Before, During, After], dec, done, 90, d("2026-12-31")).held,
            3
        );
    }
}
