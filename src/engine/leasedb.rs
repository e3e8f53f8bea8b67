//! The in-memory lease database, kept the way ISC's `mdb.c` keeps it.
//!
//! Every address of every `range` exists as a lease from the start, FREE
//! (ISC `new_address_range`); leases read from the lease file replace
//! them (`enter_lease`). Leases are found by address, by client
//! identifier and by hardware address. The last two are chains ordered by
//! ISC's preference at the time a lease joined them (`uid_hash_add`,
//! `client_lease_preferred`): active leases first, the longest-lived
//! first, then recently used ones. Each pool queues its leases by state,
//! sorted by the time of their next event ([`LeaseQueue`]); allocation
//! takes the head of the free queue and expiry walks the heads.
//!
//! [`LeaseDb::supersede`] is ISC's `supersede_lease`: the one way a
//! lease changes, moving it between hashes and queues and making its
//! binding-state transition. Nothing here does IO; a change that ISC
//! would write to the lease file is reported to the caller.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::conf::fasthash::FastMap;
use crate::conf::ast::Statement;
use crate::conf::model::Config;
use crate::lease::{BindingState, Lease, NEVER};

use super::classify::ClassRef;
use super::failover::{PeerStatus, ServiceState};
use super::outcome::LogLine;
use super::queue::{Key, LeaseIdx, LeaseQueue};

/// ISC's `LEASE_HASH_SIZE`: the number of buckets of the address hash,
/// whose iteration order decides the initial order of the free queues.
pub const LEASE_HASH_SIZE: u32 = 100_003;

/// Which of a pool's queues a lease sits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueKind {
    /// FREE leases not reserved.
    Free = 0,
    /// ACTIVE leases.
    Active = 1,
    /// EXPIRED, RELEASED and RESET leases.
    Expired = 2,
    /// ABANDONED leases.
    Abandoned = 3,
    /// BACKUP leases not reserved.
    Backup = 4,
    /// FREE or BACKUP leases with the reserved flag.
    Reserved = 5,
}

impl QueueKind {
    /// The queues in ISC's `pool_timer` order.
    pub const ALL: [QueueKind; 6] =
        [QueueKind::Free, QueueKind::Active, QueueKind::Expired, QueueKind::Abandoned, QueueKind::Backup, QueueKind::Reserved];

    fn of(lease: &Lease) -> QueueKind {
        match lease.binding_state {
            BindingState::Free if lease.reserved => QueueKind::Reserved,
            BindingState::Free => QueueKind::Free,
            BindingState::Active => QueueKind::Active,
            BindingState::Expired | BindingState::Released | BindingState::Reset => QueueKind::Expired,
            BindingState::Abandoned => QueueKind::Abandoned,
            BindingState::Backup if lease.reserved => QueueKind::Reserved,
            BindingState::Backup => QueueKind::Backup,
        }
    }
}

/// A lease with what ISC keeps beside the file's fields.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The lease record.
    pub lease: Lease,
    /// The pool whose range declared it (after ISC's pool merging).
    pub pool: Option<usize>,
    /// The subnet of that range.
    pub subnet: Option<usize>,
    /// The host declaration hung off the lease (ISC `lease->host`).
    pub host: Option<usize>,
    /// ISC `cannot_reuse`: the next renewal may not reuse the lease as is.
    pub cannot_reuse: bool,
    /// The client NUL-terminates text options (`MS_NULL_TERMINATION`).
    pub ms_null: bool,
    /// ISC `UNICAST_BROADCAST_HACK`, settable only through OMAPI's `flags`.
    pub unicast_hack: bool,
    /// The class the lease is billed to.
    pub billing: Option<ClassRef>,
    /// The relay agent information stashed with the lease, as received
    /// (the lease file keeps its text form in `lease.agent_options`).
    pub agent_raw: Option<Vec<u8>>,
    /// `on expiry` statements registered for the lease.
    pub on_expiry: Option<Arc<[Statement]>>,
    /// `on release` statements registered for the lease.
    pub on_release: Option<Arc<[Statement]>>,
    /// An offer of this lease waits for a ping (ISC `lease->state`).
    pub pending: Option<u64>,
    /// When the lease's next event is due (ISC `sort_time`).
    pub sort_time: i64,
    queue: Option<(QueueKind, Key)>,
    /// Order of (re)insertion into the address hash.
    ip_seq: u64,
}

/// ISC's lease flag bits that OMAPI shows and sets (`EPHEMERAL_FLAGS`).
pub mod flags {
    /// `BOOTP_LEASE`.
    pub const BOOTP: u8 = 2;
    /// `RESERVED_LEASE`.
    pub const RESERVED: u8 = 4;
    /// `MS_NULL_TERMINATION`.
    pub const MS_NULL_TERMINATION: u8 = 8;
    /// `UNICAST_BROADCAST_HACK`.
    pub const UNICAST_BROADCAST_HACK: u8 = 64;
    /// All of them (ISC `EPHEMERAL_FLAGS`).
    pub const EPHEMERAL: u8 = BOOTP | RESERVED | MS_NULL_TERMINATION | UNICAST_BROADCAST_HACK;
}

impl Entry {
    /// The lease's [`flags`] byte as ISC keeps it.
    pub fn flags(&self) -> u8 {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        bit(self.lease.bootp, flags::BOOTP)
            | bit(self.lease.reserved, flags::RESERVED)
            | bit(self.ms_null, flags::MS_NULL_TERMINATION)
            | bit(self.unicast_hack, flags::UNICAST_BROADCAST_HACK)
    }
}

/// A pool's queues and counters.
#[derive(Clone, Debug, Default)]
pub struct PoolState {
    queues: [LeaseQueue; 6],
    /// FREE leases on the free queue (ISC `free_leases`).
    pub free_leases: i64,
    /// BACKUP leases on the backup queue.
    pub backup_leases: i64,
    /// Leases of the pool (ISC `lease_count`).
    pub lease_count: i64,
    /// The high-threshold line was logged (`log-threshold-high`).
    pub logged: bool,
    /// Usage at which the threshold resets.
    pub low_threshold: i64,
}

impl PoolState {
    /// A queue of the pool.
    pub fn queue(&self, kind: QueueKind) -> &LeaseQueue {
        &self.queues[kind as usize]
    }
}

/// The lease database.
#[derive(Clone, Debug, Default)]
pub struct LeaseDb {
    entries: Vec<Entry>,
    by_ip: FastMap<u32, LeaseIdx>,
    // Keyed by client-supplied bytes: keep SipHash against flooding.
    by_uid: HashMap<Vec<u8>, Vec<LeaseIdx>>,
    by_hw: HashMap<Vec<u8>, Vec<LeaseIdx>>,
    pools: Vec<PoolState>,
    next_ip_seq: u64,
    unbilled: Vec<ClassRef>,
    expired: Vec<LeaseIdx>,
    fired: Vec<(LeaseIdx, Arc<[Statement]>)>,
}

/// The hardware hash key of a lease: type byte then address, as ISC's
/// `hardware_addr.hbuf`; `None` when it has none or it is a bare
/// InfiniBand type (ISC does not hash those).
pub fn hw_key(lease: &Lease) -> Option<Vec<u8>> {
    let hw = lease.hardware.as_ref()?;
    if hw.addr.is_empty() && hw.htype == 32 {
        return None;
    }
    let mut k = Vec::with_capacity(1 + hw.addr.len());
    k.push(hw.htype);
    k.extend_from_slice(&hw.addr);
    Some(k)
}

/// ISC `client_lease_preferred(cand, lease)`: whether `lease` goes before
/// `cand` in a client's chain.
fn preferred(cand: &Lease, lease: &Lease) -> bool {
    use BindingState::*;
    match cand.binding_state {
        Active => lease.binding_state == Active && lease.ends >= cand.ends,
        Expired | Released => {
            lease.binding_state == Active
                || (matches!(lease.binding_state, Expired | Released) && lease.cltt >= cand.cltt)
        }
        Abandoned => lease.binding_state != Abandoned || lease.cltt >= cand.cltt,
        _ => {
            matches!(lease.binding_state, Active | Expired | Released)
                || (lease.binding_state != Abandoned && lease.cltt >= cand.cltt)
        }
    }
}

/// Whether the pool timer of a server in relationship `p` expires ACTIVE
/// leases itself (`failover::binding::expires_active_leases`).
fn expires_active_leases(p: &PeerStatus) -> bool {
    let role = if p.primary { crate::failover::Role::Primary } else { crate::failover::Role::Secondary };
    crate::failover::binding::expires_active_leases(role, p.service)
}

impl LeaseDb {
    /// One FREE lease per address of every range of `config` (ISC
    /// `new_address_range`), with `"lease A is declared twice!"`-style
    /// overlaps resolved as ISC does: the first range keeps the address.
    pub fn new(config: &Config) -> LeaseDb {
        let mut db = LeaseDb { pools: vec![PoolState::default(); config.pools.len()], ..LeaseDb::default() };
        for (pi, pool) in config.pools.iter().enumerate() {
            let owner = pool.merged_into.unwrap_or(pi);
            for r in &pool.ranges {
                let (a, b) = (u32::from(r.low), u32::from(r.high));
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                for ip in lo..=hi {
                    if db.by_ip.contains_key(&ip) {
                        continue;
                    }
                    let mut lease = Lease::new(Ipv4Addr::from(ip));
                    lease.rewind_binding_state = Some(BindingState::Free);
                    db.push(lease, Some(owner), Some(r.subnet));
                }
            }
        }
        db
    }

    fn push(&mut self, lease: Lease, pool: Option<usize>, subnet: Option<usize>) -> LeaseIdx {
        let ip = u32::from(lease.ip);
        self.next_ip_seq += 1;
        self.entries.push(Entry {
            lease,
            pool,
            subnet,
            host: None,
            cannot_reuse: false,
            ms_null: false,
            unicast_hack: false,
            billing: None,
            agent_raw: None,
            on_expiry: None,
            on_release: None,
            pending: None,
            sort_time: 0,
            queue: None,
            ip_seq: self.next_ip_seq,
        });
        let idx = self.entries.len() - 1;
        self.by_ip.insert(ip, idx);
        idx
    }

    /// A lease read from the lease file (ISC `enter_lease`): it replaces
    /// the range's lease of that address and takes its pool and subnet.
    /// Addresses outside every range are refused with ISC's line.
    pub fn enter(&mut self, lease: Lease) -> Result<LeaseIdx, LogLine> {
        let ip = u32::from(lease.ip);
        let Some(&idx) = self.by_ip.get(&ip) else {
            return Err(LogLine::error(format!("lease {}: no subnet.", lease.ip)));
        };
        self.next_ip_seq += 1;
        let e = &mut self.entries[idx];
        e.lease = lease;
        e.ip_seq = self.next_ip_seq;
        Ok(idx)
    }

    /// Puts every lease on its queue and in the client hashes, in ISC's
    /// start-up order (`expire_all_pools` → `lease_instantiate`), then
    /// runs each pool's expiry and recounts the pools. `peer` gives each
    /// pool's failover relationship. Returns the leases expiry changed.
    pub fn instantiate(&mut self, now: i64, peer: &dyn Fn(usize) -> Option<PeerStatus>) -> Vec<LeaseIdx> {
        let mut order: Vec<LeaseIdx> = (0..self.entries.len()).collect();
        order.sort_by_key(|&i| {
            let e = &self.entries[i];
            (u32::from(e.lease.ip) % LEASE_HASH_SIZE, std::cmp::Reverse(e.ip_seq))
        });
        let mut last: Option<(usize, QueueKind, Key)> = None;
        for idx in order {
            let Some(pool) = self.entries[idx].pool else { continue };
            let has_peer = peer(pool).is_some();
            let e = &mut self.entries[idx];
            if e.lease.binding_state == BindingState::Backup && !has_peer {
                e.lease.binding_state = BindingState::Free;
                e.lease.next_binding_state = BindingState::Free;
                e.lease.rewind_binding_state = Some(BindingState::Free);
            }
            let kind = QueueKind::of(&e.lease);
            let sort_time = Self::sort_time_of(&e.lease, peer(pool).as_ref());
            let follow = match last {
                Some((p, k, key)) if p == pool && k == kind && key.0 <= sort_time => Some(key),
                _ => None,
            };
            let key = self.enqueue_at(idx, pool, kind, sort_time, follow);
            last = Some((pool, kind, key));
            self.hash_add(idx);
        }
        let mut changed = Vec::new();
        for p in 0..self.pools.len() {
            changed.extend(self.pool_timer(p, now, peer(p).as_ref()));
            let st = &mut self.pools[p];
            st.lease_count = 0;
            st.free_leases = 0;
            st.backup_leases = 0;
            for kind in QueueKind::ALL {
                let queued: Vec<LeaseIdx> = self.pools[p].queues[kind as usize].iter().map(|(_, i)| i).collect();
                for i in queued {
                    let l = &self.entries[i].lease;
                    let st = &mut self.pools[p];
                    st.lease_count += 1;
                    if l.ends <= now {
                        if l.binding_state == BindingState::Free && kind == QueueKind::Free {
                            st.free_leases += 1;
                        } else if l.binding_state == BindingState::Backup && kind == QueueKind::Backup {
                            st.backup_leases += 1;
                        }
                    }
                }
            }
        }
        changed
    }

    /// ISC `sort_time` for a lease's queue (`lease_enqueue`).
    fn sort_time_of(lease: &Lease, peer: Option<&PeerStatus>) -> i64 {
        match lease.binding_state {
            BindingState::Expired | BindingState::Released | BindingState::Reset
                if peer.is_some_and(|p| p.me_partner_down) =>
            {
                lease.tsfp.max(lease.ends)
            }
            _ => lease.ends,
        }
    }

    fn enqueue_at(&mut self, idx: LeaseIdx, pool: usize, kind: QueueKind, sort_time: i64, follow: Option<Key>) -> Key {
        let st = &mut self.pools[pool];
        let q = &mut st.queues[kind as usize];
        let key = match follow {
            Some(after) => {
                let ins = q.insert_after(after, sort_time, idx);
                for (moved, new_key) in ins.moved {
                    self.entries[moved].queue = Some((kind, new_key));
                }
                ins.key
            }
            None => q.insert(sort_time, idx),
        };
        match kind {
            QueueKind::Free => st.free_leases += 1,
            QueueKind::Backup => st.backup_leases += 1,
            _ => {}
        }
        let e = &mut self.entries[idx];
        e.sort_time = sort_time;
        e.queue = Some((kind, key));
        key
    }

    fn dequeue(&mut self, idx: LeaseIdx) {
        let Some(pool) = self.entries[idx].pool else { return };
        if let Some((kind, key)) = self.entries[idx].queue.take() {
            let st = &mut self.pools[pool];
            let removed = st.queues[kind as usize].remove(key);
            debug_assert_eq!(removed, Some(idx), "lease {idx} was not at its recorded queue key");
            match kind {
                QueueKind::Free => st.free_leases -= 1,
                QueueKind::Backup => st.backup_leases -= 1,
                _ => {}
            }
        }
    }

    fn enqueue(&mut self, idx: LeaseIdx, peer: Option<&PeerStatus>) {
        let Some(pool) = self.entries[idx].pool else { return };
        let kind = QueueKind::of(&self.entries[idx].lease);
        let t = Self::sort_time_of(&self.entries[idx].lease, peer);
        self.enqueue_at(idx, pool, kind, t, None);
    }

    fn hash_add(&mut self, idx: LeaseIdx) {
        let lease = &self.entries[idx].lease;
        if let Some(uid) = lease.uid.as_ref().filter(|u| !u.is_empty()) {
            let chain = self.by_uid.entry(uid.clone()).or_default();
            let at = chain.iter().position(|&c| preferred(&self.entries[c].lease, lease)).unwrap_or(chain.len());
            chain.insert(at, idx);
        }
        if let Some(key) = hw_key(lease) {
            let chain = self.by_hw.entry(key).or_default();
            let at = chain.iter().position(|&c| preferred(&self.entries[c].lease, lease)).unwrap_or(chain.len());
            chain.insert(at, idx);
        }
    }

    fn hash_delete(&mut self, idx: LeaseIdx) {
        let lease = &self.entries[idx].lease;
        if let Some(uid) = lease.uid.as_ref() {
            if let Some(chain) = self.by_uid.get_mut(uid) {
                chain.retain(|&c| c != idx);
                if chain.is_empty() {
                    self.by_uid.remove(uid);
                }
            }
        }
        if let Some(key) = hw_key(lease) {
            if let Some(chain) = self.by_hw.get_mut(&key) {
                chain.retain(|&c| c != idx);
                if chain.is_empty() {
                    self.by_hw.remove(&key);
                }
            }
        }
    }

    /// A lease.
    pub fn get(&self, idx: LeaseIdx) -> &Entry {
        &self.entries[idx]
    }

    /// A lease, for the fields that do not affect its place (host,
    /// pending offer, reuse and billing flags).
    pub fn get_mut(&mut self, idx: LeaseIdx) -> &mut Entry {
        &mut self.entries[idx]
    }

    /// Number of leases.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no leases.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every lease record, for a full lease-file rewrite.
    pub fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.entries.iter().map(|e| &e.lease)
    }

    /// The lease of an address (ISC `find_lease_by_ip_addr`).
    pub fn by_ip(&self, ip: Ipv4Addr) -> Option<LeaseIdx> {
        self.by_ip.get(&u32::from(ip)).copied()
    }

    /// The leases of a client identifier, most preferred first.
    pub fn by_uid(&self, uid: &[u8]) -> &[LeaseIdx] {
        if uid.is_empty() {
            return &[];
        }
        self.by_uid.get(uid).map_or(&[], Vec::as_slice)
    }

    /// The leases of a hardware address (type byte then address).
    pub fn by_hw(&self, key: &[u8]) -> &[LeaseIdx] {
        if key.is_empty() || key == [32] {
            return &[];
        }
        self.by_hw.get(key).map_or(&[], Vec::as_slice)
    }

    /// A pool's queues and counters.
    pub fn pool(&self, pool: usize) -> &PoolState {
        &self.pools[pool]
    }

    /// A pool's counters, for the threshold bookkeeping.
    pub fn pool_mut(&mut self, pool: usize) -> &mut PoolState {
        &mut self.pools[pool]
    }

    /// ISC `supersede_lease(comp, lease, commit, propogate, ...)`: installs
    /// `update` (if any) on lease `idx`, moves it to its new queue after
    /// the binding-state transition, and returns whether the result must
    /// be written to the lease file. Log lines go to `logs`. A lease left
    /// with a state change already due triggers its pool's expiry run, whose
    /// changes [`take_expired`](Self::take_expired) hands over.
    #[allow(clippy::too_many_arguments)]
    pub fn supersede(
        &mut self,
        idx: LeaseIdx,
        update: Option<Lease>,
        commit: bool,
        propagate: bool,
        now: i64,
        peer: Option<&PeerStatus>,
        logs: &mut Vec<LogLine>,
    ) -> bool {
        let write = self.supersede_inner(idx, update, commit, propagate, peer, logs);
        let e = &self.entries[idx];
        if e.sort_time < now && e.lease.next_binding_state != e.lease.binding_state {
            if let Some(pool) = e.pool {
                let changed = self.pool_timer(pool, now, peer);
                self.expired.extend(changed);
            }
        }
        write
    }

    /// Leases an expiry run inside [`supersede`](Self::supersede) changed
    /// (each to be written).
    pub fn take_expired(&mut self) -> Vec<LeaseIdx> {
        std::mem::take(&mut self.expired)
    }

    fn supersede_inner(
        &mut self,
        idx: LeaseIdx,
        update: Option<Lease>,
        commit: bool,
        propagate: bool,
        peer: Option<&PeerStatus>,
        logs: &mut Vec<LogLine>,
    ) -> bool {
        if let Some(new) = update {
            let comp = &self.entries[idx].lease;
            let conflict = new.binding_state != BindingState::Abandoned
                && new.next_binding_state != BindingState::Abandoned
                && comp.binding_state == BindingState::Active
                && match (&comp.uid, &new.uid) {
                    (Some(a), Some(b)) => a != b,
                    (None, _) => hw_key(comp) != hw_key(&new),
                    _ => false,
                };
            if conflict {
                logs.push(LogLine::error(format!("Lease conflict at {}", comp.ip)));
            }
            self.hash_delete(idx);
            let comp = &mut self.entries[idx].lease;
            comp.starts = new.starts;
            comp.uid = new.uid;
            comp.hardware = new.hardware;
            comp.bindings = new.bindings;
            comp.agent_options = if matches!(new.next_binding_state, BindingState::Active | BindingState::Expired) {
                new.agent_options
            } else {
                Vec::new()
            };
            if comp.agent_options.is_empty() {
                self.entries[idx].agent_raw = None;
            }
            let comp = &mut self.entries[idx].lease;
            comp.client_hostname = new.client_hostname;
            if new.on_expiry.is_some() {
                comp.on_expiry = new.on_expiry;
            }
            if new.on_release.is_some() {
                comp.on_release = new.on_release;
            }
            comp.cltt = new.cltt;
            comp.tstp = new.tstp;
            comp.tsfp = new.tsfp;
            comp.atsfp = new.atsfp;
            comp.ends = new.ends;
            comp.next_binding_state = new.next_binding_state;
            self.hash_add(idx);
            self.dequeue(idx);
            let comp = &mut self.entries[idx].lease;
            comp.reserved = new.reserved;
            comp.bootp = new.bootp;
        } else {
            self.dequeue(idx);
        }
        if propagate {
            self.entries[idx].lease.atsfp = 0;
        }
        self.transition(idx, peer);
        self.enqueue(idx, peer);
        if commit
            && propagate
            && peer.is_some_and(|p| matches!(p.service, ServiceState::Cooperating | ServiceState::NotResponding))
        {
            let l = &mut self.entries[idx].lease;
            l.rewind_binding_state = Some(l.binding_state);
        }
        commit
    }

    /// Stores a lease as the failover peer decided it (an update from the
    /// partner applied, a balancing gift, an acknowledgement). The peer's
    /// lease is final, so no binding-state transition is made here; the
    /// queues, the client hashes and class billing follow the new state
    /// (a lease that is no longer bound stops being billed, as ISC's
    /// `supersede_lease` of a peer update does).
    pub fn install(&mut self, idx: LeaseIdx, mut lease: Lease, peer: Option<&PeerStatus>) {
        self.hash_delete(idx);
        self.dequeue(idx);
        let e = &mut self.entries[idx];
        if lease.binding_state != BindingState::Active {
            if let Some(b) = e.billing.take() {
                self.unbilled.push(b);
            }
            lease.billing_class = None;
            e.host = None;
            e.agent_raw = None;
        }
        e.lease = lease;
        self.hash_add(idx);
        self.enqueue(idx, peer);
    }

    /// Stores `lease` where it is when nothing that places it changed: the
    /// same queue and sort time, the same client and the same fields the
    /// client hashes order by (ISC `write_lease` without `supersede_lease`,
    /// which leaves the lease where it is). Anything else is an
    /// [`install`](Self::install).
    pub fn rewrite(&mut self, idx: LeaseIdx, lease: Lease, peer: Option<&PeerStatus>) {
        let e = &self.entries[idx];
        let old = &e.lease;
        let same_place = e.queue.is_some_and(|(kind, _)| kind == QueueKind::of(&lease))
            && e.sort_time == Self::sort_time_of(&lease, peer)
            && old.binding_state == lease.binding_state
            && old.ends == lease.ends
            && old.cltt == lease.cltt
            && old.uid == lease.uid
            && old.hardware == lease.hardware;
        if same_place {
            self.entries[idx].lease = lease;
        } else {
            self.install(idx, lease, peer);
        }
    }

    /// Puts a pool's EXPIRED/RELEASED/RESET leases back in order after the
    /// relationship's state changed: in partner-down they wait for the
    /// later of `ends` and `tsfp` (ISC re-sorts that queue on entering
    /// partner-down), otherwise for `ends`.
    pub fn resort_expired(&mut self, pool: usize, peer: Option<&PeerStatus>) {
        let Some(st) = self.pools.get(pool) else { return };
        let queued: Vec<LeaseIdx> = st.queues[QueueKind::Expired as usize].iter().map(|(_, i)| i).collect();
        for idx in queued {
            self.dequeue(idx);
            self.enqueue(idx, peer);
        }
    }

    /// `on expiry` / `on release` statements state transitions fired since
    /// the last call, with their lease.
    pub fn take_fired(&mut self) -> Vec<(LeaseIdx, Arc<[Statement]>)> {
        std::mem::take(&mut self.fired)
    }

    /// Billing released by state transitions since the last call; the
    /// caller gives the class slots back.
    pub fn take_unbilled(&mut self) -> Vec<ClassRef> {
        std::mem::take(&mut self.unbilled)
    }

    /// ISC `make_binding_state_transition`.
    fn transition(&mut self, idx: LeaseIdx, peer: Option<&PeerStatus>) {
        use BindingState::*;
        let e = &mut self.entries[idx];
        let l = &mut e.lease;
        let (cur, next) = (l.binding_state, l.next_binding_state);
        let expiry = next != cur
            && match peer {
                Some(_) => matches!(cur, Expired | Active) && matches!(next, Free | Backup),
                None => cur == Active && next != Released,
            };
        let release = next != cur
            && match peer {
                Some(_) => cur == Released && matches!(next, Free | Backup),
                None => cur == Active && next == Released,
            };
        if expiry || release {
            // One of the two runs; the other is dropped with it.
            let run = if expiry {
                e.on_release = None;
                e.on_expiry.take()
            } else {
                e.on_expiry = None;
                e.on_release.take()
            };
            if let Some(stmts) = run {
                self.fired.push((idx, stmts));
            }
            if expiry {
                l.on_release = None;
            } else {
                l.on_expiry = None;
            }
            if let Some(b) = e.billing.take() {
                self.unbilled.push(b);
            }
            l.billing_class = None;
            l.agent_options.clear();
            e.agent_raw = None;
            l.client_hostname = None;
            e.host = None;
            l.tstp = l.ends;
        }
        l.binding_state = next;
        l.next_binding_state = match next {
            Active if peer.is_some() => Expired,
            Active => Free,
            Expired | Released | Abandoned | Reset => {
                // ISC stamps stos + MCLT here, forgetting a later promise
                // the peer may still be honouring (failover::binding, point 2).
                if let Some(p) = peer.filter(|p| p.me_partner_down) {
                    l.tsfp = crate::failover::binding::peer_release_time(l.tsfp, p.stos, p.mclt);
                }
                Free
            }
            Free | Backup => next,
        };
    }

    /// ISC `pool_timer`: makes the due state changes of one pool. Returns
    /// the leases changed (each to be written).
    pub fn pool_timer(&mut self, pool: usize, now: i64, peer: Option<&PeerStatus>) -> Vec<LeaseIdx> {
        let mut changed = Vec::new();
        for kind in QueueKind::ALL {
            if let Some(p) = peer.filter(|p| !p.me_partner_down) {
                if kind == QueueKind::Active && !expires_active_leases(p) {
                    continue;
                }
                if kind == QueueKind::Expired {
                    continue;
                }
            }
            for idx in self.pools[pool].queues[kind as usize].due(now) {
                let l = &mut self.entries[idx].lease;
                if l.next_binding_state == l.binding_state {
                    continue;
                }
                if let Some(p) = peer {
                    let mine = if p.primary { BindingState::Free } else { BindingState::Backup };
                    if p.service == ServiceState::NotCooperating
                        && l.next_binding_state == BindingState::Expired
                        && l.rewind_binding_state == Some(mine)
                    {
                        l.next_binding_state = mine;
                    }
                }
                let mut ignored = Vec::new();
                self.supersede_inner(idx, None, true, true, peer, &mut ignored);
                changed.push(idx);
            }
        }
        changed
    }

    /// The queues `pool_timer` walks for a pool with relationship `peer`
    /// (the others cannot change state by time).
    fn timed_queues(peer: Option<&PeerStatus>) -> Vec<QueueKind> {
        let mut kinds = vec![QueueKind::Active, QueueKind::Expired, QueueKind::Abandoned];
        if let Some(p) = peer.filter(|p| !p.me_partner_down) {
            kinds.retain(|&k| k != QueueKind::Expired);
            if !expires_active_leases(p) {
                kinds.retain(|&k| k != QueueKind::Active);
            }
        }
        kinds
    }

    /// The time of pool `pool`'s next state change, if any: `now` when one
    /// is already due.
    fn pool_next_event(&self, pool: usize, now: i64, peer: Option<&PeerStatus>) -> Option<i64> {
        let mut best: Option<i64> = None;
        for kind in Self::timed_queues(peer) {
            for (key, idx) in self.pools[pool].queues[kind as usize].iter() {
                let l = &self.entries[idx].lease;
                if key.0 == NEVER || l.next_binding_state == l.binding_state {
                    continue;
                }
                let t = key.0.max(now);
                best = Some(best.map_or(t, |b| b.min(t)));
                break;
            }
        }
        best
    }

    /// When the next state change of any pool happens (`now` when one is
    /// due), given each pool's failover relationship.
    pub fn next_event(&self, now: i64, peer: &dyn Fn(usize) -> Option<PeerStatus>) -> Option<i64> {
        (0..self.pools.len()).filter_map(|p| self.pool_next_event(p, now, peer(p).as_ref())).min()
    }

    /// The pools that have a state change due at `now`.
    pub fn pools_due(&self, now: i64, peer: &dyn Fn(usize) -> Option<PeerStatus>) -> Vec<usize> {
        (0..self.pools.len()).filter(|&p| self.pool_next_event(p, now, peer(p).as_ref()) == Some(now)).collect()
    }
}

#[cfg(test)]
#[path = "leasedb_tests.rs"]
mod tests;
