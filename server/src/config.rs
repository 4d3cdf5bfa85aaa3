//! Configuration, from flags and the environment (`CAMPO_LISTEN`, `CAMPO_DATA_DIR`, `DATABASE_URL`,
//! `CAMPO_PUBLIC_URL`, `CAMPO_PWA_DIR`, `CAMPO_SMTP_URL`, `CAMPO_SMTP_FROM`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the server needs to know at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory for the SQLite database and, later, the photos.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The address people use to reach Campo (`https://campo.example.gov.co`). When it is HTTPS,
    /// cookies get `Secure` and the `__Host-` prefix; it is also the origin that state-changing
    /// requests must come from. Without it the origin must match the request's `Host`.
    pub public_url: Option<String>,
    /// The built PWA that the server serves (see [`crate::web`]).
    pub pwa_dir: PathBuf,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after login, used or not.
    pub session_absolute: Duration,
    /// The mail server notifications go through (`smtp://host:25`, `smtps://user:pass@host`);
    /// without it they are only recorded and shown in the app.
    pub smtp_url: Option<String>,
    /// The sender of the notifications (`Campo <campo@example.gov.co>`).
    pub smtp_from: Option<String>,
}

impl Config {
    /// True when Campo is reached over HTTPS.
    pub fn https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// Defaults for tests and embedding: SQLite in `data_dir`, port chosen by the caller.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: crate::store::Store::default_url(&data_dir),
            data_dir,
            public_url: None,
            pwa_dir: PathBuf::from(crate::web::DEFAULT_PWA_DIR),
            session_idle: DEFAULT_SESSION_IDLE,
            session_absolute: DEFAULT_SESSION_ABSOLUTE,
            smtp_url: None,
            smtp_from: None,
        }
    }
}

/// Twelve hours: a technician's working day, plus margin, without a new login.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(12 * 3600);
/// Seven days: a session never outlives a week, however often it is used.
pub const DEFAULT_SESSION_ABSOLUTE: Duration = Duration::from_secs(7 * 24 * 3600);
