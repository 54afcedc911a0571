//! Party representatives for the liaison office: the working groups with their convener and
//! members, each group's activities by quarter (DDB-1, DDB-3), and each representative's
//! published contact details, recorded here (DDB-4). A form refused keeps what was typed.

use super::{Forms, form_date, render, year_of};
use crate::domain::access::Capability;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::access::Caller;
use crate::store::representatives::{self as store, NewPublication, Overview};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/representatives", get(index))
        .route("/representatives/publications", post(publish))
}

#[derive(Deserialize, Default, Clone)]
struct Draft {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    published_on: String,
    #[serde(default)]
    place: String,
}

#[derive(Template)]
#[template(path = "representatives/index.html")]
struct Page {
    o: Overview,
    this_year: i32,
    today: NaiveDate,
    forms: Forms<Draft>,
    saved: Option<String>,
}

impl Page {
    fn draft(&self) -> &Draft {
        self.forms.draft(None)
    }
    fn error(&self) -> Option<&str> {
        self.forms.error(None)
    }
    fn unpublished(&self) -> usize {
        self.o
            .representatives
            .iter()
            .filter(|r| r.published_on.is_none())
            .count()
    }
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<i32>,
    saved: Option<String>,
}

async fn page(
    s: &AppState,
    caller: &Caller,
    year: i32,
    refused: Option<(Option<i32>, String, Draft)>,
    saved: Option<String>,
) -> Result<Page, AppError> {
    crate::web::auth::require(caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let today = crate::time::beijing_date(caller.now);
    Ok(Page {
        o: store::overview(&s.db, &vis, year).await?,
        this_year: today.year(),
        today,
        forms: Forms::new(refused),
        saved,
    })
}

async fn index(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = year_of(&caller, q.year)?;
    // Only a name the office just saved is echoed back, bounded.
    let saved = q.saved.map(|n| n.chars().take(20).collect());
    Ok(render(&page(&s, &caller, year, None, saved).await?)?.into_response())
}

async fn publish(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<Draft>,
) -> Result<Response, AppError> {
    crate::web::auth::require(&caller, Capability::ManageLinks)?;
    let vis = caller.visibility_for(Capability::ManageLinks);
    let res = async {
        let person_id = f
            .person_id
            .trim()
            .parse::<i32>()
            .map_err(|_| StoreError::Invalid("党代表：请选择".into()))?;
        let n = NewPublication {
            person_id,
            published_on: form_date("公开日期", &f.published_on)?,
            place: f.place.clone(),
        };
        store::publish(&s.db, &vis, n, &caller.display_name, caller.now).await
    }
    .await;
    match res {
        Ok(p) => {
            s.forget_reports().await;
            Ok(Redirect::to(&format!(
                "/representatives?year={}&saved={}",
                p.published_on.year(),
                super::encode(&p.name)
            ))
            .into_response())
        }
        Err(StoreError::Invalid(e)) => {
            let year = crate::time::beijing_date(caller.now).year();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&page(&s, &caller, year, Some((None, e, f)), None).await?)?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
