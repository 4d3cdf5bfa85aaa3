//! The SLA policy and the office's calendar, which coordinators edit and every signed-in user
//! reads:
//!
//! - `GET`/`PUT /api/settings/sla`: the policy in force (targets per priority, reception target,
//!   warning share, working hours, pauses). A `PUT` records a **new version**, in force for the
//!   cases received from then on; the deadlines of cases already received never change.
//! - `GET /api/settings/sla/history`: every version, with when it took effect and who set it.
//! - `GET`/`POST /api/settings/closures`, `DELETE /api/settings/closures/{date}`: the days the
//!   Gobernación closed the offices or changed their hours by decree. They move the deadlines of
//!   running cases like holidays.
//! - `GET`/`PUT /api/settings/escalation`: who, besides the coordinators, hears of a missed
//!   deadline (the second level).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use campo_shared::account::FieldError;
use campo_shared::calendar::{Closure, Hours, bogota};
use campo_shared::limits::capitalise;
use campo_shared::role::Role;
use campo_shared::sla::SlaPolicy;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError, Json};
use crate::store::{ClosureRow, SETTINGS_CHANNEL, StoreError};

/// Longest reason of a closure, in characters.
const REASON_MAX: usize = 300;
/// Most people in the second level of escalation.
const SECOND_LEVEL_MAX: usize = 10;
/// Key of the escalation setting.
pub const ESCALATION_SETTING: &str = "escalation";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/settings/sla", get(get_sla).put(put_sla))
        .route("/api/settings/sla/history", get(history))
        .route("/api/settings/closures", get(closures).post(add_closure))
        .route("/api/settings/closures/{date}", delete(remove_closure))
        .route(
            "/api/settings/escalation",
            get(get_escalation).put(put_escalation),
        )
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
    if let Err(err) = policy.calendar() {
        return Err(FieldError::new("sla", err.to_string()).into());
    }
    let now = state.store.database_now_ms().await?;
    let from = state.store.add_sla_version(&policy, &user.id, now).await?;
    reload(&state).await?;
    tracing::info!(by = %user.id, effective_from = from, "new SLA policy version");
    Ok(Json(policy))
}

/// One version of the policy as the history shows it.
#[derive(Serialize)]
struct VersionView {
    effective_from: i64,
    policy: SlaPolicy,
    created_by: Option<String>,
}

async fn history(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> ApiResult<Json<Vec<VersionView>>> {
    let versions = state.store.sla_history().await?;
    Ok(Json(
        versions
            .into_iter()
            .map(|(v, created_by)| VersionView {
                effective_from: v.effective_from,
                policy: v.policy,
                created_by,
            })
            .collect(),
    ))
}

async fn closures(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> ApiResult<Json<Vec<ClosureRow>>> {
    Ok(Json(state.store.closures().await?))
}

/// A closure as a coordinator types it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClosure {
    /// `YYYY-MM-DD`.
    date: String,
    /// The hours worked that day; none or empty when the office does not open.
    #[serde(default)]
    hours: Vec<Hours>,
    reason: String,
}

/// Today in Bogota.
fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&bogota()).date_naive()
}

fn parse_date(raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new("date", "Escriba la fecha como AAAA-MM-DD."))
}

async fn add_closure(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<NewClosure>,
) -> ApiResult<(StatusCode, Json<Closure>)> {
    user.require(&[Role::Coordinador])?;
    let date = parse_date(&body.date)?;
    if date < today() {
        return Err(FieldError::new(
            "date",
            "No se registran cierres en fechas pasadas: los plazos de esos días ya corrieron.",
        )
        .into());
    }
    if date > today() + chrono::Duration::days(3 * 366) {
        return Err(FieldError::new(
            "date",
            "Registre cierres de los próximos tres años como máximo.",
        )
        .into());
    }
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(
            FieldError::new("reason", "Escriba el motivo (el decreto o la circular).").into(),
        );
    }
    if reason.chars().count() > REASON_MAX {
        return Err(FieldError::new(
            "reason",
            format!("El motivo admite hasta {REASON_MAX} caracteres."),
        )
        .into());
    }
    let closure = Closure {
        date,
        hours: body.hours,
        reason: reason.to_owned(),
    }
    .checked()
    .map_err(|err| FieldError::new("hours", format!("{}.", capitalise(&err.to_string()))))?;
    match state.store.add_closure(&closure, &user.id).await {
        Ok(()) => {}
        Err(StoreError::Duplicate(_)) => {
            return Err(AppError::Conflict(format!(
                "Ya hay un cierre registrado el {}; elimínelo antes de registrar otro.",
                date.format("%Y-%m-%d")
            )));
        }
        Err(err) => return Err(err.into()),
    }
    reload(&state).await?;
    tracing::info!(by = %user.id, %date, "office closure recorded");
    Ok((StatusCode::CREATED, Json(closure)))
}

async fn remove_closure(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(date): Path<String>,
) -> ApiResult<StatusCode> {
    user.require(&[Role::Coordinador])?;
    let date = parse_date(&date)?;
    if date < today() {
        return Err(AppError::Conflict(
            "Ese cierre ya pasó: cuenta en los plazos y en los informes, no se elimina.".into(),
        ));
    }
    if !state.store.remove_closure(date).await? {
        return Err(AppError::NotFound(
            "No hay un cierre registrado ese día.".into(),
        ));
    }
    reload(&state).await?;
    tracing::info!(by = %user.id, %date, "office closure removed");
    Ok(StatusCode::NO_CONTENT)
}

/// Who hears of a missed deadline besides the coordinators.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// User ids of the second level (active users of any role, e.g. the office's head).
    #[serde(default)]
    pub second_level: Vec<String>,
}

async fn get_escalation(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Escalation>> {
    user.require(&[Role::Coordinador])?;
    Ok(Json(
        state
            .store
            .setting(ESCALATION_SETTING)
            .await?
            .unwrap_or_default(),
    ))
}

async fn put_escalation(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(mut body): Json<Escalation>,
) -> ApiResult<Json<Escalation>> {
    user.require(&[Role::Coordinador])?;
    body.second_level.sort();
    body.second_level.dedup();
    if body.second_level.len() > SECOND_LEVEL_MAX {
        return Err(FieldError::new(
            "second_level",
            format!("El segundo nivel admite hasta {SECOND_LEVEL_MAX} personas."),
        )
        .into());
    }
    for id in &body.second_level {
        let active = state.store.user_by_id(id).await?.is_some_and(|u| u.active);
        if !active {
            return Err(FieldError::new(
                "second_level",
                "Elija usuarios activos de Campo para el segundo nivel.",
            )
            .into());
        }
    }
    state.store.put_setting(ESCALATION_SETTING, &body).await?;
    Ok(Json(body))
}

/// Reads the policy versions and closures again, gives them to the projection, tells the other
/// replicas, and brings the deadlines of the running cases up to date in the background (a
/// closure moves them; a new policy version does not, but costs nothing there).
async fn reload(state: &AppState) -> ApiResult<()> {
    crate::reproject::reload_sla(state).await?;
    if let Err(err) = state
        .store
        .announce(SETTINGS_CHANNEL, state.store.instance())
        .await
    {
        tracing::warn!(%err, "could not tell the other replicas of the new SLA settings");
    }
    Ok(())
}
