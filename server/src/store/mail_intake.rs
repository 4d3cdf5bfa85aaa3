//! What the e-mail collector ([`crate::intake`]) took from the mailbox: one `mail_intake` row per
//! message, written with the ticket change it became ([`super::CommitChange::mail`]), and the
//! lookups that recognise a message already taken.

use super::error::Result;
use super::tx::{Args, Tx};
use super::{Store, with_pool};

/// A message taken from the mailbox, recorded in the same transaction as its ticket change.
#[derive(Debug, Clone)]
pub struct MailReceipt {
    /// `user@host:port/FOLDER`.
    pub mailbox: String,
    pub uidvalidity: i64,
    pub uid: i64,
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// `caso` or `comentario`.
    pub kind: &'static str,
    pub sender: String,
    pub received_at: i64,
}

const INSERT_RECEIPT: &str = "insert into mail_intake (mailbox, uidvalidity, uid, message_id,
     ticket_id, kind, sender, received_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";

impl MailReceipt {
    /// Records the receipt for `ticket_id` inside the commit's transaction.
    pub(crate) async fn write(&self, tx: &mut impl Tx, ticket_id: &str) -> Result<()> {
        let args = Args::new()
            .bind(self.mailbox.as_str())
            .bind(self.uidvalidity)
            .bind(self.uid)
            .bind(self.message_id.as_deref())
            .bind(ticket_id)
            .bind(self.kind)
            .bind(self.sender.as_str())
            .bind(self.received_at);
        tx.execute(INSERT_RECEIPT, &args).await?;
        Ok(())
    }
}

impl Store {
    /// The ticket a message already became, recognised by its place in the mailbox or by its
    /// Message-ID: `(ticket id, kind)`.
    #[tracing::instrument(skip_all, fields(uid))]
    pub async fn mail_taken(
        &self,
        mailbox: &str,
        uidvalidity: i64,
        uid: i64,
        message_id: Option<&str>,
    ) -> Result<Option<(String, String)>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, (String, String)>(
                "select ticket_id, kind from mail_intake
                 where (mailbox = $1 and uidvalidity = $2 and uid = $3)
                    or ($4 is not null and message_id = $4)
                 limit 1",
            )
            .bind(mailbox)
            .bind(uidvalidity)
            .bind(uid)
            .bind(message_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// The ticket of a notification, by the notification's id (the local part of the
    /// Message-ID Campo gives its mails): how a reply to an automatic answer finds its case.
    pub async fn notification_ticket(&self, notification_id: &str) -> Result<Option<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, String>("select ticket_id from notifications where id = $1")
                .bind(notification_id)
                .fetch_optional(pool)
                .await
        })
    }

    /// The id of the active user with this e-mail address (compared without case).
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<String>> {
        with_pool!(self, pool => {
            sqlx::query_scalar::<_, String>(
                "select id from users where lower(email) = lower($1) and active
                 order by created_at limit 1",
            )
            .bind(email)
            .fetch_optional(pool)
            .await
        })
    }
}
