//! Roles and the permission table: who may perform which workflow action.
//!
//! The table is data ([`PERMISSIONS`]) rather than code spread over handlers because two programs
//! enforce it — the server, on every change a device sends, and the PWA, to offer only the buttons
//! a user may press — and because the office must be able to read it. Whether an action is valid
//! *now* (from the ticket's current state) is the other half, in [`crate::workflow`];
//! [`crate::workflow::check`] combines both.

use crate::event_kind::EventKind;
use crate::wire::wire_enum;

wire_enum! {
    /// What a user is in the organisation; decides what it may see and do.
    pub enum Role: "rol" {
        /// An official of a dependencia who asks for help (activities 1 and 10).
        Funcionario = "funcionario",
        /// An internal support technician (activities 5–9).
        Tecnico = "tecnico",
        /// An external contractor; sees only the tickets assigned to it.
        Contratista = "contratista",
        /// Triage, dispatch, reports and administration (activities 2–4 and 11).
        Coordinador = "coordinador",
    }
}

/// The error of [`Role::from_str`](std::str::FromStr): names the valid roles, in Spanish.
pub type ParseRoleError = crate::wire::UnknownValue;

impl Role {
    /// The Spanish name shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            Role::Funcionario => "Funcionario",
            Role::Tecnico => "Técnico",
            Role::Contratista => "Contratista externo",
            Role::Coordinador => "Coordinador",
        }
    }

    /// Whether this role works in the field (visits desks with a phone): technician or contractor.
    pub const fn is_field(self) -> bool {
        matches!(self, Role::Tecnico | Role::Contratista)
    }
}

use EventKind as K;
use Role::{Contratista as CT, Coordinador as CO, Funcionario as FU, Tecnico as TE};

/// Which roles may perform each workflow action: one row per [`EventKind`], in the order of the
/// procedure.
///
/// The coordinator appears in every row (it may do everything). Officials register their own
/// request and answer the survey. Technicians and contractors do the field work: register a request
/// on the spot, visit, record an absent user, move equipment to the workshop or contractor and
/// back, resolve on site, file the closing report, and record the survey answered on their phone.
/// Accepting, triage, assignment, resolution by phone, cancelling, reopening and marking duplicates
/// are the coordinator's alone.
pub const PERMISSIONS: &[(EventKind, &[Role])] = &[
    (K::Registered, &[FU, TE, CT, CO]),
    (K::Accepted, &[CO]),
    (K::Prioritized, &[CO]),
    (K::Assigned, &[CO]),
    (K::VisitStarted, &[TE, CT, CO]),
    (K::UserAbsent, &[TE, CT, CO]),
    (K::VisitEnded, &[TE, CT, CO]),
    (K::SentToWorkshop, &[TE, CT, CO]),
    (K::SentToContractor, &[TE, CT, CO]),
    (K::EquipmentReturned, &[TE, CT, CO]),
    (K::Resolved, &[TE, CT, CO]),
    (K::ResolvedByPhone, &[TE, CT, CO]),
    (K::Closed, &[TE, CT, CO]),
    (K::Cancelled, &[CO]),
    (K::Reopened, &[CO]),
    (K::Duplicate, &[CO]),
    (K::SurveyAnswered, &[FU, TE, CT, CO]),
];

/// Whether `role` may perform the workflow action `kind` (regardless of the ticket's state).
pub fn may(role: Role, kind: EventKind) -> bool {
    PERMISSIONS
        .iter()
        .find(|(k, _)| *k == kind)
        .is_some_and(|(_, roles)| roles.contains(&role))
}

/// Whether `role` may comment on a ticket it can see. Comments are not workflow events (they never
/// change the state), so they are outside [`PERMISSIONS`]; every role may comment — an official
/// adds details to its request, a technician explains a delay. *Which* tickets a user can see is
/// the server's access rule, not this function's.
pub const fn may_comment(role: Role) -> bool {
    match role {
        Role::Funcionario | Role::Tecnico | Role::Contratista | Role::Coordinador => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_labels_and_parse() {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            ["funcionario", "tecnico", "contratista", "coordinador"]
        );
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(*role));
            assert_eq!(role.to_string(), role.as_str());
            let json = serde_json::to_string(role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), *role);
        }
        assert_eq!(" Tecnico ".parse::<Role>(), Ok(Role::Tecnico));
        assert_eq!(Role::Tecnico.label(), "Técnico");
        assert_eq!(Role::Contratista.label(), "Contratista externo");
        assert!(Role::Tecnico.is_field() && Role::Contratista.is_field());
        assert!(!Role::Funcionario.is_field() && !Role::Coordinador.is_field());
    }

    #[test]
    fn unknown_role_names_the_valid_ones_in_spanish() {
        let err = "administrador".parse::<Role>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "valor de rol desconocido: «administrador»; \
             use uno de: funcionario, tecnico, contratista, coordinador"
        );
        assert!("técnico".parse::<Role>().is_err());
        assert!(serde_json::from_str::<Role>("\"admin\"").is_err());
    }

    #[test]
    fn every_event_kind_has_exactly_one_row() {
        for kind in EventKind::ALL {
            let rows = PERMISSIONS.iter().filter(|(k, _)| k == kind).count();
            assert_eq!(rows, 1, "{kind} must have exactly one permission row");
        }
        assert_eq!(PERMISSIONS.len(), EventKind::ALL.len());
    }

    /// The table as a reader would check it against the procedure, row by row.
    #[test]
    fn permission_table_rows() {
        let expected: &[(&str, &str)] = &[
            ("registrada", "funcionario tecnico contratista coordinador"),
            ("aceptada", "coordinador"),
            ("priorizada", "coordinador"),
            ("asignada", "coordinador"),
            ("visita_iniciada", "tecnico contratista coordinador"),
            ("usuario_ausente", "tecnico contratista coordinador"),
            ("visita_finalizada", "tecnico contratista coordinador"),
            ("enviada_taller", "tecnico contratista coordinador"),
            ("enviada_contratista", "tecnico contratista coordinador"),
            ("equipo_devuelto", "tecnico contratista coordinador"),
            ("resuelta", "tecnico contratista coordinador"),
            ("resuelta_telefono", "tecnico contratista coordinador"),
            ("cerrada", "tecnico contratista coordinador"),
            ("anulada", "coordinador"),
            ("reabierta", "coordinador"),
            ("duplicada", "coordinador"),
            (
                "encuesta_respondida",
                "funcionario tecnico contratista coordinador",
            ),
        ];
        assert_eq!(expected.len(), EventKind::ALL.len());
        for (kind, roles) in expected {
            let kind: EventKind = kind.parse().unwrap();
            let allowed: Vec<&str> = Role::ALL
                .iter()
                .filter(|r| may(**r, kind))
                .map(|r| r.as_str())
                .collect();
            println!("{kind:<20} {}", allowed.join(" "));
            assert_eq!(allowed.join(" "), *roles, "row {kind}");
        }
    }

    #[test]
    fn coordinator_may_do_everything_and_everyone_may_comment() {
        for kind in EventKind::ALL {
            assert!(may(Role::Coordinador, *kind), "{kind}");
        }
        for role in Role::ALL {
            assert!(may_comment(*role));
        }
    }
}
