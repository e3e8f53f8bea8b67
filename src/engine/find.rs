//! Which lease a client already has or may have (ISC `find_lease`,
//! `mockup_lease`, `find_host_for_network`).
//!
//! Candidates come from four places: a host declaration with a fixed
//! address on the client's network, the leases of its client identifier,
//! those of its hardware address, and the address it asks for. ISC
//! weighs them in that order, drops those on the wrong network, not
//! permitted by their pool, or bound to another client, and releases some
//! leases the client evidently abandoned. It also decides whether a
//! refusal should be a DHCPNAK (`ours`) and with which message.

use std::net::Ipv4Addr;

use crate::conf::model::Config;
use crate::lease::BindingState;
use crate::wire::dhcp::MessageType;

use super::allocate::{pool_admits, Client};
use super::classify::ClassRef;
use super::eval::ScopeEvaluator;
use super::failover::{mine_to_reallocate, FailoverHooks};
use super::hosts::{HostId, Hosts};
use super::isclog;
use super::outcome::Outcome;
use super::queue::LeaseIdx;
use super::request::Request;
use super::Engine;

/// A fixed-address lease made up from a host declaration (ISC
/// `mockup_lease`): never stored, always FREE, `static`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedLease {
    /// The host's address on the client's network.
    pub ip: Ipv4Addr,
    /// Its subnet.
    pub subnet: usize,
    /// The host.
    pub host: HostId,
}

/// A lease the engine can give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chosen {
    /// A lease of the database.
    Dynamic(LeaseIdx),
    /// A host's fixed address.
    Fixed(FixedLease),
}

/// What `find_lease` concluded.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// The lease to use, if any.
    pub lease: Option<Chosen>,
    /// The requested address is ours, so a refusal is a DHCPNAK.
    pub ours: bool,
}

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// ISC `find_host_for_network`: the first fixed address of `hosts`
    /// (in order) on shared network `share`.
    pub(crate) fn host_for_network(&self, config: &Config, hosts: &[HostId], share: usize) -> Option<FixedLease> {
        for &h in hosts {
            for &ip in self.hosts.fixed(h) {
                if let Some(subnet) = self.scopes.find_grouped_subnet(config, share, ip) {
                    return Some(FixedLease { ip, subnet, host: h });
                }
            }
        }
        None
    }

    /// Whether the lease's pool lets the client in.
    fn lease_permitted(&self, config: &Config, idx: LeaseIdx, client: &Client<'_>) -> bool {
        match self.db.get(idx).pool {
            Some(p) => pool_admits(config, &self.classes, p, client),
            None => true,
        }
    }

    fn lease_share(&self, config: &Config, idx: LeaseIdx) -> Option<usize> {
        self.db.get(idx).subnet.map(|s| config.subnets[s].shared_network)
    }

    /// ISC `find_lease` for a request on shared network `share`.
    #[allow(clippy::too_many_arguments)]
    /// `ip_lease_in` is a lease found earlier by ciaddr (the agent-option
    /// stash). Sets `req.known` and `req.got_requested_address`.
    pub(crate) fn find_lease(
        &mut self,
        config: &Config,
        req: &mut Request<'_>,
        share: usize,
        classes: &[ClassRef],
        ip_lease_in: Option<LeaseIdx>,
        now: i64,
        out: &mut Outcome,
    ) -> Found {
        let mut found = Found::default();
        let is_request = req.message_type == Some(MessageType::Request);
        let is_discover = req.message_type == Some(MessageType::Discover);
        let ciaddr = req.repr.ciaddr;
        let cip = if !ciaddr.is_unspecified() {
            Some(ciaddr)
        } else {
            let r = req.requested_address();
            if r.is_some() {
                req.got_requested_address = true;
            }
            r
        };
        let client_id = req.client_id().map(<[u8]>::to_vec);

        // Host declarations: by client identifier, then hardware, then
        // host-identifier option.
        let mut fixed: Option<FixedLease> = None;
        let mut host: Vec<HostId> = Vec::new();
        if let Some(cid) = &client_id {
            let hp = self.hosts.by_uid(cid).to_vec();
            if !hp.is_empty() {
                req.known = true;
                fixed = self.host_for_network(config, &hp, share);
                if fixed.is_none() {
                    host = hp;
                }
            }
        }
        if fixed.is_none() && host.is_empty() {
            let hp = self.hosts.by_hw(req.repr.htype, req.hw()).to_vec();
            if !hp.is_empty() {
                req.known = true;
                fixed = self.host_for_network(config, &hp, share);
                host = hp;
            }
        }
        if fixed.is_none() && host.is_empty() {
            let hp = self.hosts.by_option(|space, code| req.space_option(space, code)).to_vec();
            if !hp.is_empty() {
                req.known = true;
                fixed = self.host_for_network(config, &hp, share);
                host = hp;
            }
        }
        if let Some(f) = &fixed {
            if is_request && cip != Some(f.ip) {
                found.ours = true;
                self.dhcp_message = "requested address is incorrect".into();
                return found;
            }
        }

        let client = Client { known: req.known, bootp: req.is_bootp(), classes, now };
        let same_uid = |l: &crate::lease::Lease| match (&l.uid, &client_id) {
            (Some(u), Some(c)) => u == c,
            _ => false,
        };

        // Leases of the client identifier, best first.
        let mut uid_lease = None;
        if let Some(cid) = &client_id {
            for idx in self.db.by_uid(cid).to_vec() {
                let mut do_release = ciaddr.is_unspecified();
                let pool = self.db.get(idx).pool;
                let l = &self.db.get(idx).lease;
                let skip = if l.binding_state != BindingState::Active
                    && l.rewind_binding_state.unwrap_or(l.binding_state) != BindingState::Active
                    && !mine_to_reallocate(l, self.pool_peer(pool).as_ref(), now)
                {
                    true
                } else if self.lease_share(config, idx) != Some(share) {
                    do_release = false;
                    true
                } else {
                    !self.lease_permitted(config, idx, &client)
                };
                if skip {
                    if do_release {
                        self.release_lease(idx, now, out);
                    }
                    continue;
                }
                uid_lease = Some(idx);
                break;
            }
        }

        // Leases of the hardware address, best first.
        let mut hw_lease = None;
        for idx in self.db.by_hw(&req.hw_key()).to_vec() {
            let pool = self.db.get(idx).pool;
            let l = &self.db.get(idx).lease;
            if l.binding_state != BindingState::Active
                && l.rewind_binding_state.unwrap_or(l.binding_state) != BindingState::Active
                && !mine_to_reallocate(l, self.pool_peer(pool).as_ref(), now)
            {
                continue;
            }
            if !matches!(l.binding_state, BindingState::Free | BindingState::Backup) && l.uid.is_some() && !same_uid(l) {
                continue;
            }
            if self.lease_share(config, idx) != Some(share) {
                continue;
            }
            if !self.lease_permitted(config, idx, &client) {
                if ciaddr.is_unspecified() {
                    self.release_lease(idx, now, out);
                }
                continue;
            }
            hw_lease = Some(idx);
            break;
        }

        // The lease of the requested address.
        let mut ip_lease = ip_lease_in.or_else(|| cip.and_then(|ip| self.db.by_ip(ip)));
        if ip_lease.is_some() {
            found.ours = true;
        }
        if let Some(idx) = ip_lease {
            if self.lease_share(config, idx) != Some(share) {
                found.ours = true;
                self.dhcp_message = "requested address on bad subnet".into();
                ip_lease = None;
            }
        }
        if let Some(idx) = ip_lease {
            let l = &self.db.get(idx).lease;
            let other_client = match &l.uid {
                Some(_) => !same_uid(l),
                None => l.hardware.as_ref().map_or(true, |h| h.htype != req.repr.htype || h.addr != req.hw()),
            };
            if other_client && !matches!(l.binding_state, BindingState::Free | BindingState::Backup) {
                if l.binding_state != BindingState::Active {
                    found.ours = false;
                }
                ip_lease = None;
            }
        }
        if let Some(idx) = ip_lease {
            let pool = self.db.get(idx).pool;
            let l = &self.db.get(idx).lease;
            if (uid_lease.is_some() || hw_lease.is_some())
                && l.binding_state != BindingState::Active
                && l.rewind_binding_state.unwrap_or(l.binding_state) != BindingState::Active
                && !mine_to_reallocate(l, self.pool_peer(pool).as_ref(), now)
                && is_discover
            {
                ip_lease = None;
            }
        }

        // A client with two leases on the network: keep the one it asks for.
        let who = isclog::hw_addr(req.hw());
        if let Some(idx) = ip_lease {
            let l = &self.db.get(idx).lease;
            if l.binding_state == BindingState::Active && l.uid.is_some() && Some(idx) != uid_lease {
                if same_uid(l) {
                    if let Some(u) = uid_lease {
                        if self.db.get(u).lease.binding_state == BindingState::Active {
                            let name = self.lease_share(config, idx).map_or("", |s| config.shared_networks[s].name.as_str());
                            out.error(format!("client {who} has duplicate leases on {name}"));
                            if ciaddr.is_unspecified() && self.lease_share(config, u) == Some(share) && is_request {
                                self.release_lease(u, now, out);
                            }
                        }
                        uid_lease = Some(idx);
                    }
                }
                if is_request && fixed.is_some() {
                    fixed = None;
                    self.db_conflict(config, cip, None, idx, out);
                }
                if uid_lease != Some(idx) {
                    ip_lease = None;
                }
            }
        }
        if let (true, Some(f), Some(idx)) = (is_request, &fixed, ip_lease) {
            let host = Some(f.host);
            self.db_conflict(config, cip, host, idx, out);
            ip_lease = None;
        }

        if hw_lease.is_some() && hw_lease == uid_lease {
            hw_lease = None;
        }
        if ip_lease.is_some() && ip_lease == hw_lease {
            hw_lease = None;
        }
        if ip_lease.is_some() && ip_lease == uid_lease {
            uid_lease = None;
        }

        if let Some(idx) = ip_lease {
            if !self.lease_permitted(config, idx, &client) {
                if ciaddr.is_unspecified() && self.db.get(idx).lease.binding_state == BindingState::Active {
                    self.release_lease(idx, now, out);
                }
                ip_lease = None;
            }
        }
        if let Some(idx) = uid_lease {
            if !self.lease_permitted(config, idx, &client) {
                if ciaddr.is_unspecified() {
                    self.release_lease(idx, now, out);
                }
                uid_lease = None;
            }
        }
        if let Some(idx) = hw_lease {
            if !self.lease_permitted(config, idx, &client) {
                if ciaddr.is_unspecified() {
                    self.release_lease(idx, now, out);
                }
                hw_lease = None;
            }
        }

        if ip_lease.is_none() {
            self.dhcp_message = "requested address not available".into();
        }
        if is_request && ip_lease.is_none() && fixed.is_none() {
            return found;
        }

        let mut lease: Option<Chosen> = fixed.map(Chosen::Fixed);
        if let Some(idx) = ip_lease {
            if lease.is_some() {
                if ciaddr.is_unspecified() {
                    self.release_lease(idx, now, out);
                }
            } else {
                lease = Some(Chosen::Dynamic(idx));
                self.db.get_mut(idx).host = None;
            }
        }
        if let Some(u) = uid_lease {
            if lease.is_some() {
                let name = self.lease_share(config, u).map_or("", |s| config.shared_networks[s].name.as_str());
                out.error(format!("uid lease {} for client {who} is duplicate on {name}", self.db.get(u).lease.ip));
                if ciaddr.is_unspecified() && is_request && self.db.get(u).lease.binding_state == BindingState::Active {
                    self.release_lease(u, now, out);
                }
            } else {
                lease = Some(Chosen::Dynamic(u));
                self.db.get_mut(u).host = None;
            }
        }
        if let Some(h) = hw_lease {
            if lease.is_none() {
                let l = &self.db.get(h).lease;
                let uid_len = l.uid.as_ref().map_or(0, Vec::len);
                let ok = uid_len == 0
                    || match &client_id {
                        Some(_) => same_uid(l),
                        None => req.is_bootp(),
                    };
                if ok {
                    lease = Some(Chosen::Dynamic(h));
                    self.db.get_mut(h).host = None;
                }
            }
        }

        // A dynamic lease of a known client takes the first of its hosts
        // without a fixed address (for its options), if the lease is active.
        if let Some(Chosen::Dynamic(idx)) = lease {
            if !host.is_empty() && self.db.get(idx).host.is_none() {
                if let Some(&p) = host.iter().find(|&&h| !Hosts::has_fixed(config, h)) {
                    if self.db.get(idx).lease.binding_state == BindingState::Active {
                        self.db.get_mut(idx).host = Some(p);
                    }
                }
            }
        }

        if let Some(Chosen::Dynamic(idx)) = lease {
            if self.db.get(idx).lease.binding_state == BindingState::Abandoned {
                if Some(idx) == ip_lease && is_request {
                    out.error(format!("Reclaiming REQUESTed abandoned IP address {}.", self.db.get(idx).lease.ip));
                } else {
                    found.ours = true;
                    lease = None;
                }
            }
        }
        found.lease = lease;
        found
    }

    /// ISC's `db_conflict` lines: a host's fixed address is also in a pool.
    fn db_conflict(&mut self, config: &Config, cip: Option<Ipv4Addr>, host: Option<HostId>, ip_lease: LeaseIdx, out: &mut Outcome) {
        let cip = cip.map_or_else(String::new, |c| c.to_string());
        out.error(format!("Dynamic and static leases present for {cip}."));
        let name = host.map_or(cip.clone(), |h| config.hosts[h].name.clone());
        out.error(format!("Remove host declaration {name} or remove {cip}"));
        let share = self.lease_share(config, ip_lease).map_or("", |s| config.shared_networks[s].name.as_str());
        out.error(format!("from the dynamic address pool for {share}"));
        self.dhcp_message = "database conflict - call for help!".into();
    }
}
