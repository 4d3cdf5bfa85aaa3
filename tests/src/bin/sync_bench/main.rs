//! Sync benchmark (not a test): the same scenarios against `campo` (release build, SQLite and
//! PostgreSQL) and against the published Node sync server of automerge-repo
//! (`@automerge/automerge-repo-sync-server`, pinned in `tests/bench/package.json`), in one run,
//! printed side by side. `make bench-sync` runs it.
//!
//! The clients are raw automerge-repo protocol peers (`campo_tests::raw_peer`) on the `automerge`
//! crate (the same messages the JavaScript client sends, without its 100 ms throttle and without
//! spending the machine's two cores on a JavaScript client). They write Campo ticket documents
//! (`campo_tests::ticket`), as a coordinator (the demo's `coordinador`, with its session cookie).
//!
//! Scenarios, each on a fresh server:
//! 1. CPU per change and latency with no other documents; one client pushes 1,000 new tickets
//!    until the server has stored them; CPU per change and latency again; memory.
//! 2. One client pushes 10,000 new tickets; CPU per change and latency; memory.
//!    Then throughput: 32 clients, each commenting on a ticket of its own as fast as the server
//!    acknowledges, for 20 s; acknowledged changes per second and CPU per change.
//! 3. 10,000 idle clients (join handshake only); memory.
//! 4. Campo: 10,000 idle técnico connections opened with a sync token (`/sync?token=…`, as the
//!    phone app does), handshake only; memory of that replica.
//!
//! `campo-postgres-3` runs three `campo serve` replicas on one PostgreSQL database, each with
//! its own data directory: the pushes are spread over them, client A is on the first and client B
//! on the second (every measured change crosses replicas through the change feed), the busy
//! clients are spread over them, and CPU is the sum over the three and the PostgreSQL backends;
//! the idle connections all go to the first, whose memory is reported (elsewhere, memory is the
//! sum over the replicas).
//!
//! "Stored" means: for Campo, acknowledged (Campo commits before it acknowledges); for the Node
//! server, acknowledged and present in its data directory (it saves at most every 100 ms).
//! CPU per change is the server's utime+stime (`/proc/<pid>/stat`; with PostgreSQL, plus the
//! CPU of the database's backend processes serving Campo), once the server is idle (see
//! `ServerProc::settle`; for Campo, also once it has dropped the pushed documents from memory, see
//! `ServerProc::unloaded`), over `CHANGES` changes, each a comment
//! appended by client A and relayed to client B, spaced 110 ms apart (past the JavaScript
//! client's 100 ms per-document throttle). Latency is from A sending the change to B receiving
//! the server's message that carries it.
//!
//! Usage: `sync_bench [campo-sqlite] [campo-postgres] [campo-postgres-3] [node] [--quick]`
//! (Campo on SQLite, on PostgreSQL and the Node server by default; `--quick` uses 100/1,000
//! documents, 40 changes, 5 s of throughput and 1,000 idle clients; `SYNC_BENCH_CHANGES=N` measures
//! the CPU per change over N changes instead).
//! `CAMPO_BIN` chooses the `campo` binary (default: next to this one, so build both with
//! `--release`); `CAMPO_TEST_PG_URL` the PostgreSQL server.

mod peer;
mod report;
mod scenarios;
mod servers;

use std::time::Duration;

use campo_tests::campo_bin;

use crate::report::report;
use crate::scenarios::run_target;

/// Spacing of the measured changes: past the JavaScript client's per-document throttle.
const SPACING: Duration = Duration::from_millis(110);
/// Documents in flight while pushing (sent, not yet stored). Enough to keep any server busy; not
/// so many that the Node server, which handles them one at a time, answers its own keep-alive
/// ping late: its WebSocket adapter cuts a connection whose `pong` it has not read within 5 s,
/// and behind 256 documents it did not, on a slower machine, in the middle of the 10,000.
const WINDOW: usize = 32;
/// Longest wait for any one step.
const STEP_TIMEOUT: Duration = Duration::from_secs(600);
/// Interval over which the server must be nearly idle before a measurement starts.
const SETTLE_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    CampoSqlite,
    CampoPostgres,
    /// Three `campo serve` replicas on one PostgreSQL database.
    CampoPostgres3,
    Node,
}

impl Target {
    pub fn label(self) -> &'static str {
        match self {
            Target::CampoSqlite => "Campo (SQLite)",
            Target::CampoPostgres => "Campo (PostgreSQL)",
            Target::CampoPostgres3 => "Campo (PostgreSQL, 3 réplicas)",
            Target::Node => "Node sync server",
        }
    }
}

pub struct Plan {
    targets: Vec<Target>,
    small: usize,
    large: usize,
    changes: usize,
    idle_clients: usize,
    /// Clients commenting at once, each on its own document, in the throughput scenario.
    busy_clients: usize,
    /// How long the throughput scenario lasts.
    busy_for: Duration,
}

/// The figures of one target.
#[derive(Default)]
pub struct Figures {
    push_small: Option<Duration>,
    push_large: Option<Duration>,
    /// (documents stored, ms of server CPU per change, latency median ms, latency p99 ms).
    per_change: Vec<(usize, f64, f64, f64)>,
    rss_small_mb: Option<f64>,
    rss_large_mb: Option<f64>,
    idle_base_mb: Option<f64>,
    idle_mb: Option<f64>,
    /// With the large number of documents stored: (acknowledged changes per second, ms of server
    /// CPU per change) while `busy_clients` comment at once.
    busy: Option<(f64, f64)>,
    /// Campo: RSS of one replica before and with `idle_clients` idle técnico connections, opened
    /// with a sync token as the phone app does.
    idle_tecnico_mb: Option<(f64, f64)>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mut targets: Vec<Target> = args
        .iter()
        .filter_map(|a| match a.as_str() {
            "campo-sqlite" => Some(Target::CampoSqlite),
            "campo-postgres" => Some(Target::CampoPostgres),
            "campo-postgres-3" => Some(Target::CampoPostgres3),
            "node" => Some(Target::Node),
            _ => None,
        })
        .collect();
    if targets.is_empty() {
        targets = vec![Target::CampoSqlite, Target::CampoPostgres, Target::Node];
    }
    // `SYNC_BENCH_CHANGES` overrides how many changes measure the CPU per change (a quick run's
    // 40 changes are only a few of `/proc`'s 10 ms ticks).
    let changes = |default: usize| {
        std::env::var("SYNC_BENCH_CHANGES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    let plan = if quick {
        Plan {
            targets,
            small: 100,
            large: 1_000,
            changes: changes(40),
            idle_clients: 1_000,
            busy_clients: 32,
            busy_for: Duration::from_secs(5),
        }
    } else {
        Plan {
            targets,
            small: 1_000,
            large: 10_000,
            changes: changes(200),
            idle_clients: 10_000,
            busy_clients: 32,
            busy_for: Duration::from_secs(20),
        }
    };
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "Sincronización: Campo ({}) frente al servidor de Node de automerge-repo 2.5.6, \
         en esta máquina ({cores} núcleos). Límites de Campo: los valores por defecto.",
        campo_bin().display()
    );
    let mut results = Vec::new();
    for target in plan.targets.clone() {
        let figures = run_target(target, &plan).await;
        if let Err(err) = &figures {
            eprintln!("[{}] error: {err:#}", target.label());
        }
        results.push((target, figures));
    }
    println!();
    report(&plan, &results);
    Ok(())
}
