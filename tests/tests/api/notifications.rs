//! E-mail notifications: an official's request, its triage and its assignment to the contractor
//! reach a local SMTP sink in Spanish, show in the app, and a mail the server could not deliver
//! arrives once the mail server is back.

use std::time::Duration;

use campo_tests::smtp::{SmtpSink as Sink, free_port, wait_for_mail};
use campo_tests::{Backend, DEMO_PASSWORD, TempDir, TestApp, TestDb, both_backends, run_cli};
use serde_json::{Value, json};
use sqlx::Connection;

/// The largest delivery attempt count of the pending notifications, read from the database.
async fn pending_attempts(db: &TestDb) -> i64 {
    let sql = "select coalesce(max(attempts), 0) from notifications where sent_at is null
               and email is not null";
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    }
}

async fn user_id(coordinator: &campo_tests::Client, role: &str, username: &str) -> Value {
    let users = coordinator
        .get(&format!("/api/users?role={role}"))
        .await
        .body;
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("demo user {username}"))["id"]
        .clone()
}

both_backends!(request_triage_and_assignment_are_mailed);
async fn request_triage_and_assignment_are_mailed(backend: Backend) {
    let mail_dir = TempDir::new();
    std::fs::create_dir_all(mail_dir.path()).unwrap();
    let port = free_port();
    let sink = Sink::start(port, mail_dir.path()).await;

    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::start_with(
        db,
        &[
            "--smtp-url",
            &smtp_url,
            "--smtp-from",
            "Campo <campo@demo.gov.co>",
            "--public-url",
            "http://campo.prueba",
        ],
    )
    .await
    .expect("start campo");
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let contractor = app.login("contratista", DEMO_PASSWORD).await;

    let created = official
        .post(
            "/api/tickets",
            &json!({"description": "La impresora del piso 3 no imprime.",
                    "category": "Impresora", "location": "Piso 3, oficina 301"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let number = created.body["number"].as_str().unwrap().to_owned();

    let received_mail = wait_for_mail(mail_dir.path(), "mlopez@demo.gov.co", &number).await;
    assert!(
        received_mail["subject"]
            .as_str()
            .unwrap()
            .contains("recibida"),
        "{received_mail}"
    );
    let body = received_mail["body"].as_str().unwrap();
    assert!(body.contains("Hola, María Fernanda López"), "{body}");
    assert!(
        body.contains("La impresora del piso 3 no imprime."),
        "{body}"
    );
    assert!(
        body.contains(&format!("http://campo.prueba/casos/{id}")),
        "{body}"
    );

    let triaged = coordinator
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "priorizada", "priority": "alta"}),
        )
        .await;
    assert_eq!(triaged.status, 200, "{}", triaged.body);
    let contractor_id = user_id(&coordinator, "contratista", "contratista").await;
    let assigned = coordinator
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "asignada", "assignee_id": contractor_id}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);

    let attention = wait_for_mail(
        mail_dir.path(),
        "mlopez@demo.gov.co",
        "tiempo máximo de atención",
    )
    .await;
    let body = attention["body"].as_str().unwrap();
    assert!(body.contains("prioridad Alta"), "{body}");
    assert!(body.contains("Tiempo máximo de atención: "), "{body}");
    let assignment = wait_for_mail(mail_dir.path(), "contratista@demo.gov.co", &number).await;
    assert_eq!(assignment["from"], "campo@demo.gov.co");
    let body = assignment["body"].as_str().unwrap();
    assert!(
        body.contains(&format!("Se le asignó el caso {number}")),
        "{body}"
    );
    assert!(body.contains("Solicitante: María Fernanda López"), "{body}");
    assert!(body.contains("Piso 3, oficina 301"), "{body}");
    assert!(body.contains("Tiempo máximo de atención: "), "{body}");

    // The app shows each user its own notifications, newest first, marked as mailed.
    let mine = official.get("/api/notifications").await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let about_it: Vec<&Value> = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["ticket_id"] == id.as_str())
        .collect();
    let kinds: Vec<&str> = about_it
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["priorizada", "registrada"], "{}", mine.body);
    assert!(
        about_it.iter().all(|n| n["sent_at"].is_i64()),
        "{}",
        mine.body
    );
    let theirs = contractor.get("/api/notifications").await.body;
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "asignada" && n["subject"].as_str().unwrap().contains(&number)),
        "{theirs}"
    );
    assert_eq!(app.anonymous().get("/api/notifications").await.status, 401);

    // The mail server goes down: a new request is recorded, its mail fails and waits.
    sink.stop().await;
    let second = official
        .post(
            "/api/tickets",
            &json!({"description": "El monitor no enciende.", "category": "Monitor",
                    "location": "Piso 3, oficina 301"}),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.body);
    let second_number = second.body["number"].as_str().unwrap().to_owned();
    let mut attempts = 0;
    for _ in 0..300 {
        attempts = pending_attempts(&app.db).await;
        if attempts > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(attempts > 0, "the failed delivery was not recorded");
    let pending = official.get("/api/notifications").await.body;
    assert!(
        pending[0]["subject"]
            .as_str()
            .unwrap()
            .contains(&second_number)
    );
    assert!(pending[0]["sent_at"].is_null(), "{pending}");

    // Back up: the retry delivers it.
    let sink = Sink::start(port, mail_dir.path()).await;
    let retried = wait_for_mail(mail_dir.path(), "mlopez@demo.gov.co", &second_number).await;
    assert!(retried["subject"].as_str().unwrap().contains("recibida"));
    sink.stop().await;
    app.stop().await;
}
