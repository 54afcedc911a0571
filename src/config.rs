//! Settings: defaults, then `lianxin.toml` (or the file `LIANXIN_CONFIG` names), then
//! `LIANXIN_*` environment variables. Nothing is required.

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// `sqlite://data/lianxin.db` or `postgres://user@host/db`.
    pub database_url: String,
    /// Where uploads waiting for confirmation and generated files are kept.
    pub data_dir: PathBuf,
    /// Largest accepted upload, in MiB.
    pub max_upload_mib: usize,
    /// Fault injection for the crash test only: imports wait this long before committing.
    #[serde(default)]
    pub hold_import_before_commit_secs: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/lianxin.db".into(),
            data_dir: PathBuf::from("data"),
            max_upload_mib: 64,
            hold_import_before_commit_secs: None,
        }
    }
}

impl Config {
    pub fn load() -> Result<Config, figment::Error> {
        let file = std::env::var("LIANXIN_CONFIG").unwrap_or_else(|_| "lianxin.toml".into());
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("LIANXIN_").only(&[
                "listen",
                "database_url",
                "data_dir",
                "max_upload_mib",
                "hold_import_before_commit_secs",
            ]))
            .extract()
    }

    /// The database URL with any password replaced, for logs.
    pub fn database_url_for_logs(&self) -> String {
        match self.database_url.split_once('@') {
            Some((left, right)) if left.contains(':') && left.matches(':').count() > 1 => {
                let user_end = left.rfind(':').unwrap_or(left.len());
                format!("{}:***@{right}", &left[..user_end])
            }
            _ => self.database_url.clone(),
        }
    }
}
