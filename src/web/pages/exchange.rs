//! Import from the browser (upload, check, confirm), templates and exports.

use super::render;
use crate::domain::access::Capability;
use crate::domain::formats::{ImportError, Kind};
use crate::error::AppError;
use crate::exchange;
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::import::{ImportFailure, ImportOptions, Outcome, Tally};
use crate::web::api::exchange::{audit_export, run_import, xlsx};
use crate::web::auth::require;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, State};
use axum::response::{Html, Response};
use axum::routing::{get, post};
use std::path::PathBuf;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/import",
            get(form)
                .post(upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/import/confirm", post(confirm))
        .route("/templates/{kind}", get(template))
        .route("/export/{kind}", get(export))
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    Kind::ALL.iter().map(|k| (k.key(), k.zh())).collect()
}

#[derive(Template)]
#[template(path = "exchange/import.html")]
struct ImportForm {
    kinds: Vec<(&'static str, &'static str)>,
    order: String,
}

async fn form(caller: Caller) -> Result<Html<String>, AppError> {
    use crate::domain::access::Capability;
    if !caller.can(Capability::Import) && !caller.can(Capability::Export) {
        return Err(AppError::Forbidden);
    }
    render(&ImportForm {
        kinds: kinds(),
        order: crate::domain::formats::Kind::order_zh(),
    })
}

#[derive(Template)]
#[template(path = "exchange/preview.html")]
struct Preview {
    file: String,
    token: String,
    errors: Vec<ImportError>,
    tallies: Vec<(&'static str, Tally)>,
}

#[derive(Template)]
#[template(path = "exchange/done.html")]
struct Done {
    file: String,
    tallies: Vec<(&'static str, Tally)>,
}

fn tallies(o: &Outcome) -> Vec<(&'static str, Tally)> {
    Kind::ALL
        .iter()
        .filter_map(|k| o.tallies.get(k.key()).map(|t| (k.zh(), *t)))
        .collect()
}

/// Uploads wait here between check and confirmation: `uploads/<token>/<kind>/<file>`.
fn upload_dir(s: &AppState, token: &str) -> Result<PathBuf, AppError> {
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::BadRequest("无效的上传编号".into()));
    }
    Ok(s.config.data_dir.join("uploads").join(token))
}

async fn upload(
    State(s): State<AppState>,
    caller: Caller,
    mut mp: Multipart,
) -> Result<Html<String>, AppError> {
    require(&caller, Capability::Import)?;
    let mut kind = None;
    let mut file = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("上传失败：{e}")))?
    {
        match field.name() {
            Some("kind") => {
                kind = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| AppError::BadRequest(e.to_string()))?,
                )
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let mut spool = crate::web::upload::Spool::new(&s).await?;
                let mut field = field;
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| AppError::BadRequest(format!("上传失败：{e}")))?
                {
                    spool.push(&chunk).await?;
                }
                if !spool.is_empty() {
                    file = Some((name, spool.finish().await?));
                }
            }
            _ => {}
        }
    }
    let kind = Kind::parse(kind.as_deref().unwrap_or("")).map_err(AppError::BadRequest)?;
    let (name, received) = file.ok_or(AppError::BadRequest("请选择要上传的文件".into()))?;
    let name = sanitize(&name);
    let _turn = s.imports.acquire().await?;
    let bytes = received.bytes().await?;
    let files = Ok(vec![exchange::load_file(kind, &name, &bytes).into()]);
    drop(bytes);
    let opts = ImportOptions {
        dry_run: true,
        item_clock: Some(s.policy().ledger.item),
        account: Some(caller.account_id),
        ..ImportOptions::at(caller.now)
    };
    match run_import(&s, &caller, files, &opts, &name).await {
        Ok(outcome) => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            let dir = upload_dir(&s, &token)?.join(kind.key());
            received.keep(dir.join(&name)).await?;
            render(&Preview {
                file: name,
                token,
                errors: vec![],
                tallies: tallies(&outcome),
            })
        }
        Err(ImportFailure::Invalid(errors)) => render(&Preview {
            file: name,
            token: String::new(),
            errors,
            tallies: vec![],
        }),
        Err(ImportFailure::Db(e)) => Err(e.into()),
    }
}

/// Keeps only the file's own name: no folders from the browser.
fn sanitize(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .collect();
    if clean.is_empty() || clean.starts_with('.') {
        "upload.csv".into()
    } else {
        clean
    }
}

#[derive(serde::Deserialize)]
struct Confirm {
    token: String,
}

async fn confirm(
    State(s): State<AppState>,
    caller: Caller,
    Form(c): Form<Confirm>,
) -> Result<Html<String>, AppError> {
    require(&caller, Capability::Import)?;
    let dir = upload_dir(&s, &c.token)?;
    let mut found = None;
    if let Ok(mut kinds) = tokio::fs::read_dir(&dir).await {
        while let Ok(Some(k)) = kinds.next_entry().await {
            let kind = k.file_name().to_str().and_then(|n| Kind::parse(n).ok());
            if let (Some(kind), Ok(mut files)) = (kind, tokio::fs::read_dir(k.path()).await)
                && let Ok(Some(f)) = files.next_entry().await
            {
                found = Some((kind, f.file_name().to_string_lossy().to_string(), f.path()));
            }
        }
    }
    let (kind, name, path) = found.ok_or(AppError::NotFound(
        "这次上传（可能已导入或已过期），请重新上传".into(),
    ))?;
    let _turn = s.imports.acquire().await?;
    let bytes = tokio::fs::read(&path).await?;
    let files = Ok(vec![exchange::load_file(kind, &name, &bytes).into()]);
    drop(bytes);
    let result = run_import(
        &s,
        &caller,
        files,
        &ImportOptions {
            item_clock: Some(s.policy().ledger.item),
            account: Some(caller.account_id),
            ..ImportOptions::at(caller.now)
        },
        &name,
    )
    .await;
    match result {
        Ok(outcome) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            render(&Done {
                file: name,
                tallies: tallies(&outcome),
            })
        }
        // The data changed since the check: show the new problems.
        Err(ImportFailure::Invalid(errors)) => render(&Preview {
            file: name,
            token: String::new(),
            errors,
            tallies: vec![],
        }),
        Err(ImportFailure::Db(e)) => Err(e.into()),
    }
}

async fn template(_: Caller, Path(k): Path<String>) -> Result<Response, AppError> {
    let k = Kind::parse(&k).map_err(AppError::NotFound)?;
    Ok(xlsx(
        &format!("{}-template", k.key()),
        exchange::template(k)?,
    ))
}

async fn export(
    State(s): State<AppState>,
    caller: Caller,
    Path(k): Path<String>,
) -> Result<Response, AppError> {
    require(&caller, Capability::Export)?;
    let k = Kind::parse(&k).map_err(AppError::NotFound)?;
    audit_export(&s, &caller, k).await?;
    let rows = exchange::export_rows(&s.reads, k, false).await?;
    Ok(xlsx(
        k.key(),
        exchange::write_xlsx(k.zh(), &exchange::headers(k), &rows)?,
    ))
}
