//! What every PDF document Campo writes shares: A4 pages measured in millimetres from the top-left
//! corner, real text in Ubuntu Light, and JPEG photos embedded as they are.
//!
//! Text is real text in Ubuntu Light (the font `labels::draw` draws its outlines from, shipped in
//! `epaint_default_fonts`), embedded whole as a TrueType CID font with a `ToUnicode` map. Unlike
//! outlines, real text can be searched, copied, read aloud and extracted (`pdftotext`, which the
//! tests use), and unlike a standard PDF font (Helvetica) its widths are the ones the layout
//! measured and it covers Spanish without depending on the viewer's fonts.
//!
//! A JPEG (the thumbnails and display sizes the photo pipeline stores) goes into the file
//! untouched as a `DCTDecode` image: no decoding, no re-encoding.
//!
//! Used by the monthly report (`reports::pdf`) and the service record (`tickets::acta`).

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use ttf_parser::{Face, GlyphId};

/// Millimetres to PDF points.
pub const PT: f32 = 72.0 / 25.4;
/// A4 portrait, millimetres.
pub const PAGE_W: f32 = 210.0;
pub const PAGE_H: f32 = 297.0;

/// A colour, 0–255 per channel.
pub type Rgb = (u8, u8, u8);

/// The font's measures: which glyph a character takes and how wide text is.
pub struct Metrics {
    face: Face<'static>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
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

    /// Width of `text` at `size` (both in the same unit, millimetres here).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// `text` cut with an ellipsis to fit `max` at `size`.
    pub fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_owned();
        }
        let mut cut = text.to_owned();
        while !cut.is_empty() && self.width(&format!("{cut}…"), size) > max {
            cut.pop();
        }
        format!("{}…", cut.trim_end())
    }

    /// `text` broken into lines no wider than `max` at `size`: at the line breaks it has, then
    /// between words, and inside a word only when the word alone is wider than a line.
    pub fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if self.width(&line, size) > max && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::replace(&mut line, c.to_string()));
                    }
                }
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }
}

/// A baseline JPEG's size and colour model, read from its frame header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jpeg {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// 1 (grey), 3 (RGB) or 4 (CMYK).
    pub components: u8,
}

impl Jpeg {
    /// Reads the frame header (SOF0–SOF15, not DHT, JPG nor DAC); `None` when the bytes are not a
    /// JPEG a PDF viewer can show.
    pub fn parse(bytes: Vec<u8>) -> Option<Self> {
        if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
            return None;
        }
        let mut i = 2;
        while i + 4 <= bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            if marker == 0xFF {
                i += 1;
                continue;
            }
            let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            let is_frame = (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker);
            if is_frame {
                let header = bytes.get(i + 4..i + 10)?;
                let height = u32::from(u16::from_be_bytes([header[1], header[2]]));
                let width = u32::from(u16::from_be_bytes([header[3], header[4]]));
                let components = header[5];
                if width == 0 || height == 0 || ![1, 3, 4].contains(&components) {
                    return None;
                }
                return Some(Self {
                    bytes,
                    width,
                    height,
                    components,
                });
            }
            i += 2 + len;
        }
        None
    }
}

/// An image added to a [`Writer`], to draw on its pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageId(usize);

/// A PDF being written: its pages in order, the images they show, and the font, whose glyphs
/// are recorded as text is drawn so the `ToUnicode` map and the widths cover exactly them.
pub struct Writer {
    pdf: Pdf,
    metrics: Metrics,
    used: BTreeMap<u16, char>,
    catalog: Ref,
    tree: Ref,
    info: Ref,
    font: Ref,
    next: i32,
    pages: Vec<Ref>,
    images: Vec<Ref>,
}

impl Writer {
    pub fn new(metrics: Metrics) -> Self {
        Self {
            pdf: Pdf::new(),
            metrics,
            used: BTreeMap::new(),
            catalog: Ref::new(1),
            tree: Ref::new(2),
            info: Ref::new(3),
            font: Ref::new(4),
            next: 5,
            pages: Vec::new(),
            images: Vec::new(),
        }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn alloc(&mut self) -> Ref {
        let r = Ref::new(self.next);
        self.next += 1;
        r
    }

    /// Embeds a JPEG as is (`DCTDecode`).
    pub fn image(&mut self, jpeg: &Jpeg) -> ImageId {
        let r = self.alloc();
        let mut image = self.pdf.image_xobject(r, &jpeg.bytes);
        image.filter(Filter::DctDecode);
        image
            .width(jpeg.width as i32)
            .height(jpeg.height as i32)
            .bits_per_component(8);
        match jpeg.components {
            1 => image.color_space().device_gray(),
            4 => image.color_space().device_cmyk(),
            _ => image.color_space().device_rgb(),
        };
        image.finish();
        self.images.push(r);
        ImageId(self.images.len() - 1)
    }

    /// Draws `text` with its left end at `x` and its baseline at `y` (millimetres from the
    /// top-left corner), `size` millimetres high.
    pub fn text(
        &mut self,
        content: &mut Content,
        x: f32,
        y: f32,
        size: f32,
        fill: Rgb,
        text: &str,
    ) {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let g = self.metrics.glyph(c);
            self.used.entry(g.0).or_insert(c);
            bytes.extend_from_slice(&g.0.to_be_bytes());
        }
        let (r, g, b) = unit(fill);
        content
            .begin_text()
            .set_font(Name(b"F1"), size * PT)
            .set_fill_rgb(r, g, b)
            .next_line(x * PT, (PAGE_H - y) * PT)
            .show(Str(&bytes))
            .end_text();
    }

    /// Appends a page with `content`, which may draw the `images` (see [`draw_image`]).
    pub fn page(&mut self, content: Content, images: &[ImageId]) {
        let page_ref = self.alloc();
        let content_ref = self.alloc();
        let data = miniz_oxide::deflate::compress_to_vec_zlib(&content.finish(), 6);
        self.pdf
            .stream(content_ref, &data)
            .filter(Filter::FlateDecode);
        let mut page = self.pdf.page(page_ref);
        page.parent(self.tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_W * PT, PAGE_H * PT))
            .contents(content_ref);
        let mut resources = page.resources();
        resources.fonts().pair(Name(b"F1"), self.font);
        if !images.is_empty() {
            let mut objects = resources.x_objects();
            for id in images {
                let name = image_name(*id);
                objects.pair(Name(name.as_bytes()), self.images[id.0]);
            }
        }
        resources.finish();
        page.finish();
        self.pages.push(page_ref);
    }

    /// Writes the page tree, the document's title and the font; returns the file.
    pub fn finish(mut self, title: &str) -> Vec<u8> {
        let (cid, descriptor, file, cmap) =
            (self.alloc(), self.alloc(), self.alloc(), self.alloc());
        let pdf = &mut self.pdf;
        pdf.catalog(self.catalog).pages(self.tree);
        pdf.pages(self.tree)
            .kids(self.pages.iter().copied())
            .count(self.pages.len() as i32);
        pdf.document_info(self.info)
            .title(TextStr(title))
            .producer(TextStr("Campo"));

        let base = Name(b"Ubuntu-Light");
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(self.font)
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
            for &gid in self.used.keys() {
                widths.consecutive(gid, [self.metrics.advance(GlyphId(gid))]);
            }
            widths.finish();
        }
        let face = &self.metrics.face;
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
        for (&gid, &c) in &self.used {
            unicode.pair(gid, c);
        }
        pdf.cmap(cmap, &unicode.finish());
        self.pdf.finish()
    }
}

fn image_name(id: ImageId) -> String {
    format!("Im{}", id.0)
}

fn unit((r, g, b): Rgb) -> (f32, f32, f32) {
    (
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
    )
}

/// A filled rectangle; `(x, y)` is its top-left corner.
pub fn fill_rect(content: &mut Content, x: f32, y: f32, w: f32, h: f32, fill: Rgb) {
    let (r, g, b) = unit(fill);
    content
        .set_fill_rgb(r, g, b)
        .rect(x * PT, (PAGE_H - y - h) * PT, w * PT, h * PT)
        .fill_nonzero();
}

/// The outline of a rectangle; `(x, y)` is its top-left corner.
pub fn stroke_rect(content: &mut Content, x: f32, y: f32, w: f32, h: f32, stroke: Rgb, width: f32) {
    let (r, g, b) = unit(stroke);
    content
        .set_stroke_rgb(r, g, b)
        .set_line_width(width * PT)
        .rect(x * PT, (PAGE_H - y - h) * PT, w * PT, h * PT)
        .stroke();
}

/// A straight line.
pub fn line(content: &mut Content, from: (f32, f32), to: (f32, f32), stroke: Rgb, width: f32) {
    let (r, g, b) = unit(stroke);
    content
        .set_stroke_rgb(r, g, b)
        .set_line_width(width * PT)
        .move_to(from.0 * PT, (PAGE_H - from.1) * PT)
        .line_to(to.0 * PT, (PAGE_H - to.1) * PT)
        .stroke();
}

/// Draws an image of the page's `images` stretched to the box whose top-left corner is `(x, y)`.
pub fn draw_image(content: &mut Content, id: ImageId, x: f32, y: f32, w: f32, h: f32) {
    let name = image_name(id);
    content
        .save_state()
        .transform([w * PT, 0.0, 0.0, h * PT, x * PT, (PAGE_H - y - h) * PT])
        .x_object(Name(name.as_bytes()))
        .restore_state();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_words_and_inside_words_too_long() {
        let m = Metrics::new();
        let lines = m.wrap("uno dos tres cuatro cinco seis", 3.0, 20.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.join(" "), "uno dos tres cuatro cinco seis");
        for line in &lines {
            assert!(m.width(line, 3.0) <= 20.0, "{line}");
        }
        let long = "a".repeat(60);
        let lines = m.wrap(&long, 3.0, 20.0);
        assert_eq!(lines.concat(), long);
        assert!(lines.iter().all(|l| m.width(l, 3.0) <= 20.0));
        assert_eq!(
            m.wrap("primera\nsegunda", 3.0, 100.0),
            ["primera", "segunda"]
        );
    }

    #[test]
    fn jpeg_header_gives_size_and_components() {
        let image = image::RgbImage::from_pixel(30, 20, image::Rgb([10, 20, 30]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut bytes)
            .encode_image(&image)
            .unwrap();
        let jpeg = Jpeg::parse(bytes).expect("a JPEG");
        assert_eq!((jpeg.width, jpeg.height, jpeg.components), (30, 20, 3));
        assert!(Jpeg::parse(b"\x89PNG\r\n".to_vec()).is_none());
    }
}
