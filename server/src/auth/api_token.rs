//! Integration tokens: `Authorization: Bearer campo_…` for the intranet, GLPI and report readers.
//!
//! A token is 256 bits from the operating system's generator; the store keeps only its SHA-256.
//! A plain (fast) hash is enough here, unlike for passwords: a password is guessable and needs a
//! slow hash to resist guessing, but a 256-bit random secret cannot be guessed, so a copy of the
//! database still reveals no usable token, and the hash lets every request find its token with one
//! indexed lookup instead of trying a slow hash against every row.
//!
//! A token acts only on the endpoints of its scopes, never as a user: cookies and tokens are
//! separate doors. It stops working when revoked, when it expires, and when its creator is no
//! longer an active coordinator.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use campo_shared::role::Role;

use super::{CurrentUser, new_session_token, token_hash};
use crate::AppState;
use crate::error::AppError;
use crate::store::now_ms;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `POST /api/intake`: register requests for officials.
    Intake,
    /// The monthly report (`GET /api/reports/...`).
    ReportsRead,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Intake, Scope::ReportsRead];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Intake => "intake",
            Scope::ReportsRead => "reports:read",
        }
    }

    pub fn parse(raw: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Prefix of every token, so a leaked one is recognisable (secret scanners, logs).
const PREFIX: &str = "campo_";

/// A new token's secret: the prefix and 256 random bits, hex-encoded.
pub fn new_api_token() -> String {
    format!("{PREFIX}{}", new_session_token())
}

/// The token of `Authorization: Bearer …`, if the request carries one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The integration token a request was authenticated with.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// The coordinator who created it: the changes it makes are recorded under their account.
    pub created_by: String,
}

/// Uses are recorded at most this often, so a busy integration does not write on every call.
const TOUCH_EVERY_MS: i64 = 60_000;

const INVALID: &str = "El token de integración no es válido, fue revocado o venció. Pida a un \
                       coordinador un token nuevo (Ajustes → Tokens de integración).";

impl ApiToken {
    /// Authenticates the request's bearer token for `scope`: 401 when it is missing, unknown,
    /// revoked or expired (or its creator may no longer act), 403 when it lacks the scope.
    pub async fn authenticate(
        state: &AppState,
        headers: &HeaderMap,
        scope: Scope,
    ) -> Result<ApiToken, AppError> {
        let Some(secret) = bearer(headers) else {
            return Err(AppError::TokenRefused(
                "Falta el token de integración: envíe la cabecera «Authorization: Bearer \
                 <token>» con un token creado en Ajustes → Tokens de integración."
                    .into(),
            ));
        };
        if !secret.starts_with(PREFIX) || secret.len() != PREFIX.len() + 64 {
            return Err(AppError::TokenRefused(INVALID.into()));
        }
        let grant = state
            .store
            .api_token_grant(&token_hash(secret))
            .await?
            .ok_or_else(|| AppError::TokenRefused(INVALID.into()))?;
        let now = now_ms();
        if grant.revoked_at.is_some() {
            return Err(AppError::TokenRefused(
                "Este token de integración fue revocado. Pida a un coordinador un token nuevo \
                 (Ajustes → Tokens de integración)."
                    .into(),
            ));
        }
        if grant.expires_at.is_some_and(|at| at <= now) {
            return Err(AppError::TokenRefused(
                "Este token de integración venció. Pida a un coordinador un token nuevo \
                 (Ajustes → Tokens de integración)."
                    .into(),
            ));
        }
        if !grant.creator_ok {
            return Err(AppError::TokenRefused(
                "Quien creó este token ya no es un coordinador activo, así que el token dejó de \
                 servir. Pida a un coordinador un token nuevo."
                    .into(),
            ));
        }
        if !grant.scopes.split(' ').any(|s| s == scope.as_str()) {
            return Err(AppError::MissingScope(format!(
                "Este token no tiene el permiso «{}». Un coordinador puede crear uno que lo tenga \
                 en Ajustes → Tokens de integración.",
                scope.as_str()
            )));
        }
        if grant
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_EVERY_MS)
        {
            state.store.touch_api_token(&grant.id, now).await?;
        }
        Ok(ApiToken {
            id: grant.id,
            name: grant.name,
            created_by: grant.created_by,
        })
    }
}

/// Who may read the monthly report: a coordinator's session, or a token with `reports:read`.
/// A request that carries a bearer token is judged by the token alone.
pub struct ReportReader;

impl FromRequestParts<AppState> for ReportReader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if bearer(&parts.headers).is_some() {
            ApiToken::authenticate(state, &parts.headers, Scope::ReportsRead).await?;
            return Ok(ReportReader);
        }
        let user = CurrentUser::from_request_parts(parts, state).await?;
        user.require(&[Role::Coordinador])?;
        Ok(ReportReader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(header::AUTHORIZATION, "Bearer campo_abc".parse().unwrap());
        assert_eq!(bearer(&headers), Some("campo_abc"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&headers), None);
        let token = new_api_token();
        assert!(token.starts_with(PREFIX) && token.len() == PREFIX.len() + 64);
        assert_eq!(Scope::parse("reports:read"), Some(Scope::ReportsRead));
        assert_eq!(Scope::parse("admin"), None);
    }
}
