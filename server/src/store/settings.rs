//! Settings that coordinators edit, stored as JSON under a key.

use campo_shared::calendar::Closure;
use campo_shared::sla::{PolicyVersion, SlaPolicy};
use chrono::NaiveDate;
use serde::{Serialize, de::DeserializeOwned};

use super::{Result as StoreResult, Store, now_ms, with_pool};
use crate::projection::Sla;

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
    /// The SLA policy in force now: the newest stored version, or the defaults.
    pub async fn sla_policy(&self) -> anyhow::Result<SlaPolicy> {
        Ok(self
            .sla_versions()
            .await?
            .pop()
            .map(|v| v.policy)
            .unwrap_or_default())
    }

    /// Every version of the SLA policy, oldest first, with who recorded it; the first one is in
    /// force since always (the defaults, when the first stored version came later).
    pub async fn sla_history(&self) -> anyhow::Result<Vec<(PolicyVersion, Option<String>)>> {
        let rows: Vec<(i64, String, Option<String>)> = with_pool!(self, pool => {
            sqlx::query_as(
                "select p.effective_from, p.policy, u.full_name from sla_policies p
                 left join users u on u.id = p.created_by order by p.effective_from",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut versions = rows
            .into_iter()
            .map(|(effective_from, raw, by)| {
                let policy = serde_json::from_str(&raw)?;
                Ok((
                    PolicyVersion {
                        effective_from,
                        policy,
                    },
                    by,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        // Until a coordinator first set one, the defaults were in force: the cases received
        // before the first stored version are measured with them.
        if versions.first().is_none_or(|(v, _)| v.effective_from > 0) {
            versions.insert(
                0,
                (
                    PolicyVersion {
                        effective_from: 0,
                        policy: SlaPolicy::default(),
                    },
                    None,
                ),
            );
        }
        Ok(versions)
    }

    async fn sla_versions(&self) -> anyhow::Result<Vec<PolicyVersion>> {
        Ok(self
            .sla_history()
            .await?
            .into_iter()
            .map(|(v, _)| v)
            .collect())
    }

    /// Records a new version of the SLA policy, in force for the cases received from `at` on.
    /// Returns the moment it took effect (`at`, or just after the newest version if that is
    /// later, so versions never share a moment).
    pub async fn add_sla_version(
        &self,
        policy: &SlaPolicy,
        by: &str,
        at: i64,
    ) -> anyhow::Result<i64> {
        let raw = serde_json::to_string(policy)?;
        let from = with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "insert into sla_policies (effective_from, policy, created_by, created_at)
                 select greatest_from, $2, $3, $4 from (
                   select case when coalesce(max(effective_from), -1) >= $1
                               then max(effective_from) + 1 else $1 end as greatest_from
                   from sla_policies) n
                 returning effective_from",
            )
            .bind(at)
            .bind(&raw)
            .bind(by)
            .bind(now_ms())
            .fetch_one(pool)
            .await
        })?;
        Ok(from)
    }

    /// The office's closures, by date.
    pub async fn closures(&self) -> anyhow::Result<Vec<ClosureRow>> {
        let rows: Vec<(String, String, String, Option<String>, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "select c.date, c.hours, c.reason, u.full_name, c.created_at
                 from office_closures c left join users u on u.id = c.created_by order by c.date",
            )
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|(date, hours, reason, created_by, created_at)| {
                Ok(ClosureRow {
                    closure: Closure {
                        date: date.parse::<NaiveDate>()?,
                        hours: serde_json::from_str(&hours)?,
                        reason,
                    },
                    created_by,
                    created_at,
                })
            })
            .collect()
    }

    /// Records a closure; [`super::StoreError::Duplicate`] when that date has one already.
    pub async fn add_closure(&self, closure: &Closure, by: &str) -> StoreResult<()> {
        let hours = serde_json::to_string(&closure.hours)
            .map_err(|e| super::StoreError::Other(e.into()))?;
        with_pool!(self, pool => {
            sqlx::query(
                "insert into office_closures (date, hours, reason, created_by, created_at)
                 values ($1, $2, $3, $4, $5)",
            )
            .bind(closure.date.to_string())
            .bind(&hours)
            .bind(&closure.reason)
            .bind(by)
            .bind(now_ms())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Removes the closure of `date`; whether there was one.
    pub async fn remove_closure(&self, date: NaiveDate) -> StoreResult<bool> {
        let removed = with_pool!(self, pool => {
            sqlx::query("delete from office_closures where date = $1")
                .bind(date.to_string())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(removed > 0)
    }

    /// The request categories in force: the stored ones, or [`DEFAULT_CATEGORIES`].
    pub async fn categories(&self) -> anyhow::Result<Vec<String>> {
        Ok(self
            .setting(CATEGORIES_SETTING)
            .await?
            .unwrap_or_else(|| DEFAULT_CATEGORIES.map(str::to_owned).to_vec()))
    }

    /// Every version of the SLA policy with its business calendar, and the office's closures.
    pub async fn sla(&self) -> anyhow::Result<Sla> {
        let closures = self
            .closures()
            .await?
            .into_iter()
            .map(|c| c.closure)
            .collect();
        Sla::with_history(self.sla_versions().await?, closures)
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

/// A closure as stored, with who recorded it and when.
#[derive(Debug, Clone, Serialize)]
pub struct ClosureRow {
    #[serde(flatten)]
    pub closure: Closure,
    /// The coordinator's name.
    pub created_by: Option<String>,
    pub created_at: i64,
}
