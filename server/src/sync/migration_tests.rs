//! A ticket written by an earlier version of the app reaches the server after the schema changed:
//! created offline on a phone whose app had not updated yet, or stored before the server
//! updated. The server upgrades it with its own steps before judging or reading it, stores the
//! upgrade, and the phone receives it; without a step for that version, the ticket is refused
//! in Spanish and nothing is stored. The schema has had one version so far, so the tests make up
//! an earlier one, version 0, in which a request had no location.

use automerge::sync::{self, SyncDoc};
use automerge::transaction::{Transactable, Transaction};
use automerge::{AutoCommit, Automerge, ROOT, ReadDoc};
use campo_shared::event_kind::EventKind;
use campo_shared::ids::DocumentId;
use campo_shared::role::Role;
use campo_shared::schema::migrate::{Migration, version_of};
use campo_shared::schema::{Channel, DocError, Event, Person, Request, TicketDoc};
use campo_tests::{Backend, TestDb, both_backends};
use tokio::sync::{mpsc, watch};

use super::Limits;
use super::docs::{CloseReason, DocCmd, Documents, PeerLink, SyncCmd};
use super::wire::Message;
use crate::store::{ChunkKind, Store};

/// The made-up step from version 0: the request gains the location version 1 requires.
#[allow(clippy::result_large_err)] // The signature of a `Migration` step.
fn add_location(tx: &mut Transaction<'_>) -> Result<(), DocError> {
    let Some((_, request)) = tx.get(ROOT, "request")? else {
        return Err(DocError::MissingList("request"));
    };
    if tx.get(&request, "location")?.is_none() {
        tx.put(&request, "location", "Sin indicar")?;
    }
    Ok(())
}

const FROM_ZERO: &[Migration] = &[Migration {
    from: 0,
    what: "la solicitud tiene ubicación",
    apply: add_location,
}];

/// A ticket as the app of version 0 wrote it: no location, `schema` 0.
fn version_zero_ticket() -> AutoCommit {
    let request = Request {
        requester: Person {
            id: "u".into(),
            name: "Persona".into(),
        },
        dependencia: "SISTEMAS".into(),
        location: String::new(),
        phone_extension: None,
        channel: Channel::Phone,
        external_ref: None,
        category: "Red".into(),
        description: "Sin red en la oficina 204".into(),
        equipment: Vec::new(),
        photos: Vec::new(),
    };
    let first = Event::new(EventKind::Registered, 1, "u", Role::Coordinador);
    let mut doc = AutoCommit::new();
    TicketDoc::new(request, first)
        .reconcile_into(&mut doc)
        .expect("ticket");
    let request = doc.get(ROOT, "request").unwrap().unwrap().1;
    doc.delete(&request, "location").unwrap();
    doc.put(ROOT, "schema", 0).unwrap();
    doc.commit();
    doc
}

/// A coordinator's phone holding `doc`, with what the server sends it.
struct Phone {
    doc: AutoCommit,
    state: sync::State,
    link: PeerLink,
    inbox: mpsc::Receiver<Vec<u8>>,
    _kill: watch::Receiver<Option<CloseReason>>,
}

impl Phone {
    fn new(documents: &Documents, doc: AutoCommit) -> Self {
        let (link, inbox, killed) = super::convergence_tests::connect(documents, 0);
        Self {
            doc,
            state: sync::State::new(),
            link,
            inbox,
            _kill: killed,
        }
    }

    /// Syncs `id` with the server until neither side has anything to send; the errors the
    /// server sent.
    async fn sync(&mut self, documents: &Documents, id: DocumentId) -> Vec<String> {
        let mut errors = Vec::new();
        for _ in 0..10 {
            let Some(message) = self.doc.sync().generate_sync_message(&mut self.state) else {
                break;
            };
            let cmd = SyncCmd {
                peer: self.link.clone(),
                data: message.encode(),
                opening: None,
            };
            documents
                .send(id, DocCmd::Sync(Box::new(cmd)))
                .await
                .expect("actor");
            // A view runs after the sync message in the same actor: the replies are queued.
            documents.view(id, |_| ()).await.expect("view");
            while let Ok(frame) = self.inbox.try_recv() {
                match Message::decode(&frame) {
                    Ok(Message::Sync { data, .. }) => {
                        let message = sync::Message::decode(&data).expect("a sync message");
                        self.doc
                            .sync()
                            .receive_sync_message(&mut self.state, message)
                            .expect("the server's message");
                    }
                    Ok(Message::Error { message, .. }) => errors.push(message),
                    _ => {}
                }
            }
        }
        errors
    }
}

fn location(doc: &impl ReadDoc) -> Option<String> {
    let request = doc.get(ROOT, "request").unwrap()?.1;
    let (value, _) = doc.get(&request, "location").unwrap()?;
    value.into_string().ok()
}

async fn stored_document(store: &Store, id: DocumentId) -> Option<Automerge> {
    let bytes = store
        .load_document_bytes(&id.to_bs58check())
        .await
        .expect("store")?;
    Some(Automerge::load(&bytes).expect("a document"))
}

async fn a_new_ticket_of_the_previous_version_is_upgraded_on_arrival(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url).await.expect("store");
    let documents = Documents::with_migrations(store.clone(), Limits::default(), FROM_ZERO);
    let id = DocumentId::new();
    let mut phone = Phone::new(&documents, version_zero_ticket());

    let errors = phone.sync(&documents, id).await;
    assert!(errors.is_empty(), "refused: {errors:?}");
    let row = store
        .ticket(&id.to_bs58check())
        .await
        .unwrap()
        .expect("the ticket is stored and numbered");
    assert!(row.number.starts_with("SAT-"), "{}", row.number);
    let stored = stored_document(&store, id).await.expect("stored");
    assert_eq!(version_of(&stored).unwrap(), 1);
    assert_eq!(location(&stored).as_deref(), Some("Sin indicar"));
    // The phone received the upgrade and holds what the server holds.
    assert_eq!(version_of(&phone.doc).unwrap(), 1);
    assert_eq!(phone.doc.get_heads(), stored.get_heads());
    // The office reads it as any other ticket.
    let ticket = documents.ticket(id).await.unwrap().expect("a ticket");
    assert_eq!(ticket.request.description, "Sin red en la oficina 204");
    assert_eq!(ticket.request.location, "Sin indicar");
    store.close().await;
}

both_backends!(a_new_ticket_of_the_previous_version_is_upgraded_on_arrival);

async fn without_its_step_a_new_ticket_is_refused_and_nothing_is_stored(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url).await.expect("store");
    // This version's own steps: none from version 0.
    let documents = Documents::new(store.clone(), Limits::default());
    let id = DocumentId::new();
    let mut phone = Phone::new(&documents, version_zero_ticket());

    let errors = phone.sync(&documents, id).await;
    assert_eq!(
        errors,
        [
            "Regla «documento de caso válido»: el documento usa la versión 0 del esquema, que este \
          programa no sabe actualizar a la versión 1."
        ]
    );
    assert!(stored_document(&store, id).await.is_none());
    assert!(store.ticket(&id.to_bs58check()).await.unwrap().is_none());
    // The phone keeps its ticket as it was.
    assert_eq!(version_of(&phone.doc).unwrap(), 0);
    store.close().await;
}

both_backends!(without_its_step_a_new_ticket_is_refused_and_nothing_is_stored);

async fn a_stored_ticket_of_the_previous_version_is_upgraded_when_loaded(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url).await.expect("store");
    let id = DocumentId::new();
    let mut old = version_zero_ticket();
    store
        .append_chunk(&id.to_bs58check(), ChunkKind::Snapshot, &old.save())
        .await
        .expect("stored");
    let documents = Documents::with_migrations(store.clone(), Limits::default(), FROM_ZERO);

    let ticket = documents
        .ticket(id)
        .await
        .unwrap()
        .expect("read as a ticket");
    assert_eq!(ticket.request.location, "Sin indicar");
    let stored = stored_document(&store, id).await.expect("stored");
    assert_eq!(version_of(&stored).unwrap(), 1);
    assert_eq!(stored.get_changes(&old.get_heads()).len(), 1, "one change");
    // A phone holding the old copy receives the upgrade.
    let mut phone = Phone::new(&documents, old);
    assert!(phone.sync(&documents, id).await.is_empty());
    assert_eq!(version_of(&phone.doc).unwrap(), 1);
    store.close().await;
}

both_backends!(a_stored_ticket_of_the_previous_version_is_upgraded_when_loaded);
