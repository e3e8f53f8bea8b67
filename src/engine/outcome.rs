//! What handling one input produces: the reply, the lease records to make
//! durable, ISC's log lines, and an address to ping before an offer.
//!
//! The engine never sends, writes or logs itself. The shell carries out an
//! [`Outcome`] in a fixed order: write and fsync every record of
//! [`Outcome::lease_changes`], then send [`Outcome::reply`], then start the
//! [`Outcome::probe`]. Log lines can go out at any time. If the write
//! fails the reply must be dropped: ISC does not answer a client whose
//! binding it could not record (`database update failed`).

use std::net::Ipv4Addr;

use crate::lease::Lease;

/// A syslog priority, as ISC's `log_error` / `log_info` / `log_debug`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// `log_error` (LOG_ERR).
    Error,
    /// `log_info` (LOG_INFO).
    Info,
    /// `log_debug` (LOG_DEBUG).
    Debug,
}

/// One line ISC would log, without ident or timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LogLine {
    /// Its priority.
    pub priority: Priority,
    /// The text exactly as ISC formats it.
    pub text: String,
}

impl LogLine {
    /// A `log_info` line.
    pub fn info(text: impl Into<String>) -> Self {
        LogLine { priority: Priority::Info, text: text.into() }
    }

    /// A `log_error` line.
    pub fn error(text: impl Into<String>) -> Self {
        LogLine { priority: Priority::Error, text: text.into() }
    }

    /// A `log_debug` line.
    pub fn debug(text: impl Into<String>) -> Self {
        LogLine { priority: Priority::Debug, text: text.into() }
    }
}

/// What kind of reply a [`Reply`] is; each is addressed by its own rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyKind {
    /// DHCPOFFER.
    Offer,
    /// DHCPACK to a DHCPREQUEST.
    Ack,
    /// DHCPNAK.
    Nak,
    /// DHCPACK to a DHCPINFORM.
    InformAck,
    /// BOOTREPLY to a BOOTP request.
    BootReply,
}

/// What the reply's destination depends on (ISC `dhcp_reply`, `nak_lease`,
/// `dhcpinform`, `bootp`); the shell's addressing function decides from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyFacts {
    /// The kind of reply.
    pub kind: ReplyKind,
    /// giaddr of the request (a relay's address, or 0).
    pub giaddr: Ipv4Addr,
    /// ciaddr of the request.
    pub ciaddr: Ipv4Addr,
    /// yiaddr of the reply.
    pub yiaddr: Ipv4Addr,
    /// The reply's broadcast flag (the request's, or forced by
    /// `always-broadcast` or by the NAK and INFORM-via-relay rules).
    pub broadcast_flag: bool,
    /// The request's hlen.
    pub hlen: u8,
    /// The request's chaddr.
    pub chaddr: [u8; 16],
    /// The request carried a server identifier (option 54).
    pub got_server_identifier: bool,
    /// The lease's shared network is the receiving interface's.
    pub lease_on_receiving_network: bool,
    /// The request's IP source address.
    pub source: Ipv4Addr,
    /// The request carried a relay-port sub-option (82.19): answer the
    /// relay on the port it sent from rather than the server port.
    pub relay_port: Option<u16>,
}

/// A reply ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The BOOTP/DHCP message (UDP payload), padded as ISC pads it.
    pub bytes: Vec<u8>,
    /// Where it goes, as facts.
    pub facts: ReplyFacts,
    /// The interface the request arrived on (the shell's index).
    pub iface: usize,
    /// The address to send from: the server identifier put in the reply,
    /// else the interface's first address.
    pub from: Ipv4Addr,
}

/// A ping the shell must send before an offer can go out (`ping-check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Identifies the waiting offer in [`Engine::continue_offer`](super::Engine::continue_offer).
    pub id: u64,
    /// The address to send an ICMP echo request to.
    pub address: Ipv4Addr,
    /// How long to wait for an echo reply, in milliseconds.
    pub timeout_ms: u64,
}

/// The result of a [`Probe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeResult {
    /// No echo reply came within the timeout: send the offer.
    Timeout,
    /// Something answered: the address is in use.
    Answered,
}

/// Everything one input produced. Must not be dropped unread: it may hold
/// lease records whose loss would hand one address to two clients.
#[must_use]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The reply to send, after `lease_changes` are durable.
    pub reply: Option<Reply>,
    /// Lease records to append to the lease file and fsync before the
    /// reply is sent (ISC `write_lease` + `commit_leases` in
    /// `supersede_lease`), in the order they were made.
    pub lease_changes: Vec<Lease>,
    /// Log lines in ISC's order.
    pub logs: Vec<LogLine>,
    /// A ping to send before the offer (the reply then comes from
    /// [`Engine::continue_offer`](super::Engine::continue_offer)).
    pub probe: Option<Probe>,
    /// Programs the configuration's `execute(...)` statements asked for,
    /// each as its argument vector (program first), in order. ISC runs
    /// them and waits for each.
    pub commands: Vec<Vec<Vec<u8>>>,
}

impl Outcome {
    /// Adds an info line.
    pub(crate) fn info(&mut self, text: impl Into<String>) {
        self.logs.push(LogLine::info(text));
    }

    /// Adds an error line.
    pub(crate) fn error(&mut self, text: impl Into<String>) {
        self.logs.push(LogLine::error(text));
    }

    /// Adds a debug line.
    pub(crate) fn debug(&mut self, text: impl Into<String>) {
        self.logs.push(LogLine::debug(text));
    }

    /// Records a lease to make durable, replacing an earlier record of the
    /// same address from this input (only the last state matters).
    pub(crate) fn record(&mut self, lease: Lease) {
        self.lease_changes.retain(|l| l.ip != lease.ip);
        self.lease_changes.push(lease);
    }
}
