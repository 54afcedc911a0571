//! Ledger items, petitions, letters and hotline calls as tracked items: registration, every step
//! of their life through the domain's state machine (`domain::ledger`), each step kept in
//! `ledger_event` with who, when and why; the resident's answer by a secret link; inboxes and
//! the village's periodic review.

use super::StoreError;
use super::access::{Caller, Visibility};
use super::entities::*;
use crate::domain::access::Capability;
use crate::domain::calendar::Calendar;
use crate::domain::ids::Phone;
use crate::domain::labels::{Guarantee, ItemSource, LedgerKind, Role};
use crate::domain::ledger::{self, Action, Actor, Answer, Item, Level, Status};
use crate::domain::policy::{Clock, Policy};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// Statuses of an item still waiting for work.
pub const OPEN: [&str; 6] = [
    "registered",
    "assigned",
    "in_progress",
    "escalated",
    "review",
    "recheck",
];

pub fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn status_of(code: &str) -> Status {
    match code {
        "assigned" => Status::Assigned,
        "in_progress" => Status::InProgress,
        "escalated" => Status::Escalated,
        "resolved" => Status::Resolved,
        "fed_back" => Status::FedBack,
        "closed" => Status::Closed,
        "review" => Status::Review,
        "recheck" => Status::Recheck,
        _ => Status::Registered,
    }
}

pub fn status_code(s: Status) -> &'static str {
    match s {
        Status::Registered => "registered",
        Status::Assigned => "assigned",
        Status::InProgress => "in_progress",
        Status::Escalated => "escalated",
        Status::Resolved => "resolved",
        Status::FedBack => "fed_back",
        Status::Closed => "closed",
        Status::Review => "review",
        Status::Recheck => "recheck",
    }
}

pub fn level_of(code: &str) -> Level {
    match code {
        "town" => Level::Town,
        "county" => Level::County,
        _ => Level::Village,
    }
}

pub fn level_code(l: Level) -> &'static str {
    match l {
        Level::Village => "village",
        Level::Town => "town",
        Level::County => "county",
    }
}

pub fn level_zh(code: &str) -> &'static str {
    match code {
        "town" => "镇民情处理站",
        "county" => "县民情处理中心",
        _ => "村级",
    }
}

pub fn answer_code(a: Answer) -> &'static str {
    match a {
        Answer::Solved => "solved",
        Answer::PartlySolved => "partly_solved",
        Answer::NotSolved => "not_solved",
    }
}

pub fn answer_zh(code: &str) -> &'static str {
    match code {
        "solved" => "已解决",
        "partly_solved" => "部分解决",
        "not_solved" => "未解决",
        _ => "",
    }
}

pub fn parse_answer(raw: &str) -> Result<Answer, String> {
    match raw.trim() {
        "solved" | "已解决" | "解决" => Ok(Answer::Solved),
        "partly_solved" | "部分解决" => Ok(Answer::PartlySolved),
        "not_solved" | "未解决" => Ok(Answer::NotSolved),
        o => Err(format!("反馈结果“{o}”无效，可选：已解决、部分解决、未解决")),
    }
}

pub fn action_zh(code: &str) -> &'static str {
    match code {
        "register" => "登记",
        "assign" => "交办",
        "start" => "开始办理",
        "escalate" => "上报",
        "return" => "退回",
        "extend" => "延期",
        "resolve" => "办结",
        "feedback" => "反馈",
        "close" => "销号",
        "supervise" => "督办",
        "overdue_reason" => "逾期原因",
        "notice" => "告知",
        "take_case" => "包案",
        "guarantee" => "五包",
        "note" => "记录情况",
        "review" => "受理复查复核请求",
        "handover" => "交接",
        _ => "其他",
    }
}

fn item_state(m: &ledger_item::Model) -> Item {
    Item {
        status: status_of(&m.status),
        level: level_of(&m.level),
        extended: m.extended,
        last_answer: m.answer.as_deref().and_then(|a| parse_answer(a).ok()),
        answered_on_behalf: m.answered_on_behalf,
        supervised: m.supervised,
        reviews: u8::try_from(m.review_round).unwrap_or(2),
    }
}

/// Whether a petition's answer may be taken to 复查 and 复核 under `policy`.
pub fn reviewable(policy: &Policy, m: &ledger_item::Model) -> bool {
    m.clock == "petition" && policy.ledger.petition_review.is_some()
}

pub fn clock_of<'a>(policy: &'a Policy, m: &ledger_item::Model) -> &'a Clock {
    match m.clock.as_str() {
        "petition" => &policy.ledger.petition,
        "hotline" => &policy.ledger.hotline,
        _ => &policy.ledger.item,
    }
}

/// The condition on ledger items a caller may read: items in their regions, of their units,
/// owned by them or of households they link; stability items only with `ReadStability`
/// (or to their owner).
pub fn visible(caller: &Caller) -> Condition {
    fn reach(v: &Visibility) -> Condition {
        if v.all {
            return Condition::all();
        }
        let mut c = Condition::any();
        if v.is_empty() {
            c = c.add(ledger_item::Column::Id.lt(0));
        }
        for p in &v.region_paths {
            c = c.add(
                ledger_item::Column::RegionCode.in_subquery(
                    Query::select()
                        .column(region::Column::Code)
                        .from(region::Entity)
                        .and_where(region::Column::Path.like(format!("{p}%")))
                        .to_owned(),
                ),
            );
        }
        for u in &v.units {
            c = c.add(ledger_item::Column::OwnerUnitCode.eq(u.as_str()));
        }
        if let Some(pid) = v.own {
            c = c.add(
                ledger_item::Column::HouseholdCode.in_subquery(
                    Query::select()
                        .column(link::Column::TargetCode)
                        .from(link::Entity)
                        .and_where(link::Column::PersonId.eq(pid))
                        .to_owned(),
                ),
            );
        }
        c
    }
    let all = caller.visibility();
    let stability = caller.visibility_for(Capability::ReadStability);
    let same = all.all == stability.all
        && all.region_paths == stability.region_paths
        && all.units == stability.units
        && all.own == stability.own;
    // Kept as plain as the caller allows, so that the database can use its indexes.
    let mut c = Condition::any();
    if let Some(me) = caller.person_id {
        c = c
            .add(ledger_item::Column::OwnerPersonId.eq(me))
            .add(ledger_item::Column::CaseOwnerPersonId.eq(me));
    }
    if same {
        c.add(reach(&all))
    } else {
        c.add(
            Condition::all()
                .add(ledger_item::Column::Ledger.ne("stability"))
                .add(reach(&all)),
        )
        .add(
            Condition::all()
                .add(ledger_item::Column::Ledger.eq("stability"))
                .add(reach(&stability)),
        )
    }
}

/// The offices (levels) a caller acts as for an item in the region with `path`
/// (`/county/town/village/…/`).
fn offices(caller: &Caller, path: &str) -> Vec<Level> {
    let v = caller.visibility_for(Capability::HandleItems);
    let mut out = Vec::new();
    let segments = |p: &str| p.trim_matches('/').split('/').count();
    let prefix = |p: &str, n: usize| {
        let parts: Vec<&str> = p.trim_matches('/').split('/').take(n).collect();
        format!("/{}/", parts.join("/"))
    };
    if v.all
        || v.region_paths
            .iter()
            .any(|p| segments(p) == 1 && path.starts_with(p.as_str()))
    {
        out.push(Level::County);
    }
    if v.region_paths
        .iter()
        .any(|p| segments(p) == 2 && path.starts_with(p.as_str()))
    {
        out.push(Level::Town);
    }
    if v.region_paths
        .iter()
        .any(|p| segments(p) >= 3 && path.starts_with(&prefix(p, 3)))
    {
        out.push(Level::Village);
    }
    out
}

/// Everyone the caller may act as on this item, most specific first.
fn actors(caller: &Caller, m: &ledger_item::Model, path: &str) -> Vec<Actor> {
    let mut out = Vec::new();
    if caller.person_id.is_some() && caller.person_id == m.owner_person_id {
        out.push(Actor::FirstHandler);
    }
    let mut levels = offices(caller, path);
    // The office of the item's own level first, then those above.
    levels.sort_by_key(|l| (*l != level_of(&m.level), *l));
    out.extend(levels.into_iter().map(Actor::Office));
    if caller
        .visibility_for(Capability::SuperviseItems)
        .covers_region(path)
    {
        out.push(Actor::Supervisor);
    }
    out
}

fn actor_zh(a: Actor) -> &'static str {
    match a {
        Actor::FirstHandler => "责任人",
        Actor::Resident => "群众",
        Actor::Office(Level::Village) => "村",
        Actor::Office(Level::Town) => "镇民情处理站",
        Actor::Office(Level::County) => "县民情处理中心",
        Actor::Supervisor => "督查",
    }
}

/// A new item from reception, a letter, the hotline, outreach, a representative, the service
/// room or the resident's own report (visits raise theirs through the work record).
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewItem {
    /// 民生诉求 / 困难群众 / 稳定工作 (or livelihood, hardship, stability).
    pub ledger: String,
    /// 接访, 来信, 民生热线, 下访, 党代表, 便民服务室, 群众自报 …
    pub source: String,
    pub household_code: Option<String>,
    /// Needed when no household is named: the village (or town) the matter belongs to.
    pub region_code: Option<String>,
    pub resident_name: Option<String>,
    pub resident_phone: Option<String>,
    pub category: Option<String>,
    pub matter: String,
    #[schema(value_type = String, format = Date)]
    pub registered_on: NaiveDate,
    /// An earlier petition of the same person on the same matter.
    pub repeat_of: Option<i32>,
    /// A key the form or client makes once (8–64 letters, digits or `-`): sending the same
    /// item again with it records it once.
    #[serde(default)]
    pub client_key: Option<String>,
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

async fn region_path(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<region::Model>, DbErr> {
    region::Entity::find()
        .filter(region::Column::Code.eq(code))
        .one(db)
        .await
}

/// Registers an item; every field's problem is named, nothing is written on an error.
/// The item this caller already registered with `key`, if any.
pub async fn registered_with(
    db: &impl ConnectionTrait,
    caller: &Caller,
    key: &str,
) -> Result<Option<ledger_item::Model>, DbErr> {
    ledger_item::Entity::find()
        .filter(ledger_item::Column::ClientKey.eq(stored_key(caller, key)))
        .one(db)
        .await
}

fn stored_key(caller: &Caller, key: &str) -> String {
    format!("a{}:{key}", caller.account_id)
}

pub async fn register(
    db: &DatabaseConnection,
    policy: &Policy,
    cal: &Calendar,
    caller: &Caller,
    n: NewItem,
    now: DateTime<Utc>,
) -> Result<ledger_item::Model, StoreError> {
    if !caller.can(Capability::RecordWork) {
        return Err(StoreError::Forbidden("您的角色不能登记事项".into()));
    }
    let mut errors = Vec::new();
    let ledger = LedgerKind::parse(&n.ledger).map_err(|e| errors.push(format!("台账：{e}")));
    let source = ItemSource::parse(&n.source).map_err(|e| errors.push(format!("来源：{e}")));
    let matter = n.matter.trim().to_string();
    if matter.is_empty() {
        errors.push("反映事项：不能为空".into());
    } else if matter.chars().count() > 2000 {
        errors.push("反映事项：不超过2000字".into());
    }
    let phone = match opt(&n.resident_phone) {
        Some(p) => match Phone::parse(&p) {
            Ok(p) => Some(p.as_str().to_string()),
            Err(e) => {
                errors.push(format!("联系电话：{e}"));
                None
            }
        },
        None => None,
    };
    let household_code = opt(&n.household_code);
    let household = match &household_code {
        Some(c) => {
            let h = household::Entity::find()
                .filter(household::Column::Code.eq(c.as_str()))
                .filter(caller.visibility().households())
                .one(db)
                .await?;
            if h.is_none() {
                errors.push(format!("户编号：“{c}”不存在或不在您的范围内"));
            }
            h
        }
        None => None,
    };
    let region_code = household
        .as_ref()
        .map(|h| h.region_code.clone())
        .or(opt(&n.region_code));
    let region = match &region_code {
        Some(c) => region_path(db, c).await?,
        None => None,
    };
    match (&region_code, &region) {
        (None, _) => errors.push("区划：未填户编号时须填所属村（社区）或镇".into()),
        (Some(c), None) => errors.push(format!("区划：“{c}”不存在")),
        (Some(_), Some(r))
            if household.is_none() && !caller.visibility().covers_region(&r.path) =>
        {
            errors.push(format!("区划：“{}”不在您的范围内", r.name))
        }
        _ => {}
    }
    if n.registered_on > (now + chrono::Duration::hours(8)).date_naive() {
        errors.push("登记日期：不能晚于今天".into());
    }
    let repeat = match n.repeat_of {
        Some(id) => {
            let r = ledger_item::Entity::find_by_id(id)
                .filter(visible(caller))
                .one(db)
                .await?;
            if r.is_none() {
                errors.push(format!("重复件：事项 {id} 不存在"));
            }
            r
        }
        None => None,
    };
    // CG-9: an application at the village service room names its kind, stored by its name.
    let mut category = opt(&n.category);
    if source == Ok(ItemSource::ServiceRoom) {
        match category
            .as_deref()
            .map(crate::domain::labels::ApplicationKind::parse)
        {
            Some(Ok(k)) => category = Some(k.zh().to_string()),
            _ => errors.push(format!(
                "类别：便民服务室的申请须选择类别（{}）",
                crate::domain::labels::ApplicationKind::ALL
                    .iter()
                    .map(|k| k.zh())
                    .collect::<Vec<_>>()
                    .join("、")
            )),
        }
    }
    let (Ok(ledger), Ok(source), Some(region), true) = (ledger, source, region, errors.is_empty())
    else {
        return Err(StoreError::Invalid(errors.join("；")));
    };
    let level = match region.level.as_str() {
        "county" => Level::County,
        "town" | "street" => Level::Town,
        _ => Level::Village,
    };
    let clock = source.clock();
    let c = match clock {
        "petition" => &policy.ledger.petition,
        "hotline" => &policy.ledger.hotline,
        _ => &policy.ledger.item,
    };
    // A repeat petition of the same household on the same category joins the first one.
    let repeat_of = match (repeat, &household_code, &category) {
        (Some(r), _, _) => Some(r.repeat_of.unwrap_or(r.id)),
        (None, Some(h), Some(cat)) if clock == "petition" => ledger_item::Entity::find()
            .filter(ledger_item::Column::HouseholdCode.eq(h.as_str()))
            .filter(ledger_item::Column::Category.eq(cat.as_str()))
            .filter(ledger_item::Column::Clock.eq("petition"))
            .filter(ledger_item::Column::RepeatOf.is_null())
            .order_by_asc(ledger_item::Column::Id)
            .one(db)
            .await?
            .map(|r| r.id),
        _ => None,
    };
    let key = match opt(&n.client_key) {
        Some(k)
            if (8..=64).contains(&k.len())
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            Some(k)
        }
        Some(_) => {
            return Err(StoreError::Invalid(
                "提交编号：应为8–64位字母、数字或-".into(),
            ));
        }
        None => None,
    };
    if let Some(k) = &key
        && let Some(done) = registered_with(db, caller, k).await?
    {
        return Ok(done);
    }
    let txn = db.begin().await?;
    let saved = ledger_item::ActiveModel {
        id: NotSet,
        client_key: Set(key.as_ref().map(|k| stored_key(caller, k))),
        ledger: Set(ledger.code().into()),
        household_code: Set(household_code),
        region_code: Set(region.code.clone()),
        source: Set(source.code().into()),
        activity_id: Set(None),
        matter: Set(matter),
        status: Set("registered".into()),
        level: Set(level_code(level).into()),
        owner_person_id: Set(None),
        owner_unit_code: Set(None),
        registered_on: Set(n.registered_on),
        deadline: Set(Some(ledger::deadline(
            cal,
            n.registered_on,
            c.days,
            c.count,
        ))),
        closed_on: Set(None),
        clock: Set(clock.into()),
        category: Set(category),
        resident_name: Set(opt(&n.resident_name)),
        resident_phone: Set(phone),
        feedback_token: Set(Some(new_token())),
        repeat_of: Set(repeat_of),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let saved = match (saved, &key) {
        (Ok(s), _) => s,
        // The same form racing itself: the first one's item is the answer.
        (Err(e), Some(k)) => {
            drop(txn);
            return match registered_with(db, caller, k).await? {
                Some(done) => Ok(done),
                None => Err(e.into()),
            };
        }
        (Err(e), None) => return Err(e.into()),
    };
    log_registered(
        &txn,
        std::slice::from_ref(&saved),
        &caller.display_name,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A matter a resident reports through the household's page (source 群众自报): an item of
/// the household's livelihood ledger at the village, on the item clock. A form sent twice
/// with the same key is recorded once. A staff member's session records it as 代填.
#[allow(clippy::too_many_arguments)]
pub async fn register_from_resident(
    db: &DatabaseConnection,
    policy: &Policy,
    cal: &Calendar,
    h: &household::Model,
    matter: &str,
    key: Option<&str>,
    by: Answerer<'_>,
    now: DateTime<Utc>,
) -> Result<ledger_item::Model, StoreError> {
    let matter = matter.trim();
    if matter.is_empty() {
        return Err(StoreError::Invalid("请写下您要反映的事情".into()));
    }
    if matter.chars().count() > 1000 {
        return Err(StoreError::Invalid(
            "反映的事情请不超过1000字，可以分几次反映".into(),
        ));
    }
    let key = match key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k)
            if (8..=64).contains(&k.len())
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            Some(format!("h{}:{k}", h.code))
        }
        Some(_) => return Err(StoreError::Invalid("页面已过期，请刷新后再提交".into())),
        None => None,
    };
    let find_done = |k: String| async move {
        ledger_item::Entity::find()
            .filter(ledger_item::Column::ClientKey.eq(k))
            .one(db)
            .await
    };
    if let Some(k) = &key
        && let Some(done) = find_done(k.clone()).await?
    {
        return Ok(done);
    }
    let today = crate::time::beijing_date(now);
    let c = &policy.ledger.item;
    let txn = db.begin().await?;
    let saved = ledger_item::ActiveModel {
        id: NotSet,
        client_key: Set(key.clone()),
        ledger: Set(LedgerKind::Livelihood.code().into()),
        household_code: Set(Some(h.code.clone())),
        region_code: Set(h.region_code.clone()),
        source: Set(ItemSource::Resident.code().into()),
        activity_id: Set(None),
        matter: Set(matter.to_string()),
        status: Set("registered".into()),
        level: Set(level_code(Level::Village).into()),
        owner_person_id: Set(None),
        owner_unit_code: Set(None),
        registered_on: Set(today),
        deadline: Set(Some(ledger::deadline(cal, today, c.days, c.count))),
        closed_on: Set(None),
        clock: Set("item".into()),
        category: Set(None),
        resident_name: Set(Some(h.head_name.clone())),
        resident_phone: Set(None),
        feedback_token: Set(Some(new_token())),
        repeat_of: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let saved = match (saved, key) {
        (Ok(s), _) => s,
        (Err(e), Some(k)) => {
            drop(txn);
            return match find_done(k).await? {
                Some(done) => Ok(done),
                None => Err(e.into()),
            };
        }
        (Err(e), None) => return Err(e.into()),
    };
    let actor = match by {
        Answerer::Resident => "群众本人（扫码自报）".to_string(),
        Answerer::Staff(c) => format!("{}（代群众填写）", c.display_name),
    };
    log_registered(&txn, std::slice::from_ref(&saved), &actor, now).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The `register` step of items raised elsewhere (work records, imports).
pub async fn log_registered<C: ConnectionTrait>(
    db: &C,
    items: &[ledger_item::Model],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in items.chunks(500) {
        ledger_event::Entity::insert_many(chunk.iter().map(|i| ledger_event::ActiveModel {
            id: NotSet,
            item_id: Set(i.id),
            at: Set(now),
            on_date: Set(i.registered_on),
            account_id: Set(None),
            actor: Set(actor.to_string()),
            actor_role: Set("登记人".into()),
            action: Set("register".into()),
            from_status: Set(String::new()),
            to_status: Set("registered".into()),
            level: Set(i.level.clone()),
            note: Set(String::new()),
            data: Set(serde_json::json!({"deadline": i.deadline}).to_string()),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// One step on an item, as the API and the forms send it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Step {
    /// assign, start, escalate, return, extend, resolve, feedback, close, supervise,
    /// overdue_reason, notice, take_case, guarantee, note
    pub action: String,
    /// The day it happened (today when not given).
    #[schema(value_type = Option<String>, format = Date)]
    pub on: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
    /// assign: the new owner; take_case: the county leader who owns the case.
    pub person_id: Option<i32>,
    /// assign: a deadline other than the policy's; supervise: the supervision deadline;
    /// extend: an earlier end than the longest extension allowed.
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<NaiveDate>,
    /// feedback: 已解决 / 部分解决 / 未解决.
    pub answer: Option<String>,
    /// feedback: recorded by the owner for the resident (代填).
    #[serde(default)]
    pub on_behalf: bool,
    /// guarantee: which of the five (包解决, 包疏导, 包稳控, 包救助, 包依法处理).
    pub guarantee: Option<String>,
    /// The version the caller saw; a step on an item changed meanwhile is refused.
    pub version: Option<i32>,
}

/// An item as a caller may see it, with its history and the steps the caller may take.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemDetail {
    pub id: i32,
    pub ledger: String,
    pub ledger_zh: String,
    pub source: String,
    pub source_zh: String,
    pub clock: String,
    pub category: Option<String>,
    pub household_code: Option<String>,
    pub region_code: String,
    pub region_name: String,
    pub resident_name: Option<String>,
    /// Masked unless the caller may reveal personal data.
    pub resident_phone: Option<String>,
    pub matter: String,
    pub status: String,
    pub status_zh: String,
    pub level: String,
    pub level_zh: String,
    pub owner_person_id: Option<i32>,
    pub owner_name: Option<String>,
    pub case_owner_person_id: Option<i32>,
    pub case_owner_name: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub registered_on: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<NaiveDate>,
    pub extended: bool,
    pub supervised: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub supervision_deadline: Option<NaiveDate>,
    pub overdue: bool,
    pub overdue_reason: Option<String>,
    pub resolution: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub resolved_on: Option<NaiveDate>,
    pub answer: Option<String>,
    pub answer_zh: Option<String>,
    pub answered_on_behalf: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<NaiveDate>,
    pub repeat_of: Option<i32>,
    pub repeats: Vec<i32>,
    /// Which of the five guarantees of a key case are recorded.
    pub guarantees: Vec<String>,
    pub version: i32,
    /// Steps this caller may take now.
    pub may: Vec<String>,
    /// The resident's feedback link, for those who handle the item.
    pub feedback_path: Option<String>,
    /// Who signs the item's documents and whom the resident may call.
    pub issuer: Issuer,
    /// The resident the documents are addressed to: the name given, or the household's head.
    pub addressee: Option<String>,
    pub history: Vec<EventView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub at: String,
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub action_zh: String,
    pub from_status: String,
    pub to_status: String,
    pub level: String,
    pub note: String,
    /// What the step recorded besides its note, in Chinese (the answer, the new owner, the
    /// new deadline, the reopening).
    pub said: String,
    pub data: serde_json::Value,
}

/// A step's recorded data as a sentence.
fn said(data: &serde_json::Value) -> String {
    let s = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let mut out = Vec::new();
    if let Some(a) = s("answer") {
        let behalf = data.get("on_behalf").and_then(|v| v.as_bool()) == Some(true);
        out.push(format!(
            "群众评价：{}{}",
            answer_zh(&a),
            if behalf { "（代填）" } else { "" }
        ));
    }
    if let Some(o) = s("owner") {
        out.push(format!("责任人：{o}"));
    }
    if let Some(c) = s("case_owner") {
        out.push(format!("包案领导：{c}"));
    }
    if let (Some(f), Some(t)) = (s("from"), s("to")) {
        out.push(format!("期限 {f} 延至 {t}"));
    } else if let Some(d) = s("deadline") {
        out.push(format!("期限：{d}"));
    }
    if let Some(r) = s("reopened") {
        out.push(r);
    }
    if let Some(r) = s("old_resolution").filter(|r| !r.is_empty()) {
        out.push(format!("原办理结果：{r}"));
    }
    out.join("；")
}

const STEPS: [&str; 15] = [
    "assign",
    "start",
    "escalate",
    "return",
    "extend",
    "resolve",
    "feedback",
    "close",
    "supervise",
    "overdue_reason",
    "notice",
    "take_case",
    "guarantee",
    "note",
    "review",
];

fn domain_action(code: &str, answer: Option<Answer>, on_behalf: bool) -> Option<Action> {
    Some(match code {
        "assign" => Action::Assign,
        "start" => Action::Start,
        "escalate" => Action::Escalate,
        "return" => Action::Return,
        "extend" => Action::Extend,
        "resolve" => Action::Resolve,
        "feedback" => Action::Feedback {
            answer: answer.unwrap_or(Answer::Solved),
            on_behalf,
        },
        "close" => Action::Close,
        "review" => Action::RequestReview,
        "supervise" => Action::Supervise,
        "overdue_reason" | "notice" | "take_case" | "guarantee" | "note" => Action::Note,
        _ => return None,
    })
}

/// Which actors a note-like step is for, beyond what the state machine allows.
fn step_allowed(
    policy: &Policy,
    code: &str,
    actor: Actor,
    caller: &Caller,
    m: &ledger_item::Model,
) -> bool {
    match code {
        "review" => reviewable(policy, m),
        "take_case" => actor == Actor::Office(Level::County) && m.clock == "petition",
        "guarantee" => {
            m.case_owner_person_id.is_some()
                && (caller.person_id == m.case_owner_person_id
                    || actor == Actor::Office(Level::County))
        }
        _ => true,
    }
}

pub async fn find(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<Option<ledger_item::Model>, DbErr> {
    ledger_item::Entity::find_by_id(id)
        .filter(visible(caller))
        .one(db)
        .await
}

async fn caller_actors(
    db: &impl ConnectionTrait,
    caller: &Caller,
    m: &ledger_item::Model,
) -> Result<(Vec<Actor>, region::Model), StoreError> {
    let region = region_path(db, &m.region_code)
        .await?
        .ok_or_else(|| StoreError::NotFound("事项所属区划".into()))?;
    let mut a = actors(caller, m, &region.path);
    if caller.person_id.is_some() && caller.person_id == m.case_owner_person_id {
        // The case owner may record the five guarantees (a note, not a change of state).
        a.push(Actor::FirstHandler);
        a.dedup();
    }
    Ok((a, region))
}

/// Takes one step on an item: checked by the state machine for the caller's roles on it, written
/// with its history entry in one transaction, refused whole otherwise.
pub async fn act(
    db: &DatabaseConnection,
    policy: &Policy,
    cal: &Calendar,
    caller: &Caller,
    id: i32,
    step: Step,
    now: DateTime<Utc>,
) -> Result<ledger_item::Model, StoreError> {
    let m = find(db, caller, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("事项".into()))?;
    let on = step
        .on
        .unwrap_or_else(|| (now + chrono::Duration::hours(8)).date_naive());
    let code = step.action.trim();
    let answer = match (code, step.answer.as_deref()) {
        ("feedback", Some(a)) => Some(parse_answer(a).map_err(StoreError::Invalid)?),
        ("feedback", None) => return Err(StoreError::Invalid("反馈：请选择群众的评价".into())),
        _ => None,
    };
    let action = domain_action(code, answer, step.on_behalf)
        .ok_or_else(|| StoreError::Invalid(format!("未知的操作“{code}”")))?;
    if let Some(v) = step.version
        && v != m.version
    {
        return Err(StoreError::Invalid(
            "事项刚被他人办理过，请刷新后再操作".into(),
        ));
    }
    if code == "review" && !reviewable(policy, &m) {
        return Err(StoreError::Invalid(if m.clock == "petition" {
            "本县制度未设复查、复核（执行《信访工作条例》的县使用 policy/national-2022.toml）"
                .into()
        } else {
            "只有信访件可以请求复查、复核".into()
        }));
    }
    let (actors, _) = caller_actors(db, caller, &m).await?;
    let state = item_state(&m);
    let mut first_err = None;
    let mut chosen = None;
    for a in &actors {
        if !step_allowed(policy, code, *a, caller, &m) {
            continue;
        }
        match state.apply(action, *a) {
            Ok(next) => {
                chosen = Some((*a, next));
                break;
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let Some((actor, next)) = chosen else {
        // Refused because of the item's state (400), or because someone else may (403)?
        let someone_may = [
            Actor::FirstHandler,
            Actor::Resident,
            Actor::Office(Level::Village),
            Actor::Office(Level::Town),
            Actor::Office(Level::County),
            Actor::Supervisor,
        ]
        .iter()
        .any(|a| state.apply(action, *a).is_ok());
        return Err(match first_err {
            Some(e) if !someone_may || !e.contains("无权") => StoreError::Invalid(e),
            Some(e) => StoreError::Forbidden(e),
            None => StoreError::Forbidden(format!("您无权对此事项{}", action_zh(code))),
        });
    };
    let note = step.note.trim().to_string();
    let need_note = |what: &str| -> Result<(), StoreError> {
        if note.is_empty() {
            Err(StoreError::Invalid(format!(
                "{}：请填写{what}",
                action_zh(code)
            )))
        } else {
            Ok(())
        }
    };
    if on < m.registered_on {
        return Err(StoreError::Invalid("日期：不能早于登记日期".into()));
    }
    let mut am = m.clone().into_active_model();
    let mut data = serde_json::Map::new();
    am.status = Set(status_code(next.status).into());
    am.level = Set(level_code(next.level).into());
    am.extended = Set(next.extended);
    am.supervised = Set(next.supervised);
    am.version = Set(m.version + 1);
    match code {
        "assign" => {
            let pid = step
                .person_id
                .ok_or_else(|| StoreError::Invalid("交办：请选择责任人".into()))?;
            let owner = person::Entity::find_by_id(pid)
                .one(db)
                .await?
                .ok_or_else(|| StoreError::Invalid(format!("交办：责任人 {pid} 不存在")))?;
            am.owner_person_id = Set(Some(owner.id));
            am.owner_unit_code = Set(Some(owner.unit_code.clone()));
            data.insert("owner".into(), serde_json::json!(owner.name));
            if let Some(d) = step.deadline {
                if d < on {
                    return Err(StoreError::Invalid("交办：期限不能早于今天".into()));
                }
                // A petition's statutory limit cannot be lengthened by assigning it.
                if m.clock == "petition" && m.deadline.is_some_and(|old| d > old) {
                    return Err(StoreError::Invalid(format!(
                        "交办：信访件的期限不能晚于法定期限 {}",
                        m.deadline.map(|d| d.to_string()).unwrap_or_default()
                    )));
                }
                am.deadline = Set(Some(d));
                data.insert("deadline".into(), serde_json::json!(d));
            }
        }
        "escalate" => need_note("本级无法解决的原因")?,
        "return" => need_note("退回的理由")?,
        "extend" => {
            need_note("延期的理由（将写入延期告知书）")?;
            let old = m.deadline.unwrap_or(on);
            if on > old {
                return Err(StoreError::Invalid(format!(
                    "延期：已过期限 {old}，只能在期限内（含当日）批准延期"
                )));
            }
            let c = clock_of(policy, &m);
            if c.extension_days == 0 {
                return Err(StoreError::Invalid("延期：本县制度不允许延期".into()));
            }
            let longest = ledger::deadline(cal, old, c.extension_days, c.count);
            let new = match step.deadline {
                Some(d) if d <= old => {
                    return Err(StoreError::Invalid("延期：新期限应晚于原期限".into()));
                }
                Some(d) if d > longest => {
                    return Err(StoreError::Invalid(format!(
                        "延期：最多延至 {longest}（{}天）",
                        c.extension_days
                    )));
                }
                Some(d) => d,
                None => longest,
            };
            am.deadline = Set(Some(new));
            data.insert("from".into(), serde_json::json!(old));
            data.insert("to".into(), serde_json::json!(new));
        }
        "resolve" if matches!(m.status.as_str(), "review" | "recheck") => {
            need_note(if m.status == "review" {
                "复查意见（将书面答复信访人）"
            } else {
                "复核意见（将书面答复信访人）"
            })?;
            am.resolution = Set(Some(note.clone()));
            am.reviewed_on = Set(Some(on));
        }
        "resolve" => {
            need_note("办理结果（将反馈给群众）")?;
            am.resolution = Set(Some(note.clone()));
            am.resolved_on = Set(Some(on));
        }
        "review" => {
            let Some(r) = policy.ledger.petition_review else {
                return Err(StoreError::Invalid("本县制度未设复查、复核".into()));
            };
            need_note("信访人请求复查（复核）的事由")?;
            let answered = m.reviewed_on.or(m.resolved_on).unwrap_or(on);
            let last = answered + chrono::Duration::days(i64::from(r.request_days));
            if on > last {
                return Err(StoreError::Invalid(format!(
                    "{}：应在收到{}之日起{}日内（{last}前）请求，已超过",
                    action_zh(code),
                    if m.review_round == 0 {
                        "处理意见"
                    } else {
                        "复查意见"
                    },
                    r.request_days
                )));
            }
            let due = ledger::deadline(cal, on, r.days, r.count);
            if m.review_round == 0 {
                am.answer_due = Set(m.deadline);
            }
            am.review_round = Set(i32::from(next.reviews));
            am.deadline = Set(Some(due));
            am.answer = Set(None);
            am.answered_on_behalf = Set(false);
            am.closed_on = Set(None);
            data.insert("deadline".into(), serde_json::json!(due));
            data.insert(
                "reopened".into(),
                serde_json::json!(format!(
                    "{}，转{}办理，{due}前答复",
                    if next.reviews == 1 {
                        "受理复查请求"
                    } else {
                        "受理复核请求"
                    },
                    level_zh(level_code(next.level))
                )),
            );
        }
        "feedback" => {
            let a = answer.unwrap_or(Answer::Solved);
            am.answer = Set(Some(answer_code(a).into()));
            am.answered_on_behalf = Set(step.on_behalf);
            data.insert("answer".into(), serde_json::json!(answer_code(a)));
            data.insert("on_behalf".into(), serde_json::json!(step.on_behalf));
            if a == Answer::NotSolved {
                reopen(&mut am, &mut data, policy, cal, &m, next, on);
            }
        }
        "close" => am.closed_on = Set(Some(on)),
        "supervise" => {
            let d = step
                .deadline
                .ok_or_else(|| StoreError::Invalid("督办：请填写督办期限".into()))?;
            if d < on {
                return Err(StoreError::Invalid("督办：督办期限不能早于今天".into()));
            }
            need_note("督办要求")?;
            am.supervision_deadline = Set(Some(d));
            data.insert("deadline".into(), serde_json::json!(d));
        }
        "overdue_reason" => {
            need_note("逾期原因")?;
            am.overdue_reason = Set(Some(note.clone()));
        }
        "notice" => need_note("告知的内容（当场答复，或办理期限和渠道）")?,
        "take_case" => {
            let pid = step
                .person_id
                .ok_or_else(|| StoreError::Invalid("包案：请选择包案领导".into()))?;
            let p = person::Entity::find_by_id(pid)
                .one(db)
                .await?
                .ok_or_else(|| StoreError::Invalid(format!("包案：人员 {pid} 不存在")))?;
            let county_leader = [Role::CountyLeadershipMember, Role::CountyPartyGovLeader]
                .iter()
                .any(|r| p.roles.contains(&format!(",{},", r.code())));
            if !county_leader {
                return Err(StoreError::Invalid(format!(
                    "包案：{} 不是县级领导干部",
                    p.name
                )));
            }
            am.case_owner_person_id = Set(Some(p.id));
            data.insert("case_owner".into(), serde_json::json!(p.name));
        }
        "guarantee" => {
            let g = Guarantee::parse(step.guarantee.as_deref().unwrap_or(""))
                .map_err(|e| StoreError::Invalid(format!("五包：{e}")))?;
            need_note("落实情况")?;
            data.insert("guarantee".into(), serde_json::json!(g.code()));
        }
        _ => {}
    }
    let event = ledger_event::ActiveModel {
        id: NotSet,
        item_id: Set(m.id),
        at: Set(now),
        on_date: Set(on),
        account_id: Set(Some(caller.account_id)),
        actor: Set(caller.display_name.clone()),
        actor_role: Set(actor_zh(actor).into()),
        action: Set(code.into()),
        from_status: Set(m.status.clone()),
        to_status: Set(status_code(next.status).into()),
        level: Set(level_code(next.level).into()),
        note: Set(note),
        data: Set(serde_json::Value::Object(data).to_string()),
    };
    commit_step(db, &m, am, event, "事项刚被他人办理过，请刷新后再操作").await
}

/// Writes one step: the item's new state — only if no one changed it since `m` was read — and
/// its history entry, in one transaction; then the item as saved.
async fn commit_step(
    db: &DatabaseConnection,
    m: &ledger_item::Model,
    am: ledger_item::ActiveModel,
    event: ledger_event::ActiveModel,
    conflict: &str,
) -> Result<ledger_item::Model, StoreError> {
    let txn = db.begin().await?;
    let res = ledger_item::Entity::update_many()
        .set(am)
        .filter(ledger_item::Column::Id.eq(m.id))
        .filter(ledger_item::Column::Version.eq(m.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Invalid(conflict.into()));
    }
    event.insert(&txn).await?;
    txn.commit().await?;
    ledger_item::Entity::find_by_id(m.id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound("事项".into()))
}

/// What a resident sees through the feedback link: the matter and where it stands now, nothing
/// personal.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ResidentView {
    pub id: i32,
    pub matter: String,
    pub status_zh: String,
    /// Who handles it now: the office of its level, by name.
    pub handled_by: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<NaiveDate>,
    /// The current result (none while the item is open again).
    pub resolution: Option<String>,
    pub answer: Option<String>,
    /// The resident can answer now (the item is resolved and waiting for them).
    pub waiting: bool,
    pub supervision_phone: Option<String>,
}

pub async fn by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<ledger_item::Model>, DbErr> {
    if token.len() < 16 {
        return Ok(None);
    }
    ledger_item::Entity::find()
        .filter(ledger_item::Column::FeedbackToken.eq(token))
        .one(db)
        .await
}

pub async fn resident_view(
    db: &impl ConnectionTrait,
    m: &ledger_item::Model,
) -> Result<ResidentView, DbErr> {
    let who = issuer(db, m).await?;
    Ok(ResidentView {
        id: m.id,
        matter: m.matter.clone(),
        status_zh: crate::store::work::status_zh(&m.status).into(),
        handled_by: who.name,
        deadline: m
            .deadline
            .filter(|_| m.resolved_on.is_none() && m.closed_on.is_none()),
        resolution: m.resolution.clone(),
        answer: m.answer.as_deref().map(|a| answer_zh(a).to_string()),
        waiting: m.status == "resolved",
        supervision_phone: who.supervision_phone,
    })
}

/// “Not solved”: the item is open again at the level the state machine moved it to, with a
/// new deadline from the day of the answer; the old result stays in the history only.
fn reopen(
    am: &mut ledger_item::ActiveModel,
    data: &mut serde_json::Map<String, serde_json::Value>,
    policy: &Policy,
    cal: &Calendar,
    m: &ledger_item::Model,
    next: ledger::Item,
    on: NaiveDate,
) {
    let c = clock_of(policy, m);
    let deadline = ledger::deadline(cal, on, c.days, c.count);
    am.resolved_on = Set(None);
    am.resolution = Set(None);
    am.deadline = Set(Some(deadline));
    am.extended = Set(false);
    data.insert(
        "old_resolution".into(),
        serde_json::json!(m.resolution.clone().unwrap_or_default()),
    );
    data.insert("deadline".into(), serde_json::json!(deadline));
    data.insert(
        "reopened".into(),
        serde_json::json!(format!(
            "群众反馈未解决，事项重新打开，转{}办理，新期限{deadline}",
            level_zh(level_code(next.level))
        )),
    );
}

/// Who answers through an item's link: the resident, or — when the browser carries a staff
/// session — that staff member, recorded as 代填 for the resident.
pub enum Answerer<'a> {
    Resident,
    Staff(&'a Caller),
}

/// The answer given through the secret link of the item (no login needed).
#[allow(clippy::too_many_arguments)]
pub async fn resident_feedback(
    db: &DatabaseConnection,
    policy: &Policy,
    cal: &Calendar,
    token: &str,
    by: Answerer<'_>,
    answer: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ledger_item::Model, StoreError> {
    let m = by_token(db, token)
        .await?
        .ok_or_else(|| StoreError::NotFound("事项".into()))?;
    let a = parse_answer(answer).map_err(StoreError::Invalid)?;
    let on_behalf = matches!(by, Answerer::Staff(_));
    let actor = if on_behalf {
        Actor::FirstHandler
    } else {
        Actor::Resident
    };
    let next = item_state(&m)
        .apply(
            Action::Feedback {
                answer: a,
                on_behalf,
            },
            actor,
        )
        .map_err(|e| {
            StoreError::Invalid(if m.status == "resolved" {
                e
            } else {
                "此事项当前不需要您评价：办结后才能评价".into()
            })
        })?;
    let on = (now + chrono::Duration::hours(8)).date_naive();
    let mut am = m.clone().into_active_model();
    am.status = Set(status_code(next.status).into());
    am.level = Set(level_code(next.level).into());
    am.answer = Set(Some(answer_code(a).into()));
    am.answered_on_behalf = Set(on_behalf);
    am.version = Set(m.version + 1);
    let mut data = serde_json::Map::new();
    data.insert("answer".into(), serde_json::json!(answer_code(a)));
    data.insert("on_behalf".into(), serde_json::json!(on_behalf));
    if a == Answer::NotSolved {
        reopen(&mut am, &mut data, policy, cal, &m, next, on);
    }
    let (account_id, actor_name, role) = match by {
        Answerer::Resident => (None, "群众本人".to_string(), "群众"),
        Answerer::Staff(c) => (Some(c.account_id), c.display_name.clone(), "工作人员代填"),
    };
    let event = ledger_event::ActiveModel {
        id: NotSet,
        item_id: Set(m.id),
        at: Set(now),
        on_date: Set(on),
        account_id: Set(account_id),
        actor: Set(actor_name),
        actor_role: Set(role.into()),
        action: Set("feedback".into()),
        from_status: Set(m.status.clone()),
        to_status: Set(status_code(next.status).into()),
        level: Set(level_code(next.level).into()),
        note: Set(note.trim().chars().take(500).collect()),
        data: Set(serde_json::Value::Object(data).to_string()),
    };
    commit_step(db, &m, am, event, "请刷新后再提交").await
}

/// The office that answers for an item at its level, by name, and the supervision phone a
/// resident may call: the village's committees, the town's 民情处理站, the county's 民情处理中心.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Issuer {
    pub name: String,
    pub supervision_phone: Option<String>,
}

pub async fn issuer(db: &impl ConnectionTrait, m: &ledger_item::Model) -> Result<Issuer, DbErr> {
    let Some(r) = region_path(db, &m.region_code).await? else {
        return Ok(Issuer {
            name: level_zh(&m.level).into(),
            supervision_phone: None,
        });
    };
    let trail = crate::store::registry::region_trail(db, &r).await?;
    let at = |n: usize| trail.get(n).map(|r| r.name.clone()).unwrap_or_default();
    let name = match level_of(&m.level) {
        Level::Village => {
            let v = at(2);
            if v.ends_with("社区") {
                format!("{}{v}居民委员会", at(1))
            } else {
                format!("{}{v}村民委员会", at(1))
            }
        }
        Level::Town => format!("{}{}民情处理站", at(0), at(1)),
        Level::County => format!("{}民情处理中心", at(0)),
    };
    // The supervision phone of the town's (or street's) party committee and government, else of
    // the county's leadership bodies: the bodies that supervise the desk and the centre.
    let codes: Vec<String> = trail.iter().take(2).map(|r| r.code.clone()).collect();
    let mut units = unit::Entity::find()
        .filter(unit::Column::RegionCode.is_in(codes.clone()))
        .filter(unit::Column::Kind.is_in([
            "town_government",
            "street_office",
            "county_leadership_body",
        ]))
        .filter(unit::Column::SupervisionPhone.is_not_null())
        .all(db)
        .await?;
    units.sort_by_key(|u| std::cmp::Reverse(codes.iter().position(|c| *c == u.region_code)));
    Ok(Issuer {
        name,
        supervision_phone: units
            .into_iter()
            .find_map(|u| u.supervision_phone.filter(|p| !p.trim().is_empty())),
    })
}

async fn names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, String>, DbErr> {
    let ids: Vec<i32> = ids.into_iter().collect();
    crate::store::work::lookup::<person::Entity, _, _>(
        db,
        person::Column::Id,
        person::Column::Name,
        &ids,
    )
    .await
}

/// An item with its history and the caller's possible steps.
pub async fn view(
    db: &impl ConnectionTrait,
    policy: &Policy,
    caller: &Caller,
    id: i32,
    today: NaiveDate,
) -> Result<Option<ItemDetail>, StoreError> {
    let Some(m) = find(db, caller, id).await? else {
        return Ok(None);
    };
    view_of(db, policy, caller, m, today).await.map(Some)
}

/// What the one who registered an item is told of it when they may not read it afterwards (a
/// stability item registered by a cadre without the right to read stability items): what was
/// written — its number, ledger, level, status and deadline — with its content withheld.
pub async fn receipt(
    db: &impl ConnectionTrait,
    policy: &Policy,
    caller: &Caller,
    m: ledger_item::Model,
    today: NaiveDate,
) -> Result<ItemDetail, StoreError> {
    let mut d = view_of(db, policy, caller, m, today).await?;
    d.matter = "（稳定工作事项已登记；内容只对有权查看的人显示）".into();
    d.resident_name = None;
    d.resident_phone = None;
    d.addressee = None;
    d.category = None;
    d.feedback_path = None;
    d.may.clear();
    for e in &mut d.history {
        e.note.clear();
        e.said.clear();
        e.data = serde_json::Value::Null;
    }
    Ok(d)
}

async fn view_of(
    db: &impl ConnectionTrait,
    policy: &Policy,
    caller: &Caller,
    m: ledger_item::Model,
    today: NaiveDate,
) -> Result<ItemDetail, StoreError> {
    let (actors, region) = caller_actors(db, caller, &m).await?;
    let state = item_state(&m);
    let may: Vec<String> = STEPS
        .iter()
        .filter(|code| {
            let action = domain_action(code, Some(Answer::Solved), true);
            action.is_some_and(|a| {
                actors.iter().any(|who| {
                    step_allowed(policy, code, *who, caller, &m) && state.apply(a, *who).is_ok()
                })
            })
        })
        .map(|s| s.to_string())
        .collect();
    let events = ledger_event::Entity::find()
        .filter(ledger_event::Column::ItemId.eq(m.id))
        .order_by_asc(ledger_event::Column::Id)
        .all(db)
        .await?;
    let people = names(
        db,
        m.owner_person_id.into_iter().chain(m.case_owner_person_id),
    )
    .await?;
    let repeats: Vec<i32> = ledger_item::Entity::find()
        .select_only()
        .column(ledger_item::Column::Id)
        .filter(ledger_item::Column::RepeatOf.eq(m.repeat_of.unwrap_or(m.id)))
        .filter(ledger_item::Column::Id.ne(m.id))
        .into_tuple()
        .all(db)
        .await?;
    let mut guarantees: Vec<String> = events
        .iter()
        .filter(|e| e.action == "guarantee")
        .filter_map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.data)
                .ok()?
                .get("guarantee")?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    guarantees.sort();
    guarantees.dedup();
    // The resident's link is for those who handle the item, not for the supervision office.
    let handles = actors.iter().any(|a| *a != Actor::Supervisor);
    let issuer = issuer(db, &m).await?;
    let addressee = match (&m.resident_name, &m.household_code) {
        (Some(n), _) if !n.trim().is_empty() => Some(n.clone()),
        (_, Some(h)) => household::Entity::find()
            .filter(household::Column::Code.eq(h.as_str()))
            .one(db)
            .await?
            .map(|h| h.head_name),
        _ => None,
    };
    let ledger = LedgerKind::from_code(&m.ledger);
    let source = ItemSource::from_code(&m.source);
    Ok(ItemDetail {
        id: m.id,
        ledger: m.ledger.clone(),
        ledger_zh: ledger.map(|l| l.zh()).unwrap_or("").into(),
        source: m.source.clone(),
        source_zh: source.map(|s| s.zh()).unwrap_or("").into(),
        clock: m.clock.clone(),
        category: m.category.clone(),
        household_code: m.household_code.clone(),
        region_code: m.region_code.clone(),
        region_name: region.name.clone(),
        resident_name: m.resident_name.clone(),
        resident_phone: m.resident_phone.as_deref().map(|p| {
            if caller.can(Capability::Reveal) {
                p.to_string()
            } else {
                crate::domain::ids::mask_phone(p)
            }
        }),
        matter: m.matter.clone(),
        status: m.status.clone(),
        status_zh: crate::store::work::status_zh(&m.status).into(),
        level: m.level.clone(),
        level_zh: level_zh(&m.level).into(),
        owner_person_id: m.owner_person_id,
        owner_name: m.owner_person_id.and_then(|p| people.get(&p).cloned()),
        case_owner_person_id: m.case_owner_person_id,
        case_owner_name: m.case_owner_person_id.and_then(|p| people.get(&p).cloned()),
        registered_on: m.registered_on,
        deadline: m.deadline,
        extended: m.extended,
        supervised: m.supervised,
        supervision_deadline: m.supervision_deadline,
        overdue: state.open() && ledger::overdue(m.deadline, today),
        overdue_reason: m.overdue_reason.clone(),
        resolution: m.resolution.clone(),
        resolved_on: m.resolved_on,
        answer: m.answer.clone(),
        answer_zh: m.answer.as_deref().map(|a| answer_zh(a).to_string()),
        answered_on_behalf: m.answered_on_behalf,
        closed_on: m.closed_on,
        repeat_of: m.repeat_of,
        repeats,
        guarantees,
        version: m.version,
        may,
        // The household's own page when its card is printed (the same door as the card's QR
        // code); else the item's own page.
        feedback_path: match (&m.household_code, handles) {
            (Some(h), true) => crate::store::cards::current_secret(db, h)
                .await?
                .map(|s| format!("/k/{s}")),
            _ => None,
        }
        .or_else(|| {
            m.feedback_token
                .as_ref()
                .filter(|_| handles)
                .map(|t| format!("/fankui/{t}"))
        }),
        issuer,
        addressee,
        history: events
            .into_iter()
            .map(|e| EventView {
                at: (e.at + chrono::Duration::hours(8))
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                on: e.on_date,
                actor: e.actor,
                actor_role: e.actor_role,
                action_zh: action_zh(&e.action).into(),
                action: e.action,
                from_status: e.from_status,
                to_status: e.to_status,
                level: e.level,
                note: e.note,
                said: said(&serde_json::from_str(&e.data).unwrap_or_default()),
                data: serde_json::from_str(&e.data).unwrap_or_default(),
            })
            .collect(),
    })
}

/// One line of an inbox or a review.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemRow {
    pub id: i32,
    pub ledger_zh: String,
    pub matter: String,
    pub household_code: Option<String>,
    pub region_code: String,
    pub status: String,
    pub status_zh: String,
    pub level_zh: String,
    pub owner_name: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<NaiveDate>,
    /// Working days to the deadline (negative: late by).
    pub days_left: Option<i64>,
    pub overdue: bool,
    pub overdue_reason: Option<String>,
    pub supervised: bool,
    pub answer_zh: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Inbox {
    #[schema(value_type = String, format = Date)]
    pub today: NaiveDate,
    /// Items waiting for this caller: to assign (as an office), to work on (as owner), to close.
    pub waiting: Vec<ItemRow>,
    pub due_soon: Vec<ItemRow>,
    pub overdue: Vec<ItemRow>,
    pub supervised: Vec<ItemRow>,
    /// Residents said “not solved”: reopened items the caller's level is told of.
    pub reopened: Vec<ItemRow>,
    /// Open items of the level below in the caller's area (分级督办): the town desk sees its
    /// villages' items, the county centre its towns'.
    pub below: Vec<ItemRow>,
    /// How many items each list holds in all (the lists show at most `limit`).
    pub counts: HashMap<String, usize>,
    /// Reminders are shown now (working hours of a working day).
    pub remind: bool,
}

/// The columns a list line needs: reading whole items (31 columns) for thousands of lines
/// costs more than the lists themselves.
#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct Line {
    pub id: i32,
    pub ledger: String,
    pub matter: String,
    pub household_code: Option<String>,
    pub region_code: String,
    pub status: String,
    pub level: String,
    pub owner_person_id: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub overdue_reason: Option<String>,
    pub supervised: bool,
    pub answer: Option<String>,
}

fn lines(q: sea_orm::Select<ledger_item::Entity>) -> sea_orm::Selector<sea_orm::SelectModel<Line>> {
    use ledger_item::Column as C;
    q.select_only()
        .columns([
            C::Id,
            C::Ledger,
            C::Matter,
            C::HouseholdCode,
            C::RegionCode,
            C::Status,
            C::Level,
            C::OwnerPersonId,
            C::Deadline,
            C::ClosedOn,
            C::OverdueReason,
            C::Supervised,
            C::Answer,
        ])
        .into_model::<Line>()
}

fn row(m: &Line, names: &HashMap<i32, String>, cal: &Calendar, today: NaiveDate) -> ItemRow {
    let open = OPEN.contains(&m.status.as_str());
    ItemRow {
        id: m.id,
        ledger_zh: crate::store::work::ledger_zh(&m.ledger).into(),
        matter: m.matter.chars().take(60).collect(),
        household_code: m.household_code.clone(),
        region_code: m.region_code.clone(),
        status: m.status.clone(),
        status_zh: crate::store::work::status_zh(&m.status).into(),
        level_zh: level_zh(&m.level).into(),
        owner_name: m.owner_person_id.and_then(|p| names.get(&p).cloned()),
        deadline: m.deadline,
        days_left: m
            .deadline
            .filter(|_| open)
            .map(|d| ledger::working_days_left(cal, today, d)),
        overdue: open && ledger::overdue(m.deadline, today),
        overdue_reason: m.overdue_reason.clone(),
        supervised: m.supervised,
        answer_zh: m.answer.as_deref().map(|a| answer_zh(a).to_string()),
    }
}

/// The caller's inbox on `today`: what waits for them, what falls due soon, what is late,
/// what is under supervision and what residents reopened — of the items they may see.
pub async fn inbox(
    db: &impl ConnectionTrait,
    policy: &Policy,
    cal: &Calendar,
    caller: &Caller,
    today: NaiveDate,
    remind: bool,
    limit: usize,
) -> Result<Inbox, DbErr> {
    let mut statuses: Vec<&str> = OPEN.to_vec();
    statuses.push("fed_back");
    // First the few columns that decide which list an item is on (thousands of items for a
    // town office), then the lines shown. Sorted here: ordering in SQL makes SQLite walk
    // the deadline index over every item.
    use ledger_item::Column as C;
    type Key = (
        i32,
        String,
        String,
        String,
        Option<i32>,
        Option<NaiveDate>,
        bool,
        Option<String>,
    );
    let mut keys: Vec<Key> = ledger_item::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::RegionCode,
            C::Status,
            C::Level,
            C::OwnerPersonId,
            C::Deadline,
            C::Supervised,
            C::Answer,
        ])
        .filter(visible(caller))
        .filter(C::Status.is_in(statuses))
        .into_tuple()
        .all(db)
        .await?;
    keys.sort_by_key(|k| (k.5, k.0));
    // The offices the caller holds, once per region.
    let mut levels_of: HashMap<String, Vec<Level>> = HashMap::new();
    {
        let mut codes: Vec<String> = keys.iter().map(|k| k.1.clone()).collect();
        codes.sort();
        codes.dedup();
        let paths: HashMap<String, String> = crate::store::work::lookup::<region::Entity, _, _>(
            db,
            region::Column::Code,
            region::Column::Path,
            &codes,
        )
        .await?;
        for c in codes {
            let path = paths.get(&c).map(String::as_str).unwrap_or("");
            levels_of.insert(c, offices(caller, path));
        }
    }
    // Due soon: before the working day after the next `due_soon_days` working days.
    let soon_before = ledger::deadline(
        cal,
        today,
        policy.ledger.due_soon_days + 1,
        crate::domain::policy::Counting::Working,
    );
    let mut lists: [(&str, Vec<i32>, usize); 6] = [
        ("waiting", vec![], 0),
        ("overdue", vec![], 0),
        ("due_soon", vec![], 0),
        ("supervised", vec![], 0),
        ("reopened", vec![], 0),
        ("below", vec![], 0),
    ];
    let mut push = |i: usize, id: i32| {
        lists[i].2 += 1;
        if lists[i].1.len() < limit {
            lists[i].1.push(id);
        }
    };
    let none = Vec::new();
    // The supervision office watches what is late or under supervision everywhere it reads.
    let supervisor = caller.can(Capability::SuperviseItems);
    for (id, region_code, status, level, owner, deadline, supervised, answer) in &keys {
        let levels = levels_of.get(region_code).unwrap_or(&none);
        let here = levels.contains(&level_of(level));
        let above = level_of(level).up().is_some_and(|l| levels.contains(&l));
        let mine = caller.person_id.is_some() && caller.person_id == *owner;
        let open = OPEN.contains(&status.as_str());
        let waiting = match status.as_str() {
            "registered" => here || mine,
            "escalated" | "fed_back" | "review" | "recheck" => here,
            "assigned" | "in_progress" => mine,
            _ => false,
        };
        if waiting {
            push(0, *id);
        } else if open && above && !here {
            push(5, *id);
        }
        if !open || !(mine || here || above || supervisor) {
            continue;
        }
        if ledger::overdue(*deadline, today) {
            push(1, *id);
        } else if deadline.is_some_and(|d| d < soon_before) {
            push(2, *id);
        }
        if *supervised {
            push(3, *id);
        }
        if answer.as_deref() == Some("not_solved") {
            push(4, *id);
        }
    }
    let mut shown: Vec<i32> = lists.iter().flat_map(|l| l.1.iter().copied()).collect();
    shown.sort_unstable();
    shown.dedup();
    let mut by_id: HashMap<i32, Line> = HashMap::new();
    for chunk in shown.chunks(900) {
        for l in lines(ledger_item::Entity::find().filter(C::Id.is_in(chunk.to_vec())))
            .all(db)
            .await?
        {
            by_id.insert(l.id, l);
        }
    }
    let owners = names(db, by_id.values().filter_map(|l| l.owner_person_id)).await?;
    let rows = |ids: &[i32]| -> Vec<ItemRow> {
        ids.iter()
            .filter_map(|id| by_id.get(id))
            .map(|m| row(m, &owners, cal, today))
            .collect()
    };
    let [waiting, overdue, due_soon, supervised, reopened, below] = &lists;
    Ok(Inbox {
        today,
        remind,
        waiting: rows(&waiting.1),
        overdue: rows(&overdue.1),
        due_soon: rows(&due_soon.1),
        supervised: rows(&supervised.1),
        reopened: rows(&reopened.1),
        below: rows(&below.1),
        counts: lists
            .iter()
            .filter(|l| l.2 > 0)
            .map(|l| (l.0.to_string(), l.2))
            .collect(),
    })
}

/// The village's periodic review (民情分析会, CG-6 / TZ-5): what is open, what is late and what
/// was closed since the last meeting recorded for the village.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Review {
    pub region_code: String,
    pub region_name: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub last_meeting: Option<NaiveDate>,
    pub open: Vec<ItemRow>,
    pub late: Vec<ItemRow>,
    pub closed_since: Vec<ItemRow>,
}

pub async fn review(
    db: &impl ConnectionTrait,
    cal: &Calendar,
    caller: &Caller,
    code: &str,
    today: NaiveDate,
) -> Result<Option<Review>, DbErr> {
    let Some(r) = region_path(db, code).await? else {
        return Ok(None);
    };
    if !caller.visibility().covers_region(&r.path) {
        return Ok(None);
    }
    let last_meeting: Option<NaiveDate> = activity::Entity::find()
        .select_only()
        .column_as(activity::Column::StartDate.max(), "d")
        .filter(activity::Column::Kind.eq("situation_meeting"))
        .filter(activity::Column::StartDate.lte(today))
        .filter(
            activity::Column::Id.in_subquery(
                Query::select()
                    .column(activity_target::Column::ActivityId)
                    .from(activity_target::Entity)
                    .and_where(activity_target::Column::TargetCode.eq(code))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    let items = lines(
        ledger_item::Entity::find()
            .filter(visible(caller))
            .filter(
                ledger_item::Column::RegionCode.in_subquery(
                    Query::select()
                        .column(region::Column::Code)
                        .from(region::Entity)
                        .and_where(region::Column::Path.like(format!("{}%", r.path)))
                        .to_owned(),
                ),
            )
            .filter(
                Condition::any()
                    .add(ledger_item::Column::Status.is_in(OPEN))
                    .add(match last_meeting {
                        Some(d) => ledger_item::Column::ClosedOn.gte(d),
                        // No meeting yet: everything ever closed.
                        None => ledger_item::Column::ClosedOn.is_not_null(),
                    }),
            )
            .order_by_asc(ledger_item::Column::Deadline),
    )
    .all(db)
    .await?;
    let owners = names(db, items.iter().filter_map(|i| i.owner_person_id)).await?;
    let mut out = Review {
        region_code: r.code.clone(),
        region_name: r.name.clone(),
        last_meeting,
        open: vec![],
        late: vec![],
        closed_since: vec![],
    };
    for m in &items {
        let line = row(m, &owners, cal, today);
        if OPEN.contains(&m.status.as_str()) {
            if line.overdue {
                out.late.push(line);
            } else {
                out.open.push(line);
            }
        } else if m.closed_on.is_some() {
            out.closed_since.push(line);
        }
    }
    Ok(Some(out))
}

/// People an office may pick as owner of an item in `region_code`: those of its town (or the
/// county's leaders for a key case), by name.
pub async fn people_to_pick(
    db: &impl ConnectionTrait,
    region_code: &str,
    county_leaders: bool,
    text: &str,
) -> Result<Vec<(i32, String, String)>, DbErr> {
    let mut q = person::Entity::find();
    let text = text.trim();
    if !text.is_empty() {
        q = q.filter(
            Condition::any()
                .add(crate::store::registry::name_match(
                    text,
                    person::Column::Name,
                    person::Column::Pinyin,
                    person::Column::Initials,
                    None,
                ))
                .add(person::Column::Post.contains(text)),
        );
    }
    if county_leaders {
        q = q.filter(
            Condition::any()
                .add(person::Column::Roles.contains(",county_leadership_member,"))
                .add(person::Column::Roles.contains(",county_party_gov_leader,")),
        );
    } else {
        let Some(r) = region_path(db, region_code).await? else {
            return Ok(vec![]);
        };
        let town: Vec<&str> = r.path.trim_matches('/').split('/').take(2).collect();
        let town = format!("/{}/", town.join("/"));
        q = q.filter(
            person::Column::RegionCode.in_subquery(
                Query::select()
                    .column(region::Column::Code)
                    .from(region::Entity)
                    .and_where(region::Column::Path.like(format!("{town}%")))
                    .to_owned(),
            ),
        );
    }
    Ok(q.order_by_asc(person::Column::Pinyin)
        .limit(300)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name, p.post.unwrap_or_default()))
        .collect())
}
