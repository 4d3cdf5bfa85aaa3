//! `campo reproject`: rebuilds every ticket's rows from the stored documents. The server also
//! runs it once at start when the projection has rows that stored tickets do not have yet
//! ([`VERSION`]).

use automerge::Automerge;
use campo_shared::schema::{TicketDoc, migrate};

use crate::AppState;
use crate::projection::{Sla, project};
use crate::store::Store;

/// What a reprojection did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Tickets whose rows were rewritten.
    pub tickets: usize,
    /// Stored documents that are not tickets (left alone).
    pub skipped: usize,
}

/// What the projection writes, as a number: raise it when it gains rows or columns that the
/// tickets already stored need (2: absences and equipment events, migration 0006; 3: the custody
/// record of each equipment event, migration 0009; 4: both SLA clocks from reception and their
/// warning points, migration 0015/0016).
pub const VERSION: i64 = 4;

/// Where the store keeps the [`VERSION`] its rows were written with.
const VERSION_SETTING: &str = "projection_version";

/// Rebuilds the projection if it was written by an older [`VERSION`] (an empty store only
/// records the version). Returns what it did, if anything.
pub async fn bring_up_to_date(store: &Store) -> anyhow::Result<Option<Summary>> {
    let written: i64 = store.setting(VERSION_SETTING).await?.unwrap_or(1);
    if written >= VERSION {
        return Ok(None);
    }
    let summary = run(store).await?;
    Ok(Some(summary))
}

/// Rewrites the projection of every stored ticket document, then records [`VERSION`]. Safe while the server runs: each
/// ticket is written in its own transaction, with the same function the server uses.
pub async fn run(store: &Store) -> anyhow::Result<Summary> {
    let sla = store.sla().await?;
    let mut summary = Summary::default();
    for id in store.document_ids().await? {
        let Some(bytes) = store.load_document_bytes(&id).await? else {
            continue;
        };
        let mut doc = match Automerge::load(&bytes) {
            Ok(doc) => doc,
            Err(err) => {
                tracing::warn!(doc = %id, %err, "a stored document cannot be loaded");
                summary.skipped += 1;
                continue;
            }
        };
        // The rows say which stored heads they were computed from; a ticket of an earlier schema
        // version is read upgraded (in memory: the server stores the upgrade when it loads it).
        let heads = doc.get_heads();
        if let Err(err) = migrate::upgrade(&mut doc) {
            tracing::warn!(doc = %id, %err, "a stored ticket of a schema this version cannot read");
        }
        let Ok(ticket) = TicketDoc::hydrate_from(&doc) else {
            summary.skipped += 1;
            continue;
        };
        let late = campo_shared::handover::work_after_replacement(&doc, &ticket);
        let projection = project(&ticket, &late, &heads, &sla);
        store.write_projection(&id, &projection).await?;
        summary.tickets += 1;
    }
    store.put_setting(VERSION_SETTING, &VERSION).await?;
    Ok(summary)
}

/// Reads the SLA policy's versions and the office's closures again and gives them to the
/// projection; then, in the background, rewrites the rows of the cases whose clocks run, since a
/// closure moves their deadlines. Changes committed meanwhile already use the new settings.
pub async fn reload_sla(state: &AppState) -> anyhow::Result<()> {
    let sla = state.store.sla().await?;
    state.documents.set_sla(sla);
    let store = state.store.clone();
    let sla = state.documents.sla();
    tokio::spawn(async move {
        match running(&store, &sla).await {
            Ok(n) => tracing::info!(tickets = n, "deadlines of running cases brought up to date"),
            Err(err) => {
                tracing::warn!(%err, "could not bring the running cases' deadlines up to date")
            }
        }
    });
    Ok(())
}

/// Rewrites the rows of every case with a running clock with `sla`, unless a change was
/// committed since its document was read (that change's rows already used `sla`).
async fn running(store: &Store, sla: &Sla) -> anyhow::Result<usize> {
    let mut rewritten = 0;
    for id in store.running_clock_tickets().await? {
        let Some(bytes) = store.load_document_bytes(&id).await? else {
            continue;
        };
        let Ok(mut doc) = Automerge::load(&bytes) else {
            continue;
        };
        // Read upgraded, as `run` does; the rows name the stored heads.
        let heads = doc.get_heads();
        if migrate::upgrade(&mut doc).is_err() {
            continue;
        }
        let Ok(ticket) = TicketDoc::hydrate_from(&doc) else {
            continue;
        };
        let late = campo_shared::handover::work_after_replacement(&doc, &ticket);
        let projection = project(&ticket, &late, &heads, sla);
        rewritten += usize::from(store.rewrite_projection(&id, &projection).await?);
    }
    Ok(rewritten)
}
