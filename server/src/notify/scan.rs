//! The scheduled notifications: a planned return visit falling due (to the responsible),
//! equipment at the workshop or with the contractor longer than `CAMPO_CUSTODY_OVERDUE_DAYS`
//! (to the responsible and the coordinators), and the survey reminder, mailed once to an
//! official who has not answered `CAMPO_SURVEY_REMINDER_DAYS` business days after the
//! resolution.
//!
//! The schedule lives in the store, not in timers: every `CAMPO_NOTICE_SCAN_SECS` each replica
//! asks the store which cases are due now (questions that read only the cases they may concern,
//! through indexes, and skip those already notified) and records their notifications under a
//! unique key, so a restart in the middle or a second replica never sends one twice.

use std::sync::Arc;

use campo_shared::calendar::{BusinessCalendar, to_local, to_utc};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use tokio::sync::Notify;

use super::compose::date_time;
use crate::AppState;
use crate::store::{NewNotification, now_ms, survey_reminder_key, visit_due_key};

/// How long before a planned return the responsible is told.
pub const VISIT_LEAD_MS: i64 = 3600 * 1000;
/// A survey reminder more than this long after the resolution is not sent any more (the scan
/// reads only the cases resolved within it).
pub const SURVEY_WINDOW_MS: i64 = 45 * 24 * 3600 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Scans until the process ends; `wake` tells the sender that mail was enqueued.
pub async fn run(state: AppState, wake: Arc<Notify>) {
    let every = state.config.notices.scan_every;
    loop {
        match scan(&state, now_ms()).await {
            Ok(0) => {}
            Ok(added) => {
                tracing::debug!(added, "scheduled notifications enqueued");
                wake.notify_one();
            }
            Err(err) => tracing::error!(err = %err, "could not scan for scheduled notifications"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Records every scheduled notification due at `now`; returns how many were added.
pub async fn scan(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let mut added = visits(state, now).await?;
    added += custody(state, now).await?;
    added += surveys(state, now).await?;
    Ok(added)
}

async fn visits(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let mut added = 0;
    for due in state.store.visits_due(now + VISIT_LEAD_MS).await? {
        let key = visit_due_key(&due.ticket_id, due.next_visit_at, &due.assignee_id);
        let new = NewNotification {
            key: &key,
            ticket_id: &due.ticket_id,
            user_id: Some(&due.assignee_id),
            email: None,
            kind: "visita_pendiente",
            subject: &format!("Visita pendiente: caso {}", due.number),
            body: &format!(
                "Quedó en volver el {} a {}.",
                date_time(due.next_visit_at),
                due.location
            ),
            created_at: now,
            in_reply_to: None,
        };
        added += usize::from(state.store.enqueue_notification(&new).await?);
    }
    Ok(added)
}

async fn custody(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let Some(days) = state.config.notices.custody_overdue_days else {
        return Ok(0);
    };
    let due = state
        .store
        .custody_due(now - i64::from(days) * DAY_MS)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let coordinators = super::active_coordinators(state).await?;
    let mut added = 0;
    for case in due {
        let done = state.store.notification_keys(&case.ticket_id).await?;
        let place = if case.state == "en_taller" {
            "en el taller"
        } else {
            "con el contratista"
        };
        let mut recipients: Vec<&str> = coordinators.iter().map(String::as_str).collect();
        if let Some(assignee) = case.assignee_id.as_deref()
            && !recipients.contains(&assignee)
        {
            recipients.push(assignee);
        }
        for user_id in recipients {
            let key = format!("custodia:{}:{}:{user_id}", case.ticket_id, case.since);
            if done.contains(&key) {
                continue;
            }
            let new = NewNotification {
                key: &key,
                ticket_id: &case.ticket_id,
                user_id: Some(user_id),
                email: None,
                kind: "custodia_vencida",
                subject: &format!(
                    "Equipo del caso {} {place} hace más de {days} días",
                    case.number
                ),
                body: &format!(
                    "El equipo del caso {} está {place} desde el {}.",
                    case.number,
                    date_time(case.since)
                ),
                created_at: now,
                in_reply_to: None,
            };
            added += usize::from(state.store.enqueue_notification(&new).await?);
        }
    }
    Ok(added)
}

async fn surveys(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let Some(days) = state.config.notices.survey_reminder_days else {
        return Ok(0);
    };
    // N business days take at least N calendar days: no case resolved later can be due.
    let candidates = state
        .store
        .surveys_due(now - SURVEY_WINDOW_MS, now - i64::from(days) * DAY_MS)
        .await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    // The office's calendar now (its hours, holidays and closures by decree).
    let calendar = state.store.sla().await?.current().calendar.clone();
    let public_url = state.config.public_url.as_deref();
    let mut added = 0;
    for case in candidates {
        // Reopened since: its survey is not due.
        if !matches!(case.state.as_str(), "resuelta" | "cerrada") {
            continue;
        }
        let (Some(resolved), Some(now_utc)) = (
            DateTime::from_timestamp_millis(case.resolved_at),
            DateTime::from_timestamp_millis(now),
        ) else {
            continue;
        };
        if survey_reminder_due(&calendar, resolved, days) > now_utc {
            continue;
        }
        let Some(user) = state.store.user_by_id(&case.requester_id).await? else {
            continue;
        };
        let link = match public_url {
            Some(url) => format!(
                "Respóndala aquí: {}/casos/{}/encuesta",
                url.trim_end_matches('/'),
                case.ticket_id
            ),
            None => format!("Respóndala en Campo, en su caso {}.", case.number),
        };
        let body = format!(
            "Hola, {}:\n\nResolvimos su caso {} y aún no nos ha contado cómo lo atendimos. \
             La encuesta toma un minuto y nos ayuda a mejorar.\n\n{link}\n\nSecretaría TIC — \
             Campo\n",
            user.full_name, case.number
        );
        let key = survey_reminder_key(&case.ticket_id);
        let new = NewNotification {
            key: &key,
            ticket_id: &case.ticket_id,
            user_id: Some(&user.id),
            email: user.email.as_deref().filter(|_| user.active),
            kind: "recordatorio_encuesta",
            subject: &format!("Caso {}: ¿cómo lo atendimos?", case.number),
            body: &body,
            created_at: now,
            in_reply_to: None,
        };
        added += usize::from(state.store.enqueue_notification(&new).await?);
    }
    Ok(added)
}

/// When the survey reminder of a case resolved at `resolved` falls due: at the opening of the
/// business day that follows `days` whole business days after the resolution's day (a day is a
/// business day when the calendar has working time in it: weekends, holidays and closures are
/// not).
pub fn survey_reminder_due(
    calendar: &BusinessCalendar,
    resolved: DateTime<Utc>,
    days: u32,
) -> DateTime<Utc> {
    let mut date = to_local(resolved).date();
    let mut counted = 0;
    // A year without `days` business days is no calendar `BusinessCalendar::new` accepts; the
    // bound only keeps a mistake from looping.
    for _ in 0..366 * 2 {
        date += Duration::days(1);
        let start = to_utc(date.and_time(NaiveTime::MIN));
        let end = to_utc((date + Duration::days(1)).and_time(NaiveTime::MIN));
        if calendar.business_minutes_between(start, end) > 0 {
            counted += 1;
            if counted >= days {
                return calendar.add_business_minutes(end, 1) - Duration::minutes(1);
            }
        }
    }
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;
    use campo_shared::calendar::default_windows;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        to_utc(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap(),
        )
    }

    #[test]
    fn reminders_count_business_days_after_the_resolution() {
        let calendar = BusinessCalendar::new(&default_windows()).unwrap();
        // Resolved Wednesday 2 December 2026 at 4 p.m.: Thursday 3, Friday 4 and Monday 7 are
        // three business days; Tuesday 8 is a holiday (Inmaculada Concepción), so the reminder
        // goes at Wednesday 9's opening.
        let due = survey_reminder_due(&calendar, local(2026, 12, 2, 16, 0), 3);
        assert_eq!(
            to_local(due).date(),
            NaiveDate::from_ymd_opt(2026, 12, 9).unwrap()
        );
        assert!(calendar.is_business_time(due));
        assert!(!calendar.is_business_time(due - Duration::minutes(1)));
        // Resolved Friday 4 December: Monday 7, Wednesday 9 and Thursday 10; due Friday 11.
        let due = survey_reminder_due(&calendar, local(2026, 12, 4, 9, 0), 3);
        assert_eq!(
            to_local(due).date(),
            NaiveDate::from_ymd_opt(2026, 12, 11).unwrap()
        );
        // One day: resolved Thursday 10, Friday 11 counts, due Monday 14.
        let due = survey_reminder_due(&calendar, local(2026, 12, 10, 11, 0), 1);
        assert_eq!(
            to_local(due).date(),
            NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()
        );
    }
}
