//! The change feed between replicas on one PostgreSQL: every committed change of a document is
//! announced on [`CHANGES_CHANNEL`] by the committing transaction (see
//! [`crate::store::Store::commit_change`]); each replica listens, and for a change another
//! replica made it
//! - asks its actor of that document, if it has one, to read the new changes from the store and
//!   pass them to its peers ([`crate::sync::Documents::refresh`]): a phone on this replica gets a
//!   change a phone on another one made, within the time of a notification and a read;
//! - announces it to its boards and agendas ([`crate::sync::Documents::announce_remote`]), with
//!   who the ticket concerns now, read from the ticket's stored row.
//!
//! The notification says only which document changed; what changed is always read from the
//! store. When the listening connection breaks (PostgreSQL restarted, the network), notices may
//! have been lost: once it listens again, every loaded document is refreshed and every board reads
//! its snapshot again. SQLite has no feed: one process holds the database.
//!
//! Logins go on [`LOGINS_CHANNEL`]: each failed (or successful) login is announced, and every
//! other replica counts it in its own throttling ([`crate::auth::LoginLimiter`]), so several
//! replicas behind a balancer give a guesser the budget of one. The counters themselves stay in
//! each replica's memory; a replica that starts, or loses the feed for a moment, knows fewer
//! failures, never more.
//!
//! A replica that changes a user says so on [`USERS_CHANNEL`]: the others forget the active
//! coordinators they keep in memory (see [`crate::store::Store::active_coordinator_ids`]).
//!
//! A replica with an open dispatch board says so on [`BOARDS_CHANNEL`] (when a board opens, and
//! every minute while one is open): the others then publish every change in full, so that the
//! board can resume on any of them (see [`crate::board`]).

use std::time::Duration;

use campo_shared::ids::DocumentId;
use sqlx::postgres::PgListener;

use super::DocChanged;
use crate::AppState;
use crate::projection::Audience;
use crate::store::{
    BOARDS_CHANNEL, CHANGES_CHANNEL, LOGINS_CHANNEL, SETTINGS_CHANNEL, USERS_CHANNEL,
};

/// How often a replica with an open board tells the others (well within the board's resume
/// window, ten minutes).
const BOARD_WATCHED_EVERY: Duration = Duration::from_secs(60);

/// Every channel a replica listens on.
const CHANNELS: [&str; 5] = [
    CHANGES_CHANNEL,
    LOGINS_CHANNEL,
    BOARDS_CHANNEL,
    SETTINGS_CHANNEL,
    USERS_CHANNEL,
];

/// Pause before listening again after the connection failed.
const RETRY: Duration = Duration::from_secs(1);

/// Starts the listener on PostgreSQL.
pub fn spawn(state: AppState) {
    let Some(shared) = state.store.postgres_pool() else {
        return;
    };
    // The listening connection has a pool of its own: in the shared pool it would hold one of
    // the connections for good, and after PostgreSQL restarted under load it could wait there
    // behind every other task for a connection to listen again, while notices went unheard.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with((*shared.connect_options()).clone());
    // While a board is open here, the other replicas hear of it every minute.
    let watched = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(BOARD_WATCHED_EVERY);
        let closed = watched.documents.closed();
        tokio::pin!(closed);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = &mut closed => return,
            }
            if watched.board.watched_here() {
                announce_board(&watched);
            }
        }
    });
    tokio::spawn(async move {
        let mut first = true;
        loop {
            match listen(&state, &pool, first).await {
                Ok(()) => return,
                Err(err) => {
                    tracing::warn!(%err, "change feed: not listening; retrying");
                    crate::metrics::Metrics::add(&crate::metrics::METRICS.errors, 1);
                }
            }
            first = false;
            tokio::time::sleep(RETRY).await;
        }
    });
}

/// Listens until the connection fails (an error) or the server stops (`Ok`).
async fn listen(state: &AppState, pool: &sqlx::PgPool, first: bool) -> anyhow::Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all(CHANNELS).await?;
    if !first {
        caught_up(state);
    }
    let closed = state.documents.closed();
    tokio::pin!(closed);
    loop {
        let notice = tokio::select! {
            notice = listener.try_recv() => notice?,
            () = &mut closed => return Ok(()),
        };
        match notice {
            Some(notice) if notice.channel() == LOGINS_CHANNEL => login(state, notice.payload()),
            Some(notice) if notice.channel() == SETTINGS_CHANNEL => {
                if notice.payload() != state.store.instance() {
                    reload_sla(state).await;
                }
            }
            Some(notice) if notice.channel() == USERS_CHANNEL => {
                if notice.payload() != state.store.instance() {
                    state.store.forget_users();
                }
            }
            Some(notice) if notice.channel() == BOARDS_CHANNEL => {
                if notice.payload() != state.store.instance() {
                    state.board.mark_watched();
                }
            }
            Some(notice) => take(state, notice.payload()).await,
            // The connection was lost and `try_recv` reconnects on its next call: notices sent
            // meanwhile are gone.
            None => {
                tracing::warn!("change feed: connection lost; listening again");
                listener.listen_all(CHANNELS).await?;
                caught_up(state);
            }
        }
    }
}

/// After a gap in the feed: every loaded document reads the store, every board its snapshot,
/// and the SLA settings and the coordinators are read again.
fn caught_up(state: &AppState) {
    state.documents.refresh_all();
    state.documents.recheck_agendas();
    state.store.forget_users();
    state.board.reset();
    let state = state.clone();
    tokio::spawn(async move { reload_sla(&state).await });
}

/// Another replica changed the SLA policy or the closures: this one reads them (the replica that
/// changed them brings the running cases' rows up to date).
async fn reload_sla(state: &AppState) {
    match state.store.sla().await {
        Ok(sla) => state.documents.set_sla(sla),
        Err(err) => tracing::warn!(%err, "could not read the SLA settings again"),
    }
}

/// One notice: `{instance} {document id}`.
async fn take(state: &AppState, payload: &str) {
    let Some((instance, id)) = payload.split_once(' ') else {
        return;
    };
    if instance == state.store.instance() {
        return;
    }
    let Ok(document) = id.parse::<DocumentId>() else {
        tracing::warn!(payload, "change feed: a notice that names no document");
        return;
    };
    state.documents.refresh(document);
    // Whom the change concerns matters only to the agendas open here (the replica that made the
    // change recorded its notifications; a board reads the ticket itself): without one, the
    // ticket is not read. An agenda opened just after reads itself whole, this change included.
    let (after, number) = if state.documents.agendas_open() {
        audience(state, document).await
    } else {
        (None, None)
    };
    state.documents.announce_remote(DocChanged {
        document,
        heads: Vec::new(),
        before: None,
        after,
        // The replica that made the change enqueued its notifications.
        new_events: Vec::new(),
        new_comments: Vec::new(),
        number,
    });
}

/// Whom a ticket another replica changed concerns now, and its number, read from the store
/// (`None`s when it is not a ticket, or could not be read: then every agenda reads itself again).
async fn audience(state: &AppState, document: DocumentId) -> (Option<Audience>, Option<String>) {
    match state.store.ticket(&document.to_bs58check()).await {
        Ok(Some(row)) => (
            Some(Audience {
                requester_id: row.requester_id.unwrap_or_default(),
                assignee_id: row.assignee_id,
                registered_by: row.registered_by,
            }),
            Some(row.number),
        ),
        Ok(None) => (None, None),
        Err(err) => {
            tracing::warn!(%err, "change feed: could not read a changed ticket");
            state.documents.recheck_agendas();
            (None, None)
        }
    }
}

/// A login, as announced to the other replicas.
#[derive(serde::Serialize, serde::Deserialize)]
struct Login {
    instance: String,
    username: String,
    address: std::net::IpAddr,
    ok: bool,
}

/// Tells the other replicas of a login (on PostgreSQL; nothing on SQLite). A failure to tell
/// is logged: the login itself is decided already.
pub async fn announce_login(state: &AppState, username: &str, address: std::net::IpAddr, ok: bool) {
    if state.store.postgres_pool().is_none() {
        return;
    }
    let login = Login {
        instance: state.store.instance().to_owned(),
        username: username.to_owned(),
        address,
        ok,
    };
    let Ok(payload) = serde_json::to_string(&login) else {
        return;
    };
    if let Err(err) = state.store.announce(LOGINS_CHANNEL, &payload).await {
        tracing::warn!(%err, "could not tell the other replicas of a login");
    }
}

/// Another replica's login, counted here too.
fn login(state: &AppState, payload: &str) {
    let Ok(login) = serde_json::from_str::<Login>(payload) else {
        tracing::warn!("change feed: a login notice that cannot be read");
        return;
    };
    if login.instance == state.store.instance() {
        return;
    }
    if login.ok {
        state.limiter.success(&login.username, login.address);
    } else {
        state
            .limiter
            .failure(&login.username, login.address, std::time::Instant::now());
    }
}

/// Tells the other replicas that a board is open here (in the background; nothing on SQLite):
/// they publish every change in full, for the board to resume there if it must.
pub fn announce_board(state: &AppState) {
    if state.store.postgres_pool().is_none() {
        return;
    }
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(err) = store.announce(BOARDS_CHANNEL, store.instance()).await {
            tracing::warn!(%err, "could not tell the other replicas of an open board");
        }
    });
}
