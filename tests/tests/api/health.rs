use campo_tests::{ADMIN_PASSWORD, Backend, TestApp, TestDb, both_backends};
use serde_json::json;

both_backends!(healthz_reports_the_database);
async fn healthz_reports_the_database(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reply = app.anonymous().get("/healthz").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], "ok");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(reply.body["database"], expected);
    assert_eq!(reply.body["documents_in_memory"], 0);
}

both_backends!(holidays_of_2026);
async fn holidays_of_2026(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.anonymous();
    let reply = client.get("/api/holidays?year=2026").await;
    assert_eq!(reply.status, 200);
    let dates: Vec<&str> = reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates.len(), 19, "{dates:?}");
    assert!(
        dates.contains(&"2026-07-13"),
        "Ley 2578 holiday missing: {dates:?}"
    );
    assert!(
        dates.contains(&"2026-04-03"),
        "Viernes Santo missing: {dates:?}"
    );
    assert!(
        reply.body[0]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );

    for bad in [
        "/api/holidays",
        "/api/holidays?year=abc",
        "/api/holidays?year=1200",
    ] {
        let reply = client.get(bad).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("año")
        );
    }
}

both_backends!(server_stops_cleanly_and_keeps_data);
async fn server_stops_cleanly_and_keeps_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let reply = admin
        .post(
            "/api/dependencias",
            &serde_json::json!({"code": "CULTURA", "name": "Secretaría de Cultura"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let db = app.stop().await;
    let app = TestApp::start(db).await.unwrap();
    let admin = app.admin().await;
    let list = admin.get("/api/dependencias").await;
    assert!(
        list.body
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "CULTURA")
    );
}

/// A tmpfs mounted over a directory for one test, unmounted when dropped (lazily, so a server
/// still holding files in it cannot keep it mounted). Mounting needs root, as CI has.
struct Tmpfs {
    path: std::path::PathBuf,
}

impl Tmpfs {
    fn mount(path: &std::path::Path, size: &str) -> Self {
        let status = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(path)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "this test mounts a small tmpfs to fill the data directory's disk: run it as root \
             (CI does)"
        );
        Self {
            path: path.to_owned(),
        }
    }

    /// Fills the disk up with one file; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path.join("relleno.bin");
        let mut file = std::fs::File::create(&filler).expect("create the filler");
        let block = vec![0xAAu8; 64 * 1024];
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) if err.kind() == std::io::ErrorKind::StorageFull => break,
                Err(err) => panic!("filling the tmpfs: {err}"),
            }
        }
        // The last partial block may still sit in no page: fill byte by byte.
        while file.write(&[0xAA]).is_ok_and(|n| n == 1) {}
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// The database of a PostgreSQL test app, from its URL.
fn pg_database(app: &TestApp) -> String {
    app.db.url.rsplit('/').next().unwrap().to_owned()
}

/// Makes a PostgreSQL test database read-only (or writable again), as a standby after a failover
/// is, and ends the server's connections so that it meets the change.
async fn set_read_only(app: &TestApp, read_only: bool) {
    use sqlx::Connection;
    let admin_url = std::env::var("CAMPO_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let name = pg_database(app);
    let set = if read_only {
        format!("alter database {name} set default_transaction_read_only = on")
    } else {
        format!("alter database {name} reset default_transaction_read_only")
    };
    sqlx::query(&set).execute(&mut admin).await.unwrap();
    sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1")
        .bind(&name)
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
}

both_backends!(a_data_directory_that_cannot_be_written_is_reported_not_hidden);
async fn a_data_directory_that_cannot_be_written_is_reported_not_hidden(backend: Backend) {
    // The data directory (photos; on SQLite also the database) on a small disk of its own.
    let db = TestDb::new(backend).await;
    let disk = Tmpfs::mount(db.dir.path(), "24m");
    campo_tests::add_admin(&db).await;
    let app = TestApp::start(db).await.unwrap();
    let client = app.anonymous();
    assert_eq!(client.get("/healthz").await.status, 200);
    let credentials = json!({"username": "admin", "password": ADMIN_PASSWORD});

    // The disk fills up.
    let filler = disk.fill();
    let health = client.get("/healthz").await;
    assert_eq!(health.status, 503, "{}", health.body);
    assert_eq!(health.body["status"], "error");
    assert_eq!(health.error_code(), "directorio_no_escribible");
    let message = health.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("El servidor no puede guardar datos")
            && message.contains("el disco está lleno"),
        "{message}"
    );
    let login = client.post("/api/login", &credentials).await;
    match backend {
        // The database is on that disk: a login, which stores a session, is told why it fails.
        Backend::Sqlite => {
            assert_eq!(login.status, 503, "{}", login.body);
            assert_eq!(login.error_code(), "almacenamiento_no_disponible");
            assert!(
                login.body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("El servidor no puede guardar datos en este momento."),
                "{}",
                login.body
            );
        }
        // The database has its own disk: logins go on.
        Backend::Postgres => assert_eq!(login.status, 200, "{}", login.body),
    }

    // Space is freed: everything works again, without a restart.
    std::fs::remove_file(filler).unwrap();
    assert_eq!(client.get("/healthz").await.status, 200);
    let login = app.anonymous().post("/api/login", &credentials).await;
    assert_eq!(login.status, 200, "{}", login.body);

    let _db = app.stop().await;
    drop(disk);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_postgresql_answers_logins_with_503() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let credentials = json!({"username": "admin", "password": ADMIN_PASSWORD});
    // Campo announces its address before its start-up writes (projection, settings) are done;
    // it answers requests only once they are.
    assert_eq!(app.anonymous().get("/healthz").await.status, 200);
    set_read_only(&app, true).await;
    let login = app.anonymous().post("/api/login", &credentials).await;
    assert_eq!(login.status, 503, "{}", login.body);
    assert_eq!(login.error_code(), "almacenamiento_no_disponible");
    assert!(
        login.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("El servidor no puede guardar datos en este momento."),
        "{}",
        login.body
    );
    set_read_only(&app, false).await;
    let login = app.anonymous().post("/api/login", &credentials).await;
    assert_eq!(login.status, 200, "{}", login.body);
}
