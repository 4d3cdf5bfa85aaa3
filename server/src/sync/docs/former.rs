//! Work from a former assignee: a técnico's phone that recorded visits, evidence or comments on a
//! case while the coordinator was giving the case to someone else.
//!
//! The phone cannot know: the server stops syncing a ticket with a user who may no longer read
//! it, so the reassignment never reaches that user's devices. Its work is kept. The connection
//! syncs with a *view* of the ticket: the document as it was just before the change that gave
//! the case away (all that user could read), plus what the device sends. What the device sends
//! is judged by the write rules like any change and committed to the ticket; the view then
//! acknowledges it, so the phone shows it as saved without reading anything that came after the
//! reassignment, and an ephemeral message tells the phone why the case left its agenda. The
//! projection flags that work for the coordinator («registrado por un técnico ya no asignado»,
//! read from the history by [`campo_shared::handover`]); the fold keeps the workflow events the
//! phone timed after the reassignment from changing the state.

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, PatchLog};
use campo_shared::handover;

use super::peers::sync_frame;
use super::{CloseReason, DocActor, PeerLink, guarded};
use crate::sync::wire::Message;

/// A connection of a user who was responsible for the ticket and no longer is.
pub(super) struct FormerSlot {
    pub(super) link: PeerLink,
    /// The ticket as the user last could read it, plus what the device sent since.
    view: Box<Automerge>,
    state: sync::State,
    /// Whether the device was told that its work was kept on a case now someone else's.
    told: bool,
}

/// What the phone is told (in an ephemeral message) when its work is stored on a case that is no
/// longer its user's; `number` is the case's, when it has one.
pub fn kept_notice(number: Option<&str>) -> String {
    let case = number.map_or_else(|| "este caso".to_owned(), |n| format!("el caso {n}"));
    format!(
        "Lo que registró sin conexión en {case} quedó guardado en el servidor, pero el caso ya \
         está asignado a otra persona: la coordinación lo verá como «registrado por un técnico \
         ya no asignado». El caso sale de su agenda."
    )
}

/// The kind of the ephemeral message that carries [`kept_notice`].
pub const KEPT_KIND: &str = "trabajo_de_no_asignado";

impl DocActor {
    /// Handles a sync message of a former assignee's connection (see the module documentation).
    pub(super) async fn receive_from_former(&mut self, peer: PeerLink, data: Vec<u8>) {
        let conn = peer.conn;
        let message = match crate::sync::wire::decode_sync_data(&data) {
            Ok(message) => message,
            Err(err) => {
                tracing::debug!(%err, "undecodable sync message");
                peer.close(CloseReason::policy("Mensaje de sincronización no válido."));
                self.former.remove(&conn);
                return;
            }
        };
        let incoming: usize = message.changes.iter().map(<[u8]>::len).sum();
        if incoming > campo_shared::limits::CHANGE_BYTES
            || self.stored.bytes + incoming > self.hub.inner.limits.max_document_bytes
        {
            self.former.remove(&conn);
            self.send_refusal(
                &peer,
                "Los cambios enviados superan el tamaño permitido; nada se guardó.".into(),
            );
            return;
        }
        if !self.former.contains_key(&conn) {
            let Some(view) = self.view_before_reassignment(&peer.user_id) else {
                self.send_refusal(
                    &peer,
                    "Regla «caso asignado»: este caso se asignó a otra persona; lo que registró \
                     no se guardó en el servidor. Avise al coordinador."
                        .into(),
                );
                self.denied.insert(conn, peer);
                return;
            };
            self.former.insert(
                conn,
                FormerSlot {
                    link: peer.clone(),
                    view: Box::new(view),
                    state: sync::State::new(),
                    told: false,
                },
            );
        }
        let slot = self.former.get_mut(&conn).expect("inserted above");
        slot.link = peer;
        let view_before = slot.view.get_heads();
        let hub = self.hub.clone();
        let received = hub
            .offload(incoming, || {
                guarded(|| {
                    slot.view.receive_sync_message(&mut slot.state, message)?;
                    Ok::<_, automerge::AutomergeError>(slot.view.get_changes(&view_before))
                })
            })
            .await;
        let new = match received {
            Ok(Ok(new)) => new,
            Ok(Err(_)) | Err(_) => {
                slot.link
                    .close(CloseReason::policy("Mensaje de sincronización no válido."));
                self.former.remove(&conn);
                return;
            }
        };
        let link = slot.link.clone();
        let mut kept = false;
        if !new.is_empty() {
            let doc = self.doc.as_deref_mut().expect("hot");
            let mut patches = PatchLog::new(self.ticket.is_some());
            let applied = hub
                .offload(incoming, || {
                    guarded(|| doc.apply_changes_log_patches(new, &mut patches))
                })
                .await;
            if !matches!(applied, Ok(Ok(()))) {
                link.close(CloseReason::policy("Mensaje de sincronización no válido."));
                self.former.remove(&conn);
                self.drop_document();
                return;
            }
            let before = self.stored.heads.clone();
            if !self.admit(&link, incoming, patches).await {
                return;
            }
            kept = self.stored.heads != before;
            if kept {
                self.sync_peers(None);
            }
        }
        let Some(slot) = self.former.get_mut(&conn) else {
            return;
        };
        // The answer comes from the view: the device learns that its work is stored, and gets
        // nothing of what came after the reassignment.
        match guarded(|| slot.view.generate_sync_message(&mut slot.state)) {
            Ok(Some(message)) => {
                let frame = sync_frame(&self.hub.inner.peer_id, &slot.link, &self.id_text, message);
                slot.link.send(frame);
            }
            Ok(None) => {}
            Err(_) => {
                self.former.remove(&conn);
                return;
            }
        }
        if kept && !slot.told {
            slot.told = true;
            // The phone may have lost the case's number with its agenda: the notice names it.
            let number = match self.hub.inner.store.ticket(&self.id_text).await {
                Ok(row) => row.map(|row| row.number),
                Err(err) => {
                    tracing::warn!(doc = %self.id_text, %err, "could not read the case's number");
                    None
                }
            };
            let Some(slot) = self.former.get_mut(&conn) else {
                return;
            };
            let count = self
                .hub
                .inner
                .notices
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1;
            let frame = Message::Ephemeral {
                sender_id: self.hub.inner.peer_id.to_string(),
                target_id: slot.link.peer_id.to_string(),
                count,
                session_id: self.hub.inner.peer_id.to_string(),
                document_id: self.id_text.clone(),
                data: notice(
                    KEPT_KIND,
                    &kept_notice(number.as_deref()),
                    number.as_deref(),
                ),
            }
            .encode();
            slot.link.send(frame);
        }
        self.maybe_compact().await;
    }

    /// The ticket as `user_id` last could read it: the document just before the change that
    /// last gave the case to someone else. `None` when there is no such change (the user was
    /// never responsible, or lost access otherwise).
    fn view_before_reassignment(&self, user_id: &str) -> Option<Automerge> {
        let doc = self.doc.as_deref()?;
        let ticket = &self.ticket.as_deref()?.ticket;
        guarded(|| {
            let change = handover::last_replacement_of(doc, ticket, user_id)?;
            let deps = doc.get_change_meta_by_hash(&change)?.deps;
            doc.fork_at(&deps).ok()
        })
        .ok()
        .flatten()
    }
}

/// The CBOR payload of a notice: `{"type": kind, "message": text, "number": case or null}`.
fn notice(kind: &str, message: &str, number: Option<&str>) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = e
        .map(3)
        .and_then(|e| e.str("type"))
        .and_then(|e| e.str(kind))
        .and_then(|e| e.str("message"))
        .and_then(|e| e.str(message))
        .and_then(|e| e.str("number"));
    let _ = match number {
        Some(number) => e.str(number),
        None => e.null(),
    };
    e.into_writer()
}
