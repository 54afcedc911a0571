//! Building and running the application: connect, migrate, bind, serve.

use crate::config::Config;
use crate::web;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub policy: Arc<crate::domain::policy::Policy>,
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
        Self::with_db(config, db).await
    }

    pub async fn with_db(config: Config, db: DatabaseConnection) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("无法监听 {}：{e}", config.listen))?;
        let policy = Arc::new(config.policy()?);
        let state = AppState {
            policy,
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

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
