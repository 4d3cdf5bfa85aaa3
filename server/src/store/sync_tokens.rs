//! Tokens for the `/sync` WebSocket of non-browser clients, keyed by their SHA-256. Each belongs to
//! the session that asked for it and dies with it.

use super::{Result, Store, with_pool};

impl Store {
    #[tracing::instrument(skip_all, fields(user_id))]
    pub async fn insert_sync_token(
        &self,
        token_hash: &str,
        session_hash: &str,
        user_id: &str,
        expires_at: i64,
    ) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "insert into sync_tokens (token_hash, session_hash, user_id, expires_at)
                 values ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(session_hash)
            .bind(user_id)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The user and session of a token that has not expired at `now`. A token serves every
    /// (re)connection of its short life; it ends with its session.
    #[tracing::instrument(skip_all)]
    pub async fn sync_token(&self, token_hash: &str, now: i64) -> Result<Option<(String, String)>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, (String, String)>(
                "select user_id, session_hash from sync_tokens
                 where token_hash = $1 and expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await
        })
    }

    /// Revokes every sync token of a user (its role changed).
    pub async fn delete_sync_tokens_of(&self, user_id: &str) -> Result<u64> {
        with_pool!(self, pool => {
            sqlx::query("delete from sync_tokens where user_id = $1")
                .bind(user_id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
    }

    pub async fn delete_expired_sync_tokens(&self, now: i64) -> Result<u64> {
        with_pool!(self, pool => {
            sqlx::query("delete from sync_tokens where expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
    }
}
