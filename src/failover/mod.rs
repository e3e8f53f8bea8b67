//! Failover protocol pieces that are pure functions.
pub mod hash;
