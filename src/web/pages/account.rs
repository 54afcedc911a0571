//! Login, logout, one's own account (password, API tokens), and the administrators'
//! pages for accounts and the audit log.

use super::render;
use crate::domain::access::{AccessRole, Capability, Grant, scope_for};
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::access::{self, AccountError, AuditQuery, Caller, LoginError, NewAccount};
use crate::store::entities::{account, api_token, audit};
use crate::store::registry::Page;
use crate::web::auth::{self, require};
use crate::web::view::beijing_time;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        // A stranger's request holds little memory: the login form is a few hundred bytes.
        .route(
            "/login",
            get(login_form)
                .post(login)
                .layer(axum::extract::DefaultBodyLimit::max(
                    super::PUBLIC_BODY_LIMIT,
                )),
        )
        .route("/logout", post(logout))
        .route("/account", get(me))
        .route(
            "/account/password",
            get(password_form).post(change_password),
        )
        .route("/account/tokens", post(new_token))
        .route("/account/tokens/revoke", post(revoke_token))
        .route("/admin/accounts", get(accounts).post(create_account))
        .route("/admin/accounts/reset", post(reset_password))
        .route("/admin/accounts/disable", post(disable))
        .route("/admin/audit", get(audit_log))
}

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    next: String,
    error: String,
    username: String,
}

#[derive(serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only local paths: a login link cannot send anyone elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

async fn login_form(Query(q): Query<NextQuery>) -> Result<Html<String>, AppError> {
    render(&LoginPage {
        next: safe_next(q.next.as_deref()),
        error: String::new(),
        username: String::new(),
    })
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(s): State<AppState>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    let address = auth::address(req.extensions());
    let Form(f): Form<LoginForm> = Form::from_request(req, &s).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest("请填写用户名和密码".into())
        }
    })?;
    let policy = s.config.login_policy();
    let next = safe_next(f.next.as_deref());
    let username = f.username.trim().to_string();
    let fail = |status: StatusCode, error: String| -> Result<Response, AppError> {
        let page = render(&LoginPage {
            next: next.clone(),
            error,
            username: username.clone(),
        })?;
        Ok((status, page).into_response())
    };
    match access::login(
        &s.db,
        &username,
        &f.password,
        &address,
        chrono::Utc::now(),
        &policy,
    )
    .await
    {
        Ok((token, acc)) => {
            let cookie = auth::session_cookie(
                &token,
                auth::secure(&s, &headers),
                policy.session_hours * 3600,
            );
            let to = if acc.must_change_password {
                "/account/password".to_string()
            } else {
                next.clone()
            };
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response())
        }
        Err(LoginError::Invalid) => fail(StatusCode::UNAUTHORIZED, "用户名或密码错误".into()),
        Err(LoginError::Locked(until)) => fail(
            StatusCode::LOCKED,
            format!(
                "登录失败次数过多，账号已临时锁定至 {}，请稍后再试或联系管理员",
                beijing_time(&until)
            ),
        ),
        Err(LoginError::AddressBlocked) => fail(
            StatusCode::TOO_MANY_REQUESTS,
            "此地址登录失败次数过多，请稍后再试".into(),
        ),
        Err(LoginError::Db(e)) => Err(e.into()),
    }
}

use axum::extract::FromRequest;

async fn logout(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(t) = auth::session_token(&headers) {
        access::logout(&s.db, &t, &caller).await?;
    }
    let gone = format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
        auth::COOKIE
    );
    Ok(([(header::SET_COOKIE, gone)], Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "account/me.html")]
struct Me {
    caller: Caller,
    tokens: Vec<api_token::Model>,
    new_token: String,
    admin: bool,
}

async fn me(State(s): State<AppState>, caller: Caller) -> Result<Html<String>, AppError> {
    let tokens = access::tokens_of(&s.db, caller.account_id).await?;
    let admin = caller.can(Capability::ManageAccounts);
    render(&Me {
        caller,
        tokens,
        new_token: String::new(),
        admin,
    })
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    forced: bool,
    error: String,
    done: bool,
}

async fn password_form(caller: Caller) -> Result<Html<String>, AppError> {
    render(&PasswordPage {
        forced: caller.must_change_password,
        error: String::new(),
        done: false,
    })
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
    again: String,
}

async fn change_password(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let page = |error: &str, done: bool| {
        render(&PasswordPage {
            forced: caller.must_change_password,
            error: error.to_string(),
            done,
        })
    };
    let acc = account::Entity::find_by_id(caller.account_id)
        .one(&s.db)
        .await?
        .ok_or(AppError::NotFound("账号".into()))?;
    if !access::verify_password(f.current.clone(), acc.password_hash.clone()).await {
        return Ok((StatusCode::BAD_REQUEST, page("当前密码不正确", false)?).into_response());
    }
    if f.new != f.again {
        return Ok((
            StatusCode::BAD_REQUEST,
            page("两次输入的新密码不一致", false)?,
        )
            .into_response());
    }
    if f.new == f.current {
        return Ok((
            StatusCode::BAD_REQUEST,
            page("新密码不能与当前密码相同", false)?,
        )
            .into_response());
    }
    let token = auth::session_token(&headers);
    match access::set_password(
        &s.db,
        caller.account_id,
        &f.new,
        false,
        &caller,
        token.as_deref(),
    )
    .await
    {
        Ok(()) => Ok(page("", true)?.into_response()),
        Err(AccountError::Invalid(m)) => {
            Ok((StatusCode::BAD_REQUEST, page(&m, false)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

use sea_orm::EntityTrait;

#[derive(serde::Deserialize)]
struct TokenForm {
    name: String,
}

async fn new_token(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<TokenForm>,
) -> Result<Html<String>, AppError> {
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::BadRequest("请填写令牌用途（60字以内）".into()));
    }
    let token = access::create_token(&s.db, &caller, name).await?;
    let tokens = access::tokens_of(&s.db, caller.account_id).await?;
    let admin = caller.can(Capability::ManageAccounts);
    render(&Me {
        caller,
        tokens,
        new_token: token,
        admin,
    })
}

#[derive(serde::Deserialize)]
struct IdForm {
    id: i32,
}

async fn revoke_token(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<IdForm>,
) -> Result<Redirect, AppError> {
    if !access::revoke_token(&s.db, &caller, f.id).await? {
        return Err(AppError::NotFound("该令牌".into()));
    }
    Ok(Redirect::to("/account"))
}

pub struct AccountRow {
    pub username: String,
    pub display_name: String,
    pub grants: String,
    pub disabled: bool,
    pub must_change: bool,
    pub locked: bool,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct Accounts {
    rows: Vec<AccountRow>,
    roles: Vec<(&'static str, &'static str)>,
    message: String,
    error: String,
}

async fn account_rows(s: &AppState) -> Result<Vec<AccountRow>, AppError> {
    let now = chrono::Utc::now();
    Ok(access::accounts(&s.db)
        .await?
        .into_iter()
        .map(|(a, g)| AccountRow {
            grants: g
                .iter()
                .map(|g| format!("{}（{}）", g.role.zh(), g.scope.zh()))
                .collect::<Vec<_>>()
                .join("、"),
            locked: a.locked_until.is_some_and(|u| u > now),
            username: a.username,
            display_name: a.display_name,
            disabled: a.disabled,
            must_change: a.must_change_password,
        })
        .collect())
}

fn roles() -> Vec<(&'static str, &'static str)> {
    AccessRole::ALL.iter().map(|r| (r.code(), r.zh())).collect()
}

async fn accounts(State(s): State<AppState>, caller: Caller) -> Result<Html<String>, AppError> {
    require(&caller, Capability::ManageAccounts)?;
    render(&Accounts {
        rows: account_rows(&s).await?,
        roles: roles(),
        message: String::new(),
        error: String::new(),
    })
}

#[derive(serde::Deserialize)]
struct NewAccountForm {
    username: String,
    display_name: String,
    role: String,
    scope: Option<String>,
    #[serde(default)]
    scope_is_unit: Option<String>,
    person_id_number: Option<String>,
}

async fn create_account(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<NewAccountForm>,
) -> Result<Response, AppError> {
    require(&caller, Capability::ManageAccounts)?;
    let result = async {
        let role = AccessRole::parse(&f.role)?;
        let scope = scope_for(role, f.scope.as_deref(), f.scope_is_unit.is_some())?;
        let person_id = match f
            .person_id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(id) => Some(person_by_id_number(&s, id).await?),
            None => None,
        };
        Ok::<_, String>((role, scope, person_id))
    }
    .await;
    let (role, scope, person_id) = match result {
        Ok(v) => v,
        Err(e) => return accounts_page(&s, String::new(), e).await,
    };
    let password = access::initial_password();
    let new = NewAccount {
        username: f.username.trim().to_string(),
        display_name: if f.display_name.trim().is_empty() {
            f.username.trim().to_string()
        } else {
            f.display_name.trim().to_string()
        },
        person_id,
        password: password.clone(),
        must_change_password: true,
        grants: vec![Grant { role, scope }],
    };
    match access::create_account(&s.db, new, &caller.username, caller.now).await {
        Ok(_) => {
            accounts_page(
                &s,
                format!(
                    "已创建账号 {}，初始密码：{password}（首次登录须修改）",
                    f.username.trim()
                ),
                String::new(),
            )
            .await
        }
        Err(AccountError::Invalid(m)) => accounts_page(&s, String::new(), m).await,
        Err(e) => Err(e.into()),
    }
}

async fn person_by_id_number(s: &AppState, id: &str) -> Result<i32, String> {
    use crate::store::entities::person;
    use sea_orm::{ColumnTrait, QueryFilter};
    let parsed = crate::domain::ids::IdNumber::parse(id)?;
    person::Entity::find()
        .filter(person::Column::IdNumber.eq(parsed.as_str()))
        .one(&s.db)
        .await
        .map_err(|e| e.to_string())?
        .map(|p| p.id)
        .ok_or_else(|| "名册中没有这个身份证号的人员".to_string())
}

async fn accounts_page(s: &AppState, message: String, error: String) -> Result<Response, AppError> {
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = render(&Accounts {
        rows: account_rows(s).await?,
        roles: roles(),
        message,
        error,
    })?;
    Ok((status, page).into_response())
}

#[derive(serde::Deserialize)]
struct UsernameForm {
    username: String,
}

async fn reset_password(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<UsernameForm>,
) -> Result<Response, AppError> {
    require(&caller, Capability::ManageAccounts)?;
    let Some(acc) = access::find_account(&s.db, &f.username).await? else {
        return accounts_page(&s, String::new(), format!("账号 {} 不存在", f.username)).await;
    };
    let password = access::initial_password();
    match access::set_password(&s.db, acc.id, &password, true, &caller, None).await {
        Ok(()) => {
            accounts_page(
                &s,
                format!(
                    "已重置 {} 的密码，初始密码：{password}（登录后须修改）",
                    f.username
                ),
                String::new(),
            )
            .await
        }
        Err(AccountError::Invalid(m)) => accounts_page(&s, String::new(), m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct DisableForm {
    username: String,
    enable: Option<String>,
}

async fn disable(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<DisableForm>,
) -> Result<Response, AppError> {
    require(&caller, Capability::ManageAccounts)?;
    if f.username == caller.username {
        return accounts_page(&s, String::new(), "不能停用自己的账号".into()).await;
    }
    let enable = f.enable.is_some();
    match access::set_disabled(&s.db, &f.username, !enable, &caller).await {
        Ok(()) => {
            accounts_page(
                &s,
                format!(
                    "已{}账号 {}",
                    if enable { "启用" } else { "停用" },
                    f.username
                ),
                String::new(),
            )
            .await
        }
        Err(AccountError::Invalid(m)) => accounts_page(&s, String::new(), m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    actions: Vec<(&'static str, &'static str)>,
    q: AuditQuery,
    page: Page<AuditRow>,
    pager: super::Pager,
}

pub struct AuditRow {
    pub at: String,
    pub username: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub address: String,
}

fn action_zh(a: &str) -> &str {
    match a {
        "login" => "登录",
        "logout" => "退出",
        "login_failed" => "登录失败",
        "login_blocked" => "登录被拒（地址）",
        "account_locked" => "账号锁定",
        "account_create" => "创建账号",
        "account_disable" => "停用账号",
        "account_enable" => "启用账号",
        "password_change" => "修改密码",
        "password_reset" => "重置密码",
        "token_create" => "创建令牌",
        "token_revoke" => "撤销令牌",
        "reveal" => "查看完整信息",
        "import" => "导入",
        "export" => "导出",
        other => other,
    }
}

async fn audit_log(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, AppError> {
    require(&caller, Capability::ReadAudit)?;
    let page = access::search_audit(&s.db, &q)
        .await?
        .map(|a: audit::Model| AuditRow {
            at: beijing_time(&a.at),
            action: action_zh(&a.action).to_string(),
            username: a.username,
            target: a.target,
            detail: a.detail,
            address: a.address,
        });
    let pager = super::Pager::new(
        "/admin/audit",
        &[
            ("username", q.username.as_deref()),
            ("action", q.action.as_deref()),
        ],
        page.page,
        page.pages,
        page.total,
    );
    let actions = [
        "login",
        "login_failed",
        "account_locked",
        "login_blocked",
        "logout",
        "reveal",
        "import",
        "export",
        "account_create",
        "account_disable",
        "password_reset",
        "password_change",
        "token_create",
    ]
    .into_iter()
    .map(|a| (a, action_zh(a)))
    .collect();
    render(&AuditPage {
        q,
        page,
        pager,
        actions,
    })
}
