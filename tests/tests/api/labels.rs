//! QR sticker sheets: every QR printed on a PDF sheet decodes to its equipment's address.

use campo_tests::{Backend, Client, TestApp, both_backends};
use serde_json::json;

/// Rasterises the filled rectangles (`re`) of a one-page PDF written by Campo (uncompressed
/// content, one `cm` transform) at `px_per_pt`, as a printer would print the QR modules.
fn rasterise_rectangles(pdf: &[u8], px_per_pt: f32) -> (usize, usize, Vec<u8>) {
    let text = String::from_utf8_lossy(pdf);
    let media: Vec<f32> = text
        .split("/MediaBox [")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let (w_pt, h_pt) = (media[2], media[3]);
    let (w, h) = ((w_pt * px_per_pt) as usize, (h_pt * px_per_pt) as usize);
    let mut pixels = vec![255u8; w * h];
    // The page's content stream, Flate-compressed.
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        from + hay[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    };
    let start = find(pdf, b"stream\n", 0) + b"stream\n".len();
    let end = find(pdf, b"\nendstream", start);
    let inflated = miniz_oxide::inflate::decompress_to_vec_zlib(&pdf[start..end])
        .expect("a Flate-compressed content stream");
    let content = String::from_utf8_lossy(&inflated);
    let mut numbers: Vec<f32> = Vec::new();
    let mut matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    for token in content.split_whitespace() {
        if let Ok(n) = token.parse::<f32>() {
            numbers.push(n);
            continue;
        }
        match token {
            "cm" => matrix.copy_from_slice(&numbers[numbers.len() - 6..]),
            "re" => {
                let r = &numbers[numbers.len() - 4..];
                let corner = |x: f32, y: f32| {
                    let px = (matrix[0] * x + matrix[2] * y + matrix[4]) * px_per_pt;
                    let py = (h_pt - (matrix[1] * x + matrix[3] * y + matrix[5])) * px_per_pt;
                    (px, py)
                };
                let (x0, y0) = corner(r[0], r[1]);
                let (x1, y1) = corner(r[0] + r[2], r[1] + r[3]);
                for py in (y0.min(y1).round() as usize)..(y0.max(y1).round() as usize).min(h) {
                    for px in (x0.min(x1).round() as usize)..(x0.max(x1).round() as usize).min(w) {
                        pixels[py * w + px] = 0;
                    }
                }
            }
            _ => {}
        }
        numbers.clear();
    }
    (w, h, pixels)
}

fn decode_all(width: usize, height: usize, pixels: &[u8]) -> Vec<String> {
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let mut found: Vec<String> = image
        .detect_grids()
        .into_iter()
        .map(|grid| grid.decode().expect("every QR decodes").1)
        .collect();
    found.sort();
    found
}

async fn fetch(client: &Client, path: &str) -> (u16, String, Vec<u8>) {
    let response = client.http().get(client.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

both_backends!(every_qr_on_a_sheet_decodes_to_its_equipment);
async fn every_qr_on_a_sheet_decodes_to_its_equipment(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let made = admin
        .post(
            "/api/dependencias",
            &json!({"code": "TIC", "name": "Secretaría TIC"}),
        )
        .await;
    assert_eq!(made.status, 201);
    let codes: Vec<String> = (1..=9).map(|i| format!("GN-{i:06}")).collect();
    for (i, code) in codes.iter().enumerate() {
        let kind = ["computador", "impresora", "escáner"][i % 3];
        let made = admin
            .post(
                "/api/equipment",
                &json!({"code": code, "kind": kind, "dependencia": "TIC"}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let mut expected: Vec<String> = codes
        .iter()
        .map(|c| format!("{}/e/{c}", app.base))
        .collect();
    expected.sort();

    let layouts = admin.get("/api/labels/layouts").await;
    assert_eq!(layouts.status, 200);
    let layouts = layouts.body.as_array().unwrap().clone();
    const SCALE: f32 = 3.0;
    for layout in ["L7163", "L7654", "5163", "5160"] {
        let (status, kind, pdf) = fetch(
            &admin,
            &format!("/api/labels.pdf?dependencia=TIC&layout={layout}"),
        )
        .await;
        assert_eq!(status, 200, "{layout}: {}", String::from_utf8_lossy(&pdf));
        assert_eq!(kind, "application/pdf");
        if layout == "5163" {
            // Ten to a sheet: nine fit on one page.
            assert_eq!(
                String::from_utf8_lossy(&pdf)
                    .matches("/Type /Page\n")
                    .count(),
                1
            );
        }
        let (w, h, pixels) = rasterise_rectangles(&pdf, SCALE);
        // One label at a time, cut out where the sheet's geometry says it is (a decoder given the
        // whole sheet may pair finder patterns of neighbouring labels).
        let sheet = &layouts.iter().find(|l| l["id"] == layout).unwrap();
        let mm = |key: &str| sheet[key].as_f64().unwrap() as f32 * SCALE * 72.0 / 25.4;
        let columns = sheet["columns"].as_u64().unwrap() as usize;
        let mut decoded = Vec::new();
        for index in 0..codes.len() {
            let x0 = (mm("margin_left") + (index % columns) as f32 * mm("pitch_x")) as usize;
            let y0 = (mm("margin_top") + (index / columns) as f32 * mm("pitch_y")) as usize;
            let (cw, ch) = (mm("label_width") as usize, mm("label_height") as usize);
            let cell: Vec<u8> = (0..ch)
                .flat_map(|y| pixels[(y0 + y) * w + x0..(y0 + y) * w + x0 + cw].to_vec())
                .collect();
            let found = decode_all(cw, ch, &cell);
            assert_eq!(found.len(), 1, "{layout}: label {index} holds one QR");
            decoded.extend(found);
        }
        decoded.sort();
        assert_eq!(decoded, expected, "{layout}");
        assert!(h > 0);
    }

    let (status, kind, svg) = fetch(&admin, "/api/labels.svg?codes=GN-000001,gn-000002").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "image/svg+xml");
    let svg = String::from_utf8(svg).unwrap();
    assert!(
        !svg.contains("<text") && !svg.contains("font-family"),
        "text is drawn as outlines, no system font needed"
    );

    let (status, _, calibration) =
        fetch(&admin, "/api/labels.pdf?layout=5160&calibration=true").await;
    assert_eq!(status, 200);
    assert!(calibration.starts_with(b"%PDF-"));

    let unknown = admin.get("/api/labels.pdf?codes=GN-000001,GN-777777").await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("GN-777777")
    );
    let bad_layout = admin.get("/api/labels.pdf?codes=GN-000001&layout=X1").await;
    assert_eq!(bad_layout.status, 400);
    assert!(
        bad_layout.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("L7163")
    );
}
