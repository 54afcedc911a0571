//! Reading and writing lianxin's tables, on SQLite or PostgreSQL through one code path.

/// What a write of the store answers besides a database error: the input refused (a Chinese
/// sentence naming the field), the caller not allowed, or a thing not there.
#[derive(Debug)]
pub enum StoreError {
    Invalid(String),
    Forbidden(String),
    NotFound(String),
    Db(DbErr),
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        StoreError::Db(e)
    }
}

pub mod access;
pub mod assessment;
pub mod backup;
pub mod books;
pub mod bulk;
pub mod cards;
pub mod decisions;
pub mod entities;
pub mod history;
pub mod import;
pub mod integrity;
pub mod ledger;
pub mod projects;
pub mod proposals;
pub mod quick;
pub mod registry;
pub mod representatives;
pub mod rota;
pub mod rules;
pub mod spot_checks;
pub mod survey;
pub mod work;

#[path = "../../migrations/mod.rs"]
mod migrations;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

/// Opens the database the URL names. SQLite files are created with their folder,
/// in WAL mode with foreign keys enforced.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbErr::Custom(format!("无法创建数据目录 {}: {e}", dir.display())))?;
        }
    }
    let mut opts = ConnectOptions::new(url.to_string());
    // The statements a request runs, for whoever profiles it (`LIANXIN_LOG=sqlx::query=info`):
    // their text only, never the bound values.
    let statements = std::env::var("LIANXIN_LOG").is_ok_and(|l| l.contains("sqlx::query"));
    opts.sqlx_logging(statements)
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(if url.starts_with("sqlite") { 4 } else { 10 });
    // sqlx pings a pooled connection before every statement unless told otherwise: on SQLite a
    // round trip to the connection's worker thread that can find nothing wrong with a local
    // file (without them a list request switched threads 19.5 times instead of 27.5); on
    // PostgreSQL a network round trip, worth it only for a connection idle long enough to
    // have been cut.
    if url.starts_with("sqlite") {
        opts.test_before_acquire(false);
    } else {
        opts.test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    opts.map_sqlx_sqlite_opts(|o| {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        o.create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // Rows come from SQLite's worker thread through a channel; a deeper one lets
            // the worker run ahead instead of handing over row by row.
            .row_buffer_size(4096)
            // Reads map the file instead of copying each page through read(2).
            .pragma("mmap_size", MMAP_BYTES.to_string())
    });
    // The pool's connections plan as the quick reads' do (`quick::stable_plans`).
    opts.map_sqlx_sqlite_pool_opts(|o| {
        o.after_connect(|conn, _| {
            Box::pin(async move {
                let mut handle = conn.lock_handle().await?;
                let raw = handle.as_raw_handle();
                // SAFETY: the handle is locked for this block; a connection made `from_handle`
                // never closes it.
                let c = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }
                    .map_err(|e| sea_orm::sqlx::Error::Configuration(e.into()))?;
                quick::stable_plans(&c)
                    .map_err(|e| sea_orm::sqlx::Error::Configuration(e.into()))?;
                Ok(())
            })
        })
    });
    Database::connect(opts).await
}

/// How much of a SQLite file each connection maps into memory (`PRAGMA mmap_size`).
pub const MMAP_BYTES: i64 = 268_435_456;

/// The file of a SQLite URL; none for PostgreSQL or an in-memory database.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:") && !url.contains("mode=memory"))
        .then(|| std::path::PathBuf::from(path))
}

/// A counter of the `stamp` table: `auth` (sessions to forget) or `registry` (raised by every
/// write to households, people, regions, units and links).
pub async fn stamp(db: &impl sea_orm::ConnectionTrait, name: &'static str) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "SELECT n FROM stamp WHERE name = $1",
        _ => "SELECT n FROM stamp WHERE name = ?",
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [name.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get_by_index::<i64>(0)?,
        None => 0,
    })
}

/// Fresh statistics for the query planner, after a large write (an import): without them
/// SQLite searched a year's links by kind and year instead of by household.
pub async fn analyze(db: &impl sea_orm::ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared("ANALYZE").await.map(|_| ())
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migrations::Migrator::up(db, None).await
}

/// Acknowledged writes that survive a power loss, with the disk's flushes shared under load.
///
/// SQLite commits in WAL mode with `synchronous = NORMAL`: the commit is written to the WAL but
/// not flushed. Before a write's answer leaves, [`Durability::settle`] flushes the WAL once for
/// every commit made so far; requests that arrive while a flush runs share the next one, so
/// under load one flush covers many commits (group commit) instead of one flush per commit.
/// PostgreSQL flushes its own WAL at commit (and groups them itself): nothing to do there.
pub struct Durability {
    /// SQLite: one writing request at a time in this process, in the order they came. Without
    /// it, writers that find the database locked sleep in SQLite's busy handler (1, 2, 5 … 100
    /// ms at a time) and the tail of the write latencies reached half a second.
    gate: Option<tokio::sync::Mutex<()>>,
    wal: Option<std::path::PathBuf>,
    issued: std::sync::atomic::AtomicU64,
    flushed: tokio::sync::Mutex<u64>,
}

impl Durability {
    /// For the database the URL names: the SQLite file's WAL, or nothing to flush.
    pub fn for_url(url: &str) -> Durability {
        let wal = sqlite_file(url).map(|p| {
            let mut wal = p.into_os_string();
            wal.push("-wal");
            std::path::PathBuf::from(wal)
        });
        Durability {
            gate: url
                .starts_with("sqlite:")
                .then(|| tokio::sync::Mutex::new(())),
            wal,
            issued: std::sync::atomic::AtomicU64::new(0),
            flushed: tokio::sync::Mutex::new(0),
        }
    }

    /// Waits for this process's writing turn (SQLite); none on PostgreSQL.
    pub async fn turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.gate {
            Some(g) => Some(g.lock().await),
            None => None,
        }
    }

    /// Returns once every commit made before the call is on the disk.
    pub async fn settle(&self) -> std::io::Result<()> {
        use std::sync::atomic::Ordering::SeqCst;
        let Some(wal) = &self.wal else {
            return Ok(());
        };
        let ticket = self.issued.fetch_add(1, SeqCst) + 1;
        let mut flushed = self.flushed.lock().await;
        if *flushed >= ticket {
            // A flush that began after this caller's commits has finished.
            return Ok(());
        }
        // Every ticket issued up to now belongs to a commit already written: this flush covers it.
        let upto = self.issued.load(SeqCst);
        let path = wal.clone();
        tokio::task::spawn_blocking(move || {
            match std::fs::OpenOptions::new().write(true).open(&path) {
                Ok(f) => f.sync_data(),
                // No WAL: everything was checkpointed into the database file, flushed then.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(std::io::Error::other)??;
        *flushed = upto;
        Ok(())
    }
}
