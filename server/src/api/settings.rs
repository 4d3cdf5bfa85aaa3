//! `GET /api/settings/sla` (any logged-in user: the deadlines shown to officials follow it) and
//! `PUT /api/settings/sla` (coordinators): the priority targets, the working hours and whether
//! waiting for an absent user pauses the resolution clock.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use campo_shared::account::FieldError;
use campo_shared::role::Role;
use campo_shared::sla::SlaPolicy;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError, Json};
use crate::store::SLA_SETTING;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/settings/sla", get(get_sla).put(put_sla))
}

async fn get_sla(State(state): State<AppState>, _user: CurrentUser) -> ApiResult<Json<SlaPolicy>> {
    Ok(Json(state.store.sla_policy().await?))
}

async fn put_sla(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(policy): Json<SlaPolicy>,
) -> ApiResult<Json<SlaPolicy>> {
    user.require(&[Role::Coordinador])?;
    let sla = match crate::projection::Sla::new(policy.clone()) {
        Ok(sla) => sla,
        Err(err) => {
            return Err(AppError::Validation(vec![FieldError::new(
                "sla",
                err.to_string(),
            )]));
        }
    };
    state.store.put_setting(SLA_SETTING, &policy).await?;
    state.documents.set_sla(sla);
    tracing::info!(by = %user.id, "SLA policy updated");
    Ok(Json(policy))
}
