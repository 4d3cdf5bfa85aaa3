//! A stand-in for GLPI's REST API, for the bridge's tests: no GLPI can run here. It answers the
//! calls Campo makes as GLPI's own documentation describes them (`apirest.md` of GLPI 10.0, the
//! page `apirest.php` serves): `initSession` (the `user_token` in `Authorization`, the
//! `App-Token`), `search/Ticket` (criteria, `range`, `totalcount`, 200 or 206), a ticket's
//! `Ticket_User`, `User/:id` and its `UserEmail`, adding `ITILFollowup` and `ITILSolution` (201
//! with the new `id`), `killSession`; errors as `["ERROR_…", "message"]` with 400 or 401. It
//! keeps what it was sent so the tests can read it, and can be told to fail.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub const APP_TOKEN: &str = "app-token-de-prueba";
pub const USER_TOKEN: &str = "clave-remota-de-prueba";

/// A GLPI ticket as the stand-in keeps it.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: i64,
    pub name: String,
    pub content: String,
    /// 1 new, 2 processing (assigned), 5 solved, 6 closed.
    pub status: i64,
    pub entity: i64,
    pub category: Option<(i64, String)>,
    pub location: Option<String>,
    /// The requester: a GLPI user id, or an e-mail only.
    pub requester: Requester,
}

#[derive(Debug, Clone)]
pub enum Requester {
    User(i64),
    Email(String),
}

/// A GLPI user: login and e-mails.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub emails: Vec<String>,
}

/// How the stand-in misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Every call answers 500 with an HTML page.
    ServerError,
    /// The search answers 200 with a body that is not JSON.
    Garbage,
    /// Adding a follow-up or a solution answers 500.
    WriteBackFails,
}

#[derive(Debug, Default)]
struct Data {
    tickets: BTreeMap<i64, Ticket>,
    users: BTreeMap<i64, User>,
    sessions: Vec<String>,
    killed: usize,
    /// `(itemtype, ticket id, content)` of every follow-up and solution added.
    added: Vec<(String, i64, String)>,
    fault: Option<Fault>,
    next_id: i64,
}

/// The stand-in, listening on 127.0.0.1.
#[derive(Clone)]
pub struct Glpi {
    data: Arc<Mutex<Data>>,
    pub address: SocketAddr,
}

impl Glpi {
    pub async fn start() -> Self {
        let data = Arc::new(Mutex::new(Data {
            next_id: 1000,
            ..Data::default()
        }));
        let app = Router::new()
            .route("/apirest.php/initSession", get(init_session))
            .route("/apirest.php/killSession", get(kill_session))
            .route("/apirest.php/search/Ticket", get(search))
            .route("/apirest.php/Ticket/{id}/Ticket_User", get(ticket_users))
            .route("/apirest.php/User/{id}", get(user))
            .route("/apirest.php/User/{id}/UserEmail", get(user_emails))
            .route("/apirest.php/{itemtype}", post(add))
            .with_state(data.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { data, address }
    }

    /// The URL of its API, as `CAMPO_GLPI_URL` takes it.
    pub fn url(&self) -> String {
        format!("http://{}/apirest.php", self.address)
    }

    pub fn add_user(&self, user: User) {
        self.data.lock().unwrap().users.insert(user.id, user);
    }

    pub fn add_ticket(&self, ticket: Ticket) {
        self.data.lock().unwrap().tickets.insert(ticket.id, ticket);
    }

    pub fn set_fault(&self, fault: Fault) {
        self.data.lock().unwrap().fault = Some(fault);
    }

    /// The follow-ups and solutions added: `(itemtype, ticket id, content)`.
    pub fn added(&self) -> Vec<(String, i64, String)> {
        self.data.lock().unwrap().added.clone()
    }

    /// Sessions opened and sessions killed.
    pub fn sessions(&self) -> (usize, usize) {
        let data = self.data.lock().unwrap();
        (data.sessions.len(), data.killed)
    }
}

type Shared = Arc<Mutex<Data>>;

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!([code, message]))).into_response()
}

fn fault(data: &Data) -> Option<Response> {
    (data.fault == Some(Fault::ServerError)).then(|| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "<html><body>Internal Server Error</body></html>",
        )
            .into_response()
    })
}

/// The session's check, as every call but `initSession` makes it: the refusal, if any.
fn refused(data: &Data, headers: &HeaderMap) -> Option<Response> {
    if headers.get("App-Token").and_then(|v| v.to_str().ok()) != Some(APP_TOKEN) {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "ERROR_WRONG_APP_TOKEN_PARAMETER",
            "parameter app_token seems wrong",
        ));
    }
    let token = headers.get("Session-Token").and_then(|v| v.to_str().ok());
    match token {
        Some(token) if data.sessions.iter().any(|s| s == token) => None,
        _ => Some(error(
            StatusCode::UNAUTHORIZED,
            "ERROR_SESSION_TOKEN_INVALID",
            "session_token seems invalid",
        )),
    }
}

async fn init_session(State(data): State<Shared>, headers: HeaderMap) -> Response {
    let mut data = data.lock().unwrap();
    if let Some(response) = fault(&data) {
        return response;
    }
    if headers.get("App-Token").and_then(|v| v.to_str().ok()) != Some(APP_TOKEN) {
        return error(
            StatusCode::BAD_REQUEST,
            "ERROR_WRONG_APP_TOKEN_PARAMETER",
            "parameter app_token seems wrong",
        );
    }
    let authorization = headers.get("Authorization").and_then(|v| v.to_str().ok());
    if authorization != Some(&format!("user_token {USER_TOKEN}")) {
        return error(
            StatusCode::UNAUTHORIZED,
            "ERROR_GLPI_LOGIN_USER_TOKEN",
            "parameter user_token seems invalid",
        );
    }
    let token = format!("sesion{:032}", data.sessions.len() + 1);
    data.sessions.push(token.clone());
    axum::Json(json!({"session_token": token})).into_response()
}

async fn kill_session(State(data): State<Shared>, headers: HeaderMap) -> Response {
    let mut data = data.lock().unwrap();
    if let Some(response) = refused(&data, &headers) {
        return response;
    }
    let token = headers["Session-Token"].to_str().unwrap().to_owned();
    data.sessions.retain(|s| *s != token);
    data.killed += 1;
    StatusCode::OK.into_response()
}

async fn search(
    State(data): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let data = data.lock().unwrap();
    if let Some(response) = fault(&data) {
        return response;
    }
    if let Some(response) = refused(&data, &headers) {
        return response;
    }
    if data.fault == Some(Fault::Garbage) {
        return (
            StatusCode::OK,
            "<?php Warning: mysqli::query(): … {\"totalcount\":",
        )
            .into_response();
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // criteria[i][field] equals criteria[i][value], every one of them (AND).
    let mut criteria = Vec::new();
    for i in 0.. {
        let Some(field) = param(&format!("criteria[{i}][field]")) else {
            break;
        };
        if param(&format!("criteria[{i}][searchtype]")) != Some("equals") {
            return error(StatusCode::BAD_REQUEST, "ERROR", "only equals here");
        }
        let value: i64 = param(&format!("criteria[{i}][value]"))
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1);
        criteria.push((field.to_owned(), value));
    }
    let matching: Vec<&Ticket> = data
        .tickets
        .values()
        .filter(|t| {
            criteria.iter().all(|(field, value)| match field.as_str() {
                "12" => t.status == *value,
                "80" => t.entity == *value,
                "7" => t.category.as_ref().map(|c| c.0) == Some(*value),
                _ => false,
            })
        })
        .collect();
    let (start, end) = param("range")
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
        .unwrap_or((0, 49));
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(end + 1 - start)
        .map(|t| {
            // Entity, name and id are always shown; values as GLPI gives them (names, HTML).
            json!({
                "2": t.id,
                "1": t.name,
                "80": format!("Entidad raíz > Entidad {}", t.entity),
                "21": t.content,
                "7": t.category.as_ref().map(|c| c.1.clone()),
                "83": t.location,
                "15": "2026-12-04 09:30:00",
            })
        })
        .collect();
    let total = matching.len();
    let status = if start + page.len() < total {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let last = (start + page.len()).saturating_sub(1);
    (
        status,
        [("Content-Range", format!("{start}-{last}/{total}"))],
        axum::Json(json!({
            "totalcount": total,
            "count": page.len(),
            "sort": ["2"],
            "order": ["ASC"],
            "data": page,
        })),
    )
        .into_response()
}

async fn ticket_users(
    State(data): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let data = data.lock().unwrap();
    if let Some(response) = refused(&data, &headers) {
        return response;
    }
    let Some(ticket) = data.tickets.get(&id) else {
        return error(StatusCode::NOT_FOUND, "ERROR_ITEM_NOT_FOUND", "not found");
    };
    let requester = match &ticket.requester {
        Requester::User(user) => json!({"id": id * 10, "tickets_id": id, "users_id": user,
                                         "type": 1, "use_notification": 1, "alternative_email": ""}),
        Requester::Email(email) => json!({"id": id * 10, "tickets_id": id, "users_id": 0,
                                          "type": 1, "use_notification": 1,
                                          "alternative_email": email}),
    };
    // The technician assigned (type 2) comes first, as GLPI may list it.
    axum::Json(json!([
        {"id": id * 10 + 1, "tickets_id": id, "users_id": 2, "type": 2,
         "use_notification": 1, "alternative_email": ""},
        requester
    ]))
    .into_response()
}

async fn user(State(data): State<Shared>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let data = data.lock().unwrap();
    if let Some(response) = refused(&data, &headers) {
        return response;
    }
    match data.users.get(&id) {
        Some(user) => axum::Json(json!({"id": user.id, "name": user.login,
                                         "realname": "", "firstname": "", "is_active": 1}))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, "ERROR_ITEM_NOT_FOUND", "not found"),
    }
}

async fn user_emails(
    State(data): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let data = data.lock().unwrap();
    if let Some(response) = refused(&data, &headers) {
        return response;
    }
    let Some(user) = data.users.get(&id) else {
        return error(StatusCode::NOT_FOUND, "ERROR_ITEM_NOT_FOUND", "not found");
    };
    let emails: Vec<Value> = user
        .emails
        .iter()
        .enumerate()
        .map(|(i, email)| {
            json!({"id": id * 100 + i as i64, "users_id": id, "email": email,
                   "is_default": i64::from(i == 0), "is_dynamic": 0})
        })
        .collect();
    axum::Json(Value::Array(emails)).into_response()
}

async fn add(
    State(data): State<Shared>,
    headers: HeaderMap,
    Path(itemtype): Path<String>,
    body: String,
) -> Response {
    let mut data = data.lock().unwrap();
    if let Some(response) = fault(&data) {
        return response;
    }
    if let Some(response) = refused(&data, &headers) {
        return response;
    }
    if data.fault == Some(Fault::WriteBackFails) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    if itemtype != "ITILFollowup" && itemtype != "ITILSolution" {
        return error(
            StatusCode::BAD_REQUEST,
            "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM",
            "",
        );
    }
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "ERROR_JSON_PAYLOAD_INVALID", "");
    };
    let input = &body["input"];
    let (Some("Ticket"), Some(ticket), Some(content)) = (
        input["itemtype"].as_str(),
        input["items_id"].as_i64(),
        input["content"].as_str(),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "ERROR_BAD_ARRAY",
            "input incomplete",
        );
    };
    if !data.tickets.contains_key(&ticket) {
        return error(StatusCode::BAD_REQUEST, "ERROR_GLPI_ADD", "no such ticket");
    }
    if itemtype == "ITILSolution"
        && let Some(t) = data.tickets.get_mut(&ticket)
    {
        t.status = 5;
    }
    data.added
        .push((itemtype.clone(), ticket, content.to_owned()));
    data.next_id += 1;
    let id = data.next_id;
    (
        StatusCode::CREATED,
        [("Location", format!("/apirest.php/{itemtype}/{id}"))],
        axum::Json(json!({"id": id, "message": ""})),
    )
        .into_response()
}
