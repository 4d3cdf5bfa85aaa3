//! QR sticker sheets: `GET /api/labels.pdf` and `GET /api/labels.svg`.
//!
//! Query: `codes=GN-1,GN-2` or `dependencia=TIC`; `layout=` one of [`layout::LAYOUTS`] (L7163 by
//! default); `calibration=true` for a page that draws every label's outline, to print on plain
//! paper and hold against a sheet. Each label carries the QR of `<public URL>/e/<code>` (error
//! correction M, quiet zone of 4 modules), the code, the equipment type and the organisation's
//! name ([`crate::config::Config::organisation`], `CAMPO_ORGANISATION`).

pub mod draw;
pub mod layout;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use campo_shared::ids::EquipmentCode;
use campo_shared::role::Role;
use qrcode::{EcLevel, QrCode};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::equipment::Kind;
use crate::error::{ApiResult, AppError};
use crate::store::EquipmentRow;
use draw::{Font, Page, Shape};
pub use layout::{LAYOUTS, SheetLayout};

/// Most labels in one request (a box of 100 A4 sheets of the smallest layout).
pub const MAX_LABELS: usize = 4000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/labels.pdf", get(sheet_pdf))
        .route("/api/labels.svg", get(sheet_svg))
        .route("/api/labels/layouts", get(layouts))
}

#[derive(Deserialize)]
struct SheetQuery {
    codes: Option<String>,
    dependencia: Option<String>,
    layout: Option<String>,
    #[serde(default)]
    calibration: bool,
}

/// What goes on one label.
pub struct Label {
    pub code: String,
    pub url: String,
    pub kind: String,
    pub organisation: String,
}

async fn layouts(_user: CurrentUser) -> axum::Json<&'static [SheetLayout]> {
    axum::Json(LAYOUTS)
}

async fn sheet_pdf(
    state: State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    query: Query<SheetQuery>,
) -> ApiResult<Response> {
    let (pages, title) = pages(state, user, headers, query).await?;
    let bytes = tokio::task::spawn_blocking(move || draw::pdf(&pages, &title))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"etiquetas.pdf\"",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

async fn sheet_svg(
    state: State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    query: Query<SheetQuery>,
) -> ApiResult<Response> {
    let (pages, _) = pages(state, user, headers, query).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        draw::svg(&pages),
    )
        .into_response())
}

/// The address stickers point to: the configured public URL, else the address this request came
/// to.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

#[tracing::instrument(skip_all)]
async fn pages(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(query): Query<SheetQuery>,
) -> ApiResult<(Vec<Page>, String)> {
    user.require(&[Role::Coordinador])?;
    let layout_id = query.layout.as_deref().unwrap_or("L7163");
    let layout = SheetLayout::find(layout_id).ok_or_else(|| {
        AppError::BadRequest(format!(
            "No se conoce la hoja «{layout_id}». Use una de: {}.",
            LAYOUTS.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")
        ))
    })?;
    if query.calibration {
        return Ok((
            vec![calibration_page(layout)],
            format!("Calibración {}", layout.id),
        ));
    }
    let equipment = select(&state, &query).await?;
    let base = base_url(&state, &headers);
    let organisation = &state.config.organisation;
    let labels: Vec<Label> = equipment
        .into_iter()
        .map(|e| Label {
            url: format!("{base}/e/{}", e.code),
            kind: Kind::parse(&e.kind).map_or(e.kind.clone(), |k| k.label().to_owned()),
            code: e.code,
            organisation: organisation.clone(),
        })
        .collect();
    let layout = *layout;
    let pages = tokio::task::spawn_blocking(move || sheets(&layout, &labels))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((pages, "Etiquetas de equipos".to_owned()))
}

/// The equipment named by the query, in the order given (or by code for a dependencia).
async fn select(state: &AppState, query: &SheetQuery) -> ApiResult<Vec<EquipmentRow>> {
    let rows = if let Some(codes) = query.codes.as_deref().filter(|c| !c.trim().is_empty()) {
        let mut rows = Vec::new();
        let mut missing = Vec::new();
        for text in codes.split([',', ' ', ';']).filter(|c| !c.is_empty()) {
            let code =
                EquipmentCode::parse(text).map_err(|e| AppError::BadRequest(format!("{e}.")))?;
            match state.store.equipment(code.as_str()).await? {
                Some(row) => rows.push(row),
                None => missing.push(code.as_str().to_owned()),
            }
        }
        if !missing.is_empty() {
            return Err(AppError::NotFound(format!(
                "No están en el inventario: {}. Regístrelos antes de imprimir sus etiquetas.",
                missing.join(", ")
            )));
        }
        rows
    } else if let Some(dependencia) = query.dependencia.as_deref() {
        state
            .store
            .list_equipment(Some(&dependencia.trim().to_uppercase()))
            .await?
    } else {
        return Err(AppError::BadRequest(
            "Indique los equipos: codes=GN-000123,GN-000124 o dependencia=CÓDIGO.".into(),
        ));
    };
    if rows.is_empty() {
        return Err(AppError::NotFound(
            "No hay equipos que imprimir con esa selección.".into(),
        ));
    }
    if rows.len() > MAX_LABELS {
        return Err(AppError::BadRequest(format!(
            "Son {} etiquetas; imprima como máximo {MAX_LABELS} por vez.",
            rows.len()
        )));
    }
    Ok(rows)
}

/// Lays the labels out on as many sheets as they need.
pub fn sheets(layout: &SheetLayout, labels: &[Label]) -> Result<Vec<Page>, qrcode::types::QrError> {
    let sans = Font::sans();
    let mono = Font::mono();
    let mut pages = Vec::new();
    for chunk in labels.chunks(layout.per_page()) {
        let mut shapes = Vec::new();
        for (index, label) in chunk.iter().enumerate() {
            let (x, y) = layout.origin(index);
            draw_label(layout, label, x, y, &sans, &mono, &mut shapes)?;
        }
        pages.push(Page {
            width: layout.page_width,
            height: layout.page_height,
            shapes,
        });
    }
    Ok(pages)
}

fn draw_label(
    layout: &SheetLayout,
    label: &Label,
    x: f32,
    y: f32,
    sans: &Font,
    mono: &Font,
    shapes: &mut Vec<Shape>,
) -> Result<(), qrcode::types::QrError> {
    let (w, h) = (layout.label_width, layout.label_height);
    let pad = (h * 0.06).clamp(1.0, 2.5);
    // The QR square includes its quiet zone of 4 modules, so it can touch the padding.
    let code = QrCode::with_error_correction_level(label.url.as_bytes(), EcLevel::M)?;
    let modules = code.width();
    let side = h - 2.0 * pad;
    let module = side / (modules + 8) as f32;
    let (qx, qy) = (x + pad + 4.0 * module, y + pad + 4.0 * module);
    let colors = code.to_colors();
    for row in 0..modules {
        // Runs of dark modules become one rectangle each.
        let mut col = 0;
        while col < modules {
            if colors[row * modules + col] == qrcode::Color::Dark {
                let start = col;
                while col < modules && colors[row * modules + col] == qrcode::Color::Dark {
                    col += 1;
                }
                shapes.push(Shape::Rect {
                    x: qx + start as f32 * module,
                    y: qy + row as f32 * module,
                    w: (col - start) as f32 * module,
                    h: module,
                });
            } else {
                col += 1;
            }
        }
    }
    let text_x = x + pad + side + pad * 0.5;
    let text_w = (x + w - pad) - text_x;
    let code_size = (h * 0.2).min(7.0);
    let (code_text, code_size) = mono.fit(&label.code, code_size, 1.8, text_w);
    let mut baseline = y + pad + code_size * 0.9;
    shapes.push(mono.text(&code_text, text_x, baseline, code_size));
    let kind_size = (h * 0.12).min(4.5);
    let (kind, kind_size) = sans.fit(&label.kind, kind_size, 1.6, text_w);
    baseline += kind_size * 1.5;
    shapes.push(sans.text(&kind, text_x, baseline, kind_size));
    let org_size = (h * 0.09).min(3.5);
    let (org, org_size) = sans.fit(&label.organisation, org_size, 1.4, text_w);
    shapes.push(sans.text(&org, text_x, y + h - pad - org_size * 0.3, org_size));
    Ok(())
}

/// Every label's outline and centre cross, and how to check the printer's scale.
fn calibration_page(layout: &SheetLayout) -> Page {
    let sans = Font::sans();
    let mut shapes = Vec::new();
    for index in 0..layout.per_page() {
        let (x, y) = layout.origin(index);
        shapes.push(Shape::Outline {
            x,
            y,
            w: layout.label_width,
            h: layout.label_height,
        });
        let (cx, cy) = (x + layout.label_width / 2.0, y + layout.label_height / 2.0);
        shapes.push(Shape::Rect {
            x: cx - 3.0,
            y: cy - 0.1,
            w: 6.0,
            h: 0.2,
        });
        shapes.push(Shape::Rect {
            x: cx - 0.1,
            y: cy - 3.0,
            w: 0.2,
            h: 6.0,
        });
    }
    // A 100 mm bar: it must measure 100 mm on paper.
    let (bx, by) = (layout.margin_left.max(5.0), 4.0);
    shapes.push(Shape::Rect {
        x: bx,
        y: by + 3.0,
        w: 100.0,
        h: 0.5,
    });
    let note = format!(
        "Calibración {}: imprima al 100 % y ponga la hoja sobre la de etiquetas. La barra mide 100 mm.",
        layout.id
    );
    let (note, size) = sans.fit(&note, 2.5, 1.5, layout.page_width - 2.0 * bx);
    shapes.push(sans.text(&note, bx, by + 2.0, size));
    Page {
        width: layout.page_width,
        height: layout.page_height,
        shapes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hundred_labels_make_a_pdf_of_several_sheets() {
        let labels: Vec<Label> = (0..100)
            .map(|i| Label {
                code: format!("GN-{i:06}"),
                url: format!("https://campo.example.gov.co/e/GN-{i:06}"),
                kind: "Portátil".into(),
                organisation: "Gobernación · Secretaría TIC".into(),
            })
            .collect();
        let layout = SheetLayout::find("L7163").unwrap();
        let pages = sheets(layout, &labels).unwrap();
        assert_eq!(pages.len(), 8);
        let pdf = draw::pdf(&pages, "t");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(!draw::svg(&pages).contains("<text"));
    }
}
