//! What pages and the API show of the registry: Chinese labels beside codes, and
//! personal data (ID numbers, phones) masked. Until accounts and roles exist
//! (issue 3), nobody is allowed the full values, so every view masks them.

use crate::domain::ids::{mask_id_number, mask_phone};
use crate::domain::labels::*;
use crate::store::entities::*;
pub use crate::time::{beijing_time, today};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Label {
    pub code: String,
    pub zh: String,
}

fn labels<T: Copy>(
    stored: &str,
    from_code: impl Fn(&str) -> Option<T>,
    zh: impl Fn(T) -> &'static str,
) -> Vec<Label> {
    split_codes(stored)
        .into_iter()
        .map(|c| Label {
            code: c.to_string(),
            zh: from_code(c).map(&zh).unwrap_or(c).to_string(),
        })
        .collect()
}

fn label<T: Copy>(
    code: &str,
    from_code: impl Fn(&str) -> Option<T>,
    zh: impl Fn(T) -> &'static str,
) -> Label {
    Label {
        code: code.to_string(),
        zh: from_code(code).map(zh).unwrap_or(code).to_string(),
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionView {
    pub code: String,
    pub name: String,
    pub level: Label,
    pub parent_code: Option<String>,
    pub tags: Vec<Label>,
}

impl From<&region::Model> for RegionView {
    fn from(m: &region::Model) -> Self {
        RegionView {
            code: m.code.clone(),
            name: m.name.clone(),
            level: label(&m.level, RegionLevel::from_code, RegionLevel::zh),
            parent_code: m.parent_code.clone(),
            tags: labels(&m.tags, RegionTag::from_code, RegionTag::zh),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub kind: Label,
    pub region_code: String,
    /// Filled in by lists and pages from the region table.
    pub region_name: Option<String>,
    pub parent_code: Option<String>,
    pub tags: Vec<Label>,
    /// A public number, printed on contact cards; shown in full.
    pub supervision_phone: Option<String>,
}

impl From<&unit::Model> for UnitView {
    fn from(m: &unit::Model) -> Self {
        UnitView {
            code: m.code.clone(),
            name: m.name.clone(),
            kind: label(&m.kind, UnitKind::from_code, UnitKind::zh),
            region_code: m.region_code.clone(),
            region_name: None,
            parent_code: m.parent_code.clone(),
            tags: labels(&m.tags, UnitTag::from_code, UnitTag::zh),
            supervision_phone: m.supervision_phone.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub id: i32,
    pub name: String,
    /// Masked: `3301**********1234`.
    pub id_number: String,
    /// Masked: `138****5678`.
    pub phone: Option<String>,
    pub unit_code: String,
    pub post: Option<String>,
    pub roles: Vec<Label>,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub area_codes: Vec<String>,
    pub term_start: Option<String>,
    pub grassroots_experience: Option<bool>,
    pub branch_code: Option<String>,
}

impl PersonView {
    /// A person the caller may not read: no name, post, roles or place, only a masked ID number.
    pub fn beyond_sight(m: &person::Model) -> Self {
        PersonView {
            id: 0,
            name: "范围外人员".into(),
            id_number: mask_id_number(&m.id_number),
            phone: None,
            unit_code: String::new(),
            post: None,
            roles: vec![],
            region_code: None,
            region_name: None,
            area_codes: vec![],
            term_start: None,
            grassroots_experience: None,
            branch_code: None,
        }
    }
}

impl From<&person::Model> for PersonView {
    fn from(m: &person::Model) -> Self {
        PersonView {
            id: m.id,
            name: m.name.clone(),
            id_number: mask_id_number(&m.id_number),
            phone: m.phone.as_deref().map(mask_phone),
            unit_code: m.unit_code.clone(),
            post: m.post.clone(),
            roles: labels(&m.roles, Role::from_code, Role::zh),
            region_code: m.region_code.clone(),
            region_name: None,
            area_codes: split_codes(&m.area_codes)
                .into_iter()
                .map(str::to_string)
                .collect(),
            term_start: m.term_start.map(|d| d.to_string()),
            grassroots_experience: m.grassroots_experience,
            branch_code: m.branch_code.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    pub code: String,
    pub head_name: String,
    pub head_id_number: Option<String>,
    pub region_code: String,
    pub region_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub size: Option<i32>,
    pub tags: Vec<Label>,
    pub hardship: bool,
    pub income_sources: Option<String>,
    pub situation: Option<String>,
}

impl From<&household::Model> for HouseholdView {
    fn from(m: &household::Model) -> Self {
        let tags = labels(&m.tags, HouseholdTag::from_code, HouseholdTag::zh);
        let hardship = split_codes(&m.tags)
            .iter()
            .any(|c| HouseholdTag::from_code(c).is_some_and(|t| t.is_hardship()));
        HouseholdView {
            code: m.code.clone(),
            head_name: m.head_name.clone(),
            head_id_number: m.head_id_number.as_deref().map(mask_id_number),
            region_code: m.region_code.clone(),
            region_name: None,
            address: m.address.clone(),
            phone: m.phone.as_deref().map(mask_phone),
            size: m.size,
            tags,
            hardship,
            income_sources: m.income_sources.clone(),
            situation: m.situation.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub name: String,
    pub id_number: Option<String>,
    pub relation: Option<String>,
    pub phone: Option<String>,
    pub employment: Option<String>,
    pub health: Option<String>,
}

impl From<&member::Model> for MemberView {
    fn from(m: &member::Model) -> Self {
        MemberView {
            name: m.name.clone(),
            id_number: m.id_number.as_deref().map(mask_id_number),
            relation: m.relation.clone(),
            phone: m.phone.as_deref().map(mask_phone),
            employment: m.employment.clone(),
            health: m.health.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LinkView {
    pub id: i32,
    pub year: i32,
    pub kind: Label,
    pub target_code: String,
    /// The target by name (王五户, 乙村, 县公安局), filled by [`name_targets`].
    pub target_name: Option<String>,
    pub person_id: Option<i32>,
    pub person_name: Option<String>,
    pub unit_code: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    /// Grassroots posting only: front line, end-report date, assessment.
    pub front_line: Option<String>,
    pub report_on: Option<String>,
    pub assessment: Option<String>,
}

impl LinkView {
    pub fn new(m: &link::Model, person: Option<&person::Model>) -> Self {
        LinkView {
            id: m.id,
            year: m.year,
            kind: label(&m.kind, LinkKind::from_code, LinkKind::zh),
            target_code: if m.target_code.len() == 18 {
                mask_id_number(&m.target_code)
            } else {
                m.target_code.clone()
            },
            target_name: None,
            person_id: m.person_id,
            person_name: person.map(|p| p.name.clone()),
            unit_code: m.unit_code.clone(),
            start: m.start_date.map(|d| d.to_string()),
            end: m.end_date.map(|d| d.to_string()),
            front_line: m.front_line.clone(),
            report_on: m.report_on.map(|d| d.to_string()),
            assessment: m.assessment.clone(),
        }
    }
}

/// Fills each link's target name with one lookup per kind of target.
pub async fn name_targets(
    db: &impl sea_orm::ConnectionTrait,
    links: &mut [LinkView],
    models: &[link::Model],
) -> Result<(), sea_orm::DbErr> {
    let codes: Vec<String> = models.iter().map(|m| m.target_code.clone()).collect();
    let names = crate::web::api::work::target_names(db, &codes).await?;
    for (l, n) in links.iter_mut().zip(names) {
        if n.zh != n.code {
            l.target_name = Some(n.zh);
        }
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub start_date: String,
    pub end_date: String,
    pub kind: Label,
    pub participants: Vec<String>,
    pub companions: Option<i32>,
    pub hours: Option<f64>,
    pub notes: Option<String>,
    pub matters: Vec<String>,
    /// A condolence visit's aid, as one line (“慰问金500元”).
    pub aid: Option<String>,
}

impl ActivityView {
    pub fn new(m: &activity::Model, who: &[person::Model]) -> Self {
        ActivityView {
            start_date: m.start_date.to_string(),
            end_date: m.end_date.to_string(),
            kind: label(&m.kind, ActivityKind::from_code, ActivityKind::zh),
            participants: who.iter().map(|p| p.name.clone()).collect(),
            companions: m.companions,
            hours: m.hours,
            notes: m.notes.clone(),
            aid: crate::domain::work::aid_line(m.aid.as_deref(), m.aid_value),
            matters: m
                .matters
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub at: String,
    pub actor: String,
    pub entity: String,
    pub action: String,
    /// One Chinese line per changed field.
    pub changes: Vec<String>,
}

impl From<&history::Model> for HistoryView {
    fn from(m: &history::Model) -> Self {
        HistoryView::named(m, &std::collections::HashMap::new())
    }
}

/// Fields whose stored value is a person's id.
const PERSON_FIELDS: [&str; 3] = ["person_id", "owner_person_id", "case_owner_person_id"];

/// A stored value as a person reads it: names instead of ids and codes, labels instead of
/// `,dibao,` lists.
fn value_zh(field: &str, v: Option<&serde_json::Value>, names: &HashMap<i32, String>) -> String {
    use crate::domain::labels::*;
    let text = match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => return "（空）".into(),
        Some(serde_json::Value::Bool(b)) => return if *b { "是" } else { "否" }.into(),
        Some(other) => other.to_string(),
    };
    if PERSON_FIELDS.contains(&field)
        && let Some(n) = text.parse::<i32>().ok().and_then(|id| names.get(&id))
    {
        return n.clone();
    }
    let one = |c: &str| -> String {
        ActivityKind::from_code(c)
            .map(|k| k.zh())
            .or_else(|| LinkKind::from_code(c).map(|k| k.zh()))
            .or_else(|| UnitKind::from_code(c).map(|k| k.zh()))
            .or_else(|| RegionLevel::from_code(c).map(|k| k.zh()))
            .or_else(|| HouseholdTag::from_code(c).map(|k| k.zh()))
            .or_else(|| Role::from_code(c).map(|k| k.zh()))
            .map(str::to_string)
            .unwrap_or_else(|| c.to_string())
    };
    match field {
        "kind" | "level" => one(&text),
        "tags" | "roles" => {
            let parts: Vec<String> = text
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(one)
                .collect();
            if parts.is_empty() {
                "（空）".into()
            } else {
                parts.join("、")
            }
        }
        "status" => crate::store::work::status_zh(&text).to_string(),
        _ => text,
    }
}

impl HistoryView {
    fn named(m: &history::Model, names: &HashMap<i32, String>) -> Self {
        let changes = serde_json::from_str::<serde_json::Value>(&m.changes)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .map(|o| {
                o.iter()
                    .map(|(k, v)| {
                        let pair = v.as_array().cloned().unwrap_or_default();
                        format!(
                            "{}：{} → {}",
                            field_zh(k),
                            value_zh(k, pair.first(), names),
                            value_zh(k, pair.get(1), names)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        HistoryView {
            at: beijing_time(&m.at),
            actor: m.actor.clone(),
            entity: match m.entity.as_str() {
                "household" => "户".into(),
                "member" => "家庭成员".into(),
                "person" => "人员".into(),
                "link" => "联系关系".into(),
                "activity" => "工作记录".into(),
                "ledger_item" => "台账事项".into(),
                "region" => "区划".into(),
                "unit" => "单位".into(),
                other => other.into(),
            },
            action: match m.action.as_str() {
                "create" => "新建".into(),
                "handover" => "工作交接".into(),
                "confirm" => "参加人确认".into(),
                "decline" => "参加人否认".into(),
                _ => "修改".into(),
            },
            changes,
        }
    }
}

/// History lines with the people they name looked up once.
pub async fn history_views(
    db: &impl sea_orm::ConnectionTrait,
    hist: &[history::Model],
) -> Result<Vec<HistoryView>, sea_orm::DbErr> {
    let mut ids: Vec<i32> = Vec::new();
    for m in hist {
        if let Ok(serde_json::Value::Object(o)) = serde_json::from_str(&m.changes) {
            for f in PERSON_FIELDS {
                if let Some(serde_json::Value::Array(pair)) = o.get(f) {
                    for v in pair {
                        let id = match v {
                            serde_json::Value::Number(n) => n.as_i64(),
                            serde_json::Value::String(s) => s.parse().ok(),
                            _ => None,
                        };
                        if let Some(id) = id.and_then(|i| i32::try_from(i).ok()) {
                            ids.push(id);
                        }
                    }
                }
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let names = crate::store::work::lookup::<crate::store::entities::person::Entity, _, _>(
        db,
        crate::store::entities::person::Column::Id,
        crate::store::entities::person::Column::Name,
        &ids,
    )
    .await?;
    // Who made the change, by their name rather than their user name.
    let mut users: Vec<String> = hist.iter().map(|m| m.actor.clone()).collect();
    users.sort();
    users.dedup();
    let shown: HashMap<String, String> =
        crate::store::work::lookup::<crate::store::entities::account::Entity, _, _>(
            db,
            crate::store::entities::account::Column::Username,
            crate::store::entities::account::Column::DisplayName,
            &users,
        )
        .await?;
    Ok(hist
        .iter()
        .map(|m| {
            let mut v = HistoryView::named(m, &names);
            if let Some(n) = shown.get(&m.actor) {
                v.actor = n.clone();
            }
            v
        })
        .collect())
}

/// Chinese names of stored fields, for history lines.
pub fn field_zh(field: &str) -> &str {
    match field {
        "code" => "编号",
        "name" => "名称",
        "head_name" => "户主姓名",
        "head_id_number" => "户主身份证号",
        "id_number" => "身份证号",
        "region_code" => "所属区划",
        "address" => "地址",
        "phone" => "电话",
        "size" => "人口",
        "tags" => "类别",
        "income_sources" => "收入来源",
        "situation" => "生产生活状况",
        "relation" => "与户主关系",
        "employment" => "就业情况",
        "health" => "健康状况",
        "unit_code" => "单位",
        "post" => "职务",
        "roles" => "角色",
        "area_codes" => "责任片区",
        "term_start" => "任期开始",
        "grassroots_experience" => "基层工作经历",
        "branch_code" => "所属党支部",
        "level" => "层级",
        "parent_code" => "上级",
        "kind" => "类型",
        "year" => "年度",
        "person_id" => "干部",
        "target_code" => "对象",
        "start_date" => "开始日期",
        "end_date" => "结束日期",
        "supervision_phone" => "监督电话",
        "start" => "开始日期",
        "end" => "结束日期",
        "companions" => "随行人数",
        "hours" => "时长(小时)",
        "notes" => "内容",
        "matters" => "反映事项",
        "participants" => "参加人",
        "invited" => "待本人确认的参加人",
        "targets" => "对象",
        "matter" => "事项",
        "status" => "状态",
        "owner_person_id" => "责任人",
        "owner_unit_code" => "责任单位",
        "deadline" => "办理期限",
        "handover_to" => "交接给",
        "on" => "交接日期",
        "links" => "移交联系关系数",
        "items" => "移交事项数",
        "front_line" => "锻炼岗位",
        "report_on" => "述职报告日期",
        "assessment" => "考核意见",
        "aid" => "慰问物资",
        "aid_value" => "慰问价值(元)",
        "published_on" => "公开日期",
        "place" => "公开的地方",
        other => other,
    }
}

/// Views that sit in a region and show its name.
pub trait InRegion {
    fn region(&self) -> Option<&str>;
    fn set_region_name(&mut self, name: Option<String>);
}

macro_rules! in_region {
    ($t:ty, |$s:ident| $code:expr) => {
        impl InRegion for $t {
            fn region(&self) -> Option<&str> {
                let $s = self;
                $code
            }
            fn set_region_name(&mut self, name: Option<String>) {
                self.region_name = name;
            }
        }
    };
}
in_region!(UnitView, |s| Some(s.region_code.as_str()));
in_region!(PersonView, |s| s.region_code.as_deref());
in_region!(HouseholdView, |s| Some(s.region_code.as_str()));

/// Fills in region names for a page of views with one query.
pub async fn with_region_names<T: InRegion>(
    db: &impl sea_orm::ConnectionTrait,
    mut items: Vec<T>,
) -> Result<Vec<T>, sea_orm::DbErr> {
    let names = crate::store::registry::region_names(
        db,
        items.iter().filter_map(|i| i.region().map(str::to_string)),
    )
    .await?;
    for i in &mut items {
        let name = i.region().and_then(|c| names.get(c).cloned());
        i.set_region_name(name);
    }
    Ok(items)
}

/// The same page, with region names filled in.
pub async fn named<T: InRegion>(
    db: &impl sea_orm::ConnectionTrait,
    mut page: crate::store::registry::Page<T>,
) -> Result<crate::store::registry::Page<T>, sea_orm::DbErr> {
    page.items = with_region_names(db, std::mem::take(&mut page.items)).await?;
    Ok(page)
}

/// A ledger item as shown; the content of stability items only to roles that may read it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub id: i32,
    pub ledger: String,
    pub ledger_zh: String,
    pub matter: String,
    pub status: String,
    pub status_zh: String,
    pub household_code: Option<String>,
    pub region_code: String,
    pub registered_on: String,
    pub deadline: Option<String>,
    pub activity_id: Option<i32>,
    pub owner_person_id: Option<i32>,
}

impl ItemView {
    pub fn new(m: &ledger_item::Model, read_stability: bool) -> Self {
        use crate::store::work::{ledger_zh, status_zh};
        ItemView {
            id: m.id,
            ledger: m.ledger.clone(),
            ledger_zh: ledger_zh(&m.ledger).into(),
            matter: if m.ledger == "stability" && !read_stability {
                "（稳定工作事项，您的角色无权查看内容）".into()
            } else {
                m.matter.clone()
            },
            status: m.status.clone(),
            status_zh: status_zh(&m.status).into(),
            household_code: m.household_code.clone(),
            region_code: m.region_code.clone(),
            registered_on: m.registered_on.to_string(),
            deadline: m.deadline.map(|d| d.to_string()),
            activity_id: m.activity_id,
            owner_person_id: m.owner_person_id,
        }
    }
}

/// The address residents reach lianxin at: the `base_url` setting, or else the host the request
/// came to (with the scheme a TLS proxy reports).
pub fn public_url(
    config: &crate::config::Config,
    headers: &axum::http::HeaderMap,
    path: &str,
) -> String {
    if let Some(base) = config.base_url.as_deref().filter(|b| !b.trim().is_empty()) {
        return format!("{}{path}", base.trim_end_matches('/'));
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or(config.listen.as_str());
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    format!("{}://{host}{path}", if https { "https" } else { "http" })
}

/// A QR code of `text` as inline SVG (for printed notices; scanned by a phone's camera).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(160, 160)
                .build();
            // Inline in HTML: without the XML declaration.
            match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => svg,
            }
        }
        Err(_) => String::new(),
    }
}
