//! `campo backup` and `campo restore`: the whole of Campo (database and photos) in one archive
//! file, and back into an empty place.
//!
//! The archive is a zip file: `manifest.json` (what the copy holds, with the SHA-256 of every
//! other entry), the database and `blobs/…` (the photo files, as the data directory keeps them).
//! The database is copied first, as one consistent snapshot, and the photos after it: a photo's
//! files are stored before its row enters the database and are never changed, so every photo
//! the snapshot knows has its files in the archive, even when phones sync during the copy.
//!
//! - SQLite: `VACUUM INTO`, a consistent copy taken in one read transaction while the server
//!   keeps writing; the archive holds that file (`campo.sqlite3`).
//! - PostgreSQL: every table through `COPY … TO STDOUT` inside one `repeatable read` read-only
//!   transaction (one snapshot); the archive holds one entry per table (`postgres/<table>.copy`,
//!   PostgreSQL's text format) with its columns in the manifest. Campo does this itself rather
//!   than run `pg_dump`: nothing to install beside Campo, no match needed between the client's and
//!   the server's versions, and the restore knows the schema it fills (see [`postgres`]).
//!
//! A restore reads and checks the whole archive before it writes anything, refuses a place that
//! already holds data, and finishes by rebuilding the projection ([`crate::reproject`]).

mod archive;
mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::store::{Store, with_pool};

use archive::{ArchiveReader, ArchiveWriter};

/// The version of the archive's layout; a restore refuses a newer one.
pub const FORMAT: u32 = 1;

/// What a copy holds, written as `manifest.json` in the archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`] of the program that wrote it.
    pub format: u32,
    /// The version of Campo that wrote it.
    pub campo_version: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The last database migration applied when the copy was taken.
    pub schema_version: i64,
    /// When the copy was taken (RFC 3339, UTC).
    pub created_at: String,
    /// What the database held.
    pub counts: Counts,
    /// PostgreSQL: the tables, in the order a restore fills them, with their columns.
    #[serde(default)]
    pub tables: Vec<Table>,
    /// Every other entry of the archive, with its size and SHA-256.
    pub entries: Vec<Entry>,
}

/// How many of the things people notice a database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Ticket documents (cases).
    pub tickets: i64,
    /// Accounts.
    pub users: i64,
    /// Photos (each with its display and thumbnail files).
    pub photos: i64,
}

/// One table of a PostgreSQL copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    /// The table's name.
    pub name: String,
    /// Its columns, in the order of the `COPY` data.
    pub columns: Vec<String>,
}

/// One entry of the archive other than the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Its path inside the archive.
    pub name: String,
    /// Its size, uncompressed.
    pub bytes: u64,
    /// The SHA-256 of its content, in hex.
    pub sha256: String,
}

/// The SQL that counts [`Counts`], the same on both backends.
const COUNTS_SQL: &str = "select (select count(*) from tickets), (select count(*) from users),
                                 (select count(*) from blobs)";

/// Name of the SQLite database inside the archive.
const SQLITE_ENTRY: &str = "campo.sqlite3";

/// Where the photos live inside the archive, and inside the data directory.
const BLOBS: &str = "blobs";

/// What `campo backup` wrote.
#[derive(Debug)]
pub struct BackupSummary {
    /// The manifest of the archive.
    pub manifest: Manifest,
    /// Size of the archive file.
    pub archive_bytes: u64,
}

/// Writes a copy of the configured database and photos to `archive`, which must not exist.
/// Safe while `campo serve` runs; it neither migrates nor changes the database.
pub async fn backup(config: &Config, archive: &Path) -> anyhow::Result<BackupSummary> {
    let mut writer = ArchiveWriter::create(archive)?;
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (backend, snapshot) = if is_postgres(&config.database_url) {
        (
            "postgres",
            postgres::export(&config.database_url, &mut writer).await?,
        )
    } else {
        let db_path = sqlite_path(&config.database_url)?;
        (
            "sqlite",
            sqlite::export(&db_path, &mut writer).with_context(|| {
                format!("no se pudo copiar la base de datos {}", db_path.display())
            })?,
        )
    };
    // After the database, never before: see the module's comment.
    add_photos(&mut writer, &config.data_dir.join(BLOBS))?;
    let manifest = Manifest {
        format: FORMAT,
        campo_version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: backend.to_owned(),
        schema_version: snapshot.schema_version,
        created_at,
        counts: snapshot.counts,
        tables: snapshot.tables,
        entries: Vec::new(),
    };
    let (manifest, archive_bytes) = writer.finish(manifest)?;
    Ok(BackupSummary {
        manifest,
        archive_bytes,
    })
}

/// What a backend's export found in its snapshot.
struct Snapshot {
    schema_version: i64,
    counts: Counts,
    tables: Vec<Table>,
}

/// Adds every photo file under `root` as `blobs/<xx>/<file>`; a missing directory is no photos.
fn add_photos(writer: &mut ArchiveWriter, root: &Path) -> anyhow::Result<()> {
    let read_error = || format!("no se pudieron leer las fotos de {}", root.display());
    let shards = match std::fs::read_dir(root) {
        Ok(shards) => shards,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err).with_context(read_error),
    };
    let mut files = Vec::new();
    for shard in shards {
        let shard = shard.with_context(read_error)?;
        if !shard.file_type().with_context(read_error)?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(shard.path()).with_context(read_error)? {
            let file = file.with_context(read_error)?;
            let name = format!(
                "{BLOBS}/{}/{}",
                shard.file_name().to_string_lossy(),
                file.file_name().to_string_lossy()
            );
            // Half-written uploads (`.tmp-…`) are not photos yet.
            if blob_entry_path(Path::new(""), &name).is_some() {
                files.push((name, file.path()));
            }
        }
    }
    // The same photos always make the same archive order.
    files.sort();
    for (name, path) in files {
        writer
            .add_file(&name, &path, false)
            .with_context(|| format!("no se pudo copiar la foto {}", path.display()))?;
    }
    Ok(())
}

/// The path under `data_dir` where the archive entry `name` (`blobs/<xx>/<file>`) goes, or
/// `None` when the name is not one of a photo file: nothing in an archive can write elsewhere.
fn blob_entry_path(data_dir: &Path, name: &str) -> Option<PathBuf> {
    let mut parts = name.split('/');
    let (Some(BLOBS), Some(shard), Some(file), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let shard_ok = shard.len() == 2 && shard.bytes().all(|b| b.is_ascii_hexdigit());
    let file_ok = file.starts_with(shard)
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    (shard_ok && file_ok).then(|| data_dir.join(BLOBS).join(shard).join(file))
}

/// What `campo restore` restored.
#[derive(Debug)]
pub struct RestoreSummary {
    /// The manifest of the archive.
    pub manifest: Manifest,
    /// Tickets whose projection was rebuilt.
    pub reprojected: usize,
}

/// Restores `archive` into the configured data directory and database, which must hold no data.
/// Nothing is written when the archive is damaged, comes from the other backend or a newer
/// Campo, or when the place is not empty.
pub async fn restore(config: &Config, archive: &Path) -> anyhow::Result<RestoreSummary> {
    let mut reader = ArchiveReader::open(archive)?;
    let manifest = reader.manifest.clone();
    let target = if is_postgres(&config.database_url) {
        "postgres"
    } else {
        "sqlite"
    };
    if manifest.backend != target {
        anyhow::bail!(
            "la copia {} es de {} y la configuración usa {}: restaure con un DATABASE_URL del \
             mismo motor (restaurar entre motores distintos no está soportado)",
            archive.display(),
            backend_label(&manifest.backend),
            backend_label(target)
        );
    }
    let latest = crate::store::latest_migration(target == "postgres");
    if manifest.schema_version > latest {
        anyhow::bail!(
            "la copia {} viene de una versión más nueva de Campo ({}, esquema {}); esta versión \
             conoce hasta el esquema {latest}: actualice Campo antes de restaurar",
            archive.display(),
            manifest.campo_version,
            manifest.schema_version
        );
    }
    let blobs = config.data_dir.join(BLOBS);
    refuse_photos_in(&blobs)?;
    if target == "postgres" {
        postgres::check_empty(&config.database_url, manifest.schema_version).await?;
    } else {
        sqlite::check_empty(&sqlite_path(&config.database_url)?)?;
    }

    // From here on the place is ours: what a failure leaves behind is removed.
    let written = extract_photos(&mut reader, &config.data_dir).and_then(|()| {
        if target == "sqlite" {
            sqlite::import(&mut reader, &sqlite_path(&config.database_url)?)
        } else {
            Ok(())
        }
    });
    let written = match written {
        Ok(()) if target == "postgres" => postgres::import(&config.database_url, &mut reader).await,
        other => other,
    };
    if let Err(err) = written {
        let _ = std::fs::remove_dir_all(&blobs);
        return Err(err);
    }

    // The remaining migrations of this version, then the projection as this version writes it.
    let store = Store::connect(&config.database_url)
        .await
        .context("no se pudo abrir la base de datos restaurada")?;
    let finished = finish_restore(&store, &manifest).await;
    store.close().await;
    let reprojected = finished?;
    Ok(RestoreSummary {
        manifest,
        reprojected,
    })
}

/// Rebuilds the projection of the restored store and checks it holds what the manifest says.
async fn finish_restore(store: &Store, manifest: &Manifest) -> anyhow::Result<usize> {
    let summary = crate::reproject::run(store).await?;
    let counts = counts(store).await?;
    if counts != manifest.counts {
        anyhow::bail!(
            "la base restaurada no tiene lo que dice la copia ({} casos, {} usuarios, {} fotos; \
             la copia dice {}, {} y {})",
            counts.tickets,
            counts.users,
            counts.photos,
            manifest.counts.tickets,
            manifest.counts.users,
            manifest.counts.photos
        );
    }
    Ok(summary.tickets)
}

/// The [`Counts`] of an open store.
async fn counts(store: &Store) -> anyhow::Result<Counts> {
    let (tickets, users, photos): (i64, i64, i64) =
        with_pool!(store, pool => sqlx::query_as(COUNTS_SQL).fetch_one(pool).await)?;
    Ok(Counts {
        tickets,
        users,
        photos,
    })
}

/// Refuses a photo directory that holds any file.
fn refuse_photos_in(blobs: &Path) -> anyhow::Result<()> {
    let Ok(mut shards) = std::fs::read_dir(blobs) else {
        return Ok(());
    };
    if shards.next().is_some() {
        anyhow::bail!(
            "el directorio de fotos {} no está vacío: restaure en un directorio de datos vacío \
             (CAMPO_DATA_DIR); no se cambió nada",
            blobs.display()
        );
    }
    Ok(())
}

/// Writes every photo of the archive under `data_dir/blobs`.
fn extract_photos(reader: &mut ArchiveReader, data_dir: &Path) -> anyhow::Result<()> {
    let names: Vec<String> = reader
        .manifest
        .entries
        .iter()
        .map(|entry| entry.name.clone())
        .filter(|name| name.starts_with("blobs/"))
        .collect();
    for name in names {
        let path = blob_entry_path(data_dir, &name)
            .with_context(|| format!("la copia tiene una entrada inesperada: {name}"))?;
        reader
            .extract(&name, &path)
            .with_context(|| format!("no se pudo escribir la foto {}", path.display()))?;
    }
    Ok(())
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The file of a `sqlite:` URL.
fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .with_context(|| format!("DATABASE_URL no es una URL de SQLite válida: {url}"))?;
    Ok(options.get_filename().to_path_buf())
}

/// The backend's name as people read it.
fn backend_label(backend: &str) -> &'static str {
    match backend {
        "postgres" => "PostgreSQL",
        "sqlite" => "SQLite",
        _ => "un motor desconocido",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_photo_files_map_into_the_data_directory() {
        let dir = Path::new("/datos");
        assert_eq!(
            blob_entry_path(dir, "blobs/ab/abcdef-display.jpg"),
            Some(PathBuf::from("/datos/blobs/ab/abcdef-display.jpg"))
        );
        for bad in [
            "blobs/ab/../../etc/passwd",
            "blobs/../campo.sqlite3",
            "blobs/ab/.tmp-123",
            "blobs/ab/cd-display.jpg",
            "blobs/ab/sub/abc",
            "otra/ab/abc",
            "blobs/zz/zz1",
        ] {
            assert_eq!(blob_entry_path(dir, bad), None, "{bad}");
        }
    }
}
