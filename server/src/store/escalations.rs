//! What the escalation scan reads and records (see [`crate::escalation`]).

use super::{Result, Store, with_pool};
use crate::escalation::{Clock, Level};

impl Store {
    /// The cases with a running clock whose warning or deadline falls in `(since, now]`, through
    /// the partial indexes of running clocks (migration 0015/0016): closed cases are never read.
    pub async fn clocks_falling_due(&self, since: i64, now: i64) -> Result<Vec<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar(
                "select id from tickets where response_warn_at > $1 and response_warn_at <= $2
                 union select id from tickets
                   where response_warn_at is not null and response_due > $1 and response_due <= $2
                 union select id from tickets
                   where resolution_warn_at > $1 and resolution_warn_at <= $2
                 union select id from tickets
                   where resolution_warn_at is not null and resolution_due > $1
                     and resolution_due <= $2",
            )
            .bind(since)
            .bind(now)
            .fetch_all(pool)
            .await
        })
    }

    /// Whether `level` of the case's `clock` was escalated already.
    pub async fn escalated(&self, ticket_id: &str, clock: Clock, level: Level) -> Result<bool> {
        let found: Option<i32> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "select 1 from sla_escalations where ticket_id = $1 and clock = $2 and level = $3",
            )
            .bind(ticket_id)
            .bind(clock.as_str())
            .bind(level.as_str())
            .fetch_optional(pool)
            .await
        })?;
        Ok(found.is_some())
    }

    /// Records that `level` of the case's `clock` was escalated (once: a second record is
    /// ignored).
    pub async fn record_escalation(
        &self,
        ticket_id: &str,
        clock: Clock,
        level: Level,
        due_at: i64,
        fired_at: i64,
    ) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "insert into sla_escalations (ticket_id, clock, level, due_at, fired_at)
                 values ($1, $2, $3, $4, $5)
                 on conflict (ticket_id, clock, level) do nothing",
            )
            .bind(ticket_id)
            .bind(clock.as_str())
            .bind(level.as_str())
            .bind(due_at)
            .bind(fired_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The escalation levels a case reached, as `(clock, level)` names.
    pub async fn escalations_of(&self, ticket_id: &str) -> Result<Vec<(String, String)>> {
        with_pool!(self, pool => {
            sqlx::query_as(
                "select clock, level from sla_escalations where ticket_id = $1
                 order by fired_at",
            )
            .bind(ticket_id)
            .fetch_all(pool)
            .await
        })
    }

    /// The times a case waited for an absent official (the pauses of its resolution clock), in
    /// order: `(start, end)`, `end` null while it still waits.
    pub async fn ticket_pauses(&self, ticket_id: &str) -> Result<Vec<(i64, Option<i64>)>> {
        with_pool!(self, pool => {
            sqlx::query_as(
                "select started_at, ended_at from ticket_absences where ticket_id = $1
                 order by seq",
            )
            .bind(ticket_id)
            .fetch_all(pool)
            .await
        })
    }
}
