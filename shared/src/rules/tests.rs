//! Tests of the write rules: each rule by example, and a property test of random honest and
//! forged changes by every role.
use super::*;
use crate::ids::{CommentId, EventId};
use crate::schema::{
    Channel, ClosingReport, Comment, Event, EventData, Person, Photo, Request, Survey,
    SurveyAnswers, SurveyChannel, Visit, append_comment, append_event, append_visit, set_report,
    set_survey, update_visit,
};
use crate::sla::Priority;
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, Automerge, ObjType, PatchLog, ROOT};

const OFFICIAL: &str = "u-official";
const TECH: &str = "u-tech";
const COORD: &str = "u-coord";

fn request() -> Request {
    Request {
        requester: Person {
            id: OFFICIAL.into(),
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
    }
}

fn ticket() -> TicketDoc {
    let first = Event::new(EventKind::Registered, 1, OFFICIAL, Role::Funcionario);
    TicketDoc::new(request(), first)
}

fn writer(user_id: &str, role: Role) -> Writer<'_> {
    Writer { user_id, role }
}

/// The server's stored copy of `ticket`.
fn stored(ticket: &TicketDoc) -> Automerge {
    let mut doc = AutoCommit::new();
    ticket.reconcile_into(&mut doc).unwrap();
    Automerge::load(&doc.save()).unwrap()
}

/// A device's copy of the server's document.
fn device(server: &Automerge) -> AutoCommit {
    AutoCommit::load(&server.save())
        .unwrap()
        .with_actor(ActorId::random())
}

/// Delivers what `edit` does on a device to the server, as the sync server does: applies the
/// changes, reads the ticket again from what their operations touched, and checks the rules. On
/// success the server keeps the changes.
fn deliver(
    server: &mut Automerge,
    who: Writer<'_>,
    edit: impl FnOnce(&mut AutoCommit),
) -> Result<(), Violation> {
    let before = HydratedTicket::read(&*server).unwrap();
    let mut phone = device(server);
    edit(&mut phone);
    let changes = phone.get_changes(&server.get_heads());
    let mut doc = server.clone();
    let mut log = PatchLog::active();
    doc.apply_changes_log_patches(changes.clone(), &mut log)
        .unwrap();
    let patched = Touched::from_patches(&doc.make_patches(&mut log));
    // As the sync server reads it: from the operations alone, which name at least what the
    // patches do.
    let mut touched = Touched::default();
    touched.add_changes(&doc, &changes);
    assert!(
        touched.covers(&patched),
        "{touched:?} misses some of {patched:?}"
    );
    let after = before
        .reread(&doc, &touched)
        .map_err(|e| Violation(e.to_string()))?;
    check_change(who, &doc, Some(&before), &after, &touched)?;
    *server = doc;
    Ok(())
}

/// Registers `ticket` as a device would, delivered by `who`.
fn register(who: Writer<'_>, ticket: &TicketDoc) -> Result<(), Violation> {
    let doc = stored(ticket);
    let after = HydratedTicket::read(&doc).unwrap();
    check_change(who, &doc, None, &after, &Touched::everything())
}

fn object(doc: &AutoCommit, obj: &ObjId, prop: impl Into<automerge::Prop>) -> ObjId {
    doc.get(obj, prop).unwrap().expect("present").1
}

fn comment(author: &str, text: &str) -> Comment {
    Comment {
        id: CommentId::new(),
        author: author.into(),
        at: 2,
        text: text.into(),
    }
}

/// Inserts `event` as a new map at `index` of the events list, written field by field as a
/// client that bypasses the PWA would.
fn insert_event(doc: &mut AutoCommit, index: usize, event: &Event) {
    let events = object(doc, &ROOT, "events");
    autosurgeon::reconcile_insert(doc, events, index, event).unwrap();
}

fn assigned_ticket() -> Automerge {
    let mut ticket = ticket();
    ticket.events.push(
        Event::new(EventKind::Assigned, 2, COORD, Role::Coordinador).with_data(EventData {
            assignee: Some(Person {
                id: TECH.into(),
                name: "Técnico".into(),
            }),
            ..EventData::default()
        }),
    );
    stored(&ticket)
}

#[test]
fn registration_needs_a_valid_request_in_the_officials_own_name() {
    let doc = ticket();
    assert_eq!(register(writer(OFFICIAL, Role::Funcionario), &doc), Ok(()));
    let err = register(writer("u-other", Role::Funcionario), &doc).unwrap_err();
    assert!(err.0.contains("solicitud propia"), "{err}");
    let mut bad = doc.clone();
    bad.request.description.clear();
    let err = register(writer(OFFICIAL, Role::Funcionario), &bad).unwrap_err();
    assert!(err.0.contains("solicitud válida"), "{err}");
    // A technician registers a walk-up request for an official: its own registrada event.
    let mut walk_up = doc.clone();
    walk_up.events = vec![Event::new(EventKind::Registered, 1, TECH, Role::Tecnico)];
    assert!(register(writer(TECH, Role::Tecnico), &walk_up).is_ok());
    let err = register(writer(TECH, Role::Tecnico), &doc).unwrap_err();
    assert!(err.0.contains("registro del caso"), "{err}");
}

#[test]
fn an_official_comments_but_does_not_triage_or_visit() {
    let mut server = stored(&ticket());
    let official = writer(OFFICIAL, Role::Funcionario);
    deliver(&mut server, official, |d| {
        append_comment(d, &comment(OFFICIAL, "Es urgente")).unwrap()
    })
    .unwrap();

    let err = deliver(&mut server, official, |d| {
        let triage = Event::new(EventKind::Prioritized, 2, OFFICIAL, Role::Funcionario).with_data(
            EventData {
                priority: Some(Priority::Alta),
                ..EventData::default()
            },
        );
        append_event(d, &triage).unwrap()
    })
    .unwrap_err();
    assert!(err.0.contains("permisos por rol"), "{err}");

    let err = deliver(&mut server, official, |d| {
        append_visit(d, &Visit::start(OFFICIAL, 2, true)).unwrap()
    })
    .unwrap_err();
    assert!(err.0.contains("las visitas son del técnico"), "{err}");
}

#[test]
fn a_technician_visits_but_cannot_set_deadlines_or_rewrite_history() {
    let mut server = assigned_ticket();
    let tech = writer(TECH, Role::Tecnico);
    let visit = Visit::start(TECH, 3, false);
    deliver(&mut server, tech, |d| {
        append_visit(d, &visit).unwrap();
        let absent =
            Event::new(EventKind::UserAbsent, 3, TECH, Role::Tecnico).with_data(EventData {
                visit: Some(visit.id),
                next_visit_at: Some(10),
                ..EventData::default()
            });
        append_event(d, &absent).unwrap();
    })
    .unwrap();

    let err = deliver(&mut server, tech, |d| {
        let deadline =
            Event::new(EventKind::VisitStarted, 3, TECH, Role::Tecnico).with_data(EventData {
                resolution_due: Some(99),
                ..EventData::default()
            });
        append_event(d, &deadline).unwrap()
    })
    .unwrap_err();
    assert!(err.0.contains("plazos"), "{err}");

    let err = deliver(&mut server, tech, |d| {
        let events = object(d, &ROOT, "events");
        d.delete(&events, 0).unwrap();
    })
    .unwrap_err();
    assert!(err.0.contains("no se borran"), "{err}");

    let err = deliver(&mut server, tech, |d| {
        let forged = Event::new(EventKind::VisitStarted, 3, "u-else", Role::Tecnico);
        append_event(d, &forged).unwrap()
    })
    .unwrap_err();
    assert!(err.0.contains("lleva a su autor"), "{err}");

    // Another technician may not edit this one's visit; the visit's own technician may.
    let mut edited = visit.clone();
    edited.note = "cambiado".into();
    let err = deliver(&mut server, writer("u-tech2", Role::Tecnico), |d| {
        update_visit(d, &edited).unwrap()
    })
    .unwrap_err();
    assert!(err.0.contains("sus visitas"), "{err}");
    deliver(&mut server, tech, |d| update_visit(d, &edited).unwrap()).unwrap();
}

#[test]
fn only_coordinators_change_the_request() {
    let mut server = stored(&ticket());
    let edit = |d: &mut AutoCommit| {
        let request = object(d, &ROOT, "request");
        d.put(&request, "category", "Red").unwrap();
    };
    let err = deliver(&mut server, writer(TECH, Role::Tecnico), edit).unwrap_err();
    assert!(err.0.contains("la solicitud registrada no cambia"), "{err}");
    deliver(&mut server, writer(COORD, Role::Coordinador), edit).unwrap();
}

/// The forgery of the issue: a new element inserted before an existing event, carrying that
/// event's id, must not pass as the existing event "unchanged".
#[test]
fn an_item_carrying_the_id_of_another_is_refused_for_every_role() {
    for (user, role) in [
        (OFFICIAL, Role::Funcionario),
        (TECH, Role::Tecnico),
        ("u-contractor", Role::Contratista),
        (COORD, Role::Coordinador),
    ] {
        let mut server = assigned_ticket();
        let before = HydratedTicket::read(&server).unwrap().ticket;
        let mut forged = Event::new(EventKind::Cancelled, 5, user, role).with_data(EventData {
            reason: Some("forjado".into()),
            ..EventData::default()
        });
        forged.id = before.events[0].id;
        let err = deliver(&mut server, writer(user, role), |d| {
            insert_event(d, 0, &forged)
        })
        .unwrap_err();
        assert!(err.0.contains("identificadores únicos"), "{role:?}: {err}");

        // The same with a comment and a visit.
        let mut server = stored(&{
            let mut t = ticket();
            t.comments.push(comment(OFFICIAL, "Original"));
            t.visits.push(Visit::start(TECH, 3, true));
            t
        });
        let stored_ticket = HydratedTicket::read(&server).unwrap().ticket;
        let mut copy = comment(user, "Forjado");
        copy.id = stored_ticket.comments[0].id;
        let err = deliver(&mut server, writer(user, role), |d| {
            let comments = object(d, &ROOT, "comments");
            autosurgeon::reconcile_insert(d, comments, 0, &copy).unwrap();
        })
        .unwrap_err();
        assert!(err.0.contains("identificadores únicos"), "{role:?}: {err}");
        let mut visit = Visit::start(user, 4, true);
        visit.id = stored_ticket.visits[0].id;
        let err = deliver(&mut server, writer(user, role), |d| {
            let visits = object(d, &ROOT, "visits");
            autosurgeon::reconcile_insert(d, visits, 0, &visit).unwrap();
        })
        .unwrap_err();
        assert!(
            err.0.contains("identificadores únicos") || err.0.contains("visitas son del"),
            "{role:?}: {err}"
        );
    }
}

#[test]
fn an_event_edited_in_place_is_refused_even_by_a_coordinator() {
    let mut server = assigned_ticket();
    let err = deliver(&mut server, writer(COORD, Role::Coordinador), |d| {
        let events = object(d, &ROOT, "events");
        let first = object(d, &events, 0);
        d.put(&first, "kind", "anulada").unwrap();
    })
    .unwrap_err();
    assert!(err.0.contains("no se borran ni se modifican"), "{err}");
    // Replacing an element by a copy makes a new object: the old one is gone.
    let first = HydratedTicket::read(&server).unwrap().ticket.events[0].clone();
    let err = deliver(&mut server, writer(COORD, Role::Coordinador), |d| {
        let events = object(d, &ROOT, "events");
        d.delete(&events, 0).unwrap();
        insert_event(d, 0, &first);
    })
    .unwrap_err();
    assert!(err.0.contains("no se borran"), "{err}");
}

/// Rewriting a list with identical content would drop what other devices appended to the old
/// list meanwhile: refused.
#[test]
fn a_list_replaced_with_the_same_content_is_refused() {
    let mut server = stored(&{
        let mut t = ticket();
        t.comments.push(comment(OFFICIAL, "Primero"));
        t
    });
    let same = HydratedTicket::read(&server).unwrap().ticket.comments;
    let err = deliver(&mut server, writer(OFFICIAL, Role::Funcionario), |d| {
        let comments = d.put_object(&ROOT, "comments", ObjType::List).unwrap();
        for (i, c) in same.iter().enumerate() {
            autosurgeon::reconcile_insert(d, comments.clone(), i, c).unwrap();
        }
    })
    .unwrap_err();
    assert!(err.0.contains("las listas solo crecen"), "{err}");
}

#[test]
fn unknown_fields_are_refused_at_any_depth() {
    let mut server = stored(&ticket());
    let err = deliver(&mut server, writer(OFFICIAL, Role::Funcionario), |d| {
        let mut c = comment(OFFICIAL, "Hola");
        c.id = CommentId::new();
        append_comment(d, &c).unwrap();
        let comments = object(d, &ROOT, "comments");
        let last = object(d, &comments, 0);
        d.put(&last, "approved", true).unwrap();
    })
    .unwrap_err();
    assert!(
        err.0.contains("«comments[0].approved» no es un campo"),
        "{err}"
    );
    let err = deliver(&mut server, writer(COORD, Role::Coordinador), |d| {
        d.put(&ROOT, "owner", COORD).unwrap();
    })
    .unwrap_err();
    assert!(err.0.contains("«owner»"), "{err}");
}

#[test]
fn a_long_comment_is_refused_naming_the_limit() {
    let mut server = stored(&ticket());
    let err = deliver(&mut server, writer(OFFICIAL, Role::Funcionario), |d| {
        append_comment(d, &comment(OFFICIAL, &"a".repeat(1_000_000))).unwrap()
    })
    .unwrap_err();
    assert!(
        err.0
            .contains("El comentario admite máximo 4000 caracteres; tiene 1000000."),
        "{err}"
    );
}

#[test]
fn the_report_is_signed_by_its_writer() {
    let mut server = assigned_ticket();
    let report = |author: &str| ClosingReport {
        author: author.into(),
        at: 9,
        summary: "Cambio de tóner".into(),
        results: "Imprime".into(),
    };
    let err = deliver(&mut server, writer(TECH, Role::Tecnico), |d| {
        set_report(d, &report("u-other")).unwrap()
    })
    .unwrap_err();
    assert!(err.0.contains("el informe lleva a su autor"), "{err}");
    deliver(&mut server, writer(TECH, Role::Tecnico), |d| {
        set_report(d, &report(TECH)).unwrap()
    })
    .unwrap();
}

#[test]
fn the_survey_comes_after_the_resolution() {
    let mut server = assigned_ticket();
    let survey = Survey {
        answered_at: 20,
        by: OFFICIAL.into(),
        channel: SurveyChannel::OwnApp,
        answers: SurveyAnswers {
            timeliness: 5,
            treatment: 5,
            solution: 4,
            comment: String::new(),
        },
    };
    let official = writer(OFFICIAL, Role::Funcionario);
    let answer = |d: &mut AutoCommit| {
        set_survey(d, &survey).unwrap();
        append_event(
            d,
            &Event::new(EventKind::SurveyAnswered, 20, OFFICIAL, Role::Funcionario),
        )
        .unwrap();
    };
    let err = deliver(&mut server, official, answer).unwrap_err();
    assert!(err.0.contains("encuesta después de la solución"), "{err}");
    deliver(&mut server, writer(TECH, Role::Tecnico), |d| {
        append_event(d, &Event::new(EventKind::Resolved, 10, TECH, Role::Tecnico)).unwrap()
    })
    .unwrap();
    // The official's own app is not the técnico's phone: the channel tells where it was answered.
    let err = deliver(&mut server, writer(TECH, Role::Tecnico), |d| {
        set_survey(d, &survey).unwrap();
        append_event(
            d,
            &Event::new(EventKind::SurveyAnswered, 20, TECH, Role::Tecnico),
        )
        .unwrap();
    })
    .unwrap_err();
    assert!(err.0.contains("dónde se respondió"), "{err}");
    deliver(&mut server, official, answer).unwrap();
}

#[test]
fn a_photo_leaves_a_visit_only_while_it_is_open() {
    let mut visit = Visit::start(TECH, 3, true);
    for i in 0..2 {
        visit.evidence.push(Photo {
            sha256: format!("{i}").repeat(64),
            captured_at: 3,
            position: None,
        });
    }
    let mut server = stored(&{
        let mut t = ticket();
        t.visits.push(visit.clone());
        t
    });
    let tech = writer(TECH, Role::Tecnico);
    let mut fewer = visit.clone();
    fewer.evidence.pop();
    deliver(&mut server, tech, |d| update_visit(d, &fewer).unwrap()).unwrap();
    let mut closed = fewer.clone();
    closed.ended_at = Some(8);
    deliver(&mut server, tech, |d| update_visit(d, &closed).unwrap()).unwrap();
    let mut emptied = closed.clone();
    emptied.evidence.clear();
    let err = deliver(&mut server, tech, |d| update_visit(d, &emptied).unwrap()).unwrap_err();
    assert!(err.0.contains("fotos de una visita terminada"), "{err}");
}

/// Found by the `write_rules` fuzz target (see «Fuzzing» in docs/integridad.md): a photo
/// position of NaN made the ticket unequal to itself, so every later change by anyone but the
/// visit's técnico or a coordinator was refused as an edit of that visit.
#[test]
fn a_number_that_is_not_finite_is_refused() {
    let visit = Visit::start(TECH, 3, true);
    let mut server = stored(&{
        let mut t = ticket();
        t.visits.push(visit.clone());
        t
    });
    for bad in [f64::NAN, f64::INFINITY] {
        let mut located = visit.clone();
        located.evidence.push(Photo {
            sha256: "a".repeat(64),
            captured_at: 4,
            position: Some(crate::schema::Position {
                lat: bad,
                lon: -74.08,
                accuracy_m: 10.0,
            }),
        });
        let err = deliver(&mut server, writer(TECH, Role::Tecnico), |d| {
            update_visit(d, &located).unwrap()
        })
        .unwrap_err();
        assert!(err.0.contains("a finite number"), "{err}");
    }
    deliver(&mut server, writer(OFFICIAL, Role::Funcionario), |d| {
        append_comment(d, &comment(OFFICIAL, "¿Ya vienen?")).unwrap()
    })
    .unwrap();
}

#[test]
fn a_new_item_needs_a_fresh_id_even_among_new_ones() {
    let mut server = stored(&ticket());
    let first = comment(OFFICIAL, "Uno");
    let mut second = comment(OFFICIAL, "Dos");
    second.id = first.id;
    let err = deliver(&mut server, writer(OFFICIAL, Role::Funcionario), |d| {
        append_comment(d, &first).unwrap();
        append_comment(d, &second).unwrap();
    })
    .unwrap_err();
    assert!(err.0.contains("identificadores únicos"), "{err}");
    let _ = EventId::new();
}

/// What a generated change does, and whether the rules must let it through.
#[derive(Debug, Clone)]
enum Attempt {
    /// A comment of the writer's own.
    Comment,
    /// An event the writer's role may write, signed by the writer.
    PermittedEvent(usize),
    /// The note of the técnico's visit.
    VisitNote,
    /// A new event or comment carrying the id of an existing one, at an index.
    DuplicateId { comment: bool, index: usize },
    /// A root list rewritten with its own content.
    ReplaceList(usize),
    /// A key the schema does not name, at the root or nested in a new comment or event.
    UnknownField(usize),
    /// A field of an existing event or comment written again.
    EditSealed { comment: bool, index: usize },
    /// A new event or comment signed by someone else.
    ForgedAuthor { comment: bool },
    /// An item removed from a root list.
    Delete(usize),
    /// A comment over its length limit.
    LongComment,
}

const USERS: [(&str, Role); 4] = [
    (OFFICIAL, Role::Funcionario),
    (TECH, Role::Tecnico),
    ("u-contractor", Role::Contratista),
    (COORD, Role::Coordinador),
];

fn attempt() -> impl proptest::strategy::Strategy<Value = Attempt> {
    use proptest::prelude::*;
    prop_oneof![
        Just(Attempt::Comment),
        (0..16usize).prop_map(Attempt::PermittedEvent),
        Just(Attempt::VisitNote),
        (any::<bool>(), 0..4usize)
            .prop_map(|(comment, index)| Attempt::DuplicateId { comment, index }),
        (0..3usize).prop_map(Attempt::ReplaceList),
        (0..3usize).prop_map(Attempt::UnknownField),
        (any::<bool>(), 0..4usize)
            .prop_map(|(comment, index)| Attempt::EditSealed { comment, index }),
        any::<bool>().prop_map(|comment| Attempt::ForgedAuthor { comment }),
        (0..3usize).prop_map(Attempt::Delete),
        Just(Attempt::LongComment),
    ]
}

/// Does `attempt` as `(user, role)` on a device copy; returns whether the rules must accept
/// it. `seq` makes texts and times distinct.
fn perform(
    d: &mut AutoCommit,
    now: &TicketDoc,
    (user, role): (&str, Role),
    attempt: &Attempt,
    seq: i64,
) -> bool {
    let at = 100 + seq;
    let list_key = |i: usize| ["events", "visits", "comments"][i % 3];
    match attempt {
        Attempt::Comment => {
            append_comment(d, &comment(user, &format!("Nota {seq}"))).unwrap();
            true
        }
        Attempt::PermittedEvent(i) => {
            let kinds: Vec<EventKind> = crate::role::PERMISSIONS
                .iter()
                .filter(|(_, roles)| roles.contains(&role))
                .map(|(kind, _)| *kind)
                .collect();
            let kind = kinds[i % kinds.len()];
            append_event(d, &Event::new(kind, at, user, role)).unwrap();
            true
        }
        Attempt::VisitNote => {
            let mut visit = now.visits[0].clone();
            visit.note = format!("Nota de visita {seq}");
            update_visit(d, &visit).unwrap();
            role == Role::Coordinador || user == TECH
        }
        Attempt::DuplicateId {
            comment: true,
            index,
        } => {
            let mut copy = comment(user, "Copia");
            copy.id = now.comments[index % now.comments.len()].id;
            let comments = object(d, &ROOT, "comments");
            autosurgeon::reconcile_insert(d, comments, index % 2, &copy).unwrap();
            false
        }
        Attempt::DuplicateId {
            comment: false,
            index,
        } => {
            let mut copy = Event::new(EventKind::Registered, at, user, role);
            copy.id = now.events[index % now.events.len()].id;
            insert_event(d, index % 2, &copy);
            false
        }
        Attempt::ReplaceList(i) => {
            let key = list_key(*i);
            let list = d.put_object(&ROOT, key, ObjType::List).unwrap();
            match key {
                "events" => {
                    for (j, e) in now.events.iter().enumerate() {
                        autosurgeon::reconcile_insert(d, list.clone(), j, e).unwrap();
                    }
                }
                "visits" => {
                    for (j, v) in now.visits.iter().enumerate() {
                        autosurgeon::reconcile_insert(d, list.clone(), j, v).unwrap();
                    }
                }
                _ => {
                    for (j, c) in now.comments.iter().enumerate() {
                        autosurgeon::reconcile_insert(d, list.clone(), j, c).unwrap();
                    }
                }
            }
            false
        }
        Attempt::UnknownField(0) => {
            d.put(&ROOT, "aprobado", true).unwrap();
            false
        }
        Attempt::UnknownField(1) => {
            append_comment(d, &comment(user, "Con extra")).unwrap();
            let comments = object(d, &ROOT, "comments");
            let last = object(d, &comments, d.length(&comments) - 1);
            d.put(&last, "extra", 1).unwrap();
            false
        }
        Attempt::UnknownField(_) => {
            append_event(d, &Event::new(EventKind::Registered, at, user, role)).unwrap();
            let events = object(d, &ROOT, "events");
            let last = object(d, &events, d.length(&events) - 1);
            let data = object(d, &last, "data");
            d.put(&data, "aprobado_por", user).unwrap();
            false
        }
        Attempt::EditSealed { comment, index } => {
            let key = if *comment { "comments" } else { "events" };
            let list = object(d, &ROOT, key);
            let item = object(d, &list, index % d.length(&list));
            let field = if *comment { "text" } else { "kind" };
            // A value other than the current one: writing the same value makes no operation.
            let value = match (*comment, now.events[index % now.events.len()].kind) {
                (true, _) => "Cambiado",
                (false, EventKind::Cancelled) => "reabierta",
                (false, _) => "anulada",
            };
            d.put(&item, field, value).unwrap();
            false
        }
        Attempt::ForgedAuthor { comment: true } => {
            let other = if user == OFFICIAL { TECH } else { OFFICIAL };
            append_comment(d, &comment(other, "Firmado por otro")).unwrap();
            false
        }
        Attempt::ForgedAuthor { comment: false } => {
            let other = if user == COORD { TECH } else { COORD };
            let event = Event::new(EventKind::Registered, at, other, role);
            append_event(d, &event).unwrap();
            false
        }
        Attempt::Delete(i) => {
            let list = object(d, &ROOT, list_key(*i));
            d.delete(&list, 0).unwrap();
            false
        }
        Attempt::LongComment => {
            let long = "x".repeat(crate::limits::COMMENT.max + 1);
            append_comment(d, &comment(user, &long)).unwrap();
            false
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Random changes by every role, honest and forged: the rules accept exactly the
    /// allowed ones, so the server's document always equals the document built from the
    /// allowed changes alone.
    #[test]
    fn the_stored_ticket_holds_only_allowed_changes(
        steps in proptest::collection::vec((0..4usize, attempt()), 1..24)
    ) {
        let mut start = ticket();
        start.events.push(
            Event::new(EventKind::Assigned, 2, COORD, Role::Coordinador).with_data(EventData {
                assignee: Some(Person { id: TECH.into(), name: "Técnico".into() }),
                ..EventData::default()
            }),
        );
        start.visits.push(Visit::start(TECH, 3, true));
        start.comments.push(comment(OFFICIAL, "Primer comentario"));
        let mut server = stored(&start);
        let mut model = stored(&start);
        for (seq, (who, attempt)) in steps.iter().enumerate() {
            let (user, role) = USERS[*who];
            let now = HydratedTicket::read(&server).unwrap().ticket;
            let mut allowed = false;
            let verdict = deliver(&mut server, writer(user, role), |d| {
                allowed = perform(d, &now, (user, role), attempt, seq as i64);
            });
            proptest::prop_assert_eq!(
                verdict.is_ok(),
                allowed,
                "{:?} by {:?}: {:?}",
                attempt,
                role,
                verdict
            );
            if allowed {
                let mut device = device(&model);
                let model_now = HydratedTicket::read(&model).unwrap().ticket;
                perform(&mut device, &model_now, (user, role), attempt, seq as i64);
                model.apply_changes(device.get_changes(&model.get_heads())).unwrap();
            }
        }
        let stored_ticket = HydratedTicket::read(&server).unwrap().ticket;
        let model_ticket = HydratedTicket::read(&model).unwrap().ticket;
        proptest::prop_assert_eq!(stored_ticket.events.len(), model_ticket.events.len());
        proptest::prop_assert_eq!(&stored_ticket.visits, &model_ticket.visits);
        let texts = |t: &TicketDoc| t.comments.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
        proptest::prop_assert_eq!(texts(&stored_ticket), texts(&model_ticket));
        let kinds = |t: &TicketDoc| t.events.iter().map(|e| (e.kind, e.author.clone())).collect::<Vec<_>>();
        proptest::prop_assert_eq!(kinds(&stored_ticket), kinds(&model_ticket));
    }
}
