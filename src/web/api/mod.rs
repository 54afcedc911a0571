//! The JSON API under `/api/v1`.

pub mod cards;
pub mod compliance;
pub mod decisions;
pub mod exchange;
pub mod ledger;
pub mod projects;
pub mod proposals;
pub mod registry;
pub mod representatives;
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

/// The office's reach for the records it keeps (decisions, projects, proposals,
/// representatives): refused without ManageLinks.
pub(crate) fn office(
    caller: &crate::store::access::Caller,
) -> Result<crate::store::access::Visibility, crate::error::ApiError> {
    crate::web::auth::require(caller, crate::domain::access::Capability::ManageLinks)?;
    Ok(caller.visibility_for(crate::domain::access::Capability::ManageLinks))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api/v1",
        registry::router()
            .merge(exchange::router())
            .merge(work::router())
            .merge(ledger::router())
            .merge(compliance::router())
            .merge(cards::router())
            .merge(decisions::router())
            .merge(projects::router())
            .merge(proposals::router())
            .merge(representatives::router()),
    )
}

/// What every operation may answer besides its own results, declared on each once the routes
/// are all merged: 400 for a malformed query or path (a number out of range, an unknown
/// value), 404 when the path names something, 413/415/422 when it takes a body (too large, not
/// JSON, not the right shape), and 401/403 unless it is public. `{kind}` lists its values.
pub fn declare_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::ResponseBuilder;
    let error = utoipa::openapi::content::ContentBuilder::new()
        .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
        .build();
    for (path, item) in doc.paths.paths.iter_mut() {
        let names_something = path.contains('{');
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
            let mut codes: Vec<(&str, &str)> = vec![("400", "请求参数有误（原因见 error）")];
            if names_something {
                codes.push(("404", "未找到，或不在您的范围内"));
            }
            if op.request_body.is_some() {
                codes.push(("413", "提交的内容过大"));
                codes.push(("415", "提交内容的类型不对（应为 JSON）"));
                codes.push(("422", "提交的内容不符合要求（原因见 error）"));
            }
            if !public {
                codes.push(("401", "未登录或令牌无效"));
                codes.push(("403", "角色无权执行此操作"));
            }
            for (code, what) in codes {
                op.responses
                    .responses
                    .entry(code.to_string())
                    .or_insert_with(|| {
                        ResponseBuilder::new()
                            .description(what)
                            .content("application/json", error.clone())
                            .into()
                    });
            }
            if let Some(params) = op.parameters.as_mut() {
                for p in params.iter_mut() {
                    let utoipa::openapi::RefOr::T(p) = p else {
                        continue;
                    };
                    if p.name == "kind"
                        && matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path)
                    {
                        p.schema = Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::schema::Type::String)
                                .enum_values(Some(
                                    crate::domain::formats::Kind::ALL.iter().map(|k| k.key()),
                                ))
                                .description(Some("名册类型"))
                                .into(),
                        );
                    }
                }
            }
        }
    }
}

/// Rejections made before a handler runs (a body that is not JSON, a path number out of range,
/// a query that does not parse) come from axum as English text; the API answers them as it
/// answers everything else: JSON with the reason in Chinese, the parser's detail after it.
pub async fn json_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let res = next.run(req).await;
    let status = res.status();
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !status.is_client_error() || !plain {
        return res;
    }
    let lead = match status {
        StatusCode::BAD_REQUEST => "请求参数有误",
        StatusCode::NOT_FOUND => "未找到该接口或对象",
        StatusCode::METHOD_NOT_ALLOWED => "该接口不支持此请求方法",
        StatusCode::PAYLOAD_TOO_LARGE => "提交的内容过大，未处理",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "请以 JSON 提交（Content-Type: application/json）",
        StatusCode::UNPROCESSABLE_ENTITY => "提交的内容不符合要求",
        _ => "请求有误",
    };
    let detail = axum::body::to_bytes(res.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let error = if detail.is_empty() {
        lead.to_string()
    } else {
        format!("{lead}：{detail}")
    };
    (
        status,
        axum::Json(crate::error::ErrorBody {
            error,
            rows: vec![],
        }),
    )
        .into_response()
}
