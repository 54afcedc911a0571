//! Decision records 三问决策 (DY-7) for the office: a body's major decisions of a year, each with
//! its records of asking the people before, during and after, and what it still lacks. A form
//! refused keeps what was typed.

use super::{Forms, form_date, render, year_of};
use crate::domain::access::Capability;
use crate::domain::labels::DecisionStage;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::access::Caller;
use crate::store::decisions::{self as store, DecisionView, NewConsultation, NewDecision};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/decisions", get(index).post(create))
        .route("/decisions/{id}/consultations", post(consult))
        .route("/decisions/{id}/completion", post(complete))
}

/// What was typed into a refused form, shown again under its error.
#[derive(Deserialize, Default, Clone)]
struct Draft {
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    completed_on: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    asked: String,
    #[serde(default)]
    said: String,
    #[serde(default)]
    changed: String,
    #[serde(default)]
    client_key: String,
}

#[derive(Template)]
#[template(path = "decision/index.html")]
struct Page {
    year: i32,
    this_year: i32,
    bodies: Vec<(String, String)>,
    decisions: Vec<DecisionView>,
    stages: &'static [DecisionStage],
    forms: Forms<Draft>,
}

impl Page {
    fn draft(&self, of: Option<i32>) -> &Draft {
        self.forms.draft(of)
    }
    fn error(&self, of: Option<i32>) -> Option<&str> {
        self.forms.error(of)
    }
    fn key_of(&self, of: Option<i32>) -> String {
        let d = self.draft(of);
        if d.client_key.is_empty() {
            format!("{}-{}", self.forms.key, of.unwrap_or(0))
        } else {
            d.client_key.clone()
        }
    }
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<i32>,
}

async fn page(
    s: &AppState,
    caller: &Caller,
    year: i32,
    refused: Option<(Option<i32>, String, Draft)>,
) -> Result<Page, AppError> {
    crate::web::auth::require(caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    Ok(Page {
        year,
        this_year: crate::time::beijing_date(caller.now).year(),
        bodies: store::bodies(&s.db, &vis).await?,
        decisions: store::list(&s.db, &vis, year, store::At::of(&s.policy(), caller.now)).await?,
        stages: DecisionStage::ALL,
        forms: Forms::new(refused),
    })
}

async fn index(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = year_of(&caller, q.year)?;
    Ok(render(&page(&s, &caller, year, None).await?)?.into_response())
}

/// The page again with the refused form's error and values, or the saved decision.
async fn answer(
    s: &AppState,
    caller: &Caller,
    which: Option<i32>,
    draft: Draft,
    res: Result<DecisionView, StoreError>,
) -> Result<Response, AppError> {
    match res {
        Ok(v) => {
            s.forget_reports().await;
            Ok(Redirect::to(&format!(
                "/decisions?year={}#d{}",
                v.decided_on.year(),
                v.id
            ))
            .into_response())
        }
        Err(StoreError::Invalid(e)) => {
            let year = draft
                .decided_on
                .parse::<NaiveDate>()
                .map(|d| d.year())
                .unwrap_or_else(|_| crate::time::beijing_date(caller.now).year());
            let year = match which {
                Some(id) => store::one(
                    &s.db,
                    &caller.visibility_for(Capability::ManageLinks),
                    id,
                    store::At::of(&s.policy(), caller.now),
                )
                .await
                .map(|v| v.decided_on.year())
                .unwrap_or(year),
                None => year,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&page(s, caller, year.clamp(2000, 2100), Some((which, e, draft))).await?)?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let res = async {
        let completed_on = match f.completed_on.trim() {
            "" => None,
            c => Some(form_date("实施完成日期", c)?),
        };
        let d = NewDecision {
            unit_code: f.unit_code.clone(),
            title: f.title.clone(),
            decided_on: form_date("决策日期", &f.decided_on)?,
            completed_on,
            client_key: f.client_key.clone(),
        };
        store::create(
            &s.db,
            &vis,
            &caller.display_name,
            store::At::of(&s.policy(), caller.now),
            &d,
        )
        .await
    }
    .await;
    answer(&s, &caller, None, f, res).await
}

async fn consult(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let res = async {
        let stage = DecisionStage::from_code(&f.stage).ok_or_else(|| {
            StoreError::Invalid("环节：请选择事前问需、事中问计或事后问效".into())
        })?;
        let c = NewConsultation {
            stage,
            held_on: form_date("日期", &f.held_on)?,
            asked: f.asked.clone(),
            said: f.said.clone(),
            changed: f.changed.clone(),
            client_key: f.client_key.clone(),
        };
        store::consult(
            &s.db,
            &vis,
            &caller.display_name,
            store::At::of(&s.policy(), caller.now),
            id,
            &c,
        )
        .await
    }
    .await;
    answer(&s, &caller, Some(id), f, res).await
}

async fn complete(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let res = async {
        let on = form_date("实施完成日期", &f.completed_on)?;
        store::complete(
            &s.db,
            &vis,
            &caller.display_name,
            store::At::of(&s.policy(), caller.now),
            id,
            on,
        )
        .await
    }
    .await;
    answer(&s, &caller, Some(id), f, res).await
}
