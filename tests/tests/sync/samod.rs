//! Interop with samod 0.16, the Rust implementation of automerge-repo, as a second independent
//! client: it reaches `/sync` through tokio-tungstenite (a small [`Dialer`] below, which takes a
//! fresh single-use token for every connection) and edits Campo ticket documents written with
//! `campo-shared`'s schema, next to the official JavaScript client.

use std::convert::Infallible;
use std::sync::Arc;

use ::samod::{
    AutomergeUrl, BackoffConfig, ConnectionId, DialError, Dialer, DialerHandle, DocHandle, Repo,
    Transport,
};
use automerge::Automerge;
use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{TicketDoc, validate_request};
use campo_tests::ticket::{Author, add_comment, add_visit, new_ticket, ticket_document};
use campo_tests::{Backend, Client, both_backends};
use futures_util::future::BoxFuture;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};

use crate::support::{DEADLINE, NodePeer, Server, heads_hex};

/// Opens `/sync` for a logged-in user: asks for a single-use token and connects with it, on every
/// (re)connection samod makes.
struct CampoDialer {
    base: String,
    http: reqwest::Client,
}

impl Dialer for CampoDialer {
    type Error = Infallible;

    fn url(&self) -> ::samod::Url {
        ::samod::Url::parse(&format!("{}/sync", self.base.replacen("http", "ws", 1)))
            .expect("sync url")
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<Infallible>>> {
        let http = self.http.clone();
        let base = self.base.clone();
        Box::pin(async move {
            let reply = http
                .post(format!("{base}/api/sync-token"))
                .json(&json!({}))
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(DialError::transient)?;
            let body: Value = reply.json().await.map_err(DialError::transient)?;
            let token = body["token"].as_str().unwrap_or_default();
            let url = format!("{}/sync?token={token}", base.replacen("http", "ws", 1));
            let (ws, _) = tokio_tungstenite::connect_async(url)
                .await
                .map_err(DialError::transient)?;
            Ok(websocket_transport(ws))
        })
    }
}

/// samod's transport over a tokio-tungstenite socket: binary frames carry the protocol's
/// messages; pings, pongs and the close frame are the socket's own business.
fn websocket_transport<S>(ws: tokio_tungstenite::WebSocketStream<S>) -> Transport
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sink, stream) = ws.split();
    let stream = Box::pin(stream.filter_map(|frame| async move {
        match frame {
            Ok(WsMessage::Binary(bytes)) => Some(Ok(bytes.to_vec())),
            Ok(_) => None,
            Err(err) => Some(Err(err)),
        }
    }));
    let sink = sink.with(|bytes: Vec<u8>| {
        std::future::ready(Ok::<_, tungstenite::Error>(WsMessage::Binary(bytes.into())))
    });
    Transport::new(stream, sink)
}

/// A samod repository (in memory: a device) that goes online and offline.
struct SamodPeer {
    repo: Repo,
    dialer: Option<DialerHandle<Infallible>>,
}

impl SamodPeer {
    async fn new() -> Self {
        Self {
            repo: Repo::build_tokio().load().await,
            dialer: None,
        }
    }

    /// Connects as `client`'s user and waits for the handshake.
    async fn connect(&mut self, server: &Server, client: &Client) {
        let dialer = Arc::new(CampoDialer {
            base: server.base.clone(),
            http: client.http().clone(),
        });
        let backoff = BackoffConfig {
            initial_delay: std::time::Duration::from_millis(50),
            max_delay: std::time::Duration::from_millis(500),
            max_retries: Some(5),
        };
        let handle = self.repo.dial(backoff, dialer).expect("repo running");
        tokio::time::timeout(DEADLINE, handle.established())
            .await
            .expect("samod connects in time")
            .expect("samod connects");
        self.dialer = Some(handle);
    }

    /// Goes offline: closes the connection and stops reconnecting.
    fn disconnect(&mut self) {
        if let Some(dialer) = self.dialer.take() {
            dialer.close();
        }
    }

    fn connection(&self) -> ConnectionId {
        self.dialer
            .as_ref()
            .and_then(DialerHandle::connection_id)
            .expect("connected")
    }

    /// Creates a document holding `ticket`.
    async fn create(&self, ticket: &TicketDoc) -> DocHandle {
        self.repo
            .create(ticket_document(ticket))
            .await
            .expect("repo running")
    }

    /// Finds a document by its `automerge:` URL through the server.
    async fn find(&self, url: &str) -> Option<DocHandle> {
        let url: AutomergeUrl = url.parse().expect("automerge url");
        tokio::time::timeout(DEADLINE, self.repo.find(url.document_id().clone()))
            .await
            .expect("find answers in time")
            .expect("repo running")
    }

    /// Waits until the server says it holds this device's heads of the document ("guardado en
    /// el servidor"); returns them.
    async fn wait_saved(&self, handle: &DocHandle) -> Vec<String> {
        tokio::time::timeout(DEADLINE, handle.they_have_our_changes(self.connection()))
            .await
            .expect("the server stores the changes in time");
        heads(handle)
    }
}

fn heads(handle: &DocHandle) -> Vec<String> {
    handle.with_document(|doc| heads_hex(doc))
}

fn ticket(handle: &DocHandle) -> TicketDoc {
    handle
        .with_document(|doc| TicketDoc::hydrate_from(&*doc).map_err(|e| e.to_string()))
        .expect("a ticket document")
}

/// Waits (on the document's change events) until the ticket satisfies `done`.
async fn wait_ticket(handle: &DocHandle, done: impl Fn(&TicketDoc) -> bool) -> TicketDoc {
    let mut changes = Box::pin(handle.changes());
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let current = handle.with_document(|doc| TicketDoc::hydrate_from(&*doc).ok());
        if let Some(ticket) = current.filter(|t| done(t)) {
            return ticket;
        }
        tokio::time::timeout_at(deadline, changes.next())
            .await
            .expect("the document reaches the expected state in time")
            .expect("the document is still open");
    }
}

/// The user behind `client`, as the author of the documents it writes.
async fn author(client: &Client) -> Author {
    let me = client.get("/api/me").await;
    assert_eq!(me.status, 200, "me: {}", me.body);
    Author {
        id: me.body["id"].as_str().expect("id").to_owned(),
        name: me.body["full_name"].as_str().expect("name").to_owned(),
        role: me.body["role"]
            .as_str()
            .expect("role")
            .parse()
            .expect("a role"),
        dependencia: "TIC".into(),
    }
}

fn stored_ticket(doc: &Automerge) -> TicketDoc {
    TicketDoc::hydrate_from(doc).expect("the stored document is a ticket")
}

/// A samod device registers a ticket; a second samod device finds it by URL; both record work
/// offline (a visit, a comment), reconnect and converge with the server; the official JavaScript
/// client then finds the same document with the same heads.
async fn samod_clients_converge(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let coordinator = author(&admin).await;
    assert_eq!(coordinator.role, Role::Coordinador);
    let mut a = SamodPeer::new().await;
    let mut b = SamodPeer::new().await;
    a.connect(&server, &admin).await;
    b.connect(&server, &admin).await;

    let registered = new_ticket(&coordinator, "La impresora del piso 3 no imprime.");
    let on_a = a.create(&registered).await;
    let url = on_a.url().to_string();
    let saved = a.wait_saved(&on_a).await;
    let stored = server.stored(&url).await.expect("stored on the server");
    assert_eq!(heads_hex(&stored), saved);
    assert_eq!(stored_ticket(&stored), registered);

    let on_b = b.find(&url).await.expect("B finds the ticket by URL");
    assert_eq!(ticket(&on_b), registered);

    // Both devices go offline; the technician's visit on A, a comment on B.
    a.disconnect();
    b.disconnect();
    let visit = on_a.with_document(|doc| add_visit(doc, &coordinator.id, "Se revisó el equipo"));
    let comment = on_b.with_document(|doc| add_comment(doc, &coordinator.id, "Llevar rodillo"));

    a.connect(&server, &admin).await;
    b.connect(&server, &admin).await;
    let both = |t: &TicketDoc| t.visits.len() == 1 && t.comments.len() == 1;
    let on_a_now = wait_ticket(&on_a, both).await;
    let on_b_now = wait_ticket(&on_b, both).await;
    assert_eq!(on_a_now, on_b_now);
    assert_eq!(on_a_now.visits, vec![visit]);
    assert_eq!(on_a_now.comments[0].id, comment);
    assert_eq!(on_a_now.request, registered.request);
    let a_saved = a.wait_saved(&on_a).await;
    let b_saved = b.wait_saved(&on_b).await;
    assert_eq!(a_saved, b_saved);
    let stored = server.stored(&url).await.expect("stored");
    assert_eq!(heads_hex(&stored), a_saved);
    assert_eq!(stored_ticket(&stored), on_a_now);

    // The JavaScript client sees the same document.
    let mut js = NodePeer::spawn().await;
    js.connect(&server.sync_url(&admin).await).await;
    js.cmd(json!({"cmd": "find", "url": url})).await;
    js.cmd(json!({"cmd": "wait-length", "url": url, "key": "comments", "length": 1}))
        .await;
    let seen = js
        .cmd(json!({"cmd": "wait-length", "url": url, "key": "visits", "length": 1}))
        .await;
    let js_heads: Vec<String> = serde_json::from_value(seen["heads"].clone()).expect("heads");
    assert_eq!(js_heads, a_saved);
    assert_eq!(
        seen["doc"]["comments"][0]["text"], "Llevar rodillo",
        "{seen}"
    );
}
both_backends!(samod_clients_converge);

/// A ticket registered on a samod device that was never online reaches the server when it
/// connects; after a server restart it is all still there, the device resumes, and another
/// device finds everything.
async fn samod_offline_ticket_survives_restart(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let coordinator = author(&admin).await;
    let mut a = SamodPeer::new().await;
    let registered = new_ticket(&coordinator, "Sin red en la sede de la calle 20.");
    let on_a = a.create(&registered).await;
    let url = on_a.url().to_string();
    assert!(server.stored(&url).await.is_none());

    a.connect(&server, &admin).await;
    let saved = a.wait_saved(&on_a).await;
    let stored = server.stored(&url).await.expect("stored after connecting");
    assert_eq!(heads_hex(&stored), saved);
    assert_eq!(stored_ticket(&stored), registered);

    a.disconnect();
    let server = server.restart(false).await;
    let admin = server.login("admin").await;
    let stored = server
        .stored(&url)
        .await
        .expect("still stored after the restart");
    assert_eq!(heads_hex(&stored), saved);

    on_a.with_document(|doc| add_comment(doc, &coordinator.id, "Se cambió el patch cord"));
    a.connect(&server, &admin).await;
    let saved = a.wait_saved(&on_a).await;

    let c = {
        let mut c = SamodPeer::new().await;
        c.connect(&server, &admin).await;
        c
    };
    let on_c = c.find(&url).await.expect("C finds the ticket");
    let found = wait_ticket(&on_c, |t| t.comments.len() == 1).await;
    assert_eq!(found, ticket(&on_a));
    assert_eq!(heads(&on_c), saved);
    assert_eq!(
        c.find("automerge:4NMNnkMhL8jXrdJ9jamS58PAVdXu")
            .await
            .map(|h| h.url()),
        None,
        "an unknown document is unavailable"
    );
}
both_backends!(samod_offline_ticket_survives_restart);

/// A ticket registered by the JavaScript client (`tests/js/ticket.mjs`) is a valid Campo ticket
/// for `campo-shared`, read through samod; work recorded on either side reaches the other.
async fn javascript_ticket_reads_in_rust(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let coordinator = author(&admin).await;
    let mut js = NodePeer::spawn().await;
    js.connect(&server.sync_url(&admin).await).await;
    let created = js
        .cmd(json!({"cmd": "create-ticket", "user": {
            "userId": coordinator.id,
            "userName": coordinator.name,
            "role": "coordinador",
            "dependencia": coordinator.dependencia,
        }}))
        .await;
    let url = created["url"].as_str().expect("url").to_owned();
    js.cmd(json!({"cmd": "wait-saved", "url": url})).await;

    let mut a = SamodPeer::new().await;
    a.connect(&server, &admin).await;
    let on_a = a
        .find(&url)
        .await
        .expect("samod finds the JavaScript ticket");
    let read = ticket(&on_a);
    assert_eq!(validate_request(&read.request), Ok(()));
    assert_eq!(read.events.len(), 1);
    let first = &read.events[0];
    assert_eq!(first.kind, EventKind::Registered);
    assert_eq!(first.author, coordinator.id);
    assert_eq!(first.author_role, Role::Coordinador);
    assert_eq!(read.request.requester.name, coordinator.name);
    let stored = server.stored(&url).await.expect("stored");
    assert_eq!(stored_ticket(&stored), read);

    let visit = on_a.with_document(|doc| add_visit(doc, &coordinator.id, "Usuario presente"));
    a.wait_saved(&on_a).await;
    let seen = js
        .cmd(json!({"cmd": "wait-length", "url": url, "key": "visits", "length": 1}))
        .await;
    assert_eq!(seen["doc"]["visits"][0]["id"], visit.id.to_string());

    js.cmd(json!({"cmd": "comment", "url": url, "userId": coordinator.id, "text": "Gracias"}))
        .await;
    let both = wait_ticket(&on_a, |t| t.comments.len() == 1).await;
    assert_eq!(both.comments[0].text, "Gracias");
    assert_eq!(both.visits, vec![visit]);
    let js_saved = js.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let js_heads: Vec<String> = serde_json::from_value(js_saved["heads"].clone()).expect("heads");
    assert_eq!(a.wait_saved(&on_a).await, js_heads);
}
both_backends!(javascript_ticket_reads_in_rust);
