//! «Acta de servicio»: the PDF of a whole case, read by the coordinator and the official who
//! asked, and by nobody else. The case is built as it happens in the office: the official's
//! request and the coordinator's triage through the API, the técnico's photos uploaded and its
//! visits synced from its phone.

use campo_shared::calendar::bogota;
use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{
    ClosingReport, Custody, Event, EventData, Outcome, Photo, Position, Signature, Survey,
    SurveyAnswers, SurveyChannel, Visit, append_event, append_visit, set_report, set_survey,
};
use campo_tests::phone::Phone;
use campo_tests::ticket::now_ms;
use campo_tests::{Backend, Client, DEMO_PASSWORD, TestApp, both_backends};
use chrono::DateTime;
use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, Rgb, RgbImage};
use serde_json::json;
use sha2::{Digest, Sha256};

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// «05/03/2027 14:30»: a time as the record prints it, in Bogotá.
fn bogota_time(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap()
        .with_timezone(&bogota())
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// A photo of the empty desk, 640×480.
fn desk_photo() -> Vec<u8> {
    let image = RgbImage::from_fn(640, 480, |x, y| Rgb([(x / 3) as u8, (y / 2) as u8, 140]));
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(&image, 640, 480, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A signature as the phone's canvas exports it: three black strokes on white, 360×120 PNG.
fn signature_png() -> Vec<u8> {
    let mut image = RgbImage::from_pixel(360, 120, Rgb([255, 255, 255]));
    for x in 20..340u32 {
        let strokes = [
            60 + ((x as f32 / 18.0).sin() * 30.0) as i32,
            90 - (x as i32 - 20) / 8,
            100,
        ];
        for (i, y) in strokes.into_iter().enumerate() {
            if i == 2 && !(200..300).contains(&x) {
                continue;
            }
            for dy in -1..=1 {
                let y = (y + dy).clamp(0, 119) as u32;
                image.put_pixel(x, y, Rgb([0, 0, 0]));
            }
        }
    }
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&image, 360, 120, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

async fn upload(client: &Client, bytes: Vec<u8>, content_type: &str) -> String {
    let hash = sha256(&bytes);
    let reply = client
        .send(
            client
                .http()
                .put(client.url(&format!("/api/blobs/{hash}")))
                .header("content-type", content_type)
                .body(bytes),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    hash
}

async fn act(client: &Client, id: &str, body: serde_json::Value) {
    let reply = client
        .post(&format!("/api/tickets/{id}/actions"), &body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

async fn user_id(client: &Client) -> String {
    client.get("/api/me").await.body["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// The status, headers and bytes of a GET.
async fn fetch(client: &Client, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = client.http().get(client.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// Runs a poppler tool on a PDF and returns what it printed.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("campo-acta-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|_| panic!("{tool} (Debian: apt-get install poppler-utils) is needed"));
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A visit's `visita_iniciada` or closing event.
fn event(kind: EventKind, at: i64, author: &str, data: EventData) -> Event {
    Event::new(kind, at, author, Role::Tecnico).with_data(data)
}

fn about(visit: &Visit) -> EventData {
    EventData {
        visit: Some(visit.id),
        ..EventData::default()
    }
}

async fn the_service_record_tells_the_whole_case(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let other = app.login("cperez", DEMO_PASSWORD).await;
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let official_id = user_id(&official).await;
    let tecnico_id = user_id(&tecnico).await;

    // The official asks; the coordinator triages and assigns tecnico1.
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": "El computador no enciende; la luz del botón parpadea en naranja.",
                    "category": "Hardware", "location": "Piso 3, oficina de Presupuesto",
                    "equipment": ["GN-000101"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let number = created.body["number"].as_str().unwrap().to_owned();
    act(
        &coordinator,
        &id,
        json!({"action": "aceptada", "mode": "on_site"}),
    )
    .await;
    act(
        &coordinator,
        &id,
        json!({"action": "priorizada", "priority": "media"}),
    )
    .await;
    act(
        &coordinator,
        &id,
        json!({"action": "asignada", "assignee_id": tecnico_id}),
    )
    .await;

    // The técnico's phone uploads the photo of the empty desk and, later, the signature.
    let photo = upload(&tecnico, desk_photo(), "image/jpeg").await;
    let drawing = upload(&tecnico, signature_png(), "image/png").await;
    let mut phone = Phone::open(&tecnico, &id)
        .await
        .expect("the phone opens the case");
    let base = now_ms();

    // 1. Nobody at the desk: a photo, a note, the return planned.
    let mut absent = Visit::start(&tecnico_id, base + MINUTE, false);
    absent.note = "Puesto vacío; se dejó aviso con la compañera de la oficina 305.".into();
    absent.notice_left = true;
    absent.next_visit_at = Some(base + DAY);
    absent.ended_at = Some(base + 6 * MINUTE);
    absent.evidence.push(Photo {
        sha256: photo.clone(),
        captured_at: base + 3 * MINUTE,
        position: Some(Position {
            lat: 4.60971,
            lon: -74.08175,
            accuracy_m: 12.0,
        }),
    });
    let events = [
        event(
            EventKind::VisitStarted,
            base + MINUTE,
            &tecnico_id,
            about(&absent),
        ),
        event(
            EventKind::UserAbsent,
            base + 6 * MINUTE,
            &tecnico_id,
            EventData {
                next_visit_at: Some(base + DAY),
                ..about(&absent)
            },
        ),
    ];
    phone
        .edit(|tx| {
            append_visit(tx, &absent).map_err(|e| e.to_string())?;
            for e in &events {
                append_event(tx, e).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .await
        .expect("the absent visit is stored");

    // 2. The official is there; the computer goes to the workshop. The official had left when
    // the técnico asked for the signature.
    let day1 = base + DAY;
    let mut workshop = Visit::start(&tecnico_id, day1, true);
    workshop.diagnosis = "Fuente de poder quemada.".into();
    workshop.actions = "Se retiró el equipo para cambiar la fuente.".into();
    workshop.tests = "Sin pruebas: el equipo no enciende.".into();
    workshop.outcome = Some(Outcome::Workshop);
    workshop.equipment = vec!["GN-000101".into()];
    workshop.custody = Some(Custody {
        equipment: vec!["GN-000101".into()],
        from: "María Fernanda López".into(),
        to: "Andrés Felipe Gómez".into(),
        place: "Taller de la Secretaría TIC, sótano 1".into(),
        at: day1 + 25 * MINUTE,
        condition: "Rayón en la tapa lateral; sin cable de poder.".into(),
    });
    workshop.ended_at = Some(day1 + 30 * MINUTE);
    workshop.signer_absent = true;
    let events = [
        event(EventKind::VisitStarted, day1, &tecnico_id, about(&workshop)),
        event(
            EventKind::SentToWorkshop,
            day1 + 30 * MINUTE,
            &tecnico_id,
            about(&workshop),
        ),
    ];
    phone
        .edit(|tx| {
            append_visit(tx, &workshop).map_err(|e| e.to_string())?;
            for e in &events {
                append_event(tx, e).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .await
        .expect("the workshop visit is stored");

    // 3. The workshop returns it.
    let day3 = base + 3 * DAY;
    let returned = event(
        EventKind::EquipmentReturned,
        day3,
        &tecnico_id,
        EventData {
            custody: Some(Custody {
                equipment: vec!["GN-000101".into()],
                from: "Taller de la Secretaría TIC".into(),
                to: "María Fernanda López".into(),
                place: "Piso 3, oficina de Presupuesto".into(),
                at: day3,
                condition: "Fuente nueva instalada; mismo rayón.".into(),
            }),
            ..EventData::default()
        },
    );
    phone
        .edit(|tx| append_event(tx, &returned).map_err(|e| e.to_string()))
        .await
        .expect("the return is stored");

    // 4. Installed again at the desk, tested with the official, signed; the case is closed and
    // the official answers the survey on the técnico's phone.
    let start = day3 + 10 * MINUTE;
    let mut fixed = Visit::start(&tecnico_id, start, true);
    fixed.diagnosis = "Equipo de vuelta del taller con fuente nueva.".into();
    fixed.actions = "Se instaló el equipo y se conectó a la red.".into();
    fixed.tests = "Encendió y abrió el sistema de presupuesto con la funcionaria.".into();
    fixed.outcome = Some(Outcome::Resolved);
    fixed.equipment = vec!["GN-000101".into()];
    fixed.ended_at = Some(start + 30 * MINUTE);
    fixed.signature = Some(Signature {
        sha256: drawing.clone(),
        signer: "María Fernanda López".into(),
        signed_at: start + 28 * MINUTE,
        strokes: 3,
    });
    let events = [
        event(EventKind::VisitStarted, start, &tecnico_id, about(&fixed)),
        event(
            EventKind::Resolved,
            start + 30 * MINUTE,
            &tecnico_id,
            about(&fixed),
        ),
        event(
            EventKind::Closed,
            start + 32 * MINUTE,
            &tecnico_id,
            EventData::default(),
        ),
    ];
    let report = ClosingReport {
        author: tecnico_id.clone(),
        at: start + 32 * MINUTE,
        summary: "Se cambió la fuente de poder en el taller y se reinstaló el equipo.".into(),
        results: "El equipo enciende y funciona con normalidad.".into(),
    };
    let survey = Survey {
        answered_at: start + 35 * MINUTE,
        by: official_id.clone(),
        channel: SurveyChannel::TechnicianPhone,
        answers: SurveyAnswers {
            timeliness: 4,
            treatment: 5,
            solution: 5,
            comment: "Muy amable el técnico.".into(),
        },
    };
    phone
        .edit(|tx| {
            append_visit(tx, &fixed).map_err(|e| e.to_string())?;
            for e in &events {
                append_event(tx, e).map_err(|e| e.to_string())?;
            }
            set_report(tx, &report).map_err(|e| e.to_string())?;
            set_survey(tx, &survey).map_err(|e| e.to_string())
        })
        .await
        .expect("the resolution is stored");

    // The coordinator and the official who asked read the record.
    let path = format!("/api/tickets/{id}/acta.pdf");
    let (status, headers, pdf) = fetch(&coordinator, &path).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        format!("inline; filename=\"acta-{number}.pdf\"").as_str()
    );
    assert!(pdf.starts_with(b"%PDF-"));
    let (status, _, own) = fetch(&official, &path).await;
    assert_eq!(status, 200);
    assert!(own.starts_with(b"%PDF-"));

    // Nobody else: another official, the técnico who did the work, a stranger.
    for client in [&other, &tecnico] {
        let (status, _, _) = fetch(client, &path).await;
        assert_eq!(status, 404);
    }
    assert_eq!(app.anonymous().get(&path).await.status, 401);

    // What a person reads in it.
    let raw = poppler("pdftotext", &["-layout", "-enc", "UTF-8"], &pdf);
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let expected = [
        "Secretaría TIC".to_owned(),
        "Acta de servicio".to_owned(),
        format!("Caso {number}"),
        "María Fernanda López".to_owned(),
        "Secretaría de Hacienda".to_owned(),
        "Piso 3, oficina de Presupuesto".to_owned(),
        "Intranet".to_owned(),
        "Hardware".to_owned(),
        "la luz del botón parpadea en naranja".to_owned(),
        // The visits, with the técnico's name and Bogotá times.
        "Visita 1 · Andrés Felipe Gómez".to_owned(),
        bogota_time(base + MINUTE),
        "Ausente: no estaba en el puesto".to_owned(),
        "se dejó aviso con la compañera de la oficina 305".to_owned(),
        "Sí, se dejó aviso en el puesto".to_owned(),
        bogota_time(base + DAY),
        format!("Tomada el {}", bogota_time(base + 3 * MINUTE)),
        "Posición: 4.60971, -74.08175".to_owned(),
        "Precisión: ±12 m".to_owned(),
        "Fuente de poder quemada.".to_owned(),
        "Enviado a taller".to_owned(),
        "GN-000101 (computador Lenovo ThinkCentre M70)".to_owned(),
        // The custody chain, both ways.
        format!("Envío a taller · {}", bogota_time(day1 + 25 * MINUTE)),
        "Taller de la Secretaría TIC, sótano 1".to_owned(),
        "Rayón en la tapa lateral; sin cable de poder.".to_owned(),
        format!("Devolución del equipo · {}", bogota_time(day3)),
        "Fuente nueva instalada; mismo rayón.".to_owned(),
        // The solution.
        "En sitio, en el puesto del funcionario".to_owned(),
        "Se cambió la fuente de poder en el taller y se reinstaló el equipo.".to_owned(),
        "El equipo enciende y funciona con normalidad.".to_owned(),
        // The signatures: one missing with its reason, one given.
        "El funcionario no estaba en el puesto para firmar.".to_owned(),
        format!("Fecha de la firma {}", bogota_time(start + 28 * MINUTE)),
        // The survey, with the app's scale.
        "¿La atención fue oportuna? 4 (Bueno)".to_owned(),
        "¿Cómo fue el trato recibido? 5 (Muy bueno)".to_owned(),
        "Muy amable el técnico.".to_owned(),
        "Página 1 de".to_owned(),
    ];
    for needle in &expected {
        assert!(text.contains(needle.as_str()), "«{needle}» not in:\n{raw}");
    }
    assert!(!text.contains(&tecnico_id), "an id printed:\n{raw}");
    assert!(!text.contains("Sin firma registrada."), "{raw}");

    // The desk photo's thumbnail and the signature are embedded, as JPEGs.
    let list = poppler("pdfimages", &["-list"], &pdf);
    let images: Vec<(String, String, String)> = list
        .lines()
        .skip(2)
        .map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            (
                format!("{}x{}", cols[3], cols[4]),
                cols[2].to_owned(),
                cols[8].to_owned(),
            )
        })
        .collect();
    assert_eq!(images.len(), 2, "{list}");
    assert!(
        images.contains(&("320x240".into(), "image".into(), "jpeg".into())),
        "the thumbnail: {list}"
    );
    assert!(
        images.contains(&("360x120".into(), "image".into(), "jpeg".into())),
        "the signature: {list}"
    );
}
both_backends!(the_service_record_tells_the_whole_case);

/// A case just registered has a record too: no visits, no signature, no survey, each said; once
/// solved by phone, how and why.
async fn a_new_case_says_what_is_missing(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": "No hay red en la oficina.", "category": "Red",
                    "location": "Piso 3"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    let (status, _, pdf) = fetch(&official, &format!("/api/tickets/{id}/acta.pdf")).await;
    assert_eq!(status, 200);
    let raw = poppler("pdftotext", &["-layout", "-enc", "UTF-8"], &pdf);
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "No se registraron visitas.",
        "El equipo no salió del puesto.",
        "El caso aún no tiene solución registrada (estado: Registrada).",
        "Sin firma registrada.",
        "El funcionario aún no ha respondido la encuesta.",
    ] {
        assert!(text.contains(needle), "«{needle}» not in:\n{raw}");
    }
    let (status, _, _) = fetch(&official, "/api/tickets/2ZzzzzzzzzzzzzzzzzzzZ/acta.pdf").await;
    assert_eq!(status, 404);

    // Solved by phone: the record says so, with the reason.
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    act(
        &coordinator,
        id,
        json!({"action": "resuelta_telefono",
               "reason": "Se reinició el conmutador del piso por teléfono con la funcionaria."}),
    )
    .await;
    let (status, _, pdf) = fetch(&official, &format!("/api/tickets/{id}/acta.pdf")).await;
    assert_eq!(status, 200);
    let raw = poppler("pdftotext", &["-layout", "-enc", "UTF-8"], &pdf);
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Forma Remota o telefónica",
        "Motivo Se reinició el conmutador del piso por teléfono con la funcionaria.",
        "Estado actual Resuelta",
    ] {
        assert!(text.contains(needle), "«{needle}» not in:\n{raw}");
    }
}
both_backends!(a_new_case_says_what_is_missing);
