//! Helpers shared by the wire tests: hex captures and a tiny deterministic PRNG.

/// Decodes hex digits, ignoring whitespace; panics on bad input (test data only).
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).expect("hex digit"))
        .collect()
}

/// ISC 4.4.3 OFFER to a plain DISCOVER, as a full Ethernet frame (see dhcp/testdata/README.md).
pub const ISC_OFFER_FRAME: &str = include_str!("dhcp/testdata/isc_offer_frame.hex");
/// ISC 4.4.3 OFFER with option 18 split across the options field and `file`, full frame.
pub const ISC_OFFER_OVERLOAD_FRAME: &str =
    include_str!("dhcp/testdata/isc_offer_overload_frame.hex");
/// A relayed DISCOVER carrying option 82 (UDP payload).
pub const DISCOVER_RELAYED: &str = include_str!("dhcp/testdata/discover_relayed.hex");
/// ISC 4.4.3 OFFER to that relay, echoing option 82 (UDP payload).
pub const ISC_OFFER_RELAYED: &str = include_str!("dhcp/testdata/isc_offer_relayed.hex");

/// xorshift64*: enough randomness for fuzz-like loops, reproducible from the seed.
pub struct XorShift(u64);

impl XorShift {
    /// A generator from a nonzero seed.
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.byte()).collect()
    }
}
