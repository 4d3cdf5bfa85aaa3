//! Server-side sessions, keyed by the SHA-256 of the token the browser holds.

use super::{Result, Store, UserRow, with_pool};

/// A session joined with its user, as the authentication extractor reads it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub user: UserRow,
}

#[derive(sqlx::FromRow)]
struct SessionOnly {
    token_hash: String,
    user_id: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
}

impl Store {
    #[tracing::instrument(skip_all, fields(user_id))]
    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "insert into sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
                 values ($1, $2, $3, $3, $4)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The session with this token hash and its user, if both exist.
    #[tracing::instrument(skip_all)]
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        let session = with_pool!(self, pool => {
            sqlx::query_as::<_, SessionOnly>(
                "select token_hash, user_id, created_at, last_seen_at, expires_at
                 from sessions where token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await
        })?;
        let Some(session) = session else {
            return Ok(None);
        };
        let Some(user) = self.user_by_id(&session.user_id).await? else {
            return Ok(None);
        };
        Ok(Some(SessionRow {
            token_hash: session.token_hash,
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            expires_at: session.expires_at,
            user,
        }))
    }

    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("update sessions set last_seen_at = $2 where token_hash = $1")
                .bind(token_hash)
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("delete from sessions where token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Removes sessions past their absolute expiry or idle since before `idle_before`.
    pub async fn delete_expired_sessions(&self, now: i64, idle_before: i64) -> Result<u64> {
        with_pool!(self, pool => {
            sqlx::query("delete from sessions where expires_at <= $1 or last_seen_at < $2")
                .bind(now)
                .bind(idle_before)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
    }
}
