//! Requests by e-mail: a collector inside `campo serve` that keeps a connection to an IMAP folder
//! (`CAMPO_IMAP_URL`), waits in IDLE for new messages (or reads the folder every
//! `CAMPO_IMAP_POLL_SECS` on a server without IDLE) and turns each new message into a request
//! with channel `email`, or into a comment on the case it answers.
//!
//! Exactly once: a message is recognised as taken by its mailbox, UIDVALIDITY and UID, or by its
//! Message-ID (`mail_intake`, [`crate::store::MailReceipt`]); that row is written in the same
//! transaction as the ticket change ([`crate::sync::Documents::change_from_intake`]), and only then
//! is the message flagged `\Seen`. A crash before the commit leaves the message unseen and
//! unrecorded: it is taken again. A crash after it leaves it recorded: the next pass recognises it,
//! makes sure its automatic answer is in the outbox, and flags it.
//!
//! The sender is matched to an active user by e-mail address; an unknown sender's request is
//! still a case, with the requester «Solicitante por identificar (address)» (the id
//! [`UNIDENTIFIED`], which is nobody's), for a coordinator to identify. The sender gets an
//! automatic answer with the case number through the notification outbox, unless the message is
//! automatic itself (see [`message::Incoming::automatic`]).

mod mailbox;
pub mod message;

use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use campo_shared::event_kind::EventKind;
use campo_shared::ids::{CommentId, DocumentId};
use campo_shared::limits::{COMMENT, DESCRIPTION, REQUEST_PHOTOS, SHORT_TEXT};
use campo_shared::role::Role;
use campo_shared::schema::{
    Channel, Comment, Event, Person, Request, TicketDoc, append_comment, validate_request,
};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::config::ImapUrl;
use crate::media::MediaError;
use crate::metrics::{METRICS, Metrics};
use crate::store::{MailReceipt, NewNotification, Receipt, TicketRow, now_ms};
use crate::sync::Author;
use message::Incoming;

/// The requester id of a request whose sender is not a user: nobody's id, so the case is seen by
/// coordinators only until one of them identifies the official.
pub const UNIDENTIFIED: &str = "por-identificar";
/// The dependencia code of such a request (and of an official without one): no dependencia has it.
pub const UNKNOWN_DEPENDENCIA: &str = "POR-IDENTIFICAR";
/// The category of a request by e-mail, until a coordinator classifies it.
pub const CATEGORY: &str = "Por clasificar";
/// The location of a request by e-mail, until someone asks.
pub const LOCATION: &str = "Por indicar (solicitud por correo)";
/// The device recorded in the audit for changes made from an e-mail.
pub const DEVICE: &str = "correo";

/// Starts the collector when `CAMPO_IMAP_URL` is set.
pub fn spawn(state: AppState) {
    let Some(imap) = state.config.imap.clone() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            if let Err(err) = watch(&state, &imap).await {
                tracing::warn!(err = format!("{err:#}"), "mail intake failed");
                Metrics::add(&METRICS.errors, 1);
            }
            // The connection broke or the server refused: try again after the poll interval.
            tokio::time::sleep(state.config.imap_poll).await;
        }
    });
}

/// Logs in and selects the folder, then leaves (`campo doctor`); whether the server offers IDLE.
pub async fn check(imap: &ImapUrl) -> anyhow::Result<bool> {
    let mut session = mailbox::open(imap).await?;
    session.offers_idle().await
}

/// The longest IDLE before the folder is read again in full, under RFC 2177's 29 minutes.
const MAX_IDLE: Duration = Duration::from_secs(25 * 60);

/// Keeps one session open: a pass over the folder, then a wait, again and again. The wait is in
/// IDLE when the server offers it, so a message is taken as soon as it arrives (and at the
/// latest after `CAMPO_IMAP_POLL_SECS`, up to 25 minutes); otherwise it is the poll interval.
/// Returns on the first error of the connection; the caller opens a new one.
async fn watch(state: &AppState, imap: &ImapUrl) -> anyhow::Result<()> {
    let mut session = mailbox::open(imap).await?;
    let idle = session.offers_idle().await?;
    tracing::info!(idle, folder = %imap.folder, "mail intake: connected");
    let wait = state.config.imap_poll.min(MAX_IDLE);
    loop {
        match pass(state, imap, &mut session).await? {
            0 => {}
            taken => tracing::info!(taken, "mail intake: messages taken"),
        }
        if idle {
            session = session.idle(wait).await?;
        } else {
            tokio::time::sleep(state.config.imap_poll).await;
        }
    }
}

/// One pass over the folder: every unseen message is taken (or recognised as taken) and
/// flagged. Returns how many messages were looked at.
async fn pass(
    state: &AppState,
    imap: &ImapUrl,
    session: &mut mailbox::Mailbox,
) -> anyhow::Result<usize> {
    let uidvalidity = session.uidvalidity;
    let name = format!("{}@{}:{}/{}", imap.user, imap.host, imap.port, imap.folder);
    let unseen = session.unseen().await?;
    let mut done = 0;
    for (uid, size) in unseen {
        let whole = size <= state.config.imap_max_message_bytes;
        let raw = match session.fetch(uid, whole).await {
            Ok(raw) => raw,
            // Gone meanwhile (expunged by someone else), or the connection broke: the next pass
            // sees what is left.
            Err(err) => {
                tracing::warn!(uid, err = format!("{err:#}"), "could not fetch a message");
                continue;
            }
        };
        let place = Place {
            mailbox: &name,
            uidvalidity: i64::from(uidvalidity),
            uid: i64::from(uid),
        };
        match take(state, &place, &raw, (!whole).then_some(size)).await {
            Ok(()) => session.mark_seen(uid).await?,
            // Not stored: left unseen, it is taken again on the next pass.
            Err(err) => tracing::error!(uid, err = format!("{err:#}"), "could not take a message"),
        }
        done += 1;
    }
    Ok(done)
}

/// Where a message sits in the mailbox.
struct Place<'a> {
    mailbox: &'a str,
    uidvalidity: i64,
    uid: i64,
}

/// Turns one message into a case or a comment, or recognises it as taken; `Ok` means it is
/// stored and may be flagged. `too_large` is the size of a message of which only the header was
/// fetched.
async fn take(
    state: &AppState,
    place: &Place<'_>,
    raw: &[u8],
    too_large: Option<u32>,
) -> anyhow::Result<()> {
    let owned = raw.to_vec();
    // mail-parser is lenient, but a panic on a hostile message must not stop the collector.
    let mail = tokio::task::spawn_blocking(move || message::parse(&owned))
        .await
        .unwrap_or_else(|_| Incoming {
            malformed: true,
            text: String::from_utf8_lossy(raw).into_owned(),
            ..Incoming::default()
        });
    let taken = state
        .store
        .mail_taken(
            place.mailbox,
            place.uidvalidity,
            place.uid,
            mail.message_id.as_deref(),
        )
        .await?;
    if let Some((ticket_id, kind)) = taken {
        if kind == "caso" {
            acknowledge(state, &ticket_id, &mail).await?;
        }
        return Ok(());
    }
    let requester = match &mail.from {
        Some(address) => state.store.user_id_by_email(address).await?,
        None => None,
    };
    let requester = match requester {
        Some(id) => state.store.user_by_id(&id).await?,
        None => None,
    };
    let receipt = |kind| MailReceipt {
        mailbox: place.mailbox.to_owned(),
        uidvalidity: place.uidvalidity,
        uid: place.uid,
        message_id: mail.message_id.clone(),
        kind,
        sender: mail.from.clone().unwrap_or_default(),
        received_at: now_ms(),
    };
    if let Some(ticket) = replied_case(state, &mail, requester.as_ref()).await? {
        let author_id = requester
            .as_ref()
            .map(|u| u.id.clone())
            .unwrap_or_else(|| UNIDENTIFIED.to_owned());
        let comment = Comment {
            id: CommentId::new(),
            author: author_id,
            at: now_ms(),
            text: comment_text(&mail, too_large),
        };
        let id: DocumentId = ticket.id.parse().context("a ticket id that is not one")?;
        state
            .documents
            .change_from_intake(
                id,
                author(requester.as_ref()),
                Receipt::Mail(receipt("comentario")),
                move |doc| {
                    doc.transact::<_, _, String>(|tx| {
                        append_comment(tx, &comment).map_err(|e| e.to_string())
                    })
                    .map(|_| ())
                    .map_err(|failure| failure.error)
                },
            )
            .await?;
        tracing::info!(number = %ticket.number, "mail reply recorded as a comment");
        return Ok(());
    }

    let (requester_person, dependencia, uploader) = match &requester {
        Some(user) => (
            Person {
                id: user.id.clone(),
                name: user.full_name.clone(),
            },
            user.dependencia
                .clone()
                .unwrap_or_else(|| UNKNOWN_DEPENDENCIA.to_owned()),
            Some(user.id.clone()),
        ),
        None => (
            Person {
                id: UNIDENTIFIED.to_owned(),
                name: fit_line(&format!(
                    "Solicitante por identificar ({})",
                    mail.from.as_deref().unwrap_or("sin remitente")
                )),
            },
            UNKNOWN_DEPENDENCIA.to_owned(),
            first_coordinator(state).await?,
        ),
    };
    let mut notes = Vec::new();
    let mut photos = Vec::new();
    for image in mail.images.iter() {
        if photos.len() >= REQUEST_PHOTOS.max {
            notes.push(format!(
                "{}: no se guardó (una solicitud admite {} fotos).",
                image.name, REQUEST_PHOTOS.max
            ));
            continue;
        }
        let Some(uploader) = &uploader else {
            notes.push(format!(
                "{}: no se guardó (no hay coordinador).",
                image.name
            ));
            continue;
        };
        match photo(state, &image.bytes, uploader).await {
            Ok(hash) => {
                if !photos.contains(&hash) {
                    photos.push(hash);
                }
            }
            Err(why) => notes.push(format!(
                "{}: no se pudo usar como foto ({why}).",
                image.name
            )),
        }
    }
    let request = Request {
        requester: requester_person,
        dependencia,
        location: LOCATION.to_owned(),
        phone_extension: None,
        channel: Channel::Email,
        external_ref: mail.from.as_deref().map(fit_line),
        category: CATEGORY.to_owned(),
        description: description(
            &mail,
            too_large,
            &notes,
            state.config.imap_max_message_bytes,
        ),
        equipment: Vec::new(),
        photos,
    };
    validate_request(&request).map_err(|errors| {
        anyhow::anyhow!(
            "the request from a mail is not valid: {}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let first = Event::new(
        EventKind::Registered,
        now_ms(),
        request.requester.id.clone(),
        Role::Funcionario,
    );
    let ticket = TicketDoc::new(request, first);
    let id = DocumentId::new();
    state
        .documents
        .change_from_intake(
            id,
            author(requester.as_ref()),
            Receipt::Mail(receipt("caso")),
            move |doc| {
                doc.transact::<_, _, String>(|tx| {
                    ticket.reconcile_into(tx).map_err(|e| e.to_string())
                })
                .map(|_| ())
                .map_err(|failure| failure.error)
            },
        )
        .await?;
    let ticket_id = id.to_bs58check();
    acknowledge(state, &ticket_id, &mail).await?;
    tracing::info!(
        ticket_id,
        known = requester.is_some(),
        "mail became a request"
    );
    Ok(())
}

/// The author of a change made from an e-mail: the official when known, else nobody (the audit
/// records the device `correo` without a user).
fn author(requester: Option<&crate::store::UserRow>) -> Author {
    Author {
        user_id: requester.map(|u| u.id.clone()).unwrap_or_default(),
        device: DEVICE.into(),
    }
}

/// The case a message answers: the one whose automatic answer it cites (`In-Reply-To`,
/// `References`), or the one whose number its subject carries when the sender is that case's
/// requester (anyone else naming a number opens a new case: a number is easy to guess).
async fn replied_case(
    state: &AppState,
    mail: &Incoming,
    requester: Option<&crate::store::UserRow>,
) -> anyhow::Result<Option<TicketRow>> {
    for id in &mail.replies_to {
        if let Some(notification) = crate::notify::sender::notification_of_message_id(id)
            && let Some(ticket_id) = state.store.notification_ticket(notification).await?
            && let Some(row) = state.store.ticket(&ticket_id).await?
        {
            return Ok(Some(row));
        }
    }
    let Some(number) = &mail.case_number else {
        return Ok(None);
    };
    let Some(row) = state.store.ticket_by_number(number).await? else {
        return Ok(None);
    };
    let same_official = requester.is_some_and(|u| row.requester_id.as_deref() == Some(&u.id));
    let same_address = mail
        .from
        .as_deref()
        .is_some_and(|from| row.external_ref.as_deref() == Some(from));
    Ok((same_official || same_address).then_some(row))
}

/// The description of a new request: subject, text, the attachments not kept, within
/// [`DESCRIPTION`].
fn description(mail: &Incoming, too_large: Option<u32>, notes: &[String], limit: u32) -> String {
    let mut head = String::new();
    if !mail.subject.is_empty() {
        head.push_str(&mail.subject);
    }
    let mut tail = String::new();
    if let Some(size) = too_large {
        tail.push_str(&format!(
            "\n\nEl correo pesaba {} MB, más que el límite de {} MB, y no se descargó: solo se \
             leyeron su remitente y su asunto. Pida al solicitante la descripción y los adjuntos \
             por otro medio.",
            mb(size),
            mb(limit)
        ));
    }
    if mail.malformed {
        tail.push_str("\n\nEl correo llegó con un formato que no se pudo leer del todo.");
    }
    if !mail.other_attachments.is_empty() {
        tail.push_str("\n\nAdjuntos que no se guardaron en Campo (siguen en el buzón): ");
        tail.push_str(&mail.other_attachments.join(", "));
        tail.push('.');
    }
    for note in notes {
        tail.push_str("\n\n");
        tail.push_str(note);
    }
    let tail = message::fit(&tail, DESCRIPTION.max / 2, "…");
    let room = DESCRIPTION
        .max
        .saturating_sub(head.chars().count() + tail.chars().count() + 4);
    let body = message::fit(
        &mail.text,
        room,
        "[El correo sigue; se recortó para caber en el caso. El mensaje completo está en el buzón.]",
    );
    let mut text = head;
    if !body.is_empty() {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&body);
    }
    text.push_str(&tail);
    let text = text.trim().to_owned();
    if text.is_empty() {
        "(Correo sin asunto ni texto.)".to_owned()
    } else {
        message::fit(&text, DESCRIPTION.max, "…")
    }
}

/// A reply's text as a comment: the lines the sender wrote (not the quoted ones), within
/// [`COMMENT`].
fn comment_text(mail: &Incoming, too_large: Option<u32>) -> String {
    let own: Vec<&str> = mail
        .text
        .lines()
        .filter(|line| !line.trim_start().starts_with('>'))
        .collect();
    let mut text = format!("Respuesta por correo: {}", own.join("\n").trim());
    if too_large.is_some() {
        text.push_str("\n\n(El correo era demasiado grande y no se descargó.)");
    }
    if !mail.images.is_empty() || !mail.other_attachments.is_empty() {
        let names: Vec<&str> = mail
            .images
            .iter()
            .map(|i| i.name.as_str())
            .chain(mail.other_attachments.iter().map(String::as_str))
            .collect();
        text.push_str(&format!(
            "\n\nAdjuntos que no se guardaron (siguen en el buzón): {}.",
            names.join(", ")
        ));
    }
    message::fit(
        &text,
        COMMENT.max,
        "[Se recortó; el mensaje completo está en el buzón.]",
    )
}

/// Enqueues the automatic answer of a case made from `mail` (once per case), unless the mail is
/// automatic or has no sender.
async fn acknowledge(state: &AppState, ticket_id: &str, mail: &Incoming) -> anyhow::Result<()> {
    let Some(address) = mail.from.as_deref() else {
        return Ok(());
    };
    if mail.automatic {
        return Ok(());
    }
    let Some(ticket) = state.store.ticket(ticket_id).await? else {
        return Ok(());
    };
    let subject = if mail.subject.is_empty() {
        format!("[{}] Recibimos su solicitud", ticket.number)
    } else {
        fit_line(&format!(
            "[{}] Recibimos su solicitud: {}",
            ticket.number, mail.subject
        ))
    };
    let link = state
        .config
        .public_url
        .as_deref()
        .map(|url| {
            format!(
                "\nPuede seguirla en {}/casos/{}\n",
                url.trim_end_matches('/'),
                ticket.id
            )
        })
        .unwrap_or_default();
    let identify = if ticket.requester_id.is_none() {
        "\nSu dirección de correo no está registrada en Campo: un coordinador lo identificará y \
         le pedirá los datos que falten.\n"
    } else {
        ""
    };
    let body = format!(
        "Buen día:\n\nRecibimos su solicitud de asistencia técnica y quedó registrada con el número \
         {number}. Un coordinador la revisará y le asignará un responsable.\n{identify}{link}\n\
         Si necesita agregar algo, responda este correo sin cambiar el asunto: su respuesta \
         quedará en el caso.\n\n{org}\n\n(Este es un mensaje automático.)\n",
        number = ticket.number,
        org = state.config.organisation,
    );
    let user_id = ticket.requester_id.clone();
    let in_reply_to = mail
        .message_id
        .as_deref()
        .and_then(message::reply_reference);
    state
        .store
        .enqueue_notification(&NewNotification {
            key: &format!("correo:{ticket_id}"),
            ticket_id,
            user_id: user_id.as_deref(),
            email: Some(address),
            kind: "acuse_correo",
            subject: &subject,
            body: &body,
            created_at: now_ms(),
            in_reply_to: in_reply_to.as_deref(),
        })
        .await?;
    Ok(())
}

/// Stores an attached image through the phone's photo pipeline; its SHA-256, or why not.
async fn photo(state: &AppState, bytes: &[u8], uploader: &str) -> Result<String, String> {
    let hash: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let body = Bytes::copy_from_slice(bytes);
    match crate::media::store_photo(state, hash.clone(), body, uploader).await {
        Ok(_) => Ok(hash),
        Err(MediaError::Rejected(rejection)) => Err(rejection.to_string()),
        Err(MediaError::Busy) => Err("el servidor estaba ocupado".to_owned()),
        Err(_) => Err("error al guardarla".to_owned()),
    }
}

/// The oldest active coordinator: the uploader of record of photos from unknown senders (a
/// photo belongs to a user; coordinators read every case anyway).
async fn first_coordinator(state: &AppState) -> anyhow::Result<Option<String>> {
    let mut coordinators: Vec<_> = state
        .store
        .list_users(Some(Role::Coordinador.as_str()))
        .await?
        .into_iter()
        .filter(|u| u.active)
        .collect();
    coordinators.sort_by_key(|u| u.created_at);
    Ok(coordinators.into_iter().next().map(|u| u.id))
}

/// One line within [`SHORT_TEXT`].
fn fit_line(text: &str) -> String {
    let line = text.replace(['\r', '\n'], " ");
    message::fit(&line, SHORT_TEXT.max, "…")
}

/// Bytes as megabytes, one decimal.
fn mb(bytes: u32) -> String {
    format!("{:.1}", f64::from(bytes) / (1024.0 * 1024.0)).replace('.', ",")
}

/// How long a poll may wait for the server.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(60);
