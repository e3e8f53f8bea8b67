//! A deterministic simulation of a failover pair (the quinn `Pair` idea):
//! two [`Peer`]s with their lease tables, a virtual clock in seconds, and a
//! network of TCP-like connections that can be reset, partitioned and
//! healed, plus server crashes and restarts. Tests drive it step by step;
//! nothing sleeps and nothing touches the real network.
//!
//! Connections behave like TCP: bytes on a live connection arrive in order
//! and are never lost; a reset loses what is in flight and tells both ends;
//! a partition stalls delivery (both ends eventually time out on their own
//! receive timers) and makes new dials time out; a crash resets every
//! connection of the crashed server. The lease table of a crashed server
//! survives (it was durable), and so does its last persisted state record.
//!
//! `dhcp.rs` adds clients and a minimal DHCP engine built only from the
//! library's lease rules, and the safety checks; the test files use both.

#![allow(dead_code)]

mod dhcp;
mod random;
mod scenarios;
mod wire_checks;

use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::failover::config::PeerConfig;
use crate::failover::event::{Event, Level};
use crate::failover::link::LinkId;
use crate::failover::peer::{ConnectFailure, Peer};
use crate::failover::state::{FailoverState, Role};
use crate::failover::table::{MemLeaseTable, PoolInfo};
use crate::lease::records::FailoverStateRecord;
use crate::lease::Time;
use crate::time::Now;
use crate::wire::failover::{Message, MessageType, Packet};

/// The virtual time tests start at (close to the seen captures' clock).
pub const T0: Time = 0x6b03_ce00;

/// One server of the pair.
pub struct Server {
    /// The failover engine, `None` while the server is down.
    pub peer: Option<Peer>,
    /// Its leases (durable: kept across crashes).
    pub table: MemLeaseTable,
    /// The last state record it persisted.
    pub persisted: Option<FailoverStateRecord>,
    /// Its configuration.
    pub cfg: PeerConfig,
    /// Every log line, with the time.
    pub log: Vec<(Time, Level, String)>,
    /// Every own state change.
    pub moves: Vec<(Time, FailoverState, FailoverState)>,
    restarts: u64,
}

impl Server {
    fn new(cfg: PeerConfig, table: MemLeaseTable) -> Server {
        Server {
            peer: None,
            table,
            persisted: None,
            cfg,
            log: Vec::new(),
            moves: Vec::new(),
            restarts: 0,
        }
    }

    /// The peer (panics if the server is down: a test bug).
    pub fn peer(&self) -> &Peer {
        self.peer.as_ref().expect("server is down")
    }

    /// The current state, if up.
    pub fn state(&self) -> Option<FailoverState> {
        self.peer.as_ref().map(|p| p.state().state)
    }

    /// Whether a log line equal to `line` was written.
    pub fn logged(&self, line: &str) -> bool {
        self.log.iter().any(|(_, _, l)| l == line)
    }

    /// Index of the first log line equal to `line` at or after `from`.
    pub fn log_pos(&self, line: &str, from: usize) -> Option<usize> {
        self.log
            .iter()
            .skip(from)
            .position(|(_, _, l)| l == line)
            .map(|p| p + from)
    }
}

/// A connection between the two servers; side `i` knows it as `ends[i]`.
struct Conn {
    ends: [LinkId; 2],
    /// Bytes travelling towards server `i`.
    to: [VecDeque<Vec<u8>>; 2],
    /// Whether server `i` still has it open.
    open: [bool; 2],
    /// Server `i` asked to close it once its output is written.
    closing: [bool; 2],
}

/// A message seen on the wire, for byte-level checks.
#[derive(Clone, Debug)]
pub struct Sent {
    /// When.
    pub time: Time,
    /// The sending server.
    pub from: usize,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Sent {
    /// The message type.
    pub fn kind(&self) -> MessageType {
        Packet::new_unchecked(&self.bytes[..]).msg_type()
    }

    /// The parsed message.
    pub fn message(&self) -> Message<'_> {
        Message::parse(&Packet::new_unchecked(&self.bytes[..])).expect("we sent a bad message")
    }
}

/// Two servers, the network between them and the clock.
pub struct Pair {
    /// Virtual wall-clock time (both servers' clocks), whole seconds.
    pub time: Time,
    /// The monotonic instant that stands for [`T0`].
    base: Instant,
    /// How far each server's wall clock is from [`Pair::time`] (a skewed or
    /// stepped clock; monotonic time is shared).
    pub clock_offset: [Time; 2],
    /// Server 0 is the primary, server 1 the secondary.
    pub servers: [Server; 2],
    conns: Vec<Conn>,
    next_link: u64,
    /// While set, nothing crosses the network and dials time out.
    pub partitioned: bool,
    /// Dials waiting for a result: (server, when the result is known).
    dials: Vec<(usize, Time)>,
    /// Every message sent, in order.
    pub trace: Vec<Sent>,
    seed: u64,
}

/// How long a dial into a partition takes to time out.
pub const DIAL_TIMEOUT: Time = 3;

/// The relationship used by the tests: the settings of the reference's
/// captures (`fo-test`, MCLT 60, split 128, max-unacked 10, max-response-delay 30).
pub fn test_config(role: Role) -> PeerConfig {
    let mut c = PeerConfig::new("fo-test", role, 60, T0);
    c.max_unacked_updates = 10;
    c.max_response_delay = 30;
    c
}

/// A pool of `n` addresses from 10.50.0.100, in shared network 10.50.0.0/24.
pub fn test_table(n: u8) -> MemLeaseTable {
    let mut t = MemLeaseTable::new();
    t.add_pool(
        PoolInfo {
            log_id: 0x55a1_2dd8_4ee0,
            network: "10.50.0.0/24".into(),
        },
        (0..n).map(|i| Ipv4Addr::new(10, 50, 0, 100 + i)),
    );
    t
}

impl Pair {
    /// A fresh pair (both in recover, empty lease files) with `n` leases,
    /// not started.
    pub fn new(n: u8, seed: u64) -> Pair {
        Pair::with_configs(test_config(Role::Primary), test_config(Role::Secondary), n, seed)
    }

    /// A pair with the given configurations.
    pub fn with_configs(primary: PeerConfig, secondary: PeerConfig, n: u8, seed: u64) -> Pair {
        Pair {
            time: T0,
            base: Instant::now(),
            clock_offset: [0, 0],
            servers: [
                Server::new(primary, test_table(n)),
                Server::new(secondary, test_table(n)),
            ],
            conns: Vec::new(),
            next_link: 1,
            partitioned: false,
            dials: Vec::new(),
            trace: Vec::new(),
            seed,
        }
    }

    /// The current time as the peers receive it.
    pub fn now(&self) -> Now {
        let secs = u64::try_from(self.time - T0).expect("time before T0");
        Now {
            mono: self.base + Duration::from_secs(secs),
            wall: self.time,
            wall_micros: 0,
        }
    }

    /// The time as server `i` sees it.
    pub fn now_for(&self, i: usize) -> Now {
        let mut now = self.now();
        now.wall += self.clock_offset[i];
        now
    }

    /// A peer deadline as virtual wall time (deadlines are whole seconds).
    fn wall_of(&self, at: Instant) -> Time {
        let d = at.saturating_duration_since(self.base);
        T0 + d.as_secs() as Time + Time::from(d.subsec_nanos() > 0)
    }

    /// Starts (or restarts) server `i` from its durable table and record.
    pub fn start(&mut self, i: usize) {
        let now = self.now_for(i);
        let s = &mut self.servers[i];
        s.restarts += 1;
        let seed = self.seed ^ (i as u64 + 1) ^ (s.restarts << 8);
        let mut peer = Peer::new(s.cfg.clone(), s.persisted.as_ref(), now, seed);
        peer.start(now, &mut s.table);
        s.peer = Some(peer);
        self.flush(i);
    }

    /// Kills server `i` at once (SIGKILL: no failover message).
    pub fn crash(&mut self, i: usize) {
        self.servers[i].peer = None;
        self.dials.retain(|(s, _)| *s != i);
        let other = 1 - i;
        let mut gone = Vec::new();
        for c in self.conns.drain(..) {
            if c.open[other] {
                gone.push(c.ends[other]);
            }
        }
        for id in gone {
            self.with_peer(other, |p, t, now| p.handle_disconnected(now, id, t));
        }
    }

    /// Resets every connection (both ends told, data in flight lost).
    pub fn reset_links(&mut self) {
        let conns: Vec<Conn> = self.conns.drain(..).collect();
        for c in conns {
            for i in 0..2 {
                if c.open[i] {
                    let id = c.ends[i];
                    self.with_peer(i, |p, t, now| p.handle_disconnected(now, id, t));
                }
            }
        }
    }

    /// Runs `f` on server `i`'s peer and table, then flushes its outputs.
    pub fn with_peer(&mut self, i: usize, f: impl FnOnce(&mut Peer, &mut MemLeaseTable, Now)) {
        let now = self.now_for(i);
        let s = &mut self.servers[i];
        if let Some(p) = s.peer.as_mut() {
            f(p, &mut s.table, now);
            self.flush(i);
        }
    }

    /// Takes every output of server `i`'s peer into the network and logs.
    fn flush(&mut self, i: usize) {
        loop {
            let now = self.time;
            let Some(peer) = self.servers[i].peer.as_mut() else {
                return;
            };
            if let Some(ev) = peer.poll_event() {
                self.on_event(i, ev);
                continue;
            }
            if let Some((link, bytes)) = peer.poll_transmit() {
                self.trace.push(Sent {
                    time: now,
                    from: i,
                    bytes: bytes.clone(),
                });
                if let Some(c) = self.conns.iter_mut().find(|c| c.ends[i] == link && c.open[i]) {
                    c.to[1 - i].push_back(bytes);
                }
                continue;
            }
            // Closes take effect after the output queued before them.
            for c in self.conns.iter_mut().filter(|c| c.closing[i]) {
                c.closing[i] = false;
                c.open[i] = false;
                c.to[i].clear();
            }
            return;
        }
    }

    fn on_event(&mut self, i: usize, ev: Event) {
        let now = self.time;
        let s = &mut self.servers[i];
        match ev {
            Event::Log(level, line) => s.log.push((now, level, line)),
            Event::Persist(r) => s.persisted = Some(r),
            Event::StateChanged { from, to } => s.moves.push((now, from, to)),
            Event::PeerStateChanged { .. } => {}
            Event::Connect => {
                let at = if self.partitioned { now + DIAL_TIMEOUT } else { now };
                self.dials.push((i, at));
            }
            Event::Close(link) => {
                if let Some(c) = self.conns.iter_mut().find(|c| c.ends[i] == link && c.open[i]) {
                    c.closing[i] = true;
                }
            }
            Event::Fatal(line) => panic!("server {i} would exit: {line}"),
        }
    }

    /// Completes due dials.
    fn run_dials(&mut self) {
        let now = self.time;
        let due: Vec<(usize, Time)> = self.dials.iter().copied().filter(|&(_, at)| at <= now).collect();
        self.dials.retain(|&(_, at)| at > now);
        for (i, _) in due {
            if self.servers[i].peer.is_none() {
                continue;
            }
            let j = 1 - i;
            if self.partitioned {
                self.with_peer(i, |p, t, now| p.handle_connect_failed(now, ConnectFailure::TimedOut, t));
            } else if self.servers[j].peer.is_none() {
                self.with_peer(i, |p, t, now| p.handle_connect_failed(now, ConnectFailure::Refused, t));
            } else {
                let a = LinkId(self.next_link);
                let b = LinkId(self.next_link + 1);
                self.next_link += 2;
                let mut ends = [a, a];
                ends[j] = b;
                self.conns.push(Conn {
                    ends,
                    to: [VecDeque::new(), VecDeque::new()],
                    open: [true, true],
                    closing: [false, false],
                });
                // The acceptor learns of it first, as a listener would.
                self.with_peer(j, |p, _, now| p.handle_connected(now, b));
                self.with_peer(i, |p, _, now| p.handle_connected(now, a));
            }
        }
    }

    /// Delivers everything deliverable; true if anything moved.
    fn deliver(&mut self) -> bool {
        if self.partitioned {
            return false;
        }
        let mut moved = false;
        let mut k = 0;
        while k < self.conns.len() {
            for i in 0..2 {
                let c = &mut self.conns[k];
                if !c.open[i] {
                    continue;
                }
                let Some(bytes) = c.to[i].pop_front() else {
                    // Closed by the other side and drained: tell this side.
                    if !c.open[1 - i] {
                        c.open[i] = false;
                        let id = c.ends[i];
                        self.with_peer(i, |p, t, now| p.handle_disconnected(now, id, t));
                        moved = true;
                    }
                    continue;
                };
                let id = c.ends[i];
                moved = true;
                self.with_peer(i, |p, t, now| p.handle_bytes(now, id, &bytes, t));
            }
            k += 1;
        }
        self.conns.retain(|c| c.open[0] || c.open[1]);
        moved
    }

    /// Whether server `i` has a deadline due now.
    fn due(&self, i: usize) -> bool {
        let Some(at) = self.servers[i].peer.as_ref().and_then(Peer::poll_timeout) else {
            return false;
        };
        self.wall_of(at) <= self.time
    }

    /// Runs everything due at the current time until nothing moves.
    pub fn settle(&mut self) {
        for _ in 0..100_000 {
            self.run_dials();
            for i in 0..2 {
                if self.due(i) {
                    self.with_peer(i, |p, t, now| p.handle_timeout(now, t));
                }
            }
            let due_dials = self.dials.iter().any(|&(_, at)| at <= self.time);
            let due_timers = (0..2).any(|i| self.due(i));
            if !self.deliver() && !due_dials && !due_timers {
                return;
            }
        }
        panic!("the pair does not settle at {}", self.time - T0);
    }

    /// The next time anything is scheduled.
    pub fn next_wakeup(&self) -> Option<Time> {
        let timers = self
            .servers
            .iter()
            .filter_map(|s| s.peer.as_ref().and_then(Peer::poll_timeout));
        let timers: Vec<Time> = timers.map(|at| self.wall_of(at)).collect();
        let dials = self.dials.iter().map(|&(_, at)| at);
        timers.into_iter().chain(dials).min()
    }

    /// Settles, then advances the clock to `until` through every wake-up.
    pub fn run_until(&mut self, until: Time) {
        self.settle();
        while let Some(t) = self.next_wakeup() {
            if t > until {
                break;
            }
            self.time = self.time.max(t);
            self.settle();
        }
        self.time = self.time.max(until);
        self.settle();
    }

    /// Runs for `secs` seconds of virtual time.
    pub fn run_for(&mut self, secs: Time) {
        let until = self.time + secs;
        self.run_until(until);
    }

    /// Runs until `cond` holds, checking after every wake-up, at most `secs`.
    pub fn run_until_cond(&mut self, secs: Time, mut cond: impl FnMut(&Pair) -> bool) -> bool {
        let until = self.time + secs;
        self.settle();
        loop {
            if cond(self) {
                return true;
            }
            match self.next_wakeup() {
                Some(t) if t <= until => {
                    self.time = self.time.max(t);
                    self.settle();
                }
                _ => {
                    self.time = until;
                    self.settle();
                    return cond(self);
                }
            }
        }
    }

    /// Both servers' states.
    pub fn states(&self) -> [Option<FailoverState>; 2] {
        [self.servers[0].state(), self.servers[1].state()]
    }

    /// Messages of `kind` sent by server `from`.
    pub fn sent(&self, from: usize, kind: MessageType) -> Vec<&Sent> {
        self.trace
            .iter()
            .filter(|s| s.from == from && s.kind() == kind)
            .collect()
    }

    /// Dumps both logs (for failing tests).
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.servers.iter().enumerate() {
            for (t, _, l) in &s.log {
                out.push_str(&format!("[{i} +{}] {l}\n", t - T0));
            }
        }
        out
    }
}
