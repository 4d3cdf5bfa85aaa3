//! The dispatch board: a snapshot, then live events as phones sync, resumable after a
//! disconnection with `Last-Event-ID`.

use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{Event, EventData, Visit};
use campo_tests::{Backend, Client, both_backends};
use serde_json::{Value, json};

use crate::access::{act, me, office};
use crate::support::{DEADLINE, NodePeer, Server};

/// One Server-Sent Events connection.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

/// A parsed event: id, name, data.
type SseEvent = (u64, String, Value);

impl Events {
    pub async fn open(client: &Client, path: &str, last_event_id: Option<u64>) -> Self {
        let mut request = client.http().get(client.url(path));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.expect("stream");
        assert_eq!(response.status(), 200);
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event satisfying `want`, within the deadline.
    pub async fn until(&mut self, what: &str, want: impl Fn(&SseEvent) -> bool) -> SseEvent {
        let mut seen = Vec::new();
        let found = tokio::time::timeout(DEADLINE, async {
            loop {
                while let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block
                            .lines()
                            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
                    };
                    let (Some(id), Some(kind), Some(data)) =
                        (field("id:"), field("event:"), field("data:"))
                    else {
                        continue;
                    };
                    let event = (
                        id.parse().expect("numeric id"),
                        kind,
                        serde_json::from_str(&data).expect("json data"),
                    );
                    if want(&event) {
                        return event;
                    }
                    seen.push(event);
                }
                let chunk = self.response.chunk().await.expect("read").expect("open");
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no {what} on the board; it sent {seen:?}"))
    }
}

async fn board_shows_the_field_live(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (tecnico1_id, _) = me(&o.tecnico1).await;
    assert_eq!(o.tecnico1.get("/api/board").await.status, 403);

    let created = o
        .ana
        .post(
            "/api/tickets",
            &json!({"description": "No hay red en la oficina.", "category": "Red",
                    "location": "Piso 4"}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let url = created.body["url"].as_str().unwrap().to_owned();
    act(
        &o.admin,
        &id,
        json!({"action": "asignada", "assignee_id": tecnico1_id}),
    )
    .await;

    let snapshot = o.admin.get("/api/board").await;
    assert_eq!(snapshot.status, 200, "{}", snapshot.body);
    let tickets = snapshot.body["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["state"], "asignada");
    let worker = snapshot.body["field_workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == tecnico1_id.as_str())
        .expect("tecnico1 on the board")
        .clone();
    assert_eq!(worker["open_tickets"], 1);
    assert!(worker["last_contact_at"].is_null(), "never synced yet");
    let since = snapshot.body["last_event_id"].as_u64().unwrap();
    let mut board = Events::open(&o.admin, &format!("/api/board/stream?since={since}"), None).await;

    // The técnico's phone connects (its contact shows) and records an absent-user visit.
    let mut phone = NodePeer::spawn().await;
    phone.connect(&server.sync_url(&o.tecnico1).await).await;
    let contact = board
        .until("contact", |(_, kind, data)| {
            kind == "contact" && data["user_id"] == tecnico1_id.as_str()
        })
        .await;
    assert!(contact.2["at"].as_i64().unwrap() > 0);
    phone.cmd(json!({"cmd": "find", "url": url})).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let visit = Visit::start(tecnico1_id.clone(), now + 1_000, false);
    let absent = Event::new(
        EventKind::UserAbsent,
        now + 2_000,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        visit: Some(visit.id),
        next_visit_at: Some(now + 86_400_000),
        ..EventData::default()
    });
    let started = Event::new(
        EventKind::VisitStarted,
        now + 1_000,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        visit: Some(visit.id),
        ..EventData::default()
    });
    for (key, value) in [
        ("visits", serde_json::to_value(&visit).unwrap()),
        ("events", serde_json::to_value(&started).unwrap()),
        ("events", serde_json::to_value(&absent).unwrap()),
    ] {
        phone
            .cmd(json!({"cmd": "push", "url": url, "key": key, "value": value}))
            .await;
    }
    let (seen_id, _, ticket) = board
        .until("the absent visit", |(_, kind, data)| {
            kind == "ticket" && data["id"] == id.as_str() && data["state"] == "usuario_ausente"
        })
        .await;
    assert_eq!(ticket["absent_visits"], 1);
    assert_eq!(ticket["visits"], 1);

    // The board drops its connection; meanwhile the coordinator triages. Resuming from the last
    // event it saw, it gets what it missed.
    drop(board);
    act(
        &o.admin,
        &id,
        json!({"action": "priorizada", "priority": "alta"}),
    )
    .await;
    let mut resumed = Events::open(&o.admin, "/api/board/stream", Some(seen_id)).await;
    let (_, _, missed) = resumed
        .until("the triage missed while away", |(event_id, kind, data)| {
            *event_id > seen_id && kind == "ticket" && data["priority"] == "alta"
        })
        .await;
    assert!(missed["resolution_due"].as_i64().is_some());
}
both_backends!(board_shows_the_field_live);

async fn a_board_resumes_after_a_server_restart(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let admin = server.login("admin").await;
    let (admin_id, _) = me(&admin).await;
    let mut board = Events::open(&admin, "/api/board/stream", None).await;
    let mut phone = NodePeer::spawn().await;
    phone.connect(&server.sync_url(&admin).await).await;
    let (seen_id, _, _) = board
        .until("a contact before the restart", |(_, kind, data)| {
            kind == "contact" && data["user_id"] == admin_id.as_str()
        })
        .await;
    drop(board);
    drop(phone);

    // The new run's ids are above the old ones: a board resuming with an id of the previous run
    // is told to read the snapshot again instead of waiting for ids it already saw.
    let server = server.restart(false).await;
    let admin = server.login("admin").await;
    let snapshot = admin.get("/api/board").await;
    assert!(
        snapshot.body["last_event_id"].as_u64().unwrap() >= seen_id,
        "{}",
        snapshot.body
    );
    let mut resumed = Events::open(&admin, "/api/board/stream", Some(seen_id)).await;
    let (reset_id, kind, _) = resumed.until("reset", |_| true).await;
    assert_eq!(kind, "reset");
    assert!(reset_id > seen_id);

    // An id this run never sent is no silent gap either: ids are times in µs by the database's
    // clock, and one from a minute ahead is from a previous run whose clock was ahead.
    let mut future = Events::open(&admin, "/api/board/stream", Some(reset_id + 60_000_000)).await;
    let (_, kind, _) = future.until("reset for an unknown id", |_| true).await;
    assert_eq!(kind, "reset");
}
both_backends!(a_board_resumes_after_a_server_restart);
