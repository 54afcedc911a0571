//! Registry pages and API: search (pinyin initials too), detail pages, masking.

use crate::helpers::*;

#[tokio::test]
async fn health_and_metrics_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get_text("/healthz").await, "ok");
    app.get_text("/").await;
    let metrics = app.get_text("/metrics").await;
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    // Not for strangers.
    let stranger = plain_client();
    for path in ["/metrics", "/api/openapi.json", "/api/docs/"] {
        let r = stranger.get(app.url(path)).send().await.unwrap();
        assert!(
            r.status() == 401 || r.status() == 303,
            "{path}: {}",
            r.status()
        );
    }
}

#[tokio::test]
async fn search_finds_names_by_pinyin_and_initials() {
    let app = spawn_app().await;
    app.load_fixture().await;
    for q in ["zs", "zhangsan", "zhang", "张", "ZS"] {
        let page = app.get_json(&format!("/api/v1/people?q={q}")).await;
        let names: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["张三"], "q={q}");
    }
    let page = app.get_json("/api/v1/people?q=ls").await;
    assert_eq!(page["items"][0]["name"], "李四");
    assert_eq!(app.get_json("/api/v1/people?q=xyz").await["total"], 0);
    // Households by head's initials, and the list page shows the hit.
    let hh = app.get_json("/api/v1/households?q=ww").await;
    assert_eq!(hh["items"][0]["code"], "H001");
    let html = app.get_text("/people?q=zs").await;
    assert!(html.contains("张三") && !html.contains("李四"), "{html}");
}

#[tokio::test]
async fn lists_filter_by_region_subtree_role_and_category() {
    let app = spawn_app().await;
    app.load_fixture().await;
    // 甲镇 holds H001 (in a group of 乙村) and H002 (in 乙村); H003 is in 丙镇.
    let hh = app.get_json("/api/v1/households?region=3509100").await;
    assert_eq!(hh["total"], 2);
    assert_eq!(
        app.get_json("/api/v1/households?region=3509101").await["total"],
        1
    );
    assert_eq!(
        app.get_json("/api/v1/households?region=999").await["total"],
        0
    );
    assert_eq!(
        app.get_json("/api/v1/households?tag=dibao").await["items"][0]["code"],
        "H001"
    );
    assert_eq!(
        app.get_json("/api/v1/people?tag=village_director").await["total"],
        1
    );
    assert_eq!(
        app.get_json("/api/v1/units?tag=law_enforcement").await["items"][0]["code"],
        "D1"
    );
    assert_eq!(
        app.get_json("/api/v1/units?tag=county_department").await["total"],
        1
    );
}

#[tokio::test]
async fn region_tree_pages_and_fragments() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let top = app.get_json("/api/v1/regions").await;
    assert_eq!(top[0]["code"], "3509");
    let detail = app.get_json("/api/v1/regions/3509100200").await;
    let trail: Vec<&str> = detail["trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(trail, vec!["青山县", "甲镇", "乙村"]);
    assert_eq!(detail["households"], 2);
    assert_eq!(detail["region"]["tags"][0]["zh"], "老区村");
    let tree = app.get_text("/regions").await;
    assert!(tree.contains("青山县") && tree.contains("hx-get=\"/regions/3509/children\""));
    let fragment = app.get_text("/regions/3509/children").await;
    assert!(fragment.contains("甲镇") && fragment.contains("丙镇") && !fragment.contains("<html"));
    let page = app.get_text("/regions/3509100200").await;
    assert!(page.contains("乙村") && page.contains("第一组"));
    assert_eq!(app.get("/regions/0000").await.status(), 404);
    assert_eq!(app.get("/api/v1/regions/0000").await.status(), 404);
}

#[tokio::test]
async fn household_page_shows_form_members_links_visits_and_history() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let html = app.get_text("/households/H001").await;
    for expected in [
        "王五户",
        "乙村1号",
        "低保户",
        "困难群众",
        "王小五",
        "张三",
        "联户",
        "入户走访",
        "村道路灯损坏",
        "饮水管道漏水",
        "新建",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    let d = app.get_json("/api/v1/households/H001").await;
    assert_eq!(d["members"].as_array().unwrap().len(), 2);
    // The visit had two participants and counts for both.
    let visit = &d["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"]["code"] == "household_visit")
        .unwrap()["participants"];
    assert_eq!(visit.as_array().unwrap().len(), 2);
    assert_eq!(app.get("/households/NOPE").await.status(), 404);
}

#[tokio::test]
async fn person_and_unit_pages() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let p = app.get_json("/api/v1/people?q=zs").await;
    let id = p["items"][0]["id"].as_i64().unwrap();
    let html = app.get_text(&format!("/people/{id}")).await;
    assert!(
        html.contains("张三")
            && html.contains("乙村两委")
            && html.contains("H001")
            && html.contains("入户走访")
    );
    let detail = app.get_json(&format!("/api/v1/people/{id}")).await;
    assert_eq!(detail["links"].as_array().unwrap().len(), 2);
    let unit = app.get_text("/units/D1").await;
    assert!(
        unit.contains("县公安局") && unit.contains("执法管理") && unit.contains("0598-7312345")
    );
    assert_eq!(app.get("/people/99999").await.status(), 404);
}

#[tokio::test]
async fn no_page_or_api_answer_shows_a_full_id_number_or_phone() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    let zid = app.get_json("/api/v1/people?q=zs").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let mut bodies = Vec::new();
    for path in [
        "/people".to_string(),
        format!("/people/{zid}"),
        format!("/api/v1/people/{zid}"),
        "/api/v1/people".into(),
        "/households/H001".into(),
        "/api/v1/households/H001".into(),
        "/api/v1/households".into(),
        "/households".into(),
    ] {
        bodies.push((path.clone(), app.get_text(&path).await));
    }
    for (path, body) in &bodies {
        assert!(
            full_id_numbers(body).is_empty(),
            "{path} shows a full ID number"
        );
        assert!(
            !body.contains("13812345678") && !body.contains("13700001111"),
            "{path} shows a full phone"
        );
    }
    let p = app.get_json(&format!("/api/v1/people/{zid}")).await;
    assert_eq!(
        p["person"]["id_number"],
        format!("{}**********{}", &f.zhang[..4], &f.zhang[14..])
    );
    assert_eq!(p["person"]["phone"], "138****5678");
    // Nor does the export.
    let bytes = app
        .get("/api/v1/export/people")
        .await
        .bytes()
        .await
        .unwrap();
    let rows = crate::exchange::xlsx_rows(&bytes);
    assert!(rows.iter().flatten().all(|c| full_id_numbers(c).is_empty()));
    let _ = (f.li, f.head);
}

#[tokio::test]
async fn openapi_document_and_docs_page_are_served() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/openapi.json").await;
    for path in [
        "/api/v1/people",
        "/api/v1/households/{code}",
        "/api/v1/import/{kind}",
        "/api/v1/export/{kind}",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    // How to authenticate is declared: a bearer token or the session cookie, everywhere
    // except the resident's answer, which needs neither.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["token"]["scheme"], "bearer", "{schemes}");
    assert_eq!(schemes["session"]["in"], "cookie", "{schemes}");
    assert_eq!(schemes["session"]["name"], "lx_session", "{schemes}");
    assert_eq!(
        doc["security"],
        serde_json::json!([{"token": []}, {"session": []}])
    );
    let answer = &doc["paths"]["/api/v1/feedback/{token}"]["post"]["security"];
    assert!(
        answer
            .as_array()
            .is_some_and(|a| a.contains(&serde_json::json!({}))),
        "{answer}"
    );
    let people = &doc["paths"]["/api/v1/people"]["get"]["responses"];
    assert!(
        people["401"].is_object() && people["403"].is_object(),
        "{people}"
    );
    // Every status an operation can answer is declared, and `{kind}` lists its values.
    let record = &doc["paths"]["/api/v1/activities/{id}"]["put"]["responses"];
    for code in ["200", "400", "401", "403", "404", "413", "415", "422"] {
        assert!(record[code].is_object(), "{code}: {record}");
    }
    let kind = doc["paths"]["/api/v1/export/{kind}"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "kind"))
        .cloned()
        .unwrap_or_default();
    let values = kind["schema"]["enum"].to_string();
    assert!(
        values.contains("households") && values.contains("people"),
        "{kind}"
    );
    // The report's rows and an import's outcome are two schemas, not one under one name.
    assert!(doc["components"]["schemas"]["ReportRow"].is_object());
    assert!(doc["components"]["schemas"]["ImportOutcome"].is_object());
    // And they are what the API answers.
    let r = reqwest::get(app.url("/api/v1/people")).await.unwrap();
    assert_eq!(r.status(), 401);
    // A request refused before its handler runs is answered in JSON, in Chinese.
    for (r, status, lead) in [
        (
            app.client
                .put(app.url("/api/v1/activities/1"))
                .body("{}")
                .send()
                .await
                .unwrap(),
            415,
            "请以 JSON 提交",
        ),
        (
            app.client
                .put(app.url("/api/v1/activities/1"))
                .json(&serde_json::json!({"end_date": {"x": 1}}))
                .send()
                .await
                .unwrap(),
            422,
            "提交的内容不符合要求",
        ),
        (
            app.client
                .get(app.url("/api/v1/activities/2147483648"))
                .send()
                .await
                .unwrap(),
            400,
            "请求参数有误",
        ),
    ] {
        assert_eq!(r.status(), status);
        let e: serde_json::Value = r.json().await.unwrap();
        assert!(e["error"].as_str().unwrap_or("").starts_with(lead), "{e}");
    }
    let docs = app.get_text("/api/docs/").await;
    assert!(docs.to_lowercase().contains("swagger"));
}

#[tokio::test]
async fn lists_name_the_region_of_each_row() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let hh = app.get_json("/api/v1/households?q=H001").await;
    assert_eq!(hh["items"][0]["region_name"], "第一组");
    let html = app.get_text("/households?region=3509101").await;
    assert!(html.contains(">丁村</a>"), "{html}");
}
