//! The option state: which options a scope, a request or a reply holds,
//! as ISC's `struct option_state` holds them.
//!
//! An option statement does not produce bytes when it runs; it stores an
//! *option cache* — the option and the value as configured (constant bytes,
//! a value with host names still to resolve, or a data expression) — and
//! the value is evaluated only when someone asks for it (`config-option`,
//! the reply builder). Received options are caches of constant bytes.
//!
//! How a statement combines with what is already stored is ISC's
//! `set_option`: `option`/`supersede`/`send` replace, `default` only fills
//! a gap, `append`/`prepend` join the new value after/before the old one
//! (re-compressing when both are compressed domain lists, `Dc`).
//!
//! The order options come out of a space matters on the wire (an
//! encapsulated space is emitted in storage order), so storage follows
//! ISC: hashed spaces iterate by hash bucket (`compute_option_hash`, 17
//! buckets), newest first within a bucket, and a replaced option keeps its
//! place; linked spaces (agent, nwip, fqdn, isc) iterate in insertion order.

use std::borrow::Cow;

use crate::conf::ast::{Expression, OptionOp, OptionRef, OptionStatement, OptionValue, ValuePart};
use crate::options::table::SPACES;
use crate::options::{SpaceId, Storage};

use super::context::{LogLine, Priority};

/// The value an option cache holds before evaluation.
#[derive(Clone, Debug, PartialEq)]
pub enum CacheValue<'c> {
    /// Bytes as they go on the wire.
    Data(Cow<'c, [u8]>),
    /// A value in the option's own syntax whose host names are resolved
    /// when it is used.
    Parts(&'c [ValuePart]),
    /// `= DATA-EXPRESSION`.
    Expr(&'c Expression),
    /// `append`/`prepend` of two values: `left` then `right`; with `dc`,
    /// both are compressed domain lists that are joined as lists.
    Concat {
        /// Join as `Dc` domain lists.
        dc: bool,
        /// First part.
        left: Box<CacheValue<'c>>,
        /// Second part.
        right: Box<CacheValue<'c>>,
    },
    /// No value at all (evaluates to nothing).
    Nothing,
}

/// One option and its value (ISC `struct option_cache`).
#[derive(Clone, Debug, PartialEq)]
pub struct OptionCache<'c> {
    /// The option: space, code, name and format.
    pub option: Cow<'c, OptionRef>,
    /// Its value.
    pub value: CacheValue<'c>,
}

impl<'c> OptionCache<'c> {
    /// The cache an option statement stores.
    pub fn from_statement(st: &'c OptionStatement) -> OptionCache<'c> {
        let value = match &st.value {
            OptionValue::Data(parts) => match parts.as_slice() {
                [] => CacheValue::Data(Cow::Borrowed(&[])),
                [ValuePart::Bytes(b)] => CacheValue::Data(Cow::Borrowed(b)),
                _ => CacheValue::Parts(parts),
            },
            OptionValue::Expression(e) => CacheValue::Expr(e),
            OptionValue::Empty => CacheValue::Nothing,
        };
        OptionCache {
            option: Cow::Borrowed(&st.option),
            value,
        }
    }

    /// A cache of constant bytes (a received option).
    pub fn data(option: OptionRef, bytes: Vec<u8>) -> OptionCache<'static> {
        OptionCache {
            option: Cow::Owned(option),
            value: CacheValue::Data(Cow::Owned(bytes)),
        }
    }
}

/// ISC's hash bucket for an option code (`compute_option_hash`).
pub fn option_hash(code: u32) -> usize {
    const PTWO: u32 = 32;
    const EXP: u32 = 5;
    const SIZE: u32 = 17;
    (((code & (PTWO - 1)) + ((code >> EXP) & (PTWO - 1))) % SIZE) as usize
}

/// How a space keeps its options; built-in spaces say (their ids index
/// the table), spaces the configuration declares hash.
fn storage_of(space: SpaceId) -> Storage {
    SPACES
        .get(space.index())
        .map(|s| s.storage)
        .unwrap_or(Storage::Hashed)
}

#[derive(Clone, Debug)]
struct Entry<'c> {
    cache: OptionCache<'c>,
    /// Insertion number: newer entries sort first within a hash bucket.
    seq: u64,
}

#[derive(Clone, Debug)]
struct SpaceSlot<'c> {
    id: SpaceId,
    name: String,
    storage: Storage,
    entries: Vec<Entry<'c>>,
}

/// A set of option caches by space and code (ISC `struct option_state`).
#[derive(Clone, Debug, Default)]
pub struct OptionState<'c> {
    spaces: Vec<SpaceSlot<'c>>,
    seq: u64,
}

impl<'c> OptionState<'c> {
    /// An empty state.
    pub fn new() -> OptionState<'c> {
        OptionState::default()
    }

    fn slot(&self, space: SpaceId) -> Option<&SpaceSlot<'c>> {
        self.spaces.iter().find(|s| s.id == space)
    }

    fn slot_mut(&mut self, option: &OptionRef) -> &mut SpaceSlot<'c> {
        match self.spaces.iter().position(|s| s.id == option.space_id) {
            Some(i) => &mut self.spaces[i],
            None => {
                let storage = storage_of(option.space_id);
                self.spaces.push(SpaceSlot {
                    id: option.space_id,
                    name: option.space.clone(),
                    storage,
                    entries: Vec::new(),
                });
                self.spaces.last_mut().expect("just pushed")
            }
        }
    }

    /// ISC `lookup_option`: the cache for that option, if stored. Spaces
    /// are told apart by id: a declared space may reuse a built-in name.
    pub fn lookup(&self, space: SpaceId, code: u32) -> Option<&OptionCache<'c>> {
        self.slot(space)?
            .entries
            .iter()
            .find(|e| e.cache.option.code == code)
            .map(|e| &e.cache)
    }

    /// ISC `save_option`: stores the cache, replacing the option's old one
    /// in its place.
    pub fn save(&mut self, cache: OptionCache<'c>) {
        self.seq += 1;
        let seq = self.seq;
        let slot = self.slot_mut(&cache.option);
        match slot
            .entries
            .iter_mut()
            .find(|e| e.cache.option.code == cache.option.code)
        {
            Some(e) => e.cache = cache,
            None => slot.entries.push(Entry { cache, seq }),
        }
    }

    /// ISC `delete_option`.
    pub fn delete(&mut self, space: SpaceId, code: u32) {
        if let Some(slot) = self.spaces.iter_mut().find(|s| s.id == space) {
            slot.entries.retain(|e| e.cache.option.code != code);
        }
    }

    /// ISC `set_option`: stores the cache the way the statement's operator
    /// says. Returns the line ISC logs when it refuses to join a compressed
    /// domain list with something else.
    pub fn set(&mut self, op: OptionOp, cache: OptionCache<'c>) -> Option<LogLine> {
        match op {
            OptionOp::Supersede | OptionOp::Send => self.save(cache),
            OptionOp::Default => {
                if self
                    .lookup(cache.option.space_id, cache.option.code)
                    .is_none()
                {
                    self.save(cache);
                }
            }
            OptionOp::Append | OptionOp::Prepend => {
                let Some(old) = self
                    .lookup(cache.option.space_id, cache.option.code)
                    .cloned()
                else {
                    self.save(cache);
                    return None;
                };
                let dc_new = cache.option.format.starts_with("Dc");
                let dc_old = old.option.format.starts_with("Dc");
                if dc_new != dc_old {
                    return Some(LogLine::new(
                        Priority::Error,
                        "Both options must be Dc format",
                    ));
                }
                // An old value without data joins as nothing (ISC only turns
                // non-empty constant data into an expression).
                let old_value = match old.value {
                    CacheValue::Data(d) if d.is_empty() => CacheValue::Nothing,
                    v => v,
                };
                let (left, right) = if op == OptionOp::Append {
                    (old_value, cache.value)
                } else {
                    (cache.value, old_value)
                };
                let value = match (left, right) {
                    // ISC's make_concat returns the other side when one is missing.
                    (CacheValue::Nothing, v) | (v, CacheValue::Nothing) => v,
                    (l, r) => CacheValue::Concat {
                        dc: dc_new,
                        left: Box::new(l),
                        right: Box::new(r),
                    },
                };
                // The joined cache keeps the option as first stored.
                self.save(OptionCache {
                    option: old.option,
                    value,
                });
            }
        }
        None
    }

    /// The caches of a space in ISC's storage order.
    pub fn space(&self, space: SpaceId) -> Vec<&OptionCache<'c>> {
        let Some(slot) = self.slot(space) else {
            return Vec::new();
        };
        let mut entries: Vec<&Entry<'c>> = slot.entries.iter().collect();
        if slot.storage == Storage::Hashed {
            entries.sort_by(|a, b| {
                option_hash(a.cache.option.code)
                    .cmp(&option_hash(b.cache.option.code))
                    .then(b.seq.cmp(&a.seq))
            });
        }
        entries.into_iter().map(|e| &e.cache).collect()
    }

    /// The spaces holding at least one option, first used first.
    pub fn spaces(&self) -> impl Iterator<Item = (SpaceId, &str)> {
        self.spaces
            .iter()
            .filter(|s| !s.entries.is_empty())
            .map(|s| (s.id, s.name.as_str()))
    }

    /// The id of a space holding options, by name (first match).
    pub fn space_id(&self, name: &str) -> Option<SpaceId> {
        self.spaces
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .map(|s| s.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(space: &str, code: u32, format: &str) -> OptionRef {
        let space_id = crate::options::OptionCatalog::isc()
            .space_id(space)
            .expect("built-in space");
        OptionRef {
            space: space.into(),
            space_id,
            code,
            name: format!("o{}", code),
            format: format.into(),
            id: None,
        }
    }

    fn bytes<'a>(c: &'a OptionCache<'_>) -> &'a [u8] {
        match &c.value {
            CacheValue::Data(d) => d,
            other => panic!("not data: {:?}", other),
        }
    }

    #[test]
    fn hash_matches_isc_macro() {
        assert_eq!(option_hash(0), 0);
        assert_eq!(option_hash(16), 16);
        assert_eq!(option_hash(17), 0);
        // 255 = 31 + (7 << 5): (31 + 7) % 17 = 4.
        assert_eq!(option_hash(255), 4);
        assert_eq!(option_hash(33), 2);
    }

    #[test]
    fn default_only_fills_a_gap_and_supersede_replaces() {
        let mut s = OptionState::new();
        s.set(
            OptionOp::Default,
            OptionCache::data(opt("dhcp", 15, "t"), b"a".to_vec()),
        );
        s.set(
            OptionOp::Default,
            OptionCache::data(opt("dhcp", 15, "t"), b"b".to_vec()),
        );
        assert_eq!(bytes(s.lookup(SpaceId::DHCP, 15).unwrap()), b"a");
        s.set(
            OptionOp::Supersede,
            OptionCache::data(opt("dhcp", 15, "t"), b"c".to_vec()),
        );
        assert_eq!(bytes(s.lookup(SpaceId::DHCP, 15).unwrap()), b"c");
        s.delete(SpaceId::DHCP, 15);
        assert!(s.lookup(SpaceId::DHCP, 15).is_none());
    }

    #[test]
    fn append_and_prepend_join_values() {
        let mut s = OptionState::new();
        s.set(
            OptionOp::Append,
            OptionCache::data(opt("dhcp", 15, "t"), b"m".to_vec()),
        );
        s.set(
            OptionOp::Append,
            OptionCache::data(opt("dhcp", 15, "t"), b"z".to_vec()),
        );
        s.set(
            OptionOp::Prepend,
            OptionCache::data(opt("dhcp", 15, "t"), b"a".to_vec()),
        );
        let CacheValue::Concat {
            dc: false,
            left,
            right,
        } = &s.lookup(SpaceId::DHCP, 15).unwrap().value
        else {
            panic!("not joined")
        };
        assert_eq!(**left, CacheValue::Data(Cow::Owned(b"a".to_vec())));
        assert!(matches!(**right, CacheValue::Concat { .. }));
        // An empty old value is dropped rather than joined.
        let mut s = OptionState::new();
        s.save(OptionCache::data(opt("dhcp", 15, "t"), vec![]));
        s.set(
            OptionOp::Append,
            OptionCache::data(opt("dhcp", 15, "t"), b"z".to_vec()),
        );
        assert_eq!(bytes(s.lookup(SpaceId::DHCP, 15).unwrap()), b"z");
    }

    #[test]
    fn dc_lists_join_only_with_dc_lists() {
        let mut s = OptionState::new();
        s.save(OptionCache::data(opt("dhcp", 119, "Dc"), vec![0]));
        let line = s.set(
            OptionOp::Append,
            OptionCache::data(opt("dhcp", 119, "t"), b"x".to_vec()),
        );
        assert_eq!(line.unwrap().text, b"Both options must be Dc format");
        s.set(
            OptionOp::Append,
            OptionCache::data(opt("dhcp", 119, "Dc"), vec![0]),
        );
        assert!(matches!(
            s.lookup(SpaceId::DHCP, 119).unwrap().value,
            CacheValue::Concat { dc: true, .. }
        ));
    }

    #[test]
    fn hashed_spaces_iterate_by_bucket_newest_first() {
        let mut s = OptionState::new();
        for code in [17, 3, 0, 34] {
            s.save(OptionCache::data(opt("dhcp", code, "X"), vec![code as u8]));
        }
        // Buckets: 17→0, 3→3, 0→0, 34→(2+1)%17=3. Newest first per bucket.
        let order: Vec<u32> = s
            .space(SpaceId::DHCP)
            .iter()
            .map(|c| c.option.code)
            .collect();
        assert_eq!(order, vec![0, 17, 34, 3]);
        // Replacing keeps the place.
        s.save(OptionCache::data(opt("dhcp", 17, "X"), vec![9]));
        let order: Vec<u32> = s
            .space(SpaceId::DHCP)
            .iter()
            .map(|c| c.option.code)
            .collect();
        assert_eq!(order, vec![0, 17, 34, 3]);
    }

    #[test]
    fn linked_spaces_iterate_in_insertion_order() {
        let mut s = OptionState::new();
        for code in [2, 1, 9] {
            s.save(OptionCache::data(opt("agent", code, "X"), vec![]));
        }
        let order: Vec<u32> = s
            .space(SpaceId::AGENT)
            .iter()
            .map(|c| c.option.code)
            .collect();
        assert_eq!(order, vec![2, 1, 9]);
        assert_eq!(
            s.spaces().collect::<Vec<_>>(),
            vec![(SpaceId::AGENT, "agent")]
        );
    }
}
