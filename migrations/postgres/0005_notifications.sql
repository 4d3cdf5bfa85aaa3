-- The e-mail outbox: every notification Campo owes someone, recorded once per (workflow event,
-- recipient) and kept after it is sent, so the app can show it too. Timestamps are Unix
-- milliseconds (UTC).
create table notifications (
    id text primary key,
    -- "{event id}:{recipient user id}": enqueuing the same notification twice does nothing.
    key text not null unique,
    ticket_id text not null,
    user_id text references users (id),
    -- Where to mail it; null when the recipient has no e-mail (shown in the app only).
    email text,
    -- The workflow event kind it comes from (registrada, priorizada, asignada, …).
    kind text not null,
    subject text not null,
    body text not null,
    created_at bigint not null,
    sent_at bigint,
    attempts bigint not null default 0,
    -- When the next delivery attempt is due; null when there is nothing to mail.
    next_attempt_at bigint,
    last_error text
);
create index notifications_user on notifications (user_id, created_at);
create index notifications_due on notifications (next_attempt_at) where sent_at is null;
