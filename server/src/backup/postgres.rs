//! The PostgreSQL side of a copy: every table through `COPY` in one snapshot, and back into an
//! empty database.
//!
//! Why not `pg_dump`: it must be installed beside Campo, and at least as new as the server it
//! reads (Debian 12's `postgresql-client` 15 refuses a PostgreSQL 16), so a copy would depend on
//! the machine it runs on. `COPY` is PostgreSQL's own bulk path, in the protocol Campo already
//! speaks, and its text format holds every type exactly. The restore runs Campo's migrations up
//! to the copy's schema, loads the rows, sets the sequences past them and lets the remaining
//! migrations of this version run as at any start. For operators who prefer `pg_dump`, the
//! recipe is in docs/operacion.md.

use std::borrow::Cow;
use std::io::Read;

use anyhow::Context;
use futures_util::TryStreamExt;
use sqlx::{Connection, PgConnection};

use super::archive::{ArchiveReader, ArchiveWriter};
use super::{COUNTS_SQL, Counts, Snapshot, Table};

/// Rows of `settings` that a server writes on its first start; a database holding only those
/// is still empty.
const START_SETTINGS: &[&str] = &["projection_version"];

/// Copies every table into the archive, from one `repeatable read` snapshot. It changes nothing
/// and runs no migration.
pub(super) async fn export(url: &str, writer: &mut ArchiveWriter) -> anyhow::Result<Snapshot> {
    let mut conn = PgConnection::connect(url)
        .await
        .context("no se pudo conectar a la base de datos")?;
    sqlx::raw_sql("begin isolation level repeatable read read only")
        .execute(&mut conn)
        .await?;
    let snapshot = export_tables(&mut conn, writer).await;
    let _ = sqlx::raw_sql("rollback").execute(&mut conn).await;
    let _ = conn.close().await;
    snapshot
}

/// The body of [`export`], inside its transaction.
async fn export_tables(
    conn: &mut PgConnection,
    writer: &mut ArchiveWriter,
) -> anyhow::Result<Snapshot> {
    let schema_version = applied_version(conn)
        .await?
        .context("la base de datos no tiene las tablas de Campo")?;
    let (tickets, users, photos): (i64, i64, i64) =
        sqlx::query_as(COUNTS_SQL).fetch_one(&mut *conn).await?;
    let tables = tables_in_load_order(conn).await?;
    for table in &tables {
        writer.start(&entry_name(&table.name), true)?;
        let statement = format!(
            "copy {} ({}) to stdout",
            quote(&table.name),
            column_list(&table.columns)
        );
        let mut rows = conn.copy_out_raw(&statement).await?;
        while let Some(chunk) = rows.try_next().await? {
            writer.write(&chunk)?;
        }
        drop(rows);
        writer.end();
    }
    Ok(Snapshot {
        schema_version,
        counts: Counts {
            tickets,
            users,
            photos,
        },
        tables,
    })
}

/// The last migration applied, or `None` when the database has never been migrated.
async fn applied_version(conn: &mut PgConnection) -> anyhow::Result<Option<i64>> {
    let migrated: bool = sqlx::query_scalar("select to_regclass('_sqlx_migrations') is not null")
        .fetch_one(&mut *conn)
        .await?;
    if !migrated {
        return Ok(None);
    }
    let version: i64 =
        sqlx::query_scalar("select coalesce(max(version), 0) from _sqlx_migrations where success")
            .fetch_one(&mut *conn)
            .await?;
    Ok(Some(version))
}

/// Every table of the current schema but sqlx's own, each after the tables it references, with
/// the columns a `COPY` can write.
async fn tables_in_load_order(conn: &mut PgConnection) -> anyhow::Result<Vec<Table>> {
    let names: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables
         where table_schema = current_schema() and table_type = 'BASE TABLE'
           and table_name <> '_sqlx_migrations'
         order by table_name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let references: Vec<(String, String)> = sqlx::query_as(
        "select child.relname::text, parent.relname::text
         from pg_constraint c
         join pg_class child on child.oid = c.conrelid
         join pg_class parent on parent.oid = c.confrelid
         join pg_namespace n on n.oid = child.relnamespace
         where c.contype = 'f' and n.nspname = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await?;
    // Kahn's order: a table is ready when every table it references (other than itself: a
    // `COPY` checks a self-reference at the end of the statement) is placed.
    let mut ordered: Vec<String> = Vec::new();
    let mut waiting = names;
    while !waiting.is_empty() {
        let (ready, rest): (Vec<String>, Vec<String>) = waiting.into_iter().partition(|table| {
            references.iter().all(|(child, parent)| {
                child != table || parent == table || ordered.contains(parent)
            })
        });
        if ready.is_empty() {
            anyhow::bail!("las tablas {rest:?} se referencian en círculo");
        }
        ordered.extend(ready);
        waiting = rest;
    }
    let mut tables = Vec::new();
    for name in ordered {
        let columns: Vec<String> = sqlx::query_scalar(
            "select column_name::text from information_schema.columns
             where table_schema = current_schema() and table_name = $1 and is_generated = 'NEVER'
             order by ordinal_position",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        tables.push(Table { name, columns });
    }
    Ok(tables)
}

/// Refuses a database that holds data, or whose schema is newer than the copy's.
pub(super) async fn check_empty(url: &str, schema_version: i64) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(url)
        .await
        .context("no se pudo conectar a la base de datos")?;
    let checked = refuse_data(&mut conn, schema_version).await;
    let _ = conn.close().await;
    checked
}

/// The body of [`check_empty`].
async fn refuse_data(conn: &mut PgConnection, schema_version: i64) -> anyhow::Result<()> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables
         where table_schema = current_schema() and table_type = 'BASE TABLE'
           and table_name <> '_sqlx_migrations'
         order by table_name",
    )
    .fetch_all(&mut *conn)
    .await?;
    for table in tables {
        let mut query = format!("select exists (select 1 from {}", quote(&table));
        if table == "settings" {
            query.push_str(" where key <> all($1)");
        }
        query.push(')');
        let mut holds = sqlx::query_scalar::<_, bool>(&query);
        if table == "settings" {
            holds = holds.bind(START_SETTINGS);
        }
        if holds.fetch_one(&mut *conn).await? {
            anyhow::bail!(
                "la base de datos ya tiene datos (tabla {table}): restaure en una base de datos \
                 vacía, por ejemplo una recién creada con createdb; no se cambió nada"
            );
        }
    }
    if let Some(applied) = applied_version(conn).await?
        && applied > schema_version
    {
        anyhow::bail!(
            "la base de datos tiene el esquema de una versión más nueva de Campo ({applied}) que \
             la copia ({schema_version}): restaure en una base de datos recién creada con \
             createdb; no se cambió nada"
        );
    }
    Ok(())
}

/// Fills the (checked empty) database with the archive's tables: Campo's migrations up to the
/// copy's schema, then every table's rows and sequences in one transaction, so a failure leaves
/// an empty database that a new restore accepts.
pub(super) async fn import(url: &str, reader: &mut ArchiveReader) -> anyhow::Result<()> {
    let schema_version = reader.manifest.schema_version;
    let migrations: Vec<_> = crate::store::postgres_migrations()
        .iter()
        .filter(|migration| migration.version <= schema_version)
        .cloned()
        .collect();
    // A `Migrator` holding only the copy's migrations: its fields are public for
    // `sqlx::migrate!`, and Cargo.lock pins the sqlx they belong to.
    let migrator = sqlx::migrate::Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    let mut conn = PgConnection::connect(url)
        .await
        .context("no se pudo conectar a la base de datos")?;
    migrator
        .run(&mut conn)
        .await
        .context("no se pudo crear el esquema de la copia")?;
    let loaded = load_tables(&mut conn, reader).await;
    let _ = conn.close().await;
    loaded.context("no se pudieron cargar los datos de la copia; la base de datos quedó vacía")
}

/// The transaction of [`import`].
async fn load_tables(conn: &mut PgConnection, reader: &mut ArchiveReader) -> anyhow::Result<()> {
    let tables = reader.manifest.tables.clone();
    let mut tx = conn.begin().await?;
    if !tables.is_empty() {
        // What a first start wrote (`START_SETTINGS`) gives way to the copy's rows.
        let all: Vec<String> = tables.iter().map(|table| quote(&table.name)).collect();
        sqlx::raw_sql(&format!("truncate {}", all.join(", ")))
            .execute(&mut *tx)
            .await?;
    }
    for table in &tables {
        let statement = format!(
            "copy {} ({}) from stdin",
            quote(&table.name),
            column_list(&table.columns)
        );
        let mut copy = tx.copy_in_raw(&statement).await?;
        let mut entry = reader.entry(&entry_name(&table.name))?;
        let mut buffer = vec![0; 256 * 1024];
        loop {
            let read = entry.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            copy.send(&buffer[..read]).await?;
        }
        copy.finish()
            .await
            .with_context(|| format!("la tabla {} no se pudo cargar", table.name))?;
    }
    // Identity and serial columns continue after the rows loaded.
    let sequences: Vec<(String, String)> = sqlx::query_as(
        "select table_name::text, column_name::text from information_schema.columns
         where table_schema = current_schema()
           and (is_identity = 'YES' or column_default like 'nextval(%')",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (table, column) in sequences {
        sqlx::query(&format!(
            "select setval(pg_get_serial_sequence($1, $2), coalesce(max({}), 0) + 1, false) \
             from {}",
            quote(&column),
            quote(&table)
        ))
        .bind(quote(&table))
        .bind(&column)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The archive entry of a table's rows.
fn entry_name(table: &str) -> String {
    format!("postgres/{table}.copy")
}

fn column_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|column| quote(column))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An identifier as SQL text, whatever it holds.
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
