//! Rules and types of lianxin. Nothing here knows about HTTP or a database.
pub mod formats;
pub mod ids;
pub mod labels;
pub mod text;
