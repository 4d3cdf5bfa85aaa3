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

use crate::event_kind::EventKind;
use crate::limits::{self, OverLimit};
use crate::role::{Role, may};
use crate::schema::incremental::{HydratedTicket, RootList, Touched};
use crate::schema::{
    SurveyChannel, TicketDoc, Visit, is_sha256_hex, shape, validate_request, validate_survey,
};
use crate::workflow::fold;

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
    if let Err(path) = shape::check_keys(doc, touched, Some(after)) {
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
            sizes::check_request(&new.request)?;
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

/// Up to this many new items, [`unique`] compares ids instead of counting them in a map.
const SCAN_ADDED: usize = 8;

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
    let (was, is) = (before.items(list), after.items(list));
    let matched = match match_in_order(was, is) {
        Some(matched) => matched,
        None => {
            // Not every item found in order: match by object, whatever the order.
            let old: HashMap<&ObjId, usize> = was
                .iter()
                .enumerate()
                .filter_map(|(i, obj)| Some((obj.as_ref()?, i)))
                .collect();
            is.iter()
                .map(|obj| obj.as_ref().and_then(|obj| old.get(obj).copied()))
                .collect()
        }
    };
    for (j, i) in matched.into_iter().enumerate() {
        match (i, &is[j]) {
            (Some(i), Some(obj)) => {
                let edited = touched.object(obj) || old_items[i] != new_items[j];
                result.kept.push((i, j, edited));
            }
            _ => result.added.push(j),
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

/// For each item after the change, the index of the same item (the same Automerge object)
/// before it, found by walking both lists in order: an Automerge list never moves an item, so
/// the items that were there keep their order, with new ones among them. `None` when some item
/// before is not found that way (one was removed, or was not a map); the caller then matches by
/// object in any order, which gives the same answer whenever this one gives any (an object is
/// one item of one list), and the removal is refused. Walking costs no hashing of every item's
/// object, which was most of what checking a change to a long list cost.
fn match_in_order(was: &[Option<ObjId>], is: &[Option<ObjId>]) -> Option<Vec<Option<usize>>> {
    let mut next = 0;
    let matched = is
        .iter()
        .map(|obj| {
            let same = obj.is_some() && was.get(next) == Some(obj);
            same.then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    (next == was.len()).then_some(matched)
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
    let repeated = if added.len() <= SCAN_ADDED {
        // A change usually adds one item: comparing its id with each item's costs less than
        // hashing every item's id.
        added.iter().any(|&j| {
            let new = id(&items[j]);
            items.iter().filter(|item| id(item) == new).nth(1).is_some()
        })
    } else {
        let mut count: HashMap<K, usize> = HashMap::with_capacity(items.len());
        for item in items {
            *count.entry(id(item)).or_default() += 1;
        }
        added.iter().any(|&j| count[&id(&items[j])] > 1)
    };
    if repeated {
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
        sizes::check_event(j, event)?;
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
        sizes::check_visit(j, is)?;
        check_signature(Some(was), is, coordinator)?;
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
        sizes::check_visit(j, visit)?;
        check_signature(None, visit, coordinator)?;
    }
    Ok(())
}

/// The official's signature on a visit: drawn (at least one stroke, a photo's hash, a signer's
/// name), never beside «no estaba en el puesto», and, once given, kept as it was.
fn check_signature(was: Option<&Visit>, is: &Visit, coordinator: bool) -> Result<(), Violation> {
    const RULE: &str = "firma del funcionario";
    if let Some(signature) = &is.signature {
        if signature.strokes == 0 {
            return Err(violation(RULE, "una firma sin trazos no es una firma."));
        }
        if !is_sha256_hex(&signature.sha256) {
            return Err(violation(
                RULE,
                "la firma debe citar la imagen de sus trazos.",
            ));
        }
        if signature.signer.trim().is_empty() {
            return Err(violation(RULE, "escriba el nombre de quien firma."));
        }
        if is.signer_absent {
            return Err(violation(
                RULE,
                "una visita no puede tener firma y a la vez funcionario ausente.",
            ));
        }
    }
    let given = was.and_then(|w| w.signature.as_ref());
    if given.is_some() && given != is.signature.as_ref() && !coordinator {
        return Err(violation(RULE, "una firma registrada no cambia."));
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
        sizes::check_comment(j, comment)?;
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
    sizes::check_report(report)?;
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
    // Where it was answered is the device's: the official's own app, or a field worker's phone
    // at the desk (a coordinator may transcribe either).
    let channel = match writer.role {
        Role::Funcionario => Some(SurveyChannel::OwnApp),
        Role::Tecnico | Role::Contratista => Some(SurveyChannel::TechnicianPhone),
        Role::Coordinador => None,
    };
    if channel.is_some_and(|channel| channel != survey.channel) {
        return Err(violation(
            "la encuesta dice dónde se respondió",
            "el canal de la encuesta no corresponde al dispositivo: «technician_phone» en el \
             teléfono del técnico o contratista, «own_app» en la aplicación del funcionario.",
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
    sizes::check_survey(survey)?;
    Ok(())
}

mod sizes;
#[cfg(test)]
mod tests;
