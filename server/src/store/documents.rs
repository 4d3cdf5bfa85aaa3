//! The Automerge storage: each ticket document as an ordered list of chunks (snapshots and
//! incremental changes). Loading concatenates the chunks; `automerge::Automerge::load` accepts
//! that concatenation as it is. Compaction replaces the chunks a snapshot covers with that
//! snapshot in one transaction, naming them by id, so chunks written meanwhile by another replica
//! are never lost.

use super::error::{Result, StoreError};
use super::sqlite_writer::transaction;
use super::tx::{Args, PgTx, SqliteTx, Tx, ready};
use super::{Backend, Store, now_ms, with_pool};

/// Stores one chunk: `$1` the document, `$2` its [`ChunkKind`], `$3` the bytes, `$4` the time.
pub(crate) const INSERT_CHUNK: &str =
    "insert into doc_chunks (doc_id, kind, data, created_at) values ($1, $2, $3, $4) returning id";

/// Deletes the chunks of document `$1` whose ids are in the JSON array `$2`, per backend.
const DELETE_CHUNKS_SQLITE: &str =
    "delete from doc_chunks where doc_id = $1 and id in (select value from json_each($2))";
const DELETE_CHUNKS_PG: &str = "delete from doc_chunks where doc_id = $1
     and id in (select value::bigint from json_array_elements_text($2::json))";

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

/// One stored chunk with its id (ids grow in the order writes begin, not the order they commit).
#[derive(Debug, Clone)]
pub struct Chunk {
    pub id: i64,
    pub data: Vec<u8>,
}

impl Store {
    /// Appends one chunk to a document's storage; committed when this returns. Returns its id.
    #[tracing::instrument(skip_all, fields(doc_id, bytes = data.len()))]
    pub async fn append_chunk(&self, doc_id: &str, kind: ChunkKind, data: &[u8]) -> Result<i64> {
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
    pub async fn load_document_bytes(&self, doc_id: &str) -> Result<Option<Vec<u8>>> {
        let chunks = self.load_chunks(doc_id).await?;
        if chunks.is_empty() {
            return Ok(None);
        }
        Ok(Some(chunks.into_iter().flat_map(|c| c.data).collect()))
    }

    /// All chunks of a document in write order, with their ids.
    #[tracing::instrument(skip_all, fields(doc_id))]
    pub async fn load_chunks(&self, doc_id: &str) -> Result<Vec<Chunk>> {
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

    /// Chunks of a document other than the `known` ones (another replica's writes), in id
    /// order.
    ///
    /// Not "the chunks after the highest known id": a replica that reads another's change only
    /// after storing one of its own already knows a higher id than the change's chunk, and a
    /// chunk's id is taken before its transaction commits, so a lower id can appear after a
    /// higher one. The ids come first (small), then the chunks from the first unknown one.
    #[tracing::instrument(skip_all, fields(doc_id, known = known.len()))]
    pub async fn load_unknown_chunks(&self, doc_id: &str, known: &[i64]) -> Result<Vec<Chunk>> {
        let known: std::collections::HashSet<i64> = known.iter().copied().collect();
        let ids = with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>("select id from doc_chunks where doc_id = $1 order by id")
                .bind(doc_id)
                .fetch_all(pool)
                .await
        })?;
        let Some(first) = ids.into_iter().find(|id| !known.contains(id)) else {
            return Ok(Vec::new());
        };
        let rows = with_pool!(self, pool => {
            sqlx::query_as::<_, (i64, Vec<u8>)>(
                "select id, data from doc_chunks where doc_id = $1 and id >= $2 order by id",
            )
            .bind(doc_id)
            .bind(first)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .filter(|(id, _)| !known.contains(id))
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
    ) -> Result<i64> {
        let now = now_ms();
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                let (doc_id, snapshot, replaced) =
                    (doc_id.to_owned(), snapshot.to_vec(), replaced.to_vec());
                writer
                    .run(move |conn| {
                        transaction(conn, |conn| {
                            let mut tx = SqliteTx(conn);
                            ready(compact(&mut tx, &doc_id, &snapshot, &replaced, now))
                        })
                    })
                    .await
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let id = compact(&mut PgTx(&mut tx), doc_id, snapshot, replaced, now).await?;
                tx.commit().await?;
                Ok(id)
            }
        }
    }

    /// Number of stored documents (for the benchmark and health figures).
    pub async fn count_documents(&self) -> Result<i64> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>("select count(distinct doc_id) from doc_chunks")
                .fetch_one(pool)
                .await
        })
    }
}

/// Stores `snapshot` as a chunk of `doc_id` and deletes the chunks it replaces (in one
/// statement), inside `tx`. Returns the snapshot's chunk id.
async fn compact<T: Tx>(
    tx: &mut T,
    doc_id: &str,
    snapshot: &[u8],
    replaced: &[i64],
    now: i64,
) -> Result<i64> {
    let chunk = Args::new()
        .bind(doc_id)
        .bind(ChunkKind::Snapshot.as_str())
        .bind(snapshot)
        .bind(now);
    let id = tx
        .fetch::<i64>(INSERT_CHUNK, &chunk)
        .await?
        .ok_or_else(|| StoreError::other("storing a chunk returned no id"))?;
    let replaced = serde_json::to_string(replaced).map_err(|err| StoreError::Other(err.into()))?;
    let delete = if T::SQLITE {
        DELETE_CHUNKS_SQLITE
    } else {
        DELETE_CHUNKS_PG
    };
    tx.execute(delete, &Args::new().bind(doc_id).bind(&replaced))
        .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ROOT};
    use campo_tests::{Backend, TestDb, both_backends};

    use super::*;

    /// Compaction replaces exactly the chunks it names with the snapshot: a chunk written
    /// meanwhile (another replica's change) stays, and the document loads with every change.
    async fn compaction_keeps_a_chunk_written_meanwhile(backend: Backend) {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.expect("store");
        let mut doc = Automerge::new();
        let mut ids = Vec::new();
        let mut heads = Vec::new();
        for i in 0..5_i64 {
            let mut tx = doc.transaction();
            tx.put(ROOT, format!("k{i}"), i).expect("put");
            tx.commit();
            let bytes = doc.save_after(&heads);
            heads = doc.get_heads();
            ids.push(
                store
                    .append_chunk("d-1", ChunkKind::Incremental, &bytes)
                    .await
                    .expect("chunk"),
            );
        }
        let snapshot = doc.save();
        // Another replica's change, stored after the snapshot was taken.
        let mut other = doc.fork();
        let mut tx = other.transaction();
        tx.put(ROOT, "otra", "réplica").expect("put");
        tx.commit();
        let late = store
            .append_chunk("d-1", ChunkKind::Incremental, &other.save_after(&heads))
            .await
            .expect("chunk");

        let id = store
            .compact_document("d-1", &snapshot, &ids)
            .await
            .expect("compacted");
        let left: Vec<i64> = store
            .load_chunks("d-1")
            .await
            .expect("chunks")
            .iter()
            .map(|c| c.id)
            .collect();
        let mut expected = vec![id, late];
        expected.sort();
        assert_eq!(left, expected, "the snapshot and the late chunk remain");
        let bytes = store
            .load_document_bytes("d-1")
            .await
            .expect("load")
            .expect("stored");
        let loaded = Automerge::load(&bytes).expect("loads");
        assert_eq!(
            loaded.get_heads(),
            other.get_heads(),
            "every change is there"
        );
    }
    both_backends!(compaction_keeps_a_chunk_written_meanwhile);
}
