//! When Campo pushes: the watcher follows every document change
//! ([`crate::sync::Documents::subscribe`]) and, when a change assigns a ticket, pushes «Nuevo
//! caso asignado» to the phones of its new responsible. Each push is claimed in the store
//! (`push_sent`, keyed by assignment event and recipient) before it is sent, so a restart, the
//! catch-up scan or a second replica never sends it twice; a crash between the claim and the
//! delivery loses that push (the case is in the agenda all the same).

use std::sync::Arc;
use std::time::Duration;

use campo_shared::event_kind::EventKind;
use campo_shared::ids::DocumentId;
use campo_shared::schema::TicketDoc;
use campo_shared::workflow;

use super::sender::Sender;
use crate::AppState;
use crate::store::now_ms;
use crate::sync::backlog::{Backlog, Next};

/// How far back the scan at start looks for assignments the watcher may have missed; an
/// assignment older than this is not pushed any more (it is in the agenda).
const CATCH_UP: Duration = Duration::from_secs(3600);

/// The latest assignment of a ticket, when it still stands: the event's id, its time and the
/// user it made responsible.
#[derive(Debug, PartialEq, Eq)]
pub struct Assignment {
    pub event_id: String,
    pub at: i64,
    pub assignee: String,
}

/// The assignment that made the current responsible so, if any: the last `asignada` event in
/// fold order that names them and that the workflow applied (not flagged).
pub fn current_assignment(doc: &TicketDoc) -> Option<Assignment> {
    let folded = workflow::fold(&doc.events);
    let assignee = folded.assignee?;
    workflow::ordered(&doc.events)
        .into_iter()
        .rev()
        .filter(|event| event.kind == EventKind::Assigned)
        .filter(|event| !folded.flags.iter().any(|flag| flag.event == event.id))
        .find(|event| {
            event
                .data
                .assignee
                .as_ref()
                .is_some_and(|person| person.id == assignee.id)
        })
        .map(|event| Assignment {
            event_id: event.id.to_string(),
            at: event.at,
            assignee: assignee.id,
        })
}

/// The push message of an assignment: the case number, a short title, the line the phone shows
/// under it and the case's path in the app; nothing about the request or the people.
pub fn message(number: &str, ticket_id: &str) -> Vec<u8> {
    serde_json::json!({
        "title": "Nuevo caso asignado",
        "body": format!("Caso {number}"),
        "number": number,
        "url": format!("/casos/{ticket_id}"),
    })
    .to_string()
    .into_bytes()
}

/// Pushes the assignments of every change, then of the tickets changed while nobody listened.
pub async fn run(state: AppState, sender: Sender) {
    // Follow before scanning, so no change falls between the scan and the first one followed.
    let backlog = Backlog::follow(
        &state.documents,
        |changed| {
            changed
                .new_events
                .contains(&EventKind::Assigned)
                .then_some(())
        },
        |(), ()| {},
    );
    catch_up(&state, &sender, now_ms() - CATCH_UP.as_millis() as i64).await;
    loop {
        match backlog.next().await {
            Next::Work(document, ()) => {
                push_logged(&state, &sender, &document.to_bs58check()).await;
            }
            // A minute of margin: a projection row's updated_at precedes its broadcast.
            Next::Missed(since) => catch_up(&state, &sender, since - 60_000).await,
            Next::Closed => return,
        }
    }
}

async fn catch_up(state: &AppState, sender: &Sender, since: i64) {
    match state.store.tickets_updated_since(since).await {
        Ok(ids) => {
            for id in ids {
                push_logged(state, sender, &id).await;
            }
        }
        Err(err) => tracing::error!(%err, "could not list recent tickets for pushes"),
    }
}

async fn push_logged(state: &AppState, sender: &Sender, ticket_id: &str) {
    if let Err(err) = push_assignment(state, sender, ticket_id).await {
        tracing::error!(ticket_id, err = %err, "could not push an assignment");
    }
}

/// Pushes the ticket's current assignment to its responsible's subscriptions, unless it was
/// pushed already (here or on another replica) or is older than [`CATCH_UP`].
async fn push_assignment(state: &AppState, sender: &Sender, ticket_id: &str) -> anyhow::Result<()> {
    let Ok(document) = ticket_id.parse::<DocumentId>() else {
        return Ok(());
    };
    let assignment = state
        .documents
        .ticket(document)
        .await?
        .and_then(|doc| current_assignment(&doc));
    let Some(assignment) = assignment else {
        return Ok(());
    };
    let now = now_ms();
    if assignment.at < now - CATCH_UP.as_millis() as i64 {
        return Ok(());
    }
    let Some(ticket) = state.store.ticket(ticket_id).await? else {
        return Ok(());
    };
    let key = format!("{}:{}", assignment.event_id, assignment.assignee);
    if !state
        .store
        .claim_push(&key, ticket_id, &assignment.assignee, now)
        .await?
    {
        return Ok(());
    }
    let subscriptions = state
        .store
        .push_subscriptions_of(&assignment.assignee)
        .await?;
    tracing::debug!(
        ticket_id,
        subscriptions = subscriptions.len(),
        "pushing an assignment"
    );
    let message: Arc<[u8]> = message(&ticket.number, ticket_id).into();
    for subscription in subscriptions {
        sender.spawn(subscription, message.clone());
    }
    Ok(())
}
