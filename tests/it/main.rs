//! One integration-test binary. Every test starts the real app on a random port with
//! a fresh database: SQLite by default, PostgreSQL when `LIANXIN_TEST_DATABASE_URL`
//! names one (each test then gets its own database, dropped at the end).

mod access;
mod backup;
mod browser;
mod cards;
mod cli;
mod community;
mod decisions;
mod exchange;
mod helpers;
mod ledger;
mod registry;
mod rota;
mod rules;
mod survey;
mod work;
