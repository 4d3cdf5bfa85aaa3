//! Service levels (activity 4): priorities, their response and resolution targets in business
//! minutes, and the deadlines that follow from them on the [`BusinessCalendar`].
//!
//! Two clocks run from the moment a request is received, whatever the channel, as in ITIL and
//! GLPI: the time to take charge (until it is accepted, assigned or attended) and the time to
//! resolve. Until triage sets the priority, the response clock runs against the policy's
//! reception target and the resolution clock has no deadline yet.
//!
//! The policy is configuration with a history: the server stores each [`SlaPolicy`] with the
//! moment it took effect, and a case is measured with the policy in force when it was received, so
//! changing the policy never moves the deadlines already promised. Deadlines are computed, never
//! stored in the ticket document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, CalendarError, Window, default_windows};
use crate::wire::wire_enum;

wire_enum! {
    /// How urgent a ticket is, set by the coordinator at triage. Three levels, as officials and
    /// coordinators can tell them apart without a manual; a "critical" level would mostly be
    /// "alta" with a shorter target, which the policy already allows.
    pub enum Priority: "prioridad" {
        /// Work stopped for a person or an office.
        Alta = "alta",
        /// Work is hampered but goes on.
        Media = "media",
        /// An inconvenience or a planned request.
        Baja = "baja",
    }
}

impl Priority {
    /// The Spanish name shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            Priority::Alta => "Alta",
            Priority::Media => "Media",
            Priority::Baja => "Baja",
        }
    }
}

/// The targets of one priority, in business minutes (an 8-hour business day is 480 minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// From reception until someone takes the case (acceptance, assignment or first contact).
    pub response_minutes: i64,
    /// From reception until the problem is resolved.
    pub resolution_minutes: i64,
}

/// The targets of every priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// Targets for [`Priority::Alta`].
    pub alta: Target,
    /// Targets for [`Priority::Media`].
    pub media: Target,
    /// Targets for [`Priority::Baja`].
    pub baja: Target,
}

impl Targets {
    /// The targets of one priority.
    pub const fn get(&self, priority: Priority) -> Target {
        match priority {
            Priority::Alta => self.alta,
            Priority::Media => self.media,
            Priority::Baja => self.baja,
        }
    }
}

impl Default for Targets {
    /// Alta: respond within 1 business hour, resolve within 1 business day. Media: half a day and
    /// 3 business days. Baja: 1 and 5 business days. Common figures for an internal help desk
    /// whose technicians travel between buildings; the office is expected to tune them.
    fn default() -> Self {
        Self {
            alta: Target {
                response_minutes: 60,
                resolution_minutes: 480,
            },
            media: Target {
                response_minutes: 240,
                resolution_minutes: 3 * 480,
            },
            baja: Target {
                response_minutes: 480,
                resolution_minutes: 5 * 480,
            },
        }
    }
}

/// The office's SLA configuration, stored by the server as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaPolicy {
    /// Targets per priority.
    pub targets: Targets,
    /// Whether time spent waiting for an absent user stops the resolution clock. On by default,
    /// as GLPI does for tickets in its "pending" status: the office should not miss a deadline
    /// because the official was not at the desk.
    pub pause_while_user_absent: bool,
    /// Working windows (Bogota local time); holidays are always added by rule.
    pub windows: Vec<Window>,
    /// The time to take charge of a request not yet triaged, in business minutes: the response
    /// target until the coordinator sets the priority.
    pub reception_minutes: i64,
    /// At what share of each deadline (percent) the coordinators are warned that it is near.
    pub warn_percent: i64,
}

/// Default [`SlaPolicy::reception_minutes`]: two business hours to look at a new request.
pub const DEFAULT_RECEPTION_MINUTES: i64 = 120;
/// Default [`SlaPolicy::warn_percent`].
pub const DEFAULT_WARN_PERCENT: i64 = 75;

impl Default for SlaPolicy {
    fn default() -> Self {
        Self {
            targets: Targets::default(),
            pause_while_user_absent: true,
            windows: default_windows(),
            reception_minutes: DEFAULT_RECEPTION_MINUTES,
            warn_percent: DEFAULT_WARN_PERCENT,
        }
    }
}

/// One version of the policy and the moment it took effect: it measures the cases received from
/// then until the next version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// When it took effect (ms since the epoch).
    pub effective_from: i64,
    /// The policy.
    pub policy: SlaPolicy,
}

/// Why an SLA policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A target that is zero or negative.
    #[error(
        "los tiempos de la prioridad {} deben ser mayores que cero y la respuesta no puede \
         superar la solución",
        priority.label()
    )]
    Target {
        /// The offending priority.
        priority: Priority,
    },
    /// A reception target that is zero or negative.
    #[error("el tiempo para atender una solicitud sin prioridad debe ser mayor que cero")]
    Reception,
    /// A warning share outside 1–99 %.
    #[error("el aviso debe darse entre el 1 % y el 99 % de cada plazo")]
    WarnPercent,
    /// Bad working windows.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl SlaPolicy {
    /// Checks the targets and builds the calendar of the policy's windows.
    pub fn calendar(&self) -> Result<BusinessCalendar, PolicyError> {
        for priority in Priority::ALL {
            let t = self.targets.get(*priority);
            if t.response_minutes <= 0
                || t.resolution_minutes <= 0
                || t.response_minutes > t.resolution_minutes
            {
                return Err(PolicyError::Target {
                    priority: *priority,
                });
            }
        }
        if self.reception_minutes <= 0 {
            return Err(PolicyError::Reception);
        }
        if !(1..=99).contains(&self.warn_percent) {
            return Err(PolicyError::WarnPercent);
        }
        Ok(BusinessCalendar::new(&self.windows)?)
    }
}

/// The two deadlines of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// When someone must have taken the case.
    pub response_due: DateTime<Utc>,
    /// When the problem must be resolved (before any pause; see [`resolution_due_with_pauses`]).
    pub resolution_due: DateTime<Utc>,
}

/// A span during which the resolution clock may stop (waiting for an absent user). `end: None`
/// means it is still going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When the wait began.
    pub start: DateTime<Utc>,
    /// When it ended, if it has.
    pub end: Option<DateTime<Utc>>,
}

/// The deadlines of a ticket of `priority` received at `received_at` (both clocks start at
/// reception).
pub fn deadlines(
    policy: &SlaPolicy,
    calendar: &BusinessCalendar,
    priority: Priority,
    received_at: DateTime<Utc>,
) -> Deadlines {
    let target = policy.targets.get(priority);
    Deadlines {
        response_due: calendar.add_business_minutes(received_at, target.response_minutes),
        resolution_due: calendar.add_business_minutes(received_at, target.resolution_minutes),
    }
}

/// When a request received at `received_at` and not yet triaged must have been taken in charge.
pub fn reception_due(
    policy: &SlaPolicy,
    calendar: &BusinessCalendar,
    received_at: DateTime<Utc>,
) -> DateTime<Utc> {
    calendar.add_business_minutes(received_at, policy.reception_minutes)
}

/// When the coordinators are warned of the deadline `due` of a clock started at `start`: at the
/// policy's share of the business time between them.
pub fn warn_at(
    policy: &SlaPolicy,
    calendar: &BusinessCalendar,
    start: DateTime<Utc>,
    due: DateTime<Utc>,
) -> DateTime<Utc> {
    let span = calendar.business_minutes_between(start, due).max(0);
    calendar.add_business_minutes(start, span * policy.warn_percent / 100)
}

/// The resolution deadline extended by the business minutes spent in `pauses` after
/// `received_at`, when the policy pauses the clock for absent users; otherwise the plain deadline.
///
/// A pause still going on counts up to `now`, so the deadline keeps moving while the ticket waits —
/// which is what a stopped clock means. Overlapping pauses are counted once.
pub fn resolution_due_with_pauses(
    policy: &SlaPolicy,
    calendar: &BusinessCalendar,
    priority: Priority,
    received_at: DateTime<Utc>,
    pauses: &[Pause],
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let target = policy.targets.get(priority);
    let paused = if policy.pause_while_user_absent {
        paused_business_minutes(calendar, received_at, pauses, now)
    } else {
        0
    };
    calendar.add_business_minutes(received_at, target.resolution_minutes + paused)
}

/// Business minutes covered by `pauses` after `since` (open pauses closed at `now`), with
/// overlaps merged.
pub fn paused_business_minutes(
    calendar: &BusinessCalendar,
    since: DateTime<Utc>,
    pauses: &[Pause],
    now: DateTime<Utc>,
) -> i64 {
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = pauses
        .iter()
        .map(|p| (p.start.max(since), p.end.unwrap_or(now)))
        .filter(|(s, e)| e > s)
        .collect();
    spans.sort();
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
        .iter()
        .map(|(s, e)| calendar.business_minutes_between(*s, *e))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::to_utc;
    use chrono::NaiveDateTime;

    fn bog(s: &str) -> DateTime<Utc> {
        to_utc(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    #[test]
    fn priority_wire_names_and_labels() {
        assert_eq!(Priority::WIRE_NAMES, ["alta", "media", "baja"]);
        assert_eq!("Media".parse::<Priority>(), Ok(Priority::Media));
        assert_eq!(Priority::Baja.label(), "Baja");
        assert!(
            "urgente"
                .parse::<Priority>()
                .unwrap_err()
                .to_string()
                .contains("alta, media, baja")
        );
    }

    #[test]
    fn default_policy_is_valid_and_round_trips_as_json() {
        let policy = SlaPolicy::default();
        assert!(policy.pause_while_user_absent);
        assert_eq!(policy.calendar().unwrap(), BusinessCalendar::default());
        let json = serde_json::to_string(&policy).unwrap();
        assert_eq!(serde_json::from_str::<SlaPolicy>(&json).unwrap(), policy);
        // A stored configuration may omit what it does not change.
        let partial: SlaPolicy =
            serde_json::from_str(r#"{"pause_while_user_absent": false}"#).unwrap();
        assert_eq!(partial.targets, Targets::default());
        assert!(!partial.pause_while_user_absent);
    }

    #[test]
    fn bad_policies_are_refused_in_spanish() {
        let mut policy = SlaPolicy::default();
        policy.targets.media.resolution_minutes = 0;
        assert_eq!(
            policy.calendar().unwrap_err().to_string(),
            "los tiempos de la prioridad Media deben ser mayores que cero y la respuesta no \
             puede superar la solución"
        );
        let policy = SlaPolicy {
            windows: vec![],
            ..SlaPolicy::default()
        };
        assert!(matches!(
            policy.calendar(),
            Err(PolicyError::Calendar(CalendarError::Empty))
        ));
    }

    #[test]
    fn deadlines_follow_priority_in_business_time() {
        let policy = SlaPolicy::default();
        let cal = policy.calendar().unwrap();
        // Triaged on Friday 10 July 2026 at 16:00; Monday 13 July is a holiday.
        let at = bog("2026-07-10 16:00");
        let alta = deadlines(&policy, &cal, Priority::Alta, at);
        assert_eq!(alta.response_due, bog("2026-07-10 17:00"));
        assert_eq!(alta.resolution_due, bog("2026-07-14 16:00"));
        let media = deadlines(&policy, &cal, Priority::Media, at);
        assert_eq!(media.response_due, bog("2026-07-14 10:00"));
        assert_eq!(media.resolution_due, bog("2026-07-16 16:00"));
        let baja = deadlines(&policy, &cal, Priority::Baja, at);
        assert_eq!(baja.response_due, bog("2026-07-14 16:00"));
        assert_eq!(baja.resolution_due, bog("2026-07-21 16:00")); // 20 July is a holiday too
    }

    #[test]
    fn absent_user_pauses_extend_the_resolution_deadline() {
        let policy = SlaPolicy::default();
        let cal = policy.calendar().unwrap();
        let at = bog("2026-03-02 08:00"); // Monday
        let plain = deadlines(&policy, &cal, Priority::Alta, at).resolution_due;
        assert_eq!(plain, bog("2026-03-02 18:00"));

        // Absent from 09:00 to 11:00 (120 business minutes) and, overlapping, 10:00 to 11:30.
        let pauses = [
            Pause {
                start: bog("2026-03-02 09:00"),
                end: Some(bog("2026-03-02 11:00")),
            },
            Pause {
                start: bog("2026-03-02 10:00"),
                end: Some(bog("2026-03-02 11:30")),
            },
        ];
        let now = bog("2026-03-02 15:00");
        let due = resolution_due_with_pauses(&policy, &cal, Priority::Alta, at, &pauses, now);
        assert_eq!(due, bog("2026-03-03 10:30")); // 150 minutes later

        // With the setting off, absence changes nothing.
        let off = SlaPolicy {
            pause_while_user_absent: false,
            ..SlaPolicy::default()
        };
        let due = resolution_due_with_pauses(&off, &cal, Priority::Alta, at, &pauses, now);
        assert_eq!(due, plain);

        // A pause still going on counts up to now, and a pause over lunch counts business time
        // only.
        let open = [Pause {
            start: bog("2026-03-02 11:00"),
            end: None,
        }];
        let now = bog("2026-03-02 15:00");
        assert_eq!(paused_business_minutes(&cal, at, &open, now), 120);
        let due = resolution_due_with_pauses(&policy, &cal, Priority::Alta, at, &open, now);
        assert_eq!(due, bog("2026-03-03 10:00"));

        // Time before the clock started is not a pause.
        let early = [Pause {
            start: bog("2026-02-27 09:00"),
            end: Some(bog("2026-03-02 09:00")),
        }];
        assert_eq!(paused_business_minutes(&cal, at, &early, now), 60);
    }
}
