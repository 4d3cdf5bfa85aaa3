-- Integration tokens (the intranet, GLPI, report readers) and the intranet's intake.
--
-- A token is 256 random bits; only its SHA-256 is stored (like a session's), so a copy of the
-- database does not let anyone call the API. It acts with the scopes it was given, and only while
-- it is neither revoked nor expired and its creator is still an active coordinator.
create table api_tokens (
    id text primary key,
    name text not null,
    token_hash text not null unique,
    -- Space-separated scopes: 'intake', 'reports:read'.
    scopes text not null,
    created_by text not null references users (id),
    created_at integer not null,
    expires_at integer,
    last_used_at integer,
    revoked_at integer
);

-- The external reference of an intake call makes it idempotent: the unique key (channel,
-- external_ref) is claimed before the ticket is created, so two concurrent calls with the same
-- reference cannot both create a case (the loser reads the winner's claim).
create table intake_refs (
    channel text not null,
    external_ref text not null,
    ticket_id text not null,
    requester_id text not null references users (id),
    token_id text references api_tokens (id),
    created_at integer not null,
    primary key (channel, external_ref)
);

-- The official's identity document number (cédula), by which the intranet may name them.
alter table users add column document text;
create unique index users_document on users (document) where document is not null;
