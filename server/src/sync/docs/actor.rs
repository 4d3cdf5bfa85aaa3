//! [`DocActor`]: one task per loaded document. Its state, its run loop, when its document is in
//! memory ("hot") and when it leaves ("cold"), the commands it handles and the changes the
//! server makes itself.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Instant;

use automerge::sync;
use automerge::{Automerge, ChangeHash, ReadDoc};
use campo_shared::handover;
use campo_shared::ids::DocumentId;
use campo_shared::schema::incremental::HydratedTicket;
use tokio::sync::mpsc;

use super::former::FormerSlot;
use super::{
    Author, ChangeCmd, ChangeFn, ConnId, DocCmd, Documents, PeerLink, SyncCmd, SyncError, guarded,
    lock,
};
use crate::projection::{Projection, project};
use crate::store::Receipt;
use crate::sync::budget::Waiting;

/// What the actor knows about the document's stored form.
#[derive(Default)]
pub(super) struct Stored {
    /// Heads of everything committed to the store.
    pub(super) heads: Vec<ChangeHash>,
    /// Ids of the chunks the in-memory document was built from or wrote.
    pub(super) chunk_ids: Vec<i64>,
    /// Bytes of those chunks.
    pub(super) bytes: usize,
    /// Bytes of incremental chunks since the last snapshot.
    pub(super) incremental_bytes: usize,
    pub(super) incremental_chunks: usize,
}

/// A peer syncing the document: its connection and its sync state.
pub(super) struct PeerSlot {
    pub(super) link: PeerLink,
    pub(super) state: sync::State,
    /// The peer asked for a document the server does not have; it gets the document as soon as
    /// someone else provides it.
    pub(super) waiting: Option<Waiting>,
}

/// The task of one loaded document (see [`super`] for its invariants).
pub(super) struct DocActor {
    pub(super) hub: Documents,
    pub(super) id: DocumentId,
    pub(super) id_text: String,
    pub(super) serial: u64,
    /// Boxed, as the ticket: a cold actor keeps only a pointer where the document was.
    pub(super) doc: Option<Box<Automerge>>,
    pub(super) stored: Stored,
    /// The stored document as a ticket, while hot (`None`: new, or not a ticket).
    pub(super) ticket: Option<Box<HydratedTicket>>,
    /// The ticket's projection, kept while cold: it decides who may read the document.
    pub(super) projection: Option<Projection>,
    /// The ticket's number once this actor has committed to it.
    pub(super) number: Option<String>,
    pub(super) peers: HashMap<ConnId, PeerSlot>,
    /// Connections that asked for the ticket and were refused: if an assignment gives them
    /// access, the server offers them the document without waiting for them to ask again.
    pub(super) denied: HashMap<ConnId, PeerLink>,
    /// Connections of users who were responsible for the ticket and no longer are, sending work
    /// their device recorded meanwhile (see [`former`](super::former)).
    pub(super) former: HashMap<ConnId, FormerSlot>,
    pub(super) last_activity: Instant,
    /// Failed reads of another replica's changes in a row (see [`DocActor::refresh_again`]).
    pub(super) refresh_failures: u32,
}

/// The first pause before reading another replica's changes again after a failed read.
const REFRESH_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

impl DocActor {
    pub(super) async fn run(mut self: Box<Self>, mut rx: mpsc::Receiver<DocCmd>) {
        loop {
            let deadline = self.deadline();
            let cmd = tokio::select! {
                cmd = rx.recv() => cmd,
                () = sleep_until(deadline) => None,
                () = self.hub.inner.pressure.notified(), if self.doc.is_some() && self.peers.is_empty() => None,
            };
            match cmd {
                Some(cmd) => {
                    self.last_activity = Instant::now();
                    // Boxed: handling a message awaits the store, whose futures are large; inline
                    // they would enlarge every actor's task for its whole life, idle or not.
                    Box::pin(self.handle(cmd)).await;
                }
                None => {
                    if self.doc.is_some() {
                        self.go_cold();
                    }
                    self.peers.retain(|_, p| !p.link.is_closed());
                    self.denied.retain(|_, link| !link.is_closed());
                    self.former.retain(|_, slot| !slot.link.is_closed());
                    if self.peers.is_empty()
                        && self.denied.is_empty()
                        && self.former.is_empty()
                        && self.try_exit(&mut rx)
                    {
                        return;
                    }
                }
            }
        }
    }

    /// When the actor should act on its own: drop its document when idle, end when cold with no
    /// peers. `None` while it must wait for messages.
    fn deadline(&self) -> Option<Instant> {
        let limits = &self.hub.inner.limits;
        let over_cap = self.hub.inner.hot.load(Ordering::Relaxed) > limits.max_loaded_docs;
        if self.doc.is_some() {
            let idle = if over_cap {
                std::time::Duration::from_millis(200)
            } else {
                limits.idle_unload
            };
            Some(self.last_activity + idle)
        } else if self.peers.is_empty() && self.denied.is_empty() && self.former.is_empty() {
            Some(self.last_activity)
        } else {
            None
        }
    }

    /// Ends the actor unless a message is waiting. Messages that slip in after the inbox closes
    /// are passed on to a new actor, so none is lost.
    fn try_exit(&mut self, rx: &mut mpsc::Receiver<DocCmd>) -> bool {
        {
            let mut actors = lock(&self.hub.inner.actors);
            if !rx.is_empty() {
                return false;
            }
            if actors.get(&self.id).is_some_and(|(s, _)| *s == self.serial) {
                actors.remove(&self.id);
            }
            rx.close();
        }
        let mut late = Vec::new();
        while let Ok(cmd) = rx.try_recv() {
            late.push(cmd);
        }
        if !late.is_empty() {
            let hub = self.hub.clone();
            let id = self.id;
            tokio::spawn(async move {
                for cmd in late {
                    let _ = hub.send(id, cmd).await;
                }
            });
        }
        true
    }

    pub(super) fn go_cold(&mut self) {
        if self.doc.take().is_some() {
            self.hub.inner.hot.fetch_sub(1, Ordering::Relaxed);
        }
        self.ticket = None;
        // A former assignee's view is rebuilt from the document if its device sends work again.
        self.former.clear();
        // Keep only what a reconnecting peer would keep: the shared heads.
        for slot in self.peers.values_mut() {
            slot.state = sync::State::decode(&slot.state.encode()).unwrap_or_default();
        }
    }

    /// Loads the document from the store when it is not in memory.
    pub(super) async fn ensure_hot(&mut self) -> Result<(), SyncError> {
        if self.doc.is_some() {
            return Ok(());
        }
        let chunks = self.hub.inner.store.load_chunks(&self.id_text).await?;
        let mut stored = Stored::default();
        let doc = if chunks.is_empty() {
            Automerge::new()
        } else {
            let mut bytes = Vec::with_capacity(chunks.iter().map(|c| c.data.len()).sum());
            for chunk in &chunks {
                bytes.extend_from_slice(&chunk.data);
                stored.chunk_ids.push(chunk.id);
            }
            stored.bytes = bytes.len();
            stored.incremental_chunks = chunks.len().saturating_sub(1);
            stored.incremental_bytes = chunks.iter().skip(1).map(|c| c.data.len()).sum();
            let hub = self.hub.clone();
            hub.offload(bytes.len(), || guarded(|| Automerge::load(&bytes)))
                .await?
                .map_err(|e| SyncError::Corrupt(e.to_string()))?
        };
        let mut doc = doc.with_actor(self.hub.inner.actor.clone());
        stored.heads = doc.get_heads();
        // A ticket written by an earlier schema version is upgraded by the server's actor (see
        // `campo_shared::schema::migrate`) and the upgrade stored below; a newer one is left as
        // it is (this version cannot read it).
        let upgraded = if stored.heads.is_empty() {
            None
        } else {
            match guarded(|| self.hub.upgrade(&mut doc))? {
                Ok(from) => from,
                Err(err) => {
                    tracing::warn!(doc = %self.id_text, %err, "a ticket this version cannot upgrade; left as it is");
                    None
                }
            }
        };
        // A stored document that is not a ticket (none is written any more) stays readable by
        // coordinators only.
        self.ticket = if stored.heads.is_empty() {
            None
        } else {
            guarded(|| HydratedTicket::read(&doc).map_err(|e| e.to_string()))?
                .ok()
                .map(Box::new)
        };
        self.projection = match &self.ticket {
            Some(hydrated) => {
                let late = guarded(|| handover::work_after_replacement(&doc, &hydrated.ticket))?;
                let sla = self.hub.sla();
                Some(project(&hydrated.ticket, &late, &stored.heads, &sla))
            }
            None => None,
        };
        self.stored = stored;
        self.doc = Some(Box::new(doc));
        if self.hub.inner.hot.fetch_add(1, Ordering::Relaxed) + 1
            > self.hub.inner.limits.max_loaded_docs
        {
            // Ask idle documents without peers to leave memory.
            self.hub.inner.pressure.notify_waiters();
        }
        if let Some(from) = upgraded {
            tracing::info!(doc = %self.id_text, from, "ticket upgraded to the current schema version");
            let ticket = self.ticket.as_deref().cloned();
            self.persist(ticket, None, None, "migracion", None).await?;
        }
        Ok(())
    }

    async fn handle(&mut self, cmd: DocCmd) {
        match cmd {
            // The server is stopping: its connections are closing and the store closes next.
            // A message not handled is not acknowledged, and its phone sends it again to the
            // replica it reconnects to.
            DocCmd::Sync(_) if *self.hub.inner.closing.borrow() => {}
            DocCmd::Sync(sync) => {
                // A `request` and a `sync` are handled alike; the opening place is freed once
                // the message is handled.
                let SyncCmd {
                    peer,
                    data,
                    opening,
                } = *sync;
                self.receive_sync(peer, data).await;
                drop(opening);
            }
            DocCmd::Ephemeral { from, message } => self.relay_ephemeral(from, *message),
            DocCmd::Leave { conn } => {
                self.peers.remove(&conn);
                self.denied.remove(&conn);
                self.former.remove(&conn);
            }
            DocCmd::View { f } => match self.ensure_hot().await {
                Ok(()) => {
                    let exists = !self.stored.heads.is_empty();
                    let doc = self.doc.as_deref().filter(|_| exists);
                    if guarded(|| f(doc)).is_err() {
                        tracing::error!(doc = %self.id_text, "a view of the document panicked");
                    }
                }
                Err(err) => {
                    tracing::error!(doc = %self.id_text, %err, "could not load document");
                    // Dropping `f` drops its reply channel: the caller sees `Stopped`.
                }
            },
            DocCmd::Ticket { reply } => match self.ensure_hot().await {
                Ok(()) => {
                    let _ = reply.send(self.ticket.as_ref().map(|t| t.ticket.clone()));
                }
                Err(err) => {
                    tracing::error!(doc = %self.id_text, %err, "could not load document");
                }
            },
            DocCmd::Refresh => self.refresh().await,
            DocCmd::Change(change) => {
                let ChangeCmd {
                    f,
                    author,
                    receipt,
                    done,
                } = *change;
                let result = self.server_change(f, author, receipt).await;
                let _ = done.send(result);
            }
        }
    }

    async fn server_change(
        &mut self,
        f: ChangeFn,
        author: Author,
        receipt: Option<Receipt>,
    ) -> Result<Vec<ChangeHash>, SyncError> {
        self.ensure_hot().await?;
        let doc = self.doc.as_deref_mut().expect("hot");
        if guarded(|| f(doc)).is_err() {
            tracing::error!(doc = %self.id_text, "a server change panicked; reloading the document");
            self.drop_document();
            return Err(SyncError::Panicked);
        }
        if self.doc_heads() == self.stored.heads {
            return Ok(self.stored.heads.clone());
        }
        let doc = self.doc.as_deref().expect("hot");
        let ticket = match guarded(|| HydratedTicket::read(doc).map_err(|e| e.to_string())) {
            Ok(Ok(ticket)) => ticket,
            Ok(Err(err)) => {
                self.drop_document();
                return Err(SyncError::Refused(err));
            }
            Err(panic) => {
                self.drop_document();
                return Err(panic);
            }
        };
        let heads = self
            .persist(
                Some(ticket),
                None,
                // A change from an unknown sender's e-mail has no user: the audit keeps its device.
                Some(author.user_id.as_str()).filter(|id| !id.is_empty()),
                &author.device,
                receipt.as_ref(),
            )
            .await?;
        self.sync_peers(None);
        Ok(heads)
    }

    /// Takes the changes another replica stored since this actor last read or wrote the
    /// document, from the store, and passes them to the peers. A cold actor with peers loads the
    /// document (its kept projection, which decides who may read, may be out of date); one
    /// without peers has nothing to do. A read that fails is tried again later (see
    /// [`Self::refresh_again`]).
    async fn refresh(&mut self) {
        if self.doc.is_none() {
            if self.peers.is_empty() && self.denied.is_empty() {
                return;
            }
            if let Err(err) = self.ensure_hot().await {
                tracing::warn!(doc = %self.id_text, %err, "could not load a document another replica changed");
                self.refresh_again();
                return;
            }
            self.refresh_failures = 0;
            self.update_access();
            self.sync_peers(None);
            return;
        }
        let chunks = match self
            .hub
            .inner
            .store
            .load_unknown_chunks(&self.id_text, &self.stored.chunk_ids)
            .await
        {
            Ok(chunks) => chunks,
            Err(err) => {
                tracing::warn!(doc = %self.id_text, %err, "could not read another replica's changes");
                self.refresh_again();
                return;
            }
        };
        self.refresh_failures = 0;
        if chunks.is_empty() {
            return;
        }
        let doc = self.doc.as_deref_mut().expect("hot");
        let loaded = guarded(|| {
            chunks
                .iter()
                .try_for_each(|chunk| doc.load_incremental(&chunk.data).map(|_| ()))
        });
        if !matches!(loaded, Ok(Ok(()))) {
            tracing::error!(doc = %self.id_text, "another replica's changes could not be applied; reloading");
            self.drop_document();
            return;
        }
        for chunk in &chunks {
            self.stored.chunk_ids.push(chunk.id);
            self.stored.bytes += chunk.data.len();
        }
        // Everything in memory is stored: this actor commits its own changes before it handles
        // anything else, and what it just read came from the store.
        self.stored.heads = doc.get_heads();
        let doc = self.doc.as_deref().expect("hot");
        let hydrated = guarded(|| HydratedTicket::read(doc).map_err(|e| e.to_string()));
        if let Ok(Ok(ticket)) = hydrated {
            let late = guarded(|| handover::work_after_replacement(doc, &ticket.ticket));
            let Ok(late) = late else {
                self.drop_document();
                return;
            };
            let sla = self.hub.sla();
            let projection = project(&ticket.ticket, &late, &self.stored.heads, &sla);
            let audience_changed = self
                .projection
                .as_ref()
                .map(crate::projection::Audience::of)
                != Some(crate::projection::Audience::of(&projection));
            self.ticket = Some(Box::new(ticket));
            self.projection = Some(projection);
            if audience_changed {
                self.update_access();
            }
            self.repair_rows().await;
        }
        self.sync_peers(None);
    }

    /// Asks for the refresh again after a failed read (the store unreachable for a moment):
    /// otherwise this replica's phones would miss another replica's changes until the next
    /// notice of the document. The pause doubles with each failure in a row, from one second to
    /// about a minute, so that many documents waiting for the store do not flood it.
    fn refresh_again(&mut self) {
        let pause = REFRESH_RETRY * 2u32.pow(self.refresh_failures.min(6));
        self.refresh_failures = self.refresh_failures.saturating_add(1);
        let (hub, id) = (self.hub.clone(), self.id);
        tokio::spawn(async move {
            tokio::time::sleep(pause).await;
            hub.refresh(id);
        });
    }

    /// After reading another replica's changes: when the ticket's stored rows were computed
    /// from less than this actor now holds (two replicas committed changes of the ticket at
    /// once, each writing rows from what it had), rewrites them from everything. Rows computed
    /// from something this actor does not hold are left alone: the replica that wrote them, or
    /// the next refresh, holds more.
    async fn repair_rows(&mut self) {
        let (Some(projection), Some(doc)) = (&self.projection, self.doc.as_deref()) else {
            return;
        };
        let store = &self.hub.inner.store;
        let stored = match store.projection_heads(&self.id_text).await {
            Ok(Some(stored)) => stored,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(doc = %self.id_text, %err, "could not read a ticket's rows");
                return;
            }
        };
        if stored == projection.ticket.heads {
            return;
        }
        let covered = stored.split(',').filter(|h| !h.is_empty()).all(|hash| {
            hash.parse::<ChangeHash>()
                .ok()
                .is_some_and(|hash| doc.get_change_by_hash(&hash).is_some())
        });
        if !covered {
            return;
        }
        match store
            .replace_projection(&self.id_text, projection, &stored)
            .await
        {
            Ok(true) => {
                tracing::debug!(doc = %self.id_text, "rows rewritten after another replica's change")
            }
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(doc = %self.id_text, %err, "could not rewrite a ticket's rows")
            }
        }
    }

    pub(super) fn drop_document(&mut self) {
        self.go_cold();
        for slot in self.peers.values_mut() {
            slot.state = sync::State::new();
        }
    }

    pub(super) fn doc_heads(&self) -> Vec<ChangeHash> {
        self.doc
            .as_deref()
            .map(Automerge::get_heads)
            .unwrap_or_default()
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
