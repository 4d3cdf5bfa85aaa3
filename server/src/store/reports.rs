//! What the monthly report reads from the projection: the tickets relevant to a period (and to
//! the period it is compared with), with their visits, equipment codes, absences and equipment
//! events.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Result, Store, with_pool};
use campo_shared::event_kind::EventKind;
use campo_shared::workflow::Interval;

use crate::projection::EquipmentEvent;

/// Filters of the report; `None` means any.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportFilters {
    pub dependencia: Option<String>,
    pub category: Option<String>,
    pub channel: Option<String>,
    /// The responsible (technician or contractor) user id.
    pub assignee: Option<String>,
    pub priority: Option<String>,
}

/// A ticket as the report reads it: its projection row, its visits and its equipment codes. What
/// the report derives from it alone is in [`crate::reports::ticket`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportTicket {
    pub id: String,
    pub number: String,
    pub requester_name: String,
    /// Code of the dependencia.
    pub dependencia: Option<String>,
    /// Its name (from the `dependencias` table).
    pub dependencia_name: Option<String>,
    pub channel: String,
    pub category: String,
    pub summary: String,
    pub state: String,
    pub priority: Option<String>,
    pub mode: Option<String>,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    pub assignee_role: Option<String>,
    pub created_at: i64,
    pub triaged_at: Option<i64>,
    pub responded_at: Option<i64>,
    pub response_due: Option<i64>,
    pub resolution_due: Option<i64>,
    pub resolved_at: Option<i64>,
    /// `on_site` or `phone`.
    pub resolution: Option<String>,
    pub closed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub visits: i64,
    pub absent_visits: i64,
    pub workshop_sends: i64,
    pub contractor_sends: i64,
    pub equipment_returns: i64,
    pub reopened: i64,
    pub report_summary: Option<String>,
    pub survey_at: Option<i64>,
    pub survey_timeliness: Option<i64>,
    pub survey_treatment: Option<i64>,
    pub survey_solution: Option<i64>,
    /// Equipment codes the ticket names.
    pub equipment: Vec<String>,
    /// Its visits, in start order.
    pub visit_log: Vec<ReportVisit>,
    /// The times it waited for an absent user, in order.
    pub absences: Vec<Interval>,
    /// Its equipment's trips to the workshop or the contractor and back, in order.
    pub equipment_events: Vec<EquipmentEvent>,
}

/// One visit of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportVisit {
    pub technician_id: String,
    pub started_at: i64,
    pub user_present: bool,
}

#[derive(sqlx::FromRow)]
struct TicketRecord {
    id: String,
    number: String,
    requester_name: String,
    dependencia: Option<String>,
    dependencia_name: Option<String>,
    channel: String,
    category: String,
    summary: String,
    state: String,
    priority: Option<String>,
    mode: Option<String>,
    assignee_id: Option<String>,
    assignee_name: Option<String>,
    assignee_role: Option<String>,
    created_at: i64,
    triaged_at: Option<i64>,
    responded_at: Option<i64>,
    response_due: Option<i64>,
    resolution_due: Option<i64>,
    resolved_at: Option<i64>,
    resolution: Option<String>,
    closed_at: Option<i64>,
    cancelled_at: Option<i64>,
    visits: i64,
    absent_visits: i64,
    workshop_sends: i64,
    contractor_sends: i64,
    equipment_returns: i64,
    reopened: i64,
    report_summary: Option<String>,
    survey_at: Option<i64>,
    survey_timeliness: Option<i64>,
    survey_treatment: Option<i64>,
    survey_solution: Option<i64>,
}

/// The tickets a period needs, as the condition on `tickets t`: created before its end and either
/// created in it, still open, or done in it or later. (A superset of
/// [`crate::reports::figures::relevant`]: the figures filter precisely.) `$1` is the start, `$2`
/// the end, `$3`–`$7` the filters.
///
/// Written as one alternative per index of migration 0006 (`tickets_created`, `tickets_open`,
/// `tickets_resolved`, `tickets_closed`, `tickets_cancelled`), each repeating `created_at < $2`,
/// so that SQLite reads only those index ranges (its "multi-index OR") and PostgreSQL combines
/// them in a bitmap, instead of reading every ticket created before the end.
const SELECTED: &str = "((t.created_at >= $1 and t.created_at < $2)
            or (t.resolved_at is null and t.closed_at is null and t.cancelled_at is null
                and t.created_at < $2)
            or (t.resolved_at >= $1 and t.created_at < $2)
            or (t.closed_at >= $1 and t.created_at < $2)
            or (t.cancelled_at >= $1 and t.created_at < $2))
       and ($3 is null or t.dependencia = $3)
       and ($4 is null or t.category = $4)
       and ($5 is null or t.channel = $5)
       and ($6 is null or t.assignee_id = $6)
       and ($7 is null or t.priority = $7)";

impl Store {
    /// The tickets relevant to `[start, end)` (ms, UTC) that match `filters`, with their visits
    /// (in start order), equipment codes (sorted), absences and equipment events (in order). Pass the start of the previous period to
    /// compute the comparison from the same rows.
    #[tracing::instrument(skip_all, fields(start, end))]
    pub async fn report_tickets(
        &self,
        start: i64,
        end: i64,
        filters: &ReportFilters,
    ) -> Result<Vec<ReportTicket>> {
        // No `order by`: sorting the few thousand rows here is cheaper than asking the database
        // to sort what it read through several indexes. The related rows are found by the
        // tickets' ids (`in (select …)`, one pass over the primary keys) and the five queries run
        // at once on separate connections.
        let tickets_sql = format!(
            "select t.id, t.number, t.requester_name, t.dependencia, d.name as dependencia_name,
                    t.channel, t.category, t.summary, t.state, t.priority, t.mode, t.assignee_id,
                    t.assignee_name, t.assignee_role, t.created_at, t.triaged_at, t.responded_at,
                    t.response_due, t.resolution_due, t.resolved_at, t.resolution, t.closed_at,
                    t.cancelled_at, t.visits, t.absent_visits, t.workshop_sends,
                    t.contractor_sends, t.equipment_returns, t.reopened, t.report_summary,
                    t.survey_at, t.survey_timeliness, t.survey_treatment, t.survey_solution
             from tickets t left join dependencias d on d.code = t.dependencia
             where {SELECTED}"
        );
        let selected_ids = format!("select t.id from tickets t where {SELECTED}");
        let visits_sql = format!(
            "select ticket_id, visit_id, technician_id, started_at, user_present
             from ticket_visits where ticket_id in ({selected_ids})"
        );
        let equipment_sql = format!(
            "select ticket_id, code from ticket_equipment where ticket_id in ({selected_ids})"
        );
        let absences_sql = format!(
            "select ticket_id, seq, started_at, ended_at
             from ticket_absences where ticket_id in ({selected_ids})"
        );
        let events_sql = format!(
            "select ticket_id, seq, kind, at
             from ticket_equipment_events where ticket_id in ({selected_ids})"
        );
        let f = filters;
        let (records, mut visits, mut equipment, mut absences, mut events) = with_pool!(self, pool => {
            // The same seven parameters for every query.
            macro_rules! fetch {
                ($row:ty, $sql:expr) => {
                    sqlx::query_as::<_, $row>($sql)
                        .bind(start)
                        .bind(end)
                        .bind(f.dependencia.as_deref())
                        .bind(f.category.as_deref())
                        .bind(f.channel.as_deref())
                        .bind(f.assignee.as_deref())
                        .bind(f.priority.as_deref())
                        .fetch_all(pool)
                };
            }
            tokio::try_join!(
                fetch!(TicketRecord, &tickets_sql),
                fetch!((String, String, String, i64, bool), &visits_sql),
                fetch!((String, String), &equipment_sql),
                fetch!((String, i64, i64, Option<i64>), &absences_sql),
                fetch!((String, i64, String, i64), &events_sql),
            )
        })?;
        let mut tickets: Vec<ReportTicket> = records.into_iter().map(ReportTicket::from).collect();
        tickets.sort_unstable_by(|a, b| (a.created_at, &a.number).cmp(&(b.created_at, &b.number)));
        let index: HashMap<String, usize> = tickets
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        // Each ticket's rows in order: visits by start, codes sorted, the rest by sequence.
        visits.sort_unstable_by(|a, b| (&a.0, a.3, &a.1).cmp(&(&b.0, b.3, &b.1)));
        equipment.sort_unstable();
        absences.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        events.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        for (ticket_id, _, technician_id, started_at, user_present) in visits {
            if let Some(&i) = index.get(&ticket_id) {
                tickets[i].visit_log.push(ReportVisit {
                    technician_id,
                    started_at,
                    user_present,
                });
            }
        }
        for (ticket_id, code) in equipment {
            if let Some(&i) = index.get(&ticket_id) {
                tickets[i].equipment.push(code);
            }
        }
        for (ticket_id, _, start, end) in absences {
            if let Some(&i) = index.get(&ticket_id) {
                tickets[i].absences.push(Interval { start, end });
            }
        }
        for (ticket_id, _, kind, at) in events {
            let (Some(&i), Ok(kind)) = (index.get(&ticket_id), kind.parse::<EventKind>()) else {
                continue;
            };
            tickets[i]
                .equipment_events
                .push(EquipmentEvent { kind, at });
        }
        Ok(tickets)
    }
}

impl From<TicketRecord> for ReportTicket {
    fn from(r: TicketRecord) -> Self {
        Self {
            id: r.id,
            number: r.number,
            requester_name: r.requester_name,
            dependencia: r.dependencia,
            dependencia_name: r.dependencia_name,
            channel: r.channel,
            category: r.category,
            summary: r.summary,
            state: r.state,
            priority: r.priority,
            mode: r.mode,
            assignee_id: r.assignee_id,
            assignee_name: r.assignee_name,
            assignee_role: r.assignee_role,
            created_at: r.created_at,
            triaged_at: r.triaged_at,
            responded_at: r.responded_at,
            response_due: r.response_due,
            resolution_due: r.resolution_due,
            resolved_at: r.resolved_at,
            resolution: r.resolution,
            closed_at: r.closed_at,
            cancelled_at: r.cancelled_at,
            visits: r.visits,
            absent_visits: r.absent_visits,
            workshop_sends: r.workshop_sends,
            contractor_sends: r.contractor_sends,
            equipment_returns: r.equipment_returns,
            reopened: r.reopened,
            report_summary: r.report_summary,
            survey_at: r.survey_at,
            survey_timeliness: r.survey_timeliness,
            survey_treatment: r.survey_treatment,
            survey_solution: r.survey_solution,
            equipment: Vec::new(),
            visit_log: Vec::new(),
            absences: Vec::new(),
            equipment_events: Vec::new(),
        }
    }
}
