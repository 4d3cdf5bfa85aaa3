//! The equipment inventory and its custody moves.

use serde::Serialize;

use super::{Backend, Result, Store, with_pool};

/// One piece of equipment, as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct EquipmentRow {
    pub code: String,
    pub kind: String,
    pub brand: String,
    pub model: String,
    pub serial: String,
    pub dependencia: Option<String>,
    pub location: String,
    pub custodian_id: Option<String>,
    pub custodian_name: String,
    pub status: String,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A change of custody or status recorded in the inventory.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EquipmentMove {
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
    pub by_user: Option<String>,
    pub at: i64,
}

/// One move of a ticket's equipment (to the workshop, to the contractor, back), as the projection
/// recorded it from the ticket's document.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CustodyRow {
    pub ticket_id: String,
    pub number: String,
    /// `enviada_taller`, `enviada_contratista` or `equipo_devuelto`.
    pub kind: String,
    pub at: i64,
    /// Who recorded it.
    pub author_id: String,
    pub author_name: Option<String>,
    /// The codes moved, separated by commas.
    #[serde(skip)]
    pub equipment: String,
    pub holder_from: String,
    pub holder_to: String,
    pub place: String,
    #[serde(rename = "condition")]
    pub equipment_condition: String,
}

impl CustodyRow {
    /// Whether this move carried equipment `code`.
    pub fn moves(&self, code: &str) -> bool {
        self.equipment.split(',').any(|c| c == code)
    }
}

const COLUMNS: &str = "code, kind, brand, model, serial, dependencia, location, custodian_id, \
                       custodian_name, status, notes, created_at, updated_at";

impl Store {
    #[tracing::instrument(skip_all, fields(code))]
    pub async fn equipment(&self, code: &str) -> Result<Option<EquipmentRow>> {
        let sql = format!("select {COLUMNS} from equipment where code = $1");
        with_pool!(self, pool => {
            sqlx::query_as::<_, EquipmentRow>(&sql).bind(code).fetch_optional(pool).await
        })
    }

    /// The inventory, by code; only one dependencia's when given.
    #[tracing::instrument(skip_all)]
    pub async fn list_equipment(&self, dependencia: Option<&str>) -> Result<Vec<EquipmentRow>> {
        let sql = format!(
            "select {COLUMNS} from equipment where ($1 is null or dependencia = $1) order by code"
        );
        with_pool!(self, pool => {
            sqlx::query_as::<_, EquipmentRow>(&sql).bind(dependencia).fetch_all(pool).await
        })
    }

    /// Custody moves of one piece of equipment, oldest first.
    #[tracing::instrument(skip_all, fields(code))]
    pub async fn equipment_moves(&self, code: &str) -> Result<Vec<EquipmentMove>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, EquipmentMove>(
                "select from_status, to_status, note, by_user, at from equipment_moves
                 where code = $1 order by id",
            )
            .bind(code)
            .fetch_all(pool)
            .await
        })
    }

    /// The custody moves of tickets' equipment, oldest first: of the tickets that name `code`
    /// when given (the caller keeps the moves that carried it, [`CustodyRow::moves`]), else of
    /// every ticket.
    #[tracing::instrument(skip_all, fields(code))]
    pub async fn custody_moves(&self, code: Option<&str>) -> Result<Vec<CustodyRow>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, CustodyRow>(
                "select e.ticket_id, t.number, e.kind, e.at, e.author_id, u.full_name as author_name,
                        e.equipment, e.holder_from, e.holder_to, e.place, e.equipment_condition
                 from ticket_equipment_events e
                 join tickets t on t.id = e.ticket_id
                 left join users u on u.id = e.author_id
                 where e.equipment <> ''
                   and ($1 is null or e.ticket_id in
                        (select ticket_id from ticket_equipment where code = $1))
                 order by e.at, e.ticket_id, e.seq",
            )
            .bind(code)
            .fetch_all(pool)
            .await
        })
    }

    /// When each piece of equipment last changed status in the inventory itself (an edit or an
    /// import that changed it; its creation does not count), by code: of `code` only when given.
    #[tracing::instrument(skip_all, fields(code))]
    pub async fn last_status_changes(&self, code: Option<&str>) -> Result<Vec<(String, i64)>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, (String, i64)>(
                "select code, max(at) from equipment_moves
                 where from_status is not null and ($1 is null or code = $1)
                 group by code",
            )
            .bind(code)
            .fetch_all(pool)
            .await
        })
    }

    /// Creates or replaces each row in one transaction, recording a move wherever the status
    /// changes (or the equipment is new). Either every row is written or none. Returns how many
    /// rows were new.
    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    pub async fn upsert_equipment(
        &self,
        rows: &[EquipmentRow],
        by_user: &str,
        note: &str,
    ) -> Result<usize> {
        let select = format!("select {COLUMNS} from equipment where code = $1");
        // On SQLite the transaction reads before it writes: begun deferred, its first write
        // fails at once («database is locked», no waiting) when another connection wrote since
        // its read. Taking the write lock at the start waits for it instead (busy_timeout).
        let begin = match &self.backend {
            Backend::Sqlite { .. } => "begin immediate",
            Backend::Postgres(_) => "begin",
        };
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            let mut created = 0;
            for row in rows {
                let before = sqlx::query_as::<_, EquipmentRow>(&select)
                    .bind(&row.code)
                    .fetch_optional(&mut *tx)
                    .await?;
                if before.is_none() {
                    created += 1;
                }
                sqlx::query(
                    "insert into equipment (code, kind, brand, model, serial, dependencia,
                                            location, custodian_id, custodian_name, status, notes,
                                            created_at, updated_at)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
                     on conflict (code) do update set
                        kind = excluded.kind, brand = excluded.brand, model = excluded.model,
                        serial = excluded.serial, dependencia = excluded.dependencia,
                        location = excluded.location, custodian_id = excluded.custodian_id,
                        custodian_name = excluded.custodian_name, status = excluded.status,
                        notes = excluded.notes, updated_at = excluded.updated_at",
                )
                .bind(&row.code)
                .bind(&row.kind)
                .bind(&row.brand)
                .bind(&row.model)
                .bind(&row.serial)
                .bind(&row.dependencia)
                .bind(&row.location)
                .bind(&row.custodian_id)
                .bind(&row.custodian_name)
                .bind(&row.status)
                .bind(&row.notes)
                .bind(row.updated_at)
                .execute(&mut *tx)
                .await?;
                let from = before.map(|b| b.status);
                if from.as_deref() != Some(row.status.as_str()) {
                    sqlx::query(
                        "insert into equipment_moves (code, from_status, to_status, note, by_user, at)
                         values ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&row.code)
                    .bind(from)
                    .bind(&row.status)
                    .bind(note)
                    .bind(by_user)
                    .bind(row.updated_at)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(created)
        })
    }
}
