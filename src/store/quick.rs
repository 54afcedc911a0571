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
    MockDatabaseTrait, MockExecResult, QueryResult, Statement, Transaction,
};

use super::entities::*;

/// Connections for a request's point reads, one per thread that reads at once, and the
/// writing request's connection.
#[derive(Clone)]
pub struct Quick {
    connections: Arc<[DatabaseConnection]>,
    writer: Option<(DatabaseConnection, Arc<Mutex<Write>>)>,
}

/// Readers kept; more threads than this share them (a read holds its reader).
const READERS: usize = 4;

fn mock(trait_object: impl MockDatabaseTrait + 'static) -> DatabaseConnection {
    DatabaseConnectionType::MockDatabaseConnection(Arc::new(MockDatabaseConnection::new(
        trait_object,
    )))
    .into()
}

impl Quick {
    /// On a SQLite file, readers and a writer of our own; else `db` itself.
    pub fn connect(url: &str, db: &DatabaseConnection) -> Quick {
        match super::sqlite_file(url) {
            Some(path) => {
                let shared = Arc::new(Shared::new(path));
                let connections = (0..READERS)
                    .map(|_| {
                        mock(Reader {
                            shared: shared.clone(),
                            connection: None,
                        })
                    })
                    .collect();
                let write = Arc::new(Mutex::new(Write {
                    shared,
                    connection: None,
                    depth: 0,
                    failed: None,
                }));
                Quick {
                    connections,
                    writer: Some((mock(Writer(write.clone())), write)),
                }
            }
            None => Quick {
                connections: Arc::new([db.clone()]),
                writer: None,
            },
        }
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

    /// The writer, for the request that has just taken the process's writing turn and only
    /// for it (none off a SQLite file). Whatever an earlier turn left is cleared first.
    pub fn begin_turn(&self) -> Option<DatabaseConnection> {
        let (db, write) = self.writer.as_ref()?;
        let mut w = lock(write);
        if let Some(why) = w.end() {
            tracing::warn!(target: "lianxin::quick", "上一次写入留下的问题已清理：{why}");
        }
        Some(db.clone())
    }

    /// Before the turn passes on: what failed in its transactions, if anything (the request's
    /// answer must then be an error); a transaction still open is rolled back.
    pub fn end_turn(&self) -> Result<(), String> {
        match &self.writer {
            Some((_, write)) => lock(write).end().map_or(Ok(()), Err),
            None => Ok(()),
        }
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
        let connection = match &mut self.connection {
            Some(c) => c,
            None => self.connection.insert(
                open(&self.shared.path)
                    .map_err(|e| DbErr::Custom(format!("无法打开数据库：{e}")))?,
            ),
        };
        rows(&self.shared, connection, statement)
    }
}

/// The rows of one statement on `connection`, each value of the kind its model reads.
fn rows(
    shared: &Shared,
    connection: &rusqlite::Connection,
    statement: Statement,
) -> Result<Vec<BTreeMap<String, Value>>, DbErr> {
    let params = parameters(statement.values)?;
    let failed = |e: rusqlite::Error| DbErr::Custom(format!("读取数据失败：{e}"));
    let sql = &statement.sql;
    // Like `sqlx::query`: the text only, never the bound values.
    tracing::debug!(target: "lianxin::quick", "{sql}");
    let mut stmt = connection.prepare_cached(sql).map_err(failed)?;
    let shape = shared
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

pub(crate) fn parameters(
    values: Option<sea_orm::sea_query::Values>,
) -> Result<Vec<rusqlite::types::Value>, DbErr> {
    values
        .map(|v| {
            v.0.into_iter()
                .map(sqlite_value)
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Rows as SeaORM hands them to a model (it makes a mock connection's rows only out of
/// canned results).
fn results(rows: Vec<BTreeMap<String, Value>>) -> Result<Vec<QueryResult>, DbErr> {
    MockDatabase::new(DbBackend::Sqlite)
        .append_query_results([rows])
        .query(0, Statement::from_string(DbBackend::Sqlite, String::new()))
}

impl MockDatabaseTrait for Reader {
    fn query(&mut self, _: usize, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        results(self.read(statement)?)
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

/// The writing request's connection: rusqlite, read-write, on the same file. It is lent only to
/// the request that holds this process's writing turn (`Durability::turn`, see
/// [`Quick::begin_turn`]), so no two requests ever share its transaction. SeaORM's transactions
/// on it become SQLite's: `BEGIN IMMEDIATE`, and savepoints when nested. A mock connection
/// cannot tell SeaORM that a `COMMIT` failed, so the failure is kept and [`Quick::end_turn`]
/// reports it: the request is answered with an error, never as a write that was not made.
#[derive(Debug)]
struct Writer(Arc<Mutex<Write>>);

#[derive(Debug)]
struct Write {
    shared: Arc<Shared>,
    connection: Option<rusqlite::Connection>,
    /// Open transactions: 1 is the outer one, more are its savepoints.
    depth: usize,
    /// A transaction's begin or end that failed: nothing more is written in this turn.
    failed: Option<String>,
}

impl Write {
    fn connection(&mut self) -> Result<&rusqlite::Connection, DbErr> {
        if self.connection.is_none() {
            self.connection = Some(
                open_for_writing(&self.shared.path)
                    .map_err(|e| DbErr::Custom(format!("无法打开数据库：{e}")))?,
            );
        }
        self.connection
            .as_ref()
            .ok_or_else(|| DbErr::Custom("无法打开数据库".into()))
    }

    fn run(&mut self, sql: &str) -> Result<(), String> {
        let c = self.connection().map_err(|e| e.to_string())?;
        c.execute_batch(sql).map_err(|e| format!("{sql}：{e}"))
    }

    fn fail(&mut self, why: String) {
        tracing::error!(target: "lianxin::quick", "写入事务出错：{why}");
        self.failed.get_or_insert(why);
    }

    fn refuse_if_failed(&self) -> Result<(), DbErr> {
        match &self.failed {
            Some(why) => Err(DbErr::Custom(format!("写入事务已出错：{why}"))),
            None => Ok(()),
        }
    }

    /// Ends the turn: a transaction left open is rolled back (SeaORM rolls back a dropped one;
    /// this is the guard behind it); answers what failed, if anything did.
    fn end(&mut self) -> Option<String> {
        if self.depth > 0 {
            self.depth = 0;
            if let Err(e) = self.run("ROLLBACK") {
                self.fail(e);
            }
            self.fail("写入事务未结束，已撤销".into());
        }
        self.failed.take()
    }

    fn execute(&mut self, statement: Statement) -> Result<MockExecResult, DbErr> {
        self.refuse_if_failed()?;
        let params = parameters(statement.values)?;
        let sql = statement.sql.as_str();
        tracing::debug!(target: "lianxin::quick", "{sql}");
        let failed = |e: rusqlite::Error| DbErr::Custom(format!("写入数据失败：{e}"));
        let c = self.connection()?;
        let rows_affected = match c.prepare_cached(sql) {
            Ok(mut st) if st.column_count() > 0 => {
                // A statement with rows run for its effect (a pragma): its rows are dropped.
                let mut rows = st
                    .query(rusqlite::params_from_iter(params.iter()))
                    .map_err(failed)?;
                while rows.next().map_err(failed)?.is_some() {}
                c.changes()
            }
            Ok(mut st) => st
                .execute(rusqlite::params_from_iter(params.iter()))
                .map_err(failed)? as u64,
            // `execute_unprepared` with several statements and nothing bound.
            Err(rusqlite::Error::MultipleStatement) if params.is_empty() => {
                c.execute_batch(sql).map_err(failed)?;
                c.changes()
            }
            Err(e) => return Err(failed(e)),
        };
        Ok(MockExecResult {
            last_insert_id: u64::try_from(c.last_insert_rowid()).unwrap_or(0),
            rows_affected,
        })
    }
}

impl MockDatabaseTrait for Writer {
    fn query(&mut self, _: usize, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut w = lock(&self.0);
        w.refuse_if_failed()?;
        w.connection()?;
        match &w.connection {
            Some(c) => results(rows(&w.shared, c, statement)?),
            None => Err(DbErr::Custom("无法打开数据库".into())),
        }
    }

    fn execute(&mut self, _: usize, statement: Statement) -> Result<ExecResult, DbErr> {
        let done = lock(&self.0).execute(statement)?;
        // As for rows, SeaORM makes a mock connection's results only out of canned ones.
        MockDatabase::new(DbBackend::Sqlite)
            .append_exec_results([done])
            .execute(0, Statement::from_string(DbBackend::Sqlite, String::new()))
    }

    fn begin(&mut self) {
        let mut w = lock(&self.0);
        w.depth += 1;
        let sql = match w.depth {
            1 => "BEGIN IMMEDIATE".to_string(),
            d => format!("SAVEPOINT lx{d}"),
        };
        if w.failed.is_none()
            && let Err(e) = w.run(&sql)
        {
            w.fail(e);
        }
    }

    fn commit(&mut self) {
        let mut w = lock(&self.0);
        let depth = w.depth;
        if depth == 0 {
            w.fail("没有可提交的事务".into());
            return;
        }
        w.depth -= 1;
        let sql = match (depth, w.failed.is_some()) {
            (1, false) => "COMMIT".to_string(),
            // Something in it failed: nothing of it is kept.
            (1, true) => "ROLLBACK".to_string(),
            (d, false) => format!("RELEASE lx{d}"),
            // The outer transaction rolls back.
            (_, true) => return,
        };
        if let Err(e) = w.run(&sql) {
            if depth == 1 {
                // SQLite may have rolled back on its own; if not, this does.
                let _ = w.run("ROLLBACK");
            }
            w.fail(e);
        }
    }

    fn rollback(&mut self) {
        let mut w = lock(&self.0);
        let depth = w.depth;
        if depth == 0 {
            return;
        }
        w.depth -= 1;
        let sql = match depth {
            1 => "ROLLBACK".to_string(),
            d => format!("ROLLBACK TO lx{d}; RELEASE lx{d}"),
        };
        if let Err(e) = w.run(&sql)
            && w.failed.is_none()
        {
            w.fail(e);
        }
    }

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
    stable_plans(&c)?;
    c.pragma_update(None, "query_only", true)?;
    c.pragma_update(None, "mmap_size", super::MMAP_BYTES)?;
    c.set_prepared_statement_cache_capacity(128);
    Ok(c)
}

/// Plans that do not depend on the values bound. Without this SQLite prepares a statement
/// again each time a value is bound to a parameter its plan may depend on (any `LIKE ?`, and
/// with the statistics of `ANALYZE` any compared column): a third of a write's CPU went to
/// preparing its statements again (`sqlite3Reprepare` under `perf`). The plan is then the
/// one chosen without the values, as for a statement prepared once.
pub(crate) fn stable_plans(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    c.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(|_| ())
}

/// The writer's connection, set as sqlx sets the pool's (`store::connect`): foreign keys
/// enforced, commits written but flushed by `Durability::settle`.
fn open_for_writing(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let c = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    stable_plans(&c)?;
    c.pragma_update(None, "foreign_keys", true)?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "mmap_size", super::MMAP_BYTES)?;
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
fn sqlite_value(v: Value) -> Result<rusqlite::types::Value, DbErr> {
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

    fn a_region(code: &str, name: &str, parent: Option<&str>) -> region::ActiveModel {
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
    }

    async fn codes(db: &DatabaseConnection) -> Vec<String> {
        region::Entity::find()
            .order_by_asc(region::Column::Code)
            .all(db)
            .await
            .expect("regions")
            .into_iter()
            .map(|r| r.code)
            .collect()
    }

    #[tokio::test]
    async fn the_writer_commits_rolls_back_nests_and_reports_a_failed_commit() {
        use sea_orm::TransactionTrait;
        let (_dir, url, db) = migrated().await;
        let quick = Quick::connect(&url, &db);
        let Some(w) = quick.begin_turn() else {
            panic!("a writer on a SQLite file");
        };
        // A write outside a transaction, answered with what it wrote (read back by its id).
        let county = a_region("1", "甲县", None)
            .insert(&w)
            .await
            .expect("insert");
        assert!(county.id > 0);
        assert_eq!(codes(&db).await, ["1"]);
        // A transaction with a savepoint rolled back inside it.
        let txn = w.begin().await.expect("begin");
        a_region("12", "乙镇", Some("1"))
            .insert(&txn)
            .await
            .expect("in the transaction");
        let inner = txn.begin().await.expect("savepoint");
        a_region("13", "丙镇", Some("1"))
            .insert(&inner)
            .await
            .expect("in the savepoint");
        inner.rollback().await.expect("back to the savepoint");
        // Not visible to anyone else before the commit.
        assert_eq!(codes(&db).await, ["1"]);
        txn.commit().await.expect("commit");
        assert_eq!(codes(&db).await, ["1", "12"]);
        // A transaction dropped midway (a request whose client went away) leaves nothing.
        {
            let txn = w.begin().await.expect("begin");
            a_region("14", "丁镇", Some("1"))
                .insert(&txn)
                .await
                .expect("insert");
        }
        assert_eq!(codes(&db).await, ["1", "12"]);
        // A statement refused by the database is an error the caller sees; the turn goes on.
        let refused = a_region("15", "戊镇", Some("99")).insert(&w).await;
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(quick.end_turn(), Ok(()));
        // A COMMIT that fails (here a foreign key checked only at the end) cannot be told to
        // SeaORM: the turn reports it, and nothing of the transaction is kept.
        let w = quick.begin_turn().expect("writer");
        let txn = w.begin().await.expect("begin");
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await
            .expect("defer");
        a_region("16", "己镇", Some("99"))
            .insert(&txn)
            .await
            .expect("deferred check");
        let _ = txn.commit().await;
        let failed = quick.end_turn();
        assert!(failed.is_err(), "{failed:?}");
        assert_eq!(codes(&db).await, ["1", "12"]);
        // The next turn starts clean and writes.
        let w = quick.begin_turn().expect("writer");
        a_region("17", "庚镇", Some("1"))
            .insert(&w)
            .await
            .expect("insert");
        assert_eq!(quick.end_turn(), Ok(()));
        assert_eq!(codes(&db).await, ["1", "12", "17"]);
    }

    /// How often statements whose plans may depend on their values (a `LIKE ?`; an indexed
    /// column with `ANALYZE`'s samples) are prepared again when bound anew, after a first run
    /// (which may prepare again once for a schema this connection had not seen).
    fn reprepared(c: &rusqlite::Connection) -> i32 {
        let mut again = 0;
        for (sql, values) in [
            (
                "SELECT code FROM region WHERE path LIKE ?",
                ["/1/%", "/12/%", "/1/%"],
            ),
            (
                "SELECT code FROM region WHERE parent_code = ?",
                ["1", "12", "1"],
            ),
        ] {
            let mut stmt = c.prepare(sql).expect("prepare");
            let mut before = 0;
            for (i, value) in values.into_iter().enumerate() {
                let mut rows = stmt.query([value]).expect("query");
                while rows.next().expect("row").is_some() {}
                drop(rows);
                if i == 0 {
                    before = stmt.get_status(rusqlite::StatementStatus::RePrepare);
                }
            }
            again += stmt.get_status(rusqlite::StatementStatus::RePrepare) - before;
        }
        again
    }

    #[tokio::test]
    async fn plans_do_not_depend_on_bound_values_on_any_connection() {
        let (_dir, url, db) = migrated().await;
        let Some(path) = crate::store::sqlite_file(&url) else {
            panic!("a file URL");
        };
        a_region("1", "甲县", None)
            .insert(&db)
            .await
            .expect("insert");
        for i in 10..60 {
            a_region(&i.to_string(), "镇", Some("1"))
                .insert(&db)
                .await
                .expect("insert");
        }
        crate::store::analyze(&db).await.expect("analyze");
        // Without the guarantee SQLite prepares such a statement again at each new binding.
        let plain = rusqlite::Connection::open(&path).expect("open");
        assert!(reprepared(&plain) > 0);
        assert_eq!(reprepared(&open(&path).expect("reader")), 0);
        assert_eq!(reprepared(&open_for_writing(&path).expect("writer")), 0);
        // The pool's connections are set up alike.
        let mut conn = db
            .get_sqlite_connection_pool()
            .acquire()
            .await
            .expect("acquire");
        let mut handle = conn.lock_handle().await.expect("handle");
        // SAFETY: the handle is locked for this block; `from_handle` never closes it.
        let pooled = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }
            .expect("pooled");
        assert_eq!(reprepared(&pooled), 0);
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
            a_region(code, name, parent)
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
