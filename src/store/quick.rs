//! Quick reads: the point reads of a request, run on SQLite by the request's own thread.
//!
//! Through sqlx-sqlite every statement is a command sent to the connection's worker thread
//! and rows sent back through a channel; a household page's 28 statements cost more in
//! context switches than in SQLite (decision 0015). Here the same SeaORM statements are
//! stepped by rusqlite on connections of our own (read-only, on the same file, statements
//! prepared once) and handed to SeaORM as the rows of a mock connection (its proxy connection
//! does not build with sqlx-sqlite in SeaORM 2.0.4), so the store's functions run unchanged on
//! either. PostgreSQL and in-memory SQLite get the ordinary connection.
//!
//! Such a row is keyed by column name and its values must carry the exact type the model
//! reads (a wrong one reads as NULL). So each column's type is taken from the entity that
//! owns it, and a statement is served only when its rows are read correctly by name or by
//! position: whole entities (`find`, `find_also_related`), one column, or columns whose names
//! already sort in their order (the row lists its values by name). Any other shape is refused
//! with an error, never answered with values in the wrong places.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use rustc_hash::FxHashMap;
use sea_orm::sea_query::Value;
use sea_orm::{
    ColumnTrait, ColumnType, DatabaseConnection, DatabaseConnectionType, DbBackend, DbErr,
    EntityTrait, ExecResult, IdenStatic, Iterable, MockDatabase, MockDatabaseConnection,
    MockDatabaseTrait, QueryResult, Statement, Transaction,
};

use super::entities::*;

/// Connections for a request's point reads, one per thread that reads at once.
#[derive(Clone)]
pub struct Quick {
    connections: Arc<[DatabaseConnection]>,
}

/// Readers kept; more threads than this share them (a read holds its reader).
const READERS: usize = 4;

impl Quick {
    /// On a SQLite file, readers of our own; else `db` itself.
    pub fn connect(url: &str, db: &DatabaseConnection) -> Quick {
        let connections: Arc<[DatabaseConnection]> = match super::sqlite_file(url) {
            Some(path) => {
                let shared = Arc::new(Shared::new(path));
                (0..READERS)
                    .map(|_| {
                        let reader = Reader {
                            shared: shared.clone(),
                            connection: None,
                        };
                        DatabaseConnectionType::MockDatabaseConnection(Arc::new(
                            MockDatabaseConnection::new(reader),
                        ))
                        .into()
                    })
                    .collect()
            }
            None => Arc::new([db.clone()]),
        };
        Quick { connections }
    }

    /// The connection for this thread's reads.
    pub fn db(&self) -> &DatabaseConnection {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed);
        }
        let slot = SLOT.with(|s| *s) % self.connections.len();
        &self.connections[slot]
    }
}

/// How a column's value is handed to SeaORM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    BigInt,
    Bool,
    Date,
    Instant,
    Double,
    Text,
    /// `COUNT(*) AS num_items`, SeaORM's count of a paginated select.
    Count,
}

/// One statement's columns: their names and kinds, or why the statement is refused.
type Shape = Result<Arc<[(String, Kind)]>, String>;

/// What every reader shares: the file, the columns' kinds and the statements' shapes.
#[derive(Debug)]
struct Shared {
    path: PathBuf,
    /// (table, column) → kind, from the entities.
    kinds: FxHashMap<(&'static str, &'static str), Kind>,
    /// Each table's columns in the entity's order.
    tables: FxHashMap<&'static str, Vec<&'static str>>,
    shapes: Mutex<FxHashMap<String, Shape>>,
}

impl Shared {
    fn new(path: PathBuf) -> Shared {
        let mut kinds = FxHashMap::default();
        let mut tables = FxHashMap::default();
        every_entity(&mut |table, column, kind| {
            kinds.insert((table, column), kind);
            tables.entry(table).or_insert_with(Vec::new).push(column);
        });
        Shared {
            path,
            kinds,
            tables,
            shapes: Mutex::new(FxHashMap::default()),
        }
    }

    fn shape(&self, sql: &str, stmt: &rusqlite::Statement<'_>) -> Shape {
        if let Some(s) = lock(&self.shapes).get(sql) {
            return s.clone();
        }
        let shape = self.learn(stmt);
        lock(&self.shapes).insert(sql.to_string(), shape.clone());
        shape
    }

    fn learn(&self, stmt: &rusqlite::Statement<'_>) -> Shape {
        let columns = stmt.columns_with_metadata();
        let mut out = Vec::with_capacity(columns.len());
        let mut origins = Vec::with_capacity(columns.len());
        for c in &columns {
            let origin = c.table_name().zip(c.origin_name());
            let kind = match origin.and_then(|(t, o)| self.kinds.get(&(t, o))) {
                Some(k) => *k,
                None if c.name() == "num_items" && origin.is_none() => Kind::Count,
                None => return Err(format!("列 {} 的类型无从得知", c.name())),
            };
            out.push((c.name().to_string(), kind));
            origins.push(origin);
        }
        let names_sorted = out.windows(2).all(|w| w[0].0 < w[1].0);
        if out.len() > 1 && !names_sorted && !self.whole_entities(&origins, &out) {
            return Err("这种多列读取须按位置取值".into());
        }
        Ok(out.into())
    }

    /// The columns are whole entities, each in its entity's order, under distinct names: a
    /// model reads them by name.
    fn whole_entities(&self, origins: &[Option<(&str, &str)>], out: &[(String, Kind)]) -> bool {
        let mut names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return false;
        }
        let mut i = 0;
        while i < origins.len() {
            let Some((table, _)) = origins[i] else {
                return false;
            };
            let Some(columns) = self.tables.get(table) else {
                return false;
            };
            let run = origins.get(i..i + columns.len());
            let whole = run.is_some_and(|run| {
                run.iter()
                    .zip(columns)
                    .all(|(o, c)| *o == Some((table, *c)))
            });
            if !whole {
                return false;
            }
            i += columns.len();
        }
        true
    }
}

/// One read-only connection, opened at its first read.
#[derive(Debug)]
struct Reader {
    shared: Arc<Shared>,
    connection: Option<rusqlite::Connection>,
}

impl Reader {
    fn read(&mut self, statement: Statement) -> Result<Vec<BTreeMap<String, Value>>, DbErr> {
        let params = statement
            .values
            .map(|v| {
                v.0.into_iter()
                    .map(sqlite_value)
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let connection = match &mut self.connection {
            Some(c) => c,
            None => self.connection.insert(
                open(&self.shared.path)
                    .map_err(|e| DbErr::Custom(format!("无法打开数据库：{e}")))?,
            ),
        };
        let failed = |e: rusqlite::Error| DbErr::Custom(format!("读取数据失败：{e}"));
        let sql = &statement.sql;
        // Like `sqlx::query`: the text only, never the bound values.
        tracing::debug!(target: "lianxin::quick", "{sql}");
        let mut stmt = connection.prepare_cached(sql).map_err(failed)?;
        let shape = self
            .shared
            .shape(sql, &stmt)
            .map_err(|why| DbErr::Custom(format!("快速读取不支持这条语句（{why}）：{sql}")))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut values = BTreeMap::new();
            for (i, (name, kind)) in shape.iter().enumerate() {
                values.insert(name.clone(), value(row, i, *kind).map_err(failed)?);
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl MockDatabaseTrait for Reader {
    fn query(&mut self, _: usize, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let rows = self.read(statement)?;
        // SeaORM makes rows of a mock connection only out of its canned results.
        MockDatabase::new(DbBackend::Sqlite)
            .append_query_results([rows])
            .query(0, Statement::from_string(DbBackend::Sqlite, String::new()))
    }

    fn execute(&mut self, _: usize, statement: Statement) -> Result<ExecResult, DbErr> {
        Err(DbErr::Custom(format!(
            "快速读取的连接不能写入：{}",
            statement.sql
        )))
    }

    fn begin(&mut self) {}

    fn commit(&mut self) {}

    fn rollback(&mut self) {}

    fn drain_transaction_log(&mut self) -> Vec<Transaction> {
        Vec::new()
    }

    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    fn ping(&self) -> Result<(), DbErr> {
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn open(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let c = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    c.pragma_update(None, "query_only", true)?;
    c.pragma_update(None, "mmap_size", 268_435_456)?;
    c.set_prepared_statement_cache_capacity(128);
    Ok(c)
}

fn value(row: &rusqlite::Row<'_>, i: usize, kind: Kind) -> rusqlite::Result<Value> {
    Ok(match kind {
        Kind::Int => Value::Int(row.get::<_, Option<i32>>(i)?),
        Kind::BigInt | Kind::Count => Value::BigInt(row.get::<_, Option<i64>>(i)?),
        Kind::Bool => Value::Bool(row.get::<_, Option<bool>>(i)?),
        Kind::Date => Value::ChronoDate(row.get::<_, Option<NaiveDate>>(i)?),
        Kind::Instant => Value::ChronoDateTimeUtc(row.get::<_, Option<DateTime<Utc>>>(i)?),
        Kind::Double => Value::Double(row.get::<_, Option<f64>>(i)?),
        Kind::Text => Value::String(row.get::<_, Option<String>>(i)?),
    })
}

/// A bound value as sqlx-sqlite stores it (dates as `YYYY-MM-DD` text, instants as RFC 3339,
/// booleans as 0/1), so comparisons match what was written.
pub(crate) fn sqlite_value(v: Value) -> Result<rusqlite::types::Value, DbErr> {
    use rusqlite::types::Value as S;
    fn or_null<T>(v: Option<T>, f: impl FnOnce(T) -> S) -> S {
        v.map(f).unwrap_or(S::Null)
    }
    Ok(match v {
        Value::Bool(b) => or_null(b, |b| S::Integer(b.into())),
        Value::TinyInt(i) => or_null(i, |i| S::Integer(i.into())),
        Value::SmallInt(i) => or_null(i, |i| S::Integer(i.into())),
        Value::Int(i) => or_null(i, |i| S::Integer(i.into())),
        Value::BigInt(i) => or_null(i, S::Integer),
        Value::TinyUnsigned(i) => or_null(i, |i| S::Integer(i.into())),
        Value::SmallUnsigned(i) => or_null(i, |i| S::Integer(i.into())),
        Value::Unsigned(i) => or_null(i, |i| S::Integer(i.into())),
        Value::BigUnsigned(i) => or_null(i, |i| S::Integer(i64::try_from(i).unwrap_or(i64::MAX))),
        Value::Double(f) => or_null(f, S::Real),
        Value::Float(f) => or_null(f, |f| S::Real(f.into())),
        Value::String(s) => or_null(s, S::Text),
        Value::ChronoDate(d) => {
            or_null(d, |d: NaiveDate| S::Text(d.format("%Y-%m-%d").to_string()))
        }
        Value::ChronoDateTimeUtc(t) => or_null(t, |t| {
            S::Text(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
        }),
        Value::ChronoDateTimeWithTimeZone(t) => or_null(t, |t| {
            S::Text(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
        }),
        Value::ChronoDateTime(t) => or_null(t, |t| S::Text(t.format("%F %T%.f").to_string())),
        Value::Char(c) => or_null(c, |c| S::Text(c.to_string())),
        Value::Bytes(b) => or_null(b, S::Blob),
        other => {
            // The variant's name only: a bound value may be personal data.
            let debug = format!("{other:?}");
            let variant = debug.split('(').next().unwrap_or("?");
            return Err(DbErr::Custom(format!("快速读取不支持此类参数：{variant}")));
        }
    })
}

fn kind(t: &ColumnType) -> Option<Kind> {
    Some(match t {
        ColumnType::Integer => Kind::Int,
        ColumnType::BigInteger => Kind::BigInt,
        ColumnType::Boolean => Kind::Bool,
        ColumnType::Date => Kind::Date,
        ColumnType::TimestampWithTimeZone => Kind::Instant,
        ColumnType::Double => Kind::Double,
        ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => Kind::Text,
        _ => return None,
    })
}

fn entity<E: EntityTrait + Default>(visit: &mut dyn FnMut(&'static str, &'static str, Kind)) {
    let table = E::default().table_name();
    for c in E::Column::iter() {
        if let Some(k) = kind(c.def().get_column_type()) {
            visit(table, c.as_str(), k);
        }
    }
}

/// Every table's columns with their kinds (a test checks this covers the schema).
fn every_entity(visit: &mut dyn FnMut(&'static str, &'static str, Kind)) {
    macro_rules! each {
        ($($m:ident),* $(,)?) => { $( entity::<$m::Entity>(visit); )* };
    }
    each!(
        region,
        unit,
        person,
        household,
        member,
        link,
        activity,
        ledger_item,
        ledger_event,
        activity_participant,
        activity_invitation,
        activity_target,
        history,
        account,
        account_grant,
        session,
        api_token,
        audit,
        calendar_day,
        declared_period,
        policy_version,
        card,
        card_delivery,
        resident_rating,
        survey,
        survey_subject,
        survey_sample,
        survey_answer,
        spot_round,
        spot_check,
        assessment,
        rota,
        rota_slot,
        rota_leave,
        calendar_feed,
        decision,
        decision_consultation,
        service_project,
        proposal,
        proposal_item,
        contact_publication,
    );
    // Counters every process reads before it trusts what it remembers (migration m0017).
    visit("stamp", "name", Kind::Text);
    visit("stamp", "n", Kind::BigInt);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{
        ActiveModelTrait, ConnectionTrait, PaginatorTrait, QueryOrder, QuerySelect, Set,
    };

    async fn migrated() -> (tempfile::TempDir, String, DatabaseConnection) {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = crate::store::connect(&url).await.expect("connect");
        crate::store::migrate(&db).await.expect("migrate");
        (dir, url, db)
    }

    #[tokio::test]
    async fn every_table_has_its_columns_kinds() {
        let (_dir, url, db) = migrated().await;
        let Some(path) = crate::store::sqlite_file(&url) else {
            panic!("a file URL");
        };
        let reader = Shared::new(path);
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                 AND m.name <> 'seaql_migrations'",
            ))
            .await
            .expect("schema");
        let mut missing = Vec::new();
        for r in rows {
            let table: String = r.try_get_by_index(0).expect("table");
            let column: String = r.try_get_by_index(1).expect("column");
            if !reader
                .kinds
                .contains_key(&(table.as_str(), column.as_str()))
            {
                missing.push(format!("{table}.{column}"));
            }
        }
        // The resident page's requests per minute: counted by an upsert, never read here.
        missing.retain(|c| !c.starts_with("rate_count."));
        assert!(missing.is_empty(), "columns without a kind: {missing:?}");
    }

    #[tokio::test]
    async fn reads_what_the_pool_reads_and_refuses_what_it_cannot_place() {
        let (_dir, url, db) = migrated().await;
        for (code, name, parent) in [("1", "甲县", None), ("12", "乙镇", Some("1"))] {
            region::ActiveModel {
                code: Set(code.into()),
                name: Set(name.into()),
                level: Set("county".into()),
                parent_code: Set(parent.map(String::from)),
                tags: Set(",,".into()),
                path: Set(format!("/{code}/")),
                pinyin: Set(String::new()),
                initials: Set(String::new()),
                duty_phone: Set(None),
                ..Default::default()
            }
            .insert(&db)
            .await
            .expect("insert");
        }
        let quick = Quick::connect(&url, &db);
        let quick = quick.db();
        let by_pool = region::Entity::find()
            .order_by_asc(region::Column::Code)
            .all(&db)
            .await
            .expect("pool");
        let by_quick = region::Entity::find()
            .order_by_asc(region::Column::Code)
            .all(quick)
            .await
            .expect("quick");
        assert_eq!(by_pool.len(), 2);
        assert_eq!(by_pool, by_quick);
        let counted = region::Entity::find()
            .paginate(quick, 20)
            .num_items()
            .await
            .expect("count");
        assert_eq!(counted, 2);
        // Names that sort in their order are placed right by position too.
        let sorted: Vec<(String, String)> = region::Entity::find()
            .select_only()
            .column(region::Column::Code)
            .column(region::Column::Name)
            .order_by_asc(region::Column::Code)
            .into_tuple()
            .all(quick)
            .await
            .expect("sorted pair");
        assert_eq!(sorted[1], ("12".to_string(), "乙镇".to_string()));
        // Names out of order would be read in the wrong places: refused, not misread.
        let unsorted = region::Entity::find()
            .select_only()
            .column(region::Column::Name)
            .column(region::Column::Code)
            .into_tuple::<(String, String)>()
            .all(quick)
            .await;
        assert!(unsorted.is_err(), "{unsorted:?}");
        // A nullable column of the wrong kind would read as None: kinds come from the entity.
        let parent: Vec<Option<String>> = region::Entity::find()
            .select_only()
            .column(region::Column::ParentCode)
            .order_by_asc(region::Column::Code)
            .into_tuple()
            .all(quick)
            .await
            .expect("parent");
        assert_eq!(parent, vec![None, Some("1".to_string())]);
        let write = quick.execute_unprepared("DELETE FROM region").await;
        assert!(write.is_err());
        assert_eq!(region::Entity::find().count(&db).await.expect("count"), 2);
    }
}
