//! The equipment inventory: what each QR sticker names.
//!
//! Coordinators create and edit equipment and import it from CSV (all or nothing, errors by line
//! number). Everyone logged in reads it: the request form and the technician's scanner need it.
//! `GET /api/equipment/catalog` is the compact list a phone caches for offline scanning, with an
//! `ETag` so it downloads it again only when something changed. `GET /e/{code}` is the address on
//! every sticker: it leads to the equipment's page in the PWA.

mod csv_import;
pub mod model;

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use campo_shared::custody;
use campo_shared::event_kind::EventKind;
use campo_shared::ids::EquipmentCode;
use campo_shared::role::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csv_file::MAX_CSV_BODY;
use crate::error::{ApiResult, AppError, Json};
use crate::store::{CustodyRow, EquipmentMove, EquipmentRow, now_ms};
pub use model::{EquipmentInput, Kind, Status};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/equipment", get(list).post(create))
        .route("/api/equipment/catalog", get(catalog))
        .route(
            "/api/equipment/import",
            post(import).layer(DefaultBodyLimit::max(MAX_CSV_BODY)),
        )
        .route("/api/equipment/{code}", get(detail).patch(update))
        .route("/e/{code}", get(sticker_address))
}

fn parse_code(text: &str) -> ApiResult<EquipmentCode> {
    EquipmentCode::parse(text).map_err(|e| AppError::NotFound(capitalise(&e.to_string())))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn not_found(code: &str) -> AppError {
    AppError::NotFound(format!(
        "El equipo {code} no está en el inventario. Revise el código del adhesivo."
    ))
}

#[derive(Deserialize)]
struct ListQuery {
    dependencia: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<EquipmentRow>>> {
    let dependencia = query.dependencia.map(|d| d.trim().to_uppercase());
    Ok(Json(inventory(&state, dependencia.as_deref()).await?))
}

/// Checks the dependencia and custodian of validated rows against the database.
async fn check_references(
    state: &AppState,
    rows: &[(usize, EquipmentRow)],
) -> ApiResult<Vec<(usize, String)>> {
    let dependencias: std::collections::HashSet<String> = state
        .store
        .list_dependencias()
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let mut errors = Vec::new();
    for (line, row) in rows {
        if let Some(d) = &row.dependencia
            && !dependencias.contains(d)
        {
            errors.push((
                *line,
                format!("la dependencia «{d}» no existe; créela primero o corrija el código."),
            ));
        }
    }
    Ok(errors)
}

/// Resolves a custodian given as a username to the user's id (else it stays a name).
async fn resolve_custodian(state: &AppState, row: &mut EquipmentRow) -> ApiResult<()> {
    if row.custodian_id.is_none() && !row.custodian_name.is_empty() {
        let users = state.store.list_users(None).await?;
        if let Some(user) = users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(&row.custodian_name))
        {
            row.custodian_id = Some(user.id.clone());
            row.custodian_name = user.full_name.clone();
        }
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(input): Json<EquipmentInput>,
) -> ApiResult<(StatusCode, Json<EquipmentRow>)> {
    user.require(&[Role::Coordinador])?;
    let mut row = input.validate(now_ms()).map_err(AppError::Validation)?;
    if state.store.equipment(&row.code).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "Ya existe el equipo {}. Edítelo en lugar de crearlo.",
            row.code
        )));
    }
    reference_errors(&state, &row).await?;
    resolve_custodian(&state, &mut row).await?;
    state
        .store
        .upsert_equipment(
            std::slice::from_ref(&row),
            &user.id,
            "Alta en el inventario",
        )
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

async fn reference_errors(state: &AppState, row: &EquipmentRow) -> ApiResult<()> {
    let errors = check_references(state, &[(0, row.clone())]).await?;
    if let Some((_, message)) = errors.into_iter().next() {
        return Err(AppError::Validation(vec![
            campo_shared::account::FieldError::new("dependencia", capitalise(&message)),
        ]));
    }
    Ok(())
}

/// Fields a coordinator may change; absent ones stay as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Changes {
    kind: Option<String>,
    brand: Option<String>,
    model: Option<String>,
    serial: Option<String>,
    dependencia: Option<String>,
    location: Option<String>,
    custodian: Option<String>,
    status: Option<String>,
    notes: Option<String>,
    /// Why the status changed (shown in the history).
    note: Option<String>,
}

#[tracing::instrument(skip_all, fields(code))]
async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Json(changes): Json<Changes>,
) -> ApiResult<Json<EquipmentRow>> {
    user.require(&[Role::Coordinador])?;
    let code = parse_code(&code)?;
    // The stored row: an edit that does not name the status keeps the inventory's own, so custody
    // still applies to it.
    let current = state
        .store
        .equipment(code.as_str())
        .await?
        .ok_or_else(|| not_found(code.as_str()))?;
    let custodian_changed = changes.custodian.is_some();
    let input = EquipmentInput {
        code: current.code.clone(),
        kind: changes.kind.unwrap_or(current.kind.clone()),
        brand: changes.brand.unwrap_or(current.brand.clone()),
        model: changes.model.unwrap_or(current.model.clone()),
        serial: changes.serial.unwrap_or(current.serial.clone()),
        dependencia: changes.dependencia.or(current.dependencia.clone()),
        location: changes.location.unwrap_or(current.location.clone()),
        custodian: changes.custodian.unwrap_or(current.custodian_name.clone()),
        status: changes.status.unwrap_or(current.status.clone()),
        notes: changes.notes.unwrap_or(current.notes.clone()),
    };
    let mut row = input.validate(now_ms()).map_err(AppError::Validation)?;
    row.created_at = current.created_at;
    if custodian_changed {
        resolve_custodian(&state, &mut row).await?;
    } else {
        row.custodian_id = current.custodian_id.clone();
    }
    reference_errors(&state, &row).await?;
    let note = changes.note.unwrap_or_default();
    state
        .store
        .upsert_equipment(std::slice::from_ref(&row), &user.id, note.trim())
        .await?;
    // What the inventory now says, custody applied.
    let custody = state.store.custody_moves(Some(code.as_str())).await?;
    let last_move = custody.iter().rev().find(|m| m.moves(code.as_str()));
    let changed = state.store.last_status_changes(Some(code.as_str())).await?;
    apply_custody(&mut row, last_move, changed.first().map(|(_, at)| *at));
    Ok(Json(row))
}

/// A ticket that named the equipment, from the projection.
#[derive(Serialize)]
struct TicketRef {
    id: String,
    number: String,
    state: String,
    summary: String,
    created_at: i64,
    visits: i64,
    report_summary: Option<String>,
}

/// Where the equipment is while a ticket has it out (in the workshop or with the contractor).
#[derive(Serialize)]
struct Holder {
    /// Who holds it.
    name: String,
    /// Where.
    place: String,
    /// Since when, ms since the epoch.
    since: i64,
    /// The ticket that sent it.
    ticket_id: String,
    number: String,
}

#[derive(Serialize)]
pub(crate) struct Detail {
    #[serde(flatten)]
    equipment: EquipmentRow,
    kind_label: &'static str,
    status_label: &'static str,
    /// Who has it now, while it is out for a ticket.
    holder: Option<Holder>,
    /// The inventory's own changes of status (edits, imports).
    moves: Vec<EquipmentMove>,
    /// Every move of it for a ticket, oldest first: the custody chain.
    custody: Vec<CustodyRow>,
    tickets: Vec<TicketRef>,
}

/// Applies custody to an inventory row: a ticket's move of the equipment says where it is now
/// (`en_taller`, `con_contratista`, or back `en_servicio`), unless the inventory's own status was
/// changed after it (a coordinator writing it off, say), which prevails. Creating the row, or an
/// edit or import that leaves the status as it was, does not override custody: equipment
/// registered (or imported again) while a contractor holds it is still with the contractor.
/// Returns the move that decided, if any.
fn apply_custody<'a>(
    equipment: &mut EquipmentRow,
    last_move: Option<&'a CustodyRow>,
    last_status_change: Option<i64>,
) -> Option<&'a CustodyRow> {
    let last = last_move.filter(|m| last_status_change.is_none_or(|at| m.at > at))?;
    let kind = last.kind.parse::<EventKind>().ok()?;
    equipment.status = custody::status_after(kind).to_owned();
    Some(last)
}

/// The inventory with custody applied to each row (see [`apply_custody`]).
async fn inventory(state: &AppState, dependencia: Option<&str>) -> ApiResult<Vec<EquipmentRow>> {
    let mut rows = state.store.list_equipment(dependencia).await?;
    let moves = state.store.custody_moves(None).await?;
    let mut last: HashMap<&str, &CustodyRow> = HashMap::new();
    for m in &moves {
        for code in m.equipment.split(',') {
            last.insert(code, m);
        }
    }
    let changed: HashMap<String, i64> = state
        .store
        .last_status_changes(None)
        .await?
        .into_iter()
        .collect();
    for row in &mut rows {
        let code = row.code.clone();
        apply_custody(
            row,
            last.get(code.as_str()).copied(),
            changed.get(&code).copied(),
        );
    }
    Ok(rows)
}

/// One piece of equipment: its record, who holds it, its moves and custody chain, its cases.
#[utoipa::path(get, operation_id = "equipment_detail", path = "/api/equipment/{code}", tag = "equipos",
    params(("code" = String, Path, description = "Código del equipo (el de su etiqueta QR)")),
    responses(
        (status = 200, description = "El equipo: inventario, custodio, movimientos, cadena de custodia y casos", body = Object),
        (status = 404, description = "No existe ese equipo", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = [])))]
#[tracing::instrument(skip_all, fields(code))]
pub(crate) async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> ApiResult<Json<Detail>> {
    let code = parse_code(&code)?;
    let mut equipment = state
        .store
        .equipment(code.as_str())
        .await?
        .ok_or_else(|| not_found(code.as_str()))?;
    let moves = state.store.equipment_moves(code.as_str()).await?;
    // What was done to it before: every ticket that named it. Technicians, contractors and
    // coordinators see them all (that is the point of scanning the sticker); an official only
    // its own requests.
    let tickets = state
        .store
        .tickets_for_equipment(code.as_str())
        .await?
        .into_iter()
        .filter(|t| user.role != Role::Funcionario || t.requester_id.as_deref() == Some(&user.id))
        .map(|t| TicketRef {
            id: t.id,
            number: t.number,
            state: t.state,
            summary: t.summary,
            created_at: t.created_at,
            visits: t.visits,
            report_summary: t.report_summary,
        })
        .collect::<Vec<_>>();
    // The custody chain, of the tickets this user may see listed.
    let custody: Vec<CustodyRow> = state
        .store
        .custody_moves(Some(code.as_str()))
        .await?
        .into_iter()
        .filter(|m| m.moves(code.as_str()) && tickets.iter().any(|t| t.id == m.ticket_id))
        .collect();
    let changed = moves
        .iter()
        .filter(|m| m.from_status.is_some())
        .map(|m| m.at)
        .max();
    let holder = apply_custody(&mut equipment, custody.last(), changed)
        .filter(|m| m.kind != EventKind::EquipmentReturned.as_str())
        .map(|m| Holder {
            name: m.holder_to.clone(),
            place: m.place.clone(),
            since: m.at,
            ticket_id: m.ticket_id.clone(),
            number: m.number.clone(),
        });
    Ok(Json(Detail {
        kind_label: Kind::parse(&equipment.kind).map_or("", Kind::label),
        status_label: Status::parse(&equipment.status).map_or("", Status::label),
        equipment,
        holder,
        moves,
        custody,
        tickets,
    }))
}

/// `POST /api/equipment/import`: a CSV body (UTF-8, `;` or `,`, with a header row).
#[tracing::instrument(skip_all)]
async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    user.require(&[Role::Coordinador])?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest("No se pudo leer el archivo enviado.".into())
        }
    })?;
    let now = now_ms();
    let parsed = csv_import::parse(&body, now);
    let (mut rows, mut errors) = match parsed {
        Ok(rows) => (rows, Vec::new()),
        Err(errors) => (Vec::new(), errors),
    };
    if errors.is_empty() {
        errors = check_references(&state, &rows).await?;
    }
    if !errors.is_empty() {
        errors.sort_by_key(|(line, _)| *line);
        let lines: Vec<_> = errors
            .iter()
            .take(100)
            .map(|(line, message)| serde_json::json!({"line": line, "message": message}))
            .collect();
        let body = serde_json::json!({
            "error": {
                "code": "csv_invalido",
                "message": format!(
                    "El archivo tiene {} error(es) y no se importó nada. Corrija las líneas \
                     indicadas y vuelva a enviarlo completo.",
                    errors.len()
                ),
                "lines": lines,
            }
        });
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response());
    }
    for (_, row) in &mut rows {
        resolve_custodian(&state, row).await?;
    }
    let rows: Vec<EquipmentRow> = rows.into_iter().map(|(_, row)| row).collect();
    let created = state
        .store
        .upsert_equipment(&rows, &user.id, "Importación CSV")
        .await?;
    Ok(Json(serde_json::json!({
        "imported": rows.len(),
        "created": created,
        "updated": rows.len() - created,
    }))
    .into_response())
}

/// One line of the catalogue a phone caches.
#[derive(Serialize)]
struct CatalogItem {
    code: String,
    kind: String,
    brand: String,
    model: String,
    dependencia: Option<String>,
    location: String,
    status: String,
}

#[tracing::instrument(skip_all)]
async fn catalog(
    State(state): State<AppState>,
    _user: CurrentUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let items: Vec<CatalogItem> = inventory(&state, None)
        .await?
        .into_iter()
        .map(|e| CatalogItem {
            code: e.code,
            kind: e.kind,
            brand: e.brand,
            model: e.model,
            dependencia: e.dependencia,
            location: e.location,
            status: e.status,
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({ "items": items }))
        .map_err(|e| AppError::Internal(e.into()))?;
    let digest = Sha256::digest(&body);
    let etag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "private, no-cache".to_owned()),
    ];
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

/// `GET /e/{code}`: the sticker's address. A known code leads to the equipment's page in the PWA
/// (which asks to log in first when needed); anything else gets a plain page that says what
/// happened.
#[tracing::instrument(skip_all, fields(code))]
async fn sticker_address(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let page = |status: StatusCode, title: &str, text: &str| {
        let html = format!(
            "<!doctype html><html lang=\"es-CO\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · Campo</title></head><body style=\"{style}\"><h1>{title}</h1>\
             <p>{text}</p><p><a href=\"/\">Ir a Campo</a></p></body></html>",
            title = escape(title),
            text = escape(text),
            // The one style attribute the Content-Security-Policy allows on the server's pages.
            style = crate::web::PLAIN_PAGE_STYLE,
        );
        (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
    };
    let Ok(code) = EquipmentCode::parse(&code) else {
        return page(
            StatusCode::NOT_FOUND,
            "Código no válido",
            "Este adhesivo no tiene un código de equipo de Campo. Si el adhesivo está dañado, \
             informe a la mesa de ayuda el código impreso.",
        );
    };
    match state.store.equipment(code.as_str()).await {
        Ok(Some(_)) => Redirect::to(&format!("/equipos/{}", code.as_str())).into_response(),
        Ok(None) => page(
            StatusCode::NOT_FOUND,
            "Equipo no registrado",
            &format!(
                "El equipo {} no está en el inventario. Avise a la mesa de ayuda para que lo \
                 registren.",
                code.as_str()
            ),
        ),
        Err(err) => {
            tracing::error!(%err, "could not read equipment");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error temporal",
                "No se pudo consultar el inventario. Intente de nuevo en un momento.",
            )
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
