//! Campo's domain, shared by the server and (through the same rules) the PWA.
//!
//! No I/O lives here: only types and pure functions. The server stores and moves what these types
//! describe; the rules about who may do what, how a ticket's state follows from its events and when
//! its deadlines fall are decided here, once.
//!
//! The modules are layered; each uses only those of the lines above it:
//!
//! 1. [`ids`], [`account`], [`calendar`], [`wire`] (how values look in JSON and in the Automerge
//!    documents), [`event_kind`] (what a workflow event records) and [`limits`] (the table of how
//!    large a ticket's parts may grow);
//! 2. [`role`] (who may record which event kind) and [`sla`] (priorities and deadlines);
//! 3. [`schema`] (the ticket document; its request and survey forms are validated against the
//!    limits);
//! 4. [`workflow`] (the state folded from the events);
//! 5. [`custody`] (where the equipment went and came back), [`handover`], [`rules`] (what each role may change in a document, each part measured
//!    against the limits) and [`domain`] (all of it as data for the PWA).

pub mod account;
pub mod calendar;
pub mod custody;
pub mod domain;
pub mod event_kind;
pub mod handover;
pub mod ids;
pub mod limits;
pub mod role;
pub mod rules;
pub mod schema;
pub mod sla;
pub mod wire;
pub mod workflow;
