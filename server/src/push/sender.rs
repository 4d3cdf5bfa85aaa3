//! Delivers one push message to one subscription (RFC 8030 §5): an HTTP POST of the encrypted
//! message to the browser's push service, with `TTL`, `Urgency` and the VAPID `Authorization`.
//! Each delivery runs in a task of its own with a timeout per attempt, so an endpoint that hangs
//! or answers garbage delays nothing else; a subscription the service says is gone (404, 410) is
//! forgotten; a refusal that may pass (429, 5xx, no answer) is tried again a few times, then
//! dropped with a log line.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use reqwest::StatusCode;
use tokio::sync::Semaphore;

use super::crypto::{self, VapidKeys};
use super::store::SubscriptionRow;
use crate::store::Store;

/// How long one attempt may take, answer included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per message, and the wait before each retry.
const RETRY_AFTER: [Duration; 2] = [Duration::from_secs(5), Duration::from_secs(30)];
/// How long the push service keeps a message for a phone that is off (RFC 8030 §5.2).
const TTL_SECS: u32 = 24 * 3600;
/// How long a VAPID token is valid (at most 24 hours, RFC 8292 §2).
const TOKEN_LIFETIME_SECS: i64 = 12 * 3600;
/// Deliveries under way at once; more wait their turn.
const CONCURRENT: usize = 16;
/// The most of a push service's answer read (for the log).
const MAX_ANSWER: usize = 2048;

/// What sends pushes: the HTTP client, the key and the contact for the push services.
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    keys: Arc<VapidKeys>,
    subject: Arc<str>,
    store: Store,
    slots: Arc<Semaphore>,
}

/// How one attempt ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Delivered,
    /// 404 or 410: the subscription expired or was withdrawn.
    Gone(StatusCode),
    /// Worth another attempt later.
    Retry(String),
    /// Will not pass by retrying (a bad request, a key the service refuses).
    Refused(String),
}

impl Sender {
    pub fn new(store: Store, keys: Arc<VapidKeys>, subject: String) -> anyhow::Result<Self> {
        Ok(Self {
            http: http()?,
            keys,
            subject: subject.into(),
            store,
            slots: Arc::new(Semaphore::new(CONCURRENT)),
        })
    }

    /// Sends `message` to `subscription` in the background, retrying as the module says.
    pub fn spawn(&self, subscription: SubscriptionRow, message: Arc<[u8]>) {
        let sender = self.clone();
        tokio::spawn(async move { sender.deliver(subscription, &message).await });
    }

    async fn deliver(&self, subscription: SubscriptionRow, message: &[u8]) {
        let origin = endpoint_origin(&subscription.endpoint);
        for attempt in 0..=RETRY_AFTER.len() {
            let outcome = {
                let Ok(_slot) = self.slots.acquire().await else {
                    return;
                };
                self.attempt(&subscription, message).await
            };
            match outcome {
                Outcome::Delivered => {
                    tracing::debug!(origin, "push delivered");
                    return;
                }
                Outcome::Gone(status) => {
                    tracing::info!(origin, %status, "push subscription gone; forgotten");
                    if let Err(err) = self
                        .store
                        .forget_push_endpoint(&subscription.endpoint, &subscription.p256dh)
                        .await
                    {
                        tracing::error!(%err, "could not forget a push subscription");
                    }
                    return;
                }
                Outcome::Refused(why) => {
                    tracing::warn!(origin, why, "push refused; dropped");
                    return;
                }
                Outcome::Retry(why) => match RETRY_AFTER.get(attempt) {
                    Some(wait) => {
                        tracing::info!(origin, why, attempt, "push failed; will retry");
                        tokio::time::sleep(*wait).await;
                    }
                    None => tracing::warn!(origin, why, "push failed repeatedly; dropped"),
                },
            }
        }
    }

    async fn attempt(&self, subscription: &SubscriptionRow, message: &[u8]) -> Outcome {
        let request = match self.request(subscription, message) {
            Ok(request) => request,
            Err(err) => return Outcome::Refused(format!("{err:#}")),
        };
        let response = match tokio::time::timeout(TIMEOUT, request.send()).await {
            Err(_) => return Outcome::Retry("no answer in time".into()),
            Ok(Err(err)) => return Outcome::Retry(format!("{err}")),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if status.is_success() {
            return Outcome::Delivered;
        }
        let answer = tokio::time::timeout(TIMEOUT, read_some(response))
            .await
            .unwrap_or_default();
        let why = format!("{status}: {answer}");
        match status {
            StatusCode::NOT_FOUND | StatusCode::GONE => Outcome::Gone(status),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => Outcome::Retry(why),
            _ if status.is_server_error() => Outcome::Retry(why),
            _ => Outcome::Refused(why),
        }
    }

    fn request(
        &self,
        subscription: &SubscriptionRow,
        message: &[u8],
    ) -> anyhow::Result<reqwest::RequestBuilder> {
        let ua_public =
            crypto::b64url_decode(&subscription.p256dh).context("p256dh is not base64url")?;
        let auth = crypto::b64url_decode(&subscription.auth).context("auth is not base64url")?;
        let body = crypto::encrypt(&ua_public, &auth, message)?;
        let audience = endpoint_origin(&subscription.endpoint);
        anyhow::ensure!(!audience.is_empty(), "the endpoint is not an address");
        let expires = crate::store::now_ms() / 1000 + TOKEN_LIFETIME_SECS;
        let authorization = self.keys.authorization(&audience, expires, &self.subject)?;
        Ok(self
            .http
            .post(&subscription.endpoint)
            .header("TTL", TTL_SECS.to_string())
            .header("Urgency", "high")
            .header("Content-Type", "application/octet-stream")
            .header("Content-Encoding", "aes128gcm")
            .header("Authorization", authorization)
            .body(body))
    }
}

/// `scheme://host[:port]` of an endpoint: the token's audience, and what logs name (the rest of
/// an endpoint identifies the subscription). Empty when it is not an address.
pub fn endpoint_origin(endpoint: &str) -> String {
    match reqwest::Url::parse(endpoint) {
        Ok(url) if url.origin().is_tuple() => url.origin().ascii_serialization(),
        _ => String::new(),
    }
}

/// At most [`MAX_ANSWER`] bytes of an answer, as text.
async fn read_some(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= MAX_ANSWER {
            bytes.truncate(MAX_ANSWER);
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The HTTP client: TLS with the webpki roots, as the other connections of Campo; no
/// redirects (a push service answers, it does not send elsewhere).
fn http() -> anyhow::Result<reqwest::Client> {
    let roots = tokio_rustls::rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Campo/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| anyhow!("building the push HTTP client: {err}"))
}

#[cfg(test)]
mod tests {
    use super::endpoint_origin;

    #[test]
    fn the_audience_is_the_endpoints_origin() {
        assert_eq!(
            endpoint_origin("https://fcm.googleapis.com/fcm/send/abc:def"),
            "https://fcm.googleapis.com"
        );
        assert_eq!(
            endpoint_origin("http://127.0.0.1:9000/push/1"),
            "http://127.0.0.1:9000"
        );
        assert_eq!(endpoint_origin("no es una dirección"), "");
    }
}
