//! A raw protocol peer of the benchmark: a task that holds documents, sends their changes and
//! reports what the server stored and relayed.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, bail};
use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash};
use campo_tests::raw_peer::{RawPeer, decode};
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::STEP_TIMEOUT;
use crate::servers::Replica;

/// Opens a socket (with the coordinator's session cookie, on Campo) and completes the join/peer
/// handshake.
pub async fn open(server: &Replica, peer_id: &str) -> anyhow::Result<RawPeer> {
    let mut request = server.ws_url.as_str().into_client_request()?;
    if let Some(client) = &server.client {
        let cookie = client
            .cookie_header(&server.base)
            .context("no session cookie")?;
        request
            .headers_mut()
            .insert("cookie", cookie.parse().context("cookie header")?);
    }
    RawPeer::join_ephemeral(request, peer_id).await
}

pub type EditFn = Box<dyn FnOnce(&mut Automerge) + Send>;

pub enum PeerCmd {
    /// Starts syncing a document this peer has (a new ticket); `forget` drops it once stored.
    Push {
        id: String,
        doc: Box<Automerge>,
        forget: bool,
    },
    /// Asks the server for a document.
    Request { id: String },
    /// Changes a document and sends the change; answers the new heads and when it was sent.
    Edit {
        id: String,
        f: EditFn,
        done: oneshot::Sender<(Vec<ChangeHash>, Instant)>,
    },
}

#[derive(Debug)]
pub enum PeerEvent {
    /// The server holds this peer's heads of the document.
    Stored {
        id: String,
    },
    /// The document's heads changed on receiving a message that arrived at `at`.
    Heads {
        id: String,
        heads: Vec<ChangeHash>,
        at: Instant,
    },
    Closed(String),
}

struct DocState {
    doc: Automerge,
    state: sync::State,
    stored: Vec<ChangeHash>,
    forget: bool,
}

pub struct Peer {
    cmds: mpsc::UnboundedSender<PeerCmd>,
    events: mpsc::UnboundedReceiver<PeerEvent>,
}

impl Peer {
    pub async fn connect(server: &Replica) -> anyhow::Result<Self> {
        let peer_id = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let raw = open(server, &peer_id).await?;
        let (cmds, cmd_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::unbounded_channel();
        tokio::spawn(peer_loop(raw, cmd_rx, event_tx));
        Ok(Self { cmds, events })
    }

    pub fn send(&self, cmd: PeerCmd) {
        let _ = self.cmds.send(cmd);
    }

    pub async fn next(&mut self) -> anyhow::Result<PeerEvent> {
        match tokio::time::timeout(STEP_TIMEOUT, self.events.recv()).await {
            Ok(Some(PeerEvent::Closed(why))) => bail!("the server closed the connection: {why}"),
            Ok(Some(event)) => Ok(event),
            Ok(None) => bail!("the peer stopped"),
            Err(_) => bail!("no answer from the server in {STEP_TIMEOUT:?}"),
        }
    }

    pub async fn wait_stored(&mut self, want: &str) -> anyhow::Result<()> {
        loop {
            if let PeerEvent::Stored { id } = self.next().await?
                && id == want
            {
                return Ok(());
            }
        }
    }

    /// Waits until the document's heads include `head`; returns when that message arrived.
    pub async fn wait_head(&mut self, want: &str, head: &ChangeHash) -> anyhow::Result<Instant> {
        loop {
            if let PeerEvent::Heads { id, heads, at } = self.next().await?
                && id == want
                && heads.contains(head)
            {
                return Ok(at);
            }
        }
    }
}

async fn peer_loop(
    mut peer: RawPeer,
    mut cmds: mpsc::UnboundedReceiver<PeerCmd>,
    events: mpsc::UnboundedSender<PeerEvent>,
) {
    let mut docs: HashMap<String, DocState> = HashMap::new();
    let result: anyhow::Result<()> = async {
        loop {
            tokio::select! {
                cmd = cmds.recv() => {
                    let Some(cmd) = cmd else { return Ok(()) };
                    match cmd {
                        PeerCmd::Push { id, doc, forget } => {
                            let mut state = sync::State::new();
                            if let Some(m) = doc.generate_sync_message(&mut state) {
                                peer.send_sync(&id, &m.encode()).await?;
                            }
                            docs.insert(id, DocState { doc: *doc, state, stored: Vec::new(), forget });
                        }
                        PeerCmd::Request { id } => {
                            let doc = Automerge::new();
                            let mut state = sync::State::new();
                            if let Some(m) = doc.generate_sync_message(&mut state) {
                                peer.send_request(&id, &m.encode()).await?;
                            }
                            docs.insert(id, DocState { doc, state, stored: Vec::new(), forget: false });
                        }
                        PeerCmd::Edit { id, f, done } => {
                            let Some(d) = docs.get_mut(&id) else { continue };
                            f(&mut d.doc);
                            let heads = d.doc.get_heads();
                            let at = Instant::now();
                            if let Some(m) = d.doc.generate_sync_message(&mut d.state) {
                                peer.send_sync(&id, &m.encode()).await?;
                            }
                            let _ = done.send((heads, at));
                        }
                    }
                }
                frame = peer.ws.next() => {
                    let at = Instant::now();
                    let bytes = match frame {
                        Some(Ok(WsMessage::Binary(bytes))) => bytes,
                        Some(Ok(WsMessage::Close(reason))) => bail!("closed: {reason:?}"),
                        Some(Ok(_)) => continue,
                        Some(Err(err)) => bail!("socket: {err}"),
                        None => bail!("socket closed"),
                    };
                    let Some(frame) = decode(&bytes) else { bail!("undecodable frame") };
                    match frame.kind.as_str() {
                        "sync" => {}
                        "error" => bail!("error: {}", frame.message),
                        _ => continue,
                    }
                    let Some(d) = docs.get_mut(&frame.document_id) else { continue };
                    let message = sync::Message::decode(&frame.data)?;
                    let before = d.doc.get_heads();
                    d.doc.receive_sync_message(&mut d.state, message)?;
                    let heads = d.doc.get_heads();
                    if heads != before {
                        let _ = events.send(PeerEvent::Heads {
                            id: frame.document_id.clone(),
                            heads: heads.clone(),
                            at,
                        });
                    }
                    if let Some(m) = d.doc.generate_sync_message(&mut d.state) {
                        peer.send_sync(&frame.document_id, &m.encode()).await?;
                    }
                    if !heads.is_empty() && d.state.shared_heads == heads && d.stored != heads {
                        d.stored = heads;
                        let _ = events.send(PeerEvent::Stored { id: frame.document_id.clone() });
                        if d.forget {
                            docs.remove(&frame.document_id);
                        }
                    }
                }
            }
        }
    }
    .await;
    if let Err(err) = result {
        let _ = events.send(PeerEvent::Closed(err.to_string()));
    }
}
