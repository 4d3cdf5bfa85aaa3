//! The configuration of Campo: every setting, read once at start from the command line's flags and
//! the environment (a flag wins over its variable), each with its default, into one [`Config`].
//! A bad value stops the start with a Spanish sentence that names the variable and says what is
//! expected; `campo config` prints the result without passwords. The table of every variable, for
//! people, is in `docs/operacion.md`.
//!
//! [`Config::from_lookup`] reads through a function from a variable's name to its value, so tests
//! never touch the process environment; [`Config::load`] is that function over the real flags and
//! environment, and the only place Campo reads its configuration from the environment.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;

use crate::sync::Limits;

mod integrations;
mod proxies;

pub use integrations::{GlpiConfig, LdapConfig, NoticesConfig};
use integrations::{read_glpi, read_ldap, read_notices};
pub use proxies::TrustedProxies;

/// Everything the server needs to know at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on (`CAMPO_LISTEN`).
    pub listen: SocketAddr,
    /// Directory for the SQLite database and the photos (`CAMPO_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `sqlite:…` or `postgres://…` (`DATABASE_URL`).
    pub database_url: String,
    /// Where photo bytes are kept (`CAMPO_PHOTO_STORE`).
    pub photo_store: PhotoStore,
    /// The address people use to reach Campo (`https://campo.example.gov.co`, `CAMPO_PUBLIC_URL`).
    /// When it is HTTPS, cookies get `Secure` and the `__Host-` prefix; it is also the origin that
    /// state-changing requests must come from. Without it the origin must match the request's
    /// `Host`.
    pub public_url: Option<String>,
    /// The built PWA that the server serves (see [`crate::web`], `CAMPO_PWA_DIR`).
    pub pwa_dir: PathBuf,
    /// A session unused for this long ends (`CAMPO_SESSION_IDLE_MINUTES`).
    pub session_idle: Duration,
    /// A session ends this long after login, used or not (`CAMPO_SESSION_MAX_DAYS`).
    pub session_absolute: Duration,
    /// The mail server notifications go through (`smtp://host:25`, `smtps://user:pass@host`,
    /// `CAMPO_SMTP_URL`); without it they are only recorded and shown in the app. When it is set,
    /// `smtp_from` is too.
    pub smtp_url: Option<String>,
    /// The sender of the notifications (`Campo <campo@example.gov.co>`, `CAMPO_SMTP_FROM`).
    pub smtp_from: Option<Mailbox>,
    /// The mailbox requests arrive in by e-mail (`imap://user:password@host:port/FOLDER` or
    /// `imaps://…`, `CAMPO_IMAP_URL`); without it no mail is collected (see [`crate::intake`]).
    pub imap: Option<ImapUrl>,
    /// How often the whole mailbox is read (`CAMPO_IMAP_POLL_SECS`); with IDLE, new messages
    /// are taken as they arrive.
    pub imap_poll: Duration,
    /// A message larger than this is not downloaded: its case is made from its headers
    /// (`CAMPO_IMAP_MAX_MESSAGE_BYTES`).
    pub imap_max_message_bytes: u32,
    /// The reverse proxies whose `X-Forwarded-For` tells the client's address; nobody by default
    /// (`CAMPO_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// The organisation named on stickers and reports (`CAMPO_ORGANISATION`).
    pub organisation: String,
    /// The contact given to browsers' push services in every Web Push (`mailto:…` or
    /// `https://…`, `CAMPO_PUSH_SUBJECT`); `None`: see [`Config::push_subject`].
    pub push_subject: Option<String>,
    /// What one sync connection and one document may use (`CAMPO_SYNC_…`).
    pub sync_limits: Limits,
    /// The office's directory for logins (`CAMPO_LDAP_…`); `None` without `CAMPO_LDAP_URL`.
    pub ldap: Option<LdapConfig>,
    /// The office's GLPI, whose new tickets become cases (`CAMPO_GLPI_…`); `None` without
    /// `CAMPO_GLPI_URL`.
    pub glpi: Option<GlpiConfig>,
    /// The bearer token a monitoring server presents to read `GET /metrics`
    /// (`CAMPO_METRICS_TOKEN`); without it `/metrics` does not exist (see [`crate::metrics`]).
    pub metrics_token: Option<String>,
    /// How log lines are written on stderr (`CAMPO_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// Threads that run requests and sync messages (`CAMPO_WORKER_THREADS`); heavy work (large
    /// documents, PDFs, photos, password hashes) runs on threads of its own besides.
    pub worker_threads: usize,
    /// The schedule of the survey reminders and the other scheduled notifications.
    pub notices: NoticesConfig,
}

/// Where photo bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoStore {
    /// Files in `<CAMPO_DATA_DIR>/blobs` (`files`, the default).
    Files,
    /// The `blob_objects` table of PostgreSQL (`database`): replicas on several machines.
    Database,
}

impl PhotoStore {
    /// The variable's value for this store.
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoStore::Files => "files",
            PhotoStore::Database => "database",
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event (`text`, the default).
    Text,
    /// One JSON object per line, for a log collector (`json`).
    Json,
}

impl LogFormat {
    /// The variable's value for this format.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// `CAMPO_WORKER_THREADS` when unset: half the machine's cores, at least one. The other half is
/// left to PostgreSQL, usually on the same machine, and to the heavy work, which runs on threads
/// of its own. On two cores one thread runs everything else: a message then stays on the thread
/// that read it, where with two every message handed from one task to another could wake the
/// other thread, which costs more CPU than the message itself (see `docs/rendimiento.md`).
pub fn default_worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| (cores.get() / 2).max(1))
}

/// `CAMPO_LISTEN` when unset.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// `CAMPO_DATA_DIR` when unset, relative to the directory `campo` starts in.
pub const DEFAULT_DATA_DIR: &str = "./data";
/// `CAMPO_SESSION_IDLE_MINUTES` when unset: twelve hours, a technician's working day plus margin,
/// without a new login.
pub const DEFAULT_SESSION_IDLE_MINUTES: u32 = 12 * 60;
/// `CAMPO_SESSION_MAX_DAYS` when unset: a session never outlives a week, however often it is used.
pub const DEFAULT_SESSION_MAX_DAYS: u32 = 7;
/// `CAMPO_IMAP_POLL_SECS` when unset.
pub const DEFAULT_IMAP_POLL_SECS: u32 = 60;
/// `CAMPO_IMAP_MAX_MESSAGE_BYTES` when unset: 25 MiB, what most mail servers accept.
pub const DEFAULT_IMAP_MAX_MESSAGE_BYTES: u32 = 25 * 1024 * 1024;
/// `CAMPO_ORGANISATION` when unset.
pub const DEFAULT_ORGANISATION: &str = "Secretaría TIC";
/// `CAMPO_LDAP_USER_FILTER` when unset: OpenLDAP's `inetOrgPerson` naming.
pub const DEFAULT_LDAP_USER_FILTER: &str = "(uid={username})";
/// `CAMPO_LDAP_TIMEOUT_SECS` when unset: a login waits at most a few seconds for a directory
/// that does not answer.
pub const DEFAULT_LDAP_TIMEOUT_SECS: u32 = 5;
/// `CAMPO_LDAP_CHECK_SECS` when unset: someone removed from the directory loses its sessions
/// within five minutes.
pub const DEFAULT_LDAP_CHECK_SECS: u32 = 300;

/// `CAMPO_GLPI_SYNC_SECS` when unset: new GLPI tickets reach the board within five minutes.
pub const DEFAULT_GLPI_SYNC_SECS: u32 = 300;

/// The variables that a command-line flag may give instead, and that flag; errors name both.
/// [`StorageFlags::get`] and [`ServeFlags::get`] answer for exactly these (a test checks it).
pub const FLAGS: [(&str, &str); 10] = [
    ("CAMPO_DATA_DIR", "--data-dir"),
    ("DATABASE_URL", "--database-url"),
    ("CAMPO_LISTEN", "--listen"),
    ("CAMPO_PUBLIC_URL", "--public-url"),
    ("CAMPO_PWA_DIR", "--pwa-dir"),
    ("CAMPO_SESSION_IDLE_MINUTES", "--session-idle-minutes"),
    ("CAMPO_SESSION_MAX_DAYS", "--session-max-days"),
    ("CAMPO_SMTP_URL", "--smtp-url"),
    ("CAMPO_SMTP_FROM", "--smtp-from"),
    ("CAMPO_TRUSTED_PROXIES", "--trusted-proxies"),
];

/// The options every command takes (`campo --data-dir /var/lib/campo user add …`).
#[derive(Debug, Default, clap::Args)]
pub struct StorageFlags {
    /// Directorio de datos: la base SQLite y las fotos (CAMPO_DATA_DIR; por defecto ./data).
    #[arg(long, global = true, value_name = "DIRECTORIO")]
    pub data_dir: Option<String>,
    /// Base de datos: sqlite:… o postgres://… (DATABASE_URL; por defecto, SQLite en el directorio
    /// de datos).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
}

impl StorageFlags {
    /// The value given on the command line for `variable`.
    pub fn get(&self, variable: &str) -> Option<&str> {
        match variable {
            "CAMPO_DATA_DIR" => self.data_dir.as_deref(),
            "DATABASE_URL" => self.database_url.as_deref(),
            _ => None,
        }
    }
}

/// The options of `campo serve` and `campo config`.
#[derive(Debug, Default, clap::Args)]
pub struct ServeFlags {
    /// Dirección y puerto donde escucha (CAMPO_LISTEN; por defecto 127.0.0.1:8080).
    #[arg(long, value_name = "DIRECCIÓN:PUERTO")]
    pub listen: Option<String>,
    /// Dirección pública, https://campo.midominio.gov.co; con https las cookies son seguras
    /// (CAMPO_PUBLIC_URL).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Directorio de la aplicación web compilada (CAMPO_PWA_DIR; por defecto pwa/dist).
    #[arg(long, value_name = "DIRECTORIO")]
    pub pwa_dir: Option<String>,
    /// Minutos sin uso tras los que vence una sesión (CAMPO_SESSION_IDLE_MINUTES; por defecto 720).
    #[arg(long, value_name = "MINUTOS")]
    pub session_idle_minutes: Option<String>,
    /// Días tras los que vence una sesión aunque se use (CAMPO_SESSION_MAX_DAYS; por defecto 7).
    #[arg(long, value_name = "DÍAS")]
    pub session_max_days: Option<String>,
    /// Servidor de correo de las notificaciones, smtp://servidor:25 o
    /// smtps://usuario:clave@servidor (CAMPO_SMTP_URL); sin él, las notificaciones solo se
    /// muestran en la aplicación.
    #[arg(long, value_name = "URL")]
    pub smtp_url: Option<String>,
    /// Remitente de las notificaciones, «Campo <campo@midominio.gov.co>» (CAMPO_SMTP_FROM).
    #[arg(long, value_name = "CORREO")]
    pub smtp_from: Option<String>,
    /// Proxies inversos de confianza, direcciones IP o rangos CIDR separados por comas: solo de
    /// ellos se lee la dirección del cliente en X-Forwarded-For (CAMPO_TRUSTED_PROXIES; por
    /// defecto ninguno).
    #[arg(long, value_name = "LISTA")]
    pub trusted_proxies: Option<String>,
}

impl ServeFlags {
    /// The value given on the command line for `variable`.
    pub fn get(&self, variable: &str) -> Option<&str> {
        match variable {
            "CAMPO_LISTEN" => self.listen.as_deref(),
            "CAMPO_PUBLIC_URL" => self.public_url.as_deref(),
            "CAMPO_PWA_DIR" => self.pwa_dir.as_deref(),
            "CAMPO_SESSION_IDLE_MINUTES" => self.session_idle_minutes.as_deref(),
            "CAMPO_SESSION_MAX_DAYS" => self.session_max_days.as_deref(),
            "CAMPO_SMTP_URL" => self.smtp_url.as_deref(),
            "CAMPO_SMTP_FROM" => self.smtp_from.as_deref(),
            "CAMPO_TRUSTED_PROXIES" => self.trusted_proxies.as_deref(),
            _ => None,
        }
    }
}

/// Every invalid value found, one Spanish sentence each (all of them, so one start shows
/// everything to fix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The configuration from the command line's flags (those given win) and the process
    /// environment. Only `serve` and `config` take `serve`'s flags; the other commands read the
    /// same variables, so one environment file serves them all.
    pub fn load(storage: &StorageFlags, serve: Option<&ServeFlags>) -> Result<Self, ConfigError> {
        Self::from_flags_and(storage, serve, |variable| {
            std::env::var_os(variable).map(|value| value.to_string_lossy().into_owned())
        })
    }

    /// The configuration from the flags given and, for the others, `env`.
    pub fn from_flags_and(
        storage: &StorageFlags,
        serve: Option<&ServeFlags>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        Self::from_lookup(|variable| {
            storage
                .get(variable)
                .or_else(|| serve.and_then(|serve| serve.get(variable)))
                .map(str::to_owned)
                .or_else(|| env(variable))
        })
    }

    /// The configuration from `get`, which gives a variable's value by its name. An unset or
    /// empty variable takes its default; surrounding spaces are ignored.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut read = Reader {
            get,
            errors: Vec::new(),
        };
        let listen = read
            .optional("CAMPO_LISTEN", |text| {
                text.parse::<SocketAddr>().map_err(|_| {
                    invalid(
                        text,
                        "una dirección IP y un puerto, por ejemplo 127.0.0.1:8080 o 0.0.0.0:8080",
                    )
                })
            })
            .unwrap_or_else(|| {
                DEFAULT_LISTEN
                    .parse()
                    .expect("the default address is valid")
            });
        let data_dir = PathBuf::from(
            read.optional("CAMPO_DATA_DIR", |text| Ok(text.to_owned()))
                .unwrap_or_else(|| DEFAULT_DATA_DIR.to_owned()),
        );
        let database_url = read
            .optional("DATABASE_URL", |text| {
                if text.starts_with("sqlite:")
                    || text.starts_with("postgres://")
                    || text.starts_with("postgresql://")
                {
                    Ok(text.to_owned())
                } else {
                    Err(invalid(
                        &hide_password(text),
                        "una dirección sqlite:… o postgres://…, por ejemplo \
                         postgres://campo@127.0.0.1:5432/campo, o nada para usar SQLite en el \
                         directorio de datos",
                    ))
                }
            })
            .unwrap_or_else(|| crate::store::Store::default_url(&data_dir));
        let postgres = !database_url.starts_with("sqlite:");
        let photo_store = read
            .optional("CAMPO_PHOTO_STORE", |text| match text {
                "files" => Ok(PhotoStore::Files),
                "database" if postgres => Ok(PhotoStore::Database),
                "database" => Err(
                    "«database» solo sirve con PostgreSQL (DATABASE_URL=postgres://…); \
                     con SQLite las fotos quedan en el directorio de datos."
                        .to_owned(),
                ),
                _ => Err(invalid(
                    text,
                    "files (en el directorio de datos) o database (en PostgreSQL, para varias \
                     réplicas en máquinas distintas)",
                )),
            })
            .unwrap_or(PhotoStore::Files);
        let public_url = read.optional("CAMPO_PUBLIC_URL", |text| {
            public_url_ok(text).then(|| text.to_owned()).ok_or_else(|| {
                invalid(
                    text,
                    "la dirección con la que se abre Campo, con http:// o https:// y sin ruta, \
                     por ejemplo https://campo.gobernacion.gov.co",
                )
            })
        });
        let pwa_dir = PathBuf::from(
            read.optional("CAMPO_PWA_DIR", |text| Ok(text.to_owned()))
                .unwrap_or_else(|| crate::web::DEFAULT_PWA_DIR.to_owned()),
        );
        let idle_minutes: u32 =
            read.positive("CAMPO_SESSION_IDLE_MINUTES", DEFAULT_SESSION_IDLE_MINUTES);
        let max_days: u32 = read.positive("CAMPO_SESSION_MAX_DAYS", DEFAULT_SESSION_MAX_DAYS);
        let smtp_url = read.optional("CAMPO_SMTP_URL", |text| {
            let scheme_ok = text.starts_with("smtp://") || text.starts_with("smtps://");
            // lettre's own reading, the one the sender uses: host, port and `?tls=`.
            let lettre_ok = scheme_ok
                && lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(text).is_ok();
            lettre_ok.then(|| text.to_owned()).ok_or_else(|| {
                invalid(
                    &hide_password(text),
                    "una dirección smtp:// o smtps:// con el servidor de correo, por ejemplo \
                     smtp://127.0.0.1:25 o smtps://usuario:clave@smtp.gobernacion.gov.co",
                )
            })
        });
        let smtp_from = read.optional("CAMPO_SMTP_FROM", |text| {
            text.parse::<Mailbox>().map_err(|_| {
                invalid(
                    text,
                    "una dirección de correo, con o sin nombre, por ejemplo «Campo \
                     <campo@gobernacion.gov.co>»",
                )
            })
        });
        if smtp_url.is_some() && smtp_from.is_none() && read.value("CAMPO_SMTP_FROM").is_none() {
            read.errors.push(format!(
                "{}: falta. Con CAMPO_SMTP_URL se necesita el remitente de las notificaciones, \
                 por ejemplo «Campo <campo@gobernacion.gov.co>».",
                label("CAMPO_SMTP_FROM")
            ));
        }
        let imap = read.optional("CAMPO_IMAP_URL", |text| {
            ImapUrl::parse(text).ok_or_else(|| {
                invalid(
                    &hide_password(text),
                    "una dirección imap:// o imaps:// con usuario, clave, servidor y carpeta, por \
                     ejemplo imaps://mesa%40gobernacion.gov.co:clave@correo.gobernacion.gov.co/INBOX",
                )
            })
        });
        let imap_poll_secs: u32 = read.positive("CAMPO_IMAP_POLL_SECS", DEFAULT_IMAP_POLL_SECS);
        let imap_max_message_bytes: u32 = read.positive(
            "CAMPO_IMAP_MAX_MESSAGE_BYTES",
            DEFAULT_IMAP_MAX_MESSAGE_BYTES,
        );
        let trusted_proxies = read
            .optional("CAMPO_TRUSTED_PROXIES", TrustedProxies::parse)
            .unwrap_or_default();
        let organisation = read
            .optional("CAMPO_ORGANISATION", |text| Ok(text.to_owned()))
            .unwrap_or_else(|| DEFAULT_ORGANISATION.to_owned());
        let push_subject =
            read.optional("CAMPO_PUSH_SUBJECT", |text| {
                push_subject_ok(text).then(|| text.to_owned()).ok_or_else(|| {
                invalid(
                    text,
                    "una dirección de contacto para los servicios de notificaciones, mailto: o \
                     https://, por ejemplo mailto:soporte@gobernacion.gov.co",
                )
            })
            });
        let defaults = Limits::default();
        let idle_secs: u32 = read.positive(
            "CAMPO_SYNC_IDLE_SECS",
            u32::try_from(defaults.idle_unload.as_secs()).expect("sixty seconds"),
        );
        let sync_limits = Limits {
            max_message_bytes: read
                .positive("CAMPO_SYNC_MAX_MESSAGE_BYTES", defaults.max_message_bytes),
            max_document_bytes: read
                .positive("CAMPO_SYNC_MAX_DOCUMENT_BYTES", defaults.max_document_bytes),
            max_docs_per_connection: read.positive(
                "CAMPO_SYNC_MAX_DOCS_PER_CONNECTION",
                defaults.max_docs_per_connection,
            ),
            messages_per_second: read.positive(
                "CAMPO_SYNC_MESSAGES_PER_SECOND",
                defaults.messages_per_second,
            ),
            message_burst: read.positive("CAMPO_SYNC_MESSAGE_BURST", defaults.message_burst),
            max_loaded_docs: read.positive("CAMPO_SYNC_MAX_LOADED_DOCS", defaults.max_loaded_docs),
            idle_unload: Duration::from_secs(idle_secs.into()),
            sockets_per_user: read
                .positive("CAMPO_SYNC_SOCKETS_PER_USER", defaults.sockets_per_user),
            ..defaults
        };
        let metrics_token = read.optional("CAMPO_METRICS_TOKEN", |text| {
            if text.len() >= 16 && text.chars().all(|c| c.is_ascii_graphic()) {
                Ok(text.to_owned())
            } else {
                Err(
                    "no es válido: se espera un token de al menos 16 caracteres, sin espacios \
                     ni tildes, por ejemplo el que da «openssl rand -hex 24»."
                        .to_owned(),
                )
            }
        });
        let log_format = read
            .optional("CAMPO_LOG_FORMAT", |text| match text {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err(invalid(
                    text,
                    "text (líneas legibles) o json (un objeto por línea)",
                )),
            })
            .unwrap_or(LogFormat::Text);
        let worker_threads = read.positive("CAMPO_WORKER_THREADS", default_worker_threads());
        let ldap = read_ldap(&mut read);
        let glpi = read_glpi(&mut read);
        let notices = read_notices(&mut read);
        if !read.errors.is_empty() {
            return Err(ConfigError(read.errors));
        }
        Ok(Self {
            listen,
            data_dir,
            database_url,
            photo_store,
            public_url,
            pwa_dir,
            session_idle: Duration::from_secs(u64::from(idle_minutes) * 60),
            session_absolute: Duration::from_secs(u64::from(max_days) * 24 * 3600),
            smtp_url,
            smtp_from,
            imap,
            imap_poll: Duration::from_secs(imap_poll_secs.into()),
            imap_max_message_bytes,
            trusted_proxies,
            organisation,
            push_subject,
            sync_limits,
            ldap,
            glpi,
            metrics_token,
            log_format,
            worker_threads,
            notices,
        })
    }

    /// Every variable with its effective value, in the order of `docs/operacion.md`, passwords
    /// replaced by `***`: what `campo config` prints. An unset optional value is empty.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let limits = &self.sync_limits;
        let mut variables = vec![
            ("CAMPO_LISTEN", self.listen.to_string()),
            ("CAMPO_DATA_DIR", self.data_dir.display().to_string()),
            ("DATABASE_URL", hide_password(&self.database_url)),
            ("CAMPO_PHOTO_STORE", self.photo_store.as_str().to_owned()),
            (
                "CAMPO_PUBLIC_URL",
                self.public_url.clone().unwrap_or_default(),
            ),
            ("CAMPO_PWA_DIR", self.pwa_dir.display().to_string()),
            (
                "CAMPO_SESSION_IDLE_MINUTES",
                (self.session_idle.as_secs() / 60).to_string(),
            ),
            (
                "CAMPO_SESSION_MAX_DAYS",
                (self.session_absolute.as_secs() / (24 * 3600)).to_string(),
            ),
            (
                "CAMPO_SMTP_URL",
                self.smtp_url
                    .as_deref()
                    .map(hide_password)
                    .unwrap_or_default(),
            ),
            (
                "CAMPO_SMTP_FROM",
                self.smtp_from
                    .as_ref()
                    .map(Mailbox::to_string)
                    .unwrap_or_default(),
            ),
            (
                "CAMPO_IMAP_URL",
                self.imap
                    .as_ref()
                    .map(|imap| hide_password(&imap.url))
                    .unwrap_or_default(),
            ),
            ("CAMPO_IMAP_POLL_SECS", self.imap_poll.as_secs().to_string()),
            (
                "CAMPO_IMAP_MAX_MESSAGE_BYTES",
                self.imap_max_message_bytes.to_string(),
            ),
            ("CAMPO_TRUSTED_PROXIES", self.trusted_proxies.to_string()),
            ("CAMPO_ORGANISATION", self.organisation.clone()),
            (
                "CAMPO_PUSH_SUBJECT",
                self.push_subject.clone().unwrap_or_default(),
            ),
            (
                "CAMPO_METRICS_TOKEN",
                self.metrics_token
                    .as_ref()
                    .map(|_| "***".to_owned())
                    .unwrap_or_default(),
            ),
            ("CAMPO_LOG_FORMAT", self.log_format.as_str().to_owned()),
            ("CAMPO_WORKER_THREADS", self.worker_threads.to_string()),
            (
                "CAMPO_SYNC_MAX_MESSAGE_BYTES",
                limits.max_message_bytes.to_string(),
            ),
            (
                "CAMPO_SYNC_MAX_DOCUMENT_BYTES",
                limits.max_document_bytes.to_string(),
            ),
            (
                "CAMPO_SYNC_MAX_DOCS_PER_CONNECTION",
                limits.max_docs_per_connection.to_string(),
            ),
            (
                "CAMPO_SYNC_MESSAGES_PER_SECOND",
                limits.messages_per_second.to_string(),
            ),
            ("CAMPO_SYNC_MESSAGE_BURST", limits.message_burst.to_string()),
            (
                "CAMPO_SYNC_MAX_LOADED_DOCS",
                limits.max_loaded_docs.to_string(),
            ),
            (
                "CAMPO_SYNC_IDLE_SECS",
                limits.idle_unload.as_secs().to_string(),
            ),
            (
                "CAMPO_SYNC_SOCKETS_PER_USER",
                limits.sockets_per_user.to_string(),
            ),
        ];
        let ldap = self.ldap.as_ref();
        let text = |value: Option<&String>| value.cloned().unwrap_or_default();
        variables.extend([
            ("CAMPO_LDAP_URL", text(ldap.map(|l| &l.url))),
            (
                "CAMPO_LDAP_BIND_DN",
                text(ldap.and_then(|l| l.bind_dn.as_ref())),
            ),
            (
                "CAMPO_LDAP_BIND_PASSWORD",
                ldap.and_then(|l| l.bind_password.as_ref())
                    .map(|_| "***".to_owned())
                    .unwrap_or_default(),
            ),
            ("CAMPO_LDAP_BASE_DN", text(ldap.map(|l| &l.base_dn))),
            (
                "CAMPO_LDAP_USER_FILTER",
                ldap.map_or(DEFAULT_LDAP_USER_FILTER.to_owned(), |l| {
                    l.user_filter.clone()
                }),
            ),
            (
                "CAMPO_LDAP_GROUP_COORDINADOR",
                text(ldap.and_then(|l| l.group_coordinador.as_ref())),
            ),
            (
                "CAMPO_LDAP_GROUP_TECNICO",
                text(ldap.and_then(|l| l.group_tecnico.as_ref())),
            ),
            (
                "CAMPO_LDAP_GROUP_CONTRATISTA",
                text(ldap.and_then(|l| l.group_contratista.as_ref())),
            ),
            (
                "CAMPO_LDAP_DEPENDENCIA_ATTR",
                text(ldap.and_then(|l| l.dependencia_attr.as_ref())),
            ),
            (
                "CAMPO_LDAP_TIMEOUT_SECS",
                ldap.map_or(DEFAULT_LDAP_TIMEOUT_SECS.into(), |l| l.timeout.as_secs())
                    .to_string(),
            ),
            (
                "CAMPO_LDAP_CHECK_SECS",
                ldap.map_or(DEFAULT_LDAP_CHECK_SECS.into(), |l| l.check_every.as_secs())
                    .to_string(),
            ),
        ]);
        let glpi = self.glpi.as_ref();
        let number = |value: Option<u64>| value.map(|n| n.to_string()).unwrap_or_default();
        variables.extend([
            ("CAMPO_GLPI_URL", text(glpi.map(|g| &g.url))),
            (
                "CAMPO_GLPI_APP_TOKEN",
                glpi.and_then(|g| g.app_token.as_ref())
                    .map(|_| "***".to_owned())
                    .unwrap_or_default(),
            ),
            (
                "CAMPO_GLPI_USER_TOKEN",
                glpi.map(|_| "***".to_owned()).unwrap_or_default(),
            ),
            ("CAMPO_GLPI_ENTITY", number(glpi.and_then(|g| g.entity))),
            ("CAMPO_GLPI_CATEGORY", number(glpi.and_then(|g| g.category))),
            (
                "CAMPO_GLPI_SYNC_SECS",
                glpi.map_or(DEFAULT_GLPI_SYNC_SECS.into(), |g| {
                    g.sync_every.map_or(0, |every| every.as_secs())
                })
                .to_string(),
            ),
        ]);
        let notices = &self.notices;
        variables.extend([
            (
                "CAMPO_SURVEY_REMINDER_DAYS",
                notices.survey_reminder_days.unwrap_or(0).to_string(),
            ),
            (
                "CAMPO_CUSTODY_OVERDUE_DAYS",
                notices.custody_overdue_days.unwrap_or(0).to_string(),
            ),
            (
                "CAMPO_NOTICE_SCAN_SECS",
                notices.scan_every.as_secs().to_string(),
            ),
        ]);
        variables
    }

    /// The contact in Web Push tokens (RFC 8292 `sub`): `CAMPO_PUSH_SUBJECT`, else the public
    /// address, else the sender of the e-mail notifications, else a placeholder that tells a
    /// push service's operator nothing but is well formed.
    pub fn push_subject(&self) -> String {
        if let Some(subject) = &self.push_subject {
            return subject.clone();
        }
        if let Some(url) = &self.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        match &self.smtp_from {
            Some(from) => format!("mailto:{}", from.email),
            None => "mailto:campo@campo.invalid".to_owned(),
        }
    }

    /// True when Campo is reached over HTTPS.
    pub fn https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// Defaults for tests and embedding: SQLite in `data_dir`, port chosen by the caller.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        let mut config = Self::from_lookup(|_| None).expect("the defaults are valid");
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.database_url = crate::store::Store::default_url(&data_dir);
        config.data_dir = data_dir;
        config
    }
}

/// Reads variables through `get` and collects the errors.
struct Reader<F> {
    get: F,
    errors: Vec<String>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    /// The variable's value without surrounding spaces; `None` when unset or empty.
    fn value(&self, variable: &str) -> Option<String> {
        (self.get)(variable)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// The variable read by `parse` when it is set; `None` when it is not, or when `parse` says
    /// what is wrong (recorded after the variable's name).
    fn optional<T>(
        &mut self,
        variable: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.value(variable)?;
        match parse(&value) {
            Ok(parsed) => Some(parsed),
            Err(problem) => {
                self.errors.push(format!("{}: {problem}", label(variable)));
                None
            }
        }
    }

    /// A whole number greater than zero, `default` when unset.
    fn positive<T>(&mut self, variable: &str, default: T) -> T
    where
        T: FromStr + PartialOrd + Default + fmt::Display + Copy,
    {
        self.optional(variable, |text| {
            text.parse::<T>()
                .ok()
                .filter(|n| *n > T::default())
                .ok_or_else(|| {
                    invalid(
                        text,
                        &format!("un número entero mayor que cero, por ejemplo {default}"),
                    )
                })
        })
        .unwrap_or(default)
    }
}

/// The variable's name in errors, with its flag when it has one: `CAMPO_LISTEN (--listen)`.
fn label(variable: &str) -> String {
    match FLAGS.iter().find(|(v, _)| *v == variable) {
        Some((_, flag)) => format!("{variable} ({flag})"),
        None => variable.to_owned(),
    }
}

/// The common sentence: «value» no es válido; se espera ….
fn invalid(value: &str, expected: &str) -> String {
    format!("«{value}» no es válido; se espera {expected}.")
}

/// `http://` or `https://`, a host (and port), and at most a final `/`: browsers send the origin in
/// that form, and [`crate::auth::origin_allowed`] compares it with this.
fn public_url_ok(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.strip_suffix('/').unwrap_or(rest);
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
}

/// `mailto:` and an address, or `https://` and a host: what RFC 8292 asks of a contact.
fn push_subject_ok(text: &str) -> bool {
    if let Some(address) = text.strip_prefix("mailto:") {
        return address.parse::<lettre::Address>().is_ok();
    }
    reqwest::Url::parse(text).is_ok_and(|url| url.scheme() == "https" && url.host().is_some())
}

/// The URL with its password, if any, replaced by `***`: in the user information
/// (`postgres://campo:***@host/campo`) and in a `password=` parameter, which PostgreSQL also
/// accepts. SQLite addresses are paths and carry none.
pub fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    if scheme.starts_with("sqlite") {
        return url.to_owned();
    }
    // Everything from the first `:` to the last `@` goes, so that a password holding a raw `@`,
    // `/` or `?` is hidden whole (at worst, a little more than the password is).
    let rest = match (rest.find(':'), rest.rfind('@')) {
        (Some(colon), Some(at)) if colon < at => format!("{}:***{}", &rest[..colon], &rest[at..]),
        _ => rest.to_owned(),
    };
    let rest = match rest.split_once('?') {
        None => rest,
        Some((address, query)) => {
            let parameters: Vec<&str> = query
                .split('&')
                .map(|parameter| {
                    let key = parameter.split('=').next().unwrap_or_default();
                    if key.eq_ignore_ascii_case("password") {
                        "password=***"
                    } else {
                        parameter
                    }
                })
                .collect();
            format!("{address}?{}", parameters.join("&"))
        }
    };
    format!("{scheme}://{rest}")
}

/// Where requests arrive by e-mail: `imap://user:password@host:port/FOLDER` (STARTTLS when the
/// server offers it) or `imaps://…` (TLS from the start). The user and password may be
/// percent-encoded (`mesa%40gobernacion.gov.co`); the folder defaults to `INBOX`.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapUrl {
    /// The URL as given (shown only through [`hide_password`]).
    pub url: String,
    /// TLS from the first byte (`imaps://`).
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub folder: String,
}

impl fmt::Debug for ImapUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hide_password(&self.url))
    }
}

impl ImapUrl {
    /// Reads the URL; `None` when it is not an `imap://` or `imaps://` address with a user, a
    /// password and a host.
    pub fn parse(text: &str) -> Option<Self> {
        let (scheme, rest) = text.split_once("://")?;
        let tls = match scheme {
            "imap" => false,
            "imaps" => true,
            _ => return None,
        };
        // The password may hold a raw `@`: the host starts after the last one.
        let at = rest.rfind('@')?;
        let (userinfo, address) = (&rest[..at], &rest[at + 1..]);
        let (user, password) = userinfo.split_once(':')?;
        let (hostport, folder) = match address.split_once('/') {
            Some((hostport, folder)) => (hostport, folder),
            None => (address, ""),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || hostport.starts_with('[') => {
                (host, port.parse::<u16>().ok()?)
            }
            _ => (hostport, if tls { 993 } else { 143 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let folder = percent_decode(folder)?;
        let user = percent_decode(user)?;
        if host.is_empty() || user.is_empty() {
            return None;
        }
        Some(Self {
            url: text.to_owned(),
            tls,
            host: host.to_owned(),
            port,
            user,
            password: percent_decode(password)?,
            folder: if folder.is_empty() {
                "INBOX".to_owned()
            } else {
                folder
            },
        })
    }
}

/// `%40` → `@` and the like; `None` for a broken escape or text that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;
