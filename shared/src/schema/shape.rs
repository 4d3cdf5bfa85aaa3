//! The keys a ticket document may hold, as data: a change that writes a key the schema does not
//! name (at the root or nested anywhere) is refused, so that nothing the readers ignore can ride
//! along in a document and reach other devices.
//!
//! Only the shape of maps and lists is checked here; the value of each field is checked by
//! reading the ticket ([`super::TicketDoc`]), which refuses a value of the wrong kind.

use std::fmt::Write as _;

use automerge::{ObjId, ObjType, ROOT, ValueRef};
use autosurgeon::ReadDoc;

use super::incremental::{HydratedTicket, RootList, Touched};

/// What may stand at a place of the document.
#[derive(Debug)]
enum Shape {
    /// A scalar, or a string written as a Text object.
    Leaf,
    /// A map with these keys (each optional).
    Map(&'static [(&'static str, Shape)]),
    /// A list of items of one shape.
    List(&'static Shape),
}

use Shape::{Leaf, List, Map};

const PERSON: Shape = Map(&[("id", Leaf), ("name", Leaf)]);

const REQUEST: Shape = Map(&[
    ("requester", PERSON),
    ("dependencia", Leaf),
    ("location", Leaf),
    ("phone_extension", Leaf),
    ("channel", Leaf),
    ("external_ref", Leaf),
    ("category", Leaf),
    ("description", Leaf),
    ("equipment", List(&Leaf)),
    ("photos", List(&Leaf)),
]);

const EVENT: Shape = Map(&[
    ("id", Leaf),
    ("at", Leaf),
    ("author", Leaf),
    ("author_role", Leaf),
    ("kind", Leaf),
    (
        "data",
        Map(&[
            ("priority", Leaf),
            ("mode", Leaf),
            ("assignee", PERSON),
            ("resolution_due", Leaf),
            ("visit", Leaf),
            ("next_visit_at", Leaf),
            ("duplicate_of", Leaf),
            ("reason", Leaf),
            ("custody", CUSTODY),
            ("equipment_out_reason", Leaf),
        ]),
    ),
]);

const CUSTODY: Shape = Map(&[
    ("equipment", List(&Leaf)),
    ("from", Leaf),
    ("to", Leaf),
    ("place", Leaf),
    ("at", Leaf),
    ("condition", Leaf),
]);

const PHOTO: Shape = Map(&[
    ("sha256", Leaf),
    ("captured_at", Leaf),
    (
        "position",
        Map(&[("lat", Leaf), ("lon", Leaf), ("accuracy_m", Leaf)]),
    ),
]);

const VISIT: Shape = Map(&[
    ("id", Leaf),
    ("technician", Leaf),
    ("started_at", Leaf),
    ("ended_at", Leaf),
    ("user_present", Leaf),
    ("evidence", List(&PHOTO)),
    ("note", Leaf),
    ("notice_left", Leaf),
    ("next_visit_at", Leaf),
    ("diagnosis", Leaf),
    ("actions", Leaf),
    ("tests", Leaf),
    ("outcome", Leaf),
    ("custody", CUSTODY),
    ("equipment", List(&Leaf)),
    (
        "signature",
        Map(&[
            ("sha256", Leaf),
            ("signer", Leaf),
            ("signed_at", Leaf),
            ("strokes", Leaf),
        ]),
    ),
    ("signer_absent", Leaf),
]);

const TICKET: Shape = Map(&[
    ("schema", Leaf),
    ("request", REQUEST),
    ("events", List(&EVENT)),
    ("visits", List(&VISIT)),
    (
        "report",
        Map(&[
            ("author", Leaf),
            ("at", Leaf),
            ("summary", Leaf),
            ("results", Leaf),
        ]),
    ),
    (
        "survey",
        Map(&[
            ("answered_at", Leaf),
            ("by", Leaf),
            ("channel", Leaf),
            (
                "answers",
                Map(&[
                    ("timeliness", Leaf),
                    ("treatment", Leaf),
                    ("solution", Leaf),
                    ("comment", Leaf),
                ]),
            ),
        ]),
    ),
    ("comments", List(&COMMENT)),
]);

const COMMENT: Shape = Map(&[("id", Leaf), ("author", Leaf), ("at", Leaf), ("text", Leaf)]);

/// Checks that every map the change touched (`touched`) holds only keys the schema names, and
/// that objects stand only where the schema has maps, lists or text. The error is the path of the
/// first offending place (`events[2].data.extra`).
///
/// `read` is the document as just read as a ticket, when it was: its root lists' items are then
/// taken from that reading (every item a map, with its object) instead of being walked in the
/// document a second time, which cost as much as reading them.
pub fn check_keys<D: ReadDoc>(
    doc: &D,
    touched: &Touched,
    read: Option<&HydratedTicket>,
) -> Result<(), String> {
    let walk = Walk { touched, read };
    walk.walk(doc, &ROOT, &TICKET, &mut String::new())
}

/// What the walk knows besides the document.
struct Walk<'a> {
    touched: &'a Touched,
    read: Option<&'a HydratedTicket>,
}

impl Walk<'_> {
    /// The items of `list` as read, if it is a root list of the reading and every item is a
    /// map (the reading keeps an object for each map; an item of another kind has none).
    fn items_read(&self, list: &ObjId) -> Option<&[Option<ObjId>]> {
        let read = self.read?;
        let root = [RootList::Events, RootList::Visits, RootList::Comments]
            .into_iter()
            .find(|root| read.list(*root) == Some(list))?;
        let items = read.items(root);
        items.iter().all(Option::is_some).then_some(items)
    }

    fn walk<D: ReadDoc>(
        &self,
        doc: &D,
        obj: &ObjId,
        shape: &Shape,
        path: &mut String,
    ) -> Result<(), String> {
        let touched = self.touched;
        match shape {
            Leaf => Ok(()),
            Map(fields) => {
                for entry in doc.map_range(obj, ..) {
                    let at = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&entry.key);
                    let Some((_, field)) = fields.iter().find(|(name, _)| *name == entry.key)
                    else {
                        return Err(std::mem::take(path));
                    };
                    self.value_at(doc, &entry.value, || entry.id(), field, path)?;
                    path.truncate(at);
                }
                Ok(())
            }
            List(item) => {
                if let Some(items) = self.items_read(obj) {
                    // Maps, where the schema has maps: only the touched ones are walked.
                    for (index, child) in items.iter().enumerate() {
                        let Some(child) = child.as_ref().filter(|child| touched.object(child))
                        else {
                            continue;
                        };
                        let at = path.len();
                        let _ = write!(path, "[{index}]");
                        self.walk(doc, child, item, path)?;
                        path.truncate(at);
                    }
                    return Ok(());
                }
                for entry in doc.list_range(obj, ..) {
                    // A list the change touched is walked item by item, and most of its items are
                    // neither out of shape nor touched: an item's place is written into `path` only
                    // to name an error or to go down into the item.
                    let child = match fits(&entry.value, item) {
                        Ok(false) => continue,
                        Ok(true) => {
                            let child = entry.id();
                            if !touched.object(&child) {
                                continue;
                            }
                            Some(child)
                        }
                        Err(()) => None,
                    };
                    let at = path.len();
                    let _ = write!(path, "[{}]", entry.index);
                    match child {
                        Some(child) => self.walk(doc, &child, item, path)?,
                        None => return Err(std::mem::take(path)),
                    }
                    path.truncate(at);
                }
                Ok(())
            }
        }
    }

    /// Checks one value against its shape, descending into objects the change touched.
    fn value_at<D: ReadDoc>(
        &self,
        doc: &D,
        value: &ValueRef<'_>,
        id: impl FnOnce() -> ObjId,
        shape: &Shape,
        path: &mut String,
    ) -> Result<(), String> {
        match fits(value, shape) {
            Ok(false) => Ok(()),
            Ok(true) => {
                let child = id();
                if self.touched.object(&child) {
                    self.walk(doc, &child, shape, path)?;
                }
                Ok(())
            }
            Err(()) => Err(std::mem::take(path)),
        }
    }
}

/// Whether a value may stand where the schema has `shape`: `Ok(true)` for a map or list (whose
/// content has a shape of its own), `Ok(false)` for a leaf, `Err` for a value out of shape.
fn fits(value: &ValueRef<'_>, shape: &Shape) -> Result<bool, ()> {
    let ValueRef::Object(kind) = value else {
        // A scalar stands for a leaf, or for an absent map (null); a list must be a list.
        return match shape {
            List(_) => Err(()),
            _ => Ok(false),
        };
    };
    let fits = matches!(
        (shape, kind),
        (Leaf, ObjType::Text) | (Map(_), ObjType::Map | ObjType::Table) | (List(_), ObjType::List)
    );
    if fits {
        Ok(!matches!(shape, Leaf))
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::TicketDoc;
    use crate::schema::tests::{registered, request};
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ScalarValue};

    fn doc() -> AutoCommit {
        let mut doc = AutoCommit::new();
        TicketDoc::new(request(), registered(1_000))
            .reconcile_into(&mut doc)
            .unwrap();
        doc
    }

    fn object(doc: &AutoCommit, obj: &ObjId, prop: impl Into<automerge::Prop>) -> ObjId {
        doc.get(obj, prop).unwrap().expect("present").1
    }

    #[test]
    fn a_ticket_as_written_has_only_known_keys() {
        assert_eq!(check_keys(&doc(), &Touched::everything(), None), Ok(()));
    }

    #[test]
    fn unknown_keys_are_named_wherever_they_are() {
        let mut root = doc();
        root.put(&ROOT, "admin", true).unwrap();
        assert_eq!(
            check_keys(&root, &Touched::everything(), None),
            Err("admin".into())
        );

        let mut nested = doc();
        let events = object(&nested, &ROOT, "events");
        let first = object(&nested, &events, 0);
        let data = object(&nested, &first, "data");
        nested.put(&data, "approved_by", "jefe").unwrap();
        assert_eq!(
            check_keys(&nested, &Touched::everything(), None),
            Err("events[0].data.approved_by".into())
        );

        let mut wrong_kind = doc();
        wrong_kind
            .put_object(&ROOT, "comments", ObjType::Map)
            .unwrap();
        assert_eq!(
            check_keys(&wrong_kind, &Touched::everything(), None),
            Err("comments".into())
        );

        let mut text_list = doc();
        let request = object(&text_list, &ROOT, "request");
        text_list
            .put(&request, "photos", ScalarValue::Int(1))
            .unwrap();
        assert_eq!(
            check_keys(&text_list, &Touched::everything(), None),
            Err("request.photos".into())
        );
    }

    /// With the ticket as read, the root lists' items come from the reading: the same places are
    /// checked and named.
    #[test]
    fn the_items_as_read_are_checked_as_the_document_is() {
        let mut doc = doc();
        let events = object(&doc, &ROOT, "events");
        let first = object(&doc, &events, 0);
        doc.put(&first, "approved", true).unwrap();
        let read = HydratedTicket::read(&doc).expect("extra keys do not stop the reading");
        let everything = Touched::everything();
        let expected = Err("events[0].approved".to_owned());
        assert_eq!(check_keys(&doc, &everything, None), expected);
        assert_eq!(check_keys(&doc, &everything, Some(&read)), expected);
        // Untouched items are not walked either way.
        assert_eq!(check_keys(&doc, &Touched::default(), Some(&read)), Ok(()));
    }
}
