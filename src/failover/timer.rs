//! The failover peer's timers: one deadline per kind, in a table indexed by
//! [`Timer`], so the event loop arms a single wake-up (the quinn-proto
//! `TimerTable` shape).
//!
//! Deadlines are monotonic instants, so a step of the wall clock neither
//! fires nor delays them; ISC's one absolute failover deadline (stos +
//! MCLT, a wall time) is converted when it is armed.
//!
//! ISC schedules each of these with `add_timeout(function, state)`, and a
//! second `add_timeout` for the same pair moves the deadline; setting an
//! entry here behaves the same. The per-connection "link startup" timer is
//! kept on each link (see `link.rs`), since several links may be starting
//! at once.

use std::time::{Duration, Instant};

use crate::lease::Time;
use crate::time::Now;

/// A timer of one failover relationship.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Startup ends 15 s after entering it if the peer was not heard
    /// (`dhcp_failover_startup_timeout`), through the "disconnect" transition.
    Startup = 0,
    /// Dial the peer again: 5 s after a link is lost or a dial fails
    /// (`dhcp_failover_reconnect`), skipped if a link came up meanwhile.
    Reconnect = 1,
    /// Send CONTACT: re-armed after every message sent, at the peer's
    /// receive-timer / 3 (`dhcp_failover_send_contact`).
    Contact = 2,
    /// Give up on a silent peer: re-armed after every message received, at
    /// our `max-response-delay` (`dhcp_failover_timeout`).
    Receive = 3,
    /// Flush queued BNDACKs 2 s after the last one was queued
    /// (`dhcp_failover_toack_queue_timeout`).
    AckFlush = 4,
    /// Leave recover-wait at stos + MCLT (`dhcp_failover_recover_done`).
    RecoverDone = 5,
    /// Move from communications-interrupted to partner-down after
    /// `auto-partner-down` seconds (`dhcp_failover_auto_partner_down`).
    AutoPartnerDown = 6,
    /// Rebalance the pools (`dhcp_failover_pool_rebalance`).
    PoolRebalance = 7,
}

impl Timer {
    /// Every timer, in the order expired ones are handled.
    pub const VALUES: [Timer; 8] = [
        Timer::Startup,
        Timer::Reconnect,
        Timer::Contact,
        Timer::Receive,
        Timer::AckFlush,
        Timer::RecoverDone,
        Timer::AutoPartnerDown,
        Timer::PoolRebalance,
    ];
}

/// The seconds ISC waits for a new connection to carry CONNECT (secondary)
/// or CONNECTACK (primary) before closing it.
pub const LINK_STARTUP_SECS: Time = 15;
/// The seconds a server stays in startup without hearing from the peer.
pub const STARTUP_SECS: Time = 15;
/// Redial delay after a lost link or a dial that failed quickly.
pub const RECONNECT_SECS: Time = 5;
/// Redial delay after a dial that failed for a local reason (ISC's 90 s).
pub const RECONNECT_SLOW_SECS: Time = 90;
/// Delay before queued BNDACKs are flushed.
pub const ACK_FLUSH_SECS: Time = 2;

/// The instant `secs` seconds after `now` (none before `now`).
pub fn after(now: Now, secs: Time) -> Instant {
    now.mono + Duration::from_secs(secs.max(0) as u64)
}

/// The instant the wall-clock time `wall` will be reached, seen from `now`.
pub fn at_wall(now: Now, wall: Time) -> Instant {
    after(now, wall - now.wall)
}

/// One optional deadline per [`Timer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerTable {
    data: [Option<Instant>; 8],
}

impl TimerTable {
    /// Arms (or moves) `timer` to `at`.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }

    /// The deadline of `timer`, if armed.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.data[timer as usize]
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: Timer) {
        self.data[timer as usize] = None;
    }

    /// Whether `timer` is armed and due at `now`; disarms it if so.
    pub fn expire(&mut self, timer: Timer, now: Instant) -> bool {
        match self.data[timer as usize] {
            Some(at) if at <= now => {
                self.data[timer as usize] = None;
                true
            }
            _ => false,
        }
    }

    /// The earliest armed deadline.
    pub fn next(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_keeps_one_deadline_per_timer() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Contact, at(10));
        t.set(Timer::Receive, at(20));
        t.set(Timer::Contact, at(30));
        assert_eq!(t.next(), Some(at(20)));
        assert!(!t.expire(Timer::Receive, at(19)));
        assert!(t.expire(Timer::Receive, at(20)));
        assert!(!t.expire(Timer::Receive, at(20)));
        assert_eq!(t.next(), Some(at(30)));
        t.stop(Timer::Contact);
        assert_eq!(t.next(), None);
        assert_eq!(Timer::VALUES.len(), t.data.len());
        for (i, v) in Timer::VALUES.iter().enumerate() {
            assert_eq!(*v as usize, i);
        }
    }

    #[test]
    fn wall_deadlines_become_instants() {
        let now = Now {
            mono: Instant::now(),
            wall: 1000,
            wall_micros: 0,
        };
        assert_eq!(after(now, 5), now.mono + Duration::from_secs(5));
        assert_eq!(after(now, -5), now.mono);
        assert_eq!(at_wall(now, 1060), now.mono + Duration::from_secs(60));
    }
}
