//! The `dhcpd` binary: hands argv to the library and exits with its status.
fn main() {
    std::process::exit(dhcpd::cli::main(std::env::args_os().collect()));
}
