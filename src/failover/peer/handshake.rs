//! The handshake on a new connection: the secondary's checks of CONNECT
//! and its CONNECTACK (accepting or refusing), the primary's checks of
//! CONNECTACK (reference §1.7). The checks themselves are `link`'s.

use super::{wire_time, Peer};
use crate::failover::event::{Event, Level};
use crate::failover::hash::Hba;
use crate::failover::link::{self, ConnectAckVerdict, Link, LinkId};
use crate::failover::table::LeaseTable;
use crate::failover::timer::{after, Timer};
use crate::lease::Time;
use crate::time::Now;
use crate::wire::failover::{Message, MessageType, Options, PROTOCOL_VERSION};

impl Peer {
    pub(super) fn on_connect(&mut self, now: Now, id: LinkId, msg: &Message<'_>) {
        let linked = self.link_to_peer.is_some();
        let verdict = link::check_connect(msg, &self.cfg.name, now.wall, linked);
        let name = self.cfg.name.clone();
        let refusal = verdict.err();
        let matched = refusal.as_ref().map_or(true, link::name_matched);
        let tls = msg.options.tls_request.is_some().then_some(0u8);
        let options = Options {
            relationship_name: if matched {
                Some(name.as_bytes())
            } else {
                msg.options.relationship_name
            },
            max_unacked: matched.then_some(self.cfg.max_unacked_updates),
            receive_timer: matched.then_some(self.cfg.max_response_delay),
            vendor_class: Some(self.cfg.vendor_class.as_bytes()),
            protocol_version: Some(PROTOCOL_VERSION),
            tls_reply: tls,
            reject_reason: refusal.map(|r| r.0),
            message: refusal.map(|r| r.1.as_bytes()),
            ..Options::default()
        };
        let ack = Message {
            kind: MessageType::ConnectAck,
            time: wire_time(now.wall),
            xid: msg.xid,
            options,
        };
        let bytes = ack.to_vec();
        if let Some((_, text)) = refusal {
            let who = match msg.options.relationship_name {
                Some(n) if !matched => String::from_utf8_lossy(n).into_owned(),
                Some(_) => name,
                None => "unknown".into(),
            };
            // ISC refuses a duplicate or an MCLT-less CONNECT silently; the
            // other refusals happen in its link code, which logs them.
            if !matches!(refusal, Some((_, "already connected" | "no MCLT provided"))) {
                self.log(Level::Error, format!("Failover CONNECT from {who}: {text}"));
                self.log(Level::Info, format!("failover: disconnect: {text}"));
            }
            self.push_bytes(now, id, bytes);
            self.forget_link(id);
            return;
        }
        self.link_to_peer = Some(id);
        if let Some(l) = self.link_mut(id) {
            l.startup_deadline = None;
        }
        self.push_bytes(now, id, bytes);
        if let Some(n) = msg.options.max_unacked {
            self.partner_max_unacked = n;
        }
        if let Some(n) = msg.options.receive_timer {
            self.partner_max_response_delay = n;
        }
        self.mclt = msg.options.mclt.unwrap_or(self.mclt);
        self.hba = msg.options.hba.and_then(|h| Hba::from_bytes(h).ok());
        self.send_state(now);
        self.events.push_back(Event::Persist(self.state_record()));
    }

    pub(super) fn on_connectack(&mut self, now: Now, id: LinkId, msg: &Message<'_>, table: &mut dyn LeaseTable) {
        if let Some(l) = self.link_mut(id) {
            l.startup_deadline = None;
        }
        let name = self.cfg.name.clone();
        match link::check_connectack(msg, &name, now.wall, self.link_to_peer.is_some()) {
            ConnectAckVerdict::Accept => {}
            ConnectAckVerdict::Refused(reason) => {
                self.log(Level::Error, format!("Failover CONNECT to {name} rejected: {reason}"));
                self.close_link(now, id, table);
                return;
            }
            ConnectAckVerdict::Bad(reason, text) => {
                self.log(Level::Error, format!("Failover CONNECTACK from {name}: {text}"));
                let xid = self.link_mut(id).map_or(0, Link::next_xid);
                let bytes = Message::disconnect(wire_time(now.wall), xid, reason, text.as_bytes()).to_vec();
                self.push_bytes(now, id, bytes);
                self.close_link(now, id, table);
                return;
            }
        }
        self.link_to_peer = Some(id);
        self.send_state(now);
        if let Some(n) = msg.options.max_unacked {
            self.partner_max_unacked = n;
        }
        if let Some(n) = msg.options.receive_timer {
            self.partner_max_response_delay = n;
        }
        self.arm_contact(now);
        self.timers
            .set(Timer::Receive, after(now, Time::from(self.cfg.max_response_delay)));
    }
}
