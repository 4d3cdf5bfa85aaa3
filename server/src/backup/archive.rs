//! The archive file: written under a temporary name, `fsync`ed and renamed, so a crash never
//! leaves half a copy under the final name; read back only after every entry has been checked
//! against the manifest's SHA-256.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{Entry, FORMAT, Manifest};

/// Name of the manifest inside the archive.
const MANIFEST: &str = "manifest.json";

/// An archive being written. Dropped without [`ArchiveWriter::finish`], it removes its temporary
/// file.
pub(super) struct ArchiveWriter {
    zip: Option<ZipWriter<File>>,
    /// Where it is written until finished.
    temporary: PathBuf,
    /// Where it goes when finished.
    path: PathBuf,
    entries: Vec<Entry>,
    /// The entry being written with [`ArchiveWriter::write`], if any.
    open: Option<(String, Sha256, u64)>,
}

impl ArchiveWriter {
    /// Starts an archive that will be `path`; refuses a path that exists (an older copy is never
    /// overwritten).
    pub(super) fn create(path: &Path) -> anyhow::Result<Self> {
        if path.exists() {
            anyhow::bail!(
                "ya existe el archivo {}: elija otro nombre (una copia anterior nunca se \
                 sobrescribe)",
                path.display()
            );
        }
        let name = path
            .file_name()
            .with_context(|| format!("{} no es un nombre de archivo", path.display()))?;
        let temporary = path.with_file_name(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            uuid::Uuid::new_v4().simple()
        ));
        let file = File::create(&temporary)
            .with_context(|| format!("no se pudo crear el archivo {}", path.display()))?;
        Ok(Self {
            zip: Some(ZipWriter::new(file)),
            temporary,
            path: path.to_path_buf(),
            entries: Vec::new(),
            open: None,
        })
    }

    fn zip(&mut self) -> &mut ZipWriter<File> {
        self.zip.as_mut().expect("the archive is not finished")
    }

    /// Starts an entry written by [`ArchiveWriter::write`] and ended by
    /// [`ArchiveWriter::end`]; `compress` for data that shrinks (a database, not JPEG files).
    pub(super) fn start(&mut self, name: &str, compress: bool) -> anyhow::Result<()> {
        let method = if compress {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        // ZIP64 fields for every entry: a database may pass 4 GiB, and the cost is a few bytes.
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true);
        self.zip()
            .start_file(name, options)
            .with_context(|| format!("no se pudo escribir {name} en la copia"))?;
        self.open = Some((name.to_owned(), Sha256::new(), 0));
        Ok(())
    }

    /// Appends bytes to the entry started last.
    pub(super) fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let (name, hash, size) = self.open.as_mut().expect("an entry is open");
        hash.update(bytes);
        *size += bytes.len() as u64;
        let name = name.clone();
        self.zip()
            .write_all(bytes)
            .with_context(|| format!("no se pudo escribir {name} en la copia"))
    }

    /// Ends the entry started last and records it for the manifest.
    pub(super) fn end(&mut self) {
        let (name, hash, bytes) = self.open.take().expect("an entry is open");
        self.entries.push(Entry {
            name,
            bytes,
            sha256: hex(&hash.finalize()),
        });
    }

    /// Adds the file at `path` as the entry `name`.
    pub(super) fn add_file(
        &mut self,
        name: &str,
        path: &Path,
        compress: bool,
    ) -> anyhow::Result<()> {
        let mut file = File::open(path)?;
        self.start(name, compress)?;
        let mut buffer = vec![0; 256 * 1024];
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            self.write(&buffer[..read])?;
        }
        self.end();
        Ok(())
    }

    /// Writes the manifest (with the entries written), and makes the archive durable under its
    /// final name. Returns the manifest and the archive's size.
    pub(super) fn finish(mut self, mut manifest: Manifest) -> anyhow::Result<(Manifest, u64)> {
        manifest.entries = std::mem::take(&mut self.entries);
        let json = serde_json::to_vec_pretty(&manifest)?;
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let zip = self.zip();
        zip.start_file(MANIFEST, options)?;
        zip.write_all(&json)?;
        let file = self
            .zip
            .take()
            .expect("the archive is not finished")
            .finish()
            .context("no se pudo terminar la copia")?;
        let durable = (|| {
            file.sync_all()?;
            let size = file.metadata()?.len();
            if self.path.exists() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "otro proceso creó el archivo mientras se hacía la copia",
                ));
            }
            std::fs::rename(&self.temporary, &self.path)?;
            // The rename is durable only once the directory entry is.
            let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty());
            File::open(dir.unwrap_or(Path::new(".")))?.sync_all()?;
            Ok::<_, io::Error>(size)
        })();
        let size = durable
            .with_context(|| format!("no se pudo guardar la copia en {}", self.path.display()))?;
        Ok((manifest, size))
    }
}

impl Drop for ArchiveWriter {
    fn drop(&mut self) {
        // Still there only when the copy failed: it never becomes the archive.
        let _ = std::fs::remove_file(&self.temporary);
    }
}

/// An archive whose every entry matched the manifest when it was opened.
pub(super) struct ArchiveReader {
    zip: ZipArchive<File>,
    /// What the archive holds.
    pub(super) manifest: Manifest,
}

impl ArchiveReader {
    /// Opens `path` and reads every entry through, checking it against the manifest: a damaged,
    /// truncated or foreign file is refused before anything is written.
    pub(super) fn open(path: &Path) -> anyhow::Result<Self> {
        let damaged = || {
            format!(
                "{} no es una copia de Campo completa (¿está incompleta o dañada?); no se \
                 cambió nada",
                path.display()
            )
        };
        let file =
            File::open(path).with_context(|| format!("no se pudo abrir {}", path.display()))?;
        let mut zip = ZipArchive::new(file).with_context(damaged)?;
        let mut json = Vec::new();
        zip.by_name(MANIFEST)
            .and_then(|mut entry| Ok(entry.read_to_end(&mut json)?))
            .with_context(damaged)?;
        let manifest: Manifest = serde_json::from_slice(&json).with_context(damaged)?;
        if manifest.format > FORMAT {
            anyhow::bail!(
                "{} fue hecha por una versión más nueva de Campo ({}, formato {}): actualice \
                 Campo antes de restaurar",
                path.display(),
                manifest.campo_version,
                manifest.format
            );
        }
        if zip.len() != manifest.entries.len() + 1 {
            return Err(anyhow::anyhow!(
                "el archivo tiene {} entradas y el manifiesto nombra {}",
                zip.len(),
                manifest.entries.len() + 1
            ))
            .with_context(damaged);
        }
        for entry in &manifest.entries {
            check(&mut zip, entry)
                .with_context(|| format!("la entrada {} no coincide", entry.name))
                .with_context(damaged)?;
        }
        Ok(Self { zip, manifest })
    }

    /// A reader of the entry `name`.
    pub(super) fn entry(&mut self, name: &str) -> anyhow::Result<impl Read + '_> {
        self.zip
            .by_name(name)
            .with_context(|| format!("a la copia le falta {name}"))
    }

    /// Writes the entry `name` to `path` (a new file): through a temporary file, `fsync` and
    /// `rename`, as the photo store does.
    pub(super) fn extract(&mut self, name: &str, path: &Path) -> anyhow::Result<()> {
        let dir = path.parent().context("a file has a parent directory")?;
        std::fs::create_dir_all(dir)?;
        let temporary = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
        let written = (|| {
            let mut file = File::create(&temporary)?;
            io::copy(&mut self.entry(name)?, &mut file)?;
            file.sync_all()?;
            std::fs::rename(&temporary, path)?;
            File::open(dir)?.sync_all()?;
            Ok(())
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    }
}

/// Reads the entry through and compares its size and SHA-256 with the manifest's.
fn check(zip: &mut ZipArchive<File>, expected: &Entry) -> anyhow::Result<()> {
    let mut entry = zip.by_name(&expected.name)?;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    let mut buffer = vec![0; 256 * 1024];
    loop {
        let read = entry.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hash.update(&buffer[..read]);
        size += read as u64;
    }
    if size != expected.bytes || hex(&hash.finalize()) != expected.sha256 {
        anyhow::bail!("su contenido no es el que registró el manifiesto");
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
