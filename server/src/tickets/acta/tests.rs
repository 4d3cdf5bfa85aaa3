//! The record's layout, read back with `pdftotext`.

use std::collections::HashMap;

use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{Photo, TicketDoc, Visit};

use super::Acta;
use super::render::render;

fn text_of(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("campo-acta-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian: apt-get install poppler-utils) must be installed");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// A long case runs over several pages: long texts wrap, nothing is cut, every page is
/// numbered, and a photo the phone has not uploaded yet is said to be missing.
#[test]
fn a_long_case_wraps_and_breaks_pages() {
    use campo_shared::schema::{Channel, Event, Person, Request};
    let request = Request {
        requester: Person {
            id: "u-ana".into(),
            name: "Ana Pérez".into(),
        },
        dependencia: "HACIENDA".into(),
        location: "Piso 2".into(),
        phone_extension: None,
        channel: Channel::Phone,
        external_ref: None,
        category: "Red".into(),
        description: "Sin red. ".repeat(120) + "FIN-DE-LA-DESCRIPCIÓN",
        equipment: Vec::new(),
        photos: Vec::new(),
    };
    let first = Event::new(
        EventKind::Registered,
        1_790_000_000_000,
        "u-co",
        Role::Coordinador,
    );
    let mut ticket = TicketDoc::new(request, first);
    for i in 0..12 {
        let mut visit = Visit::start("u-tec", 1_790_000_000_000 + i * 3_600_000, i % 2 == 0);
        visit.actions = format!("Acción número {i}. ") + &"Se revisó el cableado. ".repeat(20);
        visit.evidence.push(Photo {
            sha256: "ab".repeat(32),
            captured_at: 1_790_000_000_000,
            position: None,
        });
        ticket.visits.push(visit);
    }
    let acta = Acta {
        organisation: "Gobernación de Prueba".into(),
        number: "SAT-2026-000042".into(),
        generated_at: 1_790_000_000_000,
        ticket,
        dependencia: "Secretaría de Hacienda".into(),
        names: HashMap::from([("u-tec".to_owned(), "Andrés Gómez".to_owned())]),
        equipment: HashMap::new(),
        thumbs: HashMap::new(),
        signatures: HashMap::new(),
    };
    let text = text_of(&render(&acta));
    let pages = text.matches("Página ").count();
    assert!(pages >= 3, "{pages} pages");
    assert!(
        text.contains(&format!("Página {pages} de {pages}")),
        "{text}"
    );
    assert!(text.contains("FIN-DE-LA-DESCRIPCIÓN"));
    assert!(text.contains("Acción número 10."), "the last present visit");
    assert!(text.contains("Foto aún no recibida"));
    assert!(text.contains("Sin posición registrada"));
    assert!(!text.contains("u-tec"), "an id printed");
    // 14:13 UTC is 09:13 in Bogotá.
    assert!(
        text.contains("Generado el 21/09/2026 09:13 (hora de Bogotá)"),
        "{text}"
    );
}
