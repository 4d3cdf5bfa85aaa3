//! Property test of the document actor: three clients edit offline while their messages to and
//! from the server are reordered, duplicated and dropped; after they reconnect over a reliable
//! link, all of them and the server's stored copy have the same heads.

use std::sync::Arc;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use campo_shared::event_kind::EventKind;
use campo_shared::ids::DocumentId;
use campo_shared::role::Role;
use campo_shared::schema::{Channel, Event, Person, Request, TicketDoc, Visit};
use proptest::prelude::*;
use tokio::sync::{mpsc, watch};

use super::Limits;
use super::docs::{DocCmd, Documents, PeerLink, SyncCmd};
use super::wire::Message;
use crate::store::Store;

#[derive(Debug, Clone)]
enum Op {
    Edit { client: usize, key: u8, value: i64 },
    Generate { client: usize },
    Deliver { index: usize },
    Duplicate { index: usize },
    Drop { index: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..6u8, any::<i64>()).prop_map(|(client, key, value)| Op::Edit {
            client,
            key,
            value
        }),
        (0..3usize).prop_map(|client| Op::Generate { client }),
        (0..64usize).prop_map(|index| Op::Deliver { index }),
        (0..64usize).prop_map(|index| Op::Duplicate { index }),
        (0..64usize).prop_map(|index| Op::Drop { index }),
    ]
}

/// A message in flight: to the server from a client, or to a client from the server.
#[derive(Clone)]
enum InFlight {
    ToServer(usize, Vec<u8>),
    ToClient(usize, Vec<u8>),
}

struct Client {
    doc: AutoCommit,
    state: sync::State,
    link: PeerLink,
    outbox: mpsc::Receiver<Vec<u8>>,
    _kill: watch::Receiver<Option<super::docs::CloseReason>>,
}

/// A link for client `i`, acting as coordinator `u`, with its outbox and its kill switch.
pub(super) fn connect(
    documents: &Documents,
    i: usize,
) -> (
    PeerLink,
    mpsc::Receiver<Vec<u8>>,
    watch::Receiver<Option<super::docs::CloseReason>>,
) {
    let (tx, rx) = mpsc::channel(10_000);
    let (kill, killed) = watch::channel(None);
    let link = PeerLink {
        conn: documents.next_conn_id(),
        peer_id: format!("cliente-{i}").into(),
        user_id: "u".into(),
        role: campo_shared::role::Role::Coordinador,
        session: "sesion".into(),
        unknown: Arc::default(),
        outbox: tx,
        kill: Arc::new(kill),
    };
    (link, rx, killed)
}

async fn deliver(
    documents: &Documents,
    id: DocumentId,
    clients: &mut [Client],
    net: &mut Vec<InFlight>,
    m: InFlight,
) {
    match m {
        InFlight::ToServer(i, data) => {
            let peer = clients[i].link.clone();
            documents
                .send(
                    id,
                    DocCmd::Sync(Box::new(SyncCmd {
                        peer,
                        data,
                        opening: None,
                    })),
                )
                .await
                .expect("actor");
            // A view runs after the sync message in the same actor: the replies are queued.
            documents.view(id, |_| ()).await.expect("view");
            for (j, client) in clients.iter_mut().enumerate() {
                while let Ok(frame) = client.outbox.try_recv() {
                    if let Ok(Message::Sync { data, .. }) = Message::decode(&frame) {
                        net.push(InFlight::ToClient(j, data));
                    }
                }
            }
        }
        InFlight::ToClient(i, data) => {
            let client = &mut clients[i];
            if let Ok(message) = sync::Message::decode(&data) {
                let _ = client
                    .doc
                    .sync()
                    .receive_sync_message(&mut client.state, message);
            }
            if let Some(reply) = client.doc.sync().generate_sync_message(&mut client.state) {
                net.push(InFlight::ToServer(i, reply.encode()));
            }
        }
    }
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = std::env::temp_dir().join(format!("campo-prop-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = Store::connect(&Store::default_url(&dir))
        .await
        .expect("store");
    let documents = Documents::new(store.clone(), Limits::default());
    let id = DocumentId::new();
    let base = {
        // A ticket registered by the clients' user, with six visits whose notes the edits below
        // rewrite.
        let mut doc = AutoCommit::new();
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
            category: "Red".into(),
            description: "Sin red".into(),
            equipment: Vec::new(),
            photos: Vec::new(),
        };
        let first = Event::new(EventKind::Registered, 1, "u", Role::Coordinador);
        let mut ticket = TicketDoc::new(request, first);
        for i in 0..6 {
            ticket.visits.push(Visit::start("u", 2 + i, true));
        }
        ticket.reconcile_into(&mut doc).expect("ticket");
        doc
    };
    let mut clients: Vec<Client> = (0..3)
        .map(|i| {
            let (link, outbox, kill) = connect(&documents, i);
            let mut doc = base.clone();
            doc.set_actor(automerge::ActorId::random());
            Client {
                doc,
                state: sync::State::new(),
                link,
                outbox,
                _kill: kill,
            }
        })
        .collect();
    let mut net: Vec<InFlight> = Vec::new();
    for op in ops {
        match op {
            Op::Edit { client, key, value } => {
                // Concurrent edits of the same visit's note conflict, as the root keys of a
                // free-form document would; the clients' coordinator may edit any visit.
                let doc = &mut clients[client].doc;
                let visits = doc.get(ROOT, "visits").expect("visits").expect("a list").1;
                let visit = doc
                    .get(&visits, usize::from(key))
                    .expect("visit")
                    .expect("a visit")
                    .1;
                doc.put(&visit, "note", format!("Nota {value}"))
                    .expect("put");
            }
            Op::Generate { client } => {
                let c = &mut clients[client];
                if let Some(m) = c.doc.sync().generate_sync_message(&mut c.state) {
                    net.push(InFlight::ToServer(client, m.encode()));
                }
            }
            Op::Deliver { index } if !net.is_empty() => {
                let m = net.remove(index % net.len());
                deliver(&documents, id, &mut clients, &mut net, m).await;
            }
            Op::Duplicate { index } if !net.is_empty() => {
                let m = net[index % net.len()].clone();
                deliver(&documents, id, &mut clients, &mut net, m).await;
            }
            Op::Drop { index } if !net.is_empty() => {
                net.remove(index % net.len());
            }
            _ => {}
        }
    }
    // Reconnect every client (fresh connections, sync states kept as a device keeps them) and
    // sync over a reliable, ordered link until nothing is left to say.
    net.clear();
    for (i, client) in clients.iter_mut().enumerate() {
        documents
            .send(
                id,
                DocCmd::Leave {
                    conn: client.link.conn,
                },
            )
            .await
            .expect("leave");
        let (link, outbox, kill) = connect(&documents, i);
        client.link = link;
        client.outbox = outbox;
        client._kill = kill;
        client.state = sync::State::decode(&client.state.encode()).expect("state");
    }
    for _round in 0..50 {
        for (i, c) in clients.iter_mut().enumerate() {
            if let Some(m) = c.doc.sync().generate_sync_message(&mut c.state) {
                net.push(InFlight::ToServer(i, m.encode()));
            }
        }
        if net.is_empty() {
            break;
        }
        while !net.is_empty() {
            let m = net.remove(0);
            deliver(&documents, id, &mut clients, &mut net, m).await;
        }
    }
    let server_heads = documents
        .view(id, |doc| doc.map(|d| d.get_heads()).unwrap_or_default())
        .await
        .expect("view");
    let stored = store
        .load_document_bytes(&id.to_bs58check())
        .await
        .expect("load")
        .map(|bytes| {
            automerge::Automerge::load(&bytes)
                .expect("stored loads")
                .get_heads()
        })
        .unwrap_or_default();
    for c in &mut clients {
        prop_assert_eq!(c.doc.get_heads(), server_heads.clone());
    }
    prop_assert_eq!(stored, server_heads);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn clients_converge_despite_a_bad_network(ops in proptest::collection::vec(op(), 1..80)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(run(ops))?;
    }
}
