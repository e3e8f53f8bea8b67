//! OMAPI, the object management protocol `omshell` speaks to ISC dhcpd, minus the sockets.
//!
//! * [`auth`] — HMAC signatures with the keys of `key` statements.
//!
//! The wire format is [`crate::wire::omapi`]. Nothing here does IO or reads a clock.

pub mod auth;
