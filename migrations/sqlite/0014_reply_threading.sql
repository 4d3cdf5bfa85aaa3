-- The Message-ID of the e-mail a notification answers (the automatic answer to a request by
-- e-mail), sent as In-Reply-To and References so the official's mail program threads the answer
-- under their own message. Null for every other notification.
alter table notifications add column in_reply_to text;
