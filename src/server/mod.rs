//! The serving process: the glue between the IO shell ([`crate::io`]), the
//! pure engine ([`crate::engine`]) and the lease store
//! ([`crate::lease::store`]). Nothing here decides anything about DHCP;
//! it carries the engine's outcomes out in the order ISC's durability
//! rules require.
//!
//! * [`settings`] — the global options that shape the process (ports,
//!   addresses, syslog facility);
//! * [`startup`] — the lease file read into the engine, the startup
//!   rewrite;
//! * [`handler`] — the event loop's [`Handler`](crate::io::Handler): group
//!   commit, replies held until their leases are on disk, expiry, ping,
//!   `execute()`, clean stop;
//! * [`ping`] — ICMP echo for `ping-check`, non-blocking;
//! * [`exec`] — `execute()` programs, run without blocking the loop;
//! * [`failover`] — the failover relationships as ISC runs them when the
//!   peer cannot be reached;
//! * [`failover_link`] — the failover peers' TCP listeners, dials and
//!   connections, with durability before transmit (not yet driven by
//!   [`handler`]);
//! * [`failover_selftest`] — `dhcpd --selftest-failover`, a test aid that
//!   runs the failover side alone against a real partner.
//!
//! The command line's serve mode ([`crate::cli`]) runs them in ISC's order.

pub mod exec;
pub mod failover;
pub mod failover_link;
pub mod failover_selftest;
pub mod handler;
pub mod ping;
pub mod settings;
pub mod startup;

pub use handler::Server;
pub use settings::{Ports, Settings};
