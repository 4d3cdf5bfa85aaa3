//! Tickets: their human numbers and the projection row of each ticket document.

use serde::Serialize;

use super::{Store, now_ms, with_pool};

/// A ticket's row in the projection.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TicketRow {
    pub id: String,
    pub number: String,
    pub requester_id: Option<String>,
    pub dependencia: Option<String>,
    pub channel: String,
    pub category: String,
    pub summary: String,
    pub state: String,
    pub priority: Option<String>,
    pub assignee_id: Option<String>,
    pub flags: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The projection of a ticket document being registered.
pub struct NewTicketRow<'a> {
    pub id: &'a str,
    pub year: i32,
    pub requester_id: Option<&'a str>,
    pub dependencia: Option<&'a str>,
    pub channel: &'a str,
    pub category: &'a str,
    pub summary: &'a str,
    pub state: &'a str,
    pub priority: Option<&'a str>,
    pub assignee_id: Option<&'a str>,
    pub flags: i64,
    pub created_at: i64,
}

/// Formats a human ticket number: `SAT-2026-000123`.
pub fn ticket_number(year: i32, seq: i64) -> String {
    format!("SAT-{year}-{seq:06}")
}

impl Store {
    /// Registers a ticket: takes the next number of its year and writes its projection row, in one
    /// transaction. The counter row is locked by its update, so two registrations at once (on
    /// either backend) never get the same number. Returns the number given.
    #[tracing::instrument(skip_all, fields(ticket_id = new.id))]
    pub async fn register_ticket(&self, new: &NewTicketRow<'_>) -> sqlx::Result<String> {
        let now = now_ms();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let seq: i64 = sqlx::query_scalar(
                "insert into ticket_counters (year, last) values ($1, 1)
                 on conflict (year) do update set last = ticket_counters.last + 1
                 returning last",
            )
            .bind(i64::from(new.year))
            .fetch_one(&mut *tx)
            .await?;
            let number = ticket_number(new.year, seq);
            sqlx::query(
                "insert into tickets (id, number, requester_id, dependencia, channel, category,
                                      summary, state, priority, assignee_id, flags, created_at,
                                      updated_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(new.id)
            .bind(&number)
            .bind(new.requester_id)
            .bind(new.dependencia)
            .bind(new.channel)
            .bind(new.category)
            .bind(new.summary)
            .bind(new.state)
            .bind(new.priority)
            .bind(new.assignee_id)
            .bind(new.flags)
            .bind(new.created_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(number)
        })
    }

    /// Tickets in the projection, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn list_tickets(&self) -> sqlx::Result<Vec<TicketRow>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, TicketRow>(
                "select id, number, requester_id, dependencia, channel, category, summary, state,
                        priority, assignee_id, flags, created_at, updated_at
                 from tickets order by created_at desc",
            )
            .fetch_all(pool)
            .await
        })
    }

    /// Number of registered tickets (used by `campo demo` to load its tickets only once).
    pub async fn count_tickets(&self) -> sqlx::Result<i64> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>("select count(*) from tickets").fetch_one(pool).await
        })
    }
}
