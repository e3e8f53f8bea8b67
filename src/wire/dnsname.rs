//! DNS names in wire form: text to length-prefixed labels, and RFC 1035
//! compression of a list of names (as used by `domain-search`, option 119).
//!
//! Pure functions; errors carry the text ISC prints for them (`%m` of the
//! resolver library's `EMSGSIZE`).

use std::fmt;

/// Why a name could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// A label over 63 bytes, the whole name over 255, or an empty label.
    TooLong,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ISC prints strerror(EMSGSIZE).
        f.write_str("Message too long")
    }
}

/// Splits presentation text into raw labels, resolving `\X` and `\DDD`
/// escapes. A trailing dot is allowed; `"."` is the root (no labels).
pub fn labels(text: &str) -> Result<Vec<Vec<u8>>, NameError> {
    let b = text.as_bytes();
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut i = 0;
    if b == b"." {
        return Ok(out);
    }
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            if i + 3 < b.len() && b[i + 1..i + 4].iter().all(|d| d.is_ascii_digit()) {
                let v: u32 = b[i + 1..i + 4].iter().fold(0, |a, d| a * 10 + (d - b'0') as u32);
                if v > 255 {
                    return Err(NameError::TooLong);
                }
                cur.push(v as u8);
                i += 4;
                continue;
            }
            if i + 1 < b.len() {
                cur.push(b[i + 1]);
                i += 2;
                continue;
            }
            return Err(NameError::TooLong);
        }
        if c == b'.' {
            if cur.is_empty() {
                return Err(NameError::TooLong);
            }
            out.push(std::mem::take(&mut cur));
            i += 1;
            continue;
        }
        cur.push(c);
        i += 1;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if out.iter().any(|l| l.len() > 63) {
        return Err(NameError::TooLong);
    }
    if out.iter().map(|l| l.len() + 1).sum::<usize>() + 1 > 255 {
        return Err(NameError::TooLong);
    }
    Ok(out)
}

/// Encodes one name as uncompressed wire labels ending with the root label.
pub fn name_to_wire(text: &str) -> Result<Vec<u8>, NameError> {
    let mut out = Vec::new();
    for l in labels(text)? {
        out.push(l.len() as u8);
        out.extend_from_slice(&l);
    }
    out.push(0);
    Ok(out)
}

/// Encodes names one after another, each suffix that already appeared
/// replaced by a compression pointer (RFC 1035 §4.1.4).
pub fn compress_names(names: &[String]) -> Result<Vec<u8>, NameError> {
    let mut out: Vec<u8> = Vec::new();
    // (offset, suffix labels lowercased) of every label start written so far.
    let mut seen: Vec<(usize, Vec<Vec<u8>>)> = Vec::new();
    for name in names {
        let ls = labels(name)?;
        let lower: Vec<Vec<u8>> = ls.iter().map(|l| l.to_ascii_lowercase()).collect();
        let mut k = 0;
        let mut pointer = None;
        while k < ls.len() {
            if let Some((off, _)) = seen.iter().find(|(off, s)| *off < 0x4000 && s.as_slice() == &lower[k..]) {
                pointer = Some(*off);
                break;
            }
            k += 1;
        }
        for (j, l) in ls[..k].iter().enumerate() {
            seen.push((out.len(), lower[j..].to_vec()));
            out.push(l.len() as u8);
            out.extend_from_slice(l);
        }
        match pointer {
            Some(off) => out.extend_from_slice(&(0xc000u16 | off as u16).to_be_bytes()),
            None => out.push(0),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_compresses() {
        assert_eq!(name_to_wire("a.bc").unwrap(), b"\x01a\x02bc\x00".to_vec());
        assert_eq!(name_to_wire("a.bc.").unwrap(), b"\x01a\x02bc\x00".to_vec());
        assert_eq!(name_to_wire(".").unwrap(), vec![0]);
        assert!(name_to_wire(&"x".repeat(64)).is_err());
        assert!(name_to_wire("a..b").is_err());
        let c = compress_names(&["eng.example.com".into(), "example.com".into()]).unwrap();
        assert_eq!(c, b"\x03eng\x07example\x03com\x00\xc0\x04".to_vec());
    }
}
