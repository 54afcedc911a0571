//! Links and work records: contact-point templates, duplicate contacts, the assignment
//! proposal, handover, one record for several participants, matters becoming ledger items.

use crate::helpers::*;
use lianxin::domain::access::{AccessRole, Scope};
use serde_json::{Value, json};

async fn post_json(client: &reqwest::Client, url: String, body: &Value) -> (u16, Value) {
    let r = client.post(url).json(body).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn import_ok(app: &TestApp, kind: &str, content: String) {
    let r = app.import(kind, &format!("{kind}.csv"), content).await;
    let status = r.status();
    assert_eq!(
        status,
        200,
        "{kind}: {}",
        r.text().await.unwrap_or_default()
    );
}

#[tokio::test]
async fn contact_points_are_checked_against_the_template_and_shared_ones_warned() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    let zhou = id("35099919700505005");
    let wu = id("35099919710606006");
    import_ok(
        &app,
        "units",
        "单位代码,单位名称,类型,所属区划\nC1,县委,县四大班子,3509\nE1,青山茶业,民营企业,3509100\nP1,环城路工程,重点项目,3509\n".into(),
    )
    .await;
    import_ok(
        &app,
        "people",
        format!("身份证号,姓名,单位代码,角色,所属区划\n{zhou},周八,T1,镇领导班子成员,3509100\n{wu},吴九,C1,县四大班子成员,3509\n"),
    )
    .await;
    let li = &f.li;
    import_ok(
        &app,
        "links",
        format!(
            "年度,干部身份证号,关系类型,对象代码\n\
             2026,{li},联系点-村社区,3509100200\n\
             2026,{li},联系点-老党员,H002\n\
             2026,{li},联系点-普通群众,H001\n\
             2026,{li},联系点-普通群众,H002\n\
             2026,{zhou},联系点-村社区,3509100200\n\
             2026,{wu},联系点-镇街,3509100\n\
             2026,{wu},联系点-改造提升村,3509100200\n\
             2026,{wu},联系点-老区村,3509101200\n\
             2026,{wu},联系点-贫困户,H001\n\
             2026,{wu},联系点-民营企业,E1\n\
             2026,{wu},联系点-重点项目,P1\n"
        ),
    )
    .await;
    let li_id = person_id(&app, "李四").await;
    let v = app
        .get_json(&format!("/api/v1/people/{li_id}/contacts?date=2026-11-20"))
        .await;
    let t = &v["templates"][0];
    assert_eq!(t["name"], "一联五");
    assert_eq!(t["complete"], false);
    let slot = |kind: &str| {
        t["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == kind)
            .cloned()
            .unwrap()
    };
    assert_eq!(slot("contact_village")["missing"], 0);
    assert_eq!(slot("contact_ordinary_household")["required"], 5);
    assert_eq!(slot("contact_ordinary_household")["missing"], 3);
    assert_eq!(slot("contact_wealth_leader")["missing"], 1);
    assert_eq!(slot("contact_poor_household")["missing"], 1);
    // Two town leaders share 乙村: a warning naming both, on each one's page.
    let d = &v["duplicates"];
    assert_eq!(d.as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d[0]["rule"], "LXD-4");
    assert_eq!(d[0]["target_code"], "3509100200");
    assert_eq!(d[0]["warning"], true);
    assert_eq!(d[0]["people"], json!(["李四", "周八"]));
    // 吴九 holds a county leader's 一联六 in full; his 乙村 is the same village but another tier.
    let wu_id = person_id(&app, "吴九").await;
    let w = app
        .get_json(&format!("/api/v1/people/{wu_id}/contacts?date=2026-11-20"))
        .await;
    assert_eq!(w["templates"][0]["name"], "一联六");
    assert_eq!(w["templates"][0]["complete"], true, "{w}");
    assert_eq!(w["duplicates"], json!([]));
    // The county list, and the page shows the missing slots in Chinese.
    let all = app
        .get_json("/api/v1/contacts/duplicates?date=2026-11-20")
        .await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    let html = app
        .get_text(&format!("/people/{li_id}?date=2026-11-20"))
        .await;
    assert!(
        html.contains("一联五") && html.contains("联系点-普通群众"),
        "{html}"
    );
    assert!(html.contains("同一层级") && html.contains("周八"), "{html}");
}

/// A village of three groups, 60 households (every fifth a hardship one), four cadres.
async fn load_village(app: &TestApp) -> Vec<String> {
    let mut regions = "区划代码,名称,层级,上级代码\n3509,青山县,县,\n3509200,戊镇,镇,3509\n3509200300,己村,村,3509200\n".to_string();
    for g in 1..=3 {
        regions.push_str(&format!("350920030000{g},第{g}组,组,3509200300\n"));
    }
    import_ok(app, "regions", regions).await;
    import_ok(
        app,
        "units",
        "单位代码,单位名称,类型,所属区划\nW1,己村两委,村两委,3509200300\n".into(),
    )
    .await;
    let ids: Vec<String> = (1..=5)
        .map(|i| id(&format!("3509991990010100{i}")))
        .collect();
    let mut people = "身份证号,姓名,单位代码,角色,所属区划\n".to_string();
    for (i, name) in ["甲一", "甲二", "甲三", "甲四"].iter().enumerate() {
        people.push_str(&format!("{},{name},W1,村干部,3509200300\n", ids[i]));
    }
    // A party member without a cadre role is not proposed.
    people.push_str(&format!("{},甲五,W1,党员,3509200300\n", ids[4]));
    import_ok(app, "people", people).await;
    let mut hh = "户编号,户主姓名,所属区划,类别\n".to_string();
    for i in 0..60 {
        let tag = if i % 5 == 0 { "低保户" } else { "" };
        hh.push_str(&format!(
            "J{i:03},户主{i},350920030000{},{tag}\n",
            i % 3 + 1
        ));
    }
    import_ok(app, "households", hh).await;
    ids
}

#[tokio::test]
async fn the_assignment_proposal_covers_every_household_with_balanced_loads() {
    let app = spawn_app().await;
    load_village(&app).await;
    let cov = app
        .get_json("/api/v1/regions/3509200300/coverage?date=2026-11-20")
        .await;
    let total: (i64, i64) = cov.as_array().unwrap().iter().fold((0, 0), |a, r| {
        (
            a.0 + r["households"].as_i64().unwrap(),
            a.1 + r["unlinked"].as_i64().unwrap(),
        )
    });
    assert_eq!(total, (60, 60));

    let url = app.url("/api/v1/regions/3509200300/proposal");
    let (status, p) = post_json(&app.client, url.clone(), &json!({"date": "2026-11-20"})).await;
    assert_eq!(status, 200, "{p}");
    let pairs = p["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 60);
    let loads = p["loads"].as_array().unwrap();
    assert_eq!(loads.len(), 4, "only the four cadres: {loads:?}");
    for l in loads {
        assert_eq!(l["after"], 15, "{l}");
        assert_eq!(l["hardship_after"], 3, "hardship spread: {l}");
    }

    // A cadre given double weight takes double the households.
    let first = loads[0]["person_id"].as_i64().unwrap();
    let (_, p2) = post_json(
        &app.client,
        url.clone(),
        &json!({"date": "2026-11-20", "weights": {first.to_string(): 2.0}}),
    )
    .await;
    let heavy = p2["loads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["person_id"] == first)
        .unwrap()["after"]
        .clone();
    assert_eq!(heavy, 24, "{p2}");

    // Confirm the first proposal: everything covered, nothing left to propose.
    let confirm = app.url("/api/v1/regions/3509200300/proposal/confirm");
    let body = json!({"pairs": p["pairs"], "date": "2026-11-20"});
    let (status, c) = post_json(&app.client, confirm.clone(), &body).await;
    assert_eq!((status, c["created"].clone()), (200, json!(60)), "{c}");
    let cov = app
        .get_json("/api/v1/regions/3509200300/coverage?date=2026-11-20")
        .await;
    assert!(
        cov.as_array().unwrap().iter().all(|r| r["unlinked"] == 0),
        "{cov}"
    );
    let (_, again) = post_json(&app.client, url, &json!({"date": "2026-11-20"})).await;
    assert_eq!(again["pairs"], json!([]));
    // Confirming the same pairs again is refused whole and writes nothing.
    let links_before = app.counts().await["links"].clone();
    let (status, e) = post_json(&app.client, confirm, &body).await;
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("已有联户干部"), "{e}");
    assert_eq!(app.counts().await["links"], links_before);

    // The coverage page lists villages with their share.
    let html = app
        .get_text("/regions/3509200/coverage?date=2026-11-20")
        .await;
    assert!(html.contains("己村") && html.contains("100%"), "{html}");
}

#[tokio::test]
async fn assignment_is_for_the_office_of_that_region_only() {
    let app = spawn_app().await;
    load_village(&app).await;
    app.add_account(
        "ban",
        AccessRole::Office,
        Scope::Region("3509200".into()),
        None,
    )
    .await;
    app.add_account(
        "other",
        AccessRole::Office,
        Scope::Region("3509200300001".into()),
        None,
    )
    .await;
    app.add_account("ducha", AccessRole::Inspector, Scope::County, None)
        .await;
    let body = json!({"date": "2026-11-20"});
    let url = app.url("/api/v1/regions/3509200300/proposal");
    let ban = app.login("ban", PASSWORD).await;
    assert_eq!(post_json(&ban, url.clone(), &body).await.0, 200);
    let other = app.login("other", PASSWORD).await;
    assert_eq!(post_json(&other, url.clone(), &body).await.0, 404);
    let du = app.login("ducha", PASSWORD).await;
    assert_eq!(post_json(&du, url, &body).await.0, 403);
}

#[tokio::test]
async fn handover_moves_links_and_open_items_and_keeps_the_history() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    let zhang = person_id(&app, "张三").await;
    let sun = person_id(&app, "孙九").await;
    // The fixture's visit raised two matters on H001, owned by 张三.
    let before = app.get_json("/api/v1/households/H001").await;
    let items = before["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{before}");
    assert!(items.iter().all(|i| i["owner_person_id"] == zhang));

    let (status, h) = post_json(
        &app.client,
        app.url("/api/v1/handover"),
        &json!({"from": zhang, "to": sun, "date": "2026-07-01"}),
    )
    .await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["links_moved"], 2);
    assert_eq!(h["items_moved"], 2);
    // Each moved item's own history shows the handover.
    let item = app.get_json("/api/v1/items/1").await;
    let last = item["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "handover", "{item}");
    assert_eq!(last["note"], "张三交接给孙九");
    assert_eq!(item["owner_name"], "孙九");

    let after = app.get_json("/api/v1/households/H001").await;
    let links = after["links"].as_array().unwrap();
    let old = links.iter().find(|l| l["person_name"] == "张三").unwrap();
    let new = links.iter().find(|l| l["person_name"] == "孙九").unwrap();
    assert_eq!(old["end"], "2026-06-30");
    assert_eq!(new["start"], "2026-07-01");
    assert!(
        after["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["owner_person_id"] == sun)
    );
    // The visits stay with the household; the history tells who held it when.
    assert_eq!(after["activities"].as_array().unwrap().len(), 2);
    let hist = after["history"].to_string();
    assert!(
        hist.contains("2026-06-30") && hist.contains("联系关系"),
        "{hist}"
    );
    // Coverage does not drop: the household is linked on either side of the day.
    for day in ["2026-06-30", "2026-07-01"] {
        let cov = app
            .get_json(&format!("/api/v1/regions/3509100/coverage?date={day}"))
            .await;
        assert!(
            cov.as_array().unwrap().iter().all(|r| r["unlinked"] == 0),
            "{day}: {cov}"
        );
    }
    // 孙九 now sees H001 and H002 on his own page; 张三 no longer does.
    app.add_account("sun", AccessRole::Cadre, Scope::Own, Some(&f.sun))
        .await;
    let s = app.login("sun", PASSWORD).await;
    let mine: Value = s
        .get(app.url("/api/v1/me/work?date=2026-11-20"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = mine["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"H001") && codes.contains(&"H002") && codes.contains(&"H003"),
        "{mine}"
    );
    assert_eq!(mine["open_items"].as_array().unwrap().len(), 2);
}

fn visit(key: &str, participants: Vec<&str>, target: &str, matters: &[&str]) -> Value {
    json!({
        "client_key": key,
        "kind": "入户走访",
        "start_date": "2026-11-02",
        "participants": participants,
        "targets": [target],
        "companions": "1",
        "notes": "了解秋收情况",
        "matters": matters,
    })
}

#[tokio::test]
async fn one_record_counts_for_every_participant_and_its_matters_become_items() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    let li = &f.li;
    import_ok(
        &app,
        "links",
        format!("年度,干部身份证号,关系类型,对象代码\n2026,{li},联户,H002\n"),
    )
    .await;
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    app.add_account("lisi", AccessRole::Cadre, Scope::Own, Some(&f.li))
        .await;
    let zhang = app.login("zhang", PASSWORD).await;
    let acts_before = app.counts().await["activities"].as_i64().unwrap();

    let body = visit(
        "visit-0001-abcd",
        vec![&f.zhang, &f.li],
        "H002",
        &["屋顶漏雨，需要维修"],
    );
    let (status, r) = post_json(&zhang, app.url("/api/v1/activities"), &body).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["duplicate"], false);
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    let aid = r["activity_id"].as_i64().unwrap();

    // Sent again (no signal, resubmitted): recorded once.
    let (status, again) = post_json(&zhang, app.url("/api/v1/activities"), &body).await;
    assert_eq!((status, again["duplicate"].clone()), (200, json!(true)));
    assert_eq!(again["activity_id"], aid);
    assert_eq!(
        app.counts().await["activities"].as_i64().unwrap(),
        acts_before + 1
    );

    // It counts for both: each one's own page shows a visit to H002 this half-year.
    for (name, client) in [
        ("zhang", &zhang),
        ("li", &app.login("lisi", PASSWORD).await),
    ] {
        let mine: Value = client
            .get(app.url("/api/v1/me/work?date=2026-11-20"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let h = mine["households"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["code"] == "H002")
            .cloned();
        let h = h.unwrap_or_else(|| panic!("{name}: {mine}"));
        assert_eq!(h["visits_this_half"], 1, "{name}: {h}");
        assert_eq!(h["last_visit"], "2026-11-02");
    }

    // The matter is a ledger item of H002, from this visit, owned by the first participant.
    let hh = app.get_json("/api/v1/households/H002").await;
    let item = &hh["items"][0];
    assert_eq!(item["matter"], "屋顶漏雨，需要维修");
    assert_eq!(item["status"], "registered");
    assert_eq!(item["ledger_zh"], "民生诉求");
    assert_eq!(item["activity_id"], aid);
    assert_eq!(item["registered_on"], "2026-11-02");
    assert_eq!(item["owner_person_id"], person_id(&app, "张三").await);
    let html = app.get_text("/households/H002").await;
    assert!(
        html.contains("屋顶漏雨") && html.contains("已登记"),
        "{html}"
    );
}

#[tokio::test]
async fn bad_records_are_refused_whole_with_chinese_reasons() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let zhang = app.login("zhang", PASSWORD).await;
    let before = app.counts().await;
    let url = app.url("/api/v1/activities");
    let mut bad = visit("visit-0002-abcd", vec![&f.zhang], "H002", &["路灯"]);
    bad["start_date"] = json!("2026-13-01");
    bad["kind"] = json!("喝茶");
    let (status, e) = post_json(&zhang, url.clone(), &bad).await;
    assert_eq!(status, 400);
    let msg = e["error"].as_str().unwrap();
    assert!(
        msg.contains("开始日期") && msg.contains("工作类型"),
        "{msg}"
    );
    // A household outside the cadre's own links, and work the cadre did not take part in.
    let (status, e) = post_json(
        &zhang,
        url.clone(),
        &visit("visit-0003-abcd", vec![&f.zhang], "H003", &[]),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("H003"), "{e}");
    let (status, _) = post_json(
        &zhang,
        url.clone(),
        &visit("visit-0004-abcd", vec![&f.li], "H002", &[]),
    )
    .await;
    assert_eq!(status, 403);
    // A matter with no household or village to file it under.
    let (status, e) = post_json(
        &zhang,
        url,
        &visit("visit-0005-abcd", vec![&f.zhang], "T1", &["修桥"]),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("入户走访须选择至少一户"),
        "{e}"
    );
    let after = app.counts().await;
    assert_eq!(before, after);
}

#[tokio::test]
async fn corrections_by_the_author_or_the_office_are_kept_in_history() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    app.add_account("lisi", AccessRole::Cadre, Scope::Own, Some(&f.li))
        .await;
    let zhang = app.login("zhang", PASSWORD).await;
    let body = visit("visit-0006-abcd", vec![&f.zhang, &f.li], "H001", &[]);
    let (_, r) = post_json(&zhang, app.url("/api/v1/activities"), &body).await;
    let aid = r["activity_id"].as_i64().unwrap();
    let url = app.url(&format!("/api/v1/activities/{aid}"));

    let mut fixed = body.clone();
    fixed["notes"] = json!("了解秋收和医保缴费情况");
    fixed["matters"] = json!(["医保缴费不会操作"]);
    let r = zhang.put(url.clone()).json(&fixed).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = r.json().await.unwrap();
    assert_eq!(
        r["items"].as_array().unwrap().len(),
        1,
        "the new matter became an item"
    );

    // 李四 took part but did not record it: he may not correct it.
    let li = app.login("lisi", PASSWORD).await;
    let r = li.put(url.clone()).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // The office may.
    let mut by_office = fixed.clone();
    by_office["companions"] = json!("2");
    let r = app
        .client
        .put(url.clone())
        .json(&by_office)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let d = app.get_json(&format!("/api/v1/activities/{aid}")).await;
    assert_eq!(d["activity"]["notes"], "了解秋收和医保缴费情况");
    assert_eq!(d["activity"]["companions"], 2);
    let hist = d["history"].as_array().unwrap();
    assert_eq!(hist.len(), 3, "{hist:?}");
    let text = d["history"].to_string();
    assert!(
        text.contains("zhang") && text.contains("admin") && text.contains("医保"),
        "{text}"
    );
}

/// The rows of every sheet of a downloaded workbook.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    wb.sheet_names()
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).expect("sheet");
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (n, rows)
        })
        .collect()
}

async fn download(app: &TestApp, path: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    sheets(&r.bytes().await.unwrap())
}

#[tokio::test]
async fn every_book_is_a_view_of_the_records() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    // One visit recorded through the API shows up in every book that covers it.
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let zhang = app.login("zhang", PASSWORD).await;
    let body = visit("visit-0007-abcd", vec![&f.zhang], "H002", &["自来水压力小"]);
    assert_eq!(
        post_json(&zhang, app.url("/api/v1/activities"), &body)
            .await
            .0,
        201
    );
    let zid = person_id(&app, "张三").await;

    // 联户工作记录本: the fixture's two records and this one, by date.
    let book = download(&app, &format!("/books/record/{zid}?year=2026&format=xlsx")).await;
    let rows = &book[0].1;
    assert_eq!(rows[0][0], "张三联户工作记录本（2026年）");
    assert_eq!(rows[2][..3], ["时间", "方式", "对象"]);
    assert_eq!(rows.len(), 3 + 3, "{rows:?}");
    assert!(
        rows[3][5].contains("村道路灯损坏") && rows[3][6].contains("已登记"),
        "{:?}",
        rows[3]
    );
    assert!(
        rows[5][2].contains("赵六户") && rows[5][5] == "自来水压力小",
        "{:?}",
        rows[5]
    );

    // 一户一页: basic form, members, visits and items of H001.
    let page = download(&app, "/books/household/H001?format=xlsx").await;
    let text: Vec<String> = page[0].1.iter().map(|r| r.join("|")).collect();
    for want in [
        "家庭基本情况",
        "户主|王五",
        "家庭成员",
        "王小五|子女",
        "走访记录",
        "台账事项",
        "饮水管道漏水",
    ] {
        assert!(text.iter().any(|l| l.contains(want)), "{want} in {text:?}");
    }
    assert!(
        !text.iter().any(|l| l.contains("13700001111")),
        "the phone is masked"
    );

    // 一村一册 of 乙村: its two households, its visits, its items.
    let village = download(&app, "/books/village/3509100200?year=2026&format=xlsx").await;
    let names: Vec<&str> = village.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "户情",
            "走访记录",
            "民生诉求台账",
            "困难群众台账",
            "稳定工作台账"
        ]
    );
    let households = &village[0].1;
    assert_eq!(households.len(), 3 + 2, "{households:?}");
    let h002 = households.iter().find(|r| r[0] == "H002").unwrap();
    assert_eq!(
        (h002[5].as_str(), h002[6].as_str(), h002[8].as_str()),
        ("张三", "1", "1")
    );
    // One page per household in each ledger: 王五户 with the two matters of March, 赵六户
    // with one.
    let livelihood: Vec<String> = village[2]
        .1
        .iter()
        .map(|r| r.join("|").trim_end_matches('|').to_string())
        .collect();
    let page = |caption: &str| {
        livelihood
            .iter()
            .position(|l| l == caption)
            .unwrap_or_else(|| panic!("{caption} in {livelihood:?}"))
    };
    let (wang, zhao) = (page("王五户（H001）"), page("赵六户（H002）"));
    assert!(
        livelihood[wang + 2].contains("村道路灯损坏"),
        "{livelihood:?}"
    );
    assert!(livelihood[wang + 3].contains("饮水管道漏水"));
    assert_eq!(zhao, wang + 4, "two items on 王五’s page: {livelihood:?}");
    assert_eq!(livelihood.len(), zhao + 3, "one item on 赵六's page");
    assert_eq!(
        village[4].1.len(),
        2,
        "no stability items: {:?}",
        village[4].1
    );

    // 联户工作台账 of the village committee: 张三's two households with visits each half.
    let ledger = download(&app, "/books/ledger/V1?year=2026&format=xlsx").await;
    let rows = &ledger[0].1;
    assert_eq!(rows.len(), 3 + 2, "{rows:?}");
    let h001 = rows.iter().find(|r| r[3] == "H001").unwrap();
    // The fixture's H001 visit (March) counts; the phone call does not.
    assert_eq!(
        (
            h001[0].as_str(),
            h001[7].as_str(),
            h001[8].as_str(),
            h001[11].as_str()
        ),
        ("张三", "1", "1", "2")
    );

    // On screen the same books render, and a cadre may not open another unit's ledger.
    let html = app
        .get_text(&format!("/books/record/{zid}?year=2026"))
        .await;
    assert!(
        html.contains("自来水压力小") && html.contains("下载 Excel"),
        "{html}"
    );
    let r = zhang
        .get(app.url("/books/ledger/county"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = zhang
        .get(app.url("/books/village/3509101200"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_form_keeps_what_was_typed_and_records_a_resent_form_once() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let zhang = app.login("zhang", PASSWORD).await;
    let form = zhang
        .get(app.url("/activities/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("H001") && form.contains("draft.js"), "{form}");
    let key = form
        .split("name=\"client_key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let zid = person_id(&app, "张三").await.to_string();
    let mut fields = vec![
        ("client_key", key.clone()),
        ("kind", "household_visit".into()),
        ("start_date", "2099-01-01".into()),
        ("participant_ids", zid.clone()),
        ("targets", "H001".into()),
        ("notes", "谈了养殖计划".into()),
        ("matters", "想申请小额贷款".into()),
    ];
    let before = app.counts().await;
    let r = zhang
        .post(app.url("/activities/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    // Not saved: 422, so that the page's script keeps the draft.
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("开始日期")
            && html.contains("谈了养殖计划")
            && html.contains("想申请小额贷款"),
        "{html}"
    );
    assert_eq!(app.counts().await, before, "nothing written");

    fields[2].1 = "2026-11-03".into();
    let r = zhang
        .post(app.url("/activities/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("saved=1"), "{to}");
    // The same form again (the phone resent it): the same record, nothing new.
    let r = zhang
        .post(app.url("/activities/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let again = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        again.contains("duplicate=1") && again.split('?').next() == to.split('?').next(),
        "{again} vs {to}"
    );
    let after = app.counts().await;
    assert_eq!(
        after["activities"].as_i64().unwrap(),
        before["activities"].as_i64().unwrap() + 1
    );

    let page = zhang
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("已保存") && page.contains("想申请小额贷款") && page.contains("更正"),
        "{page}"
    );
    let me = zhang
        .get(app.url("/me?date=2026-11-20"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        // What to do, by the rule's name rather than its ID.
        me.contains("我的工作")
            && me.contains("想申请小额贷款")
            && me.contains("联户走访")
            && !me.contains("LH-2"),
        "{me}"
    );
}

#[tokio::test]
async fn the_office_adds_and_ends_links_and_a_posting_gets_its_report_and_assessment() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let li = person_id(&app, "李四").await;
    let zhou = id("35099919700505005");
    import_ok(&app, "people", format!("身份证号,姓名,单位代码,角色,所属区划\n{zhou},周八,T1,镇领导班子成员、科级后备干部,3509100\n")).await;
    let zhou_id = person_id(&app, "周八").await;
    let url = |p: i64| app.url(&format!("/api/v1/people/{p}/links"));

    let (status, a) = post_json(
        &app.client,
        url(li),
        &json!({"kind": "联系点-村社区", "target_code": "3509100200", "year": 2026}),
    )
    .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["duplicates"], json!([]));
    // The same village for another town leader: saved, with the LXD-4 warning.
    let (status, b) = post_json(
        &app.client,
        url(zhou_id),
        &json!({"kind": "contact_village", "target_code": "3509100200", "year": 2026}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(b["duplicates"][0]["people"], json!(["李四", "周八"]));
    // A target that does not exist, or is of the wrong kind, is refused in Chinese.
    let (status, e) = post_json(
        &app.client,
        url(li),
        &json!({"kind": "联系点-民营企业", "target_code": "H001", "year": 2026}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("单位代码"), "{e}");
    let (status, _) = post_json(
        &app.client,
        url(li),
        &json!({"kind": "联系点-村社区", "target_code": "3509100200", "year": 2026}),
    )
    .await;
    assert_eq!(status, 400, "the same link twice");

    // A grassroots posting: the cadre hands in the end report; only the office assesses.
    let (_, p) = post_json(&app.client, url(zhou_id), &json!({"kind": "下基层锻炼", "target_code": "3509100200", "year": 2026, "start": "2026-03-01", "end": "2026-06-30"})).await;
    let link = p["link"]["id"].as_i64().unwrap();
    app.add_account("zhouba", AccessRole::Cadre, Scope::Own, Some(&zhou))
        .await;
    let me = app.login("zhouba", PASSWORD).await;
    let patch = |c: &reqwest::Client, body: Value| {
        c.patch(app.url(&format!("/api/v1/links/{link}")))
            .json(&body)
            .send()
    };
    assert_eq!(
        patch(&me, json!({"report_on": "2026-07-02"}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        patch(&me, json!({"assessment": "优秀"}))
            .await
            .unwrap()
            .status(),
        403
    );
    let r = patch(
        &app.client,
        json!({"front_line": "信访", "assessment": "优秀"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (
            v["front_line"].as_str(),
            v["report_on"].as_str(),
            v["assessment"].as_str()
        ),
        (Some("信访"), Some("2026-07-02"), Some("优秀"))
    );
    let r = patch(&app.client, json!({"front_line": "机关"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // The rule engine reads the posting as recorded: 1 March to 30 June is 122 days on the
    // petition front line, with its report and assessment (DJC-1..3).
    let db = app.db().await;
    let report = lianxin::domain::rules::evaluate(
        &lianxin::domain::policy::Policy::default_policy(),
        &lianxin::store::rules::facts(&db, 2026).await.unwrap(),
        2026,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    );
    // DJC-3 is the county's (no unit of the fixture is tagged 组织部门), naming the cadre.
    for rule in ["DJC-1", "DJC-2", "DJC-3"] {
        let row = report
            .results
            .iter()
            .find(|o| {
                o.rule == rule
                    && if rule == "DJC-3" {
                        o.subject_code == "3509" && o.target_code.as_deref() == Some(zhou.as_str())
                    } else {
                        o.subject_code == zhou && o.target_code.as_deref() == Some("3509100200")
                    }
            })
            .unwrap_or_else(|| panic!("{rule}"));
        assert_eq!(
            row.status,
            lianxin::domain::rules::Status::Met,
            "{rule}: {row:?}"
        );
    }

    // Ending a link keeps it, with its end, in the history.
    let (_, hh) = post_json(
        &app.client,
        url(li),
        &json!({"kind": "联户", "target_code": "H003", "year": 2026}),
    )
    .await;
    let hl = hh["link"]["id"].as_i64().unwrap();
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/links/{hl}")))
        .json(&json!({"end": "2026-09-30"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = app.get_json("/api/v1/households/H003").await;
    assert!(
        h["history"].to_string().contains("2026-09-30"),
        "{}",
        h["history"]
    );

    // On the page, a bad target comes back with what was typed and the reason.
    let r = app
        .client
        .post(app.url(&format!("/people/{li}/links")))
        .form(&[
            ("kind", "contact_enterprise"),
            ("target_code", "E404"),
            ("year", "2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let html = app.get_text(&to).await;
    assert!(html.contains("E404") && html.contains("不存在"), "{html}");
}
