use campo_tests::{Backend, TestApp, both_backends};

both_backends!(healthz_reports_the_database);
async fn healthz_reports_the_database(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reply = app.anonymous().get("/healthz").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], "ok");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(reply.body["database"], expected);
    assert_eq!(reply.body["documents_in_memory"], 0);
}

both_backends!(holidays_of_2026);
async fn holidays_of_2026(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.anonymous();
    let reply = client.get("/api/holidays?year=2026").await;
    assert_eq!(reply.status, 200);
    let dates: Vec<&str> = reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates.len(), 19, "{dates:?}");
    assert!(
        dates.contains(&"2026-07-13"),
        "Ley 2578 holiday missing: {dates:?}"
    );
    assert!(
        dates.contains(&"2026-04-03"),
        "Viernes Santo missing: {dates:?}"
    );
    assert!(
        reply.body[0]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );

    for bad in [
        "/api/holidays",
        "/api/holidays?year=abc",
        "/api/holidays?year=1200",
    ] {
        let reply = client.get(bad).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("año")
        );
    }
}

both_backends!(server_stops_cleanly_and_keeps_data);
async fn server_stops_cleanly_and_keeps_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let reply = admin
        .post(
            "/api/dependencias",
            &serde_json::json!({"code": "CULTURA", "name": "Secretaría de Cultura"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let db = app.stop().await;
    let app = TestApp::start(db).await.unwrap();
    let admin = app.admin().await;
    let list = admin.get("/api/dependencias").await;
    assert!(
        list.body
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "CULTURA")
    );
}
