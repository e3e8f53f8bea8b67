//! One of a pool's lease queues (free, active, expired, abandoned, backup,
//! reserved), ordered the way ISC's linked lists order it.
//!
//! ISC keeps each queue as a singly linked list sorted by the lease's
//! `sort_time` (usually `ends`). A lease is inserted *before* the first
//! lease whose sort time is greater or equal, so among equal times the
//! newest insertion comes first (`lease_insert`). At start-up ISC instead
//! remembers its last insertion point and, when the next lease goes to the
//! same queue with a sort time not below it, inserts right after it
//! (`SS_QFOLLOW`), so leases read in a row keep their order. Which free
//! lease is handed out next depends on both rules, so both are kept.
//!
//! The list is modelled as an ordered map keyed by `(sort_time, label)`:
//! labels order leases of equal sort time and are chosen so that every
//! insertion lands where ISC's would, in O(log n) rather than ISC's O(n).

use std::collections::BTreeMap;

/// Distance between labels when there is room.
const STEP: i128 = 1 << 40;

/// Index of a lease in the lease database's arena.
pub type LeaseIdx = usize;

/// A queue position: sort time and tie-break label.
pub type Key = (i64, i128);

/// A lease queue.
#[derive(Clone, Debug, Default)]
pub struct LeaseQueue {
    map: BTreeMap<Key, LeaseIdx>,
}

impl LeaseQueue {
    /// An empty queue.
    pub fn new() -> Self {
        LeaseQueue::default()
    }

    /// Number of leases queued.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The first lease (ISC `LEASE_GET_FIRST`).
    pub fn first(&self) -> Option<(Key, LeaseIdx)> {
        self.map.iter().next().map(|(k, v)| (*k, *v))
    }

    /// Leases in queue order.
    pub fn iter(&self) -> impl Iterator<Item = (Key, LeaseIdx)> + '_ {
        self.map.iter().map(|(k, v)| (*k, *v))
    }

    /// Leases whose sort time is at most `t`, in order (copied, so the
    /// caller may move them).
    pub fn due(&self, t: i64) -> Vec<LeaseIdx> {
        self.map.range(..=(t, i128::MAX)).map(|(_, v)| *v).collect()
    }

    /// Removes the lease at `key`.
    pub fn remove(&mut self, key: Key) -> Option<LeaseIdx> {
        self.map.remove(&key)
    }

    /// ISC's run-time insertion: before every lease of an equal or later
    /// sort time.
    pub fn insert(&mut self, sort_time: i64, lease: LeaseIdx) -> Key {
        let label = match self.map.range((sort_time, i128::MIN)..).next() {
            Some(((t, l), _)) if *t == sort_time => l - STEP,
            _ => 0,
        };
        let key = (sort_time, label);
        let displaced = self.map.insert(key, lease);
        debug_assert!(displaced.is_none(), "label {key:?} was taken");
        key
    }

    /// ISC's start-up insertion following `after` (the previous insertion
    /// into this queue): right after it when the sort times are equal,
    /// otherwise as [`insert`](Self::insert). `after` must be a key of this
    /// queue with a sort time not above `sort_time`.
    ///
    /// When no label is left between `after` and the next lease, the run of
    /// leases of that sort time is labelled afresh; the returned
    /// [`Insertion::moved`] then lists every lease whose key changed, which
    /// the caller must record (a stale key would leave the lease in the
    /// queue after it moved elsewhere).
    pub fn insert_after(&mut self, after: Key, sort_time: i64, lease: LeaseIdx) -> Insertion {
        if after.0 != sort_time || !self.map.contains_key(&after) {
            return Insertion { key: self.insert(sort_time, lease), moved: Vec::new() };
        }
        let next = self
            .map
            .range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
            .next()
            .map(|(k, _)| *k)
            .filter(|k| k.0 == sort_time);
        let label = match next {
            None => after.1 + STEP,
            Some(n) if n.1 - after.1 > 1 => after.1 + (n.1 - after.1) / 2,
            Some(_) => {
                // No room left between the two: space the run out again.
                let (after, mut moved) = self.relabel_run(after, sort_time);
                let mut ins = self.insert_after(after, sort_time, lease);
                moved.append(&mut ins.moved);
                ins.moved = moved;
                return ins;
            }
        };
        let key = (sort_time, label);
        let displaced = self.map.insert(key, lease);
        debug_assert!(displaced.is_none(), "label {key:?} was taken");
        Insertion { key, moved: Vec::new() }
    }

    /// Gives every lease of sort time `t` a fresh, evenly spaced label,
    /// keeping their order. Returns the new key of the lease at `keep` and
    /// the leases whose key changed.
    fn relabel_run(&mut self, keep: Key, t: i64) -> (Key, Vec<(LeaseIdx, Key)>) {
        let run: Vec<(Key, LeaseIdx)> = self.map.range((t, i128::MIN)..=(t, i128::MAX)).map(|(k, v)| (*k, *v)).collect();
        for (k, _) in &run {
            self.map.remove(k);
        }
        let mut new_keep = keep;
        let mut moved = Vec::with_capacity(run.len());
        for (i, (k, v)) in run.into_iter().enumerate() {
            let nk = (t, (i as i128) * STEP);
            if k == keep {
                new_keep = nk;
            }
            if nk != k {
                moved.push((v, nk));
            }
            self.map.insert(nk, v);
        }
        (new_keep, moved)
    }

    /// The lease at `key`, if any (tests check recorded keys with it).
    #[cfg(test)]
    pub fn at(&self, key: Key) -> Option<LeaseIdx> {
        self.map.get(&key).copied()
    }
}

/// Where [`LeaseQueue::insert_after`] put a lease, and which other leases
/// it had to move to make room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insertion {
    /// The new lease's key.
    pub key: Key,
    /// Leases (possibly including the new one's neighbours) whose keys
    /// changed, with their new keys.
    pub moved: Vec<(LeaseIdx, Key)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(q: &LeaseQueue) -> Vec<LeaseIdx> {
        q.iter().map(|(_, v)| v).collect()
    }

    #[test]
    fn runtime_insert_goes_before_equal_times() {
        let mut q = LeaseQueue::new();
        q.insert(5, 1);
        q.insert(5, 2);
        q.insert(3, 3);
        q.insert(9, 4);
        q.insert(5, 5);
        assert_eq!(order(&q), vec![3, 5, 2, 1, 4]);
    }

    #[test]
    fn startup_insert_follows_the_previous_one() {
        let mut q = LeaseQueue::new();
        let mut last = q.insert(0, 1);
        for i in 2..6 {
            last = q.insert_after(last, 0, i).key;
        }
        assert_eq!(order(&q), vec![1, 2, 3, 4, 5]);
        // A lease arriving after another queue was used goes to the head of
        // its time, then the following ones chain after it.
        let k = q.insert(0, 10);
        q.insert_after(k, 0, 11);
        assert_eq!(order(&q), vec![10, 11, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn labels_are_respaced_when_exhausted() {
        let mut q = LeaseQueue::new();
        let first = q.insert(0, 0);
        let mut keys = std::collections::HashMap::new();
        keys.insert(0, first);
        keys.insert(1000, q.insert_after(first, 0, 1000).key);
        // Always insert right after the first: halves the gap each time.
        let mut relabelled = false;
        for i in 1..200 {
            let ins = q.insert_after(first_key(&q), 0, i);
            keys.insert(i, ins.key);
            relabelled |= !ins.moved.is_empty();
            for (lease, key) in ins.moved {
                keys.insert(lease, key);
            }
        }
        assert!(relabelled, "200 halvings must exhaust the labels");
        // Every lease is where its reported key says: the caller's record
        // of each key stays true across the respacing.
        for (&lease, &key) in &keys {
            assert_eq!(q.at(key), Some(lease), "lease {lease}");
        }
        let o = order(&q);
        assert_eq!(o[0], 0);
        assert_eq!(o[1], 199);
        assert_eq!(*o.last().unwrap(), 1000);
        assert_eq!(o.len(), 201);
    }

    fn first_key(q: &LeaseQueue) -> Key {
        q.first().unwrap().0
    }

    #[test]
    fn due_stops_at_time() {
        let mut q = LeaseQueue::new();
        q.insert(10, 1);
        q.insert(20, 2);
        q.insert(30, 3);
        assert_eq!(q.due(20), vec![1, 2]);
    }
}
