//! What an evaluation reads besides options and variables: the request,
//! the lease, the time, and the host services it may call on.
//!
//! ISC passes these as separate pointers (`packet`, `lease`,
//! `client_state`), any of which may be null — at start-up, when the
//! global scope runs, all are. Expressions that need a missing one fail
//! (and some log why), so each is an `Option` here. Name look-ups, the
//! machine's host name and class membership checks are services of the
//! server, injected through [`Host`] so that evaluation stays pure: no DNS,
//! no system calls, no clock.

use std::net::Ipv4Addr;

use crate::wire::dhcp::{CHADDR_LEN, FILE_LEN, SNAME_LEN};

/// Offsets in the BOOTP header that expressions read (RFC 2131 layout).
mod field {
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const CHADDR: usize = 28;
    pub const SNAME: usize = 44;
    pub const FILE: usize = 108;
}

/// The request being answered (ISC `struct packet`).
#[derive(Clone, Copy, Debug)]
pub struct PacketView<'a> {
    /// The DHCP/BOOTP message as received, from the `op` byte on
    /// (`packet(OFFSET, LEN)` indexes this).
    pub raw: &'a [u8],
    /// The client has a host declaration (`known`).
    pub known: bool,
}

impl<'a> PacketView<'a> {
    fn byte(&self, at: usize) -> u8 {
        self.raw.get(at).copied().unwrap_or(0)
    }

    fn field(&self, at: usize, len: usize) -> Vec<u8> {
        // ISC reads a fixed-size struct; bytes past a short packet read as 0.
        (at..at + len).map(|i| self.byte(i)).collect()
    }

    /// `htype`.
    pub fn htype(&self) -> u8 {
        self.byte(field::HTYPE)
    }

    /// `hlen` as sent (may exceed the 16-byte `chaddr`).
    pub fn hlen(&self) -> u8 {
        self.byte(field::HLEN)
    }

    /// The whole 16-byte `chaddr` field.
    pub fn chaddr(&self) -> Vec<u8> {
        self.field(field::CHADDR, CHADDR_LEN)
    }

    /// The 64-byte `sname` field.
    pub fn sname(&self) -> Vec<u8> {
        self.field(field::SNAME, SNAME_LEN)
    }

    /// The 128-byte `file` field.
    pub fn file(&self) -> Vec<u8> {
        self.field(field::FILE, FILE_LEN)
    }
}

/// The lease the client has or is being given (ISC `struct lease`).
#[derive(Clone, Debug)]
pub struct LeaseView<'a> {
    /// Its address (`leased-address`).
    pub address: Ipv4Addr,
    /// When it ends, seconds since the epoch (`lease-time` counts down to it).
    pub ends: i64,
    /// A fixed-address lease made from a host declaration (`static`).
    pub is_static: bool,
    /// The host declaration it came from (`host-decl-name`).
    pub host_name: Option<&'a str>,
    /// The hardware type followed by the address, as the lease stores it
    /// (`hardware` when there is no packet).
    pub hardware: &'a [u8],
}

/// Everything an expression may read apart from options and variables.
#[derive(Clone, Debug, Default)]
pub struct Context<'a> {
    /// The request, when there is one.
    pub packet: Option<PacketView<'a>>,
    /// The lease, when there is one.
    pub lease: Option<LeaseView<'a>>,
    /// The DHCP client's state (`client-state`); a server never has one.
    pub client_state: Option<u32>,
    /// The current time, seconds since the epoch (ISC `cur_time`).
    pub now: i64,
}

/// Why a host name could not be resolved, as `gethostbyname` says
/// through `h_errno`; each has its own ISC log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// `HOST_NOT_FOUND`.
    HostNotFound,
    /// `TRY_AGAIN`.
    TryAgain,
    /// `NO_RECOVERY`.
    NoRecovery,
    /// `NO_DATA`.
    NoData,
}

impl LookupError {
    /// ISC's log line for a failed look-up of `name` (`do_host_lookup`).
    pub fn isc_message(self, name: &str) -> String {
        match self {
            LookupError::HostNotFound => format!("{}: host unknown.", name),
            LookupError::TryAgain => format!("{}: temporary name server failure", name),
            LookupError::NoRecovery => format!("{}: name server failed", name),
            LookupError::NoData => format!("{}: no A record associated with address", name),
        }
    }
}

/// Services the server gives the evaluator.
pub trait Host {
    /// `gethostbyname(NAME)`: the name's IPv4 addresses, in the resolver's
    /// order. Caching (ISC keeps an answer an hour and a failure a minute)
    /// is the implementer's business; see [`super::resolve::HostCache`].
    fn lookup_host(&mut self, name: &str, now: i64) -> Result<Vec<Ipv4Addr>, LookupError>;

    /// `gethostname()`: this machine's host name, if it can be had.
    fn host_name(&mut self) -> Option<Vec<u8>>;

    /// `check "COLLECTION"`: runs the classes of the collection against
    /// the request (ISC `check_collection`, which classification owns) and
    /// says whether any matched.
    fn check_collection(&mut self, name: &str) -> bool;
}

/// A host that knows nothing: every look-up fails as "host unknown", there
/// is no host name and no class matches. What `dhcpd -t` needs when no
/// name in the configuration has to be resolved.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHost;

impl Host for NoHost {
    fn lookup_host(&mut self, _name: &str, _now: i64) -> Result<Vec<Ipv4Addr>, LookupError> {
        Err(LookupError::HostNotFound)
    }

    fn host_name(&mut self) -> Option<Vec<u8>> {
        None
    }

    fn check_collection(&mut self, _name: &str) -> bool {
        false
    }
}

/// The level of a log line (ISC `log_fatal`/`log_error`/`log_info`/`log_debug`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// `log_fatal`: the server stops after writing it.
    Fatal,
    /// `log_error`.
    Error,
    /// `log_info`.
    Info,
    /// `log_debug`.
    Debug,
}

/// One line the evaluation logs, in order, for the caller to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Its level.
    pub priority: Priority,
    /// The text, without a newline. Bytes, because `log(EXPR)` writes
    /// whatever the expression yields (up to its first NUL, as `%.*s`).
    pub text: Vec<u8>,
}

impl LogLine {
    /// A line from text.
    pub fn new(priority: Priority, text: impl Into<Vec<u8>>) -> LogLine {
        LogLine {
            priority,
            text: text.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_packets_read_as_zero_past_their_end() {
        let mut raw = vec![0u8; 30];
        raw[1] = 1;
        raw[2] = 6;
        raw[28] = 0xaa;
        raw[29] = 0xbb;
        let p = PacketView {
            raw: &raw,
            known: false,
        };
        assert_eq!(p.htype(), 1);
        assert_eq!(p.hlen(), 6);
        let ch = p.chaddr();
        assert_eq!(ch.len(), 16);
        assert_eq!(&ch[..3], &[0xaa, 0xbb, 0]);
        assert_eq!(p.file().len(), 128);
        assert_eq!(p.sname().len(), 64);
    }

    #[test]
    fn lookup_messages_are_iscs() {
        assert_eq!(
            LookupError::HostNotFound.isc_message("a.b"),
            "a.b: host unknown."
        );
        assert_eq!(
            LookupError::NoData.isc_message("x"),
            "x: no A record associated with address"
        );
        let mut h = NoHost;
        assert_eq!(h.lookup_host("x", 0), Err(LookupError::HostNotFound));
        assert!(!h.check_collection("default"));
    }
}
