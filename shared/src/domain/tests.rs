//! The PWA's copy of the domain: the tables it reads, and the fold vectors it must agree with.
//! Regenerate both files with `CAMPO_WRITE_DOMAIN=1 cargo test -p campo-shared domain` after
//! changing a table or the fold; then `npm test` in `pwa/` says whether the PWA's fold agrees.

use serde_json::{Value, json};

use super::*;
use crate::schema::Event;
use crate::workflow::{fold, ordered};

/// Compares `path` (relative to the repository) with `expected`, or writes it when asked.
fn same_file(path: &str, expected: &str) {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("CAMPO_WRITE_DOMAIN").is_some() {
        std::fs::write(&full, expected).unwrap();
    }
    let actual = std::fs::read_to_string(&full).unwrap_or_default();
    assert!(
        actual == expected,
        "{path} differs from what campo-shared defines; regenerate it with \
         CAMPO_WRITE_DOMAIN=1 cargo test -p campo-shared domain"
    );
}

#[test]
fn the_pwa_reads_the_same_tables() {
    same_file("pwa/src/domain.json", &domain_json());
}

#[test]
fn the_pwa_folds_the_same_vectors() {
    same_file("pwa/test/fold-vectors.json", &vectors_json());
}

/// A small deterministic generator (xorshift64*), so the vectors never change unless the fold
/// does.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn uuid(&mut self) -> String {
        let hex = format!("{:016x}{:016x}", self.next(), self.next());
        // A version-4 UUID, lower-case, as the devices write them.
        format!(
            "{}-{}-4{}-8{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }
}

const MINUTE: i64 = 60_000;

/// The people of the vectors: an official, a coordinator, two técnicos and a contractor.
const PEOPLE: &[(&str, &str)] = &[
    ("ana", "funcionario"),
    ("coord", "coordinador"),
    ("t1", "tecnico"),
    ("t2", "tecnico"),
    ("c1", "contratista"),
];

fn event(id: String, at_min: i64, author: &str, role: &str, kind: &str, data: Value) -> Value {
    json!({"id": id, "at": at_min * MINUTE, "author": author, "author_role": role,
           "kind": kind, "data": data})
}

/// A random event: usually one its author's role may record, with the data its kind carries.
fn random_event(rng: &mut Rng) -> Value {
    let kind = *rng.pick(EventKind::WIRE_NAMES);
    let allowed: Vec<&(&str, &str)> = PEOPLE
        .iter()
        .filter(|(_, role)| {
            PERMISSIONS
                .iter()
                .any(|(k, roles)| k.as_str() == kind && roles.iter().any(|r| r.as_str() == *role))
        })
        .collect();
    let (author, role) = if rng.below(5) > 0 && !allowed.is_empty() {
        **rng.pick(&allowed)
    } else {
        *rng.pick(PEOPLE)
    };
    let mut data = json!({});
    match kind {
        "asignada" => data["assignee"] = json!({"id": rng.pick(&["t1", "t2", "c1"]), "name": ""}),
        "priorizada" => {
            data["priority"] = json!(rng.pick(Priority::WIRE_NAMES));
            if rng.below(2) == 0 {
                data["mode"] = json!(rng.pick(Mode::WIRE_NAMES));
            }
        }
        "visita_iniciada" if rng.below(2) == 0 => data["visit"] = json!(rng.uuid()),
        "usuario_ausente" => data["next_visit_at"] = json!(100 * MINUTE + rng.below(50) as i64),
        _ => {}
    }
    // Times collide often, so that the tie-breakers (author, id, kind) are exercised.
    event(rng.uuid(), rng.below(25) as i64, author, role, kind, data)
}

/// What the PWA's fold must compute for `events`.
fn expected(events: &[Event]) -> Value {
    let f = fold(events);
    let flagged: Vec<String> = f.flags.iter().map(|x| x.event.to_string()).collect();
    let no_longer: Vec<String> = f
        .flags
        .iter()
        .filter(|x| x.kind == FlagKind::NoLongerAssigned)
        .map(|x| x.event.to_string())
        .collect();
    json!({
        "state": f.state.as_str(),
        "flagged": flagged,
        "no_longer_assigned": no_longer,
        "priority": f.priority.map(|p| p.as_str()),
        "mode": f.mode.map(|m| m.as_str()),
        "assignee": f.assignee.map(|a| a.id),
        "open_visit": f.open_visit,
        "next_visit_at": f.next_visit_at,
        "last_event_at": f.last_event_at,
    })
}

fn vector(name: &str, events: Vec<Value>) -> Value {
    let parsed: Vec<Event> = events
        .iter()
        .map(|e| serde_json::from_value(e.clone()).expect("a valid event"))
        .collect();
    // The order the events are listed in must not matter: the PWA gets them as the merge left them.
    assert_eq!(fold(&parsed), {
        let mut reversed = parsed.clone();
        reversed.reverse();
        fold(&reversed)
    });
    let _ = ordered(&parsed);
    json!({"name": name, "events": events, "expected": expected(&parsed)})
}

/// Named cases from the procedure, then random ones.
fn vectors_json() -> String {
    let mut rng = Rng(0x00c4_4d90_2026_1204);
    let mut ids = || rng.uuid();
    let mut vectors = vec![
        vector(
            "visita con usuario ausente y luego resuelta",
            vec![
                event(ids(), 1, "ana", "funcionario", "registrada", json!({})),
                event(
                    ids(),
                    2,
                    "coord",
                    "coordinador",
                    "priorizada",
                    json!({"priority": "alta", "mode": "on_site"}),
                ),
                event(
                    ids(),
                    3,
                    "coord",
                    "coordinador",
                    "asignada",
                    json!({"assignee": {"id": "t1", "name": "Andrés"}}),
                ),
                event(
                    ids(),
                    4,
                    "t1",
                    "tecnico",
                    "visita_iniciada",
                    json!({"visit": ids()}),
                ),
                event(
                    ids(),
                    5,
                    "t1",
                    "tecnico",
                    "usuario_ausente",
                    json!({"next_visit_at": 99}),
                ),
                event(ids(), 6, "t1", "tecnico", "visita_iniciada", json!({})),
                event(ids(), 7, "t1", "tecnico", "resuelta", json!({})),
            ],
        ),
        vector(
            "trabajo de un técnico reemplazado",
            vec![
                event(ids(), 1, "ana", "funcionario", "registrada", json!({})),
                event(
                    ids(),
                    2,
                    "coord",
                    "coordinador",
                    "asignada",
                    json!({"assignee": {"id": "t1", "name": "Andrés"}}),
                ),
                event(
                    ids(),
                    3,
                    "coord",
                    "coordinador",
                    "asignada",
                    json!({"assignee": {"id": "t2", "name": "Diana"}}),
                ),
                event(ids(), 4, "t1", "tecnico", "visita_iniciada", json!({})),
                event(ids(), 5, "t2", "tecnico", "visita_iniciada", json!({})),
            ],
        ),
        vector(
            "registro con el reloj atrasado y doble cierre",
            vec![
                event(ids(), 9, "ana", "funcionario", "registrada", json!({})),
                event(
                    ids(),
                    2,
                    "coord",
                    "coordinador",
                    "asignada",
                    json!({"assignee": {"id": "c1", "name": "Contratista"}}),
                ),
                event(ids(), 3, "c1", "contratista", "visita_iniciada", json!({})),
                event(ids(), 4, "c1", "contratista", "resuelta", json!({})),
                event(ids(), 5, "c1", "contratista", "cerrada", json!({})),
                event(ids(), 6, "coord", "coordinador", "cerrada", json!({})),
            ],
        ),
    ];
    for i in 0..60 {
        let mut events = vec![event(
            rng.uuid(),
            rng.below(6) as i64,
            "ana",
            "funcionario",
            "registrada",
            json!({}),
        )];
        for _ in 0..1 + rng.below(9) {
            events.push(random_event(&mut rng));
        }
        vectors.push(vector(&format!("aleatorio {i}"), events));
    }
    let mut ids = || rng.uuid();
    vectors.push(vector(
        "equipo con el contratista: solo el coordinador resuelve antes de la devolución, diciendo por qué",
        vec![
            event(ids(), 1, "ana", "funcionario", "registrada", json!({})),
            event(
                ids(),
                2,
                "coord",
                "coordinador",
                "asignada",
                json!({"assignee": {"id": "c1", "name": "Contratista"}}),
            ),
            event(ids(), 3, "c1", "contratista", "visita_iniciada", json!({})),
            event(ids(), 4, "c1", "contratista", "enviada_contratista", json!({})),
            event(
                ids(),
                5,
                "c1",
                "contratista",
                "resuelta_telefono",
                json!({"reason": "Lo arreglé.", "equipment_out_reason": "Queda en garantía."}),
            ),
            event(
                ids(),
                6,
                "coord",
                "coordinador",
                "resuelta_telefono",
                json!({"reason": "Se entregó un equipo de reemplazo."}),
            ),
            event(
                ids(),
                7,
                "coord",
                "coordinador",
                "resuelta_telefono",
                json!({"reason": "Se entregó un equipo de reemplazo.",
                       "equipment_out_reason": "El contratista conserva el equipo en garantía."}),
            ),
        ],
    ));
    let lines: Vec<String> = vectors.iter().map(Value::to_string).collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}
