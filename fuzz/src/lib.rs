//! What the fuzz targets share: the tickets they start from, the users who write, and the sync
//! server's path for a delivered change, step by step as `server/src/sync/docs/admission.rs` runs
//! it (`receive_sync`, `admit` and `check_incoming`), without the actor, the store and the sockets
//! around it.
//!
//! Everything here is deterministic (fixed actors, ids made from numbers), so that an input the
//! fuzzer saves reproduces the same run.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, Once};

use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, AutoCommit, Automerge};
use campo_server::sync::wire::decode_sync_data;
use campo_shared::event_kind::EventKind;
use campo_shared::ids::{CommentId, EventId, VisitId};
use campo_shared::limits;
use campo_shared::role::Role;
use campo_shared::rules::{self, Violation, Writer};
use campo_shared::schema::incremental::{HydratedTicket, Touched};
use campo_shared::schema::{
    Channel, ClosingReport, Comment, Event, EventData, Person, Request, TicketDoc, Visit,
    append_comment,
};
use uuid::Uuid;

pub const OFFICIAL: &str = "u-official";
pub const OTHER_OFFICIAL: &str = "u-official-2";
pub const TECH: &str = "u-tech";
pub const CONTRACTOR: &str = "u-contractor";
pub const COORD: &str = "u-coord";

/// Who may deliver a change: one user of each role, and a second official.
pub const USERS: [(&str, Role); 5] = [
    (OFFICIAL, Role::Funcionario),
    (TECH, Role::Tecnico),
    (CONTRACTOR, Role::Contratista),
    (COORD, Role::Coordinador),
    (OTHER_OFFICIAL, Role::Funcionario),
];

/// The `n`th deterministic UUID (the ids of the starting tickets are 1 to 9).
pub fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// A valid request by [`OFFICIAL`].
pub fn request() -> Request {
    Request {
        requester: Person {
            id: OFFICIAL.into(),
            name: "Ana Pérez".into(),
        },
        dependencia: "HACIENDA".into(),
        location: "Piso 2".into(),
        phone_extension: None,
        channel: Channel::Intranet,
        external_ref: None,
        category: "Impresora".into(),
        description: "La impresora no imprime".into(),
        equipment: vec![],
        photos: vec![],
    }
}

pub fn event(kind: EventKind, at: i64, author: &str, role: Role, id: u128) -> Event {
    let mut event = Event::new(kind, at, author, role);
    event.id = EventId::from_uuid(uuid(id));
    event
}

pub fn comment(author: &str, at: i64, text: &str, id: u128) -> Comment {
    Comment {
        id: CommentId::from_uuid(uuid(id)),
        author: author.into(),
        at,
        text: text.into(),
    }
}

pub fn visit(technician: &str, at: i64, user_present: bool, id: u128) -> Visit {
    let mut visit = Visit::start(technician, at, user_present);
    visit.id = VisitId::from_uuid(uuid(id));
    visit
}

/// A photo hash that reads as a SHA-256.
pub const PHOTO: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// The tickets a delivery starts from: just registered; assigned to [`TECH`] with a visit with a
/// photo and a comment; and resolved with its closing report (so a survey may follow).
pub fn starting_tickets() -> Vec<TicketDoc> {
    let registered = TicketDoc::new(
        request(),
        event(EventKind::Registered, 1, OFFICIAL, Role::Funcionario, 1),
    );
    let mut assigned = registered.clone();
    assigned.events.push(
        event(EventKind::Assigned, 2, COORD, Role::Coordinador, 2).with_data(EventData {
            assignee: Some(Person {
                id: TECH.into(),
                name: "Técnico".into(),
            }),
            ..EventData::default()
        }),
    );
    let mut on_site = visit(TECH, 3, true, 3);
    on_site.evidence.push(campo_shared::schema::Photo {
        sha256: PHOTO.into(),
        captured_at: 3,
        position: None,
    });
    assigned.visits.push(on_site.clone());
    assigned
        .comments
        .push(comment(OFFICIAL, 2, "Primer comentario", 4));
    let mut resolved = assigned.clone();
    on_site.ended_at = Some(5);
    resolved.visits[0] = on_site;
    resolved
        .events
        .push(event(EventKind::Resolved, 5, TECH, Role::Tecnico, 5));
    resolved.report = Some(ClosingReport {
        author: TECH.into(),
        at: 6,
        summary: "Se cambió el tóner".into(),
        results: "Imprime".into(),
    });
    resolved
        .events
        .push(event(EventKind::Closed, 6, TECH, Role::Tecnico, 6));
    vec![registered, assigned, resolved]
}

/// The actor of the `n`th device.
pub fn device_actor(n: usize) -> ActorId {
    ActorId::from(format!("device-{n}").into_bytes())
}

/// `ticket` written by a device and stored as the server stores it (saved, then loaded).
pub fn stored(ticket: &TicketDoc) -> Automerge {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(b"registering-device".to_vec()));
    ticket
        .reconcile_into(&mut doc)
        .expect("a ticket reconciles");
    Automerge::load(&doc.save()).expect("a saved document loads")
}

/// `doc` after two devices each added a comment to it at the same time: a document with two
/// heads, as the server's copy of a ticket is whenever phones worked on it offline.
pub fn concurrent(doc: &Automerge) -> Automerge {
    let base = doc.save();
    let mut merged = doc.clone();
    let comments = [(OFFICIAL, "Sigue fallando", 7), (TECH, "Voy mañana", 8)];
    for (n, (author, text, id)) in comments.into_iter().enumerate() {
        let mut device = AutoCommit::load(&base)
            .expect("a saved document loads")
            .with_actor(device_actor(10 + n));
        append_comment(&mut device, &comment(author, 4, text, id)).expect("a comment appends");
        merged
            .apply_changes(device.get_changes(&doc.get_heads()))
            .expect("the changes apply");
    }
    merged
}

/// A sync message carrying `changes` (raw change chunks) and the sender's `heads`, as a device
/// that knows what the server has sends it.
pub fn sync_data(heads: Vec<automerge::ChangeHash>, changes: Vec<Vec<u8>>) -> Vec<u8> {
    sync::Message {
        heads,
        need: Vec::new(),
        have: Vec::new(),
        changes: changes.into(),
        flags: None,
        version: sync::MessageVersion::V1,
    }
    .encode()
}

/// What the server made of a sync message.
#[derive(Debug)]
pub enum Verdict {
    /// Not a sync message, more bytes of changes than a delivery may carry, or changes
    /// Automerge refuses: the connection is closed.
    Refused,
    /// Nothing new for the document (a request, or changes whose dependencies are missing).
    Nothing,
    /// The changes break a write rule; nothing is stored.
    Violation(Violation),
    /// The changes are stored: the document and the ticket they leave.
    Accepted(Box<Automerge>, Box<HydratedTicket>),
}

/// Runs `f` as the sync server runs Automerge work, under `catch_unwind` (`guarded` in
/// `server/src/sync/docs.rs`). A panic inside Automerge there is the server's to survive (it
/// refuses the change, reads everything again or drops the document from memory), so it is no
/// crash here either: it is told once per place on stderr, and `None` is returned. A panic
/// anywhere else, Campo's code included, still ends the run as a crash.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: Once = Once::new();
    static TOLD: Mutex<Vec<String>> = Mutex::new(Vec::new());
    HOOK.call_once(|| {
        let fuzzer_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let place = info
                .location()
                .map(|at| format!("{}:{}", at.file(), at.line()))
                .unwrap_or_default();
            if GUARDED.get() && place.contains("/automerge-") {
                let mut told = TOLD.lock().unwrap_or_else(|e| e.into_inner());
                if !told.contains(&place) {
                    eprintln!("Automerge panicked where the server catches it: {info}");
                    told.push(place);
                }
                return;
            }
            fuzzer_hook(info);
        }));
    });
    GUARDED.set(true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.set(false);
    result.ok()
}

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Receives `data`, a sync message of a peer that is `writer`, into the stored document
/// `server` whose ticket is `before` (`None`: a document the server does not have), as the sync
/// server does: decode, apply, answer, then, if the heads moved, read the ticket again from what
/// the changes' operations touched and check the write rules. What the server runs under
/// `guarded`, this runs under [`guarded`].
pub fn receive(
    server: &Automerge,
    before: Option<&HydratedTicket>,
    writer: Writer<'_>,
    data: &[u8],
) -> Verdict {
    let Ok(message) = decode_sync_data(data) else {
        return Verdict::Refused;
    };
    let incoming: usize = message.changes.iter().map(<[u8]>::len).sum();
    if incoming > limits::CHANGE_BYTES {
        return Verdict::Refused;
    }
    let mut doc = server.clone();
    let mut state = sync::State::new();
    let received = guarded(|| doc.receive_sync_message(&mut state, message));
    if !matches!(received, Some(Ok(()))) {
        return Verdict::Refused;
    }
    // The server answers the peer from the same state (`sync_peers`), and keeps only the shared
    // heads of it when the document leaves memory (`go_cold`).
    if let Some(Some(reply)) = guarded(|| doc.generate_sync_message(&mut state)) {
        let _ = reply.encode();
    }
    let _ = sync::State::decode(&state.encode());
    let stored_heads = server.get_heads();
    if doc.get_heads() == stored_heads {
        return Verdict::Nothing;
    }
    // What the changes touched, from their operations alone (the server logs no patches).
    let touched = guarded(|| {
        let mut touched = Touched::default();
        if before.is_some() {
            touched.add_changes(&doc, &doc.get_changes(&stored_heads));
        }
        touched
    })
    .unwrap_or_else(Touched::everything);
    let unreadable = || {
        Verdict::Violation(Violation(
            "Regla «documento de caso válido»: el documento no se puede leer.".into(),
        ))
    };
    let after = guarded(|| match before {
        Some(before) => before.reread(&doc, &touched),
        None => HydratedTicket::read(&doc),
    });
    let after = match after {
        Some(Ok(after)) => after,
        Some(Err(err)) => {
            return Verdict::Violation(Violation(format!(
                "Regla «documento de caso válido»: {err}."
            )));
        }
        None => return unreadable(),
    };
    match guarded(|| rules::check_change(writer, &doc, before, &after, &touched)) {
        Some(Ok(())) => Verdict::Accepted(Box::new(doc), Box::new(after)),
        Some(Err(violation)) => Verdict::Violation(violation),
        None => unreadable(),
    }
}

/// What must hold of a change the server accepted: the ticket reads back whole as the rules
/// saw it, and the stored bytes (the old document and the new chunk, concatenated as the store
/// loads them) load to the same ticket.
pub fn check_accepted(server: &Automerge, doc: &Automerge, after: &HydratedTicket) {
    let whole = HydratedTicket::read(doc).expect("an accepted ticket reads back");
    assert_eq!(whole.ticket, after.ticket, "accepted ticket read whole");
    let mut bytes = if server.get_heads().is_empty() {
        Vec::new()
    } else {
        server.save()
    };
    bytes.extend(doc.save_after(&server.get_heads()));
    let reloaded = Automerge::load(&bytes).expect("the stored chunks load");
    assert_eq!(reloaded.get_heads(), doc.get_heads(), "stored heads");
    let again = HydratedTicket::read(&reloaded).expect("the stored ticket reads");
    assert_eq!(again.ticket, after.ticket, "stored ticket");
}
