use campo_tests::{Backend, TestApp, both_backends};
use serde_json::json;

both_backends!(coordinators_tune_the_sla);
async fn coordinators_tune_the_sla(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let policy = admin.get("/api/settings/sla").await;
    assert_eq!(policy.status, 200);
    assert_eq!(
        policy.body["pause_while_user_absent"], true,
        "paused by default, as GLPI does"
    );
    assert_eq!(policy.body["targets"]["alta"]["resolution_minutes"], 480);

    let mut changed = policy.body.clone();
    changed["targets"]["alta"]["resolution_minutes"] = json!(240);
    changed["pause_while_user_absent"] = json!(false);
    let saved = app
        .admin()
        .await
        .send(
            admin
                .http()
                .put(admin.url("/api/settings/sla"))
                .json(&changed),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let again = admin.get("/api/settings/sla").await;
    assert_eq!(again.body["targets"]["alta"]["resolution_minutes"], 240);
    assert_eq!(again.body["pause_while_user_absent"], false);

    // A response target longer than the resolution one is refused with the reason.
    let mut bad = again.body.clone();
    bad["targets"]["media"]["response_minutes"] = json!(100_000);
    let refused = admin
        .send(admin.http().put(admin.url("/api/settings/sla")).json(&bad))
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Media"),
        "{}",
        refused.body
    );
    assert_eq!(
        admin.get("/api/settings/sla").await.body,
        again.body,
        "nothing changed"
    );

    // Others read it (the deadlines they see follow it) but cannot change it.
    let made = admin
        .post("/api/users", &json!({"username": "tec", "full_name": "Técnico", "role": "tecnico", "password": "clave del tecnico"}))
        .await;
    assert_eq!(made.status, 201);
    let tecnico = app.login("tec", "clave del tecnico").await;
    assert_eq!(tecnico.get("/api/settings/sla").await.status, 200);
    let forbidden = tecnico
        .send(
            tecnico
                .http()
                .put(tecnico.url("/api/settings/sla"))
                .json(&changed),
        )
        .await;
    assert_eq!(forbidden.status, 403);
}

both_backends!(coordinators_edit_the_request_categories);
/// The request forms offer the categories a coordinator keeps in Ajustes: every signed-in user
/// reads them (the phone keeps them for offline requests), only coordinators change them, and a
/// list that would make a poor form is refused with the reason in Spanish.
async fn coordinators_edit_the_request_categories(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let coordinator = app.login("coordinador", campo_tests::DEMO_PASSWORD).await;
    let official = app.login("mlopez", campo_tests::DEMO_PASSWORD).await;
    let defaults = official.get("/api/settings/categories").await;
    assert_eq!(defaults.status, 200, "{}", defaults.body);
    assert!(
        defaults.body["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("Impresoras")),
        "{}",
        defaults.body
    );

    let saved = coordinator
        .put(
            "/api/settings/categories",
            &json!({"categories": ["  Escáner ", "Impresoras", "Red  inalámbrica"]}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let expected = json!(["Escáner", "Impresoras", "Red inalámbrica"]);
    assert_eq!(saved.body["categories"], expected);
    let tecnico = app.login("tecnico1", campo_tests::DEMO_PASSWORD).await;
    assert_eq!(
        tecnico.get("/api/settings/categories").await.body["categories"],
        expected
    );

    for (bad, says) in [
        (json!([]), "al menos una"),
        (json!(["Red", "RED"]), "repetida"),
        (json!(["Red", ""]), "vacía"),
        (json!(["x".repeat(61)]), "60 caracteres"),
        (
            json!(
                (0..41)
                    .map(|i| format!("Categoría {i}"))
                    .collect::<Vec<_>>()
            ),
            "máximo es 40",
        ),
    ] {
        let refused = coordinator
            .put("/api/settings/categories", &json!({"categories": bad}))
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        let field = &refused.body["error"]["fields"][0];
        assert_eq!(field["field"], "categories", "{}", refused.body);
        assert!(
            field["message"].as_str().unwrap().contains(says),
            "{}",
            refused.body
        );
    }
    assert_eq!(
        official.get("/api/settings/categories").await.body["categories"],
        expected,
        "nothing changed"
    );

    let forbidden = official
        .put("/api/settings/categories", &json!({"categories": ["Otro"]}))
        .await;
    assert_eq!(forbidden.status, 403);
    let anonymous = app.anonymous().get("/api/settings/categories").await;
    assert_eq!(anonymous.status, 401);
}

both_backends!(a_ticket_names_its_people);
/// A ticket's detail names everyone who wrote to it, so the phone's history shows names, never
/// user ids: the official reads the coordinator who triaged its request by name.
async fn a_ticket_names_its_people(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let official = app.login("mlopez", campo_tests::DEMO_PASSWORD).await;
    let coordinator = app.login("coordinador", campo_tests::DEMO_PASSWORD).await;
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": "La impresora no imprime.", "category": "Impresoras",
                    "location": "Piso 3"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let triaged = coordinator
        .post(
            &format!("/api/tickets/{id}/actions"),
            &json!({"action": "priorizada", "priority": "alta"}),
        )
        .await;
    assert_eq!(triaged.status, 200, "{}", triaged.body);

    let detail = official.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    let names: Vec<&str> = detail.body["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"María Fernanda López"), "{}", detail.body);
    assert!(names.contains(&"Laura Méndez Rojas"), "{}", detail.body);
    assert!(
        detail.body["people"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"].as_str().is_some_and(|id| !id.is_empty())),
        "{}",
        detail.body
    );
}
