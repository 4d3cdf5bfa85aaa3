//! Web Push to installed PWAs (RFC 8030 with VAPID, RFC 8292; messages encrypted per RFC 8291):
//! a técnico or contratista who allowed it hears of a new assignment on the phone with the app
//! closed.
//!
//! - `GET /api/push/key`: the server's public VAPID key (the browser's `applicationServerKey`).
//!   The key pair is made at the first start and kept in the store (`push_keys`); the private
//!   key never leaves the server.
//! - `POST /api/push/subscriptions`: the browser's `PushSubscription.toJSON()`, as it is, stored
//!   for the signed-in user; `DELETE` with its `endpoint` forgets it.
//! - [`watch`] decides when to push (an assignment, once per event and recipient), [`sender`]
//!   delivers, [`crypto`] signs and encrypts.

pub mod crypto;
pub mod sender;
pub mod store;
pub mod watch;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::get;
use campo_shared::account::FieldError;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError, Json};
use crate::store::{Store, now_ms};
use crypto::VapidKeys;
use store::SubscriptionRow;

/// Largest subscription body read (a browser's is a few hundred bytes).
const MAX_BODY: usize = 4096;
/// Longest endpoint accepted (push services' are a few hundred characters).
const MAX_ENDPOINT: usize = 2048;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/push/key", get(public_key))
        .route(
            "/api/push/subscriptions",
            axum::routing::post(subscribe).delete(unsubscribe),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// The server's VAPID keys, made and stored the first time they are asked for.
pub async fn keys(store: &Store) -> anyhow::Result<VapidKeys> {
    let (private, _public) = store
        .push_key_pair(|| {
            let pkcs8 = VapidKeys::generate_pkcs8()?;
            let keys = VapidKeys::from_pkcs8(&pkcs8)?;
            Ok((crypto::b64url(&pkcs8), keys.public_key().to_owned()))
        })
        .await?;
    let pkcs8 = crypto::b64url_decode(&private)
        .ok_or_else(|| anyhow::anyhow!("the stored VAPID key is not base64url"))?;
    VapidKeys::from_pkcs8(&pkcs8)
}

/// Makes the keys if this is the first start, then starts the watcher that pushes assignments.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let keys = loop {
            match keys(&state.store).await {
                Ok(keys) => break keys,
                Err(err) => {
                    tracing::error!(err = %format!("{err:#}"), "no VAPID keys yet; retrying");
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            }
        };
        let subject = state.config.push_subject();
        match sender::Sender::new(state.store.clone(), Arc::new(keys), subject) {
            Ok(sender) => watch::run(state, sender).await,
            Err(err) => tracing::error!(err = %format!("{err:#}"), "Web Push disabled"),
        }
    });
}

#[derive(Serialize)]
struct PublicKey {
    public_key: String,
}

/// `GET /api/push/key`: the public VAPID key, base64url of the uncompressed P-256 point.
#[tracing::instrument(skip_all)]
async fn public_key(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> ApiResult<Json<PublicKey>> {
    let keys = keys(&state.store).await?;
    Ok(Json(PublicKey {
        public_key: keys.public_key().to_owned(),
    }))
}

/// A browser's `PushSubscription.toJSON()`; `expirationTime` and any other member are ignored.
#[derive(Deserialize)]
struct SubscriptionJson {
    endpoint: String,
    keys: SubscriptionKeys,
}

#[derive(Deserialize)]
struct SubscriptionKeys {
    p256dh: String,
    auth: String,
}

#[derive(Deserialize)]
struct Endpoint {
    endpoint: String,
}

#[derive(Serialize)]
struct Subscribed {
    endpoint: String,
}

/// `POST /api/push/subscriptions`: stores the browser's subscription for the signed-in user
/// (again with the same endpoint: replaced).
#[tracing::instrument(skip_all, fields(user = %user.id))]
async fn subscribe(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<SubscriptionJson>,
) -> ApiResult<(StatusCode, Json<Subscribed>)> {
    let subscription = validate(&user.id, body).map_err(AppError::Validation)?;
    state
        .store
        .save_push_subscription(&subscription, now_ms())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Subscribed {
            endpoint: subscription.endpoint,
        }),
    ))
}

/// `DELETE /api/push/subscriptions` with `{"endpoint"}`: this browser no longer receives the
/// user's pushes. 204 whether or not it was subscribed.
#[tracing::instrument(skip_all, fields(user = %user.id))]
async fn unsubscribe(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<Endpoint>,
) -> ApiResult<StatusCode> {
    if body.endpoint.len() > MAX_ENDPOINT {
        return Err(FieldError::new("endpoint", endpoint_message()).into());
    }
    state
        .store
        .delete_push_subscription(&user.id, &body.endpoint)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn endpoint_message() -> String {
    format!(
        "La dirección de la suscripción (endpoint) debe ser la que da el navegador: https://…, \
         de hasta {MAX_ENDPOINT} caracteres."
    )
}

/// Checks a subscription as RFC 8291 needs it: an https endpoint (http only on this machine,
/// for tests), a P-256 public key of 65 bytes and a 16-byte secret, both base64url.
fn validate(user_id: &str, body: SubscriptionJson) -> Result<SubscriptionRow, Vec<FieldError>> {
    let mut errors = Vec::new();
    let endpoint = body.endpoint.trim();
    if endpoint.len() > MAX_ENDPOINT || !endpoint_allowed(endpoint) {
        errors.push(FieldError::new("endpoint", endpoint_message()));
    }
    let p256dh = crypto::b64url_decode(body.keys.p256dh.trim())
        .filter(|key| key.len() == crypto::PUBLIC_KEY_BYTES && crypto::valid_public_key(key));
    if p256dh.is_none() {
        errors.push(FieldError::new(
            "keys.p256dh",
            "La clave p256dh debe ser una clave pública P-256 sin comprimir (65 bytes) en \
             base64url, la que da el navegador en PushSubscription.toJSON().",
        ));
    }
    let auth = crypto::b64url_decode(body.keys.auth.trim())
        .filter(|secret| secret.len() == crypto::AUTH_BYTES);
    if auth.is_none() {
        errors.push(FieldError::new(
            "keys.auth",
            "El secreto auth debe tener 16 bytes en base64url, el que da el navegador en \
             PushSubscription.toJSON().",
        ));
    }
    match (p256dh, auth) {
        (Some(p256dh), Some(auth)) if errors.is_empty() => Ok(SubscriptionRow {
            endpoint: endpoint.to_owned(),
            user_id: user_id.to_owned(),
            p256dh: crypto::b64url(&p256dh),
            auth: crypto::b64url(&auth),
        }),
        _ => Err(errors),
    }
}

/// An https address with a host and without credentials; http only to this machine's loopback
/// (a push service is never there, a test's is).
fn endpoint_allowed(endpoint: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(endpoint) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    match url.scheme() {
        "https" => true,
        "http" => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(endpoint: &str, p256dh: &str, auth: &str) -> SubscriptionJson {
        SubscriptionJson {
            endpoint: endpoint.into(),
            keys: SubscriptionKeys {
                p256dh: p256dh.into(),
                auth: auth.into(),
            },
        }
    }

    #[test]
    fn only_https_or_loopback_endpoints() {
        assert!(endpoint_allowed("https://fcm.googleapis.com/fcm/send/x"));
        assert!(endpoint_allowed("http://127.0.0.1:8123/push"));
        assert!(endpoint_allowed("http://[::1]:8123/push"));
        assert!(!endpoint_allowed("http://push.example.net/x"));
        assert!(!endpoint_allowed("http://10.0.0.1/x"));
        assert!(!endpoint_allowed("https://user:pw@push.example.net/x"));
        assert!(!endpoint_allowed("ftp://push.example.net/x"));
        assert!(!endpoint_allowed("push.example.net"));
    }

    #[test]
    fn a_subscription_needs_a_point_and_a_secret() {
        let pkcs8 = VapidKeys::generate_pkcs8().unwrap();
        let point = VapidKeys::from_pkcs8(&pkcs8)
            .unwrap()
            .public_key()
            .to_owned();
        let auth = crypto::b64url(&[1; 16]);
        let ok = validate("u1", body("https://push.example.net/a", &point, &auth)).unwrap();
        assert_eq!(ok.p256dh, point);
        assert_eq!(ok.user_id, "u1");

        let errors = validate("u1", body("http://push.example.net/a", "xx", "yy")).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["endpoint", "keys.p256dh", "keys.auth"]);
        let short = crypto::b64url(&[1; 15]);
        let errors = validate("u1", body("https://p.example/a", &point, &short)).unwrap_err();
        assert_eq!(errors[0].field, "keys.auth");
        let not_a_point = crypto::b64url(&[4; 65]);
        let errors = validate("u1", body("https://p.example/a", &not_a_point, &auth)).unwrap_err();
        assert_eq!(errors[0].field, "keys.p256dh");
    }
}
