//! Contact cards and the resident's door, through the front door: printing (PDF and web), the
//! household's page behind the QR code, a reported matter's way through the village's inbox
//! back to the resident's answer, stale cards after a hand-over, re-issue and delivery
//! (LXK-3), the old secret's grace days, and secrets that open nothing else.

use crate::helpers::*;
use lianxin::domain::access::{AccessRole, Scope};
use lianxin::store::entities::{card, ledger_item};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

/// The current card of a household.
async fn current(app: &TestApp, household: &str) -> card::Model {
    card::Entity::find()
        .filter(card::Column::HolderCode.eq(household))
        .filter(card::Column::SupersededOn.is_null())
        .one(&app.db().await)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no current card for {household}"))
}

async fn post_json(client: &reqwest::Client, url: String, body: &Value) -> (u16, Value) {
    let r = client.post(url).json(body).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// What a page shows a client (a resident's phone holds no session).
async fn text_of(client: &reqwest::Client, url: String) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// The rows of a rule in the compliance report as of today.
fn report_rows(app: &TestApp, rule: &str) -> Vec<Value> {
    let out = app.cli(&["compliance", "--year", "2026", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["rule"] == rule)
        .cloned()
        .collect()
}

fn status_of(rows: &[Value], subject: &str, target: Option<&str>) -> String {
    rows.iter()
        .find(|o| o["subject_code"] == subject && target.is_none_or(|t| o["target_code"] == t))
        .unwrap_or_else(|| panic!("no row for {subject} {target:?}: {rows:?}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn set_card(app: &TestApp, id: i32, stale_since: Option<&str>, superseded_on: Option<&str>) {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let db = app.db().await;
    let c = card::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut am = c.into_active_model();
    if let Some(d) = stale_since {
        am.stale_since = Set(Some(d.parse().unwrap()));
    }
    if let Some(d) = superseded_on {
        am.superseded_on = Set(Some(d.parse().unwrap()));
    }
    am.update(&db).await.unwrap();
}

fn days_ago(n: i64) -> String {
    (lianxin::time::today() - chrono::Duration::days(n)).to_string()
}

#[tokio::test]
async fn a_resident_reports_through_the_card_and_answers_on_the_same_page() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account(
        "cunwei",
        AccessRole::VillageCadre,
        Scope::Region("3509100200".into()),
        None,
    )
    .await;
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let village = app.login("cunwei", PASSWORD).await;
    let zhang = app.login("zhang", PASSWORD).await;

    let page = print_village(&app, &app.client).await;
    assert!(
        page.contains("连心亲情卡") && page.contains("张三"),
        "{page}"
    );
    let h001 = current(&app, "H001").await;
    let h002 = current(&app, "H002").await;
    let secret = h001.secret.clone().unwrap();
    assert_eq!(secret.len(), 32, "128 bits as hex");
    assert_ne!(h001.secret, h002.secret);

    // Scanning: who serves the household and the phones; no one's ID number.
    let resident = plain_client();
    let home = text_of(&resident, app.url(&format!("/k/{secret}"))).await;
    assert!(
        home.contains("张三") && home.contains("13812345678"),
        "{home}"
    );
    assert!(full_id_numbers(&home).is_empty(), "{home}");
    assert!(!home.contains("<script"), "the page needs no script");

    // Reporting a matter, twice with the same form key: one item, source 群众自报.
    let form = [
        ("matter", "村口路灯不亮，晚上出行不便"),
        ("key", "card-report-0001"),
    ];
    let url = app.url(&format!("/k/{secret}/report"));
    let (status, to) = post_form(&resident, url.clone(), &form).await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/k/{secret}?done=report").as_str())
    );
    let (status, _) = post_form(&resident, url.clone(), &form).await;
    assert_eq!(status, 303);
    let items = ledger_item::Entity::find()
        .filter(ledger_item::Column::HouseholdCode.eq("H001"))
        .filter(ledger_item::Column::Source.eq("resident"))
        .all(&app.db().await)
        .await
        .unwrap();
    assert_eq!(items.len(), 1, "the same form key is recorded once");
    let id = items[0].id;
    assert_eq!(
        (items[0].level.as_str(), items[0].region_code.as_str()),
        ("village", "3509100200001")
    );
    // An empty matter is refused in Chinese, on the page, with nothing written.
    let (status, body) = post_form(
        &resident,
        url,
        &[("matter", "  "), ("key", "card-report-0002")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("请写下您要反映的事情"), "{body}");

    // It is in the village's inbox, waiting.
    let inbox = village
        .get(app.url("/api/v1/inbox"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(inbox.to_string().contains("村口路灯不亮"), "{inbox}");
    let zhang_id = person_id(&app, "张三").await;
    for (client, step) in [
        (
            &village,
            json!({"action": "assign", "person_id": zhang_id, "on": lianxin::time::today()}),
        ),
        (
            &zhang,
            json!({"action": "resolve", "on": lianxin::time::today(), "note": "已更换路灯灯泡"}),
        ),
    ] {
        let (status, v) =
            post_json(client, app.url(&format!("/api/v1/items/{id}/steps")), &step).await;
        assert_eq!(status, 200, "{step}: {v}");
    }

    // The resident sees the outcome on the same page and answers “partly solved”.
    let home = text_of(&resident, app.url(&format!("/k/{secret}"))).await;
    assert!(
        home.contains("已更换路灯灯泡") && home.contains("问题解决了吗"),
        "{home}"
    );
    let (status, to) = post_form(
        &resident,
        app.url(&format!("/k/{secret}/items/{id}")),
        &[("answer", "部分解决"), ("note", "还有一盏不亮")],
    )
    .await;
    assert_eq!((status, to), (303, format!("/k/{secret}?done=answer")));
    let item = app.get_json(&format!("/api/v1/items/{id}")).await;
    assert_eq!(item["answer"], "partly_solved", "{item}");
    // The written reply points to the same door as the card.
    assert_eq!(item["feedback_path"], format!("/k/{secret}"), "{item}");
    let history = item["history"].as_array().unwrap();
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["register", "assign", "resolve", "feedback"],
        "{item}"
    );
    assert_eq!(history[0]["actor"], "群众本人（扫码自报）");
    assert_eq!(history[3]["actor"], "群众本人");

    // H002's secret opens H002 only: H001's matter is not there, and its item cannot be
    // answered through it.
    let other = h002.secret.unwrap();
    let home2 = text_of(&resident, app.url(&format!("/k/{other}"))).await;
    assert!(home2.contains("赵六") && !home2.contains("路灯"), "{home2}");
    let (status, body) = post_form(
        &resident,
        app.url(&format!("/k/{other}/items/{id}")),
        &[("answer", "未解决")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("没有这个事项"), "{body}");
    let after = app.get_json(&format!("/api/v1/items/{id}")).await;
    assert_eq!(after["answer"], "partly_solved");
    assert_eq!(after["history"].as_array().unwrap().len(), 4);

    // A guessed, a malformed and an upper-cased-wrong secret all answer like a missing one.
    let mut bodies = Vec::new();
    for guess in [
        "0123456789abcdef0123456789abcdef".to_string(),
        "abc".to_string(),
        // The secret with its last digit changed.
        format!(
            "{}{}",
            &secret[..31],
            if secret.ends_with('0') { '1' } else { '0' }
        ),
    ] {
        let r = resident
            .get(app.url(&format!("/k/{guess}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{guess}");
        bodies.push(r.text().await.unwrap());
        let (status, _) = post_form(
            &resident,
            app.url(&format!("/k/{guess}/report")),
            &[("matter", "试探"), ("key", "card-guess-00001")],
        )
        .await;
        assert_eq!(status, 404);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every wrong secret looks the same"
    );

    // The yearly rating: once; a staff session's answer is recorded as 代填.
    let rate = app.url(&format!("/k/{secret}/rating"));
    let (status, _) = post_form(&resident, rate.clone(), &[("rating", "满意")]).await;
    assert_eq!(status, 303);
    let (status, body) = post_form(&resident, rate, &[("rating", "不满意")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("已经评价过"), "{body}");
    let (status, _) = post_form(
        &app.client,
        app.url(&format!("/k/{other}/rating")),
        &[("rating", "基本满意")],
    )
    .await;
    assert_eq!(status, 303);
    use lianxin::store::entities::resident_rating;
    let ratings = resident_rating::Entity::find()
        .order_by_asc(resident_rating::Column::Id)
        .all(&app.db().await)
        .await
        .unwrap();
    assert_eq!(ratings.len(), 2);
    assert_eq!(
        (
            ratings[0].household_code.as_str(),
            ratings[0].rating.as_str()
        ),
        ("H001", "satisfied")
    );
    assert!(ratings[0].on_behalf_account_id.is_none());
    assert!(
        ratings[1].on_behalf_account_id.is_some(),
        "the admin's session filled it in"
    );
}

#[tokio::test]
async fn a_handover_makes_the_card_stale_until_the_new_one_is_delivered() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    print_village(&app, &app.client).await;
    let first = current(&app, "H001").await;
    assert_eq!(first.version, 1);
    let old_secret = first.secret.clone().unwrap();

    // The office marks both cards delivered: LH-3 and LXK-3 met for H001.
    let today = lianxin::time::today().to_string();
    let (status, to) = post_form(
        &app.client,
        app.url("/cards/deliveries"),
        &[
            ("holder", "household"),
            ("codes", "H001"),
            ("codes", "H002"),
            ("on", &today),
            ("back", "region=3509100200"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/cards?region=3509100200&done=2")
    );
    assert_eq!(
        status_of(&report_rows(&app, "LH-3"), &f.zhang, Some("H001")),
        "met"
    );
    assert_eq!(status_of(&report_rows(&app, "LXK-3"), "H001", None), "met");
    // A delivery cannot be dated in the future.
    let tomorrow = (lianxin::time::today() + chrono::Duration::days(1)).to_string();
    let (status, body) = post_form(
        &app.client,
        app.url("/cards/deliveries"),
        &[
            ("holder", "household"),
            ("codes", "H001"),
            ("on", &tomorrow),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("不能晚于今天"), "{body}");

    // 张三 hands his households to 孙九 today: the cards name the wrong cadre now.
    let zhang = person_id(&app, "张三").await;
    let sun = person_id(&app, "孙九").await;
    let (status, h) = post_json(
        &app.client,
        app.url("/api/v1/handover"),
        &json!({"from": zhang, "to": sun, "date": today}),
    )
    .await;
    assert_eq!(status, 200, "{h}");
    let stale = current(&app, "H001").await;
    assert_eq!(stale.stale_since, Some(lianxin::time::today()));
    let list = app.get_text("/cards?region=3509100200").await;
    assert!(
        list.contains("待重新发放") && list.contains("孙九"),
        "{list}"
    );
    let page = app.get_text("/households/H001").await;
    assert!(
        page.contains("亲情卡：<b class=\"error\">待重新发放"),
        "{page}"
    );
    // Within the days allowed it is pending; a month on, unmet.
    assert_eq!(
        status_of(&report_rows(&app, "LXK-3"), "H001", None),
        "pending"
    );
    set_card(&app, stale.id, Some(&days_ago(31)), None).await;
    let rows = report_rows(&app, "LXK-3");
    assert_eq!(status_of(&rows, "H001", None), "unmet");

    // Re-issued: a new version naming 孙九, a new secret; the old one works for the grace days.
    let page = print_village(&app, &app.client).await;
    assert!(page.contains("孙九"), "{page}");
    let second = current(&app, "H001").await;
    assert_eq!(second.version, 2);
    let new_secret = second.secret.clone().unwrap();
    assert_ne!(new_secret, old_secret);
    let resident = plain_client();
    let old = resident
        .get(app.url(&format!("/k/{old_secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 200);
    assert!(old.text().await.unwrap().contains("换发了新卡"));
    // Printed but not yet delivered: the old card is still in the household's hands.
    assert_eq!(
        status_of(&report_rows(&app, "LXK-3"), "H001", None),
        "unmet"
    );
    let (status, _) = post_form(
        &app.client,
        app.url("/cards/deliveries"),
        &[("holder", "household"), ("codes", "H001"), ("on", &today)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&report_rows(&app, "LXK-3"), "H001", None), "met");

    // The grace days over, the old secret opens nothing; the new one does.
    set_card(&app, first.id, None, Some(&days_ago(31))).await;
    let old = resident
        .get(app.url(&format!("/k/{old_secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 404);
    let new = resident
        .get(app.url(&format!("/k/{new_secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);
    // Each version is in the card's history, with who printed it.
    let versions = card::Entity::find()
        .filter(card::Column::HolderCode.eq("H001"))
        .order_by_asc(card::Column::Version)
        .all(&app.db().await)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions[0].facts.contains("张三") && versions[1].facts.contains("孙九"));
}

#[tokio::test]
async fn a_visit_ticks_the_card_delivered_once_the_card_is_printed() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let zhang = app.login("zhang", PASSWORD).await;
    let visit = |key: &str| {
        json!({
            "client_key": key,
            "kind": "入户走访",
            "start_date": lianxin::time::today(),
            "participants": [f.zhang],
            "targets": ["H002"],
            "card_delivered": true,
        })
    };
    // No card printed yet: the record is saved and says so.
    let (status, r) = post_json(
        &zhang,
        app.url("/api/v1/activities"),
        &visit("card-visit-0001"),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    assert!(
        r["warnings"].to_string().contains("还没有印制亲情卡"),
        "{r}"
    );
    print_village(&app, &app.client).await;
    let (status, r) = post_json(
        &zhang,
        app.url("/api/v1/activities"),
        &visit("card-visit-0002"),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    assert!(!r["warnings"].to_string().contains("亲情卡"), "{r}");
    let rows = report_rows(&app, "LH-3");
    assert_eq!(status_of(&rows, &f.zhang, Some("H002")), "met");
    assert_eq!(status_of(&rows, &f.zhang, Some("H001")), "pending");
}

/// `lianxin cards` writes one card per household, each naming its cadre, each QR code the
/// household's page at the public address; only the glyphs used are embedded.
#[tokio::test]
async fn the_command_line_prints_a_villages_cards_with_working_qr_codes() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let pdf = app.path("cards.pdf");
    let out = app
        .cli_command(&[
            "cards",
            "--region",
            "3509100200",
            "-o",
            pdf.to_str().unwrap(),
        ])
        .env("LIANXIN_BASE_URL", "https://lianxin.example.gov.cn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("2 张卡"), "{said}");
    let bytes = std::fs::read(&pdf).unwrap();
    // A CJK font is megabytes; the subset of a few dozen glyphs is not.
    assert!(bytes.len() < 150_000, "{} bytes", bytes.len());
    let text = std::process::Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.matches("联户干部：张三").count(), 2, "{text}");
    assert!(text.contains("王五") && text.contains("赵六"), "{text}");
    let png = app.path("cards");
    let r = std::process::Command::new("pdftoppm")
        .args([
            "-r",
            "150",
            "-png",
            pdf.to_str().unwrap(),
            png.to_str().unwrap(),
        ])
        .status()
        .expect("pdftoppm (apt-get install poppler-utils)");
    assert!(r.success());
    let scan = std::process::Command::new("zbarimg")
        .args(["-q", "--raw", app.path("cards-1.png").to_str().unwrap()])
        .output()
        .expect("zbarimg (apt-get install zbar-tools)");
    let mut found: Vec<String> = String::from_utf8_lossy(&scan.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    found.sort();
    let mut want = Vec::new();
    for h in ["H001", "H002"] {
        let c = current(&app, h).await;
        want.push(format!(
            "https://lianxin.example.gov.cn/k/{}",
            c.secret.unwrap()
        ));
    }
    want.sort();
    assert_eq!(found, want);

    // Printed again with nothing changed: the same versions, the same codes.
    let again = app
        .cli_command(&[
            "cards",
            "--region",
            "3509100200",
            "-o",
            pdf.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("新版 0 张"));
    // A long print starts a new file between villages once a file holds enough cards.
    let many = app.path("county.pdf");
    let out = app.cli(&[
        "cards",
        "--region",
        "3509",
        "--per-file",
        "1",
        "-o",
        many.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 张卡"));
    for name in ["county.pdf", "county-2.pdf", "county-3.pdf"] {
        let text = std::process::Command::new("pdftotext")
            .args([app.path(name).to_str().unwrap(), "-"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&text.stdout)
                .matches("连心亲情卡")
                .count(),
            1,
            "{name}"
        );
    }
    // A font setting that names no file is said plainly.
    let out = app
        .cli_command(&[
            "cards",
            "--region",
            "3509100200",
            "-o",
            pdf.to_str().unwrap(),
        ])
        .env("LIANXIN_CARD_FONT", "/nonexistent/font.ttc")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/font.ttc"));
}

#[tokio::test]
async fn the_door_slows_down_a_flood_per_secret_and_per_address() {
    let app = spawn_app().await;
    app.load_fixture().await;
    print_village(&app, &app.client).await;
    let secret = current(&app, "H001").await.secret.unwrap();
    let resident = plain_client();
    // One card's secret: 20 requests a minute, then “too many”.
    let mut codes = Vec::new();
    for _ in 0..21 {
        let r = resident
            .get(app.url(&format!("/k/{secret}")))
            .send()
            .await
            .unwrap();
        codes.push(r.status().as_u16());
    }
    assert!(codes[..20].iter().all(|c| *c == 200), "{codes:?}");
    assert_eq!(codes[20], 429);
    // Guessing other secrets from one address: 60 a minute in all, then refused unread.
    let mut last = 0;
    for i in 0..40 {
        let r = resident
            .get(app.url(&format!("/k/{i:032x}")))
            .send()
            .await
            .unwrap();
        last = r.status().as_u16();
    }
    assert_eq!(last, 429);
    let r = resident
        .get(app.url(&format!("/k/{:032x}", 99)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("访问太频繁"));
}

#[tokio::test]
async fn the_api_lists_cards_and_records_deliveries_within_reach() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    app.add_account(
        "bingzhen",
        AccessRole::Office,
        Scope::Region("3509101".into()),
        None,
    )
    .await;
    let zhang = app.login("zhang", PASSWORD).await;
    let other_town = app.login("bingzhen", PASSWORD).await;
    let v = app.get_json("/api/v1/cards?region=3509100200").await;
    let states: Vec<&str> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["未印制", "未印制"], "{v}");
    print_village(&app, &app.client).await;
    // A cadre sees their own households' cards, and no village's.
    let mine: Value = zhang
        .get(app.url("/api/v1/cards"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["title"], "我的联系户");
    assert_eq!(mine["lines"].as_array().unwrap().len(), 2, "{mine}");
    assert!(mine["lines"].to_string().contains("待送达"));
    let r = zhang
        .get(app.url("/api/v1/cards?region=3509100200"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let today = lianxin::time::today();
    let (status, e) = post_json(
        &zhang,
        app.url("/api/v1/cards/deliveries"),
        &json!({"codes": ["H001"], "on": today}),
    )
    .await;
    assert_eq!(status, 403, "{e}");
    // Another town's office cannot mark 乙村's cards; nothing is written.
    let (status, e) = post_json(
        &other_town,
        app.url("/api/v1/cards/deliveries"),
        &json!({"codes": ["H001"], "on": today}),
    )
    .await;
    assert_eq!(status, 404, "{e}");
    for (body, why) in [
        (json!({"codes": [], "on": today}), "codes"),
        (
            json!({"holder": "family", "codes": ["H001"], "on": today}),
            "holder",
        ),
        (json!({"codes": vec!["H001"; 101], "on": today}), "一次最多"),
    ] {
        let (status, e) = post_json(&app.client, app.url("/api/v1/cards/deliveries"), &body).await;
        assert_eq!(status, 400, "{body}: {e}");
        assert!(e["error"].as_str().unwrap().contains(why), "{e}");
    }
    let (status, d) = post_json(
        &app.client,
        app.url("/api/v1/cards/deliveries"),
        &json!({"codes": ["H001", "H002"], "on": today}),
    )
    .await;
    assert_eq!((status, d["recorded"].clone()), (200, json!(2)), "{d}");
    // Sent again: recorded once.
    let (_, d) = post_json(
        &app.client,
        app.url("/api/v1/cards/deliveries"),
        &json!({"codes": ["H001", "H002"], "on": today}),
    )
    .await;
    assert_eq!(d["recorded"], 0);
    let v = app.get_json("/api/v1/cards?region=3509100200").await;
    assert!(
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["state"] == "已送达"),
        "{v}"
    );
}
