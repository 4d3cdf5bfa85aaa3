//! Web Push: a técnico's phone subscribes, the coordinator assigns it a case, and what Campo posts
//! to the push endpoint (a local one: the test's own HTTP server on the loopback) is opened by an
//! independent implementation — Node's crypto verifies the VAPID token with the key of
//! `GET /api/push/key`, the `http_ece` package decrypts the message — and carries the case number
//! and nothing personal. An expired subscription (410) is forgotten; an endpoint that never
//! answers holds up neither another técnico's push nor the e-mail outbox.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use campo_tests::smtp::{SmtpSink, free_port, wait_for_mail};
use campo_tests::{
    Backend, Client, DEMO_PASSWORD, TempDir, TestApp, TestDb, both_backends, run_cli,
};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::io::AsyncWriteExt;

/// One request the push endpoint received.
#[derive(Debug, Clone)]
struct Received {
    /// The last segment of the path: which subscription it was for.
    name: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// A push service on the loopback: `POST /push/{name}` is recorded, then answered 201, or 410
/// when the name starts with `gone`, or never when it starts with `hang`.
struct PushEndpoint {
    base: String,
    received: Arc<Mutex<Vec<Received>>>,
}

async fn record(
    State(received): State<Arc<Mutex<Vec<Received>>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let headers = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    received.lock().unwrap().push(Received {
        name: name.clone(),
        headers,
        body: body.to_vec(),
    });
    if name.starts_with("hang") {
        std::future::pending::<()>().await;
    }
    if name.starts_with("gone") {
        StatusCode::GONE
    } else {
        StatusCode::CREATED
    }
}

impl PushEndpoint {
    async fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .route("/push/{name}", axum::routing::post(record))
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, received }
    }

    fn endpoint(&self, name: &str) -> String {
        format!("{}/push/{name}", self.base)
    }

    fn received(&self, name: &str) -> Vec<Received> {
        let all = self.received.lock().unwrap();
        all.iter().filter(|r| r.name == name).cloned().collect()
    }

    /// Waits (up to a minute) until `name` has received `count` requests; returns them.
    async fn wait(&self, name: &str, count: usize) -> Vec<Received> {
        for _ in 0..600 {
            let got = self.received(name);
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{name} received {:?} pushes, not {count}",
            self.received(name)
        );
    }
}

/// Runs `tests/js/push.mjs` with `input` on its standard input; returns what it printed.
async fn node(args: &[&str], input: Option<Value>) -> Value {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js");
    assert!(
        dir.join("node_modules/http_ece").exists(),
        "run `npm install` in {}",
        dir.display()
    );
    let mut child = tokio::process::Command::new("node")
        .arg("push.mjs")
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(input) = input {
        stdin.write_all(input.to_string().as_bytes()).await.unwrap();
    }
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert!(
        output.status.success(),
        "push.mjs {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A browser's subscription keys, made by Node; `subscription` is its `toJSON()` for `endpoint`.
struct Browser {
    keys: Value,
}

impl Browser {
    async fn new() -> Self {
        Self {
            keys: node(&["subscribe"], None).await,
        }
    }

    fn subscription(&self, endpoint: &str) -> Value {
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {"p256dh": self.keys["p256dh"], "auth": self.keys["auth"]},
        })
    }

    /// Checks the VAPID token of `received` against `server_key` and decrypts it.
    async fn open(&self, received: &Received, endpoint: &str, server_key: &str) -> Value {
        let body: String = received.body.iter().map(|b| format!("{b:02x}")).collect();
        node(
            &["open"],
            Some(json!({
                "endpoint": endpoint,
                "headers": received.headers,
                "body": body,
                "privateKey": self.keys["privateKey"],
                "auth": self.keys["auth"],
                "serverKey": server_key,
            })),
        )
        .await
    }
}

async fn user_id(coordinator: &Client, role: &str, username: &str) -> Value {
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

/// An official's request, triaged and assigned by the coordinator to `assignee`; returns the
/// case's id and number.
async fn assigned_case(
    official: &Client,
    coordinator: &Client,
    assignee: &Value,
    description: &str,
) -> (String, String) {
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": description, "category": "Impresora",
                    "location": "Piso 3, oficina 301"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let triaged = coordinator
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "priorizada", "priority": "alta"}),
        )
        .await;
    assert_eq!(triaged.status, 200, "{}", triaged.body);
    assign(coordinator, &id, assignee).await;
    (id, created.body["number"].as_str().unwrap().to_owned())
}

async fn assign(coordinator: &Client, id: &str, assignee: &Value) {
    let assigned = coordinator
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "asignada", "assignee_id": assignee}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);
}

async fn server_key(client: &Client) -> String {
    let key = client.get("/api/push/key").await;
    assert_eq!(key.status, 200, "{}", key.body);
    key.body["public_key"].as_str().unwrap().to_owned()
}

both_backends!(an_assignment_reaches_the_phone_encrypted_and_signed);
async fn an_assignment_reaches_the_phone_encrypted_and_signed(backend: Backend) {
    let push = PushEndpoint::start().await;
    let app = TestApp::spawn_demo(backend).await;
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;

    assert_eq!(app.anonymous().get("/api/push/key").await.status, 401);
    let key = server_key(&tecnico).await;
    assert_eq!(key.len(), 87, "base64url of a 65-byte point: {key}");
    assert_eq!(server_key(&coordinator).await, key, "one key for everyone");

    // The phone subscribes, twice (a second tap, a reload): one subscription.
    let browser = Browser::new().await;
    let endpoint = push.endpoint("phone");
    for _ in 0..2 {
        let subscribed = tecnico
            .post("/api/push/subscriptions", &browser.subscription(&endpoint))
            .await;
        assert_eq!(subscribed.status, 201, "{}", subscribed.body);
    }

    let me = user_id(&coordinator, "tecnico", "tecnico1").await;
    let description = "La impresora de la oficina de María no imprime.";
    let (id, number) = assigned_case(&official, &coordinator, &me, description).await;

    let received = push.wait("phone", 1).await;
    let request = &received[0];
    assert_eq!(request.headers["content-encoding"], "aes128gcm");
    assert_eq!(request.headers["ttl"], "86400");
    assert_eq!(request.headers["urgency"], "high");
    let opened = browser.open(request, &endpoint, &key).await;
    assert_eq!(
        opened["message"],
        json!({"title": "Nuevo caso asignado", "body": format!("Caso {number}"),
               "number": number, "url": format!("/casos/{id}")}),
        "only the number, a title and the case's address"
    );
    let text = opened["message"].to_string();
    for personal in ["María", "impresora", "Piso 3", "López", "Andrés"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    assert_eq!(opened["jwtHeader"]["alg"], "ES256");
    let claims = &opened["claims"];
    assert_eq!(claims["aud"], push.base.as_str());
    let now = chrono::Utc::now().timestamp();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > now && exp <= now + 24 * 3600, "{claims}");
    assert!(
        claims["sub"].as_str().unwrap().starts_with("mailto:"),
        "{claims}"
    );

    // After a restart, the same assignment is not pushed again; the next one is.
    let db = app.stop().await;
    let app = TestApp::start(db).await.expect("restart campo");
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let other = user_id(&coordinator, "tecnico", "tecnico2").await;
    assign(&coordinator, &id, &other).await;
    assign(&coordinator, &id, &me).await;
    let received = push.wait("phone", 2).await;
    let again = browser.open(&received[1], &endpoint, &key).await;
    assert_eq!(again["message"]["number"], number.as_str());
    assert_eq!(
        push.received("phone").len(),
        2,
        "pushed once per assignment"
    );

    // The phone unsubscribes: its endpoint is forgotten.
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;
    let gone = tecnico
        .send(
            tecnico
                .http()
                .delete(tecnico.url("/api/push/subscriptions"))
                .json(&json!({"endpoint": endpoint})),
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    assert_eq!(subscriptions(&app.db, &endpoint).await, 0);
}

both_backends!(a_bad_subscription_is_refused_in_spanish);
async fn a_bad_subscription_is_refused_in_spanish(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;
    let browser = Browser::new().await;
    let mut plain_http = browser.subscription("http://push.example.net/send/1");
    let refused = tecnico.post("/api/push/subscriptions", &plain_http).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let text = refused.body.to_string();
    assert!(
        text.contains("endpoint") && text.contains("https://"),
        "{text}"
    );

    plain_http["endpoint"] = json!("https://push.example.net/send/1");
    plain_http["keys"]["auth"] = json!("c2hvcnQ");
    plain_http["keys"]["p256dh"] = json!("BAAA");
    let refused = tecnico.post("/api/push/subscriptions", &plain_http).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let text = refused.body.to_string();
    assert!(
        text.contains("keys.p256dh") && text.contains("65 bytes"),
        "{text}"
    );
    assert!(
        text.contains("keys.auth") && text.contains("16 bytes"),
        "{text}"
    );

    let missing = tecnico
        .post(
            "/api/push/subscriptions",
            &json!({"endpoint": "https://p.example/1"}),
        )
        .await;
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert!(
        missing.body.to_string().contains("keys"),
        "{}",
        missing.body
    );

    let huge = browser.subscription(&format!("https://p.example/{}", "x".repeat(5000)));
    let too_big = tecnico.post("/api/push/subscriptions", &huge).await;
    assert_eq!(too_big.status, 413, "{}", too_big.body);
    assert_eq!(
        subscriptions(&app.db, "https://push.example.net/send/1").await,
        0
    );
    let anonymous = app
        .anonymous()
        .post(
            "/api/push/subscriptions",
            &browser.subscription("https://p.example/1"),
        )
        .await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
}

both_backends!(gone_and_hanging_endpoints_hold_nothing_up);
async fn gone_and_hanging_endpoints_hold_nothing_up(backend: Backend) {
    let push = PushEndpoint::start().await;
    let mail_dir = TempDir::new();
    std::fs::create_dir_all(mail_dir.path()).unwrap();
    let port = free_port();
    let _sink = SmtpSink::start(port, mail_dir.path()).await;
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
        ],
    )
    .await
    .expect("start campo");
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;

    // tecnico1 has a phone whose push service never answers and an old one that expired;
    // tecnico2 has a phone that works.
    let first = app.login("tecnico1", DEMO_PASSWORD).await;
    let (hanging, expired) = (Browser::new().await, Browser::new().await);
    for (browser, name) in [(&hanging, "hang-1"), (&expired, "gone-1")] {
        let subscribed = first
            .post(
                "/api/push/subscriptions",
                &browser.subscription(&push.endpoint(name)),
            )
            .await;
        assert_eq!(subscribed.status, 201, "{}", subscribed.body);
    }
    let second = app.login("tecnico2", DEMO_PASSWORD).await;
    let working = Browser::new().await;
    let subscribed = second
        .post(
            "/api/push/subscriptions",
            &working.subscription(&push.endpoint("ok-2")),
        )
        .await;
    assert_eq!(subscribed.status, 201, "{}", subscribed.body);

    let tecnico1 = user_id(&coordinator, "tecnico", "tecnico1").await;
    let tecnico2 = user_id(&coordinator, "tecnico", "tecnico2").await;
    let contractor = user_id(&coordinator, "contratista", "contratista").await;
    assigned_case(
        &official,
        &coordinator,
        &tecnico1,
        "El monitor no enciende.",
    )
    .await;
    push.wait("hang-1", 1).await;
    push.wait("gone-1", 1).await;

    // While tecnico1's push service hangs, tecnico2's push and the contractor's e-mail go out.
    let (id, number) = assigned_case(
        &official,
        &coordinator,
        &tecnico2,
        "El teclado no responde.",
    )
    .await;
    let key = server_key(&second).await;
    let received = push.wait("ok-2", 1).await;
    let opened = working
        .open(&received[0], &push.endpoint("ok-2"), &key)
        .await;
    assert_eq!(opened["message"]["url"], format!("/casos/{id}"));
    assert_eq!(opened["message"]["number"], number.as_str());
    let (_, mailed) = assigned_case(
        &official,
        &coordinator,
        &contractor,
        "El escáner no enciende.",
    )
    .await;
    wait_for_mail(mail_dir.path(), "contratista@demo.gov.co", &mailed).await;

    // The expired subscription was forgotten (410); the hanging one is kept.
    for _ in 0..600 {
        if subscriptions(&app.db, &push.endpoint("gone-1")).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(subscriptions(&app.db, &push.endpoint("gone-1")).await, 0);
    assert_eq!(subscriptions(&app.db, &push.endpoint("hang-1")).await, 1);
}

/// How many subscriptions have `endpoint`, read from the database.
async fn subscriptions(db: &TestDb, endpoint: &str) -> i64 {
    let sql = "select count(*) from push_subscriptions where endpoint = $1";
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .bind(endpoint)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .bind(endpoint)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    }
}

/// Two replicas on one PostgreSQL: the second starts after an assignment the first pushed, scans
/// the recent tickets as every replica does at start, and does not push it again; an assignment
/// made through it is pushed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_replica_does_not_push_again() {
    let push = PushEndpoint::start().await;
    let db = TestDb::new(Backend::Postgres).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let (_first, base_a) = campo_tests::spawn_campo(&db, &[], &[]).await.unwrap();
    let login = |base: &str, username: &str| {
        let client = Client::new(base.to_owned());
        let username = username.to_owned();
        async move {
            client.login(&username, DEMO_PASSWORD).await.unwrap();
            client
        }
    };
    let official = login(&base_a, "mlopez").await;
    let coordinator = login(&base_a, "coordinador").await;
    let tecnico = login(&base_a, "tecnico1").await;
    let browser = Browser::new().await;
    let endpoint = push.endpoint("phone");
    let subscribed = tecnico
        .post("/api/push/subscriptions", &browser.subscription(&endpoint))
        .await;
    assert_eq!(subscribed.status, 201, "{}", subscribed.body);
    let me = user_id(&coordinator, "tecnico", "tecnico1").await;
    assigned_case(&official, &coordinator, &me, "El monitor parpadea.").await;
    push.wait("phone", 1).await;

    let (_second, base_b) = campo_tests::spawn_campo(&db, &[], &[]).await.unwrap();
    let official = login(&base_b, "mlopez").await;
    let coordinator = login(&base_b, "coordinador").await;
    let (_, number) = assigned_case(&official, &coordinator, &me, "El mouse no responde.").await;
    let received = push.wait("phone", 2).await;
    let key = server_key(&coordinator).await;
    let opened = browser.open(&received[1], &endpoint, &key).await;
    assert_eq!(
        opened["message"]["number"],
        number.as_str(),
        "one key on both replicas"
    );
    assert_eq!(
        push.received("phone").len(),
        2,
        "each assignment pushed once"
    );
}
