//! The REST API under `/api`, one module per capability, each with its own `router()`.

pub(crate) mod accounts;
pub mod health;
mod holidays;
mod organisation;
pub mod settings;
pub mod sla;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(accounts::router())
        .merge(organisation::router())
        .merge(holidays::router())
        .merge(settings::router())
        .merge(sla::router())
        .fallback(not_found)
}

async fn not_found() -> crate::error::AppError {
    crate::error::AppError::NotFound("No existe esa dirección en Campo.".into())
}
