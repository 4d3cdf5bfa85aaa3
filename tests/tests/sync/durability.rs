//! Nothing a client saw acknowledged is ever lost, even when the server is killed mid-burst.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ROOT, ReadDoc};
use campo_shared::ids::DocumentId;
use campo_shared::schema::Visit;
use campo_tests::{Backend, both_backends};

use crate::support::{DEADLINE, RawPeer, Server};

/// What one client wrote and what the server acknowledged.
struct Outcome {
    document: String,
    written: Vec<ChangeHash>,
    acked: usize,
}

/// Writes a change every few milliseconds and syncs, until the connection breaks. A change is
/// acknowledged when a sync message from the server lists it (or a later one) among its heads.
async fn burst(mut peer: RawPeer, progress: Arc<AtomicUsize>, user_id: String) -> Outcome {
    let document = DocumentId::new().to_bs58check();
    let mut doc = AutoCommit::new();
    let mut ticket = crate::support::ticket_doc(&user_id);
    ticket
        .visits
        .push(Visit::start(&user_id, ticket.events[0].at, true));
    ticket.reconcile_into(&mut doc).expect("a ticket");
    // Each change rewrites the visit's note (a coordinator may edit any visit).
    let visits = doc.get(ROOT, "visits").expect("visits").expect("a list").1;
    let visit = doc.get(&visits, 0).expect("visit").expect("a visit").1;
    let mut state = sync::State::new();
    let mut written: Vec<ChangeHash> = Vec::new();
    let mut acked = 0usize;
    let mut ticker = tokio::time::interval(Duration::from_millis(3));
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let n = written.len();
                doc.put(&visit, "note", format!("Cambio {n}")).expect("put");
                written.push(doc.get_heads()[0]);
            }
            frame = peer.recv() => {
                let Some(frame) = frame else { break };
                if frame.kind != "sync" { continue; }
                let message = sync::Message::decode(&frame.data).expect("server sync message");
                doc.sync().receive_sync_message(&mut state, message).expect("receive");
                if let Some(theirs) = &state.their_heads {
                    for head in theirs {
                        if let Some(i) = written.iter().position(|h| h == head)
                            && i + 1 > acked
                        {
                            progress.fetch_add(i + 1 - acked, Ordering::Relaxed);
                            acked = i + 1;
                        }
                    }
                }
            }
        }
        if let Some(message) = doc.sync().generate_sync_message(&mut state)
            && peer.send_sync(&document, &message.encode()).await.is_err()
        {
            break;
        }
    }
    Outcome {
        document,
        written,
        acked,
    }
}

async fn kill_nine_loses_nothing_acknowledged(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let owner = server.ticket_owner(&admin).await;
    let user_id = owner["userId"].as_str().expect("user id").to_owned();
    let progress = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..3 {
        let peer = RawPeer::join(&server.sync_url(&admin).await, &format!("rafaga-{i}"))
            .await
            .expect("join");
        tasks.push(tokio::spawn(burst(peer, progress.clone(), user_id.clone())));
    }
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while progress.load(Ordering::Relaxed) < 150 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server acknowledged too little"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let server = server.restart(true).await;
    let mut total = 0;
    for task in tasks {
        let outcome = task.await.expect("burst task");
        if outcome.acked == 0 {
            // A burst that had barely started when the server was killed (in one run it had
            // written two changes when the others reached the 150): nothing of its document was
            // acknowledged, so the server owes nothing, not even the document.
            continue;
        }
        let stored = server
            .stored(&outcome.document)
            .await
            .expect("the document survived");
        for hash in &outcome.written[..outcome.acked] {
            assert!(
                stored.get_change_by_hash(hash).is_some(),
                "an acknowledged change was lost"
            );
        }
        total += outcome.acked;
    }
    assert!(total >= 150);
}
both_backends!(kill_nine_loses_nothing_acknowledged);
