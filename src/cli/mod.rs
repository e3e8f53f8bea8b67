//! The `dhcpd` command line, as ISC dhcpd 4.4 parses and acts on it.
//!
//! Scripts, init files and people drive dhcpd through its flags and read
//! what it prints on stderr, so both are kept identical to ISC's: the same
//! flags, environment variables, defaults, messages, their order, and exit
//! statuses. Two things differ on purpose: the banner names this program
//! (one line where ISC prints its four), and parts that do not exist yet
//! say so plainly and exit 1 instead of pretending.
//!
//! [`run`] follows ISC's startup order: the `--version`/`--help` pass, the
//! arguments, environment defaults, the lease path made absolute, the
//! banner, privilege look-ups, the port, the configuration (its messages,
//! with the `Config file:` lines where ISC logs them), the chroot, and then
//! the `-t` exit.

mod args;
mod error;
mod flags;
pub mod lease_test;
mod serve;
mod log;
pub(crate) mod system;

pub use args::{early_exit, parse, validate_port, Early, Family, Mode, Options};
pub use error::{CliError, Unavailable};
pub use flags::{lookup, usage_text, Flag, FlagId, Usage, FLAGS};
pub use log::Log;

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use crate::conf::{check_config, model::Config, parser::FsLoader};

/// Our one-line banner, printed where ISC prints its four (not with `-q`).
pub const BANNER: &str = concat!("dhcpd-rs ", env!("CARGO_PKG_VERSION"), " - a drop-in replacement for ISC dhcpd 4.4");

/// What `--version` prints (ISC prints `isc-dhcpd-4.4.3-P1`).
pub const VERSION_LINE: &str = concat!("dhcpd-rs-", env!("CARGO_PKG_VERSION"));

/// Default paths of Debian's build, used when neither a flag nor the
/// environment gives one.
pub const DEFAULT_CONF: &str = "/etc/dhcp/dhcpd.conf";
/// Default lease database.
pub const DEFAULT_LEASES: &str = "/var/lib/dhcp/dhcpd.leases";
/// Default pid file.
pub const DEFAULT_PID: &str = "/var/run/dhcpd.pid";

/// Runs the command line with the real environment and stderr; returns the
/// exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    // Not locked for the whole run: a serving process forks, and its
    // loggers write to stderr themselves.
    let mut stderr = std::io::stderr();
    run(&args, &|name| std::env::var_os(name), &mut stderr)
}

/// Runs the command line: `argv` includes the program name, `env` looks up
/// environment variables, everything ISC would print goes to `out`.
pub fn run(argv: &[OsString], env: &dyn Fn(&str) -> Option<OsString>, out: &mut dyn Write) -> i32 {
    let prog = argv
        .first()
        .map(|p| Path::new(p).file_name().unwrap_or(p.as_os_str()).to_string_lossy().into_owned())
        .unwrap_or_else(|| "dhcpd".to_string());
    let args = argv.get(1..).unwrap_or_default();

    match early_exit(args) {
        Some(Early::Version) => {
            let _ = writeln!(out, "{}", VERSION_LINE);
            return 0;
        }
        Some(Early::Help) => {
            let _ = writeln!(out, "{}", usage_text(&prog));
            return 0;
        }
        None => {}
    }

    let mut log = Log::new(out);
    let status = match start(argv.first(), args, env, &mut log) {
        Ok(status) => status,
        Err(e) => report(&mut log, &e, &prog),
    };
    log.flush();
    status
}

/// Prints an error the way ISC does (or, for ours, as one plain line that
/// even `-q` does not hide) and returns the exit status.
fn report(log: &mut Log, err: &CliError, prog: &str) -> i32 {
    if let CliError::Unavailable(_) = err {
        log.always(err.to_string().as_bytes());
        return 1;
    }
    if err.is_usage() {
        // ISC's usage() logs its banner even under -q.
        log.line(BANNER.as_bytes());
    }
    for line in err.preamble() {
        log.line(&line);
    }
    if err.is_usage() {
        log.fatal(usage_text(prog).as_bytes())
    } else {
        log.fatal(&err.message())
    }
}

/// Where the three files are, after flags and environment.
#[derive(Clone)]
struct Paths {
    conf: OsString,
    leases: OsString,
    pid: OsString,
    /// A lease file was named (flag or environment), as `-play` requires.
    leases_named: bool,
}

fn resolve_paths(o: &Options, env: &dyn Fn(&str) -> Option<OsString>) -> Result<Paths, CliError> {
    let conf = o.conf_file.clone().or_else(|| env("PATH_DHCPD_CONF")).unwrap_or_else(|| DEFAULT_CONF.into());
    let named = o.lease_file.clone().or_else(|| env("PATH_DHCPD_DB"));
    let pid = o.pid_file.clone().or_else(|| env("PATH_DHCPD_PID")).unwrap_or_else(|| DEFAULT_PID.into());
    let leases_named = named.is_some();
    let leases = match named {
        // ISC makes a named lease path absolute at once (it reopens the file
        // after chdir), which fails if the file does not exist yet.
        Some(p) if p.as_bytes().first() != Some(&b'/') => {
            system::realpath(&p).map_err(|error| CliError::Realpath { path: p.clone(), error })?
        }
        Some(p) => p,
        None => DEFAULT_LEASES.into(),
    };
    Ok(Paths { conf, leases, pid, leases_named })
}

/// Everything from the argument pass to the `-t` exit; `Ok` carries the
/// exit status of a clean stop.
fn start(
    argv0: Option<&OsString>,
    args: &[OsString],
    env: &dyn Fn(&str) -> Option<OsString>,
    log: &mut Log,
) -> Result<i32, CliError> {
    let o = parse(args, log)?;
    if o.family == Family::V6 {
        return Err(CliError::Unavailable(Unavailable::DhcpV6));
    }
    let paths = resolve_paths(&o, env)?;

    if o.quiet {
        log.enabled = false;
    } else {
        log.line(BANNER.as_bytes());
    }

    if o.trace_output.is_some() {
        return Err(CliError::Unavailable(Unavailable::TraceOutput));
    }
    check_privileges(&o)?;

    if o.port.is_none() {
        if let Some(text) = env("DHCPD_PORT") {
            let port = validate_port(&text)?;
            log.line(format!("binding to environment-specified port {}", port).as_bytes());
        }
    }

    if o.trace_play.is_some() {
        if !paths.leases_named {
            return Err(CliError::PlayNeedsLeaseFile);
        }
        return Err(CliError::Unavailable(Unavailable::TracePlay));
    }

    let mut paths = paths;
    let config = read_config(&mut paths, log)?;

    if let Some(dir) = &o.chroot {
        if !system::is_root() {
            return Err(CliError::MustBeRoot("use chroot"));
        }
        system::chroot(dir).map_err(|error| CliError::Chroot { dir: dir.clone(), error })?;
        system::chdir_root().map_err(CliError::Chdir)?;
    }

    match o.mode {
        Mode::TestConfig => {
            // `-t` exits right after this: freeing a configuration of
            // 100,000 hosts piece by piece would only cost time.
            std::mem::forget(config);
            Ok(0)
        }
        Mode::TestLeases => {
            let status = lease_test::run(&config, &paths.leases, log);
            std::mem::forget(config);
            status
        }
        Mode::Serve => {
            let files = serve::Files { leases: &paths.leases, pid: &paths.pid };
            serve::run(&o, &serve::program(argv0), files, config, log)
        }
    }
}

/// ISC's look-ups for `-user`/`-group`; dropping privileges itself happens
/// only when serving.
fn check_privileges(o: &Options) -> Result<(), CliError> {
    if let Some(user) = &o.user {
        if !system::is_root() {
            return Err(CliError::MustBeRoot("set user"));
        }
        // A failing look-up (not "no such user") reads the same in ISC.
        if !matches!(system::lookup_user(user), Ok(Some(_))) {
            return Err(CliError::NoSuchUser(user.clone()));
        }
    }
    if let Some(group) = &o.group {
        if !system::is_root() {
            return Err(CliError::MustBeRoot("set group"));
        }
        if !matches!(system::lookup_group(group), Ok(Some(_))) {
            return Err(CliError::NoSuchGroup(group.clone()));
        }
    }
    Ok(())
}

/// Reads the configuration like `dhcpd -t`: every message in order, the
/// `Config file:`/`Database file:`/`PID file:` lines where ISC logs them,
/// and ISC's closing fatal message when reading failed. The configuration's
/// `lease-file-name` and `pid-file-name` replace the paths, as in ISC
/// (whatever the command line said).
fn read_config(paths: &mut Paths, log: &mut Log) -> Result<Config, CliError> {
    // The loader takes text paths; a non-UTF-8 name cannot be opened through
    // it and fails as "Can't open".
    let conf = paths.conf.to_string_lossy();
    let mut outcome = check_config(&conf, &FsLoader);
    // ISC lets `lease-file-name`/`pid-file-name` in the configuration
    // override the command line and the environment (postconf_initialization),
    // as a C string: cut at the first NUL.
    {
        let pc = &outcome.postconf;
        let c_string = |v: &Vec<u8>| OsString::from_vec(v.split(|&b| b == 0).next().unwrap_or(&[]).to_vec());
        if let Some(v) = &pc.lease_file_name {
            paths.leases = c_string(v);
        }
        if let Some(v) = &pc.pid_file_name {
            paths.pid = c_string(v);
        }
    }
    let paths = &*paths;
    for (i, d) in outcome.diagnostics.iter().enumerate() {
        if outcome.paths_at == Some(i) {
            log_paths(paths, log);
        }
        for line in d.render() {
            log.line(&line);
        }
    }
    if outcome.paths_at.is_some_and(|at| at >= outcome.diagnostics.len()) {
        log_paths(paths, log);
    }
    let result = match (&outcome.fatal, outcome.config.take()) {
        (Some(msg), _) => Err(CliError::Config(msg.clone())),
        (None, Some(config)) => Ok(config),
        (None, None) => Err(CliError::Config("Configuration file errors encountered -- exiting".to_string())),
    };
    // Freeing the messages and what is left of a big configuration piece by
    // piece would only cost time; the process ends soon.
    std::mem::forget(outcome);
    result
}

fn log_paths(paths: &Paths, log: &mut Log) {
    for (label, value) in [("Config file: ", &paths.conf), ("Database file: ", &paths.leases), ("PID file: ", &paths.pid)]
    {
        let mut line = label.as_bytes().to_vec();
        line.extend_from_slice(OsStr::as_bytes(value));
        log.line(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(list: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
        let argv: Vec<OsString> = std::iter::once("dhcpd").chain(list.iter().copied()).map(OsString::from).collect();
        let envs: Vec<(String, OsString)> = envs.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        let lookup = |name: &str| envs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let mut out = Vec::new();
        let status = run(&argv, &lookup, &mut out);
        (status, String::from_utf8(out).unwrap())
    }

    #[test]
    fn version_and_help_exit_zero() {
        assert_eq!(run_with(&["--version"], &[]), (0, format!("{}\n", VERSION_LINE)));
        let (s, out) = run_with(&["-x", "-h"], &[]);
        assert_eq!(s, 0);
        assert!(out.starts_with("Usage: dhcpd [-p <UDP port #>]"));
    }

    #[test]
    fn usage_error_layout() {
        let (s, out) = run_with(&["-q", "-x"], &[]);
        assert_eq!(s, 1);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], BANNER);
        assert_eq!(lines[1], "Unknown command -x");
        assert!(lines[2].starts_with("Usage: dhcpd "));
        assert_eq!(*lines.last().unwrap(), "exiting.");
    }

    #[test]
    fn v6_is_refused_plainly_even_quietly() {
        let (s, out) = run_with(&["-q", "-6", "-t"], &[]);
        assert_eq!(s, 1);
        assert!(out.starts_with("DHCPv6 is not supported"), "{}", out);
    }

    #[test]
    fn env_port_is_checked_after_the_banner() {
        let (s, out) = run_with(&["-t", "-cf", "/nonexistent/x.conf"], &[("DHCPD_PORT", "0")]);
        assert_eq!(s, 1);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], BANNER);
        assert_eq!(lines[1], "Port number specified is out of range (1-65535).");
    }

    #[test]
    fn missing_config_is_fatal() {
        let (s, out) = run_with(&["-t", "-cf", "/nonexistent/x.conf"], &[]);
        assert_eq!(s, 1);
        assert_eq!(out.lines().nth(1), Some("Can't open /nonexistent/x.conf: No such file or directory"));
    }

    #[test]
    fn play_needs_a_named_lease_file() {
        let (s, out) = run_with(&["-t", "-play", "x"], &[]);
        assert_eq!(s, 1);
        assert!(out.contains("** You must specify a lease file with -lf.\n   Dhcpd will not overwrite your default\n   lease file when playing back a trace. **\n"));
    }
}
