//! Leases given back or found in use: ISC's `release_lease` and
//! `abandon_lease` (`mdb.c`) and the DHCPRELEASE and DHCPDECLINE handlers
//! (`dhcprelease`, `dhcpdecline`).

use crate::conf::model::Config;
use crate::lease::{BindingState, NEVER};
use crate::options::SpaceId;

use super::classify::ClassRef;
use super::eval::{EvalContext, ScopeEvaluator};
use super::failover::{FailoverHooks, ServiceState};
use super::isclog;
use super::outcome::Outcome;
use super::queue::LeaseIdx;
use super::request::Request;
use super::Engine;

/// ISC `SV_DECLINES`.
const SV_DECLINES: u32 = 29;

/// An allow/deny/ignore flag as ISC's `evaluate_boolean_option_cache`
/// reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The value is 1 (`allow`, `true`, `on`).
    pub value: bool,
    /// The value is 2 (`ignore`): refuse without logging.
    pub ignore: bool,
}

/// Reads a flag of the server space: `None` when not set.
pub fn flag<E: ScopeEvaluator>(eval: &mut E, cx: &EvalContext<'_>, state: &E::State<'_>, code: u32) -> Option<Flag> {
    if !eval.has_option(state, SpaceId::SERVER, code) {
        return None;
    }
    let v = eval.option(cx, state, SpaceId::SERVER, code).unwrap_or_default();
    Some(Flag { value: v.first() == Some(&1), ignore: v.first() == Some(&2) })
}

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// ISC `release_lease`: a bound lease ends now and goes back to the
    /// pool (to RELEASED first when a failover partner must agree).
    pub(crate) fn release_lease(&mut self, idx: LeaseIdx, now: i64, out: &mut Outcome) {
        let peer = self.pool_peer(self.db.get(idx).pool);
        if let Some(stmts) = self.db.get_mut(idx).on_release.take() {
            self.run_lease_event(idx, &stmts, now, out);
        }
        let e = self.db.get_mut(idx);
        e.on_expiry = None;
        e.lease.on_expiry = None;
        if matches!(
            e.lease.binding_state,
            BindingState::Free | BindingState::Backup | BindingState::Released | BindingState::Expired | BindingState::Reset
        ) {
            return;
        }
        let l = &mut e.lease;
        l.bindings.clear();
        l.ends = now;
        l.tstp = now;
        l.next_binding_state = match &peer {
            Some(p) => {
                let mine = if p.primary { BindingState::Free } else { BindingState::Backup };
                if p.service == ServiceState::NotCooperating && l.rewind_binding_state == Some(mine) {
                    mine
                } else {
                    BindingState::Released
                }
            }
            None => BindingState::Free,
        };
        if self.db.supersede(idx, None, true, true, now, peer.as_ref(), &mut out.logs) {
            out.record(self.db.get(idx).lease.clone());
        }
        self.settle(out);
    }

    /// ISC `abandon_lease`: the address is in use by someone unknown; it
    /// is kept out of use for `abandon-lease-time`.
    pub(crate) fn abandon_lease(&mut self, idx: LeaseIdx, message: &str, now: i64, out: &mut Outcome) {
        let peer = self.pool_peer(self.db.get(idx).pool);
        let mut lt = self.db.get(idx).lease.clone();
        lt.bindings.clear();
        lt.ends = now.saturating_add(self.abandon_lease_time);
        if lt.ends < now || lt.ends > NEVER {
            lt.ends = NEVER;
        }
        lt.next_binding_state = BindingState::Abandoned;
        out.error(format!("Abandoning IP address {}: {}", lt.ip, message));
        lt.hardware = None;
        lt.uid = None;
        if self.db.supersede(idx, Some(lt), true, true, now, peer.as_ref(), &mut out.logs) {
            out.record(self.db.get(idx).lease.clone());
        }
        self.settle(out);
    }

    /// The `(HOST) ` part for a lease's client hostname.
    pub(crate) fn host_part(&self, idx: Option<LeaseIdx>) -> String {
        isclog::host_part(idx.and_then(|i| self.db.get(i).lease.client_hostname.as_deref()))
    }

    /// How a request's client is named in a line about lease `idx`.
    pub(crate) fn client_name(&self, req: &Request<'_>, idx: Option<LeaseIdx>) -> String {
        let uid = idx.and_then(|i| self.db.get(i).lease.uid.as_deref());
        isclog::client_name(req.repr.htype, req.hw(), uid.or(idx.map(|_| &[][..])))
    }

    /// The interface name of a request.
    pub(crate) fn iface_name(&self, req: &Request<'_>) -> String {
        self.interfaces.get(req.iface).map(|i| i.name.clone()).unwrap_or_default()
    }

    /// ISC `dhcprelease`.
    pub(crate) fn dhcprelease(&mut self, config: &Config, req: &Request<'_>, now: i64, out: &mut Outcome) {
        let _ = config;
        if req.requested_address().is_some() || req.option(super::request::code::REQUESTED_ADDRESS).is_some() {
            out.info(format!("DHCPRELEASE from {} specified requested-address.", isclog::hw_addr(req.hw())));
        }
        let ciaddr = req.repr.ciaddr;
        let mut lease = req
            .client_id()
            .and_then(|cid| self.db.by_uid(cid).iter().copied().find(|&i| self.db.get(i).lease.ip == ciaddr));
        if lease.is_none() {
            lease = self.db.by_ip(ciaddr);
        }
        if let Some(i) = lease {
            let l = &self.db.get(i).lease;
            let same_hw = l.hardware.as_ref().is_some_and(|h| h.htype == req.repr.htype && h.addr == req.hw());
            if !same_hw {
                lease = None;
            }
        }
        let msg = format!(
            "DHCPRELEASE of {} from {} {}via {} ({}found)",
            ciaddr,
            self.client_name(req, lease),
            self.host_part(lease),
            isclog::via(req.repr.giaddr, &self.iface_name(req)),
            if lease.is_some() { "" } else { "not " }
        );
        if let Some(i) = lease {
            if let Some(p) = self.pool_peer(self.db.get(i).pool) {
                if matches!(p.service, ServiceState::NotResponding | ServiceState::Startup) {
                    out.info(format!("{}: ignored{}", p.name, p.nrr));
                    return;
                }
            }
            if self.db.get(i).lease.ends > now {
                self.release_lease(i, now, out);
            }
        }
        out.info(msg);
    }

    /// ISC `dhcpdecline`.
    pub(crate) fn dhcpdecline(&mut self, config: &Config, req: &Request<'_>, classes: &[ClassRef], now: i64, out: &mut Outcome) {
        let Some(cip) = req.requested_address() else { return };
        let lease = self.db.by_ip(cip);
        let msg = format!(
            "DHCPDECLINE of {} from {} {}via {}",
            cip,
            self.client_name(req, lease),
            self.host_part(lease),
            isclog::via(req.repr.giaddr, &self.iface_name(req))
        );
        let subnet_group = lease.and_then(|i| self.db.get(i).subnet).map(|s| config.subnets[s].group);
        let cx = EvalContext { packet: Some(req.eval_packet()), lease: None, now };
        let mut state = self.eval.new_state();
        if let Some(g) = subnet_group {
            for grp in self.scopes.chain(g, None) {
                self.eval.execute(&cx, &mut state, &config.groups[grp].statements);
            }
        }
        for &c in classes.iter().rev() {
            let g = self.classes.group(config, c);
            for grp in self.scopes.chain(g, subnet_group) {
                self.eval.execute(&cx, &mut state, &config.groups[grp].statements);
            }
        }
        let declines = flag(&mut self.eval, &cx, &state, SV_DECLINES);
        out.logs.extend(self.eval.take_logs());
        let ignore = declines.is_some_and(|f| f.ignore);
        let status = if declines.map_or(true, |f| f.value) {
            match lease {
                Some(i) => {
                    if let Some(p) = self.pool_peer(self.db.get(i).pool) {
                        if matches!(p.service, ServiceState::NotResponding | ServiceState::Startup) {
                            if !ignore {
                                out.info(format!("{}: ignored{}", p.name, p.nrr));
                            }
                            return;
                        }
                    }
                    self.abandon_lease(i, "declined.", now, out);
                    "abandoned"
                }
                None => "not found",
            }
        } else {
            "ignored"
        };
        if !ignore {
            out.info(format!("{msg}: {status}"));
        }
    }
}
