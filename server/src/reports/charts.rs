//! The report's charts, as a few primitives (rectangles, lines, text) in chart units, rendered
//! to SVG for the page and drawn into the PDF by [`super::pdf`] from the same primitives. No
//! script, Spanish labels, and colours chosen to stay apart when printed in grey (a dark and a
//! light tone per pair, with the figures written beside the bars).

use std::fmt::Write;

use super::figures::{Breakdown, GeneralReport, decimal, percent_text};
use crate::labels::draw::Font;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

pub const INK: Color = Color(0x22, 0x22, 0x22);
pub const GRID: Color = Color(0xcc, 0xcc, 0xcc);
/// Received: dark blue.
pub const RECEIVED: Color = Color(0x1f, 0x4e, 0x8c);
/// Resolved: light orange.
pub const RESOLVED: Color = Color(0xf0, 0xa2, 0x3c);
/// On time: dark green.
pub const ON_TIME: Color = Color(0x2e, 0x6b, 0x30);
/// Late: light red.
pub const LATE: Color = Color(0xef, 0x9a, 0x9a);

/// Where a text's `x` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// One thing drawn. Coordinates in chart units, origin at the top-left, `y` of a text is its
/// baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Color,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        stroke: Color,
        width: f32,
    },
    Text {
        x: f32,
        y: f32,
        size: f32,
        anchor: Anchor,
        fill: Color,
        text: String,
    },
}

/// A chart: its name in URLs, its title, its size and what it draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub name: &'static str,
    pub title: String,
    pub width: f32,
    pub height: f32,
    pub items: Vec<Item>,
}

/// The charts' names, in the order the report shows them.
pub const NAMES: [&str; 4] = ["diario", "dependencias", "ans", "satisfaccion"];

const WIDTH: f32 = 640.0;
const TITLE: f32 = 15.0;
const LABEL: f32 = 11.0;
const SMALL: f32 = 9.0;

impl Chart {
    fn new(name: &'static str, title: &str, height: f32) -> Self {
        let mut chart = Self {
            name,
            title: title.to_owned(),
            width: WIDTH,
            height,
            items: Vec::new(),
        };
        chart.text(0.0, 16.0, TITLE, Anchor::Start, INK, title);
        chart
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Color) {
        if w > 0.0 && h > 0.0 {
            self.items.push(Item::Rect { x, y, w, h, fill });
        }
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, stroke: Color) {
        self.items.push(Item::Line {
            x1,
            y1,
            x2,
            y2,
            stroke,
            width: 0.8,
        });
    }

    fn text(&mut self, x: f32, y: f32, size: f32, anchor: Anchor, fill: Color, text: &str) {
        self.items.push(Item::Text {
            x,
            y,
            size,
            anchor,
            fill,
            text: text.to_owned(),
        });
    }

    fn legend(&mut self, y: f32, entries: &[(Color, &str)]) {
        let font = Font::sans();
        let mut x = 0.0;
        for (color, label) in entries {
            self.rect(x, y - 9.0, 10.0, 10.0, *color);
            self.text(x + 14.0, y, LABEL, Anchor::Start, INK, label);
            x += 14.0 + font.width(label, LABEL) + 20.0;
        }
    }

    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" \
             height=\"{h}\" role=\"img\" aria-label=\"{t}\" font-family=\"Ubuntu, 'DejaVu Sans', \
             Arial, sans-serif\"><title>{t}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>",
            w = self.width,
            h = self.height,
            t = escape(&self.title)
        );
        for item in &self.items {
            let _ = match item {
                Item::Rect { x, y, w, h, fill } => write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{}\"/>",
                    fill.hex()
                ),
                Item::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    stroke,
                    width,
                } => write!(
                    out,
                    "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" \
                     stroke=\"{}\" stroke-width=\"{width}\"/>",
                    stroke.hex()
                ),
                Item::Text {
                    x,
                    y,
                    size,
                    anchor,
                    fill,
                    text,
                } => write!(
                    out,
                    "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\" text-anchor=\"{}\" \
                     fill=\"{}\">{}</text>",
                    match anchor {
                        Anchor::Start => "start",
                        Anchor::Middle => "middle",
                        Anchor::End => "end",
                    },
                    fill.hex(),
                    escape(text)
                ),
            };
        }
        out.push_str("</svg>");
        out
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round maximum for an axis that holds `max`, and its step (1, 2 or 5 × 10ⁿ, about 5 steps).
fn axis(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            let s = step * m;
            if max.div_ceil(s) <= 5 {
                return (max.div_ceil(s) * s, s);
            }
        }
        step *= 10;
    }
}

/// Every chart of a report, in [`NAMES`] order.
pub fn all(report: &GeneralReport) -> Vec<Chart> {
    NAMES
        .iter()
        .filter_map(|name| chart(report, name))
        .collect()
}

/// One chart by name.
pub fn chart(report: &GeneralReport, name: &str) -> Option<Chart> {
    match name {
        "diario" => Some(daily(report)),
        "dependencias" => Some(by_dependencia(report)),
        "ans" => Some(sla(report)),
        "satisfaccion" => Some(satisfaction(report)),
        _ => None,
    }
}

/// Received and resolved per day, as pairs of vertical bars.
fn daily(report: &GeneralReport) -> Chart {
    let mut c = Chart::new("diario", "Solicitudes recibidas y resueltas por día", 300.0);
    c.legend(38.0, &[(RECEIVED, "Recibidas"), (RESOLVED, "Resueltas")]);
    let (left, top, bottom) = (36.0, 56.0, 262.0);
    let plot_w = WIDTH - left - 4.0;
    let max = report
        .daily
        .iter()
        .map(|d| d.received.max(d.resolved))
        .max()
        .unwrap_or(0);
    let (axis_max, step) = axis(max);
    let y_of = |v: u64| bottom - (bottom - top) * v as f32 / axis_max as f32;
    let mut v = 0;
    while v <= axis_max {
        let y = y_of(v);
        c.line(left, y, WIDTH - 4.0, y, GRID);
        c.text(left - 6.0, y + 3.5, SMALL, Anchor::End, INK, &v.to_string());
        v += step;
    }
    let n = report.daily.len().max(1);
    let slot = plot_w / n as f32;
    let bar = (slot * 0.4).max(0.5);
    let label_every = n.div_ceil(31);
    for (i, day) in report.daily.iter().enumerate() {
        let x = left + slot * i as f32 + slot * 0.1;
        c.rect(
            x,
            y_of(day.received),
            bar,
            bottom - y_of(day.received),
            RECEIVED,
        );
        c.rect(
            x + bar,
            y_of(day.resolved),
            bar,
            bottom - y_of(day.resolved),
            RESOLVED,
        );
        if i % label_every == 0 {
            let label = if n > 31 {
                day.date.format("%d/%m").to_string()
            } else {
                day.date.format("%d").to_string()
            };
            c.text(
                left + slot * (i as f32 + 0.5),
                bottom + 13.0,
                SMALL,
                Anchor::Middle,
                INK,
                &label,
            );
        }
    }
    c.line(left, bottom, WIDTH - 4.0, bottom, INK);
    c.text(
        left,
        bottom + 32.0,
        SMALL,
        Anchor::Start,
        INK,
        &format!(
            "Total: {} recibidas, {} resueltas.",
            report.headline.received, report.headline.resolved
        ),
    );
    c
}

/// The first rows of a breakdown, the rest added up as «Otras».
fn top_rows(rows: &[Breakdown], keep: usize) -> Vec<Breakdown> {
    if rows.len() <= keep + 1 {
        return rows.to_vec();
    }
    let mut out = rows[..keep].to_vec();
    let rest = &rows[keep..];
    out.push(Breakdown {
        key: String::new(),
        label: format!("Otras ({})", rest.len()),
        received: rest.iter().map(|r| r.received).sum(),
        resolved: rest.iter().map(|r| r.resolved).sum(),
        open_at_end: rest.iter().map(|r| r.open_at_end).sum(),
    });
    out
}

/// Received and resolved per dependencia, as horizontal bars.
fn by_dependencia(report: &GeneralReport) -> Chart {
    let rows = top_rows(&report.by_dependencia, 10);
    let row_h = 30.0;
    let top = 56.0;
    let mut c = Chart::new(
        "dependencias",
        "Solicitudes por dependencia",
        top + row_h * rows.len().max(1) as f32 + 12.0,
    );
    c.legend(38.0, &[(RECEIVED, "Recibidas"), (RESOLVED, "Resueltas")]);
    let font = Font::sans();
    let label_w = 190.0;
    let left = label_w + 8.0;
    let plot_w = WIDTH - left - 40.0;
    let max = rows
        .iter()
        .map(|r| r.received.max(r.resolved))
        .max()
        .unwrap_or(0)
        .max(1);
    if rows.is_empty() {
        c.text(
            0.0,
            top + 16.0,
            LABEL,
            Anchor::Start,
            INK,
            "Sin solicitudes en el periodo.",
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let y = top + row_h * i as f32;
        let (label, size) = font.fit(&row.label, LABEL, SMALL, label_w);
        c.text(label_w, y + 17.0, size, Anchor::End, INK, &label);
        for (j, (value, color)) in [(row.received, RECEIVED), (row.resolved, RESOLVED)]
            .into_iter()
            .enumerate()
        {
            let w = plot_w * value as f32 / max as f32;
            let by = y + 3.0 + 12.0 * j as f32;
            c.rect(left, by, w, 11.0, color);
            c.text(
                left + w + 4.0,
                by + 9.5,
                SMALL,
                Anchor::Start,
                INK,
                &value.to_string(),
            );
        }
    }
    c.line(left, top, left, top + row_h * rows.len() as f32, INK);
    c
}

/// Response and resolution compliance as two 100 % bars.
fn sla(report: &GeneralReport) -> Chart {
    let mut c = Chart::new(
        "ans",
        "Cumplimiento de los tiempos de atención (ANS)",
        176.0,
    );
    c.legend(38.0, &[(ON_TIME, "A tiempo"), (LATE, "Tarde")]);
    let left = 90.0;
    let plot_w = WIDTH - left - 10.0;
    for (i, (label, figures)) in [
        ("Respuesta", &report.sla.response),
        ("Solución", &report.sla.resolution),
    ]
    .into_iter()
    .enumerate()
    {
        let y = 56.0 + 48.0 * i as f32;
        c.text(left - 8.0, y + 20.0, LABEL, Anchor::End, INK, label);
        let total = figures.on_time + figures.late;
        if total == 0 {
            c.rect(left, y + 4.0, plot_w, 26.0, GRID);
            c.text(
                left + 8.0,
                y + 21.0,
                LABEL,
                Anchor::Start,
                INK,
                "Sin casos en el periodo",
            );
            continue;
        }
        let on_w = plot_w * figures.on_time as f32 / total as f32;
        c.rect(left, y + 4.0, on_w, 26.0, ON_TIME);
        c.rect(left + on_w, y + 4.0, plot_w - on_w, 26.0, LATE);
        let late_rate = super::figures::percent(figures.late, total);
        if figures.on_time > 0 {
            c.text(
                left + 6.0,
                y + 21.0,
                LABEL,
                Anchor::Start,
                Color(0xff, 0xff, 0xff),
                &format!("{} ({})", figures.on_time, percent_text(figures.rate)),
            );
        }
        if figures.late > 0 {
            c.text(
                left + plot_w - 6.0,
                y + 21.0,
                LABEL,
                Anchor::End,
                INK,
                &format!("{} ({})", figures.late, percent_text(late_rate)),
            );
        }
    }
    c.text(
        0.0,
        168.0,
        SMALL,
        Anchor::Start,
        INK,
        &format!(
            "Abiertas con el plazo vencido al cierre: {} sin respuesta, {} sin solución.",
            report.sla.response.overdue_open, report.sla.resolution.overdue_open
        ),
    );
    c
}

/// Average answer per question, on a 1–5 scale.
fn satisfaction(report: &GeneralReport) -> Chart {
    let s = &report.satisfaction;
    let mut c = Chart::new(
        "satisfaccion",
        "Satisfacción de los usuarios (1 a 5)",
        210.0,
    );
    c.text(
        0.0,
        38.0,
        LABEL,
        Anchor::Start,
        INK,
        &format!(
            "Encuestas respondidas: {} de {} casos resueltos ({}). Promedio general: {}.",
            s.overall.answered,
            s.overall.eligible,
            percent_text(s.overall.response_rate),
            s.overall.average.map_or("—".to_owned(), |a| decimal(a, 2))
        ),
    );
    let font = Font::sans();
    let label_w = 220.0;
    let left = label_w + 8.0;
    let plot_w = WIDTH - left - 40.0;
    let top = 56.0;
    for v in 0..=5 {
        let x = left + plot_w * v as f32 / 5.0;
        c.line(x, top, x, top + 3.0 * 40.0, GRID);
        c.text(
            x,
            top + 3.0 * 40.0 + 14.0,
            SMALL,
            Anchor::Middle,
            INK,
            &v.to_string(),
        );
    }
    for (i, (question, average)) in s.questions.iter().zip(s.overall.averages).enumerate() {
        let y = top + 40.0 * i as f32;
        let (label, size) = font.fit(question, LABEL, SMALL, label_w);
        c.text(label_w, y + 24.0, size, Anchor::End, INK, &label);
        let value = average.unwrap_or(0.0) as f32;
        let w = plot_w * value / 5.0;
        c.rect(left, y + 10.0, w, 20.0, RECEIVED);
        c.text(
            left + w + 4.0,
            y + 24.0,
            LABEL,
            Anchor::Start,
            INK,
            &average.map_or("—".to_owned(), |a| decimal(a, 2)),
        );
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::figures::tests::october_report;

    #[test]
    fn axes_are_round() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(3), (3, 1));
        assert_eq!(axis(7), (8, 2));
        assert_eq!(axis(23), (25, 5));
        assert_eq!(axis(480), (500, 100));
    }

    #[test]
    fn charts_show_the_figures_in_spanish() {
        let report = october_report().general;
        let charts = all(&report);
        assert_eq!(charts.len(), 4);
        let svg: Vec<String> = charts.iter().map(Chart::svg).collect();
        assert!(svg[0].contains("Total: 10 recibidas, 8 resueltas."));
        assert!(svg[1].contains(">Educación<"));
        // 6 on time (75,0 %), 2 late (25,0 %), for response and for resolution.
        assert_eq!(svg[2].matches("6 (75,0 %)").count(), 2);
        assert_eq!(svg[2].matches("2 (25,0 %)").count(), 2);
        assert!(svg[3].contains("5 de 8 casos resueltos (62,5 %). Promedio general: 4,27."));
        assert!(svg[3].contains("¿La atención fue oportuna?"));
        for s in &svg {
            assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
            assert!(!s.contains("<script"));
        }
    }
}
