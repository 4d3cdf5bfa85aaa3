//! «Acta de servicio»: one PDF per case, `GET /api/tickets/{id}/acta.pdf`, for the coordinator
//! and the official who asked.
//!
//! It tells the case as the ticket document holds it: the request, every visit (an absent one with
//! its evidence photos, a present one with its work), the custody chain of the equipment, the
//! solution and the closing report, the official's signature and the survey. Names come from the
//! users, dependencias and equipment tables, never ids; times are in America/Bogota.
//!
//! [`gather`] reads what the record needs (the document through its actor, the tables, the stored
//! JPEGs); [`render::render`] says what the record holds, [`layout`] places it on A4 pages drawn
//! with [`crate::pdfdoc`]. Both are pure.

mod layout;
mod render;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use campo_shared::role::Role;
use campo_shared::schema::{Custody, TicketDoc};

use super::readable_ticket;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::pdfdoc::Jpeg;
use crate::store::now_ms;
use render::render;

/// `GET /api/tickets/{id}/acta.pdf`: the service record of a case. Coordinators and the
/// requester only; anyone else gets the 404 of a case it cannot read.
#[tracing::instrument(skip_all, fields(ticket = %id))]
pub(super) async fn acta(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (id, row) = readable_ticket(&state, &user, &id).await?;
    let requester = row.requester_id.as_deref() == Some(user.id.as_str());
    if user.role != Role::Coordinador && !requester {
        return Err(AppError::NotFound("No existe ese caso.".into()));
    }
    let ticket = state
        .documents
        .view(id, |doc| doc.map(TicketDoc::hydrate_from))
        .await
        .map_err(super::sync_error)?
        .ok_or_else(|| AppError::NotFound("No existe ese caso.".into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let acta = gather(&state, row.number.clone(), ticket).await?;
    let pdf = tokio::task::spawn_blocking(move || render(&acta))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"acta-{}.pdf\"", row.number),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        pdf,
    )
        .into_response())
}

/// Everything the record shows, read and resolved: names instead of ids, the photos' JPEGs.
pub struct Acta {
    /// The organisation named in the heading (`CAMPO_ORGANISATION`).
    pub organisation: String,
    /// The case number, «SAT-2026-000123».
    pub number: String,
    /// When the record was generated, ms since the epoch.
    pub generated_at: i64,
    pub ticket: TicketDoc,
    /// The dependencia's name.
    pub dependencia: String,
    /// Users' names by id.
    pub names: HashMap<String, String>,
    /// «Impresora HP LaserJet M404» by inventory code, for the codes the inventory knows.
    pub equipment: HashMap<String, String>,
    /// Evidence thumbnails by SHA-256, for the photos the server has.
    pub thumbs: HashMap<String, Jpeg>,
    /// Signatures (display size) by SHA-256, for the drawings the server has.
    pub signatures: HashMap<String, Jpeg>,
}

/// Reads what the record of `ticket` needs from the tables and the photo store.
async fn gather(state: &AppState, number: String, ticket: TicketDoc) -> ApiResult<Acta> {
    let mut ids: Vec<&str> = ticket
        .visits
        .iter()
        .map(|v| v.technician.as_str())
        .collect();
    ids.extend(ticket.report.iter().map(|r| r.author.as_str()));
    ids.extend(ticket.survey.iter().map(|s| s.by.as_str()));
    ids.sort_unstable();
    ids.dedup();
    let mut names = HashMap::new();
    for id in ids {
        if let Some(user) = state.store.user_by_id(id).await? {
            names.insert(user.id, user.full_name);
        }
    }
    // Whoever the workflow named as responsible, under the name it had then, for an account the
    // table no longer holds.
    for event in &ticket.events {
        if let Some(person) = &event.data.assignee
            && !person.name.trim().is_empty()
        {
            names
                .entry(person.id.clone())
                .or_insert_with(|| person.name.clone());
        }
    }

    let code = &ticket.request.dependencia;
    let dependencia = state
        .store
        .list_dependencias()
        .await?
        .into_iter()
        .find(|d| &d.code == code)
        .map_or_else(|| code.clone(), |d| d.name);

    let mut codes: Vec<&str> = ticket
        .request
        .equipment
        .iter()
        .map(String::as_str)
        .collect();
    for visit in &ticket.visits {
        codes.extend(visit.equipment.iter().map(String::as_str));
        codes.extend(custody_codes(visit.custody.as_ref()));
    }
    for event in &ticket.events {
        codes.extend(custody_codes(event.data.custody.as_ref()));
    }
    codes.sort_unstable();
    codes.dedup();
    let mut equipment = HashMap::new();
    for code in codes {
        if let Some(item) = state.store.equipment(code).await? {
            let words: Vec<&str> = [&item.kind, &item.brand, &item.model]
                .into_iter()
                .map(|w| w.trim())
                .filter(|w| !w.is_empty())
                .collect();
            equipment.insert(item.code.clone(), words.join(" "));
        }
    }

    let mut thumbs = HashMap::new();
    let mut signatures = HashMap::new();
    for visit in &ticket.visits {
        for photo in &visit.evidence {
            if let Some(jpeg) = stored(state.media.thumb_jpeg(&photo.sha256).await, &photo.sha256) {
                thumbs.insert(photo.sha256.clone(), jpeg);
            }
        }
        if let Some(signature) = &visit.signature
            && let Some(jpeg) = stored(
                state.media.display_jpeg(&signature.sha256).await,
                &signature.sha256,
            )
        {
            signatures.insert(signature.sha256.clone(), jpeg);
        }
    }

    Ok(Acta {
        organisation: state.config.organisation.clone(),
        number,
        generated_at: now_ms(),
        ticket,
        dependencia,
        names,
        equipment,
        thumbs,
        signatures,
    })
}

fn custody_codes(custody: Option<&Custody>) -> impl Iterator<Item = &str> {
    custody
        .into_iter()
        .flat_map(|c| c.equipment.iter().map(String::as_str))
}

/// A stored JPEG, or `None` (logged) when it cannot be read: the record says the photo is missing
/// rather than failing.
fn stored(read: std::io::Result<Option<Vec<u8>>>, sha256: &str) -> Option<Jpeg> {
    match read {
        Ok(Some(bytes)) => {
            let jpeg = Jpeg::parse(bytes);
            if jpeg.is_none() {
                tracing::warn!(sha256, "a stored photo is not a JPEG a PDF can show");
            }
            jpeg
        }
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(%err, sha256, "could not read a stored photo for a service record");
            None
        }
    }
}
