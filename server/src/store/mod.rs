//! The SQL store: one interface over SQLite (the embedded default) and PostgreSQL (for more users
//! and several replicas). The backend is chosen once, from the URL scheme; each method runs the
//! same lowercase SQL with `$n` placeholders on either pool, through [`with_pool!`].

mod blobs;
mod board;
mod documents;
mod equipment;
mod notifications;
mod organisation;
mod projection;
mod reports;
mod sessions;
mod settings;
mod sync_tokens;
mod tickets;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection as _};

pub use blobs::BlobRow;
pub use board::FieldWorker;
pub use documents::{Chunk, ChunkKind};
pub use equipment::{EquipmentMove, EquipmentRow};
pub use notifications::{NewNotification, NotificationRow, PendingMail};
pub use organisation::Dependencia;
pub use projection::{AuditEntry, CommitChange, Committed};
pub use reports::ReportFilters;
pub use sessions::SessionRow;
pub use tickets::{AuditRow, TicketFilter, TicketRow, Viewer, VisitRow, ticket_number};
pub use users::{NewUser, UserChanges, UserRow};

/// Runs `$body` with `$pool` bound to whichever pool the store holds. The body is written once and
/// compiled for both backends, so the two cannot drift apart.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite($pool) => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Like [`with_pool!`], for the writes of synced documents (every change a device sends): on
/// SQLite they go through one dedicated connection. SQLite has one writer at a time anyway, and a
/// connection forgets its whole page cache whenever another connection has written since its last
/// transaction; with every change on the same connection, its cache stays warm, instead of each
/// change landing on the next connection of the pool and reading the tables' pages again (a cost
/// that grows with the database).
///
/// The connection is held directly, not through a pool: a pool checks a SQLite connection with a
/// round trip to its thread when lending it and again when it comes back, which would double the
/// round trips of every change.
macro_rules! with_writer {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite(_) => {
                use sqlx::Connection as _;
                let mut writer = $store.sqlite_writer.lock().await;
                let $pool = writer.as_mut().ok_or(sqlx::Error::PoolClosed)?;
                $body
            }
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_writer;

/// Which database the store talks to.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) backend: Backend,
    /// SQLite only: the connection of [`with_writer!`] (`None` on PostgreSQL and once closed).
    pub(crate) sqlite_writer: Arc<tokio::sync::Mutex<Option<SqliteConnection>>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Store {
    /// Opens the database named by `url` (`sqlite://…` or `postgres://…`) and runs the migrations.
    #[tracing::instrument(skip_all, fields(backend))]
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let mut sqlite_writer = None;
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            tracing::Span::current().record("backend", "postgres");
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
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
            // Kept open for the life of the process, so its page cache is never lost; 16 MiB of
            // cache (the default is 2) holds the index pages a change touches in a large database.
            sqlite_writer = Some(options.pragma("cache_size", "-16384").connect().await?);
            Backend::Sqlite(pool)
        } else {
            anyhow::bail!(
                "DATABASE_URL debe empezar por sqlite: o postgres:// (se recibió «{}»)",
                url.split(':').next().unwrap_or_default()
            );
        };
        Ok(Self {
            backend,
            sqlite_writer: Arc::new(tokio::sync::Mutex::new(sqlite_writer)),
        })
    }

    /// The default database: a SQLite file inside the data directory.
    pub fn default_url(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("campo.sqlite3").display())
    }

    /// Name of the backend, for logs and `/healthz`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> sqlx::Result<()> {
        with_pool!(self, pool => sqlx::query("select 1").execute(pool).await.map(|_| ()))
    }

    /// Closes every connection; pending writes finish first.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await);
        let writer = self.sqlite_writer.lock().await.take();
        if let Some(writer) = writer
            && let Err(err) = writer.close().await
        {
            tracing::warn!(%err, "could not close the SQLite writer cleanly");
        }
    }
}

/// Milliseconds since the Unix epoch, the unit of every timestamp in the store.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// True when `err` is a unique or foreign-key constraint violation, which the API turns into a
/// 409 or 422 instead of a 500.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// True when `err` is a foreign-key violation.
pub fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}
