//! Reading a ticket again after a few changes, reusing what they did not touch.
//!
//! The sync server checks every incoming change against the write rules on the whole ticket the
//! change leaves. Hydrating the whole document each time costs a lookup per field of every event,
//! visit and comment, and grows with the ticket: with 200 comments it was most of the server's
//! work per change. [`HydratedTicket::reread`] hydrates again only the root fields and the list
//! items that the changes touched (as the object written to or on its path, see [`Touched`]);
//! the rest is copied from the previous reading. The result equals [`TicketDoc::hydrate_from`],
//! error included; debug builds check that on every call.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use automerge::{
    Automerge, Change, ObjId, ObjType, Patch, PatchAction, Prop, ROOT, Value, ValueRef, legacy,
};
use autosurgeon::hydrate::MaybeMissing;
use autosurgeon::{Hydrate, HydrateError, ReadDoc};

use super::{DocError, SCHEMA_VERSION, TicketDoc, check_schema};

/// Up to this many touched objects, [`Touched::object`] compares instead of hashing.
const SCAN_OBJECTS: usize = 8;

/// What a set of changes may have changed: root keys and objects. The sync server builds it
/// from the changes' operations alone ([`Touched::add_changes`] on an empty one), which name
/// every object their patches would ([`Touched::from_patches`]) and more; the tests check that.
#[derive(Debug, Default)]
pub struct Touched {
    /// A patch this reader does not interpret: read everything again.
    everything: bool,
    root_keys: HashSet<String>,
    objects: HashSet<ObjId>,
}

impl Touched {
    /// Everything touched: a first reading.
    pub fn everything() -> Self {
        Self {
            everything: true,
            ..Self::default()
        }
    }

    /// What `patches` (from one [`automerge::PatchLog`]) touched.
    pub fn from_patches(patches: &[Patch]) -> Self {
        let mut touched = Self::default();
        for patch in patches {
            let root_key = if patch.obj == ROOT {
                match &patch.action {
                    PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                        Some(key.clone())
                    }
                    PatchAction::Increment {
                        prop: Prop::Map(key),
                        ..
                    }
                    | PatchAction::Conflict {
                        prop: Prop::Map(key),
                    } => Some(key.clone()),
                    _ => None,
                }
            } else {
                match patch.path.first() {
                    Some((obj, Prop::Map(key))) if *obj == ROOT => Some(key.clone()),
                    _ => None,
                }
            };
            let Some(key) = root_key else {
                touched.everything = true;
                return touched;
            };
            touched.root_keys.insert(key);
            touched.objects.insert(patch.obj.clone());
            for (obj, _) in &patch.path {
                touched.objects.insert(obj.clone());
            }
        }
        touched
    }

    /// Adds what the operations of `changes`, applied to `doc`, write to, whatever their patches
    /// show: an operation that writes the value a field already had makes no patch, yet it is a
    /// write (concurrent with another device's, it may win over it), and the rules must judge it.
    /// An operation on an object that is no longer visible (deleted, or a losing conflict) marks
    /// everything as touched.
    pub fn add_changes(&mut self, doc: &Automerge, changes: &[Change]) {
        let mut seen: HashSet<String> = HashSet::new();
        for change in changes {
            for op in change.decode().operations {
                let obj = op.obj.to_string();
                if !seen.insert(obj.clone()) && !matches!(op.obj, legacy::ObjectId::Root) {
                    continue;
                }
                let Ok(obj) = doc.import_obj(&obj) else {
                    self.everything = true;
                    return;
                };
                if obj == ROOT {
                    match op.key {
                        legacy::Key::Map(key) => {
                            self.root_keys.insert(key.to_string());
                        }
                        legacy::Key::Seq(_) => self.everything = true,
                    }
                    continue;
                }
                self.objects.insert(obj.clone());
                let Ok(parents) = automerge::ReadDoc::parents(doc, &obj) else {
                    self.everything = true;
                    return;
                };
                for parent in parents {
                    if !parent.visible {
                        self.everything = true;
                        return;
                    }
                    if parent.obj == ROOT {
                        match parent.prop {
                            Prop::Map(key) => {
                                self.root_keys.insert(key);
                            }
                            Prop::Seq(_) => self.everything = true,
                        }
                    } else if !self.objects.insert(parent.obj) {
                        // Already named, with everything above it (each object is named with
                        // its path): the rest of the path is known. A new comment's path
                        // passes its list, named by the operation that inserted it; each step
                        // up costs Automerge a seek.
                        break;
                    }
                }
            }
        }
    }

    /// Whether the root field `key` (or anything below it) may have changed.
    pub fn key(&self, key: &str) -> bool {
        self.everything || self.root_keys.contains(key)
    }

    /// Whether the object `obj` (or anything below it) may have changed.
    ///
    /// Asked once for every item of a list a change touched, by the reading and by the rules. A
    /// change usually touches two or three objects (a comment, its list), and comparing an
    /// `ObjId` with each of them costs far less than hashing it (SipHash over its actor id):
    /// with a hundred comments, the hashing was a seventh of the server's instructions per change.
    pub fn object(&self, obj: &ObjId) -> bool {
        if self.everything {
            return true;
        }
        if self.objects.len() <= SCAN_OBJECTS {
            self.objects.iter().any(|touched| touched == obj)
        } else {
            self.objects.contains(obj)
        }
    }

    /// Whether anything at all may have changed.
    pub fn anything(&self) -> bool {
        self.everything || !self.root_keys.is_empty()
    }

    /// Whether everything `other` names is named here too (the root by its keys: patches also
    /// name it as an object, which no reader asks about).
    #[cfg(test)]
    pub(crate) fn covers(&self, other: &Touched) -> bool {
        self.everything
            || (!other.everything
                && other.root_keys.is_subset(&self.root_keys)
                && other
                    .objects
                    .iter()
                    .all(|obj| *obj == ROOT || self.objects.contains(obj)))
    }
}

/// A ticket as read from its document, with the object id of each list and of each event, visit
/// and comment: the next reading reuses the items whose objects a change did not touch, and the
/// write rules tell an existing item from a new one by its object, never by the `id` a client
/// wrote into it.
#[derive(Debug, Clone)]
pub struct HydratedTicket {
    /// The ticket.
    pub ticket: TicketDoc,
    events: Vec<Option<ObjId>>,
    visits: Vec<Option<ObjId>>,
    comments: Vec<Option<ObjId>>,
    lists: [Option<ObjId>; 3],
}

/// The root lists of a ticket, by position in [`HydratedTicket::list`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootList {
    /// `events`.
    Events = 0,
    /// `visits`.
    Visits = 1,
    /// `comments`.
    Comments = 2,
}

impl RootList {
    /// The list's key in the document.
    pub const fn key(self) -> &'static str {
        match self {
            RootList::Events => "events",
            RootList::Visits => "visits",
            RootList::Comments => "comments",
        }
    }
}

impl HydratedTicket {
    /// Reads the whole ticket, as [`TicketDoc::hydrate_from`] does.
    pub fn read<D: ReadDoc>(doc: &D) -> Result<Self, DocError> {
        read(doc, None, &Touched::everything())
    }

    /// Reads the ticket again after changes that touched `touched`, since `self` was read.
    pub fn reread<D: ReadDoc>(&self, doc: &D, touched: &Touched) -> Result<Self, DocError> {
        let again = read(doc, Some(self), touched);
        #[cfg(debug_assertions)]
        match (&again, TicketDoc::hydrate_from(doc)) {
            (Ok(again), Ok(whole)) => assert_eq!(again.ticket, whole, "incremental reading"),
            (Err(again), Err(whole)) => {
                assert_eq!(again.to_string(), whole.to_string(), "incremental reading")
            }
            (again, whole) => panic!("incremental reading: {again:?} but {whole:?}"),
        }
        again
    }

    /// The object of a root list (`None`: the document has no such list).
    pub fn list(&self, list: RootList) -> Option<&ObjId> {
        self.lists[list as usize].as_ref()
    }

    /// The objects of the list's items, in document order (`None` for an item that is not a
    /// map, which no ticket that reads has).
    pub fn items(&self, list: RootList) -> &[Option<ObjId>] {
        match list {
            RootList::Events => &self.events,
            RootList::Visits => &self.visits,
            RootList::Comments => &self.comments,
        }
    }
}

fn read<D: ReadDoc>(
    doc: &D,
    previous: Option<&HydratedTicket>,
    touched: &Touched,
) -> Result<HydratedTicket, DocError> {
    let previous = previous.filter(|_| !touched.everything);
    let old = previous.map(|p| &p.ticket);
    // The fields in the order the derived `Hydrate` reads them, so the first error is the same.
    let schema = match old {
        Some(old) if !touched.key("schema") => old.schema,
        _ => {
            check_schema(doc)?;
            SCHEMA_VERSION
        }
    };
    let request = match old {
        Some(old) if !touched.key("request") => old.request.clone(),
        _ => autosurgeon::hydrate_prop(doc, &ROOT, "request")?,
    };
    let (events, event_ids, events_list) = list(
        doc,
        "events",
        previous.map(|p| (&p.ticket.events[..], &p.events[..], &p.lists[0])),
        touched,
    )?;
    let (visits, visit_ids, visits_list) = list(
        doc,
        "visits",
        previous.map(|p| (&p.ticket.visits[..], &p.visits[..], &p.lists[1])),
        touched,
    )?;
    let report = match old {
        Some(old) if !touched.key("report") => old.report.clone(),
        _ => optional(doc, "report")?,
    };
    let survey = match old {
        Some(old) if !touched.key("survey") => old.survey.clone(),
        _ => optional(doc, "survey")?,
    };
    let (comments, comment_ids, comments_list) = list(
        doc,
        "comments",
        previous.map(|p| (&p.ticket.comments[..], &p.comments[..], &p.lists[2])),
        touched,
    )?;
    Ok(HydratedTicket {
        ticket: TicketDoc {
            schema,
            request,
            events,
            visits,
            report,
            survey,
            comments,
        },
        events: event_ids,
        visits: visit_ids,
        comments: comment_ids,
        lists: [events_list, visits_list, comments_list],
    })
}

/// A root field with `missing = "Default::default"`.
fn optional<D: ReadDoc, T: Hydrate + Default>(doc: &D, key: &str) -> Result<T, DocError> {
    let value: MaybeMissing<T> = autosurgeon::hydrate_prop(doc, &ROOT, key)?;
    Ok(value.unwrap_or_else(Default::default))
}

/// A list's items, their objects, and the list's own object.
type Items<T> = (Vec<T>, Vec<Option<ObjId>>, Option<ObjId>);

/// A list's previous reading: its items, their objects, and the list's object.
type OldItems<'a, T> = (&'a [T], &'a [Option<ObjId>], &'a Option<ObjId>);

/// The list at `ROOT[key]` (missing: empty), reusing the items of `old` whose objects were not
/// touched.
fn list<D: ReadDoc, T: Hydrate + Clone>(
    doc: &D,
    key: &str,
    old: Option<OldItems<'_, T>>,
    touched: &Touched,
) -> Result<Items<T>, DocError> {
    if let Some((items, ids, list)) = old
        && !touched.key(key)
    {
        return Ok((items.to_vec(), ids.to_vec(), list.clone()));
    }
    let list = match doc.get(&ROOT, key).map_err(HydrateError::from)? {
        Some((Value::Object(ObjType::List), list)) => list,
        // Missing, or not a list: whatever the whole reading gives (empty, or its error).
        _ => {
            let items: Vec<T> = optional(doc, key)?;
            let ids = vec![None; items.len()];
            return Ok((items, ids, None));
        }
    };
    let mut previous = Previous::new(old.map(|(items, ids, _)| (items, ids)));
    let mut items = Vec::with_capacity(doc.length(&list));
    let mut ids = Vec::with_capacity(items.capacity());
    for entry in doc.list_range(&list, ..) {
        let (item, id) = match entry.value {
            ValueRef::Object(ObjType::Map | ObjType::Table) => {
                let id = entry.id();
                let item = match previous.find(&id).filter(|_| !touched.object(&id)) {
                    Some(item) => item.clone(),
                    None => T::hydrate_map(&MapsOnce::new(doc, &id), &id)?,
                };
                (item, Some(id))
            }
            // Not an item of these lists: whatever the whole reading gives (its error).
            _ => (autosurgeon::hydrate_prop(doc, &list, entry.index)?, None),
        };
        items.push(item);
        ids.push(id);
    }
    Ok((items, ids, Some(list)))
}

/// The items of a list's previous reading, found by their objects as the list is read again.
///
/// An Automerge list keeps its items in their relative order: a change inserts new items among
/// them and may delete some, but never moves one. So the previous reading is walked alongside the
/// list, and the item the list holds next is almost always the one the walk is at, or a new one
/// once the walk has passed every previous item (an item appended at the end). Only otherwise (an
/// item inserted among the others, or one deleted) are the previous items indexed, once. Reading
/// a list again then costs no hashing of every item's object.
struct Previous<'a, T> {
    items: &'a [T],
    ids: &'a [Option<ObjId>],
    /// Where the walk is in `ids`.
    next: usize,
    /// Every previous item by its object, built on the first miss.
    index: Option<HashMap<&'a ObjId, usize>>,
}

impl<'a, T> Previous<'a, T> {
    fn new(old: Option<(&'a [T], &'a [Option<ObjId>])>) -> Self {
        let (items, ids) = old.unwrap_or((&[], &[]));
        Self {
            items,
            ids,
            next: 0,
            index: None,
        }
    }

    /// The previous item whose object is `id`, if there was one.
    fn find(&mut self, id: &ObjId) -> Option<&'a T> {
        if self.ids.get(self.next).and_then(Option::as_ref) == Some(id) {
            self.next += 1;
            return self.items.get(self.next - 1);
        }
        if self.next >= self.ids.len() {
            // The walk is past every previous item, and a list never moves one: this one is new.
            // (Reading an item afresh is always right; reusing is only quicker.)
            return None;
        }
        let ids = self.ids;
        let index = self.index.get_or_insert_with(|| {
            ids.iter()
                .enumerate()
                .filter_map(|(i, id)| Some((id.as_ref()?, i)))
                .collect()
        });
        let i = *index.get(id)?;
        self.next = i + 1;
        self.items.get(i)
    }
}

/// A document whose maps are each read in one pass, for hydrating an item (a map).
///
/// A hydrated struct reads its fields one `get` at a time, and each `get` costs Automerge a seek
/// to the map (setting up its columns at the map's place: tens of thousands of instructions in a
/// ticket with a hundred comments), where one `map_range` costs a single seek. So the first `get`
/// of a key in the item reads the whole map and keeps its entries (each the value `get` gives: the
/// winner among conflicting values, and its id), the item's other fields come from there, and so
/// do those of the maps it holds. Only maps are read this way, those known to be maps: the item,
/// and the maps found as values in maps already read. Everything else goes to the document. It
/// lives for one item's hydration, over a document that does not change meanwhile. (A counter
/// reads as its sum either way; the tests compare with the whole reading.)
struct MapsOnce<'a, D> {
    doc: &'a D,
    /// The known maps, each with its entries once read.
    maps: RefCell<Vec<(ObjId, Option<MapEntries>)>>,
}

/// A map's entries: key, value, and the id `get` gives with it.
type MapEntries = Vec<(String, automerge::Value<'static>, ObjId)>;

impl<'a, D: ReadDoc> MapsOnce<'a, D> {
    /// `doc`, read to hydrate `item`, which is a map.
    fn new(doc: &'a D, item: &ObjId) -> Self {
        Self {
            doc,
            maps: RefCell::new(vec![(item.clone(), None)]),
        }
    }
}

impl<D: ReadDoc> ReadDoc for MapsOnce<'_, D> {
    type Parents<'b>
        = D::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<automerge::ChangeHash> {
        self.doc.get_heads()
    }

    fn get<P: Into<Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(automerge::Value<'_>, ObjId)>, automerge::AutomergeError> {
        let prop = prop.into();
        let mut maps = self.maps.borrow_mut();
        let (Prop::Map(key), Some(at)) = (&prop, maps.iter().position(|(map, _)| map == obj))
        else {
            return self.doc.get(obj, prop);
        };
        if maps[at].1.is_none() {
            let entries: MapEntries = self
                .doc
                .map_range(obj, ..)
                .map(|entry| {
                    let id = entry.id();
                    (entry.key.into_owned(), entry.value.into(), id)
                })
                .collect();
            for (_, value, id) in &entries {
                if matches!(
                    value,
                    automerge::Value::Object(ObjType::Map | ObjType::Table)
                ) {
                    maps.push((id.clone(), None));
                }
            }
            maps[at].1 = Some(entries);
        }
        Ok(maps[at]
            .1
            .iter()
            .flatten()
            .find(|(name, _, _)| name == key)
            .map(|(_, value, id)| (value.clone(), id.clone())))
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<ObjType> {
        self.doc.object_type(obj)
    }

    fn map_range<'b, O, R>(&'b self, obj: O, range: R) -> automerge::iter::MapRange<'b>
    where
        R: std::ops::RangeBounds<String> + 'b,
        O: AsRef<ObjId>,
        R: std::ops::RangeBounds<String>,
    {
        self.doc.map_range(obj, range)
    }

    fn list_range<O: AsRef<ObjId>, R: std::ops::RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> automerge::iter::ListRange<'_> {
        self.doc.list_range(obj, range)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        self.doc.length(obj)
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, automerge::AutomergeError> {
        self.doc.text(obj)
    }

    fn parents<O: AsRef<ObjId>>(
        &self,
        obj: O,
    ) -> Result<Self::Parents<'_>, automerge::AutomergeError> {
        self.doc.parents(obj)
    }

    fn is_empty(&self) -> bool {
        self.doc.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_kind::EventKind;
    use crate::ids::CommentId;
    use crate::role::Role;
    use crate::schema::tests::{registered, request};
    use crate::schema::{
        Comment, Event, Visit, append_comment, append_event, append_visit, update_visit,
    };
    use automerge::transaction::Transactable;
    use automerge::{ActorId, AutoCommit, Automerge, PatchLog, ScalarValue};

    fn comment(author: &str, at: i64, text: &str) -> Comment {
        Comment {
            id: CommentId::new(),
            author: author.into(),
            at,
            text: text.into(),
        }
    }

    /// The server's copy of a ticket with a few of everything, and its first reading.
    fn stored() -> (Automerge, HydratedTicket) {
        let mut ticket = TicketDoc::new(request(), registered(1_000));
        ticket.visits.push(Visit::start("t-1", 2_000, true));
        for i in 0..5 {
            ticket
                .comments
                .push(comment("t-1", 3_000 + i, &format!("Avance {i}")));
        }
        let mut doc = AutoCommit::new();
        ticket.reconcile_into(&mut doc).unwrap();
        let doc = Automerge::load(&doc.save()).unwrap();
        let read = HydratedTicket::read(&doc).unwrap();
        assert_eq!(read.ticket, ticket);
        (doc, read)
    }

    /// The object at `obj[prop]` in `doc`.
    fn object(doc: &AutoCommit, obj: &ObjId, prop: impl Into<Prop>) -> ObjId {
        match doc.get(obj, prop).unwrap() {
            Some((_, id)) => id,
            None => panic!("nothing there"),
        }
    }

    fn device(server: &Automerge) -> AutoCommit {
        AutoCommit::load(&server.save())
            .unwrap()
            .with_actor(ActorId::random())
    }

    /// Applies what `device` has and the server lacks, as the sync server does, and reads the
    /// ticket again from what the patches touched. Checks the reading against the whole one.
    fn deliver(
        server: &mut Automerge,
        before: &HydratedTicket,
        device: &mut AutoCommit,
    ) -> Result<HydratedTicket, DocError> {
        let changes = device.get_changes(&server.get_heads());
        let mut log = PatchLog::active();
        server
            .apply_changes_log_patches(changes.clone(), &mut log)
            .unwrap();
        let patched = Touched::from_patches(&server.make_patches(&mut log));
        // As the sync server reads it: from the operations alone.
        let mut touched = Touched::default();
        touched.add_changes(server, &changes);
        assert!(
            touched.covers(&patched),
            "{touched:?} misses some of {patched:?}"
        );
        let whole = TicketDoc::hydrate_from(server);
        for touched in [&patched, &touched] {
            match (&read(server, Some(before), touched), &whole) {
                (Ok(again), Ok(whole)) => assert_eq!(again.ticket, *whole),
                (Err(again), Err(whole)) => assert_eq!(again.to_string(), whole.to_string()),
                (again, whole) => panic!("{again:?} but the whole reading gives {whole:?}"),
            }
        }
        read(server, Some(before), &touched)
    }

    #[test]
    fn a_new_comment_is_read_and_the_rest_kept() {
        let (mut server, before) = stored();
        let mut phone = device(&server);
        let added = comment("t-1", 9_000, "Se cambió el tóner.");
        append_comment(&mut phone, &added).unwrap();
        let after = deliver(&mut server, &before, &mut phone).unwrap();
        assert_eq!(after.ticket.comments.len(), 6);
        assert_eq!(after.ticket.comments[5], added);
        assert_eq!(after.ticket.request, before.ticket.request);

        // The next change starts from this reading.
        let mut phone = device(&server);
        let event = Event::new(EventKind::Accepted, 9_500, "c-1", Role::Coordinador);
        append_event(&mut phone, &event).unwrap();
        let later = deliver(&mut server, &after, &mut phone).unwrap();
        assert_eq!(later.ticket.events.last(), Some(&event));
        assert_eq!(later.ticket.comments, after.ticket.comments);
    }

    #[test]
    fn edits_inside_items_are_seen() {
        let (mut server, before) = stored();
        let mut phone = device(&server);
        let mut visit = before.ticket.visits[0].clone();
        visit.ended_at = Some(5_000);
        visit.note = "Se reemplazó la fuente de poder.".into();
        update_visit(&mut phone, &visit).unwrap();
        // A JavaScript peer writes text as a collaborative Text object and edits it in place.
        let comments = object(&phone, &ROOT, "comments");
        let third = object(&phone, &comments, 2);
        let text = phone.put_object(&third, "text", ObjType::Text).unwrap();
        phone.splice_text(&text, 0, 0, "Avance dos").unwrap();
        let after = deliver(&mut server, &before, &mut phone).unwrap();
        assert_eq!(after.ticket.visits, vec![visit]);
        assert_eq!(after.ticket.comments[2].text, "Avance dos");

        let mut phone = device(&server);
        let text = object(&phone, &third, "text");
        phone.splice_text(&text, 7, 3, "2").unwrap();
        let later = deliver(&mut server, &after, &mut phone).unwrap();
        assert_eq!(later.ticket.comments[2].text, "Avance 2");
    }

    /// Items read again take each field from one pass over their map: a field that two devices
    /// wrote at once reads as the value the whole reading gives (the winner), a counter as its
    /// sum, a nested map (an event's data) as well. `deliver` compares with the whole reading,
    /// errors included.
    #[test]
    fn conflicting_and_counted_fields_read_as_the_whole_reading_does() {
        let (mut server, before) = stored();
        let mut phone = device(&server);
        let mut laptop = device(&server);
        let mut visit = before.ticket.visits[0].clone();
        visit.note = "Desde el celular".into();
        update_visit(&mut phone, &visit).unwrap();
        visit.note = "Desde la oficina".into();
        update_visit(&mut laptop, &visit).unwrap();
        let after = deliver(&mut server, &before, &mut phone).unwrap();
        let merged = deliver(&mut server, &after, &mut laptop).unwrap();
        let whole = TicketDoc::hydrate_from(&server).unwrap();
        assert_eq!(merged.ticket.visits[0].note, whole.visits[0].note);

        // A counter where a time goes, incremented: refused as the whole reading refuses it,
        // naming the value the document's `get` adds up.
        let mut phone = device(&server);
        let comments = object(&phone, &ROOT, "comments");
        let first = object(&phone, &comments, 0);
        phone
            .put(&first, "at", ScalarValue::counter(3_000))
            .unwrap();
        phone.increment(&first, "at", 5).unwrap();
        let err = deliver(&mut server.clone(), &merged, &mut phone).unwrap_err();
        assert!(err.to_string().contains("3005"), "{err}");

        // An event with its data map, added in one change.
        let mut phone = device(&server);
        let event = Event::new(EventKind::Accepted, 9_500, "c-1", Role::Coordinador);
        append_event(&mut phone, &event).unwrap();
        let later = deliver(&mut server, &merged, &mut phone).unwrap();
        assert_eq!(later.ticket.events.last(), Some(&event));
    }

    #[test]
    fn offline_work_of_two_devices_merges_in_document_order() {
        let (mut server, before) = stored();
        let mut phone = device(&server);
        let mut laptop = device(&server);
        for i in 0..3 {
            append_comment(&mut phone, &comment("t-1", 10_000 + i, "Desde el celular")).unwrap();
            append_comment(&mut laptop, &comment("c-1", 10_000 + i, "Desde la oficina")).unwrap();
        }
        append_visit(&mut laptop, &Visit::start("t-2", 11_000, false)).unwrap();
        let after = deliver(&mut server, &before, &mut phone).unwrap();
        let merged = deliver(&mut server, &after, &mut laptop).unwrap();
        assert_eq!(merged.ticket.comments.len(), 11);
        assert_eq!(merged.ticket.visits.len(), 2);
    }

    #[test]
    fn a_change_that_breaks_the_ticket_fails_as_the_whole_reading_does() {
        let (mut server, before) = stored();

        let mut phone = device(&server);
        let events = object(&phone, &ROOT, "events");
        let first = object(&phone, &events, 0);
        phone.put(&first, "at", "ayer").unwrap();
        assert!(deliver(&mut server.clone(), &before, &mut phone).is_err());

        let mut phone = device(&server);
        phone.put(&ROOT, "comments", ScalarValue::Int(3)).unwrap();
        assert!(deliver(&mut server.clone(), &before, &mut phone).is_err());

        let mut phone = device(&server);
        phone.put(&ROOT, "schema", ScalarValue::Int(2)).unwrap();
        let err = deliver(&mut server, &before, &mut phone).unwrap_err();
        assert!(matches!(err, DocError::UnsupportedSchema(2)), "{err}");
    }
}
