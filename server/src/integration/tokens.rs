//! `POST/GET /api/tokens`, `DELETE /api/tokens/{id}`: coordinators create, list and revoke the
//! integration tokens (see [`crate::auth::ApiToken`]). The secret is shown once, at creation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use campo_shared::account::FieldError;
use campo_shared::limits::SHORT_TEXT;
use campo_shared::role::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{CurrentUser, Scope, new_api_token, token_hash};
use crate::error::{ApiResult, AppError, Json};
use crate::store::{ApiTokenRow, NewApiToken, now_ms};

/// A new token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What it is for, e.g. «Intranet de la Gobernación».
    #[schema(example = "Intranet")]
    name: String,
    /// `intake` (register requests), `reports:read` (read the monthly report).
    #[schema(example = json!(["intake"]))]
    scopes: Vec<String>,
    /// When it stops working (Unix milliseconds); none: until revoked.
    #[serde(default)]
    expires_at: Option<i64>,
}

/// A token as listed (never its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    id: String,
    name: String,
    scopes: Vec<String>,
    /// Unix milliseconds.
    created_at: i64,
    created_by: TokenCreator,
    expires_at: Option<i64>,
    /// Unix milliseconds of the last authenticated call (recorded at most once a minute).
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    /// `activo`, `revocado` or `vencido`.
    status: &'static str,
}

/// The coordinator who created a token.
#[derive(Serialize, ToSchema)]
pub struct TokenCreator {
    id: String,
    name: String,
}

impl TokenView {
    fn new(row: ApiTokenRow, now: i64) -> Self {
        let status = if row.revoked_at.is_some() {
            "revocado"
        } else if row.expires_at.is_some_and(|at| at <= now) {
            "vencido"
        } else {
            "activo"
        };
        Self {
            id: row.id,
            name: row.name,
            scopes: row.scopes.split(' ').map(str::to_owned).collect(),
            created_at: row.created_at,
            created_by: TokenCreator {
                id: row.created_by,
                name: row.created_by_name,
            },
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
            status,
        }
    }
}

/// A token just created, with its secret: the only time anyone sees it.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret to send as `Authorization: Bearer <token>`. It is not stored and cannot be
    /// shown again.
    #[schema(example = "campo_3f9a…")]
    token: String,
    #[serde(flatten)]
    view: TokenView,
}

/// Every token.
#[derive(Serialize, ToSchema)]
pub struct TokenList {
    tokens: Vec<TokenView>,
}

/// Creates an integration token (coordinators).
#[utoipa::path(post, operation_id = "create_token", path = "/api/tokens", tag = "tokens", request_body = NewToken,
    responses(
        (status = 201, description = "El token, con su secreto (se muestra una sola vez)", body = CreatedToken),
        (status = 422, description = "Datos no válidos", body = crate::integration::openapi::ErrorBody),
        (status = 401, description = "Sin sesión", body = crate::integration::openapi::ErrorBody),
        (status = 403, description = "Solo coordinadores", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    user.require(&[Role::Coordinador])?;
    let mut errors = Vec::new();
    let name = body.name.trim();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "Indique un nombre que diga para qué es el token (por ejemplo «Intranet»).",
        ));
    } else if name.chars().count() > SHORT_TEXT.max {
        errors.push(FieldError::new(
            "name",
            format!("El nombre admite máximo {} caracteres.", SHORT_TEXT.max),
        ));
    }
    let mut scopes: Vec<Scope> = Vec::new();
    for raw in &body.scopes {
        match Scope::parse(raw) {
            Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
            Some(_) => {}
            None => errors.push(FieldError::new(
                "scopes",
                format!(
                    "El permiso «{}» no existe; los permisos son «intake» y «reports:read».",
                    raw.chars().take(40).collect::<String>()
                ),
            )),
        }
    }
    if body.scopes.is_empty() {
        errors.push(FieldError::new(
            "scopes",
            "Indique al menos un permiso: «intake» o «reports:read».",
        ));
    }
    let now = now_ms();
    if body.expires_at.is_some_and(|at| at <= now) {
        errors.push(FieldError::new(
            "expires_at",
            "La fecha de vencimiento debe ser futura.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let secret = new_api_token();
    let id = uuid::Uuid::new_v4().to_string();
    let scopes_text = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    state
        .store
        .insert_api_token(&NewApiToken {
            id: &id,
            name,
            token_hash: &token_hash(&secret),
            scopes: &scopes_text,
            created_by: &user.id,
            created_at: now,
            expires_at: body.expires_at,
        })
        .await?;
    tracing::info!(by = %user.id, token = %id, scopes = %scopes_text, "api token created");
    let row = state
        .store
        .api_token(&id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the new token was not stored"))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: secret,
            view: TokenView::new(row, now),
        }),
    ))
}

/// Lists the integration tokens, revoked ones included (coordinators).
#[utoipa::path(get, operation_id = "list_tokens", path = "/api/tokens", tag = "tokens",
    responses(
        (status = 200, description = "Los tokens, sin sus secretos", body = TokenList),
        (status = 403, description = "Solo coordinadores", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = [])))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<TokenList>> {
    user.require(&[Role::Coordinador])?;
    let now = now_ms();
    let tokens = state
        .store
        .list_api_tokens()
        .await?
        .into_iter()
        .map(|row| TokenView::new(row, now))
        .collect();
    Ok(Json(TokenList { tokens }))
}

/// Revokes an integration token at once (coordinators). Revoking it again changes nothing.
#[utoipa::path(delete, operation_id = "revoke_token", path = "/api/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "El id del token")),
    responses(
        (status = 204, description = "Revocado"),
        (status = 404, description = "No existe ese token", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    user.require(&[Role::Coordinador])?;
    if state.store.revoke_api_token(&id, now_ms()).await? {
        tracing::info!(by = %user.id, token = %id, "api token revoked");
        return Ok(StatusCode::NO_CONTENT);
    }
    match state.store.api_token(&id).await? {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(AppError::NotFound("No existe ese token.".into())),
    }
}
