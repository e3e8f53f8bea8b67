//! The pieces ISC's DHCP log lines are built from, formatted exactly as
//! ISC's `print_hw_addr`, `print_hex_1`, `db_printable` and `inet_ntoa`
//! produce them. Pure string functions.

use std::net::Ipv4Addr;

/// ISC `print_hw_addr`: lowercase hex bytes joined by colons; empty for a
/// zero length. The type byte is not printed.
pub fn hw_addr(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// ISC `print_hex_1(len, data, 60)` (`print_hex_or_string`): the bytes as a
/// quoted string when the first 57 are printable ASCII (cut to 57),
/// otherwise colon-separated hex, or nothing when that would exceed 60
/// characters.
pub fn hex_or_string(data: &[u8], limit: usize) -> String {
    if limit < 3 {
        return String::new();
    }
    let printable = data.iter().take(limit - 3).all(|&b| (0x20..0x7f).contains(&b));
    if printable {
        let n = data.len().min(limit - 3);
        format!("\"{}\"", String::from_utf8_lossy(&data[..n]))
    } else if data.is_empty() || data.len() * 3 > limit {
        String::new()
    } else {
        hw_addr(data)
    }
}

/// ISC `db_printable`: printable ASCII without `"` or `\`.
pub fn db_printable(s: &[u8]) -> bool {
    s.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

/// The `(HOST) ` part of a line for a lease's client-hostname: present
/// only when the lease has one; ISC substitutes a fixed text for names
/// longer than 64 bytes or not printable.
pub fn host_part(client_hostname: Option<&[u8]>) -> String {
    match client_hostname {
        None => String::new(),
        Some(h) if h.len() <= 64 && db_printable(h) => format!("({}) ", String::from_utf8_lossy(h)),
        Some(_) => "(Hostname Unsuitable for Printing) ".to_string(),
    }
}

/// How a request's client is named: its hardware address, or for htype 0
/// the lease's uid, else `<no identifier>`.
pub fn client_name(htype: u8, hw: &[u8], lease_uid: Option<&[u8]>) -> String {
    if htype != 0 {
        hw_addr(hw)
    } else {
        match lease_uid {
            Some(uid) => hex_or_string(uid, 60),
            None => "<no identifier>".to_string(),
        }
    }
}

/// The `via X` value: giaddr when set, else the interface name.
pub fn via(giaddr: Ipv4Addr, iface: &str) -> String {
    if giaddr.is_unspecified() {
        iface.to_string()
    } else {
        giaddr.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_is_lowercase_colon_hex() {
        assert_eq!(hw_addr(&[0x3a, 0x05, 0xf8, 0x0d, 0x0c, 0xc2]), "3a:05:f8:0d:0c:c2");
        assert_eq!(hw_addr(&[]), "");
        assert_eq!(hw_addr(&[0, 0xff, 0x10]), "00:ff:10");
    }

    #[test]
    fn uid_prints_as_string_or_hex() {
        assert_eq!(hex_or_string(b"client-1", 60), "\"client-1\"");
        assert_eq!(hex_or_string(&[1, 2, 0xab], 60), "01:02:ab");
        assert_eq!(hex_or_string(&[0u8; 21], 60), "", "63 characters do not fit in 60");
    }

    #[test]
    fn hostnames_are_checked_like_isc() {
        assert_eq!(host_part(Some(b"client1")), "(client1) ");
        assert_eq!(host_part(Some(b"bad\"name")), "(Hostname Unsuitable for Printing) ");
        assert_eq!(host_part(Some(&[b'a'; 65])), "(Hostname Unsuitable for Printing) ");
        assert_eq!(host_part(None), "");
    }

    #[test]
    fn via_prefers_giaddr() {
        assert_eq!(via(Ipv4Addr::UNSPECIFIED, "eth0"), "eth0");
        assert_eq!(via(Ipv4Addr::new(10, 1, 0, 1), "eth0"), "10.1.0.1");
    }
}
