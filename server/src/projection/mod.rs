//! The projection: each ticket document as SQL rows (the ticket, its visits, the equipment and
//! photos it names) — what lists, the dispatch board, the reports and the access rules read.
//!
//! [`project`] is a pure function of the document and the SLA policy, so the rows written when a
//! change is accepted and the rows `campo reproject` rebuilds are the same. Times come from the
//! document (device time of each event), never from the server's clock; the one exception,
//! `updated_at`, records when the server last accepted a change and is kept by `reproject`.

pub mod reproject;

use automerge::ChangeHash;
use campo_shared::calendar::BusinessCalendar;
use campo_shared::role::Role;
use campo_shared::schema::TicketDoc;
use campo_shared::sla::{self, SlaPolicy};
use campo_shared::workflow::{self, EventKind, Resolution, utc};
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

/// All the rows of one ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    pub ticket: TicketProjection,
    pub visits: Vec<VisitProjection>,
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
    /// The policy in force: the stored one, or the defaults.
    pub async fn load(store: &crate::store::Store) -> anyhow::Result<Self> {
        let policy: SlaPolicy = store
            .setting(crate::api::settings::SLA_SETTING)
            .await?
            .unwrap_or_default();
        Self::new(policy)
    }

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

/// Computes the rows of a ticket from its document.
pub fn project(
    doc: &TicketDoc,
    heads: &[ChangeHash],
    policy: &SlaPolicy,
    calendar: &BusinessCalendar,
) -> Projection {
    let folded = workflow::fold(&doc.events);
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
    let flag_kinds: Vec<&str> = folded.flags.iter().map(|f| f.kind.as_str()).collect();
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
        flags: folded.flags.len() as i64,
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
        if let Some(custody) = &visit.custody {
            equipment.extend(custody.equipment.iter().cloned());
        }
    }
    equipment.sort();
    equipment.dedup();
    let mut blobs: Vec<String> = request.photos.clone();
    for visit in &doc.visits {
        blobs.extend(visit.evidence.iter().map(|p| p.sha256.clone()));
    }
    blobs.sort();
    blobs.dedup();
    Projection {
        ticket,
        visits,
        equipment,
        blobs,
    }
}
