//! Decision records 三问决策 (DY-7): a town's major decision recorded once however often it is
//! sent, two of its three consultations recorded (one refused outside its window, nothing
//! written), the report judges it unmet; the third recorded, met. The next person: another
//! town's office sees none of it, and the history keeps every step.

use crate::helpers::*;
use lianxin::domain::access::{AccessRole, Scope};
use serde_json::{Value, json};

fn dy7(app: &TestApp, id: i64) -> Value {
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
    let rows: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["rule"] == "DY-7")
        .collect();
    assert_eq!(rows.len(), 1, "one row per decision: {rows:?}");
    assert_eq!(rows[0]["subject_code"], "T1");
    assert_eq!(rows[0]["target_code"], id.to_string());
    rows[0].clone()
}

#[tokio::test]
async fn a_decision_with_two_of_its_three_records_is_unmet_then_met() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let c = &app.client;
    let decision = json!({
        "unit_code": "T1", "title": "甲镇集镇污水管网改造",
        "decided_on": "2026-03-01", "completed_on": "2026-08-31", "client_key": "dec-1"
    });
    let first: Value = c
        .post(app.url("/api/v1/decisions"))
        .json(&decision)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = first["id"].as_i64().expect("the decision written");
    assert_eq!(first["unit_name"], "甲镇党委政府");
    assert_eq!(first["duplicate"], false);
    let again: Value = c
        .post(app.url("/api/v1/decisions"))
        .json(&decision)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["id"].as_i64(), &again["duplicate"]),
        (Some(id), &json!(true))
    );

    let consult = |stage: &str, on: &str, key: &str| {
        json!({"stage": stage, "held_on": on, "asked": "集镇居民代表30人",
               "said": "希望分段施工，不影响赶集", "changed": "改为夜间分段施工", "client_key": key})
    };
    for (stage, on, key) in [
        ("before", "2026-02-10", "c-1"),
        ("after", "2026-10-15", "c-3"),
    ] {
        let r = c
            .post(app.url(&format!("/api/v1/decisions/{id}/consultations")))
            .json(&consult(stage, on, key))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
    // The record during, dated after completion: refused, and nothing written.
    let r = c
        .post(app.url(&format!("/api/v1/decisions/{id}/consultations")))
        .json(&consult("during", "2026-09-15", "c-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("事中问计应在实施完成（2026-08-31）之前"),
        "{body}"
    );
    let now = app.get_json(&format!("/api/v1/decisions/{id}")).await;
    assert_eq!(now["consultations"].as_array().unwrap().len(), 2);
    assert_eq!(now["missing"], json!(["事中问计"]));

    let row = dy7(&app, id);
    assert_eq!(
        (row["status"].as_str(), row["actual"].as_f64()),
        (Some("unmet"), Some(2.0))
    );
    assert!(
        row["detail"].as_str().unwrap().contains("缺事中问计"),
        "{row}"
    );

    // The page form, refused (no date), keeps what was typed.
    let (status, page) = post_form(
        c,
        app.url(&format!("/decisions/{id}/consultations")),
        &[
            ("stage", "during"),
            ("held_on", ""),
            ("asked", "施工沿线商户12户"),
            ("said", "夜间施工噪声大"),
            ("changed", ""),
            ("client_key", "c-2b"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("日期：请填写日期") && page.contains("夜间施工噪声大"),
        "{page}"
    );
    // … and sent again with the date, saved.
    let (status, to) = post_form(
        c,
        app.url(&format!("/decisions/{id}/consultations")),
        &[
            ("stage", "during"),
            ("held_on", "2026-05-20"),
            ("asked", "施工沿线商户12户"),
            ("said", "夜间施工噪声大"),
            ("changed", "22点后停工"),
            ("client_key", "c-2b"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/decisions?year=2026#d{id}").as_str())
    );
    let row = dy7(&app, id);
    assert_eq!(
        (row["status"].as_str(), row["actual"].as_f64()),
        (Some("met"), Some(3.0))
    );
    let page = app.get_text("/decisions?year=2026").await;
    assert!(
        page.contains("三次征询都已登记") && page.contains("22点后停工"),
        "{page}"
    );

    // Another town's office sees none of it and cannot add to it.
    app.add_account(
        "bingzhen",
        AccessRole::Office,
        Scope::Region("3509101".into()),
        None,
    )
    .await;
    let other = app.login("bingzhen", PASSWORD).await;
    let list: Value = other
        .get(app.url("/api/v1/decisions?year=2026"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    let r = other
        .post(app.url(&format!("/api/v1/decisions/{id}/consultations")))
        .json(&consult("after", "2026-11-01", "c-x"))
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());

    // Every step is in the history: the decision once, three consultations.
    use lianxin::store::entities::history;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let h = history::Entity::find()
        .filter(history::Column::Entity.eq("decision"))
        .all(&app.db().await)
        .await
        .unwrap();
    let actions: Vec<&str> = h.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "create").count(), 1);
    assert_eq!(actions.iter().filter(|a| **a == "consult").count(), 3);
}
