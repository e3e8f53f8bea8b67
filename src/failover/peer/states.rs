//! The state machine's effects: entering a state (ISC
//! `dhcp_failover_set_state`), losing the peer (the "disconnect"
//! transition), a STATE from the peer (`dhcp_failover_peer_state_changed`)
//! and UPDDONE (`dhcp_failover_process_update_done`). The decisions are the
//! pure tables of `failover::state`; this file performs them in ISC's order.

use super::{wire_time, Peer};
use crate::failover::binding;
use crate::failover::event::{self, Event, Level};
use crate::failover::state::{
    after_disconnect, from_wire, react_to_peer, repeat_is_processed, to_wire, Disconnect, FailoverState, PeerChange,
    Reaction, Role,
};
use crate::failover::table::LeaseTable;
use crate::failover::timer::{after, at_wall, Timer, STARTUP_SECS};
use crate::lease::{BindingState, Time};
use crate::time::Now;
use crate::wire::failover::{Message, MessageType, SERVER_FLAG_STARTUP};

use FailoverState as S;

impl Peer {
    /// Enters `new`, with every side effect ISC attaches to it.
    pub(super) fn transition(&mut self, now: Now, new: FailoverState, table: &mut dyn LeaseTable) {
        let old = self.me;
        if matches!(old, S::Normal | S::PotentialConflict | S::PartnerDown) {
            self.rescind_updates();
        }
        // stos is kept across startup and into recover-wait, so a restarted
        // server's MCLT wait counts from before the restart.
        if new != S::RecoverWait && new != S::Startup && old != S::Startup {
            self.stos = now.wall;
        }
        if new == S::Recover && old == S::Shutdown && self.partner == S::PartnerDown && self.pending_updates() == 0 {
            self.stos = now.wall - Time::from(self.mclt);
        }
        self.me = new;
        if new == S::Startup && old != S::Startup {
            self.saved = old;
        }
        self.events.push_back(Event::Persist(self.state_record()));
        let name = self.cfg.name.clone();
        self.log(Level::Info, event::i_move(&name, old, new));
        if new == S::Normal && self.partner == S::Normal {
            self.log(Level::Info, event::both_normal(&name));
        }
        self.events.push_back(Event::StateChanged { from: old, to: new });
        if new != S::Startup && old == S::Startup {
            self.timers.stop(Timer::Startup);
        }
        self.timers.stop(Timer::AutoPartnerDown);
        if self.link_to_peer.is_some() {
            self.send_state(now);
        }
        match new {
            S::CommunicationsInterrupted if self.cfg.auto_partner_down > 0 => {
                self.timers.set(
                    Timer::AutoPartnerDown,
                    after(now, Time::from(self.cfg.auto_partner_down)),
                );
            }
            S::Normal => {
                self.timers.stop(Timer::PoolRebalance);
                self.sched_balance = None;
                self.dobalance(now, false, table);
                self.generate_update_queue(false, table);
                if !self.update_queue.is_empty() {
                    self.send_updates(table);
                    self.log(Level::Info, format!("Sending updates to {name}."));
                }
            }
            S::PotentialConflict if self.cfg.role == Role::Primary || self.partner == S::ConflictDone => {
                self.send_update_request(now);
            }
            S::Startup => self.timers.set(Timer::Startup, after(now, STARTUP_SECS)),
            S::RecoverWait => {
                let done = self.stos + Time::from(self.mclt);
                if done > now.wall {
                    self.timers.set(Timer::RecoverDone, at_wall(now, done));
                } else {
                    self.transition(now, S::RecoverDone, table);
                }
            }
            S::Recover if self.link_to_peer.is_some() => self.send_update_request_all(now),
            S::PartnerDown => {
                let rel = self.relationship();
                for p in 0..table.pools().len() {
                    for ip in table.pool_leases(crate::failover::table::PoolId(p)) {
                        let Some(lease) = table.get(ip) else { continue };
                        let mut lease = lease.clone();
                        if binding::enter_partner_down(&mut lease, &rel) {
                            table.put(lease);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The link is gone (or startup timed out): ISC's "disconnect".
    pub(super) fn disconnect_transition(&mut self, now: Now, table: &mut dyn LeaseTable) {
        if self.link_to_peer.take().is_some() {
            let line = format!("peer {}: disconnected", self.cfg.name);
            self.log(Level::Info, line);
        }
        self.timers.stop(Timer::Contact);
        self.timers.stop(Timer::Receive);
        self.timers.stop(Timer::Startup);
        self.timers.stop(Timer::AckFlush);
        // Acks owed on the old connection cannot be sent any more; the peer
        // sends those updates again. Our own unacknowledged updates go back
        // on the queue (ISC does this only when leaving some states).
        self.to_ack.clear();
        self.send_update_done = None;
        self.rescind_updates();
        match after_disconnect(self.effective_state()) {
            Disconnect::Move(s) => self.transition(now, s, table),
            Disconnect::Stay | Disconnect::StayRescind => {
                if self.me == S::Startup {
                    let saved = self.saved;
                    self.transition(now, saved, table);
                }
            }
        }
    }

    /// Un-acknowledged BNDUPDs go back to the head of the update queue, in
    /// order (ISC `dhcp_failover_rescind_updates`).
    pub(super) fn rescind_updates(&mut self) {
        for f in std::mem::take(&mut self.in_flight).into_iter().rev() {
            if self.queued.insert(f.ip) {
                self.update_queue.push_front(f.ip);
            }
        }
    }

    /// Sends STATE: my state (the saved one while in startup), the STARTUP
    /// flag, my stos.
    pub(super) fn send_state(&mut self, now: Now) {
        let Some(id) = self.link_to_peer else { return };
        let xid = self.link_mut(id).map_or(0, |l| l.next_xid());
        let startup = self.me == S::Startup;
        let msg = Message::state(
            wire_time(now.wall),
            xid,
            to_wire(self.effective_state()),
            startup,
            wire_time(self.stos),
        );
        self.send(now, id, &msg);
    }

    /// Sends UPDREQ (or UPDREQALL again if one is still unanswered).
    pub(super) fn send_update_request(&mut self, now: Now) {
        if self.cur_upd == Some(MessageType::UpdReqAll) {
            return self.send_update_request_all(now);
        }
        let Some(id) = self.link_to_peer else { return };
        let xid = self.link_mut(id).map_or(0, |l| l.next_xid());
        self.send(
            now,
            id,
            &Message::header_only(MessageType::UpdReq, wire_time(now.wall), xid),
        );
        self.cur_upd = Some(MessageType::UpdReq);
        let line = format!("Sent update request message to {}", self.cfg.name);
        self.log(Level::Info, line);
    }

    /// Sends UPDREQALL.
    pub(super) fn send_update_request_all(&mut self, now: Now) {
        let Some(id) = self.link_to_peer else { return };
        let xid = self.link_mut(id).map_or(0, |l| l.next_xid());
        self.send(
            now,
            id,
            &Message::header_only(MessageType::UpdReqAll, wire_time(now.wall), xid),
        );
        self.cur_upd = Some(MessageType::UpdReqAll);
        let line = format!("Sent update request all message to {}", self.cfg.name);
        self.log(Level::Info, line);
    }

    /// A STATE message from the peer.
    pub(super) fn on_state(&mut self, now: Now, msg: &Message<'_>, table: &mut dyn LeaseTable) {
        let name = self.cfg.name.clone();
        let code = msg.options.server_state.map_or(0, u8::from);
        let peer_startup = msg.options.server_flags.unwrap_or(0) & SERVER_FLAG_STARTUP != 0;
        let Some(new) = msg.options.server_state.map_or(Some(S::Unknown), from_wire) else {
            self.log(Level::Error, format!("failover peer {name}: Invalid state: {code}"));
            self.transition(now, S::Shutdown, table);
            return;
        };
        let previous = self.partner;
        if new == previous {
            match repeat_is_processed(self.me) {
                None => {
                    let target = if self.saved == S::ResolutionInterrupted {
                        S::PotentialConflict
                    } else {
                        self.saved
                    };
                    self.transition(now, target, table);
                    return;
                }
                Some(false) => return,
                Some(true) => {}
            }
        }
        self.partner = new;
        self.partner_stos = now.wall;
        self.log(Level::Info, event::peer_moves(&name, previous, new));
        if self.me == S::Normal && new == S::Normal {
            self.log(Level::Info, event::both_normal(&name));
        }
        self.events.push_back(Event::Persist(self.state_record()));
        self.events.push_back(Event::PeerStateChanged {
            from: previous,
            to: new,
        });

        let reaction = react_to_peer(PeerChange {
            me: self.effective_state(),
            in_startup: self.me == S::Startup,
            previous,
            new,
            peer_startup,
            role: self.cfg.role,
        });
        match reaction {
            Reaction::Nothing => {}
            Reaction::Move(s) => self.transition(now, s, table),
            Reaction::PoolCheck => self.pool_check(now, table),
            Reaction::RequestFullUpdate => {
                self.log(
                    Level::Info,
                    format!("failover peer {name}: requesting full update from peer"),
                );
                if self.me == S::Recover {
                    self.send_update_request_all(now);
                }
            }
            Reaction::SendUpdateRequestAll => {
                if self.me == S::Recover {
                    self.send_update_request_all(now);
                }
            }
            Reaction::UpdateRequestAfterConflictDone => {
                if previous == S::PotentialConflict {
                    self.send_update_request(now);
                } else {
                    self.log(Level::Error, format!("Peer {name}: Unexpected move to conflict-done."));
                }
            }
            Reaction::SendUpdatesThenNormal => {
                self.send_updates(table);
                self.transition(now, S::Normal, table);
            }
            Reaction::ErrorThenShutdown(rest) => {
                self.log(Level::Error, format!("Peer {name}{rest}"));
                self.transition(now, S::Shutdown, table);
            }
            Reaction::BothRecoverDone => {
                self.log(Level::Error, "Both servers have entered recover-done!".into());
                self.transition(now, S::Normal, table);
            }
            Reaction::Fatal(text) => {
                let line = format!("Peer {name}: {text}");
                self.log(Level::Error, line.clone());
                self.events.push_back(Event::Fatal(line));
            }
        }
        if self.me == S::Startup && self.saved != S::Startup {
            let saved = self.saved;
            self.transition(now, saved, table);
        }
    }

    /// UPDDONE: the peer has sent everything we asked for.
    pub(super) fn on_update_done(&mut self, now: Now, table: &mut dyn LeaseTable) {
        let name = self.cfg.name.clone();
        self.log(Level::Info, format!("failover peer {name}: peer update completed."));
        self.cur_upd = None;
        match self.me {
            S::PotentialConflict => {
                if self.partner == S::ConflictDone {
                    if self.cfg.role == Role::Secondary {
                        self.transition(now, S::Normal, table);
                    } else {
                        self.log(
                            Level::Error,
                            "Secondary is in conflict_done state after conflict resolution, this is illegal.".into(),
                        );
                        self.transition(now, S::Shutdown, table);
                    }
                } else if self.cfg.role == Role::Primary {
                    self.transition(now, S::ConflictDone, table);
                } else {
                    self.log(Level::Error, "Spurious update-done message.".into());
                }
            }
            S::ConflictDone => self.log(Level::Error, "Spurious update-done message.".into()),
            S::Recover => {
                let done = self.stos + Time::from(self.mclt);
                if done > now.wall && self.partner != S::Recover && self.partner != S::RecoverDone {
                    self.transition(now, S::RecoverWait, table);
                    self.timers.set(Timer::RecoverDone, at_wall(now, done));
                } else {
                    self.transition(now, S::RecoverDone, table);
                }
            }
            _ => {}
        }
    }

    /// Whether a lease state sits on ISC's expired queue (always re-sent on
    /// an update request).
    pub(super) fn on_expired_queue(state: BindingState) -> bool {
        matches!(
            state,
            BindingState::Expired | BindingState::Released | BindingState::Reset
        )
    }
}
