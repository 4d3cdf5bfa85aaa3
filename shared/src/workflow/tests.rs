use super::*;
use crate::ids::VisitId;
use crate::schema::EventData;

const MIN: i64 = 60_000;

fn ev(kind: EventKind, at_min: i64, author: &str, role: Role) -> Event {
    Event::new(kind, at_min * MIN, author, role)
}
fn coord(kind: EventKind, at: i64) -> Event {
    ev(kind, at, "coord", Role::Coordinador)
}
fn tech(kind: EventKind, at: i64) -> Event {
    ev(kind, at, "tech", Role::Tecnico)
}
fn registered() -> Event {
    ev(K::Registered, 0, "ana", Role::Funcionario)
}
fn assigned(at: i64) -> Event {
    coord(K::Assigned, at).with_data(EventData {
        assignee: Some(Person {
            id: "tech".into(),
            name: "Técnico Uno".into(),
        }),
        ..EventData::default()
    })
}

#[test]
fn wire_names_and_labels() {
    assert_eq!(
        State::WIRE_NAMES,
        [
            "registrada",
            "pendiente",
            "asignada",
            "en_atencion",
            "usuario_ausente",
            "en_taller",
            "con_contratista",
            "resuelta",
            "cerrada",
            "anulada"
        ]
    );
    assert_eq!(
        State::UserAbsent.label(),
        "Usuario ausente (revisita programada)"
    );
    assert_eq!(State::InProgress.label(), "En atención");
    assert_eq!(
        serde_json::to_value(K::ResolvedByPhone).unwrap(),
        "resuelta_telefono"
    );
    assert_eq!("en_taller".parse::<State>(), Ok(State::InWorkshop));
    for k in EventKind::ALL {
        assert!(!k.label().is_empty());
    }
}

/// The transition table as the office would read it, row by row:
/// kind, valid from, resulting state ("=" for unchanged).
#[test]
fn transition_table_rows() {
    let expected: &[(&str, &str, &str)] = &[
        ("registrada", "*", "="),
        ("aceptada", "registrada", "pendiente"),
        (
            "priorizada",
            "registrada pendiente asignada en_atencion usuario_ausente en_taller \
                 con_contratista",
            "=",
        ),
        (
            "asignada",
            "registrada pendiente asignada usuario_ausente",
            "asignada",
        ),
        ("asignada", "en_taller con_contratista", "="),
        (
            "visita_iniciada",
            "registrada pendiente asignada usuario_ausente",
            "en_atencion",
        ),
        (
            "usuario_ausente",
            "en_atencion asignada usuario_ausente",
            "usuario_ausente",
        ),
        ("visita_finalizada", "en_atencion", "asignada"),
        ("enviada_taller", "en_atencion asignada", "en_taller"),
        (
            "enviada_contratista",
            "en_atencion asignada en_taller",
            "con_contratista",
        ),
        ("equipo_devuelto", "en_taller con_contratista", "asignada"),
        ("resuelta", "en_atencion asignada", "resuelta"),
        (
            "resuelta_telefono",
            "registrada pendiente asignada usuario_ausente",
            "resuelta",
        ),
        ("cerrada", "resuelta", "cerrada"),
        (
            "anulada",
            "registrada pendiente asignada usuario_ausente",
            "anulada",
        ),
        ("reabierta", "resuelta cerrada anulada", "pendiente"),
        (
            "duplicada",
            "registrada pendiente asignada usuario_ausente",
            "anulada",
        ),
        ("encuesta_respondida", "resuelta cerrada", "="),
    ];
    assert_eq!(expected.len(), TRANSITIONS.len());
    for (row, (kind, from, to)) in TRANSITIONS.iter().zip(expected) {
        let from_names: Vec<&str> = row.from.iter().map(|s| s.as_str()).collect();
        let from_text = if row.from == State::ALL {
            "*".to_string()
        } else {
            from_names.join(" ")
        };
        let to_text = match row.to {
            Next::To(s) => s.as_str(),
            Next::Stay => "=",
        };
        println!("{:<20} {:<70} {}", row.kind, from_text, to_text);
        assert_eq!(row.kind.as_str(), *kind);
        let from_expected: Vec<&str> = from.split_whitespace().collect();
        assert_eq!(from_text, from_expected.join(" "), "from of {kind}");
        assert_eq!(to_text, *to, "to of {kind}");
        // The lookup agrees with the row for every listed state.
        for s in row.from {
            let expected = match row.to {
                Next::To(n) => n,
                Next::Stay => *s,
            };
            assert_eq!(transition(*s, row.kind), Some(expected));
        }
    }
    // Rows of one kind never overlap, so the table has one answer per (state, kind).
    for kind in EventKind::ALL {
        for state in State::ALL {
            let n = TRANSITIONS
                .iter()
                .filter(|t| t.kind == *kind && t.from.contains(state))
                .count();
            assert!(n <= 1, "{kind} from {state}");
        }
    }
    // Nothing but a reopening leaves a closed or cancelled ticket.
    for kind in EventKind::ALL {
        for s in [S::Closed, S::Cancelled] {
            if let Some(next) = transition(s, *kind) {
                assert!(next == s || *kind == K::Reopened, "{kind} from {s}");
            }
        }
    }
}

#[test]
fn check_combines_role_and_state() {
    assert_eq!(check(Role::Coordinador, S::Registered, K::Accepted), Ok(()));
    assert_eq!(
        check(Role::Tecnico, S::Registered, K::Accepted),
        Err(Denied::NotPermitted {
            role: Role::Tecnico,
            kind: K::Accepted
        })
    );
    assert_eq!(
        check(Role::Tecnico, S::Closed, K::VisitStarted),
        Err(Denied::InvalidTransition {
            state: S::Closed,
            kind: K::VisitStarted
        })
    );
    assert_eq!(
        check(Role::Funcionario, S::Pending, K::Assigned)
            .unwrap_err()
            .to_string(),
        "El rol Funcionario no puede realizar «Asignación»; solicítelo al coordinador."
    );
    assert_eq!(
        check(Role::Coordinador, S::InProgress, K::Closed)
            .unwrap_err()
            .to_string(),
        "«Cierre» no es posible en un caso en estado «En atención»."
    );
    assert_eq!(
        allowed_actions(Role::Funcionario, S::Closed),
        [K::Registered, K::SurveyAnswered]
    );
    assert_eq!(
        allowed_actions(Role::Tecnico, S::Assigned),
        [
            K::Registered,
            K::VisitStarted,
            K::UserAbsent,
            K::SentToWorkshop,
            K::SentToContractor,
            K::Resolved,
            K::ResolvedByPhone
        ]
    );
    // With the equipment away, resolving waits for its return, and says so.
    assert_eq!(
        check(Role::Tecnico, S::WithContractor, K::Resolved)
            .unwrap_err()
            .to_string(),
        "El equipo del caso sigue «con contratista»: registre primero su devolución \
         («Devolución del equipo») y después la solución."
    );
}

#[test]
fn resolved_by_phone_without_a_visit() {
    let events = [
        registered(),
        coord(K::Accepted, 1),
        coord(K::Prioritized, 2).with_data(EventData {
            priority: Some(Priority::Media),
            mode: Some(Mode::Phone),
            ..EventData::default()
        }),
        coord(K::ResolvedByPhone, 10),
        coord(K::Closed, 11),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::Closed);
    assert!(f.flags.is_empty(), "{:?}", f.flags);
    assert_eq!(f.priority, Some(Priority::Media));
    assert_eq!(f.mode, Some(Mode::Phone));
    assert_eq!(f.resolution, Some(Resolution::Phone));
    assert_eq!(f.visits, 0);
    assert_eq!(f.triaged_at, Some(2 * MIN));
    assert_eq!(f.responded_at, Some(MIN));
    assert_eq!(
        (f.resolved_at, f.closed_at),
        (Some(10 * MIN), Some(11 * MIN))
    );
    assert_eq!(f.registered_by.as_deref(), Some("ana"));
}

#[test]
fn on_site_with_an_absent_user_and_the_workshop() {
    let v1 = VisitId::new();
    let v2 = VisitId::new();
    let with_visit = |e: Event, v: VisitId| {
        e.with_data(EventData {
            visit: Some(v),
            ..EventData::default()
        })
    };
    let events = [
        registered(),
        coord(K::Accepted, 1),
        assigned(2),
        with_visit(tech(K::VisitStarted, 30), v1),
        tech(K::UserAbsent, 35).with_data(EventData {
            visit: Some(v1),
            next_visit_at: Some(200 * MIN),
            ..EventData::default()
        }),
        with_visit(tech(K::VisitStarted, 200), v2),
        with_visit(tech(K::SentToWorkshop, 220), v2),
        tech(K::EquipmentReturned, 1000),
        tech(K::VisitStarted, 1010),
        tech(K::Resolved, 1030),
        ev(K::SurveyAnswered, 1031, "tech", Role::Tecnico),
        tech(K::Closed, 1040),
    ];
    // Stepwise states, to see the procedure.
    let mut f = Folded::default();
    let states: Vec<State> = ordered(&events)
        .into_iter()
        .map(|e| {
            f.apply(e);
            f.state
        })
        .collect();
    assert_eq!(
        states,
        [
            S::Registered,
            S::Pending,
            S::Assigned,
            S::InProgress,
            S::UserAbsent,
            S::InProgress,
            S::InWorkshop,
            S::Assigned,
            S::InProgress,
            S::Resolved,
            S::Resolved,
            S::Closed
        ]
    );
    assert!(f.flags.is_empty(), "{:?}", f.flags);
    assert_eq!(f.assignee.as_ref().unwrap().name, "Técnico Uno");
    assert_eq!((f.visits, f.absent_visits), (3, 1));
    assert_eq!(
        f.absent_intervals,
        [Interval {
            start: 35 * MIN,
            end: Some(200 * MIN)
        }]
    );
    assert_eq!(f.absent_pauses().len(), 1);
    assert_eq!(f.resolution, Some(Resolution::OnSite));
    assert!(f.survey_answered);
    assert_eq!(f.open_visit, None);
    assert_eq!(f.next_visit_at, None);
}

#[test]
fn only_a_coordinator_saying_why_resolves_while_the_equipment_is_out() {
    let why = |e: Event, reason: &str| {
        e.with_data(EventData {
            reason: Some("Se entregó un equipo de reemplazo.".into()),
            equipment_out_reason: Some(reason.into()),
            ..EventData::default()
        })
    };
    let events = [
        registered(),
        assigned(1),
        tech(K::VisitStarted, 2),
        tech(K::SentToContractor, 3),
        // The técnico cannot decide it, even saying why; the coordinator must say why.
        why(tech(K::ResolvedByPhone, 4), "Queda en garantía."),
        why(coord(K::ResolvedByPhone, 5), "  "),
        why(
            coord(K::ResolvedByPhone, 6),
            "El contratista conserva el equipo.",
        ),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::Resolved);
    assert_eq!(f.resolution, Some(Resolution::Phone));
    assert_eq!(f.resolved_at, Some(6 * MIN));
    let flagged: Vec<EventId> = f.flags.iter().map(|flag| flag.event).collect();
    assert_eq!(flagged, [events[4].id, events[5].id]);
    // What the server checks before a coordinator's action.
    assert!(check_event(S::WithContractor, &events[6]).is_ok());
    assert!(check_event(S::InWorkshop, &events[6]).is_ok());
    assert_eq!(
        check_event(S::WithContractor, &events[5]),
        Err(Denied::EquipmentOut {
            state: S::WithContractor
        })
    );
    assert!(check_event(S::WithContractor, &events[4]).is_err());
    // Nothing out: an ordinary resolution by phone, the reason has no say.
    assert!(check_event(S::Assigned, &events[6]).is_ok());
    assert_eq!(transition_of(S::Assigned, &events[6]), Some(S::Resolved));
}

#[test]
fn an_open_absence_and_the_open_visit_are_reported() {
    let v = VisitId::new();
    let events = [
        registered(),
        assigned(1),
        tech(K::VisitStarted, 5).with_data(EventData {
            visit: Some(v),
            ..EventData::default()
        }),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::InProgress);
    assert_eq!(f.open_visit, Some(v.to_string()));
    let mut events = events.to_vec();
    events.push(tech(K::UserAbsent, 9).with_data(EventData {
        next_visit_at: Some(99),
        ..EventData::default()
    }));
    let f = fold(&events);
    assert_eq!(f.state, S::UserAbsent);
    assert_eq!(f.open_visit, None);
    assert_eq!(f.next_visit_at, Some(99));
    assert_eq!(
        f.absent_intervals,
        [Interval {
            start: 9 * MIN,
            end: None
        }]
    );
    assert_eq!(f.absent_pauses()[0].end, None);
}

#[test]
fn work_of_a_replaced_technician_is_kept_flagged_without_effect() {
    let to_other = coord(K::Assigned, 3).with_data(EventData {
        assignee: Some(Person {
            id: "other".into(),
            name: "Técnico Dos".into(),
        }),
        ..EventData::default()
    });
    // «tech» was responsible, the case went to «other» at minute 3, and «tech»'s phone,
    // offline, recorded a visit at minute 5.
    let events = vec![
        registered(),
        coord(K::Accepted, 1),
        assigned(2),
        to_other,
        tech(K::VisitStarted, 5),
        tech(K::Resolved, 6),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::Assigned);
    assert_eq!(f.assignee.as_ref().map(|a| a.id.as_str()), Some("other"));
    let kinds: Vec<FlagKind> = f.flags.iter().map(|x| x.kind).collect();
    assert_eq!(kinds, [FlagKind::NoLongerAssigned; 2]);
    assert!(
        f.flags[0]
            .message
            .contains("registrado por un técnico ya no asignado"),
        "{}",
        f.flags[0].message
    );
    // What it recorded before the reassignment, by its phone's clock, counts.
    let mut earlier = events[..4].to_vec();
    earlier[3].at = 10 * MIN;
    earlier.push(tech(K::VisitStarted, 5));
    earlier.push(tech(K::VisitEnded, 6));
    let f = fold(&earlier);
    assert!(f.flags.is_empty(), "{:?}", f.flags);
    assert_eq!(f.visits, 1);
    assert_eq!(f.assignee.as_ref().map(|a| a.id.as_str()), Some("other"));
    // Given the case back, its work counts again.
    let mut back = events[..4].to_vec();
    back.push(assigned(4));
    back.push(tech(K::VisitStarted, 5));
    let f = fold(&back);
    assert!(f.flags.is_empty(), "{:?}", f.flags);
    assert_eq!(f.state, S::InProgress);
}

#[test]
fn two_closures_the_first_wins_and_the_second_is_flagged() {
    let events = [
        registered(),
        assigned(1),
        tech(K::VisitStarted, 2),
        tech(K::Resolved, 3),
        coord(K::Closed, 10),
        tech(K::Closed, 12),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::Closed);
    assert_eq!(f.closed_at, Some(10 * MIN));
    assert_eq!(f.flags.len(), 1);
    assert_eq!(f.flags[0].kind, FlagKind::SecondClosure);
    assert_eq!(f.flags[0].event, events[5].id);
    assert!(f.flags[0].message.starts_with("Segundo cierre del caso"));
}

#[test]
fn closure_while_a_visit_is_open_is_flagged() {
    // The coordinator resolved by phone and closed while, offline, the technician had
    // started a visit earlier: the visit came first in device time, so the phone resolution
    // and the closure are what the fold cannot apply.
    let events = [
        registered(),
        assigned(1),
        tech(K::VisitStarted, 5),
        coord(K::ResolvedByPhone, 6),
        coord(K::Closed, 7),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::InProgress);
    let kinds: Vec<FlagKind> = f.flags.iter().map(|x| x.kind).collect();
    assert_eq!(kinds, [FlagKind::OpenVisit, FlagKind::OpenVisit]);
    assert_eq!(
        f.flags[1].message,
        "«Cierre» con una visita abierta; no se tuvo en cuenta. Cierre la visita y repita \
             la acción si corresponde."
    );
}

#[test]
fn a_visit_on_a_cancelled_ticket_is_flagged_and_ignored() {
    let events = [
        registered(),
        assigned(1),
        coord(K::Cancelled, 5),
        tech(K::VisitStarted, 6),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::Cancelled);
    assert_eq!(f.visits, 0);
    assert_eq!(f.flags[0].kind, FlagKind::OnCancelled);
    assert_eq!(f.flags[0].state, S::Cancelled);
    assert_eq!(f.flags[0].event_kind, K::VisitStarted);
    assert!(f.flags[0].message.contains("sobre un caso anulado"));
}

#[test]
fn forbidden_roles_and_repeated_registration_are_flagged() {
    let events = [
        registered(),
        ev(K::Accepted, 1, "tech", Role::Tecnico),
        ev(K::Registered, 2, "ana", Role::Funcionario),
        ev(K::Assigned, 3, "ana", Role::Funcionario),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::Registered);
    let kinds: Vec<FlagKind> = f.flags.iter().map(|x| x.kind).collect();
    assert_eq!(
        kinds,
        [
            FlagKind::NotPermitted,
            FlagKind::DuplicateRegistration,
            FlagKind::NotPermitted
        ]
    );
    assert!(f.flags[0].message.contains("rol Técnico"));
}

#[test]
fn a_late_clock_on_registration_is_tolerated() {
    // The phone that registered the request had its clock ahead, so its registration sorts
    // after the coordinator's acceptance.
    let events = [
        ev(K::Registered, 20, "tech", Role::Tecnico),
        coord(K::Accepted, 15),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::Pending);
    assert!(f.flags.is_empty());
    assert_eq!(f.registered_at, Some(20 * MIN));
}

#[test]
fn reopening_returns_to_the_queue() {
    let events = [
        registered(),
        coord(K::ResolvedByPhone, 1),
        coord(K::Closed, 2),
        coord(K::Reopened, 3),
    ];
    let f = fold(&events);
    assert_eq!(f.state, S::Pending);
    assert_eq!((f.reopened, f.closed_at, f.resolved_at), (1, None, None));
    let f = fold(&[
        registered(),
        coord(K::Duplicate, 1).with_data(EventData {
            duplicate_of: Some("automerge:abc".into()),
            ..EventData::default()
        }),
    ]);
    assert_eq!(f.state, S::Cancelled);
    assert_eq!(f.duplicate_of.as_deref(), Some("automerge:abc"));
}

#[test]
fn order_is_time_then_author_then_id() {
    let mut a = coord(K::Accepted, 5);
    let mut b = ev(K::Cancelled, 5, "another-coord", Role::Coordinador);
    // Same time: "another-coord" < "coord", so the cancellation comes first and the
    // acceptance is flagged, whatever the list order.
    for events in [
        vec![registered(), a.clone(), b.clone()],
        vec![b.clone(), registered(), a.clone()],
    ] {
        let f = fold(&events);
        assert_eq!(f.state, S::Cancelled);
        assert_eq!(f.flags.len(), 1);
        assert_eq!(f.flags[0].event, a.id);
    }
    // Same time and author: the smaller id first.
    a.author = "coord".into();
    b.author = "coord".into();
    let first_is_a = a.id < b.id;
    let f = fold(&[registered(), a.clone(), b.clone()]);
    assert_eq!(f.state, S::Cancelled);
    assert_eq!(f.flags.is_empty(), first_is_a);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    const AUTHORS: [&str; 3] = ["ana", "coord", "tech"];

    /// A history that is valid event by event: a random walk over the tables, with
    /// non-decreasing times (equal times are allowed on purpose: they make the author and
    /// id tie-breaks matter).
    fn valid_history() -> impl Strategy<Value = Vec<Event>> {
        prop::collection::vec((any::<u8>(), 0i64..3, any::<u8>()), 0..40).prop_map(|steps| {
            let mut events = vec![Event::new(K::Registered, 0, "ana", Role::Funcionario)];
            let mut state = S::Registered;
            let mut at = 0;
            for (pick, gap, author) in steps {
                let options: Vec<EventKind> = EventKind::ALL
                    .iter()
                    .copied()
                    .filter(|k| *k != K::Registered && transition(state, *k).is_some())
                    .collect();
                let Some(&kind) = options.get(pick as usize % options.len().max(1)) else {
                    break;
                };
                at += gap * MIN;
                let role = Role::ALL
                    .iter()
                    .copied()
                    .find(|r| may(*r, kind) && *r != Role::Coordinador)
                    .unwrap_or(Role::Coordinador);
                let author = AUTHORS[author as usize % AUTHORS.len()];
                events.push(Event::new(kind, at, author, role).with_data(EventData {
                    priority: Some(Priority::Alta),
                    ..EventData::default()
                }));
                state = transition(state, kind).expect("chosen from the table");
            }
            events
        })
    }

    fn arbitrary_event() -> impl Strategy<Value = Event> {
        (
            0..EventKind::ALL.len(),
            0..Role::ALL.len(),
            prop_oneof![any::<i64>(), -10i64..10, Just(i64::MIN), Just(i64::MAX)],
            "[a-c]{0,2}",
            any::<bool>(),
            prop::option::of(any::<i64>()),
        )
            .prop_map(|(k, r, at, author, with_data, ms)| {
                let data = if with_data {
                    EventData {
                        priority: Some(Priority::Baja),
                        mode: Some(Mode::Workshop),
                        assignee: Some(Person {
                            id: author.clone(),
                            name: String::new(),
                        }),
                        resolution_due: ms,
                        visit: Some(VisitId::new()),
                        next_visit_at: ms,
                        duplicate_of: Some("x".into()),
                        reason: None,
                        custody: None,
                        equipment_out_reason: Some("garantía".into()),
                    }
                } else {
                    EventData::default()
                };
                Event::new(EventKind::ALL[k], at, author, Role::ALL[r]).with_data(data)
            })
    }

    proptest! {
        /// Two devices each hold part of the same events; whichever way the merge
        /// interleaves them, the fold is the same.
        #[test]
        fn any_interleaving_folds_the_same(
            events in valid_history(),
            split in prop::collection::vec(any::<bool>(), 40),
            seed in any::<u64>(),
        ) {
            let (mut a, mut b): (Vec<Event>, Vec<Event>) = (Vec::new(), Vec::new());
            for (i, e) in events.iter().enumerate() {
                if split[i % split.len()] { a.push(e.clone()) } else { b.push(e.clone()) }
            }
            let reference = fold(&events);
            let a_then_b: Vec<Event> = a.iter().chain(&b).cloned().collect();
            let b_then_a: Vec<Event> = b.iter().chain(&a).cloned().collect();
            // A pseudo-random shuffle driven by `seed`.
            let mut shuffled = events.clone();
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            for permutation in [a_then_b, b_then_a, shuffled] {
                let f = fold(&permutation);
                prop_assert_eq!(f.state, reference.state);
                prop_assert_eq!(&f.flags, &reference.flags);
                prop_assert_eq!(&f, &reference);
            }
        }

        /// A valid history with strictly increasing times folds without flags.
        #[test]
        fn a_valid_history_raises_no_flags(events in valid_history()) {
            let mut events = events;
            for (i, e) in events.iter_mut().enumerate() {
                e.at = i as i64 * MIN;
            }
            let f = fold(&events);
            prop_assert!(f.flags.is_empty(), "{:?}", f.flags);
        }

        /// Whatever the document holds, the fold never panics and every event is either
        /// applied or flagged.
        #[test]
        fn fold_never_panics(events in prop::collection::vec(arbitrary_event(), 0..60)) {
            let f = fold(&events);
            prop_assert!(f.flags.len() <= events.len());
            let _ = f.absent_pauses();
            let again = fold(&events.iter().rev().cloned().collect::<Vec<_>>());
            prop_assert_eq!(again, f);
        }
    }
}
