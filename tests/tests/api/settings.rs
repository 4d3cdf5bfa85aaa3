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
