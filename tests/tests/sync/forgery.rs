//! Attacks on the write rules with the official JavaScript client, as a person who bypasses the
//! PWA would try them: items that carry the id of another, a list rewritten with its own content,
//! and texts far over their limits. Each is refused with a Spanish reason, reaches no other client,
//! and leaves the ticket writable by everyone else.

use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{Event, EventData, TicketDoc};
use campo_shared::sla::Priority;
use campo_tests::{Backend, Client, both_backends};
use serde_json::json;

use crate::access::{act, me, office};
use crate::support::{NodePeer, Server};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// A ticket filed by the official `ana`, accepted and assigned to `assignee` (a user id).
/// Returns its id and `automerge:` URL.
async fn assigned_ticket(admin: &Client, ana: &Client, assignee: &str) -> (String, String) {
    let created = ana
        .post(
            "/api/tickets",
            &json!({"description": "El monitor parpadea.", "category": "Monitor",
                    "location": "Piso 2"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let url = created.body["url"].as_str().expect("url").to_owned();
    act(admin, &id, json!({"action": "aceptada", "mode": "on_site"})).await;
    act(
        admin,
        &id,
        json!({"action": "asignada", "assignee_id": assignee}),
    )
    .await;
    (id, url)
}

fn stored_ticket(doc: &automerge::Automerge) -> TicketDoc {
    TicketDoc::hydrate_from(doc).expect("a ticket")
}

async fn error_of(peer: &mut NodePeer) -> String {
    let error = peer.cmd(json!({"cmd": "wait-error"})).await;
    error["message"].as_str().expect("message").to_owned()
}

/// The forgery found against the rules that indexed items by their `id`: a new event inserted
/// before the first one, carrying its id. Tried by every role that may read the ticket.
async fn an_item_with_anothers_id_is_refused_for_every_role(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (tecnico1_id, _) = me(&o.tecnico1).await;
    let (contratista_id, _) = me(&o.contratista).await;
    let (ana_id, _) = me(&o.ana).await;
    let (admin_id, _) = me(&o.admin).await;

    for (client, user_id, role, assignee) in [
        (&o.ana, &ana_id, Role::Funcionario, &tecnico1_id),
        (&o.tecnico1, &tecnico1_id, Role::Tecnico, &tecnico1_id),
        (
            &o.contratista,
            &contratista_id,
            Role::Contratista,
            &contratista_id,
        ),
        (&o.admin, &admin_id, Role::Coordinador, &tecnico1_id),
    ] {
        let (id, url) = assigned_ticket(&o.admin, &o.ana, assignee).await;
        let mut attacker = NodePeer::spawn().await;
        attacker.connect(&server.sync_url(client).await).await;
        let seen = attacker.cmd(json!({"cmd": "find", "url": url})).await;
        let first_id = seen["doc"]["events"][0]["id"].clone();
        // An event the attacker's role could not write, disguised as the first event.
        let mut forged =
            Event::new(EventKind::Prioritized, 1, user_id.as_str(), role).with_data(EventData {
                priority: Some(Priority::Alta),
                assignee: Some(campo_shared::schema::Person {
                    id: user_id.clone(),
                    name: "Yo".into(),
                }),
                ..EventData::default()
            });
        forged.id = serde_json::from_value(first_id).expect("an event id");
        attacker
            .cmd(
                json!({"cmd": "insert", "url": url, "key": "events", "index": 0,
                        "value": serde_json::to_value(&forged).unwrap()}),
            )
            .await;
        let message = error_of(&mut attacker).await;
        assert!(
            message.contains("identificadores únicos"),
            "{role:?}: {message}"
        );

        // Nothing of it was stored, and the coordinator still writes to the ticket.
        let stored = stored_ticket(&server.stored(&url).await.expect("stored"));
        assert_eq!(stored.events.len(), 3, "{role:?}: {:?}", stored.events);
        assert!(
            stored
                .events
                .iter()
                .all(|e| e.kind != EventKind::Prioritized)
        );
        let triaged = act(
            &o.admin,
            &id,
            json!({"action": "priorizada", "priority": "baja"}),
        )
        .await;
        assert_eq!(triaged["priority"], "baja", "{role:?}");
        let row = o.admin.get(&format!("/api/tickets/{id}")).await;
        assert_eq!(row.body["assignee_id"], json!(assignee), "{role:?}");
    }
}
both_backends!(an_item_with_anothers_id_is_refused_for_every_role);

/// Rewriting `comments` with its own content would silently drop a comment another user made
/// offline meanwhile: refused, and the other user's comment arrives whole.
async fn a_replaced_list_never_drops_a_concurrent_comment(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (tecnico1_id, _) = me(&o.tecnico1).await;
    let (ana_id, _) = me(&o.ana).await;
    let (_, url) = assigned_ticket(&o.admin, &o.ana, &tecnico1_id).await;

    let mut official = NodePeer::spawn().await;
    official.connect(&server.sync_url(&o.ana).await).await;
    official.cmd(json!({"cmd": "find", "url": url})).await;
    official.disconnect().await;
    official
        .cmd(json!({"cmd": "comment", "url": url, "userId": ana_id,
                    "text": "Estaré en la oficina desde las 2."}))
        .await;

    let mut tech = NodePeer::spawn().await;
    tech.connect(&server.sync_url(&o.tecnico1).await).await;
    tech.cmd(json!({"cmd": "find", "url": url})).await;
    tech.cmd(json!({"cmd": "comment", "url": url, "userId": tecnico1_id,
                    "text": "Voy en camino."}))
        .await;
    tech.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    tech.cmd(json!({"cmd": "replace", "url": url, "key": "comments"}))
        .await;
    let message = error_of(&mut tech).await;
    assert!(message.contains("las listas solo crecen"), "{message}");

    official.connect(&server.sync_url(&o.ana).await).await;
    let saved = official
        .cmd(json!({"cmd": "wait-length", "url": url, "key": "comments", "length": 2}))
        .await;
    official.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let stored = stored_ticket(&server.stored(&url).await.expect("stored"));
    let mut texts: Vec<&str> = stored.comments.iter().map(|c| c.text.as_str()).collect();
    texts.sort();
    assert_eq!(
        texts,
        ["Estaré en la oficina desde las 2.", "Voy en camino."]
    );
    assert_eq!(saved["doc"]["comments"].as_array().map(Vec::len), Some(2));
}
both_backends!(a_replaced_list_never_drops_a_concurrent_comment);

/// A 1 MB comment is refused naming the limit; 3 MB of changes are refused before the server
/// applies them; meanwhile an honest técnico's comment is saved.
async fn huge_texts_are_refused_and_others_keep_working(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (tecnico1_id, _) = me(&o.tecnico1).await;
    let (ana_id, _) = me(&o.ana).await;
    let (_, url) = assigned_ticket(&o.admin, &o.ana, &tecnico1_id).await;

    let mut official = NodePeer::spawn().await;
    official.connect(&server.sync_url(&o.ana).await).await;
    official.cmd(json!({"cmd": "find", "url": url})).await;
    let comment = |text: String| {
        json!({"id": uuid::Uuid::new_v4().to_string(), "author": ana_id, "at": now_ms(),
               "text": text})
    };
    official
        .cmd(json!({"cmd": "push", "url": url, "key": "comments",
                    "value": comment("a".repeat(1_000_000))}))
        .await;
    let message = error_of(&mut official).await;
    assert!(
        message.contains("El comentario admite máximo 4000 caracteres; tiene 1000000."),
        "{message}"
    );

    // 3 MB that do not compress: refused by size, before any Automerge work.
    let mut other = NodePeer::spawn().await;
    other.connect(&server.sync_url(&o.ana).await).await;
    other.cmd(json!({"cmd": "find", "url": url})).await;
    let noise: String = (0..3_000_000u32)
        .map(|i| char::from(b'a' + ((i.wrapping_mul(2_654_435_761) >> 13) % 26) as u8))
        .collect();
    other
        .cmd(json!({"cmd": "push", "url": url, "key": "comments", "value": comment(noise)}))
        .await;
    let message = error_of(&mut other).await;
    assert!(message.contains("máximo por envío"), "{message}");

    let mut tech = NodePeer::spawn().await;
    tech.connect(&server.sync_url(&o.tecnico1).await).await;
    tech.cmd(json!({"cmd": "find", "url": url})).await;
    tech.cmd(json!({"cmd": "comment", "url": url, "userId": tecnico1_id,
                    "text": "Llego en diez minutos."}))
        .await;
    tech.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let stored = stored_ticket(&server.stored(&url).await.expect("stored"));
    let texts: Vec<&str> = stored.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["Llego en diez minutos."]);
}
both_backends!(huge_texts_are_refused_and_others_keep_working);

/// A técnico cannot reach another case's photo by citing its hash in a visit of its own: the
/// change is refused and the photo stays unreadable to it.
async fn a_visit_cannot_cite_anothers_photo(backend: Backend) {
    use image::{ImageEncoder, Rgb, RgbImage};
    use sha2::{Digest, Sha256};

    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (tecnico2_id, _) = me(&o.tecnico2).await;
    let image = RgbImage::from_fn(64, 48, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
    let mut photo = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut photo, 90)
        .write_image(&image, 64, 48, image::ExtendedColorType::Rgb8)
        .unwrap();
    let hash: String = Sha256::digest(&photo)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let uploaded = o
        .ana
        .send(
            o.ana
                .http()
                .put(o.ana.url(&format!("/api/blobs/{hash}")))
                .header("content-type", "image/jpeg")
                .body(photo),
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let filed = o
        .ana
        .post(
            "/api/tickets",
            &json!({"description": "Pantalla rota.", "category": "Monitor",
                    "location": "Piso 2", "photos": [hash]}),
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);

    let (_, url) = assigned_ticket(&o.admin, &o.beto, &tecnico2_id).await;
    let mut tech = NodePeer::spawn().await;
    tech.connect(&server.sync_url(&o.tecnico2).await).await;
    tech.cmd(json!({"cmd": "find", "url": url})).await;
    let mut visit = campo_shared::schema::Visit::start(tecnico2_id.clone(), now_ms(), false);
    visit.evidence.push(campo_shared::schema::Photo {
        sha256: hash.clone(),
        captured_at: now_ms(),
        position: None,
    });
    tech.cmd(json!({"cmd": "push", "url": url, "key": "visits",
                    "value": serde_json::to_value(&visit).unwrap()}))
        .await;
    let message = error_of(&mut tech).await;
    assert!(message.contains("fotos propias"), "{message}");
    let stored = stored_ticket(&server.stored(&url).await.expect("stored"));
    assert!(stored.visits.is_empty());
    let seen = o.tecnico2.get(&format!("/api/blobs/{hash}")).await;
    assert_eq!(seen.status, 403);
}
both_backends!(a_visit_cannot_cite_anothers_photo);

/// A técnico's phone records a visit and a comment offline while the coordinator gives the case
/// to someone else. The work is kept, attributed and flagged for the coordinator; the phone is
/// told it was saved, and why the case left its agenda, without reading what came after.
async fn work_on_a_case_reassigned_offline_is_kept_and_flagged(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (tecnico1_id, _) = me(&o.tecnico1).await;
    let (tecnico2_id, _) = me(&o.tecnico2).await;
    let (id, url) = assigned_ticket(&o.admin, &o.ana, &tecnico1_id).await;

    let mut phone = NodePeer::spawn().await;
    phone.connect(&server.sync_url(&o.tecnico1).await).await;
    phone.cmd(json!({"cmd": "find", "url": url})).await;
    phone.disconnect().await;
    // In the basement: nobody at the desk (two workflow events) and a comment.
    for kind in [EventKind::VisitStarted, EventKind::UserAbsent] {
        let event = Event::new(kind, now_ms(), &tecnico1_id, Role::Tecnico);
        phone
            .cmd(json!({"cmd": "push", "url": url, "key": "events",
                        "value": serde_json::to_value(&event).unwrap()}))
            .await;
    }
    phone
        .cmd(json!({"cmd": "comment", "url": url, "userId": tecnico1_id,
                    "text": "Revisé el cable de red."}))
        .await;
    act(
        &o.admin,
        &id,
        json!({"action": "asignada", "assignee_id": tecnico2_id}),
    )
    .await;
    act(
        &o.admin,
        &id,
        json!({"action": "priorizada", "priority": "alta"}),
    )
    .await;

    phone.connect(&server.sync_url(&o.tecnico1).await).await;
    let saved = phone.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    // The phone has nothing of what came after the reassignment.
    let seen_kinds: Vec<&str> = saved["doc"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        seen_kinds,
        [
            "registrada",
            "aceptada",
            "asignada",
            "visita_iniciada",
            "usuario_ausente"
        ],
        "{saved}"
    );
    let notice = phone
        .cmd(json!({"cmd": "wait-ephemeral", "url": url}))
        .await;
    assert_eq!(notice["message"]["type"], "trabajo_de_no_asignado");
    let text = notice["message"]["message"].as_str().unwrap();
    assert!(text.contains("quedó guardado"), "{text}");

    // Stored, attributed, and flagged for the coordinator: the case is Diana's, awaiting her.
    let stored = stored_ticket(&server.stored(&url).await.expect("stored"));
    assert_eq!(stored.comments.len(), 1);
    assert_eq!(stored.comments[0].author, tecnico1_id);
    let ticket = o.admin.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(ticket.status, 200, "{}", ticket.body);
    assert_eq!(
        ticket.body["flag_kinds"], "tecnico_no_asignado",
        "{}",
        ticket.body
    );
    assert_eq!(ticket.body["state"], "asignada", "{}", ticket.body);

    // The new assignee sees the comment.
    let mut tablet = NodePeer::spawn().await;
    tablet.connect(&server.sync_url(&o.tecnico2).await).await;
    tablet.cmd(json!({"cmd": "find", "url": url})).await;
    tablet
        .cmd(json!({"cmd": "wait-length", "url": url, "key": "comments", "length": 1}))
        .await;

    // A forgery through the same path is still refused: the former assignee may not set the
    // priority.
    let forged = Event::new(
        EventKind::Prioritized,
        now_ms(),
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        priority: Some(Priority::Baja),
        ..EventData::default()
    });
    phone
        .cmd(json!({"cmd": "push", "url": url, "key": "events",
                    "value": serde_json::to_value(&forged).unwrap()}))
        .await;
    let refusal = error_of(&mut phone).await;
    assert!(refusal.contains("Regla"), "{refusal}");
    let stored = stored_ticket(&server.stored(&url).await.expect("stored"));
    assert!(stored.events.iter().all(|e| e.id != forged.id));

    // Another device of the same técnico, with nothing pending, is only told it is unavailable.
    let mut other = NodePeer::spawn().await;
    other.connect(&server.sync_url(&o.tecnico1).await).await;
    let found = other.try_cmd(json!({"cmd": "find", "url": url})).await;
    assert!(found.is_err_and(|e| e.contains("unavailable")));
}
both_backends!(work_on_a_case_reassigned_offline_is_kept_and_flagged);
