//! Settings that coordinators edit, stored as JSON under a key.

use campo_shared::sla::SlaPolicy;
use serde::{Serialize, de::DeserializeOwned};

use super::{Store, now_ms, with_pool};
use crate::projection::Sla;

/// Key of the SLA policy in the settings table.
pub const SLA_SETTING: &str = "sla";

/// Key of the request categories in the settings table.
pub const CATEGORIES_SETTING: &str = "categories";

/// The request categories until a coordinator edits them.
pub const DEFAULT_CATEGORIES: [&str; 7] = [
    "Hardware",
    "Software",
    "Impresoras",
    "Red",
    "Correo",
    "Telefonía",
    "Otro",
];

impl Store {
    /// The SLA policy in force: the stored one, or the defaults.
    pub async fn sla_policy(&self) -> anyhow::Result<SlaPolicy> {
        Ok(self.setting(SLA_SETTING).await?.unwrap_or_default())
    }

    /// The request categories in force: the stored ones, or [`DEFAULT_CATEGORIES`].
    pub async fn categories(&self) -> anyhow::Result<Vec<String>> {
        Ok(self
            .setting(CATEGORIES_SETTING)
            .await?
            .unwrap_or_else(|| DEFAULT_CATEGORIES.map(str::to_owned).to_vec()))
    }

    /// The SLA policy in force with its business calendar.
    pub async fn sla(&self) -> anyhow::Result<Sla> {
        Sla::new(self.sla_policy().await?)
    }

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
