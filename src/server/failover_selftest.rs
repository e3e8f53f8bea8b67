/*!
`dhcpd --selftest-failover -cf FILE -lf FILE`: a test aid that runs the failover side of a
server alone, so the network-namespace tests can pair it with a real ISC dhcpd.

**Not a DHCP server**: it opens no DHCP socket and answers no client. It reads the
configuration and the lease file as a server would, builds the DHCP engine with one failover
peer per `failover peer` declaration, and runs the event loop with the failover links only:
listeners, dials, the protocol, pool balancing, lease expiry, and every state record and lease
change appended to the lease file and fsynced before the messages that depend on it are
written. Log lines go to stderr only (never to the host's syslog), one per line, in ISC's
words. SIGTERM or SIGINT stops it (exit 0); a condition on which ISC would exit stops it with
status 1.

It must be the first argument. It exists until the serving command line wires the same
[`FailoverLinks`] into the real server; it stays useful afterwards for tests that want the
failover protocol without DHCP sockets.
*/

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::failover_link::{make_peers, FailoverLinks};
use crate::conf::parser::FsLoader;
use crate::engine::{Engine, IscEvaluator};
use crate::failover::Peer;
use crate::io::event_loop::{EventLoop, Handler, Origin};
use crate::io::signals::{SignalPipe, STOP_SIGNALS};
use crate::io::syslog::{Level, LogSink, Logger};
use crate::io::{IfaceId, Ready, SourceId, Sources, Transmit};
use crate::lease::file::{read_lease_file, ReadOptions};
use crate::lease::records::Record;
use crate::lease::write::{append_record, header, WriteOptions};
use crate::time::Now;

/// The flag that selects this mode; only as the first argument.
pub const FLAG: &str = "--selftest-failover";

/// The engine with the crate's failover peers as its hooks.
type FoEngine = Engine<IscEvaluator, Vec<Peer>>;

/// The lease file, appended to and fsynced.
struct LeaseFile {
    file: File,
    opts: WriteOptions,
}

impl LeaseFile {
    fn append(&mut self, records: &[Record], now: i64, log: &dyn LogSink) -> std::io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        self.opts.now = now;
        let mut out = Vec::new();
        for r in records {
            if let Err(e) = append_record(&mut out, r, &self.opts) {
                log.log(Level::Error, &format!("write_lease: {e}"));
            }
        }
        self.file.write_all(&out)?;
        self.file.sync_data()
    }
}

/// The handler: the engine (which holds the peers and leases), the links
/// and the lease file.
struct FailoverOnly {
    engine: FoEngine,
    links: FailoverLinks,
    file: LeaseFile,
    log: Logger,
    /// Lease changes of the engine's own (expiry) not yet written.
    engine_changes: Vec<Record>,
    last: Now,
    failed: bool,
}

impl FailoverOnly {
    fn engine_deadline(&self) -> Option<Instant> {
        let at = self.engine.poll_timeout(self.last.wall)?;
        Some(self.last.mono + Duration::from_secs((at - self.last.wall).max(0) as u64))
    }
}

impl Handler for FailoverOnly {
    fn handle_packet(&mut self, _now: Now, _iface: IfaceId, _origin: Origin, _payload: &[u8]) -> Vec<Transmit> {
        Vec::new()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match (self.links.poll_timeout(&self.engine), self.engine_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn handle_timeout(&mut self, now: Now) -> Vec<Transmit> {
        self.last = now;
        self.links.handle_timeout(now, &mut self.engine, &self.log);
        if self.engine.poll_timeout(now.wall).is_some_and(|t| t <= now.wall) {
            let out = self.engine.handle_timeout(now.wall);
            for l in &out.logs {
                self.log.log(Level::Info, &l.text);
            }
            self.links.leases_changed(now, &mut self.engine, &out.lease_changes, &self.log);
            self.engine_changes.extend(out.lease_changes.into_iter().map(Record::Lease));
        }
        Vec::new()
    }

    fn handle_ready(&mut self, now: Now, source: SourceId, ready: Ready, _sources: &mut Sources<'_>) -> Vec<Transmit> {
        self.last = now;
        if self.links.owns(source) {
            self.links.handle_ready(now, source, ready, &mut self.engine, &self.log);
        }
        Vec::new()
    }

    fn end_of_turn(&mut self, now: Now) -> Vec<Transmit> {
        self.last = now;
        let mut records = std::mem::take(&mut self.engine_changes);
        records.extend(self.links.take_durable_work());
        match self.file.append(&records, now.wall, &self.log) {
            Ok(()) => self.links.release_after_fsync(now, &mut self.engine, &self.log),
            Err(e) => {
                // Nothing may go out that the file does not hold.
                self.log.log(Level::Error, &format!("Unable to write lease file: {e}"));
                self.failed = true;
            }
        }
        Vec::new()
    }

    fn wants_stop(&self) -> bool {
        self.failed || self.links.fatal().is_some()
    }

    fn stop(&mut self, _now: Now) -> Vec<Transmit> {
        self.links.close_all();
        Vec::new()
    }
}

fn arg_value(args: &[OsString], flag: &str) -> Option<String> {
    let i = args.iter().position(|a| a == flag)?;
    args.get(i + 1).map(|v| v.to_string_lossy().into_owned())
}

/// Runs the test aid with the arguments after the flag; returns the exit status.
pub fn main(args: &[OsString]) -> i32 {
    let log = Logger::stderr_only();
    let (Some(conf), Some(leases)) = (arg_value(args, "-cf"), arg_value(args, "-lf")) else {
        return log.fatal("usage: dhcpd --selftest-failover -cf CONFIG -lf LEASES");
    };
    let outcome = crate::conf::check_config(&conf, &FsLoader);
    for d in &outcome.diagnostics {
        for line in d.render() {
            log.log(Level::Error, &String::from_utf8_lossy(&line));
        }
    }
    let Some(config) = outcome.config.filter(|_| outcome.fatal.is_none()) else {
        return log.fatal(outcome.fatal.as_deref().unwrap_or("Configuration file errors encountered -- exiting"));
    };
    let now = Now::read();
    let existing = std::fs::read(&leases).unwrap_or_default();
    let state = match read_lease_file(&leases, &existing, ReadOptions::at(now.wall)) {
        Ok(l) => l.state(),
        Err(e) => return log.fatal(&e.to_string()),
    };
    let peers = make_peers(&config, &state.failover, now);
    let links = FailoverLinks::new(&config);
    let mut engine = Engine::new(Arc::new(config), IscEvaluator::new(), peers);
    for line in engine.load_leases(state.leases.values().cloned()) {
        log.log(Level::Error, &line.text);
    }
    let started = engine.start(now.wall);
    let file = match OpenOptions::new().create(true).append(true).open(&leases) {
        Ok(f) => f,
        Err(e) => return log.fatal(&format!("Can't open lease database {leases}: {e}")),
    };
    let mut file = LeaseFile { file, opts: WriteOptions::default() };
    if existing.is_empty() {
        let mut h = Vec::new();
        header(&mut h, &file.opts);
        if let Err(e) = file.file.write_all(&h) {
            return log.fatal(&format!("Can't write lease database {leases}: {e}"));
        }
    }
    let mut ev = match EventLoop::new(0) {
        Ok(ev) => ev,
        Err(e) => return log.fatal(&format!("Can't create the event loop: {e}")),
    };
    match SignalPipe::install(&STOP_SIGNALS) {
        Ok(p) => {
            if let Err(e) = ev.set_signals(p) {
                return log.fatal(&format!("Can't register the signal pipe: {e}"));
            }
        }
        Err(e) => return log.fatal(&format!("Can't install signal handlers: {e}")),
    }
    let mut h = FailoverOnly {
        engine,
        links,
        file,
        log: Logger::stderr_only(),
        engine_changes: started.lease_changes.into_iter().map(Record::Lease).collect(),
        last: now,
        failed: false,
    };
    if let Err(e) = h.links.register(&mut ev.sources(), now, &h.log) {
        return log.fatal(&format!("Can't register failover sockets: {e}"));
    }
    h.links.start(now, &mut h.engine, &h.log);
    log.log(Level::Info, "Server starting service.");
    let result = ev.run(&mut h, &log);
    match result {
        Ok(_) if h.failed || h.links.fatal().is_some() => 1,
        Ok(_) => 0,
        Err(e) => {
            log.log(Level::Error, &format!("dispatch: {e}"));
            1
        }
    }
}
