//! Writing the projection: a stored change, its audit rows and the ticket's rows in one
//! transaction, so the projection never disagrees with what was acknowledged.

use chrono::Datelike;

use super::documents::ChunkKind;
use super::tickets::ticket_number;
use super::{Store, now_ms, with_pool, with_writer};
use crate::projection::Projection;

/// One change recorded in the audit.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// The change hash (hex).
    pub hash: String,
    /// Its Automerge actor (hex).
    pub actor: String,
}

/// A change to commit: the chunk that stores it, who delivered it, and the ticket's new rows.
pub struct CommitChange<'a> {
    pub doc_id: &'a str,
    pub kind: ChunkKind,
    pub data: &'a [u8],
    pub audit: &'a [AuditEntry],
    /// The user of the connection (or of the API call) that delivered the change.
    pub user_id: Option<&'a str>,
    /// Its device: the automerge-repo peer id, or `api`.
    pub device: &'a str,
    /// The ticket's rows after the change; `None` leaves the projection alone.
    pub projection: Option<&'a Projection>,
    /// The rows before, when known: unchanged visit, equipment and photo lists are not rewritten.
    pub previous: Option<&'a Projection>,
    /// The ticket's number, when the caller knows it is registered (saves reading it).
    pub number: Option<&'a str>,
}

/// What a commit wrote.
#[derive(Debug, Clone)]
pub struct Committed {
    pub chunk_id: i64,
    /// The ticket's number (given now if the ticket is new).
    pub number: Option<String>,
}

/// Writes the ticket's rows inside the transaction `$tx`. `$updated_at` is `Some(now)` for a
/// new change and `None` to keep the recorded time (reprojection). Evaluates to the number.
macro_rules! write_rows {
    ($tx:expr, $id:expr, $p:expr, $previous:expr, $known:expr, $updated_at:expr) => {{
        let id: &str = $id;
        let p: &Projection = $p;
        let previous: Option<&Projection> = $previous;
        let updated_at: Option<i64> = $updated_at;
        let t = &p.ticket;
        let known: Option<&str> = $known;
        let existing: Option<String> = match known {
            Some(number) => Some(number.to_owned()),
            None => {
                sqlx::query_scalar("select number from tickets where id = $1")
                    .bind(id)
                    .fetch_optional(&mut *$tx)
                    .await?
            }
        };
        let number = match existing {
            Some(number) => number,
            None => {
                let year = chrono::DateTime::from_timestamp_millis(t.created_at)
                    .map(|at| at.with_timezone(&campo_shared::calendar::bogota()).year())
                    .unwrap_or(1970);
                let seq: i64 = sqlx::query_scalar(
                    "insert into ticket_counters (year, last) values ($1, 1)
                     on conflict (year) do update set last = ticket_counters.last + 1
                     returning last",
                )
                .bind(i64::from(year))
                .fetch_one(&mut *$tx)
                .await?;
                ticket_number(year, seq)
            }
        };
        sqlx::query(
            "insert into tickets (
                id, number, requester_id, requester_name, dependencia, location, channel,
                external_ref, category, summary, state, priority, mode, assignee_id, assignee_name,
                assignee_role, registered_by, flags, flag_kinds, created_at, triaged_at,
                responded_at, response_due, resolution_due, resolved_at, resolution, closed_at,
                cancelled_at, next_visit_at, visits, absent_visits, workshop_sends,
                contractor_sends, equipment_returns, reopened, duplicate_of, report_summary,
                survey_at, survey_channel, survey_timeliness, survey_treatment, survey_solution,
                heads, updated_at)
             values (
                $1, $2, (select id from users where id = $3), $4,
                (select code from dependencias where code = $5), $6, $7, $8, $9, $10, $11, $12,
                $13, (select id from users where id = $14), $15,
                (select role from users where id = $14), $16, $17, $18, $19, $20, $21, $22, $23,
                $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39,
                $40, $41, $42, coalesce($43, $19))
             on conflict (id) do update set
                requester_id = excluded.requester_id, requester_name = excluded.requester_name,
                dependencia = excluded.dependencia, location = excluded.location,
                channel = excluded.channel, external_ref = excluded.external_ref,
                category = excluded.category, summary = excluded.summary,
                state = excluded.state, priority = excluded.priority, mode = excluded.mode,
                assignee_id = excluded.assignee_id, assignee_name = excluded.assignee_name,
                assignee_role = excluded.assignee_role, registered_by = excluded.registered_by,
                flags = excluded.flags, flag_kinds = excluded.flag_kinds,
                created_at = excluded.created_at, triaged_at = excluded.triaged_at,
                responded_at = excluded.responded_at, response_due = excluded.response_due,
                resolution_due = excluded.resolution_due, resolved_at = excluded.resolved_at,
                resolution = excluded.resolution, closed_at = excluded.closed_at,
                cancelled_at = excluded.cancelled_at, next_visit_at = excluded.next_visit_at,
                visits = excluded.visits, absent_visits = excluded.absent_visits,
                workshop_sends = excluded.workshop_sends,
                contractor_sends = excluded.contractor_sends,
                equipment_returns = excluded.equipment_returns, reopened = excluded.reopened,
                duplicate_of = excluded.duplicate_of, report_summary = excluded.report_summary,
                survey_at = excluded.survey_at, survey_channel = excluded.survey_channel,
                survey_timeliness = excluded.survey_timeliness,
                survey_treatment = excluded.survey_treatment,
                survey_solution = excluded.survey_solution, heads = excluded.heads,
                updated_at = coalesce($43, tickets.updated_at)",
        )
        .bind(id)
        .bind(&number)
        .bind(&t.requester_id)
        .bind(&t.requester_name)
        .bind(&t.dependencia)
        .bind(&t.location)
        .bind(&t.channel)
        .bind(&t.external_ref)
        .bind(&t.category)
        .bind(&t.summary)
        .bind(&t.state)
        .bind(&t.priority)
        .bind(&t.mode)
        .bind(&t.assignee_id)
        .bind(&t.assignee_name)
        .bind(&t.registered_by)
        .bind(t.flags)
        .bind(&t.flag_kinds)
        .bind(t.created_at)
        .bind(t.triaged_at)
        .bind(t.responded_at)
        .bind(t.response_due)
        .bind(t.resolution_due)
        .bind(t.resolved_at)
        .bind(&t.resolution)
        .bind(t.closed_at)
        .bind(t.cancelled_at)
        .bind(t.next_visit_at)
        .bind(t.visits)
        .bind(t.absent_visits)
        .bind(t.workshop_sends)
        .bind(t.contractor_sends)
        .bind(t.equipment_returns)
        .bind(t.reopened)
        .bind(&t.duplicate_of)
        .bind(&t.report_summary)
        .bind(t.survey_at)
        .bind(&t.survey_channel)
        .bind(t.survey_timeliness)
        .bind(t.survey_treatment)
        .bind(t.survey_solution)
        .bind(&t.heads)
        .bind(updated_at)
        .execute(&mut *$tx)
        .await?;
        if previous.is_none_or(|old| old.visits != p.visits) {
            sqlx::query("delete from ticket_visits where ticket_id = $1")
                .bind(id)
                .execute(&mut *$tx)
                .await?;
            for v in &p.visits {
                sqlx::query(
                    "insert into ticket_visits (ticket_id, visit_id, technician_id, started_at,
                        ended_at, user_present, evidence, outcome, next_visit_at)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(id)
                .bind(&v.visit_id)
                .bind(&v.technician_id)
                .bind(v.started_at)
                .bind(v.ended_at)
                .bind(v.user_present)
                .bind(v.evidence)
                .bind(&v.outcome)
                .bind(v.next_visit_at)
                .execute(&mut *$tx)
                .await?;
            }
        }
        if previous.is_none_or(|old| old.absences != p.absences) {
            sqlx::query("delete from ticket_absences where ticket_id = $1")
                .bind(id)
                .execute(&mut *$tx)
                .await?;
            for (seq, a) in p.absences.iter().enumerate() {
                sqlx::query(
                    "insert into ticket_absences (ticket_id, seq, started_at, ended_at)
                     values ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(seq as i64)
                .bind(a.start)
                .bind(a.end)
                .execute(&mut *$tx)
                .await?;
            }
        }
        if previous.is_none_or(|old| old.equipment_events != p.equipment_events) {
            sqlx::query("delete from ticket_equipment_events where ticket_id = $1")
                .bind(id)
                .execute(&mut *$tx)
                .await?;
            for (seq, e) in p.equipment_events.iter().enumerate() {
                sqlx::query(
                    "insert into ticket_equipment_events (ticket_id, seq, kind, at)
                     values ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(seq as i64)
                .bind(e.kind.as_str())
                .bind(e.at)
                .execute(&mut *$tx)
                .await?;
            }
        }
        if previous.is_none_or(|old| old.equipment != p.equipment) {
            sqlx::query("delete from ticket_equipment where ticket_id = $1")
                .bind(id)
                .execute(&mut *$tx)
                .await?;
            for code in &p.equipment {
                sqlx::query("insert into ticket_equipment (ticket_id, code) values ($1, $2)")
                    .bind(id)
                    .bind(code)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        if previous.is_none_or(|old| old.blobs != p.blobs) {
            sqlx::query("delete from ticket_blobs where ticket_id = $1")
                .bind(id)
                .execute(&mut *$tx)
                .await?;
            for sha in &p.blobs {
                sqlx::query("insert into ticket_blobs (ticket_id, sha256) values ($1, $2)")
                    .bind(id)
                    .bind(sha)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        number
    }};
}

impl Store {
    /// Commits a change: its chunk, its audit rows and the ticket's rows (numbering a new
    /// ticket), all or nothing.
    #[tracing::instrument(skip_all, fields(doc_id = change.doc_id, bytes = change.data.len()))]
    pub async fn commit_change(&self, change: &CommitChange<'_>) -> sqlx::Result<Committed> {
        let now = now_ms();
        with_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            let chunk_id: i64 = sqlx::query_scalar(
                "insert into doc_chunks (doc_id, kind, data, created_at) values ($1, $2, $3, $4)
                 returning id",
            )
            .bind(change.doc_id)
            .bind(change.kind.as_str())
            .bind(change.data)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for entry in change.audit {
                sqlx::query(
                    "insert into change_audit (document_id, hash, actor, user_id, device,
                                               received_at)
                     values ($1, $2, $3, (select id from users where id = $4), $5, $6)
                     on conflict (document_id, hash) do nothing",
                )
                .bind(change.doc_id)
                .bind(&entry.hash)
                .bind(&entry.actor)
                .bind(change.user_id)
                .bind(change.device)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let number = match change.projection {
                Some(p) => Some(write_rows!(
                    tx,
                    change.doc_id,
                    p,
                    change.previous,
                    change.number,
                    Some(now)
                )),
                None => None,
            };
            tx.commit().await?;
            Ok(Committed { chunk_id, number })
        })
    }

    /// Rewrites a ticket's rows from its document (`campo reproject`), keeping its number and
    /// the time of its last accepted change.
    pub async fn write_projection(&self, doc_id: &str, p: &Projection) -> sqlx::Result<String> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let number = write_rows!(tx, doc_id, p, None, None, None);
            tx.commit().await?;
            Ok(number)
        })
    }

    /// Records that a user's device reached the server.
    pub async fn touch_device(&self, user_id: &str, device: &str) -> sqlx::Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "insert into device_contacts (user_id, device, last_seen_at)
                 select id, $2, $3 from users where id = $1
                 on conflict (user_id, device) do update set last_seen_at = excluded.last_seen_at",
            )
            .bind(user_id)
            .bind(device)
            .bind(now_ms())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Ids of every stored document.
    pub async fn document_ids(&self) -> sqlx::Result<Vec<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar("select distinct doc_id from doc_chunks order by doc_id")
                .fetch_all(pool)
                .await
        })
    }
}
