//! Faults of a deployment of several replicas, with real processes: PostgreSQL stopped and
//! started again under phones that keep writing (a throwaway cluster of the test's own, never the
//! machine's), a network partition between one replica and PostgreSQL (a TCP proxy the test cuts,
//! with HAProxy in front of the replicas) and HAProxy reloaded while phones sync through it. What
//! a user would notice is asserted: what was not stored is not acknowledged and stays on the
//! phone, `/healthz` says so, and once the fault is gone every change is stored and acknowledged,
//! exactly once, without restarting any replica.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use campo_shared::ids::CommentId;
use campo_shared::schema::{Comment, append_comment};
use campo_tests::pg_cluster::PgCluster;
use campo_tests::phone::Phone;
use campo_tests::replicas::{
    EDIT_DEADLINE, Haproxy, Ledger, Replica, comments, holds_exactly, keep_writing,
    serves_everything, triage_and_assign, user_id, wait_health, wait_healthy,
};
use campo_tests::tcp_proxy::TcpProxy;
use campo_tests::ticket::now_ms;
use campo_tests::{Backend, Client, DEMO_PASSWORD, TestDb, run_cli};
use serde_json::json;
use tokio::task::JoinHandle;

/// The demo official files a request through `on` and the coordinator assigns it to `tecnico`;
/// the case's id.
async fn assigned_case(on: &str, n: usize, tecnico: &str) -> String {
    let official = Client::new(on.to_owned());
    official.login("mlopez", DEMO_PASSWORD).await.unwrap();
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": format!("El equipo {n} no enciende."),
                    "category": "Hardware", "location": format!("Piso {n}")}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let coordinator = Client::new(on.to_owned());
    coordinator
        .login("coordinador", DEMO_PASSWORD)
        .await
        .unwrap();
    let worker = Client::new(on.to_owned());
    worker.login(tecnico, DEMO_PASSWORD).await.unwrap();
    let worker_id = user_id(&worker).await;
    triage_and_assign(&coordinator, &id, &worker_id).await;
    id
}

/// Phones writing on cases until `stop`.
struct Writers {
    stop: Arc<AtomicBool>,
    ledger: Arc<Ledger>,
    phones: Vec<(usize, JoinHandle<(Phone, Client)>)>,
}

impl Writers {
    fn new() -> Self {
        Self {
            stop: Arc::new(AtomicBool::new(false)),
            ledger: Arc::new(Ledger::default()),
            phones: Vec::new(),
        }
    }

    /// A phone of `username` writing on case `case` (id `id`) through `base`.
    async fn add(&mut self, base: &str, username: &str, case: usize, id: &str) {
        let client = Client::new(base.to_owned());
        client.login(username, DEMO_PASSWORD).await.unwrap();
        let author = user_id(&client).await;
        let task = tokio::spawn(keep_writing(
            client,
            case,
            id.to_owned(),
            author,
            format!("{username}-{case}-{}", self.phones.len()),
            self.stop.clone(),
            self.ledger.clone(),
        ));
        self.phones.push((case, task));
    }

    /// Stops the phones; each of them then holds exactly the acknowledged comments of its case,
    /// with `others` (acknowledged comments of other phones).
    async fn finish(self, others: &[(usize, &str)]) -> Vec<(usize, String)> {
        self.stop.store(true, Ordering::Relaxed);
        let mut finished = Vec::new();
        for (case, task) in self.phones {
            finished.push((case, task.await.expect("a phone failed")));
        }
        let mut acknowledged = self.ledger.acknowledged();
        acknowledged.extend(
            others
                .iter()
                .map(|(case, text)| (*case, (*text).to_owned())),
        );
        self.ledger.print_reconnects();
        for (case, (mut phone, client)) in finished {
            holds_exactly(&mut phone, &client, case, &acknowledged).await;
        }
        acknowledged
    }
}

/// A comment by `author` on `phone`, with the phone's deadline for an acknowledgement.
async fn comment(phone: &mut Phone, author: &str, text: &str) -> anyhow::Result<()> {
    let comment = Comment {
        id: CommentId::new(),
        author: author.to_owned(),
        at: now_ms(),
        text: text.to_owned(),
    };
    let edit = phone.edit(|tx| append_comment(tx, &comment).map_err(|e| e.to_string()));
    tokio::time::timeout(EDIT_DEADLINE, edit)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no acknowledgement in time")))
}

/// Reconnects `phone` to `client`'s server until it takes the phone's unacknowledged work.
async fn reconnect(phone: &mut Phone, client: &Client) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while !matches!(
            tokio::time::timeout(EDIT_DEADLINE, phone.reconnect(client)).await,
            Ok(Ok(()))
        ) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the replica took the phone back before the deadline");
}

/// Reads a board stream until `done(all text so far)`; the text.
async fn read_stream(stream: &mut reqwest::Response, done: impl Fn(&str) -> bool) -> String {
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while !done(&seen) {
            let chunk = stream.chunk().await.unwrap().expect("stream open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the stream did not say it in 30 s: {seen}"));
    seen
}

/// What `stream` says within `wait` (nothing, if it says nothing meanwhile).
async fn read_for(stream: &mut reqwest::Response, wait: Duration) -> String {
    let mut seen = String::new();
    let _ = tokio::time::timeout(wait, async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    seen
}

async fn board_stream(client: &Client) -> reqwest::Response {
    let stream = client
        .http()
        .get(client.url("/api/board/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// PostgreSQL stops under two replicas while técnicos write from their phones, and starts again a
/// while later. Meanwhile nothing is acknowledged, the phones keep their comments and `/healthz`
/// says the database does not answer; afterwards every comment is stored and acknowledged, a
/// change on one replica reaches a phone and a board on the other again (the change feed listens
/// again), and no replica was restarted.
async fn replicas_recover_when_postgresql_comes_back() {
    let cluster = PgCluster::start().expect("a PostgreSQL cluster of the test's own");
    let db = cluster.database().await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let a = Replica::start(&db, "campo1").await;
    let b = Replica::start(&db, "campo2").await;
    let (pid_a, pid_b) = (a.pid(), b.pid());
    let cases = [
        assigned_case(&a.base, 1, "tecnico1").await,
        assigned_case(&a.base, 2, "tecnico2").await,
        assigned_case(&a.base, 3, "tecnico1").await,
    ];

    // A técnico's phone on each replica and the coordinator's on the other, each case on both.
    let mut writers = Writers::new();
    writers.add(&a.base, "tecnico1", 0, &cases[0]).await;
    writers.add(&b.base, "coordinador", 0, &cases[0]).await;
    writers.add(&b.base, "tecnico2", 1, &cases[1]).await;
    writers.add(&a.base, "coordinador", 1, &cases[1]).await;
    writers
        .ledger
        .wait_for_more(0, 20, "before the outage")
        .await;

    // A técnico's phone on A and a coordinator's board on B, on a third case, outside the burst
    // (whose failures close every connection to the first two cases).
    let on_a = Client::new(a.base.clone());
    on_a.login("tecnico1", DEMO_PASSWORD).await.unwrap();
    let tecnico_id = user_id(&on_a).await;
    let on_b = Client::new(b.base.clone());
    on_b.login("coordinador", DEMO_PASSWORD).await.unwrap();
    let mut phone_a = Phone::open(&on_a, &cases[2]).await.expect("open on A");
    let mut board_b = board_stream(&on_b).await;

    // PostgreSQL stops.
    cluster.stop().expect("pg_ctl stop");
    for replica in [&a, &b] {
        let body = wait_health(&replica.base, 503).await;
        assert_eq!(
            body["error"]["code"], "base_de_datos_no_responde",
            "{}: {body}",
            replica.name
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("La base de datos no responde")),
            "{body}"
        );
    }
    // A comment written now is not acknowledged: the replica says why and closes; the phone
    // keeps it.
    let refused = comment(&mut phone_a, &tecnico_id, "Escrito sin base de datos").await;
    let why = refused
        .expect_err("acknowledged without a database")
        .to_string();
    assert!(
        why.contains("El servidor no pudo guardar los cambios"),
        "the phone hears why: {why}"
    );
    assert!(comments(&phone_a.doc).contains(&"Escrito sin base de datos".to_owned()));
    let during = writers.ledger.count();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        writers.ledger.count(),
        during,
        "a comment was acknowledged while PostgreSQL was stopped"
    );

    // PostgreSQL is back. The same processes answer again.
    cluster.start_again().expect("pg_ctl start");
    wait_healthy(&a.base).await;
    wait_healthy(&b.base).await;
    assert_eq!((a.pid(), b.pid()), (pid_a, pid_b), "no replica restarted");
    writers
        .ledger
        .wait_for_more(during, 20, "after PostgreSQL came back")
        .await;

    // The phone sends what it kept, and it is stored; a phone on B gets it (at once if B's feed
    // listened when A stored it; else when the feed listens again and B reads the store again,
    // if B still had the case in memory from before the outage).
    reconnect(&mut phone_a, &on_a).await;
    let mut phone_b = Phone::open(&on_b, &cases[2]).await.expect("open on B");
    tokio::time::timeout(
        Duration::from_secs(20),
        phone_b.wait_for(|doc| comments(doc).contains(&"Escrito sin base de datos".to_owned())),
    )
    .await
    .expect("the comment kept on the phone during the outage reaches the phone on B")
    .unwrap();

    // A comment made on A now reaches the phone on B (through the feed, or when B's feed listens
    // again and B reads the store again).
    comment(
        &mut phone_a,
        &tecnico_id,
        "Escrito con la base de datos de vuelta",
    )
    .await
    .expect("acknowledged");
    tokio::time::timeout(
        Duration::from_secs(20),
        phone_b.wait_for(|doc| {
            comments(doc).contains(&"Escrito con la base de datos de vuelta".to_owned())
        }),
    )
    .await
    .expect("the comment made on A reaches the phone on B")
    .unwrap();
    // The board on B was told to read its snapshot again (the feed had a gap), then goes on: a
    // comment made on A after that reaches it as the case's new row. B's feed may listen again
    // only after the comments above (its snapshot then has them), so the técnico comments until
    // one reaches the board.
    let mut on_board = Vec::new();
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while !(seen.contains("event: reset")
            && seen
                .split("event: reset")
                .last()
                .unwrap()
                .contains(&cases[2]))
        {
            let text = format!("Revisado desde el tablero {}", on_board.len() + 1);
            comment(&mut phone_a, &tecnico_id, &text)
                .await
                .expect("acknowledged");
            on_board.push(text);
            seen.push_str(&read_for(&mut board_b, Duration::from_secs(3)).await);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the board on B did not go on after the outage: {seen}"));
    assert!(seen.contains("event: ticket"), "{seen}");

    // Every acknowledged comment is stored once, and both replicas serve all of them.
    let acknowledged = writers
        .finish(
            &[
                vec![
                    (2, "Escrito sin base de datos"),
                    (2, "Escrito con la base de datos de vuelta"),
                ],
                on_board.iter().map(|text| (2, text.as_str())).collect(),
            ]
            .concat(),
        )
        .await;
    for replica in [&a, &b] {
        serves_everything(&replica.name, &replica.base, &cases, &acknowledged).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// The network between one replica and PostgreSQL is cut (a TCP proxy in between drops its
/// connections and refuses new ones) while phones sync through HAProxy: that replica
/// acknowledges nothing, its `/healthz` answers 503, HAProxy takes it out and the phones go on
/// through the others. The network heals: it comes back into rotation and serves everything
/// written meanwhile.
async fn a_replica_cut_from_postgresql_is_drained_and_comes_back() {
    let db = TestDb::new(Backend::Postgres).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let postgres: SocketAddr = {
        let host = db.url.split('@').nth(1).unwrap().split('/').next().unwrap();
        tokio::net::lookup_host(host).await.unwrap().next().unwrap()
    };
    let proxy = TcpProxy::start(postgres).expect("the proxy listens");
    let (head, name) = db.url.rsplit_once('/').unwrap();
    let (scheme_user, _) = head.rsplit_once('@').unwrap();
    let behind = db.reached_at(format!("{scheme_user}@127.0.0.1:{}/{name}", proxy.port));

    let mut replicas = vec![
        Replica::start(&db, "campo1").await,
        Replica::start(&db, "campo2").await,
        Replica::start(&behind, "campo3").await,
    ];
    let haproxy = Haproxy::start(&replicas).await;
    let cases = [
        assigned_case(&haproxy.base, 1, "tecnico1").await,
        assigned_case(&haproxy.base, 2, "tecnico2").await,
        assigned_case(&haproxy.base, 3, "tecnico3").await,
    ];
    let mut writers = Writers::new();
    for (case, id) in cases.iter().enumerate() {
        writers
            .add(&haproxy.base, &format!("tecnico{}", case + 1), case, id)
            .await;
        writers.add(&haproxy.base, "coordinador", case, id).await;
    }
    writers.ledger.wait_for_more(0, 30, "before the cut").await;
    let cut_off = replicas.pop().unwrap();
    assert!(
        cut_off.phones().await > 0,
        "HAProxy sent no phone to the replica about to be cut off"
    );

    // A técnico's phone on the replica itself, not through HAProxy.
    let direct = Client::new(cut_off.base.clone());
    direct.login("tecnico1", DEMO_PASSWORD).await.unwrap();
    let tecnico_id = user_id(&direct).await;
    let mut phone = Phone::open(&direct, &cases[0]).await.expect("open");

    proxy.cut();
    let body = wait_health(&cut_off.base, 503).await;
    assert_eq!(body["error"]["code"], "base_de_datos_no_responde", "{body}");
    haproxy.wait_server("campo3", "DOWN").await;
    let refused = comment(&mut phone, &tecnico_id, "Escrito durante el corte").await;
    assert!(refused.is_err(), "acknowledged without a database");
    assert!(comments(&phone.doc).contains(&"Escrito durante el corte".to_owned()));
    // The phones that were on it went on through the other two.
    let before = writers.ledger.count();
    writers
        .ledger
        .wait_for_more(before, 30, "while a replica was cut off")
        .await;
    for replica in &replicas {
        assert_eq!(haproxy.server_status(&replica.name).await, "UP");
    }

    // The network heals: the same process is healthy again, back in rotation, and serves
    // everything written meanwhile, the phone's comment too once it reconnects.
    proxy.heal().unwrap();
    wait_healthy(&cut_off.base).await;
    haproxy.wait_server("campo3", "UP").await;
    reconnect(&mut phone, &direct).await;
    // HAProxy sends it new phones again.
    let held = cut_off.phones().await;
    let mut newcomers = Vec::new();
    while cut_off.phones().await <= held {
        assert!(
            newcomers.len() < 6,
            "HAProxy sent none of six new phones to the replica that came back"
        );
        let newcomer = Client::new(haproxy.base.clone());
        newcomer.login("tecnico2", DEMO_PASSWORD).await.unwrap();
        newcomers.push(Phone::open(&newcomer, &cases[1]).await.expect("open"));
    }
    let acknowledged = writers.finish(&[(0, "Escrito durante el corte")]).await;
    serves_everything(&cut_off.name, &cut_off.base, &cases, &acknowledged).await;
    for replica in &replicas {
        serves_everything(&replica.name, &replica.base, &cases, &acknowledged).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// HAProxy is reloaded (`systemctl reload haproxy`: a new worker, the old one finishing its
/// connections) twice while phones sync through it and a board watches: the phones see at most a
/// reconnect, nothing acknowledged is lost, and the board stream, reopened through the new
/// worker, goes on.
async fn reloading_haproxy_loses_nothing() {
    let db = TestDb::new(Backend::Postgres).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let replicas = vec![
        Replica::start(&db, "campo1").await,
        Replica::start(&db, "campo2").await,
    ];
    let haproxy = Haproxy::start(&replicas).await;
    let cases = [
        assigned_case(&haproxy.base, 1, "tecnico1").await,
        assigned_case(&haproxy.base, 2, "tecnico2").await,
    ];
    let mut writers = Writers::new();
    for (case, id) in cases.iter().enumerate() {
        writers
            .add(&haproxy.base, &format!("tecnico{}", case + 1), case, id)
            .await;
        writers.add(&haproxy.base, "coordinador", case, id).await;
    }
    writers
        .ledger
        .wait_for_more(0, 20, "before the reload")
        .await;
    let coordinator = Client::new(haproxy.base.clone());
    coordinator
        .login("coordinador", DEMO_PASSWORD)
        .await
        .unwrap();

    for round in 0..2 {
        let before = writers.ledger.count();
        haproxy.reload().await;
        writers
            .ledger
            .wait_for_more(before, 20, &format!("after reload {round}"))
            .await;
    }
    // The board, through the new worker, hears of the phones' work.
    let mut board = board_stream(&coordinator).await;
    let seen = read_stream(&mut board, |s| {
        cases.iter().all(|id| s.contains(id)) && s.ends_with("\n\n")
    })
    .await;
    assert!(seen.contains("event: ticket"), "{seen}");

    let acknowledged = writers.finish(&[]).await;
    for replica in &replicas {
        serves_everything(&replica.name, &replica.base, &cases, &acknowledged).await;
    }
}
