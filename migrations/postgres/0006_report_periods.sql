-- The monthly report by period. Timestamps are Unix milliseconds (UTC); every row is recomputed
-- by `campo reproject` (which the server runs once at start after this migration).

-- Finding the tickets of a period without reading the whole table: those created in it (the
-- `tickets_created` index), those done in it or after it (one index per "done" column, with the
-- creation time to drop later tickets inside the index) and those still open (a small index of
-- the tickets with no "done" time at all).
create index tickets_resolved on tickets (resolved_at, created_at) where resolved_at is not null;
create index tickets_closed on tickets (closed_at, created_at) where closed_at is not null;
create index tickets_cancelled on tickets (cancelled_at, created_at) where cancelled_at is not null;
create index tickets_open on tickets (created_at)
    where resolved_at is null and closed_at is null and cancelled_at is null;

-- The times a ticket waited for an absent user (from `usuario_ausente` until the ticket left
-- that state; `ended_at` is null while it still waits), in order.
create table ticket_absences (
    ticket_id text not null references tickets (id) on delete cascade,
    seq bigint not null,
    started_at bigint not null,
    ended_at bigint,
    primary key (ticket_id, seq)
);

-- When the ticket's equipment went to the workshop or the contractor and when it came back:
-- the workflow events `enviada_taller`, `enviada_contratista` and `equipo_devuelto` that the
-- workflow accepted, in order.
create table ticket_equipment_events (
    ticket_id text not null references tickets (id) on delete cascade,
    seq bigint not null,
    kind text not null,
    at bigint not null,
    primary key (ticket_id, seq)
);
