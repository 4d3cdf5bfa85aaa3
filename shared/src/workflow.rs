//! The workflow: a ticket's state is a pure fold of its events.
//!
//! Devices append [`Event`]s to the ticket document offline; nobody ever writes a state. Every
//! reader — the server's projection, the board, the PWA — computes the state with [`fold`], so
//! they all agree once they hold the same events, whatever order the merge left them in.
//!
//! # Rules
//!
//! - **Order.** Events are applied by device time, then author, then event id (then kind, so that
//!   even two events sharing an id are ordered without regard to their position in the list).
//! - **Validity.** [`TRANSITIONS`] (data) says from which states each kind of event is valid and
//!   which state follows; [`crate::role::PERMISSIONS`] says which roles may perform it.
//! - **Contradictions are kept, never dropped.** An event that is not valid from the state the
//!   fold has reached, or whose author's role may not perform it, has no effect on the state and
//!   is reported as a [`Flag`] for the coordinator. The fold then goes on with the next event.
//!   Consequences: the first closure wins and a second one is flagged; a visit on a cancelled or
//!   closed ticket is flagged; a closure or cancellation while a visit is open is flagged (the
//!   visit's work is not lost: it is in the document, and the coordinator decides).
//! - **Responsibility.** An event of a técnico or contratista who was responsible for the case
//!   and was replaced by someone else before the event (in fold order) is flagged, not applied:
//!   work a phone recorded offline after the case was reassigned is kept, and the coordinator
//!   sees it as «registrado por un técnico ya no asignado».
//! - **Registration.** The ticket starts in `registrada`. The first `registrada` event is always
//!   valid, wherever the clocks put it (a phone's clock may be behind the coordinator's);
//!   any later one is flagged.
//! - **Absence.** The time from a `usuario_ausente` until the ticket leaves that state is an
//!   absence interval; [`Folded::absent_pauses`] turns them into SLA pauses.
//!
//! [`check`] answers the question the server (on every incoming change) and the PWA (to show
//! buttons) ask: may this role do this now?

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event_kind::EventKind;
use crate::ids::EventId;
use crate::role::{Role, may};
use crate::schema::{Event, Mode, Person};
use crate::sla::{Pause, Priority};
use crate::wire::wire_enum;

wire_enum! {
    /// Where a ticket stands in the procedure.
    pub enum State: "estado" {
        /// Registered, not yet accepted.
        Registered = "registrada",
        /// Accepted, waiting for someone to be assigned.
        Pending = "pendiente",
        /// Someone is responsible; no visit under way.
        Assigned = "asignada",
        /// A visit is under way.
        InProgress = "en_atencion",
        /// The official was absent; a return visit is planned.
        UserAbsent = "usuario_ausente",
        /// The equipment is in the workshop.
        InWorkshop = "en_taller",
        /// The equipment is with the external contractor.
        WithContractor = "con_contratista",
        /// Solved, waiting for the closing report.
        Resolved = "resuelta",
        /// Closed.
        Closed = "cerrada",
        /// Cancelled (or a duplicate).
        Cancelled = "anulada",
    }
}

impl State {
    /// The Spanish name shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            State::Registered => "Registrada",
            State::Pending => "Pendiente",
            State::Assigned => "Asignada",
            State::InProgress => "En atención",
            State::UserAbsent => "Usuario ausente (revisita programada)",
            State::InWorkshop => "En taller",
            State::WithContractor => "Con contratista",
            State::Resolved => "Resuelta",
            State::Closed => "Cerrada",
            State::Cancelled => "Anulada",
        }
    }

    /// Whether work on the ticket is still due (the SLA clock can run).
    pub const fn is_open(self) -> bool {
        !matches!(self, State::Resolved | State::Closed | State::Cancelled)
    }
}

/// What an event does to the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The ticket moves to this state.
    To(State),
    /// The state does not change (the event records something else: priority, survey).
    Stay,
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The kind of event.
    pub kind: EventKind,
    /// The states from which it is valid.
    pub from: &'static [State],
    /// The state that follows.
    pub to: Next,
}

use EventKind as K;
use State as S;

/// The transition table. A kind may have several rows (different results from different
/// states); the states of a kind's rows never overlap.
pub const TRANSITIONS: &[Transition] = &[
    // Always valid once (see the module documentation on registration).
    Transition {
        kind: K::Registered,
        from: State::ALL,
        to: Next::Stay,
    },
    Transition {
        kind: K::Accepted,
        from: &[S::Registered],
        to: Next::To(S::Pending),
    },
    Transition {
        kind: K::Prioritized,
        from: &[
            S::Registered,
            S::Pending,
            S::Assigned,
            S::InProgress,
            S::UserAbsent,
            S::InWorkshop,
            S::WithContractor,
        ],
        to: Next::Stay,
    },
    // Assigning implies accepting; reassigning is assigning again.
    Transition {
        kind: K::Assigned,
        from: &[S::Registered, S::Pending, S::Assigned, S::UserAbsent],
        to: Next::To(S::Assigned),
    },
    // While the equipment is out, a new responsible takes over without changing where it is.
    Transition {
        kind: K::Assigned,
        from: &[S::InWorkshop, S::WithContractor],
        to: Next::Stay,
    },
    // A technician may attend a request it registered on the spot before anyone assigns it.
    Transition {
        kind: K::VisitStarted,
        from: &[S::Registered, S::Pending, S::Assigned, S::UserAbsent],
        to: Next::To(S::InProgress),
    },
    // Recorded from the visit screen, or directly when the technician finds the desk empty.
    Transition {
        kind: K::UserAbsent,
        from: &[S::InProgress, S::Assigned, S::UserAbsent],
        to: Next::To(S::UserAbsent),
    },
    Transition {
        kind: K::VisitEnded,
        from: &[S::InProgress],
        to: Next::To(S::Assigned),
    },
    Transition {
        kind: K::SentToWorkshop,
        from: &[S::InProgress, S::Assigned],
        to: Next::To(S::InWorkshop),
    },
    Transition {
        kind: K::SentToContractor,
        from: &[S::InProgress, S::Assigned, S::InWorkshop],
        to: Next::To(S::WithContractor),
    },
    Transition {
        kind: K::EquipmentReturned,
        from: &[S::InWorkshop, S::WithContractor],
        to: Next::To(S::Assigned),
    },
    Transition {
        kind: K::Resolved,
        from: &[S::InProgress, S::Assigned],
        to: Next::To(S::Resolved),
    },
    Transition {
        kind: K::ResolvedByPhone,
        from: &[S::Registered, S::Pending, S::Assigned, S::UserAbsent],
        to: Next::To(S::Resolved),
    },
    Transition {
        kind: K::Closed,
        from: &[S::Resolved],
        to: Next::To(S::Closed),
    },
    Transition {
        kind: K::Cancelled,
        from: &[S::Registered, S::Pending, S::Assigned, S::UserAbsent],
        to: Next::To(S::Cancelled),
    },
    // A reopened case goes back to the coordinator's queue, to be assigned again.
    Transition {
        kind: K::Reopened,
        from: &[S::Resolved, S::Closed, S::Cancelled],
        to: Next::To(S::Pending),
    },
    Transition {
        kind: K::Duplicate,
        from: &[S::Registered, S::Pending, S::Assigned, S::UserAbsent],
        to: Next::To(S::Cancelled),
    },
    Transition {
        kind: K::SurveyAnswered,
        from: &[S::Resolved, S::Closed],
        to: Next::Stay,
    },
];

/// The state after an event of `kind` in `state`, or `None` if the event is not valid there.
pub fn transition(state: State, kind: EventKind) -> Option<State> {
    TRANSITIONS
        .iter()
        .find(|t| t.kind == kind && t.from.contains(&state))
        .map(|t| match t.to {
            Next::To(next) => next,
            Next::Stay => state,
        })
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The role may never perform this action.
    #[error(
        "El rol {} no puede realizar «{}»; solicítelo al coordinador.",
        role.label(),
        kind.label()
    )]
    NotPermitted {
        /// The acting role.
        role: Role,
        /// The refused action.
        kind: EventKind,
    },
    /// The action is not possible in the ticket's current state.
    #[error("«{}» no es posible en un caso en estado «{}».", kind.label(), state.label())]
    InvalidTransition {
        /// The ticket's state.
        state: State,
        /// The refused action.
        kind: EventKind,
    },
}

/// Whether `role` may perform `kind` on a ticket in `state`: the permission table and the
/// transition table together. This is what the server enforces on actions made online (an API
/// call acting on the current state) and what the PWA uses to offer actions.
///
/// For events arriving by sync from a device that was offline, the state the device saw may no
/// longer be the server's; refusing them would lose field work. There the server should enforce
/// only [`may`] (and that the event's author and role are the connection's user), and let
/// [`fold`] flag the events that the merge made contradictory.
pub fn check(role: Role, state: State, kind: EventKind) -> Result<(), Denied> {
    if !may(role, kind) {
        return Err(Denied::NotPermitted { role, kind });
    }
    if transition(state, kind).is_none() {
        return Err(Denied::InvalidTransition { state, kind });
    }
    Ok(())
}

/// The actions `role` may perform on a ticket in `state`, in the order of the procedure.
pub fn allowed_actions(role: Role, state: State) -> Vec<EventKind> {
    EventKind::ALL
        .iter()
        .copied()
        .filter(|k| check(role, state, *k).is_ok())
        .collect()
}

wire_enum! {
    /// The kind of contradiction a [`Flag`] reports.
    pub enum FlagKind: "tipo de alerta" {
        /// The author's role may not perform the action.
        NotPermitted = "no_permitido",
        /// A second registration.
        DuplicateRegistration = "registro_duplicado",
        /// A closure of a case already closed (the first one prevails).
        SecondClosure = "segundo_cierre",
        /// A closure, cancellation or phone resolution while a visit is open.
        OpenVisit = "visita_abierta",
        /// Activity on a cancelled case.
        OnCancelled = "caso_anulado",
        /// Activity on a closed case.
        OnClosed = "caso_cerrado",
        /// Any other event not valid from the state reached.
        InvalidTransition = "transicion_invalida",
        /// Recorded by a técnico or contratista after the case was given to someone else.
        NoLongerAssigned = "tecnico_no_asignado",
    }
}

/// A contradiction found by the fold: an event kept in the document but without effect, for the
/// coordinator to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// What kind of contradiction.
    pub kind: FlagKind,
    /// The event concerned.
    pub event: EventId,
    /// Its kind.
    pub event_kind: EventKind,
    /// The state the ticket was in when the event came.
    pub state: State,
    /// Explanation for the coordinator, in Spanish.
    pub message: String,
}

impl Flag {
    fn new(event: &Event, state: State, kind: FlagKind) -> Self {
        let action = event.kind.label();
        let message = match kind {
            FlagKind::NotPermitted => format!(
                "«{action}» registrada por un usuario con rol {}, que no puede realizarla; \
                 no se tuvo en cuenta.",
                event.author_role.label()
            ),
            FlagKind::DuplicateRegistration => {
                "Segundo registro del mismo caso; no se tuvo en cuenta.".to_string()
            }
            FlagKind::SecondClosure => "Segundo cierre del caso; prevalece el primero. Revise si \
                                        hubo trabajo después del cierre."
                .to_string(),
            FlagKind::OpenVisit => format!(
                "«{action}» con una visita abierta; no se tuvo en cuenta. Cierre la visita y \
                 repita la acción si corresponde."
            ),
            FlagKind::OnCancelled => format!(
                "«{action}» sobre un caso anulado; no se tuvo en cuenta. Reabra el caso si el \
                 trabajo debe continuar."
            ),
            FlagKind::OnClosed => format!(
                "«{action}» sobre un caso cerrado; no se tuvo en cuenta. Reabra el caso si el \
                 trabajo debe continuar."
            ),
            FlagKind::InvalidTransition => format!(
                "«{action}» no es posible en estado «{}»; no se tuvo en cuenta.",
                state.label()
            ),
            FlagKind::NoLongerAssigned => format!(
                "«{action}» registrado por un técnico ya no asignado, cuando el caso ya era de \
                 otra persona; quedó en el historial sin cambiar el estado. Revise con el \
                 responsable actual."
            ),
        };
        Self {
            kind,
            event: event.id,
            event_kind: event.kind,
            state,
            message,
        }
    }
}

/// Names the contradiction of an event found invalid in `state`.
fn classify(event: &Event, state: State) -> FlagKind {
    let closing = matches!(
        event.kind,
        K::Closed | K::Cancelled | K::Duplicate | K::ResolvedByPhone
    );
    if !may(event.author_role, event.kind) {
        FlagKind::NotPermitted
    } else if event.kind == K::Registered {
        FlagKind::DuplicateRegistration
    } else if event.kind == K::Closed && state == S::Closed {
        FlagKind::SecondClosure
    } else if closing && state == S::InProgress {
        FlagKind::OpenVisit
    } else if state == S::Cancelled {
        FlagKind::OnCancelled
    } else if state == S::Closed {
        FlagKind::OnClosed
    } else {
        FlagKind::InvalidTransition
    }
}

/// How a ticket was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// At the desk (`resuelta`).
    OnSite,
    /// By telephone (`resuelta_telefono`).
    Phone,
}

/// An absence interval, ms since the epoch (UTC); `end: None` while the user is still awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// The `usuario_ausente` event's time.
    pub start: i64,
    /// The time of the event that took the ticket out of `usuario_ausente`.
    pub end: Option<i64>,
}

/// Everything the board, the projection and the reports need from a ticket's events.
/// Times are ms since the epoch, UTC (device time of the event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Folded {
    /// The current state.
    pub state: State,
    /// Contradictions found, in fold order.
    pub flags: Vec<Flag>,
    /// The priority, once triaged.
    pub priority: Option<Priority>,
    /// The attention mode, once decided.
    pub mode: Option<Mode>,
    /// Who is responsible now.
    pub assignee: Option<Person>,
    /// A resolution deadline set by hand, overriding the policy's.
    pub resolution_due_override: Option<i64>,
    /// First registration: time and author.
    pub registered_at: Option<i64>,
    /// The registering user's id.
    pub registered_by: Option<String>,
    /// The first triage (priority set): where the SLA clock starts.
    pub triaged_at: Option<i64>,
    /// The first response: acceptance, assignment, visit or phone resolution.
    pub responded_at: Option<i64>,
    /// The visit under way, if any (its id as written in the event's data).
    pub open_visit: Option<String>,
    /// Visits started.
    pub visits: u32,
    /// Visits where the user was absent.
    pub absent_visits: u32,
    /// When the technician plans to return (from the last `usuario_ausente`).
    pub next_visit_at: Option<i64>,
    /// Time spent waiting for an absent user.
    pub absent_intervals: Vec<Interval>,
    /// When it was (last) resolved, while resolved or closed.
    pub resolved_at: Option<i64>,
    /// How it was resolved.
    pub resolution: Option<Resolution>,
    /// When it was closed, while closed.
    pub closed_at: Option<i64>,
    /// When it was cancelled, while cancelled.
    pub cancelled_at: Option<i64>,
    /// The original ticket, when marked as duplicate.
    pub duplicate_of: Option<String>,
    /// How many times it was reopened.
    pub reopened: u32,
    /// Whether the survey was answered.
    pub survey_answered: bool,
    /// The time of the last event applied or flagged.
    pub last_event_at: Option<i64>,
    /// Who was responsible before the current assignee (user ids, in order).
    #[serde(default)]
    pub replaced: Vec<String>,
}

impl Default for Folded {
    fn default() -> Self {
        Self {
            state: State::Registered,
            flags: Vec::new(),
            priority: None,
            mode: None,
            assignee: None,
            resolution_due_override: None,
            registered_at: None,
            registered_by: None,
            triaged_at: None,
            responded_at: None,
            open_visit: None,
            visits: 0,
            absent_visits: 0,
            next_visit_at: None,
            absent_intervals: Vec::new(),
            resolved_at: None,
            resolution: None,
            closed_at: None,
            cancelled_at: None,
            duplicate_of: None,
            reopened: 0,
            survey_answered: false,
            last_event_at: None,
            replaced: Vec::new(),
        }
    }
}

/// The events in fold order: device time, author, event id, kind.
pub fn ordered(events: &[Event]) -> Vec<&Event> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| (a.at, &a.author, a.id, a.kind).cmp(&(b.at, &b.author, b.id, b.kind)));
    sorted
}

/// Folds a ticket's events, in any order, into its state; see the module documentation.
pub fn fold(events: &[Event]) -> Folded {
    let mut folded = Folded::default();
    for event in ordered(events) {
        folded.apply(event);
    }
    folded
}

impl Folded {
    /// Applies one event (the next in fold order): either its effect or a flag.
    pub fn apply(&mut self, event: &Event) {
        let state = self.state;
        self.last_event_at = Some(self.last_event_at.map_or(event.at, |t| t.max(event.at)));

        let first_registration = event.kind == K::Registered && self.registered_at.is_none();
        let next = transition(state, event.kind).filter(|_| {
            may(event.author_role, event.kind)
                && (event.kind != K::Registered || first_registration)
        });
        let Some(next) = next else {
            self.flags
                .push(Flag::new(event, state, classify(event, state)));
            return;
        };
        if self.no_longer_assigned(event) {
            self.flags
                .push(Flag::new(event, state, FlagKind::NoLongerAssigned));
            return;
        }

        let data = &event.data;
        let at = event.at;
        match event.kind {
            K::Registered => {
                self.registered_at = Some(at);
                self.registered_by = Some(event.author.clone());
            }
            K::Accepted => self.respond(at),
            K::Prioritized => {
                self.priority = data.priority.or(self.priority);
                self.mode = data.mode.or(self.mode);
                self.resolution_due_override = data.resolution_due.or(self.resolution_due_override);
                if data.priority.is_some() {
                    self.triaged_at.get_or_insert(at);
                }
            }
            K::Assigned => {
                if let Some(next) = &data.assignee {
                    if let Some(previous) = self.assignee.take()
                        && previous.id != next.id
                    {
                        self.replaced.retain(|id| *id != previous.id);
                        self.replaced.push(previous.id);
                    }
                    self.assignee = Some(next.clone());
                }
                self.mode = data.mode.or(self.mode);
                self.respond(at);
            }
            K::VisitStarted => {
                self.visits += 1;
                self.open_visit = Some(
                    data.visit
                        .map_or_else(|| event.id.to_string(), |v| v.to_string()),
                );
                if self.assignee.is_none() {
                    self.assignee = Some(Person {
                        id: event.author.clone(),
                        name: String::new(),
                    });
                }
                self.respond(at);
            }
            K::UserAbsent => {
                self.absent_visits += 1;
                self.open_visit = None;
                self.next_visit_at = data.next_visit_at;
                if state != S::UserAbsent {
                    self.absent_intervals.push(Interval {
                        start: at,
                        end: None,
                    });
                }
            }
            K::VisitEnded | K::SentToWorkshop | K::SentToContractor => self.open_visit = None,
            K::EquipmentReturned => {}
            K::Resolved | K::ResolvedByPhone => {
                self.open_visit = None;
                self.resolved_at = Some(at);
                self.resolution = Some(if event.kind == K::Resolved {
                    Resolution::OnSite
                } else {
                    Resolution::Phone
                });
                self.respond(at);
            }
            K::Closed => self.closed_at = Some(at),
            K::Cancelled | K::Duplicate => {
                self.cancelled_at = Some(at);
                if event.kind == K::Duplicate {
                    self.duplicate_of = data.duplicate_of.clone();
                }
            }
            K::Reopened => {
                self.reopened += 1;
                self.resolved_at = None;
                self.resolution = None;
                self.closed_at = None;
                self.cancelled_at = None;
                self.duplicate_of = None;
            }
            K::SurveyAnswered => self.survey_answered = true,
        }
        if state == S::UserAbsent && next != S::UserAbsent {
            if let Some(open) = self.absent_intervals.last_mut().filter(|i| i.end.is_none()) {
                open.end = Some(at);
            }
            self.next_visit_at = None;
        }
        self.state = next;
    }

    /// Whether `event` is a field worker's, recorded after the case was given to someone else.
    fn no_longer_assigned(&self, event: &Event) -> bool {
        matches!(event.author_role, Role::Tecnico | Role::Contratista)
            && self.assignee.as_ref().is_some_and(|a| a.id != event.author)
            && self.replaced.contains(&event.author)
    }

    fn respond(&mut self, at: i64) {
        self.responded_at.get_or_insert(at);
    }

    /// The absence intervals as SLA pauses (intervals whose times are out of chrono's range are
    /// skipped).
    pub fn absent_pauses(&self) -> Vec<Pause> {
        self.absent_intervals
            .iter()
            .filter_map(|i| {
                Some(Pause {
                    start: utc(i.start)?,
                    end: match i.end {
                        Some(end) => Some(utc(end)?),
                        None => None,
                    },
                })
            })
            .collect()
    }
}

/// A document timestamp (ms since the epoch) as a UTC instant; `None` if out of range.
pub fn utc(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::VisitId;
    use crate::schema::EventData;

    const MIN: i64 = 60_000;

    fn ev(kind: EventKind, at_min: i64, author: &str, role: Role) -> Event {
        Event::new(kind, at_min * MIN, author, role)
    }
    fn coord(kind: EventKind, at: i64) -> Event {
        ev(kind, at, "coord", Role::Coordinador)
    }
    fn tech(kind: EventKind, at: i64) -> Event {
        ev(kind, at, "tech", Role::Tecnico)
    }
    fn registered() -> Event {
        ev(K::Registered, 0, "ana", Role::Funcionario)
    }
    fn assigned(at: i64) -> Event {
        coord(K::Assigned, at).with_data(EventData {
            assignee: Some(Person {
                id: "tech".into(),
                name: "Técnico Uno".into(),
            }),
            ..EventData::default()
        })
    }

    #[test]
    fn wire_names_and_labels() {
        assert_eq!(
            State::WIRE_NAMES,
            [
                "registrada",
                "pendiente",
                "asignada",
                "en_atencion",
                "usuario_ausente",
                "en_taller",
                "con_contratista",
                "resuelta",
                "cerrada",
                "anulada"
            ]
        );
        assert_eq!(
            State::UserAbsent.label(),
            "Usuario ausente (revisita programada)"
        );
        assert_eq!(State::InProgress.label(), "En atención");
        assert_eq!(
            serde_json::to_value(K::ResolvedByPhone).unwrap(),
            "resuelta_telefono"
        );
        assert_eq!("en_taller".parse::<State>(), Ok(State::InWorkshop));
        for k in EventKind::ALL {
            assert!(!k.label().is_empty());
        }
    }

    /// The transition table as the office would read it, row by row:
    /// kind, valid from, resulting state ("=" for unchanged).
    #[test]
    fn transition_table_rows() {
        let expected: &[(&str, &str, &str)] = &[
            ("registrada", "*", "="),
            ("aceptada", "registrada", "pendiente"),
            (
                "priorizada",
                "registrada pendiente asignada en_atencion usuario_ausente en_taller \
                 con_contratista",
                "=",
            ),
            (
                "asignada",
                "registrada pendiente asignada usuario_ausente",
                "asignada",
            ),
            ("asignada", "en_taller con_contratista", "="),
            (
                "visita_iniciada",
                "registrada pendiente asignada usuario_ausente",
                "en_atencion",
            ),
            (
                "usuario_ausente",
                "en_atencion asignada usuario_ausente",
                "usuario_ausente",
            ),
            ("visita_finalizada", "en_atencion", "asignada"),
            ("enviada_taller", "en_atencion asignada", "en_taller"),
            (
                "enviada_contratista",
                "en_atencion asignada en_taller",
                "con_contratista",
            ),
            ("equipo_devuelto", "en_taller con_contratista", "asignada"),
            ("resuelta", "en_atencion asignada", "resuelta"),
            (
                "resuelta_telefono",
                "registrada pendiente asignada usuario_ausente",
                "resuelta",
            ),
            ("cerrada", "resuelta", "cerrada"),
            (
                "anulada",
                "registrada pendiente asignada usuario_ausente",
                "anulada",
            ),
            ("reabierta", "resuelta cerrada anulada", "pendiente"),
            (
                "duplicada",
                "registrada pendiente asignada usuario_ausente",
                "anulada",
            ),
            ("encuesta_respondida", "resuelta cerrada", "="),
        ];
        assert_eq!(expected.len(), TRANSITIONS.len());
        for (row, (kind, from, to)) in TRANSITIONS.iter().zip(expected) {
            let from_names: Vec<&str> = row.from.iter().map(|s| s.as_str()).collect();
            let from_text = if row.from == State::ALL {
                "*".to_string()
            } else {
                from_names.join(" ")
            };
            let to_text = match row.to {
                Next::To(s) => s.as_str(),
                Next::Stay => "=",
            };
            println!("{:<20} {:<70} {}", row.kind, from_text, to_text);
            assert_eq!(row.kind.as_str(), *kind);
            let from_expected: Vec<&str> = from.split_whitespace().collect();
            assert_eq!(from_text, from_expected.join(" "), "from of {kind}");
            assert_eq!(to_text, *to, "to of {kind}");
            // The lookup agrees with the row for every listed state.
            for s in row.from {
                let expected = match row.to {
                    Next::To(n) => n,
                    Next::Stay => *s,
                };
                assert_eq!(transition(*s, row.kind), Some(expected));
            }
        }
        // Rows of one kind never overlap, so the table has one answer per (state, kind).
        for kind in EventKind::ALL {
            for state in State::ALL {
                let n = TRANSITIONS
                    .iter()
                    .filter(|t| t.kind == *kind && t.from.contains(state))
                    .count();
                assert!(n <= 1, "{kind} from {state}");
            }
        }
        // Nothing but a reopening leaves a closed or cancelled ticket.
        for kind in EventKind::ALL {
            for s in [S::Closed, S::Cancelled] {
                if let Some(next) = transition(s, *kind) {
                    assert!(next == s || *kind == K::Reopened, "{kind} from {s}");
                }
            }
        }
    }

    #[test]
    fn check_combines_role_and_state() {
        assert_eq!(check(Role::Coordinador, S::Registered, K::Accepted), Ok(()));
        assert_eq!(
            check(Role::Tecnico, S::Registered, K::Accepted),
            Err(Denied::NotPermitted {
                role: Role::Tecnico,
                kind: K::Accepted
            })
        );
        assert_eq!(
            check(Role::Tecnico, S::Closed, K::VisitStarted),
            Err(Denied::InvalidTransition {
                state: S::Closed,
                kind: K::VisitStarted
            })
        );
        assert_eq!(
            check(Role::Funcionario, S::Pending, K::Assigned)
                .unwrap_err()
                .to_string(),
            "El rol Funcionario no puede realizar «Asignación»; solicítelo al coordinador."
        );
        assert_eq!(
            check(Role::Coordinador, S::InProgress, K::Closed)
                .unwrap_err()
                .to_string(),
            "«Cierre» no es posible en un caso en estado «En atención»."
        );
        assert_eq!(
            allowed_actions(Role::Funcionario, S::Closed),
            [K::Registered, K::SurveyAnswered]
        );
        assert_eq!(
            allowed_actions(Role::Tecnico, S::Assigned),
            [
                K::Registered,
                K::VisitStarted,
                K::UserAbsent,
                K::SentToWorkshop,
                K::SentToContractor,
                K::Resolved
            ]
        );
    }

    #[test]
    fn resolved_by_phone_without_a_visit() {
        let events = [
            registered(),
            coord(K::Accepted, 1),
            coord(K::Prioritized, 2).with_data(EventData {
                priority: Some(Priority::Media),
                mode: Some(Mode::Phone),
                ..EventData::default()
            }),
            coord(K::ResolvedByPhone, 10),
            coord(K::Closed, 11),
        ];
        let f = fold(&events);
        assert_eq!(f.state, S::Closed);
        assert!(f.flags.is_empty(), "{:?}", f.flags);
        assert_eq!(f.priority, Some(Priority::Media));
        assert_eq!(f.mode, Some(Mode::Phone));
        assert_eq!(f.resolution, Some(Resolution::Phone));
        assert_eq!(f.visits, 0);
        assert_eq!(f.triaged_at, Some(2 * MIN));
        assert_eq!(f.responded_at, Some(MIN));
        assert_eq!(
            (f.resolved_at, f.closed_at),
            (Some(10 * MIN), Some(11 * MIN))
        );
        assert_eq!(f.registered_by.as_deref(), Some("ana"));
    }

    #[test]
    fn on_site_with_an_absent_user_and_the_workshop() {
        let v1 = VisitId::new();
        let v2 = VisitId::new();
        let with_visit = |e: Event, v: VisitId| {
            e.with_data(EventData {
                visit: Some(v),
                ..EventData::default()
            })
        };
        let events = [
            registered(),
            coord(K::Accepted, 1),
            assigned(2),
            with_visit(tech(K::VisitStarted, 30), v1),
            tech(K::UserAbsent, 35).with_data(EventData {
                visit: Some(v1),
                next_visit_at: Some(200 * MIN),
                ..EventData::default()
            }),
            with_visit(tech(K::VisitStarted, 200), v2),
            with_visit(tech(K::SentToWorkshop, 220), v2),
            tech(K::EquipmentReturned, 1000),
            tech(K::VisitStarted, 1010),
            tech(K::Resolved, 1030),
            ev(K::SurveyAnswered, 1031, "tech", Role::Tecnico),
            tech(K::Closed, 1040),
        ];
        // Stepwise states, to see the procedure.
        let mut f = Folded::default();
        let states: Vec<State> = ordered(&events)
            .into_iter()
            .map(|e| {
                f.apply(e);
                f.state
            })
            .collect();
        assert_eq!(
            states,
            [
                S::Registered,
                S::Pending,
                S::Assigned,
                S::InProgress,
                S::UserAbsent,
                S::InProgress,
                S::InWorkshop,
                S::Assigned,
                S::InProgress,
                S::Resolved,
                S::Resolved,
                S::Closed
            ]
        );
        assert!(f.flags.is_empty(), "{:?}", f.flags);
        assert_eq!(f.assignee.as_ref().unwrap().name, "Técnico Uno");
        assert_eq!((f.visits, f.absent_visits), (3, 1));
        assert_eq!(
            f.absent_intervals,
            [Interval {
                start: 35 * MIN,
                end: Some(200 * MIN)
            }]
        );
        assert_eq!(f.absent_pauses().len(), 1);
        assert_eq!(f.resolution, Some(Resolution::OnSite));
        assert!(f.survey_answered);
        assert_eq!(f.open_visit, None);
        assert_eq!(f.next_visit_at, None);
    }

    #[test]
    fn an_open_absence_and_the_open_visit_are_reported() {
        let v = VisitId::new();
        let events = [
            registered(),
            assigned(1),
            tech(K::VisitStarted, 5).with_data(EventData {
                visit: Some(v),
                ..EventData::default()
            }),
        ];
        let f = fold(&events);
        assert_eq!(f.state, S::InProgress);
        assert_eq!(f.open_visit, Some(v.to_string()));
        let mut events = events.to_vec();
        events.push(tech(K::UserAbsent, 9).with_data(EventData {
            next_visit_at: Some(99),
            ..EventData::default()
        }));
        let f = fold(&events);
        assert_eq!(f.state, S::UserAbsent);
        assert_eq!(f.open_visit, None);
        assert_eq!(f.next_visit_at, Some(99));
        assert_eq!(
            f.absent_intervals,
            [Interval {
                start: 9 * MIN,
                end: None
            }]
        );
        assert_eq!(f.absent_pauses()[0].end, None);
    }

    #[test]
    fn work_of_a_replaced_technician_is_kept_flagged_without_effect() {
        let to_other = coord(K::Assigned, 3).with_data(EventData {
            assignee: Some(Person {
                id: "other".into(),
                name: "Técnico Dos".into(),
            }),
            ..EventData::default()
        });
        // «tech» was responsible, the case went to «other» at minute 3, and «tech»'s phone,
        // offline, recorded a visit at minute 5.
        let events = vec![
            registered(),
            coord(K::Accepted, 1),
            assigned(2),
            to_other,
            tech(K::VisitStarted, 5),
            tech(K::Resolved, 6),
        ];
        let f = fold(&events);
        assert_eq!(f.state, S::Assigned);
        assert_eq!(f.assignee.as_ref().map(|a| a.id.as_str()), Some("other"));
        let kinds: Vec<FlagKind> = f.flags.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [FlagKind::NoLongerAssigned; 2]);
        assert!(
            f.flags[0]
                .message
                .contains("registrado por un técnico ya no asignado"),
            "{}",
            f.flags[0].message
        );
        // What it recorded before the reassignment, by its phone's clock, counts.
        let mut earlier = events[..4].to_vec();
        earlier[3].at = 10 * MIN;
        earlier.push(tech(K::VisitStarted, 5));
        earlier.push(tech(K::VisitEnded, 6));
        let f = fold(&earlier);
        assert!(f.flags.is_empty(), "{:?}", f.flags);
        assert_eq!(f.visits, 1);
        assert_eq!(f.assignee.as_ref().map(|a| a.id.as_str()), Some("other"));
        // Given the case back, its work counts again.
        let mut back = events[..4].to_vec();
        back.push(assigned(4));
        back.push(tech(K::VisitStarted, 5));
        let f = fold(&back);
        assert!(f.flags.is_empty(), "{:?}", f.flags);
        assert_eq!(f.state, S::InProgress);
    }

    #[test]
    fn two_closures_the_first_wins_and_the_second_is_flagged() {
        let events = [
            registered(),
            assigned(1),
            tech(K::VisitStarted, 2),
            tech(K::Resolved, 3),
            coord(K::Closed, 10),
            tech(K::Closed, 12),
        ];
        let f = fold(&events);
        assert_eq!(f.state, S::Closed);
        assert_eq!(f.closed_at, Some(10 * MIN));
        assert_eq!(f.flags.len(), 1);
        assert_eq!(f.flags[0].kind, FlagKind::SecondClosure);
        assert_eq!(f.flags[0].event, events[5].id);
        assert!(f.flags[0].message.starts_with("Segundo cierre del caso"));
    }

    #[test]
    fn closure_while_a_visit_is_open_is_flagged() {
        // The coordinator resolved by phone and closed while, offline, the technician had
        // started a visit earlier: the visit came first in device time, so the phone resolution
        // and the closure are what the fold cannot apply.
        let events = [
            registered(),
            assigned(1),
            tech(K::VisitStarted, 5),
            coord(K::ResolvedByPhone, 6),
            coord(K::Closed, 7),
        ];
        let f = fold(&events);
        assert_eq!(f.state, S::InProgress);
        let kinds: Vec<FlagKind> = f.flags.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [FlagKind::OpenVisit, FlagKind::OpenVisit]);
        assert_eq!(
            f.flags[1].message,
            "«Cierre» con una visita abierta; no se tuvo en cuenta. Cierre la visita y repita \
             la acción si corresponde."
        );
    }

    #[test]
    fn a_visit_on_a_cancelled_ticket_is_flagged_and_ignored() {
        let events = [
            registered(),
            assigned(1),
            coord(K::Cancelled, 5),
            tech(K::VisitStarted, 6),
        ];
        let f = fold(&events);
        assert_eq!(f.state, S::Cancelled);
        assert_eq!(f.visits, 0);
        assert_eq!(f.flags[0].kind, FlagKind::OnCancelled);
        assert_eq!(f.flags[0].state, S::Cancelled);
        assert_eq!(f.flags[0].event_kind, K::VisitStarted);
        assert!(f.flags[0].message.contains("sobre un caso anulado"));
    }

    #[test]
    fn forbidden_roles_and_repeated_registration_are_flagged() {
        let events = [
            registered(),
            ev(K::Accepted, 1, "tech", Role::Tecnico),
            ev(K::Registered, 2, "ana", Role::Funcionario),
            ev(K::Assigned, 3, "ana", Role::Funcionario),
        ];
        let f = fold(&events);
        assert_eq!(f.state, S::Registered);
        let kinds: Vec<FlagKind> = f.flags.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            [
                FlagKind::NotPermitted,
                FlagKind::DuplicateRegistration,
                FlagKind::NotPermitted
            ]
        );
        assert!(f.flags[0].message.contains("rol Técnico"));
    }

    #[test]
    fn a_late_clock_on_registration_is_tolerated() {
        // The phone that registered the request had its clock ahead, so its registration sorts
        // after the coordinator's acceptance.
        let events = [
            ev(K::Registered, 20, "tech", Role::Tecnico),
            coord(K::Accepted, 15),
        ];
        let f = fold(&events);
        assert_eq!(f.state, S::Pending);
        assert!(f.flags.is_empty());
        assert_eq!(f.registered_at, Some(20 * MIN));
    }

    #[test]
    fn reopening_returns_to_the_queue() {
        let events = [
            registered(),
            coord(K::ResolvedByPhone, 1),
            coord(K::Closed, 2),
            coord(K::Reopened, 3),
        ];
        let f = fold(&events);
        assert_eq!(f.state, S::Pending);
        assert_eq!((f.reopened, f.closed_at, f.resolved_at), (1, None, None));
        let f = fold(&[
            registered(),
            coord(K::Duplicate, 1).with_data(EventData {
                duplicate_of: Some("automerge:abc".into()),
                ..EventData::default()
            }),
        ]);
        assert_eq!(f.state, S::Cancelled);
        assert_eq!(f.duplicate_of.as_deref(), Some("automerge:abc"));
    }

    #[test]
    fn order_is_time_then_author_then_id() {
        let mut a = coord(K::Accepted, 5);
        let mut b = ev(K::Cancelled, 5, "another-coord", Role::Coordinador);
        // Same time: "another-coord" < "coord", so the cancellation comes first and the
        // acceptance is flagged, whatever the list order.
        for events in [
            vec![registered(), a.clone(), b.clone()],
            vec![b.clone(), registered(), a.clone()],
        ] {
            let f = fold(&events);
            assert_eq!(f.state, S::Cancelled);
            assert_eq!(f.flags.len(), 1);
            assert_eq!(f.flags[0].event, a.id);
        }
        // Same time and author: the smaller id first.
        a.author = "coord".into();
        b.author = "coord".into();
        let first_is_a = a.id < b.id;
        let f = fold(&[registered(), a.clone(), b.clone()]);
        assert_eq!(f.state, S::Cancelled);
        assert_eq!(f.flags.is_empty(), first_is_a);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const AUTHORS: [&str; 3] = ["ana", "coord", "tech"];

        /// A history that is valid event by event: a random walk over the tables, with
        /// non-decreasing times (equal times are allowed on purpose: they make the author and
        /// id tie-breaks matter).
        fn valid_history() -> impl Strategy<Value = Vec<Event>> {
            prop::collection::vec((any::<u8>(), 0i64..3, any::<u8>()), 0..40).prop_map(|steps| {
                let mut events = vec![Event::new(K::Registered, 0, "ana", Role::Funcionario)];
                let mut state = S::Registered;
                let mut at = 0;
                for (pick, gap, author) in steps {
                    let options: Vec<EventKind> = EventKind::ALL
                        .iter()
                        .copied()
                        .filter(|k| *k != K::Registered && transition(state, *k).is_some())
                        .collect();
                    let Some(&kind) = options.get(pick as usize % options.len().max(1)) else {
                        break;
                    };
                    at += gap * MIN;
                    let role = Role::ALL
                        .iter()
                        .copied()
                        .find(|r| may(*r, kind) && *r != Role::Coordinador)
                        .unwrap_or(Role::Coordinador);
                    let author = AUTHORS[author as usize % AUTHORS.len()];
                    events.push(Event::new(kind, at, author, role).with_data(EventData {
                        priority: Some(Priority::Alta),
                        ..EventData::default()
                    }));
                    state = transition(state, kind).expect("chosen from the table");
                }
                events
            })
        }

        fn arbitrary_event() -> impl Strategy<Value = Event> {
            (
                0..EventKind::ALL.len(),
                0..Role::ALL.len(),
                prop_oneof![any::<i64>(), -10i64..10, Just(i64::MIN), Just(i64::MAX)],
                "[a-c]{0,2}",
                any::<bool>(),
                prop::option::of(any::<i64>()),
            )
                .prop_map(|(k, r, at, author, with_data, ms)| {
                    let data = if with_data {
                        EventData {
                            priority: Some(Priority::Baja),
                            mode: Some(Mode::Workshop),
                            assignee: Some(Person {
                                id: author.clone(),
                                name: String::new(),
                            }),
                            resolution_due: ms,
                            visit: Some(VisitId::new()),
                            next_visit_at: ms,
                            duplicate_of: Some("x".into()),
                            reason: None,
                        }
                    } else {
                        EventData::default()
                    };
                    Event::new(EventKind::ALL[k], at, author, Role::ALL[r]).with_data(data)
                })
        }

        proptest! {
            /// Two devices each hold part of the same events; whichever way the merge
            /// interleaves them, the fold is the same.
            #[test]
            fn any_interleaving_folds_the_same(
                events in valid_history(),
                split in prop::collection::vec(any::<bool>(), 40),
                seed in any::<u64>(),
            ) {
                let (mut a, mut b): (Vec<Event>, Vec<Event>) = (Vec::new(), Vec::new());
                for (i, e) in events.iter().enumerate() {
                    if split[i % split.len()] { a.push(e.clone()) } else { b.push(e.clone()) }
                }
                let reference = fold(&events);
                let a_then_b: Vec<Event> = a.iter().chain(&b).cloned().collect();
                let b_then_a: Vec<Event> = b.iter().chain(&a).cloned().collect();
                // A pseudo-random shuffle driven by `seed`.
                let mut shuffled = events.clone();
                let mut x = seed | 1;
                for i in (1..shuffled.len()).rev() {
                    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                    shuffled.swap(i, (x % (i as u64 + 1)) as usize);
                }
                for permutation in [a_then_b, b_then_a, shuffled] {
                    let f = fold(&permutation);
                    prop_assert_eq!(f.state, reference.state);
                    prop_assert_eq!(&f.flags, &reference.flags);
                    prop_assert_eq!(&f, &reference);
                }
            }

            /// A valid history with strictly increasing times folds without flags.
            #[test]
            fn a_valid_history_raises_no_flags(events in valid_history()) {
                let mut events = events;
                for (i, e) in events.iter_mut().enumerate() {
                    e.at = i as i64 * MIN;
                }
                let f = fold(&events);
                prop_assert!(f.flags.is_empty(), "{:?}", f.flags);
            }

            /// Whatever the document holds, the fold never panics and every event is either
            /// applied or flagged.
            #[test]
            fn fold_never_panics(events in prop::collection::vec(arbitrary_event(), 0..60)) {
                let f = fold(&events);
                prop_assert!(f.flags.len() <= events.len());
                let _ = f.absent_pauses();
                let again = fold(&events.iter().rev().cloned().collect::<Vec<_>>());
                prop_assert_eq!(again, f);
            }
        }
    }
}
