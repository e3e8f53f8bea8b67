//! Runs the built `dhcpd` binary for each command-line behaviour and, where
//! ISC's `/usr/sbin/dhcpd` is installed, checks that it prints the same
//! bytes on stderr and exits with the same status.
//!
//! ISC is only ever run with `-t`, `--version`, `--help` or a bad flag, so
//! it never serves. Its four banner lines are replaced by our one-line
//! banner before comparing; everything else must match exactly. Without ISC
//! the comparisons are skipped but our own assertions still run.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use dhcpd::cli::{BANNER, VERSION_LINE};

const ISC: &str = "/usr/sbin/dhcpd";
const ISC_BANNER: [&str; 4] = [
    "Internet Systems Consortium DHCP Server 4.4.3-P1",
    "Copyright 2004-2022 Internet Systems Consortium.",
    "All rights reserved.",
    "For info, please visit https://www.isc.org/software/dhcp/",
];
const ENV_VARS: [&str; 6] =
    ["PATH_DHCPD_CONF", "PATH_DHCPD_DB", "PATH_DHCPD_PID", "DHCPD_PORT", "PATH_DHCPD6_DB", "PATH_DHCPD6_PID"];

/// A scratch directory with an empty config, an accepted one, a lease file.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("dhcpd-rs-cli-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("empty.conf"), "").unwrap();
        std::fs::write(dir.join("auth.conf"), "authoritative;\n").unwrap();
        std::fs::write(dir.join("inc-missing.conf"), "include \"nope.conf\";\n").unwrap();
        std::fs::write(dir.join("l.leases"), "").unwrap();
        Scratch(std::fs::canonicalize(&dir).unwrap())
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Run {
    status: i32,
    stderr: Vec<u8>,
    stdout: Vec<u8>,
}

impl Run {
    fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    fn lines(&self) -> Vec<String> {
        self.err().lines().map(str::to_string).collect()
    }
}

fn exec(bin: &str, args: &[OsString], dir: &Path, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(bin);
    cmd.args(args).current_dir(dir);
    for v in ENV_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("binary runs");
    Run { status: out.status.code().unwrap_or(-1), stderr: out.stderr, stdout: out.stdout }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn ours(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Run {
    exec(env!("CARGO_BIN_EXE_dhcpd"), &os(args), dir, env)
}

fn isc_installed() -> bool {
    Path::new(ISC).exists()
}

/// ISC's output with its banner swapped for ours.
fn isc_normalised(args: &[OsString], dir: &Path, env: &[(&str, &str)]) -> Option<Run> {
    if !isc_installed() {
        eprintln!("{} not installed: comparison skipped", ISC);
        return None;
    }
    let mut r = exec(ISC, args, dir, env);
    let text = r.stderr.clone();
    let mut out = Vec::new();
    let mut lines = text.split_inclusive(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if body == ISC_BANNER[0].as_bytes() {
            out.extend_from_slice(BANNER.as_bytes());
            out.push(b'\n');
            for _ in 1..4 {
                lines.next();
            }
            continue;
        }
        out.extend_from_slice(line);
    }
    r.stderr = out;
    Some(r)
}

/// Runs both with the same raw arguments and asserts identical behaviour;
/// returns ours.
fn same_as_isc_os(args: &[OsString], dir: &Path, env: &[(&str, &str)]) -> Run {
    let o = exec(env!("CARGO_BIN_EXE_dhcpd"), args, dir, env);
    if let Some(i) = isc_normalised(args, dir, env) {
        assert_eq!(
            (o.status, o.err()),
            (i.status, i.err()),
            "ours vs ISC for {:?}",
            args
        );
        assert_eq!(o.stdout, i.stdout, "stdout for {:?}", args);
    }
    o
}

fn same_as_isc(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Run {
    same_as_isc_os(&os(args), dir, env)
}

fn footer_lines() -> Vec<String> {
    let mut v = vec![String::new()];
    v.extend(dhcpd::conf::diag::FATAL_FOOTER.iter().map(|s| s.to_string()));
    v.push(String::new());
    v.push("exiting.".into());
    v
}

#[test]
fn version_goes_to_stderr_and_exits_zero() {
    let s = Scratch::new("version");
    let r = ours(&["--version"], &s.0, &[]);
    assert_eq!(r.status, 0);
    assert_eq!(r.err(), format!("{}\n", VERSION_LINE));
    assert!(r.stdout.is_empty());
    // Even after a bad flag or as another flag's value, like ISC's first pass.
    assert_eq!(ours(&["-x", "--version"], &s.0, &[]).status, 0);
    assert_eq!(ours(&["-cf", "--version"], &s.0, &[]).status, 0);
    if isc_installed() {
        let i = exec(ISC, &os(&["--version"]), &s.0, &[]);
        assert_eq!(i.status, 0);
        assert!(i.stdout.is_empty());
        assert!(i.err().starts_with("isc-dhcpd-"));
    }
}

#[test]
fn help_is_iscs_usage() {
    let s = Scratch::new("help");
    for args in [&["--help"][..], &["-h"], &["-x", "--help"], &["-t", "-cf", "-h"]] {
        let r = same_as_isc(args, &s.0, &[]);
        assert_eq!(r.status, 0);
        assert!(r.err().starts_with("Usage: dhcpd [-p <UDP port #>] [-f] [-d] [-q] [-t|-T]\n"));
        assert!(r.err().ends_with("       dhcpd {--version|--help|-h}\n"));
    }
}

#[test]
fn unknown_commands() {
    let s = Scratch::new("unknown");
    for bad in ["-x", "-", "--", "-4o6", "-cfx", "--no-pid=1", "-F"] {
        let r = same_as_isc(&["-t", bad], &s.0, &[]);
        assert_eq!(r.status, 1);
        let lines = r.lines();
        assert_eq!(lines[0], BANNER);
        assert_eq!(lines[1], format!("Unknown command {}", bad));
        assert!(lines[2].starts_with("Usage: dhcpd "));
        assert_eq!(lines[lines.len() - 8..], footer_lines()[..]);
    }
    // -q does not silence usage errors (ISC applies -q only after the loop).
    let r = same_as_isc(&["-q", "-t", "-x"], &s.0, &[]);
    assert_eq!(r.lines()[1], "Unknown command -x");
}

#[test]
fn unknown_command_bytes_are_kept_and_cut_at_isc_buffer() {
    let s = Scratch::new("bytes");
    let raw = OsString::from_vec(b"-\xff\xfe".to_vec());
    let r = same_as_isc_os(&[OsString::from("-t"), raw], &s.0, &[]);
    let want = b"\nUnknown command -\xff\xfe\n";
    assert!(r.stderr.windows(want.len()).any(|w| w == want));
    let long = format!("-{}", "a".repeat(1100));
    let r = same_as_isc(&["-t", &long], &s.0, &[]);
    assert_eq!(r.lines()[1].len(), 1023);
}

#[test]
fn missing_arguments() {
    let s = Scratch::new("noarg");
    for flag in ["-cf", "-lf", "-pf", "-p", "-s", "-user", "-group", "-chroot", "-tf", "-play"] {
        let r = same_as_isc(&["-t", flag], &s.0, &[]);
        assert_eq!(r.status, 1);
        assert_eq!(r.lines()[1], format!("No argument for command: {} ", flag));
    }
}

#[test]
fn both_families_is_fatal_before_the_banner() {
    let s = Scratch::new("families");
    for args in [&["-t", "-4", "-6"][..], &["-t", "-6", "-4"], &["-q", "-t", "-4", "-6"]] {
        let r = same_as_isc(args, &s.0, &[]);
        assert_eq!(r.status, 1);
        let mut want = vec!["Server cannot run in both IPv4 and IPv6 mode at the same time.".to_string()];
        want.extend(footer_lines());
        assert_eq!(r.lines(), want);
    }
}

#[test]
fn dhcpv6_is_refused_plainly() {
    let s = Scratch::new("v6");
    for args in [&["-6", "-t", "-cf", "empty.conf"][..], &["-q", "-6"], &["-6", "-6", "-t"]] {
        let r = ours(args, &s.0, &[]);
        assert_eq!(r.status, 1, "{:?}", args);
        assert_eq!(r.lines().len(), 1, "{}", r.err());
        assert!(r.err().starts_with("DHCPv6 is not supported"), "{}", r.err());
    }
}

#[test]
fn test_mode_accepts_and_prints_paths() {
    let s = Scratch::new("accept");
    for conf in ["empty.conf", "auth.conf"] {
        let r = same_as_isc(&["-t", "-cf", conf, "-lf", "l.leases", "-pf", "x.pid"], &s.0, &[]);
        assert_eq!(r.status, 0);
        assert_eq!(
            r.lines(),
            vec![
                BANNER.to_string(),
                format!("Config file: {}", conf),
                format!("Database file: {}", s.path("l.leases")),
                "PID file: x.pid".to_string(),
            ]
        );
    }
    // Defaults when nothing names the lease and pid files.
    let r = same_as_isc(&["-t", "-cf", "empty.conf"], &s.0, &[]);
    assert_eq!(r.lines()[2..], ["Database file: /var/lib/dhcp/dhcpd.leases", "PID file: /var/run/dhcpd.pid"]);
    // Every other flag is accepted alongside -t.
    let r = same_as_isc(
        &["-4", "-f", "-d", "--no-pid", "-s", "10.1.2.3", "-t", "-cf", "empty.conf", "-lf", "l.leases", "eth0", "lo"],
        &s.0,
        &[],
    );
    assert_eq!(r.status, 0);
}

#[test]
fn quiet_prints_nothing() {
    let s = Scratch::new("quiet");
    let r = same_as_isc(&["-q", "-t", "-cf", "empty.conf", "-lf", "l.leases"], &s.0, &[]);
    assert_eq!((r.status, r.stderr.len()), (0, 0));
    // Even a fatal error after the banner point is silent, as in ISC.
    let r = same_as_isc(&["-q", "-t", "-cf", "missing.conf", "-lf", "l.leases"], &s.0, &[]);
    assert_eq!((r.status, r.stderr.len()), (1, 0));
    // But -p is logged while the arguments are read, before -q applies.
    let r = same_as_isc(&["-q", "-t", "-p", "6767", "-cf", "empty.conf"], &s.0, &[]);
    assert_eq!(r.err(), "binding to user-specified port 6767\n");
}

#[test]
fn ports() {
    let s = Scratch::new("ports");
    let r = same_as_isc(&["-t", "-p", "5", "-p", "6", "-cf", "empty.conf"], &s.0, &[]);
    assert_eq!(r.lines()[..2], ["binding to user-specified port 5", "binding to user-specified port 6"]);
    for bad in ["abc", "0", "70000", "", " 5", "5 ", "-1", "+7", "0x10", "99999999999", "99999999999999999999"] {
        same_as_isc(&["-t", "-p", bad, "-cf", "empty.conf"], &s.0, &[]);
    }
    let r = same_as_isc(&["-t", "-cf", "empty.conf"], &s.0, &[("DHCPD_PORT", "6767")]);
    assert_eq!(r.lines()[1], "binding to environment-specified port 6767");
    let r = same_as_isc(&["-t", "-cf", "empty.conf"], &s.0, &[("DHCPD_PORT", "nope")]);
    assert_eq!((r.status, r.lines()[1].as_str()), (1, "Invalid port number specification: nope"));
    // -p wins: the environment is not even checked.
    let r = same_as_isc(&["-t", "-p", "68", "-cf", "empty.conf"], &s.0, &[("DHCPD_PORT", "nope")]);
    assert_eq!(r.status, 0);
}

#[test]
fn relative_lease_file_must_exist() {
    let s = Scratch::new("lf");
    let r = same_as_isc(&["-t", "-cf", "empty.conf", "-lf", "missing.leases"], &s.0, &[]);
    assert_eq!(r.status, 1);
    let mut want = vec!["Failed to get realpath for missing.leases: No such file or directory".to_string()];
    want.extend(footer_lines());
    assert_eq!(r.lines(), want);
    // An absolute one is taken as given, existing or not.
    let r = same_as_isc(&["-t", "-cf", "empty.conf", "-lf", "/nonexistent/dhcpd.leases"], &s.0, &[]);
    assert_eq!((r.status, r.lines()[2].as_str()), (0, "Database file: /nonexistent/dhcpd.leases"));
    // The environment's lease path is resolved the same way.
    let r = same_as_isc(&["-t", "-cf", "empty.conf"], &s.0, &[("PATH_DHCPD_DB", "missing.leases")]);
    assert_eq!(r.status, 1);
}

#[test]
fn environment_paths() {
    let s = Scratch::new("env");
    let env = [("PATH_DHCPD_CONF", "auth.conf"), ("PATH_DHCPD_DB", "l.leases"), ("PATH_DHCPD_PID", "e.pid")];
    let r = same_as_isc(&["-t"], &s.0, &env);
    assert_eq!(r.lines()[1..], ["Config file: auth.conf".to_string(), format!("Database file: {}", s.path("l.leases")), "PID file: e.pid".to_string()]);
    // Flags win over the environment.
    let r = same_as_isc(&["-t", "-cf", "empty.conf", "-pf", "f.pid"], &s.0, &env);
    assert_eq!(r.lines()[1], "Config file: empty.conf");
    assert_eq!(r.lines()[3], "PID file: f.pid");
}

#[test]
fn interface_names() {
    let s = Scratch::new("ifaces");
    let r = same_as_isc(&["-t", "-cf", "empty.conf", "abcdefghijklmnop"], &s.0, &[]);
    assert_eq!((r.status, r.lines()[0].as_str()), (1, "abcdefghijklmnop: interface name too long (is 16)"));
    let r = same_as_isc(&["-t", "-cf", "empty.conf", "abcdefghijklmno"], &s.0, &[]);
    assert_eq!(r.status, 0);
}

#[test]
fn users_groups_and_chroot_under_test() {
    let s = Scratch::new("priv");
    let r = same_as_isc(&["-t", "-user", "no-such-user-x", "-cf", "empty.conf"], &s.0, &[]);
    assert_eq!(r.status, 1);
    let r = same_as_isc(&["-t", "-group", "no-such-group-x", "-cf", "empty.conf"], &s.0, &[]);
    assert_eq!(r.status, 1);
    let r = same_as_isc(&["-t", "-user", "root", "-group", "root", "-cf", "empty.conf"], &s.0, &[]);
    let root = unsafe { libc::geteuid() } == 0;
    assert_eq!(r.status, if root { 0 } else { 1 });
    // ISC chroots after reading the config, before the -t exit.
    let r = same_as_isc(&["-t", "-chroot", "/nonexistent-dir", "-cf", "empty.conf"], &s.0, &[]);
    assert_eq!(r.status, 1);
    if root {
        assert_eq!(r.lines()[4], "chroot(\"/nonexistent-dir\"): No such file or directory");
        let r = same_as_isc(&["-t", "-chroot", &s.path(""), "-cf", "empty.conf"], &s.0, &[]);
        assert_eq!(r.status, 0);
    }
}

#[test]
fn config_errors_end_with_iscs_footer() {
    let s = Scratch::new("conferr");
    let r = same_as_isc(&["-t", "-cf", "missing.conf", "-lf", "l.leases"], &s.0, &[]);
    assert_eq!(r.lines()[1], "Can't open missing.conf: No such file or directory");
    let r = same_as_isc(&["-t", "-cf", "inc-missing.conf", "-lf", "l.leases"], &s.0, &[]);
    assert_eq!((r.status, r.lines()[1].as_str()), (1, "Can't open nope.conf: No such file or directory"));

    // Parse errors: every diagnostic as the library renders it, then ISC's
    // closing line and footer (byte-for-byte ISC parity of the diagnostics
    // themselves is the conformance suite's job).
    std::fs::write(s.0.join("bad.conf"), "default-lease-time x;\n\"unterminated\n").unwrap();
    let r = ours(&["-t", "-cf", "bad.conf", "-lf", "l.leases"], &s.0, &[]);
    let lib = dhcpd::conf::check_config("bad.conf", &dhcpd::conf::conformance::DirLoader(s.0.clone()));
    assert_eq!(r.status, 1);
    let mut want: Vec<u8> = format!("{}\n", BANNER).into_bytes();
    for d in &lib.diagnostics {
        for line in d.render() {
            want.extend_from_slice(&line[..line.len().min(1023)]);
            want.push(b'\n');
        }
    }
    let want = String::from_utf8_lossy(&want).into_owned();
    let fatal = lib.fatal.expect("bad.conf is rejected");
    let mut tail = vec![fatal];
    tail.extend(footer_lines());
    assert_eq!(r.err(), format!("{}{}\n", want, tail.join("\n")));
}

#[test]
fn unavailable_parts_say_so() {
    let s = Scratch::new("unavail");
    let base = ["-cf", "empty.conf", "-lf", "l.leases", "-pf", "p.pid"];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = extra.to_vec();
        a.extend_from_slice(&base);
        ours(&a, &s.0, &[])
    };
    let check = |r: Run, needle: &str| {
        assert_eq!(r.status, 1, "{}", r.err());
        let last = r.lines().last().cloned().unwrap_or_default();
        assert!(last.contains(needle) && last.contains("not available yet"), "{}", r.err());
    };
    check(with(&["-t", "-tf", "out.trace"]), "(-tf)");
    check(with(&["-t", "-play", "in.trace"]), "(-play)");
    // ISC's pid-file check comes before anything a server opens.
    std::fs::write(s.0.join("p.pid"), "1\n").unwrap();
    let r = with(&["-f"]);
    assert_eq!(r.status, 1);
    assert!(r.err().contains("\nThere's already a DHCP server running.\n\n"), "{}", r.err());
    // -play without a lease file is ISC's own refusal.
    let r = same_as_isc(&["-t", "-play", "in.trace", "-cf", "empty.conf"], &s.0, &[]);
    assert!(r.err().contains("** You must specify a lease file with -lf.\n"));
}

#[test]
fn serving_without_a_lease_file_stops_as_isc_does() {
    // Serving stops at the lease file, before any interface is looked at
    // (nothing here may touch the host's links).
    let s = Scratch::new("serve-nolease");
    let missing = s.path("missing.leases");
    let r = same_as_isc(&["-f", "-cf", "empty.conf", "-lf", &missing, "-pf", "p.pid"], &s.0, &[]);
    assert_eq!(r.status, 1);
    assert!(r.err().contains(&format!("Can't open lease database {missing}: No such file or directory --\n")), "{}", r.err());
    let r = same_as_isc(&["-q", "-d", "-cf", "empty.conf", "-lf", &missing, "--no-pid"], &s.0, &[]);
    assert_eq!(r.status, 1);
    assert!(r.err().is_empty(), "-q prints nothing: {}", r.err());
}

#[test]
fn non_utf8_config_path_fails_cleanly() {
    let s = Scratch::new("nonutf8");
    let args = vec![OsString::from("-t"), OsString::from("-cf"), OsString::from_vec(b"x\xff.conf".to_vec())];
    let r = exec(env!("CARGO_BIN_EXE_dhcpd"), &args, &s.0, &[]);
    assert_eq!(r.status, 1);
    assert!(r.err().contains("Can't open"));
}
