//! [`Tx`]: one transaction on either backend, for the writes that are written once for both: a
//! ticket's change with its audit and rows, its reprojection, a document's compaction.
//!
//! On PostgreSQL a [`PgTx`] runs each statement through sqlx. On SQLite an [`SqliteTx`] runs it
//! on the connection of SQLite's writer thread (see [`super::sqlite_writer`]), synchronously: its
//! futures never wait, and the writer thread drives them with [`ready`]. The SQL is the same
//! lowercase SQL with `$n` placeholders; where the backends must differ, the code asks
//! [`Tx::SQLITE`].

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use rusqlite::types::{FromSql, ToSqlOutput, ValueRef};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, Postgres};

use super::error::{Result, StoreError};

/// One argument of a statement, typed even when it is null: PostgreSQL types every parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Bytes(&'a [u8]),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Arg::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Arg::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Arg::Text(value)
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(value: &'a Option<String>) -> Self {
        Arg::Text(value.as_deref())
    }
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Arg::Int(Some(value))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(value: Option<i64>) -> Self {
        Arg::Int(value)
    }
}

impl From<bool> for Arg<'_> {
    fn from(value: bool) -> Self {
        Arg::Bool(Some(value))
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(value: &'a [u8]) -> Self {
        Arg::Bytes(value)
    }
}

impl<'a> From<&'a Vec<u8>> for Arg<'a> {
    fn from(value: &'a Vec<u8>) -> Self {
        Arg::Bytes(value)
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Text(Some(text)) => ValueRef::Text(text.as_bytes()),
            Arg::Int(Some(n)) => ValueRef::Integer(n),
            Arg::Bool(Some(b)) => ValueRef::Integer(i64::from(b)),
            Arg::Bytes(bytes) => ValueRef::Blob(bytes),
            Arg::Text(None) | Arg::Int(None) | Arg::Bool(None) => ValueRef::Null,
        }))
    }
}

/// The arguments of a statement, `$1` first, collected with `.bind(…)` calls.
#[derive(Debug, Default)]
pub(crate) struct Args<'a>(Vec<Arg<'a>>);

impl<'a> Args<'a> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn bind(mut self, value: impl Into<Arg<'a>>) -> Self {
        self.0.push(value.into());
        self
    }

    /// The arguments as sqlx binds them for PostgreSQL.
    fn to_postgres(&self) -> Result<PgArguments> {
        let mut out = PgArguments::default();
        for arg in &self.0 {
            match *arg {
                Arg::Text(text) => out.add(text),
                Arg::Int(n) => out.add(n),
                Arg::Bool(b) => out.add(b),
                Arg::Bytes(bytes) => out.add(bytes),
            }
            .map_err(StoreError::Other)?;
        }
        Ok(out)
    }
}

/// A value a statement returns in its first column, readable from either backend.
pub(crate) trait Scalar:
    FromSql + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres> + Send + Unpin
{
}

impl Scalar for i64 {}
impl Scalar for String {}

/// A transaction in progress; it is committed or rolled back by whoever began it.
pub(crate) trait Tx {
    /// True on SQLite, for the few statements whose SQL must differ.
    const SQLITE: bool;

    /// Runs a statement; returns how many rows it changed.
    async fn execute(&mut self, sql: &'static str, args: &Args<'_>) -> Result<u64>;

    /// Runs a statement; returns the first column of its first row, if it returned one.
    async fn fetch<T: Scalar>(&mut self, sql: &'static str, args: &Args<'_>) -> Result<Option<T>>;
}

/// A transaction on the connection of SQLite's writer thread.
pub(crate) struct SqliteTx<'c>(pub(crate) &'c rusqlite::Connection);

impl SqliteTx<'_> {
    /// Prepares `sql` (once per connection) and binds each `$n` to the `n`th argument.
    fn prepare(&self, sql: &str, args: &Args<'_>) -> Result<rusqlite::CachedStatement<'_>> {
        let mut statement = self.0.prepare_cached(sql)?;
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
}

impl Tx for SqliteTx<'_> {
    const SQLITE: bool = true;

    async fn execute(&mut self, sql: &'static str, args: &Args<'_>) -> Result<u64> {
        let changed = self.prepare(sql, args)?.raw_execute()?;
        Ok(changed as u64)
    }

    async fn fetch<T: Scalar>(&mut self, sql: &'static str, args: &Args<'_>) -> Result<Option<T>> {
        let mut statement = self.prepare(sql, args)?;
        let mut rows = statement.raw_query();
        match rows.next()? {
            Some(row) => Ok(Some(row.get(0)?)),
            None => Ok(None),
        }
    }
}

/// A transaction on PostgreSQL.
pub(crate) struct PgTx<'c>(pub(crate) &'c mut sqlx::PgConnection);

impl Tx for PgTx<'_> {
    const SQLITE: bool = false;

    async fn execute(&mut self, sql: &'static str, args: &Args<'_>) -> Result<u64> {
        let done = sqlx::query_with(sql, args.to_postgres()?)
            .execute(&mut *self.0)
            .await?;
        Ok(done.rows_affected())
    }

    async fn fetch<T: Scalar>(&mut self, sql: &'static str, args: &Args<'_>) -> Result<Option<T>> {
        let value = sqlx::query_scalar_with(sql, args.to_postgres()?)
            .fetch_optional(&mut *self.0)
            .await?;
        Ok(value)
    }
}

/// The value of `work`, a future that never waits (a write on an [`SqliteTx`]), without an
/// async runtime: SQLite's writer thread has none.
pub(crate) fn ready<T>(work: impl Future<Output = Result<T>>) -> Result<T> {
    match pin!(work).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(done) => done,
        Poll::Pending => Err(StoreError::other(
            "a write on SQLite's writer thread waited",
        )),
    }
}
