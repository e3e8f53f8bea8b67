//! The failover peers on the wire: TCP listeners, dials, connections and
//! write buffers around the sans-IO [`Peer`]s (reference §1.1).
//!
//! [`FailoverLinks`] is glue and keeps no protocol state. Per relationship
//! it listens on the configured `address` and `port`, dials `peer address`
//! on `peer port` from `address` whenever the peer asks ([`Event::Connect`]),
//! matches inbound connections to a relationship by source address only
//! (`failover: listener: no matching state` otherwise, as ISC), feeds bytes,
//! connects, disconnects and deadlines to the peer, and carries out what the
//! peer hands back.
//!
//! The peers live in the DHCP engine (they are its [`FailoverHooks`]) and
//! read and change leases through the engine's database; [`PeerHost`] is
//! that pairing, so this module never owns a lease.
//!
//! **Durability before transmit.** Everything the peers send is held until
//! the caller says the lease file is durable. After each loop turn the
//! caller takes [`FailoverLinks::take_durable_work`] (state records and
//! leases the peers changed), appends it to the lease file together with
//! the DHCP engine's own changes of the turn, fsyncs once, then calls
//! [`FailoverLinks::release_after_fsync`], which writes the held messages.
//! A BNDACK therefore never leaves before the lease it acknowledges is on
//! disk, and a BNDUPD never leaves before the lease it describes. When work
//! is waiting, [`FailoverLinks::poll_timeout`] asks for an immediate turn.
//!
//! Socket errors are not logged: ISC says nothing about a refused dial or
//! a reset connection either; what operators see is the peer's own lines
//! (`peer NAME: disconnected`, the state changes that follow).
//!
//! [`FailoverHooks`]: crate::engine::FailoverHooks

mod conn;
mod endpoint;
mod host;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use mio::Interest;

use crate::conf::model::Config;
use crate::failover::{ConnectFailure, Event, FailoverState, LeaseTable, LinkId, Peer, PeerConfig};
use crate::io::syslog::{Level, LogSink};
use crate::io::{Ready, Registrar, SourceId, Sources};
use crate::lease::records::{FailoverStateRecord, Record};
use crate::lease::Lease;
use crate::time::Now;

use conn::{Conn, Phase};
pub use endpoint::Endpoint;
pub use host::PeerHost;

/// How long a dial may take before it counts as timed out (the peer wants
/// dials short, so a partition shows up as a timeout and not a hang).
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// Retry interval for a listener that could not be opened (ISC
/// `dhcp_failover_listener_restart`).
pub const LISTEN_RETRY: Duration = Duration::from_secs(90);
/// How long a connection the peer closed may take to write its last bytes.
pub const LINGER: Duration = Duration::from_secs(5);

/// The peers for `config`'s relationships, restored from the lease file's
/// state records (matched by name), in `FailoverConfig::peers` order: the
/// engine's failover hooks.
pub fn make_peers(config: &Config, restored: &[FailoverStateRecord], now: Now) -> Vec<Peer> {
    config
        .failover
        .peers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let record = restored.iter().find(|r| r.peer == p.name);
            let seed = (now.wall as u64) << 20 ^ u64::from(now.wall_micros) ^ (u64::from(std::process::id()) << 40) ^ i as u64;
            Peer::new(PeerConfig::from_conf(p, now.wall), record, now, seed)
        })
        .collect()
}

/// Output of a peer waiting for the lease file to be durable.
#[derive(Debug)]
enum Held {
    /// Bytes for a connection.
    Bytes(LinkId, Vec<u8>),
    /// Close the connection after the bytes before this.
    Close(LinkId),
}

/// A listening socket, shared by the relationships with its address.
#[derive(Debug)]
struct Listener {
    addr: SocketAddrV4,
    open: Option<(mio::net::TcpListener, SourceId)>,
    retry_at: Option<Instant>,
}

/// Everything a peer handed back from one input.
struct Drained {
    events: Vec<Event>,
    transmits: Vec<(LinkId, Vec<u8>)>,
}

fn drain(p: &mut Peer) -> Drained {
    let mut events = Vec::new();
    while let Some(e) = p.poll_event() {
        events.push(e);
    }
    let mut transmits = Vec::new();
    while let Some(t) = p.poll_transmit() {
        transmits.push(t);
    }
    Drained { events, transmits }
}

/// The failover relationships' sockets.
#[derive(Debug)]
pub struct FailoverLinks {
    endpoints: Vec<Endpoint>,
    listeners: Vec<Listener>,
    conns: Vec<Conn>,
    /// Per relationship: the dial in progress.
    dialing: Vec<Option<LinkId>>,
    /// Per relationship: dials made (picks the next `peer address`).
    dials: Vec<usize>,
    registrar: Option<Registrar>,
    next_link: u64,
    durable: Vec<Record>,
    held: Vec<Held>,
    fatal: Option<String>,
    /// The latest time given to an input (an immediate deadline).
    last: Option<Instant>,
    buf: Vec<u8>,
}

impl FailoverLinks {
    /// The links of `config`'s relationships; nothing is opened yet.
    pub fn new(config: &Config) -> FailoverLinks {
        let endpoints: Vec<Endpoint> = config.failover.peers.iter().map(Endpoint::from_conf).collect();
        let mut listeners: Vec<Listener> = Vec::new();
        for e in &endpoints {
            if let Some(addr) = e.listen_addr() {
                if !listeners.iter().any(|l| l.addr == addr) {
                    listeners.push(Listener { addr, open: None, retry_at: None });
                }
            }
        }
        let n = endpoints.len();
        FailoverLinks {
            endpoints,
            listeners,
            conns: Vec::new(),
            dialing: vec![None; n],
            dials: vec![0; n],
            registrar: None,
            next_link: 1,
            durable: Vec::new(),
            held: Vec::new(),
            fatal: None,
            last: None,
            buf: vec![0; 64 * 1024],
        }
    }

    /// The relationships' addresses and ports.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// Takes a registrar from the loop and opens the listeners (one that
    /// fails is logged and retried every 90 s).
    pub fn register(&mut self, sources: &mut Sources<'_>, now: Now, log: &dyn LogSink) -> std::io::Result<()> {
        self.registrar = Some(sources.registrar()?);
        self.last = Some(now.mono);
        for i in 0..self.listeners.len() {
            self.open_listener(i, now, log);
        }
        Ok(())
    }

    /// Starts every relationship (ISC `dhcp_failover_startup`): each goes
    /// to startup and dials its partner. Call [`register`](Self::register)
    /// first.
    pub fn start<H: PeerHost>(&mut self, now: Now, host: &mut H, log: &dyn LogSink) {
        for k in 0..self.endpoints.len() {
            for p in self.endpoints[k].problems.clone() {
                log.log(Level::Error, &p);
            }
            self.run(k, now, host, log, |p, t| p.start(now, t));
        }
    }

    /// Whether `source` is one of ours.
    pub fn owns(&self, source: SourceId) -> bool {
        self.listeners.iter().any(|l| l.open.as_ref().is_some_and(|(_, s)| *s == source))
            || self.conns.iter().any(|c| c.source == source)
    }

    /// A source of ours is ready.
    pub fn handle_ready<H: PeerHost>(&mut self, now: Now, source: SourceId, ready: Ready, host: &mut H, log: &dyn LogSink) {
        self.last = Some(now.mono);
        if let Some(i) = self.listeners.iter().position(|l| l.open.as_ref().is_some_and(|(_, s)| *s == source)) {
            return self.accept_all(i, now, host, log);
        }
        let Some(c) = self.conns.iter().position(|c| c.source == source) else { return };
        let id = self.conns[c].id;
        if let Phase::Dialing { .. } = self.conns[c].phase {
            match self.conns[c].dial_result() {
                None => return,
                Some(Ok(())) => self.dial_succeeded(id, now, host, log),
                Some(Err(e)) => return self.dial_failed(id, &e, now, host, log),
            }
        }
        if ready.writable {
            self.flush(id, now, host, log);
        }
        if ready.readable || ready.closed {
            self.read(id, now, host, log);
        }
    }

    /// The earliest deadline of the peers and the sockets; the last input's
    /// time when work is waiting for the caller (an immediate turn).
    pub fn poll_timeout<H: PeerHost>(&self, host: &H) -> Option<Instant> {
        // Held messages and durable work wait for the server's commit, which
        // schedules itself (see `awaits_commit`); only reads left for later
        // need the next turn at once.
        if self.conns.iter().any(|c| c.unread && !c.read_paused()) {
            if let Some(t) = self.last {
                return Some(t);
            }
        }
        let peers = (0..self.endpoints.len()).filter_map(|k| host.peer(k).and_then(Peer::poll_timeout));
        let dials = self.conns.iter().filter_map(|c| match c.phase {
            Phase::Dialing { deadline, .. } => Some(deadline),
            Phase::Up => None,
        });
        let lingers = self.conns.iter().filter_map(|c| c.linger_until);
        let listens = self.listeners.iter().filter_map(|l| l.retry_at);
        peers.chain(dials).chain(lingers).chain(listens).min()
    }

    /// Deadlines passed: the peers' timers, dials timing out, listeners to
    /// retry, connections still lingering; and reads left for later.
    pub fn handle_timeout<H: PeerHost>(&mut self, now: Now, host: &mut H, log: &dyn LogSink) {
        self.last = Some(now.mono);
        for k in 0..self.endpoints.len() {
            if host.peer(k).and_then(Peer::poll_timeout).is_some_and(|t| t <= now.mono) {
                self.run(k, now, host, log, |p, t| p.handle_timeout(now, t));
            }
        }
        let timed_out: Vec<LinkId> = self
            .conns
            .iter()
            .filter(|c| matches!(c.phase, Phase::Dialing { deadline, .. } if deadline <= now.mono))
            .map(|c| c.id)
            .collect();
        for id in timed_out {
            let e = std::io::Error::from(std::io::ErrorKind::TimedOut);
            self.dial_failed(id, &e, now, host, log);
        }
        let gone: Vec<LinkId> =
            self.conns.iter().filter(|c| c.linger_until.is_some_and(|t| t <= now.mono)).map(|c| c.id).collect();
        for id in gone {
            self.remove(id);
        }
        for i in 0..self.listeners.len() {
            if self.listeners[i].retry_at.is_some_and(|t| t <= now.mono) {
                log.log(Level::Info, "dhcp_failover_listener_restart");
                self.open_listener(i, now, log);
            }
        }
        let unread: Vec<LinkId> =
            self.conns.iter().filter(|c| c.unread && !c.read_paused()).map(|c| c.id).collect();
        for id in unread {
            self.read(id, now, host, log);
        }
    }

    /// The DHCP engine changed these leases (an outcome's lease changes):
    /// each relationship queues a BNDUPD for those in its pools. They go out
    /// with the next release, after the caller has written the leases.
    pub fn leases_changed<H: PeerHost>(&mut self, now: Now, host: &mut H, leases: &[Lease], log: &dyn LogSink) {
        if leases.is_empty() {
            return;
        }
        self.last = Some(now.mono);
        for k in 0..self.endpoints.len() {
            self.run(k, now, host, log, |p, t| {
                for l in leases {
                    if t.pool_of(l.ip).is_some() {
                        p.lease_changed(now, l.ip, t);
                    }
                }
            });
        }
    }

    /// Moves relationship `k` to `state` by operator command (OMAPI
    /// `local-state`, e.g. partner-down).
    pub fn set_state<H: PeerHost>(&mut self, now: Now, host: &mut H, k: usize, state: FailoverState, log: &dyn LogSink) {
        self.last = Some(now.mono);
        self.run(k, now, host, log, |p, t| p.set_state(now, state, t));
    }

    /// Messages or records wait for the lease file's next commit.
    pub fn awaits_commit(&self) -> bool {
        !self.held.is_empty() || !self.durable.is_empty()
    }

    /// Records to append to the lease file (state records, leases the
    /// peers changed), in order. Make them durable, then call
    /// [`release_after_fsync`](Self::release_after_fsync).
    pub fn take_durable_work(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.durable)
    }

    /// Everything taken with [`take_durable_work`](Self::take_durable_work)
    /// (and the DHCP engine's own changes reported with
    /// [`leases_changed`](Self::leases_changed)) is durable: write the held
    /// messages and carry out the closes. Call it every turn, also when
    /// there was nothing to write.
    pub fn release_after_fsync<H: PeerHost>(&mut self, now: Now, host: &mut H, log: &dyn LogSink) {
        self.last = Some(now.mono);
        for h in std::mem::take(&mut self.held) {
            match h {
                Held::Bytes(id, bytes) => {
                    if let Some(c) = self.conn_mut(id).filter(|c| c.phase == Phase::Up) {
                        c.queue(&bytes);
                    }
                }
                Held::Close(id) => {
                    if let Some(c) = self.conn_mut(id) {
                        c.linger_until = Some(now.mono + LINGER);
                    }
                }
            }
        }
        let ids: Vec<LinkId> = self.conns.iter().filter(|c| c.pending() > 0 || c.linger_until.is_some()).map(|c| c.id).collect();
        for id in ids {
            self.flush(id, now, host, log);
        }
    }

    /// The text ISC would have exited with (`log_fatal`), once a peer hit
    /// such a condition; the caller should stop.
    pub fn fatal(&self) -> Option<&str> {
        self.fatal.as_deref()
    }

    /// Closes every socket (at exit; ISC's SIGTERM sends nothing either).
    pub fn close_all(&mut self) {
        let ids: Vec<LinkId> = self.conns.iter().map(|c| c.id).collect();
        for id in ids {
            self.remove(id);
        }
        for l in &mut self.listeners {
            if let Some((mut s, _)) = l.open.take() {
                if let Some(r) = &self.registrar {
                    let _ = r.deregister(&mut s);
                }
            }
        }
    }

    // ---- peers ---------------------------------------------------------

    /// Gives one input to relationship `k`'s peer and takes in everything it
    /// hands back.
    fn run<H: PeerHost>(
        &mut self,
        k: usize,
        now: Now,
        host: &mut H,
        log: &dyn LogSink,
        f: impl FnOnce(&mut Peer, &mut dyn LeaseTable),
    ) {
        let Some((out, changed)) = host.with_peer(k, |p, t| {
            f(p, t);
            drain(p)
        }) else {
            return;
        };
        self.durable.extend(changed.into_iter().map(Record::Lease));
        let mut connect = false;
        let mut closes = Vec::new();
        for ev in out.events {
            match ev {
                Event::Log(level, line) => log.log(level_of(level), &line),
                Event::Persist(r) => self.durable.push(Record::FailoverState(r)),
                Event::Connect => connect = true,
                Event::Close(id) => closes.push(id),
                Event::Fatal(line) => {
                    log.log(Level::Error, &line);
                    self.fatal.get_or_insert(line);
                }
                Event::StateChanged { .. } | Event::PeerStateChanged { .. } => {}
            }
        }
        self.held.extend(out.transmits.into_iter().map(|(id, b)| Held::Bytes(id, b)));
        for id in closes {
            // The peer has forgotten it: never report its end.
            if let Some(c) = self.conn_mut(id) {
                c.closing = true;
            }
            self.held.push(Held::Close(id));
        }
        if connect {
            self.dial(k, now, host, log);
        }
    }

    // ---- sockets -------------------------------------------------------

    fn conn_mut(&mut self, id: LinkId) -> Option<&mut Conn> {
        self.conns.iter_mut().find(|c| c.id == id)
    }

    fn new_link(&mut self) -> LinkId {
        let id = LinkId(self.next_link);
        self.next_link += 1;
        id
    }

    fn open_listener(&mut self, i: usize, now: Now, log: &dyn LogSink) {
        let l = &mut self.listeners[i];
        l.retry_at = None;
        let Some(reg) = &self.registrar else { return };
        let opened = endpoint::listen(l.addr).and_then(|mut s| {
            let id = reg.register(&mut s, Interest::READABLE)?;
            Ok((s, id))
        });
        match opened {
            Ok(s) => l.open = Some(s),
            Err(e) => {
                log.log(Level::Error, &format!("failover: can't listen on {}: {e}", l.addr));
                l.retry_at = Some(now.mono + LISTEN_RETRY);
            }
        }
    }

    fn accept_all<H: PeerHost>(&mut self, i: usize, now: Now, host: &mut H, log: &dyn LogSink) {
        loop {
            let accepted = match &self.listeners[i].open {
                Some((l, _)) => l.accept(),
                None => return,
            };
            let (mut stream, from) = match accepted {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log.log(Level::Error, &format!("failover: accept: {e}"));
                    return;
                }
            };
            let IpAddr::V4(src) = from.ip() else { continue };
            let Some(k) = self.endpoints.iter().position(|e| e.peer_addrs.contains(&src)) else {
                log.log(Level::Info, "failover: listener: no matching state");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let Some(reg) = &self.registrar else { return };
            let source = match reg.register(&mut stream, Interest::READABLE | Interest::WRITABLE) {
                Ok(s) => s,
                Err(e) => {
                    log.log(Level::Error, &format!("failover: can't register a connection: {e}"));
                    continue;
                }
            };
            let id = self.new_link();
            self.conns.push(Conn::new(id, k, source, stream, Phase::Up));
            self.run(k, now, host, log, |p, _| p.handle_connected(now, id));
            // The partner may have written already.
            self.read(id, now, host, log);
        }
    }

    fn dial<H: PeerHost>(&mut self, k: usize, now: Now, host: &mut H, log: &dyn LogSink) {
        if self.dialing[k].is_some() {
            return;
        }
        let ep = &self.endpoints[k];
        let Some(target) = ep.dial_target(self.dials[k]) else { return };
        let from = ep.local;
        self.dials[k] += 1;
        let Some(reg) = &self.registrar else {
            // Started before `register`: nothing can be watched; try again
            // later as after any local failure.
            log.log(Level::Error, &format!("failover peer {}: no event loop to connect from", ep.name));
            return self.run(k, now, host, log, |p, t| p.handle_connect_failed(now, ConnectFailure::Other, t));
        };
        let started = endpoint::dial(from, target).and_then(|mut s| {
            let id = reg.register(&mut s, Interest::READABLE | Interest::WRITABLE)?;
            Ok((s, id))
        });
        match started {
            Ok((stream, source)) => {
                let id = self.new_link();
                let phase = Phase::Dialing { target, deadline: now.mono + DIAL_TIMEOUT };
                self.conns.push(Conn::new(id, k, source, stream, phase));
                self.dialing[k] = Some(id);
            }
            Err(e) => {
                let why = endpoint::failure_kind(&e);
                self.run(k, now, host, log, |p, t| p.handle_connect_failed(now, why, t));
            }
        }
    }

    fn dial_succeeded<H: PeerHost>(&mut self, id: LinkId, now: Now, host: &mut H, log: &dyn LogSink) {
        let Some(c) = self.conn_mut(id) else { return };
        c.phase = Phase::Up;
        let k = c.peer;
        self.dialing[k] = None;
        self.run(k, now, host, log, |p, _| p.handle_connected(now, id));
    }

    fn dial_failed<H: PeerHost>(&mut self, id: LinkId, e: &std::io::Error, now: Now, host: &mut H, log: &dyn LogSink) {
        let Some(c) = self.remove(id) else { return };
        let k = c.peer;
        self.dialing[k] = None;
        let why: ConnectFailure = endpoint::failure_kind(e);
        self.run(k, now, host, log, |p, t| p.handle_connect_failed(now, why, t));
    }

    /// Deregisters and drops (closes) a connection.
    fn remove(&mut self, id: LinkId) -> Option<Conn> {
        let pos = self.conns.iter().position(|c| c.id == id)?;
        let mut c = self.conns.swap_remove(pos);
        if let Some(r) = &self.registrar {
            let _ = r.deregister(&mut c.stream);
        }
        if self.dialing.get(c.peer) == Some(&Some(id)) {
            self.dialing[c.peer] = None;
        }
        Some(c)
    }

    /// A connection ended under us: drop it and tell its peer (unless the
    /// peer already let it go).
    fn lost<H: PeerHost>(&mut self, id: LinkId, now: Now, host: &mut H, log: &dyn LogSink) {
        let Some(c) = self.remove(id) else { return };
        if !c.closing {
            self.run(c.peer, now, host, log, |p, t| p.handle_disconnected(now, id, t));
        }
    }

    fn flush<H: PeerHost>(&mut self, id: LinkId, now: Now, host: &mut H, log: &dyn LogSink) {
        let Some(c) = self.conn_mut(id) else { return };
        if c.phase != Phase::Up {
            return;
        }
        let was_paused = c.read_paused();
        match c.flush() {
            Ok(done) => {
                let (closing, linger, pending, paused) = (c.closing, c.linger_until.is_some(), c.pending(), c.read_paused());
                if done && closing && linger {
                    self.remove(id);
                } else if pending > conn::HARD_LIMIT {
                    let name = self.endpoints.get(c_peer(&self.conns, id)).map_or("", |e| e.name.as_str()).to_string();
                    log.log(Level::Error, &format!("failover peer {name}: peer is not reading, closing the link"));
                    self.lost(id, now, host, log);
                } else if was_paused && !paused {
                    self.read(id, now, host, log);
                }
            }
            Err(_) => {
                self.lost(id, now, host, log);
            }
        }
    }

    fn read<H: PeerHost>(&mut self, id: LinkId, now: Now, host: &mut H, log: &dyn LogSink) {
        let mut buf = std::mem::take(&mut self.buf);
        let pass = match self.conn_mut(id) {
            Some(c) if c.phase == Phase::Up && !c.read_paused() => Some((c.peer, c.closing, c.read(&mut buf))),
            Some(c) => {
                c.unread = true;
                None
            }
            None => None,
        };
        self.buf = buf;
        let Some((k, closing, pass)) = pass else { return };
        if !pass.data.is_empty() && !closing {
            self.run(k, now, host, log, |p, t| p.handle_bytes(now, id, &pass.data, t));
        }
        if pass.closed.is_some() {
            self.lost(id, now, host, log);
        }
    }
}

fn c_peer(conns: &[Conn], id: LinkId) -> usize {
    conns.iter().find(|c| c.id == id).map_or(usize::MAX, |c| c.peer)
}

fn level_of(l: crate::failover::Level) -> Level {
    match l {
        crate::failover::Level::Info => Level::Info,
        crate::failover::Level::Error => Level::Error,
        crate::failover::Level::Debug => Level::Debug,
    }
}
