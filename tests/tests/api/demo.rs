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
