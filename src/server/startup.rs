//! From the lease file on disk to a started engine and an open store, in
//! ISC's order (`db_startup` in `server/db.c`).
//!
//! The file is read in one pass ([`read_stream`]); each lease record goes
//! into the engine as it is read, so ISC's `lease A: no subnet.` follows
//! the record's own messages as in ISC; the other records (hosts, groups,
//! classes, failover states, the server DUID) are kept for the rewrite and
//! for the failover peers, and the host records (made through OMAPI) are
//! applied to the engine's hosts. Then the engine puts every lease on its queue
//! and expires what expired while the server was down ([`Engine::start`]),
//! and the whole file is written anew ([`create_store`]), which is when ISC
//! logs `Wrote N leases to leases file.`
//!
//! Differences from ISC, on purpose: the rewrite lists leases by address
//! (ISC: by pool and queue; readers do not care about the order), and a
//! startup rewrite that fails is fatal (ISC logs `Can't create new lease
//! file` and goes on appending to the old file, whose tail may then be a
//! torn record it never cut off).

use std::collections::HashMap;
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::lease_test::{config_facts, write_options};
use crate::conf::diag::Diagnostic;
use crate::conf::model::Config;
use crate::engine::{Engine, IscEvaluator, LogLine};
use crate::lease::file::ReadOptions;
use crate::lease::journal::Policy;
use crate::lease::records::{Entry, LeaseFileState, Record};
use crate::lease::store::{LeaseSource, LeaseStore, StoreError, StoreOptions};
use crate::lease::stream::{read_stream, Origin, Sink, StreamError};
use crate::lease::write::Rewrite;
use crate::omapi::objects::hostfile;
use crate::time::Now;

use super::failover::{self, ServerEngine};
use super::handler::Carried;

/// Why the server cannot start from its lease file.
#[derive(Debug)]
pub enum StartupError {
    /// The file cannot be opened (ISC's four-line complaint follows).
    Open {
        /// The lease file.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The file was opened but reading it failed.
    Read {
        /// The lease file.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The file holds something ISC exits on; its message.
    Fatal(String),
}

/// The engine loaded from the file, and what the rewrite must carry over.
pub struct Loaded {
    /// The engine, started: leases queued, expiry that came due applied.
    pub engine: ServerEngine,
    /// Records other than leases.
    pub carried: Carried,
    /// `execute()` programs the start-up expiry asked for (`on expiry`).
    pub commands: Vec<Vec<Vec<u8>>>,
}

/// Takes the reader's records and messages as they come.
struct LoadSink<'a> {
    engine: &'a mut ServerEngine,
    carried: &'a mut Carried,
    log: &'a mut dyn FnMut(&LogLine),
    printed: usize,
}

impl Sink for LoadSink<'_> {
    fn diagnostic(&mut self, d: &Diagnostic) {
        self.printed += 1;
        for line in d.render() {
            (self.log)(&LogLine::error(String::from_utf8_lossy(&line).into_owned()));
        }
    }

    fn record(&mut self, entry: Entry, _origin: Origin) {
        match entry.record {
            Record::Lease(l) => {
                for line in self.engine.load_leases([l]) {
                    (self.log)(&line);
                }
            }
            other => self.carried.apply(&other),
        }
    }
}

/// Looks up the host names of `fixed-address` lists (IPv4 addresses only),
/// logging ISC's line for each that does not resolve. Done once, before
/// serving: a lookup blocks, and ISC's own lookups block its loop too.
fn resolve_names(names: &[String], log: &mut dyn FnMut(&LogLine)) -> HashMap<String, Vec<Ipv4Addr>> {
    use std::net::{SocketAddr, ToSocketAddrs};
    let mut resolved = HashMap::new();
    for name in names {
        let found: Vec<Ipv4Addr> = match (name.as_str(), 0).to_socket_addrs() {
            Ok(addrs) => {
                let mut v4 = Vec::new();
                for a in addrs {
                    if let SocketAddr::V4(a) = a {
                        if !v4.contains(a.ip()) {
                            v4.push(*a.ip());
                        }
                    }
                }
                v4
            }
            Err(_) => Vec::new(),
        };
        if found.is_empty() {
            log(&LogLine::error(format!("{name}: host unknown.")));
        } else {
            resolved.insert(name.clone(), found);
        }
    }
    resolved
}

/// Reads the lease file at `path` into a new engine for `config` and
/// starts it at `now`. Every line ISC would log on the way goes to `log`.
pub fn load(config: Arc<Config>, path: &Path, now: Now, log: &mut dyn FnMut(&LogLine)) -> Result<Loaded, StartupError> {
    let mut source = LeaseSource::open(path).map_err(|e| match e {
        StoreError::Io { path, source, .. } => StartupError::Open { path, error: source },
        other => StartupError::Fatal(other.to_string()),
    })?;
    let facts = config_facts(&config);
    let mut engine: ServerEngine = Engine::new(Arc::clone(&config), IscEvaluator::new(), Vec::new());
    let names = crate::engine::hosts::fixed_address_names(&config);
    if !names.is_empty() {
        engine.set_fixed_address_names(resolve_names(&names, log));
    }
    let mut carried = LeaseFileState::default();
    let name = path.to_string_lossy().into_owned();
    let mut sink = LoadSink { engine: &mut engine, carried: &mut carried, log, printed: 0 };
    let read = read_stream(&name, &mut source, ReadOptions { now: now.wall, config: Some(&facts) }, &mut sink);
    let printed = sink.printed;
    match read {
        Ok(_) => {}
        Err(StreamError::Io(error)) => return Err(StartupError::Read { path: path.to_path_buf(), error }),
        Err(StreamError::Fatal(e)) => {
            for d in e.diagnostics.iter().skip(printed) {
                for line in d.render() {
                    log(&LogLine::error(String::from_utf8_lossy(&line).into_owned()));
                }
            }
            return Err(StartupError::Fatal(e.message));
        }
    }
    // ISC's hash code complains of each empty client identifier it is given.
    for _ in engine.leases().filter(|l| l.uid.as_ref().is_some_and(|u| u.is_empty())) {
        log(&LogLine::error("Unexpected hash function at hash.c:46."));
    }
    *engine.failover_mut() = failover::peers(&config, &carried.failover, now);
    let started = engine.start(now.wall);
    for line in &started.logs {
        log(line);
    }
    // Hosts created or deleted through OMAPI live in the lease file.
    for line in hostfile::apply(carried.hosts.iter(), &mut engine) {
        log(&LogLine::error(line));
    }
    Ok(Loaded { engine, carried, commands: started.commands })
}

/// How the server writes its lease file: the configuration's formats,
/// fsync unless `dont-use-fsync`, records batched per loop turn.
pub fn store_options(config: &Config, now: i64) -> StoreOptions {
    StoreOptions {
        write: write_options(config, now),
        policy: Policy::group(std::time::Duration::ZERO),
        fsync: !config.postconf.dont_use_fsync,
        owner: None,
    }
}

/// The startup rewrite: the complete state as the new lease file, opened
/// for appending. Returns the store and the number of leases written.
pub fn create_store(path: &Path, loaded: &Loaded, options: StoreOptions, now: Now) -> Result<(LeaseStore, usize), StoreError> {
    let failover: Vec<_> = loaded.engine.failover().iter().map(|p| p.state_record()).collect();
    let c = &loaded.carried;
    let content = Rewrite {
        classes: c.classes.iter().filter(|x| x.dynamic).collect(),
        groups: c.groups.iter().filter(|g| g.dynamic || (g.is_static && g.deleted)).collect(),
        hosts: c.hosts.iter().collect(),
        failover: failover.iter().collect(),
        leases: loaded.engine.leases().filter(|l| l.is_interesting()).collect(),
        server_duid: c.server_duid.as_deref(),
    };
    let (store, written) = LeaseStore::create(path, &content, options, now.mono)?;
    Ok((store, written.leases))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::parser::MemLoader;
    use crate::lease::file::read_lease_file;
    use std::collections::BTreeMap;
    use std::net::Ipv4Addr;

    fn config(text: &str) -> Arc<Config> {
        let loader = MemLoader(vec![("d.conf".into(), text.as_bytes().to_vec())]);
        Arc::new(crate::conf::check_config("d.conf", &loader).config.expect("config"))
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("dhcpd-startup-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Our startup and ISC's on the same files keep the same leases in the
    /// same states (ISC's rewrite was captured with ISC 4.4.3).
    #[test]
    fn the_startup_rewrite_keeps_what_isc_keeps() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/leases/startup");
        let conf = std::fs::read_to_string(data.join("nofo.conf")).unwrap();
        let dir = scratch("nofo");
        let path = dir.join("dhcpd.leases");
        std::fs::copy(data.join("nofo.leases"), &path).unwrap();
        // The capture's clock: leases ending in 2020 had expired, 2028 had not.
        let now = Now { mono: std::time::Instant::now(), wall: 1_700_000_000, wall_micros: 0 };
        let cfg = config(&conf);
        let mut lines = Vec::new();
        let loaded = load(Arc::clone(&cfg), &path, now, &mut |l| lines.push(l.text.clone())).unwrap();
        let expected_out = std::fs::read_to_string(data.join("nofo.isc-out")).unwrap();
        for l in &lines {
            assert!(expected_out.lines().any(|e| e == l), "{l:?} not in ISC's output:\n{expected_out}");
        }
        let (store, written) = create_store(&path, &loaded, store_options(&cfg, now.wall), now).unwrap();
        drop(store);
        let isc = std::fs::read(data.join("nofo.isc-rewrite")).unwrap();
        let isc: BTreeMap<Ipv4Addr, _> = read_lease_file("isc", &isc, ReadOptions::at(now.wall))
            .unwrap()
            .leases()
            .map(|l| (l.ip, (l.binding_state, l.ends, l.hardware.clone(), l.uid.clone())))
            .collect();
        let ours = std::fs::read(&path).unwrap();
        let ours: BTreeMap<Ipv4Addr, _> = read_lease_file("ours", &ours, ReadOptions::at(now.wall))
            .unwrap()
            .leases()
            .map(|l| (l.ip, (l.binding_state, l.ends, l.hardware.clone(), l.uid.clone())))
            .collect();
        assert_eq!(written, isc.len());
        assert_eq!(ours, isc);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_file_is_an_open_error_and_an_empty_one_is_fine() {
        let dir = scratch("missing");
        let cfg = config("subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n");
        let now = Now { mono: std::time::Instant::now(), wall: 1_700_000_000, wall_micros: 0 };
        let path = dir.join("dhcpd.leases");
        assert!(matches!(load(Arc::clone(&cfg), &path, now, &mut |_| {}), Err(StartupError::Open { .. })));
        std::fs::write(&path, b"").unwrap();
        let loaded = load(Arc::clone(&cfg), &path, now, &mut |_| {}).unwrap();
        let (_store, written) = create_store(&path, &loaded, store_options(&cfg, now.wall), now).unwrap();
        assert_eq!(written, 0);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# The format of this file is documented"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
