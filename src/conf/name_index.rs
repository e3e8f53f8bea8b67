//! A name → position index over an arena that already stores the names
//! (ISC's host name hash, over `Config::hosts`).
//!
//! A `HashMap<String, usize>` keeps a second copy of every name: on a
//! configuration with 100,000 hosts that is 100,000 small allocations made
//! while parsing and freed again at the end, several megabytes of peak
//! memory, and about a tenth of `dhcpd -t`'s time. This table holds only
//! positions (and a hash tag to skip most string comparisons); the names
//! are read from the arena through a closure when a tag matches.

use std::hash::Hasher;

use super::fasthash::FxHasher;

/// Open-addressing (linear probing) table of positions keyed by the name
/// found at that position. Entries are never removed, as in ISC's host
/// hash for configuration hosts.
#[derive(Debug, Default, Clone)]
pub struct NameIndex {
    /// 0 for an empty slot, else the hash's high 32 bits and position + 1.
    slots: Vec<u64>,
    len: usize,
}

fn hash(name: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(name);
    // Fibonacci mixing so that the top bits (the slot) depend on every byte.
    h.finish().wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl NameIndex {
    /// Number of names indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Hints the CPU to bring `name`'s first slot into the cache. On a
    /// big table a lookup is a cache miss (a tenth of `dhcpd -t` on
    /// 100,000 hosts); started early, it overlaps other work.
    #[inline]
    pub fn prefetch(&self, name: &[u8]) {
        if self.slots.is_empty() {
            return;
        }
        let slot = &self.slots[self.slot_of(hash(name))];
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint: it reads nothing the program
        // can observe and cannot fault, whatever the address (here a valid
        // reference into the table anyway). SSE, which provides it, is part
        // of the x86_64 baseline.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>((slot as *const u64).cast::<i8>());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn slot_of(&self, h: u64) -> usize {
        // slots.len() is a power of two of at least 8.
        let bits = self.slots.len().trailing_zeros();
        (h >> (64 - bits)) as usize
    }

    /// The slot holding `name`, or the empty slot where it would go.
    fn find<'a>(&self, name: &[u8], h: u64, name_at: impl Fn(usize) -> &'a [u8]) -> (usize, bool) {
        let mask = self.slots.len() - 1;
        let tag = h >> 32;
        let mut i = self.slot_of(h);
        loop {
            let s = self.slots[i];
            if s == 0 {
                return (i, false);
            }
            if s >> 32 == tag && name_at((s & 0xffff_ffff) as usize - 1) == name {
                return (i, true);
            }
            i = (i + 1) & mask;
        }
    }

    /// The position indexed under `name`; `name_at` gives the name stored
    /// at a position.
    pub fn get<'a>(&self, name: &[u8], name_at: impl Fn(usize) -> &'a [u8]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        match self.find(name, hash(name), name_at) {
            (i, true) => Some((self.slots[i] & 0xffff_ffff) as usize - 1),
            _ => None,
        }
    }

    /// Indexes `pos` under `name`, replacing the position it had. Positions
    /// must fit in 32 bits (the arena is a configuration's hosts).
    pub fn insert<'a>(&mut self, name: &[u8], pos: usize, name_at: impl Fn(usize) -> &'a [u8]) {
        let pos = u32::try_from(pos).ok().and_then(|p| p.checked_add(1)).expect("fewer than 2^32 - 1 names");
        if (self.len + 1) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let h = hash(name);
        let (i, found) = self.find(name, h, name_at);
        if !found {
            self.len += 1;
        }
        self.slots[i] = (h >> 32) << 32 | pos as u64;
    }

    fn grow(&mut self) {
        let new_len = (self.slots.len() * 2).max(8);
        let old = std::mem::replace(&mut self.slots, vec![0; new_len]);
        let mask = new_len - 1;
        for s in old.into_iter().filter(|&s| s != 0) {
            // The tag is the hash's high half, which is all slot_of reads.
            let mut i = self.slot_of(s & !0xffff_ffff);
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_replaces_and_misses() {
        let mut names: Vec<String> = Vec::new();
        let mut idx = NameIndex::default();
        for i in 0..5000 {
            names.push(format!("h{}", i));
            let n = names[i].clone();
            idx.insert(n.as_bytes(), i, |p| names[p].as_bytes());
        }
        assert_eq!(idx.len(), 5000);
        assert_eq!(idx.get(b"h4242", |p| names[p].as_bytes()), Some(4242));
        assert_eq!(idx.get(b"h5000", |p| names[p].as_bytes()), None);
        // A second declaration of a name takes its place.
        names.push("h7".into());
        idx.insert(b"h7", 5000, |p| names[p].as_bytes());
        assert_eq!(idx.len(), 5000);
        assert_eq!(idx.get(b"h7", |p| names[p].as_bytes()), Some(5000));
        assert_eq!(NameIndex::default().get(b"x", |_| &b""[..]), None);
    }
}
