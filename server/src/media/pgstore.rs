//! Photo bytes in PostgreSQL (`CAMPO_PHOTO_STORE=database`): every replica reads every photo,
//! wherever it runs, with nothing to share but the database (and the photos are in its backups).
//! One row per object in `blob_objects`; like the files, an object is written once and never
//! changed (its key names its content). Objects written to the data directory before the
//! switch are still read from there (see [`PgBlobStore::get`]).

use std::io;

use futures_util::future::BoxFuture;
use sqlx::PgPool;

use super::blobstore::{BlobStore, FsBlobStore};

/// Objects in the `blob_objects` table, with the data directory's files as the fallback for
/// reads.
pub struct PgBlobStore {
    pool: PgPool,
    files: FsBlobStore,
}

impl PgBlobStore {
    pub fn new(pool: PgPool, files: FsBlobStore) -> Self {
        Self { pool, files }
    }
}

fn io_error(err: sqlx::Error) -> io::Error {
    io::Error::other(err)
}

impl BlobStore for PgBlobStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            // Committed when this returns: the photo's row in `blobs` is written only after.
            sqlx::query(
                "insert into blob_objects (key, data, created_at) values ($1, $2, $3)
                 on conflict (key) do nothing",
            )
            .bind(key)
            .bind(bytes)
            .bind(crate::store::now_ms())
            .execute(&self.pool)
            .await
            .map_err(io_error)?;
            Ok(())
        })
    }

    /// The object from the database, or, for a photo stored in the data directory before the
    /// switch to the database, from there.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let row: Option<Vec<u8>> =
                sqlx::query_scalar("select data from blob_objects where key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(io_error)?;
            match row {
                Some(bytes) => Ok(Some(bytes)),
                None => self.files.get(key).await,
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            sqlx::query("delete from blob_objects where key = $1")
                .bind(key)
                .execute(&self.pool)
                .await
                .map_err(io_error)?;
            self.files.delete(key).await
        })
    }
}
