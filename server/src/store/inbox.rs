//! The in-app inbox's read state, the outbox as coordinators see it in Ajustes, and the
//! questions of the scan that enqueues the scheduled notifications (see `crate::notify::scan`).
//! Each scan question reads only the cases it may concern, through an index, and leaves out
//! those already notified (the notification's unique `key`).

use serde::Serialize;

use super::{Result, Store, with_pool};

/// A mail of the outbox, as a coordinator sees it in Ajustes.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OutboxMail {
    pub id: String,
    pub ticket_id: String,
    pub kind: String,
    pub email: String,
    pub subject: String,
    pub created_at: i64,
    pub attempts: i64,
    /// When the next attempt is due (pending rows).
    pub next_attempt_at: Option<i64>,
    /// Why the last attempt failed (pending rows that failed).
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

/// An absent visit's planned return, for the responsible's inbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VisitDue {
    pub ticket_id: String,
    pub number: String,
    pub assignee_id: String,
    pub location: String,
    pub next_visit_at: i64,
}

/// A case whose equipment is at the workshop or with the contractor since `since`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustodyDue {
    pub ticket_id: String,
    pub number: String,
    pub state: String,
    pub assignee_id: Option<String>,
    pub since: i64,
}

/// A resolved case whose survey is not answered.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SurveyDue {
    pub ticket_id: String,
    pub number: String,
    /// `resuelta` or `cerrada`; another (a reopened case) is not reminded.
    pub state: String,
    pub requester_id: String,
    pub resolved_at: i64,
}

/// The key of a case's survey reminder: one per case, whoever the requester is.
pub fn survey_reminder_key(ticket_id: &str) -> String {
    format!("recordatorio_encuesta:{ticket_id}")
}

/// The key of a planned return's notice to the responsible.
pub fn visit_due_key(ticket_id: &str, next_visit_at: i64, user_id: &str) -> String {
    format!("visita:{ticket_id}:{next_visit_at}:{user_id}")
}

impl Store {
    /// How many of the user's notifications are unread.
    pub async fn unread_notifications(&self, user_id: &str) -> Result<i64> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from notifications where user_id = $1 and read_at is null",
            )
            .bind(user_id)
            .fetch_one(pool)
            .await
        })
    }

    /// Whether notification `id` is the user's.
    pub async fn notification_is_of(&self, id: &str, user_id: &str) -> Result<bool> {
        let found = with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from notifications where id = $1 and user_id = $2",
            )
            .bind(id)
            .bind(user_id)
            .fetch_one(pool)
            .await
        })?;
        Ok(found > 0)
    }

    /// Marks one of the user's notifications read at `at` (a read one keeps its first time).
    pub async fn mark_notification_read(&self, id: &str, user_id: &str, at: i64) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "update notifications set read_at = $1
                 where id = $2 and user_id = $3 and read_at is null",
            )
            .bind(at)
            .bind(id)
            .bind(user_id)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    /// Marks every unread notification of the user read at `at`.
    pub async fn mark_all_notifications_read(&self, user_id: &str, at: i64) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "update notifications set read_at = $1 where user_id = $2 and read_at is null",
            )
            .bind(at)
            .bind(user_id)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    /// The mails waiting to go out (the longest waiting first) and the `sent` most recently
    /// delivered, at most `limit` of each.
    pub async fn outbox_mails(&self, limit: i64) -> Result<(Vec<OutboxMail>, Vec<OutboxMail>)> {
        const COLUMNS: &str = "id, ticket_id, kind, email, subject, created_at, attempts,
            next_attempt_at, last_error, sent_at";
        let pending_sql = format!(
            "select {COLUMNS} from notifications where sent_at is null and email is not null
             order by next_attempt_at, id limit $1"
        );
        let sent_sql = format!(
            "select {COLUMNS} from notifications where sent_at is not null and email is not null
             order by sent_at desc, id limit $1"
        );
        let pending = with_pool!(self, pool => {
            sqlx::query_as::<_, OutboxMail>(&pending_sql).bind(limit).fetch_all(pool).await
        })?;
        let sent = with_pool!(self, pool => {
            sqlx::query_as::<_, OutboxMail>(&sent_sql).bind(limit).fetch_all(pool).await
        })?;
        Ok((pending, sent))
    }

    /// Planned returns due by `until` of cases still waiting for them, not notified yet.
    pub async fn visits_due(&self, until: i64) -> Result<Vec<VisitDue>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, VisitDue>(
                "select id as ticket_id, number, assignee_id, location, next_visit_at
                 from tickets
                 where state in ('asignada', 'usuario_ausente')
                   and next_visit_at is not null and next_visit_at <= $1
                   and assignee_id is not null
                   and not exists (select 1 from notifications n
                       where n.key = 'visita:' || tickets.id || ':'
                           || cast(tickets.next_visit_at as text) || ':' || tickets.assignee_id)",
            )
            .bind(until)
            .fetch_all(pool)
            .await
        })
    }

    /// Cases whose equipment went to the workshop or the contractor at or before `before` and
    /// has not come back.
    pub async fn custody_due(&self, before: i64) -> Result<Vec<CustodyDue>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, CustodyDue>(
                "select ticket_id, number, state, assignee_id, since from (
                     select id as ticket_id, number, state, assignee_id,
                         (select max(e.at) from ticket_equipment_events e
                          where e.ticket_id = tickets.id) as since
                     from tickets where state in ('en_taller', 'con_contratista')
                 ) out_now
                 where since is not null and since <= $1",
            )
            .bind(before)
            .fetch_all(pool)
            .await
        })
    }

    /// Cases resolved between `from` and `until` whose survey is not answered and whose
    /// reminder was not sent, through the partial index `tickets_survey_pending` (the state is
    /// left to the caller: a condition on it would lead the planner to the index by state,
    /// which holds every closed case).
    pub async fn surveys_due(&self, from: i64, until: i64) -> Result<Vec<SurveyDue>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, SurveyDue>(
                "select id as ticket_id, number, state, requester_id, resolved_at from tickets
                 where survey_at is null and resolved_at is not null
                   and resolved_at >= $1 and resolved_at <= $2
                   and requester_id is not null
                   and not exists (select 1 from notifications n
                       where n.key = 'recordatorio_encuesta:' || tickets.id)",
            )
            .bind(from)
            .bind(until)
            .fetch_all(pool)
            .await
        })
    }
}
