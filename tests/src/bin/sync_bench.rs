//! Sync benchmark (not a test): the same scenarios against `campo` (release build, SQLite and
//! PostgreSQL) and against the published Node sync server of automerge-repo
//! (`@automerge/automerge-repo-sync-server`, pinned in `tests/bench/package.json`), in one run,
//! printed side by side. `make bench-sync` runs it.
//!
//! The clients are raw automerge-repo protocol peers (`campo_tests::raw_peer`) on the `automerge`
//! crate (the same messages the JavaScript client sends, without its 100 ms throttle and without
//! spending the machine's two cores on a JavaScript client). They write Campo ticket documents
//! (`campo_tests::ticket`), as a coordinator (the demo's `coordinador`, with its session cookie).
//!
//! Scenarios, each on a fresh server:
//! 1. CPU per change and latency with no other documents; one client pushes 1,000 new tickets
//!    until the server has stored them; CPU per change and latency again; memory.
//! 2. One client pushes 10,000 new tickets; CPU per change and latency; memory.
//! 3. 10,000 idle clients (join handshake only); memory.
//!
//! "Stored" means: for Campo, acknowledged (Campo commits before it acknowledges); for the Node
//! server, acknowledged and present in its data directory (it saves at most every 100 ms).
//! CPU per change is the server's utime+stime (`/proc/<pid>/stat`; with PostgreSQL, plus the
//! CPU of the database's backend processes serving Campo), once the server is idle (see
//! `ServerProc::settle`; for Campo, also once it has dropped the pushed documents from memory, see
//! `ServerProc::unloaded`), over `CHANGES` changes, each a comment
//! appended by client A and relayed to client B, spaced 110 ms apart (past the JavaScript
//! client's 100 ms per-document throttle). Latency is from A sending the change to B receiving
//! the server's message that carries it.
//!
//! Usage: `sync_bench [campo-sqlite] [campo-postgres] [node] [--quick]` (all three by default;
//! `--quick` uses 100/1,000 documents, 40 changes and 1,000 idle clients).
//! `CAMPO_BIN` chooses the `campo` binary (default: next to this one, so build both with
//! `--release`); `CAMPO_TEST_PG_URL` the PostgreSQL server.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash};
use campo_shared::ids::DocumentId;
use campo_shared::role::Role;
use campo_tests::raw_peer::{RawPeer, decode};
use campo_tests::ticket::{Author, add_comment, new_ticket, ticket_document};
use campo_tests::{Backend, Client, DEMO_PASSWORD, TempDir, TestDb, campo_bin, spawn_campo};
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Spacing of the measured changes: past the JavaScript client's per-document throttle.
const SPACING: Duration = Duration::from_millis(110);
/// Documents in flight while pushing (sent, not yet stored). Enough to keep any server busy; not
/// so many that the Node server, which handles them one at a time, answers its own keep-alive
/// ping late: its WebSocket adapter cuts a connection whose `pong` it has not read within 5 s,
/// and behind 256 documents it did not, on a slower machine, in the middle of the 10,000.
const WINDOW: usize = 32;
/// Longest wait for any one step.
const STEP_TIMEOUT: Duration = Duration::from_secs(600);
/// Interval over which the server must be nearly idle before a measurement starts.
const SETTLE_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    CampoSqlite,
    CampoPostgres,
    Node,
}

impl Target {
    fn label(self) -> &'static str {
        match self {
            Target::CampoSqlite => "Campo (SQLite)",
            Target::CampoPostgres => "Campo (PostgreSQL)",
            Target::Node => "Node sync server",
        }
    }
}

struct Plan {
    targets: Vec<Target>,
    small: usize,
    large: usize,
    changes: usize,
    idle_clients: usize,
}

/// The figures of one target.
#[derive(Default)]
struct Figures {
    push_small: Option<Duration>,
    push_large: Option<Duration>,
    /// (documents stored, ms of server CPU per change, latency median ms, latency p99 ms).
    per_change: Vec<(usize, f64, f64, f64)>,
    rss_small_mb: Option<f64>,
    rss_large_mb: Option<f64>,
    idle_base_mb: Option<f64>,
    idle_mb: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// The servers

struct ServerProc {
    target: Target,
    child: Child,
    pid: u32,
    /// Where HTTP requests go (`http://127.0.0.1:<port>`).
    base: String,
    ws_url: String,
    /// The demo coordinator, logged in (Campo only).
    client: Option<Client>,
    data_dir: TempDir,
    db: Option<TestDb>,
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn node_server_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("bench/node_modules/@automerge/automerge-repo-sync-server/src/index.js")
}

impl ServerProc {
    async fn start(target: Target) -> anyhow::Result<Self> {
        match target {
            Target::Node => Self::start_node().await,
            Target::CampoSqlite => Self::start_campo(target, Backend::Sqlite).await,
            Target::CampoPostgres => Self::start_campo(target, Backend::Postgres).await,
        }
    }

    async fn start_node() -> anyhow::Result<Self> {
        let script = node_server_script();
        if !script.exists() {
            bail!(
                "{} does not exist: run `npm install` in tests/bench",
                script.display()
            );
        }
        let data_dir = TempDir::new();
        let port = free_port()?;
        let mut child = Command::new("node")
            .arg(&script)
            .current_dir(data_dir.path())
            .env("PORT", port.to_string())
            .env("DATA_DIR", data_dir.path().join("amrg"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("spawn node")?;
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if line.starts_with("Listening on port") {
                    return Ok(());
                }
            }
            bail!("the Node sync server exited before listening")
        })
        .await
        .context("the Node sync server did not start within 60 s")??;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let pid = child.id().context("node pid")?;
        let server = Self {
            target: Target::Node,
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
            ws_url: format!("ws://127.0.0.1:{port}/"),
            client: None,
            data_dir,
            db: None,
        };
        // It listens before its repository has attached the WebSocket adapter (that waits for
        // the storage id); until then a socket is accepted and dropped.
        let deadline = Instant::now() + Duration::from_secs(30);
        while open(&server, &format!("probe-{}", uuid::Uuid::new_v4().simple()))
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                bail!("the Node sync server never completed a handshake");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }

    async fn start_campo(target: Target, backend: Backend) -> anyhow::Result<Self> {
        let db = TestDb::new(backend).await;
        // Every client of the benchmark is the same coordinator, thousands of sockets at once; a
        // real office has one account per person, each held to eight sockets.
        let env = [(
            "CAMPO_SYNC_SOCKETS_PER_USER".to_owned(),
            "100000".to_owned(),
        )];
        let (child, base) = spawn_campo(&db, &["--demo"], &env).await?;
        let pid = child.id().context("campo pid")?;
        let client = login(&base).await?;
        Ok(Self {
            target,
            child,
            pid,
            ws_url: format!("{}/sync", base.replacen("http", "ws", 1)),
            base,
            client: Some(client),
            data_dir: TempDir::new(),
            db: Some(db),
        })
    }

    /// Waits until the server has finished the work left over from earlier steps (after a push,
    /// the notification watcher still registers each new ticket's notice, and the Node server
    /// still writes its files): until it uses at most 2 % of a core over [`SETTLE_WINDOW`],
    /// twice in a row. Returns how long that took.
    async fn settle(&self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let mut quiet = 0;
        let mut before = self.cpu_seconds().await;
        while quiet < 2 {
            if started.elapsed() > STEP_TIMEOUT {
                bail!("the server was still busy after {STEP_TIMEOUT:?}");
            }
            tokio::time::sleep(SETTLE_WINDOW).await;
            let now = self.cpu_seconds().await;
            if now - before <= SETTLE_WINDOW.as_secs_f64() * 0.02 {
                quiet += 1;
            } else {
                quiet = 0;
            }
            before = now;
        }
        Ok(started.elapsed())
    }

    /// Campo: waits until no synced document is left in memory. A document leaves memory 60 s
    /// after its last use (`CAMPO_SYNC_IDLE_SECS`), a timer that the idle check of
    /// [`ServerProc::settle`] cannot see coming; without this wait, dropping the last thousand
    /// documents of a push (or of the notification watcher's reading of them) falls inside the
    /// measurement, and that one-time cleanup is counted as the changes' CPU. The Node server
    /// never drops a document. Returns how long that took.
    async fn unloaded(&self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        if self.target == Target::Node {
            return Ok(Duration::ZERO);
        }
        let url = format!("{}/healthz", self.base);
        let http = reqwest::Client::new();
        loop {
            let health: serde_json::Value = http.get(&url).send().await?.json().await?;
            if health["documents_in_memory"] == 0 {
                return Ok(started.elapsed());
            }
            if started.elapsed() > STEP_TIMEOUT {
                bail!("documents still in memory after {STEP_TIMEOUT:?}: {health}");
            }
            tokio::time::sleep(SETTLE_WINDOW).await;
        }
    }

    /// CPU seconds used so far by the server (and, on PostgreSQL, its database backends).
    async fn cpu_seconds(&self) -> f64 {
        let mut ticks = proc_ticks(self.pid);
        if self.target == Target::CampoPostgres
            && let Some(db) = &self.db
        {
            for pid in pg_backends(db).await {
                ticks += proc_ticks(pid);
            }
        }
        ticks as f64 / clock_ticks() as f64
    }

    fn rss_mb(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    }

    /// Documents the Node server has written to its data directory.
    fn node_stored(&self) -> usize {
        let root = self.data_dir.path().join("amrg");
        let Ok(prefixes) = std::fs::read_dir(&root) else {
            return 0;
        };
        prefixes
            .flatten()
            .filter_map(|p| std::fs::read_dir(p.path()).ok())
            .map(|docs| docs.flatten().filter(|d| has_files(&d.path())).count())
            .sum()
    }

    async fn stop(mut self) {
        let _ = std::process::Command::new("kill")
            .arg(self.pid.to_string())
            .status();
        let _ = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        let _ = self.child.kill().await;
    }
}

fn has_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().is_file() || has_files(&e.path()))
    })
}

fn proc_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the name.
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(11) + get(12)
}

fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

async fn pg_backends(db: &TestDb) -> Vec<u32> {
    use sqlx::Connection;
    let Some(name) = db.url.rsplit('/').next() else {
        return Vec::new();
    };
    let Ok(mut conn) = sqlx::PgConnection::connect(&db.url).await else {
        return Vec::new();
    };
    let pids: Vec<i32> = sqlx::query_scalar(
        "select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
    )
    .bind(name)
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    let _ = conn.close().await;
    pids.into_iter().map(|p| p as u32).collect()
}

/// Logs in as the demo coordinator; returns its client, which holds the session cookie.
async fn login(base: &str) -> anyhow::Result<Client> {
    let client = Client::new(base.to_owned());
    client.login("coordinador", DEMO_PASSWORD).await?;
    let me = client.get("/api/me").await.body;
    if me["role"] != "coordinador" {
        bail!("the demo coordinator is not a coordinator: {me}");
    }
    Ok(client)
}

async fn coordinator(server: &ServerProc) -> Author {
    if let Some(client) = &server.client {
        let me = client.get("/api/me").await;
        if me.status == 200 {
            let me = me.body;
            return Author {
                id: me["id"].as_str().unwrap_or_default().to_owned(),
                name: me["full_name"].as_str().unwrap_or_default().to_owned(),
                role: Role::Coordinador,
                dependencia: me["dependencia"].as_str().unwrap_or("TIC").to_owned(),
            };
        }
    }
    Author {
        id: uuid::Uuid::new_v4().to_string(),
        name: "Laura Méndez Rojas".into(),
        role: Role::Coordinador,
        dependencia: "TIC".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// A raw protocol peer

/// Opens a socket (with the coordinator's session cookie, on Campo) and completes the join/peer
/// handshake.
async fn open(server: &ServerProc, peer_id: &str) -> anyhow::Result<RawPeer> {
    let mut request = server.ws_url.as_str().into_client_request()?;
    if let Some(client) = &server.client {
        let cookie = client
            .cookie_header(&server.base)
            .context("no session cookie")?;
        request
            .headers_mut()
            .insert("cookie", cookie.parse().context("cookie header")?);
    }
    RawPeer::join_ephemeral(request, peer_id).await
}

type EditFn = Box<dyn FnOnce(&mut Automerge) + Send>;

enum PeerCmd {
    /// Starts syncing a document this peer has (a new ticket); `forget` drops it once stored.
    Push {
        id: String,
        doc: Box<Automerge>,
        forget: bool,
    },
    /// Asks the server for a document.
    Request { id: String },
    /// Changes a document and sends the change; answers the new heads and when it was sent.
    Edit {
        id: String,
        f: EditFn,
        done: oneshot::Sender<(Vec<ChangeHash>, Instant)>,
    },
}

#[derive(Debug)]
enum PeerEvent {
    /// The server holds this peer's heads of the document.
    Stored {
        id: String,
    },
    /// The document's heads changed on receiving a message that arrived at `at`.
    Heads {
        id: String,
        heads: Vec<ChangeHash>,
        at: Instant,
    },
    Closed(String),
}

struct DocState {
    doc: Automerge,
    state: sync::State,
    stored: Vec<ChangeHash>,
    forget: bool,
}

struct Peer {
    cmds: mpsc::UnboundedSender<PeerCmd>,
    events: mpsc::UnboundedReceiver<PeerEvent>,
}

impl Peer {
    async fn connect(server: &ServerProc) -> anyhow::Result<Self> {
        let peer_id = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let raw = open(server, &peer_id).await?;
        let (cmds, cmd_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::unbounded_channel();
        tokio::spawn(peer_loop(raw, cmd_rx, event_tx));
        Ok(Self { cmds, events })
    }

    fn send(&self, cmd: PeerCmd) {
        let _ = self.cmds.send(cmd);
    }

    async fn next(&mut self) -> anyhow::Result<PeerEvent> {
        match tokio::time::timeout(STEP_TIMEOUT, self.events.recv()).await {
            Ok(Some(PeerEvent::Closed(why))) => bail!("the server closed the connection: {why}"),
            Ok(Some(event)) => Ok(event),
            Ok(None) => bail!("the peer stopped"),
            Err(_) => bail!("no answer from the server in {STEP_TIMEOUT:?}"),
        }
    }

    async fn wait_stored(&mut self, want: &str) -> anyhow::Result<()> {
        loop {
            if let PeerEvent::Stored { id } = self.next().await?
                && id == want
            {
                return Ok(());
            }
        }
    }

    /// Waits until the document's heads include `head`; returns when that message arrived.
    async fn wait_head(&mut self, want: &str, head: &ChangeHash) -> anyhow::Result<Instant> {
        loop {
            if let PeerEvent::Heads { id, heads, at } = self.next().await?
                && id == want
                && heads.contains(head)
            {
                return Ok(at);
            }
        }
    }
}

async fn peer_loop(
    mut peer: RawPeer,
    mut cmds: mpsc::UnboundedReceiver<PeerCmd>,
    events: mpsc::UnboundedSender<PeerEvent>,
) {
    let mut docs: HashMap<String, DocState> = HashMap::new();
    let result: anyhow::Result<()> = async {
        loop {
            tokio::select! {
                cmd = cmds.recv() => {
                    let Some(cmd) = cmd else { return Ok(()) };
                    match cmd {
                        PeerCmd::Push { id, doc, forget } => {
                            let mut state = sync::State::new();
                            if let Some(m) = doc.generate_sync_message(&mut state) {
                                peer.send_sync(&id, &m.encode()).await?;
                            }
                            docs.insert(id, DocState { doc: *doc, state, stored: Vec::new(), forget });
                        }
                        PeerCmd::Request { id } => {
                            let doc = Automerge::new();
                            let mut state = sync::State::new();
                            if let Some(m) = doc.generate_sync_message(&mut state) {
                                peer.send_request(&id, &m.encode()).await?;
                            }
                            docs.insert(id, DocState { doc, state, stored: Vec::new(), forget: false });
                        }
                        PeerCmd::Edit { id, f, done } => {
                            let Some(d) = docs.get_mut(&id) else { continue };
                            f(&mut d.doc);
                            let heads = d.doc.get_heads();
                            let at = Instant::now();
                            if let Some(m) = d.doc.generate_sync_message(&mut d.state) {
                                peer.send_sync(&id, &m.encode()).await?;
                            }
                            let _ = done.send((heads, at));
                        }
                    }
                }
                frame = peer.ws.next() => {
                    let at = Instant::now();
                    let bytes = match frame {
                        Some(Ok(WsMessage::Binary(bytes))) => bytes,
                        Some(Ok(WsMessage::Close(reason))) => bail!("closed: {reason:?}"),
                        Some(Ok(_)) => continue,
                        Some(Err(err)) => bail!("socket: {err}"),
                        None => bail!("socket closed"),
                    };
                    let Some(frame) = decode(&bytes) else { bail!("undecodable frame") };
                    match frame.kind.as_str() {
                        "sync" => {}
                        "error" => bail!("error: {}", frame.message),
                        _ => continue,
                    }
                    let Some(d) = docs.get_mut(&frame.document_id) else { continue };
                    let message = sync::Message::decode(&frame.data)?;
                    let before = d.doc.get_heads();
                    d.doc.receive_sync_message(&mut d.state, message)?;
                    let heads = d.doc.get_heads();
                    if heads != before {
                        let _ = events.send(PeerEvent::Heads {
                            id: frame.document_id.clone(),
                            heads: heads.clone(),
                            at,
                        });
                    }
                    if let Some(m) = d.doc.generate_sync_message(&mut d.state) {
                        peer.send_sync(&frame.document_id, &m.encode()).await?;
                    }
                    if !heads.is_empty() && d.state.shared_heads == heads && d.stored != heads {
                        d.stored = heads;
                        let _ = events.send(PeerEvent::Stored { id: frame.document_id.clone() });
                        if d.forget {
                            docs.remove(&frame.document_id);
                        }
                    }
                }
            }
        }
    }
    .await;
    if let Err(err) = result {
        let _ = events.send(PeerEvent::Closed(err.to_string()));
    }
}

// ---------------------------------------------------------------------------------------------
// The scenarios

/// One client pushes `docs` new tickets; returns the time until the server stored them all.
async fn push(
    server: &ServerProc,
    pusher: &mut Peer,
    docs: Vec<(String, Automerge)>,
) -> anyhow::Result<Duration> {
    let total = docs.len();
    let node_before = if server.target == Target::Node {
        server.node_stored()
    } else {
        0
    };
    let started = Instant::now();
    let mut pending = docs.into_iter();
    let mut in_flight = HashSet::new();
    for (id, doc) in pending.by_ref().take(WINDOW) {
        in_flight.insert(id.clone());
        pusher.send(PeerCmd::Push {
            id,
            doc: Box::new(doc),
            forget: true,
        });
    }
    let mut stored = 0;
    while stored < total {
        if let PeerEvent::Stored { id } = pusher.next().await?
            && in_flight.remove(&id)
        {
            stored += 1;
            if let Some((id, doc)) = pending.next() {
                in_flight.insert(id.clone());
                pusher.send(PeerCmd::Push {
                    id,
                    doc: Box::new(doc),
                    forget: true,
                });
            }
        }
    }
    if server.target == Target::Node {
        // The Node server acknowledges from memory and writes to disk up to 100 ms later.
        let deadline = Instant::now() + STEP_TIMEOUT;
        while server.node_stored() < node_before + total {
            if Instant::now() > deadline {
                bail!("the Node server did not write every document");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(started.elapsed())
}

fn tickets(author: &Author, n: usize) -> Vec<(String, Automerge)> {
    (0..n)
        .map(|i| {
            let ticket = new_ticket(
                author,
                &format!("Solicitud de prueba {i}: el equipo no enciende."),
            );
            (DocumentId::new().to_bs58check(), ticket_document(&ticket))
        })
        .collect()
}

/// CPU per change and A → B latency on a fresh document, with whatever the server already holds.
async fn per_change(
    server: &ServerProc,
    author: &Author,
    changes: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let waited = server.unloaded().await?;
    if !waited.is_zero() {
        eprintln!(
            "[{}] documentos descargados de la memoria tras {} s",
            server.target.label(),
            es(waited.as_secs_f64(), 1)
        );
    }
    let mut a = Peer::connect(server).await?;
    let mut b = Peer::connect(server).await?;
    let (id, doc) = tickets(author, 1).remove(0);
    let first = doc.get_heads()[0];
    a.send(PeerCmd::Push {
        id: id.clone(),
        doc: Box::new(doc),
        forget: false,
    });
    a.wait_stored(&id).await?;
    b.send(PeerCmd::Request { id: id.clone() });
    b.wait_head(&id, &first).await?;
    // Measure the changes alone: not what the server still does for earlier steps.
    let waited = server.settle().await?;
    eprintln!(
        "[{}] servidor en reposo tras {} s",
        server.target.label(),
        es(waited.as_secs_f64(), 1)
    );

    let cpu_before = server.cpu_seconds().await;
    let mut latencies = Vec::with_capacity(changes);
    for i in 0..changes {
        let started = Instant::now();
        let (done, answer) = oneshot::channel();
        let user = author.id.clone();
        a.send(PeerCmd::Edit {
            id: id.clone(),
            f: Box::new(move |doc| {
                add_comment(doc, &user, &format!("Avance {i}: se revisó el cableado."));
            }),
            done,
        });
        let (heads, sent) = answer.await.context("peer A stopped")?;
        let arrived = b.wait_head(&id, &heads[0]).await?;
        latencies.push(arrived.duration_since(sent).as_secs_f64() * 1000.0);
        a.wait_stored(&id).await?;
        tokio::time::sleep_until((started + SPACING).into()).await;
    }
    let cpu = server.cpu_seconds().await - cpu_before;
    latencies.sort_by(f64::total_cmp);
    let median = latencies[latencies.len() / 2];
    let p99 =
        latencies[((latencies.len() as f64 * 0.99).ceil() as usize).clamp(1, latencies.len()) - 1];
    Ok((cpu * 1000.0 / changes as f64, median, p99))
}

/// Opens `n` idle connections (handshake only, answering pings); returns the server's RSS
/// before and with them.
async fn idle_clients(server: &ServerProc, n: usize) -> anyhow::Result<(f64, f64)> {
    let before = server.rss_mb();
    let opened = futures_util::stream::iter(0..n)
        .map(|i| async move {
            let mut peer = open(
                server,
                &format!("idle-{i}-{}", uuid::Uuid::new_v4().simple()),
            )
            .await?;
            // Reading answers the server's pings, as a real client does.
            let keep = tokio::spawn(async move { while let Some(Ok(_)) = peer.ws.next().await {} });
            Ok::<_, anyhow::Error>(keep)
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    let mut tasks = Vec::with_capacity(n);
    for task in opened {
        tasks.push(task?);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let alive = tasks.iter().filter(|t| !t.is_finished()).count();
    if alive < n {
        bail!("only {alive} of {n} idle connections stayed open");
    }
    let with = server.rss_mb();
    for task in tasks {
        task.abort();
    }
    Ok((before, with))
}

async fn run_target(target: Target, plan: &Plan) -> anyhow::Result<Figures> {
    let mut figures = Figures::default();

    eprintln!(
        "[{}] CPU por cambio sin documentos, {} documentos…",
        target.label(),
        plan.small
    );
    let server = ServerProc::start(target).await?;
    let author = coordinator(&server).await;
    let (cpu, median, p99) = per_change(&server, &author, plan.changes).await?;
    figures.per_change.push((0, cpu, median, p99));
    let mut pusher = Peer::connect(&server).await?;
    figures.push_small = Some(push(&server, &mut pusher, tickets(&author, plan.small)).await?);
    let (cpu, median, p99) = per_change(&server, &author, plan.changes).await?;
    figures.per_change.push((plan.small, cpu, median, p99));
    figures.rss_small_mb = Some(server.rss_mb());
    drop(pusher);
    server.stop().await;

    eprintln!("[{}] {} documentos…", target.label(), plan.large);
    let server = ServerProc::start(target).await?;
    let author = coordinator(&server).await;
    let docs = tickets(&author, plan.large);
    let mut pusher = Peer::connect(&server).await?;
    figures.push_large = Some(push(&server, &mut pusher, docs).await?);
    let (cpu, median, p99) = per_change(&server, &author, plan.changes).await?;
    figures.per_change.push((plan.large, cpu, median, p99));
    figures.rss_large_mb = Some(server.rss_mb());
    drop(pusher);
    server.stop().await;

    eprintln!(
        "[{}] {} clientes inactivos…",
        target.label(),
        plan.idle_clients
    );
    let server = ServerProc::start(target).await?;
    let (base, with) = idle_clients(&server, plan.idle_clients).await?;
    figures.idle_base_mb = Some(base);
    figures.idle_mb = Some(with);
    server.stop().await;
    Ok(figures)
}

// ---------------------------------------------------------------------------------------------
// The report

fn es(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        return "—".into();
    }
    let text = format!("{value:.decimals$}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

fn report(plan: &Plan, results: &[(Target, anyhow::Result<Figures>)]) {
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let cell = |f: &anyhow::Result<Figures>, get: &dyn Fn(&Figures) -> Option<String>| match f {
        Ok(f) => get(f).unwrap_or_else(|| "—".into()),
        Err(_) => "error".into(),
    };
    let mut row = |label: String, get: &dyn Fn(&Figures) -> Option<String>| {
        rows.push((label, results.iter().map(|(_, f)| cell(f, get)).collect()));
    };
    row(
        format!("Subir {} tiquetes nuevos (s)", es(plan.small as f64, 0)),
        &|f| f.push_small.map(|d| es(d.as_secs_f64(), 2)),
    );
    row(
        format!("Subir {} tiquetes nuevos (s)", es(plan.large as f64, 0)),
        &|f| f.push_large.map(|d| es(d.as_secs_f64(), 2)),
    );
    for (i, stored) in [0, plan.small, plan.large].into_iter().enumerate() {
        row(
            format!(
                "CPU del servidor por cambio, {} docs (ms)",
                es(stored as f64, 0)
            ),
            &move |f| f.per_change.get(i).map(|p| es(p.1, 2)),
        );
    }
    for (i, stored) in [0, plan.small, plan.large].into_iter().enumerate() {
        row(
            format!(
                "Latencia A→B mediana / p99, {} docs (ms)",
                es(stored as f64, 0)
            ),
            &move |f| {
                f.per_change
                    .get(i)
                    .map(|p| format!("{} / {}", es(p.2, 1), es(p.3, 1)))
            },
        );
    }
    row(
        format!("Memoria (RSS) con {} docs (MB)", es(plan.small as f64, 0)),
        &|f| f.rss_small_mb.map(|m| es(m, 0)),
    );
    row(
        format!("Memoria (RSS) con {} docs (MB)", es(plan.large as f64, 0)),
        &|f| f.rss_large_mb.map(|m| es(m, 0)),
    );
    row(
        format!(
            "Memoria con {} clientes inactivos (MB)",
            es(plan.idle_clients as f64, 0)
        ),
        &|f| {
            f.idle_mb.map(|m| {
                format!(
                    "{} (+{})",
                    es(m, 0),
                    es(m - f.idle_base_mb.unwrap_or(0.0), 0)
                )
            })
        },
    );

    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let col = 22;
    print!("{:width$}", "");
    for (target, _) in results {
        print!("  {:>col$}", target.label());
    }
    println!();
    for (label, cells) in &rows {
        print!("{label:width$}");
        for c in cells {
            print!("  {c:>col$}");
        }
        println!();
    }
    for (target, figures) in results {
        if let Err(err) = figures {
            println!("{}: error: {err:#}", target.label());
        }
    }

    // The targets, for each Campo backend against the Node server.
    let node = results
        .iter()
        .find(|(t, _)| *t == Target::Node)
        .and_then(|(_, f)| f.as_ref().ok());
    println!();
    for (target, figures) in results {
        let (Target::CampoSqlite | Target::CampoPostgres, Ok(f)) = (target, figures) else {
            continue;
        };
        println!("Objetivos, {}:", target.label());
        let at = |i: usize| f.per_change.get(i).map(|p| p.1).unwrap_or(f64::NAN);
        let check = |ok: bool| if ok { "cumple" } else { "NO cumple" };
        if let Some(n) = node {
            let node_cpu = n.per_change.get(2).map(|p| p.1).unwrap_or(f64::NAN);
            println!(
                "  CPU por cambio con {} docs ≥10× menor que Node: {} ({}× menor)",
                es(plan.large as f64, 0),
                check(node_cpu / at(2) >= 10.0),
                es(node_cpu / at(2), 1)
            );
            let (mine, theirs) = (
                f.rss_large_mb.unwrap_or(f64::NAN),
                n.rss_large_mb.unwrap_or(f64::NAN),
            );
            println!(
                "  memoria ≤ ¼ de la de Node: {} ({} MB frente a {} MB)",
                check(mine * 4.0 <= theirs),
                es(mine, 0),
                es(theirs, 0)
            );
        }
        println!(
            "  CPU por cambio con {} docs a menos de 20 % de la de 0 docs: {} ({} ms frente a {} ms)",
            es(plan.large as f64, 0),
            check(at(2) <= at(0) * 1.2),
            es(at(2), 2),
            es(at(0), 2)
        );
        let p99 = f.per_change.iter().map(|p| p.3).fold(0.0, f64::max);
        println!(
            "  latencia p99 < 20 ms: {} (máxima p99 {} ms)",
            check(p99 < 20.0),
            es(p99, 1)
        );
        let idle = f.idle_mb.unwrap_or(f64::NAN);
        println!(
            "  {} clientes inactivos < 150 MB: {} ({} MB)",
            es(plan.idle_clients as f64, 0),
            check(idle < 150.0),
            es(idle, 0)
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mut targets: Vec<Target> = args
        .iter()
        .filter_map(|a| match a.as_str() {
            "campo-sqlite" => Some(Target::CampoSqlite),
            "campo-postgres" => Some(Target::CampoPostgres),
            "node" => Some(Target::Node),
            _ => None,
        })
        .collect();
    if targets.is_empty() {
        targets = vec![Target::CampoSqlite, Target::CampoPostgres, Target::Node];
    }
    let plan = if quick {
        Plan {
            targets,
            small: 100,
            large: 1_000,
            changes: 40,
            idle_clients: 1_000,
        }
    } else {
        Plan {
            targets,
            small: 1_000,
            large: 10_000,
            changes: 200,
            idle_clients: 10_000,
        }
    };
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "Sincronización: Campo ({}) frente al servidor de Node de automerge-repo 2.5.6, \
         en esta máquina ({cores} núcleos). Límites de Campo: los valores por defecto.",
        campo_bin().display()
    );
    let mut results = Vec::new();
    for target in plan.targets.clone() {
        let figures = run_target(target, &plan).await;
        if let Err(err) = &figures {
            eprintln!("[{}] error: {err:#}", target.label());
        }
        results.push((target, figures));
    }
    println!();
    report(&plan, &results);
    Ok(())
}
