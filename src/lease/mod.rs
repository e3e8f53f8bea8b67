//! Leases and the `dhcpd.leases` file, as ISC dhcpd 4.4 keeps them.
//!
//! This module owns the lease *record*: one IPv4 lease with every field ISC
//! stores in its lease file, and the one [`BindingState`] enum the whole
//! crate uses for a lease's state (ISC's `binding_state_t`, whose numbers are
//! also the failover wire codes). The file format lives beside it:
//!
//! * [`file`](mod@file) — `dhcpd.leases` text in, records and ISC's diagnostics out
//!   (pure: bytes in, values out; never panics, whatever the bytes).
//! * [`write`](mod@write) — records in, bytes out, in ISC 4.4's exact layout: the full
//!   rewrite (`dhcpd.leases.<time>` then renamed) and single-record appends.
//! * [`records`] — the other things a lease file holds (failover state
//!   blocks, `server-duid`, OMAPI-made hosts, groups and classes) and the
//!   fold that turns a log of records into the current state.
//! * [`date`] — ISC's two date formats.
//! * [`journal`] — when to write and fsync: group commit and ISC's hourly
//!   rewrite rule (pure: decides, never touches a file).
//! * [`store`] — the file on disk: load, append + fsync, rewrite through
//!   `PATH.<time>`, `PATH~` and a rename (the only file IO for leases).
//!
//! Times are `i64` seconds since the Unix epoch, as ISC's `TIME`. ISC uses
//! 0 for "not set" (such a line is not written) and [`NEVER`] for "never";
//! we keep both conventions so that a value read from a file is written back
//! unchanged.

#![warn(missing_docs)]

pub mod date;
pub mod file;
pub mod index;
pub mod journal;
mod lease_decl;
mod other_decl;
pub mod records;
pub mod scan;
pub mod startup;
pub mod store;
pub mod stream;
pub mod write;

#[cfg(test)]
mod tests;

use std::net::Ipv4Addr;

/// Seconds since the Unix epoch; 0 means "not set", [`NEVER`] means never.
pub type Time = i64;

/// ISC's `MAX_TIME`, written `never`. Dates from 2038 on also read as this.
pub const NEVER: Time = 0x7fff_ffff;

/// The state of a lease (ISC `binding_state_t`, `FTS_*`).
///
/// The discriminants are ISC's numbers, which are also the codes the
/// failover protocol sends in a BNDUPD's binding-status option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BindingState {
    /// Available for allocation by this server.
    Free = 1,
    /// Bound to a client.
    Active = 2,
    /// The client's lease ran out; waiting for the peer to agree it is free.
    Expired = 3,
    /// The client released it; waiting for the peer to agree it is free.
    Released = 4,
    /// Found in use by someone unknown (ping answered, DHCPDECLINE).
    Abandoned = 5,
    /// Freed by an operator through OMAPI; waiting for the peer.
    Reset = 6,
    /// Free, and owned by the secondary for allocation.
    Backup = 7,
}

impl BindingState {
    /// Every state, in code order.
    pub const ALL: [BindingState; 7] = [
        BindingState::Free,
        BindingState::Active,
        BindingState::Expired,
        BindingState::Released,
        BindingState::Abandoned,
        BindingState::Reset,
        BindingState::Backup,
    ];

    /// The name ISC writes in the lease file (`binding state NAME;`).
    pub fn file_name(self) -> &'static str {
        match self {
            BindingState::Free => "free",
            BindingState::Active => "active",
            BindingState::Expired => "expired",
            BindingState::Released => "released",
            BindingState::Abandoned => "abandoned",
            BindingState::Reset => "reset",
            BindingState::Backup => "backup",
        }
    }

    /// The failover wire code (also ISC's internal number).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The state for a failover wire code; `None` outside 1..=7.
    pub fn from_code(code: u8) -> Option<BindingState> {
        BindingState::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// The state a lease-file name denotes (exact, lowercase, as written).
    pub fn from_file_name(name: &str) -> Option<BindingState> {
        BindingState::ALL.iter().copied().find(|s| s.file_name() == name)
    }
}

impl std::fmt::Display for BindingState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.file_name())
    }
}

/// A hardware address as ISC keeps it: the ARP type and the address bytes.
///
/// ISC distinguishes "no hardware" from `hardware ethernet;` (a type with an
/// empty address, written back as `hardware ethernet ;`), hence an `Option`
/// of this rather than an empty value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct HardwareAddr {
    /// ARP hardware type: 1 ethernet, 6 token-ring, 8 fddi, 32 infiniband.
    pub htype: u8,
    /// The address bytes, at most 20 (ISC's buffer is 21 with the type).
    pub addr: Vec<u8>,
}

/// ISC's hardware buffer holds the type byte plus up to this many bytes.
pub const HARDWARE_ADDR_MAX: usize = 20;

/// The value of a `set NAME = VALUE;` binding (ISC `binding_value`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BindingValue {
    /// Data, written as a quoted string with octal escapes.
    Data(Vec<u8>),
    /// A number, written `%N`.
    Numeric(i64),
    /// A boolean, written `true` / `false`.
    Boolean(bool),
}

/// One variable binding stored with a lease (`set NAME = VALUE;`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Binding {
    /// The variable name as written (ISC keeps its case).
    pub name: String,
    /// Its value.
    pub value: BindingValue,
}

/// A relay-agent suboption stashed with the lease (`option agent.NAME VALUE;`).
///
/// The value is kept as the text ISC wrote (its `pretty_print_option`
/// output) until the option table can parse and print it; written back
/// verbatim, so a round trip is exact.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AgentOption {
    /// The suboption name without the `agent.` prefix (`circuit-id`).
    pub name: String,
    /// The value text between the name and the `;`, trimmed.
    pub value_text: Vec<u8>,
}

/// The class a lease is billed to (`billing class` / `billing subclass`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BillingClass {
    /// `billing class "NAME";`
    Class(String),
    /// `billing subclass "PARENT" HASH;` — the spawned subclass by its data.
    Subclass {
        /// The spawning class's name.
        parent: String,
        /// The subclass's hash data (the spawn value).
        hash: Vec<u8>,
    },
}

/// The statements of an `on expiry` / `on release` block, kept as source text.
///
/// ISC re-serialises parsed statements with `write_statements`; until the
/// executable-statement grammar is shared with this module we keep the text
/// between the braces exactly as read, which reproduces ISC's own layout
/// byte for byte when the file was written by ISC (or by us).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventStatements {
    /// Everything between `{` and the matching `}`, newlines included.
    pub text: Vec<u8>,
}

impl EventStatements {
    /// Builds ISC's layout for the given statements (each already ending in
    /// `;` or `}`): every statement on its own line at indent 4, and the
    /// closing brace at indent 2.
    pub fn from_statements<S: AsRef<str>>(statements: &[S]) -> EventStatements {
        let mut text = Vec::new();
        for s in statements {
            text.extend_from_slice(b"\n    ");
            text.extend_from_slice(s.as_ref().as_bytes());
        }
        text.extend_from_slice(b"\n  ");
        EventStatements { text }
    }
}

/// One IPv4 lease with every field ISC reads from and writes to the lease file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The leased address.
    pub ip: Ipv4Addr,
    /// When the lease started (`starts`); 0 = not set.
    pub starts: Time,
    /// When it ends (`ends`); 0 = not set, [`NEVER`] = infinite.
    pub ends: Time,
    /// Time sent to the failover peer: the expiry we told it (`tstp`).
    pub tstp: Time,
    /// Time sent from the peer: the expiry it acknowledged (`tsfp`).
    pub tsfp: Time,
    /// Actual tsfp: the acknowledged value of the last update (`atsfp`).
    pub atsfp: Time,
    /// Client's last transaction time (`cltt`).
    pub cltt: Time,
    /// Current state.
    pub binding_state: BindingState,
    /// State the lease moves to when it expires or is released.
    pub next_binding_state: BindingState,
    /// Last state the failover peer is known to have; `None` when ISC's
    /// value is unset (then nothing is written and a reader assumes current).
    pub rewind_binding_state: Option<BindingState>,
    /// ISC `RESERVED_LEASE`: the lease is reserved (`reserved;`).
    pub reserved: bool,
    /// ISC `BOOTP_LEASE`: given to a BOOTP client (`dynamic-bootp;`).
    pub bootp: bool,
    /// The class the lease is billed to, if any.
    pub billing_class: Option<BillingClass>,
    /// The client's hardware address.
    pub hardware: Option<HardwareAddr>,
    /// The client identifier (`uid`).
    pub uid: Option<Vec<u8>>,
    /// Variable bindings, in the order they appear in the file.
    pub bindings: Vec<Binding>,
    /// Stashed relay-agent options.
    pub agent_options: Vec<AgentOption>,
    /// The host name the client sent (`client-hostname`), without any NUL.
    pub client_hostname: Option<Vec<u8>>,
    /// Statements to run when the lease expires.
    pub on_expiry: Option<EventStatements>,
    /// Statements to run when the lease is released.
    pub on_release: Option<EventStatements>,
}

impl Lease {
    /// A lease for `ip` with nothing set: free, no times, no client.
    pub fn new(ip: Ipv4Addr) -> Lease {
        Lease {
            ip,
            starts: 0,
            ends: 0,
            tstp: 0,
            tsfp: 0,
            atsfp: 0,
            cltt: 0,
            binding_state: BindingState::Free,
            next_binding_state: BindingState::Free,
            rewind_binding_state: Some(BindingState::Free),
            reserved: false,
            bootp: false,
            billing_class: None,
            hardware: None,
            uid: None,
            bindings: Vec::new(),
            agent_options: Vec::new(),
            client_hostname: None,
            on_expiry: None,
            on_release: None,
        }
    }

    /// The value of binding `name` (compared case-insensitively, as ISC's
    /// `find_binding` does).
    pub fn binding(&self, name: &str) -> Option<&BindingValue> {
        self.bindings.iter().find(|b| b.name.eq_ignore_ascii_case(name)).map(|b| &b.value)
    }

    /// Sets binding `name`, replacing an existing value in place.
    pub fn set_binding(&mut self, name: &str, value: BindingValue) {
        match self.bindings.iter_mut().find(|b| b.name.eq_ignore_ascii_case(name)) {
            Some(b) => b.value = value,
            None => self.bindings.push(Binding { name: name.to_string(), value }),
        }
    }

    /// The client's vendor class, which ISC stores as the binding
    /// `vendor-class-identifier` (for leasequery).
    pub fn vendor_class_identifier(&self) -> Option<&[u8]> {
        match self.binding("vendor-class-identifier") {
            Some(BindingValue::Data(d)) => Some(d),
            _ => None,
        }
    }

    /// Whether ISC writes this lease on a full rewrite: it has a hardware
    /// address, a uid, a non-zero tsfp, or is not free (`write_leases4`).
    pub fn is_interesting(&self) -> bool {
        self.hardware.is_some()
            || self.uid.as_ref().is_some_and(|u| !u.is_empty())
            || self.tsfp != 0
            || self.binding_state != BindingState::Free
    }
}
