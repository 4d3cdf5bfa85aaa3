//! Tests of the commit of a change and its rows, on both backends.

use automerge::Automerge;
use campo_shared::role::Role;
use campo_shared::schema::TicketDoc;
use campo_tests::ticket::{Author, add_comment, new_ticket, ticket_document};
use campo_tests::{Backend, TestDb, both_backends};

use super::*;
use crate::projection::{Sla, project};
use crate::store::Backend as StoreBackend;
use crate::store::MailReceipt;

fn projection(doc: &Automerge) -> Projection {
    let ticket = TicketDoc::hydrate_from(doc).expect("a ticket");
    let sla = Sla::default();
    let late = campo_shared::handover::work_after_replacement(doc, &ticket);
    project(&ticket, &late, &doc.get_heads(), &sla)
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

/// A phone's change to a numbered ticket: the changes of `doc` after `heads`, leaving the
/// rows `p` where they were `previous`.
fn phone_change<'a>(
    id: &'a str,
    number: &'a str,
    data: &'a [u8],
    audit: &'a [AuditEntry],
    p: &'a Projection,
    previous: &'a Projection,
) -> CommitChange<'a> {
    CommitChange {
        doc_id: id,
        kind: ChunkKind::Incremental,
        data,
        audit,
        user_id: None,
        device: "phone-1",
        projection: Some(p),
        previous: Some(previous),
        number: Some(number),
        receipt: None,
    }
}

/// A phone's comment on the numbered ticket `(id, number)`, added to `doc` and committed: a
/// change that leaves the ticket's rows as they were (`previous`) but for their heads. Returns
/// the ticket's projection now and the change's audit rows.
async fn commit_comment(
    store: &Store,
    doc: &mut Automerge,
    author_id: &str,
    text: &str,
    (id, number): (&str, &str),
    previous: &Projection,
) -> Result<(Projection, Vec<AuditEntry>)> {
    let heads = doc.get_heads();
    add_comment(doc, author_id, text);
    let p = projection(doc);
    assert!(same_but_heads(&p.ticket, &previous.ticket));
    let (data, entries) = (doc.save_after(&heads), audit(doc, &heads));
    store
        .commit_change(&phone_change(id, number, &data, &entries, &p, previous))
        .await?;
    Ok((p, entries))
}

/// A new ticket's first change, the whole document `data` as a snapshot, from `device`.
fn new_ticket_change<'a>(
    id: &'a str,
    data: &'a [u8],
    audit: &'a [AuditEntry],
    p: &'a Projection,
    device: &'a str,
    receipt: Option<&'a Receipt>,
) -> CommitChange<'a> {
    CommitChange {
        doc_id: id,
        kind: ChunkKind::Snapshot,
        data,
        audit,
        user_id: None,
        device,
        projection: Some(p),
        previous: None,
        number: None,
        receipt,
    }
}

/// True when `p` writes no rows but the ticket's own, compared with `previous`.
fn only_ticket_row_changes(p: &Projection, previous: &Projection) -> bool {
    ChangedLists::between(p, Some(previous)).none()
}

/// The database refuses audit rows from now on (`true`), or again accepts them (`false`).
async fn refuse_audit(store: &Store, refuse: bool) {
    let sql = match (&store.backend, refuse) {
        (StoreBackend::Sqlite { .. }, true) => {
            "create trigger refuse_audit before insert on change_audit
             begin select raise(abort, 'disco lleno'); end"
        }
        (StoreBackend::Postgres(_), true) => {
            "create function refuse_audit() returns trigger language plpgsql as
               $$ begin raise exception 'disco lleno'; end $$;
             create trigger refuse_audit before insert on change_audit
               for each row execute function refuse_audit()"
        }
        (StoreBackend::Sqlite { .. }, false) => "drop trigger refuse_audit",
        (StoreBackend::Postgres(_), false) => "drop trigger refuse_audit on change_audit",
    };
    with_pool!(store, pool => sqlx::raw_sql(sql).execute(pool).await.map(|_| ())).expect("trigger");
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
    let (data, entries) = (doc.save(), audit(&doc, &[]));
    let number = store
        .commit_change(&new_ticket_change(
            &id,
            &data,
            &entries,
            &projection,
            "api",
            None,
        ))
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
/// and the next commit works. A comment is committed in one statement on PostgreSQL; on
/// SQLite, the failure comes after the ticket's row and the chunk were written.
async fn a_failed_commit_leaves_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url).await.expect("store");
    let (author, mut doc, stored) = new_stored_ticket(&store, "La impresora no imprime.").await;
    let (id, number, first) = (stored.id, stored.number, stored.projection);

    let heads = doc.get_heads();
    add_comment(&mut doc, &author.id, "Sigue sin imprimir.");
    let second = projection(&doc);
    assert!(only_ticket_row_changes(&second, &first));
    let (data, entries) = (doc.save_after(&heads), audit(&doc, &heads));
    let change = phone_change(&id, &number, &data, &entries, &second, &first);

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

/// A message's receipt is part of its ticket's commit: the same message (same UID, or same
/// Message-ID) recorded again makes the whole commit fail, and the second ticket leaves no
/// chunk and no row; the first is recognised by either key.
async fn a_mail_is_recorded_with_its_ticket_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url).await.expect("store");
    let author = Author {
        id: "u-ana".into(),
        name: "Ana Pérez".into(),
        role: Role::Funcionario,
        dependencia: "TIC".into(),
    };
    let receipt = |uid: i64, message_id: &str| MailReceipt {
        mailbox: "mesa@127.0.0.1:143/INBOX".into(),
        uidvalidity: 7,
        uid,
        message_id: Some(message_id.into()),
        kind: "caso",
        sender: "ana@gob.gov.co".into(),
        received_at: 1,
    };
    let commit = |id: String, doc: Automerge, mail: MailReceipt| {
        let store = store.clone();
        async move {
            let p = projection(&doc);
            let (data, entries) = (doc.save(), audit(&doc, &[]));
            let receipt = Receipt::Mail(mail);
            store
                .commit_change(&new_ticket_change(
                    &id,
                    &data,
                    &entries,
                    &p,
                    "correo",
                    Some(&receipt),
                ))
                .await
        }
    };
    let first = campo_shared::ids::DocumentId::new().to_bs58check();
    let doc = ticket_document(&new_ticket(&author, "Primer correo."));
    commit(first.clone(), doc, receipt(1, "a@gob"))
        .await
        .expect("the first mail is stored");
    for (uid, message_id) in [(1, "otro@gob"), (2, "a@gob")] {
        let again = campo_shared::ids::DocumentId::new().to_bs58check();
        let doc = ticket_document(&new_ticket(&author, "El mismo correo otra vez."));
        commit(again.clone(), doc, receipt(uid, message_id))
            .await
            .expect_err("the same mail twice");
        assert!(store.load_chunks(&again).await.unwrap().is_empty());
        assert!(store.ticket(&again).await.unwrap().is_none());
    }
    let mailbox = "mesa@127.0.0.1:143/INBOX";
    let by_uid = store.mail_taken(mailbox, 7, 1, None).await.unwrap();
    assert_eq!(by_uid, Some((first.clone(), "caso".to_owned())));
    let by_id = store
        .mail_taken(mailbox, 8, 99, Some("a@gob"))
        .await
        .unwrap();
    assert_eq!(by_id.map(|(id, _)| id), Some(first));
    assert!(
        store
            .mail_taken(mailbox, 7, 2, None)
            .await
            .unwrap()
            .is_none()
    );
    store.close().await;
}

both_backends!(a_mail_is_recorded_with_its_ticket_once);

/// Counts the tickets that `condition` selects (through the index that covers it).
async fn count(store: &Store, condition: &str) -> i64 {
    let sql = format!("select count(*) from tickets where {condition}");
    with_pool!(store, pool => sqlx::query_scalar(&sql).fetch_one(pool).await).expect("count")
}

/// Changes to a numbered ticket (updated in two steps on SQLite, in one statement on
/// PostgreSQL) reach every column of the ticket's row and the indexes the board and the
/// reports read: those that change no indexed column (a comment) and those that do (a closing).
async fn a_change_to_a_numbered_ticket_updates_the_whole_row(backend: Backend) {
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
        let (data, entries) = (doc.save_after(&heads), audit(&doc, &heads));
        store
            .commit_change(&phone_change(&id, &number, &data, &entries, &p, &previous))
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

both_backends!(a_change_to_a_numbered_ticket_updates_the_whole_row);

/// A comment changes only the heads of the ticket's row, and PostgreSQL writes only those;
/// if the row is gone (deleted by hand), the comment writes the whole row again, with its
/// chunk and its audit row once.
async fn a_comment_on_a_ticket_without_its_row_writes_the_row(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url).await.expect("store");
    let (author, mut doc, stored) = new_stored_ticket(&store, "El teclado no responde.").await;
    let (id, number, previous) = (stored.id, stored.number, stored.projection);
    with_pool!(store, pool => {
        sqlx::query("delete from tickets where id = $1")
            .bind(&id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .expect("row deleted");

    let (p, entries) = commit_comment(
        &store,
        &mut doc,
        &author.id,
        "Se cambió el teclado.",
        (&id, &number),
        &previous,
    )
    .await
    .expect("stored");
    let row = store.ticket(&id).await.unwrap().expect("the row is back");
    assert_eq!(row.number, number);
    assert_eq!(row.heads, p.ticket.heads);
    assert_eq!(row.summary, previous.ticket.summary);
    assert_eq!(store.load_chunks(&id).await.unwrap().len(), 2);
    let audited: i64 = with_pool!(store, pool => {
        sqlx::query_scalar("select count(*) from change_audit where document_id = $1 and hash = $2")
            .bind(&id)
            .bind(&entries[0].hash)
            .fetch_one(pool)
            .await
    })
    .expect("audit");
    assert_eq!(audited, 1);
    store.close().await;
}

both_backends!(a_comment_on_a_ticket_without_its_row_writes_the_row);

/// PostgreSQL drops every connection of the store (a restart, an administrator) between two
/// comments: the next comment is stored all the same. The connection kept aside for comments
/// died unnoticed; the commit finds it dead and writes through the pool, which replaces its own.
#[tokio::test]
async fn a_comment_after_postgresql_dropped_the_connections_is_stored() {
    use sqlx::Connection;
    let db = TestDb::new(Backend::Postgres).await;
    let store = Store::connect(&db.url).await.expect("store");
    let (author, mut doc, stored) = new_stored_ticket(&store, "El monitor parpadea.").await;
    let (id, number, mut previous) = (stored.id, stored.number, stored.projection);
    for round in 0..3 {
        if round > 0 {
            let mut admin = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let dropped: Vec<bool> = sqlx::query_scalar(
                "select pg_terminate_backend(pid) from pg_stat_activity
                 where datname = current_database() and pid <> pg_backend_pid()",
            )
            .fetch_all(&mut admin)
            .await
            .unwrap();
            assert!(!dropped.is_empty(), "the store had connections to drop");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let text = format!("Revisión número {round}.");
        (previous, _) = commit_comment(
            &store,
            &mut doc,
            &author.id,
            &text,
            (&id, &number),
            &previous,
        )
        .await
        .unwrap_or_else(|err| panic!("comment {round} not stored: {err}"));
    }
    assert_eq!(store.load_chunks(&id).await.unwrap().len(), 4);
    let row = store.ticket(&id).await.unwrap().expect("row");
    assert_eq!(row.heads, previous.ticket.heads);
    store.close().await;
}
