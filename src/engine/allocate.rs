//! Pool permits and the choice of a free lease (ISC `permitted`,
//! `allocate_lease`).
//!
//! A pool is tried only if no `deny` matches the client and, when it has
//! `allow` lines, one of them does. In each pool the candidate is the head
//! of the free queue (the secondary of a failover pair takes its backup
//! queue; the partner's queue head is taken instead only when it is older
//! and ours to reallocate), abandoned leases only when nothing else is
//! there. Across pools ISC prefers, in this order: a non-abandoned lease,
//! one never bound to a client, the one that ended longest ago. A
//! candidate whose `ends` lies in the future (an outstanding offer) makes
//! ISC skip the whole pool.

use crate::conf::model::{Config, Permit};
use crate::lease::BindingState;

use super::classify::{ClassRef, Classes};
use super::failover::{lease_mine_to_reallocate, PeerStatus};
use super::leasedb::{LeaseDb, QueueKind};
use super::queue::LeaseIdx;

/// What a permit test needs to know about the client.
#[derive(Clone, Copy, Debug)]
pub struct Client<'a> {
    /// It has a host declaration.
    pub known: bool,
    /// It sent BOOTP (no options, or no message type).
    pub bootp: bool,
    /// Its classes.
    pub classes: &'a [ClassRef],
    /// Wall-clock seconds.
    pub now: i64,
}

/// ISC `permitted`: whether any permit of `list` matches the client.
pub fn permitted(config: &Config, classes: &Classes, list: &[Permit], client: &Client<'_>) -> bool {
    list.iter().any(|p| match p {
        Permit::UnknownClients => !client.known,
        Permit::KnownClients => client.known,
        // No client authenticates in DHCPv4 as ISC runs it.
        Permit::AuthenticatedClients => false,
        Permit::UnauthenticatedClients => true,
        Permit::AllClients => true,
        Permit::DynamicBootpClients => client.bootp,
        Permit::Class(Some(c)) => client
            .classes
            .iter()
            .any(|&k| k == ClassRef::Config(*c) || classes.superclass(config, k) == Some(*c)),
        Permit::Class(None) => false,
        Permit::After(t) => client.now > *t,
    })
}

/// Whether `pool` lets the client in (no deny matches; an allow does, if
/// there are allow lines).
pub fn pool_admits(config: &Config, classes: &Classes, pool: usize, client: &Client<'_>) -> bool {
    let p = &config.pools[pool];
    let denied = !p.prohibits.is_empty() && permitted(config, classes, &p.prohibits, client);
    let allowed = p.permits.is_empty() || permitted(config, classes, &p.permits, client);
    allowed && !denied
}

/// ISC `allocate_lease` over the pools of a shared network. Returns the
/// lease, and whether a failover partner holds free leases we could not
/// take (ISC's `peer_has_leases`).
pub fn allocate(
    config: &Config,
    classes: &Classes,
    db: &LeaseDb,
    pools: &[usize],
    client: &Client<'_>,
    peer: &dyn Fn(usize) -> Option<PeerStatus>,
) -> (Option<LeaseIdx>, bool) {
    let mut chosen: Option<LeaseIdx> = None;
    let mut peer_has_leases = false;
    for &pool in pools {
        if !pool_admits(config, classes, pool, client) {
            continue;
        }
        let st = db.pool(pool);
        let head = |k: QueueKind| st.queue(k).first().map(|(_, i)| i);
        let cand = match peer(pool) {
            Some(p) => {
                let (mine, theirs) =
                    if p.primary { (QueueKind::Free, QueueKind::Backup) } else { (QueueKind::Backup, QueueKind::Free) };
                let mut cand = head(mine);
                if let Some(pl) = head(theirs) {
                    let older = cand.map_or(true, |c| db.get(c).lease.ends > db.get(pl).lease.ends);
                    if older && lease_mine_to_reallocate(&db.get(pl).lease, &p, client.now) {
                        cand = Some(pl);
                    } else {
                        peer_has_leases = true;
                    }
                }
                if cand.is_none() {
                    cand = head(QueueKind::Abandoned).filter(|&a| lease_mine_to_reallocate(&db.get(a).lease, &p, client.now));
                }
                cand
            }
            None => head(QueueKind::Free).or_else(|| head(QueueKind::Abandoned)),
        };
        let Some(c) = cand else { continue };
        let cl = &db.get(c).lease;
        if cl.binding_state != BindingState::Abandoned && cl.ends > client.now {
            continue;
        }
        let Some(cur) = chosen else {
            chosen = Some(c);
            continue;
        };
        let l = &db.get(cur).lease;
        if l.binding_state == BindingState::Abandoned {
            if cl.binding_state != BindingState::Abandoned || cl.ends < l.ends {
                chosen = Some(c);
            }
            continue;
        } else if cl.binding_state == BindingState::Abandoned {
            continue;
        }
        let used = |x: &crate::lease::Lease| x.uid.as_ref().is_some_and(|u| !u.is_empty()) || x.hardware.is_some();
        if used(l) {
            if !used(cl) || cl.ends < l.ends {
                chosen = Some(c);
            }
            continue;
        } else if used(cl) {
            continue;
        }
        if cl.ends < l.ends {
            chosen = Some(c);
        }
    }
    (chosen, peer_has_leases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::model::{Class, Pool, Range};
    use std::net::Ipv4Addr;

    fn class(name: &str, superclass: Option<usize>) -> Class {
        Class {
            name: Some(name.into()),
            group: 0,
            superclass,
            hash_string: superclass.map(|_| b"x".to_vec()),
            match_if: None,
            submatch: None,
            spawning: false,
            lease_limit: None,
            dynamic: false,
            deleted: false,
        }
    }

    #[test]
    fn permits_follow_isc() {
        let mut config = Config::default();
        config.classes.push(class("a", None));
        config.classes.push(class("sub", Some(0)));
        let classes = Classes::new(&config);
        let member = [ClassRef::Config(1)];
        let c = Client { known: false, bootp: false, classes: &member, now: 100 };
        assert!(permitted(&config, &classes, &[Permit::Class(Some(0))], &c), "a subclass is a member of its class");
        assert!(permitted(&config, &classes, &[Permit::UnknownClients], &c));
        assert!(!permitted(&config, &classes, &[Permit::KnownClients], &c));
        assert!(!permitted(&config, &classes, &[Permit::DynamicBootpClients], &c));
        assert!(permitted(&config, &classes, &[Permit::After(99)], &c));
        assert!(!permitted(&config, &classes, &[Permit::After(100)], &c));
        assert!(!permitted(&config, &classes, &[], &c));
    }

    fn two_pools() -> Config {
        let mut c = Config::default();
        for (i, lo) in [[10, 0, 0, 10], [10, 0, 0, 20]].into_iter().enumerate() {
            c.pools.push(Pool {
                shared_network: 0,
                group: 0,
                permits: if i == 0 { vec![Permit::KnownClients] } else { vec![] },
                prohibits: vec![],
                valid_from: None,
                valid_until: None,
                failover_peer: None,
                ranges: vec![Range { low: Ipv4Addr::from(lo), high: Ipv4Addr::from(lo), dynamic_bootp: false, subnet: 0 }],
                implicit: false,
                merged_into: None,
            });
        }
        c
    }

    #[test]
    fn allocation_respects_allow_lists() {
        let config = two_pools();
        let classes = Classes::new(&config);
        let mut db = LeaseDb::new(&config);
        db.instantiate(1000, &|_| None);
        let unknown = Client { known: false, bootp: false, classes: &[], now: 1000 };
        let (got, _) = allocate(&config, &classes, &db, &[0, 1], &unknown, &|_| None);
        assert_eq!(db.get(got.unwrap()).lease.ip, Ipv4Addr::new(10, 0, 0, 20));
        let known = Client { known: true, ..unknown };
        let (got, _) = allocate(&config, &classes, &db, &[0, 1], &known, &|_| None);
        // Both fit; equal ends: the first pool's stays.
        assert_eq!(db.get(got.unwrap()).lease.ip, Ipv4Addr::new(10, 0, 0, 10));
    }
}
