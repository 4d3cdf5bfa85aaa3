//! The Automerge storage: each ticket document as an ordered list of chunks (snapshots and
//! incremental changes). Loading concatenates the chunks; `automerge::Automerge::load` accepts
//! that concatenation as it is.

use super::{Store, now_ms, with_pool};

/// What a stored chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// A whole document, as `Automerge::save` writes it.
    Snapshot,
    /// Changes since the previous chunks, as `Automerge::save_incremental` writes them.
    Incremental,
}

impl ChunkKind {
    fn as_str(self) -> &'static str {
        match self {
            ChunkKind::Snapshot => "snapshot",
            ChunkKind::Incremental => "incremental",
        }
    }
}

impl Store {
    /// Appends one chunk to a document's storage; committed when this returns.
    #[tracing::instrument(skip_all, fields(doc_id, bytes = data.len()))]
    pub async fn append_chunk(
        &self,
        doc_id: &str,
        kind: ChunkKind,
        data: &[u8],
    ) -> sqlx::Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "insert into doc_chunks (doc_id, kind, data, created_at) values ($1, $2, $3, $4)",
            )
            .bind(doc_id)
            .bind(kind.as_str())
            .bind(data)
            .bind(now_ms())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// All chunks of a document in the order they were written, concatenated; `None` when the
    /// document was never stored.
    #[tracing::instrument(skip_all, fields(doc_id))]
    pub async fn load_document_bytes(&self, doc_id: &str) -> sqlx::Result<Option<Vec<u8>>> {
        let chunks = with_pool!(self, pool => {
            sqlx::query_scalar::<_, Vec<u8>>(
                "select data from doc_chunks where doc_id = $1 order by id",
            )
            .bind(doc_id)
            .fetch_all(pool)
            .await
        })?;
        if chunks.is_empty() {
            return Ok(None);
        }
        Ok(Some(chunks.concat()))
    }
}
