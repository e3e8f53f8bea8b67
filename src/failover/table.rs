//! The leases a failover relationship covers, as the peer sees them.
//!
//! [`LeaseTable`] is the narrow view the failover peer needs of the lease
//! database: the pools that name the relationship, the leases in them, and
//! a way to store a changed lease. The server backs it with its lease
//! database (where `put` also appends the lease to `dhcpd.leases`);
//! [`MemLeaseTable`] is a plain in-memory one for tests and tools.
//!
//! Durability is the caller's side of the contract: ISC writes and fsyncs a
//! lease before it acknowledges it, so the event loop must make every `put`
//! durable before it sends what `poll_transmit` gives it.
//!
//! The provided methods scan the pool; a database that keeps ISC's per-state
//! queues can override them.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use crate::failover::balance::PoolCounts;
use crate::lease::{BindingState, Lease, Time};

/// A pool of the relationship (index into [`LeaseTable::pools`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolId(pub usize);

/// What the peer logs about a pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolInfo {
    /// A number that names the pool in balancing lines (ISC prints the
    /// pool's address in hex there).
    pub log_id: u64,
    /// The shared network's name (`10.50.0.0/24` for an implicit one).
    pub network: String,
}

/// The leases of one failover relationship.
pub trait LeaseTable {
    /// The pools that name this relationship, in configuration order.
    fn pools(&self) -> &[PoolInfo];

    /// The pool `ip` belongs to, if it is one of this relationship's.
    fn pool_of(&self, ip: Ipv4Addr) -> Option<PoolId>;

    /// The lease for `ip`, if it is one of this relationship's.
    fn get(&self, ip: Ipv4Addr) -> Option<&Lease>;

    /// Stores a changed lease (and writes it to the lease file).
    fn put(&mut self, lease: Lease);

    /// Stores a lease whose binding state, end and client did not change
    /// (only its failover times or rewind state did), and writes it. ISC
    /// writes such a lease without superseding it (`write_lease` alone, when
    /// a BNDUPD goes out or the peer acknowledges the state it already has),
    /// so it keeps its place in its queue, which decides the next lease
    /// handed out or given away. Tables without queue order store it like
    /// [`put`](Self::put).
    fn put_in_place(&mut self, lease: Lease) {
        self.put(lease);
    }

    /// Every lease address of `pool`.
    fn pool_leases(&self, pool: PoolId) -> Vec<Ipv4Addr>;

    /// The FREE and BACKUP counts balancing uses (reserved leases excluded).
    fn counts(&self, pool: PoolId) -> PoolCounts {
        let mut c = PoolCounts::default();
        for ip in self.pool_leases(pool) {
            let Some(l) = self.get(ip) else { continue };
            c.lease_count += 1;
            match l.binding_state {
                BindingState::Free if !l.reserved => c.free += 1,
                BindingState::Backup if !l.reserved => c.backup += 1,
                _ => {}
            }
        }
        c
    }

    /// The unreserved leases of `pool` in `state`, oldest `ends` first (ISC's
    /// queue order; equal times by address).
    fn queue(&self, pool: PoolId, state: BindingState) -> Vec<Ipv4Addr> {
        let mut q: Vec<(Time, Ipv4Addr)> = self
            .pool_leases(pool)
            .into_iter()
            .filter_map(|ip| self.get(ip))
            .filter(|l| l.binding_state == state && !l.reserved)
            .map(|l| (l.ends, l.ip))
            .collect();
        q.sort_unstable();
        q.into_iter().map(|(_, ip)| ip).collect()
    }

    /// `ends` of the oldest unreserved lease of `pool` in `state`.
    fn oldest(&self, pool: PoolId, state: BindingState) -> Option<Time> {
        self.pool_leases(pool)
            .into_iter()
            .filter_map(|ip| self.get(ip))
            .filter(|l| l.binding_state == state && !l.reserved)
            .map(|l| l.ends)
            .min()
    }

    /// Every lease of every pool, in ISC's UPDREQALL order: per pool, the
    /// free, active, expired (with released and reset), abandoned, backup
    /// and reserved queues.
    fn all_in_update_order(&self) -> Vec<Ipv4Addr> {
        let mut out = Vec::new();
        for p in 0..self.pools().len() {
            let pool = PoolId(p);
            let mut leases: Vec<(u8, Time, Ipv4Addr)> = self
                .pool_leases(pool)
                .into_iter()
                .filter_map(|ip| self.get(ip))
                .map(|l| (update_rank(l), l.ends, l.ip))
                .collect();
            leases.sort_unstable();
            out.extend(leases.into_iter().map(|(_, _, ip)| ip));
        }
        out
    }
}

/// The queue a lease sits on, numbered in UPDREQALL order.
fn update_rank(l: &Lease) -> u8 {
    use BindingState as B;
    match l.binding_state {
        B::Free | B::Backup if l.reserved => 5,
        B::Free => 0,
        B::Active => 1,
        B::Expired | B::Released | B::Reset => 2,
        B::Abandoned => 3,
        B::Backup => 4,
    }
}

/// An in-memory [`LeaseTable`].
#[derive(Clone, Debug, Default)]
pub struct MemLeaseTable {
    pools: Vec<PoolInfo>,
    members: Vec<Vec<Ipv4Addr>>,
    pool_of: HashMap<Ipv4Addr, PoolId>,
    leases: BTreeMap<Ipv4Addr, Lease>,
    /// How many times `put` was called (a stand-in for lease-file writes).
    pub writes: u64,
}

impl MemLeaseTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a pool holding a fresh FREE lease for every address in `ips`
    /// (ISC's `new_address_range`).
    pub fn add_pool(&mut self, info: PoolInfo, ips: impl IntoIterator<Item = Ipv4Addr>) -> PoolId {
        let id = PoolId(self.pools.len());
        let ips: Vec<Ipv4Addr> = ips.into_iter().collect();
        for &ip in &ips {
            self.pool_of.insert(ip, id);
            self.leases.entry(ip).or_insert_with(|| Lease::new(ip));
        }
        self.pools.push(info);
        self.members.push(ips);
        id
    }

    /// Every lease, by address.
    pub fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.leases.values()
    }
}

impl LeaseTable for MemLeaseTable {
    fn pools(&self) -> &[PoolInfo] {
        &self.pools
    }

    fn pool_of(&self, ip: Ipv4Addr) -> Option<PoolId> {
        self.pool_of.get(&ip).copied()
    }

    fn get(&self, ip: Ipv4Addr) -> Option<&Lease> {
        self.leases.get(&ip)
    }

    fn put(&mut self, lease: Lease) {
        if self.pool_of.contains_key(&lease.ip) {
            self.writes += 1;
            self.leases.insert(lease.ip, lease);
        }
    }

    fn pool_leases(&self, pool: PoolId) -> Vec<Ipv4Addr> {
        self.members.get(pool.0).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> MemLeaseTable {
        let mut t = MemLeaseTable::new();
        t.add_pool(
            PoolInfo {
                log_id: 1,
                network: "10.0.0.0/24".into(),
            },
            (1..=6).map(|i| Ipv4Addr::new(10, 0, 0, i)),
        );
        t
    }

    #[test]
    fn counts_queues_and_update_order() {
        let mut t = table();
        let ip = |i| Ipv4Addr::new(10, 0, 0, i);
        for (i, s, ends) in [
            (2, BindingState::Backup, 5),
            (3, BindingState::Active, 9),
            (4, BindingState::Free, 7),
        ] {
            let mut l = t.get(ip(i)).unwrap().clone();
            l.binding_state = s;
            l.ends = ends;
            t.put(l);
        }
        let mut r = t.get(ip(6)).unwrap().clone();
        r.reserved = true;
        t.put(r);
        assert_eq!(
            t.counts(PoolId(0)),
            PoolCounts {
                lease_count: 6,
                free: 3,
                backup: 1
            }
        );
        assert_eq!(t.queue(PoolId(0), BindingState::Free), vec![ip(1), ip(5), ip(4)]);
        assert_eq!(t.oldest(PoolId(0), BindingState::Backup), Some(5));
        assert_eq!(t.all_in_update_order(), vec![ip(1), ip(5), ip(4), ip(3), ip(2), ip(6)]);
        assert_eq!(t.pool_of(Ipv4Addr::new(10, 0, 1, 1)), None);
        t.put(Lease::new(Ipv4Addr::new(10, 0, 1, 1)));
        assert!(t.get(Ipv4Addr::new(10, 0, 1, 1)).is_none());
        assert_eq!(t.writes, 4);
    }
}
