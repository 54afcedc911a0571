//! Uploads are received into a file, never into memory: a stranger or a careless user sending
//! a large body costs disk for as long as the request lasts, not the server's memory. Files are
//! then read one import at a time (`AppState::imports`).

use crate::error::AppError;
use crate::startup::AppState;
use axum::body::{Body, Bytes};
use http_body_util::BodyExt;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// A file under `data_dir/uploads/incoming` being written; removed when dropped unless kept.
pub struct Spool {
    file: tokio::fs::File,
    path: tempfile::TempPath,
    written: usize,
    limit: usize,
}

impl Spool {
    pub async fn new(s: &AppState) -> Result<Spool, AppError> {
        let dir = s.config.data_dir.join("uploads").join("incoming");
        tokio::fs::create_dir_all(&dir).await?;
        let tmp = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(&dir)?;
        let (std_file, path) = tmp.into_parts();
        Ok(Spool {
            file: tokio::fs::File::from_std(std_file),
            path,
            written: 0,
            limit: s.config.max_upload_mib.saturating_mul(1024 * 1024),
        })
    }

    /// Appends a chunk; more than the setting's size in all is refused (413) and the file goes.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        self.written = self.written.saturating_add(chunk.len());
        if self.written > self.limit {
            return Err(AppError::TooLarge);
        }
        self.file.write_all(chunk).await?;
        Ok(())
    }

    /// Receives a whole request body.
    pub async fn body(s: &AppState, body: Body) -> Result<Spool, AppError> {
        let mut spool = Spool::new(s).await?;
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|e| AppError::BadRequest(format!("上传中断，未处理：{e}")))?;
            if let Ok(data) = frame.into_data() {
                spool.push(&data).await?;
            }
        }
        Ok(spool)
    }

    pub fn len(&self) -> usize {
        self.written
    }

    pub fn is_empty(&self) -> bool {
        self.written == 0
    }

    /// The file written so far, flushed.
    pub async fn finish(mut self) -> Result<Received, AppError> {
        self.file.flush().await?;
        self.file.sync_all().await?;
        Ok(Received { path: self.path })
    }
}

/// An upload on disk; removed when dropped unless kept.
pub struct Received {
    path: tempfile::TempPath,
}

impl Received {
    /// Its bytes, for reading as a sheet (one import at a time reads them).
    pub async fn bytes(&self) -> Result<Bytes, AppError> {
        Ok(Bytes::from(tokio::fs::read(&self.path).await?))
    }

    /// Moves it to `to` and keeps it there.
    pub async fn keep(self, to: PathBuf) -> Result<(), AppError> {
        if let Some(dir) = to.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        self.path
            .persist(&to)
            .map_err(|e| AppError::Internal(e.error.into()))?;
        Ok(())
    }
}
