//! Requests per minute, counted in memory per key (a card's secret, an address): the
//! resident's page is open to anyone holding a link, so guessing and flooding are slowed.

use std::collections::HashMap;
use std::sync::Mutex;

pub struct Limiter {
    per_minute: u32,
    hits: Mutex<HashMap<String, (u64, u32)>>,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Limiter {
        Limiter {
            per_minute,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `key` in `minute`; false once the minute's allowance is spent.
    pub fn allow(&self, key: &str, minute: u64) -> bool {
        let mut hits = match self.hits.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Keys of earlier minutes are of no use: drop them before the map grows large.
        if hits.len() > 20_000 {
            hits.retain(|_, (m, _)| *m == minute);
        }
        let e = hits.entry(key.to_string()).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 = e.1.saturating_add(1);
        e.1 <= self.per_minute
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

    #[test]
    fn a_key_gets_its_allowance_each_minute_and_no_more() {
        let l = Limiter::new(3);
        assert!((0..3).all(|_| l.allow("a", 10)));
        assert!(!l.allow("a", 10));
        assert!(l.allow("b", 10), "another key has its own allowance");
        assert!(l.allow("a", 11), "the next minute starts afresh");
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
