//! Requests by e-mail, end to end: a real Dovecot (`campo_tests::dovecot`) holds the mailbox,
//! messages are delivered with `doveadm save`, `campo serve` collects them through IMAP, and the
//! automatic answers reach the local SMTP sink.

use std::time::Duration;

use campo_shared::schema::TicketDoc;
use campo_tests::dovecot::Dovecot;
use campo_tests::phone::Phone;
use campo_tests::smtp::{SmtpSink, free_port, received, wait_for_mail};
use campo_tests::{Backend, Client, DEMO_PASSWORD, TempDir, TestDb, both_backends, run_cli};
use serde_json::Value;
use tokio::process::Child;

/// A running `campo serve` that collects the Dovecot mailbox and mails through the sink on
/// `smtp_port`. The poll interval is an hour: past the first pass, every message in these tests
/// is taken because Dovecot announced it in IDLE, as soon as it arrives.
async fn start(
    db: &TestDb,
    imap: &Dovecot,
    smtp_port: u16,
    extra: &[(&str, &str)],
) -> (Child, Client) {
    let mut env = vec![
        ("CAMPO_IMAP_URL".to_owned(), imap.url()),
        ("CAMPO_IMAP_POLL_SECS".to_owned(), "3600".to_owned()),
        (
            "CAMPO_SMTP_URL".to_owned(),
            format!("smtp://127.0.0.1:{smtp_port}"),
        ),
        (
            "CAMPO_SMTP_FROM".to_owned(),
            "Mesa de ayuda <mesa@demo.gov.co>".to_owned(),
        ),
    ];
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let (child, base) = campo_tests::spawn_campo(db, &[], &env)
        .await
        .expect("start campo");
    let coordinator = Client::new(base);
    coordinator
        .login("coordinador", DEMO_PASSWORD)
        .await
        .expect("coordinator login");
    (child, coordinator)
}

/// The tickets that came by e-mail.
async fn email_tickets(coordinator: &Client) -> Vec<Value> {
    let reply = coordinator
        .get("/api/tickets?channel=email&limit=500")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let list = reply.body["tickets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.into_iter()
        .filter(|t| t["channel"] == "email")
        .collect()
}

/// Waits until at least `n` tickets came by e-mail; returns them.
async fn wait_for_tickets(coordinator: &Client, n: usize, imap: &Dovecot) -> Vec<Value> {
    for _ in 0..600 {
        let tickets = email_tickets(coordinator).await;
        if tickets.len() >= n {
            return tickets;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "fewer than {n} e-mail tickets after 60 s: {:?}\n{}",
        email_tickets(coordinator).await,
        imap.log()
    );
}

/// The ticket document, read as a phone would.
async fn document(coordinator: &Client, id: &str) -> TicketDoc {
    let phone = Phone::open(coordinator, id).await.expect("open the ticket");
    TicketDoc::hydrate_from(&phone.doc).expect("a ticket document")
}

/// Waits until every message of the mailbox is flagged \Seen.
async fn wait_all_seen(imap: &Dovecot) {
    for _ in 0..600 {
        if imap.search("unseen").await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("messages left unseen: {:?}", imap.search("unseen").await);
}

fn mail(from: &str, subject: &str, id: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: mesa@demo.gov.co\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Date: Fri, 04 Dec 2026 10:00:00 -0500\r\nMIME-Version: 1.0\r\n{extra_headers}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn demo_db(backend: Backend) -> TestDb {
    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    db
}

both_backends!(an_official_writes_and_replies);
/// An official's mail becomes a case with channel e-mail and the official as requester; the
/// official gets the number; a reply with the number in the subject, and one that answers the
/// automatic mail, become comments on that case, not new cases. A message stored but then
/// marked unseen again (a crash between storing and flagging) is recognised, not taken twice.
async fn an_official_writes_and_replies(backend: Backend) {
    let sink_dir = TempDir::new();
    let smtp_port = free_port();
    let _sink = SmtpSink::start(smtp_port, sink_dir.path()).await;
    let imap = Dovecot::start().await;
    let db = demo_db(backend).await;
    let (_campo, coordinator) = start(&db, &imap, smtp_port, &[]).await;
    let before = email_tickets(&coordinator).await.len();

    imap.deliver(&mail(
        "María Fernanda López <MLopez@demo.gov.co>",
        "El monitor no enciende",
        "m1@demo.gov.co",
        "",
        "Buenos días, el monitor de mi puesto no enciende desde ayer.",
    ))
    .await;
    let tickets = wait_for_tickets(&coordinator, before + 1, &imap).await;
    let ticket = tickets
        .iter()
        .find(|t| {
            t["summary"]
                .as_str()
                .unwrap_or_default()
                .contains("monitor")
        })
        .expect("the case of the mail");
    assert_eq!(ticket["requester_name"], "María Fernanda López");
    assert!(ticket["requester_id"].is_string(), "{ticket}");
    assert_eq!(ticket["state"], "registrada");
    let number = ticket["number"].as_str().unwrap().to_owned();
    let id = ticket["id"].as_str().unwrap().to_owned();
    let doc = document(&coordinator, &id).await;
    assert!(doc.request.description.contains("no enciende desde ayer"));
    assert_eq!(doc.request.channel.as_str(), "email");

    let answer = wait_for_mail(sink_dir.path(), "mlopez@demo.gov.co", &number).await;
    assert!(
        answer["subject"]
            .as_str()
            .unwrap()
            .contains(&format!("[{number}]"))
    );
    assert!(answer["body"].as_str().unwrap().contains(&number));
    assert_eq!(answer["auto_submitted"], "auto-generated");
    // Threaded under the official's own message in their mail program.
    assert_eq!(answer["in_reply_to"], "<m1@demo.gov.co>");
    assert_eq!(answer["references"], "<m1@demo.gov.co>");

    // A reply carrying the number in its subject.
    imap.deliver(&mail(
        "mlopez@demo.gov.co",
        &format!("RE: [{number}] Recibimos su solicitud"),
        "m2@demo.gov.co",
        "In-Reply-To: <desconocido@otro.gov.co>\r\n",
        "Ya probé con otro cable y tampoco.\r\n> Recibimos su solicitud",
    ))
    .await;
    // A reply to the automatic answer, by its Message-ID, with another subject.
    let answer_id = answer["message_id"].as_str().unwrap().to_owned();
    imap.deliver(&mail(
        "mlopez@demo.gov.co",
        "Otra cosa",
        "m3@demo.gov.co",
        &format!("In-Reply-To: {answer_id}\r\nReferences: {answer_id}\r\n"),
        "El equipo está en el piso 2.",
    ))
    .await;
    wait_all_seen(&imap).await;
    let mut comments = Vec::new();
    for _ in 0..100 {
        comments = document(&coordinator, &id).await.comments;
        if comments.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let texts: Vec<&str> = comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("otro cable")), "{texts:?}");
    assert!(
        texts.iter().all(|t| !t.contains("> Recibimos")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t.contains("piso 2")), "{texts:?}");
    assert_eq!(email_tickets(&coordinator).await.len(), before + 1);

    // Stored but not flagged (a crash right after the commit): marked unseen again, the
    // message is recognised and flagged, and no second case appears.
    let uids = imap.search("all").await;
    imap.mark_unseen(uids[0]).await;
    wait_all_seen(&imap).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(email_tickets(&coordinator).await.len(), before + 1);
    let answers = received(sink_dir.path())
        .into_iter()
        .filter(|m| m["subject"].as_str().unwrap().contains(&number))
        .count();
    assert_eq!(answers, 1, "one automatic answer per case");
}

both_backends!(strangers_robots_photos_and_broken_mail);
/// An unknown sender's request is a case to identify, answered; bounces and bulk mail are cases
/// but never answered; an attached image becomes a photo of the case, another attachment is
/// listed; a malformed message is still a case and the ones after it are taken; a message over
/// the size limit is not downloaded but still becomes a case with a note.
async fn strangers_robots_photos_and_broken_mail(backend: Backend) {
    let sink_dir = TempDir::new();
    let smtp_port = free_port();
    let _sink = SmtpSink::start(smtp_port, sink_dir.path()).await;
    let imap = Dovecot::start().await;
    let db = demo_db(backend).await;
    let (_campo, coordinator) = start(
        &db,
        &imap,
        smtp_port,
        &[("CAMPO_IMAP_MAX_MESSAGE_BYTES", "200000")],
    )
    .await;
    let before = email_tickets(&coordinator).await.len();

    let png = png(64, 48);
    let b64 = base64_lines(&png);
    let with_photo = format!(
        "From: Pedro Pérez <pedro@externo.com.co>\r\nTo: mesa@demo.gov.co\r\n\
         Subject: Pantalla rota\r\nMessage-ID: <s1@externo.com.co>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n<p>La <b>pantalla</b> está rota.</p>\r\n\
         --XYZ\r\nContent-Type: image/png; name=\"foto.png\"\r\n\
         Content-Disposition: attachment; filename=\"foto.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--XYZ\r\n\
         Content-Type: application/pdf; name=\"factura.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"factura.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XYZ--\r\n"
    );
    imap.deliver(with_photo.as_bytes()).await;
    imap.deliver(&mail(
        "MAILER-DAEMON@demo.gov.co",
        "Undelivered Mail Returned to Sender",
        "b1@demo.gov.co",
        "Auto-Submitted: auto-replied\r\n",
        "This is the mail system.",
    ))
    .await;
    imap.deliver(&mail(
        "boletin@lista.gov.co",
        "Boletín semanal",
        "l1@lista.gov.co",
        "Precedence: bulk\r\n",
        "Noticias de la semana.",
    ))
    .await;
    imap.deliver(
        b"From: roto@externo.com.co\r\nSubject: =?utf-8?B?!!!\r\nMIME-Version: 1.0\r\n\
          Content-Type: multipart/mixed; boundary=\"nunca\"\r\n\r\n\xff\xfe basura sin partes\r\n",
    )
    .await;
    let big_body = "x".repeat(300_000);
    imap.deliver(&mail(
        "grande@externo.com.co",
        "Correo pesado",
        "g1@externo.com.co",
        "",
        &big_body,
    ))
    .await;
    imap.deliver(&mail(
        "ana@externo.com.co",
        "Después del roto",
        "a1@externo.com.co",
        "",
        "Este llega después del correo roto.",
    ))
    .await;

    let tickets = wait_for_tickets(&coordinator, before + 6, &imap).await;
    wait_all_seen(&imap).await;
    let by_ref = |address: &str| {
        tickets
            .iter()
            .find(|t| t["external_ref"] == address)
            .unwrap_or_else(|| panic!("no case from {address}: {tickets:?}"))
            .clone()
    };
    let stranger = by_ref("pedro@externo.com.co");
    assert_eq!(
        stranger["requester_name"],
        "Solicitante por identificar (pedro@externo.com.co)"
    );
    assert!(stranger["requester_id"].is_null(), "{stranger}");
    let doc = document(&coordinator, stranger["id"].as_str().unwrap()).await;
    assert_eq!(doc.request.photos.len(), 1, "{:?}", doc.request);
    assert!(
        doc.request.description.contains("pantalla"),
        "{}",
        doc.request.description
    );
    assert!(!doc.request.description.contains("<b>"));
    assert!(doc.request.description.contains("factura.pdf"));
    let photo = coordinator
        .get(&format!("/api/blobs/{}", doc.request.photos[0]))
        .await;
    assert_eq!(photo.status, 200);

    let big = by_ref("grande@externo.com.co");
    let doc = document(&coordinator, big["id"].as_str().unwrap()).await;
    assert!(
        doc.request.description.contains("no se descargó"),
        "{}",
        doc.request.description
    );
    assert!(!doc.request.description.contains("xxxxxxxx"));
    by_ref("roto@externo.com.co");
    by_ref("ana@externo.com.co");
    by_ref("mailer-daemon@demo.gov.co");
    by_ref("boletin@lista.gov.co");

    // People are answered; robots never.
    wait_for_mail(sink_dir.path(), "pedro@externo.com.co", "Recibimos").await;
    wait_for_mail(sink_dir.path(), "ana@externo.com.co", "Recibimos").await;
    let stranger_answer = wait_for_mail(sink_dir.path(), "pedro@externo.com.co", "Recibimos").await;
    assert!(
        stranger_answer["body"]
            .as_str()
            .unwrap()
            .contains("no está registrada")
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    for robot in ["mailer-daemon@demo.gov.co", "boletin@lista.gov.co"] {
        assert!(
            received(sink_dir.path())
                .iter()
                .all(|m| m["to"][0] != robot),
            "{robot} was answered"
        );
    }
}

both_backends!(killed_mid_mailbox_each_message_once);
/// `campo` killed (SIGKILL) again and again while it works through a mailbox of many messages:
/// after the last restart every message is exactly one case.
async fn killed_mid_mailbox_each_message_once(backend: Backend) {
    const MESSAGES: usize = 60;
    let sink_dir = TempDir::new();
    let smtp_port = free_port();
    let _sink = SmtpSink::start(smtp_port, sink_dir.path()).await;
    let imap = Dovecot::start().await;
    let db = demo_db(backend).await;
    for n in 0..MESSAGES {
        imap.deliver(&mail(
            "mlopez@demo.gov.co",
            &format!("Mensaje {n:03}"),
            &format!("k{n}@demo.gov.co"),
            "",
            &format!("Solicitud número {n:03}."),
        ))
        .await;
    }
    let mut kills = 0;
    let mut seen_progress = 0;
    loop {
        let (mut campo, coordinator) = start(&db, &imap, smtp_port, &[]).await;
        // Let it take a few more messages, then kill it in the middle of its work.
        let target = seen_progress + 7;
        let mut taken = 0;
        for _ in 0..400 {
            taken = MESSAGES - imap.search("unseen").await.len();
            if taken >= target || taken == MESSAGES {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        if taken == MESSAGES || kills == 5 {
            wait_all_seen(&imap).await;
            let tickets = email_tickets(&coordinator).await;
            for n in 0..MESSAGES {
                let subject = format!("Mensaje {n:03}");
                let count = tickets
                    .iter()
                    .filter(|t| t["summary"].as_str().unwrap_or_default().contains(&subject))
                    .count();
                assert_eq!(
                    count, 1,
                    "{subject} became {count} cases (after {kills} kills)"
                );
            }
            assert!(kills >= 1, "campo was never killed mid-mailbox");
            let _ = campo.kill().await;
            return;
        }
        campo.kill().await.expect("SIGKILL campo");
        kills += 1;
        seen_progress = taken;
    }
}

/// A small PNG picture.
fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([x as u8 * 3, y as u8 * 5, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Base64 in lines of 76 characters.
fn base64_lines(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}
