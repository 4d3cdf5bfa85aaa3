//! The fixed test month, shared by the unit tests, the store tests and the exports' tests:
//! October 2026 (1 October is a Thursday; Monday 12 October is a holiday,
//! Día de la Raza), with September 2026 as the previous period. Working hours are the default
//! ones: Monday to Friday, 08:00–12:00 and 14:00–18:00 (480 business minutes a day). Every
//! expected figure was counted by hand from the table in [`month`] (see `figures/tests.rs`, whose
//! comments say how). Not a test module: the store tests and the API need it too.

use chrono::NaiveDate;

use super::period::Period;
use super::ticket::{ReportTicket, ReportVisit};
use crate::projection::EquipmentEvent;
use campo_shared::calendar::to_utc;
use campo_shared::event_kind::EventKind;
use campo_shared::workflow::Interval;

/// An instant of 2026 in Bogota.
pub fn at(month: u32, day: u32, hour: u32, minute: u32) -> i64 {
    let date = NaiveDate::from_ymd_opt(2026, month, day).unwrap();
    to_utc(date.and_hms_opt(hour, minute, 0).unwrap()).timestamp_millis()
}

fn visit(tech: &str, started_at: i64, user_present: bool) -> ReportVisit {
    ReportVisit {
        technician_id: tech.into(),
        started_at,
        user_present,
    }
}

/// An equipment event of `kind` at `at`.
fn moved(kind: EventKind, at: i64) -> EquipmentEvent {
    EquipmentEvent { kind, at }
}

/// The users the month names (id, name, role).
pub const PEOPLE: [(&str, &str, &str); 3] = [
    ("u-ana", "Ana Torres", "tecnico"),
    ("u-bruno", "Bruno Díaz", "tecnico"),
    ("u-redes", "Redes SAS", "contratista"),
];

/// Its dependencias (code, name).
pub const DEPENDENCIAS: [(&str, &str); 3] =
    [("HAC", "Hacienda"), ("EDU", "Educación"), ("SAL", "Salud")];

struct Who(&'static str, &'static str, &'static str);
const ANA: Who = Who("u-ana", "Ana Torres", "tecnico");
const BRUNO: Who = Who("u-bruno", "Bruno Díaz", "tecnico");
const REDES: Who = Who("u-redes", "Redes SAS", "contratista");

fn base(n: u32, dep: &str, category: &str, channel: &str, created_at: i64) -> ReportTicket {
    let name = match dep {
        "HAC" => "Hacienda",
        "EDU" => "Educación",
        _ => "Salud",
    };
    ReportTicket {
        id: format!("doc-{n}"),
        number: format!("SAT-2026-{n:06}"),
        requester_name: format!("Funcionario {n}"),
        dependencia: Some(dep.into()),
        dependencia_name: Some(name.into()),
        channel: channel.into(),
        category: category.into(),
        summary: format!("Solicitud {n}"),
        state: "cerrada".into(),
        created_at,
        triaged_at: Some(created_at),
        ..ReportTicket::default()
    }
}

fn assign(t: &mut ReportTicket, who: Who, priority: &str, mode: &str) {
    t.assignee_id = Some(who.0.into());
    t.assignee_name = Some(who.1.into());
    t.assignee_role = Some(who.2.into());
    t.priority = Some(priority.into());
    t.mode = Some(mode.into());
}

fn survey(t: &mut ReportTicket, when: i64, answers: [i64; 3]) {
    t.survey_at = Some(when);
    t.survey_timeliness = Some(answers[0]);
    t.survey_treatment = Some(answers[1]);
    t.survey_solution = Some(answers[2]);
}

/// The test month. `Tn` is ticket number n (SAT-2026-00000n).
///
/// | n  | created          | dep | path                                                   | resp. | resol. |
/// |----|------------------|-----|--------------------------------------------------------|-------|--------|
/// | 1  | Thu 01/10 09:00  | HAC | by phone, resolved 10:00, closed, survey 5,5,5         | ok    | ok     |
/// | 2  | Fri 02/10 08:00  | EDU | on site, resolved 10:00, closed, survey 4,5,4          | ok    | ok     |
/// | 3  | Mon 05/10 08:00  | HAC | absent 05/10 10:00, revisit 06/10 10:00, resolved 11:00| ok    | ok     |
/// | 4  | Tue 06/10 14:00  | EDU | workshop (sent 07/10, returned 09/10), resolved 09/10, survey 3,4,4 | ok | ok |
/// | 5  | Wed 07/10 08:00  | SAL | contractor (sent 07/10), resolved Tue 13/10 10:00      | late  | late   |
/// | 6  | Fri 09/10 16:00  | HAC | on time across the holiday, resolved 13/10, survey 5,4,5 | ok  | ok     |
/// | 7  | Fri 09/10 17:00  | SAL | late across the holiday, resolved 14/10                | late  | late   |
/// | 8  | Thu 15/10 09:00  | EDU | cancelled the same day, never triaged                  | —     | —      |
/// | 9  | Thu 29/10 10:00  | HAC | absent 30/10, still open, resolution overdue           | ok    | overdue|
/// | 10 | Mon 28/09 09:00  | EDU | September: absent 29/09 10:00; October: revisit 01/10 10:00, resolved 11:00, survey 4,4,3 | (Sept) | ok |
/// | 11 | Tue 15/09 10:00  | SAL | September, in the workshop since 16/09, still open, overdue | (Sept)| overdue|
/// | 12 | Thu 10/09 09:00  | HAC | September only: by phone, closed, survey 5,5,4         | (Sept)| (Sept) |
/// | 13 | Fri 30/10 15:00  | EDU | registered from the field, no priority, unassigned     | —     | —      |
pub fn month() -> Vec<ReportTicket> {
    let mut out = Vec::new();

    let mut t = base(1, "HAC", "Software", "phone", at(10, 1, 9, 0));
    assign(&mut t, ANA, "media", "phone");
    t.responded_at = Some(at(10, 1, 9, 30));
    t.response_due = Some(at(10, 1, 15, 0));
    t.resolution_due = Some(at(10, 6, 9, 0));
    t.resolved_at = Some(at(10, 1, 10, 0));
    t.resolution = Some("phone".into());
    t.closed_at = Some(at(10, 1, 10, 30));
    t.report_summary = Some("Se restableció la contraseña por teléfono".into());
    survey(&mut t, at(10, 1, 10, 40), [5, 5, 5]);
    out.push(t);

    let mut t = base(2, "EDU", "Hardware", "intranet", at(10, 2, 8, 0));
    assign(&mut t, ANA, "alta", "on_site");
    t.equipment = vec!["PC-0002".into()];
    t.responded_at = Some(at(10, 2, 8, 30));
    t.response_due = Some(at(10, 2, 9, 0));
    t.resolution_due = Some(at(10, 2, 16, 0));
    t.visits = 1;
    t.visit_log = vec![visit(ANA.0, at(10, 2, 9, 0), true)];
    t.resolved_at = Some(at(10, 2, 10, 0));
    t.resolution = Some("on_site".into());
    t.closed_at = Some(at(10, 2, 11, 0));
    t.report_summary = Some("Cambio de fuente de poder".into());
    survey(&mut t, at(10, 2, 11, 0), [4, 5, 4]);
    out.push(t);

    let mut t = base(3, "HAC", "Hardware", "email", at(10, 5, 8, 0));
    assign(&mut t, BRUNO, "media", "on_site");
    t.state = "resuelta".into();
    t.responded_at = Some(at(10, 5, 9, 0));
    t.response_due = Some(at(10, 5, 12, 0));
    t.resolution_due = Some(at(10, 8, 12, 0));
    t.visits = 2;
    t.absent_visits = 1;
    t.visit_log = vec![
        visit(BRUNO.0, at(10, 5, 10, 0), false),
        visit(BRUNO.0, at(10, 6, 10, 0), true),
    ];
    // Waiting for the user from the absent visit to the revisit.
    t.absences = vec![Interval {
        start: at(10, 5, 10, 0),
        end: Some(at(10, 6, 10, 0)),
    }];
    t.resolved_at = Some(at(10, 6, 11, 0));
    t.resolution = Some("on_site".into());
    out.push(t);

    let mut t = base(4, "EDU", "Hardware", "intranet", at(10, 6, 14, 0));
    assign(&mut t, BRUNO, "baja", "workshop");
    t.equipment = vec!["PC-0004".into()];
    t.responded_at = Some(at(10, 6, 15, 0));
    t.response_due = Some(at(10, 7, 14, 0));
    t.resolution_due = Some(at(10, 14, 12, 0));
    t.visits = 1;
    t.visit_log = vec![visit(BRUNO.0, at(10, 7, 9, 0), true)];
    t.workshop_sends = 1;
    t.equipment_returns = 1;
    t.equipment_events = vec![
        moved(EventKind::SentToWorkshop, at(10, 7, 10, 0)),
        moved(EventKind::EquipmentReturned, at(10, 9, 15, 0)),
    ];
    t.resolved_at = Some(at(10, 9, 16, 0));
    t.resolution = Some("on_site".into());
    t.closed_at = Some(at(10, 9, 17, 0));
    survey(&mut t, at(10, 13, 9, 0), [3, 4, 4]);
    out.push(t);

    let mut t = base(5, "SAL", "Impresora", "glpi", at(10, 7, 8, 0));
    assign(&mut t, REDES, "media", "on_site");
    t.equipment = vec!["IMP-0005".into()];
    t.responded_at = Some(at(10, 7, 14, 30));
    t.response_due = Some(at(10, 7, 12, 0));
    t.resolution_due = Some(at(10, 9, 18, 0));
    t.visits = 1;
    t.visit_log = vec![visit(REDES.0, at(10, 7, 15, 0), true)];
    t.contractor_sends = 1;
    t.equipment_events = vec![moved(EventKind::SentToContractor, at(10, 7, 16, 0))];
    t.resolved_at = Some(at(10, 13, 10, 0));
    t.resolution = Some("on_site".into());
    t.closed_at = Some(at(10, 13, 11, 0));
    out.push(t);

    // Due dates across Monday 12 October (holiday): response 120 business minutes from Friday
    // 16:00 is Friday 18:00; resolution 480 minutes is Friday 16–18 (120), Tuesday 08–12 (240),
    // 14–16 (120): Tuesday 13 at 16:00. Resolved Tuesday 15:00: on time (it would be late if the
    // holiday counted as a working day, the deadline then being Monday 16:00).
    let mut t = base(6, "HAC", "Red", "phone", at(10, 9, 16, 0));
    assign(&mut t, ANA, "alta", "on_site");
    t.state = "resuelta".into();
    t.responded_at = Some(at(10, 9, 17, 0));
    t.response_due = Some(at(10, 9, 18, 0));
    t.resolution_due = Some(at(10, 13, 16, 0));
    t.visits = 1;
    t.visit_log = vec![visit(ANA.0, at(10, 13, 9, 0), true)];
    t.resolved_at = Some(at(10, 13, 15, 0));
    t.resolution = Some("on_site".into());
    survey(&mut t, at(10, 13, 15, 30), [5, 4, 5]);
    out.push(t);

    // From Friday 17:00: response due Tuesday 09:00, resolution due Tuesday 17:00; responded
    // Tuesday 10:00 and resolved Wednesday 10:00: both late.
    let mut t = base(7, "SAL", "Red", "intranet", at(10, 9, 17, 0));
    assign(&mut t, BRUNO, "alta", "on_site");
    t.state = "resuelta".into();
    t.responded_at = Some(at(10, 13, 10, 0));
    t.response_due = Some(at(10, 13, 9, 0));
    t.resolution_due = Some(at(10, 13, 17, 0));
    t.visits = 1;
    t.visit_log = vec![visit(BRUNO.0, at(10, 14, 9, 0), true)];
    t.resolved_at = Some(at(10, 14, 10, 0));
    t.resolution = Some("on_site".into());
    out.push(t);

    let mut t = base(8, "EDU", "Software", "email", at(10, 15, 9, 0));
    t.state = "anulada".into();
    t.triaged_at = None;
    t.cancelled_at = Some(at(10, 15, 11, 0));
    out.push(t);

    let mut t = base(9, "HAC", "Hardware", "intranet", at(10, 29, 10, 0));
    assign(&mut t, ANA, "media", "on_site");
    t.state = "usuario_ausente".into();
    t.responded_at = Some(at(10, 29, 11, 0));
    t.response_due = Some(at(10, 29, 16, 0));
    t.resolution_due = Some(at(10, 30, 12, 0));
    t.visits = 1;
    t.absent_visits = 1;
    t.visit_log = vec![visit(ANA.0, at(10, 30, 9, 0), false)];
    // Still waiting for the user.
    t.absences = vec![Interval {
        start: at(10, 30, 9, 0),
        end: None,
    }];
    out.push(t);

    let mut t = base(10, "EDU", "Hardware", "phone", at(9, 28, 9, 0));
    assign(&mut t, ANA, "baja", "on_site");
    t.responded_at = Some(at(9, 28, 10, 0));
    t.response_due = Some(at(9, 29, 9, 0));
    t.resolution_due = Some(at(10, 5, 9, 0));
    t.visits = 2;
    t.absent_visits = 1;
    t.visit_log = vec![
        visit(ANA.0, at(9, 29, 10, 0), false),
        visit(ANA.0, at(10, 1, 10, 0), true),
    ];
    t.absences = vec![Interval {
        start: at(9, 29, 10, 0),
        end: Some(at(10, 1, 10, 0)),
    }];
    t.resolved_at = Some(at(10, 1, 11, 0));
    t.resolution = Some("on_site".into());
    t.closed_at = Some(at(10, 2, 8, 0));
    survey(&mut t, at(10, 2, 8, 30), [4, 4, 3]);
    out.push(t);

    let mut t = base(11, "SAL", "Impresora", "glpi", at(9, 15, 10, 0));
    assign(&mut t, BRUNO, "baja", "workshop");
    t.state = "en_taller".into();
    t.responded_at = Some(at(9, 15, 11, 0));
    t.response_due = Some(at(9, 16, 10, 0));
    t.resolution_due = Some(at(9, 22, 10, 0));
    t.visits = 1;
    t.visit_log = vec![visit(BRUNO.0, at(9, 16, 10, 0), true)];
    t.workshop_sends = 1;
    t.equipment_events = vec![moved(EventKind::SentToWorkshop, at(9, 16, 11, 0))];
    out.push(t);

    let mut t = base(12, "HAC", "Software", "phone", at(9, 10, 9, 0));
    assign(&mut t, ANA, "media", "phone");
    t.responded_at = Some(at(9, 10, 9, 15));
    t.response_due = Some(at(9, 10, 13, 0));
    t.resolution_due = Some(at(9, 15, 9, 0));
    t.resolved_at = Some(at(9, 10, 9, 45));
    t.resolution = Some("phone".into());
    t.closed_at = Some(at(9, 10, 10, 0));
    survey(&mut t, at(9, 10, 10, 0), [5, 5, 4]);
    out.push(t);

    let mut t = base(13, "EDU", "Software", "field", at(10, 30, 15, 0));
    t.state = "registrada".into();
    t.triaged_at = None;
    out.push(t);

    out
}

pub fn october() -> Period {
    Period::parse_month("2026-10").unwrap()
}
