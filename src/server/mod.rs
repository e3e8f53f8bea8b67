//! Glue between the pure cores and the IO shell for a serving dhcpd.
//!
//! * [`failover_link`] — the failover peers' TCP listeners, dials and
//!   connections, with durability before transmit.
//! * [`failover_selftest`] — `dhcpd --selftest-failover`, a test aid that
//!   runs the failover side alone against a real partner.

pub mod failover_link;
pub mod failover_selftest;
