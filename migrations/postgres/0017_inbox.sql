-- The in-app inbox: when its recipient read each notification (on any of its devices), and the
-- indexes of the scans that enqueue the scheduled notifications (a visit due, equipment held
-- too long, a survey not answered) without reading closed cases. Timestamps are Unix
-- milliseconds (UTC).
alter table notifications add column read_at bigint;
create index notifications_unread on notifications (user_id) where read_at is null;
-- The outbox in Ajustes: the most recently mailed first.
create index notifications_sent on notifications (sent_at) where sent_at is not null;
-- Survey reminders: resolved cases whose survey is not answered, by resolution time.
create index tickets_survey_pending on tickets (resolved_at)
    where survey_at is null and resolved_at is not null;
