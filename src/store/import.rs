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
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    QueryTrait, Statement, TransactionTrait,
};
use serde::Serialize;
// Keys are codes, id numbers and fingerprints of the county's own files: no need for SipHash.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// Where the import stands, for a progress bar to show while it runs.
    pub progress: Option<Arc<Progress>>,
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
            progress: None,
        }
    }
}

/// A file waiting its turn. A folder's files are read and parsed only when the import reaches
/// their kind, and their rows are dropped once written: a county's folder is never in memory
/// whole.
pub enum Source {
    Parsed(ImportFile),
    Path {
        kind: Kind,
        name: String,
        path: std::path::PathBuf,
    },
}

impl Source {
    pub fn kind(&self) -> Kind {
        match self {
            Source::Parsed(f) => f.kind,
            Source::Path { kind, .. } => *kind,
        }
    }

    fn name(&self) -> &str {
        match self {
            Source::Parsed(f) => &f.name,
            Source::Path { name, .. } => name,
        }
    }

    fn open(self) -> ImportFile {
        match self {
            Source::Parsed(f) => f,
            Source::Path { kind, name, path } => match std::fs::read(&path) {
                Ok(bytes) => crate::exchange::load_file(kind, &name, &bytes),
                Err(e) => crate::exchange::unreadable(
                    kind,
                    &name,
                    vec![crate::exchange::file_error(
                        &name,
                        format!("无法读取文件：{e}"),
                    )],
                ),
            },
        }
    }
}

impl From<ImportFile> for Source {
    fn from(f: ImportFile) -> Source {
        Source::Parsed(f)
    }
}

/// Where a running import stands, for a progress bar to read while it runs: the file being
/// worked on, its rows, how many of them are checked and how many written.
#[derive(Debug, Default)]
pub struct Progress {
    /// Waiting for another import to finish (one runs at a time).
    queued: std::sync::atomic::AtomicBool,
    file: std::sync::Mutex<String>,
    rows: AtomicUsize,
    checked: AtomicUsize,
    written: AtomicUsize,
}

/// One reading of a [`Progress`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    pub queued: bool,
    pub file: String,
    pub rows: usize,
    pub checked: usize,
    pub written: usize,
}

impl Progress {
    pub fn read(&self) -> Reading {
        Reading {
            queued: self.queued.load(Ordering::Relaxed),
            file: self.file.lock().map(|f| f.clone()).unwrap_or_default(),
            rows: self.rows.load(Ordering::Relaxed),
            checked: self.checked.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
        }
    }

    /// Waits behind another import (`true`) or has its turn (`false`).
    pub fn queue(&self, queued: bool) {
        self.queued.store(queued, Ordering::Relaxed);
    }

    fn start(&self, file: String, rows: usize) {
        if let Ok(mut f) = self.file.lock() {
            *f = file;
        }
        self.rows.store(rows, Ordering::Relaxed);
        self.checked.store(0, Ordering::Relaxed);
        self.written.store(0, Ordering::Relaxed);
    }
}

pub async fn import(
    db: &DatabaseConnection,
    files: Vec<Source>,
    actor: &str,
    opts: &ImportOptions,
) -> Result<Outcome, ImportFailure> {
    let txn = Arc::new(db.begin().await?);
    // SQLite looks up every page it fetches through the file's memory map in the WAL's index
    // first, cache hit or not, and that index grows with the transaction: half the time of the
    // `large` import went to it. Without the map only the pages missing from the cache are
    // looked up. The connection maps the file again before it goes back to the pool.
    let sqlite = txn.get_database_backend() == DbBackend::Sqlite;
    if sqlite {
        txn.execute_unprepared("PRAGMA mmap_size = 0").await?;
    }
    let clock = opts
        .item_clock
        .unwrap_or(crate::domain::policy::LedgerSettings::default().item);
    let result = run(&txn, files, actor, &clock, opts).await;
    // The writer's task has ended (the statements' sender is dropped with `run`'s producer):
    // the transaction is this function's alone again.
    let txn = Arc::into_inner(txn).ok_or_else(Pipe::stopped)?;
    if sqlite {
        txn.execute_unprepared(&format!("PRAGMA mmap_size = {}", super::MMAP_BYTES))
            .await?;
    }
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

/// Kind by kind, in the order their references run (a kind refers only to kinds before it):
/// each kind's files are opened, their rows checked against what is stored and what came
/// before, written, and dropped, keeping only the keys later kinds refer to. Once any row is
/// bad, rows are still checked, so that every problem is reported, but no more are written;
/// the caller rolls the transaction back.
async fn run(
    txn: &Arc<DatabaseTransaction>,
    files: Vec<Source>,
    actor: &str,
    clock: &crate::domain::policy::Clock,
    opts: &ImportOptions,
) -> Result<Outcome, ImportFailure> {
    // The rows' statements are built on this thread while another hands them to SQLite (their
    // values bound on a task of its own) and SQLite's own thread runs the ones before them.
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let writer = tokio::spawn(Pipe::execute(txn.clone(), rx));
    let produced = {
        let pipe = Pipe(tx);
        produce(txn, &pipe, files, actor, clock, opts).await
    };
    // SQLite's error first: the producer's is only that the writer stopped.
    writer
        .await
        .map_err(|e| DbErr::Custom(format!("导入写入中断：{e}")))??;
    produced
}

/// Statements to run in order on the import's transaction, built ahead of their turn.
struct Pipe(tokio::sync::mpsc::Sender<Job>);

enum Job {
    Run(Statement),
    /// Answered once every statement before it has run.
    Barrier(tokio::sync::oneshot::Sender<()>),
}

impl Pipe {
    async fn run(&self, statement: Statement) -> Result<(), DbErr> {
        self.0
            .send(Job::Run(statement))
            .await
            .map_err(|_| Pipe::stopped())
    }

    /// Waits until every statement sent so far has run: before a read of what they wrote, and
    /// before a write made directly on the transaction.
    async fn flush(&self) -> Result<(), DbErr> {
        let (done, ran) = tokio::sync::oneshot::channel();
        self.0
            .send(Job::Barrier(done))
            .await
            .map_err(|_| Pipe::stopped())?;
        ran.await.map_err(|_| Pipe::stopped())
    }

    fn stopped() -> DbErr {
        DbErr::Custom("导入写入中断".into())
    }

    async fn execute(
        txn: Arc<DatabaseTransaction>,
        mut jobs: tokio::sync::mpsc::Receiver<Job>,
    ) -> Result<(), DbErr> {
        while let Some(job) = jobs.recv().await {
            match job {
                Job::Run(statement) => {
                    txn.execute_raw(statement).await?;
                }
                Job::Barrier(done) => {
                    let _ = done.send(());
                }
            }
        }
        Ok(())
    }
}

async fn produce(
    txn: &DatabaseTransaction,
    pipe: &Pipe,
    files: Vec<Source>,
    actor: &str,
    clock: &crate::domain::policy::Clock,
    opts: &ImportOptions,
) -> Result<Outcome, ImportFailure> {
    let mut r = Run {
        txn,
        pipe,
        actor,
        account: opts.account,
        clock,
        now: opts.now,
        progress: opts.progress.as_deref(),
        errors: Vec::new(),
        unreadable: HashSet::default(),
        out: Outcome::default(),
        tree: HashMap::default(),
        unit_codes: HashSet::default(),
        unit_kind: HashMap::default(),
        person_ids: HashSet::default(),
        household_codes: HashSet::default(),
        member_ids: HashSet::default(),
        person_id: HashMap::default(),
        aside: Aside::triggers(txn).await?,
        reporting: false,
    };
    let mut ahead = ReadAhead::start(files);
    for kind in Kind::ALL {
        let records = r.open(ahead.next(kind).await?);
        // What the kinds before wrote is read from here on.
        pipe.flush().await?;
        // The rows of the kind's files together.
        macro_rules! rows {
            ($variant:ident) => {{
                let mut rows = Vec::new();
                for f in records {
                    if let Records::$variant(v) = f {
                        // One file (as usual): its rows as they are, not copied.
                        if rows.is_empty() {
                            rows = v;
                        } else {
                            rows.extend(v);
                        }
                    }
                }
                rows
            }};
        }
        match kind {
            Kind::Regions => r.regions(rows!(Regions)).await?,
            Kind::Units => r.units(rows!(Units)).await?,
            Kind::People => r.people(rows!(People)).await?,
            Kind::Households => r.households(rows!(Households)).await?,
            Kind::Members => r.members(rows!(Members)).await?,
            Kind::Links => r.links(rows!(Links)).await?,
            Kind::Activities => r.activities(rows!(Activities)).await?,
        }
    }
    if !r.errors.is_empty() {
        let mut errors = r.errors;
        errors.sort_by(|a, b| (a.file.as_str(), a.row).cmp(&(b.file.as_str(), b.row)));
        errors.dedup();
        return Err(ImportFailure::Invalid(errors));
    }
    pipe.flush().await?;
    r.aside.restore(txn).await?;
    Ok(r.out)
}

/// A kind's files, opened: the kind, the files' names and their rows.
type Opened = (Kind, Vec<String>, Vec<ImportFile>);

/// Reads and parses the files of the kind after the one being written, on a thread of its
/// own: parsing a county's files took a sixth of the import's main thread while SQLite's
/// waited for it. Only one kind is read ahead, so no more than two kinds' rows are held.
struct ReadAhead {
    /// Lets the reader start on the next kind.
    go: std::sync::mpsc::Sender<()>,
    opened: tokio::sync::mpsc::UnboundedReceiver<Opened>,
}

impl ReadAhead {
    fn start(mut files: Vec<Source>) -> ReadAhead {
        files.sort_by_key(Source::kind);
        let (go, permits) = std::sync::mpsc::channel::<()>();
        let (send, opened) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let mut files = files.into_iter().peekable();
            for kind in Kind::ALL {
                if permits.recv().is_err() {
                    return;
                }
                let mut names = Vec::new();
                let mut parsed = Vec::new();
                while let Some(f) = files.next_if(|f| f.kind() == kind) {
                    names.push(f.name().to_string());
                    parsed.push(f.open());
                }
                if send.send((kind, names, parsed)).is_err() {
                    return;
                }
            }
        });
        // The first kind is read at once.
        let _ = go.send(());
        ReadAhead { go, opened }
    }

    /// The files of `kind` (the kinds come in the order of [`Kind::ALL`]); the reader goes on
    /// to the kind after it.
    async fn next(&mut self, kind: Kind) -> Result<Opened, DbErr> {
        let opened = self
            .opened
            .recv()
            .await
            .filter(|o| o.0 == kind)
            .ok_or_else(|| DbErr::Custom("导入文件读取中断".into()))?;
        let _ = self.go.send(());
        Ok(opened)
    }
}

/// One import under way: what the kinds so far left for the kinds after them.
struct Run<'a> {
    txn: &'a DatabaseTransaction,
    pipe: &'a Pipe,
    actor: &'a str,
    account: Option<i32>,
    clock: &'a crate::domain::policy::Clock,
    now: DateTime<Utc>,
    progress: Option<&'a Progress>,
    errors: Vec<ImportError>,
    /// Kinds whose file could not be read at all: references to them are not checked, to
    /// avoid a flood of "not found".
    unreadable: HashSet<Kind>,
    out: Outcome,
    /// Every region, stored or in the file, with its level and parent.
    tree: HashMap<String, (RegionLevel, Option<String>)>,
    unit_codes: HashSet<String>,
    /// Each unit's kind as it will be after this import (a file's row wins over the stored one).
    unit_kind: HashMap<String, Option<UnitKind>>,
    person_ids: HashSet<String>,
    household_codes: HashSet<String>,
    /// The ID numbers of household members and heads.
    member_ids: HashSet<String>,
    /// ID number → row id, once people are written (only while writing).
    person_id: HashMap<String, i32>,
    aside: Aside,
    /// The kind being run had files: its counts are the progress shown.
    reporting: bool,
}

impl Run<'_> {
    /// Nothing is written once a row is bad.
    fn writing(&self) -> bool {
        self.errors.is_empty()
    }

    fn open(&mut self, (kind, names, files): Opened) -> Vec<Records> {
        // A kind without files is still run (to carry the keys on) but says nothing: the
        // progress shown stays that of the last kind that had rows.
        self.reporting = !names.is_empty();
        if let Some(p) = self.progress.filter(|_| self.reporting) {
            p.start(format!("{}（{}）", kind.zh(), names.join("、")), 0);
        }
        let mut out = Vec::new();
        for f in files {
            self.errors.extend(f.errors);
            if f.unreadable {
                self.unreadable.insert(f.kind);
            }
            out.push(f.records);
        }
        out
    }

    fn counted(&self, rows: usize) {
        if let Some(p) = self.progress.filter(|_| self.reporting) {
            p.rows.store(rows, Ordering::Relaxed);
        }
    }

    fn checked(&self, rows: usize) {
        if let Some(p) = self.progress.filter(|_| self.reporting) {
            p.checked.store(rows, Ordering::Relaxed);
        }
    }

    fn unknown(&self, k: Kind) -> bool {
        self.unreadable.contains(&k)
    }

    fn region_level(&self, code: &str) -> Option<RegionLevel> {
        self.tree.get(code).map(|t| t.0)
    }

    fn region_missing(&self, code: &str) -> bool {
        !self.unknown(Kind::Regions) && self.region_level(code).is_none()
    }

    fn unit_missing(&self, code: &str) -> bool {
        !self.unknown(Kind::Units) && !self.unit_codes.contains(code)
    }

    fn person_missing(&self, id_number: &str) -> bool {
        !self.unknown(Kind::People) && !self.person_ids.contains(id_number)
    }

    fn target_exists(&self, kind: TargetKind, code: &str) -> bool {
        match kind {
            TargetKind::Region => self.unknown(Kind::Regions) || self.tree.contains_key(code),
            TargetKind::Unit => self.unknown(Kind::Units) || self.unit_codes.contains(code),
            TargetKind::Household => {
                self.unknown(Kind::Households) || self.household_codes.contains(code)
            }
            TargetKind::Person => {
                self.unknown(Kind::People)
                    || self.unknown(Kind::Members)
                    || self.person_ids.contains(code)
                    || self.member_ids.contains(code)
            }
            TargetKind::Any => true,
        }
    }

    /// Sets aside the indexes of the tables a kind's `adding` rows go to (see [`Aside`]).
    async fn set_aside(&mut self, tables: &[&'static str], adding: usize) -> Result<(), DbErr> {
        for t in tables {
            self.aside.indexes(self.txn, t, adding).await?;
        }
        Ok(())
    }

    fn tally(&mut self, kind: Kind, t: Tally) {
        self.out.tallies.insert(kind.key().into(), t);
    }

    /// Rows matched on their code: written with their history (keyed by the code) and counted.
    async fn write_coded<E, A>(
        &mut self,
        kind: Kind,
        models: impl IntoIterator<Item = (String, E::Model)>,
        known: &HashMap<String, E::Model>,
        copy_id: impl Fn(&mut E::Model, &E::Model),
        id: E::Column,
        entity: &'static str,
    ) -> Result<(), DbErr>
    where
        E: EntityTrait,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + From<E::Model> + Send + Clone,
        E::Model: IntoActiveModel<A> + Clone + PartialEq + Serialize,
    {
        let mut t = Tally::default();
        Writer::new(self.txn, self.pipe, self.progress, self.actor, self.now)
            .rows::<E, A, _>(models, known, copy_id, id, Some(entity), &mut t)
            .await?;
        self.tally(kind, t);
        Ok(())
    }

    // ---- regions: levels, parents, and the path of every region ----
    async fn regions(&mut self, rows: Vec<(Origin, RegionRow)>) -> Result<(), DbErr> {
        self.counted(rows.len());
        let known: HashMap<String, region::Model> = region::Entity::find()
            .all(self.txn)
            .await?
            .into_iter()
            .map(|m| (m.code.clone(), m))
            .collect();
        duplicates(
            &rows,
            |r| r.code.as_str().to_string(),
            "区划代码",
            |r| r.code.as_str().to_string(),
            &mut self.errors,
        );
        let mut tree: HashMap<String, (RegionLevel, Option<String>)> = known
            .values()
            .filter_map(|m| {
                Some((
                    m.code.clone(),
                    (RegionLevel::from_code(&m.level)?, m.parent_code.clone()),
                ))
            })
            .collect();
        for (_, r) in &rows {
            tree.insert(
                r.code.as_str().to_string(),
                (
                    r.level,
                    r.parent_code.as_ref().map(|p| p.as_str().to_string()),
                ),
            );
        }
        for (o, r) in &rows {
            if let Some(p) = &r.parent_code {
                match tree.get(p.as_str()) {
                    None => self.errors.push(o.error(
                        "上级代码",
                        p.as_str(),
                        "上级区划不存在（文件和系统中都没有）",
                    )),
                    Some((pl, _)) if !r.level.allowed_parents().contains(pl) => {
                        self.errors.push(o.error(
                            "上级代码",
                            p.as_str(),
                            format!("{}不能隶属于{}", r.level.zh(), pl.zh()),
                        ))
                    }
                    _ => {}
                }
            }
        }
        let paths = region_paths(&tree);
        for (o, r) in &rows {
            if !paths.contains_key(r.code.as_str())
                && r.parent_code
                    .as_ref()
                    .is_some_and(|p| tree.contains_key(p.as_str()))
            {
                self.errors.push(o.error(
                    "上级代码",
                    r.parent_code.as_ref().map(|p| p.as_str()).unwrap_or(""),
                    "上级关系形成循环",
                ));
            }
        }
        self.checked(rows.len());
        self.tree = tree;
        if !self.writing() {
            return Ok(());
        }
        // Parents before children: ordered by the depth of the path.
        let in_file: HashSet<String> = rows
            .iter()
            .map(|(_, r)| r.code.as_str().to_string())
            .collect();
        let mut models: Vec<(String, region::Model)> = rows
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
        models.sort_by_key(|(_, m)| m.path.matches('/').count());
        // Stored regions under a moved parent get their new path.
        let moved: Vec<(String, region::Model)> = known
            .values()
            .filter(|m| !in_file.contains(&m.code))
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
        let copy_id = |n: &mut region::Model, o: &region::Model| n.id = o.id;
        let mut t = Tally::default();
        let w = Writer::new(self.txn, self.pipe, self.progress, self.actor, self.now);
        w.rows::<region::Entity, region::ActiveModel, _>(
            models,
            &known,
            copy_id,
            region::Column::Id,
            Some("region"),
            &mut t,
        )
        .await?;
        w.rows::<region::Entity, region::ActiveModel, _>(
            moved,
            &known,
            copy_id,
            region::Column::Id,
            None,
            &mut Tally::default(),
        )
        .await?;
        self.tally(Kind::Regions, t);
        Ok(())
    }

    // ---- units ----
    async fn units(&mut self, rows: Vec<(Origin, UnitRow)>) -> Result<(), DbErr> {
        self.counted(rows.len());
        let known: HashMap<String, unit::Model> = unit::Entity::find()
            .all(self.txn)
            .await?
            .into_iter()
            .map(|m| (m.code.clone(), m))
            .collect();
        duplicates(
            &rows,
            |r| r.code.as_str().to_string(),
            "单位代码",
            |r| r.code.as_str().to_string(),
            &mut self.errors,
        );
        self.unit_codes = known
            .keys()
            .cloned()
            .chain(rows.iter().map(|(_, r)| r.code.as_str().to_string()))
            .collect();
        self.unit_kind = known
            .iter()
            .map(|(c, m)| (c.clone(), UnitKind::from_code(&m.kind)))
            .chain(
                rows.iter()
                    .map(|(_, r)| (r.code.as_str().to_string(), Some(r.kind))),
            )
            .collect();
        for (o, r) in &rows {
            if self.region_missing(r.region_code.as_str()) {
                self.errors
                    .push(o.error("所属区划", r.region_code.as_str(), "区划不存在"));
            }
            if let Some(p) = &r.parent_code
                && self.unit_missing(p.as_str())
            {
                self.errors
                    .push(o.error("上级单位", p.as_str(), "上级单位不存在"));
            }
        }
        self.checked(rows.len());
        if !self.writing() {
            return Ok(());
        }
        let models = rows.into_iter().map(|(_, r)| {
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
        self.write_coded::<unit::Entity, unit::ActiveModel>(
            Kind::Units,
            models,
            &known,
            |n, o| n.id = o.id,
            unit::Column::Id,
            "unit",
        )
        .await
    }

    // ---- people; history is keyed by the person's row id, never by the ID number ----
    async fn people(&mut self, rows: Vec<(Origin, PersonRow)>) -> Result<(), DbErr> {
        self.counted(rows.len());
        let known: HashMap<String, person::Model> = person::Entity::find()
            .all(self.txn)
            .await?
            .into_iter()
            .map(|m| (m.id_number.clone(), m))
            .collect();
        duplicates(
            &rows,
            |r| r.id_number.as_str().to_string(),
            "身份证号",
            |r| r.id_number.masked(),
            &mut self.errors,
        );
        for (o, r) in &rows {
            if self.unit_missing(r.unit_code.as_str()) {
                self.errors
                    .push(o.error("单位代码", r.unit_code.as_str(), "单位不存在"));
            }
            if let Some(rc) = &r.region_code
                && self.region_missing(rc.as_str())
            {
                self.errors
                    .push(o.error("所属区划", rc.as_str(), "区划不存在"));
            }
            for a in &r.area_codes {
                if self.region_missing(a.as_str()) {
                    self.errors
                        .push(o.error("责任片区", a.as_str(), "区划不存在"));
                }
            }
            if let Some(bc) = &r.branch_code
                && self.unit_missing(bc.as_str())
            {
                self.errors
                    .push(o.error("所属党支部", bc.as_str(), "党支部单位不存在"));
            }
        }
        self.person_ids = known
            .keys()
            .cloned()
            .chain(rows.iter().map(|(_, r)| r.id_number.as_str().to_string()))
            .collect();
        self.checked(rows.len());
        if !self.writing() {
            return Ok(());
        }
        let models = rows.into_iter().map(|(_, r)| {
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
        let mut t = Tally::default();
        // A new person's row id exists only once written: the history follows the rows.
        let planned = plan(models, &known, |n, o| n.id = o.id, &mut t);
        apply::<person::Entity, person::ActiveModel>(
            self.txn,
            self.pipe,
            planned.iter().cloned(),
            person::Column::Id,
        )
        .await?;
        self.pipe.flush().await?;
        self.person_id =
            id_map::<person::Entity>(self.txn, person::Column::IdNumber, person::Column::Id)
                .await?;
        let person_id = &self.person_id;
        let log = changes("person", &planned, |p| {
            person_id
                .get(&p.key)
                .map(|i| i.to_string())
                .unwrap_or_default()
        });
        Writer::new(self.txn, self.pipe, self.progress, self.actor, self.now)
            .history(&log)
            .await?;
        if let Some(p) = self.progress.filter(|_| self.reporting) {
            p.written.store(planned.len(), Ordering::Relaxed);
        }
        self.tally(Kind::People, t);
        Ok(())
    }

    // ---- households ----
    async fn households(&mut self, rows: Vec<(Origin, HouseholdRow)>) -> Result<(), DbErr> {
        self.counted(rows.len());
        // Whole rows only when there are rows to compare them with; else the keys.
        let known: HashMap<String, household::Model> = if rows.is_empty() {
            HashMap::default()
        } else {
            household::Entity::find()
                .all(self.txn)
                .await?
                .into_iter()
                .map(|m| (m.code.clone(), m))
                .collect()
        };
        let stored: Vec<(String, Option<String>)> = if rows.is_empty() {
            household::Entity::find()
                .select_only()
                .column(household::Column::Code)
                .column(household::Column::HeadIdNumber)
                .into_tuple()
                .all(self.txn)
                .await?
        } else {
            known
                .values()
                .map(|m| (m.code.clone(), m.head_id_number.clone()))
                .collect()
        };
        duplicates(
            &rows,
            |r| r.code.as_str().to_string(),
            "户编号",
            |r| r.code.as_str().to_string(),
            &mut self.errors,
        );
        for (o, r) in &rows {
            match self.region_level(r.region_code.as_str()) {
                None if self.unknown(Kind::Regions) => {}
                None => self
                    .errors
                    .push(o.error("所属区划", r.region_code.as_str(), "区划不存在")),
                Some(l) if !l.holds_households() => self.errors.push(o.error(
                    "所属区划",
                    r.region_code.as_str(),
                    format!("户只能属于村、社区或组，不能直接属于{}", l.zh()),
                )),
                _ => {}
            }
        }
        let mut heads = HashSet::default();
        for (code, head) in stored {
            self.household_codes.insert(code);
            heads.extend(head);
        }
        for (_, r) in &rows {
            self.household_codes.insert(r.code.as_str().to_string());
            if let Some(h) = &r.head_id_number {
                heads.insert(h.as_str().to_string());
            }
        }
        self.member_ids.extend(heads);
        self.checked(rows.len());
        if !self.writing() {
            return Ok(());
        }
        self.set_aside(&["household", "history"], rows.len())
            .await?;
        let models = rows.into_iter().map(|(_, r)| {
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
        self.write_coded::<household::Entity, household::ActiveModel>(
            Kind::Households,
            models,
            &known,
            |n, o| n.id = o.id,
            household::Column::Id,
            "household",
        )
        .await
    }

    // ---- members, matched within their household ----
    async fn members(&mut self, rows: Vec<(Origin, MemberRow)>) -> Result<(), DbErr> {
        self.counted(rows.len());
        let stored: Vec<Option<String>> = member::Entity::find()
            .select_only()
            .column(member::Column::IdNumber)
            .filter(member::Column::IdNumber.is_not_null())
            .into_tuple()
            .all(self.txn)
            .await?;
        self.member_ids.extend(stored.into_iter().flatten());
        duplicates(
            &rows,
            |r| format!("{}|{}", r.household_code.as_str(), r.key()),
            "姓名",
            |r| r.name.clone(),
            &mut self.errors,
        );
        for (o, r) in &rows {
            if !self.unknown(Kind::Households)
                && !self.household_codes.contains(r.household_code.as_str())
            {
                self.errors
                    .push(o.error("户编号", r.household_code.as_str(), "户不存在"));
            }
            if let Some(i) = &r.id_number {
                self.member_ids.insert(i.as_str().to_string());
            }
        }
        self.checked(rows.len());
        let mut t = Tally::default();
        if !self.writing() {
            return Ok(());
        }
        self.set_aside(&["member", "history"], rows.len()).await?;
        if !rows.is_empty() {
            let household_id = id_map::<household::Entity>(
                self.txn,
                household::Column::Code,
                household::Column::Id,
            )
            .await?;
            let code_of: HashMap<i32, &str> =
                household_id.iter().map(|(c, i)| (*i, c.as_str())).collect();
            let existing: HashMap<String, member::Model> = member::Entity::find()
                .all(self.txn)
                .await?
                .into_iter()
                .map(|m| (format!("{}|{}", m.household_id, m.member_key), m))
                .collect();
            let models = rows.into_iter().filter_map(|(_, r)| {
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
            Writer::new(self.txn, self.pipe, self.progress, self.actor, self.now)
                .keyed_rows::<member::Entity, member::ActiveModel, _, _>(
                    models,
                    &existing,
                    |n, o| n.id = o.id,
                    member::Column::Id,
                    "member",
                    |p| {
                        code_of
                            .get(&p.new.household_id)
                            .map(|c| c.to_string())
                            .unwrap_or_default()
                    },
                    &mut t,
                )
                .await?;
        }
        self.tally(Kind::Members, t);
        Ok(())
    }

    // ---- links ----
    async fn links(&mut self, mut rows: Vec<(Origin, LinkRow)>) -> Result<(), DbErr> {
        self.counted(rows.len());
        duplicates(
            &rows,
            link_key_text,
            "对象代码",
            |r| r.target_code.clone(),
            &mut self.errors,
        );
        for (o, r) in &rows {
            match &r.linker {
                Linker::Person(p) if self.person_missing(p.as_str()) => self.errors.push(o.error(
                    "干部身份证号",
                    &p.masked(),
                    "人员不存在（请先导入人员）",
                )),
                Linker::Unit(u) if self.unit_missing(u.as_str()) => {
                    self.errors
                        .push(o.error("单位代码", u.as_str(), "单位不存在"))
                }
                _ => {}
            }
            if let Some(c) = &r.contact
                && self.person_missing(c.as_str())
            {
                self.errors.push(o.error(
                    "干部身份证号",
                    &c.masked(),
                    "联系人不存在（请先导入人员）",
                ));
            }
            if r.kind == LinkKind::GroupMembership {
                if matches!(r.linker, Linker::Unit(_)) {
                    self.errors.push(o.error(
                        "干部身份证号",
                        "",
                        "工作小组成员须填党代表的身份证号，不能填单位代码",
                    ));
                }
                if let Some(k) = self.unit_kind.get(r.target_code.as_str())
                    && *k != Some(UnitKind::RepresentativeGroup)
                {
                    self.errors.push(o.error(
                        "对象代码",
                        &r.target_code,
                        "工作小组成员的对象应为类型是“党代表工作小组”的单位",
                    ));
                }
            }
            let kinds = r.kind.target_kinds();
            if !kinds.iter().any(|k| self.target_exists(*k, &r.target_code)) {
                let wanted: Vec<&str> = kinds.iter().map(|k| k.zh()).collect();
                self.errors.push(o.error(
                    "对象代码",
                    &shown_code(&r.target_code),
                    format!("{}的对象应为已有的{}", r.kind.zh(), wanted.join("或")),
                ));
            }
        }
        self.checked(rows.len());
        if !self.writing() {
            return Ok(());
        }
        self.set_aside(&["link", "history"], rows.len()).await?;
        let mut t = Tally::default();
        if !rows.is_empty() {
            let existing: HashMap<String, link::Model> = link::Entity::find()
                .all(self.txn)
                .await?
                .into_iter()
                .map(|m| (m.link_key.clone(), m))
                .collect();
            let person_id = &self.person_id;
            // Written in the order of their keys: the unique index on them (which SQLite
            // cannot set aside) then grows at its end, instead of at a random page per link.
            rows.sort_by_cached_key(|(_, r)| stored_link(r, person_id).map(|(_, _, key)| key));
            let models = rows.into_iter().filter_map(|(_, r)| {
                let (person, unit, key) = stored_link(&r, person_id)?;
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
            Writer::new(self.txn, self.pipe, self.progress, self.actor, self.now)
                .rows::<link::Entity, link::ActiveModel, _>(
                    models,
                    &existing,
                    |n, o| {
                        n.id = o.id;
                        n.front_line.clone_from(&o.front_line);
                        n.report_on = o.report_on;
                        n.assessment.clone_from(&o.assessment);
                    },
                    link::Column::Id,
                    Some("link"),
                    &mut t,
                )
                .await?;
        }
        self.tally(Kind::Links, t);
        Ok(())
    }

    // ---- activities: a record is never updated by import; the same row again is skipped ----
    async fn activities(&mut self, mut rows: Vec<(Origin, ActivityRow)>) -> Result<(), DbErr> {
        self.counted(rows.len());
        let mut fingerprints: Vec<u128> = rows.iter().map(|(_, r)| r.fingerprint_hash()).collect();
        let mut first: HashMap<u128, usize> = HashMap::default();
        for ((o, _), fp) in rows.iter().zip(&fingerprints) {
            if let Some(row) = first.get(fp) {
                self.errors
                    .push(o.error("内容", "", format!("与{} 第{}行重复", o.file, row)));
            } else {
                first.insert(*fp, o.row);
            }
        }
        drop(first);
        let any_target = [
            TargetKind::Region,
            TargetKind::Unit,
            TargetKind::Household,
            TargetKind::Person,
        ];
        for (o, r) in &rows {
            for p in &r.participants {
                if self.person_missing(p.as_str()) {
                    self.errors
                        .push(o.error("参加人身份证号", &p.masked(), "人员不存在"));
                }
            }
            for t in &r.target_codes {
                if !any_target.iter().any(|k| self.target_exists(*k, t)) {
                    self.errors.push(o.error(
                        "对象代码",
                        &shown_code(t),
                        "对象不存在（应为区划代码、单位代码、户编号或身份证号）",
                    ));
                }
            }
            if !r.matters.is_empty()
                && !r.target_codes.iter().any(|t| {
                    self.target_exists(TargetKind::Household, t)
                        || self.target_exists(TargetKind::Region, t)
                })
            {
                self.errors.push(o.error(
                    "反映事项",
                    &r.matters.join("；"),
                    "反映事项须有走访对象（户编号或村、社区代码），才能记入台账",
                ));
            }
        }
        self.checked(rows.len());
        if !self.writing() {
            return Ok(());
        }
        self.set_aside(
            &["activity", "activity_participant", "activity_target"],
            rows.len(),
        )
        .await?;
        let mut t = Tally::default();
        if !rows.is_empty() {
            // (A record entered on a form has a fingerprint of another shape: never one of
            // these.)
            let mut existing: HashSet<u128> = HashSet::default();
            keys_and_ids::<activity::Entity>(
                self.txn,
                activity::Column::Fingerprint,
                activity::Column::Id,
                0,
                |fp, _| existing.extend(hashed(&fp)),
            )
            .await?;
            // The new rows kept where they are (no second copy of a county's records).
            let new: Vec<bool> = fingerprints
                .iter()
                .map(|fp| !existing.contains(fp))
                .collect();
            drop(existing);
            t.created = new.iter().filter(|n| **n).count();
            t.unchanged = new.len() - t.created;
            let mut keep = new.iter();
            rows.retain(|_| keep.next().copied().unwrap_or(false));
            let mut keep = new.iter();
            fingerprints.retain(|_| keep.next().copied().unwrap_or(false));
            // Written in the order of their fingerprints: the unique index on them (the one
            // index of these tables SQLite cannot set aside) then grows at its end, instead of
            // one random page per record read back from the WAL and spilled to it again. The
            // file's order is kept for the ledger items the records raise.
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_unstable_by_key(|&i| fingerprints[i]);
            let file_order = order.clone();
            arrange(&mut rows, &mut order);
            fingerprints.sort_unstable();
            let fresh = || {
                fingerprints
                    .chunks(CHUNK)
                    .zip(rows.chunks(CHUNK))
                    .zip(file_order.chunks(CHUNK))
            };
            // The records first, then (their ids read back once) who took part and whom
            // they concern.
            self.pipe.flush().await?;
            let before: Option<i32> = activity::Entity::find()
                .select_only()
                .column_as(activity::Column::Id.max(), "id")
                .into_tuple::<Option<i32>>()
                .one(self.txn)
                .await?
                .flatten();
            for (chunk, _) in fresh() {
                self.activity_chunk(chunk).await?;
            }
            self.pipe.flush().await?;
            let mut ids: HashMap<u128, i32> =
                HashMap::with_capacity_and_hasher(t.created, Default::default());
            keys_and_ids::<activity::Entity>(
                self.txn,
                activity::Column::Fingerprint,
                activity::Column::Id,
                before.unwrap_or(0),
                |fp, id| ids.extend(hashed(&fp).map(|h| (h, id))),
            )
            .await?;
            let mut raised = Vec::new();
            for (chunk, places) in fresh() {
                self.activity_links(chunk, places, &ids, &mut raised)
                    .await?;
            }
            self.pipe.flush().await?;
            raised.sort_unstable_by_key(|(place, _)| *place);
            let raised: Vec<_> = raised.into_iter().map(|(_, r)| r).collect();
            let items =
                crate::store::work::register_matters(self.txn, &raised, self.clock, self.now)
                    .await?;
            self.out.tallies.insert(
                "ledger_items".into(),
                Tally {
                    created: items.len(),
                    ..Tally::default()
                },
            );
        }
        self.tally(Kind::Activities, t);
        Ok(())
    }

    /// Writes some new records.
    async fn activity_chunk(
        &self,
        (fingerprints, rows): (&[u128], &[(Origin, ActivityRow)]),
    ) -> Result<(), DbErr> {
        let models: Vec<activity::ActiveModel> = fingerprints
            .iter()
            .zip(rows)
            .map(|(fp, (_, r))| {
                let m = activity::Model {
                    id: 0,
                    fingerprint: format!("{fp:032x}"),
                    start_date: r.start_date,
                    end_date: r.end_date,
                    kind: r.kind.code().to_string(),
                    companions: r.companions,
                    hours: r.hours,
                    notes: r.notes.clone(),
                    matters: r.matters.join("\n"),
                    // Who entered it and when: the importing account, at the import.
                    author_account_id: self.account,
                    author_person_id: None,
                    recorded_at: Some(self.now),
                    // The exchange format has no aid columns: given aid is recorded on the form.
                    aid: None,
                    aid_value: None,
                };
                let mut am = activity::ActiveModel::from(m).reset_all();
                am.not_set(activity::Column::Id);
                am
            })
            .collect();
        self.pipe
            .run(activity::Entity::insert_many(models).build(self.txn.get_database_backend()))
            .await
    }

    /// Writes the participants and targets of some new records; the matters they raise are
    /// gathered to become ledger items once all are written.
    async fn activity_links(
        &self,
        (fingerprints, rows): (&[u128], &[(Origin, ActivityRow)]),
        places: &[usize],
        ids: &HashMap<u128, i32>,
        raised: &mut Vec<(usize, crate::store::work::Raised)>,
    ) -> Result<(), DbErr> {
        let backend = self.txn.get_database_backend();
        let mut parts = Vec::new();
        let mut targets = Vec::new();
        for ((fp, (_, r)), place) in fingerprints.iter().zip(rows).zip(places) {
            let Some(aid) = ids.get(fp) else { continue };
            if !r.matters.is_empty() {
                raised.push((
                    *place,
                    crate::store::work::Raised {
                        activity_id: *aid,
                        on: r.start_date,
                        source: crate::store::work::ItemSource::Visit,
                        targets: r.target_codes.clone(),
                        first_handler: r
                            .participants
                            .first()
                            .and_then(|p| self.person_id.get(p.as_str()).copied()),
                        matters: r.matters.clone(),
                    },
                ));
            }
            let mut seen = HashSet::default();
            for p in &r.participants {
                if let Some(pid) = self.person_id.get(p.as_str())
                    && seen.insert(*pid)
                {
                    parts.push(activity_participant::ActiveModel {
                        activity_id: sea_orm::Set(*aid),
                        person_id: sea_orm::Set(*pid),
                    });
                }
            }
            let mut seen = HashSet::default();
            for c in &r.target_codes {
                if seen.insert(c) {
                    targets.push(activity_target::ActiveModel {
                        activity_id: sea_orm::Set(*aid),
                        target_code: sea_orm::Set(c.clone()),
                    });
                }
            }
        }
        if !parts.is_empty() {
            self.pipe
                .run(activity_participant::Entity::insert_many(parts).build(backend))
                .await?;
        }
        if !targets.is_empty() {
            self.pipe
                .run(activity_target::Entity::insert_many(targets).build(backend))
                .await?;
        }
        if let Some(p) = self.progress {
            p.written.fetch_add(rows.len(), Ordering::Relaxed);
        }
        Ok(())
    }
}

/// SQLite only. An import holds SQLite's one write lock from its first write to its commit, so
/// nothing else writes meanwhile. The registry's row triggers (an UPDATE of the stamp for every
/// row written: 290,000 for a county) are set aside and the stamp raised once; so are the
/// secondary indexes of a table the import at least doubles, built again in one pass at the end
/// instead of one random insertion per row. Both are put back from their own definitions in the
/// schema before the commit; a rollback puts them back by itself. Unique constraints declared
/// on columns stay (SQLite cannot drop them), and every lookup the import makes uses those.
#[derive(Default)]
struct Aside {
    sqlite: bool,
    tables: HashSet<&'static str>,
    restore: Vec<String>,
}

impl Aside {
    async fn triggers(txn: &DatabaseTransaction) -> Result<Aside, DbErr> {
        if txn.get_database_backend() != DbBackend::Sqlite {
            return Ok(Aside::default());
        }
        let mut aside = Aside {
            sqlite: true,
            ..Aside::default()
        };
        let found = schema(txn, "trigger", None).await?;
        if !found.is_empty() {
            aside
                .restore
                .push("UPDATE stamp SET n = n + 1 WHERE name = 'registry'".into());
        }
        for (name, sql) in found {
            if name.starts_with("stamp_") {
                txn.execute_unprepared(&format!("DROP TRIGGER \"{name}\""))
                    .await?;
                aside.restore.push(sql);
            }
        }
        Ok(aside)
    }

    /// Sets aside the secondary indexes of `table` when `adding` rows at least double it.
    async fn indexes(
        &mut self,
        txn: &DatabaseTransaction,
        table: &'static str,
        adding: usize,
    ) -> Result<(), DbErr> {
        if !self.sqlite || adding == 0 || self.tables.contains(table) {
            return Ok(());
        }
        let stored = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT count(*) FROM \"{table}\""),
            ))
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        if i64::try_from(adding).unwrap_or(i64::MAX) < stored {
            return Ok(());
        }
        self.tables.insert(table);
        for (name, sql) in schema(txn, "index", Some(table)).await? {
            txn.execute_unprepared(&format!("DROP INDEX \"{name}\""))
                .await?;
            self.restore.push(sql);
        }
        Ok(())
    }

    async fn restore(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        for sql in self.restore {
            txn.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}

/// The triggers or indexes SQLite's schema defines (with their SQL; not those SQLite made for
/// a column's constraint).
async fn schema(
    txn: &DatabaseTransaction,
    kind: &str,
    table: Option<&str>,
) -> Result<Vec<(String, String)>, DbErr> {
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL \
             AND (? IS NULL OR tbl_name = ?) ORDER BY name",
            [kind.into(), table.into(), table.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

/// Writes a kind's rows a chunk at a time (compared with what is stored, inserted or
/// updated, their history appended), so that no more than a chunk is held twice.
struct Writer<'a> {
    txn: &'a DatabaseTransaction,
    pipe: &'a Pipe,
    progress: Option<&'a Progress>,
    actor: &'a str,
    now: DateTime<Utc>,
}

impl<'a> Writer<'a> {
    fn new(
        txn: &'a DatabaseTransaction,
        pipe: &'a Pipe,
        progress: Option<&'a Progress>,
        actor: &'a str,
        now: DateTime<Utc>,
    ) -> Writer<'a> {
        Writer {
            txn,
            pipe,
            progress,
            actor,
            now,
        }
    }

    /// Queues the history of some rows, after their own writes.
    async fn history(&self, log: &[Change]) -> Result<(), DbErr> {
        let backend = self.txn.get_database_backend();
        for statement in history::statements(backend, self.actor, self.now, log) {
            self.pipe.run(statement).await?;
        }
        Ok(())
    }

    /// Rows whose history is keyed by their own key (a code), or that keep none.
    async fn rows<E, A, I>(
        &self,
        rows: I,
        existing: &HashMap<String, E::Model>,
        copy_id: impl Fn(&mut E::Model, &E::Model),
        id: E::Column,
        entity: Option<&'static str>,
        tally: &mut Tally,
    ) -> Result<(), DbErr>
    where
        E: EntityTrait,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + From<E::Model> + Send + Clone,
        E::Model: IntoActiveModel<A> + Clone + PartialEq + Serialize,
        I: IntoIterator<Item = (String, E::Model)>,
    {
        match entity {
            Some(entity) => {
                self.keyed_rows::<E, A, I, _>(
                    rows,
                    existing,
                    copy_id,
                    id,
                    entity,
                    |p| p.key.clone(),
                    tally,
                )
                .await
            }
            None => {
                let mut rows = rows.into_iter();
                loop {
                    let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
                    if chunk.is_empty() {
                        return Ok(());
                    }
                    let planned = plan(chunk, existing, &copy_id, tally);
                    apply::<E, A>(self.txn, self.pipe, planned, id).await?;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn keyed_rows<E, A, I, K>(
        &self,
        rows: I,
        existing: &HashMap<String, E::Model>,
        copy_id: impl Fn(&mut E::Model, &E::Model),
        id: E::Column,
        entity: &'static str,
        key: K,
        tally: &mut Tally,
    ) -> Result<(), DbErr>
    where
        E: EntityTrait,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + From<E::Model> + Send + Clone,
        E::Model: IntoActiveModel<A> + Clone + PartialEq + Serialize,
        I: IntoIterator<Item = (String, E::Model)>,
        K: Fn(&Planned<E::Model>) -> String,
    {
        let mut rows = rows.into_iter();
        loop {
            let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                return Ok(());
            }
            let n = chunk.len();
            let planned = plan(chunk, existing, &copy_id, tally);
            // The history is taken first, so that the rows are handed to their inserts
            // without a copy (the two are in one transaction: their order is not seen).
            let log = changes(entity, &planned, &key);
            apply::<E, A>(self.txn, self.pipe, planned, id).await?;
            self.history(&log).await?;
            if let Some(p) = self.progress {
                p.written.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
}

/// A link row's person and unit as stored, and its key; none when its person is unknown.
fn stored_link(
    r: &LinkRow,
    person_id: &HashMap<String, i32>,
) -> Option<(Option<i32>, Option<String>, String)> {
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
    Some((person, unit, key))
}

/// Puts `items` in the order `order` names: `items[k]` becomes what was at `order[k]`. In place
/// (a county's records are not copied); `order` is used up.
fn arrange<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != at {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// An imported record's fingerprint (32 hex digits) as the number it was written from.
fn hashed(fingerprint: &str) -> Option<u128> {
    (fingerprint.len() == 32)
        .then(|| u128::from_str_radix(fingerprint, 16).ok())
        .flatten()
}

/// Reports the second and later rows that repeat a key.
fn duplicates<T>(
    rows: &[(Origin, T)],
    key: impl Fn(&T) -> String,
    column: &str,
    shown: impl Fn(&T) -> String,
    errors: &mut Vec<ImportError>,
) {
    let mut first: HashMap<String, usize> = HashMap::default();
    for (o, r) in rows {
        let k = key(r);
        if let Some(row) = first.get(&k) {
            errors.push(o.error(column, &shown(r), format!("与{} 第{}行重复", o.file, row)));
        } else {
            first.insert(k, o.row);
        }
    }
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
    let mut out: HashMap<String, String> = HashMap::default();
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
#[derive(Clone)]
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
    pipe: &Pipe,
    planned: impl IntoIterator<Item = Planned<E::Model>>,
    id: E::Column,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + From<E::Model> + Send + Clone,
    E::Model: IntoActiveModel<A> + Clone,
{
    let mut inserts: Vec<A> = Vec::new();
    let mut updates: Vec<E::Model> = Vec::new();
    for p in planned {
        if p.old.is_some() {
            updates.push(p.new);
        } else {
            let mut am = A::from(p.new).reset_all();
            am.not_set(id);
            inserts.push(am);
        }
    }
    while !inserts.is_empty() {
        let chunk: Vec<A> = inserts.drain(..CHUNK.min(inserts.len())).collect();
        pipe.run(E::insert_many(chunk).build(txn.get_database_backend()))
            .await?;
    }
    // Changed rows (a re-import) are few: written directly, once the inserts before have run.
    if !updates.is_empty() {
        pipe.flush().await?;
    }
    for new in updates {
        A::from(new).reset_all().update(txn).await?;
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
            let changes = match &p.old {
                None => history::created(new),
                Some(o) => history::diff(Some(&serde_json::to_value(o).unwrap_or_default()), &new),
            };
            Change {
                entity,
                entity_key: key(p),
                action: if p.old.is_some() { "update" } else { "create" },
                changes,
            }
        })
        .collect()
}

/// `key column → id` for a whole table.
async fn id_map<E: EntityTrait>(
    txn: &DatabaseTransaction,
    key: E::Column,
    id: E::Column,
) -> Result<HashMap<String, i32>, DbErr> {
    let mut map = HashMap::default();
    keys_and_ids::<E>(txn, key, id, 0, |k, i| {
        map.insert(k, i);
    })
    .await?;
    Ok(map)
}

/// Every row's key and id (those with an id above `after`), read a page at a time in the
/// order of the ids: the driver's rows for a county's 400,000 records took 170 MB at once.
async fn keys_and_ids<E: EntityTrait>(
    txn: &DatabaseTransaction,
    key: E::Column,
    id: E::Column,
    mut after: i32,
    mut each: impl FnMut(String, i32),
) -> Result<(), DbErr> {
    use sea_orm::QueryOrder;
    const PAGE: u64 = 20_000;
    loop {
        let page: Vec<(String, i32)> = E::find()
            .select_only()
            .column(key)
            .column(id)
            .filter(id.gt(after))
            .order_by_asc(id)
            .limit(PAGE)
            .into_tuple()
            .all(txn)
            .await?;
        let full = page.len() as u64 == PAGE;
        for (k, i) in page {
            after = after.max(i);
            each(k, i);
        }
        if !full {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::arrange;

    /// Every item lands where the order says, whatever cycles the order is made of.
    #[test]
    fn arranging_puts_each_item_where_the_order_names_it() {
        for order in [
            vec![],
            vec![0],
            vec![1, 0],
            vec![2, 0, 1],
            vec![0, 3, 1, 2, 4],
            vec![5, 4, 3, 2, 1, 0],
            vec![3, 0, 4, 1, 2, 6, 5],
        ] {
            let items: Vec<String> = (0..order.len()).map(|i| format!("r{i}")).collect();
            let want: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut got = items.clone();
            arrange(&mut got, &mut order.clone());
            assert_eq!(got, want, "order {order:?}");
        }
    }
}
