//! `POST /api/tickets/{id}/actions`: the coordinators' workflow actions (activities 2–4 and the
//! corrections): accept, triage, assign or reassign, resolve by phone, record the equipment's
//! return, cancel, reopen, mark as a duplicate. Each is a workflow event appended by the server;
//! the workflow decides, inside the document's actor and so against its latest state, whether it
//! is possible now.

use axum::extract::{Path, State};
use campo_shared::account::FieldError;
use campo_shared::custody;
use campo_shared::event_kind::EventKind;
use campo_shared::limits;
use campo_shared::role::Role;
use campo_shared::schema::{Custody, Event, EventData, Mode, Person, TicketDoc, append_event};
use campo_shared::sla::Priority;
use campo_shared::workflow::{self, State as TicketState};
use serde::Deserialize;

use super::{TicketView, author, readable_ticket, sync_error};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError, Json};
use crate::store::now_ms;

/// Longest reason or note, in characters.
const REASON_MAX: usize = 1000;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The workflow event's wire name: `aceptada`, `priorizada`, `asignada`,
    /// `resuelta_telefono`, `equipo_devuelto`, `anulada`, `reabierta`, `duplicada`.
    #[schema(value_type = String, example = "aceptada")]
    action: EventKind,
    /// `baja`, `media`, `alta`, `critica`.
    #[schema(value_type = Option<String>, example = "alta")]
    priority: Option<Priority>,
    /// `telefono`, `sitio`, `taller`.
    #[schema(value_type = Option<String>)]
    mode: Option<Mode>,
    assignee_id: Option<String>,
    reason: Option<String>,
    /// The original ticket (id, `automerge:` URL or number) of a duplicate.
    duplicate_of: Option<String>,
    /// A resolution deadline fixed by hand (ms since the epoch), instead of the policy's.
    resolution_due: Option<i64>,
    /// `equipo_devuelto`: where the equipment goes back to (the request's location by default).
    place: Option<String>,
    /// `equipo_devuelto`: who receives it (the coordinator by default).
    received_by: Option<String>,
    /// `equipo_devuelto`: its condition on return.
    condition: Option<String>,
    /// `resuelta_telefono` while the equipment is still in the workshop or with the contractor:
    /// why the case is resolved before its return (without it, such a resolution is refused).
    equipment_out_reason: Option<String>,
}

/// An optional text of the body: trimmed, `None` when empty, refused when over `max` characters.
fn optional_text(
    value: Option<&str>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, AppError> {
    let text = value.unwrap_or_default().trim();
    if text.chars().count() > max {
        return Err(
            FieldError::new(field, format!("El texto admite hasta {max} caracteres.")).into(),
        );
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// The body's `reason`, required: «Escriba {what}.» when it is missing.
fn reason(body: &ActionBody, what: &str) -> Result<String, AppError> {
    optional_text(body.reason.as_deref(), "reason", REASON_MAX)?
        .ok_or_else(|| FieldError::new("reason", format!("Escriba {what}.")).into())
}

/// A coordinator's workflow action on a case.
#[utoipa::path(post, operation_id = "ticket_action", path = "/api/tickets/{id}/actions", tag = "casos", request_body = ActionBody,
    params(("id" = String, Path, description = "Id del documento del caso o su URL automerge:")),
    responses(
        (status = 200, description = "El caso tras la acción", body = TicketView),
        (status = 404, description = "No existe el caso", body = crate::integration::openapi::ErrorBody),
        (status = 409, description = "El flujo no permite la acción en el estado actual", body = crate::integration::openapi::ErrorBody),
        (status = 422, description = "Campos no válidos", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = [])))]
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<ActionBody>,
) -> ApiResult<Json<TicketView>> {
    user.require(&[Role::Coordinador])?;
    let (doc_id, row) = readable_ticket(&state, &user, &id).await?;
    let kind = body.action;
    let data = match kind {
        EventKind::Accepted => EventData {
            mode: body.mode,
            ..EventData::default()
        },
        EventKind::Prioritized => {
            let priority = body.priority.ok_or_else(|| {
                FieldError::new("priority", "Elija la prioridad: alta, media o baja.")
            })?;
            if body.resolution_due.is_some_and(|due| due <= now_ms()) {
                return Err(FieldError::new(
                    "resolution_due",
                    "El plazo de solución debe estar en el futuro.",
                )
                .into());
            }
            // A case's deadlines change only by an explicit re-triage, with its reason on record.
            let retriage = row
                .priority
                .as_deref()
                .is_some_and(|before| before != priority.as_str() || body.resolution_due.is_some());
            let reason = if retriage {
                Some(reason(
                    &body,
                    "el motivo del cambio de prioridad o de plazo",
                )?)
            } else {
                optional_text(body.reason.as_deref(), "reason", REASON_MAX)?
            };
            EventData {
                priority: Some(priority),
                mode: body.mode,
                resolution_due: body.resolution_due,
                reason,
                ..EventData::default()
            }
        }
        EventKind::Assigned => {
            let assignee_id = body.assignee_id.as_deref().ok_or_else(|| {
                FieldError::new("assignee_id", "Elija el técnico o contratista responsable.")
            })?;
            let assignee = state
                .store
                .user_by_id(assignee_id)
                .await?
                .filter(|u| u.active && matches!(u.role.as_str(), "tecnico" | "contratista"))
                .ok_or_else(|| {
                    FieldError::new(
                        "assignee_id",
                        "El responsable debe ser un técnico o contratista activo.",
                    )
                })?;
            EventData {
                assignee: Some(Person {
                    id: assignee.id,
                    name: assignee.full_name,
                }),
                mode: body.mode,
                ..EventData::default()
            }
        }
        EventKind::ResolvedByPhone => EventData {
            reason: Some(reason(&body, "cómo se resolvió por teléfono")?),
            equipment_out_reason: optional_text(
                body.equipment_out_reason.as_deref(),
                "equipment_out_reason",
                REASON_MAX,
            )?,
            ..EventData::default()
        },
        EventKind::Cancelled => EventData {
            reason: Some(reason(&body, "el motivo de la anulación")?),
            ..EventData::default()
        },
        EventKind::Reopened => EventData {
            reason: Some(reason(&body, "el motivo de la reapertura")?),
            ..EventData::default()
        },
        EventKind::Duplicate => {
            let original = body.duplicate_of.as_deref().unwrap_or_default().trim();
            let original_row = match super::parse_id(original) {
                Ok(original_id) => state.store.ticket(&original_id.to_bs58check()).await?,
                Err(_) => state.store.ticket_by_number(original).await?,
            }
            .filter(|o| o.id != row.id)
            .ok_or_else(|| {
                FieldError::new(
                    "duplicate_of",
                    "Indique el caso original (su número, p. ej. SAT-2026-000123).",
                )
            })?;
            EventData {
                duplicate_of: Some(format!("automerge:{}", original_row.id)),
                reason: body.reason.clone().filter(|r| !r.trim().is_empty()),
                ..EventData::default()
            }
        }
        EventKind::EquipmentReturned => {
            let short = limits::SHORT_TEXT.max;
            // The custody record is completed in the document's actor, from the send it closes.
            EventData {
                custody: Some(Custody {
                    equipment: Vec::new(),
                    from: String::new(),
                    to: optional_text(body.received_by.as_deref(), "received_by", short)?
                        .unwrap_or_else(|| user.full_name.clone()),
                    place: optional_text(body.place.as_deref(), "place", short)?
                        .unwrap_or_default(),
                    at: now_ms(),
                    condition: optional_text(
                        body.condition.as_deref(),
                        "condition",
                        limits::CONDITION.max,
                    )?
                    .unwrap_or_default(),
                }),
                reason: optional_text(body.reason.as_deref(), "reason", REASON_MAX)?,
                ..EventData::default()
            }
        }
        other => {
            return Err(FieldError::new(
                "action",
                format!(
                    "«{}» se registra desde la aplicación del técnico, no desde la oficina.",
                    other.label()
                ),
            )
            .into());
        }
    };
    let mut event = Event::new(kind, now_ms(), &user.id, user.role).with_data(data);
    state
        .documents
        .change(doc_id, author(&user), move |doc| {
            let ticket = TicketDoc::hydrate_from(doc).map_err(|e| e.to_string())?;
            let folded = workflow::fold(&ticket.events);
            if kind == EventKind::EquipmentReturned {
                let sent = custody::out_now(&ticket, folded.state).ok_or_else(|| {
                    "El equipo de este caso no está en el taller ni con el contratista: no hay \
                     devolución que registrar."
                        .to_owned()
                })?;
                if let (Some(record), Some(sent)) = (event.data.custody.as_mut(), sent.custody) {
                    record.equipment = sent.equipment.clone();
                    record.from = sent.to.clone();
                    if record.place.is_empty() {
                        record.place = ticket.request.location.clone();
                    }
                }
            }
            if !matches!(
                folded.state,
                TicketState::InWorkshop | TicketState::WithContractor
            ) {
                // Nothing is out: there is no return to wait for, nor a reason to keep.
                event.data.equipment_out_reason = None;
            }
            workflow::check_event(folded.state, &event).map_err(|denied| match denied {
                workflow::Denied::EquipmentOut { .. } if kind == EventKind::ResolvedByPhone => {
                    format!(
                        "{denied} Si el caso debe resolverse sin esperar el equipo, diga por qué \
                         en «equipment_out_reason»: el equipo sigue fuera en el inventario hasta \
                         que se registre su devolución."
                    )
                }
                denied => denied.to_string(),
            })?;
            // The coordinator acts on what it sees: the action folds after every event already
            // there, even one stamped ahead of the server's clock by a phone.
            if let Some(last) = ticket.events.iter().map(|e| e.at).max() {
                event.at = event.at.max(last + 1);
            }
            if let Some(record) = event.data.custody.as_mut() {
                record.at = event.at;
            }
            doc.transact::<_, _, String>(|tx| append_event(tx, &event).map_err(|e| e.to_string()))
                .map(|_| ())
                .map_err(|failure| failure.error)
        })
        .await
        .map_err(sync_error)?;
    let row = state
        .store
        .ticket(&row.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the ticket lost its projection row"))?;
    tracing::info!(number = %row.number, action = kind.as_str(), by = %user.id, "workflow action");
    Ok(Json(row.into()))
}
