//! Fuzzes the lease file's fast path against the plain ISC-compatible
//! reader: for any bytes, `read_lease_file` (fast path where the layout
//! allows, full reader elsewhere) must give exactly what
//! `read_lease_file_slow` gives — records, lines, messages, torn tail and
//! dropped records. Strings with a broken escape are left out: ISC fills
//! them from its token buffer's leftovers, which depend on tokens the fast
//! path does not lex.
#![no_main]

use dhcpd::lease::file::{read_lease_file, read_lease_file_slow, ReadOptions};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_795_417_988;

fn broken_escape(b: &[u8]) -> bool {
    b.windows(4).any(|w| {
        w[0] == b'\\'
            && match w[1] {
                b'0'..=b'3' => !((b'0'..=b'7').contains(&w[2]) && (b'0'..=b'7').contains(&w[3])),
                b'x' => !(w[2].is_ascii_hexdigit() && w[3].is_ascii_hexdigit()),
                _ => false,
            }
    })
}

fuzz_target!(|data: &[u8]| {
    if broken_escape(data) {
        return;
    }
    let fast = read_lease_file("f", data, ReadOptions::at(NOW));
    let slow = read_lease_file_slow("f", data, ReadOptions::at(NOW));
    match (fast, slow) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.entries, b.entries);
            assert_eq!(a.diagnostics, b.diagnostics);
            assert_eq!(a.torn, b.torn);
            assert_eq!(a.dropped, b.dropped);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("fast {:?} vs slow {:?}", a.is_ok(), b.is_ok()),
    }
});
