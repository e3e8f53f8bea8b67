//! Pools shared with a failover partner: MCLT-limited lease times, who may
//! allocate what, load balancing, and expiry to EXPIRED.

use super::*;
use crate::conf::parser::MemLoader;
use crate::engine::{FailoverHooks, PeerStatus, ServiceState};
use crate::lease::BindingState;

const CONF: &str = "
authoritative;
ping-check false;
default-lease-time 3600;
failover peer \"fo\" {
  primary;
  address 10.0.0.1;
  port 647;
  peer address 10.0.0.2;
  peer port 647;
  max-response-delay 60;
  max-unacked-updates 10;
  mclt 600;
  split 128;
  load balance max seconds 3;
}
subnet 10.0.0.0 netmask 255.255.255.0 {
  pool {
    failover peer \"fo\";
    range 10.0.0.10 10.0.0.13;
  }
}
";

/// A state machine that reports a fixed state.
struct Fixed {
    status: PeerStatus,
    mine: bool,
}

impl FailoverHooks for Fixed {
    fn status(&self, _peer: usize) -> Option<PeerStatus> {
        Some(self.status.clone())
    }

    fn load_balance_mine(&self, _peer: usize, _secs: u16, _cid: Option<&[u8]>, _chaddr: &[u8], _hlen: u8) -> bool {
        self.mine
    }
}

fn hooks(primary: bool, service: ServiceState, mine: bool) -> Fixed {
    Fixed {
        status: PeerStatus {
            name: "fo".into(),
            primary,
            service,
            me_partner_down: service == ServiceState::PartnerDown,
            stos: T0 - 10_000,
            mclt: 600,
            nrr: " (startup)".into(),
        },
        mine,
    }
}

/// The pool's leases as the file would hold them after a pool balance:
/// the first two FREE (the primary's), the last two BACKUP.
fn balanced() -> Vec<Lease> {
    (10..14)
        .map(|n| {
            let mut l = Lease::new(ip(n));
            let st = if n < 12 { BindingState::Free } else { BindingState::Backup };
            l.binding_state = st;
            l.next_binding_state = st;
            l.rewind_binding_state = Some(st);
            l
        })
        .collect()
}

#[test]
fn primary_grants_mclt_and_reports_expiry_to_peer() {
    let mut e = engine_with(CONF, hooks(true, ServiceState::Cooperating, true), balanced());
    let c = Client::new(1);
    let (a, ack) = dora(&mut e, T0, &c);
    assert_eq!(a, ip(10));
    assert_eq!(ack.lease_time(), Some(600), "first lease of a peer-shared pool is MCLT long");
    let l = lease(&e, a);
    assert_eq!(l.tstp, T0 + 3600 + 300, "desired time plus half the granted time");
    assert_eq!(l.next_binding_state, BindingState::Expired);
    // With a peer the lease expires to EXPIRED and waits for the peer.
    let out = e.handle_timeout(T0 + 600);
    assert_eq!(out.lease_changes[0].binding_state, BindingState::Expired);
    assert_eq!(e.poll_timeout(T0 + 600), None, "expired leases do not time out while the peer is reachable");
}

#[test]
fn secondary_allocates_from_backup_only() {
    let mut e = engine_with(CONF, hooks(false, ServiceState::Cooperating, true), balanced());
    let (a, _) = dora(&mut e, T0, &Client::new(1));
    assert_eq!(a, ip(12));
    let (b, _) = dora(&mut e, T0, &Client::new(2));
    assert_eq!(b, ip(13));
    let out = send(&mut e, T0, &Client::new(3).discover());
    assert!(out.reply.is_none());
    assert_eq!(lines(&out), vec!["DHCPDISCOVER from 02:00:00:00:00:03 via eth0: peer holds all free leases"]);
}

#[test]
fn load_balancing_leaves_the_client_to_the_peer() {
    let mut e = engine_with(CONF, hooks(true, ServiceState::Cooperating, false), balanced());
    let out = send(&mut e, T0, &Client::new(1).discover());
    assert!(out.reply.is_none());
    assert_eq!(lines(&out), vec!["DHCPDISCOVER from 02:00:00:00:00:01 via eth0: load balance to peer fo"]);
}

#[test]
fn not_responding_states_do_not_answer() {
    let mut e = engine_with(CONF, hooks(true, ServiceState::Startup, true), balanced());
    let out = send(&mut e, T0, &Client::new(1).discover());
    assert!(out.reply.is_none());
    assert_eq!(lines(&out), vec!["DHCPDISCOVER from 02:00:00:00:00:01 via eth0: not responding (startup)"]);
}

#[test]
fn a_secondary_expires_active_leases_only_when_serving_alone() {
    // A binding of the secondary's that runs out while it is not serving
    // alone (after a restart: startup, recover): it waits for the primary's
    // update rather than sending a stale EXPIRED; communications-interrupted
    // or partner-down, it expires it.
    let leases = || {
        let mut v = balanced();
        v[2].binding_state = BindingState::Active;
        v[2].next_binding_state = BindingState::Expired;
        v[2].ends = T0 + 5;
        v
    };
    for service in [ServiceState::Startup, ServiceState::NotResponding, ServiceState::Cooperating] {
        let mut e = engine_with(CONF, hooks(false, service, true), leases());
        assert_eq!(e.poll_timeout(T0), None, "{service:?}");
        assert!(e.handle_timeout(T0 + 10).lease_changes.is_empty(), "{service:?}");
        assert_eq!(lease(&e, ip(12)).binding_state, BindingState::Active, "{service:?}");
    }
    // (Alone: ISC's rewind, the peer never heard of the binding; in a
    // partner-down whose MCLT is long past: expired, then free at once.)
    for (service, to) in [(ServiceState::NotCooperating, BindingState::Backup), (ServiceState::PartnerDown, BindingState::Free)] {
        let mut e = engine_with(CONF, hooks(false, service, true), leases());
        assert_eq!(e.poll_timeout(T0), Some(T0 + 5), "{service:?}");
        let out = e.handle_timeout(T0 + 5);
        assert!(!out.lease_changes.is_empty(), "{service:?}");
        assert_eq!(lease(&e, ip(12)).binding_state, to, "{service:?}");
    }
}

#[test]
fn partner_down_takes_peer_leases_after_mclt() {
    let mut e = engine_with(CONF, hooks(false, ServiceState::PartnerDown, true), balanced());
    dora(&mut e, T0, &Client::new(1));
    dora(&mut e, T0, &Client::new(2));
    // Backup leases used up: the primary's FREE leases, stos + MCLT past.
    let (c, _) = dora(&mut e, T0, &Client::new(3));
    assert_eq!(c, ip(10));
}

#[test]
fn crate_failover_peers_drive_the_engine() {
    use crate::failover::{Peer, PeerConfig};
    use crate::time::Now;
    let loader = MemLoader(vec![("dhcpd.conf".into(), CONF.as_bytes().to_vec())]);
    let config = crate::conf::check_config("dhcpd.conf", &loader).config.unwrap();
    let now = Now { mono: std::time::Instant::now(), wall: T0, wall_micros: 0 };
    let peers: Vec<Peer> =
        config.failover.peers.iter().map(|p| Peer::new(PeerConfig::from_conf(p, T0), None, now, 1)).collect();
    let status = peers.status(0).expect("the relationship");
    assert_eq!(status.name, "fo");
    assert!(status.primary);
    assert_eq!(status.mclt, 600);
    let mut e = engine_with(CONF, peers, balanced());
    let out = send(&mut e, T0, &Client::new(1).discover());
    if status.service.serves() {
        assert!(out.reply.is_some(), "{:?}", out.logs);
    } else {
        assert!(out.reply.is_none());
        assert_eq!(
            lines(&out),
            vec![format!("DHCPDISCOVER from 02:00:00:00:00:01 via eth0: not responding{}", status.nrr)]
        );
    }
}

#[test]
fn partner_down_waits_for_the_peers_last_promise_before_reusing_an_expired_lease() {
    // A binding of ours that the peer acknowledged up to T0 + 2000 expires
    // in partner-down. While cut off the peer may have renewed the client
    // up to MCLT past that promise (T0 + 2600); ISC stamps tsfp = stos +
    // MCLT, long past, and hands the address to the next client at once.
    let leases = || {
        let mut v = balanced();
        for (i, l) in v.iter_mut().enumerate() {
            l.binding_state = BindingState::Active;
            l.next_binding_state = BindingState::Expired;
            l.rewind_binding_state = Some(BindingState::Active);
            l.hardware = Some(crate::lease::HardwareAddr { htype: 1, addr: vec![2, 0, 0, 0, 0, 0x40 + i as u8] });
            l.ends = T0 + 100_000;
        }
        v[0].ends = T0 + 5;
        v[0].tsfp = T0 + 2000;
        v
    };
    let mut e = engine_with(CONF, hooks(true, ServiceState::PartnerDown, true), leases());
    let out = e.handle_timeout(T0 + 5);
    assert!(!out.lease_changes.is_empty());
    let l = lease(&e, ip(10));
    assert_eq!(l.binding_state, BindingState::Expired);
    assert_eq!(l.tsfp, T0 + 2600, "max(tsfp, stos) + MCLT");
    let out = send(&mut e, T0 + 10, &Client::new(1).discover());
    assert!(out.reply.is_none(), "reused before the peer's promise ran out: {:?}", lines(&out));
    // Once that is over the address goes free and is ours to give.
    assert!(!e.handle_timeout(T0 + 2600).lease_changes.is_empty());
    assert_eq!(lease(&e, ip(10)).binding_state, BindingState::Free);
    let (a, _) = dora(&mut e, T0 + 2601, &Client::new(1));
    assert_eq!(a, ip(10));
}
