-- Requests by e-mail (IMAP): every message Campo took from the mailbox, written in the same
-- transaction as the ticket change it became (a new case, or a comment on one), so a message is
-- taken exactly once across restarts and crashes. A message is known by its mailbox, the
-- folder's UIDVALIDITY and its UID, and also by its Message-ID (the same mail delivered twice).
create table mail_intake (
    -- "user@host:port/FOLDER": whose mailbox the UIDs belong to.
    mailbox text not null,
    uidvalidity integer not null,
    uid integer not null,
    -- Without angle brackets; null when the message had none.
    message_id text,
    ticket_id text not null references tickets (id),
    -- "caso" (a new request) or "comentario" (a reply that became a comment).
    kind text not null,
    -- The sender's address as the message gave it ("" when it had none).
    sender text not null,
    received_at integer not null,
    primary key (mailbox, uidvalidity, uid)
);
create unique index mail_intake_message_id on mail_intake (message_id) where message_id is not null;
