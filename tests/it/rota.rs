//! Rotas through the command line and the public page: the county leaders' Thursdays of 2026
//! planned on the official calendar (three holidays fall on Thursdays), two
//! slots swapped, one reception recorded by the leader planned and one by someone else; the
//! report judges XF-2 week by week; the leader's calendar parses in an independent parser and
//! shows the swapped slot with a higher SEQUENCE.

use crate::helpers::*;
use serde_json::Value;
use std::collections::HashMap;

/// Three county leaders in the county government.
async fn leaders(app: &TestApp) -> Vec<String> {
    let ids: Vec<String> = [
        "35099919700101011",
        "35099919710202022",
        "35099919720303033",
    ]
    .iter()
    .map(|f| id(f))
    .collect();
    let r = app
        .import(
            "units",
            "units.csv",
            "单位代码,单位名称,类型,所属区划,上级单位,标签,监督电话\nZF,青山县人民政府,县四大班子,3509,,,0598-12388\n".to_string(),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let mut people = String::from(
        "身份证号,姓名,手机号,单位代码,职务,角色,所属区划,责任片区,任期开始,基层工作经历,所属党支部\n",
    );
    for (i, (n, who)) in ids.iter().zip(["周一", "吴二", "郑三"]).enumerate() {
        people.push_str(&format!(
            "{n},{who},1390000000{i},ZF,副县长,县级党政领导,3509,,,,\n"
        ));
    }
    // And a deputy head of the county public security bureau (a heavy-petition unit, XF-5).
    people.push_str(&format!(
        "{},钱副局,13900000009,D1,副局长,县直单位领导班子成员,3509,,,,\n",
        id("35099919730404044")
    ));
    let r = app.import("people", "people.csv", people).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    ids
}

fn run(app: &TestApp, args: &[&str]) -> String {
    let out = app.cli(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_county_leaders_thursdays_are_planned_swapped_kept_and_missed() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let ids = leaders(&app).await;
    let plan = |app: &TestApp| {
        run(
            app,
            &[
                "rota",
                "plan",
                "--rule",
                "XF-2",
                "--scope",
                "3509",
                "--from",
                "2026-01-01",
                "--to",
                "2026-12-31",
            ],
        )
    };
    let out = plan(&app);
    // One line per slot: the day, the leader's ID number and name, the slot.
    let slots: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    // 53 Thursdays in 2026 less New Year's Day, the Spring Festival's Thursday and National
    // Day (holidays on the official calendar).
    assert_eq!(slots.len(), 50, "{out}");
    for holiday in ["2026-01-01", "2026-02-19", "2026-10-01"] {
        assert!(!out.contains(holiday), "{holiday}: {out}");
    }
    let mut per: HashMap<&str, usize> = HashMap::new();
    for s in &slots {
        assert_eq!(s.len(), 4, "{s:?}");
        *per.entry(s[1]).or_default() += 1;
    }
    assert_eq!(per.len(), 3);
    let (lo, hi) = (per.values().min().unwrap(), per.values().max().unwrap());
    assert!(hi - lo <= 1, "fair within one: {per:?}");
    // Planning again changes nothing.
    assert_eq!(plan(&app), out);

    // Swap the slots of 8 and 15 January.
    let slot = |day: &str| slots.iter().find(|s| s[0] == day).unwrap().clone();
    let (jan8, jan15) = (slot("2026-01-08"), slot("2026-01-15"));
    assert_ne!(jan8[1], jan15[1]);
    let num = |s: &[&str]| s[3].trim_start_matches("班次").to_string();
    run(&app, &["rota", "swap", &num(&jan8), &num(&jan15)]);
    let after = plan(&app);
    assert!(
        after.contains(&format!("2026-01-08\t{}", jan15[1])),
        "{after}"
    );

    // The leader now on 8 January receives the public; on the 15th someone else does.
    let other = ids
        .iter()
        .find(|i| *i != jan8[1] && *i != jan15[1])
        .unwrap();
    let acts = format!(
        "开始日期,结束日期,参加人身份证号,类型,对象代码,随行人数,时长(小时),内容,反映事项\n2026-01-08,,{},接访,3509,,3,公开接访,\n2026-01-15,,{other},接访,3509,,3,公开接访,\n",
        jan15[1]
    );
    let r = app.import("activities", "activities.csv", acts).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let report: Value = serde_json::from_str(&run(
        &app,
        &[
            "compliance",
            "--year",
            "2026",
            "--as-of",
            "2026-01-31",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let week = |w: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["rule"] == "XF-2" && o["period"] == w)
            .unwrap_or_else(|| panic!("no XF-2 row for {w}"))["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(week("2026-W02"), "met", "kept by the leader planned");
    assert_eq!(week("2026-W03"), "unmet", "received by someone not planned");
    // The week of New Year's Day has no reception to keep.
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| !(o["rule"] == "XF-2" && o["period"] == "2026-W01"))
    );

    // The next person: the office's inbox on 20 January names the missed slot of the 15th
    // (whoever was planned after the swap), not the kept one of the 8th.
    let inbox = app.get_text("/inbox?date=2026-01-20").await;
    let missed: Vec<&str> = inbox.split("<tr>").filter(|r| r.contains("缺岗")).collect();
    assert_eq!(missed.len(), 1, "{inbox}");
    assert!(
        missed[0].contains("2026-01-15") && missed[0].contains(jan8[2]),
        "{}",
        missed[0]
    );

    // The leader's calendar: the swapped slot has SEQUENCE 1, the others 0.
    let ics = run(&app, &["rota", "ics", "--person", jan15[1]]);
    let file = app.path("leader.ics");
    std::fs::write(&file, &ics).unwrap();
    let out = std::process::Command::new("bash")
        .args(["scripts/check-ics.sh", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed = String::from_utf8(out.stdout).unwrap();
    let line = parsed
        .lines()
        .find(|l| l.contains("2026-01-08T09:00:00+08:00"))
        .unwrap_or_else(|| panic!("{parsed}"));
    assert!(
        line.contains(&format!("rota-slot-{}@lianxin\t1\tCONFIRMED", num(&jan8))),
        "{line}"
    );
    assert!(
        parsed.lines().filter(|l| l.contains("\t0\t")).count() >= 15,
        "{parsed}"
    );

    // Published without login: names and place, the supervision phone, no ID numbers.
    let page = plain_client()
        .get(app.url("/rota/3509"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("县级领导周四接访")
            && text.contains("县信访局群众接待大厅")
            && text.contains("0598-12388"),
        "{text}"
    );
    assert!(full_id_numbers(&text).is_empty(), "{text}");
    // The notice for the office door, as a PDF.
    let pdf = plain_client()
        .get(app.url("/rota/3509?format=pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let file = app.path("notice.pdf");
    std::fs::write(&file, pdf.bytes().await.unwrap()).unwrap();
    let text = std::process::Command::new("pdftotext")
        .args([file.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("青山县公开排班表") && text.contains("0598-12388"),
        "{text}"
    );

    // The county government's calendar feed: every slot of its people, by a secret URL that
    // a renewal retires.
    let (st, page) = post_form(&app.client, app.url("/rotas/feed"), &[("unit", "ZF")]).await;
    assert_eq!(st, 200, "{page}");
    let url = page
        .split("<code>")
        .nth(1)
        .and_then(|x| x.split("</code>").next())
        .unwrap()
        .to_string();
    let path = &url[url.find("/calendar/").unwrap()..];
    let feed = plain_client().get(app.url(path)).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    let body = feed.text().await.unwrap();
    assert_eq!(
        body.matches("BEGIN:VEVENT").count(),
        50,
        "every slot of the unit's people"
    );
    let (_, again) = post_form(
        &app.client,
        app.url("/rotas/feed"),
        &[("unit", "ZF"), ("renew", "1")],
    )
    .await;
    assert!(!again.contains(path), "a new address");
    assert_eq!(
        plain_client()
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // A unit's rota: the bureau's leaders every working day of a week; published under its
    // code.
    let out = run(
        &app,
        &[
            "rota",
            "plan",
            "--rule",
            "XF-5",
            "--scope",
            "D1",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-07",
        ],
    );
    assert_eq!(out.lines().count(), 5, "{out}");
    assert!(out.lines().all(|l| l.contains("钱副局")), "{out}");
    let text = plain_client()
        .get(app.url("/rota/D1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("县公安局公开排班表") && text.contains("钱副局"),
        "{text}"
    );

    // Leave entered on the office's page: the leader's Thursday goes to someone else, and only
    // that slot changes.
    let rota_id = {
        use lianxin::store::entities::rota;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        rota::Entity::find()
            .filter(rota::Column::Rule.eq("XF-2"))
            .one(&app.db().await)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let before = plan(&app);
    let dec3 = before
        .lines()
        .find(|l| l.starts_with("2026-12-03"))
        .unwrap()
        .to_string();
    let on_leave = dec3.split('\t').nth(1).unwrap().to_string();
    let pid = person_id(&app, dec3.split('\t').nth(2).unwrap())
        .await
        .to_string();
    let (st, to) = post_form(
        &app.client,
        app.url(&format!("/rotas/{rota_id}/leave")),
        &[
            ("person", &pid),
            ("from", "2026-12-03"),
            ("to", "2026-12-03"),
            ("note", "外出学习"),
        ],
    )
    .await;
    assert_eq!(st, 303, "{to}");
    let after = plan(&app);
    let now = after.lines().find(|l| l.starts_with("2026-12-03")).unwrap();
    assert!(!now.contains(&on_leave), "{now}");
    let unchanged = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.starts_with("2026-12-03"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(unchanged(&before), unchanged(&after));

    // A bad rule is named, with the rules that have rotas.
    let out = app.cli(&[
        "rota",
        "plan",
        "--rule",
        "XF-99",
        "--scope",
        "3509",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("没有“XF-99”的排班"),
        "{out:?}"
    );
}
