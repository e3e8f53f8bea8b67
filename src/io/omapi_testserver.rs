/*!
`dhcpd --omapi-test-server -cf CONF -lf LEASES`: a test aid that serves OMAPI, and nothing
else, over the real objects.

**Not a DHCP server.** It exists so the network-namespace tests can drive the real `omshell`
against our listener until OMAPI is wired into the serving process: the configuration is read
with our parser, the lease file with our reader (its leases into the engine, its host records
applied, its failover states restored), failover peers run with no link to their partner
(as ISC's do when the partner cannot be reached: startup, then the saved state), and OMAPI
host and failover-state changes are appended to the lease file and fsync'd before the reply.
No packet socket is opened.

It must be the first argument; it runs in the foreground, logs to stderr, and stops on
SIGTERM/SIGINT or when a client sets the control object's state to 2. The listener is the
configuration's `omapi-port` on all addresses.
*/

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::time::Instant;

use super::event_loop::{EventLoop, Handler, Origin, Ready, SourceId, Sources};
use super::omapi::{startup_error, OmapiServer};
use super::signals::{SignalPipe, STOP_SIGNALS};
use super::syslog::{Level, Logger};
use super::transmit::{IfaceId, Transmit};
use crate::conf::parser::{os_error_text, FsLoader};
use crate::engine::{ConstEvaluator, Engine, NoFailover};
use crate::failover::{Event, MemLeaseTable, Peer, PeerConfig};
use crate::lease::file::{read_lease_file, ReadOptions};
use crate::lease::records::{FailoverState, Record};
use crate::lease::write::{self, WriteOptions};
use crate::omapi::objects::{hostfile, Backend, Dhcp, FailoverFacts};
use crate::time::Now;

/// The flag that selects this mode; only as the first argument.
pub const FLAG: &str = "--omapi-test-server";

/// The objects' backend: the engine, the peers, the lease file.
struct Standalone {
    engine: Engine<ConstEvaluator, NoFailover>,
    peers: Vec<Peer>,
    table: MemLeaseTable,
    leases: File,
    write: WriteOptions,
    stop: bool,
    log: Logger,
}

impl Standalone {
    fn append(&mut self, text: &[u8]) -> Result<(), String> {
        self.leases.write_all(text).and_then(|()| self.leases.sync_data()).map_err(|e| os_error_text(&e))
    }

    /// Logs the peers' lines and persists their state records.
    fn drain_peers(&mut self) {
        let mut out = Vec::new();
        for p in &mut self.peers {
            while let Some(ev) = p.poll_event() {
                out.push(ev);
            }
            while p.poll_transmit().is_some() {}
        }
        for ev in out {
            match ev {
                Event::Log(level, line) => {
                    let level = match level {
                        crate::failover::Level::Info => Level::Info,
                        crate::failover::Level::Error => Level::Error,
                        crate::failover::Level::Debug => Level::Debug,
                    };
                    self.log.log(level, &line);
                }
                Event::Persist(record) => {
                    let mut text = Vec::new();
                    if write::failover_state(&mut text, &record, &self.write).is_ok() {
                        if let Err(e) = self.append(&text) {
                            self.log.error(&format!("Unable to record current failover state: {e}"));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl Backend for Standalone {
    fn dhcp(&self) -> &dyn Dhcp {
        &self.engine
    }
    fn dhcp_mut(&mut self) -> &mut dyn Dhcp {
        &mut self.engine
    }
    fn persist(&mut self, records: &[Record]) -> Result<(), String> {
        let mut text = Vec::new();
        for r in records {
            if let Record::Host(h) = r {
                write::host(&mut text, h);
            }
        }
        self.append(&text)
    }
    fn failover(&self, peer: usize) -> Option<FailoverFacts> {
        let conf = self.engine.config().failover.peers.get(peer)?;
        Some(FailoverFacts::new(conf, self.peers.get(peer)?, None))
    }
    fn set_failover_state(&mut self, now: Now, peer: usize, state: FailoverState) -> Result<(), String> {
        let p = self.peers.get_mut(peer).ok_or("no such failover peer")?;
        p.set_state(now, state, &mut self.table);
        self.drain_peers();
        Ok(())
    }
    fn shutdown(&mut self) {
        self.stop = true;
    }
}

/// The loop's handler: OMAPI and the peers' timers.
struct Harness {
    omapi: OmapiServer,
    backend: Standalone,
}

impl Harness {
    fn flush_log(&mut self) {
        for (level, line) in self.omapi.take_log() {
            self.backend.log.log(level, &line);
        }
    }
}

impl Handler for Harness {
    fn handle_packet(&mut self, _: Now, _: IfaceId, _: Origin, _: &[u8]) -> Vec<Transmit> {
        Vec::new()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let peers = self.backend.peers.iter().filter_map(Peer::poll_timeout).min();
        [self.omapi.poll_timeout(), peers].into_iter().flatten().min()
    }

    fn handle_timeout(&mut self, _: Now) -> Vec<Transmit> {
        Vec::new()
    }

    fn handle_timeout_with_sources(&mut self, now: Now, sources: &mut Sources<'_>) -> Vec<Transmit> {
        for p in &mut self.backend.peers {
            if p.poll_timeout().is_some_and(|t| t <= now.mono) {
                p.handle_timeout(now, &mut self.backend.table);
            }
        }
        self.backend.drain_peers();
        self.omapi.handle_timeout(now, sources, &mut self.backend);
        self.flush_log();
        Vec::new()
    }

    fn handle_ready(&mut self, now: Now, id: SourceId, ready: Ready, sources: &mut Sources<'_>) -> Vec<Transmit> {
        if self.omapi.owns(id) {
            self.omapi.handle_ready(now, id, ready, sources, &mut self.backend);
            self.flush_log();
        }
        Vec::new()
    }

    fn wants_stop(&self) -> bool {
        self.backend.stop
    }
}

/// Runs the mode; `args` is argv without the program name and without [`FLAG`].
pub fn main(_argv0: &OsString, args: &[OsString]) -> i32 {
    let log = Logger::stderr_only();
    let arg = |flag: &str| {
        args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).map(|a| a.to_string_lossy().into_owned())
    };
    let (Some(conf), Some(lease_path)) = (arg("-cf"), arg("-lf")) else {
        log.error(&format!("usage: dhcpd {FLAG} -cf CONF -lf LEASES"));
        return 1;
    };
    let outcome = crate::conf::check_config(&conf, &FsLoader);
    let Some(config) = outcome.config else {
        log.error(&outcome.fatal.unwrap_or_default());
        return 1;
    };
    let now = Now::read();
    let text = std::fs::read(&lease_path).unwrap_or_default();
    let lease_log = match read_lease_file(&lease_path, &text, ReadOptions::at(now.wall)) {
        Ok(l) => l,
        Err(e) => {
            log.error(&e.to_string());
            return 1;
        }
    };
    let leases = match OpenOptions::new().create(true).append(true).open(&lease_path) {
        Ok(f) => f,
        Err(e) => {
            log.error(&format!("Can't open lease database {lease_path}: {}", os_error_text(&e)));
            return 1;
        }
    };
    let Some(mut omapi) = OmapiServer::new(&config) else {
        log.error("no omapi-port in the configuration");
        return 1;
    };
    omapi.seed(now.wall as u64 ^ u64::from(now.wall_micros) << 20 ^ u64::from(std::process::id()));
    let write = WriteOptions { now: now.wall, ..WriteOptions::default() };
    let config = std::sync::Arc::new(config);
    let mut engine = Engine::new(config.clone(), ConstEvaluator::default(), NoFailover);
    for line in engine.load_leases(lease_log.leases().cloned()) {
        log.log(Level::Error, &line.text);
    }
    let _ = engine.start(now.wall);
    let hosts = lease_log.entries.iter().filter_map(|e| match &e.record {
        Record::Host(h) => Some(h),
        _ => None,
    });
    for line in hostfile::apply(hosts, &mut engine) {
        log.error(&line);
    }
    let state = lease_log.state();
    let mut table = MemLeaseTable::new();
    let peers = config
        .failover
        .peers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let restored = state.failover.iter().find(|r| r.peer == p.name);
            let mut peer = Peer::new(PeerConfig::from_conf(p, now.wall), restored, now, now.wall as u64 + i as u64);
            peer.start(now, &mut table);
            peer
        })
        .collect();
    let mut ev = match EventLoop::new(67) {
        Ok(ev) => ev,
        Err(e) => {
            log.error(&format!("Can't create the event loop: {}", os_error_text(&e)));
            return 1;
        }
    };
    if let Err(e) = omapi.register(&mut ev.sources()) {
        log.error(&startup_error(&e));
        return 1;
    }
    match SignalPipe::install(&STOP_SIGNALS).and_then(|p| ev.set_signals(p)) {
        Ok(()) => {}
        Err(e) => {
            log.error(&format!("Can't install signal handlers: {}", os_error_text(&e)));
            return 1;
        }
    }
    let mut h = Harness { omapi, backend: Standalone { engine, peers, table, leases, write, stop: false, log: Logger::stderr_only() } };
    h.backend.drain_peers();
    log.info(&format!("OMAPI test server listening on {}", h.omapi.local_addr()));
    match ev.run(&mut h, &log) {
        Ok(_) => 0,
        Err(e) => {
            log.error(&format!("dispatch: {}", os_error_text(&e)));
            1
        }
    }
}
