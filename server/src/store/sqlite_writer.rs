//! SQLite's writer of synced documents: one connection, owned by a thread of its own, which runs
//! each write (a change with its audit and ticket rows, a compaction) as one transaction and
//! answers once, when that transaction is committed.
//!
//! SQLite has one writer at a time anyway. Every change goes through the same connection, so its
//! page cache stays warm (a connection forgets its cache whenever another connection has written
//! since its last transaction) instead of each change landing on the next connection of the pool
//! and reading the tables' pages again. And the transaction runs through SQLite's synchronous API
//! on this thread: a change costs two thread wake-ups, the job arriving here and its answer going
//! back. Through sqlx, every statement's result crossed from the connection's thread to the
//! waiting task, about seven wake-ups per change, and that wake-up work was the largest part of
//! the server's CPU per change.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::types::{FromSql, ToSqlOutput, Value};
use rusqlite::{CachedStatement, Connection, OpenFlags, ToSql};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Handle to the writer's thread.
#[derive(Debug)]
pub(crate) struct SqliteWriter {
    /// Where jobs go; `None` once closed.
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl SqliteWriter {
    /// Opens the database file (already created and migrated) and starts the thread.
    pub(crate) fn open(path: &Path) -> anyhow::Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // As the pool's connections: FULL makes a committed change survive a power cut (the
        // journal is already WAL, a property of the file).
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Kept open for the life of the process, so its page cache is never lost; 16 MiB of
        // cache (the default is 2) holds the index pages a change touches in a large database.
        conn.pragma_update(None, "cache_size", -16384)?;
        conn.set_prepared_statement_cache_capacity(32);
        let (jobs, incoming) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("campo-sqlite-writer".into())
            .spawn(move || {
                let mut conn = conn;
                for job in incoming {
                    if catch_unwind(AssertUnwindSafe(|| job(&mut conn))).is_err() {
                        tracing::error!("a write to SQLite panicked; its transaction is undone");
                        if !conn.is_autocommit() {
                            let _ = conn.execute_batch("rollback");
                        }
                    }
                }
            })?;
        Ok(Self {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Runs `work` on the writer's connection, after the jobs sent before it.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> sqlx::Result<T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = reply.send(work(conn));
        });
        match lock(&self.jobs).as_ref() {
            Some(jobs) => jobs.send(job).map_err(|_| sqlx::Error::WorkerCrashed)?,
            None => return Err(sqlx::Error::PoolClosed),
        }
        match answer.await {
            Ok(done) => done.map_err(into_sqlx),
            Err(_) => Err(sqlx::Error::WorkerCrashed),
        }
    }

    /// Lets the jobs already sent finish, then closes the connection and ends the thread.
    pub(crate) async fn close(&self) {
        lock(&self.jobs).take();
        let thread = lock(&self.thread).take();
        if let Some(thread) = thread
            && tokio::task::spawn_blocking(move || thread.join())
                .await
                .is_err()
        {
            tracing::warn!("the SQLite writer did not stop cleanly");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` between `begin immediate` and `commit`; when it fails, nothing of it stays (a
/// panic in `work` is rolled back by the writer's thread). The two statements are prepared once,
/// as every other: rusqlite's `Transaction` parses `begin` and `commit` again for each change.
pub(crate) fn transaction<T>(
    conn: &mut Connection,
    work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached("begin immediate")?.execute([])?;
    let done = work(conn).and_then(|value| {
        conn.prepare_cached("commit")?.execute([])?;
        Ok(value)
    });
    if done.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("rollback");
    }
    done
}

/// The arguments of a statement written with `$n` placeholders (the SQL the PostgreSQL path
/// runs too), collected with the same `.bind(…)` calls as a sqlx query.
#[derive(Debug, Default)]
pub(crate) struct Args(Vec<Value>);

impl Args {
    pub(crate) fn bind<T: ToSql>(mut self, value: T) -> Self {
        self.0.push(match value.to_sql() {
            Ok(ToSqlOutput::Borrowed(value)) => value.into(),
            Ok(ToSqlOutput::Owned(value)) => value,
            // Campo binds text, integers, booleans and bytes, which always convert.
            _ => Value::Null,
        });
        self
    }
}

/// Prepares `sql` (once per connection) and binds each `$n` to the `n`th argument.
fn prepare<'c>(
    conn: &'c Connection,
    sql: &str,
    args: &Args,
) -> rusqlite::Result<CachedStatement<'c>> {
    let mut statement = conn.prepare_cached(sql)?;
    for index in 1..=statement.parameter_count() {
        let name = statement.parameter_name(index).unwrap_or_default();
        let value = name
            .strip_prefix('$')
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| args.0.get(n.checked_sub(1)?))
            .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_owned()))?;
        statement.raw_bind_parameter(index, value)?;
    }
    Ok(statement)
}

/// Runs a statement; returns how many rows it changed.
pub(crate) fn execute(conn: &Connection, sql: &str, args: &Args) -> rusqlite::Result<usize> {
    prepare(conn, sql, args)?.raw_execute()
}

/// Runs a statement; returns the first column of its first row, if it returned one.
pub(crate) fn query_scalar<T: FromSql>(
    conn: &Connection,
    sql: &str,
    args: &Args,
) -> rusqlite::Result<Option<T>> {
    let mut statement = prepare(conn, sql, args)?;
    let mut rows = statement.raw_query();
    match rows.next()? {
        Some(row) => Ok(Some(row.get(0)?)),
        None => Ok(None),
    }
}

/// A failed write, as the rest of the store reports database errors.
#[derive(Debug)]
struct WriteError {
    message: String,
    source: rusqlite::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl sqlx::error::DatabaseError for WriteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        let code = self.source.sqlite_error()?.extended_code;
        Some(Cow::Owned(code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        use sqlx::error::ErrorKind;
        match self.source.sqlite_error().map(|e| e.extended_code) {
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                ErrorKind::UniqueViolation
            }
            Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => ErrorKind::ForeignKeyViolation,
            Some(ffi::SQLITE_CONSTRAINT_NOTNULL) => ErrorKind::NotNullViolation,
            Some(ffi::SQLITE_CONSTRAINT_CHECK) => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

fn into_sqlx(err: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Database(Box::new(WriteError {
        message: err.to_string(),
        source: err,
    }))
}
