//! The command line: folder import, demo files, crash safety.

use crate::helpers::*;
use lianxin::domain::access::{AccessRole, Scope};
use std::process::Stdio;

#[tokio::test]
async fn folder_import_reports_every_bad_row_then_imports_once() {
    let app = spawn_app().await;
    let (f, files) = fixture();
    let bad_people = files[2].1.replace(
        &f.li,
        &format!(
            "{}{}",
            &f.li[..17],
            if f.li.ends_with('1') { '2' } else { '1' }
        ),
    );
    let bad_people = bad_people.replace("2023/5/1", "2023-02-30");
    let bad_households = files[3]
        .1
        .replace("H003,钱七,,3509101200", "H001,钱七,,3509109999");
    let mut broken: Vec<(&str, String)> = files.clone();
    broken[2].1 = bad_people;
    broken[3].1 = bad_households;
    broken[4].1 = "户编号,与户主关系\nH001,户主\n".into();
    let refs: Vec<(&str, &str)> = broken.iter().map(|(n, c)| (*n, c.as_str())).collect();
    let dir = app.write_dir("bad", &refs);
    let out = app.cli(&["import", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for expected in [
        "people.csv 第3行「身份证号」列",
        "校验位",
        "people.csv 第3行「任期开始」列",
        "households.csv 第4行「户编号」列",
        "重复",
        "households.csv 第4行「所属区划」列",
        "members.csv 第1行「姓名」列",
        "没有写入任何数据",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected} in:\n{stderr}"
        );
    }
    assert!(
        full_id_numbers(&stderr).is_empty(),
        "report shows a full ID number"
    );
    assert_eq!(app.counts().await["regions"], 0, "nothing written");

    let refs: Vec<(&str, &str)> = files.iter().map(|(n, c)| (*n, c.as_str())).collect();
    let dir = app.write_dir("good", &refs);
    let out = app.cli(&["import", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = app.counts().await;
    assert_eq!(
        (
            after["households"].as_u64(),
            after["members"].as_u64(),
            after["activities"].as_u64()
        ),
        (Some(3), Some(2), Some(2))
    );
    let out = app.cli(&["import", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        !stdout.contains("新增1") && stdout.contains("户：新增0，更新0，不变3"),
        "{stdout}"
    );
    assert_eq!(app.counts().await, after);
}

#[tokio::test]
async fn demo_files_import_into_an_empty_database_and_again_unchanged() {
    let app = spawn_app().await;
    let dir = app.path("demo");
    let out = app.cli(&[
        "demo",
        "--size",
        "small",
        "--today",
        "2026-11-20",
        "--write-files",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let households_csv = std::fs::read_to_string(dir.join("households.csv")).unwrap();
    assert!(
        households_csv.starts_with('\u{feff}'),
        "CSV for Excel carries a BOM"
    );
    let lines = households_csv.lines().count() - 1;
    let out = app.cli(&["import", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = app.counts().await;
    assert_eq!(c["households"].as_u64(), Some(lines as u64));
    assert!(
        c["people"].as_u64().unwrap() > 100
            && c["activities"].as_u64().unwrap() > 500
            && c["links"].as_u64().unwrap() > 500
    );
    // Every role of FORMATS.md the demo claims is present.
    for role in [
        "county_leadership_member",
        "town_leadership_member",
        "street_leadership_member",
        "department_leadership_member",
        "reserve_cadre",
        "village_secretary",
        "village_director",
        "village_cadre",
        "in_service_party_member",
        "county_representative",
    ] {
        let n = app.get_json(&format!("/api/v1/people?tag={role}")).await["total"]
            .as_u64()
            .unwrap();
        assert!(n > 0, "no {role} in the demo");
    }
    let out = app.cli(&["import", dir.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(app.counts().await, c);
}

/// Waits (at most a minute, never longer) until the child says it holds before commit.
async fn wait_for_hold(child: &mut tokio::process::Child) -> bool {
    use tokio::io::AsyncBufReadExt;
    let Some(stderr) = child.stderr.take() else {
        return false;
    };
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let wait = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("HOLDING_BEFORE_COMMIT") {
                return true;
            }
        }
        false
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), wait)
        .await
        .unwrap_or(false)
}

/// A second `lianxin serve` process on the test's database (sessions live there, so the test's
/// logins hold), answering on its own port: the process and its address.
async fn second_server(
    app: &TestApp,
    env: &[(&str, &str)],
    stderr: Stdio,
) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = tokio::process::Command::from(app.cli_command(&["serve"]));
    command.env("LIANXIN_LISTEN", format!("127.0.0.1:{port}"));
    for (k, v) in env {
        command.env(k, v);
    }
    let server = command
        .stderr(stderr)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if app
            .client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok()
        {
            return (server, base);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("server did not start");
}

#[tokio::test]
async fn sigkill_during_import_leaves_the_database_as_it_was() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let before = app.counts().await;
    let dir = app.path("demo");
    let out = app.cli(&[
        "demo",
        "--size",
        "small",
        "--write-files",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let mut child = tokio::process::Command::from(app.cli_command(&[
        "import",
        dir.to_str().unwrap(),
        "--hold-before-commit",
        "60",
    ]))
    .stderr(Stdio::piped())
    .stdout(Stdio::null())
    .kill_on_drop(true)
    .spawn()
    .unwrap();
    // Every row is written inside the transaction by now; kill -9.
    let held = wait_for_hold(&mut child).await;
    child.kill().await.unwrap();
    assert!(held, "the import never reached its commit");
    assert_eq!(
        app.counts().await,
        before,
        "a killed import left rows behind"
    );
    // And the database is still usable.
    let out = app.cli(&["import", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn template_command_writes_a_blank_workbook() {
    let app = spawn_app().await;
    let out = app.cli(&["template", "households", "-o", "h.xlsx"]);
    assert!(out.status.success());
    let rows = crate::exchange::xlsx_rows(&std::fs::read(app.path("h.xlsx")).unwrap());
    assert_eq!(rows[0][0], "户编号");
    let out = app.cli(&["template", "nonsense"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("未知的数据类型"));
}

#[tokio::test]
async fn sigkill_of_the_server_during_an_api_import_leaves_the_database_as_it_was() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let dir = app.path("demo");
    assert!(
        app.cli(&[
            "demo",
            "--size",
            "small",
            "--write-files",
            dir.to_str().unwrap()
        ])
        .status
        .success()
    );
    let regions = std::fs::read(dir.join("regions.csv")).unwrap();
    assert_eq!(
        app.import("regions", "regions.csv", regions).await.status(),
        200
    );
    let before = app.counts().await;
    let households = std::fs::read(dir.join("households.csv")).unwrap();

    let (mut server, base) = second_server(
        &app,
        &[("LIANXIN_HOLD_IMPORT_BEFORE_COMMIT_SECS", "60")],
        Stdio::piped(),
    )
    .await;
    // The admin's session lives in the shared database, so the second server honours it.
    let client = app.client.clone();
    let request = tokio::spawn(async move {
        client
            .post(format!(
                "{base}/api/v1/import/households?file=households.csv"
            ))
            .body(households)
            .send()
            .await
    });
    let held = wait_for_hold(&mut server).await;
    server.kill().await.unwrap();
    assert!(held, "the import never reached its commit");
    assert!(
        request.await.unwrap().is_err(),
        "the client saw the connection die"
    );
    assert_eq!(
        app.counts().await,
        before,
        "a killed server left rows behind"
    );
}

/// Killed with SIGKILL in the middle of a write load (four cadres' phones recording visits at
/// once), the server loses none of the writes it acknowledged: each one answered 201 is in the
/// database after the kill, and the database is whole.
#[tokio::test]
async fn sigkill_during_a_write_load_loses_no_acknowledged_write() {
    use lianxin::store::entities::activity;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let cadre = app.login("zhang", PASSWORD).await;
    let (mut server, base) = second_server(&app, &[], Stdio::null()).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (c, base, stop, zhang) = (cadre.clone(), base.clone(), stop.clone(), f.zhang.clone());
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0.. {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let note = format!("压力-{w}-{n}");
                let sent = c
                    .post(format!("{base}/api/v1/activities"))
                    .json(&serde_json::json!({
                        "client_key": format!("load-{w}-{n}-abcdef"), "kind": "入户走访",
                        "start_date": "2026-11-02", "participants": [zhang],
                        "targets": ["H001"], "notes": note
                    }))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 201 => acknowledged.push(note),
                    Ok(r) => panic!("{}", r.status()),
                    Err(_) => break,
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    server.kill().await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    assert!(
        acknowledged.len() >= 20,
        "the load ran: {}",
        acknowledged.len()
    );
    let db = app.db().await;
    let stored: std::collections::HashSet<String> = activity::Entity::find()
        .filter(activity::Column::Notes.starts_with("压力-"))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|a| a.notes)
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|n| !stored.contains(*n))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
    if app.database_url.starts_with("sqlite") {
        use sea_orm::ConnectionTrait;
        let r = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.try_get_by_index::<String>(0).unwrap(), "ok");
    }
}

/// The demo county shows what each rule is for: most people meet most rules, a few lag on a
/// few (each measured rule between roughly 60 % and 95 % met), none is empty or all-failing.
#[tokio::test]
async fn the_demo_county_shows_every_measured_rule_with_its_laggards() {
    let app = spawn_app().await;
    let out = app.cli(&[
        "demo",
        "--size",
        "small",
        "--today",
        "2026-12-31",
        "--no-serve",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.cli(&[
        "compliance",
        "--year",
        "2026",
        "--as-of",
        "2026-12-31",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut by_rule: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
    for o in report["results"].as_array().unwrap() {
        let e = by_rule
            .entry(o["rule"].as_str().unwrap().to_string())
            .or_default();
        e.1 += 1;
        if o["status"] == "met" {
            e.0 += 1;
        }
    }
    let share = |(met, all): (u32, u32)| met * 100 / all.max(1);
    let failing: Vec<String> = by_rule
        .iter()
        .filter(|(_, v)| share(**v) < 50)
        .map(|(k, v)| format!("{k} {}%", share(*v)))
        .collect();
    assert!(
        failing.is_empty(),
        "rules mostly unmet on the demo: {failing:?}"
    );
    let in_range = by_rule
        .values()
        .filter(|v| (55..=96).contains(&share(**v)))
        .count();
    let shares: Vec<String> = by_rule
        .iter()
        .map(|(k, v)| format!("{k} {}%", share(*v)))
        .collect();
    assert!(
        by_rule.len() >= 55 && in_range * 100 >= by_rule.len() * 85,
        "{in_range} of {} rules between 55% and 96%: {shares:?}",
        by_rule.len()
    );
    // The leaders' contact points are their own (LXD-4 mostly met).
    assert!(share(by_rule["LXD-4"]) >= 60, "{shares:?}");
}

/// A folder is read and written kind by kind: what the early kinds wrote is taken back when the
/// last file read has a bad row, and a progress bar following the import sees each file's rows
/// checked and written.
#[tokio::test]
async fn a_bad_row_in_the_last_file_read_takes_back_every_kind_written_before_it() {
    use lianxin::store::import::{ImportOptions, Progress};
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let (_, files) = fixture();
    let mut broken = files.clone();
    let (name, activities) = broken.last_mut().unwrap();
    assert_eq!(*name, "activities.csv");
    *activities = activities.replace(",电话联系,H001,", ",电话联系,H999,");
    let refs: Vec<(&str, &str)> = broken.iter().map(|(n, c)| (*n, c.as_str())).collect();
    let dir = app.write_dir("bad-last", &refs);
    let out = app.cli(&["import", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("activities.csv 第3行「对象代码」列") && stderr.contains("H999"),
        "{stderr}"
    );
    let c = app.counts().await;
    for kind in [
        "regions",
        "units",
        "people",
        "households",
        "members",
        "links",
    ] {
        assert_eq!(c[kind], 0, "{kind} written before the bad file stayed: {c}");
    }

    let refs: Vec<(&str, &str)> = files.iter().map(|(n, c)| (*n, c.as_str())).collect();
    let dir = app.write_dir("good", &refs);
    let db = lianxin::store::connect(&app.database_url).await.unwrap();
    let schema = "SELECT type || ' ' || name || ' ' || sql FROM sqlite_master \
                  WHERE sql IS NOT NULL ORDER BY 1";
    let sqlite = app.database_url.starts_with("sqlite");
    let schema_before = if sqlite {
        rows_of(&db, schema).await
    } else {
        vec![]
    };
    let stamp_before = lianxin::store::stamp(&db, "registry").await.unwrap();
    let progress = std::sync::Arc::new(Progress::default());
    let opts = ImportOptions {
        progress: Some(progress.clone()),
        ..ImportOptions::at(chrono::Utc::now())
    };
    let outcome =
        lianxin::exchange::import_files(&db, lianxin::exchange::load_dir(&dir), "测试", &opts)
            .await
            .unwrap();
    assert_eq!(outcome.tallies["activities"].created, 2);
    let r = progress.read();
    assert!(r.file.contains("activities.csv"), "{r:?}");
    assert_eq!((r.rows, r.checked, r.written), (2, 2, 2), "{r:?}");
    assert_eq!(app.counts().await["households"], 3);
    // What the import set aside on SQLite (the registry's triggers, the indexes of the tables
    // it filled) is back as it was, and the import raised the registry's stamp.
    if sqlite {
        assert_eq!(rows_of(&db, schema).await, schema_before);
    }
    let stamp = lianxin::store::stamp(&db, "registry").await.unwrap();
    assert!(stamp > stamp_before, "{stamp} after {stamp_before}");
    db.execute_unprepared("UPDATE household SET address = '乙村9号' WHERE code = 'H002'")
        .await
        .unwrap();
    assert!(lianxin::store::stamp(&db, "registry").await.unwrap() > stamp);
}

async fn rows_of(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).unwrap())
    .collect()
}

/// An import turns its connection's memory map off for its transaction (SQLite looked every
/// mapped page up in a WAL index that grows with it): afterwards every connection of the pool
/// maps the file again, the import's included.
#[tokio::test]
async fn after_an_import_every_connection_maps_the_file_again() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("sqlite") {
        return; // PostgreSQL maps nothing.
    }
    let (_, files) = fixture();
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, c)| (*n, c.as_str())).collect();
    let dir = app.write_dir("mapped", &refs);
    let db = app.db().await;
    let opts = lianxin::store::import::ImportOptions::at(chrono::Utc::now());
    let outcome =
        lianxin::exchange::import_files(&db, lianxin::exchange::load_dir(&dir), "测试", &opts)
            .await;
    assert!(outcome.is_ok(), "import failed");
    // Every connection of the pool (four on SQLite) held at once, and each asked.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(sea_orm::TransactionTrait::begin(&db).await.expect("begin"));
    }
    for txn in &held {
        let row = sea_orm::ConnectionTrait::query_one_raw(
            txn,
            sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA mmap_size"),
        )
        .await
        .expect("pragma")
        .expect("a row");
        let size: i64 = row.try_get_by_index(0).expect("a number");
        assert_eq!(size, lianxin::store::MMAP_BYTES);
    }
}
