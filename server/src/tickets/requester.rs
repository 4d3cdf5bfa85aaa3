//! `PUT /api/tickets/{id}/requester`: a coordinator names the official of a request that arrived
//! from someone Campo did not recognise (an e-mail from an unknown address, a GLPI ticket whose
//! requester is not a Campo user), «Solicitante por identificar». The request takes the
//! official's name and dependencia; a comment by the coordinator keeps who it was before. From
//! then on the official sees the case (and its survey) like any of its own.

use axum::extract::{Path, State};
use campo_shared::account::FieldError;
use campo_shared::ids::CommentId;
use campo_shared::role::Role;
use campo_shared::schema::{Comment, Person, TicketDoc, append_comment, set_requester};
use serde::Deserialize;

use super::{TicketView, author, readable_ticket, sync_error};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError, Json};
use crate::intake::{UNIDENTIFIED, UNKNOWN_DEPENDENCIA};
use crate::store::now_ms;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequesterBody {
    /// The official's user id.
    requester_id: String,
}

/// Names the official of a request «por identificar» (coordinators).
#[utoipa::path(put, operation_id = "identify_requester", path = "/api/tickets/{id}/requester", tag = "casos", request_body = RequesterBody,
    params(("id" = String, Path, description = "Id del documento del caso o su URL automerge:")),
    responses(
        (status = 200, description = "El caso con su solicitante", body = TicketView),
        (status = 404, description = "No existe el caso", body = crate::integration::openapi::ErrorBody),
        (status = 409, description = "El caso ya tiene solicitante", body = crate::integration::openapi::ErrorBody),
        (status = 422, description = "El usuario no es un funcionario activo", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = [])))]
pub async fn identify(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<RequesterBody>,
) -> ApiResult<Json<TicketView>> {
    user.require(&[Role::Coordinador])?;
    let (doc_id, row) = readable_ticket(&state, &user, &id).await?;
    let official = state
        .store
        .user_by_id(body.requester_id.trim())
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| FieldError::new("requester_id", "Elija un usuario activo de Campo."))?;
    let person = Person {
        id: official.id.clone(),
        name: official.full_name.clone(),
    };
    let dependencia = official
        .dependencia
        .clone()
        .unwrap_or_else(|| UNKNOWN_DEPENDENCIA.to_owned());
    let coordinator = user.id.clone();
    state
        .documents
        .change(doc_id, author(&user), move |doc| {
            let ticket = TicketDoc::hydrate_from(doc).map_err(|e| e.to_string())?;
            // Decided on the document's latest state: two coordinators identifying at once
            // cannot both rewrite it.
            if ticket.request.requester.id != UNIDENTIFIED {
                return Err(format!(
                    "El caso ya tiene solicitante: {}.",
                    ticket.request.requester.name
                ));
            }
            let comment = Comment {
                id: CommentId::new(),
                author: coordinator,
                at: now_ms(),
                text: format!(
                    "Solicitante identificado: {}. Antes: «{}».",
                    person.name, ticket.request.requester.name
                ),
            };
            doc.transact::<_, _, String>(|tx| {
                set_requester(tx, &person, &dependencia).map_err(|e| e.to_string())?;
                append_comment(tx, &comment).map_err(|e| e.to_string())
            })
            .map(|_| ())
            .map_err(|failure| failure.error)
        })
        .await
        .map_err(sync_error)?;
    let row =
        state.store.ticket(&row.id).await?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("the ticket lost its projection row"))
        })?;
    tracing::info!(number = %row.number, by = %user.id, "requester identified");
    Ok(Json(row.into()))
}
