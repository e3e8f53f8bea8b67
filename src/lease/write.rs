//! Writing `dhcpd.leases`: records in, bytes out, in ISC 4.4's exact layout
//! (`server/db.c`: `new_lease_file`, `write_lease`, `write_failover_state`,
//! `write_server_duid`, `write_host`, `write_group`,
//! `write_named_billing_class`; `common/print.c`: `print_time`,
//! `quotify_buf`, `print_hw_addr`).
//!
//! Two entry points serve the file layer: [`append_record`] for the
//! record appended (then fsynced) on every change, and [`rewrite`] for the
//! complete file ISC writes to `dhcpd.leases.<time>` and renames over the old
//! one. Both only produce bytes; opening, syncing and renaming belong to the
//! IO layer. ISC's layout is reproduced to the byte because operators and
//! tools read these files, and because ISC must be able to read ours
//! (a drop-in replacement can be swapped back).
//!
//! One deliberate difference: names ISC would write in a way it cannot read
//! back are escaped. A peer, class or billing-class name is written inside
//! quotes with `quotify_buf`'s escapes (ISC uses `"%s"`), a group name that
//! is not one bare word is quoted, and a subclass hash containing `"` or
//! `\` is written as hex (ISC puts it in quotes unescaped). For every name
//! ISC can read back, the bytes are the same.

use std::io::Write as _;

use super::date::{format_time, push_time, DateFormat, UnprintableTime};
use super::records::{
    ByteOrder, ClassName, ClassRecord, FailoverStateRecord, GroupRecord, HostRecord, LeaseFileState, Record,
};
use super::{BillingClass, BindingValue, HardwareAddr, Lease, Time};

/// How identifiers are written (`lease-id-format` in dhcpd.conf).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LeaseIdFormat {
    /// A quoted string with octal escapes (ISC's default).
    #[default]
    Octal,
    /// Colon-separated lowercase hex bytes.
    Hex,
}

/// Settings that change the bytes written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// `db-time-format`.
    pub date_format: DateFormat,
    /// `lease-id-format`.
    pub lease_id_format: LeaseIdFormat,
    /// Who wrote the file, for the header's second line (ISC: `isc-dhcp-`
    /// and its version).
    pub written_by: String,
    /// The byte order the header declares.
    pub byte_order: ByteOrder,
    /// Now: a lease's billing class is written only while the lease runs.
    pub now: Time,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            date_format: DateFormat::Utc,
            lease_id_format: LeaseIdFormat::Octal,
            written_by: "isc-dhcp-4.4.3-P1".to_string(),
            byte_order: ByteOrder::NATIVE,
            now: 0,
        }
    }
}

/// A record that cannot be written because one of its times is negative
/// (ISC's `print_time` fails, and ISC then marks the file corrupt).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteError {
    /// The record (`lease 10.0.0.5`, `failover peer "x" state`).
    pub record: String,
    /// The field (`starts`, `my state`...).
    pub field: &'static str,
    /// The time that could not be formatted.
    pub time: Time,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} {} cannot be written", self.record, self.field, self.time)
    }
}

impl std::error::Error for WriteError {}

/// The header `new_lease_file` writes: two comments, a blank line, the
/// authoring-byte-order comment and statement, a blank line.
pub fn header(out: &mut Vec<u8>, opts: &WriteOptions) {
    out.extend_from_slice(b"# The format of this file is documented in the dhcpd.leases(5) manual page.\n");
    out.extend_from_slice(format!("# This lease file was written by {}\n\n", opts.written_by).as_bytes());
    out.extend_from_slice(b"# authoring-byte-order entry is generated, DO NOT DELETE\n");
    out.extend_from_slice(format!("authoring-byte-order {};\n\n", opts.byte_order.name()).as_bytes());
}

/// What a full rewrite contains, in the order ISC writes it.
#[derive(Clone, Debug, Default)]
pub struct Rewrite<'a> {
    /// Dynamic and deleted classes and subclasses.
    pub classes: Vec<&'a ClassRecord>,
    /// Dynamic groups and deleted static groups.
    pub groups: Vec<&'a GroupRecord>,
    /// Hosts: deleted config hosts are written first, then dynamic ones.
    pub hosts: Vec<&'a HostRecord>,
    /// One state block per failover relationship.
    pub failover: Vec<&'a FailoverStateRecord>,
    /// Leases in the order to write them (ISC: per pool, queue by queue,
    /// each sorted by its sort time).
    pub leases: Vec<&'a Lease>,
    /// The server DUID, which ISC appends once right after the startup
    /// rewrite (not on the hourly ones).
    pub server_duid: Option<&'a [u8]>,
}

impl<'a> Rewrite<'a> {
    /// Everything in a replayed file, leases in address order and only
    /// those ISC finds worth writing ([`Lease::is_interesting`]).
    pub fn from_state(st: &'a LeaseFileState) -> Rewrite<'a> {
        Rewrite {
            classes: st.classes.iter().collect(),
            groups: st.groups.iter().collect(),
            hosts: st.hosts.iter().collect(),
            failover: st.failover.iter().collect(),
            leases: st.leases.values().filter(|l| l.is_interesting()).collect(),
            server_duid: st.server_duid.as_deref(),
        }
    }
}

/// The complete file as ISC's `new_lease_file` writes it (header, classes,
/// groups, deleted hosts, dynamic hosts, failover states, leases), followed
/// by `server-duid` when given. Returns the number of leases written.
pub fn rewrite(out: &mut Vec<u8>, content: &Rewrite<'_>, opts: &WriteOptions) -> Result<usize, WriteError> {
    header(out, opts);
    for c in &content.classes {
        class(out, c);
    }
    for g in &content.groups {
        group(out, g);
    }
    for h in content.hosts.iter().filter(|h| !h.dynamic) {
        host(out, h);
    }
    for h in content.hosts.iter().filter(|h| h.dynamic) {
        host(out, h);
    }
    for f in &content.failover {
        failover_state(out, f, opts)?;
    }
    for l in &content.leases {
        lease(out, l, opts)?;
    }
    if let Some(duid) = content.server_duid {
        server_duid(out, duid, opts);
    }
    Ok(content.leases.len())
}

/// One record, as ISC appends it to the open lease file.
pub fn append_record(out: &mut Vec<u8>, record: &Record, opts: &WriteOptions) -> Result<(), WriteError> {
    match record {
        Record::AuthoringByteOrder(o) => {
            out.extend_from_slice(format!("authoring-byte-order {};\n\n", o.name()).as_bytes());
        }
        Record::ServerDuid(d) => server_duid(out, d, opts),
        Record::FailoverState(f) => failover_state(out, f, opts)?,
        Record::Lease(l) => lease(out, l, opts)?,
        Record::Host(h) => host(out, h),
        Record::Group(g) => group(out, g),
        Record::Class(c) => class(out, c),
    }
    Ok(())
}

/// A lease block (`write_lease`). Written straight into `out` (one lease per
/// ACK, so no allocation of its own); on an error `out` is as it was.
pub fn lease(out: &mut Vec<u8>, l: &Lease, opts: &WriteOptions) -> Result<(), WriteError> {
    let start = out.len();
    lease_into(out, l, opts).map_err(|e| {
        out.truncate(start);
        e
    })
}

fn lease_into(s: &mut Vec<u8>, l: &Lease, opts: &WriteOptions) -> Result<(), WriteError> {
    s.extend_from_slice(b"lease ");
    ipv4(s, l.ip);
    s.extend_from_slice(b" {");
    let times: [(&'static str, Time); 6] = [
        ("starts", l.starts),
        ("ends", l.ends),
        ("tstp", l.tstp),
        ("tsfp", l.tsfp),
        ("atsfp", l.atsfp),
        ("cltt", l.cltt),
    ];
    for (field, t) in times {
        if t != 0 {
            s.extend_from_slice(b"\n  ");
            s.extend_from_slice(field.as_bytes());
            s.push(b' ');
            push_time(s, t, opts.date_format).map_err(|UnprintableTime(time)| WriteError {
                record: format!("lease {}", l.ip),
                field,
                time,
            })?;
        }
    }
    let _ = write!(s, "\n  binding state {};", l.binding_state);
    if l.next_binding_state != l.binding_state {
        let _ = write!(s, "\n  next binding state {};", l.next_binding_state);
    }
    if let Some(r) = l.rewind_binding_state.filter(|&r| r != l.binding_state) {
        let _ = write!(s, "\n  rewind binding state {};", r);
    }
    if l.reserved {
        s.extend_from_slice(b"\n  reserved;");
    }
    if l.bootp {
        s.extend_from_slice(b"\n  dynamic-bootp;");
    }
    if let Some(b) = l.billing_class.as_ref().filter(|_| l.ends > opts.now) {
        match b {
            BillingClass::Class(name) => {
                s.extend_from_slice(b"\n  billing class ");
                quotify(s, name.as_bytes());
                s.push(b';');
            }
            BillingClass::Subclass { parent, hash } => {
                s.extend_from_slice(b"\n  billing subclass ");
                quotify(s, parent.as_bytes());
                hash_string(s, hash);
                s.push(b';');
            }
        }
    }
    if let Some(hw) = &l.hardware {
        s.extend_from_slice(b"\n  hardware ");
        hardware(s, hw);
        s.push(b';');
    }
    if let Some(uid) = l.uid.as_ref().filter(|u| !u.is_empty()) {
        s.extend_from_slice(b"\n  uid ");
        lease_id(s, uid, opts.lease_id_format);
        s.push(b';');
    }
    for b in &l.bindings {
        s.extend_from_slice(b"\n  set ");
        s.extend_from_slice(b.name.as_bytes());
        s.extend_from_slice(b" = ");
        match &b.value {
            BindingValue::Data(d) => quotify(s, d),
            BindingValue::Numeric(n) => {
                let _ = write!(s, "%{n}");
            }
            BindingValue::Boolean(v) => s.extend_from_slice(if *v { b"true" } else { b"false" }),
        }
        s.push(b';');
    }
    for o in &l.agent_options {
        s.extend_from_slice(b"\n  option agent.");
        s.extend_from_slice(o.name.as_bytes());
        s.push(b' ');
        s.extend_from_slice(&o.value_text);
        s.push(b';');
    }
    if let Some(h) = l.client_hostname.as_ref().filter(|h| db_printable(h)) {
        s.extend_from_slice(b"\n  client-hostname \"");
        s.extend_from_slice(h);
        s.extend_from_slice(b"\";");
    }
    if let Some(e) = &l.on_expiry {
        let both = l.on_release.as_ref() == Some(e);
        s.extend_from_slice(if both { b"\n  on expiry or release {".as_slice() } else { b"\n  on expiry {" });
        s.extend_from_slice(&e.text);
        s.push(b'}');
    }
    if let Some(r) = l.on_release.as_ref().filter(|r| l.on_expiry.as_ref() != Some(*r)) {
        s.extend_from_slice(b"\n  on release {");
        s.extend_from_slice(&r.text);
        s.push(b'}');
    }
    s.extend_from_slice(b"\n}\n");
    Ok(())
}

/// A dotted quad.
fn ipv4(out: &mut Vec<u8>, ip: std::net::Ipv4Addr) {
    for (i, o) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        if o >= 100 {
            out.push(b'0' + o / 100);
        }
        if o >= 10 {
            out.push(b'0' + o / 10 % 10);
        }
        out.push(b'0' + o % 10);
    }
}

/// A failover state block (`write_failover_state`): a blank line first,
/// `mclt` only when known (ISC: only on a secondary).
pub fn failover_state(out: &mut Vec<u8>, f: &FailoverStateRecord, opts: &WriteOptions) -> Result<(), WriteError> {
    let mut s = Vec::new();
    s.extend_from_slice(b"\nfailover peer ");
    quotify(&mut s, f.peer.as_bytes());
    s.extend_from_slice(b" state {");
    let sides = [("my state", "\n  my state ", f.me), ("partner state", "\n  partner state ", f.partner)];
    for (field, prefix, side) in sides {
        if let Some(st) = side {
            let text = format_time(st.since, opts.date_format).map_err(|UnprintableTime(time)| WriteError {
                record: format!("failover peer \"{}\" state", f.peer),
                field,
                time,
            })?;
            s.extend_from_slice(format!("{}{} at {}", prefix, st.state, text).as_bytes());
        }
    }
    if let Some(m) = f.mclt {
        s.extend_from_slice(format!("\n  mclt {};", m).as_bytes());
    }
    s.extend_from_slice(b"\n}\n");
    out.extend_from_slice(&s);
    Ok(())
}

/// `server-duid ...;` and a blank line (`write_server_duid`).
pub fn server_duid(out: &mut Vec<u8>, duid: &[u8], opts: &WriteOptions) {
    out.extend_from_slice(b"server-duid ");
    lease_id(out, duid, opts.lease_id_format);
    out.extend_from_slice(b";\n\n");
}

/// A host record; its statements are written back as read.
pub fn host(out: &mut Vec<u8>, h: &HostRecord) {
    out.extend_from_slice(b"host ");
    out.extend_from_slice(h.name.as_bytes());
    out.extend_from_slice(b" {");
    out.extend_from_slice(&h.body);
    out.extend_from_slice(b"}\n");
}

/// A group record; its statements are written back as read.
pub fn group(out: &mut Vec<u8>, g: &GroupRecord) {
    out.extend_from_slice(b"group ");
    if let Some(n) = &g.name {
        if is_bare_name(n) {
            out.extend_from_slice(n.as_bytes());
        } else {
            quotify(out, n.as_bytes());
        }
        out.push(b' ');
    }
    out.push(b'{');
    out.extend_from_slice(&g.body);
    out.extend_from_slice(b"}\n");
}

/// A class or subclass record (`write_named_billing_class`), followed by
/// the blank line ISC writes.
pub fn class(out: &mut Vec<u8>, c: &ClassRecord) {
    match &c.name {
        ClassName::Class(name) => {
            out.extend_from_slice(b"class ");
            quotify(out, name.as_bytes());
        }
        ClassName::Subclass { parent, hash } => {
            out.extend_from_slice(b"subclass ");
            quotify(out, parent.as_bytes());
            hash_string(out, hash);
        }
    }
    match &c.body {
        Some(body) => {
            out.extend_from_slice(b" {");
            out.extend_from_slice(body);
            out.extend_from_slice(b"}\n\n");
        }
        None => out.extend_from_slice(b";\n\n"),
    }
}

/// `TYPE xx:xx:...` (ISC's `hardware_types` names and `print_hw_addr`).
pub fn hardware(out: &mut Vec<u8>, hw: &HardwareAddr) {
    match hw.htype {
        1 => out.extend_from_slice(b"ethernet"),
        6 => out.extend_from_slice(b"token-ring"),
        8 => out.extend_from_slice(b"fddi"),
        32 => out.extend_from_slice(b"infiniband"),
        n => out.extend_from_slice(format!("unknown-{}", n).as_bytes()),
    }
    out.push(b' ');
    hex_list(out, &hw.addr);
}

/// An identifier in the configured format (`format_lease_id`).
pub fn lease_id(out: &mut Vec<u8>, id: &[u8], format: LeaseIdFormat) {
    match format {
        LeaseIdFormat::Octal => quotify(out, id),
        LeaseIdFormat::Hex => hex_list(out, id),
    }
}

/// A double-quoted string: printable ASCII as is, `"` and `\` escaped,
/// everything else as `\` and three octal digits (`quotify_buf`).
pub fn quotify(out: &mut Vec<u8>, data: &[u8]) {
    out.push(b'"');
    for &b in data {
        match b {
            b'"' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(&[b'\\', b'0' + (b >> 6), b'0' + (b >> 3 & 7), b'0' + (b & 7)]),
        }
    }
    out.push(b'"');
}

/// `xx:xx:...` in lowercase hex.
fn hex_list(out: &mut Vec<u8>, data: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, &b) in data.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
    }
}

/// A subclass hash after a space: quoted when printable, else hex
/// (`print_hash_string`).
fn hash_string(out: &mut Vec<u8>, hash: &[u8]) {
    out.push(b' ');
    if hash.iter().all(|&b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(hash);
        out.push(b'"');
    } else {
        hex_list(out, hash);
    }
}

/// Whether a group name reads back as one bare word (ISC writes every name
/// bare; we quote the ones it could not read back).
fn is_bare_name(n: &str) -> bool {
    let b = n.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// ISC's `db_printable`: printable ASCII without `"` or `\`.
pub fn db_printable(s: &[u8]) -> bool {
    s.iter().all(|&b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}
