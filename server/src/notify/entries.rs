//! The inbox entries a ticket's document calls for beyond its e-mails ([`super::compose`]):
//! pure functions from the document and its projection row to Spanish entries that are shown
//! in the app only (never mailed).
//!
//! - an assignment, to the new responsible (a contractor's is mailed instead, by `compose`),
//!   and a reassignment to the one who had the case before;
//! - a comment, to the people of the case other than its writer: the requester and the
//!   responsible, or the coordinators while nobody is responsible (someone must read it);
//! - a resolution, to the requester: the survey is pending.
//!
//! The scheduled entries (a planned visit due, equipment held too long, the survey reminder)
//! come from [`super::scan`].

use std::collections::HashMap;

use campo_shared::event_kind::EventKind;
use campo_shared::schema::{Comment, TicketDoc};
use campo_shared::workflow;

use crate::store::TicketRow;

/// What happened longer ago than this (device time) is no news: a document synced late, or
/// written before Campo had an inbox, adds no entry for it.
pub const NEWS_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// Longest comment excerpt shown in an entry, in characters.
const EXCERPT: usize = 200;

/// An inbox entry ready to be recorded (without e-mail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The notification's idempotency key.
    pub key: String,
    pub user_id: String,
    pub kind: &'static str,
    pub subject: String,
    pub body: String,
}

/// What a comment entry says of its case, from its stored row or from the change just stored.
pub struct Case<'a> {
    pub number: &'a str,
    pub requester_id: &'a str,
    /// Its responsible, if any.
    pub assignee_id: Option<&'a str>,
}

/// The people a comment entry may go to besides the requester and the responsible.
pub struct Audience<'a> {
    /// The active coordinators' ids: told of a comment while nobody is responsible.
    pub coordinators: &'a [String],
    /// The full names of the comments' writers, by user id.
    pub names: &'a HashMap<String, String>,
}

/// Whether an event of this kind calls for an entry (see [`entries`]).
pub fn concerns(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Assigned | EventKind::Resolved | EventKind::ResolvedByPhone
    )
}

/// Every entry the document's workflow events call for, recorded or not (the keys sort that
/// out), leaving out what happened before `now - NEWS_WINDOW_MS`. The comments' entries are
/// [`comment_entries`].
pub fn entries(doc: &TicketDoc, ticket: &TicketRow, now: i64) -> Vec<Entry> {
    let fresh = |at: i64| at >= now - NEWS_WINDOW_MS;
    let number = &ticket.number;
    let mut out = Vec::new();
    let mut responsible: Option<(&str, &str)> = None;
    for event in workflow::ordered(&doc.events) {
        match event.kind {
            EventKind::Assigned => {
                let Some(new) = &event.data.assignee else {
                    continue;
                };
                let former = responsible.replace((new.id.as_str(), new.name.as_str()));
                if !fresh(event.at) {
                    continue;
                }
                if ticket.assignee_id.as_deref() == Some(new.id.as_str())
                    && ticket.assignee_role.as_deref() != Some("contratista")
                {
                    out.push(Entry {
                        key: format!("{}:{}", event.id, new.id),
                        user_id: new.id.clone(),
                        kind: "asignada",
                        subject: format!("Caso {number} asignado"),
                        body: format!(
                            "Se le asignó el caso {number}: {}. Ubicación: {}.",
                            ticket.summary, ticket.location
                        ),
                    });
                }
                if let Some((former_id, _)) = former.filter(|(id, _)| *id != new.id) {
                    out.push(Entry {
                        key: format!("{}:{former_id}", event.id),
                        user_id: former_id.to_owned(),
                        kind: "reasignada",
                        subject: format!("Caso {number} reasignado"),
                        body: format!(
                            "El caso {number} ahora es responsabilidad de {}; ya no está en su \
                             agenda.",
                            new.name
                        ),
                    });
                }
            }
            EventKind::Resolved | EventKind::ResolvedByPhone if fresh(event.at) => {
                let requester = &doc.request.requester.id;
                out.push(Entry {
                    key: format!("{}:{requester}", event.id),
                    user_id: requester.clone(),
                    kind: "encuesta_pendiente",
                    subject: format!("Encuesta pendiente del caso {number}"),
                    body: format!(
                        "Resolvimos su caso {number}. Cuéntenos cómo lo atendimos en la \
                         encuesta de satisfacción."
                    ),
                });
            }
            _ => {}
        }
    }
    out
}

/// Who reads a case's comments: its requester and its responsible, or the active
/// `coordinators` while it has none.
pub fn readers<'a>(case: &Case<'a>, coordinators: &'a [String]) -> Vec<&'a str> {
    let mut readers: Vec<&str> = vec![case.requester_id];
    match case.assignee_id {
        Some(assignee) => readers.push(assignee),
        None => readers.extend(coordinators.iter().map(String::as_str)),
    }
    readers.sort_unstable();
    readers.dedup();
    readers
}

/// The entries `comments` call for: each tells the case's requester and its responsible (the
/// active coordinators while it has none) of the comment, except its own writer. A comment's
/// entries are recorded once, for the people of the case when it was stored: someone assigned
/// later is not told of the comments before.
pub fn comment_entries<'a>(
    case: &Case,
    audience: &Audience,
    comments: impl Iterator<Item = &'a Comment>,
) -> Vec<Entry> {
    let number = case.number;
    let mut out = Vec::new();
    let readers = readers(case, audience.coordinators);
    for comment in comments {
        let writer = audience
            .names
            .get(&comment.author)
            .map_or("Alguien", String::as_str);
        let excerpt: String = comment.text.chars().take(EXCERPT).collect();
        let ellipsis = if comment.text.chars().count() > EXCERPT {
            "…"
        } else {
            ""
        };
        for reader in readers.iter().filter(|r| **r != comment.author) {
            out.push(Entry {
                key: format!("comentario:{}:{reader}", comment.id),
                user_id: (*reader).to_owned(),
                kind: "comentario",
                subject: format!("Comentario nuevo en el caso {number}"),
                body: format!("{writer}: «{excerpt}{ellipsis}»"),
            });
        }
    }
    out
}
