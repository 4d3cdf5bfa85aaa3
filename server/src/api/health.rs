//! `GET /healthz`: answers 200 when the database answers, 503 when it does not; also tells how
//! many synced documents are in memory (`documents_in_memory`) and have an actor
//! (`document_actors`: in memory, or remembered for a connected peer).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.ping().await {
        Ok(()) => {
            let (actors, in_memory) = state.documents.loaded();
            (
                StatusCode::OK,
                Json(json!({
                    "status": "ok",
                    "database": state.store.backend_name(),
                    "documents_in_memory": in_memory,
                    "document_actors": actors,
                })),
            )
        }
        Err(err) => {
            tracing::error!(%err, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "error", "message": "La base de datos no responde."})),
            )
        }
    }
}
