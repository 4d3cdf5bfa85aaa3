//! The GLPI bridge: where the office still runs GLPI, its new tickets become Campo cases, and
//! GLPI hears back. One pass ([`sync`], run by `campo glpi sync` and every
//! `CAMPO_GLPI_SYNC_SECS` inside `campo serve`):
//!
//! 1. opens a session (`initSession`), searches the new tickets (status «Nuevo») of the
//!    configured entity and category, and imports each one not imported yet as a case with
//!    channel `glpi` and the reference «GLPI #id»; the requester is matched to an official by
//!    GLPI login (= Campo username) or e-mail, else the case waits «por identificar» like an
//!    e-mail from an unknown sender;
//! 2. adds to each imported GLPI ticket a follow-up with the Campo case number, and, once the
//!    case is resolved in Campo, its solution;
//! 3. closes the session (`killSession`).
//!
//! Exactly once: a GLPI ticket is recorded in `glpi_tickets` in the same transaction as its case
//! ([`crate::store::Receipt::Glpi`]); a second import of the same id (a pass that crashed after
//! the commit, two processes at once) fails that transaction and creates nothing. Write-backs are
//! recorded when GLPI has acknowledged them, and retried on every pass until then; a pass takes each
//! one under a lease first, so two passes at once do not both send it (a pass that stops between
//! GLPI's acknowledgement and the record sends it again once the lease ends). A GLPI that
//! answers an error or garbage stops the pass with the reason; what was committed stays.

mod client;

use std::sync::Arc;

use anyhow::Context;
use campo_shared::event_kind::EventKind;
use campo_shared::ids::DocumentId;
use campo_shared::limits::DESCRIPTION;
use campo_shared::role::Role;
use campo_shared::schema::{Channel, Event, Person, Request, TicketDoc, validate_request};
use campo_shared::workflow::{self, Resolution};

use crate::AppState;
use crate::config::GlpiConfig;
use crate::intake::message::fit;
use crate::intake::{CATEGORY, UNIDENTIFIED, UNKNOWN_DEPENDENCIA};
use crate::store::{GlpiReceipt, Receipt, UserRow, WriteBack, now_ms};
use crate::sync::Author;
use client::Session;
pub use client::{GlpiRequester, GlpiTicket};

/// Opens a session in GLPI and closes it (`campo doctor`).
pub async fn check(config: &crate::config::GlpiConfig) -> anyhow::Result<()> {
    client::Session::open(std::sync::Arc::new(config.clone()))
        .await?
        .close()
        .await;
    Ok(())
}

/// The device recorded in the audit for changes made from GLPI.
pub const DEVICE: &str = "glpi";
/// The location of a request from GLPI that names none.
pub const LOCATION: &str = "Por indicar (solicitud de GLPI)";

/// How long a pass holds a ticket's write-back: longer than a GLPI call may take (20 s).
const LEASE_MS: i64 = 120_000;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// New GLPI tickets that became cases.
    pub imported: usize,
    /// New GLPI tickets already imported by an earlier pass.
    pub known: usize,
    /// Follow-ups with the case number that GLPI received.
    pub followups: usize,
    /// Solutions that GLPI received.
    pub solutions: usize,
    /// GLPI tickets or write-backs that failed this time (retried on the next pass).
    pub failed: usize,
}

/// Starts the periodic import when `CAMPO_GLPI_URL` and `CAMPO_GLPI_SYNC_SECS` say so.
pub fn spawn(state: AppState) {
    let Some(every) = state.config.glpi.as_ref().and_then(|g| g.sync_every) else {
        return;
    };
    tokio::spawn(async move {
        loop {
            match sync(&state).await {
                Ok(summary) if summary == Summary::default() => {}
                Ok(summary) => tracing::info!(?summary, "GLPI pass"),
                Err(err) => tracing::warn!(err = format!("{err:#}"), "GLPI pass failed"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// One pass: import, write back, close the session.
pub async fn sync(state: &AppState) -> anyhow::Result<Summary> {
    let config = Arc::new(
        state
            .config
            .glpi
            .clone()
            .context("GLPI is not configured (CAMPO_GLPI_URL)")?,
    );
    let session = Session::open(config.clone()).await?;
    let result = pass(state, &config, &session).await;
    session.close().await;
    result
}

async fn pass(state: &AppState, config: &GlpiConfig, session: &Session) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    for ticket in session.new_tickets().await? {
        if state
            .store
            .glpi_ticket(&config.url, ticket.id)
            .await?
            .is_some()
        {
            summary.known += 1;
            continue;
        }
        match import(state, config, session, &ticket).await {
            Ok(number) => {
                tracing::info!(glpi_id = ticket.id, %number, "GLPI ticket imported");
                summary.imported += 1;
            }
            Err(err) => {
                tracing::warn!(glpi_id = ticket.id, err = format!("{err:#}"), "GLPI import");
                summary.failed += 1;
            }
        }
    }
    for link in state
        .store
        .glpi_pending(&config.url, WriteBack::Followup)
        .await?
    {
        if !state
            .store
            .glpi_claim(&config.url, link.glpi_id, WriteBack::Followup, LEASE_MS)
            .await?
        {
            continue;
        }
        let text = format!(
            "Solicitud registrada en Campo con el número {}. La {} la atiende desde allí; \
             aquí se informará la solución.",
            link.number, state.config.organisation
        );
        let sent = session.add_followup(link.glpi_id, &text).await;
        if record(state, config, link.glpi_id, WriteBack::Followup, sent).await? {
            summary.followups += 1;
        } else {
            summary.failed += 1;
        }
    }
    for link in state
        .store
        .glpi_pending(&config.url, WriteBack::Solution)
        .await?
    {
        if !state
            .store
            .glpi_claim(&config.url, link.glpi_id, WriteBack::Solution, LEASE_MS)
            .await?
        {
            continue;
        }
        let text = solution_text(state, &link.ticket_id, &link.number).await?;
        let sent = session.add_solution(link.glpi_id, &text).await;
        if record(state, config, link.glpi_id, WriteBack::Solution, sent).await? {
            summary.solutions += 1;
        } else {
            summary.failed += 1;
        }
    }
    Ok(summary)
}

/// Records a write-back's outcome; true when GLPI took it.
async fn record(
    state: &AppState,
    config: &GlpiConfig,
    glpi_id: i64,
    what: WriteBack,
    sent: anyhow::Result<()>,
) -> anyhow::Result<bool> {
    match sent {
        Ok(()) => {
            state
                .store
                .glpi_written_back(&config.url, glpi_id, what)
                .await?;
            Ok(true)
        }
        Err(err) => {
            let err = format!("{err:#}");
            tracing::warn!(glpi_id, ?what, %err, "GLPI write-back");
            state
                .store
                .glpi_write_back_failed(&config.url, glpi_id, &err)
                .await?;
            Ok(false)
        }
    }
}

/// Imports one GLPI ticket as a case; returns its number.
async fn import(
    state: &AppState,
    config: &GlpiConfig,
    session: &Session,
    ticket: &GlpiTicket,
) -> anyhow::Result<String> {
    let requester = session.requester(ticket.id).await?;
    let official = official(state, &requester).await?;
    let categories = state.store.categories().await?;
    let request = request(ticket, &requester, official.as_ref(), &categories);
    validate_request(&request).map_err(|errors| {
        anyhow::anyhow!(
            "the request from GLPI is not valid: {}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let role = official
        .as_ref()
        .and_then(|u| u.role.parse::<Role>().ok())
        .unwrap_or(Role::Funcionario);
    let first = Event::new(
        EventKind::Registered,
        now_ms(),
        request.requester.id.clone(),
        role,
    );
    let doc = TicketDoc::new(request, first);
    let id = DocumentId::new();
    let receipt = Receipt::Glpi(GlpiReceipt {
        instance: config.url.clone(),
        glpi_id: ticket.id,
        imported_at: now_ms(),
    });
    let author = Author {
        user_id: official.map(|u| u.id).unwrap_or_default(),
        device: DEVICE.into(),
    };
    state
        .documents
        .change_from_intake(id, author, receipt, move |doc_| {
            doc_.transact::<_, _, String>(|tx| doc.reconcile_into(tx).map_err(|e| e.to_string()))
                .map(|_| ())
                .map_err(|failure| failure.error)
        })
        .await?;
    let row = state
        .store
        .ticket(&id.to_bs58check())
        .await?
        .context("the imported ticket has no row")?;
    Ok(row.number)
}

/// The active Campo user the GLPI requester is: by login (a Campo username), else by e-mail.
async fn official(state: &AppState, requester: &GlpiRequester) -> anyhow::Result<Option<UserRow>> {
    if let Some(login) = &requester.login
        && let Some(user) = state.store.user_by_username(login).await?
        && user.active
    {
        return Ok(Some(user));
    }
    for email in &requester.emails {
        if let Some(id) = state.store.user_id_by_email(email).await? {
            return Ok(state.store.user_by_id(&id).await?);
        }
    }
    Ok(None)
}

/// The request a GLPI ticket becomes.
fn request(
    ticket: &GlpiTicket,
    requester: &GlpiRequester,
    official: Option<&UserRow>,
    categories: &[String],
) -> Request {
    let (person, dependencia) = match official {
        Some(user) => (
            Person {
                id: user.id.clone(),
                name: user.full_name.clone(),
            },
            user.dependencia
                .clone()
                .unwrap_or_else(|| UNKNOWN_DEPENDENCIA.to_owned()),
        ),
        None => {
            let who = requester
                .login
                .clone()
                .or_else(|| requester.emails.first().cloned())
                .unwrap_or_else(|| "sin solicitante".to_owned());
            (
                Person {
                    id: UNIDENTIFIED.to_owned(),
                    name: line(&format!("Solicitante por identificar (GLPI: {who})")),
                },
                UNKNOWN_DEPENDENCIA.to_owned(),
            )
        }
    };
    // GLPI's category «Hardware > Impresoras» is Campo's «Impresoras» when Campo has it.
    let category = ticket
        .category
        .as_deref()
        .and_then(|c| c.rsplit('>').next())
        .map(str::trim)
        .and_then(|c| {
            categories
                .iter()
                .find(|known| known.eq_ignore_ascii_case(c))
        })
        .cloned()
        .unwrap_or_else(|| CATEGORY.to_owned());
    let mut description = ticket.title.trim().to_owned();
    let content = plain_text(&ticket.content);
    if !content.is_empty() && content != description {
        description = format!("{description}\n\n{content}");
    }
    if let Some(opened) = &ticket.opened {
        description.push_str(&format!("\n\n(Abierto en GLPI el {opened}.)"));
    }
    if description.trim().is_empty() {
        description = format!("Tiquete GLPI #{} sin descripción.", ticket.id);
    }
    Request {
        requester: person,
        dependencia,
        location: ticket
            .location
            .as_deref()
            .map(line)
            .unwrap_or_else(|| LOCATION.to_owned()),
        phone_extension: None,
        channel: Channel::Glpi,
        external_ref: Some(format!("GLPI #{}", ticket.id)),
        category,
        description: fit(&description, DESCRIPTION.max, "\n[…]"),
        equipment: Vec::new(),
        photos: Vec::new(),
    }
}

/// GLPI keeps descriptions as HTML, since 9.5 with its entities encoded once more
/// (`&lt;p&gt;`): decoded, then stripped of tags.
fn plain_text(content: &str) -> String {
    let mut text = mail_parser::decoders::html::html_to_text(content);
    if text.contains('<') && text.contains('>') {
        text = mail_parser::decoders::html::html_to_text(&text);
    }
    text.trim().to_owned()
}

/// One line within a short text's limit.
fn line(text: &str) -> String {
    fit(
        &text.replace(['\r', '\n'], " "),
        campo_shared::limits::SHORT_TEXT.max,
        "…",
    )
}

/// What GLPI is told when the case is resolved: how, and what the técnico reported.
async fn solution_text(state: &AppState, ticket_id: &str, number: &str) -> anyhow::Result<String> {
    let id: DocumentId = ticket_id.parse().context("a ticket id that is not one")?;
    let ticket = state
        .documents
        .view(id, |doc| doc.map(TicketDoc::hydrate_from))
        .await?
        .context("the case's document is missing")?
        .map_err(|e| anyhow::anyhow!("the case's document is not a ticket: {e}"))?;
    let folded = workflow::fold(&ticket.events);
    let mut text = format!("Resuelto en Campo (caso {number})");
    match folded.resolution {
        Some(Resolution::Phone) => {
            text.push_str(", de forma remota o telefónica.");
            let reason = workflow::ordered(&ticket.events)
                .into_iter()
                .rev()
                .find(|e| e.kind == EventKind::ResolvedByPhone)
                .and_then(|e| e.data.reason.clone());
            if let Some(reason) = reason {
                text.push_str(&format!("\n{reason}"));
            }
        }
        _ => {
            text.push_str(", en el puesto del funcionario.");
            let last = ticket
                .visits
                .iter()
                .filter(|v| v.user_present && !v.actions.trim().is_empty())
                .max_by_key(|v| v.started_at);
            if let Some(visit) = last {
                text.push_str(&format!("\nAcciones: {}", visit.actions.trim()));
            }
        }
    }
    if let Some(report) = &ticket.report {
        text.push_str(&format!("\nInforme: {}", report.summary.trim()));
    }
    Ok(text)
}
