//! 连心 lianxin: the working system for party members and cadres directly contacting
//! and serving the masses. See README.md.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)
)]

pub mod bench;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod exchange;
pub mod print;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod web;
