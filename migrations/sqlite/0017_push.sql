-- Web Push (RFC 8030 with VAPID, RFC 8292): the server's key pair, the browsers' subscriptions and
-- the pushes already claimed. Timestamps are Unix milliseconds (UTC).

-- The VAPID key pair, made at the first start: one row. The private key (PKCS#8, base64url) never
-- leaves the server; the public one (the uncompressed P-256 point, base64url) is the browsers'
-- `applicationServerKey`.
create table push_keys (
    id integer primary key check (id = 1),
    private_pkcs8 text not null,
    public_key text not null,
    created_at integer not null
);

-- A browser's `PushSubscription`, as the browser gave it: where to post and the keys to encrypt
-- for it (RFC 8291). One endpoint belongs to one user: subscribing again moves it.
create table push_subscriptions (
    endpoint text primary key,
    user_id text not null references users (id) on delete cascade,
    -- The browser's P-256 public key (65 bytes) and authentication secret (16 bytes), base64url.
    p256dh text not null,
    auth text not null,
    created_at integer not null
);
create index push_subscriptions_user on push_subscriptions (user_id, created_at);

-- One row per push Campo decided to send, "{event id}:{recipient user id}": claimed before it is
-- sent, so a restart or a second replica never sends it twice.
create table push_sent (
    key text primary key,
    ticket_id text not null,
    user_id text not null,
    created_at integer not null
);
