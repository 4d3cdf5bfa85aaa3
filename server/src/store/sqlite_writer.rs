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

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use super::error::{Result, StoreError};

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
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = reply.send(work(conn));
        });
        match lock(&self.jobs).as_ref() {
            Some(jobs) => jobs.send(job).map_err(|_| stopped())?,
            None => return Err(stopped()),
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
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
    work: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
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

/// The writer's thread is gone: the store is closing, or a job took the thread down.
fn stopped() -> StoreError {
    StoreError::Unavailable("SQLite's writer has stopped".into())
}
