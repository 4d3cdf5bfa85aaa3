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

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
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

fn missing_build(dir: &Path) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"es-CO\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Falta compilar la aplicación · Campo</title></head>\
         <body style=\"font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem\">\
         <h1>Falta compilar la aplicación</h1>\
         <p>El servidor de Campo está funcionando, pero no encuentra la aplicación web en \
         <code>{}</code>.</p>\
         <p>Desde la raíz del repositorio, ejecute <code>make run</code> (compila la aplicación y \
         luego inicia el servidor) o, solo la aplicación:</p>\
         <pre>cd pwa &amp;&amp; npm ci &amp;&amp; npm run build</pre>\
         <p>Si la aplicación está en otro directorio, indíquelo con <code>--pwa-dir</code> o la \
         variable <code>CAMPO_PWA_DIR</code>.</p></body></html>",
        escape(&dir.display().to_string())
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
    fn only_routes_without_extension_get_index_html() {
        assert!(is_app_route("/casos/2x5Q/visita"));
        assert!(is_app_route("/equipos/GN-000101"));
        assert!(!is_app_route("/assets/index-abc.js"));
        assert!(!is_app_route("/assets/nada"));
        assert!(!is_app_route("/icono.png"));
    }
}
