-- The GLPI bridge: every GLPI ticket Campo imported, written in the same transaction as the case
-- it became, so a GLPI ticket is imported exactly once; and what Campo has written back to it.
create table glpi_tickets (
    -- The GLPI's apirest.php address: ticket ids belong to one GLPI.
    instance text not null,
    glpi_id bigint not null,
    ticket_id text not null references tickets (id),
    imported_at bigint not null,
    -- When the follow-up with the case number was added in GLPI; null until then.
    followup_at bigint,
    -- When the solution was added in GLPI; null until the case is resolved and it was.
    solution_at bigint,
    -- Why the last write-back failed (GLPI's answer), for the log and the next try.
    last_error text,
    -- A pass writing back to this ticket holds it until then: two passes at once (a command
    -- beside the server, two replicas) do not both send the same follow-up.
    claimed_until bigint,
    primary key (instance, glpi_id)
);
create unique index glpi_tickets_ticket on glpi_tickets (ticket_id);
