//! The document's peers: who syncs it as its readers change, what each peer is sent, and the
//! ephemeral messages relayed between them.

use automerge::sync::{self, SyncDoc};

use super::actor::{DocActor, PeerSlot};
use super::admission::readable;
use super::{ConnId, PeerLink, guarded};
use crate::sync::wire::Message;

impl DocActor {
    /// After an assignment changes, peers that may no longer read the ticket stop syncing it,
    /// and connections refused earlier (or syncing as a former assignee) that may read it now
    /// are offered it (by the
    /// [`Self::sync_peers`] that follows every stored change).
    pub(super) fn update_access(&mut self) {
        let lost: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(_, slot)| !self.may_read(&slot.link))
            .map(|(conn, _)| *conn)
            .collect();
        for conn in lost {
            if let Some(slot) = self.peers.remove(&conn) {
                self.send_unavailable(&slot.link);
                self.denied.insert(conn, slot.link);
            }
        }
        self.denied.retain(|_, link| !link.is_closed());
        self.former.retain(|_, slot| !slot.link.is_closed());
        let gained: Vec<ConnId> = self
            .denied
            .iter()
            .chain(self.former.iter().map(|(conn, slot)| (conn, &slot.link)))
            .filter(|(_, link)| self.may_read(link))
            .map(|(conn, _)| *conn)
            .collect();
        for conn in gained {
            let link = match self.denied.remove(&conn) {
                Some(link) => Some(link),
                None => self.former.remove(&conn).map(|slot| slot.link),
            };
            if let Some(link) = link {
                self.peers.insert(
                    conn,
                    PeerSlot {
                        link,
                        state: sync::State::new(),
                        waiting: None,
                    },
                );
            }
        }
    }

    /// Sends each peer (or only `only`) what it is missing.
    pub(super) fn sync_peers(&mut self, only: Option<ConnId>) {
        let Some(doc) = self.doc.as_deref() else {
            return;
        };
        let has_content = !self.stored.heads.is_empty();
        let mut gone = Vec::new();
        let mut panicked = false;
        for (conn, slot) in self.peers.iter_mut() {
            if only.is_some_and(|c| c != *conn) {
                continue;
            }
            if slot.waiting.is_some() {
                if !has_content {
                    continue;
                }
                slot.waiting = None;
            }
            if !readable(&self.projection, has_content, &slot.link) {
                gone.push(*conn);
                continue;
            }
            match guarded(|| doc.generate_sync_message(&mut slot.state)) {
                Ok(Some(message)) => {
                    let frame =
                        sync_frame(&self.hub.inner.peer_id, &slot.link, &self.id_text, message);
                    if !slot.link.send(frame) {
                        gone.push(*conn);
                    }
                }
                Ok(None) => {}
                Err(_) => {
                    panicked = true;
                    break;
                }
            }
        }
        for conn in gone {
            self.peers.remove(&conn);
        }
        if panicked {
            tracing::error!(doc = %self.id_text, "automerge panicked generating a sync message");
            self.drop_document();
        }
    }

    /// Passes an ephemeral message to the document's other peers, never storing it. Only a peer
    /// syncing the document (and so allowed to read it) may send one.
    pub(super) fn relay_ephemeral(&mut self, from: ConnId, message: Message) {
        if !self.peers.contains_key(&from) {
            return;
        }
        let Message::Ephemeral {
            sender_id,
            count,
            session_id,
            document_id,
            data,
            ..
        } = message
        else {
            return;
        };
        for (conn, slot) in &self.peers {
            if *conn == from {
                continue;
            }
            let frame = Message::Ephemeral {
                sender_id: sender_id.clone(),
                target_id: slot.link.peer_id.to_string(),
                count,
                session_id: session_id.clone(),
                document_id: document_id.clone(),
                data: data.clone(),
            }
            .encode();
            slot.link.send(frame);
        }
    }
}

/// The frame that carries the server's sync `message` about document `document_id` to `link`'s
/// peer; `server` is the server's peer id.
pub(super) fn sync_frame(
    server: &str,
    link: &PeerLink,
    document_id: &str,
    message: sync::Message,
) -> Vec<u8> {
    Message::Sync {
        sender_id: server.to_owned(),
        target_id: link.peer_id.to_string(),
        document_id: document_id.to_owned(),
        data: message.encode(),
    }
    .encode()
}
