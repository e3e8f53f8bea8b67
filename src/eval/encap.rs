//! Packing the options of a space into one option's data, as ISC's
//! `option_space_encapsulate` and the `encapsulate` functions of its
//! spaces do.
//!
//! Ordinary spaces are code/length/data records in storage order (see
//! `state.rs`), with the space's widths; an option whose format starts with
//! `e` gets the encapsulation of the space its `E` names appended to its
//! own value. Two spaces are special: `nwip` (option 63) always says
//! whether it has data — suboption 2 in front when it does, suboption 1
//! alone when it does not — and `fqdn` (option 81) is not records at all
//! but the flags, two rcodes and the name packed as RFC 4702 lays them out.
//!
//! Not done: ISC also appends the spaces encapsulated *inside* a space that
//! were configured without their parent option (`search_subencapsulation`);
//! the reply builder, which knows the whole option universe, should.

use super::expr::{Evaluator, Opts};
use super::state::OptionState;
use crate::options::table::SPACES;
use crate::options::SpaceEncoding;

/// Code and length widths of a space; user spaces are taken from
/// [`Evaluator::user_spaces`], then ISC's defaults (one byte each).
fn widths(ev: &Evaluator<'_, '_>, space: &str) -> (usize, usize, SpaceEncoding) {
    if let Some(s) = SPACES.iter().find(|s| s.name.eq_ignore_ascii_case(space)) {
        return (s.code_width.bytes(), s.length_width.bytes(), s.encoding);
    }
    match ev
        .user_spaces
        .iter()
        .rev()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(space))
    {
        Some((_, c, l)) => (*c as usize, *l as usize, SpaceEncoding::Tlv),
        None => (1, 1, SpaceEncoding::Tlv),
    }
}

/// Appends one record (ISC `append_option`): nothing for an empty value
/// unless the format is zero-length. The length field is cut to its width
/// as ISC's `putUChar`/`putUShort` cut it.
fn append_record(
    out: &mut Vec<u8>,
    code_w: usize,
    len_w: usize,
    code: u32,
    format: &str,
    data: &[u8],
) -> bool {
    if data.is_empty() && !format.starts_with('Z') {
        return false;
    }
    out.extend_from_slice(&code.to_be_bytes()[4 - code_w..]);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes()[4 - len_w..]);
    out.extend_from_slice(data);
    true
}

/// The space named by an `E<space>.` atom inside a format.
fn encapsulated_space(format: &str) -> Option<&str> {
    let start = format.find('E')? + 1;
    let end = format[start..].find('.')? + start;
    (end > start).then(|| &format[start..end])
}

impl<'e, 'c> Evaluator<'e, 'c> {
    /// The options of `space` in `state`, packed; `None` when none has a
    /// value (ISC's encapsulate functions return 0).
    pub fn encapsulate_space(
        &mut self,
        o: Opts<'_, 'c>,
        state: &OptionState<'c>,
        space: &str,
    ) -> Option<Vec<u8>> {
        let (code_w, len_w, encoding) = widths(self, space);
        if encoding == SpaceEncoding::Fqdn {
            return self.encapsulate_fqdn(o, state);
        }
        let mut out = Vec::new();
        let mut any = false;
        let caches = state
            .space_id(space)
            .map(|id| state.space(id))
            .unwrap_or_default();
        for cache in caches {
            let Some(mut value) = self.nested(|ev| ev.option_cache(o, cache)) else {
                continue;
            };
            if cache.option.format.starts_with('e') {
                if let Some(sub) = encapsulated_space(&cache.option.format) {
                    if let Some(inner) = self.nested(|ev| ev.encapsulate_space(o, state, sub)) {
                        value.extend_from_slice(&inner);
                    }
                }
            }
            any |= append_record(
                &mut out,
                code_w,
                len_w,
                cache.option.code,
                &cache.option.format,
                &value,
            );
        }
        if encoding == SpaceEncoding::Nwip {
            if any {
                // "nwip-exists-in-option-area" first.
                out.splice(0..0, [2, 0]);
            } else {
                // "nwip-exists-but-no-data" stands in for everything.
                return Some(vec![1, 0]);
            }
        }
        any.then_some(out)
    }

    /// ISC `fqdn_option_space_encapsulate`: flags, rcode1, rcode2, name.
    fn encapsulate_fqdn(&mut self, o: Opts<'_, 'c>, state: &OptionState<'c>) -> Option<Vec<u8>> {
        // Suboption codes of ISC's fqdn space.
        const NO_CLIENT_UPDATE: u32 = 1;
        const SERVER_UPDATE: u32 = 2;
        const ENCODED: u32 = 3;
        const RCODE1: u32 = 4;
        const RCODE2: u32 = 5;
        const FQDN: u32 = 7;
        let caches = state.space(crate::options::SpaceId::FQDN);
        if caches.is_empty() {
            return None;
        }
        let mut values: [Vec<u8>; 8] = Default::default();
        for cache in caches {
            let code = cache.option.code as usize;
            if code < values.len() {
                values[code] = self
                    .nested(|ev| ev.option_cache(o, cache))
                    .unwrap_or_default();
            }
        }
        let first = |c: u32| values[c as usize].first().copied();
        let mut out = vec![0u8; 3];
        if first(NO_CLIENT_UPDATE).is_some_and(|b| b != 0) {
            out[0] |= 2;
        }
        if first(SERVER_UPDATE).is_some_and(|b| b != 0) {
            out[0] |= 1;
        }
        out[1] = first(RCODE1).unwrap_or(0);
        out[2] = first(RCODE2).unwrap_or(0);
        let name = &values[FQDN as usize];
        if first(ENCODED).is_some_and(|b| b != 0) {
            out[0] |= 4;
            if !name.is_empty() {
                out.extend_from_slice(&fqdn_encode(name)?);
            }
        } else {
            out.extend_from_slice(name);
        }
        Some(out)
    }
}

/// ISC `fqdn_encode`: dotted text to labels, stopping at the first empty
/// label (a trailing dot) or NUL, always ending with the root label.
fn fqdn_encode(text: &[u8]) -> Option<Vec<u8>> {
    let cap = text.len() + 2;
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let mut j = i;
        while j < text.len() && text[j] != b'.' && text[j] != 0 {
            j += 1;
        }
        let len = j - i;
        if out.len() + 1 + len > cap || len > 255 {
            return None;
        }
        out.push(len as u8);
        if len == 0 {
            return Some(out);
        }
        out.extend_from_slice(&text[i..j]);
        i = j + 1;
    }
    out.push(0);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_use_the_space_widths() {
        let mut out = Vec::new();
        assert!(append_record(&mut out, 2, 2, 0x0102, "X", b"ab"));
        assert_eq!(out, vec![1, 2, 0, 2, b'a', b'b']);
        assert!(!append_record(&mut out, 1, 1, 5, "X", b""));
        assert!(append_record(&mut out, 1, 1, 5, "Z", b""));
        assert_eq!(&out[6..], &[5, 0]);
        // A value longer than the length field keeps its bytes; the length wraps.
        let mut big = Vec::new();
        append_record(&mut big, 1, 1, 9, "X", &[7; 300]);
        assert_eq!(big[1], (300 % 256) as u8);
        assert_eq!(big.len(), 302);
    }

    #[test]
    fn fqdn_names_become_labels() {
        assert_eq!(fqdn_encode(b"a.bc").unwrap(), b"\x01a\x02bc\x00".to_vec());
        assert_eq!(fqdn_encode(b"a.").unwrap(), b"\x01a\x00".to_vec());
        assert_eq!(fqdn_encode(b"").unwrap(), vec![0]);
        assert_eq!(encapsulated_space("eIEagent."), Some("agent"));
        assert_eq!(encapsulated_space("E."), None);
    }
}
