//! Import, export and blank templates over the API.

use crate::domain::access::Capability;
use crate::domain::formats::ImportError;
use crate::domain::formats::Kind;
use crate::error::{ApiError, AppError};
use crate::exchange;
use crate::startup::AppState;
use crate::store::access::{self, Caller};
use crate::store::import::{ImportFailure, ImportOptions, Outcome};
use crate::web::auth::require;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    // An import's body is spooled to disk under its own limit (`max_upload_mib`), not the
    // small limit of every other request.
    let import = OpenApiRouter::new()
        .routes(routes!(import))
        .layer(axum::extract::DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .merge(import)
        .routes(routes!(export))
        .routes(routes!(template))
}

fn kind(s: &str) -> Result<Kind, AppError> {
    Kind::parse(s).map_err(AppError::BadRequest)
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct ImportQuery {
    /// The file's name; its ending (`.csv` or `.xlsx`) says how to read it.
    file: String,
    /// Check everything and report what would change, but write nothing.
    #[serde(default)]
    dry_run: bool,
}

/// Imports one FORMATS.md file (the request body). Any bad row: 422 with every
/// bad row, and nothing written. The same file twice changes nothing.
#[utoipa::path(post, path = "/import/{kind}", tag = "exchange", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Outcome), (status = 422, body = crate::error::ErrorBody)))]
async fn import(
    State(s): State<AppState>,
    caller: Caller,
    Path(k): Path<String>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Body,
) -> Result<Json<Outcome>, ApiError> {
    require(&caller, Capability::Import)?;
    let k = kind(&k)?;
    let received = crate::web::upload::Spool::body(&s, body)
        .await?
        .finish()
        .await?;
    // One import reads its file at a time; others wait their turn with theirs on disk.
    let _turn = s.imports.acquire().await?;
    let bytes = received.bytes().await?;
    let files = Ok(vec![exchange::load_file(k, &q.file, &bytes).into()]);
    drop(bytes);
    let opts = ImportOptions {
        dry_run: q.dry_run,
        hold_before_commit: s
            .config
            .hold_import_before_commit_secs
            .map(std::time::Duration::from_secs),
        item_clock: Some(s.policy().ledger.item),
        now: caller.now,
        account: Some(caller.account_id),
        progress: None,
    };
    match run_import(&s, &caller, files, &opts, &q.file).await {
        Ok(o) => Ok(Json(o)),
        Err(ImportFailure::Invalid(rows)) => Err(AppError::Import(rows).into()),
        Err(ImportFailure::Db(e)) => Err(AppError::from(e).into()),
    }
}

pub fn xlsx(name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}.xlsx\"; filename*=UTF-8''{}.xlsx",
        ascii_name(name),
        url_encode(name)
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

fn ascii_name(name: &str) -> String {
    let s: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if s.is_empty() { "lianxin".into() } else { s }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A registry list as `.xlsx` in the FORMATS.md layout (ID numbers and phones masked).
#[utoipa::path(get, path = "/export/{kind}", tag = "exchange",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn export(
    State(s): State<AppState>,
    caller: Caller,
    Path(k): Path<String>,
) -> Result<Response, ApiError> {
    require(&caller, Capability::Export)?;
    let k = kind(&k)?;
    audit_export(&s, &caller, k).await?;
    let rows = exchange::export_rows(&s.reads, k, false).await?;
    let bytes = exchange::write_xlsx(k.zh(), &exchange::headers(k), &rows)?;
    Ok(xlsx(k.key(), bytes))
}

/// A blank import template, with a second sheet explaining every column.
#[utoipa::path(get, path = "/templates/{kind}", tag = "exchange",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn template(_: Caller, Path(k): Path<String>) -> Result<Response, ApiError> {
    let k = kind(&k)?;
    Ok(xlsx(
        &format!("{}-template", k.key()),
        exchange::template(k)?,
    ))
}

/// Imports as the caller: history names them, and a committed import is audited.
pub async fn run_import(
    s: &AppState,
    caller: &Caller,
    files: Result<Vec<crate::store::import::Source>, Vec<ImportError>>,
    opts: &ImportOptions,
    file: &str,
) -> Result<Outcome, ImportFailure> {
    let outcome = exchange::import_files(&s.db, files, &caller.username, opts).await?;
    if !outcome.dry_run {
        let summary: Vec<String> = outcome
            .tallies
            .iter()
            .filter(|(_, t)| t.created + t.updated > 0)
            .map(|(k, t)| format!("{k}: +{} ~{}", t.created, t.updated))
            .collect();
        access::audit(
            &s.db,
            caller.now,
            Some(caller.account_id),
            &caller.username,
            "import",
            file,
            &summary.join("; "),
            &caller.address,
        )
        .await?;
    }
    Ok(outcome)
}

pub async fn audit_export(s: &AppState, caller: &Caller, k: Kind) -> Result<(), AppError> {
    access::audit(
        &s.db,
        caller.now,
        Some(caller.account_id),
        &caller.username,
        "export",
        k.key(),
        "已脱敏",
        &caller.address,
    )
    .await?;
    Ok(())
}
