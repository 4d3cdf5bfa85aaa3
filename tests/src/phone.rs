//! A field phone written in Rust for the API tests: it fetches a ticket document over `/sync` as
//! its user, makes an edit with `campo-shared`'s schema helpers (as the PWA does with its own),
//! and waits until the server has stored it, the moment the PWA shows «Guardado en el servidor».

use anyhow::{Context, bail};
use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash};

use crate::Client;
use crate::raw_peer::RawPeer;

/// One document open on a phone connected to `/sync`.
pub struct Phone {
    peer: RawPeer,
    document_id: String,
    pub doc: Automerge,
    state: sync::State,
}

impl Phone {
    /// Connects as `client`'s user (a sync token from its session) and fetches the document.
    pub async fn open(client: &Client, document_id: &str) -> anyhow::Result<Self> {
        let mut phone = Self {
            peer: connect(client).await?,
            document_id: document_id.to_owned(),
            doc: Automerge::new(),
            state: sync::State::new(),
        };
        phone.ask().await?;
        if phone.doc.get_heads().is_empty() {
            bail!("the server did not send the document");
        }
        Ok(phone)
    }

    /// Connects as `client`'s user and sends a document written on the phone (a ticket registered
    /// in the field, perhaps offline long before), until the server has stored it. Returns the
    /// phone with the document open and the document's id.
    pub async fn create(client: &Client, doc: Automerge) -> anyhow::Result<(Self, String)> {
        let document_id = campo_shared::ids::DocumentId::new().to_bs58check();
        let mut phone = Self {
            peer: connect(client).await?,
            document_id: document_id.clone(),
            doc,
            state: sync::State::new(),
        };
        phone.until_in_sync().await?;
        Ok((phone, document_id))
    }

    /// Connects again as `client`'s user after the connection was lost, keeping the document
    /// with the edits the server never acknowledged, and sends them: what the PWA does when it
    /// reconnects. The server may be another replica, which knows nothing of this phone.
    pub async fn reconnect(&mut self, client: &Client) -> anyhow::Result<()> {
        self.peer = connect(client).await?;
        self.state = sync::State::new();
        self.ask().await
    }

    /// Asks for the document and syncs until the server holds exactly this phone's heads.
    async fn ask(&mut self) -> anyhow::Result<()> {
        let first = self
            .doc
            .generate_sync_message(&mut self.state)
            .context("a first sync message")?;
        self.peer
            .send_request(&self.document_id, &first.encode())
            .await?;
        self.until_in_sync().await
    }

    /// Makes an edit in one change and waits until the server has stored it.
    pub async fn edit(
        &mut self,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), String>,
    ) -> anyhow::Result<()> {
        self.doc
            .transact(|tx| f(tx))
            .map_err(|failure| anyhow::anyhow!(failure.error))?;
        self.until_in_sync().await
    }

    /// Takes what the server sends, answering as a phone does, until `done` holds for the
    /// phone's copy of the document.
    pub async fn wait_for(&mut self, done: impl Fn(&Automerge) -> bool) -> anyhow::Result<()> {
        while !done(&self.doc) {
            let Some(frame) = self.peer.recv().await else {
                bail!("the server closed: {}", self.closed_because());
            };
            match frame.kind.as_str() {
                "sync" => {
                    let message = sync::Message::decode(&frame.data)?;
                    self.doc.receive_sync_message(&mut self.state, message)?;
                    if let Some(reply) = self.doc.generate_sync_message(&mut self.state) {
                        self.peer
                            .send_sync(&self.document_id, &reply.encode())
                            .await?;
                    }
                }
                "error" => bail!("the server sent an error: {}", frame.message),
                _ => {}
            }
        }
        Ok(())
    }

    /// The reason the server gave when it closed the connection (its WebSocket close frame),
    /// or "no reason given".
    pub fn closed_because(&self) -> &str {
        self.peer
            .closed_because
            .as_deref()
            .unwrap_or("no reason given")
    }

    /// Exchanges sync messages until the server holds exactly this phone's heads.
    async fn until_in_sync(&mut self) -> anyhow::Result<()> {
        loop {
            if let Some(message) = self.doc.generate_sync_message(&mut self.state) {
                self.peer
                    .send_sync(&self.document_id, &message.encode())
                    .await?;
            }
            let mut ours: Vec<ChangeHash> = self.doc.get_heads();
            ours.sort();
            let theirs = self.state.their_heads.clone().map(|mut h| {
                h.sort();
                h
            });
            if !ours.is_empty() && theirs.as_ref() == Some(&ours) {
                return Ok(());
            }
            let Some(frame) = self.peer.recv().await else {
                bail!("the server closed: {}", self.closed_because());
            };
            match frame.kind.as_str() {
                "sync" => {
                    let message = sync::Message::decode(&frame.data)?;
                    self.doc.receive_sync_message(&mut self.state, message)?;
                }
                "error" => bail!("the server refused the change: {}", frame.message),
                "doc-unavailable" => bail!("the server says the document is unavailable"),
                _ => {}
            }
        }
    }
}

/// A new `/sync` connection as `client`'s user.
async fn connect(client: &Client) -> anyhow::Result<RawPeer> {
    // Not `Client::post`, which panics when the request fails: a proxy in front of replicas
    // may close the connection of one that stopped.
    let reply = client
        .http()
        .post(client.url("/api/sync-token"))
        .json(&serde_json::json!({}))
        .send()
        .await?;
    let status = reply.status();
    let body: serde_json::Value = reply.json().await.unwrap_or_default();
    if status != 200 {
        bail!("sync token: {status} {body}");
    }
    let token = body["token"].as_str().context("token")?;
    let url = client
        .url(&format!("/sync?token={token}"))
        .replacen("http", "ws", 1);
    RawPeer::join(&url, &format!("telefono-{}", uuid::Uuid::new_v4())).await
}
