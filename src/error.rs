//! One error type for handlers: JSON for the API, an HTML page for people.
//! Internal details are logged with a request ID, never shown.

use crate::domain::formats::ImportError;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

#[derive(Debug)]
pub enum AppError {
    NotFound(String),
    /// The caller's roles do not allow this action.
    Forbidden,
    /// Not allowed, with the reason.
    Refused(String),
    BadRequest(String),
    /// The request is larger than this address accepts.
    TooLarge,
    Import(Vec<ImportError>),
    Internal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for AppError {
    fn from(e: E) -> Self {
        AppError::Internal(e.into())
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<ImportError>,
}

impl AppError {
    /// What the person is told (an internal error: its number only; the details are logged).
    pub fn message(&self) -> String {
        self.parts().1
    }

    fn parts(&self) -> (StatusCode, String) {
        match self {
            AppError::NotFound(what) => (StatusCode::NOT_FOUND, format!("未找到{what}")),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "您的角色无权进行此操作".into()),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            AppError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "提交的内容过大，未处理".into(),
            ),
            AppError::Refused(m) => (StatusCode::FORBIDDEN, m.clone()),
            AppError::Import(rows) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("导入失败：{}处错误，未写入任何数据", rows.len()),
            ),
            AppError::Internal(e) => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                tracing::error!(request_id = %id, error = %e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("系统内部错误（编号 {}），请联系管理员", &id[..8]),
                )
            }
        }
    }

    /// The JSON answer of the API.
    pub fn json(self) -> Response {
        let (status, error) = self.parts();
        let rows = match self {
            AppError::Import(rows) => rows,
            _ => vec![],
        };
        (status, axum::Json(ErrorBody { error, rows })).into_response()
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// Pages answer with a page of their own: the menu, the reason in Chinese, a way back.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = self.parts();
        let title = match status {
            StatusCode::NOT_FOUND => "找不到这个页面",
            StatusCode::FORBIDDEN => "无权访问",
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "请求有误",
            _ => "出错了",
        };
        let body = askama::Template::render(&ErrorPage {
            title,
            message: &message,
        })
        .unwrap_or_else(|_| {
            format!(
                "<!doctype html><meta charset=\"utf-8\"><p>{}</p>",
                html_escape(&message)
            )
        });
        (status, Html(body)).into_response()
    }
}

/// Any path no route answers: a Chinese page (or JSON under `/api`).
pub async fn not_found(uri: axum::http::Uri) -> Response {
    let e = AppError::NotFound("该页面（地址有误或已删除）".into());
    if uri.path().starts_with("/api/") {
        e.json()
    } else {
        e.into_response()
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError as W;
        match e {
            W::Invalid(m) => AppError::BadRequest(m),
            W::Forbidden(m) => AppError::Refused(m),
            W::NotFound(m) => AppError::NotFound(m),
            W::Db(e) => AppError::Internal(e.into()),
        }
    }
}

/// API handlers return this; it answers in JSON.
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.json()
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
