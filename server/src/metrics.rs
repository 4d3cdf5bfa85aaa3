//! `GET /metrics`: this process's counters in Prometheus's text format (version 0.0.4), for a
//! monitoring server to scrape. Off unless `CAMPO_METRICS_TOKEN` is set; then only a request with
//! `Authorization: Bearer <token>` gets them (the figures say how busy the office is, which is
//! nobody else's business).
//!
//! The counters are process-wide atomics ([`METRICS`]): each replica reports its own, and
//! Prometheus adds them up. Gauges that live elsewhere (documents in memory, the e-mail outbox)
//! are read when scraped.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

/// The counters of this process.
pub static METRICS: Metrics = Metrics::new();

/// Counters only ever go up; `sync_connections` goes up and down.
pub struct Metrics {
    /// HTTP responses by status class: 1xx…5xx (index 0…4).
    http_responses: [AtomicU64; 5],
    /// Sum of the time to produce each response (headers), in microseconds.
    http_micros: AtomicU64,
    /// Sync messages and their bytes, received from peers and sent to them.
    pub sync_messages_received: AtomicU64,
    pub sync_bytes_received: AtomicU64,
    pub sync_messages_sent: AtomicU64,
    pub sync_bytes_sent: AtomicU64,
    /// Sync changes a write rule refused (neither stored nor relayed).
    pub sync_changes_refused: AtomicU64,
    /// Sync connections open now.
    pub sync_connections: AtomicU64,
    /// Errors logged by the server that a person or an operator should look at (a 500, a
    /// failed delivery, a failed intake pass).
    pub errors: AtomicU64,
}

impl Metrics {
    const fn new() -> Self {
        Self {
            http_responses: [
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
            ],
            http_micros: AtomicU64::new(0),
            sync_messages_received: AtomicU64::new(0),
            sync_bytes_received: AtomicU64::new(0),
            sync_messages_sent: AtomicU64::new(0),
            sync_bytes_sent: AtomicU64::new(0),
            sync_changes_refused: AtomicU64::new(0),
            sync_connections: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    /// Adds one to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Counts every HTTP response by status class and the time it took.
pub async fn count_responses(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let class = usize::from(response.status().as_u16() / 100).clamp(1, 5) - 1;
    Metrics::add(&METRICS.http_responses[class], 1);
    if class == 4 {
        Metrics::add(&METRICS.errors, 1);
    }
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    Metrics::add(&METRICS.http_micros, micros);
    response
}

#[tracing::instrument(skip_all)]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !same_secret(presented, token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Falta el token de métricas (Authorization: Bearer …) o no es el configurado en \
             CAMPO_METRICS_TOKEN.\n",
        )
            .into_response();
    }
    let (actors, in_memory) = state.documents.loaded();
    let outbox = state.store.outbox_depth().await;
    let mut text = String::new();
    let m = &METRICS;
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    family(
        &mut text,
        "campo_build_info",
        "gauge",
        "La versión de Campo de este proceso.",
    );
    let _ = writeln!(
        text,
        "campo_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    family(
        &mut text,
        "campo_http_responses_total",
        "counter",
        "Respuestas HTTP por clase de estado.",
    );
    for (i, counter) in m.http_responses.iter().enumerate() {
        let _ = writeln!(
            text,
            "campo_http_responses_total{{class=\"{}xx\"}} {}",
            i + 1,
            load(counter)
        );
    }
    sample(
        &mut text,
        "campo_http_response_seconds_total",
        "counter",
        "Tiempo total para producir las respuestas HTTP, en segundos.",
        load(&m.http_micros) as f64 / 1e6,
    );
    for (name, help, counter) in [
        (
            "campo_sync_messages_received_total",
            "Mensajes de sincronización recibidos de los teléfonos.",
            &m.sync_messages_received,
        ),
        (
            "campo_sync_bytes_received_total",
            "Bytes de sincronización recibidos de los teléfonos.",
            &m.sync_bytes_received,
        ),
        (
            "campo_sync_messages_sent_total",
            "Mensajes de sincronización enviados a los teléfonos.",
            &m.sync_messages_sent,
        ),
        (
            "campo_sync_bytes_sent_total",
            "Bytes de sincronización enviados a los teléfonos.",
            &m.sync_bytes_sent,
        ),
        (
            "campo_sync_changes_refused_total",
            "Cambios sincronizados que una regla rechazó (ni guardados ni reenviados).",
            &m.sync_changes_refused,
        ),
        (
            "campo_errors_total",
            "Errores que el servidor registró: respuestas 5xx, envíos y lecturas de correo fallidos.",
            &m.errors,
        ),
    ] {
        sample(&mut text, name, "counter", help, load(counter) as f64);
    }
    for (name, help, value) in [
        (
            "campo_sync_connections",
            "Conexiones de sincronización abiertas.",
            load(&m.sync_connections) as f64,
        ),
        (
            "campo_documents_in_memory",
            "Casos sincronizados cargados en memoria.",
            in_memory as f64,
        ),
        (
            "campo_document_actors",
            "Casos con una tarea en el servidor (en memoria o recordados para un teléfono).",
            actors as f64,
        ),
    ] {
        sample(&mut text, name, "gauge", help, value);
    }
    match outbox {
        Ok(depth) => {
            sample(
                &mut text,
                "campo_mail_outbox_pending",
                "gauge",
                "Correos por enviar en la bandeja de salida.",
                depth.pending as f64,
            );
            sample(
                &mut text,
                "campo_mail_outbox_failing",
                "gauge",
                "Correos por enviar cuyo último intento falló.",
                depth.failing as f64,
            );
        }
        Err(err) => tracing::warn!(%err, "metrics: could not read the e-mail outbox"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// The `# HELP` and `# TYPE` lines of a family.
fn family(text: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} {kind}");
}

/// A family with one unlabelled sample.
fn sample(text: &mut String, name: &str, kind: &str, help: &str, value: f64) {
    family(text, name, kind, help);
    let _ = writeln!(text, "{name} {value}");
}

/// Whether two secrets are equal, compared through their SHA-256 so the time taken says nothing
/// useful about the configured one.
fn same_secret(presented: &str, configured: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(presented.as_bytes()) == Sha256::digest(configured.as_bytes())
}
