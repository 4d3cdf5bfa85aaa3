//! Integration tokens and the intranet's intake (`POST /api/intake`), and the OpenAPI document.

use std::time::Duration;

use campo_tests::{Backend, Client, DEMO_PASSWORD, Reply, TestApp, both_backends};
use serde_json::{Value, json};

/// A coordinator's new token with `scopes`; returns (id, secret).
async fn new_token(coordinator: &Client, name: &str, scopes: &[&str]) -> (String, String) {
    let made = coordinator
        .post("/api/tokens", &json!({"name": name, "scopes": scopes}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    (
        made.body["id"].as_str().unwrap().to_owned(),
        made.body["token"].as_str().unwrap().to_owned(),
    )
}

/// `POST /api/intake` with a bearer token (no session).
async fn intake(app: &TestApp, token: &str, body: &Value) -> Reply {
    let client = app.anonymous();
    client
        .send(
            client
                .http()
                .post(client.url("/api/intake"))
                .bearer_auth(token)
                .json(body),
        )
        .await
}

fn request(by: (&str, &str), external_ref: Option<&str>) -> Value {
    let mut body = json!({
        "channel": "intranet",
        "description": "El computador no enciende desde esta mañana.",
        "category": "Computador",
        "location": "Edificio central, piso 3, oficina 301",
        "phone_extension": "4512",
    });
    body[by.0] = json!(by.1);
    if let Some(r) = external_ref {
        body["external_ref"] = json!(r);
    }
    body
}

fn message(reply: &Reply) -> String {
    reply.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

both_backends!(token_lifecycle);
/// A coordinator creates a token (its secret shown once), the intranet uses it, its last use is
/// recorded, a token without the scope is refused with 403, and once revoked it gets a 401 whose
/// Spanish message says what to do.
async fn token_lifecycle(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let official = app.login("mlopez", DEMO_PASSWORD).await;

    let refused = official
        .post("/api/tokens", &json!({"name": "Mío", "scopes": ["intake"]}))
        .await;
    assert_eq!(refused.status, 403, "only coordinators make tokens");
    let bad = coordinator
        .post("/api/tokens", &json!({"name": " ", "scopes": ["admin"]}))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let fields: Vec<&str> = bad.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "scopes"]);

    let (id, secret) = new_token(&coordinator, "Intranet", &["intake"]).await;
    assert!(secret.starts_with("campo_"));
    let listed = coordinator.get("/api/tokens").await;
    assert_eq!(listed.status, 200);
    let token = &listed.body["tokens"][0];
    assert_eq!(token["id"], id.as_str());
    assert_eq!(token["name"], "Intranet");
    assert_eq!(token["scopes"], json!(["intake"]));
    assert_eq!(token["created_by"]["name"], "Laura Méndez Rojas");
    assert_eq!(token["status"], "activo");
    assert!(token["last_used_at"].is_null(), "never used yet");
    assert!(
        !listed.body.to_string().contains(&secret[6..]),
        "the list never shows the secret"
    );

    let created = intake(&app, &secret, &request(("username", "mlopez"), None)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    // The history says which token delivered it, under its creator's account.
    let history = coordinator
        .get(&format!(
            "/api/tickets/{}/history",
            created.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    assert_eq!(history.body["changes"][0]["device"], format!("token:{id}"));
    assert_eq!(history.body["changes"][0]["username"], "coordinador");
    let used = coordinator.get("/api/tokens").await;
    assert!(used.body["tokens"][0]["last_used_at"].as_i64().unwrap() > 0);

    // A token for the reports cannot register requests, and a token opens no other door.
    let (_, reader) = new_token(&coordinator, "Tablero BI", &["reports:read"]).await;
    let wrong = intake(&app, &reader, &request(("username", "mlopez"), None)).await;
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    assert!(message(&wrong).contains("«intake»"), "{}", wrong.body);
    let client = app.anonymous();
    let report = client
        .send(
            client
                .http()
                .get(client.url("/api/reports/monthly?month=2026-01"))
                .bearer_auth(&reader),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    let users = client
        .send(
            client
                .http()
                .get(client.url("/api/users"))
                .bearer_auth(&secret),
        )
        .await;
    assert_eq!(users.status, 401, "a token is not a session");

    // Revoked: 401 with a Spanish message, and the list says so.
    let revoked = coordinator
        .send(
            coordinator
                .http()
                .delete(coordinator.url(&format!("/api/tokens/{id}"))),
        )
        .await;
    assert_eq!(revoked.status, 204);
    let after = intake(&app, &secret, &request(("username", "mlopez"), None)).await;
    assert_eq!(after.status, 401, "{}", after.body);
    assert_eq!(after.error_code(), "token_invalido");
    assert!(message(&after).contains("revocado"), "{}", after.body);
    assert!(after.header("www-authenticate").is_some());
    let listed = coordinator.get("/api/tokens").await;
    let row = listed.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["status"], "revocado");

    // Unknown, missing and expired tokens.
    let forged = format!("campo_{}", "0".repeat(64));
    assert_eq!(
        intake(&app, &forged, &request(("username", "mlopez"), None))
            .await
            .status,
        401
    );
    let none = app
        .anonymous()
        .post("/api/intake", &request(("username", "mlopez"), None))
        .await;
    assert_eq!(none.status, 401);
    assert!(message(&none).contains("Authorization"), "{}", none.body);
    let soon = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 1_000;
    let expiring = coordinator
        .post(
            "/api/tokens",
            &json!({"name": "Breve", "scopes": ["intake"], "expires_at": soon}),
        )
        .await;
    assert_eq!(expiring.status, 201, "{}", expiring.body);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let expired = intake(
        &app,
        expiring.body["token"].as_str().unwrap(),
        &request(("username", "mlopez"), None),
    )
    .await;
    assert_eq!(expired.status, 401);
    assert!(message(&expired).contains("venció"), "{}", expired.body);
}

both_backends!(intake_by_username_email_and_document);
/// The intranet names the official by username, e-mail or document number; the case is theirs,
/// recorded with its channel, and appears on the coordinators' board, live.
async fn intake_by_username_email_and_document(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let (_, secret) = new_token(&coordinator, "Intranet", &["intake"]).await;

    // The board's live stream, open before the request arrives.
    let mut stream = coordinator
        .http()
        .get(coordinator.url("/api/board/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);

    let by_name = intake(&app, &secret, &request(("username", "mlopez"), None)).await;
    assert_eq!(by_name.status, 201, "{}", by_name.body);
    let ticket = &by_name.body["ticket"];
    assert_eq!(ticket["requester_name"], "María Fernanda López");
    assert_eq!(ticket["channel"], "intranet");
    assert_eq!(ticket["dependencia"], "HACIENDA");
    assert_eq!(ticket["state"], "registrada");
    let id = by_name.body["id"].as_str().unwrap().to_owned();

    let live = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = String::new();
        loop {
            let chunk = stream.chunk().await.unwrap().expect("stream open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&id) {
                return seen;
            }
        }
    })
    .await
    .expect("the new case reaches the board's stream");
    assert!(live.contains("event: ticket"), "{live}");

    let board = coordinator.get("/api/board").await;
    let on_board = board.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .expect("the case is on the board")
        .clone();
    assert_eq!(on_board["channel"], "intranet");
    assert_eq!(on_board["requester_name"], "María Fernanda López");

    // The official sees it among their requests, as if typed in Campo.
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let mine = official.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(mine.status, 200, "{}", mine.body);

    let by_mail = intake(
        &app,
        &secret,
        &json!({
            "email": "MLOPEZ@demo.gov.co",
            "channel": "glpi",
            "description": "La impresora no imprime.",
            "category": "Impresora",
            "location": "Piso 2",
            "equipment": [],
        }),
    )
    .await;
    assert_eq!(by_mail.status, 201, "{}", by_mail.body);
    assert_eq!(by_mail.body["ticket"]["channel"], "glpi");
    assert_eq!(
        by_mail.body["ticket"]["requester_id"],
        ticket["requester_id"]
    );

    // A coordinator records the document number; the intranet may then use it.
    let user_id = ticket["requester_id"].as_str().unwrap();
    let edited = coordinator
        .patch(
            &format!("/api/users/{user_id}"),
            &json!({"document": "52.123.456"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["document"], "52123456");
    let by_document = intake(&app, &secret, &request(("document", "52123456"), None)).await;
    assert_eq!(by_document.status, 201, "{}", by_document.body);
    assert_eq!(
        by_document.body["ticket"]["requester_id"],
        ticket["requester_id"]
    );
}

both_backends!(intake_refuses_bad_input);
/// An unknown official is a 422 naming the field; huge fields, unknown fields and a missing
/// official are refused; none of them creates a case.
async fn intake_refuses_bad_input(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let (_, secret) = new_token(&coordinator, "Intranet", &["intake"]).await;
    let before = coordinator.get("/api/board").await.body["tickets"]
        .as_array()
        .unwrap()
        .len();

    let unknown = intake(
        &app,
        &secret,
        &request(("email", "nadie@demo.gov.co"), None),
    )
    .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(unknown.body["error"]["fields"][0]["field"], "email");
    assert!(
        unknown.body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("No hay un funcionario activo"),
        "{}",
        unknown.body
    );
    let unknown = intake(&app, &secret, &request(("document", "999999"), None)).await;
    assert_eq!(unknown.body["error"]["fields"][0]["field"], "document");

    let mut nobody = request(("username", "mlopez"), None);
    nobody.as_object_mut().unwrap().remove("username");
    let nobody = intake(&app, &secret, &nobody).await;
    assert_eq!(nobody.status, 422, "{}", nobody.body);

    let mut huge = request(("username", "mlopez"), None);
    huge["description"] = json!("x".repeat(5_000));
    huge["external_ref"] = json!("r".repeat(300));
    let huge = intake(&app, &secret, &huge).await;
    assert_eq!(huge.status, 422, "{}", huge.body);
    let fields: Vec<&str> = huge.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"description") && fields.contains(&"external_ref"));

    let mut extra = request(("username", "mlopez"), None);
    extra["priority"] = json!("alta");
    let extra = intake(&app, &secret, &extra).await;
    assert_eq!(extra.status, 400, "{}", extra.body);
    assert!(message(&extra).contains("«priority»"), "{}", extra.body);

    let mut email_channel = request(("username", "mlopez"), None);
    email_channel["channel"] = json!("email");
    assert_eq!(intake(&app, &secret, &email_channel).await.status, 400);

    let giant = json!({"username": "mlopez", "description": "x".repeat(400_000)});
    assert_eq!(intake(&app, &secret, &giant).await.status, 413);

    let after = coordinator.get("/api/board").await.body["tickets"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before, "no case was created");
}

both_backends!(intake_is_idempotent_by_external_ref);
/// The same external reference twice is the same case (200 the second time), even when two calls
/// arrive at once; the same reference for another official is refused, never answered with the
/// first official's case; on another channel it is another case.
async fn intake_is_idempotent_by_external_ref(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let (_, secret) = new_token(&coordinator, "Intranet", &["intake"]).await;

    let first = intake(&app, &secret, &request(("username", "mlopez"), Some("F-1"))).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["ticket"]["external_ref"], "F-1");
    let again = intake(&app, &secret, &request(("username", "mlopez"), Some("F-1"))).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["number"], first.body["number"]);

    // Another official with the same reference: refused, and their data is not shown.
    let other = intake(&app, &secret, &request(("username", "cperez"), Some("F-1"))).await;
    assert_eq!(other.status, 409, "{}", other.body);
    assert!(
        message(&other).contains("otro funcionario"),
        "{}",
        other.body
    );
    assert!(!other.body.to_string().contains("María"));

    // The same reference on GLPI is another case.
    let mut glpi = request(("username", "mlopez"), Some("F-1"));
    glpi["channel"] = json!("glpi");
    let glpi = intake(&app, &secret, &glpi).await;
    assert_eq!(glpi.status, 201, "{}", glpi.body);
    assert_ne!(glpi.body["id"], first.body["id"]);

    // Eight concurrent calls with a new reference: one case.
    let calls = (0..8).map(|_| {
        let body = request(("username", "mlopez"), Some("F-2"));
        let app = &app;
        let secret = &secret;
        async move { intake(app, secret, &body).await }
    });
    let replies = futures_util::future::join_all(calls).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "{replies:?}");
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 201));
    let ids: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| r.body["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "every call answers with the same case");
    let listed = coordinator.get("/api/tickets?channel=intranet").await;
    let with_ref = listed.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["external_ref"] == "F-2")
        .count();
    assert_eq!(with_ref, 1);
}

both_backends!(openapi_document_describes_the_integration);
/// `GET /api/openapi.json` is an OpenAPI 3 document naming the integration's paths, with the
/// intake's request schema as the code reads it.
async fn openapi_document_describes_the_integration(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app.anonymous().get("/api/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/tokens",
        "/api/tokens/{id}",
        "/api/intake",
        "/api/tickets",
        "/api/tickets/{id}",
        "/api/tickets/{id}/actions",
        "/api/equipment/{code}",
        "/api/reports/monthly",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} is described");
    }
    let intake = &doc.body["components"]["schemas"]["IntakeRequest"];
    let required: Vec<&str> = intake["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in ["channel", "description", "category", "location"] {
        assert!(required.contains(&field), "{field} required: {intake}");
    }
    assert_eq!(intake["additionalProperties"], false, "{intake}");
    for field in ["username", "email", "document", "external_ref", "equipment"] {
        assert!(intake["properties"][field].is_object(), "{field}: {intake}");
    }
    assert!(doc.body["components"]["securitySchemes"]["token"].is_object());
}

both_backends!(openapi_document_passes_a_validator);
/// The document passes openapi-spec-validator (`make test` installs it with pip), the reference
/// validator of the OpenAPI 3.0 and 3.1 schemas.
async fn openapi_document_passes_a_validator(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.anonymous();
    let text = client
        .http()
        .get(client.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dir = campo_tests::TempDir::new();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, text).unwrap();
    let checked = tokio::process::Command::new("python3")
        .args([
            "-c",
            "import sys, json; \
             from openapi_spec_validator import validate; \
             validate(json.load(open(sys.argv[1]))); print('valid')",
        ])
        .arg(&path)
        .output()
        .await
        .expect("python3 runs");
    assert!(
        checked.status.success(),
        "the validator refused /api/openapi.json: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
}
