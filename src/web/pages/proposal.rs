//! Representatives' proposals 议案/建议 (DDB-5) for the office: compiled per meeting from the
//! issues representatives collected, forwarded to a unit, answered by the deadline (once
//! extended), closed. A form refused keeps what was typed.

use super::{Forms, form_date, render, year_of};
use crate::domain::access::Capability;
use crate::domain::labels::ProposalKind;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::access::Caller;
use crate::store::proposals::{self as store, Answer, Close, Forward, NewProposal, ProposalView};
use crate::store::rules::calendar;
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
        .route("/proposals", get(index).post(create))
        .route("/proposals/{id}/forward", post(forward))
        .route("/proposals/{id}/extension", post(extend))
        .route("/proposals/{id}/answer", post(answer_it))
        .route("/proposals/{id}/close", post(close))
}

#[derive(Deserialize, Default, Clone)]
struct Draft {
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    meeting: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    raised_by: String,
    #[serde(default)]
    submitted_on: String,
    #[serde(default)]
    item_ids: String,
    #[serde(default)]
    to_unit: String,
    #[serde(default)]
    forwarded_on: String,
    #[serde(default)]
    answered_on: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    closed_on: String,
    #[serde(default)]
    client_key: String,
}

#[derive(Template)]
#[template(path = "proposal/index.html")]
struct Page {
    year: i32,
    this_year: i32,
    today: NaiveDate,
    offices: Vec<(String, String)>,
    units: Vec<(String, String)>,
    kinds: &'static [ProposalKind],
    proposals: Vec<ProposalView>,
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
    let (offices, units) = store::choices(&s.db, &vis).await?;
    Ok(Page {
        year,
        this_year: today.year(),
        today,
        offices,
        units,
        kinds: ProposalKind::ALL,
        proposals: store::list(&s.db, &vis, year, today).await?,
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
    res: Result<ProposalView, StoreError>,
) -> Result<Response, AppError> {
    match res {
        Ok(v) => {
            s.forget_reports().await;
            Ok(Redirect::to(&format!(
                "/proposals?year={}#x{}",
                v.submitted_on.year(),
                v.id
            ))
            .into_response())
        }
        Err(StoreError::Invalid(e)) => {
            let today = crate::time::beijing_date(caller.now);
            let year = match which {
                Some(id) => store::one(
                    &s.db,
                    &caller.visibility_for(Capability::ManageLinks),
                    id,
                    today,
                )
                .await
                .map(|v| v.submitted_on.year())
                .unwrap_or(today.year()),
                None => today.year(),
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&page(s, caller, year, Some((which, e, draft))).await?)?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn item_ids(raw: &str) -> Result<Vec<i32>, StoreError> {
    raw.split([',', '，', '、', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i32>()
                .map_err(|_| StoreError::Invalid(format!("收集的问题：“{s}”不是事项编号")))
        })
        .collect()
}

async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let res = async {
        let kind = ProposalKind::from_code(&f.kind)
            .ok_or_else(|| StoreError::Invalid("类别：请选择议案或建议".into()))?;
        let n = NewProposal {
            unit_code: f.unit_code.clone(),
            meeting: f.meeting.clone(),
            kind,
            title: f.title.clone(),
            content: f.content.clone(),
            raised_by: f.raised_by.clone(),
            submitted_on: form_date("提交日期", &f.submitted_on)?,
            item_ids: item_ids(&f.item_ids)?,
            client_key: f.client_key.clone(),
        };
        store::create(&s.db, &vis, &caller.display_name, caller.now, &n).await
    }
    .await;
    answer(&s, &caller, None, f, res).await
}

async fn forward(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let cal = calendar(&s.db).await.map_err(AppError::from)?;
    let clock = s.policy().ledger.proposal;
    let res = async {
        let fw = Forward {
            unit_code: f.to_unit.clone(),
            forwarded_on: form_date("交办日期", &f.forwarded_on)?,
        };
        store::forward(
            &s.db,
            &vis,
            &clock,
            &cal,
            &caller.display_name,
            caller.now,
            id,
            &fw,
        )
        .await
    }
    .await;
    answer(&s, &caller, Some(id), f, res).await
}

async fn extend(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let cal = calendar(&s.db).await.map_err(AppError::from)?;
    let clock = s.policy().ledger.proposal;
    let res = store::extend(
        &s.db,
        &vis,
        &clock,
        &cal,
        &caller.display_name,
        caller.now,
        id,
    )
    .await;
    answer(&s, &caller, Some(id), f, res).await
}

async fn answer_it(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let res = async {
        let a = Answer {
            answered_on: form_date("答复日期", &f.answered_on)?,
            answer: f.answer.clone(),
        };
        store::answer(&s.db, &vis, &caller.display_name, caller.now, id, &a).await
    }
    .await;
    answer(&s, &caller, Some(id), f, res).await
}

async fn close(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let res = async {
        let c = Close {
            closed_on: form_date("办结日期", &f.closed_on)?,
        };
        store::close(&s.db, &vis, &caller.display_name, caller.now, id, &c).await
    }
    .await;
    answer(&s, &caller, Some(id), f, res).await
}
