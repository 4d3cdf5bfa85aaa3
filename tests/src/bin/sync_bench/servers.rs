//! The servers under measurement: `campo` (one replica, or several on one PostgreSQL) and the
//! Node sync server, started as child processes; their CPU time and memory from `/proc`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use campo_shared::role::Role;
use campo_tests::ticket::Author;
use campo_tests::{Backend, Client, DEMO_PASSWORD, TempDir, TestDb, spawn_campo};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::peer::open;
use crate::{SETTLE_WINDOW, STEP_TIMEOUT, Target};

/// One server process: the Node server, or one `campo serve` replica.
pub struct Replica {
    child: Child,
    pid: u32,
    /// Where HTTP requests go (`http://127.0.0.1:<port>`).
    pub base: String,
    pub ws_url: String,
    /// The demo coordinator, logged in (Campo only).
    pub client: Option<Client>,
    /// This replica's own data directory, as on its own machine (replicas after the first).
    _data_dir: Option<TempDir>,
}

impl Replica {
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
}

/// The server of one target: one process, or (`campo-postgres-3`) several replicas on one
/// PostgreSQL database.
pub struct ServerProc {
    pub target: Target,
    pub replicas: Vec<Replica>,
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
    pub async fn start(target: Target) -> anyhow::Result<Self> {
        match target {
            Target::Node => Self::start_node().await,
            Target::CampoSqlite => Self::start_campo(target, Backend::Sqlite, 1).await,
            Target::CampoPostgres => Self::start_campo(target, Backend::Postgres, 1).await,
            Target::CampoPostgres3 => Self::start_campo(target, Backend::Postgres, 3).await,
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
            replicas: vec![Replica {
                child,
                pid,
                base: format!("http://127.0.0.1:{port}"),
                ws_url: format!("ws://127.0.0.1:{port}/"),
                client: None,
                _data_dir: None,
            }],
            data_dir,
            db: None,
        };
        // It listens before its repository has attached the WebSocket adapter (that waits for
        // the storage id); until then a socket is accepted and dropped.
        let deadline = Instant::now() + Duration::from_secs(30);
        while open(
            server.replica(0),
            &format!("probe-{}", uuid::Uuid::new_v4().simple()),
        )
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

    /// Starts `replicas` Campo processes on one database; the first loads the demo, the others
    /// start once it has, each with its own data directory, as on separate machines.
    async fn start_campo(
        target: Target,
        backend: Backend,
        replicas: usize,
    ) -> anyhow::Result<Self> {
        let db = TestDb::new(backend).await;
        let mut started = Vec::with_capacity(replicas);
        for i in 0..replicas {
            // Every client of the benchmark is the same coordinator, thousands of sockets at
            // once; a real office has one account per person, each held to eight sockets.
            let mut env = vec![(
                "CAMPO_SYNC_SOCKETS_PER_USER".to_owned(),
                "100000".to_owned(),
            )];
            let (options, data_dir): (&[&str], _) = if i == 0 {
                (&["--demo"], None)
            } else {
                let dir = TempDir::new();
                env.push((
                    "CAMPO_DATA_DIR".to_owned(),
                    dir.path().display().to_string(),
                ));
                (&[], Some(dir))
            };
            let (child, base) = spawn_campo(&db, options, &env).await?;
            let pid = child.id().context("campo pid")?;
            let client = login(&base).await?;
            started.push(Replica {
                child,
                pid,
                ws_url: format!("{}/sync", base.replacen("http", "ws", 1)),
                base,
                client: Some(client),
                _data_dir: data_dir,
            });
        }
        Ok(Self {
            target,
            replicas: started,
            data_dir: TempDir::new(),
            db: Some(db),
        })
    }

    /// Replica `i`, counting round (the only one, for a single process).
    pub fn replica(&self, i: usize) -> &Replica {
        &self.replicas[i % self.replicas.len()]
    }

    /// Waits until the server has finished the work left over from earlier steps (after a push,
    /// the notification watcher still registers each new ticket's notice, and the Node server
    /// still writes its files): until it uses at most 2 % of a core over [`SETTLE_WINDOW`],
    /// twice in a row. Returns how long that took.
    pub async fn settle(&self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let mut quiet = 0;
        let mut before = self.cpu().await;
        while quiet < 2 {
            if started.elapsed() > STEP_TIMEOUT {
                bail!("the server was still busy after {STEP_TIMEOUT:?}");
            }
            tokio::time::sleep(SETTLE_WINDOW).await;
            let now = self.cpu().await;
            if now.since(&before).total() <= SETTLE_WINDOW.as_secs_f64() * 0.02 {
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
    pub async fn unloaded(&self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        if self.target == Target::Node {
            return Ok(Duration::ZERO);
        }
        let http = reqwest::Client::new();
        for replica in &self.replicas {
            let url = format!("{}/healthz", replica.base);
            loop {
                let health: serde_json::Value = http.get(&url).send().await?.json().await?;
                if health["documents_in_memory"] == 0 {
                    break;
                }
                if started.elapsed() > STEP_TIMEOUT {
                    bail!("documents still in memory after {STEP_TIMEOUT:?}: {health}");
                }
                tokio::time::sleep(SETTLE_WINDOW).await;
            }
        }
        Ok(started.elapsed())
    }

    /// The CPU time used so far by each process of the server (every replica and, on PostgreSQL,
    /// the database's processes).
    pub async fn cpu(&self) -> CpuTimes {
        let mut times: HashMap<u32, (Part, u64)> = self
            .replicas
            .iter()
            .map(|r| (r.pid, (Part::Campo, proc_ticks(r.pid))))
            .collect();
        if matches!(self.target, Target::CampoPostgres | Target::CampoPostgres3)
            && let Some(db) = &self.db
        {
            for (pid, part) in pg_backends(db).await {
                times.insert(pid, (part, proc_ticks(pid)));
            }
        }
        CpuTimes(times)
    }

    /// Resident memory of the server, summed over its replicas.
    pub fn rss_mb(&self) -> f64 {
        self.replicas.iter().map(Replica::rss_mb).sum()
    }

    /// Resident memory of replica `i` alone.
    pub fn replica_rss_mb(&self, i: usize) -> f64 {
        self.replica(i).rss_mb()
    }

    /// Documents the Node server has written to its data directory.
    pub fn node_stored(&self) -> usize {
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

    pub async fn stop(self) {
        for mut replica in self.replicas {
            let _ = std::process::Command::new("kill")
                .arg(replica.pid.to_string())
                .status();
            let _ = tokio::time::timeout(Duration::from_secs(20), replica.child.wait()).await;
            let _ = replica.child.kill().await;
        }
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

/// The processes of PostgreSQL on the database `db` names: those that serve Campo's connections
/// ([`Part::Backend`]) and the others, such as autovacuum's workers ([`Part::Maintenance`]).
async fn pg_backends(db: &TestDb) -> Vec<(u32, Part)> {
    use sqlx::Connection;
    let Some(name) = db.url.rsplit('/').next() else {
        return Vec::new();
    };
    let Ok(mut conn) = sqlx::PgConnection::connect(&db.url).await else {
        return Vec::new();
    };
    let rows: Vec<(i32, Option<String>)> = sqlx::query_as(
        "select pid, backend_type from pg_stat_activity
         where datname = $1 and pid <> pg_backend_pid()",
    )
    .bind(name)
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    let _ = conn.close().await;
    rows.into_iter()
        .map(|(pid, kind)| {
            let part = if kind.as_deref() == Some("client backend") {
                Part::Backend
            } else {
                Part::Maintenance
            };
            (pid as u32, part)
        })
        .collect()
}

/// What a server process is, for its CPU time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Part {
    /// A `campo` replica, or the Node server.
    Campo,
    /// A PostgreSQL process serving one of Campo's connections.
    Backend,
    /// A PostgreSQL process of its own upkeep on Campo's database (autovacuum).
    Maintenance,
}

/// The CPU clock ticks each server process has used, by process id, at one moment.
pub struct CpuTimes(HashMap<u32, (Part, u64)>);

/// CPU seconds used between two [`CpuTimes`].
#[derive(Debug, Default)]
pub struct CpuUse {
    /// The server's processes (`campo`, or the Node server).
    pub server: f64,
    /// The database's processes that serve them.
    pub backends: f64,
    /// The database's upkeep (autovacuum).
    pub maintenance: f64,
}

impl CpuUse {
    pub fn total(&self) -> f64 {
        self.server + self.backends + self.maintenance
    }
}

impl CpuTimes {
    /// The CPU used since `before`, process by process: a process that started meanwhile counts
    /// whole, and one that ended meanwhile counts nothing (its time is no longer readable).
    /// Summing totals instead would subtract the whole life of every process that ended.
    pub fn since(&self, before: &CpuTimes) -> CpuUse {
        let mut used = CpuUse::default();
        for (pid, (part, ticks)) in &self.0 {
            let earlier = before.0.get(pid).map_or(0, |(_, t)| *t);
            let seconds = ticks.saturating_sub(earlier) as f64 / clock_ticks() as f64;
            match part {
                Part::Maintenance => used.maintenance += seconds,
                Part::Campo => used.server += seconds,
                Part::Backend => used.backends += seconds,
            }
        }
        used
    }
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

pub async fn coordinator(server: &ServerProc) -> Author {
    if let Some(client) = &server.replica(0).client {
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
