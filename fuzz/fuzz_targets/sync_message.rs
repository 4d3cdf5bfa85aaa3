//! The sync message decoder: any bytes as a WebSocket frame of `/sync`
//! (`campo_server::sync::wire::Message::decode`), then, as the server goes on with a frame, the
//! document id (`DocumentId::parse`) and the `data` of a `request` or `sync` as an Automerge sync
//! message (`automerge::sync::Message::decode`), received into a stored ticket and into a
//! document the server does not have, answered, and checked against the write rules as a
//! coordinator's delivery (`campo_fuzz::receive`). The same bytes are also tried directly as the
//! `data`, so that the fuzzer reaches Automerge's decoder without the CBOR around it.
//!
//! Must hold: nothing panics (debug assertions are on); a decoded frame encodes to bytes that
//! decode to the same message; a document id that parses prints to a text that parses to it; a
//! ticket the rules accept reads back whole and from the stored bytes.

#![no_main]

use std::sync::OnceLock;

use automerge::Automerge;
use campo_fuzz::{COORD, Verdict, check_accepted, concurrent, receive, starting_tickets, stored};
use campo_server::sync::wire::Message;
use campo_shared::ids::DocumentId;
use campo_shared::role::Role;
use campo_shared::rules::Writer;
use campo_shared::schema::incremental::HydratedTicket;
use libfuzzer_sys::fuzz_target;

/// The stored ticket a sync message is received into: assigned, with a visit and comments, two
/// of them written at the same time on two devices (so that the document has two heads).
fn ticket() -> &'static (Automerge, HydratedTicket) {
    static TICKET: OnceLock<(Automerge, HydratedTicket)> = OnceLock::new();
    TICKET.get_or_init(|| {
        let doc = concurrent(&stored(&starting_tickets()[1]));
        let ticket = HydratedTicket::read(&doc).expect("the starting ticket reads");
        (doc, ticket)
    })
}

/// What the server does with the `data` of a `request` or `sync` message.
fn sync_data(data: &[u8]) {
    let writer = Writer {
        user_id: COORD,
        role: Role::Coordinador,
    };
    let (doc, before) = ticket();
    for (server, before) in [(&Automerge::new(), None), (doc, Some(before))] {
        if let Verdict::Accepted(doc, after) = receive(server, before, writer, data) {
            check_accepted(server, &doc, &after);
        }
    }
}

/// `message` as it reads after encoding: `join` without versions is encoded with none.
fn normalised(message: Message) -> Message {
    match message {
        Message::Join {
            sender_id,
            metadata,
            supported_versions: None,
        } => Message::Join {
            sender_id,
            metadata,
            supported_versions: Some(Vec::new()),
        },
        other => other,
    }
}

fuzz_target!(|frame: &[u8]| {
    if let Ok(message) = Message::decode(frame) {
        let again = Message::decode(&message.encode()).expect("an encoded message decodes");
        assert_eq!(again, normalised(message.clone()), "frame round trip");
        match &message {
            Message::Request {
                document_id, data, ..
            }
            | Message::Sync {
                document_id, data, ..
            } => {
                if let Ok(id) = DocumentId::parse(document_id) {
                    assert_eq!(DocumentId::parse(&id.to_bs58check()).ok(), Some(id));
                }
                sync_data(data);
            }
            _ => {}
        }
    }
    sync_data(frame);
});
