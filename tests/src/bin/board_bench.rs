//! Dispatch board benchmark (not a test): with N tickets in the store, the board snapshot's time
//! and size; with S boards subscribed to the stream, the time from a change accepted by the
//! server to its event at every board, and the server memory each board costs.
//!
//! `CAMPO_BIN=target/release/campo cargo run --release -p campo-tests --bin board_bench [N] [S] [postgres]`
//! (defaults 10000 tickets, 200 boards, SQLite).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use campo_tests::{Backend, Client, DEMO_PASSWORD, TestDb, run_cli, spawn_campo};
use serde_json::{Value, json};
use tokio::sync::mpsc;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let boards: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    let backend = if args.get(3).is_some_and(|a| a == "postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await?;
    let (child, base) = spawn_campo(&db, &[], &[]).await?;
    let pid = child.id().context("pid")?;
    let coordinator = Client::new(base.clone());
    coordinator.login("coordinador", DEMO_PASSWORD).await?;
    let officials: Vec<String> = coordinator
        .get("/api/users?role=funcionario")
        .await
        .body
        .as_array()
        .context("users")?
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();

    println!("Campo, tablero de despacho ({backend:?}, {n} casos, {boards} tableros)");
    let started = Instant::now();
    let officials = Arc::new(officials);
    let mut workers = Vec::new();
    for w in 0..8 {
        let (client, officials) = (coordinator.clone(), officials.clone());
        workers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in (w..n).step_by(8) {
                let reply = client
                    .post(
                        "/api/tickets",
                        &json!({"description": format!("Caso de carga {i}: el equipo no arranca."),
                                "category": "Hardware", "location": "Piso 2", "channel": "phone",
                                "requester_id": officials[i % officials.len()]}),
                    )
                    .await;
                assert_eq!(reply.status, 201, "{}", reply.body);
                ids.push(reply.body["id"].as_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for worker in workers {
        ids.extend(worker.await?);
    }
    println!(
        "  carga: {n} casos registrados por la API en {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let response = coordinator
            .http()
            .get(coordinator.url("/api/board"))
            .send()
            .await?;
        let body = response.bytes().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        size = body.len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "  instantánea GET /api/board: mediana {:.0} ms, máx. {:.0} ms, {:.1} MB",
        percentile(&times, 0.5),
        times[times.len() - 1],
        size as f64 / 1e6
    );

    // Boards subscribe from the snapshot's last event, so none misses the warm-up change even if
    // it connects after it; each reports when it sees a ticket's event.
    let since = coordinator.get("/api/board").await.body["last_event_id"]
        .as_u64()
        .context("last_event_id")?;
    let rss_before = rss_kib(pid);
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<(usize, String, Instant)>();
    for b in 0..boards {
        let (client, seen_tx) = (coordinator.clone(), seen_tx.clone());
        tokio::spawn(async move {
            let mut response = client
                .http()
                .get(client.url(&format!("/api/board/stream?since={since}")))
                .send()
                .await
                .expect("stream");
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                let at = Instant::now();
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:"))
                        && let Ok(value) = serde_json::from_str::<Value>(data.trim())
                        && let Some(id) = value["id"].as_str()
                    {
                        let _ = seen_tx.send((b, id.to_owned(), at));
                    }
                }
            }
        });
    }
    drop(seen_tx);
    // Warm-up: one change that every board must see.
    let warm = &ids[0];
    let reply = coordinator
        .post(
            &format!("/api/tickets/{warm}/actions"),
            &json!({"action": "aceptada"}),
        )
        .await;
    anyhow::ensure!(reply.status == 200, "{}", reply.body);
    let mut warmed = 0;
    while warmed < boards {
        let (_, id, _) = tokio::time::timeout(Duration::from_secs(60), seen_rx.recv())
            .await?
            .context("boards ended")?;
        if id == *warm {
            warmed += 1;
        }
    }
    let rss_after = rss_kib(pid);
    println!(
        "  memoria por tablero suscrito: {:.1} KB ({} tableros: {:.1} MB → {:.1} MB)",
        (rss_after.saturating_sub(rss_before)) as f64 / boards as f64,
        boards,
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );

    // Changes, one at a time: from the moment the API answered (the change is stored) to its
    // event at each board; an event that arrived before the answer counts as 0.
    let mut latencies = Vec::new();
    let mut everyone = Vec::new();
    for id in ids.iter().skip(1).take(50) {
        let reply = coordinator
            .post(
                &format!("/api/tickets/{id}/actions"),
                &json!({"action": "aceptada"}),
            )
            .await;
        let accepted = Instant::now();
        anyhow::ensure!(reply.status == 200, "{}", reply.body);
        let mut arrivals: HashMap<usize, Instant> = HashMap::new();
        while arrivals.len() < boards {
            let (b, seen, at) = tokio::time::timeout(Duration::from_secs(60), seen_rx.recv())
                .await?
                .context("boards ended")?;
            if seen == *id {
                arrivals.insert(b, at);
            }
        }
        let ms: Vec<f64> = arrivals
            .values()
            .map(|at| at.saturating_duration_since(accepted).as_secs_f64() * 1000.0)
            .collect();
        everyone.push(ms.iter().cloned().fold(0.0, f64::max));
        latencies.extend(ms);
    }
    latencies.sort_by(f64::total_cmp);
    everyone.sort_by(f64::total_cmp);
    println!(
        "  difusión de un cambio a cada tablero: mediana {:.1} ms, p99 {:.1} ms; hasta el último tablero: mediana {:.1} ms, p99 {:.1} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&everyone, 0.5),
        percentile(&everyone, 0.99)
    );
    Ok(())
}
