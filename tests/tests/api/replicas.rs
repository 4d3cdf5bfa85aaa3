//! Two `campo serve` replicas on one PostgreSQL, each with its own data directory as on two
//! machines: a change accepted by one reaches the phones syncing the same case through the other,
//! and the other's board, through the change feed (PostgreSQL's LISTEN/NOTIFY; the changes
//! themselves are read from the store); a photo uploaded to one is served by the other
//! (`CAMPO_PHOTO_STORE=database`).

use std::time::{Duration, Instant};

use campo_shared::event_kind::EventKind;
use campo_shared::ids::CommentId;
use campo_shared::schema::{Comment, TicketDoc, append_comment};
use campo_tests::phone::Phone;
use campo_tests::replicas::{triage_and_assign, user_id};
use campo_tests::ticket::now_ms;
use campo_tests::{Backend, Client, DEMO_PASSWORD, TempDir, TestDb, run_cli, spawn_campo};
use serde_json::json;
use sha2::{Digest, Sha256};

fn comments(doc: &automerge::Automerge) -> Vec<String> {
    TicketDoc::hydrate_from(doc)
        .map(|t| t.comments.into_iter().map(|c| c.text).collect())
        .unwrap_or_default()
}

/// Two replicas on one PostgreSQL with the demo organisation, started with `env_a` and
/// `env_b`, and a coordinator signed in on each. The processes end when this is dropped.
struct TwoReplicas {
    db: TestDb,
    on_a: Client,
    on_b: Client,
    _a: tokio::process::Child,
    _b: tokio::process::Child,
}

async fn two_replicas(env_a: &[(String, String)], env_b: &[(String, String)]) -> TwoReplicas {
    let db = TestDb::new(Backend::Postgres).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let (a, base_a) = spawn_campo(&db, &[], env_a).await.unwrap();
    let (b, base_b) = spawn_campo(&db, &[], env_b).await.unwrap();
    let on_a = Client::new(base_a);
    let on_b = Client::new(base_b);
    on_a.login("coordinador", DEMO_PASSWORD).await.unwrap();
    on_b.login("coordinador", DEMO_PASSWORD).await.unwrap();
    TwoReplicas {
        db,
        on_a,
        on_b,
        _a: a,
        _b: b,
    }
}

/// The demo official files a request through `on`'s replica; the case's id.
async fn file_request(on: &Client, description: &str, category: &str, location: &str) -> String {
    let official = Client::new(on.url("").trim_end_matches('/').to_owned());
    official.login("mlopez", DEMO_PASSWORD).await.unwrap();
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": description, "category": category, "location": location}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_replica_reaches_the_other() {
    let (dir_a, dir_b) = (TempDir::new(), TempDir::new());
    let machine = |dir: &TempDir| {
        [
            (
                "CAMPO_DATA_DIR".to_owned(),
                dir.path().display().to_string(),
            ),
            ("CAMPO_PHOTO_STORE".to_owned(), "database".to_owned()),
        ]
    };
    let replicas = two_replicas(&machine(&dir_a), &machine(&dir_b)).await;
    let (on_a, on_b) = (&replicas.on_a, &replicas.on_b);
    // The official files the request on A.
    let id = file_request(on_a, "El monitor parpadea.", "Monitor", "Piso 4").await;

    // A coordinator's phone on each replica, both syncing the case.
    let mut phone_a = Phone::open(on_a, &id).await.expect("open on A");
    let mut phone_b = Phone::open(on_b, &id).await.expect("open on B");
    let mut board_b = on_b
        .http()
        .get(on_b.url("/api/board/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(board_b.status(), 200);

    // A comment from the phone on A reaches the phone on B.
    let coordinator_id = on_a.get("/api/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let comment = Comment {
        id: CommentId::new(),
        author: coordinator_id.clone(),
        at: now_ms(),
        text: "Voy en camino desde la réplica A.".into(),
    };
    let sent = Instant::now();
    phone_a
        .edit(|tx| append_comment(tx, &comment).map_err(|e| e.to_string()))
        .await
        .expect("stored on A");
    tokio::time::timeout(
        Duration::from_secs(10),
        phone_b.wait_for(|doc| comments(doc).iter().any(|c| c.contains("réplica A"))),
    )
    .await
    .expect("the comment reaches the phone on B")
    .unwrap();
    eprintln!("A → B: {} ms", sent.elapsed().as_millis());

    // B's board hears of it.
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = String::new();
        while !(seen.contains("event: ticket") && seen.contains(&id)) {
            let chunk = board_b.chunk().await.unwrap().expect("stream open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("B's board shows the change made on A");

    // A triage through B's REST API reaches the phone on A, and the two phones agree.
    let triaged = on_b
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "priorizada", "priority": "alta"}),
        )
        .await;
    assert_eq!(triaged.status, 200, "{}", triaged.body);
    tokio::time::timeout(
        Duration::from_secs(10),
        phone_a.wait_for(|doc| {
            TicketDoc::hydrate_from(doc)
                .is_ok_and(|t| t.events.iter().any(|e| e.kind == EventKind::Prioritized))
        }),
    )
    .await
    .expect("the triage reaches the phone on A")
    .unwrap();
    let mut heads_a = phone_a.doc.get_heads();
    heads_a.sort();
    tokio::time::timeout(
        Duration::from_secs(10),
        phone_b.wait_for(|doc| {
            let mut heads = doc.get_heads();
            heads.sort();
            heads == heads_a
        }),
    )
    .await
    .expect("both phones hold the same case")
    .unwrap();

    // A photo uploaded to A is served by B, which has no file of it.
    let photo = campo_tests::photo::phone_photo(7);
    let sha: String = Sha256::digest(&photo)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let put = on_a
        .http()
        .put(on_a.url(&format!("/api/blobs/{sha}")))
        .header("content-type", "image/jpeg")
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let from_a = on_a
        .http()
        .get(on_a.url(&format!("/api/blobs/{sha}")))
        .send()
        .await
        .unwrap();
    assert_eq!(from_a.status(), 200);
    let from_b = on_b
        .http()
        .get(on_b.url(&format!("/api/blobs/{sha}")))
        .send()
        .await
        .unwrap();
    assert_eq!(from_b.status(), 200);
    assert_eq!(from_a.bytes().await.unwrap(), from_b.bytes().await.unwrap());
    assert!(
        !dir_b.path().join("blobs").exists(),
        "B keeps no file of the photo"
    );

    // Both replicas serve the same case.
    let seen_a = on_a.get(&format!("/api/tickets/{id}")).await;
    let seen_b = on_b.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(seen_a.body["priority"], "alta", "{}", seen_a.body);
    assert_eq!(seen_b.body["priority"], "alta", "{}", seen_b.body);
}

/// 25 comments from `phone`, each waited for until stored.
async fn burst(phone: &mut Phone, author: &str, side: &str) {
    for n in 0..25 {
        let comment = Comment {
            id: CommentId::new(),
            author: author.to_owned(),
            at: now_ms(),
            text: format!("{side} {n}"),
        };
        phone
            .edit(|tx| append_comment(tx, &comment).map_err(|e| e.to_string()))
            .await
            .expect("stored");
    }
}

/// The heads a ticket's stored row was computed from (what the board and the lists show).
async fn row_heads(db: &TestDb, id: &str) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::query_scalar::<_, String>("select heads from tickets where id = $1")
        .bind(id)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// Phones on two replicas write the same case at the same time: each replica commits changes the
/// other has not read yet, writing the ticket's row from what it had. Once quiet, the row shows
/// every change: the board and the lists are not left with a case as one replica saw it.
async fn simultaneous_changes_on_two_replicas_leave_a_complete_row() {
    let replicas = two_replicas(&[], &[]).await;
    let (db, on_a, on_b) = (&replicas.db, &replicas.on_a, &replicas.on_b);
    let id = file_request(on_a, "La red se cae cada hora.", "Red", "Piso 1").await;
    let author = on_a.get("/api/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Three phones on each replica, all writing at once.
    let mut phones = Vec::new();
    for (n, client) in [&on_a, &on_b, &on_a, &on_b, &on_a, &on_b]
        .into_iter()
        .enumerate()
    {
        let phone = Phone::open(client, &id).await.expect("open the case");
        phones.push((phone, format!("teléfono {n}")));
    }
    futures_util::future::join_all(
        phones
            .iter_mut()
            .map(|(phone, name)| burst(phone, &author, name)),
    )
    .await;

    // Every phone ends with all 150 comments…
    for (phone, _) in &mut phones {
        tokio::time::timeout(
            Duration::from_secs(20),
            phone.wait_for(|doc| comments(doc).len() == 150),
        )
        .await
        .expect("every comment reaches every phone")
        .unwrap();
    }
    let mut heads: Vec<String> = phones[0]
        .0
        .doc
        .get_heads()
        .iter()
        .map(ToString::to_string)
        .collect();
    heads.sort();
    let expected = heads.join(",");
    // …and so does the ticket's row.
    let mut row = String::new();
    for _ in 0..100 {
        row = row_heads(db, &id).await;
        if row == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(row, expected, "the ticket's row misses changes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// A guesser spread over two replicas gets the budget of one: the failures made on A count on B.
async fn failed_logins_count_on_every_replica() {
    let replicas = two_replicas(&[], &[]).await;
    let base_a = replicas.on_a.url("").trim_end_matches('/').to_owned();
    let base_b = replicas.on_b.url("").trim_end_matches('/').to_owned();
    let login = |base: &str, password: &str| {
        let client = Client::new(base.to_owned());
        let password = password.to_owned();
        async move {
            client
                .send(
                    client
                        .http()
                        .post(client.url("/api/login"))
                        .json(&json!({"username": "tecnico1", "password": password})),
                )
                .await
        }
    };
    // Five wrong passwords on A: the free ones of an account from one address.
    for _ in 0..5 {
        assert_eq!(login(&base_a, "no-es-la-clave").await.status, 401);
    }
    // B makes the guesser wait at once: alone, it would let five more through and refuse only
    // the sixth. The notices take milliseconds; on a loaded machine, a little more, so B may
    // answer one or two attempts before it has counted A's five.
    let mut attempts = 0;
    let refused = loop {
        attempts += 1;
        let reply = login(&base_b, "no-es-la-clave").await;
        if reply.status == 429 || attempts == 5 {
            break reply;
        }
        assert_eq!(reply.status, 401, "{}", reply.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(
        attempts < 5,
        "B refused only after {attempts} attempts of its own"
    );
    assert!(refused.header("retry-after").is_some());
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        refused.body
    );
}

/// Reads a board stream until `done(all text so far)`; the text.
async fn read_stream(stream: &mut reqwest::Response, done: impl Fn(&str) -> bool) -> String {
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(15), async {
        while !done(&seen) {
            let chunk = stream.chunk().await.unwrap().expect("stream open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the stream did not say it in 15 s: {seen}"));
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// A coordinator's board loses its connection to replica A and the balancer sends it to replica B,
/// whose machine's clock is ten minutes behind (libfaketime): B resumes from the board's
/// `Last-Event-ID` with the change made meanwhile, without making it read the whole board again.
async fn a_board_resumes_on_another_replica_with_a_wrong_clock() {
    let behind = [
        (
            "LD_PRELOAD".to_owned(),
            "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1".to_owned(),
        ),
        ("FAKETIME".to_owned(), "-600s".to_owned()),
        ("FAKETIME_DONT_FAKE_MONOTONIC".to_owned(), "1".to_owned()),
    ];
    let replicas = two_replicas(&[], &behind).await;
    let (on_a, on_b) = (&replicas.on_a, &replicas.on_b);
    let clock_a = on_a.get("/api/board").await.body["now"].as_i64().unwrap();
    let clock_b = on_b.get("/api/board").await.body["now"].as_i64().unwrap();
    assert!(
        clock_a - clock_b > 590_000,
        "B's clock is ten minutes behind: {clock_a} vs {clock_b}"
    );

    // The board, on A, sees a new request.
    let mut stream = on_a
        .http()
        .get(on_a.url("/api/board/stream"))
        .send()
        .await
        .unwrap();
    let id = file_request(on_a, "El escáner atasca el papel.", "Impresora", "Piso 6").await;
    let seen = read_stream(&mut stream, |s| s.contains(&id) && s.ends_with("\n\n")).await;
    let last_id: u64 = seen
        .lines()
        .filter_map(|l| l.strip_prefix("id:"))
        .filter_map(|v| v.trim().parse().ok())
        .next_back()
        .expect("events carry ids");
    drop(stream);

    // Meanwhile, the case is triaged (on A).
    let triaged = on_a
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "priorizada", "priority": "alta"}),
        )
        .await;
    assert_eq!(triaged.status, 200, "{}", triaged.body);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The board comes back through B.
    let mut resumed = on_b
        .http()
        .get(on_b.url("/api/board/stream"))
        .header("last-event-id", last_id.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), 200);
    let replay = read_stream(&mut resumed, |s| {
        s.contains("event: reset") || (s.contains(&id) && s.contains("\"priority\":\"alta\""))
    })
    .await;
    assert!(
        !replay.contains("event: reset"),
        "B resumes instead of sending the board back to its snapshot: {replay}"
    );
}

/// Waits until `client`'s inbox holds a comment entry whose text contains `text`.
async fn comment_entry(client: &Client, text: &str) {
    for _ in 0..300 {
        let inbox = client.get("/api/notifications").await;
        assert_eq!(inbox.status, 200, "{}", inbox.body);
        let found = inbox.body.as_array().unwrap().iter().any(|n| {
            n["kind"] == "comentario" && n["body"].as_str().is_some_and(|b| b.contains(text))
        });
        if found {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let inbox = client.get("/api/notifications").await.body;
    panic!("no comment entry with «{text}» within 30 s: {inbox:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// A coordinator named on one replica gets the next comment on a case with no responsible
/// written through the other, although that one keeps the list of coordinators in memory: the
/// naming reaches it through the change feed.
async fn a_coordinator_named_on_one_replica_hears_the_others_comments() {
    let replicas = two_replicas(&[], &[]).await;
    let (on_a, on_b) = (&replicas.on_a, &replicas.on_b);
    let id = file_request(on_b, "El escáner no enciende.", "Escáner", "Piso 2").await;
    let official = Client::new(on_b.url("").trim_end_matches('/').to_owned());
    official.login("mlopez", DEMO_PASSWORD).await.unwrap();
    let coordinator_id = on_b.get("/api/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut phone = Phone::open(on_b, &id).await.expect("open on B");
    let say = |text: &str| Comment {
        id: CommentId::new(),
        author: coordinator_id.clone(),
        at: now_ms(),
        text: text.into(),
    };

    // B records the first comment's entries, reading who coordinates now.
    let first = say("Primera revisión: falta el cable de poder.");
    phone
        .edit(|tx| append_comment(tx, &first).map_err(|e| e.to_string()))
        .await
        .expect("stored on B");
    comment_entry(&official, "Primera revisión").await;

    // A names a second coordinator.
    let created = on_a
        .post(
            "/api/users",
            &json!({"username": "ccastro", "full_name": "Carolina Castro",
                    "role": "coordinador", "password": "clave de carolina 2026"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    // The notice takes a moment to reach B (a coordinator named a few milliseconds before a
    // comment may miss it; one named before that does not).
    tokio::time::sleep(Duration::from_millis(500)).await;

    let second = say("Segunda revisión: se cambió la fuente.");
    phone
        .edit(|tx| append_comment(tx, &second).map_err(|e| e.to_string()))
        .await
        .expect("stored on B");
    let carolina = Client::new(on_b.url("").trim_end_matches('/').to_owned());
    carolina
        .login("ccastro", "clave de carolina 2026")
        .await
        .unwrap();
    comment_entry(&carolina, "Segunda revisión").await;
}

/// Runs `sql` on the test's database as its administrator.
async fn admin(db: &TestDb, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
}

/// Replicas A and B on `db`; B connects with a database role of its own (the first value), which
/// a test can deprive of reading a table. The processes, then their addresses.
async fn a_and_b_with_a_role(
    db: &TestDb,
) -> (
    String,
    tokio::process::Child,
    tokio::process::Child,
    String,
    String,
) {
    let role = format!("campo_b_{}", uuid::Uuid::new_v4().simple());
    admin(
        db,
        &format!(
            "create role {role} login;
             grant all on schema public to {role};
             grant all on all tables in schema public to {role};
             grant all on all sequences in schema public to {role};"
        ),
    )
    .await;
    let url_b = db.url.replacen("postgres@", &format!("{role}@"), 1);
    let (a, base_a) = spawn_campo(db, &[], &[]).await.unwrap();
    let (b, base_b) = spawn_campo(db, &[], &[("DATABASE_URL".to_owned(), url_b)])
        .await
        .unwrap();
    (role, a, b, base_a, base_b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// A replica that hears of another's change and cannot read it at that moment (here, its
/// database role loses the right to read the changes for two seconds) reads it again shortly:
/// its phone gets the change, although no other notice of the case follows.
async fn a_replica_that_could_not_read_a_change_reads_it_again() {
    let db = TestDb::new(Backend::Postgres).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let (role, _a, mut b, base_a, base_b) = a_and_b_with_a_role(&db).await;
    let (on_a, on_b) = (Client::new(base_a), Client::new(base_b));
    on_a.login("coordinador", DEMO_PASSWORD).await.unwrap();
    on_b.login("coordinador", DEMO_PASSWORD).await.unwrap();
    let id = file_request(&on_a, "El teclado no responde.", "Teclado", "Piso 3").await;
    let author = on_a.get("/api/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut phone_a = Phone::open(&on_a, &id).await.expect("open on A");
    let mut phone_b = Phone::open(&on_b, &id).await.expect("open on B");

    admin(&db, &format!("revoke select on doc_chunks from {role}")).await;
    let comment = Comment {
        id: CommentId::new(),
        author,
        at: now_ms(),
        text: "Se cambió el teclado por uno del almacén.".into(),
    };
    phone_a
        .edit(|tx| append_comment(tx, &comment).map_err(|e| e.to_string()))
        .await
        .expect("stored on A");
    tokio::time::sleep(Duration::from_secs(2)).await;
    admin(&db, &format!("grant select on doc_chunks to {role}")).await;

    let reached = tokio::time::timeout(
        Duration::from_secs(15),
        phone_b.wait_for(|doc| comments(doc).iter().any(|c| c.contains("almacén"))),
    )
    .await;
    b.kill().await.unwrap();
    b.wait().await.unwrap();
    admin(&db, &format!("drop owned by {role}; drop role {role}")).await;
    reached
        .expect("the change reaches the phone on B once B can read it")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// A case is assigned on replica A to a técnico whose phone follows its agenda on replica B, while
/// B cannot read the tickets (its database role loses the right for two seconds), so B cannot
/// tell whom the change concerns: the técnico's agenda reads itself again until it can, and
/// lists the case.
async fn a_case_assigned_while_a_replica_could_not_read_it_reaches_the_agenda() {
    let db = TestDb::new(Backend::Postgres).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let (role, _a, mut b, base_a, base_b) = a_and_b_with_a_role(&db).await;
    let coordinator = Client::new(base_a);
    coordinator
        .login("coordinador", DEMO_PASSWORD)
        .await
        .unwrap();
    let tecnico = Client::new(base_b);
    tecnico.login("tecnico2", DEMO_PASSWORD).await.unwrap();
    let tecnico_id = user_id(&tecnico).await;
    let id = file_request(&coordinator, "El monitor parpadea.", "Hardware", "Piso 2").await;
    let mut agenda = tecnico
        .http()
        .get(tecnico.url("/api/agenda/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(agenda.status(), 200);
    let first = read_stream(&mut agenda, |s| s.contains("event: agenda")).await;
    assert!(!first.contains(&id), "{first}");

    admin(&db, &format!("revoke select on tickets from {role}")).await;
    triage_and_assign(&coordinator, &id, &tecnico_id).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    admin(&db, &format!("grant select on tickets to {role}")).await;

    // Within 15 s, or `read_stream` fails the test.
    let listed = read_stream(&mut agenda, |s| s.contains(&id)).await;
    assert!(listed.contains("El monitor parpadea."), "{listed}");
    b.kill().await.unwrap();
    b.wait().await.unwrap();
    admin(&db, &format!("drop owned by {role}; drop role {role}")).await;
}
