//! Lease updates between the peers: the update queue and flow control
//! (`max-unacked-updates`), BNDUPD and BNDACK handling, UPDREQ/UPDREQALL
//! answered with UPDDONE, and pool balancing with POOLREQ/POOLRESP
//! (reference §1.13–1.16). Lease-level decisions come from `update`,
//! `binding` and `balance`; this file moves leases between queues, stores
//! them and sends the messages.

use std::net::Ipv4Addr;

use super::{wire_time, InFlight, Peer};
use crate::failover::balance::{self, Candidate};
use crate::failover::binding::peer_wants_lease;
use crate::failover::event::Level;
use crate::failover::state::FailoverState;
use crate::failover::table::{LeaseTable, PoolId};
use crate::failover::timer::{after, at_wall, Timer, ACK_FLUSH_SECS};
use crate::failover::update::{apply_ack, apply_update, BindUpdate, Reject, UpdateContext};
use crate::lease::{BindingState, Time};
use crate::time::Now;
use crate::wire::failover::{Message, MessageType, RejectReason};

impl Peer {
    /// Appends `ip` to the update queue unless it is there already.
    pub(super) fn enqueue(&mut self, ip: Ipv4Addr) {
        if self.queued.insert(ip) {
            self.update_queue.push_back(ip);
        }
    }

    /// ISC `dhcp_failover_queue_update`: a lease changed; an update in
    /// flight for it is forgotten (its ack will be ignored) and a new one
    /// queued.
    pub(super) fn queue_update(&mut self, ip: Ipv4Addr) {
        if self.queued.contains(&ip) {
            return;
        }
        self.forget_in_flight(ip);
        self.enqueue(ip);
    }

    fn forget_in_flight(&mut self, ip: Ipv4Addr) -> Option<InFlight> {
        let pos = self.in_flight.iter().position(|f| f.ip == ip)?;
        Some(self.in_flight.remove(pos))
    }

    /// Sends queued BNDUPDs while the peer's `max-unacked-updates` allows,
    /// after any BNDACKs we owe (ISC `dhcp_failover_send_updates`).
    pub(super) fn send_updates(&mut self, table: &mut dyn LeaseTable) {
        let Some(id) = self.link_to_peer else { return };
        if !self.to_ack.is_empty() {
            self.send_acks();
        }
        let now = self.now;
        while (self.in_flight.len() as u64) < u64::from(self.partner_max_unacked) {
            let Some(ip) = self.update_queue.pop_front() else { break };
            self.queued.remove(&ip);
            let Some(lease) = table.get(ip) else { continue };
            let mut lease = lease.clone();
            let xid = self.link_mut(id).map_or(1, |l| l.next_update_xid());
            let upd = BindUpdate::from_lease(&lease, self.cfg.role);
            self.send(now, id, &upd.to_message(wire_time(now.wall), xid));
            self.in_flight.push(InFlight {
                ip,
                xid,
                sent: lease.binding_state,
            });
            // The peer may act on this even if no ack comes back, so the
            // state it may have is the state we sent (ISC's rewind).
            if lease.rewind_binding_state != Some(lease.binding_state) {
                lease.rewind_binding_state = Some(lease.binding_state);
                table.put_in_place(lease);
            }
        }
    }

    /// Sends every BNDACK we owe, in order.
    pub(super) fn send_acks(&mut self) {
        let Some(id) = self.link_to_peer else {
            self.to_ack.clear();
            return;
        };
        let now = self.now;
        for (xid, ip) in std::mem::take(&mut self.to_ack) {
            self.send(now, id, &Message::bind_ack(wire_time(now.wall), xid, ip, None));
        }
        self.timers.stop(Timer::AckFlush);
    }

    /// Queues a positive BNDACK; flushes at half the peer's window or 2 s.
    fn queue_ack(&mut self, now: Now, xid: u32, ip: Ipv4Addr) {
        self.to_ack.push((xid, ip));
        if self.to_ack.len() as u64 >= u64::from(self.partner_max_unacked / 2) {
            self.send_acks();
        }
        if !self.to_ack.is_empty() {
            self.timers.set(Timer::AckFlush, after(now, ACK_FLUSH_SECS));
        }
    }

    fn send_reject(&mut self, now: Now, xid: u32, ip: Ipv4Addr, reject: &Reject) {
        let Some(id) = self.link_to_peer else { return };
        let msg = Message::bind_ack(
            wire_time(now.wall),
            xid,
            ip,
            Some((reject.reason, reject.message.as_bytes())),
        );
        self.send(now, id, &msg);
    }

    /// A BNDUPD from the peer.
    pub(super) fn on_bind_update(&mut self, now: Now, msg: &Message<'_>, table: &mut dyn LeaseTable) {
        let upd = match BindUpdate::from_message(msg) {
            Ok(u) => u,
            Err(r) => {
                let ip = msg.options.assigned_addr.unwrap_or(Ipv4Addr::UNSPECIFIED);
                return self.send_reject(now, msg.xid, ip, &r);
            }
        };
        let Some(lease) = table.get(upd.ip) else {
            let r = Reject::new(RejectReason::IllegalIpAddr, "unknown IP address");
            return self.send_reject(now, msg.xid, upd.ip, &r);
        };
        let rel = self.relationship();
        let in_flight = self.in_flight.iter().find(|f| f.ip == upd.ip).map(|f| f.sent);
        let ctx = UpdateContext {
            rel: &rel,
            hba: self.hba.as_ref(),
            in_flight,
            now: now.wall,
        };
        let applied = match apply_update(lease, &upd, &ctx) {
            Ok(a) => a,
            Err(r) => {
                // Our binding is the newer one: make sure the peer gets it.
                if r.reason == RejectReason::OutdatedBindInfo && !self.in_flight.iter().any(|f| f.ip == upd.ip) {
                    self.enqueue(upd.ip);
                }
                self.send_reject(now, msg.xid, upd.ip, &r);
                return self.send_updates(table);
            }
        };
        if applied.cancelled_mine {
            self.forget_in_flight(upd.ip);
        }
        let pool = table.pool_of(upd.ip);
        table.put(applied.lease);
        self.queue_ack(now, msg.xid, upd.ip);
        if applied.send_to_backup {
            if let Some(p) = pool {
                if balance::secondary_not_hoarding(table.counts(p), self.cfg.balance.max_lease_ownership) {
                    self.give_to_peer(now, upd.ip, table);
                    self.send_updates(table);
                }
            }
        }
        self.pool_check(now, table);
    }

    /// A BNDACK from the peer.
    pub(super) fn on_bind_ack(&mut self, now: Now, msg: &Message<'_>, table: &mut dyn LeaseTable) {
        let name = self.cfg.name.clone();
        let ip = msg.options.assigned_addr.unwrap_or(Ipv4Addr::UNSPECIFIED);
        if table.get(ip).is_none() {
            self.log(
                Level::Info,
                format!("bind update on {ip} got ack from {name}: no such lease."),
            );
            return;
        }
        let mut send_to_backup = false;
        if let Some(reason) = msg.options.reject_reason {
            let text = match msg.options.message {
                Some(m) => String::from_utf8_lossy(m).into_owned(),
                None => reason.to_string(),
            };
            self.log(
                Level::Error,
                format!("bind update on {ip} from {name} rejected: {text}"),
            );
            self.forget_in_flight(ip);
        } else {
            match self.in_flight.iter().find(|f| f.ip == ip).copied() {
                None => {}
                Some(f) if f.xid != msg.xid => {
                    self.log(
                        Level::Info,
                        format!("bind update on {ip} got ack from {name}: xid mismatch."),
                    );
                    return;
                }
                Some(f) => {
                    if let Some(lease) = table.get(ip) {
                        let before = lease.binding_state;
                        let mut lease = lease.clone();
                        send_to_backup = apply_ack(&mut lease, f.sent, self.cfg.role, self.hba.as_ref());
                        // ISC supersedes (re-queues) the lease only when the
                        // ack moves it; otherwise it only writes it.
                        if lease.binding_state == before {
                            table.put_in_place(lease);
                        } else {
                            table.put(lease);
                        }
                    }
                    self.forget_in_flight(ip);
                }
            }
        }
        if self.send_update_done == Some(ip) {
            self.send_update_done = None;
            self.send_update_done_msg(now);
        }
        if send_to_backup {
            if let Some(p) = table.pool_of(ip) {
                if balance::secondary_not_hoarding(table.counts(p), self.cfg.balance.max_lease_ownership) {
                    self.give_to_peer(now, ip, table);
                }
            }
        }
        self.send_updates(table);
        self.pool_check(now, table);
    }

    fn send_update_done_msg(&mut self, now: Now) {
        let Some(id) = self.link_to_peer else { return };
        let xid = self.updxid;
        self.send(
            now,
            id,
            &Message::header_only(MessageType::UpdDone, wire_time(now.wall), xid),
        );
        let line = format!("Sent update done message to {}", self.cfg.name);
        self.log(Level::Info, line);
        self.updxid = self.updxid.wrapping_sub(1);
    }

    /// Queues the leases an update request asks for (ISC
    /// `dhcp_failover_generate_update_queue`): everything, or those the peer
    /// has not acknowledged plus the expired queue.
    pub(super) fn generate_update_queue(&mut self, everything: bool, table: &mut dyn LeaseTable) {
        for ip in table.all_in_update_order() {
            if self.queued.contains(&ip) || self.in_flight.iter().any(|f| f.ip == ip) {
                continue;
            }
            let Some(l) = table.get(ip) else { continue };
            if everything || l.tstp > l.atsfp || Self::on_expired_queue(l.binding_state) {
                self.enqueue(ip);
            }
        }
    }

    /// UPDREQ or UPDREQALL from the peer.
    pub(super) fn on_update_request(&mut self, now: Now, msg: &Message<'_>, all: bool, table: &mut dyn LeaseTable) {
        let name = self.cfg.name.clone();
        if self.send_update_done.take().is_some() {
            self.log(
                Level::Info,
                "Received update request while old update still flying!  Silently discarding old request.".into(),
            );
        }
        self.generate_update_queue(all, table);
        self.updxid = msg.xid;
        let what = if all { "Update request all" } else { "Update request" };
        match self.update_queue.back().copied() {
            Some(tail) => {
                self.send_update_done = Some(tail);
                self.send_updates(table);
                self.log(Level::Info, format!("{what} from {name}: sending update"));
            }
            None => {
                self.send_update_done_msg(now);
                self.log(Level::Info, format!("{what} from {name}: nothing pending"));
            }
        }
    }

    /// POOLREQ: balance now, answer with the number of leases given.
    pub(super) fn on_pool_request(&mut self, now: Now, msg: &Message<'_>, table: &mut dyn LeaseTable) {
        self.timers.stop(Timer::PoolRebalance);
        self.sched_balance = None;
        let queued = self.dobalance(now, false, table);
        if let Some(id) = self.link_to_peer {
            self.send(
                now,
                id,
                &Message::pool_resp(wire_time(now.wall), msg.xid, queued as u32),
            );
        }
        if queued > 0 {
            self.send_updates(table);
        } else {
            let line = format!(
                "peer {}: Got POOLREQ, answering negatively!  Peer may be out of leases or database inconsistent.",
                self.cfg.name
            );
            self.log(Level::Info, line);
        }
    }

    /// The scheduled rebalance: may ask the peer with POOLREQ.
    pub(super) fn pool_rebalance(&mut self, now: Now, table: &mut dyn LeaseTable) {
        self.sched_balance = None;
        if self.dobalance(now, true, table) > 0 {
            self.send_updates(table);
        }
    }

    /// One balancing run over every pool (ISC `dhcp_failover_pool_dobalance`);
    /// returns the number of leases given. With `may_request` a pool short
    /// of leases makes us send POOLREQ afterwards.
    pub(super) fn dobalance(&mut self, now: Now, may_request: bool, table: &mut dyn LeaseTable) -> usize {
        if self.me != FailoverState::Normal {
            return 0;
        }
        self.last_balance = now.wall;
        let role = self.cfg.role;
        let mine = crate::failover::binding::my_free_state(role);
        let mut queued = 0;
        let mut send_request = false;
        for p in 0..table.pools().len() {
            let pool = PoolId(p);
            let info = table.pools()[p].clone();
            let counts = table.counts(pool);
            let plan = balance::plan(role, counts, &self.cfg.balance);
            let requesting = may_request && plan.lts < plan.panic;
            send_request |= requesting;
            let line = balance::balancing_line(info.log_id, &info.network, counts, &plan, requesting);
            self.log(Level::Info, line);
            let candidates: Vec<Candidate> = table
                .queue(pool, mine)
                .into_iter()
                .filter_map(|ip| table.get(ip))
                .map(|l| Candidate {
                    ip: l.ip,
                    used: l.ends != 0,
                    peer_wants: peer_wants_lease(l, self.hba.as_ref(), role),
                })
                .collect();
            let (gifts, lts) = balance::choose_gifts(&candidates, &plan);
            for ip in &gifts {
                self.give_to_peer(now, *ip, table);
            }
            queued += gifts.len();
            let (imbalanced, line) =
                balance::balanced_line(info.log_id, &info.network, table.counts(pool), lts, plan.thresh);
            self.log(if imbalanced { Level::Error } else { Level::Info }, line);
            self.pool_check_one(now, pool, table);
        }
        if send_request {
            if let Some(id) = self.link_to_peer {
                let xid = self.link_mut(id).map_or(0, |l| l.next_xid());
                self.send(
                    now,
                    id,
                    &Message::header_only(MessageType::PoolReq, wire_time(now.wall), xid),
                );
            }
        }
        queued
    }

    /// Moves a lease of my free state to the peer's (a balancing gift or
    /// MAC affinity) and queues the BNDUPD.
    fn give_to_peer(&mut self, now: Now, ip: Ipv4Addr, table: &mut dyn LeaseTable) {
        let Some(lease) = table.get(ip) else { return };
        let mut lease = lease.clone();
        let to = crate::failover::binding::my_free_state(crate::failover::binding::other(self.cfg.role));
        lease.binding_state = to;
        lease.next_binding_state = to;
        lease.tstp = now.wall;
        lease.starts = now.wall;
        lease.atsfp = 0;
        lease.client_hostname = None;
        table.put(lease);
        self.queue_update(ip);
    }

    /// Reschedules the rebalance of every pool (`dhcp_failover_state_pool_check`).
    pub(super) fn pool_check(&mut self, now: Now, table: &mut dyn LeaseTable) {
        for p in 0..table.pools().len() {
            self.pool_check_one(now, PoolId(p), table);
        }
    }

    /// ISC `dhcp_failover_pool_check`: only ever moves the rebalance earlier.
    fn pool_check_one(&mut self, now: Now, pool: PoolId, table: &mut dyn LeaseTable) {
        if self.me != FailoverState::Normal {
            return;
        }
        let jitter = (self.random() % 5) as Time;
        let at = balance::next_balance(
            table.oldest(pool, BindingState::Free),
            table.oldest(pool, BindingState::Backup),
            self.cfg.role,
            &self.cfg.balance,
            now.wall,
            self.last_balance,
            jitter,
        );
        if self.sched_balance.is_some_and(|s| at >= s) {
            return;
        }
        self.sched_balance = Some(at);
        self.timers.set(Timer::PoolRebalance, at_wall(now, at));
    }
}
