//! Three `campo serve` replicas on one PostgreSQL behind a real HAProxy configured from
//! `deploy/haproxy.cfg`: three técnicos and the coordinator keep writing on three cases from
//! their phones, through HAProxy, while two replicas die (SIGKILL) and later while all three are
//! restarted one after the other (SIGTERM). A phone whose connection breaks reconnects through
//! HAProxy and sends again what the server never acknowledged, as the PWA does. What a user
//! would notice is asserted: every acknowledged comment is kept, exactly once, every replica
//! serves it (a killed one too, once restarted), and the two phones of each case end up with
//! the same comments. Reconnect times are printed, not asserted.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use campo_shared::ids::CommentId;
use campo_shared::schema::{Comment, TicketDoc, append_comment};
use campo_tests::phone::Phone;
use campo_tests::ticket::now_ms;
use campo_tests::{Backend, Client, DEMO_PASSWORD, TempDir, TestDb, run_cli, spawn_campo};
use serde_json::json;
use tokio::process::{Child, Command};

/// The file an operator installs; the test runs HAProxy with it, changed only where it must be.
const TEMPLATE: &str = include_str!("../../../deploy/haproxy.cfg");

/// How long an edit may wait for its acknowledgement before the phone calls the connection lost.
const EDIT_DEADLINE: Duration = Duration::from_secs(15);

/// How long a phone may stay without a server before the test fails: a user would give up.
const RECONNECT_DEADLINE: Duration = Duration::from_secs(60);

const METRICS_TOKEN: &str = "token-de-metricas-de-prueba";

fn comments(doc: &automerge::Automerge) -> Vec<String> {
    TicketDoc::hydrate_from(doc)
        .map(|t| t.comments.into_iter().map(|c| c.text).collect())
        .unwrap_or_default()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `GET {base}/healthz` answers 200.
async fn wait_healthy(base: &str) {
    let http = reqwest::Client::new();
    let url = format!("{base}/healthz");
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(reply) = http.get(&url).send().await
                && reply.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{url} never answered 200"));
}

/// One `campo serve` on a fixed port, so that HAProxy finds it again after a restart.
struct Replica {
    name: String,
    port: u16,
    base: String,
    child: Option<Child>,
}

impl Replica {
    async fn start(db: &TestDb, name: &str) -> Self {
        let mut replica = Self {
            name: name.to_owned(),
            port: free_port(),
            base: String::new(),
            child: None,
        };
        replica.run(db).await;
        replica
    }

    async fn run(&mut self, db: &TestDb) {
        let listen = format!("127.0.0.1:{}", self.port);
        // As deploy/haproxy.cfg says: HAProxy, on this machine, is the trusted proxy.
        let env = [
            ("CAMPO_TRUSTED_PROXIES".to_owned(), "127.0.0.1".to_owned()),
            ("CAMPO_METRICS_TOKEN".to_owned(), METRICS_TOKEN.to_owned()),
        ];
        let (child, base) = spawn_campo(db, &["--listen", &listen], &env)
            .await
            .expect("campo serve");
        self.child = Some(child);
        self.base = base;
        wait_healthy(&self.base).await;
    }

    /// SIGKILL: the replica dies at once, whatever it was doing.
    async fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }

    /// SIGTERM, as `systemctl stop` sends it: the replica closes its connections and stops.
    async fn stop(&mut self) {
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

    /// How many phones are connected to it (`campo_sync_connections` of its /metrics).
    async fn phones(&self) -> u64 {
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

/// HAProxy in the foreground (`-db`), killed with the test.
struct Haproxy {
    _child: Child,
    _dir: TempDir,
    base: String,
}

impl Haproxy {
    async fn start(replicas: &[Replica]) -> Self {
        let port = free_port();
        let dir = TempDir::new();
        std::fs::create_dir_all(dir.path()).unwrap();
        let cfg: PathBuf = dir.path().join("haproxy.cfg");
        std::fs::write(&cfg, test_config(port, replicas)).unwrap();
        let child = Command::new("haproxy")
            .arg("-f")
            .arg(&cfg)
            .arg("-db")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("haproxy (Debian's haproxy package; .ci/test installs it)");
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&base).await;
        Self {
            _child: child,
            _dir: dir,
            base,
        }
    }
}

/// `deploy/haproxy.cfg` with the test's ports and faster health checks, and a `global` section
/// of its own (no chroot, user or syslog). Fails when the template no longer has the lines this
/// replaces, so that a change there is looked at here too.
fn test_config(port: u16, replicas: &[Replica]) -> String {
    let changed = "deploy/haproxy.cfg changed: update tests/tests/api/failover.rs";
    for needed in [
        "balance leastconn",
        "option forwardfor",
        "option httpchk",
        "http-check send meth GET uri /healthz",
        "http-check expect status 200",
        "timeout tunnel 1h",
        "option redispatch",
    ] {
        assert!(TEMPLATE.contains(needed), "{changed} (no `{needed}`)");
    }
    let (_, rest) = TEMPLATE
        .split_once("\ndefaults\n")
        .unwrap_or_else(|| panic!("{changed} (no `defaults` section)"));
    // No `log` target: HAProxy warns that `option httplog` has nowhere to go, and prints the
    // replicas going down and up on its standard error anyway.
    let mut out = String::from("global\n\tmaxconn 1000\n\ndefaults\n");
    let (mut bind, mut checks, mut servers) = (0, 0, 0);
    for line in rest.lines() {
        match line.trim() {
            "bind 127.0.0.1:8080" => {
                bind += 1;
                out.push_str(&format!("\tbind 127.0.0.1:{port}\n"));
            }
            "default-server inter 2s fall 2 rise 2 on-marked-down shutdown-sessions" => {
                checks += 1;
                // Checked every 200 ms, back after one success: the test does not wait seconds.
                out.push_str(
                    "\tdefault-server inter 200ms fall 2 rise 1 on-marked-down shutdown-sessions\n",
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
struct Ledger {
    /// (case, comment) for every acknowledged comment.
    acknowledged: Mutex<Vec<(usize, String)>>,
    /// (phone, why the connection was lost, time from noticing it to the acknowledgement).
    reconnects: Mutex<Vec<(String, String, Duration)>>,
}

impl Ledger {
    fn acknowledged(&self) -> Vec<(usize, String)> {
        self.acknowledged.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// Waits until `more` comments beyond `from` are acknowledged: the phones keep working.
    async fn wait_for_more(&self, from: usize, more: usize, what: &str) {
        tokio::time::timeout(RECONNECT_DEADLINE, async {
            while self.count() < from + more {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("the phones stopped being acknowledged {what}"));
    }
}

/// One phone writing comments on case `case` until `stop`: each comment, once acknowledged, goes
/// in the ledger; a lost connection is reopened through HAProxy, keeping the unacknowledged
/// comment in the phone's document, which the new connection sends. Returns the phone.
async fn keep_writing(
    client: Client,
    case: usize,
    id: String,
    author: String,
    label: String,
    stop: Arc<AtomicBool>,
    ledger: Arc<Ledger>,
) -> Phone {
    let mut phone = Phone::open(&client, &id)
        .await
        .expect("the phone opens the case");
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
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
                match tokio::time::timeout(EDIT_DEADLINE, phone.reconnect(&client)).await {
                    Ok(Ok(())) => break,
                    _ if noticed.elapsed() > RECONNECT_DEADLINE => {
                        panic!("{label}: no replica took the phone back within a minute")
                    }
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
            ledger
                .reconnects
                .lock()
                .unwrap()
                .push((label.clone(), why, noticed.elapsed()));
        }
        ledger.acknowledged.lock().unwrap().push((case, text));
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    phone
}

/// A fresh phone of the coordinator on `replica` itself (not through HAProxy) holds every
/// comment of `acknowledged` on each case.
async fn serves_everything(replica: &Replica, cases: &[String], acknowledged: &[(usize, String)]) {
    let coordinator = Client::new(replica.base.clone());
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
            "{} lacks acknowledged comments of case {case}: {missing:?}",
            replica.name
        );
    }
}

async fn user_id(client: &Client) -> String {
    client.get("/api/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_keep_their_work_when_replicas_die_and_restart() {
    let db = TestDb::new(Backend::Postgres).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let mut replicas = Vec::new();
    for name in ["campo1", "campo2", "campo3"] {
        replicas.push(Replica::start(&db, name).await);
    }
    let haproxy = Haproxy::start(&replicas).await;
    let through = || Client::new(haproxy.base.clone());

    // The official files three requests; the coordinator assigns one to each técnico. All of it
    // through HAProxy, to whichever replica it picks: sessions live in the database.
    let official = through();
    official.login("mlopez", DEMO_PASSWORD).await.unwrap();
    let coordinator = through();
    coordinator
        .login("coordinador", DEMO_PASSWORD)
        .await
        .unwrap();
    let coordinator_id = user_id(&coordinator).await;
    let mut cases = Vec::new();
    let mut tecnicos = Vec::new();
    for (n, username) in ["tecnico1", "tecnico2", "tecnico3"].into_iter().enumerate() {
        let created = official
            .post(
                "/api/tickets",
                &json!({"description": format!("El equipo {n} no enciende."),
                        "category": "Hardware", "location": format!("Piso {n}")}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        let tecnico = through();
        tecnico.login(username, DEMO_PASSWORD).await.unwrap();
        let tecnico_id = user_id(&tecnico).await;
        for action in [
            json!({"action": "aceptada", "mode": "on_site"}),
            json!({"action": "priorizada", "priority": "media"}),
            json!({"action": "asignada", "assignee_id": tecnico_id}),
        ] {
            let reply = coordinator
                .post(&format!("/api/tickets/{id}/actions"), &action)
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
        }
        cases.push(id);
        tecnicos.push((username, tecnico, tecnico_id));
    }

    // Six phones: each técnico's on their case, the coordinator's on each case.
    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Ledger::default());
    let mut phones = Vec::new();
    for (case, (username, tecnico, tecnico_id)) in tecnicos.into_iter().enumerate() {
        for (client, author, label) in [
            (tecnico, tecnico_id, username.to_owned()),
            (
                coordinator.clone(),
                coordinator_id.clone(),
                format!("coordinador-{case}"),
            ),
        ] {
            let task = tokio::spawn(keep_writing(
                client,
                case,
                cases[case].clone(),
                author,
                label,
                stop.clone(),
                ledger.clone(),
            ));
            phones.push((case, task));
        }
    }
    ledger.wait_for_more(0, 30, "before any failure").await;

    // 1. Two replicas holding phones die in the middle of the burst. `balance leastconn` spread
    // the six phones over the three.
    let mut holding = Vec::new();
    for (n, replica) in replicas.iter().enumerate() {
        holding.push((replica.phones().await, n));
    }
    eprintln!("phones per replica before the kill (phones, replica): {holding:?}");
    assert!(
        holding.iter().all(|(phones, _)| *phones > 0),
        "HAProxy left a replica without phones: {holding:?}"
    );
    holding.sort();
    let killed: Vec<usize> = holding.iter().rev().take(2).map(|(_, n)| *n).collect();
    let before = ledger.count();
    let at = Instant::now();
    for &n in &killed {
        replicas[n].kill().await;
    }
    ledger
        .wait_for_more(before, 30, "after two replicas died")
        .await;
    eprintln!(
        "30 more comments acknowledged {} ms after the SIGKILL",
        at.elapsed().as_millis()
    );

    // The killed replicas come back on their ports and serve everything acknowledged so far.
    for &n in &killed {
        replicas[n].run(&db).await;
    }
    let acknowledged = ledger.acknowledged();
    for &n in &killed {
        serves_everything(&replicas[n], &cases, &acknowledged).await;
    }

    // 2. A rolling restart: each replica stopped (SIGTERM), started again, healthy, the next.
    for replica in &mut replicas {
        let before = ledger.count();
        let at = Instant::now();
        replica.stop().await;
        replica.run(&db).await;
        eprintln!(
            "{} restarted in {} ms",
            replica.name,
            at.elapsed().as_millis()
        );
        ledger
            .wait_for_more(before, 12, "during the rolling restart")
            .await;
    }

    // The end: every edit the phones made was acknowledged.
    stop.store(true, Ordering::Relaxed);
    let mut finished = Vec::new();
    for (case, task) in phones {
        finished.push((case, task.await.expect("a phone failed")));
    }
    let acknowledged = ledger.acknowledged();
    let reconnects = ledger.reconnects.lock().unwrap().clone();
    for (phone, why, took) in &reconnects {
        eprintln!("reconnect of {phone}: {} ms ({why})", took.as_millis());
    }
    let mut times: Vec<u128> = reconnects.iter().map(|r| r.2.as_millis()).collect();
    times.sort_unstable();
    if let (Some(min), Some(max)) = (times.first(), times.last()) {
        eprintln!(
            "{} comments acknowledged; {} reconnects: min {min} ms, median {} ms, max {max} ms",
            acknowledged.len(),
            times.len(),
            times[times.len() / 2]
        );
    }

    // Each case holds exactly the acknowledged comments, once each, on both of its phones (which
    // may be on different replicas: each gets the other's comments through the change feed).
    for (case, mut phone) in finished {
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
        let waited = tokio::time::timeout(Duration::from_secs(20), phone.wait_for(same)).await;
        let mut held = comments(&phone.doc);
        held.sort();
        assert!(
            matches!(waited, Ok(Ok(()))),
            "a phone of case {case} does not hold exactly the acknowledged comments \
             ({waited:?}):\nheld {held:?}\nexpected {expected:?}"
        );
    }

    // Every replica serves every acknowledged comment.
    for replica in &replicas {
        serves_everything(replica, &cases, &acknowledged).await;
    }
}
