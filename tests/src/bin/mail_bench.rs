//! E-mail intake benchmark (not a test): delivers N messages (1000 by default) into a real
//! Dovecot with `doveadm save`, starts `campo serve` on a fresh SQLite database (or PostgreSQL
//! with `--postgres`) collecting that mailbox, and prints how long it took until every message
//! was a case and flagged `\Seen`, in messages per second, with the server's CPU time.
//!
//! `CAMPO_BIN=target/release/campo cargo run -p campo-tests --bin mail_bench [N] [--postgres]`

use std::time::{Duration, Instant};

use campo_tests::dovecot::Dovecot;
use campo_tests::{Backend, TestDb, run_cli, spawn_campo};

/// User+system CPU seconds of a process.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1000);
    let backend = if args.iter().any(|a| a == "--postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let imap = Dovecot::start().await;
    let delivering = Instant::now();
    for i in 0..n {
        // Half from a known official, half from strangers; a paragraph of text each.
        let from = if i % 2 == 0 {
            "mlopez@demo.gov.co".to_owned()
        } else {
            format!("persona{i}@externo.com.co")
        };
        let raw = format!(
            "From: {from}\r\nTo: mesa@demo.gov.co\r\nSubject: Solicitud {i:05}\r\n\
             Message-ID: <bench{i}@demo.gov.co>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n\
             Buenos días. El computador de la oficina {i} no arranca desde esta mañana; \
             ya revisé el cable de poder y el monitor. Quedo atento.\r\n"
        );
        imap.deliver(raw.as_bytes()).await;
    }
    eprintln!(
        "{n} correos entregados con doveadm save en {:.1} s",
        delivering.elapsed().as_secs_f64()
    );
    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let env = vec![
        ("CAMPO_IMAP_URL".to_owned(), imap.url()),
        ("CAMPO_IMAP_POLL_SECS".to_owned(), "1".to_owned()),
    ];
    let started = Instant::now();
    let (mut campo, _base) = spawn_campo(&db, &[], &env).await.expect("start campo");
    let pid = campo.id().expect("campo's pid");
    loop {
        let left = imap.search("unseen").await.len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid);
    println!(
        "{n} correos → {n} casos en {seconds:.1} s: {:.1} correos/s; CPU de campo {cpu:.1} s \
         ({:.1} ms por correo) [{backend:?}]",
        n as f64 / seconds,
        cpu * 1000.0 / n as f64
    );
    let _ = campo.kill().await;
}
