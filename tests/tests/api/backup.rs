//! `campo backup` and `campo restore`: a copy taken while a phone syncs restores into an empty
//! place, and Campo started there shows every case, photo and user as the original did; a restore
//! into a place that holds data, or from a truncated copy, is refused and changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use campo_shared::ids::CommentId;
use campo_shared::schema::{Comment, TicketDoc, append_comment};
use campo_tests::phone::Phone;
use campo_tests::ticket::now_ms;
use campo_tests::{
    Backend, Client, DEMO_PASSWORD, TempDir, TestApp, TestDb, both_backends, run_cli,
};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, Rgb, RgbImage};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Connection;

both_backends!(a_copy_taken_while_a_phone_syncs_restores_everything);
both_backends!(a_restore_into_a_place_with_data_or_from_a_truncated_copy_is_refused);

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A photo of a printer's display, 640×480.
fn printer_photo() -> Vec<u8> {
    let image = RgbImage::from_fn(640, 480, |x, y| Rgb([(x / 3) as u8, 90, (y / 2) as u8]));
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(&image, 640, 480, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

async fn act(client: &Client, id: &str, body: Value) {
    let reply = client
        .post(&format!("/api/tickets/{id}/actions"), &body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// The demo, a photo, and three new cases (one assigned to tecnico1, with the photo). Returns
/// the id of the assigned case and the photo's hash.
async fn office_at_work(app: &TestApp) -> (String, String) {
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;
    let photo = printer_photo();
    let hash = sha256(&photo);
    let uploaded = official
        .send(
            official
                .http()
                .put(official.url(&format!("/api/blobs/{hash}")))
                .header("content-type", "image/jpeg")
                .body(photo),
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let mut ids = Vec::new();
    for (n, description) in [
        "La impresora del piso 2 imprime hojas en blanco.",
        "El correo no sincroniza en el portátil del despacho.",
        "No hay red en la sala de juntas del tercer piso.",
    ]
    .into_iter()
    .enumerate()
    {
        let photos = if n == 0 { vec![hash.clone()] } else { vec![] };
        let created = official
            .post(
                "/api/tickets",
                &json!({"description": description, "category": "Hardware",
                        "location": "Piso 2, oficina 204", "photos": photos}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let tecnico_id = tecnico.get("/api/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    act(
        &coordinator,
        &ids[0],
        json!({"action": "aceptada", "mode": "on_site"}),
    )
    .await;
    act(
        &coordinator,
        &ids[0],
        json!({"action": "priorizada", "priority": "alta"}),
    )
    .await;
    act(
        &coordinator,
        &ids[0],
        json!({"action": "asignada", "assignee_id": tecnico_id}),
    )
    .await;
    (ids.swap_remove(0), hash)
}

/// Everything a coordinator reads of every case (list, detail, history), every account, by id.
async fn what_people_see(app: &TestApp) -> BTreeMap<String, Value> {
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let mut seen = BTreeMap::new();
    let list = coordinator.get("/api/tickets?limit=500").await;
    assert_eq!(list.status, 200, "{}", list.body);
    for ticket in list.body["tickets"].as_array().unwrap() {
        let id = ticket["id"].as_str().unwrap();
        let detail = coordinator.get(&format!("/api/tickets/{id}")).await;
        let history = coordinator.get(&format!("/api/tickets/{id}/history")).await;
        assert_eq!(detail.status, 200, "{}", detail.body);
        seen.insert(
            format!("caso {id}"),
            json!({"list": ticket, "detail": detail.body, "history": history.body}),
        );
    }
    let users = coordinator.get("/api/users").await;
    assert_eq!(users.status, 200, "{}", users.body);
    for user in users.body.as_array().unwrap() {
        seen.insert(format!("usuario {}", user["username"]), user.clone());
    }
    seen
}

/// Every photo file of a data directory, by name, with its bytes.
fn photo_files(data_dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let Ok(shards) = std::fs::read_dir(data_dir.join("blobs")) else {
        return files;
    };
    for shard in shards {
        for file in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(name, std::fs::read(&path).unwrap());
        }
    }
    files
}

/// The comments of a case as a phone of `client`'s user receives them.
async fn comments(client: &Client, id: &str) -> Vec<String> {
    let phone = Phone::open(client, id)
        .await
        .expect("the phone opens the case");
    let ticket = TicketDoc::hydrate_from(&phone.doc).expect("a ticket");
    ticket.comments.into_iter().map(|c| c.text).collect()
}

/// Runs `campo` on `db` and returns it on success; panics with its stderr otherwise.
async fn campo_ok(db: &TestDb, args: &[&str]) -> String {
    let done = run_cli(db, args, None).await.expect("run campo");
    assert!(done.success, "campo {args:?}: {}", done.stderr);
    done.stdout
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

async fn a_copy_taken_while_a_phone_syncs_restores_everything(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let (assigned, photo) = office_at_work(&app).await;
    let copies = TempDir::new();
    let during: PathBuf = copies.path().join("durante.zip");
    let after: PathBuf = copies.path().join("despues.zip");

    // The técnico's phone writes comment after comment while the copy is taken.
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;
    let tecnico_id = tecnico.get("/api/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut phone = Phone::open(&tecnico, &assigned)
        .await
        .expect("open the case");
    let stop = Arc::new(AtomicBool::new(false));
    let stored = Arc::new(AtomicUsize::new(0));
    let burst = tokio::spawn({
        let (stop, stored) = (stop.clone(), stored.clone());
        async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) || n < 5 {
                n += 1;
                let comment = Comment {
                    id: CommentId::new(),
                    author: tecnico_id.clone(),
                    at: now_ms(),
                    text: format!("Avance {n}"),
                };
                phone
                    .edit(|tx| append_comment(tx, &comment).map_err(|e| e.to_string()))
                    .await
                    .expect("the server stores the comment");
                stored.store(n, Ordering::SeqCst);
            }
        }
    });
    while stored.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before_copy = stored.load(Ordering::SeqCst);
    let printed = campo_ok(&app.db, &["backup", path_str(&during)]).await;
    assert!(printed.contains("Copia guardada en"), "{printed}");
    stop.store(true, Ordering::SeqCst);
    burst.await.unwrap();
    let all_comments = comments(&tecnico, &assigned).await;
    assert!(all_comments.len() > before_copy);

    // Quiet again: a second copy, restored into an empty place, is the office as it is.
    campo_ok(&app.db, &["backup", path_str(&after)]).await;
    let original = what_people_see(&app).await;
    let original_photos = photo_files(app.db.dir.path());
    assert!(original_photos.keys().any(|name| name.starts_with(&photo)));
    let place = TestDb::new(backend).await;
    let printed = campo_ok(&place, &["restore", path_str(&after)]).await;
    assert!(printed.contains("restaurada"), "{printed}");
    let restored = TestApp::start(place)
        .await
        .expect("campo starts on the copy");
    assert_eq!(what_people_see(&restored).await, original);
    assert_eq!(photo_files(restored.db.dir.path()), original_photos);
    let official = restored.login("mlopez", DEMO_PASSWORD).await;
    let served = official
        .http()
        .get(official.url(&format!("/api/blobs/{photo}")))
        .send()
        .await;
    assert_eq!(served.unwrap().status(), 200);
    let tecnico_there = restored.login("tecnico1", DEMO_PASSWORD).await;
    assert_eq!(comments(&tecnico_there, &assigned).await, all_comments);

    // The copy taken during the burst holds the case as it was at one moment: every comment
    // stored before the copy began, then a prefix of the rest; the other cases as they are.
    let place = TestDb::new(backend).await;
    campo_ok(&place, &["restore", path_str(&during)]).await;
    let restored = TestApp::start(place)
        .await
        .expect("campo starts on the copy");
    let tecnico_there = restored.login("tecnico1", DEMO_PASSWORD).await;
    let then = comments(&tecnico_there, &assigned).await;
    assert!(then.len() >= before_copy, "{} < {before_copy}", then.len());
    assert_eq!(then[..], all_comments[..then.len()]);
    let mut seen = what_people_see(&restored).await;
    let mut now = original.clone();
    let key = format!("caso {assigned}");
    assert_eq!(
        seen.remove(&key).unwrap()["detail"]["number"],
        now.remove(&key).unwrap()["detail"]["number"]
    );
    assert_eq!(seen, now);
    assert_eq!(photo_files(restored.db.dir.path()), original_photos);
}

async fn a_restore_into_a_place_with_data_or_from_a_truncated_copy_is_refused(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    office_at_work(&app).await;
    let copies = TempDir::new();
    let archive = copies.path().join("copia.zip");
    campo_ok(&app.db, &["backup", path_str(&archive)]).await;
    let original = what_people_see(&app).await;

    // A second copy never overwrites the first.
    let again = run_cli(&app.db, &["backup", path_str(&archive)], None)
        .await
        .unwrap();
    assert!(!again.success);
    assert!(
        again.stderr.contains("ya existe el archivo"),
        "{}",
        again.stderr
    );

    // Into the place it came from, which holds data: refused, nothing changes.
    let refused = run_cli(&app.db, &["restore", path_str(&archive)], None)
        .await
        .unwrap();
    assert!(!refused.success);
    assert!(
        refused.stderr.contains("no se cambió nada"),
        "{}",
        refused.stderr
    );
    assert_eq!(what_people_see(&app).await, original);

    // A copy cut in half (a full disk, an interrupted transfer): refused, the place stays empty.
    let bytes = std::fs::read(&archive).unwrap();
    let truncated = copies.path().join("cortada.zip");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    // And one whose photo bytes changed on the disk (the entry's length and name unchanged).
    let mut flipped = bytes.clone();
    let middle = bytes.len() / 2;
    flipped[middle] ^= 0xFF;
    let damaged = copies.path().join("danada.zip");
    std::fs::write(&damaged, &flipped).unwrap();
    let place = TestDb::new(backend).await;
    for bad in [&truncated, &damaged] {
        let refused = run_cli(&place, &["restore", path_str(bad)], None)
            .await
            .unwrap();
        assert!(!refused.success, "{}", refused.stdout);
        assert!(
            refused.stderr.contains("no se cambió nada"),
            "{}",
            refused.stderr
        );
        assert_eq!(
            std::fs::read_dir(place.dir.path()).unwrap().count(),
            0,
            "the data directory stays empty"
        );
        if backend == Backend::Postgres {
            let mut conn = sqlx::PgConnection::connect(&place.url).await.unwrap();
            let tables: i64 = sqlx::query_scalar(
                "select count(*) from information_schema.tables where table_schema = 'public'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(tables, 0, "the database stays empty");
        }
    }

    // The whole copy restores there afterwards.
    campo_ok(&place, &["restore", path_str(&archive)]).await;
    let restored = TestApp::start(place)
        .await
        .expect("campo starts on the copy");
    assert_eq!(what_people_see(&restored).await, original);
}
