//! The ceiling for `scripts/bench-http.sh`: a bare axum handler on the same machine, in the
//! same run, answering a short text with no database behind it. What lianxin's pages reach
//! is read against this.
//!
//!     cargo run --release --example ceiling -- 127.0.0.1:18081

use axum::{Router, routing::get};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".into());
    let app = Router::new().route("/", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
