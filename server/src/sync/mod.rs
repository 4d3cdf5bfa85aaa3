//! Sync: Campo speaks the automerge-repo network protocol (version "1") over `GET /sync`, on the
//! `automerge` crate's sync protocol, with the documents stored in SQL.
//!
//! - [`wire`]: the CBOR messages.
//! - [`docs`]: [`Documents`], the one place where documents live in memory. Each loaded document
//!   is a small task (an actor) that owns the Automerge document and the sync state of every peer
//!   syncing it; it persists a change before sending any message that acknowledges it. Documents
//!   are loaded on demand, dropped from memory when idle or under the memory cap, and the server's
//!   own reads and writes go through the same actor, so they reach peers at once.
//! - [`conn`]: one WebSocket connection: handshake, limits, routing to document actors.
//! - This module: authentication before the upgrade and the routes.

pub mod backlog;
pub mod budget;
pub mod conn;
pub mod docs;
pub mod feed;
pub mod wire;

use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Query, Request, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use campo_shared::role::Role;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{CurrentUser, new_session_token, origin_ok, token_hash};
use crate::error::{AppError, Json};
use crate::store::now_ms;

pub use docs::{Author, DeviceContact, DocChanged, Documents, SyncError};

/// How long a sync token is valid after it is issued.
pub const SYNC_TOKEN_TTL: Duration = Duration::from_secs(120);

/// What one connection and one document may use. Defaults suit a government office; those named
/// below can be set with an environment variable (`CAMPO_SYNC_…`, read by [`crate::config`]) for
/// tests and benchmarks.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest WebSocket message accepted (`CAMPO_SYNC_MAX_MESSAGE_BYTES`).
    pub max_message_bytes: usize,
    /// Largest stored size of one document (`CAMPO_SYNC_MAX_DOCUMENT_BYTES`).
    pub max_document_bytes: usize,
    /// Documents one connection may sync (`CAMPO_SYNC_MAX_DOCS_PER_CONNECTION`).
    pub max_docs_per_connection: usize,
    /// Sustained messages per second per connection (`CAMPO_SYNC_MESSAGES_PER_SECOND`).
    pub messages_per_second: u32,
    /// Messages a connection may send in a burst above the sustained rate (`CAMPO_SYNC_MESSAGE_BURST`).
    pub message_burst: u32,
    /// Documents kept in memory before idle ones are dropped early (`CAMPO_SYNC_MAX_LOADED_DOCS`).
    pub max_loaded_docs: usize,
    /// A document untouched this long leaves memory (`CAMPO_SYNC_IDLE_SECS`).
    pub idle_unload: Duration,
    /// Incremental chunks after which a document is compacted into a snapshot.
    pub compact_after_chunks: usize,
    /// Frames waiting for a slow client before its connection is closed.
    pub outbox_frames: usize,
    /// Interval of WebSocket pings; a client silent for three intervals is disconnected.
    pub keepalive: Duration,
    /// Sync connections one user may hold; past it the oldest is closed
    /// (`CAMPO_SYNC_SOCKETS_PER_USER`).
    pub sockets_per_user: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024 * 1024,
            max_document_bytes: campo_shared::limits::DOCUMENT_BYTES,
            max_docs_per_connection: 50_000,
            messages_per_second: 5_000,
            message_burst: 100_000,
            max_loaded_docs: 1_000,
            idle_unload: Duration::from_secs(60),
            compact_after_chunks: 64,
            outbox_frames: 100_000,
            keepalive: Duration::from_secs(20),
            sockets_per_user: 8,
        }
    }
}

/// The routes of sync: the WebSocket and the token for non-browser clients.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sync", get(sync_socket))
        .route("/api/sync-token", post(issue_token))
}

#[derive(Serialize)]
struct TokenBody {
    token: String,
}

/// `POST /api/sync-token`: a token, valid for two minutes, that opens `/sync?token=…` as the
/// logged-in user, as often as the client reconnects in that time; it ends with the session.
#[tracing::instrument(skip_all, fields(user = %user.username))]
async fn issue_token(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<TokenBody>, AppError> {
    let now = now_ms();
    state.store.delete_expired_sync_tokens(now).await?;
    let token = new_session_token();
    state
        .store
        .insert_sync_token(
            &token_hash(&token),
            &user.session,
            &user.id,
            now + SYNC_TOKEN_TTL.as_millis() as i64,
        )
        .await?;
    Ok(Json(TokenBody { token }))
}

#[derive(Deserialize)]
struct SyncQuery {
    token: Option<String>,
}

/// The user a sync connection acts for, fixed before the upgrade.
#[derive(Debug, Clone)]
pub struct SyncUser {
    pub id: String,
    pub username: String,
    pub role: Role,
    /// Hash of the session the connection belongs to: ending it closes the connection.
    pub session: String,
}

/// `GET /sync`: checks the `Origin` and the user (token or session cookie), then upgrades to a
/// WebSocket. An unauthenticated request gets a 401 and no socket.
#[tracing::instrument(skip_all)]
async fn sync_socket(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    if !origin_ok(&parts.headers, state.config.public_url.as_deref()) {
        return AppError::ForeignOrigin.into_response();
    }
    let query = Query::<SyncQuery>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or(SyncQuery { token: None });
    let user = match authenticate(&state, &mut parts, query.token.as_deref()).await {
        Ok(user) => user,
        Err(err) => return err.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let limits = state.documents.limits().clone();
    let documents = state.documents.clone();
    let socket_limit = socket_message_limit(limits.max_message_bytes);
    upgrade
        // Most connections are idle phones; the default 128 KiB buffers per socket would make
        // 10,000 of them cost over a gigabyte. Larger messages simply take more reads.
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .max_message_size(socket_limit)
        .max_frame_size(socket_limit)
        .on_upgrade(move |socket| conn::run(socket, documents, user))
}

/// Read and write buffer of each sync socket.
const SOCKET_BUFFER_BYTES: usize = 4096;

/// The WebSocket layer's own message limit: a little above Campo's, so that a message over
/// Campo's limit still reaches the connection, which closes it with its own reason (the layer
/// alone would only fail the read). Far larger messages are cut by the layer without being
/// buffered whole.
fn socket_message_limit(max_message_bytes: usize) -> usize {
    max_message_bytes.saturating_add((max_message_bytes / 4).max(256 * 1024))
}

async fn authenticate(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
    token: Option<&str>,
) -> Result<SyncUser, AppError> {
    if let Some(token) = token {
        let (user_id, session) = state
            .store
            .sync_token(&token_hash(token), now_ms())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let user = state
            .store
            .user_by_id(&user_id)
            .await?
            .filter(|u| u.active)
            .ok_or(AppError::Unauthenticated)?;
        let role = user.role.parse().map_err(|_| AppError::Unauthenticated)?;
        return Ok(SyncUser {
            id: user.id,
            username: user.username,
            role,
            session,
        });
    }
    let user = CurrentUser::from_request_parts(parts, state).await?;
    Ok(SyncUser {
        id: user.id,
        username: user.username,
        role: user.role,
        session: user.session,
    })
}

#[cfg(test)]
mod convergence_tests;
#[cfg(test)]
mod migration_tests;
