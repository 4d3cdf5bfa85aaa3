//! Who may read the document, and what a peer's sync message brings: receiving it, judging the
//! changes it delivers against the write rules and the photos they cite, and admitting them to
//! the store or refusing them.

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, PatchLog};
use campo_shared::role::Role;
use campo_shared::rules::{self, Violation, Writer};
use campo_shared::schema::TicketDoc;
use campo_shared::schema::incremental::{HydratedTicket, Touched};

use super::actor::{DocActor, PeerSlot};
use super::{CloseReason, PeerLink, guarded};
use crate::metrics::{METRICS, Metrics};
use crate::projection::{Audience, Projection};
use crate::store::Viewer;
use crate::sync::wire::Message;

impl DocActor {
    /// Whether `peer` may read this document: a ticket by the access rules, a stored document
    /// that is not a ticket only by coordinators, a document the server does not have by anyone
    /// (who may then register it as a new ticket).
    pub(super) fn may_read(&self, peer: &PeerLink) -> bool {
        readable(&self.projection, !self.stored.heads.is_empty(), peer)
    }

    /// Whether the ticket was once assigned to the peer's user (it knows the ticket already).
    fn was_assigned(&self, peer: &PeerLink) -> bool {
        self.ticket.as_ref().is_some_and(|t| {
            t.ticket.events.iter().any(|e| {
                e.kind == campo_shared::event_kind::EventKind::Assigned
                    && e.data
                        .assignee
                        .as_ref()
                        .is_some_and(|a| *a.id == *peer.user_id)
            })
        })
    }

    /// Tells a peer the server has no such document (also said of a forbidden one).
    pub(super) fn send_unavailable(&self, link: &PeerLink) {
        let frame = Message::DocUnavailable {
            sender_id: self.hub.inner.peer_id.to_string(),
            target_id: link.peer_id.to_string(),
            document_id: self.id_text.clone(),
        }
        .encode();
        link.send(frame);
    }

    /// Refuses a change that cites a photo its writer may not read (see
    /// [`Store::may_cite_blob`](crate::store::Store::may_cite_blob)): citing a photo in a ticket
    /// lets the ticket's readers see it.
    async fn check_citations(&self, peer: &PeerLink, after: &TicketDoc) -> Result<(), Violation> {
        if peer.role == Role::Coordinador {
            return Ok(());
        }
        let before = self.ticket.as_deref().map(|t| &t.ticket);
        let cited: std::collections::HashSet<&str> = before.map(photos).unwrap_or_default();
        let viewer = Viewer {
            user_id: &peer.user_id,
            role: peer.role.as_str(),
        };
        for sha256 in photos(after).difference(&cited) {
            match self.hub.inner.store.may_cite_blob(viewer, sha256).await {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Violation(format!(
                        "Regla «fotos propias»: la foto {}… no la subió usted ni está en un caso \
                         que usted pueda ver.",
                        &sha256[..sha256.len().min(12)]
                    )));
                }
                Err(err) => {
                    tracing::error!(doc = %self.id_text, %err, "could not check a photo citation");
                    return Err(Violation(
                        "El servidor no pudo revisar las fotos del cambio. Se reenviará al \
                         reconectar."
                            .into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Tells a peer that the server refused its changes of this document, and why. The peer
    /// stops syncing the document on this connection; what it sends later is judged afresh.
    pub(super) fn send_refusal(&self, link: &PeerLink, message: String) {
        let frame = Message::Error {
            sender_id: self.hub.inner.peer_id.to_string(),
            target_id: link.peer_id.to_string(),
            message,
            document_id: Some(self.id_text.clone()),
        }
        .encode();
        link.send(frame);
    }

    /// Upgrades a new ticket that a phone wrote with an earlier version of the app (created
    /// offline before the app updated) to the current schema version, before it is judged, as a
    /// stored one is when it is loaded ([`DocActor::ensure_hot`]): in one change by the
    /// server's actor, stored with the phone's changes, which reaches the phone by sync. A
    /// version this program cannot bring to its own (newer, or without its steps) is refused.
    fn upgrade_arrival(&mut self) -> Result<(), Violation> {
        let doc = self.doc.as_deref_mut().expect("hot");
        match guarded(|| self.hub.upgrade(doc)) {
            Ok(Ok(None)) => Ok(()),
            Ok(Ok(Some(from))) => {
                tracing::info!(doc = %self.id_text, from, "a new ticket of an earlier schema version upgraded on arrival");
                Ok(())
            }
            Ok(Err(err)) => Err(Violation(format!(
                "Regla «documento de caso válido»: {err}."
            ))),
            Err(_) => Err(Violation(
                "Regla «documento de caso válido»: el documento no se puede leer.".into(),
            )),
        }
    }

    /// Checks the changes a peer just delivered, which touched `touched`, against the write rules;
    /// returns the ticket they leave.
    fn check_incoming(
        &self,
        peer: &PeerLink,
        touched: &Touched,
    ) -> Result<HydratedTicket, Violation> {
        let doc = self.doc.as_deref().expect("hot");
        let read = || {
            match &self.ticket {
                Some(before) => before.reread(doc, touched),
                None => HydratedTicket::read(doc),
            }
            .map_err(|e| e.to_string())
        };
        let after = match guarded(read) {
            Ok(Ok(after)) => after,
            Ok(Err(err)) => {
                return Err(Violation(format!(
                    "Regla «documento de caso válido»: {err}."
                )));
            }
            Err(_) => {
                return Err(Violation(
                    "Regla «documento de caso válido»: el documento no se puede leer.".into(),
                ));
            }
        };
        let writer = Writer {
            user_id: &peer.user_id,
            role: peer.role,
        };
        let before = self.ticket.as_deref();
        match guarded(|| rules::check_change(writer, doc, before, &after, touched)) {
            Ok(result) => result?,
            Err(_) => {
                return Err(Violation(
                    "Regla «documento de caso válido»: el documento no se puede leer.".into(),
                ));
            }
        }
        Ok(after)
    }

    pub(super) async fn receive_sync(&mut self, peer: PeerLink, data: Vec<u8>) {
        if let Err(err) = self.ensure_hot().await {
            tracing::error!(doc = %self.id_text, %err, "could not load document");
            peer.close(CloseReason::server(
                "El servidor no pudo leer el documento. Intente de nuevo más tarde.",
            ));
            return;
        }
        let conn = peer.conn;
        if !self.may_read(&peer) {
            self.peers.remove(&conn);
            let doc = self.doc.as_deref().expect("hot");
            if self.former.contains_key(&conn)
                || (self.was_assigned(&peer) && brings_work(doc, &data))
            {
                // Work a técnico's device recorded on a case given meanwhile to someone else.
                self.denied.remove(&conn);
                self.receive_from_former(peer, data).await;
            } else {
                // Unknown and forbidden documents get the same answer.
                self.send_unavailable(&peer);
                self.denied.insert(conn, peer);
            }
            return;
        }
        self.denied.remove(&conn);
        self.former.remove(&conn);
        let slot = self.peers.entry(conn).or_insert_with(|| PeerSlot {
            link: peer.clone(),
            state: sync::State::new(),
            waiting: None,
        });
        slot.link = peer;
        let message = match crate::sync::wire::decode_sync_data(&data) {
            Ok(message) => message,
            Err(err) => {
                tracing::debug!(%err, "undecodable sync message");
                slot.link
                    .close(CloseReason::policy("Mensaje de sincronización no válido."));
                self.peers.remove(&conn);
                return;
            }
        };
        let incoming: usize = message.changes.iter().map(<[u8]>::len).sum();
        if incoming > campo_shared::limits::CHANGE_BYTES {
            let link = slot.link.clone();
            self.peers.remove(&conn);
            self.send_refusal(
                &link,
                format!(
                    "Los cambios enviados ocupan {} KB y el máximo por envío es {} KB; \
                     nada se guardó.",
                    incoming.div_ceil(1024),
                    campo_shared::limits::CHANGE_BYTES / 1024
                ),
            );
            return;
        }
        let limit = self.hub.inner.limits.max_document_bytes;
        if self.stored.bytes + incoming > limit {
            slot.link.close(CloseReason::policy(format!(
                "El documento superaría el tamaño máximo ({} MB).",
                limit / (1024 * 1024)
            )));
            self.peers.remove(&conn);
            return;
        }
        let exists = !self.stored.heads.is_empty();
        let asks_nothing = message.heads.is_empty() && message.changes.is_empty();
        let doc = self.doc.as_deref_mut().expect("hot");
        // No patches: what the changes touched (so that checking them reads only that again, see
        // `check_incoming`) comes from their operations, `Touched::add_changes`, which name every
        // object a patch would. Making the patches was a twentieth of the server's CPU per
        // change. The log stays empty.
        let patches = PatchLog::inactive();
        let hub = self.hub.clone();
        let received = hub
            .offload(incoming, || {
                guarded(|| doc.receive_sync_message(&mut slot.state, message))
            })
            .await;
        match received {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::debug!(%err, "sync message refused");
                slot.link
                    .close(CloseReason::policy("Mensaje de sincronización no válido."));
                self.peers.remove(&conn);
                return;
            }
            Err(_) => {
                tracing::error!(doc = %self.id_text, "automerge panicked on a sync message");
                slot.link
                    .close(CloseReason::policy("Mensaje de sincronización no válido."));
                self.peers.remove(&conn);
                self.drop_document();
                return;
            }
        }
        if !exists && asks_nothing && self.doc_heads().is_empty() {
            // Neither side has the document: say so, and remember that this peer wants it while
            // its user's budget allows. Nothing stays in memory but the waiting peer.
            if let Some(slot) = self.peers.get_mut(&conn) {
                let link = slot.link.clone();
                if !link.unknown.ask() {
                    link.close(CloseReason::policy(
                        "Demasiadas solicitudes de documentos que no existen; espere un momento.",
                    ));
                    self.peers.remove(&conn);
                } else {
                    slot.waiting = link.unknown.wait();
                    if slot.waiting.is_none() {
                        self.peers.remove(&conn);
                    }
                    self.send_unavailable(&link);
                }
            }
            self.go_cold();
            return;
        }
        let Some(link) = self.peers.get(&conn).map(|slot| slot.link.clone()) else {
            return;
        };
        let before = self.stored.heads.clone();
        if !self.admit(&link, incoming, patches).await {
            return;
        }
        if self.stored.heads != before {
            self.sync_peers(None);
        } else {
            self.sync_peers(Some(conn));
        }
        self.maybe_compact().await;
    }

    /// Checks the changes `link` just delivered into the document (their patches logged in
    /// `patches`) against the write rules, and commits them. A refused change is neither stored
    /// nor relayed: the document goes back to its stored state, and the peer hears why. Returns
    /// whether the document is as stored (nothing new, or committed).
    pub(super) async fn admit(
        &mut self,
        link: &PeerLink,
        incoming: usize,
        mut patches: PatchLog,
    ) -> bool {
        let mut ticket = None;
        let mut unstored = None;
        if self.doc_heads() != self.stored.heads {
            let upgraded = if self.stored.heads.is_empty() {
                self.upgrade_arrival()
            } else {
                Ok(())
            };
            let doc = self.doc.as_deref().expect("hot");
            // What the patches show, and what the changes' operations write to (a write of the
            // value a field already had shows in no patch).
            let stored_heads = &self.stored.heads;
            let known = self.ticket.is_some();
            let touched = guarded(|| {
                let mut touched = Touched::from_patches(&doc.make_patches(&mut patches));
                let changes = doc.get_changes(stored_heads);
                if known {
                    touched.add_changes(doc, &changes);
                }
                // Kept for `persist`, which stores these same changes: taking them from the
                // document is a twentieth of the server's CPU per change, and was done twice.
                unstored = Some(changes);
                touched
            })
            .unwrap_or_else(|_| Touched::everything());
            let hub = self.hub.clone();
            let mut checked = match upgraded {
                Ok(()) => {
                    hub.offload(incoming, || self.check_incoming(link, &touched))
                        .await
                }
                Err(violation) => Err(violation),
            };
            if let Ok(after) = &checked
                && let Err(violation) = self.check_citations(link, &after.ticket).await
            {
                checked = Err(violation);
            }
            match checked {
                Ok(after) => ticket = Some(after),
                Err(violation) => {
                    tracing::info!(doc = %self.id_text, user = %link.user_id, %violation, "change refused");
                    Metrics::add(&METRICS.sync_changes_refused, 1);
                    // Neither stored nor relayed: the document goes back to its stored state,
                    // and the peer hears why.
                    self.peers.remove(&link.conn);
                    self.former.remove(&link.conn);
                    self.drop_document();
                    self.send_refusal(link, violation.0);
                    return false;
                }
            }
        }
        self.persist(ticket, unstored, Some(&link.user_id), &link.peer_id, None)
            .await
            .is_ok()
    }
}

/// [`DocActor::may_read`] for a stored document, usable while the actor's peers are borrowed.
pub(super) fn readable(projection: &Option<Projection>, stored: bool, link: &PeerLink) -> bool {
    match projection {
        Some(projection) => Audience::of(projection).may_read(&link.user_id, link.role),
        None => !stored || link.role == Role::Coordinador,
    }
}

/// Whether a sync message shows work the server does not have: changes, or heads it lacks.
fn brings_work(doc: &Automerge, data: &[u8]) -> bool {
    sync::Message::decode(data).is_ok_and(|m| {
        !m.changes.is_empty()
            || m.heads
                .iter()
                .any(|h| automerge::ReadDoc::get_change_by_hash(doc, h).is_none())
    })
}

/// The photos a ticket cites (see [`TicketDoc::photos`]).
fn photos(ticket: &TicketDoc) -> std::collections::HashSet<&str> {
    ticket.photos().collect()
}
