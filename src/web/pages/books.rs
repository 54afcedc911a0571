//! The record books on screen and as `.xlsx`: each is built from the work records.

use super::render;
use crate::domain::books::Book;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::books;
use crate::store::registry as reg;
use crate::web::api::exchange::xlsx;
use crate::web::api::work::{my_person, region_in_reach};
use crate::web::view::today;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, NaiveDate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/books", get(index))
        .route("/books/record/{id}", get(record_book))
        .route("/books/household/{code}", get(household_page))
        .route("/books/village/{code}", get(village_book))
        .route("/books/ledger/{unit}", get(unit_ledger))
        .route("/books/volunteer", get(volunteer))
}

#[derive(serde::Deserialize, Default)]
struct BookQuery {
    year: Option<i32>,
    format: Option<String>,
}

impl BookQuery {
    fn year(&self) -> i32 {
        self.year.unwrap_or_else(|| today().year())
    }
    /// Links are judged on the last day of the year asked for, or today within this year.
    fn day(&self) -> NaiveDate {
        let y = self.year();
        let t = today();
        if y == t.year() {
            t
        } else {
            NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(t)
        }
    }
}

/// Rows shown per table on screen; the `.xlsx` holds them all.
const SCREEN_ROWS: usize = 500;

#[derive(Template)]
#[template(path = "books/book.html")]
struct BookPage {
    book: Book,
    xlsx: String,
    limit: usize,
}

fn answer(book: Book, q: &BookQuery, path: &str) -> Result<Response, AppError> {
    if q.format.as_deref() == Some("xlsx") {
        let bytes = crate::exchange::write_book(&book).map_err(|e| AppError::Internal(e.into()))?;
        return Ok(xlsx(&book.title, bytes));
    }
    let xlsx = format!("{path}?year={}&format=xlsx", q.year());
    Ok(render(&BookPage {
        book,
        xlsx,
        limit: SCREEN_ROWS,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "books/index.html")]
struct Index {
    year: i32,
    me: Option<i32>,
}

async fn index(caller: Caller) -> Result<Response, AppError> {
    Ok(render(&Index {
        year: today().year(),
        me: caller.person_id,
    })?
    .into_response())
}

async fn record_book(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<BookQuery>,
) -> Result<Response, AppError> {
    let p = if id == "me" {
        my_person(&s, &caller).await?
    } else {
        let id: i32 = id
            .parse()
            .map_err(|_| AppError::NotFound("该人员".into()))?;
        reg::person(&s.db, id, &caller.visibility())
            .await?
            .ok_or(AppError::NotFound("该人员".into()))?
    };
    let book = books::record_book(&s.reads, &p, q.year()).await?;
    answer(book, &q, &format!("/books/record/{}", p.id))
}

async fn household_page(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<BookQuery>,
) -> Result<Response, AppError> {
    let h = reg::household(&s.db, &code, &caller.visibility())
        .await?
        .ok_or(AppError::NotFound("该户".into()))?;
    let book = books::household_page(&s.reads, &h).await?;
    answer(book, &q, &format!("/books/household/{code}"))
}

async fn village_book(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<BookQuery>,
) -> Result<Response, AppError> {
    let r = region_in_reach(&s, &caller, &code, false).await?;
    let book = books::village_book(&s.reads, &s.policy(), &r, q.year(), q.day()).await?;
    answer(book, &q, &format!("/books/village/{code}"))
}

async fn unit_ledger(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<BookQuery>,
) -> Result<Response, AppError> {
    let vis = caller.visibility();
    let unit = if code == "county" {
        if !vis.all {
            return Err(AppError::Forbidden);
        }
        None
    } else {
        let u = reg::unit(&s.db, &code)
            .await?
            .ok_or(AppError::NotFound("该单位".into()))?;
        let region = reg::region(&s.db, &u.region_code).await?;
        let reach = vis.all
            || vis.units.contains(&u.code)
            || region.is_some_and(|r| vis.covers_region(&r.path));
        if !reach {
            return Err(AppError::NotFound("该单位".into()));
        }
        Some(u)
    };
    let book = books::unit_ledger(&s.reads, &s.policy(), unit.as_ref(), q.year(), q.day()).await?;
    answer(book, &q, &format!("/books/ledger/{code}"))
}

async fn volunteer(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<BookQuery>,
) -> Result<Response, AppError> {
    if !caller.visibility().all {
        return Err(AppError::Forbidden);
    }
    let book = books::volunteer_hours(&s.reads, q.year()).await?;
    answer(book, &q, "/books/volunteer")
}
