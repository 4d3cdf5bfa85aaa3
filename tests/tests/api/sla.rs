//! Times the office can answer for: both clocks from reception, a policy change that applies to
//! later cases only, a re-triage that needs its reason, the office's closures by decree, and the
//! escalation of a missed deadline, once, across a restart.

use std::time::Duration;

use campo_shared::calendar::{BusinessCalendar, to_utc};
use campo_shared::role::Role;
use campo_tests::phone::Phone;
use campo_tests::ticket::{Author, new_ticket, ticket_document};
use campo_tests::{Backend, Client, DEMO_PASSWORD, TestApp, TestDb, both_backends, run_cli};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

async fn me(client: &Client) -> Value {
    client.get("/api/me").await.body
}

/// A request the coordinator takes by phone for the official `mlopez`.
async fn phoned_request(coordinator: &Client, official_id: &str, text: &str) -> Value {
    let created = coordinator
        .post(
            "/api/tickets",
            &json!({"description": text, "category": "Hardware", "channel": "phone",
                    "location": "Edificio central, piso 2",
                    "requester_id": official_id}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["ticket"].clone()
}

async fn act(coordinator: &Client, id: &str, body: Value) -> Value {
    let reply = coordinator
        .post(&format!("/api/tickets/{id}/actions"), &body)
        .await;
    assert_eq!(reply.status, 200, "{body} → {}", reply.body);
    reply.body
}

fn at(value: &Value) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(value.as_i64().expect("a time")).unwrap()
}

/// Reads the case until `done` holds for it (the rows are rewritten in the background).
async fn until(client: &Client, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let ticket = client.get(&format!("/api/tickets/{id}")).await.body;
        if done(&ticket) {
            return ticket;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the case never reached the expected state");
}

both_backends!(a_policy_change_applies_to_later_cases_and_closures_move_deadlines);
async fn a_policy_change_applies_to_later_cases_and_closures_move_deadlines(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let official = app.login("mlopez", DEMO_PASSWORD).await;
    let official_id = me(&official).await["id"].as_str().unwrap().to_owned();
    let calendar = BusinessCalendar::default();

    // Received: the response clock runs at once, against the reception target (two business
    // hours); no resolution deadline before the priority.
    let a = phoned_request(&coordinator, &official_id, "La impresora no imprime").await;
    let a_id = a["id"].as_str().unwrap().to_owned();
    let received = at(&a["created_at"]);
    assert_eq!(
        at(&a["response_due"]),
        calendar.add_business_minutes(received, 120)
    );
    assert!(a["response_warn_at"].is_i64(), "{a}");
    assert!(a["resolution_due"].is_null(), "{a}");

    act(
        &coordinator,
        &a_id,
        json!({"action": "aceptada", "mode": "on_site"}),
    )
    .await;
    let a = act(
        &coordinator,
        &a_id,
        json!({"action": "priorizada", "priority": "alta"}),
    )
    .await;
    // Alta: 1 and 8 business hours, counted from reception, not from triage.
    assert_eq!(
        at(&a["resolution_due"]),
        calendar.add_business_minutes(received, 480)
    );
    let a_resolution = a["resolution_due"].clone();

    // A new version of the policy: alta resolved in 16 business hours.
    let mut policy = coordinator.get("/api/settings/sla").await.body;
    policy["targets"]["alta"]["resolution_minutes"] = json!(960);
    let saved = coordinator.put("/api/settings/sla", &policy).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let history = coordinator.get("/api/settings/sla/history").await.body;
    let versions = history.as_array().unwrap();
    assert_eq!(versions.len(), 2, "{history}");
    assert_eq!(
        versions[1]["policy"]["targets"]["alta"]["resolution_minutes"],
        960
    );
    assert_eq!(
        versions[1]["created_by"],
        me(&coordinator).await["full_name"]
    );

    // The case already promised keeps its deadline, even after another change of it.
    let workers = coordinator.get("/api/users?role=tecnico").await.body;
    let tecnico = workers[0]["id"].as_str().unwrap();
    let a = act(
        &coordinator,
        &a_id,
        json!({"action": "asignada", "assignee_id": tecnico}),
    )
    .await;
    assert_eq!(a["resolution_due"], a_resolution, "{a}");
    assert!(a["response_warn_at"].is_null(), "assigned: taken in charge");

    // A case received now is measured with the new version.
    let b = phoned_request(&coordinator, &official_id, "No hay red en la oficina").await;
    let b_id = b["id"].as_str().unwrap().to_owned();
    act(
        &coordinator,
        &b_id,
        json!({"action": "aceptada", "mode": "on_site"}),
    )
    .await;
    let b = act(
        &coordinator,
        &b_id,
        json!({"action": "priorizada", "priority": "alta"}),
    )
    .await;
    assert_eq!(
        at(&b["resolution_due"]),
        calendar.add_business_minutes(at(&b["created_at"]), 960)
    );

    // Changing a promised priority needs its reason, which the case keeps.
    let refused = coordinator
        .post(
            &format!("/api/tickets/{a_id}/actions"),
            &json!({"action": "priorizada", "priority": "baja"}),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.body["error"]["fields"][0]["message"],
        "Escriba el motivo del cambio de prioridad o de plazo."
    );
    let a = act(
        &coordinator,
        &a_id,
        json!({"action": "priorizada", "priority": "baja",
               "reason": "La funcionaria tiene otro equipo mientras tanto"}),
    )
    .await;
    assert_eq!(
        at(&a["resolution_due"]),
        calendar.add_business_minutes(received, 5 * 480),
        "re-triaged: baja of the policy in force at reception"
    );

    // The office closes on the day B's deadline falls: it moves like a holiday.
    let b_due = at(&b["resolution_due"]);
    let day = campo_shared::calendar::to_local(b_due).date();
    let closure = json!({"date": day.to_string(), "hours": [],
                         "reason": "Decreto 0321 de 2026: día cívico"});
    let made = coordinator.post("/api/settings/closures", &closure).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let moved = until(&coordinator, &b_id, |t| {
        t["resolution_due"] != b["resolution_due"]
    })
    .await;
    let closed = calendar
        .clone()
        .with_closures(&[campo_shared::calendar::Closure {
            date: day,
            hours: vec![],
            reason: String::new(),
        }]);
    assert_eq!(
        at(&moved["resolution_due"]),
        closed.add_business_minutes(at(&b["created_at"]), 960)
    );
    // Everyone sees it among the days off.
    let year = coordinator
        .get(&format!(
            "/api/holidays?year={}",
            chrono::Datelike::year(&day)
        ))
        .await
        .body;
    let listed = year
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == day.to_string() && d["kind"] == "cierre")
        .unwrap_or_else(|| panic!("the closure in {year}"));
    assert_eq!(listed["name"], "Decreto 0321 de 2026: día cívico");

    // Bad closures: twice the same day, a past day, inverted hours, no reason, not a coordinator.
    let twice = coordinator.post("/api/settings/closures", &closure).await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    let past = coordinator
        .post(
            "/api/settings/closures",
            &json!({"date": "2020-01-02", "reason": "Tarde"}),
        )
        .await;
    assert_eq!(past.status, 422);
    assert_eq!(
        past.body["error"]["fields"][0]["message"],
        "No se registran cierres en fechas pasadas: los plazos de esos días ya corrieron."
    );
    let later = (day + chrono::Duration::days(7)).to_string();
    let inverted = coordinator
        .post(
            "/api/settings/closures",
            &json!({"date": later, "hours": [{"start": "15:00:00", "end": "07:00:00"}],
                    "reason": "Jornada continua"}),
        )
        .await;
    assert_eq!(inverted.status, 422);
    assert_eq!(
        inverted.body["error"]["fields"][0]["message"],
        "La franja de 15:00 a 07:00 termina antes de empezar; corrija las horas."
    );
    let unexplained = coordinator
        .post(
            "/api/settings/closures",
            &json!({"date": later, "reason": "  "}),
        )
        .await;
    assert_eq!(unexplained.status, 422);
    let forbidden = official
        .post(
            "/api/settings/closures",
            &json!({"date": later, "reason": "Día cívico"}),
        )
        .await;
    assert_eq!(forbidden.status, 403);
    // A zero target is refused too, and changes nothing.
    let mut zero = coordinator.get("/api/settings/sla").await.body;
    zero["targets"]["baja"]["response_minutes"] = json!(0);
    assert_eq!(
        coordinator.put("/api/settings/sla", &zero).await.status,
        422
    );
    assert_eq!(
        coordinator
            .get("/api/settings/sla/history")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Removing the closure gives the deadline back.
    let removed = coordinator
        .send(
            coordinator
                .http()
                .delete(coordinator.url(&format!("/api/settings/closures/{day}"))),
        )
        .await;
    assert_eq!(removed.status, 204);
    until(&coordinator, &b_id, |t| {
        t["resolution_due"] == b["resolution_due"]
    })
    .await;
}

/// Coordinators' own notifications of a deadline of `case`, as `(kind, subject)`.
async fn escalations(client: &Client, case: &str) -> Vec<(String, String)> {
    let all = client.get("/api/notifications").await.body;
    all.as_array()
        .unwrap()
        .iter()
        .filter(|n| n["ticket_id"] == case && n["kind"].as_str().unwrap().starts_with("plazo_"))
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

both_backends!(a_missed_deadline_is_escalated_once_across_a_restart);
async fn a_missed_deadline_is_escalated_once_across_a_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    let app = TestApp::start(db).await.expect("campo serve");
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;
    let contratistas = coordinator.get("/api/users?role=contratista").await.body;
    let second = contratistas[0]["id"].as_str().unwrap().to_owned();
    let second_name = contratistas[0]["username"].as_str().unwrap().to_owned();
    let saved = coordinator
        .put(
            "/api/settings/escalation",
            &json!({"second_level": [second]}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let refused = coordinator
        .put(
            "/api/settings/escalation",
            &json!({"second_level": ["nadie"]}),
        )
        .await;
    assert_eq!(refused.status, 422);

    // A técnico registered a request at a desk on Monday 2 March 2026 at 09:00 with no signal;
    // the phone delivers it now.
    let who = me(&tecnico).await;
    let author = Author {
        id: who["id"].as_str().unwrap().to_owned(),
        name: who["full_name"].as_str().unwrap().to_owned(),
        role: Role::Tecnico,
        dependencia: who["dependencia"].as_str().unwrap_or("HAC").to_owned(),
    };
    let mut ticket = new_ticket(&author, "El escáner no enciende");
    let received = to_utc(
        NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
    );
    ticket.events[0].at = received.timestamp_millis();
    let (_phone, id) = Phone::create(&tecnico, ticket_document(&ticket))
        .await
        .expect("the phone delivers the request");

    // Its reception target passed long ago, before the escalation ever looked: the board shows
    // it overdue, but nobody is mailed for a deadline months old...
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(escalations(&coordinator, &id).await.is_empty());
    // ...until the coordinator triages it: now both levels of the resolution clock are due
    // (alta: 8 business hours from reception, Tuesday 3 March 09:00).
    act(
        &coordinator,
        &id,
        json!({"action": "aceptada", "mode": "on_site"}),
    )
    .await;
    act(
        &coordinator,
        &id,
        json!({"action": "priorizada", "priority": "alta"}),
    )
    .await;
    let mut fired = Vec::new();
    for _ in 0..100 {
        fired = escalations(&coordinator, &id).await;
        if fired.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fired.sort();
    let number = coordinator.get(&format!("/api/tickets/{id}")).await.body["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        fired,
        [
            (
                "plazo_proximo".to_owned(),
                format!("{number}: el plazo de solución vence pronto (03/03/2026 09:00)")
            ),
            (
                "plazo_vencido".to_owned(),
                format!("{number}: venció el plazo de solución (03/03/2026 09:00)")
            ),
        ]
    );
    // The second level hears of the missed deadline only.
    let contratista = app.login(&second_name, DEMO_PASSWORD).await;
    let theirs = escalations(&contratista, &id).await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0].0, "plazo_vencido");
    // The case says which were sent.
    let detail = coordinator.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(
        detail["sla"]["escalations"],
        json!([{"clock": "solucion", "level": "aviso"}, {"clock": "solucion", "level": "vencido"}])
    );

    // Restarted (the schedule is in the store): nothing is sent twice, even when the case is
    // re-triaged and checked again.
    let db = app.stop().await;
    let app = TestApp::start(db).await.expect("campo serve again");
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    act(
        &coordinator,
        &id,
        json!({"action": "priorizada", "priority": "media", "reason": "Hay un equipo de reemplazo"}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(escalations(&coordinator, &id).await.len(), 2);
}
