//! The startup pass against ISC: each `tests/data/leases/startup/NAME` case
//! holds a config, a lease file and the file ISC 4.4.3 wrote from them after
//! its own startup pass (`capture-startup.sh`). Our pass over the same input
//! must write the same blocks in the same order, except that leases with
//! equal sort times may be listed in another order (ISC's follows its hash
//! table).

use std::net::Ipv4Addr;

use super::*;
use crate::conf::check_config;
use crate::conf::parser::FsLoader;
use crate::lease::file::{read_lease_file, ConfigFacts, ReadOptions};
use crate::lease::records::ByteOrder;
use crate::lease::write::{self, Rewrite, WriteOptions};

/// 2026-11-23 07:13:08 UTC: after every state's `at` time in the cases,
/// before every lease end in the future.
const NOW: i64 = 1_795_417_988;

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/leases/startup")
}

/// Our rewrite of a case and the addresses left without a pool.
fn ours(name: &str) -> (Vec<u8>, Vec<Ipv4Addr>) {
    let conf_path = dir().join(format!("{}.conf", name));
    let outcome = check_config(&conf_path.to_string_lossy(), &FsLoader);
    let config = outcome.config.expect("the case's config is valid");
    let facts = ConfigFacts {
        failover_peers: config
            .failover
            .peers
            .iter()
            .map(|p| (p.name.clone(), p.role == crate::conf::model_failover::FailoverRole::Primary))
            .collect(),
        classes: config.classes.iter().filter_map(|c| c.name.clone()).collect(),
    };
    let bytes = std::fs::read(dir().join(format!("{}.leases", name))).unwrap();
    let log = read_lease_file("x", &bytes, ReadOptions { now: NOW, config: Some(&facts) }).unwrap();
    let state = log.state();
    let mut map = PoolMap::from_config(&config, NOW);
    map.adopt_file_states(&state.failover);
    let (leases, orphans) = settle_leases(state.leases.into_values(), &map, NOW);
    let failover = failover_records(&map);
    let content =
        Rewrite { failover: failover.iter().collect(), leases: leases.iter().collect(), ..Rewrite::default() };
    let opts = WriteOptions { now: NOW, byte_order: ByteOrder::LittleEndian, ..WriteOptions::default() };
    let mut out = Vec::new();
    write::rewrite(&mut out, &content, &opts).unwrap();
    (out, orphans)
}

/// The file with each run of consecutive leases sharing a queue and a sort
/// time put in address order (the one freedom we take).
fn normalised(text: &[u8]) -> String {
    let log = read_lease_file("x", text, ReadOptions::at(NOW)).unwrap();
    let text = String::from_utf8_lossy(text).into_owned();
    let first = text.find("\nlease ").map_or(text.len(), |i| i + 1);
    let mut out = text[..first].to_string();
    let blocks: Vec<&str> = text[first..].split_inclusive("\n}\n").collect();
    let leases: Vec<_> = log.leases().collect();
    assert_eq!(blocks.len(), leases.len());
    let key = |i: usize| {
        let l = leases[i];
        let slot = Slot::of(l, 0);
        (slot.queue(), l.ends)
    };
    let mut i = 0;
    while i < blocks.len() {
        let mut j = i;
        while j < blocks.len() && key(j) == key(i) {
            j += 1;
        }
        let mut run: Vec<(u32, &str)> = (i..j).map(|k| (u32::from(leases[k].ip), blocks[k])).collect();
        run.sort();
        for (_, b) in run {
            out.push_str(b);
        }
        i = j;
    }
    out
}

fn isc_orphans(name: &str) -> Vec<Ipv4Addr> {
    let text = std::fs::read_to_string(dir().join(format!("{}.isc-out", name))).unwrap();
    let mut v: Vec<Ipv4Addr> =
        text.lines().filter_map(|l| l.strip_prefix("lease ")?.strip_suffix(": no subnet.")?.parse().ok()).collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn our_startup_pass_writes_what_isc_writes() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_string_lossy().strip_suffix(".conf").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 7, "{:?}", names);
    for name in names {
        let (out, mut orphans) = ours(&name);
        let isc = std::fs::read(dir().join(format!("{}.isc-rewrite", name))).unwrap();
        assert_eq!(normalised(&out), normalised(&isc), "case {}", name);
        orphans.sort();
        assert_eq!(orphans, isc_orphans(&name), "case {}", name);
    }
}

#[test]
fn ranges_are_looked_up_exactly() {
    let pools = vec![PoolInfo { peer: None, listed: true }; 3];
    let a = |s: &str| s.parse::<Ipv4Addr>().unwrap();
    let map = PoolMap::new(
        vec![
            (a("10.0.0.20"), a("10.0.0.10"), 0),
            (a("10.0.0.30"), a("10.0.0.40"), 1),
            (a("10.0.0.35"), a("10.0.0.50"), 2),
        ],
        pools,
        Vec::new(),
    );
    assert_eq!(map.pool_of(a("10.0.0.9")), None);
    assert_eq!(map.pool_of(a("10.0.0.10")), Some(0), "a range given high to low");
    assert_eq!(map.pool_of(a("10.0.0.20")), Some(0));
    assert_eq!(map.pool_of(a("10.0.0.25")), None);
    assert_eq!(map.pool_of(a("10.0.0.36")), Some(1), "the first range declared keeps an address");
    assert_eq!(map.pool_of(a("10.0.0.41")), Some(2));
    assert_eq!(map.pool_of(a("10.0.0.51")), None);
    assert_eq!(map.pool_of(a("255.255.255.255")), None);
}
