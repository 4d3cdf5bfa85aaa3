//! Test support for Campo: fresh databases on SQLite and PostgreSQL, and the real `campo` binary
//! started on a free port with helpers to act as each role.
//!
//! PostgreSQL is reached at `CAMPO_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! each test gets its own database, dropped at the end.

pub mod dovecot;
pub mod glpi;
pub mod ldap;
pub mod pg_cluster;
pub mod phone;
pub mod photo;
pub mod raw_peer;
pub mod replicas;
pub mod smtp;
pub mod tcp_proxy;
pub mod ticket;
pub mod xlsx;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend: `both_backends!(story)` defines the tests
/// `story::sqlite` and `story::postgres`, each calling the function `story(Backend)` beside it.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await
            }
        }
    };
}

/// A scratch directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir()
            .join("campo-tests")
            .join(uuid::Uuid::new_v4().simple().to_string());
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn pg_admin_url() -> String {
    std::env::var("CAMPO_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh, empty database of the chosen backend.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new();
                let url = format!("sqlite://{}", dir.path().join("campo.sqlite3").display());
                Self {
                    backend,
                    url,
                    dir,
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let mut db = Self::postgres_on(&pg_admin_url()).await;
                // Dropped at the end: the machine's PostgreSQL outlives the test.
                db.pg_name = Some(db.url.rsplit('/').next().unwrap_or_default().to_owned());
                db
            }
        }
    }

    /// A fresh, empty database on the PostgreSQL server of `admin` (a URL to an existing
    /// database there), left in place at the end (its server is the test's own).
    pub async fn postgres_on(admin: &str) -> Self {
        let name = format!("campo_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is not reachable at {admin}: {e}"));
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base)
            .unwrap_or(admin);
        Self {
            backend: Backend::Postgres,
            url: format!("{base}/{name}"),
            dir: TempDir::new(),
            pg_name: None,
        }
    }

    /// The same database reached at `url` (through a proxy, say), with a data directory of its
    /// own, as a replica on another machine has; the database is left to `self`.
    pub fn reached_at(&self, url: String) -> Self {
        Self {
            backend: self.backend,
            url,
            dir: TempDir::new(),
            pg_name: None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside any async context guarantee; a thread with its own runtime keeps
            // it independent of the test's runtime.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let mut conn = sqlx::PgConnection::connect(&pg_admin_url()).await?;
                    sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut conn)
                        .await?;
                    conn.close().await
                })?;
                Ok::<_, anyhow::Error>(())
            })
            .join();
        }
    }
}

/// A TCP port free on 127.0.0.1 at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// Path of the `campo` binary built by `cargo build` (or `CAMPO_BIN`).
pub fn campo_bin() -> PathBuf {
    if let Ok(path) = std::env::var("CAMPO_BIN") {
        return PathBuf::from(path);
    }
    // A benchmark binary lives beside `campo` in target/<profile>/; a test executable in
    // target/<profile>/deps/.
    let exe = std::env::current_exe().expect("current exe");
    let beside = exe.with_file_name("campo");
    if beside.exists() {
        return beside;
    }
    let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = profile_dir.join("campo");
    assert!(
        bin.exists(),
        "{} does not exist: run `cargo build -p campo-server` before the tests",
        bin.display()
    );
    bin
}

/// Demo password, the same as `campo demo` prints.
pub const DEMO_PASSWORD: &str = "campo-demo-2026";
/// Password of the coordinator that [`TestApp::spawn`] creates.
pub const ADMIN_PASSWORD: &str = "admin-prueba-123";

/// A running `campo serve` on a free port, with its own database.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    child: Child,
}

/// Adds the coordinator `admin` (password [`ADMIN_PASSWORD`]) to `db` with `campo user add`.
pub async fn add_admin(db: &TestDb) {
    let made = run_cli(
        db,
        &[
            "user",
            "add",
            "admin",
            "--role",
            "coordinador",
            "--name",
            "Admin Pruebas",
        ],
        Some(ADMIN_PASSWORD),
    )
    .await
    .expect("run campo user add");
    assert!(made.success, "{}", made.stderr);
}

impl TestApp {
    /// Starts Campo on a fresh database that holds one coordinator, `admin`.
    pub async fn spawn(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        add_admin(&db).await;
        Self::start(db).await.expect("start campo")
    }

    /// Starts Campo on a fresh database loaded with `campo demo`.
    pub async fn spawn_demo(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        run_cli(&db, &["demo"], None).await.expect("campo demo");
        Self::start(db).await.expect("start campo")
    }

    /// Starts `campo serve` on `db` and waits until it listens.
    pub async fn start(db: TestDb) -> anyhow::Result<Self> {
        Self::start_with(db, &[]).await
    }

    /// Like [`TestApp::start`], with extra `campo serve` options.
    pub async fn start_with(db: TestDb, options: &[&str]) -> anyhow::Result<Self> {
        let (child, base) = spawn_campo(&db, options, &[]).await?;
        Ok(Self { base, db, child })
    }

    /// Like [`TestApp::start_with`], with extra environment variables too.
    pub async fn start_env(
        db: TestDb,
        options: &[&str],
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let (child, base) = spawn_campo(&db, options, &env).await?;
        Ok(Self { base, db, child })
    }

    /// Stops the server with SIGTERM and waits for it to exit; returns the database.
    pub async fn stop(mut self) -> TestDb {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        let _ = self.child.kill().await;
        // Move the database out; the child is already gone.
        let TestApp { db, .. } = self;
        db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client with its own cookie jar, not logged in.
    pub fn anonymous(&self) -> Client {
        Client::new(self.base.clone())
    }

    /// A client logged in as `username`; panics if the login fails.
    pub async fn login(&self, username: &str, password: &str) -> Client {
        let client = self.anonymous();
        if let Err(err) = client.login(username, password).await {
            panic!("{err}");
        }
        client
    }

    /// The coordinator created by [`TestApp::spawn`].
    pub async fn admin(&self) -> Client {
        self.login("admin", ADMIN_PASSWORD).await
    }
}

/// Runs a `campo` CLI command against `db`; `password` goes in `CAMPO_PASSWORD`.
/// Starts `campo serve --listen 127.0.0.1:0` (or the `--listen` of `options`) on `db` with extra
/// options and environment, and
/// waits (up to two minutes) until it listens. Returns the process and its base URL; its stdout
/// keeps being drained so the server never blocks on a full pipe.
pub async fn spawn_campo(
    db: &TestDb,
    options: &[&str],
    env: &[(String, String)],
) -> anyhow::Result<(Child, String)> {
    let mut command = Command::new(campo_bin());
    command.arg("serve");
    if !options.contains(&"--listen") {
        command.args(["--listen", "127.0.0.1:0"]);
    }
    command
        .args(options)
        .env("CAMPO_DATA_DIR", db.dir.path())
        .env("DATABASE_URL", &db.url)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = command.spawn().context("spawn campo")?;
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let base = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.strip_prefix("Campo está escuchando en ") {
                return Ok(rest.trim_end_matches('/').to_owned());
            }
        }
        bail!("campo exited before listening")
    })
    .await
    .context("campo did not start within 120 s")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, base))
}

pub async fn run_cli(
    db: &TestDb,
    args: &[&str],
    password: Option<&str>,
) -> anyhow::Result<CliOutput> {
    let mut command = Command::new(campo_bin());
    command
        .args(args)
        .env("CAMPO_DATA_DIR", db.dir.path())
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    match password {
        Some(password) => command.env("CAMPO_PASSWORD", password),
        None => command.env_remove("CAMPO_PASSWORD"),
    };
    let output = command.output().await?;
    let result = CliOutput {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    Ok(result)
}

/// What a CLI command printed.
#[derive(Debug)]
pub struct CliOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error.code` of an error body.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

/// An HTTP client with a cookie jar, like one browser (a clone shares the jar).
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    cookies: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Client {
    pub fn new(base: String) -> Self {
        let cookies = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(cookies.clone())
            .build()
            .expect("http client");
        Self {
            base,
            http,
            cookies,
        }
    }

    /// The `Cookie` header this client would send to `base` (its session), if any.
    pub fn cookie_header(&self, base: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = base.parse().ok()?;
        let value = self.cookies.cookies(&url)?;
        value.to_str().ok().map(str::to_owned)
    }

    /// Logs in as `username`; the jar keeps the session cookie. Returns the server's answer (the
    /// user), or an error unless it is a 200.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<Reply> {
        let reply = self
            .post(
                "/api/login",
                &json!({"username": username, "password": password}),
            )
            .await;
        if reply.status != 200 {
            bail!("login of {username} failed: {}", reply.body);
        }
        Ok(reply)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Reply {
        read(self.http.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        read(self.http.post(self.url(path)).json(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        read(self.http.patch(self.url(path)).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        read(self.http.put(self.url(path)).json(body)).await
    }

    /// Sends a request built on this client (custom headers or body).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        read(request).await
    }
}

async fn read(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request failed");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("read body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}
