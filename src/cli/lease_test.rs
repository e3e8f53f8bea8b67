//! `dhcpd -T`: test the lease file as ISC does, after the configuration.
//!
//! ISC (`db_startup(1)` in `server/db.c`, then `exit(0)`) reads the whole
//! file with the configuration's checks, places each lease in its pool
//! (`lease A: no subnet.` for the others), runs its startup expiry pass,
//! writes the complete new file to `PATH.<time>` exactly as a real start
//! would, logs `Wrote N leases to leases file.` and its other counts, then
//! `Lease file test successful, removing temp lease file: PATH.<time>`,
//! removes that file and exits 0 — even when records were bad. Only a file
//! it cannot open or read is fatal. We print the same lines in the same
//! order; the file itself is never modified.
//!
//! Deliberate differences: a torn last record is dropped with our warning
//! (ISC keeps its fields and later complains of a bogus state), and
//! `on expiry` statements are not executed by the expiry pass (see
//! [`crate::lease::startup`]).

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::CliError;
use super::log::Log;
use crate::conf::diag::Diagnostic;
use crate::conf::model::Config;
use crate::conf::model_failover::FailoverRole;
use crate::conf::parser::os_error_text;
use crate::lease::date::{DateFormat, LocalZone};
use crate::lease::file::{ConfigFacts, ReadOptions};
use crate::lease::index::{IndexWriteError, LeaseIndex};
use crate::lease::records::{ClassName, Entry, FailoverStateRecord, LeaseFileState, Record};
use crate::lease::scan::LeaseBlock;
use crate::lease::startup::{failover_records, settle, PoolMap};
use crate::lease::store::{self, LeaseSource, NewFile, StoreError, StoreOptions};
use crate::lease::stream::{read_stream, Origin, Sink, StreamError};
use crate::lease::write::{self, LeaseIdFormat, WriteError, WriteOptions};

/// The facts ISC checks lease records against while reading them.
pub fn config_facts(config: &Config) -> ConfigFacts {
    ConfigFacts {
        failover_peers: config
            .failover
            .peers
            .iter()
            .map(|p| (p.name.clone(), p.role == FailoverRole::Primary))
            .collect(),
        classes: config.classes.iter().filter(|c| c.superclass.is_none()).filter_map(|c| c.name.clone()).collect(),
    }
}

/// How the configuration asks for lease files to be written.
pub fn write_options(config: &Config, now: i64) -> WriteOptions {
    WriteOptions {
        date_format: match config.db_time_format {
            crate::conf::model::DbTimeFormat::Default => DateFormat::Utc,
            crate::conf::model::DbTimeFormat::Local => DateFormat::Local(LocalZone::System),
        },
        lease_id_format: match config.lease_id_format {
            Some(crate::conf::model::LeaseIdFormat::Hex) => LeaseIdFormat::Hex,
            _ => LeaseIdFormat::Octal,
        },
        now,
        ..WriteOptions::default()
    }
}

/// Runs the lease file test on `path`; returns the exit status.
///
/// The file is read in one pass into a [`LeaseIndex`] (a few dozen bytes
/// per address), the startup pass runs on the index, and the new file is
/// written from it, copying unchanged blocks from the old file: a million
/// leases never sit in memory whole.
pub fn run(config: &Config, path: &OsString, log: &mut Log) -> Result<i32, CliError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let path = Path::new(path);
    let mut source = LeaseSource::open(path).map_err(|e| match e {
        StoreError::Io { path, source, .. } => CliError::LeaseDatabase { path: path.into_os_string(), error: source },
        other => CliError::LeaseFile(other.to_string()),
    })?;
    let facts = config_facts(config);
    let name = String::from_utf8_lossy(path.as_os_str().as_bytes()).into_owned();
    let mut map = PoolMap::from_config(config, now);
    let mut sink = TestSink { index: LeaseIndex::default(), map: &map, log, printed: 0 };
    let read = read_stream(&name, &mut source, ReadOptions { now, config: Some(&facts) }, &mut sink);
    let TestSink { mut index, printed, log, .. } = sink;
    match read {
        Ok(_) => {}
        Err(StreamError::Io(error)) => {
            return Err(CliError::LeaseRead { path: path.as_os_str().to_os_string(), error });
        }
        Err(StreamError::Fatal(e)) => {
            for d in e.diagnostics.iter().skip(printed) {
                for line in d.render() {
                    log.line(&line);
                }
            }
            return Err(CliError::LeaseFile(e.message));
        }
    }
    index.forget_addresses();
    map.adopt_file_states(&index.others.failover);

    // Putting each lease in its hashes: ISC's hash code complains of an
    // empty client identifier.
    for _ in index.empty_uid.iter().filter(|&&e| e) {
        log.line(b"Unexpected hash function at hash.c:46.");
    }

    let counts = DeclCounts::of(config, &index.others);
    let order = settle(&mut index.slots, &map, now);
    let failover = failover_records(&map);
    let options = StoreOptions {
        write: write_options(config, now),
        fsync: !config.postconf.dont_use_fsync,
        ..StoreOptions::default()
    };
    if let Some(n) = counts.classes {
        log.line(format!("Wrote {} class decls to leases file.", n).as_bytes());
    }
    if let Some(n) = counts.groups {
        log.line(format!("Wrote {} group decls to leases file.", n).as_bytes());
    }
    if let Some(n) = counts.deleted_hosts {
        log.line(format!("Wrote {} deleted host decls to leases file.", n).as_bytes());
        // ISC counts the dynamic hosts it failed to write, so this is 0.
        log.line(b"Wrote 0 new dynamic host decls to leases file.");
    }
    match write_new_file(path, &index, &order, &failover, &source, &options) {
        Ok((temp, n)) => {
            log.line(format!("Wrote {} leases to leases file.", n).as_bytes());
            let mut line = b"Lease file test successful, removing temp lease file: ".to_vec();
            line.extend_from_slice(temp.as_os_str().as_bytes());
            log.line(&line);
        }
        // ISC logs why it could not create the file and still exits 0.
        Err(StoreError::Io { op: store::Op::Create, source, .. }) => {
            log.line(format!("Can't create new lease file: {}", os_error_text(&source)).as_bytes());
        }
        Err(StoreError::Format { error, .. }) => {
            log.line(
                format!("write_lease: unable to write lease {}", error.record.trim_start_matches("lease ")).as_bytes(),
            );
        }
        Err(e) => log.line(e.to_string().as_bytes()),
    }
    // The index of a big file is freed by the exit, not piece by piece.
    std::mem::forget(index);
    Ok(0)
}

/// Prints what ISC prints while reading (each record's messages, then what
/// it did with the record) and keeps the records in the index.
struct TestSink<'a, 'l, 'w> {
    index: LeaseIndex,
    map: &'a PoolMap,
    log: &'l mut Log<'w>,
    /// Messages printed so far.
    printed: usize,
}

impl Sink for TestSink<'_, '_, '_> {
    fn diagnostic(&mut self, d: &Diagnostic) {
        self.printed += 1;
        for line in d.render() {
            self.log.line(&line);
        }
    }

    fn record(&mut self, entry: Entry, _: Origin) {
        let ip = match &entry.record {
            Record::Lease(l) => Some(l.ip),
            _ => None,
        };
        if !self.index.add(entry, self.map) {
            if let Some(ip) = ip {
                self.log.line(format!("lease {}: no subnet.", ip).as_bytes());
            }
        }
    }

    fn fast_lease(&mut self, block: &LeaseBlock<'_>, offset: u64, _: u32, _: usize) {
        if !self.index.add_block(block, offset, self.map) {
            self.log.line(format!("lease {}: no subnet.", block.ip).as_bytes());
        }
    }
}

/// Writes the complete new file to `PATH.<time>` in ISC's order, as the
/// startup rewrite would, then removes it. Returns its name and the number
/// of leases written.
fn write_new_file(
    path: &Path,
    index: &LeaseIndex,
    order: &[usize],
    failover: &[FailoverStateRecord],
    source: &LeaseSource,
    options: &StoreOptions,
) -> Result<(std::path::PathBuf, usize), StoreError> {
    let mut file = NewFile::create(path, options.owner, options.fsync)?;
    let result = (|| {
        let opts = &options.write;
        let fmt = |error| StoreError::Format { path: path.to_path_buf(), error };
        let mut buf = Vec::new();
        write::header(&mut buf, opts);
        for c in index.others.classes.iter().filter(|c| c.dynamic) {
            write::class(&mut buf, c);
        }
        for g in index.others.groups.iter().filter(|g| g.dynamic || (g.is_static && g.deleted)) {
            write::group(&mut buf, g);
        }
        let hosts = &index.others.hosts;
        for h in hosts.iter().filter(|h| !h.dynamic).chain(hosts.iter().filter(|h| h.dynamic)) {
            write::host(&mut buf, h);
        }
        for f in failover {
            write::failover_state(&mut buf, f, opts).map_err(fmt)?;
        }
        file.write(&buf)?;
        let mut read = |offset: u64, b: &mut [u8]| source.read_at(offset, b);
        let mut emit = |parts: &[&[u8]]| file.write_parts(parts);
        index.write_leases(order, opts, &mut read, &mut emit).map_err(|e| match e {
            IndexWriteError::Io(e) => e,
            IndexWriteError::Format(error) => fmt(error),
            IndexWriteError::Changed(ip) => StoreError::Format {
                path: path.to_path_buf(),
                error: WriteError { record: format!("lease {}", ip), field: "block", time: 0 },
            },
        })
    })();
    match result {
        Ok(n) => Ok((file.finish_test()?, n)),
        Err(e) => {
            file.abandon();
            Err(e)
        }
    }
}

/// The counts ISC logs while rewriting; `None` where it logs nothing
/// (it logs a kind only when its table exists: some class, named group or
/// host was declared in the configuration or the lease file).
pub(crate) struct DeclCounts {
    pub(crate) classes: Option<usize>,
    pub(crate) groups: Option<usize>,
    pub(crate) deleted_hosts: Option<usize>,
}

impl DeclCounts {
    pub(crate) fn of(config: &Config, state: &LeaseFileState) -> DeclCounts {
        let config_class = config.classes.iter().any(|c| c.superclass.is_none() && !c.deleted);
        let file_class = state.classes.iter().any(|c| matches!(c.name, ClassName::Class(_)) && !c.deleted);
        let classes = (config_class || file_class).then(|| {
            config.classes.iter().filter(|c| c.dynamic && !c.deleted).count()
                + state.classes.iter().filter(|c| c.dynamic).count()
        });
        let groups = (!config.named_groups.is_empty() || !state.groups.is_empty()).then(|| {
            config.named_groups.iter().filter(|g| g.dynamic).count()
                + state.groups.iter().filter(|g| g.dynamic || (g.is_static && g.deleted)).count()
        });
        let deleted_hosts = (!config.hosts.is_empty() || !state.hosts.is_empty()).then(|| {
            state
                .hosts
                .iter()
                .filter(|h| h.deleted && !h.dynamic && config.hosts.iter().any(|c| c.name == h.name))
                .count()
        });
        DeclCounts { classes, groups, deleted_hosts }
    }

    /// The lines ISC logs for these counts, before `Wrote N leases`.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(n) = self.classes {
            v.push(format!("Wrote {} class decls to leases file.", n));
        }
        if let Some(n) = self.groups {
            v.push(format!("Wrote {} group decls to leases file.", n));
        }
        if let Some(n) = self.deleted_hosts {
            v.push(format!("Wrote {} deleted host decls to leases file.", n));
            // ISC counts the dynamic hosts it failed to write, so this is 0.
            v.push("Wrote 0 new dynamic host decls to leases file.".to_string());
        }
        v
    }
}
