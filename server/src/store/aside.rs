//! [`Aside`]: one PostgreSQL connection kept out of the pool for the changes written in one
//! statement (a comment, a triage event: most of the phones' work), used without the pool's
//! checks.
//!
//! sqlx's pool checks a PostgreSQL connection with a round trip when it lends it and again when
//! it takes it back: for a change written in one statement, three round trips where one does,
//! and CPU for Campo and for the database at each (see `docs/rendimiento.md`). The connection set
//! aside is lent to one commit at a time without those checks; while it is busy, or once it
//! failed, commits use the pool as before. A connection whose statement failed, or was abandoned
//! halfway, is closed, and the next commit through the pool sets its connection aside instead.
//!
//! Without the check, a connection that died meanwhile (PostgreSQL restarted) is found dead by
//! the commit itself: a commit that finds it so is run again through the pool, whose check
//! replaces dead connections. Running it again is harmless even in the rare case that the first
//! attempt was written before the connection died: the statement writes the row's heads and the
//! audit rows idempotently, and the chunk again, holding the same changes, which loading the
//! document takes once.

use std::sync::Mutex;

use sqlx::PgConnection;
use sqlx::pool::PoolConnection;
use sqlx::postgres::Postgres;

#[derive(Default)]
pub(super) struct Aside {
    slot: Mutex<Slot>,
}

#[derive(Default)]
enum Slot {
    /// No connection is set aside: the next commit through the pool sets its own.
    #[default]
    Empty,
    Idle(PgConnection),
    /// Lent to a commit.
    Busy,
}

impl std::fmt::Debug for Aside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match *self.lock() {
            Slot::Empty => "empty",
            Slot::Idle(_) => "idle",
            Slot::Busy => "busy",
        };
        f.debug_struct("Aside").field("slot", &state).finish()
    }
}

impl Aside {
    /// The connection set aside, if one is and nobody uses it.
    pub(super) fn lend(&self) -> Option<Lent<'_>> {
        let mut slot = self.lock();
        match std::mem::replace(&mut *slot, Slot::Busy) {
            Slot::Idle(conn) => Some(Lent {
                aside: self,
                conn: Some(conn),
            }),
            other => {
                *slot = other;
                None
            }
        }
    }

    /// After a statement on `conn`, from the pool, succeeded: sets it aside if no connection is
    /// (the pool opens another when it needs one); otherwise it goes back to the pool.
    pub(super) fn keep(&self, conn: PoolConnection<Postgres>) {
        let mut slot = self.lock();
        if matches!(*slot, Slot::Empty) {
            *slot = Slot::Idle(conn.detach());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The connection set aside, lent to one commit. Given back when its statement succeeded;
/// dropped otherwise (an error, or a commit abandoned halfway), which closes it.
pub(super) struct Lent<'a> {
    aside: &'a Aside,
    conn: Option<PgConnection>,
}

impl Lent<'_> {
    pub(super) fn conn(&mut self) -> &mut PgConnection {
        self.conn.as_mut().expect("lent until given back")
    }

    pub(super) fn give_back(mut self) {
        if let Some(conn) = self.conn.take() {
            *self.aside.lock() = Slot::Idle(conn);
        }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if self.conn.take().is_some() {
            *self.aside.lock() = Slot::Empty;
        }
    }
}
