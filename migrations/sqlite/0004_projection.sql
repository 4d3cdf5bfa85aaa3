-- The projection of ticket documents (what lists, the board, the reports and the access rules
-- read), the audit of every accepted change, and when each device was last heard from.
-- Timestamps are Unix milliseconds (UTC). Every column is recomputed by `campo reproject`.

alter table tickets add column mode text;
alter table tickets add column requester_name text not null default '';
alter table tickets add column location text not null default '';
alter table tickets add column external_ref text;
alter table tickets add column assignee_name text;
alter table tickets add column assignee_role text;
alter table tickets add column registered_by text;
-- The contradictions the workflow fold found, as their wire names separated by commas.
alter table tickets add column flag_kinds text not null default '';
alter table tickets add column triaged_at integer;
alter table tickets add column responded_at integer;
alter table tickets add column response_due integer;
alter table tickets add column resolution_due integer;
alter table tickets add column resolved_at integer;
alter table tickets add column resolution text;
alter table tickets add column closed_at integer;
alter table tickets add column cancelled_at integer;
alter table tickets add column next_visit_at integer;
alter table tickets add column visits integer not null default 0;
alter table tickets add column absent_visits integer not null default 0;
alter table tickets add column workshop_sends integer not null default 0;
alter table tickets add column contractor_sends integer not null default 0;
alter table tickets add column equipment_returns integer not null default 0;
alter table tickets add column reopened integer not null default 0;
alter table tickets add column duplicate_of text;
alter table tickets add column report_summary text;
alter table tickets add column survey_at integer;
alter table tickets add column survey_channel text;
alter table tickets add column survey_timeliness integer;
alter table tickets add column survey_treatment integer;
alter table tickets add column survey_solution integer;
-- The document heads this row was computed from (hex hashes separated by commas).
alter table tickets add column heads text not null default '';
create index tickets_dependencia on tickets (dependencia);
create index tickets_created on tickets (created_at);

create table ticket_visits (
    ticket_id text not null references tickets (id) on delete cascade,
    visit_id text not null,
    technician_id text not null,
    started_at integer not null,
    ended_at integer,
    user_present integer not null,
    evidence integer not null default 0,
    outcome text,
    next_visit_at integer,
    primary key (ticket_id, visit_id)
);
create index ticket_visits_technician on ticket_visits (technician_id);

-- Equipment codes a ticket names (its request and its visits' custody records).
create table ticket_equipment (
    ticket_id text not null references tickets (id) on delete cascade,
    code text not null,
    primary key (ticket_id, code)
);
create index ticket_equipment_code on ticket_equipment (code);

-- Photos a ticket references: whoever may read the ticket may read them.
create table ticket_blobs (
    ticket_id text not null references tickets (id) on delete cascade,
    sha256 text not null,
    primary key (ticket_id, sha256)
);
create index ticket_blobs_sha256 on ticket_blobs (sha256);

-- Every change the server accepted into a document: who delivered it, from which device.
create table change_audit (
    document_id text not null,
    hash text not null,
    actor text not null,
    user_id text references users (id),
    device text not null,
    received_at integer not null,
    primary key (document_id, hash)
);
create index change_audit_user on change_audit (user_id);

-- When each user's device (automerge-repo peer id, or "api") last reached the server.
create table device_contacts (
    user_id text not null references users (id),
    device text not null,
    last_seen_at integer not null,
    primary key (user_id, device)
);
