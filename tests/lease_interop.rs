//! Our rewritten lease files in the hands of the tools built for ISC's.
//!
//! For each case, the lease file goes through our startup exactly as a
//! server start would run it (load, ISC's startup pass, [`LeaseStore::create`]
//! writing the new file through `PATH.<time>` and a rename), and then:
//!
//! * `dhcpd-pools -c CONF -l OURS` must report the same pool usage as for
//!   ISC's own file. The inputs are files ISC wrote itself after its startup
//!   pass (its rewrites), so ISC's state and ours must agree exactly.
//! * ISC's `dhcpd -T` must read our file without a single complaint and
//!   count the same leases as it does for its own file.
//!
//! Without `dhcpd-pools` or ISC's `dhcpd` the corresponding checks are
//! skipped with a message on stderr (CI installs both).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use dhcpd::cli::lease_test::{config_facts, write_options};
use dhcpd::conf::{check_config, parser::FsLoader};
use dhcpd::lease::file::ReadOptions;
use dhcpd::lease::startup::Startup;
use dhcpd::lease::store::{self, LeaseStore, StoreOptions};

const ISC: &str = "/usr/sbin/dhcpd";
const POOLS: &str = "/usr/bin/dhcpd-pools";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (config, a lease file ISC wrote after its own startup pass).
fn cases() -> Vec<(PathBuf, PathBuf)> {
    let data = root().join("tests/data/leases");
    let seeds = root().join("conformance/seeds");
    let mut v = vec![
        (data.join("isc-rich.conf"), data.join("isc-rewrite-rich.leases")),
        (seeds.join("fr-primary.conf"), data.join("isc-rewrite-fr-primary-sync.leases")),
        (seeds.join("fr-secondary.conf"), data.join("isc-rewrite-fr-secondary-sync.leases")),
        (seeds.join("fr-secondary.conf"), data.join("isc-rewrite-failover-merge.leases")),
    ];
    for e in std::fs::read_dir(data.join("startup")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "conf") {
            v.push((p.clone(), p.with_extension("isc-rewrite")));
        }
    }
    v.sort();
    v
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(tag: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("dhcpd-rs-interop-{}-{}", tag, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// Our startup on a copy of `leases` in `dir`; returns the rewritten file.
fn our_startup(conf: &Path, leases: &Path, dir: &Path) -> (PathBuf, usize) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let config = check_config(&conf.to_string_lossy(), &FsLoader).config.expect("valid config");
    let path = dir.join("dhcpd.leases");
    std::fs::copy(leases, &path).unwrap();
    let facts = config_facts(&config);
    let log = store::load(&path, ReadOptions { now, config: Some(&facts) }).unwrap();
    let startup = Startup::new(&config, log.state(), now);
    let options = StoreOptions { write: write_options(&config, now), ..StoreOptions::default() };
    let (_store, done) = LeaseStore::create(&path, &startup.rewrite(), options, Instant::now()).unwrap();
    (path, done.leases)
}

/// ISC's `-T` on `leases` (a copy): status, everything it printed after
/// the paths, and its lease count.
fn isc_test(conf: &Path, leases: &Path, dir: &Path) -> (i32, Vec<String>, usize) {
    let copy = dir.join("isc-copy.leases");
    std::fs::copy(leases, &copy).unwrap();
    let out = Command::new(ISC)
        .args(["-4", "-T", "-cf"])
        .arg(conf)
        .arg("-lf")
        .arg(&copy)
        .arg("-pf")
        .arg(dir.join("pid"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<String> = text.lines().skip(7).map(str::to_string).collect();
    let count = lines
        .iter()
        .find_map(|l| l.strip_prefix("Wrote ")?.strip_suffix(" leases to leases file.")?.parse().ok())
        .expect("ISC reports its lease count");
    let _ = std::fs::remove_file(&copy);
    (out.status.code().unwrap_or(-1), lines, count)
}

fn pools(conf: &Path, leases: &Path) -> String {
    let out = Command::new(POOLS).arg("-c").arg(conf).arg("-l").arg(leases).output().unwrap();
    assert!(
        out.status.success(),
        "dhcpd-pools failed on {}: {}",
        leases.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn dhcpd_pools_reports_the_same_usage_for_our_rewrite() {
    if !Path::new(POOLS).exists() {
        eprintln!("SKIPPED: {} is not installed (apt-get install dhcpd-pools); pool usage not compared", POOLS);
        return;
    }
    let s = scratch("pools");
    for (conf, isc_file) in cases() {
        let (ours, _) = our_startup(&conf, &isc_file, &s.0);
        let (a, b) = (pools(&conf, &isc_file), pools(&conf, &ours));
        assert_eq!(a, b, "dhcpd-pools on ISC's {} vs our rewrite of it", isc_file.display());
        assert!(a.contains("All networks"), "{}", a);
    }
}

#[test]
fn isc_reads_our_rewrites_without_complaint_and_counts_the_same_leases() {
    if !Path::new(ISC).exists() {
        eprintln!("SKIPPED: {} is not installed; ISC's reading of our files not checked", ISC);
        return;
    }
    let s = scratch("isc");
    let data = root().join("tests/data/leases");
    // ISC's live logs too: our rewrite of them must read as ISC's own do.
    let mut all = cases();
    all.push((data.join("lab-primary.conf"), data.join("lab-primary.leases")));
    all.push((data.join("lab-secondary.conf"), data.join("lab-secondary.leases")));
    all.push((data.join("isc-rich.conf"), data.join("isc-input-rich.leases")));
    for (conf, isc_file) in all {
        let (ours, our_count) = our_startup(&conf, &isc_file, &s.0);
        let (status, lines, count) = isc_test(&conf, &ours, &s.0);
        assert_eq!(status, 0, "{}: {:?}", isc_file.display(), lines);
        let complaints: Vec<&String> =
            lines.iter().filter(|l| !l.starts_with("Wrote ") && !l.starts_with("Lease file test successful")).collect();
        assert!(complaints.is_empty(), "ISC complains about our rewrite of {}: {:?}", isc_file.display(), complaints);
        let (_, _, isc_own) = isc_test(&conf, &isc_file, &s.0);
        assert_eq!(count, isc_own, "lease count, our rewrite vs ISC's file, {}", isc_file.display());
        assert_eq!(our_count, isc_own, "our own count for {}", isc_file.display());
    }
}
