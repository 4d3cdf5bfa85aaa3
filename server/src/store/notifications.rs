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

/// An entry of a user's inbox: a notification shown in the app and never mailed.
#[derive(Debug, Serialize)]
pub struct InboxEntry<'a> {
    /// Its idempotency key (see [`NewNotification::key`]).
    pub key: &'a str,
    pub user_id: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
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

    /// Records inbox entries of a ticket (notifications that are never mailed) in one statement:
    /// those whose reader is a user and whose key is not there yet. Returns how many were new.
    #[tracing::instrument(skip_all, fields(entries = entries.len()))]
    pub async fn record_inbox(
        &self,
        ticket_id: &str,
        entries: &[InboxEntry<'_>],
        created_at: i64,
    ) -> Result<usize> {
        #[derive(Serialize)]
        struct Row<'a> {
            id: String,
            #[serde(flatten)]
            entry: &'a InboxEntry<'a>,
        }
        if entries.is_empty() {
            return Ok(0);
        }
        let rows: Vec<Row> = entries
            .iter()
            .map(|entry| Row {
                id: uuid::Uuid::new_v4().to_string(),
                entry,
            })
            .collect();
        let json =
            serde_json::to_string(&rows).map_err(|err| super::StoreError::Other(err.into()))?;
        // (SQLite needs the `where`: without it, `on conflict` would read as part of the join.)
        let sql = match &self.backend {
            super::Backend::Sqlite { .. } => {
                "insert into notifications (id, key, ticket_id, user_id, kind, subject, body,
                     created_at)
                 select json_extract(e.value, '$.id'), json_extract(e.value, '$.key'), $1, u.id,
                     json_extract(e.value, '$.kind'), json_extract(e.value, '$.subject'),
                     json_extract(e.value, '$.body'), $2
                 from json_each($3) e join users u on u.id = json_extract(e.value, '$.user_id')
                 where true
                 on conflict (key) do nothing"
            }
            super::Backend::Postgres(_) => {
                "insert into notifications (id, key, ticket_id, user_id, kind, subject, body,
                     created_at)
                 select e ->> 'id', e ->> 'key', $1, u.id, e ->> 'kind', e ->> 'subject',
                     e ->> 'body', $2
                 from json_array_elements($3::json) e join users u on u.id = e ->> 'user_id'
                 on conflict (key) do nothing"
            }
        };
        let done = with_pool!(self, pool => {
            sqlx::query(sql)
                .bind(ticket_id)
                .bind(created_at)
                .bind(&json)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done as usize)
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

#[cfg(test)]
mod tests {
    use campo_tests::{Backend, TestDb, both_backends};

    use super::*;
    use crate::store::NewUser;

    /// A case's inbox entries are written in one statement: each user finds its own once, even
    /// when the same entry is recorded again; a reader who is no user gets nothing, and the
    /// others' entries are kept all the same.
    async fn inbox_entries_reach_users_once(backend: Backend) {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.expect("store");
        let mut users = Vec::new();
        for (username, full_name) in [("ana", "Ana Pérez"), ("diana", "Diana Ruiz")] {
            let new = NewUser {
                username,
                full_name,
                role: "tecnico",
                dependencia: None,
                email: None,
                password_hash: "x",
            };
            users.push(store.insert_user(&new).await.expect("user").id);
        }
        let keys: Vec<String> = ["c1:ana", "c1:diana", "c1:nadie"].map(String::from).into();
        let readers = [users[0].as_str(), users[1].as_str(), "u-nadie"];
        let entries: Vec<InboxEntry> = keys
            .iter()
            .zip(readers)
            .map(|(key, user_id)| InboxEntry {
                key,
                user_id,
                kind: "comentario",
                subject: "Comentario nuevo en el caso SAT-2026-000001",
                body: "Ana Pérez: «Sigue sin imprimir.»",
            })
            .collect();
        let added = store
            .record_inbox("t-1", &entries, 1_000)
            .await
            .expect("recorded");
        assert_eq!(added, 2, "the reader who is no user gets no entry");
        let again = store
            .record_inbox("t-1", &entries, 2_000)
            .await
            .expect("recorded");
        assert_eq!(again, 0, "an entry is recorded once");
        for user in &users {
            let inbox = store.notifications_for(user, 10).await.expect("inbox");
            assert_eq!(inbox.len(), 1, "{inbox:?}");
            assert_eq!(inbox[0].body, "Ana Pérez: «Sigue sin imprimir.»");
            assert_eq!(
                (inbox[0].ticket_id.as_str(), inbox[0].created_at),
                ("t-1", 1_000)
            );
            assert_eq!(inbox[0].sent_at, None, "an inbox entry is never mailed");
        }
        let due = store.outbox_depth().await.expect("outbox");
        assert_eq!(due.pending, 0, "nothing waits to be mailed");
    }
    both_backends!(inbox_entries_reach_users_once);
}
