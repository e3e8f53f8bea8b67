//! The fast path for lease blocks in the layout ISC (and we) write.
//!
//! Almost every byte of a big `dhcpd.leases` is a lease block exactly as
//! `write_lease` prints it: `lease A.B.C.D {`, then one statement per line
//! indented by two spaces in a fixed order, then `}`. [`scan_block`] reads
//! such a block directly from the bytes, about ten times faster than the
//! ISC-compatible lexer and parser, and gives up (returns `None`) at the
//! first byte that is not in that layout: a comment, an extra space, a
//! statement it does not know, an `on` block, a billing class, an `epoch`
//! date, any byte outside printable ASCII in a string. The caller then reads
//! the block with the full reader, which also produces ISC's messages. So
//! the fast path only ever sees blocks ISC would read without a word, and
//! [`LeaseBlock::lease`] must build the very same [`Lease`] the full reader
//! builds — the tests check that on every fixture and on mutated input.
//!
//! A [`LeaseBlock`] is a view: it borrows the input and keeps strings as
//! they are written, so a caller that needs only the times and states (as
//! `dhcpd -T` for a million leases) takes them without allocating; the
//! lease itself is built only when asked for.
//!
//! It also says whether the block is *canonical*: whether
//! [`write::lease`](super::write::lease) with UTC dates and octal ids would
//! print these exact bytes (correct weekdays, no default filled in, no line
//! the writer would drop). A canonical block can be copied to a rewrite
//! as-is, which is how `dhcpd -T` writes a million leases without
//! rebuilding each one. Pure; never panics.

use std::net::Ipv4Addr;

use super::{BindingState, BindingValue, HardwareAddr, Lease, Time, NEVER};
use crate::conf::keywords;

/// Longest string the fast path takes (ISC's token buffer is 1500 bytes).
const MAX_STRING: usize = 1024;

/// Longest hardware address the fast path takes.
const MAX_HARDWARE: usize = 16;

/// A lease block read by the fast path, borrowed from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseBlock<'a> {
    /// The leased address.
    pub ip: Ipv4Addr,
    /// `starts` (0 = absent).
    pub starts: Time,
    /// `ends` (0 = absent).
    pub ends: Time,
    /// `tstp`, or `ends` when absent (ISC's default).
    pub tstp: Time,
    /// `tsfp` (0 = absent).
    pub tsfp: Time,
    /// `atsfp` (0 = absent).
    pub atsfp: Time,
    /// `cltt` (0 = absent).
    pub cltt: Time,
    /// `binding state`.
    pub binding_state: BindingState,
    /// `next binding state`, or the binding state when absent.
    pub next_binding_state: BindingState,
    /// `rewind binding state`, or the binding state when absent.
    pub rewind_binding_state: BindingState,
    /// `reserved;`
    pub reserved: bool,
    /// `dynamic-bootp;`
    pub bootp: bool,
    /// `hardware TYPE xx:...;`: the type and the address bytes.
    pub hardware: Option<(u8, [u8; MAX_HARDWARE], u8)>,
    /// `uid "...";`, never empty (an empty one is left to the full reader).
    pub uid: Option<Escaped<'a>>,
    /// `set NAME = VALUE;` in file order.
    pub bindings: Vec<(&'a [u8], RawValue<'a>)>,
    /// `client-hostname "...";`, printable and unescaped.
    pub client_hostname: Option<Escaped<'a>>,
    /// Bytes of the block, from `lease` through the newline after `}`.
    pub len: usize,
    /// Newlines in the block (the next record starts this many lines on).
    pub lines: u32,
    /// The writer would print exactly these bytes (UTC dates, octal ids).
    pub canonical: bool,
}

/// The text between a string's quotes, checked: printable ASCII and the
/// writer's escapes only (`\"`, `\\`, `\ooo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escaped<'a>(pub &'a [u8]);

impl Escaped<'_> {
    /// The bytes the string stands for.
    pub fn decode(&self) -> Vec<u8> {
        let s = self.0;
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            if s[i] != b'\\' {
                out.push(s[i]);
                i += 1;
            } else if matches!(s.get(i + 1), Some(b'"' | b'\\')) {
                out.push(s[i + 1]);
                i += 2;
            } else {
                // Checked when read: three octal digits, the first 0-3.
                let d = |k: usize| s.get(i + k).map_or(0, |c| c.wrapping_sub(b'0'));
                out.push(d(1) << 6 | d(2) << 3 | d(3));
                i += 4;
            }
        }
        out
    }
}

/// A binding's value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawValue<'a> {
    /// `"..."`
    Data(Escaped<'a>),
    /// `%N`
    Numeric(i64),
    /// `true` / `false`
    Boolean(bool),
}

impl LeaseBlock<'_> {
    /// The lease, as the full reader builds it from this block.
    pub fn lease(&self) -> Lease {
        let mut lease = Lease::new(self.ip);
        lease.starts = self.starts;
        lease.ends = self.ends;
        lease.tstp = self.tstp;
        lease.tsfp = self.tsfp;
        lease.atsfp = self.atsfp;
        lease.cltt = self.cltt;
        lease.binding_state = self.binding_state;
        lease.next_binding_state = self.next_binding_state;
        lease.rewind_binding_state = Some(self.rewind_binding_state);
        lease.reserved = self.reserved;
        lease.bootp = self.bootp;
        lease.hardware =
            self.hardware.map(|(htype, addr, len)| HardwareAddr { htype, addr: addr[..usize::from(len)].to_vec() });
        lease.uid = self.uid.map(|u| u.decode());
        for (name, value) in &self.bindings {
            let value = match value {
                RawValue::Data(d) => BindingValue::Data(d.decode()),
                RawValue::Numeric(n) => BindingValue::Numeric(*n),
                RawValue::Boolean(b) => BindingValue::Boolean(*b),
            };
            lease.set_binding(&String::from_utf8_lossy(name), value);
        }
        lease.client_hostname = self.client_hostname.map(|h| h.decode());
        lease
    }
}

/// Reads one lease block at the start of `input`, or `None` if it is not
/// in the plain layout. A block without `binding state` is left to the full reader.
pub fn scan_block(input: &[u8]) -> Option<LeaseBlock<'_>> {
    let mut c = Cursor { b: input, i: 0 };
    c.tag(b"lease ")?;
    let ip = c.ipv4()?;
    c.tag(b" {\n")?;
    let mut times = [0 as Time; 6];
    let mut canonical = true;
    // Statements must come in the writer's order; `stage` is the position
    // of the last one seen, so a repeat or a reordering falls back.
    let mut stage = 0u8;
    let mut binding = None;
    let (mut next, mut rewind) = (None, None);
    let (mut reserved, mut bootp) = (false, false);
    let mut seen_tstp = false;
    let mut hardware = None;
    let mut uid = None;
    let mut bindings: Vec<(&[u8], RawValue<'_>)> = Vec::new();
    let mut client_hostname = None;
    // Every statement is one line (strings hold no newline), plus the
    // first and the last.
    let mut lines = 2u32;
    loop {
        if c.peek_tag(b"}\n") {
            c.i += 2;
            break;
        }
        c.tag(b"  ")?;
        let (order, kind) = c.statement()?;
        if order < stage || (order == stage && kind != Stmt::Set) {
            return None;
        }
        stage = order;
        match kind {
            Stmt::Time(field) => {
                c.tag(b" ")?;
                let (t, exact) = c.date()?;
                canonical &= exact && t != 0;
                times[usize::from(field)] = t;
                seen_tstp |= field == 2;
            }
            Stmt::Binding | Stmt::Next | Stmt::Rewind => {
                if kind != Stmt::Binding {
                    c.tag(b" binding")?;
                }
                c.tag(b" state ")?;
                let s = binding_state(c.word()?)?;
                c.tag(b";")?;
                match kind {
                    Stmt::Binding => binding = Some(s),
                    Stmt::Next => next = Some(s),
                    _ => rewind = Some(s),
                }
            }
            Stmt::Reserved => {
                c.tag(b";")?;
                reserved = true;
            }
            Stmt::Bootp => {
                c.tag(b";")?;
                bootp = true;
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
                let (addr, len) = c.hex_list()?;
                c.tag(b";")?;
                hardware = Some((htype, addr, len));
            }
            Stmt::Uid => {
                c.tag(b" ")?;
                let (v, exact) = c.string()?;
                if v.0.is_empty() {
                    return None;
                }
                c.tag(b";")?;
                canonical &= exact;
                uid = Some(v);
            }
            Stmt::Set => {
                c.tag(b" ")?;
                let name = c.word()?;
                // The full reader takes a name token only: not a keyword,
                // not a number.
                if !name[0].is_ascii_alphabetic() || keywords::lookup(name).is_some() {
                    return None;
                }
                c.tag(b" = ")?;
                let value = if c.peek_tag(b"\"") {
                    let (v, exact) = c.string()?;
                    canonical &= exact;
                    RawValue::Data(v)
                } else if c.peek_tag(b"%") {
                    c.i += 1;
                    RawValue::Numeric(c.decimal(18)?)
                } else {
                    match c.word()? {
                        b"true" => RawValue::Boolean(true),
                        b"false" => RawValue::Boolean(false),
                        _ => return None,
                    }
                };
                c.tag(b";")?;
                // A repeated name is written once, with its last value.
                if bindings.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    canonical = false;
                }
                bindings.push((name, value));
            }
            Stmt::Hostname => {
                c.tag(b" ")?;
                let (v, _) = c.string()?;
                c.tag(b";")?;
                // The writer drops a name it could not read back unchanged:
                // any escape stands for a byte it does not print.
                if v.0.contains(&b'\\') {
                    return None;
                }
                client_hostname = Some(v);
            }
        }
        c.tag(b"\n")?;
        lines += 1;
    }
    // ISC's defaults, as the full reader fills them in.
    let binding = binding?;
    let [starts, ends, mut tstp, tsfp, atsfp, cltt] = times;
    if !seen_tstp {
        tstp = ends;
        canonical &= ends == 0;
    }
    canonical &= next != Some(binding) && rewind != Some(binding);
    Some(LeaseBlock {
        ip,
        starts,
        ends,
        tstp,
        tsfp,
        atsfp,
        cltt,
        binding_state: binding,
        next_binding_state: next.unwrap_or(binding),
        rewind_binding_state: rewind.unwrap_or(binding),
        reserved,
        bootp,
        hardware,
        uid,
        bindings,
        client_hostname,
        len: c.i,
        lines,
        canonical,
    })
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

/// The statements of a block: the keyword with the byte that must follow
/// it, the statement's place in the writer's order, and what it is.
const STATEMENTS: [(&[u8], u8, Stmt); 15] = [
    (b"starts ", 1, Stmt::Time(0)),
    (b"ends ", 2, Stmt::Time(1)),
    (b"tstp ", 3, Stmt::Time(2)),
    (b"tsfp ", 4, Stmt::Time(3)),
    (b"atsfp ", 5, Stmt::Time(4)),
    (b"cltt ", 6, Stmt::Time(5)),
    (b"binding ", 7, Stmt::Binding),
    (b"next ", 8, Stmt::Next),
    (b"rewind ", 9, Stmt::Rewind),
    (b"reserved;", 10, Stmt::Reserved),
    (b"dynamic-bootp;", 11, Stmt::Bootp),
    (b"hardware ", 12, Stmt::Hardware),
    (b"uid ", 13, Stmt::Uid),
    (b"set ", 14, Stmt::Set),
    (b"client-hostname ", 15, Stmt::Hostname),
];

/// A binding state by the name the writer gives it.
fn binding_state(word: &[u8]) -> Option<BindingState> {
    BindingState::ALL.into_iter().find(|s| s.file_name().as_bytes() == word)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
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

    /// A statement's keyword, left before the space or `;` after it.
    fn statement(&mut self) -> Option<(u8, Stmt)> {
        let first = self.byte()?;
        let &(keyword, order, kind) = STATEMENTS.iter().find(|(k, _, _)| k[0] == first && self.peek_tag(k))?;
        self.i += keyword.len() - 1;
        Some((order, kind))
    }

    /// A run of lowercase letters, digits and `-` (a keyword or name).
    fn word(&mut self) -> Option<&'a [u8]> {
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

    /// `xx:xx:...`, lowercase two-digit hex, 1 to [`MAX_HARDWARE`] bytes.
    fn hex_list(&mut self) -> Option<([u8; MAX_HARDWARE], u8)> {
        let mut out = [0u8; MAX_HARDWARE];
        let mut n = 0;
        loop {
            let pair = self.b.get(self.i..self.i + 2)?;
            let hex = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            *out.get_mut(n)? = hex(pair[0])? << 4 | hex(pair[1])?;
            n += 1;
            self.i += 2;
            if !self.peek_tag(b":") {
                return Some((out, n as u8));
            }
            self.i += 1;
        }
    }

    /// `"..."` with the writer's escapes only (`\"`, `\\`, `\ooo`), at most
    /// [`MAX_STRING`] bytes once decoded; returns the text between the
    /// quotes and whether the writer would escape it the same way.
    #[inline(always)]
    fn string(&mut self) -> Option<(Escaped<'a>, bool)> {
        self.tag(b"\"")?;
        let start = self.i;
        let mut decoded = 0usize;
        let mut exact = true;
        loop {
            let b = self.byte()?;
            self.i += 1;
            match b {
                b'"' => return Some((Escaped(&self.b[start..self.i - 1]), exact)),
                b'\\' => {
                    let e = self.byte()?;
                    if e == b'"' || e == b'\\' {
                        self.i += 1;
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
                    }
                }
                0x20..=0x7e => {}
                _ => return None,
            }
            decoded += 1;
            if decoded > MAX_STRING {
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
        let s = self.b.get(self.i..self.i + 22)?;
        if [(1, b' '), (6, b'/'), (9, b'/'), (12, b' '), (15, b':'), (18, b':'), (21, b';')]
            .iter()
            .any(|&(k, sep)| s[k] != sep)
        {
            return None;
        }
        let digits = |from: usize, to: usize| {
            s[from..to].iter().try_fold(0i64, |v, &d| d.is_ascii_digit().then(|| v * 10 + i64::from(d - b'0')))
        };
        let wday = digits(0, 1)?;
        let year = digits(2, 6)?;
        let month = digits(7, 9)?;
        let day = digits(10, 12)?;
        let hour = digits(13, 15)?;
        let minute = digits(16, 18)?;
        let second = digits(19, 21)?;
        self.i += 22;
        let y = if year > 1900 { year - 1900 } else { year };
        if y >= 138 {
            return Some((NEVER, false));
        }
        let t = crate::conf::parse::isc_date_guess(y, month - 1, day, hour, minute, second, 0);
        Some((t, printed_as_read(t, wday, year, month, day, hour, minute, second)))
    }
}

/// Whether [`format_time`](super::date::format_time) prints `t` as the
/// fields it was read from: they name a real time after the epoch (ISC's
/// arithmetic is exact for those years), the one `t` is, on its weekday.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn printed_as_read(t: Time, wday: i64, year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> bool {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    t > 0
        && (1970..2038).contains(&year)
        && (1..=12).contains(&month)
        && (1..=month_days).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
        && (t / 86_400 + 4) % 7 == wday
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_block_is_read_back_and_canonical() {
        let text = b"lease 10.0.0.5 {\n  starts 1 2026/11/23 05:30:57;\n  ends 1 2026/11/23 05:31:57;\n  tstp 1 2026/11/23 05:41:27;\n  cltt 1 2026/11/23 05:30:57;\n  binding state active;\n  next binding state expired;\n  hardware ethernet 3a:05:f8:0d:0c:c2;\n  uid \"\\001\\252\\273\";\n  set vendor-class-identifier = \"MSFT 5.0\";\n  client-hostname \"client1\";\n}\nlease";
        let s = scan_block(text).expect("plain layout");
        assert_eq!(s.len, text.len() - 5);
        assert_eq!(s.lines, 12);
        assert!(s.canonical);
        let lease = s.lease();
        assert_eq!(lease.ip, Ipv4Addr::new(10, 0, 0, 5));
        assert_eq!(lease.uid.as_deref(), Some(&[1u8, 0o252, 0o273][..]));
        assert_eq!(lease.next_binding_state, BindingState::Expired);
        assert_eq!(lease.vendor_class_identifier(), Some(&b"MSFT 5.0"[..]));
        assert_eq!(lease.hardware.map(|h| h.addr), Some(vec![0x3a, 0x05, 0xf8, 0x0d, 0x0c, 0xc2]));
    }

    #[test]
    fn strings_are_decoded_as_the_full_reader_decodes_them() {
        let text = b"lease 10.0.0.5 {\n  binding state active;\n  uid \"a\\\"b\\\\c\\000\\377 d\";\n  set x = \"\\001\";\n  set y = %42;\n  set x = false;\n}\n";
        let s = scan_block(text).expect("plain layout");
        let lease = s.lease();
        assert_eq!(lease.uid.as_deref(), Some(&b"a\"b\\c\x00\xff d"[..]));
        assert_eq!(s.bindings[0].1, RawValue::Data(Escaped(b"\\001")));
        // A later binding of the same name replaces the value.
        assert_eq!(lease.bindings.len(), 2);
        assert_eq!(lease.binding("x"), Some(&BindingValue::Boolean(false)));
        assert_eq!(lease.binding("y"), Some(&BindingValue::Numeric(42)));
        assert!(!s.canonical, "a repeated binding is written once");
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
            assert!(scan_block(text).is_none(), "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn a_date_is_exact_when_the_writer_prints_it_back() {
        // Against the writer's own conversion, on every field at and
        // around its limits.
        use crate::lease::date::Civil;
        let mut seen = [0usize; 2];
        for year in [1899, 1900, 1901, 1969, 1970, 1971, 1972, 1999, 2000, 2001, 2024, 2026, 2036, 2037] {
            for month in [0, 1, 2, 3, 4, 11, 12, 13] {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    for (hour, minute, second) in
                        [(0, 0, 0), (0, 0, 1), (23, 59, 59), (24, 0, 0), (12, 60, 0), (1, 2, 60)]
                    {
                        for wday in 0..7 {
                            let y = if year > 1900 { year - 1900 } else { year };
                            let t = crate::conf::parse::isc_date_guess(y, month - 1, day, hour, minute, second, 0);
                            let c = Civil::from_unix(t);
                            let expected = t > 0
                                && (c.year, i64::from(c.month), i64::from(c.day)) == (year, month, day)
                                && (i64::from(c.hour), i64::from(c.minute), i64::from(c.second))
                                    == (hour, minute, second)
                                && i64::from(c.weekday) == wday;
                            let got = printed_as_read(t, wday, year, month, day, hour, minute, second);
                            assert_eq!(got, expected, "{wday} {year}/{month}/{day} {hour}:{minute}:{second}");
                            seen[usize::from(got)] += 1;
                        }
                    }
                }
            }
        }
        assert!(seen[0] > 0 && seen[1] > 0);
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
            let s = scan_block(text).unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(text)));
            assert!(!s.canonical, "{}", String::from_utf8_lossy(text));
        }
    }
}
