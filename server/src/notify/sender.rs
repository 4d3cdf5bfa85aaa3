//! Mails the due rows of the outbox through SMTP (`lettre`). A failed delivery is retried
//! after 5 s, 10 s, 20 s, … up to one hour between attempts; a row leaves the queue only once
//! the mail server has accepted it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use crate::config::Config;
use crate::metrics::{METRICS, Metrics};
use crate::store::{PendingMail, Store, now_ms};

/// First retry delay; each further failure doubles it.
const FIRST_RETRY: Duration = Duration::from_secs(5);
/// Longest wait between two attempts.
const MAX_RETRY: Duration = Duration::from_secs(3600);
/// How long a claimed row is reserved for this sender (longer than an SMTP exchange).
const LEASE: Duration = Duration::from_secs(300);
/// How often the queue is read when nothing wakes the sender (retries fall due by time).
const POLL: Duration = Duration::from_secs(5);
/// Mails read from the queue at a time.
const BATCH: i64 = 20;

/// The SMTP connection settings and the sender address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `None` without `CAMPO_SMTP_URL`. [`Config`] has checked both settings at start, so the
    /// errors here are not expected.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(url) = config.smtp_url.as_deref() else {
            return Ok(None);
        };
        let from = config
            .smtp_from
            .clone()
            .context("CAMPO_SMTP_URL needs CAMPO_SMTP_FROM, the sender address")?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("CAMPO_SMTP_URL is not a valid smtp:// or smtps:// URL")?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Some(Self { transport, from }))
    }

    /// Connects to the mail server and says hello, without sending anything (`campo doctor`).
    pub async fn check(&self) -> anyhow::Result<()> {
        if self.transport.test_connection().await? {
            Ok(())
        } else {
            anyhow::bail!("the mail server did not accept the connection")
        }
    }

    async fn send(&self, mail: &PendingMail) -> anyhow::Result<()> {
        // Every mail Campo sends is automatic (RFC 3834), so well-behaved robots do not answer
        // it; its Message-ID names its outbox row, so a person's reply finds its case.
        let auto = HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        );
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(mail.email.parse::<Mailbox>()?)
            .subject(mail.subject.as_str())
            .message_id(Some(message_id(&mail.id, &self.from)));
        if let Some(original) = &mail.in_reply_to {
            message = message
                .in_reply_to(original.clone())
                .references(original.clone());
        }
        let message = message
            .raw_header(auto)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// The Message-ID of the outbox row `id`: `<campo-{id}@{the sender's domain}>`; the e-mail
/// collector reads it back from a reply's `In-Reply-To` (see [`notification_of_message_id`]).
pub fn message_id(id: &str, from: &Mailbox) -> String {
    format!("<campo-{id}@{}>", from.email.domain())
}

/// The outbox row a Message-ID written by [`message_id`] names.
pub fn notification_of_message_id(message_id: &str) -> Option<&str> {
    let id = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let (local, _domain) = id.split_once('@')?;
    local.strip_prefix("campo-").filter(|rest| !rest.is_empty())
}

/// The delay before the attempt that follows `attempts` failed ones.
pub fn retry_delay(attempts: i64) -> Duration {
    let doublings = attempts.clamp(0, 20) as u32;
    (FIRST_RETRY * 2u32.pow(doublings)).min(MAX_RETRY)
}

/// Sends due mails until the process ends; `wake` says new rows were enqueued.
pub async fn run(store: Store, mailer: Mailer, wake: Arc<Notify>) {
    loop {
        if let Err(err) = send_due(&store, &mailer).await {
            tracing::error!(%err, "could not read the notification queue");
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn send_due(store: &Store, mailer: &Mailer) -> crate::store::Result<()> {
    loop {
        let due = store.due_mails(now_ms(), BATCH).await?;
        if due.is_empty() {
            return Ok(());
        }
        let mut sent_any = false;
        for mail in due {
            // Another replica may hold the same row: only the one that claims it sends it.
            if !store
                .claim_mail(&mail, now_ms() + LEASE.as_millis() as i64)
                .await?
            {
                continue;
            }
            match mailer.send(&mail).await {
                Ok(()) => {
                    store.mail_sent(&mail.id, now_ms()).await?;
                    sent_any = true;
                }
                Err(err) => {
                    let retry_at = now_ms() + retry_delay(mail.attempts).as_millis() as i64;
                    tracing::warn!(id = %mail.id, attempts = mail.attempts + 1, err = %err,
                        "notification not delivered; will retry");
                    Metrics::add(&METRICS.errors, 1);
                    store
                        .mail_failed(&mail.id, &format!("{err:#}"), retry_at)
                        .await?;
                }
            }
        }
        // Everything left failed or belongs to another sender: wait for the next round.
        if !sent_any {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_up_to_an_hour() {
        assert_eq!(retry_delay(0), Duration::from_secs(5));
        assert_eq!(retry_delay(1), Duration::from_secs(10));
        assert_eq!(retry_delay(4), Duration::from_secs(80));
        assert_eq!(retry_delay(10), MAX_RETRY);
        assert_eq!(retry_delay(1_000), MAX_RETRY);
    }
}
