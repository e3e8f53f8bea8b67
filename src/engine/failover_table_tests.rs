//! The engine's database as a failover lease table: the view itself, then
//! two engines whose failover peers talk over an in-memory connection, so
//! the whole path (balancing gifts stored in the database, a DHCP ACK sent
//! to the partner as BNDUPD and stored there) runs through real code.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use super::*;
use crate::engine::tests::{dora, engine_with, ip, lease, send, Client, T0};
use crate::engine::{Engine, IscEvaluator};
use crate::failover::{Event, FailoverState, LinkId, Peer, PeerConfig};
use crate::time::Now;

fn conf(primary: bool) -> String {
    let role = if primary {
        "primary;\n  mclt 600;\n  split 128;\n  load balance max seconds 3;"
    } else {
        "secondary;"
    };
    let (me, peer) = if primary { ("10.0.0.1", "10.0.0.2") } else { ("10.0.0.2", "10.0.0.1") };
    format!(
        "authoritative;\nping-check false;\ndefault-lease-time 3600;\n\
         failover peer \"fo\" {{\n  {role}\n  address {me};\n  port 647;\n  peer address {peer};\n  peer port 647;\n\
         max-response-delay 60;\n  max-unacked-updates 10;\n}}\n\
         subnet 10.0.0.0 netmask 255.255.255.0 {{\n  pool {{\n    failover peer \"fo\";\n    range 10.0.0.10 10.0.0.17;\n  }}\n}}\n"
    )
}

type FoEngine = Engine<IscEvaluator, Vec<Peer>>;

fn side(primary: bool, base: Instant) -> FoEngine {
    let text = conf(primary);
    let loader = crate::conf::parser::MemLoader(vec![("dhcpd.conf".into(), text.as_bytes().to_vec())]);
    let config = crate::conf::check_config("dhcpd.conf", &loader).config.expect("config");
    let now = Now { mono: base, wall: T0, wall_micros: 0 };
    let peers = config
        .failover
        .peers
        .iter()
        .map(|p| Peer::new(PeerConfig::from_conf(p, T0), None, now, 7))
        .collect();
    engine_with(&text, peers, Vec::new())
}

#[test]
fn the_view_counts_queues_and_stores() {
    let base = Instant::now();
    let mut e = side(true, base);
    let ((), changed) = e.with_failover_table(0, |_, t| {
        assert_eq!(t.pools().len(), 1);
        assert_eq!(t.pools()[0].network, "10.0.0.0/24");
        assert_eq!(t.pool_of(ip(10)), Some(PoolId(0)));
        assert_eq!(t.pool_of(ip(9)), None);
        assert!(t.get(ip(9)).is_none());
        let c = t.counts(PoolId(0));
        assert_eq!((c.lease_count, c.free, c.backup), (8, 8, 0));
        let mut l = t.get(ip(12)).unwrap().clone();
        l.binding_state = BindingState::Backup;
        l.next_binding_state = BindingState::Backup;
        l.ends = T0 - 5;
        t.put(l);
        let c = t.counts(PoolId(0));
        assert_eq!((c.free, c.backup), (7, 1));
        assert_eq!(t.queue(PoolId(0), BindingState::Backup), vec![ip(12)]);
        assert_eq!(t.oldest(PoolId(0), BindingState::Backup), Some(T0 - 5));
        assert_eq!(t.queue(PoolId(0), BindingState::Free).len(), 7);
        assert_eq!(t.queue(PoolId(0), BindingState::Active), Vec::<Ipv4Addr>::new());
        assert_eq!(t.pool_leases(PoolId(0)).len(), 8);
        // Outside the relationship: ignored.
        t.put(Lease::new(ip(200)));
    });
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].binding_state, BindingState::Backup);
    assert_eq!(lease(&e, ip(12)).binding_state, BindingState::Backup);
    // The DHCP side sees the move: serving alone (partner-down, within
    // MCLT) the primary hands out its seven FREE leases, never that one.
    let now = Now { mono: base, wall: T0, wall_micros: 0 };
    e.with_failover_table(0, |peers, t| peers[0].set_state(now, FailoverState::PartnerDown, t));
    for n in 1..=7 {
        let (a, _) = dora(&mut e, T0, &Client::new(n));
        assert_ne!(a, ip(12));
    }
}

/// Two engines, their peers joined by one in-memory connection.
struct Pair {
    e: [FoEngine; 2],
    base: Instant,
    wall: i64,
    written: [Vec<Lease>; 2],
}

impl Pair {
    fn now(&self) -> Now {
        Now { mono: self.base + Duration::from_secs((self.wall - T0) as u64), wall: self.wall, wall_micros: 0 }
    }

    /// Runs `f` on side `i`'s peer, then moves whatever it sent to the
    /// other side, until both are quiet.
    fn drive(&mut self, i: usize, f: impl FnOnce(&mut Peer, &mut dyn crate::failover::LeaseTable, Now)) {
        let now = self.now();
        let mut inbox: [Vec<Vec<u8>>; 2] = [Vec::new(), Vec::new()];
        let (out, changed) = self.e[i].with_failover_table(0, |peers, t| {
            f(&mut peers[0], t, now);
            drain(&mut peers[0])
        });
        self.written[i].extend(changed);
        inbox[1 - i] = out;
        loop {
            let mut moved = false;
            for j in 0..2 {
                for bytes in std::mem::take(&mut inbox[j]) {
                    moved = true;
                    let (out, changed) = self.e[j].with_failover_table(0, |peers, t| {
                        peers[0].handle_bytes(now, LinkId(1), &bytes, t);
                        drain(&mut peers[0])
                    });
                    self.written[j].extend(changed);
                    inbox[1 - j].extend(out);
                }
            }
            if !moved {
                break;
            }
        }
    }

    /// Advances the clock second by second, firing due timers.
    fn run_for(&mut self, secs: i64) {
        for _ in 0..secs {
            self.wall += 1;
            for i in 0..2 {
                let now = self.now();
                let due = self.e[i].failover_mut()[0].poll_timeout().is_some_and(|t| t <= now.mono);
                if due {
                    self.drive(i, |p, t, now| p.handle_timeout(now, t));
                }
            }
        }
    }

    fn state(&mut self, i: usize) -> FailoverState {
        self.e[i].failover_mut()[0].state().state
    }
}

/// Drains a peer's outputs: the bytes it sends (the test has one
/// connection and no lease file, so events other than a close are only
/// checked for sanity).
fn drain(p: &mut Peer) -> Vec<Vec<u8>> {
    while let Some(ev) = p.poll_event() {
        assert!(!matches!(ev, Event::Close(_) | Event::Fatal(_)), "{ev:?}");
    }
    let mut out = Vec::new();
    while let Some((id, bytes)) = p.poll_transmit() {
        assert_eq!(id, LinkId(1));
        out.push(bytes);
    }
    out
}

#[test]
fn a_pair_of_engines_balances_and_shares_an_ack() {
    let base = Instant::now();
    let mut pair = Pair { e: [side(true, base), side(false, base)], base, wall: T0, written: Default::default() };
    for i in 0..2 {
        pair.drive(i, |p, t, now| p.start(now, t));
    }
    pair.drive(1, |p, _, now| p.handle_connected(now, LinkId(1)));
    pair.drive(0, |p, _, now| p.handle_connected(now, LinkId(1)));
    pair.run_for(10);
    assert_eq!(pair.state(0), FailoverState::Normal);
    assert_eq!(pair.state(1), FailoverState::Normal);
    // The primary gave half its free leases; both databases agree.
    for i in 0..2 {
        let backup: Vec<Ipv4Addr> = (10..18)
            .map(ip)
            .filter(|a| lease(&pair.e[i], *a).binding_state == BindingState::Backup)
            .collect();
        assert_eq!(backup.len(), 4, "side {i}");
    }
    assert!(pair.written[1].iter().any(|l| l.binding_state == BindingState::Backup));
    // A client the secondary answers gets one of the BACKUP leases there...
    let client = (1..=40)
        .map(Client::new)
        .find(|c| send(&mut pair.e[1], pair.wall, &c.discover()).reply.is_some())
        .expect("some client hashes to the secondary");
    let (a, _) = dora(&mut pair.e[1], pair.wall, &client);
    assert_eq!(lease(&pair.e[0], a).binding_state, BindingState::Backup);
    // ...and once the shell reports the change, the primary stores it.
    pair.drive(1, |p, t, now| p.lease_changed(now, a, t));
    pair.run_for(3);
    let l = lease(&pair.e[0], a);
    assert_eq!(l.binding_state, BindingState::Active);
    assert_eq!(l.hardware.as_ref().map(|h| h.addr.clone()), Some(client.mac.to_vec()));
    assert!(pair.written[0].iter().any(|w| w.ip == a && w.binding_state == BindingState::Active));
    assert_eq!(pair.e[1].failover_mut()[0].pending_updates(), 0, "the primary acknowledged it");
}

#[test]
fn entering_partner_down_holds_expired_leases_until_mclt() {
    let base = Instant::now();
    let text = conf(true);
    let loader = crate::conf::parser::MemLoader(vec![("dhcpd.conf".into(), text.as_bytes().to_vec())]);
    let config = crate::conf::check_config("dhcpd.conf", &loader).config.expect("config");
    let now = Now { mono: base, wall: T0, wall_micros: 0 };
    let peers: Vec<Peer> =
        config.failover.peers.iter().map(|p| Peer::new(PeerConfig::from_conf(p, T0), None, now, 7)).collect();
    // A lease that ran out while the partner was reachable: EXPIRED, waiting
    // for the partner's word before it may be reused.
    let mut l = Lease::new(ip(10));
    l.binding_state = BindingState::Expired;
    l.next_binding_state = BindingState::Free;
    l.ends = T0 - 100;
    l.tsfp = T0 - 100;
    let mut e = engine_with(&text, peers, vec![l]);
    e.with_failover_table(0, |peers, t| peers[0].set_state(now, FailoverState::PartnerDown, t));
    assert_eq!(lease(&e, ip(10)).tsfp, T0 + 600, "stos + MCLT stamped");
    // Partner-down orders the expired queue by tsfp: nothing is due yet.
    assert_eq!(e.poll_timeout(T0 + 1), Some(T0 + 600));
    let out = e.handle_timeout(T0 + 1);
    assert!(out.lease_changes.is_empty());
    assert_eq!(lease(&e, ip(10)).binding_state, BindingState::Expired);
    let out = e.handle_timeout(T0 + 600);
    assert_eq!(out.lease_changes.len(), 1);
    assert_eq!(lease(&e, ip(10)).binding_state, BindingState::Free);
}

/// ISC gives balancing gifts from the head of its free queue, which on a
/// fresh pool is address order; sending a lease to the partner and the
/// partner's acknowledgement of an unchanged state only write the lease
/// (ISC `write_lease`, no `supersede_lease`), so neither moves it in its
/// queue. Measured with ISC 4.4.3 (tests/failover_outage.rs): a fresh pair
/// over .220-.225 gives .220-.222 to the secondary and the primary's first
/// client gets .223.
#[test]
fn updates_and_acks_keep_the_free_queue_in_order() {
    let base = Instant::now();
    let mut pair = Pair { e: [side(true, base), side(false, base)], base, wall: T0, written: Default::default() };
    for i in 0..2 {
        pair.drive(i, |p, t, now| p.start(now, t));
    }
    pair.drive(1, |p, _, now| p.handle_connected(now, LinkId(1)));
    pair.drive(0, |p, _, now| p.handle_connected(now, LinkId(1)));
    pair.run_for(10);
    assert_eq!(pair.state(0), FailoverState::Normal);
    for i in 0..2 {
        let backup: Vec<Ipv4Addr> =
            (10..18).map(ip).filter(|a| lease(&pair.e[i], *a).binding_state == BindingState::Backup).collect();
        assert_eq!(backup, (10..14).map(ip).collect::<Vec<_>>(), "side {i}");
    }
    let ((), _) = pair.e[0].with_failover_table(0, |_, t| {
        assert_eq!(t.queue(PoolId(0), BindingState::Free), (14..18).map(ip).collect::<Vec<_>>());
    });
}
