//! The scenarios: pushing tickets, CPU per change and latency, throughput, idle clients.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use automerge::Automerge;
use campo_shared::ids::DocumentId;
use campo_tests::raw_peer::RawPeer;
use campo_tests::ticket::{Author, add_comment, new_ticket, ticket_document};
use campo_tests::{Client, DEMO_PASSWORD};
use futures_util::StreamExt;
use tokio::sync::oneshot;

use crate::peer::{Peer, PeerCmd, PeerEvent, open};
use crate::report::es;
use crate::servers::{CpuUse, ServerProc, coordinator};
use crate::{Figures, Plan, SPACING, STEP_TIMEOUT, Target, WINDOW};

/// One client per replica pushes `docs` new tickets, each client its share (one client and all of
/// them on a single process); returns the time until the server stored them all.
async fn push(
    server: &ServerProc,
    pushers: &mut [Peer],
    docs: Vec<(String, Automerge)>,
) -> anyhow::Result<Duration> {
    let total = docs.len();
    let node_before = if server.target == Target::Node {
        server.node_stored()
    } else {
        0
    };
    let started = Instant::now();
    let mut shares: Vec<Vec<(String, Automerge)>> = pushers.iter().map(|_| Vec::new()).collect();
    let count = shares.len();
    for (i, doc) in docs.into_iter().enumerate() {
        shares[i % count].push(doc);
    }
    futures_util::future::try_join_all(
        pushers
            .iter_mut()
            .zip(shares)
            .map(|(pusher, share)| push_share(pusher, share)),
    )
    .await?;
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

/// One client pushes `docs`, [`WINDOW`] at a time, until the server acknowledged them all.
async fn push_share(pusher: &mut Peer, docs: Vec<(String, Automerge)>) -> anyhow::Result<()> {
    let total = docs.len();
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
        let event = pusher.next().await.with_context(|| {
            let waiting: Vec<&String> = in_flight.iter().take(8).collect();
            format!(
                "{stored} of {total} stored; {} still waiting, among them {waiting:?}",
                in_flight.len()
            )
        })?;
        if let PeerEvent::Stored { id } = event
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
    Ok(())
}

/// One pushing client on each replica.
async fn pushers(server: &ServerProc) -> anyhow::Result<Vec<Peer>> {
    let mut pushers = Vec::with_capacity(server.replicas.len());
    for replica in &server.replicas {
        pushers.push(Peer::connect(replica).await?);
    }
    Ok(pushers)
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
/// With replicas, A is on the first and B on the second, so that every change crosses replicas.
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
    let mut a = Peer::connect(server.replica(0)).await?;
    let mut b = Peer::connect(server.replica(1)).await?;
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

    let cpu_before = server.cpu().await;
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
    let cpu = server.cpu().await.since(&cpu_before);
    report_cpu(server, &cpu, changes);
    let cpu = cpu.total();
    latencies.sort_by(f64::total_cmp);
    let median = latencies[latencies.len() / 2];
    let p99 =
        latencies[((latencies.len() as f64 * 0.99).ceil() as usize).clamp(1, latencies.len()) - 1];
    Ok((cpu * 1000.0 / changes as f64, median, p99))
}

/// Says where a measurement's CPU went: the server's processes, PostgreSQL's processes serving
/// them, and PostgreSQL's upkeep of Campo's database (autovacuum, which the writes of an earlier
/// step may start), all counted in the figure.
fn report_cpu(server: &ServerProc, cpu: &CpuUse, changes: usize) {
    let per_change = |seconds: f64| es(seconds * 1000.0 / changes.max(1) as f64, 2);
    let mut parts = format!("servidor {} ms", per_change(cpu.server));
    if cpu.backends > 0.0 {
        parts += &format!(", PostgreSQL {} ms", per_change(cpu.backends));
    }
    if cpu.maintenance > 0.0 {
        parts += &format!(
            ", mantenimiento de PostgreSQL (autovacuum) {} ms",
            per_change(cpu.maintenance)
        );
    }
    eprintln!("[{}] CPU por cambio: {parts}", server.target.label());
}

/// Comments one busy client writes on a ticket before it goes on with a new one (Campo takes at
/// most 500 per ticket).
const COMMENTS_PER_DOC: usize = 400;

/// Throughput: `clients` clients, spread over the replicas, each comment on a new ticket of their
/// own as fast as the server acknowledges (one change in flight per client) for `duration`.
/// Returns acknowledged changes per second and ms of server CPU per change meanwhile.
async fn busy(
    server: &ServerProc,
    author: &Author,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(f64, f64)> {
    let mut peers = Vec::with_capacity(clients);
    for (i, (id, doc)) in tickets(author, clients).into_iter().enumerate() {
        let mut peer = Peer::connect(server.replica(i)).await?;
        peer.send(PeerCmd::Push {
            id: id.clone(),
            doc: Box::new(doc),
            forget: false,
        });
        peer.wait_stored(&id).await?;
        peers.push((peer, id));
    }
    server.settle().await?;
    let cpu_before = server.cpu().await;
    let started = Instant::now();
    let deadline = started + duration;
    let counts = futures_util::future::try_join_all(peers.into_iter().map(|(mut peer, id)| {
        let user = author.id.clone();
        async move {
            let (mut id, mut on_doc) = (id, 0);
            let mut acknowledged = 0usize;
            while Instant::now() < deadline {
                if on_doc == COMMENTS_PER_DOC {
                    // A ticket holds at most 500 comments: go on with a new one.
                    let (next, doc) = tickets(author, 1).remove(0);
                    peer.send(PeerCmd::Push {
                        id: next.clone(),
                        doc: Box::new(doc),
                        forget: false,
                    });
                    peer.wait_stored(&next).await?;
                    (id, on_doc) = (next, 0);
                }
                on_doc += 1;
                let (done, answer) = oneshot::channel();
                let user = user.clone();
                peer.send(PeerCmd::Edit {
                    id: id.clone(),
                    f: Box::new(move |doc| {
                        add_comment(
                            doc,
                            &user,
                            &format!("Avance {acknowledged}: se revisó el cableado."),
                        );
                    }),
                    done,
                });
                answer.await.context("peer stopped")?;
                peer.wait_stored(&id).await?;
                acknowledged += 1;
            }
            Ok::<_, anyhow::Error>(acknowledged)
        }
    }))
    .await?;
    let elapsed = started.elapsed();
    let cpu = server.cpu().await.since(&cpu_before);
    let total: usize = counts.iter().sum();
    report_cpu(server, &cpu, total);
    let cpu = cpu.total();
    Ok((
        total as f64 / elapsed.as_secs_f64(),
        cpu * 1000.0 / total.max(1) as f64,
    ))
}

/// Opens `n` idle connections to the first replica (handshake only, answering pings): as the
/// coordinator with its session cookie, or, given `url` (with a sync token), as whoever the
/// token belongs to. Returns that replica's RSS before and with them.
async fn idle_clients(
    server: &ServerProc,
    n: usize,
    url: Option<&str>,
) -> anyhow::Result<(f64, f64)> {
    let before = server.replica_rss_mb(0);
    let opened = futures_util::stream::iter(0..n)
        .map(|i| async move {
            let peer_id = format!("idle-{i}-{}", uuid::Uuid::new_v4().simple());
            let mut peer = match url {
                Some(url) => RawPeer::join_ephemeral(url, &peer_id).await?,
                None => open(server.replica(0), &peer_id).await?,
            };
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
    let with = server.replica_rss_mb(0);
    for task in tasks {
        task.abort();
    }
    Ok((before, with))
}

/// `n` idle técnico phones on the first replica: each opens `/sync?token=…` with a sync token (as
/// the phone app does) and completes the handshake, asking for no document.
async fn idle_tecnicos(server: &ServerProc, n: usize) -> anyhow::Result<(f64, f64)> {
    let replica = server.replica(0);
    let tecnico = Client::new(replica.base.clone());
    tecnico.login("tecnico1", DEMO_PASSWORD).await?;
    let reply = tecnico
        .post("/api/sync-token", &serde_json::json!({}))
        .await;
    let Some(token) = reply.body["token"].as_str() else {
        bail!("no sync token ({}): {}", reply.status, reply.body);
    };
    let url = format!("{}?token={token}", replica.ws_url);
    idle_clients(server, n, Some(&url)).await
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
    let mut pushing = pushers(&server).await?;
    figures.push_small = Some(push(&server, &mut pushing, tickets(&author, plan.small)).await?);
    let (cpu, median, p99) = per_change(&server, &author, plan.changes).await?;
    figures.per_change.push((plan.small, cpu, median, p99));
    figures.rss_small_mb = Some(server.rss_mb());
    drop(pushing);
    server.stop().await;

    eprintln!("[{}] {} documentos…", target.label(), plan.large);
    let server = ServerProc::start(target).await?;
    let author = coordinator(&server).await;
    let docs = tickets(&author, plan.large);
    let mut pushing = pushers(&server).await?;
    figures.push_large = Some(push(&server, &mut pushing, docs).await?);
    let (cpu, median, p99) = per_change(&server, &author, plan.changes).await?;
    figures.per_change.push((plan.large, cpu, median, p99));
    figures.rss_large_mb = Some(server.rss_mb());
    eprintln!(
        "[{}] {} clientes comentando a la vez durante {} s…",
        target.label(),
        plan.busy_clients,
        plan.busy_for.as_secs()
    );
    figures.busy = Some(busy(&server, &author, plan.busy_clients, plan.busy_for).await?);
    drop(pushing);
    server.stop().await;

    eprintln!(
        "[{}] {} clientes inactivos…",
        target.label(),
        plan.idle_clients
    );
    let server = ServerProc::start(target).await?;
    let (base, with) = idle_clients(&server, plan.idle_clients, None).await?;
    figures.idle_base_mb = Some(base);
    figures.idle_mb = Some(with);
    server.stop().await;

    if target != Target::Node {
        eprintln!(
            "[{}] {} técnicos inactivos con token de sincronización…",
            target.label(),
            plan.idle_clients
        );
        let server = ServerProc::start(target).await?;
        figures.idle_tecnico_mb = Some(idle_tecnicos(&server, plan.idle_clients).await?);
        server.stop().await;
    }
    Ok(figures)
}
