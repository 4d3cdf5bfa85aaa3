//! What the record says, in order, and in Spanish.

use campo_shared::custody;
use campo_shared::event_kind::EventKind;
use campo_shared::schema::{Photo, SurveyAnswers, SurveyChannel, TicketDoc, Visit};
use campo_shared::workflow::{self, Resolution};

use super::Acta;
use super::layout::{GREY, INK, LABEL, LINE, Layout, MARGIN, THUMB, finish};
use crate::pdfdoc::{Jpeg, Metrics};
use crate::reports::figures::datetime_text;

impl Acta {
    fn name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(usuario no registrado)".to_owned())
    }

    /// A person named in a custody record: the name the phone wrote, or, where an older phone
    /// wrote a user's id, that user's name.
    fn holder(&self, text: &str) -> String {
        self.names
            .get(text)
            .cloned()
            .unwrap_or_else(|| text.to_owned())
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
    match photo.position {
        Some(p) => {
            caption.push(format!("Posición: {:.5}, {:.5}", p.lat, p.lon));
            caption.push(format!("Precisión: ±{:.0} m", p.accuracy_m));
        }
        None => caption.push("Sin posición registrada".to_owned()),
    }
    caption
}

fn survey_channel(channel: SurveyChannel) -> &'static str {
    match channel {
        SurveyChannel::TechnicianPhone => "En el teléfono del técnico, en el puesto",
        SurveyChannel::OwnApp => "Desde la aplicación del funcionario",
    }
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
    // The moves the workflow accepted, in fold order (`campo_shared::custody::chain`, what the
    // projection and the inventory read too).
    let chain = custody::chain(ticket);
    if chain.is_empty() {
        l.paragraph("El equipo no salió del puesto.", GREY);
    }
    for m in &chain {
        let at = m.custody.map_or(m.event.at, |c| c.at);
        l.subsection(&format!("{} · {}", m.kind.label(), datetime_text(at)));
        match m.custody {
            Some(c) => {
                l.field("Equipos", &acta.equipment_text(&c.equipment));
                l.field("Entrega", &acta.holder(&c.from));
                l.field("Recibe", &acta.holder(&c.to));
                l.field("Lugar", &c.place);
                l.field("Fecha", &datetime_text(c.at));
                l.field("Estado del equipo", &c.condition);
            }
            None => l.field("Custodia", "Sin registro de custodia"),
        }
        if let Some(reason) = &m.event.data.reason {
            l.field("Motivo", reason);
        }
    }

    // The solution and the closing report.
    l.section("Solución");
    match folded.resolution {
        Some(Resolution::OnSite) => l.field("Forma", "En sitio, en el puesto del funcionario"),
        Some(Resolution::Phone) => {
            l.field("Forma", "Remota o telefónica");
            // The resolution the workflow accepted, not a flagged one written after it.
            let event = workflow::ordered(&ticket.events)
                .into_iter()
                .rev()
                .find(|e| {
                    e.kind == EventKind::ResolvedByPhone
                        && !folded.flags.iter().any(|flag| flag.event == e.id)
                });
            let data = event.map(|e| &e.data);
            l.field(
                "Motivo",
                data.and_then(|d| d.reason.as_deref()).unwrap_or_default(),
            );
            if let Some(why) = data.and_then(|d| d.equipment_out_reason.as_deref()) {
                // The coordinator resolved it before the equipment came back.
                l.field("Equipo sin devolver", why);
            }
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
