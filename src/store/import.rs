//! Writes parsed exchange files in one transaction: every reference is checked
//! against the database and the batch first; if any row is bad, nothing is
//! written. Rows are matched on their code (or ID number) and updated, so
//! importing the same files twice changes nothing.

use super::entities::*;
use super::history::{self, Change};
use crate::domain::formats::*;
use crate::domain::labels::{LinkKind, RegionLevel, TargetKind, UnitKind, join_codes};
use crate::domain::text::name_keys;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// One parsed file to import, with the problems its rows already showed.
pub struct ImportFile {
    pub kind: Kind,
    pub name: String,
    pub records: Records,
    pub errors: Vec<ImportError>,
    /// The file could not be read at all (no header, a required column missing):
    /// references to its kind are not checked, to avoid a flood of "not found".
    pub unreadable: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
#[schema(as = ImportOutcome)]
pub struct Outcome {
    pub tallies: BTreeMap<String, Tally>,
    /// True when nothing was committed because this was a preview.
    pub dry_run: bool,
}

impl Outcome {
    pub fn changed(&self) -> usize {
        self.tallies.values().map(|t| t.created + t.updated).sum()
    }
}

#[derive(Debug)]
pub enum ImportFailure {
    Invalid(Vec<ImportError>),
    Db(DbErr),
}

impl From<DbErr> for ImportFailure {
    fn from(e: DbErr) -> Self {
        ImportFailure::Db(e)
    }
}

#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Check and write, then roll back: a preview of what the import would do.
    pub dry_run: bool,
    /// Fault-injection hook for the crash test: wait this long before committing.
    pub hold_before_commit: Option<Duration>,
    /// The time limit of the ledger items that matters raised on visits become (the
    /// policy's `[ledger] item`; the default policy's when not given).
    pub item_clock: Option<crate::domain::policy::Clock>,
    /// When the import is written (its history and the items' registration).
    pub now: DateTime<Utc>,
    /// The account that imports (none at the command line): imported records carry it, and
    /// the time, as who entered them and when.
    pub account: Option<i32>,
}

impl ImportOptions {
    /// A plain import written at `now`.
    pub fn at(now: DateTime<Utc>) -> ImportOptions {
        ImportOptions {
            dry_run: false,
            hold_before_commit: None,
            item_clock: None,
            now,
            account: None,
        }
    }
}

#[derive(Default)]
struct Batch {
    errors: Vec<ImportError>,
    unreadable: HashSet<Kind>,
    regions: Vec<(Origin, RegionRow)>,
    units: Vec<(Origin, UnitRow)>,
    people: Vec<(Origin, PersonRow)>,
    households: Vec<(Origin, HouseholdRow)>,
    members: Vec<(Origin, MemberRow)>,
    links: Vec<(Origin, LinkRow)>,
    activities: Vec<(Origin, ActivityRow)>,
}

impl Batch {
    fn from_files(files: Vec<ImportFile>) -> Batch {
        let mut b = Batch::default();
        for f in files {
            b.errors.extend(f.errors);
            if f.unreadable {
                b.unreadable.insert(f.kind);
            }
            match f.records {
                Records::Regions(r) => b.regions.extend(r),
                Records::Units(r) => b.units.extend(r),
                Records::People(r) => b.people.extend(r),
                Records::Households(r) => b.households.extend(r),
                Records::Members(r) => b.members.extend(r),
                Records::Links(r) => b.links.extend(r),
                Records::Activities(r) => b.activities.extend(r),
            }
        }
        b
    }
}

pub async fn import(
    db: &DatabaseConnection,
    files: Vec<ImportFile>,
    actor: &str,
    opts: &ImportOptions,
) -> Result<Outcome, ImportFailure> {
    let batch = Batch::from_files(files);
    let txn = db.begin().await?;
    let clock = opts
        .item_clock
        .unwrap_or(crate::domain::policy::LedgerSettings::default().item);
    let result = run(&txn, batch, actor, &clock, opts.now, opts.account).await;
    match result {
        Ok(mut outcome) => {
            if opts.dry_run {
                txn.rollback().await?;
                outcome.dry_run = true;
                return Ok(outcome);
            }
            // A phone, a duty or a name printed on a card may have changed.
            crate::store::cards::mark_stale(&txn, None, crate::time::beijing_date(opts.now))
                .await?;
            // A region may have moved: a remembered caller's region grants are read again.
            crate::store::access::raise_epoch(&txn).await?;
            if let Some(d) = opts.hold_before_commit {
                eprintln!("HOLDING_BEFORE_COMMIT");
                tokio::time::sleep(d).await;
            }
            txn.commit().await?;
            // Thousands of rows may have arrived: the planner's statistics are read again.
            super::analyze(db).await?;
            Ok(outcome)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

/// What already exists, keyed as the files refer to it.
struct Known {
    regions: HashMap<String, region::Model>,
    units: HashMap<String, unit::Model>,
    people: HashMap<String, person::Model>,
    households: HashMap<String, household::Model>,
    member_ids: HashSet<String>,
}

async fn load_known(txn: &DatabaseTransaction) -> Result<Known, DbErr> {
    let regions = region::Entity::find().all(txn).await?;
    let units = unit::Entity::find().all(txn).await?;
    let people = person::Entity::find().all(txn).await?;
    let households = household::Entity::find().all(txn).await?;
    let member_ids: Vec<Option<String>> = member::Entity::find()
        .select_only()
        .column(member::Column::IdNumber)
        .filter(member::Column::IdNumber.is_not_null())
        .into_tuple()
        .all(txn)
        .await?;
    Ok(Known {
        regions: regions.into_iter().map(|m| (m.code.clone(), m)).collect(),
        units: units.into_iter().map(|m| (m.code.clone(), m)).collect(),
        people: people
            .into_iter()
            .map(|m| (m.id_number.clone(), m))
            .collect(),
        households: households
            .into_iter()
            .map(|m| (m.code.clone(), m))
            .collect(),
        member_ids: member_ids.into_iter().flatten().collect(),
    })
}

/// Reports the second and later rows that repeat a key.
fn duplicates<T>(
    rows: &[(Origin, T)],
    key: impl Fn(&T) -> String,
    column: &str,
    shown: impl Fn(&T) -> String,
    errors: &mut Vec<ImportError>,
) -> HashSet<String> {
    let mut first: HashMap<String, usize> = HashMap::new();
    for (o, r) in rows {
        let k = key(r);
        if let Some(row) = first.get(&k) {
            errors.push(o.error(column, &shown(r), format!("与{} 第{}行重复", o.file, row)));
        } else {
            first.insert(k, o.row);
        }
    }
    first.into_keys().collect()
}

async fn run(
    txn: &DatabaseTransaction,
    mut b: Batch,
    actor: &str,
    clock: &crate::domain::policy::Clock,
    now: DateTime<Utc>,
    account: Option<i32>,
) -> Result<Outcome, ImportFailure> {
    let known = load_known(txn).await?;
    let mut errors = std::mem::take(&mut b.errors);
    let unknown = |k: Kind| b.unreadable.contains(&k);

    // ---- regions: levels, parents, and the path of every region ----
    duplicates(
        &b.regions,
        |r| r.code.as_str().to_string(),
        "区划代码",
        |r| r.code.as_str().to_string(),
        &mut errors,
    );
    let mut tree: HashMap<String, (RegionLevel, Option<String>)> = known
        .regions
        .values()
        .filter_map(|m| {
            Some((
                m.code.clone(),
                (RegionLevel::from_code(&m.level)?, m.parent_code.clone()),
            ))
        })
        .collect();
    for (_, r) in &b.regions {
        tree.insert(
            r.code.as_str().to_string(),
            (
                r.level,
                r.parent_code.as_ref().map(|p| p.as_str().to_string()),
            ),
        );
    }
    for (o, r) in &b.regions {
        if let Some(p) = &r.parent_code {
            match tree.get(p.as_str()) {
                None => errors.push(o.error(
                    "上级代码",
                    p.as_str(),
                    "上级区划不存在（文件和系统中都没有）",
                )),
                Some((pl, _)) if !r.level.allowed_parents().contains(pl) => errors.push(o.error(
                    "上级代码",
                    p.as_str(),
                    format!("{}不能隶属于{}", r.level.zh(), pl.zh()),
                )),
                _ => {}
            }
        }
    }
    let paths = region_paths(&tree);
    for (o, r) in &b.regions {
        if !paths.contains_key(r.code.as_str())
            && r.parent_code
                .as_ref()
                .is_some_and(|p| tree.contains_key(p.as_str()))
        {
            errors.push(o.error(
                "上级代码",
                r.parent_code.as_ref().map(|p| p.as_str()).unwrap_or(""),
                "上级关系形成循环",
            ));
        }
    }
    let region_level = |code: &str| tree.get(code).map(|t| t.0);
    let region_missing = |code: &str| !unknown(Kind::Regions) && region_level(code).is_none();
    let unit_missing =
        |codes: &HashSet<&str>, code: &str| !unknown(Kind::Units) && !codes.contains(code);

    // ---- units ----
    duplicates(
        &b.units,
        |r| r.code.as_str().to_string(),
        "单位代码",
        |r| r.code.as_str().to_string(),
        &mut errors,
    );
    let unit_codes: HashSet<&str> = known
        .units
        .keys()
        .map(String::as_str)
        .chain(b.units.iter().map(|(_, r)| r.code.as_str()))
        .collect();
    // Each unit's kind as it will be after this import (a file's row wins over the stored one).
    let unit_kind: HashMap<&str, Option<UnitKind>> = known
        .units
        .iter()
        .map(|(c, m)| (c.as_str(), UnitKind::from_code(&m.kind)))
        .chain(b.units.iter().map(|(_, r)| (r.code.as_str(), Some(r.kind))))
        .collect();
    for (o, r) in &b.units {
        if region_missing(r.region_code.as_str()) {
            errors.push(o.error("所属区划", r.region_code.as_str(), "区划不存在"));
        }
        if let Some(p) = &r.parent_code
            && unit_missing(&unit_codes, p.as_str())
        {
            errors.push(o.error("上级单位", p.as_str(), "上级单位不存在"));
        }
    }

    // ---- people ----
    duplicates(
        &b.people,
        |r| r.id_number.as_str().to_string(),
        "身份证号",
        |r| r.id_number.masked(),
        &mut errors,
    );
    for (o, r) in &b.people {
        if unit_missing(&unit_codes, r.unit_code.as_str()) {
            errors.push(o.error("单位代码", r.unit_code.as_str(), "单位不存在"));
        }
        if let Some(rc) = &r.region_code
            && region_missing(rc.as_str())
        {
            errors.push(o.error("所属区划", rc.as_str(), "区划不存在"));
        }
        for a in &r.area_codes {
            if region_missing(a.as_str()) {
                errors.push(o.error("责任片区", a.as_str(), "区划不存在"));
            }
        }
        if let Some(bc) = &r.branch_code
            && unit_missing(&unit_codes, bc.as_str())
        {
            errors.push(o.error("所属党支部", bc.as_str(), "党支部单位不存在"));
        }
    }
    let person_ids: HashSet<&str> = known
        .people
        .keys()
        .map(String::as_str)
        .chain(b.people.iter().map(|(_, r)| r.id_number.as_str()))
        .collect();

    // ---- households and members ----
    duplicates(
        &b.households,
        |r| r.code.as_str().to_string(),
        "户编号",
        |r| r.code.as_str().to_string(),
        &mut errors,
    );
    for (o, r) in &b.households {
        match region_level(r.region_code.as_str()) {
            None if unknown(Kind::Regions) => {}
            None => errors.push(o.error("所属区划", r.region_code.as_str(), "区划不存在")),
            Some(l) if !l.holds_households() => errors.push(o.error(
                "所属区划",
                r.region_code.as_str(),
                format!("户只能属于村、社区或组，不能直接属于{}", l.zh()),
            )),
            _ => {}
        }
    }
    let household_codes: HashSet<&str> = known
        .households
        .keys()
        .map(String::as_str)
        .chain(b.households.iter().map(|(_, r)| r.code.as_str()))
        .collect();
    duplicates(
        &b.members,
        |r| format!("{}|{}", r.household_code.as_str(), r.key()),
        "姓名",
        |r| r.name.clone(),
        &mut errors,
    );
    for (o, r) in &b.members {
        if !unknown(Kind::Households) && !household_codes.contains(r.household_code.as_str()) {
            errors.push(o.error("户编号", r.household_code.as_str(), "户不存在"));
        }
    }
    let member_ids: HashSet<&str> = known
        .member_ids
        .iter()
        .map(String::as_str)
        .chain(
            b.members
                .iter()
                .filter_map(|(_, r)| r.id_number.as_ref().map(|i| i.as_str())),
        )
        .chain(
            b.households
                .iter()
                .filter_map(|(_, r)| r.head_id_number.as_ref().map(|i| i.as_str())),
        )
        .chain(
            known
                .households
                .values()
                .filter_map(|h| h.head_id_number.as_deref()),
        )
        .collect();
    let target_exists = |kind: TargetKind, code: &str| match kind {
        TargetKind::Region => unknown(Kind::Regions) || tree.contains_key(code),
        TargetKind::Unit => unknown(Kind::Units) || unit_codes.contains(code),
        TargetKind::Household => unknown(Kind::Households) || household_codes.contains(code),
        TargetKind::Person => {
            unknown(Kind::People)
                || unknown(Kind::Members)
                || person_ids.contains(code)
                || member_ids.contains(code)
        }
        TargetKind::Any => true,
    };

    // ---- links ----
    duplicates(
        &b.links,
        link_key_text,
        "对象代码",
        |r| r.target_code.clone(),
        &mut errors,
    );
    for (o, r) in &b.links {
        match &r.linker {
            Linker::Person(p) if !unknown(Kind::People) && !person_ids.contains(p.as_str()) => {
                errors.push(o.error("干部身份证号", &p.masked(), "人员不存在（请先导入人员）"))
            }
            Linker::Unit(u) if unit_missing(&unit_codes, u.as_str()) => {
                errors.push(o.error("单位代码", u.as_str(), "单位不存在"))
            }
            _ => {}
        }
        if let Some(c) = &r.contact
            && !unknown(Kind::People)
            && !person_ids.contains(c.as_str())
        {
            errors.push(o.error("干部身份证号", &c.masked(), "联系人不存在（请先导入人员）"));
        }
        if r.kind == LinkKind::GroupMembership {
            if matches!(r.linker, Linker::Unit(_)) {
                errors.push(o.error(
                    "干部身份证号",
                    "",
                    "工作小组成员须填党代表的身份证号，不能填单位代码",
                ));
            }
            if let Some(k) = unit_kind.get(r.target_code.as_str())
                && *k != Some(UnitKind::RepresentativeGroup)
            {
                errors.push(o.error(
                    "对象代码",
                    &r.target_code,
                    "工作小组成员的对象应为类型是“党代表工作小组”的单位",
                ));
            }
        }
        let kinds = r.kind.target_kinds();
        if !kinds.iter().any(|k| target_exists(*k, &r.target_code)) {
            let wanted: Vec<&str> = kinds.iter().map(|k| k.zh()).collect();
            errors.push(o.error(
                "对象代码",
                &shown_code(&r.target_code),
                format!("{}的对象应为已有的{}", r.kind.zh(), wanted.join("或")),
            ));
        }
    }

    // ---- activities ----
    duplicates(
        &b.activities,
        |r| r.fingerprint(),
        "内容",
        |_| String::new(),
        &mut errors,
    );
    let any_target = [
        TargetKind::Region,
        TargetKind::Unit,
        TargetKind::Household,
        TargetKind::Person,
    ];
    for (o, r) in &b.activities {
        for p in &r.participants {
            if !unknown(Kind::People) && !person_ids.contains(p.as_str()) {
                errors.push(o.error("参加人身份证号", &p.masked(), "人员不存在"));
            }
        }
        for t in &r.target_codes {
            if !any_target.iter().any(|k| target_exists(*k, t)) {
                errors.push(o.error(
                    "对象代码",
                    &shown_code(t),
                    "对象不存在（应为区划代码、单位代码、户编号或身份证号）",
                ));
            }
        }
        if !r.matters.is_empty()
            && !r.target_codes.iter().any(|t| {
                target_exists(TargetKind::Household, t) || target_exists(TargetKind::Region, t)
            })
        {
            errors.push(o.error(
                "反映事项",
                &r.matters.join("；"),
                "反映事项须有走访对象（户编号或村、社区代码），才能记入台账",
            ));
        }
    }

    if !errors.is_empty() {
        errors.sort_by(|a, b| (a.file.as_str(), a.row).cmp(&(b.file.as_str(), b.row)));
        errors.dedup();
        return Err(ImportFailure::Invalid(errors));
    }

    write(txn, b, known, &paths, (actor, account), clock, now)
        .await
        .map_err(ImportFailure::Db)
}

use crate::domain::ids::shown_code;

fn link_key_text(r: &LinkRow) -> String {
    let who = match &r.linker {
        Linker::Person(p) => format!("p:{}", p.as_str()),
        Linker::Unit(u) => format!("u:{}", u.as_str()),
    };
    format!("{}|{}|{}|{}", r.year, who, r.kind.code(), r.target_code)
}

/// `/root/…/code/` for every region whose chain reaches a county; regions in a cycle or
/// under a missing parent get none.
fn region_paths(tree: &HashMap<String, (RegionLevel, Option<String>)>) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for code in tree.keys() {
        let mut chain = vec![code.as_str()];
        let mut cur = code.as_str();
        let mut ok = false;
        for _ in 0..16 {
            match tree.get(cur) {
                Some((_, None)) => {
                    ok = true;
                    break;
                }
                Some((_, Some(p))) => {
                    chain.push(p.as_str());
                    cur = p.as_str();
                }
                None => break,
            }
        }
        if ok {
            chain.reverse();
            out.insert(code.clone(), format!("/{}/", chain.join("/")));
        }
    }
    out
}

/// A row to write: new, or changed from what is stored.
struct Planned<M> {
    key: String,
    new: M,
    old: Option<M>,
}

fn plan<M: PartialEq + Clone>(
    rows: impl IntoIterator<Item = (String, M)>,
    existing: &HashMap<String, M>,
    copy_id: impl Fn(&mut M, &M),
    tally: &mut Tally,
) -> Vec<Planned<M>> {
    let mut out = Vec::new();
    for (key, mut new) in rows {
        match existing.get(&key) {
            Some(old) => {
                copy_id(&mut new, old);
                if &new == old {
                    tally.unchanged += 1;
                } else {
                    tally.updated += 1;
                    out.push(Planned {
                        key,
                        new,
                        old: Some(old.clone()),
                    });
                }
            }
            None => {
                tally.created += 1;
                out.push(Planned {
                    key,
                    new,
                    old: None,
                });
            }
        }
    }
    out
}

const CHUNK: usize = 1000;

async fn apply<E, A>(
    txn: &DatabaseTransaction,
    planned: &[Planned<E::Model>],
    id: E::Column,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + From<E::Model> + Send + Clone,
    E::Model: IntoActiveModel<A> + Clone,
{
    let mut inserts: Vec<A> = planned
        .iter()
        .filter(|p| p.old.is_none())
        .map(|p| {
            let mut am = A::from(p.new.clone()).reset_all();
            am.not_set(id);
            am
        })
        .collect();
    while !inserts.is_empty() {
        let chunk: Vec<A> = inserts.drain(..CHUNK.min(inserts.len())).collect();
        E::insert_many(chunk).exec_without_returning(txn).await?;
    }
    for p in planned.iter().filter(|p| p.old.is_some()) {
        A::from(p.new.clone()).reset_all().update(txn).await?;
    }
    Ok(())
}

fn changes<M: Serialize>(
    entity: &'static str,
    planned: &[Planned<M>],
    key: impl Fn(&Planned<M>) -> String,
) -> Vec<Change> {
    planned
        .iter()
        .map(|p| {
            let new = serde_json::to_value(&p.new).unwrap_or_default();
            let old = p
                .old
                .as_ref()
                .map(|o| serde_json::to_value(o).unwrap_or_default());
            Change {
                entity,
                entity_key: key(p),
                action: if p.old.is_some() { "update" } else { "create" },
                changes: history::diff(old.as_ref(), &new),
            }
        })
        .collect()
}

async fn write(
    txn: &DatabaseTransaction,
    b: Batch,
    known: Known,
    paths: &HashMap<String, String>,
    (actor, account): (&str, Option<i32>),
    clock: &crate::domain::policy::Clock,
    now: DateTime<Utc>,
) -> Result<Outcome, DbErr> {
    let mut out = Outcome::default();
    let mut log: Vec<Change> = Vec::new();

    // Regions, parents before children: order by depth of the path.
    let mut t = Tally::default();
    let mut rows: Vec<(String, region::Model)> = b
        .regions
        .into_iter()
        .map(|(_, r)| {
            let (pinyin, initials) = name_keys(&r.name);
            let code = r.code.as_str().to_string();
            let m = region::Model {
                id: 0,
                path: paths.get(&code).cloned().unwrap_or_default(),
                code: code.clone(),
                name: r.name,
                level: r.level.code().to_string(),
                parent_code: r.parent_code.map(|p| p.as_str().to_string()),
                tags: join_codes(r.tags.iter().map(|t| t.code())),
                pinyin,
                initials,
                duty_phone: r.duty_phone,
            };
            (code, m)
        })
        .collect();
    rows.sort_by_key(|(_, m)| m.path.matches('/').count());
    let moved: Vec<(String, region::Model)> = known
        .regions
        .values()
        .filter(|m| !rows.iter().any(|(c, _)| c == &m.code))
        .filter_map(|m| {
            let p = paths.get(&m.code)?;
            (p != &m.path).then(|| {
                (
                    m.code.clone(),
                    region::Model {
                        path: p.clone(),
                        ..m.clone()
                    },
                )
            })
        })
        .collect();
    let mut ignored = Tally::default();
    let planned = plan(rows, &known.regions, |n, o| n.id = o.id, &mut t);
    let planned_moved = plan(moved, &known.regions, |n, o| n.id = o.id, &mut ignored);
    apply::<region::Entity, region::ActiveModel>(txn, &planned, region::Column::Id).await?;
    apply::<region::Entity, region::ActiveModel>(txn, &planned_moved, region::Column::Id).await?;
    log.extend(changes("region", &planned, |p| p.key.clone()));
    out.tallies.insert(Kind::Regions.key().into(), t);

    // Units.
    let mut t = Tally::default();
    let rows = b.units.into_iter().map(|(_, r)| {
        let (pinyin, initials) = name_keys(&r.name);
        let code = r.code.as_str().to_string();
        let m = unit::Model {
            id: 0,
            code: code.clone(),
            name: r.name,
            kind: r.kind.code().to_string(),
            region_code: r.region_code.as_str().to_string(),
            parent_code: r.parent_code.map(|p| p.as_str().to_string()),
            tags: join_codes(r.tags.iter().map(|t| t.code())),
            supervision_phone: r.supervision_phone,
            pinyin,
            initials,
            phone: r.phone,
            service_scope: r.service_scope,
            duties: r.duties,
            responsible: r.responsible,
        };
        (code, m)
    });
    let planned = plan(rows, &known.units, |n, o| n.id = o.id, &mut t);
    apply::<unit::Entity, unit::ActiveModel>(txn, &planned, unit::Column::Id).await?;
    log.extend(changes("unit", &planned, |p| p.key.clone()));
    out.tallies.insert(Kind::Units.key().into(), t);

    // People; history is keyed by the person's row id, never by the ID number.
    let mut t = Tally::default();
    let rows = b.people.into_iter().map(|(_, r)| {
        let (pinyin, initials) = name_keys(&r.name);
        let key = r.id_number.as_str().to_string();
        let m = person::Model {
            id: 0,
            id_number: key.clone(),
            name: r.name,
            phone: r.phone.map(|p| p.as_str().to_string()),
            unit_code: r.unit_code.as_str().to_string(),
            post: r.post,
            roles: join_codes(r.roles.iter().map(|x| x.code())),
            region_code: r.region_code.map(|c| c.as_str().to_string()),
            area_codes: join_codes(r.area_codes.iter().map(|c| c.as_str())),
            term_start: r.term_start,
            grassroots_experience: r.grassroots_experience,
            branch_code: r.branch_code.map(|c| c.as_str().to_string()),
            pinyin,
            initials,
        };
        (key, m)
    });
    let planned = plan(rows, &known.people, |n, o| n.id = o.id, &mut t);
    apply::<person::Entity, person::ActiveModel>(txn, &planned, person::Column::Id).await?;
    let person_id =
        id_map::<person::Entity>(txn, person::Column::IdNumber, person::Column::Id).await?;
    log.extend(changes("person", &planned, |p| {
        person_id
            .get(&p.key)
            .map(|i| i.to_string())
            .unwrap_or_default()
    }));
    out.tallies.insert(Kind::People.key().into(), t);

    // Households.
    let mut t = Tally::default();
    let rows = b.households.into_iter().map(|(_, r)| {
        let (pinyin, initials) = name_keys(&r.head_name);
        let code = r.code.as_str().to_string();
        let m = household::Model {
            id: 0,
            code: code.clone(),
            head_name: r.head_name,
            head_id_number: r.head_id_number.map(|i| i.as_str().to_string()),
            region_code: r.region_code.as_str().to_string(),
            address: r.address,
            phone: r.phone,
            size: r.size,
            tags: join_codes(r.tags.iter().map(|t| t.code())),
            income_sources: r.income_sources,
            situation: r.situation,
            pinyin,
            initials,
        };
        (code, m)
    });
    let planned = plan(rows, &known.households, |n, o| n.id = o.id, &mut t);
    apply::<household::Entity, household::ActiveModel>(txn, &planned, household::Column::Id)
        .await?;
    log.extend(changes("household", &planned, |p| p.key.clone()));
    out.tallies.insert(Kind::Households.key().into(), t);

    // Members, matched within their household.
    let mut t = Tally::default();
    if !b.members.is_empty() {
        let household_id =
            id_map::<household::Entity>(txn, household::Column::Code, household::Column::Id)
                .await?;
        let code_of: HashMap<i32, &str> =
            household_id.iter().map(|(c, i)| (*i, c.as_str())).collect();
        let existing: HashMap<String, member::Model> = member::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|m| (format!("{}|{}", m.household_id, m.member_key), m))
            .collect();
        let rows = b.members.into_iter().filter_map(|(_, r)| {
            let hid = *household_id.get(r.household_code.as_str())?;
            let (pinyin, initials) = name_keys(&r.name);
            let m = member::Model {
                id: 0,
                household_id: hid,
                member_key: r.key(),
                name: r.name,
                id_number: r.id_number.map(|i| i.as_str().to_string()),
                relation: r.relation,
                phone: r.phone.map(|p| p.as_str().to_string()),
                employment: r.employment,
                health: r.health,
                pinyin,
                initials,
            };
            Some((format!("{}|{}", hid, m.member_key), m))
        });
        let planned = plan(rows, &existing, |n, o| n.id = o.id, &mut t);
        apply::<member::Entity, member::ActiveModel>(txn, &planned, member::Column::Id).await?;
        log.extend(changes("member", &planned, |p| {
            code_of
                .get(&p.new.household_id)
                .map(|c| c.to_string())
                .unwrap_or_default()
        }));
    }
    out.tallies.insert(Kind::Members.key().into(), t);

    // Links.
    let mut t = Tally::default();
    if !b.links.is_empty() {
        let existing: HashMap<String, link::Model> = link::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|m| (m.link_key.clone(), m))
            .collect();
        let rows = b.links.into_iter().filter_map(|(_, r)| {
            let (person, unit) = match &r.linker {
                Linker::Person(p) => (Some(*person_id.get(p.as_str())?), None),
                // A unit's link may name its contact person (BF-3).
                Linker::Unit(u) => (
                    match &r.contact {
                        Some(c) => Some(*person_id.get(c.as_str())?),
                        None => None,
                    },
                    Some(u.as_str().to_string()),
                ),
            };
            let key = match (person, &unit) {
                (_, Some(u)) => format!("{}|u{}|{}|{}", r.year, u, r.kind.code(), r.target_code),
                (Some(p), None) => format!("{}|p{}|{}|{}", r.year, p, r.kind.code(), r.target_code),
                (None, None) => return None,
            };
            let m = link::Model {
                id: 0,
                link_key: key.clone(),
                year: r.year,
                person_id: person,
                unit_code: unit,
                kind: r.kind.code().to_string(),
                target_code: r.target_code,
                start_date: r.start,
                end_date: r.end,
                front_line: None,
                report_on: None,
                assessment: None,
            };
            Some((key, m))
        });
        // What a posting gathered through the pages is not in the file: keep it.
        let planned = plan(
            rows,
            &existing,
            |n, o| {
                n.id = o.id;
                n.front_line.clone_from(&o.front_line);
                n.report_on = o.report_on;
                n.assessment.clone_from(&o.assessment);
            },
            &mut t,
        );
        apply::<link::Entity, link::ActiveModel>(txn, &planned, link::Column::Id).await?;
        log.extend(changes("link", &planned, |p| p.key.clone()));
    }
    out.tallies.insert(Kind::Links.key().into(), t);

    // Activities: a record is never updated by import; the same row again is skipped.
    let mut t = Tally::default();
    if !b.activities.is_empty() {
        let existing: HashSet<String> = activity::Entity::find()
            .select_only()
            .column(activity::Column::Fingerprint)
            .into_tuple()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        let mut fresh = Vec::new();
        for (_, r) in b.activities {
            let fp = r.fingerprint();
            if existing.contains(&fp) {
                t.unchanged += 1;
            } else {
                t.created += 1;
                fresh.push((fp, r));
            }
        }
        let models: Vec<activity::ActiveModel> = fresh
            .iter()
            .map(|(fp, r)| {
                let m = activity::Model {
                    id: 0,
                    fingerprint: fp.clone(),
                    start_date: r.start_date,
                    end_date: r.end_date,
                    kind: r.kind.code().to_string(),
                    companions: r.companions,
                    hours: r.hours,
                    notes: r.notes.clone(),
                    matters: r.matters.join("\n"),
                    // Who entered it and when: the importing account, at the import.
                    author_account_id: account,
                    author_person_id: None,
                    recorded_at: Some(now),
                    // The exchange format has no aid columns: given aid is recorded on the form.
                    aid: None,
                    aid_value: None,
                };
                let mut am = activity::ActiveModel::from(m).reset_all();
                am.not_set(activity::Column::Id);
                am
            })
            .collect();
        for chunk in models.chunks(CHUNK) {
            activity::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(txn)
                .await?;
        }
        let ids =
            id_map::<activity::Entity>(txn, activity::Column::Fingerprint, activity::Column::Id)
                .await?;
        let mut parts = Vec::new();
        let mut targets = Vec::new();
        let mut raised = Vec::new();
        for (fp, r) in &fresh {
            let Some(aid) = ids.get(fp) else { continue };
            if !r.matters.is_empty() {
                raised.push(crate::store::work::Raised {
                    activity_id: *aid,
                    on: r.start_date,
                    source: crate::store::work::ItemSource::Visit,
                    targets: r.target_codes.clone(),
                    first_handler: r
                        .participants
                        .first()
                        .and_then(|p| person_id.get(p.as_str()).copied()),
                    matters: r.matters.clone(),
                });
            }
            let mut seen = HashSet::new();
            for p in &r.participants {
                if let Some(pid) = person_id.get(p.as_str())
                    && seen.insert(*pid)
                {
                    parts.push(activity_participant::ActiveModel {
                        activity_id: sea_orm::Set(*aid),
                        person_id: sea_orm::Set(*pid),
                    });
                }
            }
            let mut seen = HashSet::new();
            for c in &r.target_codes {
                if seen.insert(c) {
                    targets.push(activity_target::ActiveModel {
                        activity_id: sea_orm::Set(*aid),
                        target_code: sea_orm::Set(c.clone()),
                    });
                }
            }
        }
        for chunk in parts.chunks(CHUNK * 4) {
            activity_participant::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(txn)
                .await?;
        }
        for chunk in targets.chunks(CHUNK * 4) {
            activity_target::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(txn)
                .await?;
        }
        let items = crate::store::work::register_matters(txn, &raised, clock, now).await?;
        out.tallies.insert(
            "ledger_items".into(),
            Tally {
                created: items.len(),
                ..Tally::default()
            },
        );
    }
    out.tallies.insert(Kind::Activities.key().into(), t);

    history::append(txn, actor, now, log).await?;
    Ok(out)
}

/// `key column → id` for a whole table.
async fn id_map<E: EntityTrait>(
    txn: &DatabaseTransaction,
    key: E::Column,
    id: E::Column,
) -> Result<HashMap<String, i32>, DbErr> {
    let rows: Vec<(String, i32)> = E::find()
        .select_only()
        .column(key)
        .column(id)
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows.into_iter().collect())
}
