//! The engine's lease database seen as a failover relationship's
//! [`LeaseTable`]: the view the failover peer reads and changes leases
//! through, so the DHCP side and the failover side share one copy of every
//! lease (as ISC's single `lease` structures are shared).
//!
//! A relationship's pools are the configuration's pools that name it (after
//! ISC's pool merging). A lease the peer stores goes back into the database
//! with [`LeaseDb::install`], which keeps the queues, hashes and class
//! billing consistent; the changed leases are handed to the caller to write
//! to the lease file, durable before anything the peer sends about them.

use std::net::Ipv4Addr;

use crate::conf::model::Config;
use crate::failover::balance::PoolCounts;
use crate::failover::table::{LeaseTable, PoolId, PoolInfo};
use crate::lease::{BindingState, Lease, Time};

use super::failover::PeerStatus;
use super::leasedb::{LeaseDb, QueueKind};
use super::queue::LeaseIdx;

/// The pools of one relationship: database pool numbers and what the
/// peer logs about each, in configuration order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelationshipPools {
    /// Indices into `Config::pools` (owners only: merged pools live there).
    pub pools: Vec<usize>,
    /// One entry per pool, for the peer's balancing lines.
    pub infos: Vec<PoolInfo>,
}

impl RelationshipPools {
    /// The pools of every relationship of `config`, indexed like
    /// `FailoverConfig::peers`.
    pub fn of_config(config: &Config) -> Vec<RelationshipPools> {
        let mut out = vec![RelationshipPools::default(); config.failover.peers.len()];
        for (p, pool) in config.pools.iter().enumerate() {
            if pool.merged_into.is_some() {
                continue;
            }
            let Some(rel) = pool.failover_peer.and_then(|k| out.get_mut(k)) else { continue };
            let network = config
                .shared_networks
                .get(pool.shared_network)
                .map_or_else(String::new, |s| s.name.clone());
            rel.pools.push(p);
            // ISC prints the pool structure's address; a stable number
            // that differs per pool serves the same purpose.
            rel.infos.push(PoolInfo { log_id: 0x1000 + p as u64, network });
        }
        out
    }
}

/// One relationship's leases inside the engine's database.
pub struct EngineTable<'a> {
    db: &'a mut LeaseDb,
    rel: &'a RelationshipPools,
    /// The relationship as it stood when the view was made (queue sort
    /// times depend on it).
    status: Option<PeerStatus>,
    changed: Vec<LeaseIdx>,
}

impl<'a> EngineTable<'a> {
    /// A view of `rel`'s pools in `db`.
    pub fn new(db: &'a mut LeaseDb, rel: &'a RelationshipPools, status: Option<PeerStatus>) -> Self {
        EngineTable { db, rel, status, changed: Vec::new() }
    }

    /// The leases stored through the view, once each, in the order first
    /// stored: to be written to the lease file.
    pub fn into_changed(self) -> Vec<Lease> {
        let mut seen = std::collections::HashSet::new();
        let db = self.db;
        self.changed.into_iter().filter(|i| seen.insert(*i)).map(|i| db.get(i).lease.clone()).collect()
    }

    fn index(&self, ip: Ipv4Addr) -> Option<(LeaseIdx, PoolId)> {
        let idx = self.db.by_ip(ip)?;
        let pool = self.db.get(idx).pool?;
        let pos = self.rel.pools.iter().position(|&p| p == pool)?;
        Some((idx, PoolId(pos)))
    }

    fn db_pool(&self, pool: PoolId) -> Option<usize> {
        self.rel.pools.get(pool.0).copied()
    }

    fn queue_of(state: BindingState) -> Option<QueueKind> {
        match state {
            BindingState::Free => Some(QueueKind::Free),
            BindingState::Backup => Some(QueueKind::Backup),
            _ => None,
        }
    }
}

impl LeaseTable for EngineTable<'_> {
    fn pools(&self) -> &[PoolInfo] {
        &self.rel.infos
    }

    fn pool_of(&self, ip: Ipv4Addr) -> Option<PoolId> {
        self.index(ip).map(|(_, p)| p)
    }

    fn get(&self, ip: Ipv4Addr) -> Option<&Lease> {
        let (idx, _) = self.index(ip)?;
        Some(&self.db.get(idx).lease)
    }

    fn put(&mut self, lease: Lease) {
        let Some((idx, _)) = self.index(lease.ip) else { return };
        self.db.install(idx, lease, self.status.as_ref());
        self.changed.push(idx);
    }

    fn put_in_place(&mut self, lease: Lease) {
        let Some((idx, _)) = self.index(lease.ip) else { return };
        self.db.rewrite(idx, lease, self.status.as_ref());
        self.changed.push(idx);
    }

    fn pool_leases(&self, pool: PoolId) -> Vec<Ipv4Addr> {
        let Some(p) = self.db_pool(pool) else { return Vec::new() };
        let st = self.db.pool(p);
        let mut out: Vec<Ipv4Addr> = QueueKind::ALL
            .iter()
            .flat_map(|&k| st.queue(k).iter().map(|(_, i)| self.db.get(i).lease.ip))
            .collect();
        out.sort_unstable();
        out
    }

    fn counts(&self, pool: PoolId) -> PoolCounts {
        let Some(p) = self.db_pool(pool) else { return PoolCounts::default() };
        let st = self.db.pool(p);
        PoolCounts {
            lease_count: QueueKind::ALL.iter().map(|&k| st.queue(k).len() as i64).sum(),
            free: st.queue(QueueKind::Free).len() as i64,
            backup: st.queue(QueueKind::Backup).len() as i64,
        }
    }

    fn queue(&self, pool: PoolId, state: BindingState) -> Vec<Ipv4Addr> {
        let (Some(p), Some(kind)) = (self.db_pool(pool), Self::queue_of(state)) else {
            return scan_queue(self, pool, state);
        };
        self.db.pool(p).queue(kind).iter().map(|(_, i)| self.db.get(i).lease.ip).collect()
    }

    fn oldest(&self, pool: PoolId, state: BindingState) -> Option<Time> {
        let (Some(p), Some(kind)) = (self.db_pool(pool), Self::queue_of(state)) else {
            return scan_queue(self, pool, state).first().and_then(|ip| self.get(*ip)).map(|l| l.ends);
        };
        self.db.pool(p).queue(kind).first().map(|(_, i)| self.db.get(i).lease.ends)
    }
}

/// The leases of `pool` in `state` (not reserved), oldest `ends` first:
/// for states the database does not keep a queue of their own.
fn scan_queue(t: &EngineTable<'_>, pool: PoolId, state: BindingState) -> Vec<Ipv4Addr> {
    let mut q: Vec<(Time, Ipv4Addr)> = t
        .pool_leases(pool)
        .into_iter()
        .filter_map(|ip| t.get(ip))
        .filter(|l| l.binding_state == state && !l.reserved)
        .map(|l| (l.ends, l.ip))
        .collect();
    q.sort_unstable();
    q.into_iter().map(|(_, ip)| ip).collect()
}

#[cfg(test)]
#[path = "failover_table_tests.rs"]
mod tests;
