//! Tickets through the REST API: registration, lists and details read from the projection, the
//! audit, the coordinators' workflow actions, each user's agenda (with its live stream), and the
//! service record of a case as a PDF (`acta.rs`).
//!
//! Every write goes through [`crate::sync::Documents::change`]: the server appends to the ticket
//! document as its own Automerge actor, the change is stored with its audit and projection in one
//! transaction, and connected phones receive it at once.

mod acta;
pub mod actions;

mod agenda;
pub mod requester;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use campo_shared::account::FieldError;
use campo_shared::event_kind::EventKind;
use campo_shared::ids::DocumentId;
use campo_shared::role::Role;
use campo_shared::schema::{Channel, Event, Person, Request, TicketDoc, validate_request};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError, Json};
use crate::projection::Audience;
use crate::store::{AuditRow, TicketFilter, TicketRow, Viewer, VisitRow, now_ms};
use crate::sync::{Author, SyncError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tickets", get(list).post(create))
        .route("/api/tickets/{id}", get(detail))
        .route("/api/tickets/{id}/history", get(history))
        .route("/api/tickets/{id}/acta.pdf", get(acta::acta))
        .route("/api/tickets/{id}/actions", post(actions::act))
        .route("/api/tickets/{id}/requester", put(requester::identify))
        .route("/api/agenda", get(agenda::agenda))
        .route("/api/agenda/stream", get(agenda::stream))
}

/// The viewer of a request, for the access rule in SQL.
fn viewer(user: &CurrentUser) -> Viewer<'_> {
    Viewer {
        user_id: &user.id,
        role: user.role.as_str(),
    }
}

/// Whether `user` may read the ticket of `row` (the rule of [`Audience::may_read`]).
fn may_read(user: &CurrentUser, row: &TicketRow) -> bool {
    Audience {
        requester_id: row.requester_id.clone().unwrap_or_default(),
        assignee_id: row.assignee_id.clone(),
        registered_by: row.registered_by.clone(),
    }
    .may_read(&user.id, user.role)
}

/// Parses a ticket id from a path: its document id (bs58check) or its `automerge:` URL.
fn parse_id(raw: &str) -> Result<DocumentId, AppError> {
    DocumentId::parse(raw.strip_prefix("automerge:").unwrap_or(raw))
        .map_err(|_| AppError::NotFound("No existe ese caso.".into()))
}

/// A ticket the user may read, or 404 (the same answer for unknown and forbidden).
async fn readable_ticket(
    state: &AppState,
    user: &CurrentUser,
    raw: &str,
) -> ApiResult<(DocumentId, TicketRow)> {
    let id = parse_id(raw)?;
    match state.store.ticket(&id.to_bs58check()).await? {
        Some(row) if may_read(user, &row) => Ok((id, row)),
        _ => Err(AppError::NotFound("No existe ese caso.".into())),
    }
}

fn sync_error(err: SyncError) -> AppError {
    match err {
        SyncError::Refused(message) => AppError::Conflict(message),
        SyncError::Storage(err) => AppError::Database(err),
        other => AppError::Internal(anyhow::anyhow!(other)),
    }
}

/// A ticket as the API shows it: its row and its `automerge:` URL.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub url: String,
    #[serde(flatten)]
    pub row: TicketRow,
}

impl From<TicketRow> for TicketView {
    fn from(row: TicketRow) -> Self {
        Self {
            url: format!("automerge:{}", row.id),
            row,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    description: String,
    category: String,
    #[serde(default)]
    dependencia: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    phone_extension: Option<String>,
    /// `intranet`, `glpi`, `email`, `phone`, `field`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    channel: Option<Channel>,
    #[serde(default)]
    external_ref: Option<String>,
    #[serde(default)]
    equipment: Vec<String>,
    #[serde(default)]
    photos: Vec<String>,
    /// Whose request it is; officials file their own, others name the official.
    #[serde(default)]
    requester_id: Option<String>,
}

/// A registered case: its id, `automerge:` URL, number and row.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    id: String,
    url: String,
    number: String,
    ticket: TicketView,
}

impl From<TicketRow> for Created {
    fn from(row: TicketRow) -> Self {
        Self {
            id: row.id.clone(),
            url: format!("automerge:{}", row.id),
            number: row.number.clone(),
            ticket: row.into(),
        }
    }
}

/// `POST /api/tickets`: registers a request. An official files its own (channel intranet); a
/// coordinator registers what came by phone, e-mail or GLPI, naming the official; a técnico or
/// contratista registers a request met on the spot.
#[utoipa::path(post, operation_id = "create_ticket", path = "/api/tickets", tag = "casos", request_body = NewTicket,
    responses(
        (status = 201, description = "Caso creado", body = Created),
        (status = 422, description = "Campos no válidos", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<NewTicket>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let requester = match (&body.requester_id, user.role) {
        (_, Role::Funcionario) => state.store.user_by_id(&user.id).await?,
        (Some(id), _) => state.store.user_by_id(id).await?.filter(|u| u.active),
        (None, _) => {
            return Err(FieldError::new(
                "requester_id",
                "Indique el funcionario que pide la asistencia.",
            )
            .into());
        }
    }
    .ok_or_else(|| FieldError::new("requester_id", "Ese funcionario no existe o está inactivo."))?;
    if user.role == Role::Funcionario
        && body.requester_id.as_deref().is_some_and(|id| id != user.id)
    {
        return Err(AppError::Forbidden);
    }
    let channel = match user.role {
        Role::Funcionario => Channel::Intranet,
        Role::Tecnico | Role::Contratista => body.channel.unwrap_or(Channel::Field),
        Role::Coordinador => body.channel.ok_or_else(|| {
            FieldError::new(
                "channel",
                "Indique por qué canal llegó la solicitud (teléfono, correo, GLPI…).",
            )
        })?,
    };
    let dependencia = body
        .dependencia
        .or(requester.dependencia.clone())
        .unwrap_or_default();
    let request = Request {
        requester: Person {
            id: requester.id.clone(),
            name: requester.full_name.clone(),
        },
        dependencia,
        location: body.location.unwrap_or_default(),
        phone_extension: body.phone_extension.filter(|e| !e.trim().is_empty()),
        channel,
        external_ref: body.external_ref.filter(|r| !r.trim().is_empty()),
        category: body.category,
        description: body.description,
        equipment: body.equipment,
        photos: body.photos,
    };
    validate_request(&request).map_err(AppError::Validation)?;
    if user.role != Role::Coordinador {
        let viewer = Viewer {
            user_id: &user.id,
            role: user.role.as_str(),
        };
        for sha256 in &request.photos {
            if !state.store.may_cite_blob(viewer, sha256).await? {
                return Err(FieldError::new(
                    "photos",
                    "Una de las fotos no la subió usted ni está en un caso que usted pueda ver.",
                )
                .into());
            }
        }
    }
    if !state
        .store
        .list_dependencias()
        .await?
        .iter()
        .any(|d| d.code == request.dependencia)
    {
        return Err(FieldError::new("dependencia", "Esa dependencia no existe.").into());
    }
    let first = Event::new(EventKind::Registered, now_ms(), &user.id, user.role);
    let row = register(&state, DocumentId::new(), author(&user), request, first).await?;
    tracing::info!(number = %row.number, by = %user.id, "ticket registered");
    Ok((StatusCode::CREATED, Json(Created::from(row))))
}

/// Creates the ticket document `id` holding `request` and its first event, through its actor
/// (stored with its audit and projection, announced to the board), and returns its row. The one
/// way a ticket is created through the API: `POST /api/tickets` and the intake use it.
pub async fn register(
    state: &AppState,
    id: DocumentId,
    author: Author,
    request: Request,
    first: Event,
) -> ApiResult<TicketRow> {
    let ticket = TicketDoc::new(request, first);
    state
        .documents
        .change(id, author, move |doc| {
            doc.transact::<_, _, String>(|tx| ticket.reconcile_into(tx).map_err(|e| e.to_string()))
                .map(|_| ())
                .map_err(|failure| failure.error)
        })
        .await
        .map_err(sync_error)?;
    let row = state
        .store
        .ticket(&id.to_bs58check())
        .await?
        .ok_or_else(|| anyhow::anyhow!("the new ticket has no projection row"))?;
    Ok(row)
}

/// The author of a change made through the API.
fn author(user: &CurrentUser) -> Author {
    Author {
        user_id: user.id.clone(),
        device: "api".into(),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    assignee: Option<String>,
    dependencia: Option<String>,
    priority: Option<String>,
    channel: Option<String>,
    #[serde(default)]
    open: bool,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TicketList {
    tickets: Vec<TicketView>,
    limit: i64,
    offset: i64,
}

/// `GET /api/tickets`: the tickets the user may read, newest first; filters `state`, `assignee`,
/// `dependencia`, `priority`, `channel`, `open=true`; paging `limit` (≤ 500) and `offset`.
#[utoipa::path(get, operation_id = "list_tickets", path = "/api/tickets", tag = "casos", params(ListQuery),
    responses(
        (status = 200, description = "Los casos que el usuario puede ver, del más reciente al más antiguo", body = TicketList),
        (status = 422, description = "Límite fuera de rango", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<TicketList>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(FieldError::new("limit", "El límite debe estar entre 1 y 500.").into());
    }
    let offset = query.offset.unwrap_or(0).max(0);
    let filter = TicketFilter {
        state: query.state,
        assignee_id: query.assignee,
        dependencia: query.dependencia,
        priority: query.priority,
        channel: query.channel,
        open: query.open,
        limit,
        offset,
    };
    let rows = state.store.list_tickets(viewer(&user), &filter).await?;
    Ok(Json(TicketList {
        tickets: rows.into_iter().map(TicketView::from).collect(),
        limit,
        offset,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Detail {
    #[serde(flatten)]
    ticket: TicketView,
    visits: Vec<VisitRow>,
    equipment: Vec<String>,
    /// Everyone who wrote to the ticket, with the requester and the assignee, by user id: the
    /// history and the comments show names, never ids.
    #[schema(value_type = Vec<crate::integration::openapi::PersonSchema>)]
    people: Vec<Person>,
    /// Both clocks against the promise made at reception.
    #[schema(value_type = Object)]
    sla: SlaView,
}

/// A case's two clocks as the case view shows them.
#[derive(Serialize)]
struct SlaView {
    /// When the policy that measures the case took effect (0: the first version).
    policy_from: i64,
    /// The policy's warning share, in percent.
    warn_percent: i64,
    /// The times the clock of resolution stopped while the official was away, as intervals.
    pauses: Vec<PauseView>,
    /// Escalations sent: `{clock: respuesta|solucion, level: aviso|vencido}`.
    escalations: Vec<EscalationView>,
}

#[derive(Serialize)]
struct PauseView {
    start: i64,
    end: Option<i64>,
    /// Why the clock stopped: `usuario_ausente`.
    reason: &'static str,
}

#[derive(Serialize)]
struct EscalationView {
    clock: String,
    level: String,
}

/// The user ids a ticket document names as the authors of what it holds.
fn authors(doc: &TicketDoc) -> Vec<String> {
    let mut ids: Vec<String> = doc.events.iter().map(|e| e.author.clone()).collect();
    ids.extend(doc.visits.iter().map(|v| v.technician.clone()));
    ids.extend(doc.comments.iter().map(|c| c.author.clone()));
    ids.extend(doc.report.iter().map(|r| r.author.clone()));
    ids.extend(doc.survey.iter().map(|s| s.by.clone()));
    ids.sort();
    ids.dedup();
    ids
}

/// The people of a ticket: its requester, its assignee and every user a change came from.
fn people(row: &TicketRow, changes: &[AuditRow]) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::new();
    let mut add = |id: Option<&String>, name: Option<&String>| {
        if let (Some(id), Some(name)) = (id, name)
            && !name.is_empty()
            && !out.iter().any(|p| &p.id == id)
        {
            out.push(Person {
                id: id.clone(),
                name: name.clone(),
            });
        }
    };
    add(row.requester_id.as_ref(), Some(&row.requester_name));
    add(row.assignee_id.as_ref(), row.assignee_name.as_ref());
    for change in changes {
        add(change.user_id.as_ref(), change.full_name.as_ref());
    }
    out
}

/// `GET /api/tickets/{id}`: a ticket's row, visits, equipment and people.
#[utoipa::path(get, operation_id = "ticket_detail", path = "/api/tickets/{id}", tag = "casos",
    params(("id" = String, Path, description = "Id del documento del caso o su URL automerge:")),
    responses(
        (status = 200, description = "El caso, sus visitas, equipos y personas", body = Detail),
        (status = 404, description = "No existe o el usuario no puede verlo", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = [])))]
pub async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Detail>> {
    let (id, row) = readable_ticket(&state, &user, &id).await?;
    let visits = state.store.ticket_visits(&row.id).await?;
    let equipment = state.store.ticket_equipment(&row.id).await?;
    let changes = state.store.ticket_history(&row.id).await?;
    let mut people = people(&row, &changes);
    // Authors named in the document (written offline, or by the demo) that no change names.
    let named = state
        .documents
        .ticket(id)
        .await
        .map_err(sync_error)?
        .map(|doc| authors(&doc))
        .unwrap_or_default();
    for author in named {
        if people.iter().any(|p| p.id == author) {
            continue;
        }
        if let Some(user) = state.store.user_by_id(&author).await? {
            people.push(Person {
                id: user.id,
                name: user.full_name,
            });
        }
    }
    let sla = state.documents.sla();
    let version = sla.at(row.created_at);
    let paused = version.policy.pause_while_user_absent;
    let sla = SlaView {
        policy_from: version.effective_from,
        warn_percent: version.policy.warn_percent,
        pauses: if paused {
            state
                .store
                .ticket_pauses(&row.id)
                .await?
                .into_iter()
                .map(|(start, end)| PauseView {
                    start,
                    end,
                    reason: "usuario_ausente",
                })
                .collect()
        } else {
            Vec::new()
        },
        escalations: state
            .store
            .escalations_of(&row.id)
            .await?
            .into_iter()
            .map(|(clock, level)| EscalationView { clock, level })
            .collect(),
    };
    Ok(Json(Detail {
        people,
        ticket: row.into(),
        visits,
        equipment,
        sla,
    }))
}

#[derive(Serialize)]
struct History {
    number: String,
    changes: Vec<AuditRow>,
}

/// `GET /api/tickets/{id}/history` (coordinators): every accepted change with who delivered it.
async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<History>> {
    user.require(&[Role::Coordinador])?;
    let (_, row) = readable_ticket(&state, &user, &id).await?;
    let changes = state.store.ticket_history(&row.id).await?;
    Ok(Json(History {
        number: row.number,
        changes,
    }))
}
