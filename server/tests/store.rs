//! The store, on SQLite and on PostgreSQL: what the API and the demo rely on.

use std::collections::BTreeSet;

use campo_server::store::{ChunkKind, NewUser, Store, UserChanges, now_ms};
use campo_tests::{Backend, TestDb, both_backends};

async fn open(backend: Backend) -> (Store, TestDb) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    (store, db)
}

both_backends!(demo_tickets_cover_the_procedure);
async fn demo_tickets_cover_the_procedure(backend: Backend) {
    let (store, _db) = open(backend).await;
    let first = campo_server::demo::load(&store).await.unwrap();
    let states: BTreeSet<String> = store
        .all_tickets()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.state)
        .collect();
    let expected = [
        "registrada",
        "pendiente",
        "asignada",
        "en_atencion",
        "usuario_ausente",
        "en_taller",
        "con_contratista",
        "resuelta",
        "cerrada",
        "anulada",
    ];
    assert_eq!(states, expected.iter().map(|s| s.to_string()).collect());
    let tickets = store.all_tickets().await.unwrap();
    assert!(tickets.iter().all(|t| t.flags == 0));
    assert!(tickets.iter().all(|t| t.number.starts_with("SAT-")));

    // Every demo ticket is a real document that hydrates back to what the projection says.
    for ticket in &tickets {
        let bytes = store
            .load_document_bytes(&ticket.id)
            .await
            .unwrap()
            .expect("document stored");
        let doc = automerge::AutoCommit::load(&bytes).unwrap();
        let hydrated = campo_shared::schema::TicketDoc::hydrate_from(&doc).unwrap();
        let folded = campo_shared::workflow::fold(&hydrated.events);
        assert_eq!(folded.state.as_str(), ticket.state);
    }

    let second = campo_server::demo::load(&store).await.unwrap();
    assert_eq!(first.tickets, second.tickets);
    assert_eq!(first.logins.len(), second.logins.len());
    assert_eq!(
        store.list_users(None).await.unwrap().len(),
        first.logins.len()
    );
}

both_backends!(ticket_numbers_are_never_given_twice);
async fn ticket_numbers_are_never_given_twice(backend: Backend) {
    use campo_server::projection::{Sla, project};
    use campo_server::store::CommitChange;
    use campo_shared::event_kind::EventKind;
    use campo_shared::role::Role;
    use campo_shared::schema::{Channel, Event, Person, Request, TicketDoc};

    let (store, _db) = open(backend).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Registered at noon in Bogotá on 10 June 2025 or 2026.
            let at = if i % 3 == 0 {
                1_749_574_800_000
            } else {
                1_781_110_800_000
            };
            let request = Request {
                requester: Person {
                    id: "u".into(),
                    name: "Persona".into(),
                },
                dependencia: "SISTEMAS".into(),
                location: "Piso 2".into(),
                phone_extension: None,
                channel: Channel::Phone,
                external_ref: None,
                category: "Hardware".into(),
                description: "Prueba".into(),
                equipment: Vec::new(),
                photos: Vec::new(),
            };
            let ticket = TicketDoc::new(
                request,
                Event::new(EventKind::Registered, at, "u", Role::Coordinador),
            );
            let sla = Sla::default();
            let projection = project(&ticket, &[], &[], &sla);
            let id = format!("doc-{i}");
            store
                .commit_change(&CommitChange {
                    doc_id: &id,
                    kind: ChunkKind::Snapshot,
                    data: b"-",
                    audit: &[],
                    user_id: None,
                    device: "prueba",
                    projection: Some(&projection),
                    previous: None,
                    number: None,
                    receipt: None,
                })
                .await
                .unwrap()
                .number
                .unwrap()
        }));
    }
    let mut numbers = BTreeSet::new();
    for task in tasks {
        assert!(
            numbers.insert(task.await.unwrap()),
            "a number was given twice"
        );
    }
    let expected: BTreeSet<String> = (1..=8)
        .map(|n| format!("SAT-2025-{n:06}"))
        .chain((1..=16).map(|n| format!("SAT-2026-{n:06}")))
        .collect();
    assert_eq!(numbers, expected);
}

both_backends!(disabling_a_user_ends_its_sessions_atomically);
async fn disabling_a_user_ends_its_sessions_atomically(backend: Backend) {
    let (store, _db) = open(backend).await;
    let user = store
        .insert_user(&NewUser {
            username: "ana",
            full_name: "Ana",
            role: "tecnico",
            dependencia: None,
            email: None,
            password_hash: "x",
        })
        .await
        .unwrap();
    let now = now_ms();
    store
        .insert_session("h1", &user.id, now, now + 1000)
        .await
        .unwrap();
    store
        .insert_session("h2", &user.id, now, now + 1000)
        .await
        .unwrap();
    assert!(store.session("h1").await.unwrap().is_some());

    // A change that fails (unknown dependencia) changes nothing, sessions included.
    let failed = store
        .update_user(
            &user.id,
            UserChanges {
                active: Some(false),
                dependencia: Some(Some("NOEXISTE".into())),
                ..Default::default()
            },
        )
        .await;
    assert!(failed.is_err());
    assert!(store.user_by_id(&user.id).await.unwrap().unwrap().active);
    assert!(store.session("h1").await.unwrap().is_some());

    let updated = store
        .update_user(
            &user.id,
            UserChanges {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!updated.active);
    assert!(store.session("h1").await.unwrap().is_none());
    assert!(store.session("h2").await.unwrap().is_none());
    assert!(
        store
            .update_user("nadie", UserChanges::default())
            .await
            .unwrap()
            .is_none()
    );
}

both_backends!(sessions_expire_and_are_swept);
async fn sessions_expire_and_are_swept(backend: Backend) {
    let (store, _db) = open(backend).await;
    let user = store
        .insert_user(&NewUser {
            username: "beto",
            full_name: "Beto",
            role: "funcionario",
            dependencia: None,
            email: None,
            password_hash: "x",
        })
        .await
        .unwrap();
    let now = now_ms();
    store
        .insert_session("old", &user.id, now - 10_000, now - 1)
        .await
        .unwrap();
    store
        .insert_session("idle", &user.id, now - 10_000, now + 100_000)
        .await
        .unwrap();
    store
        .insert_session("fresh", &user.id, now, now + 100_000)
        .await
        .unwrap();
    let swept = store
        .delete_expired_sessions(now, now - 5_000)
        .await
        .unwrap();
    assert_eq!(swept, 2);
    assert!(store.session("fresh").await.unwrap().is_some());
}

both_backends!(document_chunks_load_in_order);
async fn document_chunks_load_in_order(backend: Backend) {
    use automerge::transaction::Transactable;
    let (store, _db) = open(backend).await;
    assert!(store.load_document_bytes("nada").await.unwrap().is_none());
    let mut doc = automerge::AutoCommit::new();
    doc.put(automerge::ROOT, "estado", "registrada").unwrap();
    store
        .append_chunk("d1", ChunkKind::Snapshot, &doc.save())
        .await
        .unwrap();
    doc.put(automerge::ROOT, "estado", "asignada").unwrap();
    store
        .append_chunk("d1", ChunkKind::Incremental, &doc.save_incremental())
        .await
        .unwrap();
    let loaded =
        automerge::AutoCommit::load(&store.load_document_bytes("d1").await.unwrap().unwrap())
            .unwrap();
    let (value, _) = automerge::ReadDoc::get(&loaded, automerge::ROOT, "estado")
        .unwrap()
        .unwrap();
    assert_eq!(value.as_str(), Some("asignada"));
}

both_backends!(settings_round_trip);
async fn settings_round_trip(backend: Backend) {
    let (store, _db) = open(backend).await;
    let policy: Option<campo_shared::sla::SlaPolicy> = store.setting("sla").await.unwrap();
    assert!(policy.is_none());
    let policy = campo_shared::sla::SlaPolicy {
        pause_while_user_absent: false,
        ..Default::default()
    };
    store.put_setting("sla", &policy).await.unwrap();
    store.put_setting("sla", &policy).await.unwrap();
    let back: campo_shared::sla::SlaPolicy = store.setting("sla").await.unwrap().unwrap();
    assert!(!back.pause_while_user_absent);
}
