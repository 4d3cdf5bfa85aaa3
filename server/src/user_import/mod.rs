//! Importing users from a CSV file: `POST /api/users/import` (Ajustes) and `campo user import`,
//! both through [`prepare`] and [`commit`].
//!
//! [`prepare`] reads the file ([`parse`], pure) and checks it against the store: dependencias
//! that exist, documents that are not another person's, at least one active coordinator left.
//! What it returns is the preview: each row with what it will do (create or update). [`commit`]
//! writes every row in one transaction ([`Store::import_users`]), all or none. New accounts have
//! no password: a spreadsheet is no place for passwords, so a person imported enters through the
//! office's directory, or with the password a coordinator gives them in Ajustes.

pub mod parse;

use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use campo_shared::role::Role;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csv_file::{LineErrors, MAX_CSV_BODY};
use crate::error::{ApiResult, AppError, Json};
use crate::store::{ImportedUser, Store, StoreError, UserRow, UsersImported};

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/users/import",
        post(import).layer(DefaultBodyLimit::max(MAX_CSV_BODY)),
    )
}

/// What importing a row does to its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Action {
    /// A new account, without a password.
    #[serde(rename = "crear")]
    Create,
    /// The account with that username gets the row's values.
    #[serde(rename = "actualizar")]
    Update,
}

/// One row of the preview: the account as it will be after the import.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewRow {
    pub line: usize,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub role_label: &'static str,
    pub dependencia: Option<String>,
    pub email: Option<String>,
    pub document: Option<String>,
    pub action: Action,
}

/// A file that can be imported: what each row will do, and the rows as the store takes them.
#[derive(Debug)]
pub struct Plan {
    pub rows: Vec<PreviewRow>,
    imports: Vec<ImportedUser>,
}

impl Plan {
    /// How many accounts the import creates.
    pub fn created(&self) -> usize {
        self.count(Action::Create)
    }

    /// How many existing accounts it updates.
    pub fn updated(&self) -> usize {
        self.count(Action::Update)
    }

    fn count(&self, action: Action) -> usize {
        self.rows.iter().filter(|r| r.action == action).count()
    }
}

/// Why a file was not imported; nothing of it was written.
#[derive(Debug)]
pub enum ImportError {
    /// The file has errors, each with its line (sorted).
    Lines(LineErrors),
    /// The store changed between the check and the writing (message in Spanish).
    Conflict(String),
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for ImportError {
    fn from(err: StoreError) -> Self {
        ImportError::Store(err)
    }
}

/// «El archivo tiene 3 error(es) y no se importó nada…», the summary of a refused file.
pub fn refusal_summary(errors: usize) -> String {
    format!(
        "El archivo tiene {errors} error(es) y no se importó nada. Corrija las líneas indicadas \
         y vuelva a enviarlo completo."
    )
}

/// Reads the file and checks it against the store: what importing it would do, or every error
/// by line.
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub async fn prepare(store: &Store, bytes: &[u8]) -> Result<Plan, ImportError> {
    let (rows, mut errors) = parse::parse(bytes);
    let existing: HashMap<String, UserRow> = store
        .list_users(None)
        .await?
        .into_iter()
        .map(|u| (u.username.clone(), u))
        .collect();
    let dependencias: HashSet<String> = store
        .list_dependencias()
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let in_file: HashMap<&str, &parse::Row> =
        rows.iter().map(|r| (r.username.as_str(), r)).collect();
    let holders: HashMap<&str, &UserRow> = existing
        .values()
        .filter_map(|u| u.document.as_deref().map(|d| (d, u)))
        .collect();
    for row in &rows {
        if let Some(Some(code)) = &row.dependencia
            && !dependencias.contains(code.as_str())
        {
            errors.push((
                row.line,
                format!(
                    "La dependencia «{}» no existe; créela primero en Ajustes o corrija el código.",
                    code.as_str()
                ),
            ));
        }
        if let Some(Some(document)) = &row.document
            && let Some(holder) = holders.get(document.as_str())
            && holder.username != row.username.as_str()
            // Its holder lets go of it when the file gives that account another document.
            && !in_file.contains_key(holder.username.as_str())
        {
            errors.push((
                row.line,
                format!(
                    "El documento {document} ya es de la cuenta «{}» ({}).",
                    holder.username, holder.full_name
                ),
            ));
        }
    }
    // Campo must keep an active coordinator, or nobody could administer it. New accounts do not
    // count: they have no password yet. Checked on a file without other errors: a bad row may be
    // the coordinator the file meant to keep.
    if !errors.is_empty() {
        errors.sort_by_key(|(line, _)| *line);
        return Err(ImportError::Lines(errors));
    }
    let is_coordinator = |u: &UserRow| u.active && u.role == Role::Coordinador.as_str();
    let coordinators_after = existing
        .values()
        .filter(|u| match in_file.get(u.username.as_str()) {
            Some(row) => u.active && row.role == Role::Coordinador,
            None => is_coordinator(u),
        })
        .count();
    if coordinators_after == 0 {
        for row in &rows {
            if let Some(user) = existing.get(row.username.as_str())
                && is_coordinator(user)
                && row.role != Role::Coordinador
            {
                errors.push((
                    row.line,
                    format!(
                        "«{}» es coordinador y el archivo dejaría a Campo sin ningún coordinador \
                         activo: conserve su rol, o dé antes el rol a otra persona.",
                        row.username.as_str()
                    ),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Lines(errors));
    }
    let mut plan = Plan {
        rows: Vec::with_capacity(rows.len()),
        imports: Vec::with_capacity(rows.len()),
    };
    for row in rows {
        let before = existing.get(row.username.as_str());
        let dependencia = row
            .dependencia
            .map(|d| d.map(|code| code.as_str().to_owned()));
        let email = row.email.map(|e| e.map(|e| e.as_str().to_owned()));
        // The value the account will have: the file's, or the one it has when the file does not
        // say.
        let after =
            |file: &Option<Option<String>>, kept: fn(&UserRow) -> &Option<String>| match file {
                Some(value) => value.clone(),
                None => before.and_then(|b| kept(b).clone()),
            };
        plan.rows.push(PreviewRow {
            line: row.line,
            username: row.username.as_str().to_owned(),
            full_name: row.full_name.as_str().to_owned(),
            role: row.role,
            role_label: row.role.label(),
            dependencia: after(&dependencia, |b| &b.dependencia),
            email: after(&email, |b| &b.email),
            document: after(&row.document, |b| &b.document),
            action: if before.is_some() {
                Action::Update
            } else {
                Action::Create
            },
        });
        plan.imports.push(ImportedUser {
            username: row.username.as_str().to_owned(),
            full_name: row.full_name.as_str().to_owned(),
            role: row.role.as_str().to_owned(),
            dependencia,
            email,
            document: row.document,
        });
    }
    Ok(plan)
}

/// What [`commit`] wrote.
#[derive(Debug)]
pub struct Committed {
    pub created: usize,
    pub updated: usize,
    /// The accounts whose role changed: their phones must reconnect with the new one.
    pub role_changed: Vec<String>,
}

/// Writes every row of `plan` in one transaction.
#[tracing::instrument(skip_all, fields(rows = plan.rows.len()))]
pub async fn commit(store: &Store, plan: &Plan) -> Result<Committed, ImportError> {
    match store.import_users(&plan.imports).await {
        Ok(UsersImported::Done {
            created,
            updated,
            role_changed,
        }) => Ok(Committed {
            created,
            updated,
            role_changed,
        }),
        Ok(UsersImported::NoCoordinatorLeft) => Err(ImportError::Conflict(
            "El archivo dejaría a Campo sin ningún coordinador activo, y no se importó nada. \
             Conserve el rol de al menos un coordinador activo."
                .into(),
        )),
        // Someone created a user or gave a document away between the check and the writing.
        Err(StoreError::Duplicate(_)) => Err(ImportError::Conflict(
            "Mientras se importaba el archivo, otro cambio dio a otra cuenta uno de sus usuarios \
             o números de documento, y no se importó nada. Revise el archivo y vuelva a \
             importarlo."
                .into(),
        )),
        Err(StoreError::MissingReference(_)) => Err(ImportError::Conflict(
            "Una dependencia del archivo dejó de existir mientras se importaba, y no se importó \
             nada. Revise el archivo y vuelva a importarlo."
                .into(),
        )),
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

#[derive(Serialize)]
struct ImportAnswer<'a> {
    rows: &'a [PreviewRow],
    created: usize,
    updated: usize,
    dry_run: bool,
}

/// `POST /api/users/import[?dry_run=true]`: a CSV body (UTF-8, `;` or `,`, with a header row).
/// With `dry_run`, the preview; without it, the same after writing every row.
#[tracing::instrument(skip_all, fields(dry_run))]
async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    user.require(&[Role::Coordinador])?;
    let Query(query) = query.map_err(|_| {
        AppError::BadRequest("El parámetro dry_run solo admite true o false.".into())
    })?;
    tracing::Span::current().record("dry_run", query.dry_run);
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest("No se pudo leer el archivo enviado.".into())
        }
    })?;
    let outcome = match prepare(&state.store, &body).await {
        Ok(plan) if query.dry_run => Ok((plan, None)),
        Ok(plan) => commit(&state.store, &plan)
            .await
            .map(|committed| (plan, Some(committed))),
        Err(err) => Err(err),
    };
    let (plan, committed) = match outcome {
        Ok(done) => done,
        Err(ImportError::Lines(errors)) => return Ok(refused(&errors)),
        Err(ImportError::Conflict(message)) => return Err(AppError::Conflict(message)),
        Err(ImportError::Store(err)) => return Err(err.into()),
    };
    let (created, updated) = match &committed {
        Some(done) => {
            for id in &done.role_changed {
                // Its phones stop syncing now; they reconnect with what the new role may do.
                state.documents.disconnect_user(id);
            }
            tracing::info!(
                by = %user.id,
                created = done.created,
                updated = done.updated,
                "users imported"
            );
            (done.created, done.updated)
        }
        None => (plan.created(), plan.updated()),
    };
    Ok(Json(ImportAnswer {
        rows: &plan.rows,
        created,
        updated,
        dry_run: committed.is_none(),
    })
    .into_response())
}

/// The 422 of a refused file: how many errors, and the first 100 with their lines.
fn refused(errors: &LineErrors) -> Response {
    let lines: Vec<_> = errors
        .iter()
        .take(100)
        .map(|(line, message)| serde_json::json!({"line": line, "message": message}))
        .collect();
    let body = serde_json::json!({
        "error": {
            "code": "csv_invalido",
            "message": refusal_summary(errors.len()),
            "lines": lines,
        }
    });
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use campo_tests::{Backend, TestDb, both_backends};

    use super::*;
    use crate::store::{NewUser, UserChanges};

    /// A store with two coordinators, `admin` (document 11111111) and `lucia` (22222222).
    async fn store(backend: Backend) -> (TestDb, Store, [String; 2]) {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.expect("store");
        let mut ids = Vec::new();
        for (username, document) in [("admin", "11111111"), ("lucia", "22222222")] {
            let row = store
                .insert_user(&NewUser {
                    username,
                    full_name: "Coordinación TIC",
                    role: "coordinador",
                    dependencia: None,
                    email: None,
                    password_hash: "$argon2id$…",
                })
                .await
                .expect("a coordinator");
            let changes = UserChanges {
                document: Some(Some(document.to_owned())),
                ..UserChanges::default()
            };
            store.update_user(&row.id, changes).await.expect("document");
            ids.push(row.id);
        }
        let ids = ids.try_into().expect("two");
        (db, store, ids)
    }

    async fn document_of(store: &Store, username: &str) -> Option<String> {
        let user = store.user_by_username(username).await.unwrap();
        user.expect("the account").document
    }

    both_backends!(a_document_taken_since_the_preview_refuses_the_whole_file);
    async fn a_document_taken_since_the_preview_refuses_the_whole_file(backend: Backend) {
        let (_db, store, [admin, _]) = store(backend).await;
        let csv = "usuario,nombre,rol,documento\n\
                   beto,Beto Díaz,funcionario,\n\
                   ana,Ana Ruiz,funcionario,33333333\n";
        let plan = prepare(&store, csv.as_bytes()).await.expect("a good file");
        assert_eq!((plan.created(), plan.updated()), (2, 0));
        let changes = UserChanges {
            document: Some(Some("33333333".into())),
            ..UserChanges::default()
        };
        store.update_user(&admin, changes).await.unwrap();
        match commit(&store, &plan).await {
            Err(ImportError::Conflict(message)) => {
                assert!(message.contains("no se importó nada"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert!(store.user_by_username("beto").await.unwrap().is_none());
        // Checked again, the file names the line.
        match prepare(&store, csv.as_bytes()).await {
            Err(ImportError::Lines(lines)) => assert_eq!(lines[0].0, 3, "{lines:?}"),
            other => panic!("{other:?}"),
        }
    }

    both_backends!(the_last_coordinator_is_checked_again_when_writing);
    async fn the_last_coordinator_is_checked_again_when_writing(backend: Backend) {
        let (_db, store, [_, lucia]) = store(backend).await;
        let plan = prepare(&store, b"usuario,nombre,rol\nadmin,Admin TIC,tecnico\n")
            .await
            .expect("lucia is left");
        let changes = UserChanges {
            active: Some(false),
            ..UserChanges::default()
        };
        store.update_user(&lucia, changes).await.unwrap();
        match commit(&store, &plan).await {
            Err(ImportError::Conflict(message)) => {
                assert!(message.contains("coordinador activo"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let admin = store.user_by_username("admin").await.unwrap().unwrap();
        assert_eq!(admin.role, "coordinador");
        assert_eq!(admin.full_name, "Coordinación TIC");
    }

    both_backends!(documents_change_hands_within_a_file);
    async fn documents_change_hands_within_a_file(backend: Backend) {
        let (_db, store, _) = store(backend).await;
        let csv = "usuario,nombre,rol,documento\n\
                   admin,Admin TIC,coordinador,22222222\n\
                   lucia,Lucía Rodríguez,coordinador,11111111\n";
        let plan = prepare(&store, csv.as_bytes()).await.expect("a good file");
        let done = commit(&store, &plan).await.expect("written");
        assert_eq!((done.created, done.updated), (0, 2));
        assert!(done.role_changed.is_empty());
        assert_eq!(
            document_of(&store, "admin").await.as_deref(),
            Some("22222222")
        );
        assert_eq!(
            document_of(&store, "lucia").await.as_deref(),
            Some("11111111")
        );
        // A file without the column leaves documents alone; a new account has no password.
        let plan = prepare(
            &store,
            b"usuario,nombre,rol\nlucia,Lucia R,tecnico\nnico,Nico,tecnico\n",
        )
        .await
        .expect("a good file");
        let done = commit(&store, &plan).await.expect("written");
        assert_eq!(done.role_changed.len(), 1);
        assert_eq!(
            document_of(&store, "lucia").await.as_deref(),
            Some("11111111")
        );
        let nico = store.user_by_username("nico").await.unwrap().unwrap();
        assert_eq!(nico.password_hash, "");
        assert!(nico.active && !nico.directory);
    }
}
