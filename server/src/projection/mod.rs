//! The projection: each ticket document as SQL rows (the ticket, its visits, the equipment and
//! photos it names) — what lists, the dispatch board, the reports and the access rules read.
//!
//! [`project`] is a pure function of the document and the SLA policy, so the rows written when a
//! change is accepted and the rows `campo reproject` rebuilds are the same. Times come from the
//! document (device time of each event), never from the server's clock; the one exception,
//! `updated_at`, records when the server last accepted a change and is kept by `reproject`.

use automerge::ChangeHash;
use campo_shared::calendar::BusinessCalendar;
use campo_shared::custody;
use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{Custody, TicketDoc};
use campo_shared::sla::{self, SlaPolicy};
use campo_shared::workflow::{self, FlagKind, Interval, Resolution, utc};
use serde::Serialize;

/// Everything the `tickets` row holds about a ticket, except its id, number and `updated_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketProjection {
    pub requester_id: String,
    pub requester_name: String,
    pub dependencia: String,
    pub location: String,
    pub channel: String,
    pub external_ref: Option<String>,
    pub category: String,
    pub summary: String,
    pub state: String,
    pub priority: Option<String>,
    pub mode: Option<String>,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    pub registered_by: Option<String>,
    pub flags: i64,
    pub flag_kinds: String,
    pub created_at: i64,
    pub triaged_at: Option<i64>,
    pub responded_at: Option<i64>,
    pub response_due: Option<i64>,
    pub resolution_due: Option<i64>,
    pub resolved_at: Option<i64>,
    pub resolution: Option<String>,
    pub closed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub next_visit_at: Option<i64>,
    pub visits: i64,
    pub absent_visits: i64,
    pub workshop_sends: i64,
    pub contractor_sends: i64,
    pub equipment_returns: i64,
    pub reopened: i64,
    pub duplicate_of: Option<String>,
    pub report_summary: Option<String>,
    pub survey_at: Option<i64>,
    pub survey_channel: Option<String>,
    pub survey_timeliness: Option<i64>,
    pub survey_treatment: Option<i64>,
    pub survey_solution: Option<i64>,
    pub heads: String,
}

/// One visit's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitProjection {
    pub visit_id: String,
    pub technician_id: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub user_present: bool,
    pub evidence: i64,
    pub outcome: Option<String>,
    pub next_visit_at: Option<i64>,
}

/// The ticket's equipment leaving for the workshop or the contractor, or coming back: what the
/// reports count (kind and time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EquipmentEvent {
    /// [`EventKind::SentToWorkshop`], [`EventKind::SentToContractor`] or
    /// [`EventKind::EquipmentReturned`].
    pub kind: EventKind,
    /// When it happened (device time of the event).
    pub at: i64,
}

/// One move of the ticket's equipment the workflow accepted (see [`custody::chain`]; a flagged
/// event moved nothing, so it is not here), with its custody record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustodyMove {
    /// The kind and time of the move.
    pub event: EquipmentEvent,
    /// Who recorded it (user id).
    pub author_id: String,
    /// The inventory codes moved.
    pub equipment: Vec<String>,
    /// Who handed the equipment over.
    pub holder_from: String,
    /// Who received it.
    pub holder_to: String,
    /// Where it went.
    pub place: String,
    /// Its condition at hand-over.
    pub condition: String,
}

/// All the rows of one ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    pub ticket: TicketProjection,
    pub visits: Vec<VisitProjection>,
    /// The times the ticket waited for an absent user, in order (what pauses the SLA clock).
    pub absences: Vec<Interval>,
    /// Its equipment's trips to the workshop or the contractor and back, in fold order.
    pub equipment_events: Vec<CustodyMove>,
    /// Equipment codes named by the request and by custody records, sorted, unique.
    pub equipment: Vec<String>,
    /// Photo hashes named by the request and by visits, sorted, unique.
    pub blobs: Vec<String>,
}

/// The SLA policy and the business calendar it runs on.
#[derive(Debug, Clone, Default)]
pub struct Sla {
    pub policy: SlaPolicy,
    pub calendar: BusinessCalendar,
}

impl Sla {
    pub fn new(policy: SlaPolicy) -> anyhow::Result<Self> {
        let calendar = policy.calendar()?;
        Ok(Self { policy, calendar })
    }
}

/// Who may read a ticket: its requester, its assignee and who registered it.
///
/// The access rule, in one place: a coordinator reads every ticket; an official the requests it
/// made; a técnico or contratista the tickets assigned to it, and one it registered itself (a
/// request typed at a desk) while nobody else is assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    pub requester_id: String,
    pub assignee_id: Option<String>,
    pub registered_by: Option<String>,
}

impl Audience {
    pub fn of(projection: &Projection) -> Self {
        let t = &projection.ticket;
        Self {
            requester_id: t.requester_id.clone(),
            assignee_id: t.assignee_id.clone(),
            registered_by: t.registered_by.clone(),
        }
    }

    pub fn may_read(&self, user_id: &str, role: Role) -> bool {
        match role {
            Role::Coordinador => true,
            Role::Funcionario => self.requester_id == user_id,
            Role::Tecnico | Role::Contratista => match &self.assignee_id {
                Some(assignee) => assignee == user_id,
                None => self.registered_by.as_deref() == Some(user_id),
            },
        }
    }

    /// Whether the ticket concerns `user_id` in any role (its agenda may list it).
    pub fn names(&self, user_id: &str) -> bool {
        self.requester_id == user_id
            || self.assignee_id.as_deref() == Some(user_id)
            || self.registered_by.as_deref() == Some(user_id)
    }
}

/// The first line of a description, up to 120 characters: what lists show.
pub fn summary(description: &str) -> String {
    let line = description.lines().next().unwrap_or_default().trim();
    let mut out: String = line.chars().take(120).collect();
    if line.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// Heads as stored: hex hashes, sorted, separated by commas.
pub fn heads_text(heads: &[ChangeHash]) -> String {
    let mut hex: Vec<String> = heads.iter().map(ToString::to_string).collect();
    hex.sort();
    hex.join(",")
}

/// Computes the rows of a ticket from its document. `late_work` holds the items a former
/// responsible delivered after being replaced (see [`campo_shared::handover`], which reads them
/// from the Automerge history): they are flagged `tecnico_no_asignado` for the coordinator.
pub fn project(
    doc: &TicketDoc,
    late_work: &[String],
    heads: &[ChangeHash],
    policy: &SlaPolicy,
    calendar: &BusinessCalendar,
) -> Projection {
    let folded = workflow::fold(&doc.events);
    let equipment_events: Vec<CustodyMove> = custody::chain(doc)
        .into_iter()
        .map(|m| {
            let record = m.custody.cloned().unwrap_or(Custody {
                equipment: Vec::new(),
                from: String::new(),
                to: String::new(),
                place: String::new(),
                at: m.event.at,
                condition: String::new(),
            });
            CustodyMove {
                event: EquipmentEvent {
                    kind: m.kind,
                    at: m.event.at,
                },
                author_id: m.event.author.clone(),
                equipment: record.equipment,
                holder_from: record.from,
                holder_to: record.to,
                place: record.place,
                condition: record.condition,
            }
        })
        .collect();
    let request = &doc.request;
    let count = |kind: EventKind| doc.events.iter().filter(|e| e.kind == kind).count() as i64;
    // The clock of an open pause runs up to the last thing that happened, so that the deadline
    // depends on the document alone.
    let last_at = doc.events.iter().map(|e| e.at).max().unwrap_or_default();
    let (response_due, resolution_due) = match (folded.priority, folded.triaged_at.and_then(utc)) {
        (Some(priority), Some(triaged)) => {
            let plain = sla::deadlines(policy, calendar, priority, triaged);
            let resolution = match folded.resolution_due_override {
                Some(fixed) => fixed,
                None => sla::resolution_due_with_pauses(
                    policy,
                    calendar,
                    priority,
                    triaged,
                    &folded.absent_pauses(),
                    utc(last_at).unwrap_or(triaged),
                )
                .timestamp_millis(),
            };
            (
                Some(plain.response_due.timestamp_millis()),
                Some(resolution),
            )
        }
        _ => (None, None),
    };
    let mut flag_kinds: Vec<&str> = folded.flags.iter().map(|f| f.kind.as_str()).collect();
    // Late work the fold did not flag already (an event after the replacement by its device's
    // clock is flagged there; a visit or comment, or an event timed before it, only here).
    let late_unflagged = late_work
        .iter()
        .filter(|id| !folded.flags.iter().any(|f| f.event.to_string() == **id))
        .count();
    let no_longer_assigned = FlagKind::NoLongerAssigned.as_str();
    if late_unflagged > 0 && !flag_kinds.contains(&no_longer_assigned) {
        flag_kinds.push(no_longer_assigned);
    }
    let ticket = TicketProjection {
        requester_id: request.requester.id.clone(),
        requester_name: request.requester.name.clone(),
        dependencia: request.dependencia.clone(),
        location: request.location.clone(),
        channel: request.channel.as_str().to_owned(),
        external_ref: request.external_ref.clone(),
        category: request.category.clone(),
        summary: summary(&request.description),
        state: folded.state.as_str().to_owned(),
        priority: folded.priority.map(|p| p.as_str().to_owned()),
        mode: folded.mode.map(|m| m.as_str().to_owned()),
        assignee_id: folded.assignee.as_ref().map(|p| p.id.clone()),
        assignee_name: folded.assignee.as_ref().map(|p| p.name.clone()),
        registered_by: folded.registered_by.clone(),
        flags: (folded.flags.len() + late_unflagged) as i64,
        flag_kinds: flag_kinds.join(","),
        created_at: folded
            .registered_at
            .or_else(|| doc.events.iter().map(|e| e.at).min())
            .unwrap_or_default(),
        triaged_at: folded.triaged_at,
        responded_at: folded.responded_at,
        response_due,
        resolution_due,
        resolved_at: folded.resolved_at,
        resolution: folded.resolution.map(|r| {
            match r {
                Resolution::OnSite => "on_site",
                Resolution::Phone => "phone",
            }
            .to_owned()
        }),
        closed_at: folded.closed_at,
        cancelled_at: folded.cancelled_at,
        next_visit_at: folded.next_visit_at,
        visits: i64::from(folded.visits),
        absent_visits: i64::from(folded.absent_visits),
        workshop_sends: count(EventKind::SentToWorkshop),
        contractor_sends: count(EventKind::SentToContractor),
        equipment_returns: count(EventKind::EquipmentReturned),
        reopened: i64::from(folded.reopened),
        duplicate_of: folded.duplicate_of.clone(),
        report_summary: doc.report.as_ref().map(|r| r.summary.clone()),
        survey_at: doc.survey.as_ref().map(|s| s.answered_at),
        survey_channel: doc.survey.as_ref().map(|s| s.channel.as_str().to_owned()),
        survey_timeliness: doc.survey.as_ref().map(|s| i64::from(s.answers.timeliness)),
        survey_treatment: doc.survey.as_ref().map(|s| i64::from(s.answers.treatment)),
        survey_solution: doc.survey.as_ref().map(|s| i64::from(s.answers.solution)),
        heads: heads_text(heads),
    };
    let mut visits: Vec<VisitProjection> = doc
        .visits
        .iter()
        .map(|v| VisitProjection {
            visit_id: v.id.to_string(),
            technician_id: v.technician.clone(),
            started_at: v.started_at,
            ended_at: v.ended_at,
            user_present: v.user_present,
            evidence: v.evidence.len() as i64,
            outcome: v.outcome.map(|o| o.as_str().to_owned()),
            next_visit_at: v.next_visit_at,
        })
        .collect();
    visits.sort_by(|a, b| a.visit_id.cmp(&b.visit_id));
    visits.dedup_by(|a, b| a.visit_id == b.visit_id);
    let mut equipment: Vec<String> = request.equipment.clone();
    for visit in &doc.visits {
        equipment.extend(visit.equipment.iter().cloned());
        if let Some(custody) = &visit.custody {
            equipment.extend(custody.equipment.iter().cloned());
        }
    }
    for event in &doc.events {
        if let Some(custody) = &event.data.custody {
            equipment.extend(custody.equipment.iter().cloned());
        }
    }
    equipment.sort();
    equipment.dedup();
    let mut blobs: Vec<String> = doc.photos().map(str::to_owned).collect();
    blobs.sort();
    blobs.dedup();
    Projection {
        ticket,
        visits,
        absences: folded.absent_intervals.clone(),
        equipment_events,
        equipment,
        blobs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use campo_shared::schema::{Channel, Event, EventData, Person, Request};
    use campo_shared::sla::Priority;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn absences_and_accepted_equipment_events_are_projected_with_their_times() {
        // Monday 2 March 2026, 08:00 in Bogota.
        let t0 = 1_772_456_400_000;
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
        let co = |kind, hours: i64| Event::new(kind, t0 + hours * HOUR, "u-co", Role::Coordinador);
        let te = |kind, hours: i64| Event::new(kind, t0 + hours * HOUR, "u-te", Role::Tecnico);
        let mut doc = TicketDoc::new(request, co(EventKind::Registered, 0));
        doc.events.extend([
            co(EventKind::Prioritized, 1).with_data(EventData {
                priority: Some(Priority::Media),
                ..EventData::default()
            }),
            co(EventKind::Assigned, 2).with_data(EventData {
                assignee: Some(Person {
                    id: "u-te".into(),
                    name: "Técnica".into(),
                }),
                ..EventData::default()
            }),
            te(EventKind::VisitStarted, 3),
            te(EventKind::UserAbsent, 4),
            te(EventKind::VisitStarted, 24),
            te(EventKind::SentToWorkshop, 25),
            te(EventKind::EquipmentReturned, 48),
            // Not valid once the equipment is back: flagged, and not a return.
            te(EventKind::EquipmentReturned, 49),
        ]);
        let sla = Sla::default();
        let p = project(&doc, &[], &[], &sla.policy, &sla.calendar);
        assert_eq!(p.ticket.flags, 1);
        assert_eq!(
            p.absences,
            [Interval {
                start: t0 + 4 * HOUR,
                end: Some(t0 + 24 * HOUR),
            }]
        );
        assert_eq!(
            p.equipment_events
                .iter()
                .map(|m| m.event)
                .collect::<Vec<_>>(),
            [
                EquipmentEvent {
                    kind: EventKind::SentToWorkshop,
                    at: t0 + 25 * HOUR,
                },
                EquipmentEvent {
                    kind: EventKind::EquipmentReturned,
                    at: t0 + 48 * HOUR,
                },
            ]
        );
    }
}
