//! Login, logout, the current user, and account administration by coordinators.

use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use campo_shared::account::{Email, FieldError, FullName, NewPassword, Username};
use campo_shared::role::Role;
use serde::{Deserialize, Deserializer, Serialize};

use crate::AppState;
use crate::auth::{ClientAddress, CurrentUser, new_session_token, token_hash};
use crate::directory::Directory;
use crate::error::{ApiResult, AppError, Json};
use crate::store::{DirectoryUser, NewUser, StoreError, UserChanges, UserRow, now_ms};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{id}", patch(update_user).get(get_user))
}

/// A user as the API shows it (never the password hash).
#[derive(Serialize)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub role: String,
    pub role_label: &'static str,
    pub dependencia: Option<String>,
    pub email: Option<String>,
    /// The identity document number (cédula), by which the intranet may name the official.
    pub document: Option<String>,
    pub active: bool,
    /// An account of the office's directory: its password is the directory's.
    pub directory: bool,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        let role_label = row.role.parse::<Role>().map(|r| r.label()).unwrap_or("");
        Self {
            id: row.id,
            username: row.username,
            full_name: row.full_name,
            role: row.role,
            role_label,
            dependencia: row.dependencia,
            email: row.email,
            document: row.document,
            active: row.active,
            directory: row.directory,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(body): Json<LoginBody>,
) -> ApiResult<Response> {
    if body.username.trim().is_empty() || body.password.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "username",
            "Escriba su usuario y su contraseña.",
        )]));
    }
    // An over-long name or password cannot belong to an account; it is refused like a wrong
    // password, without hashing megabytes.
    let username = Username::parse(&body.username).ok();
    let limiter_key = username
        .as_ref()
        .map(|u| u.as_str().to_owned())
        .unwrap_or_else(|| "(inválido)".to_owned());
    let delay = state
        .limiter
        .check(&limiter_key, address, Instant::now())
        .map_err(|retry| AppError::TooManyRequests {
            retry_after_secs: retry.0,
        })?;
    // Failures from elsewhere slow this account down (a few seconds at most), never keep it out.
    tokio::time::sleep(delay).await;
    let password_ok_len =
        body.password.chars().count() <= campo_shared::account::PASSWORD_MAX_CHARS;
    let user = match (&username, password_ok_len) {
        (Some(username), true) => state.store.user_by_username(username.as_str()).await?,
        _ => None,
    };
    // A local account is checked here, and only here, even while the directory is down (a
    // break-glass coordinator); a directory account, a local one without a password yet (an
    // imported person), or a name Campo does not know, by the directory when there is one.
    let user = match (&state.directory, &username) {
        (Some(directory), Some(username))
            if password_ok_len
                && user
                    .as_ref()
                    .is_none_or(|u| u.directory || u.password_hash.is_empty()) =>
        {
            directory_login(&state, directory, username, &body.password).await?
        }
        _ => {
            // An account without a password is checked like an unknown name, against the dummy
            // hash, so the answer takes as long as any other refusal.
            let phc = user
                .as_ref()
                .filter(|u| !u.directory && !u.password_hash.is_empty())
                .map(|u| u.password_hash.as_str());
            let verified = password_ok_len && state.passwords.verify(&body.password, phc).await?;
            user.filter(|_| verified)
        }
    };
    let user = match user {
        Some(user) if user.active => user,
        _ => {
            state.limiter.failure(&limiter_key, address, Instant::now());
            tracing::info!(username = %limiter_key, %address, "failed login");
            crate::sync::feed::announce_login(&state, &limiter_key, address, false).await;
            return Err(AppError::InvalidCredentials);
        }
    };
    state.limiter.success(&limiter_key, address);
    crate::sync::feed::announce_login(&state, &limiter_key, address, true).await;
    let token = new_session_token();
    let now = now_ms();
    let expires_at = now + state.config.session_absolute.as_millis() as i64;
    state
        .store
        .insert_session(&token_hash(&token), &user.id, now, expires_at)
        .await?;
    tracing::info!(user_id = %user.id, "login");
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        state
            .cookie
            .set(&token)
            .parse()
            .expect("cookie is a valid header"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("valid header"),
    );
    Ok((headers, Json(UserView::from(user))).into_response())
}

/// Logs `username` in through the directory and creates or updates its Campo account with what
/// the directory says (a local account without a password, such as an imported one, becomes the
/// directory's). `None`: unknown there, wrong password, or a local account with a password took
/// the name.
async fn directory_login(
    state: &AppState,
    directory: &Directory,
    username: &Username,
    password: &str,
) -> ApiResult<Option<UserRow>> {
    let person = match directory.authenticate(username.as_str(), password).await {
        Ok(Some(person)) => person,
        Ok(None) => return Ok(None),
        Err(err) => {
            tracing::warn!(%err, "directory login: the directory did not answer");
            return Err(AppError::DirectoryUnavailable);
        }
    };
    let before = state.store.user_by_username(username.as_str()).await?;
    // Written as Campo writes codes; one Campo does not know is ignored by the store.
    let dependencia = person
        .dependencia
        .as_deref()
        .and_then(|code| campo_shared::ids::DependenciaCode::parse(code).ok());
    let full_name = person
        .full_name
        .as_ref()
        .map_or(username.as_str(), FullName::as_str);
    let row = state
        .store
        .upsert_directory_user(&DirectoryUser {
            username: username.as_str(),
            full_name,
            role: person.role.as_str(),
            email: person.email.as_ref().map(Email::as_str),
            dependencia: dependencia.as_ref().map(|code| code.as_str()),
        })
        .await?;
    if let (Some(before), Some(row)) = (&before, &row)
        && before.role != row.role
    {
        // What its phones may sync changed with its role: they reconnect with the new one.
        state.store.delete_sync_tokens_of(&row.id).await?;
        state.documents.disconnect_user(&row.id);
    }
    if before.is_none()
        && let Some(row) = &row
    {
        tracing::info!(user_id = %row.id, role = %row.role, "directory account created");
    }
    Ok(row)
}

async fn logout(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Response> {
    // Deleting the session revokes its sync tokens too (they reference it).
    state.store.delete_session(&user.session).await?;
    state.documents.disconnect_session(&user.session);
    let cookie = state.cookie.clear();
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

async fn me(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<UserView>> {
    let row = state
        .store
        .user_by_id(&user.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Json(row.into()))
}

#[derive(Deserialize)]
struct ListQuery {
    role: Option<String>,
}

async fn list_users(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<UserView>>> {
    user.require(&[Role::Coordinador])?;
    let role = query.role.as_deref().map(parse_role).transpose()?;
    let rows = state.store.list_users(role.map(|r| r.as_str())).await?;
    Ok(Json(rows.into_iter().map(UserView::from).collect()))
}

async fn get_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<UserView>> {
    user.require(&[Role::Coordinador])?;
    let row = state
        .store
        .user_by_id(&id)
        .await?
        .ok_or_else(no_such_user)?;
    Ok(Json(row.into()))
}

fn no_such_user() -> AppError {
    AppError::NotFound("No existe ese usuario.".into())
}

fn parse_role(raw: &str) -> Result<Role, AppError> {
    raw.parse::<Role>()
        .map_err(|e| AppError::Validation(vec![FieldError::new("role", e.to_string())]))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUserBody {
    username: String,
    full_name: String,
    role: String,
    password: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    dependencia: Option<String>,
}

/// Collects every field error of a form instead of stopping at the first.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

fn optional<T>(
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => parse(value).map(Some),
    }
}

fn parse_dependencia(raw: &str) -> Result<String, FieldError> {
    campo_shared::ids::DependenciaCode::parse(raw)
        .map(|c| c.as_str().to_owned())
        .map_err(|e| FieldError::new("dependencia", e.to_string()))
}

fn role_field(raw: &str) -> Result<Role, FieldError> {
    raw.parse::<Role>()
        .map_err(|e| FieldError::new("role", e.to_string()))
}

fn unknown_dependencia() -> AppError {
    AppError::Validation(vec![FieldError::new(
        "dependencia",
        "No existe esa dependencia. Consulte la lista en /api/dependencias.",
    )])
}

async fn create_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<CreateUserBody>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    user.require(&[Role::Coordinador])?;
    let mut errors = Errors::default();
    let username = errors.check(Username::parse(&body.username));
    let full_name = errors.check(FullName::parse(&body.full_name));
    let role = errors.check(role_field(&body.role));
    let password = errors.check(NewPassword::parse(&body.password));
    let email = errors
        .check(optional(body.email.as_deref(), Email::parse))
        .flatten();
    let dependencia = errors
        .check(optional(body.dependencia.as_deref(), parse_dependencia))
        .flatten();
    errors.finish()?;
    let (Some(username), Some(full_name), Some(role), Some(password)) =
        (username, full_name, role, password)
    else {
        unreachable!("every required field parsed when there are no errors");
    };
    let password_hash = state.passwords.hash(password.expose()).await?;
    let new = NewUser {
        username: username.as_str(),
        full_name: full_name.as_str(),
        role: role.as_str(),
        dependencia: dependencia.as_deref(),
        email: email.as_ref().map(Email::as_str),
        password_hash: &password_hash,
    };
    match state.store.insert_user(&new).await {
        Ok(row) => {
            tracing::info!(by = %user.id, new_user = %row.id, "user created");
            Ok((StatusCode::CREATED, Json(row.into())))
        }
        Err(StoreError::Duplicate(_)) => Err(AppError::Conflict(format!(
            "Ya existe el usuario «{}». Elija otro nombre de usuario.",
            username.as_str()
        ))),
        Err(StoreError::MissingReference(_)) => Err(unknown_dependencia()),
        Err(err) => Err(err.into()),
    }
}

/// `Some(None)` for an explicit `null`, `None` for an absent field.
fn nullable<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(de).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateUserBody {
    full_name: Option<String>,
    role: Option<String>,
    password: Option<String>,
    active: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    dependencia: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    document: Option<Option<String>>,
}

/// An identity document number: 4 to 20 letters and digits (a cédula, a passport), without dots
/// or spaces.
pub(crate) fn parse_document(raw: &str) -> Result<String, FieldError> {
    let document: String = raw
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | '-'))
        .collect();
    if (4..=20).contains(&document.len()) && document.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(document.to_ascii_uppercase())
    } else {
        Err(FieldError::new(
            "document",
            "El número de documento debe tener de 4 a 20 letras o dígitos.",
        ))
    }
}

async fn update_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<UpdateUserBody>,
) -> ApiResult<Json<UserView>> {
    user.require(&[Role::Coordinador])?;
    let current = state
        .store
        .user_by_id(&id)
        .await?
        .ok_or_else(no_such_user)?;
    let mut errors = Errors::default();
    let full_name = body
        .full_name
        .as_deref()
        .and_then(|n| errors.check(FullName::parse(n)));
    let role = body
        .role
        .as_deref()
        .and_then(|r| errors.check(role_field(r)));
    let password = body
        .password
        .as_deref()
        .and_then(|p| errors.check(NewPassword::parse(p)));
    let email = body
        .email
        .map(|e| errors.check(optional(e.as_deref(), Email::parse)).flatten());
    let dependencia = body.dependencia.map(|d| {
        errors
            .check(optional(d.as_deref(), parse_dependencia))
            .flatten()
    });
    let document = body.document.map(|d| {
        errors
            .check(optional(d.as_deref(), parse_document))
            .flatten()
    });
    errors.finish()?;
    if current.directory && password.is_some() {
        return Err(AppError::Conflict(format!(
            "La cuenta «{}» es del directorio de la entidad: su contraseña se cambia en el \
             directorio, no en Campo.",
            current.username
        )));
    }

    // The organisation must keep at least one active coordinator, or nobody could administer it.
    let loses_coordinator = current.role == Role::Coordinador.as_str()
        && current.active
        && (body.active == Some(false) || role.is_some_and(|r| r != Role::Coordinador));
    if loses_coordinator && state.store.count_active_coordinators().await? <= 1 {
        return Err(AppError::Conflict(
            "Es el único coordinador activo: cree o active otro coordinador antes de desactivarlo o cambiar su rol.".into(),
        ));
    }
    let changes_password = password.is_some();
    let password_hash = match password {
        Some(p) => Some(state.passwords.hash(p.expose()).await?),
        None => None,
    };
    let changes = UserChanges {
        full_name: full_name.map(|n| n.as_str().to_owned()),
        role: role.map(|r| r.as_str().to_owned()),
        dependencia,
        email: email.map(|e| e.map(|e| e.as_str().to_owned())),
        document,
        password_hash,
        active: body.active,
    };
    match state.store.update_user(&id, changes).await {
        Ok(Some(row)) => {
            tracing::info!(by = %user.id, user_id = %row.id, active = row.active, "user updated");
            let new_password = changes_password;
            if !row.active || row.role != current.role || new_password {
                // Its phones stop syncing now; they reconnect (or not) with what it may do now.
                // A new password or deactivation ended its sessions, and their sync tokens.
                if row.role != current.role {
                    state.store.delete_sync_tokens_of(&row.id).await?;
                }
                state.documents.disconnect_user(&row.id);
            }
            Ok(Json(row.into()))
        }
        Ok(None) => Err(no_such_user()),
        Err(StoreError::MissingReference(_)) => Err(unknown_dependencia()),
        Err(StoreError::Duplicate(_)) => Err(AppError::Conflict(
            "Ese número de documento ya es de otra cuenta. Revíselo.".into(),
        )),
        Err(err) => Err(err.into()),
    }
}
