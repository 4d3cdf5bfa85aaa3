//! Monthly report benchmark (not a test): fills a fresh store with synthetic tickets over four
//! years, with a heavy last month, and times the report of that month on SQLite and PostgreSQL.
//!
//! ```text
//! cargo run --release -p campo-server --example report_bench -- [TOTAL] [IN_MONTH]
//! ```
//!
//! Defaults: 200,000 tickets from November 2022 to October 2026, 10,000 of them in October 2026.
//! PostgreSQL is reached at `CAMPO_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! where a scratch database is created and dropped; set `CAMPO_BENCH_SKIP_PG=1` to skip it.
//! Each measure is the median of 5 runs: "figures + charts" is the store query, the figures and the
//! four SVG charts serialised as the JSON answer; "XLSX" is the store query, the figures and the
//! workbook; "PDF" likewise.

use std::time::{Duration, Instant};

use campo_server::projection::{EquipmentEvent, Sla};
use campo_server::reports::figures;
use campo_server::reports::period::Period;
use campo_server::reports::ticket::{ReportTicket, ReportVisit};
use campo_server::reports::{charts, export, pdf};
use campo_server::store::{ReportFilters, Store};
use campo_shared::event_kind::EventKind;
use campo_shared::workflow::Interval;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Connection;

const CATEGORIES: [&str; 8] = [
    "Hardware",
    "Software",
    "Red",
    "Impresora",
    "Correo",
    "Telefonía",
    "Cuentas",
    "Otro",
];
const CHANNELS: [&str; 5] = ["intranet", "glpi", "email", "phone", "field"];
const PRIORITIES: [&str; 3] = ["alta", "media", "baja"];
const STATES_OPEN: [&str; 4] = ["asignada", "en_atencion", "usuario_ausente", "en_taller"];

fn people() -> Vec<(String, String, &'static str)> {
    (0..35)
        .map(|i| {
            if i < 30 {
                (format!("u-tec-{i}"), format!("Técnico {i}"), "tecnico")
            } else {
                (
                    format!("u-con-{i}"),
                    format!("Contratista {i}"),
                    "contratista",
                )
            }
        })
        .collect()
}

/// A random instant in business hours of `date`'s month.
fn in_month(rng: &mut StdRng, month: Period) -> i64 {
    let day = rng.gen_range(0..month.days());
    let minute = rng.gen_range(8 * 60..18 * 60);
    month.start_ms() + day * 86_400_000 + minute * 60_000
}

fn generate(total: usize, in_month_count: usize) -> (Vec<ReportTicket>, Period) {
    let mut rng = StdRng::seed_from_u64(2026);
    let people = people();
    let target = Period::parse_month("2026-10").unwrap();
    let mut months = vec![target];
    while months.len() < 48 {
        let previous = months.last().unwrap().previous();
        months.push(previous);
    }
    let mut tickets = Vec::with_capacity(total);
    for i in 0..total {
        let month = if i < in_month_count {
            target
        } else {
            months[1 + i % 47]
        };
        let created = in_month(&mut rng, month);
        let n = i + 1;
        let person = &people[rng.gen_range(0..people.len())];
        let priority = PRIORITIES[rng.gen_range(0..3)];
        let hour = 3_600_000;
        let mut t = ReportTicket {
            id: format!("doc-{n}"),
            number: format!("SAT-B-{n:07}"),
            requester_name: format!("Funcionario {}", n % 900),
            dependencia: Some(format!("D{:02}", rng.gen_range(0..20))),
            channel: CHANNELS[rng.gen_range(0..5)].into(),
            category: CATEGORIES[rng.gen_range(0..8)].into(),
            summary: "Solicitud de prueba".into(),
            state: "cerrada".into(),
            priority: Some(priority.into()),
            mode: Some(
                if rng.gen_bool(0.3) {
                    "phone"
                } else {
                    "on_site"
                }
                .into(),
            ),
            assignee_id: Some(person.0.clone()),
            assignee_name: Some(person.1.clone()),
            assignee_role: Some(person.2.into()),
            created_at: created,
            triaged_at: Some(created + rng.gen_range(0..hour)),
            responded_at: Some(created + rng.gen_range(hour / 6..8 * hour)),
            response_due: Some(created + 4 * hour),
            resolution_due: Some(created + 72 * hour),
            equipment: vec![format!("PC-{:05}", rng.gen_range(0..20_000))],
            ..ReportTicket::default()
        };
        let roll: f64 = rng.r#gen();
        if roll < 0.03 {
            t.state = "anulada".into();
            t.cancelled_at = Some(created + hour);
        } else if roll < 0.10 && month == target {
            t.state = STATES_OPEN[rng.gen_range(0..4)].into();
        } else {
            let resolved = created + rng.gen_range(hour..240 * hour);
            t.resolved_at = Some(resolved);
            t.resolution = Some(
                if rng.gen_bool(0.3) {
                    "phone"
                } else {
                    "on_site"
                }
                .into(),
            );
            if rng.gen_bool(0.8) {
                t.closed_at = Some(resolved + hour);
            } else {
                t.state = "resuelta".into();
            }
            let sent = created + hour / 2;
            if rng.gen_bool(0.1) {
                t.workshop_sends = 1;
                t.equipment_returns = 1;
                t.equipment_events = vec![
                    EquipmentEvent {
                        kind: EventKind::SentToWorkshop,
                        at: sent,
                    },
                    EquipmentEvent {
                        kind: EventKind::EquipmentReturned,
                        at: sent.max(resolved - hour / 2),
                    },
                ];
            } else if rng.gen_bool(0.05) {
                t.contractor_sends = 1;
                t.equipment_events = vec![EquipmentEvent {
                    kind: EventKind::SentToContractor,
                    at: sent,
                }];
            }
            if rng.gen_bool(0.5) {
                t.survey_at = Some(resolved + 2 * hour);
                t.survey_timeliness = Some(rng.gen_range(1..=5));
                t.survey_treatment = Some(rng.gen_range(1..=5));
                t.survey_solution = Some(rng.gen_range(1..=5));
            }
            t.report_summary = Some("Atendida".into());
        }
        let visits = if t.mode.as_deref() == Some("phone") {
            0
        } else {
            rng.gen_range(1..=3)
        };
        for v in 0..visits {
            let present = v + 1 == visits || rng.gen_bool(0.5);
            let started_at = created + (v as i64 + 1) * 2 * hour;
            t.visit_log.push(ReportVisit {
                technician_id: person.0.clone(),
                started_at,
                user_present: present,
            });
            t.absent_visits += i64::from(!present);
            if !present {
                // Waiting for the user until the next visit.
                t.absences.push(Interval {
                    start: started_at,
                    end: Some(started_at + 2 * hour),
                });
            }
        }
        t.visits = visits as i64;
        tickets.push(t);
    }
    (tickets, target)
}

macro_rules! fill {
    ($pool:expr, $tickets:expr) => {{
        let pool = &$pool;
        let mut tx = pool.begin().await?;
        for d in 0..20 {
            sqlx::query("insert into dependencias (code, name, created_at) values ($1, $2, 0)")
                .bind(format!("D{d:02}"))
                .bind(format!("Dependencia {d:02}"))
                .execute(&mut *tx)
                .await?;
        }
        for (id, name, role) in people() {
            sqlx::query(
                "insert into users (id, username, full_name, role, password_hash, created_at,
                                    updated_at) values ($1, $1, $2, $3, 'x', 0, 0)",
            )
            .bind(id)
            .bind(name)
            .bind(role)
            .execute(&mut *tx)
            .await?;
        }
        for chunk in $tickets.chunks(500) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into tickets (id, number, requester_name, dependencia, channel, category,
                 summary, state, priority, mode, assignee_id, assignee_name, assignee_role,
                 created_at, updated_at, triaged_at, responded_at, response_due, resolution_due,
                 resolved_at, resolution, closed_at, cancelled_at, visits, absent_visits,
                 workshop_sends, contractor_sends, equipment_returns, report_summary, survey_at,
                 survey_timeliness, survey_treatment, survey_solution) ",
            );
            q.push_values(chunk, |mut b, t: &ReportTicket| {
                b.push_bind(t.id.clone())
                    .push_bind(t.number.clone())
                    .push_bind(t.requester_name.clone())
                    .push_bind(t.dependencia.clone())
                    .push_bind(t.channel.clone())
                    .push_bind(t.category.clone())
                    .push_bind(t.summary.clone())
                    .push_bind(t.state.clone())
                    .push_bind(t.priority.clone())
                    .push_bind(t.mode.clone())
                    .push_bind(t.assignee_id.clone())
                    .push_bind(t.assignee_name.clone())
                    .push_bind(t.assignee_role.clone())
                    .push_bind(t.created_at)
                    .push_bind(t.created_at)
                    .push_bind(t.triaged_at)
                    .push_bind(t.responded_at)
                    .push_bind(t.response_due)
                    .push_bind(t.resolution_due)
                    .push_bind(t.resolved_at)
                    .push_bind(t.resolution.clone())
                    .push_bind(t.closed_at)
                    .push_bind(t.cancelled_at)
                    .push_bind(t.visits)
                    .push_bind(t.absent_visits)
                    .push_bind(t.workshop_sends)
                    .push_bind(t.contractor_sends)
                    .push_bind(t.equipment_returns)
                    .push_bind(t.report_summary.clone())
                    .push_bind(t.survey_at)
                    .push_bind(t.survey_timeliness)
                    .push_bind(t.survey_treatment)
                    .push_bind(t.survey_solution);
            });
            q.build().execute(&mut *tx).await?;
            let visits: Vec<(&str, usize, &ReportVisit)> = chunk
                .iter()
                .flat_map(|t| {
                    t.visit_log
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (t.id.as_str(), i, v))
                })
                .collect();
            if !visits.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "insert into ticket_visits (ticket_id, visit_id, technician_id, started_at,
                     user_present) ",
                );
                q.push_values(visits, |mut b, (id, i, v)| {
                    b.push_bind(id.to_owned())
                        .push_bind(format!("v{i}"))
                        .push_bind(v.technician_id.clone())
                        .push_bind(v.started_at)
                        .push_bind(v.user_present);
                });
                q.build().execute(&mut *tx).await?;
            }
            let mut q = sqlx::QueryBuilder::new("insert into ticket_equipment (ticket_id, code) ");
            q.push_values(chunk, |mut b, t: &ReportTicket| {
                b.push_bind(t.id.clone()).push_bind(t.equipment[0].clone());
            });
            q.build().execute(&mut *tx).await?;
            let absences: Vec<(&str, usize, &Interval)> = chunk
                .iter()
                .flat_map(|t| {
                    t.absences
                        .iter()
                        .enumerate()
                        .map(|(i, a)| (t.id.as_str(), i, a))
                })
                .collect();
            if !absences.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "insert into ticket_absences (ticket_id, seq, started_at, ended_at) ",
                );
                q.push_values(absences, |mut b, (id, i, a)| {
                    b.push_bind(id.to_owned())
                        .push_bind(i as i64)
                        .push_bind(a.start)
                        .push_bind(a.end);
                });
                q.build().execute(&mut *tx).await?;
            }
            let events: Vec<(&str, usize, &EquipmentEvent)> = chunk
                .iter()
                .flat_map(|t| {
                    t.equipment_events
                        .iter()
                        .enumerate()
                        .map(|(i, e)| (t.id.as_str(), i, e))
                })
                .collect();
            if !events.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "insert into ticket_equipment_events (ticket_id, seq, kind, at) ",
                );
                q.push_values(events, |mut b, (id, i, e)| {
                    b.push_bind(id.to_owned())
                        .push_bind(i as i64)
                        .push_bind(e.kind.as_str())
                        .push_bind(e.at);
                });
                q.build().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        pool.close().await;
    }};
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

async fn measure(
    name: &str,
    url: &str,
    tickets: &[ReportTicket],
    month: Period,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = Store::connect(url).await?;
    store.close().await;
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        fill!(pool, tickets);
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        fill!(pool, tickets);
    }
    let store = Store::connect(url).await?;
    println!(
        "{name}: {} tickets written in {:.2?}",
        tickets.len(),
        started.elapsed()
    );
    let sla = Sla::default();
    let filters = ReportFilters::default();
    let load = || async {
        store
            .report_tickets(month.previous().start_ms(), month.end_ms(), &filters)
            .await
    };
    let now = month.end_ms() + 86_400_000;
    let (mut json_runs, mut xlsx_runs, mut pdf_runs, mut load_runs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut rows = 0;
    let mut sizes = (0, 0);
    for _ in 0..5 {
        let t = Instant::now();
        let loaded = load().await?;
        load_runs.push(t.elapsed());
        rows = loaded.len();
        let report = figures::report(&loaded, month, &sla, now);
        let svgs: Vec<String> = charts::all(&report.general)
            .iter()
            .map(|c| c.svg())
            .collect();
        let json = serde_json::to_vec(&(&report, &svgs))?;
        json_runs.push(t.elapsed());
        sizes.0 = json.len();

        let t = Instant::now();
        let loaded = load().await?;
        let report = figures::report(&loaded, month, &sla, now);
        let xlsx = export::xlsx(&report, &["Informe".to_owned()])?;
        xlsx_runs.push(t.elapsed());
        sizes.1 = xlsx.len();

        let t = Instant::now();
        let loaded = load().await?;
        let report = figures::report(&loaded, month, &sla, now);
        let heading = pdf::Heading {
            organisation: "Secretaría TIC",
            generated: "",
            filters: "",
        };
        let _pdf = pdf::render(&report.general, &heading);
        pdf_runs.push(t.elapsed());
    }
    println!(
        "{name}: {rows} tickets read for the month and the previous one; store query {:.2?}",
        median(load_runs)
    );
    println!(
        "{name}: general figures + detail + charts (JSON, {} kB): {:.2?}",
        sizes.0 / 1024,
        median(json_runs)
    );
    println!(
        "{name}: XLSX ({} kB): {:.2?}",
        sizes.1 / 1024,
        median(xlsx_runs)
    );
    println!("{name}: PDF: {:.2?}", median(pdf_runs));
    store.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.replace('_', "").parse())
        .collect::<Result<_, _>>()?;
    let total = args.first().copied().unwrap_or(200_000);
    let in_month = args.get(1).copied().unwrap_or(10_000).min(total);
    let (tickets, month) = generate(total, in_month);
    println!(
        "{total} tickets over 48 months, {in_month} in {}",
        month.label()
    );

    let dir = std::env::temp_dir().join(format!("campo-report-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("campo.sqlite3").display());
    let result = measure("SQLite", &url, &tickets, month).await;
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
        let result = measure("PostgreSQL", &format!("{base}/{name}"), &tickets, month).await;
        sqlx::query(&format!("drop database if exists {name} with (force)"))
            .execute(&mut conn)
            .await?;
        result?;
    }
    Ok(())
}
