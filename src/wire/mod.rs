//! Typed views over wire formats.
pub mod failover;
