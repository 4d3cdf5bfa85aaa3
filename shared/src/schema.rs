//! The ticket document, schema version 1: what one Automerge document per ticket holds, as Rust
//! types mapped to Automerge with autosurgeon and to JSON with serde.
//!
//! A ticket is edited offline by several devices (the official's PWA, the technician's phone, the
//! coordinator's board), so the shape is chosen for merging:
//!
//! - The workflow is an append-only list of [`Event`]s; the state is computed from it
//!   ([`crate::workflow::fold`]), never stored. `events`, `visits` and `comments` are keyed by
//!   their `id` (`#[key]`), so that when two devices each append an item offline, reconciling
//!   inserts the new item instead of overwriting the one at the same index, and the merge keeps
//!   both.
//! - To add to a document that already exists, prefer [`append_event`], [`append_visit`],
//!   [`append_comment`], [`update_visit`], [`set_report`] and [`set_survey`] over reconciling a
//!   whole [`TicketDoc`]: they touch only the new or changed item, so they never rewrite fields a
//!   JavaScript peer wrote as collaborative text.
//! - Timestamps are `i64` milliseconds since the Unix epoch, UTC (the device's clock; JavaScript's
//!   `Date.now()`): simple and portable.
//! - Photos are referenced by the SHA-256 (lower-case hex) of their bytes; the bytes travel apart.
//!
//! Reading is lenient where JavaScript and Rust write differently (see [`crate::wire`]): strings
//! may be scalars or Text objects, numbers ints or floats, and optional fields may be absent or
//! null. Writing from Rust always uses scalar strings and signed ints.

pub mod incremental;
pub mod migrate;
pub mod shape;

use automerge::{ObjType, ROOT, Value};
use autosurgeon::{Hydrate, HydrateError, ReadDoc, Reconcile, ReconcileError};
use serde::{Deserialize, Serialize};

use crate::event_kind::EventKind;
use crate::ids::{CommentId, DependenciaCode, EquipmentCode, EventId, VisitId};
use crate::role::Role;
use crate::sla::Priority;
use crate::wire::{self, wire_enum};

/// The schema version this crate reads and writes. Documents of earlier versions are upgraded
/// by [`migrate::upgrade`] before they are read.
pub const SCHEMA_VERSION: u64 = 1;

wire_enum! {
    /// How a request reached the office (recorded at intake, activity 2).
    pub enum Channel: "canal" {
        /// Typed by the official in Campo (the intranet PWA).
        Intranet = "intranet",
        /// Copied from a GLPI ticket.
        Glpi = "glpi",
        /// Received by e-mail.
        Email = "email",
        /// Received by telephone.
        Phone = "phone",
        /// Registered by a technician on the spot.
        Field = "field",
    }
}

impl Channel {
    /// The Spanish name shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            Channel::Intranet => "Intranet",
            Channel::Glpi => "GLPI",
            Channel::Email => "Correo electrónico",
            Channel::Phone => "Teléfono",
            Channel::Field => "En sitio",
        }
    }
}

wire_enum! {
    /// How the coordinator decides to attend a ticket (activity 2).
    pub enum Mode: "modalidad" {
        /// Solved by telephone, without a visit.
        Phone = "phone",
        /// A technician goes to the desk.
        OnSite = "on_site",
        /// The equipment goes to the workshop.
        Workshop = "workshop",
    }
}

impl Mode {
    /// The Spanish name shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            Mode::Phone => "Telefónica",
            Mode::OnSite => "En sitio",
            Mode::Workshop => "En taller",
        }
    }
}

wire_enum! {
    /// How a visit ended.
    pub enum Outcome: "resultado de la visita" {
        /// The problem was solved at the desk.
        Resolved = "resolved",
        /// The equipment went to the workshop.
        Workshop = "workshop",
        /// The equipment went to the external contractor.
        Contractor = "contractor",
        /// More work is needed (another visit, a part).
        Pending = "pending",
    }
}

impl Outcome {
    /// The Spanish name shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            Outcome::Resolved => "Resuelto",
            Outcome::Workshop => "Enviado a taller",
            Outcome::Contractor => "Enviado al contratista",
            Outcome::Pending => "Pendiente",
        }
    }
}

wire_enum! {
    /// Where the official answered the satisfaction survey (activity 10).
    pub enum SurveyChannel: "canal de la encuesta" {
        /// On the technician's phone, at the desk.
        TechnicianPhone = "technician_phone",
        /// Later, in the official's own PWA.
        OwnApp = "own_app",
    }
}

/// Someone named in a document: a user id (text form of [`crate::ids::UserId`]) and the name to
/// show, copied at the time so the document reads well offline.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Person {
    /// The user's id.
    #[autosurgeon(hydrate = "wire::string")]
    pub id: String,
    /// The user's full name.
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub name: String,
}

/// The request for assistance (activity 1), as registered.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Request {
    /// Who needs help.
    pub requester: Person,
    /// The requester's dependencia code (see [`DependenciaCode`]).
    #[autosurgeon(hydrate = "wire::string")]
    pub dependencia: String,
    /// Building, floor, office — where the technician must go.
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub location: String,
    /// Telephone extension, if any.
    #[autosurgeon(hydrate = "wire::opt_string")]
    #[serde(default)]
    pub phone_extension: Option<String>,
    /// How the request arrived.
    pub channel: Channel,
    /// The GLPI ticket number, the e-mail sender or the caller, when the channel has one.
    #[autosurgeon(hydrate = "wire::opt_string")]
    #[serde(default)]
    pub external_ref: Option<String>,
    /// The kind of problem ("Impresora", "Red", …); the list is configuration.
    #[autosurgeon(hydrate = "wire::string")]
    pub category: String,
    /// The problem, in the requester's words.
    #[autosurgeon(hydrate = "wire::string")]
    pub description: String,
    /// Codes of the equipment concerned (see [`EquipmentCode`]).
    #[autosurgeon(hydrate = "wire::strings")]
    #[serde(default)]
    pub equipment: Vec<String>,
    /// SHA-256 (hex) of the photos attached to the request.
    #[autosurgeon(hydrate = "wire::strings")]
    #[serde(default)]
    pub photos: Vec<String>,
}

/// The payload of an [`Event`]. One struct with optional fields rather than one type per kind:
/// it hydrates from whatever subset a client wrote, and it reads simply in TypeScript. Which
/// fields matter per kind:
///
/// - `priorizada`: `priority`, `mode`, optionally `resolution_due` (a deadline the coordinator
///   fixes by hand instead of the policy's).
/// - `asignada`: `assignee` (and `mode` if decided then).
/// - `visita_iniciada`, `usuario_ausente`, `visita_finalizada`, `enviada_taller`,
///   `enviada_contratista`, `equipo_devuelto`, `resuelta`: `visit` (the [`Visit`] concerned);
///   `usuario_ausente` also `next_visit_at`.
/// - `equipo_devuelto`: `custody`, the record of the return (who hands the equipment back, who
///   receives it, where it goes); `reason` when a coordinator records a return that did not
///   happen as usual (equipment written off or replaced by the contractor).
/// - `duplicada`: `duplicate_of` (the original ticket's `automerge:` URL).
/// - `anulada`, `reabierta`, `resuelta_telefono`, `duplicada`: `reason`.
/// - `resuelta_telefono` by a coordinator while the equipment is still in the workshop or with
///   the contractor: `equipment_out_reason`, why the case is resolved before its return (see
///   [`crate::workflow::resolves_with_equipment_out`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct EventData {
    /// Priority set at triage.
    #[autosurgeon(missing = "Default::default")]
    pub priority: Option<Priority>,
    /// Attention mode decided at triage.
    #[autosurgeon(missing = "Default::default")]
    pub mode: Option<Mode>,
    /// The technician or contractor responsible.
    #[autosurgeon(missing = "Default::default")]
    pub assignee: Option<Person>,
    /// A resolution deadline set by hand (ms since the epoch, UTC).
    #[autosurgeon(hydrate = "wire::opt_integer")]
    pub resolution_due: Option<i64>,
    /// The visit this event is about.
    #[autosurgeon(missing = "Default::default")]
    pub visit: Option<VisitId>,
    /// When the technician plans to come back (ms since the epoch, UTC).
    #[autosurgeon(hydrate = "wire::opt_integer")]
    pub next_visit_at: Option<i64>,
    /// The ticket this one duplicates (its `automerge:` URL).
    #[autosurgeon(hydrate = "wire::opt_string")]
    pub duplicate_of: Option<String>,
    /// Why (cancellation, reopening, resolution by phone).
    #[autosurgeon(hydrate = "wire::opt_string")]
    pub reason: Option<String>,
    /// The custody record of a return (`equipo_devuelto`).
    #[autosurgeon(missing = "Default::default")]
    pub custody: Option<Custody>,
    /// Why a coordinator resolves the case while its equipment is still out.
    #[autosurgeon(hydrate = "wire::opt_string")]
    pub equipment_out_reason: Option<String>,
}

/// One step of the workflow, appended by whoever performed it. Never edited nor removed.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Event {
    /// Unique id, made on the device; the merge key.
    #[key]
    pub id: EventId,
    /// Device time, ms since the epoch, UTC.
    #[autosurgeon(hydrate = "wire::integer")]
    pub at: i64,
    /// The author's user id.
    #[autosurgeon(hydrate = "wire::string")]
    pub author: String,
    /// The author's role when it acted (checked by the server against the permission table).
    pub author_role: Role,
    /// What happened.
    pub kind: EventKind,
    /// Details, depending on `kind`.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub data: EventData,
}

impl Event {
    /// A new event with a fresh id and empty data.
    pub fn new(kind: EventKind, at: i64, author: impl Into<String>, author_role: Role) -> Self {
        Self {
            id: EventId::new(),
            at,
            author: author.into(),
            author_role,
            kind,
            data: EventData::default(),
        }
    }

    /// The same event with `data`.
    pub fn with_data(mut self, data: EventData) -> Self {
        self.data = data;
        self
    }
}

/// Where a photo was taken, from the phone's geolocation.
#[derive(Debug, Clone, Copy, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Position {
    /// Latitude, degrees.
    #[autosurgeon(hydrate = "wire::number")]
    pub lat: f64,
    /// Longitude, degrees.
    #[autosurgeon(hydrate = "wire::number")]
    pub lon: f64,
    /// Accuracy radius, metres.
    #[autosurgeon(hydrate = "wire::number")]
    pub accuracy_m: f64,
}

/// A photo taken as evidence during a visit.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Photo {
    /// SHA-256 of the bytes, lower-case hex.
    #[autosurgeon(hydrate = "wire::string")]
    pub sha256: String,
    /// Capture time, ms since the epoch, UTC.
    #[autosurgeon(hydrate = "wire::integer")]
    pub captured_at: i64,
    /// Capture position, when the phone had one.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub position: Option<Position>,
}

/// Who has the equipment: the custody record written when it leaves or comes back to the desk.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Custody {
    /// Codes of the equipment moved.
    #[autosurgeon(hydrate = "wire::strings")]
    pub equipment: Vec<String>,
    /// Who hands it over.
    #[autosurgeon(hydrate = "wire::string")]
    pub from: String,
    /// Who receives it.
    #[autosurgeon(hydrate = "wire::string")]
    pub to: String,
    /// Where it goes (workshop, contractor's premises, the office).
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub place: String,
    /// When, ms since the epoch, UTC.
    #[autosurgeon(hydrate = "wire::integer")]
    pub at: i64,
    /// Condition of the equipment at hand-over (marks, missing parts).
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub condition: String,
}

/// The official's signature on the service record, drawn with a finger on the técnico's phone at
/// the desk. The drawing is a photo blob (PNG), like evidence, never stored in the document.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Signature {
    /// SHA-256 of the PNG of the strokes, lower-case hex.
    #[autosurgeon(hydrate = "wire::string")]
    pub sha256: String,
    /// The signer's name, as the official confirmed it.
    #[autosurgeon(hydrate = "wire::string")]
    pub signer: String,
    /// Time of the last stroke, ms since the epoch, UTC.
    #[autosurgeon(hydrate = "wire::integer")]
    pub signed_at: i64,
    /// How many strokes were drawn; a signature has at least one.
    #[autosurgeon(hydrate = "wire::integer", reconcile = "wire::reconcile_int")]
    pub strokes: u32,
}

/// One visit to the desk (activities 5–8).
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Visit {
    /// Unique id, made on the phone; the merge key.
    #[key]
    pub id: VisitId,
    /// The technician's or contractor's user id.
    #[autosurgeon(hydrate = "wire::string")]
    pub technician: String,
    /// Start, ms since the epoch, UTC.
    #[autosurgeon(hydrate = "wire::integer")]
    pub started_at: i64,
    /// End; `None` while the visit is open.
    #[autosurgeon(hydrate = "wire::opt_integer")]
    #[serde(default)]
    pub ended_at: Option<i64>,
    /// Whether the official was at the desk (the first question of the visit screen).
    #[autosurgeon(hydrate = "wire::flag")]
    #[serde(default)]
    pub user_present: bool,
    /// Photos: the fault, the work, or the empty desk when the user was absent.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub evidence: Vec<Photo>,
    /// Free note (for an absent user: the note left on the desk).
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub note: String,
    /// Whether a written notice was left for an absent user.
    #[autosurgeon(hydrate = "wire::flag")]
    #[serde(default)]
    pub notice_left: bool,
    /// The planned return, for an absent user, ms since the epoch, UTC.
    #[autosurgeon(hydrate = "wire::opt_integer")]
    #[serde(default)]
    pub next_visit_at: Option<i64>,
    /// The fault confirmed.
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub diagnosis: String,
    /// What was done.
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub actions: String,
    /// What was tested, with the user, to show the solution.
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub tests: String,
    /// How it ended; `None` while open.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Custody record, when equipment left the desk or came back.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub custody: Option<Custody>,
    /// Codes of the inventory items worked on, as scanned or picked during the visit.
    #[autosurgeon(hydrate = "wire::strings")]
    #[serde(default)]
    pub equipment: Vec<String>,
    /// The official's signature at the end of the visit.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub signature: Option<Signature>,
    /// The official was not at the desk to sign at the end of the visit (never a blank
    /// signature).
    #[autosurgeon(hydrate = "wire::flag")]
    #[serde(default)]
    pub signer_absent: bool,
}

impl Visit {
    /// A new open visit with a fresh id.
    pub fn start(technician: impl Into<String>, started_at: i64, user_present: bool) -> Self {
        Self {
            id: VisitId::new(),
            technician: technician.into(),
            started_at,
            ended_at: None,
            user_present,
            evidence: Vec::new(),
            note: String::new(),
            notice_left: false,
            next_visit_at: None,
            diagnosis: String::new(),
            actions: String::new(),
            tests: String::new(),
            outcome: None,
            custody: None,
            equipment: Vec::new(),
            signature: None,
            signer_absent: false,
        }
    }
}

/// The technician's closing report (activity 9).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct ClosingReport {
    /// The author's user id.
    #[autosurgeon(hydrate = "wire::string")]
    pub author: String,
    /// When, ms since the epoch, UTC.
    #[autosurgeon(hydrate = "wire::integer")]
    pub at: i64,
    /// What the problem was and what was done.
    #[autosurgeon(hydrate = "wire::string")]
    pub summary: String,
    /// The results, as verified.
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub results: String,
}

/// The official's ratings, each 1 (very bad) to 5 (very good), and a free comment.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct SurveyAnswers {
    /// Was the help timely?
    #[autosurgeon(hydrate = "wire::integer", reconcile = "wire::reconcile_int")]
    pub timeliness: u8,
    /// How was the technician's treatment?
    #[autosurgeon(hydrate = "wire::integer", reconcile = "wire::reconcile_int")]
    pub treatment: u8,
    /// Was the problem solved?
    #[autosurgeon(hydrate = "wire::integer", reconcile = "wire::reconcile_int")]
    pub solution: u8,
    /// Anything else.
    #[autosurgeon(hydrate = "wire::string", missing = "String::new")]
    #[serde(default)]
    pub comment: String,
}

impl SurveyAnswers {
    /// The questions as shown to the official, in the order of the fields.
    pub const QUESTIONS: [(&'static str, &'static str); 3] = [
        ("timeliness", "¿La atención fue oportuna?"),
        ("treatment", "¿Cómo fue el trato recibido?"),
        ("solution", "¿Quedó solucionado su problema?"),
    ];

    /// The answer scale as shown to the official: answer `n` (1–5) is `SCALE[n - 1]`. The phone's
    /// survey (through `pwa/src/domain.json`), the monthly report and its exports and the service
    /// record all say these words.
    pub const SCALE: [&'static str; 5] = ["Muy malo", "Malo", "Regular", "Bueno", "Muy bueno"];

    /// «4 (Bueno)»: a rating with its meaning; the number alone when out of the scale.
    pub fn rating_text(rating: u8) -> String {
        match Self::SCALE.get(usize::from(rating).wrapping_sub(1)) {
            Some(label) => format!("{rating} ({label})"),
            None => rating.to_string(),
        }
    }
}

/// The satisfaction survey (activity 10).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Survey {
    /// When, ms since the epoch, UTC.
    #[autosurgeon(hydrate = "wire::integer")]
    pub answered_at: i64,
    /// The official's user id.
    #[autosurgeon(hydrate = "wire::string")]
    pub by: String,
    /// Where it was answered.
    pub channel: SurveyChannel,
    /// The answers.
    pub answers: SurveyAnswers,
}

/// A free comment on a ticket; not a workflow event.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Comment {
    /// Unique id, made on the device; the merge key.
    #[key]
    pub id: CommentId,
    /// The author's user id.
    #[autosurgeon(hydrate = "wire::string")]
    pub author: String,
    /// When, ms since the epoch, UTC.
    #[autosurgeon(hydrate = "wire::integer")]
    pub at: i64,
    /// The comment.
    #[autosurgeon(hydrate = "wire::string")]
    pub text: String,
}

/// The root of a ticket document.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct TicketDoc {
    /// Schema version; [`SCHEMA_VERSION`] for documents this crate writes.
    #[autosurgeon(hydrate = "wire::integer", reconcile = "wire::reconcile_int")]
    pub schema: u64,
    /// The request.
    pub request: Request,
    /// The workflow events, in insertion order (not time order; see [`crate::workflow::fold`]).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub events: Vec<Event>,
    /// The visits.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub visits: Vec<Visit>,
    /// The closing report, once filed.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub report: Option<ClosingReport>,
    /// The survey, once answered.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub survey: Option<Survey>,
    /// Comments.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub comments: Vec<Comment>,
}

/// Why a ticket document could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The document does not have the expected shape.
    #[error("el documento del caso no tiene la forma esperada: {0}")]
    Hydrate(#[from] HydrateError),
    /// Writing into the document failed.
    #[error("no se pudo escribir en el documento del caso: {0}")]
    Reconcile(#[from] ReconcileError),
    /// A schema version this program does not know (written by a newer version of Campo).
    #[error(
        "el documento usa la versión {0} del esquema y este programa solo conoce hasta la \
         versión {max}; actualice Campo",
        max = SCHEMA_VERSION
    )]
    UnsupportedSchema(u64),
    /// A schema version older than this program's for which it has no migration.
    #[error(
        "el documento usa la versión {0} del esquema, que este programa no sabe actualizar a la \
         versión {current}",
        current = SCHEMA_VERSION
    )]
    NoMigration(u64),
    /// A list the document should have is missing.
    #[error("al documento del caso le falta la lista «{0}»")]
    MissingList(&'static str),
    /// No visit with this id.
    #[error("el caso no tiene una visita con identificador {0}")]
    UnknownVisit(VisitId),
    /// An Automerge-level error.
    #[error("error de Automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

impl TicketDoc {
    /// A new ticket: the request and its first event (normally `registrada`).
    pub fn new(request: Request, first_event: Event) -> Self {
        Self {
            schema: SCHEMA_VERSION,
            request,
            events: vec![first_event],
            visits: Vec::new(),
            report: None,
            survey: None,
            comments: Vec::new(),
        }
    }

    /// Writes the whole ticket into `doc` (creating it when `doc` is empty). Reconciliation
    /// changes only what differs, keyed lists insert new items. Commit or save `doc` afterwards.
    pub fn reconcile_into<D: autosurgeon::Doc>(&self, doc: &mut D) -> Result<(), DocError> {
        autosurgeon::reconcile(doc, self)?;
        Ok(())
    }

    /// The SHA-256 of every photo the ticket cites: the request's, the visits' evidence and the
    /// signatures. Whoever may read the ticket may read these, and only these.
    pub fn photos(&self) -> impl Iterator<Item = &str> {
        let request = self.request.photos.iter().map(String::as_str);
        let visits = self.visits.iter().flat_map(|v| {
            let evidence = v.evidence.iter().map(|p| p.sha256.as_str());
            evidence.chain(v.signature.as_ref().map(|s| s.sha256.as_str()))
        });
        request.chain(visits)
    }

    /// Reads a ticket from `doc`, refusing schema versions other than [`SCHEMA_VERSION`].
    pub fn hydrate_from<D: ReadDoc>(doc: &D) -> Result<Self, DocError> {
        check_schema(doc)?;
        Ok(autosurgeon::hydrate(doc)?)
    }
}

/// Refuses a document whose schema version is missing or not [`SCHEMA_VERSION`].
fn check_schema<D: ReadDoc>(doc: &D) -> Result<(), DocError> {
    let version: Option<u64> = wire::opt_integer(doc, &ROOT, "schema".into())?;
    match version {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(other) => Err(DocError::UnsupportedSchema(other)),
        None => Err(DocError::Hydrate(HydrateError::unexpected(
            "a schema version",
            "nothing".to_string(),
        ))),
    }
}

/// The list object at `ROOT[name]`.
fn root_list<D: ReadDoc>(doc: &D, name: &'static str) -> Result<automerge::ObjId, DocError> {
    match doc.get(&ROOT, name)? {
        Some((Value::Object(ObjType::List), id)) => Ok(id),
        _ => Err(DocError::MissingList(name)),
    }
}

/// Appends `item` at the end of the list `ROOT[name]`, creating nothing else.
fn append<D: autosurgeon::Doc, T: Reconcile>(
    doc: &mut D,
    name: &'static str,
    item: &T,
) -> Result<(), DocError> {
    let list = root_list(doc, name)?;
    let len = doc.length(&list);
    autosurgeon::reconcile_insert(doc, list, len, item)?;
    Ok(())
}

/// Appends a workflow event to an existing ticket document.
pub fn append_event<D: autosurgeon::Doc>(doc: &mut D, event: &Event) -> Result<(), DocError> {
    append(doc, "events", event)
}

/// Appends a visit to an existing ticket document.
pub fn append_visit<D: autosurgeon::Doc>(doc: &mut D, visit: &Visit) -> Result<(), DocError> {
    append(doc, "visits", visit)
}

/// Appends a comment to an existing ticket document.
pub fn append_comment<D: autosurgeon::Doc>(doc: &mut D, comment: &Comment) -> Result<(), DocError> {
    append(doc, "comments", comment)
}

/// Names the requester (and with it the dependencia) of a request received from someone Campo did
/// not recognise, an e-mail or a GLPI ticket: a coordinator's correction, written by the server
/// only (the write rules keep the request as registered for every device).
pub fn set_requester<D: autosurgeon::Doc>(
    doc: &mut D,
    requester: &Person,
    dependencia: &str,
) -> Result<(), DocError> {
    let request = match doc.get(&ROOT, "request")? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => {
            return Err(DocError::Hydrate(HydrateError::unexpected(
                "the request",
                "nothing".to_string(),
            )));
        }
    };
    autosurgeon::reconcile_prop(doc, &request, "requester", requester)?;
    autosurgeon::reconcile_prop(doc, &request, "dependencia", dependencia)?;
    Ok(())
}

/// Replaces the visit with `visit.id` by `visit` (field by field: only changed fields are
/// written, so concurrent edits of other fields survive).
pub fn update_visit<D: autosurgeon::Doc>(doc: &mut D, visit: &Visit) -> Result<(), DocError> {
    let list = root_list(doc, "visits")?;
    for i in 0..doc.length(&list) {
        let id: VisitId = autosurgeon::hydrate_path(
            doc,
            &list,
            [autosurgeon::Prop::Index(i as u32), "id".into()],
        )?
        .ok_or_else(|| HydrateError::unexpected("a visit id", "nothing".to_string()))?;
        if id == visit.id {
            autosurgeon::reconcile_prop(doc, &list, autosurgeon::Prop::Index(i as u32), visit)?;
            return Ok(());
        }
    }
    Err(DocError::UnknownVisit(visit.id))
}

/// Sets the closing report.
pub fn set_report<D: autosurgeon::Doc>(
    doc: &mut D,
    report: &ClosingReport,
) -> Result<(), DocError> {
    autosurgeon::reconcile_prop(doc, ROOT, "report", report)?;
    Ok(())
}

/// Sets the survey.
pub fn set_survey<D: autosurgeon::Doc>(doc: &mut D, survey: &Survey) -> Result<(), DocError> {
    autosurgeon::reconcile_prop(doc, ROOT, "survey", survey)?;
    Ok(())
}

pub use crate::account::FieldError;
use crate::limits::capitalise;

/// Whether `s` is a SHA-256 in lower-case hex.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks a request as an official or a technician typed it. Every problem is reported at once,
/// so the form can mark all the fields.
pub fn validate_request(request: &Request) -> Result<(), Vec<FieldError>> {
    use crate::limits::{DESCRIPTION, EQUIPMENT, EXTENSION_DIGITS, REQUEST_PHOTOS, SHORT_TEXT};
    let mut errors = Vec::new();
    let mut push =
        |field: &'static str, message: String| errors.push(FieldError { field, message });

    let mut required = |field: &'static str, label: &str, value: &str, max: usize| {
        let chars = value.trim().chars().count();
        if chars == 0 {
            push(field, format!("Escriba {label}."));
        } else if chars > max {
            let label = capitalise(label);
            push(
                field,
                format!("{label} admite máximo {max} caracteres; tiene {chars}."),
            );
        }
    };
    required(
        "requester.id",
        "el usuario solicitante",
        &request.requester.id,
        SHORT_TEXT.max,
    );
    required(
        "requester.name",
        "el nombre del solicitante",
        &request.requester.name,
        SHORT_TEXT.max,
    );
    required(
        "location",
        "la ubicación (sede, piso, oficina)",
        &request.location,
        SHORT_TEXT.max,
    );
    required(
        "category",
        "la categoría",
        &request.category,
        SHORT_TEXT.max,
    );
    required(
        "description",
        "la descripción del problema",
        &request.description,
        DESCRIPTION.max,
    );

    if let Err(e) = DependenciaCode::parse(&request.dependencia) {
        push("dependencia", format!("{}.", capitalise(&e.to_string())));
    }
    if let Some(ext) = &request.phone_extension {
        let ext = ext.trim();
        if ext.is_empty()
            || ext.len() > EXTENSION_DIGITS
            || !ext.bytes().all(|b| b.is_ascii_digit())
        {
            push(
                "phone_extension",
                format!("La extensión debe tener de 1 a {EXTENSION_DIGITS} dígitos."),
            );
        }
    }
    if let Some(r) = &request.external_ref
        && r.chars().count() > SHORT_TEXT.max
    {
        push(
            "external_ref",
            format!(
                "La referencia externa admite máximo {} caracteres.",
                SHORT_TEXT.max
            ),
        );
    }
    if request.equipment.len() > EQUIPMENT.max {
        push(
            "equipment",
            format!("Indique máximo {} equipos por solicitud.", EQUIPMENT.max),
        );
    }
    for code in &request.equipment {
        if let Err(e) = EquipmentCode::parse(code) {
            push("equipment", format!("{}.", capitalise(&e.to_string())));
        }
    }
    if request.photos.len() > REQUEST_PHOTOS.max {
        push(
            "photos",
            format!("Adjunte máximo {} fotos por solicitud.", REQUEST_PHOTOS.max),
        );
    }
    if request.photos.iter().any(|p| !is_sha256_hex(p)) {
        push(
            "photos",
            "Alguna foto no tiene una huella SHA-256 válida; vuelva a adjuntarla.".to_string(),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Checks a survey's ratings are 1 to 5.
pub fn validate_survey(survey: &Survey) -> Result<(), Vec<FieldError>> {
    let a = &survey.answers;
    let errors: Vec<FieldError> = [
        ("answers.timeliness", a.timeliness),
        ("answers.treatment", a.treatment),
        ("answers.solution", a.solution),
    ]
    .into_iter()
    .filter(|(_, v)| !(1..=5).contains(v))
    .map(|(field, v)| FieldError {
        field,
        message: format!("Califique de 1 a 5 (se recibió {v})."),
    })
    .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
