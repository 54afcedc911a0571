//! The append-only history: who changed what, when. Written in the same
//! transaction as the change it describes; never updated or deleted.

use super::entities::history;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QueryTrait, Set, Statement,
};
use serde_json::{Map, Value};

/// Fields whose values are personal data: history keeps them masked.
const SENSITIVE: &[&str] = &["id_number", "head_id_number", "phone"];

pub struct Change {
    pub entity: &'static str,
    pub entity_key: String,
    pub action: &'static str,
    pub changes: Value,
}

/// Keys and derived columns: not kept in the history.
const SKIP: [&str; 7] = [
    "id",
    "pinyin",
    "initials",
    "path",
    "member_key",
    "link_key",
    "household_id",
];

/// `{"field": [old, new]}` for every field that differs, ignoring keys and derived columns.
pub fn diff(old: Option<&Value>, new: &Value) -> Value {
    let empty = Map::new();
    let old = old.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Map::new();
    if let Some(new) = new.as_object() {
        for (k, v) in new {
            if SKIP.contains(&k.as_str()) {
                continue;
            }
            let before = old.get(k).cloned().unwrap_or(Value::Null);
            if &before != v {
                out.insert(
                    k.clone(),
                    Value::Array(vec![mask(k, before), mask(k, v.clone())]),
                );
            }
        }
    }
    Value::Object(out)
}

/// What `diff(None, &new)` gives, taking the values instead of copying them: a new row's
/// history (an import writes hundreds of thousands).
pub fn created(new: Value) -> Value {
    let Value::Object(new) = new else {
        return Value::Object(Map::new());
    };
    let mut out = Map::new();
    for (k, v) in new {
        if SKIP.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        let v = mask(&k, v);
        out.insert(k, Value::Array(vec![Value::Null, v]));
    }
    Value::Object(out)
}

fn mask(field: &str, v: Value) -> Value {
    match (&v, SENSITIVE.contains(&field)) {
        (Value::String(s), true) if field == "phone" => {
            Value::String(crate::domain::ids::mask_phone(s))
        }
        (Value::String(s), true) => Value::String(crate::domain::ids::mask_id_number(s)),
        _ => v,
    }
}

/// A link's target: the part of its key after `year|holder|kind|`.
fn about(entity: &str, key: &str) -> Option<String> {
    (entity == "link")
        .then(|| key.splitn(4, '|').nth(3).map(str::to_string))
        .flatten()
}

pub async fn append<C: ConnectionTrait>(
    db: &C,
    actor: &str,
    at: DateTime<Utc>,
    changes: Vec<Change>,
) -> Result<(), DbErr> {
    for statement in statements(db.get_database_backend(), actor, at, &changes) {
        db.execute_raw(statement).await?;
    }
    Ok(())
}

/// The inserts that append `changes`, to run in order (an import hands them to its writer).
pub fn statements(
    backend: DbBackend,
    actor: &str,
    at: DateTime<Utc>,
    changes: &[Change],
) -> Vec<Statement> {
    changes
        .chunks(2000)
        .map(|chunk| {
            let rows = chunk.iter().map(|c| history::ActiveModel {
                id: NotSet,
                at: Set(at),
                actor: Set(actor.to_string()),
                entity: Set(c.entity.to_string()),
                entity_key: Set(c.entity_key.clone()),
                action: Set(c.action.to_string()),
                changes: Set(c.changes.to_string()),
                about: Set(about(c.entity, &c.entity_key)),
            });
            history::Entity::insert_many(rows).build(backend)
        })
        .collect()
}

pub async fn of<C: ConnectionTrait>(
    db: &C,
    entity: &str,
    key: &str,
) -> Result<Vec<history::Model>, DbErr> {
    history::Entity::find()
        .filter(history::Column::Entity.eq(entity))
        .filter(history::Column::EntityKey.eq(key))
        .order_by_desc(history::Column::Id)
        .all(db)
        .await
}

/// The history of every link that points at a target (its key ends with `|code`).
pub async fn of_links_to<C: ConnectionTrait>(
    db: &C,
    target: &str,
) -> Result<Vec<history::Model>, DbErr> {
    history::Entity::find()
        .filter(history::Column::About.eq(target))
        .filter(history::Column::Entity.eq("link"))
        .order_by_desc(history::Column::Id)
        .all(db)
        .await
}

/// One step of a record kept by its number (a decision, a project, a proposal) into the
/// history: what changed from `old` (none for a new record) to `new`.
#[allow(clippy::too_many_arguments)]
pub async fn step<C: ConnectionTrait>(
    db: &C,
    entity: &'static str,
    actor: &str,
    at: DateTime<Utc>,
    id: i32,
    action: &'static str,
    old: Option<&Value>,
    new: &impl serde::Serialize,
) -> Result<(), DbErr> {
    let new = serde_json::to_value(new).unwrap_or_default();
    append(
        db,
        actor,
        at,
        vec![Change {
            entity,
            entity_key: id.to_string(),
            action,
            changes: diff(old, &new),
        }],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new row's history is the diff from nothing: keys, derived columns and empty fields
    /// left out, personal data masked.
    #[test]
    fn a_created_row_keeps_what_the_diff_from_nothing_keeps() {
        let row = serde_json::json!({
            "id": 7, "household_id": 3, "member_key": "k", "pinyin": "zs",
            "name": "张三", "id_number": "350999199001011234", "phone": "13800000000",
            "relation": null, "health": "良好", "age": 36,
        });
        let created = created(row.clone());
        assert_eq!(created, diff(None, &row));
        let kept: Vec<&str> = created
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(kept, ["age", "health", "id_number", "name", "phone"]);
        assert_ne!(created["id_number"][1], row["id_number"]);
        assert_eq!(created["name"], serde_json::json!([null, "张三"]));
    }
}
