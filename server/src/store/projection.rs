//! Writing the projection: a stored change, its audit rows and the ticket's rows in one
//! transaction, so the projection never disagrees with what was acknowledged.

use chrono::Datelike;

use super::documents::ChunkKind;
use super::tickets::ticket_number;
use super::{Backend, Store, now_ms, with_pool, with_writer};
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

/// The statement that writes a ticket's row, binding `$1` to `$43` (see [`bind_ticket!`]): a
/// literal, so that the one-round-trip commit of [`Store::commit_change`] on PostgreSQL can be
/// assembled with `concat!` (SQLite's batch updates the existing row instead, see
/// `Store::commit_in_one_round_trip`).
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
            updated_at = coalesce($43, tickets.updated_at)"
    };
}

/// Binds the arguments of [`upsert_ticket_sql!`] to `$query`, in order: the ticket's id, its
/// number, the row `$t` and `$updated_at` (`Some(now)`, or `None` to keep the recorded time).
macro_rules! bind_ticket {
    ($query:expr, $id:expr, $number:expr, $t:expr, $updated_at:expr) => {{
        let t: &crate::projection::TicketProjection = $t;
        $query
            .bind($id)
            .bind($number)
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
            .bind($updated_at)
    }};
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
        bind_ticket!(
            sqlx::query(upsert_ticket_sql!()),
            id,
            &number,
            t,
            updated_at
        )
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

/// True when `p` writes no rows but the ticket's own, compared with `previous`.
fn only_ticket_row_changes(p: &Projection, previous: &Projection) -> bool {
    p.visits == previous.visits
        && p.absences == previous.absences
        && p.equipment_events == previous.equipment_events
        && p.equipment == previous.equipment
        && p.blobs == previous.blobs
}

impl Store {
    /// Commits a change: its chunk, its audit rows and the ticket's rows (numbering a new
    /// ticket), all or nothing.
    #[tracing::instrument(skip_all, fields(doc_id = change.doc_id, bytes = change.data.len()))]
    pub async fn commit_change(&self, change: &CommitChange<'_>) -> sqlx::Result<Committed> {
        let now = now_ms();
        if let (Some(p), Some(previous), Some(number)) =
            (change.projection, change.previous, change.number)
            && only_ticket_row_changes(p, previous)
        {
            return self.commit_in_one_round_trip(change, p, number, now).await;
        }
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

    /// [`Store::commit_change`] for the most common change: one to a numbered ticket that leaves
    /// its visit, absence, equipment and photo rows as they were (a comment, a triage event). The
    /// chunk, the audit rows (from a JSON array) and the ticket's row reach the database in one
    /// round trip instead of five (begin, chunk, audit, ticket, commit): on SQLite, each of those
    /// wakes the connection's thread and then this task; on PostgreSQL, each is a network round
    /// trip and a command for the server to process.
    async fn commit_in_one_round_trip(
        &self,
        change: &CommitChange<'_>,
        p: &Projection,
        number: &str,
        now: i64,
    ) -> sqlx::Result<Committed> {
        // `$1` to `$43` are the ticket's row; `$1` is also the document's id and `$43` the time.
        // SQLite: statements between `begin` and `commit`, sent together. The row exists (the
        // ticket has its number), so it is updated rather than upserted, in two steps: SQLite
        // rewrites an index entry whenever its column is assigned, even to the same value, and
        // `tickets` has nine indexes. The columns no index covers are always assigned; the
        // indexed ones only when one of them changed, which a comment or a triage note never
        // does. That writes one page of `tickets` per change instead of about ten.
        const SQLITE: &str = "begin immediate;
             update tickets set
                requester_name = $4, location = $6, channel = $7, external_ref = $8,
                category = $9, summary = $10, priority = $12, mode = $13, assignee_name = $15,
                assignee_role = (select role from users where id = $14), registered_by = $16,
                flags = $17, flag_kinds = $18, triaged_at = $20, responded_at = $21,
                response_due = $22, resolution_due = $23, resolution = $25,
                next_visit_at = $28, visits = $29, absent_visits = $30, workshop_sends = $31,
                contractor_sends = $32, equipment_returns = $33, reopened = $34,
                duplicate_of = $35, report_summary = $36, survey_at = $37,
                survey_channel = $38, survey_timeliness = $39, survey_treatment = $40,
                survey_solution = $41, heads = $42, updated_at = $43
             where id = $1;
             update tickets set
                requester_id = (select id from users where id = $3),
                dependencia = (select code from dependencias where code = $5), state = $11,
                assignee_id = (select id from users where id = $14), created_at = $19,
                resolved_at = $24, closed_at = $26, cancelled_at = $27
             where id = $1
               and (requester_id is not (select id from users where id = $3)
                    or dependencia is not (select code from dependencias where code = $5)
                    or state is not $11
                    or assignee_id is not (select id from users where id = $14)
                    or created_at is not $19 or resolved_at is not $24
                    or closed_at is not $26 or cancelled_at is not $27);
             insert into doc_chunks (doc_id, kind, data, created_at) values ($1, $44, $45, $43)
             returning id;
             insert into change_audit (document_id, hash, actor, user_id, device, received_at)
             select $1, value ->> 0, value ->> 1, (select id from users where id = $46), $47, $43
             from json_each($48) where true
             on conflict (document_id, hash) do nothing;
             commit";
        // PostgreSQL: one statement, atomic by itself, whose parts are data-modifying `with`s.
        const POSTGRES: &str = concat!(
            "with ticket as (",
            upsert_ticket_sql!(),
            "), audit as (
               insert into change_audit (document_id, hash, actor, user_id, device, received_at)
               select $1, a ->> 0, a ->> 1, (select id from users where id = $46), $47, $43
               from json_array_elements($48::json) a
               on conflict (document_id, hash) do nothing)
             insert into doc_chunks (doc_id, kind, data, created_at) values ($1, $44, $45, $43)
             returning id"
        );
        let audit: Vec<[&str; 2]> = change
            .audit
            .iter()
            .map(|e| [e.hash.as_str(), e.actor.as_str()])
            .collect();
        let audit = serde_json::to_string(&audit).map_err(|e| sqlx::Error::Encode(e.into()))?;
        macro_rules! batch {
            ($sql:expr) => {
                bind_ticket!(
                    sqlx::query_scalar::<_, i64>($sql),
                    change.doc_id,
                    number,
                    &p.ticket,
                    Some(now)
                )
                .bind(change.kind.as_str())
                .bind(change.data)
                .bind(change.user_id)
                .bind(change.device)
                .bind(&audit)
            };
        }
        // Every row of every statement: stopping at the first row would stop a SQLite batch there.
        let ids = match &self.backend {
            Backend::Sqlite(_) => {
                let mut writer = self.sqlite_writer.lock().await;
                let conn = writer.as_mut().ok_or(sqlx::Error::PoolClosed)?;
                let done = batch!(SQLITE).fetch_all(&mut *conn).await;
                if done.is_err() {
                    // A statement failed and the transaction may still be open: nothing of it
                    // must stay. (When `begin` itself failed there is nothing to roll back.)
                    let _ = sqlx::query("rollback").execute(&mut *conn).await;
                }
                done?
            }
            Backend::Postgres(pool) => batch!(POSTGRES).fetch_all(pool).await?,
        };
        match ids.first() {
            Some(&chunk_id) => Ok(Committed {
                chunk_id,
                number: Some(number.to_owned()),
            }),
            None => Err(sqlx::Error::RowNotFound),
        }
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

#[cfg(test)]
mod tests {
    use automerge::Automerge;
    use campo_shared::role::Role;
    use campo_shared::schema::TicketDoc;
    use campo_tests::ticket::{Author, add_comment, new_ticket, ticket_document};
    use campo_tests::{Backend, TestDb, both_backends};

    use super::*;
    use crate::projection::{Sla, project};
    use crate::store::Backend as StoreBackend;

    fn projection(doc: &Automerge) -> Projection {
        let ticket = TicketDoc::hydrate_from(doc).expect("a ticket");
        let sla = Sla::default();
        project(&ticket, &doc.get_heads(), &sla.policy, &sla.calendar)
    }

    fn audit(doc: &Automerge, after: &[automerge::ChangeHash]) -> Vec<AuditEntry> {
        doc.get_changes(after)
            .iter()
            .map(|c| AuditEntry {
                hash: c.hash().to_string(),
                actor: c.actor_id().to_hex_string(),
            })
            .collect()
    }

    /// The database refuses audit rows from now on (`true`), or again accepts them (`false`).
    async fn refuse_audit(store: &Store, refuse: bool) {
        let sql = match (&store.backend, refuse) {
            (StoreBackend::Sqlite(_), true) => {
                "create trigger refuse_audit before insert on change_audit
                 begin select raise(abort, 'disco lleno'); end"
            }
            (StoreBackend::Postgres(_), true) => {
                "create function refuse_audit() returns trigger language plpgsql as
                   $$ begin raise exception 'disco lleno'; end $$;
                 create trigger refuse_audit before insert on change_audit
                   for each row execute function refuse_audit()"
            }
            (StoreBackend::Sqlite(_), false) => "drop trigger refuse_audit",
            (StoreBackend::Postgres(_), false) => "drop trigger refuse_audit on change_audit",
        };
        with_pool!(store, pool => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()))
            .expect("trigger");
    }

    /// A ticket committed as new: its id, the number it got and its projection.
    struct StoredTicket {
        id: String,
        number: String,
        projection: Projection,
    }

    /// Ana files a ticket and the store commits it (a snapshot, numbered on the way).
    async fn new_stored_ticket(store: &Store, text: &str) -> (Author, Automerge, StoredTicket) {
        let author = Author {
            id: "u-ana".into(),
            name: "Ana Pérez".into(),
            role: Role::Funcionario,
            dependencia: "TIC".into(),
        };
        let doc = ticket_document(&new_ticket(&author, text));
        let id = campo_shared::ids::DocumentId::new().to_bs58check();
        let projection = projection(&doc);
        let number = store
            .commit_change(&CommitChange {
                doc_id: &id,
                kind: ChunkKind::Snapshot,
                data: &doc.save(),
                audit: &audit(&doc, &[]),
                user_id: None,
                device: "api",
                projection: Some(&projection),
                previous: None,
                number: None,
            })
            .await
            .expect("the ticket is stored")
            .number
            .expect("a number");
        let stored = StoredTicket {
            id,
            number,
            projection,
        };
        (author, doc, stored)
    }

    /// A change whose commit fails halfway leaves nothing behind (no chunk, no new ticket row),
    /// and the next commit works. A comment is committed in one round trip; on SQLite, as a batch
    /// of statements in which the failure comes after the ticket's row and the chunk were written.
    async fn a_failed_commit_leaves_nothing(backend: Backend) {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.expect("store");
        let (author, mut doc, stored) = new_stored_ticket(&store, "La impresora no imprime.").await;
        let (id, number, first) = (stored.id, stored.number, stored.projection);

        let heads = doc.get_heads();
        add_comment(&mut doc, &author.id, "Sigue sin imprimir.");
        let second = projection(&doc);
        assert!(only_ticket_row_changes(&second, &first));
        let data = doc.save_after(&heads);
        let entries = audit(&doc, &heads);
        let change = CommitChange {
            doc_id: &id,
            kind: ChunkKind::Incremental,
            data: &data,
            audit: &entries,
            user_id: None,
            device: "phone-1",
            projection: Some(&second),
            previous: Some(&first),
            number: Some(&number),
        };

        refuse_audit(&store, true).await;
        let err = store.commit_change(&change).await.unwrap_err();
        assert!(err.to_string().contains("disco lleno"), "{err}");
        assert_eq!(store.load_chunks(&id).await.unwrap().len(), 1);
        let row = store.ticket(&id).await.unwrap().expect("the ticket");
        assert_eq!(row.heads, first.ticket.heads);

        refuse_audit(&store, false).await;
        store
            .commit_change(&change)
            .await
            .expect("stored once the database accepts it");
        assert_eq!(store.load_chunks(&id).await.unwrap().len(), 2);
        let row = store.ticket(&id).await.unwrap().expect("the ticket");
        assert_eq!(row.heads, second.ticket.heads);
        assert_ne!(row.heads, first.ticket.heads);
        store.close().await;
    }

    both_backends!(a_failed_commit_leaves_nothing);

    /// Counts the tickets that `condition` selects (through the index that covers it).
    async fn count(store: &Store, condition: &str) -> i64 {
        let sql = format!("select count(*) from tickets where {condition}");
        with_pool!(store, pool => sqlx::query_scalar(&sql).fetch_one(pool).await).expect("count")
    }

    /// Changes committed in one round trip reach every column of the ticket's row and the
    /// indexes the board and the reports read: those that change no indexed column (a comment)
    /// and those that do (a closing).
    async fn a_one_round_trip_commit_updates_the_whole_row(backend: Backend) {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.expect("store");
        let (author, mut doc, stored) = new_stored_ticket(&store, "El monitor parpadea.").await;
        let (id, number, mut previous) = (stored.id, stored.number, stored.projection);
        let open = "resolved_at is null and closed_at is null and cancelled_at is null";
        assert_eq!(count(&store, open).await, 1);

        for (i, close) in [false, true, false].into_iter().enumerate() {
            let heads = doc.get_heads();
            add_comment(&mut doc, &author.id, &format!("Novedad {i}."));
            let mut p = projection(&doc);
            p.ticket.priority = Some("alta".into());
            if close || previous.ticket.closed_at.is_some() {
                p.ticket.state = "cerrada".into();
                p.ticket.resolved_at = Some(1_790_000_000_000);
                p.ticket.closed_at = Some(1_790_000_100_000);
            }
            assert!(only_ticket_row_changes(&p, &previous));
            store
                .commit_change(&CommitChange {
                    doc_id: &id,
                    kind: ChunkKind::Incremental,
                    data: &doc.save_after(&heads),
                    audit: &audit(&doc, &heads),
                    user_id: None,
                    device: "phone-1",
                    projection: Some(&p),
                    previous: Some(&previous),
                    number: Some(&number),
                })
                .await
                .expect("stored");
            let row = store.ticket(&id).await.unwrap().expect("the ticket");
            assert_eq!(row.heads, p.ticket.heads);
            assert_eq!(row.priority.as_deref(), Some("alta"));
            assert_eq!(row.state, p.ticket.state);
            let closed = p.ticket.closed_at.is_some();
            assert_eq!(count(&store, open).await, i64::from(!closed), "change {i}");
            assert_eq!(count(&store, "state = 'cerrada'").await, i64::from(closed));
            assert_eq!(
                count(&store, "closed_at is not null").await,
                i64::from(closed)
            );
            previous = p;
        }
        assert_eq!(store.load_chunks(&id).await.unwrap().len(), 4);
        store.close().await;
    }

    both_backends!(a_one_round_trip_commit_updates_the_whole_row);
}
