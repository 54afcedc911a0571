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
    /// A PostgreSQL hot standby of `database_url` (streaming replication) that the heavy reads
    /// go to: the compliance evaluation, the record books, exports. They accept its lag (the
    /// standby's replay delay, usually under a second); everything else reads the primary.
    #[serde(default)]
    pub replica_url: Option<String>,
    /// Where uploads waiting for confirmation and generated files are kept.
    pub data_dir: PathBuf,
    /// Largest accepted upload (an import file), in MiB: spooled to disk, never held in memory.
    pub max_upload_mib: usize,
    /// Largest body of any other request (a form, a JSON record), in KiB.
    #[serde(default = "default_max_request_kib")]
    pub max_request_kib: usize,
    /// Most entries of any list one request carries (a record's participants, targets,
    /// matters).
    #[serde(default = "default_max_list_items")]
    pub max_list_items: usize,
    /// Mark session cookies Secure (set when served over TLS).
    #[serde(default)]
    pub secure_cookies: bool,
    /// Failed logins before an account is locked, and for how long.
    pub login_max_failures: i32,
    pub login_lock_minutes: i64,
    /// Failed logins from one address within the lock window before it is refused.
    pub login_address_max_failures: u64,
    /// How long a session lasts.
    pub session_hours: i64,
    /// The county's policy file; without it, the shipped `policy/default.toml`.
    #[serde(default)]
    pub policy_file: Option<PathBuf>,
    /// The public address residents reach lianxin at (`https://lianxin.example.gov.cn`), printed
    /// as a full link and QR code on notices and replies; without it, the address the request
    /// came to is used.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The CJK font contact cards are printed with (`.ttf`, `.otf` or `.ttc`); without it, the
    /// usual system places are searched (fonts-wqy-microhei, fonts-noto-cjk).
    #[serde(default)]
    pub card_font: Option<PathBuf>,
    /// Requests one card's secret may make to the resident's page per minute, and one address.
    #[serde(default = "default_resident_per_secret")]
    pub resident_per_secret_per_minute: u32,
    #[serde(default = "default_resident_per_address")]
    pub resident_per_address_per_minute: u32,
    /// Proxies in front of lianxin (haproxy, nginx) whose `X-Forwarded-For` is believed: from
    /// them, the client's address is the last one in that header that is not itself a trusted
    /// proxy (for the per-address allowances of logins and the resident's page). From anyone
    /// else the header is ignored: a client could write any address into it. In
    /// `lianxin.toml`: `trusted_proxies = ["127.0.0.1"]`.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where scheduled backups are written; none are made without it.
    #[serde(default)]
    pub backup_dir: Option<PathBuf>,
    /// Hours between scheduled backups.
    #[serde(default = "default_backup_every_hours")]
    pub backup_every_hours: u64,
    /// How many scheduled backups are kept (the oldest go first).
    #[serde(default = "default_backup_keep")]
    pub backup_keep: usize,
    /// Fault injection for the crash test only: imports wait this long before committing.
    #[serde(default)]
    pub hold_import_before_commit_secs: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/lianxin.db".into(),
            replica_url: None,
            data_dir: PathBuf::from("data"),
            max_upload_mib: 64,
            max_request_kib: default_max_request_kib(),
            max_list_items: default_max_list_items(),
            secure_cookies: false,
            login_max_failures: 5,
            login_lock_minutes: 15,
            login_address_max_failures: 20,
            session_hours: 12,
            hold_import_before_commit_secs: None,
            policy_file: None,
            base_url: None,
            card_font: None,
            resident_per_secret_per_minute: default_resident_per_secret(),
            resident_per_address_per_minute: default_resident_per_address(),
            backup_dir: None,
            backup_every_hours: default_backup_every_hours(),
            backup_keep: default_backup_keep(),
            trusted_proxies: Vec::new(),
        }
    }
}

fn default_resident_per_secret() -> u32 {
    20
}

fn default_resident_per_address() -> u32 {
    60
}

fn default_max_request_kib() -> usize {
    1024
}

fn default_max_list_items() -> usize {
    100
}

fn default_backup_every_hours() -> u64 {
    24
}

fn default_backup_keep() -> usize {
    7
}

impl Config {
    #[allow(clippy::result_large_err)] // figment's own error, read once at start
    pub fn load() -> Result<Config, figment::Error> {
        let file = std::env::var("LIANXIN_CONFIG").unwrap_or_else(|_| "lianxin.toml".into());
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("LIANXIN_").only(&[
                "listen",
                "database_url",
                "replica_url",
                "trusted_proxies",
                "data_dir",
                "max_upload_mib",
                "max_request_kib",
                "max_list_items",
                "hold_import_before_commit_secs",
                "secure_cookies",
                "login_max_failures",
                "login_lock_minutes",
                "login_address_max_failures",
                "session_hours",
                "policy_file",
                "base_url",
                "card_font",
                "resident_per_secret_per_minute",
                "resident_per_address_per_minute",
                "backup_dir",
                "backup_every_hours",
                "backup_keep",
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

impl Config {
    pub fn login_policy(&self) -> crate::store::access::Policy {
        crate::store::access::Policy {
            max_failures: self.login_max_failures.max(1),
            lock_minutes: self.login_lock_minutes.max(1),
            address_max_failures: self.login_address_max_failures.max(1),
            session_hours: self.session_hours.max(1),
        }
    }
}

impl Config {
    /// The policy the county works under: its own file if named, else the default.
    pub fn policy(&self) -> anyhow::Result<crate::domain::policy::Policy> {
        use crate::domain::policy::{DEFAULT, Policy};
        let text = match &self.policy_file {
            Some(p) => std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("无法读取制度文件 {}：{e}", p.display()))?,
            None => DEFAULT.to_string(),
        };
        Policy::parse(&text).map_err(|e| anyhow::anyhow!("制度文件有误：\n{}", e.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn the_standby_and_the_trusted_proxies_can_be_named_in_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("LIANXIN_CONFIG", "none.toml");
            jail.set_env("LIANXIN_REPLICA_URL", "postgres://standby/lianxin");
            jail.set_env("LIANXIN_TRUSTED_PROXIES", "[127.0.0.1, \"::1\"]");
            let c = Config::load()?;
            assert_eq!(c.replica_url.as_deref(), Some("postgres://standby/lianxin"));
            assert_eq!(
                c.trusted_proxies,
                vec![
                    "127.0.0.1".parse::<std::net::IpAddr>().unwrap(),
                    "::1".parse().unwrap()
                ]
            );
            Ok(())
        });
    }
}
