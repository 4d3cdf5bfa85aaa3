//! End-to-end tests of Campo's HTTP API against the real `campo` binary, each story on SQLite and
//! on PostgreSQL.

mod accounts;
mod acta;
mod backup;
mod bad_input;
mod config;
mod demo;
mod directory;
mod equipment;
mod glpi;
mod headers;
mod health;
mod intake;
mod labels;
mod login_throttle;
mod mail_intake;
mod notifications;
mod photos;
mod reports;
mod settings;
mod user_import;
