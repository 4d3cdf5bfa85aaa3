//! The Campo server: the HTTP API, the store, sync, photos, and the built PWA.
//!
//! [`router`] builds the whole application for a given [`AppState`]; [`serve`] runs it on a
//! listener until a shutdown signal. The `campo` binary calls both; the end-to-end tests start
//! that binary (`campo-tests`).

pub mod api;
pub mod auth;
pub mod backup;
pub mod board;
pub mod config;
pub mod csv_file;
pub mod demo;
pub mod directory;
pub mod doctor;
pub mod equipment;
pub mod error;
pub mod escalation;
pub mod glpi;
pub mod intake;
pub mod integration;
pub mod labels;
pub mod media;
pub mod metrics;
pub mod notify;
pub mod pdfdoc;
pub mod projection;
pub mod push;
pub mod reports;
pub mod reproject;
pub mod store;
pub mod sync;
pub mod tickets;
pub mod user_import;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::auth::{LoginLimiter, Passwords, SessionCookie};
use crate::config::Config;
use crate::store::Store;

/// Largest JSON body the API reads; larger ones get 413.
pub const MAX_JSON_BODY: usize = 256 * 1024;

/// What every request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub passwords: Passwords,
    pub limiter: Arc<LoginLimiter>,
    pub cookie: SessionCookie,
    /// The documents in memory and the sync peers (see [`sync`]).
    pub documents: sync::Documents,
    /// Evidence photos (see [`media`]).
    pub media: media::Media,
    /// The dispatch board's live events (see [`board`]).
    pub board: board::Board,
    /// The office's directory, when `CAMPO_LDAP_URL` is set (see [`directory`]).
    pub directory: Option<directory::Directory>,
}

impl AppState {
    pub fn new(config: Config, store: Store) -> anyhow::Result<Self> {
        let cookie = SessionCookie::new(config.https(), config.session_absolute);
        let documents = sync::Documents::new(store.clone(), config.sync_limits.clone());
        let media = media::Media::for_config(&config, &store);
        let board = board::Board::start(store.clone(), &documents);
        let directory = config.ldap.clone().map(directory::Directory::new);
        Ok(Self {
            directory,
            media,
            board,
            config: Arc::new(config),
            documents,
            store,
            passwords: Passwords::new()?,
            limiter: Arc::new(LoginLimiter::default()),
            cookie,
        })
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let security_headers = Arc::new(web::SecurityHeaders::new(
        state.config.public_url.as_deref(),
    ));
    Router::new()
        .merge(sync::router())
        .merge(api::router())
        .merge(media::router())
        .merge(equipment::router())
        .merge(user_import::router())
        .merge(labels::router())
        .merge(tickets::router())
        .merge(board::router())
        .merge(reports::router())
        .merge(notify::router())
        .merge(push::router())
        .merge(integration::router())
        .merge(metrics::router())
        .fallback(web::serve_app)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::check_origin,
        ))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        // Every response, errors included, gets the CSP and the other protective headers.
        .layer(axum::middleware::map_response_with_state(
            security_headers,
            web::add_security_headers,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(metrics::count_responses))
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` resolves, then lets requests in flight
/// finish and closes the database.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = state.store.clone();
    let documents = state.documents.clone();
    // Sync connections and event streams never end by themselves: close them when the server
    // is asked to stop, so that shutdown can finish.
    let shutdown = async move {
        shutdown.await;
        documents.close_all();
    };
    spawn_session_sweeper(state.clone());
    notify::spawn(state.clone());
    escalation::spawn(state.clone());
    push::spawn(state.clone());
    if let Some(directory) = state.directory.clone() {
        directory::spawn_checker(state.clone(), directory);
    }
    intake::spawn(state.clone());
    glpi::spawn(state.clone());
    sync::feed::spawn(state.clone());
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    store.close().await;
    Ok(())
}

/// Deletes expired sessions every ten minutes, so the table does not grow without bound.
fn spawn_session_sweeper(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = store::now_ms();
            let idle_before = now - state.config.session_idle.as_millis() as i64;
            if let Err(err) = state.store.delete_expired_sessions(now, idle_before).await {
                tracing::warn!(%err, "could not sweep expired sessions");
            }
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
