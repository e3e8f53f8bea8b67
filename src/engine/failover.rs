//! What the engine asks of the failover state machine, and ISC's rules
//! that depend only on its answers.
//!
//! A pool with a failover peer is shared with a partner server: who may
//! allocate which lease, which clients this server answers (load
//! balancing), how long a lease may be granted (MCLT) and where leases go
//! when they expire all depend on the relationship's current state. The
//! state machine owns that state; the engine only reads it through
//! [`FailoverHooks`]. Without hooks (or for pools without a peer) ISC's
//! non-failover rules apply.

use crate::lease::{BindingState, Lease};

pub use crate::failover::ServiceState;
use crate::failover::binding;

/// A relationship as the engine needs to see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerStatus {
    /// The relationship's name (log lines).
    pub name: String,
    /// This server is the primary.
    pub primary: bool,
    /// What the relationship lets this server do.
    pub service: ServiceState,
    /// This server's own state is PARTNER-DOWN (`me.state`).
    pub me_partner_down: bool,
    /// Start time of this server's current state (`me.stos`).
    pub stos: i64,
    /// Maximum client lead time, seconds.
    pub mclt: i64,
    /// ISC's "not responding" reason suffix (`peer->nrr`, e.g.
    /// `" (startup)"`), appended to `...: not responding`.
    pub nrr: String,
}

/// The state machine's side of the engine.
pub trait FailoverHooks {
    /// The relationship with configured peer `peer` (index into
    /// `FailoverConfig::peers`), `None` when it is not running.
    fn status(&self, peer: usize) -> Option<PeerStatus>;

    /// ISC `load_balance_mine`: whether this server answers a DISCOVER
    /// with these `secs`, client identifier and hardware address.
    fn load_balance_mine(&self, peer: usize, secs: u16, client_id: Option<&[u8]>, chaddr: &[u8], hlen: u8) -> bool;
}

/// The crate's failover peers, indexed like `FailoverConfig::peers`.
impl FailoverHooks for [crate::failover::Peer] {
    fn status(&self, peer: usize) -> Option<PeerStatus> {
        let p = self.get(peer)?;
        let (service, nrr) = p.service();
        let rel = p.relationship();
        Some(PeerStatus {
            name: p.name().to_string(),
            primary: rel.role == crate::failover::Role::Primary,
            service,
            me_partner_down: rel.me == crate::failover::FailoverState::PartnerDown,
            stos: rel.stos,
            mclt: rel.mclt,
            nrr: nrr.to_string(),
        })
    }

    fn load_balance_mine(&self, peer: usize, secs: u16, client_id: Option<&[u8]>, chaddr: &[u8], hlen: u8) -> bool {
        let Some(p) = self.get(peer) else { return true };
        p.load_balance(false).is_mine(secs, crate::failover::hash::packet_key(client_id, chaddr, hlen))
    }
}

impl FailoverHooks for Vec<crate::failover::Peer> {
    fn status(&self, peer: usize) -> Option<PeerStatus> {
        self.as_slice().status(peer)
    }

    fn load_balance_mine(&self, peer: usize, secs: u16, client_id: Option<&[u8]>, chaddr: &[u8], hlen: u8) -> bool {
        self.as_slice().load_balance_mine(peer, secs, client_id, chaddr, hlen)
    }
}

/// No failover: every pool behaves as if it had no peer.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFailover;

impl FailoverHooks for NoFailover {
    fn status(&self, _peer: usize) -> Option<PeerStatus> {
        None
    }

    fn load_balance_mine(&self, _peer: usize, _secs: u16, _client_id: Option<&[u8]>, _chaddr: &[u8], _hlen: u8) -> bool {
        true
    }
}

/// ISC `lease_mine_to_reallocate` for a lease whose pool has relationship
/// `peer`, or none: then only FREE and BACKUP leases may be reallocated.
pub fn mine_to_reallocate(lease: &Lease, peer: Option<&PeerStatus>, now: i64) -> bool {
    match peer {
        Some(p) => lease_mine_to_reallocate(lease, p, now),
        None => matches!(lease.binding_state, BindingState::Free | BindingState::Backup),
    }
}

/// ISC `lease_mine_to_reallocate` for a lease of a pool with peer `peer`.
/// Partner-down takes the peer's free leases once max(tsfp, stos) + MCLT
/// is past (`failover::binding::peer_release_time`, the rule the
/// simulation uses). Unlike the simulation this does not also wait for a
/// FREE/BACKUP lease's `ends`: here that is the hold of our own outstanding
/// offer, which the client's REQUEST must still find ours. The rewind of an
/// EXPIRED/RELEASED lease is ISC's: its rewind state is the state last
/// *sent* to the peer, so a lease rewinds only when the peer never heard it
/// was bound.
pub fn lease_mine_to_reallocate(lease: &Lease, peer: &PeerStatus, now: i64) -> bool {
    let partner_down = peer.service == ServiceState::PartnerDown;
    let waited = || now > binding::peer_release_time(lease.tsfp, peer.stos, peer.mclt);
    match lease.binding_state {
        BindingState::Active => false,
        BindingState::Free | BindingState::Abandoned => peer.primary || (partner_down && waited()),
        BindingState::Released | BindingState::Expired => {
            let mine = if peer.primary { BindingState::Free } else { BindingState::Backup };
            lease.rewind_binding_state == Some(mine) || (partner_down && lease.tsfp < now)
        }
        BindingState::Reset => partner_down && lease.tsfp < now,
        BindingState::Backup => !peer.primary || (partner_down && waited()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn peer(primary: bool, service: ServiceState) -> PeerStatus {
        PeerStatus { name: "p".into(), primary, service, me_partner_down: false, stos: 1000, mclt: 60, nrr: String::new() }
    }

    fn lease(state: BindingState) -> Lease {
        let mut l = Lease::new(Ipv4Addr::new(10, 0, 0, 1));
        l.binding_state = state;
        l
    }

    #[test]
    fn primary_owns_free_secondary_owns_backup() {
        let p = peer(true, ServiceState::Cooperating);
        let s = peer(false, ServiceState::Cooperating);
        assert!(lease_mine_to_reallocate(&lease(BindingState::Free), &p, 0));
        assert!(!lease_mine_to_reallocate(&lease(BindingState::Free), &s, 0));
        assert!(lease_mine_to_reallocate(&lease(BindingState::Backup), &s, 0));
        assert!(!lease_mine_to_reallocate(&lease(BindingState::Backup), &p, 0));
        assert!(!lease_mine_to_reallocate(&lease(BindingState::Active), &p, 0));
    }

    #[test]
    fn partner_down_waits_for_mclt() {
        let s = peer(false, ServiceState::PartnerDown);
        let l = lease(BindingState::Free);
        assert!(!lease_mine_to_reallocate(&l, &s, 1060));
        assert!(lease_mine_to_reallocate(&l, &s, 1061));
    }

    #[test]
    fn expired_rewinds_to_own_free_state() {
        let p = peer(true, ServiceState::NotCooperating);
        let mut l = lease(BindingState::Expired);
        l.rewind_binding_state = Some(BindingState::Free);
        assert!(lease_mine_to_reallocate(&l, &p, 0));
        l.rewind_binding_state = Some(BindingState::Active);
        assert!(!lease_mine_to_reallocate(&l, &p, 0));
    }
}
