//! Backups that restore: one taken while the service writes holds every write acknowledged
//! before it began and passes SQLite's integrity check; a database made by an earlier release is
//! restored and migrated to this one.

use crate::helpers::*;
use lianxin::domain::access::{AccessRole, Scope};
use lianxin::store::entities::{household, ledger_item};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Where a restore goes: a new SQLite file, or a new PostgreSQL database (dropped by
/// `drop_target`).
async fn restore_target(app: &TestApp) -> (String, Option<(String, String)>) {
    let dir = app.path("restored");
    std::fs::create_dir_all(&dir).expect("mkdir");
    fresh_database(&dir).await
}

async fn drop_target(db: sea_orm::DatabaseConnection, pg: Option<(String, String)>) {
    use sea_orm::ConnectionTrait;
    db.close().await.ok();
    if let Some((admin, name)) = pg {
        let conn = sea_orm::Database::connect(&admin).await.expect("admin");
        conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .ok();
    }
}

#[tokio::test]
async fn a_backup_taken_under_write_load_restores_every_acknowledged_write() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.add_account(
        "cunwei",
        AccessRole::VillageCadre,
        Scope::Region("3509100200".into()),
        None,
    )
    .await;
    let village = app.login("cunwei", PASSWORD).await;
    // Four writers register items until told to stop, counting those answered 201.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, url) = (village.clone(), app.url("/api/v1/items"));
        let (stop, acked) = (stop.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let body = json!({"ledger": "民生诉求", "source": "群众自报",
                    "household_code": "H001", "matter": format!("负载{w}-{n}"),
                    "registered_on": "2026-11-06"});
                let r = client.post(&url).json(&body).send().await.expect("request");
                if r.status() == 201 {
                    acked.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    let wait_for = |n: usize| {
        let acked = acked.clone();
        async move {
            for _ in 0..600 {
                if acked.load(Ordering::SeqCst) >= n {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("the writers did not get {n} writes acknowledged");
        }
    };
    wait_for(20).await;
    // Every write acknowledged before the backup began must be in it.
    let before = acked.load(Ordering::SeqCst);
    let file = app.path("backup");
    let out = app.cli(&["backup", file.to_str().expect("path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("已备份到"));
    wait_for(before + 10).await;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.expect("writer");
    }
    // A second backup to the same name is refused: nothing is overwritten.
    let again = app.cli(&["backup", file.to_str().expect("path")]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("已存在"));

    if app.database_url.starts_with("sqlite") {
        lianxin::store::backup::check_sqlite_file(&file)
            .await
            .expect("the backup is whole (integrity_check ok)");
    }
    let (target, pg) = restore_target(&app).await;
    lianxin::store::backup::restore(&target, &file)
        .await
        .expect("restore");
    let db = lianxin::store::connect(&target).await.expect("connect");
    lianxin::store::migrate(&db).await.expect("migrate");
    let kept = ledger_item::Entity::find()
        .filter(ledger_item::Column::Matter.starts_with("负载"))
        .count(&db)
        .await
        .expect("count");
    assert!(
        kept as usize >= before,
        "{kept} load items restored, {before} were acknowledged before the backup began"
    );
    assert!(
        (kept as usize) < acked.load(Ordering::SeqCst),
        "writes after the backup began are not all in it"
    );
    assert_eq!(
        household::Entity::find().count(&db).await.expect("count"),
        3
    );
    drop_target(db, pg).await;
}

#[tokio::test]
async fn a_restore_refuses_what_is_not_a_whole_lianxin_backup() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("sqlite") {
        return; // pg_restore checks its own archives; this is about SQLite files.
    }
    let junk = app.path("junk.db");
    std::fs::write(&junk, b"not a database at all, just some bytes").expect("write");
    let out = app.cli(&["restore", junk.to_str().expect("path")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("不是 SQLite 数据库文件"), "{err}");
    let missing = app.cli(&["restore", "no-such-file.db"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("找不到备份文件"));
    // The database was left as it was.
    let db = app.db().await;
    assert!(
        lianxin::store::access::find_account(&db, "admin")
            .await
            .expect("read")
            .is_some()
    );
}

#[tokio::test]
async fn an_older_release_s_database_is_restored_and_migrated() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("sqlite") {
        return; // The kept database is a SQLite file.
    }
    let old = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upgrade-from-76d8e38.db");
    let copy = app.path("old.db");
    std::fs::copy(&old, &copy).expect("copy");
    let (target, _) = restore_target(&app).await;
    lianxin::store::backup::restore(&target, &copy)
        .await
        .expect("restore");
    let db = lianxin::store::connect(&target).await.expect("connect");
    lianxin::store::migrate(&db)
        .await
        .expect("migrate to this release");
    let codes: Vec<String> = household::Entity::find()
        .all(&db)
        .await
        .expect("read")
        .into_iter()
        .map(|h| h.code)
        .collect();
    assert_eq!(codes, ["H002", "H003"]);
    // This release's columns are there (m0009: the day a policy version takes effect).
    assert!(
        lianxin::store::rules::policy_versions(
            &db,
            lianxin::domain::policy::Policy::default_policy()
        )
        .await
        .expect("read policy versions")
        .len()
            == 1
    );
}

#[tokio::test]
async fn scheduled_backups_keep_the_newest_few() {
    let app = spawn_app().await;
    let db = app.db().await;
    let dir = app.path("backups");
    let t0 = chrono::Utc::now();
    for i in 0..3 {
        let at = t0 + chrono::Duration::hours(i);
        lianxin::store::backup::scheduled(&db, &app.database_url, &dir, 2, at)
            .await
            .expect("backup");
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let newest = format!(
        "lianxin-{}",
        (t0 + chrono::Duration::hours(2)).format("%Y%m%d-%H%M%S")
    );
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[1].starts_with(&newest), "{names:?}");
}
