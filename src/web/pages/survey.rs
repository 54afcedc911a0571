//! The annual survey's pages: design and close (organisation department), the caller's list
//! and questionnaire (phone and paper answers), the results once closed, as a page, `.xlsx`
//! and PDF, and their circulation.

use super::render;
use crate::domain::access::Capability;
use crate::domain::cards::Rating;
use crate::error::AppError;
use crate::exchange::Cell;
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::access::Caller;
use crate::store::entities::survey;
use crate::store::survey::{self as store, Call, Question, Result_};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Datelike;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/surveys", get(index).post(create))
        .route("/surveys/{id}", get(show))
        .route("/surveys/{id}/close", post(close))
        .route("/surveys/{id}/circulate", post(circulate))
        .route("/surveys/{id}/calls", get(calls))
        .route(
            "/surveys/{id}/households/{code}",
            get(household).post(answer),
        )
        .route("/surveys/{id}/households/{code}/reveal", post(reveal))
        .route("/surveys/{id}/results", get(results))
}

/// The survey's staff: the organisation department designs and closes it; offices within
/// their regions call and enter paper answers.
fn staff(caller: &Caller) -> Result<(), AppError> {
    if caller.can(Capability::RunSurvey) || caller.can(Capability::ManageLinks) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn runs(caller: &Caller) -> Result<(), AppError> {
    crate::web::auth::require(caller, Capability::RunSurvey)
}

fn status_zh(s: &survey::Model) -> &'static str {
    match (s.status.as_str(), s.circulated_on) {
        ("open", _) => "进行中",
        (_, Some(_)) => "已结束，结果已通报",
        _ => "已结束",
    }
}

#[derive(Template)]
#[template(path = "survey/index.html")]
struct IndexPage {
    surveys: Vec<survey::Model>,
    may_run: bool,
    year: i32,
    error: Option<String>,
    name: String,
}

impl IndexPage {
    fn status(&self, s: &survey::Model) -> &'static str {
        status_zh(s)
    }
}

async fn index(State(s): State<AppState>, caller: Caller) -> Result<Response, AppError> {
    staff(&caller)?;
    Ok(render(&IndexPage {
        surveys: store::all(&s.db).await?,
        may_run: caller.can(Capability::RunSurvey),
        year: crate::time::beijing_date(caller.now).year(),
        error: None,
        name: String::new(),
    })?
    .into_response())
}

#[derive(Deserialize)]
struct NewForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    seed: String,
}

async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<NewForm>,
) -> Result<Response, AppError> {
    runs(&caller)?;
    let again = |error: String| async {
        Ok::<_, AppError>(
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&IndexPage {
                    surveys: store::all(&s.db).await?,
                    may_run: true,
                    year: f.year.trim().parse().unwrap_or(2026),
                    error: Some(error),
                    name: f.name.clone(),
                })?,
            )
                .into_response(),
        )
    };
    let Ok(year) = f.year.trim().parse::<i32>() else {
        return again("年度：请填写四位数的年份".into()).await;
    };
    let seed = match f.seed.trim() {
        "" => None,
        t => match t.parse::<u64>() {
            Ok(v) if v <= i64::MAX as u64 => Some(v),
            _ => return again("随机种子：应为不超过19位的非负整数，或留空".into()).await,
        },
    };
    let settings = s.policy().survey.clone();
    match store::create(
        &s.db,
        &settings,
        year,
        &f.name,
        seed,
        &caller.display_name,
        caller.now,
    )
    .await
    {
        Ok(c) => Ok(Redirect::to(&format!("/surveys/{}", c.id)).into_response()),
        Err(StoreError::Invalid(e)) => again(e).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "survey/show.html")]
struct ShowPage {
    s: survey::Model,
    status: &'static str,
    subjects: Vec<(&'static str, usize)>,
    sampled: usize,
    answered: usize,
    may_run: bool,
    message: Option<String>,
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn show(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    staff(&caller)?;
    let sv = store::get(&s.db, id).await?;
    let (subjects, sampled, answered) = store::counts(&s.db, id).await?;
    Ok(render(&ShowPage {
        status: status_zh(&sv),
        s: sv,
        subjects,
        sampled,
        answered,
        may_run: caller.can(Capability::RunSurvey),
        message: match q.done.as_deref() {
            Some("close") => Some("调查已结束，结果可以查看了。".into()),
            Some("circulate") => Some("已记下结果通报。".into()),
            _ => None,
        },
    })?
    .into_response())
}

async fn step(s: &AppState, caller: &Caller, id: i32, action: &str) -> Result<Response, AppError> {
    runs(caller)?;
    match store::step(&s.db, id, action, &caller.display_name, caller.now).await {
        Ok(_) => {
            s.forget_reports().await;
            Ok(Redirect::to(&format!("/surveys/{id}?done={action}")).into_response())
        }
        Err(StoreError::Invalid(e)) => Err(AppError::Refused(e)),
        Err(e) => Err(e.into()),
    }
}

async fn close(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    step(&s, &caller, id, "close").await
}

async fn circulate(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    step(&s, &caller, id, "circulate").await
}

#[derive(Template)]
#[template(path = "survey/calls.html")]
struct CallsPage {
    s: survey::Model,
    calls: Vec<Call>,
    left: usize,
}

async fn calls(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    staff(&caller)?;
    let sv = store::get(&s.db, id).await?;
    let calls = store::calls(&s.db, id, &caller.visibility()).await?;
    let left = calls.iter().filter(|c| c.answered < c.questions).count();
    Ok(render(&CallsPage { s: sv, calls, left })?.into_response())
}

#[derive(Template)]
#[template(path = "survey/household.html")]
struct HouseholdPage {
    s: survey::Model,
    code: String,
    head_name: String,
    script: String,
    phone: Option<String>,
    masked: String,
    questions: Vec<Question>,
    chosen: HashMap<String, String>,
    channel: String,
    error: Option<String>,
    message: Option<String>,
    ratings: [(&'static str, &'static str); 3],
}

impl HouseholdPage {
    fn picked(&self, q: &Question, code: &str) -> bool {
        self.chosen
            .get(&format!("q{}", q.subject))
            .is_some_and(|c| c == code)
    }
    fn left(&self) -> usize {
        self.questions.iter().filter(|q| q.answer.is_none()).count()
    }
}

async fn household_page(
    s: &AppState,
    caller: &Caller,
    id: i32,
    code: &str,
) -> Result<HouseholdPage, AppError> {
    staff(caller)?;
    let sv = store::get(&s.db, id).await?;
    let h = crate::store::registry::household(&s.db, code, &caller.visibility())
        .await?
        .ok_or(AppError::NotFound("该户".into()))?;
    let settings = s.policy().survey.clone();
    let questions = store::questionnaire(&s.db, &settings, id, code)
        .await?
        .ok_or(AppError::NotFound("这次调查抽中的这一户".into()))?;
    Ok(HouseholdPage {
        s: sv,
        code: h.code,
        head_name: h.head_name,
        script: settings.script.clone(),
        masked: h
            .phone
            .as_deref()
            .map(crate::domain::ids::mask_phone)
            .unwrap_or_else(|| "（没有登记电话）".into()),
        phone: None,
        questions,
        chosen: HashMap::new(),
        channel: "phone".into(),
        error: None,
        message: None,
        ratings: Rating::ALL.map(|r| (r.code(), r.zh())),
    })
}

async fn household(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, code)): Path<(i32, String)>,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    let mut p = household_page(&s, &caller, id, &code).await?;
    if q.done.as_deref() == Some("answer") {
        p.message = Some("答卷已保存。".into());
    }
    Ok(render(&p)?.into_response())
}

/// Shows the household's phone to this caller, for the call, and audits it.
async fn reveal(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, code)): Path<(i32, String)>,
) -> Result<Response, AppError> {
    let mut p = household_page(&s, &caller, id, &code).await?;
    let may = caller.visibility_for(Capability::Reveal);
    let Some(h) = crate::store::registry::household(&s.db, &code, &may).await? else {
        return Err(AppError::Forbidden);
    };
    crate::store::access::audit(
        &s.db,
        caller.now,
        Some(caller.account_id),
        &caller.username,
        "reveal",
        &format!("household:{code}"),
        &format!("民意调查电话访问（调查{id}）"),
        &caller.address,
    )
    .await?;
    p.phone = Some(h.phone.unwrap_or_else(|| "（没有登记电话）".into()));
    Ok(render(&p)?.into_response())
}

async fn answer(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, code)): Path<(i32, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let mut p = household_page(&s, &caller, id, &code).await?;
    let channel = f.get("channel").cloned().unwrap_or_default();
    let mut answers = Vec::new();
    let mut error = None;
    for (n, q) in p.questions.iter().enumerate() {
        match f.get(&format!("q{}", q.subject)).map(String::as_str) {
            None | Some("") => {}
            Some(v) => match Rating::parse(v) {
                Ok(r) => answers.push((q.subject, r)),
                Err(e) => error = Some(format!("第{}题：{e}", n + 1)),
            },
        }
    }
    let res = match (error, channel.as_str()) {
        (Some(e), _) => Err(StoreError::Invalid(e)),
        (None, "phone" | "paper") => {
            store::answer(
                &s.db,
                id,
                &code,
                &answers,
                &channel,
                Some(caller.account_id),
                &caller.display_name,
                caller.now,
            )
            .await
        }
        (None, _) => Err(StoreError::Invalid(
            "答卷方式：请选择电话访问或纸质问卷".into(),
        )),
    };
    match res {
        Ok(_) => Ok(
            Redirect::to(&format!("/surveys/{id}/households/{code}?done=answer")).into_response(),
        ),
        Err(StoreError::Invalid(e)) => {
            p.error = Some(e);
            p.chosen = f
                .into_iter()
                .filter(|(k, _)| k.starts_with('q'))
                .take(200)
                .collect();
            p.channel = channel;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "survey/results.html")]
struct ResultsPage {
    s: survey::Model,
    groups: Vec<(&'static str, Vec<Result_>)>,
    min_answers: u32,
    grades: String,
}

#[derive(Deserialize, Default)]
struct Format {
    format: Option<String>,
}

/// Whether the results may be read: only once the survey is closed.
async fn closed(s: &AppState, caller: &Caller, id: i32) -> Result<survey::Model, AppError> {
    staff(caller)?;
    let sv = store::get(&s.db, id).await?;
    if sv.status != "closed" {
        return Err(AppError::Refused("调查结束前不公布结果".into()));
    }
    Ok(sv)
}

fn grouped(rs: Vec<Result_>) -> Vec<(&'static str, Vec<Result_>)> {
    let mut out: Vec<(&'static str, Vec<Result_>)> = Vec::new();
    for r in rs {
        match out.iter_mut().find(|(k, _)| *k == r.kind.zh()) {
            Some((_, v)) => v.push(r),
            None => out.push((r.kind.zh(), vec![r])),
        }
    }
    out
}

async fn results(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Query(q): Query<Format>,
) -> Result<Response, AppError> {
    let sv = closed(&s, &caller, id).await?;
    let settings = s.policy().survey.clone();
    let rs = store::results(&s.db, &settings, id).await?;
    let title = format!("{}结果", sv.name);
    let headers = [
        "调查对象",
        "类别",
        "所在地",
        "答卷",
        "满意",
        "基本满意",
        "不满意",
        "满意率%",
        "误差±",
        "等次",
    ];
    let cells = |r: &Result_| -> Vec<Cell> {
        let o = &r.outcome;
        vec![
            Cell::Text(r.name.clone()),
            Cell::Text(r.kind.zh().into()),
            Cell::Text(r.region.clone()),
            Cell::Number(o.answers as f64),
            Cell::Number(o.satisfied as f64),
            Cell::Number(o.basically as f64),
            Cell::Number(o.dissatisfied as f64),
            Cell::Number(o.rate),
            Cell::Number(o.margin),
            Cell::Text(o.grade.clone()),
        ]
    };
    match q.format.as_deref() {
        None | Some("html") => Ok(render(&ResultsPage {
            s: sv,
            groups: grouped(rs),
            min_answers: settings.min_answers,
            grades: settings
                .grades
                .iter()
                .map(|g| format!("{}（≥{}%）", g.name, g.at_least))
                .collect::<Vec<_>>()
                .join("、"),
        })?
        .into_response()),
        Some("xlsx") => {
            let rows: Vec<Vec<Cell>> = rs.iter().map(cells).collect();
            let bytes = crate::exchange::write_tables(&[("结果", &headers, rows)])
                .map_err(|e| AppError::Internal(e.into()))?;
            Ok(crate::web::api::exchange::xlsx(&title, bytes))
        }
        Some("pdf") => {
            let font = crate::print::load_font(s.config.card_font.as_deref())
                .map_err(AppError::Refused)?;
            let rows: Vec<Vec<String>> = rs
                .iter()
                .map(|r| {
                    cells(r)
                        .into_iter()
                        .map(|c| match c {
                            Cell::Text(t) => t,
                            Cell::Number(n) => format!("{n}"),
                        })
                        .collect()
                })
                .collect();
            let note = format!(
                "{}年　结束于{}　样本少于{}份的对象不评等次",
                sv.year,
                sv.closed_on.map(|d| d.to_string()).unwrap_or_default(),
                settings.min_answers
            );
            let widths = [150.0, 60.0, 60.0, 30.0, 30.0, 36.0, 30.0, 40.0, 30.0, 40.0];
            let bytes = tokio::task::spawn_blocking(move || {
                crate::print::table_pdf(font, &title, &note, &headers, &widths, &rows)
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(AppError::Refused)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"survey-{id}.pdf\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        Some(other) => Err(AppError::BadRequest(format!(
            "格式“{other}”无效，可选：xlsx、pdf"
        ))),
    }
}
