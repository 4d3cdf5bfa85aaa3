//! `campo reproject`: rebuilds every ticket's rows from the stored documents.

use automerge::Automerge;
use campo_shared::schema::TicketDoc;

use super::{Sla, project};
use crate::store::Store;

/// What a reprojection did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Tickets whose rows were rewritten.
    pub tickets: usize,
    /// Stored documents that are not tickets (left alone).
    pub skipped: usize,
}

/// Rewrites the projection of every stored ticket document. Safe while the server runs: each
/// ticket is written in its own transaction, with the same function the server uses.
pub async fn run(store: &Store) -> anyhow::Result<Summary> {
    let sla = Sla::load(store).await?;
    let mut summary = Summary::default();
    for id in store.document_ids().await? {
        let Some(bytes) = store.load_document_bytes(&id).await? else {
            continue;
        };
        let doc = match Automerge::load(&bytes) {
            Ok(doc) => doc,
            Err(err) => {
                tracing::warn!(doc = %id, %err, "a stored document cannot be loaded");
                summary.skipped += 1;
                continue;
            }
        };
        let Ok(ticket) = TicketDoc::hydrate_from(&doc) else {
            summary.skipped += 1;
            continue;
        };
        let projection = project(&ticket, &doc.get_heads(), &sla.policy, &sla.calendar);
        store.write_projection(&id, &projection).await?;
        summary.tickets += 1;
    }
    Ok(summary)
}
