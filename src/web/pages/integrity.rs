//! The integrity checks' flags, for the office and the organisation department.

use super::render;
use crate::domain::access::Capability;
use crate::domain::integrity::Flag;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::access::Caller;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use chrono::Datelike;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/integrity", get(index))
}

#[derive(Deserialize, Default)]
struct Year {
    year: Option<i32>,
}

#[derive(Template)]
#[template(path = "integrity/index.html")]
struct Page {
    year: i32,
    groups: Vec<(&'static str, Vec<Flag>)>,
    names: HashMap<i32, String>,
}

impl Page {
    fn name(&self, id: &i32) -> String {
        self.names.get(id).cloned().unwrap_or_default()
    }
}

async fn index(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<Year>,
) -> Result<Html<String>, AppError> {
    if !caller.can(Capability::ManageLinks) {
        return Err(AppError::Forbidden);
    }
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| crate::time::today().year());
    let vis = caller.visibility_for(Capability::ManageLinks);
    let flags = crate::store::integrity::flags(&s.db, &vis, &s.policy().integrity, year).await?;
    let names = crate::store::integrity::names(&s.db, &flags).await?;
    let mut groups: Vec<(&'static str, Vec<Flag>)> = Vec::new();
    for f in flags {
        match groups.iter_mut().find(|(c, _)| *c == f.check.zh()) {
            Some((_, v)) => v.push(f),
            None => groups.push((f.check.zh(), vec![f])),
        }
    }
    render(&Page {
        year,
        groups,
        names,
    })
}
