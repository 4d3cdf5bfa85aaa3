//! Custody through the REST API, beside the phone that moves the equipment: from the desk to the
//! workshop, from the workshop on to the contractor, and a case resolved while the contractor
//! still holds the machine, which only a coordinator may do and only saying why. The inventory
//! keeps telling where the machine is, and the acta says why the case closed without it.

use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{Custody, Event, EventData, Outcome, Visit, append_event, append_visit};
use campo_tests::phone::Phone;
use campo_tests::ticket::now_ms;
use campo_tests::{Backend, Client, DEMO_PASSWORD, TestApp, both_backends};
use serde_json::{Value, json};

const CODE: &str = "GN-009901";
const LAB: &str = "Laboratorio de Soporte Integral Andino";

async fn user_id(client: &Client) -> String {
    client.get("/api/me").await.body["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn equipment(client: &Client) -> Value {
    let reply = client.get(&format!("/api/equipment/{CODE}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

async fn act(client: &Client, id: &str, body: Value) -> (u16, Value) {
    let reply = client
        .post(&format!("/api/tickets/{id}/actions"), &body)
        .await;
    (reply.status, reply.body)
}

/// The message of a refusal, which must be a `409` in Spanish.
fn refusal((status, body): (u16, Value)) -> String {
    assert_eq!(status, 409, "{body}");
    body["error"]["message"].as_str().unwrap().to_owned()
}

/// A send of the equipment: the visit that records where it goes, and the workflow event.
fn send(technician: &str, at: i64, kind: EventKind, to: &str, place: &str) -> (Visit, Event) {
    let mut visit = Visit::start(technician, at - 60_000, true);
    visit.ended_at = Some(at);
    visit.outcome = Some(if kind == EventKind::SentToWorkshop {
        Outcome::Workshop
    } else {
        Outcome::Contractor
    });
    visit.equipment = vec![CODE.into()];
    visit.custody = Some(Custody {
        equipment: vec![CODE.into()],
        from: "Andrés Felipe Gómez".into(),
        to: to.into(),
        place: place.into(),
        at,
        condition: "Pantalla rota.".into(),
    });
    let event = Event::new(kind, at, technician, Role::Tecnico).with_data(EventData {
        visit: Some(visit.id),
        ..EventData::default()
    });
    (visit, event)
}

fn pdftotext(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("campo-custody-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian: apt-get install poppler-utils) is needed");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

async fn a_contractor_keeps_the_equipment_and_only_the_coordinator_resolves_saying_why(
    backend: Backend,
) {
    let app = TestApp::spawn_demo(backend).await;
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let tecnico_id = user_id(&tecnico).await;
    let made = coordinator
        .post(
            "/api/equipment",
            &json!({"code": CODE, "kind": "Portátil", "brand": "Dell", "model": "Latitude 5420",
                    "dependencia": "HACIENDA", "location": "Piso 3, puesto 7"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": "La pantalla del portátil se rompió.", "category": "Hardware",
                    "location": "Piso 3, puesto 7", "equipment": [CODE]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    for body in [
        json!({"action": "aceptada", "mode": "workshop"}),
        json!({"action": "asignada", "assignee_id": tecnico_id}),
    ] {
        assert_eq!(act(&coordinator, &id, body).await.0, 200);
    }

    // From the desk to the workshop, then on to the contractor's laboratory.
    let mut phone = Phone::open(&tecnico, &id)
        .await
        .expect("the phone opens it");
    // The visit starts after the coordinator's assignment (a minute before `at`).
    let at = now_ms() + 120_000;
    let (to_workshop, sent) = send(
        &tecnico_id,
        at,
        EventKind::SentToWorkshop,
        "Taller de la Secretaría TIC",
        "Sótano 1",
    );
    let started = Event::new(
        EventKind::VisitStarted,
        at - 60_000,
        &tecnico_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        visit: Some(to_workshop.id),
        ..EventData::default()
    });
    phone
        .edit(|tx| {
            append_visit(tx, &to_workshop).map_err(|e| e.to_string())?;
            append_event(tx, &started).map_err(|e| e.to_string())?;
            append_event(tx, &sent).map_err(|e| e.to_string())
        })
        .await
        .expect("the send to the workshop is stored");
    let laptop = equipment(&coordinator).await;
    assert_eq!(laptop["status"], "en_taller", "{laptop}");
    assert_eq!(laptop["holder"]["name"], "Taller de la Secretaría TIC");

    let (to_lab, sent_on) = send(
        &tecnico_id,
        at + 60_000,
        EventKind::SentToContractor,
        LAB,
        "Calle 10 # 4-20",
    );
    phone
        .edit(|tx| {
            append_visit(tx, &to_lab).map_err(|e| e.to_string())?;
            append_event(tx, &sent_on).map_err(|e| e.to_string())
        })
        .await
        .expect("the send to the contractor is stored");
    let laptop = equipment(&coordinator).await;
    assert_eq!(laptop["status"], "con_contratista", "{laptop}");
    assert_eq!(laptop["holder"]["name"], LAB, "{laptop}");
    assert_eq!(laptop["holder"]["place"], "Calle 10 # 4-20", "{laptop}");
    let kinds: Vec<&str> = laptop["custody"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["enviada_taller", "enviada_contratista"]);

    // The técnico cannot resolve it while the contractor holds it, not even saying why: the
    // phone's resolution is kept but flagged for the coordinator, and the case waits.
    let by_phone = Event::new(
        EventKind::ResolvedByPhone,
        at + 120_000,
        &tecnico_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        reason: Some("Se le prestó otro portátil.".into()),
        equipment_out_reason: Some("Queda en garantía.".into()),
        ..EventData::default()
    });
    phone
        .edit(|tx| append_event(tx, &by_phone).map_err(|e| e.to_string()))
        .await
        .expect("the phone's event is kept");
    let ticket = coordinator.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(ticket["state"], "con_contratista", "{ticket}");
    assert_eq!(ticket["flags"], 1, "{ticket}");

    // The coordinator must say why it resolves before the return.
    let plain = json!({"action": "resuelta_telefono", "reason": "Se le prestó otro portátil."});
    let message = refusal(act(&coordinator, &id, plain).await);
    assert!(
        message.contains("registre primero su devolución"),
        "{message}"
    );
    assert!(message.contains("equipment_out_reason"), "{message}");
    let blank = json!({"action": "resuelta_telefono", "reason": "Se le prestó otro portátil.",
                       "equipment_out_reason": "   "});
    refusal(act(&coordinator, &id, blank).await);
    // Nothing was written by the refusals.
    let ticket = coordinator.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(ticket["state"], "con_contratista", "{ticket}");

    let why = "El contratista conserva el equipo en garantía.";
    let (status, resolved) = act(
        &coordinator,
        &id,
        json!({"action": "resuelta_telefono", "reason": "Se le entregó un portátil de reemplazo.",
               "equipment_out_reason": why}),
    )
    .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["state"], "resuelta", "{resolved}");

    // The case is resolved, the machine is still at the laboratory.
    let laptop = equipment(&official).await;
    assert_eq!(laptop["status"], "con_contratista", "{laptop}");
    assert_eq!(laptop["holder"]["name"], LAB, "{laptop}");
    assert_eq!(laptop["custody"].as_array().unwrap().len(), 2, "{laptop}");
    // There is no return to record on a resolved case.
    let message = refusal(act(&coordinator, &id, json!({"action": "equipo_devuelto"})).await);
    assert!(message.contains("no está en el taller"), "{message}");

    // A resolution a phone delivers afterwards is flagged and changes nothing.
    let late = Event::new(
        EventKind::ResolvedByPhone,
        at + 3_600_000,
        &tecnico_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        reason: Some("Lo resolví por mi cuenta.".into()),
        ..EventData::default()
    });
    phone
        .edit(|tx| append_event(tx, &late).map_err(|e| e.to_string()))
        .await
        .expect("the phone's late event is kept");
    let ticket = coordinator.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(ticket["state"], "resuelta", "{ticket}");
    assert_eq!(ticket["flags"], 2, "{ticket}");

    // The acta says how and why, and where the machine went.
    let response = coordinator
        .http()
        .get(coordinator.url(&format!("/api/tickets/{id}/acta.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = pdftotext(&response.bytes().await.unwrap());
    for expected in [
        "Envío a taller",
        "Envío al contratista",
        LAB,
        "Remota o telefónica",
        "Se le entregó un portátil de reemplazo.",
        "Equipo sin devolver",
        why,
    ] {
        assert!(
            text.contains(expected),
            "«{expected}» missing from:\n{text}"
        );
    }
    assert!(!text.contains("Lo resolví por mi cuenta."), "{text}");
}

both_backends!(a_contractor_keeps_the_equipment_and_only_the_coordinator_resolves_saying_why);
