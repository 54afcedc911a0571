//! Import from the browser (upload, check, confirm), templates and exports.

use super::render;
use crate::domain::access::Capability;
use crate::domain::formats::{ImportError, Kind};
use crate::error::AppError;
use crate::exchange;
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::import::{ImportFailure, ImportOptions, Outcome, Progress, Tally};
use crate::web::api::exchange::{audit_export, run_import, xlsx};
use crate::web::auth::require;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use std::path::PathBuf;
use std::sync::Arc;

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

/// The outcome of a check: what would be written, or every problem found.
#[derive(Template)]
#[template(path = "exchange/checked.html")]
struct Checked {
    token: String,
    errors: Vec<ImportError>,
    tallies: Vec<(&'static str, Tally)>,
}

/// The outcome of a confirmed import: what was written.
#[derive(Template)]
#[template(path = "exchange/written.html")]
struct Written {
    tallies: Vec<(&'static str, Tally)>,
}

/// The page of a running import, cut at `mark` where its progress goes.
#[derive(Template)]
#[template(path = "exchange/running.html")]
struct Running<'a> {
    heading: &'a str,
    file: &'a str,
    mark: &'a str,
}

/// One line of progress: the file, its rows, how many are checked and written.
#[derive(Template)]
#[template(path = "exchange/progress.html")]
struct ProgressLine {
    queued: bool,
    file: String,
    rows: usize,
    checked: usize,
    written: usize,
    writing: bool,
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
) -> Result<Response, AppError> {
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
    let file = name.clone();
    streamed(
        &s,
        &caller,
        true,
        &file,
        move |s, caller, opts| async move {
            let bytes = received.bytes().await?;
            let outcome = match import_one(&s, &caller, kind, &name, bytes, &opts).await? {
                Ok(outcome) => outcome,
                Err(problems) => return Ok(problems),
            };
            let token = uuid::Uuid::new_v4().simple().to_string();
            let dir = upload_dir(&s, &token)?.join(kind.key());
            received.keep(dir.join(&name)).await?;
            Ok(Checked {
                token,
                errors: vec![],
                tallies: tallies(&outcome),
            }
            .render()?)
        },
    )
}

/// Checks (a dry run) or imports one uploaded file; its problems as the page lists them.
async fn import_one(
    s: &AppState,
    caller: &Caller,
    kind: Kind,
    name: &str,
    bytes: impl AsRef<[u8]>,
    opts: &ImportOptions,
) -> Result<Result<Outcome, String>, AppError> {
    let files = Ok(vec![exchange::load_file(kind, name, bytes.as_ref()).into()]);
    // The file's rows are parsed: its bytes need not wait for the import.
    drop(bytes);
    match run_import(s, caller, files, opts, name).await {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(ImportFailure::Invalid(errors)) => Ok(Err(Checked {
            token: String::new(),
            errors,
            tallies: vec![],
        }
        .render()?)),
        Err(ImportFailure::Db(e)) => Err(e.into()),
    }
}

/// A page that shows where a long import stands while it runs: the top of the page at once, a
/// line of progress each half second (the newest shown, by CSS: no script needed), then the
/// outcome and the rest of the page. A county's file takes tens of seconds to check and as
/// long to write; the person sees rows checked and written instead of a browser that seems to
/// hang. The work runs on its own task: a browser closed midway leaves the import to finish
/// (or roll back) whole.
///
/// `work` is the check (`dry_run`) or the import of the file, given the state, the caller and
/// the page's import options once its turn has come (one import at a time; the page says so
/// while it waits).
fn streamed<W, F>(
    s: &AppState,
    caller: &Caller,
    dry_run: bool,
    file: &str,
    work: W,
) -> Result<Response, AppError>
where
    W: FnOnce(AppState, Caller, ImportOptions) -> F + Send + 'static,
    F: std::future::Future<Output = Result<String, AppError>> + Send + 'static,
{
    use axum::body::{Body, Bytes};
    use http_body_util::channel::Channel;
    const MARK: &str = "<!--import-progress-->";
    let progress = Arc::new(Progress::default());
    let opts = ImportOptions {
        dry_run,
        item_clock: Some(s.policy().ledger.item),
        account: Some(caller.account_id),
        progress: Some(progress.clone()),
        ..ImportOptions::at(caller.now)
    };
    let writing = !dry_run;
    let page = Running {
        heading: if dry_run { "导入检查" } else { "导入" },
        file,
        mark: MARK,
    }
    .render()?;
    let page = crate::web::menu::filled(&page, caller);
    let (head, tail) = page.split_once(MARK).unwrap_or((page.as_str(), ""));
    let (head, tail) = (head.to_string(), tail.to_string());
    let (mut tx, body) = Channel::<Bytes, std::convert::Infallible>::new(4);
    let (state, who, waiting) = (s.clone(), caller.clone(), progress.clone());
    let mut task = tokio::spawn(async move {
        // One import reads its file at a time; others wait their turn with theirs on disk.
        waiting.queue(true);
        let turn = state.imports.acquire().await;
        waiting.queue(false);
        let _turn = turn?;
        work(state.clone(), who, opts).await
    });
    tokio::spawn(async move {
        let line = |now: &crate::store::import::Reading| {
            ProgressLine {
                queued: now.queued,
                file: now.file.clone(),
                rows: now.rows,
                checked: now.checked,
                written: now.written,
                writing,
            }
            .render()
            .unwrap_or_default()
        };
        // A line is sent when what it says changes (a check's trial writes move no number
        // the person sees).
        let mut shown = line(&progress.read());
        if tx.send_data(format!("{head}{shown}").into()).await.is_err() {
            return;
        }
        let outcome = loop {
            tokio::select! {
                done = &mut task => break done,
                _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {
                    let now = line(&progress.read());
                    if now == shown {
                        continue;
                    }
                    shown = now;
                    if tx.send_data(shown.clone().into()).await.is_err() {
                        // The browser has gone; the work goes on to its end on its own.
                        return;
                    }
                }
            }
        };
        // Where it ended: the file's rows all checked (and written), or where a problem stopped it.
        let last = line(&progress.read());
        if last != shown {
            let _ = tx.send_data(last.into()).await;
        }
        let html = match outcome {
            Ok(Ok(html)) => html,
            Ok(Err(e)) => format!(
                "<div class=\"card\"><p class=\"error\">{}</p><p><a class=\"button\" href=\"/import\">返回导入</a></p></div>",
                crate::error::html_escape(&e.message())
            ),
            Err(e) => format!(
                "<div class=\"card\"><p class=\"error\">{}</p></div>",
                crate::error::html_escape(&AppError::Internal(e.into()).message())
            ),
        };
        let _ = tx.send_data(html.into()).await;
        let _ = tx.send_data(tail.into()).await;
    });
    Ok((
        axum::Extension(crate::web::menu::Streamed),
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // A proxy in front (nginx) passes each line on as it comes.
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::new(body),
    )
        .into_response())
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
) -> Result<Response, AppError> {
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
    let file = name.clone();
    streamed(
        &s,
        &caller,
        false,
        &file,
        move |s, caller, opts| async move {
            let bytes = tokio::fs::read(&path).await?;
            // Problems now: the data changed since the check.
            let outcome = match import_one(&s, &caller, kind, &name, bytes, &opts).await? {
                Ok(outcome) => outcome,
                Err(problems) => return Ok(problems),
            };
            // Said written only once it would survive a power loss.
            s.durability.settle().await?;
            let _ = tokio::fs::remove_dir_all(&dir).await;
            Ok(Written {
                tallies: tallies(&outcome),
            }
            .render()?)
        },
    )
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
