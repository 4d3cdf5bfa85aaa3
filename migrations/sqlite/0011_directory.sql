-- Accounts that come from the office's directory (LDAP): created or updated at each login, with
-- no password in Campo (`password_hash` is empty and never verifies); the directory says who
-- they are and whether they may still log in.
alter table users add column directory boolean not null default 0;
