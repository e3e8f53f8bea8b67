//! A fast hasher for the parser's name tables (host names, group names,
//! subclass data).
//!
//! The standard SipHash guards against hash flooding by remote input; these
//! tables are keyed by the administrator's own configuration, and on a
//! configuration with 100,000 hosts SipHash alone cost several percent of
//! `dhcpd -t`. This is the multiply-rotate hash used by rustc (FxHash).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` using [`FxHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Word-at-a-time multiply-rotate hasher.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The tail as a little-endian word, zero-padded (built byte by
            // byte: copying a slice of computed length calls memcpy).
            let word = rest.iter().rev().fold(0u64, |w, &b| w << 8 | b as u64);
            self.add(word ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiplies only carry input bits upwards: a word's high bytes
        // never reach the low bits. hashbrown takes the bucket from the low
        // bits and its 7-bit tag from the top ones, so both must depend on
        // every input bit (with a plain rotation, 100,000 subclass keys
        // differing in their last bytes shared a handful of tags). This is
        // the splitmix64 finalizer.
        let mut z = self.hash;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_keys_stay_distinct() {
        let mut m: FastMap<String, usize> = FastMap::default();
        for i in 0..10_000 {
            m.insert(format!("host-{}", i), i);
        }
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get("host-4242"), Some(&4242));
        assert_eq!(m.get("host-10000"), None);
    }
}
