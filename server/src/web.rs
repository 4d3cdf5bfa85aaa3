//! Serves the built PWA (`pwa/dist`, made by `npm run build` in `pwa/`) as the router's fallback.
//!
//! - Files are served precompressed (`.br`, `.gz` written next to each file at build time), so
//!   nothing is compressed per request.
//! - Hashed files under `/assets/` never change: `Cache-Control: public, max-age=31536000,
//!   immutable`. Everything else (`index.html`, the service worker, the manifest) is `no-cache`,
//!   so a new version is seen at the next visit (and the service worker asks before applying it).
//! - An app route (`/casos/…`, `/equipos/GN-000123`) gets `index.html`; the server's own paths
//!   (`/api`, `/sync`, `/e`, `/healthz`) and missing files with an extension get a 404 instead.
//! - Without a build, every page explains in Spanish how to make one.
//!
//! [`SecurityHeaders`] is the one layer that gives every response of the server (the PWA, its
//! assets, the API, the plain pages) its Content-Security-Policy and the other protective headers.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::AppState;
use crate::error::AppError;

/// Where `make run` finds the build, relative to the repository root.
pub const DEFAULT_PWA_DIR: &str = "pwa/dist";

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

/// Paths that belong to the server and never fall back to the app.
fn is_server_path(path: &str) -> bool {
    ["/api", "/sync", "/e", "/healthz"]
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")))
}

/// Whether a missing file should be answered with the app's `index.html` (an app route) rather
/// than a 404 (a missing asset: its last segment has an extension).
fn is_app_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    !path.starts_with("/assets/") && !last.contains('.')
}

/// The fallback handler of [`crate::router`].
#[tracing::instrument(skip_all, fields(path = %request.uri().path()))]
pub async fn serve_app(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if is_server_path(&path) {
        return AppError::NotFound(format!(
            "La ruta {path} no existe en Campo. Revise la dirección."
        ))
        .into_response();
    }
    let dir = state.config.pwa_dir.as_path();
    let index = dir.join("index.html");
    if !tokio::fs::try_exists(&index).await.unwrap_or(false) {
        return missing_build(dir);
    }
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let result = if is_app_route(&path) {
        let app = ServeFile::new(index)
            .precompressed_br()
            .precompressed_gzip();
        files.fallback(app).oneshot(request).await
    } else {
        files.oneshot(request).await
    };
    let mut response = match result {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    };
    let cache = if path.starts_with("/assets/") && response.status() == StatusCode::OK {
        IMMUTABLE
    } else {
        NO_CACHE
    };
    response.headers_mut().insert(header::CACHE_CONTROL, cache);
    response
}

/// The style attribute of the placeholder in the PWA's `index.html` («Cargando Campo…»), the only
/// inline style the built PWA has; the CSP allows exactly this value.
const PWA_PLACEHOLDER_STYLE: &str = "font-family:sans-serif;padding:1rem";

/// The style attribute of the server's own plain pages (the missing build, an unknown sticker);
/// the CSP allows exactly this value.
pub const PLAIN_PAGE_STYLE: &str =
    "font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem";

/// The headers every response carries, built once at start.
///
/// The Content-Security-Policy allows scripts, styles, workers, fonts and the manifest only from
/// Campo itself, never inline nor evaluated: `'wasm-unsafe-eval'` lets the page compile
/// WebAssembly (Automerge and the zxing barcode reader, both served from `/assets/`) without
/// allowing `eval`. (cbor-x, inside automerge-repo, tries `new Function("")` once per page load
/// and decodes without compiling code when refused; `'report-sample'` shows the refused code in
/// violation events, which is how the browser test tells that probe from a real need.) Images may also be `data:` (the report's charts) and `blob:` (photos waiting
/// on the phone). Connections go to the same origin; CSP Level 3 browsers let `'self'` cover the
/// `/sync` WebSocket, and with `CAMPO_PUBLIC_URL` its `ws(s)://` address is named as well, for
/// older ones. No site may frame Campo (`frame-ancestors 'none'`, and `X-Frame-Options` for old
/// browsers). Style attributes are allowed only with the exact values above, by hash.
///
/// When `CAMPO_PUBLIC_URL` is `https://…`, `Strict-Transport-Security` tells browsers to use only
/// HTTPS for a year, so a phone on a hostile network is never downgraded to HTTP and a bad
/// certificate cannot be clicked through. Campo sends it rather than the proxy because it already
/// knows from that URL that it is served over HTTPS (the same signal that makes its cookies
/// `Secure`), so it holds behind Caddy, nginx or HAProxy alike; browsers ignore it on plain HTTP
/// (RFC 6797, 8.1), so a request straight to `127.0.0.1:8080` is unaffected. There is no way back
/// to HTTP worth keeping open: phones install the app, work offline and use the camera only over
/// HTTPS. No `includeSubDomains` nor `preload`: Campo does not speak for the office's other names.
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    pub fn new(public_url: Option<&str>) -> Self {
        let socket = public_url.and_then(websocket_origin);
        let connect = match &socket {
            Some(origin) => format!("'self' {origin}"),
            None => "'self'".to_owned(),
        };
        let style_hashes = [PWA_PLACEHOLDER_STYLE, PLAIN_PAGE_STYLE]
            .map(|style| format!("'sha256-{}'", base64(&Sha256::digest(style.as_bytes()))))
            .join(" ");
        let csp = [
            "default-src 'self'".to_owned(),
            "script-src 'self' 'wasm-unsafe-eval' 'report-sample'".to_owned(),
            "style-src 'self'".to_owned(),
            format!("style-src-attr 'unsafe-hashes' {style_hashes}"),
            "img-src 'self' data: blob:".to_owned(),
            format!("connect-src {connect}"),
            "object-src 'none'".to_owned(),
            "base-uri 'none'".to_owned(),
            "form-action 'self'".to_owned(),
            "frame-ancestors 'none'".to_owned(),
        ]
        .join("; ");
        let header = |name: &'static str, value: &str| {
            (
                HeaderName::from_static(name),
                HeaderValue::from_str(value).expect("a valid header value"),
            )
        };
        let mut headers = vec![
            header("content-security-policy", &csp),
            header("x-content-type-options", "nosniff"),
            header("referrer-policy", "same-origin"),
            header(
                "permissions-policy",
                "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()",
            ),
            header("x-frame-options", "DENY"),
        ];
        if public_url.is_some_and(|url| url.starts_with("https://")) {
            headers.push(header("strict-transport-security", HSTS));
        }
        Self { headers }
    }

    /// The Content-Security-Policy, as sent.
    pub fn content_security_policy(&self) -> &str {
        self.headers[0].1.to_str().unwrap_or_default()
    }
}

/// `Strict-Transport-Security` over HTTPS: one year (what browsers' preload lists ask as a minimum,
/// though Campo does not ask to be preloaded).
const HSTS: &str = "max-age=31536000";

/// Middleware (`axum::middleware::map_response_with_state`): adds the headers a response does not
/// set itself.
pub async fn add_security_headers(
    State(headers): State<Arc<SecurityHeaders>>,
    mut response: Response,
) -> Response {
    let map = response.headers_mut();
    for (name, value) in &headers.headers {
        map.entry(name).or_insert_with(|| value.clone());
    }
    response
}

/// `https://campo.example.gov.co/x` → `wss://campo.example.gov.co`.
fn websocket_origin(public_url: &str) -> Option<String> {
    let (scheme, rest) = public_url.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "https" => "wss",
        "http" => "ws",
        _ => return None,
    };
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .filter(|h| !h.is_empty())?;
    let origin = format!("{scheme}://{host}");
    // Only what a CSP source may hold: no spaces, quotes or semicolons.
    origin
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ":/.-[]_".contains(c))
        .then_some(origin)
}

/// Standard base64 with padding (for the CSP's hashes).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn missing_build(dir: &Path) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"es-CO\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Falta compilar la aplicación · Campo</title></head>\
         <body style=\"{style}\"><h1>Falta compilar la aplicación</h1>\
         <p>El servidor de Campo está funcionando, pero no encuentra la aplicación web en \
         <code>{}</code>.</p>\
         <p>Desde la raíz del repositorio, ejecute <code>make run</code> (compila la aplicación y \
         luego inicia el servidor) o, solo la aplicación:</p>\
         <pre>cd pwa &amp;&amp; npm ci &amp;&amp; npm run build</pre>\
         <p>Si la aplicación está en otro directorio, indíquelo con <code>--pwa-dir</code> o la \
         variable <code>CAMPO_PWA_DIR</code>.</p></body></html>",
        escape(&dir.display().to_string()),
        style = PLAIN_PAGE_STYLE,
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CACHE_CONTROL, NO_CACHE)],
        Html(html),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_paths_never_fall_back_to_the_app() {
        for path in ["/api", "/api/nada", "/sync", "/e/GN-1", "/healthz"] {
            assert!(is_server_path(path), "{path}");
        }
        for path in [
            "/",
            "/casos/abc",
            "/equipos/GN-000101",
            "/escanear",
            "/apis",
            "/ebook",
        ] {
            assert!(!is_server_path(path), "{path}");
        }
    }

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn the_policy_names_the_public_websocket_and_allows_no_inline_script() {
        let local = SecurityHeaders::new(None);
        let csp = local.content_security_policy();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'report-sample';"),
            "{csp}"
        );
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        // The hash of the PWA's placeholder style, as a browser computes it (`openssl dgst
        // -sha256 -binary | base64` of the attribute's value).
        assert!(
            csp.contains("'sha256-UFuWhW59JWkAv+evPIGb5St+4+rgaUBUG3ffYT/xsC4='"),
            "{csp}"
        );
        let public = SecurityHeaders::new(Some("https://campo.gobernacion.gov.co/"));
        assert!(
            public
                .content_security_policy()
                .contains("connect-src 'self' wss://campo.gobernacion.gov.co;")
        );
        assert_eq!(
            websocket_origin("http://127.0.0.1:8080"),
            Some("ws://127.0.0.1:8080".into())
        );
        assert_eq!(websocket_origin("campo.gov.co"), None);
        assert_eq!(websocket_origin("https://a b"), None);
    }

    #[test]
    fn hsts_only_when_the_public_url_is_https() {
        let hsts = |public_url: Option<&str>| {
            SecurityHeaders::new(public_url)
                .headers
                .iter()
                .find(|(name, _)| name == "strict-transport-security")
                .map(|(_, value)| value.to_str().unwrap().to_owned())
        };
        assert_eq!(
            hsts(Some("https://campo.gobernacion.gov.co")).as_deref(),
            Some("max-age=31536000")
        );
        assert_eq!(hsts(None), None);
        assert_eq!(hsts(Some("http://10.0.0.5:8080")), None);
    }

    #[test]
    fn every_style_attribute_of_the_pwa_shell_is_one_the_policy_allows() {
        // The PWA's index.html (its source; the build copies it): if someone adds or changes an
        // inline style there, this fails before a browser refuses it.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../pwa/index.html");
        let html = std::fs::read_to_string(path).expect("pwa/index.html");
        let styles: Vec<&str> = html
            .split("style=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        assert!(!html.contains("<style"), "index.html has a <style> element");
        assert!(
            !html.contains("<script>"),
            "index.html has an inline script"
        );
        for style in styles {
            assert!(
                [PWA_PLACEHOLDER_STYLE, PLAIN_PAGE_STYLE].contains(&style),
                "index.html has style=\"{style}\", which the Content-Security-Policy refuses"
            );
        }
    }

    #[test]
    fn only_routes_without_extension_get_index_html() {
        assert!(is_app_route("/casos/2x5Q/visita"));
        assert!(is_app_route("/equipos/GN-000101"));
        assert!(!is_app_route("/assets/index-abc.js"));
        assert!(!is_app_route("/assets/nada"));
        assert!(!is_app_route("/icono.png"));
    }
}
