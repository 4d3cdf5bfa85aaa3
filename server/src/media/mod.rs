//! Evidence photos: `PUT`, `HEAD` and `GET /api/blobs/{sha256}`.
//!
//! A phone uploads a photo under the SHA-256 of its bytes, whenever it is online; the upload is
//! idempotent, and `HEAD` tells it what the server already has. The bytes are untrusted: the format
//! is sniffed (JPEG, PNG, WebP), the file must end where its format says, the decoder runs on the
//! blocking pool with limits on size and memory, at most [`Media::concurrency`] at once and for at
//! most [`DECODE_TIMEOUT`]. What is stored is derived from it: a display size and a thumbnail,
//! oriented as the phone held it and re-encoded as JPEG without metadata (no GPS leaks to whoever
//! views them). The original bytes are not kept. Capture time and position belong to the visit, in
//! the ticket document.
//!
//! A photo is readable by coordinators, by whoever uploaded it and by whoever may read a ticket
//! that cites it; a ticket may cite only a photo its author may already read
//! ([`crate::store::Store::may_cite_blob`]), so knowing a photo's hash grants nothing.

mod blobstore;
mod pgstore;
pub mod process;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use campo_shared::role::Role;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

pub use blobstore::{BlobStore, FsBlobStore};
pub use pgstore::PgBlobStore;
pub use process::{Limits, Rejection};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::store::{BlobRow, Viewer, now_ms};

/// Largest photo body accepted (20 MiB); a 12 MP phone JPEG is 3–5 MiB, a 50 MP one about 15.
pub const MAX_PHOTO_BODY: usize = 20 * 1024 * 1024;
/// Longest a photo may wait for a decoding slot before the server answers 503.
pub const QUEUE_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest the server waits for one decode before answering 503 (the slot stays taken until the
/// decoder returns, so the bound on concurrency holds).
pub const DECODE_TIMEOUT: Duration = Duration::from_secs(30);

/// The photo service: where the bytes go and how many decodes may run at once.
#[derive(Clone)]
pub struct Media {
    store: Arc<dyn BlobStore>,
    slots: Arc<Semaphore>,
    concurrency: usize,
    limits: Arc<Limits>,
}

impl Media {
    /// Photos where the configuration says (`CAMPO_PHOTO_STORE`), one decode per core.
    pub fn for_config(config: &crate::config::Config, store: &crate::store::Store) -> Self {
        let files = FsBlobStore::new(config.data_dir.join("blobs"));
        let blobs: Arc<dyn BlobStore> = match (config.photo_store, store.postgres_pool()) {
            (crate::config::PhotoStore::Database, Some(pool)) => {
                Arc::new(PgBlobStore::new(pool.clone(), files))
            }
            _ => Arc::new(files),
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(blobs, cores, Limits::default())
    }

    pub fn new(store: Arc<dyn BlobStore>, concurrency: usize, limits: Limits) -> Self {
        Self {
            store,
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            concurrency: concurrency.max(1),
            limits: Arc::new(limits),
        }
    }

    /// How many photos are decoded at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The stored thumbnail (JPEG) of a photo, for documents the server writes; `None` when the
    /// photo has not been uploaded (or the name is not a SHA-256). Access is the caller's to check.
    pub async fn thumb_jpeg(&self, sha256: &str) -> std::io::Result<Option<Vec<u8>>> {
        match parse_sha256(sha256) {
            Ok(hash) => self.store.get(&thumb_key(&hash)).await,
            Err(_) => Ok(None),
        }
    }

    /// The stored display size (JPEG) of a photo; as [`Media::thumb_jpeg`].
    pub async fn display_jpeg(&self, sha256: &str) -> std::io::Result<Option<Vec<u8>>> {
        match parse_sha256(sha256) {
            Ok(hash) => self.store.get(&display_key(&hash)).await,
            Err(_) => Ok(None),
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/blobs/{sha256}",
            get(display)
                .head(exists)
                .put(upload)
                .layer(DefaultBodyLimit::max(MAX_PHOTO_BODY)),
        )
        .route("/api/blobs/{sha256}/thumb", get(thumb))
}

/// Failures of the photo endpoints, with the same error body as [`AppError`].
pub(crate) enum MediaError {
    App(AppError),
    Rejected(Rejection),
    HashMismatch,
    Busy,
}

impl From<AppError> for MediaError {
    fn from(err: AppError) -> Self {
        MediaError::App(err)
    }
}

impl From<crate::store::StoreError> for MediaError {
    fn from(err: crate::store::StoreError) -> Self {
        MediaError::App(err.into())
    }
}

impl IntoResponse for MediaError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            MediaError::App(err) => return err.into_response(),
            MediaError::Rejected(rejection) => {
                let status = match rejection {
                    Rejection::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                (status, "imagen_rechazada", rejection.to_string())
            }
            MediaError::HashMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "hash_incorrecto",
                "El contenido no corresponde al SHA-256 de la dirección: la foto llegó alterada o \
                 incompleta. Vuelva a enviarla."
                    .to_owned(),
            ),
            MediaError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "ocupado",
                "El servidor está procesando muchas fotos. La foto queda en el teléfono; \
                 reintente en un minuto."
                    .to_owned(),
            ),
        };
        let body = serde_json::json!({"error": {"code": code, "message": message}});
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        response
    }
}

/// The name of a photo: 64 hexadecimal digits, lower case.
fn parse_sha256(text: &str) -> Result<String, AppError> {
    let hash = text.to_ascii_lowercase();
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hash)
    } else {
        Err(AppError::NotFound(
            "Una foto se nombra con los 64 dígitos hexadecimales de su SHA-256.".into(),
        ))
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn display_key(hash: &str) -> String {
    format!("{hash}/display.jpg")
}

fn thumb_key(hash: &str) -> String {
    format!("{hash}/thumb.jpg")
}

/// What the server answers about a stored photo.
#[derive(Serialize)]
struct Stored {
    sha256: String,
    format: String,
    width: i64,
    height: i64,
    display_bytes: i64,
    thumb_bytes: i64,
}

impl From<BlobRow> for Stored {
    fn from(row: BlobRow) -> Self {
        Self {
            sha256: row.sha256,
            format: row.format,
            width: row.width,
            height: row.height,
            display_bytes: row.display_bytes,
            thumb_bytes: row.thumb_bytes,
        }
    }
}

/// `PUT /api/blobs/{sha256}`: 201 when the photo is new, 200 when the server already had it.
#[tracing::instrument(skip_all, fields(sha256 = %sha256, bytes))]
async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sha256): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, MediaError> {
    let hash = parse_sha256(&sha256)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest("No se pudo leer la foto enviada; vuelva a enviarla.".into())
        }
    })?;
    tracing::Span::current().record("bytes", body.len());
    if body.is_empty() {
        return Err(MediaError::Rejected(Rejection::NotAnImage));
    }
    let (status, row) = store_photo(&state, hash, body, &user.id).await?;
    Ok((status, axum::Json(Stored::from(row))).into_response())
}

/// A photo whose SHA-256 is `hash`, through the safe pipeline: checked against the hash, decoded
/// with limits, stored without metadata (display and thumbnail), then registered with `uploader`
/// as one of its uploaders. 201 when it is new, 200 when the server already had it. The phone's
/// upload and the e-mail collector ([`crate::intake`]) both come here.
pub(crate) async fn store_photo(
    state: &AppState,
    hash: String,
    body: Bytes,
    uploader: &str,
) -> Result<(StatusCode, BlobRow), MediaError> {
    let user_id = uploader;
    let media = state.media.clone();

    if let Some(row) = state.store.blob(&hash).await? {
        // Already stored: the sender still proves it holds the bytes before it may read them.
        let expected = hash.clone();
        let matches = tokio::task::spawn_blocking(move || hex_sha256(&body) == expected)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        if !matches {
            return Err(MediaError::HashMismatch);
        }
        state.store.add_blob_uploader(&hash, user_id).await?;
        return Ok((StatusCode::OK, row));
    }

    let permit = tokio::time::timeout(QUEUE_TIMEOUT, media.slots.clone().acquire_owned())
        .await
        .map_err(|_| MediaError::Busy)?
        .map_err(|e| AppError::Internal(e.into()))?;
    let limits = media.limits.clone();
    let expected = hash.clone();
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        if hex_sha256(&body) != expected {
            return Err(MediaError::HashMismatch);
        }
        process::ingest(&body, &limits).map_err(MediaError::Rejected)
    });
    let derived = tokio::time::timeout(DECODE_TIMEOUT, work)
        .await
        .map_err(|_| MediaError::Busy)?
        .map_err(|e| AppError::Internal(e.into()))??;

    let row = BlobRow {
        sha256: hash.clone(),
        format: derived.format.as_str().to_owned(),
        width: i64::from(derived.width),
        height: i64::from(derived.height),
        original_bytes: 0,
        display_bytes: derived.display.len() as i64,
        thumb_bytes: derived.thumb.len() as i64,
        uploaded_by: user_id.to_owned(),
        created_at: now_ms(),
    };
    let io = |e: std::io::Error| AppError::Internal(e.into());
    media
        .store
        .put(&display_key(&hash), derived.display)
        .await
        .map_err(io)?;
    media
        .store
        .put(&thumb_key(&hash), derived.thumb)
        .await
        .map_err(io)?;
    // The row comes last: a photo the database knows always has its files.
    if let Err(err) = state.store.insert_blob(&row).await {
        // Files no row points to would never be served nor cleaned: remove them (unless a
        // concurrent upload of the same photo has registered them meanwhile).
        if state.store.blob(&hash).await.ok().flatten().is_none() {
            for key in [display_key(&hash), thumb_key(&hash)] {
                if let Err(err) = media.store.delete(&key).await {
                    tracing::warn!(%err, key, "could not remove an unregistered photo file");
                }
            }
        }
        return Err(err.into());
    }
    Ok((StatusCode::CREATED, row))
}

/// `HEAD /api/blobs/{sha256}`: 200 when the server has the photo and the user may read it, 404
/// otherwise, so a phone uploads what is missing *for it*: a user who took the same picture as
/// someone else uploads it too, and so becomes one of its uploaders (and may cite it in a ticket).
/// The answer never tells whether someone else's photo exists.
async fn exists(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sha256): Path<String>,
) -> Result<StatusCode, AppError> {
    let hash = parse_sha256(&sha256)?;
    Ok(if may_read(&state, &user, &hash).await? {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    })
}

/// Whether the photo is on the server and `user` may read it: coordinators, whoever uploaded it,
/// and whoever may read a ticket that cites it.
async fn may_read(state: &AppState, user: &CurrentUser, hash: &str) -> Result<bool, AppError> {
    if state.store.blob(hash).await?.is_none() {
        return Ok(false);
    }
    let viewer = Viewer {
        user_id: &user.id,
        role: user.role.as_str(),
    };
    Ok(user.role == Role::Coordinador
        || state.store.is_blob_uploader(hash, &user.id).await?
        || state.store.blob_visible(viewer, hash).await?)
}

async fn display(
    state: State<AppState>,
    user: CurrentUser,
    sha256: Path<String>,
) -> Result<Response, AppError> {
    serve(state, user, sha256, display_key).await
}

async fn thumb(
    state: State<AppState>,
    user: CurrentUser,
    sha256: Path<String>,
) -> Result<Response, AppError> {
    serve(state, user, sha256, thumb_key).await
}

#[tracing::instrument(skip_all, fields(sha256 = %sha256))]
async fn serve(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sha256): Path<String>,
    key: fn(&str) -> String,
) -> Result<Response, AppError> {
    let hash = parse_sha256(&sha256)?;
    let not_found = || AppError::NotFound("Esa foto no está en el servidor.".into());
    if state.store.blob(&hash).await?.is_none() {
        return Err(not_found());
    }
    if !may_read(&state, &user, &hash).await? {
        return Err(AppError::Forbidden);
    }
    let bytes = state
        .media
        .store
        .get(&key(&hash))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .ok_or_else(not_found)?;
    let headers = [
        (header::CONTENT_TYPE, "image/jpeg"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // The name is the content's hash: it never changes. `private` because access is per user.
        (
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ),
    ];
    Ok((headers, bytes).into_response())
}
