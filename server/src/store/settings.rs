//! Settings that coordinators edit, stored as JSON under a key.

use serde::{Serialize, de::DeserializeOwned};

use super::{Store, now_ms, with_pool};

impl Store {
    /// The setting stored under `key`, or `None` when it was never set (the caller uses its default).
    pub async fn setting<T: DeserializeOwned>(&self, key: &str) -> anyhow::Result<Option<T>> {
        let raw = with_pool!(self, pool => {
            sqlx::query_scalar::<_, String>("select value from settings where key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await
        })?;
        Ok(raw.map(|raw| serde_json::from_str(&raw)).transpose()?)
    }

    pub async fn put_setting<T: Serialize>(&self, key: &str, value: &T) -> anyhow::Result<()> {
        let raw = serde_json::to_string(value)?;
        with_pool!(self, pool => {
            sqlx::query(
                "insert into settings (key, value, updated_at) values ($1, $2, $3)
                 on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(&raw)
            .bind(now_ms())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }
}
