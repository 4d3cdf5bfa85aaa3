-- Campo's foundation: the organisation, accounts, sessions, settings, ticket documents and their
-- projection. Timestamps are Unix milliseconds (UTC) in both dialects.

create table dependencias (
    code text primary key,
    name text not null unique,
    created_at bigint not null
);

create table users (
    id text primary key,
    username text not null unique,
    full_name text not null,
    role text not null check (role in ('funcionario', 'tecnico', 'contratista', 'coordinador')),
    dependencia text references dependencias (code),
    email text,
    password_hash text not null,
    active boolean not null default true,
    created_at bigint not null,
    updated_at bigint not null
);

-- Server-side sessions. Only the SHA-256 of the token is stored, so a copy of the database does not
-- let anyone act as a logged-in user.
create table sessions (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    created_at bigint not null,
    last_seen_at bigint not null,
    expires_at bigint not null
);
create index sessions_user on sessions (user_id);

-- Settings edited by coordinators (the SLA policy, the working hours), as JSON documents.
create table settings (
    key text primary key,
    value text not null,
    updated_at bigint not null
);

-- The Automerge storage: every ticket document as a sequence of chunks, either a full snapshot or
-- incremental changes; loading a document applies its chunks in id order.
create table doc_chunks (
    id bigint generated always as identity primary key,
    doc_id text not null,
    kind text not null check (kind in ('snapshot', 'incremental')),
    data bytea not null,
    created_at bigint not null
);
create index doc_chunks_doc on doc_chunks (doc_id, id);

-- Human ticket numbers (SAT-2026-000123): one counter per year, incremented in the transaction
-- that registers the ticket, so a number is given once and never twice.
create table ticket_counters (
    year bigint primary key,
    last bigint not null
);

-- The projection of each ticket document into a row: what lists, boards, reports and access
-- rules read. Rebuilt from the documents at any time.
create table tickets (
    id text primary key,
    number text not null unique,
    requester_id text references users (id),
    dependencia text references dependencias (code),
    channel text not null,
    category text not null,
    summary text not null,
    state text not null,
    priority text,
    assignee_id text references users (id),
    flags bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);
create index tickets_state on tickets (state);
create index tickets_assignee on tickets (assignee_id);
create index tickets_requester on tickets (requester_id);
