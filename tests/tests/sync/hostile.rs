//! Authentication before the upgrade, and hostile input: each harms only its own connection.

use campo_tests::{Backend, both_backends};
use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{Field, NodePeer, RawPeer, Server, encode};

/// The socket cannot be opened without a session or a valid token, a token works once, a foreign
/// origin is refused, and a peer id connected for one user cannot be taken by another.
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

    let url = server.sync_url(&admin).await;
    let first = RawPeer::join(&url, "equipo-1").await.expect("token works");
    let again = tokio_tungstenite::connect_async(&url).await;
    assert!(
        again.is_err_and(|e| e.to_string().contains("401")),
        "a token works once"
    );

    let mut request = server.sync_url(&admin).await.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", "http://sitio-malicioso.example".parse().unwrap());
    let foreign = tokio_tungstenite::connect_async(request).await;
    assert!(foreign.is_err_and(|e| e.to_string().contains("403")));

    // Another user claiming the same peer id is refused; the first connection keeps working.
    let stolen = RawPeer::join(&server.sync_url(&tecnico).await, "equipo-1").await;
    assert!(stolen.is_err(), "a peer id of another user is refused");
    drop(first);

    // The same user reconnecting with its peer id replaces its old connection.
    let mut old = RawPeer::join(&server.sync_url(&admin).await, "equipo-2")
        .await
        .expect("join");
    let _new = RawPeer::join(&server.sync_url(&admin).await, "equipo-2")
        .await
        .expect("rejoin");
    assert!(old.closed_with().await.is_some());
}
both_backends!(authentication_comes_first);

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
