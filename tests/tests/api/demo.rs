use campo_tests::{Backend, DEMO_PASSWORD, TestApp, both_backends, run_cli};

both_backends!(demo_coordinator_logs_in);
async fn demo_coordinator_logs_in(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let me = coordinator.get("/api/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["role"], "coordinador");
    assert_eq!(me.body["role_label"], "Coordinador");
    assert!(me.body.get("password_hash").is_none());

    let users = coordinator.get("/api/users").await.body;
    let count = |role: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["role"] == role)
            .count()
    };
    assert_eq!(count("coordinador"), 1);
    assert_eq!(count("tecnico"), 4);
    assert_eq!(count("contratista"), 1);
    assert!(count("funcionario") >= 12);
    let dependencias = coordinator.get("/api/dependencias").await.body;
    let names: Vec<&str> = dependencias
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Secretaría de Hacienda") && names.contains(&"Secretaría de Salud"),
        "{names:?}"
    );

    // A technician and an official log in with the same printed password.
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;
    assert_eq!(tecnico.get("/api/me").await.body["role"], "tecnico");
    let funcionario = app.login("mlopez", DEMO_PASSWORD).await;
    assert_eq!(
        funcionario.get("/api/me").await.body["dependencia"],
        "HACIENDA"
    );

    // The demo's inventory says where each machine is: the scanner its case sent to the
    // contractor is with the contractor, though the inventory row was written after the send.
    let scanner = coordinator.get("/api/equipment/GN-000345").await.body;
    assert_eq!(scanner["status"], "con_contratista", "{scanner}");
    assert_eq!(
        scanner["holder"]["name"], "Soporte Integral Andino S.A.S.",
        "{scanner}"
    );
    // An edit that does not touch the status leaves custody in force.
    let edited = coordinator
        .patch(
            "/api/equipment/GN-000345",
            &serde_json::json!({"location": "Piso 1, Radicación, puesto 3"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["status"], "con_contratista", "{}", edited.body);
    let scanner = coordinator.get("/api/equipment/GN-000345").await.body;
    assert_eq!(scanner["status"], "con_contratista", "{scanner}");
    // A coordinator's own change of status afterwards prevails.
    let written_off = coordinator
        .patch(
            "/api/equipment/GN-000345",
            &serde_json::json!({"status": "dado_de_baja", "note": "El contratista lo declaró irreparable."}),
        )
        .await;
    assert_eq!(written_off.status, 200, "{}", written_off.body);
    let scanner = coordinator.get("/api/equipment/GN-000345").await.body;
    assert_eq!(scanner["status"], "dado_de_baja", "{scanner}");
}

both_backends!(demo_twice_duplicates_nothing);
async fn demo_twice_duplicates_nothing(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    let users_before = coordinator
        .get("/api/users")
        .await
        .body
        .as_array()
        .unwrap()
        .len();
    let deps_before = coordinator
        .get("/api/dependencias")
        .await
        .body
        .as_array()
        .unwrap()
        .len();

    let second = run_cli(&app.db, &["demo"], None).await.unwrap();
    assert!(second.success, "{}", second.stderr);
    assert!(
        second.stdout.contains("coordinador"),
        "the logins are printed: {}",
        second.stdout
    );
    assert!(second.stdout.contains("(10 tiquetes)"), "{}", second.stdout);

    let users_after = coordinator
        .get("/api/users")
        .await
        .body
        .as_array()
        .unwrap()
        .len();
    let deps_after = coordinator
        .get("/api/dependencias")
        .await
        .body
        .as_array()
        .unwrap()
        .len();
    assert_eq!(users_before, users_after);
    assert_eq!(deps_before, deps_after);
}
