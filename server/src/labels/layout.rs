//! Sticker sheet geometry, as data: page size, margins, grid and label size of common label
//! sheets, in millimetres. Adding a sheet is adding a row.

use serde::Serialize;

/// One kind of label sheet.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SheetLayout {
    /// Identifier used in `?layout=` (`L7163`).
    pub id: &'static str,
    /// What a person reads in a list.
    pub name: &'static str,
    pub page_width: f32,
    pub page_height: f32,
    /// Distance from the page's top edge to the first row's top edge.
    pub margin_top: f32,
    /// Distance from the page's left edge to the first column's left edge.
    pub margin_left: f32,
    pub columns: u32,
    pub rows: u32,
    /// Distance between the left edges of two neighbouring labels.
    pub pitch_x: f32,
    /// Distance between the top edges of two neighbouring labels.
    pub pitch_y: f32,
    pub label_width: f32,
    pub label_height: f32,
}

const INCH: f32 = 25.4;

/// The sheets Campo prints on.
pub const LAYOUTS: &[SheetLayout] = &[
    SheetLayout {
        id: "L7163",
        name: "Avery L7163 · A4 · 14 etiquetas de 99,1 × 38,1 mm",
        page_width: 210.0,
        page_height: 297.0,
        margin_top: 15.15,
        margin_left: 4.65,
        columns: 2,
        rows: 7,
        pitch_x: 101.6,
        pitch_y: 38.1,
        label_width: 99.1,
        label_height: 38.1,
    },
    SheetLayout {
        id: "L7654",
        name: "Avery L7654 · A4 · 40 etiquetas de 45,7 × 25,4 mm",
        page_width: 210.0,
        page_height: 297.0,
        margin_top: 21.5,
        margin_left: 9.7,
        columns: 4,
        rows: 10,
        pitch_x: 48.3,
        pitch_y: 25.4,
        label_width: 45.7,
        label_height: 25.4,
    },
    SheetLayout {
        id: "5163",
        name: "Avery 5163 · Carta · 10 etiquetas de 4 × 2 in",
        page_width: 8.5 * INCH,
        page_height: 11.0 * INCH,
        margin_top: 0.5 * INCH,
        margin_left: 0.156 * INCH,
        columns: 2,
        rows: 5,
        pitch_x: 4.188 * INCH,
        pitch_y: 2.0 * INCH,
        label_width: 4.0 * INCH,
        label_height: 2.0 * INCH,
    },
    SheetLayout {
        id: "5160",
        name: "Avery 5160 · Carta · 30 etiquetas de 2,625 × 1 in",
        page_width: 8.5 * INCH,
        page_height: 11.0 * INCH,
        margin_top: 0.5 * INCH,
        margin_left: 0.1875 * INCH,
        columns: 3,
        rows: 10,
        pitch_x: 2.75 * INCH,
        pitch_y: 1.0 * INCH,
        label_width: 2.625 * INCH,
        label_height: 1.0 * INCH,
    },
];

impl SheetLayout {
    pub fn find(id: &str) -> Option<&'static SheetLayout> {
        LAYOUTS
            .iter()
            .find(|l| l.id.eq_ignore_ascii_case(id.trim()))
    }

    pub fn per_page(&self) -> usize {
        (self.columns * self.rows) as usize
    }

    /// Top-left corner of the label at `index` on its page (row by row).
    pub fn origin(&self, index: usize) -> (f32, f32) {
        let column = (index % self.columns as usize) as f32;
        let row = (index / self.columns as usize) as f32;
        (
            self.margin_left + column * self.pitch_x,
            self.margin_top + row * self.pitch_y,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_fits_its_page() {
        for l in LAYOUTS {
            let (x, y) = l.origin(l.per_page() - 1);
            assert!(x + l.label_width <= l.page_width + 0.01, "{}", l.id);
            assert!(y + l.label_height <= l.page_height + 0.01, "{}", l.id);
            assert!(l.pitch_x >= l.label_width && l.pitch_y >= l.label_height);
        }
    }
}
