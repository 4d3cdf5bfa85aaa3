//! Interop with the official JavaScript client (`@automerge/automerge-repo` 2.5 and its WebSocket
//! adapter, unmodified, in Node).

use campo_tests::{Backend, both_backends};
use serde_json::{Value, json};

use crate::support::{NodePeer, Server, heads_hex};

fn heads(answer: &Value) -> Vec<String> {
    serde_json::from_value(answer["heads"].clone()).expect("heads")
}

/// Create, find by URL, two clients edit offline and converge with the server, ephemeral relay.
async fn two_clients_converge(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    // A second device of a coordinator (técnicos see only their tickets; see the access tests).
    let tecnico = server.login("admin").await;
    let mut owner = server.ticket_owner(&admin).await;
    owner["description"] = json!("Impresora atascada");
    let mut a = NodePeer::spawn().await;
    let mut b = NodePeer::spawn().await;
    let hello = a.connect(&server.sync_url(&admin).await).await;
    assert!(
        hello["storageId"].is_string(),
        "the server announces its storage: {hello}"
    );
    b.connect(&server.sync_url(&tecnico).await).await;

    // A creates a ticket; once A sees it saved, the server has exactly A's heads.
    let created = a
        .cmd(json!({"cmd": "create", "doc": {}, "ticket": owner}))
        .await;
    let url = created["url"].as_str().expect("url").to_owned();
    let saved = a.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let stored = server.stored(&url).await.expect("stored on the server");
    assert_eq!(heads_hex(&stored), heads(&saved));

    // B finds it by URL.
    let found = b.cmd(json!({"cmd": "find", "url": url})).await;
    assert_eq!(found["doc"]["request"]["description"], "Impresora atascada");

    // Ephemeral messages reach the other peer and are never stored.
    a.cmd(json!({"cmd": "broadcast", "url": url, "message": {"escribiendo": "A"}}))
        .await;
    let received = b.cmd(json!({"cmd": "wait-ephemeral", "url": url})).await;
    assert_eq!(received["message"], json!({"escribiendo": "A"}));

    // Both go offline and each records an event.
    a.disconnect().await;
    b.disconnect().await;
    let user = &owner["userId"];
    a.cmd(json!({"cmd": "comment", "url": url, "userId": user, "text": "visita de A"}))
        .await;
    b.cmd(json!({"cmd": "comment", "url": url, "userId": user, "text": "visita de B"}))
        .await;

    // Back online (new tokens: they are single-use), both events survive on all three.
    a.connect(&server.sync_url(&admin).await).await;
    b.connect(&server.sync_url(&tecnico).await).await;
    let a_state = wait_comments(&mut a, &url, 2).await;
    let b_state = wait_comments(&mut b, &url, 2).await;
    assert_eq!(a_state["doc"], b_state["doc"]);
    assert_eq!(heads(&a_state), heads(&b_state));
    let a_saved = a.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let stored = server.stored(&url).await.expect("stored");
    assert_eq!(heads_hex(&stored), heads(&a_saved));
    let mut comments = texts(&a_state);
    comments.sort();
    assert_eq!(comments, ["visita de A", "visita de B"]);
}
both_backends!(two_clients_converge);

/// The texts of the ticket's comments, in document order.
fn texts(state: &Value) -> Vec<String> {
    state["doc"]["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| c["text"].as_str().expect("text").to_owned())
        .collect()
}

async fn wait_comments(peer: &mut NodePeer, url: &str, n: usize) -> Value {
    let deadline = tokio::time::Instant::now() + crate::support::DEADLINE;
    loop {
        let state = peer.cmd(json!({"cmd": "state", "url": url})).await;
        if state["doc"]["comments"].as_array().map(Vec::len) == Some(n) {
            return state;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the peer never saw {n} comments: {state}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A document created on a device that was never online reaches the server when it connects;
/// an unknown document is reported unavailable.
async fn offline_document_reaches_server(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let mut owner = server.ticket_owner(&admin).await;
    owner["description"] = json!("Sin red en la sede");
    let mut a = NodePeer::spawn().await;
    let created = a
        .cmd(json!({"cmd": "create", "doc": {}, "ticket": owner}))
        .await;
    let url = created["url"].as_str().expect("url").to_owned();
    assert!(server.stored(&url).await.is_none());
    a.connect(&server.sync_url(&admin).await).await;
    let saved = a.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let stored = server.stored(&url).await.expect("stored after connecting");
    assert_eq!(heads_hex(&stored), heads(&saved));

    let mut b = NodePeer::spawn().await;
    b.connect(&server.sync_url(&admin).await).await;
    let found = b.cmd(json!({"cmd": "find", "url": url})).await;
    assert_eq!(found["doc"]["request"]["description"], "Sin red en la sede");
    let missing = b
        .try_cmd(json!({"cmd": "find", "url": "automerge:4NMNnkMhL8jXrdJ9jamS58PAVdXu"}))
        .await;
    assert!(
        missing.is_err_and(|e| e.contains("unavailable")),
        "an unknown document is unavailable"
    );
}
both_backends!(offline_document_reaches_server);

/// After a restart everything is still there and a connected client resumes.
async fn restart_resumes(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let owner = server.ticket_owner(&admin).await;
    let mut a = NodePeer::spawn().await;
    a.connect(&server.sync_url(&admin).await).await;
    let created = a
        .cmd(json!({"cmd": "create", "doc": {}, "ticket": owner}))
        .await;
    let url = created["url"].as_str().expect("url").to_owned();
    let user = &owner["userId"];
    a.cmd(json!({"cmd": "comment", "url": url, "userId": user, "text": "uno"}))
        .await;
    a.cmd(json!({"cmd": "wait-saved", "url": url})).await;

    let server = server.restart(false).await;
    let admin = server.login("admin").await;
    a.connect(&server.sync_url(&admin).await).await;
    a.cmd(json!({"cmd": "comment", "url": url, "userId": user, "text": "dos"}))
        .await;
    let saved = a.cmd(json!({"cmd": "wait-saved", "url": url})).await;

    let mut c = NodePeer::spawn().await;
    c.connect(&server.sync_url(&admin).await).await;
    c.cmd(json!({"cmd": "find", "url": url})).await;
    let found = wait_comments(&mut c, &url, 2).await;
    assert_eq!(texts(&found), ["uno", "dos"]);
    assert_eq!(heads(&found), heads(&saved));
}
both_backends!(restart_resumes);
