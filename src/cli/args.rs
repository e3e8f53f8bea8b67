//! Turning argv into [`Options`], with ISC's quirks kept.
//!
//! ISC reads argv twice. A first pass looks only for `--version`, `--help`
//! and `-h`, anywhere (even where another flag's value is expected), and acts
//! on the first one found before anything else is checked. The second pass
//! walks the arguments in order and stops at the first problem, so the
//! messages printed before it (`binding to user-specified port N`) and the
//! error itself come out in argument order.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use super::error::CliError;
use super::flags::{lookup, FlagId};
use super::log::Log;

/// Which protocol to serve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Family {
    /// DHCPv4 (`-4`, the default).
    #[default]
    V4,
    /// DHCPv6 (`-6`).
    V6,
}

/// What the run is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Serve DHCP (no `-t`/`-T`).
    #[default]
    Serve,
    /// `-t`: check the configuration, exit.
    TestConfig,
    /// `-T`: check the configuration and the lease file, exit.
    TestLeases,
}

/// The command line, as given (environment defaults are applied later).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `-4`/`-6`.
    pub family: Family,
    /// `-t`/`-T`; `-T` wins whatever the order, as in ISC.
    pub mode: Mode,
    /// `-f` (or `-d`): do not become a daemon.
    pub foreground: bool,
    /// `-d`: keep logging to stderr after startup.
    pub debug: bool,
    /// `-q`: no banner, nothing on stderr.
    pub quiet: bool,
    /// `-p PORT`: the server port (the client port is one more).
    pub port: Option<u16>,
    /// `-cf FILE`.
    pub conf_file: Option<OsString>,
    /// `-lf FILE`.
    pub lease_file: Option<OsString>,
    /// `-pf FILE`.
    pub pid_file: Option<OsString>,
    /// `--no-pid`.
    pub no_pid: bool,
    /// `-s ADDR`: where broadcast replies go instead of 255.255.255.255.
    pub server: Option<OsString>,
    /// `-user USER`.
    pub user: Option<OsString>,
    /// `-group GROUP`.
    pub group: Option<OsString>,
    /// `-chroot DIR`.
    pub chroot: Option<OsString>,
    /// `-tf FILE`.
    pub trace_output: Option<OsString>,
    /// `-play FILE`.
    pub trace_play: Option<OsString>,
    /// Interfaces named on the command line, in order.
    pub interfaces: Vec<OsString>,
}

/// What the first pass found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Early {
    /// `--version`.
    Version,
    /// `--help` or `-h`.
    Help,
}

/// The first `--version`, `--help` or `-h` anywhere in `args` (argv without
/// the program name).
pub fn early_exit(args: &[OsString]) -> Option<Early> {
    args.iter().find_map(|a| match lookup(a.as_bytes()).map(|f| f.id) {
        Some(FlagId::Version) => Some(Early::Version),
        Some(FlagId::Help) | Some(FlagId::HelpShort) => Some(Early::Help),
        _ => None,
    })
}

/// Interface names must fit `struct ifreq` (`IFNAMSIZ`, NUL included).
const IFNAMSIZ: usize = 16;

/// Parses `args` (argv without the program name), logging what ISC logs on
/// the way.
pub fn parse(args: &[OsString], log: &mut Log) -> Result<Options, CliError> {
    let mut o = Options::default();
    let mut family_set = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let bytes = arg.as_bytes();
        let Some(flag) = lookup(bytes) else {
            if bytes.first() == Some(&b'-') {
                return Err(CliError::UnknownCommand(arg.clone()));
            }
            if bytes.len() >= IFNAMSIZ {
                return Err(CliError::InterfaceNameTooLong(arg.clone()));
            }
            o.interfaces.push(arg.clone());
            continue;
        };
        let value = if flag.value.is_some() {
            match it.next() {
                Some(v) => Some(v.clone()),
                None => return Err(CliError::NoArgument(arg.clone())),
            }
        } else {
            None
        };
        let v = || value.clone();
        match flag.id {
            FlagId::Port => {
                let port = validate_port(value.as_deref().unwrap_or_default())?;
                log.line(format!("binding to user-specified port {}", port).as_bytes());
                o.port = Some(port);
            }
            FlagId::Foreground => o.foreground = true,
            FlagId::Debug => {
                o.foreground = true;
                o.debug = true;
            }
            FlagId::Quiet => o.quiet = true,
            FlagId::TestConfig => {
                o.foreground = true;
                if o.mode == Mode::Serve {
                    o.mode = Mode::TestConfig;
                }
            }
            FlagId::TestLeases => {
                o.foreground = true;
                o.mode = Mode::TestLeases;
            }
            FlagId::Inet4 | FlagId::Inet6 => {
                let want = if flag.id == FlagId::Inet4 { Family::V4 } else { Family::V6 };
                if family_set && o.family != want {
                    return Err(CliError::BothFamilies);
                }
                o.family = want;
                family_set = true;
            }
            FlagId::ConfFile => o.conf_file = v(),
            FlagId::LeaseFile => o.lease_file = v(),
            FlagId::PidFile => o.pid_file = v(),
            FlagId::NoPid => o.no_pid = true,
            FlagId::Server => o.server = v(),
            FlagId::User => o.user = v(),
            FlagId::Group => o.group = v(),
            FlagId::Chroot => o.chroot = v(),
            FlagId::TraceOutput => o.trace_output = v(),
            FlagId::TracePlay => {
                o.foreground = true;
                o.trace_play = v();
            }
            // Handled by the first pass; unreachable once it has run, but
            // harmless to ignore.
            FlagId::Version | FlagId::Help | FlagId::HelpShort => {}
        }
    }
    Ok(o)
}

/// Reads a port number the way ISC's `validate_port` does with `strtol`:
/// optional leading whitespace and sign, decimal digits, nothing after; an
/// empty string is 0 (and so out of range).
pub fn validate_port(text: &OsStr) -> Result<u16, CliError> {
    let invalid = || CliError::InvalidPort(text.to_os_string());
    match strtol(text.as_bytes()) {
        Strtol::Value(v) if (1..=65535).contains(&v) => Ok(v as u16),
        Strtol::Value(_) => Err(CliError::PortOutOfRange),
        Strtol::Trailing | Strtol::Overflow => Err(invalid()),
    }
}

enum Strtol {
    Value(i64),
    /// Characters left after the number (or no number at all in a
    /// non-empty string).
    Trailing,
    /// Out of `long` range (`ERANGE`).
    Overflow,
}

/// C `strtol(s, &end, 10)` followed by ISC's `*end != '\0'` check.
fn strtol(s: &[u8]) -> Strtol {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let digits_start = i;
    let mut value: i128 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        value = value * 10 + i128::from(s[i] - b'0');
        if value > i128::from(i64::MAX) + 1 {
            overflow = true;
            value = i128::from(i64::MAX) + 1;
        }
        i += 1;
    }
    if i == digits_start {
        // No digits: strtol leaves `end` at the start of the string.
        return if s.is_empty() { Strtol::Value(0) } else { Strtol::Trailing };
    }
    if i != s.len() {
        return Strtol::Trailing;
    }
    let signed = if negative { -value } else { value };
    if overflow || signed > i128::from(i64::MAX) || signed < i128::from(i64::MIN) {
        return Strtol::Overflow;
    }
    Strtol::Value(signed as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn parse_quiet(list: &[&str]) -> (Result<Options, CliError>, String) {
        let mut buf = Vec::new();
        let r = parse(&args(list), &mut Log::new(&mut buf));
        (r, String::from_utf8(buf).unwrap())
    }

    #[test]
    fn ports_follow_strtol() {
        let p = |s: &str| validate_port(OsStr::new(s));
        assert_eq!(p("67").unwrap(), 67);
        assert_eq!(p(" 5").unwrap(), 5);
        assert_eq!(p("+5").unwrap(), 5);
        assert_eq!(p("65535").unwrap(), 65535);
        assert!(matches!(p(""), Err(CliError::PortOutOfRange)));
        assert!(matches!(p("0"), Err(CliError::PortOutOfRange)));
        assert!(matches!(p("-5"), Err(CliError::PortOutOfRange)));
        assert!(matches!(p("70000"), Err(CliError::PortOutOfRange)));
        assert!(matches!(p("99999999999"), Err(CliError::PortOutOfRange)));
        assert!(matches!(p("99999999999999999999"), Err(CliError::InvalidPort(_))));
        assert!(matches!(p("5 "), Err(CliError::InvalidPort(_))));
        assert!(matches!(p("0x10"), Err(CliError::InvalidPort(_))));
        assert!(matches!(p(" "), Err(CliError::InvalidPort(_))));
        assert!(matches!(p("-"), Err(CliError::InvalidPort(_))));
    }

    #[test]
    fn values_are_taken_verbatim() {
        let (o, _) = parse_quiet(&["-cf", "-t", "-lf", "x"]);
        let o = o.unwrap();
        assert_eq!(o.conf_file.as_deref(), Some(OsStr::new("-t")));
        assert_eq!(o.mode, Mode::Serve);
        assert_eq!(o.lease_file.as_deref(), Some(OsStr::new("x")));
    }

    #[test]
    fn upper_t_wins_over_t() {
        assert_eq!(parse_quiet(&["-T", "-t"]).0.unwrap().mode, Mode::TestLeases);
        assert_eq!(parse_quiet(&["-t", "-T"]).0.unwrap().mode, Mode::TestLeases);
    }

    #[test]
    fn families_conflict_in_either_order() {
        assert!(matches!(parse_quiet(&["-4", "-6"]).0, Err(CliError::BothFamilies)));
        assert!(matches!(parse_quiet(&["-6", "-4"]).0, Err(CliError::BothFamilies)));
        assert_eq!(parse_quiet(&["-6", "-6"]).0.unwrap().family, Family::V6);
    }

    #[test]
    fn port_notes_come_before_a_later_error() {
        let (r, out) = parse_quiet(&["-p", "5", "-x"]);
        assert!(matches!(r, Err(CliError::UnknownCommand(_))));
        assert_eq!(out, "binding to user-specified port 5\n");
    }

    #[test]
    fn interfaces_and_their_length() {
        let (o, _) = parse_quiet(&["eth0", "-t", "abcdefghijklmno"]);
        assert_eq!(o.unwrap().interfaces, args(&["eth0", "abcdefghijklmno"]));
        assert!(matches!(parse_quiet(&["abcdefghijklmnop"]).0, Err(CliError::InterfaceNameTooLong(_))));
    }

    #[test]
    fn missing_value_and_unknown_flags() {
        assert!(matches!(parse_quiet(&["-t", "-cf"]).0, Err(CliError::NoArgument(a)) if a == "-cf"));
        assert!(matches!(parse_quiet(&["-"]).0, Err(CliError::UnknownCommand(_))));
        assert!(matches!(parse_quiet(&["--"]).0, Err(CliError::UnknownCommand(_))));
        assert!(matches!(parse_quiet(&["-4o6", "1"]).0, Err(CliError::UnknownCommand(_))));
    }

    #[test]
    fn first_pass_sees_through_values() {
        assert_eq!(early_exit(&args(&["-cf", "--version"])), Some(Early::Version));
        assert_eq!(early_exit(&args(&["-x", "-h", "--version"])), Some(Early::Help));
        assert_eq!(early_exit(&args(&["-t"])), None);
    }
}
