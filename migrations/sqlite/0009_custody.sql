-- The custody record of each move of a ticket's equipment (to the workshop, to the contractor,
-- back): who recorded it, which inventory codes moved (separated by commas), who handed them
-- over, who received them, where they went and in what condition. Filled by the projection (its
-- version 3 rewrites every ticket's rows at start).
alter table ticket_equipment_events add column author_id text not null default '';
alter table ticket_equipment_events add column equipment text not null default '';
alter table ticket_equipment_events add column holder_from text not null default '';
alter table ticket_equipment_events add column holder_to text not null default '';
alter table ticket_equipment_events add column place text not null default '';
alter table ticket_equipment_events add column equipment_condition text not null default '';
