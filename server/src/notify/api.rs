//! The inbox and the outbox over HTTP: `GET /api/notifications` (the signed-in user's own,
//! newest first, with their read state), `POST /api/notifications/read` (some of them, or all,
//! read on every device of the user), and `GET /api/notifications/outbox` (the e-mail outbox,
//! for coordinators: what waits, what failed and why, what went out).

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use campo_shared::account::FieldError;
use campo_shared::role::Role;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError, Json};
use crate::store::{NotificationRow, OutboxMail, now_ms};

/// Most notifications `GET /api/notifications` returns.
const LIST_LIMIT: i64 = 100;
/// Most ids one `POST /api/notifications/read` names.
const READ_MAX_IDS: usize = 500;
/// Most mails of each list of the outbox.
const OUTBOX_LIMIT: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/notifications", get(list))
        .route("/api/notifications/read", post(read))
        .route("/api/notifications/outbox", get(outbox))
}

/// The signed-in user's notifications, newest first.
#[tracing::instrument(skip_all, fields(user = %user.id))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Vec<NotificationRow>>> {
    Ok(Json(
        state.store.notifications_for(&user.id, LIST_LIMIT).await?,
    ))
}

/// Which notifications to mark read: `{"ids": [...]}` or `{"all": true}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    all: bool,
}

#[derive(Serialize)]
struct Unread {
    /// How many of the user's notifications remain unread.
    unread: i64,
}

/// Marks notifications of the signed-in user read. An id that is not one of the user's
/// notifications is refused (404) before anything is marked.
#[tracing::instrument(skip_all, fields(user = %user.id))]
async fn read(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ReadBody>,
) -> ApiResult<Json<Unread>> {
    let now = now_ms();
    if body.all {
        if !body.ids.is_empty() {
            return Err(
                FieldError::new("ids", "Envíe los avisos leídos o «all», no ambos.").into(),
            );
        }
        state
            .store
            .mark_all_notifications_read(&user.id, now)
            .await?;
    } else {
        if body.ids.is_empty() {
            return Err(FieldError::new(
                "ids",
                "Indique qué avisos se leyeron (ids) o «all»: true para todos.",
            )
            .into());
        }
        if body.ids.len() > READ_MAX_IDS {
            return Err(FieldError::new(
                "ids",
                format!("Se pueden marcar hasta {READ_MAX_IDS} avisos a la vez."),
            )
            .into());
        }
        for id in &body.ids {
            if !state.store.notification_is_of(id, &user.id).await? {
                return Err(AppError::NotFound(format!("No existe el aviso «{id}».")));
            }
        }
        for id in &body.ids {
            state
                .store
                .mark_notification_read(id, &user.id, now)
                .await?;
        }
    }
    Ok(Json(Unread {
        unread: state.store.unread_notifications(&user.id).await?,
    }))
}

/// The e-mail outbox as coordinators see it in Ajustes.
#[derive(Serialize)]
struct Outbox {
    /// Whether a mail server is configured (`CAMPO_SMTP_URL`); without one nothing goes out.
    smtp_configured: bool,
    /// How many mails wait, and how many of those failed at least once.
    pending: i64,
    failing: i64,
    /// The waiting mails, the next to go first, with the last error of those that failed.
    waiting: Vec<OutboxMail>,
    /// The most recently delivered.
    sent: Vec<OutboxMail>,
}

#[tracing::instrument(skip_all, fields(user = %user.id))]
async fn outbox(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Outbox>> {
    user.require(&[Role::Coordinador])?;
    let depth = state.store.outbox_depth().await?;
    let (waiting, sent) = state.store.outbox_mails(OUTBOX_LIMIT).await?;
    Ok(Json(Outbox {
        smtp_configured: state.config.smtp_url.is_some(),
        pending: depth.pending,
        failing: depth.failing,
        waiting,
        sent,
    }))
}
