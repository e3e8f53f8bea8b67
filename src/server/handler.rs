//! The serving handler: the event loop's inputs through the engine, the
//! engine's outcomes out to the lease file, the wire and the log.
//!
//! The rule that matters is ISC's: a client is never told about a binding
//! the lease file does not hold. Every [`Outcome`]'s lease records are
//! appended to the store as they come; its reply waits. At the end of the
//! loop's turn all records appended in the turn are written and fsync'd
//! together (one fsync for the batch: group commit), and only then are the
//! replies that waited released, in the order they were made. Under load
//! a turn often holds a single lease, so one fsync per turn would mean one
//! per lease: a flush therefore waits until [`COMMIT_WINDOW`] after the
//! previous one (or until [`COMMIT_BATCH_MAX`] records wait), and the turns
//! in between add their records to the same batch. A commit after a quiet
//! spell is flushed at once, so the window costs latency only under load.
//! A reply with no record of its own still waits while an earlier reply to
//! the same client does, or while a change to its address does, so a reply
//! never overtakes the durability of a change it depends on (a
//! retransmitted REQUEST answered from the cache must not beat the ACK that
//! wrote the lease). Other clients' offers and NAKs, which promise nothing,
//! go at once.
//!
//! When a write or fsync fails, the whole file is rewritten from the
//! engine's state (which holds every change); if that succeeds the waiting
//! replies go out, otherwise they are dropped and the error logged: the
//! clients retry, as with ISC's `database update failed`.
//!
//! Around that: ping-check through [`Pinger`], `execute()` through
//! [`Commands`], lease expiry through the engine's timer, the failover
//! relationships' timers ([`failover`](super::failover)), ISC's hourly
//! rewrite, and a final flush on stop.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::engine::{LogLine, Outcome, Priority, ProbeResult, Reply};
use crate::io::syslog::{Level, LogSink};
use crate::io::transmit::{reply_destination, Addressing, Destination, ReplyFacts as IoFacts, ReplyKind as IoKind};
use crate::io::omapi::OmapiServer;
use crate::io::{Handler, IfaceId, Origin, Ready, SourceId, Sources, Transmit};
use crate::lease::records::FailoverState;
use crate::engine::lease_edit::{Edited, LeaseEdit};
use crate::omapi::objects::{Backend, Dhcp, FailoverFacts, LeaseEditError};
use crate::lease::records::{LeaseFileState, Record};
use crate::lease::store::LeaseStore;
use crate::lease::write::Rewrite;
use crate::time::Now;
use crate::wire::dhcp::Packet;

use super::exec::{Commands, REAP_INTERVAL};
use super::failover::ServerEngine;
use super::failover_link::FailoverLinks;
use super::ping::Pinger;

/// Under load, the least time between two lease-file flushes: the records
/// of every turn in between share one fsync. Short next to a client's
/// retransmission time and to the p99 latency we aim for (5 ms).
pub const COMMIT_WINDOW: Duration = Duration::from_millis(2);

/// A waiting batch this large is flushed without waiting for the window.
pub const COMMIT_BATCH_MAX: usize = 256;

/// What the server keeps from the lease file besides leases: the records a
/// rewrite must carry over (hosts, groups, classes, the server DUID).
pub type Carried = LeaseFileState;

/// The handler the event loop drives while serving.
pub struct Server {
    engine: ServerEngine,
    store: LeaseStore,
    carried: Carried,
    addressing: Addressing,
    pinger: Pinger,
    commands: Commands,
    log: Box<dyn LogSink>,
    /// Replies waiting for the turn's fsync, in order.
    held: Vec<Transmit>,
    /// The addresses with changes queued for the next flush.
    pending_addresses: HashSet<Ipv4Addr>,
    /// The time of the latest input (deadlines are computed from it).
    last: Now,
    /// Wall second of the last expiry run: a deadline the engine still
    /// reports at or before it is retried a second later, never in a loop.
    expiry_ran_at: i64,
    fatal: bool,
    /// The OMAPI listener (`omapi-port`); taken out while it runs, since it
    /// works on the server as its [`Backend`].
    omapi: Option<OmapiServer>,
    /// OMAPI's control object asked for a graceful stop.
    stop_requested: bool,
    /// The failover relationships' sockets.
    links: FailoverLinks,
    /// When the lease file was last flushed (the group-commit window).
    last_flush: Option<Instant>,
}

impl Server {
    /// A server over a started engine and an open store.
    pub fn new(
        engine: ServerEngine,
        store: LeaseStore,
        carried: Carried,
        addressing: Addressing,
        pinger: Pinger,
        log: Box<dyn LogSink>,
        now: Now,
    ) -> Server {
        let links = FailoverLinks::new(engine.config());
        Server {
            engine,
            store,
            carried,
            addressing,
            pinger,
            commands: Commands::default(),
            log,
            held: Vec::new(),
            pending_addresses: HashSet::new(),
            last: now,
            expiry_ran_at: i64::MIN,
            fatal: false,
            omapi: None,
            stop_requested: false,
            links,
            last_flush: None,
        }
    }

    /// Serves OMAPI through `omapi` (already registered with the loop).
    pub fn set_omapi(&mut self, omapi: OmapiServer) {
        self.omapi = Some(omapi);
    }

    /// Runs `f` on the OMAPI listener with the server as its backend, then
    /// logs what it had to say.
    fn with_omapi(&mut self, f: impl FnOnce(&mut OmapiServer, &mut Server)) {
        let Some(mut om) = self.omapi.take() else { return };
        f(&mut om, self);
        for (level, line) in om.take_log() {
            self.log.log(level, &line);
        }
        self.omapi = Some(om);
    }

    /// The engine (tests, statistics).
    pub fn engine(&self) -> &ServerEngine {
        &self.engine
    }

    /// The lease store.
    pub fn store(&self) -> &LeaseStore {
        &self.store
    }

    /// Replies waiting for the next fsync.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// `execute()` programs asked for before serving began (the start-up
    /// expiry's `on expiry` statements): started from the loop, once the
    /// process has detached.
    pub fn run_commands(&mut self, commands: Vec<Vec<Vec<u8>>>) {
        for argv in commands {
            self.commands.defer(argv);
        }
    }

    /// Starts the failover relationships (after the interfaces are up, as
    /// ISC's `postdb_startup`): the listeners open, each relationship moves
    /// to startup and dials its partner; the state records are written and
    /// synced at once; the lines go to `log` (the start-up logger, still on
    /// the terminal).
    pub fn start_failover(&mut self, now: Now, sources: &mut Sources<'_>, log: &dyn LogSink) {
        if let Err(e) = self.links.register(sources, now, log) {
            log.log(Level::Error, &format!("Can't register failover sockets: {e}"));
        }
        self.links.start(now, &mut self.engine, log);
        // Nothing was sent yet: commit() makes the records durable now
        // rather than at the first turn, and lets the first messages go.
        let released = self.commit(now);
        self.held = released;
    }

    fn line(&self, priority: Priority, text: &str) {
        self.log.log(level_of(priority), text);
    }

    fn log_lines(&self, lines: &[LogLine]) {
        for l in lines {
            self.line(l.priority, &l.text);
        }
    }

    /// Carries out one outcome; returns what can be sent at once.
    fn apply(&mut self, out: Outcome, now: Now) -> Vec<Transmit> {
        self.log_lines(&out.logs);
        // The partner learns each change of a failover pool; the links hold
        // the BNDUPDs until the commit has made the change durable.
        self.links.leases_changed(now, &mut self.engine, &out.lease_changes, &*self.log);
        let mut failed = false;
        let writes = !out.lease_changes.is_empty();
        for lease in out.lease_changes {
            self.pending_addresses.insert(lease.ip);
            if let Err(e) = self.store.append(&Record::Lease(lease), now.mono) {
                self.log.log(Level::Error, &format!("write_lease: {e}"));
                failed = true;
            }
        }
        for argv in out.commands {
            for l in self.commands.run(argv) {
                self.log.log(Level::Error, &l);
            }
        }
        if let Some(probe) = out.probe {
            if let Some(l) = self.pinger.start(probe, now.mono) {
                self.log.log(Level::Error, &l);
            }
        }
        let Some(reply) = out.reply else { return Vec::new() };
        if failed {
            self.log.log(Level::Error, &format!("reply to {} not sent: database update failed", chaddr_text(&reply)));
            return Vec::new();
        }
        let client = reply.facts.chaddr;
        let depends = writes
            || self.held.iter().any(|h| Packet::new_checked(&h.payload[..]).is_ok_and(|p| p.chaddr() == client))
            || self.pending_addresses.contains(&reply.facts.yiaddr);
        let t = self.transmit(reply);
        if depends && (self.store.queued() > 0 || !self.held.is_empty()) {
            self.held.push(t);
            Vec::new()
        } else {
            vec![t]
        }
    }

    /// Addresses a reply by ISC's rules.
    fn transmit(&self, reply: Reply) -> Transmit {
        let f = reply.facts;
        let kind = match f.kind {
            crate::engine::ReplyKind::Offer => IoKind::Offer,
            crate::engine::ReplyKind::Ack => IoKind::Ack,
            crate::engine::ReplyKind::Nak => IoKind::Nak,
            crate::engine::ReplyKind::InformAck => IoKind::InformAck,
            crate::engine::ReplyKind::BootReply => IoKind::BootReply,
        };
        let facts = IoFacts {
            kind,
            giaddr: f.giaddr,
            ciaddr: f.ciaddr,
            yiaddr: f.yiaddr,
            broadcast_flag: f.broadcast_flag,
            hlen: f.hlen,
            chaddr: f.chaddr,
            got_server_identifier: f.got_server_identifier,
            lease_on_receiving_network: f.lease_on_receiving_network,
            source: f.source,
        };
        let decision = reply_destination(&facts, &self.addressing);
        let mut bytes = reply.bytes;
        if decision.set_broadcast_flag {
            if let Some(b) = bytes.get_mut(10) {
                *b |= 0x80;
            }
        }
        let mut destination = decision.destination;
        // A relay that sent a relay-port sub-option (82.19) is answered on its port.
        if let (Destination::Ip(to), Some(port)) = (&mut destination, f.relay_port) {
            if !f.giaddr.is_unspecified() && *to.ip() == f.giaddr {
                to.set_port(port);
            }
        }
        Transmit::reply(destination, IfaceId(reply.iface), reply.from, bytes)
    }

    /// Writes and syncs what the turn appended; releases the replies that
    /// waited if it is on disk. Rewrites the file when ISC would.
    fn commit(&mut self, now: Now) -> Vec<Transmit> {
        if self.make_durable(now) {
            self.pending_addresses.clear();
            self.links.release_after_fsync(now, &mut self.engine, &*self.log);
            std::mem::take(&mut self.held)
        } else {
            let n = self.held.len();
            self.held.clear();
            if n > 0 {
                self.log.log(Level::Error, &format!("{n} replies not sent: database update failed"));
            }
            Vec::new()
        }
    }

    /// Appends the failover links' records, then writes and syncs
    /// everything appended (rewriting the file when a write fails, or when
    /// ISC's hourly rule says so); true if it is all on disk.
    fn make_durable(&mut self, now: Now) -> bool {
        for r in self.links.take_durable_work() {
            if let Err(e) = self.store.append(&r, now.mono) {
                let line = match &r {
                    Record::FailoverState(f) => format!("Unable to record current failover state for {}: {e}", f.peer),
                    _ => format!("write_lease: {e}"),
                };
                self.log.log(Level::Error, &line);
            }
        }
        let mut durable = true;
        if self.store.queued() > 0 || self.store.needs_rewrite() {
            self.last_flush = Some(now.mono);
            match self.store.flush(now.mono) {
                Ok(f) => {
                    if f.rewrite_due {
                        // A failed hourly rewrite leaves the appended file in use.
                        let _ = self.rewrite(now);
                    }
                }
                Err(e) => {
                    self.log.log(Level::Error, &format!("commit_leases: {e}"));
                    // The engine holds every change: a complete new file
                    // makes them durable after all.
                    durable = self.rewrite(now);
                }
            }
        }
        durable
    }

    /// When the records waiting to be flushed are due: `None` when nothing
    /// waits, at once when only the failover links wait (their records are
    /// appended at the commit) or the window since the last flush is over
    /// or the batch is full, else the end of the window ([`COMMIT_WINDOW`]).
    fn commit_deadline(&self) -> Option<Instant> {
        let queued = self.store.queued();
        if queued == 0 {
            return self.links.awaits_commit().then_some(self.last.mono);
        }
        match self.last_flush {
            Some(last) if queued < COMMIT_BATCH_MAX => Some(last + COMMIT_WINDOW),
            _ => Some(self.last.mono),
        }
    }

    /// Replaces the lease file by the current state; true on success.
    fn rewrite(&mut self, now: Now) -> bool {
        let failover: Vec<_> = self.engine.failover().iter().map(|p| p.state_record()).collect();
        let content = Rewrite {
            classes: self.carried.classes.iter().collect(),
            groups: self.carried.groups.iter().collect(),
            hosts: self.carried.hosts.iter().collect(),
            failover: failover.iter().collect(),
            leases: self.engine.leases().filter(|l| l.is_interesting()).collect(),
            server_duid: None,
        };
        match self.store.rewrite(&content, now.mono) {
            Ok(r) => {
                if r.backup_missing {
                    self.log.log(Level::Error, &format!("{} is missing - no lease db to backup.", self.store.path().display()));
                }
                true
            }
            Err(e) => {
                self.log.log(Level::Error, &format!("Can't create new lease file: {e}"));
                false
            }
        }
    }

    /// The engine's next expiry as an instant, never at or before the last
    /// second it ran for.
    fn expiry_deadline(&self) -> Option<Instant> {
        let t = self.engine.poll_timeout(self.last.wall)?.max(self.expiry_ran_at.saturating_add(1));
        let ahead = Duration::from_secs(t.saturating_sub(self.last.wall).max(0) as u64)
            .saturating_sub(Duration::from_micros(u64::from(self.last.wall_micros)));
        Some(self.last.mono + ahead)
    }
}

/// The syslog level of an engine line.
fn level_of(p: Priority) -> Level {
    match p {
        Priority::Error => Level::Error,
        Priority::Info => Level::Info,
        Priority::Debug => Level::Debug,
    }
}

/// The client's hardware address as ISC prints it, from a reply.
fn chaddr_text(r: &Reply) -> String {
    let n = usize::from(r.facts.hlen).min(16);
    r.facts.chaddr[..n].iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

impl Handler for Server {
    fn handle_packet(&mut self, now: Now, iface: IfaceId, origin: Origin, payload: &[u8]) -> Vec<Transmit> {
        self.last = now;
        let out = self.engine.handle_packet(now.wall, iface.0, *origin.src.ip(), origin.src.port(), payload);
        self.apply(out, now)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let reap = self.commands.busy().then(|| self.last.mono + REAP_INTERVAL);
        let omapi = self.omapi.as_ref().and_then(OmapiServer::poll_timeout);
        let commit = self.commit_deadline();
        [self.pinger.next_deadline(), self.expiry_deadline(), self.links.poll_timeout(&self.engine), reap, omapi, commit]
            .into_iter()
            .flatten()
            .min()
    }

    fn handle_timeout(&mut self, now: Now) -> Vec<Transmit> {
        self.last = now;
        let mut sent = Vec::new();
        for probe in self.pinger.expire(now.mono) {
            let out = self.engine.continue_offer(now.wall, probe, ProbeResult::Timeout);
            sent.extend(self.apply(out, now));
        }
        if self.expiry_deadline().is_some_and(|t| t <= now.mono) {
            self.expiry_ran_at = now.wall;
            let out = self.engine.handle_timeout(now.wall);
            sent.extend(self.apply(out, now));
        }
        if self.links.poll_timeout(&self.engine).is_some_and(|t| t <= now.mono) {
            self.links.handle_timeout(now, &mut self.engine, &*self.log);
        }
        sent
    }

    fn handle_timeout_with_sources(&mut self, now: Now, sources: &mut Sources<'_>) -> Vec<Transmit> {
        let sent = self.handle_timeout(now);
        if self.omapi.as_ref().and_then(OmapiServer::poll_timeout).is_some_and(|t| t <= now.mono) {
            self.with_omapi(|om, server| om.handle_timeout(now, sources, server));
        }
        sent
    }

    fn handle_ready(&mut self, now: Now, source: SourceId, ready: Ready, sources: &mut Sources<'_>) -> Vec<Transmit> {
        self.last = now;
        if self.omapi.as_ref().is_some_and(|om| om.owns(source)) {
            self.with_omapi(|om, server| om.handle_ready(now, source, ready, sources, server));
            return Vec::new();
        }
        if self.links.owns(source) {
            self.links.handle_ready(now, source, ready, &mut self.engine, &*self.log);
            return Vec::new();
        }
        if self.pinger.source() != Some(source) {
            return Vec::new();
        }
        let fin = self.pinger.read();
        for l in &fin.errors {
            self.log.log(Level::Error, l);
        }
        let mut sent = Vec::new();
        for probe in fin.answered {
            let out = self.engine.continue_offer(now.wall, probe, ProbeResult::Answered);
            sent.extend(self.apply(out, now));
        }
        sent
    }

    fn end_of_turn(&mut self, now: Now) -> Vec<Transmit> {
        self.last = now;
        if self.commands.busy() {
            for l in self.commands.reap() {
                self.log.log(Level::Error, &l);
            }
        }
        if self.commit_deadline().is_some_and(|t| t > now.mono) {
            return Vec::new();
        }
        self.commit(now)
    }

    fn wants_stop(&self) -> bool {
        self.fatal || self.stop_requested || self.links.fatal().is_some()
    }

    fn stop(&mut self, now: Now) -> Vec<Transmit> {
        self.last = now;
        let out = self.commit(now);
        self.links.close_all();
        for l in self.commands.finish(Duration::from_secs(2)) {
            self.log.log(Level::Error, &l);
        }
        out
    }
}

/// What OMAPI's objects see of the running server: the engine's leases and
/// hosts, the lease file, the failover peers, the stop request.
impl Backend for Server {
    fn dhcp(&self) -> &dyn Dhcp {
        &self.engine
    }

    fn dhcp_mut(&mut self) -> &mut dyn Dhcp {
        &mut self.engine
    }

    /// Host changes are committed before OMAPI answers (ISC `write_host` +
    /// `commit_leases`); whatever else the turn had queued goes with them.
    fn persist(&mut self, records: &[Record]) -> Result<(), String> {
        let now = Now::read();
        for r in records {
            self.store.append(r, now.mono).map_err(|e| e.to_string())?;
            // Kept for the rewrites to come, which must carry the host too.
            self.carried.apply(r);
        }
        self.store.flush(now.mono).map(|_| ()).map_err(|e| e.to_string())
    }

    fn failover(&self, peer: usize) -> Option<FailoverFacts> {
        let conf = self.engine.config().failover.peers.get(peer)?;
        // Our own address as configured (ISC reports the configured one too).
        Some(FailoverFacts::new(conf, self.engine.failover().get(peer)?, None))
    }

    fn set_failover_state(&mut self, now: Now, peer: usize, state: FailoverState) -> Result<(), String> {
        if peer >= self.engine.failover().len() {
            return Err("no such failover peer".into());
        }
        self.links.set_state(now, &mut self.engine, peer, state, &*self.log);
        // ISC writes and commits the new state before it answers
        // (`dhcp_failover_set_state`); the peer's messages still wait for
        // the end of the turn, after this sync.
        if self.make_durable(now) {
            Ok(())
        } else {
            Err("the new failover state could not be written".into())
        }
    }

    /// ISC writes and commits each OMAPI lease change (`supersede_lease`,
    /// `write_lease` + `commit_leases`) before it answers; the partner's
    /// BNDUPD waits for the same sync, as every other.
    fn edit_lease(&mut self, now: Now, ip: Ipv4Addr, edit: LeaseEdit) -> Result<bool, LeaseEditError> {
        let (out, propagate) = match self.engine.edit_lease(ip, edit, now.wall).map_err(LeaseEditError::Refused)? {
            Edited::Unchanged => return Ok(false),
            Edited::Changed { out, propagate } => (out, propagate),
        };
        self.log_lines(&out.logs);
        if propagate {
            self.links.leases_changed(now, &mut self.engine, &out.lease_changes, &*self.log);
        }
        let mut failed = None;
        for lease in out.lease_changes {
            if let Err(e) = self.store.append(&Record::Lease(lease), now.mono) {
                self.log.log(Level::Error, &format!("write_lease: {e}"));
                failed = Some(e.to_string());
            }
        }
        for argv in out.commands {
            for l in self.commands.run(argv) {
                self.log.log(Level::Error, &l);
            }
        }
        match failed {
            Some(e) => Err(LeaseEditError::Unwritten(e)),
            None if self.make_durable(now) => Ok(true),
            None => Err(LeaseEditError::Unwritten("the lease file could not be synced".into())),
        }
    }

    fn shutdown(&mut self) {
        self.stop_requested = true;
    }
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
