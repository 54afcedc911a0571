//! Import and export through the API and the pages.

use crate::helpers::*;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use std::io::Cursor;

pub fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a valid xlsx");
    let range = wb
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| {
                    if let Data::Empty = c {
                        String::new()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn bad_rows_are_all_reported_in_chinese_and_nothing_is_written() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let before = app.counts().await;
    let good = id("35099919700505005");
    let bad_check = {
        let g = id("35099919700606006");
        let wrong = if g.ends_with('0') { '1' } else { '0' };
        format!("{}{}", &g[..17], wrong)
    };
    let csv = format!(
        "户编号,户主姓名,户主身份证号,所属区划,人口\nH100,周一,{good},3509100200,2\nH101,吴二,{bad_check},3509100200,2\nH102,郑三,,999999,1\nH100,冯四,,3509100200,1\nH103,陈五,,3509100200,两\n"
    );
    let r = app.import("households", "households.csv", csv).await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("未写入任何数据"));
    let rows = body["rows"].as_array().unwrap();
    let find = |row: u64, col: &str| {
        rows.iter()
            .find(|e| e["row"] == row && e["column"] == col)
            .unwrap_or_else(|| panic!("no error for row {row} {col}: {rows:?}"))["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(find(3, "户主身份证号").contains("校验位"));
    assert!(find(4, "所属区划").contains("区划不存在"));
    assert!(find(5, "户编号").contains("重复"));
    assert!(find(6, "人口").contains("整数"));
    // Row 3's value is masked in the report.
    assert!(full_id_numbers(&body.to_string()).is_empty());
    assert_eq!(app.counts().await, before, "nothing written");
}

#[tokio::test]
async fn malformed_date_and_missing_column_are_reported() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let before = app.counts().await;
    let p = id("35099919900707007");
    let csv = format!("身份证号,姓名,单位代码,任期开始\n{p},孙八,V1,2024-13-01\n");
    let r = app.import("people", "people.csv", csv).await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["rows"][0]["row"], 2);
    assert_eq!(body["rows"][0]["column"], "任期开始");
    assert!(
        body["rows"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("日期格式错误")
    );
    let r = app
        .import("members", "members.csv", "户编号,与户主关系\nH001,配偶\n")
        .await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["rows"][0]["row"], 1);
    assert!(
        body["rows"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("缺少必填列「姓名」")
    );
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn reimport_changes_nothing_and_a_change_is_kept_in_history() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let before = app.counts().await;
    let (_, files) = fixture();
    for (name, content) in &files {
        let kind = name.trim_end_matches(".csv");
        let r = app.import(kind, name, content.clone()).await;
        let o: serde_json::Value = r.json().await.unwrap();
        let t = &o["tallies"][kind];
        assert_eq!(
            (t["created"].as_u64(), t["updated"].as_u64()),
            (Some(0), Some(0)),
            "{name}: {o}"
        );
    }
    assert_eq!(
        app.counts().await,
        before,
        "second import changed something"
    );

    // Change one household's address: one update, kept in history, shown on its page.
    let households = &files
        .iter()
        .find(|(n, _)| *n == "households.csv")
        .unwrap()
        .1;
    let changed = households.replace("乙村2号", "乙村22号");
    let o: serde_json::Value = app
        .import("households", "households.csv", changed)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(o["tallies"]["households"]["updated"], 1);
    assert_eq!(o["tallies"]["households"]["unchanged"], 2);
    let d = app.get_json("/api/v1/households/H002").await;
    let lines: Vec<String> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["changes"].as_array().unwrap().clone())
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(
        lines.iter().any(|l| l == "地址：乙村2号 → 乙村22号"),
        "{lines:?}"
    );
    assert_eq!(d["history"][0]["action"], "修改");
}

#[tokio::test]
async fn xlsx_import_reads_chinese_or_english_headers_and_date_cells() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let p = id("35099919920808008");
    for (c, h) in ["id_number", "name", "unit_code", "term_start", "roles"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, &p).unwrap();
    ws.write_string(1, 1, "周九").unwrap();
    ws.write_string(1, 2, "D1").unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 3, 9).unwrap();
    ws.write_datetime_with_format(
        1,
        3,
        &date,
        &rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd"),
    )
    .unwrap();
    ws.write_string(1, 4, "科级以上干部；机关在职党员").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let r = app.import("people", "people.xlsx", bytes).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let found = app.get_json("/api/v1/people?q=zj").await;
    let person = &found["items"][0];
    assert_eq!(person["term_start"], "2025-03-09");
    assert_eq!(person["roles"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn web_import_previews_then_confirms() {
    let app = spawn_app().await;
    let (_, files) = fixture();
    let regions = files[0].1.clone();
    let form = reqwest::multipart::Form::new()
        .text("kind", "regions")
        .part(
            "file",
            reqwest::multipart::Part::bytes(regions.into_bytes()).file_name("regions.csv"),
        );
    let html = app
        .client
        .post(app.url("/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("检查通过") && html.contains("确认导入"),
        "{html}"
    );
    // The page streams: its top at once, where the check stands, then the outcome and the
    // rest of the page; the last line of progress says every row was checked.
    let at = |page: &str, s: &str| page.find(s).unwrap_or_else(|| panic!("{s} not in\n{page}"));
    assert!(at(&html, "<h1>导入检查：regions.csv</h1>") < at(&html, "class=\"progress\""));
    // The menu is the caller's, filled in before the page starts to stream.
    assert!(at(&html, "class=\"who\"") < at(&html, "<h1>"));
    assert!(at(&html, "class=\"progress\"") < at(&html, "检查通过"));
    assert!(at(&html, "检查通过") < at(&html, "</html>"));
    assert!(
        html.contains("区划（regions.csv）：共 6 行，已检查 6 行（已完成）"),
        "{html}"
    );
    assert_eq!(app.counts().await["regions"], 0, "preview writes nothing");
    let token = html
        .split("name=\"token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let done = app
        .client
        .post(app.url("/import/confirm"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(
        done.headers().get("content-length").is_none(),
        "streamed: {:?}",
        done.headers()
    );
    let done = done.text().await.unwrap();
    assert!(done.contains("导入完成"), "{done}");
    assert!(done.contains("已处理 6 行"), "{done}");
    assert!(at(&done, "已处理 6 行") < at(&done, "导入完成"));
    assert_eq!(app.counts().await["regions"], 6);
    // The same token cannot be used twice, nor a made-up one.
    let again = app
        .client
        .post(app.url("/import/confirm"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let evil = app
        .client
        .post(app.url("/import/confirm"))
        .form(&[("token", "../../etc")])
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 400);

    // A bad file shows every error and no confirm button.
    let bad = "区划代码,名称,层级,上级代码\n12a,某村,村,3509100\n";
    let form = reqwest::multipart::Form::new()
        .text("kind", "regions")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bad.as_bytes().to_vec()).file_name("regions.csv"),
        );
    let html = app
        .client
        .post(app.url("/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("没有写入任何数据")
            && html.contains("区划代码只能由数字组成")
            && !html.contains("确认导入"),
        "{html}"
    );
}

#[tokio::test]
async fn exports_and_templates_are_xlsx_in_the_formats_layout() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let r = app.get("/export/households").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let rows = xlsx_rows(&r.bytes().await.unwrap());
    assert_eq!(rows[0][0], "户编号");
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter()
            .any(|r| r[0] == "H001" && r[7] == "低保户、残疾人")
    );
    for kind in [
        "regions",
        "units",
        "people",
        "members",
        "links",
        "activities",
    ] {
        let rows = xlsx_rows(
            &app.get(&format!("/api/v1/export/{kind}"))
                .await
                .bytes()
                .await
                .unwrap(),
        );
        assert!(rows.len() > 1, "{kind} export has rows");
    }
    let t = xlsx_rows(&app.get("/templates/people").await.bytes().await.unwrap());
    assert_eq!(t.len(), 1);
    assert_eq!(t[0][0], "身份证号");
    assert_eq!(t[0].len(), 11);
    assert_eq!(app.get("/templates/nope").await.status(), 404);
}

/// Imported records carry who entered them and when: the importing account and the import's
/// time (the command line's have the time and no account).
#[tokio::test]
async fn imported_records_carry_their_importer_and_time() {
    use lianxin::store::entities::{account, activity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let before = chrono::Utc::now();
    app.load_fixture().await;
    let db = app.db().await;
    let admin = account::Entity::find()
        .filter(account::Column::Username.eq("admin"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let records = activity::Entity::find().all(&db).await.unwrap();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r.author_account_id, Some(admin.id));
        assert!(r.recorded_at.is_some_and(|t| t >= before), "{r:?}");
    }
}
