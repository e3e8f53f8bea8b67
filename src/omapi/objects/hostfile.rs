//! Hosts in the lease file: the records OMAPI changes write (ISC `write_host`), and reading
//! them back at start-up (ISC `parse_host_declaration` on the lease file → `enter_host` /
//! `delete_host`).
//!
//! ISC's record, byte for byte:
//!
//! ```text
//! host NAME {
//!   dynamic;
//!   hardware ethernet 00:11:22:33:44:55;
//!   uid "printable" | uid 01:02:...;
//!   fixed-address 10.0.0.5,10.0.0.6;
//!   group "NAME";
//! }
//! ```
//!
//! with `dynamic;` only for hosts made through OMAPI, and a rubout (`deleted;` in place of
//! everything after `dynamic;`) for a removed host and before the new declaration of an
//! updated one. A name that is not printable cannot be written (ISC: the write fails and OMAPI
//! answers IOERROR).
//!
//! A full rewrite of the lease file (ISC `write_leases`) carries the same records for every
//! host that needs one: rubouts of deleted configuration hosts, then the live OMAPI hosts
//! ([`rewrite_records`]).
//!
//! Reading applies the records in file order to the engine's hosts: a rubout deletes the live
//! host of that name, a declaration adds a host unless a live one has the name (ISC's
//! "already exists"). Statements inside a record (ISC writes a host's own scope at indent 8)
//! are not applied; each such host is named in a warning.

use std::fmt;
use std::net::Ipv4Addr;

use super::backend::Dhcp;
use super::host::HostDraft;
use crate::conf::model::Config;
use crate::lease::records::{HostRecord, Record};
use crate::lease::write::{hardware, quotify};
use crate::lease::HardwareAddr;

/// Why a host record cannot be written or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The host has no name, or one ISC's `db_printable` refuses.
    Unprintable(String),
    /// A statement of a record could not be read.
    Bad {
        /// The host.
        host: String,
        /// The statement, as written.
        statement: String,
    },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Unprintable(n) => write!(f, "host name {n:?} cannot be written to the lease file"),
            RecordError::Bad { host, statement } => write!(f, "host {host}: cannot read \"{statement}\" in the lease file"),
        }
    }
}

impl std::error::Error for RecordError {}

/// ISC `db_printable`: printable ASCII without `"` and `\`.
fn printable(b: &[u8]) -> bool {
    b.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
}

/// The record ISC writes for a host (a rubout when `d.deleted`); `config` names its group.
pub fn record(d: &HostDraft, config: &Config) -> Result<Record, RecordError> {
    let name = d.name.clone().unwrap_or_default();
    if d.name.is_none() || !printable(name.as_bytes()) {
        return Err(RecordError::Unprintable(name));
    }
    let mut body = Vec::new();
    if d.dynamic {
        body.extend_from_slice(b"\n  dynamic;");
    }
    if d.deleted {
        body.extend_from_slice(b"\n  deleted;");
    } else {
        if let Some(addr) = &d.hw {
            body.extend_from_slice(b"\n  hardware ");
            hardware(&mut body, &HardwareAddr { htype: d.htype, addr: addr.clone() });
            body.push(b';');
        }
        if let Some(uid) = d.uid.as_ref().filter(|u| !u.is_empty()) {
            body.extend_from_slice(b"\n  uid ");
            if printable(uid) {
                quotify(&mut body, uid);
            } else {
                let hex: Vec<String> = uid.iter().map(|b| format!("{b:02x}")).collect();
                body.extend_from_slice(hex.join(":").as_bytes());
            }
            body.push(b';');
        }
        if !d.fixed.is_empty() {
            let list: Vec<String> = d.fixed.iter().map(|&a| Ipv4Addr::from(a).to_string()).collect();
            body.extend_from_slice(format!("\n  fixed-address {};", list.join(",")).as_bytes());
        }
        if let Some(g) = d.named_group.and_then(|ng| config.named_groups.get(ng)) {
            body.extend_from_slice(format!("\n  group \"{}\";", g.name).as_bytes());
        }
    }
    body.push(b'\n');
    Ok(Record::Host(HostRecord { name, dynamic: d.dynamic, deleted: d.deleted, body }))
}

/// The statements of a record body, split at `;` outside quotes (blocks are not split
/// further: they are only ever skipped).
fn statements(body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let (mut quoted, mut escaped, mut depth) = (false, false, 0usize);
    for &c in body {
        cur.push(c);
        match c {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'{' if !quoted => depth += 1,
            b'}' if !quoted => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.push(String::from_utf8_lossy(&cur).trim().to_string());
                    cur.clear();
                }
            }
            b';' if !quoted && depth == 0 => {
                cur.pop();
                out.push(String::from_utf8_lossy(&cur).trim().to_string());
                cur.clear();
            }
            _ => {}
        }
    }
    let rest = String::from_utf8_lossy(&cur).trim().to_string();
    if !rest.is_empty() {
        out.push(rest);
    }
    out.retain(|s| !s.is_empty());
    out
}

fn hex_list(text: &str) -> Option<Vec<u8>> {
    text.split(':').map(|o| u8::from_str_radix(o.trim(), 16).ok().filter(|_| (1..=2).contains(&o.trim().len()))).collect()
}

/// A quoted string with ISC's escapes (`\t \r \n \b`, `\NNN`, `\xHH`), or `None`.
fn unquote(text: &str) -> Option<Vec<u8>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let e = *inner.get(i)?;
        i += 1;
        match e {
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b'b' => out.push(8),
            b'0'..=b'3' => {
                let oct = inner.get(i - 1..i + 2)?;
                let s = std::str::from_utf8(oct).ok()?;
                out.push(u8::from_str_radix(s, 8).ok()?);
                i += 2;
            }
            b'x' => {
                let hex = inner.get(i..i + 2)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// ISC's `hardware_types` names.
fn hardware_type(name: &str) -> Option<u8> {
    match name {
        "ethernet" => Some(1),
        "token-ring" => Some(6),
        "fddi" => Some(8),
        "infiniband" => Some(32),
        other => other.strip_prefix("unknown-").and_then(|n| n.parse().ok()),
    }
}

/// A host read from a record, and the statements of it that were not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadHost {
    /// The host.
    pub host: HostDraft,
    /// Statements of its own scope, skipped.
    pub skipped: Vec<String>,
}

/// Reads a host record against the configuration (for `group "NAME";`).
pub fn read(record: &HostRecord, config: &Config) -> Result<ReadHost, RecordError> {
    let mut d = HostDraft { name: Some(record.name.clone()), dynamic: record.dynamic, deleted: record.deleted, ..HostDraft::default() };
    let mut skipped = Vec::new();
    let bad = |s: &str| RecordError::Bad { host: record.name.clone(), statement: s.to_string() };
    for st in statements(&record.body) {
        let (word, rest) = st.split_once(char::is_whitespace).map_or((st.as_str(), ""), |(w, r)| (w, r.trim()));
        match word {
            "dynamic" | "deleted" => {}
            "hardware" => {
                let (t, a) = rest.split_once(char::is_whitespace).ok_or_else(|| bad(&st))?;
                d.htype = hardware_type(t).ok_or_else(|| bad(&st))?;
                d.hw = Some(hex_list(a.trim()).ok_or_else(|| bad(&st))?);
            }
            "uid" => d.uid = Some(unquote(rest).or_else(|| hex_list(rest)).ok_or_else(|| bad(&st))?),
            "fixed-address" => {
                for a in rest.split(',') {
                    let ip: Ipv4Addr = a.trim().parse().map_err(|_| bad(&st))?;
                    d.fixed.push(ip.octets());
                }
            }
            "group" => {
                let name = unquote(rest).unwrap_or_else(|| rest.as_bytes().to_vec());
                let ng = config.named_groups.iter().position(|g| g.name.as_bytes() == name).ok_or_else(|| bad(&st))?;
                d.named_group = Some(ng);
                d.group = config.named_groups[ng].group;
            }
            _ => skipped.push(st.clone()),
        }
    }
    Ok(ReadHost { host: d, skipped })
}

/// Applies the lease file's host records, in file order, to the engine's hosts (see the
/// module doc). Returns a line for each record not applied in full.
pub fn apply<'a>(records: impl IntoIterator<Item = &'a HostRecord>, dhcp: &mut dyn Dhcp) -> Vec<String> {
    let mut lines = Vec::new();
    for r in records {
        if r.deleted {
            if let Some(id) = dhcp.host_by_name(r.name.as_bytes()) {
                dhcp.delete_host(id);
            }
            continue;
        }
        let read = match read(r, dhcp.config()) {
            Ok(h) => h,
            Err(e) => {
                lines.push(e.to_string());
                continue;
            }
        };
        if dhcp.host_by_name(r.name.as_bytes()).is_some() {
            lines.push(format!("host {}: already exists", r.name));
            continue;
        }
        if !read.skipped.is_empty() {
            lines.push(format!("host {}: statements in the lease file not applied: {}", r.name, read.skipped.join("; ")));
        }
        dhcp.add_host(read.host.to_host());
    }
    lines
}

/// The host records a rewritten lease file holds (ISC `write_leases`): a rubout for each
/// deleted configuration host, then each live host made through OMAPI (or read from the
/// lease file), in the order they were made. Hosts whose name cannot be written are left
/// out, as ISC's write fails for them.
pub fn rewrite_records(dhcp: &dyn Dhcp) -> Vec<Record> {
    let config = dhcp.config();
    let hosts: Vec<&crate::conf::model::Host> = (0..).map_while(|id| dhcp.host(id)).collect();
    let rubouts = hosts.iter().filter(|h| !h.dynamic && h.deleted);
    let dynamic = hosts.iter().filter(|h| h.dynamic && !h.deleted);
    rubouts
        .chain(dynamic)
        .filter_map(|h| record(&HostDraft::from_host(h), config).ok())
        .collect()
}
