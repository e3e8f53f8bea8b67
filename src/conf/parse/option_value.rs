//! Option values in the option's own syntax, read by walking its ISC
//! format string (ISC `parse_option_data` and `parse_option_token`).
//!
//! The walk works on the raw bytes of the format, exactly as ISC's pointer
//! does, because ISC's quirks live there: `o` is tested on the byte after
//! the current one (after an `E` or `N` atom that is the byte after the
//! closing `.`), an `a` makes the element before it repeat and then goes
//! on, an `A` restarts the whole format, and the four `nwip.illegal-N`
//! options have an empty format that ISC reports as a bad format with its
//! NUL letter cutting the message short.
//!
//! Constant parts are encoded as they go on the wire; host names where an
//! address is expected are kept for resolution when the option is used.

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::parser::{PResult, Parser};
use super::common::AddrOrName;
use super::option::{OptionRef, ValuePart};
use crate::options::enums;
use crate::wire::dnsname::{compress_names, name_to_wire};

/// The byte at `i` of a format, 0 past its end (C's terminating NUL).
fn at(f: &[u8], i: usize) -> u8 {
    f.get(i).copied().unwrap_or(0)
}

impl Parser<'_> {
    /// Reads a value for `option` by walking its format (ISC
    /// `parse_option_data`). `None` when the value was bad (reported).
    pub(crate) fn parse_option_data(&mut self, option: &OptionRef, lookups: bool) -> PResult<Option<Vec<ValuePart>>> {
        let f = option.format.as_bytes();
        let mut parts: Vec<ValuePart> = Vec::new();
        // ISC's `fmt` pointer; `None` before the first element.
        let mut pos: Option<usize> = None;
        let mut uniform = false;
        let mut restart = true;
        loop {
            if restart {
                // A new element of an array (or the first one).
                uniform = false;
            }
            restart = true;
            let mut i = match pos {
                Some(p) if p != 0 && at(f, p) == b'a' => p - 1,
                None => 0,
                Some(p) if at(f, p) == b'A' => 0,
                Some(p) => p,
            };
            if at(f, i) != b'Z' && at(f, i + 1).eq_ignore_ascii_case(&b'a') {
                uniform = true;
            }
            loop {
                let c = at(f, i);
                if c == b'A' || c == b'a' {
                    break;
                }
                // An `o` is stepped over; so is an optional atom when the
                // statement ends here (its `o` is then stepped over next).
                if c == b'o' || (at(f, i + 1) == b'o' && self.peek_token()?.is(b';')) {
                    i += 1;
                } else {
                    let (ok, last) = self.parse_option_token(f, i, uniform, lookups, &mut parts)?;
                    if !ok && at(f, last + 1) != b'o' {
                        return Ok(None);
                    }
                    i = last + 1;
                }
                if at(f, i) == 0 {
                    break;
                }
            }
            pos = Some(i);
            let c = at(f, i);
            if c != b'A' && c != b'a' {
                return Ok(Some(parts));
            }
            if self.peek_token()?.is(b',') {
                self.skip_token()?;
                continue;
            }
            if c == b'A' || at(f, i + 1) == 0 {
                return Ok(Some(parts));
            }
            // An `a` inside the format: carry on after it. ISC jumps back
            // into its loop past the point that clears `uniform`.
            pos = Some(i + 1);
            restart = false;
        }
    }

    /// Reads the value of the format letter at `i` (ISC
    /// `parse_option_token`). Returns whether it was read and the index
    /// of the last format byte it used (`E` and `N` atoms run to their
    /// `.`, `Dc` is two bytes).
    fn parse_option_token(
        &mut self,
        f: &[u8],
        i: usize,
        uniform: bool,
        lookups: bool,
        parts: &mut Vec<ValuePart>,
    ) -> PResult<(bool, usize)> {
        let mut i = i;
        let optional = |i: usize| at(f, i + 1) == b'o';
        match at(f, i) {
            b'U' => {
                let t = self.next_token()?;
                if !t.is_identifier() {
                    if !optional(i) {
                        self.parse_warn("expecting identifier.");
                        if !t.is(b';') {
                            self.skip_to_semi()?;
                        }
                    }
                    return Ok((false, i));
                }
                parts.push(ValuePart::Bytes(self.val_bytes()));
            }
            letter @ (b'E' | b'X') => {
                if letter == b'E' {
                    match f[i..].iter().position(|&c| c == b'.') {
                        Some(d) => i += d,
                        None => {
                            self.parse_warn("malformed encapsulation format (bug!)");
                            self.skip_to_semi()?;
                            return Ok((false, i));
                        }
                    }
                }
                let t = self.peek_token()?;
                if t == Token::NumberOrName || t == Token::Number {
                    match self.parse_cshl()? {
                        Some(b) => parts.push(ValuePart::Bytes(b)),
                        None => return Ok((false, i)),
                    }
                } else if self.next_token()? == Token::String {
                    parts.push(ValuePart::Bytes(self.val_bytes()));
                } else {
                    if !optional(i) {
                        self.parse_warn("expecting string or hexadecimal data.");
                        self.skip_to_semi()?;
                    }
                    return Ok((false, i));
                }
            }
            b'D' => {
                let compress = at(f, i + 1) == b'c';
                if compress {
                    i += 1;
                }
                match self.parse_domain_list(compress)? {
                    Some(b) => parts.push(ValuePart::Bytes(b)),
                    None => {
                        if !optional(i) {
                            self.skip_to_semi()?;
                        }
                        return Ok((false, i));
                    }
                }
            }
            b'd' => match self.parse_domain_name()? {
                Some(w) => parts.push(ValuePart::Bytes(w)),
                None => {
                    self.parse_warn("not a valid domain name.");
                    self.skip_to_semi()?;
                    return Ok((false, i));
                }
            },
            b't' => {
                let t = self.next_token()?;
                if t != Token::String && !t.is_identifier() {
                    if !optional(i) {
                        self.parse_warn("expecting string.");
                        if !t.is(b';') {
                            self.skip_to_semi()?;
                        }
                    }
                    return Ok((false, i));
                }
                parts.push(ValuePart::Bytes(self.val_bytes()));
            }
            b'k' => {
                let bytes = if self.peek_token()? == Token::String {
                    self.next_token()?;
                    self.lex.value_cstr().to_vec()
                } else {
                    match self.parse_host_name()? {
                        Some(n) => n.into_bytes(),
                        None => {
                            self.parse_warn("not a valid key name.");
                            self.skip_to_semi()?;
                            return Ok((false, i));
                        }
                    }
                };
                parts.push(ValuePart::Bytes(bytes));
            }
            b'N' => {
                let Some(d) = f[i..].iter().position(|&c| c == b'.') else {
                    self.parse_warn("malformed enumeration format (bug!)");
                    self.skip_to_semi()?;
                    return Ok((false, i));
                };
                let enum_name = String::from_utf8_lossy(&f[i + 1..i + d]).into_owned();
                i += d;
                if !self.next_token()?.is_identifier() {
                    self.parse_warn("identifier expected");
                    self.skip_to_semi()?;
                    return Ok((false, i));
                }
                let v = String::from_utf8_lossy(self.lex.value_cstr()).into_owned();
                let Some((e, value)) = enums::find(&enum_name).and_then(|e| Some((e, e.value_of(&v)?))) else {
                    self.parse_warn("unknown value");
                    self.skip_to_semi()?;
                    return Ok((false, i));
                };
                // ISC stores enumeration values in one byte and copies
                // `width` bytes from there: the value, then zero padding.
                let mut bytes = vec![0u8; usize::from(e.width)];
                if let Some(first) = bytes.first_mut() {
                    *first = value as u8;
                }
                parts.push(ValuePart::Bytes(bytes));
            }
            b'I' => {
                if lookups {
                    match self.parse_ip_addr_or_hostname()? {
                        None => return Ok((false, i)),
                        Some(AddrOrName::Addr(a)) => parts.push(ValuePart::Bytes(a.octets().to_vec())),
                        Some(AddrOrName::Name(name)) => parts.push(ValuePart::HostLookup { name, first_only: !uniform }),
                    }
                } else {
                    match self.parse_ip_addr()? {
                        None => return Ok((false, i)),
                        Some(a) => parts.push(ValuePart::Bytes(a.octets().to_vec())),
                    }
                }
            }
            b'6' => match self.parse_ip6_addr()? {
                None => return Ok((false, i)),
                Some(a) => parts.push(ValuePart::Bytes(a.octets().to_vec())),
            },
            letter @ (b'T' | b'L' | b'l' | b's' | b'S' | b'b' | b'B') => {
                let t = self.next_token()?;
                if letter == b'T' && t == Token::Kw(K::Infinite) {
                    parts.push(ValuePart::Bytes(vec![0xff; 4]));
                } else {
                    if t != Token::Number && t != Token::NumberOrName {
                        if !optional(i) {
                            self.parse_warn("expecting number.");
                            if !t.is(b';') {
                                self.skip_to_semi()?;
                            }
                        }
                        return Ok((false, i));
                    }
                    let bits = match letter {
                        b's' | b'S' => 16,
                        b'b' | b'B' => 8,
                        _ => 32,
                    };
                    let text = self.lex.value_cstr().to_vec();
                    let b = self.convert_num(&text, 0, bits);
                    parts.push(ValuePart::Bytes(b));
                }
            }
            b'f' => {
                let t = self.next_token()?;
                if !t.is_identifier() {
                    if !optional(i) {
                        self.parse_warn("expecting identifier.");
                        if !t.is(b';') {
                            self.skip_to_semi()?;
                        }
                    }
                    return Ok((false, i));
                }
                let v = self.lex.value_cstr().to_ascii_lowercase();
                let b = match v.as_slice() {
                    b"true" | b"on" => 1,
                    b"false" | b"off" => 0,
                    b"ignore" => 2,
                    _ => {
                        if !optional(i) {
                            self.parse_warn("expecting boolean.");
                            self.skip_to_semi()?;
                        }
                        return Ok((false, i));
                    }
                };
                parts.push(ValuePart::Bytes(vec![b]));
            }
            b'Z' => {
                // ISC complains but goes on as if the value were fine.
                if !self.peek_token()?.is(b';') {
                    self.parse_warn("semicolon expected.");
                    self.skip_to_semi()?;
                }
                parts.push(ValuePart::Bytes(Vec::new()));
            }
            other => {
                // ISC formats the letter with %c: a NUL ends the message.
                let message = if other == 0 {
                    "Bad format '".to_string()
                } else {
                    format!("Bad format '{}' in parse_option_token.", other as char)
                };
                self.parse_warn(message);
                self.skip_to_semi()?;
                return Ok((false, i));
            }
        }
        Ok((true, i))
    }

    /// `"name", "name", ...` as DNS wire names, optionally compressed
    /// (ISC `parse_domain_list`). Reports its own errors; `None` then.
    fn parse_domain_list(&mut self, compress: bool) -> PResult<Option<Vec<u8>>> {
        let mut names: Vec<String> = Vec::new();
        loop {
            if !names.is_empty() {
                self.skip_token()?; // the comma
            }
            if self.next_token()? != Token::String {
                self.parse_warn("Expecting a domain string.");
                return Ok(None);
            }
            let name = String::from_utf8_lossy(self.lex.value_cstr()).into_owned();
            // Each name is encoded as it is read, so an error is reported
            // at that name, not at the end of the list.
            let check = if compress { compress_names(std::slice::from_ref(&name)) } else { name_to_wire(&name) };
            if let Err(e) = check {
                let what = if compress { "compressing" } else { "assembling" };
                self.parse_warn(format!("Error {} domain list: {}", what, e));
                return Ok(None);
            }
            names.push(name);
            if !self.peek_token()?.is(b',') {
                break;
            }
        }
        let encoded = if compress {
            compress_names(&names)
        } else {
            names.iter().try_fold(Vec::new(), |mut acc, n| {
                acc.extend(name_to_wire(n)?);
                Ok(acc)
            })
        };
        match encoded {
            Ok(b) => Ok(Some(b)),
            Err(e) => {
                let what = if compress { "compressing" } else { "assembling" };
                self.parse_warn(format!("Error {} domain list: {}", what, e));
                Ok(None)
            }
        }
    }

    /// An unquoted domain name as DNS wire bytes (ISC
    /// `parse_domain_name`); `None` when there was none or it did not
    /// encode (the latter reported here).
    fn parse_domain_name(&mut self) -> PResult<Option<Vec<u8>>> {
        let Some(name) = self.parse_host_name()? else {
            return Ok(None);
        };
        match name_to_wire(&name) {
            Ok(w) => Ok(Some(w)),
            Err(e) => {
                self.parse_warn(format!("Error assembling domain name: {}", e));
                Ok(None)
            }
        }
    }
}
