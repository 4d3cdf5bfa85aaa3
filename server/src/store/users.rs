//! Accounts: who may log in, with which role, in which dependencia.

use super::sqlite_writer::transaction;
use super::tx::{Args, PgTx, SqliteTx, Tx, ready};
use super::{Backend, Result, Store, StoreError, now_ms, with_pool};

/// A user as stored, password hash included; the API never returns this type as it is.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub role: String,
    pub dependencia: Option<String>,
    pub email: Option<String>,
    /// The identity document number (cédula), by which the intranet may name the official.
    pub document: Option<String>,
    pub password_hash: String,
    pub active: bool,
    /// An account of the office's directory: no password in Campo, updated at each login.
    pub directory: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The fields of a new account; the values are already validated.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub full_name: &'a str,
    pub role: &'a str,
    pub dependencia: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password_hash: &'a str,
}

/// What an edit changes; `None` leaves a field as it is. For the two optional columns the inner
/// `None` clears the value.
#[derive(Default)]
pub struct UserChanges {
    pub full_name: Option<String>,
    pub role: Option<String>,
    pub dependencia: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub document: Option<Option<String>>,
    pub password_hash: Option<String>,
    pub active: Option<bool>,
}

const USER_COLUMNS: &str = "id, username, full_name, role, dependencia, email, document, \
                            password_hash, active, directory, created_at, updated_at";

/// What the directory says about a person at login; the values are already validated.
pub struct DirectoryUser<'a> {
    pub username: &'a str,
    pub full_name: &'a str,
    pub role: &'a str,
    pub email: Option<&'a str>,
    /// The code the directory gives; kept only when it names a known dependencia.
    pub dependencia: Option<&'a str>,
}

/// One account of a users import, validated. `dependencia`, `email` and `document` are `None`
/// when the file has no such column (an existing account keeps its value, a new one has none);
/// `Some(None)` clears the value.
#[derive(Debug, Clone)]
pub struct ImportedUser {
    pub username: String,
    pub full_name: String,
    pub role: String,
    pub dependencia: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub document: Option<Option<String>>,
}

/// What [`Store::import_users`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum UsersImported {
    /// Every row was written.
    Done {
        created: usize,
        updated: usize,
        /// The existing accounts whose role changed (their sync tokens were revoked with the
        /// import): their phones must stop syncing with the old role.
        role_changed: Vec<String>,
    },
    /// Nothing was written: the rows would leave no active coordinator.
    NoCoordinatorLeft,
}

/// How an integration names an official.
#[derive(Debug, Clone, Copy)]
pub enum OfficialKey {
    Username,
    Email,
    Document,
}

impl Store {
    /// Creates an account and returns it. A taken username is a unique violation; an unknown
    /// dependencia a foreign-key violation.
    #[tracing::instrument(skip_all, fields(username = new.username))]
    pub async fn insert_user(&self, new: &NewUser<'_>) -> Result<UserRow> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        with_pool!(self, pool => {
            sqlx::query(
                "insert into users (id, username, full_name, role, dependencia, email,
                                    password_hash, active, created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $6, $7, true, $8, $8)",
            )
            .bind(&id)
            .bind(new.username)
            .bind(new.full_name)
            .bind(new.role)
            .bind(new.dependencia)
            .bind(new.email)
            .bind(new.password_hash)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        self.users_changed().await;
        Ok(UserRow {
            id,
            username: new.username.to_owned(),
            full_name: new.full_name.to_owned(),
            role: new.role.to_owned(),
            dependencia: new.dependencia.map(str::to_owned),
            email: new.email.map(str::to_owned),
            document: None,
            password_hash: new.password_hash.to_owned(),
            active: true,
            directory: false,
            created_at: now,
            updated_at: now,
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        let sql = format!("select {USER_COLUMNS} from users where username = $1");
        with_pool!(self, pool => {
            sqlx::query_as::<_, UserRow>(&sql).bind(username).fetch_optional(pool).await
        })
    }

    /// The active official named by the intranet: by username, e-mail or document number.
    #[tracing::instrument(skip_all, fields(by))]
    pub async fn official_by(&self, by: OfficialKey, value: &str) -> Result<Option<UserRow>> {
        let column = match by {
            OfficialKey::Username => "username",
            OfficialKey::Email => "lower(email)",
            OfficialKey::Document => "document",
        };
        let value = match by {
            OfficialKey::Email => value.trim().to_lowercase(),
            _ => value.trim().to_owned(),
        };
        let sql = format!("select {USER_COLUMNS} from users where {column} = $1 and active");
        let rows = with_pool!(self, pool => {
            sqlx::query_as::<_, UserRow>(&sql).bind(&value).fetch_all(pool).await
        })?;
        // Two accounts sharing an e-mail name nobody for certain: refuse rather than guess.
        Ok(if rows.len() == 1 {
            rows.into_iter().next()
        } else {
            None
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>> {
        let sql = format!("select {USER_COLUMNS} from users where id = $1");
        with_pool!(self, pool => {
            sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(pool).await
        })
    }

    /// Every account, optionally only those of one role, by name.
    #[tracing::instrument(skip_all)]
    pub async fn list_users(&self, role: Option<&str>) -> Result<Vec<UserRow>> {
        let sql = format!(
            "select {USER_COLUMNS} from users where ($1 is null or role = $1) order by full_name"
        );
        with_pool!(self, pool => {
            sqlx::query_as::<_, UserRow>(&sql).bind(role).fetch_all(pool).await
        })
    }

    /// Applies `changes` to the account in one transaction. Disabling an account or changing its
    /// password ends all its sessions in the same transaction, so a stolen cookie stops working at
    /// once. Returns `None` when there is no such account.
    #[tracing::instrument(skip_all, fields(user_id = id))]
    pub async fn update_user(&self, id: &str, changes: UserChanges) -> Result<Option<UserRow>> {
        let end_sessions = changes.active == Some(false) || changes.password_hash.is_some();
        let (set_dependencia, dependencia) = split_nullable(changes.dependencia);
        let (set_email, email) = split_nullable(changes.email);
        let (set_document, document) = split_nullable(changes.document);
        let updated = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let result = sqlx::query(
                "update users set
                    full_name = coalesce($2, full_name),
                    role = coalesce($3, role),
                    dependencia = case when $4 then $5 else dependencia end,
                    email = case when $6 then $7 else email end,
                    password_hash = coalesce($8, password_hash),
                    active = coalesce($9, active),
                    updated_at = $10,
                    document = case when $11 then $12 else document end
                 where id = $1",
            )
            .bind(id)
            .bind(changes.full_name)
            .bind(changes.role)
            .bind(set_dependencia)
            .bind(dependencia)
            .bind(set_email)
            .bind(email)
            .bind(changes.password_hash)
            .bind(changes.active)
            .bind(now_ms())
            .bind(set_document)
            .bind(document)
            .execute(&mut *tx)
            .await?;
            if end_sessions {
                sqlx::query("delete from sessions where user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(result.rows_affected() > 0)
        })?;
        if updated {
            self.users_changed().await;
            self.user_by_id(id).await
        } else {
            Ok(None)
        }
    }

    /// Creates or updates the directory account `person.username` with what the directory says
    /// (name, e-mail, role; the dependencia when the directory names a known one, else the one
    /// Campo has), in one statement. A local account of that name is left alone (`None`), unless
    /// it has no password yet (an imported person): that one becomes the directory's.
    /// Whether the account may log in (`active`) stays a coordinator's decision.
    #[tracing::instrument(skip_all, fields(username = person.username))]
    pub async fn upsert_directory_user(
        &self,
        person: &DirectoryUser<'_>,
    ) -> Result<Option<UserRow>> {
        let id = uuid::Uuid::new_v4().to_string();
        let sql = format!(
            "insert into users (id, username, full_name, role, dependencia, email,
                                password_hash, active, directory, created_at, updated_at)
             values ($1, $2, $3, $4, (select code from dependencias where code = $5), $6,
                     '', true, true, $7, $7)
             on conflict (username) do update set
                full_name = excluded.full_name,
                role = excluded.role,
                dependencia = coalesce(excluded.dependencia, users.dependencia),
                email = excluded.email,
                directory = true,
                updated_at = excluded.updated_at
             where users.directory or users.password_hash = ''
             returning {USER_COLUMNS}"
        );
        let row = with_pool!(self, pool => {
            sqlx::query_as::<_, UserRow>(&sql)
                .bind(&id)
                .bind(person.username)
                .bind(person.full_name)
                .bind(person.role)
                .bind(person.dependencia)
                .bind(person.email)
                .bind(now_ms())
                .fetch_optional(pool)
                .await
        })?;
        if row.is_some() {
            self.users_changed().await;
        }
        Ok(row)
    }

    /// The directory accounts that have a session open now: those the periodic check looks up.
    #[tracing::instrument(skip_all)]
    pub async fn directory_users_with_sessions(&self) -> Result<Vec<UserRow>> {
        let sql = format!(
            "select {USER_COLUMNS} from users
             where directory and exists (select 1 from sessions s where s.user_id = users.id)
             order by username"
        );
        with_pool!(self, pool => {
            sqlx::query_as::<_, UserRow>(&sql).fetch_all(pool).await
        })
    }

    /// Ends every session of the user, and with them their sync tokens. Returns how many.
    #[tracing::instrument(skip_all, fields(user_id))]
    pub async fn end_sessions_of(&self, user_id: &str) -> Result<u64> {
        with_pool!(self, pool => {
            sqlx::query("delete from sessions where user_id = $1")
                .bind(user_id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
    }

    /// Creates or updates an account for each row, by username, in one transaction: all rows
    /// are written or none. A new account has no password (`password_hash` is empty, which never
    /// verifies) until a coordinator sets one or it logs in through the directory. An existing
    /// one gets the row's name, role and the columns the file has; its password and whether it
    /// is active stay as they are, and a change of role revokes its sync tokens. Refused, with
    /// nothing written, when the rows would leave no active coordinator; a username or document
    /// taken meanwhile is a unique violation.
    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    pub async fn import_users(&self, rows: &[ImportedUser]) -> Result<UsersImported> {
        let now = now_ms();
        let imported = match &self.backend {
            Backend::Sqlite { writer, .. } => {
                let rows = rows.to_vec();
                writer
                    .run(move |conn| {
                        transaction(conn, |conn| {
                            ready(write_import(&mut SqliteTx(conn), &rows, now))
                        })
                    })
                    .await
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let done = write_import(&mut PgTx(&mut tx), rows, now).await?;
                tx.commit().await?;
                Ok(done)
            }
        };
        if imported.is_ok() {
            self.users_changed().await;
        }
        imported
    }

    /// Number of active coordinators, so the last one cannot be disabled or demoted.
    pub async fn count_active_coordinators(&self) -> Result<i64> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from users where role = 'coordinador' and active",
            )
            .fetch_one(pool)
            .await
        })
    }
}

fn split_nullable(value: Option<Option<String>>) -> (bool, Option<String>) {
    match value {
        Some(inner) => (true, inner),
        None => (false, None),
    }
}

/// The writes of [`Store::import_users`], the same on either backend.
async fn write_import<T: Tx>(tx: &mut T, rows: &[ImportedUser], now: i64) -> Result<UsersImported> {
    const COORDINATORS: &str = "select count(*) from users where role = 'coordinador' and active";
    let coordinators_before = tx.fetch::<i64>(COORDINATORS, &Args::new()).await?;
    let coordinators_before = coordinators_before.unwrap_or(0);
    // Each row's account as it is: its role, `None` when the account is new.
    let mut before = Vec::with_capacity(rows.len());
    let mut coordinators = coordinators_before;
    for row in rows {
        let role = tx
            .fetch::<String>(
                "select role from users where username = $1",
                &Args::new().bind(&row.username),
            )
            .await?;
        if let Some(old) = &role
            && (old == "coordinador") != (row.role == "coordinador")
        {
            let active = tx
                .fetch::<i64>(
                    "select count(*) from users where username = $1 and active",
                    &Args::new().bind(&row.username),
                )
                .await?
                .unwrap_or(0);
            coordinators += if old == "coordinador" {
                -active
            } else {
                active
            };
        }
        before.push(role);
    }
    if coordinators_before > 0 && coordinators <= 0 {
        return Ok(UsersImported::NoCoordinatorLeft);
    }
    // A document that passes from one account of the file to another would collide with itself
    // on the way: the file's accounts let go of theirs first, and each gets its own below.
    for (row, _) in rows
        .iter()
        .zip(&before)
        .filter(|(row, before)| before.is_some() && row.document.is_some())
    {
        tx.execute(
            "update users set document = null where username = $1",
            &Args::new().bind(&row.username),
        )
        .await?;
    }
    let (mut created, mut updated, mut role_changed) = (0, 0, Vec::new());
    for (row, before) in rows.iter().zip(&before) {
        let (set_dependencia, dependencia) = split_import(&row.dependencia);
        let (set_email, email) = split_import(&row.email);
        let (set_document, document) = split_import(&row.document);
        match before {
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                tx.execute(
                    "insert into users (id, username, full_name, role, dependencia, email,
                                        document, password_hash, active, directory,
                                        created_at, updated_at)
                     values ($1, $2, $3, $4, $5, $6, $7, '', true, false, $8, $8)",
                    &Args::new()
                        .bind(&id)
                        .bind(&row.username)
                        .bind(&row.full_name)
                        .bind(&row.role)
                        .bind(dependencia)
                        .bind(email)
                        .bind(document)
                        .bind(now),
                )
                .await?;
                created += 1;
            }
            Some(old_role) => {
                tx.execute(
                    "update users set
                        full_name = $2,
                        role = $3,
                        dependencia = case when $4 then $5 else dependencia end,
                        email = case when $6 then $7 else email end,
                        document = case when $8 then $9 else document end,
                        updated_at = $10
                     where username = $1",
                    &Args::new()
                        .bind(&row.username)
                        .bind(&row.full_name)
                        .bind(&row.role)
                        .bind(set_dependencia)
                        .bind(dependencia)
                        .bind(set_email)
                        .bind(email)
                        .bind(set_document)
                        .bind(document)
                        .bind(now),
                )
                .await?;
                updated += 1;
                if *old_role != row.role {
                    let id = tx
                        .fetch::<String>(
                            "select id from users where username = $1",
                            &Args::new().bind(&row.username),
                        )
                        .await?
                        .ok_or_else(|| StoreError::other("an imported account vanished"))?;
                    tx.execute(
                        "delete from sync_tokens where user_id = $1",
                        &Args::new().bind(&id),
                    )
                    .await?;
                    role_changed.push(id);
                }
            }
        }
    }
    Ok(UsersImported::Done {
        created,
        updated,
        role_changed,
    })
}

/// A column of an import as an update binds it: whether the file has it, and its value.
fn split_import(value: &Option<Option<String>>) -> (bool, Option<&str>) {
    match value {
        Some(inner) => (true, inner.as_deref()),
        None => (false, None),
    }
}
