//! The kinds of workflow event: what each entry of a ticket's event list records, with its wire
//! name and its Spanish label.
//!
//! A leaf of the crate (it needs only [`crate::wire`]), so that the permission table
//! ([`crate::role`]), the ticket document ([`crate::schema`]) and the workflow that folds the
//! events into a state ([`crate::workflow`]) all name an event kind without depending on one
//! another.

use crate::wire::wire_enum;

wire_enum! {
    /// What a workflow event records. Wire names are the Spanish participles the office uses.
    pub enum EventKind: "tipo de evento" {
        /// The request was registered (activity 1, or intake by the coordinator).
        Registered = "registrada",
        /// The coordinator accepted the request (activity 2).
        Accepted = "aceptada",
        /// Priority, attention mode and optionally a deadline were set (activities 2–4).
        Prioritized = "priorizada",
        /// A technician or contractor was made responsible, or replaced (activity 3).
        Assigned = "asignada",
        /// A visit to the desk began (activity 5).
        VisitStarted = "visita_iniciada",
        /// The official was not at the desk; a return is planned (activity 7).
        UserAbsent = "usuario_ausente",
        /// A visit ended without solving the problem yet (activity 8).
        VisitEnded = "visita_finalizada",
        /// The equipment went to the workshop (activity 8, custody record).
        SentToWorkshop = "enviada_taller",
        /// The equipment went to the external contractor (activity 8, custody record).
        SentToContractor = "enviada_contratista",
        /// The equipment came back from the workshop or contractor.
        EquipmentReturned = "equipo_devuelto",
        /// Solved on site (activity 8).
        Resolved = "resuelta",
        /// Solved by telephone, without a visit (activity 2).
        ResolvedByPhone = "resuelta_telefono",
        /// The closing report was filed; the case is closed (activity 9).
        Closed = "cerrada",
        /// The request was cancelled.
        Cancelled = "anulada",
        /// A resolved, closed or cancelled case was reopened.
        Reopened = "reabierta",
        /// The request duplicates another ticket; it is cancelled in its favour.
        Duplicate = "duplicada",
        /// The satisfaction survey was answered (activity 10).
        SurveyAnswered = "encuesta_respondida",
    }
}

impl EventKind {
    /// The Spanish name of the action, shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            EventKind::Registered => "Registro",
            EventKind::Accepted => "Aceptación",
            EventKind::Prioritized => "Priorización",
            EventKind::Assigned => "Asignación",
            EventKind::VisitStarted => "Inicio de visita",
            EventKind::UserAbsent => "Usuario ausente",
            EventKind::VisitEnded => "Fin de visita",
            EventKind::SentToWorkshop => "Envío a taller",
            EventKind::SentToContractor => "Envío al contratista",
            EventKind::EquipmentReturned => "Devolución del equipo",
            EventKind::Resolved => "Solución en sitio",
            EventKind::ResolvedByPhone => "Solución remota o telefónica",
            EventKind::Closed => "Cierre",
            EventKind::Cancelled => "Anulación",
            EventKind::Reopened => "Reapertura",
            EventKind::Duplicate => "Marcado como duplicado",
            EventKind::SurveyAnswered => "Encuesta respondida",
        }
    }
}
