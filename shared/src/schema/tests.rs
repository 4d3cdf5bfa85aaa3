use super::*;
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ScalarValue};

pub(super) fn request() -> Request {
    Request {
        requester: Person {
            id: "u-1".into(),
            name: "Ana Gómez".into(),
        },
        dependencia: "HACIENDA".into(),
        location: "Edificio central, piso 3, oficina 301".into(),
        phone_extension: Some("2301".into()),
        channel: Channel::Intranet,
        external_ref: None,
        category: "Impresora".into(),
        description: "La impresora no enciende desde esta mañana.".into(),
        equipment: vec!["GN-000123".into()],
        photos: vec!["a".repeat(64)],
    }
}

pub(super) fn registered(at: i64) -> Event {
    Event::new(EventKind::Registered, at, "u-1", Role::Funcionario)
}

#[test]
fn round_trip_through_automerge_and_json() {
    let mut ticket = TicketDoc::new(request(), registered(1_000));
    let mut visit = Visit::start("t-1", 2_000, true);
    visit.evidence.push(Photo {
        sha256: "b".repeat(64),
        captured_at: 2_100,
        position: Some(Position {
            lat: 4.8133,
            lon: -75.6961,
            accuracy_m: 12.5,
        }),
    });
    visit.outcome = Some(Outcome::Workshop);
    visit.custody = Some(Custody {
        equipment: vec!["GN-000123".into()],
        from: "u-1".into(),
        to: "t-1".into(),
        place: "Taller TIC".into(),
        at: 2_200,
        condition: "Sin cargador".into(),
    });
    ticket.visits.push(visit);
    ticket.events.push(
        Event::new(EventKind::Prioritized, 1_500, "c-1", Role::Coordinador).with_data(EventData {
            priority: Some(Priority::Alta),
            mode: Some(Mode::OnSite),
            ..EventData::default()
        }),
    );
    ticket.report = Some(ClosingReport {
        author: "t-1".into(),
        at: 3_000,
        summary: "Fuente reemplazada".into(),
        results: "Imprime".into(),
    });
    ticket.survey = Some(Survey {
        answered_at: 3_100,
        by: "u-1".into(),
        channel: SurveyChannel::TechnicianPhone,
        answers: SurveyAnswers {
            timeliness: 5,
            treatment: 4,
            solution: 5,
            comment: String::new(),
        },
    });
    ticket.comments.push(Comment {
        id: CommentId::new(),
        author: "u-1".into(),
        at: 1_200,
        text: "Gracias".into(),
    });

    let mut doc = AutoCommit::new();
    ticket.reconcile_into(&mut doc).unwrap();
    // Reconciling an unchanged ticket writes nothing (no spurious changes to sync).
    ticket.reconcile_into(&mut doc).unwrap();
    doc.commit();
    let heads = doc.get_heads();
    ticket.reconcile_into(&mut doc).unwrap();
    assert_eq!(doc.pending_ops(), 0);
    doc.commit();
    assert_eq!(doc.get_heads(), heads);
    let saved = doc.save();
    let loaded = AutoCommit::load(&saved).unwrap();
    assert_eq!(TicketDoc::hydrate_from(&loaded).unwrap(), ticket);

    let json = serde_json::to_value(&ticket).unwrap();
    assert_eq!(json["request"]["channel"], "intranet");
    assert_eq!(json["events"][1]["kind"], "priorizada");
    assert_eq!(json["events"][1]["data"]["priority"], "alta");
    assert_eq!(json["visits"][0]["outcome"], "workshop");
    assert_eq!(serde_json::from_value::<TicketDoc>(json).unwrap(), ticket);
}

/// The merge the whole design rests on: two devices append an event offline; after the
/// merge both events are there.
#[test]
fn concurrent_appends_survive_the_merge() {
    let ticket = TicketDoc::new(request(), registered(1_000));
    let mut doc = AutoCommit::new();
    ticket.reconcile_into(&mut doc).unwrap();

    // Device A reconciles the whole document; device B uses the append helper.
    let mut a = doc.fork().with_actor(ActorId::random());
    let mut b = doc.fork().with_actor(ActorId::random());
    let mut on_a = TicketDoc::hydrate_from(&a).unwrap();
    let accepted = Event::new(EventKind::Accepted, 2_000, "c-1", Role::Coordinador);
    on_a.events.push(accepted.clone());
    on_a.reconcile_into(&mut a).unwrap();
    let visit = Visit::start("t-1", 2_500, false);
    let started =
        Event::new(EventKind::VisitStarted, 2_500, "t-1", Role::Tecnico).with_data(EventData {
            visit: Some(visit.id),
            ..EventData::default()
        });
    append_event(&mut b, &started).unwrap();
    append_visit(&mut b, &visit).unwrap();
    let comment = Comment {
        id: CommentId::new(),
        author: "t-1".into(),
        at: 2_600,
        text: "No estaba".into(),
    };
    append_comment(&mut b, &comment).unwrap();

    a.merge(&mut b).unwrap();
    let merged = TicketDoc::hydrate_from(&a).unwrap();
    let ids: Vec<EventId> = merged.events.iter().map(|e| e.id).collect();
    assert_eq!(merged.events.len(), 3);
    assert!(ids.contains(&accepted.id) && ids.contains(&started.id));
    assert_eq!(merged.visits, vec![visit.clone()]);
    assert_eq!(merged.comments, vec![comment]);
    assert_eq!(merged.request, request());

    // The other direction converges to the same document.
    b.merge(&mut a).unwrap();
    assert_eq!(TicketDoc::hydrate_from(&b).unwrap(), merged);

    // Both devices reconciling whole documents with an appended event also keeps both.
    let mut c = a.fork().with_actor(ActorId::random());
    let mut d = a.fork().with_actor(ActorId::random());
    for (device, author) in [(&mut c, "t-1"), (&mut d, "c-1")] {
        let mut t = TicketDoc::hydrate_from(device).unwrap();
        t.events.push(Event::new(
            EventKind::Closed,
            9_000,
            author,
            Role::Coordinador,
        ));
        t.reconcile_into(device).unwrap();
    }
    c.merge(&mut d).unwrap();
    assert_eq!(TicketDoc::hydrate_from(&c).unwrap().events.len(), 5);
}

#[test]
fn update_visit_edits_in_place_and_report_and_survey_are_set() {
    let ticket = TicketDoc::new(request(), registered(1_000));
    let mut doc = AutoCommit::new();
    ticket.reconcile_into(&mut doc).unwrap();
    let mut visit = Visit::start("t-1", 2_000, true);
    append_visit(&mut doc, &visit).unwrap();
    visit.ended_at = Some(3_000);
    visit.outcome = Some(Outcome::Resolved);
    visit.actions = "Se cambió el cable".into();
    update_visit(&mut doc, &visit).unwrap();
    let unknown = Visit::start("t-1", 1, true);
    assert!(matches!(
        update_visit(&mut doc, &unknown),
        Err(DocError::UnknownVisit(_))
    ));
    let report = ClosingReport {
        author: "t-1".into(),
        at: 3_100,
        summary: "Cable dañado".into(),
        results: "Funciona".into(),
    };
    set_report(&mut doc, &report).unwrap();
    let back = TicketDoc::hydrate_from(&doc).unwrap();
    assert_eq!(back.visits, vec![visit]);
    assert_eq!(back.report, Some(report));
}

/// What `@automerge/automerge` 3 writes from JavaScript: strings as Text objects, integral
/// numbers as signed ints, absent optional fields left out.
#[test]
fn reads_what_javascript_writes() {
    let mut doc = AutoCommit::new();
    let text = |doc: &mut AutoCommit, obj: &automerge::ObjId, key: &str, value: &str| {
        let t = doc.put_object(obj, key, ObjType::Text).unwrap();
        doc.splice_text(&t, 0, 0, value).unwrap();
    };
    doc.put(ROOT, "schema", ScalarValue::Int(1)).unwrap();
    let req = doc.put_object(ROOT, "request", ObjType::Map).unwrap();
    let who = doc.put_object(&req, "requester", ObjType::Map).unwrap();
    text(&mut doc, &who, "id", "u-9");
    text(&mut doc, &who, "name", "Luis Pérez");
    text(&mut doc, &req, "dependencia", "SALUD");
    text(&mut doc, &req, "channel", "field");
    text(&mut doc, &req, "category", "Red");
    text(&mut doc, &req, "description", "Sin red en la oficina");
    let eq = doc.put_object(&req, "equipment", ObjType::List).unwrap();
    let code = doc.insert_object(&eq, 0, ObjType::Text).unwrap();
    doc.splice_text(&code, 0, 0, "GN-7").unwrap();
    let events = doc.put_object(ROOT, "events", ObjType::List).unwrap();
    let ev = doc.insert_object(&events, 0, ObjType::Map).unwrap();
    let event_id = EventId::new();
    text(&mut doc, &ev, "id", &event_id.to_string());
    doc.put(&ev, "at", ScalarValue::Int(1_700_000_000_000))
        .unwrap();
    text(&mut doc, &ev, "author", "t-2");
    text(&mut doc, &ev, "author_role", "tecnico");
    text(&mut doc, &ev, "kind", "registrada");
    let visits = doc.put_object(ROOT, "visits", ObjType::List).unwrap();
    let v = doc.insert_object(&visits, 0, ObjType::Map).unwrap();
    let visit_id = VisitId::new();
    doc.put(&v, "id", visit_id.to_string()).unwrap(); // ImmutableString: a scalar
    text(&mut doc, &v, "technician", "t-2");
    doc.put(&v, "started_at", ScalarValue::Int(1_700_000_100_000))
        .unwrap();
    doc.put(&v, "user_present", true).unwrap();
    let ev_list = doc.put_object(&v, "evidence", ObjType::List).unwrap();
    let photo = doc.insert_object(&ev_list, 0, ObjType::Map).unwrap();
    text(&mut doc, &photo, "sha256", &"c".repeat(64));
    doc.put(&photo, "captured_at", ScalarValue::Int(1_700_000_100_500))
        .unwrap();
    let pos = doc.put_object(&photo, "position", ObjType::Map).unwrap();
    doc.put(&pos, "lat", 4.5).unwrap();
    doc.put(&pos, "lon", ScalarValue::Int(-75)).unwrap();
    doc.put(&pos, "accuracy_m", ScalarValue::Int(10)).unwrap();

    let ticket = TicketDoc::hydrate_from(&doc).unwrap();
    assert_eq!(ticket.request.requester.name, "Luis Pérez");
    assert_eq!(ticket.request.channel, Channel::Field);
    assert_eq!(ticket.request.equipment, ["GN-7"]);
    assert_eq!(ticket.request.location, "");
    assert_eq!(ticket.request.phone_extension, None);
    assert_eq!(ticket.events[0].id, event_id);
    assert_eq!(ticket.events[0].author_role, Role::Tecnico);
    assert_eq!(ticket.events[0].data, EventData::default());
    let visit = &ticket.visits[0];
    assert_eq!(visit.id, visit_id);
    assert!(visit.user_present && !visit.notice_left);
    assert_eq!(visit.ended_at, None);
    let pos = visit.evidence[0].position.unwrap();
    assert_eq!((pos.lat, pos.lon, pos.accuracy_m), (4.5, -75.0, 10.0));
    assert!(ticket.comments.is_empty() && ticket.report.is_none());
    assert!(validate_request(&ticket.request).is_err()); // location missing
}

#[test]
fn unknown_schema_versions_are_refused() {
    let mut doc = AutoCommit::new();
    TicketDoc::new(request(), registered(1))
        .reconcile_into(&mut doc)
        .unwrap();
    doc.put(ROOT, "schema", ScalarValue::Int(2)).unwrap();
    let err = TicketDoc::hydrate_from(&doc).unwrap_err();
    assert!(matches!(err, DocError::UnsupportedSchema(2)));
    assert!(err.to_string().contains("versión 2"));
    assert!(TicketDoc::hydrate_from(&AutoCommit::new()).is_err());
}

#[test]
fn a_good_request_passes_validation() {
    assert_eq!(validate_request(&request()), Ok(()));
    let mut r = request();
    r.dependencia = " salud ".into(); // normalised by the code type
    r.phone_extension = None;
    r.photos.clear();
    assert_eq!(validate_request(&r), Ok(()));
}

#[test]
fn bad_requests_report_every_field_in_spanish() {
    let mut r = request();
    r.description = "   ".into();
    r.location = String::new();
    r.dependencia = "Educación".into();
    r.phone_extension = Some("ext 12".into());
    r.equipment = vec!["GN-1".into(), "impresora".into()];
    r.photos = vec!["not-a-hash".into()];
    let errors = validate_request(&r).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "location",
            "description",
            "dependencia",
            "phone_extension",
            "equipment",
            "photos"
        ]
    );
    assert_eq!(errors[1].message, "Escriba la descripción del problema.");
    assert!(
        errors[2]
            .message
            .starts_with("Código de dependencia no válido")
    );
    assert!(errors[4].message.contains("«impresora»"));

    let mut r = request();
    r.description = "x".repeat(crate::limits::DESCRIPTION.max + 1);
    let errors = validate_request(&r).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].message,
        "La descripción del problema admite máximo 4000 caracteres; tiene 4001."
    );
    // Characters, not bytes: 4000 accented letters are fine.
    r.description = "é".repeat(crate::limits::DESCRIPTION.max);
    assert_eq!(validate_request(&r), Ok(()));
}

#[test]
fn survey_ratings_are_one_to_five() {
    let mut survey = Survey {
        answered_at: 1,
        by: "u-1".into(),
        channel: SurveyChannel::OwnApp,
        answers: SurveyAnswers {
            timeliness: 5,
            treatment: 1,
            solution: 3,
            comment: String::new(),
        },
    };
    assert_eq!(validate_survey(&survey), Ok(()));
    survey.answers.treatment = 0;
    survey.answers.solution = 6;
    let errors = validate_survey(&survey).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].field, "answers.treatment");
    assert_eq!(errors[1].message, "Califique de 1 a 5 (se recibió 6).");
}

#[test]
fn enum_wire_names() {
    assert_eq!(
        Channel::WIRE_NAMES,
        ["intranet", "glpi", "email", "phone", "field"]
    );
    assert_eq!(
        Outcome::WIRE_NAMES,
        ["resolved", "workshop", "contractor", "pending"]
    );
    assert_eq!(Mode::WIRE_NAMES, ["phone", "on_site", "workshop"]);
    for c in Channel::ALL {
        assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        assert!(!c.label().is_empty());
    }
    assert!(
        "fax"
            .parse::<Channel>()
            .unwrap_err()
            .to_string()
            .contains("canal")
    );
}
