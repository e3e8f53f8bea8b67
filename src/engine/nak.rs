//! DHCPNAK (ISC `nak_lease`, `eval_network_statements`).
//!
//! A NAK carries the message type, the receiving interface's address as
//! server identifier (ISC is built without `SERVER_ID_FOR_NAK`), the text
//! left in ISC's `dhcp_message` by the last lease look-up, the client
//! identifier under `echo-client-id`, and the relay agent information.
//! The client's parameter request list is ignored and the broadcast flag
//! is always set.

use std::net::Ipv4Addr;

use crate::conf::model::{Config, GroupId};
use crate::options::SpaceId;
use crate::wire::dhcp::{MessageType, FLAG_BROADCAST};

use super::classify::ClassRef;
use super::eval::{EvalContext, ScopeEvaluator};
use super::failover::FailoverHooks;
use super::isclog;
use super::outcome::{Outcome, Reply, ReplyFacts, ReplyKind};
use super::release::flag;
use super::reply::{self, Header, Packing};
use super::request::{code, Request};
use super::Engine;

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// ISC `eval_network_statements`: the global, network and first-pool
    /// scopes of the packet's shared network (or of `network_group`, or
    /// the global scope alone) into `state`.
    pub(crate) fn eval_network_statements<'c>(
        &mut self,
        config: &'c Config,
        cx: &EvalContext<'_>,
        state: &mut E::State<'c>,
        req: &Request<'_>,
        network_group: Option<GroupId>,
    ) {
        if let Some(share) = req.shared_network {
            let sn = &config.shared_networks[share];
            let first_subnet = self.scopes.first_subnet(share);
            match first_subnet {
                Some(s) => self.run_scope(config, cx, state, config.subnets[s].group, None),
                None => self.run_scope(config, cx, state, sn.group, None),
            }
            if let Some(&p) = sn.pools.first() {
                let limit = self.scopes.shared_network_node(config, share);
                self.run_scope(config, cx, state, config.pools[p].group, Some(limit));
            }
        } else {
            self.run_scope(config, cx, state, network_group.unwrap_or(Config::ROOT), None);
        }
    }

    /// ISC `nak_lease` for requested address `cip`.
    pub(crate) fn nak_lease(
        &mut self,
        config: &Config,
        req: &Request<'_>,
        classes: &[ClassRef],
        cip: Ipv4Addr,
        network_group: Option<GroupId>,
        out: &mut Outcome,
    ) {
        let cx = EvalContext { packet: Some(req.eval_packet()), lease: None, now: 0 };
        let mut options = self.eval.new_state();
        self.eval.set_option(&mut options, SpaceId::DHCP, u32::from(code::MESSAGE_TYPE), vec![u8::from(MessageType::Nak)]);
        self.eval.set_option(&mut options, SpaceId::DHCP, u32::from(code::MESSAGE), self.dhcp_message.clone().into_bytes());
        let mut eval_options = self.eval.new_state();
        self.eval_network_statements(config, &cx, &mut eval_options, req, network_group);
        let iface_addr = self.interfaces.get(req.iface).and_then(|i| i.addresses.first().copied());
        let from = iface_addr.unwrap_or(Ipv4Addr::UNSPECIFIED);
        if let Some(a) = iface_addr {
            self.eval.set_option(&mut options, SpaceId::DHCP, u32::from(code::SERVER_IDENTIFIER), a.octets().to_vec());
        }
        for &c in classes.iter().rev() {
            let g = self.classes.group(config, c);
            self.run_scope(config, &cx, &mut eval_options, g, None);
        }
        let echo = flag(&mut self.eval, &cx, &eval_options, super::ack::SV_ECHO_CLIENT_ID).is_some_and(|f| f.value);
        if echo {
            if let Some(cid) = req.client_id() {
                self.eval.set_option(&mut options, SpaceId::DHCP, u32::from(code::CLIENT_IDENTIFIER), cid.to_vec());
            }
        }
        out.logs.extend(self.eval.take_logs());
        let packing = Packing {
            mms: 0,
            overload: 0,
            terminate: false,
            bootp: false,
            prl: None,
            echo_client_id: echo,
            agent: req.option(code::AGENT),
            file: &[],
            sname: &[],
        };
        let (list, last) = reply::cons_options(&mut self.eval, &cx, &options, req, &packing);
        let mut header = Header::echo(req);
        header.ciaddr = Ipv4Addr::UNSPECIFIED;
        header.flags |= FLAG_BROADCAST;
        let bytes = reply::emit(&header, list, last, &packing, req);
        out.info(format!(
            "DHCPNAK on {cip} to {} via {}",
            isclog::hw_addr(req.hw()),
            isclog::via(req.repr.giaddr, &self.iface_name(req))
        ));
        let facts = ReplyFacts {
            kind: ReplyKind::Nak,
            giaddr: req.repr.giaddr,
            ciaddr: req.repr.ciaddr,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            broadcast_flag: true,
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
