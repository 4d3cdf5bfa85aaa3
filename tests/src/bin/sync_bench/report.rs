//! The report: the figures side by side, and the targets.

use crate::{Figures, Plan, Target};

pub fn es(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        return "—".into();
    }
    let text = format!("{value:.decimals$}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

pub fn report(plan: &Plan, results: &[(Target, anyhow::Result<Figures>)]) {
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let cell = |f: &anyhow::Result<Figures>, get: &dyn Fn(&Figures) -> Option<String>| match f {
        Ok(f) => get(f).unwrap_or_else(|| "—".into()),
        Err(_) => "error".into(),
    };
    let mut row = |label: String, get: &dyn Fn(&Figures) -> Option<String>| {
        rows.push((label, results.iter().map(|(_, f)| cell(f, get)).collect()));
    };
    row(
        format!("Subir {} tiquetes nuevos (s)", es(plan.small as f64, 0)),
        &|f| f.push_small.map(|d| es(d.as_secs_f64(), 2)),
    );
    row(
        format!("Subir {} tiquetes nuevos (s)", es(plan.large as f64, 0)),
        &|f| f.push_large.map(|d| es(d.as_secs_f64(), 2)),
    );
    for (i, stored) in [0, plan.small, plan.large].into_iter().enumerate() {
        row(
            format!(
                "CPU del servidor por cambio, {} docs (ms)",
                es(stored as f64, 0)
            ),
            &move |f| f.per_change.get(i).map(|p| es(p.1, 2)),
        );
    }
    for (i, stored) in [0, plan.small, plan.large].into_iter().enumerate() {
        row(
            format!(
                "Latencia A→B mediana / p99, {} docs (ms)",
                es(stored as f64, 0)
            ),
            &move |f| {
                f.per_change
                    .get(i)
                    .map(|p| format!("{} / {}", es(p.2, 1), es(p.3, 1)))
            },
        );
    }
    row(
        format!("Memoria (RSS) con {} docs (MB)", es(plan.small as f64, 0)),
        &|f| f.rss_small_mb.map(|m| es(m, 0)),
    );
    row(
        format!("Memoria (RSS) con {} docs (MB)", es(plan.large as f64, 0)),
        &|f| f.rss_large_mb.map(|m| es(m, 0)),
    );
    row(
        format!(
            "Memoria con {} clientes inactivos (MB)",
            es(plan.idle_clients as f64, 0)
        ),
        &|f| {
            f.idle_mb.map(|m| {
                format!(
                    "{} (+{})",
                    es(m, 0),
                    es(m - f.idle_base_mb.unwrap_or(0.0), 0)
                )
            })
        },
    );

    row(
        format!(
            "Cambios por segundo, {} clientes a la vez, {} docs",
            plan.busy_clients,
            es(plan.large as f64, 0)
        ),
        &|f| f.busy.map(|b| es(b.0, 0)),
    );
    row(
        format!(
            "CPU por cambio, {} clientes a la vez (ms)",
            plan.busy_clients
        ),
        &|f| f.busy.map(|b| es(b.1, 2)),
    );
    row(
        format!(
            "Memoria con {} técnicos inactivos, token (MB)",
            es(plan.idle_clients as f64, 0)
        ),
        &|f| {
            f.idle_tecnico_mb
                .map(|(base, with)| format!("{} (+{})", es(with, 0), es(with - base, 0)))
        },
    );

    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let col = results
        .iter()
        .map(|(t, _)| t.label().chars().count())
        .max()
        .unwrap_or(0)
        .max(22);
    print!("{:width$}", "");
    for (target, _) in results {
        print!("  {:>col$}", target.label());
    }
    println!();
    for (label, cells) in &rows {
        print!("{label:width$}");
        for c in cells {
            print!("  {c:>col$}");
        }
        println!();
    }
    for (target, figures) in results {
        if let Err(err) = figures {
            println!("{}: error: {err:#}", target.label());
        }
    }

    // The targets, for each Campo backend against the Node server.
    let node = results
        .iter()
        .find(|(t, _)| *t == Target::Node)
        .and_then(|(_, f)| f.as_ref().ok());
    println!();
    for (target, figures) in results {
        let (Target::CampoSqlite | Target::CampoPostgres | Target::CampoPostgres3, Ok(f)) =
            (target, figures)
        else {
            continue;
        };
        println!("Objetivos, {}:", target.label());
        let at = |i: usize| f.per_change.get(i).map(|p| p.1).unwrap_or(f64::NAN);
        let check = |ok: bool| if ok { "cumple" } else { "NO cumple" };
        if let Some(n) = node {
            let node_cpu = n.per_change.get(2).map(|p| p.1).unwrap_or(f64::NAN);
            println!(
                "  CPU por cambio con {} docs ≥10× menor que Node: {} ({}× menor)",
                es(plan.large as f64, 0),
                check(node_cpu / at(2) >= 10.0),
                es(node_cpu / at(2), 1)
            );
            let (mine, theirs) = (
                f.rss_large_mb.unwrap_or(f64::NAN),
                n.rss_large_mb.unwrap_or(f64::NAN),
            );
            println!(
                "  memoria ≤ ¼ de la de Node: {} ({} MB frente a {} MB)",
                check(mine * 4.0 <= theirs),
                es(mine, 0),
                es(theirs, 0)
            );
        }
        println!(
            "  CPU por cambio con {} docs a menos de 20 % de la de 0 docs: {} ({} ms frente a {} ms)",
            es(plan.large as f64, 0),
            check(at(2) <= at(0) * 1.2),
            es(at(2), 2),
            es(at(0), 2)
        );
        let p99 = f.per_change.iter().map(|p| p.3).fold(0.0, f64::max);
        println!(
            "  latencia p99 < 20 ms: {} (máxima p99 {} ms)",
            check(p99 < 20.0),
            es(p99, 1)
        );
        let idle = f.idle_mb.unwrap_or(f64::NAN);
        println!(
            "  {} clientes inactivos < 150 MB: {} ({} MB)",
            es(plan.idle_clients as f64, 0),
            check(idle < 150.0),
            es(idle, 0)
        );
        let tecnicos = f.idle_tecnico_mb.map_or(f64::NAN, |(_, with)| with);
        println!(
            "  {} técnicos inactivos en una réplica < 150 MB: {} ({} MB)",
            es(plan.idle_clients as f64, 0),
            check(tecnicos < 150.0),
            es(tecnicos, 0)
        );
    }
}
