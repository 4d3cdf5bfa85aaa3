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
mod sqlite_writer;
mod sync_tokens;
mod tickets;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use sqlite_writer::SqliteWriter;

pub use blobs::BlobRow;
pub use board::FieldWorker;
pub use documents::{Chunk, ChunkKind};
pub use equipment::{EquipmentMove, EquipmentRow};
pub use notifications::{NewNotification, NotificationRow, PendingMail};
pub use organisation::Dependencia;
pub use projection::{AuditEntry, CommitChange, Committed};
pub use reports::{ReportFilters, ReportTicket, ReportVisit};
pub use sessions::SessionRow;
pub use settings::SLA_SETTING;
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
    /// SQLite only: the one connection that writes synced documents (see [`SqliteWriter`]).
    sqlite_writer: Option<Arc<SqliteWriter>>,
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
            sqlite_writer = Some(Arc::new(SqliteWriter::open(options.get_filename())?));
            Backend::Sqlite(pool)
        } else {
            anyhow::bail!(
                "DATABASE_URL debe empezar por sqlite: o postgres:// (se recibió «{}»)",
                url.split(':').next().unwrap_or_default()
            );
        };
        Ok(Self {
            backend,
            sqlite_writer,
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

    /// The writer of synced documents on SQLite.
    fn sqlite_writer(&self) -> sqlx::Result<&SqliteWriter> {
        self.sqlite_writer.as_deref().ok_or(sqlx::Error::PoolClosed)
    }

    /// Closes every connection; pending writes finish first.
    pub async fn close(&self) {
        if let Some(writer) = &self.sqlite_writer {
            writer.close().await;
        }
        with_pool!(self, pool => pool.close().await);
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

/// True when `err` says the store cannot take writes now, through no fault of the request: a
/// full or read-only disk, an I/O error, a database that is unreachable, shutting down or
/// read-only (a standby after a failover). The API answers these with 503, not 500.
pub fn is_storage_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // Extended result codes keep the primary one in the low byte: SQLITE_READONLY
                // (8), SQLITE_IOERR (10), SQLITE_FULL (13), SQLITE_CANTOPEN (14).
                code.parse::<i32>()
                    .is_ok_and(|code| matches!(code & 0xff, 8 | 10 | 13 | 14))
            } else {
                // SQLSTATE: class 53 (insufficient resources: disk full, out of memory, too many
                // connections), read-only transaction, I/O error, shutting down or starting up.
                code.starts_with("53")
                    || ["25006", "58030", "57P01", "57P02", "57P03"].contains(&code.as_ref())
            }
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        _ => false,
    }
}
