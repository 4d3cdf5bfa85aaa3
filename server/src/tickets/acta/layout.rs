//! The record's pages: marks placed in millimetres from the top-left corner of A4 pages, with
//! the page breaks, then written with [`crate::pdfdoc`].

use pdf_writer::Content;

use crate::pdfdoc::{self, ImageId, Jpeg, Metrics, PAGE_H, PAGE_W, Rgb, Writer};

pub(super) const MARGIN: f32 = 18.0;
pub(super) const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
pub(super) const BOTTOM: f32 = PAGE_H - 16.0;
pub(super) const BODY: f32 = 3.0; // 8.5 pt
pub(super) const LINE: f32 = 4.3;
pub(super) const LABEL: f32 = 44.0;
pub(super) const SMALL: f32 = 2.5;
pub(super) const INK: Rgb = (0x22, 0x22, 0x22);
pub(super) const GREY: Rgb = (0x55, 0x55, 0x55);
pub(super) const RULE: Rgb = (0xcc, 0xcc, 0xcc);
pub(super) const THUMB: f32 = 40.0;
pub(super) const GAP: f32 = 4.4;

/// One thing drawn on a page, in millimetres from the top-left corner.
pub(super) enum Mark {
    Text {
        x: f32,
        y: f32,
        size: f32,
        fill: Rgb,
        text: String,
    },
    Line {
        x1: f32,
        x2: f32,
        y: f32,
        stroke: Rgb,
        width: f32,
    },
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    /// An image of [`Layout::images`].
    Image {
        index: usize,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// The pages being laid out.
pub(super) struct Layout<'a> {
    pub(super) metrics: Metrics,
    pub(super) pages: Vec<Vec<Mark>>,
    pub(super) images: Vec<&'a Jpeg>,
    pub(super) y: f32,
    pub(super) running_head: String,
}

impl<'a> Layout<'a> {
    pub(super) fn page(&mut self) -> &mut Vec<Mark> {
        self.pages.last_mut().expect("a page")
    }

    pub(super) fn new_page(&mut self) {
        self.pages.push(Vec::new());
        let head = self.running_head.clone();
        self.text(MARGIN, 12.0, 2.6, GREY, &head);
        self.y = 20.0;
    }

    /// Starts a new page unless `height` more millimetres fit.
    pub(super) fn need(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.new_page();
        }
    }

    pub(super) fn text(&mut self, x: f32, y: f32, size: f32, fill: Rgb, text: &str) {
        self.page().push(Mark::Text {
            x,
            y,
            size,
            fill,
            text: text.to_owned(),
        });
    }

    pub(super) fn rule(&mut self, stroke: Rgb, width: f32) {
        let y = self.y;
        self.page().push(Mark::Line {
            x1: MARGIN,
            x2: PAGE_W - MARGIN,
            y,
            stroke,
            width,
        });
    }

    /// A section's title, kept with at least a few lines of what follows.
    pub(super) fn section(&mut self, title: &str) {
        self.need(12.0 + 3.0 * LINE);
        self.y += 5.0;
        self.text(MARGIN, self.y + 4.0, 4.2, INK, title);
        self.y += 6.0;
        self.rule(INK, 0.3);
        self.y += 2.0;
    }

    /// A heading inside a section (one visit, one move of the equipment).
    pub(super) fn subsection(&mut self, title: &str) {
        self.need(6.0 + 3.0 * LINE);
        self.y += 2.5;
        self.text(MARGIN, self.y + 3.6, 3.4, INK, title);
        self.y += 5.5;
    }

    /// «Label   value», the value wrapped beside the label, across pages when long.
    pub(super) fn field(&mut self, label: &str, value: &str) {
        self.field_with(LABEL, label, value);
    }

    /// A field whose label is `label_w` millimetres wide.
    pub(super) fn field_with(&mut self, label_w: f32, label: &str, value: &str) {
        let value = if value.trim().is_empty() {
            "—"
        } else {
            value
        };
        let lines = self.metrics.wrap(value, BODY, WIDTH - label_w);
        for (i, line) in lines.iter().enumerate() {
            self.need(LINE);
            if i == 0 {
                let label = self.metrics.fit(label, BODY, label_w - 2.0);
                self.text(MARGIN, self.y + 3.2, BODY, GREY, &label);
            }
            self.text(MARGIN + label_w, self.y + 3.2, BODY, INK, line);
            self.y += LINE;
        }
    }

    /// Text over the whole width, wrapped.
    pub(super) fn paragraph(&mut self, text: &str, fill: Rgb) {
        for line in self.metrics.wrap(text, BODY, WIDTH) {
            self.need(LINE);
            self.text(MARGIN, self.y + 3.2, BODY, fill, &line);
            self.y += LINE;
        }
    }

    /// Photos as thumbnails in rows, each with its caption below.
    pub(super) fn photos(&mut self, photos: &[(Option<&'a Jpeg>, Vec<String>)]) {
        let per_row = ((WIDTH + GAP) / (THUMB + GAP)).floor() as usize;
        for row in photos.chunks(per_row.max(1)) {
            let boxes: Vec<(f32, f32)> = row
                .iter()
                .map(|(jpeg, _)| match jpeg {
                    Some(j) => fit_box(j, THUMB, THUMB),
                    None => (THUMB, THUMB * 0.75),
                })
                .collect();
            let image_h = boxes.iter().map(|b| b.1).fold(0.0, f32::max);
            let captions = row.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
            let height = image_h + 1.5 + captions as f32 * 3.4;
            self.need(height + 2.0);
            let top = self.y + 1.0;
            for (i, ((jpeg, caption), (w, h))) in row.iter().zip(&boxes).enumerate() {
                let x = MARGIN + i as f32 * (THUMB + GAP);
                match jpeg {
                    Some(j) => {
                        let index = self.images.len();
                        self.images.push(j);
                        self.page().push(Mark::Image {
                            index,
                            x,
                            y: top,
                            w: *w,
                            h: *h,
                        });
                    }
                    None => {
                        self.page().push(Mark::Frame {
                            x,
                            y: top,
                            w: *w,
                            h: *h,
                        });
                        self.text(x + 2.0, top + h / 2.0, SMALL, GREY, "Foto aún no recibida");
                    }
                }
                let mut y = top + image_h + 1.5;
                for line in caption {
                    let line = self.metrics.fit(line, SMALL, THUMB);
                    self.text(x, y + 2.4, SMALL, GREY, &line);
                    y += 3.4;
                }
            }
            self.y = top + height + 1.0;
        }
    }

    /// A signature drawing in a frame.
    pub(super) fn signature(&mut self, jpeg: &'a Jpeg) {
        let (frame_w, frame_h) = (80.0, 32.0);
        self.need(frame_h + 3.0);
        let top = self.y + 1.0;
        self.page().push(Mark::Frame {
            x: MARGIN,
            y: top,
            w: frame_w,
            h: frame_h,
        });
        let (w, h) = fit_box(jpeg, frame_w - 4.0, frame_h - 4.0);
        let index = self.images.len();
        self.images.push(jpeg);
        self.page().push(Mark::Image {
            index,
            x: MARGIN + (frame_w - w) / 2.0,
            y: top + (frame_h - h) / 2.0,
            w,
            h,
        });
        self.y = top + frame_h + 2.0;
    }
}

/// The size of an image scaled to fit `max_w` × `max_h`, its proportions kept.
pub(super) fn fit_box(jpeg: &Jpeg, max_w: f32, max_h: f32) -> (f32, f32) {
    let (w, h) = (jpeg.width as f32, jpeg.height as f32);
    let scale = (max_w / w).min(max_h / h);
    (w * scale, h * scale)
}

/// Writes the pages, with page numbers, the images and the font.
pub(super) fn finish(mut l: Layout<'_>, title: &str) -> Vec<u8> {
    let total = l.pages.len();
    for (i, page) in l.pages.iter_mut().enumerate() {
        let text = format!("Página {} de {total}", i + 1);
        page.push(Mark::Text {
            x: PAGE_W - MARGIN - l.metrics.width(&text, 2.6),
            y: PAGE_H - 9.0,
            size: 2.6,
            fill: GREY,
            text,
        });
    }
    let mut writer = Writer::new(l.metrics);
    let images: Vec<ImageId> = l.images.iter().map(|j| writer.image(j)).collect();
    for marks in &l.pages {
        let mut content = Content::new();
        let mut used = Vec::new();
        for mark in marks {
            match mark {
                Mark::Text {
                    x,
                    y,
                    size,
                    fill,
                    text,
                } => writer.text(&mut content, *x, *y, *size, *fill, text),
                Mark::Line {
                    x1,
                    x2,
                    y,
                    stroke,
                    width,
                } => pdfdoc::line(&mut content, (*x1, *y), (*x2, *y), *stroke, *width),
                Mark::Frame { x, y, w, h } => {
                    pdfdoc::stroke_rect(&mut content, *x, *y, *w, *h, RULE, 0.3);
                }
                Mark::Image { index, x, y, w, h } => {
                    pdfdoc::draw_image(&mut content, images[*index], *x, *y, *w, *h);
                    used.push(images[*index]);
                }
            }
        }
        writer.page(content, &used);
    }
    writer.finish(title)
}
