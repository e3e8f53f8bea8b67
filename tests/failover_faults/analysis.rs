//! From the captured events to the run's figures: bindings as the clients held them, double
//! bindings and who caused them, stale updates applied, and leases lost at the end.
//!
//! **Bindings.** A client's binding of an address is a *chain* of DHCPACKs: it starts with an
//! ACK and each ACK before the binding has run out extends it to that ACK's time plus its lease
//! time. It ends early at a DHCPNAK to the client, its DHCPRELEASE or DHCPDECLINE of the
//! address, or an ACK giving it another address. When both servers answer one transaction
//! (same client, same xid: a broadcast REQUEST while rebinding), the client takes the first
//! answer and ignores the rest, and so does this analysis. An ACK that answers a request made
//! before the client released that address (same transaction id: the client was stopped while
//! renewing, or the server was frozen with both messages queued) is void: the client had gone;
//! a client that comes back starts a new transaction.
//!
//! **Double binding.** Two chains of different clients on one address overlapping by more than
//! 1 s. The earlier chain is the *first binding*; the ACK that started the later one was the
//! *allocation*, made by the *allocator*.
//!
//! **Knowledge.** A server *knew* of a binding (a chain) at time t when before t it had sent an
//! ACK of that chain itself, or had applied (answered with a positive BNDACK) a BNDUPD ACTIVE
//! for that address and client whose lease-expiry-time falls after the chain started (so it
//! describes this chain, not an older one of the same client).
//!
//! **Attribution of a double binding** (the rule the test fails on for mixed pairings):
//! * the allocator never knew of the first binding: *not told*, the allocator is not blamed;
//! * it knew, and after it last learnt of the binding it applied a stale update for it (below):
//!   the *allocator* is blamed, for applying it;
//! * it knew, but after it last learnt of the binding the two servers otherwise agreed the
//!   address was no longer bound (a non-ACTIVE BNDUPD for it applied by either side, in either
//!   direction): the *partner* is blamed: it told the allocator so, or accepted the allocator's
//!   view, while the binding was alive and its own (the partner made or renewed it);
//! * it knew and no such agreement came: the *allocator* is blamed. It reallocated an address
//!   it knew was bound without the partner's consent: released or expired while the partner
//!   could not be told, or before the partner's later bindings reached it.
//!
//! **Stale update applied.** A server applied a BNDUPD that cut short a binding it knew was
//! alive (the chain had more than 1 s left, and so had the latest lease end the server knew),
//! carrying an older client-last-transaction-time than the server already knew for it (its own
//! ACK's time, or the CLTT of the ACTIVE update it applied; a missing CLTT is older). Cutting
//! short: a non-ACTIVE state, another client, or an earlier lease end. That is mechanism 1 of
//! the fault report. An update with a newer CLTT is never stale here, even when the client's
//! message behind it was old (a server frozen with a DHCPRELEASE queued stamps it when it
//! wakes): the receiver cannot tell.
//!
//! **Lost lease.** A chain still alive when the servers stop whose address is not ACTIVE for
//! that client in a server's lease file; *short* when it is ACTIVE there but ends more than 3 s
//! before the client's lease does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use dhcpd::lease::records::LeaseFileState;
use dhcpd::lease::BindingState;

use super::capture::{DhcpEvent, DhcpKind, Exchange};

/// binding-status ACTIVE on the wire.
const WIRE_ACTIVE: u8 = 2;

/// One client's binding of one address, as the client held it.
#[derive(Clone, Debug)]
pub struct Chain {
    /// The client's hardware address.
    pub client: [u8; 6],
    /// The address.
    pub addr: Ipv4Addr,
    /// The first ACK.
    pub start: f64,
    /// When the client stopped holding it (lease run out, NAK, release).
    pub end: f64,
    /// Every ACK: (time, server, lease end).
    pub acks: Vec<(f64, usize, f64)>,
    /// Ended by a DHCPRELEASE or DHCPDECLINE.
    pub released: bool,
}

/// Who a double binding is blamed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blame {
    /// The allocator knew of the first binding and had no consent.
    Allocator,
    /// The allocator knew, but the partner agreed the address was unbound.
    Partner,
    /// The allocator was never told of the first binding.
    NotTold,
}

/// A double binding.
#[derive(Clone, Debug)]
pub struct Double {
    /// The address.
    pub addr: Ipv4Addr,
    /// Index of the first binding in [`Findings::chains`].
    pub first: usize,
    /// Index of the second.
    pub second: usize,
    /// Seconds both clients held the address.
    pub overlap: f64,
    /// The server that made the second binding.
    pub allocator: usize,
    /// The attribution (module doc).
    pub blame: Blame,
}

/// A stale update applied.
#[derive(Clone, Debug)]
pub struct Stale {
    /// The server that applied it.
    pub side: usize,
    /// The exchange (index into the run's exchanges).
    pub exchange: usize,
    /// The live chain it contradicted.
    pub chain: usize,
}

/// A lease lost at the end.
#[derive(Clone, Debug)]
pub struct Lost {
    /// The chain.
    pub chain: usize,
    /// Per server: not ACTIVE for the client in its file.
    pub missing: [bool; 2],
    /// Per server: ACTIVE but ending early.
    pub short: [bool; 2],
}

/// Everything the run measured.
#[derive(Debug, Default)]
pub struct Findings {
    /// DHCPACKs sent (both servers).
    pub acks: usize,
    /// Per server.
    pub acks_by: [usize; 2],
    /// The bindings.
    pub chains: Vec<Chain>,
    /// Double bindings.
    pub doubles: Vec<Double>,
    /// Stale updates applied.
    pub stale: Vec<Stale>,
    /// Leases lost at the end.
    pub lost: Vec<Lost>,
}

/// Builds the chains from every server's DHCP events.
pub fn chains(events: &[DhcpEvent]) -> Vec<Chain> {
    let mut evs: Vec<&DhcpEvent> = events.iter().collect();
    evs.sort_by(|a, b| a.at.total_cmp(&b.at));
    let mut answered: HashMap<([u8; 6], u32), f64> = HashMap::new();
    let mut current: HashMap<[u8; 6], usize> = HashMap::new();
    // Per client: the transaction ids it used, and those it used before its last release.
    let mut xids: HashMap<[u8; 6], HashSet<u32>> = HashMap::new();
    let mut released: HashMap<[u8; 6], (Ipv4Addr, HashSet<u32>)> = HashMap::new();
    let mut out: Vec<Chain> = Vec::new();
    for e in evs {
        if e.kind == DhcpKind::Request {
            xids.entry(e.client).or_default().insert(e.xid);
            continue;
        }
        let void =
            |e: &DhcpEvent| released.get(&e.client).is_some_and(|(a, before)| *a == e.addr && before.contains(&e.xid));
        if matches!(e.kind, DhcpKind::Ack { .. }) && void(e) {
            continue;
        }
        if matches!(e.kind, DhcpKind::Ack { .. } | DhcpKind::Nak) {
            xids.entry(e.client).or_default().insert(e.xid);
            // The client acts on the first answer to a transaction only.
            if let Some(first) = answered.get(&(e.client, e.xid)) {
                if e.at - first < 10.0 {
                    continue;
                }
            }
            answered.insert((e.client, e.xid), e.at);
        }
        let cur = current.get(&e.client).copied();
        match e.kind {
            DhcpKind::Ack { lease } => {
                let ends = e.at + f64::from(lease);
                if let Some(c) = cur.filter(|&c| out[c].addr == e.addr && e.at <= out[c].end) {
                    let ch = &mut out[c];
                    ch.end = ch.end.max(ends);
                    ch.acks.push((e.at, e.side, ends));
                    continue;
                }
                if let Some(c) = cur {
                    out[c].end = out[c].end.min(e.at);
                }
                current.insert(e.client, out.len());
                out.push(Chain {
                    client: e.client,
                    addr: e.addr,
                    start: e.at,
                    end: ends,
                    acks: vec![(e.at, e.side, ends)],
                    released: false,
                });
            }
            DhcpKind::Request => {}
            DhcpKind::Nak => {
                if let Some(c) = cur {
                    out[c].end = out[c].end.min(e.at);
                }
            }
            DhcpKind::Release | DhcpKind::Decline => {
                released.insert(e.client, (e.addr, xids.get(&e.client).cloned().unwrap_or_default()));
                if let Some(c) = cur.filter(|&c| out[c].addr == e.addr && out[c].end > e.at) {
                    out[c].end = e.at;
                    out[c].released = true;
                }
            }
        }
    }
    out
}

/// What a server knew of a binding at some moment.
#[derive(Clone, Copy, Debug)]
struct Known {
    /// When it last learnt of it.
    learnt: f64,
    /// The latest lease end it knew.
    ends: f64,
    /// The latest client-last-transaction-time it knew (its own ACK's time, less the half
    /// second a server's whole-second clock can lag the capture).
    cltt: f64,
}

/// What `side` knew of `chain` before `t`, or `None` if it never knew.
fn knowledge(side: usize, chain: &Chain, t: f64, exchanges: &[Exchange]) -> Option<Known> {
    let own = chain.acks.iter().filter(|(at, s, _)| *s == side && *at < t).map(|&(at, _, ends)| Known {
        learnt: at,
        ends,
        cltt: at - 0.5,
    });
    let told = exchanges
        .iter()
        .filter(|x| x.receiver == side && x.addr == chain.addr && x.state == WIRE_ACTIVE)
        .filter(|x| x.client == Some(chain.client) && x.ends.is_some_and(|e| e > chain.start - 1.0))
        .filter_map(|x| {
            let at = x.applied_at().filter(|&a| a < t)?;
            Some(Known { learnt: at, ends: x.ends.unwrap_or(0.0), cltt: x.cltt.unwrap_or(at) })
        });
    own.chain(told).reduce(|a, b| Known {
        learnt: a.learnt.max(b.learnt),
        ends: a.ends.max(b.ends),
        cltt: a.cltt.max(b.cltt),
    })
}

/// Whether a non-ACTIVE update for `addr` was applied by either server in `(after, before)`.
fn agreed_unbound(addr: Ipv4Addr, after: f64, before: f64, exchanges: &[Exchange]) -> bool {
    exchanges
        .iter()
        .any(|x| x.addr == addr && x.state != WIRE_ACTIVE && x.applied_at().is_some_and(|a| a > after && a < before))
}

/// Measures a run: `events` from both client links, `exchanges` from both failover links,
/// the lease files as the servers left them, read at `stop` (seconds since the origin; the
/// files' times converted with `to_origin`).
pub fn analyse(
    events: &[DhcpEvent],
    exchanges: &[Exchange],
    files: [&LeaseFileState; 2],
    stop: f64,
    to_origin: impl Fn(i64) -> f64,
) -> Findings {
    let mut f = Findings::default();
    for e in events {
        if let DhcpKind::Ack { .. } = e.kind {
            f.acks += 1;
            f.acks_by[e.side] += 1;
        }
    }
    f.chains = chains(events);
    let chains = &f.chains;
    let mut by_addr: BTreeMap<Ipv4Addr, Vec<usize>> = BTreeMap::new();
    for (i, c) in chains.iter().enumerate() {
        by_addr.entry(c.addr).or_default().push(i);
    }

    for (i, x) in exchanges.iter().enumerate() {
        let Some(t) = x.applied_at() else { continue };
        for &c in by_addr.get(&x.addr).map_or(&[][..], |v| v.as_slice()) {
            let ch = &chains[c];
            if ch.start >= x.received || ch.end <= t + 1.0 {
                continue;
            }
            let Some(k) = knowledge(x.receiver, ch, x.received, exchanges) else { continue };
            // It cut short a binding it knew alive, with older transaction time than it knew.
            let cuts =
                x.state != WIRE_ACTIVE || x.client != Some(ch.client) || x.ends.is_some_and(|e| e < k.ends - 1.0);
            let older = x.cltt.unwrap_or(f64::MIN) < k.cltt - 1.0;
            if k.ends > t + 1.0 && cuts && older {
                f.stale.push(Stale { side: x.receiver, exchange: i, chain: c });
            }
        }
    }

    for (addr, list) in &by_addr {
        for (n, &a) in list.iter().enumerate() {
            for &b in &list[n + 1..] {
                let (a, b) = if chains[a].start <= chains[b].start { (a, b) } else { (b, a) };
                let (ca, cb) = (&chains[a], &chains[b]);
                if ca.client == cb.client {
                    continue;
                }
                let overlap = ca.end.min(cb.end) - cb.start;
                if overlap <= 1.0 {
                    continue;
                }
                let allocator = cb.acks[0].1;
                // The allocator itself applying a stale "free" for this binding is its own fault.
                let own_stale = |learnt: f64| {
                    f.stale.iter().any(|st| {
                        st.side == allocator
                            && st.chain == a
                            && exchanges[st.exchange].applied_at().is_some_and(|t| t > learnt && t < cb.start)
                    })
                };
                let blame = match knowledge(allocator, ca, cb.start, exchanges) {
                    None => Blame::NotTold,
                    Some(k) if own_stale(k.learnt) => Blame::Allocator,
                    Some(k) if agreed_unbound(*addr, k.learnt, cb.start, exchanges) => Blame::Partner,
                    Some(_) => Blame::Allocator,
                };
                f.doubles.push(Double { addr: *addr, first: a, second: b, overlap, allocator, blame });
            }
        }
    }

    for (i, c) in chains.iter().enumerate() {
        if c.end <= stop + 2.0 {
            continue;
        }
        let mut lost = Lost { chain: i, missing: [false; 2], short: [false; 2] };
        for (s, file) in files.iter().enumerate() {
            match file.leases.get(&c.addr) {
                Some(l)
                    if l.binding_state == BindingState::Active
                        && l.hardware.as_ref().is_some_and(|h| h.addr == c.client) =>
                {
                    lost.short[s] = to_origin(l.ends) < c.end - 3.0;
                }
                _ => lost.missing[s] = true,
            }
        }
        if lost.missing.iter().chain(&lost.short).any(|&b| b) {
            f.lost.push(lost);
        }
    }
    f
}

fn mac(m: &[u8; 6]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// A chain in words.
pub fn describe_chain(c: &Chain, names: [&str; 2]) -> String {
    let acks: Vec<String> =
        c.acks.iter().map(|(at, s, ends)| format!("{:.1}s by {} (to {:.1})", at, names[*s], ends)).collect();
    format!(
        "{} held {} {:.1}..{:.1}{}; ACKs: {}",
        mac(&c.client),
        c.addr,
        c.start,
        c.end,
        if c.released { " (released)" } else { "" },
        acks.join(", ")
    )
}

/// Every update about `addr` between `from` and `to`, in words.
pub fn describe_updates(addr: Ipv4Addr, from: f64, to: f64, exchanges: &[Exchange], names: [&str; 2]) -> String {
    let mut s = String::new();
    for x in exchanges.iter().filter(|x| x.addr == addr && x.received >= from && x.received <= to) {
        let answer = match (x.answered, &x.reject) {
            (None, _) => "no BNDACK seen".to_string(),
            (Some((t, true)), _) => format!("applied {t:.1}s"),
            (Some((t, false)), r) => format!("rejected {t:.1}s ({})", r.as_deref().unwrap_or("?")),
        };
        let _ = writeln!(
            s,
            "      {:.1}s {} received BNDUPD state {} client {} ends {} cltt {}: {answer}",
            x.received,
            names[x.receiver],
            x.state,
            x.client.as_ref().map_or("-".into(), mac),
            x.ends.map_or("-".into(), |e| format!("{e:.1}")),
            x.cltt.map_or("-".into(), |e| format!("{e:.1}")),
        );
    }
    s
}

/// Every DHCP event about `addr` or by `client`, in words.
pub fn describe_events(addr: Ipv4Addr, client: [u8; 6], events: &[DhcpEvent], names: [&str; 2]) -> String {
    let mut evs: Vec<&DhcpEvent> =
        events.iter().filter(|e| e.kind != DhcpKind::Request && (e.addr == addr || e.client == client)).collect();
    evs.sort_by(|a, b| a.at.total_cmp(&b.at));
    let mut s = String::new();
    for e in evs {
        let _ = writeln!(
            s,
            "      {:.1}s {:?} {} {} xid {:08x} via {}",
            e.at,
            e.kind,
            mac(&e.client),
            e.addr,
            e.xid,
            names[e.side]
        );
    }
    s
}

/// The analysis on made-up events with known answers (main runs it before any lab, so a broken
/// rule is caught without root): each kind of finding is found, and nothing else.
pub fn self_check() -> Result<(), String> {
    use dhcpd::lease::{HardwareAddr, Lease};
    let x = Ipv4Addr::new(10, 0, 0, 100);
    let (a, b) = ([2, 0, 0, 0, 0, 0xa], [2, 0, 0, 0, 0, 0xb]);
    let ev = |at: f64, side: usize, kind: DhcpKind, client: [u8; 6], xid: u32| DhcpEvent {
        at,
        side,
        kind,
        client,
        addr: if kind == DhcpKind::Nak { Ipv4Addr::UNSPECIFIED } else { x },
        xid,
    };
    let ack = DhcpKind::Ack { lease: 30 };
    let upd = |receiver: usize, at: f64, state: u8, client: [u8; 6], ends: f64| Exchange {
        receiver,
        received: at,
        answered: Some((at + 0.1, true)),
        reject: None,
        addr: x,
        state,
        client: Some(client),
        ends: Some(ends),
        cltt: None,
    };
    let empty = LeaseFileState::default();
    let run = |events: &[DhcpEvent], ex: &[Exchange]| analyse(events, ex, [&empty, &empty], 1000.0, |t| t as f64);
    let blames = |f: &Findings| f.doubles.iter().map(|d| (d.allocator, d.blame)).collect::<Vec<_>>();

    // The allocator made the first binding itself.
    let f = run(&[ev(0.0, 0, ack, a, 1), ev(10.0, 0, ack, b, 2)], &[]);
    if blames(&f) != [(0, Blame::Allocator)] || (f.doubles[0].overlap - 20.0).abs() > 0.01 {
        return Err(format!("own binding reallocated: {:?}", f.doubles));
    }
    // The other server never told the allocator.
    let f = run(&[ev(0.0, 0, ack, a, 1), ev(10.0, 1, ack, b, 2)], &[]);
    if blames(&f) != [(1, Blame::NotTold)] {
        return Err(format!("never told: {:?}", f.doubles));
    }
    // Told (ACTIVE applied), then it applied the partner's stale EXPIRED itself: the allocator
    // is blamed and applied a stale update.
    let ex = [upd(1, 1.0, WIRE_ACTIVE, a, 30.0), upd(1, 5.0, 3, a, 20.0)];
    let f = run(&[ev(0.0, 0, ack, a, 1), ev(10.0, 1, ack, b, 2)], &ex);
    if blames(&f) != [(1, Blame::Allocator)] || f.stale.len() != 1 || f.stale[0].side != 1 {
        return Err(format!("own stale expiry: {:?} {:?}", f.doubles, f.stale));
    }
    // Told of a binding that then ran out for it, the partner renewed it and then accepted the
    // allocator's expiry: the partner is blamed and applied a stale update.
    let ex = [upd(1, 1.0, WIRE_ACTIVE, a, 8.0), upd(0, 9.0, 3, a, 8.0)];
    let f = run(&[ev(0.0, 0, ack, a, 1), ev(6.0, 0, ack, a, 2), ev(10.0, 1, ack, b, 3)], &ex);
    if blames(&f) != [(1, Blame::Partner)] || f.stale.len() != 1 || f.stale[0].side != 0 {
        return Err(format!("partner's stale expiry: {:?} {:?}", f.doubles, f.stale));
    }
    // Told, no consent: the allocator is blamed; an update about an older binding (ends before
    // the chain began) is not knowledge of this one.
    let f = run(&[ev(0.0, 0, ack, a, 1), ev(10.0, 1, ack, b, 2)], &[upd(1, 1.0, WIRE_ACTIVE, a, 30.0)]);
    let g = run(&[ev(50.0, 0, ack, a, 1), ev(60.0, 1, ack, b, 2)], &[upd(1, 1.0, WIRE_ACTIVE, a, 30.0)]);
    if blames(&f) != [(1, Blame::Allocator)] || blames(&g) != [(1, Blame::NotTold)] {
        return Err(format!("told: {:?} / older binding: {:?}", f.doubles, g.doubles));
    }
    // A release ends the binding; an answer to a request made before it is void; the first of
    // two answers to one transaction is the one the client took; a second later is no overlap.
    let f = run(
        &[
            ev(0.0, 0, ack, a, 1),
            ev(5.0, 0, DhcpKind::Release, a, 3),
            ev(9.0, 0, ack, a, 1),
            ev(10.0, 1, DhcpKind::Nak, b, 4),
            ev(10.1, 0, ack, b, 4),
            ev(20.0, 0, ack, b, 5),
        ],
        &[upd(1, 7.0, 4, a, 5.0)],
    );
    if !f.doubles.is_empty() || !f.stale.is_empty() || f.chains.len() != 2 || !f.chains[0].released {
        return Err(format!("release and answers: {:?} {:?} {:?}", f.doubles, f.stale, f.chains));
    }
    let f = run(&[ev(0.0, 0, ack, a, 1), ev(29.5, 0, ack, b, 2)], &[]);
    if !f.doubles.is_empty() {
        return Err(format!("half a second is not a double binding: {:?}", f.doubles));
    }
    // A release stamped after the binding (a frozen server's late DHCPRELEASE) is not stale; an
    // ACTIVE with older CLTT that shortens the binding is.
    let late = Exchange { cltt: Some(8.5), ..upd(1, 9.0, 4, a, 9.0) };
    let shorter = Exchange { cltt: Some(1.0), ..upd(1, 9.0, WIRE_ACTIVE, a, 20.0) };
    let f = run(&[ev(5.0, 1, ack, a, 1)], &[late]);
    let g = run(&[ev(5.0, 1, ack, a, 1)], &[shorter]);
    if !f.stale.is_empty() || g.stale.len() != 1 {
        return Err(format!("newer release: {:?} / older shorter ACTIVE: {:?}", f.stale, g.stale));
    }
    // Lost: alive at the stop, in one file only; in the other ending 10 s early.
    let mut file = LeaseFileState::default();
    let mut l = Lease::new(x);
    l.binding_state = BindingState::Active;
    l.hardware = Some(HardwareAddr { htype: 1, addr: a.to_vec() });
    l.ends = 1010;
    file.leases.insert(x, l);
    let f = analyse(&[ev(990.0, 0, ack, a, 1)], &[], [&file, &empty], 1000.0, |t| t as f64);
    if f.lost.len() != 1 || f.lost[0].missing != [false, true] || f.lost[0].short != [true, false] {
        return Err(format!("lost: {:?}", f.lost));
    }
    Ok(())
}
