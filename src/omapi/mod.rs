//! OMAPI, the object management protocol `omshell` speaks to ISC dhcpd, minus the sockets.
//!
//! * [`session`] — one connection: introduction, requests in, replies out, ISC's refusals,
//!   and limits so that a hostile client costs bounded memory and time.
//! * [`auth`] — HMAC signatures with the keys of `key` statements.
//! * [`store`] — the [`ObjectStore`] trait the server implements for its leases, hosts,
//!   failover states and control object, and the object types ISC registers.
//! * [`handles`] — ISC's handle numbering, for store implementations.
//! * [`objects`] — the server's store: leases, hosts, failover states and the control
//!   object over the engine and the failover peers, through a [`objects::Backend`].
//!
//! The wire format is [`crate::wire::omapi`]. Nothing here does IO or reads a clock.

pub mod auth;
#[cfg(test)]
pub(crate) mod fake;
pub mod handles;
pub mod objects;
pub mod session;
pub mod store;

pub use auth::{Algorithm, AuthError, AuthKey, KeyRing};
pub use handles::HandleTable;
pub use session::{CloseReason, Limits, Session, SessionConfig, State};
pub use store::{Attributes, Handle, ObjectStore, ObjectType, Target, TypeName};
