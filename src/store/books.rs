//! Builds the record books from the work records: nothing here is typed twice.
//! 联户工作记录本 (a cadre), 一户一页 (a household), 一村一册 (a village),
//! 联户工作台账 (a unit, or the county), 志愿服务时长 (people and teams).

use super::entities::*;
use super::work::{
    SOLVED, active_on, coverage_kinds, ledger_zh, lookup, participant_activity, status_zh,
    target_activity, visit_counts, visit_kinds,
};
use crate::domain::books::{Book, BookSheet, Section};
use crate::domain::ids::mask_phone;
use crate::domain::labels::{ActivityKind, HouseholdTag, LinkKind, UnitKind, split_codes};
use crate::domain::policy::Policy;
use chrono::NaiveDate;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{BTreeMap, HashMap};

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    )
}

/// A record's content, with a condolence visit's aid after it (BF-1, BF-4).
fn notes_with_aid(a: &activity::Model) -> String {
    let notes = a.notes.clone().unwrap_or_default();
    match crate::domain::work::aid_line(a.aid.as_deref(), a.aid_value) {
        Some(aid) if notes.is_empty() => format!("慰问：{aid}"),
        Some(aid) => format!("{notes}；慰问：{aid}"),
        None => notes,
    }
}

fn kind_zh(code: &str) -> String {
    ActivityKind::from_code(code)
        .map(|k| k.zh())
        .unwrap_or(code)
        .to_string()
}

fn tags_zh(tags: &str) -> String {
    split_codes(tags)
        .into_iter()
        .filter_map(HouseholdTag::from_code)
        .map(|t| t.zh())
        .collect::<Vec<_>>()
        .join("、")
}

fn when(a: &activity::Model) -> String {
    if a.end_date != a.start_date {
        format!("{} 至 {}", a.start_date, a.end_date)
    } else {
        a.start_date.to_string()
    }
}

/// Activities with their participants' names, targets and items, for a set of activity ids.
struct Records {
    acts: Vec<activity::Model>,
    names: HashMap<i32, Vec<String>>,
    targets: HashMap<i32, Vec<String>>,
    items: HashMap<i32, Vec<ledger_item::Model>>,
}

async fn records(db: &impl ConnectionTrait, acts: Vec<activity::Model>) -> Result<Records, DbErr> {
    let mut names: HashMap<i32, Vec<String>> = HashMap::new();
    let mut targets: HashMap<i32, Vec<String>> = HashMap::new();
    let mut items: HashMap<i32, Vec<ledger_item::Model>> = HashMap::new();
    let ids: Vec<i32> = acts.iter().map(|a| a.id).collect();
    for chunk in ids.chunks(900) {
        let rows: Vec<(i32, String)> = activity_participant::Entity::find()
            .select_only()
            .column(activity_participant::Column::ActivityId)
            .column(person::Column::Name)
            .join(
                sea_orm::JoinType::InnerJoin,
                activity_participant::Entity::belongs_to(person::Entity)
                    .from(activity_participant::Column::PersonId)
                    .to(person::Column::Id)
                    .into(),
            )
            .filter(activity_participant::Column::ActivityId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (a, n) in rows {
            names.entry(a).or_default().push(n);
        }
        for t in activity_target::Entity::find()
            .filter(activity_target::Column::ActivityId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            targets
                .entry(t.activity_id)
                .or_default()
                .push(t.target_code);
        }
        for i in ledger_item::Entity::find()
            .filter(ledger_item::Column::ActivityId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            if let Some(a) = i.activity_id {
                items.entry(a).or_default().push(i);
            }
        }
    }
    Ok(Records {
        acts,
        names,
        targets,
        items,
    })
}

fn follow_up(items: Option<&Vec<ledger_item::Model>>) -> String {
    items
        .map(|v| {
            let many = v.len() > 1;
            v.iter()
                .enumerate()
                .map(|(n, i)| item_standing(i, many.then_some(n + 1)))
                .collect::<Vec<_>>()
                .join("；")
        })
        .unwrap_or_default()
}

/// Where an item stands, for a book's 办理情况 column: status and level, deadline, the result
/// and the resident's answer — not the matter again.
fn item_standing(i: &ledger_item::Model, n: Option<usize>) -> String {
    let mut out = n.map(|n| format!("第{n}件：")).unwrap_or_default();
    out.push_str(status_zh(&i.status));
    out.push_str(&format!("（{}", crate::store::ledger::level_zh(&i.level)));
    if i.closed_on.is_none()
        && i.resolved_on.is_none()
        && let Some(d) = i.deadline
    {
        out.push_str(&format!("，期限{d}"));
    }
    out.push('）');
    if let Some(r) = i.resolution.as_deref().filter(|r| !r.is_empty()) {
        out.push_str(&format!("，结果：{r}"));
    }
    if let Some(a) = i.answer.as_deref() {
        out.push_str(&format!(
            "，群众评价：{}",
            crate::store::ledger::answer_zh(a)
        ));
    }
    out
}

/// 联户工作记录本: every record the cadre took part in during the year, by date.
pub async fn record_book(
    db: &impl ConnectionTrait,
    p: &person::Model,
    year: i32,
) -> Result<Book, DbErr> {
    let (from, to) = year_bounds(year);
    let acts = activity::Entity::find()
        .filter(
            activity::Column::Id.in_subquery(
                Query::select()
                    .column(activity_participant::Column::ActivityId)
                    .from(activity_participant::Entity)
                    .and_where(activity_participant::Column::PersonId.eq(p.id))
                    .to_owned(),
            ),
        )
        .filter(activity::Column::StartDate.between(from, to))
        .order_by_asc(activity::Column::StartDate)
        .order_by_asc(activity::Column::Id)
        .all(db)
        .await?;
    let r = records(db, acts).await?;
    let codes: Vec<String> = r.targets.values().flatten().cloned().collect();
    let heads = household_heads(db, &codes).await?;
    let unit = unit::Entity::find()
        .filter(unit::Column::Code.eq(&p.unit_code))
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let rows = r
        .acts
        .iter()
        .map(|a| {
            vec![
                when(a),
                kind_zh(&a.kind),
                r.targets
                    .get(&a.id)
                    .map(|t| {
                        t.iter()
                            .map(|c| {
                                heads
                                    .get(c)
                                    .map(|h| format!("{h}户（{c}）"))
                                    .unwrap_or_else(|| c.clone())
                            })
                            .collect::<Vec<_>>()
                            .join("、")
                    })
                    .unwrap_or_default(),
                r.names.get(&a.id).map(|n| n.join("、")).unwrap_or_default(),
                notes_with_aid(a),
                a.matters.lines().collect::<Vec<_>>().join("；"),
                follow_up(r.items.get(&a.id)),
            ]
        })
        .collect::<Vec<_>>();
    let title = format!("{}联户工作记录本（{year}年）", p.name);
    Ok(Book {
        title: title.clone(),
        sheets: vec![BookSheet {
            name: "联户工作记录本".into(),
            title,
            subtitle: format!(
                "单位：{unit}　职务：{}　记录：{}条",
                p.post.as_deref().unwrap_or("—"),
                rows.len()
            ),
            sections: vec![Section::new(
                None,
                &[
                    "时间",
                    "方式",
                    "对象",
                    "参加人",
                    "走访内容",
                    "群众反映的问题",
                    "办理情况",
                ],
                rows,
            )],
        }],
    })
}

async fn household_heads(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<HashMap<String, String>, DbErr> {
    lookup::<household::Entity, _, _>(
        db,
        household::Column::Code,
        household::Column::HeadName,
        codes,
    )
    .await
}

/// 一户一页: the basic form, members, who links the household, every visit and every item.
pub async fn household_page(
    db: &impl ConnectionTrait,
    h: &household::Model,
) -> Result<Book, DbErr> {
    let members = member::Entity::find()
        .filter(member::Column::HouseholdId.eq(h.id))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?;
    let links = link::Entity::find()
        .filter(link::Column::TargetCode.eq(&h.code))
        .order_by_desc(link::Column::Year)
        .all(db)
        .await?;
    let pids: Vec<i32> = links.iter().filter_map(|l| l.person_id).collect();
    let people: HashMap<i32, String> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::Name)
        .filter(person::Column::Id.is_in(pids))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let acts = activity::Entity::find()
        .filter(
            activity::Column::Id.in_subquery(
                Query::select()
                    .column(activity_target::Column::ActivityId)
                    .from(activity_target::Entity)
                    .and_where(activity_target::Column::TargetCode.eq(&h.code))
                    .to_owned(),
            ),
        )
        .order_by_asc(activity::Column::StartDate)
        .all(db)
        .await?;
    let r = records(db, acts).await?;
    let items = super::work::items_of_household(db, &h.code).await?;
    let region = region::Entity::find()
        .filter(region::Column::Code.eq(&h.region_code))
        .one(db)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let cadres = links
        .iter()
        .map(|l| {
            let who = l
                .person_id
                .and_then(|p| people.get(&p).cloned())
                .or(l.unit_code.clone())
                .unwrap_or_default();
            let kind = LinkKind::from_code(&l.kind).map(|k| k.zh()).unwrap_or("");
            let span = match (l.start_date, l.end_date) {
                (None, None) => String::new(),
                (s, e) => format!(
                    "，{}至{}",
                    s.map(|d| d.to_string()).unwrap_or_default(),
                    e.map(|d| d.to_string()).unwrap_or_default()
                ),
            };
            format!("{who}（{}年{kind}{span}）", l.year)
        })
        .collect::<Vec<_>>()
        .join("；");
    let basic = vec![
        vec!["户编号".into(), h.code.clone()],
        vec!["户主".into(), h.head_name.clone()],
        vec!["所在地".into(), region],
        vec!["地址".into(), h.address.clone().unwrap_or_default()],
        vec![
            "联系电话".into(),
            h.phone.as_deref().map(mask_phone).unwrap_or_default(),
        ],
        vec![
            "人口".into(),
            h.size.map(|s| s.to_string()).unwrap_or_default(),
        ],
        vec!["类别".into(), tags_zh(&h.tags)],
        vec![
            "收入来源".into(),
            h.income_sources.clone().unwrap_or_default(),
        ],
        vec![
            "生产生活状况".into(),
            h.situation.clone().unwrap_or_default(),
        ],
        vec!["联系干部".into(), cadres],
    ];
    let member_rows = members
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                m.relation.clone().unwrap_or_default(),
                m.employment.clone().unwrap_or_default(),
                m.health.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let visit_rows = r
        .acts
        .iter()
        .map(|a| {
            vec![
                when(a),
                kind_zh(&a.kind),
                r.names.get(&a.id).map(|n| n.join("、")).unwrap_or_default(),
                notes_with_aid(a),
                a.matters.lines().collect::<Vec<_>>().join("；"),
            ]
        })
        .collect();
    let item_rows = items.iter().rev().map(item_row).collect();
    let title = format!("{}户 一户一页", h.head_name);
    Ok(Book {
        title: title.clone(),
        sheets: vec![BookSheet {
            name: "一户一页".into(),
            title,
            subtitle: format!("户编号：{}", h.code),
            sections: vec![
                Section::new(Some("家庭基本情况"), &["项目", "内容"], basic),
                Section::new(
                    Some("家庭成员"),
                    &["姓名", "与户主关系", "就业情况", "健康状况"],
                    member_rows,
                ),
                Section::new(
                    Some("走访记录"),
                    &["时间", "方式", "干部", "内容", "反映的问题"],
                    visit_rows,
                ),
                Section::new(
                    Some("台账事项"),
                    &["登记日期", "台账", "事项", "状态", "办结日期"],
                    item_rows,
                ),
            ],
        }],
    })
}

fn item_row(i: &ledger_item::Model) -> Vec<String> {
    vec![
        i.registered_on.to_string(),
        ledger_zh(&i.ledger).into(),
        if i.ledger == "stability" {
            "（稳定工作事项）".into()
        } else {
            i.matter.clone()
        },
        status_zh(&i.status).into(),
        i.closed_on.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

/// Per household: its linking cadres (names), visits this year, items raised and solved.
struct HouseholdFacts {
    cadres: HashMap<String, Vec<i32>>,
    items: HashMap<String, (usize, usize)>,
}

async fn household_facts(
    db: &impl ConnectionTrait,
    policy: &Policy,
    codes: Option<&[String]>,
    day: NaiveDate,
) -> Result<HouseholdFacts, DbErr> {
    let mut cadres: HashMap<String, Vec<i32>> = HashMap::new();
    let links: Vec<(Option<i32>, String)> = link::Entity::find()
        .select_only()
        .column(link::Column::PersonId)
        .column(link::Column::TargetCode)
        .filter(link::Column::Kind.is_in(coverage_kinds(policy)))
        .filter(active_on(day))
        .into_tuple()
        .all(db)
        .await?;
    let wanted: Option<std::collections::HashSet<&String>> = codes.map(|c| c.iter().collect());
    for (p, code) in links {
        if let Some(p) = p
            && wanted.as_ref().is_none_or(|w| w.contains(&code))
        {
            cadres.entry(code).or_default().push(p);
        }
    }
    let mut items: HashMap<String, (usize, usize)> = HashMap::new();
    let rows: Vec<(Option<String>, String)> = ledger_item::Entity::find()
        .select_only()
        .column(ledger_item::Column::HouseholdCode)
        .column(ledger_item::Column::Status)
        .filter(ledger_item::Column::HouseholdCode.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    for (code, status) in rows {
        if let Some(code) = code {
            let e = items.entry(code).or_default();
            e.0 += 1;
            if SOLVED.contains(&status.as_str()) {
                e.1 += 1;
            }
        }
    }
    Ok(HouseholdFacts { cadres, items })
}

/// Visits per household in the year, by anyone: (count, this-half count, last).
async fn visits_by_household(
    db: &impl ConnectionTrait,
    policy: &Policy,
    codes: &[String],
    year: i32,
) -> Result<HashMap<String, (usize, NaiveDate)>, DbErr> {
    let (from, to) = year_bounds(year);
    let kinds: Vec<&str> = visit_kinds(policy).iter().map(|k| k.code()).collect();
    let mut out: HashMap<String, (usize, NaiveDate)> = HashMap::new();
    for chunk in codes.chunks(900) {
        let rows: Vec<(String, NaiveDate)> = activity_target::Entity::find()
            .select_only()
            .column(activity_target::Column::TargetCode)
            .column(activity::Column::StartDate)
            .join(sea_orm::JoinType::InnerJoin, target_activity())
            .filter(activity_target::Column::TargetCode.is_in(chunk.to_vec()))
            .filter(activity::Column::Kind.is_in(kinds.clone()))
            .filter(activity::Column::StartDate.between(from, to))
            .into_tuple()
            .all(db)
            .await?;
        for (c, d) in rows {
            let e = out.entry(c).or_insert((0, d));
            e.0 += 1;
            e.1 = e.1.max(d);
        }
    }
    Ok(out)
}

/// 一村一册: the village's households with their cadre and visits, every visit of the year,
/// and every ledger item.
pub async fn village_book(
    db: &impl ConnectionTrait,
    policy: &Policy,
    village: &region::Model,
    year: i32,
    day: NaiveDate,
) -> Result<Book, DbErr> {
    let regions: HashMap<String, String> = region::Entity::find()
        .select_only()
        .column(region::Column::Code)
        .column(region::Column::Name)
        .filter(region::Column::Path.starts_with(&village.path))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let households = household::Entity::find()
        .filter(household::Column::RegionCode.is_in(regions.keys().cloned().collect::<Vec<_>>()))
        .order_by_asc(household::Column::Code)
        .all(db)
        .await?;
    let codes: Vec<String> = households.iter().map(|h| h.code.clone()).collect();
    let facts = household_facts(db, policy, Some(&codes), day).await?;
    let visits = visits_by_household(db, policy, &codes, year).await?;
    let pids: Vec<i32> = facts.cadres.values().flatten().copied().collect();
    let names = person_names(db, &pids).await?;
    let rows = households
        .iter()
        .map(|h| {
            let (n, last) = visits
                .get(&h.code)
                .map(|(n, d)| (*n, d.to_string()))
                .unwrap_or((0, String::new()));
            let (raised, solved) = facts.items.get(&h.code).copied().unwrap_or_default();
            vec![
                h.code.clone(),
                h.head_name.clone(),
                regions.get(&h.region_code).cloned().unwrap_or_default(),
                h.size.map(|s| s.to_string()).unwrap_or_default(),
                tags_zh(&h.tags),
                facts
                    .cadres
                    .get(&h.code)
                    .map(|v| {
                        v.iter()
                            .filter_map(|p| names.get(p).cloned())
                            .collect::<Vec<_>>()
                            .join("、")
                    })
                    .unwrap_or_default(),
                n.to_string(),
                last,
                raised.to_string(),
                solved.to_string(),
            ]
        })
        .collect::<Vec<_>>();
    let (from, to) = year_bounds(year);
    let acts = activity::Entity::find()
        .filter(
            activity::Column::Id.in_subquery(
                Query::select()
                    .column(activity_target::Column::ActivityId)
                    .from(activity_target::Entity)
                    .and_where(
                        activity_target::Column::TargetCode
                            .is_in(codes.iter().cloned().chain([village.code.clone()])),
                    )
                    .to_owned(),
            ),
        )
        .filter(activity::Column::StartDate.between(from, to))
        .order_by_asc(activity::Column::StartDate)
        .all(db)
        .await?;
    let r = records(db, acts).await?;
    let heads: HashMap<&str, &str> = households
        .iter()
        .map(|h| (h.code.as_str(), h.head_name.as_str()))
        .collect();
    let visit_rows = r
        .acts
        .iter()
        .map(|a| {
            vec![
                when(a),
                r.targets
                    .get(&a.id)
                    .map(|t| {
                        t.iter()
                            .map(|c| {
                                heads
                                    .get(c.as_str())
                                    .map(|h| format!("{h}户"))
                                    .unwrap_or_else(|| c.clone())
                            })
                            .collect::<Vec<_>>()
                            .join("、")
                    })
                    .unwrap_or_default(),
                kind_zh(&a.kind),
                r.names.get(&a.id).map(|n| n.join("、")).unwrap_or_default(),
                notes_with_aid(a),
                a.matters.lines().collect::<Vec<_>>().join("；"),
            ]
        })
        .collect();
    let items = ledger_item::Entity::find()
        .filter(ledger_item::Column::RegionCode.is_in(regions.keys().cloned().collect::<Vec<_>>()))
        .order_by_asc(ledger_item::Column::RegisteredOn)
        .all(db)
        .await?;
    let owners = person_names(
        db,
        &items
            .iter()
            .filter_map(|i| i.owner_person_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    // The three ledgers (TZ-1), each one page per household.
    let ledger_sheets: Vec<BookSheet> = crate::domain::labels::LedgerKind::ALL
        .iter()
        .map(|kind| {
            let mut pages: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
            for i in items.iter().filter(|i| i.ledger == kind.code()) {
                let page = match i.household_code.as_deref() {
                    Some(c) => format!(
                        "{}户（{c}）",
                        heads.get(c).map(|h| h.to_string()).unwrap_or_default()
                    ),
                    None => "村级事项".to_string(),
                };
                pages.entry(page).or_default().push(vec![
                    i.registered_on.to_string(),
                    crate::domain::labels::ItemSource::from_code(&i.source)
                        .map(|s| s.zh())
                        .unwrap_or("")
                        .into(),
                    if i.ledger == "stability" {
                        "（稳定工作事项）".into()
                    } else {
                        i.matter.clone()
                    },
                    i.owner_person_id
                        .and_then(|p| owners.get(&p).cloned())
                        .unwrap_or_default(),
                    i.deadline.map(|d| d.to_string()).unwrap_or_default(),
                    crate::store::ledger::level_zh(&i.level).into(),
                    status_zh(&i.status).into(),
                    i.answer
                        .as_deref()
                        .map(crate::store::ledger::answer_zh)
                        .unwrap_or("")
                        .into(),
                    i.closed_on.map(|d| d.to_string()).unwrap_or_default(),
                ]);
            }
            let count: usize = pages.values().map(Vec::len).sum();
            BookSheet {
                name: format!("{}台账", kind.zh()),
                title: format!("{}{}台账", village.name, kind.zh()),
                subtitle: format!("{count}件"),
                sections: pages
                    .into_iter()
                    .map(|(page, rows)| {
                        Section::new(
                            Some(&page),
                            &[
                                "登记日期",
                                "来源",
                                "事项",
                                "责任人",
                                "期限",
                                "层级",
                                "状态",
                                "群众评价",
                                "销号日期",
                            ],
                            rows,
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let covered = rows.iter().filter(|r| !r[5].is_empty()).count();
    let title = format!("{}一村一册（{year}年）", village.name);
    let subtitle = format!(
        "户数：{}　已联户：{}　走访记录：{}条　台账事项：{}件",
        rows.len(),
        covered,
        r.acts.len(),
        items.len()
    );
    Ok(Book {
        title: title.clone(),
        sheets: vec![
            BookSheet {
                name: "户情".into(),
                title: title.clone(),
                subtitle,
                sections: vec![Section::new(
                    None,
                    &[
                        "户编号",
                        "户主",
                        "组",
                        "人口",
                        "类别",
                        "联户干部",
                        "今年走访",
                        "最近走访",
                        "反映事项",
                        "已办结",
                    ],
                    rows,
                )],
            },
            BookSheet {
                name: "走访记录".into(),
                title: format!("{}走访记录（{year}年）", village.name),
                subtitle: String::new(),
                sections: vec![Section::new(
                    None,
                    &["时间", "对象", "方式", "干部", "内容", "反映的问题"],
                    visit_rows,
                )],
            },
        ]
        .into_iter()
        .chain(ledger_sheets)
        .collect(),
    })
}

async fn person_names(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, String>, DbErr> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    lookup::<person::Entity, _, _>(db, person::Column::Id, person::Column::Name, &ids).await
}

/// 联户工作台账: one row per household link of the unit's people (or the whole county):
/// who links whom, visits so far (each half), items raised and solved.
pub async fn unit_ledger(
    db: &impl ConnectionTrait,
    policy: &Policy,
    unit: Option<&unit::Model>,
    year: i32,
    day: NaiveDate,
) -> Result<Book, DbErr> {
    let mut q = person::Entity::find();
    if let Some(u) = unit {
        q = q.filter(person::Column::UnitCode.eq(&u.code));
    }
    let people: HashMap<i32, person::Model> =
        q.all(db).await?.into_iter().map(|p| (p.id, p)).collect();
    let links: Vec<(Option<i32>, String)> = link::Entity::find()
        .select_only()
        .column(link::Column::PersonId)
        .column(link::Column::TargetCode)
        .filter(link::Column::Kind.is_in(coverage_kinds(policy)))
        .filter(active_on(day))
        .order_by_asc(link::Column::PersonId)
        .order_by_asc(link::Column::TargetCode)
        .into_tuple()
        .all(db)
        .await?;
    let links: Vec<(i32, String)> = links
        .into_iter()
        .filter_map(|(p, c)| Some((p?, c)))
        .filter(|(p, _)| people.contains_key(p))
        .collect();
    let pids: Vec<i32> = {
        let mut v: Vec<i32> = links.iter().map(|l| l.0).collect();
        v.dedup();
        v
    };
    let half = NaiveDate::from_ymd_opt(year, 7, 1).unwrap_or(day);
    let visits = visit_counts(db, policy, &pids, year, half).await?;
    let units: HashMap<String, String> = unit::Entity::find()
        .select_only()
        .column(unit::Column::Code)
        .column(unit::Column::Name)
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let wanted: Vec<String> = links.iter().map(|l| l.1.clone()).collect();
    let households: HashMap<String, (String, String, String)> = if unit.is_none() {
        household::Entity::find()
            .select_only()
            .column(household::Column::Code)
            .column(household::Column::HeadName)
            .column(household::Column::RegionCode)
            .column(household::Column::Tags)
            .into_tuple::<(String, String, String, String)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(c, h, r, t)| (c, (h, r, t)))
            .collect()
    } else {
        let mut m = HashMap::new();
        for chunk in wanted.chunks(900) {
            let rows: Vec<(String, String, String, String)> = household::Entity::find()
                .select_only()
                .column(household::Column::Code)
                .column(household::Column::HeadName)
                .column(household::Column::RegionCode)
                .column(household::Column::Tags)
                .filter(household::Column::Code.is_in(chunk.to_vec()))
                .into_tuple()
                .all(db)
                .await?;
            m.extend(rows.into_iter().map(|(c, h, r, t)| (c, (h, r, t))));
        }
        m
    };
    let regions: HashMap<String, String> = region::Entity::find()
        .select_only()
        .column(region::Column::Code)
        .column(region::Column::Name)
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let facts = household_facts(db, policy, Some(&wanted), day).await?;
    let mut rows = Vec::with_capacity(links.len());
    for (pid, code) in &links {
        let Some(p) = people.get(pid) else { continue };
        let (head, region, tags) = households.get(code).cloned().unwrap_or_default();
        let v = visits.get(&(*pid, code.clone()));
        let (n, h2, last) = v
            .map(|v| (v.0, v.1, v.2.to_string()))
            .unwrap_or((0, 0, String::new()));
        let (raised, solved) = facts.items.get(code).copied().unwrap_or_default();
        rows.push(vec![
            p.name.clone(),
            p.post.clone().unwrap_or_default(),
            units.get(&p.unit_code).cloned().unwrap_or_default(),
            code.clone(),
            head,
            regions.get(&region).cloned().unwrap_or_default(),
            tags_zh(&tags),
            n.to_string(),
            (n - h2).to_string(),
            h2.to_string(),
            last,
            raised.to_string(),
            solved.to_string(),
        ]);
    }
    let name = unit
        .map(|u| u.name.clone())
        .unwrap_or_else(|| "全县".into());
    let cadres = rows
        .iter()
        .map(|r| r[0].as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let title = format!("{name}联户工作台账（{year}年）");
    Ok(Book {
        title: title.clone(),
        sheets: vec![BookSheet {
            name: "联户工作台账".into(),
            title,
            subtitle: format!("截至{day}　联户干部：{cadres}人　联系户：{}户", rows.len()),
            sections: vec![Section::new(
                None,
                &[
                    "联户干部",
                    "职务",
                    "单位",
                    "户编号",
                    "户主",
                    "所在地",
                    "类别",
                    "今年走访",
                    "上半年",
                    "下半年",
                    "最近走访",
                    "反映事项",
                    "已办结",
                ],
                rows,
            )],
        }],
    })
}

/// 志愿服务时长: hours and activities per person, and per volunteer team, for the year.
pub async fn volunteer_hours(db: &impl ConnectionTrait, year: i32) -> Result<Book, DbErr> {
    let (from, to) = year_bounds(year);
    let rows: Vec<(i32, i32, Option<f64>)> = activity_participant::Entity::find()
        .select_only()
        .column(activity_participant::Column::PersonId)
        .column(activity::Column::Id)
        .column(activity::Column::Hours)
        .join(sea_orm::JoinType::InnerJoin, participant_activity())
        .filter(activity::Column::Kind.eq(ActivityKind::VolunteerService.code()))
        .filter(activity::Column::StartDate.between(from, to))
        .into_tuple()
        .all(db)
        .await?;
    let mut per: BTreeMap<i32, (usize, f64)> = BTreeMap::new();
    for (p, _, h) in &rows {
        let e = per.entry(*p).or_default();
        e.0 += 1;
        e.1 += h.unwrap_or(0.0);
    }
    let ids: Vec<i32> = per.keys().copied().collect();
    let mut people: HashMap<i32, person::Model> = HashMap::new();
    for chunk in ids.chunks(900) {
        people.extend(
            person::Entity::find()
                .filter(person::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|p| (p.id, p)),
        );
    }
    let units: HashMap<String, unit::Model> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect();
    let mut person_rows: Vec<(f64, Vec<String>)> = per
        .iter()
        .filter_map(|(pid, (n, h))| {
            let p = people.get(pid)?;
            Some((
                *h,
                vec![
                    p.name.clone(),
                    units
                        .get(&p.unit_code)
                        .map(|u| u.name.clone())
                        .unwrap_or_default(),
                    n.to_string(),
                    format!("{h:.1}"),
                ],
            ))
        })
        .collect();
    person_rows.sort_by(|a, b| a.1[1].cmp(&b.1[1]).then(a.1[0].cmp(&b.1[0])));
    // A team's activities are the volunteer records that name the team as a target.
    let team_units: HashMap<String, String> = units
        .values()
        .filter(|u| u.kind == UnitKind::VolunteerTeam.code())
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let team_rows_raw: Vec<(String, i32, Option<f64>)> = activity_target::Entity::find()
        .select_only()
        .column(activity_target::Column::TargetCode)
        .column(activity::Column::Id)
        .column(activity::Column::Hours)
        .join(sea_orm::JoinType::InnerJoin, target_activity())
        .filter(
            activity_target::Column::TargetCode
                .is_in(team_units.keys().cloned().collect::<Vec<_>>()),
        )
        .filter(activity::Column::Kind.eq(ActivityKind::VolunteerService.code()))
        .filter(activity::Column::StartDate.between(from, to))
        .into_tuple()
        .all(db)
        .await?;
    let members: HashMap<i32, Vec<i32>> = {
        let mut m: HashMap<i32, Vec<i32>> = HashMap::new();
        for (p, a, _) in &rows {
            m.entry(*a).or_default().push(*p);
        }
        m
    };
    let mut teams: BTreeMap<String, (std::collections::HashSet<i32>, usize, f64)> = BTreeMap::new();
    for (code, aid, h) in team_rows_raw {
        let e = teams
            .entry(team_units.get(&code).cloned().unwrap_or(code))
            .or_default();
        e.0.extend(members.get(&aid).into_iter().flatten().copied());
        e.1 += 1;
        e.2 += h.unwrap_or(0.0);
    }
    let team_rows = teams
        .into_iter()
        .map(|(name, (people, n, h))| {
            vec![
                name,
                people.len().to_string(),
                n.to_string(),
                format!("{h:.1}"),
            ]
        })
        .collect();
    let title = format!("志愿服务时长（{year}年）");
    Ok(Book {
        title: title.clone(),
        sheets: vec![
            BookSheet {
                name: "个人".into(),
                title: title.clone(),
                subtitle: format!("参加志愿服务：{}人", person_rows.len()),
                sections: vec![Section::new(
                    None,
                    &["姓名", "单位", "服务次数", "服务时长(小时)"],
                    person_rows.into_iter().map(|r| r.1).collect(),
                )],
            },
            BookSheet {
                name: "服务队".into(),
                title: format!("志愿者服务队服务时长（{year}年）"),
                subtitle: String::new(),
                sections: vec![Section::new(
                    None,
                    &["服务队", "参加队员", "服务次数", "服务时长(小时)"],
                    team_rows,
                )],
            },
        ],
    })
}
