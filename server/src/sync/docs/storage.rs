//! Committing the document's new changes to the store (with their audit rows and the ticket's
//! projection) before anything acknowledges them, and compacting its chunks into a snapshot.

use automerge::ChangeHash;
use campo_shared::handover;
use campo_shared::schema::TicketDoc;
use campo_shared::schema::incremental::HydratedTicket;

use super::actor::DocActor;
use super::{CloseReason, DocChanged, SyncError, guarded};
use crate::projection::{Audience, project};
use crate::store::{AuditEntry, ChunkKind, CommitChange, Receipt};

impl DocActor {
    /// Commits the changes not yet stored. On failure the document leaves memory and its peers
    /// are disconnected with the reason, so nothing unstored is ever acknowledged.
    ///
    /// `ticket` is the document as a ticket after the changes (checked by the caller); the
    /// changes, their audit rows and the ticket's projection are committed together. `unstored`
    /// holds the changes when the caller already took them from the document (everything after
    /// the stored heads, with nothing applied since); `None` takes them here.
    pub(super) async fn persist(
        &mut self,
        ticket: Option<HydratedTicket>,
        unstored: Option<Vec<automerge::Change>>,
        user_id: Option<&str>,
        device: &str,
        receipt: Option<&Receipt>,
    ) -> Result<Vec<ChangeHash>, SyncError> {
        let doc = self.doc.as_deref().expect("hot");
        let heads = doc.get_heads();
        if heads == self.stored.heads {
            return Ok(heads);
        }
        let saved = guarded(|| {
            let changes = unstored.unwrap_or_else(|| doc.get_changes(&self.stored.heads));
            let audit: Vec<AuditEntry> = changes
                .iter()
                .map(|change| AuditEntry {
                    hash: change.hash().to_string(),
                    actor: change.actor_id().to_hex_string(),
                })
                .collect();
            // What `save_after(stored heads)` writes: the changes one after the other.
            let bytes: Vec<u8> = changes
                .iter()
                .flat_map(|c| c.raw_bytes())
                .copied()
                .collect();
            (bytes, audit)
        });
        let (bytes, audit) = match saved {
            Ok(saved) => saved,
            Err(err) => {
                self.drop_document();
                return Err(err);
            }
        };
        let projection = match &ticket {
            Some(ticket) => {
                let late = match guarded(|| handover::work_after_replacement(doc, &ticket.ticket)) {
                    Ok(late) => late,
                    Err(err) => {
                        self.drop_document();
                        return Err(err);
                    }
                };
                let sla = self.hub.sla();
                Some(project(&ticket.ticket, &late, &heads, &sla))
            }
            None => None,
        };
        let commit = CommitChange {
            doc_id: &self.id_text,
            kind: ChunkKind::Incremental,
            data: &bytes,
            audit: &audit,
            user_id,
            device,
            projection: projection.as_ref(),
            previous: self.projection.as_ref(),
            number: self.number.as_deref(),
            receipt,
        };
        match self.hub.inner.store.commit_change(&commit).await {
            Ok(committed) => {
                if let Some(number) = committed.number {
                    if self.number.is_none() {
                        tracing::info!(doc = %self.id_text, %number, device, "new ticket stored");
                    }
                    self.number = Some(number);
                }
                self.stored.heads = heads.clone();
                self.stored.chunk_ids.push(committed.chunk_id);
                self.stored.bytes += bytes.len();
                self.stored.incremental_bytes += bytes.len();
                self.stored.incremental_chunks += 1;
                let before = self.projection.as_ref().map(Audience::of);
                let (after, old) = (
                    ticket.as_ref().map(|t| &t.ticket),
                    self.ticket.as_ref().map(|t| &t.ticket),
                );
                let new_events = added(after, old, |t| &t.events, |e| e.id)
                    .map(|e| e.kind)
                    .collect();
                let new_comments = added(after, old, |t| &t.comments, |c| c.id)
                    .cloned()
                    .collect();
                if let Some(ticket) = ticket {
                    self.ticket = Some(Box::new(ticket));
                    self.projection = projection;
                }
                let after = self.projection.as_ref().map(Audience::of);
                if before != after {
                    self.update_access();
                }
                let _ = self.hub.inner.changes.send(DocChanged {
                    document: self.id,
                    heads: heads.clone(),
                    before,
                    after,
                    new_events,
                    new_comments,
                    number: self.number.clone(),
                });
                Ok(heads)
            }
            Err(err) => {
                if *self.hub.inner.closing.borrow() {
                    // A message taken just before the server began to stop: not acknowledged,
                    // so its phone sends it again after reconnecting.
                    tracing::info!(doc = %self.id_text, %err, "server stopping: a change was not stored");
                } else {
                    tracing::error!(doc = %self.id_text, %err, "could not store a change; disconnecting its peers");
                }
                for slot in self.peers.values() {
                    slot.link.close(CloseReason::server(
                        "El servidor no pudo guardar los cambios. Se reenviarán al reconectar.",
                    ));
                }
                self.peers.clear();
                self.go_cold();
                Err(SyncError::Storage(err))
            }
        }
    }

    /// Replaces the chunks with one snapshot once there are many incremental ones.
    pub(super) async fn maybe_compact(&mut self) {
        let limits = &self.hub.inner.limits;
        if self.stored.incremental_chunks < limits.compact_after_chunks {
            return;
        }
        let Some(doc) = self.doc.as_deref() else {
            return;
        };
        let hub = self.hub.clone();
        let Ok(snapshot) = hub
            .offload(self.stored.bytes, || guarded(|| doc.save()))
            .await
        else {
            return;
        };
        match self
            .hub
            .inner
            .store
            .compact_document(&self.id_text, &snapshot, &self.stored.chunk_ids)
            .await
        {
            Ok(id) => {
                self.stored.chunk_ids = vec![id];
                self.stored.bytes = snapshot.len();
                self.stored.incremental_bytes = 0;
                self.stored.incremental_chunks = 0;
            }
            // The incremental chunks are still there; compaction is retried after the next change.
            Err(err) => tracing::warn!(doc = %self.id_text, %err, "compaction failed"),
        }
    }
}

/// The items of the list `list` of `after` that `old` does not have (by their ids); none when
/// `after` is not a ticket, all when `old` was none.
fn added<'a, T: 'a, K: Eq + std::hash::Hash>(
    after: Option<&'a TicketDoc>,
    old: Option<&TicketDoc>,
    list: fn(&TicketDoc) -> &Vec<T>,
    id: fn(&T) -> K,
) -> impl Iterator<Item = &'a T> {
    let known: std::collections::HashSet<K> = old
        .map(|old| list(old).iter().map(id).collect())
        .unwrap_or_default();
    after
        .map(|after| list(after).as_slice())
        .unwrap_or_default()
        .iter()
        .filter(move |item| !known.contains(&id(item)))
}
