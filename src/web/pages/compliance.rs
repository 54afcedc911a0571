//! Where everyone stands: the county overview by rule (with a chart drawn on the server),
//! one rule's subjects who are behind, and what falls due in the next 30 days.

use super::render;
use crate::domain::rules::{Outcome, Status};
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::web::view::{beijing_time, today};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use chrono::{Datelike, Duration, NaiveDate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/compliance", get(overview))
        .route("/compliance/report", get(download))
        .route("/compliance/compare", get(compare))
        .route("/compliance/rule/{id}", get(rule))
        .route("/compliance/policy", get(policy).post(check_policy))
        .route("/compliance/{kind}/{code}", get(scope))
}

#[derive(Template)]
#[template(path = "compliance/scope.html")]
struct ScopePage {
    year: i32,
    as_of: NaiveDate,
    title: String,
    back: String,
    rows: Vec<RuleRow>,
    lines: Vec<(String, Line)>,
    more: usize,
}

/// A unit's or a region's summary: each rule's share met among the unit (its people) or the
/// region (its villages, units and people), and who is behind on which rule, linked down to the
/// person, the household and the item.
async fn scope(
    State(s): State<AppState>,
    caller: Caller,
    Path((kind, code)): Path<(String, String)>,
    Query(q): Query<Q>,
) -> Result<Html<String>, AppError> {
    use std::collections::HashMap;
    let vis = caller.visibility();
    let (what, back_to) = match kind.as_str() {
        "unit" => ("单位", "units"),
        "region" => ("区划", "regions"),
        _ => return Err(AppError::NotFound("页面".into())),
    };
    let found = if kind == "unit" {
        crate::store::rules::unit_members(&s.db, &code).await?
    } else {
        crate::store::rules::region_members(&s.db, &code).await?
    };
    // A unit is readable by its own grant or its region's; a region by a grant above it.
    let scope = found
        .filter(|m| {
            vis.all || (kind == "unit" && vis.units.contains(&m.code)) || vis.covers_region(&m.path)
        })
        .ok_or(AppError::NotFound(what.into()))?;
    let (title, back, people, places) = (
        scope.name,
        format!("/{back_to}/{}", scope.code),
        scope.people,
        scope.places,
    );
    let ids: HashMap<&str, i32> = people
        .iter()
        .map(|p| (p.id_number.as_str(), p.id))
        .collect();
    let (year, as_of) = q.resolve()?;
    let (report, _) = s.report(year, as_of).await?;
    // A household's own row (LH-1) belongs to the scope its region lies in.
    let homes = if report.results.iter().any(|o| o.subject_kind == "household") {
        let regions: Vec<String> = places.iter().cloned().collect();
        crate::store::rules::households_in(&s.db, &regions).await?
    } else {
        Default::default()
    };
    let mine: Vec<&Outcome> = report
        .results
        .iter()
        .filter(|o| match o.subject_kind {
            "person" => ids.contains_key(o.subject_code.as_str()),
            "household" => homes.contains(&o.subject_code),
            _ => places.contains(&o.subject_code),
        })
        .collect();
    let rows = rule_rows(&s, &mine, as_of);
    let folded = fold_periods(&s.policy(), &mine);
    let mine: Vec<&Outcome> = folded.iter().collect();
    let mut behind: Vec<&&Outcome> = mine.iter().filter(|o| o.status != Status::Met).collect();
    behind.sort_by_key(|o| {
        (
            o.status == Status::Pending && !due_soon(o, as_of),
            o.rule.clone(),
            o.subject_name.clone(),
        )
    });
    let shown = 300.min(behind.len());
    let lines = behind[..shown]
        .iter()
        .map(|o| {
            let link = match o.subject_kind {
                "person" => ids
                    .get(o.subject_code.as_str())
                    .map(|id| format!("/people/{id}")),
                "unit" => Some(format!("/units/{}", o.subject_code)),
                "region" => Some(format!("/regions/{}", o.subject_code)),
                "household" => Some(format!("/households/{}", o.subject_code)),
                _ => None,
            };
            (
                o.rule.clone(),
                Line::of(o, o.subject_name.clone(), link, as_of),
            )
        })
        .collect();
    render(&ScopePage {
        year,
        as_of,
        title,
        back,
        rows,
        lines,
        more: behind.len() - shown,
    })
}

#[derive(Template)]
#[template(path = "compliance/policy.html")]
struct PolicyPage {
    title: String,
    file: String,
    /// The caller may save a checked edit as the policy in force.
    may_save: bool,
    rules: Vec<(String, String, String, String, String)>,
    text: String,
    checked: Option<Result<String, Vec<String>>>,
    /// The saved versions, newest first: number, name and the day each takes effect.
    versions: Vec<(i32, String, String)>,
    /// The day a saved version takes effect (today unless chosen).
    from: NaiveDate,
}

/// The text of the policy in force: the latest saved version, else the county's file, else the
/// shipped default.
async fn policy_text(s: &AppState) -> Result<(String, bool), AppError> {
    if let Some(text) = crate::store::rules::saved_policy(&s.db).await? {
        return Ok((text, true));
    }
    Ok((
        s.config
            .policy_file
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_else(|| crate::domain::policy::DEFAULT.to_string()),
        false,
    ))
}

/// A rule's period as the page says it.
fn period_zh(p: &str) -> &str {
    match p {
        "year" => "每年",
        "half" => "每半年",
        "quarter" => "每季度",
        "month" => "每月",
        "week" => "每周",
        "day" => "每天",
        "posting" => "每次锻炼",
        other => other,
    }
}

fn policy_page(
    s: &AppState,
    text: String,
    saved: bool,
    may_save: bool,
    checked: Option<Result<String, Vec<String>>>,
) -> PolicyPage {
    let p = &s.policy();
    let versions = s
        .policies()
        .iter()
        .rev()
        .filter_map(|v| {
            Some((
                v.version?,
                v.policy.title.clone(),
                v.from
                    .map(|d| format!("{d}起"))
                    .unwrap_or_else(|| "最初起".into()),
            ))
        })
        .collect();
    PolicyPage {
        versions,
        from: today(),
        title: p.title.clone(),
        may_save,
        file: if saved {
            "本县在本页保存的版本（历次版本均有留存）".into()
        } else {
            s.config
                .policy_file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_else(|| "内置的默认制度".into())
        },
        rules: p
            .rules
            .iter()
            .map(|r| {
                let what = r.measure.threshold();
                (
                    r.id.clone(),
                    r.name.clone(),
                    r.text.clone(),
                    what,
                    period_zh(r.period.as_deref().unwrap_or("year")).to_string(),
                )
            })
            .collect(),
        text,
        checked,
    }
}

/// The policy in force, rule by rule, and its text to edit and check.
async fn policy(State(s): State<AppState>, caller: Caller) -> Result<Html<String>, AppError> {
    let (text, saved) = policy_text(&s).await?;
    let may_save = caller.can(crate::domain::access::Capability::EditPolicy);
    render(&policy_page(&s, text, saved, may_save, None))
}

#[derive(serde::Deserialize)]
struct PolicyForm {
    text: String,
    /// The day a saved version takes effect (年-月-日); today when left empty.
    #[serde(default)]
    from: String,
    #[serde(default)]
    download: Option<String>,
    #[serde(default)]
    save: Option<String>,
}

/// Checks an edited policy (as `lianxin policy check` does); a policy without errors can be
/// downloaded to replace the county's file (`policy_file` in lianxin.toml).
async fn check_policy(
    State(s): State<AppState>,
    caller: Caller,
    axum::Form(f): axum::Form<PolicyForm>,
) -> Result<axum::response::Response, AppError> {
    use crate::domain::access::Capability;
    use axum::response::IntoResponse;
    let may_save = caller.can(Capability::EditPolicy);
    let mut parsed = crate::domain::policy::Policy::parse(&f.text);
    let from = match f.from.trim() {
        "" => Ok(today()),
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .filter(|d| (2000..=2100).contains(&d.year()))
            .ok_or_else(|| format!("生效日期“{d}”无效：应为2000年到2100年间的“年-月-日”")),
    };
    if let (Err(e), true) = (&from, f.save.is_some()) {
        parsed = Err(vec![e.clone()]);
    }
    if f.save.is_some() {
        crate::web::auth::require(&caller, Capability::EditPolicy)?;
        if let (Ok(p), Ok(from)) = (&parsed, from) {
            let summary = format!("{}（{}条规则）", p.title, p.rules.len());
            let version = crate::store::rules::save_policy(
                &s.db,
                &caller.username,
                &f.text,
                from,
                chrono::Utc::now(),
            )
            .await?;
            s.reload_policies().await?;
            let done = Ok(format!(
                "已保存为第{version}版，自{from}起生效（此前各期仍按原制度计算）：{summary}"
            ));
            let mut page = policy_page(&s, f.text, true, may_save, Some(done));
            page.from = from;
            return Ok(render(&page)?.into_response());
        }
    }
    let checked = parsed.map(|p| format!("制度文件无误：{}（{}条规则）", p.title, p.rules.len()));
    if f.download.is_some() && checked.is_ok() {
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/toml; charset=utf-8",
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"policy.toml\"",
                ),
            ],
            f.text,
        )
            .into_response());
    }
    let saved = crate::store::rules::saved_policy(&s.db).await?.is_some();
    Ok(render(&policy_page(&s, f.text, saved, may_save, Some(checked)))?.into_response())
}

#[derive(serde::Deserialize, Default)]
struct Q {
    year: Option<i32>,
    as_of: Option<NaiveDate>,
}

impl Q {
    /// The year and as-of day asked for: this year up to today by default; a year outside
    /// 2000–2100 or an as-of day outside the year is refused with the reason.
    pub fn resolve(&self) -> Result<(i32, NaiveDate), AppError> {
        let t = today();
        let year = self.year.unwrap_or(t.year());
        if !(2000..=2100).contains(&year) {
            return Err(AppError::BadRequest(format!(
                "年度“{year}”无效：应在2000年到2100年之间"
            )));
        }
        let as_of = self
            .as_of
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(t).min(t));
        if as_of.year() != year {
            return Err(AppError::BadRequest(format!(
                "截至日期 {as_of} 不在{year}年内"
            )));
        }
        Ok((year, as_of))
    }
}

/// The year and as-of day of a request, checked.
pub fn resolve_year(
    year: Option<i32>,
    as_of: Option<NaiveDate>,
) -> Result<(i32, NaiveDate), AppError> {
    Q { year, as_of }.resolve()
}

/// Rules judged per day, week or month: one row per subject (and target) for the pages, saying in
/// how many of its periods it was behind, so that a weekly rule is not a thousand person-weeks.
/// The downloaded report keeps every period.
pub fn fold_periods(policy: &crate::domain::policy::Policy, outcomes: &[&Outcome]) -> Vec<Outcome> {
    use std::collections::HashMap;
    let unit: HashMap<&str, &str> = policy
        .rules
        .iter()
        .filter_map(|r| match r.period.as_deref() {
            Some("week") => Some((r.id.as_str(), "周")),
            Some("month") => Some((r.id.as_str(), "个月")),
            Some("day") => Some((r.id.as_str(), "天")),
            _ => None,
        })
        .collect();
    let mut out: Vec<Outcome> = Vec::new();
    let mut at: HashMap<(&str, &str, &str, Option<&str>), usize> = HashMap::new();
    let mut tally: Vec<[usize; 3]> = Vec::new();
    for o in outcomes {
        let Some(_) = unit.get(o.rule.as_str()) else {
            out.push((*o).clone());
            tally.push([0; 3]);
            continue;
        };
        let key = (
            o.rule.as_str(),
            o.subject_kind,
            o.subject_code.as_str(),
            o.target_code.as_deref(),
        );
        let i = *at.entry(key).or_insert_with(|| {
            let mut g = (*o).clone();
            g.status = Status::Met;
            g.detail = String::new();
            out.push(g);
            tally.push([0; 3]);
            out.len() - 1
        });
        let (g, t) = (&mut out[i], &mut tally[i]);
        match o.status {
            Status::Met => t[0] += 1,
            Status::Unmet => {
                t[1] += 1;
                g.status = Status::Unmet;
                g.detail = format!("{}：{}", o.period, o.detail);
            }
            Status::Pending => {
                t[2] += 1;
                if g.status == Status::Met {
                    g.status = Status::Pending;
                }
                if g.detail.is_empty() {
                    g.detail = format!("{}：{}", o.period, o.detail);
                }
                g.reachable = o.reachable;
            }
        }
        let u = unit.get(o.rule.as_str()).copied().unwrap_or("期");
        g.period = if t[1] > 0 {
            format!("{}{u}中{}{u}未达标", t[0] + t[1] + t[2], t[1])
        } else {
            format!("{}{u}", t[0] + t[1] + t[2])
        };
        g.actual = t[0] as f64;
        g.required = (t[0] + t[1] + t[2]) as f64;
    }
    out
}

#[derive(serde::Deserialize, Default)]
struct ReportQuery {
    year: Option<i32>,
    as_of: Option<NaiveDate>,
    format: Option<String>,
}

/// The whole FORMATS.md report to take home: `.xlsx` or JSON, for a chosen year and as-of day.
async fn download(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Result<axum::response::Response, AppError> {
    if !caller.visibility().all {
        return Err(AppError::Forbidden);
    }
    let (year, as_of) = Q {
        year: q.year,
        as_of: q.as_of,
    }
    .resolve()?;
    report_file(
        &s,
        &caller,
        year,
        as_of,
        q.format.as_deref().unwrap_or("xlsx"),
    )
    .await
}

/// The report as a file, audited as an export (it names people by ID number).
pub async fn report_file(
    s: &AppState,
    caller: &Caller,
    year: i32,
    as_of: NaiveDate,
    format: &str,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    if !matches!(format, "json" | "xlsx") {
        return Err(AppError::BadRequest(format!(
            "格式“{format}”无效，可选：xlsx、json"
        )));
    }
    let (report, _) = s.report(year, as_of).await?;
    crate::store::access::audit(
        &s.db,
        caller.now,
        Some(caller.account_id).filter(|a| *a > 0),
        &caller.username,
        "export",
        "compliance",
        &format!("{year} 截至 {as_of}"),
        &caller.address,
    )
    .await?;
    match format {
        "json" => Ok(axum::Json(report.as_ref().clone()).into_response()),
        _ => {
            let bytes = crate::exchange::write_compliance(&report)?;
            Ok(crate::web::api::exchange::xlsx(
                &format!("落实情况{year}（截至{as_of}）"),
                bytes,
            ))
        }
    }
}

pub struct RuleRow {
    pub id: String,
    pub name: String,
    pub met: usize,
    pub unmet: usize,
    pub pending: usize,
    pub due_soon: usize,
}

impl RuleRow {
    pub fn total(&self) -> usize {
        self.met + self.unmet + self.pending
    }
    /// Bar widths out of 300 px for met / pending / unmet.
    pub fn bars(&self) -> (usize, usize, usize) {
        let t = self.total().max(1);
        let w = |n: usize| n * 300 / t;
        (w(self.met), w(self.pending), w(self.unmet))
    }
    pub fn share(&self) -> String {
        if self.total() == 0 {
            "—".into()
        } else {
            format!("{}%", self.met * 100 / self.total())
        }
    }
}

#[derive(Template)]
#[template(path = "compliance/overview.html")]
struct Overview {
    year: i32,
    as_of: NaiveDate,
    made: String,
    rows: Vec<RuleRow>,
    unmeasured: Vec<(String, String)>,
}

/// Per rule of the policy (in its order): how many of these rows are met, unmet, pending and
/// due soon. Rules without rows are left out.
fn rule_rows(s: &AppState, outcomes: &[&Outcome], as_of: NaiveDate) -> Vec<RuleRow> {
    let mut by_rule: std::collections::HashMap<&str, RuleRow> = std::collections::HashMap::new();
    for o in outcomes {
        let r = by_rule.entry(o.rule.as_str()).or_insert_with(|| RuleRow {
            id: o.rule.clone(),
            name: String::new(),
            met: 0,
            unmet: 0,
            pending: 0,
            due_soon: 0,
        });
        match o.status {
            Status::Met => r.met += 1,
            Status::Unmet => r.unmet += 1,
            Status::Pending => r.pending += 1,
        }
        if due_soon(o, as_of) {
            r.due_soon += 1;
        }
    }
    s.policy()
        .rules
        .iter()
        .filter_map(|rule| {
            let mut row = by_rule.remove(rule.id.as_str())?;
            row.name = rule.name.clone();
            Some(row)
        })
        .collect()
}

/// Pending rows whose period ends within 30 days of the as-of day: not yet on track.
pub fn due_soon(o: &Outcome, as_of: NaiveDate) -> bool {
    o.status == Status::Pending
        && period_end(&o.period).is_some_and(|e| e <= as_of + Duration::days(30))
}

fn period_end(label: &str) -> Option<NaiveDate> {
    let year: i32 = label.get(..4)?.parse().ok()?;
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    let month_end = |m: u32| {
        if m == 12 {
            ymd(year, 12, 31)
        } else {
            ymd(year, m + 1, 1).map(|d| d - Duration::days(1))
        }
    };
    match label.get(4..) {
        Some("") => ymd(year, 12, 31),
        Some("-H1") => ymd(year, 6, 30),
        Some("-H2") => ymd(year, 12, 31),
        Some(rest) if rest.starts_with("-Q") => month_end(rest.get(2..)?.parse::<u32>().ok()? * 3),
        Some(rest) if rest.starts_with("-W") => {
            NaiveDate::from_isoywd_opt(year, rest.get(2..)?.parse().ok()?, chrono::Weekday::Sun)
        }
        Some(rest) if rest.len() == 6 => NaiveDate::parse_from_str(label, "%Y-%m-%d").ok(),
        Some(rest) => month_end(rest.get(1..)?.parse().ok()?),
        None => None,
    }
}

async fn overview(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<Q>,
) -> Result<Html<String>, AppError> {
    if !caller.visibility().all {
        return Err(AppError::Forbidden);
    }
    let (year, as_of) = q.resolve()?;
    let (report, made) = s.report(year, as_of).await?;
    let all: Vec<&Outcome> = report.results.iter().collect();
    let rows = rule_rows(&s, &all, as_of);
    render(&Overview {
        year,
        as_of,
        made: beijing_time(&made),
        rows,
        unmeasured: report
            .unmeasured
            .iter()
            .map(|u| (u.rule.clone(), u.reason.clone()))
            .collect(),
    })
}

pub struct Line {
    pub subject_kind: &'static str,
    pub subject_name: String,
    pub link: Option<String>,
    pub target: String,
    pub period: String,
    pub status: &'static str,
    pub actual: f64,
    pub required: f64,
    pub detail: String,
    pub due_soon: bool,
    /// Pending, but no longer reachable in the days its period has left.
    pub unreachable: bool,
}

pub fn status_zh(s: Status) -> &'static str {
    match s {
        Status::Met => "达标",
        Status::Unmet => "未达标",
        Status::Pending => "进行中",
    }
}

#[derive(Template)]
#[template(path = "compliance/rule.html")]
struct RulePage {
    year: i32,
    as_of: NaiveDate,
    id: String,
    name: String,
    text: String,
    lines: Vec<Line>,
    more: usize,
    /// Rows the rule has this period, met or not: none means nothing to judge, not "all met".
    judged: usize,
    /// Why the rule is not measured, when it is not.
    unmeasured: Option<String>,
}

async fn rule(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Q>,
) -> Result<Html<String>, AppError> {
    if !caller.visibility().all {
        return Err(AppError::Forbidden);
    }
    let r = s
        .policy()
        .rule(&id)
        .cloned()
        .ok_or(AppError::NotFound("该规则".into()))?;
    let (year, as_of) = q.resolve()?;
    let (report, _) = s.report(year, as_of).await?;
    let all: Vec<&Outcome> = report.results.iter().filter(|o| o.rule == id).collect();
    let folded = fold_periods(&s.policy(), &all);
    let people: std::collections::HashMap<String, i32> = if report
        .results
        .iter()
        .any(|o| o.rule == id && o.subject_kind == "person")
    {
        crate::store::work::person_ids_by_code(&s.db).await?
    } else {
        Default::default()
    };
    let judged = folded.len();
    let unmeasured = report
        .unmeasured
        .iter()
        .find(|u| u.rule == id)
        .map(|u| u.reason.clone());
    let mut behind: Vec<&Outcome> = folded.iter().filter(|o| o.status != Status::Met).collect();
    behind.sort_by_key(|o| {
        (
            o.status == Status::Pending && !due_soon(o, as_of),
            o.status == Status::Pending,
            o.subject_name.clone(),
        )
    });
    let shown = 500.min(behind.len());
    let lines = behind[..shown]
        .iter()
        .map(|o| {
            let link = match o.subject_kind {
                "person" => people
                    .get(&o.subject_code)
                    .map(|id| format!("/people/{id}")),
                "unit" => Some(format!("/units/{}", o.subject_code)),
                "region" => Some(format!("/regions/{}", o.subject_code)),
                "household" => Some(format!("/households/{}", o.subject_code)),
                _ => None,
            };
            Line::of(o, o.subject_name.clone(), link, as_of)
        })
        .collect();
    render(&RulePage {
        year,
        as_of,
        id: r.id,
        name: r.name,
        text: r.text,
        judged,
        unmeasured,
        lines,
        more: behind.len() - shown,
    })
}

/// A person's own rows, for the person page: behind first.
/// One person's rows, from an evaluation of just the facts they depend on (fast enough for
/// every page load; the same rows as the county's evaluation).
pub async fn person_lines(
    s: &AppState,
    person_id: i32,
    code: &str,
    t: NaiveDate,
) -> Result<Vec<Line>, AppError> {
    let facts = crate::store::rules::person_facts(&s.db, t.year(), person_id)
        .await?
        .as_of(t);
    let versions = s.policies();
    let in_force: Vec<_> = versions.iter().map(|v| v.in_force()).collect();
    let report = crate::domain::rules::evaluate_dated(&in_force, &facts, t.year(), t);
    let own: Vec<&Outcome> = report
        .results
        .iter()
        .filter(|o| o.subject_kind == "person" && o.subject_code == code)
        .collect();
    // A monthly rule is one line saying how many months were missed, not twelve lines.
    let folded = fold_periods(&s.policy(), &own);
    let mut mine: Vec<&Outcome> = folded.iter().collect();
    mine.sort_by_key(|o| {
        (
            o.status == Status::Met,
            !due_soon(o, t),
            o.rule.clone(),
            o.period.clone(),
        )
    });
    let policy = s.policy();
    Ok(mine
        .into_iter()
        .map(|o| {
            // What to do, by the rule's name; its ID stays in the report.
            let name = policy
                .rules
                .iter()
                .find(|r| r.id == o.rule)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| o.rule.clone());
            Line::of(o, name, Some(format!("/compliance/rule/{}", o.rule)), t)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_labels_end_where_the_report_says() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(period_end("2026"), Some(d("2026-12-31")));
        assert_eq!(period_end("2026-H1"), Some(d("2026-06-30")));
        assert_eq!(period_end("2026-Q1"), Some(d("2026-03-31")));
        assert_eq!(period_end("2026-02"), Some(d("2026-02-28")));
        assert_eq!(period_end("2026-W01"), Some(d("2026-01-04")));
    }
}

impl Line {
    fn of(o: &Outcome, subject_name: String, link: Option<String>, as_of: NaiveDate) -> Line {
        Line {
            subject_kind: match o.subject_kind {
                "person" => "人员",
                "unit" => "单位",
                "region" => "区划",
                "household" => "户",
                _ => "对象",
            },
            subject_name,
            link,
            target: o
                .target_code
                .as_deref()
                .map(crate::domain::ids::shown_code)
                .unwrap_or_default(),
            period: o.period.clone(),
            status: status_zh(o.status),
            actual: o.actual,
            required: o.required,
            detail: o.detail.clone(),
            due_soon: due_soon(o, as_of),
            unreachable: o.reachable == Some(false),
        }
    }
}

/// One town or unit on the comparison page.
pub struct GroupRow {
    pub name: String,
    pub link: String,
    pub met: usize,
    pub unmet: usize,
    pub pending: usize,
    /// The rules it is furthest behind on: name and share met.
    pub worst: Vec<(String, String)>,
}

impl GroupRow {
    fn total(&self) -> usize {
        self.met + self.unmet + self.pending
    }
    /// Share met, in tenths of a percent (for sorting).
    fn permille(&self) -> usize {
        self.met * 1000 / self.total().max(1)
    }
    pub fn share(&self) -> String {
        format!("{}%", self.met * 100 / self.total().max(1))
    }
}

#[derive(Template)]
#[template(path = "compliance/compare.html")]
struct ComparePage {
    year: i32,
    as_of: NaiveDate,
    by: &'static str,
    rows: Vec<GroupRow>,
}

#[derive(serde::Deserialize, Default)]
struct CompareQuery {
    year: Option<i32>,
    as_of: Option<NaiveDate>,
    by: Option<String>,
}

/// Towns (or units) side by side: share met of their rows, behind first, and the rules each is
/// furthest behind on.
async fn compare(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<CompareQuery>,
) -> Result<Html<String>, AppError> {
    use std::collections::HashMap;
    if !caller.visibility().all {
        return Err(AppError::Forbidden);
    }
    let (year, as_of) = Q {
        year: q.year,
        as_of: q.as_of,
    }
    .resolve()?;
    let by_unit = q.by.as_deref() == Some("unit");
    let (report, _) = s.report(year, as_of).await?;
    let b = crate::store::rules::belonging(&s.db).await?;
    // Households' own rows (LH-1) count for the town their region lies in.
    let homes = if !by_unit && report.results.iter().any(|o| o.subject_kind == "household") {
        crate::store::rules::household_regions(&s.db).await?
    } else {
        Default::default()
    };
    let policy = s.policy();
    // group → rule → [met, unmet, pending], over every assessed row (person-month, …)
    let mut tally: HashMap<String, HashMap<&str, [usize; 3]>> = HashMap::new();
    for o in &report.results {
        let group = match (o.subject_kind, by_unit) {
            ("person", false) => b.person.get(&o.subject_code).and_then(|p| p.1.clone()),
            ("person", true) => b.person.get(&o.subject_code).map(|p| p.0.clone()),
            ("unit", false) => b.unit_town.get(&o.subject_code).cloned().flatten(),
            ("unit", true) => Some(o.subject_code.clone()),
            ("region", false) => b.region_town.get(&o.subject_code).cloned().flatten(),
            ("household", false) => homes
                .get(&o.subject_code)
                .and_then(|r| b.region_town.get(r).cloned().flatten()),
            _ => None,
        };
        let Some(group) = group else { continue };
        let t = tally
            .entry(group)
            .or_default()
            .entry(o.rule.as_str())
            .or_default();
        t[match o.status {
            Status::Met => 0,
            Status::Unmet => 1,
            Status::Pending => 2,
        }] += 1;
    }
    let name_of = |id: &str| {
        policy
            .rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let mut rows: Vec<GroupRow> = tally
        .into_iter()
        .map(|(code, rules)| {
            let mut sum = [0usize; 3];
            for t in rules.values() {
                for i in 0..3 {
                    sum[i] += t[i];
                }
            }
            let mut worst: Vec<(&str, usize, usize)> = rules
                .iter()
                .filter(|(_, t)| t[1] + t[2] > 0)
                .map(|(r, t)| (*r, t[0] * 1000 / (t[0] + t[1] + t[2]).max(1), t[1]))
                .collect();
            worst.sort_by_key(|w| (w.1, std::cmp::Reverse(w.2), w.0));
            let (name, link) = if by_unit {
                (
                    b.unit_names.get(&code).cloned().unwrap_or(code.clone()),
                    format!("/compliance/unit/{code}?year={year}&as_of={as_of}"),
                )
            } else {
                (
                    b.town_names.get(&code).cloned().unwrap_or(code.clone()),
                    format!("/compliance/region/{code}?year={year}&as_of={as_of}"),
                )
            };
            GroupRow {
                name,
                link,
                met: sum[0],
                unmet: sum[1],
                pending: sum[2],
                worst: worst
                    .into_iter()
                    .take(3)
                    .map(|(r, pm, _)| (name_of(r), format!("{}%", pm / 10)))
                    .collect(),
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.permille(), std::cmp::Reverse(r.unmet), r.name.clone()));
    render(&ComparePage {
        year,
        as_of,
        by: if by_unit { "unit" } else { "town" },
        rows,
    })
}
