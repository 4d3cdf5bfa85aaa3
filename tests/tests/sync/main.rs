//! End-to-end tests of `/sync`: the official JavaScript automerge-repo client, samod and raw
//! protocol peers against the real `campo` binary, each story on SQLite and on PostgreSQL.

mod access;
mod board;
mod custody;
mod durability;
mod forgery;
mod hostile;
mod js;
mod office;
mod samod;
mod support;
