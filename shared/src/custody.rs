//! Custody: where a ticket's equipment went and when it came back, read from the document.
//!
//! Sending equipment to the workshop or the contractor is recorded as a visit's custody record
//! and an `enviada_taller` / `enviada_contratista` event naming that visit; its return as an
//! `equipo_devuelto` event carrying its own custody record. [`chain`] lists the moves the
//! workflow accepted (a flagged event moved nothing), each with its record, in fold order: what
//! the projection stores, what the inventory shows of each machine and what the service record
//! prints.

use crate::event_kind::EventKind;
use crate::schema::{Custody, Event, TicketDoc};
use crate::workflow::{self, Folded, State};

/// One move of the equipment the workflow accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move<'a> {
    /// [`EventKind::SentToWorkshop`], [`EventKind::SentToContractor`] or
    /// [`EventKind::EquipmentReturned`].
    pub kind: EventKind,
    /// The workflow event.
    pub event: &'a Event,
    /// Its custody record: the visit's for a send, the event's own for a return; `None` when the
    /// device recorded none.
    pub custody: Option<&'a Custody>,
}

impl Move<'_> {
    /// The kinds of event that move equipment.
    pub const KINDS: [EventKind; 3] = [
        EventKind::SentToWorkshop,
        EventKind::SentToContractor,
        EventKind::EquipmentReturned,
    ];

    /// The inventory status the equipment has after this move.
    pub const fn status(&self) -> &'static str {
        status_after(self.kind)
    }
}

/// The inventory status (wire name) equipment has after a move of `kind`: `en_taller`,
/// `con_contratista`, or back `en_servicio`.
pub const fn status_after(kind: EventKind) -> &'static str {
    match kind {
        EventKind::SentToWorkshop => "en_taller",
        EventKind::SentToContractor => "con_contratista",
        _ => "en_servicio",
    }
}

/// The accepted moves of `doc`'s equipment, in fold order.
pub fn chain(doc: &TicketDoc) -> Vec<Move<'_>> {
    let mut folded = Folded::default();
    let mut moves = Vec::new();
    for event in workflow::ordered(&doc.events) {
        let flags = folded.flags.len();
        folded.apply(event);
        if folded.flags.len() != flags || !Move::KINDS.contains(&event.kind) {
            continue;
        }
        let custody = match event.kind {
            EventKind::EquipmentReturned => event.data.custody.as_ref(),
            _ => event.data.visit.and_then(|id| {
                doc.visits
                    .iter()
                    .find(|v| v.id == id)
                    .and_then(|v| v.custody.as_ref())
            }),
        };
        moves.push(Move {
            kind: event.kind,
            event,
            custody,
        });
    }
    moves
}

/// The move that has the equipment out now: the last send, while the ticket is in the workshop
/// or with the contractor.
pub fn out_now<'a>(doc: &'a TicketDoc, state: State) -> Option<Move<'a>> {
    if !matches!(state, State::InWorkshop | State::WithContractor) {
        return None;
    }
    chain(doc)
        .into_iter()
        .rev()
        .find(|m| m.kind != EventKind::EquipmentReturned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;
    use crate::schema::{Channel, EventData, Person, Request, Visit};

    fn ticket() -> TicketDoc {
        let request = Request {
            requester: Person {
                id: "u-fun".into(),
                name: "Funcionaria".into(),
            },
            dependencia: "HAC".into(),
            location: "Piso 2".into(),
            phone_extension: None,
            channel: Channel::Intranet,
            external_ref: None,
            category: "Hardware".into(),
            description: "El portátil no carga".into(),
            equipment: vec!["GN-000001".into()],
            photos: Vec::new(),
        };
        TicketDoc::new(
            request,
            Event::new(EventKind::Registered, 1_000, "u-fun", Role::Funcionario),
        )
    }

    fn custody(to: &str) -> Custody {
        Custody {
            equipment: vec!["GN-000001".into()],
            from: "Andrés".into(),
            to: to.into(),
            place: "Taller".into(),
            at: 3_000,
            condition: String::new(),
        }
    }

    #[test]
    fn a_send_reads_its_visits_record_a_return_its_own_and_a_flagged_move_is_left_out() {
        let mut doc = ticket();
        let assignee = Person {
            id: "u-tec".into(),
            name: "Andrés".into(),
        };
        doc.events.push(
            Event::new(EventKind::Assigned, 2_000, "u-co", Role::Coordinador).with_data(
                EventData {
                    assignee: Some(assignee),
                    ..EventData::default()
                },
            ),
        );
        let mut visit = Visit::start("u-tec", 2_500, true);
        visit.custody = Some(custody("Taller TIC"));
        let send = Event::new(EventKind::SentToWorkshop, 3_000, "u-tec", Role::Tecnico).with_data(
            EventData {
                visit: Some(visit.id),
                ..EventData::default()
            },
        );
        doc.visits.push(visit);
        doc.events.push(send);
        assert_eq!(
            out_now(&doc, workflow::fold(&doc.events).state).map(|m| m.custody.unwrap().to.clone()),
            Some("Taller TIC".to_owned())
        );
        let back = Event::new(EventKind::EquipmentReturned, 4_000, "u-tec", Role::Tecnico)
            .with_data(EventData {
                custody: Some(custody("Andrés")),
                ..EventData::default()
            });
        doc.events.push(back);
        // A second return: the equipment is no longer out, so the workflow flags it.
        doc.events.push(
            Event::new(EventKind::EquipmentReturned, 5_000, "u-tec", Role::Tecnico).with_data(
                EventData {
                    custody: Some(custody("Otra persona")),
                    ..EventData::default()
                },
            ),
        );
        let moves = chain(&doc);
        let kinds: Vec<EventKind> = moves.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [EventKind::SentToWorkshop, EventKind::EquipmentReturned]
        );
        assert_eq!(moves[1].custody.unwrap().to, "Andrés");
        assert_eq!(moves[1].status(), "en_servicio");
        assert!(out_now(&doc, workflow::fold(&doc.events).state).is_none());
    }
}
