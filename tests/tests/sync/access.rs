//! Tickets as Campo's documents: who may read and write which, the coordinators' actions through
//! the REST API, a técnico's offline visit through the official JavaScript client, the agenda and
//! its live stream, the audit, the projection and `campo reproject`.

use std::collections::BTreeSet;

use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{Event, EventData, Visit};
use campo_shared::sla::Priority;
use campo_shared::workflow::fold;
use campo_tests::{ADMIN_PASSWORD, Backend, Client, both_backends, run_cli};
use serde_json::{Value, json};

use crate::support::{DEADLINE, NodePeer, RawPeer, Server};

/// The office of these tests: a dependencia, two officials, a second técnico, a contractor.
pub struct Office {
    pub admin: Client,
    pub ana: Client,
    pub beto: Client,
    pub tecnico1: Client,
    pub tecnico2: Client,
    pub contratista: Client,
}

pub async fn office(server: &Server) -> Office {
    let admin = server.login("admin").await;
    let reply = admin
        .post(
            "/api/dependencias",
            &json!({"code": "HACIENDA", "name": "Secretaría de Hacienda"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    for (username, role, name) in [
        ("ana", "funcionario", "Ana Pérez"),
        ("beto", "funcionario", "Beto Gómez"),
        ("tecnico2", "tecnico", "Carla Ruiz"),
        ("contratista", "contratista", "Soporte Externo SAS"),
    ] {
        let reply = admin
            .post(
                "/api/users",
                &json!({"username": username, "full_name": name, "role": role,
                        "password": ADMIN_PASSWORD, "dependencia": "HACIENDA"}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    Office {
        ana: server.login("ana").await,
        beto: server.login("beto").await,
        tecnico1: server.login("tecnico1").await,
        tecnico2: server.login("tecnico2").await,
        contratista: server.login("contratista").await,
        admin,
    }
}

pub async fn me(client: &Client) -> (String, String) {
    let me = client.get("/api/me").await;
    (
        me.body["id"].as_str().expect("id").to_owned(),
        me.body["full_name"].as_str().expect("name").to_owned(),
    )
}

pub async fn act(admin: &Client, id: &str, body: Value) -> Value {
    let reply = admin
        .post(&format!("/api/tickets/{id}/actions"), &body)
        .await;
    assert_eq!(reply.status, 200, "{body}: {}", reply.body);
    reply.body
}

async fn ticket(client: &Client, id: &str) -> Value {
    let reply = client.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

async fn agenda_ids(client: &Client) -> BTreeSet<String> {
    let reply = client.get("/api/agenda").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Reads the agenda stream until an `agenda` event satisfies `want`.
async fn next_agenda(
    response: &mut reqwest::Response,
    buffer: &mut String,
    what: &str,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let mut seen = Vec::new();
    tokio::time::timeout(DEADLINE, async {
        loop {
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) {
                    let agenda: Value = serde_json::from_str(data.trim()).expect("agenda json");
                    if want(&agenda) {
                        return agenda;
                    }
                    seen.push(agenda);
                }
            }
            let chunk = response
                .chunk()
                .await
                .expect("stream")
                .expect("stream open");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the agenda stream did not deliver {what}; it sent {seen:?}"))
}

/// Finds a document the peer was refused before: the server offers it once the assignment gives
/// access; until that exchange completes the client's cached handle still says "unavailable".
async fn find_granted(peer: &mut NodePeer, url: &str) -> Value {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match peer.try_cmd(json!({"cmd": "find", "url": url})).await {
            Ok(found) => return found,
            Err(err) if tokio::time::Instant::now() > deadline => panic!("find {url}: {err}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
}

fn lists(agenda: &Value, id: &str) -> bool {
    agenda["tickets"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["id"] == id))
}

/// A ticket's life: an official files it, the coordinator triages and assigns it, the técnico's
/// phone receives it, records an absent-user visit offline and syncs it; others see only what
/// their role allows, forbidden writes never spread, every change has an author on record, and
/// `campo reproject` rebuilds the same rows.
async fn a_ticket_through_its_life(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (tecnico1_id, tecnico1_name) = me(&o.tecnico1).await;
    let (tecnico2_id, _) = me(&o.tecnico2).await;
    let (ana_id, _) = me(&o.ana).await;

    // The official files a request.
    let created = o
        .ana
        .post(
            "/api/tickets",
            &json!({"description": "El computador no enciende.\nHuele a quemado.",
                    "category": "Computador", "location": "Piso 3, oficina 301",
                    "phone_extension": "2301"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let url = created.body["url"].as_str().expect("url").to_owned();
    assert!(
        created.body["number"]
            .as_str()
            .expect("number")
            .starts_with("SAT-")
    );
    assert_eq!(created.body["ticket"]["state"], "registrada");
    assert_eq!(created.body["ticket"]["channel"], "intranet");
    assert_eq!(
        created.body["ticket"]["summary"],
        "El computador no enciende."
    );

    // Only the official, and coordinators, see it.
    assert_eq!(ticket(&o.ana, &id).await["requester_id"], ana_id);
    for outsider in [&o.beto, &o.tecnico1, &o.contratista] {
        let reply = outsider.get(&format!("/api/tickets/{id}")).await;
        assert_eq!(reply.status, 404, "{}", reply.body);
        assert!(agenda_ids(outsider).await.is_empty());
    }
    assert_eq!(agenda_ids(&o.admin).await, BTreeSet::from([id.clone()]));
    let mut t1 = NodePeer::spawn().await;
    t1.connect(&server.sync_url(&o.tecnico1).await).await;
    let refused = t1.try_cmd(json!({"cmd": "find", "url": url})).await;
    assert!(refused.is_err(), "a técnico cannot sync another's ticket");

    // Only coordinators act on it; the workflow refuses what is not possible now.
    let reply = o
        .tecnico1
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "aceptada"}),
        )
        .await;
    assert_eq!(reply.status, 403);
    let reply = o
        .admin
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "reabierta", "reason": "Prueba"}),
        )
        .await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Reapertura")
    );

    // Accept, triage (deadlines in business time) and assign.
    act(
        &o.admin,
        &id,
        json!({"action": "aceptada", "mode": "on_site"}),
    )
    .await;
    let triaged = act(
        &o.admin,
        &id,
        json!({"action": "priorizada", "priority": "alta"}),
    )
    .await;
    let response_due = triaged["response_due"].as_i64().expect("response due");
    let resolution_due = triaged["resolution_due"].as_i64().expect("resolution due");
    assert!(response_due > triaged["triaged_at"].as_i64().unwrap());
    assert!(resolution_due > response_due);

    // tecnico1 watches its agenda; the assignment arrives on the stream.
    let mut stream = o
        .tecnico1
        .http()
        .get(o.tecnico1.url("/api/agenda/stream"))
        .send()
        .await
        .expect("agenda stream");
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    next_agenda(&mut stream, &mut buffer, "the first agenda", |a| {
        !lists(a, &id)
    })
    .await;
    let assigned = act(
        &o.admin,
        &id,
        json!({"action": "asignada", "assignee_id": tecnico1_id}),
    )
    .await;
    assert_eq!(assigned["state"], "asignada");
    assert_eq!(assigned["assignee_name"], tecnico1_name.as_str());
    assert_eq!(assigned["assignee_role"], "tecnico");
    let agenda = next_agenda(&mut stream, &mut buffer, "the assignment", |a| {
        lists(a, &id)
    })
    .await;
    let item = &agenda["tickets"][0];
    assert_eq!(item["number"], created.body["number"]);
    assert_eq!(item["priority"], "alta");
    assert_eq!(item["dependencia_name"], "Secretaría de Hacienda");
    assert_eq!(item["resolution_due"], resolution_due);

    // The técnico's phone syncs the ticket, then records an absent-user visit offline.
    let found = find_granted(&mut t1, &url).await;
    assert_eq!(found["doc"]["events"].as_array().map(Vec::len), Some(4));
    t1.disconnect().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let mut visit = Visit::start(tecnico1_id.clone(), now + 1_000, false);
    visit.note = "Oficina cerrada; se dejó aviso.".into();
    visit.notice_left = true;
    let started = Event::new(
        EventKind::VisitStarted,
        visit.started_at,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        visit: Some(visit.id),
        ..EventData::default()
    });
    let absent = Event::new(
        EventKind::UserAbsent,
        visit.started_at + 60_000,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        visit: Some(visit.id),
        next_visit_at: Some(visit.started_at + 86_400_000),
        ..EventData::default()
    });
    for (key, value) in [
        ("visits", serde_json::to_value(&visit).unwrap()),
        ("events", serde_json::to_value(&started).unwrap()),
        ("events", serde_json::to_value(&absent).unwrap()),
    ] {
        t1.cmd(json!({"cmd": "push", "url": url, "key": key, "value": value}))
            .await;
    }
    t1.connect(&server.sync_url(&o.tecnico1).await).await;
    t1.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let row = ticket(&o.admin, &id).await;
    assert_eq!(row["state"], "usuario_ausente");
    assert_eq!(row["absent_visits"], 1);
    assert_eq!(row["visits"].as_array().map(Vec::len), Some(1));
    assert_eq!(row["visits"][0]["user_present"], false);
    assert_eq!(row["visits"][0]["technician_name"], tecnico1_name.as_str());

    // A técnico may not set the deadlines: refused, told why, stored nowhere.
    let forged = Event::new(
        EventKind::VisitStarted,
        now + 100_000,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        resolution_due: Some(4_000_000_000_000),
        ..EventData::default()
    });
    t1.cmd(json!({"cmd": "push", "url": url, "key": "events",
                  "value": serde_json::to_value(&forged).unwrap()}))
        .await;
    let error = t1.cmd(json!({"cmd": "wait-error"})).await;
    assert!(
        error["message"].as_str().unwrap().contains("plazos"),
        "{error}"
    );

    // The official follows its request and comments; it may not triage.
    let mut a = NodePeer::spawn().await;
    a.connect(&server.sync_url(&o.ana).await).await;
    let seen = a.cmd(json!({"cmd": "find", "url": url})).await;
    let events = seen["doc"]["events"].as_array().expect("events");
    assert_eq!(events.len(), 6, "the official has every accepted event");
    assert!(events.iter().all(|e| e["id"] != forged.id.to_string()));
    let comment = json!({"id": "a4f1c3a2-8d1e-4c55-9d6c-0b1e2f3a4b5c", "author": ana_id,
                         "at": now + 200_000, "text": "Estaré en la tarde."});
    a.cmd(json!({"cmd": "push", "url": url, "key": "comments", "value": comment}))
        .await;
    a.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let triage = Event::new(
        EventKind::Prioritized,
        now + 300_000,
        &ana_id,
        Role::Funcionario,
    )
    .with_data(EventData {
        priority: Some(Priority::Baja),
        ..EventData::default()
    });
    a.cmd(json!({"cmd": "push", "url": url, "key": "events",
                 "value": serde_json::to_value(&triage).unwrap()}))
        .await;
    let error = a.cmd(json!({"cmd": "wait-error"})).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("permisos por rol"),
        "{error}"
    );
    let stored = server.stored(&url).await.expect("stored");
    let doc = campo_shared::schema::TicketDoc::hydrate_from(&stored).expect("a ticket");
    assert_eq!(doc.comments.len(), 1);
    assert!(
        doc.events
            .iter()
            .all(|e| e.id != forged.id && e.id != triage.id)
    );
    // The projection agrees with the fold of the stored document.
    let folded = fold(&doc.events);
    let row = ticket(&o.admin, &id).await;
    assert_eq!(row["state"], folded.state.as_str());
    assert_eq!(row["priority"], "alta");

    // Reassigned: tecnico1 loses the ticket within a second, tecnico2 gains it.
    act(
        &o.admin,
        &id,
        json!({"action": "asignada", "assignee_id": tecnico2_id}),
    )
    .await;
    next_agenda(&mut stream, &mut buffer, "the reassignment", |a| {
        !lists(a, &id)
    })
    .await;
    assert_eq!(agenda_ids(&o.tecnico2).await, BTreeSet::from([id.clone()]));
    let mut t2 = NodePeer::spawn().await;
    t2.connect(&server.sync_url(&o.tecnico2).await).await;
    t2.cmd(json!({"cmd": "find", "url": url})).await;
    assert_eq!(
        o.tecnico1.get(&format!("/api/tickets/{id}")).await.status,
        404
    );

    // Every change has an author on record.
    let history = o.admin.get(&format!("/api/tickets/{id}/history")).await;
    assert_eq!(history.status, 200, "{}", history.body);
    let changes = history.body["changes"].as_array().expect("changes");
    let authors: BTreeSet<&str> = changes
        .iter()
        .filter_map(|c| c["username"].as_str())
        .collect();
    assert_eq!(authors, BTreeSet::from(["admin", "ana", "tecnico1"]));
    assert!(
        changes
            .iter()
            .all(|c| c["hash"].as_str().is_some_and(|h| h.len() == 64))
    );
    assert!(changes.iter().any(|c| c["device"] == "api"));
    assert_eq!(
        o.ana
            .get(&format!("/api/tickets/{id}/history"))
            .await
            .status,
        403
    );

    // `campo reproject` rebuilds the same rows.
    let before = o.admin.get("/api/tickets").await.body;
    let out = run_cli(&server.db, &["reproject"], None)
        .await
        .expect("reproject");
    assert!(out.success, "{}", out.stderr);
    assert!(out.stdout.contains("1 casos"), "{}", out.stdout);
    assert_eq!(o.admin.get("/api/tickets").await.body, before);
}
both_backends!(a_ticket_through_its_life);

/// Many clients filing at once get unique numbers, without gaps.
async fn numbers_are_unique_and_gapless(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let client = if i % 2 == 0 { &o.ana } else { &o.beto };
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let reply = client
                .post(
                    "/api/tickets",
                    &json!({"description": format!("Solicitud {i}"), "category": "Red",
                            "location": "Piso 1"}),
                )
                .await;
            assert_eq!(reply.status, 201, "{}", reply.body);
            reply.body["number"].as_str().expect("number").to_owned()
        }));
    }
    let mut numbers = BTreeSet::new();
    for task in tasks {
        numbers.insert(task.await.expect("task"));
    }
    let year = numbers.first().expect("a number")[4..8].to_owned();
    let expected: BTreeSet<String> = (1..=24).map(|n| format!("SAT-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    // Each official sees its twelve.
    assert_eq!(agenda_ids(&o.ana).await.len(), 12);
}
both_backends!(numbers_are_unique_and_gapless);

/// Disabling a user ends its live sync connections at once, with a reason.
async fn a_disabled_user_is_disconnected(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (tecnico2_id, _) = me(&o.tecnico2).await;
    let mut phone = RawPeer::join(&server.sync_url(&o.tecnico2).await, "telefono-carla")
        .await
        .expect("join");
    let reply = o
        .admin
        .patch(
            &format!("/api/users/{tecnico2_id}"),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reason = tokio::time::timeout(DEADLINE, phone.closed_with())
        .await
        .expect("closed in time")
        .expect("a close reason");
    assert!(reason.contains("Su cuenta cambió"), "{reason}");
    assert_eq!(o.tecnico2.get("/api/agenda").await.status, 401);
}
both_backends!(a_disabled_user_is_disconnected);

/// Each role writes what the permission table allows and nothing else: a contractor records its
/// visit but cannot cancel the case, a coordinator triages through sync but cannot erase an
/// event, a técnico registers a walk-up request offline and it is numbered on its first sync, an
/// official cannot file in someone else's name.
async fn roles_write_what_they_may(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (ana_id, _) = me(&o.ana).await;
    let (beto_id, beto_name) = me(&o.beto).await;
    let (contratista_id, _) = me(&o.contratista).await;
    let (admin_id, _) = me(&o.admin).await;
    let (tecnico1_id, tecnico1_name) = me(&o.tecnico1).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;

    // The coordinator registers a phone call for Ana and gives it to the contractor.
    let created = o
        .admin
        .post(
            "/api/tickets",
            &json!({"description": "El escáner no digitaliza.", "category": "Escáner",
                    "location": "Piso 1", "channel": "phone", "requester_id": ana_id}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["ticket"]["channel"], "phone");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let url = created.body["url"].as_str().unwrap().to_owned();
    act(
        &o.admin,
        &id,
        json!({"action": "asignada", "assignee_id": contratista_id}),
    )
    .await;

    let mut c = NodePeer::spawn().await;
    c.connect(&server.sync_url(&o.contratista).await).await;
    c.cmd(json!({"cmd": "find", "url": url})).await;
    let visit = Visit::start(contratista_id.clone(), now + 1_000, true);
    let started = Event::new(
        EventKind::VisitStarted,
        now + 1_000,
        &contratista_id,
        Role::Contratista,
    )
    .with_data(EventData {
        visit: Some(visit.id),
        ..EventData::default()
    });
    c.cmd(json!({"cmd": "push", "url": url, "key": "visits",
                 "value": serde_json::to_value(&visit).unwrap()}))
        .await;
    c.cmd(json!({"cmd": "push", "url": url, "key": "events",
                 "value": serde_json::to_value(&started).unwrap()}))
        .await;
    c.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    assert_eq!(ticket(&o.admin, &id).await["state"], "en_atencion");
    // Cancelling a case is the coordinator's alone.
    let cancelled = Event::new(
        EventKind::Cancelled,
        now + 2_000,
        &contratista_id,
        Role::Contratista,
    );
    c.cmd(json!({"cmd": "push", "url": url, "key": "events",
                 "value": serde_json::to_value(&cancelled).unwrap()}))
        .await;
    let error = c.cmd(json!({"cmd": "wait-error"})).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("permisos por rol"),
        "{error}"
    );

    // The coordinator may triage from its own synced copy, but never erase history.
    let mut k = NodePeer::spawn().await;
    k.connect(&server.sync_url(&o.admin).await).await;
    k.cmd(json!({"cmd": "find", "url": url})).await;
    let triage = Event::new(
        EventKind::Prioritized,
        now + 3_000,
        &admin_id,
        Role::Coordinador,
    )
    .with_data(EventData {
        priority: Some(Priority::Media),
        ..EventData::default()
    });
    k.cmd(json!({"cmd": "push", "url": url, "key": "events",
                 "value": serde_json::to_value(&triage).unwrap()}))
        .await;
    k.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    assert_eq!(ticket(&o.admin, &id).await["priority"], "media");
    k.cmd(json!({"cmd": "remove", "url": url, "key": "events", "index": 0}))
        .await;
    let error = k.cmd(json!({"cmd": "wait-error"})).await;
    assert!(
        error["message"].as_str().unwrap().contains("no se borran"),
        "{error}"
    );
    let stored = server.stored(&url).await.expect("stored");
    let doc = campo_shared::schema::TicketDoc::hydrate_from(&stored).expect("a ticket");
    assert_eq!(
        doc.events.len(),
        4,
        "registrada, asignada, visita, priorizada"
    );
    assert!(doc.events.iter().all(|e| e.id != cancelled.id));

    // A técnico registers a walk-up request offline; its first sync numbers it.
    let mut t = NodePeer::spawn().await;
    let owner = json!({"userId": tecnico1_id, "userName": tecnico1_name, "role": "tecnico",
                       "dependencia": "HACIENDA"});
    let walk_up = t
        .cmd(json!({"cmd": "create", "doc": {}, "ticket": owner}))
        .await;
    let walk_up_url = walk_up["url"].as_str().unwrap().to_owned();
    let walk_up_id = walk_up_url.trim_start_matches("automerge:").to_owned();
    t.connect(&server.sync_url(&o.tecnico1).await).await;
    t.cmd(json!({"cmd": "wait-saved", "url": walk_up_url}))
        .await;
    let row = ticket(&o.admin, &walk_up_id).await;
    assert_eq!(row["channel"], "field");
    assert_eq!(row["registered_by"], tecnico1_id.as_str());
    assert!(row["number"].as_str().unwrap().starts_with("SAT-"));
    assert!(agenda_ids(&o.tecnico1).await.contains(&walk_up_id));

    // An official cannot file a request in someone else's name.
    let mut a = NodePeer::spawn().await;
    let forged = json!({"userId": beto_id, "userName": beto_name, "role": "funcionario",
                        "dependencia": "HACIENDA"});
    a.connect(&server.sync_url(&o.ana).await).await;
    let fake = a
        .cmd(json!({"cmd": "create", "doc": {}, "ticket": forged}))
        .await;
    let error = a.cmd(json!({"cmd": "wait-error"})).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("solicitud propia"),
        "{error}"
    );
    let fake_id = fake["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("automerge:")
        .to_owned();
    assert_eq!(
        o.admin.get(&format!("/api/tickets/{fake_id}")).await.status,
        404
    );
    assert!(server.stored(fake["url"].as_str().unwrap()).await.is_none());
}
both_backends!(roles_write_what_they_may);
