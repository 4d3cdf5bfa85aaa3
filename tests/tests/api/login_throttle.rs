//! Login throttling as an attacker and as the account's owner meet it: guesses from rotating
//! addresses slow an account down but never keep its owner out; a forged `X-Forwarded-For` does
//! not give an attacker new addresses.

use std::time::{Duration, Instant};

use campo_tests::{ADMIN_PASSWORD, Backend, Client, Reply, TestDb, both_backends, spawn_campo};
use futures_util::future::join_all;
use serde_json::json;

/// A running Campo with its coordinator `admin` (the process ends when this is dropped).
struct Campo {
    base: String,
    _child: tokio::process::Child,
    _db: TestDb,
}

/// Starts Campo with extra environment, as an operator configures it.
async fn spawn_with(backend: Backend, env: &[(&str, &str)]) -> Campo {
    let db = TestDb::new(backend).await;
    campo_tests::add_admin(&db).await;
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let (child, base) = spawn_campo(&db, &[], &env).await.unwrap();
    Campo {
        base,
        _child: child,
        _db: db,
    }
}

/// A login for `username` that the proxy in front of Campo says came from `address`.
async fn login_from(app: &Campo, address: &str, username: &str, password: &str) -> Reply {
    let client = Client::new(app.base.clone());
    let request = client
        .http()
        .post(client.url("/api/login"))
        .header("x-forwarded-for", address)
        .json(&json!({"username": username, "password": password}));
    client.send(request).await
}

both_backends!(guesses_from_rotating_addresses_do_not_lock_the_owner_out);
async fn guesses_from_rotating_addresses_do_not_lock_the_owner_out(backend: Backend) {
    // Campo behind a reverse proxy on this machine, which forwards every client's address.
    let app = spawn_with(backend, &[("CAMPO_TRUSTED_PROXIES", "127.0.0.1")]).await;
    // Sixty guesses at the coordinator's password, each from another address (a botnet).
    let guesses = join_all((0..60).map(|i| {
        let app = &app;
        async move {
            login_from(
                app,
                &format!("203.0.113.{i}"),
                "admin",
                &format!("adivinanza {i}"),
            )
            .await
        }
    }))
    .await;
    // The owner, at their desk, types a wrong password once and then the right one: they are in
    // within seconds, while their account is under attack.
    let started = Instant::now();
    let typo = login_from(&app, "198.51.100.7", "admin", "admin-prueba-12").await;
    assert_eq!(typo.status, 401, "{}", typo.body);
    let owner = login_from(&app, "198.51.100.7", "admin", ADMIN_PASSWORD).await;
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the owner waited {:?}",
        started.elapsed()
    );
    assert_eq!(owner.body["username"], "admin");
    // Each guess is answered (slowly), none is refused: refusing would lock the owner out too.
    for guess in &guesses {
        assert_eq!(guess.status, 401, "{}", guess.body);
    }

    // One address that keeps guessing at one account is refused, and the proxy's other clients
    // are not: the proxy's own address is not what is counted.
    let mut refused = None;
    for i in 0..10 {
        let reply = login_from(&app, "203.0.113.200", "admin", &format!("otra {i}")).await;
        if reply.status == 429 {
            refused = Some(reply);
            break;
        }
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    let refused = refused.expect("one address guessing one account is refused");
    assert!(refused.header("retry-after").is_some());
    let other = login_from(&app, "198.51.100.8", "admin", ADMIN_PASSWORD).await;
    assert_eq!(other.status, 200, "{}", other.body);
}

both_backends!(a_forged_forwarded_for_does_not_dodge_the_address_throttle);
async fn a_forged_forwarded_for_does_not_dodge_the_address_throttle(backend: Backend) {
    // No trusted proxy (the default): the header is the client's own word, and ignored.
    let app = spawn_with(backend, &[]).await;
    let mut first_refusal = None;
    for i in 0..30 {
        // Another made-up address and another account each time: only the per-address count
        // can stop this, and it must count the real peer.
        let reply = login_from(
            &app,
            &format!("203.0.113.{i}"),
            &format!("usuario{i}"),
            "adivinanza",
        )
        .await;
        if reply.status == 429 {
            first_refusal = Some((i, reply));
            break;
        }
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    let (attempt, refused) = first_refusal.expect("the address is throttled");
    assert!((20..=22).contains(&attempt), "refused at attempt {attempt}");
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=4).contains(&retry), "Retry-After {retry}");
    let wait = if retry == 1 {
        "1 segundo".to_owned()
    } else {
        format!("{retry} segundos")
    };
    assert_eq!(refused.error_code(), "demasiados_intentos");
    assert_eq!(
        refused.body["error"]["message"],
        format!(
            "Demasiados intentos fallidos desde este equipo. Espere {wait} y vuelva a intentarlo; \
             si olvidó su contraseña, pida a un coordinador que se la cambie."
        )
    );
}

#[tokio::test]
async fn a_bad_trusted_proxy_list_stops_the_start_with_its_reason() {
    let db = TestDb::new(Backend::Sqlite).await;
    let run = tokio::process::Command::new(campo_tests::campo_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CAMPO_DATA_DIR", db.dir.path())
        .env("DATABASE_URL", &db.url)
        .env("CAMPO_TRUSTED_PROXIES", "10.0.0.1, proxy.interno")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("campo started (and kept serving) with a proxy list it cannot read")
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "CAMPO_TRUSTED_PROXIES (--trusted-proxies): «proxy.interno» no es una dirección IP ni \
             un rango CIDR"
        ),
        "{stderr}"
    );
}
