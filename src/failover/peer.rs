//! [`Peer`]: one failover relationship as a sans-IO state machine.
//!
//! The peer owns no socket, file or clock. The event loop drives it:
//!
//! * **inputs** (`handle_*`): a TCP connection came up or went down, bytes
//!   or a parsed message arrived on one, a deadline passed; each takes the
//!   current time, and inputs must come with times that never go back.
//! * **commands**: [`Peer::start`], [`Peer::set_state`] (OMAPI `local-state`,
//!   e.g. partner-down), [`Peer::lease_changed`] when the DHCP engine made a
//!   change the peer must learn.
//! * **outputs** (`poll_*`), to be drained after every input in this order:
//!   [`Peer::poll_event`] (log lines, state records to persist, connections
//!   to open or close), then [`Peer::poll_transmit`] (bytes for a
//!   connection) once every lease put in the table and every persisted state
//!   is durable, then [`Peer::poll_timeout`] (when to call
//!   [`Peer::handle_timeout`] next).
//!
//! Leases live in the caller's [`LeaseTable`]; every input that can touch
//! them takes it. The lease rules themselves are in `binding` and `update`;
//! CONNECT/CONNECTACK in `peer/handshake.rs`; the state machine's effects
//! in `peer/states.rs`; queues, BNDUPD/BNDACK and pool balancing in
//! `peer/updates.rs`.

mod handshake;
mod states;
mod updates;

use std::collections::{HashSet, VecDeque};
use std::net::Ipv4Addr;
use std::time::Instant;

use crate::failover::binding::Relationship;
use crate::failover::config::PeerConfig;
use crate::failover::event::{Event, Level};
use crate::failover::hash::{Hba, LoadBalance};
use crate::failover::link::{Link, LinkId};
use crate::failover::state::{service_state, FailoverState, Role, ServiceState, StateAt};
use crate::failover::table::LeaseTable;
use crate::failover::timer::{after, Timer, TimerTable, RECONNECT_SECS, RECONNECT_SLOW_SECS};
use crate::lease::records::FailoverStateRecord;
use crate::lease::{BindingState, Time};
use crate::time::Now;
use crate::wire::failover::{Message, MessageType};

/// Why an outbound connection attempt failed, which decides when ISC tries
/// again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectFailure {
    /// No route or host unreachable: ISC treats it as a lost link.
    Unreachable,
    /// The attempt timed out: as `Unreachable`.
    TimedOut,
    /// Refused: the peer is not listening (yet). Redial in 5 s: ISC's
    /// refused connection ends in its link's "disconnect" signal, which
    /// schedules the same 5 s redial (measured against ISC 4.4.3 in the
    /// `failover_isc` test: a SYN to the refused port every 5.0 s).
    Refused,
    /// Any other error (no local address...): redial in 90 s, as ISC.
    Other,
}

/// A BNDUPD we sent and the peer has not acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InFlight {
    pub ip: Ipv4Addr,
    pub xid: u32,
    /// The binding state the update carried (ISC `desired_binding_state`).
    pub sent: BindingState,
}

/// One failover relationship (ISC `dhcp_failover_state_t`).
#[derive(Debug)]
pub struct Peer {
    cfg: PeerConfig,
    /// My state and when I entered it.
    me: FailoverState,
    stos: Time,
    /// The state I was in before startup (ISC `saved_state`).
    saved: FailoverState,
    partner: FailoverState,
    partner_stos: Time,
    /// MCLT in force: configured on the primary, learnt on the secondary.
    mclt: u32,
    /// HBA in force: the primary's own, the secondary's from CONNECT.
    hba: Option<Hba>,
    partner_max_unacked: u32,
    partner_max_response_delay: u32,
    links: Vec<Link>,
    link_to_peer: Option<LinkId>,
    timers: TimerTable,
    /// Leases to send (ISC update queue), without duplicates.
    update_queue: VecDeque<Ipv4Addr>,
    queued: HashSet<Ipv4Addr>,
    /// Sent, not yet acknowledged (ISC ack queue), oldest first.
    in_flight: Vec<InFlight>,
    /// Received BNDUPDs whose positive BNDACK is not sent yet: (xid, address).
    to_ack: Vec<(u32, Ipv4Addr)>,
    /// Send UPDDONE once this lease is acknowledged.
    send_update_done: Option<Ipv4Addr>,
    /// The xid of the update request being answered.
    updxid: u32,
    /// The kind of update request we last sent and not yet saw answered.
    cur_upd: Option<MessageType>,
    last_balance: Time,
    sched_balance: Option<Time>,
    rng: u64,
    transmits: VecDeque<(LinkId, Vec<u8>)>,
    events: VecDeque<Event>,
    /// The last time given to an input, for message timestamps.
    now: Now,
}

impl Peer {
    /// A relationship as configured, restored from the lease file's last
    /// `failover peer ... state` record if there is one. `seed` feeds the
    /// jitter ISC adds to pool rebalancing.
    pub fn new(cfg: PeerConfig, restored: Option<&FailoverStateRecord>, now: Now, seed: u64) -> Peer {
        let mut me = cfg.me;
        let mut partner = cfg.partner;
        let mut mclt = cfg.mclt;
        if let Some(r) = restored {
            me = r.me.unwrap_or(me);
            partner = r.partner.unwrap_or(partner);
            if cfg.role == Role::Secondary {
                mclt = r.mclt.unwrap_or(mclt);
            }
        }
        // ISC never writes startup; a record saying so means the saved state.
        if me.state == FailoverState::Startup {
            me.state = FailoverState::Recover;
        }
        Peer {
            hba: if cfg.role == Role::Primary { cfg.hba } else { None },
            partner_max_unacked: cfg.partner_max_unacked_updates,
            partner_max_response_delay: cfg.partner_max_response_delay,
            me: me.state,
            stos: me.since,
            saved: me.state,
            partner: partner.state,
            partner_stos: partner.since,
            mclt,
            cfg,
            links: Vec::new(),
            link_to_peer: None,
            timers: TimerTable::default(),
            update_queue: VecDeque::new(),
            queued: HashSet::new(),
            in_flight: Vec::new(),
            to_ack: Vec::new(),
            send_update_done: None,
            updxid: 0,
            cur_upd: None,
            last_balance: 0,
            sched_balance: None,
            rng: seed | 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            now,
        }
    }

    // ---- getters -------------------------------------------------------

    /// The relationship's name.
    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.cfg.role
    }

    /// My state and when I entered it.
    pub fn state(&self) -> StateAt {
        StateAt {
            state: self.me,
            since: self.stos,
        }
    }

    /// The peer's state as last heard, and when we heard it.
    pub fn partner_state(&self) -> StateAt {
        StateAt {
            state: self.partner,
            since: self.partner_stos,
        }
    }

    /// The MCLT in force.
    pub fn mclt(&self) -> u32 {
        self.mclt
    }

    /// What the DHCP side may do now, and ISC's "not responding" reason.
    pub fn service(&self) -> (ServiceState, &'static str) {
        service_state(self.me, self.partner)
    }

    /// The facts the lease rules (`binding`) need.
    pub fn relationship(&self) -> Relationship {
        Relationship {
            role: self.cfg.role,
            me: self.me,
            partner: self.partner,
            stos: self.stos,
            mclt: Time::from(self.mclt),
        }
    }

    /// Load balancing as it applies now (the secondary's HBA is the one the
    /// primary sent). Only meaningful while cooperating.
    pub fn load_balance(&self, check_secs_byte_order: bool) -> LoadBalance {
        LoadBalance {
            hba: self.hba,
            max_secs: self.cfg.load_balance_max_secs,
            primary: self.cfg.role == Role::Primary,
            check_secs_byte_order,
        }
    }

    /// Whether a connection has completed the handshake.
    pub fn is_linked(&self) -> bool {
        self.link_to_peer.is_some()
    }

    /// BNDUPDs sent and not yet acknowledged (ISC `cur_unacked_updates`).
    pub fn unacked_updates(&self) -> usize {
        self.in_flight.len()
    }

    /// The hash bucket assignment in force: the primary's own, the one the
    /// secondary learnt from CONNECT (`None` before that).
    pub fn hba(&self) -> Option<Hba> {
        self.hba
    }

    /// Our own `max-unacked-updates` and `max-response-delay`.
    pub fn own_limits(&self) -> (u32, u32) {
        (self.cfg.max_unacked_updates, self.cfg.max_response_delay)
    }

    /// `load balance max seconds`.
    pub fn load_balance_max_secs(&self) -> u32 {
        self.cfg.load_balance_max_secs
    }

    /// BNDUPDs waiting to be sent plus those awaiting a BNDACK.
    pub fn pending_updates(&self) -> usize {
        self.update_queue.len() + self.in_flight.len()
    }

    /// The record ISC writes for this relationship (the saved state while
    /// in startup; `mclt` only on the secondary).
    pub fn state_record(&self) -> FailoverStateRecord {
        FailoverStateRecord {
            peer: self.cfg.name.clone(),
            me: Some(StateAt {
                state: self.effective_state(),
                since: self.stos,
            }),
            partner: Some(StateAt {
                state: self.partner,
                since: self.partner_stos,
            }),
            mclt: (self.cfg.role == Role::Secondary).then_some(self.mclt),
        }
    }

    /// My state, or the saved one while in startup.
    fn effective_state(&self) -> FailoverState {
        if self.me == FailoverState::Startup {
            self.saved
        } else {
            self.me
        }
    }

    // ---- outputs -------------------------------------------------------

    /// The next log line, record to persist or connection to open/close.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next message to write on a connection.
    pub fn poll_transmit(&mut self) -> Option<(LinkId, Vec<u8>)> {
        self.transmits.pop_front()
    }

    /// When [`Peer::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let links = self.links.iter().filter_map(|l| l.startup_deadline).min();
        match (self.timers.next(), links) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- commands ------------------------------------------------------

    /// Starts the relationship (ISC `dhcp_failover_startup`): move to
    /// startup, queue every lease the peer has not acknowledged, and ask for
    /// a connection to the peer.
    pub fn start(&mut self, now: Now, table: &mut dyn LeaseTable) {
        self.now = now;
        for ip in table.all_in_update_order() {
            if let Some(l) = table.get(ip) {
                if l.tstp > l.atsfp {
                    self.enqueue(ip);
                }
            }
        }
        self.set_state(now, FailoverState::Startup, table);
        self.events.push_back(Event::Connect);
    }

    /// Moves to `state` by operator command (OMAPI `failover-state`
    /// `local-state`), e.g. partner-down.
    pub fn set_state(&mut self, now: Now, state: FailoverState, table: &mut dyn LeaseTable) {
        self.now = now;
        self.transition(now, state, table);
    }

    /// The DHCP engine changed `ip` (an ACK, release, expiry...) and the
    /// peer must learn it: queue a BNDUPD and send what flow control allows.
    pub fn lease_changed(&mut self, now: Now, ip: Ipv4Addr, table: &mut dyn LeaseTable) {
        self.now = now;
        self.queue_update(ip);
        self.send_updates(table);
        self.pool_check(now, table);
    }

    // ---- inputs: connections -------------------------------------------

    /// A TCP connection to the peer is up (dialled or accepted). The primary
    /// sends CONNECT on it; either side gives it 15 s to complete.
    pub fn handle_connected(&mut self, now: Now, id: LinkId) {
        self.now = now;
        self.links.retain(|l| l.id != id);
        self.links.push(Link::new(id, now));
        if self.cfg.role == Role::Primary {
            let xid = self.link_mut(id).map_or(0, Link::next_xid);
            let hba = self.hba;
            let msg = Message::connect(
                wire_time(now.wall),
                xid,
                self.cfg.name.as_bytes(),
                self.cfg.max_unacked_updates,
                self.cfg.max_response_delay,
                self.cfg.vendor_class.as_bytes(),
                self.mclt,
                hba.as_ref().map(|h| &h.as_bytes()[..]),
            );
            let bytes = msg.to_vec();
            self.push_bytes(now, id, bytes);
        }
    }

    /// A dial failed.
    pub fn handle_connect_failed(&mut self, now: Now, why: ConnectFailure, table: &mut dyn LeaseTable) {
        self.now = now;
        let delay = match why {
            ConnectFailure::Other => RECONNECT_SLOW_SECS,
            _ => RECONNECT_SECS,
        };
        self.timers.set(Timer::Reconnect, after(now, delay));
        if matches!(why, ConnectFailure::Unreachable | ConnectFailure::TimedOut) && self.link_to_peer.is_none() {
            self.disconnect_transition(now, table);
        }
    }

    /// A connection closed (by the peer or the network).
    pub fn handle_disconnected(&mut self, now: Now, id: LinkId, table: &mut dyn LeaseTable) {
        self.now = now;
        self.drop_link(now, id, true, table);
    }

    // ---- inputs: data --------------------------------------------------

    /// Bytes read from connection `id`: reassembled into messages and
    /// handled. A framing or protocol error closes the connection, as ISC.
    pub fn handle_bytes(&mut self, now: Now, id: LinkId, data: &[u8], table: &mut dyn LeaseTable) {
        self.now = now;
        let Some(pos) = self.links.iter().position(|l| l.id == id) else {
            return;
        };
        let mut deframer = std::mem::take(&mut self.links[pos].deframer);
        deframer.push(data);
        loop {
            let outcome = match deframer.next_message() {
                Ok(None) => break,
                Ok(Some(packet)) => Message::parse(&packet),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(msg) => {
                    self.handle_message(now, id, &msg, table);
                    if !self.links.iter().any(|l| l.id == id) {
                        return;
                    }
                }
                Err(e) => {
                    self.log(Level::Error, e.to_string());
                    self.log(Level::Info, e.link_log_line());
                    self.close_link(now, id, table);
                    return;
                }
            }
        }
        if let Some(l) = self.links.iter_mut().find(|l| l.id == id) {
            l.deframer = deframer;
        }
    }

    /// One parsed message from connection `id`.
    pub fn handle_message(&mut self, now: Now, id: LinkId, msg: &Message<'_>, table: &mut dyn LeaseTable) {
        self.now = now;
        if !self.links.iter().any(|l| l.id == id) {
            return;
        }
        let established = self.link_to_peer == Some(id);
        match msg.kind {
            MessageType::Connect => self.on_connect(now, id, msg),
            MessageType::ConnectAck => self.on_connectack(now, id, msg, table),
            MessageType::Disconnect => {
                if let Some(reason) = msg.options.reject_reason {
                    let line = format!("Failover DISCONNECT from {}: {reason}", self.cfg.name);
                    self.log(Level::Error, line);
                }
                self.close_link(now, id, table);
            }
            // Everything else belongs to the established link only.
            _ if !established => {}
            MessageType::State => self.on_state(now, msg, table),
            MessageType::BndUpd => self.on_bind_update(now, msg, table),
            MessageType::BndAck => self.on_bind_ack(now, msg, table),
            MessageType::UpdReq => self.on_update_request(now, msg, false, table),
            MessageType::UpdReqAll => self.on_update_request(now, msg, true, table),
            MessageType::UpdDone => self.on_update_done(now, table),
            MessageType::PoolReq => self.on_pool_request(now, msg, table),
            MessageType::PoolResp => {
                let n = msg.options.addresses_transferred.unwrap_or(0);
                self.log(Level::Info, format!("pool response: {n} leases"));
            }
            MessageType::Contact | MessageType::Unknown(_) => {}
        }
        if self.link_to_peer == Some(id) {
            self.timers
                .set(Timer::Receive, after(now, Time::from(self.cfg.max_response_delay)));
        }
    }

    /// Deadlines that have passed at `now`.
    pub fn handle_timeout(&mut self, now: Now, table: &mut dyn LeaseTable) {
        self.now = now;
        let expired: Vec<LinkId> = self
            .links
            .iter()
            .filter(|l| l.startup_deadline.is_some_and(|d| d <= now.mono))
            .map(|l| l.id)
            .collect();
        for id in expired {
            self.log(Level::Info, "failover: link startup timeout".into());
            self.close_link(now, id, table);
        }
        for timer in Timer::VALUES {
            if !self.timers.expire(timer, now.mono) {
                continue;
            }
            match timer {
                // ISC forgets the link here but leaves it open and silent;
                // we close it, which makes the same transition and redials.
                Timer::Startup if self.me == FailoverState::Startup => match self.link_to_peer {
                    Some(id) => self.close_link(now, id, table),
                    None => self.disconnect_transition(now, table),
                },
                Timer::Startup => {}
                Timer::Reconnect => {
                    if self.link_to_peer.is_none() {
                        self.events.push_back(Event::Connect);
                    }
                }
                Timer::Contact => {
                    if let Some(id) = self.link_to_peer {
                        let xid = self.link_mut(id).map_or(0, Link::next_xid);
                        self.send(
                            now,
                            id,
                            &Message::header_only(MessageType::Contact, wire_time(now.wall), xid),
                        );
                    }
                }
                Timer::Receive => {
                    if let Some(id) = self.link_to_peer {
                        let line = format!("timeout waiting for failover peer {}", self.cfg.name);
                        self.log(Level::Error, line);
                        self.close_link(now, id, table);
                    }
                }
                Timer::AckFlush => self.send_acks(),
                Timer::RecoverDone => {
                    if self.me == FailoverState::RecoverWait {
                        self.transition(now, FailoverState::RecoverDone, table);
                    }
                }
                Timer::AutoPartnerDown => self.transition(now, FailoverState::PartnerDown, table),
                Timer::PoolRebalance => self.pool_rebalance(now, table),
            }
        }
    }

    // ---- plumbing ------------------------------------------------------

    fn link_mut(&mut self, id: LinkId) -> Option<&mut Link> {
        self.links.iter_mut().find(|l| l.id == id)
    }

    /// Closes a connection we decided to drop.
    fn close_link(&mut self, now: Now, id: LinkId, table: &mut dyn LeaseTable) {
        if self.links.iter().any(|l| l.id == id) {
            self.events.push_back(Event::Close(id));
        }
        self.drop_link(now, id, false, table);
    }

    /// Forgets a connection closed right after a refusal (never the link).
    fn forget_link(&mut self, id: LinkId) {
        self.links.retain(|l| l.id != id);
        self.events.push_back(Event::Close(id));
    }

    /// A connection is gone: if it was the link, the "disconnect"
    /// transition; in any case a redial in 5 s (ISC's link "disconnect").
    fn drop_link(&mut self, now: Now, id: LinkId, closed_by_peer: bool, table: &mut dyn LeaseTable) {
        let known = self.links.iter().any(|l| l.id == id);
        self.links.retain(|l| l.id != id);
        // What we queued before closing (a DISCONNECT, a refusal) still goes
        // out; nothing can go out on a connection the other end closed.
        if closed_by_peer {
            self.transmits.retain(|(l, _)| *l != id);
        }
        if !known {
            return;
        }
        if self.link_to_peer == Some(id) {
            self.disconnect_transition(now, table);
        }
        self.timers.set(Timer::Reconnect, after(now, RECONNECT_SECS));
    }

    fn arm_contact(&mut self, now: Now) {
        let every = Time::from(self.partner_max_response_delay / 3).max(1);
        self.timers.set(Timer::Contact, after(now, every));
    }

    /// Queues a message on a connection; messages on the link re-arm the
    /// CONTACT timer, as ISC's `dhcp_failover_put_message` does.
    fn send(&mut self, now: Now, id: LinkId, msg: &Message<'_>) {
        let bytes = msg.to_vec();
        self.push_bytes(now, id, bytes);
    }

    fn push_bytes(&mut self, now: Now, id: LinkId, bytes: Result<Vec<u8>, crate::wire::failover::EmitError>) {
        match bytes {
            Ok(b) => {
                self.transmits.push_back((id, b));
                if self.link_to_peer == Some(id) {
                    self.arm_contact(now);
                }
            }
            Err(e) => self.log(Level::Error, format!("failover peer {}: {e}", self.cfg.name)),
        }
    }

    fn log(&mut self, level: Level, line: String) {
        self.events.push_back(Event::Log(level, line));
    }

    /// The next pseudo-random number (xorshift64), for ISC's jitter.
    fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

/// A time as the 32-bit field of the wire header.
pub(crate) fn wire_time(t: Time) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

#[cfg(test)]
#[path = "peer_tests.rs"]
mod tests;
