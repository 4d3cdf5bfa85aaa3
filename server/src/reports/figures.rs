//! The figures of the monthly report, defined once: pure functions over plain [`ReportTicket`]s,
//! a [`Period`] and the business calendar. The JSON page, the charts, the PDF, the XLSX and the CSV
//! all print the one [`Report`] computed here, so they cannot disagree.
//!
//! # Definitions (what a coordinator reads in the report)
//!
//! A period is a range of whole days in America/Bogota, `[from 00:00, to + 1 day 00:00)`. A
//! ticket is *done* at the first of `resolved_at`, `closed_at`, `cancelled_at`.
//!
//! - **Received**: created in the period. **Resolved**, **closed**, **cancelled**: that timestamp
//!   falls in the period.
//! - **Carried over**: created before the period and not done at its start. **Open at the end**:
//!   created before the end and not done then. So `carried over + received − done in the period =
//!   open at the end`.
//! - **Breakdowns** (dependencia, category, channel, priority, responsible): received, resolved
//!   and open at the end, by the ticket's current value (the projection keeps no history).
//! - **Resolution by mode** (tickets resolved in the period): by phone when the resolution was by
//!   phone; else *contractor* when the equipment went to the contractor; else *workshop* when it
//!   went to the workshop (or the ticket was attended in the workshop); else *on site*.
//! - **SLA**: response compliance counts the tickets first responded in the period (responded at
//!   or before `response_due` is on time); resolution compliance the tickets resolved in the period
//!   (`resolved_at <= resolution_due`). The deadlines come computed from the projection (business
//!   time, holidays, pauses while the user was absent). Tickets still open past a deadline at the
//!   end of the period are counted apart as *overdue*, not in the rate.
//! - **Times**: business hours on the calendar (working windows, Colombian holidays) from triage
//!   (the moment the SLA clock starts; creation when there was none) to the first response, and to
//!   the resolution; average and median over the same tickets as the SLA rates. The time to
//!   resolution leaves out the business time spent waiting for an absent user when the SLA policy
//!   stops the clock then (`pause_while_user_absent`), exactly as the resolution deadline does:
//!   a ticket resolved within its target's hours is on time.
//! - **Visits**: visits started in the period; *absent* when the user was not at the desk;
//!   *revisit* when the ticket had an earlier visit.
//! - **Equipment**: equipment sent to the workshop, sent to the contractor and returned in the
//!   period (the date of each workflow event), whichever period the ticket was received in.
//! - **Satisfaction**: of the tickets resolved in the period, those whose survey was answered
//!   before the end of the period (so a report does not change after it is filed); response rate
//!   and the average of each question (1–5), overall, per responsible and per dependencia.
//! - **Comparison**: the same headline figures for the previous period (the previous month for a
//!   month, else the same number of days just before).
//!
//! Rates are percentages rounded to one decimal, averages of answers to two, hours to one, once,
//! here: every output prints these rounded values.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use campo_shared::calendar::{self, Closure, bogota};
use campo_shared::event_kind::EventKind;
use campo_shared::schema::SurveyAnswers;
use campo_shared::sla::{self, Pause};
use chrono::NaiveDate;
use serde::Serialize;

use crate::projection::Sla;

use super::period::{Period, PeriodInfo, local_date, utc};
use super::ticket::{ReportTicket, ResolutionMode, SlaOutcome};

/// The figures compared with the previous period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    pub received: u64,
    pub resolved: u64,
    pub closed: u64,
    pub cancelled: u64,
    pub open_at_end: u64,
    pub carried_over: u64,
    pub visits: u64,
    pub absent_visits: u64,
    /// % of responses on time.
    pub response_on_time: Option<f64>,
    /// % of resolutions on time.
    pub resolution_on_time: Option<f64>,
    /// Average of every survey answer (1–5).
    pub satisfaction: Option<f64>,
}

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    /// Stable key (code, wire name or user id; empty for «none»).
    pub key: String,
    pub label: String,
    pub received: u64,
    pub resolved: u64,
    pub open_at_end: u64,
}

/// Resolutions per mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolutionModes {
    pub phone: u64,
    pub on_site: u64,
    pub workshop: u64,
    pub contractor: u64,
}

impl ResolutionModes {
    pub fn get(&self, mode: ResolutionMode) -> u64 {
        match mode {
            ResolutionMode::Phone => self.phone,
            ResolutionMode::OnSite => self.on_site,
            ResolutionMode::Workshop => self.workshop,
            ResolutionMode::Contractor => self.contractor,
        }
    }
}

/// Compliance with one kind of deadline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compliance {
    pub on_time: u64,
    pub late: u64,
    /// % on time of `on_time + late`.
    pub rate: Option<f64>,
    /// Still not met at the end of the period, past the deadline.
    pub overdue_open: u64,
    /// Still not met at the end of the period, the deadline still ahead (the clock running).
    pub running: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaFigures {
    pub response: Compliance,
    pub resolution: Compliance,
}

/// Average, median and 90th percentile, in business hours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeStats {
    pub count: u64,
    pub average_hours: Option<f64>,
    pub median_hours: Option<f64>,
    /// Nine cases in ten took at most this (nearest rank).
    pub p90_hours: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Times {
    pub response: TimeStats,
    pub resolution: TimeStats,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visits {
    pub total: u64,
    pub absent: u64,
    pub revisits: u64,
}

/// Equipment movements recorded in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Equipment {
    pub workshop_sends: u64,
    pub contractor_sends: u64,
    pub returns: u64,
    /// Cases whose equipment was still in the workshop or with the contractor at the period's
    /// end.
    pub out_at_end: u64,
    /// Days (calendar, whole, rounded) that equipment spent in the workshop or with the
    /// contractor within the period, summed over the cases.
    pub custody_days: u64,
}

/// Satisfaction of a group of tickets (all, a responsible, a dependencia).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SatisfactionGroup {
    pub key: String,
    pub label: String,
    /// Tickets resolved in the period.
    pub eligible: u64,
    /// Of those, surveyed before the end.
    pub answered: u64,
    /// % answered.
    pub response_rate: Option<f64>,
    /// Average per question, in [`SurveyAnswers::QUESTIONS`] order.
    pub averages: [Option<f64>; 3],
    /// Average of every answer.
    pub average: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Satisfaction {
    pub overall: SatisfactionGroup,
    /// The questions, in order.
    pub questions: [&'static str; 3],
    /// The words of the answers 1 to 5, as the official saw them.
    pub scale: [&'static str; 5],
    pub by_assignee: Vec<SatisfactionGroup>,
    pub by_dependencia: Vec<SatisfactionGroup>,
}

/// Received and resolved on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub date: NaiveDate,
    pub received: u64,
    pub resolved: u64,
}

/// The general report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneralReport {
    pub period: PeriodInfo,
    pub previous_period: PeriodInfo,
    /// The instant deadlines are judged at: the end of the period, or now if it has not ended.
    pub as_of: i64,
    pub headline: Headline,
    pub previous: Headline,
    pub by_dependencia: Vec<Breakdown>,
    pub by_category: Vec<Breakdown>,
    pub by_channel: Vec<Breakdown>,
    pub by_priority: Vec<Breakdown>,
    pub by_assignee: Vec<Breakdown>,
    pub resolution_modes: ResolutionModes,
    pub sla: SlaFigures,
    pub times: Times,
    pub visits: Visits,
    pub equipment: Equipment,
    pub satisfaction: Satisfaction,
    pub daily: Vec<DayCount>,
    /// The office's closures by decree within the period: they moved deadlines like holidays.
    pub closures: Vec<Closure>,
    /// The SLA policy versions the period's cases were measured with (each case with the one in
    /// force when it was received), oldest first.
    pub policies: Vec<PolicyNote>,
}

/// A version of the SLA policy, as the report's notes name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyNote {
    /// When it took effect (ms); 0 for the first version.
    pub effective_from: i64,
    /// Cases received in the period measured with it.
    pub cases: u64,
}

/// One row of the detailed report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetailRow {
    pub number: String,
    pub created_at: i64,
    pub requester: String,
    pub dependencia: String,
    pub equipment: String,
    pub category: String,
    pub channel: String,
    pub priority: String,
    pub assignee: String,
    pub state: String,
    pub summary: String,
    pub visits: i64,
    pub absent_visits: i64,
    pub responded_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    /// How it was resolved (label), empty when not resolved.
    pub resolution: String,
    pub solution: String,
    pub response_sla: SlaOutcome,
    pub resolution_sla: SlaOutcome,
    /// Business hours from reception to resolution (without the pauses, as in [`Times`]).
    pub resolution_hours: Option<f64>,
    pub survey: [Option<i64>; 3],
}

/// The whole report: general figures and detailed rows, from one computation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub general: GeneralReport,
    pub detail: Vec<DetailRow>,
}

/// Computes the report of `period` over `tickets` (which must include every ticket relevant to
/// the period and to the previous one; others are ignored), measuring times on the SLA policy's
/// calendar and judging deadlines at `now` when the period has not ended yet.
pub fn report(tickets: &[ReportTicket], period: Period, sla_policy: &Sla, now: i64) -> Report {
    let as_of = period.end_ms().min(now);
    let previous = period.previous();
    let general = GeneralReport {
        period: period.into(),
        previous_period: previous.into(),
        as_of,
        headline: headline(tickets, period, as_of),
        previous: headline(tickets, previous, previous.end_ms().min(now)),
        by_dependencia: breakdown(tickets, period, |t| {
            (
                t.dependencia.clone().unwrap_or_default(),
                t.dependencia_label(),
            )
        }),
        by_category: breakdown(tickets, period, |t| {
            (t.category.clone(), t.category.clone())
        }),
        by_channel: breakdown(tickets, period, |t| (t.channel.clone(), t.channel_label())),
        by_priority: breakdown(tickets, period, |t| {
            (t.priority.clone().unwrap_or_default(), t.priority_label())
        }),
        by_assignee: breakdown(tickets, period, |t| {
            (
                t.assignee_id.clone().unwrap_or_default(),
                t.assignee_label(),
            )
        }),
        resolution_modes: resolution_modes(tickets, period),
        sla: sla(tickets, period, as_of),
        times: times(tickets, period, sla_policy),
        visits: visits(tickets, period),
        equipment: equipment(tickets, period),
        satisfaction: satisfaction(tickets, period),
        daily: daily(tickets, period),
        closures: sla_policy
            .closures()
            .iter()
            .filter(|c| {
                let start = period.start_ms();
                let day =
                    calendar::to_utc(c.date.and_time(chrono::NaiveTime::MIN)).timestamp_millis();
                day + 86_400_000 > start && day < period.end_ms()
            })
            .cloned()
            .collect(),
        policies: policies(tickets, period, sla_policy),
    };
    Report {
        general,
        detail: detail(tickets, period, as_of, sla_policy),
    }
}

/// Whether a ticket belongs in the detailed report of `period`.
pub fn relevant(t: &ReportTicket, period: Period) -> bool {
    let (start, end) = (period.start_ms(), period.end_ms());
    t.created_at < end
        && (t.created_at >= start
            || t.open_at(start)
            || [t.resolved_at, t.closed_at, t.cancelled_at]
                .into_iter()
                .flatten()
                .any(|at| period.contains(at)))
}

fn in_period(at: Option<i64>, period: Period) -> bool {
    at.is_some_and(|at| period.contains(at))
}

fn count<'a>(
    tickets: impl IntoIterator<Item = &'a ReportTicket>,
    f: impl Fn(&ReportTicket) -> bool,
) -> u64 {
    tickets.into_iter().filter(|t| f(t)).count() as u64
}

/// `part / whole` as a percentage with one decimal, none when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 * 100.0 / whole as f64, 1))
}

/// Rounds half away from zero to `decimals`.
pub fn round(value: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (value * f).round() / f
}

fn headline(tickets: &[ReportTicket], period: Period, as_of: i64) -> Headline {
    let (start, end) = (period.start_ms(), period.end_ms());
    let sla = sla(tickets, period, as_of);
    let visits = visits(tickets, period);
    Headline {
        received: count(tickets, |t| period.contains(t.created_at)),
        resolved: count(tickets, |t| in_period(t.resolved_at, period)),
        closed: count(tickets, |t| in_period(t.closed_at, period)),
        cancelled: count(tickets, |t| in_period(t.cancelled_at, period)),
        open_at_end: count(tickets, |t| t.open_at(end)),
        carried_over: count(tickets, |t| t.open_at(start)),
        visits: visits.total,
        absent_visits: visits.absent,
        response_on_time: sla.response.rate,
        resolution_on_time: sla.resolution.rate,
        satisfaction: satisfaction(tickets, period).overall.average,
    }
}

fn breakdown(
    tickets: &[ReportTicket],
    period: Period,
    key: impl Fn(&ReportTicket) -> (String, String),
) -> Vec<Breakdown> {
    let end = period.end_ms();
    let mut groups: BTreeMap<String, Breakdown> = BTreeMap::new();
    for t in tickets {
        let received = period.contains(t.created_at);
        let resolved = in_period(t.resolved_at, period);
        let open = t.open_at(end);
        if !(received || resolved || open) {
            continue;
        }
        let (key, label) = key(t);
        let row = groups.entry(key.clone()).or_insert_with(|| Breakdown {
            key,
            label,
            received: 0,
            resolved: 0,
            open_at_end: 0,
        });
        row.received += u64::from(received);
        row.resolved += u64::from(resolved);
        row.open_at_end += u64::from(open);
    }
    let mut rows: Vec<Breakdown> = groups.into_values().collect();
    rows.sort_by(|a, b| {
        b.received
            .cmp(&a.received)
            .then(b.resolved.cmp(&a.resolved))
            .then_with(|| a.label.cmp(&b.label))
    });
    rows
}

fn resolution_modes(tickets: &[ReportTicket], period: Period) -> ResolutionModes {
    let resolved: Vec<ResolutionMode> = tickets
        .iter()
        .filter(|t| in_period(t.resolved_at, period))
        .filter_map(ReportTicket::resolution_mode)
        .collect();
    let n = |m| resolved.iter().filter(|&&r| r == m).count() as u64;
    ResolutionModes {
        phone: n(ResolutionMode::Phone),
        on_site: n(ResolutionMode::OnSite),
        workshop: n(ResolutionMode::Workshop),
        contractor: n(ResolutionMode::Contractor),
    }
}

fn compliance(
    tickets: &[ReportTicket],
    period: Period,
    as_of: i64,
    done: impl Fn(&ReportTicket) -> Option<i64>,
    due: impl Fn(&ReportTicket) -> Option<i64>,
) -> Compliance {
    let mut on_time = 0;
    let mut late = 0;
    let mut overdue_open = 0;
    let mut running = 0;
    for t in tickets {
        let Some(due) = due(t) else { continue };
        match done(t) {
            Some(at) if period.contains(at) => {
                if at <= due {
                    on_time += 1;
                } else {
                    late += 1;
                }
            }
            Some(at) if at < period.start_ms() => {}
            _ => {
                if t.open_at(as_of) && due < as_of {
                    overdue_open += 1;
                } else if t.open_at(as_of) {
                    running += 1;
                }
            }
        }
    }
    Compliance {
        on_time,
        late,
        rate: percent(on_time, on_time + late),
        overdue_open,
        running,
    }
}

fn sla(tickets: &[ReportTicket], period: Period, as_of: i64) -> SlaFigures {
    SlaFigures {
        response: compliance(tickets, period, as_of, ReportTicket::first_response, |t| {
            t.response_due
        }),
        resolution: compliance(
            tickets,
            period,
            as_of,
            |t| t.resolved_at,
            |t| t.resolution_due,
        ),
    }
}

/// Business minutes from the SLA clocks' start (reception) to `at`, on the calendar of the policy
/// in force at reception.
fn business_minutes(sla: &Sla, t: &ReportTicket, at: i64) -> i64 {
    sla.at(t.created_at)
        .calendar
        .business_minutes_between(utc(t.created_at), utc(at))
        .max(0)
}

/// Business minutes from the SLA clock's start to the resolution at `at`, less the time spent
/// waiting for an absent user up to then when the policy stops the clock for it: the minutes
/// the resolution deadline counts ([`sla::resolution_due_with_pauses`] adds the same pauses to
/// the target).
fn resolution_minutes(sla: &Sla, t: &ReportTicket, at: i64) -> i64 {
    let worked = business_minutes(sla, t, at);
    let version = sla.at(t.created_at);
    if !version.policy.pause_while_user_absent {
        return worked;
    }
    let pauses: Vec<Pause> = t
        .absences
        .iter()
        .map(|a| Pause {
            start: utc(a.start),
            end: Some(utc(a.end.unwrap_or(at).min(at))),
        })
        .collect();
    let paused =
        sla::paused_business_minutes(&version.calendar, utc(t.created_at), &pauses, utc(at));
    (worked - paused).max(0)
}

fn time_stats(mut minutes: Vec<i64>) -> TimeStats {
    minutes.sort_unstable();
    let n = minutes.len();
    let hours = |m: f64| round(m / 60.0, 1);
    TimeStats {
        count: n as u64,
        average_hours: (n > 0).then(|| hours(minutes.iter().sum::<i64>() as f64 / n as f64)),
        median_hours: (n > 0).then(|| {
            let mid = if n % 2 == 1 {
                minutes[n / 2] as f64
            } else {
                (minutes[n / 2 - 1] + minutes[n / 2]) as f64 / 2.0
            };
            hours(mid)
        }),
        p90_hours: (n > 0).then(|| hours(minutes[(n * 9).div_ceil(10) - 1] as f64)),
    }
}

fn times(tickets: &[ReportTicket], period: Period, sla: &Sla) -> Times {
    let in_period = |at: Option<i64>| at.filter(|&at| period.contains(at));
    let response = tickets
        .iter()
        .filter_map(|t| in_period(t.first_response()).map(|at| business_minutes(sla, t, at)))
        .collect();
    let resolution = tickets
        .iter()
        .filter_map(|t| in_period(t.resolved_at).map(|at| resolution_minutes(sla, t, at)))
        .collect();
    Times {
        response: time_stats(response),
        resolution: time_stats(resolution),
    }
}

/// The policy versions that measured the cases received in the period, with how many each.
fn policies(tickets: &[ReportTicket], period: Period, sla: &Sla) -> Vec<PolicyNote> {
    let mut notes: Vec<PolicyNote> = Vec::new();
    for t in tickets.iter().filter(|t| period.contains(t.created_at)) {
        let from = sla.at(t.created_at).effective_from;
        match notes.iter_mut().find(|n| n.effective_from == from) {
            Some(note) => note.cases += 1,
            None => notes.push(PolicyNote {
                effective_from: from,
                cases: 1,
            }),
        }
    }
    notes.sort_by_key(|n| n.effective_from);
    notes
}

fn visits(tickets: &[ReportTicket], period: Period) -> Visits {
    let mut out = Visits {
        total: 0,
        absent: 0,
        revisits: 0,
    };
    for t in tickets {
        let first = t.visit_log.iter().map(|v| v.started_at).min();
        for v in t.visit_log.iter().filter(|v| period.contains(v.started_at)) {
            out.total += 1;
            out.absent += u64::from(!v.user_present);
            out.revisits += u64::from(first.is_some_and(|f| f < v.started_at));
        }
    }
    out
}

fn equipment(tickets: &[ReportTicket], period: Period) -> Equipment {
    let mut out = Equipment {
        workshop_sends: 0,
        contractor_sends: 0,
        returns: 0,
        out_at_end: 0,
        custody_days: 0,
    };
    let events = tickets.iter().flat_map(|t| &t.equipment_events);
    for e in events.filter(|e| period.contains(e.at)) {
        match e.kind {
            EventKind::SentToWorkshop => out.workshop_sends += 1,
            EventKind::SentToContractor => out.contractor_sends += 1,
            EventKind::EquipmentReturned => out.returns += 1,
            _ => {}
        }
    }
    let (start, end) = (period.start_ms(), period.end_ms());
    let mut custody_ms = 0;
    for t in tickets {
        // The workflow accepts a send only while the equipment is at the desk and a return only
        // while it is out, so sends and returns alternate (a send to the contractor from the
        // workshop keeps it out): each send opens a stay away, the next return closes it.
        let mut stays: Vec<(i64, Option<i64>)> = Vec::new();
        for e in &t.equipment_events {
            let away = stays.last().is_some_and(|(_, until)| until.is_none());
            match e.kind {
                EventKind::EquipmentReturned if away => {
                    if let Some((_, until)) = stays.last_mut() {
                        *until = Some(e.at);
                    }
                }
                EventKind::SentToWorkshop | EventKind::SentToContractor if !away => {
                    stays.push((e.at, None));
                }
                _ => {}
            }
        }
        for &(since, until) in &stays {
            custody_ms += overlap(since, until.unwrap_or(end), start, end);
        }
        let out_at_end = stays
            .iter()
            .any(|&(since, until)| since < end && until.is_none_or(|until| until >= end));
        out.out_at_end += u64::from(out_at_end);
    }
    const DAY_MS: i64 = 24 * 3_600_000;
    out.custody_days = ((custody_ms + DAY_MS / 2) / DAY_MS) as u64;
    out
}

/// How much of `[from, to)` falls within `[start, end)`, in milliseconds.
fn overlap(from: i64, to: i64, start: i64, end: i64) -> i64 {
    (to.min(end) - from.max(start)).max(0)
}

fn satisfaction_group<'a>(
    key: String,
    label: String,
    eligible: impl Iterator<Item = &'a ReportTicket>,
    end: i64,
) -> SatisfactionGroup {
    let mut eligible_n = 0;
    let mut answered = 0;
    let mut sums = [0i64; 3];
    let mut counts = [0i64; 3];
    for t in eligible {
        eligible_n += 1;
        if !t.surveyed_before(end) {
            continue;
        }
        answered += 1;
        for (i, a) in t.answers().into_iter().enumerate() {
            if let Some(a) = a {
                sums[i] += a;
                counts[i] += 1;
            }
        }
    }
    let avg = |s: i64, c: i64| (c > 0).then(|| round(s as f64 / c as f64, 2));
    SatisfactionGroup {
        key,
        label,
        eligible: eligible_n,
        answered,
        response_rate: percent(answered, eligible_n),
        averages: [0, 1, 2].map(|i| avg(sums[i], counts[i])),
        average: avg(sums.iter().sum(), counts.iter().sum()),
    }
}

fn satisfaction(tickets: &[ReportTicket], period: Period) -> Satisfaction {
    let end = period.end_ms();
    let resolved: Vec<&ReportTicket> = tickets
        .iter()
        .filter(|t| in_period(t.resolved_at, period))
        .collect();
    let grouped = |key: fn(&ReportTicket) -> (String, String)| {
        let mut groups: BTreeMap<String, (String, Vec<&ReportTicket>)> = BTreeMap::new();
        for t in &resolved {
            let (k, label) = key(t);
            groups
                .entry(k)
                .or_insert_with(|| (label, Vec::new()))
                .1
                .push(t);
        }
        let mut rows: Vec<SatisfactionGroup> = groups
            .into_iter()
            .map(|(k, (label, ts))| satisfaction_group(k, label, ts.into_iter(), end))
            .collect();
        rows.sort_by(|a, b| {
            b.eligible
                .cmp(&a.eligible)
                .then_with(|| a.label.cmp(&b.label))
        });
        rows
    };
    Satisfaction {
        overall: satisfaction_group(String::new(), "Total".into(), resolved.iter().copied(), end),
        questions: SurveyAnswers::QUESTIONS.map(|(_, q)| q),
        scale: SurveyAnswers::SCALE,
        by_assignee: grouped(|t| {
            (
                t.assignee_id.clone().unwrap_or_default(),
                t.assignee_label(),
            )
        }),
        by_dependencia: grouped(|t| {
            (
                t.dependencia.clone().unwrap_or_default(),
                t.dependencia_label(),
            )
        }),
    }
}

fn daily(tickets: &[ReportTicket], period: Period) -> Vec<DayCount> {
    let mut days: Vec<DayCount> = period
        .dates()
        .map(|date| DayCount {
            date,
            received: 0,
            resolved: 0,
        })
        .collect();
    let index = |ms: i64| {
        period
            .contains(ms)
            .then(|| (local_date(ms) - period.from).num_days() as usize)
    };
    for t in tickets {
        if let Some(i) = index(t.created_at) {
            days[i].received += 1;
        }
        if let Some(i) = t.resolved_at.and_then(index) {
            days[i].resolved += 1;
        }
    }
    days
}

fn detail(tickets: &[ReportTicket], period: Period, as_of: i64, sla: &Sla) -> Vec<DetailRow> {
    let mut rows: Vec<&ReportTicket> = tickets.iter().filter(|t| relevant(t, period)).collect();
    rows.sort_by(|a, b| match a.created_at.cmp(&b.created_at) {
        Ordering::Equal => a.number.cmp(&b.number),
        other => other,
    });
    rows.into_iter()
        .map(|t| DetailRow {
            number: t.number.clone(),
            created_at: t.created_at,
            requester: t.requester_name.clone(),
            dependencia: t.dependencia_label(),
            equipment: t.equipment.join(", "),
            category: t.category.clone(),
            channel: t.channel_label(),
            priority: t.priority_label(),
            assignee: t.assignee_label(),
            state: t.state_label(),
            summary: t.summary.clone(),
            visits: t.visits,
            absent_visits: t.absent_visits,
            responded_at: t.responded_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            cancelled_at: t.cancelled_at,
            resolution: t
                .resolution_mode()
                .map_or(String::new(), |m| m.label().to_owned()),
            solution: t.report_summary.clone().unwrap_or_default(),
            response_sla: t.response_sla(as_of),
            resolution_sla: t.resolution_sla(as_of),
            resolution_hours: t
                .resolved_at
                .map(|at| round(resolution_minutes(sla, t, at) as f64 / 60.0, 1)),
            survey: t.answers(),
        })
        .collect()
}

/// es-CO number formatting for people: decimal comma, no thousands separator (so a spreadsheet
/// in es-CO reads it back as a number).
pub fn decimal(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}").replace('.', ",")
}

/// A percentage for people: «75,0 %», or «—» when there is nothing to measure.
pub fn percent_text(value: Option<f64>) -> String {
    value.map_or("—".into(), |v| format!("{} %", decimal(v, 1)))
}

/// An optional number for people with `decimals`, or «—».
pub fn optional_text(value: Option<f64>, decimals: usize) -> String {
    value.map_or("—".into(), |v| decimal(v, decimals))
}

/// A date and time in Bogota: «01/10/2026 09:30».
pub fn datetime_text(ms: i64) -> String {
    utc(ms)
        .with_timezone(&bogota())
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

#[cfg(test)]
pub(crate) mod tests;
