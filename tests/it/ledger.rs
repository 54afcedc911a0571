//! Ledger items through the front door: the full loop from a visit to close-out with the
//! resident's answer, escalation village → town → county, deadlines on the official calendar,
//! petitions with extension, key cases and repeats, inboxes and who may see what.

use crate::helpers::*;
use lianxin::domain::access::{AccessRole, Scope};
use serde_json::{Value, json};

async fn send(client: &reqwest::Client, url: String, body: &Value) -> (u16, Value) {
    let r = client.post(url).json(body).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn fetch(client: &reqwest::Client, url: String) -> (u16, Value) {
    let r = client.get(url).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn person(app: &TestApp, id_number: &str) -> i64 {
    use lianxin::store::entities::person;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    person::Entity::find()
        .filter(person::Column::IdNumber.eq(id_number))
        .one(&app.db().await)
        .await
        .unwrap()
        .expect("person")
        .id as i64
}

struct Step<'a> {
    client: &'a reqwest::Client,
    body: Value,
}

impl<'a> Step<'a> {
    fn by(client: &'a reqwest::Client, body: Value) -> Self {
        Step { client, body }
    }
    async fn on(self, app: &TestApp, id: i64) -> (u16, Value) {
        send(
            self.client,
            app.url(&format!("/api/v1/items/{id}/steps")),
            &self.body,
        )
        .await
    }
}

async fn ok(app: &TestApp, client: &reqwest::Client, id: i64, body: Value) -> Value {
    let what = body.to_string();
    let (status, v) = Step::by(client, body).on(app, id).await;
    assert_eq!(status, 200, "{what}: {v}");
    v
}

#[tokio::test]
async fn the_full_loop_from_a_visit_to_close_out_with_the_residents_answer() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    app.add_account("lisi", AccessRole::Cadre, Scope::Own, Some(&f.li))
        .await;
    app.add_account("sunjiu", AccessRole::Cadre, Scope::Own, Some(&f.sun))
        .await;
    app.add_account(
        "cunwei",
        AccessRole::VillageCadre,
        Scope::Region("3509100200".into()),
        None,
    )
    .await;
    app.add_account(
        "dingcun",
        AccessRole::VillageCadre,
        Scope::Region("3509101200".into()),
        None,
    )
    .await;
    app.add_account(
        "zhenzhan",
        AccessRole::Office,
        Scope::Region("3509100".into()),
        None,
    )
    .await;
    app.add_account(
        "lingdao",
        AccessRole::Leader,
        Scope::Region("3509100".into()),
        None,
    )
    .await;
    app.add_account("xian", AccessRole::Office, Scope::County, None)
        .await;
    app.add_account("ducha", AccessRole::Inspector, Scope::County, None)
        .await;
    let zhang = app.login("zhang", PASSWORD).await;
    let lisi = app.login("lisi", PASSWORD).await;
    let village = app.login("cunwei", PASSWORD).await;
    let town = app.login("zhenzhan", PASSWORD).await;
    let county = app.login("xian", PASSWORD).await;
    let zhang_id = person(&app, &f.zhang).await;
    let li_id = person(&app, &f.li).await;

    // A visit raises the matter; it is an item of H002 owned by the one who heard it.
    let (status, r) = send(
        &zhang,
        app.url("/api/v1/activities"),
        &json!({
            "client_key": "loop-visit-0001",
            "kind": "入户走访",
            "start_date": "2026-11-02",
            "participants": [f.zhang],
            "targets": ["H002"],
            "matters": ["屋后挡土墙开裂，雨季有垮塌危险"],
        }),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let id = r["items"][0].as_i64().unwrap();
    let (_, item) = fetch(&zhang, app.url(&format!("/api/v1/items/{id}"))).await;
    assert_eq!(item["status"], "registered");
    assert_eq!(item["level"], "village");
    assert_eq!(item["registered_on"], "2026-11-02");
    // 15 working days from Monday 2 November 2026.
    assert_eq!(item["deadline"], "2026-11-23");

    // The village assigns it to 张三; he starts, then finds it beyond the village and escalates.
    ok(
        &app,
        &village,
        id,
        json!({"action": "assign", "person_id": zhang_id, "on": "2026-11-03"}),
    )
    .await;
    ok(
        &app,
        &zhang,
        id,
        json!({"action": "start", "on": "2026-11-03"}),
    )
    .await;
    let (status, e) = Step::by(&zhang, json!({"action": "escalate", "on": "2026-11-04"}))
        .on(&app, id)
        .await;
    assert_eq!(status, 400);
    assert!(
        e["error"].as_str().unwrap().contains("原因"),
        "an escalation needs its reason: {e}"
    );
    let v = ok(
        &app,
        &zhang,
        id,
        json!({"action": "escalate", "on": "2026-11-04", "note": "需镇里协调地质灾害资金"}),
    )
    .await;
    assert_eq!(
        (v["status"].clone(), v["level"].clone()),
        (json!("escalated"), json!("town"))
    );
    // The village can no longer assign it; the town desk can.
    let (status, e) = Step::by(
        &village,
        json!({"action": "assign", "person_id": zhang_id, "on": "2026-11-04"}),
    )
    .on(&app, id)
    .await;
    assert!(status == 400 || status == 403, "{status} {e}");
    let v = ok(
        &app,
        &town,
        id,
        json!({"action": "assign", "person_id": li_id, "on": "2026-11-05", "note": "李四负责协调"}),
    )
    .await;
    assert_eq!(v["owner_name"], "李四");
    assert!(!v["may"].as_array().unwrap().contains(&json!("close")));

    // 李四 resolves it; the resident (through the item's link, no login) says “not solved”.
    let (status, e) = Step::by(&lisi, json!({"action": "resolve", "on": "2026-11-10"}))
        .on(&app, id)
        .await;
    assert_eq!(status, 400, "the outcome is required: {e}");
    ok(
        &app,
        &lisi,
        id,
        json!({"action": "resolve", "on": "2026-11-10", "note": "已安排应急排危资金，砌筑挡土墙"}),
    )
    .await;
    let (_, v) = fetch(&town, app.url(&format!("/api/v1/items/{id}"))).await;
    let link = v["feedback_path"].as_str().unwrap().to_string();
    let token = link.trim_start_matches("/fankui/");
    let resident = plain_client();
    let (status, seen) = fetch(&resident, app.url(&format!("/api/v1/feedback/{token}"))).await;
    assert_eq!(status, 200);
    assert_eq!(seen["waiting"], true);
    assert!(seen.get("resident_phone").is_none());
    let (status, bad) = fetch(&resident, app.url("/api/v1/feedback/not-a-real-token-123")).await;
    assert_eq!(status, 404, "{bad}");
    let (status, r) = send(
        &resident,
        app.url(&format!("/api/v1/feedback/{token}")),
        &json!({"answer": "未解决", "note": "墙还没砌"}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let (_, v) = fetch(&county, app.url(&format!("/api/v1/items/{id}"))).await;
    // Reopened at the level above, with a new deadline; the old result is only in the history.
    assert_eq!(
        (v["status"].clone(), v["level"].clone()),
        (json!("escalated"), json!("county")),
        "reopened: {v}"
    );
    assert_eq!(v["answer"], "not_solved");
    assert_eq!(v["resolution"], Value::Null);
    assert!(v["deadline"].as_str().unwrap() > "2026-11-23", "{v}");
    // The county centre has it waiting, and listed as reopened by the resident.
    let (_, inbox) = fetch(&county, app.url("/api/v1/inbox?date=2026-11-12")).await;
    for list in ["reopened", "waiting"] {
        assert!(
            inbox[list]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == id),
            "{list}: {inbox}"
        );
    }
    // The centre hands it back to 李四.
    ok(
        &app,
        &county,
        id,
        json!({"action": "assign", "person_id": li_id, "on": "2026-11-13"}),
    )
    .await;

    // Resolved again; the owner cannot answer for the resident unless it is marked 代填.
    ok(
        &app,
        &lisi,
        id,
        json!({"action": "resolve", "on": "2026-11-18", "note": "挡土墙已砌好，经验收"}),
    )
    .await;
    let (status, e) = Step::by(
        &lisi,
        json!({"action": "feedback", "answer": "已解决", "on": "2026-11-19"}),
    )
    .on(&app, id)
    .await;
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("代填"), "{e}");
    ok(
        &app,
        &lisi,
        id,
        json!({"action": "feedback", "answer": "已解决", "on_behalf": true, "on": "2026-11-19", "note": "户主电话确认"}),
    )
    .await;
    // Only the level that holds it (or the one above) closes it out.
    for below in [&village, &town] {
        let (status, _) = Step::by(below, json!({"action": "close", "on": "2026-11-20"}))
            .on(&app, id)
            .await;
        assert!(status == 400 || status == 403);
    }
    let v = ok(
        &app,
        &county,
        id,
        json!({"action": "close", "on": "2026-11-20"}),
    )
    .await;
    assert_eq!(v["status"], "closed");
    assert_eq!(v["closed_on"], "2026-11-20");
    assert_eq!(v["answered_on_behalf"], true);
    let (status, e) = Step::by(&town, json!({"action": "note", "note": "补记"}))
        .on(&app, id)
        .await;
    assert_eq!((status, e["error"].clone()), (400, json!("事项已销号")));

    // The whole history, step by step, with who and why.
    let steps: Vec<String> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        steps,
        [
            "register", "assign", "start", "escalate", "assign", "resolve", "feedback", "assign",
            "resolve", "feedback", "close"
        ]
    );
    let h = &v["history"];
    assert_eq!(h[3]["note"], "需镇里协调地质灾害资金");
    assert_eq!(h[3]["actor_role"], "责任人");
    assert_eq!(h[4]["actor"], "zhenzhan");
    assert_eq!(h[4]["actor_role"], "镇民情处理站");
    assert_eq!(h[6]["actor_role"], "群众");
    assert_eq!(h[6]["data"]["answer"], "not_solved");
    assert_eq!(h[9]["data"]["on_behalf"], true);
    assert_eq!(v["registered_on"], "2026-11-02", "kept through escalation");

    // Who sees it: the other village's office and an unlinked cadre do not; the inspector reads
    // it but may take no step.
    for who in ["dingcun", "sunjiu"] {
        let c = app.login(who, PASSWORD).await;
        let (status, _) = fetch(&c, app.url(&format!("/api/v1/items/{id}"))).await;
        assert_eq!(status, 404, "{who}");
    }
    let ducha = app.login("ducha", PASSWORD).await;
    let (status, v) = fetch(&ducha, app.url(&format!("/api/v1/items/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(v["may"], json!([]));
    assert!(
        v["feedback_path"].is_null(),
        "the resident's link is for those who handle it"
    );

    // A stability item: the town office reads it, a leader of the same town does not.
    let (status, s) = send(
        &village,
        app.url("/api/v1/items"),
        &json!({"ledger": "稳定工作", "source": "群众自报", "household_code": "H001",
                "matter": "邻里宅基地纠纷", "registered_on": "2026-11-06"}),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    let sid = s["id"].as_i64().unwrap();
    let (status, _) = fetch(&town, app.url(&format!("/api/v1/items/{sid}"))).await;
    assert_eq!(status, 200);
    let leader = app.login("lingdao", PASSWORD).await;
    let (status, _) = fetch(&leader, app.url(&format!("/api/v1/items/{sid}"))).await;
    assert_eq!(status, 404);
    let (_, inbox) = fetch(&leader, app.url("/api/v1/inbox?date=2026-11-06")).await;
    assert!(!inbox.to_string().contains("宅基地"), "{inbox}");

    // A cadre who may not read stability items registers one: the answer says what was
    // written (its number, ledger, deadline), not its content, and not 404.
    let zhang = app.login("zhang", PASSWORD).await;
    let (status, r) = send(
        &zhang,
        app.url("/api/v1/items"),
        &json!({"ledger": "稳定工作", "source": "群众自报", "household_code": "H001",
                "matter": "邻里为排水沟起争执", "registered_on": "2026-11-07"}),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    assert!(r["id"].as_i64().unwrap() > sid, "{r}");
    assert_eq!(r["ledger"], "stability");
    assert!(r["deadline"].is_string(), "{r}");
    assert!(!r.to_string().contains("排水沟"), "content withheld: {r}");
    let (status, _) = fetch(&zhang, app.url(&format!("/api/v1/items/{}", r["id"]))).await;
    assert_eq!(status, 404, "still not readable afterwards");
    let (_, s2) = fetch(&town, app.url(&format!("/api/v1/items/{}", r["id"]))).await;
    assert_eq!(
        s2["matter"], "邻里为排水沟起争执",
        "the town office reads what was written"
    );
}

#[tokio::test]
async fn deadlines_extensions_and_escalation_on_the_official_calendar() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    let wu = id("35099919710606006");
    let r = app
        .import(
            "people",
            "people.csv",
            format!("身份证号,姓名,单位代码,角色,所属区划\n{wu},吴九,T1,县四大班子成员,3509\n"),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.add_account(
        "cunwei",
        AccessRole::VillageCadre,
        Scope::Region("3509100200".into()),
        None,
    )
    .await;
    app.add_account(
        "zhenzhan",
        AccessRole::Office,
        Scope::Region("3509100".into()),
        None,
    )
    .await;
    app.add_account("xian", AccessRole::Office, Scope::County, None)
        .await;
    app.add_account("wujiu", AccessRole::Leader, Scope::County, Some(&wu))
        .await;
    let village = app.login("cunwei", PASSWORD).await;
    let town = app.login("zhenzhan", PASSWORD).await;
    let county = app.login("xian", PASSWORD).await;
    let leader = app.login("wujiu", PASSWORD).await;
    let li_id = person(&app, &f.li).await;
    let wu_id = person(&app, &wu).await;
    let register = |body: Value| {
        let village = village.clone();
        let url = app.url("/api/v1/items");
        async move {
            let (status, v) = send(&village, url, &body).await;
            assert_eq!(status, 201, "{body}: {v}");
            v
        }
    };

    // A letter on 1 September: 30 calendar days end on 1 October, a holiday → 8 October.
    let letter = register(
        json!({"ledger": "民生诉求", "source": "来信", "household_code": "H001",
        "category": "宅基地", "resident_name": "王五", "resident_phone": "13700001111",
        "matter": "来信反映宅基地审批迟迟未办", "registered_on": "2026-09-01"}),
    )
    .await;
    assert_eq!(letter["clock"], "petition");
    assert_eq!(letter["deadline"], "2026-10-08");
    let lid = letter["id"].as_i64().unwrap();
    // A hotline call the day before the National Day holiday: 5 working days are
    // 8, 9, 10 (a make-up Saturday), 12 and 13 October.
    let call = register(
        json!({"ledger": "民生诉求", "source": "民生热线", "region_code": "3509100200",
        "matter": "路灯不亮", "registered_on": "2026-09-30"}),
    )
    .await;
    assert_eq!(call["deadline"], "2026-10-13");
    let cid = call["id"].as_i64().unwrap();
    // Bad input names the field, and nothing is saved.
    let before = app.counts().await;
    let (status, e) = send(
        &village,
        app.url("/api/v1/items"),
        &json!({"ledger": "民生", "source": "来信", "household_code": "H404", "resident_phone": "123",
                "matter": " ", "registered_on": "2026-09-01"}),
    )
    .await;
    assert_eq!(status, 400);
    let msg = e["error"].as_str().unwrap();
    for part in ["台账", "户编号", "H404", "联系电话", "反映事项"] {
        assert!(msg.contains(part), "{part} in {msg}");
    }
    assert_eq!(app.counts().await, before);

    // The extension is approved on the last day: 30 days from 8 October end on Saturday
    // 7 November → Monday 9 November. A second one is refused.
    let (status, e) = Step::by(&village, json!({"action": "extend", "on": "2026-10-08"}))
        .on(&app, lid)
        .await;
    assert_eq!(status, 400, "a reason is needed for the notice: {e}");
    let v = ok(
        &app,
        &village,
        lid,
        json!({"action": "extend", "on": "2026-10-08", "note": "需国土部门现场勘测"}),
    )
    .await;
    assert_eq!(v["deadline"], "2026-11-09");
    assert_eq!(v["extended"], true);
    let (status, e) = Step::by(
        &village,
        json!({"action": "extend", "on": "2026-10-09", "note": "再延"}),
    )
    .on(&app, lid)
    .await;
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("一次"), "{e}");
    // Past its deadline, the hotline call cannot be extended any more; it is overdue.
    let (status, e) = Step::by(
        &village,
        json!({"action": "extend", "on": "2026-10-14", "note": "人手不足"}),
    )
    .on(&app, cid)
    .await;
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("已过期限"), "{e}");
    let (_, inbox) = fetch(&village, app.url("/api/v1/inbox?date=2026-10-14")).await;
    // (The fixture's two items of March are late too; the extended letter is not.)
    let late = inbox["overdue"].as_array().unwrap();
    assert_eq!(late.len(), 3, "{inbox}");
    let row = late
        .iter()
        .find(|r| r["id"] == cid)
        .expect("the call is late");
    assert_eq!(row["days_left"], -1);
    assert!(!late.iter().any(|r| r["id"] == lid));
    // The village records why it is late; the town puts it under supervision with a deadline.
    ok(
        &app,
        &village,
        cid,
        json!({"action": "overdue_reason", "on": "2026-10-14", "note": "灯具缺货，已向供电所申领"}),
    )
    .await;
    let (status, _) = Step::by(
        &village,
        json!({"action": "supervise", "on": "2026-10-14", "deadline": "2026-10-20", "note": "限期修复"}),
    )
    .on(&app, cid)
    .await;
    assert!(
        status == 400 || status == 403,
        "supervision comes from above"
    );
    let v = ok(
        &app,
        &town,
        cid,
        json!({"action": "supervise", "on": "2026-10-14", "deadline": "2026-10-20", "note": "限期修复"}),
    )
    .await;
    assert_eq!(v["supervised"], true);
    assert_eq!(v["supervision_deadline"], "2026-10-20");
    assert_eq!(v["overdue_reason"], "灯具缺货，已向供电所申领");
    let (_, inbox) = fetch(&town, app.url("/api/v1/inbox?date=2026-10-15")).await;
    assert!(
        inbox["supervised"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == cid)
    );

    // Escalated twice: the registration date and every step stay with the item.
    ok(
        &app,
        &village,
        lid,
        json!({"action": "escalate", "on": "2026-10-09", "note": "涉及跨村土地调整"}),
    )
    .await;
    ok(
        &app,
        &town,
        lid,
        json!({"action": "assign", "person_id": li_id, "on": "2026-10-10"}),
    )
    .await;
    let v = ok(
        &app,
        &town,
        lid,
        json!({"action": "escalate", "on": "2026-10-12", "note": "需县自然资源局审批"}),
    )
    .await;
    assert_eq!(v["level"], "county");
    assert_eq!(v["registered_on"], "2026-09-01");
    assert_eq!(v["deadline"], "2026-11-09", "the statutory limit runs on");
    let levels: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "escalate")
        .map(|e| e["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["town", "county"]);
    assert_eq!(v["history"].as_array().unwrap().len(), 5);
    // The county makes it a key case owned by 吴九, who records each of the five guarantees.
    let (status, e) = Step::by(
        &county,
        json!({"action": "take_case", "person_id": li_id, "on": "2026-10-12"}),
    )
    .on(&app, lid)
    .await;
    assert_eq!(status, 400, "李四 is no county leader: {e}");
    ok(
        &app,
        &county,
        lid,
        json!({"action": "take_case", "person_id": wu_id, "on": "2026-10-12"}),
    )
    .await;
    for g in ["包解决", "包疏导", "包稳控", "包救助", "包依法处理"] {
        ok(
            &app,
            &leader,
            lid,
            json!({"action": "guarantee", "guarantee": g, "on": "2026-10-13", "note": format!("{g}：已落实")}),
        )
        .await;
    }
    let (_, v) = fetch(&leader, app.url(&format!("/api/v1/items/{lid}"))).await;
    assert_eq!(v["case_owner_name"], "吴九");
    assert_eq!(v["guarantees"].as_array().unwrap().len(), 5);
    // The case owner may not assign or close: those stay with the county centre.
    let (status, _) = Step::by(&leader, json!({"action": "close", "on": "2026-10-13"}))
        .on(&app, lid)
        .await;
    assert!(status == 400 || status == 403);

    // A second letter of the same household on the same matter is linked to the first.
    let again = register(
        json!({"ledger": "民生诉求", "source": "接访", "household_code": "H001",
        "category": "宅基地", "matter": "再次反映宅基地审批", "registered_on": "2026-10-15"}),
    )
    .await;
    assert_eq!(again["repeat_of"], lid);
    let (_, v) = fetch(&county, app.url(&format!("/api/v1/items/{lid}"))).await;
    assert_eq!(v["repeats"], json!([again["id"]]));
    // The resident's phone in full to the offices, masked to the inspector.
    assert_eq!(v["resident_phone"], "13700001111");
    app.add_account("ducha", AccessRole::Inspector, Scope::County, None)
        .await;
    let ducha = app.login("ducha", PASSWORD).await;
    let (_, v) = fetch(&ducha, app.url(&format!("/api/v1/items/{lid}"))).await;
    assert_eq!(v["resident_phone"], "137****1111");
}

#[tokio::test]
async fn the_village_review_lists_what_is_open_late_and_closed_since_the_last_meeting() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account(
        "cunwei",
        AccessRole::VillageCadre,
        Scope::Region("3509100200".into()),
        Some(&f.zhang),
    )
    .await;
    let village = app.login("cunwei", PASSWORD).await;
    // The fixture's visit of 2 March raised two items of H001 (owned by 张三).
    let (_, review) = fetch(
        &village,
        app.url("/api/v1/regions/3509100200/review?date=2026-03-05"),
    )
    .await;
    assert_eq!(review["open"].as_array().unwrap().len(), 2, "{review}");
    assert!(review["last_meeting"].is_null());
    let first = review["open"][0]["id"].as_i64().unwrap();
    let zhang_id = person(&app, &f.zhang).await;
    ok(
        &app,
        &village,
        first,
        json!({"action": "assign", "person_id": zhang_id, "on": "2026-03-05"}),
    )
    .await;
    ok(
        &app,
        &village,
        first,
        json!({"action": "resolve", "on": "2026-03-06", "note": "路灯已修"}),
    )
    .await;
    ok(
        &app,
        &village,
        first,
        json!({"action": "feedback", "answer": "已解决", "on_behalf": true, "on": "2026-03-09"}),
    )
    .await;
    let (status, e) = Step::by(
        &village,
        json!({"action": "feedback", "answer": "已解决", "on": "2026-03-09"}),
    )
    .on(&app, first)
    .await;
    assert_eq!(status, 400, "{e}");
    ok(
        &app,
        &village,
        first,
        json!({"action": "close", "on": "2026-03-10"}),
    )
    .await;
    // A meeting on 2 March (before the close) — the review of 1 April lists the close and, by
    // then, the other item is late (15 working days from 2 March end on 23 March).
    let (status, r) = send(
        &village,
        app.url("/api/v1/activities"),
        &json!({"client_key": "meeting-0302", "kind": "民情分析会", "start_date": "2026-03-02",
                "participants": [f.zhang], "targets": ["3509100200"]}),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let (_, review) = fetch(
        &village,
        app.url("/api/v1/regions/3509100200/review?date=2026-04-01"),
    )
    .await;
    assert_eq!(review["last_meeting"], "2026-03-02");
    assert_eq!(review["closed_since"][0]["id"], first);
    assert_eq!(review["late"].as_array().unwrap().len(), 1, "{review}");
    assert_eq!(review["open"], json!([]));
}

#[tokio::test]
async fn the_pages_register_work_print_and_take_the_residents_answer() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account(
        "cunwei",
        AccessRole::VillageCadre,
        Scope::Region("3509100200".into()),
        Some(&f.zhang),
    )
    .await;
    let village = app.login("cunwei", PASSWORD).await;
    let form = |fields: Vec<(&'static str, String)>, url: String| {
        let c = village.clone();
        async move {
            let mut r = c.post(url.clone()).form(&fields).send().await.unwrap();
            // The client follows no redirects: a saved form answers 303 to its page.
            if r.status().as_u16() == 303 {
                let to = r.headers()["location"].to_str().unwrap().to_string();
                let base = url.split("/items").next().unwrap().to_string();
                r = c.get(format!("{base}{to}")).send().await.unwrap();
            }
            (
                r.status().as_u16(),
                r.url().to_string(),
                r.text().await.unwrap(),
            )
        }
    };
    // A bad form comes back with the reasons and everything typed.
    let (status, _, page) = form(
        vec![
            ("ledger", "livelihood".into()),
            ("source", "letter".into()),
            ("household_code", "H404".into()),
            ("region_code", String::new()),
            ("resident_name", "王五".into()),
            ("resident_phone", String::new()),
            ("category", String::new()),
            ("matter", "来信反映低保评议不公开".into()),
            ("registered_on", "2026-09-01".into()),
        ],
        app.url("/items/new"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("H404") && page.contains("不存在"), "{page}");
    assert!(page.contains("来信反映低保评议不公开"));
    let (status, url, page) = form(
        vec![
            ("ledger", "livelihood".into()),
            ("source", "letter".into()),
            ("household_code", "H001".into()),
            ("region_code", String::new()),
            ("resident_name", "王五".into()),
            ("resident_phone", String::new()),
            ("category", "低保".into()),
            ("matter", "来信反映低保评议不公开".into()),
            ("registered_on", "2026-09-01".into()),
        ],
        app.url("/items/new"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        url.contains("/items/") && url.contains("done=register"),
        "{url}"
    );
    let id: i64 = url
        .split("/items/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        page.contains("已登记") && page.contains("2026-10-08"),
        "{page}"
    );
    assert!(page.contains("受理告知书"));
    let notice = app_text(&village, app.url(&format!("/items/{id}/doc/notice"))).await;
    assert!(
        notice.contains("受理告知书") && notice.contains("2026年10月08日前"),
        "{notice}"
    );
    assert!(notice.contains("@page{size:A4"));

    // Steps through the forms; a refused one shows the reason and keeps the note.
    let zhang_id = person(&app, &f.zhang).await;
    let (_, _, page) = form(
        vec![
            ("action", "assign".into()),
            ("person_id", zhang_id.to_string()),
            ("on", "2026-09-02".into()),
        ],
        app.url(&format!("/items/{id}")),
    )
    .await;
    assert!(page.contains("已交办"), "{page}");
    let (_, _, page) = form(
        vec![
            ("action", "extend".into()),
            ("on", "2026-10-09".into()),
            ("note", "需要民政部门复核".into()),
        ],
        app.url(&format!("/items/{id}")),
    )
    .await;
    assert!(
        page.contains("已过期限") && page.contains("需要民政部门复核"),
        "{page}"
    );
    let (_, _, page) = form(
        vec![
            ("action", "extend".into()),
            ("on", "2026-10-08".into()),
            ("note", "需要民政部门复核".into()),
        ],
        app.url(&format!("/items/{id}")),
    )
    .await;
    assert!(page.contains("2026-11-09"), "{page}");
    let ext = app_text(&village, app.url(&format!("/items/{id}/doc/extension"))).await;
    assert!(
        ext.contains("需要民政部门复核") && ext.contains("2026-11-09"),
        "{ext}"
    );
    form(
        vec![
            ("action", "resolve".into()),
            ("on", "2026-10-20".into()),
            ("note", "已公开评议结果并张榜公示".into()),
        ],
        app.url(&format!("/items/{id}")),
    )
    .await;
    let reply = app_text(&village, app.url(&format!("/items/{id}/doc/reply"))).await;
    assert!(reply.contains("书面答复意见书") && reply.contains("张榜公示"));

    // The resident's page needs no login; the answer is taken once.
    let (_, v) = fetch(&village, app.url(&format!("/api/v1/items/{id}"))).await;
    let path = v["feedback_path"].as_str().unwrap().to_string();
    let resident = plain_client();
    let page = resident
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("问题解决了吗") && page.contains("张榜公示"),
        "{page}"
    );
    assert!(!page.contains("13700001111"));
    let r = resident
        .post(app.url(&path))
        .form(&[("answer", "部分解决"), ("note", "希望下次提前通知")])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("谢谢您的反馈"), "{page}");
    let r = resident
        .post(app.url(&path))
        .form(&[("answer", "已解决"), ("note", "")])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("办结后才能评价"), "{page}");

    // The inbox page and its workbook.
    let inbox = app_text(&village, app.url("/inbox?date=2026-10-21")).await;
    assert!(
        inbox.contains("待我办理") && inbox.contains("已逾期"),
        "{inbox}"
    );
    let x = village
        .get(app.url("/inbox?date=2026-10-21&format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(x.status(), 200);
    let bytes = x.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
}

async fn app_text(c: &reqwest::Client, url: String) -> String {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.url());
    r.text().await.unwrap()
}

#[tokio::test]
async fn under_the_national_clocks_a_petition_is_told_answered_in_60_days_reviewed_and_rechecked() {
    let app = spawn_app_with_policy(Some(shipped_policy("national-2022"))).await;
    let f = app.load_fixture().await;
    let zhang = person(&app, &f.zhang).await;
    for (name, role, scope) in [
        ("cunwei", AccessRole::VillageCadre, "3509100200"),
        ("zhenzhan", AccessRole::Office, "3509100"),
    ] {
        app.add_account(name, role, Scope::Region(scope.into()), None)
            .await;
    }
    app.add_account("xian", AccessRole::Office, Scope::County, None)
        .await;
    let village = app.login("cunwei", PASSWORD).await;
    let town = app.login("zhenzhan", PASSWORD).await;
    let county = app.login("xian", PASSWORD).await;
    let register = |body: Value| {
        let village = village.clone();
        let url = app.url("/api/v1/items");
        async move {
            let (status, v) = send(&village, url, &body).await;
            assert_eq!(status, 201, "{body}: {v}");
            v
        }
    };
    // 60 calendar days from 1 September end on Saturday 31 October: Monday 2 November.
    let letter = register(
        json!({"ledger": "民生诉求", "source": "来信", "household_code": "H001",
        "matter": "来信反映宅基地审批迟迟未办", "registered_on": "2026-09-01"}),
    )
    .await;
    assert_eq!(letter["deadline"], "2026-11-02");
    let id = letter["id"].as_i64().unwrap();
    // A second letter is never told and answered on 5 September.
    let other = register(
        json!({"ledger": "民生诉求", "source": "来信", "household_code": "H001",
        "matter": "来信反映道路破损", "registered_on": "2026-09-01"}),
    )
    .await;
    let other = other["id"].as_i64().unwrap();
    for item in [id, other] {
        ok(
            &app,
            &village,
            item,
            json!({"action": "assign", "on": "2026-09-02",
            "person_id": zhang}),
        )
        .await;
    }
    ok(
        &app,
        &village,
        other,
        json!({"action": "resolve", "on": "2026-09-05", "note": "已修复"}),
    )
    .await;

    ok(
        &app,
        &village,
        id,
        json!({"action": "notice", "on": "2026-09-10",
        "note": "告知已受理，60日内办结"}),
    )
    .await;
    let v = ok(
        &app,
        &village,
        id,
        json!({"action": "resolve", "on": "2026-09-20",
        "note": "经核查，审批材料已补齐，10月底前批复"}),
    )
    .await;
    assert_eq!(v["status"], "resolved");
    assert!(
        v["may"].as_array().unwrap().iter().any(|m| m == "review"),
        "{v}"
    );

    // The petitioner asks the town for 复查 on 10 October: 30 days, to Monday 9 November.
    let v = ok(
        &app,
        &town,
        id,
        json!({"action": "review", "on": "2026-10-10",
        "note": "信访人认为批复时间太晚，请求复查"}),
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["level"].as_str()),
        (Some("review"), Some("town"))
    );
    assert_eq!(v["deadline"], "2026-11-09");
    assert_eq!(v["status_zh"], "复查中");
    // No extension of a review, and a review without its reason is refused whole.
    let (status, e) = Step::by(
        &town,
        json!({"action": "extend", "on": "2026-10-11", "note": "复杂"}),
    )
    .on(&app, id)
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("不能延长"), "{e}");
    let v = ok(
        &app,
        &town,
        id,
        json!({"action": "resolve", "on": "2026-10-20",
        "note": "复查意见：维持原处理意见"}),
    )
    .await;
    assert_eq!(v["status"], "resolved");
    // 复核 at the county, then final.
    let v = ok(
        &app,
        &county,
        id,
        json!({"action": "review", "on": "2026-11-01",
        "note": "信访人不服复查意见，请求复核"}),
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["level"].as_str()),
        (Some("recheck"), Some("county"))
    );
    assert_eq!(v["deadline"], "2026-12-01");
    ok(
        &app,
        &county,
        id,
        json!({"action": "resolve", "on": "2026-11-20",
        "note": "复核意见：维持复查意见"}),
    )
    .await;
    let (status, e) = Step::by(
        &county,
        json!({"action": "review", "on": "2026-11-25",
        "note": "再次请求"}),
    )
    .on(&app, id)
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("最终结论"), "{e}");
    // The other letter's answer came on 5 September: a request on 10 October is too late.
    let (status, e) = Step::by(
        &town,
        json!({"action": "review", "on": "2026-10-10",
        "note": "请求复查"}),
    )
    .on(&app, other)
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("已超过"), "{e}");
    // Every step is in the item's history.
    let (_, d) = fetch(&county, app.url(&format!("/api/v1/items/{id}"))).await;
    let actions: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "register", "assign", "notice", "resolve", "review", "resolve", "review", "resolve"
        ]
    );

    // XF-10 under the national policy: told in 15 days and answered in 60 is met; the letter
    // never told is unmet though answered in four days.
    let out = app.path("report.json");
    let run = app
        .cli_command(&[
            "compliance",
            "--year",
            "2026",
            "--as-of",
            "2026-12-31",
            "-o",
            out.to_str().unwrap(),
        ])
        .env("LIANXIN_POLICY_FILE", shipped_policy("national-2022"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["policy"], "national-2022");
    let row = |item: i64| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "XF-10" && r["target_code"] == format!("H001#{item}"))
            .cloned()
            .unwrap_or_else(|| panic!("no XF-10 row for {item}"))
    };
    assert_eq!(
        (row(id)["status"].as_str(), row(id)["actual"].as_f64()),
        (Some("met"), Some(2.0))
    );
    let r = row(other);
    assert_eq!(r["status"], "unmet");
    assert!(r["detail"].as_str().unwrap().contains("受理告知"), "{r}");
}

#[tokio::test]
async fn the_default_policy_has_no_review_step() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.add_account(
        "cunwei",
        AccessRole::VillageCadre,
        Scope::Region("3509100200".into()),
        None,
    )
    .await;
    let county = app.login("cunwei", PASSWORD).await;
    let (status, v) = send(
        &county,
        app.url("/api/v1/items"),
        &json!({"ledger": "民生诉求",
        "source": "来信", "household_code": "H001", "matter": "来信反映路灯",
        "registered_on": "2026-09-01"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["deadline"], "2026-10-08");
    let id = v["id"].as_i64().unwrap();
    let v = ok(
        &app,
        &county,
        id,
        json!({"action": "resolve", "on": "2026-09-05", "note": "已修"}),
    )
    .await;
    assert!(
        !v["may"].as_array().unwrap().iter().any(|m| m == "review"),
        "{v}"
    );
    let (status, e) = Step::by(
        &county,
        json!({"action": "review", "on": "2026-09-06",
        "note": "请求复查"}),
    )
    .on(&app, id)
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("复查"), "{e}");
}

#[tokio::test]
async fn a_service_room_application_names_its_kind() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let before = app.counts().await;
    let body = |category: &str| {
        json!({"ledger": "民生诉求", "source": "便民服务室", "region_code": "3509100200",
            "category": category, "matter": "代办新农合续保", "registered_on": "2026-09-01"})
    };
    let (status, e) = send(&app.client, app.url("/api/v1/items"), &body("")).await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("便民服务室的申请须选择类别"), "{e}");
    assert_eq!(app.counts().await, before, "nothing written");
    let (status, v) = send(
        &app.client,
        app.url("/api/v1/items"),
        &body("medical_insurance"),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["category"], "医疗保险");
}
