//! One `/sync` WebSocket connection, already authenticated: the join/peer handshake, the limits,
//! and the routing of each message to its document's actor. A reader loop reads and routes; a
//! writer task owns the socket's sending half (outbox frames, pings, the final error and close).
//! Anything wrong with the client's input closes this connection only, with a reason.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use campo_shared::ids::DocumentId;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};

use super::SyncUser;
use super::docs::{CloseReason, DocCmd, Documents, PeerLink, SyncCmd};
use super::wire::{Message, PROTOCOL_V1, PeerMetadata};
use crate::metrics::{METRICS, Metrics};
use crate::store::now_ms;

/// Longest peer id accepted (the JS client's are UUID-like, samod's shorter).
const MAX_PEER_ID: usize = 256;

/// A token bucket: `rate` messages per second sustained, `burst` at once.
struct RateLimit {
    tokens: f64,
    rate: f64,
    burst: f64,
    at: Instant,
}

impl RateLimit {
    fn new(rate: u32, burst: u32) -> Self {
        Self {
            tokens: f64::from(burst),
            rate: f64::from(rate),
            burst: f64::from(burst),
            at: Instant::now(),
        }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Runs a connection until the client leaves, breaks a rule, or stops answering.
///
/// Not an `async fn`: an async function keeps its arguments for its whole life, and the socket
/// is large; split here, only its two small halves stay in the connection's task.
pub fn run(
    socket: WebSocket,
    documents: Documents,
    user: SyncUser,
) -> impl Future<Output = ()> + Send {
    let (ws_tx, ws_rx) = socket.split();
    serve(ws_tx, ws_rx, documents, user)
}

#[tracing::instrument(skip_all, fields(user = %user.username, conn))]
async fn serve(
    ws_tx: futures_util::stream::SplitSink<WebSocket, WsMessage>,
    mut ws_rx: futures_util::stream::SplitStream<WebSocket>,
    documents: Documents,
    user: SyncUser,
) {
    let conn = documents.next_conn_id();
    tracing::Span::current().record("conn", conn);
    let _open = OpenConnection::count();
    let limits = documents.limits().clone();
    let (outbox, outbox_rx) = mpsc::channel::<Vec<u8>>(limits.outbox_frames);
    let (kill, mut killed) = watch::channel::<Option<CloseReason>>(None);
    let kill = Arc::new(kill);
    let last_heard = Arc::new(AtomicI64::new(now_ms()));
    let peer_id: Arc<std::sync::Mutex<Option<Arc<str>>>> = Arc::default();

    let writer = tokio::spawn(write_loop(
        ws_tx,
        outbox_rx,
        killed.clone(),
        kill.clone(),
        last_heard.clone(),
        documents.clone(),
        peer_id.clone(),
    ));

    let close = |reason: CloseReason| {
        kill.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    };

    let mut rate = RateLimit::new(limits.messages_per_second, limits.message_burst);
    let mut link: Option<PeerLink> = None;
    let mut docs: HashMap<DocumentId, mpsc::Sender<DocCmd>> = HashMap::new();
    let user_id: Arc<str> = user.id.clone().into();
    let mut last_touch = 0i64;

    let closed = documents.closed();
    tokio::pin!(closed);
    loop {
        let frame = tokio::select! {
            frame = ws_rx.next() => frame,
            _ = killed.changed() => break,
            () = &mut closed => {
                close(CloseReason {
                    code: 1001,
                    reason: "El servidor se está reiniciando; reconecte en un momento.".into(),
                });
                break;
            }
        };
        let bytes = match frame {
            None => break,
            Some(Err(err)) => {
                tracing::debug!(%err, "socket error");
                close(CloseReason {
                    code: 1009,
                    reason: "Mensaje demasiado grande o conexión interrumpida.".into(),
                });
                break;
            }
            Some(Ok(WsMessage::Binary(bytes))) => bytes,
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {
                last_heard.store(now_ms(), Ordering::Relaxed);
                continue;
            }
            Some(Ok(WsMessage::Close(_))) => break,
            Some(Ok(WsMessage::Text(_))) => {
                close(CloseReason {
                    code: 1003,
                    reason: "Se esperan mensajes binarios (CBOR).".into(),
                });
                break;
            }
        };
        let now = now_ms();
        last_heard.store(now, Ordering::Relaxed);
        // The board shows when each device was last heard from; a minute is precise enough.
        if let Some(peer) = &link
            && now - last_touch > 60_000
        {
            last_touch = now;
            documents.touch_device(&user_id, &peer.peer_id);
        }
        if !rate.allow() {
            close(CloseReason::policy(
                "Demasiados mensajes por segundo; se cerró la conexión.",
            ));
            break;
        }
        if bytes.len() > limits.max_message_bytes {
            close(CloseReason {
                code: 1009,
                reason: "Mensaje demasiado grande.".into(),
            });
            break;
        }
        Metrics::add(&METRICS.sync_messages_received, 1);
        Metrics::add(&METRICS.sync_bytes_received, bytes.len() as u64);
        let message = match Message::decode(&bytes) {
            Ok(message) => message,
            Err(err) => {
                close(CloseReason::policy(format!("Mensaje no válido: {err}.")));
                break;
            }
        };
        let Some(peer) = link.clone() else {
            // Before the handshake only `join` is accepted.
            let Message::Join {
                sender_id,
                supported_versions,
                ..
            } = message
            else {
                close(CloseReason::policy("El primer mensaje debe ser «join»."));
                break;
            };
            if sender_id.is_empty() || sender_id.len() > MAX_PEER_ID {
                close(CloseReason::policy("Identificador de par no válido."));
                break;
            }
            if supported_versions
                .as_ref()
                .is_some_and(|v| !v.iter().any(|v| v == PROTOCOL_V1))
            {
                close(CloseReason::policy("unsupported protocol version"));
                break;
            }
            let new_link = PeerLink {
                conn,
                peer_id: sender_id.clone().into(),
                user_id: user_id.clone(),
                role: user.role,
                session: user.session.clone().into(),
                unknown: documents.unknown_budget(&user_id),
                outbox: outbox.clone(),
                kill: kill.clone(),
            };
            documents.join(new_link.clone());
            *peer_id.lock().unwrap_or_else(|p| p.into_inner()) = Some(new_link.peer_id.clone());
            documents.touch_device(&user_id, &new_link.peer_id);
            last_touch = now_ms();
            // Boxed: the store's future is large and would otherwise stay in every idle
            // connection's task.
            let storage_id = match Box::pin(documents.storage_id()).await {
                Ok(id) => id,
                Err(err) => {
                    tracing::error!(%err, "could not read the storage id");
                    close(CloseReason::server(
                        "El servidor no puede leer su almacenamiento. Intente más tarde.",
                    ));
                    break;
                }
            };
            let reply = Message::Peer {
                sender_id: documents.peer_id().to_owned(),
                target_id: sender_id,
                metadata: PeerMetadata {
                    storage_id: Some(storage_id),
                    is_ephemeral: false,
                },
                selected_version: PROTOCOL_V1.to_owned(),
            };
            new_link.send(reply.encode());
            link = Some(new_link);
            continue;
        };
        let (document_id, cmd) = match message {
            Message::Request {
                sender_id,
                document_id,
                data,
                ..
            } if sender_id == *peer.peer_id => (
                document_id,
                DocCmd::Sync(Box::new(SyncCmd {
                    peer: peer.clone(),
                    data,
                    opening: None,
                })),
            ),
            Message::Sync {
                sender_id,
                document_id,
                data,
                ..
            } if sender_id == *peer.peer_id => (
                document_id,
                DocCmd::Sync(Box::new(SyncCmd {
                    peer: peer.clone(),
                    data,
                    opening: None,
                })),
            ),
            ref m @ Message::Ephemeral {
                ref sender_id,
                ref document_id,
                ..
            } => {
                // A relayed ephemeral message keeps its original sender; the connection's peer
                // may only speak for itself.
                if *sender_id != *peer.peer_id {
                    close(CloseReason::policy(
                        "«senderId» no corresponde a la conexión.",
                    ));
                    break;
                }
                (
                    document_id.clone(),
                    DocCmd::Ephemeral {
                        from: conn,
                        message: Box::new(m.clone()),
                    },
                )
            }
            Message::Request { .. } | Message::Sync { .. } => {
                close(CloseReason::policy(
                    "«senderId» no corresponde a la conexión.",
                ));
                break;
            }
            Message::Leave { .. } => break,
            Message::Error { message, .. } => {
                tracing::debug!(%message, "the client reported an error");
                break;
            }
            Message::Join { .. } => {
                close(CloseReason::policy("«join» repetido."));
                break;
            }
            // doc-unavailable (the server never requests documents), remote-heads gossip and
            // types this server does not know are ignored, as the JS server does.
            Message::DocUnavailable { .. } | Message::Peer { .. } | Message::Other { .. } => {
                continue;
            }
        };
        let Ok(document) = DocumentId::parse(&document_id) else {
            close(CloseReason::policy("«documentId» no válido."));
            break;
        };
        if let Some(inbox) = docs.get(&document) {
            match inbox.send(cmd).await {
                Ok(()) => continue,
                Err(mpsc::error::SendError(back)) => {
                    docs.remove(&document);
                    match documents.send(document, back).await {
                        Ok(inbox) => {
                            docs.insert(document, inbox);
                        }
                        Err(err) => {
                            tracing::error!(%err, "document task unavailable");
                            close(CloseReason::server("Error interno del servidor."));
                            break;
                        }
                    }
                }
            }
            continue;
        }
        if docs.len() >= limits.max_docs_per_connection {
            close(CloseReason::policy(format!(
                "Demasiados documentos en una conexión (máximo {}).",
                limits.max_docs_per_connection
            )));
            break;
        }
        // Opening a document takes one of the user's few opening places until its task has
        // answered: a flood of requests for documents waits here (and TCP slows its sender)
        // instead of piling up tasks in the server.
        let mut cmd = cmd;
        if let DocCmd::Sync(sync) = &mut cmd {
            let opening = tokio::select! {
                permit = peer.unknown.opening() => permit,
                _ = killed.changed() => break,
            };
            sync.opening = Some(opening);
        }
        match documents.send(document, cmd).await {
            Ok(inbox) => {
                docs.insert(document, inbox);
            }
            Err(err) => {
                tracing::error!(%err, "document task unavailable");
                close(CloseReason::server("Error interno del servidor."));
                break;
            }
        }
    }

    close(CloseReason {
        code: 1000,
        reason: String::new(),
    });
    if let Some(link) = &link {
        documents.leave(link.conn);
    }
    for (_, inbox) in docs {
        let _ = inbox.send(DocCmd::Leave { conn }).await;
    }
    drop(outbox);
    let _ = writer.await;
}

async fn write_loop(
    mut ws_tx: futures_util::stream::SplitSink<WebSocket, WsMessage>,
    mut outbox: mpsc::Receiver<Vec<u8>>,
    mut killed: watch::Receiver<Option<CloseReason>>,
    kill: Arc<watch::Sender<Option<CloseReason>>>,
    last_heard: Arc<AtomicI64>,
    documents: Documents,
    peer_id: Arc<std::sync::Mutex<Option<Arc<str>>>>,
) {
    let keepalive = documents.limits().keepalive;
    let mut ticker = tokio::time::interval(keepalive);
    ticker.tick().await;
    let reason = loop {
        tokio::select! {
            biased;
            _ = killed.changed() => {
                break killed.borrow().clone();
            }
            frame = outbox.recv() => {
                let Some(frame) = frame else { break None };
                Metrics::add(&METRICS.sync_messages_sent, 1);
                Metrics::add(&METRICS.sync_bytes_sent, frame.len() as u64);
                if ws_tx.send(WsMessage::Binary(frame.into())).await.is_err() {
                    break None;
                }
            }
            _ = ticker.tick() => {
                let silent = now_ms() - last_heard.load(Ordering::Relaxed);
                if silent > 3 * keepalive.as_millis() as i64 {
                    break Some(CloseReason::policy("El cliente no responde."));
                }
                if ws_tx.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                    break None;
                }
            }
        }
    };
    if let Some(reason) = reason {
        // Make the reader stop too.
        kill.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason.clone());
                true
            } else {
                false
            }
        });
        if reason.code != 1000 {
            tracing::info!(code = reason.code, reason = %reason.reason, "closing a sync connection");
            let target = peer_id
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_deref()
                .unwrap_or_default()
                .to_owned();
            let error = Message::Error {
                sender_id: documents.peer_id().to_owned(),
                target_id: target,
                message: reason.reason.clone(),
                document_id: None,
            };
            let _ = ws_tx.send(WsMessage::Binary(error.encode().into())).await;
        }
        let mut text = reason.reason;
        // A close reason must fit in 123 bytes.
        while text.len() > 123 {
            text.pop();
        }
        let _ = ws_tx
            .send(WsMessage::Close(Some(CloseFrame {
                code: reason.code,
                reason: text.into(),
            })))
            .await;
    }
    let _ = ws_tx.close().await;
}

/// Counts an open sync connection in [`METRICS`] while it lives.
struct OpenConnection;

impl OpenConnection {
    fn count() -> Self {
        Metrics::add(&METRICS.sync_connections, 1);
        Self
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        METRICS.sync_connections.fetch_sub(1, Ordering::Relaxed);
    }
}
