//! What each notified workflow event says, and to whom: pure functions from the ticket's
//! projection row and the event to a Spanish e-mail.

use campo_shared::calendar::bogota;
use campo_shared::event_kind::EventKind;
use campo_shared::schema::{Channel, Event, TicketDoc};
use campo_shared::sla::Priority;
use chrono::{DateTime, Datelike, Timelike};

use crate::store::{TicketRow, UserRow};

/// A notification ready to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub subject: String,
    pub body: String,
}

/// Whether an event of this kind notifies someone (see [`recipient`]).
pub fn notifies(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Registered
            | EventKind::Prioritized
            | EventKind::UserAbsent
            | EventKind::Closed
            | EventKind::Assigned
    )
}

/// The user a workflow event concerns, if the event is one Campo notifies: the requester for
/// its registration, triage, an absent visit and the closure; the new responsible for an
/// assignment (only contractors are mailed, see [`draft`]).
pub fn recipient(doc: &TicketDoc, event: &Event) -> Option<String> {
    match event.kind {
        // A request by e-mail is acknowledged by the intake itself, to the address it came from,
        // with the number in the subject for replies (`crate::intake`): one answer, not two.
        EventKind::Registered if doc.request.channel == Channel::Email => None,
        EventKind::Registered
        | EventKind::Prioritized
        | EventKind::UserAbsent
        | EventKind::Closed => Some(doc.request.requester.id.clone()),
        EventKind::Assigned => event.data.assignee.as_ref().map(|person| person.id.clone()),
        _ => None,
    }
}

/// The e-mail for `event` to `to`, or `None` when this event is not notified to that user (an
/// assignment to an internal technician, who sees it in the agenda).
pub fn draft(
    ticket: &TicketRow,
    event: &Event,
    to: &UserRow,
    public_url: Option<&str>,
) -> Option<Draft> {
    let number = &ticket.number;
    let link = public_url.map(|url| format!("{}/casos/{}", url.trim_end_matches('/'), ticket.id));
    let attention = match ticket.resolution_due {
        Some(due) => format!("Tiempo máximo de atención: {}.", date_time(due)),
        None => "Le informaremos el tiempo máximo de atención cuando revisemos el caso.".into(),
    };
    let (subject, lines) = match event.kind {
        EventKind::Registered => (
            format!("Solicitud {number} recibida"),
            vec![
                format!("Recibimos su solicitud de asistencia técnica {number}."),
                String::new(),
                format!("Categoría: {}", ticket.category),
                format!("Descripción: {}", ticket.summary),
                format!("Ubicación: {}", ticket.location),
                String::new(),
                attention,
            ],
        ),
        EventKind::Prioritized => (
            format!("Solicitud {number}: tiempo máximo de atención"),
            vec![
                format!(
                    "Revisamos su solicitud {number} y le asignamos prioridad {}.",
                    priority(ticket)
                ),
                attention,
            ],
        ),
        EventKind::Assigned if to.role == "contratista" => (
            format!("Caso {number} asignado"),
            vec![
                format!("Se le asignó el caso {number}."),
                String::new(),
                format!("Prioridad: {}", priority(ticket)),
                format!("Categoría: {}", ticket.category),
                format!("Descripción: {}", ticket.summary),
                format!("Solicitante: {}", ticket.requester_name),
                format!(
                    "Dependencia: {}",
                    ticket.dependencia.as_deref().unwrap_or("sin dependencia")
                ),
                format!("Ubicación: {}", ticket.location),
                attention,
            ],
        ),
        EventKind::UserAbsent => {
            let back = match event.data.next_visit_at.or(ticket.next_visit_at) {
                Some(at) => format!("Volveremos el {}.", date_time(at)),
                None => "Nos comunicaremos con usted para acordar una nueva visita.".into(),
            };
            (
                format!("Caso {number}: visitamos su puesto y no lo encontramos"),
                vec![
                    format!("Un técnico visitó su puesto por el caso {number} y no lo encontró."),
                    back,
                ],
            )
        }
        EventKind::Closed => {
            let survey = match &link {
                Some(link) => {
                    format!("Cuéntenos cómo lo atendimos en la encuesta: {link}/encuesta")
                }
                None => format!(
                    "Cuéntenos cómo lo atendimos en la encuesta del caso {number} en Campo."
                ),
            };
            let mut lines = vec![format!("Cerramos su caso {number}.")];
            if let Some(summary) = ticket
                .report_summary
                .as_deref()
                .or(ticket.resolution.as_deref())
            {
                lines.push(format!("Resultado: {summary}"));
            }
            lines.push(String::new());
            lines.push(survey);
            (
                format!("Caso {number} cerrado: encuesta de satisfacción"),
                lines,
            )
        }
        _ => return None,
    };
    let mut body = format!("Hola, {}:\n\n", to.full_name);
    for line in lines {
        body.push_str(&line);
        body.push('\n');
    }
    if let Some(link) = link.filter(|_| event.kind != EventKind::Closed) {
        body.push_str(&format!("\nConsulte el caso en {link}\n"));
    }
    body.push_str("\nSecretaría TIC — Campo\n");
    Some(Draft { subject, body })
}

fn priority(ticket: &TicketRow) -> &'static str {
    ticket
        .priority
        .as_deref()
        .and_then(|p| p.parse::<Priority>().ok())
        .map_or("sin definir", Priority::label)
}

const WEEKDAYS: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];
const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// A moment (ms since the epoch) as people in Colombia read it: "lunes 30 de noviembre de
/// 2026, 3:05 p. m." (America/Bogota).
pub fn date_time(ms: i64) -> String {
    let Some(utc) = DateTime::from_timestamp_millis(ms) else {
        return String::from("fecha no válida");
    };
    let local = utc.with_timezone(&bogota());
    let (pm, hour) = local.hour12();
    format!(
        "{} {} de {} de {}, {}:{:02} {}",
        WEEKDAYS[local.weekday().num_days_from_monday() as usize],
        local.day(),
        MONTHS[local.month0() as usize],
        local.year(),
        hour,
        local.minute(),
        if pm { "p. m." } else { "a. m." }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_spanish_in_bogota() {
        // 2026-11-30T20:05:00Z is 3:05 p. m. in Bogotá.
        assert_eq!(
            date_time(1_796_069_100_000),
            "lunes 30 de noviembre de 2026, 3:05 p. m."
        );
        // Midnight UTC is still the previous evening in Bogotá.
        assert_eq!(
            date_time(1_796_083_200_000),
            "lunes 30 de noviembre de 2026, 7:00 p. m."
        );
    }
}
