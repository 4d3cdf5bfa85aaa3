//! The scenarios: pushing tickets, CPU per change and latency, idle clients.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use automerge::Automerge;
use campo_shared::ids::DocumentId;
use campo_tests::ticket::{Author, add_comment, new_ticket, ticket_document};
use futures_util::StreamExt;
use tokio::sync::oneshot;

use crate::peer::{Peer, PeerCmd, PeerEvent, open};
use crate::report::es;
use crate::servers::{ServerProc, coordinator};
use crate::{Figures, Plan, SPACING, STEP_TIMEOUT, Target, WINDOW};

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

pub async fn run_target(target: Target, plan: &Plan) -> anyhow::Result<Figures> {
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
