//! Criterion benchmark of the rule engine on a demo county imported into a fresh SQLite file:
//! reading the year's facts, evaluating the whole policy, and one person's standing.
//!   cargo bench --bench compliance                      (the small demo)
//!   LIANXIN_BENCH_SIZE=county cargo bench --bench compliance
//! `lianxin bench compliance` and `lianxin bench person` measure the same on any database.

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use lianxin::demo::{Size, generate};
use lianxin::domain::policy::Policy;
use lianxin::domain::rules::evaluate;
use lianxin::store::import::ImportOptions;
use std::hint::black_box;

fn compliance(c: &mut Criterion) {
    let size = match std::env::var("LIANXIN_BENCH_SIZE").as_deref() {
        Ok("county") => Size::County,
        Ok("large") => Size::Large,
        _ => Size::Small,
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    let db = rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let db = lianxin::store::connect(&url).await.expect("connect");
        lianxin::store::migrate(&db).await.expect("migrate");
        let files = Ok(generate(size, today).import_files());
        lianxin::exchange::import_files(
            &db,
            files,
            "bench",
            &ImportOptions::at(chrono::Utc::now()),
        )
        .await
        .map_err(|_| "import failed")
        .expect("demo imported");
        db
    });
    let policy = Policy::default_policy();
    let facts = rt
        .block_on(lianxin::store::rules::facts(&db, 2026))
        .expect("facts");
    let someone = facts
        .people
        .iter()
        .find(|p| facts.links.iter().any(|l| l.person == Some(p.id)))
        .map(|p| p.id)
        .expect("a person with links");
    let name = format!("{size:?}").to_lowercase();
    let mut g = c.benchmark_group(format!("compliance/{name}"));
    g.sample_size(10);
    g.bench_function("read the year's facts", |b| {
        b.iter(|| {
            rt.block_on(lianxin::store::rules::facts(&db, 2026))
                .expect("facts")
        })
    });
    g.bench_function("evaluate every rule", |b| {
        b.iter(|| evaluate(&policy, black_box(&facts), 2026, today))
    });
    g.bench_function("one person's standing", |b| {
        b.iter(|| {
            let f = rt
                .block_on(lianxin::store::rules::person_facts(&db, 2026, someone))
                .expect("facts");
            evaluate(&policy, &f, 2026, today)
        })
    });
    g.finish();
}

criterion_group!(benches, compliance);
criterion_main!(benches);
