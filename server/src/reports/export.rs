//! The report as tables: the general figures as [`Section`]s (shared by the PDF, the XLSX and
//! the CSV, so the three print the same rows) and the detailed rows, and the CSV and XLSX files.
//!
//! CSV follows what Excel in es-CO opens with a double click: UTF-8 with a BOM, `;` between
//! fields, decimal comma, no thousands separator, dates as `dd/mm/aaaa hh:mm` in Bogota time.
//! Percentages are written as numbers (`75,0`, the header says «%») so a spreadsheet can compute
//! with them. The XLSX has real numbers and real dates (Bogota time) with display formats.
//!
//! Text that people typed (descriptions, categories, names) never runs as a formula (OWASP's CSV
//! injection): a text cell that starts like one (`=`, `+`, `-`, `@`, tab, carriage return) gets a
//! leading `'` in the CSV, which Excel and LibreOffice read as «this is text», and Excel's quote
//! prefix in the XLSX (what Excel itself records when a person types `'=…`: the cell shows the
//! text as typed and stays text when edited). Numbers are written as numbers, never touched.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::figures::{Breakdown, DetailRow, GeneralReport, Report, SatisfactionGroup, decimal};
use super::ticket::ResolutionMode;

/// One cell of a general table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(u64),
    /// A number with this many decimals, or nothing to measure.
    Num(Option<f64>, usize),
    /// A change from the previous period.
    Delta(Option<f64>, usize),
    Date(NaiveDate),
}

impl Cell {
    /// As people read it in the PDF: «75,0», «+3», «−2», «—».
    pub fn display(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Int(v) => v.to_string(),
            Cell::Num(v, d) => v.map_or("—".into(), |v| decimal(v, *d)),
            Cell::Delta(None, _) => "—".into(),
            Cell::Delta(Some(v), d) => {
                if v.abs() < 1e-9 {
                    "0".into()
                } else if *v > 0.0 {
                    format!("+{}", decimal(*v, *d))
                } else {
                    format!("−{}", decimal(-v, *d))
                }
            }
            Cell::Date(d) => d.format("%d/%m/%Y").to_string(),
        }
    }

    /// As a CSV field: like [`Cell::display`] but empty for «nothing» and an ASCII minus, so a
    /// spreadsheet reads numbers; text that starts like a formula is kept as text.
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(t) => csv_text(t).into_owned(),
            Cell::Num(None, _) | Cell::Delta(None, _) => String::new(),
            Cell::Delta(Some(v), d) => decimal(*v, *d),
            other => other.display(),
        }
    }
}

/// Whether a spreadsheet would take `text` for a formula: it starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return (OWASP's list for CSV injection).
pub fn starts_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Text as a CSV field: one that starts like a formula gets a leading `'`, so Excel and
/// LibreOffice show it as text instead of running it.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    if starts_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A titled table of the general report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Whether the PDF prints it (the per-day table is a chart there).
    pub in_pdf: bool,
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn section(title: &str, header: &[&str], rows: Vec<Vec<Cell>>) -> Section {
    Section {
        title: title.to_owned(),
        header: header.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        in_pdf: true,
    }
}

fn delta(a: Option<f64>, b: Option<f64>, decimals: usize) -> Cell {
    Cell::Delta(
        a.zip(b)
            .map(|(a, b)| super::figures::round(a - b, decimals as i32)),
        decimals,
    )
}

fn breakdown(title: &str, first: &str, rows: &[Breakdown]) -> Section {
    section(
        title,
        &[first, "Recibidas", "Resueltas", "Abiertas al cierre"],
        rows.iter()
            .map(|r| {
                vec![
                    Cell::Text(r.label.clone()),
                    Cell::Int(r.received),
                    Cell::Int(r.resolved),
                    Cell::Int(r.open_at_end),
                ]
            })
            .collect(),
    )
}

fn satisfaction(title: &str, first: &str, rows: &[SatisfactionGroup]) -> Section {
    section(
        title,
        &[
            first,
            "Resueltas",
            "Encuestas",
            "Respuesta (%)",
            "P1",
            "P2",
            "P3",
            "Promedio",
        ],
        rows.iter()
            .map(|g| {
                let mut row = vec![
                    Cell::Text(g.label.clone()),
                    Cell::Int(g.eligible),
                    Cell::Int(g.answered),
                    Cell::Num(g.response_rate, 1),
                ];
                row.extend(g.averages.iter().map(|a| Cell::Num(*a, 2)));
                row.push(Cell::Num(g.average, 2));
                row
            })
            .collect(),
    )
}

/// The general report as tables, in reading order.
pub fn sections(g: &GeneralReport) -> Vec<Section> {
    let (now, before) = (&g.headline, &g.previous);
    let count = |label: &str, a: u64, b: u64| {
        vec![
            text(label),
            Cell::Int(a),
            Cell::Int(b),
            Cell::Delta(Some(a as f64 - b as f64), 0),
        ]
    };
    let rate = |label: &str, a: Option<f64>, b: Option<f64>, d: usize| {
        vec![
            text(label),
            Cell::Num(a, d),
            Cell::Num(b, d),
            delta(a, b, d),
        ]
    };
    let period = format!("Periodo ({})", g.period.label);
    let previous = format!("Anterior ({})", g.previous_period.label);
    let mut out = vec![
        section(
            "Resumen",
            &["Indicador", &period, &previous, "Variación"],
            vec![
                count("Solicitudes recibidas", now.received, before.received),
                count("Resueltas", now.resolved, before.resolved),
                count("Cerradas", now.closed, before.closed),
                count("Anuladas", now.cancelled, before.cancelled),
                count("Abiertas al cierre", now.open_at_end, before.open_at_end),
                count(
                    "Traídas de periodos anteriores",
                    now.carried_over,
                    before.carried_over,
                ),
                count("Visitas realizadas", now.visits, before.visits),
                count(
                    "Visitas con usuario ausente",
                    now.absent_visits,
                    before.absent_visits,
                ),
                rate(
                    "Respuestas a tiempo (%)",
                    now.response_on_time,
                    before.response_on_time,
                    1,
                ),
                rate(
                    "Soluciones a tiempo (%)",
                    now.resolution_on_time,
                    before.resolution_on_time,
                    1,
                ),
                rate(
                    "Satisfacción promedio (1 a 5)",
                    now.satisfaction,
                    before.satisfaction,
                    2,
                ),
            ],
        ),
        section(
            "Solución por modalidad",
            &["Modalidad", "Resueltas"],
            ResolutionMode::ALL
                .iter()
                .map(|&m| vec![text(m.label()), Cell::Int(g.resolution_modes.get(m))])
                .collect(),
        ),
        section(
            "Cumplimiento de los tiempos de atención (ANS)",
            &[
                "Plazo",
                "A tiempo",
                "Tarde",
                "Cumplimiento (%)",
                "Vencidas abiertas",
                "En curso",
                "Promedio (h hábiles)",
                "Mediana (h hábiles)",
                "Percentil 90 (h hábiles)",
            ],
            [
                ("Atención", &g.sla.response, &g.times.response),
                ("Solución", &g.sla.resolution, &g.times.resolution),
            ]
            .into_iter()
            .map(|(label, c, t)| {
                vec![
                    text(label),
                    Cell::Int(c.on_time),
                    Cell::Int(c.late),
                    Cell::Num(c.rate, 1),
                    Cell::Int(c.overdue_open),
                    Cell::Int(c.running),
                    Cell::Num(t.average_hours, 1),
                    Cell::Num(t.median_hours, 1),
                    Cell::Num(t.p90_hours, 1),
                ]
            })
            .collect(),
        ),
        section(
            "Visitas y equipos",
            &["Concepto", "Cantidad"],
            vec![
                vec![text("Visitas realizadas"), Cell::Int(g.visits.total)],
                vec![
                    text("Visitas con usuario ausente"),
                    Cell::Int(g.visits.absent),
                ],
                vec![text("Revisitas"), Cell::Int(g.visits.revisits)],
                vec![
                    text("Equipos enviados a taller"),
                    Cell::Int(g.equipment.workshop_sends),
                ],
                vec![
                    text("Equipos enviados a contratista"),
                    Cell::Int(g.equipment.contractor_sends),
                ],
                vec![text("Equipos devueltos"), Cell::Int(g.equipment.returns)],
                vec![
                    text("Casos con el equipo fuera al cierre del periodo"),
                    Cell::Int(g.equipment.out_at_end),
                ],
                vec![
                    text("Días de equipos en taller o con contratista"),
                    Cell::Int(g.equipment.custody_days),
                ],
            ],
        ),
        breakdown("Por dependencia", "Dependencia", &g.by_dependencia),
        breakdown("Por categoría", "Categoría", &g.by_category),
        breakdown("Por canal", "Canal", &g.by_channel),
        breakdown("Por prioridad", "Prioridad", &g.by_priority),
        breakdown("Por responsable", "Responsable", &g.by_assignee),
        satisfaction(
            "Satisfacción de los usuarios",
            "Total",
            std::slice::from_ref(&g.satisfaction.overall),
        ),
        satisfaction(
            "Satisfacción por responsable",
            "Responsable",
            &g.satisfaction.by_assignee,
        ),
        satisfaction(
            "Satisfacción por dependencia",
            "Dependencia",
            &g.satisfaction.by_dependencia,
        ),
    ];
    let mut daily = section(
        "Recibidas y resueltas por día",
        &["Fecha", "Recibidas", "Resueltas"],
        g.daily
            .iter()
            .map(|d| {
                vec![
                    Cell::Date(d.date),
                    Cell::Int(d.received),
                    Cell::Int(d.resolved),
                ]
            })
            .collect(),
    );
    daily.in_pdf = false;
    out.push(daily);
    out
}

/// The notes under the compliance table: how time is counted, the office's closures in the
/// period, and the policy versions its cases were measured with.
pub fn sla_notes(g: &GeneralReport) -> Vec<String> {
    let mut notes = vec![
        "Ambos relojes corren desde la recepción de la solicitud, en horas hábiles: horario de la \
         oficina, sin festivos de Colombia ni cierres decretados. Atención: hasta que el caso se \
         acepta, se asigna o se atiende; solución: hasta que se resuelve, sin el tiempo de espera \
         por un usuario ausente cuando la política lo detiene."
            .to_owned(),
    ];
    for c in &g.closures {
        let hours = if c.is_closed() {
            "oficina cerrada".to_owned()
        } else {
            let spans: Vec<String> = c
                .hours
                .iter()
                .map(|h| format!("{}–{}", h.start.format("%H:%M"), h.end.format("%H:%M")))
                .collect();
            format!("jornada de {}", spans.join(" y "))
        };
        notes.push(format!(
            "{}: {hours} ({}).",
            c.date.format("%d/%m/%Y"),
            c.reason
        ));
    }
    for p in &g.policies {
        let since = if p.effective_from == 0 {
            "la primera política de tiempos".to_owned()
        } else {
            let at = super::period::utc(p.effective_from)
                .with_timezone(&campo_shared::calendar::bogota());
            format!(
                "la política vigente desde el {}",
                at.format("%d/%m/%Y %H:%M")
            )
        };
        notes.push(format!(
            "{} {} recibido{} en el periodo se mide{} con {since}.",
            p.cases,
            if p.cases == 1 { "caso" } else { "casos" },
            if p.cases == 1 { "" } else { "s" },
            if p.cases == 1 { "" } else { "n" },
        ));
    }
    notes
}

/// The questions and the answer scale, as the notes under the satisfaction tables say them.
pub fn question_notes(g: &GeneralReport) -> Vec<String> {
    let mut notes: Vec<String> = g
        .satisfaction
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| format!("P{}: {q}", i + 1))
        .collect();
    notes.push(scale_note(&g.satisfaction.scale));
    notes
}

/// «Escala: 1 = Muy malo, 2 = Malo, …, 5 = Muy bueno.»
pub fn scale_note(scale: &[&str]) -> String {
    let steps: Vec<String> = scale
        .iter()
        .enumerate()
        .map(|(i, label)| format!("{} = {label}", i + 1))
        .collect();
    format!("Escala: {}.", steps.join(", "))
}

/// Headers of the detailed report.
pub const DETAIL_HEADER: [&str; 25] = [
    "Número",
    "Fecha de registro",
    "Solicitante",
    "Dependencia",
    "Equipos",
    "Categoría",
    "Canal",
    "Prioridad",
    "Responsable",
    "Estado",
    "Descripción",
    "Visitas",
    "Visitas con usuario ausente",
    "Fecha de respuesta",
    "Fecha de solución",
    "Fecha de cierre",
    "Fecha de anulación",
    "Modalidad de solución",
    "Solución",
    "ANS respuesta",
    "ANS solución",
    "Horas hábiles hasta la solución",
    "P1 Oportunidad",
    "P2 Trato",
    "P3 Solución",
];

/// A detailed row's value, typed for the XLSX (and written as text for the CSV).
pub enum DetailValue<'a> {
    Text(&'a str),
    Int(i64),
    Num(Option<f64>),
    Time(Option<i64>),
    Answer(Option<i64>),
}

/// The cells of a detailed row, in [`DETAIL_HEADER`] order.
pub fn detail_values(r: &DetailRow) -> [DetailValue<'_>; 25] {
    use DetailValue::*;
    [
        Text(&r.number),
        Time(Some(r.created_at)),
        Text(&r.requester),
        Text(&r.dependencia),
        Text(&r.equipment),
        Text(&r.category),
        Text(&r.channel),
        Text(&r.priority),
        Text(&r.assignee),
        Text(&r.state),
        Text(&r.summary),
        Int(r.visits),
        Int(r.absent_visits),
        Time(r.responded_at),
        Time(r.resolved_at),
        Time(r.closed_at),
        Time(r.cancelled_at),
        Text(&r.resolution),
        Text(&r.solution),
        Text(r.response_sla.label()),
        Text(r.resolution_sla.label()),
        Num(r.resolution_hours),
        Answer(r.survey[0]),
        Answer(r.survey[1]),
        Answer(r.survey[2]),
    ]
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec())
}

/// The detailed report as CSV.
pub fn detail_csv(report: &Report) -> anyhow::Result<Vec<u8>> {
    let mut w = csv_writer();
    w.write_record(DETAIL_HEADER)?;
    for row in &report.detail {
        let fields = detail_values(row).map(|v| match v {
            DetailValue::Text(t) => csv_text(t).into_owned(),
            DetailValue::Int(i) => i.to_string(),
            DetailValue::Num(n) => n.map_or(String::new(), |n| decimal(n, 1)),
            DetailValue::Time(t) => t.map_or(String::new(), super::figures::datetime_text),
            DetailValue::Answer(a) => a.map_or(String::new(), |a| a.to_string()),
        });
        w.write_record(fields)?;
    }
    Ok(w.into_inner()?)
}

/// The general report as CSV: each section's title, its header and rows, then a blank line.
pub fn general_csv(report: &Report, heading: &[String]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv_writer();
    for line in heading {
        w.write_record([csv_text(line).as_ref()])?;
    }
    w.write_record([""])?;
    for s in sections(&report.general) {
        w.write_record([csv_text(&s.title).as_ref()])?;
        w.write_record(s.header.iter().map(|h| csv_text(h).into_owned()))?;
        for row in &s.rows {
            w.write_record(row.iter().map(Cell::csv))?;
        }
        if s.title.starts_with("Satisfacción de") {
            for note in question_notes(&report.general) {
                w.write_record([csv_text(&note).as_ref()])?;
            }
        }
        w.write_record([""])?;
    }
    Ok(w.into_inner()?)
}

/// An instant as an Excel serial date-time in Bogota (days since 1899-12-30).
pub fn excel_serial(ms: i64) -> f64 {
    let local_ms = ms + i64::from(campo_shared::calendar::BOGOTA_OFFSET_SECONDS) * 1000;
    local_ms as f64 / 86_400_000.0 + 25_569.0
}

fn excel_date(date: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date");
    (date - epoch).num_days() as f64
}

/// Writes text in a cell; text that starts like a formula gets the quote prefix, so Excel and
/// LibreOffice show it as text and keep it text when someone edits the cell.
fn write_text(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if starts_like_formula(text) {
        sheet.write_string_with_format(row, col, text, &format.clone().set_quote_prefix())?;
    } else {
        sheet.write_string_with_format(row, col, text, format)?;
    }
    Ok(())
}

/// The report as an XLSX workbook: sheet «General» (the sections) and «Detalle» (one row per
/// ticket).
pub fn xlsx(report: &Report, heading: &[String]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let plain = Format::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color(0xE8EEF5)
        .set_text_wrap()
        .set_align(FormatAlign::Center);
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let datetime = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    let formats = [
        Format::new().set_num_format("0"),
        Format::new().set_num_format("0.0"),
        Format::new().set_num_format("0.00"),
    ];
    let delta_formats = [
        Format::new().set_num_format("+0;-0;0"),
        Format::new().set_num_format("+0.0;-0.0;0.0"),
        Format::new().set_num_format("+0.00;-0.00;0.00"),
    ];

    let sheet = book.add_worksheet();
    sheet.set_name("General")?;
    sheet.set_column_width(0, 40)?;
    for col in 1..8 {
        sheet.set_column_width(col, 16)?;
    }
    let mut row = 0u32;
    for (i, line) in heading.iter().enumerate() {
        let format = if i == 0 { &title } else { &plain };
        write_text(sheet, row, 0, line, format)?;
        row += 1;
    }
    row += 1;
    for s in sections(&report.general) {
        write_text(sheet, row, 0, &s.title, &bold)?;
        row += 1;
        for (col, h) in s.header.iter().enumerate() {
            write_text(sheet, row, col as u16, h, &head)?;
        }
        row += 1;
        for cells in &s.rows {
            for (col, cell) in cells.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Text(t) => {
                        write_text(sheet, row, col, t, &plain)?;
                    }
                    Cell::Int(v) => {
                        sheet.write_number_with_format(row, col, *v as f64, &formats[0])?;
                    }
                    Cell::Num(Some(v), d) => {
                        sheet.write_number_with_format(row, col, *v, &formats[(*d).min(2)])?;
                    }
                    Cell::Delta(Some(v), d) => {
                        sheet.write_number_with_format(
                            row,
                            col,
                            *v,
                            &delta_formats[(*d).min(2)],
                        )?;
                    }
                    Cell::Num(None, _) | Cell::Delta(None, _) => {}
                    Cell::Date(d) => {
                        sheet.write_number_with_format(row, col, excel_date(*d), &date)?;
                    }
                }
            }
            row += 1;
        }
        if s.title.starts_with("Satisfacción de") {
            for note in question_notes(&report.general) {
                write_text(sheet, row, 0, &note, &plain)?;
                row += 1;
            }
        }
        row += 1;
    }

    let sheet: &mut Worksheet = book.add_worksheet();
    sheet.set_name("Detalle")?;
    for (col, h) in DETAIL_HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *h, &head)?;
        let width = match col {
            0 => 17.0,
            1 | 13..=16 => 16.0,
            2 | 3 | 8 | 10 | 18 => 28.0,
            _ => 13.0,
        };
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 1)?;
    for (i, r) in report.detail.iter().enumerate() {
        let row = i as u32 + 1;
        for (col, value) in detail_values(r).into_iter().enumerate() {
            let col = col as u16;
            match value {
                DetailValue::Text(t) => {
                    if !t.is_empty() {
                        write_text(sheet, row, col, t, &plain)?;
                    }
                }
                DetailValue::Int(v) => {
                    sheet.write_number_with_format(row, col, v as f64, &formats[0])?;
                }
                DetailValue::Num(Some(v)) => {
                    sheet.write_number_with_format(row, col, v, &formats[1])?;
                }
                DetailValue::Answer(Some(v)) => {
                    sheet.write_number_with_format(row, col, v as f64, &formats[0])?;
                }
                DetailValue::Time(Some(ms)) => {
                    sheet.write_number_with_format(row, col, excel_serial(ms), &datetime)?;
                }
                DetailValue::Num(None) | DetailValue::Answer(None) | DetailValue::Time(None) => {}
            }
        }
    }
    if !report.detail.is_empty() {
        sheet.autofilter(
            0,
            0,
            report.detail.len() as u32,
            DETAIL_HEADER.len() as u16 - 1,
        )?;
    }
    book.save_to_buffer()
}
