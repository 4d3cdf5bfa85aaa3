//! The office side from end to end: an official's request, its triage with deadlines in business
//! time across a holiday, the assignment, the technician's agenda, an absent-user visit synced
//! from the phone and seen on the dispatch board, the closing, and the official's survey; the
//! official gets an e-mail at each step that concerns it.

use campo_shared::calendar::{colombian_holidays, to_local};
use campo_shared::event_kind::EventKind;
use campo_shared::role::Role;
use campo_shared::schema::{
    ClosingReport, Event, EventData, Survey, SurveyAnswers, SurveyChannel, Visit,
};
use campo_shared::sla::{SlaPolicy, Target};
use campo_tests::smtp::{SmtpSink, free_port, wait_for_mail};
use campo_tests::ticket::now_ms;
use campo_tests::{Backend, TempDir, both_backends};
use chrono::{DateTime, Datelike, Weekday};
use serde_json::{Value, json};

use crate::access::{act, me, office};
use crate::board::Events;
use crate::support::{NodePeer, Server};

const ANA_MAIL: &str = "ana@hacienda.gov.co";

/// Spanish month names, as the mails write dates.
const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// "5 de marzo de 2027": the Bogota date of `ms` as the mails write it.
fn bogota_date(ms: i64) -> String {
    let local = to_local(DateTime::from_timestamp_millis(ms).expect("a date"));
    format!(
        "{} de {} de {}",
        local.day(),
        MONTHS[local.month0() as usize],
        local.year()
    )
}

/// Pushes `changes` (key, value) to the ticket on `phone` while it is offline, then reconnects
/// and waits until the server has saved them.
async fn sync_offline_work(
    phone: &mut NodePeer,
    sync_url: String,
    url: &str,
    changes: Vec<(&str, &str, Value)>,
) {
    phone.disconnect().await;
    for (cmd, key, value) in changes {
        phone
            .cmd(json!({"cmd": cmd, "url": url, "key": key, "value": value}))
            .await;
    }
    phone.connect(&sync_url).await;
    phone.cmd(json!({"cmd": "wait-saved", "url": url})).await;
}

async fn the_office_side_end_to_end(backend: Backend) {
    let mail_dir = TempDir::new();
    std::fs::create_dir_all(mail_dir.path()).unwrap();
    let port = free_port();
    let sink = SmtpSink::start(port, mail_dir.path()).await;
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let server = Server::spawn(
        backend,
        &[
            ("CAMPO_SMTP_URL", &smtp_url),
            ("CAMPO_SMTP_FROM", "Campo <campo@prueba.gov.co>"),
            ("CAMPO_PUBLIC_URL", "http://campo.prueba"),
        ],
    )
    .await;
    let o = office(&server).await;
    let (ana_id, _) = me(&o.ana).await;
    let (tecnico1_id, tecnico1_name) = me(&o.tecnico1).await;
    let reply = o
        .admin
        .patch(&format!("/api/users/{ana_id}"), &json!({"email": ANA_MAIL}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // The office gives low-priority cases 60 business days: about three months, a span that
    // holds at least one Colombian holiday whatever the date the test runs.
    let mut policy = SlaPolicy::default();
    policy.targets.baja = Target {
        response_minutes: 480,
        resolution_minutes: 60 * 480,
    };
    let reply = o
        .admin
        .put("/api/settings/sla", &serde_json::to_value(&policy).unwrap())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // 1. The official files a request; the mail confirms it.
    let created = o
        .ana
        .post(
            "/api/tickets",
            &json!({"description": "El escáner no digitaliza a color.",
                    "category": "Escáner", "location": "Piso 2, ventanilla 4",
                    "phone_extension": "2204"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let url = created.body["url"].as_str().unwrap().to_owned();
    let number = created.body["number"].as_str().unwrap().to_owned();
    let mail = wait_for_mail(mail_dir.path(), ANA_MAIL, &format!("{number} recibida")).await;
    assert!(
        mail["body"]
            .as_str()
            .unwrap()
            .contains("El escáner no digitaliza a color."),
        "{mail}"
    );

    // 2. The coordinator accepts it (on site) and sets the priority: the deadlines are those of
    // the business calendar, holidays skipped, and the official is told the attention time.
    act(
        &o.admin,
        &id,
        json!({"action": "aceptada", "mode": "on_site"}),
    )
    .await;
    let triaged = act(
        &o.admin,
        &id,
        json!({"action": "priorizada", "priority": "baja"}),
    )
    .await;
    let triaged_at = triaged["triaged_at"].as_i64().expect("triaged_at");
    let calendar = policy.calendar().expect("a valid policy");
    let from = DateTime::from_timestamp_millis(triaged_at).unwrap();
    let expected_response = calendar.add_business_minutes(from, 480).timestamp_millis();
    let expected_resolution = calendar
        .add_business_minutes(from, 60 * 480)
        .timestamp_millis();
    assert_eq!(triaged["response_due"], expected_response, "{triaged}");
    assert_eq!(triaged["resolution_due"], expected_resolution, "{triaged}");
    let first_day = to_local(from).date();
    let last_day = to_local(DateTime::from_timestamp_millis(expected_resolution).unwrap()).date();
    let holidays_in_span: Vec<_> = (first_day.year()..=last_day.year())
        .flat_map(colombian_holidays)
        .filter(|h| h.date > first_day && h.date < last_day)
        .filter(|h| !matches!(h.date.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    assert!(
        !holidays_in_span.is_empty(),
        "a weekday holiday between {first_day} and {last_day}"
    );
    let mail = wait_for_mail(mail_dir.path(), ANA_MAIL, "tiempo máximo de atención").await;
    let body = mail["body"].as_str().unwrap();
    assert!(body.contains("prioridad Baja"), "{body}");
    assert!(body.contains(&bogota_date(expected_resolution)), "{body}");

    // 3. Assigned to tecnico1: its agenda has it.
    act(
        &o.admin,
        &id,
        json!({"action": "asignada", "assignee_id": tecnico1_id}),
    )
    .await;
    let agenda = o.tecnico1.get("/api/agenda").await;
    let item = agenda.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap_or_else(|| panic!("the assignment in the agenda: {}", agenda.body))
        .clone();
    assert_eq!(item["resolution_due"], expected_resolution);
    assert_eq!(item["requester"]["name"], "Ana Pérez");

    // 4. The coordinator watches the board; the técnico's phone takes the ticket, goes to the
    // desk offline, finds nobody, and syncs the visit when it has signal again.
    let snapshot = o.admin.get("/api/board").await;
    let since = snapshot.body["last_event_id"].as_u64().unwrap();
    let mut board = Events::open(&o.admin, &format!("/api/board/stream?since={since}"), None).await;
    let mut phone = NodePeer::spawn().await;
    phone.connect(&server.sync_url(&o.tecnico1).await).await;
    phone.cmd(json!({"cmd": "find", "url": url})).await;
    let now = now_ms();
    let return_at = now + 2 * 86_400_000;
    let mut absent_visit = Visit::start(tecnico1_id.clone(), now + 1_000, false);
    absent_visit.note = "Puesto vacío; se dejó aviso en el escritorio.".into();
    absent_visit.notice_left = true;
    absent_visit.next_visit_at = Some(return_at);
    absent_visit.ended_at = Some(now + 120_000);
    let started = Event::new(
        EventKind::VisitStarted,
        now + 1_000,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        visit: Some(absent_visit.id),
        ..EventData::default()
    });
    let absent = Event::new(
        EventKind::UserAbsent,
        now + 120_000,
        &tecnico1_id,
        Role::Tecnico,
    )
    .with_data(EventData {
        visit: Some(absent_visit.id),
        next_visit_at: Some(return_at),
        ..EventData::default()
    });
    sync_offline_work(
        &mut phone,
        server.sync_url(&o.tecnico1).await,
        &url,
        vec![
            (
                "push",
                "visits",
                serde_json::to_value(&absent_visit).unwrap(),
            ),
            ("push", "events", serde_json::to_value(&started).unwrap()),
            ("push", "events", serde_json::to_value(&absent).unwrap()),
        ],
    )
    .await;
    let (_, _, on_board) = board
        .until("the absent visit", |(_, kind, data)| {
            kind == "ticket" && data["id"] == id.as_str() && data["state"] == "usuario_ausente"
        })
        .await;
    assert_eq!(on_board["absent_visits"], 1);
    assert_eq!(on_board["assignee_name"], tecnico1_name.as_str());
    let mail = wait_for_mail(mail_dir.path(), ANA_MAIL, "no lo encontramos").await;
    let body = mail["body"].as_str().unwrap();
    assert!(
        body.contains("Volveremos el ") && body.contains(&bogota_date(return_at)),
        "{body}"
    );

    // 5. The revisit finds the official, the problem is fixed and the case closed with its
    // report, again synced after the fact.
    let later = now + 200_000;
    let mut visit = Visit::start(tecnico1_id.clone(), later, true);
    visit.diagnosis = "Controlador del escáner desactualizado.".into();
    visit.actions = "Se instaló el controlador 4.2.".into();
    visit.tests = "Se digitalizó una hoja a color con la funcionaria.".into();
    visit.ended_at = Some(later + 1_800_000);
    let events = [
        (EventKind::VisitStarted, later, Some(visit.id)),
        (EventKind::Resolved, later + 1_800_000, Some(visit.id)),
        (EventKind::Closed, later + 1_900_000, None),
    ]
    .map(|(kind, at, visit)| {
        let event = Event::new(kind, at, &tecnico1_id, Role::Tecnico).with_data(EventData {
            visit,
            ..EventData::default()
        });
        ("push", "events", serde_json::to_value(&event).unwrap())
    });
    let report = ClosingReport {
        author: tecnico1_id.clone(),
        at: later + 1_900_000,
        summary: "Se actualizó el controlador del escáner.".into(),
        results: "Digitaliza a color.".into(),
    };
    let mut changes = vec![("push", "visits", serde_json::to_value(&visit).unwrap())];
    changes.extend(events);
    changes.push(("change", "report", serde_json::to_value(&report).unwrap()));
    sync_offline_work(
        &mut phone,
        server.sync_url(&o.tecnico1).await,
        &url,
        changes,
    )
    .await;
    board
        .until("the closing", |(_, kind, data)| {
            kind == "ticket" && data["id"] == id.as_str() && data["state"] == "cerrada"
        })
        .await;
    let mail = wait_for_mail(mail_dir.path(), ANA_MAIL, "encuesta de satisfacción").await;
    let body = mail["body"].as_str().unwrap();
    assert!(
        body.contains(&format!("http://campo.prueba/casos/{id}/encuesta")),
        "{body}"
    );

    // 6. The official answers the survey from its own app.
    let survey = Survey {
        answered_at: now_ms(),
        by: ana_id.clone(),
        channel: SurveyChannel::OwnApp,
        answers: SurveyAnswers {
            timeliness: 4,
            treatment: 5,
            solution: 5,
            comment: "Muy amable.".into(),
        },
    };
    let answered = Event::new(
        EventKind::SurveyAnswered,
        now_ms(),
        &ana_id,
        Role::Funcionario,
    );
    let mut official_app = NodePeer::spawn().await;
    official_app.connect(&server.sync_url(&o.ana).await).await;
    official_app.cmd(json!({"cmd": "find", "url": url})).await;
    sync_offline_work(
        &mut official_app,
        server.sync_url(&o.ana).await,
        &url,
        vec![
            ("change", "survey", serde_json::to_value(&survey).unwrap()),
            ("push", "events", serde_json::to_value(&answered).unwrap()),
        ],
    )
    .await;
    let row = o.admin.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(row["state"], "cerrada", "{row}");
    assert_eq!(row["survey_treatment"], 5, "{row}");
    assert_eq!(row["survey_channel"], "own_app", "{row}");
    assert_eq!(row["absent_visits"], 1, "{row}");
    assert_eq!(row["visits"].as_array().map(Vec::len), Some(2), "{row}");
    sink.stop().await;
}
both_backends!(the_office_side_end_to_end);
