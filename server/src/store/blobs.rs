//! Photo metadata: one row per photo, named by its SHA-256, and who uploaded it.

use serde::Serialize;

use super::{Result, Store, now_ms, with_pool};

/// What the server knows about a stored photo.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct BlobRow {
    pub sha256: String,
    pub format: String,
    pub width: i64,
    pub height: i64,
    pub original_bytes: i64,
    pub display_bytes: i64,
    pub thumb_bytes: i64,
    pub uploaded_by: String,
    pub created_at: i64,
}

impl Store {
    #[tracing::instrument(skip_all, fields(sha256))]
    pub async fn blob(&self, sha256: &str) -> Result<Option<BlobRow>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, BlobRow>(
                "select sha256, format, width, height, original_bytes, display_bytes, thumb_bytes,
                        uploaded_by, created_at
                 from blobs where sha256 = $1",
            )
            .bind(sha256)
            .fetch_optional(pool)
            .await
        })
    }

    /// Records a photo whose sizes are already in the blob store, and its uploader. A second
    /// insert of the same photo (two phones, or a retry racing the first) changes nothing but adds
    /// the uploader.
    #[tracing::instrument(skip_all, fields(sha256 = row.sha256))]
    pub async fn insert_blob(&self, row: &BlobRow) -> Result<()> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "insert into blobs (sha256, format, width, height, original_bytes, display_bytes,
                                    thumb_bytes, uploaded_by, created_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 on conflict (sha256) do nothing",
            )
            .bind(&row.sha256)
            .bind(&row.format)
            .bind(row.width)
            .bind(row.height)
            .bind(row.original_bytes)
            .bind(row.display_bytes)
            .bind(row.thumb_bytes)
            .bind(&row.uploaded_by)
            .bind(row.created_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "insert into blob_uploaders (sha256, user_id, created_at) values ($1, $2, $3)
                 on conflict (sha256, user_id) do nothing",
            )
            .bind(&row.sha256)
            .bind(&row.uploaded_by)
            .bind(row.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
    }

    /// Adds `user_id` to those who uploaded an existing photo.
    #[tracing::instrument(skip_all, fields(sha256))]
    pub async fn add_blob_uploader(&self, sha256: &str, user_id: &str) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "insert into blob_uploaders (sha256, user_id, created_at) values ($1, $2, $3)
                 on conflict (sha256, user_id) do nothing",
            )
            .bind(sha256)
            .bind(user_id)
            .bind(now_ms())
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    /// True when `user_id` uploaded the photo.
    #[tracing::instrument(skip_all, fields(sha256))]
    pub async fn is_blob_uploader(&self, sha256: &str, user_id: &str) -> Result<bool> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from blob_uploaders where sha256 = $1 and user_id = $2",
            )
            .bind(sha256)
            .bind(user_id)
            .fetch_one(pool)
            .await
            .map(|n| n > 0)
        })
    }
}
