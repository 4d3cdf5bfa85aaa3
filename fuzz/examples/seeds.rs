//! Writes the committed seed corpus of the fuzz targets (`fuzz/corpus/<target>/`), from what
//! Campo's own code produces: protocol frames encoded by `wire::Message`, sync messages of a real
//! exchange between a device and the server's copy of a ticket, ticket changes the write rules
//! accept or refuse, and small photos. Deterministic: running it again writes the same files.
//!
//! `make fuzz-seeds` runs it (see «Fuzzing» in docs/integridad.md).

use std::fs;
use std::path::{Path, PathBuf};

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ROOT, ReadDoc};
use campo_fuzz::{
    COORD, OFFICIAL, TECH, USERS, Verdict, comment, concurrent, device_actor, event, receive,
    request, starting_tickets, stored, sync_data,
};
use campo_server::media::process::{Limits, ingest};
use campo_server::sync::wire::{Message, PeerMetadata};
use campo_shared::event_kind::EventKind;
use campo_shared::ids::DocumentId;
use campo_shared::role::Role;
use campo_shared::rules::Writer;
use campo_shared::schema::incremental::HydratedTicket;
use campo_shared::schema::{self, Survey, SurveyAnswers, SurveyChannel, TicketDoc};
use image::{ImageEncoder, RgbImage, RgbaImage};

fn corpus(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).expect("the corpus directory can be made");
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).expect("a seed can be written");
}

/// A device's copy of `server`.
fn device(server: &Automerge) -> AutoCommit {
    let doc = if server.get_heads().is_empty() {
        AutoCommit::new()
    } else {
        AutoCommit::load(&server.save()).expect("the stored document loads")
    };
    doc.with_actor(device_actor(0))
}

/// The sync message that delivers what `edit` does on a device to `server`.
fn delivery(server: &Automerge, edit: impl FnOnce(&mut AutoCommit)) -> Vec<u8> {
    let mut phone = device(server);
    edit(&mut phone);
    let changes = phone
        .get_changes(&server.get_heads())
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    sync_data(phone.get_heads(), changes)
}

/// Every message a device sends the server in a full sync exchange, until both are done.
fn exchange(server: &Automerge, phone: &mut AutoCommit) -> Vec<Vec<u8>> {
    let mut server = server.clone();
    let mut phone = phone.document().clone();
    let (mut to_server, mut to_phone) = (sync::State::new(), sync::State::new());
    let mut sent = Vec::new();
    for _ in 0..10 {
        let from_phone = phone.generate_sync_message(&mut to_server);
        if let Some(message) = &from_phone {
            sent.push(message.clone().encode());
            server
                .receive_sync_message(&mut to_phone, message.clone())
                .expect("the server receives");
        }
        let from_server = server.generate_sync_message(&mut to_phone);
        if let Some(message) = &from_server {
            phone
                .receive_sync_message(&mut to_server, message.clone())
                .expect("the phone receives");
        }
        if from_phone.is_none() && from_server.is_none() {
            break;
        }
    }
    sent
}

fn sync_message_seeds(tickets: &[TicketDoc]) -> Vec<Vec<u8>> {
    let dir = corpus("sync_message");
    let phone = "phone-peer".to_owned();
    let server = "server-peer".to_owned();
    let document_id = DocumentId::from_bytes([7; 16]).to_bs58check();
    let frames = [
        (
            "join",
            Message::Join {
                sender_id: phone.clone(),
                metadata: PeerMetadata {
                    storage_id: Some("storage-of-the-phone".into()),
                    is_ephemeral: false,
                },
                supported_versions: Some(vec!["1".into()]),
            },
        ),
        (
            "peer",
            Message::Peer {
                sender_id: server.clone(),
                target_id: phone.clone(),
                metadata: PeerMetadata {
                    storage_id: Some("storage-of-the-server".into()),
                    is_ephemeral: false,
                },
                selected_version: "1".into(),
            },
        ),
        (
            "leave",
            Message::Leave {
                sender_id: phone.clone(),
            },
        ),
        (
            "error",
            Message::Error {
                sender_id: server.clone(),
                target_id: phone.clone(),
                message: "Regla «solo los campos del caso»: «aprobado» no es un campo.".into(),
                document_id: Some(document_id.clone()),
            },
        ),
        (
            "doc-unavailable",
            Message::DocUnavailable {
                sender_id: server.clone(),
                target_id: phone.clone(),
                document_id: document_id.clone(),
            },
        ),
        (
            "ephemeral",
            Message::Ephemeral {
                sender_id: phone.clone(),
                target_id: server.clone(),
                count: 3,
                session_id: "session".into(),
                document_id: document_id.clone(),
                data: vec![0xa1, 0x61, b'x', 0x01],
            },
        ),
        (
            "remote-heads-changed",
            Message::Other {
                kind: "remote-heads-changed".into(),
                sender_id: phone.clone(),
            },
        ),
        (
            "request",
            Message::Request {
                sender_id: phone.clone(),
                target_id: server.clone(),
                document_id: document_id.clone(),
                data: Automerge::new()
                    .generate_sync_message(&mut sync::State::new())
                    .expect("a first message")
                    .encode(),
            },
        ),
    ];
    for (name, message) in frames {
        write(&dir, &format!("frame-{name}"), &message.encode());
    }

    // A real exchange: an official's phone with a new comment syncs with the stored ticket (the
    // one the target receives into, with two heads).
    let stored_ticket = concurrent(&stored(&tickets[1]));
    let mut official = device(&stored_ticket);
    schema::append_comment(&mut official, &comment(OFFICIAL, 7, "¿Cuándo vienen?", 20))
        .expect("a comment appends");
    let mut datas = exchange(&stored_ticket, &mut official);
    // A coordinator registers a ticket on its device: every change of a new document.
    let mut registration = AutoCommit::new().with_actor(device_actor(0));
    TicketDoc::new(
        request(),
        event(EventKind::Registered, 1, COORD, Role::Coordinador, 21),
    )
    .reconcile_into(&mut registration)
    .expect("a ticket reconciles");
    datas.push(delivery(&Automerge::new(), |d| {
        d.merge(&mut registration).expect("merges");
    }));
    for (i, data) in datas.iter().enumerate() {
        write(&dir, &format!("data-{i}"), data);
        let frame = Message::Sync {
            sender_id: phone.clone(),
            target_id: server.clone(),
            document_id: document_id.clone(),
            data: data.clone(),
        };
        write(&dir, &format!("frame-sync-{i}"), &frame.encode());
    }
    datas
}

/// A `write_rules` input that delivers `data` from `USERS[writer]` to starting point `start`
/// (0: no document; 1–3: the starting tickets): the `Delivered` variant, chosen by a
/// discriminant of all ones, then the two bytes and the rest of the input.
fn delivered(start: u8, writer: u8, data: &[u8]) -> Vec<u8> {
    let mut input = vec![0xFF; 4];
    input.extend([start, writer]);
    input.extend_from_slice(data);
    // An enum of two variants shaped as the target's reads these bytes as its second variant.
    #[derive(arbitrary::Arbitrary, Debug, PartialEq)]
    enum Mirror<'a> {
        Edits(u8),
        Delivered {
            start: u8,
            writer: u8,
            data: &'a [u8],
        },
    }
    let read: Mirror =
        arbitrary::Arbitrary::arbitrary_take_rest(arbitrary::Unstructured::new(&input))
            .expect("any bytes are an input");
    assert_eq!(
        read,
        Mirror::Delivered {
            start,
            writer,
            data
        }
    );
    input
}

fn write_rules_seeds(tickets: &[TicketDoc]) {
    let dir = corpus("write_rules");
    let docs: Vec<Automerge> = tickets.iter().map(stored).collect();
    let official = 0;
    let tech = 1;
    let coord = 3;
    let mut seeds = vec![
        (
            "official-comments",
            2,
            official,
            delivery(&docs[1], |d| {
                schema::append_comment(d, &comment(OFFICIAL, 7, "¿Cuándo vienen?", 20)).unwrap()
            }),
            true,
        ),
        (
            "technician-visits",
            2,
            tech,
            delivery(&docs[1], |d| {
                let mut visit = tickets[1].visits[0].clone();
                visit.note = "Tóner agotado".into();
                schema::update_visit(d, &visit).unwrap();
                schema::append_event(d, &event(EventKind::VisitEnded, 8, TECH, Role::Tecnico, 22))
                    .unwrap();
            }),
            true,
        ),
        (
            "official-answers-survey",
            3,
            official,
            delivery(&docs[2], |d| {
                schema::set_survey(
                    d,
                    &Survey {
                        answered_at: 9,
                        by: OFFICIAL.into(),
                        channel: SurveyChannel::OwnApp,
                        answers: SurveyAnswers {
                            timeliness: 5,
                            treatment: 5,
                            solution: 4,
                            comment: "Gracias".into(),
                        },
                    },
                )
                .unwrap();
                schema::append_event(
                    d,
                    &event(
                        EventKind::SurveyAnswered,
                        9,
                        OFFICIAL,
                        Role::Funcionario,
                        23,
                    ),
                )
                .unwrap();
            }),
            true,
        ),
        (
            "official-deletes-an-event",
            2,
            official,
            delivery(&docs[1], |d| {
                let events = d.get(ROOT, "events").unwrap().unwrap().1;
                d.delete(&events, 0).unwrap();
            }),
            false,
        ),
        (
            "technician-writes-unknown-key",
            2,
            tech,
            delivery(&docs[1], |d| d.put(ROOT, "aprobado", true).unwrap()),
            false,
        ),
    ];
    let mut registration = AutoCommit::new().with_actor(device_actor(0));
    TicketDoc::new(
        request(),
        event(EventKind::Registered, 1, COORD, Role::Coordinador, 21),
    )
    .reconcile_into(&mut registration)
    .unwrap();
    seeds.push((
        "coordinator-registers",
        0,
        coord,
        delivery(&Automerge::new(), |d| {
            d.merge(&mut registration).unwrap();
        }),
        true,
    ));
    for (name, start, writer, data, accepted) in seeds {
        // Each seed does what its name says.
        let (server, before) = match start {
            0 => (Automerge::new(), None),
            n => {
                let doc = docs[usize::from(n) - 1].clone();
                let ticket = HydratedTicket::read(&doc).unwrap();
                (doc, Some(ticket))
            }
        };
        let (user_id, role) = USERS[usize::from(writer)];
        let verdict = receive(&server, before.as_ref(), Writer { user_id, role }, &data);
        assert_eq!(
            matches!(verdict, Verdict::Accepted(..)),
            accepted,
            "{name}: {verdict:?}"
        );
        write(&dir, name, &delivered(start, writer, &data));
    }
}

fn photo_seeds() {
    let dir = corpus("photo_ingest");
    let rgb = RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([(x * 6) as u8, (y * 8) as u8, 128])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&rgb)
        .unwrap();
    // The same photo taken with the phone upright: EXIF orientation 6 (rotate 90° clockwise),
    // in an APP1 segment after SOI.
    let mut exif = vec![0xFF, 0xE1, 0x00, 34];
    exif.extend_from_slice(b"Exif\0\0II*\0\x08\0\0\0");
    exif.extend_from_slice(&[1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
    let mut rotated = jpeg[..2].to_vec();
    rotated.extend_from_slice(&exif);
    rotated.extend_from_slice(&jpeg[2..]);
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(rgb.as_raw(), 40, 30, image::ExtendedColorType::Rgb8)
        .unwrap();
    let rgba = RgbaImage::from_fn(20, 30, |x, y| {
        image::Rgba([x as u8 * 10, y as u8 * 8, 0, 200])
    });
    let mut png_alpha = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png_alpha)
        .write_image(rgba.as_raw(), 20, 30, image::ExtendedColorType::Rgba8)
        .unwrap();
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .write_image(rgb.as_raw(), 40, 30, image::ExtendedColorType::Rgb8)
        .unwrap();
    let limits = Limits::default();
    for (name, bytes, size) in [
        ("photo.jpg", &jpeg, (40, 30)),
        ("photo-rotated.jpg", &rotated, (30, 40)),
        ("photo.png", &png, (40, 30)),
        ("photo-alpha.png", &png_alpha, (20, 30)),
        ("photo.webp", &webp, (40, 30)),
    ] {
        let derived = ingest(bytes, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((derived.width, derived.height), size, "{name}");
        write(&dir, name, bytes);
    }
}

fn main() {
    let tickets = starting_tickets();
    sync_message_seeds(&tickets);
    write_rules_seeds(&tickets);
    photo_seeds();
}
