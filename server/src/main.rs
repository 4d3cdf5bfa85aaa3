//! `campo`: the command line of the Campo server (serve, print the configuration, create and
//! import users, load the demo, rebuild the projection, back up and restore). The configuration is
//! [`campo_server::config`].

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use campo_server::auth::Passwords;
use campo_server::config::{Config, LogFormat, ServeFlags, StorageFlags};
use campo_server::store::{NewUser, Store, StoreError};
use campo_server::{AppState, demo, serve, shutdown_signal, user_import};
use campo_shared::account::{Email, FullName, NewPassword, Username};
use campo_shared::ids::DependenciaCode;
use campo_shared::role::Role;
use clap::{Args, Parser, Subcommand};

/// mimalloc instead of the system's allocator. The sync server allocates and frees many small
/// objects per change; once thousands of documents have been loaded and dropped, glibc's malloc
/// searches a fragmented heap on every allocation, and the CPU per change grew with the documents
/// (`make bench-sync`, SQLite: 1.55 ms with none, 2.00 ms after 10,000); with mimalloc it stays
/// flat (1.55 and 1.60 ms). Without transparent huge pages (`no_thp`): with them, an idle server
/// held 80 MB instead of 57.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "campo",
    version,
    about = "Campo: asistencia técnica en campo para la Secretaría TIC",
    after_help = "Cada opción tiene su variable de entorno (entre paréntesis); la opción gana \
                  sobre la variable. Todas, con su valor por defecto: docs/operacion.md."
)]
struct Cli {
    #[command(flatten)]
    storage: StorageFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inicia el servidor.
    Serve(ServeArgs),
    /// Muestra la configuración efectiva (una VARIABLE=valor por línea, sin contraseñas) y
    /// termina; no abre la base de datos.
    Config(ServeFlags),
    /// Administra usuarios.
    #[command(subcommand)]
    User(UserCommand),
    /// Carga la organización de demostración (no duplica nada si se ejecuta de nuevo).
    Demo,
    /// Importa de GLPI (CAMPO_GLPI_URL): sus tiquetes nuevos se vuelven casos, y GLPI recibe el
    /// número del caso y, al resolverse, la solución.
    #[command(subcommand)]
    Glpi(GlpiCommand),
    /// Reconstruye la proyección de los casos (las filas que leen el tablero, los informes y
    /// los permisos) a partir de los documentos guardados.
    Reproject,
    /// Revisa la configuración, la base de datos y los servidores con los que Campo habla, sin
    /// cambiar nada, y dice qué corregir antes de iniciar. Termina con error si algo falla.
    Doctor(ServeFlags),
    /// Guarda una copia de seguridad (la base de datos y las fotos) en un solo archivo. Se puede
    /// hacer con el servidor en marcha: la copia es consistente.
    Backup {
        /// El archivo de la copia; no debe existir (por ejemplo campo-2026-03-01.zip).
        archive: PathBuf,
    },
    /// Restaura una copia hecha con `campo backup` en el directorio de datos y la base de datos
    /// configurados, que deben estar vacíos. No cambia nada si la copia está dañada.
    Restore {
        /// El archivo de la copia.
        archive: PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    flags: ServeFlags,
    /// Carga la organización de demostración antes de iniciar.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Crea un usuario. La contraseña se toma de CAMPO_PASSWORD o se pregunta en la terminal.
    Add {
        username: String,
        /// funcionario, tecnico, contratista o coordinador.
        #[arg(long)]
        role: String,
        /// Nombre completo.
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// Código de la dependencia (por ejemplo HACIENDA).
        #[arg(long)]
        dependencia: Option<String>,
    },
    /// Crea o actualiza usuarios desde un archivo CSV (columnas usuario, nombre, rol y, si se
    /// quiere, correo, dependencia y documento). Si una fila tiene errores no se importa nada.
    /// Las cuentas nuevas quedan sin contraseña.
    Import {
        /// El archivo CSV (UTF-8, separado por «;» o «,», con fila de encabezados).
        file: PathBuf,
        /// Solo muestra lo que haría, sin guardar nada.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum GlpiCommand {
    /// Hace una pasada ahora y dice qué hizo.
    Sync,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Every setting is read and checked here, before anything else happens, so a typo stops the
    // start with its reason. The other commands read the same variables as `serve`.
    let serve_flags = match &cli.command {
        Command::Serve(args) => Some(&args.flags),
        Command::Config(flags) | Command::Doctor(flags) => Some(flags),
        _ => None,
    };
    let config = match Config::load(&cli.storage, serve_flags) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("Error: {err:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    init_logs(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.worker_threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli, config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs on stderr, filtered by `RUST_LOG`, as text or one JSON object per line.
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "no se pudo crear el directorio de datos {}",
            config.data_dir.display()
        )
    })?;
    Store::connect(&config.database_url)
        .await
        .context("no se pudo abrir la base de datos")
}

async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command {
        Command::Config(_) => {
            for (variable, value) in config.variables() {
                println!("{variable}={value}");
            }
            Ok(())
        }
        Command::Serve(args) => {
            let store = open_store(&config).await?;
            if args.demo {
                print_demo(&demo::load(&store).await?);
            }
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("no se pudo escuchar en {}", config.listen))?;
            let address = listener.local_addr()?;
            tracing::info!(%address, database = store.backend_name(), "Campo listening");
            println!("Campo está escuchando en http://{address}/");
            if let Some(done) = campo_server::reproject::bring_up_to_date(&store).await? {
                tracing::info!(
                    tickets = done.tickets,
                    "projection rebuilt for this version"
                );
            }
            let sla = store.sla().await?;
            let state = AppState::new(config, store)?;
            state.documents.set_sla(sla);
            serve(listener, state, shutdown_signal()).await
        }
        Command::User(UserCommand::Add {
            username,
            role,
            name,
            email,
            dependencia,
        }) => {
            let store = open_store(&config).await?;
            let username = Username::parse(&username)?;
            let role: Role = role.parse()?;
            let name = FullName::parse(&name)?;
            let email = email.as_deref().map(Email::parse).transpose()?;
            let dependencia = dependencia
                .as_deref()
                .map(DependenciaCode::parse)
                .transpose()?;
            let password = NewPassword::parse(&read_password()?)?;
            let hash = Passwords::new()?.hash(password.expose()).await?;
            let new = NewUser {
                username: username.as_str(),
                full_name: name.as_str(),
                role: role.as_str(),
                dependencia: dependencia.as_ref().map(|d| d.as_str()),
                email: email.as_ref().map(Email::as_str),
                password_hash: &hash,
            };
            let result = store.insert_user(&new).await;
            store.close().await;
            match result {
                Ok(user) => {
                    println!("Usuario «{}» creado ({}).", user.username, role.label());
                    Ok(())
                }
                Err(StoreError::Duplicate(_)) => {
                    anyhow::bail!("ya existe el usuario «{}»", username.as_str())
                }
                Err(StoreError::MissingReference(_)) => {
                    anyhow::bail!("no existe la dependencia indicada")
                }
                Err(err) => Err(err.into()),
            }
        }
        Command::User(UserCommand::Import { file, dry_run }) => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("no se pudo leer el archivo {}", file.display()))?;
            let store = open_store(&config).await?;
            let result = import_users(&store, &bytes, dry_run).await;
            store.close().await;
            result
        }
        Command::Demo => {
            let store = open_store(&config).await?;
            let summary = demo::load(&store).await;
            store.close().await;
            print_demo(&summary?);
            Ok(())
        }
        Command::Glpi(GlpiCommand::Sync) => {
            if config.glpi.is_none() {
                anyhow::bail!(
                    "GLPI no está configurado: defina CAMPO_GLPI_URL y CAMPO_GLPI_USER_TOKEN \
                     (ver docs/integraciones.md)"
                );
            }
            let store = open_store(&config).await?;
            campo_server::reproject::bring_up_to_date(&store).await?;
            let sla = store.sla().await?;
            let state = AppState::new(config, store.clone())?;
            state.documents.set_sla(sla);
            let summary = campo_server::glpi::sync(&state).await;
            store.close().await;
            let summary = summary?;
            println!(
                "GLPI: {} tiquetes nuevos importados, {} ya importados antes, {} seguimientos y \
                 {} soluciones enviados a GLPI.",
                summary.imported, summary.known, summary.followups, summary.solutions
            );
            if summary.failed > 0 {
                anyhow::bail!(
                    "{} tiquetes o envíos fallaron; se reintentan en la próxima pasada (ver el \
                     registro)",
                    summary.failed
                );
            }
            Ok(())
        }
        Command::Doctor(_) => {
            let checks = campo_server::doctor::run(&config).await;
            for check in &checks {
                println!("{}", check.line());
            }
            let failed = checks
                .iter()
                .filter(|c| c.verdict == campo_server::doctor::Verdict::Failed)
                .count();
            if failed > 0 {
                anyhow::bail!(
                    "{failed} {} impide{} que Campo trabaje; corríja{} antes de iniciar.",
                    if failed == 1 { "problema" } else { "problemas" },
                    if failed == 1 { "" } else { "n" },
                    if failed == 1 { "lo" } else { "los" },
                );
            }
            println!("Todo listo para iniciar Campo.");
            Ok(())
        }
        Command::Backup { archive } => {
            let done = campo_server::backup::backup(&config, &archive).await?;
            let counts = done.manifest.counts;
            let size = if done.archive_bytes < 1_000_000 {
                format!("{} kB", done.archive_bytes.div_ceil(1000))
            } else {
                format!("{:.1} MB", done.archive_bytes as f64 / 1_000_000.0).replace('.', ",")
            };
            println!(
                "Copia guardada en {} ({size}): {} casos, {} usuarios, {} fotos.",
                archive.display(),
                counts.tickets,
                counts.users,
                counts.photos
            );
            Ok(())
        }
        Command::Restore { archive } => {
            let done = campo_server::backup::restore(&config, &archive).await?;
            let counts = done.manifest.counts;
            println!(
                "Copia del {} restaurada: {} casos, {} usuarios, {} fotos. Inicie Campo con \
                 `campo serve`.",
                done.manifest.created_at, counts.tickets, counts.users, counts.photos
            );
            Ok(())
        }
        Command::Reproject => {
            let store = open_store(&config).await?;
            let summary = campo_server::reproject::run(&store).await;
            store.close().await;
            let summary = summary?;
            println!(
                "Proyección reconstruida: {} casos ({} documentos que no son casos).",
                summary.tickets, summary.skipped
            );
            Ok(())
        }
    }
}

/// `campo user import`: the same checks and the same transaction as `POST /api/users/import`.
/// The accounts whose role changes lose their sync tokens; the phones of a running server that
/// are connected now keep syncing until they reconnect.
async fn import_users(store: &Store, bytes: &[u8], dry_run: bool) -> anyhow::Result<()> {
    let plan = match user_import::prepare(store, bytes).await {
        Ok(plan) => plan,
        Err(err) => return Err(import_failure(err)),
    };
    if dry_run {
        for row in &plan.rows {
            let action = match row.action {
                user_import::Action::Create => "crear",
                user_import::Action::Update => "actualizar",
            };
            println!(
                "Línea {}: {action} «{}» ({}, {})",
                row.line, row.username, row.full_name, row.role_label
            );
        }
        println!(
            "Vista previa: {} por crear, {} por actualizar. No se guardó nada; importe sin \
             --dry-run para guardarlos.",
            plan.created(),
            plan.updated()
        );
        return Ok(());
    }
    let done = user_import::commit(store, &plan)
        .await
        .map_err(import_failure)?;
    println!(
        "Usuarios importados: {} creados, {} actualizados.",
        done.created, done.updated
    );
    if done.created > 0 {
        println!(
            "Las cuentas nuevas no tienen contraseña: entran con el directorio de la entidad, o \
             con la que les asigne un coordinador en Ajustes."
        );
    }
    Ok(())
}

/// Prints the errors of a refused file, one line each, and says that nothing was imported.
fn import_failure(err: user_import::ImportError) -> anyhow::Error {
    match err {
        user_import::ImportError::Lines(errors) => {
            for (line, message) in &errors {
                eprintln!("Línea {line}: {message}");
            }
            anyhow::anyhow!(user_import::refusal_summary(errors.len()))
        }
        user_import::ImportError::Conflict(message) => anyhow::anyhow!(message),
        user_import::ImportError::Store(err) => err.into(),
    }
}

/// The password of `campo user add`: an input of that command (`CAMPO_PASSWORD`), not part of
/// the server's [`Config`].
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("CAMPO_PASSWORD") {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "defina CAMPO_PASSWORD o ejecute el comando en una terminal para escribir la contraseña"
        );
    }
    let first = rpassword::prompt_password("Contraseña: ")?;
    let second = rpassword::prompt_password("Repita la contraseña: ")?;
    if first != second {
        anyhow::bail!("las contraseñas no coinciden");
    }
    Ok(first)
}

fn print_demo(summary: &demo::Summary) {
    println!(
        "Datos de demostración listos ({} tiquetes).",
        summary.tickets
    );
    println!(
        "Usuarios de demostración (contraseña para todos: {}):",
        demo::DEMO_PASSWORD
    );
    for (username, role) in &summary.logins {
        println!("  {username:<14} {role}");
    }
}
