//! Byte conversions behind `binary-to-ascii` and the joining of
//! compressed domain lists (`append` to `domain-search`).
//!
//! `binary-to-ascii` prints each number with as many digits as ISC's
//! `converted_length` says: the smallest power of the base above the
//! number, which for base 1 means every number prints as two zeros and
//! for a base above 16 prints nothing — ISC's arithmetic, kept.

use crate::wire::dnsname::compress_names;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// ISC `converted_length`: digits needed for `n` in `base` (0 for a base
/// above 16).
fn converted_length(n: u32, base: u32) -> usize {
    if base > 16 {
        return 0;
    }
    let mut power = 1;
    let mut next = base;
    loop {
        let column = next;
        if n < column {
            return power;
        }
        power += 1;
        next = column.wrapping_mul(base);
        // A wrap-around means the next power no longer fits.
        if next <= column {
            return power;
        }
    }
}

/// The numbers of `buf` (each `width` bytes, big-endian) in `base`,
/// joined by `sep`. `None` for base 0, where ISC divides by zero.
pub fn binary_to_ascii(base: u32, width: usize, sep: &[u8], buf: &[u8]) -> Option<Vec<u8>> {
    if base == 0 {
        return None;
    }
    let mut out = Vec::new();
    let count = buf.len() / width.max(1);
    for (i, chunk) in buf.chunks(width).enumerate() {
        let n = chunk.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
        let digits = converted_length(n, base);
        let start = out.len();
        out.resize(start + digits, 0);
        let mut v = n;
        for slot in out[start..].iter_mut().rev() {
            *slot = DIGITS[(v % base) as usize];
            v /= base;
        }
        if i + 1 != count {
            out.extend_from_slice(sep);
        }
    }
    Some(out)
}

/// Reads an RFC 1035 name list whose compression pointers are offsets
/// into `list` itself (the `Dc` format), as presentation text.
pub fn uncompress_list(list: &[u8]) -> Result<Vec<String>, ()> {
    let mut names = Vec::new();
    let mut pos = 0;
    while pos < list.len() {
        let mut labels: Vec<Vec<u8>> = Vec::new();
        let mut at = pos;
        let mut jumped = false;
        let mut hops = 0;
        loop {
            let len = *list.get(at).ok_or(())?;
            match len & 0xc0 {
                0x00 if len == 0 => {
                    if !jumped {
                        pos = at + 1;
                    }
                    break;
                }
                0x00 => {
                    let label = list.get(at + 1..at + 1 + usize::from(len)).ok_or(())?;
                    labels.push(label.to_vec());
                    at += 1 + usize::from(len);
                }
                0xc0 => {
                    let lo = *list.get(at + 1).ok_or(())?;
                    let target = (usize::from(len & 0x3f) << 8) | usize::from(lo);
                    if !jumped {
                        pos = at + 2;
                    }
                    jumped = true;
                    hops += 1;
                    // Pointers must go backwards; a loop is damage.
                    if target >= at || hops > 128 {
                        return Err(());
                    }
                    at = target;
                }
                _ => return Err(()),
            }
        }
        names.push(labels_to_text(&labels));
    }
    Ok(names)
}

/// Presentation form of a name, escaping as `ns_name_ntop` does.
fn labels_to_text(labels: &[Vec<u8>]) -> String {
    if labels.is_empty() {
        return ".".to_string();
    }
    let mut s = String::new();
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        for &b in l {
            match b {
                b'.' | b';' | b'\\' | b'(' | b')' | b'@' | b'$' | b'"' => {
                    s.push('\\');
                    s.push(b as char);
                }
                0x21..=0x7e => s.push(b as char),
                _ => s.push_str(&format!("\\{:03}", b)),
            }
        }
    }
    s
}

/// ISC `concat_dclists`: both compressed lists as one, compressed anew.
/// The error is ISC's log line.
pub fn concat_dclists(a: &[u8], b: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut names = Vec::new();
    if !a.is_empty() {
        names.extend(
            uncompress_list(a).map_err(|_| "concat_dclists: error decompressing domain list 1")?,
        );
    }
    if !b.is_empty() {
        names.extend(
            uncompress_list(b).map_err(|_| "concat_dclists: error decompressing domain list 2")?,
        );
    }
    if names.is_empty() {
        return Ok(vec![0]);
    }
    compress_names(&names).map_err(|_| "concat_dlists: error compressing result")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_to_ascii_like_isc() {
        assert_eq!(
            binary_to_ascii(10, 1, b".", &[10, 0, 0, 255]).unwrap(),
            b"10.0.0.255"
        );
        assert_eq!(
            binary_to_ascii(16, 1, b":", &[1, 0x0a, 0xff]).unwrap(),
            b"1:a:ff"
        );
        // Base 1 prints two zeros per number, a base above 16 nothing.
        assert_eq!(binary_to_ascii(1, 1, b".", b"ab").unwrap(), b"00.00");
        assert_eq!(binary_to_ascii(17, 1, b".", b"ab").unwrap(), b".");
        assert_eq!(
            binary_to_ascii(2, 2, b".", b"ab").unwrap(),
            b"110000101100010"
        );
        // Checked with ISC: the digit count wraps, so a leading zero.
        assert_eq!(
            binary_to_ascii(10, 4, b"", &[0xff; 4]).unwrap(),
            b"04294967295"
        );
        assert_eq!(
            binary_to_ascii(10, 4, b"", &[0x54, 0x0b, 0xe3, 0xff]).unwrap(),
            b"1410065407"
        );
        assert_eq!(
            binary_to_ascii(8, 1, b"-", &[0, 8, 64]).unwrap(),
            b"0-10-100"
        );
        assert!(binary_to_ascii(0, 1, b".", b"a").is_none());
        assert_eq!(binary_to_ascii(10, 1, b".", b"").unwrap(), b"");
    }

    #[test]
    fn converted_length_wraps_like_isc() {
        assert_eq!(converted_length(0, 10), 1);
        assert_eq!(converted_length(u32::MAX, 16), 8);
        assert_eq!(converted_length(u32::MAX, 2), 32);
        assert_eq!(converted_length(u32::MAX, 10), 11);
    }

    #[test]
    fn dc_lists_join_and_recompress() {
        let a = compress_names(&["eng.example.com".into()]).unwrap();
        let b = compress_names(&["example.com".into()]).unwrap();
        let joined = concat_dclists(&a, &b).unwrap();
        assert_eq!(joined, b"\x03eng\x07example\x03com\x00\xc0\x04".to_vec());
        assert_eq!(concat_dclists(&[], &[]).unwrap(), vec![0]);
        assert_eq!(concat_dclists(&a, &[]).unwrap(), a);
        assert_eq!(
            uncompress_list(&joined).unwrap(),
            vec!["eng.example.com", "example.com"]
        );
        assert!(concat_dclists(&[3, b'a'], &[]).is_err());
        // A pointer to itself is refused, not followed forever.
        assert!(uncompress_list(&[0xc0, 0x00]).is_err());
    }
}
