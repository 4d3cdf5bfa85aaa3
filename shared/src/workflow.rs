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
//! - **Equipment out.** A case whose equipment is in the workshop or with the contractor is
//!   resolved only after the return is recorded, or by a coordinator who says why it is resolved
//!   before the return ([`resolves_with_equipment_out`]).
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

/// Whether `event` is a coordinator's resolution of a case whose equipment is still out (`state`
/// in the workshop or with the contractor), saying why it is resolved before the return
/// (`equipment_out_reason`): the contractor kept the machine under warranty and lent another, it
/// was written off, the official no longer needs it. Only a coordinator decides that; anyone
/// else's resolution while the equipment is out waits for the return. The equipment stays where
/// it is, in the custody chain and the inventory, until its return is recorded there.
pub fn resolves_with_equipment_out(state: State, event: &Event) -> bool {
    matches!(state, S::InWorkshop | S::WithContractor)
        && event.kind == K::ResolvedByPhone
        && event.author_role == Role::Coordinador
        && event
            .data
            .equipment_out_reason
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty())
}

/// The state after `event` in `state`: [`transition`], and a coordinator's resolution with the
/// equipment out ([`resolves_with_equipment_out`]).
pub fn transition_of(state: State, event: &Event) -> Option<State> {
    transition(state, event.kind)
        .or_else(|| resolves_with_equipment_out(state, event).then_some(S::Resolved))
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
    /// A resolution while the equipment is still in the workshop or with the contractor.
    #[error(
        "El equipo del caso sigue «{}»: registre primero su devolución («{}») y después la \
         solución.",
        state.label().to_lowercase(),
        EventKind::EquipmentReturned.label()
    )]
    EquipmentOut {
        /// The ticket's state: in the workshop or with the contractor.
        state: State,
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
        let resolving = matches!(kind, K::Resolved | K::ResolvedByPhone | K::Closed);
        if resolving && matches!(state, S::InWorkshop | S::WithContractor) {
            return Err(Denied::EquipmentOut { state });
        }
        return Err(Denied::InvalidTransition { state, kind });
    }
    Ok(())
}

/// [`check`] for a given event of its author: also admits a coordinator's resolution with the
/// equipment out ([`resolves_with_equipment_out`]).
pub fn check_event(state: State, event: &Event) -> Result<(), Denied> {
    if may(event.author_role, event.kind) && resolves_with_equipment_out(state, event) {
        return Ok(());
    }
    check(event.author_role, state, event.kind)
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
        let next = transition_of(state, event).filter(|_| {
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
mod tests;
