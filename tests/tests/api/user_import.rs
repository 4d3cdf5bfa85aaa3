//! Importing users from a CSV (`POST /api/users/import`, `campo user import`): the preview writes
//! nothing; the import creates and updates accounts, all rows or none; a bad file names each bad
//! line in Spanish; imported accounts have no password until a coordinator gives them one or the
//! directory lets them in; the last coordinator cannot be demoted by a file.

use campo_tests::ldap::{Slapd, entidad_ldif};
use campo_tests::{
    ADMIN_PASSWORD, Backend, Client, Reply, TempDir, TestApp, TestDb, add_admin, both_backends,
    run_cli, spawn_campo,
};
use serde_json::{Value, json};

async fn import(client: &Client, csv: &str, dry_run: bool) -> Reply {
    let path = if dry_run {
        "/api/users/import?dry_run=true"
    } else {
        "/api/users/import"
    };
    client
        .send(
            client
                .http()
                .post(client.url(path))
                .header("content-type", "text/csv; charset=utf-8")
                .body(csv.to_owned()),
        )
        .await
}

/// The accounts as the coordinator lists them, by username.
async fn users(admin: &Client) -> Vec<Value> {
    let mut list = admin
        .get("/api/users")
        .await
        .body
        .as_array()
        .unwrap()
        .clone();
    list.sort_by_key(|u| u["username"].as_str().unwrap().to_owned());
    list
}

fn user<'a>(list: &'a [Value], username: &str) -> &'a Value {
    list.iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("no {username} in {list:?}"))
}

async fn login_status(app: &TestApp, username: &str, password: &str) -> u16 {
    app.anonymous()
        .post(
            "/api/login",
            &json!({"username": username, "password": password}),
        )
        .await
        .status
}

/// Whether a phone could open `/sync` with this sync token now.
async fn sync_token_works(base: &str, token: &str) -> bool {
    let url = format!("{}/sync?token={token}", base.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url).await.is_ok()
}

/// Campo with the coordinator `admin`, the dependencias TIC and HACIENDA and an official with a
/// password and a document.
async fn organisation(backend: Backend) -> (TestApp, Client) {
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
            &json!({"username": "mlopez", "full_name": "María López", "role": "funcionario",
                    "password": "clave de maria", "dependencia": "HACIENDA",
                    "email": "mlopez@hacienda.gov.co"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.body["id"].as_str().unwrap();
    let documented = admin
        .patch(
            &format!("/api/users/{id}"),
            &json!({"document": "52123456"}),
        )
        .await;
    assert_eq!(documented.status, 200, "{}", documented.body);
    (app, admin)
}

/// A spreadsheet saved as «CSV UTF-8» in Spanish: a BOM, `;`, CRLF, Spanish headers with
/// accents, role labels as people write them.
const GOOD_CSV: &str = "\u{feff}Usuario;Nombre completo;Rol;Correo electrónico;Dependencia;Cédula\r\n\
                        JPerez;Juan Pérez Gil;Técnico;jperez@gobernacion.gov.co;tic;1.020.304.050\r\n\
                        \r\n\
                        acastro;Ana Castro;funcionario;;HACIENDA;98765432\r\n\
                        mlopez;María Fernanda López;CONTRATISTA EXTERNO;;hacienda;52123456\r\n";

both_backends!(a_file_is_previewed_then_imported);
async fn a_file_is_previewed_then_imported(backend: Backend) {
    let (app, admin) = organisation(backend).await;
    let before = users(&admin).await;
    let maria = app.login("mlopez", "clave de maria").await;
    let token = maria.post("/api/sync-token", &json!({})).await;
    assert_eq!(token.status, 200, "{}", token.body);
    let token = token.body["token"].as_str().unwrap().to_owned();
    assert!(sync_token_works(&app.base, &token).await);

    // The preview: what each line will do, and nothing written.
    let preview = import(&admin, GOOD_CSV, true).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.body["dry_run"], true);
    assert_eq!(preview.body["created"], 2);
    assert_eq!(preview.body["updated"], 1);
    let rows = preview.body["rows"].as_array().unwrap();
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["username"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (2, "jperez", "crear"),
            (4, "acastro", "crear"),
            (5, "mlopez", "actualizar")
        ],
        "blank lines count, as in the spreadsheet"
    );
    assert_eq!(
        rows[0],
        json!({"line": 2, "username": "jperez", "full_name": "Juan Pérez Gil", "role": "tecnico",
               "role_label": "Técnico", "dependencia": "TIC", "email": "jperez@gobernacion.gov.co",
               "document": "1020304050", "action": "crear"})
    );
    // The preview shows the account as it will be: an empty cell clears the e-mail.
    assert_eq!(rows[2]["role"], "contratista");
    assert_eq!(rows[2]["email"], Value::Null);
    assert_eq!(users(&admin).await, before, "the preview writes nothing");

    // Only coordinators import, or preview.
    assert_eq!(import(&maria, GOOD_CSV, true).await.status, 403);
    assert_eq!(import(&maria, GOOD_CSV, false).await.status, 403);

    let done = import(&admin, GOOD_CSV, false).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["dry_run"], false);
    assert_eq!(done.body["created"], 2);
    assert_eq!(done.body["updated"], 1);
    assert_eq!(done.body["rows"], preview.body["rows"]);

    let after = users(&admin).await;
    assert_eq!(after.len(), before.len() + 2);
    let juan = user(&after, "jperez");
    assert_eq!(juan["full_name"], "Juan Pérez Gil");
    assert_eq!(juan["role"], "tecnico");
    assert_eq!(juan["dependencia"], "TIC");
    assert_eq!(juan["document"], "1020304050");
    assert_eq!(juan["active"], true);
    let updated = user(&after, "mlopez");
    assert_eq!(updated["full_name"], "María Fernanda López");
    assert_eq!(updated["role"], "contratista");
    assert_eq!(updated["email"], Value::Null);
    assert_eq!(updated["document"], "52123456");

    // The intranet may name an imported official at once, by its document number.
    let made = admin
        .post(
            "/api/tokens",
            &json!({"name": "Intranet", "scopes": ["intake"]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let intranet = app.anonymous();
    let filed = intranet
        .send(
            intranet
                .http()
                .post(intranet.url("/api/intake"))
                .bearer_auth(made.body["token"].as_str().unwrap())
                .json(&json!({
                    "document": "98765432",
                    "channel": "intranet",
                    "description": "El computador no enciende desde esta mañana.",
                    "category": "Computador",
                    "location": "Piso 2, oficina 204",
                })),
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    assert_eq!(filed.body["ticket"]["requester_name"], "Ana Castro");
    assert_eq!(filed.body["ticket"]["dependencia"], "HACIENDA");

    // An existing account keeps its password; its new role ends its phone's sync token.
    assert_eq!(maria.get("/api/me").await.body["role"], "contratista");
    assert!(!sync_token_works(&app.base, &token).await);
    assert_eq!(login_status(&app, "mlopez", "clave de maria").await, 200);

    // A new account has no password: nothing lets it in until a coordinator gives it one.
    for guess in ["", "clave de maria", ADMIN_PASSWORD] {
        assert_ne!(login_status(&app, "jperez", guess).await, 200, "{guess:?}");
    }
    assert_eq!(login_status(&app, "jperez", "cualquier clave").await, 401);
    let id = juan["id"].as_str().unwrap();
    let given = admin
        .patch(
            &format!("/api/users/{id}"),
            &json!({"password": "clave de juan 2026"}),
        )
        .await;
    assert_eq!(given.status, 200, "{}", given.body);
    assert_eq!(
        login_status(&app, "jperez", "clave de juan 2026").await,
        200
    );

    // Importing the same file again changes nothing but updates every row.
    let again = import(&admin, GOOD_CSV, false).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        (
            again.body["created"].as_u64(),
            again.body["updated"].as_u64()
        ),
        (Some(0), Some(3))
    );
    assert_eq!(
        login_status(&app, "jperez", "clave de juan 2026").await,
        200
    );
}

both_backends!(a_file_with_bad_lines_imports_nothing);
async fn a_file_with_bad_lines_imports_nothing(backend: Backend) {
    let (_app, admin) = organisation(backend).await;
    let before = users(&admin).await;
    let csv = "usuario,nombre,rol,correo,dependencia,documento\n\
               lgarcia,Luis García,funcionario,,TIC,\n\
               pruiz,Pedro Ruiz,tecnico,,SALUD,\n\
               cmora,Carla Mora,funcionario,,,\n\
               cmora,Carla Mora Díaz,tecnico,,,\n\
               dsilva,Diana Silva,funcionario,dsilva@,,\n\
               etorres,Elena Torres,jefe,,,\n\
               fvega,Fabio Vega,funcionario,,,52.123.456\n";
    for dry_run in [true, false] {
        let refused = import(&admin, csv, dry_run).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert_eq!(refused.error_code(), "csv_invalido");
        assert!(
            refused.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("El archivo tiene 6 error(es) y no se importó nada"),
            "{}",
            refused.body
        );
        let lines: Vec<(u64, &str)> = refused.body["error"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["line"].as_u64().unwrap(), l["message"].as_str().unwrap()))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    3,
                    "La dependencia «SALUD» no existe; créela primero en Ajustes o corrija el \
                     código."
                ),
                (
                    4,
                    "El usuario «cmora» está también en la línea 5; cada persona va en una sola \
                     fila."
                ),
                (
                    5,
                    "El usuario «cmora» está también en la línea 4; cada persona va en una sola \
                     fila."
                ),
                (
                    6,
                    "El correo electrónico no es válido; escríbalo como nombre@dominio.gov.co."
                ),
                (
                    7,
                    "El rol «jefe» no existe; use funcionario, técnico, contratista o coordinador."
                ),
                (
                    8,
                    "El documento 52123456 ya es de la cuenta «mlopez» (María López)."
                ),
            ],
            "{}",
            refused.body
        );
    }
    assert_eq!(users(&admin).await, before, "nothing of a refused file");

    // A header Campo does not know, and a password column, are refused before any row.
    let refused = import(
        &admin,
        "usuario;nombre;rol;contraseña\nlgarcia;Luis García;funcionario;secreta1\n",
        false,
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["error"]["lines"][0]["line"], 1);
    assert!(
        refused.body["error"]["lines"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Campo no importa contraseñas"),
        "{}",
        refused.body
    );
    assert_eq!(users(&admin).await, before);
}

both_backends!(the_last_coordinator_cannot_be_demoted_by_a_file);
async fn the_last_coordinator_cannot_be_demoted_by_a_file(backend: Backend) {
    let (app, admin) = organisation(backend).await;
    // A new coordinator does not count: it has no password yet.
    let csv =
        "usuario,nombre,rol\nadmin,Admin Pruebas,tecnico\nnueva,Nueva Coordinadora,coordinador\n";
    let refused = import(&admin, csv, true).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let lines = refused.body["error"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{}", refused.body);
    assert_eq!(lines[0]["line"], 2);
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .contains("sin ningún coordinador activo"),
        "{}",
        refused.body
    );
    assert_eq!(import(&admin, csv, false).await.status, 422);
    assert_eq!(admin.get("/api/me").await.body["role"], "coordinador");

    // With another active coordinator (María, promoted in the same file), it may be demoted.
    let csv = "usuario,nombre,rol\nadmin,Admin Pruebas,tecnico\nmlopez,María López,coordinador\n";
    let done = import(&admin, csv, false).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(admin.get("/api/me").await.body["role"], "tecnico");
    let maria = app.login("mlopez", "clave de maria").await;
    assert_eq!(maria.get("/api/me").await.body["role"], "coordinador");
}

both_backends!(the_cli_imports_a_file_or_names_its_errors);
async fn the_cli_imports_a_file_or_names_its_errors(backend: Backend) {
    let db = TestDb::new(backend).await;
    add_admin(&db).await;
    let dir = TempDir::new();
    let file = dir.path().join("usuarios.csv");
    let path = file.to_str().unwrap();

    std::fs::write(
        &file,
        "usuario;nombre;rol\njperez;Juan Pérez;técnico\nana;A;funcionario\nluis;Luis Mora;jefe\n",
    )
    .unwrap();
    let refused = run_cli(&db, &["user", "import", path], None).await.unwrap();
    assert!(!refused.success, "{}", refused.stdout);
    assert!(
        refused
            .stderr
            .contains("Línea 3: El nombre completo debe tener entre 2 y 120 caracteres."),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("Línea 4: El rol «jefe» no existe"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("2 error(es) y no se importó nada"),
        "{}",
        refused.stderr
    );

    std::fs::write(
        &file,
        "usuario;nombre;rol\njperez;Juan Pérez;técnico\nadmin;Administración TIC;coordinador\n",
    )
    .unwrap();
    let preview = run_cli(&db, &["user", "import", path, "--dry-run"], None)
        .await
        .unwrap();
    assert!(preview.success, "{}", preview.stderr);
    assert!(
        preview
            .stdout
            .contains("Línea 2: crear «jperez» (Juan Pérez, Técnico)"),
        "{}",
        preview.stdout
    );
    assert!(
        preview
            .stdout
            .contains("Vista previa: 1 por crear, 1 por actualizar."),
        "{}",
        preview.stdout
    );
    let done = run_cli(&db, &["user", "import", path], None).await.unwrap();
    assert!(done.success, "{}", done.stderr);
    assert!(
        done.stdout
            .contains("Usuarios importados: 1 creados, 1 actualizados."),
        "{}",
        done.stdout
    );

    let app = TestApp::start(db).await.unwrap();
    let admin = app.admin().await;
    let list = users(&admin).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(user(&list, "jperez")["role"], "tecnico");
    assert_eq!(user(&list, "admin")["full_name"], "Administración TIC");
}

both_backends!(an_imported_person_enters_through_the_directory);
async fn an_imported_person_enters_through_the_directory(backend: Backend) {
    let slapd = Slapd::start(&entidad_ldif()).await;
    let db = TestDb::new(backend).await;
    add_admin(&db).await;
    let (_child, base) = spawn_campo(&db, &[], &slapd.campo_env()).await.unwrap();
    let admin = Client::new(base.clone());
    admin.login("admin", ADMIN_PASSWORD).await.unwrap();
    // The office lists its people before they first log in, with their document numbers.
    let done = import(
        &admin,
        "usuario,nombre,rol,documento\nmgomez,María Gómez,funcionario,43111222\n",
        false,
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let before = user(&users(&admin).await, "mgomez").clone();
    assert_eq!(before["directory"], false);

    let maria = Client::new(base.clone());
    let entered = maria.login("mgomez", "clave-maria-2026").await.unwrap();
    assert_eq!(entered.body["id"], before["id"], "the same account");
    assert_eq!(entered.body["directory"], true);
    assert_eq!(entered.body["document"], "43111222");
    assert_eq!(entered.body["email"], "maria.gomez@gobernacion.gov.co");
    let wrong = Client::new(base)
        .post(
            "/api/login",
            &json!({"username": "mgomez", "password": "otra clave"}),
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
}
