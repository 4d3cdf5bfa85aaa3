//! Several `campo serve` replicas on one PostgreSQL behind a real HAProxy configured from
//! `deploy/haproxy.cfg`, and phones that keep writing through them: the harness of the failover
//! and fault stories (`tests/tests/api/failover.rs`, `faults.rs`).
//!
//! A phone whose connection breaks reconnects and sends again what the server never
//! acknowledged, as the PWA does; every acknowledged comment goes in a [`Ledger`], which the
//! stories compare with what every replica serves at the end.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use campo_shared::ids::CommentId;
use campo_shared::schema::{Comment, TicketDoc, append_comment};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use crate::phone::Phone;
use crate::ticket::now_ms;
use crate::{Client, DEMO_PASSWORD, TempDir, TestDb, free_port, spawn_campo};

/// The file an operator installs; the stories run HAProxy with it, changed only where they must.
const TEMPLATE: &str = include_str!("../../deploy/haproxy.cfg");

/// How long an edit may wait for its acknowledgement before the phone calls the connection lost.
pub const EDIT_DEADLINE: Duration = Duration::from_secs(15);

/// How long a phone may stay without a server before the story fails. A phone connected
/// straight to a replica cut from PostgreSQL waits for the cut to heal, which on a loaded
/// machine (the whole suite at once) can take over a minute.
pub const RECONNECT_DEADLINE: Duration = Duration::from_secs(180);

/// Comments one phone of [`keep_writing`] writes at most: two phones write on each case, and the
/// server refuses a case's 501st comment (`campo_shared::limits`), which a phone writing as fast
/// as it is acknowledged reached on a fast machine.
pub const COMMENTS_PER_PHONE: usize = 240;

/// The pause of a phone of [`keep_writing`] between two comments: four a second, so that its
/// [`COMMENTS_PER_PHONE`] last a minute of writing.
const PACE: Duration = Duration::from_millis(250);

/// The `/metrics` token every replica of these stories has.
pub const METRICS_TOKEN: &str = "token-de-metricas-de-prueba";

/// The comments of a ticket document, in its order.
pub fn comments(doc: &automerge::Automerge) -> Vec<String> {
    TicketDoc::hydrate_from(doc)
        .map(|t| t.comments.into_iter().map(|c| c.text).collect())
        .unwrap_or_default()
}

/// `GET {base}/healthz`: its status (0 when nothing answered) and body.
pub async fn healthz(base: &str) -> (u16, Value) {
    let http = reqwest::Client::new();
    match http.get(format!("{base}/healthz")).send().await {
        Ok(reply) => (
            reply.status().as_u16(),
            reply.json().await.unwrap_or_default(),
        ),
        Err(_) => (0, Value::Null),
    }
}

/// Waits (up to a minute) until `GET {base}/healthz` answers `status`; its body then.
pub async fn wait_health(base: &str, status: u16) -> Value {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let (now, body) = healthz(base).await;
            if now == status {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{base}/healthz never answered {status}"))
}

/// Waits until `GET {base}/healthz` answers 200.
pub async fn wait_healthy(base: &str) {
    wait_health(base, 200).await;
}

/// One `campo serve` on a fixed port, so that HAProxy finds it again after a restart.
pub struct Replica {
    pub name: String,
    pub port: u16,
    pub base: String,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Replica {
    pub async fn start(db: &TestDb, name: &str) -> Self {
        Self::start_with(db, name, &[]).await
    }

    /// Starts it with extra environment (kept for its restarts).
    pub async fn start_with(db: &TestDb, name: &str, env: &[(String, String)]) -> Self {
        // As deploy/haproxy.cfg says: HAProxy, on this machine, is the trusted proxy.
        let mut all = vec![
            ("CAMPO_TRUSTED_PROXIES".to_owned(), "127.0.0.1".to_owned()),
            ("CAMPO_METRICS_TOKEN".to_owned(), METRICS_TOKEN.to_owned()),
        ];
        all.extend_from_slice(env);
        let mut replica = Self {
            name: name.to_owned(),
            port: free_port(),
            base: String::new(),
            env: all,
            child: None,
        };
        replica.run(db).await;
        replica
    }

    /// Starts it again on its port and waits until it is healthy.
    pub async fn run(&mut self, db: &TestDb) {
        let listen = format!("127.0.0.1:{}", self.port);
        let (child, base) = spawn_campo(db, &["--listen", &listen], &self.env)
            .await
            .expect("campo serve");
        self.child = Some(child);
        self.base = base;
        wait_healthy(&self.base).await;
    }

    /// SIGKILL: the replica dies at once, whatever it was doing.
    pub async fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }

    /// SIGTERM, as `systemctl stop` sends it: the replica closes its connections and stops.
    pub async fn stop(&mut self) {
        let mut child = self.child.take().expect("running");
        let pid = child.id().expect("pid");
        std::process::Command::new("kill")
            .arg(pid.to_string())
            .status()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not stop within 30 s of SIGTERM", self.name))
            .unwrap();
    }

    /// The process id of the running replica.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// How many phones are connected to it (`campo_sync_connections` of its /metrics).
    pub async fn phones(&self) -> u64 {
        let text = reqwest::Client::new()
            .get(format!("{}/metrics", self.base))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix("campo_sync_connections "))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .expect("campo_sync_connections in /metrics") as u64
    }
}

/// HAProxy in master-worker mode in the foreground (`-W -db`, as Debian's systemd unit runs it
/// with `-Ws`), killed with the story. Its administration socket answers `show info` and `show
/// stat`.
pub struct Haproxy {
    child: Child,
    dir: TempDir,
    pub base: String,
}

impl Haproxy {
    pub async fn start(replicas: &[Replica]) -> Self {
        let port = free_port();
        let dir = TempDir::new();
        let cfg: PathBuf = dir.path().join("haproxy.cfg");
        let socket = dir.path().join("admin.sock");
        std::fs::write(&cfg, test_config(port, &socket, replicas)).unwrap();
        let child = Command::new("haproxy")
            .arg("-W")
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("haproxy (Debian's haproxy package; .ci/test installs it)");
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&base).await;
        Self { child, dir, base }
    }

    /// What `systemctl reload haproxy` does with Debian's unit: SIGUSR2 to the master, which
    /// starts a new worker with the configuration and lets the old one finish (see
    /// `hard-stop-after`). Returns once a new worker answers on the administration socket and the
    /// old one has exited (closing the connections it still had).
    pub async fn reload(&self) {
        let before = self.worker_pid().await;
        let master = self.child.id().expect("haproxy runs");
        let sent = std::process::Command::new("kill")
            .args(["-USR2", &master.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let now = self.worker_pid().await;
                if now.is_some() && now != before {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("a new HAProxy worker within 30 s of the reload");
        if let Some(old) = before {
            let gone = std::path::PathBuf::from(format!("/proc/{old}"));
            tokio::time::timeout(Duration::from_secs(30), async {
                while gone.exists() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
            .await
            .expect("the old HAProxy worker exits after hard-stop-after");
        }
    }

    /// The pid of the worker that answers the administration socket.
    pub async fn worker_pid(&self) -> Option<u32> {
        let info = self.admin("show info").await?;
        info.lines()
            .find_map(|line| line.strip_prefix("Pid: "))
            .and_then(|pid| pid.trim().parse().ok())
    }

    /// HAProxy's view of a server of the backend: `UP`, `DOWN`… (`show stat`).
    pub async fn server_status(&self, name: &str) -> String {
        let stat = self.admin("show stat").await.unwrap_or_default();
        stat.lines()
            .map(|line| line.split(',').collect::<Vec<_>>())
            .find(|fields| fields.len() > 17 && fields[0] == "campo" && fields[1] == name)
            .map(|fields| fields[17].to_owned())
            .unwrap_or_default()
    }

    /// Waits (up to a minute) until HAProxy says `status` (`UP`, `DOWN`) of the server `name`.
    pub async fn wait_server(&self, name: &str, status: &str) {
        tokio::time::timeout(Duration::from_secs(60), async {
            while !self.server_status(name).await.starts_with(status) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("HAProxy never marked {name} {status}"));
    }

    async fn admin(&self, command: &str) -> Option<String> {
        let mut socket = tokio::net::UnixStream::connect(self.dir.path().join("admin.sock"))
            .await
            .ok()?;
        socket
            .write_all(format!("{command}\n").as_bytes())
            .await
            .ok()?;
        let mut out = String::new();
        socket.read_to_string(&mut out).await.ok()?;
        Some(out)
    }
}

/// `deploy/haproxy.cfg` with the story's ports and faster health checks, and a `global` section
/// of its own (no chroot, user or syslog; an administration socket; old workers stop a second
/// after a reload). Fails when the template no longer has the lines this replaces, so that a
/// change there is looked at here too.
fn test_config(port: u16, socket: &std::path::Path, replicas: &[Replica]) -> String {
    let changed = "deploy/haproxy.cfg changed: update tests/src/replicas.rs";
    for needed in [
        "balance leastconn",
        "option forwardfor",
        "option httpchk",
        "http-check send meth GET uri /healthz",
        "http-check expect status 200",
        "timeout tunnel 1h",
        "option redispatch",
        "hard-stop-after",
    ] {
        assert!(TEMPLATE.contains(needed), "{changed} (no `{needed}`)");
    }
    let (_, rest) = TEMPLATE
        .split_once("\ndefaults\n")
        .unwrap_or_else(|| panic!("{changed} (no `defaults` section)"));
    // No `log` target: HAProxy warns that `option httplog` has nowhere to go, and prints the
    // replicas going down and up on its standard error anyway.
    let mut out = format!(
        "global\n\tmaxconn 1000\n\tstats socket {} mode 600 level admin\n\
         \thard-stop-after 1s\n\ndefaults\n",
        socket.display()
    );
    let (mut bind, mut checks, mut servers) = (0, 0, 0);
    for line in rest.lines() {
        match line.trim() {
            "bind 127.0.0.1:8080" => {
                bind += 1;
                out.push_str(&format!("\tbind 127.0.0.1:{port}\n"));
            }
            "default-server inter 2s fall 2 rise 2 on-marked-down shutdown-sessions" => {
                checks += 1;
                // Checked every 200 ms, back after one success: the story does not wait seconds.
                // A check may take up to 1 s (without `timeout check` it is the interval): on a
                // loaded machine a healthy replica's answer can take longer than 200 ms, and
                // taking it out would leave the phones nowhere to go.
                out.push_str(
                    "\tdefault-server inter 200ms fall 2 rise 1 on-marked-down shutdown-sessions\n\
                     \ttimeout check 1s\n",
                );
            }
            server if server.starts_with("server ") => {
                servers += 1;
                if servers == 1 {
                    for replica in replicas {
                        out.push_str(&format!(
                            "\tserver {} 127.0.0.1:{} check\n",
                            replica.name, replica.port
                        ));
                    }
                }
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    assert_eq!((bind, checks, servers), (1, 1, 3), "{changed}");
    out
}

/// What the phones were told the server stored, and how long their reconnects took.
#[derive(Default)]
pub struct Ledger {
    /// (case, comment) for every acknowledged comment.
    pub acknowledged: Mutex<Vec<(usize, String)>>,
    /// (phone, why the connection was lost, time from noticing it to the acknowledgement).
    pub reconnects: Mutex<Vec<(String, String, Duration)>>,
}

impl Ledger {
    pub fn acknowledged(&self) -> Vec<(usize, String)> {
        self.acknowledged.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// Waits until `more` comments beyond `from` are acknowledged: the phones keep working.
    pub async fn wait_for_more(&self, from: usize, more: usize, what: &str) {
        tokio::time::timeout(RECONNECT_DEADLINE, async {
            while self.count() < from + more {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the phones stopped being acknowledged {what} ({} comments so far; each phone \
                 writes at most {COMMENTS_PER_PHONE})",
                self.count()
            )
        });
    }

    /// Prints the reconnects and their times (printed, never asserted).
    pub fn print_reconnects(&self) {
        let reconnects = self.reconnects.lock().unwrap().clone();
        for (phone, why, took) in &reconnects {
            eprintln!("reconnect of {phone}: {} ms ({why})", took.as_millis());
        }
        let mut times: Vec<u128> = reconnects.iter().map(|r| r.2.as_millis()).collect();
        times.sort_unstable();
        if let (Some(min), Some(max)) = (times.first(), times.last()) {
            eprintln!(
                "{} comments acknowledged; {} reconnects: min {min} ms, median {} ms, max {max} ms",
                self.count(),
                times.len(),
                times[times.len() / 2]
            );
        }
    }
}

/// One phone writing comments on case `case` until `stop`: each comment, once acknowledged, goes
/// in the ledger; a lost connection is reopened through `client`'s server, keeping the
/// unacknowledged comment in the phone's document, which the new connection sends. Returns the
/// phone and its client.
pub async fn keep_writing(
    client: Client,
    case: usize,
    id: String,
    author: String,
    label: String,
    stop: Arc<AtomicBool>,
    ledger: Arc<Ledger>,
) -> (Phone, Client) {
    let mut phone = Phone::open(&client, &id)
        .await
        .expect("the phone opens the case");
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        if n == COMMENTS_PER_PHONE {
            // The case is nearly full: this phone only keeps its connection from now on.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        n += 1;
        let text = format!("{label} #{n}");
        let comment = Comment {
            id: CommentId::new(),
            author: author.clone(),
            at: now_ms(),
            text: text.clone(),
        };
        let edit = phone.edit(|tx| append_comment(tx, &comment).map_err(|e| e.to_string()));
        let lost = match tokio::time::timeout(EDIT_DEADLINE, edit).await {
            Ok(Ok(())) => None,
            Ok(Err(err)) => Some(err.to_string()),
            Err(_) => Some("no acknowledgement in time".to_owned()),
        };
        if let Some(why) = lost {
            let noticed = Instant::now();
            loop {
                let failed =
                    match tokio::time::timeout(EDIT_DEADLINE, phone.reconnect(&client)).await {
                        Ok(Ok(())) => break,
                        Ok(Err(err)) => err.to_string(),
                        Err(_) => "no answer in time".to_owned(),
                    };
                if noticed.elapsed() > RECONNECT_DEADLINE {
                    panic!(
                        "{label}: no replica took the phone back within three minutes \
                         (lost because: {why}; last reconnection: {failed})"
                    )
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            ledger
                .reconnects
                .lock()
                .unwrap()
                .push((label.clone(), why, noticed.elapsed()));
        }
        ledger.acknowledged.lock().unwrap().push((case, text));
        tokio::time::sleep(PACE).await;
    }
    (phone, client)
}

/// A fresh phone of the coordinator on `base` itself (a replica, not through HAProxy) holds every
/// comment of `acknowledged` on each case.
pub async fn serves_everything(
    name: &str,
    base: &str,
    cases: &[String],
    acknowledged: &[(usize, String)],
) {
    let coordinator = Client::new(base.to_owned());
    coordinator
        .login("coordinador", DEMO_PASSWORD)
        .await
        .unwrap();
    for (case, id) in cases.iter().enumerate() {
        let phone = Phone::open(&coordinator, id).await.expect("open the case");
        let held = comments(&phone.doc);
        let missing: Vec<&String> = acknowledged
            .iter()
            .filter(|(c, text)| *c == case && !held.contains(text))
            .map(|(_, text)| text)
            .collect();
        assert!(
            missing.is_empty(),
            "{name} lacks acknowledged comments of case {case}: {missing:?}"
        );
    }
}

/// Waits until `phone` holds exactly the acknowledged comments of `case`, once each; a phone
/// whose connection was lost after its last edit reconnects through `client`, as the PWA does.
pub async fn holds_exactly(
    phone: &mut Phone,
    client: &Client,
    case: usize,
    acknowledged: &[(usize, String)],
) {
    let mut expected: Vec<String> = acknowledged
        .iter()
        .filter(|(c, _)| *c == case)
        .map(|(_, text)| text.clone())
        .collect();
    expected.sort();
    let same = |doc: &automerge::Automerge| {
        let mut held = comments(doc);
        held.sort();
        held == expected
    };
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match phone.wait_for(same).await {
                Ok(()) => return Ok::<(), anyhow::Error>(()),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if let Err(err) = phone.reconnect(client).await {
                        eprintln!("a phone could not reconnect: {err}");
                    }
                }
            }
        }
    })
    .await;
    let mut held = comments(&phone.doc);
    held.sort();
    assert!(
        matches!(waited, Ok(Ok(()))),
        "a phone of case {case} does not hold exactly the acknowledged comments \
         ({waited:?}):\nheld {held:?}\nexpected {expected:?}"
    );
}

/// The id of `client`'s user.
pub async fn user_id(client: &Client) -> String {
    client.get("/api/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The coordinator signed in on `coordinator` accepts case `id` (on site), sets its priority and
/// assigns it to the user `tecnico_id`.
pub async fn triage_and_assign(coordinator: &Client, id: &str, tecnico_id: &str) {
    for action in [
        serde_json::json!({"action": "aceptada", "mode": "on_site"}),
        serde_json::json!({"action": "priorizada", "priority": "media"}),
        serde_json::json!({"action": "asignada", "assignee_id": tecnico_id}),
    ] {
        let reply = coordinator
            .post(&format!("/api/tickets/{id}/actions"), &action)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}
