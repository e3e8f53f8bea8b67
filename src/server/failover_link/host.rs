//! [`PeerHost`]: what owns the failover peers and the leases they share.
//!
//! When serving, that is the DHCP engine: the peers are its failover hooks
//! and its lease database is their lease table. Tests can host peers over
//! an in-memory table instead.

use crate::engine::{Engine, ScopeEvaluator};
use crate::failover::{LeaseTable, Peer};
use crate::lease::Lease;

/// Owner of the failover peers (indexed like `FailoverConfig::peers`) and
/// of the leases they read and change.
pub trait PeerHost {
    /// Peer `k`, if there is one.
    fn peer(&self, k: usize) -> Option<&Peer>;

    /// Runs `f` with peer `k` and its lease table; returns what `f`
    /// returned and the leases `f` changed (to be written to the lease
    /// file), or `None` when there is no peer `k`.
    fn with_peer<R>(&mut self, k: usize, f: impl FnOnce(&mut Peer, &mut dyn LeaseTable) -> R) -> Option<(R, Vec<Lease>)>;
}

impl<E: ScopeEvaluator> PeerHost for Engine<E, Vec<Peer>> {
    fn peer(&self, k: usize) -> Option<&Peer> {
        self.failover().get(k)
    }

    fn with_peer<R>(&mut self, k: usize, f: impl FnOnce(&mut Peer, &mut dyn LeaseTable) -> R) -> Option<(R, Vec<Lease>)> {
        self.failover().get(k)?;
        let (r, changed) = self.with_failover_table(k, |peers, t| peers.get_mut(k).map(|p| f(p, t)));
        r.map(|r| (r, changed))
    }
}
