//! End-to-end tests of Campo's HTTP API against the real `campo` binary, each story on SQLite and
//! on PostgreSQL.

mod accounts;
mod acta;
mod backup;
mod bad_input;
mod config;
mod custody;
mod demo;
mod deploy;
mod directory;
mod doctor;
mod equipment;
mod failover;
mod faults;
mod glpi;
mod headers;
mod health;
mod inbox;
mod intake;
mod labels;
mod login_throttle;
mod mail_intake;
mod metrics;
mod notifications;
mod photos;
mod push;
mod replicas;
mod reports;
mod settings;
mod sla;
mod user_import;
