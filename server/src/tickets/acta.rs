//! «Acta de servicio»: one PDF per case, `GET /api/tickets/{id}/acta.pdf`, for the coordinator
//! and the official who asked.
//!
//! It tells the case as the ticket document holds it: the request, every visit (an absent one with
//! its evidence photos, a present one with its work), the custody chain of the equipment, the
//! solution and the closing report, the official's signature and the survey. Names come from the
//! users, dependencias and equipment tables, never ids; times are in America/Bogota.
//!
//! [`gather`] reads what the record needs (the document through its actor, the tables, the stored
//! JPEGs); [`render`] is the pure layout, drawn with [`crate::pdfdoc`].

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{Custody, Photo, SurveyAnswers, SurveyChannel, TicketDoc, Visit};
use campo_shared::workflow::{self, Resolution};
use pdf_writer::Content;

use super::readable_ticket;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::pdfdoc::{self, ImageId, Jpeg, Metrics, PAGE_H, PAGE_W, Rgb, Writer};
use crate::reports::figures::datetime_text;
use crate::store::now_ms;

/// `GET /api/tickets/{id}/acta.pdf`: the service record of a case. Coordinators and the
/// requester only; anyone else gets the 404 of a case it cannot read.
#[tracing::instrument(skip_all, fields(ticket = %id))]
pub(super) async fn acta(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (id, row) = readable_ticket(&state, &user, &id).await?;
    let requester = row.requester_id.as_deref() == Some(user.id.as_str());
    if user.role != Role::Coordinador && !requester {
        return Err(AppError::NotFound("No existe ese caso.".into()));
    }
    let ticket = state
        .documents
        .view(id, |doc| doc.map(TicketDoc::hydrate_from))
        .await
        .map_err(super::sync_error)?
        .ok_or_else(|| AppError::NotFound("No existe ese caso.".into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let acta = gather(&state, row.number.clone(), ticket).await?;
    let pdf = tokio::task::spawn_blocking(move || render(&acta))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"acta-{}.pdf\"", row.number),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        pdf,
    )
        .into_response())
}

/// Everything the record shows, read and resolved: names instead of ids, the photos' JPEGs.
pub struct Acta {
    /// The organisation named in the heading (`CAMPO_ORGANISATION`).
    pub organisation: String,
    /// The case number, «SAT-2026-000123».
    pub number: String,
    /// When the record was generated, ms since the epoch.
    pub generated_at: i64,
    pub ticket: TicketDoc,
    /// The dependencia's name.
    pub dependencia: String,
    /// Users' names by id.
    pub names: HashMap<String, String>,
    /// «Impresora HP LaserJet M404» by inventory code, for the codes the inventory knows.
    pub equipment: HashMap<String, String>,
    /// Evidence thumbnails by SHA-256, for the photos the server has.
    pub thumbs: HashMap<String, Jpeg>,
    /// Signatures (display size) by SHA-256, for the drawings the server has.
    pub signatures: HashMap<String, Jpeg>,
}

/// Reads what the record of `ticket` needs from the tables and the photo store.
async fn gather(state: &AppState, number: String, ticket: TicketDoc) -> ApiResult<Acta> {
    let mut ids: Vec<&str> = ticket
        .visits
        .iter()
        .map(|v| v.technician.as_str())
        .collect();
    ids.extend(ticket.report.iter().map(|r| r.author.as_str()));
    ids.extend(ticket.survey.iter().map(|s| s.by.as_str()));
    ids.sort_unstable();
    ids.dedup();
    let mut names = HashMap::new();
    for id in ids {
        if let Some(user) = state.store.user_by_id(id).await? {
            names.insert(user.id, user.full_name);
        }
    }
    // Whoever the workflow named as responsible, under the name it had then, for an account the
    // table no longer holds.
    for event in &ticket.events {
        if let Some(person) = &event.data.assignee
            && !person.name.trim().is_empty()
        {
            names
                .entry(person.id.clone())
                .or_insert_with(|| person.name.clone());
        }
    }

    let code = &ticket.request.dependencia;
    let dependencia = state
        .store
        .list_dependencias()
        .await?
        .into_iter()
        .find(|d| &d.code == code)
        .map_or_else(|| code.clone(), |d| d.name);

    let mut codes: Vec<&str> = ticket
        .request
        .equipment
        .iter()
        .map(String::as_str)
        .collect();
    for visit in &ticket.visits {
        codes.extend(visit.equipment.iter().map(String::as_str));
        codes.extend(custody_codes(visit.custody.as_ref()));
    }
    for event in &ticket.events {
        codes.extend(custody_codes(event.data.custody.as_ref()));
    }
    codes.sort_unstable();
    codes.dedup();
    let mut equipment = HashMap::new();
    for code in codes {
        if let Some(item) = state.store.equipment(code).await? {
            let words: Vec<&str> = [&item.kind, &item.brand, &item.model]
                .into_iter()
                .map(|w| w.trim())
                .filter(|w| !w.is_empty())
                .collect();
            equipment.insert(item.code.clone(), words.join(" "));
        }
    }

    let mut thumbs = HashMap::new();
    let mut signatures = HashMap::new();
    for visit in &ticket.visits {
        for photo in &visit.evidence {
            if let Some(jpeg) = stored(state.media.thumb_jpeg(&photo.sha256).await, &photo.sha256) {
                thumbs.insert(photo.sha256.clone(), jpeg);
            }
        }
        if let Some(signature) = &visit.signature
            && let Some(jpeg) = stored(
                state.media.display_jpeg(&signature.sha256).await,
                &signature.sha256,
            )
        {
            signatures.insert(signature.sha256.clone(), jpeg);
        }
    }

    Ok(Acta {
        organisation: state.config.organisation.clone(),
        number,
        generated_at: now_ms(),
        ticket,
        dependencia,
        names,
        equipment,
        thumbs,
        signatures,
    })
}

fn custody_codes(custody: Option<&Custody>) -> impl Iterator<Item = &str> {
    custody
        .into_iter()
        .flat_map(|c| c.equipment.iter().map(String::as_str))
}

/// A stored JPEG, or `None` (logged) when it cannot be read: the record says the photo is missing
/// rather than failing.
fn stored(read: std::io::Result<Option<Vec<u8>>>, sha256: &str) -> Option<Jpeg> {
    match read {
        Ok(Some(bytes)) => {
            let jpeg = Jpeg::parse(bytes);
            if jpeg.is_none() {
                tracing::warn!(sha256, "a stored photo is not a JPEG a PDF can show");
            }
            jpeg
        }
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(%err, sha256, "could not read a stored photo for a service record");
            None
        }
    }
}

const MARGIN: f32 = 18.0;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
const BOTTOM: f32 = PAGE_H - 16.0;
const BODY: f32 = 3.0; // 8.5 pt
const LINE: f32 = 4.3;
const LABEL: f32 = 44.0;
const SMALL: f32 = 2.5;
const INK: Rgb = (0x22, 0x22, 0x22);
const GREY: Rgb = (0x55, 0x55, 0x55);
const RULE: Rgb = (0xcc, 0xcc, 0xcc);
const THUMB: f32 = 40.0;
const GAP: f32 = 4.4;

/// One thing drawn on a page, in millimetres from the top-left corner.
enum Mark {
    Text {
        x: f32,
        y: f32,
        size: f32,
        fill: Rgb,
        text: String,
    },
    Line {
        x1: f32,
        x2: f32,
        y: f32,
        stroke: Rgb,
        width: f32,
    },
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    /// An image of [`Layout::images`].
    Image {
        index: usize,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// The pages being laid out.
struct Layout<'a> {
    metrics: Metrics,
    pages: Vec<Vec<Mark>>,
    images: Vec<&'a Jpeg>,
    y: f32,
    running_head: String,
}

impl<'a> Layout<'a> {
    fn page(&mut self) -> &mut Vec<Mark> {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        let head = self.running_head.clone();
        self.text(MARGIN, 12.0, 2.6, GREY, &head);
        self.y = 20.0;
    }

    /// Starts a new page unless `height` more millimetres fit.
    fn need(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, fill: Rgb, text: &str) {
        self.page().push(Mark::Text {
            x,
            y,
            size,
            fill,
            text: text.to_owned(),
        });
    }

    fn rule(&mut self, stroke: Rgb, width: f32) {
        let y = self.y;
        self.page().push(Mark::Line {
            x1: MARGIN,
            x2: PAGE_W - MARGIN,
            y,
            stroke,
            width,
        });
    }

    /// A section's title, kept with at least a few lines of what follows.
    fn section(&mut self, title: &str) {
        self.need(12.0 + 3.0 * LINE);
        self.y += 5.0;
        self.text(MARGIN, self.y + 4.0, 4.2, INK, title);
        self.y += 6.0;
        self.rule(INK, 0.3);
        self.y += 2.0;
    }

    /// A heading inside a section (one visit, one move of the equipment).
    fn subsection(&mut self, title: &str) {
        self.need(6.0 + 3.0 * LINE);
        self.y += 2.5;
        self.text(MARGIN, self.y + 3.6, 3.4, INK, title);
        self.y += 5.5;
    }

    /// «Label   value», the value wrapped beside the label, across pages when long.
    fn field(&mut self, label: &str, value: &str) {
        self.field_with(LABEL, label, value);
    }

    /// A field whose label is `label_w` millimetres wide.
    fn field_with(&mut self, label_w: f32, label: &str, value: &str) {
        let value = if value.trim().is_empty() {
            "—"
        } else {
            value
        };
        let lines = self.metrics.wrap(value, BODY, WIDTH - label_w);
        for (i, line) in lines.iter().enumerate() {
            self.need(LINE);
            if i == 0 {
                let label = self.metrics.fit(label, BODY, label_w - 2.0);
                self.text(MARGIN, self.y + 3.2, BODY, GREY, &label);
            }
            self.text(MARGIN + label_w, self.y + 3.2, BODY, INK, line);
            self.y += LINE;
        }
    }

    /// Text over the whole width, wrapped.
    fn paragraph(&mut self, text: &str, fill: Rgb) {
        for line in self.metrics.wrap(text, BODY, WIDTH) {
            self.need(LINE);
            self.text(MARGIN, self.y + 3.2, BODY, fill, &line);
            self.y += LINE;
        }
    }

    /// Photos as thumbnails in rows, each with its caption below.
    fn photos(&mut self, photos: &[(Option<&'a Jpeg>, Vec<String>)]) {
        let per_row = ((WIDTH + GAP) / (THUMB + GAP)).floor() as usize;
        for row in photos.chunks(per_row.max(1)) {
            let boxes: Vec<(f32, f32)> = row
                .iter()
                .map(|(jpeg, _)| match jpeg {
                    Some(j) => fit_box(j, THUMB, THUMB),
                    None => (THUMB, THUMB * 0.75),
                })
                .collect();
            let image_h = boxes.iter().map(|b| b.1).fold(0.0, f32::max);
            let captions = row.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
            let height = image_h + 1.5 + captions as f32 * 3.4;
            self.need(height + 2.0);
            let top = self.y + 1.0;
            for (i, ((jpeg, caption), (w, h))) in row.iter().zip(&boxes).enumerate() {
                let x = MARGIN + i as f32 * (THUMB + GAP);
                match jpeg {
                    Some(j) => {
                        let index = self.images.len();
                        self.images.push(j);
                        self.page().push(Mark::Image {
                            index,
                            x,
                            y: top,
                            w: *w,
                            h: *h,
                        });
                    }
                    None => {
                        self.page().push(Mark::Frame {
                            x,
                            y: top,
                            w: *w,
                            h: *h,
                        });
                        self.text(x + 2.0, top + h / 2.0, SMALL, GREY, "Foto aún no recibida");
                    }
                }
                let mut y = top + image_h + 1.5;
                for line in caption {
                    let line = self.metrics.fit(line, SMALL, THUMB);
                    self.text(x, y + 2.4, SMALL, GREY, &line);
                    y += 3.4;
                }
            }
            self.y = top + height + 1.0;
        }
    }

    /// A signature drawing in a frame.
    fn signature(&mut self, jpeg: &'a Jpeg) {
        let (frame_w, frame_h) = (80.0, 32.0);
        self.need(frame_h + 3.0);
        let top = self.y + 1.0;
        self.page().push(Mark::Frame {
            x: MARGIN,
            y: top,
            w: frame_w,
            h: frame_h,
        });
        let (w, h) = fit_box(jpeg, frame_w - 4.0, frame_h - 4.0);
        let index = self.images.len();
        self.images.push(jpeg);
        self.page().push(Mark::Image {
            index,
            x: MARGIN + (frame_w - w) / 2.0,
            y: top + (frame_h - h) / 2.0,
            w,
            h,
        });
        self.y = top + frame_h + 2.0;
    }
}

/// The size of an image scaled to fit `max_w` × `max_h`, its proportions kept.
fn fit_box(jpeg: &Jpeg, max_w: f32, max_h: f32) -> (f32, f32) {
    let (w, h) = (jpeg.width as f32, jpeg.height as f32);
    let scale = (max_w / w).min(max_h / h);
    (w * scale, h * scale)
}

impl Acta {
    fn name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(usuario no registrado)".to_owned())
    }

    fn equipment_text(&self, codes: &[String]) -> String {
        if codes.is_empty() {
            return "Ninguno".to_owned();
        }
        codes
            .iter()
            .map(|code| match self.equipment.get(code) {
                Some(description) if !description.is_empty() => format!("{code} ({description})"),
                Some(_) => code.clone(),
                None => format!("{code} (no está en el inventario)"),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The visits in the order they happened.
fn visits_in_order(ticket: &TicketDoc) -> Vec<&Visit> {
    let mut visits: Vec<&Visit> = ticket.visits.iter().collect();
    visits.sort_by_key(|v| (v.started_at, v.id));
    visits
}

fn photo_caption(photo: &Photo) -> Vec<String> {
    let mut caption = vec![format!("Tomada el {}", datetime_text(photo.captured_at))];
    caption.push(match photo.position {
        Some(p) => format!(
            "Posición: {:.5}, {:.5} (±{:.0} m)",
            p.lat, p.lon, p.accuracy_m
        ),
        None => "Sin posición registrada".to_owned(),
    });
    caption
}

fn survey_channel(channel: SurveyChannel) -> &'static str {
    match channel {
        SurveyChannel::TechnicianPhone => "En el teléfono del técnico, en el puesto",
        SurveyChannel::OwnApp => "Desde la aplicación del funcionario",
    }
}

/// One move of the equipment in the custody chain.
struct Move<'a> {
    kind: EventKind,
    custody: Option<&'a Custody>,
    at: i64,
    reason: Option<&'a str>,
}

/// The sends (each visit's custody, named by the event that points to the visit, or by the
/// visit's outcome) and the returns (each `equipo_devuelto` event), in time order.
fn custody_chain(ticket: &TicketDoc) -> Vec<Move<'_>> {
    use campo_shared::schema::Outcome;
    let mut moves = Vec::new();
    for visit in &ticket.visits {
        let Some(custody) = &visit.custody else {
            continue;
        };
        let event = ticket.events.iter().find(|e| {
            e.data.visit == Some(visit.id)
                && matches!(
                    e.kind,
                    EventKind::SentToWorkshop | EventKind::SentToContractor
                )
        });
        let kind = match (event, visit.outcome) {
            (Some(e), _) => e.kind,
            (None, Some(Outcome::Contractor)) => EventKind::SentToContractor,
            (None, Some(Outcome::Workshop)) => EventKind::SentToWorkshop,
            // A custody record on a visit that sent nothing: equipment handed back at the desk.
            (None, _) => EventKind::EquipmentReturned,
        };
        moves.push(Move {
            kind,
            custody: Some(custody),
            at: custody.at,
            reason: None,
        });
    }
    for event in &ticket.events {
        if event.kind == EventKind::EquipmentReturned {
            moves.push(Move {
                kind: event.kind,
                custody: event.data.custody.as_ref(),
                at: event.data.custody.as_ref().map_or(event.at, |c| c.at),
                reason: event.data.reason.as_deref(),
            });
        }
    }
    moves.sort_by_key(|m| m.at);
    moves
}

/// The service record as a PDF.
pub fn render(acta: &Acta) -> Vec<u8> {
    let ticket = &acta.ticket;
    let folded = workflow::fold(&ticket.events);
    let mut l = Layout {
        metrics: Metrics::new(),
        pages: vec![Vec::new()],
        images: Vec::new(),
        y: MARGIN,
        running_head: format!(
            "{} · Acta de servicio · Caso {}",
            acta.organisation, acta.number
        ),
    };

    l.text(MARGIN, 20.0, 3.5, GREY, &acta.organisation);
    l.text(MARGIN, 29.0, 6.0, INK, "Acta de servicio");
    l.text(MARGIN, 36.0, 4.0, INK, &format!("Caso {}", acta.number));
    let generated = format!(
        "Generado el {} (hora de Bogotá). Todas las horas de esta acta son de Bogotá.",
        datetime_text(acta.generated_at)
    );
    l.text(MARGIN, 41.5, 2.7, GREY, &generated);
    l.y = 44.0;
    l.rule(INK, 0.3);
    l.y += 1.0;

    // The request.
    let request = &ticket.request;
    l.section("Solicitud");
    l.field("Solicitante", &request.requester.name);
    l.field("Dependencia", &acta.dependencia);
    l.field("Ubicación", &request.location);
    if let Some(extension) = &request.phone_extension {
        l.field("Extensión", extension);
    }
    let channel = match &request.external_ref {
        Some(reference) => format!("{} ({reference})", request.channel.label()),
        None => request.channel.label().to_owned(),
    };
    l.field("Canal", &channel);
    l.field("Categoría", &request.category);
    let registered = folded
        .registered_at
        .or_else(|| ticket.events.iter().map(|e| e.at).min());
    l.field(
        "Fecha de registro",
        &registered.map_or_else(|| "—".to_owned(), datetime_text),
    );
    if !request.equipment.is_empty() {
        l.field("Equipos", &acta.equipment_text(&request.equipment));
    }
    l.field("Descripción", &request.description);
    l.field("Estado actual", folded.state.label());

    // The visits.
    l.section("Visitas");
    let visits = visits_in_order(ticket);
    if visits.is_empty() {
        l.paragraph("No se registraron visitas.", GREY);
    }
    for (i, visit) in visits.iter().enumerate() {
        let technician = acta.name(&visit.technician);
        l.subsection(&format!("Visita {} · {technician}", i + 1));
        l.field("Técnico", &technician);
        l.field("Inicio", &datetime_text(visit.started_at));
        l.field(
            "Fin",
            &visit
                .ended_at
                .map_or_else(|| "Visita en curso".to_owned(), datetime_text),
        );
        l.field(
            "Funcionario",
            if visit.user_present {
                "Presente en el puesto"
            } else {
                "Ausente: no estaba en el puesto"
            },
        );
        if visit.user_present {
            l.field("Diagnóstico", &visit.diagnosis);
            l.field("Acciones", &visit.actions);
            l.field("Pruebas", &visit.tests);
            l.field(
                "Resultado",
                visit.outcome.map_or("Sin registrar", |o| o.label()),
            );
            if !visit.note.trim().is_empty() {
                l.field("Nota", &visit.note);
            }
        } else {
            l.field("Nota dejada", &visit.note);
            l.field(
                "Aviso escrito",
                if visit.notice_left {
                    "Sí, se dejó aviso en el puesto"
                } else {
                    "No se dejó aviso"
                },
            );
            l.field(
                "Próxima visita",
                &visit
                    .next_visit_at
                    .map_or_else(|| "Sin fecha prevista".to_owned(), datetime_text),
            );
        }
        if !visit.equipment.is_empty() {
            l.field("Equipos atendidos", &acta.equipment_text(&visit.equipment));
        }
        if !visit.evidence.is_empty() {
            l.need(LINE + THUMB);
            l.paragraph("Fotos de evidencia:", GREY);
            let photos: Vec<(Option<&Jpeg>, Vec<String>)> = visit
                .evidence
                .iter()
                .map(|p| (acta.thumbs.get(&p.sha256), photo_caption(p)))
                .collect();
            l.photos(&photos);
        }
    }

    // The custody chain.
    l.section("Cadena de custodia");
    let chain = custody_chain(ticket);
    if chain.is_empty() {
        l.paragraph("El equipo no salió del puesto.", GREY);
    }
    for m in &chain {
        l.subsection(&format!("{} · {}", m.kind.label(), datetime_text(m.at)));
        match m.custody {
            Some(c) => {
                l.field("Equipos", &acta.equipment_text(&c.equipment));
                l.field("Entrega", &c.from);
                l.field("Recibe", &c.to);
                l.field("Lugar", &c.place);
                l.field("Fecha", &datetime_text(c.at));
                l.field("Estado del equipo", &c.condition);
            }
            None => l.field("Custodia", "Sin registro de custodia"),
        }
        if let Some(reason) = m.reason {
            l.field("Motivo", reason);
        }
    }

    // The solution and the closing report.
    l.section("Solución");
    match folded.resolution {
        Some(Resolution::OnSite) => l.field("Forma", "En sitio, en el puesto del funcionario"),
        Some(Resolution::Phone) => {
            l.field("Forma", "Remota o telefónica");
            let reason = workflow::ordered(&ticket.events)
                .into_iter()
                .rev()
                .find(|e| e.kind == EventKind::ResolvedByPhone)
                .and_then(|e| e.data.reason.clone())
                .unwrap_or_default();
            l.field("Motivo", &reason);
        }
        None => l.paragraph(
            &format!(
                "El caso aún no tiene solución registrada (estado: {}).",
                folded.state.label()
            ),
            GREY,
        ),
    }
    if let Some(at) = folded.resolved_at
        && folded.resolution.is_some()
    {
        l.field("Fecha de solución", &datetime_text(at));
    }
    match &ticket.report {
        Some(report) => {
            l.subsection("Informe de cierre");
            l.field("Resumen", &report.summary);
            if !report.results.trim().is_empty() {
                l.field("Resultados", &report.results);
            }
            l.field("Elaborado por", &acta.name(&report.author));
            l.field("Fecha", &datetime_text(report.at));
        }
        None => l.paragraph("Sin informe de cierre.", GREY),
    }

    // The official's signature, for every visit where the official was at the desk.
    l.section("Firma del funcionario");
    let signed: Vec<(usize, &&Visit)> = visits
        .iter()
        .enumerate()
        .filter(|(_, v)| v.user_present || v.signature.is_some() || v.signer_absent)
        .collect();
    if signed.is_empty() {
        l.paragraph("Sin firma registrada.", INK);
    }
    for (i, visit) in signed {
        if visits.len() > 1 {
            l.subsection(&format!(
                "Visita {} del {}",
                i + 1,
                datetime_text(visit.started_at)
            ));
        }
        match &visit.signature {
            Some(signature) => {
                match acta.signatures.get(&signature.sha256) {
                    Some(jpeg) => l.signature(jpeg),
                    None => l.paragraph(
                        "La imagen de la firma aún no se recibió en el servidor.",
                        GREY,
                    ),
                }
                l.field("Firmado por", &signature.signer);
                l.field("Fecha de la firma", &datetime_text(signature.signed_at));
            }
            None if visit.signer_absent => {
                l.paragraph("El funcionario no estaba en el puesto para firmar.", INK);
            }
            None => l.paragraph("Sin firma registrada.", INK),
        }
    }

    // The survey.
    l.section("Encuesta de satisfacción");
    match &ticket.survey {
        Some(survey) => {
            l.field("Respondida el", &datetime_text(survey.answered_at));
            l.field("Dónde", survey_channel(survey.channel));
            let answers = &survey.answers;
            let ratings = [answers.timeliness, answers.treatment, answers.solution];
            for ((_, question), rating) in SurveyAnswers::QUESTIONS.iter().zip(ratings) {
                l.field_with(2.0 * LABEL, question, &SurveyAnswers::rating_text(rating));
            }
            if !answers.comment.trim().is_empty() {
                l.field("Comentario", &answers.comment);
            }
        }
        None => l.paragraph("El funcionario aún no ha respondido la encuesta.", GREY),
    }

    finish(l, &format!("Acta de servicio — Caso {}", acta.number))
}

/// Writes the pages, with page numbers, the images and the font.
fn finish(mut l: Layout<'_>, title: &str) -> Vec<u8> {
    let total = l.pages.len();
    for (i, page) in l.pages.iter_mut().enumerate() {
        let text = format!("Página {} de {total}", i + 1);
        page.push(Mark::Text {
            x: PAGE_W - MARGIN - l.metrics.width(&text, 2.6),
            y: PAGE_H - 9.0,
            size: 2.6,
            fill: GREY,
            text,
        });
    }
    let mut writer = Writer::new(l.metrics);
    let images: Vec<ImageId> = l.images.iter().map(|j| writer.image(j)).collect();
    for marks in &l.pages {
        let mut content = Content::new();
        let mut used = Vec::new();
        for mark in marks {
            match mark {
                Mark::Text {
                    x,
                    y,
                    size,
                    fill,
                    text,
                } => writer.text(&mut content, *x, *y, *size, *fill, text),
                Mark::Line {
                    x1,
                    x2,
                    y,
                    stroke,
                    width,
                } => pdfdoc::line(&mut content, (*x1, *y), (*x2, *y), *stroke, *width),
                Mark::Frame { x, y, w, h } => {
                    pdfdoc::stroke_rect(&mut content, *x, *y, *w, *h, RULE, 0.3);
                }
                Mark::Image { index, x, y, w, h } => {
                    pdfdoc::draw_image(&mut content, images[*index], *x, *y, *w, *h);
                    used.push(images[*index]);
                }
            }
        }
        writer.page(content, &used);
    }
    writer.finish(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The survey's scale is the one the PWA shows.
    #[test]
    fn the_scale_is_the_pwas() {
        let es = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pwa/src/es.ts"),
        )
        .expect("pwa/src/es.ts");
        let quoted: Vec<String> = SurveyAnswers::SCALE
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect();
        let line = format!("scale: [{}],", quoted.join(", "));
        assert!(es.contains(&line), "es.ts has no `{line}`");
    }
}
