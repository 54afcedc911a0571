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

/// A column type a bulk row reads straight from SQLite.
pub trait BulkCol: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self>;
}

macro_rules! bulk_col {
    ($($t:ty),+) => {$(
        impl BulkCol for $t {
            #[inline]
            fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                row.get(i)
            }
        }
        impl BulkCol for Option<$t> {
            #[inline]
            fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                row.get(i)
            }
        }
    )+};
}
bulk_col!(i32, i64, f64, bool, String);

/// A day as SQLite keeps it (`YYYY-MM-DD`), read without chrono's format parser: the
/// evaluation reads a county's year of records, two days each, and the parser was 3 % of it.
impl BulkCol for chrono::NaiveDate {
    #[inline]
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        if let Ok(rusqlite::types::ValueRef::Text(t)) = row.get_ref(i)
            && let Some(d) = day(t)
        {
            return Ok(d);
        }
        row.get(i)
    }
}

impl BulkCol for Option<chrono::NaiveDate> {
    #[inline]
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        match row.get_ref(i)? {
            rusqlite::types::ValueRef::Null => Ok(None),
            _ => chrono::NaiveDate::from_sqlite(row, i).map(Some),
        }
    }
}

/// `YYYY-MM-DD` exactly; anything else is left to chrono.
fn day(t: &[u8]) -> Option<chrono::NaiveDate> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *t else {
        return None;
    };
    let n = |ds: &[u8]| {
        ds.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    chrono::NaiveDate::from_ymd_opt(n(&[y0, y1, y2, y3])? as i32, n(&[m0, m1])?, n(&[d0, d1])?)
}

macro_rules! bulk_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: TryGetable + BulkCol),+> BulkRow for ($($t,)+) {
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(<$t as BulkCol>::from_sqlite(row, $i)?,)+))
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

#[cfg(test)]
mod day_tests {
    use super::*;
    use chrono::NaiveDate;

    /// Days are read as chrono reads them: the same day, none for a day that does not exist,
    /// and a text of another shape left to chrono (which refuses this one, as before).
    #[test]
    fn days_read_from_sqlite_are_the_days_chrono_reads() -> rusqlite::Result<()> {
        assert_eq!(day(b"2026-02-28"), NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(day(b"2026-02-30"), None);
        assert_eq!(day(b"2026-2-28x"), None);
        assert_eq!(day(b"20260228"), None);
        let c = rusqlite::Connection::open_in_memory()?;
        let (d, none, some): (NaiveDate, Option<NaiveDate>, Option<NaiveDate>) =
            c.query_row("SELECT '2026-03-01', NULL, '2024-02-29'", [], |r| {
                BulkRow::from_sqlite(r)
            })?;
        assert_eq!(d, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default());
        assert_eq!(none, None);
        assert_eq!(some, NaiveDate::from_ymd_opt(2024, 2, 29));
        let odd: rusqlite::Result<(NaiveDate, i32)> =
            c.query_row("SELECT '2026-03-01 08:00', 1", [], |r| {
                BulkRow::from_sqlite(r)
            });
        assert!(odd.is_err());
        Ok(())
    }
}
