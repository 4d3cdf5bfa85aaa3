//! `campo doctor` as an operator runs it before a start: on a fresh install with a real mail
//! server (the SMTP sink) and a real mailbox (Dovecot) it says everything is ready; on a broken
//! one it lists every problem at once, with what to do, and fails, without changing anything.

use std::process::Output;

use campo_tests::dovecot::Dovecot;
use campo_tests::smtp::{SmtpSink, free_port};
use campo_tests::{Backend, TempDir, TestDb, both_backends, campo_bin, run_cli};
use sqlx::Connection;
use tokio::process::Command;

/// Runs `campo doctor --listen 127.0.0.1:0` on `db` with `env`.
async fn doctor(db: &TestDb, env: &[(&str, String)]) -> (bool, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(campo_bin())
        .args(["doctor", "--listen", "127.0.0.1:0"])
        .env("CAMPO_DATA_DIR", db.dir.path())
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .await
        .expect("run campo doctor");
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A built application: a directory with an `index.html`.
fn pwa_dir() -> TempDir {
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
    dir
}

both_backends!(a_fresh_install_is_ready);
async fn a_fresh_install_is_ready(backend: Backend) {
    let db = TestDb::new(backend).await;
    let pwa = pwa_dir();
    let sink_dir = TempDir::new();
    let smtp_port = free_port();
    let _sink = SmtpSink::start(smtp_port, sink_dir.path()).await;
    let imap = Dovecot::start().await;
    let env = [
        ("CAMPO_PWA_DIR", pwa.path().display().to_string()),
        (
            "CAMPO_PUBLIC_URL",
            "https://campo.gobernacion.gov.co".to_owned(),
        ),
        ("CAMPO_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
        ("CAMPO_SMTP_FROM", "Campo <campo@demo.gov.co>".to_owned()),
        ("CAMPO_IMAP_URL", imap.url()),
    ];
    let (ok, out, err) = doctor(&db, &env).await;
    assert!(ok, "{out}\n{err}");
    let fresh = match backend {
        Backend::Sqlite => "✔ Base de datos: SQLite: la base no existe aún; se creará al iniciar",
        Backend::Postgres => {
            "✔ Base de datos: PostgreSQL responde; está vacía y sus tablas se crearán al iniciar"
        }
    };
    assert!(out.contains(fresh), "{out}");
    assert!(out.contains("✔ Directorio de datos:"), "{out}");
    assert!(out.contains("✔ Aplicación web:"), "{out}");
    assert!(
        out.contains("✔ Correo saliente (SMTP): el servidor de correo acepta"),
        "{out}"
    );
    assert!(
        out.contains("✔ Buzón (IMAP): inicia sesión y abre INBOX; ofrece IDLE"),
        "{out}"
    );
    assert!(out.contains("Todo listo para iniciar Campo."), "{out}");
    assert!(
        campo_tests::smtp::received(sink_dir.path()).is_empty(),
        "the check sends no mail"
    );
    if matches!(backend, Backend::Sqlite) {
        assert!(
            !db.dir.path().join("campo.sqlite3").exists(),
            "the check creates no database"
        );
    }

    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let (ok, out, _) = doctor(&db, &env).await;
    assert!(ok, "{out}");
    assert!(out.contains("responde; sus tablas están al día"), "{out}");
}

both_backends!(every_problem_is_listed);
/// A database written by a newer Campo, no built application, a data directory that is a file
/// and a mail server that is down: four problems in one run, each with what to do.
async fn every_problem_is_listed(backend: Backend) {
    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let newer = "insert into _sqlx_migrations (version, description, success, checksum, \
                 execution_time) values (99990101, 'de una versión futura', true, x'00', 1)";
    let newer_pg = newer.replace("x'00'", "'\\x00'::bytea");
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query(newer).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query(&newer_pg).execute(&mut conn).await.unwrap();
        }
    }
    let not_a_dir = TempDir::new();
    std::fs::create_dir_all(not_a_dir.path()).unwrap();
    let file = not_a_dir.path().join("datos");
    std::fs::write(&file, "no soy un directorio").unwrap();
    let env = [
        ("CAMPO_DATA_DIR", file.display().to_string()),
        ("CAMPO_PWA_DIR", "/no/existe/pwa".to_owned()),
        (
            "CAMPO_SMTP_URL",
            format!("smtp://127.0.0.1:{}", free_port()),
        ),
        ("CAMPO_SMTP_FROM", "Campo <campo@demo.gov.co>".to_owned()),
    ];
    let (ok, out, err) = doctor(&db, &env).await;
    assert!(!ok, "{out}");
    for expected in [
        "✘ Directorio de datos:",
        "✘ Base de datos: la base tiene migraciones que esta versión de Campo no conoce (99990101)",
        "✘ Aplicación web: falta /no/existe/pwa/index.html. Compile la aplicación con «make pwa»",
        "✘ Correo saliente (SMTP): el servidor de correo no acepta la conexión",
    ] {
        assert!(out.contains(expected), "«{expected}» missing:\n{out}");
    }
    assert!(
        err.contains("4 problemas impiden que Campo trabaje"),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(&file).unwrap() == "no soy un directorio",
        "the check changes nothing"
    );
}
