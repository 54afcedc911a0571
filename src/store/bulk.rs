//! Bulk reads: one SeaORM select, run by SeaORM on PostgreSQL and, on SQLite, straight on the
//! connection's handle.
//!
//! The rule engine reads ~800,000 rows for a county's year. Through sqlx-sqlite every row
//! is copied on the driver's worker thread and handed to the async task through a channel:
//! ~2 µs a row, 2 s in all, against 0.2 s for SQLite itself. Here the same statement (built by
//! SeaORM from the same select, so the two databases cannot drift apart) is stepped by
//! rusqlite on the handle that sqlx lends out for this purpose (`lock_handle`), so it sees what
//! the pool's connections see, in-memory test databases included.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryResult, QueryTrait,
    Select, TryGetable, TryGetableMany,
};

/// A row type both drivers can decode: tuples of plain column types, or a struct of more
/// columns than a tuple holds that reads them in the select's order on SQLite and by name
/// elsewhere.
pub trait BulkRow: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
    fn from_result(row: &QueryResult) -> Result<Self, DbErr>;
}

macro_rules! bulk_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: TryGetable + rusqlite::types::FromSql),+> BulkRow for ($($t,)+) {
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
            fn from_result(row: &QueryResult) -> Result<Self, DbErr> {
                <Self as TryGetableMany>::try_get_many_by_index(row).map_err(DbErr::from)
            }
        }
    };
}
bulk_row!(A 0, B 1);
bulk_row!(A 0, B 1, C 2);
bulk_row!(A 0, B 1, C 2, D 3);
bulk_row!(A 0, B 1, C 2, D 3, E 4);
bulk_row!(A 0, B 1, C 2, D 3, E 4, F 5);
bulk_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
bulk_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
bulk_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);

/// Every row of the select (whose selected columns match `T`).
pub async fn all<T: BulkRow, E: EntityTrait>(
    db: &DatabaseConnection,
    select: Select<E>,
) -> Result<Vec<T>, DbErr> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Sqlite {
        return db
            .query_all_raw(select.build(backend))
            .await?
            .iter()
            .map(T::from_result)
            .collect();
    }
    on_sqlite(db, select.build(DbBackend::Sqlite)).await
}

/// Every row of a sea-query select (joins the entity selects cannot express).
pub async fn statement<T: BulkRow>(
    db: &DatabaseConnection,
    select: &sea_orm::sea_query::SelectStatement,
) -> Result<Vec<T>, DbErr> {
    let backend = db.get_database_backend();
    let statement = backend.build(select);
    if backend != DbBackend::Sqlite {
        return db
            .query_all_raw(statement)
            .await?
            .iter()
            .map(T::from_result)
            .collect();
    }
    on_sqlite(db, statement).await
}

async fn on_sqlite<T: BulkRow>(
    db: &DatabaseConnection,
    statement: sea_orm::Statement,
) -> Result<Vec<T>, DbErr> {
    let params = super::quick::parameters(statement.values)?;
    // The quick reader (store::quick) has no pool to lend a handle from.
    let sea_orm::DatabaseConnectionType::SqlxSqlitePoolConnection(_) = &db.inner else {
        return Err(DbErr::Custom("批量读取须用数据库的常规连接".into()));
    };
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(|e| DbErr::Custom(format!("无法取得数据库连接：{e}")))?;
    let mut handle = conn
        .lock_handle()
        .await
        .map_err(|e| DbErr::Custom(format!("无法取得数据库连接：{e}")))?;
    let raw = handle.as_raw_handle();
    let read = || -> rusqlite::Result<Vec<T>> {
        // SAFETY: sqlx's worker has handed the handle over until `handle` is dropped, which
        // outlives this borrow; a connection made `from_handle` never closes it.
        let c = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }?;
        let mut stmt = c.prepare(&statement.sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| {
            T::from_sqlite(r)
        })?;
        rows.collect()
    };
    // Stepping through the rows is blocking work: keep the runtime's other tasks going.
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let rows = if multi_thread {
        tokio::task::block_in_place(read)
    } else {
        read()
    };
    rows.map_err(|e| DbErr::Custom(format!("读取数据失败：{e}")))
}
