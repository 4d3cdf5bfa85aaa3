use campo_tests::{Backend, TestApp, both_backends};
use serde_json::json;

both_backends!(malformed_requests_get_clear_errors);
async fn malformed_requests_get_clear_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let http = admin.http();
    let users_before = admin.get("/api/users").await.body.as_array().unwrap().len();

    // Not JSON at all.
    let reply = admin
        .send(
            http.post(admin.url("/api/users"))
                .header("content-type", "application/json")
                .body("{\"username\": "),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), "solicitud_invalida");
    assert_eq!(
        reply.body["error"]["message"],
        "El cuerpo de la solicitud no es JSON válido."
    );

    // JSON without the content type.
    let reply = admin
        .send(http.post(admin.url("/api/users")).body("{}"))
        .await;
    assert_eq!(reply.status, 415);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JSON")
    );

    // Wrong types, missing and unknown fields name the field.
    let reply = admin
        .post(
            "/api/users",
            &json!({"username": 5, "full_name": "A B", "role": "tecnico", "password": "12345678"}),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("username"),
        "{}",
        reply.body
    );
    let reply = admin
        .post(
            "/api/users",
            &json!({"full_name": "A B", "role": "tecnico", "password": "12345678"}),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("username"),
        "{}",
        reply.body
    );
    let reply = admin
        .post("/api/users", &json!({"username": "abc", "full_name": "A B", "role": "tecnico", "password": "12345678", "is_admin": true}))
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is_admin"),
        "{}",
        reply.body
    );

    // Every invalid field is reported at once, in Spanish.
    let reply = admin
        .post(
            "/api/users",
            &json!({"username": "a", "full_name": "", "role": "jefe", "password": "corta", "email": "no-es-correo", "dependencia": "??"}),
        )
        .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.error_code(), "datos_invalidos");
    let fields: Vec<&str> = reply.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "username",
            "full_name",
            "role",
            "password",
            "email",
            "dependencia"
        ]
    );
    let role_message = reply.body["error"]["fields"][2]["message"]
        .as_str()
        .unwrap();
    assert!(
        role_message.contains("coordinador"),
        "the message names the valid roles: {role_message}"
    );

    // Over-long values.
    let reply = admin
        .post("/api/users", &json!({"username": "largo", "full_name": "N".repeat(500), "role": "tecnico", "password": "x".repeat(200)}))
        .await;
    assert_eq!(reply.status, 422);

    // Unknown dependencia: refused, nothing written.
    let reply = admin
        .post("/api/users", &json!({"username": "sindep", "full_name": "Sin Dependencia", "role": "funcionario", "password": "12345678", "dependencia": "NOEXISTE"}))
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["error"]["fields"][0]["field"], "dependencia");

    // A body over the limit.
    let huge = json!({"username": "x".repeat(400_000), "full_name": "A", "role": "tecnico", "password": "12345678"});
    let reply = admin.post("/api/users", &huge).await;
    assert_eq!(reply.status, 413);

    // None of the refused requests wrote anything.
    let users_after = admin.get("/api/users").await.body.as_array().unwrap().len();
    assert_eq!(users_before, users_after);

    // Unknown paths answer in the same error shape.
    let reply = admin.get("/api/no-existe").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error_code(), "no_encontrado");
}

both_backends!(forged_and_missing_cookies_are_refused);
async fn forged_and_missing_cookies_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.anonymous();
    assert_eq!(client.get("/api/me").await.status, 401);
    for forged in [
        "campo_sesion=abc",
        &format!("campo_sesion={}", "0".repeat(64)),
        "campo_sesion=",
        "otra=1",
    ] {
        let reply = client
            .send(
                client
                    .http()
                    .get(client.url("/api/me"))
                    .header("cookie", forged),
            )
            .await;
        assert_eq!(reply.status, 401, "{forged}");
        assert_eq!(
            reply.body["error"]["message"],
            "Su sesión no es válida o ha vencido. Inicie sesión de nuevo."
        );
    }
    let reply = client
        .post("/api/login", &json!({"username": "", "password": ""}))
        .await;
    assert_eq!(reply.status, 422);
}

both_backends!(requests_from_other_sites_are_refused);
async fn requests_from_other_sites_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let body = json!({"code": "CULTURA", "name": "Secretaría de Cultura"});
    let evil = admin
        .send(
            admin
                .http()
                .post(admin.url("/api/dependencias"))
                .header("origin", "https://evil.example")
                .json(&body),
        )
        .await;
    assert_eq!(evil.status, 403);
    assert_eq!(evil.error_code(), "origen_no_permitido");
    let listed = admin.get("/api/dependencias").await.body;
    assert!(
        !listed
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "CULTURA")
    );

    let own_origin = app.base.clone();
    let ok = admin
        .send(
            admin
                .http()
                .post(admin.url("/api/dependencias"))
                .header("origin", own_origin)
                .json(&body),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let again = admin.post("/api/dependencias", &body).await;
    assert_eq!(again.status, 409);
}
