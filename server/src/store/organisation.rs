//! Dependencias: the offices of the organisation that requests come from.

use serde::Serialize;

use super::{Result, Store, now_ms, with_pool};

/// One office of the organisation (Secretaría de Hacienda, de Salud…).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Dependencia {
    pub code: String,
    pub name: String,
}

impl Store {
    #[tracing::instrument(skip_all)]
    pub async fn list_dependencias(&self) -> Result<Vec<Dependencia>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, Dependencia>("select code, name from dependencias order by name")
                .fetch_all(pool)
                .await
        })
    }

    /// Creates a dependencia; a repeated code or name is a unique violation.
    #[tracing::instrument(skip_all, fields(code))]
    pub async fn insert_dependencia(&self, code: &str, name: &str) -> Result<Dependencia> {
        with_pool!(self, pool => {
            sqlx::query("insert into dependencias (code, name, created_at) values ($1, $2, $3)")
                .bind(code)
                .bind(name)
                .bind(now_ms())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(Dependencia {
            code: code.to_owned(),
            name: name.to_owned(),
        })
    }

    /// Creates the dependencia unless one with that code exists (used by `campo demo`).
    pub async fn ensure_dependencia(&self, code: &str, name: &str) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "insert into dependencias (code, name, created_at) values ($1, $2, $3)
                 on conflict (code) do nothing",
            )
            .bind(code)
            .bind(name)
            .bind(now_ms())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }
}
