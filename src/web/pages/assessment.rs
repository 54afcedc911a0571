//! Spot checks of recorded work (PJ-3) and the assessment of household-linking cadres (PJ-4),
//! for the party-government office and the organisation department within their regions.

use super::render;
use crate::domain::access::Capability;
use crate::domain::assessment::{Scorecard, Summary, summarise};
use crate::error::AppError;
use crate::exchange::Cell;
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::access::Caller;
use crate::store::entities::spot_round;
use crate::store::spot_checks::{self as checks, DECISIONS, METHODS, OUTCOMES};
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
        .route("/spot-checks", get(rounds).post(draw))
        .route("/spot-checks/{id}", get(round))
        .route("/spot-checks/{id}/checks/{check}", post(check))
        .route("/assessment", get(assessment))
        .route("/assessment/issue", post(issue))
}

fn office(caller: &Caller) -> Result<(), AppError> {
    crate::web::auth::require(caller, Capability::ManageLinks)
}

#[derive(Template)]
#[template(path = "assessment/rounds.html")]
struct RoundsPage {
    rounds: Vec<(spot_round::Model, String)>,
    regions: Vec<(String, String)>,
    from: NaiveDate,
    to: NaiveDate,
    error: Option<String>,
}

/// The towns (and the county, for county-wide callers) the caller may draw in.
async fn regions_of(s: &AppState, caller: &Caller) -> Result<Vec<(String, String)>, AppError> {
    use crate::store::entities::region;
    use sea_orm::{EntityTrait, QueryOrder};
    let vis = caller.visibility_for(Capability::ManageLinks);
    Ok(region::Entity::find()
        .order_by_asc(region::Column::Path)
        .all(&s.db)
        .await?
        .into_iter()
        .filter(|r| {
            matches!(r.level.as_str(), "county" | "town" | "street") && vis.covers_region(&r.path)
        })
        .map(|r| (r.code, r.name))
        .collect())
}

async fn rounds_page(
    s: &AppState,
    caller: &Caller,
    error: Option<String>,
) -> Result<RoundsPage, AppError> {
    let today = crate::time::beijing_date(caller.now);
    Ok(RoundsPage {
        rounds: checks::rounds(&s.db, &caller.visibility_for(Capability::ManageLinks)).await?,
        regions: regions_of(s, caller).await?,
        from: NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        to: today,
        error,
    })
}

async fn rounds(State(s): State<AppState>, caller: Caller) -> Result<Response, AppError> {
    office(&caller)?;
    Ok(render(&rounds_page(&s, &caller, None).await?)?.into_response())
}

#[derive(Deserialize)]
struct DrawForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    per_cadre: String,
}

async fn draw(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<DrawForm>,
) -> Result<Response, AppError> {
    office(&caller)?;
    let refused = |e: String| async {
        Ok::<_, AppError>(
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&rounds_page(&s, &caller, Some(e)).await?)?,
            )
                .into_response(),
        )
    };
    if !regions_of(&s, &caller)
        .await?
        .iter()
        .any(|(c, _)| *c == f.region)
    {
        return refused("范围：请选择您所辖的乡镇（街道）".into()).await;
    }
    let (Ok(from), Ok(to)) = (f.from.parse::<NaiveDate>(), f.to.parse::<NaiveDate>()) else {
        return refused("抽查期间：请填写开始和结束日期".into()).await;
    };
    let Ok(per) = f.per_cadre.trim().parse::<u32>() else {
        return refused("每人抽几条：请填写1到20的整数".into()).await;
    };
    let settings = s.policy().integrity.clone();
    match checks::draw(
        &s.db,
        &settings,
        &f.region,
        from,
        to,
        per,
        None,
        None,
        &caller.display_name,
        caller.now,
    )
    .await
    {
        Ok(d) => Ok(Redirect::to(&format!("/spot-checks/{}", d.round)).into_response()),
        Err(StoreError::Invalid(e)) => refused(e).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "assessment/round.html")]
struct RoundPage {
    r: spot_round::Model,
    lines: Vec<(checks::Line, String)>,
    methods: [(&'static str, &'static str); 2],
    outcomes: [(&'static str, &'static str); 3],
    decisions: [(&'static str, &'static str); 2],
    left: usize,
    error: Option<String>,
}

impl RoundPage {
    fn zh(&self, code: &Option<String>) -> &'static str {
        let c = code.as_deref().unwrap_or("");
        let all = [&METHODS[..], &OUTCOMES[..], &DECISIONS[..]].concat();
        checks::zh(&all, c)
    }
}

async fn round_page(
    s: &AppState,
    caller: &Caller,
    id: i32,
    error: Option<String>,
) -> Result<RoundPage, AppError> {
    office(caller)?;
    let r = checks::round(&s.db, id, &caller.visibility_for(Capability::ManageLinks)).await?;
    let mut lines = Vec::new();
    for l in checks::checks(&s.db, id).await? {
        let names = crate::web::api::work::target_names(&s.db, &l.targets).await?;
        let shown = names
            .into_iter()
            .map(|n| n.zh)
            .collect::<Vec<_>>()
            .join("、");
        lines.push((l, shown));
    }
    let left = lines
        .iter()
        .filter(|(l, _)| l.check.outcome.is_none())
        .count();
    Ok(RoundPage {
        r,
        lines,
        methods: METHODS,
        outcomes: OUTCOMES,
        decisions: DECISIONS,
        left,
        error,
    })
}

async fn round(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    Ok(render(&round_page(&s, &caller, id, None).await?)?.into_response())
}

#[derive(Deserialize)]
struct CheckForm {
    method: Option<String>,
    outcome: Option<String>,
    decision: Option<String>,
    #[serde(default)]
    note: String,
}

async fn check(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, check)): Path<(i32, i32)>,
    Form(f): Form<CheckForm>,
) -> Result<Response, AppError> {
    round_page(&s, &caller, id, None).await?;
    let res = checks::record(
        &s.db,
        check,
        id,
        f.method.as_deref(),
        f.outcome.as_deref(),
        f.decision.as_deref().filter(|d| !d.is_empty()),
        &f.note,
        &caller.display_name,
        caller.now,
    )
    .await;
    match res {
        Ok(_) => {
            s.forget_reports().await;
            Ok(Redirect::to(&format!("/spot-checks/{id}#c{check}")).into_response())
        }
        Err(StoreError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&round_page(&s, &caller, id, Some(e)).await?)?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "assessment/index.html")]
struct AssessmentPage {
    year: i32,
    as_of: NaiveDate,
    cards: Vec<Scorecard>,
    summaries: Vec<(&'static str, Vec<Summary>)>,
    issued: Option<NaiveDate>,
    may_issue: bool,
    weights: String,
    parts: [&'static str; 5],
}

impl AssessmentPage {
    fn pct(&self, t: &crate::domain::assessment::Tally) -> String {
        match t.score() {
            Some(x) => format!("{:.0}%（{}项）", x, t.all),
            None => "—".into(),
        }
    }
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<i32>,
    format: Option<String>,
}

/// The scorecards as of today (or the year's last day for a past year), within the caller's
/// regions.
async fn computed(
    s: &AppState,
    caller: &Caller,
    year: i32,
) -> Result<(NaiveDate, Vec<Scorecard>), AppError> {
    let today = crate::time::beijing_date(caller.now);
    let as_of = if year < today.year() {
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today)
    } else {
        today
    };
    let (report, _) = s.report(year, as_of).await?;
    let policy = s.policy();
    let cards = crate::store::assessment::scorecards(
        &s.db,
        &policy.assessment(),
        &policy.integrity,
        &report,
        &caller.visibility_for(Capability::ManageLinks),
    )
    .await?;
    Ok((as_of, cards))
}

async fn assessment(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    office(&caller)?;
    let today = crate::time::beijing_date(caller.now);
    let year = q
        .year
        .filter(|y| (2000..=today.year()).contains(y))
        .unwrap_or(today.year());
    let (as_of, cards) = computed(&s, &caller, year).await?;
    let settings = s.policy().assessment();
    if q.format.as_deref() == Some("xlsx") {
        let headers = [
            "姓名",
            "单位",
            "乡镇（街道）",
            "入户走访%",
            "亲情卡发放%",
            "问题解决%",
            "群众满意度%",
            "抽查核实%",
            "真实性提示",
            "总分",
            "等次",
            "不计的项",
        ];
        let n = |t: crate::domain::assessment::Tally| match t.score() {
            Some(x) => Cell::Number((x * 10.0).round() / 10.0),
            None => Cell::Text("—".into()),
        };
        let rows = cards
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(c.name.clone()),
                    Cell::Text(c.unit_name.clone()),
                    Cell::Text(c.region.clone()),
                    n(c.counted.visits),
                    n(c.counted.cards),
                    n(c.counted.solved),
                    n(c.counted.satisfaction),
                    n(c.counted.spot_checks),
                    Cell::Number(c.counted.flags as f64),
                    Cell::Number(c.total),
                    Cell::Text(c.grade.clone()),
                    Cell::Text(c.left_out.join("、")),
                ]
            })
            .collect();
        let summary = |v: Vec<Summary>| -> Vec<Vec<Cell>> {
            v.into_iter()
                .map(|s| {
                    let mut row = vec![
                        Cell::Text(s.name),
                        Cell::Number(s.cadres as f64),
                        Cell::Number(s.mean),
                    ];
                    row.extend(s.grades.into_iter().map(|(_, n)| Cell::Number(n as f64)));
                    row
                })
                .collect()
        };
        let sum_headers = [
            "名称",
            "人数",
            "平均分",
            "优秀",
            "称职",
            "基本称职",
            "不称职",
        ];
        let bytes = crate::exchange::write_tables(&[
            ("联户干部", &headers, rows),
            (
                "按单位",
                &sum_headers,
                summary(summarise(
                    &cards,
                    |c| (c.unit.clone(), c.unit_name.clone()),
                    &settings,
                )),
            ),
            (
                "按乡镇",
                &sum_headers,
                summary(summarise(
                    &cards,
                    |c| (c.region.clone(), c.region.clone()),
                    &settings,
                )),
            ),
        ])
        .map_err(|e| AppError::Internal(e.into()))?;
        return Ok(crate::web::api::exchange::xlsx(
            &format!("{year}年联户考核（截至{as_of}）"),
            bytes,
        ));
    }
    let issued = crate::store::assessment::issued(&s.db, year)
        .await?
        .map(|(a, _)| a.issued_on);
    let w = settings.weights;
    Ok(render(&AssessmentPage {
        year,
        as_of,
        summaries: vec![
            (
                "按单位",
                summarise(&cards, |c| (c.unit.clone(), c.unit_name.clone()), &settings),
            ),
            (
                "按乡镇（街道）",
                summarise(&cards, |c| (c.region.clone(), c.region.clone()), &settings),
            ),
        ],
        cards,
        issued,
        may_issue: caller.visibility_for(Capability::ManageLinks).all,
        weights: format!(
            "入户走访{}、亲情卡发放{}、问题解决{}、群众满意度{}、抽查核实{}；每条真实性提示扣{}分",
            w.visits, w.cards, w.solved, w.satisfaction, w.spot_checks, settings.flag_penalty
        ),
        parts: crate::domain::assessment::PARTS,
    })?
    .into_response())
}

#[derive(Deserialize)]
struct IssueForm {
    year: i32,
}

/// Issues the year's assessment for the whole county (only a county-wide office).
async fn issue(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<IssueForm>,
) -> Result<Response, AppError> {
    office(&caller)?;
    if !caller.visibility_for(Capability::ManageLinks).all {
        return Err(AppError::Forbidden);
    }
    let today = crate::time::beijing_date(caller.now);
    if !(2000..=today.year()).contains(&f.year) {
        return Err(AppError::BadRequest("年度无效".into()));
    }
    let (_, cards) = computed(&s, &caller, f.year).await?;
    match crate::store::assessment::issue(&s.db, f.year, &cards, &caller.display_name, caller.now)
        .await
    {
        Ok(_) => {
            s.forget_reports().await;
            Ok(Redirect::to(&format!("/assessment?year={}", f.year)).into_response())
        }
        Err(StoreError::Invalid(e)) => Err(AppError::Refused(e)),
        Err(e) => Err(e.into()),
    }
}
