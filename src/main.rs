//! The `dhcpd` binary: hands argv to the library and exits with its status.
//!
//! Two hidden test aids are dispatched here rather than through the flag table, so that they
//! never show in `--help` and cannot change how ISC's own flags parse (first argument only):
//! `dhcpd --selftest-echo ...` runs the IO shell with an echo handler for the
//! network-namespace tests (`dhcpd::io::selftest`); `dhcpd --selftest-failover -cf C -lf L` runs
//! the failover links alone against a partner (`dhcpd::server::failover_selftest`).
fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == dhcpd::io::selftest::FLAG) {
        std::process::exit(dhcpd::io::selftest::main(&args[0], &args[2..]));
    }
    if args.get(1).is_some_and(|a| a == dhcpd::server::failover_selftest::FLAG) {
        std::process::exit(dhcpd::server::failover_selftest::main(&args[2..]));
    }
    std::process::exit(dhcpd::cli::main(args));
}
