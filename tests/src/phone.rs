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
        let reply = client.post("/api/sync-token", &serde_json::json!({})).await;
        if reply.status != 200 {
            bail!("sync token: {}", reply.body);
        }
        let token = reply.body["token"].as_str().context("token")?;
        let url = client
            .url(&format!("/sync?token={token}"))
            .replacen("http", "ws", 1);
        let peer = RawPeer::join(&url, &format!("telefono-{}", uuid::Uuid::new_v4())).await?;
        let mut phone = Self {
            peer,
            document_id: document_id.to_owned(),
            doc: Automerge::new(),
            state: sync::State::new(),
        };
        let first = phone
            .doc
            .generate_sync_message(&mut phone.state)
            .context("a first sync message")?;
        phone
            .peer
            .send_request(document_id, &first.encode())
            .await?;
        phone.until_in_sync().await?;
        if phone.doc.get_heads().is_empty() {
            bail!("the server did not send the document");
        }
        Ok(phone)
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
            let frame = self.peer.recv().await.context("the server closed")?;
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
            let frame = self.peer.recv().await.context("the server closed")?;
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
