//! Reading the projection: tickets, their visits and equipment, the audit, and who may read what.

use serde::Serialize;

use super::{Result, Store, with_pool};

/// A ticket's row in the projection (see `migrations/*/0004_projection.sql`).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TicketRow {
    pub id: String,
    pub number: String,
    pub requester_id: Option<String>,
    pub requester_name: String,
    pub dependencia: Option<String>,
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
    pub assignee_role: Option<String>,
    pub registered_by: Option<String>,
    pub flags: i64,
    pub flag_kinds: String,
    pub created_at: i64,
    pub triaged_at: Option<i64>,
    pub responded_at: Option<i64>,
    pub response_due: Option<i64>,
    pub resolution_due: Option<i64>,
    /// When the response deadline is near (the warning); `None` once that clock stopped.
    pub response_warn_at: Option<i64>,
    /// When the resolution deadline is near; `None` before triage and once that clock stopped.
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
    pub updated_at: i64,
    /// Since when its equipment is out (the last move's time), while the ticket is in the
    /// workshop or with the contractor.
    pub custody_since: Option<i64>,
}

pub(crate) const TICKET_COLUMNS: &str =
    "id, number, requester_id, requester_name, dependencia, location,
    channel, external_ref, category, summary, state, priority, mode, assignee_id, assignee_name,
    assignee_role, registered_by, flags, flag_kinds, created_at, triaged_at, responded_at,
    response_due, resolution_due, response_warn_at, resolution_warn_at, resolved_at, resolution,
    closed_at, cancelled_at, next_visit_at, visits, absent_visits, workshop_sends, contractor_sends, equipment_returns, reopened,
    duplicate_of, report_summary, survey_at, survey_channel, survey_timeliness, survey_treatment,
    survey_solution, heads, updated_at,
    case when state in ('en_taller', 'con_contratista')
         then (select max(e.at) from ticket_equipment_events e where e.ticket_id = tickets.id)
    end as custody_since";

/// One visit's row.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct VisitRow {
    pub visit_id: String,
    pub technician_id: String,
    pub technician_name: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub user_present: bool,
    pub evidence: i64,
    pub outcome: Option<String>,
    pub next_visit_at: Option<i64>,
}

/// One accepted change in the audit.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    pub hash: String,
    pub actor: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub full_name: Option<String>,
    pub device: String,
    pub received_at: i64,
}

/// Who is reading: decides which tickets a list shows.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub user_id: &'a str,
    /// `coordinador`, `funcionario`, `tecnico` or `contratista`.
    pub role: &'a str,
}

/// Filters of a ticket list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub state: Option<String>,
    pub assignee_id: Option<String>,
    pub dependencia: Option<String>,
    pub priority: Option<String>,
    pub channel: Option<String>,
    /// Only tickets not closed nor cancelled.
    pub open: bool,
    pub limit: i64,
    pub offset: i64,
}

/// The access rule of [`crate::projection::Audience::may_read`] as SQL, for the viewer bound to
/// `$1` (user id) and `$2` (role).
const VISIBLE: &str = "($2 = 'coordinador'
     or ($2 = 'funcionario' and requester_id = $1)
     or ($2 in ('tecnico', 'contratista')
         and (assignee_id = $1 or (assignee_id is null and registered_by = $1))))";

impl Store {
    /// One ticket's row.
    pub async fn ticket(&self, id: &str) -> Result<Option<TicketRow>> {
        let sql = format!("select {TICKET_COLUMNS} from tickets where id = $1");
        with_pool!(self, pool => {
            sqlx::query_as::<_, TicketRow>(&sql).bind(id).fetch_optional(pool).await
        })
    }

    /// The ticket with a human number.
    pub async fn ticket_by_number(&self, number: &str) -> Result<Option<TicketRow>> {
        let sql = format!("select {TICKET_COLUMNS} from tickets where number = $1");
        with_pool!(self, pool => {
            sqlx::query_as::<_, TicketRow>(&sql).bind(number).fetch_optional(pool).await
        })
    }

    /// The tickets `viewer` may read, newest first, filtered and paged.
    pub async fn list_tickets(
        &self,
        viewer: Viewer<'_>,
        filter: &TicketFilter,
    ) -> Result<Vec<TicketRow>> {
        let sql = format!(
            "select {TICKET_COLUMNS} from tickets
             where {VISIBLE}
               and ($3 is null or state = $3)
               and ($4 is null or assignee_id = $4)
               and ($5 is null or dependencia = $5)
               and ($6 is null or priority = $6)
               and ($7 is null or channel = $7)
               and ($8 = 0 or state not in ('cerrada', 'anulada'))
             order by created_at desc, id
             limit $9 offset $10"
        );
        with_pool!(self, pool => {
            sqlx::query_as::<_, TicketRow>(&sql)
                .bind(viewer.user_id)
                .bind(viewer.role)
                .bind(&filter.state)
                .bind(&filter.assignee_id)
                .bind(&filter.dependencia)
                .bind(&filter.priority)
                .bind(&filter.channel)
                .bind(i64::from(filter.open))
                .bind(filter.limit)
                .bind(filter.offset)
                .fetch_all(pool)
                .await
        })
    }

    /// Every ticket's row, by number (for `reproject` checks and the demo).
    pub async fn all_tickets(&self) -> Result<Vec<TicketRow>> {
        let sql = format!("select {TICKET_COLUMNS} from tickets order by number");
        with_pool!(self, pool => {
            sqlx::query_as::<_, TicketRow>(&sql).fetch_all(pool).await
        })
    }

    /// Number of registered tickets (used by `campo demo` to load its tickets only once).
    pub async fn count_tickets(&self) -> Result<i64> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>("select count(*) from tickets").fetch_one(pool).await
        })
    }

    /// A ticket's visits, in the order they started.
    pub async fn ticket_visits(&self, id: &str) -> Result<Vec<VisitRow>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, VisitRow>(
                "select v.visit_id, v.technician_id, u.full_name as technician_name,
                        v.started_at, v.ended_at, v.user_present, v.evidence, v.outcome,
                        v.next_visit_at
                 from ticket_visits v left join users u on u.id = v.technician_id
                 where v.ticket_id = $1 order by v.started_at, v.visit_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await
        })
    }

    /// Equipment codes a ticket names.
    pub async fn ticket_equipment(&self, id: &str) -> Result<Vec<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar(
                "select code from ticket_equipment where ticket_id = $1 order by code",
            )
            .bind(id)
            .fetch_all(pool)
            .await
        })
    }

    /// Tickets naming an equipment code, newest first.
    pub async fn tickets_for_equipment(&self, code: &str) -> Result<Vec<TicketRow>> {
        let sql = format!(
            "select {TICKET_COLUMNS} from tickets
             where id in (select ticket_id from ticket_equipment where code = $1)
             order by created_at desc"
        );
        with_pool!(self, pool => {
            sqlx::query_as::<_, TicketRow>(&sql).bind(code).fetch_all(pool).await
        })
    }

    /// The accepted changes of a document, oldest first, with who delivered them.
    pub async fn ticket_history(&self, id: &str) -> Result<Vec<AuditRow>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, AuditRow>(
                "select a.hash, a.actor, a.user_id, u.username, u.full_name, a.device,
                        a.received_at
                 from change_audit a left join users u on u.id = a.user_id
                 where a.document_id = $1 order by a.received_at, a.hash",
            )
            .bind(id)
            .fetch_all(pool)
            .await
        })
    }

    /// Whether `viewer` may read a ticket that references the photo `sha256`.
    /// Whether `viewer` may cite the photo `sha256` in a ticket: it is not on the server yet (a
    /// phone may sync a visit before its photos; only who holds the bytes can name it), or the
    /// viewer uploaded it, or the viewer may read a ticket that holds it. Citing a photo grants
    /// its readers access, so nobody reaches a photo by naming its hash.
    pub async fn may_cite_blob(&self, viewer: Viewer<'_>, sha256: &str) -> Result<bool> {
        let sql = format!(
            "select case
                 when not exists (select 1 from blobs where sha256 = $3) then 1
                 when exists (select 1 from blob_uploaders where sha256 = $3 and user_id = $1)
                     then 1
                 when exists (select 1 from tickets
                              where {VISIBLE}
                                and id in (select ticket_id from ticket_blobs where sha256 = $3))
                     then 1
                 else 0
             end"
        );
        let n: i32 = with_pool!(self, pool => {
            sqlx::query_scalar(&sql)
                .bind(viewer.user_id)
                .bind(viewer.role)
                .bind(sha256)
                .fetch_one(pool)
                .await
        })?;
        Ok(n > 0)
    }

    pub async fn blob_visible(&self, viewer: Viewer<'_>, sha256: &str) -> Result<bool> {
        let sql = format!(
            "select count(*) from tickets
             where {VISIBLE}
               and id in (select ticket_id from ticket_blobs where sha256 = $3)"
        );
        let n: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(&sql)
                .bind(viewer.user_id)
                .bind(viewer.role)
                .bind(sha256)
                .fetch_one(pool)
                .await
        })?;
        Ok(n > 0)
    }
}

/// Formats a human ticket number: `SAT-2026-000123`.
pub fn ticket_number(year: i32, seq: i64) -> String {
    format!("SAT-{year}-{seq:06}")
}
