//! The projection: each ticket document as SQL rows (the ticket, its visits, the equipment and
//! photos it names) — what lists, the dispatch board, the reports and the access rules read.
//!
//! [`project`] is a pure function of the document and the SLA policy, so the rows written when a
//! change is accepted and the rows `campo reproject` rebuilds are the same. Times come from the
//! document (device time of each event), never from the server's clock; the one exception,
//! `updated_at`, records when the server last accepted a change and is kept by `reproject`.

use automerge::ChangeHash;
use campo_shared::calendar::{BusinessCalendar, Closure};
use campo_shared::custody;
use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{Custody, TicketDoc};
use campo_shared::sla::{self, PolicyVersion, SlaPolicy};
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
    /// When the coordinators are warned that the response deadline is near; `None` once the
    /// case was taken in charge (or ended), so a value means the clock runs.
    pub response_warn_at: Option<i64>,
    /// The same for the resolution deadline; `None` before triage and once resolved or ended.
    pub resolution_warn_at: Option<i64>,
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

/// One version of the SLA policy with the business calendar it runs on.
#[derive(Debug, Clone)]
pub struct SlaVersion {
    /// When it took effect (ms since the epoch); the first version applies to everything before.
    pub effective_from: i64,
    pub policy: SlaPolicy,
    pub calendar: BusinessCalendar,
}

/// Every version of the SLA policy and the office's closures: a case is measured with the version
/// in force when it was received, on a calendar that knows the closures.
#[derive(Debug, Clone)]
pub struct Sla {
    /// Sorted by `effective_from`, never empty.
    versions: Vec<SlaVersion>,
    closures: Vec<Closure>,
}

impl Default for Sla {
    fn default() -> Self {
        Self::new(SlaPolicy::default()).expect("the default policy is valid")
    }
}

impl Sla {
    /// One policy for every case, no closures.
    pub fn new(policy: SlaPolicy) -> anyhow::Result<Self> {
        Self::with_history(
            vec![PolicyVersion {
                effective_from: 0,
                policy,
            }],
            Vec::new(),
        )
    }

    /// The stored versions (the defaults when there is none) and closures (already checked).
    pub fn with_history(
        mut versions: Vec<PolicyVersion>,
        closures: Vec<Closure>,
    ) -> anyhow::Result<Self> {
        versions.sort_by_key(|v| v.effective_from);
        // Before the first version, the defaults were in force.
        if versions.first().is_none_or(|v| v.effective_from > 0) {
            versions.insert(
                0,
                PolicyVersion {
                    effective_from: 0,
                    policy: SlaPolicy::default(),
                },
            );
        }
        let versions = versions
            .into_iter()
            .map(|v| {
                let calendar = v.policy.calendar()?.with_closures(&closures);
                Ok(SlaVersion {
                    effective_from: v.effective_from,
                    policy: v.policy,
                    calendar,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { versions, closures })
    }

    /// The version in force at `received_at`.
    pub fn at(&self, received_at: i64) -> &SlaVersion {
        let later = self
            .versions
            .partition_point(|v| v.effective_from <= received_at);
        &self.versions[later.saturating_sub(1)]
    }

    /// The version in force now (the newest).
    pub fn current(&self) -> &SlaVersion {
        self.versions.last().expect("never empty")
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> &[SlaVersion] {
        &self.versions
    }

    /// The office's closures, by date.
    pub fn closures(&self) -> &[Closure] {
        &self.closures
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
    sla: &Sla,
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
    let created_at = folded
        .registered_at
        .or_else(|| doc.events.iter().map(|e| e.at).min())
        .unwrap_or_default();
    let version = sla.at(created_at);
    let clocks = clocks(
        &folded,
        version,
        created_at,
        doc.events.iter().map(|e| e.at).max(),
    );
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
        created_at,
        triaged_at: folded.triaged_at,
        responded_at: folded.responded_at,
        response_due: clocks.response_due,
        resolution_due: clocks.resolution_due,
        response_warn_at: clocks.response_warn_at,
        resolution_warn_at: clocks.resolution_warn_at,
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

/// A case's two clocks, in ms since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Clocks {
    response_due: Option<i64>,
    resolution_due: Option<i64>,
    response_warn_at: Option<i64>,
    resolution_warn_at: Option<i64>,
}

/// Both clocks start when the case was received (`created_at`), on the policy `version` in force
/// then. The response deadline exists from reception (the reception target until a priority is
/// set); the resolution deadline once the priority is known, moved by the absent user's waits
/// when the policy pauses for them, or fixed by hand at triage. The clock of an open pause runs
/// up to the last thing that happened (`last_at`), so that the deadlines depend on the document
/// alone.
fn clocks(
    folded: &workflow::Folded,
    version: &SlaVersion,
    created_at: i64,
    last_at: Option<i64>,
) -> Clocks {
    let (policy, calendar) = (&version.policy, &version.calendar);
    let Some(received) = utc(created_at) else {
        return Clocks::default();
    };
    let ended =
        folded.resolved_at.is_some() || folded.closed_at.is_some() || folded.cancelled_at.is_some();
    let response_due = match folded.priority {
        Some(priority) => sla::deadlines(policy, calendar, priority, received).response_due,
        None => sla::reception_due(policy, calendar, received),
    };
    let resolution_due =
        folded.priority.map(
            |priority| match folded.resolution_due_override.and_then(utc) {
                Some(fixed) => fixed,
                None => sla::resolution_due_with_pauses(
                    policy,
                    calendar,
                    priority,
                    received,
                    &folded.absent_pauses(),
                    last_at.and_then(utc).unwrap_or(received),
                ),
            },
        );
    let warn = |due| sla::warn_at(policy, calendar, received, due).timestamp_millis();
    Clocks {
        response_due: Some(response_due.timestamp_millis()),
        resolution_due: resolution_due.map(|d| d.timestamp_millis()),
        response_warn_at: (folded.responded_at.is_none() && !ended).then(|| warn(response_due)),
        resolution_warn_at: resolution_due.filter(|_| !ended).map(warn),
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
        let p = project(&doc, &[], &[], &sla);
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

    fn request() -> Request {
        Request {
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
            equipment: vec![],
            photos: Vec::new(),
        }
    }

    /// Monday 2 March 2026 at `h:m` in Bogota, plus `days`.
    fn monday(days: i64, h: i64, m: i64) -> i64 {
        1_772_456_400_000 + days * 24 * HOUR + (h - 8) * HOUR + m * 60_000
    }

    fn received_at(at: i64, triage: Option<(i64, Priority)>) -> TicketDoc {
        let co = |kind, at| Event::new(kind, at, "u-co", Role::Coordinador);
        let mut doc = TicketDoc::new(request(), co(EventKind::Registered, at));
        if let Some((at, priority)) = triage {
            doc.events
                .push(co(EventKind::Prioritized, at).with_data(EventData {
                    priority: Some(priority),
                    ..EventData::default()
                }));
        }
        doc
    }

    #[test]
    fn both_clocks_run_from_reception_with_the_policy_in_force_then() {
        let mut faster = SlaPolicy::default();
        faster.targets.alta.response_minutes = 120;
        faster.targets.alta.resolution_minutes = 960;
        let versions = vec![
            PolicyVersion {
                effective_from: 0,
                policy: SlaPolicy::default(),
            },
            // A new version from Monday 10:00.
            PolicyVersion {
                effective_from: monday(0, 10, 0),
                policy: faster,
            },
        ];
        let sla = Sla::with_history(versions.clone(), Vec::new()).unwrap();

        // Received at 09:00, before the change, not triaged yet: the reception target (two
        // business hours) runs, warned at 75 %, and there is no resolution deadline yet.
        let a = project(&received_at(monday(0, 9, 0), None), &[], &[], &sla).ticket;
        assert_eq!(a.response_due, Some(monday(0, 11, 0)));
        assert_eq!(a.response_warn_at, Some(monday(0, 10, 30)));
        assert_eq!((a.resolution_due, a.resolution_warn_at), (None, None));

        // Triaged «alta» at 11:30: both clocks still count from 09:00, with the first policy
        // (respond in 1 h, resolve in 8 business hours: Monday 09–12 and 14–18, Tuesday 08–09).
        let a = received_at(monday(0, 9, 0), Some((monday(0, 11, 30), Priority::Alta)));
        let p = project(&a, &[], &[], &sla).ticket;
        assert_eq!(p.response_due, Some(monday(0, 10, 0)));
        assert_eq!(p.response_warn_at, Some(monday(0, 9, 45)));
        assert_eq!(p.resolution_due, Some(monday(1, 9, 0)));

        // Received the same day at 11:00, after the change: the new version, across lunch.
        let b = received_at(monday(0, 11, 0), Some((monday(0, 11, 5), Priority::Alta)));
        let p = project(&b, &[], &[], &sla).ticket;
        assert_eq!(p.response_due, Some(monday(0, 15, 0)));
        assert_eq!(p.response_warn_at, Some(monday(0, 14, 30)));
        // 960 minutes: Monday 300, Tuesday 480, Wednesday 08:00–11:00.
        assert_eq!(p.resolution_due, Some(monday(2, 11, 0)));

        // The office closed on Tuesday by decree: a day later.
        let closed = Sla::with_history(
            versions,
            vec![Closure {
                date: chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
                hours: vec![],
                reason: "Día cívico".into(),
            }],
        )
        .unwrap();
        let p = project(&b, &[], &[], &closed).ticket;
        assert_eq!(p.resolution_due, Some(monday(3, 11, 0)));

        // Once taken in charge the response clock stops; once resolved, the resolution clock.
        let mut taken = b.clone();
        taken.events.push(
            Event::new(
                EventKind::Assigned,
                monday(0, 12, 0),
                "u-co",
                Role::Coordinador,
            )
            .with_data(EventData {
                assignee: Some(Person {
                    id: "u-te".into(),
                    name: "Técnica".into(),
                }),
                ..EventData::default()
            }),
        );
        let p = project(&taken, &[], &[], &sla).ticket;
        assert_eq!(p.response_warn_at, None);
        assert!(p.resolution_warn_at.is_some());
        taken.events.push(
            Event::new(
                EventKind::ResolvedByPhone,
                monday(0, 13, 0),
                "u-co",
                Role::Coordinador,
            )
            .with_data(EventData {
                reason: Some("Por teléfono".into()),
                ..EventData::default()
            }),
        );
        let p = project(&taken, &[], &[], &sla).ticket;
        assert_eq!((p.response_warn_at, p.resolution_warn_at), (None, None));
        assert_eq!(p.resolution_due, Some(monday(2, 11, 0)));
    }
}
