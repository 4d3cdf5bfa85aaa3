//! The SQLite side of a copy: `VACUUM INTO` for a consistent snapshot while the server writes,
//! and the file put back in place on restore.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};

use super::archive::{ArchiveReader, ArchiveWriter};
use super::{COUNTS_SQL, Counts, SQLITE_ENTRY, Snapshot};

/// Copies the database at `db_path` into the archive as one snapshot. It opens the file itself,
/// without running migrations: a backup changes nothing.
pub(super) fn export(db_path: &Path, writer: &mut ArchiveWriter) -> anyhow::Result<Snapshot> {
    if !db_path.exists() {
        anyhow::bail!(
            "no existe la base de datos {}: revise CAMPO_DATA_DIR y DATABASE_URL",
            db_path.display()
        );
    }
    let snapshot = SnapshotFile::new(db_path);
    {
        let live = Connection::open_with_flags(db_path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        live.busy_timeout(Duration::from_secs(30))?;
        // One read transaction: what was committed when it started, whatever the server
        // writes meanwhile.
        let target = snapshot.path.to_str().context("a path in UTF-8")?;
        live.execute("vacuum into ?1", [target])?;
    }
    let copy = Connection::open_with_flags(&snapshot.path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let schema_version: i64 = copy
        .query_row(
            "select coalesce(max(version), 0) from _sqlx_migrations where success",
            [],
            |row| row.get(0),
        )
        .context("no es una base de datos de Campo")?;
    let counts = copy.query_row(COUNTS_SQL, [], |row| {
        Ok(Counts {
            tickets: row.get(0)?,
            users: row.get(1)?,
            photos: row.get(2)?,
        })
    })?;
    drop(copy);
    writer.add_file(SQLITE_ENTRY, &snapshot.path, true)?;
    Ok(Snapshot {
        schema_version,
        counts,
        tables: Vec::new(),
    })
}

/// The snapshot's file beside the database (same disk, same permissions), removed when dropped.
struct SnapshotFile {
    path: PathBuf,
}

impl SnapshotFile {
    fn new(db_path: &Path) -> Self {
        let path = db_path.with_file_name(format!(
            ".campo-backup-{}.sqlite3",
            uuid::Uuid::new_v4().simple()
        ));
        Self { path }
    }
}

impl Drop for SnapshotFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Refuses a database file that exists: a restore never replaces one (a running server may hold
/// it open, and it may hold data).
pub(super) fn check_empty(db_path: &Path) -> anyhow::Result<()> {
    for path in [db_path.to_path_buf(), with_suffix(db_path, "-wal")] {
        if path.exists() {
            anyhow::bail!(
                "ya existe la base de datos {}: restaure en un directorio de datos vacío \
                 (CAMPO_DATA_DIR) o apunte DATABASE_URL a un archivo que no exista; no se \
                 cambió nada",
                path.display()
            );
        }
    }
    Ok(())
}

/// Puts the archive's database at `db_path` (checked empty before).
pub(super) fn import(reader: &mut ArchiveReader, db_path: &Path) -> anyhow::Result<()> {
    reader
        .extract(SQLITE_ENTRY, db_path)
        .with_context(|| format!("no se pudo escribir la base de datos {}", db_path.display()))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
