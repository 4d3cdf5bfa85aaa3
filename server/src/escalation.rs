//! Escalation (activities 3 and 11): before a case's deadline passes, and when it does, the
//! coordinators hear of it in the app and by e-mail; when it passes, the second level too
//! (`/api/settings/escalation`).
//!
//! Each clock of a case (time to take charge, time to resolve) has two levels: «aviso» at the
//! policy's share of the deadline (`warn_percent`, 75 % by default; the projection writes the
//! moment as `response_warn_at` / `resolution_warn_at`, null once that clock stopped) and
//! «vencido» at the deadline. Each fires once per case, clock and level, whatever restarts or
//! replicas: the notifications carry a key of their own (`sla:{case}:{clock}:{level}:{user}`),
//! and `sla_escalations` records the level once they are enqueued.
//!
//! The schedule lives in the store, not in timers: a scan every [`SCAN_EVERY`] reads the cases
//! whose warning or deadline fell since the previous scan (kept in the settings as
//! [`WATERMARK_SETTING`]), through partial indexes that hold the running clocks only, so its cost
//! follows what falls due, never the closed cases. A re-triage can move a deadline to before the
//! previous scan: a case re-triaged on this replica is checked at once.

use std::collections::BTreeSet;
use std::time::Duration;

use campo_shared::calendar::to_local;
use campo_shared::event_kind::EventKind;
use campo_shared::workflow::utc;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::api::sla::{ESCALATION_SETTING, Escalation};
use crate::store::{NewNotification, TicketRow};

/// How often the scan runs.
const SCAN_EVERY: Duration = Duration::from_secs(30);
/// Where the store keeps the instant the last scan covered.
pub const WATERMARK_SETTING: &str = "escalation_scanned_to";
/// How far before the watermark each scan looks again, for replicas whose scans overlap and a
/// database clock read between two commits.
const OVERLAP_MS: i64 = 60_000;

/// How far back the first scan of a store looks.
const FIRST_LOOK_BACK_MS: i64 = 24 * 3_600_000;

/// One of a case's two clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Time to take charge.
    Response,
    /// Time to resolve.
    Resolution,
}

impl Clock {
    pub const fn as_str(self) -> &'static str {
        match self {
            Clock::Response => "respuesta",
            Clock::Resolution => "solucion",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Clock::Response => "atención (toma del caso)",
            Clock::Resolution => "solución",
        }
    }

    /// The clock's warning moment and deadline when it runs.
    fn times(self, t: &TicketRow) -> Option<(i64, i64)> {
        match self {
            Clock::Response => Some((t.response_warn_at?, t.response_due?)),
            Clock::Resolution => Some((t.resolution_warn_at?, t.resolution_due?)),
        }
    }
}

/// How near the deadline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The warning share of the deadline passed.
    Warning,
    /// The deadline passed.
    Missed,
}

impl Level {
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "aviso",
            Level::Missed => "vencido",
        }
    }

    /// The notification kind.
    const fn kind(self) -> &'static str {
        match self {
            Level::Warning => "plazo_proximo",
            Level::Missed => "plazo_vencido",
        }
    }
}

/// Starts the scan.
pub fn spawn(state: AppState) {
    tokio::spawn(run(state));
}

async fn run(state: AppState) {
    let mut changes = state.documents.subscribe();
    let closed = state.documents.closed();
    tokio::pin!(closed);
    let mut changed: BTreeSet<String> = BTreeSet::new();
    let mut tick = tokio::time::interval(SCAN_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            change = changes.recv() => match change {
                // Only a re-triage can move a deadline back before the last scan: scan now.
                Ok(change) if change.new_events.contains(&EventKind::Prioritized) => {
                    changed.insert(change.document.to_bs58check());
                }
                Ok(_) => continue,
                // Missed changes: their warning points are in the scan's range unless a
                // re-triage moved them back, which the next change of the case reveals.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
            () = &mut closed => return,
        }
        let ids = std::mem::take(&mut changed);
        if let Err(err) = scan(&state, ids).await {
            tracing::warn!(%err, "escalation scan failed; the next one retries");
        }
    }
}

/// One pass: every case whose warning or deadline fell since the last pass, and `changed`.
/// Returns how many escalations fired.
pub async fn scan(state: &AppState, changed: BTreeSet<String>) -> anyhow::Result<usize> {
    let now = state.store.database_now_ms().await?;
    // The first scan of a store (a new installation, or one upgraded to this version) looks one
    // day back: older deadlines are on the board already, and a mail for each would bury the
    // coordinators.
    let since = state
        .store
        .setting::<i64>(WATERMARK_SETTING)
        .await?
        .map_or(now - FIRST_LOOK_BACK_MS, |at| at - OVERLAP_MS);
    let mut ids: BTreeSet<String> = state
        .store
        .clocks_falling_due(since, now)
        .await?
        .into_iter()
        .collect();
    ids.extend(changed);
    let mut fired = 0;
    for id in ids {
        let Some(ticket) = state.store.ticket(&id).await? else {
            continue;
        };
        fired += escalate(state, &ticket, now).await?;
    }
    state.store.put_setting(WATERMARK_SETTING, &now).await?;
    Ok(fired)
}

/// Fires the levels of `ticket`'s running clocks reached at `now` and not fired yet.
async fn escalate(state: &AppState, ticket: &TicketRow, now: i64) -> anyhow::Result<usize> {
    let mut fired = 0;
    for clock in [Clock::Response, Clock::Resolution] {
        let Some((warn_at, due)) = clock.times(ticket) else {
            continue;
        };
        for (level, at) in [(Level::Warning, warn_at), (Level::Missed, due)] {
            if at > now || state.store.escalated(&ticket.id, clock, level).await? {
                continue;
            }
            notify(state, ticket, clock, level, due).await?;
            state
                .store
                .record_escalation(&ticket.id, clock, level, due, now)
                .await?;
            tracing::info!(
                case = ticket.number,
                clock = clock.as_str(),
                level = level.as_str(),
                "deadline escalated"
            );
            fired += 1;
        }
    }
    Ok(fired)
}

/// Enqueues the escalation's notifications: every active coordinator, and the second level when
/// the deadline was missed.
async fn notify(
    state: &AppState,
    ticket: &TicketRow,
    clock: Clock,
    level: Level,
    due: i64,
) -> anyhow::Result<()> {
    let mut recipients = state.store.list_users(Some("coordinador")).await?;
    if level == Level::Missed {
        let escalation: Escalation = state
            .store
            .setting(ESCALATION_SETTING)
            .await?
            .unwrap_or_default();
        for id in &escalation.second_level {
            if let Some(user) = state.store.user_by_id(id).await?
                && !recipients.iter().any(|r| r.id == user.id)
            {
                recipients.push(user);
            }
        }
    }
    let due_text = utc(due)
        .map(|at| to_local(at).format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default();
    let subject = match level {
        Level::Warning => format!(
            "{}: el plazo de {} vence pronto ({due_text})",
            ticket.number,
            clock.label()
        ),
        Level::Missed => format!(
            "{}: venció el plazo de {} ({due_text})",
            ticket.number,
            clock.label()
        ),
    };
    let assignee = ticket
        .assignee_name
        .as_deref()
        .unwrap_or("sin responsable asignado");
    let mut body = format!(
        "Caso {}: {}\nDependencia: {}\nResponsable: {assignee}\nPlazo de {}: {due_text} (hora de Bogotá).\n",
        ticket.number,
        ticket.summary,
        ticket.dependencia.as_deref().unwrap_or(""),
        clock.label(),
    );
    if let Some(url) = state.config.public_url.as_deref() {
        body.push_str(&format!(
            "\nAbrir el caso: {}/casos/{}\n",
            url.trim_end_matches('/'),
            ticket.id
        ));
    }
    let created_at = crate::store::now_ms();
    for user in recipients.iter().filter(|u| u.active) {
        let key = format!(
            "sla:{}:{}:{}:{}",
            ticket.id,
            clock.as_str(),
            level.as_str(),
            user.id
        );
        state
            .store
            .enqueue_notification(&NewNotification {
                key: &key,
                ticket_id: &ticket.id,
                user_id: Some(&user.id),
                email: user.email.as_deref(),
                kind: level.kind(),
                subject: &subject,
                body: &body,
                created_at,
                in_reply_to: None,
            })
            .await?;
    }
    Ok(())
}
