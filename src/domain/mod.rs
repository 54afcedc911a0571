//! Rules and types of lianxin. Nothing here knows about HTTP or a database.
#[macro_use]
pub mod labels;
pub mod access;
pub mod assessment;
pub mod books;
pub mod calendar;
pub mod cards;
pub mod decision;
pub mod formats;
pub mod ids;
pub mod integrity;
pub mod ledger;
pub mod policy;
pub mod rota;
pub mod rules;
pub mod survey;
pub mod text;
pub mod work;
