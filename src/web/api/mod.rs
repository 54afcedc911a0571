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
#[openapi(info(
    title = "连心 lianxin API",
    description = "党员干部直接联系服务群众工作系统。身份证号和手机号均已脱敏。"
))]
struct ApiDoc;

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
