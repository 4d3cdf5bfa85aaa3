//! The equipment inventory: coordinators create, edit and import it; everyone reads it; the
//! catalogue a phone caches changes its ETag only when the inventory changes; the sticker address
//! leads to the equipment's page.

use campo_tests::{Backend, Client, Reply, TestApp, both_backends};
use serde_json::json;

async fn import(client: &Client, csv: &str) -> Reply {
    client
        .send(
            client
                .http()
                .post(client.url("/api/equipment/import"))
                .header("content-type", "text/csv; charset=utf-8")
                .body(csv.to_owned()),
        )
        .await
}

async fn catalog(client: &Client, etag: Option<&str>) -> Reply {
    let mut request = client.http().get(client.url("/api/equipment/catalog"));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    client.send(request).await
}

both_backends!(coordinators_keep_the_inventory);
async fn coordinators_keep_the_inventory(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    for (code, name) in [
        ("TIC", "Secretaría TIC"),
        ("HACIENDA", "Secretaría de Hacienda"),
    ] {
        let made = admin
            .post("/api/dependencias", &json!({"code": code, "name": name}))
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let made = admin
        .post(
            "/api/users",
            &json!({"username": "tec", "full_name": "Ana Técnica", "role": "tecnico", "password": "clave del tecnico"}),
        )
        .await;
    assert_eq!(made.status, 201);
    let tecnico = app.login("tec", "clave del tecnico").await;

    let laptop = json!({
        "code": "gn-000123", "kind": "Portátil", "brand": "Lenovo", "model": "T14",
        "serial": "PF-1234", "dependencia": "tic", "location": "Piso 3, puesto 12",
        "custodian": "tec"
    });
    let created = admin.post("/api/equipment", &laptop).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["code"], "GN-000123");
    assert_eq!(created.body["kind"], "portatil");
    assert_eq!(created.body["status"], "en_servicio");
    assert_eq!(
        created.body["custodian_name"], "Ana Técnica",
        "a username links the user"
    );
    assert_eq!(admin.post("/api/equipment", &laptop).await.status, 409);
    let bad = admin
        .post(
            "/api/equipment",
            &json!({"code": "GN 1", "kind": "tostadora", "dependencia": "NOEXISTE"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let fields: Vec<_> = bad.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["code", "kind"], "{}", bad.body);
    assert_eq!(tecnico.post("/api/equipment", &laptop).await.status, 403);

    // To the workshop and back: the history shows each move with who made it.
    let moved = admin
        .patch(
            "/api/equipment/GN-000123",
            &json!({"status": "en taller", "note": "No enciende; diagnóstico en taller"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(
        moved.body["custodian_name"], "Ana Técnica",
        "untouched fields stay"
    );
    let detail = tecnico.get("/api/equipment/gn-000123").await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(detail.body["status_label"], "En taller");
    assert_eq!(detail.body["kind_label"], "Portátil");
    let moves = detail.body["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 2, "{}", detail.body);
    assert_eq!(moves[1]["from_status"], "en_servicio");
    assert_eq!(moves[1]["to_status"], "en_taller");
    assert_eq!(moves[1]["note"], "No enciende; diagnóstico en taller");
    let missing = tecnico.get("/api/equipment/GN-999").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("GN-999")
    );

    // The catalogue: downloaded again only when something changed.
    let first = catalog(&tecnico, None).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 1);
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(catalog(&tecnico, Some(&etag)).await.status, 304);

    // A CSV with bad rows is refused whole, each error with its line.
    let bad_csv = "codigo;tipo;marca;dependencia;estado\n\
                   GN-000200;Impresora;HP;HACIENDA;\n\
                   GN-000201;tostadora;HP;HACIENDA;\n\
                   \n\
                   GN-000202;Monitor;Dell;NOEXISTE;En servicio\n";
    let refused = import(&admin, bad_csv).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let lines: Vec<_> = refused.body["error"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3], "{}", refused.body);
    let refused = import(&admin, &bad_csv.replace("tostadora", "Escáner")).await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.body["error"]["lines"][0]["line"], 5,
        "{}",
        refused.body
    );
    assert!(
        refused.body["error"]["lines"][0]["message"]
            .as_str()
            .unwrap()
            .contains("NOEXISTE")
    );
    assert_eq!(
        catalog(&tecnico, Some(&etag)).await.status,
        304,
        "nothing of a refused file was imported"
    );

    let good_csv = "\u{feff}Código,Tipo,Marca,Dependencia,Estado\r\n\
                    GN-000200,Impresora,HP,HACIENDA,\r\n\
                    GN-000201,Escáner,\"Epson, Inc\",HACIENDA,Con contratista\r\n\
                    GN-000123,Portátil,Lenovo,TIC,En servicio\r\n";
    let imported = import(&admin, good_csv).await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(imported.body["created"], 2);
    assert_eq!(imported.body["updated"], 1);
    assert_eq!(
        import(&tecnico, good_csv).await.status,
        403,
        "only coordinators import"
    );
    let changed = catalog(&tecnico, Some(&etag)).await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag").unwrap(), etag);
    assert_eq!(changed.body["items"].as_array().unwrap().len(), 3);
    let hacienda = tecnico.get("/api/equipment?dependencia=hacienda").await;
    assert_eq!(hacienda.body.as_array().unwrap().len(), 2);
    let back = tecnico.get("/api/equipment/GN-000123").await;
    assert_eq!(
        back.body["moves"].as_array().unwrap().len(),
        3,
        "back in service"
    );
}

both_backends!(the_sticker_address_leads_to_the_equipment);
async fn the_sticker_address_leads_to_the_equipment(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let created = admin
        .post(
            "/api/equipment",
            &json!({"code": "GN-000123", "kind": "computador"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);

    // A phone's camera opens the address without a session.
    let phone = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let known = phone.get(app.url("/e/GN-000123")).send().await.unwrap();
    assert_eq!(known.status(), 303);
    assert_eq!(known.headers()["location"], "/equipos/GN-000123");

    for (path, says) in [
        ("/e/GN-999999", "no está en el inventario"),
        ("/e/<script>", "no tiene un código de equipo"),
    ] {
        let response = phone.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(says), "{path}: {page}");
        assert!(!page.contains("<script>"), "{path}: nothing is echoed raw");
    }
}
