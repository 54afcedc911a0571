//! The JSON API under `/api/v1`.

pub mod compliance;
pub mod exchange;
pub mod ledger;
pub mod registry;
pub mod work;

use crate::startup::AppState;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "连心 lianxin API",
        description = "党员干部直接联系服务群众工作系统。身份证号和手机号均已脱敏。"
    ),
    modifiers(&Security),
    security(("token" = []), ("session" = []))
)]
struct ApiDoc;

/// How a caller proves who it is: an API token (`Authorization: Bearer lx_…`, made on the
/// account page) or the session cookie of a logged-in browser. Every operation needs one of
/// them unless it says otherwise (a resident's answer through the link on a notice).
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("账号页面生成的接口令牌（lx_ 开头）"))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::web::auth::COOKIE,
                "登录后浏览器持有的会话",
            ))),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api/v1",
        registry::router()
            .merge(exchange::router())
            .merge(work::router())
            .merge(ledger::router())
            .merge(compliance::router()),
    )
}

/// Every operation that needs a caller may answer that there is none (401) or that the
/// caller's role may not do this (403): declared on each, once the routes are all merged.
pub fn declare_responses(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let public = op
                .security
                .as_ref()
                .is_some_and(|s| s.iter().any(|r| r == &Default::default()));
            if public {
                continue;
            }
            for (code, what) in [("401", "未登录或令牌无效"), ("403", "角色无权执行此操作")]
            {
                op.responses
                    .responses
                    .entry(code.to_string())
                    .or_insert_with(|| {
                        utoipa::openapi::ResponseBuilder::new()
                            .description(what)
                            .into()
                    });
            }
        }
    }
}
