//! Three `campo serve` replicas on one PostgreSQL behind a real HAProxy configured from
//! `deploy/haproxy.cfg`: three técnicos and the coordinator keep writing on three cases from
//! their phones, through HAProxy, while two replicas die (SIGKILL) and later while all three are
//! restarted one after the other (SIGTERM). A phone whose connection breaks reconnects through
//! HAProxy and sends again what the server never acknowledged, as the PWA does. What a user
//! would notice is asserted: every acknowledged comment is kept, exactly once, every replica
//! serves it (a killed one too, once restarted), and the two phones of each case end up with
//! the same comments. Reconnect times are printed, not asserted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use campo_tests::replicas::{
    Haproxy, Ledger, Replica, holds_exactly, keep_writing, serves_everything, triage_and_assign,
    user_id,
};
use campo_tests::{Backend, Client, DEMO_PASSWORD, TestDb, run_cli};
use serde_json::json;

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
        triage_and_assign(&coordinator, &id, &tecnico_id).await;
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
        serves_everything(&replicas[n].name, &replicas[n].base, &cases, &acknowledged).await;
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
    ledger.print_reconnects();

    // Each case holds exactly the acknowledged comments, once each, on both of its phones (which
    // may be on different replicas: each gets the other's comments through the change feed).
    for (case, (mut phone, client)) in finished {
        holds_exactly(&mut phone, &client, case, &acknowledged).await;
    }

    // Every replica serves every acknowledged comment.
    for replica in &replicas {
        serves_everything(&replica.name, &replica.base, &cases, &acknowledged).await;
    }
}
