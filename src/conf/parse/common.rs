//! Small shared pieces of the grammar: strings, host names, addresses,
//! numbers and numeric aggregates, hardware addresses, lease times, dates,
//! booleans, hex strings and base64.
//!
//! Each mirrors the ISC routine of the same name (in `common/parse.c`): the
//! same tokens accepted, the same message at the same token, the same
//! recovery. `None` means "reported and skipped", as ISC's 0 return.

use std::net::Ipv4Addr;

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::parser::{PResult, Parser};

/// ISC's "never" and the cap for dates from 2038 on.
pub const MAX_TIME: i64 = 0x7fff_ffff;

/// An address written either as a dotted quad or as a host name to resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrOrName {
    /// A literal IPv4 address.
    Addr(Ipv4Addr),
    /// A DNS name, looked up when the configuration is used.
    Name(String),
}

/// A `hardware TYPE ADDR` value: the ARP hardware type and the address bytes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Hardware {
    /// ARP hardware type (1 ethernet, 6 token-ring, 8 fddi, 32 infiniband).
    pub htype: u8,
    /// The address bytes (may be empty: `hardware ethernet;`).
    pub addr: Vec<u8>,
}

/// ISC's hardware buffer holds the type byte plus up to 20 address bytes.
const HARDWARE_MAX: usize = 20;

impl Parser<'_> {
    /// `STRING ;` (ISC `parse_string`).
    pub(crate) fn parse_string(&mut self) -> PResult<Option<Vec<u8>>> {
        if self.next_token()? != Token::String {
            self.parse_warn("expecting a string");
            self.skip_to_semi()?;
            return Ok(None);
        }
        let s = self.val_bytes();
        if !self.parse_semi()? {
            return Ok(None);
        }
        Ok(Some(s))
    }

    /// A dotted host name made of identifiers and numbers, with an optional
    /// trailing dot (ISC `parse_host_name`). `None` if no name was there.
    pub(crate) fn parse_host_name(&mut self) -> PResult<Option<String>> {
        // The labels joined by dots, and a dot after the last one if one
        // followed it.
        let mut name = String::new();
        let mut labels = 0usize;
        let mut trailing_dot = false;
        loop {
            let t = self.peek_token()?;
            if !t.is_identifier() && t != Token::Number {
                break;
            }
            self.skip_token()?;
            if labels > 0 {
                name.push('.');
            }
            labels += 1;
            name.push_str(&String::from_utf8_lossy(self.lex.value_cstr()));
            if self.peek_token()?.is(b'.') {
                self.next_token()?;
                trailing_dot = true;
            } else {
                trailing_dot = false;
                break;
            }
        }
        if labels == 0 {
            return Ok(None);
        }
        if trailing_dot {
            name.push('.');
        }
        Ok(Some(name))
    }

    /// A dotted-quad address or a host name (ISC `parse_ip_addr_or_hostname`).
    pub(crate) fn parse_ip_addr_or_hostname(&mut self) -> PResult<Option<AddrOrName>> {
        let t = self.peek_token()?;
        if t == Token::Number {
            // A host name may be all digits; look ahead for `N . N` to decide.
            let saved = self.lex.snapshot();
            self.skip_token()?;
            let is_addr = self.next_token()?.is(b'.') && self.next_token()? == Token::Number;
            self.lex.restore(saved);
            if is_addr {
                if let Some(a) = self.parse_ip_addr()? {
                    return Ok(Some(AddrOrName::Addr(a)));
                }
            }
        }
        // ISC tests the token it peeked first, even after a failed address.
        if t.is_identifier() || t == Token::Number {
            return Ok(self.parse_host_name()?.map(AddrOrName::Name));
        }
        let mut t = t;
        if !t.is(b'}') && !t.is(b'{') {
            t = self.next_token()?;
        }
        let code = token_code(t);
        let v = String::from_utf8_lossy(self.lex.value_cstr()).into_owned();
        self.parse_warn(format!("{} ({}): expecting IP address or hostname", v, code));
        if !t.is(b';') {
            self.skip_to_semi()?;
        }
        Ok(None)
    }

    /// A dotted-quad IPv4 address (ISC `parse_ip_addr`).
    pub(crate) fn parse_ip_addr(&mut self) -> PResult<Option<Ipv4Addr>> {
        // Four bytes: gather them in the parser's scratch buffer rather
        // than a new vector per address.
        let mut b = std::mem::take(&mut self.scratch);
        b.clear();
        let ok = self.parse_numeric_aggregate_into(4, Some(b'.'), 10, 8, &mut b)?;
        let addr = if ok { Some(ipv4_padded(&b)) } else { None };
        self.scratch = b;
        Ok(addr)
    }

    /// An IPv6 address gathered from raw tokens and checked like
    /// `inet_pton` (ISC `parse_ip6_addr`).
    pub(crate) fn parse_ip6_addr(&mut self) -> PResult<Option<std::net::Ipv6Addr>> {
        let mut t = self.peek_token()?;
        let mut text = String::new();
        loop {
            let v = self.lex.value_cstr().to_vec();
            let hexish = (t == Token::Name || t == Token::NumberOrName) && v.iter().all(|c| c.is_ascii_hexdigit());
            if hexish || t == Token::Number || t == Token::Kw(K::Add) || t.is(b'.') || t.is(b':') {
                self.next_raw_token()?;
                let v = self.lex.value_cstr().to_vec();
                if text.len() + v.len() >= 46 {
                    self.parse_warn("Invalid IPv6 address.");
                    self.skip_to_semi()?;
                    return Ok(None);
                }
                text.push_str(&String::from_utf8_lossy(&v));
            } else {
                break;
            }
            t = self.peek_raw_token()?;
        }
        match text.parse::<std::net::Ipv6Addr>() {
            Ok(a) => Ok(Some(a)),
            Err(_) => {
                self.parse_warn("Invalid IPv6 address.");
                self.skip_to_semi()?;
                Ok(None)
            }
        }
    }

    /// Numbers separated by `separator` (ISC `parse_numeric_aggregate`).
    ///
    /// `max` numbers are required (0: as many as there are). Each number
    /// is converted to `size` bits in `base`; the bytes are returned in
    /// network order. `None` after reporting a problem.
    pub(crate) fn parse_numeric_aggregate(
        &mut self,
        max: usize,
        separator: Option<u8>,
        base: u32,
        size: u32,
    ) -> PResult<Option<Vec<u8>>> {
        let mut out = Vec::new();
        Ok(if self.parse_numeric_aggregate_into(max, separator, base, size, &mut out)? { Some(out) } else { None })
    }

    /// [`Parser::parse_numeric_aggregate`] appending to `out`; false after
    /// reporting a problem.
    pub(crate) fn parse_numeric_aggregate_into(
        &mut self,
        max: usize,
        separator: Option<u8>,
        base: u32,
        size: u32,
        out: &mut Vec<u8>,
    ) -> PResult<bool> {
        let start = out.len();
        let mut count = 0usize;
        loop {
            if count > 0 {
                let t = self.peek_token()?;
                let is_sep = match separator {
                    Some(c) => t.is(c),
                    None => false,
                };
                if !is_sep {
                    if max == 0 {
                        break;
                    }
                    let mut t = t;
                    if !t.is(b'}') && !t.is(b'{') {
                        t = self.next_token()?;
                    }
                    self.parse_warn("too few numbers.");
                    if !t.is(b';') {
                        self.skip_to_semi()?;
                    }
                    return Ok(false);
                }
                self.skip_token()?;
            }
            let t = self.next_token()?;
            if t == Token::Eof {
                self.parse_warn("unexpected end of file");
                // With no fixed count and nothing read, ISC has no buffer
                // to return: the caller sees a failure.
                if max == 0 && out.len() == start {
                    return Ok(false);
                }
                break;
            }
            if t != Token::Number && (base != 16 || t != Token::NumberOrName) {
                self.parse_warn("expecting numeric value.");
                self.skip_to_semi()?;
                return Ok(false);
            }
            match plain_number(self.lex.value_cstr(), base, size) {
                // Fixed-size appends: a slice of computed length would cost
                // a memcpy call per number.
                Some(v) => match size {
                    8 => out.push(v as u8),
                    16 => out.extend_from_slice(&(v as u16).to_be_bytes()),
                    _ => out.extend_from_slice(&v.to_be_bytes()),
                },
                None => {
                    let text = self.lex.value_cstr().to_vec();
                    self.convert_num_into(&text, base, size, out);
                }
            }
            count += 1;
            if count == max {
                break;
            }
        }
        // A fixed count cut short by end of file returns the numbers read
        // so far: ISC hands back its caller's buffer with the rest left as
        // it was, which only the caller knows (see `ipv4_padded`).
        Ok(true)
    }

    /// Converts a number token to `size` bits in network order, warning as
    /// ISC's `convert_num` does (`Bogus number`, `exceeds max`). `base` 0
    /// guesses from a `0x` or `0` prefix.
    pub(crate) fn convert_num(&mut self, text: &[u8], base: u32, size: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(4);
        self.convert_num_into(text, base, size, &mut out);
        out
    }

    /// [`Parser::convert_num`] appending to `out`, without allocating on
    /// the common path (the hot loop of hardware and IP addresses).
    pub(crate) fn convert_num_into(&mut self, text: &[u8], base: u32, size: u32, out: &mut Vec<u8>) {
        let shown = || String::from_utf8_lossy(text).into_owned();
        let mut s = text;
        let negative = s.first() == Some(&b'-');
        if negative {
            s = &s[1..];
        }
        let mut base = base;
        if base == 0 {
            if s.first() == Some(&b'0') {
                if s.get(1) == Some(&b'x') {
                    base = 16;
                    s = &s[2..];
                } else if s.get(1).is_some_and(|c| c.is_ascii_digit()) {
                    base = 8;
                    s = &s[1..];
                } else {
                    base = 10;
                }
            } else {
                base = 10;
            }
        }
        let mut val: u32 = 0;
        let mut i = 0usize;
        loop {
            // ISC reads at least one character, the NUL of an empty string included.
            let c = s.get(i).copied().unwrap_or(0) as u32;
            i += 1;
            let digit = if c >= b'a' as u32 {
                c - b'a' as u32 + 10
            } else if c >= b'A' as u32 {
                c - b'A' as u32 + 10
            } else if c >= b'0' as u32 {
                c - b'0' as u32
            } else {
                self.parse_warn(format!("Bogus number: {}.", shown()));
                break;
            };
            if digit >= base {
                self.parse_warn(format!("Bogus number {}: digit {} not in base {}", shown(), digit, base));
                break;
            }
            val = val.wrapping_mul(base).wrapping_add(digit);
            if i >= s.len() {
                break;
            }
        }
        // ISC computes the limit in a C int; for 32 bits it wraps so that
        // nothing exceeds it unless negative.
        let max: i64 = match (size, negative) {
            (8, false) => 255,
            (8, true) => 128,
            (16, false) => 65535,
            (16, true) => 32768,
            (32, false) => -1,
            (32, true) => i32::MIN as i64,
            _ => i64::MAX,
        };
        let max_unsigned = max as u32;
        if (val as u64) > (max_unsigned as u64) && size <= 32 {
            let sign = if negative { "-" } else { "" };
            let shown_val = match base {
                8 => format!("{:o}", val),
                16 => format!("{:x}", val),
                _ => format!("{}", val),
            };
            let max_c = max as i32;
            self.parse_warn(format!("{}{} exceeds max ({}) for precision.", sign, shown_val, max_c));
        }
        let v = if negative { val.wrapping_neg() } else { val };
        match size {
            8 => out.push(v as u8),
            16 => out.extend_from_slice(&(v as u16).to_be_bytes()),
            32 => out.extend_from_slice(&v.to_be_bytes()),
            _ => self.parse_warn(format!("Unexpected integer size: {}\n", size)),
        }
    }

    /// `hardware TYPE [ADDR] ;` after the `hardware` keyword (ISC
    /// `parse_hardware_param`). `None` when the type was not recognised.
    pub(crate) fn parse_hardware_param(&mut self) -> PResult<Option<Hardware>> {
        let t = self.next_token()?;
        let htype = match t {
            Token::Kw(K::Ethernet) => 1,
            Token::Kw(K::Ring) => 6,
            Token::Kw(K::Fddi) => 8,
            Token::Kw(K::Infiniband) => 32,
            _ => {
                let v = self.lex.value_cstr().to_vec();
                if v.starts_with(b"unknown-") {
                    atoi(&v[8..]) as u8
                } else {
                    self.parse_warn("expecting a network hardware type");
                    self.skip_to_semi()?;
                    return Ok(None);
                }
            }
        };
        let mut hw = Hardware { htype, addr: Vec::new() };
        if !self.peek_token()?.is(b';') {
            match self.parse_numeric_aggregate(0, Some(b':'), 16, 8)? {
                None => return Ok(Some(hw)),
                Some(bytes) => {
                    if bytes.len() + 1 > HARDWARE_MAX + 1 {
                        self.parse_warn("hardware address too long");
                    } else {
                        hw.addr = bytes;
                    }
                }
            }
        }
        if !self.next_token()?.is(b';') {
            self.parse_warn("expecting semicolon.");
            self.skip_to_semi()?;
        }
        Ok(Some(hw))
    }

    /// A date without its `;` (ISC `parse_date_core`): `never`,
    /// `epoch N`, or `W YYYY/MM/DD HH:MM:SS [TZOFF]`. Returns seconds since
    /// the epoch, [`MAX_TIME`] for `never` and years from 2038, and 0 after
    /// reporting a malformed date.
    pub(crate) fn parse_date_core(&mut self) -> PResult<i64> {
        let t = self.peek_token()?;
        if t == Token::Kw(K::Never) {
            self.skip_token()?;
            return Ok(MAX_TIME);
        }
        if t == Token::Kw(K::Epoch) {
            self.skip_token()?;
            if self.peek_token()? != Token::Number {
                return self.date_error("Seconds since epoch expected.");
            }
            self.skip_token()?;
            return Ok(atoi(self.lex.value_cstr()) as i32 as i64);
        }
        let fields: [(Option<u8>, &str); 7] = [
            (None, "numeric day of week expected."),
            (None, "numeric year expected."),
            (Some(b'/'), "expected slash separating year from month."),
            (None, "numeric month expected."),
            (Some(b'/'), "expected slash separating month from day."),
            (None, "numeric day of month expected."),
            (None, "numeric hour expected."),
        ];
        let mut nums = [0i64; 7];
        let mut n = 0usize;
        for (sep, msg) in fields {
            if let Some(c) = sep {
                if !self.peek_token()?.is(c) {
                    return self.date_error(msg);
                }
                self.skip_token()?;
                continue;
            }
            if self.peek_token()? != Token::Number {
                return self.date_error(msg);
            }
            self.skip_token()?;
            nums[n] = atoi(self.lex.value_cstr());
            n += 1;
        }
        let rest: [(Option<u8>, &str); 4] = [
            (Some(b':'), "expected colon separating hour from minute."),
            (None, "numeric minute expected."),
            (Some(b':'), "expected colon separating minute from second."),
            (None, "numeric second expected."),
        ];
        for (sep, msg) in rest {
            if let Some(c) = sep {
                if !self.peek_token()?.is(c) {
                    return self.date_error(msg);
                }
                self.skip_token()?;
                continue;
            }
            if self.peek_token()? != Token::Number {
                return self.date_error(msg);
            }
            self.skip_token()?;
            nums[n] = atoi(self.lex.value_cstr());
            n += 1;
        }
        let mut tzoff = 0i64;
        let t = self.peek_token()?;
        if t == Token::Number {
            self.skip_token()?;
            tzoff = atoi(self.lex.value_cstr());
        } else if !t.is(b';') {
            self.skip_token()?;
            self.parse_warn("Time zone offset or semicolon expected.");
            return Ok(0);
        }
        let (mut year, mon, mday, hour, min, sec) = (nums[1], nums[2] - 1, nums[3], nums[4], nums[5], nums[6]);
        if year > 1900 {
            year -= 1900;
        }
        if year >= 138 {
            return Ok(MAX_TIME);
        }
        Ok(isc_date_guess(year, mon, mday, hour, min, sec, tzoff))
    }

    fn date_error(&mut self, msg: &str) -> PResult<i64> {
        if !self.peek_token()?.is(b';') {
            self.skip_token()?;
        }
        self.parse_warn(msg);
        Ok(0)
    }

    /// A date followed by `;` (ISC `parse_date`).
    pub(crate) fn parse_date(&mut self) -> PResult<i64> {
        let t = self.parse_date_core()?;
        if !self.parse_semi()? {
            return Ok(0);
        }
        Ok(t)
    }

    /// Colon-separated hex bytes `aa:bb:...` (ISC `parse_cshl`).
    pub(crate) fn parse_cshl(&mut self) -> PResult<Option<Vec<u8>>> {
        let mut out = Vec::new();
        loop {
            let t = self.next_token()?;
            if t != Token::Number && t != Token::NumberOrName {
                self.parse_warn("expecting hexadecimal number.");
                self.skip_to_semi()?;
                return Ok(None);
            }
            match plain_number(self.lex.value_cstr(), 16, 8) {
                Some(v) => out.push(v as u8),
                None => {
                    let text = self.lex.value_cstr().to_vec();
                    self.convert_num_into(&text, 16, 8, &mut out);
                }
            }
            if !self.peek_token()?.is(b':') {
                break;
            }
            self.skip_token()?;
        }
        Ok(Some(out))
    }

    /// Base64 text that the lexer may have split into several tokens
    /// (ISC `parse_base64`). `None` when empty or invalid (reported).
    pub(crate) fn parse_base64(&mut self) -> PResult<Option<Vec<u8>>> {
        let mut pieces: Vec<Vec<u8>> = Vec::new();
        loop {
            if self.next_token()? == Token::Eof {
                // ISC loops forever here; we stop.
                break;
            }
            pieces.push(self.lex.value_cstr().to_vec());
            let t = self.peek_token()?;
            let v = self.lex.value_cstr();
            let valid = t != Token::Eof && v.iter().all(|&c| c == b'=' || base64_value(c).is_some());
            if !valid {
                break;
            }
        }
        let mut out = Vec::new();
        let mut acc: u32 = 0;
        let mut k = 0usize;
        let mut terminated = false;
        for piece in &pieces {
            for (i, &c) in piece.iter().enumerate() {
                if terminated && c != b'=' {
                    let rest = String::from_utf8_lossy(&piece[i..]).into_owned();
                    self.parse_warn(format!("stuff after base64 '=' terminator: {}.", rest));
                    return Ok(None);
                }
                if c == b'=' {
                    terminated = true;
                } else {
                    let Some(v) = base64_value(c) else {
                        self.parse_warn(format!("invalid base64 character {}.", c as i8));
                        return Ok(None);
                    };
                    acc = (acc << 6) + v;
                    match k % 4 {
                        1 => {
                            out.push((acc >> 4) as u8);
                            acc &= 0x0f;
                        }
                        2 => {
                            out.push((acc >> 2) as u8);
                            acc &= 0x03;
                        }
                        3 => {
                            out.push(acc as u8);
                            acc = 0;
                        }
                        _ => {}
                    }
                }
                k += 1;
            }
        }
        if k % 4 != 0 && acc != 0 {
            self.parse_warn(format!("partial base64 value left over: {}.", acc));
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }
}

/// An address from up to four bytes; bytes an end of file left unread are
/// zero (ISC leaves its fresh stack buffer as it was).
fn ipv4_padded(b: &[u8]) -> Ipv4Addr {
    if let [a, b, c, d, ..] = *b {
        return Ipv4Addr::new(a, b, c, d);
    }
    let mut a = [0u8; 4];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    Ipv4Addr::from(a)
}

/// The value of a base64 digit, `None` for anything else.
fn base64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some((c - b'A') as u32),
        b'a'..=b'z' => Some((c - b'a') as u32 + 26),
        b'0'..=b'9' => Some((c - b'0') as u32 + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// The value of `text` in `base` when [`Parser::convert_num`] would take it
/// without a word: unsigned digits of that base only, fitting `size` bits
/// (8, 16 or 32). `None` for anything else, which goes the long way.
#[inline]
fn plain_number(text: &[u8], base: u32, size: u32) -> Option<u32> {
    // Eight digits cannot wrap a u32 in base 10 or 16.
    if text.is_empty() || text.len() > 8 || !(base == 10 || base == 16) {
        return None;
    }
    let mut v: u32 = 0;
    for &c in text {
        let d = (c as char).to_digit(base)?;
        v = v * base + d;
    }
    let fits = match size {
        8 => v <= 0xff,
        16 => v <= 0xffff,
        32 => true,
        _ => false,
    };
    fits.then_some(v)
}

/// C `atoi` as glibc implements it (`strtol` cut to an `int`): optional
/// sign and leading digits, 0 if none; the long saturates before the cut.
pub(crate) fn atoi(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        neg = s[i] == b'-';
        i += 1;
    }
    let mut v: i64 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        match v.checked_mul(10).and_then(|x| x.checked_add((s[i] - b'0') as i64)) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    let long = match (overflow, neg) {
        (true, false) => i64::MAX,
        (true, true) => i64::MIN,
        (false, true) => -v,
        (false, false) => v,
    };
    long as i32 as i64
}

/// ISC's own arithmetic for a broken-down UTC date (it does not call the C
/// library), including its leap-year shortcut, so dates read back to the
/// same second ISC computes.
#[inline(always)]
pub(crate) fn isc_date_guess(year: i64, mon: i64, mday: i64, hour: i64, min: i64, sec: i64, tzoff: i64) -> i64 {
    const MONTHS: [i64; 11] = [31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let month_days = if mon > 0 { MONTHS.get((mon - 1) as usize).copied().unwrap_or(0) } else { 0 };
    let leap = i64::from(mon > 1 && ((year - 72) & 3) == 0);
    let days = 365 * (year - 70) + (year - 69) / 4 + month_days + leap + mday - 1;
    let v = ((days * 24 + hour) * 60 + min) * 60 + sec + tzoff;
    // ISC stores the guess in an int before widening.
    v as i32 as i64
}

/// ISC's numeric code for a token (`enum dhcp_token`), which one of its
/// messages prints.
fn token_code(t: Token) -> i32 {
    match t {
        Token::Punct(c) => c as i8 as i32,
        Token::String => 262,
        Token::Number => 263,
        Token::NumberOrName => 264,
        Token::Name => 265,
        Token::Eof => 607,
        Token::Whitespace => 652,
        Token::Kw(k) => k.isc_code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::parser::MemLoader;
    use std::rc::Rc;

    fn parser_over<'a>(src: &str, loader: &'a MemLoader) -> Parser<'a> {
        Parser::new("t.conf", Rc::from(src.as_bytes()), loader)
    }

    #[test]
    fn dates_match_isc_arithmetic() {
        let l = MemLoader(vec![]);
        let mut p = parser_over("4 2026/11/19 08:30:00;", &l);
        assert_eq!(p.parse_date().unwrap(), 1_795_077_000);
        let mut p = parser_over("epoch 1700000000;", &l);
        assert_eq!(p.parse_date().unwrap(), 1_700_000_000);
        let mut p = parser_over("never;", &l);
        assert_eq!(p.parse_date().unwrap(), MAX_TIME);
        let mut p = parser_over("1 2040/01/01 00:00:00;", &l);
        assert_eq!(p.parse_date().unwrap(), MAX_TIME);
        let mut p = parser_over("1 2000/03/01 00:00:00;", &l);
        assert_eq!(p.parse_date().unwrap(), 951_868_800);
    }

    #[test]
    fn numeric_aggregates_and_hardware() {
        let l = MemLoader(vec![]);
        let mut p = parser_over("10.1.2.3", &l);
        assert_eq!(p.parse_ip_addr().unwrap(), Some(Ipv4Addr::new(10, 1, 2, 3)));
        let mut p = parser_over("ethernet 00:1a:2b:3c:4d:5e;", &l);
        let hw = p.parse_hardware_param().unwrap().unwrap();
        assert_eq!(hw.htype, 1);
        assert_eq!(hw.addr, vec![0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]);
        let mut p = parser_over("10.1.2;", &l);
        assert_eq!(p.parse_ip_addr().unwrap(), None);
        assert_eq!(p.diagnostics[0].message, "too few numbers.");
        // End of file inside an address: reported, and the address padded.
        let mut p = parser_over("address 10.1.2.", &l);
        p.next_token().unwrap();
        assert_eq!(p.parse_ip_addr_or_hostname().unwrap(), Some(AddrOrName::Addr(Ipv4Addr::new(10, 1, 2, 0))));
        assert_eq!(p.diagnostics[0].message, "unexpected end of file");
    }

    #[test]
    fn convert_num_warns_like_isc() {
        let l = MemLoader(vec![]);
        let mut p = parser_over("", &l);
        assert_eq!(p.convert_num(b"300", 10, 8), vec![44]);
        assert_eq!(p.diagnostics[0].message, "300 exceeds max (255) for precision.");
        assert_eq!(p.convert_num(b"1g", 16, 8), vec![1]);
        assert_eq!(p.diagnostics[1].message, "Bogus number 1g: digit 16 not in base 16");
        assert_eq!(p.convert_num(b"0x1f", 0, 8), vec![0x1f]);
        assert_eq!(p.convert_num(b"4294967295", 10, 32), vec![255; 4]);
        assert_eq!(p.diagnostics.len(), 2);
    }

    #[test]
    fn host_names_and_base64() {
        let l = MemLoader(vec![]);
        let mut p = parser_over("ns1.example.com.;", &l);
        assert_eq!(p.parse_ip_addr_or_hostname().unwrap(), Some(AddrOrName::Name("ns1.example.com.".into())));
        let mut p = parser_over("192.0.2.1;", &l);
        assert_eq!(p.parse_ip_addr_or_hostname().unwrap(), Some(AddrOrName::Addr(Ipv4Addr::new(192, 0, 2, 1))));
        let mut p = parser_over("c2VjcmV0;", &l);
        assert_eq!(p.parse_base64().unwrap(), Some(b"secret".to_vec()));
        assert_eq!(atoi(b"18446744073709551716"), -1);
        assert_eq!(atoi(b"4294967396"), 100);
        assert_eq!(atoi(b" -12x"), -12);
    }
}
