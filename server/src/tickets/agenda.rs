//! Each user's agenda: the tickets its device should sync, and a Server-Sent Events stream that
//! sends the agenda again whenever it changes (a new or withdrawn assignment, a new request).
//!
//! Server-Sent Events rather than an agenda document per user: the agenda is derived from the
//! projection, read-only, and only useful online; a stream re-sends the whole (small) list, so a
//! reconnecting client never misses a change and there is no second copy to keep in step.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use campo_shared::role::Role;
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use super::viewer;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, Json};
use crate::store::{TicketFilter, TicketRow};

/// Most tickets an agenda lists (a device syncs each of them).
const AGENDA_MAX: i64 = 500;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonRef {
    id: String,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgendaItem {
    id: String,
    url: String,
    number: String,
    state: String,
    priority: Option<String>,
    mode: Option<String>,
    summary: String,
    category: String,
    dependencia: Option<String>,
    dependencia_name: Option<String>,
    location: String,
    requester: PersonRef,
    assignee: Option<PersonRef>,
    response_due: Option<i64>,
    resolution_due: Option<i64>,
    response_warn_at: Option<i64>,
    resolution_warn_at: Option<i64>,
    next_visit_at: Option<i64>,
    flags: Vec<String>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agenda {
    tickets: Vec<AgendaItem>,
}

fn item(row: TicketRow, names: &HashMap<String, String>) -> AgendaItem {
    AgendaItem {
        url: format!("automerge:{}", row.id),
        dependencia_name: row.dependencia.as_ref().and_then(|d| names.get(d).cloned()),
        requester: PersonRef {
            id: row.requester_id.unwrap_or_default(),
            name: row.requester_name,
        },
        assignee: row.assignee_id.map(|id| PersonRef {
            id,
            name: row.assignee_name.unwrap_or_default(),
        }),
        flags: row
            .flag_kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect(),
        id: row.id,
        number: row.number,
        state: row.state,
        priority: row.priority,
        mode: row.mode,
        summary: row.summary,
        category: row.category,
        dependencia: row.dependencia,
        location: row.location,
        response_due: row.response_due,
        resolution_due: row.resolution_due,
        response_warn_at: row.response_warn_at,
        resolution_warn_at: row.resolution_warn_at,
        next_visit_at: row.next_visit_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// The agenda of `user`: for field roles and coordinators the open tickets they may sync; for an
/// official all its requests (a closed one still waits for its survey).
async fn load(state: &AppState, user: &CurrentUser) -> anyhow::Result<Agenda> {
    let filter = TicketFilter {
        open: user.role != Role::Funcionario,
        limit: AGENDA_MAX,
        ..TicketFilter::default()
    };
    let rows = state.store.list_tickets(viewer(user), &filter).await?;
    let names: HashMap<String, String> = state
        .store
        .list_dependencias()
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    Ok(Agenda {
        tickets: rows.into_iter().map(|row| item(row, &names)).collect(),
    })
}

/// `GET /api/agenda`.
pub async fn agenda(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Agenda>> {
    Ok(Json(load(&state, &user).await?))
}

/// Whether a change may change `user`'s agenda (`last`, as sent): a coordinator's lists every
/// case; a ticket the agenda lists counts too, since a change another replica made says only
/// whom the ticket concerns now.
fn concerns(user: &CurrentUser, last: Option<&Agenda>, change: &crate::sync::DocChanged) -> bool {
    let listed = last.is_some_and(|agenda| {
        let id = change.document.to_bs58check();
        agenda.tickets.iter().any(|t| t.id == id)
    });
    user.role == Role::Coordinador
        || listed
        || change
            .before
            .iter()
            .chain(change.after.iter())
            .any(|a| a.names(&user.id))
}

/// `GET /api/agenda/stream`: `event: agenda` with the agenda, at once and after every change
/// that concerns the user.
pub async fn stream(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let changes = state.documents.subscribe();
    let mut gaps = state.documents.agenda_gaps();
    gaps.mark_unchanged();
    let closed = state.documents.closed();
    struct Cursor {
        state: AppState,
        user: CurrentUser,
        changes: tokio::sync::broadcast::Receiver<crate::sync::DocChanged>,
        gaps: tokio::sync::watch::Receiver<u64>,
        last: Option<Agenda>,
    }
    let cursor = Cursor {
        state,
        user,
        changes,
        gaps,
        last: None,
    };
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if c.last.is_some() {
                // Wait for a change that concerns this user.
                tokio::select! {
                    change = c.changes.recv() => match change {
                        Ok(change) if !concerns(&c.user, c.last.as_ref(), &change) => continue,
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                    },
                    // Changes were missed, and nobody can tell whom they concern.
                    gap = c.gaps.changed() => if gap.is_err() {
                        return None;
                    },
                }
            }
            // Until it can be read: waiting for the next change instead would leave the phone
            // without the one that asked for this reading.
            let agenda = loop {
                match load(&c.state, &c.user).await {
                    Ok(agenda) => break agenda,
                    Err(err) => {
                        tracing::warn!(%err, "could not read an agenda");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            if c.last.as_ref() == Some(&agenda) {
                continue;
            }
            let event = SseEvent::default()
                .event("agenda")
                .json_data(&agenda)
                .unwrap_or_else(|_| SseEvent::default().comment("error"));
            c.last = Some(agenda);
            return Some((Ok(event), c));
        }
    });
    let events = futures_util::StreamExt::take_until(events, closed);
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
}
