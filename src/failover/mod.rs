//! Failover protocol pieces that are pure functions.
