//! A page as a list of filled shapes in millimetres (origin at the top-left corner), rendered to
//! SVG or PDF by the same code. Text is drawn as the outlines of fonts shipped inside a crate
//! (Ubuntu Light and Hack, from `epaint_default_fonts`), so no printer or viewer needs any font.

use std::fmt::Write;

use ttf_parser::{Face, OutlineBuilder};

/// One piece of a path.
#[derive(Debug, Clone, Copy)]
pub enum Seg {
    Move(f32, f32),
    Line(f32, f32),
    Cubic(f32, f32, f32, f32, f32, f32),
    Close,
}

/// A filled shape (black) or an outline (thin grey, for the calibration page).
#[derive(Debug, Clone)]
pub enum Shape {
    Rect { x: f32, y: f32, w: f32, h: f32 },
    Path(Vec<Seg>),
    Outline { x: f32, y: f32, w: f32, h: f32 },
}

/// One page.
#[derive(Debug, Clone)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub shapes: Vec<Shape>,
}

/// A typeface to draw text with.
pub struct Font {
    face: Face<'static>,
}

impl Font {
    pub fn sans() -> Self {
        Self {
            face: Face::parse(epaint_default_fonts::UBUNTU_LIGHT, 0).expect("bundled font"),
        }
    }

    pub fn mono() -> Self {
        Self {
            face: Face::parse(epaint_default_fonts::HACK_REGULAR, 0).expect("bundled font"),
        }
    }

    /// Width of `text` at `size` mm (the em size).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let scale = size / f32::from(self.face.units_per_em());
        text.chars()
            .map(|c| {
                self.face
                    .glyph_index(c)
                    .or_else(|| self.face.glyph_index('?'))
                    .and_then(|g| self.face.glyph_hor_advance(g))
                    .unwrap_or(0)
            })
            .map(|a| f32::from(a) * scale)
            .sum()
    }

    /// The largest size up to `size` at which `text` fits in `max_width`, and the text (cut with
    /// an ellipsis when even `min_size` is too large).
    pub fn fit(&self, text: &str, size: f32, min_size: f32, max_width: f32) -> (String, f32) {
        let width = self.width(text, size);
        if width <= max_width {
            return (text.to_owned(), size);
        }
        let scaled = size * max_width / width;
        if scaled >= min_size {
            return (text.to_owned(), scaled);
        }
        let mut cut: String = text.to_owned();
        while !cut.is_empty() && self.width(&format!("{cut}…"), min_size) > max_width {
            cut.pop();
        }
        (format!("{}…", cut.trim_end()), min_size)
    }

    /// The outline of `text` with its baseline starting at (`x`, `baseline`).
    pub fn text(&self, text: &str, x: f32, baseline: f32, size: f32) -> Shape {
        let scale = size / f32::from(self.face.units_per_em());
        let mut pen = Pen {
            segs: Vec::new(),
            x,
            y: baseline,
            scale,
        };
        for c in text.chars() {
            let Some(glyph) = self
                .face
                .glyph_index(c)
                .or_else(|| self.face.glyph_index('?'))
            else {
                continue;
            };
            self.face.outline_glyph(glyph, &mut pen);
            pen.x += f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0)) * scale;
        }
        Shape::Path(pen.segs)
    }
}

struct Pen {
    segs: Vec<Seg>,
    x: f32,
    y: f32,
    scale: f32,
}

impl Pen {
    fn at(&self, x: f32, y: f32) -> (f32, f32) {
        (self.x + x * self.scale, self.y - y * self.scale)
    }
    fn last(&self) -> (f32, f32) {
        match self.segs.last() {
            Some(Seg::Move(x, y) | Seg::Line(x, y) | Seg::Cubic(_, _, _, _, x, y)) => (*x, *y),
            _ => (self.x, self.y),
        }
    }
}

impl OutlineBuilder for Pen {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.at(x, y);
        self.segs.push(Seg::Move(x, y));
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.at(x, y);
        self.segs.push(Seg::Line(x, y));
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        // A quadratic Bézier is the cubic with control points 2/3 of the way to its control.
        let (x0, y0) = self.last();
        let (qx, qy) = self.at(x1, y1);
        let (x, y) = self.at(x, y);
        self.segs.push(Seg::Cubic(
            x0 + 2.0 / 3.0 * (qx - x0),
            y0 + 2.0 / 3.0 * (qy - y0),
            x + 2.0 / 3.0 * (qx - x),
            y + 2.0 / 3.0 * (qy - y),
            x,
            y,
        ));
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (x1, y1) = self.at(x1, y1);
        let (x2, y2) = self.at(x2, y2);
        let (x, y) = self.at(x, y);
        self.segs.push(Seg::Cubic(x1, y1, x2, y2, x, y));
    }
    fn close(&mut self) {
        self.segs.push(Seg::Close);
    }
}

/// The pages as one SVG, stacked vertically with a gap (one page per sheet in the PDF).
pub fn svg(pages: &[Page]) -> String {
    let width = pages.first().map_or(210.0, |p| p.width);
    let gap = 10.0;
    let height: f32 = pages.iter().map(|p| p.height + gap).sum::<f32>() - gap;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}mm\" height=\"{height}mm\" \
         viewBox=\"0 0 {width} {height}\">"
    );
    let mut top = 0.0;
    for page in pages {
        let _ = write!(
            out,
            "<g transform=\"translate(0 {top})\"><rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>",
            page.width, page.height
        );
        let mut d = String::new();
        for shape in &page.shapes {
            match shape {
                Shape::Rect { x, y, w, h } => {
                    let _ = write!(d, "M{x:.3} {y:.3}h{w:.3}v{h:.3}h{:.3}Z", -w);
                }
                Shape::Path(segs) => {
                    for seg in segs {
                        let _ = match seg {
                            Seg::Move(x, y) => write!(d, "M{x:.3} {y:.3}"),
                            Seg::Line(x, y) => write!(d, "L{x:.3} {y:.3}"),
                            Seg::Cubic(a, b, c, e, x, y) => {
                                write!(d, "C{a:.3} {b:.3} {c:.3} {e:.3} {x:.3} {y:.3}")
                            }
                            Seg::Close => write!(d, "Z"),
                        };
                    }
                }
                Shape::Outline { x, y, w, h } => {
                    let _ = write!(
                        out,
                        "<rect x=\"{x:.3}\" y=\"{y:.3}\" width=\"{w:.3}\" height=\"{h:.3}\" \
                         fill=\"none\" stroke=\"#888\" stroke-width=\"0.2\"/>"
                    );
                }
            }
        }
        let _ = write!(out, "<path d=\"{d}\" fill=\"#000\"/></g>");
        top += page.height + gap;
    }
    out.push_str("</svg>");
    out
}

/// The pages as a PDF, one sheet per page, everything as vector paths.
pub fn pdf(pages: &[Page], title: &str) -> Vec<u8> {
    use pdf_writer::{Content, Finish, Pdf, Rect, Ref, TextStr};
    const PT: f32 = 72.0 / 25.4;
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let mut next = 4;
    let mut page_refs = Vec::new();
    for page in pages {
        let page_ref = Ref::new(next);
        let content_ref = Ref::new(next + 1);
        next += 2;
        page_refs.push(page_ref);
        let h = page.height;
        let mut content = Content::new();
        // Millimetres with the origin at the top-left, as the shapes are written.
        content.transform([PT, 0.0, 0.0, -PT, 0.0, h * PT]);
        for shape in &page.shapes {
            match shape {
                Shape::Rect { x, y, w, h } => {
                    content.rect(*x, *y, *w, *h);
                }
                Shape::Path(segs) => {
                    for seg in segs {
                        match *seg {
                            Seg::Move(x, y) => content.move_to(x, y),
                            Seg::Line(x, y) => content.line_to(x, y),
                            Seg::Cubic(a, b, c, d, x, y) => content.cubic_to(a, b, c, d, x, y),
                            Seg::Close => content.close_path(),
                        };
                    }
                }
                Shape::Outline { .. } => {}
            }
        }
        content.fill_nonzero();
        content.set_stroke_gray(0.5).set_line_width(0.2);
        for shape in &page.shapes {
            if let Shape::Outline { x, y, w, h } = shape {
                content.rect(*x, *y, *w, *h);
            }
        }
        content.stroke();
        // Outlined text and QR modules compress well (a 100-label sheet shrinks about tenfold).
        let data = miniz_oxide::deflate::compress_to_vec_zlib(&content.finish(), 6);
        pdf.stream(content_ref, &data)
            .filter(pdf_writer::Filter::FlateDecode);
        pdf.page(page_ref)
            .parent(tree)
            .media_box(Rect::new(0.0, 0.0, page.width * PT, h * PT))
            .contents(content_ref)
            .finish();
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().copied())
        .count(page_refs.len() as i32);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Campo"));
    pdf.finish()
}
