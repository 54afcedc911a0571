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
    fn parts(&self) -> (StatusCode, String) {
        match self {
            AppError::NotFound(what) => (StatusCode::NOT_FOUND, format!("未找到{what}")),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "您的角色无权进行此操作".into()),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
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

/// Pages answer with a small HTML page.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = self.parts();
        let body = format!(
            "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><link rel=\"stylesheet\" href=\"/static/app.css\"><title>出错了</title><main class=\"wrap\"><h1>出错了</h1><p class=\"error\">{}</p><p><a href=\"/\">返回首页</a></p></main></html>",
            html_escape(&message)
        );
        (status, Html(body)).into_response()
    }
}

impl From<crate::store::work::WorkError> for AppError {
    fn from(e: crate::store::work::WorkError) -> Self {
        use crate::store::work::WorkError as W;
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
