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
use crate::conf::model::Config;
use crate::conf::model_failover::FailoverRole;
use crate::lease::date::{DateFormat, LocalZone};
use crate::lease::file::{read_lease_file, ConfigFacts, ReadOptions};
use crate::lease::records::{ClassName, LeaseFileState, Record};
use crate::lease::startup::{PoolMap, Startup};
use crate::lease::store::{self, StoreError, StoreOptions};
use crate::lease::write::{LeaseIdFormat, WriteOptions};

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
pub fn run(config: &Config, path: &OsString, log: &mut Log) -> Result<i32, CliError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let path = Path::new(path);
    let bytes = store::read_all(path).map_err(|e| match e {
        StoreError::Io { op: store::Op::Open, path, source } => {
            CliError::LeaseDatabase { path: path.into_os_string(), error: source }
        }
        StoreError::Io { path, source, .. } => CliError::LeaseRead { path: path.into_os_string(), error: source },
        other => CliError::LeaseFile(other.to_string()),
    })?;
    let facts = config_facts(config);
    let name = String::from_utf8_lossy(path.as_os_str().as_bytes()).into_owned();
    let log_result = read_lease_file(&name, &bytes, ReadOptions { now, config: Some(&facts) });
    drop(bytes);
    let file_log = match log_result {
        Ok(l) => l,
        Err(e) => {
            for d in &e.diagnostics {
                for line in d.render() {
                    log.line(&line);
                }
            }
            return Err(CliError::LeaseFile(e.message));
        }
    };
    let map = PoolMap::from_config(config, now);

    // What ISC prints while reading: each record's messages, then what it
    // did with the record.
    let mut shown = 0;
    for e in &file_log.entries {
        for d in &file_log.diagnostics[shown..e.diagnostics_through] {
            for line in d.render() {
                log.line(&line);
            }
        }
        shown = e.diagnostics_through;
        if let Record::Lease(l) = &e.record {
            if map.pool_of(l.ip).is_none() {
                log.line(format!("lease {}: no subnet.", l.ip).as_bytes());
            }
        }
    }
    for d in &file_log.diagnostics[shown..] {
        for line in d.render() {
            log.line(&line);
        }
    }
    let state = file_log.state();
    drop(file_log);

    // Putting each lease in its hashes: ISC's hash code complains of an
    // empty client identifier.
    for l in state.leases.values() {
        if l.uid.as_ref().is_some_and(|u| u.is_empty()) && map.pool_of(l.ip).is_some() {
            log.line(b"Unexpected hash function at hash.c:46.");
        }
    }

    let counts = DeclCounts::of(config, &state);
    let startup = Startup::new(config, state, now);
    let content = startup.rewrite();
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
    match store::test_rewrite(path, &content, &options) {
        Ok((temp, n)) => {
            log.line(format!("Wrote {} leases to leases file.", n).as_bytes());
            let mut line = b"Lease file test successful, removing temp lease file: ".to_vec();
            line.extend_from_slice(temp.as_os_str().as_bytes());
            log.line(&line);
        }
        // ISC logs why it could not create the file and still exits 0.
        Err(StoreError::Io { op: store::Op::Create, source, .. }) => {
            log.line(
                format!("Can't create new lease file: {}", crate::conf::parser::os_error_text(&source)).as_bytes(),
            );
        }
        Err(StoreError::Format { error, .. }) => {
            log.line(
                format!("write_lease: unable to write lease {}", error.record.trim_start_matches("lease ")).as_bytes(),
            );
        }
        Err(e) => log.line(e.to_string().as_bytes()),
    }
    Ok(0)
}

/// The counts ISC logs while rewriting; `None` where it logs nothing
/// (it logs a kind only when its table exists: some class, named group or
/// host was declared in the configuration or the lease file).
struct DeclCounts {
    classes: Option<usize>,
    groups: Option<usize>,
    deleted_hosts: Option<usize>,
}

impl DeclCounts {
    fn of(config: &Config, state: &LeaseFileState) -> DeclCounts {
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
}
