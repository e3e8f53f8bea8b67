//! Why `dhcpd` stops with status 1 before serving, in ISC's words.
//!
//! Every variant that ISC also has renders to ISC's exact message (people
//! and scripts grep for them); the [`Unavailable`] ones are ours and say
//! plainly which part of the server is missing.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::unix::ffi::OsStrExt;

use crate::conf::parser::os_error_text;

/// A part of ISC dhcpd this version does not have yet (or never will).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// `-6`: this server is DHCPv4 only.
    DhcpV6,
    /// `-tf`: recording a trace.
    TraceOutput,
    /// `-play`: replaying a trace.
    TracePlay,
}

/// A condition that ends the run with status 1.
#[derive(Debug)]
pub enum CliError {
    /// An argument starting with `-` that is no flag.
    UnknownCommand(OsString),
    /// A flag that takes a value was the last argument.
    NoArgument(OsString),
    /// Both `-4` and `-6` were given.
    BothFamilies,
    /// `-p` or `DHCPD_PORT` is not a decimal number.
    InvalidPort(OsString),
    /// `-p` or `DHCPD_PORT` is outside 1..=65535.
    PortOutOfRange,
    /// An interface name of 16 bytes or more (`IFNAMSIZ`).
    InterfaceNameTooLong(OsString),
    /// A relative lease file path could not be made absolute.
    Realpath {
        /// The path as given.
        path: OsString,
        /// Why `realpath` failed.
        error: io::Error,
    },
    /// `-user`, `-group` or `-chroot` given by a non-root user; carries ISC's
    /// verb phrase (`set user`, `set group`, `use chroot`).
    MustBeRoot(&'static str),
    /// `-user` names no user.
    NoSuchUser(OsString),
    /// `-group` names no group.
    NoSuchGroup(OsString),
    /// `chroot(2)` failed.
    Chroot {
        /// The directory given to `-chroot`.
        dir: OsString,
        /// Why it failed.
        error: io::Error,
    },
    /// `chdir("/")` after the chroot failed.
    Chdir(io::Error),
    /// `-play` without `-lf`: ISC refuses to overwrite the default lease file.
    PlayNeedsLeaseFile,
    /// The pid file names a live process.
    AlreadyRunning,
    /// Reading the configuration failed; the message ISC ends with.
    Config(String),
    /// The lease file cannot be opened (ISC's four-line complaint).
    LeaseDatabase {
        /// The lease file's path.
        path: OsString,
        /// Why `open` failed.
        error: io::Error,
    },
    /// The lease file was opened but cannot be read.
    LeaseRead {
        /// The lease file's path.
        path: OsString,
        /// Why `read` failed.
        error: io::Error,
    },
    /// Reading the lease file hit a condition ISC exits on; its message.
    LeaseFile(String),
    /// Starting to serve failed; ISC's fatal message.
    Fatal(String),
    /// Something this version cannot do yet.
    Unavailable(Unavailable),
}

impl CliError {
    /// Lines ISC logs as errors just before the fatal message itself.
    pub fn preamble(&self) -> Vec<Vec<u8>> {
        match self {
            CliError::UnknownCommand(arg) => vec![cat(b"Unknown command ", arg.as_bytes())],
            CliError::NoArgument(arg) => {
                let mut l = cat(b"No argument for command: ", arg.as_bytes());
                l.push(b' ');
                vec![l]
            }
            CliError::LeaseDatabase { path, error } => {
                let mut first = cat(b"Can't open lease database ", path.as_bytes());
                first.extend_from_slice(format!(": {} --", os_error_text(error)).as_bytes());
                vec![
                    first,
                    b"  check for failed database rewrite attempt!".to_vec(),
                    b"Please read the dhcpd.leases manual page if you".to_vec(),
                ]
            }
            CliError::PlayNeedsLeaseFile => vec![
                Vec::new(),
                b"** You must specify a lease file with -lf.".to_vec(),
                b"   Dhcpd will not overwrite your default".to_vec(),
            ],
            _ => Vec::new(),
        }
    }

    /// True for the usage errors, which ISC reports after its banner and
    /// with the usage text as the fatal message.
    pub fn is_usage(&self) -> bool {
        matches!(self, CliError::UnknownCommand(_) | CliError::NoArgument(_))
    }

    /// The fatal message as bytes (arguments are not always UTF-8). For
    /// usage errors this is empty: the caller prints the usage text.
    pub fn message(&self) -> Vec<u8> {
        match self {
            CliError::UnknownCommand(_) | CliError::NoArgument(_) => Vec::new(),
            CliError::InvalidPort(p) => cat(b"Invalid port number specification: ", p.as_bytes()),
            CliError::InterfaceNameTooLong(name) => {
                let mut l = name.as_bytes().to_vec();
                l.extend_from_slice(format!(": interface name too long (is {})", name.len()).as_bytes());
                l
            }
            CliError::Realpath { path, error } => {
                let mut l = cat(b"Failed to get realpath for ", path.as_bytes());
                l.extend_from_slice(format!(": {}", os_error_text(error)).as_bytes());
                l
            }
            CliError::LeaseRead { path, error } => {
                let mut l = cat(b"Can't read in ", path.as_bytes());
                l.extend_from_slice(format!(": {}", os_error_text(error)).as_bytes());
                l
            }
            CliError::NoSuchUser(u) => cat(b"no such user: ", u.as_bytes()),
            CliError::NoSuchGroup(g) => cat(b"no such group: ", g.as_bytes()),
            CliError::Chroot { dir, error } => {
                let mut l = cat(b"chroot(\"", dir.as_bytes());
                l.extend_from_slice(format!("\"): {}", os_error_text(error)).as_bytes());
                l
            }
            other => other.to_string().into_bytes(),
        }
    }
}

fn cat(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut v = a.to_vec();
    v.extend_from_slice(b);
    v
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = env!("CARGO_PKG_VERSION");
        match self {
            Unavailable::DhcpV6 => write!(f, "DHCPv6 is not supported: dhcpd-rs {} serves DHCPv4 only (run it without -6).", v),
            Unavailable::TraceOutput => write!(f, "Trace recording (-tf) is not available yet in dhcpd-rs {}.", v),
            Unavailable::TracePlay => write!(f, "Trace playback (-play) is not available yet in dhcpd-rs {}.", v),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::UnknownCommand(a) => write!(f, "Unknown command {}", a.to_string_lossy()),
            CliError::NoArgument(a) => write!(f, "No argument for command: {} ", a.to_string_lossy()),
            CliError::BothFamilies => f.write_str("Server cannot run in both IPv4 and IPv6 mode at the same time."),
            CliError::PortOutOfRange => f.write_str("Port number specified is out of range (1-65535)."),
            CliError::MustBeRoot(what) => write!(f, "you must be root to {}", what),
            CliError::Chdir(e) => write!(f, "chdir(\"/\"): {}", os_error_text(e)),
            CliError::PlayNeedsLeaseFile => f.write_str("   lease file when playing back a trace. **"),
            CliError::AlreadyRunning => f.write_str("There's already a DHCP server running."),
            CliError::Config(msg) => f.write_str(msg),
            CliError::LeaseDatabase { .. } => f.write_str("don't know what to do about this."),
            CliError::LeaseFile(msg) | CliError::Fatal(msg) => f.write_str(msg),
            CliError::Unavailable(u) => u.fmt(f),
            other => f.write_str(&String::from_utf8_lossy(&other.message())),
        }
    }
}

impl std::error::Error for CliError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isc_texts() {
        assert_eq!(CliError::NoArgument("-cf".into()).preamble(), vec![b"No argument for command: -cf ".to_vec()]);
        assert_eq!(
            CliError::InterfaceNameTooLong("abcdefghijklmnop".into()).message(),
            b"abcdefghijklmnop: interface name too long (is 16)".to_vec()
        );
        let e = CliError::Realpath { path: "x.leases".into(), error: io::Error::from_raw_os_error(libc::ENOENT) };
        assert_eq!(e.message(), b"Failed to get realpath for x.leases: No such file or directory".to_vec());
        assert_eq!(CliError::MustBeRoot("use chroot").to_string(), "you must be root to use chroot");
    }

    #[test]
    fn non_utf8_arguments_survive() {
        let arg = OsString::from(std::ffi::OsStr::from_bytes(b"-\xff"));
        assert_eq!(CliError::UnknownCommand(arg).preamble(), vec![b"Unknown command -\xff".to_vec()]);
    }
}
