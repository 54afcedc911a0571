//! Reading the registry: lists with search, filters and paging; detail pages; exports.

use super::access::Visibility;
use super::entities::*;
use crate::domain::text::search_key;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde::Serialize;
use std::collections::HashSet;

pub const PAGE_SIZE: u64 = 20;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            pages: self.pages,
        }
    }
}

/// One page of a registry list. Its total is counted once and remembered, per query, while the
/// `registry` stamp (raised by every write to households, people, regions, units and links, in
/// any process) is unchanged: a county-wide list counted 100,000 rows on every page.
async fn paged<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    q: Select<E>,
    page: u64,
) -> Result<Page<E::Model>, DbErr>
where
    E::Model: Send + Sync,
{
    use sea_orm::QueryTrait;
    // Read before counting: a write in between leaves the remembered count already stale.
    let stamp = super::stamp(db, "registry").await?;
    let key = {
        let st = q.build(db.get_database_backend());
        format!("{}|{:?}", st.sql, st.values)
    };
    let total = match counts::recall(&key, stamp) {
        Some(n) => n,
        None => {
            let n = q.clone().count(db).await?;
            counts::remember(key, stamp, n);
            n
        }
    };
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    // A page past the last shows the last: no offset can overflow, whatever the address says.
    let page = page.clamp(1, pages);
    let items = q.paginate(db, PAGE_SIZE).fetch_page(page - 1).await?;
    Ok(Page {
        items,
        total,
        page,
        pages,
    })
}

/// Totals of registry lists by query, with the registry stamp they were counted under.
mod counts {
    use std::sync::{LazyLock, Mutex};

    static COUNTS: LazyLock<Mutex<rustc_hash::FxHashMap<String, (i64, u64)>>> =
        LazyLock::new(Default::default);

    /// How many queries' totals a process remembers; past it the memory starts over.
    const REMEMBERED: usize = 2_000;

    pub(super) fn recall(key: &str, stamp: i64) -> Option<u64> {
        let m = COUNTS.lock().unwrap_or_else(|p| p.into_inner());
        m.get(key).filter(|(s, _)| *s == stamp).map(|(_, n)| *n)
    }

    pub(super) fn remember(key: String, stamp: i64, n: u64) {
        let mut m = COUNTS.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= REMEMBERED {
            m.clear();
        }
        m.insert(key, (stamp, n));
    }
}

/// One page of a query, with the totals a pager needs.
pub(crate) async fn paged_by<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    q: Select<E>,
    page: u64,
    size: u64,
) -> Result<Page<E::Model>, DbErr>
where
    E::Model: Send + Sync,
{
    let p = q.paginate(db, size);
    let counts = p.num_items_and_pages().await?;
    let pages = counts.number_of_pages.max(1);
    // A page past the last shows the last: no offset can overflow, whatever the address says.
    let page = page.clamp(1, pages);
    let items = p.fetch_page(page - 1).await?;
    Ok(Page {
        items,
        total: counts.number_of_items,
        page,
        pages,
    })
}

/// The town (or street) of a region path `/county/town/…/`: its code, and the path prefix its
/// subtree shares. None for the county itself.
pub fn town_of(path: &str) -> Option<(String, String)> {
    let mut parts = path.trim_matches('/').split('/');
    let county = parts.next()?;
    let town = parts.next().filter(|t| !t.is_empty())?;
    Some((town.to_string(), format!("/{county}/{town}/")))
}

/// Name contains the text, or pinyin / initials start with it, or the code is it.
pub fn name_match<C: ColumnTrait>(
    q: &str,
    name: C,
    pinyin: C,
    initials: C,
    code: Option<C>,
) -> Condition {
    let mut c = Condition::any().add(name.contains(q.trim()));
    let key = search_key(q);
    if !key.is_empty() {
        c = c
            .add(pinyin.starts_with(&key))
            .add(initials.starts_with(&key));
    }
    if let Some(code) = code {
        c = c.add(code.eq(q.trim()));
    }
    c
}

/// Codes of a region and everything under it, as a subquery.
fn subtree(path: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(region::Column::Code)
        .from(region::Entity)
        .and_where(region::Column::Path.like(format!("{path}%")))
        .to_owned()
}

pub async fn region(db: &impl ConnectionTrait, code: &str) -> Result<Option<region::Model>, DbErr> {
    region::Entity::find()
        .filter(region::Column::Code.eq(code))
        .one(db)
        .await
}

/// Top-level regions (no parent) or the children of one.
pub async fn region_children(
    db: &impl ConnectionTrait,
    parent: Option<&str>,
) -> Result<Vec<region::Model>, DbErr> {
    let q = region::Entity::find();
    let q = match parent {
        Some(p) => q.filter(region::Column::ParentCode.eq(p)),
        None => q.filter(region::Column::ParentCode.is_null()),
    };
    q.order_by_asc(region::Column::Code).all(db).await
}

/// The regions on the way from the root to this one (inclusive).
pub async fn region_trail(
    db: &impl ConnectionTrait,
    r: &region::Model,
) -> Result<Vec<region::Model>, DbErr> {
    let codes: Vec<&str> = r.path.split('/').filter(|s| !s.is_empty()).collect();
    let mut v = region::Entity::find()
        .filter(region::Column::Code.is_in(codes))
        .all(db)
        .await?;
    v.sort_by_key(|m| m.path.len());
    Ok(v)
}

/// How many regions below and households within a region's subtree.
pub async fn region_counts(
    db: &impl ConnectionTrait,
    r: &region::Model,
    vis: &Visibility,
) -> Result<(u64, u64, u64), DbErr> {
    let children = region::Entity::find()
        .filter(region::Column::ParentCode.eq(&r.code))
        .count(db)
        .await?;
    let households = household::Entity::find()
        .filter(household::Column::RegionCode.in_subquery(subtree(&r.path)))
        .filter(vis.households())
        .count(db)
        .await?;
    let people = person::Entity::find()
        .filter(person::Column::RegionCode.in_subquery(subtree(&r.path)))
        .filter(vis.people())
        .count(db)
        .await?;
    Ok((children, households, people))
}

/// Every region's path (`/county/town/…/`), by code: for placing people, units and records.
pub async fn region_paths(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashMap<String, String>, DbErr> {
    let rows: Vec<(String, String)> = region::Entity::find()
        .select_only()
        .column(region::Column::Code)
        .column(region::Column::Path)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Every unit's region, by code.
pub async fn unit_regions(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashMap<String, String>, DbErr> {
    let rows: Vec<(String, String)> = unit::Entity::find()
        .select_only()
        .column(unit::Column::Code)
        .column(unit::Column::RegionCode)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// `code → name` for the given region codes, in one query.
pub async fn region_names(
    db: &impl ConnectionTrait,
    codes: impl IntoIterator<Item = String>,
) -> Result<std::collections::HashMap<String, String>, DbErr> {
    let mut codes: Vec<String> = codes.into_iter().collect();
    codes.sort_unstable();
    codes.dedup();
    let rows: Vec<(String, String)> = region::Entity::find()
        .select_only()
        .column(region::Column::Code)
        .column(region::Column::Name)
        .filter(region::Column::Code.is_in(codes))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn region_search(
    db: &impl ConnectionTrait,
    q: &str,
    page: u64,
) -> Result<Page<region::Model>, DbErr> {
    let sel = region::Entity::find()
        .filter(name_match(
            q,
            region::Column::Name,
            region::Column::Pinyin,
            region::Column::Initials,
            Some(region::Column::Code),
        ))
        .order_by_asc(region::Column::Code);
    paged(db, sel, page).await
}

#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Name (or pinyin, or initials such as `zs`), or exact code.
    pub q: Option<String>,
    /// Region code: only what lies in this region's subtree.
    pub region: Option<String>,
    /// Unit kind, role, or household category code (GLOSSARY.md).
    pub tag: Option<String>,
    /// Unit code (people only).
    pub unit: Option<String>,
    pub page: Option<u64>,
}

impl ListQuery {
    fn text(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    fn region_code(&self) -> Option<&str> {
        self.region
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
    fn tag_code(&self) -> Option<&str> {
        self.tag.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

async fn region_path(
    db: &impl ConnectionTrait,
    code: Option<&str>,
) -> Result<Option<String>, DbErr> {
    match code {
        None => Ok(None),
        // An unknown region matches nothing rather than everything.
        Some(c) => Ok(Some(
            region(db, c)
                .await?
                .map(|r| r.path)
                .unwrap_or_else(|| "/-none-/".into()),
        )),
    }
}

pub async fn units(db: &impl ConnectionTrait, f: &ListQuery) -> Result<Page<unit::Model>, DbErr> {
    let mut sel = unit::Entity::find();
    if let Some(q) = f.text() {
        sel = sel.filter(name_match(
            q,
            unit::Column::Name,
            unit::Column::Pinyin,
            unit::Column::Initials,
            Some(unit::Column::Code),
        ));
    }
    if let Some(path) = region_path(db, f.region_code()).await? {
        sel = sel.filter(unit::Column::RegionCode.in_subquery(subtree(&path)));
    }
    if let Some(t) = f.tag_code() {
        sel = sel.filter(
            Condition::any()
                .add(unit::Column::Kind.eq(t))
                .add(unit::Column::Tags.contains(format!(",{t},"))),
        );
    }
    paged(
        db,
        sel.order_by_asc(unit::Column::Code),
        f.page.unwrap_or(1),
    )
    .await
}

pub async fn unit(db: &impl ConnectionTrait, code: &str) -> Result<Option<unit::Model>, DbErr> {
    unit::Entity::find()
        .filter(unit::Column::Code.eq(code))
        .one(db)
        .await
}

pub async fn units_by_codes(
    db: &impl ConnectionTrait,
    codes: Vec<String>,
) -> Result<Vec<unit::Model>, DbErr> {
    unit::Entity::find()
        .filter(unit::Column::Code.is_in(codes))
        .all(db)
        .await
}

pub async fn people(
    db: &impl ConnectionTrait,
    f: &ListQuery,
    vis: &Visibility,
) -> Result<Page<person::Model>, DbErr> {
    let mut sel = person::Entity::find().filter(vis.people());
    if let Some(q) = f.text() {
        sel = sel.filter(name_match(
            q,
            person::Column::Name,
            person::Column::Pinyin,
            person::Column::Initials,
            None,
        ));
    }
    if let Some(path) = region_path(db, f.region_code()).await? {
        sel = sel.filter(person::Column::RegionCode.in_subquery(subtree(&path)));
    }
    if let Some(t) = f.tag_code() {
        sel = sel.filter(person::Column::Roles.contains(format!(",{t},")));
    }
    if let Some(u) = f.unit.as_deref().filter(|s| !s.is_empty()) {
        sel = sel.filter(person::Column::UnitCode.eq(u));
    }
    paged(
        db,
        sel.order_by_asc(person::Column::Id),
        f.page.unwrap_or(1),
    )
    .await
}

pub async fn person(
    db: &impl ConnectionTrait,
    id: i32,
    vis: &Visibility,
) -> Result<Option<person::Model>, DbErr> {
    person::Entity::find_by_id(id)
        .filter(vis.people())
        .one(db)
        .await
}

/// Of these people, the ids the caller may see (one query).
pub async fn visible_people(
    db: &impl ConnectionTrait,
    ids: &[i32],
    vis: &Visibility,
) -> Result<HashSet<i32>, DbErr> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::Id.is_in(ids.to_vec()))
        .filter(vis.people())
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

pub async fn households(
    db: &impl ConnectionTrait,
    f: &ListQuery,
    vis: &Visibility,
) -> Result<Page<household::Model>, DbErr> {
    let mut sel = household::Entity::find().filter(vis.households());
    if let Some(q) = f.text() {
        sel = sel.filter(name_match(
            q,
            household::Column::HeadName,
            household::Column::Pinyin,
            household::Column::Initials,
            Some(household::Column::Code),
        ));
    }
    if let Some(path) = region_path(db, f.region_code()).await? {
        sel = sel.filter(household::Column::RegionCode.in_subquery(subtree(&path)));
    }
    if let Some(t) = f.tag_code() {
        sel = sel.filter(household::Column::Tags.contains(format!(",{t},")));
    }
    paged(
        db,
        sel.order_by_asc(household::Column::Code),
        f.page.unwrap_or(1),
    )
    .await
}

pub async fn household(
    db: &impl ConnectionTrait,
    code: &str,
    vis: &Visibility,
) -> Result<Option<household::Model>, DbErr> {
    household::Entity::find()
        .filter(household::Column::Code.eq(code))
        .filter(vis.households())
        .one(db)
        .await
}

pub async fn members(
    db: &impl ConnectionTrait,
    household_id: i32,
) -> Result<Vec<member::Model>, DbErr> {
    member::Entity::find()
        .filter(member::Column::HouseholdId.eq(household_id))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await
}

/// Links that point at a target code, with the person who holds each.
pub async fn links_to(
    db: &impl ConnectionTrait,
    target: &str,
) -> Result<Vec<(link::Model, Option<person::Model>)>, DbErr> {
    let links = link::Entity::find()
        .filter(link::Column::TargetCode.eq(target))
        .order_by_desc(link::Column::Year)
        .all(db)
        .await?;
    let ids: Vec<i32> = links.iter().filter_map(|l| l.person_id).collect();
    let persons = person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(links
        .into_iter()
        .map(|l| {
            let p = l
                .person_id
                .and_then(|id| persons.iter().find(|p| p.id == id).cloned());
            (l, p)
        })
        .collect())
}

/// Links a person holds.
pub async fn links_of(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Vec<link::Model>, DbErr> {
    link::Entity::find()
        .filter(link::Column::PersonId.eq(person_id))
        .order_by_desc(link::Column::Year)
        .order_by_asc(link::Column::Kind)
        .all(db)
        .await
}

/// Activities a person took part in, newest first.
pub async fn activities_of(
    db: &impl ConnectionTrait,
    person_id: i32,
    limit: u64,
) -> Result<Vec<activity::Model>, DbErr> {
    activity::Entity::find()
        .filter(
            activity::Column::Id.in_subquery(
                Query::select()
                    .column(activity_participant::Column::ActivityId)
                    .from(activity_participant::Entity)
                    .and_where(activity_participant::Column::PersonId.eq(person_id))
                    .to_owned(),
            ),
        )
        .order_by_desc(activity::Column::StartDate)
        .limit(limit)
        .all(db)
        .await
}

/// Activities aimed at a target code, newest first, with who took part.
pub async fn activities_at(
    db: &impl ConnectionTrait,
    target: &str,
) -> Result<Vec<(activity::Model, Vec<person::Model>)>, DbErr> {
    let acts = activity::Entity::find()
        .filter(
            activity::Column::Id.in_subquery(
                Query::select()
                    .column(activity_target::Column::ActivityId)
                    .from(activity_target::Entity)
                    .and_where(activity_target::Column::TargetCode.eq(target))
                    .to_owned(),
            ),
        )
        .order_by_desc(activity::Column::StartDate)
        .all(db)
        .await?;
    let ids: Vec<i32> = acts.iter().map(|a| a.id).collect();
    let parts = activity_participant::Entity::find()
        .filter(activity_participant::Column::ActivityId.is_in(ids))
        .all(db)
        .await?;
    let pids: Vec<i32> = parts.iter().map(|p| p.person_id).collect();
    let persons = person::Entity::find()
        .filter(person::Column::Id.is_in(pids))
        .all(db)
        .await?;
    Ok(acts
        .into_iter()
        .map(|a| {
            let who = parts
                .iter()
                .filter(|p| p.activity_id == a.id)
                .filter_map(|p| persons.iter().find(|x| x.id == p.person_id).cloned())
                .collect();
            (a, who)
        })
        .collect())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub regions: u64,
    pub units: u64,
    pub people: u64,
    pub households: u64,
    pub members: u64,
    pub links: u64,
    pub activities: u64,
    pub history: u64,
}

pub async fn counts(db: &impl ConnectionTrait) -> Result<Counts, DbErr> {
    Ok(Counts {
        regions: region::Entity::find().count(db).await?,
        units: unit::Entity::find().count(db).await?,
        people: person::Entity::find().count(db).await?,
        households: household::Entity::find().count(db).await?,
        members: member::Entity::find().count(db).await?,
        links: link::Entity::find().count(db).await?,
        activities: activity::Entity::find().count(db).await?,
        history: history::Entity::find().count(db).await?,
    })
}
