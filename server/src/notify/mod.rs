//! E-mail notifications through an outbox. The watcher follows every document change
//! ([`crate::sync::Documents::subscribe`]), and for each workflow event that Campo notifies
//! (see [`compose`]) records one row per (event, recipient) in `notifications`; the key makes
//! that idempotent, so a restart, a catch-up scan or a second replica never enqueues twice.
//! The sender ([`sender`]) mails the due rows when SMTP is configured, retrying with an
//! exponential back-off, and never drops one. Besides the e-mails, the watcher records the
//! inbox entries shown only in the app ([`entries`]), and a scan records the scheduled ones
//! ([`scan`]). The inbox and the outbox are read over HTTP ([`api`]).

mod api;
pub mod compose;
pub mod entries;
pub mod scan;
pub mod sender;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use campo_shared::ids::DocumentId;
use campo_shared::schema::{Comment, TicketDoc};
use tokio::sync::Notify;

use crate::AppState;
use crate::store::{InboxEntry, NewNotification, now_ms};
use crate::sync::DocChanged;
use crate::sync::backlog::{Backlog, Next};

/// How far back the scan at start looks for changes the watcher may have missed (a crash
/// between a commit and its notifications, another replica's changes while this one was down).
const CATCH_UP: Duration = Duration::from_secs(3600);

pub use api::router;

/// Starts the watcher and, when SMTP is configured, the sender.
pub fn spawn(state: AppState) {
    let wake = Arc::new(Notify::new());
    match sender::Mailer::from_config(&state.config) {
        Ok(Some(mailer)) => {
            tokio::spawn(sender::run(state.store.clone(), mailer, wake.clone()));
        }
        Ok(None) => tracing::info!("no SMTP server configured: notifications are only recorded"),
        Err(err) => {
            tracing::error!(%err, "SMTP configuration unusable: notifications are only recorded")
        }
    }
    tokio::spawn(scan::run(state.clone(), wake.clone()));
    tokio::spawn(watch(state, wake));
}

/// What a change asks of the watcher.
enum Work {
    /// Events that notify someone: everything the ticket calls for is recorded.
    Events,
    /// Only new comments (their inbox entries), as stored.
    Comments(Box<DocChanged>),
}

impl Work {
    /// Most changes (a visit's details, a triage note) add no event that notifies anyone: they
    /// ask nothing. A comment tells the case's people in their inbox.
    fn of(changed: DocChanged) -> Option<Self> {
        if changed
            .new_events
            .iter()
            .any(|kind| compose::notifies(*kind) || entries::concerns(*kind))
        {
            Some(Self::Events)
        } else if !changed.new_comments.is_empty() {
            Some(Self::Comments(Box::new(changed)))
        } else {
            None
        }
    }

    /// Two changes of one ticket waiting together: recording everything covers the comments
    /// too (see [`enqueue_entries`]); two sets of comments are recorded with the case as it is
    /// after the later change.
    fn merge(&mut self, later: Self) {
        match (&mut *self, later) {
            (Self::Events, _) => {}
            (Self::Comments(_), Self::Events) => *self = Self::Events,
            (Self::Comments(earlier), Self::Comments(mut later)) => {
                let mut comments = std::mem::take(&mut earlier.new_comments);
                comments.append(&mut later.new_comments);
                later.new_comments = comments;
                *earlier = later;
            }
        }
    }
}

/// Enqueues the notifications of every change, then of the tickets changed while nobody
/// listened.
async fn watch(state: AppState, wake: Arc<Notify>) {
    // Follow before scanning, so no change falls between the scan and the first one followed.
    let backlog = Backlog::follow(&state.documents, Work::of, Work::merge);
    catch_up(&state, &wake, now_ms() - CATCH_UP.as_millis() as i64).await;
    loop {
        match backlog.next().await {
            Next::Work(document, Work::Events) => {
                enqueue_logged(&state, &wake, &document.to_bs58check()).await;
            }
            Next::Work(document, Work::Comments(changed)) => {
                if let Err(err) = enqueue_comments(&state, &changed).await {
                    tracing::error!(ticket_id = %document.to_bs58check(), %err, "could not record a comment's inbox entries");
                }
            }
            // A minute of margin: a projection row's updated_at precedes its broadcast.
            Next::Missed(since) => catch_up(&state, &wake, since - 60_000).await,
            Next::Closed => return,
        }
    }
}

async fn catch_up(state: &AppState, wake: &Notify, since: i64) {
    match state.store.tickets_updated_since(since).await {
        Ok(ids) => {
            for id in ids {
                enqueue_logged(state, wake, &id).await;
            }
        }
        Err(err) => tracing::error!(%err, "could not list recent tickets for notifications"),
    }
}

async fn enqueue_logged(state: &AppState, wake: &Notify, ticket_id: &str) {
    match enqueue(state, ticket_id).await {
        Ok(0) => {}
        Ok(added) => {
            tracing::debug!(ticket_id, added, "notifications enqueued");
            wake.notify_one();
        }
        Err(err) => tracing::error!(ticket_id, err = %err, "could not enqueue notifications"),
    }
}

/// Records the notifications the ticket's events call for and are not recorded yet; returns
/// how many were added.
pub async fn enqueue(state: &AppState, ticket_id: &str) -> anyhow::Result<usize> {
    let Ok(document) = ticket_id.parse::<DocumentId>() else {
        return Ok(0);
    };
    let doc = state.documents.ticket(document).await?;
    // Not a ticket, or a ticket this version cannot read: nothing to notify.
    let Some(doc) = doc else { return Ok(0) };
    let Some(ticket) = state.store.ticket(ticket_id).await? else {
        return Ok(0);
    };
    let done: HashSet<String> = state
        .store
        .notification_keys(ticket_id)
        .await?
        .into_iter()
        .collect();
    let public_url = state.config.public_url.as_deref();
    let mut added = 0;
    for event in &doc.events {
        let Some(recipient) = compose::recipient(&doc, event) else {
            continue;
        };
        let key = format!("{}:{recipient}", event.id);
        if done.contains(&key) {
            continue;
        }
        let Some(user) = state.store.user_by_id(&recipient).await? else {
            continue;
        };
        let Some(draft) = compose::draft(&ticket, event, &user, public_url) else {
            continue;
        };
        let new = NewNotification {
            key: &key,
            ticket_id,
            user_id: Some(&user.id),
            email: user.email.as_deref().filter(|_| user.active),
            kind: event.kind.as_str(),
            subject: &draft.subject,
            body: &draft.body,
            created_at: now_ms(),
            in_reply_to: None,
        };
        if state.store.enqueue_notification(&new).await? {
            added += 1;
        }
    }
    added += enqueue_entries(state, &doc, &ticket, &done).await?;
    Ok(added)
}

/// Records the inbox entries ([`entries`]) the document calls for and are not recorded yet.
async fn enqueue_entries(
    state: &AppState,
    doc: &TicketDoc,
    ticket: &crate::store::TicketRow,
    done: &HashSet<String>,
) -> anyhow::Result<usize> {
    // A comment's entries are recorded together, when it is stored (see `enqueue_comments`);
    // here only recent comments without any (stored while the watcher was not listening).
    let noted: HashSet<&str> = done
        .iter()
        .filter_map(|key| key.strip_prefix("comentario:")?.split(':').next())
        .collect();
    let since = now_ms() - entries::NEWS_WINDOW_MS;
    let unnoted: Vec<&Comment> = doc
        .comments
        .iter()
        .filter(|c| c.at >= since && !noted.contains(c.id.to_string().as_str()))
        .collect();
    let case = entries::Case {
        number: &ticket.number,
        requester_id: &doc.request.requester.id,
        assignee_id: ticket.assignee_id.as_deref(),
    };
    let (coordinators, names) = comment_audience(state, &case, &unnoted).await?;
    let audience = entries::Audience {
        coordinators: &coordinators,
        names: &names,
    };
    let mut fresh = entries::entries(doc, ticket, now_ms());
    fresh.extend(entries::comment_entries(
        &case,
        &audience,
        unnoted.into_iter(),
    ));
    let fresh = fresh.into_iter().filter(|entry| !done.contains(&entry.key));
    record_entries(state, &ticket.id, fresh).await
}

/// Records the inbox entries of the comments a change just added to a ticket, with the case's
/// number and people as the change left them: nothing of the ticket is read (see [`enqueue`]
/// for the rest).
async fn enqueue_comments(state: &AppState, changed: &DocChanged) -> anyhow::Result<usize> {
    let (Some(number), Some(after)) = (changed.number.as_deref(), changed.after.as_ref()) else {
        return Ok(0);
    };
    // As in `entries::entries`: what was written more than the news window ago is not news.
    let since = now_ms() - entries::NEWS_WINDOW_MS;
    let comments: Vec<&Comment> = changed
        .new_comments
        .iter()
        .filter(|c| c.at >= since)
        .collect();
    let case = entries::Case {
        number,
        requester_id: &after.requester_id,
        assignee_id: after.assignee_id.as_deref(),
    };
    let (coordinators, names) = comment_audience(state, &case, &comments).await?;
    let audience = entries::Audience {
        coordinators: &coordinators,
        names: &names,
    };
    let new = entries::comment_entries(&case, &audience, comments.into_iter());
    record_entries(state, &changed.document.to_bs58check(), new.into_iter()).await
}

/// Who a ticket's new comments may go to besides its requester and responsible (the active
/// coordinators, while it has no responsible), and their writers' names; nothing is read when
/// there are no comments.
async fn comment_audience(
    state: &AppState,
    case: &entries::Case<'_>,
    comments: &[&Comment],
) -> anyhow::Result<(Vec<String>, HashMap<String, String>)> {
    let mut coordinators = Vec::new();
    let mut names = HashMap::new();
    if comments.is_empty() {
        return Ok((coordinators, names));
    }
    if case.assignee_id.is_none() {
        coordinators = active_coordinators(state).await?;
    }
    let readers = entries::readers(case, &coordinators);
    for comment in comments {
        // A writer's name is read only when someone else reads the comment.
        let read = readers.iter().any(|r| *r != comment.author);
        if read
            && !names.contains_key(&comment.author)
            && let Some(user) = state.store.user_by_id(&comment.author).await?
        {
            names.insert(comment.author.clone(), user.full_name);
        }
    }
    Ok((coordinators, names))
}

/// The ids of the active coordinators.
async fn active_coordinators(state: &AppState) -> anyhow::Result<Vec<String>> {
    Ok(state.store.active_coordinator_ids().await?.to_vec())
}

/// Records inbox entries (idempotent by key; someone who is not a user has no inbox); returns
/// how many were new.
async fn record_entries(
    state: &AppState,
    ticket_id: &str,
    new: impl Iterator<Item = entries::Entry>,
) -> anyhow::Result<usize> {
    let new: Vec<entries::Entry> = new.collect();
    let rows: Vec<InboxEntry> = new
        .iter()
        .map(|entry| InboxEntry {
            key: &entry.key,
            user_id: &entry.user_id,
            kind: entry.kind,
            subject: &entry.subject,
            body: &entry.body,
        })
        .collect();
    Ok(state.store.record_inbox(ticket_id, &rows, now_ms()).await?)
}
