//! After the demo county is imported: what its offices did with the year's ledger items and
//! grassroots postings, so that the ledger pages and the item rules (TZ-3, TZ-4, LH-5) and the
//! posting rules (DJC-1..3) have something real to show. Every step goes through the item's
//! state machine and is written with its history entry, as the offices' own steps are.

use crate::domain::ledger::{Action, Actor, Answer, Item, Level};
use crate::store::entities::{ledger_event, ledger_item, link};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Set, TransactionTrait,
};

fn hash(n: i64, salt: u64) -> u64 {
    (n as u64 ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32
}

/// Steps an item through `steps` (action, who, day, note); stops at the first the state
/// machine refuses. Returns the item's last state.
async fn walk(
    txn: &sea_orm::DatabaseTransaction,
    m: &ledger_item::Model,
    steps: &[(Action, Actor, NaiveDate, &str)],
) -> Result<(), sea_orm::DbErr> {
    let mut state = Item::new(Level::Village);
    let mut am = m.clone().into_active_model();
    let mut version = m.version;
    for (action, actor, on, note) in steps {
        let Ok(next) = state.apply(*action, *actor) else {
            break;
        };
        let code = match action {
            Action::Assign => "assign",
            Action::Start => "start",
            Action::Resolve => "resolve",
            Action::Feedback { .. } => "feedback",
            Action::Close => "close",
            _ => "note",
        };
        let (actor_name, role) = match actor {
            Actor::Resident => ("群众本人", "群众"),
            Actor::FirstHandler => ("责任人", "责任人"),
            _ => ("村两委", "村"),
        };
        let mut data = serde_json::Map::new();
        match action {
            Action::Resolve => {
                am.resolution = Set(Some((*note).to_string()));
                am.resolved_on = Set(Some(*on));
            }
            Action::Feedback { answer, .. } => {
                let a = crate::store::ledger::answer_code(*answer);
                am.answer = Set(Some(a.into()));
                data.insert("answer".into(), serde_json::json!(a));
                data.insert("on_behalf".into(), serde_json::json!(false));
            }
            Action::Close => am.closed_on = Set(Some(*on)),
            _ => {}
        }
        let at = Utc
            .from_utc_datetime(&on.and_hms_opt(2, 0, 0).unwrap_or_default())
            .to_owned();
        ledger_event::ActiveModel {
            id: NotSet,
            item_id: Set(m.id),
            at: Set(at),
            on_date: Set(*on),
            account_id: Set(None),
            actor: Set(actor_name.into()),
            actor_role: Set(role.into()),
            action: Set(code.into()),
            from_status: Set(crate::store::ledger::status_code(state.status).into()),
            to_status: Set(crate::store::ledger::status_code(next.status).into()),
            level: Set("village".into()),
            note: Set(if matches!(action, Action::Feedback { .. }) {
                String::new()
            } else {
                (*note).to_string()
            }),
            data: Set(serde_json::Value::Object(data).to_string()),
        }
        .insert(txn)
        .await?;
        state = next;
        version += 1;
    }
    am.status = Set(crate::store::ledger::status_code(state.status).into());
    am.version = Set(version);
    am.update(txn).await?;
    Ok(())
}

/// Handles most of the year's items in time — resolved, answered by the resident, closed —
/// leaves some in progress and lets about one in seven run late; completes most postings.
pub async fn follow_up(db: &DatabaseConnection, today: NaiveDate) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    let items = ledger_item::Entity::find()
        .filter(ledger_item::Column::Status.eq("registered"))
        .filter(ledger_item::Column::RegisteredOn.lt(today))
        .all(&txn)
        .await?;
    for m in &items {
        let r = hash(i64::from(m.id), 0x17) % 100;
        let deadline = m.deadline.unwrap_or(m.registered_on + Duration::days(21));
        let span = (deadline - m.registered_on).num_days().max(2);
        let day = |part: i64| (m.registered_on + Duration::days(span * part / 10)).min(today);
        let answer = if r.is_multiple_of(5) {
            Answer::PartlySolved
        } else {
            Answer::Solved
        };
        let steps: Vec<(Action, Actor, NaiveDate, &str)> = match r {
            // Late and untouched: the inbox's and the report's laggards.
            0..=13 => vec![],
            // Worked on, not yet done.
            14..=21 => vec![(Action::Start, Actor::FirstHandler, day(2), "")],
            // Resolved; the resident has not answered yet.
            22..=29 => vec![
                (Action::Start, Actor::FirstHandler, day(2), ""),
                (
                    Action::Resolve,
                    Actor::FirstHandler,
                    day(6),
                    "已协调有关部门处理完毕",
                ),
            ],
            _ => vec![
                (Action::Start, Actor::FirstHandler, day(1), ""),
                (
                    Action::Resolve,
                    Actor::FirstHandler,
                    day(5),
                    "已协调有关部门处理完毕",
                ),
                (
                    Action::Feedback {
                        answer,
                        on_behalf: false,
                    },
                    Actor::Resident,
                    day(7),
                    "",
                ),
                (Action::Close, Actor::Office(Level::Village), day(8), ""),
            ],
        };
        let steps: Vec<_> = steps.into_iter().filter(|s| s.2 <= today).collect();
        if !steps.is_empty() {
            walk(&txn, m, &steps).await?;
        }
    }
    // Grassroots postings: a front line for most, the report and assessment after the end.
    let postings = link::Entity::find()
        .filter(link::Column::Kind.eq(crate::domain::labels::LinkKind::GrassrootsPosting.code()))
        .all(&txn)
        .await?;
    for l in postings {
        let r = hash(i64::from(l.id), 0x29) % 100;
        let mut am = l.clone().into_active_model();
        if r >= 10 {
            am.front_line = Set(Some(["农村", "信访", "重点项目"][(r % 3) as usize].into()));
        }
        if let Some(end) = l.end_date.filter(|e| *e < today) {
            if r % 7 != 3 {
                am.report_on = Set(Some((end + Duration::days(5)).min(today)));
            }
            if r % 6 != 1 {
                am.assessment = Set(Some(
                    if r.is_multiple_of(4) {
                        "优秀"
                    } else {
                        "称职"
                    }
                    .into(),
                ));
            }
        }
        am.update(&txn).await?;
    }
    txn.commit().await
}
