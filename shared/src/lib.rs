//! Campo's domain, shared by the server and (through the same rules) the PWA.
//!
//! No I/O lives here: only types and pure functions. The server stores and moves what these types
//! describe; the rules about who may do what, how a ticket's state follows from its events and when
//! its deadlines fall are decided here, once.

pub mod account;
pub mod calendar;
pub mod domain;
pub mod handover;
pub mod ids;
pub mod limits;
pub mod role;
pub mod rules;
pub mod schema;
pub mod sla;
pub mod workflow;
