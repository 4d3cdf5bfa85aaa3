//! Photo ingest benchmark (not a test): generates realistic phone photos (12 MP JPEG, EXIF with
//! orientation and GPS), uploads them one at a time to a real `campo` on SQLite, and prints the
//! server's CPU time per photo, photos per second per core and peak memory per photo in flight,
//! beside `vipsthumbnail` (Debian's `libvips-tools`) making the same two sizes.
//!
//! `CAMPO_BIN=target/release/campo cargo run -p campo-tests --bin photo_bench [N]` (the server is
//! what is measured, so it is the release build; the benchmark itself may be a debug build).

use std::time::Instant;

use anyhow::Context;
use campo_tests::photo::phone_photo;
use campo_tests::{ADMIN_PASSWORD, Backend, Client, TestDb, add_admin, spawn_campo};
use sha2::{Digest, Sha256};

/// (user+system CPU seconds, peak RSS in KiB, current RSS in KiB) of a process.
fn usage(pid: u32) -> (f64, u64, u64) {
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
    // Fields 14 and 15 of /proc/pid/stat, counted after the command name; 100 ticks a second.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (cpu, kib("VmHWM:"), kib("VmRSS:"))
}

/// CPU seconds (user+system) of this process's children that have ended and been waited for.
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // cutime and cstime: fields 16 and 17 of /proc/self/stat, counted after the command name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(13) + ticks(14)) / 100.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(8);
    println!("Generando {n} fotos de 12 MP con EXIF y GPS…");
    let photos: Vec<Vec<u8>> = (0..n as u64).map(phone_photo).collect();
    let sizes: Vec<f64> = photos.iter().map(|p| p.len() as f64 / 1e6).collect();
    println!(
        "Tamaños: {:.1}–{:.1} MB",
        sizes.iter().cloned().fold(f64::MAX, f64::min),
        sizes.iter().cloned().fold(0.0, f64::max)
    );

    let db = TestDb::new(Backend::Sqlite).await;
    add_admin(&db).await;
    let (mut child, base) = spawn_campo(&db, &[], &[]).await?;
    let pid = child.id().context("pid")?;
    let client = Client::new(base);
    client.login("admin", ADMIN_PASSWORD).await?;

    let (cpu0, _, rss0) = usage(pid);
    let mut walls = Vec::new();
    for photo in &photos {
        let name: String = Sha256::digest(photo)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let started = Instant::now();
        let reply = client
            .send(
                client
                    .http()
                    .put(client.url(&format!("/api/blobs/{name}")))
                    .body(photo.clone()),
            )
            .await;
        walls.push(started.elapsed().as_secs_f64());
        anyhow::ensure!(reply.status == 201, "upload failed: {}", reply.body);
    }
    let (cpu1, hwm, _) = usage(pid);
    let cpu_per_photo = (cpu1 - cpu0) / n as f64;
    walls.sort_by(f64::total_cmp);
    println!(
        "\nCampo (PUT /api/blobs, una foto a la vez; verificar, orientar, limpiar, 1600 px y 320 px):"
    );
    println!(
        "  tiempo por foto (mediana, de extremo a extremo): {:.0} ms",
        walls[n / 2] * 1e3
    );
    println!("  CPU del servidor por foto: {:.0} ms", cpu_per_photo * 1e3);
    println!("  fotos por segundo por núcleo: {:.1}", 1.0 / cpu_per_photo);
    println!(
        "  memoria pico por foto en curso: {:.0} MB (pico {:.0} MB − reposo {:.0} MB)",
        (hwm.saturating_sub(rss0)) as f64 / 1024.0,
        hwm as f64 / 1024.0,
        rss0 as f64 / 1024.0
    );
    let _ = child.kill().await;

    let dir = db.dir.path().join("vips");
    std::fs::create_dir_all(&dir)?;
    let mut vips = Vec::new();
    let children_before = children_cpu();
    for (i, photo) in photos.iter().enumerate() {
        let input = dir.join(format!("p{i}.jpg"));
        std::fs::write(&input, photo)?;
        let started = Instant::now();
        for size in ["1600", "320"] {
            let status = std::process::Command::new("vipsthumbnail")
                .env("VIPS_CONCURRENCY", "1")
                .arg(&input)
                .args(["-s", size, "-o"])
                .arg(dir.join(format!("p{i}-{size}.jpg[Q=82,strip]")))
                .status();
            match status {
                Ok(s) if s.success() => {}
                _ => {
                    println!("\nvipsthumbnail no está disponible (apt-get install libvips-tools).");
                    return Ok(());
                }
            }
        }
        vips.push(started.elapsed().as_secs_f64());
    }
    let vips_cpu = (children_cpu() - children_before) / n as f64;
    vips.sort_by(f64::total_cmp);
    println!(
        "\nvipsthumbnail (libvips, VIPS_CONCURRENCY=1, las mismas dos medidas, sin metadatos):"
    );
    println!("  tiempo por foto (mediana): {:.0} ms", vips[n / 2] * 1e3);
    println!(
        "  CPU por foto (dos procesos, incluido su arranque): {:.0} ms",
        vips_cpu * 1e3
    );
    println!(
        "  CPU de Campo (foto completa) / CPU de libvips: {:.2}×",
        cpu_per_photo / vips_cpu
    );
    Ok(())
}
