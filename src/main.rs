//! The `dhcpd` binary: hands argv to the library and exits with its status.
//!
//! One hidden test aid is dispatched here rather than through the flag table, so that it
//! never shows in `--help` and cannot change how ISC's own flags parse:
//! `dhcpd --selftest-echo ...` (first argument only) runs the IO shell with an echo handler
//! for the network-namespace tests; see `dhcpd::io::selftest`.
fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == dhcpd::io::selftest::FLAG) {
        std::process::exit(dhcpd::io::selftest::main(&args[0], &args[2..]));
    }
    std::process::exit(dhcpd::cli::main(args));
}
