//! Dependencias: every logged-in user may list them (the request form needs them); coordinators
//! create them.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use campo_shared::account::FieldError;
use campo_shared::ids::DependenciaCode;
use campo_shared::role::Role;
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError, Json};
use crate::store::{Dependencia, StoreError};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/dependencias", get(list).post(create))
}

async fn list(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> ApiResult<Json<Vec<Dependencia>>> {
    Ok(Json(state.store.list_dependencias().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDependencia {
    code: String,
    name: String,
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<NewDependencia>,
) -> ApiResult<(StatusCode, Json<Dependencia>)> {
    user.require(&[Role::Coordinador])?;
    let mut errors = Vec::new();
    let code = DependenciaCode::parse(&body.code)
        .map_err(|e| errors.push(FieldError::new("code", e.to_string())));
    let name = body.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(2..=120).contains(&name.chars().count()) {
        errors.push(FieldError::new(
            "name",
            "El nombre debe tener entre 2 y 120 caracteres.",
        ));
    }
    let (Ok(code), true) = (code, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    match state.store.insert_dependencia(code.as_str(), &name).await {
        Ok(dependencia) => Ok((StatusCode::CREATED, Json(dependencia))),
        Err(StoreError::Duplicate(_)) => Err(AppError::Conflict(
            "Ya existe una dependencia con ese código o ese nombre.".into(),
        )),
        Err(err) => Err(err.into()),
    }
}
