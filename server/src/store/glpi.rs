//! The GLPI bridge's records ([`crate::glpi`]): one `glpi_tickets` row per GLPI ticket imported,
//! written with the case it became ([`super::Receipt::Glpi`]), and what has been written back to
//! GLPI since (the follow-up with the case number, the solution).

use super::error::Result;
use super::tx::{Args, Tx};
use super::{Store, now_ms, with_pool};

/// A GLPI ticket taken, recorded in the same transaction as its case.
#[derive(Debug, Clone)]
pub struct GlpiReceipt {
    /// The GLPI's `apirest.php` address.
    pub instance: String,
    pub glpi_id: i64,
    pub imported_at: i64,
}

const INSERT_RECEIPT: &str =
    "insert into glpi_tickets (instance, glpi_id, ticket_id, imported_at) values ($1, $2, $3, $4)";

impl GlpiReceipt {
    pub(crate) async fn write(&self, tx: &mut impl Tx, ticket_id: &str) -> Result<()> {
        let args = Args::new()
            .bind(self.instance.as_str())
            .bind(self.glpi_id)
            .bind(ticket_id)
            .bind(self.imported_at);
        tx.execute(INSERT_RECEIPT, &args).await?;
        Ok(())
    }
}

/// An imported GLPI ticket that still owes GLPI a write-back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GlpiLink {
    pub glpi_id: i64,
    pub ticket_id: String,
    pub number: String,
}

/// What still has to be written back: the follow-up, or the solution.
#[derive(Debug, Clone, Copy)]
pub enum WriteBack {
    Followup,
    Solution,
}

impl Store {
    /// The case a GLPI ticket already became.
    #[tracing::instrument(skip_all, fields(glpi_id))]
    pub async fn glpi_ticket(&self, instance: &str, glpi_id: i64) -> Result<Option<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, String>(
                "select ticket_id from glpi_tickets where instance = $1 and glpi_id = $2",
            )
            .bind(instance)
            .bind(glpi_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// The imported tickets whose follow-up GLPI has not received yet, or (for
    /// [`WriteBack::Solution`]) whose case is resolved and whose solution it has not received.
    #[tracing::instrument(skip_all)]
    pub async fn glpi_pending(&self, instance: &str, what: WriteBack) -> Result<Vec<GlpiLink>> {
        let sql = match what {
            WriteBack::Followup => {
                "select g.glpi_id, g.ticket_id, t.number from glpi_tickets g
                 join tickets t on t.id = g.ticket_id
                 where g.instance = $1 and g.followup_at is null order by g.glpi_id"
            }
            WriteBack::Solution => {
                "select g.glpi_id, g.ticket_id, t.number from glpi_tickets g
                 join tickets t on t.id = g.ticket_id
                 where g.instance = $1 and g.followup_at is not null and g.solution_at is null
                   and t.resolved_at is not null and t.state in ('resuelta', 'cerrada')
                 order by g.glpi_id"
            }
        };
        with_pool!(self, pool => {
            sqlx::query_as::<_, GlpiLink>(sql).bind(instance).fetch_all(pool).await
        })
    }

    /// Takes the write-back of one ticket for `lease_ms`: false when it was done meanwhile or
    /// another pass holds it.
    #[tracing::instrument(skip_all, fields(glpi_id))]
    pub async fn glpi_claim(
        &self,
        instance: &str,
        glpi_id: i64,
        what: WriteBack,
        lease_ms: i64,
    ) -> Result<bool> {
        let sql = match what {
            WriteBack::Followup => {
                "update glpi_tickets set claimed_until = $3
                 where instance = $1 and glpi_id = $2 and followup_at is null
                   and (claimed_until is null or claimed_until < $4)"
            }
            WriteBack::Solution => {
                "update glpi_tickets set claimed_until = $3
                 where instance = $1 and glpi_id = $2 and solution_at is null
                   and (claimed_until is null or claimed_until < $4)"
            }
        };
        let now = now_ms();
        with_pool!(self, pool => {
            sqlx::query(sql)
                .bind(instance)
                .bind(glpi_id)
                .bind(now + lease_ms)
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected() == 1)
        })
    }

    /// Records that GLPI received the write-back.
    #[tracing::instrument(skip_all, fields(glpi_id))]
    pub async fn glpi_written_back(
        &self,
        instance: &str,
        glpi_id: i64,
        what: WriteBack,
    ) -> Result<()> {
        let sql = match what {
            WriteBack::Followup => {
                "update glpi_tickets set followup_at = $3, last_error = null, claimed_until = null
                 where instance = $1 and glpi_id = $2"
            }
            WriteBack::Solution => {
                "update glpi_tickets set solution_at = $3, last_error = null, claimed_until = null
                 where instance = $1 and glpi_id = $2"
            }
        };
        with_pool!(self, pool => {
            sqlx::query(sql)
                .bind(instance)
                .bind(glpi_id)
                .bind(now_ms())
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    /// Records why GLPI did not take a write-back; the next pass tries again.
    #[tracing::instrument(skip_all, fields(glpi_id))]
    pub async fn glpi_write_back_failed(
        &self,
        instance: &str,
        glpi_id: i64,
        error: &str,
    ) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "update glpi_tickets set last_error = $3, claimed_until = null
                 where instance = $1 and glpi_id = $2",
            )
            .bind(instance)
            .bind(glpi_id)
            .bind(error)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }
}
