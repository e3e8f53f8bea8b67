//! The fast path for lease blocks in the layout ISC (and we) write.
//!
//! Almost every byte of a big `dhcpd.leases` is a lease block exactly as
//! `write_lease` prints it: `lease A.B.C.D {`, then one statement per line
//! indented by two spaces in a fixed order, then `}`. [`scan_lease`] reads
//! such a block directly from the bytes, about ten times faster than the
//! ISC-compatible lexer and parser, and gives up (returns `None`) at the
//! first byte that is not in that layout: a comment, an extra space, a
//! statement it does not know, an `on` block, a billing class, an `epoch`
//! date, any byte outside printable ASCII in a string. The caller then reads
//! the block with the full reader, which also produces ISC's messages. So
//! the fast path only ever sees blocks ISC would read without a word, and
//! must build the very same [`Lease`] the full reader builds — the tests
//! check that on every fixture and on mutated input.
//!
//! It also says whether the block is *canonical*: whether
//! [`write::lease`](super::write::lease) with UTC dates and octal ids would
//! print these exact bytes (correct weekdays, no default filled in, no line
//! the writer would drop). A canonical block can be copied to a rewrite
//! as-is, which is how `dhcpd -T` writes a million leases without
//! rebuilding each one. Pure; never panics.

use std::net::Ipv4Addr;

use super::date::Civil;
use super::{BindingState, BindingValue, HardwareAddr, Lease, Time, NEVER};
use crate::conf::keywords;

/// Longest string the fast path takes (ISC's token buffer is 1500 bytes).
const MAX_STRING: usize = 1024;

/// A block read by the fast path.
#[derive(Debug)]
pub struct Scanned {
    /// The lease, as the full reader would build it.
    pub lease: Lease,
    /// Bytes of the block, from `lease` through the newline after `}`.
    pub len: usize,
    /// Newlines in the block (the next record starts this many lines on).
    pub lines: u32,
    /// The writer would print exactly these bytes (UTC dates, octal ids).
    pub canonical: bool,
}

/// Reads one lease block at the start of `input`, or `None` if it is not
/// in the plain layout. A block without `binding state` is left to the full reader.
pub fn scan_lease(input: &[u8]) -> Option<Scanned> {
    let mut c = Cursor { b: input, i: 0 };
    c.tag(b"lease ")?;
    let ip = c.ipv4()?;
    c.tag(b" {\n")?;
    let mut lease = Lease::new(ip);
    let mut canonical = true;
    // Statements must come in the writer's order; `stage` is the position
    // of the last one seen, so a repeat or a reordering falls back.
    let mut stage = 0u8;
    let mut binding = None;
    let (mut next, mut rewind) = (None, None);
    let mut seen_tstp = false;
    let mut bindings_seen: Vec<Vec<u8>> = Vec::new();
    loop {
        if c.peek_tag(b"}\n") {
            c.i += 2;
            break;
        }
        c.tag(b"  ")?;
        let word = c.word()?;
        let (order, kind) = statement(word)?;
        if order < stage || (order == stage && kind != Stmt::Set) {
            return None;
        }
        stage = order;
        match kind {
            Stmt::Time(field) => {
                c.tag(b" ")?;
                let (t, exact) = c.date()?;
                canonical &= exact && t != 0;
                let l = &mut lease;
                match field {
                    0 => l.starts = t,
                    1 => l.ends = t,
                    2 => {
                        l.tstp = t;
                        seen_tstp = true;
                    }
                    3 => l.tsfp = t,
                    4 => l.atsfp = t,
                    _ => l.cltt = t,
                }
            }
            Stmt::Binding | Stmt::Next | Stmt::Rewind => {
                if kind != Stmt::Binding {
                    c.tag(b" binding")?;
                }
                c.tag(b" state ")?;
                let s = BindingState::from_file_name(std::str::from_utf8(c.word()?).ok()?)?;
                c.tag(b";")?;
                match kind {
                    Stmt::Binding => binding = Some(s),
                    Stmt::Next => next = Some(s),
                    _ => rewind = Some(s),
                }
            }
            Stmt::Reserved => {
                c.tag(b";")?;
                lease.reserved = true;
            }
            Stmt::Bootp => {
                c.tag(b";")?;
                lease.bootp = true;
            }
            Stmt::Hardware => {
                c.tag(b" ")?;
                let htype = match c.word()? {
                    b"ethernet" => 1,
                    b"token-ring" => 6,
                    b"fddi" => 8,
                    b"infiniband" => 32,
                    _ => return None,
                };
                c.tag(b" ")?;
                let addr = c.hex_list(16)?;
                c.tag(b";")?;
                lease.hardware = Some(HardwareAddr { htype, addr });
            }
            Stmt::Uid => {
                c.tag(b" ")?;
                let (v, exact) = c.string()?;
                if v.is_empty() {
                    return None;
                }
                c.tag(b";")?;
                canonical &= exact;
                lease.uid = Some(v);
            }
            Stmt::Set => {
                c.tag(b" ")?;
                let name = c.word()?;
                // The full reader takes a name token only: not a keyword,
                // not a number.
                if !name[0].is_ascii_alphabetic() || keywords::lookup(name).is_some() {
                    return None;
                }
                let name = name.to_vec();
                c.tag(b" = ")?;
                let value = if c.peek_tag(b"\"") {
                    let (v, exact) = c.string()?;
                    canonical &= exact;
                    BindingValue::Data(v)
                } else if c.peek_tag(b"%") {
                    c.i += 1;
                    BindingValue::Numeric(c.decimal(18)?)
                } else {
                    match c.word()? {
                        b"true" => BindingValue::Boolean(true),
                        b"false" => BindingValue::Boolean(false),
                        _ => return None,
                    }
                };
                c.tag(b";")?;
                if bindings_seen.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                    canonical = false;
                }
                let name_text = String::from_utf8(name.clone()).ok()?;
                lease.set_binding(&name_text, value);
                bindings_seen.push(name);
            }
            Stmt::Hostname => {
                c.tag(b" ")?;
                let (v, exact) = c.string()?;
                c.tag(b";")?;
                // The writer drops a name it could not read back unchanged.
                if !exact || !super::write::db_printable(&v) {
                    return None;
                }
                lease.client_hostname = Some(v);
            }
        }
        c.tag(b"\n")?;
    }
    // ISC's defaults, as the full reader fills them in.
    let binding = binding?;
    lease.binding_state = binding;
    lease.next_binding_state = next.unwrap_or(binding);
    lease.rewind_binding_state = Some(rewind.unwrap_or(binding));
    if !seen_tstp {
        lease.tstp = lease.ends;
        canonical &= lease.ends == 0;
    }
    canonical &= next != Some(binding) && rewind != Some(binding);
    let lines = input[..c.i].iter().filter(|&&b| b == b'\n').count() as u32;
    Some(Scanned { lease, len: c.i, lines, canonical })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stmt {
    /// starts, ends, tstp, tsfp, atsfp, cltt (0..=5)
    Time(u8),
    Binding,
    Next,
    Rewind,
    Reserved,
    Bootp,
    Hardware,
    Uid,
    Set,
    Hostname,
}

/// A statement's place in the writer's order and what it is.
fn statement(word: &[u8]) -> Option<(u8, Stmt)> {
    Some(match word {
        b"starts" => (1, Stmt::Time(0)),
        b"ends" => (2, Stmt::Time(1)),
        b"tstp" => (3, Stmt::Time(2)),
        b"tsfp" => (4, Stmt::Time(3)),
        b"atsfp" => (5, Stmt::Time(4)),
        b"cltt" => (6, Stmt::Time(5)),
        b"binding" => (7, Stmt::Binding),
        b"next" => (8, Stmt::Next),
        b"rewind" => (9, Stmt::Rewind),
        b"reserved" => (10, Stmt::Reserved),
        b"dynamic-bootp" => (11, Stmt::Bootp),
        b"hardware" => (12, Stmt::Hardware),
        b"uid" => (13, Stmt::Uid),
        b"set" => (14, Stmt::Set),
        b"client-hostname" => (15, Stmt::Hostname),
        _ => return None,
    })
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek_tag(&self, t: &[u8]) -> bool {
        self.b.get(self.i..self.i + t.len()) == Some(t)
    }

    fn tag(&mut self, t: &[u8]) -> Option<()> {
        if self.peek_tag(t) {
            self.i += t.len();
            Some(())
        } else {
            None
        }
    }

    fn byte(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// A run of lowercase letters, digits and `-` (a keyword or name).
    fn word(&mut self) -> Option<&[u8]> {
        let start = self.i;
        while let Some(b) = self.byte() {
            if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' {
                self.i += 1;
            } else {
                break;
            }
        }
        (self.i > start && self.i - start <= 64).then(|| &self.b[start..self.i])
    }

    /// Exactly `n` decimal digits.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let s = self.b.get(self.i..self.i + n)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(s.iter().fold(0i64, |v, d| v * 10 + i64::from(d - b'0')))
    }

    /// 1 to `max` decimal digits, no sign.
    fn decimal(&mut self, max: usize) -> Option<i64> {
        let start = self.i;
        while self.byte().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        let s = &self.b[start..self.i];
        (!s.is_empty() && s.len() <= max).then(|| s.iter().fold(0i64, |v, d| v * 10 + i64::from(d - b'0')))
    }

    /// A dotted quad without leading zeros.
    fn ipv4(&mut self) -> Option<Ipv4Addr> {
        let mut o = [0u8; 4];
        for (k, slot) in o.iter_mut().enumerate() {
            if k > 0 {
                self.tag(b".")?;
            }
            let start = self.i;
            let v = self.decimal(3)?;
            if (self.i - start > 1 && self.b[start] == b'0') || v > 255 {
                return None;
            }
            *slot = v as u8;
        }
        Some(Ipv4Addr::from(o))
    }

    /// `xx:xx:...`, lowercase two-digit hex, 1 to `max` bytes.
    fn hex_list(&mut self, max: usize) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(8);
        loop {
            let pair = self.b.get(self.i..self.i + 2)?;
            let hex = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            out.push(hex(pair[0])? << 4 | hex(pair[1])?);
            self.i += 2;
            if out.len() > max {
                return None;
            }
            if !self.peek_tag(b":") {
                return Some(out);
            }
            self.i += 1;
        }
    }

    /// `"..."` with the writer's escapes only (`\"`, `\\`, `\ooo`); returns
    /// the bytes and whether the writer would escape them the same way.
    fn string(&mut self) -> Option<(Vec<u8>, bool)> {
        self.tag(b"\"")?;
        let mut out = Vec::new();
        let mut exact = true;
        loop {
            let b = self.byte()?;
            self.i += 1;
            match b {
                b'"' => return Some((out, exact)),
                b'\\' => {
                    let e = self.byte()?;
                    if e == b'"' || e == b'\\' {
                        self.i += 1;
                        out.push(e);
                    } else {
                        let s = self.b.get(self.i..self.i + 3)?;
                        if !(b'0'..=b'3').contains(&s[0]) || !s[1..].iter().all(|d| (b'0'..=b'7').contains(d)) {
                            return None;
                        }
                        let v = (s[0] - b'0') << 6 | (s[1] - b'0') << 3 | (s[2] - b'0');
                        self.i += 3;
                        // The writer escapes only what is not printable
                        // (and `"`, `\` with a backslash, not in octal).
                        exact &= !(0x20..=0x7e).contains(&v);
                        out.push(v);
                    }
                }
                0x20..=0x7e => out.push(b),
                _ => return None,
            }
            if out.len() > MAX_STRING {
                return None;
            }
        }
    }

    /// `W YYYY/MM/DD HH:MM:SS;` or `never;`: the time ISC computes and
    /// whether the writer would print the same text.
    fn date(&mut self) -> Option<(Time, bool)> {
        if self.peek_tag(b"never;") {
            self.i += 6;
            return Some((NEVER, true));
        }
        let wday = self.digits(1)?;
        self.tag(b" ")?;
        let year = self.digits(4)?;
        self.tag(b"/")?;
        let month = self.digits(2)?;
        self.tag(b"/")?;
        let day = self.digits(2)?;
        self.tag(b" ")?;
        let hour = self.digits(2)?;
        self.tag(b":")?;
        let minute = self.digits(2)?;
        self.tag(b":")?;
        let second = self.digits(2)?;
        self.tag(b";")?;
        let y = if year > 1900 { year - 1900 } else { year };
        if y >= 138 {
            return Some((NEVER, false));
        }
        let t = crate::conf::parse::isc_date_guess(y, month - 1, day, hour, minute, second, 0);
        let c = Civil::from_unix(t);
        let exact = t > 0
            && c.year == year
            && i64::from(c.month) == month
            && i64::from(c.day) == day
            && i64::from(c.hour) == hour
            && i64::from(c.minute) == minute
            && i64::from(c.second) == second
            && i64::from(c.weekday) == wday;
        Some((t, exact))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_block_is_read_back_and_canonical() {
        let text = b"lease 10.0.0.5 {\n  starts 1 2026/11/23 05:30:57;\n  ends 1 2026/11/23 05:31:57;\n  tstp 1 2026/11/23 05:41:27;\n  cltt 1 2026/11/23 05:30:57;\n  binding state active;\n  next binding state expired;\n  hardware ethernet 3a:05:f8:0d:0c:c2;\n  uid \"\\001\\252\\273\";\n  set vendor-class-identifier = \"MSFT 5.0\";\n  client-hostname \"client1\";\n}\nlease";
        let s = scan_lease(text).expect("plain layout");
        assert_eq!(s.len, text.len() - 5);
        assert_eq!(s.lines, 12);
        assert!(s.canonical);
        assert_eq!(s.lease.ip, Ipv4Addr::new(10, 0, 0, 5));
        assert_eq!(s.lease.uid.as_deref(), Some(&[1u8, 0o252, 0o273][..]));
        assert_eq!(s.lease.next_binding_state, BindingState::Expired);
        assert_eq!(s.lease.vendor_class_identifier(), Some(&b"MSFT 5.0"[..]));
    }

    #[test]
    fn anything_else_is_left_to_the_full_reader() {
        for text in [
            &b"lease 10.0.0.5 {\n  binding state active;\n  # comment\n}\n"[..],
            b"lease 10.0.0.5 {\n   binding state active;\n}\n",
            b"lease 10.0.0.5 {\n  binding state active;\n  binding state free;\n}\n",
            b"lease 10.0.0.5 {\n  hardware ethernet 00:11;\n  binding state active;\n}\n",
            b"lease 10.0.0.05 {\n  binding state active;\n}\n",
            b"lease 10.0.0.256 {\n  binding state active;\n}\n",
            b"lease 10.0.0.5 {\n  ends epoch 5;\n  binding state active;\n}\n",
            b"lease 10.0.0.5 {\n  binding state active;\n  uid \"\\xff\";\n}\n",
            b"lease 10.0.0.5 {\n  binding state active;\n  set hardware = \"x\";\n}\n",
            b"lease 10.0.0.5 {\n  binding state active;\n  client-hostname \"\\303\";\n}\n",
            b"lease 10.0.0.5 {\n  ends 4 2026/11/19 08:30:00;\n}\n",
            b"lease 10.0.0.5 {\n  binding state active;\n}",
            b"lease 10.0.0.5 {\n  binding state active;\n  uid \"ab",
        ] {
            assert!(scan_lease(text).is_none(), "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn non_canonical_blocks_are_read_but_not_copied() {
        for text in [
            // Wrong weekday, missing tstp, next equal to the state,
            // an escaped printable byte, a repeated binding.
            &b"lease 10.0.0.5 {\n  ends 0 2026/11/23 05:31:57;\n  tstp 1 2026/11/23 05:31:57;\n  binding state active;\n}\n"[..],
            b"lease 10.0.0.5 {\n  ends 1 2026/11/23 05:31:57;\n  binding state active;\n}\n",
            b"lease 10.0.0.5 {\n  binding state active;\n  next binding state active;\n}\n",
            b"lease 10.0.0.5 {\n  binding state active;\n  uid \"\\101\";\n}\n",
            b"lease 10.0.0.5 {\n  binding state active;\n  set a = %1;\n  set a = %2;\n}\n",
            b"lease 10.0.0.5 {\n  ends 3 2040/01/01 00:00:00;\n  tstp never;\n  binding state active;\n}\n",
        ] {
            let s = scan_lease(text).unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(text)));
            assert!(!s.canonical, "{}", String::from_utf8_lossy(text));
        }
    }
}
