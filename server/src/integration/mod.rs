//! The public integration surface: integration tokens (`/api/tokens`), the intranet's and GLPI's
//! intake (`/api/intake`) and the OpenAPI document of the public API (`/api/openapi.json`).

pub mod intake;
pub mod openapi;
pub mod tokens;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}", delete(tokens::revoke))
        .route("/api/intake", post(intake::intake))
        .route("/api/openapi.json", get(openapi::document))
}
