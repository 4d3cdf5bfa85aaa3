//! Write rules: what each role may change in a ticket document.
//!
//! The server checks every change a device sends against these rules before it stores it. The
//! rules judge what the change *does* to the document, by Automerge objects, never by the ids a
//! client wrote into the data: an event, visit or comment is the same item before and after only
//! if it is the same Automerge object, so an item inserted with the `id` of another is a new item
//! (and refused, since ids are unique), and a list rewritten with identical content is a new list
//! (and refused, since it would drop what other devices appended to the old one meanwhile). The
//! rules:
//!
//! - Only the fields of the schema exist ([`crate::schema::shape`]); texts and lists keep to the
//!   limits of [`crate::limits`].
//! - The request is written once, by whoever registers it (an official only in its own name);
//!   after that only a coordinator changes it. The schema version never changes.
//! - `events`, `visits` and `comments` only grow: a new item is appended with a fresh, unique
//!   `id`; no item is removed, and no list is replaced. An event or comment, once written, never
//!   changes. New ones carry their author: the user of the connection that delivered them.
//! - A new event must be one the author's role may perform ([`crate::role::PERMISSIONS`]);
//!   priority, assignment and deadlines in an event's data are the coordinator's alone.
//! - Visits are the field roles': a técnico or contratista adds its own visits and edits only its
//!   own (a photo can be taken off while the visit is open); an official touches none.
//! - The closing report is the field roles' and the coordinator's, signed by its writer.
//! - The survey is the requester's, answered once, after the case was resolved: by the requester,
//!   on a field worker's phone, or by a coordinator.
//!
//! Whether an action is valid from the ticket's current state is the workflow fold's concern: an
//! offline event that arrives too late is kept and flagged, never refused here.

use std::collections::HashMap;

use automerge::ObjId;
use autosurgeon::ReadDoc;

use crate::limits::{self, OverLimit};
use crate::role::{Role, may};
use crate::schema::incremental::{HydratedTicket, RootList, Touched};
use crate::schema::{TicketDoc, shape, validate_request, validate_survey};
use crate::workflow::{EventKind, fold};

/// A change that breaks a rule; the message names the rule, in Spanish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Violation(pub String);

fn violation(rule: &str, detail: impl AsRef<str>) -> Violation {
    Violation(format!("Regla «{rule}»: {}", detail.as_ref()))
}

impl From<OverLimit> for Violation {
    fn from(over: OverLimit) -> Self {
        violation(
            "límites del caso",
            format!("{} ({})", over.message, over.field),
        )
    }
}

/// Who delivers a change: the connection's user.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    pub user_id: &'a str,
    pub role: Role,
}

/// Checks the changes a writer delivered. `doc` is the document with them applied, `after` the
/// ticket read from it, `touched` what their patches touched; `before` is the ticket as stored,
/// `None` for a document the server has never seen (a ticket registered on a device).
pub fn check_change<D: ReadDoc>(
    writer: Writer<'_>,
    doc: &D,
    before: Option<&HydratedTicket>,
    after: &HydratedTicket,
    touched: &Touched,
) -> Result<(), Violation> {
    let everything = Touched::everything();
    let touched = if before.is_some() {
        touched
    } else {
        &everything
    };
    if let Err(path) = shape::check_keys(doc, touched) {
        return Err(violation(
            "solo los campos del caso",
            format!("«{path}» no es un campo de un caso."),
        ));
    }
    let new = &after.ticket;
    let old = match before {
        Some(before) => &before.ticket,
        None => {
            check_registration(writer, new)?;
            limits::check_request(&new.request)?;
            &empty_like(new)
        }
    };
    let coordinator = writer.role == Role::Coordinador;
    if before.is_some() && (touched.key("schema") || old.schema != new.schema) {
        return Err(violation(
            "versión del esquema",
            "la versión del documento no cambia.",
        ));
    }
    if before.is_some() && (touched.key("request") || old.request != new.request) {
        if !coordinator {
            return Err(violation(
                "la solicitud registrada no cambia",
                "solo un coordinador puede modificar la solicitud.",
            ));
        }
        check_request(new)?;
    }

    let events = diff(
        RootList::Events,
        before,
        &old.events,
        after,
        &new.events,
        touched,
    )?;
    check_events(writer, new, &events)?;
    let visits = diff(
        RootList::Visits,
        before,
        &old.visits,
        after,
        &new.visits,
        touched,
    )?;
    check_visits(writer, old, new, &visits)?;
    let comments = diff(
        RootList::Comments,
        before,
        &old.comments,
        after,
        &new.comments,
        touched,
    )?;
    check_comments(writer, new, &comments)?;

    let known = before.is_some();
    if (known && touched.key("report")) || old.report != new.report {
        check_report(writer, old, new)?;
    }
    if (known && touched.key("survey")) || old.survey != new.survey {
        check_survey(writer, old, new)?;
    }
    Ok(())
}

/// A ticket with the request of `doc` and nothing else: what a registration is compared with.
fn empty_like(doc: &TicketDoc) -> TicketDoc {
    TicketDoc {
        schema: doc.schema,
        request: doc.request.clone(),
        events: Vec::new(),
        visits: Vec::new(),
        report: None,
        survey: None,
        comments: Vec::new(),
    }
}

/// A ticket registered on a device: a valid request and its `registrada` event by the writer.
fn check_registration(writer: Writer<'_>, doc: &TicketDoc) -> Result<(), Violation> {
    check_request(doc)?;
    if writer.role == Role::Funcionario && doc.request.requester.id != writer.user_id {
        return Err(violation(
            "solicitud propia",
            "un funcionario solo registra solicitudes a su nombre.",
        ));
    }
    let registered = doc
        .events
        .iter()
        .any(|e| e.kind == EventKind::Registered && e.author == writer.user_id);
    if !registered {
        return Err(violation(
            "registro del caso",
            "un caso nuevo debe traer su evento «registrada» de quien lo registra.",
        ));
    }
    Ok(())
}

fn check_request(doc: &TicketDoc) -> Result<(), Violation> {
    if let Err(errors) = validate_request(&doc.request) {
        let first = errors
            .first()
            .map(|e| format!("{}: {}", e.field, e.message))
            .unwrap_or_default();
        return Err(violation("solicitud válida", first));
    }
    Ok(())
}

/// What a change did to one of the root lists, item by item.
#[derive(Debug, Default)]
struct ListDiff {
    /// Items that were there before: (index before, index after, whether the change touched it).
    kept: Vec<(usize, usize, bool)>,
    /// Indexes (after) of the items the change added.
    added: Vec<usize>,
}

/// Matches the items of a root list before and after the change by their Automerge objects.
/// Refuses a replaced list and a removed item.
fn diff<T: PartialEq>(
    list: RootList,
    before: Option<&HydratedTicket>,
    old_items: &[T],
    after: &HydratedTicket,
    new_items: &[T],
    touched: &Touched,
) -> Result<ListDiff, Violation> {
    let (name, rule) = match list {
        RootList::Events => ("eventos", "los eventos no se borran ni se modifican"),
        RootList::Visits => ("visitas", "las visitas no se borran"),
        RootList::Comments => (
            "comentarios",
            "los comentarios no se borran ni se modifican",
        ),
    };
    let mut result = ListDiff::default();
    let Some(before) = before else {
        result.added = (0..new_items.len()).collect();
        return Ok(result);
    };
    if before.list(list).is_some() && before.list(list) != after.list(list) {
        return Err(violation(
            "las listas solo crecen",
            format!("se reemplazó la lista de {name}; agregue elementos nuevos a la existente."),
        ));
    }
    let old: HashMap<&ObjId, usize> = before
        .items(list)
        .iter()
        .enumerate()
        .filter_map(|(i, obj)| Some((obj.as_ref()?, i)))
        .collect();
    for (j, obj) in after.items(list).iter().enumerate() {
        match obj.as_ref().and_then(|obj| Some((obj, *old.get(obj)?))) {
            Some((obj, i)) => {
                let edited = touched.object(obj) || old_items[i] != new_items[j];
                result.kept.push((i, j, edited));
            }
            None => result.added.push(j),
        }
    }
    if result.kept.len() != old_items.len() {
        return Err(violation(
            rule,
            format!("se quitó un elemento de la lista de {name}."),
        ));
    }
    Ok(result)
}

/// Refuses a new item whose `id` another item of the list already has.
fn unique<T, K: Eq + std::hash::Hash>(
    items: &[T],
    added: &[usize],
    id: impl Fn(&T) -> K,
    what: &str,
) -> Result<(), Violation> {
    if added.is_empty() {
        return Ok(());
    }
    let mut count: HashMap<K, usize> = HashMap::with_capacity(items.len());
    for item in items {
        *count.entry(id(item)).or_default() += 1;
    }
    if added.iter().any(|&j| count[&id(&items[j])] > 1) {
        return Err(violation(
            "identificadores únicos",
            format!("{what} nuevo repite el identificador de otro."),
        ));
    }
    Ok(())
}

fn check_events(writer: Writer<'_>, new: &TicketDoc, diff: &ListDiff) -> Result<(), Violation> {
    if let Some(&(_, j, _)) = diff.kept.iter().find(|(_, _, edited)| *edited) {
        return Err(violation(
            "los eventos no se borran ni se modifican",
            format!("el evento «{}» fue alterado.", new.events[j].kind.label()),
        ));
    }
    if diff.added.is_empty() {
        return Ok(());
    }
    limits::EVENTS.check("events", new.events.len())?;
    unique(&new.events, &diff.added, |e| e.id, "un evento")?;
    for &j in &diff.added {
        let event = &new.events[j];
        limits::check_event(j, event)?;
        if event.author != writer.user_id || event.author_role != writer.role {
            return Err(violation(
                "cada evento lleva a su autor",
                format!(
                    "el evento «{}» debe estar firmado por el usuario de la conexión.",
                    event.kind.label()
                ),
            ));
        }
        if !may(writer.role, event.kind) {
            return Err(violation(
                "permisos por rol",
                format!(
                    "un {} no puede registrar «{}».",
                    writer.role.label().to_lowercase(),
                    event.kind.label()
                ),
            ));
        }
        let data = &event.data;
        if writer.role != Role::Coordinador
            && (data.priority.is_some() || data.assignee.is_some() || data.resolution_due.is_some())
        {
            return Err(violation(
                "prioridad, asignación y plazos son del coordinador",
                "el evento trae prioridad, responsable o plazo.",
            ));
        }
    }
    Ok(())
}

fn check_visits(
    writer: Writer<'_>,
    old: &TicketDoc,
    new: &TicketDoc,
    diff: &ListDiff,
) -> Result<(), Violation> {
    let coordinator = writer.role == Role::Coordinador;
    for &(i, j, edited) in &diff.kept {
        if !edited {
            continue;
        }
        let (was, is) = (&old.visits[i], &new.visits[j]);
        let own = writer.role.is_field()
            && was.technician == writer.user_id
            && is.technician == writer.user_id;
        if !(own || coordinator) {
            return Err(violation(
                "cada técnico edita sus visitas",
                "solo quien hizo la visita (o un coordinador) puede modificarla.",
            ));
        }
        if was.id != is.id || was.technician != is.technician {
            return Err(violation(
                "cada técnico edita sus visitas",
                "el identificador y el técnico de una visita no cambian.",
            ));
        }
        let photo_removed = was
            .evidence
            .iter()
            .any(|photo| !is.evidence.iter().any(|p| p.sha256 == photo.sha256));
        if photo_removed && was.ended_at.is_some() && !coordinator {
            return Err(violation(
                "las fotos de una visita terminada se conservan",
                "solo se puede quitar una foto mientras la visita está abierta.",
            ));
        }
        limits::check_visit(j, is)?;
    }
    if diff.added.is_empty() {
        return Ok(());
    }
    limits::VISITS.check("visits", new.visits.len())?;
    unique(&new.visits, &diff.added, |v| v.id, "una visita")?;
    for &j in &diff.added {
        let visit = &new.visits[j];
        let allowed = match writer.role {
            Role::Tecnico | Role::Contratista => visit.technician == writer.user_id,
            Role::Coordinador => true,
            Role::Funcionario => false,
        };
        if !allowed {
            return Err(violation(
                "las visitas son del técnico",
                "solo el técnico o contratista que visita registra su visita.",
            ));
        }
        limits::check_visit(j, visit)?;
    }
    Ok(())
}

fn check_comments(writer: Writer<'_>, new: &TicketDoc, diff: &ListDiff) -> Result<(), Violation> {
    if diff.kept.iter().any(|(_, _, edited)| *edited) {
        return Err(violation(
            "los comentarios no se borran ni se modifican",
            "se alteró un comentario.",
        ));
    }
    if diff.added.is_empty() {
        return Ok(());
    }
    limits::COMMENTS.check("comments", new.comments.len())?;
    unique(&new.comments, &diff.added, |c| c.id, "un comentario")?;
    for &j in &diff.added {
        let comment = &new.comments[j];
        if comment.author != writer.user_id {
            return Err(violation(
                "cada comentario lleva a su autor",
                "el comentario debe estar firmado por el usuario de la conexión.",
            ));
        }
        limits::check_comment(j, comment)?;
    }
    Ok(())
}

fn check_report(writer: Writer<'_>, old: &TicketDoc, new: &TicketDoc) -> Result<(), Violation> {
    let coordinator = writer.role == Role::Coordinador;
    if !(coordinator || writer.role.is_field()) {
        return Err(violation(
            "el informe de cierre es del técnico",
            format!(
                "un {} no puede escribir el informe de cierre.",
                writer.role.label().to_lowercase()
            ),
        ));
    }
    let Some(report) = &new.report else {
        if old.report.is_some() && !coordinator {
            return Err(violation(
                "el informe de cierre es del técnico",
                "no se puede borrar el informe de cierre.",
            ));
        }
        return Ok(());
    };
    if report.author != writer.user_id {
        return Err(violation(
            "el informe lleva a su autor",
            "el informe de cierre debe estar firmado por el usuario de la conexión.",
        ));
    }
    limits::check_report(report)?;
    Ok(())
}

fn check_survey(writer: Writer<'_>, old: &TicketDoc, new: &TicketDoc) -> Result<(), Violation> {
    if old.survey.is_some() && writer.role != Role::Coordinador {
        return Err(violation(
            "la encuesta respondida no cambia",
            "la encuesta ya fue respondida.",
        ));
    }
    let Some(survey) = &new.survey else {
        if old.survey.is_none() {
            return Ok(());
        }
        return Err(violation(
            "la encuesta respondida no cambia",
            "no se puede borrar la encuesta.",
        ));
    };
    let requester = &new.request.requester.id;
    if writer.role == Role::Funcionario && *requester != writer.user_id {
        return Err(violation(
            "la encuesta es del solicitante",
            "solo quien pidió la asistencia responde la encuesta.",
        ));
    }
    if survey.by != *requester {
        return Err(violation(
            "la encuesta es del solicitante",
            "la encuesta debe llevar como autor a quien pidió la asistencia.",
        ));
    }
    if fold(&new.events).resolved_at.is_none() {
        return Err(violation(
            "encuesta después de la solución",
            "la encuesta se responde cuando el caso está resuelto.",
        ));
    }
    if let Err(errors) = validate_survey(survey) {
        let first = errors
            .first()
            .map(|e| format!("{}: {}", e.field, e.message))
            .unwrap_or_default();
        return Err(violation("encuesta válida", first));
    }
    limits::check_survey(survey)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CommentId, EventId};
    use crate::schema::{
        Channel, ClosingReport, Comment, Event, EventData, Person, Photo, Request, Survey,
        SurveyAnswers, SurveyChannel, Visit, append_comment, append_event, append_visit,
        set_report, set_survey, update_visit,
    };
    use crate::sla::Priority;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, AutoCommit, Automerge, ObjType, PatchLog, ROOT};

    const OFFICIAL: &str = "u-official";
    const TECH: &str = "u-tech";
    const COORD: &str = "u-coord";

    fn request() -> Request {
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

    fn ticket() -> TicketDoc {
        let first = Event::new(EventKind::Registered, 1, OFFICIAL, Role::Funcionario);
        TicketDoc::new(request(), first)
    }

    fn writer(user_id: &str, role: Role) -> Writer<'_> {
        Writer { user_id, role }
    }

    /// The server's stored copy of `ticket`.
    fn stored(ticket: &TicketDoc) -> Automerge {
        let mut doc = AutoCommit::new();
        ticket.reconcile_into(&mut doc).unwrap();
        Automerge::load(&doc.save()).unwrap()
    }

    /// A device's copy of the server's document.
    fn device(server: &Automerge) -> AutoCommit {
        AutoCommit::load(&server.save())
            .unwrap()
            .with_actor(ActorId::random())
    }

    /// Delivers what `edit` does on a device to the server, as the sync server does: applies the
    /// changes, reads the ticket again from what their patches touched, and checks the rules. On
    /// success the server keeps the changes.
    fn deliver(
        server: &mut Automerge,
        who: Writer<'_>,
        edit: impl FnOnce(&mut AutoCommit),
    ) -> Result<(), Violation> {
        let before = HydratedTicket::read(&*server).unwrap();
        let mut phone = device(server);
        edit(&mut phone);
        let changes = phone.get_changes(&server.get_heads());
        let mut doc = server.clone();
        let mut log = PatchLog::active();
        doc.apply_changes_log_patches(changes.clone(), &mut log)
            .unwrap();
        let mut touched = Touched::from_patches(&doc.make_patches(&mut log));
        touched.add_changes(&doc, &changes);
        let after = before
            .reread(&doc, &touched)
            .map_err(|e| Violation(e.to_string()))?;
        check_change(who, &doc, Some(&before), &after, &touched)?;
        *server = doc;
        Ok(())
    }

    /// Registers `ticket` as a device would, delivered by `who`.
    fn register(who: Writer<'_>, ticket: &TicketDoc) -> Result<(), Violation> {
        let doc = stored(ticket);
        let after = HydratedTicket::read(&doc).unwrap();
        check_change(who, &doc, None, &after, &Touched::everything())
    }

    fn object(doc: &AutoCommit, obj: &ObjId, prop: impl Into<automerge::Prop>) -> ObjId {
        doc.get(obj, prop).unwrap().expect("present").1
    }

    fn comment(author: &str, text: &str) -> Comment {
        Comment {
            id: CommentId::new(),
            author: author.into(),
            at: 2,
            text: text.into(),
        }
    }

    /// Inserts `event` as a new map at `index` of the events list, written field by field as a
    /// client that bypasses the PWA would.
    fn insert_event(doc: &mut AutoCommit, index: usize, event: &Event) {
        let events = object(doc, &ROOT, "events");
        autosurgeon::reconcile_insert(doc, events, index, event).unwrap();
    }

    fn assigned_ticket() -> Automerge {
        let mut ticket = ticket();
        ticket.events.push(
            Event::new(EventKind::Assigned, 2, COORD, Role::Coordinador).with_data(EventData {
                assignee: Some(Person {
                    id: TECH.into(),
                    name: "Técnico".into(),
                }),
                ..EventData::default()
            }),
        );
        stored(&ticket)
    }

    #[test]
    fn registration_needs_a_valid_request_in_the_officials_own_name() {
        let doc = ticket();
        assert_eq!(register(writer(OFFICIAL, Role::Funcionario), &doc), Ok(()));
        let err = register(writer("u-other", Role::Funcionario), &doc).unwrap_err();
        assert!(err.0.contains("solicitud propia"), "{err}");
        let mut bad = doc.clone();
        bad.request.description.clear();
        let err = register(writer(OFFICIAL, Role::Funcionario), &bad).unwrap_err();
        assert!(err.0.contains("solicitud válida"), "{err}");
        // A technician registers a walk-up request for an official: its own registrada event.
        let mut walk_up = doc.clone();
        walk_up.events = vec![Event::new(EventKind::Registered, 1, TECH, Role::Tecnico)];
        assert!(register(writer(TECH, Role::Tecnico), &walk_up).is_ok());
        let err = register(writer(TECH, Role::Tecnico), &doc).unwrap_err();
        assert!(err.0.contains("registro del caso"), "{err}");
    }

    #[test]
    fn an_official_comments_but_does_not_triage_or_visit() {
        let mut server = stored(&ticket());
        let official = writer(OFFICIAL, Role::Funcionario);
        deliver(&mut server, official, |d| {
            append_comment(d, &comment(OFFICIAL, "Es urgente")).unwrap()
        })
        .unwrap();

        let err = deliver(&mut server, official, |d| {
            let triage = Event::new(EventKind::Prioritized, 2, OFFICIAL, Role::Funcionario)
                .with_data(EventData {
                    priority: Some(Priority::Alta),
                    ..EventData::default()
                });
            append_event(d, &triage).unwrap()
        })
        .unwrap_err();
        assert!(err.0.contains("permisos por rol"), "{err}");

        let err = deliver(&mut server, official, |d| {
            append_visit(d, &Visit::start(OFFICIAL, 2, true)).unwrap()
        })
        .unwrap_err();
        assert!(err.0.contains("las visitas son del técnico"), "{err}");
    }

    #[test]
    fn a_technician_visits_but_cannot_set_deadlines_or_rewrite_history() {
        let mut server = assigned_ticket();
        let tech = writer(TECH, Role::Tecnico);
        let visit = Visit::start(TECH, 3, false);
        deliver(&mut server, tech, |d| {
            append_visit(d, &visit).unwrap();
            let absent =
                Event::new(EventKind::UserAbsent, 3, TECH, Role::Tecnico).with_data(EventData {
                    visit: Some(visit.id),
                    next_visit_at: Some(10),
                    ..EventData::default()
                });
            append_event(d, &absent).unwrap();
        })
        .unwrap();

        let err = deliver(&mut server, tech, |d| {
            let deadline =
                Event::new(EventKind::VisitStarted, 3, TECH, Role::Tecnico).with_data(EventData {
                    resolution_due: Some(99),
                    ..EventData::default()
                });
            append_event(d, &deadline).unwrap()
        })
        .unwrap_err();
        assert!(err.0.contains("plazos"), "{err}");

        let err = deliver(&mut server, tech, |d| {
            let events = object(d, &ROOT, "events");
            d.delete(&events, 0).unwrap();
        })
        .unwrap_err();
        assert!(err.0.contains("no se borran"), "{err}");

        let err = deliver(&mut server, tech, |d| {
            let forged = Event::new(EventKind::VisitStarted, 3, "u-else", Role::Tecnico);
            append_event(d, &forged).unwrap()
        })
        .unwrap_err();
        assert!(err.0.contains("lleva a su autor"), "{err}");

        // Another technician may not edit this one's visit; the visit's own technician may.
        let mut edited = visit.clone();
        edited.note = "cambiado".into();
        let err = deliver(&mut server, writer("u-tech2", Role::Tecnico), |d| {
            update_visit(d, &edited).unwrap()
        })
        .unwrap_err();
        assert!(err.0.contains("sus visitas"), "{err}");
        deliver(&mut server, tech, |d| update_visit(d, &edited).unwrap()).unwrap();
    }

    #[test]
    fn only_coordinators_change_the_request() {
        let mut server = stored(&ticket());
        let edit = |d: &mut AutoCommit| {
            let request = object(d, &ROOT, "request");
            d.put(&request, "category", "Red").unwrap();
        };
        let err = deliver(&mut server, writer(TECH, Role::Tecnico), edit).unwrap_err();
        assert!(err.0.contains("la solicitud registrada no cambia"), "{err}");
        deliver(&mut server, writer(COORD, Role::Coordinador), edit).unwrap();
    }

    /// The forgery of the issue: a new element inserted before an existing event, carrying that
    /// event's id, must not pass as the existing event "unchanged".
    #[test]
    fn an_item_carrying_the_id_of_another_is_refused_for_every_role() {
        for (user, role) in [
            (OFFICIAL, Role::Funcionario),
            (TECH, Role::Tecnico),
            ("u-contractor", Role::Contratista),
            (COORD, Role::Coordinador),
        ] {
            let mut server = assigned_ticket();
            let before = HydratedTicket::read(&server).unwrap().ticket;
            let mut forged = Event::new(EventKind::Cancelled, 5, user, role).with_data(EventData {
                reason: Some("forjado".into()),
                ..EventData::default()
            });
            forged.id = before.events[0].id;
            let err = deliver(&mut server, writer(user, role), |d| {
                insert_event(d, 0, &forged)
            })
            .unwrap_err();
            assert!(err.0.contains("identificadores únicos"), "{role:?}: {err}");

            // The same with a comment and a visit.
            let mut server = stored(&{
                let mut t = ticket();
                t.comments.push(comment(OFFICIAL, "Original"));
                t.visits.push(Visit::start(TECH, 3, true));
                t
            });
            let stored_ticket = HydratedTicket::read(&server).unwrap().ticket;
            let mut copy = comment(user, "Forjado");
            copy.id = stored_ticket.comments[0].id;
            let err = deliver(&mut server, writer(user, role), |d| {
                let comments = object(d, &ROOT, "comments");
                autosurgeon::reconcile_insert(d, comments, 0, &copy).unwrap();
            })
            .unwrap_err();
            assert!(err.0.contains("identificadores únicos"), "{role:?}: {err}");
            let mut visit = Visit::start(user, 4, true);
            visit.id = stored_ticket.visits[0].id;
            let err = deliver(&mut server, writer(user, role), |d| {
                let visits = object(d, &ROOT, "visits");
                autosurgeon::reconcile_insert(d, visits, 0, &visit).unwrap();
            })
            .unwrap_err();
            assert!(
                err.0.contains("identificadores únicos") || err.0.contains("visitas son del"),
                "{role:?}: {err}"
            );
        }
    }

    #[test]
    fn an_event_edited_in_place_is_refused_even_by_a_coordinator() {
        let mut server = assigned_ticket();
        let err = deliver(&mut server, writer(COORD, Role::Coordinador), |d| {
            let events = object(d, &ROOT, "events");
            let first = object(d, &events, 0);
            d.put(&first, "kind", "anulada").unwrap();
        })
        .unwrap_err();
        assert!(err.0.contains("no se borran ni se modifican"), "{err}");
        // Replacing an element by a copy makes a new object: the old one is gone.
        let first = HydratedTicket::read(&server).unwrap().ticket.events[0].clone();
        let err = deliver(&mut server, writer(COORD, Role::Coordinador), |d| {
            let events = object(d, &ROOT, "events");
            d.delete(&events, 0).unwrap();
            insert_event(d, 0, &first);
        })
        .unwrap_err();
        assert!(err.0.contains("no se borran"), "{err}");
    }

    /// Rewriting a list with identical content would drop what other devices appended to the old
    /// list meanwhile: refused.
    #[test]
    fn a_list_replaced_with_the_same_content_is_refused() {
        let mut server = stored(&{
            let mut t = ticket();
            t.comments.push(comment(OFFICIAL, "Primero"));
            t
        });
        let same = HydratedTicket::read(&server).unwrap().ticket.comments;
        let err = deliver(&mut server, writer(OFFICIAL, Role::Funcionario), |d| {
            let comments = d.put_object(&ROOT, "comments", ObjType::List).unwrap();
            for (i, c) in same.iter().enumerate() {
                autosurgeon::reconcile_insert(d, comments.clone(), i, c).unwrap();
            }
        })
        .unwrap_err();
        assert!(err.0.contains("las listas solo crecen"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused_at_any_depth() {
        let mut server = stored(&ticket());
        let err = deliver(&mut server, writer(OFFICIAL, Role::Funcionario), |d| {
            let mut c = comment(OFFICIAL, "Hola");
            c.id = CommentId::new();
            append_comment(d, &c).unwrap();
            let comments = object(d, &ROOT, "comments");
            let last = object(d, &comments, 0);
            d.put(&last, "approved", true).unwrap();
        })
        .unwrap_err();
        assert!(
            err.0.contains("«comments[0].approved» no es un campo"),
            "{err}"
        );
        let err = deliver(&mut server, writer(COORD, Role::Coordinador), |d| {
            d.put(&ROOT, "owner", COORD).unwrap();
        })
        .unwrap_err();
        assert!(err.0.contains("«owner»"), "{err}");
    }

    #[test]
    fn a_long_comment_is_refused_naming_the_limit() {
        let mut server = stored(&ticket());
        let err = deliver(&mut server, writer(OFFICIAL, Role::Funcionario), |d| {
            append_comment(d, &comment(OFFICIAL, &"a".repeat(1_000_000))).unwrap()
        })
        .unwrap_err();
        assert!(
            err.0
                .contains("El comentario admite máximo 4000 caracteres; tiene 1000000."),
            "{err}"
        );
    }

    #[test]
    fn the_report_is_signed_by_its_writer() {
        let mut server = assigned_ticket();
        let report = |author: &str| ClosingReport {
            author: author.into(),
            at: 9,
            summary: "Cambio de tóner".into(),
            results: "Imprime".into(),
        };
        let err = deliver(&mut server, writer(TECH, Role::Tecnico), |d| {
            set_report(d, &report("u-other")).unwrap()
        })
        .unwrap_err();
        assert!(err.0.contains("el informe lleva a su autor"), "{err}");
        deliver(&mut server, writer(TECH, Role::Tecnico), |d| {
            set_report(d, &report(TECH)).unwrap()
        })
        .unwrap();
    }

    #[test]
    fn the_survey_comes_after_the_resolution() {
        let mut server = assigned_ticket();
        let survey = Survey {
            answered_at: 20,
            by: OFFICIAL.into(),
            channel: SurveyChannel::OwnApp,
            answers: SurveyAnswers {
                timeliness: 5,
                treatment: 5,
                solution: 4,
                comment: String::new(),
            },
        };
        let official = writer(OFFICIAL, Role::Funcionario);
        let answer = |d: &mut AutoCommit| {
            set_survey(d, &survey).unwrap();
            append_event(
                d,
                &Event::new(EventKind::SurveyAnswered, 20, OFFICIAL, Role::Funcionario),
            )
            .unwrap();
        };
        let err = deliver(&mut server, official, answer).unwrap_err();
        assert!(err.0.contains("encuesta después de la solución"), "{err}");
        deliver(&mut server, writer(TECH, Role::Tecnico), |d| {
            append_event(d, &Event::new(EventKind::Resolved, 10, TECH, Role::Tecnico)).unwrap()
        })
        .unwrap();
        deliver(&mut server, official, answer).unwrap();
    }

    #[test]
    fn a_photo_leaves_a_visit_only_while_it_is_open() {
        let mut visit = Visit::start(TECH, 3, true);
        for i in 0..2 {
            visit.evidence.push(Photo {
                sha256: format!("{i}").repeat(64),
                captured_at: 3,
                position: None,
            });
        }
        let mut server = stored(&{
            let mut t = ticket();
            t.visits.push(visit.clone());
            t
        });
        let tech = writer(TECH, Role::Tecnico);
        let mut fewer = visit.clone();
        fewer.evidence.pop();
        deliver(&mut server, tech, |d| update_visit(d, &fewer).unwrap()).unwrap();
        let mut closed = fewer.clone();
        closed.ended_at = Some(8);
        deliver(&mut server, tech, |d| update_visit(d, &closed).unwrap()).unwrap();
        let mut emptied = closed.clone();
        emptied.evidence.clear();
        let err = deliver(&mut server, tech, |d| update_visit(d, &emptied).unwrap()).unwrap_err();
        assert!(err.0.contains("fotos de una visita terminada"), "{err}");
    }

    #[test]
    fn a_new_item_needs_a_fresh_id_even_among_new_ones() {
        let mut server = stored(&ticket());
        let first = comment(OFFICIAL, "Uno");
        let mut second = comment(OFFICIAL, "Dos");
        second.id = first.id;
        let err = deliver(&mut server, writer(OFFICIAL, Role::Funcionario), |d| {
            append_comment(d, &first).unwrap();
            append_comment(d, &second).unwrap();
        })
        .unwrap_err();
        assert!(err.0.contains("identificadores únicos"), "{err}");
        let _ = EventId::new();
    }

    /// What a generated change does, and whether the rules must let it through.
    #[derive(Debug, Clone)]
    enum Attempt {
        /// A comment of the writer's own.
        Comment,
        /// An event the writer's role may write, signed by the writer.
        PermittedEvent(usize),
        /// The note of the técnico's visit.
        VisitNote,
        /// A new event or comment carrying the id of an existing one, at an index.
        DuplicateId { comment: bool, index: usize },
        /// A root list rewritten with its own content.
        ReplaceList(usize),
        /// A key the schema does not name, at the root or nested in a new comment or event.
        UnknownField(usize),
        /// A field of an existing event or comment written again.
        EditSealed { comment: bool, index: usize },
        /// A new event or comment signed by someone else.
        ForgedAuthor { comment: bool },
        /// An item removed from a root list.
        Delete(usize),
        /// A comment over its length limit.
        LongComment,
    }

    const USERS: [(&str, Role); 4] = [
        (OFFICIAL, Role::Funcionario),
        (TECH, Role::Tecnico),
        ("u-contractor", Role::Contratista),
        (COORD, Role::Coordinador),
    ];

    fn attempt() -> impl proptest::strategy::Strategy<Value = Attempt> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Attempt::Comment),
            (0..16usize).prop_map(Attempt::PermittedEvent),
            Just(Attempt::VisitNote),
            (any::<bool>(), 0..4usize)
                .prop_map(|(comment, index)| Attempt::DuplicateId { comment, index }),
            (0..3usize).prop_map(Attempt::ReplaceList),
            (0..3usize).prop_map(Attempt::UnknownField),
            (any::<bool>(), 0..4usize)
                .prop_map(|(comment, index)| Attempt::EditSealed { comment, index }),
            any::<bool>().prop_map(|comment| Attempt::ForgedAuthor { comment }),
            (0..3usize).prop_map(Attempt::Delete),
            Just(Attempt::LongComment),
        ]
    }

    /// Does `attempt` as `(user, role)` on a device copy; returns whether the rules must accept
    /// it. `seq` makes texts and times distinct.
    fn perform(
        d: &mut AutoCommit,
        now: &TicketDoc,
        (user, role): (&str, Role),
        attempt: &Attempt,
        seq: i64,
    ) -> bool {
        let at = 100 + seq;
        let list_key = |i: usize| ["events", "visits", "comments"][i % 3];
        match attempt {
            Attempt::Comment => {
                append_comment(d, &comment(user, &format!("Nota {seq}"))).unwrap();
                true
            }
            Attempt::PermittedEvent(i) => {
                let kinds: Vec<EventKind> = crate::role::PERMISSIONS
                    .iter()
                    .filter(|(_, roles)| roles.contains(&role))
                    .map(|(kind, _)| *kind)
                    .collect();
                let kind = kinds[i % kinds.len()];
                append_event(d, &Event::new(kind, at, user, role)).unwrap();
                true
            }
            Attempt::VisitNote => {
                let mut visit = now.visits[0].clone();
                visit.note = format!("Nota de visita {seq}");
                update_visit(d, &visit).unwrap();
                role == Role::Coordinador || user == TECH
            }
            Attempt::DuplicateId {
                comment: true,
                index,
            } => {
                let mut copy = comment(user, "Copia");
                copy.id = now.comments[index % now.comments.len()].id;
                let comments = object(d, &ROOT, "comments");
                autosurgeon::reconcile_insert(d, comments, index % 2, &copy).unwrap();
                false
            }
            Attempt::DuplicateId {
                comment: false,
                index,
            } => {
                let mut copy = Event::new(EventKind::Registered, at, user, role);
                copy.id = now.events[index % now.events.len()].id;
                insert_event(d, index % 2, &copy);
                false
            }
            Attempt::ReplaceList(i) => {
                let key = list_key(*i);
                let list = d.put_object(&ROOT, key, ObjType::List).unwrap();
                match key {
                    "events" => {
                        for (j, e) in now.events.iter().enumerate() {
                            autosurgeon::reconcile_insert(d, list.clone(), j, e).unwrap();
                        }
                    }
                    "visits" => {
                        for (j, v) in now.visits.iter().enumerate() {
                            autosurgeon::reconcile_insert(d, list.clone(), j, v).unwrap();
                        }
                    }
                    _ => {
                        for (j, c) in now.comments.iter().enumerate() {
                            autosurgeon::reconcile_insert(d, list.clone(), j, c).unwrap();
                        }
                    }
                }
                false
            }
            Attempt::UnknownField(0) => {
                d.put(&ROOT, "aprobado", true).unwrap();
                false
            }
            Attempt::UnknownField(1) => {
                append_comment(d, &comment(user, "Con extra")).unwrap();
                let comments = object(d, &ROOT, "comments");
                let last = object(d, &comments, d.length(&comments) - 1);
                d.put(&last, "extra", 1).unwrap();
                false
            }
            Attempt::UnknownField(_) => {
                append_event(d, &Event::new(EventKind::Registered, at, user, role)).unwrap();
                let events = object(d, &ROOT, "events");
                let last = object(d, &events, d.length(&events) - 1);
                let data = object(d, &last, "data");
                d.put(&data, "aprobado_por", user).unwrap();
                false
            }
            Attempt::EditSealed { comment, index } => {
                let key = if *comment { "comments" } else { "events" };
                let list = object(d, &ROOT, key);
                let item = object(d, &list, index % d.length(&list));
                let field = if *comment { "text" } else { "kind" };
                let value = if *comment { "Cambiado" } else { "anulada" };
                d.put(&item, field, value).unwrap();
                false
            }
            Attempt::ForgedAuthor { comment: true } => {
                let other = if user == OFFICIAL { TECH } else { OFFICIAL };
                append_comment(d, &comment(other, "Firmado por otro")).unwrap();
                false
            }
            Attempt::ForgedAuthor { comment: false } => {
                let other = if user == COORD { TECH } else { COORD };
                let event = Event::new(EventKind::Registered, at, other, role);
                append_event(d, &event).unwrap();
                false
            }
            Attempt::Delete(i) => {
                let list = object(d, &ROOT, list_key(*i));
                d.delete(&list, 0).unwrap();
                false
            }
            Attempt::LongComment => {
                let long = "x".repeat(crate::limits::COMMENT.max + 1);
                append_comment(d, &comment(user, &long)).unwrap();
                false
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Random changes by every role, honest and forged: the rules accept exactly the
        /// allowed ones, so the server's document always equals the document built from the
        /// allowed changes alone.
        #[test]
        fn the_stored_ticket_holds_only_allowed_changes(
            steps in proptest::collection::vec((0..4usize, attempt()), 1..24)
        ) {
            let mut start = ticket();
            start.events.push(
                Event::new(EventKind::Assigned, 2, COORD, Role::Coordinador).with_data(EventData {
                    assignee: Some(Person { id: TECH.into(), name: "Técnico".into() }),
                    ..EventData::default()
                }),
            );
            start.visits.push(Visit::start(TECH, 3, true));
            start.comments.push(comment(OFFICIAL, "Primer comentario"));
            let mut server = stored(&start);
            let mut model = stored(&start);
            for (seq, (who, attempt)) in steps.iter().enumerate() {
                let (user, role) = USERS[*who];
                let now = HydratedTicket::read(&server).unwrap().ticket;
                let mut allowed = false;
                let verdict = deliver(&mut server, writer(user, role), |d| {
                    allowed = perform(d, &now, (user, role), attempt, seq as i64);
                });
                proptest::prop_assert_eq!(
                    verdict.is_ok(),
                    allowed,
                    "{:?} by {:?}: {:?}",
                    attempt,
                    role,
                    verdict
                );
                if allowed {
                    let mut device = device(&model);
                    let model_now = HydratedTicket::read(&model).unwrap().ticket;
                    perform(&mut device, &model_now, (user, role), attempt, seq as i64);
                    model.apply_changes(device.get_changes(&model.get_heads())).unwrap();
                }
            }
            let stored_ticket = HydratedTicket::read(&server).unwrap().ticket;
            let model_ticket = HydratedTicket::read(&model).unwrap().ticket;
            proptest::prop_assert_eq!(stored_ticket.events.len(), model_ticket.events.len());
            proptest::prop_assert_eq!(&stored_ticket.visits, &model_ticket.visits);
            let texts = |t: &TicketDoc| t.comments.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(texts(&stored_ticket), texts(&model_ticket));
            let kinds = |t: &TicketDoc| t.events.iter().map(|e| (e.kind, e.author.clone())).collect::<Vec<_>>();
            proptest::prop_assert_eq!(kinds(&stored_ticket), kinds(&model_ticket));
        }
    }
}
