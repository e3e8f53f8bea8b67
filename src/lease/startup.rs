//! What ISC does to the leases between reading the file and rewriting it at
//! startup (`db_startup`: `enter_lease`, `expire_all_pools`,
//! `lease_instantiate`, `pool_timer`, `write_leases4` in `server/mdb.c`).
//!
//! * **Placement.** Only addresses in a configured `range` exist for ISC;
//!   a record for any other address logs `lease A: no subnet.` and is
//!   forgotten ([`PoolMap::pool_of`]).
//! * **Instantiation.** A BACKUP lease in a pool that no longer has a
//!   failover peer becomes FREE; a billing class is kept only on leases in
//!   use (active, expired, released, reset).
//! * **Expiry.** Each pool's queues (free, active, expired, abandoned,
//!   backup, reserved) are walked in order, soonest first; every lease whose
//!   time has come and whose next state differs makes its transition, with
//!   ISC's failover rules (a secondary in NORMAL leaves active leases to the
//!   primary; expired leases wait for the peer unless in PARTNER-DOWN).
//! * **Order.** The rewrite lists shared networks last-declared first (ISC
//!   prepends them to its list), pools in declaration order, queues in the
//!   order above, each by its sort time. Leases with equal sort times are
//!   listed by address; ISC's order among them follows its hash table, which
//!   has no meaning for a reader of the file.
//!
//! Where we differ on purpose: `on expiry`/`on release` statements are not
//! executed here (they are dropped as ISC drops them after running them);
//! running them is the engine's job. The state kept per lease for all this
//! is the small [`Slot`], so a million leases can be settled without
//! holding them whole; [`Slot::apply`] carries the result back to a full
//! [`Lease`]. Pure: no IO, no clock.

use std::net::Ipv4Addr;

use super::records::{
    ClassRecord, FailoverState, FailoverStateRecord, GroupRecord, HostRecord, LeaseFileState, StateAt,
};
use super::scan::LeaseBlock;
use super::write::Rewrite;
use super::{BindingState, Lease, Time};
use crate::conf::model::Config;
use crate::conf::model_failover::{FailoverRole, StateSince};

/// A failover relationship as the startup pass needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// Its name.
    pub name: String,
    /// This server is the secondary.
    pub secondary: bool,
    /// Maximum client lead time (the configured one; a secondary's comes
    /// from the lease file when it has one).
    pub mclt: u32,
    /// Our state and when we entered it.
    pub me: StateAt,
    /// The partner's state as last recorded.
    pub partner: StateAt,
}

impl PeerInfo {
    /// The block ISC writes for this peer in a rewrite.
    pub fn record(&self) -> FailoverStateRecord {
        FailoverStateRecord {
            peer: self.name.clone(),
            me: Some(self.me),
            partner: Some(self.partner),
            mclt: self.secondary.then_some(self.mclt),
        }
    }
}

/// One pool: its shared network and failover peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolInfo {
    /// Index of its failover peer in [`PoolMap::peers`].
    pub peer: Option<usize>,
    /// The pool is written in rewrites (its shared network is in ISC's list).
    pub listed: bool,
}

/// Which configured pool each address belongs to, and the order ISC writes
/// pools in.
#[derive(Clone, Debug, Default)]
pub struct PoolMap {
    /// `(first, last, pool)`, sorted by `first`, non-overlapping.
    ranges: Vec<(u32, u32, usize)>,
    /// Per range, the number of addresses in the ranges before it.
    before: Vec<u64>,
    /// Pools by index.
    pub pools: Vec<PoolInfo>,
    /// Pool indexes in ISC's write order.
    pub write_order: Vec<usize>,
    /// Failover peers in ISC's order (last declared first).
    pub peers: Vec<PeerInfo>,
}

/// Converts the configuration's failover state type to the lease file's.
fn file_state(s: crate::conf::model_failover::FailoverState) -> FailoverState {
    FailoverState::from_code(s.code()).unwrap_or(FailoverState::Unknown)
}

impl PoolMap {
    /// The pools, ranges and peers of a configuration. `now` stamps peer
    /// states that carry no time (ISC stamps them when it reads them).
    pub fn from_config(config: &Config, now: Time) -> PoolMap {
        let mut map = PoolMap::default();
        let since = |s: StateSince| match s {
            StateSince::At(t) => t,
            StateSince::WhenRead => now,
        };
        for p in config.failover.peers.iter().rev() {
            map.peers.push(PeerInfo {
                name: p.name.clone(),
                secondary: p.role == FailoverRole::Secondary,
                mclt: p.mclt,
                me: StateAt { state: file_state(p.me.state.state), since: since(p.me.state.since) },
                partner: StateAt { state: file_state(p.partner.state.state), since: since(p.partner.state.since) },
            });
        }
        let npeers = config.failover.peers.len();
        for pool in &config.pools {
            let listed = config.shared_networks.get(pool.shared_network).is_some_and(|s| s.listed);
            map.pools.push(PoolInfo { peer: pool.failover_peer.map(|i| npeers - 1 - i), listed });
        }
        for (i, pool) in config.pools.iter().enumerate() {
            let owner = pool.merged_into.unwrap_or(i);
            for r in &pool.ranges {
                let (a, b) = (u32::from(r.low), u32::from(r.high));
                map.ranges.push((a.min(b), a.max(b), owner));
            }
        }
        for sn in config.shared_networks.iter().rev().filter(|s| s.listed) {
            for &p in &sn.pools {
                if config.pools.get(p).is_some_and(|pool| pool.merged_into.is_none()) {
                    map.write_order.push(p);
                }
            }
        }
        map.finish_ranges();
        map
    }

    /// Sorts the ranges and trims overlaps (the first declared keeps an
    /// address, as ISC keeps the lease it made first).
    fn finish_ranges(&mut self) {
        let mut by_decl: Vec<(usize, (u32, u32, usize))> = self.ranges.drain(..).enumerate().collect();
        by_decl.sort_by_key(|&(i, (a, _, _))| (a, i));
        let mut out: Vec<(u32, u32, usize)> = Vec::with_capacity(by_decl.len());
        for (_, (a, b, p)) in by_decl {
            match out.last() {
                Some(&(_, last_b, _)) if a <= last_b => {
                    if b > last_b {
                        out.push((last_b + 1, b, p));
                    }
                }
                _ => out.push((a, b, p)),
            }
        }
        self.ranges = out;
        let mut total = 0u64;
        self.before = self
            .ranges
            .iter()
            .map(|&(a, b, _)| {
                let n = total;
                total += u64::from(b - a) + 1;
                n
            })
            .collect();
    }

    /// A map with the given ranges, pools and peers (for tests and tools).
    pub fn new(ranges: Vec<(Ipv4Addr, Ipv4Addr, usize)>, pools: Vec<PoolInfo>, peers: Vec<PeerInfo>) -> PoolMap {
        let mut map = PoolMap {
            before: Vec::new(),
            ranges: ranges
                .into_iter()
                .map(|(a, b, p)| (u32::from(a).min(u32::from(b)), u32::from(a).max(u32::from(b)), p))
                .collect(),
            write_order: (0..pools.len()).filter(|&p| pools[p].listed).collect(),
            pools,
            peers,
        };
        map.finish_ranges();
        map
    }

    /// The pool serving `ip`, if any range holds it.
    pub fn pool_of(&self, ip: Ipv4Addr) -> Option<usize> {
        self.place(ip).map(|(pool, _)| pool)
    }

    /// The pool serving `ip` and the address's number among all the
    /// addresses of all the ranges (0 for the lowest), if any range holds it.
    pub fn place(&self, ip: Ipv4Addr) -> Option<(usize, u64)> {
        let ip = u32::from(ip);
        let i = self.ranges.partition_point(|&(a, _, _)| a <= ip).checked_sub(1)?;
        let (a, b, p) = self.ranges[i];
        (ip <= b).then(|| (p, self.before[i] + u64::from(ip - a)))
    }

    /// Takes the peers' states from the lease file (a secondary also takes
    /// its `mclt` from there), as ISC does while reading it.
    pub fn adopt_file_states(&mut self, states: &[FailoverStateRecord]) {
        for rec in states {
            if let Some(p) = self.peers.iter_mut().find(|p| p.name == rec.peer) {
                if let Some(me) = rec.me {
                    p.me = me;
                }
                if let Some(partner) = rec.partner {
                    p.partner = partner;
                }
                if let (true, Some(m)) = (p.secondary, rec.mclt) {
                    p.mclt = m;
                }
            }
        }
    }
}

/// A lease's queue in its pool (ISC's `FREE_LEASES` .. `RESERVED_LEASES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Queue {
    /// Free leases.
    Free = 0,
    /// Active leases.
    Active = 1,
    /// Expired, released and reset leases.
    Expired = 2,
    /// Abandoned leases.
    Abandoned = 3,
    /// Free leases the secondary owns.
    Backup = 4,
    /// Reserved free or backup leases.
    Reserved = 5,
}

/// Everything the startup pass reads or changes about one lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The address.
    pub ip: Ipv4Addr,
    /// Its pool (index into [`PoolMap::pools`]).
    pub pool: u32,
    /// Current state.
    pub binding: BindingState,
    /// State it moves to at `ends`.
    pub next: BindingState,
    /// Rewind state (changed only for BACKUP → FREE).
    pub rewind: Option<BindingState>,
    /// `ends`.
    pub ends: Time,
    /// `tstp`.
    pub tstp: Time,
    /// `tsfp`.
    pub tsfp: Time,
    /// `atsfp`.
    pub atsfp: Time,
    /// The reserved flag.
    pub reserved: bool,
    /// Has a hardware address or a non-empty uid (ISC writes it even when free).
    pub identified: bool,
    /// The expiry or release event ran: client data and events are gone.
    pub events_ran: bool,
    /// The billing class is dropped.
    pub unbilled: bool,
    /// The pass changed something the writer prints.
    pub changed: bool,
}

impl Slot {
    /// The slot of a lease placed in `pool`.
    pub fn of(lease: &Lease, pool: usize) -> Slot {
        Slot {
            ip: lease.ip,
            pool: pool as u32,
            binding: lease.binding_state,
            next: lease.next_binding_state,
            rewind: lease.rewind_binding_state,
            ends: lease.ends,
            tstp: lease.tstp,
            tsfp: lease.tsfp,
            atsfp: lease.atsfp,
            reserved: lease.reserved,
            identified: lease.hardware.is_some() || lease.uid.as_ref().is_some_and(|u| !u.is_empty()),
            events_ran: false,
            unbilled: false,
            changed: false,
        }
    }

    /// The slot of a lease block the fast path read, placed in `pool`: the
    /// same as [`Slot::of`] the lease it stands for.
    pub fn of_block(b: &LeaseBlock<'_>, pool: usize) -> Slot {
        Slot {
            ip: b.ip,
            pool: pool as u32,
            binding: b.binding_state,
            next: b.next_binding_state,
            rewind: Some(b.rewind_binding_state),
            ends: b.ends,
            tstp: b.tstp,
            tsfp: b.tsfp,
            atsfp: b.atsfp,
            reserved: b.reserved,
            // The fast path leaves an empty uid to the full reader.
            identified: b.hardware.is_some() || b.uid.is_some(),
            events_ran: false,
            unbilled: false,
            changed: false,
        }
    }

    /// Whether ISC writes the lease on a rewrite (`write_leases4`).
    pub fn is_interesting(&self) -> bool {
        self.identified || self.tsfp != 0 || self.binding != BindingState::Free
    }

    /// The queue the lease sits on.
    pub fn queue(&self) -> Queue {
        match self.binding {
            BindingState::Free if self.reserved => Queue::Reserved,
            BindingState::Free => Queue::Free,
            BindingState::Active => Queue::Active,
            BindingState::Expired | BindingState::Released | BindingState::Reset => Queue::Expired,
            BindingState::Abandoned => Queue::Abandoned,
            BindingState::Backup if self.reserved => Queue::Reserved,
            BindingState::Backup => Queue::Backup,
        }
    }

    /// Its position in the queue (ISC `sort_time`); in PARTNER-DOWN an
    /// expired lease waits for the later of `tsfp` and `ends`.
    fn sort_time(&self, partner_down: bool) -> Time {
        if partner_down && self.queue() == Queue::Expired {
            self.tsfp.max(self.ends)
        } else {
            self.ends
        }
    }

    /// Carries the pass's result into the full lease.
    pub fn apply(&self, lease: &mut Lease) {
        lease.binding_state = self.binding;
        lease.next_binding_state = self.next;
        lease.rewind_binding_state = self.rewind;
        lease.tstp = self.tstp;
        lease.tsfp = self.tsfp;
        lease.atsfp = self.atsfp;
        if self.events_ran || self.unbilled {
            lease.billing_class = None;
        }
        if self.events_ran {
            lease.on_expiry = None;
            lease.on_release = None;
            lease.agent_options.clear();
            lease.client_hostname = None;
        }
    }
}

/// Instantiates and expires `slots` as ISC does at startup, and puts them
/// in ISC's write order. Returns the order (indexes into `slots`) of every
/// lease in a written pool, interesting or not.
pub fn settle(slots: &mut [Slot], map: &PoolMap, now: Time) -> Vec<usize> {
    let peer_of = |s: &Slot| map.pools.get(s.pool as usize).and_then(|p| p.peer).and_then(|i| map.peers.get(i));
    for s in slots.iter_mut() {
        let peer = peer_of(s);
        if s.binding == BindingState::Backup && peer.is_none() {
            s.binding = BindingState::Free;
            s.next = BindingState::Free;
            s.rewind = Some(BindingState::Free);
            s.changed = true;
        }
        if !matches!(
            s.binding,
            BindingState::Active | BindingState::Expired | BindingState::Released | BindingState::Reset
        ) {
            s.unbilled = true;
        }
    }
    // Group by pool, then run each pool's timer once.
    let mut by_pool: Vec<Vec<usize>> = vec![Vec::new(); map.pools.len()];
    for (i, s) in slots.iter().enumerate() {
        if let Some(list) = by_pool.get_mut(s.pool as usize) {
            list.push(i);
        }
    }
    let mut order = Vec::with_capacity(slots.len());
    for &p in &map.write_order {
        let Some(members) = by_pool.get(p) else {
            continue;
        };
        let peer = map.pools[p].peer.and_then(|i| map.peers.get(i));
        let partner_down = peer.is_some_and(|x| x.me.state == FailoverState::PartnerDown);
        pool_timer(slots, members, peer, partner_down, now);
        let mut queued: Vec<(Queue, Time, u32, usize)> = members
            .iter()
            .map(|&i| {
                let s = &slots[i];
                (s.queue(), s.sort_time(partner_down), u32::from(s.ip), i)
            })
            .collect();
        queued.sort_unstable();
        order.extend(queued.into_iter().map(|(_, _, _, i)| i));
    }
    order
}

/// One pool's expiry pass (ISC `pool_timer` as `expire_all_pools` runs it).
fn pool_timer(slots: &mut [Slot], members: &[usize], peer: Option<&PeerInfo>, partner_down: bool, now: Time) {
    const QUEUES: [Queue; 6] =
        [Queue::Free, Queue::Active, Queue::Expired, Queue::Abandoned, Queue::Backup, Queue::Reserved];
    let mut queues: Vec<Vec<usize>> = vec![Vec::new(); 6];
    for &i in members {
        queues[slots[i].queue() as usize].push(i);
    }
    for q in QUEUES {
        if let Some(peer) = peer.filter(|_| !partner_down) {
            // The secondary in NORMAL leaves expiry to the primary, and
            // expired leases wait for the peer's acknowledgement.
            if q == Queue::Active && peer.secondary && peer.me.state == FailoverState::Normal {
                continue;
            }
            if q == Queue::Expired {
                continue;
            }
        }
        // A lease moving within this queue is looked at again, as ISC's
        // walk may meet it again further down.
        let mut work = std::mem::take(&mut queues[q as usize]);
        while !work.is_empty() {
            // Only leases due by now and bound for another state take part:
            // ISC's walk stops at the first lease not due and passes over
            // the others, so they are left out before sorting.
            work.retain(|&i| slots[i].sort_time(partner_down) <= now && slots[i].next != slots[i].binding);
            work.sort_unstable_by_key(|&i| (slots[i].sort_time(partner_down), u32::from(slots[i].ip)));
            let mut again = Vec::new();
            for &i in &work {
                let s = &mut slots[i];
                transition(s, peer, partner_down);
                let to = s.queue();
                if to == q {
                    again.push(i);
                } else if to > q {
                    queues[to as usize].push(i);
                }
            }
            work = again;
        }
    }
}

/// A lease's state change (ISC `make_binding_state_transition`, entered
/// through `supersede_lease` from the pool timer).
fn transition(s: &mut Slot, peer: Option<&PeerInfo>, partner_down: bool) {
    let (from, to) = (s.binding, s.next);
    use BindingState::*;
    // The update must reach the peer again.
    s.atsfp = 0;
    s.changed = true;
    let ends_client = match peer {
        Some(_) => {
            (matches!(from, Expired | Active) && matches!(to, Free | Backup))
                || (from == Released && matches!(to, Free | Backup))
        }
        None => from == Active,
    };
    if ends_client {
        s.events_ran = true;
        s.tstp = s.ends;
    }
    s.binding = to;
    s.next = match to {
        Active if peer.is_some() => Expired,
        Active => Free,
        Expired | Released | Abandoned | Reset => {
            if let (Some(p), true) = (peer, partner_down) {
                s.tsfp = p.me.since.saturating_add(i64::from(p.mclt));
            }
            Free
        }
        Free | Backup => to,
    };
}

/// The failover blocks a rewrite writes: one per configured peer, in ISC's
/// order, with the states read from the file.
pub fn failover_records(map: &PoolMap) -> Vec<FailoverStateRecord> {
    map.peers.iter().map(PeerInfo::record).collect()
}

/// Settles the leases of a replayed file (one per address): leases outside
/// every range are dropped (their addresses returned), the rest settled and
/// returned in ISC's write order, uninteresting ones left out, as ISC's
/// rewrite would list them.
pub fn settle_leases(all: impl IntoIterator<Item = Lease>, map: &PoolMap, now: Time) -> (Vec<Lease>, Vec<Ipv4Addr>) {
    let mut orphans = Vec::new();
    let mut leases = Vec::new();
    let mut slots = Vec::new();
    for lease in all {
        match map.pool_of(lease.ip) {
            Some(p) => {
                slots.push(Slot::of(&lease, p));
                leases.push(Some(lease));
            }
            None => orphans.push(lease.ip),
        }
    }
    let order = settle(&mut slots, map, now);
    let mut out = Vec::with_capacity(order.len());
    for i in order {
        if !slots[i].is_interesting() {
            continue;
        }
        if let Some(mut l) = leases[i].take() {
            slots[i].apply(&mut l);
            out.push(l);
        }
    }
    (out, orphans)
}

/// The state a server starts from: a replayed lease file after ISC's
/// startup pass, ready to be written as the startup rewrite.
#[derive(Debug)]
pub struct Startup {
    /// Pools, ranges and peers (with the states the file recorded).
    pub map: PoolMap,
    /// Leases in pools, settled, in ISC's write order (uninteresting ones
    /// left out).
    pub leases: Vec<Lease>,
    /// Addresses the file had leases for but no range holds.
    pub orphans: Vec<Ipv4Addr>,
    /// One failover block per configured peer.
    pub failover: Vec<FailoverStateRecord>,
    /// Classes and subclasses ISC writes back (dynamic ones).
    pub classes: Vec<ClassRecord>,
    /// Groups ISC writes back (dynamic, or static and deleted).
    pub groups: Vec<GroupRecord>,
    /// Hosts made or deleted through OMAPI.
    pub hosts: Vec<HostRecord>,
    /// The server DUID from the file.
    pub server_duid: Option<Vec<u8>>,
}

impl Startup {
    /// Runs ISC's startup pass over a replayed file for `config` at `now`.
    pub fn new(config: &Config, mut state: LeaseFileState, now: Time) -> Startup {
        let mut map = PoolMap::from_config(config, now);
        map.adopt_file_states(&state.failover);
        let (leases, orphans) = settle_leases(std::mem::take(&mut state.leases).into_values(), &map, now);
        let failover = failover_records(&map);
        Startup {
            map,
            leases,
            orphans,
            failover,
            classes: state.classes.into_iter().filter(|c| c.dynamic).collect(),
            groups: state.groups.into_iter().filter(|g| g.dynamic || (g.is_static && g.deleted)).collect(),
            hosts: state.hosts,
            server_duid: state.server_duid,
        }
    }

    /// What the startup rewrite writes (without `server-duid`, which a real
    /// start appends afterwards and `-T` never writes).
    pub fn rewrite(&self) -> Rewrite<'_> {
        Rewrite {
            classes: self.classes.iter().collect(),
            groups: self.groups.iter().collect(),
            hosts: self.hosts.iter().collect(),
            failover: self.failover.iter().collect(),
            leases: self.leases.iter().collect(),
            server_duid: None,
        }
    }
}

#[cfg(test)]
#[path = "tests/startup.rs"]
mod tests;
