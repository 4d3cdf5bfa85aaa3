//! Escalation scan benchmark (not a test): what the deadline scan (`campo_server::escalation`)
//! costs the store with many open cases, and that closed cases do not add to it.
//!
//! ```text
//! cargo run --release -p campo-server --example escalation_bench -- [OPEN] [CLOSED]
//! ```
//!
//! Defaults: 100,000 open cases whose warnings and deadlines fall over the 60 days around now,
//! then 400,000 closed cases added. For each backend it times, median of 21 runs, the store query of
//! a regular scan (the cases whose warning or deadline fell in the last 90 s: the 30 s between
//! scans and the 60 s overlap) and of the first scan of a store (one day back), plus the per-case
//! check the scan makes of each case it finds (the case's row and its recorded escalations).
//! PostgreSQL is reached at `CAMPO_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), where a scratch database is created and
//! dropped; set `CAMPO_BENCH_SKIP_PG=1` to skip it.

use std::time::{Duration, Instant};

use campo_server::escalation::{Clock, Level};
use campo_server::store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Connection;

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// One row of `tickets` as the scan sees it.
struct Row {
    id: String,
    number: String,
    state: &'static str,
    created_at: i64,
    response_due: i64,
    resolution_due: i64,
    response_warn_at: Option<i64>,
    resolution_warn_at: Option<i64>,
    closed_at: Option<i64>,
}

fn rows(rng: &mut StdRng, from: usize, count: usize, now: i64, open: bool) -> Vec<Row> {
    (from..from + count)
        .map(|i| {
            if open {
                // Deadlines over the 60 days around now; a quarter still waiting to be taken.
                let due = now + rng.gen_range(-30 * DAY..30 * DAY);
                let taken = rng.gen_range(0..4) > 0;
                Row {
                    id: format!("open-{i}"),
                    number: format!("SAT-2026-{i:07}"),
                    state: if taken { "asignada" } else { "registrada" },
                    created_at: due - 3 * DAY,
                    response_due: due - 2 * DAY,
                    resolution_due: due,
                    response_warn_at: (!taken).then_some(due - 2 * DAY - 30 * MINUTE),
                    resolution_warn_at: Some(due - 12 * 60 * MINUTE),
                    closed_at: None,
                }
            } else {
                let at = now - rng.gen_range(31 * DAY..4 * 365 * DAY);
                Row {
                    id: format!("closed-{i}"),
                    number: format!("SAT-2025-{i:07}"),
                    state: "cerrada",
                    created_at: at - 3 * DAY,
                    response_due: at - 2 * DAY,
                    resolution_due: at,
                    response_warn_at: None,
                    resolution_warn_at: None,
                    closed_at: Some(at),
                }
            }
        })
        .collect()
}

macro_rules! fill {
    ($pool:expr, $rows:expr) => {{
        let pool = &$pool;
        let mut tx = pool.begin().await?;
        for chunk in $rows.chunks(1000) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into tickets (id, number, channel, category, summary, state, priority,
                 created_at, updated_at, response_due, resolution_due, response_warn_at,
                 resolution_warn_at, closed_at) ",
            );
            q.push_values(chunk, |mut b, r: &Row| {
                b.push_bind(r.id.clone())
                    .push_bind(r.number.clone())
                    .push_bind("intranet")
                    .push_bind("Hardware")
                    .push_bind("El equipo no enciende")
                    .push_bind(r.state)
                    .push_bind("media")
                    .push_bind(r.created_at)
                    .push_bind(r.created_at)
                    .push_bind(r.response_due)
                    .push_bind(r.resolution_due)
                    .push_bind(r.response_warn_at)
                    .push_bind(r.resolution_warn_at)
                    .push_bind(r.closed_at);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        pool.close().await;
    }};
}

async fn fill(url: &str, rows: &[Row]) -> anyhow::Result<()> {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        fill!(pool, rows);
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        fill!(pool, rows);
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::query("analyze tickets").execute(&mut conn).await?;
    }
    Ok(())
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// Times the scan's store work at `now`: the regular window, the first scan's, and the check of
/// each case found.
async fn time_scan(name: &str, store: &Store, now: i64) -> anyhow::Result<()> {
    let mut regular = Vec::new();
    let mut first = Vec::new();
    let mut found = (0, 0);
    for run in 0..21 {
        // Each run a little later, as successive scans are.
        let at = now + run * 30_000;
        let t = Instant::now();
        let ids = store.clocks_falling_due(at - 90_000, at).await?;
        regular.push(t.elapsed());
        found.0 = ids.len();
        let t = Instant::now();
        let ids = store.clocks_falling_due(at - DAY, at).await?;
        first.push(t.elapsed());
        found.1 = ids.len();
    }
    // The check of each case the first scan finds: its row, then each level not fired yet.
    let ids = store.clocks_falling_due(now - DAY, now).await?;
    let t = Instant::now();
    for id in &ids {
        let _row = store.ticket(id).await?;
        for clock in [Clock::Response, Clock::Resolution] {
            for level in [Level::Warning, Level::Missed] {
                store.escalated(id, clock, level).await?;
            }
        }
    }
    let per_case = t.elapsed() / ids.len().max(1) as u32;
    println!(
        "{name}: regular scan (90 s window, {} cases found) {:.2?}; first scan (one day, {} \
         cases) {:.2?}; check of one case found {:.2?}",
        found.0,
        median(regular),
        found.1,
        median(first),
        per_case
    );
    Ok(())
}

async fn measure(name: &str, url: &str, open: usize, closed: usize) -> anyhow::Result<()> {
    let store = Store::connect(url).await?;
    store.close().await;
    let now = chrono::Utc::now().timestamp_millis();
    let mut rng = StdRng::seed_from_u64(23);
    let t = Instant::now();
    fill(url, &rows(&mut rng, 0, open, now, true)).await?;
    println!("{name}: {open} open cases written in {:.2?}", t.elapsed());
    let store = Store::connect(url).await?;
    time_scan(&format!("{name}, {open} open, 0 closed"), &store, now).await?;
    store.close().await;

    let t = Instant::now();
    fill(url, &rows(&mut rng, open, closed, now, false)).await?;
    println!(
        "{name}: {closed} closed cases written in {:.2?}",
        t.elapsed()
    );
    let store = Store::connect(url).await?;
    time_scan(
        &format!("{name}, {open} open, {closed} closed"),
        &store,
        now,
    )
    .await?;
    store.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.replace('_', "").parse())
        .collect::<Result<_, _>>()?;
    let open = args.first().copied().unwrap_or(100_000);
    let closed = args.get(1).copied().unwrap_or(400_000);

    let dir = std::env::temp_dir().join(format!("campo-escalation-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("campo.sqlite3").display());
    let result = measure("SQLite", &url, open, closed).await;
    let _ = std::fs::remove_dir_all(&dir);
    result?;

    if std::env::var_os("CAMPO_BENCH_SKIP_PG").is_none() {
        let admin = std::env::var("CAMPO_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("campo_bench_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin).await?;
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let result = measure("PostgreSQL", &format!("{base}/{name}"), open, closed).await;
        sqlx::query(&format!("drop database if exists {name} with (force)"))
            .execute(&mut conn)
            .await?;
        result?;
    }
    Ok(())
}
