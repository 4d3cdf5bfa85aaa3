-- A sync token belongs to the session that asked for it: ending the session (logout, a new
-- password, deactivation, expiry) revokes it, and until then it serves the reconnects of its short
-- life (the JavaScript client reconnects with the same URL). Tokens live two minutes, so the old
-- ones are simply dropped.
drop table sync_tokens;
create table sync_tokens (
    token_hash text primary key,
    session_hash text not null references sessions (token_hash) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    expires_at bigint not null
);
create index sync_tokens_expiry on sync_tokens (expires_at);
create index sync_tokens_session on sync_tokens (session_hash);
create index sync_tokens_user on sync_tokens (user_id);
