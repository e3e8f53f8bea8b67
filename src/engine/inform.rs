//! DHCPINFORM (ISC `dhcpinform`): configuration without an address.
//!
//! The client's subnet comes from link selection, subnet selection,
//! giaddr (when ciaddr is empty) or the client's own address; ISC answers
//! only when that subnet is `authoritative`. Options come from the subnet,
//! the pool of the client's address, its classes and its host (a host
//! whose fixed address is the client's wins); lease times are removed.

use std::net::Ipv4Addr;

use crate::conf::model::Config;
use crate::options::SpaceId;
use crate::wire::dhcp::{MessageType, FILE_LEN, FLAG_BROADCAST, SNAME_LEN};

use super::ack::{SV_FILENAME, SV_NEXT_SERVER, SV_SERVER_NAME};
use super::classify::ClassRef;
use super::eval::{EvalContext, ScopeEvaluator};
use super::failover::FailoverHooks;
use super::hosts::{HostId, Hosts};
use super::isclog;
use super::outcome::{Outcome, Reply, ReplyFacts, ReplyKind};
use super::reply::{self, Header, Packing};
use super::request::{agent_suboption, code, Request};
use super::scope::Scopes;
use super::Engine;

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// The host an INFORM's options come from: among `hosts`, one whose
    /// fixed address is `cip` (then `true`), else the first without a fixed
    /// address.
    fn inform_host(&self, config: &Config, hosts: &[HostId], cip: Ipv4Addr) -> (Option<HostId>, bool) {
        if let Some(&h) = hosts.iter().find(|&&h| self.hosts.fixed(h).contains(&cip)) {
            return (Some(h), true);
        }
        (hosts.iter().copied().find(|&h| !Hosts::has_fixed(config, h)), false)
    }

    /// ISC `dhcpinform`.
    pub(crate) fn dhcpinform(&mut self, config: &Config, req: &Request<'_>, classes: &[ClassRef], now: i64, out: &mut Outcome) {
        let ciaddr = req.repr.ciaddr;
        let giaddr = req.repr.giaddr;
        let zeroed = ciaddr.is_unspecified();
        let (cip, mut addr_type) = if zeroed { (req.source, "source") } else { (ciaddr, "client") };
        let mut sip = cip;
        let gip = (!giaddr.is_unspecified()).then_some(giaddr);
        if let (Some(g), true) = (gip, zeroed) {
            addr_type = "relay";
            sip = g;
        }
        let via = isclog::via(giaddr, &self.iface_name(req));
        let msg = format!("DHCPINFORM from {cip} via {via}");
        if cip.is_unspecified() {
            out.info(format!("{msg}: ignored (null source address)."));
            return;
        }
        let cx = EvalContext { packet: Some(req.eval_packet()), lease: None, now };
        let mut options = self.eval.new_state();
        let link = req.option(code::AGENT).and_then(|a| agent_suboption(a, 5)).map(|v| (5u32, v));
        let selected = link.or_else(|| req.option(code::SUBNET_SELECTION).map(|v| (u32::from(code::SUBNET_SELECTION), v)));
        if let Some((c, v)) = selected {
            if v.len() != 4 {
                out.info(format!("{msg}: ignored (invalid subnet selection option)."));
                return;
            }
            sip = Ipv4Addr::new(v[0], v[1], v[2], v[3]);
            // ISC files the option under its own code in the DHCP space,
            // even when it came from the agent space.
            self.eval.set_option(&mut options, SpaceId::DHCP, c, v.to_vec());
            addr_type = if zeroed && gip.is_some() { "relay link select" } else { "selected" };
        }
        let Some(subnet) = self.scopes.find_subnet(config, sip) else {
            out.info(format!("{msg}: unknown subnet for {addr_type} address {sip}"));
            return;
        };
        if !Scopes::subnet_authoritative(config, subnet) {
            out.info(format!("{msg}: not authoritative for subnet {}", config.subnets[subnet].net));
            if self.inform_hint == 0 {
                out.info("If this DHCP server is authoritative for that subnet,");
                out.info("please write an `authoritative;' directive either in the");
                out.info("subnet declaration or in some scope that encloses the");
                out.info("subnet declaration - for example, write it at the top");
                out.info("of the dhcpd.conf file.");
            }
            self.inform_hint += 1;
            if self.inform_hint == 101 {
                self.inform_hint = 0;
            }
            return;
        }
        let subnet_group = config.subnets[subnet].group;
        self.run_scope(config, &cx, &mut options, subnet_group, None);
        if !zeroed {
            if let Some(p) = self.db.by_ip(cip).and_then(|i| self.db.get(i).pool) {
                let limit = self.scopes.shared_network_node(config, config.pools[p].shared_network);
                self.run_scope(config, &cx, &mut options, config.pools[p].group, Some(limit));
            }
        }
        for &c in classes.iter().rev() {
            let g = self.classes.group(config, c);
            self.run_scope(config, &cx, &mut options, g, Some(subnet_group));
        }
        let mut host = None;
        let mut matched_ip = false;
        if let Some(cid) = req.client_id() {
            (host, matched_ip) = self.inform_host(config, self.hosts.by_uid(cid), cip);
        }
        if host.is_none() || !matched_ip {
            let by_hw = self.hosts.by_hw(req.repr.htype, req.hw());
            let (h, m) = self.inform_host(config, by_hw, cip);
            if m || host.is_none() {
                host = h;
            }
        }
        if let Some(h) = host {
            self.run_scope(config, &cx, &mut options, config.hosts[h].group, Some(subnet_group));
        }
        let mut file = self.eval.option(&cx, &options, SpaceId::SERVER, SV_FILENAME).unwrap_or_default();
        if file.len() >= FILE_LEN {
            out.info(format!(
                "file name longer than packet field truncated - field: {FILE_LEN} name: {} {}",
                file.len(),
                String::from_utf8_lossy(&file)
            ));
            file.truncate(FILE_LEN);
        }
        let mut sname = self.eval.option(&cx, &options, SpaceId::SERVER, SV_SERVER_NAME).unwrap_or_default();
        if sname.len() >= SNAME_LEN {
            out.info(format!(
                "server name longer than packet field truncated - field: {SNAME_LEN} name: {} {}",
                sname.len(),
                String::from_utf8_lossy(&sname)
            ));
            sname.truncate(SNAME_LEN);
        }
        self.eval.set_option(&mut options, SpaceId::DHCP, u32::from(code::MESSAGE_TYPE), vec![u8::from(MessageType::Ack)]);
        let iface_addr = self.interfaces.get(req.iface).and_then(|i| i.addresses.first().copied());
        let from = self.server_source_address(&cx, &mut options, iface_addr);
        if !self.eval.has_option(&options, SpaceId::DHCP, u32::from(code::SUBNET_MASK)) {
            let mask = config.subnets[subnet].netmask.octets().to_vec();
            self.eval.set_option(&mut options, SpaceId::DHCP, u32::from(code::SUBNET_MASK), mask);
        }
        let prl = self
            .eval
            .option(&cx, &options, SpaceId::DHCP, u32::from(code::PRL))
            .or_else(|| req.option(code::PRL).map(<[u8]>::to_vec));
        out.logs.extend(self.eval.take_logs());
        out.info(msg);
        let siaddr = self
            .eval
            .option(&cx, &options, SpaceId::SERVER, SV_NEXT_SERVER)
            .filter(|v| v.len() >= 4)
            .map_or(Ipv4Addr::UNSPECIFIED, |v| Ipv4Addr::new(v[0], v[1], v[2], v[3]));
        for c in [code::LEASE_TIME, code::RENEWAL_TIME, code::REBINDING_TIME] {
            self.eval.delete_option(&mut options, SpaceId::DHCP, u32::from(c));
        }
        let packing = Packing {
            mms: 0,
            overload: 0,
            terminate: req.ms_nulltp,
            bootp: false,
            prl: prl.as_deref(),
            echo_client_id: false,
            agent: req.option(code::AGENT).filter(|_| !req.agent_stashed),
            file: &file,
            sname: &sname,
        };
        let (list, last) = reply::cons_options(&mut self.eval, &cx, &options, req, &packing);
        let mut header = Header::echo(req);
        header.siaddr = siaddr;
        let relayed = zeroed && gip.is_some();
        if relayed {
            header.flags |= FLAG_BROADCAST;
        }
        let bytes = reply::emit(&header, list, last, &packing, req);
        let who = if req.repr.htype != 0 && req.repr.hlen != 0 {
            isclog::hw_addr(req.hw())
        } else {
            "<no client hardware address>".to_string()
        };
        let to = if relayed { giaddr.to_string() } else { self.iface_name(req) };
        out.info(format!("DHCPACK to {cip} ({who}) via {to}"));
        let facts = ReplyFacts {
            kind: ReplyKind::InformAck,
            giaddr,
            ciaddr,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            broadcast_flag: header.flags & FLAG_BROADCAST != 0,
            hlen: req.repr.hlen,
            chaddr: req.repr.chaddr,
            got_server_identifier: req.option(code::SERVER_IDENTIFIER).is_some(),
            lease_on_receiving_network: false,
            source: req.source,
            relay_port: req.relay_port(),
        };
        if !bytes.is_empty() {
            out.reply = Some(Reply { bytes, facts, iface: req.iface, from });
        }
    }
}
