//! BOOTP requests (ISC `bootp`).
//!
//! A BOOTP client with a fixed address gets it from its host declaration,
//! with options from its subnet, classes and host. Any other BOOTP client
//! gets a dynamic lease only from a pool that permits `dynamic bootp
//! clients` (ISC's ad-hoc pools of `range dynamic-bootp`), through the
//! same `ack_lease` path as DHCP with an infinite-by-default lease. A
//! request without the RFC 1048 cookie is answered with its vendor area
//! copied back unless `always-reply-rfc1048` is set.

use std::net::Ipv4Addr;

use crate::conf::model::Config;
use crate::options::SpaceId;
use crate::wire::dhcp::{OpCode, FLAG_BROADCAST};

use super::ack::{AckKind, SV_ALLOW_BOOTING, SV_ALLOW_BOOTP, SV_ALWAYS_BROADCAST, SV_ALWAYS_REPLY_RFC1048, SV_FILENAME, SV_NEXT_SERVER, SV_SERVER_NAME, SV_USE_HOST_DECL_NAMES};
use super::allocate::{allocate, Client};
use super::eval::{EvalContext, EvalLease, ScopeEvaluator};
use super::failover::{FailoverHooks, ServiceState};
use super::find::Chosen;
use super::hosts::Hosts;
use super::isclog;
use super::outcome::{Outcome, Reply, ReplyFacts, ReplyKind};
use super::release::flag;
use super::reply::{self, Header, Packing};
use super::request::{code, Request};
use super::Engine;

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// ISC `bootp`.
    pub(crate) fn bootp(&mut self, config: &Config, req: &mut Request<'_>, now: i64, out: &mut Outcome) {
        if req.repr.op != OpCode::Request {
            return;
        }
        let msg = format!(
            "BOOTREQUEST from {} via {}",
            isclog::hw_addr(req.hw()),
            isclog::via(req.repr.giaddr, &self.iface_name(req))
        );
        let iface_net = self.interfaces.get(req.iface).and_then(|i| i.shared_network);
        req.shared_network = req.locate_network(config, &self.scopes, iface_net);
        let Some(share) = req.shared_network else {
            out.info(format!("{msg}: network unknown"));
            return;
        };
        // ISC does not classify BOOTP requests.
        let classes: Vec<super::classify::ClassRef> = Vec::new();
        let found = self.find_lease(config, req, share, &classes, None, now, out);
        let mut hp = match &found.lease {
            Some(Chosen::Dynamic(i)) => self.db.get(*i).host,
            Some(Chosen::Fixed(f)) => Some(f.host),
            None => None,
        };
        let fixed = match found.lease {
            Some(Chosen::Fixed(f)) => f,
            other => {
                let candidates: Vec<usize> = match hp {
                    Some(h) => vec![h],
                    None => self.hosts.by_hw(req.repr.htype, req.hw()).to_vec(),
                };
                hp = candidates.into_iter().find(|&h| !Hosts::has_fixed(config, h));
                let mut lease = other;
                if lease.is_none() {
                    let client = Client { known: req.known, bootp: true, classes: &classes, now };
                    let statuses = self.pool_statuses();
                    let (got, _) = allocate(config, &self.classes, &self.db, &config.shared_networks[share].pools, &client, &|p| {
                        statuses[p].clone()
                    });
                    if let Some(i) = got {
                        if self.db.get(i).lease.binding_state == crate::lease::BindingState::Abandoned {
                            out.error(format!("Reclaiming abandoned lease {}.", self.db.get(i).lease.ip));
                        }
                        self.db.get_mut(i).host = None;
                        lease = Some(Chosen::Dynamic(i));
                    }
                }
                let Some(lease) = lease else {
                    out.info(format!("{msg}: BOOTP from dynamic client and no dynamic leases"));
                    return;
                };
                if let Chosen::Dynamic(i) = &lease {
                    let pool = self.db.get(*i).pool;
                    if let (Some(p), Some(pi)) = (self.pool_peer(pool), pool.and_then(|p| config.pools[p].failover_peer)) {
                        if matches!(p.service, ServiceState::NotResponding | ServiceState::Startup) {
                            out.info(format!("{msg}: not responding{}", p.nrr));
                            return;
                        }
                        if p.service == ServiceState::Cooperating
                            && !self.failover.load_balance_mine(pi, req.repr.secs, req.client_id(), &req.repr.chaddr, req.repr.hlen)
                        {
                            out.info(format!("{msg}: load balance to peer {}", p.name));
                            return;
                        }
                    }
                }
                self.ack_lease(config, req, &classes, lease, AckKind::Bootp, 0, &msg, hp, now, out);
                return;
            }
        };

        // A fixed address: the reply is built here.
        let subnet_group = config.subnets[fixed.subnet].group;
        let ev_lease = EvalLease {
            address: fixed.ip,
            ends: 0,
            is_static: true,
            host_name: hp.map(|h| config.hosts[h].name.clone()),
            hardware: [&[req.repr.htype][..], req.hw()].concat(),
        };
        let cx = EvalContext { packet: Some(req.eval_packet()), lease: Some(&ev_lease), now };
        let mut options = self.eval.new_state();
        self.run_scope(config, &cx, &mut options, subnet_group, None);
        for &c in classes.iter().rev() {
            let g = self.classes.group(config, c);
            self.run_scope(config, &cx, &mut options, g, Some(subnet_group));
        }
        if let Some(h) = hp {
            self.run_scope(config, &cx, &mut options, config.hosts[h].group, Some(subnet_group));
        }
        for (code, what) in [(SV_ALLOW_BOOTP, "bootp disallowed"), (SV_ALLOW_BOOTING, "booting disallowed")] {
            if let Some(f) = flag(&mut self.eval, &cx, &options, code).filter(|f| !f.value) {
                if !f.ignore {
                    out.info(format!("{msg}: {what}"));
                }
                out.logs.extend(self.eval.take_logs());
                return;
            }
        }
        let mut header = Header::echo(req);
        header.yiaddr = fixed.ip;
        let rfc1048 = req.options_valid() || flag(&mut self.eval, &cx, &options, SV_ALWAYS_REPLY_RFC1048).is_some_and(|f| f.value);
        if flag(&mut self.eval, &cx, &options, SV_ALWAYS_BROADCAST).is_some_and(|f| f.value) {
            header.flags |= FLAG_BROADCAST;
        }
        let iface_addr = self.interfaces.get(req.iface).and_then(|i| i.addresses.first().copied());
        header.siaddr = match self.eval.option(&cx, &options, SpaceId::SERVER, SV_NEXT_SERVER) {
            Some(v) if v.len() >= 4 => Ipv4Addr::new(v[0], v[1], v[2], v[3]),
            Some(_) => Ipv4Addr::UNSPECIFIED,
            None => {
                let share_iface = self.interfaces.iter().find(|i| i.shared_network == Some(share));
                share_iface.and_then(|i| i.addresses.first().copied()).or(iface_addr).unwrap_or(Ipv4Addr::UNSPECIFIED)
            }
        };
        let file = self.eval.option(&cx, &options, SpaceId::SERVER, SV_FILENAME).unwrap_or_else(|| req.repr.file.to_vec());
        let sname = self.eval.option(&cx, &options, SpaceId::SERVER, SV_SERVER_NAME).unwrap_or_default();
        let Some(from) = iface_addr else {
            out.error(format!(
                "{msg}: Interface {} appears to have no IPv4 addresses, and so dhcpd cannot select a source address.",
                self.iface_name(req)
            ));
            return;
        };
        let bytes = if rfc1048 {
            if !self.eval.has_option(&options, SpaceId::DHCP, u32::from(code::SUBNET_MASK)) {
                let mask = config.subnets[fixed.subnet].netmask.octets().to_vec();
                self.eval.set_option(&mut options, SpaceId::DHCP, u32::from(code::SUBNET_MASK), mask);
            }
            if let Some(h) = hp {
                if !self.eval.has_option(&options, SpaceId::DHCP, u32::from(code::HOST_NAME))
                    && flag(&mut self.eval, &cx, &options, SV_USE_HOST_DECL_NAMES).is_some_and(|f| f.value)
                {
                    let name = config.hosts[h].name.clone().into_bytes();
                    self.eval.set_option(&mut options, SpaceId::DHCP, u32::from(code::HOST_NAME), name);
                }
            }
            let packing = Packing {
                mms: 0,
                overload: 0,
                terminate: false,
                bootp: true,
                prl: None,
                echo_client_id: false,
                agent: req.option(code::AGENT),
                file: &file,
                sname: &sname,
            };
            let (list, last) = reply::cons_options(&mut self.eval, &cx, &options, req, &packing);
            reply::emit(&header, list, last, &packing, req)
        } else {
            raw_vendor_reply(&header, req, &file, &sname)
        };
        out.logs.extend(self.eval.take_logs());
        out.info(msg);
        let name = hp.map_or("unknown".to_string(), |h| config.hosts[h].name.clone());
        out.info(format!(
            "BOOTREPLY for {} to {name} ({}) via {}",
            fixed.ip,
            isclog::hw_addr(req.hw()),
            isclog::via(req.repr.giaddr, &self.iface_name(req))
        ));
        let facts = ReplyFacts {
            kind: ReplyKind::BootReply,
            giaddr: req.repr.giaddr,
            ciaddr: req.repr.ciaddr,
            yiaddr: fixed.ip,
            broadcast_flag: header.flags & FLAG_BROADCAST != 0,
            hlen: req.repr.hlen,
            chaddr: req.repr.chaddr,
            got_server_identifier: false,
            lease_on_receiving_network: self.interfaces.get(req.iface).and_then(|i| i.shared_network)
                == Some(config.subnets[fixed.subnet].shared_network),
            source: req.source,
            relay_port: None,
        };
        if !bytes.is_empty() {
            out.reply = Some(Reply { bytes, facts, iface: req.iface, from });
        }
    }
}

/// A BOOTREPLY to a request without the RFC 1048 cookie: the request's
/// vendor area copied back, at least 300 bytes in all.
fn raw_vendor_reply(h: &Header, req: &Request<'_>, file: &[u8], sname: &[u8]) -> Vec<u8> {
    use crate::wire::dhcp::{Packet, BOOTP_MIN_LEN, FIXED_LEN};
    let len = req.raw.len().max(BOOTP_MIN_LEN).max(FIXED_LEN);
    let mut buf = vec![0u8; len];
    if let Some(vendor) = req.raw.get(FIXED_LEN..) {
        buf[FIXED_LEN..FIXED_LEN + vendor.len()].copy_from_slice(vendor);
    }
    let mut p = Packet::new_unchecked(&mut buf[..]);
    p.set_op(OpCode::Reply);
    p.set_htype(h.htype);
    p.set_hlen(h.hlen);
    p.set_hops(h.hops);
    p.set_xid(h.xid);
    p.set_secs(h.secs);
    p.set_flags(h.flags);
    p.set_ciaddr(h.ciaddr);
    p.set_yiaddr(h.yiaddr);
    p.set_siaddr(h.siaddr);
    p.set_giaddr(h.giaddr);
    p.set_chaddr(&h.chaddr);
    p.set_file(file);
    p.set_sname(sname);
    buf
}
