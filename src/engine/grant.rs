//! The second half of granting a lease: the reply (ISC `dhcp_reply`),
//! the server identifier (`get_server_source_address`), the options ISC
//! adds on its own (`use_host_decl_name`, `echo_client_id`), the
//! `dhcp-cache-threshold` test (`reuse_lease`), the ping decision
//! (`do_ping_check`) and the offer held back for it.

use crate::conf::model::Config;
use crate::lease::{BindingState, Lease};
use crate::options::SpaceId;
use crate::wire::dhcp::FLAG_BROADCAST;

use super::ack::{AckKind, Prepared, SV_CACHE_THRESHOLD, SV_ECHO_CLIENT_ID, SV_PING_CHECKS, SV_PING_CLTT_SECS, SV_PING_TIMEOUT, SV_PING_TIMEOUT_MS, SV_USE_HOST_DECL_NAMES};
use super::eval::{EvalContext, ScopeEvaluator};
use super::failover::FailoverHooks;
use super::hosts::HostId;
use super::isclog;
use super::leasetime;
use super::outcome::{LogLine, Outcome, Reply, ReplyFacts, ReplyKind};
use super::release::flag;
use super::reply::{self, Packing};
use super::request::{code, Request};
use super::Engine;

/// ISC `DEFAULT_PING_CLTT_SECS`.
const DEFAULT_PING_CLTT_SECS: i64 = 60;

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// ISC `get_server_source_address` with the state as both source and
    /// destination: the configured server identifier, else the
    /// interface's first address (then also put in the reply).
    pub(crate) fn server_source_address(
        &mut self,
        cx: &EvalContext<'_>,
        state: &mut E::State<'_>,
        iface_addr: Option<std::net::Ipv4Addr>,
    ) -> std::net::Ipv4Addr {
        let sid = u32::from(code::SERVER_IDENTIFIER);
        if let Some(v) = self.eval.option(cx, state, SpaceId::DHCP, sid).filter(|v| v.len() == 4) {
            return std::net::Ipv4Addr::new(v[0], v[1], v[2], v[3]);
        }
        match iface_addr {
            Some(a) => {
                self.eval.set_option(state, SpaceId::DHCP, sid, a.octets().to_vec());
                a
            }
            None => std::net::Ipv4Addr::UNSPECIFIED,
        }
    }

    /// ISC `use_host_decl_name`.
    pub(crate) fn use_host_decl_name(&mut self, config: &Config, cx: &EvalContext<'_>, state: &mut E::State<'_>, host: Option<HostId>) {
        let Some(h) = host else { return };
        if self.eval.has_option(state, SpaceId::DHCP, u32::from(code::HOST_NAME)) {
            return;
        }
        if flag(&mut self.eval, cx, state, SV_USE_HOST_DECL_NAMES).is_some_and(|f| f.value) {
            let name = config.hosts[h].name.clone().into_bytes();
            self.eval.set_option(state, SpaceId::DHCP, u32::from(code::HOST_NAME), name);
        }
    }

    /// ISC `echo_client_id` into the same state; returns whether it is on.
    pub(crate) fn echo_client_id(&mut self, cx: &EvalContext<'_>, state: &mut E::State<'_>, req: &Request<'_>) -> bool {
        if !flag(&mut self.eval, cx, state, SV_ECHO_CLIENT_ID).is_some_and(|f| f.value) {
            return false;
        }
        if let Some(cid) = req.client_id() {
            self.eval.set_option(state, SpaceId::DHCP, u32::from(code::CLIENT_IDENTIFIER), cid.to_vec());
        }
        true
    }

    /// ISC `reuse_lease`: `(Some(ends), same_client)` when the current
    /// binding is handed back unchanged.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn reuse_lease(
        &mut self,
        cx: &EvalContext<'_>,
        state: &E::State<'_>,
        idx: usize,
        lt: &Lease,
        host: Option<HostId>,
        kind: AckKind,
        now: i64,
        out: &mut Outcome,
    ) -> (Option<i64>, bool) {
        let e = self.db.get(idx);
        let l = &e.lease;
        let same_client = e.host == host
            && l.uid.as_deref().unwrap_or(&[]) == lt.uid.as_deref().unwrap_or(&[])
            && l.hardware == lt.hardware;
        let mut reused = None;
        if !e.cannot_reuse && l.binding_state == BindingState::Active && same_client {
            let thresh = self
                .eval
                .option(cx, state, SpaceId::SERVER, SV_CACHE_THRESHOLD)
                .filter(|d| d.len() == 1 && d[0] < 100)
                .map_or(leasetime::DEFAULT_CACHE_THRESHOLD, |d| i64::from(d[0]));
            let l = &self.db.get(idx).lease;
            if let Some(age) = leasetime::reusable(l.starts, l.ends, now, thresh) {
                out.debug(format!(
                    "reuse_lease: lease age {age} (secs) under {thresh}% threshold, reply with unaltered, existing lease for {}",
                    l.ip
                ));
                reused = Some(l.ends);
            }
        }
        self.db.get_mut(idx).cannot_reuse = reused.is_none() && kind == AckKind::Offer;
        (reused, same_client)
    }

    /// ISC `do_ping_check`: the ping timeout in milliseconds when an offer
    /// must wait for a ping.
    pub(crate) fn ping_timeout(
        &mut self,
        cx: &EvalContext<'_>,
        state: &E::State<'_>,
        lease: &Lease,
        original_cltt: i64,
        same_client: bool,
        now: i64,
    ) -> Option<u64> {
        if lease.binding_state == BindingState::Active {
            return None;
        }
        if flag(&mut self.eval, cx, state, SV_PING_CHECKS).is_some_and(|f| !f.value) {
            return None;
        }
        if same_client && original_cltt != 0 && lease.binding_state != BindingState::Abandoned {
            let cltt_secs = self.server_ulong(cx, state, SV_PING_CLTT_SECS).unwrap_or(DEFAULT_PING_CLTT_SECS);
            if now - original_cltt < cltt_secs {
                return None;
            }
        }
        let secs = self.server_ulong(cx, state, SV_PING_TIMEOUT).unwrap_or(1);
        let ms = self.server_ulong(cx, state, SV_PING_TIMEOUT_MS).unwrap_or(0);
        Some(if ms > 0 { ms as u64 } else { (secs as u64).saturating_mul(1000) })
    }

    /// ISC `dhcp_reply`: the reply and its log line.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dhcp_reply(
        &mut self,
        config: &Config,
        cx: &EvalContext<'_>,
        state: &E::State<'_>,
        req: &Request<'_>,
        p: &Prepared,
        lease: &Lease,
        subnet: usize,
    ) -> (Reply, LogLine) {
        let file = p.file.as_deref().filter(|f| !f.is_empty());
        let sname = p.sname.as_deref().filter(|s| !s.is_empty());
        let overload = u8::from(file.is_none()) | (u8::from(sname.is_none()) << 1);
        let packing = Packing {
            mms: p.mms,
            overload,
            terminate: p.terminate,
            bootp: p.kind == AckKind::Bootp,
            prl: p.prl.as_deref(),
            echo_client_id: p.echo_client_id,
            agent: p.agent.as_deref(),
            file: file.unwrap_or(&[]),
            sname: sname.unwrap_or(&[]),
        };
        let (options, last) = reply::cons_options(&mut self.eval, cx, state, req, &packing);
        let bytes = reply::emit(&p.header, options, last, &packing, req);
        let what = match p.kind {
            AckKind::Offer => "DHCPOFFER",
            AckKind::Ack => "DHCPACK",
            AckKind::Bootp => "BOOTREPLY",
        };
        let who = match &lease.hardware {
            Some(h) => isclog::hw_addr(&h.addr),
            None => isclog::hex_or_string(lease.uid.as_deref().unwrap_or(&[]), 60),
        };
        let iface = self.iface_name(req);
        let log = LogLine::info(format!(
            "{what} on {} to {who} {}via {}",
            lease.ip,
            isclog::host_part(lease.client_hostname.as_deref()),
            isclog::via(req.repr.giaddr, &iface)
        ));
        let receiving = self.interfaces.get(req.iface).and_then(|i| i.shared_network);
        let facts = ReplyFacts {
            kind: match p.kind {
                AckKind::Offer => ReplyKind::Offer,
                AckKind::Ack => ReplyKind::Ack,
                AckKind::Bootp => ReplyKind::BootReply,
            },
            giaddr: req.repr.giaddr,
            ciaddr: req.repr.ciaddr,
            yiaddr: lease.ip,
            broadcast_flag: p.header.flags & FLAG_BROADCAST != 0,
            hlen: p.header.hlen,
            chaddr: p.header.chaddr,
            got_server_identifier: p.got_server_identifier,
            lease_on_receiving_network: receiving == Some(config.subnets[subnet].shared_network),
            source: req.source,
            relay_port: req.relay_port(),
        };
        (Reply { bytes, facts, iface: req.iface, from: p.from }, log)
    }

    /// The reply held back for a ping, once the ping is settled.
    pub fn continue_offer(&mut self, now: i64, probe: u64, result: super::ProbeResult) -> Outcome {
        let mut out = Outcome::default();
        let Some(p) = self.pending.remove(&probe) else { return out };
        self.db.get_mut(p.lease).pending = None;
        match result {
            super::ProbeResult::Timeout => {
                out.logs.push(p.log);
                if !p.reply.bytes.is_empty() {
                    out.reply = Some(p.reply);
                }
            }
            super::ProbeResult::Answered => self.abandon_lease(p.lease, "pinged before offer", now, &mut out),
        }
        out
    }
}
