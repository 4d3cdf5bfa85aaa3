//! The Automerge storage: each ticket document as an ordered list of chunks (snapshots and
//! incremental changes). Loading concatenates the chunks; `automerge::Automerge::load` accepts
//! that concatenation as it is. Compaction replaces the chunks a snapshot covers with that
//! snapshot in one transaction, naming them by id, so chunks written meanwhile by another replica
//! are never lost.

use super::sqlite_writer::{self, Args};
use super::{Backend, Store, now_ms, with_pool};

/// Stores one chunk: `$1` the document, `$2` its [`ChunkKind`], `$3` the bytes, `$4` the time.
pub(crate) const INSERT_CHUNK: &str =
    "insert into doc_chunks (doc_id, kind, data, created_at) values ($1, $2, $3, $4) returning id";

/// Deletes chunk `$2` of document `$1`.
const DELETE_CHUNK: &str = "delete from doc_chunks where doc_id = $1 and id = $2";

/// What a stored chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// A whole document, as `Automerge::save` writes it.
    Snapshot,
    /// Changes since the previous chunks, as `Automerge::save_after` writes them.
    Incremental,
}

impl ChunkKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChunkKind::Snapshot => "snapshot",
            ChunkKind::Incremental => "incremental",
        }
    }
}

/// One stored chunk with its id (ids grow in write order).
#[derive(Debug, Clone)]
pub struct Chunk {
    pub id: i64,
    pub data: Vec<u8>,
}

impl Store {
    /// Appends one chunk to a document's storage; committed when this returns. Returns its id.
    #[tracing::instrument(skip_all, fields(doc_id, bytes = data.len()))]
    pub async fn append_chunk(
        &self,
        doc_id: &str,
        kind: ChunkKind,
        data: &[u8],
    ) -> sqlx::Result<i64> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(INSERT_CHUNK)
            .bind(doc_id)
            .bind(kind.as_str())
            .bind(data)
            .bind(now_ms())
            .fetch_one(pool)
            .await
        })
    }

    /// All chunks of a document in the order they were written, concatenated; `None` when the
    /// document was never stored.
    #[tracing::instrument(skip_all, fields(doc_id))]
    pub async fn load_document_bytes(&self, doc_id: &str) -> sqlx::Result<Option<Vec<u8>>> {
        let chunks = self.load_chunks(doc_id).await?;
        if chunks.is_empty() {
            return Ok(None);
        }
        Ok(Some(chunks.into_iter().flat_map(|c| c.data).collect()))
    }

    /// All chunks of a document in write order, with their ids.
    #[tracing::instrument(skip_all, fields(doc_id))]
    pub async fn load_chunks(&self, doc_id: &str) -> sqlx::Result<Vec<Chunk>> {
        let rows = with_pool!(self, pool => {
            sqlx::query_as::<_, (i64, Vec<u8>)>(
                "select id, data from doc_chunks where doc_id = $1 order by id",
            )
            .bind(doc_id)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, data)| Chunk { id, data })
            .collect())
    }

    /// Chunks of a document written after chunk `after` (another replica's writes).
    #[tracing::instrument(skip_all, fields(doc_id))]
    pub async fn load_chunks_after(&self, doc_id: &str, after: i64) -> sqlx::Result<Vec<Chunk>> {
        let rows = with_pool!(self, pool => {
            sqlx::query_as::<_, (i64, Vec<u8>)>(
                "select id, data from doc_chunks where doc_id = $1 and id > $2 order by id",
            )
            .bind(doc_id)
            .bind(after)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, data)| Chunk { id, data })
            .collect())
    }

    /// Writes `snapshot` and deletes the chunks it replaces, in one transaction. Returns the
    /// snapshot's chunk id.
    #[tracing::instrument(skip_all, fields(doc_id, bytes = snapshot.len(), replaced = replaced.len()))]
    pub async fn compact_document(
        &self,
        doc_id: &str,
        snapshot: &[u8],
        replaced: &[i64],
    ) -> sqlx::Result<i64> {
        let now = now_ms();
        let pool = match &self.backend {
            Backend::Postgres(pool) => pool,
            Backend::Sqlite(_) => {
                let doc_id = doc_id.to_owned();
                let snapshot = snapshot.to_vec();
                let replaced = replaced.to_vec();
                return self
                    .sqlite_writer()?
                    .run(move |conn| {
                        sqlite_writer::transaction(conn, |tx| {
                            let id = sqlite_writer::query_scalar(
                                tx,
                                INSERT_CHUNK,
                                &Args::default()
                                    .bind(&doc_id)
                                    .bind(ChunkKind::Snapshot.as_str())
                                    .bind(&snapshot)
                                    .bind(now),
                            )?;
                            for old in &replaced {
                                let args = Args::default().bind(&doc_id).bind(old);
                                sqlite_writer::execute(tx, DELETE_CHUNK, &args)?;
                            }
                            id.ok_or(rusqlite::Error::QueryReturnedNoRows)
                        })
                    })
                    .await;
            }
        };
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<_, i64>(INSERT_CHUNK)
            .bind(doc_id)
            .bind(ChunkKind::Snapshot.as_str())
            .bind(snapshot)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        for old in replaced {
            sqlx::query(DELETE_CHUNK)
                .bind(doc_id)
                .bind(*old)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Number of stored documents (for the benchmark and health figures).
    pub async fn count_documents(&self) -> sqlx::Result<i64> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>("select count(distinct doc_id) from doc_chunks")
                .fetch_one(pool)
                .await
        })
    }
}
