//! Work that reached the server after its author stopped being responsible for the case.
//!
//! A técnico's phone records visits and comments offline; meanwhile the coordinator gives the
//! case to someone else. The phone never learns of it (the server stops syncing a case with
//! whoever may no longer read it), so its work arrives afterwards, *concurrent* with the change
//! that replaced its author: in the document's history, neither an ancestor of that change (it
//! had not reached the server) nor a descendant (its author never saw the change). The server
//! keeps that work, and the coordinator sees it as «registrado por un técnico ya no asignado».
//!
//! This is read from the Automerge history, not from the times written in the data: a phone's
//! clock says when its user worked, not when the server got the work, and can be set at will.

use std::collections::HashSet;

use automerge::{Automerge, ChangeHash, ObjId, ObjType, ROOT, ReadDoc};

use crate::event_kind::EventKind;
use crate::schema::TicketDoc;
use crate::workflow::ordered;

/// The ids of the events, visits and comments of `ticket` (read from `doc`) that a former
/// responsible delivered concurrently with the change that replaced them.
pub fn work_after_replacement(doc: &Automerge, ticket: &TicketDoc) -> Vec<String> {
    let replacements = replacements(doc, ticket);
    if replacements.is_empty() {
        return Vec::new();
    }
    let mut late = Vec::new();
    for (replaced, object) in replacements {
        let Some(change) = change_of(doc, &object) else {
            continue;
        };
        let concurrent = concurrent_with(doc, change);
        if concurrent.is_empty() {
            continue;
        }
        let made_in_concurrent = |object: Option<ObjId>| {
            object.is_some_and(|object| {
                concurrent
                    .iter()
                    .any(|(actor, ops)| op_in(&object, actor, ops))
            })
        };
        let items = |list: &str, authors: Vec<(&str, String)>| {
            let objects = list_items(doc, list);
            authors
                .into_iter()
                .zip(objects)
                .filter(|((author, _), object)| {
                    *author == replaced && made_in_concurrent(object.clone())
                })
                .map(|((_, id), _)| id)
                .collect::<Vec<_>>()
        };
        late.extend(items(
            "events",
            ticket
                .events
                .iter()
                .map(|e| (e.author.as_str(), e.id.to_string()))
                .collect(),
        ));
        late.extend(items(
            "visits",
            ticket
                .visits
                .iter()
                .map(|v| (v.technician.as_str(), v.id.to_string()))
                .collect(),
        ));
        late.extend(items(
            "comments",
            ticket
                .comments
                .iter()
                .map(|c| (c.author.as_str(), c.id.to_string()))
                .collect(),
        ));
    }
    late.sort();
    late.dedup();
    late
}

/// The change that last took the case from `user_id` and gave it to someone else.
pub fn last_replacement_of(
    doc: &Automerge,
    ticket: &TicketDoc,
    user_id: &str,
) -> Option<ChangeHash> {
    let (_, object) = replacements(doc, ticket)
        .into_iter()
        .rev()
        .find(|(replaced, _)| *replaced == user_id)?;
    change_of(doc, &object)
}

/// Each replaced responsible with the object of the assignment event that replaced them, in
/// fold order.
fn replacements<'a>(doc: &Automerge, ticket: &'a TicketDoc) -> Vec<(&'a str, ObjId)> {
    let mut current: Option<&str> = None;
    let mut out = Vec::new();
    let mut objects: Option<Vec<Option<ObjId>>> = None;
    for event in ordered(&ticket.events) {
        let Some(next) = event
            .data
            .assignee
            .as_ref()
            .filter(|_| event.kind == EventKind::Assigned)
        else {
            continue;
        };
        if let Some(previous) = current.filter(|p| *p != next.id) {
            let objects = objects.get_or_insert_with(|| list_items(doc, "events"));
            let index = ticket.events.iter().position(|e| std::ptr::eq(e, event));
            if let Some(object) = index.and_then(|i| objects.get(i).cloned().flatten()) {
                out.push((previous, object));
            }
        }
        current = Some(next.id.as_str());
    }
    out
}

/// The objects of the items of the root list `key`, in order.
fn list_items(doc: &Automerge, key: &str) -> Vec<Option<ObjId>> {
    let Ok(Some((automerge::Value::Object(ObjType::List), list))) = doc.get(ROOT, key) else {
        return Vec::new();
    };
    (0..doc.length(&list))
        .map(|i| match doc.get(&list, i) {
            Ok(Some((automerge::Value::Object(_), object))) => Some(object),
            _ => None,
        })
        .collect()
}

/// The change that created `object`.
fn change_of(doc: &Automerge, object: &ObjId) -> Option<ChangeHash> {
    doc.get_changes_meta(&[])
        .into_iter()
        .find(|c| op_in(object, &c.actor, &(c.start_op..=c.max_op)))
        .map(|c| c.hash)
}

/// The changes concurrent with `change` (neither its ancestors nor its descendants), as their
/// actor and range of operations.
fn concurrent_with(
    doc: &Automerge,
    change: ChangeHash,
) -> Vec<(automerge::ActorId, std::ops::RangeInclusive<u64>)> {
    // The changes that are not ancestors of `change`; of those, its descendants depend on it or
    // on another descendant (repeated until none is added, whatever order the changes come in).
    let later = doc.get_changes_meta(&[change]);
    let mut descendants: HashSet<ChangeHash> = HashSet::from([change]);
    loop {
        let before = descendants.len();
        for meta in &later {
            if meta.deps.iter().any(|d| descendants.contains(d)) {
                descendants.insert(meta.hash);
            }
        }
        if descendants.len() == before {
            break;
        }
    }
    later
        .into_iter()
        .filter(|meta| !descendants.contains(&meta.hash))
        .map(|meta| (meta.actor.into_owned(), meta.start_op..=meta.max_op))
        .collect()
}

/// Whether `object` was created by an operation of `actor` numbered within `ops`.
fn op_in(object: &ObjId, actor: &automerge::ActorId, ops: &std::ops::RangeInclusive<u64>) -> bool {
    matches!(object, ObjId::Id(counter, a, _) if a == actor && ops.contains(counter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CommentId;
    use crate::role::Role;
    use crate::schema::{
        Channel, Comment, Event, EventData, Person, Request, append_comment, append_event,
    };
    use automerge::{ActorId, AutoCommit};

    fn ticket() -> TicketDoc {
        let request = Request {
            requester: Person {
                id: "ana".into(),
                name: "Ana Pérez".into(),
            },
            dependencia: "HACIENDA".into(),
            location: "Piso 2".into(),
            phone_extension: None,
            channel: Channel::Intranet,
            external_ref: None,
            category: "Impresora".into(),
            description: "La impresora no imprime".into(),
            equipment: vec![],
            photos: vec![],
        };
        TicketDoc::new(
            request,
            Event::new(EventKind::Registered, 1, "ana", Role::Funcionario),
        )
    }

    fn assign(doc: &mut AutoCommit, at: i64, to: &str) {
        let event =
            Event::new(EventKind::Assigned, at, "coord", Role::Coordinador).with_data(EventData {
                assignee: Some(crate::schema::Person {
                    id: to.into(),
                    name: to.into(),
                }),
                ..EventData::default()
            });
        append_event(doc, &event).unwrap();
        doc.commit();
    }

    fn comment(doc: &mut AutoCommit, author: &str, text: &str) -> String {
        let comment = Comment {
            id: CommentId::new(),
            author: author.into(),
            at: 2,
            text: text.into(),
        };
        append_comment(doc, &comment).unwrap();
        doc.commit();
        comment.id.to_string()
    }

    fn late(doc: &mut AutoCommit) -> Vec<String> {
        let ticket = TicketDoc::hydrate_from(&*doc).unwrap();
        work_after_replacement(doc.document(), &ticket)
    }

    fn phone_of(server: &mut AutoCommit) -> AutoCommit {
        server.fork().with_actor(ActorId::random())
    }

    #[test]
    fn work_that_crossed_a_replacement_is_found_and_nothing_else() {
        let mut server = AutoCommit::new();
        ticket().reconcile_into(&mut server).unwrap();
        assign(&mut server, 2, "andres");
        let mut phone = phone_of(&mut server);
        // Synced before the replacement: Andrés's work as responsible.
        comment(&mut phone, "andres", "Reviso mañana.");
        server.merge(&mut phone).unwrap();
        // Offline: the phone goes on; the coordinator gives the case to Diana.
        let crossed = comment(&mut phone, "andres", "El fusor está dañado.");
        assign(&mut server, 3, "diana");
        let from_diana = comment(&mut server, "diana", "Llevo el repuesto.");
        server.merge(&mut phone).unwrap();
        assert_eq!(late(&mut server), std::slice::from_ref(&crossed));
        assert_ne!(from_diana, crossed);

        let ticket = TicketDoc::hydrate_from(&server).unwrap();
        let replaced = last_replacement_of(server.document(), &ticket, "andres");
        assert!(replaced.is_some());
        assert_eq!(
            last_replacement_of(server.document(), &ticket, "diana"),
            None
        );

        // Given the case back, Andrés sees everything: what he writes then is not late.
        assign(&mut server, 4, "andres");
        let mut phone = phone_of(&mut server);
        comment(&mut phone, "andres", "Cambié el fusor.");
        server.merge(&mut phone).unwrap();
        assert_eq!(late(&mut server), [crossed]);
    }

    #[test]
    fn a_ticket_never_reassigned_has_no_late_work() {
        let mut server = AutoCommit::new();
        ticket().reconcile_into(&mut server).unwrap();
        assign(&mut server, 2, "andres");
        let mut phone = phone_of(&mut server);
        comment(&mut phone, "andres", "Listo.");
        server.merge(&mut phone).unwrap();
        assert!(late(&mut server).is_empty());
    }
}
