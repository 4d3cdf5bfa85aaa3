//! `GET /api/openapi.json`: the OpenAPI 3.1 document of Campo's public integration API, derived
//! from the handlers' annotations and the types they read and answer (utoipa), so it cannot
//! drift from the code.

use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{intake, tokens};

/// The error body of every failure.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong, in Spanish.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code: `no_autenticado`, `token_invalido`, `permiso_insuficiente`,
    /// `datos_invalidos`, `conflicto`, …
    #[schema(example = "datos_invalidos")]
    code: String,
    /// For people, in Spanish: what happened and what to do.
    message: String,
    /// For `datos_invalidos`: each field and its problem.
    #[schema(nullable = false)]
    fields: Option<Vec<FieldProblem>>,
}

/// One field's problem.
#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    #[schema(example = "username")]
    field: String,
    message: String,
}

/// A person named by a case: user id and name.
#[derive(Serialize, ToSchema)]
#[schema(as = Person)]
pub struct PersonSchema {
    id: String,
    name: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Campo",
        description = "API de integración de Campo (asistencia técnica de la Secretaría TIC): \
                       tokens de integración, registro de solicitudes desde la intranet o GLPI, \
                       casos, equipos e informe mensual.",
    ),
    paths(
        tokens::create,
        tokens::list,
        tokens::revoke,
        intake::intake,
        crate::tickets::create,
        crate::tickets::list,
        crate::tickets::detail,
        crate::tickets::actions::act,
        crate::tickets::requester::identify,
        crate::equipment::detail,
        crate::reports::monthly_json,
    ),
    components(schemas(ErrorBody, ErrorDetail, FieldProblem)),
    modifiers(&Security),
    tags(
        (name = "tokens", description = "Tokens de integración (coordinadores)"),
        (name = "intake", description = "Solicitudes desde la intranet o GLPI"),
        (name = "casos", description = "Casos (con sesión)"),
        (name = "equipos", description = "Inventario de equipos (con sesión)"),
        (name = "informe", description = "Informe mensual (coordinador o token reports:read)"),
    )
)]
pub struct ApiDoc;

/// The two ways to authenticate: a coordinator's session cookie, or an integration token.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "sesion",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "campo_sesion",
                "La cookie de sesión de POST /api/login (__Host-campo_sesion sobre HTTPS).",
            ))),
        );
    }
}

/// `GET /api/openapi.json`: public, like the documentation it is.
pub async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        ApiDoc::openapi().to_pretty_json().unwrap_or_default(),
    )
}
