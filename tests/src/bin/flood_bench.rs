//! What one user asking for many documents that do not exist costs the server, and everyone
//! else meanwhile. `make bench-flood` (see docs/rendimiento.md).
//!
//! Starts `campo` (release, SQLite) on a fresh database. An attacker, one técnico with four
//! sockets, asks for 50,000 random document ids as fast as it can, reconnecting whenever the
//! server closes a socket. Meanwhile an honest coordinator makes one change a second to its own
//! ticket and times each sync round trip (change sent → the server's acknowledgement of its
//! heads). The server's resident memory is sampled every 100 ms during the flood and once a
//! minute after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use automerge::AutoCommit;
use automerge::sync::{self, SyncDoc};
use campo_shared::event_kind::EventKind;
use campo_shared::ids::{CommentId, DocumentId};
use campo_shared::role::Role;
use campo_shared::schema::{Channel, Comment, Event, Person, Request, TicketDoc, append_comment};
use campo_tests::raw_peer::{Field, RawPeer};
use campo_tests::{ADMIN_PASSWORD, Backend, Client, TestDb, run_cli, spawn_campo};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Document ids the attacker asks for.
const FLOOD: usize = 50_000;
/// The attacker's sockets.
const SOCKETS: usize = 4;

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn sync_url(base: &str, user: &str) -> anyhow::Result<(String, String)> {
    let client = Client::new(base.to_owned());
    let login = client.login(user, ADMIN_PASSWORD).await?;
    let token = client.post("/api/sync-token", &serde_json::json!({})).await;
    let token = token.body["token"].as_str().context("a token")?.to_owned();
    let id = login.body["id"].as_str().context("user id")?.to_owned();
    Ok((
        format!("{}/sync?token={token}", base.replacen("http", "ws", 1)),
        id,
    ))
}

/// Sends what `doc` has for the server and waits until the server acknowledges `doc`'s heads.
async fn round_trip(
    peer: &mut RawPeer,
    id: &str,
    doc: &mut AutoCommit,
    state: &mut sync::State,
) -> anyhow::Result<()> {
    let heads = doc.get_heads();
    loop {
        if let Some(message) = doc.sync().generate_sync_message(state) {
            peer.send_sync(id, &message.encode()).await?;
        }
        if state
            .their_heads
            .as_ref()
            .is_some_and(|theirs| heads.iter().all(|h| theirs.contains(h)))
        {
            return Ok(());
        }
        let frame = peer
            .recv()
            .await
            .context("the server closed the honest socket")?;
        if frame.kind == "sync" && frame.document_id == id {
            let message = sync::Message::decode(&frame.data)?;
            doc.sync().receive_sync_message(state, message)?;
        } else if frame.kind == "error" {
            bail!("the server refused the honest change: {}", frame.message);
        }
    }
}

/// The honest coordinator: one change a second until `stop`, each round trip timed.
async fn honest(url: String, user_id: String, stop: Arc<AtomicBool>) -> anyhow::Result<Vec<f64>> {
    let mut peer = RawPeer::join(&url, "coordinacion").await?;
    let request = Request {
        requester: Person {
            id: user_id.clone(),
            name: "Coordinación".into(),
        },
        dependencia: "SISTEMAS".into(),
        location: "Piso 1".into(),
        phone_extension: None,
        channel: Channel::Phone,
        external_ref: None,
        category: "Red".into(),
        description: "Sin red en la sala de juntas.".into(),
        equipment: Vec::new(),
        photos: Vec::new(),
    };
    let at = chrono::Utc::now().timestamp_millis();
    let first = Event::new(EventKind::Registered, at, &user_id, Role::Coordinador);
    let mut doc = AutoCommit::new();
    TicketDoc::new(request, first).reconcile_into(&mut doc)?;
    let id = DocumentId::new().to_bs58check();
    let mut state = sync::State::new();
    round_trip(&mut peer, &id, &mut doc, &mut state).await?;
    let mut times = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let comment = Comment {
            id: CommentId::new(),
            author: user_id.clone(),
            at: chrono::Utc::now().timestamp_millis(),
            text: format!("Avance {n}"),
        };
        append_comment(&mut doc, &comment)?;
        let started = Instant::now();
        round_trip(&mut peer, &id, &mut doc, &mut state).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    Ok(times)
}

/// One attacker socket: asks for random ids without waiting for answers (another task reads
/// them), reconnecting when the server closes it, until `FLOOD` requests were sent by all sockets
/// together.
async fn attacker(url: String, counts: Arc<Counts>, i: usize) {
    use futures_util::{SinkExt, StreamExt};
    let ask = automerge::Automerge::new()
        .generate_sync_message(&mut sync::State::new())
        .expect("a first message")
        .encode();
    while counts.sent.load(Ordering::Relaxed) < FLOOD {
        let Ok(peer) = RawPeer::join(&url, &format!("atacante-{i}")).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (me, server) = (peer.peer_id.clone(), peer.server_id.clone());
        let (mut tx, mut rx) = peer.ws.split();
        let reader_counts = counts.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(message)) = rx.next().await {
                if message.is_binary() {
                    reader_counts.answered.fetch_add(1, Ordering::Relaxed);
                }
            }
            reader_counts.closed.fetch_add(1, Ordering::Relaxed);
        });
        while counts.sent.fetch_add(1, Ordering::Relaxed) < FLOOD {
            let id = DocumentId::new().to_bs58check();
            let frame = campo_tests::raw_peer::encode(&[
                ("type", Field::Text("request")),
                ("senderId", Field::Text(&me)),
                ("targetId", Field::Text(&server)),
                ("documentId", Field::Text(&id)),
                ("data", Field::Bytes(&ask)),
            ]);
            if reader.is_finished() || tx.send(WsMessage::Binary(frame.into())).await.is_err() {
                break;
            }
        }
        let _ = tx.close().await;
        let _ = reader.await;
    }
}

/// What the attacker's sockets did.
#[derive(Default)]
struct Counts {
    sent: AtomicUsize,
    answered: AtomicUsize,
    closed: AtomicUsize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await;
    for (user, role) in [("coordinacion", "coordinador"), ("atacante", "tecnico")] {
        let out = run_cli(
            &db,
            &["user", "add", user, "--role", role, "--name", "Persona"],
            Some(ADMIN_PASSWORD),
        )
        .await?;
        if !out.success {
            bail!("user add: {}", out.stderr);
        }
    }
    let (child, base) = spawn_campo(&db, &[], &[]).await?;
    let pid = child.id().context("campo's pid")?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_mb(pid);

    let (honest_url, honest_id) = sync_url(&base, "coordinacion").await?;
    let (attack_url, _) = sync_url(&base, "atacante").await?;
    let stop = Arc::new(AtomicBool::new(false));
    let honest_task = tokio::spawn(honest(honest_url, honest_id, stop.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;

    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let attackers: Vec<_> = (0..SOCKETS)
        .map(|i| tokio::spawn(attacker(attack_url.clone(), counts.clone(), i)))
        .collect();
    let mut peak = idle;
    while attackers.iter().any(|a| !a.is_finished()) {
        peak = peak.max(rss_mb(pid));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let flood_secs = started.elapsed().as_secs_f64();
    let at_end = rss_mb(pid);
    let minute = Instant::now() + Duration::from_secs(60);
    while Instant::now() < minute {
        peak = peak.max(rss_mb(pid));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after_minute = rss_mb(pid);
    stop.store(true, Ordering::Relaxed);
    let mut times = honest_task.await??;
    times.sort_by(f64::total_cmp);
    drop(child);

    println!(
        "Campo (SQLite), un usuario con {SOCKETS} conexiones pide {FLOOD} documentos que no existen"
    );
    println!(
        "  duración de la inundación: {flood_secs:.1} s; respuestas: {}; conexiones cerradas: {}",
        counts.answered.load(Ordering::Relaxed),
        counts.closed.load(Ordering::Relaxed)
    );
    println!(
        "  memoria residente (MB): en reposo {idle:.0}, máxima {peak:.0}, al terminar la \
         inundación {at_end:.0}, un minuto después {after_minute:.0}"
    );
    println!(
        "  ida y vuelta de un cambio honesto ({} cambios): p50 {:.1} ms, p99 {:.1} ms, máximo {:.1} ms",
        times.len(),
        percentile(&times, 50.0),
        percentile(&times, 99.0),
        times.last().copied().unwrap_or(0.0)
    );
    Ok(())
}
