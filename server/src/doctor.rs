//! `campo doctor`: checks a configuration and the store before a start, and says in Spanish what
//! is wrong and what to do. It changes nothing: it does not create the database nor apply
//! migrations, sends no mail and takes no message. Every check runs, so one run lists every
//! problem.

use std::path::Path;
use std::time::Duration;

use crate::config::Config;
use crate::store::schema::{BrokenWhy, SchemaState, inspect};

/// How long a check may wait for a server that does not answer.
const PATIENCE: Duration = Duration::from_secs(15);

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Campo starts, but something deserves a look.
    Warning,
    /// Campo would not start, or would not do part of its work.
    Failed,
}

/// One checked thing: what, how it went, and the detail (what to do when it failed).
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
    pub detail: String,
}

impl Check {
    fn new(name: &'static str, verdict: Verdict, detail: impl Into<String>) -> Self {
        Self {
            name,
            verdict,
            detail: detail.into(),
        }
    }

    /// `✔ name: detail`, `⚠ …` or `✘ …`.
    pub fn line(&self) -> String {
        let mark = match self.verdict {
            Verdict::Ok => "✔",
            Verdict::Warning => "⚠",
            Verdict::Failed => "✘",
        };
        format!("{mark} {}: {}", self.name, self.detail)
    }
}

/// Runs every check that applies to `config`.
pub async fn run(config: &Config) -> Vec<Check> {
    let mut checks = vec![
        data_dir(&config.data_dir).await,
        database(config).await,
        pwa(&config.pwa_dir),
        photos(config),
        public_url(config),
        listen(config).await,
    ];
    if config.smtp_url.is_some() {
        checks.push(smtp(config).await);
    }
    if let Some(imap) = &config.imap {
        let reached = tokio::time::timeout(PATIENCE, crate::intake::check(imap)).await;
        checks.push(match reached {
            Ok(Ok(true)) => Check::new(
                "Buzón (IMAP)",
                Verdict::Ok,
                format!("inicia sesión y abre {}; ofrece IDLE", imap.folder),
            ),
            Ok(Ok(false)) => Check::new(
                "Buzón (IMAP)",
                Verdict::Warning,
                format!(
                    "inicia sesión y abre {}, pero el servidor no ofrece IDLE: los correos se \
                     leerán cada CAMPO_IMAP_POLL_SECS",
                    imap.folder
                ),
            ),
            Ok(Err(err)) => Check::new(
                "Buzón (IMAP)",
                Verdict::Failed,
                format!("no se pudo leer el buzón ({err:#}). Revise CAMPO_IMAP_URL"),
            ),
            Err(_) => Check::new(
                "Buzón (IMAP)",
                Verdict::Failed,
                "el servidor no respondió a tiempo. Revise CAMPO_IMAP_URL y la red",
            ),
        });
    }
    if let Some(ldap) = &config.ldap {
        let directory = crate::directory::Directory::new(ldap.clone());
        checks.push(match directory.lookup("campo-doctor").await {
            Ok(_) => Check::new(
                "Directorio (LDAP)",
                Verdict::Ok,
                format!("{} responde y la cuenta de servicio puede buscar", ldap.url),
            ),
            Err(err) => Check::new(
                "Directorio (LDAP)",
                Verdict::Failed,
                format!(
                    "{err}. Revise CAMPO_LDAP_URL, CAMPO_LDAP_BIND_DN y su contraseña; sin el \
                     directorio solo entran las cuentas locales"
                ),
            ),
        });
    }
    if let Some(glpi) = &config.glpi {
        let reached = tokio::time::timeout(PATIENCE, crate::glpi::check(glpi)).await;
        checks.push(match reached {
            Ok(Ok(())) => Check::new("GLPI", Verdict::Ok, "abre y cierra una sesión de la API"),
            Ok(Err(err)) => Check::new(
                "GLPI",
                Verdict::Failed,
                format!(
                    "{err:#}. Revise CAMPO_GLPI_URL, CAMPO_GLPI_APP_TOKEN y CAMPO_GLPI_USER_TOKEN"
                ),
            ),
            Err(_) => Check::new("GLPI", Verdict::Failed, "GLPI no respondió a tiempo"),
        });
    }
    checks
}

async fn data_dir(dir: &Path) -> Check {
    const NAME: &str = "Directorio de datos";
    let owned = dir.to_owned();
    let probe = tokio::task::spawn_blocking(move || {
        if owned.exists() {
            return crate::api::health::probe_data_dir(&owned).map(|()| true);
        }
        // The start creates it: the nearest directory that exists must take a file.
        let parent = owned
            .ancestors()
            .skip(1)
            .find(|p| p.is_dir())
            .unwrap_or(Path::new("."));
        crate::api::health::probe_data_dir(parent).map(|()| false)
    })
    .await
    .unwrap_or_else(|join| Err(std::io::Error::other(join)));
    match probe {
        Ok(true) => Check::new(
            NAME,
            Verdict::Ok,
            format!("{} admite escrituras", dir.display()),
        ),
        Ok(false) => Check::new(
            NAME,
            Verdict::Ok,
            format!("{} no existe; se creará al iniciar", dir.display()),
        ),
        Err(err) => Check::new(
            NAME,
            Verdict::Failed,
            format!(
                "{}: {}",
                dir.display(),
                crate::api::health::data_dir_reason(&err)
            ),
        ),
    }
}

async fn database(config: &Config) -> Check {
    const NAME: &str = "Base de datos";
    let what = if config.database_url.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let state = match tokio::time::timeout(PATIENCE, inspect(&config.database_url)).await {
        Ok(Ok(state)) => state,
        Ok(Err(err)) => {
            return Check::new(
                NAME,
                Verdict::Failed,
                format!(
                    "{what} no responde ({err}). Revise DATABASE_URL y que la base esté en marcha"
                ),
            );
        }
        Err(_) => {
            return Check::new(
                NAME,
                Verdict::Failed,
                format!("{what} no respondió a tiempo. Revise DATABASE_URL y la red"),
            );
        }
    };
    match state {
        SchemaState::NoFile => Check::new(
            NAME,
            Verdict::Ok,
            format!("{what}: la base no existe aún; se creará al iniciar"),
        ),
        SchemaState::Current { applied } => Check::new(
            NAME,
            Verdict::Ok,
            format!("{what} responde; sus tablas están al día ({applied} migraciones)"),
        ),
        SchemaState::Behind { applied: 0, .. } => Check::new(
            NAME,
            Verdict::Ok,
            format!("{what} responde; está vacía y sus tablas se crearán al iniciar"),
        ),
        SchemaState::Behind { missing, .. } => Check::new(
            NAME,
            Verdict::Ok,
            format!(
                "{what} responde; al iniciar se aplicarán {missing} migraciones nuevas (haga una \
                 copia de seguridad antes)"
            ),
        ),
        SchemaState::Ahead { unknown } => Check::new(
            NAME,
            Verdict::Failed,
            format!(
                "la base tiene migraciones que esta versión de Campo no conoce ({}): la usó una \
                 versión más nueva. Instale esa versión o una posterior; esta no debe usarla",
                unknown
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        SchemaState::Broken {
            version,
            why: BrokenWhy::Failed,
        } => Check::new(
            NAME,
            Verdict::Failed,
            format!(
                "la migración {version} quedó a medias. Restaure la última copia de seguridad \
                 antes de iniciar"
            ),
        ),
        SchemaState::Broken {
            version,
            why: BrokenWhy::Changed,
        } => Check::new(
            NAME,
            Verdict::Failed,
            format!(
                "la migración {version} aplicada en la base no es la que trae esta versión de \
                 Campo. Use el binario con el que se creó la base"
            ),
        ),
    }
}

fn pwa(dir: &Path) -> Check {
    const NAME: &str = "Aplicación web";
    if dir.join("index.html").is_file() {
        Check::new(
            NAME,
            Verdict::Ok,
            format!("{} está compilada", dir.display()),
        )
    } else {
        Check::new(
            NAME,
            Verdict::Failed,
            format!(
                "falta {}. Compile la aplicación con «make pwa» y copie pwa/dist, o ajuste \
                 CAMPO_PWA_DIR",
                dir.join("index.html").display()
            ),
        )
    }
}

fn photos(config: &Config) -> Check {
    const NAME: &str = "Fotos";
    let postgres = !config.database_url.starts_with("sqlite:");
    match config.photo_store {
        crate::config::PhotoStore::Database => Check::new(
            NAME,
            Verdict::Ok,
            "en PostgreSQL: todas las réplicas las leen",
        ),
        crate::config::PhotoStore::Files if postgres => Check::new(
            NAME,
            Verdict::Warning,
            format!(
                "en {}: con varias réplicas en máquinas distintas, cada una vería solo las suyas; \
                 use CAMPO_PHOTO_STORE=database",
                config.data_dir.join("blobs").display()
            ),
        ),
        crate::config::PhotoStore::Files => Check::new(
            NAME,
            Verdict::Ok,
            format!("en {}", config.data_dir.join("blobs").display()),
        ),
    }
}

fn public_url(config: &Config) -> Check {
    const NAME: &str = "Dirección pública";
    match config.public_url.as_deref() {
        Some(url) if url.starts_with("https://") => Check::new(NAME, Verdict::Ok, url.to_owned()),
        Some(url) => Check::new(
            NAME,
            Verdict::Warning,
            format!(
                "{url} no usa HTTPS: los teléfonos no instalan la aplicación ni usan la cámara \
                 fuera de localhost. Ponga Caddy delante (ver deploy/Caddyfile)"
            ),
        ),
        None => Check::new(
            NAME,
            Verdict::Warning,
            "CAMPO_PUBLIC_URL no está definida: los QR y los enlaces de los correos usarán la \
             dirección por la que llegue cada solicitud",
        ),
    }
}

async fn listen(config: &Config) -> Check {
    const NAME: &str = "Puerto";
    match tokio::net::TcpListener::bind(config.listen).await {
        Ok(_) => Check::new(NAME, Verdict::Ok, format!("{} está libre", config.listen)),
        Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => Check::new(
            NAME,
            Verdict::Warning,
            format!(
                "{} está en uso: ¿Campo ya está en marcha? Otro programa no puede ocuparlo",
                config.listen
            ),
        ),
        Err(err) => Check::new(
            NAME,
            Verdict::Failed,
            format!(
                "no se puede escuchar en {} ({err}). Revise CAMPO_LISTEN",
                config.listen
            ),
        ),
    }
}

async fn smtp(config: &Config) -> Check {
    const NAME: &str = "Correo saliente (SMTP)";
    let mailer = match crate::notify::sender::Mailer::from_config(config) {
        Ok(Some(mailer)) => mailer,
        Ok(None) => return Check::new(NAME, Verdict::Ok, "sin servidor de correo"),
        Err(err) => return Check::new(NAME, Verdict::Failed, format!("{err:#}")),
    };
    match tokio::time::timeout(PATIENCE, mailer.check()).await {
        Ok(Ok(())) => Check::new(
            NAME,
            Verdict::Ok,
            "el servidor de correo acepta la conexión",
        ),
        Ok(Err(err)) => Check::new(
            NAME,
            Verdict::Failed,
            format!(
                "el servidor de correo no acepta la conexión ({err:#}). Los avisos esperarán en \
                 la bandeja de salida; revise CAMPO_SMTP_URL"
            ),
        ),
        Err(_) => Check::new(
            NAME,
            Verdict::Failed,
            "el servidor de correo no respondió a tiempo",
        ),
    }
}
