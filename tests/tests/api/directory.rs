//! Directory login against a real OpenLDAP (`campo_tests::ldap::Slapd`, loaded from
//! `tests/ldap/entidad.ldif`, TLS required): people log in with their directory password and land
//! in the role of their group, with their name, e-mail and dependencia; someone deleted from the
//! directory loses their session at the next check; a directory that is down or hangs is told in
//! plain Spanish while the local coordinator still logs in.

use std::time::{Duration, Instant};

use campo_tests::ldap::{BASE_DN, Slapd, entidad_ldif};
use campo_tests::{ADMIN_PASSWORD, Backend, Client, TestDb, both_backends, spawn_campo};
use serde_json::json;

/// Campo with its local coordinator `admin`, logging people in with `slapd`.
struct Campo {
    base: String,
    _child: tokio::process::Child,
    _db: TestDb,
}

impl Campo {
    async fn start(backend: Backend, slapd: &Slapd, extra: &[(&str, &str)]) -> Self {
        let db = TestDb::new(backend).await;
        campo_tests::add_admin(&db).await;
        let mut env = slapd.campo_env();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let (child, base) = spawn_campo(&db, &[], &env).await.unwrap();
        Self {
            base,
            _child: child,
            _db: db,
        }
    }

    fn client(&self) -> Client {
        Client::new(self.base.clone())
    }

    async fn login(&self, username: &str, password: &str) -> (Client, campo_tests::Reply) {
        let client = self.client();
        let reply = client
            .post(
                "/api/login",
                &json!({"username": username, "password": password}),
            )
            .await;
        (client, reply)
    }
}

both_backends!(people_land_in_the_role_of_their_directory_group);
async fn people_land_in_the_role_of_their_directory_group(backend: Backend) {
    let slapd = Slapd::start(&entidad_ldif()).await;
    let app = Campo::start(backend, &slapd, &[]).await;
    let (admin, reply) = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let made = admin
        .post(
            "/api/dependencias",
            &json!({"code": "HAC", "name": "Secretaría de Hacienda"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);

    // Nobody was created by hand: each one's first login makes the account.
    let expected = [
        (
            "lrodriguez",
            "clave-lucia-2026",
            "coordinador",
            "Lucía Rodríguez",
            Some("lucia.rodriguez@gobernacion.gov.co"),
            None,
        ),
        (
            "TPerez",
            "clave-tomas-2026",
            "tecnico",
            "Tomás Pérez",
            Some("tomas.perez@gobernacion.gov.co"),
            None,
        ),
        (
            "soporteext",
            "clave-externo-2026",
            "contratista",
            "Soporte Externo SAS",
            Some("mesa@soporte-externo.com.co"),
            None,
        ),
        (
            "mgomez",
            "clave-maria-2026",
            "funcionario",
            "María Gómez",
            Some("maria.gomez@gobernacion.gov.co"),
            Some("HAC"),
        ),
        // In no group, no e-mail, and a dependencia Campo does not know: a funcionario without
        // one.
        (
            "jvelez",
            "clave-julian-2026",
            "funcionario",
            "Julián Vélez",
            None,
            None,
        ),
    ];
    for (username, password, role, name, email, dependencia) in expected {
        let (client, reply) = app.login(username, password).await;
        assert_eq!(reply.status, 200, "{username}: {}", reply.body);
        let me = client.get("/api/me").await;
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.body["username"], username.to_lowercase());
        assert_eq!(me.body["role"], role, "{username}");
        assert_eq!(me.body["full_name"], name);
        assert_eq!(me.body["email"], json!(email), "{username}");
        assert_eq!(me.body["dependencia"], json!(dependencia), "{username}");
        assert_eq!(me.body["directory"], true);
    }

    // The coordinator from the directory works as one: it sees everybody.
    let (lucia, _) = app.login("lrodriguez", "clave-lucia-2026").await;
    let users = lucia.get("/api/users").await;
    assert_eq!(users.status, 200, "{}", users.body);
    assert_eq!(users.body.as_array().unwrap().len(), 6, "{}", users.body);
    // A technician does not.
    let (tomas, _) = app.login("tperez", "clave-tomas-2026").await;
    assert_eq!(tomas.get("/api/users").await.status, 403);

    // A wrong password, an unknown person, an empty password: refused alike.
    for (username, password) in [
        ("lrodriguez", "clave-tomas-2026"),
        ("lrodriguez", "clave-lucia-2025"),
        ("nadie", "clave-lucia-2026"),
    ] {
        let (_, reply) = app.login(username, password).await;
        assert_eq!(reply.status, 401, "{username}: {}", reply.body);
        assert_eq!(reply.error_code(), "credenciales_incorrectas");
    }
    let (_, reply) = app.login("lrodriguez", "").await;
    assert_ne!(reply.status, 200, "{}", reply.body);
    // An LDAP injection matches nobody, and creates no account.
    for username in ["*)(uid=*", "*", "lrodrigue*", "lrodriguez)(|(uid=*"] {
        let (_, reply) = app.login(username, "clave-lucia-2026").await;
        assert_eq!(reply.status, 401, "{username}: {}", reply.body);
    }
    let users = admin.get("/api/users").await;
    assert_eq!(users.body.as_array().unwrap().len(), 6, "{}", users.body);

    // The directory's password is the only one: Campo does not set another.
    let id = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "mgomez")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = admin
        .patch(
            &format!("/api/users/{id}"),
            &json!({"password": "otra clave de maria"}),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("directorio"),
        "{}",
        refused.body
    );
    // A coordinator who disables a directory account in Campo keeps it out.
    let disabled = admin
        .patch(&format!("/api/users/{id}"), &json!({"active": false}))
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    let (_, reply) = app.login("mgomez", "clave-maria-2026").await;
    assert_eq!(reply.status, 401, "{}", reply.body);

    // Guessing a directory password meets the same throttle as a local one: after a few
    // failures from this address, the account is refused here for a while (429).
    let mut statuses = Vec::new();
    for i in 0..8 {
        let (_, reply) = app.login("jvelez", &format!("adivinanza {i}")).await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses[0], 401, "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
}

both_backends!(someone_deleted_from_the_directory_loses_their_session);
async fn someone_deleted_from_the_directory_loses_their_session(backend: Backend) {
    let slapd = Slapd::start(&entidad_ldif()).await;
    let app = Campo::start(backend, &slapd, &[("CAMPO_LDAP_CHECK_SECS", "1")]).await;
    let (tomas, reply) = app.login("tperez", "clave-tomas-2026").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let (maria, reply) = app.login("mgomez", "clave-maria-2026").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(tomas.get("/api/me").await.status, 200);

    // Tomás leaves the office: the directory's administrator deletes him.
    slapd
        .delete(&format!("uid=tperez,ou=personas,{BASE_DN}"))
        .await;
    let started = Instant::now();
    loop {
        let me = tomas.get("/api/me").await;
        if me.status == 401 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Tomás still has a session: {}",
            me.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // He cannot come back in, and María, still in the directory, keeps working.
    let (_, reply) = app.login("tperez", "clave-tomas-2026").await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(maria.get("/api/me").await.status, 200);
}

both_backends!(a_directory_that_is_down_or_hangs_is_told_and_local_accounts_go_on);
async fn a_directory_that_is_down_or_hangs_is_told_and_local_accounts_go_on(backend: Backend) {
    let mut slapd = Slapd::start(&entidad_ldif()).await;
    let app = Campo::start(
        backend,
        &slapd,
        &[
            ("CAMPO_LDAP_TIMEOUT_SECS", "2"),
            ("CAMPO_LDAP_CHECK_SECS", "1"),
        ],
    )
    .await;
    let (maria, reply) = app.login("mgomez", "clave-maria-2026").await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let told = |reply: &campo_tests::Reply| {
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert_eq!(reply.error_code(), "directorio_no_disponible");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("El directorio de la entidad no responde;"),
            "{message}"
        );
    };

    // The directory hangs (it accepts connections and never answers).
    slapd.freeze();
    let started = Instant::now();
    let (_, reply) = app.login("mgomez", "clave-maria-2026").await;
    told(&reply);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the login waited {:?}",
        started.elapsed()
    );
    let (_, reply) = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // A check that cannot reach the directory ends nobody's session.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(maria.get("/api/me").await.status, 200);
    slapd.resume();

    // The directory is down.
    slapd.stop().await;
    let (_, reply) = app.login("tperez", "clave-tomas-2026").await;
    told(&reply);
    let (_, reply) = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(maria.get("/api/me").await.status, 200);

    // Back up: directory logins work again.
    slapd.restart().await;
    let (_, reply) = app.login("tperez", "clave-tomas-2026").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}
