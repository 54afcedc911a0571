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
    opts.sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(if url.starts_with("sqlite") { 4 } else { 10 })
        .map_sqlx_sqlite_opts(|o| {
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
                .pragma("mmap_size", "268435456")
        });
    Database::connect(opts).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migrations::Migrator::up(db, None).await
}
