//! Measurements run by `lianxin bench`: not tests, so a busy machine makes them slower,
//! never red. Each prints wall time and the process's peak resident memory.

use crate::domain::formats::Kind;
use crate::domain::ids::IdNumber;
use crate::domain::policy::Policy;
use crate::exchange;
use crate::store::import::{ImportFile, ImportOptions};
use chrono::{Datelike, NaiveDate};
use sea_orm::DatabaseConnection;
use std::time::Instant;

/// Peak resident memory of this process so far, in MiB (Linux; 0 elsewhere).
pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// One of /proc/self/status's memory lines, in MiB (0 where there is none).
fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn csv(kind: Kind, text: String) -> ImportFile {
    exchange::load_file(kind, &format!("{}.csv", kind.key()), text.as_bytes())
}

/// A synthetic town: `villages` villages of five groups each, `households` households
/// (one in five a hardship one) and `cadres` village cadres spread over the villages.
pub fn town_files(households: usize, cadres: usize, villages: usize) -> Vec<ImportFile> {
    let mut regions =
        String::from("区划代码,名称,层级,上级代码\n3599,测试县,县,\n3599100,测试镇,镇,3599\n");
    for v in 0..villages {
        regions.push_str(&format!("3599100{v:03},第{v}村,村,3599100\n"));
        for g in 1..=5 {
            regions.push_str(&format!("3599100{v:03}{g:03},第{g}组,组,3599100{v:03}\n"));
        }
    }
    let mut units = String::from("单位代码,单位名称,类型,所属区划\n");
    for v in 0..villages {
        units.push_str(&format!("BV{v:03},第{v}村两委,村两委,3599100{v:03}\n"));
    }
    let mut people = String::from("身份证号,姓名,单位代码,角色,所属区划\n");
    let birth = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default();
    for c in 0..cadres {
        let v = c % villages;
        let id = IdNumber::compose(
            "359910",
            birth + chrono::Duration::days((c / 900) as i64),
            (c % 900) as u32 + 1,
        )
        .map(|i| i.as_str().to_string())
        .unwrap_or_default();
        people.push_str(&format!("{id},干部{c},BV{v:03},村干部,3599100{v:03}\n"));
    }
    let mut hh = String::from("户编号,户主姓名,所属区划,类别\n");
    for h in 0..households {
        let v = h % villages;
        let g = (h / villages) % 5 + 1;
        let tag = if h % 5 == 0 { "低保户" } else { "" };
        hh.push_str(&format!("T{h:06},户主{h},3599100{v:03}{g:03},{tag}\n"));
    }
    vec![
        csv(Kind::Regions, regions),
        csv(Kind::Units, units),
        csv(Kind::People, people),
        csv(Kind::Households, hh),
    ]
}

/// The assignment proposal for a town: reading its households and cadres, proposing,
/// and writing the confirmed links.
pub async fn assignment(
    db: &DatabaseConnection,
    households: usize,
    cadres: usize,
) -> anyhow::Result<()> {
    let policy = Policy::default_policy();
    let villages = (cadres / 10).max(1);
    let started = Instant::now();
    exchange::import_files(
        db,
        Ok(town_files(households, cadres, villages)
            .into_iter()
            .map(Into::into)
            .collect()),
        "基准测试",
        &ImportOptions::at(chrono::Utc::now()),
    )
    .await
    .map_err(|e| anyhow::anyhow!("生成测试镇失败：{e:?}"))?;
    println!(
        "测试镇：{households}户，{cadres}名干部，{villages}个村（导入 {:.2} 秒）",
        started.elapsed().as_secs_f64()
    );
    let town = crate::store::registry::region(db, "3599100")
        .await?
        .ok_or_else(|| anyhow::anyhow!("测试镇不存在"))?;
    let day = NaiveDate::from_ymd_opt(chrono::Utc::now().year(), 3, 1).unwrap_or_default();
    let t = Instant::now();
    let input = crate::store::work::proposal_input(db, &policy, &town, day).await?;
    let read = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let pairs = crate::store::work::propose(&input, &Default::default());
    let propose = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let written = crate::store::work::confirm_links(
        db,
        &policy,
        &crate::store::access::Caller::operator(chrono::Utc::now()),
        &pairs,
        day,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let confirm = t.elapsed().as_secs_f64();
    let loads: Vec<usize> = {
        let mut m = std::collections::HashMap::new();
        for (_, p) in &pairs {
            *m.entry(*p).or_insert(0usize) += 1;
        }
        m.into_values().collect()
    };
    println!(
        "读取 {read:.3} 秒；生成方案 {propose:.3} 秒；确认写入 {written} 条 {confirm:.3} 秒；每人 {}–{} 户；峰值内存 {:.0} MiB",
        loads.iter().min().unwrap_or(&0),
        loads.iter().max().unwrap_or(&0),
        peak_rss_mib()
    );
    Ok(())
}

/// The county's 联户工作台账 for a year, built and written to `.xlsx`.
pub async fn ledger(db: &DatabaseConnection, year: i32) -> anyhow::Result<()> {
    let policy = Policy::default_policy();
    let day = NaiveDate::from_ymd_opt(year, 12, 31)
        .unwrap_or_default()
        .min(crate::web::view::today());
    let t = Instant::now();
    let book = crate::store::books::unit_ledger(db, &policy, None, year, day).await?;
    let build = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let bytes = exchange::write_book(&book)?;
    let write = t.elapsed().as_secs_f64();
    println!(
        "全县联户工作台账：{}行；读取和汇总 {build:.2} 秒；写成 .xlsx {write:.2} 秒（{:.1} MiB）；峰值内存 {:.0} MiB",
        book.sheets.first().map(|s| s.rows()).unwrap_or(0),
        bytes.len() as f64 / 1048576.0,
        peak_rss_mib()
    );
    Ok(())
}

/// The whole year's evaluation on the configured database: reading the facts, then
/// evaluating every rule; median of `runs`.
pub async fn compliance(
    db: &DatabaseConnection,
    policy: &Policy,
    year: i32,
    runs: usize,
    by_rule: bool,
) -> anyhow::Result<()> {
    let as_of = NaiveDate::from_ymd_opt(year, 12, 31)
        .unwrap_or_default()
        .min(crate::web::view::today());
    let mut read = Vec::new();
    let mut eval = Vec::new();
    let mut rows = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let facts = crate::store::rules::facts(db, year).await?.as_of(as_of);
        read.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let r = crate::domain::rules::evaluate(policy, &facts, year, as_of);
        eval.push(t.elapsed().as_secs_f64());
        rows = r.results.len();
    }
    if by_rule {
        // Each rule alone: what it adds to the indexes every evaluation builds first.
        println!("最慢的规则（单独评估，含建索引）：");
        let facts = crate::store::rules::facts(db, year).await?.as_of(as_of);
        let mut by_rule: Vec<(f64, String)> = policy
            .rules
            .iter()
            .map(|rule| {
                let mut one = policy.clone();
                one.rules = vec![rule.clone()];
                let t = Instant::now();
                crate::domain::rules::evaluate(&one, &facts, year, as_of);
                (t.elapsed().as_secs_f64(), rule.id.clone())
            })
            .collect();
        by_rule.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (t, id) in by_rule.iter().take(12) {
            println!("{id}\t{:.1} ms", t * 1000.0);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    // SQLite maps the database file: those pages count in the resident size but are the
    // page cache, shared and reclaimable.
    println!(
        "{year}年落实情况（截至{as_of}）：{rows}行；读取事实中位 {:.3} 秒，评估中位 {:.3} 秒（{}次）；峰值内存 {:.0} MiB（现驻留：堆 {:.0} MiB，映射的数据库文件 {:.0} MiB）",
        median(&mut read),
        median(&mut eval),
        runs.max(1),
        peak_rss_mib(),
        status_mib("RssAnon:"),
        status_mib("RssFile:"),
    );
    Ok(())
}

/// Every household-linking cadre's scorecard for the year, as the assessment page computes
/// them: the year's evaluation (read and judged), then the scorecards and the summaries per
/// unit and region; median of `runs`.
pub async fn assessment(
    db: &DatabaseConnection,
    policy: &Policy,
    year: i32,
    runs: usize,
) -> anyhow::Result<()> {
    use crate::domain::assessment::summarise;
    let as_of = NaiveDate::from_ymd_opt(year, 12, 31)
        .unwrap_or_default()
        .min(crate::web::view::today());
    let settings = policy.assessment();
    let (mut eval, mut cards_t) = (Vec::new(), Vec::new());
    let (mut cards, mut units, mut regions) = (0, 0, 0);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let facts = crate::store::rules::facts(db, year).await?.as_of(as_of);
        let report = crate::domain::rules::evaluate(policy, &facts, year, as_of);
        drop(facts);
        eval.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let all = crate::store::assessment::scorecards(
            db,
            &settings,
            &policy.integrity,
            &report,
            &crate::store::access::Visibility::everything(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        units = summarise(&all, |c| (c.unit.clone(), c.unit_name.clone()), &settings).len();
        regions = summarise(&all, |c| (c.region.clone(), c.region.clone()), &settings).len();
        cards_t.push(t.elapsed().as_secs_f64());
        cards = all.len();
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{year}年考核（截至{as_of}）：{cards}名联户干部的考核表，{units}个单位、{regions}个区划的汇总；评估全年中位 {:.3} 秒，考核表中位 {:.3} 秒（{}次）；峰值内存 {:.0} MiB",
        median(&mut eval),
        median(&mut cards_t),
        runs.max(1),
        peak_rss_mib(),
    );
    Ok(())
}

/// Fills the configured database with synthetic ledger items until it holds `count`, spread
/// over the county's households with a realistic mix of states, levels and deadlines around
/// `today` — for load-testing the inboxes (`scripts/bench-inbox.sh`). Prints a session cookie
/// of the demo town office (`dangzhengban`) for the load tool.
pub async fn items(
    db: &DatabaseConnection,
    count: usize,
    today: NaiveDate,
) -> anyhow::Result<String> {
    use crate::store::entities::{household, ledger_item, person};
    use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait, QuerySelect, TransactionTrait};
    let t = Instant::now();
    let have = ledger_item::Entity::find().count(db).await? as usize;
    let households: Vec<(String, String)> = household::Entity::find()
        .select_only()
        .column(household::Column::Code)
        .column(household::Column::RegionCode)
        .into_tuple()
        .all(db)
        .await?;
    let people: Vec<i32> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    anyhow::ensure!(
        !households.is_empty() && !people.is_empty(),
        "数据库中没有户或人员，请先生成演示县"
    );
    // A small deterministic generator: the same database gets the same items.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let statuses = [
        ("closed", 55),
        ("fed_back", 5),
        ("resolved", 5),
        ("in_progress", 15),
        ("assigned", 10),
        ("registered", 5),
        ("escalated", 5),
    ];
    let txn = db.begin().await?;
    let mut batch = Vec::with_capacity(1000);
    for i in have..count {
        let (code, region) = &households[next(households.len())];
        let mut pick = next(100);
        let status = statuses
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .map(|(s, _)| *s)
            .unwrap_or("closed");
        let level = match (status, next(10)) {
            ("escalated", 0..=6) => "town",
            ("escalated", _) => "county",
            (_, 0) => "town",
            _ => "village",
        };
        let registered = today - chrono::Duration::days(next(365) as i64);
        let deadline = registered + chrono::Duration::days(15 + next(30) as i64);
        let done = matches!(status, "closed" | "fed_back" | "resolved");
        batch.push(ledger_item::ActiveModel {
            ledger: Set(["livelihood", "hardship", "stability"][next(3)].into()),
            household_code: Set(Some(code.clone())),
            region_code: Set(region.clone()),
            source: Set(["visit", "reception", "hotline", "letter"][next(4)].into()),
            matter: Set(format!("压测事项 {i}：道路、饮水、低保或邻里纠纷")),
            status: Set(status.into()),
            level: Set(level.into()),
            owner_person_id: Set((status != "registered").then(|| people[next(people.len())])),
            registered_on: Set(registered),
            deadline: Set(Some(deadline)),
            closed_on: Set((status == "closed").then_some(deadline)),
            clock: Set("item".into()),
            supervised: Set(!done && next(30) == 0),
            resolution: Set(done.then(|| "已办理".to_string())),
            feedback_token: Set(Some(crate::store::ledger::new_token())),
            ..Default::default()
        });
        if batch.len() == 1000 {
            ledger_item::Entity::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(&txn)
                .await?;
        }
    }
    if !batch.is_empty() {
        ledger_item::Entity::insert_many(batch)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    println!(
        "台账事项：原有 {have}，补足到 {count}；用时 {:.1} 秒；峰值内存 {:.0} MiB",
        t.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
    let (token, _) = crate::store::access::login(
        db,
        "dangzhengban",
        crate::demo::DEMO_PASSWORD,
        "bench",
        chrono::Utc::now(),
        &crate::store::access::Policy::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("演示账号 dangzhengban 无法登录：{e:?}"))?;
    Ok(token)
}

/// One person's standing (what the person page and `/me` show): reading that person's facts
/// and evaluating them, for `count` people spread over the registry; median and slowest.
pub async fn person(
    db: &DatabaseConnection,
    policy: &Policy,
    year: i32,
    count: usize,
) -> anyhow::Result<()> {
    use crate::store::entities::person;
    use sea_orm::{EntityTrait, QuerySelect};
    let ids: Vec<i32> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    anyhow::ensure!(!ids.is_empty(), "数据库中没有人员，请先生成演示县");
    let step = (ids.len() / count.max(1)).max(1);
    let as_of = NaiveDate::from_ymd_opt(year, 12, 31)
        .unwrap_or_default()
        .min(crate::web::view::today());
    let mut times = Vec::new();
    let mut rows = 0;
    for id in ids.iter().step_by(step).take(count) {
        let t = Instant::now();
        let facts = crate::store::rules::person_facts(db, year, *id)
            .await?
            .as_of(as_of);
        let r = crate::domain::rules::evaluate(policy, &facts, year, as_of);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        rows += r.results.len();
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "单人落实情况（{}人，共{rows}行）：中位 {:.1} 毫秒，最慢 {:.1} 毫秒；峰值内存 {:.0} MiB",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1],
        peak_rss_mib()
    );
    Ok(())
}
