-- Times the office can answer for: the SLA policy's history, the office's closures by decree,
-- the two clocks' warning points on each case, and the escalations sent. Timestamps are Unix
-- milliseconds (UTC).

-- Every version of the SLA policy, kept: a case is measured with the version in force when it was
-- received, so changing the policy never moves a deadline already promised.
create table sla_policies (
    effective_from integer primary key,
    policy text not null,
    created_by text references users (id),
    created_at integer not null
);
-- The policy stored until now becomes the first version, in force since always.
insert into sla_policies (effective_from, policy, created_by, created_at)
    select 0, value, null, updated_at from settings where key = 'sla';
delete from settings where key = 'sla';

-- Days the Gobernación closed the offices or changed their hours (días cívicos, jornada
-- continua, half days). hours: JSON list of {"start","end"} local times; empty = closed.
create table office_closures (
    date text primary key,
    hours text not null,
    reason text not null,
    created_by text references users (id),
    created_at integer not null
);

-- When the coordinators are warned that a deadline is near; null once that clock stopped, so
-- the partial indexes hold the running clocks only and the escalation scan never reads closed
-- cases.
alter table tickets add column response_warn_at integer;
alter table tickets add column resolution_warn_at integer;
create index tickets_response_warn on tickets (response_warn_at)
    where response_warn_at is not null;
create index tickets_resolution_warn on tickets (resolution_warn_at)
    where resolution_warn_at is not null;
create index tickets_response_due_running on tickets (response_due)
    where response_warn_at is not null;
create index tickets_resolution_due_running on tickets (resolution_due)
    where resolution_warn_at is not null;

-- Each escalation sent, once per case, clock (respuesta, solucion) and level (aviso, vencido).
create table sla_escalations (
    ticket_id text not null references tickets (id) on delete cascade,
    clock text not null,
    level text not null,
    due_at integer not null,
    fired_at integer not null,
    primary key (ticket_id, clock, level)
);
