//! ISC-compatible dhcpd.conf reader.
