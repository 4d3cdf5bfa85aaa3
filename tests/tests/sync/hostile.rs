//! Authentication before the upgrade, and hostile input: each harms only its own connection.

use campo_tests::{Backend, both_backends};
use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{Field, NodePeer, RawPeer, Server, encode};

/// The socket cannot be opened without a session or a valid token, a foreign origin is refused,
/// a token serves the reconnects of its short life, and a peer id is only a name: another user
/// claiming it takes nothing from the first.
async fn authentication_comes_first(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let tecnico = server.login("tecnico1").await;
    let ws_base = server.base.replacen("http", "ws", 1);

    let anonymous = tokio_tungstenite::connect_async(format!("{ws_base}/sync")).await;
    assert!(
        anonymous.is_err_and(|e| e.to_string().contains("401")),
        "no socket without authentication"
    );
    let forged = tokio_tungstenite::connect_async(format!("{ws_base}/sync?token=abc")).await;
    assert!(forged.is_err_and(|e| e.to_string().contains("401")));

    // The official JavaScript adapter reconnects with the same URL: the token serves again.
    let url = server.sync_url(&admin).await;
    let mut first = RawPeer::join(&url, "equipo-1").await.expect("token works");
    let _again = RawPeer::join(&url, "equipo-9")
        .await
        .expect("a token serves the reconnects of its life");

    let mut request = server.sync_url(&admin).await.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", "http://sitio-malicioso.example".parse().unwrap());
    let foreign = tokio_tungstenite::connect_async(request).await;
    assert!(foreign.is_err_and(|e| e.to_string().contains("403")));

    // Another user claiming the same peer id gets a connection of its own; the first one is
    // untouched and still answered.
    let mut other = RawPeer::join(&server.sync_url(&tecnico).await, "equipo-1")
        .await
        .expect("the same name, another connection");
    let unknown = campo_shared::ids::DocumentId::new().to_bs58check();
    for peer in [&mut first, &mut other] {
        peer.send_sync(&unknown, &empty_sync_message())
            .await
            .expect("send");
        let answer = peer.recv().await.expect("an answer");
        assert_eq!(answer.document_id, unknown, "{answer:?}");
    }
}
both_backends!(authentication_comes_first);

/// Asking for documents that do not exist costs the asker: past its budget its connection is
/// closed with the reason, and an honest técnico keeps syncing meanwhile.
async fn asking_for_unknown_documents_costs_the_asker(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let owner = server.ticket_owner(&admin).await;
    let mut honest = NodePeer::spawn().await;
    honest.connect(&server.sync_url(&admin).await).await;
    let created = honest
        .cmd(json!({"cmd": "create", "doc": {}, "ticket": owner}))
        .await;
    let url = created["url"].as_str().unwrap().to_owned();

    let tecnico = server.login("tecnico1").await;
    let mut flood = RawPeer::join(&server.sync_url(&tecnico).await, "inundador")
        .await
        .expect("join");
    let ask = empty_sync_message();
    let mut answered = 0;
    let reason = loop {
        let id = campo_shared::ids::DocumentId::new().to_bs58check();
        flood.send_request(&id, &ask).await.expect("send");
        let frame = flood.recv().await.expect("an answer");
        if frame.kind == "error" {
            break frame.message;
        }
        assert_eq!(frame.kind, "doc-unavailable");
        answered += 1;
        assert!(answered <= 1_000, "the server kept answering");
    };
    assert!(reason.contains("Demasiadas solicitudes"), "{reason}");
    assert!(answered >= 100, "an honest burst is answered: {answered}");

    honest
        .cmd(
            json!({"cmd": "comment", "url": url, "userId": owner["userId"],
                    "text": "Sigo trabajando."}),
        )
        .await;
    let saved = honest.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    assert_eq!(saved["doc"]["comments"][0]["text"], "Sigo trabajando.");
}
both_backends!(asking_for_unknown_documents_costs_the_asker);

/// A sync message that has nothing and asks for everything.
fn empty_sync_message() -> Vec<u8> {
    use automerge::sync::{self, SyncDoc};
    automerge::Automerge::new()
        .generate_sync_message(&mut sync::State::new())
        .expect("a first message")
        .encode()
}

/// Logging out closes the session's live sockets at once and revokes its tokens; deactivating a
/// user closes all of its sockets.
async fn sessions_end_everywhere(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let tecnico = server.login("tecnico1").await;
    let url = server.sync_url(&tecnico).await;
    let mut by_token = RawPeer::join(&url, "telefono").await.expect("join");
    let mut by_cookie = crate::support::join_with_cookie(&server, &tecnico, "navegador")
        .await
        .expect("join with the session cookie");
    let other_session = server.login("tecnico1").await;
    let mut elsewhere = RawPeer::join(&server.sync_url(&other_session).await, "tableta")
        .await
        .expect("join");

    let reply = tecnico.post("/api/logout", &json!({})).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    for peer in [&mut by_token, &mut by_cookie] {
        let reason = peer.closed_with().await.expect("closed at logout");
        assert!(reason.contains("sesión terminó"), "{reason}");
    }
    let reused = tokio_tungstenite::connect_async(&url).await;
    assert!(
        reused.is_err_and(|e| e.to_string().contains("401")),
        "the session's token died with it"
    );

    // The other session of the same user was not touched by that logout; deactivation ends it.
    let unknown = campo_shared::ids::DocumentId::new().to_bs58check();
    elsewhere
        .send_sync(&unknown, &empty_sync_message())
        .await
        .expect("still open");
    assert!(elsewhere.recv().await.is_some(), "still answered");
    let users = admin.get("/api/users?role=tecnico").await.body;
    let id = users.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = admin
        .patch(&format!("/api/users/{id}"), &json!({"active": false}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reason = elsewhere
        .closed_with()
        .await
        .expect("closed at deactivation");
    assert!(reason.contains("Su cuenta cambió"), "{reason}");
}
both_backends!(sessions_end_everywhere);

/// The official JavaScript client reconnects by itself after the server restarts, with the
/// same URL, and its offline work reaches the server.
async fn the_js_adapter_reconnects_after_a_restart(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let owner = server.ticket_owner(&admin).await;
    let mut peer = NodePeer::spawn().await;
    let url = server.sync_url(&admin).await;
    peer.connect(&url).await;
    let created = peer
        .cmd(json!({"cmd": "create", "doc": {}, "ticket": owner}))
        .await;
    let doc_url = created["url"].as_str().unwrap().to_owned();
    peer.cmd(json!({"cmd": "wait-saved", "url": doc_url})).await;

    let server = server.restart_in_place().await;
    peer.cmd(
        json!({"cmd": "comment", "url": doc_url, "userId": owner["userId"],
                    "text": "Escrito mientras el servidor reiniciaba."}),
    )
    .await;
    let saved = peer.cmd(json!({"cmd": "wait-saved", "url": doc_url})).await;
    assert_eq!(
        saved["doc"]["comments"][0]["text"],
        "Escrito mientras el servidor reiniciaba."
    );
    let stored = server.stored(&doc_url).await.expect("stored");
    assert_eq!(crate::support::heads_hex(&stored), {
        let heads: Vec<String> = serde_json::from_value(saved["heads"].clone()).unwrap();
        heads
    });
}
both_backends!(the_js_adapter_reconnects_after_a_restart);

/// Sends `frame` on a fresh joined connection and returns the reason the server closed it with.
async fn close_reason(server: &Server, client: &campo_tests::Client, frame: Vec<u8>) -> String {
    let mut peer = RawPeer::join(
        &server.sync_url(client).await,
        &uuid::Uuid::new_v4().to_string(),
    )
    .await
    .expect("join");
    peer.send_raw(frame).await.expect("send");
    peer.closed_with()
        .await
        .expect("the server explains why it closes")
}

async fn malformed_input_harms_only_its_connection(backend: Backend) {
    let server = Server::spawn(
        backend,
        &[
            ("CAMPO_SYNC_MAX_MESSAGE_BYTES", "65536"),
            ("CAMPO_SYNC_MESSAGES_PER_SECOND", "50"),
            ("CAMPO_SYNC_MESSAGE_BURST", "100"),
        ],
    )
    .await;
    let admin = server.login("admin").await;
    let owner = server.ticket_owner(&admin).await;
    // A well-behaved client stays connected throughout.
    let mut good = NodePeer::spawn().await;
    good.connect(&server.sync_url(&admin).await).await;
    let created = good
        .cmd(json!({"cmd": "create", "doc": {}, "ticket": owner}))
        .await;
    let url = created["url"].as_str().unwrap().to_owned();
    good.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let doc_id = url.trim_start_matches("automerge:").to_owned();

    // Random bytes, including random CBOR-looking prefixes.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..8 {
        let len = rng.gen_range(1..200);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
        bytes[0] = 0xa0 | (bytes[0] & 0x1f);
        let reason = close_reason(&server, &admin, bytes).await;
        assert!(!reason.is_empty());
    }
    // A truncated frame.
    let whole = encode(&[
        ("type", Field::Text("sync")),
        ("senderId", Field::Text("x")),
        ("targetId", Field::Text("y")),
        ("documentId", Field::Text(&doc_id)),
        ("data", Field::Bytes(&[0x42, 1, 2, 3])),
    ]);
    let reason = close_reason(&server, &admin, whole[..whole.len() - 3].to_vec()).await;
    assert!(reason.contains("no válido"), "{reason}");
    // A well-formed envelope around a bad sync message, for a real document.
    let mut peer = RawPeer::join(&server.sync_url(&admin).await, "mal-sync")
        .await
        .expect("join");
    peer.send_sync(&doc_id, &[0x42, 0xff, 0xff, 0x00, 0x13])
        .await
        .expect("send");
    let reason = peer.closed_with().await.expect("reason");
    assert!(reason.contains("sincronización"), "{reason}");
    // A bad document id.
    let mut peer = RawPeer::join(&server.sync_url(&admin).await, "mal-doc")
        .await
        .expect("join");
    peer.send_sync("no-es-un-id", &[0x42]).await.expect("send");
    assert!(
        peer.closed_with()
            .await
            .expect("reason")
            .contains("documentId")
    );
    // A message larger than the limit.
    let mut peer = RawPeer::join(&server.sync_url(&admin).await, "enorme")
        .await
        .expect("join");
    let _ = peer.send_sync(&doc_id, &vec![0u8; 200_000]).await;
    let reason = peer
        .closed_with()
        .await
        .expect("the huge message closes the socket");
    assert!(reason.contains("demasiado grande"), "{reason}");
    // A message before the handshake.
    let (mut ws, _) = tokio_tungstenite::connect_async(server.sync_url(&admin).await)
        .await
        .expect("connect");
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::Binary(
        whole.clone().into(),
    ))
    .await
    .expect("send");
    let mut raw = RawPeer {
        ws,
        peer_id: String::new(),
        server_id: String::new(),
        closed_because: None,
    };
    assert!(raw.closed_with().await.expect("reason").contains("join"));
    // A flood.
    let mut peer = RawPeer::join(&server.sync_url(&admin).await, "inundacion")
        .await
        .expect("join");
    let noise = encode(&[
        ("type", Field::Text("remote-subscription-change")),
        ("senderId", Field::Text("inundacion")),
    ]);
    for _ in 0..1000 {
        if peer.send_raw(noise.clone()).await.is_err() {
            break;
        }
    }
    let reason = peer.closed_with().await.expect("reason");
    assert!(reason.contains("Demasiados mensajes"), "{reason}");

    // The good client never noticed: it still syncs and the server still answers.
    good.cmd(json!({"cmd": "comment", "url": url, "userId": owner["userId"], "text": "Sigue funcionando"}))
        .await;
    let saved = good.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    assert_eq!(saved["doc"]["comments"][0]["text"], "Sigue funcionando");
    assert!(server.alive().await);
}
both_backends!(malformed_input_harms_only_its_connection);
