//! Rotas: the office plans and swaps (`/rotas`), anyone reads the published rota of a region
//! without logging in (`/rota/{region}`), and a phone's calendar subscribes to a person's or a
//! unit's feed behind a secret URL (`/calendar/{secret}.ics`).

use super::render;
use crate::domain::access::Capability;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::access::Caller;
use crate::store::entities::rota;
use crate::store::rota::{self as store, Line};
use crate::web::limit::{ClientAddr, minute_now};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rotas", get(index).post(plan))
        .route("/rotas/{id}", get(show))
        .route("/rotas/{id}/swap", post(swap))
        .route("/rotas/{id}/leave", post(leave))
        .route("/rotas/feed", post(feed))
        .route("/rota/{region}", get(public))
        .route("/calendar/{file}", get(calendar))
}

fn office(caller: &Caller) -> Result<(), AppError> {
    crate::web::auth::require(caller, Capability::ManageLinks)
}

#[derive(Template)]
#[template(path = "rota/index.html")]
struct IndexPage {
    kinds: Vec<(String, String)>,
    /// The units whose calendar the office may subscribe to.
    units: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    rotas: Vec<(rota::Model, String, String)>,
    from: NaiveDate,
    to: NaiveDate,
    error: Option<String>,
}

async fn regions_of(
    s: &AppState,
    caller: &Caller,
) -> Result<Vec<(String, String, String)>, AppError> {
    use crate::store::entities::region;
    use sea_orm::{EntityTrait, QueryOrder};
    let vis = caller.visibility_for(Capability::ManageLinks);
    Ok(region::Entity::find()
        .order_by_asc(region::Column::Path)
        .all(&s.db)
        .await?
        .into_iter()
        .filter(|r| r.level != "group" && vis.covers_region(&r.path))
        .map(|r| (r.code, r.name, r.path))
        .collect())
}

/// The units in the caller's regions (a unit's rota, a unit's calendar).
async fn units_of(
    s: &AppState,
    regions: &[(String, String, String)],
) -> Result<Vec<(String, String)>, AppError> {
    use crate::store::entities::unit;
    use sea_orm::{EntityTrait, QueryOrder};
    Ok(unit::Entity::find()
        .order_by_asc(unit::Column::Code)
        .all(&s.db)
        .await?
        .into_iter()
        .filter(|u| regions.iter().any(|(c, _, _)| *c == u.region_code))
        .map(|u| (u.code, u.name))
        .collect())
}

/// The name of a rota's scope, if the caller sees it.
fn scope_name(
    regions: &[(String, String, String)],
    units: &[(String, String)],
    code: &str,
) -> Option<String> {
    regions
        .iter()
        .find(|(c, _, _)| c == code)
        .map(|(_, n, _)| n.clone())
        .or_else(|| {
            units
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, n)| n.clone())
        })
}

async fn index_page(
    s: &AppState,
    caller: &Caller,
    error: Option<String>,
) -> Result<IndexPage, AppError> {
    use sea_orm::{EntityTrait, QueryOrder};
    let policy = s.policy();
    let regions = regions_of(s, caller).await?;
    let units = units_of(s, &regions).await?;
    let rotas = rota::Entity::find()
        .order_by_desc(rota::Column::Id)
        .all(&s.db)
        .await?
        .into_iter()
        .filter_map(|r| {
            let name = scope_name(&regions, &units, &r.scope_code)?;
            let kind = policy
                .rotas
                .iter()
                .find(|k| k.rule == r.rule)
                .map(|k| k.name.clone())
                .unwrap_or_default();
            Some((r, kind, name))
        })
        .collect();
    let today = crate::time::beijing_date(caller.now);
    Ok(IndexPage {
        units,
        kinds: policy
            .rotas
            .iter()
            .map(|k| (k.rule.clone(), k.name.clone()))
            .collect(),
        regions: regions.into_iter().map(|(c, n, _)| (c, n)).collect(),
        rotas,
        from: today,
        to: NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today),
        error,
    })
}

async fn index(State(s): State<AppState>, caller: Caller) -> Result<Response, AppError> {
    office(&caller)?;
    Ok(render(&index_page(&s, &caller, None).await?)?.into_response())
}

#[derive(Deserialize)]
struct PlanForm {
    #[serde(default)]
    rule: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn plan(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<PlanForm>,
) -> Result<Response, AppError> {
    office(&caller)?;
    let refuse = |e: String| async {
        Ok::<_, AppError>(
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&index_page(&s, &caller, Some(e)).await?)?,
            )
                .into_response(),
        )
    };
    let page = index_page(&s, &caller, None).await?;
    if !page.regions.iter().any(|(c, _)| *c == f.scope)
        && !page.units.iter().any(|(c, _)| *c == f.scope)
    {
        return refuse("范围：请选择您所辖的区划".into()).await;
    }
    let (Ok(from), Ok(to)) = (f.from.parse::<NaiveDate>(), f.to.parse::<NaiveDate>()) else {
        return refuse("期间：请填写开始和结束日期".into()).await;
    };
    let policy = s.policy();
    match store::plan(
        &s.db,
        &policy,
        &f.rule,
        &f.scope,
        from,
        to,
        &caller.display_name,
        caller.now,
    )
    .await
    {
        Ok((id, _)) => {
            s.forget_reports().await;
            Ok(Redirect::to(&format!("/rotas/{id}")).into_response())
        }
        Err(StoreError::Invalid(e)) => refuse(e).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "rota/show.html")]
struct ShowPage {
    /// The people on the rota, for the leave form.
    people: Vec<(i32, String)>,
    r: rota::Model,
    kind: String,
    scope: String,
    lines: Vec<Line>,
    error: Option<String>,
    message: Option<String>,
}

async fn show_page(s: &AppState, caller: &Caller, id: i32) -> Result<ShowPage, AppError> {
    use sea_orm::EntityTrait;
    office(caller)?;
    let r = rota::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(AppError::NotFound("该排班".into()))?;
    let regions = regions_of(s, caller).await?;
    let units = units_of(s, &regions).await?;
    let Some(scope) = scope_name(&regions, &units, &r.scope_code) else {
        return Err(AppError::Forbidden);
    };
    let kind = s
        .policy()
        .rotas
        .iter()
        .find(|k| k.rule == r.rule)
        .map(|k| k.name.clone())
        .unwrap_or_default();
    let lines = store::lines(&s.db, id, None).await?;
    let mut people: Vec<(i32, String)> = lines.iter().map(|l| (l.person, l.name.clone())).collect();
    people.sort();
    people.dedup();
    Ok(ShowPage {
        people,
        r,
        kind,
        scope,
        lines,
        error: None,
        message: None,
    })
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
    let mut p = show_page(&s, &caller, id).await?;
    if q.done.as_deref() == Some("swap") {
        p.message = Some("已调班，两人的手机日历会随之更新。".into());
    }
    if q.done.as_deref() == Some("leave") {
        p.message = Some("已登记请假，这几天的班次已改排给其他人。".into());
    }
    Ok(render(&p)?.into_response())
}

#[derive(Deserialize)]
struct SwapForm {
    a: Option<i32>,
    b: Option<i32>,
}

async fn swap(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<SwapForm>,
) -> Result<Response, AppError> {
    let mut p = show_page(&s, &caller, id).await?;
    let (Some(a), Some(b)) = (f.a, f.b) else {
        p.error = Some("请选择要调换的两个班次".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response());
    };
    let ours = |x: i32| p.lines.iter().any(|l| l.slot == x);
    if !ours(a) || !ours(b) {
        p.error = Some("只能调换本排班里的班次".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response());
    }
    match store::swap(&s.db, a, b, &caller.display_name, caller.now).await {
        Ok(()) => {
            s.forget_reports().await;
            Ok(Redirect::to(&format!("/rotas/{id}?done=swap")).into_response())
        }
        Err(StoreError::Invalid(e)) | Err(StoreError::NotFound(e)) => {
            p.error = Some(e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct LeaveForm {
    person: Option<i32>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

/// Leave entered by the office for someone on the rota: their slots in those days go to others.
async fn leave(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<LeaveForm>,
) -> Result<Response, AppError> {
    let mut p = show_page(&s, &caller, id).await?;
    let person = f.person.filter(|x| p.lines.iter().any(|l| l.person == *x));
    let (Some(person), Ok(from), Ok(to)) = (
        person,
        f.from.parse::<NaiveDate>(),
        f.to.parse::<NaiveDate>(),
    ) else {
        p.error = Some("请假：请选择本排班里的人员，并填写开始和结束日期".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response());
    };
    let policy = s.policy();
    match store::leave(
        &s.db,
        &policy,
        person,
        from,
        to,
        &f.note,
        &caller.display_name,
        caller.now,
    )
    .await
    {
        Ok(_) => {
            s.forget_reports().await;
            Ok(Redirect::to(&format!("/rotas/{id}?done=leave")).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            p.error = Some(e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct FeedForm {
    renew: Option<String>,
    /// A unit's feed (its people's slots), for an office.
    unit: Option<String>,
}

#[derive(Template)]
#[template(path = "rota/feed.html")]
struct FeedPage {
    url: String,
}

/// The caller's own calendar feed (a person's account): its URL, or a new one.
async fn feed(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<FeedForm>,
) -> Result<Response, AppError> {
    let (kind, code) = match f.unit.filter(|u| !u.is_empty()) {
        Some(u) => {
            office(&caller)?;
            let regions = regions_of(&s, &caller).await?;
            if !units_of(&s, &regions).await?.iter().any(|(c, _)| *c == u) {
                return Err(AppError::NotFound("该单位".into()));
            }
            ("unit", u)
        }
        None => match caller.person_id {
            Some(pid) => ("person", pid.to_string()),
            None => {
                return Err(AppError::Refused(
                    "只有关联了人员的账号才有个人排班日历".into(),
                ));
            }
        },
    };
    let secret = store::feed_secret(&s.db, kind, &code, f.renew.is_some(), caller.now).await?;
    let base = s.config.base_url.clone().unwrap_or_default();
    Ok(render(&FeedPage {
        url: format!("{}/calendar/{secret}.ics", base.trim_end_matches('/')),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "rota/public.html")]
struct PublicPage {
    p: Option<store::Published>,
    kinds: Vec<(String, String, String, String)>,
    busy: bool,
}

impl PublicPage {
    /// 1月4日（星期一）
    fn day_zh(&self, d: &NaiveDate) -> String {
        const WEEK: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
        format!(
            "{}月{}日（星期{}）",
            d.month(),
            d.day(),
            WEEK[d.weekday().num_days_from_monday() as usize]
        )
    }

    fn about(&self, rule: &str) -> (String, String, String) {
        self.kinds
            .iter()
            .find(|k| k.0 == rule)
            .map(|k| (k.1.clone(), k.2.clone(), k.3.clone()))
            .unwrap_or_default()
    }
}

async fn busy(s: &AppState, addr: &str) -> Result<bool, AppError> {
    Ok(!s
        .resident
        .by_address
        .allow(&s.db, addr, minute_now())
        .await?)
}

/// The published rota of a region: who receives the public when and where, and the
/// supervision phone. No login; no ID numbers or phones of the people named.
#[derive(Deserialize, Default)]
struct PublicQuery {
    format: Option<String>,
}

async fn public(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(region): Path<String>,
    Query(q): Query<PublicQuery>,
) -> Result<Response, AppError> {
    let kinds: Vec<(String, String, String, String)> = s
        .policy()
        .rotas
        .iter()
        .map(|k| {
            (
                k.rule.clone(),
                k.name.clone(),
                k.place.clone(),
                format!("{}—{}", k.start.format("%H:%M"), k.end.format("%H:%M")),
            )
        })
        .collect();
    if busy(&s, &addr).await? {
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            render(&PublicPage {
                p: None,
                kinds,
                busy: true,
            })?,
        )
            .into_response());
    }
    let today = crate::time::today();
    let p = store::public(&s.db, &region, today).await?;
    if let (Some("pdf"), Some(p)) = (q.format.as_deref(), &p) {
        return notice(&s, p, &kinds).await;
    }
    let status = if p.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((
        status,
        render(&PublicPage {
            p,
            kinds,
            busy: false,
        })?,
    )
        .into_response())
}

/// The rota as a printable A4 notice to post at the office door.
async fn notice(
    s: &AppState,
    p: &store::Published,
    kinds: &[(String, String, String, String)],
) -> Result<Response, AppError> {
    let font = crate::print::load_font(s.config.card_font.as_deref()).map_err(AppError::Refused)?;
    let mut rows = Vec::new();
    for (r, lines) in &p.rotas {
        let k = kinds.iter().find(|k| k.0 == r.rule);
        for l in lines.iter().take(400) {
            rows.push(vec![
                l.day.format("%Y-%m-%d").to_string(),
                k.map(|k| k.1.clone()).unwrap_or_default(),
                k.map(|k| format!("{} {}", k.2, k.3)).unwrap_or_default(),
                format!("{}（{}）", l.name, l.unit),
            ]);
        }
    }
    let title = format!("{}公开排班表", p.name);
    let note = match &p.supervision_phone {
        Some(ph) => format!("群众有事可按表找值班的领导干部当面反映。监督电话：{ph}"),
        None => "群众有事可按表找值班的领导干部当面反映。".to_string(),
    };
    let bytes = tokio::task::spawn_blocking(move || {
        crate::print::table_pdf(
            font,
            &title,
            &note,
            &["日期", "排班", "地点和时间", "值班人员"],
            &[70.0, 130.0, 150.0, 165.0],
            &rows,
        )
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(AppError::Refused)?;
    Ok(([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response())
}

/// A calendar feed: `/calendar/{secret}.ics`.
async fn calendar(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    if busy(&s, &addr).await? {
        return Ok((StatusCode::TOO_MANY_REQUESTS, "访问太频繁，请稍后再试").into_response());
    }
    let secret = file.strip_suffix(".ics").unwrap_or("");
    let Some((kind, code)) = store::feed_owner(&s.db, secret).await? else {
        return Err(AppError::NotFound("该日历".into()));
    };
    let events = store::events(&s.db, &s.policy(), &kind, &code).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        crate::domain::rota::ics("连心排班", &events),
    )
        .into_response())
}
