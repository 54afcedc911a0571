//! Building and running the application: connect, migrate, bind, serve.

use crate::config::Config;
use crate::web;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Where heavy reads go (compliance, books, exports): the standby of `replica_url`, else
    /// the same database as `db`.
    pub reads: DatabaseConnection,
    /// Where a request's point reads go: on a SQLite file, read on the request's own thread
    /// (`store::quick`); else the same as `db`. Never written through.
    pub quick: crate::store::quick::Quick,
    pub config: Arc<Config>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Every version of the policy with the day it takes effect: the county's file
    /// (`policy_file`, else the shipped default) and the versions saved through the policy
    /// page. Replaced when a version is saved.
    pub policies: Arc<std::sync::RwLock<Arc<Vec<crate::domain::policy::Dated>>>>,
    /// The last full evaluation, reused for a short while by the compliance pages.
    pub compliance: Arc<tokio::sync::Mutex<Option<CachedReport>>>,
    /// A background re-evaluation is under way.
    pub refreshing: Arc<std::sync::atomic::AtomicBool>,
    /// Held while a county evaluation is computed for a waiting page.
    pub computing: Arc<tokio::sync::Mutex<()>>,
    /// One import reads and checks its file at a time (uploads wait on disk).
    pub imports: Arc<tokio::sync::Semaphore>,
    /// Requests per minute to the resident's page, per card secret and per address.
    pub resident: Arc<crate::web::limit::ResidentLimits>,
    /// Callers remembered between requests, checked against the database's epoch.
    pub sessions: Arc<crate::store::access::Sessions>,
    /// Writes are answered only once on the disk (SQLite's WAL flushed, shared under load).
    pub durability: Arc<crate::store::Durability>,
}

impl AppState {
    /// The connection for this request's point reads (see `quick`).
    pub fn quick(&self) -> &DatabaseConnection {
        self.quick.db()
    }

    pub fn policies(&self) -> Arc<Vec<crate::domain::policy::Dated>> {
        match self.policies.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The policy in force today: its settings (clocks, weights) and its rules as shown.
    pub fn policy(&self) -> Arc<crate::domain::policy::Policy> {
        let versions = self.policies();
        crate::domain::policy::Dated::on(&versions, crate::time::today())
            .map(|d| d.policy.clone())
            .unwrap_or_else(|| Arc::new(crate::domain::policy::Policy::default_policy()))
    }

    /// Reads the versions again after one is saved and puts them in force; the cached
    /// evaluation was made under the old ones.
    pub async fn reload_policies(&self) -> Result<(), sea_orm::DbErr> {
        let configured = self
            .policies()
            .iter()
            .find(|v| v.version.is_none())
            .map(|v| (*v.policy).clone())
            .unwrap_or_else(crate::domain::policy::Policy::default_policy);
        let v = crate::store::rules::policy_versions(&self.db, configured).await?;
        match self.policies.write() {
            Ok(mut w) => *w = Arc::new(v),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(v),
        }
        *self.compliance.lock().await = None;
        Ok(())
    }
}

impl AppState {
    /// Drops the cached evaluation: after a step that changes a rule's reading at once (a
    /// survey closed, a check recorded, an assessment issued).
    pub async fn forget_reports(&self) {
        *self.compliance.lock().await = None;
    }
}

pub struct CachedReport {
    pub year: i32,
    pub as_of: chrono::NaiveDate,
    pub at: std::time::Instant,
    pub made: chrono::DateTime<chrono::Utc>,
    pub report: Arc<crate::domain::rules::Report>,
}

impl AppState {
    /// The evaluation of a year as of a day: computed at most once every two minutes. An older
    /// one for the same day is answered at once while a fresh one is computed in the
    /// background, so only the first visit of a day waits for the whole county.
    pub async fn report(
        &self,
        year: i32,
        as_of: chrono::NaiveDate,
    ) -> anyhow::Result<(
        Arc<crate::domain::rules::Report>,
        chrono::DateTime<chrono::Utc>,
    )> {
        {
            let cache = self.compliance.lock().await;
            if let Some(c) = cache
                .as_ref()
                .filter(|c| c.year == year && c.as_of == as_of)
            {
                let stale = c.at.elapsed().as_secs() >= 120;
                let answer = (c.report.clone(), c.made);
                if stale
                    && !self
                        .refreshing
                        .swap(true, std::sync::atomic::Ordering::SeqCst)
                {
                    let me = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = me.evaluate(year, as_of).await {
                            tracing::warn!("后台重新计算落实情况失败：{e}");
                        }
                        me.refreshing
                            .store(false, std::sync::atomic::Ordering::SeqCst);
                    });
                }
                return Ok(answer);
            }
        }
        // Cold: one evaluation at a time; whoever waited finds it done.
        let _one = self.computing.lock().await;
        if let Some(c) = self
            .compliance
            .lock()
            .await
            .as_ref()
            .filter(|c| c.year == year && c.as_of == as_of)
        {
            return Ok((c.report.clone(), c.made));
        }
        self.evaluate(year, as_of).await
    }

    async fn evaluate(
        &self,
        year: i32,
        as_of: chrono::NaiveDate,
    ) -> anyhow::Result<(
        Arc<crate::domain::rules::Report>,
        chrono::DateTime<chrono::Utc>,
    )> {
        let facts = crate::store::rules::facts(&self.reads, year).await?;
        let versions = self.policies();
        let used = versions.clone();
        let report = tokio::task::spawn_blocking(move || {
            let in_force: Vec<_> = versions.iter().map(|v| v.in_force()).collect();
            crate::domain::rules::evaluate_dated(&in_force, &facts.as_of(as_of), year, as_of)
        })
        .await?;
        let report = Arc::new(report);
        let made = chrono::Utc::now();
        let mut cache = self.compliance.lock().await;
        // A policy saved meanwhile: this evaluation answers its caller but is not kept.
        if !Arc::ptr_eq(&used, &self.policies()) {
            return Ok((report, made));
        }
        *cache = Some(CachedReport {
            year,
            as_of,
            at: std::time::Instant::now(),
            made,
            report: report.clone(),
        });
        Ok((report, made))
    }
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects, applies migrations and binds the listen address (port 0 picks a free one).
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let db = crate::store::connect(&config.database_url).await?;
        crate::store::migrate(&db).await?;
        let mut app = Self::with_db(config, db).await?;
        if let Some(url) = app.state.config.replica_url.clone() {
            app.state.reads = crate::store::connect(&url)
                .await
                .map_err(|e| anyhow::anyhow!("无法连接只读副本：{e}"))?;
        }
        Ok(app)
    }

    pub async fn with_db(config: Config, db: DatabaseConnection) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("无法监听 {}：{e}", config.listen))?;
        let versions = crate::store::rules::policy_versions(&db, config.policy()?).await?;
        let policies = Arc::new(std::sync::RwLock::new(Arc::new(versions)));
        let state = AppState {
            compliance: Arc::new(tokio::sync::Mutex::new(None)),
            refreshing: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            computing: Arc::new(tokio::sync::Mutex::new(())),
            imports: Arc::new(tokio::sync::Semaphore::new(1)),
            resident: Arc::new(crate::web::limit::ResidentLimits {
                by_secret: crate::web::limit::Limiter::new(
                    "k",
                    config.resident_per_secret_per_minute,
                ),
                by_address: crate::web::limit::Limiter::new(
                    "a",
                    config.resident_per_address_per_minute,
                ),
            }),
            sessions: Arc::new(crate::store::access::Sessions::default()),
            durability: Arc::new(crate::store::Durability::for_url(&config.database_url)),
            policies,
            reads: db.clone(),
            quick: crate::store::quick::Quick::connect(&config.database_url, &db),
            db,
            config: Arc::new(config),
            metrics: crate::telemetry::metrics(),
        };
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub async fn run(self) -> anyhow::Result<()> {
        if let Some(dir) = self.state.config.backup_dir.clone() {
            tokio::spawn(scheduled_backups(self.state.clone(), dir));
        }
        let app = web::router(self.state);
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown())
        .await?;
        Ok(())
    }
}

/// A backup into `dir` every `backup_every_hours`, the newest `backup_keep` kept. A failed
/// round is logged and the next one tried as planned.
async fn scheduled_backups(s: AppState, dir: std::path::PathBuf) {
    let every = std::time::Duration::from_secs(s.config.backup_every_hours.max(1) * 3600);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        let url = &s.config.database_url;
        match crate::store::backup::scheduled(
            &s.db,
            url,
            &dir,
            s.config.backup_keep,
            chrono::Utc::now(),
        )
        .await
        {
            Ok(file) => tracing::info!("已自动备份：{}", file.display()),
            Err(e) => tracing::warn!("自动备份失败：{e}"),
        }
    }
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
