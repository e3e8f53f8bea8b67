//! The engine's lease database as a failover relationship sees it
//! ([`LeaseTable`]), so the failover state machine can read and change the
//! leases of its pools through the one path every lease change takes
//! ([`LeaseDb::supersede`]).
//!
//! The engine owns the failover hooks and the database side by side;
//! [`Engine::with_peer_table`] lends both at once. Every lease the peer
//! stores comes back in the [`Outcome`]'s `lease_changes`, for the shell to
//! make durable before it sends anything the peer queued after it.

use std::net::Ipv4Addr;

use crate::failover::table::{LeaseTable, PoolId, PoolInfo};
use crate::lease::Lease;

use super::eval::ScopeEvaluator;
use super::failover::{FailoverHooks, PeerStatus};
use super::leasedb::LeaseDb;
use super::outcome::{LogLine, Outcome};
use super::queue::LeaseIdx;
use super::Engine;

/// The pools of one relationship over the engine's database.
struct PeerTable<'a> {
    db: &'a mut LeaseDb,
    /// Engine pool index of each of the relationship's pools.
    pools: Vec<usize>,
    info: Vec<PoolInfo>,
    statuses: &'a [Option<PeerStatus>],
    now: i64,
    changed: Vec<LeaseIdx>,
    logs: Vec<LogLine>,
}

impl PeerTable<'_> {
    fn index(&self, ip: Ipv4Addr) -> Option<(LeaseIdx, usize)> {
        let idx = self.db.by_ip(ip)?;
        let pool = self.db.get(idx).pool?;
        let p = self.pools.iter().position(|&x| x == pool)?;
        Some((idx, p))
    }
}

impl LeaseTable for PeerTable<'_> {
    fn pools(&self) -> &[PoolInfo] {
        &self.info
    }

    fn pool_of(&self, ip: Ipv4Addr) -> Option<PoolId> {
        self.index(ip).map(|(_, p)| PoolId(p))
    }

    fn get(&self, ip: Ipv4Addr) -> Option<&Lease> {
        self.index(ip).map(|(idx, _)| &self.db.get(idx).lease)
    }

    fn put(&mut self, lease: Lease) {
        let Some((idx, p)) = self.index(lease.ip) else { return };
        let status = self.statuses.get(self.pools[p]).and_then(|s| s.as_ref());
        // A change the peer makes is its own update: written, not sent back.
        self.db.supersede(idx, Some(lease), true, false, self.now, status, &mut self.logs);
        self.changed.push(idx);
    }

    fn pool_leases(&self, pool: PoolId) -> Vec<Ipv4Addr> {
        let Some(&engine_pool) = self.pools.get(pool.0) else { return Vec::new() };
        self.db.leases().filter(|l| self.db.by_ip(l.ip).is_some_and(|i| self.db.get(i).pool == Some(engine_pool))).map(|l| l.ip).collect()
    }
}

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// Runs `f` with the failover hooks and the leases of relationship
    /// `peer` (index into `FailoverConfig::peers`) at wall time `now`.
    /// Leases `f` stores are recorded in the returned outcome, with the
    /// log lines and expiry their changes caused.
    pub fn with_peer_table<R>(&mut self, now: i64, peer: usize, f: impl FnOnce(&mut F, &mut dyn LeaseTable) -> R) -> (R, Outcome) {
        let statuses = self.pool_statuses();
        let config = &self.config;
        let pools: Vec<usize> = config
            .pools
            .iter()
            .enumerate()
            .filter(|(_, p)| p.failover_peer == Some(peer) && p.merged_into.is_none())
            .map(|(i, _)| i)
            .collect();
        let info = pools
            .iter()
            .map(|&i| PoolInfo {
                log_id: i as u64,
                network: config.shared_networks.get(config.pools[i].shared_network).map_or_else(String::new, |s| s.name.clone()),
            })
            .collect();
        let mut table = PeerTable { db: &mut self.db, pools, info, statuses: &statuses, now, changed: Vec::new(), logs: Vec::new() };
        let r = f(&mut self.failover, &mut table);
        let PeerTable { changed, logs, .. } = table;
        let mut out = Outcome { logs, ..Outcome::default() };
        self.settle(&mut out);
        for idx in changed {
            out.record(self.db.get(idx).lease.clone());
        }
        (r, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::parser::MemLoader;
    use crate::engine::{IscEvaluator, NoFailover};
    use crate::lease::BindingState;
    use std::sync::Arc;

    const CONF: &str = "failover peer \"fo\" { primary; address 10.0.0.1; peer address 10.0.0.2; mclt 600; split 128; }\n\
        subnet 10.0.0.0 netmask 255.255.255.0 { pool { failover peer \"fo\"; range 10.0.0.10 10.0.0.12; } }\n\
        subnet 10.1.0.0 netmask 255.255.255.0 { range 10.1.0.10 10.1.0.12; }\n";

    fn engine() -> Engine<IscEvaluator, NoFailover> {
        let loader = MemLoader(vec![("d.conf".into(), CONF.as_bytes().to_vec())]);
        let config = crate::conf::check_config("d.conf", &loader).config.expect("config");
        let mut e = Engine::new(Arc::new(config), IscEvaluator::new(), NoFailover);
        let _ = e.start(1_000);
        e
    }

    #[test]
    fn the_table_holds_only_the_relationships_pools_and_records_puts() {
        let mut e = engine();
        let ((pools, members, outside), _) = e.with_peer_table(1_000, 0, |_, t| {
            (t.pools().len(), t.pool_leases(PoolId(0)), t.get(Ipv4Addr::new(10, 1, 0, 10)).is_some())
        });
        assert_eq!(pools, 1);
        assert_eq!(members, (10..=12).map(|i| Ipv4Addr::new(10, 0, 0, i)).collect::<Vec<_>>());
        assert!(!outside);

        let ip = Ipv4Addr::new(10, 0, 0, 11);
        let (_, out) = e.with_peer_table(1_000, 0, |_, t| {
            let mut l = t.get(ip).cloned().expect("lease");
            l.binding_state = BindingState::Backup;
            l.next_binding_state = BindingState::Backup;
            t.put(l);
            // Outside the relationship: ignored.
            t.put(Lease::new(Ipv4Addr::new(10, 1, 0, 10)));
        });
        assert_eq!(out.lease_changes.len(), 1);
        assert_eq!(out.lease_changes[0].ip, ip);
        assert_eq!(e.lease(ip).map(|l| l.binding_state), Some(BindingState::Backup));
    }
}
