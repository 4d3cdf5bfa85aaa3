//! The SQL store: one interface over SQLite (the embedded default) and PostgreSQL (for more users
//! and several replicas). The backend is chosen once, from the URL scheme. Each method runs the
//! same lowercase SQL with `$n` placeholders on either backend: reads and small writes on either
//! pool, through [`with_pool!`]; the writes of synced documents (a ticket's change with its audit
//! and rows, its reprojection, a compaction) through one [`tx::Tx`], on SQLite's writer thread or
//! in a PostgreSQL transaction. Every error is a [`StoreError`].

mod api_tokens;
mod aside;
mod blobs;
mod board;
mod coordinators;
mod documents;
mod equipment;
mod error;
mod escalations;
mod glpi;
mod inbox;
mod mail_intake;
mod notifications;
mod organisation;
mod projection;
mod receipts;
mod reports;
pub mod schema;
mod sessions;
mod settings;
mod sqlite_writer;
mod sync_tokens;
mod tickets;
mod tx;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use sqlite_writer::SqliteWriter;

pub use api_tokens::{ApiTokenGrant, ApiTokenRow, IntakeClaim, NewApiToken};
pub use blobs::BlobRow;
pub use board::FieldWorker;
pub use coordinators::USERS_CHANNEL;
pub use documents::{Chunk, ChunkKind};
pub use equipment::{CustodyRow, EquipmentMove, EquipmentRow};
pub use error::{Result, StoreError};
pub use glpi::{GlpiLink, GlpiReceipt, WriteBack};
pub use inbox::{CustodyDue, OutboxMail, SurveyDue, VisitDue, survey_reminder_key, visit_due_key};
pub use mail_intake::MailReceipt;
pub use notifications::{InboxEntry, NewNotification, NotificationRow, OutboxDepth, PendingMail};
pub use organisation::Dependencia;
pub use projection::{AuditEntry, CommitChange, Committed};
pub use receipts::Receipt;
pub use reports::{ReportFilters, ReportTicket, ReportVisit};
pub use sessions::SessionRow;
pub use settings::{CATEGORIES_SETTING, ClosureRow};
pub use tickets::{AuditRow, TicketFilter, TicketRow, Viewer, VisitRow, ticket_number};
pub use users::{
    DirectoryUser, ImportedUser, NewUser, OfficialKey, UserChanges, UserRow, UsersImported,
};

/// Runs `$body` with `$pool` bound to whichever pool the store holds, and turns its
/// `sqlx::Result` into the store's [`Result`]. The body is written once and compiled for both
/// backends, so the two cannot drift apart.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {{
        let done: sqlx::Result<_> = match &$store.backend {
            $crate::store::Backend::Sqlite { pool: $pool, .. } => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        };
        done.map_err($crate::store::StoreError::from)
    }};
}
pub(crate) use with_pool;

/// Which database the store talks to.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite {
        pool: SqlitePool,
        /// The one connection that writes synced documents (see [`SqliteWriter`]).
        writer: Arc<SqliteWriter>,
    },
    Postgres(PgPool),
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) backend: Backend,
    /// This process's name in the change feed (see [`CHANGES_CHANNEL`]): new at each connect.
    instance: Arc<str>,
    /// The active coordinators, kept between user writes (see [`coordinators`]).
    coordinators: Arc<coordinators::Coordinators>,
    /// On PostgreSQL, the connection set aside for one-statement commits (see [`aside`]).
    aside: Arc<aside::Aside>,
}

/// The PostgreSQL channel on which each committed change of a document is announced, in the
/// committing transaction, as `{instance} {document id}`. Other replicas read the changes
/// themselves from the store: the payload only says which document to look at.
pub const CHANGES_CHANNEL: &str = "campo_changes";

/// The PostgreSQL channel on which each failed or successful login is announced (JSON, see
/// [`crate::sync::feed`]), so every replica's login throttling counts the failures of all.
pub const LOGINS_CHANNEL: &str = "campo_logins";

/// The PostgreSQL channel on which a replica with an open dispatch board says so (its instance):
/// the others then publish their changes in full, for the board to resume on any of them.
pub const BOARDS_CHANNEL: &str = "campo_boards";

/// The PostgreSQL channel on which a replica says that the SLA policy or the office's closures
/// changed (its instance): the others read them again.
pub const SETTINGS_CHANNEL: &str = "campo_settings";

pub(crate) static SQLITE_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("../migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("../migrations/postgres");

/// The last migration this version of Campo knows, on PostgreSQL or on SQLite (`campo restore`
/// refuses a copy from a newer schema).
pub(crate) fn latest_migration(postgres: bool) -> i64 {
    let migrator = if postgres {
        &POSTGRES_MIGRATIONS
    } else {
        &SQLITE_MIGRATIONS
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// PostgreSQL's migrations, for `campo restore` to create a copy's schema as it was.
pub(crate) fn postgres_migrations() -> &'static [sqlx::migrate::Migration] {
    &POSTGRES_MIGRATIONS.migrations
}

impl Store {
    /// Opens the database named by `url` (`sqlite://…` or `postgres://…`) and runs the migrations.
    #[tracing::instrument(skip_all, fields(backend))]
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            tracing::Span::current().record("backend", "postgres");
            // A replica cut off from the database in the middle of a transaction leaves its
            // session holding the rows it locked, and every other replica's writes to those cases
            // wait until PostgreSQL notices the dead connection (hours, with the system's TCP
            // keepalive). PostgreSQL ends a session idle in a transaction for 15 s, and with it
            // its locks; no transaction of Campo waits that long between two statements.
            let options = PgConnectOptions::from_str(url)?
                .options([("idle_in_transaction_session_timeout", "15s")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            Backend::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            tracing::Span::current().record("backend", "sqlite");
            // sqlx enables neither WAL nor synchronous=FULL by default: WAL lets readers work while a
            // change is written, FULL makes a committed change survive a power cut.
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // The pool's page caches are small: every stored change (on the writer below) makes
            // them stale, so they mostly hold pages that will be thrown away.
            // A SQLite connection cannot go stale: no round trip to check it before lending it.
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .connect_with(options.clone().pragma("cache_size", "-512"))
                .await?;
            SQLITE_MIGRATIONS.run(&pool).await?;
            let writer = Arc::new(SqliteWriter::open(options.get_filename())?);
            Backend::Sqlite { pool, writer }
        } else {
            anyhow::bail!(
                "DATABASE_URL debe empezar por sqlite: o postgres:// (se recibió «{}»)",
                url.split(':').next().unwrap_or_default()
            );
        };
        Ok(Self {
            backend,
            instance: uuid::Uuid::new_v4().simple().to_string().into(),
            coordinators: Arc::default(),
            aside: Arc::default(),
        })
    }

    /// The default database: a SQLite file inside the data directory.
    pub fn default_url(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("campo.sqlite3").display())
    }

    /// This process's name in the change feed.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Now by the database's clock, in Unix milliseconds (this machine's with SQLite, which is a
    /// file of this machine). Replicas number their board events with it (see [`crate::board`]).
    pub async fn database_now_ms(&self) -> Result<i64> {
        match &self.backend {
            Backend::Sqlite { .. } => Ok(now_ms()),
            Backend::Postgres(pool) => Ok(sqlx::query_scalar::<_, i64>(
                "select (extract(epoch from clock_timestamp()) * 1000)::bigint",
            )
            .fetch_one(pool)
            .await?),
        }
    }

    /// Sends `payload` on a PostgreSQL channel to the other replicas; nothing on SQLite.
    pub async fn announce(&self, channel: &str, payload: &str) -> Result<()> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(());
        };
        sqlx::query("select pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// The PostgreSQL pool, for the change feed's listener; `None` on SQLite (one process).
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.backend {
            Backend::Postgres(pool) => Some(pool),
            Backend::Sqlite { .. } => None,
        }
    }

    /// Name of the backend, for logs and `/healthz`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, pool => sqlx::query("select 1").execute(pool).await.map(|_| ()))
    }

    /// Closes every connection; pending writes finish first.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { pool, writer } => {
                writer.close().await;
                pool.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// Milliseconds since the Unix epoch, the unit of every timestamp in the store.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
