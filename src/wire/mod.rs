//! Typed views over wire formats.
pub mod dnsname;
pub mod failover;
