//! What a database's tables are, read without changing anything: for `campo doctor`, which
//! must tell before a start whether this version of Campo can use the database (the start itself
//! applies the missing migrations; it cannot undo ones it does not know).

use std::path::Path;
use std::str::FromStr;

use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

/// The state of a database's schema compared with this version of Campo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaState {
    /// The SQLite file does not exist yet: the start creates it.
    NoFile,
    /// Every migration this version knows is applied, and no other.
    Current { applied: usize },
    /// Some are missing (none, in an empty database): the start applies them.
    Behind { applied: usize, missing: usize },
    /// The database has migrations this version does not know: a newer Campo used it.
    Ahead { unknown: Vec<i64> },
    /// A migration failed halfway, or its file changed since it was applied.
    Broken { version: i64, why: BrokenWhy },
}

/// Why a migration is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokenWhy {
    Failed,
    Changed,
}

/// One row of `_sqlx_migrations`.
type Applied = (i64, bool, Vec<u8>);

const APPLIED: &str = "select version, success, checksum from _sqlx_migrations order by version";

/// Reads the schema state of the database at `url` without writing to it.
pub async fn inspect(url: &str) -> anyhow::Result<SchemaState> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let exists: bool = sqlx::query_scalar("select to_regclass('_sqlx_migrations') is not null")
            .fetch_one(&mut conn)
            .await?;
        let applied: Vec<Applied> = if exists {
            sqlx::query_as(APPLIED).fetch_all(&mut conn).await?
        } else {
            Vec::new()
        };
        let _ = conn.close().await;
        return Ok(compare(&POSTGRES_MIGRATIONS, &applied));
    }
    let options = SqliteConnectOptions::from_str(url)?;
    if !Path::new(options.get_filename()).exists() {
        return Ok(SchemaState::NoFile);
    }
    let mut conn = SqliteConnection::connect_with(&options.read_only(true)).await?;
    let exists: bool = sqlx::query_scalar(
        "select count(*) > 0 from sqlite_master where type = 'table' and name = '_sqlx_migrations'",
    )
    .fetch_one(&mut conn)
    .await?;
    let applied: Vec<Applied> = if exists {
        sqlx::query_as(APPLIED).fetch_all(&mut conn).await?
    } else {
        Vec::new()
    };
    let _ = conn.close().await;
    Ok(compare(&SQLITE_MIGRATIONS, &applied))
}

/// Compares the applied migrations with the ones this version carries.
fn compare(known: &Migrator, applied: &[Applied]) -> SchemaState {
    let mut unknown = Vec::new();
    for (version, success, checksum) in applied {
        let Some(migration) = known.iter().find(|m| m.version == *version) else {
            unknown.push(*version);
            continue;
        };
        if !success {
            return SchemaState::Broken {
                version: *version,
                why: BrokenWhy::Failed,
            };
        }
        if migration.checksum.as_ref() != checksum.as_slice() {
            return SchemaState::Broken {
                version: *version,
                why: BrokenWhy::Changed,
            };
        }
    }
    if !unknown.is_empty() {
        return SchemaState::Ahead { unknown };
    }
    let total = known
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .count();
    let applied = applied.len();
    if applied == total {
        SchemaState::Current { applied }
    } else {
        SchemaState::Behind {
            applied,
            missing: total - applied,
        }
    }
}
