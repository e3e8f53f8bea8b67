//! Everything a `dhcpd.leases` file holds besides leases, and the fold that
//! turns the file's log of records into the state a restart sees.
//!
//! ISC's lease file is a log: every change appends a record, and a rewrite
//! (at startup and about hourly) compacts it. Reading replays the log, so the
//! order of records matters: a later `lease` block replaces the earlier one
//! for its address wholesale (ISC `enter_lease`), while a later `failover peer
//! ... state` block updates only the fields it names (ISC installs each field
//! into the peer's state as it parses). [`LeaseLog::state`] applies exactly
//! those rules; the IO layer and the engine work from its result.
//!
//! Hosts, groups and classes created through OMAPI are kept with their
//! statements as source text: their grammar belongs to the configuration
//! parser, and the text is what ISC itself wrote, so writing it back is exact.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::{Lease, Time};
use crate::conf::diag::Diagnostic;

/// A failover server state as ISC names it in the lease file and logs and
/// numbers it on the wire (`enum failover_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailoverState {
    /// `unknown-state` (0).
    Unknown = 0,
    /// `startup` (1); ISC writes the saved state instead while in startup.
    Startup = 1,
    /// `normal` (2).
    Normal = 2,
    /// `communications-interrupted` (3).
    CommunicationsInterrupted = 3,
    /// `partner-down` (4).
    PartnerDown = 4,
    /// `potential-conflict` (5).
    PotentialConflict = 5,
    /// `recover` (6).
    Recover = 6,
    /// `paused` (7).
    Paused = 7,
    /// `shutdown` (8) — ISC's spelling has no hyphen.
    Shutdown = 8,
    /// `recover-done` (9).
    RecoverDone = 9,
    /// `resolution-interrupted` (10).
    ResolutionInterrupted = 10,
    /// `conflict-done` (11).
    ConflictDone = 11,
    /// `recover-wait` (254 on ISC's wire; no number in draft-12).
    RecoverWait = 254,
}

impl FailoverState {
    /// Every state.
    pub const ALL: [FailoverState; 13] = [
        FailoverState::Unknown,
        FailoverState::Startup,
        FailoverState::Normal,
        FailoverState::CommunicationsInterrupted,
        FailoverState::PartnerDown,
        FailoverState::PotentialConflict,
        FailoverState::Recover,
        FailoverState::Paused,
        FailoverState::Shutdown,
        FailoverState::RecoverDone,
        FailoverState::ResolutionInterrupted,
        FailoverState::ConflictDone,
        FailoverState::RecoverWait,
    ];

    /// ISC's name (`dhcp_failover_state_name_print`).
    pub fn name(self) -> &'static str {
        match self {
            FailoverState::Unknown => "unknown-state",
            FailoverState::Startup => "startup",
            FailoverState::Normal => "normal",
            FailoverState::CommunicationsInterrupted => "communications-interrupted",
            FailoverState::PartnerDown => "partner-down",
            FailoverState::PotentialConflict => "potential-conflict",
            FailoverState::Recover => "recover",
            FailoverState::Paused => "paused",
            FailoverState::Shutdown => "shutdown",
            FailoverState::RecoverDone => "recover-done",
            FailoverState::ResolutionInterrupted => "resolution-interrupted",
            FailoverState::ConflictDone => "conflict-done",
            FailoverState::RecoverWait => "recover-wait",
        }
    }

    /// The wire code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The state for a wire code, `None` for codes ISC does not know.
    pub fn from_code(code: u8) -> Option<FailoverState> {
        FailoverState::ALL.iter().copied().find(|s| s.code() == code)
    }
}

impl std::fmt::Display for FailoverState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A server's failover state and when it entered it (`STATE at DATE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateAt {
    /// The state.
    pub state: FailoverState,
    /// Start time of the state (ISC `stos`).
    pub since: Time,
}

/// A `failover peer "NAME" state { ... }` block.
///
/// Fields absent from the block are `None`; ISC leaves those parts of the
/// peer's state as they were.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverStateRecord {
    /// The failover relationship's name.
    pub peer: String,
    /// `my state S at D;`
    pub me: Option<StateAt>,
    /// `partner state S at D;`
    pub partner: Option<StateAt>,
    /// `mclt N;` — only a secondary writes it (the value the primary sent);
    /// ISC rejects it on a primary, which the engine checks against the
    /// configuration.
    pub mclt: Option<u32>,
}

/// The byte order named by `authoring-byte-order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    /// `little-endian`
    LittleEndian,
    /// `big-endian`
    BigEndian,
}

impl ByteOrder {
    /// The order of the machine we run on, which ISC writes in the header.
    pub const NATIVE: ByteOrder =
        if cfg!(target_endian = "big") { ByteOrder::BigEndian } else { ByteOrder::LittleEndian };

    /// The keyword ISC writes.
    pub fn name(self) -> &'static str {
        match self {
            ByteOrder::LittleEndian => "little-endian",
            ByteOrder::BigEndian => "big-endian",
        }
    }
}

/// A `host NAME { ... }` written through OMAPI (a dynamic host or the
/// rubout of a deleted one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostRecord {
    /// The host's name.
    pub name: String,
    /// `dynamic;` was present: the host exists only through OMAPI.
    pub dynamic: bool,
    /// `deleted;` was present: the host (from OMAPI or the config) is gone.
    pub deleted: bool,
    /// The text between the braces, exactly as read.
    pub body: Vec<u8>,
}

/// A `group NAME { ... }` written through OMAPI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRecord {
    /// The group's name (ISC writes one; the reader also accepts none).
    pub name: Option<String>,
    /// `dynamic;`
    pub dynamic: bool,
    /// `static;` — a group from the config that OMAPI changed.
    pub is_static: bool,
    /// `deleted;`
    pub deleted: bool,
    /// The text between the braces, exactly as read.
    pub body: Vec<u8>,
}

/// What a class record declares.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ClassName {
    /// `class "NAME"`
    Class(String),
    /// `subclass "PARENT" HASH`
    Subclass {
        /// The spawning (or matching) class.
        parent: String,
        /// The subclass's data (a string or a colon-hex list in the file).
        hash: Vec<u8>,
    },
}

/// A `class` or `subclass` record: a class spawned at run time (ISC writes
/// these for billing) or one deleted through OMAPI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassRecord {
    /// Which class.
    pub name: ClassName,
    /// `dynamic;`
    pub dynamic: bool,
    /// `deleted;`
    pub deleted: bool,
    /// `lease limit N;`
    pub lease_limit: Option<i64>,
    /// The text between the braces, or `None` for `subclass "P" HASH;`.
    pub body: Option<Vec<u8>>,
}

/// One record of the lease file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// `authoring-byte-order little-endian;`
    AuthoringByteOrder(ByteOrder),
    /// `server-duid "...";` (DHCPv6 is compiled into ISC, so a v4 server
    /// writes it too).
    ServerDuid(Vec<u8>),
    /// `failover peer "NAME" state { ... }`
    FailoverState(FailoverStateRecord),
    /// `lease A.B.C.D { ... }`
    Lease(Lease),
    /// `host NAME { ... }`
    Host(HostRecord),
    /// `group NAME { ... }`
    Group(GroupRecord),
    /// `class "NAME" { ... }` or `subclass "P" HASH ...`
    Class(ClassRecord),
}

/// A record and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The line of the record's first keyword.
    pub line: u32,
    /// How many of [`LeaseLog::diagnostics`] were reported up to the end
    /// of this record (ISC prints what it does with a record, such as
    /// `lease A: no subnet.`, right after them).
    pub diagnostics_through: usize,
    /// The record.
    pub record: Record,
}

/// A record the file ends in the middle of: the tail of an append that
/// never completed (a crash or a full disk). It is dropped, which restores
/// the last complete version of whatever it described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornRecord {
    /// The line where the record starts.
    pub line: u32,
    /// What it was (`lease 10.0.0.5`, `failover peer "a" state`...).
    pub what: String,
}

/// A lease file as read: its records in file order and everything ISC (and
/// we) had to say about it.
#[derive(Clone, Debug, Default)]
pub struct LeaseLog {
    /// The file name used in messages.
    pub file_name: String,
    /// Every complete, accepted record in file order.
    pub entries: Vec<Entry>,
    /// Messages in ISC's words and order (`FILE line N: ...` with caret
    /// lines, `Corrupt lease file - possible data loss!`...), plus ours for
    /// a torn tail.
    pub diagnostics: Vec<Diagnostic>,
    /// The incomplete last record, if the file ends inside one.
    pub torn: Option<TornRecord>,
    /// Records that were malformed and dropped (ISC's "possibly corrupt lease
    /// file"), with the line they started on.
    pub dropped: Vec<TornRecord>,
}

/// The state a lease file describes once its log is replayed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseFileState {
    /// The last `authoring-byte-order`.
    pub byte_order: Option<ByteOrder>,
    /// The last `server-duid`.
    pub server_duid: Option<Vec<u8>>,
    /// One merged failover state per peer, in order of first appearance.
    pub failover: Vec<FailoverStateRecord>,
    /// The last record for each address.
    pub leases: BTreeMap<Ipv4Addr, Lease>,
    /// The last record for each host name, in order of first appearance.
    pub hosts: Vec<HostRecord>,
    /// The last record for each group, in order of first appearance.
    pub groups: Vec<GroupRecord>,
    /// The last record for each class or subclass, in order of first appearance.
    pub classes: Vec<ClassRecord>,
}

impl LeaseLog {
    /// Replays the records: leases by address and OMAPI objects by name
    /// are replaced by later records; failover blocks merge field by field.
    pub fn state(&self) -> LeaseFileState {
        let mut st = LeaseFileState::default();
        for e in &self.entries {
            st.apply(&e.record);
        }
        st
    }

    /// Every lease record in file order (a log: one address may repeat).
    pub fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.entries.iter().filter_map(|e| match &e.record {
            Record::Lease(l) => Some(l),
            _ => None,
        })
    }
}

impl LeaseFileState {
    /// Applies one record on top of the state so far (the replay rule of
    /// [`LeaseLog::state`]).
    pub fn apply(&mut self, record: &Record) {
        let st = self;
        match record {
            Record::AuthoringByteOrder(o) => st.byte_order = Some(*o),
            Record::ServerDuid(d) => st.server_duid = Some(d.clone()),
            Record::FailoverState(f) => match st.failover.iter_mut().find(|x| x.peer == f.peer) {
                Some(cur) => {
                    cur.me = f.me.or(cur.me);
                    cur.partner = f.partner.or(cur.partner);
                    cur.mclt = f.mclt.or(cur.mclt);
                }
                None => st.failover.push(f.clone()),
            },
            Record::Lease(l) => {
                st.leases.insert(l.ip, l.clone());
            }
            Record::Host(h) => replace_or_push(&mut st.hosts, h, |a, b| a.name == b.name),
            Record::Group(g) => replace_or_push(&mut st.groups, g, |a, b| a.name == b.name),
            Record::Class(c) => replace_or_push(&mut st.classes, c, |a, b| a.name == b.name),
        }
    }
}

fn replace_or_push<T: Clone>(list: &mut Vec<T>, item: &T, same: impl Fn(&T, &T) -> bool) {
    match list.iter_mut().find(|x| same(x, item)) {
        Some(slot) => *slot = item.clone(),
        None => list.push(item.clone()),
    }
}
