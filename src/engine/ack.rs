//! Granting a lease: ISC `ack_lease` (for DHCPOFFER, DHCPACK and dynamic
//! BOOTP replies) and `dhcp_reply`.
//!
//! In ISC's order: run the subnet, pool, class and host scopes into the
//! reply's option state; release the client's other leases under
//! `one-lease-per-client`; apply `min-secs`, `boot-unknown-clients`,
//! `allow-bootp`, `allow-booting` and lease-limit billing; compute the
//! lease time ([`super::leasetime`]); build the new binding and
//! install it (unless `dhcp-cache-threshold` lets the current one be
//! handed back unchanged); put the DHCP options ISC adds (message type,
//! server identifier, lease time, subnet mask, ...) in the state; then
//! either ask for a ping (an OFFER of a lease not known to be in use) or
//! send the reply.

use crate::conf::model::Config;
use crate::lease::{BindingState, BindingValue, HardwareAddr, Lease};
use crate::options::SpaceId;
use crate::wire::dhcp::{MessageType, FLAG_BROADCAST};

use super::agent;
use super::classify::ClassRef;
use super::eval::{EvalContext, EvalLease, ScopeEvaluator};
use super::failover::FailoverHooks;
use super::find::Chosen;
use super::hosts::{HostId, Hosts};
use super::leasetime::{self, Adaptive, Inputs};
use super::outcome::{Outcome, Probe};
use super::release::flag;
use super::reply::Header;
use super::request::{code, Request};
use super::{Engine, PendingOffer};

/// Server-space option codes (ISC `SV_*`).
pub(crate) const SV_DEFAULT_LEASE_TIME: u32 = 1;
pub(crate) const SV_MAX_LEASE_TIME: u32 = 2;
pub(crate) const SV_MIN_LEASE_TIME: u32 = 3;
pub(crate) const SV_BOOTP_LEASE_CUTOFF: u32 = 4;
pub(crate) const SV_BOOTP_LEASE_LENGTH: u32 = 5;
pub(crate) const SV_BOOT_UNKNOWN_CLIENTS: u32 = 6;
pub(crate) const SV_ALLOW_BOOTP: u32 = 8;
pub(crate) const SV_ALLOW_BOOTING: u32 = 9;
pub(crate) const SV_ONE_LEASE_PER_CLIENT: u32 = 10;
pub(crate) const SV_USE_HOST_DECL_NAMES: u32 = 12;
pub(crate) const SV_USE_LEASE_ADDR_FOR_DEFAULT_ROUTE: u32 = 13;
pub(crate) const SV_MIN_SECS: u32 = 14;
pub(crate) const SV_FILENAME: u32 = 15;
pub(crate) const SV_SERVER_NAME: u32 = 16;
pub(crate) const SV_NEXT_SERVER: u32 = 17;
pub(crate) const SV_ALWAYS_REPLY_RFC1048: u32 = 20;
pub(crate) const SV_ALWAYS_BROADCAST: u32 = 22;
pub(crate) const SV_DUPLICATES: u32 = 28;
pub(crate) const SV_STASH_AGENT_OPTIONS: u32 = 37;
pub(crate) const SV_PING_CHECKS: u32 = 42;
pub(crate) const SV_PING_TIMEOUT: u32 = 46;
pub(crate) const SV_RESERVE_INFINITE: u32 = 47;
pub(crate) const SV_ADAPTIVE_LEASE_TIME_THRESHOLD: u32 = 50;
pub(crate) const SV_CACHE_THRESHOLD: u32 = 78;
pub(crate) const SV_IGNORE_CLIENT_UIDS: u32 = 82;
pub(crate) const SV_LOG_THRESHOLD_LOW: u32 = 83;
pub(crate) const SV_LOG_THRESHOLD_HIGH: u32 = 84;
pub(crate) const SV_ECHO_CLIENT_ID: u32 = 85;
pub(crate) const SV_ABANDON_LEASE_TIME: u32 = 89;
pub(crate) const SV_PING_CLTT_SECS: u32 = 99;
pub(crate) const SV_PING_TIMEOUT_MS: u32 = 100;

/// What `ack_lease` answers with (ISC's `offer` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckKind {
    /// DHCPOFFER.
    Offer,
    /// DHCPACK.
    Ack,
    /// BOOTREPLY to a dynamic BOOTP client (ISC `offer == 0`).
    Bootp,
}

/// A four-byte value as ISC's `getULong`.
pub(crate) fn ulong(v: &[u8]) -> Option<i64> {
    let b: [u8; 4] = v.get(..4)?.try_into().ok()?;
    Some(i64::from(u32::from_be_bytes(b)))
}

/// Everything `dhcp_reply` needs once `ack_lease` is done.
pub(crate) struct Prepared {
    pub(crate) kind: AckKind,
    pub(crate) header: Header,
    pub(crate) file: Option<Vec<u8>>,
    pub(crate) sname: Option<Vec<u8>>,
    pub(crate) mms: u16,
    pub(crate) prl: Option<Vec<u8>>,
    pub(crate) echo_client_id: bool,
    pub(crate) agent: Option<Vec<u8>>,
    pub(crate) from: std::net::Ipv4Addr,
    pub(crate) got_server_identifier: bool,
    pub(crate) terminate: bool,
}

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// Runs `execute_statements_in_scope(group, limit)` into `state`.
    pub(crate) fn run_scope<'c>(
        &mut self,
        config: &'c Config,
        cx: &EvalContext<'_>,
        state: &mut E::State<'c>,
        group: usize,
        limit: Option<usize>,
    ) {
        for g in self.scopes.chain(group, limit) {
            self.eval.execute(cx, state, &config.groups[g].statements);
        }
    }

    /// A server option of `state` as a four-byte number.
    pub(crate) fn server_ulong(&mut self, cx: &EvalContext<'_>, state: &E::State<'_>, code: u32) -> Option<i64> {
        self.eval.option(cx, state, SpaceId::SERVER, code).filter(|v| v.len() == 4).and_then(|v| ulong(&v))
    }

    /// A host of the client without a fixed address (ISC's look-up in
    /// `ack_lease` when the lease carries none): by client identifier,
    /// hardware address, then host-identifier option.
    fn dynamic_host(&self, config: &Config, req: &Request<'_>) -> Option<HostId> {
        let free = |hs: &[HostId]| hs.iter().copied().find(|&h| !Hosts::has_fixed(config, h));
        if let Some(h) = req.client_id().and_then(|c| free(self.hosts.by_uid(c))) {
            return Some(h);
        }
        if let Some(h) = free(self.hosts.by_hw(req.repr.htype, req.hw())) {
            return Some(h);
        }
        free(self.hosts.by_option(|space, c| req.space_option(space, c)))
    }

    /// ISC `ack_lease`. `when` is the in-memory expiry of an offer (0 for
    /// others); `msg` the request line logged before the reply.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn ack_lease(
        &mut self,
        config: &Config,
        req: &Request<'_>,
        classes: &[ClassRef],
        chosen: Chosen,
        kind: AckKind,
        when: i64,
        msg: &str,
        host_hint: Option<HostId>,
        now: i64,
        out: &mut Outcome,
    ) {
        let (idx, mut lease, pool, subnet, lease_host, is_static) = match &chosen {
            Chosen::Dynamic(i) => {
                let e = self.db.get(*i);
                if e.pending.is_some() {
                    return;
                }
                let Some(subnet) = e.subnet else { return };
                (Some(*i), e.lease.clone(), e.pool, subnet, e.host, false)
            }
            Chosen::Fixed(f) => {
                let h = &config.hosts[f.host];
                let mut l = Lease::new(f.ip);
                l.uid = h.uid.clone().filter(|u| !u.is_empty());
                l.hardware = h.hardware.as_ref().map(|hw| HardwareAddr { htype: hw.htype, addr: hw.addr.clone() });
                (None, l, None, f.subnet, Some(f.host), true)
            }
        };
        let original_cltt = lease.cltt;
        let mut host = host_hint.or(lease_host);
        let peer = self.pool_peer(pool);
        if lease.ends <= now && kind != AckKind::Offer {
            if let Some(i) = idx {
                let e = self.db.get_mut(i);
                e.on_expiry = None;
                e.on_release = None;
                e.lease.on_expiry = None;
                e.lease.on_release = None;
            }
        }
        let ev_lease = EvalLease {
            address: lease.ip,
            ends: lease.ends,
            is_static,
            host_name: host.map(|h| config.hosts[h].name.clone()),
            hardware: lease.hardware.as_ref().map_or_else(Vec::new, |h| [&[h.htype][..], &h.addr].concat()),
        };
        let pkt = req.eval_packet();
        let cx = EvalContext { packet: Some(pkt), lease: Some(&ev_lease), now };
        let mut state = self.eval.new_state();
        let subnet_group = config.subnets[subnet].group;
        self.run_scope(config, &cx, &mut state, subnet_group, None);
        let pool_group = pool.map(|p| config.pools[p].group);
        if let Some(p) = pool {
            let limit = self.scopes.shared_network_node(config, config.pools[p].shared_network);
            self.run_scope(config, &cx, &mut state, config.pools[p].group, Some(limit));
        }
        let limit = pool_group.unwrap_or(subnet_group);
        for &c in classes.iter().rev() {
            let g = self.classes.group(config, c);
            self.run_scope(config, &cx, &mut state, g, Some(limit));
        }

        // one-lease-per-client: the client forgets its other leases.
        if req.message_type == Some(MessageType::Request)
            && flag(&mut self.eval, &cx, &state, SV_ONE_LEASE_PER_CLIENT).is_some_and(|f| f.value)
        {
            let others = |db: &super::leasedb::LeaseDb, chain: &[usize]| {
                chain.iter().copied().find(|&s| {
                    Some(s) != idx
                        && !matches!(
                            db.get(s).lease.binding_state,
                            BindingState::Released
                                | BindingState::Expired
                                | BindingState::Reset
                                | BindingState::Free
                                | BindingState::Backup
                        )
                })
            };
            let uid = lease.uid.clone().filter(|u| !u.is_empty());
            // Each release changes the lease's state, so these end; the
            // bound guards against a chain that would not.
            if let Some(uid) = &uid {
                for _ in 0..=self.db.by_uid(uid).len() {
                    let Some(s) = others(&self.db, self.db.by_uid(uid)) else { break };
                    self.release_lease(s, now, out);
                }
            }
            let dup_off = host.is_some_and(|h| config.hosts[h].uid.as_ref().map_or(true, Vec::is_empty))
                && flag(&mut self.eval, &cx, &state, SV_DUPLICATES).is_some_and(|f| !f.value);
            if uid.is_none() || dup_off {
                if let Some(key) = super::leasedb::hw_key(&lease) {
                    for _ in 0..=self.db.by_hw(&key).len() {
                        let Some(s) = others(&self.db, self.db.by_hw(&key)) else { break };
                        self.release_lease(s, now, out);
                    }
                }
            }
        }

        if kind == AckKind::Offer {
            if let Some(d) = self.eval.option(&cx, &state, SpaceId::SERVER, SV_MIN_SECS).filter(|d| !d.is_empty()) {
                if req.repr.secs < u16::from(d[0]) {
                    out.info(format!(
                        "{msg}: configured min-secs value ({}) is greater than secs field ({}).  message dropped.",
                        d[0], req.repr.secs
                    ));
                    out.logs.extend(self.eval.take_logs());
                    return;
                }
            }
        }

        if host.is_none() {
            host = self.dynamic_host(config, req);
        }
        if let Some(h) = host {
            self.run_scope(config, &cx, &mut state, config.hosts[h].group, Some(limit));
        }
        if host.is_none() {
            if let Some(f) = flag(&mut self.eval, &cx, &state, SV_BOOT_UNKNOWN_CLIENTS).filter(|f| !f.value) {
                if !f.ignore {
                    out.info(format!("{msg}: unknown client"));
                }
                return;
            }
        }
        if kind == AckKind::Bootp {
            if let Some(f) = flag(&mut self.eval, &cx, &state, SV_ALLOW_BOOTP).filter(|f| !f.value) {
                if !f.ignore {
                    out.info(format!("{msg}: bootp disallowed"));
                }
                return;
            }
        }
        if let Some(f) = flag(&mut self.eval, &cx, &state, SV_ALLOW_BOOTING).filter(|f| !f.value) {
            if !f.ignore {
                out.info(format!("{msg}: booting disallowed"));
            }
            return;
        }

        if let Some(i) = idx {
            if self.classes.have_billing(config) && !self.bill(config, i, classes, kind, msg, out) {
                return;
            }
        }

        let filename = self.eval.option(&cx, &state, SpaceId::SERVER, SV_FILENAME);
        let server_name = self.eval.option(&cx, &state, SpaceId::SERVER, SV_SERVER_NAME);

        // The new binding.
        let mut lt = Lease::new(lease.ip);
        lt.starts = now;
        lt.rewind_binding_state = lease.rewind_binding_state;
        let offered_expiry;
        if kind != AckKind::Bootp {
            let default = self.server_ulong(&cx, &state, SV_DEFAULT_LEASE_TIME).unwrap_or(leasetime::DEFAULT_LEASE_TIME);
            let requested = req.option(code::LEASE_TIME).filter(|v| v.len() == 4).and_then(ulong);
            if requested == Some(leasetime::INFINITE_TIME) {
                if let Some(f) = flag(&mut self.eval, &cx, &state, SV_RESERVE_INFINITE).filter(|f| f.value) {
                    lt.reserved = true;
                    if !f.ignore {
                        out.info(format!("Infinite-leasetime reservation made on {}.", lt.ip));
                    }
                }
            }
            let max = self.server_ulong(&cx, &state, SV_MAX_LEASE_TIME).unwrap_or(leasetime::DEFAULT_MAX_LEASE_TIME);
            let min = self.server_ulong(&cx, &state, SV_MIN_LEASE_TIME);
            let adaptive = match pool {
                Some(p) => self
                    .eval
                    .option(&cx, &state, SpaceId::SERVER, SV_ADAPTIVE_LEASE_TIME_THRESHOLD)
                    .filter(|d| d.len() == 1)
                    .map(|d| {
                        let st = self.db.pool(p);
                        Adaptive {
                            threshold: i64::from(d[0]),
                            lease_count: st.lease_count,
                            used: st.lease_count - (st.free_leases + st.backup_leases),
                            remaining: lease.ends - now,
                        }
                    }),
                None => None,
            };
            if kind == AckKind::Ack {
                if let Some(p) = pool {
                    self.check_pool_threshold(config, &cx, &state, p, &lease, out);
                }
            }
            if let Some(p) = pool {
                let (from, until) = (config.pools[p].valid_from, config.pools[p].valid_until);
                if from.is_some_and(|f| f != 0 && now < f) || until.is_some_and(|u| u != 0 && now >= u) {
                    self.nak_lease(config, req, classes, lease.ip, Some(subnet_group), out);
                    return;
                }
            }
            let until = pool.and_then(|p| config.pools[p].valid_until).filter(|&u| u != 0).map(|u| u - now);
            let computed = leasetime::compute(&Inputs { default, requested, max, min, adaptive, until });
            if let Some([t, f, e, a, fill, th]) = computed.adaptive_debug {
                out.debug(format!(
                    "Adap-lease: Total: {t}, Free: {f}, Ends: {e}, Adaptive: {a}, Fill: {fill}, Threshold: {th}"
                ));
            }
            if let Some((from, to)) = computed.reduced {
                out.info(format!("Pool over threshold, time for {} reduced from {from} to {to}.", lease.ip));
            }
            let mut lease_time = computed.lease_time;
            if let Some(p) = &peer {
                lt.tsfp = lease.tsfp;
                lt.atsfp = lease.atsfp;
                let granted = leasetime::failover_clamp(lease_time, p.mclt, lt.tsfp, now);
                if kind == AckKind::Ack {
                    lt.tstp = if lease_time == leasetime::INFINITE_TIME {
                        leasetime::MAX_TIME
                    } else {
                        leasetime::time_check(now + lease_time + granted / 2, leasetime::MAX_TIME - 1, now)
                    };
                    if lt.tstp < lt.tsfp {
                        lt.tsfp = lt.tstp;
                    }
                } else {
                    lt.tstp = lease.tstp;
                }
                lease_time = granted;
            }
            offered_expiry = leasetime::offered_expiry(lease_time, now);
            lt.ends = if when != 0 { when } else { offered_expiry };
            lt.next_binding_state = if kind == AckKind::Ack { BindingState::Active } else { lease.binding_state };
        } else {
            lt.bootp = true;
            let mut lease_time = leasetime::MAX_TIME - now;
            if let Some(v) = self.server_ulong(&cx, &state, SV_BOOTP_LEASE_LENGTH) {
                lease_time = v;
            }
            if let Some(v) = self.server_ulong(&cx, &state, SV_BOOTP_LEASE_CUTOFF) {
                lease_time = v - now;
            }
            offered_expiry = now + lease_time;
            lt.ends = offered_expiry;
            lt.next_binding_state = BindingState::Active;
        }
        lt.cltt = now;
        if !flag(&mut self.eval, &cx, &state, SV_IGNORE_CLIENT_UIDS).is_some_and(|f| f.value) {
            lt.uid = req.client_id().map(<[u8]>::to_vec);
        }
        lt.bindings = std::mem::take(&mut lease.bindings);
        lt.agent_options = lease.agent_options.clone();
        if let Some(v) = req.option(code::VENDOR_CLASS_IDENTIFIER).filter(|v| !v.is_empty()) {
            lt.set_binding("vendor-class-identifier", BindingValue::Data(v.to_vec()));
        }
        let mut stash: Option<Vec<u8>> = None;
        if let Some(a) = req.option(code::AGENT).filter(|_| !req.agent_stashed) {
            if flag(&mut self.eval, &cx, &state, SV_STASH_AGENT_OPTIONS).map_or(true, |f| f.value) {
                lt.agent_options = agent::to_records(a);
                stash = Some(a.to_vec());
            }
        }
        let mut cannot_reuse = false;
        match req.option(code::HOST_NAME) {
            Some(h) if lease.client_hostname.as_deref() == Some(h) => lt.client_hostname = lease.client_hostname.clone(),
            Some(h) => {
                lt.client_hostname = Some(h.to_vec());
                cannot_reuse = true;
            }
            None => {}
        }
        lt.hardware = Some(HardwareAddr { htype: req.repr.htype, addr: req.hw().to_vec() });
        if lt.reserved && !lease.reserved {
            out.debug("Cannot reuse: lease is changing to RESERVED");
            cannot_reuse = true;
        }
        lt.reserved |= lease.reserved;
        lt.bootp |= lease.bootp;

        // `on commit` runs for the new binding (not for an offer); `on
        // expiry` / `on release` stay with the lease for later.
        let events = self.eval.lease_events(&state);
        if let Some(i) = idx {
            let e = self.db.get_mut(i);
            if let Some(x) = events.expiry {
                e.on_expiry = Some(x.into());
            }
            if let Some(r) = events.release {
                e.on_release = Some(r.into());
            }
        }
        if let (Some(commit), true) = (events.commit, kind != AckKind::Offer) {
            let ev = EvalLease {
                address: lt.ip,
                ends: lt.ends,
                is_static,
                host_name: host.map(|h| config.hosts[h].name.clone()),
                hardware: lt.hardware.as_ref().map_or_else(Vec::new, |h| [&[h.htype][..], &h.addr].concat()),
            };
            let cx = EvalContext { packet: Some(pkt), lease: Some(&ev), now };
            self.eval.run_event(&cx, commit);
            out.logs.extend(self.eval.take_logs());
        }

        let mut offered_expiry = offered_expiry;
        let mut same_client = false;
        let final_lease: Lease;
        match idx {
            None => {
                lease.hardware = lt.hardware.clone();
                final_lease = lease.clone();
            }
            Some(i) => {
                {
                    let e = self.db.get_mut(i);
                    e.cannot_reuse |= cannot_reuse;
                    e.ms_null = req.ms_nulltp;
                }
                let commit = kind != AckKind::Offer;
                let (reused, same) = self.reuse_lease(&cx, &state, i, &lt, host, kind, now, out);
                same_client = same;
                if let Some(ends) = reused {
                    offered_expiry = ends;
                    let e = self.db.get_mut(i);
                    e.lease.bindings = lt.bindings.clone();
                    if lt.client_hostname.is_some() {
                        e.lease.client_hostname = lt.client_hostname.clone();
                    }
                } else {
                    if self.db.supersede(i, Some(lt.clone()), commit, commit, now, peer.as_ref(), &mut out.logs) {
                        out.record(self.db.get(i).lease.clone());
                    }
                    self.settle(out);
                }
                let e = self.db.get_mut(i);
                e.host = host;
                if let (Some(s), None) = (stash, reused) {
                    e.agent_raw = Some(s);
                }
                final_lease = e.lease.clone();
            }
        }

        // The reply's state.
        let mut flags = req.repr.flags;
        if flag(&mut self.eval, &cx, &state, SV_ALWAYS_BROADCAST).is_some_and(|f| f.value) {
            flags |= FLAG_BROADCAST;
        }
        let two = |v: Vec<u8>| (v.len() == 2).then(|| u16::from_be_bytes([v[0], v[1]]));
        let mms = match req.option(code::MAX_MESSAGE_SIZE) {
            Some(v) => two(v.to_vec()).unwrap_or(0),
            None => self.eval.option(&cx, &state, SpaceId::DHCP, u32::from(code::MAX_MESSAGE_SIZE)).and_then(two).unwrap_or(0),
        };
        if let Some(v) = req.option(code::SUBNET_SELECTION) {
            self.eval.set_option(&mut state, SpaceId::DHCP, u32::from(code::SUBNET_SELECTION), v.to_vec());
        }
        let iface_addr = self.interfaces.get(req.iface).and_then(|i| i.addresses.first().copied());
        let from;
        if kind != AckKind::Bootp {
            let t = if kind == AckKind::Ack { MessageType::Ack } else { MessageType::Offer };
            self.eval.set_option(&mut state, SpaceId::DHCP, u32::from(code::MESSAGE_TYPE), vec![u8::from(t)]);
            from = self.server_source_address(&cx, &mut state, iface_addr);
            let mut offered_time = offered_expiry - now;
            self.eval.set_option(&mut state, SpaceId::DHCP, u32::from(code::LEASE_TIME), (offered_time as u32).to_be_bytes().to_vec());
            if let Some(v) = self.eval.option(&cx, &state, SpaceId::DHCP, u32::from(code::REBINDING_TIME)).and_then(|v| ulong(&v)) {
                if v >= offered_time {
                    self.eval.delete_option(&mut state, SpaceId::DHCP, u32::from(code::REBINDING_TIME));
                } else {
                    offered_time = v;
                }
            }
            if let Some(v) = self.eval.option(&cx, &state, SpaceId::DHCP, u32::from(code::RENEWAL_TIME)).and_then(|v| ulong(&v)) {
                if v >= offered_time {
                    self.eval.delete_option(&mut state, SpaceId::DHCP, u32::from(code::RENEWAL_TIME));
                }
            }
        } else {
            from = iface_addr.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
        }
        let siaddr = self
            .eval
            .option(&cx, &state, SpaceId::SERVER, SV_NEXT_SERVER)
            .filter(|v| v.len() >= 4)
            .map_or(std::net::Ipv4Addr::UNSPECIFIED, |v| std::net::Ipv4Addr::new(v[0], v[1], v[2], v[3]));
        if !self.eval.has_option(&state, SpaceId::DHCP, u32::from(code::SUBNET_MASK)) {
            let mask = config.subnets[subnet].netmask.octets().to_vec();
            self.eval.set_option(&mut state, SpaceId::DHCP, u32::from(code::SUBNET_MASK), mask);
        }
        self.use_host_decl_name(config, &cx, &mut state, host);
        let echo = self.echo_client_id(&cx, &mut state, req);
        if flag(&mut self.eval, &cx, &state, SV_USE_LEASE_ADDR_FOR_DEFAULT_ROUTE).is_some_and(|f| f.value)
            && !self.eval.has_option(&state, SpaceId::DHCP, u32::from(code::ROUTERS))
        {
            self.eval.set_option(&mut state, SpaceId::DHCP, u32::from(code::ROUTERS), final_lease.ip.octets().to_vec());
        }
        let prl = self
            .eval
            .option(&cx, &state, SpaceId::DHCP, u32::from(code::PRL))
            .or_else(|| req.option(code::PRL).map(<[u8]>::to_vec));

        out.logs.extend(self.eval.take_logs());
        out.commands.extend(self.eval.take_commands());
        out.info(msg);

        let hw = final_lease.hardware.clone().unwrap_or_default();
        let mut chaddr = [0u8; 16];
        let n = hw.addr.len().min(16);
        chaddr[..n].copy_from_slice(&hw.addr[..n]);
        let header = Header {
            htype: hw.htype,
            hlen: hw.addr.len() as u8,
            chaddr,
            hops: req.repr.hops,
            xid: req.repr.xid,
            secs: req.repr.secs,
            flags,
            ciaddr: req.repr.ciaddr,
            yiaddr: final_lease.ip,
            siaddr,
            giaddr: req.repr.giaddr,
        };
        let prepared = Prepared {
            kind,
            header,
            file: filename,
            sname: server_name,
            mms,
            prl,
            echo_client_id: echo,
            agent: req.option(code::AGENT).filter(|_| !req.agent_stashed).map(<[u8]>::to_vec),
            from,
            got_server_identifier: req.option(code::SERVER_IDENTIFIER).is_some(),
            terminate: idx.map_or(req.ms_nulltp, |i| self.db.get(i).ms_null),
        };
        let reply = self.dhcp_reply(config, &cx, &state, req, &prepared, &final_lease, subnet);

        if kind == AckKind::Offer {
            if let Some(i) = idx {
                if let Some(timeout_ms) = self.ping_timeout(&cx, &state, &final_lease, original_cltt, same_client, now) {
                    let id = self.next_probe_id();
                    self.db.get_mut(i).pending = Some(id);
                    self.pending.insert(id, PendingOffer { lease: i, reply: reply.0, log: reply.1 });
                    out.probe = Some(Probe { id, address: final_lease.ip, timeout_ms });
                    return;
                }
            }
        }
        if let Some(i) = idx {
            self.db.get_mut(i).lease.cltt = now;
        }
        out.logs.push(reply.1);
        if !reply.0.bytes.is_empty() {
            out.reply = Some(reply.0);
        }
    }
}
