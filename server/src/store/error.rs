//! [`StoreError`]: what can go wrong in the store, sorted by what a caller does about it. Both
//! backends' errors (sqlx's and rusqlite's, from SQLite's writer) arrive here, so no caller needs
//! to know which database answered.

/// The database's own error, kept as the source of a [`StoreError`] for the logs.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row with the same unique key exists (the API answers 409).
    #[error("{0}")]
    Duplicate(#[source] Cause),
    /// A row names another one that does not exist, such as an unknown dependencia (422).
    #[error("{0}")]
    MissingReference(#[source] Cause),
    /// The store cannot take writes now, through no fault of the request: a full or read-only
    /// disk, an I/O error, a database that is unreachable, shutting down or read-only (a standby
    /// after a failover). The API answers 503 and `/healthz` reports it.
    #[error("{0}")]
    Unavailable(#[source] Cause),
    /// Anything else: a bug or a damaged database (500, logged, never shown).
    #[error("{0}")]
    Other(#[source] Cause),
}

/// A store operation's result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// An error of the store's own making (not the database's), such as a statement that returned
    /// no row where one was due.
    pub(crate) fn other(message: impl Into<String>) -> Self {
        StoreError::Other(message.into().into())
    }

    /// True when the store cannot take writes now (see [`StoreError::Unavailable`]).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate(err.into())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::MissingReference(err.into())
            }
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                let unavailable = if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    code.parse::<i32>().is_ok_and(sqlite_unavailable)
                } else {
                    // SQLSTATE: class 53 (insufficient resources: disk full, out of memory, too
                    // many connections), read-only transaction, I/O error, shutting down or
                    // starting up.
                    code.starts_with("53")
                        || ["25006", "58030", "57P01", "57P02", "57P03"].contains(&code.as_ref())
                };
                if unavailable {
                    StoreError::Unavailable(err.into())
                } else {
                    StoreError::Other(err.into())
                }
            }
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                StoreError::Unavailable(err.into())
            }
            _ => StoreError::Other(err.into()),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match err.sqlite_error().map(|e| e.extended_code) {
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                StoreError::Duplicate(err.into())
            }
            Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => StoreError::MissingReference(err.into()),
            Some(code) if sqlite_unavailable(code) => StoreError::Unavailable(err.into()),
            _ => StoreError::Other(err.into()),
        }
    }
}

/// True for SQLite's result codes that mean the file cannot be written now. Extended result codes
/// keep the primary one in the low byte: SQLITE_READONLY (8), SQLITE_IOERR (10), SQLITE_FULL (13),
/// SQLITE_CANTOPEN (14).
fn sqlite_unavailable(code: i32) -> bool {
    matches!(code & 0xff, 8 | 10 | 13 | 14)
}
