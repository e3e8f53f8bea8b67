//! Tests of the lease database: ISC's start-up queue order, expiry,
//! refused addresses and client chains.

use super::*;
use crate::conf::model::{Pool, Range};

fn config(ranges: &[(u32, u32)]) -> Config {
    let mut c = Config::default();
    c.pools.push(Pool {
        shared_network: 0,
        group: 0,
        permits: vec![],
        prohibits: vec![],
        valid_from: None,
        valid_until: None,
        failover_peer: None,
        ranges: ranges
            .iter()
            .map(|&(a, b)| Range { low: Ipv4Addr::from(a), high: Ipv4Addr::from(b), dynamic_bootp: false, subnet: 0 })
            .collect(),
        implicit: false,
        merged_into: None,
    });
    c
}

fn free_order(db: &LeaseDb) -> Vec<Ipv4Addr> {
    db.pool(0).queue(QueueKind::Free).iter().map(|(_, i)| db.get(i).lease.ip).collect()
}

#[test]
fn startup_free_queue_follows_isc_hash_order() {
    // 10.0.128.106 is a multiple of 100003: ISC hands it out first.
    let lo = u32::from(Ipv4Addr::new(10, 0, 128, 100));
    let mut db = LeaseDb::new(&config(&[(lo, lo + 10)]));
    db.instantiate(1000, &|_| None);
    let order = free_order(&db);
    assert_eq!(order[0], Ipv4Addr::new(10, 0, 128, 106));
    assert_eq!(order[4], Ipv4Addr::new(10, 0, 128, 110));
    assert_eq!(order[5], Ipv4Addr::new(10, 0, 128, 100));
    assert_eq!(db.pool(0).free_leases, 11);
    assert_eq!(db.pool(0).lease_count, 11);
}

#[test]
fn active_lease_expires_to_free_without_peer() {
    let lo = u32::from(Ipv4Addr::new(10, 0, 0, 10));
    let mut db = LeaseDb::new(&config(&[(lo, lo + 1)]));
    let mut l = Lease::new(Ipv4Addr::new(10, 0, 0, 10));
    l.binding_state = BindingState::Active;
    l.next_binding_state = BindingState::Free;
    l.ends = 2000;
    l.uid = Some(b"abc".to_vec());
    db.enter(l).unwrap();
    assert!(db.instantiate(1000, &|_| None).is_empty());
    assert_eq!(db.by_uid(b"abc").len(), 1);
    assert_eq!(db.next_event(1000, &|_| None), Some(2000));
    assert_eq!(db.pools_due(2000, &|_| None), vec![0]);
    let changed = db.pool_timer(0, 2000, None);
    assert_eq!(changed.len(), 1);
    let e = db.get(changed[0]);
    assert_eq!(e.lease.binding_state, BindingState::Free);
    assert_eq!(e.lease.tstp, 2000);
    // The uid stays: the client prefers its old address next time.
    assert_eq!(db.by_uid(b"abc").len(), 1);
    assert_eq!(db.next_event(2000, &|_| None), None);
}

#[test]
fn unknown_address_is_refused_like_isc() {
    let mut db = LeaseDb::new(&config(&[]));
    let err = db.enter(Lease::new(Ipv4Addr::new(192, 0, 2, 1))).unwrap_err();
    assert_eq!(err.text, "lease 192.0.2.1: no subnet.");
}

#[test]
fn client_chain_puts_active_first() {
    let lo = u32::from(Ipv4Addr::new(10, 0, 0, 10));
    let mut db = LeaseDb::new(&config(&[(lo, lo + 2)]));
    for (i, st) in [BindingState::Free, BindingState::Active, BindingState::Free].into_iter().enumerate() {
        let mut l = Lease::new(Ipv4Addr::from(lo + i as u32));
        l.binding_state = st;
        l.next_binding_state = BindingState::Free;
        l.ends = 5000;
        l.cltt = i as i64;
        l.uid = Some(b"x".to_vec());
        db.enter(l).unwrap();
    }
    db.instantiate(1000, &|_| None);
    let chain: Vec<Ipv4Addr> = db.by_uid(b"x").iter().map(|&i| db.get(i).lease.ip).collect();
    assert_eq!(chain[0], Ipv4Addr::from(lo + 1));
}

/// Every queued lease is found at the key its entry records, and every
/// queue entry's lease records that key.
fn assert_queues_consistent(db: &LeaseDb) {
    for (idx, e) in db.entries.iter().enumerate() {
        if let (Some(pool), Some((kind, key))) = (e.pool, e.queue) {
            assert_eq!(db.pools[pool].queues[kind as usize].at(key), Some(idx), "lease {}", e.lease.ip);
        }
    }
    for st in &db.pools {
        for q in &st.queues {
            for (key, idx) in q.iter() {
                assert_eq!(db.entries[idx].queue.map(|(_, k)| k), Some(key), "lease {}", db.entries[idx].lease.ip);
            }
        }
    }
}

/// A relationship in normal operation (MCLT 3600, in that state since 0).
fn cooperating_peer(primary: bool) -> PeerStatus {
    PeerStatus {
        name: "p".into(),
        primary,
        service: ServiceState::Cooperating,
        me_partner_down: false,
        stos: 0,
        mclt: 3600,
        nrr: String::new(),
    }
}

/// A lease at `ip` in binding state `st` (and staying there).
fn lease_in(ip: u32, st: BindingState) -> Lease {
    let mut l = Lease::new(Ipv4Addr::from(ip));
    l.binding_state = st;
    l.next_binding_state = st;
    l
}

#[test]
fn startup_respacing_keeps_every_lease_findable() {
    // ISC's start-up order puts a free lease, then a backup one, then a long
    // run of free leases: the run goes before the first free lease, each
    // after the previous, halving the gap until the labels are exhausted
    // and respaced. A respaced lease whose entry kept its old key stayed
    // queued as free after it was bound (a secondary then refused every
    // client: "peer holds all free leases").
    let lo = u32::from(Ipv4Addr::new(10, 0, 128, 106));
    let n = 200;
    let mut c = config(&[(lo, lo + n)]);
    c.pools[0].failover_peer = Some(0);
    let mut db = LeaseDb::new(&c);
    for i in 0..=n {
        let st = if i == 1 { BindingState::Backup } else { BindingState::Free };
        db.enter(lease_in(lo + i, st)).unwrap();
    }
    let peer = cooperating_peer(true);
    db.instantiate(1000, &|_| Some(peer.clone()));
    assert_queues_consistent(&db);
    let order = free_order(&db);
    assert_eq!(order.len(), n as usize);
    assert_eq!(order[0], Ipv4Addr::from(lo + 2));
    assert_eq!(*order.last().unwrap(), Ipv4Addr::from(lo));

    // Binding every free lease in turn leaves the free queue empty: none
    // stays behind under a stale key.
    for _ in 0..=n {
        let Some((_, idx)) = db.pool(0).queue(QueueKind::Free).first() else { break };
        let mut l = db.get(idx).lease.clone();
        l.binding_state = BindingState::Active;
        l.next_binding_state = BindingState::Expired;
        l.ends = 5000;
        db.install(idx, l, Some(&peer));
    }
    assert!(db.pool(0).queue(QueueKind::Free).is_empty());
    assert_queues_consistent(&db);
    assert_eq!(db.pool(0).queue(QueueKind::Active).len(), n as usize);
}

#[test]
fn queue_keys_stay_true_across_random_start_ups_and_moves() {
    // Runs of one state of random length, in ISC's start-up order, then
    // random moves between states: every queued lease must stay at its
    // recorded key (a respacing that forgot one left a bound lease queued).
    let lo = u32::from(Ipv4Addr::new(10, 0, 128, 106));
    let n = 3000u32;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let states = [BindingState::Free, BindingState::Backup, BindingState::Active, BindingState::Expired];
    let mut c = config(&[(lo, lo + n - 1)]);
    c.pools[0].failover_peer = Some(0);
    let mut db = LeaseDb::new(&c);
    let mut i = 0;
    while i < n {
        let st = states[rnd(4) as usize];
        let longest = if rnd(4) == 0 { 120 } else { 4 };
        let run = 1 + rnd(longest) as u32;
        for ip in (lo + i)..(lo + i + run).min(lo + n) {
            let mut l = lease_in(ip, st);
            // Mostly equal sort times, as after a pool split.
            l.ends = if st == BindingState::Active { 10_000 + rnd(3) as i64 } else { 0 };
            db.enter(l).unwrap();
        }
        i += run;
    }
    let peer = cooperating_peer(false);
    db.instantiate(1000, &|_| Some(peer.clone()));
    assert_queues_consistent(&db);
    for _ in 0..2000 {
        let idx = rnd(u64::from(n)) as usize;
        let mut l = db.get(idx).lease.clone();
        let st = states[rnd(4) as usize];
        l.binding_state = st;
        l.next_binding_state = st;
        l.ends = rnd(3) as i64;
        db.install(idx, l, Some(&peer));
    }
    assert_queues_consistent(&db);
    let queued: usize = db.pools[0].queues.iter().map(|q| q.len()).sum();
    assert_eq!(queued, n as usize);
}
