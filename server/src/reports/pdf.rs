//! The general report as a PDF ready to file: the organisation's header and the period, the
//! figures as tables and the charts, A4 portrait.
//!
//! Text is real text in Ubuntu Light (the font `labels::draw` draws its outlines from, shipped in
//! `epaint_default_fonts`), embedded whole as a TrueType CID font with a `ToUnicode` map. Unlike
//! outlines, real text can be searched, copied, read aloud and extracted (`pdftotext`, which the
//! tests use), and unlike a standard PDF font (Helvetica) its widths are the ones the layout
//! measured and it covers Spanish without depending on the viewer's fonts. Charts are the
//! primitives of [`super::charts`] drawn as PDF operations, never parsed from SVG.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use ttf_parser::{Face, GlyphId};

use super::charts::{self, Anchor, Chart, Color, GRID, INK, Item};
use super::export::{self, Cell};
use super::figures::GeneralReport;

/// Millimetres to PDF points.
const PT: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
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

struct Metrics {
    face: Face<'static>,
}

impl Metrics {
    fn new() -> Self {
        Self {
            face: Face::parse(epaint_default_fonts::UBUNTU_LIGHT, 0).expect("bundled font"),
        }
    }

    fn glyph(&self, c: char) -> GlyphId {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('?'))
            .unwrap_or(GlyphId(0))
    }

    /// Advance of a glyph in thousandths of an em.
    fn advance(&self, g: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(g).unwrap_or(0)) * 1000.0
            / f32::from(self.face.units_per_em())
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// `text` cut with an ellipsis to fit `max` at `size`.
    fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_owned();
        }
        let mut cut = text.to_owned();
        while !cut.is_empty() && self.width(&format!("{cut}…"), size) > max {
            cut.pop();
        }
        format!("{}…", cut.trim_end())
    }
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
            l.note("Horas hábiles: horario de la oficina, sin sábados, domingos ni festivos de Colombia.");
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
    let metrics = &l.metrics;
    let mut used: BTreeMap<u16, char> = BTreeMap::new();

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let font = Ref::new(4);
    let cid = Ref::new(5);
    let descriptor = Ref::new(6);
    let file = Ref::new(7);
    let cmap = Ref::new(8);
    let mut next = 9;
    let mut page_refs = Vec::new();
    for items in &l.pages {
        let page_ref = Ref::new(next);
        let content_ref = Ref::new(next + 1);
        next += 2;
        page_refs.push(page_ref);
        let mut content = Content::new();
        for item in items {
            draw(&mut content, item, metrics, &mut used);
        }
        let data = miniz_oxide::deflate::compress_to_vec_zlib(&content.finish(), 6);
        pdf.stream(content_ref, &data).filter(Filter::FlateDecode);
        let mut page = pdf.page(page_ref);
        page.parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_W * PT, PAGE_H * PT))
            .contents(content_ref);
        page.resources().fonts().pair(Name(b"F1"), font);
        page.finish();
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().copied())
        .count(page_refs.len() as i32);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Campo"));

    let base = Name(b"Ubuntu-Light");
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(font)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    {
        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(system)
            .font_descriptor(descriptor)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = cid_font.widths();
        for &gid in used.keys() {
            widths.consecutive(gid, [metrics.advance(GlyphId(gid))]);
        }
        widths.finish();
    }
    let face = &metrics.face;
    let per_em = 1000.0 / f32::from(face.units_per_em());
    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(base)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * per_em,
            f32::from(bbox.y_min) * per_em,
            f32::from(bbox.x_max) * per_em,
            f32::from(bbox.y_max) * per_em,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(face.ascender()) * per_em)
        .descent(f32::from(face.descender()) * per_em)
        .cap_height(f32::from(face.capital_height().unwrap_or(face.ascender())) * per_em)
        .stem_v(80.0)
        .font_file2(file);
    let font_data = epaint_default_fonts::UBUNTU_LIGHT;
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(font_data, 6);
    pdf.stream(file, &compressed)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), font_data.len() as i32);
    let mut unicode = UnicodeCmap::new(Name(b"Campo-UCS"), system);
    for (&gid, &c) in &used {
        unicode.pair(gid, c);
    }
    pdf.cmap(cmap, &unicode.finish());
    pdf.finish()
}

/// One item as PDF operations; records the glyphs text uses.
fn draw(content: &mut Content, item: &Item, metrics: &Metrics, used: &mut BTreeMap<u16, char>) {
    let rgb = |c: Color| {
        (
            f32::from(c.0) / 255.0,
            f32::from(c.1) / 255.0,
            f32::from(c.2) / 255.0,
        )
    };
    match item {
        Item::Rect { x, y, w, h, fill } => {
            let (r, g, b) = rgb(*fill);
            content
                .set_fill_rgb(r, g, b)
                .rect(x * PT, (PAGE_H - y - h) * PT, w * PT, h * PT)
                .fill_nonzero();
        }
        Item::Line {
            x1,
            y1,
            x2,
            y2,
            stroke,
            width,
        } => {
            let (r, g, b) = rgb(*stroke);
            content
                .set_stroke_rgb(r, g, b)
                .set_line_width(width * PT)
                .move_to(x1 * PT, (PAGE_H - y1) * PT)
                .line_to(x2 * PT, (PAGE_H - y2) * PT)
                .stroke();
        }
        Item::Text {
            x,
            y,
            size,
            anchor,
            fill,
            text,
        } => {
            let width = metrics.width(text, *size);
            let x = match anchor {
                Anchor::Start => *x,
                Anchor::Middle => x - width / 2.0,
                Anchor::End => x - width,
            };
            let mut bytes = Vec::with_capacity(text.len() * 2);
            for c in text.chars() {
                let g = metrics.glyph(c);
                used.entry(g.0).or_insert(c);
                bytes.extend_from_slice(&g.0.to_be_bytes());
            }
            let (r, g, b) = rgb(*fill);
            content
                .begin_text()
                .set_font(Name(b"F1"), size * PT)
                .set_fill_rgb(r, g, b)
                .next_line(x * PT, (PAGE_H - y) * PT)
                .show(Str(&bytes))
                .end_text();
        }
    }
}
