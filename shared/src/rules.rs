//! Write rules: what each role may change in a ticket document.
//!
//! The server checks every change a device sends against these rules before it stores it: it
//! compares the ticket as it was with the ticket as the change leaves it. The PWA offers only what
//! they allow, so a person meets a refusal only with a client that bypasses it. The rules:
//!
//! - The request is written once, by whoever registers it (an official only in its own name); after
//!   that only a coordinator changes it.
//! - Events, visits and comments are never removed; an event or comment, once written, never
//!   changes. New ones carry their author: the user of the connection that delivered them.
//! - A new event must be one the author's role may perform ([`crate::role::PERMISSIONS`]); priority,
//!   assignment and deadlines in an event's data are the coordinator's alone.
//! - Visits are the field roles': a técnico or contratista adds its own visits and edits only its
//!   own; an official touches none.
//! - The closing report is the field roles' and the coordinator's.
//! - The survey is answered once: by the requester, on a field worker's phone, or by a coordinator.
//!
//! Whether an action is valid from the ticket's current state is the workflow fold's concern: an
//! offline event that arrives too late is kept and flagged, never refused here.

use std::collections::HashMap;

use crate::role::{Role, may};
use crate::schema::{TicketDoc, validate_request, validate_survey};
use crate::workflow::EventKind;

/// A change that breaks a rule; the message names the rule, in Spanish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Violation(pub String);

fn violation(rule: &str, detail: impl AsRef<str>) -> Violation {
    Violation(format!("Regla «{rule}»: {}", detail.as_ref()))
}

/// Who delivers a change: the connection's user.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    pub user_id: &'a str,
    pub role: Role,
}

/// Checks that `after` may follow `before` when `writer` delivers the change. `before` is `None`
/// for a document the server has never seen: a ticket registered on a device.
pub fn check_change(
    writer: Writer<'_>,
    before: Option<&TicketDoc>,
    after: &TicketDoc,
) -> Result<(), Violation> {
    let empty;
    let before = match before {
        Some(before) => before,
        None => {
            check_registration(writer, after)?;
            empty = TicketDoc {
                events: Vec::new(),
                visits: Vec::new(),
                report: None,
                survey: None,
                comments: Vec::new(),
                ..after.clone()
            };
            &empty
        }
    };
    let coordinator = writer.role == Role::Coordinador;
    if before.request != after.request && !coordinator {
        return Err(violation(
            "la solicitud registrada no cambia",
            "solo un coordinador puede modificar la solicitud.",
        ));
    }
    check_events(writer, before, after)?;
    check_visits(writer, before, after)?;
    if before.report != after.report && !(coordinator || writer.role.is_field()) {
        return Err(violation(
            "el informe de cierre es del técnico",
            format!(
                "un {} no puede escribir el informe de cierre.",
                writer.role.label().to_lowercase()
            ),
        ));
    }
    check_survey(writer, before, after)?;
    check_comments(writer, before, after)
}

/// A ticket registered on a device: a valid request and its `registrada` event by the writer.
fn check_registration(writer: Writer<'_>, doc: &TicketDoc) -> Result<(), Violation> {
    if let Err(errors) = validate_request(&doc.request) {
        let first = errors
            .first()
            .map(|e| format!("{}: {}", e.field, e.message))
            .unwrap_or_default();
        return Err(violation("solicitud válida", first));
    }
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

fn check_events(
    writer: Writer<'_>,
    before: &TicketDoc,
    after: &TicketDoc,
) -> Result<(), Violation> {
    let now: HashMap<_, _> = after.events.iter().map(|e| (e.id, e)).collect();
    for old in &before.events {
        if now.get(&old.id) != Some(&old) {
            return Err(violation(
                "los eventos no se borran ni se modifican",
                format!("el evento «{}» fue alterado.", old.kind.label()),
            ));
        }
    }
    let known: HashMap<_, _> = before.events.iter().map(|e| (e.id, e)).collect();
    for event in after.events.iter().filter(|e| !known.contains_key(&e.id)) {
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
    before: &TicketDoc,
    after: &TicketDoc,
) -> Result<(), Violation> {
    let now: HashMap<_, _> = after.visits.iter().map(|v| (v.id, v)).collect();
    for old in &before.visits {
        let Some(new) = now.get(&old.id) else {
            return Err(violation(
                "las visitas no se borran",
                "se quitó una visita del caso.",
            ));
        };
        if *new == old {
            continue;
        }
        let own = writer.role.is_field()
            && old.technician == writer.user_id
            && new.technician == writer.user_id;
        if !(own || writer.role == Role::Coordinador) {
            return Err(violation(
                "cada técnico edita sus visitas",
                "solo quien hizo la visita (o un coordinador) puede modificarla.",
            ));
        }
    }
    let known: HashMap<_, _> = before.visits.iter().map(|v| (v.id, v)).collect();
    for visit in after.visits.iter().filter(|v| !known.contains_key(&v.id)) {
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
    }
    Ok(())
}

fn check_survey(
    writer: Writer<'_>,
    before: &TicketDoc,
    after: &TicketDoc,
) -> Result<(), Violation> {
    if before.survey == after.survey {
        return Ok(());
    }
    if before.survey.is_some() && writer.role != Role::Coordinador {
        return Err(violation(
            "la encuesta respondida no cambia",
            "la encuesta ya fue respondida.",
        ));
    }
    let Some(survey) = &after.survey else {
        return Err(violation(
            "la encuesta respondida no cambia",
            "no se puede borrar la encuesta.",
        ));
    };
    if writer.role == Role::Funcionario && after.request.requester.id != writer.user_id {
        return Err(violation(
            "la encuesta es del solicitante",
            "solo quien pidió la asistencia responde la encuesta.",
        ));
    }
    if let Err(errors) = validate_survey(survey) {
        let first = errors
            .first()
            .map(|e| format!("{}: {}", e.field, e.message))
            .unwrap_or_default();
        return Err(violation("encuesta válida", first));
    }
    Ok(())
}

fn check_comments(
    writer: Writer<'_>,
    before: &TicketDoc,
    after: &TicketDoc,
) -> Result<(), Violation> {
    let now: HashMap<_, _> = after.comments.iter().map(|c| (c.id, c)).collect();
    for old in &before.comments {
        if now.get(&old.id) != Some(&old) {
            return Err(violation(
                "los comentarios no se borran ni se modifican",
                "se alteró un comentario.",
            ));
        }
    }
    let known: HashMap<_, _> = before.comments.iter().map(|c| (c.id, c)).collect();
    for comment in after.comments.iter().filter(|c| !known.contains_key(&c.id)) {
        if comment.author != writer.user_id {
            return Err(violation(
                "cada comentario lleva a su autor",
                "el comentario debe estar firmado por el usuario de la conexión.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CommentId;
    use crate::schema::{Channel, Comment, Event, EventData, Person, Request, Visit};
    use crate::sla::Priority;

    const OFFICIAL: &str = "u-official";
    const TECH: &str = "u-tech";

    fn ticket() -> TicketDoc {
        let request = Request {
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
        };
        let first = Event::new(EventKind::Registered, 1, OFFICIAL, Role::Funcionario);
        TicketDoc::new(request, first)
    }

    fn writer(user_id: &str, role: Role) -> Writer<'_> {
        Writer { user_id, role }
    }

    #[test]
    fn registration_needs_a_valid_request_in_the_officials_own_name() {
        let doc = ticket();
        assert!(check_change(writer(OFFICIAL, Role::Funcionario), None, &doc).is_ok());
        let err = check_change(writer("u-other", Role::Funcionario), None, &doc).unwrap_err();
        assert!(err.0.contains("solicitud propia"), "{err}");
        let mut bad = doc.clone();
        bad.request.description.clear();
        let err = check_change(writer(OFFICIAL, Role::Funcionario), None, &bad).unwrap_err();
        assert!(err.0.contains("solicitud válida"), "{err}");
        // A technician registers a walk-up request for an official: its own registrada event.
        let mut walk_up = doc.clone();
        walk_up.events = vec![Event::new(EventKind::Registered, 1, TECH, Role::Tecnico)];
        assert!(check_change(writer(TECH, Role::Tecnico), None, &walk_up).is_ok());
        let err = check_change(writer(TECH, Role::Tecnico), None, &doc).unwrap_err();
        assert!(err.0.contains("registro del caso"), "{err}");
    }

    #[test]
    fn an_official_comments_but_does_not_triage_or_visit() {
        let before = ticket();
        let mut after = before.clone();
        after.comments.push(Comment {
            id: CommentId::new(),
            author: OFFICIAL.into(),
            at: 2,
            text: "Es urgente".into(),
        });
        let official = writer(OFFICIAL, Role::Funcionario);
        assert!(check_change(official, Some(&before), &after).is_ok());

        let mut triage = before.clone();
        triage.events.push(
            Event::new(EventKind::Prioritized, 2, OFFICIAL, Role::Funcionario).with_data(
                EventData {
                    priority: Some(Priority::Alta),
                    ..EventData::default()
                },
            ),
        );
        let err = check_change(official, Some(&before), &triage).unwrap_err();
        assert!(err.0.contains("permisos por rol"), "{err}");

        let mut visit = before.clone();
        visit.visits.push(Visit::start(OFFICIAL, 2, true));
        let err = check_change(official, Some(&before), &visit).unwrap_err();
        assert!(err.0.contains("las visitas son del técnico"), "{err}");
    }

    #[test]
    fn a_technician_visits_but_cannot_set_deadlines_or_rewrite_history() {
        let before = ticket();
        let tech = writer(TECH, Role::Tecnico);
        let visit = Visit::start(TECH, 3, false);
        let mut after = before.clone();
        after.visits.push(visit.clone());
        after.events.push(
            Event::new(EventKind::UserAbsent, 3, TECH, Role::Tecnico).with_data(EventData {
                visit: Some(visit.id),
                next_visit_at: Some(10),
                ..EventData::default()
            }),
        );
        assert!(check_change(tech, Some(&before), &after).is_ok());

        let mut deadline = before.clone();
        deadline.events.push(
            Event::new(EventKind::VisitStarted, 3, TECH, Role::Tecnico).with_data(EventData {
                resolution_due: Some(99),
                ..EventData::default()
            }),
        );
        let err = check_change(tech, Some(&before), &deadline).unwrap_err();
        assert!(err.0.contains("plazos"), "{err}");

        let mut erased = after.clone();
        erased.events.remove(0);
        let err = check_change(tech, Some(&after), &erased).unwrap_err();
        assert!(err.0.contains("no se borran"), "{err}");

        let mut forged = before.clone();
        forged.events.push(Event::new(
            EventKind::VisitStarted,
            3,
            "u-else",
            Role::Tecnico,
        ));
        let err = check_change(tech, Some(&before), &forged).unwrap_err();
        assert!(err.0.contains("lleva a su autor"), "{err}");

        // Another technician may not edit this one's visit.
        let mut edited = after.clone();
        edited.visits[0].note = "cambiado".into();
        let other = writer("u-tech2", Role::Tecnico);
        let err = check_change(other, Some(&after), &edited).unwrap_err();
        assert!(err.0.contains("sus visitas"), "{err}");
        assert!(check_change(tech, Some(&after), &edited).is_ok());
    }

    #[test]
    fn only_coordinators_change_the_request() {
        let before = ticket();
        let mut after = before.clone();
        after.request.category = "Red".into();
        let err = check_change(writer(TECH, Role::Tecnico), Some(&before), &after).unwrap_err();
        assert!(err.0.contains("la solicitud registrada no cambia"), "{err}");
        assert!(check_change(writer("u-coord", Role::Coordinador), Some(&before), &after).is_ok());
    }
}
