//! Evidence photos: idempotent upload by hash, hostile files refused while the server keeps
//! serving, stored photos oriented and without metadata, read access.

use std::path::Path;

use campo_tests::photo::exif_app1;
use campo_tests::{Backend, Client, Reply, TestApp, both_backends};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, Rgb, RgbImage};
use serde_json::json;
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A JPEG whose left half is red and right half blue, as the sensor saw it.
fn plain_jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(&image, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A phone photo: landscape pixels, EXIF saying it was held upright, and GPS.
fn phone_photo() -> Vec<u8> {
    let jpeg = plain_jpeg(400, 200);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&exif_app1());
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Changes the dimensions written in a JPEG's frame header (a decompression bomb: a small file
/// that claims a huge picture).
fn claim_dimensions(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline frame header");
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid 1×1 PNG whose header claims 60000×60000 pixels (with a correct checksum).
fn png_bomb() -> Vec<u8> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&[0, 0, 0], 1, 1, image::ExtendedColorType::Rgb8)
        .unwrap();
    png[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

async fn put(client: &Client, name: &str, bytes: Vec<u8>, content_type: &str) -> Reply {
    client
        .send(
            client
                .http()
                .put(client.url(&format!("/api/blobs/{name}")))
                .header("content-type", content_type)
                .body(bytes),
        )
        .await
}

/// The status the server answers to a `PUT /api/blobs/{name}` of `body`, read while the body is
/// still being written. The server answers 413 once the body passes the cap, without reading the
/// rest, and closes the connection: an HTTP client still writing the body may see that as a
/// broken pipe instead of the answer (one did, under load), so this one writes and reads at once
/// over a socket of its own, and a failed write is no failure.
async fn oversized_put(client: &Client, name: &str, body: Vec<u8>) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = reqwest::Url::parse(&client.url(&format!("/api/blobs/{name}"))).unwrap();
    let address = (url.host_str().unwrap().to_owned(), url.port().unwrap());
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let cookie = client.cookie_header(&client.url("/")).unwrap_or_default();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: image/jpeg\r\n\
         Content-Length: {}\r\n\r\n",
        url.path(),
        url.authority(),
        body.len()
    );
    let writing = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_ok() {
            let _ = writer.write_all(&body).await;
        }
        writer
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = async {
        while !answer.windows(2).any(|w| w == b"\r\n") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .expect("an answer to the oversized upload");
    writing.abort();
    let status_line = String::from_utf8_lossy(&answer);
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {status_line:?}"))
}

async fn upload(client: &Client, bytes: Vec<u8>) -> Reply {
    let name = sha256(&bytes);
    put(client, &name, bytes, "image/jpeg").await
}

async fn head(client: &Client, name: &str) -> u16 {
    client
        .http()
        .head(client.url(&format!("/api/blobs/{name}")))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn get_bytes(client: &Client, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = client.http().get(client.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() { files_under(&path) } else { 1 }
        })
        .sum()
}

async fn add_user(admin: &Client, app: &TestApp, username: &str, role: &str) -> Client {
    let password = format!("clave de {username} 123");
    let made = admin
        .post(
            "/api/users",
            &json!({"username": username, "full_name": username, "role": role, "password": password}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    app.login(username, &password).await
}

both_backends!(a_photo_uploaded_twice_is_stored_once_oriented_and_without_exif);
async fn a_photo_uploaded_twice_is_stored_once_oriented_and_without_exif(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let tecnico = add_user(&admin, &app, "tecnica", "tecnico").await;
    let photo = phone_photo();
    let name = sha256(&photo);

    assert_eq!(
        head(&tecnico, &name).await,
        404,
        "the phone sees it is missing"
    );
    let first = upload(&tecnico, photo.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        (&first.body["width"], &first.body["height"]),
        (&json!(200), &json!(400)),
        "dimensions as the phone was held"
    );
    // A retry after a lost answer succeeds and stores nothing more.
    let again = upload(&tecnico, photo.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(head(&tecnico, &name).await, 200);
    let blobs = app.db.dir.path().join("blobs");
    assert_eq!(
        files_under(&blobs),
        2,
        "one display size and one thumbnail, once"
    );

    let (status, headers, display) = get_bytes(&tecnico, &format!("/api/blobs/{name}")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    assert!(
        !display.windows(4).any(|w| w == b"Exif"),
        "no EXIF (and so no GPS) in the served photo"
    );
    let shown = image::load_from_memory(&display).unwrap().to_rgb8();
    assert_eq!(shown.dimensions(), (200, 400), "upright");
    // Rotated 90° clockwise: the red left half of the sensor is now the top.
    let top = shown.get_pixel(100, 50);
    let bottom = shown.get_pixel(100, 350);
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );

    let (status, _, thumb) = get_bytes(&tecnico, &format!("/api/blobs/{name}/thumb")).await;
    assert_eq!(status, 200);
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (160, 320));

    // Coordinators read every photo; another technician does not read this one.
    let (status, _, _) = get_bytes(&admin, &format!("/api/blobs/{name}")).await;
    assert_eq!(status, 200);
    let otro = add_user(&admin, &app, "otro", "tecnico").await;
    let (status, _, _) = get_bytes(&otro, &format!("/api/blobs/{name}")).await;
    assert_eq!(status, 403);
    // Unless it sends the same bytes: then it has the photo anyway.
    assert_eq!(upload(&otro, photo).await.status, 200);
    let (status, _, _) = get_bytes(&otro, &format!("/api/blobs/{name}/thumb")).await;
    assert_eq!(status, 200);

    // Without a session nothing is told.
    let anonymous = app.anonymous();
    assert_eq!(head(&anonymous, &name).await, 401);
    assert_eq!(upload(&anonymous, phone_photo()).await.status, 401);
}

both_backends!(hostile_files_are_refused_and_the_server_keeps_serving);
async fn hostile_files_are_refused_and_the_server_keeps_serving(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let good = plain_jpeg(640, 480);

    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend_from_slice(&[7; 200]);
    let mut polyglot = good.clone();
    polyglot.extend_from_slice(&zip);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("a zip renamed .jpg", zip.clone(), 415),
        (
            "a GIF",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
            415,
        ),
        (
            "an HTML page",
            b"<html><script>alert(1)</script>".to_vec(),
            415,
        ),
        ("a truncated JPEG", good[..good.len() / 2].to_vec(), 422),
        ("a JPEG with a zip appended", polyglot, 422),
        (
            "a JPEG claiming 65000x65000 pixels",
            claim_dimensions(&good, 65_000, 65_000),
            422,
        ),
        ("a PNG claiming 60000x60000 pixels", png_bomb(), 422),
    ];
    // All at once, with a good photo among them: the good one is stored, each bad one refused.
    let mut uploads = Vec::new();
    for (what, bytes, expected) in cases {
        let client = admin.http().clone();
        let url = admin.url(&format!("/api/blobs/{}", sha256(&bytes)));
        uploads.push(tokio::spawn(async move {
            let response = client
                .put(url)
                .header("content-type", "image/jpeg")
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            (what, expected, status, body)
        }));
    }
    let accepted = upload(&admin, good.clone()).await;
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    for task in uploads {
        let (what, expected, status, body) = task.await.unwrap();
        assert_eq!(status, expected, "{what}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.len() > 20 && !message.contains("Error"),
            "{what}: a clear Spanish message, got {body}"
        );
    }
    let bomb = upload(&admin, png_bomb()).await;
    assert!(
        bomb.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("60000×60000"),
        "{}",
        bomb.body
    );

    // Bytes that do not match their name, and a body over the cap.
    let wrong = put(&admin, &sha256(b"other"), good.clone(), "image/jpeg").await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert_eq!(wrong.error_code(), "hash_incorrecto");
    let bad_name = put(&admin, "foto.jpg", good.clone(), "image/jpeg").await;
    assert_eq!(bad_name.status, 404);
    // A body over the cap gets 413 as soon as its length is announced, before it is read.
    let huge = vec![0xFFu8; 21 * 1024 * 1024];
    assert_eq!(oversized_put(&admin, &sha256(&huge), huge).await, 413);

    // Nothing of the refused files was stored, and the server still serves.
    assert_eq!(files_under(&app.db.dir.path().join("blobs")), 2);
    assert_eq!(admin.get("/api/me").await.status, 200);
    assert_eq!(head(&admin, &sha256(&good)).await, 200);
}

/// A photo attached to a request is readable by whoever may read the ticket: the requester, the
/// técnico assigned (once assigned) and coordinators; not by other officials. The equipment the
/// request names lists it in its history.
async fn a_photo_follows_its_ticket(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let official = app.login("mlopez", campo_tests::DEMO_PASSWORD).await;
    let other = app.login("cperez", campo_tests::DEMO_PASSWORD).await;
    let tecnico = app.login("tecnico1", campo_tests::DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", campo_tests::DEMO_PASSWORD).await;
    let photo = plain_jpeg(640, 480);
    let hash = sha256(&photo);
    assert_eq!(upload(&official, photo).await.status, 201);
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": "La pantalla parpadea.", "category": "Monitor",
                    "location": "Piso 2", "equipment": ["GN-000101"], "photos": [hash]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let photo_path = format!("/api/blobs/{hash}");
    assert_eq!(official.get(&photo_path).await.status, 200);
    assert_eq!(tecnico.get(&photo_path).await.status, 403);
    assert_eq!(other.get(&photo_path).await.status, 403);

    let users = coordinator.get("/api/users?role=tecnico").await.body;
    let tecnico_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "tecnico1")
        .unwrap()["id"]
        .clone();
    let assigned = coordinator
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "asignada", "assignee_id": tecnico_id}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);
    assert_eq!(tecnico.get(&photo_path).await.status, 200);
    assert_eq!(
        tecnico.get(&format!("{photo_path}/thumb")).await.status,
        200
    );
    assert_eq!(other.get(&photo_path).await.status, 403);

    let equipment = tecnico.get("/api/equipment/GN-000101").await;
    assert_eq!(equipment.status, 200, "{}", equipment.body);
    let numbers: Vec<&str> = equipment.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert!(
        numbers.contains(&created.body["number"].as_str().unwrap()) && numbers.len() >= 2,
        "the demo ticket and the new one: {numbers:?}"
    );
    // An official sees only its own requests in an equipment's history.
    let seen_by_other = other.get("/api/equipment/GN-000101").await.body;
    assert!(
        seen_by_other["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != id.as_str())
    );
}
both_backends!(a_photo_follows_its_ticket);

/// Knowing a photo's hash gives nothing: an official who cites another's photo in a request of its
/// own is refused and still cannot read it; a photo nobody has uploaded yet may be cited (a phone
/// syncs a request before its photos), and its own uploader cites it freely.
async fn a_known_hash_grants_no_access(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let official = app.login("mlopez", campo_tests::DEMO_PASSWORD).await;
    let other = app.login("cperez", campo_tests::DEMO_PASSWORD).await;
    let photo = plain_jpeg(320, 240);
    let hash = sha256(&photo);
    assert_eq!(upload(&official, photo).await.status, 201);
    let request = |photos: Vec<String>| {
        json!({"description": "La pantalla parpadea.", "category": "Monitor",
               "location": "Piso 2", "photos": photos})
    };
    let created = official
        .post("/api/tickets", &request(vec![hash.clone()]))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);

    let stolen = other
        .post("/api/tickets", &request(vec![hash.clone()]))
        .await;
    assert_eq!(stolen.status, 422, "{}", stolen.body);
    assert!(
        stolen.body.to_string().contains("no la subió usted"),
        "{}",
        stolen.body
    );
    assert_eq!(other.get(&format!("/api/blobs/{hash}")).await.status, 403);
    assert_eq!(
        head(&other, &hash).await,
        404,
        "HEAD does not tell whether another's photo exists"
    );

    // Who took the same picture uploads it too, and may then cite it.
    assert_eq!(upload(&other, plain_jpeg(320, 240)).await.status, 200);
    assert_eq!(head(&other, &hash).await, 200);
    let same = other
        .post("/api/tickets", &request(vec![hash.clone()]))
        .await;
    assert_eq!(same.status, 201, "{}", same.body);

    let own = plain_jpeg(200, 100);
    let own_hash = sha256(&own);
    let not_yet = other
        .post("/api/tickets", &request(vec![own_hash.clone()]))
        .await;
    assert_eq!(not_yet.status, 201, "{}", not_yet.body);
    assert_eq!(upload(&other, own).await.status, 201);
    let again = other.post("/api/tickets", &request(vec![own_hash])).await;
    assert_eq!(again.status, 201, "{}", again.body);
}
both_backends!(a_known_hash_grants_no_access);
