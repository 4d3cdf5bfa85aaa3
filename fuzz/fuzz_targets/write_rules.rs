//! The write rules (`campo_shared::rules::check_change`) on changes a device makes to a valid
//! ticket: honest edits through the schema's helpers (events, visits, comments, report, survey,
//! request) and raw Automerge operations on any object of the document (puts, inserts,
//! deletions, text splices, counters, nested objects, unknown keys), in one or several changes,
//! from concurrent devices, delivered in a sync message by a user of any role. Several deliveries
//! follow each other, each from the ticket the previous one left.
//!
//! The server's path is the sync server's (`campo_fuzz::receive`). Must hold: nothing panics
//! (debug assertions are on, so the incremental reading is compared with the whole reading on
//! every delivery), and a ticket the rules accept reads back whole and from the stored bytes
//! (`campo_fuzz::check_accepted`).

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use campo_fuzz::{
    COORD, OFFICIAL, PHOTO, TECH, USERS, Verdict, check_accepted, comment, concurrent,
    device_actor, event, receive, request, starting_tickets, stored, sync_data, uuid, visit,
};
use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::rules::Writer;
use campo_shared::schema::incremental::HydratedTicket;
use campo_shared::schema::{
    self, ClosingReport, EventData, Mode, Outcome, Person, Photo, Position, Survey, SurveyAnswers,
    SurveyChannel, TicketDoc,
};
use campo_shared::sla::Priority;
use libfuzzer_sys::fuzz_target;

/// Words the fuzzer would take long to find: ids, roles, event kinds, enum values.
const WORDS: &[&str] = &[
    "",
    OFFICIAL,
    TECH,
    COORD,
    "u-contractor",
    "u-official-2",
    "funcionario",
    "tecnico",
    "contratista",
    "coordinador",
    "registrada",
    "asignada",
    "priorizada",
    "resuelta",
    "cerrada",
    "anulada",
    "reabierta",
    "encuesta_respondida",
    "alta",
    "on_site",
    "resolved",
    "own_app",
    "intranet",
    PHOTO,
    "00000000-0000-0000-0000-000000000001",
    "00000000-0000-0000-0000-000000000003",
    "00000000-0000-0000-0000-000000000004",
    "HACIENDA",
    "1",
];

/// The keys of a ticket document, and a few it does not have.
const KEYS: &[&str] = &[
    "schema",
    "request",
    "events",
    "visits",
    "report",
    "survey",
    "comments",
    "requester",
    "id",
    "name",
    "dependencia",
    "location",
    "phone_extension",
    "channel",
    "external_ref",
    "category",
    "description",
    "equipment",
    "photos",
    "at",
    "author",
    "author_role",
    "kind",
    "data",
    "priority",
    "mode",
    "assignee",
    "resolution_due",
    "visit",
    "next_visit_at",
    "duplicate_of",
    "reason",
    "technician",
    "started_at",
    "ended_at",
    "user_present",
    "evidence",
    "sha256",
    "captured_at",
    "position",
    "lat",
    "lon",
    "accuracy_m",
    "note",
    "notice_left",
    "diagnosis",
    "actions",
    "tests",
    "outcome",
    "custody",
    "from",
    "to",
    "place",
    "condition",
    "summary",
    "results",
    "answered_at",
    "by",
    "answers",
    "timeliness",
    "treatment",
    "solution",
    "comment",
    "text",
    "aprobado",
];

#[derive(Arbitrary, Debug)]
enum Text {
    Word(u8),
    Free(String),
    /// A text this long, to cross the limits.
    Long(u16),
}

impl Text {
    fn get(&self) -> String {
        match self {
            Text::Word(i) => WORDS[usize::from(*i) % WORDS.len()].to_owned(),
            Text::Free(s) => s.clone(),
            Text::Long(n) => "x".repeat(usize::from(*n)),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Who {
    User(u8),
    Other(Text),
}

impl Who {
    fn get(&self) -> String {
        match self {
            Who::User(i) => USERS[usize::from(*i) % USERS.len()].0.to_owned(),
            Who::Other(text) => text.get(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Key {
    Known(u8),
    Free(String),
}

impl Key {
    fn get(&self) -> String {
        match self {
            Key::Known(i) => KEYS[usize::from(*i) % KEYS.len()].to_owned(),
            Key::Free(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Scalar {
    Str(Text),
    Int(i64),
    Uint(u64),
    F64(f64),
    Bool(bool),
    Null,
    Bytes(Vec<u8>),
    Timestamp(i64),
    Counter(i64),
}

impl Scalar {
    fn get(&self) -> ScalarValue {
        match self {
            Scalar::Str(text) => ScalarValue::Str(text.get().into()),
            Scalar::Int(n) => ScalarValue::Int(*n),
            Scalar::Uint(n) => ScalarValue::Uint(*n),
            Scalar::F64(n) => ScalarValue::F64(*n),
            Scalar::Bool(b) => ScalarValue::Boolean(*b),
            Scalar::Null => ScalarValue::Null,
            Scalar::Bytes(b) => ScalarValue::Bytes(b.clone()),
            Scalar::Timestamp(n) => ScalarValue::Timestamp(*n),
            Scalar::Counter(n) => ScalarValue::counter(*n),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    Map,
    List,
    Text,
}

impl Kind {
    fn get(self) -> ObjType {
        match self {
            Kind::Map => ObjType::Map,
            Kind::List => ObjType::List,
            Kind::Text => ObjType::Text,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Data {
    priority: Option<u8>,
    mode: Option<u8>,
    assignee: Option<Who>,
    resolution_due: Option<i64>,
    /// The visit: one of the ticket's (by index) or an unknown id.
    visit: Option<u8>,
    next_visit_at: Option<i64>,
    duplicate_of: Option<Text>,
    reason: Option<Text>,
}

#[derive(Arbitrary, Debug)]
struct VisitEdit {
    index: u8,
    note: Option<Text>,
    ended_at: Option<Option<i64>>,
    add_photo: Option<(Text, i64, Option<(f64, f64, f64)>)>,
    drop_photo: bool,
    outcome: Option<u8>,
    notice_left: Option<bool>,
    diagnosis: Option<Text>,
    technician: Option<Who>,
}

/// One thing a device does.
#[derive(Arbitrary, Debug)]
enum Step {
    Comment {
        author: Who,
        at: i64,
        text: Text,
        id: u8,
    },
    Event {
        kind: u8,
        author: Who,
        role: u8,
        at: i64,
        id: u8,
        data: Data,
    },
    StartVisit {
        technician: Who,
        at: i64,
        present: bool,
        id: u8,
    },
    EditVisit(VisitEdit),
    Report {
        author: Who,
        at: i64,
        summary: Text,
        results: Text,
    },
    Survey {
        by: Who,
        at: i64,
        own_app: bool,
        answers: [u8; 3],
        comment: Text,
    },
    Request {
        field: u8,
        text: Text,
    },
    Put {
        obj: u16,
        key: Key,
        value: Scalar,
    },
    PutObject {
        obj: u16,
        key: Key,
        kind: Kind,
    },
    Insert {
        obj: u16,
        index: u16,
        value: Scalar,
    },
    InsertObject {
        obj: u16,
        index: u16,
        kind: Kind,
    },
    Delete {
        obj: u16,
        key: Key,
        index: u16,
    },
    Splice {
        obj: u16,
        pos: u16,
        del: i8,
        text: Text,
    },
    Increment {
        obj: u16,
        key: Key,
        by: i64,
    },
    /// Ends the current change; the next steps make another.
    Commit,
    /// The next steps are made on another device, concurrently; its changes are merged into the
    /// delivering device's before delivery.
    Fork,
}

#[derive(Arbitrary, Debug)]
struct Delivery {
    writer: u8,
    steps: Vec<Step>,
}

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// Changes made by devices from fuzzer-chosen steps.
    Edits(Edits),
    /// A sync message as bytes (the committed seeds: real deliveries, accepted and refused),
    /// delivered by `USERS[writer]` to the starting point `start` (as in [`Edits::start`]).
    Delivered {
        start: u8,
        writer: u8,
        data: &'a [u8],
    },
}

#[derive(Arbitrary, Debug)]
struct Edits {
    /// 0: a ticket registered on the device (the server has no document); 1–3: a stored ticket
    /// (`campo_fuzz::starting_tickets`); 4: the second of them with two heads
    /// (`campo_fuzz::concurrent`).
    start: u8,
    /// For a registration: whether the request is in the writer's name and carries the
    /// writer's `registrada` event.
    own_request: bool,
    registered: bool,
    deliveries: Vec<Delivery>,
}

/// Most steps in one delivery, and deliveries in one input: enough for every rule, few enough
/// for thousands of runs a second.
const MAX_STEPS: usize = 48;
const MAX_DELIVERIES: usize = 4;

struct Start {
    doc: Automerge,
    ticket: HydratedTicket,
}

fn starts() -> &'static [Start] {
    static STARTS: OnceLock<Vec<Start>> = OnceLock::new();
    STARTS.get_or_init(|| {
        let tickets = starting_tickets();
        let mut docs: Vec<Automerge> = tickets.iter().map(stored).collect();
        docs.push(concurrent(&docs[1]));
        docs.into_iter()
            .map(|doc| {
                let ticket = HydratedTicket::read(&doc).expect("a starting ticket reads");
                Start { doc, ticket }
            })
            .collect()
    })
}

/// Every object of the document, the root first (at most 256, at most 8 deep).
fn objects(doc: &AutoCommit) -> Vec<(ObjId, ObjType)> {
    fn walk(
        doc: &AutoCommit,
        obj: ObjId,
        kind: ObjType,
        depth: usize,
        out: &mut Vec<(ObjId, ObjType)>,
    ) {
        if out.len() >= 256 {
            return;
        }
        out.push((obj.clone(), kind));
        if depth == 8 {
            return;
        }
        let children: Vec<(Value<'_>, ObjId)> = match kind {
            ObjType::Map | ObjType::Table => doc
                .keys(&obj)
                .filter_map(|key| doc.get(&obj, key).ok().flatten())
                .collect(),
            ObjType::List => (0..doc.length(&obj))
                .filter_map(|i| doc.get(&obj, i).ok().flatten())
                .collect(),
            ObjType::Text => Vec::new(),
        };
        for (value, child) in children {
            if let Value::Object(kind) = value {
                walk(doc, child, kind, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(doc, ROOT, ObjType::Map, 0, &mut out);
    out
}

fn pick(doc: &AutoCommit, obj: u16) -> (ObjId, ObjType) {
    let all = objects(doc);
    all[usize::from(obj) % all.len()].clone()
}

/// An index in `0..=len` of the list or text `obj`.
fn position(doc: &AutoCommit, obj: &ObjId, index: u16) -> usize {
    usize::from(index) % (doc.length(obj) + 1)
}

fn pick_enum<T: Copy>(all: &[T], i: u8) -> T {
    all[usize::from(i) % all.len()]
}

/// Does `step` on `device`. Errors are ignored: a step that does not apply does nothing.
fn perform(device: &mut AutoCommit, step: &Step) {
    let ticket = || TicketDoc::hydrate_from(&*device).ok();
    match step {
        Step::Comment {
            author,
            at,
            text,
            id,
        } => {
            let c = comment(&author.get(), *at, &text.get(), u128::from(*id));
            let _ = schema::append_comment(device, &c);
        }
        Step::Event {
            kind,
            author,
            role,
            at,
            id,
            data,
        } => {
            let visits = ticket().map(|t| t.visits).unwrap_or_default();
            let data = EventData {
                priority: data.priority.map(|i| pick_enum(Priority::ALL, i)),
                mode: data.mode.map(|i| pick_enum(Mode::ALL, i)),
                assignee: data.assignee.as_ref().map(|who| Person {
                    id: who.get(),
                    name: "Alguien".into(),
                }),
                resolution_due: data.resolution_due,
                visit: data.visit.map(|i| {
                    visits
                        .get(usize::from(i))
                        .map(|v| v.id)
                        .unwrap_or_else(|| campo_shared::ids::VisitId::from_uuid(uuid(99)))
                }),
                next_visit_at: data.next_visit_at,
                duplicate_of: data.duplicate_of.as_ref().map(Text::get),
                reason: data.reason.as_ref().map(Text::get),
            };
            let e = event(
                pick_enum(EventKind::ALL, *kind),
                *at,
                &author.get(),
                pick_enum(Role::ALL, *role),
                u128::from(*id),
            )
            .with_data(data);
            let _ = schema::append_event(device, &e);
        }
        Step::StartVisit {
            technician,
            at,
            present,
            id,
        } => {
            let v = visit(&technician.get(), *at, *present, u128::from(*id));
            let _ = schema::append_visit(device, &v);
        }
        Step::EditVisit(edit) => {
            let Some(t) = ticket() else { return };
            if t.visits.is_empty() {
                return;
            }
            let mut v = t.visits[usize::from(edit.index) % t.visits.len()].clone();
            if let Some(note) = &edit.note {
                v.note = note.get();
            }
            if let Some(ended_at) = edit.ended_at {
                v.ended_at = ended_at;
            }
            if let Some((sha256, at, position)) = &edit.add_photo {
                v.evidence.push(Photo {
                    sha256: sha256.get(),
                    captured_at: *at,
                    position: position.map(|(lat, lon, accuracy_m)| Position {
                        lat,
                        lon,
                        accuracy_m,
                    }),
                });
            }
            if edit.drop_photo {
                v.evidence.pop();
            }
            if let Some(outcome) = edit.outcome {
                v.outcome = Some(pick_enum(Outcome::ALL, outcome));
            }
            if let Some(notice_left) = edit.notice_left {
                v.notice_left = notice_left;
            }
            if let Some(diagnosis) = &edit.diagnosis {
                v.diagnosis = diagnosis.get();
            }
            if let Some(technician) = &edit.technician {
                v.technician = technician.get();
            }
            let _ = schema::update_visit(device, &v);
        }
        Step::Report {
            author,
            at,
            summary,
            results,
        } => {
            let report = ClosingReport {
                author: author.get(),
                at: *at,
                summary: summary.get(),
                results: results.get(),
            };
            let _ = schema::set_report(device, &report);
        }
        Step::Survey {
            by,
            at,
            own_app,
            answers,
            comment,
        } => {
            let survey = Survey {
                answered_at: *at,
                by: by.get(),
                channel: if *own_app {
                    SurveyChannel::OwnApp
                } else {
                    SurveyChannel::TechnicianPhone
                },
                answers: SurveyAnswers {
                    timeliness: answers[0],
                    treatment: answers[1],
                    solution: answers[2],
                    comment: comment.get(),
                },
            };
            let _ = schema::set_survey(device, &survey);
        }
        Step::Request { field, text } => {
            let Some(t) = ticket() else { return };
            let mut request = t.request;
            let text = text.get();
            match field % 6 {
                0 => request.description = text,
                1 => request.requester.id = text,
                2 => request.location = text,
                3 => request.photos.push(text),
                4 => request.equipment.push(text),
                _ => request.external_ref = Some(text),
            }
            let _ = autosurgeon::reconcile_prop(device, ROOT, "request", &request);
        }
        Step::Put { obj, key, value } => {
            let (obj, kind) = pick(device, *obj);
            if kind == ObjType::Map {
                let _ = device.put(&obj, key.get(), value.get());
            } else if device.length(&obj) > 0 {
                let at = position(device, &obj, 0) % device.length(&obj);
                let _ = device.put(&obj, at, value.get());
            }
        }
        Step::PutObject { obj, key, kind: k } => {
            let (obj, kind) = pick(device, *obj);
            if kind == ObjType::Map {
                let _ = device.put_object(&obj, key.get(), k.get());
            } else if kind == ObjType::List && device.length(&obj) > 0 {
                let _ = device.put_object(&obj, 0, k.get());
            }
        }
        Step::Insert { obj, index, value } => {
            let (obj, kind) = pick(device, *obj);
            if kind == ObjType::List {
                let at = position(device, &obj, *index);
                let _ = device.insert(&obj, at, value.get());
            }
        }
        Step::InsertObject {
            obj,
            index,
            kind: k,
        } => {
            let (obj, kind) = pick(device, *obj);
            if kind == ObjType::List {
                let at = position(device, &obj, *index);
                let _ = device.insert_object(&obj, at, k.get());
            }
        }
        Step::Delete { obj, key, index } => {
            let (obj, kind) = pick(device, *obj);
            if kind == ObjType::Map {
                let _ = device.delete(&obj, key.get());
            } else if device.length(&obj) > 0 {
                let at = usize::from(*index) % device.length(&obj);
                let _ = device.delete(&obj, at);
            }
        }
        Step::Splice {
            obj,
            pos,
            del,
            text,
        } => {
            let (obj, kind) = pick(device, *obj);
            if kind == ObjType::Text {
                let len = device.length(&obj);
                let at = position(device, &obj, *pos);
                let del = isize::from(*del).clamp(-(at as isize), (len - at) as isize);
                let _ = device.splice_text(&obj, at, del, &text.get());
            }
        }
        Step::Increment { obj, key, by } => {
            let (obj, kind) = pick(device, *obj);
            if kind == ObjType::Map {
                let _ = device.increment(&obj, key.get(), *by);
            }
        }
        Step::Commit | Step::Fork => {}
    }
}

/// Makes the changes of `delivery` on devices that start from `server`; returns the sync
/// message that delivers them.
fn make_changes(server: &Automerge, first: Option<&TicketDoc>, steps: &[Step]) -> Vec<u8> {
    let base = server.save();
    let device = |n: usize| {
        let doc = if server.get_heads().is_empty() {
            AutoCommit::new()
        } else {
            AutoCommit::load(&base).expect("the stored document loads")
        };
        doc.with_actor(device_actor(n))
    };
    let mut devices = vec![device(0)];
    if let Some(ticket) = first {
        ticket
            .reconcile_into(&mut devices[0])
            .expect("a ticket reconciles");
        devices[0].commit();
    }
    for step in steps.iter().take(MAX_STEPS) {
        match step {
            Step::Commit => {
                devices.last_mut().expect("one device").commit();
            }
            Step::Fork if devices.len() < 4 => {
                let n = devices.len();
                let fork = if first.is_some() {
                    // A fork of the registering device: the ticket is there already.
                    devices[0].fork().with_actor(device_actor(n))
                } else {
                    device(n)
                };
                devices.push(fork);
            }
            Step::Fork => {}
            step => perform(devices.last_mut().expect("one device"), step),
        }
    }
    let (first_device, others) = devices.split_first_mut().expect("one device");
    for other in others {
        let _ = first_device.merge(other);
    }
    let heads = first_device.get_heads();
    let changes = first_device
        .get_changes(&server.get_heads())
        .iter()
        .map(|change| change.raw_bytes().to_vec())
        .collect();
    sync_data(heads, changes)
}

/// The stored document and ticket of starting point `start`.
fn start(start: u8) -> (Automerge, Option<HydratedTicket>) {
    let starts = starts();
    match usize::from(start) % (starts.len() + 1) {
        0 => (Automerge::new(), None),
        n => {
            let start = &starts[n - 1];
            (start.doc.clone(), Some(start.ticket.clone()))
        }
    }
}

fn writer(i: u8) -> Writer<'static> {
    let (user_id, role) = USERS[usize::from(i) % USERS.len()];
    Writer { user_id, role }
}

fuzz_target!(|input: Input<'_>| {
    let input = match input {
        Input::Edits(edits) => edits,
        Input::Delivered {
            start: at,
            writer: who,
            data,
        } => {
            let (server, before) = start(at);
            if let Verdict::Accepted(doc, after) =
                receive(&server, before.as_ref(), writer(who), data)
            {
                check_accepted(&server, &doc, &after);
            }
            return;
        }
    };
    let (mut server, mut before) = start(input.start);
    for delivery in input.deliveries.iter().take(MAX_DELIVERIES) {
        let writer = writer(delivery.writer);
        let Writer { user_id, role } = writer;
        // A registration: while the server has no ticket, the device writes the whole of it first.
        let first = before.is_none().then(|| {
            let mut request = request();
            if input.own_request {
                request.requester.id = user_id.into();
            }
            let (author, author_role) = if input.registered {
                (user_id, role)
            } else {
                (COORD, Role::Coordinador)
            };
            TicketDoc::new(
                request,
                event(EventKind::Registered, 1, author, author_role, 1),
            )
        });
        let data = make_changes(&server, first.as_ref(), &delivery.steps);
        match receive(&server, before.as_ref(), writer, &data) {
            Verdict::Accepted(doc, after) => {
                check_accepted(&server, &doc, &after);
                server = *doc;
                before = Some(*after);
            }
            Verdict::Refused | Verdict::Nothing | Verdict::Violation(_) => {}
        }
    }
});
