//! The notification inbox: each person of a case finds its entries (assigned, reassigned, a new
//! comment, a planned visit due, equipment out too long, the survey pending), read state follows
//! the user across sessions, nobody reads or marks another's entries; the survey reminder
//! reaches the official's mailbox once, with the link to the survey, across a mail server that is
//! down and a restart, and with two replicas on one PostgreSQL; coordinators see the outbox.
//!
//! Days cannot pass inside a test: where a notice depends on days gone by (equipment out for
//! days, a survey unanswered for business days), the test moves the recorded time of the case
//! back in the store's projection, the stand-in for waiting.

use std::time::Duration;

use campo_shared::event_kind::EventKind;
use campo_shared::ids::CommentId;
use campo_shared::role::Role;
use campo_shared::schema::{
    Comment, Custody, Event, EventData, Outcome, Visit, append_comment, append_event, append_visit,
};
use campo_tests::phone::Phone;
use campo_tests::smtp::{SmtpSink, free_port, received, wait_for_mail};
use campo_tests::ticket::now_ms;
use campo_tests::{
    Backend, Client, DEMO_PASSWORD, TempDir, TestApp, TestDb, both_backends, run_cli, spawn_campo,
};
use serde_json::{Value, json};
use sqlx::Connection;

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

/// Runs one SQL statement on the test database (the stand-in for days passing).
async fn execute(db: &TestDb, sql: &str) {
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}

/// Moves a case's resolution `days` back, as if that many days had passed since.
async fn age_resolution(db: &TestDb, id: &str, days: i64) {
    execute(
        db,
        &format!(
            "update tickets set resolved_at = resolved_at - {} where id = '{id}'",
            days * DAY
        ),
    )
    .await;
}

async fn me(client: &Client) -> String {
    client.get("/api/me").await.body["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// The user's inbox, newest first.
async fn inbox(client: &Client) -> Vec<Value> {
    let reply = client.get("/api/notifications").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body.as_array().unwrap().clone()
}

/// Waits until the user's inbox holds an entry of `kind` about case `id`; returns it.
async fn entry(client: &Client, id: &str, kind: &str) -> Value {
    for _ in 0..300 {
        if let Some(found) = inbox(client)
            .await
            .into_iter()
            .find(|n| n["ticket_id"] == id && n["kind"] == kind)
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no «{kind}» entry about {id} within 30 s: {:#?}",
        inbox(client).await
    );
}

async fn act(client: &Client, id: &str, body: Value) {
    let reply = client
        .post(&format!("/api/tickets/{id}/actions"), &body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// The official files a request; its id and number.
async fn file(official: &Client, description: &str) -> (String, String) {
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": description, "category": "Impresora",
                    "location": "Piso 3, oficina 301"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    (
        created.body["id"].as_str().unwrap().to_owned(),
        created.body["number"].as_str().unwrap().to_owned(),
    )
}

fn event(kind: EventKind, at: i64, author: &str, data: EventData) -> Event {
    Event::new(kind, at, author, Role::Tecnico).with_data(data)
}

fn about(visit: &Visit) -> EventData {
    EventData {
        visit: Some(visit.id),
        ..EventData::default()
    }
}

both_backends!(each_person_of_a_case_finds_its_entries);
async fn each_person_of_a_case_finds_its_entries(backend: Backend) {
    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let app = TestApp::start_env(
        db,
        &[],
        &[
            ("CAMPO_NOTICE_SCAN_SECS", "1"),
            ("CAMPO_CUSTODY_OVERDUE_DAYS", "2"),
        ],
    )
    .await
    .expect("start campo");
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    // The same técnico on two devices.
    let andres_phone = app.login("tecnico1", DEMO_PASSWORD).await;
    let andres_desk = app.login("tecnico1", DEMO_PASSWORD).await;
    let diana = app.login("tecnico2", DEMO_PASSWORD).await;
    let andres_id = me(&andres_phone).await;
    let diana_id = me(&diana).await;

    let (id, number) = file(&official, "La impresora del piso 3 no imprime.").await;
    // Nobody is responsible yet: the official's comment goes to the coordinators.
    let official_id = me(&official).await;
    let mut official_app = Phone::open(&official, &id)
        .await
        .expect("the official's app opens the case");
    let early = Comment {
        id: CommentId::new(),
        author: official_id,
        at: now_ms(),
        text: "Es la impresora del pasillo, no la de la oficina.".into(),
    };
    official_app
        .edit(|tx| append_comment(tx, &early).map_err(|e| e.to_string()))
        .await
        .expect("the comment is stored");
    let told = entry(&coordinator, &id, "comentario").await;
    assert_eq!(
        told["body"],
        "María Fernanda López: «Es la impresora del pasillo, no la de la oficina.»"
    );
    assert!(
        inbox(&official)
            .await
            .iter()
            .all(|n| n["kind"] != "comentario")
    );
    act(
        &coordinator,
        &id,
        json!({"action": "priorizada", "priority": "alta"}),
    )
    .await;
    act(
        &coordinator,
        &id,
        json!({"action": "asignada", "assignee_id": andres_id}),
    )
    .await;

    // Assigned: Andrés has an unread entry that names the case, on both devices.
    let assigned = entry(&andres_phone, &id, "asignada").await;
    assert_eq!(assigned["subject"], format!("Caso {number} asignado"));
    assert!(assigned["read_at"].is_null(), "{assigned}");
    assert!(
        assigned["sent_at"].is_null(),
        "shown in the app, not mailed: {assigned}"
    );
    let on_desk = entry(&andres_desk, &id, "asignada").await;
    assert_eq!(on_desk["id"], assigned["id"]);

    // Read on the phone: the desk sees it read too. (The demo's own cases told him things too.)
    let unread_before = inbox(&andres_phone)
        .await
        .iter()
        .filter(|n| n["read_at"].is_null())
        .count() as i64;
    let read = andres_phone
        .post("/api/notifications/read", &json!({"ids": [assigned["id"]]}))
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["unread"], unread_before - 1, "{}", read.body);
    let on_desk = entry(&andres_desk, &id, "asignada").await;
    assert!(on_desk["read_at"].is_i64(), "{on_desk}");

    // Reassigned to Diana: Andrés is told the case left him, Diana that it is hers.
    act(
        &coordinator,
        &id,
        json!({"action": "asignada", "assignee_id": diana_id}),
    )
    .await;
    let left = entry(&andres_desk, &id, "reasignada").await;
    assert_eq!(left["subject"], format!("Caso {number} reasignado"));
    assert!(
        left["body"]
            .as_str()
            .unwrap()
            .contains("Diana Marcela Ruiz"),
        "{left}"
    );
    entry(&diana, &id, "asignada").await;

    // Nobody else reads or marks Andrés's entries.
    assert!(
        inbox(&official)
            .await
            .iter()
            .all(|n| n["id"] != left["id"] && n["id"] != assigned["id"]),
    );
    let foreign = official
        .post("/api/notifications/read", &json!({"ids": [left["id"]]}))
        .await;
    assert_eq!(foreign.status, 404, "{}", foreign.body);
    let foreign = diana
        .post("/api/notifications/read", &json!({"ids": [left["id"]]}))
        .await;
    assert_eq!(foreign.status, 404, "{}", foreign.body);
    assert!(entry(&andres_phone, &id, "reasignada").await["read_at"].is_null());
    // Bad input is refused in Spanish and marks nothing.
    let empty = andres_phone
        .post("/api/notifications/read", &json!({}))
        .await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert!(
        empty.body.to_string().contains("Indique qué avisos"),
        "{}",
        empty.body
    );
    assert!(entry(&andres_phone, &id, "reasignada").await["read_at"].is_null());
    let all = andres_desk
        .post("/api/notifications/read", &json!({"all": true}))
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["unread"], 0);
    assert!(entry(&andres_phone, &id, "reasignada").await["read_at"].is_i64());

    // Diana comments from her phone: the official reads it; Diana does not get her own.
    let mut phone = Phone::open(&diana, &id)
        .await
        .expect("the phone opens the case");
    let comment = Comment {
        id: CommentId::new(),
        author: diana_id.clone(),
        at: now_ms(),
        text: "Paso mañana con el rodillo de repuesto.".into(),
    };
    phone
        .edit(|tx| append_comment(tx, &comment).map_err(|e| e.to_string()))
        .await
        .expect("the comment is stored");
    let said = entry(&official, &id, "comentario").await;
    assert_eq!(
        said["subject"],
        format!("Comentario nuevo en el caso {number}")
    );
    assert_eq!(
        said["body"],
        "Diana Marcela Ruiz: «Paso mañana con el rodillo de repuesto.»"
    );
    assert!(
        inbox(&diana)
            .await
            .iter()
            .all(|n| n["kind"] != "comentario")
    );

    // Nobody at the desk; Diana plans to come back within the hour: the visit is due.
    let base = now_ms();
    let mut absent = Visit::start(&diana_id, base + MINUTE, false);
    absent.note = "Puesto vacío; dejé aviso con la compañera.".into();
    absent.notice_left = true;
    absent.next_visit_at = Some(base + 30 * MINUTE);
    absent.ended_at = Some(base + 2 * MINUTE);
    let events = [
        event(
            EventKind::VisitStarted,
            base + MINUTE,
            &diana_id,
            about(&absent),
        ),
        event(
            EventKind::UserAbsent,
            base + 2 * MINUTE,
            &diana_id,
            EventData {
                next_visit_at: Some(base + 30 * MINUTE),
                ..about(&absent)
            },
        ),
    ];
    phone
        .edit(|tx| {
            append_visit(tx, &absent).map_err(|e| e.to_string())?;
            for e in &events {
                append_event(tx, e).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .await
        .expect("the absent visit is stored");
    let due = entry(&diana, &id, "visita_pendiente").await;
    assert_eq!(due["subject"], format!("Visita pendiente: caso {number}"));
    assert!(
        due["body"]
            .as_str()
            .unwrap()
            .contains("Piso 3, oficina 301"),
        "{due}"
    );

    // Back with the official: the computer goes to the workshop and stays there for days.
    let back = base + 3 * MINUTE;
    let mut workshop = Visit::start(&diana_id, back, true);
    workshop.diagnosis = "Fuente de poder quemada.".into();
    workshop.actions = "Se retiró el equipo.".into();
    workshop.outcome = Some(Outcome::Workshop);
    workshop.equipment = vec!["GN-000123".into()];
    workshop.custody = Some(Custody {
        equipment: vec!["GN-000123".into()],
        from: "María Fernanda López".into(),
        to: "Diana Marcela Ruiz".into(),
        place: "Taller de la Secretaría TIC".into(),
        at: back + MINUTE,
        condition: "Sin cable de poder.".into(),
    });
    workshop.ended_at = Some(back + 2 * MINUTE);
    workshop.signer_absent = true;
    let events = [
        event(EventKind::VisitStarted, back, &diana_id, about(&workshop)),
        event(
            EventKind::SentToWorkshop,
            back + 2 * MINUTE,
            &diana_id,
            about(&workshop),
        ),
    ];
    phone
        .edit(|tx| {
            append_visit(tx, &workshop).map_err(|e| e.to_string())?;
            for e in &events {
                append_event(tx, e).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .await
        .expect("the workshop visit is stored");
    let detail = coordinator.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(detail.body["state"], "en_taller", "{}", detail.body);
    execute(
        &app.db,
        &format!(
            "update ticket_equipment_events set at = at - {} where ticket_id = '{id}'",
            3 * DAY
        ),
    )
    .await;
    let overdue = entry(&diana, &id, "custodia_vencida").await;
    assert_eq!(
        overdue["subject"],
        format!("Equipo del caso {number} en el taller hace más de 2 días")
    );
    entry(&coordinator, &id, "custodia_vencida").await;

    // Solved by phone on another case: its requester is asked for the survey.
    let (other, other_number) = file(&official, "No abre el correo.").await;
    act(
        &coordinator,
        &other,
        json!({"action": "resuelta_telefono", "reason": "Se restableció la clave."}),
    )
    .await;
    let survey = entry(&official, &other, "encuesta_pendiente").await;
    assert_eq!(
        survey["subject"],
        format!("Encuesta pendiente del caso {other_number}")
    );

    // Outbox: coordinators only.
    assert_eq!(diana.get("/api/notifications/outbox").await.status, 403);
    let outbox = coordinator.get("/api/notifications/outbox").await;
    assert_eq!(outbox.status, 200, "{}", outbox.body);
    assert_eq!(outbox.body["smtp_configured"], false);
    app.stop().await;
}

/// Starts Campo on `db` mailing through `smtp_port`, scanning every second.
async fn start_mailing(db: TestDb, smtp_port: u16) -> TestApp {
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    TestApp::start_env(
        db,
        &[
            "--smtp-url",
            &smtp_url,
            "--smtp-from",
            "Campo <campo@demo.gov.co>",
            "--public-url",
            "http://campo.prueba",
        ],
        &[("CAMPO_NOTICE_SCAN_SECS", "1")],
    )
    .await
    .expect("start campo")
}

/// The reminders received for case `number`.
fn reminders(dir: &std::path::Path, number: &str) -> usize {
    received(dir)
        .iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .is_some_and(|s| s.contains(number) && s.contains("¿cómo lo atendimos?"))
        })
        .count()
}

both_backends!(the_survey_reminder_is_mailed_once_through_an_outage_and_a_restart);
async fn the_survey_reminder_is_mailed_once_through_an_outage_and_a_restart(backend: Backend) {
    let mail_dir = TempDir::new();
    std::fs::create_dir_all(mail_dir.path()).unwrap();
    let port = free_port();
    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    // The mail server is down from the start.
    let app = start_mailing(db, port).await;
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let (id, number) = file(&official, "El escáner no enciende.").await;
    act(
        &coordinator,
        &id,
        json!({"action": "resuelta_telefono", "reason": "Se cambió el cable de poder."}),
    )
    .await;
    entry(&official, &id, "encuesta_pendiente").await;
    // Three weeks later the survey is still unanswered.
    age_resolution(&app.db, &id, 21).await;
    let reminder = entry(&official, &id, "recordatorio_encuesta").await;
    assert_eq!(
        reminder["subject"],
        format!("Caso {number}: ¿cómo lo atendimos?")
    );

    // The delivery fails; Ajustes shows the mail waiting with its error.
    let mut failing = Value::Null;
    for _ in 0..300 {
        let outbox = coordinator.get("/api/notifications/outbox").await.body;
        if let Some(mail) = outbox["waiting"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == reminder["id"] && m["attempts"].as_i64() > Some(0))
        {
            assert!(outbox["failing"].as_i64() > Some(0), "{outbox}");
            failing = mail.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(failing["last_error"].is_string(), "never failed: {failing}");
    assert!(failing["next_attempt_at"].is_i64(), "{failing}");
    assert_eq!(failing["email"], "mlopez@demo.gov.co");

    // Campo restarts meanwhile; then the mail server comes back.
    let db = app.stop().await;
    let sink = SmtpSink::start(port, mail_dir.path()).await;
    let app = start_mailing(db, port).await;
    let mail = wait_for_mail(mail_dir.path(), "mlopez@demo.gov.co", "¿cómo lo atendimos?").await;
    let body = mail["body"].as_str().unwrap();
    assert!(body.contains("Hola, María Fernanda López"), "{body}");
    assert!(
        body.contains(&format!("http://campo.prueba/casos/{id}/encuesta")),
        "{body}"
    );

    // Another restart, and a later mail goes out: still one reminder.
    let db = app.stop().await;
    let app = start_mailing(db, port).await;
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let (_, later) = file(&official, "El monitor parpadea.").await;
    wait_for_mail(mail_dir.path(), "mlopez@demo.gov.co", &later).await;
    assert_eq!(reminders(mail_dir.path(), &number), 1);
    let outbox = coordinator.get("/api/notifications/outbox").await.body;
    assert!(
        outbox["sent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == reminder["id"] && m["sent_at"].is_i64()),
        "{outbox}"
    );
    assert_eq!(
        inbox(&official)
            .await
            .iter()
            .filter(|n| n["kind"] == "recordatorio_encuesta")
            .count(),
        1
    );
    sink.stop().await;
    app.stop().await;
}

/// Two replicas on one PostgreSQL, both scanning every second: the official gets one reminder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_send_one_survey_reminder() {
    let mail_dir = TempDir::new();
    std::fs::create_dir_all(mail_dir.path()).unwrap();
    let port = free_port();
    let sink = SmtpSink::start(port, mail_dir.path()).await;
    let db = TestDb::new(Backend::Postgres).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let (dir_a, dir_b) = (TempDir::new(), TempDir::new());
    let env = |dir: &TempDir| {
        vec![
            (
                "CAMPO_DATA_DIR".to_owned(),
                dir.path().display().to_string(),
            ),
            ("CAMPO_NOTICE_SCAN_SECS".to_owned(), "1".to_owned()),
            ("CAMPO_SMTP_URL".to_owned(), smtp_url.clone()),
            ("CAMPO_SMTP_FROM".to_owned(), "campo@demo.gov.co".to_owned()),
            (
                "CAMPO_PUBLIC_URL".to_owned(),
                "http://campo.prueba".to_owned(),
            ),
        ]
    };
    let (_a, base_a) = spawn_campo(&db, &[], &env(&dir_a)).await.unwrap();
    let (_b, base_b) = spawn_campo(&db, &[], &env(&dir_b)).await.unwrap();
    let official = Client::new(base_a);
    official.login("mlopez", DEMO_PASSWORD).await.unwrap();
    let coordinator = Client::new(base_b);
    coordinator
        .login("coordinador", DEMO_PASSWORD)
        .await
        .unwrap();

    let (id, number) = file(&official, "La diadema no tiene sonido.").await;
    act(
        &coordinator,
        &id,
        json!({"action": "resuelta_telefono", "reason": "Se configuró el audio."}),
    )
    .await;
    entry(&official, &id, "encuesta_pendiente").await;
    age_resolution(&db, &id, 21).await;
    let mail = wait_for_mail(mail_dir.path(), "mlopez@demo.gov.co", "¿cómo lo atendimos?").await;
    assert!(
        mail["body"]
            .as_str()
            .unwrap()
            .contains(&format!("http://campo.prueba/casos/{id}/encuesta")),
        "{mail}"
    );
    // Both replicas keep scanning; a later mail goes out, and still one reminder arrived.
    let (_, later) = file(&official, "El teclado no responde.").await;
    wait_for_mail(mail_dir.path(), "mlopez@demo.gov.co", &later).await;
    let (_, latest) = file(&official, "El mouse no responde.").await;
    wait_for_mail(mail_dir.path(), "mlopez@demo.gov.co", &latest).await;
    assert_eq!(reminders(mail_dir.path(), &number), 1);
    sink.stop().await;
}
