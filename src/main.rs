//! The `dhcpd` binary: hands argv to the library and exits with its status.
fn main() {}
