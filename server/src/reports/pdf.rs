//! The general report as a PDF ready to file: the organisation's header and the period, the
//! figures as tables and the charts, A4 portrait.
//!
//! Text and the font are [`crate::pdfdoc`]'s. Charts are the primitives of [`super::charts`]
//! drawn as PDF operations, never parsed from SVG.

use pdf_writer::Content;

use super::charts::{self, Anchor, Chart, Color, GRID, INK, Item};
use super::export::{self, Cell};
use super::figures::GeneralReport;
use crate::pdfdoc::{self, Metrics, PAGE_H, PAGE_W, Writer};

const MARGIN: f32 = 18.0;
const BOTTOM: f32 = PAGE_H - 16.0;
const BODY: f32 = 3.0; // 8.5 pt
const ROW: f32 = 5.2;
const GREY: Color = Color(0x55, 0x55, 0x55);
const BAND: Color = Color(0xe8, 0xee, 0xf5);

/// What the header says besides the figures.
pub struct Heading<'a> {
    pub organisation: &'a str,
    /// «Generado el 02/11/2026 08:00 (hora de Bogotá)».
    pub generated: &'a str,
    /// The filters applied, as people read them; empty when none.
    pub filters: &'a str,
}

/// The pages being laid out, as chart items in millimetres.
struct Layout {
    metrics: Metrics,
    pages: Vec<Vec<Item>>,
    y: f32,
    running_head: String,
}

impl Layout {
    fn page(&mut self) -> &mut Vec<Item> {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        let head = self.running_head.clone();
        self.text(MARGIN, 12.0, 2.6, Anchor::Start, GREY, &head);
        self.y = 20.0;
    }

    /// Starts a new page unless `height` more millimetres fit.
    fn need(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, anchor: Anchor, fill: Color, text: &str) {
        self.page().push(Item::Text {
            x,
            y,
            size,
            anchor,
            fill,
            text: text.to_owned(),
        });
    }

    fn section(&mut self, title: &str) {
        self.need(8.0 + 3.0 * ROW);
        self.y += 4.0;
        self.text(MARGIN, self.y + 4.0, 4.2, Anchor::Start, INK, title);
        self.y += 7.0;
    }

    fn note(&mut self, text: &str) {
        self.need(ROW);
        self.text(MARGIN, self.y + 3.6, 2.7, Anchor::Start, GREY, text);
        self.y += ROW;
    }

    /// A table: the first column left-aligned, the others right-aligned.
    fn table(&mut self, widths: &[f32], header: &[&str], rows: &[Vec<String>]) {
        let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
        self.need(ROW * 2.0);
        self.row(widths, &header, true);
        for row in rows {
            if self.y + ROW > BOTTOM {
                self.new_page();
                self.row(widths, &header, true);
            }
            self.row(widths, row, false);
        }
        self.y += 2.0;
    }

    fn row(&mut self, widths: &[f32], cells: &[String], header: bool) {
        let y = self.y;
        if header {
            let total: f32 = widths.iter().sum();
            self.page().push(Item::Rect {
                x: MARGIN,
                y,
                w: total,
                h: ROW,
                fill: BAND,
            });
        }
        let mut x = MARGIN;
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let text = self.metrics.fit(cell, BODY, w - 2.0);
            if i == 0 {
                self.text(x + 1.0, y + 3.7, BODY, Anchor::Start, INK, &text);
            } else {
                self.text(x + w - 1.0, y + 3.7, BODY, Anchor::End, INK, &text);
            }
            x += w;
        }
        let total: f32 = widths.iter().sum();
        self.page().push(Item::Line {
            x1: MARGIN,
            y1: y + ROW,
            x2: MARGIN + total,
            y2: y + ROW,
            stroke: GRID,
            width: 0.15,
        });
        self.y += ROW;
    }

    /// A chart scaled to the text width.
    fn chart(&mut self, chart: &Chart) {
        let width = PAGE_W - 2.0 * MARGIN;
        let scale = width / chart.width;
        let height = chart.height * scale;
        self.need(height + 6.0);
        self.y += 4.0;
        let (x0, y0) = (MARGIN, self.y);
        let items: Vec<Item> = chart
            .items
            .iter()
            .map(|item| match item.clone() {
                Item::Rect { x, y, w, h, fill } => Item::Rect {
                    x: x0 + x * scale,
                    y: y0 + y * scale,
                    w: w * scale,
                    h: h * scale,
                    fill,
                },
                Item::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    stroke,
                    width,
                } => Item::Line {
                    x1: x0 + x1 * scale,
                    y1: y0 + y1 * scale,
                    x2: x0 + x2 * scale,
                    y2: y0 + y2 * scale,
                    stroke,
                    width: width * scale,
                },
                Item::Text {
                    x,
                    y,
                    size,
                    anchor,
                    fill,
                    text,
                } => Item::Text {
                    x: x0 + x * scale,
                    y: y0 + y * scale,
                    size: size * scale,
                    anchor,
                    fill,
                    text,
                },
            })
            .collect();
        self.page().extend(items);
        self.y += height;
    }
}

/// The general report as a PDF.
pub fn render(report: &GeneralReport, heading: &Heading<'_>) -> Vec<u8> {
    let mut l = Layout {
        metrics: Metrics::new(),
        pages: vec![Vec::new()],
        y: MARGIN,
        running_head: format!(
            "{} · Informe de asistencia técnica · {}",
            heading.organisation, report.period.label
        ),
    };
    let full = PAGE_W - 2.0 * MARGIN;

    l.text(MARGIN, 20.0, 3.5, Anchor::Start, GREY, heading.organisation);
    l.text(
        MARGIN,
        29.0,
        6.0,
        Anchor::Start,
        INK,
        "Informe mensual de asistencia técnica",
    );
    let period = format!(
        "Periodo: {} ({} a {})",
        report.period.label,
        report.period.from.format("%d/%m/%Y"),
        report.period.to.format("%d/%m/%Y")
    );
    l.text(MARGIN, 36.0, 3.6, Anchor::Start, INK, &period);
    l.text(MARGIN, 41.5, 2.7, Anchor::Start, GREY, heading.generated);
    l.y = 44.0;
    if !heading.filters.is_empty() {
        let filters = format!("Filtros: {}", heading.filters);
        l.text(MARGIN, 46.5, 2.7, Anchor::Start, GREY, &filters);
        l.y = 49.0;
    }
    let rule = l.y;
    l.page().push(Item::Line {
        x1: MARGIN,
        y1: rule,
        x2: PAGE_W - MARGIN,
        y2: rule,
        stroke: INK,
        width: 0.3,
    });

    for section in export::sections(report).into_iter().filter(|s| s.in_pdf) {
        l.section(&section.title);
        let n = section.header.len();
        let first = if n <= 4 { 78.0 } else { 44.0 };
        let rest = ((full - first) / (n - 1).max(1) as f32).min(32.0);
        let mut widths = vec![first];
        widths.extend(std::iter::repeat_n(rest, n - 1));
        let header: Vec<&str> = section.header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = section
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::display).collect())
            .collect();
        l.table(&widths, &header, &rows);
        if section.title.starts_with("Cumplimiento") {
            for note in export::sla_notes(report) {
                l.note(&note);
            }
        }
        if section.title.starts_with("Satisfacción de") {
            for note in export::question_notes(report) {
                l.note(&note);
            }
        }
    }

    l.new_page();
    for chart in charts::all(report) {
        l.chart(&chart);
    }
    finish(
        l,
        &format!("Informe de asistencia técnica — {}", report.period.label),
    )
}

/// Writes the pages, with page numbers, and the embedded font.
fn finish(mut l: Layout, title: &str) -> Vec<u8> {
    let total = l.pages.len();
    for (i, page) in l.pages.iter_mut().enumerate() {
        page.push(Item::Text {
            x: PAGE_W - MARGIN,
            y: PAGE_H - 9.0,
            size: 2.6,
            anchor: Anchor::End,
            fill: GREY,
            text: format!("Página {} de {total}", i + 1),
        });
    }
    let mut writer = Writer::new(l.metrics);
    for items in &l.pages {
        let mut content = Content::new();
        for item in items {
            draw(&mut content, item, &mut writer);
        }
        writer.page(content, &[]);
    }
    writer.finish(title)
}

/// One item as PDF operations.
fn draw(content: &mut Content, item: &Item, writer: &mut Writer) {
    let rgb = |c: Color| (c.0, c.1, c.2);
    match item {
        Item::Rect { x, y, w, h, fill } => pdfdoc::fill_rect(content, *x, *y, *w, *h, rgb(*fill)),
        Item::Line {
            x1,
            y1,
            x2,
            y2,
            stroke,
            width,
        } => pdfdoc::line(content, (*x1, *y1), (*x2, *y2), rgb(*stroke), *width),
        Item::Text {
            x,
            y,
            size,
            anchor,
            fill,
            text,
        } => {
            let width = writer.metrics().width(text, *size);
            let x = match anchor {
                Anchor::Start => *x,
                Anchor::Middle => x - width / 2.0,
                Anchor::End => x - width,
            };
            writer.text(content, x, *y, *size, rgb(*fill), text);
        }
    }
}
