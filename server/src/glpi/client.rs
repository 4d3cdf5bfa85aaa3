//! GLPI's REST API (`apirest.php`), the calls the bridge makes, as GLPI's own documentation
//! describes them (`apirest.md` of GLPI 10.0): `initSession` with the App-Token and the user's
//! remote-access key, `search/Ticket` with criteria, the ticket's requesters
//! (`Ticket/:id/Ticket_User`), a user and its e-mails (`User/:id`, `User/:id/UserEmail`), adding
//! an `ITILFollowup` and an `ITILSolution`, and `killSession`.
//!
//! Every answer is checked: a status GLPI's documentation does not give for success, or a body
//! that is not the JSON it describes, is an error that names the call, never a panic or a guess.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tokio_rustls::rustls;

use crate::config::GlpiConfig;

/// How long one call may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Tickets asked for per page of a search (GLPI's default page is 0-49).
pub const PAGE: usize = 50;
/// The largest answer read from GLPI; anything longer is not a page of tickets.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The search options of a Ticket (GLPI's `listSearchOptions/Ticket`).
mod field {
    pub const NAME: &str = "1";
    pub const ID: &str = "2";
    pub const CATEGORY: &str = "7";
    pub const STATUS: &str = "12";
    pub const DATE: &str = "15";
    pub const CONTENT: &str = "21";
    pub const ENTITY: &str = "80";
    pub const LOCATION: &str = "83";
}

/// GLPI's status of a ticket nobody has taken yet («Nuevo»).
const STATUS_NEW: &str = "1";
/// The `type` of a ticket's actor that is its requester.
const REQUESTER: i64 = 1;

/// A new GLPI ticket, as the search shows it.
#[derive(Debug, Clone)]
pub struct GlpiTicket {
    pub id: i64,
    pub title: String,
    /// The description, as GLPI stores it (HTML, often entity-encoded).
    pub content: String,
    pub category: Option<String>,
    pub location: Option<String>,
    pub opened: Option<String>,
}

/// A ticket's requester in GLPI.
#[derive(Debug, Clone, Default)]
pub struct GlpiRequester {
    /// The GLPI login (`name`).
    pub login: Option<String>,
    pub emails: Vec<String>,
}

/// An open session with GLPI.
pub struct Session {
    http: reqwest::Client,
    config: Arc<GlpiConfig>,
    token: String,
}

/// The HTTP client: TLS with the webpki roots, as the other connections of Campo.
fn http() -> anyhow::Result<reqwest::Client> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Campo/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")
}

/// Reads a body of at most [`MAX_BODY`] bytes.
async fn body(mut response: reqwest::Response) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > MAX_BODY {
            bail!("GLPI answered more than {MAX_BODY} bytes");
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// GLPI's errors are `["ERROR_CODE", "message"]`; anything else is shown cut short.
fn error_text(bytes: &[u8]) -> String {
    if let Ok(Value::Array(parts)) = serde_json::from_slice::<Value>(bytes) {
        let parts: Vec<String> = parts
            .iter()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect();
        if !parts.is_empty() {
            return parts.join(": ");
        }
    }
    String::from_utf8_lossy(bytes).chars().take(200).collect()
}

impl Session {
    /// `GET initSession` with the user's remote-access key (and the App-Token when there is one).
    pub async fn open(config: Arc<GlpiConfig>) -> anyhow::Result<Self> {
        #[derive(Deserialize)]
        struct Opened {
            session_token: String,
        }
        let http = http()?;
        let mut request = http
            .get(format!("{}/initSession", config.url))
            .header("Content-Type", "application/json")
            .header("Authorization", format!("user_token {}", config.user_token));
        if let Some(app) = &config.app_token {
            request = request.header("App-Token", app);
        }
        let response = request.send().await.context("GLPI initSession")?;
        let status = response.status();
        let bytes = body(response).await.context("GLPI initSession")?;
        if status != StatusCode::OK {
            bail!("GLPI initSession answered {status}: {}", error_text(&bytes));
        }
        let opened: Opened = serde_json::from_slice(&bytes)
            .map_err(|_| anyhow!("GLPI initSession answered without a session_token"))?;
        if opened.session_token.is_empty() || !opened.session_token.is_ascii() {
            bail!("GLPI initSession answered an unusable session_token");
        }
        Ok(Self {
            http,
            config,
            token: opened.session_token,
        })
    }

    /// One call with the session's headers; the answer's JSON when its status is one of `ok`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        json: Option<&Value>,
        ok: &[StatusCode],
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}/{path}", self.config.url))
            .query(query)
            .header("Content-Type", "application/json")
            .header("Session-Token", &self.token);
        if let Some(app) = &self.config.app_token {
            request = request.header("App-Token", app);
        }
        if let Some(json) = json {
            request = request.body(json.to_string());
        }
        let what = format!("GLPI {method} {path}");
        let response = request.send().await.with_context(|| what.clone())?;
        let status = response.status();
        let bytes = body(response).await.with_context(|| what.clone())?;
        if !ok.contains(&status) {
            bail!("{what} answered {status}: {}", error_text(&bytes));
        }
        serde_json::from_slice(&bytes).map_err(|_| anyhow!("{what} answered something not JSON"))
    }

    /// The new tickets (status «Nuevo») of the configured entity and category, by id, every
    /// page of them.
    pub async fn new_tickets(&self) -> anyhow::Result<Vec<GlpiTicket>> {
        let mut criteria = vec![(field::STATUS, STATUS_NEW.to_owned())];
        if let Some(entity) = self.config.entity {
            criteria.push((field::ENTITY, entity.to_string()));
        }
        if let Some(category) = self.config.category {
            criteria.push((field::CATEGORY, category.to_string()));
        }
        let mut query = Vec::new();
        for (i, (field, value)) in criteria.iter().enumerate() {
            if i > 0 {
                query.push((format!("criteria[{i}][link]"), "AND".to_owned()));
            }
            query.push((format!("criteria[{i}][field]"), (*field).to_owned()));
            query.push((format!("criteria[{i}][searchtype]"), "equals".to_owned()));
            query.push((format!("criteria[{i}][value]"), value.clone()));
        }
        let shown = [
            field::ID,
            field::NAME,
            field::CONTENT,
            field::CATEGORY,
            field::LOCATION,
            field::DATE,
        ];
        for (i, f) in shown.iter().enumerate() {
            query.push((format!("forcedisplay[{i}]"), (*f).to_owned()));
        }
        query.push(("sort".to_owned(), field::ID.to_owned()));
        query.push(("order".to_owned(), "ASC".to_owned()));
        let mut tickets = Vec::new();
        let mut start = 0;
        loop {
            let mut page = query.clone();
            page.push(("range".to_owned(), format!("{start}-{}", start + PAGE - 1)));
            let answer = self
                .call(
                    Method::GET,
                    "search/Ticket",
                    &page,
                    None,
                    &[StatusCode::OK, StatusCode::PARTIAL_CONTENT],
                )
                .await?;
            let total = answer
                .get("totalcount")
                .and_then(number)
                .ok_or_else(|| anyhow!("GLPI search/Ticket answered without totalcount"))?;
            let rows = rows(&answer)?;
            let got = rows.len();
            for row in rows {
                tickets.push(ticket(row)?);
            }
            start += PAGE;
            if got == 0 || start as i64 >= total {
                break;
            }
        }
        Ok(tickets)
    }

    /// The ticket's requester: the first user of type requester, with its login and e-mails;
    /// or only the e-mail GLPI keeps for a requester who is not a GLPI user.
    pub async fn requester(&self, ticket: i64) -> anyhow::Result<GlpiRequester> {
        let actors = self
            .call(
                Method::GET,
                &format!("Ticket/{ticket}/Ticket_User"),
                &[],
                None,
                &[StatusCode::OK, StatusCode::PARTIAL_CONTENT],
            )
            .await?;
        let actors = actors
            .as_array()
            .ok_or_else(|| anyhow!("GLPI Ticket_User answered something not a list"))?;
        let Some(actor) = actors
            .iter()
            .find(|a| a.get("type").and_then(number) == Some(REQUESTER))
        else {
            return Ok(GlpiRequester::default());
        };
        let mut requester = GlpiRequester::default();
        if let Some(email) = actor.get("alternative_email").and_then(text) {
            requester.emails.push(email);
        }
        let user = actor.get("users_id").and_then(number).unwrap_or(0);
        if user <= 0 {
            return Ok(requester);
        }
        let found = self
            .call(
                Method::GET,
                &format!("User/{user}"),
                &[],
                None,
                &[StatusCode::OK],
            )
            .await?;
        requester.login = found.get("name").and_then(text);
        let emails = self
            .call(
                Method::GET,
                &format!("User/{user}/UserEmail"),
                &[],
                None,
                &[StatusCode::OK, StatusCode::PARTIAL_CONTENT],
            )
            .await?;
        if let Some(emails) = emails.as_array() {
            // The default address first.
            let mut listed: Vec<(bool, String)> = emails
                .iter()
                .filter_map(|e| {
                    let default = e.get("is_default").and_then(number) == Some(1);
                    e.get("email").and_then(text).map(|email| (!default, email))
                })
                .collect();
            listed.sort();
            requester.emails.extend(listed.into_iter().map(|(_, e)| e));
        }
        Ok(requester)
    }

    /// Adds a public follow-up to the ticket.
    pub async fn add_followup(&self, ticket: i64, content: &str) -> anyhow::Result<()> {
        let input = serde_json::json!({"input": {
            "itemtype": "Ticket", "items_id": ticket, "content": content, "is_private": 0,
        }});
        self.add("ITILFollowup", &input).await
    }

    /// Adds the solution to the ticket (GLPI then marks it solved).
    pub async fn add_solution(&self, ticket: i64, content: &str) -> anyhow::Result<()> {
        let input = serde_json::json!({"input": {
            "itemtype": "Ticket", "items_id": ticket, "content": content,
        }});
        self.add("ITILSolution", &input).await
    }

    /// `POST :itemtype` answers 201 with the new item's `id`.
    async fn add(&self, itemtype: &str, input: &Value) -> anyhow::Result<()> {
        let answer = self
            .call(
                Method::POST,
                itemtype,
                &[],
                Some(input),
                &[StatusCode::CREATED],
            )
            .await?;
        match answer.get("id").and_then(number) {
            Some(id) if id > 0 => Ok(()),
            _ => bail!("GLPI POST {itemtype} answered without the new item's id"),
        }
    }

    /// `GET killSession`; a failure only leaves the session to expire in GLPI.
    pub async fn close(self) {
        let mut request = self
            .http
            .get(format!("{}/killSession", self.config.url))
            .header("Content-Type", "application/json")
            .header("Session-Token", &self.token);
        if let Some(app) = &self.config.app_token {
            request = request.header("App-Token", app);
        }
        match request.send().await {
            Ok(response) if response.status() == StatusCode::OK => {}
            Ok(response) => tracing::warn!(status = %response.status(), "GLPI killSession"),
            Err(err) => tracing::warn!(%err, "GLPI killSession"),
        }
    }
}

/// The rows of a search: GLPI gives a list of rows, or (with `withindexes`) an object of rows
/// by id.
fn rows(answer: &Value) -> anyhow::Result<Vec<&serde_json::Map<String, Value>>> {
    let rows: Vec<&Value> = match answer.get("data") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(rows)) => rows.iter().collect(),
        Some(Value::Object(rows)) => rows.values().collect(),
        Some(_) => bail!("GLPI search/Ticket answered data that is not a list of rows"),
    };
    rows.into_iter()
        .map(|row| {
            row.as_object()
                .ok_or_else(|| anyhow!("GLPI search/Ticket answered a row that is not an object"))
        })
        .collect()
}

fn ticket(row: &serde_json::Map<String, Value>) -> anyhow::Result<GlpiTicket> {
    let id = row
        .get(field::ID)
        .and_then(number)
        .filter(|id| *id > 0)
        .ok_or_else(|| anyhow!("GLPI search/Ticket answered a row without its id"))?;
    Ok(GlpiTicket {
        id,
        title: row.get(field::NAME).and_then(text).unwrap_or_default(),
        content: row.get(field::CONTENT).and_then(text).unwrap_or_default(),
        category: row.get(field::CATEGORY).and_then(text),
        location: row.get(field::LOCATION).and_then(text),
        opened: row.get(field::DATE).and_then(text),
    })
}

/// A number GLPI gives as a number or as a string of digits.
fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A non-empty text.
fn text(value: &Value) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}
