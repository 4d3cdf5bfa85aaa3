//! Where photo bytes live. [`BlobStore`] is the one interface; [`FsBlobStore`] keeps
//! content-addressed files in the data directory. An S3-compatible store (through the
//! `object_store` crate) can implement the same trait later without touching the handlers.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;

/// Storage of immutable objects under string keys (`<sha256>/display.jpg`). Writing a key that
/// already exists is allowed and leaves the first copy in place: keys name their content.
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, durably, before returning.
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, io::Result<()>>;
    /// Reads the object, or `None` when it does not exist.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>>;
    /// Removes the object (nothing when it does not exist).
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>>;
}

/// Files under a directory: `<root>/<first two hex digits>/<sha256>-<variant>.jpg`, written through a
/// temporary file, `fsync` and `rename`, so a reader never sees half a file and a crash leaves
/// either the whole file or none.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// Maps a key to a path, refusing anything that is not `<hex>/<name>` (no `..`, no slashes).
    fn path(&self, key: &str) -> io::Result<PathBuf> {
        let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "invalid blob key");
        let (hash, name) = key.split_once('/').ok_or_else(invalid)?;
        let hash_ok = hash.len() >= 2 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
            && !name.starts_with('.');
        if !hash_ok || !name_ok {
            return Err(invalid());
        }
        Ok(self.root.join(&hash[..2]).join(format!("{hash}-{name}")))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().expect("blob paths have a parent");
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename is durable only once the directory entry is.
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl BlobStore for FsBlobStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let path = self.path(key)?;
            tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
                .await
                .map_err(io::Error::other)?
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            match tokio::fs::read(self.path(key)?).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(err) => Err(err),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
                _ => Ok(()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_reads_and_keeps_the_first_copy() {
        let root = std::env::temp_dir().join(format!("campo-blobs-{}", uuid::Uuid::new_v4()));
        let store = FsBlobStore::new(root.clone());
        let key = "ab12/display.jpg";
        assert_eq!(store.get(key).await.unwrap(), None);
        store.put(key, b"one".to_vec()).await.unwrap();
        store.put(key, b"one".to_vec()).await.unwrap();
        assert_eq!(store.get(key).await.unwrap().as_deref(), Some(&b"one"[..]));
        let files: Vec<_> = std::fs::read_dir(root.join("ab")).unwrap().collect();
        assert_eq!(files.len(), 1, "no temporary file left behind");
        store.delete(key).await.unwrap();
        store.delete(key).await.unwrap();
        assert_eq!(store.get(key).await.unwrap(), None);
        for bad in [
            "../x/display.jpg",
            "ab/../../etc",
            "zz/display.jpg",
            "ab12/.hidden",
        ] {
            assert!(store.put(bad, vec![]).await.is_err(), "{bad}");
        }
        std::fs::remove_dir_all(root).unwrap();
    }
}
