//! What the monthly report derives from one ticket alone (its SLA outcomes, how it was resolved,
//! its labels). The ticket itself, [`ReportTicket`], is the row the store reads
//! ([`crate::store::Store::report_tickets`]): the store owns it so that it does not depend on the
//! report.

use std::str::FromStr;

use campo_shared::role::Role;
use campo_shared::schema::{Channel, Mode};
use campo_shared::sla::Priority;
use campo_shared::workflow::State;
use serde::Serialize;

pub use crate::store::{ReportTicket, ReportVisit};

impl ReportTicket {
    /// When the ticket stopped needing work (first of resolved, closed, cancelled).
    pub fn done_at(&self) -> Option<i64> {
        [self.resolved_at, self.closed_at, self.cancelled_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether the ticket existed and needed work at instant `t`.
    pub fn open_at(&self, t: i64) -> bool {
        self.created_at < t && self.done_at().is_none_or(|done| done >= t)
    }

    /// The three survey answers, in [`SurveyAnswers::QUESTIONS`] order.
    pub fn answers(&self) -> [Option<i64>; 3] {
        [
            self.survey_timeliness,
            self.survey_treatment,
            self.survey_solution,
        ]
        .map(|a| a.filter(|v| (1..=5).contains(v)))
    }

    /// Whether its survey was answered before `end`.
    pub(super) fn surveyed_before(&self, end: i64) -> bool {
        self.survey_at.is_some_and(|at| at < end) && self.answers().iter().any(Option::is_some)
    }

    /// How it was resolved, for the resolution-by-mode figures.
    pub fn resolution_mode(&self) -> Option<ResolutionMode> {
        self.resolved_at?;
        Some(if self.resolution.as_deref() == Some("phone") {
            ResolutionMode::Phone
        } else if self.contractor_sends > 0 {
            ResolutionMode::Contractor
        } else if self.workshop_sends > 0 || self.mode.as_deref() == Some(Mode::Workshop.as_str()) {
            ResolutionMode::Workshop
        } else {
            ResolutionMode::OnSite
        })
    }

    /// The responsible as people read it: name, and «(contratista)» for a contractor.
    pub fn assignee_label(&self) -> String {
        match (&self.assignee_id, &self.assignee_name) {
            (None, _) => "Sin asignar".into(),
            (Some(id), name) => {
                let name = name.clone().filter(|n| !n.is_empty()).unwrap_or(id.clone());
                if self.assignee_role.as_deref() == Some(Role::Contratista.as_str()) {
                    format!("{name} (contratista)")
                } else {
                    name
                }
            }
        }
    }

    pub fn dependencia_label(&self) -> String {
        self.dependencia_name
            .clone()
            .or_else(|| self.dependencia.clone())
            .unwrap_or_else(|| "Sin dependencia".into())
    }

    pub fn channel_label(&self) -> String {
        Channel::from_str(&self.channel).map_or(self.channel.clone(), |c| c.label().to_owned())
    }

    pub fn priority_label(&self) -> String {
        match self.priority.as_deref().map(Priority::from_str) {
            None => "Sin prioridad".into(),
            Some(Ok(p)) => p.label().into(),
            Some(Err(_)) => self.priority.clone().unwrap_or_default(),
        }
    }

    pub fn state_label(&self) -> String {
        State::from_str(&self.state).map_or(self.state.clone(), |s| s.label().to_owned())
    }

    pub fn mode_label(&self) -> String {
        match self.mode.as_deref().map(Mode::from_str) {
            Some(Ok(m)) => m.label().into(),
            _ => String::new(),
        }
    }

    /// Whether a response (or, failing it, the resolution) happened.
    pub(super) fn first_response(&self) -> Option<i64> {
        self.responded_at.or(self.resolved_at)
    }

    /// The result of the response deadline, as at `as_of`.
    pub fn response_sla(&self, as_of: i64) -> SlaOutcome {
        sla_outcome(
            self.first_response(),
            self.response_due,
            self.cancelled_at.is_some(),
            as_of,
        )
    }

    /// The result of the resolution deadline, as at `as_of`.
    pub fn resolution_sla(&self, as_of: i64) -> SlaOutcome {
        sla_outcome(
            self.resolved_at,
            self.resolution_due,
            self.cancelled_at.is_some(),
            as_of,
        )
    }
}

fn sla_outcome(done: Option<i64>, due: Option<i64>, cancelled: bool, as_of: i64) -> SlaOutcome {
    match (done, due) {
        (_, None) => SlaOutcome::NotApplicable,
        (Some(done), Some(due)) if done <= as_of => {
            if done <= due {
                SlaOutcome::OnTime
            } else {
                SlaOutcome::Late
            }
        }
        _ if cancelled => SlaOutcome::NotApplicable,
        (_, Some(due)) if due < as_of => SlaOutcome::Overdue,
        _ => SlaOutcome::Pending,
    }
}

/// How a resolved ticket was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionMode {
    Phone,
    OnSite,
    Workshop,
    Contractor,
}

impl ResolutionMode {
    pub const ALL: [ResolutionMode; 4] = [
        ResolutionMode::Phone,
        ResolutionMode::OnSite,
        ResolutionMode::Workshop,
        ResolutionMode::Contractor,
    ];

    pub const fn label(self) -> &'static str {
        match self {
            ResolutionMode::Phone => "Telefónica",
            ResolutionMode::OnSite => "En sitio",
            ResolutionMode::Workshop => "En taller",
            ResolutionMode::Contractor => "Por contratista",
        }
    }
}

/// A ticket's result against one deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaOutcome {
    /// Done before the deadline.
    OnTime,
    /// Done after it.
    Late,
    /// Not done, the deadline has not passed.
    Pending,
    /// Not done, the deadline has passed.
    Overdue,
    /// No deadline (no priority yet) or cancelled before it was met.
    NotApplicable,
}

impl SlaOutcome {
    pub const fn label(self) -> &'static str {
        match self {
            SlaOutcome::OnTime => "A tiempo",
            SlaOutcome::Late => "Tarde",
            SlaOutcome::Pending => "En plazo",
            SlaOutcome::Overdue => "Vencida",
            SlaOutcome::NotApplicable => "No aplica",
        }
    }
}
