//! Who is calling: a session cookie (pages) or a bearer token (machine clients).
//! The middleware resolves the caller once per request; handlers ask for a
//! [`Caller`] and get a login redirect (pages) or 401 (API) when there is none.

use crate::startup::AppState;
use crate::store::access::Caller;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::IpAddr;
use std::net::SocketAddr;

pub const COOKIE: &str = "lx_session";

pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .map(str::trim)
                .find_map(|kv| kv.strip_prefix(&format!("{COOKIE}=")).map(str::to_string))
        })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
}

/// The client's address as [`client_address`] resolved it.
#[derive(Clone)]
struct ClientIp(IpAddr);

pub fn address(req_parts: &axum::http::Extensions) -> String {
    if let Some(ClientIp(ip)) = req_parts.get::<ClientIp>() {
        return ip.to_string();
    }
    req_parts
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The address a request came from: the peer's, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the
/// address it heard from; the ones a client wrote come first and are not believed).
pub fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(text) = value.to_str() else {
            return client;
        };
        for part in text.rsplit(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) if trusted.contains(&ip) => client = ip,
                Ok(ip) => return ip,
                Err(_) => return client,
            }
        }
    }
    client
}

/// Resolves the client's address once per request (see [`forwarded_client`]).
pub async fn client_address(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    if !s.config.trusted_proxies.is_empty()
        && let Some(peer) = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    {
        let ip = forwarded_client(peer, req.headers(), &s.config.trusted_proxies);
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

/// Resolves the caller and stores it in the request's extensions.
pub async fn authenticate(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let addr = address(req.extensions());
    let now = chrono::Utc::now();
    let caller = if let Some(t) = bearer(req.headers()) {
        s.sessions.caller(s.quick(), &t, true, &addr, now).await
    } else if let Some(t) = session_token(req.headers()) {
        s.sessions.caller(s.quick(), &t, false, &addr, now).await
    } else {
        Ok(None)
    };
    match caller {
        Ok(Some(c)) => {
            req.extensions_mut().insert(c);
        }
        Ok(None) => {}
        Err(e) => return crate::error::AppError::from(e).into_response(),
    }
    next.run(req).await
}

/// Paths a caller who must change the initial password may still use.
fn allowed_before_password_change(path: &str) -> bool {
    matches!(path, "/account/password" | "/logout")
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        // Inside a nested router the path has lost its prefix; the original URI has not.
        let uri = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let api = uri.path().starts_with("/api/");
        let Some(c) = parts.extensions.get::<Caller>().cloned() else {
            return Err(if api {
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(serde_json::json!({"error": "请先登录（会话或 API 令牌）"})),
                )
                    .into_response()
            } else {
                let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                Redirect::to(&format!("/login?next={}", super::pages::encode(next))).into_response()
            });
        };
        if c.must_change_password && !allowed_before_password_change(uri.path()) {
            return Err(if api {
                (
                    StatusCode::FORBIDDEN,
                    axum::Json(serde_json::json!({"error": "请先修改初始密码"})),
                )
                    .into_response()
            } else {
                Redirect::to("/account/password").into_response()
            });
        }
        Ok(c)
    }
}

/// Refuses an action the caller's roles do not grant.
pub fn require(
    c: &Caller,
    cap: crate::domain::access::Capability,
) -> Result<(), crate::error::AppError> {
    if c.can(cap) {
        Ok(())
    } else {
        Err(crate::error::AppError::Forbidden)
    }
}

pub fn session_cookie(token: &str, secure: bool, max_age_secs: i64) -> String {
    let mut c = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}");
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// Secure cookies when configured, or when a TLS-terminating proxy says the request came over HTTPS.
pub fn secure(s: &AppState, headers: &HeaderMap) -> bool {
    s.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;
    use axum::http::HeaderMap;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_the_last_forwarded_address_that_is_not_a_trusted_proxy() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        // A stranger's header is not believed.
        assert_eq!(
            forwarded_client(ip("5.6.7.8"), &forwarded(&["1.1.1.1"]), &proxies),
            ip("5.6.7.8")
        );
        // Through one proxy: what the client wrote comes first and is passed over.
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &forwarded(&["9.9.9.9, 5.6.7.8"]), &proxies),
            ip("5.6.7.8")
        );
        // Through two proxies, the header split over two lines.
        assert_eq!(
            forwarded_client(
                ip("10.0.0.1"),
                &forwarded(&["9.9.9.9, 5.6.7.8", "10.0.0.2"]),
                &proxies
            ),
            ip("5.6.7.8")
        );
        // Nothing forwarded, or nonsense: the nearest proxy's own word is all there is.
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &forwarded(&[]), &proxies),
            ip("10.0.0.1")
        );
        assert_eq!(
            forwarded_client(
                ip("10.0.0.1"),
                &forwarded(&["nonsense, 10.0.0.2"]),
                &proxies
            ),
            ip("10.0.0.2")
        );
        // No trusted proxies: every header ignored.
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &forwarded(&["5.6.7.8"]), &[]),
            ip("10.0.0.1")
        );
    }
}
