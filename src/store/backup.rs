//! Backups that restore. On SQLite, `VACUUM INTO` writes a copy from one read snapshot while
//! the service goes on writing: it holds every write committed before it began (a plain copy of
//! the file misses what is still in the write-ahead log). The copy is written beside its name
//! and renamed into place, so a half-written file is never taken for a backup. On PostgreSQL,
//! `pg_dump` and `pg_restore` do the same, called when they are installed.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use std::path::{Path, PathBuf};

/// Why a backup or a restore did not happen, in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("数据库错误：{0}")]
    Db(#[from] DbErr),
    #[error("文件错误：{0}")]
    Io(#[from] std::io::Error),
}

/// `path` with `suffix` added to its name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The copy's name while it is being written.
fn partial(to: &Path) -> PathBuf {
    with_suffix(to, ".partial")
}

/// Writes a consistent copy of the database to `to` (which must not exist yet).
pub async fn backup(db: &DatabaseConnection, url: &str, to: &Path) -> Result<u64, BackupError> {
    if to.exists() {
        return Err(BackupError::Refused(format!(
            "{} 已存在：备份不覆盖已有文件",
            to.display()
        )));
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = partial(to);
    let _ = std::fs::remove_file(&tmp);
    if url.starts_with("sqlite") {
        let target = tmp.to_string_lossy().replace('\'', "''");
        db.execute_unprepared(&format!("VACUUM INTO '{target}'"))
            .await?;
    } else {
        let out = std::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(&tmp)
            .arg(url)
            .output()
            .map_err(|e| {
                BackupError::Refused(format!("无法运行 pg_dump（请安装 PostgreSQL 客户端）：{e}"))
            })?;
        if !out.status.success() {
            let _ = std::fs::remove_file(&tmp);
            return Err(BackupError::Refused(format!(
                "pg_dump 失败：{}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
    }
    std::fs::rename(&tmp, to)?;
    Ok(std::fs::metadata(to)?.len())
}

/// Checks a SQLite backup: a SQLite file, whole (`PRAGMA integrity_check`), and a lianxin
/// database of this or an earlier release (every migration it has applied is one this build
/// knows).
pub async fn check_sqlite_file(file: &Path) -> Result<(), BackupError> {
    check(file, file).await
}

/// Checks `file`, naming it `shown` (the backup a copy was made from).
async fn check(file: &Path, shown: &Path) -> Result<(), BackupError> {
    use sea_orm_migration::MigratorTrait;
    if !file.is_file() {
        return Err(BackupError::Refused(format!(
            "找不到备份文件 {}",
            file.display()
        )));
    }
    let not_sqlite = || BackupError::Refused(format!("{} 不是 SQLite 数据库文件", shown.display()));
    let url = format!("sqlite://{}?mode=rw", file.display());
    let db = sea_orm::Database::connect(&url)
        .await
        .map_err(|_| not_sqlite())?;
    let backend = db.get_database_backend();
    let verdict: String = db
        .query_one_raw(Statement::from_string(backend, "PRAGMA integrity_check"))
        .await
        .map_err(|_| not_sqlite())?
        .map(|r| r.try_get_by_index(0))
        .transpose()?
        .unwrap_or_default();
    if verdict != "ok" {
        return Err(BackupError::Refused(format!(
            "备份文件已损坏（integrity_check：{verdict}）"
        )));
    }
    let applied = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations",
        ))
        .await
        .map_err(|_| BackupError::Refused("这不是连心的数据库备份（没有迁移记录）".into()))?;
    let known: Vec<String> = super::migrations::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    for r in applied {
        let v: String = r.try_get_by_index(0)?;
        if !known.contains(&v) {
            return Err(BackupError::Refused(format!(
                "备份来自更新的版本（迁移 {v} 本版本不认识）：请用同一或更新版本的连心恢复"
            )));
        }
    }
    db.close().await?;
    Ok(())
}

/// Puts a backup back in place of the database at `url`. The service must be stopped; the
/// database is migrated to this release the next time it starts.
pub async fn restore(url: &str, from: &Path) -> Result<(), BackupError> {
    match super::sqlite_file(url) {
        Some(path) => {
            if !from.is_file() {
                return Err(BackupError::Refused(format!(
                    "找不到备份文件 {}",
                    from.display()
                )));
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            // The copy is checked, not the backup: opening a file may leave its log beside it.
            let tmp = partial(&path);
            std::fs::copy(from, &tmp)?;
            if let Err(e) = check(&tmp, from).await {
                for side in [
                    tmp.clone(),
                    with_suffix(&tmp, "-wal"),
                    with_suffix(&tmp, "-shm"),
                ] {
                    let _ = std::fs::remove_file(side);
                }
                return Err(e);
            }
            // The old database's log would replay onto the restored file: remove it first.
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(with_suffix(&path, suffix));
            }
            std::fs::rename(&tmp, &path)?;
            Ok(())
        }
        None if url.starts_with("postgres") => {
            let out = std::process::Command::new("pg_restore")
                .args(["--clean", "--if-exists", "--no-owner", "--dbname", url])
                .arg(from)
                .output()
                .map_err(|e| {
                    BackupError::Refused(format!(
                        "无法运行 pg_restore（请安装 PostgreSQL 客户端）：{e}"
                    ))
                })?;
            if out.status.success() {
                Ok(())
            } else {
                Err(BackupError::Refused(format!(
                    "pg_restore 失败：{}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )))
            }
        }
        None => Err(BackupError::Refused(format!("无法恢复到 {url}"))),
    }
}

/// One scheduled round: a backup named by the time into `dir`, then all but the newest `keep`
/// of them removed. Answers the new file.
pub async fn scheduled(
    db: &DatabaseConnection,
    url: &str,
    dir: &Path,
    keep: usize,
    now: DateTime<Utc>,
) -> Result<PathBuf, BackupError> {
    let ext = if url.starts_with("sqlite") {
        "db"
    } else {
        "dump"
    };
    let to = dir.join(format!("lianxin-{}.{ext}", now.format("%Y%m%d-%H%M%S")));
    backup(db, url, &to).await?;
    let mut old: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("lianxin-") && n.ends_with(&format!(".{ext}")))
        })
        .collect();
    // The names sort by time.
    old.sort();
    let excess = old.len().saturating_sub(keep.max(1));
    for p in old.into_iter().take(excess) {
        std::fs::remove_file(p)?;
    }
    Ok(to)
}
