//! The GLPI bridge, end to end: `campo glpi sync` and `campo serve` against a stand-in of GLPI's
//! REST API (`campo_tests::glpi`; no GLPI can run here), on SQLite and PostgreSQL.

use std::process::Stdio;
use std::time::Duration;

use campo_tests::glpi::{APP_TOKEN, Fault, Glpi, Requester, Ticket, USER_TOKEN, User};
use campo_tests::{
    Backend, CliOutput, Client, DEMO_PASSWORD, TestDb, both_backends, campo_bin, run_cli,
};
use serde_json::{Value, json};

fn env(glpi: &Glpi) -> Vec<(String, String)> {
    vec![
        ("CAMPO_GLPI_URL".to_owned(), glpi.url()),
        ("CAMPO_GLPI_APP_TOKEN".to_owned(), APP_TOKEN.to_owned()),
        ("CAMPO_GLPI_USER_TOKEN".to_owned(), USER_TOKEN.to_owned()),
        ("CAMPO_GLPI_ENTITY".to_owned(), "3".to_owned()),
    ]
}

/// `campo glpi sync` with `env`.
async fn sync(db: &TestDb, env: &[(String, String)]) -> CliOutput {
    let output = tokio::process::Command::new(campo_bin())
        .args(["glpi", "sync"])
        .env("CAMPO_DATA_DIR", db.dir.path())
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run campo glpi sync");
    CliOutput {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A GLPI with two users: `mlopez` (a Campo username) and `carlos.perez`, unknown to Campo by
/// login but with Carlos Pérez's address in Campo.
fn office_glpi(glpi: &Glpi) {
    glpi.add_user(User {
        id: 7,
        login: "mlopez".into(),
        emails: vec!["maria.lopez@personal.example".into()],
    });
    glpi.add_user(User {
        id: 8,
        login: "carlos.perez".into(),
        emails: vec!["otro@example.org".into(), "CPEREZ@demo.gov.co".into()],
    });
}

fn ticket(id: i64, name: &str, requester: Requester) -> Ticket {
    Ticket {
        id,
        name: name.into(),
        content: format!("&lt;p&gt;{name}: &lt;b&gt;urgente&lt;/b&gt; para hoy.&lt;/p&gt;"),
        status: 1,
        entity: 3,
        category: None,
        location: None,
        requester,
    }
}

async fn glpi_tickets(coordinator: &Client) -> Vec<Value> {
    let reply = coordinator.get("/api/tickets?channel=glpi&limit=500").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut tickets = reply.body["tickets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // The demo has a GLPI case of its own, typed in by hand («GLPI 20931»).
    tickets.retain(|t| {
        t["external_ref"]
            .as_str()
            .is_some_and(|r| r.starts_with("GLPI #"))
    });
    tickets.sort_by_key(|t| t["external_ref"].as_str().unwrap_or_default().to_owned());
    tickets
}

async fn demo_db(backend: Backend) -> TestDb {
    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    db
}

async fn coordinator(db: &TestDb, env: &[(String, String)]) -> (tokio::process::Child, Client) {
    let (child, base) = campo_tests::spawn_campo(db, &[], env)
        .await
        .expect("start campo");
    let client = Client::new(base);
    client.login("coordinador", DEMO_PASSWORD).await.unwrap();
    (child, client)
}

both_backends!(new_glpi_tickets_become_cases_once_and_glpi_hears_back);
/// The new tickets of the entity become cases with channel GLPI, the requester matched by login
/// or e-mail (else «por identificar»), the category when Campo has it; others are left alone.
/// GLPI gets a follow-up with each case number, once; a second pass imports nothing; the case
/// resolved in Campo sends its solution to GLPI, once.
async fn new_glpi_tickets_become_cases_once_and_glpi_hears_back(backend: Backend) {
    let glpi = Glpi::start().await;
    office_glpi(&glpi);
    let mut printer = ticket(
        101,
        "La impresora de Tesorería no imprime",
        Requester::User(7),
    );
    printer.category = Some((5, "Hardware > Impresoras".into()));
    printer.location = Some("Edificio central > Piso 3".into());
    glpi.add_ticket(printer);
    glpi.add_ticket(ticket(102, "No tengo acceso al correo", Requester::User(8)));
    glpi.add_ticket(ticket(
        103,
        "El escáner no responde",
        Requester::Email("visitante@example.org".into()),
    ));
    let mut elsewhere = ticket(104, "De otra entidad", Requester::User(7));
    elsewhere.entity = 9;
    glpi.add_ticket(elsewhere);
    let mut taken = ticket(105, "Ya asignado en GLPI", Requester::User(7));
    taken.status = 2;
    glpi.add_ticket(taken);

    let db = demo_db(backend).await;
    let env = env(&glpi);
    let first = sync(&db, &env).await;
    assert!(first.success, "{first:?}");
    assert!(
        first
            .stdout
            .contains("3 tiquetes nuevos importados, 0 ya importados antes, 3 seguimientos"),
        "{}",
        first.stdout
    );
    assert_eq!(glpi.sessions(), (0, 1), "the session is closed");

    let (_campo, coordinator) = coordinator(&db, &[]).await;
    let tickets = glpi_tickets(&coordinator).await;
    let refs: Vec<&str> = tickets
        .iter()
        .map(|t| t["external_ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["GLPI #101", "GLPI #102", "GLPI #103"]);
    assert_eq!(tickets[0]["requester_name"], "María Fernanda López");
    assert_eq!(tickets[0]["dependencia"], "HACIENDA");
    assert_eq!(tickets[0]["category"], "Impresoras");
    assert_eq!(tickets[0]["location"], "Edificio central > Piso 3");
    assert_eq!(tickets[0]["state"], "registrada");
    assert!(
        tickets[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("La impresora de Tesorería no imprime"),
        "{}",
        tickets[0]
    );
    assert_eq!(
        tickets[1]["requester_name"], "Carlos Alberto Pérez",
        "matched by e-mail"
    );
    assert_eq!(
        tickets[2]["requester_name"],
        "Solicitante por identificar (GLPI: visitante@example.org)"
    );
    assert_eq!(tickets[2]["category"], "Por clasificar");
    // The description is GLPI's HTML as text.
    let detail = coordinator
        .get(&format!(
            "/api/tickets/{}",
            tickets[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(detail.status, 200);

    let numbers: Vec<String> = tickets
        .iter()
        .map(|t| t["number"].as_str().unwrap().to_owned())
        .collect();
    let followups: Vec<(i64, String)> = glpi
        .added()
        .into_iter()
        .filter(|(kind, _, _)| kind == "ITILFollowup")
        .map(|(_, id, text)| (id, text))
        .collect();
    assert_eq!(followups.len(), 3, "{followups:?}");
    for ((id, text), number) in followups.iter().zip(&numbers) {
        assert!(text.contains(number.as_str()), "GLPI #{id}: {text}");
    }

    // The coordinator names the official of the case «por identificar»; the official then
    // reads it as its own. Only once, and only by a coordinator.
    let unknown = tickets[2]["id"].as_str().unwrap();
    let users = coordinator.get("/api/users?role=funcionario").await;
    let agarcia = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "agarcia")
        .expect("agarcia")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let official = Client::new(coordinator.url(""));
    official.login("agarcia", DEMO_PASSWORD).await.unwrap();
    let path = format!("/api/tickets/{unknown}/requester");
    let refused = official.put(&path, &json!({"requester_id": agarcia})).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let not_a_user = coordinator
        .put(&path, &json!({"requester_id": "nadie"}))
        .await;
    assert_eq!(not_a_user.status, 422, "{}", not_a_user.body);
    let hidden = official.get(&format!("/api/tickets/{unknown}")).await;
    assert_eq!(hidden.status, 404);
    let named = coordinator
        .put(&path, &json!({"requester_id": agarcia}))
        .await;
    assert_eq!(named.status, 200, "{}", named.body);
    assert_eq!(named.body["requester_name"], "Ana Lucía García");
    assert_eq!(named.body["dependencia"], "EDUCACION");
    let again = coordinator
        .put(&path, &json!({"requester_id": agarcia}))
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ya tiene solicitante")
    );
    let seen = official.get(&format!("/api/tickets/{unknown}")).await;
    assert_eq!(seen.status, 200, "{}", seen.body);

    // A second pass: nothing new, nothing sent again.
    let second = sync(&db, &env).await;
    assert!(second.success, "{second:?}");
    assert!(
        second.stdout.contains(
            "0 tiquetes nuevos importados, 3 ya importados antes, 0 seguimientos y 0 soluciones"
        ),
        "{}",
        second.stdout
    );
    assert_eq!(glpi_tickets(&coordinator).await.len(), 3);
    assert_eq!(glpi.added().len(), 3);

    // Resolved by phone in Campo: GLPI gets the solution, once.
    let id = tickets[1]["id"].as_str().unwrap();
    let resolved = coordinator
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "resuelta_telefono",
                    "reason": "Se restableció la contraseña del correo con el funcionario."}),
        )
        .await;
    assert_eq!(resolved.status, 200, "{}", resolved.body);
    let third = sync(&db, &env).await;
    assert!(third.success, "{third:?}");
    assert!(
        third.stdout.contains("0 seguimientos y 1 soluciones"),
        "{}",
        third.stdout
    );
    let solutions: Vec<(i64, String)> = glpi
        .added()
        .into_iter()
        .filter(|(kind, _, _)| kind == "ITILSolution")
        .map(|(_, id, text)| (id, text))
        .collect();
    assert_eq!(solutions.len(), 1, "{solutions:?}");
    assert_eq!(solutions[0].0, 102);
    assert!(solutions[0].1.contains(&numbers[1]), "{}", solutions[0].1);
    assert!(
        solutions[0]
            .1
            .contains("Se restableció la contraseña del correo"),
        "{}",
        solutions[0].1
    );
    let fourth = sync(&db, &env).await;
    assert!(
        fourth.stdout.contains("0 seguimientos y 0 soluciones"),
        "{}",
        fourth.stdout
    );
}

both_backends!(a_failing_glpi_loses_nothing_and_creates_nothing_twice);
/// A GLPI that answers 500, garbage or a wrong key stops the pass with the reason and creates
/// nothing; one that refuses the follow-ups keeps the cases, and the next pass sends them. Two
/// passes at once import each ticket once. `campo serve` imports by itself on its interval.
async fn a_failing_glpi_loses_nothing_and_creates_nothing_twice(backend: Backend) {
    let glpi = Glpi::start().await;
    office_glpi(&glpi);
    for id in 201..=206 {
        glpi.add_ticket(ticket(id, &format!("Solicitud {id}"), Requester::User(7)));
    }
    let db = demo_db(backend).await;
    let env = env(&glpi);

    glpi.set_fault(Fault::ServerError);
    let failed = sync(&db, &env).await;
    assert!(!failed.success);
    assert!(failed.stderr.contains("500"), "{}", failed.stderr);
    glpi.set_fault(Fault::Garbage);
    let failed = sync(&db, &env).await;
    assert!(!failed.success);
    assert!(failed.stderr.contains("not JSON"), "{}", failed.stderr);
    glpi.set_fault(Fault::None);
    let mut wrong_key = env.clone();
    wrong_key[2].1 = "otra-clave".into();
    let failed = sync(&db, &wrong_key).await;
    assert!(!failed.success);
    assert!(
        failed.stderr.contains("ERROR_GLPI_LOGIN_USER_TOKEN"),
        "{}",
        failed.stderr
    );
    let missing = sync(&db, &[]).await;
    assert!(!missing.success);
    assert!(
        missing.stderr.contains("GLPI no está configurado"),
        "{}",
        missing.stderr
    );

    // Follow-ups refused: the cases stay, the next pass sends what is owed.
    glpi.set_fault(Fault::WriteBackFails);
    let partial = sync(&db, &env).await;
    assert!(!partial.success);
    assert!(
        partial.stdout.contains("6 tiquetes nuevos importados"),
        "{}",
        partial.stdout
    );
    assert!(
        partial.stderr.contains("6 tiquetes o envíos fallaron"),
        "{}",
        partial.stderr
    );
    assert!(glpi.added().is_empty());
    glpi.set_fault(Fault::None);
    let recovered = sync(&db, &env).await;
    assert!(recovered.success, "{recovered:?}");
    assert!(
        recovered
            .stdout
            .contains("0 tiquetes nuevos importados, 6 ya importados antes, 6 seguimientos"),
        "{}",
        recovered.stdout
    );

    // Two passes at once over new tickets: each becomes one case.
    for id in 207..=216 {
        glpi.add_ticket(ticket(id, &format!("Solicitud {id}"), Requester::User(8)));
    }
    let (a, b) = tokio::join!(sync(&db, &env), sync(&db, &env));
    let imported = |out: &CliOutput| -> usize {
        out.stdout
            .split(" tiquetes nuevos importados")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    assert!(imported(&a) + imported(&b) <= 10, "{a:?} {b:?}");

    // `campo serve` imports on its own interval; the rest of the tickets end up there, once.
    glpi.add_ticket(ticket(217, "Solicitud 217", Requester::User(7)));
    let mut serve_env = env.clone();
    serve_env.push(("CAMPO_GLPI_SYNC_SECS".into(), "1".into()));
    let (_campo, coordinator) = coordinator(&db, &serve_env).await;
    let mut tickets = Vec::new();
    for _ in 0..300 {
        tickets = glpi_tickets(&coordinator).await;
        if tickets.len() >= 17 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refs: Vec<String> = tickets
        .iter()
        .map(|t| t["external_ref"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (201..=217).map(|id| format!("GLPI #{id}")).collect();
    assert_eq!(refs, expected, "every GLPI ticket once");
    // Every imported GLPI ticket got exactly one follow-up.
    let mut followed: Vec<i64> = Vec::new();
    for _ in 0..300 {
        followed = glpi.added().iter().map(|(_, id, _)| *id).collect();
        if followed.len() >= 17 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    followed.sort();
    assert_eq!(followed, (201..=217).collect::<Vec<_>>());
}
