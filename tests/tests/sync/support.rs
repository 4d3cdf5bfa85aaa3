//! Helpers of the sync tests: a `campo serve` with chosen sync limits, the official JavaScript
//! client as a child process, a raw protocol peer written here, and the server's stored copy of a
//! document read straight from the database.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use automerge::Automerge;
use campo_tests::{ADMIN_PASSWORD, Backend, Client, TestDb, run_cli, spawn_campo};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long any awaited condition may take before the test fails.
pub use campo_tests::raw_peer::{DEADLINE, Field, RawPeer, encode};

/// A `campo serve` started with extra environment (sync limits), restartable on its database.
pub struct Server {
    pub base: String,
    pub db: TestDb,
    env: Vec<(String, String)>,
    child: Child,
}

impl Server {
    /// A fresh database with the `admin` coordinator and a second user, `tecnico1`.
    pub async fn spawn(backend: Backend, env: &[(&str, &str)]) -> Self {
        let db = TestDb::new(backend).await;
        for (user, role) in [("admin", "coordinador"), ("tecnico1", "tecnico")] {
            let out = run_cli(
                &db,
                &[
                    "user",
                    "add",
                    user,
                    "--role",
                    role,
                    "--name",
                    "Persona Pruebas",
                ],
                Some(ADMIN_PASSWORD),
            )
            .await
            .expect("campo user add");
            assert!(out.success, "user add failed: {}", out.stderr);
        }
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::start(db, env).await.expect("start campo")
    }

    async fn start(db: TestDb, env: Vec<(String, String)>) -> anyhow::Result<Self> {
        Self::start_with(db, env, &[]).await
    }

    async fn start_with(
        db: TestDb,
        env: Vec<(String, String)>,
        options: &[&str],
    ) -> anyhow::Result<Self> {
        let (child, base) = spawn_campo(&db, options, &env).await?;
        Ok(Self {
            base,
            db,
            env,
            child,
        })
    }

    /// Stops the server (SIGTERM, or SIGKILL when `brutal`) and starts it again on the same
    /// database (on a new port).
    pub async fn restart(self, brutal: bool) -> Self {
        let Server {
            db, env, mut child, ..
        } = self;
        if brutal {
            child.kill().await.expect("kill -9");
        } else if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
            let _ = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
            let _ = child.kill().await;
        }
        Self::start(db, env).await.expect("restart campo")
    }

    /// Stops the server (SIGTERM) and starts it again on the same database and the same port, so
    /// that clients reconnect with the URLs they have.
    pub async fn restart_in_place(self) -> Self {
        let address = self.base.trim_start_matches("http://").to_owned();
        let Server {
            db, env, mut child, ..
        } = self;
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
            let _ = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
            let _ = child.kill().await;
        }
        Self::start_with(db, env, &["--listen", &address])
            .await
            .expect("restart campo on the same port")
    }

    pub async fn login(&self, user: &str) -> Client {
        let client = Client::new(self.base.clone());
        if let Err(err) = client.login(user, ADMIN_PASSWORD).await {
            panic!("{err}");
        }
        client
    }

    /// A `/sync` URL with a fresh single-use token of `client`'s user.
    pub async fn sync_url(&self, client: &Client) -> String {
        let reply = client.post("/api/sync-token", &json!({})).await;
        assert_eq!(reply.status, 200, "sync token: {}", reply.body);
        let token = reply.body["token"].as_str().expect("token").to_owned();
        format!("{}/sync?token={token}", self.base.replacen("http", "ws", 1))
    }
}

/// A valid ticket registered by the coordinator `user_id`, for raw sync clients.
pub fn ticket_doc(user_id: &str) -> campo_shared::schema::TicketDoc {
    use campo_shared::event_kind::EventKind;
    use campo_shared::role::Role;
    use campo_shared::schema::{Channel, Event, Person, Request, TicketDoc};
    let request = Request {
        requester: Person {
            id: user_id.to_owned(),
            name: "Persona Pruebas".to_owned(),
        },
        dependencia: "SISTEMAS".to_owned(),
        location: "Piso 1".to_owned(),
        phone_extension: None,
        channel: Channel::Phone,
        external_ref: None,
        category: "Impresora".to_owned(),
        description: "La impresora no imprime.".to_owned(),
        equipment: Vec::new(),
        photos: Vec::new(),
    };
    let at = chrono_now_ms();
    TicketDoc::new(
        request,
        Event::new(EventKind::Registered, at, user_id, Role::Coordinador),
    )
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

impl Server {
    /// The logged-in user of `client` as the JS peer's `create` names a ticket's registrant.
    pub async fn ticket_owner(&self, client: &Client) -> Value {
        let me = client.get("/api/me").await;
        assert_eq!(me.status, 200, "me: {}", me.body);
        json!({
            "userId": me.body["id"],
            "userName": me.body["full_name"],
            "role": me.body["role"],
            "dependencia": "SISTEMAS",
        })
    }

    /// True while the server answers HTTP.
    pub async fn alive(&self) -> bool {
        Client::new(self.base.clone()).get("/healthz").await.status == 200
    }

    /// The server's stored copy of a document (`automerge:…` or bare id), loaded from the
    /// database as the server would load it; `None` when nothing is stored.
    pub async fn stored(&self, url: &str) -> Option<Automerge> {
        let id = url.trim_start_matches("automerge:");
        let chunks: Vec<Vec<u8>> = match self.db.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.db.url)
                    .await
                    .expect("open sqlite");
                sqlx::query_scalar("select data from doc_chunks where doc_id = $1 order by id")
                    .bind(id)
                    .fetch_all(&mut conn)
                    .await
                    .expect("read chunks")
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.db.url)
                    .await
                    .expect("open postgres");
                sqlx::query_scalar("select data from doc_chunks where doc_id = $1 order by id")
                    .bind(id)
                    .fetch_all(&mut conn)
                    .await
                    .expect("read chunks")
            }
        };
        if chunks.is_empty() {
            return None;
        }
        Some(Automerge::load(&chunks.concat()).expect("stored document loads"))
    }
}

/// Sorted hex heads of a document, as the JS peer reports them.
pub fn heads_hex(doc: &Automerge) -> Vec<String> {
    let mut heads: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
    heads.sort();
    heads
}

/// The official JavaScript client (`tests/js/peer.mjs`) in a Node process.
pub struct NodePeer {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    next: u64,
}

pub fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}

impl NodePeer {
    pub async fn spawn() -> Self {
        Self::spawn_with_id(None).await
    }

    /// A peer with a chosen peer id (for the identity tests).
    pub async fn spawn_with_id(peer_id: Option<&str>) -> Self {
        let dir = js_dir();
        assert!(
            dir.join("node_modules").exists(),
            "run `npm ci` in {} first (.ci/test does)",
            dir.display()
        );
        let mut command = Command::new("node");
        command.arg(dir.join("peer.mjs"));
        if let Some(id) = peer_id {
            command.arg(id);
        }
        let mut child = command
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn node");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready = tokio::time::timeout(DEADLINE, lines.next_line())
            .await
            .expect("node peer starts")
            .expect("read node")
            .expect("node peer output");
        assert!(ready.contains("ready"), "unexpected: {ready}");
        Self {
            child,
            stdin,
            lines,
            next: 0,
        }
    }

    /// Runs a command; returns its answer, or the error the client reported.
    pub async fn try_cmd(&mut self, mut command: Value) -> Result<Value, String> {
        self.next += 1;
        command["id"] = json!(self.next);
        let line = format!("{command}\n");
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("write to node");
        let answer = tokio::time::timeout(DEADLINE + Duration::from_secs(5), async {
            loop {
                let line = self
                    .lines
                    .next_line()
                    .await
                    .expect("read node")
                    .expect("node peer exited");
                let value: Value = serde_json::from_str(&line).expect("node answers JSON");
                if value["id"] == json!(self.next) {
                    return value;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("node peer did not answer {command}"));
        if answer["ok"] == json!(true) {
            Ok(answer)
        } else {
            Err(answer["error"].as_str().unwrap_or_default().to_owned())
        }
    }

    /// Runs a command that must succeed.
    pub async fn cmd(&mut self, command: Value) -> Value {
        let shown = command.to_string();
        self.try_cmd(command)
            .await
            .unwrap_or_else(|e| panic!("{shown} failed: {e}"))
    }

    pub async fn connect(&mut self, url: &str) -> Value {
        self.cmd(json!({"cmd": "connect", "url": url})).await
    }

    pub async fn disconnect(&mut self) {
        self.cmd(json!({"cmd": "disconnect"})).await;
    }
}

impl Drop for NodePeer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Opens a raw peer's socket with a browser's session cookie (and the server's own origin), and
/// completes the handshake.
pub async fn join_with_cookie(
    server: &Server,
    client: &Client,
    peer_id: &str,
) -> anyhow::Result<RawPeer> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let cookies = client
        .cookie_header(&server.base)
        .context("no session cookie")?;
    let mut request =
        format!("{}/sync", server.base.replacen("http", "ws", 1)).into_client_request()?;
    request.headers_mut().insert("cookie", cookies.parse()?);
    request.headers_mut().insert("origin", server.base.parse()?);
    RawPeer::join_request(request, peer_id).await
}
