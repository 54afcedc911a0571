//! Ledger pages: the inbox, registering an item, an item with its history and the steps the
//! caller may take, the printable documents, the village review, and the resident's page.

use super::render;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::ledger::{self, Inbox, ItemDetail, ItemRow, NewItem, ResidentView, Review, Step};
use crate::store::rules::calendar;
use crate::web::Writing;
use crate::web::api::exchange::xlsx;
use crate::web::api::ledger::{detail, inbox_for};
use crate::web::view::today;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(inbox))
        .route("/items/new", get(new_form).post(new_submit))
        .route("/items/{id}", get(item).post(step))
        .route("/items/{id}/doc/{kind}", get(document))
        .route("/regions/{code}/review", get(review))
        .route(
            "/fankui/{token}",
            get(resident)
                .post(resident_answer)
                .layer(axum::extract::DefaultBodyLimit::max(
                    super::PUBLIC_BODY_LIMIT,
                )),
        )
}

#[derive(Deserialize, Default)]
struct InboxQuery {
    date: Option<NaiveDate>,
    format: Option<String>,
    /// An item just registered that the caller may not open (a stability item).
    registered: Option<i32>,
}

#[derive(Template)]
#[template(path = "ledger/inbox.html")]
struct InboxPage {
    registered: Option<i32>,
    /// Rota slots: one's own coming ones, and missed ones (one's own and, for an office, its
    /// regions' rotas).
    duty: Vec<crate::store::rota::Duty>,
    inbox: Inbox,
    sections: Vec<(&'static str, &'static str, Vec<ItemRow>)>,
}

impl InboxPage {
    fn count(&self, key: &str) -> usize {
        self.inbox.counts.get(key).copied().unwrap_or(0)
    }
}

fn sections(i: &Inbox) -> Vec<(&'static str, &'static str, Vec<ItemRow>)> {
    vec![
        ("waiting", "待我办理", i.waiting.clone()),
        ("overdue", "已逾期", i.overdue.clone()),
        ("due_soon", "即将到期", i.due_soon.clone()),
        ("supervised", "督办中", i.supervised.clone()),
        ("reopened", "群众反馈未解决", i.reopened.clone()),
        ("below", "下级在办（可交办、办结、督办）", i.below.clone()),
    ]
}

async fn inbox(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<InboxQuery>,
) -> Result<Response, AppError> {
    let xls = q.format.as_deref() == Some("xlsx");
    let i = inbox_for(&s, &caller, q.date, if xls { 100_000 } else { 100 }).await?;
    if xls {
        use crate::domain::books::{Book, BookSheet, Section};
        let header = [
            "编号",
            "台账",
            "事项",
            "户编号",
            "区划",
            "状态",
            "层级",
            "责任人",
            "期限",
            "剩余工作日",
            "逾期原因",
            "督办",
        ];
        let sections = sections(&i)
            .into_iter()
            .map(|(_, name, list)| {
                let rows = list
                    .into_iter()
                    .map(|r| {
                        vec![
                            r.id.to_string(),
                            r.ledger_zh,
                            r.matter,
                            r.household_code.unwrap_or_default(),
                            r.region_code,
                            r.status_zh,
                            r.level_zh,
                            r.owner_name.unwrap_or_default(),
                            r.deadline.map(|d| d.to_string()).unwrap_or_default(),
                            r.days_left.map(|d| d.to_string()).unwrap_or_default(),
                            r.overdue_reason.unwrap_or_default(),
                            if r.supervised { "是" } else { "" }.into(),
                        ]
                    })
                    .collect();
                Section::new(Some(name), &header, rows)
            })
            .collect();
        let title = format!("{}的待办事项（{}）", caller.display_name, i.today);
        let book = Book {
            title: title.clone(),
            sheets: vec![BookSheet {
                name: "待办事项".into(),
                title,
                subtitle: format!("截至 {}", i.today),
                sections,
            }],
        };
        let bytes = crate::exchange::write_book(&book)?;
        return Ok(xlsx(&book.title, bytes));
    }
    let duty = crate::store::rota::duty(
        &s.db,
        &s.policy(),
        &caller.visibility_for(crate::domain::access::Capability::HandleItems),
        caller.person_id,
        i.today,
    )
    .await?;
    Ok(render(&InboxPage {
        duty,
        registered: q.registered,
        sections: sections(&i),
        inbox: i,
    })?
    .into_response())
}

#[derive(Deserialize, Default, Clone)]
struct NewForm {
    ledger: String,
    source: String,
    household_code: String,
    region_code: String,
    resident_name: String,
    resident_phone: String,
    category: String,
    matter: String,
    registered_on: String,
    /// Made once per form: a page sent twice registers once.
    #[serde(default)]
    client_key: String,
}

#[derive(Template)]
#[template(path = "ledger/new.html")]
struct NewPage {
    f: NewForm,
    error: Option<String>,
    ledgers: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    /// The service room's application kinds (CG-9), offered as the category.
    applications: Vec<&'static str>,
}

fn new_page(f: NewForm, error: Option<String>) -> NewPage {
    use crate::domain::labels::{ItemSource, LedgerKind};
    NewPage {
        f,
        error,
        ledgers: LedgerKind::ALL.iter().map(|l| (l.code(), l.zh())).collect(),
        sources: ItemSource::ALL
            .iter()
            .filter(|s| **s != ItemSource::Visit)
            .map(|s| (s.code(), s.zh()))
            .collect(),
        applications: crate::domain::labels::ApplicationKind::ALL
            .iter()
            .map(|k| k.zh())
            .collect(),
    }
}

async fn new_form(_: Caller) -> Result<Html<String>, AppError> {
    render(&new_page(
        NewForm {
            ledger: "livelihood".into(),
            source: "reception".into(),
            registered_on: today().to_string(),
            client_key: uuid::Uuid::new_v4().simple().to_string(),
            ..Default::default()
        },
        None,
    ))
}

fn none_if_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

async fn new_submit(
    State(s): State<AppState>,
    caller: Caller,
    Writing(db): Writing,
    Form(f): Form<NewForm>,
) -> Result<Response, AppError> {
    let on = match crate::domain::formats::parse_date(&f.registered_on) {
        Ok(d) => d,
        Err(e) => {
            return Ok(render(&new_page(f, Some(format!("登记日期：{e}"))))?.into_response());
        }
    };
    let cal = calendar(&db).await?;
    let n = NewItem {
        ledger: f.ledger.clone(),
        source: f.source.clone(),
        household_code: none_if_empty(&f.household_code),
        region_code: none_if_empty(&f.region_code),
        resident_name: none_if_empty(&f.resident_name),
        resident_phone: none_if_empty(&f.resident_phone),
        category: none_if_empty(&f.category),
        matter: f.matter.clone(),
        registered_on: on,
        repeat_of: None,
        client_key: none_if_empty(&f.client_key),
    };
    match ledger::register(&db, &s.policy(), &cal, &caller, n, Utc::now()).await {
        // A registrar who may not read the item (a stability item) is told it is registered.
        Ok(m) => match ledger::find(&db, &caller, m.id).await? {
            Some(_) => Ok(Redirect::to(&format!("/items/{}?done=register", m.id)).into_response()),
            None => Ok(Redirect::to(&format!("/inbox?registered={}", m.id)).into_response()),
        },
        // Everything typed comes back with the reasons.
        Err(crate::store::StoreError::Invalid(e)) => {
            Ok(render(&new_page(f, Some(e)))?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "ledger/item.html")]
struct ItemPage {
    d: ItemDetail,
    done: Option<String>,
    error: Option<String>,
    note: String,
    today: String,
    /// The steps this caller may take now, with their button labels.
    step_labels: Vec<(String, &'static str)>,
    /// The one step whose form is open.
    step: Option<String>,
    q: String,
    /// People to pick from for the open step (assign, case owner), filtered by `q`.
    people: Vec<(i32, String, String)>,
    feedback_url: Option<String>,
    guarantees: Vec<(&'static str, &'static str)>,
}

/// A step's button, and what its form asks for.
fn step_label(a: &str) -> &'static str {
    match a {
        "assign" => "交办",
        "start" => "开始办理",
        "resolve" => "办结",
        "escalate" => "上报上一级",
        "return" => "退回下一级",
        "extend" => "批准延期",
        "close" => "销号",
        "supervise" => "督办",
        "feedback" => "代群众记录评价",
        "overdue_reason" => "记录逾期原因",
        "notice" => "记录告知",
        "take_case" => "确定包案领导",
        "guarantee" => "记录五包",
        "note" => "记录情况",
        "review" => "受理复查（复核）请求",
        _ => "办理",
    }
}

impl ItemPage {
    fn label(&self, a: &str) -> &'static str {
        step_label(a)
    }
    fn need(&self, a: &str) -> &'static str {
        match a {
            "resolve" => "办理结果（将反馈给群众）",
            "escalate" => "本级无法解决的原因",
            "return" => "退回理由",
            "overdue_reason" => "逾期原因",
            "notice" => "当场答复内容，或办理期限和渠道",
            "note" => "情况",
            "review" => "信访人请求复查（复核）的事由",
            _ => "",
        }
    }
}

#[derive(Deserialize, Default)]
struct ItemQuery {
    done: Option<String>,
    date: Option<NaiveDate>,
    step: Option<String>,
    q: Option<String>,
}

struct Open {
    step: Option<String>,
    q: String,
}

#[allow(clippy::too_many_arguments)]
async fn item_page(
    s: &AppState,
    caller: &Caller,
    headers: &axum::http::HeaderMap,
    id: i32,
    on: NaiveDate,
    done: Option<String>,
    error: Option<String>,
    note: String,
    open: Open,
) -> Result<Html<String>, AppError> {
    let d = detail(s, caller, id, on).await?;
    // One step at a time: the one asked for, or the only one there is.
    let step = open
        .step
        .filter(|a| d.may.iter().any(|m| m == a))
        .or_else(|| (d.may.len() == 1).then(|| d.may[0].clone()));
    let people = match step.as_deref() {
        Some(a @ ("assign" | "take_case")) => {
            ledger::people_to_pick(&s.db, &d.region_code, a == "take_case", &open.q).await?
        }
        _ => vec![],
    };
    let feedback_url = d
        .feedback_path
        .as_deref()
        .map(|p| crate::web::view::public_url(&s.config, headers, p));
    render(&ItemPage {
        step_labels: d.may.iter().map(|a| (a.clone(), step_label(a))).collect(),
        step,
        q: open.q,
        feedback_url,
        d,
        done: done.map(|a| ledger::action_zh(&a).to_string()),
        error,
        note,
        today: on.to_string(),
        people,
        guarantees: crate::domain::labels::Guarantee::ALL
            .iter()
            .map(|g| (g.code(), g.zh()))
            .collect(),
    })
}

async fn item(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Path(id): Path<i32>,
    Query(q): Query<ItemQuery>,
) -> Result<Html<String>, AppError> {
    item_page(
        &s,
        &caller,
        &headers,
        id,
        q.date.unwrap_or_else(today),
        q.done,
        None,
        String::new(),
        Open {
            step: q.step,
            q: q.q.unwrap_or_default().chars().take(40).collect(),
        },
    )
    .await
}

#[derive(Deserialize, Default)]
struct StepForm {
    action: String,
    on: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    on_behalf: Option<String>,
    #[serde(default)]
    guarantee: String,
    #[serde(default)]
    version: Option<i32>,
}

async fn step(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Path(id): Path<i32>,
    Form(f): Form<StepForm>,
) -> Result<Response, AppError> {
    let date = |raw: &str, what: &str| -> Result<Option<NaiveDate>, String> {
        match raw.trim() {
            "" => Ok(None),
            r => crate::domain::formats::parse_date(r)
                .map(Some)
                .map_err(|e| format!("{what}：{e}")),
        }
    };
    let parsed = (|| -> Result<Step, String> {
        Ok(Step {
            action: f.action.clone(),
            on: date(&f.on, "日期")?,
            note: f.note.clone(),
            person_id: match f.person_id.trim() {
                "" => None,
                p => Some(p.parse().map_err(|_| "人员：请从列表中选择".to_string())?),
            },
            deadline: date(&f.deadline, "期限")?,
            answer: none_if_empty(&f.answer),
            on_behalf: f.on_behalf.is_some(),
            guarantee: none_if_empty(&f.guarantee),
            version: f.version,
        })
    })();
    let on = parsed
        .as_ref()
        .ok()
        .and_then(|s| s.on)
        .unwrap_or_else(today);
    let result = match parsed {
        Ok(st) => {
            let cal = calendar(&s.db).await?;
            ledger::act(&s.db, &s.policy(), &cal, &caller, id, st, Utc::now())
                .await
                .map_err(AppError::from)
        }
        Err(e) => Err(AppError::BadRequest(e)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/items/{id}?done={}", f.action)).into_response()),
        // The page again, with the reason and what was typed.
        Err(AppError::BadRequest(e)) | Err(AppError::Refused(e)) => {
            let page = item_page(
                &s,
                &caller,
                &headers,
                id,
                on,
                None,
                Some(e),
                f.note.clone(),
                Open {
                    step: Some(f.action.clone()),
                    q: String::new(),
                },
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "ledger/doc.html")]
struct DocPage {
    d: ItemDetail,
    kind: &'static str,
    title: &'static str,
    /// The resident's page for this item, as a full address and a QR code.
    link: Option<(String, String)>,
    today: String,
    petition_days: u32,
    extension_days: u32,
    extension_reason: String,
    extended_to: String,
}

/// The written reply 书面答复意见书, the extension notice 延期办理告知书 and the notice of
/// acceptance with the time limit and channels 受理告知书, filled from the item (A4, print).
async fn document(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Path((id, kind)): Path<(i32, String)>,
) -> Result<Html<String>, AppError> {
    let d = detail(&s, &caller, id, today()).await?;
    let (kind, title) = match kind.as_str() {
        "reply" => ("reply", "书面答复意见书"),
        "extension" => ("extension", "延期办理告知书"),
        "notice" => ("notice", "受理告知书"),
        _ => return Err(AppError::NotFound("文书".into())),
    };
    let ext = d.history.iter().rev().find(|e| e.action == "extend");
    if kind == "extension" && ext.is_none() {
        return Err(AppError::BadRequest(
            "此事项没有延期，不能出具延期告知书".into(),
        ));
    }
    if kind == "reply" && d.resolution.is_none() {
        return Err(AppError::BadRequest(
            "此事项尚未办结，不能出具答复意见书".into(),
        ));
    }
    let link = d.feedback_path.as_deref().map(|p| {
        let url = crate::web::view::public_url(&s.config, &headers, p);
        let qr = crate::web::view::qr_svg(&url);
        (url, qr)
    });
    render(&DocPage {
        kind,
        title,
        link,
        today: today().format("%Y年%m月%d日").to_string(),
        petition_days: s.policy().ledger.petition.days,
        extension_days: s.policy().ledger.petition.extension_days,
        extension_reason: ext.map(|e| e.note.clone()).unwrap_or_default(),
        extended_to: ext
            .and_then(|e| {
                e.data
                    .get("to")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default(),
        d,
    })
}

#[derive(Template)]
#[template(path = "ledger/review.html")]
struct ReviewPage {
    r: Review,
    today: String,
}

async fn review(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<ItemQuery>,
) -> Result<Html<String>, AppError> {
    let cal = calendar(&s.db).await?;
    let on = q.date.unwrap_or_else(today);
    let r = ledger::review(&s.db, &cal, &caller, &code, on)
        .await?
        .ok_or(AppError::NotFound("区划".into()))?;
    render(&ReviewPage {
        r,
        today: on.to_string(),
    })
}

#[derive(Template)]
#[template(path = "ledger/resident.html")]
struct ResidentPage {
    /// None: a wrong or withdrawn link.
    v: Option<ResidentView>,
    thanks: bool,
    error: Option<String>,
    /// The staff member whose session this browser carries.
    staff: Option<String>,
}

/// The resident's page: no login, and a wrong link is told plainly, never sent to the staff
/// login.
async fn resident(
    State(s): State<AppState>,
    staff: Option<axum::Extension<Caller>>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let v = match ledger::by_token(&s.db, &token).await? {
        Some(m) => Some(ledger::resident_view(&s.db, &m).await?),
        None => None,
    };
    let status = if v.is_some() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::NOT_FOUND
    };
    Ok((
        status,
        render(&ResidentPage {
            v,
            thanks: false,
            error: None,
            staff: staff.map(|c| c.0.display_name),
        })?,
    )
        .into_response())
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    note: String,
}

async fn resident_answer(
    State(s): State<AppState>,
    staff: Option<axum::Extension<Caller>>,
    Path(token): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let cal = calendar(&s.db).await?;
    let by = match &staff {
        Some(c) => ledger::Answerer::Staff(&c.0),
        None => ledger::Answerer::Resident,
    };
    let res = ledger::resident_feedback(
        &s.db,
        &s.policy(),
        &cal,
        &token,
        by,
        &f.answer,
        &f.note,
        Utc::now(),
    )
    .await;
    let (m, thanks, error) = match res {
        Ok(m) => (Some(m), true, None),
        Err(crate::store::StoreError::Invalid(e)) => {
            (ledger::by_token(&s.db, &token).await?, false, Some(e))
        }
        Err(crate::store::StoreError::NotFound(_)) => (None, false, None),
        Err(e) => return Err(e.into()),
    };
    let v = match &m {
        Some(m) => Some(ledger::resident_view(&s.db, m).await?),
        None => None,
    };
    let status = match (&v, &error) {
        (None, _) => axum::http::StatusCode::NOT_FOUND,
        (_, Some(_)) => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        _ => axum::http::StatusCode::OK,
    };
    Ok((
        status,
        render(&ResidentPage {
            v,
            thanks,
            error,
            staff: staff.map(|c| c.0.display_name.clone()),
        })?,
    )
        .into_response())
}
