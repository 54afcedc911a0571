//! Community service projects of 双报到 (BF-7) for the office: a community's needs, the unit
//! that claimed each, its completion and the community's confirmation. A form refused keeps
//! what was typed.

use super::{Forms, form_date, render, year_of};
use crate::domain::access::Capability;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::access::Caller;
use crate::store::projects::{
    self as store, Claim, Completion, Confirmation, NewProject, ProjectView,
};
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
        .route("/projects", get(index).post(create))
        .route("/projects/{id}/claim", post(claim))
        .route("/projects/{id}/completion", post(complete))
        .route("/projects/{id}/confirmation", post(confirm))
}

/// What was typed into a refused form, shown again under its error.
#[derive(Deserialize, Default, Clone)]
struct Draft {
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    need: String,
    #[serde(default)]
    listed_on: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    claimed_on: String,
    #[serde(default)]
    completed_on: String,
    #[serde(default)]
    took_part: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    confirmed_on: String,
    #[serde(default)]
    confirmation: String,
    #[serde(default)]
    client_key: String,
}

type Community = (String, String, Vec<(String, String)>);

#[derive(Template)]
#[template(path = "project/index.html")]
struct Page {
    year: i32,
    this_year: i32,
    today: NaiveDate,
    communities: Vec<Community>,
    projects: Vec<ProjectView>,
    forms: Forms<Draft>,
}

impl Page {
    fn draft(&self, of: Option<i32>) -> &Draft {
        self.forms.draft(of)
    }
    fn error(&self, of: Option<i32>) -> Option<&str> {
        self.forms.error(of)
    }
    fn key_of(&self) -> String {
        let d = self.draft(None);
        if d.client_key.is_empty() {
            self.forms.key.clone()
        } else {
            d.client_key.clone()
        }
    }
    /// The units reported to a project's community: those that may claim it.
    fn reported(&self, region: &str) -> &[(String, String)] {
        self.communities
            .iter()
            .find(|c| c.0 == region)
            .map(|c| c.2.as_slice())
            .unwrap_or(&[])
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
    let today = crate::time::beijing_date(caller.now);
    Ok(Page {
        year,
        this_year: today.year(),
        today,
        communities: store::communities(&s.db, &vis).await?,
        projects: store::list(&s.db, &vis, year, 300).await?,
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

async fn answer(
    s: &AppState,
    caller: &Caller,
    which: Option<i32>,
    draft: Draft,
    res: Result<ProjectView, StoreError>,
) -> Result<Response, AppError> {
    match res {
        Ok(v) => {
            s.forget_reports().await;
            let year = v.completed_on.unwrap_or(v.listed_on).year();
            Ok(Redirect::to(&format!("/projects?year={year}#p{}", v.id)).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            let year = crate::time::beijing_date(caller.now).year();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&page(s, caller, year, Some((which, e, draft))).await?)?,
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
        let n = NewProject {
            region_code: f.region_code.clone(),
            title: f.title.clone(),
            need: f.need.clone(),
            listed_on: form_date("提出日期", &f.listed_on)?,
            client_key: f.client_key.clone(),
        };
        store::create(&s.db, &vis, &caller.display_name, caller.now, &n).await
    }
    .await;
    answer(&s, &caller, None, f, res).await
}

async fn claim(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let res = async {
        let c = Claim {
            unit_code: f.unit_code.clone(),
            claimed_on: form_date("认领日期", &f.claimed_on)?,
        };
        store::claim(&s.db, &vis, &caller.display_name, caller.now, id, &c).await
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
        let c = Completion {
            completed_on: form_date("完成日期", &f.completed_on)?,
            took_part: f.took_part.clone(),
            outcome: f.outcome.clone(),
        };
        store::complete(&s.db, &vis, &caller.display_name, caller.now, id, &c).await
    }
    .await;
    answer(&s, &caller, Some(id), f, res).await
}

async fn confirm(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let res = async {
        let c = Confirmation {
            confirmed_on: form_date("确认日期", &f.confirmed_on)?,
            confirmation: f.confirmation.clone(),
        };
        store::confirm(&s.db, &vis, &caller.display_name, caller.now, id, &c).await
    }
    .await;
    answer(&s, &caller, Some(id), f, res).await
}
