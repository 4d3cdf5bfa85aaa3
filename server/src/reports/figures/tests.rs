//! Every figure of the fixed month ([`crate::reports::fixture`]), counted by hand.

use super::*;
use crate::reports::fixture::{at, month, october};
use crate::reports::period::PeriodError;
use campo_shared::sla::SlaPolicy;

/// The October report under the default SLA policy (waiting for an absent user stops the
/// resolution clock), judged long after the month ended.
pub(crate) fn october_report() -> Report {
    report(&month(), october(), &Sla::default(), at(12, 31, 0, 0))
}

/// The default policy, but the clock keeps running while the user is absent.
fn without_pauses() -> Sla {
    Sla::new(SlaPolicy {
        pause_while_user_absent: false,
        ..SlaPolicy::default()
    })
    .unwrap()
}

fn b(key: &str, label: &str, received: u64, resolved: u64, open_at_end: u64) -> Breakdown {
    Breakdown {
        key: key.into(),
        label: label.into(),
        received,
        resolved,
        open_at_end,
    }
}

#[test]
fn periods() {
    let oct = october();
    assert_eq!(oct.days(), 31);
    assert_eq!(oct.label(), "octubre de 2026");
    assert_eq!(oct.slug(), "2026-10");
    assert_eq!(oct.previous(), Period::parse_month("2026-09").unwrap());
    assert_eq!(
        Period::parse_month("2026-01").unwrap().previous(),
        Period::parse_month("2025-12").unwrap()
    );
    // Midnight in Bogota is 05:00 UTC.
    assert_eq!(oct.start_ms(), at(10, 1, 0, 0));
    assert_eq!(oct.end_ms(), at(11, 1, 0, 0));
    let range = Period::parse_range("2026-10-05", "2026-10-11").unwrap();
    assert_eq!(range.label(), "05/10/2026 a 11/10/2026");
    assert_eq!(range.slug(), "2026-10-05_2026-10-11");
    assert_eq!(
        range.previous(),
        Period::parse_range("2026-09-28", "2026-10-04").unwrap()
    );
    for bad in ["2026-13", "2026-1", "octubre", "", "1900-01"] {
        assert!(
            matches!(Period::parse_month(bad), Err(PeriodError::BadMonth(_))),
            "{bad}"
        );
    }
    assert!(matches!(
        Period::parse_range("2026-10-31", "2026-10-01"),
        Err(PeriodError::Inverted { .. })
    ));
    assert!(matches!(
        Period::parse_range("2026-01-01", "2027-06-01"),
        Err(PeriodError::TooLong(517))
    ));
    assert!(matches!(
        Period::parse_range("2026-02-30", "2026-03-01"),
        Err(PeriodError::BadDate(_))
    ));
}

#[test]
fn headline_figures_of_the_month() {
    let g = october_report().general;
    assert_eq!(g.period.label, "octubre de 2026");
    assert_eq!(g.previous_period.label, "septiembre de 2026");
    assert_eq!(g.as_of, at(11, 1, 0, 0));
    assert_eq!(
        g.headline,
        Headline {
            // T1–T9 and T13 were created in October.
            received: 10,
            // T1–T7 and T10 (September's, resolved 01/10).
            resolved: 8,
            // T1, T2, T4, T5 and T10 (closed 02/10); T3, T6, T7 are resolved but not closed.
            closed: 5,
            // T8.
            cancelled: 1,
            // T9 (absent), T11 (workshop since September), T13 (registered):
            // 2 carried over + 10 received − 8 resolved − 1 cancelled = 3.
            open_at_end: 3,
            // T10 and T11 were open on 1 October; T12 was done in September.
            carried_over: 2,
            // See `visits_equipment_and_modes`.
            visits: 9,
            absent_visits: 2,
            // 6 of 8, see `sla_compliance_across_the_holiday`.
            response_on_time: Some(75.0),
            resolution_on_time: Some(75.0),
            // 64 points in 15 answers, see `satisfaction`.
            satisfaction: Some(4.27),
        }
    );
    assert_eq!(
        g.previous,
        Headline {
            // T10, T11, T12.
            received: 3,
            // T12, closed the same day.
            resolved: 1,
            closed: 1,
            cancelled: 0,
            // T10 and T11 (0 + 3 − 1).
            open_at_end: 2,
            carried_over: 0,
            // T11 on 16/09 (present), T10 on 29/09 (absent).
            visits: 2,
            absent_visits: 1,
            // T10, T11, T12 responded on time; T12 resolved on time.
            response_on_time: Some(100.0),
            resolution_on_time: Some(100.0),
            // T12: (5 + 5 + 4) / 3.
            satisfaction: Some(4.67),
        }
    );
}

#[test]
fn breakdowns() {
    let g = october_report().general;
    // Received / resolved in October / open on 31 October at midnight. Ties on received and
    // resolved go by label.
    assert_eq!(
        g.by_dependencia,
        vec![
            // T2, T4, T8, T13 / T2, T4, T10 / T13.
            b("EDU", "Educación", 4, 3, 1),
            // T1, T3, T6, T9 / T1, T3, T6 / T9.
            b("HAC", "Hacienda", 4, 3, 1),
            // T5, T7 / T5, T7 / T11.
            b("SAL", "Salud", 2, 2, 1),
        ]
    );
    assert_eq!(
        g.by_category,
        vec![
            // T2, T3, T4, T9 / T2, T3, T4, T10 / T9.
            b("Hardware", "Hardware", 4, 4, 1),
            // T1, T8, T13 / T1 / T13.
            b("Software", "Software", 3, 1, 1),
            // T6, T7 / T6, T7.
            b("Red", "Red", 2, 2, 0),
            // T5 / T5 / T11.
            b("Impresora", "Impresora", 1, 1, 1),
        ]
    );
    assert_eq!(
        g.by_channel,
        vec![
            // T2, T4, T7, T9 / T2, T4, T7 / T9.
            b("intranet", "Intranet", 4, 3, 1),
            // T1, T6 / T1, T6, T10.
            b("phone", "Teléfono", 2, 3, 0),
            // T3, T8 / T3.
            b("email", "Correo electrónico", 2, 1, 0),
            // T5 / T5 / T11, then T13 / — / T13 (fewer resolved).
            b("glpi", "GLPI", 1, 1, 1),
            b("field", "En sitio", 1, 0, 1),
        ]
    );
    assert_eq!(
        g.by_priority,
        vec![
            // T1, T3, T5, T9 / T1, T3, T5 / T9.
            b("media", "Media", 4, 3, 1),
            // T2, T6, T7.
            b("alta", "Alta", 3, 3, 0),
            // T8, T13 / — / T13.
            b("", "Sin prioridad", 2, 0, 1),
            // T4 / T4, T10 / T11.
            b("baja", "Baja", 1, 2, 1),
        ]
    );
    assert_eq!(
        g.by_assignee,
        vec![
            // T1, T2, T6, T9 / T1, T2, T6, T10 / T9.
            b("u-ana", "Ana Torres", 4, 4, 1),
            // T3, T4, T7 / same / T11.
            b("u-bruno", "Bruno Díaz", 3, 3, 1),
            // T8, T13 / — / T13.
            b("", "Sin asignar", 2, 0, 1),
            // T5.
            b("u-redes", "Redes SAS (contratista)", 1, 1, 0),
        ]
    );
}

#[test]
fn sla_compliance_across_the_holiday() {
    let g = october_report().general;
    // Responses in October: T1, T2, T3, T4, T6, T9 on time; T5 (14:30 for 12:00) and T7
    // (Tuesday 10:00 for 09:00, the holiday not counted) late. T10 and T11 answered in
    // September; T8 and T13 have no deadline.
    assert_eq!(
        g.sla.response,
        Compliance {
            on_time: 6,
            late: 2,
            rate: Some(75.0),
            overdue_open: 0,
            running: 0,
        }
    );
    // Resolutions in October: T1, T2, T3, T4, T6 (across the holiday), T10 on time; T5, T7 late.
    // Open past the deadline on 1 November: T9 (due 30/10 12:00) and T11 (due 22/09).
    assert_eq!(
        g.sla.resolution,
        Compliance {
            on_time: 6,
            late: 2,
            rate: Some(75.0),
            overdue_open: 2,
            running: 0,
        }
    );
    // Business minutes from triage to response: T1 30, T2 30, T3 60, T4 60, T5 270 (08–12 and
    // 14–14:30), T6 60, T7 180 (Friday 17–18, Monday is a holiday, Tuesday 08–10), T9 60.
    // Sum 750 / 8 = 93.75 min = 1.5625 h → 1.6; median (60 + 60) / 2 = 1.0 h.
    assert_eq!(
        g.times.response,
        TimeStats {
            count: 8,
            average_hours: Some(1.6),
            median_hours: Some(1.0),
            p90_hours: Some(4.5),
        }
    );
    // To resolution, less the business time spent waiting for an absent user (the default
    // policy stops the clock then, and the deadlines count the same way): T1 60, T2 120,
    // T3 180 (660 from 05/10 08:00 to 06/10 11:00 — 05/10 480 + 06/10 08–11 180 — less its
    // absence from 05/10 10:00 to the revisit on 06/10 10:00: 05/10 10–12 and 14–18 360 +
    // 06/10 08–10 120 = 480), T4 1560 (06/10 240, 07/10 480, 08/10 480, 09/10 360), T5 1560 (07,
    // 08, 09/10 480 each, 12/10 holiday, 13/10 120), T6 420 (Friday 120, Tuesday 300), T7 660
    // (Friday 60, Tuesday 480, Wednesday 120), T10 600 (1560 from 28/09 09:00 to 01/10 11:00 —
    // 28/09 420, 29/09 480, 30/09 480, 01/10 180 — less its absence from 29/09 10:00 to 01/10
    // 10:00: 29/09 360 + 30/09 480 + 01/10 120 = 960). Sum 5160 / 8 = 645 min = 10.75 h → 10.8;
    // sorted 60, 120, 180, 420, 600, 660, 1560, 1560: median (420 + 600) / 2 = 510 min = 8.5 h.
    assert_eq!(
        g.times.resolution,
        TimeStats {
            count: 8,
            average_hours: Some(10.8),
            median_hours: Some(8.5),
            p90_hours: Some(26.0),
        }
    );
}

#[test]
fn without_pauses_the_absences_count_as_resolution_time() {
    let g = report(&month(), october(), &without_pauses(), at(12, 31, 0, 0)).general;
    // T3 660 and T10 1560 with their absences; the others as above. Sum 6600 / 8 = 825 min =
    // 13.75 h → 13.8; sorted 60, 120, 420, 660, 660, 1560, 1560, 1560: median 660 min = 11.0 h.
    assert_eq!(
        g.times.resolution,
        TimeStats {
            count: 8,
            average_hours: Some(13.8),
            median_hours: Some(11.0),
            p90_hours: Some(26.0),
        }
    );
    // Responses never pause.
    assert_eq!(g.times.response, october_report().general.times.response);
    let hours = |n: &str| {
        report(&month(), october(), &without_pauses(), at(12, 31, 0, 0))
            .detail
            .iter()
            .find(|d| d.number.ends_with(n))
            .unwrap()
            .resolution_hours
    };
    assert_eq!(hours("03"), Some(11.0));
    assert_eq!(hours("10"), Some(26.0));
}

#[test]
fn visits_equipment_and_modes() {
    let g = october_report().general;
    // Visits started in October: T2, T3 ×2, T4, T5, T6, T7, T9, T10 (01/10) = 9. Absent: T3's
    // first and T9's = 2. Revisits (an earlier visit exists): T3's second, T10's second = 2.
    assert_eq!(
        g.visits,
        Visits {
            total: 9,
            absent: 2,
            revisits: 2,
        }
    );
    // Equipment moved in October: T4's to the workshop on 07/10 and back on 09/10, T5's to the
    // contractor on 07/10. (T11's went to the workshop in September.) Away in October: T4's from
    // 07/10 10:00 to 09/10 15:00 (53 h), T5's from 07/10 16:00 to the end (584 h), T11's the
    // whole month (744 h): 1381 h, 57.5 days; T5's and T11's were still out at the end.
    assert_eq!(
        g.equipment,
        Equipment {
            workshop_sends: 1,
            contractor_sends: 1,
            returns: 1,
            out_at_end: 2,
            custody_days: 58,
        }
    );
    // Resolved in October: T1 by phone; T5 contractor; T4 workshop; T2, T3, T6, T7, T10 on site.
    assert_eq!(
        g.resolution_modes,
        ResolutionModes {
            phone: 1,
            on_site: 5,
            workshop: 1,
            contractor: 1,
        }
    );
}

#[test]
fn equipment_moves_count_in_the_period_they_happen() {
    let equipment = |period: Period| {
        report(&month(), period, &Sla::default(), at(12, 31, 0, 0))
            .general
            .equipment
    };
    let range = |from: &str, to: &str| Period::parse_range(from, to).unwrap();
    // September: T11's equipment went to the workshop on 16/09 11:00 and has not come back:
    // 349 h away in the month, 14.5 days.
    assert_eq!(
        equipment(Period::parse_month("2026-09").unwrap()),
        Equipment {
            workshop_sends: 1,
            contractor_sends: 0,
            returns: 0,
            out_at_end: 1,
            custody_days: 15,
        }
    );
    // 5 to 8 October: T4's went to the workshop and T5's to the contractor on 07/10; T4's came
    // back on 09/10, after the range, so all three were out at its end. Away: T4 38 h, T5 32 h,
    // T11 the 96 h of the range: 166 h, 6.9 days.
    assert_eq!(
        equipment(range("2026-10-05", "2026-10-08")),
        Equipment {
            workshop_sends: 1,
            contractor_sends: 1,
            returns: 0,
            out_at_end: 3,
            custody_days: 7,
        }
    );
    // 9 to 31 October: only T4's return, though T4 was received on 06/10, before the range.
    // Away: T4 15 h, T5 and T11 552 h each: 1119 h, 46.6 days.
    assert_eq!(
        equipment(range("2026-10-09", "2026-10-31")),
        Equipment {
            workshop_sends: 0,
            contractor_sends: 0,
            returns: 1,
            out_at_end: 2,
            custody_days: 47,
        }
    );
}

#[test]
fn satisfaction() {
    let s = october_report().general.satisfaction;
    // Resolved in October: T1, T2, T3, T4, T5, T6, T7, T10 (8); surveyed: T1 (5,5,5), T2 (4,5,4),
    // T4 (3,4,4), T6 (5,4,5), T10 (4,4,3) = 5, 62.5 %. Timeliness 21/5 = 4.2, treatment
    // 22/5 = 4.4, solution 21/5 = 4.2, all answers 64/15 = 4.2667 → 4.27.
    let overall = SatisfactionGroup {
        key: String::new(),
        label: "Total".into(),
        eligible: 8,
        answered: 5,
        response_rate: Some(62.5),
        averages: [Some(4.2), Some(4.4), Some(4.2)],
        average: Some(4.27),
    };
    assert_eq!(s.overall, overall);
    let group =
        |key: &str, label: &str, eligible, answered, rate, averages, average| SatisfactionGroup {
            key: key.into(),
            label: label.into(),
            eligible,
            answered,
            response_rate: rate,
            averages,
            average,
        };
    assert_eq!(
        s.by_assignee,
        vec![
            // T1, T2, T6, T10, all surveyed: (5+4+5+4)/4 = 4.5, (5+5+4+4)/4 = 4.5,
            // (5+4+5+3)/4 = 4.25; all answers (18 + 18 + 17) / 12 = 53/12 = 4.42.
            group(
                "u-ana",
                "Ana Torres",
                4,
                4,
                Some(100.0),
                [Some(4.5), Some(4.5), Some(4.25)],
                Some(4.42)
            ),
            // T3, T4, T7; only T4 (3,4,4): 1/3 = 33.3 %, 11/3 = 3.67.
            group(
                "u-bruno",
                "Bruno Díaz",
                3,
                1,
                Some(33.3),
                [Some(3.0), Some(4.0), Some(4.0)],
                Some(3.67)
            ),
            // T5, not surveyed.
            group(
                "u-redes",
                "Redes SAS (contratista)",
                1,
                0,
                Some(0.0),
                [None, None, None],
                None
            ),
        ]
    );
    assert_eq!(
        s.by_dependencia,
        vec![
            // T2, T4, T10: (4+3+4)/3 = 3.67, (5+4+4)/3 = 4.33, (4+4+3)/3 = 3.67; 35/9 = 3.89.
            group(
                "EDU",
                "Educación",
                3,
                3,
                Some(100.0),
                [Some(3.67), Some(4.33), Some(3.67)],
                Some(3.89)
            ),
            // T1, T3, T6; T1 and T6: 5, 4.5, 5; 29/6 = 4.83.
            group(
                "HAC",
                "Hacienda",
                3,
                2,
                Some(66.7),
                [Some(5.0), Some(4.5), Some(5.0)],
                Some(4.83)
            ),
            // T5, T7, none surveyed.
            group("SAL", "Salud", 2, 0, Some(0.0), [None, None, None], None),
        ]
    );
}

#[test]
fn received_and_resolved_per_day() {
    let g = october_report().general;
    assert_eq!(g.daily.len(), 31);
    let day = |d: u32| {
        let c = &g.daily[d as usize - 1];
        assert_eq!(c.date, NaiveDate::from_ymd_opt(2026, 10, d).unwrap());
        (c.received, c.resolved)
    };
    assert_eq!(day(1), (1, 2)); // T1 received; T1 and T10 resolved.
    assert_eq!(day(2), (1, 1)); // T2.
    assert_eq!(day(9), (2, 1)); // T6, T7 received; T4 resolved.
    assert_eq!(day(12), (0, 0)); // The holiday.
    assert_eq!(day(13), (0, 2)); // T5, T6.
    assert_eq!(day(30), (1, 0)); // T13.
    assert_eq!(g.daily.iter().map(|d| d.received).sum::<u64>(), 10);
    assert_eq!(g.daily.iter().map(|d| d.resolved).sum::<u64>(), 8);
}

/// Number, state, resolution mode, response and resolution SLA, visits, absent visits, business
/// hours to resolution (without the absences: T3's 480 minutes and T10's 960, see
/// `sla_compliance_across_the_holiday`), survey answers.
type Expected = (
    u32,
    &'static str,
    &'static str,
    SlaOutcome,
    SlaOutcome,
    i64,
    i64,
    Option<f64>,
    [Option<i64>; 3],
);

#[test]
fn detailed_rows() {
    use SlaOutcome::*;
    let detail = october_report().detail;
    // Every ticket relevant to October, by creation: T11 and T10 (carried over), T1–T9, T13.
    // T12 was done in September.
    #[rustfmt::skip]
    let expected: [Expected; 12] = [
        (11, "En taller", "", OnTime, Overdue, 1, 0, None, [None; 3]),
        (10, "Cerrada", "En sitio", OnTime, OnTime, 2, 1, Some(10.0), [Some(4), Some(4), Some(3)]),
        (1, "Cerrada", "Telefónica", OnTime, OnTime, 0, 0, Some(1.0), [Some(5), Some(5), Some(5)]),
        (2, "Cerrada", "En sitio", OnTime, OnTime, 1, 0, Some(2.0), [Some(4), Some(5), Some(4)]),
        (3, "Resuelta", "En sitio", OnTime, OnTime, 2, 1, Some(3.0), [None; 3]),
        (4, "Cerrada", "En taller", OnTime, OnTime, 1, 0, Some(26.0), [Some(3), Some(4), Some(4)]),
        (5, "Cerrada", "Por contratista", Late, Late, 1, 0, Some(26.0), [None; 3]),
        (6, "Resuelta", "En sitio", OnTime, OnTime, 1, 0, Some(7.0), [Some(5), Some(4), Some(5)]),
        (7, "Resuelta", "En sitio", Late, Late, 1, 0, Some(11.0), [None; 3]),
        (8, "Anulada", "", NotApplicable, NotApplicable, 0, 0, None, [None; 3]),
        (9, "Usuario ausente (revisita programada)", "", OnTime, Overdue, 1, 1, None, [None; 3]),
        (13, "Registrada", "", NotApplicable, NotApplicable, 0, 0, None, [None; 3]),
    ];
    assert_eq!(detail.len(), expected.len());
    for (row, (n, state, resolution, response, resolved, visits, absent, hours, survey)) in
        detail.iter().zip(expected)
    {
        assert_eq!(row.number, format!("SAT-2026-{n:06}"));
        assert_eq!(row.state, state, "T{n}");
        assert_eq!(row.resolution, resolution, "T{n}");
        assert_eq!(row.response_sla, response, "T{n}");
        assert_eq!(row.resolution_sla, resolved, "T{n}");
        assert_eq!((row.visits, row.absent_visits), (visits, absent), "T{n}");
        assert_eq!(row.resolution_hours, hours, "T{n}");
        assert_eq!(row.survey, survey, "T{n}");
    }
    let t5 = &detail[6];
    assert_eq!(t5.dependencia, "Salud");
    assert_eq!(t5.equipment, "IMP-0005");
    assert_eq!(t5.channel, "GLPI");
    assert_eq!(t5.priority, "Media");
    assert_eq!(t5.assignee, "Redes SAS (contratista)");
    assert_eq!(t5.requester, "Funcionario 5");
    assert_eq!(t5.created_at, at(10, 7, 8, 0));
    assert_eq!(detail[11].priority, "Sin prioridad");
    assert_eq!(detail[11].assignee, "Sin asignar");
    assert_eq!(detail[11].channel, "En sitio");
}

#[test]
fn an_unfinished_month_is_judged_now() {
    // Judged on 30 October at 10:00: T9's resolution (due 30/10 12:00) is still within its term.
    let now = at(10, 30, 10, 0);
    let r = report(&month(), october(), &Sla::default(), now);
    assert_eq!(r.general.as_of, now);
    let t9 = r.detail.iter().find(|d| d.number.ends_with("09")).unwrap();
    assert_eq!(t9.resolution_sla, SlaOutcome::Pending);
    assert_eq!(r.general.sla.resolution.overdue_open, 1); // T11 only.
}

#[test]
fn people_read_decimal_commas() {
    assert_eq!(decimal(4.27, 2), "4,27");
    assert_eq!(percent_text(Some(62.5)), "62,5 %");
    assert_eq!(percent_text(None), "—");
    assert_eq!(optional_text(Some(13.8), 1), "13,8");
    assert_eq!(datetime_text(at(10, 1, 9, 30)), "01/10/2026 09:30");
}
