//! The survey, the spot checks and the assessment, through the front door: one survey from
//! design to circulation with answers by phone, on the resident's page and on paper; one
//! spot-check round whose record not confirmed stops counting until the office decides; and
//! one assessment whose scorecard is worked out again here from the report and the answers.

use crate::helpers::*;
use lianxin::store::entities::{audit, survey_answer, survey_sample, survey_subject};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use std::collections::HashMap;

async fn page(client: &reqwest::Client, url: String) -> (u16, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The report as of today, through the command line.
fn report(app: &TestApp) -> Vec<Value> {
    let out = app.cli(&["compliance", "--year", "2026", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    r["results"].as_array().unwrap().clone()
}

fn rows<'a>(report: &'a [Value], rule: &str, subject: &str) -> Vec<&'a Value> {
    report
        .iter()
        .filter(|o| o["rule"] == rule && o["subject_code"] == subject)
        .collect()
}

fn status(report: &[Value], rule: &str, subject: &str) -> String {
    let r = rows(report, rule, subject);
    assert_eq!(r.len(), 1, "{rule} {subject}: {r:?}");
    r[0]["status"].as_str().unwrap().to_string()
}

/// Subject ids of the survey by kind and code.
async fn subjects(app: &TestApp, survey: i32) -> HashMap<(String, String), i32> {
    survey_subject::Entity::find()
        .filter(survey_subject::Column::SurveyId.eq(survey))
        .all(&app.db().await)
        .await
        .unwrap()
        .into_iter()
        .map(|s| ((s.kind, s.code), s.id))
        .collect()
}

fn sheet(bytes: Vec<u8>, name: &str) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
    let range = wb.worksheet_range(name).expect("sheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn a_survey_from_design_to_circulation_then_spot_checks_and_the_assessment() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    let admin = &app.client;
    let zhang = person_id(&app, "张三").await;
    let sun = person_id(&app, "孙九").await;

    // Design: the registry's teams (county, two towns), the law-enforcement unit and the two
    // linked cadres; with ten per subject and three households, every household is drawn.
    let (st, to) = post_form(
        admin,
        app.url("/surveys"),
        &[
            ("name", "2026年度民意调查"),
            ("year", "2026"),
            ("seed", "20261201"),
        ],
    )
    .await;
    assert_eq!(st, 303, "{to}");
    let id: i32 = to.trim_start_matches("/surveys/").parse().unwrap();
    let subj = subjects(&app, id).await;
    let key = |k: &str, c: &str| subj[&(k.to_string(), c.to_string())];
    assert_eq!(subj.len(), 6, "{subj:?}");
    let sample = survey_sample::Entity::find()
        .filter(survey_sample::Column::SurveyId.eq(id))
        .all(&app.db().await)
        .await
        .unwrap();
    assert_eq!(sample.len(), 3, "no household twice");
    // A bad seed is refused, naming the field, and nothing is written.
    let (st, body) = post_form(
        admin,
        app.url("/surveys"),
        &[("name", "另一次"), ("year", "2026"), ("seed", "-1")],
    )
    .await;
    assert_eq!(st, 422);
    assert!(body.contains("随机种子"), "{body}");

    // Phone: the caller sees the phone masked until revealed, and the reveal is audited.
    let url = app.url(&format!("/surveys/{id}/households/H001"));
    let (st, body) = page(admin, url.clone()).await;
    assert_eq!(st, 200);
    assert!(
        body.contains("县民意调查") && !body.contains("13700001111"),
        "{body}"
    );
    let (st, body) = post_form(admin, format!("{url}/reveal"), &[]).await;
    assert_eq!(st, 200);
    assert!(body.contains("13700001111"), "{body}");
    let audited = audit::Entity::find()
        .filter(audit::Column::Action.eq("reveal"))
        .filter(audit::Column::Target.eq("household:H001"))
        .all(&app.db().await)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    let q = |k: &str, c: &str| format!("q{}", key(k, c));
    let phone = [
        (q("team", "3509"), "satisfied"),
        (q("team", "3509100"), "satisfied"),
        (q("unit", "D1"), "dissatisfied"),
        (q("cadre", &zhang.to_string()), "satisfied"),
    ];
    let mut form: Vec<(&str, &str)> = phone.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    form.push(("channel", "phone"));
    for _ in 0..2 {
        let (st, to) = post_form(admin, url.clone(), &form).await;
        assert_eq!(st, 303, "{to}");
    }
    // A different answer to a question answered is refused, the choices kept.
    let changed = [(phone[3].0.as_str(), "dissatisfied"), ("channel", "phone")];
    let (st, body) = post_form(admin, url.clone(), &changed).await;
    assert_eq!(st, 422);
    assert!(body.contains("不能改答"), "{body}");

    // The resident's page: the household's card opens the questionnaire.
    let r = admin
        .get(app.url("/cards/print?region=3509100200"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h002 = card_secret(&app, "H002").await;
    let resident = plain_client();
    let (_, home) = page(&resident, app.url(&format!("/k/{h002}"))).await;
    assert!(home.contains("2026年度民意调查"), "{home}");
    let mine = [
        (q("team", "3509"), "basically_satisfied"),
        (q("team", "3509100"), "basically_satisfied"),
        (q("unit", "D1"), "satisfied"),
        (q("cadre", &zhang.to_string()), "basically_satisfied"),
    ];
    let form: Vec<(&str, &str)> = mine.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let (st, to) = post_form(&resident, app.url(&format!("/k/{h002}/survey")), &form).await;
    assert_eq!((st, to), (303, format!("/k/{h002}?done=survey")));
    // And the yearly rating of the cadre on the same page: 不满意.
    let (st, _) = post_form(
        &resident,
        app.url(&format!("/k/{h002}/rating")),
        &[("rating", "不满意")],
    )
    .await;
    assert_eq!(st, 303);

    // Paper: the office enters H003's questionnaire.
    let paper = [
        (q("team", "3509"), "satisfied"),
        (q("team", "3509101"), "satisfied"),
        (q("unit", "D1"), "satisfied"),
        (q("cadre", &sun.to_string()), "dissatisfied"),
    ];
    let mut form: Vec<(&str, &str)> = paper.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    form.push(("channel", "paper"));
    let (st, _) = post_form(
        admin,
        app.url(&format!("/surveys/{id}/households/H003")),
        &form,
    )
    .await;
    assert_eq!(st, 303);
    let answers = survey_answer::Entity::find()
        .filter(survey_answer::Column::SurveyId.eq(id))
        .all(&app.db().await)
        .await
        .unwrap();
    let by = |c: &str| answers.iter().filter(|a| a.channel == c).count();
    assert_eq!(
        (answers.len(), by("phone"), by("resident"), by("paper")),
        (12, 4, 4, 4)
    );

    // Closed until closed.
    let (st, body) = page(admin, app.url(&format!("/surveys/{id}/results"))).await;
    assert_eq!(st, 403);
    assert!(body.contains("调查结束前不公布结果"), "{body}");
    let pj = report(&app);
    assert_eq!(status(&pj, "PJ-1", "3509"), "pending");
    let (st, _) = post_form(admin, app.url(&format!("/surveys/{id}/close")), &[]).await;
    assert_eq!(st, 303);
    let (st, body) = post_form(
        admin,
        app.url(&format!("/surveys/{id}/households/H003")),
        &[
            (q("team", "3509101").as_str(), "satisfied"),
            ("channel", "paper"),
        ],
    )
    .await;
    assert_eq!(st, 422);
    assert!(body.contains("已经结束"), "{body}");

    // Results: the page, the workbook with every subject's counts, and the PDF.
    let (st, body) = page(admin, app.url(&format!("/surveys/{id}/results"))).await;
    assert_eq!(st, 200);
    assert!(
        body.contains("样本不足") && body.contains("县公安局"),
        "{body}"
    );
    let bytes = admin
        .get(app.url(&format!("/surveys/{id}/results?format=xlsx")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let table = sheet(bytes, "结果");
    let row = |name: &str| {
        table
            .iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no {name}: {table:?}"))
            .clone()
    };
    // 县公安局: three answers, one dissatisfied: 66.7% satisfied.
    assert_eq!(&row("县公安局")[3..8], ["3", "2", "0", "1", "66.7"]);
    assert_eq!(&row("张三")[3..8], ["2", "1", "1", "0", "100"]);
    assert_eq!(row("张三")[9], "样本不足");
    let pdf = admin
        .get(app.url(&format!("/surveys/{id}/results?format=pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));

    // PJ-1 met on closing (every team, the unit; the fixture has no contact point), PJ-2 on
    // circulation.
    let pj = report(&app);
    assert_eq!(status(&pj, "PJ-1", "3509"), "met");
    assert_eq!(status(&pj, "PJ-2", "3509"), "pending");
    let (st, _) = post_form(admin, app.url(&format!("/surveys/{id}/circulate")), &[]).await;
    assert_eq!(st, 303);
    assert_eq!(status(&report(&app), "PJ-2", "3509"), "met");

    // Spot checks: a county-wide round draws the one household visit (shared by 张三 and
    // 李四, drawn once).
    let today = lianxin::time::today().to_string();
    let (st, to) = post_form(
        admin,
        app.url("/spot-checks"),
        &[
            ("region", "3509"),
            ("from", "2026-01-01"),
            ("to", &today),
            ("per_cadre", "2"),
        ],
    )
    .await;
    assert_eq!(st, 303, "{to}");
    let round: i32 = to.trim_start_matches("/spot-checks/").parse().unwrap();
    let checks = lianxin::store::spot_checks::checks(&app.db().await, round)
        .await
        .unwrap();
    assert_eq!(checks.len(), 1);
    let check = checks[0].check.id;
    let visits_of = |r: &[Value]| -> f64 {
        rows(r, "LH-2", &f.zhang)
            .iter()
            .find(|o| o["target_code"] == "H001")
            .map(|o| o["actual"].as_f64().unwrap())
            .unwrap()
    };
    let before = visits_of(&report(&app));
    let check_url = app.url(&format!("/spot-checks/{round}/checks/{check}"));
    let (st, _) = post_form(
        admin,
        check_url.clone(),
        &[
            ("method", "phone"),
            ("outcome", "not_confirmed"),
            ("note", "户主说当天没人来"),
        ],
    )
    .await;
    assert_eq!(st, 303);
    let disputed = report(&app);
    assert_eq!(
        visits_of(&disputed),
        before - 1.0,
        "not confirmed: it stops counting"
    );
    // PJ-3: a round by phone only is not yet enough for a town.
    assert_eq!(rows(&disputed, "PJ-3", "3509100")[0]["actual"], 2.0);
    let (st, _) = post_form(
        admin,
        check_url,
        &[("decision", "counts"), ("note", "核实为记错日期")],
    )
    .await;
    assert_eq!(st, 303);
    assert_eq!(
        visits_of(&report(&app)),
        before,
        "the office decided it counts"
    );
    // A second round in 甲镇, checked in the field: PJ-3 met there, not in 丙镇.
    let (st, to) = post_form(
        admin,
        app.url("/spot-checks"),
        &[
            ("region", "3509100"),
            ("from", "2026-01-01"),
            ("to", &today),
            ("per_cadre", "1"),
        ],
    )
    .await;
    assert_eq!(st, 303, "{to}");
    let round2: i32 = to.trim_start_matches("/spot-checks/").parse().unwrap();
    let c2 = lianxin::store::spot_checks::checks(&app.db().await, round2)
        .await
        .unwrap()[0]
        .check
        .id;
    let (st, _) = post_form(
        admin,
        app.url(&format!("/spot-checks/{round2}/checks/{c2}")),
        &[("method", "field"), ("outcome", "confirmed")],
    )
    .await;
    assert_eq!(st, 303);
    // A check without its method is refused in Chinese.
    let (st, body) = post_form(
        admin,
        app.url(&format!("/spot-checks/{round2}/checks/{c2}")),
        &[("outcome", "confirmed")],
    )
    .await;
    assert_eq!(st, 422);
    assert!(body.contains("核实方式"), "{body}");

    // Deliver H001's card, so that LH-3 has a met row for 张三.
    let (st, _) = post_form(
        admin,
        app.url("/cards/deliveries"),
        &[("holder", "household"), ("codes", "H001"), ("on", &today)],
    )
    .await;
    assert_eq!(st, 303);
    let r = report(&app);
    assert_eq!(status(&r, "PJ-3", "3509100"), "met");
    assert_eq!(status(&r, "PJ-3", "3509101"), "pending");

    // The assessment: 张三's scorecard, worked out again from the report and the answers.
    let share = |rule: &str| -> Vec<f64> {
        rows(&r, rule, &f.zhang)
            .iter()
            .map(|o| {
                if o["status"] == "met" {
                    1.0
                } else {
                    (o["actual"].as_f64().unwrap() / o["required"].as_f64().unwrap()).min(1.0)
                }
            })
            .collect()
    };
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64 * 100.0;
    let visits = mean([share("LH-2"), share("LH-4")].concat());
    let cards = mean(share("LH-3"));
    assert_eq!(cards, 50.0, "H001 delivered, H002 not yet");
    // Satisfaction: the phone answer (满意), the resident's (基本满意), the rating (不满意).
    let satisfaction = 2.0 / 3.0 * 100.0;
    // Spot checks: two checks of his visit, both standing (confirmed, decided to count).
    let spot = 100.0;
    // No answered item: problems solved has nothing to count and is left out.
    let total = (visits * 30.0 + cards * 15.0 + satisfaction * 25.0 + spot * 10.0) / 80.0;
    let bytes = admin
        .get(app.url("/assessment?year=2026&format=xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let cards_sheet = sheet(bytes, "联户干部");
    let mine = cards_sheet
        .iter()
        .find(|r| r[0] == "张三")
        .expect("张三's scorecard");
    assert_eq!(
        mine[9],
        format!("{}", (total * 10.0).round() / 10.0),
        "{mine:?}"
    );
    assert_eq!(mine[5], "—");
    assert_eq!(mine[11], "问题解决");
    let (st, body) = page(admin, app.url("/assessment")).await;
    assert_eq!(st, 200);
    assert!(body.contains("张三") && body.contains("按单位"), "{body}");

    // Issued: PJ-4 met for 张三 (visits, cards and satisfaction counted).
    assert_eq!(status(&report(&app), "PJ-4", &f.zhang), "pending");
    let (st, _) = post_form(admin, app.url("/assessment/issue"), &[("year", "2026")]).await;
    assert_eq!(st, 303);
    assert_eq!(status(&report(&app), "PJ-4", &f.zhang), "met");
}
