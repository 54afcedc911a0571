//! The compliance report from the command line, on the fixture county, and the policy check.

use crate::helpers::*;
use serde_json::Value;

#[tokio::test]
async fn the_compliance_report_follows_the_formats_contract() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
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
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(r["year"], 2026);
    assert_eq!(r["as_of"], "2026-12-31");
    assert_eq!(r["policy"], "default");
    let results = r["results"].as_array().unwrap();
    // 张三 visited H001 in March only (the call in August is not a visit): unmet, first half done.
    let h001 = results
        .iter()
        .find(|o| {
            o["rule"] == "LH-2"
                && o["subject_code"] == f.zhang.as_str()
                && o["target_code"] == "H001"
        })
        .unwrap_or_else(|| panic!("{results:?}"));
    assert_eq!(h001["subject_kind"], "person");
    assert_eq!(h001["subject_name"], "张三");
    assert_eq!(h001["period"], "2026");
    assert_eq!(h001["status"], "unmet");
    assert_eq!(
        (h001["actual"].as_f64(), h001["required"].as_f64()),
        (Some(1.0), Some(2.0))
    );
    assert_eq!(h001["detail"], "下半年还需走访1次");
    // H002 was never visited: its first half is already lost.
    let h002 = results
        .iter()
        .find(|o| o["rule"] == "LH-2" && o["target_code"] == "H002")
        .unwrap();
    assert_eq!(
        (h002["status"].as_str(), h002["detail"].as_str()),
        (Some("unmet"), Some("上半年未走访"))
    );
    // Every household is judged on its own: all fixture households are linked.
    let lh1: Vec<&Value> = results.iter().filter(|o| o["rule"] == "LH-1").collect();
    assert_eq!(lh1.len(), 3, "{lh1:?}");
    assert!(
        lh1.iter()
            .all(|o| o["status"] == "met" && o["subject_kind"] == "household"),
        "{lh1:?}"
    );
    assert_eq!(lh1[0]["subject_name"], "王五");
    // Every rule is measured now: none listed as waiting for its module.
    assert_eq!(r["unmeasured"], serde_json::json!([]));
    // The two matters of the March visit are items of H001 owned by 张三: never fed back.
    let lh5: Vec<&Value> = results.iter().filter(|o| o["rule"] == "LH-5").collect();
    assert_eq!(lh5.len(), 2, "{lh5:?}");
    assert_eq!(lh5[0]["subject_name"], "张三");
    assert_eq!(lh5[0]["target_code"], "H001#1");
    assert_eq!(lh5[0]["status"], "unmet");
    assert_eq!(lh5[0]["detail"], "已过期限，办理结果未反馈群众");
    // LH-4 reads the household's form from the registry: H001 has its members, situation and
    // income sources; H002 was imported without members.
    let form = |h: &str| {
        results
            .iter()
            .find(|o| o["rule"] == "LH-4" && o["target_code"] == h)
            .unwrap_or_else(|| panic!("LH-4 {h}"))
    };
    assert_eq!(
        (
            form("H001")["status"].as_str(),
            form("H001")["actual"].as_f64()
        ),
        (Some("met"), Some(3.0))
    );
    assert_eq!(form("H002")["status"], "unmet");
    assert_eq!(form("H002")["detail"], "家庭基本情况表缺家庭成员");
    // TZ-3 judges each item where it stands: both of H001's matters, still at the village
    // after their deadline, should have gone to the town.
    let tz3: Vec<&Value> = results.iter().filter(|o| o["rule"] == "TZ-3").collect();
    assert_eq!(tz3.len(), 2, "{tz3:?}");
    assert!(
        tz3.iter()
            .all(|o| o["status"] == "unmet" && o["detail"] == "期限内未办结，仍在村，应上报镇"),
        "{tz3:?}"
    );
    // Mid-year the same rows are pending where the year can still be saved.
    let out = app.cli(&["compliance", "--year", "2026", "--as-of", "2026-05-01"]);
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    let h002 = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["rule"] == "LH-2" && o["target_code"] == "H002")
        .cloned()
        .unwrap();
    assert_eq!(h002["status"], "pending");

    // The same rows as a workbook, with ID numbers masked.
    let path = app.path("report.xlsx");
    let out = app.cli(&[
        "compliance",
        "--year",
        "2026",
        "--format",
        "xlsx",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let sheet = wb.worksheet_range("results").unwrap();
    let text: String = sheet
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string() + "|"))
        .collect();
    assert!(
        text.starts_with("rule|subject_kind|subject_code|"),
        "{}",
        &text[..80]
    );
    assert!(text.contains("LH-2") && full_id_numbers(&text).is_empty());
}

#[tokio::test]
async fn a_year_without_records_is_unmet_or_pending_never_met() {
    let app = spawn_app().await;
    let (_, files) = fixture();
    // The registry without links or activities.
    for (name, content) in files.iter().take(5) {
        let r = app
            .import(name.trim_end_matches(".csv"), name, content.clone())
            .await;
        assert_eq!(r.status(), 200);
    }
    for as_of in ["2026-06-30", "2026-12-31"] {
        let out = app.cli(&["compliance", "--year", "2026", "--as-of", as_of]);
        let r: Value = serde_json::from_slice(&out.stdout).expect("json");
        let results = r["results"].as_array().unwrap();
        assert!(!results.is_empty());
        assert!(
            results.iter().all(|o| o["status"] != "met"),
            "{as_of}: {results:?}"
        );
    }
}

#[tokio::test]
async fn policy_check_names_the_rule_and_field_in_chinese() {
    let app = spawn_app().await;
    let good = app.path("good.toml");
    std::fs::write(&good, lianxin::domain::policy::DEFAULT).unwrap();
    let out = app.cli(&["policy", "check", good.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("82条规则"));

    let bad = app.path("bad.toml");
    let text = lianxin::domain::policy::DEFAULT
        .replace("min = 90", "min = 90\nmaximum = 100")
        .replace(
            "activity_kinds = [\"heart_talk\"]\nmin = 2",
            "activity_kinds = [\"heart_talk\"]\nmin = 2\nmax = 1",
        )
        .replace("period = \"quarter\"", "period = \"fortnight\"");
    std::fs::write(&bad, text).unwrap();
    let out = app.cli(&["policy", "check", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "规则 DY-2：未知的字段“maximum”",
        "规则 TX-1：max 小于 min",
        "规则 DDB-3：period “fortnight”无效",
    ] {
        assert!(err.contains(want), "{want} missing in {err}");
    }
    let broken = app.path("broken.toml");
    std::fs::write(
        &broken,
        lianxin::domain::policy::DEFAULT.replace("min = 180", "min = \"很多\""),
    )
    .unwrap();
    let out = app.cli(&["policy", "check", broken.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("规则 DY-4") && err.contains("行"), "{err}");
}

#[tokio::test]
async fn the_overview_and_the_person_page_show_where_everyone_stands() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let html = app.get_text("/compliance?year=2026&as_of=2026-12-31").await;
    assert!(
        html.contains("LH-2") && html.contains("<svg") && html.contains("尚未计算的规则"),
        "{html}"
    );
    let rule = app
        .get_text("/compliance/rule/LH-2?year=2026&as_of=2026-12-31")
        .await;
    assert!(
        rule.contains("张三") && rule.contains("上半年未走访") && rule.contains("H002"),
        "{rule}"
    );
    // A rule with nothing to judge this year is not "all met"; one without its module says so.
    // DY-3 binds county party-government leaders, and the fixture has none.
    let none = app
        .get_text("/compliance/rule/DY-3?year=2026&as_of=2026-12-31")
        .await;
    assert!(
        none.contains("本期没有需要评估的对象") && !none.contains("全部达标"),
        "{none}"
    );
    // BF-7 binds units reported to a community, and the fixture has none.
    let waits = app
        .get_text("/compliance/rule/BF-7?year=2026&as_of=2026-12-31")
        .await;
    assert!(
        waits.contains("本期没有需要评估的对象") && !waits.contains("暂不计算"),
        "{waits}"
    );
    // DY-7 is measured per decision: a county with no decision recorded has nothing to judge.
    let decisions = app
        .get_text("/compliance/rule/DY-7?year=2026&as_of=2026-12-31")
        .await;
    assert!(decisions.contains("本期没有需要评估的对象"), "{decisions}");
    let zhang = app.get_json("/api/v1/people?q=zs").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let page = app
        .get_text(&format!("/people/{zhang}?date=2026-12-31"))
        .await;
    assert!(page.contains("落实情况") && page.contains("LH-2"), "{page}");
    // The overview is the county's: a cadre gets 403.
    app.add_account(
        "ganbu",
        lianxin::domain::access::AccessRole::Cadre,
        lianxin::domain::access::Scope::Own,
        None,
    )
    .await;
    let c = app.login("ganbu", PASSWORD).await;
    assert_eq!(
        c.get(app.url("/compliance")).send().await.unwrap().status(),
        403
    );
}

#[tokio::test]
async fn an_administrator_enters_a_later_year_of_the_calendar() {
    let app = spawn_app().await;
    let out = app.cli(&["calendar", "show", "2027"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("尚未录入"));
    let out = app.cli(&["calendar", "set", "2027-01-01", "holiday", "元旦"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.cli(&["calendar", "set", "2027-02-20", "workday", "春节调休"]);
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&app.cli(&["calendar", "show", "2027"]).stdout).to_string();
    assert!(
        shown.contains("2027-01-01 放假 元旦")
            && shown.contains("2027-02-20 上班 春节调休")
            && !shown.contains("尚未录入"),
        "{shown}"
    );
    let out = app.cli(&["calendar", "set", "2027-01-02", "rest", "x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("holiday（放假）或 workday"));
    // 2026 comes with lianxin: National Day and its make-up Saturday.
    let shown = String::from_utf8_lossy(&app.cli(&["calendar", "show", "2026"]).stdout).to_string();
    assert!(
        shown.contains("2026-10-01 放假 国庆节") && shown.contains("2026-10-10 上班"),
        "{shown}"
    );
}

#[tokio::test]
async fn an_administrator_declares_sensitive_and_special_periods() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let ok = |args: &[&str]| {
        let out = app.cli(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(&[
        "calendar",
        "declare",
        "sensitive",
        "2026-10-01",
        "2026-10-03",
        "国庆",
    ]);
    ok(&[
        "calendar",
        "declare",
        "special",
        "2026-07-10",
        "2026-07-12",
        "汛期",
        "--region",
        "3509100",
    ]);
    for (args, why) in [
        (
            vec![
                "calendar",
                "declare",
                "special",
                "2026-07-10",
                "2026-07-12",
                "汛期",
                "--region",
                "9999",
            ],
            "区划“9999”不存在",
        ),
        (
            vec![
                "calendar",
                "declare",
                "sensitive",
                "2026-07-12",
                "2026-07-10",
                "x",
            ],
            "结束日期早于开始日期",
        ),
        (
            vec![
                "calendar",
                "declare",
                "busy",
                "2026-07-10",
                "2026-07-12",
                "x",
            ],
            "sensitive",
        ),
    ] {
        let out = app.cli(&args);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains(why), "{why}");
    }
    let shown = String::from_utf8_lossy(&app.cli(&["calendar", "show", "2026"]).stdout).to_string();
    assert!(
        shown.contains("2026-10-01 至 2026-10-03 重要敏感时期 国庆（全县）")
            && shown.contains("2026-07-10 至 2026-07-12 特殊时期 汛期（3509100）"),
        "{shown}"
    );
    // The report judges 乙村 (in 甲镇) on the flood days, 丁村 (in 丙镇) not at all.
    let out = app.cli(&["compliance", "--year", "2026", "--as-of", "2026-12-31"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let cg2: Vec<(String, String)> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["rule"] == "CG-2")
        .map(|o| {
            (
                o["subject_code"].as_str().unwrap().to_string(),
                o["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(cg2, [("3509100200".to_string(), "unmet".to_string())]);
}

#[tokio::test]
async fn one_persons_evaluation_gives_the_same_rows_as_the_countys() {
    use lianxin::domain::policy::Policy;
    use lianxin::domain::rules::evaluate;
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    // Two town leaders share a contact village (LXD-4 reads the other's links too).
    let zhou = id("35099919700505005");
    let li = &f.li;
    for (kind, body) in [
        (
            "people",
            format!(
                "身份证号,姓名,单位代码,角色,所属区划\n{zhou},周八,T1,镇领导班子成员,3509100\n"
            ),
        ),
        (
            "links",
            format!(
                "年度,干部身份证号,关系类型,对象代码\n2026,{li},联系点-村社区,3509100200\n2026,{zhou},联系点-村社区,3509100200\n"
            ),
        ),
        // 李四 talks with 张三, who works in the contact village (TX-3 reads 张三's region).
        (
            "activities",
            format!(
                "开始日期,结束日期,参加人身份证号,类型,对象代码,随行人数,时长(小时),内容,反映事项\n2026-04-01,,{li},谈心谈话,{},,,,\n",
                f.zhang
            ),
        ),
    ] {
        let r = app.import(kind, &format!("{kind}.csv"), body).await;
        assert_eq!(r.status(), 200);
    }
    // 乙村's cards printed, H001's delivered today: a person reads only the cards of the
    // households their rows name (LH-3), and must still judge them as the county does.
    print_village(&app, &app.client).await;
    let today = lianxin::time::today();
    let (status, _) = post_form(
        &app.client,
        app.url("/cards/deliveries"),
        &[
            ("holder", "household"),
            ("codes", "H001"),
            ("on", &today.to_string()),
            ("back", "region=3509100200"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let db = app.db().await;
    let policy = Policy::default_policy();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let county = evaluate(
        &policy,
        &lianxin::store::rules::facts(&db, 2026).await.unwrap(),
        2026,
        day,
    );
    use lianxin::store::entities::person;
    use sea_orm::EntityTrait;
    let people = person::Entity::find().all(&db).await.unwrap();
    assert!(people.len() >= 4);
    for p in people {
        let mine = evaluate(
            &policy,
            &lianxin::store::rules::person_facts(&db, 2026, p.id)
                .await
                .unwrap(),
            2026,
            day,
        );
        let of = |r: &lianxin::domain::rules::Report| {
            let mut v: Vec<String> = r
                .results
                .iter()
                .filter(|o| o.subject_kind == "person" && o.subject_code == p.id_number)
                .map(|o| format!("{o:?}"))
                .collect();
            v.sort();
            v
        };
        let expected = of(&county);
        assert!(!expected.is_empty(), "{} has rows", p.name);
        assert_eq!(of(&mine), expected, "{}", p.name);
    }
    let lh3 = county
        .results
        .iter()
        .find(|o| {
            o.rule == "LH-3"
                && o.subject_code == f.zhang.as_str()
                && o.target_code.as_deref() == Some("H001")
        })
        .unwrap();
    assert_eq!(lh3.status, lianxin::domain::rules::Status::Met, "{lh3:?}");
    let tx3 = county
        .results
        .iter()
        .find(|o| o.rule == "TX-3" && o.subject_code == li.as_str())
        .unwrap();
    assert_eq!(tx3.status, lianxin::domain::rules::Status::Met, "{tx3:?}");
}

#[tokio::test]
async fn the_policy_page_shows_the_rules_and_checks_an_edit() {
    use lianxin::domain::access::{AccessRole, Scope};
    let app = spawn_app().await;
    app.add_account("zuzhibu", AccessRole::OrgDept, Scope::County, None)
        .await;
    let c = app.login("zuzhibu", PASSWORD).await;
    let page = c
        .get(app.url("/compliance/policy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("XF-10") && page.contains("30日内书面答复"),
        "{page}"
    );
    assert!(
        page.contains("DDB-5") && page.contains("天内交办承办单位"),
        "every rule with its threshold, DDB-5's too: {page}"
    );
    // A misspelt threshold is named with its rule; nothing is downloaded.
    let text = lianxin::domain::policy::DEFAULT.replacen("by = \"target\"", "bye = \"target\"", 1);
    let r = c
        .post(app.url("/compliance/policy"))
        .form(&[("text", text.as_str()), ("download", "1")])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("未知的字段“bye”"), "{page}");
    // A good edit (60 days, as under the national regulation) comes back as the file.
    let text = lianxin::domain::policy::DEFAULT.replace(
        "petition = { days = 30, count = \"calendar\", extension_days = 30 }",
        "petition = { days = 60, count = \"calendar\", extension_days = 30 }",
    );
    assert!(text.contains("days = 60"));
    let r = c
        .post(app.url("/compliance/policy"))
        .form(&[("text", text.as_str()), ("download", "1")])
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("policy.toml")
    );
    assert_eq!(r.text().await.unwrap(), text);

    // Saving: the party-government office may check but not save; a wrong edit is not saved;
    // the organisation department's good edit is in force at once, for the pages and the CLI.
    let text = text
        .replace("name = \"default\"", "name = \"qingshan-2027\"")
        .replacen("title = \"", "title = \"青山县2027年版·", 1);
    app.add_account("dangzhengban", AccessRole::Office, Scope::County, None)
        .await;
    let office = app.login("dangzhengban", PASSWORD).await;
    let form = |t: &str| vec![("text", t.to_string()), ("save", "1".to_string())];
    let r = office
        .post(app.url("/compliance/policy"))
        .form(&form(&text))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let wrong = text.replacen("min = 1", "min = -1", 1);
    let page = c
        .post(app.url("/compliance/policy"))
        .form(&form(&wrong))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("处错误") && !page.contains("已保存"),
        "{page}"
    );
    let db = app.db().await;
    assert_eq!(
        lianxin::store::rules::saved_policy(&db).await.unwrap(),
        None
    );
    let page = c
        .post(app.url("/compliance/policy"))
        .form(&form(&text))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("已保存为第1版，自"), "{page}");
    assert_eq!(
        lianxin::store::rules::saved_policy(&db).await.unwrap(),
        Some(text.clone())
    );
    let page = c
        .get(app.url("/compliance/policy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("本县在本页保存的版本")
            && page.contains("days = 60")
            && page.contains("青山县2027年版"),
        "{page}"
    );
    let out = app.cli(&["compliance", "--year", "2026", "--as-of", "2026-12-31"]);
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(r["policy"], "qingshan-2027");
    // The report names the saved version and the day it took effect (today, by default).
    let today = lianxin::time::today().to_string();
    assert_eq!(r["versions"][0]["version"], 1, "{}", r["versions"]);
    assert_eq!(r["versions"][0]["from"], today.as_str());

    // A version dated from 1 July: a day that is no date is refused and nothing is saved; a
    // good one is kept with its day, and listed on the page.
    let dated = |from: &str| {
        vec![
            ("text", text.clone()),
            ("save", "1".to_string()),
            ("from", from.to_string()),
        ]
    };
    let page = c
        .post(app.url("/compliance/policy"))
        .form(&dated("2026-13-01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("生效日期“2026-13-01”无效") && !page.contains("已保存"),
        "{page}"
    );
    let page = c
        .post(app.url("/compliance/policy"))
        .form(&dated("2026-07-01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("已保存为第2版，自2026-07-01起生效"), "{page}");
    assert!(
        page.contains("第2版") && page.contains("2026-07-01起生效"),
        "{page}"
    );
    let versions = lianxin::store::rules::policy_versions(
        &db,
        lianxin::domain::policy::Policy::default_policy(),
    )
    .await
    .unwrap();
    let days: Vec<(Option<i32>, Option<String>)> = versions
        .iter()
        .map(|v| (v.version, v.from.map(|d| d.to_string())))
        .collect();
    assert_eq!(
        days,
        [
            (None, None),
            (Some(1), Some(today.clone())),
            (Some(2), Some("2026-07-01".to_string()))
        ]
    );
}

#[tokio::test]
async fn a_region_and_a_unit_show_who_is_behind_on_which_rule() {
    use lianxin::domain::access::{AccessRole, Scope};
    let app = spawn_app().await;
    app.load_fixture().await;
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
    let c = app.login("cunwei", PASSWORD).await;
    let page = c
        .get(app.url("/compliance/region/3509100200?year=2026&as_of=2026-12-31"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // 张三 (of 乙村) is behind on LH-2 for H001, and on LH-5 for the March visit's items.
    assert!(page.contains("乙村") && page.contains("LH-2"), "{page}");
    assert!(page.contains("/people/") && page.contains("张三"));
    assert!(
        page.contains("href=\"/items/1\""),
        "drills down to the item: {page}"
    );
    assert!(!page.contains("孙九"), "丁村's cadre is not in 乙村");
    let unit = c
        .get(app.url("/compliance/unit/V1?year=2026&as_of=2026-12-31"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(unit.contains("乙村两委") && unit.contains("张三"), "{unit}");
    // Another village's office does not see 乙村's summary.
    let other = app.login("dingcun", PASSWORD).await;
    let r = other
        .get(app.url("/compliance/region/3509100200"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_term_reaches_back_into_earlier_years() {
    use lianxin::domain::policy::Policy;
    use lianxin::domain::rules::{Status, evaluate};
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    // 张三 (村委会主任 of 乙村 since 2024-01-15): H001 visited in June 2024, H002 on the last day of
    // the first year, 14 January 2025. Judged in 2025, the 2024 record counts.
    let body = format!(
        "开始日期,结束日期,参加人身份证号,类型,对象代码,随行人数,时长(小时),内容,反映事项\n2024-06-01,,{z},入户走访,H001,,,,\n2025-01-14,,{z},入户走访,H002,,,,\n2023-12-01,,{z},入户走访,H003,,,,\n",
        z = f.zhang
    );
    let r = app.import("activities", "activities.csv", body).await;
    assert_eq!(r.status(), 200);
    let db = app.db().await;
    let policy = Policy::default_policy();
    let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let county = evaluate(
        &policy,
        &lianxin::store::rules::facts(&db, 2025).await.unwrap(),
        2025,
        day,
    );
    let cg3 = |r: &lianxin::domain::rules::Report| {
        r.results
            .iter()
            .find(|o| o.rule == "CG-3" && o.subject_code == f.zhang.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("no CG-3 row"))
    };
    let row = cg3(&county);
    assert_eq!(
        (row.status, row.actual, row.required),
        (Status::Met, 2.0, 2.0),
        "{row:?}"
    );
    // The person page reads the same earlier record.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let zhang = lianxin::store::entities::person::Entity::find()
        .filter(lianxin::store::entities::person::Column::IdNumber.eq(f.zhang.as_str()))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mine = evaluate(
        &policy,
        &lianxin::store::rules::person_facts(&db, 2025, zhang.id)
            .await
            .unwrap(),
        2025,
        day,
    );
    assert_eq!(cg3(&mine), row);
    // Judged in 2024 the first year is still open at the end of 2024 without H002.
    let r2024 = evaluate(
        &policy,
        &lianxin::store::rules::facts(&db, 2024).await.unwrap(),
        2024,
        chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
    );
    let row = cg3(&r2024);
    assert_eq!((row.status, row.actual), (Status::Pending, 1.0), "{row:?}");
}

/// The organisation department takes the report home through the API: the same rows as the
/// command line, for the year and as-of day asked, in JSON or Excel; every download audited.
#[tokio::test]
async fn the_report_is_downloaded_through_the_api_for_a_chosen_day() {
    use lianxin::domain::access::{AccessRole, Scope};
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account("zuzhibu", AccessRole::OrgDept, Scope::County, None)
        .await;
    app.add_account("ganbu", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let org = app.login("zuzhibu", PASSWORD).await;
    let r = org
        .get(app.url("/api/v1/compliance?year=2026&as_of=2026-12-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["as_of"], "2026-12-01");
    let cli = app.cli(&[
        "compliance",
        "--year",
        "2026",
        "--as-of",
        "2026-12-01",
        "--format",
        "json",
    ]);
    let from_cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(
        v["results"], from_cli["results"],
        "the same rows as the CLI"
    );
    // Another day is another report (periods still running are pending).
    let early: Value = org
        .get(app.url("/api/v1/compliance?year=2026&as_of=2026-03-01"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(early["as_of"], "2026-03-01");
    assert!(
        early["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["status"] == "pending")
    );
    // Excel.
    let r = org
        .get(app.url("/api/v1/compliance?year=2026&format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..2], b"PK");
    // Bad input: a Chinese reason, never a crash.
    for bad in [
        "/api/v1/compliance?year=0",
        "/api/v1/compliance?year=2026&as_of=2025-05-01",
        "/api/v1/compliance?year=2026&format=pdf",
    ] {
        let r = org.get(app.url(bad)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let e: Value = r.json().await.unwrap();
        assert!(
            e["error"].as_str().unwrap().chars().any(|c| c > '\u{4e00}'),
            "{bad}: {e}"
        );
    }
    // A cadre sees only their own standing, not the county's.
    let cadre = app.login("ganbu", PASSWORD).await;
    let r = cadre
        .get(app.url("/api/v1/compliance?year=2026"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Each download is in the audit log.
    let audit = app.get_text("/admin/audit?action=export").await;
    assert!(
        audit.contains("zuzhibu") && audit.contains("compliance"),
        "{audit}"
    );
}

/// The integrity checks: records imported at the command line have no author, and the same
/// long notes on three households' records are flagged; an office sees only the records that
/// reach its town.
#[tokio::test]
async fn the_integrity_page_flags_authorless_and_pasted_records_within_reach() {
    use lianxin::domain::access::{AccessRole, Scope};
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    let note = "了解家庭生产生活情况，宣传惠民政策，征求意见建议";
    let csv = format!(
        "开始日期,参加人身份证号,类型,对象代码,内容\n2026-05-04,{z},入户走访,H001,{note}\n2026-05-05,{z},入户走访,H002,{note}\n2026-05-06,{s},入户走访,H003,{note}\n",
        z = f.zhang,
        s = f.sun
    );
    let dir = app.write_dir("more", &[("activities.csv", &csv)]);
    let out = app.cli(&["import", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = app.get_text("/integrity?year=2026").await;
    assert!(
        page.contains("导入记录无录入人") && page.contains("3条记录没有录入人"),
        "{page}"
    );
    assert!(
        page.contains("多户内容雷同") && page.contains("3户的记录内容一字不差"),
        "{page}"
    );
    // The fixture's own records came through the API as the admin: not flagged.
    assert!(!page.contains("5条记录"), "{page}");
    assert!(!page.contains("代填"), "{page}");
    // A resident's answer a staff member recorded (代填) is listed with its item.
    {
        use sea_orm::ConnectionTrait;
        app.db()
            .await
            .execute_unprepared("UPDATE ledger_item SET answered_on_behalf = TRUE WHERE id = 1")
            .await
            .unwrap();
    }
    let page = app.get_text("/integrity?year=2026").await;
    assert!(
        page.contains("群众评价由工作人员代填") && page.contains("/items/1\""),
        "{page}"
    );
    app.add_account(
        "bingzhen",
        AccessRole::Office,
        Scope::Region("3509101".into()),
        None,
    )
    .await;
    let office = app.login("bingzhen", PASSWORD).await;
    let page = office
        .get(app.url("/integrity?year=2026"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("1条记录没有录入人"), "{page}");
    assert!(!page.contains("多户内容雷同"), "{page}");
    app.add_account("zhang", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let cadre = app.login("zhang", PASSWORD).await;
    let r = cadre.get(app.url("/integrity")).send().await.unwrap();
    assert_eq!(r.status(), 403);
}
