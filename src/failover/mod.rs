//! ISC's failover protocol: two DHCP servers sharing pools.
//!
//! The protocol engine is sans-IO (the quinn-proto shape): [`Peer`] is one
//! failover relationship, driven by `handle_*` inputs carrying the time and
//! drained through `poll_event`, `poll_transmit` and `poll_timeout`. It never
//! reads a clock, opens a socket or touches a file; leases come through the
//! [`LeaseTable`] view of the lease database.
//!
//! * [`peer`] — the relationship: handshake, state machine effects, update
//!   queues, pool balancing glue;
//! * [`state`] — the server states and ISC's transition tables;
//! * [`binding`] — who may allocate what, MCLT lease times, the binding-state
//!   moves a server makes itself;
//! * [`update`] — BNDUPD/BNDACK at the lease level, including ISC's dueling
//!   and transition checks;
//! * [`balance`] — pool balancing arithmetic and log lines;
//! * [`hash`] — the RFC 3074 load-balancing hash and HBA;
//! * [`link`], [`timer`], [`event`], [`config`], [`table`] — the pieces the
//!   peer is built from.
//!
//! Where ISC's own rules let a pair bind one address twice or lose a lease
//! (`isc-failover-under-faults.md`), we are stricter; each such place says
//! so in its module doc.

pub mod balance;
pub mod binding;
pub mod config;
pub mod event;
pub mod hash;
pub mod link;
pub mod peer;
pub mod state;
pub mod table;
pub mod timer;
pub mod update;

#[cfg(test)]
mod sim;

pub use config::PeerConfig;
pub use event::{Event, Level};
pub use link::LinkId;
pub use peer::{ConnectFailure, Peer};
pub use state::{FailoverState, Role, ServiceState};
pub use table::{LeaseTable, MemLeaseTable, PoolId, PoolInfo};
