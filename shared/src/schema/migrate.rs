//! Upgrading a ticket document written by an earlier schema version to [`SCHEMA_VERSION`].
//!
//! A document records the version that wrote it (`schema`, at the root). When the schema
//! changes, [`SCHEMA_VERSION`] goes up by one and a [`Migration`] from the previous version is
//! added to [`MIGRATIONS`]: a function that rewrites, in an Automerge transaction, what the new
//! version reads differently. [`upgrade`] applies the steps from the document's version to the
//! current one in one change, then sets `schema`; the server makes that change with its own
//! actor, like its other changes, and stores it, so phones receive the upgraded document through
//! sync. It does so when it loads a stored ticket, and for a new ticket a phone created with the
//! previous version of the app, before the write rules judge it. A migration only adds what the old version lacked or copies a value to where the new
//! version reads it; it never removes what a phone still running the previous version may write
//! concurrently (both changes merge, and the next upgrade sees the old field again).
//!
//! A document of a *newer* version than this program knows is refused
//! ([`DocError::UnsupportedSchema`], in Spanish) and never changed: a newer Campo wrote it.
//!
//! Version 1 is the first schema, so [`MIGRATIONS`] is empty; the mechanism is tested with a
//! made-up version 2 step (see the tests below).

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ROOT, ScalarValue};

use super::{DocError, SCHEMA_VERSION};
use crate::wire;

/// One step: upgrades a document of version `from` to version `from + 1`.
pub struct Migration {
    /// The version it upgrades from.
    pub from: u64,
    /// What it changes, for the log.
    pub what: &'static str,
    /// The rewrite, inside the upgrade's transaction (`schema` is set afterwards).
    pub apply: fn(&mut Transaction<'_>) -> Result<(), DocError>,
}

/// The steps from every earlier version to [`SCHEMA_VERSION`], oldest first. Version 1 is the
/// first version: none yet.
pub const MIGRATIONS: &[Migration] = &[];

/// The schema version `doc` was written with; an error when it records none.
pub fn version_of<D: autosurgeon::ReadDoc>(doc: &D) -> Result<u64, DocError> {
    let version: Option<u64> = wire::opt_integer(doc, &ROOT, "schema".into())?;
    version.ok_or_else(|| {
        DocError::Hydrate(autosurgeon::HydrateError::unexpected(
            "a schema version",
            "nothing".to_string(),
        ))
    })
}

/// Brings `doc` to [`SCHEMA_VERSION`] with [`MIGRATIONS`], in one change by `doc`'s actor.
/// Returns the version it had when it was older (`None` when it was current: nothing changes).
/// A newer version is refused and `doc` is left as it was.
pub fn upgrade(doc: &mut Automerge) -> Result<Option<u64>, DocError> {
    upgrade_with(doc, MIGRATIONS, SCHEMA_VERSION)
}

/// [`upgrade`] with the given steps, up to `target`.
pub fn upgrade_with(
    doc: &mut Automerge,
    steps: &[Migration],
    target: u64,
) -> Result<Option<u64>, DocError> {
    let from = version_of(doc)?;
    if from == target {
        return Ok(None);
    }
    if from > target {
        return Err(DocError::UnsupportedSchema(from));
    }
    doc.transact(|tx| {
        for version in from..target {
            let step = steps
                .iter()
                .find(|step| step.from == version)
                .ok_or(DocError::NoMigration(version))?;
            (step.apply)(tx)?;
        }
        let target = i64::try_from(target).map_err(|_| DocError::UnsupportedSchema(target))?;
        tx.put(ROOT, "schema", ScalarValue::Int(target))?;
        Ok::<_, DocError>(())
    })
    .map_err(|failure| failure.error)?;
    Ok(Some(from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::TicketDoc;
    use crate::schema::tests::{registered, request};
    use automerge::ReadDoc as _;

    /// A made-up version 2: the request gains `urgent`, false for the requests of version 1.
    fn add_urgent(tx: &mut Transaction<'_>) -> Result<(), DocError> {
        let request = match tx.get(ROOT, "request")? {
            Some((_, id)) => id,
            None => return Err(DocError::MissingList("request")),
        };
        if tx.get(&request, "urgent")?.is_none() {
            tx.put(&request, "urgent", false)?;
        }
        Ok(())
    }

    const TO_TWO: &[Migration] = &[Migration {
        from: 1,
        what: "la solicitud indica si es urgente",
        apply: add_urgent,
    }];

    fn version_one() -> Automerge {
        let mut doc = Automerge::new();
        doc.transact(|tx| TicketDoc::new(request(), registered(1_000)).reconcile_into(tx))
            .unwrap();
        doc
    }

    #[test]
    fn a_document_of_the_current_version_is_left_alone() {
        let mut doc = version_one();
        let heads = doc.get_heads();
        assert_eq!(upgrade(&mut doc).unwrap(), None);
        assert_eq!(doc.get_heads(), heads);
    }

    #[test]
    fn an_older_document_is_upgraded_in_one_change_that_merges_with_old_writers() {
        let mut doc = version_one();
        // A phone still on version 1 holds a copy and keeps writing.
        let mut phone = doc.fork();
        let before = doc.get_heads();
        assert_eq!(upgrade_with(&mut doc, TO_TWO, 2).unwrap(), Some(1));
        assert_eq!(doc.get_changes(&before).len(), 1, "one change");
        assert_eq!(version_of(&doc).unwrap(), 2);
        let request = doc.get(ROOT, "request").unwrap().unwrap().1;
        assert_eq!(
            doc.get(&request, "urgent").unwrap().unwrap().0.as_bool(),
            Some(false)
        );
        let mut tx = phone.transaction();
        tx.put(&request, "location", "Piso 4").unwrap();
        tx.commit();
        doc.merge(&mut phone).unwrap();
        assert_eq!(version_of(&doc).unwrap(), 2);
        assert_eq!(
            doc.get(&request, "location")
                .unwrap()
                .unwrap()
                .0
                .as_str()
                .map(str::to_owned),
            Some("Piso 4".to_owned())
        );
        // Once upgraded, upgrading again changes nothing.
        let heads = doc.get_heads();
        assert_eq!(upgrade_with(&mut doc, TO_TWO, 2).unwrap(), None);
        assert_eq!(doc.get_heads(), heads);
    }

    #[test]
    fn a_newer_document_is_refused_in_spanish_and_left_untouched() {
        let mut doc = version_one();
        let mut tx = doc.transaction();
        tx.put(ROOT, "schema", ScalarValue::Int(7)).unwrap();
        tx.commit();
        let heads = doc.get_heads();
        let err = upgrade(&mut doc).unwrap_err();
        assert!(matches!(err, DocError::UnsupportedSchema(7)), "{err}");
        assert_eq!(
            err.to_string(),
            "el documento usa la versión 7 del esquema y este programa solo conoce hasta la \
             versión 1; actualice Campo"
        );
        assert_eq!(doc.get_heads(), heads);
    }

    #[test]
    fn a_version_without_its_step_is_refused_and_left_untouched() {
        let mut doc = version_one();
        let heads = doc.get_heads();
        let err = upgrade_with(&mut doc, &[], 2).unwrap_err();
        assert!(matches!(err, DocError::NoMigration(1)), "{err}");
        assert_eq!(doc.get_heads(), heads);
    }
}

/// A ticket document written by schema version 1, kept in `tests/fixtures/ticket-v1.automerge`
/// (saved by this crate when version 1 was current): whatever the current version, it loads,
/// upgrades and reads right.
#[cfg(test)]
mod version_one {
    use super::*;
    use crate::event_kind::EventKind;
    use crate::schema::{Outcome, TicketDoc};

    const FIXTURE: &[u8] = include_bytes!("../../../tests/fixtures/ticket-v1.automerge");

    #[test]
    fn a_document_of_version_one_loads_upgrades_and_reads_right() {
        let mut doc = Automerge::load(FIXTURE).unwrap();
        assert_eq!(version_of(&doc).unwrap(), 1);
        let upgraded = upgrade(&mut doc).unwrap();
        assert_eq!(upgraded, (SCHEMA_VERSION > 1).then_some(1));
        assert_eq!(version_of(&doc).unwrap(), SCHEMA_VERSION);
        let ticket = TicketDoc::hydrate_from(&doc).unwrap();
        assert_eq!(
            ticket.request.description,
            "La impresora del piso 3 no imprime."
        );
        let kinds: Vec<EventKind> = ticket.events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Registered,
                EventKind::Accepted,
                EventKind::Prioritized,
                EventKind::Assigned,
                EventKind::VisitStarted,
            ]
        );
        assert_eq!(ticket.visits.len(), 1);
        assert_eq!(ticket.visits[0].outcome, Some(Outcome::Workshop));
        assert_eq!(ticket.comments.len(), 1);
        assert_eq!(ticket.comments[0].text, "Llevo el equipo al taller.");
    }
}
