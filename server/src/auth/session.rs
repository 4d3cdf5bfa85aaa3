//! Server-side sessions behind a cookie. The browser holds 256 random bits; the database holds
//! only their SHA-256. Every request re-reads the session and its user, so disabling a user or
//! ending a session takes effect on the next request.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use campo_shared::role::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;
use crate::store::now_ms;

/// A new session token: 256 bits from the operating system's generator, hex-encoded.
pub fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How the session cookie is named and flagged, which depends on whether Campo is served over
/// HTTPS: there it is `__Host-campo_sesion` with `Secure` (the prefix makes the browser refuse it
/// from a subdomain or without HTTPS); over plain HTTP on a laptop it is `campo_sesion`.
#[derive(Debug, Clone)]
pub struct SessionCookie {
    https: bool,
    max_age: Duration,
}

impl SessionCookie {
    pub fn new(https: bool, max_age: Duration) -> Self {
        Self { https, max_age }
    }

    pub fn name(&self) -> &'static str {
        if self.https {
            "__Host-campo_sesion"
        } else {
            "campo_sesion"
        }
    }

    /// `Set-Cookie` value that stores `token`.
    pub fn set(&self, token: &str) -> String {
        format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            self.name(),
            self.max_age.as_secs(),
            if self.https { "; Secure" } else { "" }
        )
    }

    /// `Set-Cookie` value that removes the cookie.
    pub fn clear(&self) -> String {
        format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            self.name(),
            if self.https { "; Secure" } else { "" }
        )
    }

    /// The session token in the request's `Cookie` headers, if any.
    pub fn read(&self, parts: &Parts) -> Option<String> {
        parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.name())
            .map(|(_, value)| value.to_owned())
            .filter(|token| token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
    }
}

/// The logged-in user of a request. Extracting it fails with 401 when there is no valid session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub dependencia: Option<String>,
    pub email: Option<String>,
    /// Hash of the session token, to end this session at logout.
    pub session: String,
}

impl CurrentUser {
    /// Fails with 403 unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Sessions are touched at most this often, so reading pages does not write on every request.
const TOUCH_EVERY_MS: i64 = 60_000;

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = state.cookie.read(parts).ok_or(AppError::Unauthenticated)?;
        let hash = token_hash(&token);
        let session = state
            .store
            .session(&hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let now = now_ms();
        let idle_ms = state.config.session_idle.as_millis() as i64;
        let expired = now >= session.expires_at || now - session.last_seen_at >= idle_ms;
        if expired || !session.user.active {
            state.store.delete_session(&hash).await?;
            return Err(AppError::Unauthenticated);
        }
        if now - session.last_seen_at >= TOUCH_EVERY_MS {
            state.store.touch_session(&hash, now).await?;
        }
        let user = session.user;
        let role = user
            .role
            .parse::<Role>()
            .map_err(|_| anyhow::anyhow!("user {} has an unknown role {:?}", user.id, user.role))?;
        Ok(CurrentUser {
            id: user.id,
            username: user.username,
            full_name: user.full_name,
            role,
            dependencia: user.dependencia,
            email: user.email,
            session: hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = new_session_token();
        let b = new_session_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn cookie_is_hardened_over_https() {
        let cookie = SessionCookie::new(true, Duration::from_secs(60));
        let set = cookie.set("abc");
        assert!(set.starts_with("__Host-campo_sesion=abc; Path=/; HttpOnly; SameSite=Lax"));
        assert!(set.ends_with("; Secure"));
        let plain = SessionCookie::new(false, Duration::from_secs(60)).set("abc");
        assert!(plain.starts_with("campo_sesion=abc;") && !plain.contains("Secure"));
    }
}
