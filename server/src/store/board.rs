//! What the dispatch board reads: the open tickets and the field workers with their workload and
//! last contact.

use serde::Serialize;

use super::tickets::TicketRow;
use super::{Result, Store, with_pool};

/// A técnico or contratista as the board shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FieldWorker {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub role: String,
    /// Open tickets assigned to it.
    pub open_tickets: i64,
    /// When one of its devices last reached the server (unix ms), if ever.
    pub last_contact_at: Option<i64>,
}

impl Store {
    /// Every ticket not closed nor cancelled, oldest first.
    pub async fn open_tickets(&self) -> Result<Vec<TicketRow>> {
        let sql = format!(
            "select {} from tickets where state not in ('cerrada', 'anulada')
             order by created_at, id",
            super::tickets::TICKET_COLUMNS
        );
        with_pool!(self, pool => {
            sqlx::query_as::<_, TicketRow>(&sql).fetch_all(pool).await
        })
    }

    /// Active técnicos and contratistas with their open tickets and last contact.
    pub async fn field_workers(&self) -> Result<Vec<FieldWorker>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, FieldWorker>(
                "select u.id, u.username, u.full_name, u.role,
                        (select count(*) from tickets t
                         where t.assignee_id = u.id
                           and t.state not in ('cerrada', 'anulada')) as open_tickets,
                        (select max(d.last_seen_at) from device_contacts d
                         where d.user_id = u.id) as last_contact_at
                 from users u
                 where u.active and u.role in ('tecnico', 'contratista')
                 order by u.full_name",
            )
            .fetch_all(pool)
            .await
        })
    }
}
