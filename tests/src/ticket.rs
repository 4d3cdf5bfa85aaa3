//! Ticket documents for the sync tests and the benchmark, written with `campo-shared`'s schema
//! (`TicketDoc` version 1) exactly as the PWA and the server write them: a valid request and a
//! `registrada` event authored by the connecting user; later edits are what a technician does
//! (a comment, a visit).

use automerge::{ActorId, Automerge};
use campo_shared::event_kind::EventKind;
use campo_shared::ids::CommentId;
use campo_shared::role::Role;
use campo_shared::schema::{
    Channel, Comment, Event, Person, Request, TicketDoc, Visit, append_comment, append_visit,
    validate_request,
};

/// The user a ticket is written for: the connecting user, as `/api/me` reports it.
#[derive(Debug, Clone)]
pub struct Author {
    /// The user's id.
    pub id: String,
    /// The user's full name.
    pub name: String,
    /// The user's role.
    pub role: Role,
    /// The user's dependencia code.
    pub dependencia: String,
}

/// Milliseconds since the Unix epoch, UTC (the device clock of the documents).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A new ticket registered by `author`: the request (with `description`) and its `registrada`
/// event. The channel follows the role, as the PWA sets it.
pub fn new_ticket(author: &Author, description: &str) -> TicketDoc {
    let channel = match author.role {
        Role::Funcionario => Channel::Intranet,
        Role::Tecnico | Role::Contratista => Channel::Field,
        Role::Coordinador => Channel::Phone,
    };
    let request = Request {
        requester: Person {
            id: author.id.clone(),
            name: author.name.clone(),
        },
        dependencia: author.dependencia.clone(),
        location: "Edificio central, piso 3, oficina 301".into(),
        phone_extension: Some("2301".into()),
        channel,
        external_ref: None,
        category: "Impresora".into(),
        description: description.into(),
        equipment: vec!["GN-000123".into()],
        photos: Vec::new(),
    };
    debug_assert!(validate_request(&request).is_ok());
    let registered = Event::new(EventKind::Registered, now_ms(), &author.id, author.role);
    TicketDoc::new(request, registered)
}

/// A new Automerge document holding `ticket`, with a fresh actor, committed in one change.
pub fn ticket_document(ticket: &TicketDoc) -> Automerge {
    let mut doc = Automerge::new().with_actor(ActorId::random());
    doc.transact(|tx| ticket.reconcile_into(tx).map_err(|e| e.to_string()))
        .map_err(|f| f.error)
        .expect("a ticket reconciles into an empty document");
    doc
}

/// Appends a comment by `author_id` in one change; returns its id.
pub fn add_comment(doc: &mut Automerge, author_id: &str, text: &str) -> CommentId {
    let comment = Comment {
        id: CommentId::new(),
        author: author_id.into(),
        at: now_ms(),
        text: text.into(),
    };
    doc.transact(|tx| append_comment(tx, &comment).map_err(|e| e.to_string()))
        .map_err(|f| f.error)
        .expect("append a comment");
    comment.id
}

/// Appends a visit of `technician_id` with a note, in one change; returns it.
pub fn add_visit(doc: &mut Automerge, technician_id: &str, note: &str) -> Visit {
    let mut visit = Visit::start(technician_id, now_ms(), true);
    visit.note = note.into();
    visit.diagnosis = "Rodillo de arrastre gastado".into();
    doc.transact(|tx| append_visit(tx, &visit).map_err(|e| e.to_string()))
        .map_err(|f| f.error)
        .expect("append a visit");
    visit
}
