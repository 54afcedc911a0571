//! Accounts, sessions, API tokens, the audit log, and [`Visibility`]: the one place
//! where a caller's grants become query conditions. Every read of people and
//! households goes through it, so an object outside the scope is simply not found.

use super::entities::*;
use crate::domain::access::{AccessRole, Capability, Grant, Scope};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionSession,
    TransactionTrait,
};
use sha2::{Digest, Sha256};

/// Login and session limits (from the configuration).
#[derive(Clone, Debug)]
pub struct Policy {
    pub max_failures: i32,
    pub lock_minutes: i64,
    pub address_max_failures: u64,
    pub session_hours: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_failures: 5,
            lock_minutes: 15,
            address_max_failures: 20,
            session_hours: 12,
        }
    }
}

/// Who is asking: an account with its grants, resolved against the region tree.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account_id: i32,
    pub username: String,
    pub display_name: String,
    pub person_id: Option<i32>,
    pub must_change_password: bool,
    pub grants: Vec<Grant>,
    pub address: String,
    /// The moment of the request the caller acts in: what the store writes as the time of
    /// what the caller does (the store does not read the clock).
    pub now: DateTime<Utc>,
    /// Region grants with the region's path (`/…/code/`).
    region_paths: Vec<(AccessRole, String)>,
}

impl Caller {
    /// The operator at the command line: acts with every right, audited as such.
    pub fn operator(now: DateTime<Utc>) -> Caller {
        Caller {
            now,
            account_id: 0,
            username: "命令行".into(),
            display_name: "命令行".into(),
            person_id: None,
            must_change_password: false,
            grants: vec![Grant {
                role: AccessRole::Admin,
                scope: Scope::County,
            }],
            address: "local".into(),
            region_paths: vec![],
        }
    }

    pub fn can(&self, c: Capability) -> bool {
        self.grants.iter().any(|g| g.role.can(c))
    }

    /// What this caller may read.
    pub fn visibility(&self) -> Visibility {
        self.visibility_where(|_| true)
    }

    /// What this caller may do `c` to: only the grants whose role allows it count.
    pub fn visibility_for(&self, c: Capability) -> Visibility {
        self.visibility_where(|r| r.can(c))
    }

    fn visibility_where(&self, keep: impl Fn(AccessRole) -> bool) -> Visibility {
        let mut v = Visibility::default();
        for g in self.grants.iter().filter(|g| keep(g.role)) {
            match &g.scope {
                Scope::County => v.all = true,
                Scope::Region(_) => {}
                Scope::Unit(u) => v.units.push(u.clone()),
                Scope::Own => v.own = Some(self.person_id.unwrap_or(-1)),
            }
        }
        v.region_paths = self
            .region_paths
            .iter()
            .filter(|(r, _)| keep(*r))
            .map(|(_, p)| p.clone())
            .collect();
        v
    }

    pub fn roles_zh(&self) -> String {
        self.grants
            .iter()
            .map(|g| format!("{}（{}）", g.role.zh(), g.scope.zh()))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The rows a caller may see, as conditions on people and households.
#[derive(Clone, Debug, Default)]
pub struct Visibility {
    pub all: bool,
    pub region_paths: Vec<String>,
    pub units: Vec<String>,
    /// The caller's own person id (−1 when the account has no person).
    pub own: Option<i32>,
}

fn subtree(path: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(region::Column::Code)
        .from(region::Entity)
        .and_where(region::Column::Path.like(format!("{path}%")))
        .to_owned()
}

fn linked_by_person(person_id: i32) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(link::Column::TargetCode)
        .from(link::Entity)
        .and_where(link::Column::PersonId.eq(person_id))
        .to_owned()
}

fn linked_by_unit(unit: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(link::Column::TargetCode)
        .from(link::Entity)
        .cond_where(
            Condition::any().add(link::Column::UnitCode.eq(unit)).add(
                link::Column::PersonId.in_subquery(
                    Query::select()
                        .column(person::Column::Id)
                        .from(person::Entity)
                        .and_where(person::Column::UnitCode.eq(unit))
                        .to_owned(),
                ),
            ),
        )
        .to_owned()
}

impl Visibility {
    /// Everything: for the command line and internal jobs, which act as the operator.
    pub fn everything() -> Visibility {
        Visibility {
            all: true,
            ..Default::default()
        }
    }

    /// Whether a whole region (by its `/…/code/` path) lies within this visibility.
    pub fn covers_region(&self, path: &str) -> bool {
        self.all
            || self
                .region_paths
                .iter()
                .any(|p| path.starts_with(p.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.region_paths.is_empty() && self.units.is_empty() && self.own.is_none()
    }

    pub fn households(&self) -> Condition {
        if self.all {
            return Condition::all();
        }
        let mut c = Condition::any().add(household::Column::Id.lt(0));
        for p in &self.region_paths {
            c = c.add(household::Column::RegionCode.in_subquery(subtree(p)));
        }
        for u in &self.units {
            c = c.add(household::Column::Code.in_subquery(linked_by_unit(u)));
        }
        if let Some(pid) = self.own {
            c = c.add(household::Column::Code.in_subquery(linked_by_person(pid)));
        }
        c
    }

    pub fn people(&self) -> Condition {
        if self.all {
            return Condition::all();
        }
        let mut c = Condition::any().add(person::Column::Id.lt(0));
        for p in &self.region_paths {
            c = c
                .add(person::Column::RegionCode.in_subquery(subtree(p)))
                .add(
                    person::Column::UnitCode.in_subquery(
                        Query::select()
                            .column(unit::Column::Code)
                            .from(unit::Entity)
                            .and_where(unit::Column::RegionCode.in_subquery(subtree(p)))
                            .to_owned(),
                    ),
                );
        }
        for u in &self.units {
            c = c.add(person::Column::UnitCode.eq(u.as_str()));
        }
        if let Some(pid) = self.own {
            c = c.add(person::Column::Id.eq(pid));
        }
        c
    }
}

pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 64 hex characters from the system's random source (two v4 UUIDs: 244 random bits).
pub fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// A readable initial password: letters and digits, no look-alikes.
pub fn initial_password() -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut p: String = bytes
        .iter()
        .take(10)
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect();
    p.push('7');
    p.insert(0, 'x');
    p
}

pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        use argon2::{Argon2, PasswordHasher};
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hash: {e}"))
    })
    .await?
}

/// A hash to check an unknown user's password against, made once per process.
async fn dummy_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        hash_password(new_secret())
            .await
            .unwrap_or_else(|_| String::new())
    })
    .await
    .clone()
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        use argon2::{Argon2, PasswordVerifier, password_hash::phc::PasswordHash};
        match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    })
    .await
    .unwrap_or(false)
}

pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub person_id: Option<i32>,
    pub password: String,
    pub must_change_password: bool,
    pub grants: Vec<Grant>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub async fn create_account<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    a: NewAccount,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<i32, AccountError> {
    crate::domain::access::check_username(&a.username).map_err(AccountError::Invalid)?;
    crate::domain::access::check_password(&a.password).map_err(AccountError::Invalid)?;
    if a.grants.is_empty() {
        return Err(AccountError::Invalid("至少授予一个角色".into()));
    }
    if find_account(db, &a.username).await?.is_some() {
        return Err(AccountError::Invalid(format!(
            "用户名 {} 已存在",
            a.username
        )));
    }
    if let Some(pid) = a.person_id {
        let taken = account::Entity::find()
            .filter(account::Column::PersonId.eq(pid))
            .one(db)
            .await?;
        if let Some(t) = taken {
            return Err(AccountError::Invalid(format!(
                "该人员已有账号 {}",
                t.username
            )));
        }
    }
    for g in &a.grants {
        check_scope(db, &g.scope).await?;
    }
    let hash = hash_password(a.password).await?;
    let txn = db.begin().await?;
    let row = account::ActiveModel {
        id: NotSet,
        username: Set(a.username.clone()),
        display_name: Set(a.display_name),
        person_id: Set(a.person_id),
        password_hash: Set(hash),
        must_change_password: Set(a.must_change_password),
        disabled: Set(false),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for g in &a.grants {
        account_grant::ActiveModel {
            id: NotSet,
            account_id: Set(row.id),
            role: Set(g.role.code().to_string()),
            scope_kind: Set(g.scope.kind().to_string()),
            scope_code: Set(g.scope.code().map(str::to_string)),
        }
        .insert(&txn)
        .await?;
    }
    let grants: Vec<String> = a
        .grants
        .iter()
        .map(|g| format!("{}（{}）", g.role.zh(), g.scope.zh()))
        .collect();
    audit(
        &txn,
        now,
        Some(row.id),
        actor,
        "account_create",
        &format!("account:{}", a.username),
        &grants.join("、"),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

async fn check_scope(db: &impl ConnectionTrait, s: &Scope) -> Result<(), AccountError> {
    match s {
        Scope::Region(c)
            if region::Entity::find()
                .filter(region::Column::Code.eq(c.as_str()))
                .one(db)
                .await?
                .is_none() =>
        {
            return Err(AccountError::Invalid(format!("区划 {c} 不存在")));
        }
        Scope::Unit(c)
            if unit::Entity::find()
                .filter(unit::Column::Code.eq(c.as_str()))
                .one(db)
                .await?
                .is_none() =>
        {
            return Err(AccountError::Invalid(format!("单位 {c} 不存在")));
        }
        _ => {}
    }
    Ok(())
}

pub async fn find_account(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::Username.eq(username))
        .one(db)
        .await
}

pub async fn grants_of(db: &impl ConnectionTrait, account_id: i32) -> Result<Vec<Grant>, DbErr> {
    let rows = account_grant::Entity::find()
        .filter(account_grant::Column::AccountId.eq(account_id))
        .order_by_asc(account_grant::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|g| {
            Some(Grant {
                role: AccessRole::from_code(&g.role)?,
                scope: Scope::from_parts(&g.scope_kind, g.scope_code.as_deref())?,
            })
        })
        .collect())
}

async fn caller_for(
    db: &impl ConnectionTrait,
    a: account::Model,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Caller, DbErr> {
    let grants = grants_of(db, a.id).await?;
    let mut region_paths = Vec::new();
    for g in &grants {
        if let Scope::Region(code) = &g.scope {
            let path = region::Entity::find()
                .filter(region::Column::Code.eq(code.as_str()))
                .one(db)
                .await?
                .map(|r| r.path)
                .unwrap_or_else(|| "/-none-/".into());
            region_paths.push((g.role, path));
        }
    }
    Ok(Caller {
        now,
        account_id: a.id,
        username: a.username,
        display_name: a.display_name,
        person_id: a.person_id,
        must_change_password: a.must_change_password,
        grants,
        address: address.to_string(),
        region_paths,
    })
}

#[derive(Debug)]
pub enum LoginError {
    /// Wrong user name or password (the same answer for both).
    Invalid,
    Locked(DateTime<Utc>),
    AddressBlocked,
    Db(DbErr),
}

impl From<DbErr> for LoginError {
    fn from(e: DbErr) -> Self {
        LoginError::Db(e)
    }
}

/// Checks a password, counting failures per account and per address. Returns a new
/// session's token.
pub async fn login(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(String, account::Model), LoginError> {
    let since = now - Duration::minutes(policy.lock_minutes);
    let recent = audit::Entity::find()
        .filter(audit::Column::Address.eq(address))
        .filter(audit::Column::Action.eq("login_failed"))
        .filter(audit::Column::At.gt(since))
        .count(db)
        .await?;
    if recent >= policy.address_max_failures {
        audit(
            db,
            now,
            None,
            username,
            "login_blocked",
            "address",
            "来源地址失败次数过多",
            address,
        )
        .await?;
        return Err(LoginError::AddressBlocked);
    }
    let Some(acc) = find_account(db, username).await? else {
        // As long as a real check: the answer's time must not tell whether the user exists.
        verify_password(password.to_string(), dummy_hash().await).await;
        audit(
            db,
            now,
            None,
            username,
            "login_failed",
            "account",
            "用户名不存在",
            address,
        )
        .await?;
        return Err(LoginError::Invalid);
    };
    if let Some(until) = acc.locked_until.filter(|u| *u > now) {
        audit(
            db,
            now,
            Some(acc.id),
            username,
            "login_failed",
            "account",
            "账号已锁定",
            address,
        )
        .await?;
        return Err(LoginError::Locked(until));
    }
    // The attempt counts as a failure before the password is checked, in one statement, so that
    // guesses sent at once cannot all be checked: only the first `max_failures` are.
    account::Entity::update_many()
        .col_expr(
            account::Column::FailedLogins,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(account::Column::FailedLogins),
                1,
            ),
        )
        .filter(account::Column::Id.eq(acc.id))
        .exec(db)
        .await?;
    let attempt = account::Entity::find_by_id(acc.id)
        .one(db)
        .await?
        .map(|a| a.failed_logins)
        .unwrap_or(i32::MAX);
    let lock = |db, acc: &account::Model, failures: i32| {
        let until = now + Duration::minutes(policy.lock_minutes);
        let id = acc.id;
        async move {
            account::Entity::update_many()
                .col_expr(
                    account::Column::FailedLogins,
                    sea_orm::sea_query::Expr::value(0),
                )
                .col_expr(
                    account::Column::LockedUntil,
                    sea_orm::sea_query::Expr::value(Some(until)),
                )
                .filter(account::Column::Id.eq(id))
                .exec(db)
                .await?;
            let detail = format!(
                "连续{failures}次登录失败，锁定至{}",
                crate::time::beijing_time(&until)
            );
            audit(
                db,
                now,
                Some(id),
                username,
                "account_locked",
                "account",
                &detail,
                address,
            )
            .await?;
            Ok::<_, DbErr>(until)
        }
    };
    if attempt > policy.max_failures {
        let until = lock(db, &acc, attempt).await?;
        return Err(LoginError::Locked(until));
    }
    let ok = verify_password(password.to_string(), acc.password_hash.clone()).await;
    if !ok || acc.disabled {
        let reason = if acc.disabled {
            "账号已停用"
        } else {
            "密码错误"
        };
        audit(
            db,
            now,
            Some(acc.id),
            username,
            "login_failed",
            "account",
            reason,
            address,
        )
        .await?;
        if attempt >= policy.max_failures {
            lock(db, &acc, attempt).await?;
        }
        return Err(LoginError::Invalid);
    }
    let mut am: account::ActiveModel = acc.clone().into();
    am.failed_logins = Set(0);
    am.locked_until = Set(None);
    let acc = am.update(db).await?;
    let token = new_secret();
    session::ActiveModel {
        id: Set(sha256_hex(&token)),
        account_id: Set(acc.id),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(policy.session_hours)),
        revoked_at: Set(None),
        address: Set(address.to_string()),
    }
    .insert(db)
    .await?;
    audit(
        db,
        now,
        Some(acc.id),
        username,
        "login",
        "account",
        "",
        address,
    )
    .await?;
    Ok((token, acc))
}

/// A live session's caller and the moment the session ends.
async fn session_lookup(
    db: &impl ConnectionTrait,
    hash: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Caller, DateTime<Utc>)>, DbErr> {
    let Some(s) = session::Entity::find_by_id(hash).one(db).await? else {
        return Ok(None);
    };
    if s.revoked_at.is_some() || s.expires_at <= now {
        return Ok(None);
    }
    Ok(live_caller(db, s.account_id, address, now)
        .await?
        .map(|c| (c, s.expires_at)))
}

/// The caller behind an API token.
async fn token_lookup(
    db: &impl ConnectionTrait,
    hash: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Option<Caller>, DbErr> {
    let Some(t) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if t.revoked_at.is_some() {
        return Ok(None);
    }
    live_caller(db, t.account_id, address, now).await
}

/// What ends remembered sessions in every process: raised by a logout, a changed or reset
/// password, a disabled account, a revoked token, an import that may move regions.
pub async fn raise_epoch(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared("UPDATE stamp SET n = n + 1 WHERE name = 'auth'")
        .await?;
    Ok(())
}

async fn epoch(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    super::stamp(db, "auth").await
}

/// Callers remembered by the hash of their session cookie or API token, so that a request
/// costs one read of the epoch instead of the session, the account, its grants and their
/// regions. An entry is trusted only while the epoch it was read under is still the database's,
/// for at most a minute, and never past the session's end: a logout, password change or
/// disable in any process is seen by the next request everywhere.
#[derive(Default)]
pub struct Sessions {
    remembered: std::sync::Mutex<rustc_hash::FxHashMap<String, Remembered>>,
}

struct Remembered {
    caller: Caller,
    ends: Option<DateTime<Utc>>,
    epoch: i64,
    at: std::time::Instant,
}

/// How many callers a process remembers; past it the memory starts over.
const REMEMBERED: usize = 10_000;

impl Sessions {
    /// The caller behind a session cookie (`token = false`) or an API token.
    pub async fn caller(
        &self,
        db: &impl ConnectionTrait,
        secret: &str,
        api_token: bool,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Caller>, DbErr> {
        let hash = sha256_hex(secret);
        let key = if api_token {
            format!("t{hash}")
        } else {
            format!("s{hash}")
        };
        // Read before the lookup: a raise in between leaves the entry already stale.
        let epoch = epoch(db).await?;
        if let Some(mut c) = self.recall(&key, epoch, now) {
            c.address = address.to_string();
            c.now = now;
            return Ok(Some(c));
        }
        let found = if api_token {
            token_lookup(db, &hash, address, now)
                .await?
                .map(|c| (c, None))
        } else {
            session_lookup(db, &hash, address, now)
                .await?
                .map(|(c, ends)| (c, Some(ends)))
        };
        let mut m = match self.remembered.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        match &found {
            Some((c, ends)) => {
                if m.len() >= REMEMBERED {
                    m.clear();
                }
                m.insert(
                    key,
                    Remembered {
                        caller: c.clone(),
                        ends: *ends,
                        epoch,
                        at: std::time::Instant::now(),
                    },
                );
            }
            None => {
                m.remove(&key);
            }
        }
        Ok(found.map(|(c, _)| c))
    }

    fn recall(&self, key: &str, epoch: i64, now: DateTime<Utc>) -> Option<Caller> {
        let m = match self.remembered.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let r = m.get(key)?;
        (r.epoch == epoch
            && r.at.elapsed() < std::time::Duration::from_secs(60)
            && r.ends.is_none_or(|e| e > now))
        .then(|| r.caller.clone())
    }
}

async fn live_caller(
    db: &impl ConnectionTrait,
    account_id: i32,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Option<Caller>, DbErr> {
    match account::Entity::find_by_id(account_id).one(db).await? {
        Some(a) if !a.disabled => Ok(Some(caller_for(db, a, address, now).await?)),
        _ => Ok(None),
    }
}

pub async fn logout(db: &impl ConnectionTrait, token: &str, caller: &Caller) -> Result<(), DbErr> {
    if let Some(s) = session::Entity::find_by_id(sha256_hex(token))
        .one(db)
        .await?
    {
        let mut am: session::ActiveModel = s.into();
        am.revoked_at = Set(Some(caller.now));
        am.update(db).await?;
        raise_epoch(db).await?;
    }
    audit_by(db, caller, "logout", "account").await
}

async fn revoke_all(
    db: &impl ConnectionTrait,
    account_id: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(
            session::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    // A changed or reset password ends the account's API tokens too: a token made with the old
    // password must not outlive it.
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_token::Column::AccountId.eq(account_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    raise_epoch(db).await
}

/// Sets a new password; `must_change` for an initial one handed out by an administrator.
/// Other sessions of the account end.
pub async fn set_password(
    db: &impl ConnectionTrait,
    account_id: i32,
    password: &str,
    must_change: bool,
    actor: &Caller,
    keep_session: Option<&str>,
) -> Result<(), AccountError> {
    crate::domain::access::check_password(password).map_err(AccountError::Invalid)?;
    let acc = account::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .ok_or(AccountError::Invalid("账号不存在".into()))?;
    let hash = hash_password(password.to_string()).await?;
    let username = acc.username.clone();
    let mut am: account::ActiveModel = acc.into();
    am.password_hash = Set(hash);
    am.must_change_password = Set(must_change);
    am.failed_logins = Set(0);
    am.locked_until = Set(None);
    am.update(db).await?;
    revoke_all(db, account_id, actor.now).await?;
    if let Some(token) = keep_session {
        session::Entity::update_many()
            .col_expr(
                session::Column::RevokedAt,
                sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(session::Column::Id.eq(sha256_hex(token)))
            .exec(db)
            .await?;
    }
    let action = if must_change {
        "password_reset"
    } else {
        "password_change"
    };
    audit_by(db, actor, action, &format!("account:{username}")).await?;
    Ok(())
}

pub async fn set_disabled(
    db: &impl ConnectionTrait,
    username: &str,
    disabled: bool,
    actor: &Caller,
) -> Result<(), AccountError> {
    let acc = find_account(db, username)
        .await?
        .ok_or(AccountError::Invalid(format!("账号 {username} 不存在")))?;
    let id = acc.id;
    let mut am: account::ActiveModel = acc.into();
    am.disabled = Set(disabled);
    am.update(db).await?;
    raise_epoch(db).await?;
    if disabled {
        revoke_all(db, id, actor.now).await?;
        api_token::Entity::update_many()
            .col_expr(
                api_token::Column::RevokedAt,
                sea_orm::sea_query::Expr::value(actor.now),
            )
            .filter(api_token::Column::AccountId.eq(id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
    }
    let action = if disabled {
        "account_disable"
    } else {
        "account_enable"
    };
    audit_by(db, actor, action, &format!("account:{username}")).await?;
    Ok(())
}

pub async fn accounts(
    db: &impl ConnectionTrait,
) -> Result<Vec<(account::Model, Vec<Grant>)>, DbErr> {
    let list = account::Entity::find()
        .order_by_asc(account::Column::Username)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for a in list {
        let g = grants_of(db, a.id).await?;
        out.push((a, g));
    }
    Ok(out)
}

/// A new API token for the caller's own account; the token is shown once.
pub async fn create_token(
    db: &impl ConnectionTrait,
    caller: &Caller,
    name: &str,
) -> Result<String, DbErr> {
    let token = format!("lx_{}", new_secret());
    api_token::ActiveModel {
        id: NotSet,
        token_hash: Set(sha256_hex(&token)),
        account_id: Set(caller.account_id),
        name: Set(name.to_string()),
        created_at: Set(caller.now),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    audit_by(db, caller, "token_create", &format!("token:{name}")).await?;
    Ok(token)
}

pub async fn tokens_of(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Vec<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::AccountId.eq(account_id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await
}

pub async fn revoke_token(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<bool, DbErr> {
    let Some(t) = api_token::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    if t.account_id != caller.account_id {
        return Ok(false);
    }
    let name = t.name.clone();
    let mut am: api_token::ActiveModel = t.into();
    am.revoked_at = Set(Some(caller.now));
    am.update(db).await?;
    raise_epoch(db).await?;
    audit_by(db, caller, "token_revoke", &format!("token:{name}")).await?;
    Ok(true)
}

/// An audit entry for something a caller did, with no further detail.
async fn audit_by(
    db: &impl ConnectionTrait,
    caller: &Caller,
    action: &str,
    target: &str,
) -> Result<(), DbErr> {
    audit(
        db,
        caller.now,
        Some(caller.account_id),
        &caller.username,
        action,
        target,
        "",
        &caller.address,
    )
    .await
}

/// Appends to the audit log. Never logs personal data: targets are row ids and codes.
#[allow(clippy::too_many_arguments)]
pub async fn audit(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    account_id: Option<i32>,
    username: &str,
    action: &str,
    target: &str,
    detail: &str,
    address: &str,
) -> Result<(), DbErr> {
    audit::ActiveModel {
        id: NotSet,
        at: Set(at),
        account_id: Set(account_id),
        username: Set(username.chars().take(64).collect()),
        action: Set(action.to_string()),
        target: Set(target.to_string()),
        detail: Set(detail.to_string()),
        address: Set(address.chars().take(64).collect()),
    }
    .insert(db)
    .await?;
    Ok(())
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    pub username: Option<String>,
    pub action: Option<String>,
    pub page: Option<u64>,
}

pub async fn search_audit(
    db: &impl ConnectionTrait,
    q: &AuditQuery,
) -> Result<super::registry::Page<audit::Model>, DbErr> {
    let mut sel = audit::Entity::find();
    if let Some(u) = q.username.as_deref().filter(|s| !s.is_empty()) {
        sel = sel.filter(audit::Column::Username.eq(u));
    }
    if let Some(a) = q.action.as_deref().filter(|s| !s.is_empty()) {
        sel = sel.filter(audit::Column::Action.eq(a));
    }
    super::registry::paged_by(
        db,
        sel.order_by_desc(audit::Column::Id),
        q.page.unwrap_or(1),
        50,
    )
    .await
}
