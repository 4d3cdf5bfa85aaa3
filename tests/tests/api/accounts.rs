use campo_tests::{ADMIN_PASSWORD, Backend, TestApp, TestDb, both_backends, run_cli};
use serde_json::json;
use sqlx::Connection;

both_backends!(cli_user_logs_in_until_disabled);
async fn cli_user_logs_in_until_disabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let made = run_cli(
        &app.db,
        &[
            "user",
            "add",
            "DRuiz",
            "--role",
            "tecnico",
            "--name",
            "Diana Ruiz",
            "--email",
            "druiz@gob.gov.co",
        ],
        Some("una clave larga"),
    )
    .await
    .unwrap();
    assert!(made.success, "{}", made.stderr);
    assert!(made.stdout.contains("druiz"), "{}", made.stdout);

    let tecnico = app.login("druiz", "una clave larga").await;
    let me = tecnico.get("/api/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["role"], "tecnico");
    assert_eq!(me.body["full_name"], "Diana Ruiz");
    let id = me.body["id"].as_str().unwrap().to_owned();

    let admin = app.admin().await;
    let disabled = admin
        .patch(&format!("/api/users/{id}"), &json!({"active": false}))
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.body["active"], false);

    let after = tecnico.get("/api/me").await;
    assert_eq!(after.status, 401);
    assert_eq!(after.error_code(), "no_autenticado");
    let again = app
        .anonymous()
        .post(
            "/api/login",
            &json!({"username": "druiz", "password": "una clave larga"}),
        )
        .await;
    assert_eq!(again.status, 401, "a disabled user cannot log in");

    // The same username cannot be taken twice, from the CLI either.
    let twice = run_cli(
        &app.db,
        &[
            "user", "add", "druiz", "--role", "tecnico", "--name", "Otra",
        ],
        Some("otra clave 123"),
    )
    .await
    .unwrap();
    assert!(!twice.success);
    assert!(twice.stderr.contains("ya existe"), "{}", twice.stderr);
}

both_backends!(wrong_passwords_are_refused_then_slowed);
async fn wrong_passwords_are_refused_then_slowed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let made = admin
        .post("/api/users", &json!({"username": "otro", "full_name": "Otro Usuario", "role": "tecnico", "password": "clave del otro"}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let client = app.anonymous();
    let wrong = json!({"username": "admin", "password": "no es la clave"});
    let first = client.post("/api/login", &wrong).await;
    assert_eq!(first.status, 401);
    assert_eq!(
        first.body["error"]["message"],
        "Usuario o contraseña incorrectos."
    );
    let unknown = client
        .post(
            "/api/login",
            &json!({"username": "nadie", "password": "no es la clave"}),
        )
        .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.body, first.body,
        "unknown users and wrong passwords look the same"
    );

    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(client.post("/api/login", &wrong).await);
    }
    let limited = statuses
        .iter()
        .find(|r| r.status == 429)
        .expect("a burst of wrong passwords gets 429");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(
        limited.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Espere")
    );

    // Even the right password waits out the delay, so guessing gains nothing from it.
    let right = json!({"username": "admin", "password": ADMIN_PASSWORD});
    assert_eq!(client.post("/api/login", &right).await.status, 429);
    // Another account keeps working: the delay is per account (and this address is far from
    // its own, larger budget).
    app.login("otro", "clave del otro").await;
}

both_backends!(sessions_are_server_side);
async fn sessions_are_server_side(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.anonymous();
    let login = client
        .post(
            "/api/login",
            &json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    let cookie = login.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("campo_sesion="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("campo_sesion=")
        .to_owned();
    assert_eq!(token.len(), 64);

    // A new login gets a new token.
    let second = app
        .anonymous()
        .post(
            "/api/login",
            &json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_ne!(second.header("set-cookie").unwrap(), cookie);

    // The token works as a plain cookie from another client, until logout.
    let replay = || {
        client
            .http()
            .get(client.url("/api/me"))
            .header("cookie", format!("campo_sesion={token}"))
    };
    let stranger = app.anonymous();
    assert_eq!(stranger.send(replay()).await.status, 200);
    let logout = client.post("/api/logout", &json!({})).await;
    assert_eq!(logout.status, 204);
    assert_eq!(stranger.send(replay()).await.status, 401);
    assert_eq!(client.get("/api/me").await.status, 401);
}

both_backends!(coordinators_administer_users);
async fn coordinators_administer_users(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    admin
        .post(
            "/api/dependencias",
            &json!({"code": "salud", "name": "Secretaría de Salud"}),
        )
        .await;
    let created = admin
        .post(
            "/api/users",
            &json!({"username": "ltorres", "full_name": "Luz Torres", "role": "funcionario",
                    "password": "clave de luz", "dependencia": "SALUD", "email": "LTorres@Salud.gov.co"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["dependencia"], "SALUD");
    assert_eq!(created.body["email"], "ltorres@salud.gov.co");
    let id = created.body["id"].as_str().unwrap();

    let funcionario = app.login("ltorres", "clave de luz").await;
    // An official cannot administer accounts.
    let forbidden = funcionario.get("/api/users").await;
    assert_eq!(forbidden.status, 403);
    assert_eq!(
        forbidden.body["error"]["message"],
        "Su rol no permite realizar esta acción."
    );
    let forbidden = funcionario
        .post("/api/users", &json!({"username": "x1x", "full_name": "X", "role": "coordinador", "password": "12345678"}))
        .await;
    assert_eq!(forbidden.status, 403);

    // Edit: new name and role, clear the e-mail; a new password ends the user's sessions.
    let edited = admin
        .patch(
            &format!("/api/users/{id}"),
            &json!({"full_name": "Luz Stella Torres", "role": "tecnico", "email": null}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["role"], "tecnico");
    assert!(edited.body["email"].is_null());
    assert_eq!(funcionario.get("/api/me").await.body["role"], "tecnico");
    let reset = admin
        .patch(
            &format!("/api/users/{id}"),
            &json!({"password": "otra clave nueva"}),
        )
        .await;
    assert_eq!(reset.status, 200);
    assert_eq!(funcionario.get("/api/me").await.status, 401);
    app.login("ltorres", "otra clave nueva").await;

    let techs = admin.get("/api/users?role=tecnico").await.body;
    assert_eq!(techs.as_array().unwrap().len(), 1);
    assert_eq!(admin.get("/api/users?role=jefe").await.status, 422);

    // The last active coordinator cannot disable or demote itself.
    let me = admin.get("/api/me").await.body;
    let admin_id = me["id"].as_str().unwrap();
    let refused = admin
        .patch(&format!("/api/users/{admin_id}"), &json!({"active": false}))
        .await;
    assert_eq!(refused.status, 409);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("único coordinador")
    );
    assert_eq!(admin.get("/api/me").await.status, 200);
    let missing = admin
        .patch("/api/users/no-existe", &json!({"active": false}))
        .await;
    assert_eq!(missing.status, 404);
}

/// Runs one statement on the test's database, as time passing would change it.
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

both_backends!(expired_sessions_end);
async fn expired_sessions_end(backend: Backend) {
    let db = TestDb::new(backend).await;
    let made = run_cli(
        &db,
        &["user", "add", "ana", "--role", "tecnico", "--name", "Ana"],
        Some("clave de ana"),
    )
    .await
    .unwrap();
    assert!(made.success, "{}", made.stderr);
    let app = TestApp::start_with(db, &[]).await.unwrap();
    // A session unused for longer than CAMPO_SESSION_IDLE_MINUTES (twelve hours by default)…
    let idle = app.login("ana", "clave de ana").await;
    assert_eq!(idle.get("/api/me").await.status, 200);
    execute(
        &app.db,
        "update sessions set last_seen_at = last_seen_at - 13 * 3600 * 1000",
    )
    .await;
    let me = idle.get("/api/me").await;
    assert_eq!(me.status, 401);
    assert_eq!(me.error_code(), "no_autenticado");
    // …and one older than CAMPO_SESSION_MAX_DAYS, however often used, have ended.
    let old = app.login("ana", "clave de ana").await;
    assert_eq!(old.get("/api/me").await.status, 200);
    execute(&app.db, "update sessions set expires_at = created_at").await;
    let me = old.get("/api/me").await;
    assert_eq!(me.status, 401);
    assert_eq!(me.error_code(), "no_autenticado");
}
