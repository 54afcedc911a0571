//! Requests per minute per key (a card's secret, an address): the resident's page is open to
//! anyone holding a link, so guessing and flooding are slowed. Counted in the database (table
//! `rate_count`, keys hashed), so that every lianxin process serving the county shares one
//! allowance.

use sea_orm::{ConnectionTrait, DbErr, Statement};

pub struct Limiter {
    /// What the key is counted as (`a` per address, `k` per secret).
    kind: &'static str,
    per_minute: u32,
}

impl Limiter {
    pub fn new(kind: &'static str, per_minute: u32) -> Limiter {
        Limiter { kind, per_minute }
    }

    /// Counts one request of `key` in `minute`; false once the minute's allowance is spent.
    pub async fn allow(
        &self,
        db: &impl ConnectionTrait,
        key: &str,
        minute: u64,
    ) -> Result<bool, DbErr> {
        let hashed = crate::store::access::sha256_hex(&format!("{}:{key}", self.kind));
        let minute = i64::try_from(minute).unwrap_or(i64::MAX);
        let backend = db.get_database_backend();
        // Earlier minutes are of no use; now and then they go (not on every request).
        if fastrand::u8(..) == 0 {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DatabaseBackend::Postgres => {
                        "DELETE FROM rate_count WHERE minute < $1"
                    }
                    _ => "DELETE FROM rate_count WHERE minute < ?",
                },
                [(minute - 1).into()],
            ))
            .await?;
        }
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => {
                "INSERT INTO rate_count (key, minute, n) VALUES ($1, $2, 1) \
                 ON CONFLICT (key, minute) DO UPDATE SET n = rate_count.n + 1 RETURNING n"
            }
            _ => {
                "INSERT INTO rate_count (key, minute, n) VALUES (?, ?, 1) \
                 ON CONFLICT (key, minute) DO UPDATE SET n = rate_count.n + 1 RETURNING n"
            }
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [hashed.into(), minute.into()],
            ))
            .await?;
        let n = match row {
            Some(r) => r.try_get_by_index::<i32>(0)?,
            None => i32::MAX,
        };
        Ok(u32::try_from(n).unwrap_or(u32::MAX) <= self.per_minute)
    }
}

/// The resident's page's two allowances.
pub struct ResidentLimits {
    pub by_secret: Limiter,
    pub by_address: Limiter,
}

pub fn minute_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 60)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_gets_its_allowance_each_minute_and_no_more_shared_by_every_process() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/l.db?mode=rwc", dir.path().display());
        let one = crate::store::connect(&url).await.expect("db");
        crate::store::migrate(&one).await.expect("migrate");
        // A second process: its own connections to the same database.
        let two = crate::store::connect(&url).await.expect("db");
        let l = Limiter::new("a", 3);
        for db in [&one, &two, &one] {
            assert!(l.allow(db, "a", 10).await.expect("count"));
        }
        assert!(!l.allow(&two, "a", 10).await.expect("count"));
        assert!(
            l.allow(&one, "b", 10).await.expect("count"),
            "another key has its own allowance"
        );
        assert!(
            l.allow(&two, "a", 11).await.expect("count"),
            "the next minute starts afresh"
        );
        assert!(
            Limiter::new("k", 3)
                .allow(&one, "a", 10)
                .await
                .expect("count"),
            "a secret counts apart from an address spelled the same"
        );
    }
}

/// The address a request came from (for the per-address allowance).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(crate::web::auth::address(&parts.extensions)))
    }
}
