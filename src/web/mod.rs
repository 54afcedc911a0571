//! HTTP: JSON API under `/api/v1` (OpenAPI at `/api/docs`) and server-rendered pages.

pub mod api;
pub mod auth;
pub mod limit;
pub mod menu;
pub mod pages;
pub mod upload;
pub mod view;

use crate::startup::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Instant;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::SwaggerUi;

pub fn router(state: AppState) -> Router {
    // Every request's body is small; an import's file is spooled to disk under its own limit.
    let limit = state.config.max_request_kib.saturating_mul(1024);
    let (api, mut openapi) = api::router().split_for_parts();
    api::declare_responses(&mut openapi);
    // The API's documentation and the metrics are for the county's own people, not strangers:
    // the documentation for anyone logged in, the metrics for an administrator (a scraper
    // sends an administrator's API token).
    let docs = Router::from(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .layer(middleware::from_fn(logged_in));
    Router::new()
        .merge(pages::router())
        .merge(api.layer(middleware::from_fn(api::json_rejections)))
        .merge(docs)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/static/{file}", get(pages::static_file))
        .fallback(crate::error::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(menu::layout))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), durable))
        // Cross-site form and API writes are refused (Sec-Fetch-Site / Origin).
        .layer(tower_http::csrf::CsrfLayer::new())
        .layer(middleware::from_fn(track))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::client_address,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

async fn healthz(State(s): State<AppState>) -> Response {
    match s.db.ping().await {
        Ok(()) => "ok".into_response(),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable",
        )
            .into_response(),
    }
}

async fn metrics(
    State(s): State<AppState>,
    caller: crate::store::access::Caller,
) -> Result<String, crate::error::ApiError> {
    if !caller.can(crate::domain::access::Capability::ManageAccounts) {
        return Err(crate::error::AppError::Forbidden.into());
    }
    Ok(s.metrics.render())
}

/// Refuses a request without a session or token (401 for the API's documentation).
async fn logged_in(req: Request, next: Next) -> Response {
    if req
        .extensions()
        .get::<crate::store::access::Caller>()
        .is_none()
    {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"error": "请先登录（会话或 API 令牌）"})),
        )
            .into_response();
    }
    next.run(req).await
}

/// A request that may have written takes this process's writing turn (SQLite) and is answered
/// only after its commits are on the disk; the flush happens after the turn is passed on, so the
/// next writer's commit joins the next flush. The turn is taken only once the request's body
/// has arrived, so a slow sender (a phone on a weak signal, or someone stalling on purpose)
/// holds up nobody else; bodies larger than a form (an import's file) or of unknown length are
/// not queued and wait on SQLite's own lock instead. Logins are not queued behind the hash.
async fn durable(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    let limit = s.config.max_request_kib.saturating_mul(1024);
    let small = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n <= limit);
    let res = if !small || req.uri().path() == "/login" {
        next.run(req).await
    } else {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                "请求内容未能完整收到，请重试",
            )
                .into_response();
        };
        let mut req = Request::from_parts(parts, axum::body::Body::from(bytes));
        let _turn = s.durability.turn().await;
        if let Some(writer) = s.quick.begin_turn() {
            req.extensions_mut().insert(Turn(writer));
        }
        let res = next.run(req).await;
        if let Err(e) = s.quick.end_turn() {
            tracing::error!("写入未能完成：{e}");
            return crate::error::AppError::Internal(anyhow::anyhow!("写入未能完成"))
                .into_response();
        }
        res
    };
    if let Err(e) = s.durability.settle().await {
        tracing::error!("写入未能落盘：{e}");
        return crate::error::AppError::Internal(anyhow::anyhow!("写入未能落盘")).into_response();
    }
    res
}

/// The writer lent to the request holding the writing turn (`store::quick`).
#[derive(Clone)]
struct Turn(sea_orm::DatabaseConnection);

/// The connection a writing request reads and writes through: on a SQLite file, the writer of
/// the process's writing turn (its statements run on the request's own thread); otherwise, or
/// for a request not queued for the turn, the pool.
pub struct Writing(pub sea_orm::DatabaseConnection);

impl axum::extract::FromRequestParts<AppState> for Writing {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Writing(match parts.extensions.get::<Turn>() {
            Some(t) => t.0.clone(),
            None => s.db.clone(),
        }))
    }
}

/// Counts and times requests by route (never by raw path: paths can hold codes).
async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}
