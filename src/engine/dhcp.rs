//! DHCP message dispatch and the DISCOVER and REQUEST handlers (ISC
//! `dhcp`, `dhcpdiscover`, `dhcprequest`).
//!
//! REQUEST covers all four client states by ISC's rules: the address is
//! the requested-address option (SELECTING, INIT-REBOOT) or ciaddr
//! (RENEWING, REBINDING). A request for an address on another network is
//! NAKed when that network (or, for an unknown network, the address's
//! subnet) is `authoritative` and ignored otherwise; an address that is
//! ours but not available to this client is NAKed regardless.

use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::conf::model::Config;
use crate::lease::BindingState;
use crate::wire::dhcp::MessageType;

use super::allocate::{allocate, Client};
use super::ack::AckKind;
use super::classify::ClassRef;
use super::eval::{EvalContext, ScopeEvaluator};
use super::failover::{mine_to_reallocate, FailoverHooks, ServiceState};
use super::find::Chosen;
use super::isclog;
use super::outcome::Outcome;
use super::request::Request;
use super::scope::Scopes;
use super::Engine;

/// ISC `dhcp_type_names`.
const TYPE_NAMES: [&str; 13] = [
    "DHCPDISCOVER",
    "DHCPOFFER",
    "DHCPREQUEST",
    "DHCPDECLINE",
    "DHCPACK",
    "DHCPNAK",
    "DHCPRELEASE",
    "DHCPINFORM",
    "type 9",
    "DHCPLEASEQUERY",
    "DHCPLEASEUNASSIGNED",
    "DHCPLEASEUNKNOWN",
    "DHCPLEASEACTIVE",
];

/// The name ISC logs for a message type number.
fn type_name(t: u8) -> String {
    match usize::from(t).checked_sub(1).and_then(|i| TYPE_NAMES.get(i)) {
        Some(n) => n.to_string(),
        None => format!("type {t}"),
    }
}

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// A BOOTP/DHCP message arrived on interface `iface` from
    /// `source:source_port` (ISC `do_packet` → `dhcp`/`bootp`).
    pub fn handle_packet(&mut self, now: i64, iface: usize, source: Ipv4Addr, source_port: u16, payload: &[u8]) -> Outcome {
        let mut out = Outcome::default();
        let mut req = match Request::parse(payload, iface, source, source_port) {
            Ok(r) => r,
            Err((_, line)) => {
                out.logs.extend(line);
                return out;
            }
        };
        let config = Arc::clone(&self.config);
        if req.is_bootp() {
            self.bootp(&config, &mut req, now, &mut out);
            return out;
        }
        self.dhcp(&config, &mut req, now, &mut out);
        out
    }

    /// ISC `dhcp`.
    fn dhcp(&mut self, config: &Config, req: &mut Request<'_>, now: i64, out: &mut Outcome) {
        let t = req.message_type.unwrap_or(MessageType::Unknown(0));
        let iface_net = self.interfaces.get(req.iface).and_then(|i| i.shared_network);
        req.shared_network = req.locate_network(config, &self.scopes, iface_net);
        // Only for the lines below, which most packets never log.
        let who_via = |this: &Self, req: &Request<'_>| {
            let who = if req.repr.htype != 0 { isclog::hw_addr(req.hw()) } else { "<no identifier>".to_string() };
            (who, isclog::via(req.repr.giaddr, &this.iface_name(req)))
        };
        if req.shared_network.is_none() && !matches!(t, MessageType::Request | MessageType::Inform | MessageType::LeaseQuery) {
            let (who, via) = who_via(self, req);
            out.info(format!("{} from {who} via {via}: unknown network segment", type_name(u8::from(t))));
            return;
        }

        // A unicast renewal whose relay added no agent options gets the
        // ones stashed with its lease.
        let mut ip_lease = None;
        if t == MessageType::Request && !req.repr.ciaddr.is_unspecified() && req.repr.giaddr.is_unspecified() && req.option(82).is_none() {
            if let Some(i) = self.db.by_ip(req.repr.ciaddr) {
                ip_lease = Some(i);
                let e = self.db.get(i);
                let matches = match &e.lease.uid {
                    Some(uid) if !uid.is_empty() => req.client_id() == Some(uid.as_slice()),
                    _ => e.lease.hardware.as_ref().is_some_and(|h| h.htype == req.repr.htype && h.addr == req.hw()),
                };
                if let (Some(a), true, true) = (e.agent_raw.clone(), e.lease.ends >= now, matches) {
                    req.stash_agent(a);
                }
            }
        }

        let classes = {
            let cx = EvalContext { packet: Some(req.eval_packet()), lease: None, now };
            let mut logs = Vec::new();
            let who = || isclog::hw_addr(req.hw());
            let c = self.classes.classify(config, &mut self.eval, &cx, &who, &mut logs);
            out.logs.extend(self.eval.take_logs());
            out.logs.extend(logs);
            c
        };

        match t {
            MessageType::Discover => self.dhcpdiscover(config, req, &classes, now, out),
            MessageType::Request => self.dhcprequest(config, req, &classes, ip_lease, now, out),
            MessageType::Release => self.dhcprelease(config, req, now, out),
            MessageType::Decline => self.dhcpdecline(config, req, &classes, now, out),
            MessageType::Inform => self.dhcpinform(config, req, &classes, now, out),
            // Lease queries are not answered; replies from other servers
            // are ignored.
            MessageType::LeaseQuery
            | MessageType::Ack
            | MessageType::Offer
            | MessageType::Nak
            | MessageType::LeaseUnassigned
            | MessageType::LeaseUnknown
            | MessageType::LeaseActive => {}
            _ => {
                let (who, via) = who_via(self, req);
                out.info(format!("{} from {who} via {via}: unknown packet type", type_name(u8::from(t))))
            }
        }
    }

    /// The client as the request line names it.
    fn request_client(&self, req: &Request<'_>, lease: Option<&Chosen>) -> String {
        if req.repr.htype != 0 {
            return isclog::hw_addr(req.hw());
        }
        match lease {
            Some(Chosen::Dynamic(i)) => isclog::hex_or_string(self.db.get(*i).lease.uid.as_deref().unwrap_or(&[]), 60),
            Some(Chosen::Fixed(f)) => isclog::hex_or_string(self.config.hosts[f.host].uid.as_deref().unwrap_or(&[]), 60),
            None => "<no identifier>".into(),
        }
    }

    /// The `(HOST) ` part for a chosen lease (a fixed lease has no
    /// client hostname).
    fn chosen_host_part(&self, lease: Option<&Chosen>) -> String {
        match lease {
            Some(Chosen::Dynamic(i)) => self.host_part(Some(*i)),
            _ => String::new(),
        }
    }

    /// The pool of a chosen lease.
    fn chosen_pool(&self, lease: Option<&Chosen>) -> Option<usize> {
        match lease {
            Some(Chosen::Dynamic(i)) => self.db.get(*i).pool,
            _ => None,
        }
    }

    /// ISC `dhcpdiscover`.
    fn dhcpdiscover(&mut self, config: &Config, req: &mut Request<'_>, classes: &[ClassRef], now: i64, out: &mut Outcome) {
        let Some(share) = req.shared_network else { return };
        let found = self.find_lease(config, req, share, classes, None, now, out);
        let mut lease = found.lease;
        let peer_has_leases = config.shared_networks[share].pools.iter().any(|&p| match self.pool_peer(Some(p)) {
            Some(s) => {
                let st = self.db.pool(p);
                (s.primary && st.backup_leases > 0) || (!s.primary && st.free_leases > 0)
            }
            None => false,
        });
        let msg = format!(
            "DHCPDISCOVER from {} {}via {}",
            self.request_client(req, lease.as_ref()),
            self.chosen_host_part(lease.as_ref()),
            isclog::via(req.repr.giaddr, &self.iface_name(req))
        );
        if let Some(Chosen::Dynamic(i)) = lease {
            if let Some(p) = self.pool_peer(self.db.get(i).pool) {
                let l = &self.db.get(i).lease;
                if !(l.binding_state == BindingState::Active
                    || l.rewind_binding_state == Some(BindingState::Active)
                    || mine_to_reallocate(l, Some(&p), now))
                {
                    lease = None;
                }
            }
        }
        if lease.is_none() {
            let client = Client { known: req.known, bootp: false, classes, now };
            let statuses = self.pool_statuses();
            let (got, peer_has) =
                allocate(config, &self.classes, &self.db, &config.shared_networks[share].pools, &client, &|p| statuses[p].clone());
            match got {
                Some(i) => {
                    if self.db.get(i).lease.binding_state == BindingState::Abandoned {
                        out.error(format!("Reclaiming abandoned lease {}.", self.db.get(i).lease.ip));
                    }
                    self.db.get_mut(i).host = None;
                    lease = Some(Chosen::Dynamic(i));
                }
                None => {
                    if peer_has_leases || peer_has {
                        out.error(format!("{msg}: peer holds all free leases"));
                    } else {
                        out.error(format!("{msg}: network {}: no free leases", config.shared_networks[share].name));
                    }
                    return;
                }
            }
        }
        let Some(chosen) = lease else { return };
        if let Some(p) = self.pool_peer(self.chosen_pool(Some(&chosen))) {
            if matches!(p.service, ServiceState::NotResponding | ServiceState::Startup) {
                out.info(format!("{msg}: not responding{}", p.nrr));
                return;
            }
            let peer_idx = self.chosen_pool(Some(&chosen)).and_then(|pl| config.pools[pl].failover_peer);
            if p.service == ServiceState::Cooperating {
                let mine = peer_idx.map_or(true, |pi| {
                    self.failover.load_balance_mine(pi, req.repr.secs, req.client_id(), &req.repr.chaddr, req.repr.hlen)
                });
                if !mine {
                    if peer_has_leases {
                        out.debug(format!("{msg}: load balance to peer {}", p.name));
                        return;
                    }
                    out.debug(format!("{msg}: cancel load balance to peer {} - no free leases", p.name));
                }
            }
        }
        let mut when = now + 120;
        if let Chosen::Dynamic(i) = &chosen {
            let e = self.db.get_mut(*i);
            if e.lease.ends < now {
                e.lease.bindings.clear();
            }
            when = when.max(e.lease.ends);
        }
        self.ack_lease(config, req, classes, chosen, AckKind::Offer, when, &msg, None, now, out);
    }

    /// ISC `dhcprequest`.
    fn dhcprequest(
        &mut self,
        config: &Config,
        req: &mut Request<'_>,
        classes: &[ClassRef],
        ip_lease: Option<usize>,
        now: i64,
        out: &mut Outcome,
    ) {
        let have_requested = req.requested_address().is_some();
        let cip = req.requested_address().unwrap_or(req.repr.ciaddr);
        let mut subnet = self.scopes.find_subnet(config, cip);
        let mut lease = None;
        let mut ours = false;
        if let Some(s) = subnet {
            let found = self.find_lease(config, req, config.subnets[s].shared_network, classes, ip_lease, now, out);
            lease = found.lease;
            ours = found.ours;
        }
        let sid = req.server_identifier().map_or(String::new(), |s| format!(" ({s})"));
        let msg = format!(
            "DHCPREQUEST for {cip}{sid} from {} {}via {}",
            self.request_client(req, lease.as_ref()),
            self.chosen_host_part(lease.as_ref()),
            isclog::via(req.repr.giaddr, &self.iface_name(req))
        );

        if let Some(Chosen::Dynamic(i)) = &lease {
            let pool = self.db.get(*i).pool;
            if let Some(p) = self.pool_peer(pool) {
                if matches!(p.service, ServiceState::NotResponding | ServiceState::Startup) {
                    out.info(format!("{msg}: not responding{}", p.nrr));
                    return;
                }
                let l = &self.db.get(*i).lease;
                let mine = mine_to_reallocate(l, Some(&p), now);
                match l.binding_state {
                    BindingState::Free | BindingState::Backup if !mine => {
                        out.debug(format!("{msg}: lease owned by peer"));
                        return;
                    }
                    BindingState::Released | BindingState::Expired
                        if l.rewind_binding_state != Some(BindingState::Active) && !mine =>
                    {
                        let which = if l.binding_state == BindingState::Released { "released" } else { "expired" };
                        out.debug(format!("{msg}: lease in transition state {which}"));
                        return;
                    }
                    BindingState::Reset if !mine => {
                        out.debug(format!("{msg}: lease reset by administrator"));
                        let g = self.db.get(*i).subnet.map(|s| config.subnets[s].group);
                        self.nak_lease(config, req, classes, cip, g, out);
                        return;
                    }
                    _ => {}
                }
                if config.postconf.server_id_check {
                    if let Some(sip) = req.server_identifier().filter(|s| !s.is_unspecified()) {
                        let cx = EvalContext { packet: Some(req.eval_packet()), lease: None, now };
                        let mut st = self.eval.new_state();
                        self.eval_network_statements(config, &cx, &mut st, req, None);
                        let iface_addr = self.interfaces.get(req.iface).and_then(|i| i.addresses.first().copied());
                        let ours_sid = self.server_source_address(&cx, &mut st, iface_addr);
                        let _ = self.eval.take_logs();
                        if sip != ours_sid {
                            out.debug(format!("{msg}: not our server id"));
                            return;
                        }
                    }
                }
            }
        }

        let ciaddr = req.repr.ciaddr;
        let giaddr = req.repr.giaddr;
        if req.shared_network.is_none()
            || (!ciaddr.is_unspecified() && !giaddr.is_unspecified())
            || (have_requested && ciaddr.is_unspecified())
        {
            let Some(share) = req.shared_network else {
                if subnet.is_some_and(|s| Scopes::subnet_authoritative(config, s)) {
                    out.info(format!("{msg}: wrong network."));
                    self.nak_lease(config, req, classes, cip, None, out);
                    return;
                }
                let why = if subnet.is_some() { "not authoritative" } else { "unknown subnet" };
                out.info(format!("{msg}: ignored ({why})."));
                return;
            };
            subnet = self.scopes.find_grouped_subnet(config, share, cip);
            if subnet.is_none() {
                if Scopes::shared_network_authoritative(config, share) {
                    out.info(format!("{msg}: wrong network."));
                    self.nak_lease(config, req, classes, cip, None, out);
                    return;
                }
                out.info(format!("{msg}: ignored (not authoritative)."));
                return;
            }
        }

        if lease.is_none() && ours {
            out.info(format!("{msg}: lease {cip} unavailable."));
            let g = subnet.map(|s| config.subnets[s].group);
            self.nak_lease(config, req, classes, cip, g, out);
            return;
        }
        match lease {
            Some(l) => self.ack_lease(config, req, classes, l, AckKind::Ack, 0, &msg, None, now, out),
            None => out.info(format!("{msg}: unknown lease {cip}.")),
        }
    }
}
