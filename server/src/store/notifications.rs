//! The e-mail outbox (`notifications`): enqueued once per (event, recipient), delivered by
//! `notify`'s sender, kept for the app to show.

use serde::Serialize;

use super::{Result, Store, with_pool};

/// A notification to record (and to mail when `email` is set).
pub struct NewNotification<'a> {
    /// `{event id}:{recipient user id}`: the same key is never enqueued twice.
    pub key: &'a str,
    pub ticket_id: &'a str,
    /// The recipient; `None` for an address that is no user's (the answer to an unknown sender).
    pub user_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub kind: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub created_at: i64,
    /// The Message-ID (`<…>`) of the e-mail this one answers, for mail programs to thread it.
    pub in_reply_to: Option<&'a str>,
}

/// A notification as its recipient sees it in the app.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: String,
    pub ticket_id: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    /// When it was mailed; `None` while pending or when the recipient has no e-mail.
    pub sent_at: Option<i64>,
    /// When its recipient read it in the app, on any device; `None` while unread.
    pub read_at: Option<i64>,
}

/// The e-mail outbox's depth (see [`Store::outbox_depth`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxDepth {
    pub pending: i64,
    pub failing: i64,
}

/// A mail waiting in the outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingMail {
    pub id: String,
    pub email: String,
    pub subject: String,
    pub body: String,
    pub in_reply_to: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

impl Store {
    /// Records a notification unless its key is already there; true when it was new.
    #[tracing::instrument(skip_all, fields(key = new.key))]
    pub async fn enqueue_notification(&self, new: &NewNotification<'_>) -> Result<bool> {
        let id = uuid::Uuid::new_v4().to_string();
        // Nothing to mail without an address: no delivery is ever due.
        let next_attempt_at = new.email.map(|_| new.created_at);
        let result = with_pool!(self, pool => {
            sqlx::query(
                "insert into notifications (id, key, ticket_id, user_id, email, kind, subject,
                     body, created_at, next_attempt_at, in_reply_to)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 on conflict (key) do nothing",
            )
            .bind(&id)
            .bind(new.key)
            .bind(new.ticket_id)
            .bind(new.user_id)
            .bind(new.email)
            .bind(new.kind)
            .bind(new.subject)
            .bind(new.body)
            .bind(new.created_at)
            .bind(next_attempt_at)
            .bind(new.in_reply_to)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(result == 1)
    }

    /// The keys already enqueued for a ticket.
    pub async fn notification_keys(&self, ticket_id: &str) -> Result<Vec<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, String>("select key from notifications where ticket_id = $1")
                .bind(ticket_id)
                .fetch_all(pool)
                .await
        })
    }

    /// A user's notifications, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn notifications_for(
        &self,
        user_id: &str,
        limit: i64,
    ) -> Result<Vec<NotificationRow>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, NotificationRow>(
                "select id, ticket_id, kind, subject, body, created_at, sent_at, read_at
                 from notifications where user_id = $1
                 order by created_at desc, id desc limit $2",
            )
            .bind(user_id)
            .bind(limit)
            .fetch_all(pool)
            .await
        })
    }

    /// Ids of the tickets whose projection changed at or after `since`.
    pub async fn tickets_updated_since(&self, since: i64) -> Result<Vec<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, String>("select id from tickets where updated_at >= $1")
                .bind(since)
                .fetch_all(pool)
                .await
        })
    }

    /// How many mails wait to be delivered, and how many of those failed their last attempt.
    pub async fn outbox_depth(&self) -> Result<OutboxDepth> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, OutboxDepth>(
                "select count(*) as pending,
                        coalesce(sum(case when attempts > 0 then 1 else 0 end), 0) as failing
                 from notifications where sent_at is null and email is not null",
            )
            .fetch_one(pool)
            .await
        })
    }

    /// Up to `limit` mails whose delivery is due at `now`, the longest waiting first.
    pub async fn due_mails(&self, now: i64, limit: i64) -> Result<Vec<PendingMail>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, PendingMail>(
                "select id, email, subject, body, in_reply_to, attempts, next_attempt_at
                 from notifications
                 where sent_at is null and email is not null and next_attempt_at <= $1
                 order by next_attempt_at limit $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await
        })
    }

    /// Takes a due mail for one sender: moves its next attempt to `lease_until` if no one else
    /// did since it was read. False when another sender (another replica) took it.
    pub async fn claim_mail(&self, mail: &PendingMail, lease_until: i64) -> Result<bool> {
        let affected = with_pool!(self, pool => {
            sqlx::query(
                "update notifications set next_attempt_at = $1
                 where id = $2 and sent_at is null and next_attempt_at = $3",
            )
            .bind(lease_until)
            .bind(&mail.id)
            .bind(mail.next_attempt_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(affected == 1)
    }

    /// Records a delivered mail.
    pub async fn mail_sent(&self, id: &str, at: i64) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "update notifications set sent_at = $1, attempts = attempts + 1, last_error = null
                 where id = $2",
            )
            .bind(at)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    /// Records a failed delivery and when to try again.
    pub async fn mail_failed(&self, id: &str, error: &str, retry_at: i64) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "update notifications
                 set attempts = attempts + 1, last_error = $1, next_attempt_at = $2
                 where id = $3",
            )
            .bind(error)
            .bind(retry_at)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }
}
