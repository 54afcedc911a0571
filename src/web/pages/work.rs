//! Pages for work: the record form (phone first, safe to resend), a record and its
//! corrections, the cadre's own page, coverage, the assignment proposal, handover, and
//! shared contact points.

use super::render;
use crate::domain::access::Capability;
use crate::domain::labels::ActivityKind;
use crate::domain::work::{FieldError, RawActivity, TemplateStatus};
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::entities::*;
use crate::store::registry as reg;
use crate::store::work::{self, CoverageRow, MyWork};
use crate::web::Writing;
use crate::web::api::work::{self as api, DuplicateView, Proposal, ProposalRequest};
use crate::web::view::*;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/activities/new", get(new_activity).post(submit_activity))
        .route("/activities/{id}", get(show_activity))
        .route(
            "/activities/{id}/invitation",
            axum::routing::post(answer_invitation),
        )
        .route(
            "/activities/{id}/edit",
            get(edit_activity).post(submit_correction),
        )
        .route("/regions/{code}/coverage", get(coverage))
        .route("/regions/{code}/unlinked", get(unlinked))
        .route("/regions/{code}/assignment", get(assignment).post(propose))
        .route(
            "/regions/{code}/assignment/confirm",
            axum::routing::post(confirm),
        )
        .route("/handover", get(handover_form).post(handover))
        .route("/contacts", get(contacts))
        .route("/people/{id}/links", axum::routing::post(add_link))
        .route("/links/{id}", axum::routing::post(change_link))
}

#[derive(serde::Deserialize, Default)]
struct DayQuery {
    date: Option<NaiveDate>,
}

/// A choice on the form: value, label, whether it is ticked.
struct Choice {
    value: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "work/form.html")]
struct RecordForm {
    title: String,
    action: String,
    draft: String,
    raw: RawActivity,
    kinds: Vec<Choice>,
    colleagues: Vec<Choice>,
    targets: Vec<Choice>,
    more_targets: String,
    /// One row per matter: the household that raised it (code, or empty) and the text.
    matter_rows: Vec<(String, String)>,
    errors: Vec<FieldError>,
    problem: Option<String>,
    today: String,
}

impl RecordForm {
    /// Whether a household code is among the form's linked households.
    fn listed(&self, code: &str) -> bool {
        self.targets.iter().any(|t| t.value == code)
    }
}

fn new_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The form's choices for a caller: colleagues of the same unit, and the households and
/// places the caller links.
/// Which form: new record or correction, with its title, target and draft key.
struct FormAt {
    title: &'static str,
    action: String,
    draft: String,
}

impl FormAt {
    fn new() -> FormAt {
        FormAt {
            title: "记一笔工作",
            action: "/activities/new".into(),
            draft: "new".into(),
        }
    }
    fn edit(id: i32) -> FormAt {
        FormAt {
            title: "更正工作记录",
            action: format!("/activities/{id}/edit"),
            draft: format!("edit-{id}"),
        }
    }
}

async fn form(
    s: &AppState,
    caller: &Caller,
    at: FormAt,
    raw: RawActivity,
    errors: Vec<FieldError>,
    problem: Option<String>,
) -> Result<Html<String>, AppError> {
    let me = match caller.person_id {
        Some(pid) => {
            reg::person(&s.db, pid, &crate::store::access::Visibility::everything()).await?
        }
        None => None,
    };
    let mut colleagues = Vec::new();
    let mut targets = Vec::new();
    if let Some(me) = &me {
        let mates = work::colleagues(&s.db, me, 80).await?;
        for p in std::iter::once(me).chain(mates.iter()) {
            colleagues.push(Choice {
                checked: raw.participant_ids.contains(&p.id)
                    || (raw.participant_ids.is_empty() && p.id == me.id && errors.is_empty()),
                value: p.id.to_string(),
                label: if p.id == me.id {
                    format!("{}（本人）", p.name)
                } else {
                    p.name.clone()
                },
            });
        }
        let mine = work::my_work(&s.db, &s.policy(), me, today()).await?;
        for h in mine.households {
            targets.push(Choice {
                checked: raw.targets.contains(&h.code),
                label: format!("{}户（{}）", h.head_name, h.link_kind_zh),
                value: h.code,
            });
        }
    }
    let listed: Vec<&str> = targets.iter().map(|t| t.value.as_str()).collect();
    let more_targets = raw
        .targets
        .iter()
        .filter(|t| !listed.contains(&t.as_str()))
        .cloned()
        .collect::<Vec<_>>()
        .join("、");
    let kinds = ActivityKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.code().into(),
            label: k.zh().into(),
            checked: raw.kind == k.code() || raw.kind == k.zh(),
        })
        .collect();
    let mut matter_rows: Vec<(String, String)> = raw
        .matters
        .iter()
        .flat_map(|m| m.lines())
        .map(|m| {
            let (code, text) = crate::domain::work::matter_household(m);
            (code.unwrap_or("").to_string(), text.to_string())
        })
        .filter(|(_, t)| !t.is_empty())
        .collect();
    matter_rows.push((String::new(), String::new()));
    if matter_rows.len() < 2 {
        matter_rows.push((String::new(), String::new()));
    }
    render(&RecordForm {
        title: at.title.into(),
        action: at.action,
        draft: at.draft,
        matter_rows,
        more_targets,
        raw,
        kinds,
        colleagues,
        targets,
        errors,
        problem,
        today: today().to_string(),
    })
}

async fn new_activity(State(s): State<AppState>, caller: Caller) -> Result<Html<String>, AppError> {
    if !caller.can(Capability::RecordWork) {
        return Err(AppError::Forbidden);
    }
    let raw = RawActivity {
        client_key: new_key(),
        kind: ActivityKind::HouseholdVisit.code().into(),
        start_date: today().to_string(),
        ..Default::default()
    };
    form(&s, &caller, FormAt::new(), raw, vec![], None).await
}

/// The form as sent: repeated fields become lists; the free-text lists are split later. Each
/// matter row's household comes before its text; a matter names its household as `code：text`,
/// and that household becomes a target of the record.
fn raw_from_form(fields: Vec<(String, String)>) -> RawActivity {
    let mut r = RawActivity::default();
    let mut row_household = String::new();
    for (k, v) in fields {
        if k == "matter_household" {
            row_household = v.trim().to_string();
            continue;
        }
        if k == "matter_text" {
            let h = std::mem::take(&mut row_household);
            let lines: Vec<&str> = v.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            if lines.is_empty() {
                continue;
            }
            if !h.is_empty() && !r.targets.contains(&h) {
                r.targets.push(h.clone());
            }
            for l in lines {
                r.matters.push(if h.is_empty() {
                    l.to_string()
                } else {
                    format!("{h}：{l}")
                });
            }
            continue;
        }
        match k.as_str() {
            "client_key" => r.client_key = v,
            "kind" => r.kind = v,
            "start_date" => r.start_date = v,
            "end_date" => r.end_date = v,
            "participant_ids" => {
                if let Ok(id) = v.trim().parse() {
                    r.participant_ids.push(id)
                }
            }
            "participants" => r.participants.push(v),
            "targets" | "more_targets" => r.targets.extend(crate::domain::text::split_list(&v)),
            "companions" => r.companions = v,
            "hours" => r.hours = v,
            "notes" => r.notes = v,
            "aid" => r.aid = v,
            "aid_value" => r.aid_value = v,
            "matters" => r.matters.push(v),
            "card_delivered" => r.card_delivered = !v.is_empty(),
            _ => {}
        }
    }
    r
}

/// The form again with its errors: 422, so that neither a script nor a person mistakes it for
/// a saved record (the page keeps its draft until the server says it is saved).
fn refused(page: Html<String>) -> Response {
    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

async fn submit_activity(
    State(s): State<AppState>,
    caller: Caller,
    Writing(db): Writing,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let raw = raw_from_form(fields);
    let parsed = raw.parse(today(), s.config.max_list_items);
    // The record's own warning (too many companions), apart from the note on invitations.
    let companions = parsed
        .as_ref()
        .is_ok_and(|r| !r.warnings(&s.policy()).is_empty());
    let result = match parsed {
        Err(errors) => {
            return Ok(refused(
                form(&s, &caller, FormAt::new(), raw, errors, None).await?,
            ));
        }
        Ok(r) => work::record(&db, &s.policy(), &caller, r, Utc::now()).await,
    };
    match result {
        Ok(done) => {
            let mut to = format!("/activities/{}?saved=1", done.activity_id);
            if done.duplicate {
                to = format!("/activities/{}?duplicate=1", done.activity_id);
            }
            if companions {
                to.push_str("&warn=companions");
            } else if done.warnings.iter().any(|w| w.contains("亲情卡")) {
                to.push_str("&warn=cards");
            }
            Ok(Redirect::to(&to).into_response())
        }
        Err(crate::store::StoreError::Invalid(m)) => Ok(refused(
            form(&s, &caller, FormAt::new(), raw, vec![], Some(m)).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "work/activity.html")]
struct RecordPage {
    id: i32,
    d: api::ActivityDetail,
    saved: bool,
    duplicate: bool,
    warning: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct Saved {
    saved: Option<u8>,
    duplicate: Option<u8>,
    warn: Option<String>,
}

impl RecordPage {
    fn name_of(&self, code: &str) -> String {
        self.d
            .target_names
            .iter()
            .find(|t| t.code == code)
            .map(|t| t.zh.clone())
            .unwrap_or_else(|| code.to_string())
    }
}

async fn show_activity(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Query(q): Query<Saved>,
) -> Result<Html<String>, AppError> {
    let d = api::activity_detail(&s, &caller, id).await?;
    render(&RecordPage {
        id,
        saved: q.saved.is_some(),
        duplicate: q.duplicate.is_some(),
        warning: q.warn.map(|w| {
            if w == "cards" {
                "记录已保存；所选户中有的还没有印制亲情卡，未记为已送达：请党政办先印制（“连心卡”页面）。".to_string()
            } else {
                format!(
                    "随行人员超过{}人（LXD-12），记录已照常保存。",
                    s.policy().work.max_companions
                )
            }
        }),
        d,
    })
}

/// The stored record as the form's raw fields.
fn raw_of(d: &work::ActivityDetail) -> RawActivity {
    let a = &d.activity;
    RawActivity {
        client_key: format!("edit-{}", a.id),
        kind: a.kind.clone(),
        start_date: a.start_date.to_string(),
        end_date: a.end_date.to_string(),
        participants: vec![],
        participant_ids: d.participants.iter().map(|p| p.id).collect(),
        targets: d.targets.clone(),
        companions: a.companions.map(|c| c.to_string()).unwrap_or_default(),
        hours: a.hours.map(|h| h.to_string()).unwrap_or_default(),
        notes: a.notes.clone().unwrap_or_default(),
        matters: a.matters.lines().map(str::to_string).collect(),
        card_delivered: false,
        aid: a.aid.clone().unwrap_or_default(),
        aid_value: a.aid_value.map(|v| v.to_string()).unwrap_or_default(),
    }
}

async fn editable(
    s: &AppState,
    caller: &Caller,
    id: i32,
) -> Result<work::ActivityDetail, AppError> {
    let detail = api::activity_detail(s, caller, id).await?;
    if let Some(why) = detail.correct_refusal {
        return Err(AppError::Refused(why));
    }
    work::activity_detail(&s.db, id)
        .await?
        .ok_or(AppError::NotFound("该工作记录".into()))
}

async fn edit_activity(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
) -> Result<Html<String>, AppError> {
    let d = editable(&s, &caller, id).await?;
    form(&s, &caller, FormAt::edit(id), raw_of(&d), vec![], None).await
}

async fn submit_correction(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    editable(&s, &caller, id).await?;
    let raw = raw_from_form(fields);
    let r = match raw.parse(today(), s.config.max_list_items) {
        Ok(r) => r,
        Err(errors) => {
            return Ok(refused(
                form(&s, &caller, FormAt::edit(id), raw, errors, None).await?,
            ));
        }
    };
    match work::correct(&s.db, &s.policy(), &caller, id, r, Utc::now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/activities/{id}?saved=1")).into_response()),
        Err(crate::store::StoreError::Invalid(m)) => Ok(refused(
            form(&s, &caller, FormAt::edit(id), raw, vec![], Some(m)).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "work/me.html")]
struct MePage {
    person_id: i32,
    /// The engine's rows for me that are not met: unmet first, then those due within 30 days.
    behind: Vec<super::compliance::Line>,
    name: String,
    w: MyWork,
    items: Vec<ItemView>,
    half: &'static str,
    /// Records naming me beyond their author's reach, waiting for my answer.
    invitations: Vec<work::Invitation>,
    answered: Option<&'static str>,
}

#[derive(serde::Deserialize)]
struct MeQuery {
    date: Option<chrono::NaiveDate>,
    answered: Option<String>,
}

#[derive(serde::Deserialize)]
struct AnswerForm {
    accept: u8,
}

/// 是我参加的 / 不是我: the invited person answers from their page or the record's.
async fn answer_invitation(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let accept = f.accept == 1;
    api::answer_invitation_for(&s, &caller, id, accept).await?;
    let to = if accept {
        "/me?answered=yes"
    } else {
        "/me?answered=no"
    };
    Ok(Redirect::to(to).into_response())
}

impl MePage {
    fn mine(&self, i: &ItemView) -> bool {
        i.owner_person_id == Some(self.person_id)
    }
    /// A household by its head's name (the code only when it is not one of mine).
    fn head(&self, code: &str) -> String {
        self.w
            .households
            .iter()
            .find(|h| h.code == code)
            .map(|h| format!("{}户", h.head_name))
            .unwrap_or_else(|| code.to_string())
    }
}

async fn me(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<MeQuery>,
) -> Result<Html<String>, AppError> {
    let me = api::my_person(&s, &caller).await?;
    let day = q.date.unwrap_or_else(today);
    let w = work::my_work(&s.db, &s.policy(), &me, day).await?;
    let invitations = work::invitations_for(&s.db, &me).await?;
    let rs = caller.can(Capability::ReadStability);
    let behind = super::compliance::person_lines(&s, me.id, &me.id_number, day)
        .await?
        .into_iter()
        .filter(|l| l.status != "达标")
        .take(20)
        .map(|mut l| {
            // The rule's county-wide page is for those who see the county.
            if !caller.visibility().all {
                l.link = None;
            }
            l
        })
        .collect();
    render(&MePage {
        person_id: me.id,
        behind,
        name: me.name.clone(),
        items: w.open_items.iter().map(|i| ItemView::new(i, rs)).collect(),
        half: if chrono::Datelike::month(&day) <= 6 {
            "上半年"
        } else {
            "下半年"
        },
        w,
        invitations,
        answered: match q.answered.as_deref() {
            Some("yes") => Some("已确认，这条记录计入您的工作。"),
            Some("no") => Some("已说明您没有参加，这条记录不计入您的工作。"),
            _ => None,
        },
    })
}

#[derive(Template)]
#[template(path = "work/coverage.html")]
struct CoveragePage {
    region: RegionView,
    day: String,
    rows: Vec<CoverageRow>,
    total: CoverageRow,
    can_assign: bool,
}

fn percent(linked: usize, total: usize) -> String {
    if total == 0 {
        "—".into()
    } else if linked == total {
        "100%".into()
    } else {
        // Never round an incomplete coverage up to 100%.
        format!("{:.1}%", ((linked * 1000 / total) as f64) / 10.0)
    }
}

impl CoveragePage {
    fn share(&self, r: &CoverageRow) -> String {
        percent(r.linked, r.households)
    }
}

async fn coverage(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Html<String>, AppError> {
    let r = api::region_in_reach(&s, &caller, &code, false).await?;
    let day = q.date.unwrap_or_else(today);
    let rows = work::coverage(&s.db, &s.policy(), &r, day).await?;
    let total = CoverageRow {
        region_code: r.code.clone(),
        region_name: "合计".into(),
        households: rows.iter().map(|r| r.households).sum(),
        linked: rows.iter().map(|r| r.linked).sum(),
        unlinked: rows.iter().map(|r| r.unlinked).sum(),
    };
    render(&CoveragePage {
        can_assign: caller.can(Capability::ManageLinks)
            && caller
                .visibility_for(Capability::ManageLinks)
                .covers_region(&r.path),
        region: (&r).into(),
        day: day.to_string(),
        rows,
        total,
    })
}

#[derive(Template)]
#[template(path = "work/unlinked.html")]
struct UnlinkedPage {
    region: RegionView,
    households: Vec<HouseholdView>,
    more: usize,
}

async fn unlinked(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Html<String>, AppError> {
    let r = api::region_in_reach(&s, &caller, &code, false).await?;
    let day = q.date.unwrap_or_else(today);
    let all = work::unlinked(&s.db, &s.policy(), &r, day).await?;
    let shown: Vec<HouseholdView> = all.iter().take(500).map(HouseholdView::from).collect();
    render(&UnlinkedPage {
        region: (&r).into(),
        more: all.len().saturating_sub(shown.len()),
        households: shown,
    })
}

#[derive(Template)]
#[template(path = "work/assignment.html")]
struct AssignmentPage {
    region: RegionView,
    day: String,
    proposal: Proposal,
    sample: Vec<(String, String)>,
    pairs_text: String,
}

async fn assignment_page(
    s: &AppState,
    caller: &Caller,
    code: &str,
    weights: HashMap<i32, f64>,
    day: NaiveDate,
) -> Result<Html<String>, AppError> {
    let r = api::region_in_reach(s, caller, code, true).await?;
    let proposal = api::make_proposal(
        s,
        &r,
        &ProposalRequest {
            weights,
            date: Some(day),
        },
    )
    .await?;
    let names: HashMap<i32, String> = proposal
        .loads
        .iter()
        .map(|l| (l.person_id, l.name.clone()))
        .collect();
    let sample = proposal
        .pairs
        .iter()
        .take(200)
        .map(|p| {
            (
                p.household_code.clone(),
                names.get(&p.person_id).cloned().unwrap_or_default(),
            )
        })
        .collect();
    let pairs_text = proposal
        .pairs
        .iter()
        .map(|p| format!("{}:{}", p.household_code, p.person_id))
        .collect::<Vec<_>>()
        .join(",");
    render(&AssignmentPage {
        region: (&r).into(),
        day: day.to_string(),
        proposal,
        sample,
        pairs_text,
    })
}

async fn assignment(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Html<String>, AppError> {
    assignment_page(
        &s,
        &caller,
        &code,
        HashMap::new(),
        q.date.unwrap_or_else(today),
    )
    .await
}

async fn propose(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Html<String>, AppError> {
    let mut weights = HashMap::new();
    let mut day = today();
    for (k, v) in fields {
        if let Some(pid) = k.strip_prefix("w_").and_then(|p| p.parse::<i32>().ok()) {
            let w: f64 = v
                .trim()
                .parse()
                .map_err(|_| AppError::BadRequest(format!("权重“{v}”不是数字")))?;
            if !(0.0..=10.0).contains(&w) {
                return Err(AppError::BadRequest(format!("权重“{v}”应在0到10之间")));
            }
            weights.insert(pid, w);
        } else if k == "date" {
            day = v
                .parse()
                .map_err(|_| AppError::BadRequest(format!("日期“{v}”格式不对")))?;
        }
    }
    assignment_page(&s, &caller, &code, weights, day).await
}

async fn confirm(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    api::region_in_reach(&s, &caller, &code, true).await?;
    let mut pairs = Vec::new();
    let mut day = today();
    for (k, v) in fields {
        match k.as_str() {
            "pairs" => {
                for p in v.split(',').filter(|p| !p.is_empty()) {
                    let (h, pid) = p
                        .rsplit_once(':')
                        .and_then(|(h, pid)| Some((h.to_string(), pid.parse::<i32>().ok()?)))
                        .ok_or(AppError::BadRequest("方案数据不完整，请重新生成".into()))?;
                    pairs.push((h, pid));
                }
            }
            "date" => {
                day = v
                    .parse()
                    .map_err(|_| AppError::BadRequest(format!("日期“{v}”格式不对")))?
            }
            _ => {}
        }
    }
    work::confirm_links(&s.db, &s.policy(), &caller, &pairs, day, Utc::now()).await?;
    Ok(Redirect::to(&format!("/regions/{code}/coverage?date={day}")).into_response())
}

#[derive(Template)]
#[template(path = "work/handover.html")]
struct HandoverPage {
    done: Option<(String, String, work::Handover)>,
    day: String,
}

async fn handover_form(caller: Caller) -> Result<Html<String>, AppError> {
    if !caller.can(Capability::ManageLinks) {
        return Err(AppError::Forbidden);
    }
    render(&HandoverPage {
        done: None,
        day: today().to_string(),
    })
}

#[derive(serde::Deserialize)]
struct HandoverForm {
    from: String,
    to: String,
    date: String,
}

async fn find_person(
    s: &AppState,
    caller: &Caller,
    raw: &str,
    what: &str,
) -> Result<person::Model, AppError> {
    let raw = raw.trim();
    let vis = caller.visibility_for(Capability::ManageLinks);
    let by_id = match raw.parse::<i32>() {
        Ok(id) => reg::person(&s.db, id, &vis).await?,
        Err(_) => None,
    };
    if let Some(p) = by_id {
        return Ok(p);
    }
    let id = crate::domain::ids::IdNumber::parse(raw)
        .map_err(|e| AppError::BadRequest(format!("{what}：请填写人员编号或身份证号（{e}）")))?;
    work::person_by_id_number(&s.db, id.as_str(), &vis)
        .await?
        .ok_or(AppError::BadRequest(format!(
            "{what}：名册中没有此人，或不在您的范围内"
        )))
}

async fn handover(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<HandoverForm>,
) -> Result<Html<String>, AppError> {
    if !caller.can(Capability::ManageLinks) {
        return Err(AppError::Forbidden);
    }
    let from = find_person(&s, &caller, &f.from, "交出人").await?;
    let to = find_person(&s, &caller, &f.to, "接任人").await?;
    let day: NaiveDate = crate::domain::formats::parse_date(&f.date)
        .map_err(|e| AppError::BadRequest(format!("交接日期：{e}")))?;
    let done = work::handover(&s.db, &caller, &from, &to, day, Utc::now()).await?;
    render(&HandoverPage {
        done: Some((from.name, to.name, done)),
        day: day.to_string(),
    })
}

#[derive(Template)]
#[template(path = "work/contacts.html")]
struct ContactsPage {
    day: String,
    duplicates: Vec<DuplicateView>,
}

async fn contacts(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<DayQuery>,
) -> Result<Html<String>, AppError> {
    api::may_see_all_contacts(&caller)?;
    let day = q.date.unwrap_or_else(today);
    let d = work::duplicate_contacts(&s.db, &s.policy(), day, None).await?;
    render(&ContactsPage {
        day: day.to_string(),
        duplicates: api::duplicate_views(d),
    })
}

/// For the person page: the contact-point templates and shared contact points.
pub async fn person_contacts(
    s: &AppState,
    p: &person::Model,
    day: NaiveDate,
) -> Result<(Vec<TemplateStatus>, Vec<DuplicateView>), AppError> {
    let t = work::contact_status(&s.db, &s.policy(), p, day).await?;
    let d = work::duplicate_contacts(&s.db, &s.policy(), day, Some(p.id)).await?;
    Ok((t, api::duplicate_views(d)))
}

#[derive(serde::Deserialize)]
struct LinkForm {
    kind: String,
    target_code: String,
    year: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
}

/// Adds a link from the person page; a problem comes back to the page with what was typed.
async fn add_link(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<LinkForm>,
) -> Result<Response, AppError> {
    let back = |msg: &str| {
        format!(
            "/people/{id}?link_error={}&kind={}&target={}#links",
            super::encode(msg),
            super::encode(&f.kind),
            super::encode(&f.target_code)
        )
    };
    let date = |v: &str, what: &str| -> Result<Option<NaiveDate>, String> {
        match v.trim() {
            "" => Ok(None),
            d => crate::domain::formats::parse_date(d)
                .map(Some)
                .map_err(|e| format!("{what}：{e}")),
        }
    };
    let parsed = (|| -> Result<api::LinkRequest, String> {
        Ok(api::LinkRequest {
            kind: f.kind.clone(),
            target_code: f.target_code.clone(),
            year: Some(
                f.year
                    .trim()
                    .parse()
                    .map_err(|_| format!("年度“{}”不是年份", f.year))?,
            ),
            start: date(&f.start, "开始日期")?,
            end: date(&f.end, "结束日期")?,
        })
    })();
    let req = match parsed {
        Ok(r) => r,
        Err(m) => return Ok(Redirect::to(&back(&m)).into_response()),
    };
    match api::add_link_for(&s, &caller, id, req).await {
        Ok(added) => {
            let mut to = format!(
                "/people/{id}?date={}",
                added
                    .link
                    .start
                    .clone()
                    .unwrap_or_else(|| today().to_string())
            );
            if !added.duplicates.is_empty() {
                to.push_str("&shared=1");
            }
            Ok(Redirect::to(&(to + "#links")).into_response())
        }
        Err(AppError::BadRequest(m)) => Ok(Redirect::to(&back(&m)).into_response()),
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
struct LinkChangeForm {
    end: Option<String>,
    front_line: Option<String>,
    report_on: Option<String>,
    assessment: Option<String>,
}

async fn change_link(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Form(f): Form<LinkChangeForm>,
) -> Result<Response, AppError> {
    let l = api::change_link_by(
        &s,
        &caller,
        id,
        api::LinkChangeRequest {
            end: f.end,
            front_line: f.front_line,
            report_on: f.report_on,
            assessment: f.assessment,
        },
    )
    .await?;
    let to = match l.person_id {
        Some(p) => format!("/people/{p}#links"),
        None => format!("/units/{}", l.unit_code.unwrap_or_default()),
    };
    Ok(Redirect::to(&to).into_response())
}
