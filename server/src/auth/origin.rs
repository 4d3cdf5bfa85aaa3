//! Cross-site request forgery defence: a state-changing request (POST, PUT, PATCH, DELETE) that
//! carries an `Origin` must come from Campo's own origin. Browsers always send `Origin` on such
//! requests; clients that send none (curl, scripts) carry no ambient browser cookies to abuse.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::AppError;

/// Middleware: refuses state-changing requests whose `Origin` is not Campo's.
pub async fn check_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !origin_ok(request.headers(), state.config.public_url.as_deref()) {
        return AppError::ForeignOrigin.into_response();
    }
    next.run(request).await
}

/// True when the request carries Campo's `Origin` or none; false (and logged) when it carries
/// another site's. Also used by the sync WebSocket, whose upgrade is a GET.
pub fn origin_ok(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let allowed = origin
        .to_str()
        .is_ok_and(|origin| origin_allowed(origin, host, public_url));
    if !allowed {
        tracing::warn!(?origin, "refused a request from a foreign origin");
    }
    allowed
}

/// With a configured public URL, the origin must be exactly it; without one, the origin's host
/// and port must be the request's `Host` (a laptop or LAN install reached by IP address).
pub fn origin_allowed(origin: &str, host: Option<&str>, public_url: Option<&str>) -> bool {
    if let Some(public) = public_url {
        return origin == public.trim_end_matches('/');
    }
    let Some(host) = host else {
        return false;
    };
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    authority == Some(host)
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn origins() {
        assert!(origin_allowed(
            "http://localhost:8080",
            Some("localhost:8080"),
            None
        ));
        assert!(!origin_allowed(
            "http://evil.example",
            Some("localhost:8080"),
            None
        ));
        assert!(!origin_allowed("null", Some("localhost:8080"), None));
        let public = Some("https://campo.gov.co/");
        assert!(origin_allowed(
            "https://campo.gov.co",
            Some("10.0.0.5"),
            public
        ));
        assert!(!origin_allowed(
            "http://campo.gov.co",
            Some("campo.gov.co"),
            public
        ));
    }
}
