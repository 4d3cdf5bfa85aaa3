//! Writing the projection: a stored change, its audit rows and the ticket's rows in one
//! transaction, so the projection never disagrees with what was acknowledged.

use chrono::Datelike;

use super::aside::Aside;
use super::documents::{ChunkKind, INSERT_CHUNK};
use super::error::{Result, StoreError};
use super::receipts::Receipt;
use super::sqlite_writer::transaction;
use super::tickets::ticket_number;
use super::tx::{Args, PgTx, SqliteTx, Tx, ready};
use super::{Backend, Store, now_ms, with_pool};
use crate::projection::{Projection, TicketProjection};

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
    /// The e-mail or GLPI ticket this change was made from, recorded in the same transaction.
    pub receipt: Option<&'a Receipt>,
}

/// What a commit wrote.
#[derive(Debug, Clone)]
pub struct Committed {
    pub chunk_id: i64,
    /// The ticket's number (given now if the ticket is new).
    pub number: Option<String>,
}

/// The statement that writes a ticket's row, binding `$1` to `$45` (see [`ticket_args`]): a
/// literal, so that the one-statement commit on PostgreSQL (`commit_in_one_statement`) can be
/// assembled with `concat!`.
macro_rules! upsert_ticket_sql {
    () => {
        "insert into tickets (
            id, number, requester_id, requester_name, dependencia, location, channel,
            external_ref, category, summary, state, priority, mode, assignee_id, assignee_name,
            assignee_role, registered_by, flags, flag_kinds, created_at, triaged_at,
            responded_at, response_due, resolution_due, resolved_at, resolution, closed_at,
            cancelled_at, next_visit_at, visits, absent_visits, workshop_sends,
            contractor_sends, equipment_returns, reopened, duplicate_of, report_summary,
            survey_at, survey_channel, survey_timeliness, survey_treatment, survey_solution,
            heads, updated_at, response_warn_at, resolution_warn_at)
         values (
            $1, $2, (select id from users where id = $3), $4,
            (select code from dependencias where code = $5), $6, $7, $8, $9, $10, $11, $12,
            $13, (select id from users where id = $14), $15,
            (select role from users where id = $14), $16, $17, $18, $19, $20, $21, $22, $23,
            $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39,
            $40, $41, $42, coalesce($43, $19), $44, $45)
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
            updated_at = coalesce($43, tickets.updated_at),
            response_warn_at = excluded.response_warn_at,
            resolution_warn_at = excluded.resolution_warn_at"
    };
}

/// Whether two rows of a ticket differ at most in their heads.
fn same_but_heads(a: &TicketProjection, b: &TicketProjection) -> bool {
    let heads = String::new;
    TicketProjection {
        heads: heads(),
        ..a.clone()
    } == TicketProjection {
        heads: heads(),
        ..b.clone()
    }
}

/// The arguments of [`upsert_ticket_sql!`], in order: the ticket's id, its number, the row `t` and
/// `updated_at` (`Some(now)`, or `None` to keep the recorded time).
fn ticket_args<'a>(
    id: &'a str,
    number: &'a str,
    t: &'a TicketProjection,
    updated_at: Option<i64>,
) -> Args<'a> {
    Args::new()
        .bind(id)
        .bind(number)
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
        .bind(t.response_warn_at)
        .bind(t.resolution_warn_at)
}

/// The statements that write a ticket's other rows: each list is deleted and written again when
/// it changed. `$1` is always the ticket's id.
const DELETE_VISITS: &str = "delete from ticket_visits where ticket_id = $1";
const INSERT_VISIT: &str = "insert into ticket_visits (ticket_id, visit_id, technician_id,
        started_at, ended_at, user_present, evidence, outcome, next_visit_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const DELETE_ABSENCES: &str = "delete from ticket_absences where ticket_id = $1";
const INSERT_ABSENCE: &str = "insert into ticket_absences (ticket_id, seq, started_at, ended_at)
     values ($1, $2, $3, $4)";
const DELETE_EQUIPMENT_EVENTS: &str = "delete from ticket_equipment_events where ticket_id = $1";
const INSERT_EQUIPMENT_EVENT: &str = "insert into ticket_equipment_events (ticket_id, seq, kind,
        at, author_id, equipment, holder_from, holder_to, place, equipment_condition)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const DELETE_EQUIPMENT: &str = "delete from ticket_equipment where ticket_id = $1";
const INSERT_EQUIPMENT: &str = "insert into ticket_equipment (ticket_id, code) values ($1, $2)";
const DELETE_BLOBS: &str = "delete from ticket_blobs where ticket_id = $1";
const INSERT_BLOB: &str = "insert into ticket_blobs (ticket_id, sha256) values ($1, $2)";

/// The number of ticket `$1`, if it has one.
const SELECT_NUMBER: &str = "select number from tickets where id = $1";
/// Takes the next ticket number of year `$1`.
const NEXT_NUMBER: &str = "insert into ticket_counters (year, last) values ($1, 1)
     on conflict (year) do update set last = ticket_counters.last + 1
     returning last";

/// Records change `$2` (hash) by actor `$3` of document `$1`, delivered by user `$4` from
/// device `$5` at `$6`.
const INSERT_AUDIT: &str = "insert into change_audit (document_id, hash, actor, user_id, device,
                                                    received_at)
     values ($1, $2, $3, (select id from users where id = $4), $5, $6)
     on conflict (document_id, hash) do nothing";

/// The year whose counter numbers a ticket created at `created_at` (Bogotá time).
fn numbering_year(created_at: i64) -> i32 {
    chrono::DateTime::from_timestamp_millis(created_at)
        .map(|at| at.with_timezone(&campo_shared::calendar::bogota()).year())
        .unwrap_or(1970)
}

/// Which of a ticket's lists of rows a change rewrites.
#[derive(Debug, Clone, Copy)]
struct ChangedLists {
    visits: bool,
    absences: bool,
    equipment_events: bool,
    equipment: bool,
    blobs: bool,
}

impl ChangedLists {
    /// Every list: what is written when the rows before are not known.
    const ALL: Self = Self {
        visits: true,
        absences: true,
        equipment_events: true,
        equipment: true,
        blobs: true,
    };

    /// The lists of `p` that differ from `previous`; all of them when it is not known.
    fn between(p: &Projection, previous: Option<&Projection>) -> Self {
        let Some(old) = previous else {
            return Self::ALL;
        };
        Self {
            visits: old.visits != p.visits,
            absences: old.absences != p.absences,
            equipment_events: old.equipment_events != p.equipment_events,
            equipment: old.equipment != p.equipment,
            blobs: old.blobs != p.blobs,
        }
    }

    fn none(self) -> bool {
        !(self.visits || self.absences || self.equipment_events || self.equipment || self.blobs)
    }
}

/// Updates ticket `$1`'s row from the arguments of [`upsert_ticket_sql!`], on SQLite, in two
/// steps. SQLite rewrites an index entry whenever its column is assigned, even to the same value,
/// and `tickets` has nine indexes: this first statement assigns the columns no index covers,
/// [`UPDATE_INDEXED_COLUMNS`] the others only when one of them changed, which a comment or a
/// triage note never does. A change then writes one page of `tickets` instead of about ten.
const UPDATE_UNINDEXED_COLUMNS: &str = "update tickets set
        requester_name = $4, location = $6, channel = $7, external_ref = $8, category = $9,
        summary = $10, priority = $12, mode = $13, assignee_name = $15,
        assignee_role = (select role from users where id = $14), registered_by = $16,
        flags = $17, flag_kinds = $18, triaged_at = $20, responded_at = $21,
        resolution = $25, next_visit_at = $28,
        visits = $29, absent_visits = $30, workshop_sends = $31, contractor_sends = $32,
        equipment_returns = $33, reopened = $34, duplicate_of = $35, report_summary = $36,
        survey_at = $37, survey_channel = $38, survey_timeliness = $39,
        survey_treatment = $40, survey_solution = $41, heads = $42,
        updated_at = coalesce($43, updated_at)
     where id = $1";

/// The second step of [`UPDATE_UNINDEXED_COLUMNS`]. The condition compares with the same
/// `(select … where id = $n)` expressions the stored values came from, so a requester or
/// assignee that starts or stops existing as a user is still picked up.
const UPDATE_INDEXED_COLUMNS: &str = "update tickets set
        requester_id = (select id from users where id = $3),
        dependencia = (select code from dependencias where code = $5), state = $11,
        assignee_id = (select id from users where id = $14), created_at = $19,
        resolved_at = $24, closed_at = $26, cancelled_at = $27, response_due = $22,
        resolution_due = $23, response_warn_at = $44, resolution_warn_at = $45
     where id = $1
       and (requester_id is not (select id from users where id = $3)
            or dependencia is not (select code from dependencias where code = $5)
            or state is not $11
            or assignee_id is not (select id from users where id = $14)
            or created_at is not $19 or resolved_at is not $24
            or closed_at is not $26 or cancelled_at is not $27
            or response_due is not $22 or resolution_due is not $23
            or response_warn_at is not $44 or resolution_warn_at is not $45)";

/// Writes ticket `id`'s rows from `p` (numbering a new ticket) and returns its number: its own
/// row, and each list of rows that `lists` says changed. `known` is its number when the caller
/// knows it (saves reading it); `updated_at` is `Some(now)` for a new change and `None` to keep
/// the recorded time (reprojection).
async fn write_rows<T: Tx>(
    tx: &mut T,
    id: &str,
    p: &Projection,
    lists: ChangedLists,
    known: Option<&str>,
    updated_at: Option<i64>,
) -> Result<String> {
    let by_id = Args::new().bind(id);
    let existing = match known {
        Some(number) => Some(number.to_owned()),
        None => tx.fetch::<String>(SELECT_NUMBER, &by_id).await?,
    };
    // A ticket without a row has no rows in the lists either (they reference it): nothing to
    // delete before writing them.
    let numbered = existing.is_some();
    let number = match existing {
        Some(number) => number,
        None => {
            let year = numbering_year(p.ticket.created_at);
            let seq = tx
                .fetch::<i64>(NEXT_NUMBER, &Args::new().bind(i64::from(year)))
                .await?
                .ok_or_else(|| StoreError::other("the ticket counter returned no number"))?;
            ticket_number(year, seq)
        }
    };
    let ticket = ticket_args(id, &number, &p.ticket, updated_at);
    // On SQLite in two steps when the row exists (see [`UPDATE_UNINDEXED_COLUMNS`]); in one
    // statement on PostgreSQL, which writes a new row version whatever the columns assigned.
    if T::SQLITE && tx.execute(UPDATE_UNINDEXED_COLUMNS, &ticket).await? == 1 {
        tx.execute(UPDATE_INDEXED_COLUMNS, &ticket).await?;
    } else {
        tx.execute(upsert_ticket_sql!(), &ticket).await?;
    }
    if lists.visits {
        if numbered {
            tx.execute(DELETE_VISITS, &by_id).await?;
        }
        for v in &p.visits {
            let row = Args::new()
                .bind(id)
                .bind(&v.visit_id)
                .bind(&v.technician_id)
                .bind(v.started_at)
                .bind(v.ended_at)
                .bind(v.user_present)
                .bind(v.evidence)
                .bind(&v.outcome)
                .bind(v.next_visit_at);
            tx.execute(INSERT_VISIT, &row).await?;
        }
    }
    if lists.absences {
        if numbered {
            tx.execute(DELETE_ABSENCES, &by_id).await?;
        }
        for (seq, a) in p.absences.iter().enumerate() {
            let row = Args::new()
                .bind(id)
                .bind(seq as i64)
                .bind(a.start)
                .bind(a.end);
            tx.execute(INSERT_ABSENCE, &row).await?;
        }
    }
    if lists.equipment_events {
        if numbered {
            tx.execute(DELETE_EQUIPMENT_EVENTS, &by_id).await?;
        }
        for (seq, m) in p.equipment_events.iter().enumerate() {
            let codes = m.equipment.join(",");
            let row = Args::new()
                .bind(id)
                .bind(seq as i64)
                .bind(m.event.kind.as_str())
                .bind(m.event.at)
                .bind(&m.author_id)
                .bind(&codes)
                .bind(&m.holder_from)
                .bind(&m.holder_to)
                .bind(&m.place)
                .bind(&m.condition);
            tx.execute(INSERT_EQUIPMENT_EVENT, &row).await?;
        }
    }
    if lists.equipment {
        if numbered {
            tx.execute(DELETE_EQUIPMENT, &by_id).await?;
        }
        for code in &p.equipment {
            tx.execute(INSERT_EQUIPMENT, &Args::new().bind(id).bind(code))
                .await?;
        }
    }
    if lists.blobs {
        if numbered {
            tx.execute(DELETE_BLOBS, &by_id).await?;
        }
        for sha in &p.blobs {
            tx.execute(INSERT_BLOB, &Args::new().bind(id).bind(sha))
                .await?;
        }
    }
    Ok(number)
}

/// A [`CommitChange`], owned (SQLite's writer thread takes it), with the lists to rewrite already
/// compared and the time of the commit.
struct Commit {
    doc_id: String,
    kind: ChunkKind,
    data: Vec<u8>,
    audit: Vec<AuditEntry>,
    user_id: Option<String>,
    device: String,
    rows: Option<(Projection, ChangedLists)>,
    /// Whether the ticket's row differs from the one before only in its heads (a comment): then
    /// only the heads and the time are written.
    only_heads: bool,
    number: Option<String>,
    receipt: Option<Receipt>,
    now: i64,
}

impl Commit {
    fn new(change: &CommitChange<'_>, now: i64) -> Self {
        Self {
            doc_id: change.doc_id.to_owned(),
            kind: change.kind,
            data: change.data.to_vec(),
            audit: change.audit.to_vec(),
            user_id: change.user_id.map(str::to_owned),
            device: change.device.to_owned(),
            rows: change
                .projection
                .map(|p| (p.clone(), ChangedLists::between(p, change.previous))),
            only_heads: match (change.projection, change.previous) {
                (Some(p), Some(old)) => same_but_heads(&p.ticket, &old.ticket),
                _ => false,
            },
            number: change.number.map(str::to_owned),
            receipt: change.receipt.cloned(),
            now,
        }
    }

    /// The chunk, its audit rows and the ticket's rows, inside the transaction `tx`.
    async fn write(&self, tx: &mut impl Tx) -> Result<Committed> {
        // The chunk and its audit rows before the ticket's rows: numbering a new ticket locks
        // its year's counter until the commit (on PostgreSQL, every replica numbering one
        // waits), so that comes as late as it can.
        let chunk = Args::new()
            .bind(&self.doc_id)
            .bind(self.kind.as_str())
            .bind(&self.data)
            .bind(self.now);
        let chunk_id = tx
            .fetch::<i64>(INSERT_CHUNK, &chunk)
            .await?
            .ok_or_else(|| StoreError::other("storing a chunk returned no id"))?;
        for entry in &self.audit {
            let audit = Args::new()
                .bind(&self.doc_id)
                .bind(&entry.hash)
                .bind(&entry.actor)
                .bind(self.user_id.as_deref())
                .bind(&self.device)
                .bind(self.now);
            tx.execute(INSERT_AUDIT, &audit).await?;
        }
        let number = match &self.rows {
            Some((p, lists)) => {
                let known = self.number.as_deref();
                Some(write_rows(tx, &self.doc_id, p, *lists, known, Some(self.now)).await?)
            }
            None => None,
        };
        if let Some(receipt) = &self.receipt {
            receipt.write(tx, &self.doc_id).await?;
        }
        Ok(Committed { chunk_id, number })
    }

    /// The audit entries as a JSON array of `[hash, actor]`, for `json_array_elements`.
    fn audit_json(&self) -> Result<String> {
        let audit: Vec<[&str; 2]> = self
            .audit
            .iter()
            .map(|e| [e.hash.as_str(), e.actor.as_str()])
            .collect();
        serde_json::to_string(&audit).map_err(|err| StoreError::Other(err.into()))
    }

    /// The number of a ticket whose change writes no rows but the ticket's own (a comment, a
    /// triage event), when it is known: such a change commits in one statement on PostgreSQL.
    fn touching_only_the_ticket_row(&self) -> Option<(&Projection, &str)> {
        match (&self.rows, &self.number) {
            (Some((p, lists)), Some(number)) if lists.none() && self.receipt.is_none() => {
                Some((p, number))
            }
            _ => None,
        }
    }
}

impl Store {
    /// Commits a change: its chunk, its audit rows and the ticket's rows (numbering a new
    /// ticket), all or nothing.
    #[tracing::instrument(skip_all, fields(doc_id = change.doc_id, bytes = change.data.len()))]
    pub async fn commit_change(&self, change: &CommitChange<'_>) -> Result<Committed> {
        let commit = Commit::new(change, now_ms());
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                writer
                    .run(move |conn| {
                        transaction(conn, |conn| ready(commit.write(&mut SqliteTx(conn))))
                    })
                    .await
            }
            Backend::Postgres(pool) => {
                if let Some((p, number)) = commit.touching_only_the_ticket_row() {
                    if commit.only_heads
                        && let Some(committed) = commit_heads_in_one_statement(
                            pool,
                            &self.aside,
                            &commit,
                            p,
                            number,
                            self.instance(),
                        )
                        .await?
                    {
                        return Ok(committed);
                    }
                    return commit_in_one_statement(
                        pool,
                        &self.aside,
                        &commit,
                        p,
                        number,
                        self.instance(),
                    )
                    .await;
                }
                let mut tx = pool.begin().await?;
                // Delivered to the listeners when (and only if) the transaction commits; sent
                // first, so that a new ticket's counter is not locked for it (see `write`).
                sqlx::query("select pg_notify($1, $2)")
                    .bind(super::CHANGES_CHANNEL)
                    .bind(format!("{} {}", self.instance(), commit.doc_id))
                    .execute(&mut *tx)
                    .await?;
                let committed = commit.write(&mut PgTx(&mut tx)).await?;
                tx.commit().await?;
                Ok(committed)
            }
        }
    }

    /// The heads a ticket's rows were computed from, as stored (see
    /// [`crate::projection::heads_text`]); `None` when the ticket has no row.
    pub async fn projection_heads(&self, doc_id: &str) -> Result<Option<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, String>("select heads from tickets where id = $1")
                .bind(doc_id)
                .fetch_optional(pool)
                .await
        })
    }

    /// Rewrites a ticket's rows from `p` if they were still computed from `expected` heads
    /// (checked under the row's lock); false when another writer changed them meanwhile. For the
    /// change feed (PostgreSQL), where two replicas may commit changes of one ticket at once and
    /// each writes rows from what it had: the one that then holds both rewrites them.
    pub async fn replace_projection(
        &self,
        doc_id: &str,
        p: &Projection,
        expected: &str,
    ) -> Result<bool> {
        let Backend::Postgres(pool) = &self.backend else {
            // One process holds a SQLite database: its rows are always written from everything.
            return Ok(false);
        };
        let mut tx = pool.begin().await?;
        let stored: Option<String> =
            sqlx::query_scalar("select heads from tickets where id = $1 for update")
                .bind(doc_id)
                .fetch_optional(&mut *tx)
                .await?;
        if stored.as_deref() != Some(expected) {
            return Ok(false);
        }
        let mut pg = PgTx(&mut tx);
        write_rows(&mut pg, doc_id, p, ChangedLists::ALL, None, None).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Rewrites a ticket's rows from its document (`campo reproject`), keeping its number and
    /// the time of its last accepted change.
    pub async fn write_projection(&self, doc_id: &str, p: &Projection) -> Result<String> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                let (id, p) = (doc_id.to_owned(), p.clone());
                writer
                    .run(move |conn| {
                        transaction(conn, |conn| {
                            let mut tx = SqliteTx(conn);
                            ready(write_rows(&mut tx, &id, &p, ChangedLists::ALL, None, None))
                        })
                    })
                    .await
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let mut pg = PgTx(&mut tx);
                let number = write_rows(&mut pg, doc_id, p, ChangedLists::ALL, None, None).await?;
                tx.commit().await?;
                Ok(number)
            }
        }
    }

    /// The tickets with a running SLA clock (what a new calendar may move).
    pub async fn running_clock_tickets(&self) -> Result<Vec<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar(
                "select id from tickets where response_warn_at is not null
                 union select id from tickets where resolution_warn_at is not null",
            )
            .fetch_all(pool)
            .await
        })
    }

    /// Rewrites a ticket's rows from `p` if they were computed from the same document heads (no
    /// change was committed since the document was read); whether it did. For rows whose inputs
    /// other than the document changed (the office's calendar).
    pub async fn rewrite_projection(&self, doc_id: &str, p: &Projection) -> Result<bool> {
        async fn same_heads_then_write<T: Tx>(
            tx: &mut T,
            id: &str,
            p: &Projection,
        ) -> Result<bool> {
            let select = if T::SQLITE {
                "select heads from tickets where id = $1"
            } else {
                "select heads from tickets where id = $1 for update"
            };
            let stored = tx.fetch::<String>(select, &Args::new().bind(id)).await?;
            if stored.as_deref() != Some(p.ticket.heads.as_str()) {
                return Ok(false);
            }
            write_rows(tx, id, p, ChangedLists::ALL, None, None).await?;
            Ok(true)
        }
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                let (id, p) = (doc_id.to_owned(), p.clone());
                writer
                    .run(move |conn| {
                        transaction(conn, |conn| {
                            ready(same_heads_then_write(&mut SqliteTx(conn), &id, &p))
                        })
                    })
                    .await
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let done = same_heads_then_write(&mut PgTx(&mut tx), doc_id, p).await?;
                tx.commit().await?;
                Ok(done)
            }
        }
    }

    /// Records that a user's device reached the server.
    pub async fn touch_device(&self, user_id: &str, device: &str) -> Result<()> {
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
    pub async fn document_ids(&self) -> Result<Vec<String>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar("select distinct doc_id from doc_chunks order by doc_id")
                .fetch_all(pool)
                .await?)
        })
    }
}

/// [`Store::commit_change`] on PostgreSQL for the most common change: one to a numbered ticket
/// that leaves its visit, absence, equipment and photo rows as they were (a comment, a triage
/// event). It writes what [`Commit::write`] writes, in one statement whose parts are
/// data-modifying `with`s (which SQLite does not have), atomic by itself: one network round trip
/// and one command for the server instead of five (begin, chunk, audit, ticket, commit).
async fn commit_in_one_statement(
    pool: &sqlx::PgPool,
    aside: &Aside,
    commit: &Commit,
    p: &Projection,
    number: &str,
    instance: &str,
) -> Result<Committed> {
    // `$1` to `$45` are the ticket's row; `$1` is also the document's id and `$43` the time.
    // The chunk is inserted from the `notice` row, so the announcement of the change to the
    // other replicas (`$51`, see `CHANGES_CHANNEL`) is part of the statement: a select that
    // nothing reads would never run.
    const SQL: &str = concat!(
        "with ticket as (",
        upsert_ticket_sql!(),
        "), audit as (
           insert into change_audit (document_id, hash, actor, user_id, device, received_at)
           select $1, a ->> 0, a ->> 1, (select id from users where id = $48), $49, $43
           from json_array_elements($50::json) a
           on conflict (document_id, hash) do nothing),
         notice as (select pg_notify('campo_changes', $51))
         insert into doc_chunks (doc_id, kind, data, created_at)
         select $1, $46, $47, $43 from notice
         returning id"
    );
    let audit = commit.audit_json()?;
    let notice = format!("{instance} {}", commit.doc_id);
    let args = ticket_args(&commit.doc_id, number, &p.ticket, Some(commit.now))
        .bind(commit.kind.as_str())
        .bind(&commit.data)
        .bind(commit.user_id.as_deref())
        .bind(&commit.device)
        .bind(&audit)
        .bind(&notice);
    let chunk_id = fetch_chunk_id(pool, aside, SQL, &args)
        .await?
        .ok_or_else(|| StoreError::other("storing a chunk returned no id"))?;
    Ok(Committed {
        chunk_id,
        number: Some(number.to_owned()),
    })
}

/// Commits a change that leaves the ticket's row as it was but for its heads (a comment) in one
/// statement: the chunk, its audit rows, the row's heads and time, and the announcement to the
/// other replicas. Writing the whole row (`commit_in_one_statement`) costs PostgreSQL more: an
/// insert that turns into an update, with its 45 values and three lookups. Every part depends on
/// the row being there: when it is not (`None`), nothing was written, and the caller writes the
/// whole row instead.
async fn commit_heads_in_one_statement(
    pool: &sqlx::PgPool,
    aside: &Aside,
    commit: &Commit,
    p: &Projection,
    number: &str,
    instance: &str,
) -> Result<Option<Committed>> {
    const SQL: &str = "with ticket as (
           update tickets set heads = $2, updated_at = $3 where id = $1 returning id),
         audit as (
           insert into change_audit (document_id, hash, actor, user_id, device, received_at)
           select $1, a ->> 0, a ->> 1, (select id from users where id = $4), $5, $3
           from json_array_elements($6::json) a, ticket
           on conflict (document_id, hash) do nothing),
         notice as (select pg_notify('campo_changes', $7) from ticket)
         insert into doc_chunks (doc_id, kind, data, created_at)
         select $1, $8, $9, $3 from notice
         returning id";
    let audit = commit.audit_json()?;
    let notice = format!("{instance} {}", commit.doc_id);
    let args = Args::new()
        .bind(&commit.doc_id)
        .bind(&p.ticket.heads)
        .bind(commit.now)
        .bind(commit.user_id.as_deref())
        .bind(&commit.device)
        .bind(&audit)
        .bind(&notice)
        .bind(commit.kind.as_str())
        .bind(&commit.data);
    let chunk_id = fetch_chunk_id(pool, aside, SQL, &args).await?;
    Ok(chunk_id.map(|chunk_id| Committed {
        chunk_id,
        number: Some(number.to_owned()),
    }))
}

/// Runs a commit written in one statement that returns its chunk's id: on the connection set
/// aside when it is free (see [`Aside`]), else, or when that connection turned out dead, through
/// the pool.
async fn fetch_chunk_id(
    pool: &sqlx::PgPool,
    aside: &Aside,
    sql: &'static str,
    args: &Args<'_>,
) -> Result<Option<i64>> {
    if let Some(mut lent) = aside.lend() {
        match PgTx(lent.conn()).fetch::<i64>(sql, args).await {
            Ok(id) => {
                lent.give_back();
                return Ok(id);
            }
            Err(err) if err.is_unavailable() => {
                tracing::debug!(%err, "the connection set aside failed; committing through the pool");
            }
            Err(err) => return Err(err),
        }
    }
    let mut conn = pool.acquire().await?;
    let id = PgTx(&mut conn).fetch::<i64>(sql, args).await?;
    aside.keep(conn);
    Ok(id)
}

#[cfg(test)]
mod tests;
