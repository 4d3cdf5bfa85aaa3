//! Single-use tokens for the `/sync` WebSocket, keyed by their SHA-256.

use super::{Store, with_pool};

impl Store {
    #[tracing::instrument(skip_all, fields(user_id))]
    pub async fn insert_sync_token(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at: i64,
    ) -> sqlx::Result<()> {
        with_pool!(self, pool => {
            sqlx::query("insert into sync_tokens (token_hash, user_id, expires_at) values ($1, $2, $3)")
                .bind(token_hash)
                .bind(user_id)
                .bind(expires_at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Deletes the token and returns its user when it had not expired at `now`. A token works
    /// once: two replicas racing for it cannot both delete the row.
    #[tracing::instrument(skip_all)]
    pub async fn take_sync_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> sqlx::Result<Option<String>> {
        let row = with_pool!(self, pool => {
            sqlx::query_as::<_, (String, i64)>(
                "delete from sync_tokens where token_hash = $1 returning user_id, expires_at",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.and_then(|(user, expires_at)| (expires_at > now).then_some(user)))
    }

    pub async fn delete_expired_sync_tokens(&self, now: i64) -> sqlx::Result<u64> {
        with_pool!(self, pool => {
            sqlx::query("delete from sync_tokens where expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
    }
}
