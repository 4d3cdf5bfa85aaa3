//! `POST /api/intake`: the intranet (or GLPI) registers a request for an official with a token of
//! scope `intake`. The ticket is created exactly as `POST /api/tickets` creates one
//! ([`crate::tickets::register`]: a real Automerge document through its actor, stored with its
//! audit and projection, live on the board), with its channel and external reference.
//!
//! An `external_ref` makes the call idempotent per channel. The reference is claimed in
//! `intake_refs` (primary key `(channel, external_ref)`) *before* the document is created: of two
//! concurrent calls one inserts the claim and creates the case, the other finds the claim and
//! answers with that case (waiting the moment it takes to be stored). A reference claimed for
//! another official is refused (409), never answered with someone else's case. A claim whose case
//! was never created (the call failed, or the server stopped in between) is released on failure,
//! or taken over by a later call once it is old enough.

use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use campo_shared::account::FieldError;
use campo_shared::event_kind::EventKind;
use campo_shared::ids::DocumentId;
use campo_shared::limits::SHORT_TEXT;
use campo_shared::role::Role;
use campo_shared::schema::{Channel, Event, Person, Request, validate_request};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{ApiToken, Scope};
use crate::error::{ApiResult, AppError, Json};
use crate::store::{OfficialKey, TicketRow, UserRow, now_ms};
use crate::sync::Author;
use crate::tickets::{Created, register};

/// The channels an integration may register a request by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntakeChannel {
    /// The office's intranet.
    Intranet,
    /// A GLPI ticket.
    Glpi,
}

impl From<IntakeChannel> for Channel {
    fn from(channel: IntakeChannel) -> Self {
        match channel {
            IntakeChannel::Intranet => Channel::Intranet,
            IntakeChannel::Glpi => Channel::Glpi,
        }
    }
}

/// A request for assistance from the intranet or GLPI. The official is named by exactly one of
/// `username`, `email` or `document`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    /// The official's username in Campo.
    #[schema(example = "mlopez")]
    username: Option<String>,
    /// The official's e-mail address.
    email: Option<String>,
    /// The official's identity document number (cédula).
    document: Option<String>,
    /// `intranet` or `glpi`.
    channel: IntakeChannel,
    /// The problem, in the official's words (at most 4000 characters).
    #[schema(example = "La impresora del piso 3 no imprime.")]
    description: String,
    /// One of the request categories of Ajustes (at most 200 characters).
    #[schema(example = "Impresora")]
    category: String,
    /// Building, floor, office (at most 200 characters).
    #[schema(example = "Edificio central, piso 3, oficina 301")]
    location: String,
    /// Telephone extension, digits only (at most 10).
    #[schema(example = "4512")]
    phone_extension: Option<String>,
    /// Codes of the equipment concerned (at most 20).
    #[serde(default)]
    equipment: Vec<String>,
    /// The caller's own reference (an intranet form id, a GLPI ticket number): the same
    /// reference on the same channel always answers with the same case (at most 200 characters).
    #[schema(example = "INTRA-2026-0042")]
    external_ref: Option<String>,
}

/// How long a call that found its reference claimed waits for the case to be stored.
const WAIT_FOR_CLAIM: Duration = Duration::from_secs(10);
/// A claim without a case this old is taken to be abandoned (its call failed or died).
const STALE_CLAIM_MS: i64 = 60_000;

/// Registers a request for an official (token with scope `intake`).
#[utoipa::path(post, operation_id = "intake", path = "/api/intake", tag = "intake", request_body = IntakeRequest,
    responses(
        (status = 201, description = "Caso creado", body = Created),
        (status = 200, description = "Ya existía un caso con esa external_ref en ese canal: es ese", body = Created),
        (status = 400, description = "Cuerpo ilegible o con campos desconocidos", body = crate::integration::openapi::ErrorBody),
        (status = 401, description = "Token ausente, desconocido, revocado o vencido", body = crate::integration::openapi::ErrorBody),
        (status = 403, description = "El token no tiene el permiso «intake»", body = crate::integration::openapi::ErrorBody),
        (status = 409, description = "La external_ref ya pertenece al caso de otro funcionario", body = crate::integration::openapi::ErrorBody),
        (status = 413, description = "Cuerpo demasiado grande", body = crate::integration::openapi::ErrorBody),
        (status = 422, description = "Funcionario desconocido o campos no válidos (se nombra el campo)", body = crate::integration::openapi::ErrorBody),
    ),
    security(("token" = ["intake"])))]
pub async fn intake(
    State(state): State<AppState>,
    IntakeToken(token): IntakeToken,
    Json(body): Json<IntakeRequest>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let official = official(&state, &body).await?;
    let role = official
        .role
        .parse::<Role>()
        .map_err(|_| anyhow::anyhow!("user {} has an unknown role", official.id))?;
    let channel = Channel::from(body.channel);
    let external_ref = body
        .external_ref
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let request = Request {
        requester: Person {
            id: official.id.clone(),
            name: official.full_name.clone(),
        },
        dependencia: official.dependencia.clone().unwrap_or_default(),
        location: body.location,
        phone_extension: body.phone_extension.filter(|e| !e.trim().is_empty()),
        channel,
        external_ref: external_ref.clone(),
        category: body.category,
        description: body.description,
        equipment: body.equipment,
        photos: Vec::new(),
    };
    validate_request(&request).map_err(AppError::Validation)?;

    let author = Author {
        user_id: token.created_by.clone(),
        device: format!("token:{}", token.id),
    };
    let first = Event::new(EventKind::Registered, now_ms(), &official.id, role);
    let Some(external_ref) = external_ref else {
        let row = register(&state, DocumentId::new(), author, request, first).await?;
        tracing::info!(number = %row.number, token = %token.id, "intake registered a request");
        return Ok((StatusCode::CREATED, Json(Created::from(row))));
    };

    let id = match claim(&state, channel, &external_ref, &official, &token).await? {
        Claimed::Mine(id) => id,
        Claimed::Existing(row) => return Ok((StatusCode::OK, Json(Created::from(*row)))),
    };
    match register(&state, id, author, request, first).await {
        Ok(row) => {
            tracing::info!(number = %row.number, token = %token.id, "intake registered a request");
            Ok((StatusCode::CREATED, Json(Created::from(row))))
        }
        Err(err) => {
            // Free the reference so that the caller's retry can create the case.
            let released = state
                .store
                .release_intake_claim(channel.as_str(), &external_ref, &id.to_bs58check())
                .await;
            if let Err(release) = released {
                tracing::warn!(%release, "could not release an intake claim");
            }
            Err(err)
        }
    }
}

/// The request's token, authenticated for `intake` before the body is read: a caller without a
/// valid token learns nothing about what the body should hold.
pub struct IntakeToken(ApiToken);

impl FromRequestParts<AppState> for IntakeToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        ApiToken::authenticate(state, &parts.headers, Scope::Intake)
            .await
            .map(IntakeToken)
    }
}

/// The outcome of claiming an external reference.
enum Claimed {
    /// This call holds the reference: create the case with this id.
    Mine(DocumentId),
    /// The reference's case exists: answer with it.
    Existing(Box<TicketRow>),
}

async fn claim(
    state: &AppState,
    channel: Channel,
    external_ref: &str,
    official: &UserRow,
    token: &ApiToken,
) -> ApiResult<Claimed> {
    let id = DocumentId::new();
    let started = tokio::time::Instant::now();
    loop {
        let now = now_ms();
        let mine = state
            .store
            .claim_intake_ref(
                channel.as_str(),
                external_ref,
                &id.to_bs58check(),
                &official.id,
                &token.id,
                now,
            )
            .await?;
        if mine {
            return Ok(Claimed::Mine(id));
        }
        let Some(held) = state
            .store
            .intake_claim(channel.as_str(), external_ref)
            .await?
        else {
            if started.elapsed() >= WAIT_FOR_CLAIM {
                return Err(busy(external_ref));
            }
            continue; // released in between: claim it again
        };
        if held.requester_id != official.id {
            return Err(AppError::Conflict(format!(
                "La referencia externa «{external_ref}» ya se usó en el canal {} para la \
                 solicitud de otro funcionario. Use una referencia propia de esta solicitud.",
                channel.label()
            )));
        }
        if let Some(row) = state.store.ticket(&held.ticket_id).await? {
            return Ok(Claimed::Existing(Box::new(row)));
        }
        if now - held.created_at >= STALE_CLAIM_MS
            && state
                .store
                .retake_intake_claim(channel.as_str(), external_ref, held.created_at, now)
                .await?
        {
            let id = DocumentId::parse(&held.ticket_id)
                .map_err(|e| anyhow::anyhow!("an intake claim names a bad id: {e}"))?;
            return Ok(Claimed::Mine(id));
        }
        if started.elapsed() >= WAIT_FOR_CLAIM {
            return Err(busy(external_ref));
        }
        // The other call is storing the case: it takes a moment.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Another call holds the reference and has not stored its case yet.
fn busy(external_ref: &str) -> AppError {
    AppError::Conflict(format!(
        "La solicitud con la referencia «{external_ref}» se está registrando en este momento. \
         Repita la llamada en unos segundos: responderá con su caso."
    ))
}

/// The active official the request names, or 422 naming the field.
async fn official(state: &AppState, body: &IntakeRequest) -> ApiResult<UserRow> {
    let given: Vec<(&'static str, OfficialKey, &str)> = [
        ("username", OfficialKey::Username, body.username.as_deref()),
        ("email", OfficialKey::Email, body.email.as_deref()),
        ("document", OfficialKey::Document, body.document.as_deref()),
    ]
    .into_iter()
    .filter_map(|(field, key, value)| {
        value
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| (field, key, v))
    })
    .collect();
    let [(field, key, value)] = given[..] else {
        return Err(FieldError::new(
            "username",
            "Indique al funcionario con uno solo de estos campos: «username», «email» o \
             «document».",
        )
        .into());
    };
    let what = match key {
        OfficialKey::Username => "ese nombre de usuario",
        OfficialKey::Email => "ese correo electrónico",
        OfficialKey::Document => "ese número de documento",
    };
    let unknown = || {
        FieldError::new(
            field,
            format!(
                "No hay un funcionario activo con {what} en Campo. Revise el dato, o pida a un \
                 coordinador que cree la cuenta (o complete su {}).",
                match key {
                    OfficialKey::Username => "usuario",
                    OfficialKey::Email => "correo",
                    OfficialKey::Document => "número de documento",
                }
            ),
        )
    };
    if value.chars().count() > SHORT_TEXT.max {
        return Err(unknown().into());
    }
    let official = state
        .store
        .official_by(key, value)
        .await?
        .ok_or_else(unknown)?;
    if official.dependencia.is_none() {
        return Err(FieldError::new(
            field,
            "Ese funcionario no tiene dependencia en Campo; un coordinador debe asignársela \
             (Usuarios) antes de registrar solicitudes a su nombre.",
        )
        .into());
    }
    Ok(official)
}
