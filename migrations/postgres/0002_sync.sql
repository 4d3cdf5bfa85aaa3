-- Sync: single-use tokens that let non-browser clients open the /sync WebSocket. Only the SHA-256
-- of a token is stored, and it is deleted when used, so several replicas can share them.
create table sync_tokens (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    expires_at bigint not null
);
create index sync_tokens_expiry on sync_tokens (expires_at);
