//! Custody, end to end: a técnico's phone (the official JavaScript client) sends a case's
//! equipment to the workshop and records its return; the inventory follows, with the whole chain;
//! the coordinator records a contractor's return through the REST API; and each way of getting
//! it wrong (a return of equipment that is not out, a second return, a resolution while the
//! equipment is away, a signature without strokes) is refused with a clear reason.

use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{Custody, Event, EventData, Outcome, Signature, Visit};
use campo_tests::{Backend, Client, both_backends};
use serde_json::{Value, json};

use crate::access::{act, me, office};
use crate::support::{NodePeer, Server};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// A ticket of `ana` naming equipment `code`, accepted and assigned to `assignee`.
async fn case_with_equipment(
    admin: &Client,
    ana: &Client,
    assignee: &str,
    code: &str,
) -> (String, String) {
    let created = ana
        .post(
            "/api/tickets",
            &json!({"description": "El portátil no enciende.", "category": "Hardware",
                    "location": "Piso 2, puesto 14", "equipment": [code]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let url = created.body["url"].as_str().expect("url").to_owned();
    act(
        admin,
        &id,
        json!({"action": "aceptada", "mode": "workshop"}),
    )
    .await;
    act(
        admin,
        &id,
        json!({"action": "asignada", "assignee_id": assignee}),
    )
    .await;
    (id, url)
}

async fn equipment(client: &Client, code: &str) -> Value {
    let reply = client.get(&format!("/api/equipment/{code}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

async fn push(phone: &mut NodePeer, url: &str, key: &str, value: Value) {
    phone
        .cmd(json!({"cmd": "push", "url": url, "key": key, "value": value}))
        .await;
}

async fn custody_round_trip(backend: Backend) {
    let server = Server::spawn(backend, &[]).await;
    let o = office(&server).await;
    let (tecnico1_id, tecnico1_name) = me(&o.tecnico1).await;
    let (contratista_id, _) = me(&o.contratista).await;
    for code in ["GN-000501", "GN-000502"] {
        let made = o
            .admin
            .post(
                "/api/equipment",
                &json!({"code": code, "kind": "Portátil", "brand": "Lenovo", "model": "T14",
                        "dependencia": "HACIENDA", "location": "Piso 2, puesto 14"}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let (id, url) = case_with_equipment(&o.admin, &o.ana, &tecnico1_id, "GN-000501").await;

    // Returning equipment that never left is refused, with the reason.
    let early = o
        .admin
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "equipo_devuelto"}),
        )
        .await;
    assert_eq!(early.status, 409, "{}", early.body);
    assert!(
        early.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no está en el taller"),
        "{}",
        early.body
    );

    // At the desk: the técnico takes the laptop to the workshop.
    let mut phone = NodePeer::spawn().await;
    phone.connect(&server.sync_url(&o.tecnico1).await).await;
    phone.cmd(json!({"cmd": "find", "url": url})).await;
    let sent_at = now_ms();
    let mut visit = Visit::start(&tecnico1_id, sent_at - 60_000, true);
    visit.ended_at = Some(sent_at);
    visit.diagnosis = "Fuente de poder dañada.".into();
    visit.outcome = Some(Outcome::Workshop);
    visit.custody = Some(Custody {
        equipment: vec!["GN-000501".into()],
        from: tecnico1_name.clone(),
        to: "Taller de la Secretaría TIC".into(),
        place: "Sótano, taller".into(),
        at: sent_at,
        condition: "Sin cargador.".into(),
    });
    let started = Event::new(
        EventKind::VisitStarted,
        sent_at - 60_000,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        visit: Some(visit.id),
        ..EventData::default()
    });
    let sent = Event::new(
        EventKind::SentToWorkshop,
        sent_at,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        visit: Some(visit.id),
        ..EventData::default()
    });
    push(
        &mut phone,
        &url,
        "visits",
        serde_json::to_value(&visit).unwrap(),
    )
    .await;
    push(
        &mut phone,
        &url,
        "events",
        serde_json::to_value(&started).unwrap(),
    )
    .await;
    push(
        &mut phone,
        &url,
        "events",
        serde_json::to_value(&sent).unwrap(),
    )
    .await;
    phone.cmd(json!({"cmd": "wait-saved", "url": url})).await;

    let laptop = equipment(&o.tecnico1, "GN-000501").await;
    assert_eq!(laptop["status"], "en_taller", "{laptop}");
    assert_eq!(laptop["status_label"], "En taller", "{laptop}");
    assert_eq!(
        laptop["holder"]["name"], "Taller de la Secretaría TIC",
        "{laptop}"
    );
    assert_eq!(laptop["holder"]["place"], "Sótano, taller", "{laptop}");
    assert_eq!(laptop["holder"]["since"], sent_at, "{laptop}");
    assert_eq!(laptop["custody"].as_array().unwrap().len(), 1, "{laptop}");
    // The other laptop never left.
    assert_eq!(
        equipment(&o.tecnico1, "GN-000502").await["status"],
        "en_servicio"
    );
    // The catalogue a phone caches says the same.
    let catalog = o.tecnico1.get("/api/equipment/catalog").await;
    let item = catalog.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "GN-000501")
        .cloned()
        .unwrap();
    assert_eq!(item["status"], "en_taller");
    // The board shows since when the equipment is away.
    let board = o.admin.get("/api/board").await;
    let row = board.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["state"], "en_taller", "{row}");
    assert_eq!(row["custody_since"], sent_at, "{row}");

    // Resolving while the equipment is away is refused, saying what to do first.
    let resolve = o
        .admin
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "resuelta_telefono", "reason": "Se cerró por teléfono."}),
        )
        .await;
    assert_eq!(resolve.status, 409, "{}", resolve.body);
    assert!(
        resolve.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("registre primero su devolución"),
        "{}",
        resolve.body
    );

    // The equipment comes back, recorded on the phone.
    let back_at = now_ms();
    let returned = Event::new(
        EventKind::EquipmentReturned,
        back_at,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        custody: Some(Custody {
            equipment: vec!["GN-000501".into()],
            from: "Taller de la Secretaría TIC".into(),
            to: tecnico1_name.clone(),
            place: "Piso 2, puesto 14".into(),
            at: back_at,
            condition: "Fuente reemplazada.".into(),
        }),
        ..EventData::default()
    });
    push(
        &mut phone,
        &url,
        "events",
        serde_json::to_value(&returned).unwrap(),
    )
    .await;
    phone.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let laptop = equipment(&o.admin, "GN-000501").await;
    assert_eq!(laptop["status"], "en_servicio", "{laptop}");
    assert!(laptop["holder"].is_null(), "{laptop}");
    let chain: Vec<(String, String, String)> = laptop["custody"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["holder_to"].as_str().unwrap().to_owned(),
                m["number"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let number = o.admin.get(&format!("/api/tickets/{id}")).await.body["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        chain,
        [
            (
                "enviada_taller".into(),
                "Taller de la Secretaría TIC".into(),
                number.clone()
            ),
            (
                "equipo_devuelto".into(),
                tecnico1_name.clone(),
                number.clone()
            ),
        ]
    );
    assert_eq!(laptop["custody"][0]["author_name"], tecnico1_name.as_str());
    assert!(
        laptop["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str())
    );

    // A second return is refused: nothing is away any more.
    let twice = o
        .admin
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "equipo_devuelto"}),
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.body);

    // A signature without strokes is not a signature: refused, and the case stays writable.
    let mut unsigned = Visit::start(&tecnico1_id, now_ms(), true);
    unsigned.signature = Some(Signature {
        sha256: "a".repeat(64),
        signer: "Ana Pérez".into(),
        signed_at: now_ms(),
        strokes: 0,
    });
    push(
        &mut phone,
        &url,
        "visits",
        serde_json::to_value(&unsigned).unwrap(),
    )
    .await;
    let error = phone.cmd(json!({"cmd": "wait-error"})).await;
    assert!(
        error["message"].as_str().unwrap().contains("sin trazos"),
        "{error}"
    );
    phone.disconnect().await;

    // The técnico resolves it by phone, from a clean phone, as the coordinator could.
    let mut tablet = NodePeer::spawn().await;
    tablet.connect(&server.sync_url(&o.tecnico1).await).await;
    tablet.cmd(json!({"cmd": "find", "url": url})).await;
    let by_phone = Event::new(
        EventKind::ResolvedByPhone,
        now_ms() + 1,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        reason: Some("Se confirmó por teléfono que enciende y carga.".into()),
        ..EventData::default()
    });
    push(
        &mut tablet,
        &url,
        "events",
        serde_json::to_value(&by_phone).unwrap(),
    )
    .await;
    tablet.cmd(json!({"cmd": "wait-saved", "url": url})).await;
    let ticket = o.admin.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(ticket.body["state"], "resuelta", "{}", ticket.body);
    assert_eq!(ticket.body["resolution"], "phone", "{}", ticket.body);

    // A contractor's case: the coordinator records the return through the API.
    let (id2, url2) = case_with_equipment(&o.admin, &o.ana, &contratista_id, "GN-000502").await;
    let mut contractor = NodePeer::spawn().await;
    contractor
        .connect(&server.sync_url(&o.contratista).await)
        .await;
    contractor.cmd(json!({"cmd": "find", "url": url2})).await;
    let at = now_ms();
    let mut visit = Visit::start(&contratista_id, at - 1_000, true);
    visit.ended_at = Some(at);
    visit.outcome = Some(Outcome::Contractor);
    visit.custody = Some(Custody {
        equipment: vec!["GN-000502".into()],
        from: "Soporte Externo SAS".into(),
        to: "Laboratorio de Soporte Externo".into(),
        place: "Calle 10 # 4-20".into(),
        at,
        condition: String::new(),
    });
    for event in [
        Event::new(
            EventKind::VisitStarted,
            at - 1_000,
            &contratista_id,
            Role::Contratista,
        ),
        Event::new(
            EventKind::SentToContractor,
            at,
            &contratista_id,
            Role::Contratista,
        ),
    ] {
        let event = event.with_data(EventData {
            visit: Some(visit.id),
            ..EventData::default()
        });
        if event.kind == EventKind::VisitStarted {
            push(
                &mut contractor,
                &url2,
                "visits",
                serde_json::to_value(&visit).unwrap(),
            )
            .await;
        }
        push(
            &mut contractor,
            &url2,
            "events",
            serde_json::to_value(&event).unwrap(),
        )
        .await;
    }
    contractor
        .cmd(json!({"cmd": "wait-saved", "url": url2}))
        .await;
    assert_eq!(
        equipment(&o.admin, "GN-000502").await["status"],
        "con_contratista"
    );
    let back = act(
        &o.admin,
        &id2,
        json!({"action": "equipo_devuelto", "condition": "Llegó con la pantalla nueva."}),
    )
    .await;
    assert_eq!(back["state"], "asignada", "{back}");
    let laptop = equipment(&o.admin, "GN-000502").await;
    assert_eq!(laptop["status"], "en_servicio", "{laptop}");
    let last = laptop["custody"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["kind"], "equipo_devuelto");
    assert_eq!(
        last["holder_from"], "Laboratorio de Soporte Externo",
        "{last}"
    );
    assert_eq!(last["place"], "Piso 2, puesto 14", "{last}");
    assert_eq!(last["condition"], "Llegó con la pantalla nueva.", "{last}");
    // An official sees the chain of its own requests only.
    let beto = equipment(&o.beto, "GN-000502").await;
    assert!(beto["custody"].as_array().unwrap().is_empty(), "{beto}");
}

both_backends!(custody_round_trip);
