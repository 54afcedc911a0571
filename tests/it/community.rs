//! Community service projects (BF-7) and representatives' proposals (DDB-5), each from the
//! first click to the report: a community's need claimed by the unit reported there, completed
//! and confirmed by the community (met only then); a proposal compiled from a representative's
//! issue, forwarded, answered late and closed (unmet, with how late). Retried writes are
//! recorded once, refused ones write nothing, and the history keeps every step.

use crate::helpers::*;
use lianxin::domain::access::{AccessRole, Scope};
use serde_json::{Value, json};

/// A community under 甲镇, the county liaison office, 甲镇's party-building office, and
/// 县公安局 reported to the community.
pub(crate) async fn community_and_office(app: &TestApp) {
    for (kind, body) in [
        (
            "regions",
            "区划代码,名称,层级,上级代码,标签\n3509100300,城关社区,社区,3509100,\n",
        ),
        (
            "units",
            "单位代码,单位名称,类型,所属区划,上级单位,标签,监督电话\nL1,县委党代表联络办,其他,3509,,党代表联络机构,\nO1,甲镇党建办,其他,3509100,T1,党建办,\n",
        ),
        (
            "links",
            "年度,干部身份证号,单位代码,关系类型,对象代码,开始日期,结束日期\n2026,,D1,社区报到,3509100300,,\n",
        ),
    ] {
        let r = app
            .import(kind, &format!("{kind}.csv"), body.to_string())
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
}

fn rows_of(app: &TestApp, rule: &str) -> Vec<Value> {
    let out = app.cli(&[
        "compliance",
        "--year",
        "2026",
        "--as-of",
        "2026-12-31",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["rule"] == rule)
        .cloned()
        .collect()
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn history(app: &TestApp, entity: &str) -> Vec<String> {
    use lianxin::store::entities::history;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    history::Entity::find()
        .filter(history::Column::Entity.eq(entity))
        .order_by_asc(history::Column::Id)
        .all(&app.db().await)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect()
}

#[tokio::test]
async fn a_project_is_claimed_and_completed_by_a_unit_and_counts_once_the_community_confirms_it() {
    let app = spawn_app().await;
    app.load_fixture().await;
    community_and_office(&app).await;
    let need = json!({"region_code": "3509100300", "title": "老旧楼道照明改造",
        "need": "3栋老楼楼道没有灯", "listed_on": "2026-03-01", "client_key": "proj-1"});
    let (st, p) = post(&app, "/api/v1/projects", need.clone()).await;
    assert_eq!(st, 200, "{p}");
    let id = p["id"].as_i64().unwrap();
    assert_eq!(
        (p["community_name"].as_str(), p["stage"].as_str()),
        (Some("城关社区"), Some("待认领"))
    );
    let (_, again) = post(&app, "/api/v1/projects", need).await;
    assert_eq!(
        (again["id"].as_i64(), &again["duplicate"]),
        (Some(id), &json!(true))
    );

    // A unit not reported to the community cannot claim it; nothing is written.
    let (st, body) = post(
        &app,
        &format!("/api/v1/projects/{id}/claim"),
        json!({"unit_code": "T1", "claimed_on": "2026-03-05"}),
    )
    .await;
    assert_eq!(st, 400);
    assert!(
        body.to_string().contains("甲镇党委政府没有到这个社区报到"),
        "{body}"
    );
    // Completion before a claim is refused too.
    let (st, _) = post(
        &app,
        &format!("/api/v1/projects/{id}/completion"),
        json!({"completed_on": "2026-05-01", "took_part": "x", "outcome": "y"}),
    )
    .await;
    assert_eq!(st, 400);

    let (st, p) = post(
        &app,
        &format!("/api/v1/projects/{id}/claim"),
        json!({"unit_code": "D1", "claimed_on": "2026-03-05"}),
    )
    .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(
        (p["unit_name"].as_str(), p["stage"].as_str()),
        (Some("县公安局"), Some("已认领"))
    );
    let (st, p) = post(
        &app,
        &format!("/api/v1/projects/{id}/completion"),
        json!({"completed_on": "2026-05-20", "took_part": "机关党员12人", "outcome": "装灯36盏"}),
    )
    .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["stage"], "已完成待社区确认");

    // Completed but not confirmed by the community: BF-7 not met for 县公安局.
    let rows = rows_of(&app, "BF-7");
    assert_eq!(
        rows.len(),
        1,
        "only the unit reported to a community is bound: {rows:?}"
    );
    assert_eq!(
        (rows[0]["subject_code"].as_str(), rows[0]["status"].as_str()),
        (Some("D1"), Some("unmet"))
    );
    assert!(
        rows[0]["detail"]
            .as_str()
            .unwrap()
            .contains("老旧楼道照明改造"),
        "{}",
        rows[0]
    );

    // The community confirms on the page; a confirmation dated before completion is refused
    // and keeps what was typed.
    let (status, page) = post_form(
        &app.client,
        app.url(&format!("/projects/{id}/confirmation")),
        &[
            ("confirmed_on", "2026-05-01"),
            ("confirmation", "居民代表验收，楼道亮了"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("早于完成日期2026-05-20") && page.contains("居民代表验收，楼道亮了"),
        "{page}"
    );
    let (status, to) = post_form(
        &app.client,
        app.url(&format!("/projects/{id}/confirmation")),
        &[
            ("confirmed_on", "2026-05-25"),
            ("confirmation", "居民代表验收，楼道亮了"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/projects?year=2026#p{id}").as_str())
    );
    let rows = rows_of(&app, "BF-7");
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["actual"].as_f64()),
        (Some("met"), Some(1.0))
    );
    let page = app.get_text("/projects?year=2026").await;
    assert!(
        page.contains("社区已确认") && page.contains("装灯36盏"),
        "{page}"
    );

    // Another town's office sees none of it.
    app.add_account(
        "bingzhen",
        AccessRole::Office,
        Scope::Region("3509101".into()),
        None,
    )
    .await;
    let other = app.login("bingzhen", PASSWORD).await;
    let list: Value = other
        .get(app.url("/api/v1/projects?year=2026"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    assert_eq!(
        history(&app, "service_project").await,
        ["create", "claim", "complete", "confirm"]
    );
}

#[tokio::test]
async fn a_proposal_is_forwarded_answered_late_and_closed() {
    let app = spawn_app().await;
    app.load_fixture().await;
    community_and_office(&app).await;
    // The issue a representative collected, in the ledger.
    let (st, item) = post(
        &app,
        "/api/v1/items",
        json!({"ledger": "民生诉求", "source": "党代表",
        "region_code": "3509100200", "matter": "乙村夏季缺水", "registered_on": "2026-02-20"}),
    )
    .await;
    assert_eq!(st, 201, "{item}");
    let item_id = item["id"].as_i64().unwrap();
    let (st, visit_item) = post(
        &app,
        "/api/v1/items",
        json!({"ledger": "民生诉求", "source": "群众自报",
        "region_code": "3509100200", "matter": "路灯坏了", "registered_on": "2026-02-20"}),
    )
    .await;
    assert_eq!(st, 201, "{visit_item}");

    let new = |items: Value, key: &str| {
        json!({"unit_code": "L1", "meeting": "县第十五次党代会第三次会议",
        "kind": "suggestion", "title": "农村饮水安全", "content": "多个村夏季缺水，建议管网延伸",
        "raised_by": "李四等5名党代表", "submitted_on": "2026-03-02", "item_ids": items, "client_key": key})
    };
    // An issue that did not come from a representative cannot be compiled; nothing written.
    let (st, body) = post(
        &app,
        "/api/v1/proposals",
        new(json!([visit_item["id"]]), "prop-0"),
    )
    .await;
    assert_eq!(st, 400);
    assert!(body.to_string().contains("来源不是党代表"), "{body}");
    // Not an office: refused.
    let (st, _) = post(&app, "/api/v1/proposals", json!({"unit_code": "D1", "meeting": "m", "kind": "motion",
        "title": "t", "content": "c", "raised_by": "r", "submitted_on": "2026-03-02", "client_key": "prop-x"})).await;
    assert_eq!(st, 400);
    let (st, x) = post(&app, "/api/v1/proposals", new(json!([item_id]), "prop-1")).await;
    assert_eq!(st, 200, "{x}");
    let id = x["id"].as_i64().unwrap();
    assert_eq!(
        (x["stage"].as_str(), x["kind_name"].as_str()),
        (Some("待交办"), Some("建议"))
    );
    assert_eq!(x["items"], json!([[item_id, "乙村夏季缺水"]]));
    let (_, again) = post(&app, "/api/v1/proposals", new(json!([item_id]), "prop-1")).await;
    assert_eq!(
        (again["id"].as_i64(), &again["duplicate"]),
        (Some(id), &json!(true))
    );

    // Forwarded on 10 March: 90 calendar days make 8 June the last day.
    let (st, x) = post(
        &app,
        &format!("/api/v1/proposals/{id}/forward"),
        json!({"unit_code": "D1", "forwarded_on": "2026-03-10"}),
    )
    .await;
    assert_eq!(st, 200, "{x}");
    assert_eq!(
        (x["due_on"].as_str(), x["forwarded_to_name"].as_str()),
        (Some("2026-06-08"), Some("县公安局"))
    );
    // Closing before an answer is refused.
    let (st, _) = post(
        &app,
        &format!("/api/v1/proposals/{id}/close"),
        json!({"closed_on": "2026-06-01"}),
    )
    .await;
    assert_eq!(st, 400);
    // Answered on 20 June, twelve days late; then closed.
    let (st, x) = post(
        &app,
        &format!("/api/v1/proposals/{id}/answer"),
        json!({"answered_on": "2026-06-20", "answer": "已列入明年农村供水工程"}),
    )
    .await;
    assert_eq!(st, 200, "{x}");
    assert_eq!(
        (x["stage"].as_str(), x["late"].as_bool()),
        (Some("逾期答复"), Some(true))
    );
    let (status, to) = post_form(
        &app.client,
        app.url(&format!("/proposals/{id}/close")),
        &[("closed_on", "2026-06-30")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/proposals?year=2026#x{id}").as_str())
    );
    let x = app.get_json(&format!("/api/v1/proposals/{id}")).await;
    assert_eq!(
        (x["stage"].as_str(), x["closed_on"].as_str()),
        (Some("已办结"), Some("2026-06-30"))
    );

    let rows = rows_of(&app, "DDB-5");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0]["subject_code"].as_str(),
            rows[0]["target_code"].as_str()
        ),
        (Some("L1"), Some(id.to_string().as_str()))
    );
    assert_eq!(rows[0]["status"], "unmet");
    assert!(
        rows[0]["detail"].as_str().unwrap().contains("逾期12天"),
        "{}",
        rows[0]
    );
    let page = app.get_text("/proposals?year=2026").await;
    assert!(
        page.contains("已办结 · 逾期") && page.contains("乙村夏季缺水"),
        "{page}"
    );
    assert_eq!(
        history(&app, "proposal").await,
        ["create", "forward", "answer", "close"]
    );
}

/// BF-3: a department's veteran-benefit pairing counts once it names its contact person, given
/// in the same link row as the unit; only that kind may name both, and an unknown contact is
/// refused with its row, nothing written.
#[tokio::test]
async fn a_veteran_benefit_pairing_names_its_contact_person() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    let bf3 = |app: &TestApp| {
        rows_of(app, "BF-3")
            .into_iter()
            .find(|r| r["subject_code"] == "D1")
            .expect("a BF-3 row for 县公安局")
    };
    // The fixture's pairing names no one.
    let r = bf3(&app);
    assert_eq!(r["status"], "unmet", "{r}");
    assert!(
        r["detail"].as_str().unwrap().contains("尚未明确联系人"),
        "{r}"
    );
    let before = app.counts().await;
    let head = "年度,干部身份证号,单位代码,关系类型,对象代码\n";
    let bad = app
        .import(
            "links",
            "links.csv",
            format!(
                "{head}2026,{},D1,联户,H003\n2026,{},D1,优抚帮扶,H003\n",
                f.li,
                id("35099919990101999")
            ),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let e = bad.text().await.unwrap();
    assert!(
        e.contains("只能填一个") && e.contains("联系人不存在"),
        "{e}"
    );
    assert_eq!(app.counts().await, before, "nothing written");
    let ok = app
        .import(
            "links",
            "links.csv",
            format!("{head}2026,{},D1,优抚帮扶,H003\n", f.li),
        )
        .await;
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());
    // The same pairing (one link, now with its contact), met.
    assert_eq!(app.counts().await["links"], before["links"]);
    assert_eq!(bf3(&app)["status"], "met");
}
