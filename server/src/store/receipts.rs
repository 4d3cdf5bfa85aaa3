//! What a change taken from outside Campo records with it, in the same transaction: the e-mail
//! it came from ([`MailReceipt`]) or the GLPI ticket ([`GlpiReceipt`]). A second commit of the
//! same message or GLPI ticket violates the receipt's primary key, and nothing of it is stored.

use super::error::Result;
use super::glpi::GlpiReceipt;
use super::mail_intake::MailReceipt;
use super::tx::Tx;

#[derive(Debug, Clone)]
pub enum Receipt {
    Mail(MailReceipt),
    Glpi(GlpiReceipt),
}

impl Receipt {
    /// Records the receipt for `ticket_id` inside the commit's transaction.
    pub(crate) async fn write(&self, tx: &mut impl Tx, ticket_id: &str) -> Result<()> {
        match self {
            Receipt::Mail(mail) => mail.write(tx, ticket_id).await,
            Receipt::Glpi(glpi) => glpi.write(tx, ticket_id).await,
        }
    }
}
