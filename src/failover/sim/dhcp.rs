//! Clients and a minimal DHCP engine for the simulation, built only from
//! the library's lease rules (`binding`), plus the safety checks.
//!
//! The engine answers DISCOVER+REQUEST, renewals and releases the way
//! ISC's does in outline: serve only when the failover state allows, apply
//! load balancing to new clients while cooperating, renew a client's own
//! active lease, allocate only leases `may_allocate` allows, grant
//! MCLT-limited times, NAK a request for an address bound to someone else,
//! run the pool timer every second, and tell the peer of every change.
//!
//! The checks, run after every step:
//! * **wire truth**: an ACK never gives an address to a client while another
//!   client still holds it (from the ACKs clients actually received);
//! * **tables**: the two servers' live ACTIVE copies of an address never
//!   name two clients, and outside partner-down no address is allocatable
//!   by both servers at the same moment.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::Pair;
use crate::failover::binding::{self, Client};
use crate::failover::state::{FailoverState, ServiceState};
use crate::failover::table::LeaseTable;
use crate::lease::{BindingState, HardwareAddr, Time};

/// A simulated client.
#[derive(Clone, Debug)]
pub struct SimClient {
    /// Its identity.
    pub id: Client,
    /// The address it holds and until when.
    pub held: Option<(Ipv4Addr, Time)>,
    /// The server that gave it.
    pub server: usize,
    /// When it starts rebinding (T2, 7/8 of the lease): asking any server.
    pub rebind_at: Time,
    /// When it acts next.
    pub next: Time,
}

impl SimClient {
    /// Client number `n`, with a MAC and a client-identifier derived from it.
    pub fn new(n: u8, now: Time) -> SimClient {
        let mac = vec![0x00, 0x16, 0x3e, 0x00, n / 16, n];
        let mut uid = vec![1];
        uid.extend_from_slice(&mac);
        SimClient {
            id: Client {
                hardware: Some(HardwareAddr { htype: 1, addr: mac }),
                uid: Some(uid),
            },
            held: None,
            server: 0,
            rebind_at: now,
            next: now,
        }
    }
}

/// What a server answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// DHCPACK: address and lease time.
    Ack(Ipv4Addr, Time),
    /// DHCPNAK.
    Nak,
    /// No answer.
    Silent,
}

/// The ground truth of who holds what, from ACKs clients received.
#[derive(Default, Debug)]
pub struct Truth {
    /// Per address: (client index, until).
    pub holders: BTreeMap<Ipv4Addr, Vec<(usize, Time)>>,
    /// Violations found.
    pub violations: Vec<String>,
    /// ACKs seen.
    pub acks: u64,
    /// Every ACK: (time, server, client, address, end).
    pub history: Vec<(Time, usize, usize, Ipv4Addr, Time)>,
}

impl Truth {
    /// Records an ACK of `ip` to client `c` until `end`, checking it first.
    pub fn ack(&mut self, now: Time, server: usize, c: usize, ip: Ipv4Addr, end: Time) {
        self.acks += 1;
        self.history.push((now, server, c, ip, end));
        let holders = self.holders.entry(ip).or_default();
        for &(other, until) in holders.iter() {
            if other != c && until > now {
                self.violations.push(format!(
                    "+{}: server {server} gave {ip} to client {c} while client {other} holds it until +{}",
                    now - super::T0,
                    until - super::T0
                ));
            }
        }
        holders.retain(|&(o, _)| o != c);
        holders.push((c, end));
    }

    /// Client `c` stops using `ip` at `now` (release, NAK).
    pub fn drop_binding(&mut self, now: Time, c: usize, ip: Ipv4Addr) {
        self.history.push((now, 9, c, ip, now));
        if let Some(h) = self.holders.get_mut(&ip) {
            for e in h.iter_mut().filter(|e| e.0 == c) {
                e.1 = e.1.min(now);
            }
        }
    }
}

/// Whether server `i` answers DHCP now.
fn serving(pair: &Pair, i: usize) -> Option<ServiceState> {
    let s = pair.servers[i].peer.as_ref()?.service().0;
    s.serves().then_some(s)
}

/// DISCOVER then REQUEST from a client without an address, sent to server `i`.
pub fn discover(pair: &mut Pair, i: usize, client: &Client, desired: Time) -> Answer {
    let Some(service) = serving(pair, i) else {
        return Answer::Silent;
    };
    let now = pair.time;
    let s = &pair.servers[i];
    let peer = s.peer();
    if service == ServiceState::Cooperating {
        let key = binding::lease_key(&crate::lease::Lease {
            uid: client.uid.clone(),
            hardware: client.hardware.clone(),
            ..crate::lease::Lease::new(Ipv4Addr::UNSPECIFIED)
        })
        .unwrap_or(&[])
        .to_vec();
        if !peer.load_balance(false).is_mine(0, &key) {
            return Answer::Silent;
        }
    }
    let rel = peer.relationship();
    // The client's own live lease first, then the oldest allocatable one.
    let mut candidates: Vec<_> = s
        .table
        .leases()
        .filter(|l| client.holds(l) && l.binding_state == BindingState::Active && l.ends > now)
        .collect();
    if candidates.is_empty() {
        candidates = s
            .table
            .leases()
            .filter(|l| binding::may_allocate(l, &rel, now))
            .collect();
        candidates.sort_by_key(|l| (l.binding_state == BindingState::Abandoned, l.ends, l.ip));
    }
    let Some(ip) = candidates.first().map(|l| l.ip) else {
        return Answer::Silent;
    };
    grant(pair, i, ip, client, desired)
}

fn grant(pair: &mut Pair, i: usize, ip: Ipv4Addr, client: &Client, desired: Time) -> Answer {
    let now = pair.time;
    let s = &mut pair.servers[i];
    let rel = s.peer().relationship();
    let mut lease = s.table.get(ip).expect("lease").clone();
    let granted = binding::ack(&mut lease, client, desired, &rel, now);
    s.table.put(lease);
    pair.with_peer(i, |p, t, now| p.lease_changed(now, ip, t));
    Answer::Ack(ip, granted)
}

/// REQUEST to renew (or reboot into) `ip`, sent to server `i`.
pub fn renew(pair: &mut Pair, i: usize, client: &Client, ip: Ipv4Addr, desired: Time) -> Answer {
    if serving(pair, i).is_none() {
        return Answer::Silent;
    }
    let now = pair.time;
    let s = &pair.servers[i];
    let rel = s.peer().relationship();
    let Some(lease) = s.table.get(ip) else {
        return Answer::Nak;
    };
    if lease.binding_state == BindingState::Active {
        if client.holds(lease) && lease.ends > now {
            return grant(pair, i, ip, client, desired);
        }
        return if client.holds(lease) {
            Answer::Silent
        } else {
            Answer::Nak
        };
    }
    if binding::may_allocate(lease, &rel, now) {
        return grant(pair, i, ip, client, desired);
    }
    Answer::Silent
}

/// DHCPRELEASE of `ip` to server `i` (lost if the server is down).
pub fn release(pair: &mut Pair, i: usize, client: &Client, ip: Ipv4Addr) {
    let now = pair.time;
    let s = &mut pair.servers[i];
    let Some(peer) = s.peer.as_ref() else { return };
    let rel = peer.relationship();
    let Some(lease) = s.table.get(ip) else { return };
    if lease.binding_state != BindingState::Active || !client.holds(lease) {
        return;
    }
    let mut lease = lease.clone();
    binding::release(&mut lease, &rel, now);
    s.table.put(lease);
    pair.with_peer(i, |p, t, now| p.lease_changed(now, ip, t));
}

/// The pool timer on every up server: expire what is due.
pub fn run_pool_timers(pair: &mut Pair) {
    let now = pair.time;
    for i in 0..2 {
        let Some(peer) = pair.servers[i].peer.as_ref() else {
            continue;
        };
        let rel = peer.relationship();
        let mut changed = Vec::new();
        let leases: Vec<_> = pair.servers[i].table.leases().cloned().collect();
        for mut l in leases {
            if binding::run_timer(&mut l, &rel, now) {
                changed.push(l.ip);
                pair.servers[i].table.put(l);
            }
        }
        for ip in changed {
            pair.with_peer(i, |p, t, now| p.lease_changed(now, ip, t));
        }
    }
}

/// The table checks (module doc); returns the violations found.
pub fn check_tables(pair: &Pair) -> Vec<String> {
    let now = pair.time;
    let mut out = Vec::new();
    // A server that answers no client acts on none of its copies, however
    // stale (a restarted one in recover, say).
    let serving = (0..2).filter(|&i| serving(pair, i).is_some()).count();
    if serving < 2 {
        return out;
    }
    let (a, b) = (&pair.servers[0], &pair.servers[1]);
    let partner_down = [a, b].iter().any(|s| s.state() == Some(FailoverState::PartnerDown));
    let (ra, rb) = (a.peer().relationship(), b.peer().relationship());
    for la in a.table.leases() {
        let Some(lb) = b.table.get(la.ip) else { continue };
        let live = |l: &crate::lease::Lease| l.binding_state == BindingState::Active && l.ends > now;
        if live(la) && live(lb) && (la.uid != lb.uid || la.hardware != lb.hardware) {
            out.push(format!(
                "+{}: {} active for two clients ({:?} / {:?})",
                now - super::T0,
                la.ip,
                la.uid,
                lb.uid
            ));
        }
        if !partner_down && binding::may_allocate(la, &ra, now) && binding::may_allocate(lb, &rb, now) {
            out.push(format!(
                "+{}: {} allocatable by both ({} / {})",
                now - super::T0,
                la.ip,
                la.binding_state,
                lb.binding_state
            ));
        }
    }
    out
}
