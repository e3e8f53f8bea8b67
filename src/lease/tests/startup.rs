//! The startup pass against ISC: each `tests/data/leases/startup/NAME` case
//! holds a config, a lease file and the file ISC 4.4.3 wrote from them after
//! its own startup pass (`capture-startup.sh`). Our pass over the same input
//! must write the same blocks in the same order, except that leases with
//! equal sort times may be listed in another order (ISC's follows its hash
//! table).

use std::net::Ipv4Addr;

use super::*;
use crate::conf::check_config;
use crate::conf::model::Config;
use crate::conf::parser::FsLoader;
use crate::lease::file::{read_lease_file, ConfigFacts, ReadOptions};
use crate::lease::index::LeaseIndex;
use crate::lease::records::{ByteOrder, Entry};
use crate::lease::scan::LeaseBlock;
use crate::lease::stream::{read_stream, Origin, Sink};
use crate::lease::write::{self, Rewrite, WriteOptions};

/// 2026-11-23 07:13:08 UTC: after every state's `at` time in the cases,
/// before every lease end in the future.
const NOW: i64 = 1_795_417_988;

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/leases/startup")
}

/// A case's configuration.
fn config_of(name: &str) -> Config {
    let conf_path = dir().join(format!("{}.conf", name));
    check_config(&conf_path.to_string_lossy(), &FsLoader).config.expect("the case's config is valid")
}

fn facts_of(config: &Config) -> ConfigFacts {
    ConfigFacts {
        failover_peers: config
            .failover
            .peers
            .iter()
            .map(|p| (p.name.clone(), p.role == crate::conf::model_failover::FailoverRole::Primary))
            .collect(),
        classes: config.classes.iter().filter_map(|c| c.name.clone()).collect(),
    }
}

/// Our rewrite of a case and the addresses left without a pool.
fn ours(name: &str) -> (Vec<u8>, Vec<Ipv4Addr>) {
    let bytes = std::fs::read(dir().join(format!("{}.leases", name))).unwrap();
    rewrite_whole(&config_of(name), &bytes, NOW)
}

/// The rewrite of `bytes` at `now` from whole leases (as a server starts).
fn rewrite_whole(config: &Config, bytes: &[u8], now: i64) -> (Vec<u8>, Vec<Ipv4Addr>) {
    let facts = facts_of(config);
    let log = read_lease_file("x", bytes, ReadOptions { now, config: Some(&facts) }).unwrap();
    let state = log.state();
    let mut map = PoolMap::from_config(config, now);
    map.adopt_file_states(&state.failover);
    let (leases, orphans) = settle_leases(state.leases.into_values(), &map, now);
    let failover = failover_records(&map);
    let content =
        Rewrite { failover: failover.iter().collect(), leases: leases.iter().collect(), ..Rewrite::default() };
    let opts = WriteOptions { now, byte_order: ByteOrder::LittleEndian, ..WriteOptions::default() };
    let mut out = Vec::new();
    write::rewrite(&mut out, &content, &opts).unwrap();
    (out, orphans)
}

/// The rewrite of `bytes` at `now` through the [`LeaseIndex`] (as
/// `dhcpd -T` does it), how many reads of the file it took and how many
/// bytes they read.
fn rewrite_indexed(config: &Config, bytes: &[u8], now: i64) -> (Vec<u8>, usize, usize) {
    struct IndexSink<'a>(LeaseIndex, &'a PoolMap);
    impl Sink for IndexSink<'_> {
        fn record(&mut self, entry: Entry, _: Origin) {
            self.0.add(entry, self.1);
        }
        fn fast_lease(&mut self, block: &LeaseBlock<'_>, offset: u64, _: u32, _: usize) {
            self.0.add_block(block, offset, self.1);
        }
    }
    let facts = facts_of(config);
    let mut map = PoolMap::from_config(config, now);
    let mut sink = IndexSink(LeaseIndex::default(), &map);
    read_stream("x", &mut &bytes[..], ReadOptions { now, config: Some(&facts) }, &mut sink).unwrap();
    let mut index = sink.0;
    index.forget_addresses();
    map.adopt_file_states(&index.others.failover);
    let order = settle(&mut index.slots, &map, now);
    let opts = WriteOptions { now, byte_order: ByteOrder::LittleEndian, ..WriteOptions::default() };
    let mut out = Vec::new();
    write::header(&mut out, &opts);
    for f in failover_records(&map) {
        write::failover_state(&mut out, &f, &opts).unwrap();
    }
    let (mut reads, mut read_bytes) = (0, 0);
    let mut read = |offset: u64, b: &mut [u8]| {
        reads += 1;
        read_bytes += b.len();
        b.copy_from_slice(&bytes[offset as usize..offset as usize + b.len()]);
        Ok::<(), ()>(())
    };
    let mut emit = |parts: &[&[u8]]| {
        parts.iter().for_each(|p| out.extend_from_slice(p));
        Ok(())
    };
    index.write_leases(&order, &opts, &mut read, &mut emit).unwrap();
    (out, reads, read_bytes)
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
fn the_index_writes_what_whole_leases_write() {
    // `dhcpd -T` keeps a few facts per lease and copies blocks back from the
    // file; a server start holds every lease whole. Both must write the
    // same file: on each case's input (read by the full reader), on ISC's
    // rewrite of it (in the fast path's layout, some blocks changed by the
    // pass), on both in one file (later records replacing earlier ones,
    // fast and slow mixed), on the rewrite with wrong weekdays in every
    // other block (read fast, but printed anew), and ten years later (every
    // active lease expired).
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_string_lossy().strip_suffix(".conf").map(str::to_string))
        .collect();
    names.sort();
    for name in names {
        let config = config_of(&name);
        let input = std::fs::read(dir().join(format!("{}.leases", name))).unwrap();
        let rewrite = std::fs::read(dir().join(format!("{}.isc-rewrite", name))).unwrap();
        let skewed = String::from_utf8_lossy(&rewrite)
            .split_inclusive("\n}\n")
            .enumerate()
            .map(|(k, b)| if k % 2 == 1 { weekday_off(b) } else { b.to_string() })
            .collect::<String>();
        let both = [&input[..], &rewrite[..]].concat();
        for (what, bytes) in
            [("input", &input[..]), ("rewrite", &rewrite[..]), ("both", &both[..]), ("skewed", skewed.as_bytes())]
        {
            for now in [NOW, NOW + 10 * 365 * 86_400] {
                let (whole, _) = rewrite_whole(&config, bytes, now);
                let (indexed, _, _) = rewrite_indexed(&config, bytes, now);
                assert_eq!(show(&indexed), show(&whole), "case {} ({}, now {})", name, what, now);
            }
        }
        assert_ne!(skewed.as_bytes(), &rewrite[..], "case {}: some weekday changed", name);
    }
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The block with the weekday of each of its dates moved on by one.
fn weekday_off(block: &str) -> String {
    block
        .lines()
        .map(|l| {
            let mut l = l.to_string();
            for kw in ["  starts ", "  ends ", "  tstp ", "  tsfp ", "  atsfp ", "  cltt "] {
                if let Some(rest) = l.strip_prefix(kw) {
                    if let Some(d) = rest.chars().next().and_then(|c| c.to_digit(10)) {
                        l = format!("{}{}{}", kw, (d + 1) % 7, &rest[1..]);
                    }
                }
            }
            l + "\n"
        })
        .collect()
}

#[test]
fn the_index_reads_blocks_near_each_other_together() {
    // 100 pools of 4 leases, in address order in the file: the writing
    // order jumps about within each pool (by end time), but a batch of
    // blocks (2 kB in tests: two pools or so) is read in a call or two, not
    // one per lease.
    let (bytes, config) = spread_file(100, 4);
    let (whole, _) = rewrite_whole(&config, &bytes, NOW);
    let (indexed, reads, read_bytes) = rewrite_indexed(&config, &bytes, NOW);
    assert_eq!(show(&indexed), show(&whole));
    assert_ne!(indexed, bytes, "the order changed");
    let batches = bytes.len() / 2048 + 1;
    assert!(reads <= 2 * batches, "{} reads for about {} batches", reads, batches);
    assert!(read_bytes <= 2 * bytes.len(), "{} bytes read", read_bytes);
}

#[test]
fn the_index_reads_scattered_blocks_without_reading_everything() {
    // One pool of 400 leases written in an order unrelated to the file's:
    // each batch's blocks lie all over the file, and what the reads bridge
    // stays within the batch's own size.
    let (bytes, config) = spread_file(1, 400);
    let (whole, _) = rewrite_whole(&config, &bytes, NOW);
    let (indexed, reads, read_bytes) = rewrite_indexed(&config, &bytes, NOW);
    assert_eq!(show(&indexed), show(&whole));
    assert!(read_bytes <= 2 * bytes.len() + 2048, "{} bytes read for {}", read_bytes, bytes.len());
    assert!(reads > 1);
}

/// A rewrite-layout file of `pools` pools of `size` active leases each,
/// in address order, whose end times are scattered; and its configuration.
fn spread_file(pools: u32, size: u32) -> (Vec<u8>, Config) {
    let dir = std::env::temp_dir().join(format!("dhcpd-rs-index-{}-{}-{}", std::process::id(), pools, size));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("dhcpd.conf");
    let net = |p: u32| Ipv4Addr::from(0x0a00_0000 + (p << 10));
    let text: String = (0..pools)
        .map(|p| {
            let (n, first, last) = (net(p), u32::from(net(p)) + 1, u32::from(net(p)) + size);
            format!(
                "subnet {} netmask 255.255.252.0 {{ range {} {}; }}\n",
                n,
                Ipv4Addr::from(first),
                Ipv4Addr::from(last)
            )
        })
        .collect();
    std::fs::write(&conf, text).unwrap();
    let config = check_config(&conf.to_string_lossy(), &FsLoader).config.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let mut leases = Vec::new();
    let total = pools * size;
    for n in 0..total {
        let mut l = crate::lease::Lease::new(Ipv4Addr::from(u32::from(net(n / size)) + 1 + n % size));
        l.starts = NOW - 100;
        l.ends = NOW + 1000 + i64::from((n * 7919) % total) * 60;
        l.tstp = l.ends;
        l.cltt = l.starts;
        l.binding_state = crate::lease::BindingState::Active;
        l.next_binding_state = crate::lease::BindingState::Free;
        l.hardware = Some(crate::lease::HardwareAddr { htype: 1, addr: vec![2, 0, 0, 0, (n >> 8) as u8, n as u8] });
        leases.push(l);
    }
    let opts = WriteOptions { now: NOW, byte_order: ByteOrder::LittleEndian, ..WriteOptions::default() };
    let mut bytes = Vec::new();
    write::rewrite(&mut bytes, &Rewrite { leases: leases.iter().collect(), ..Rewrite::default() }, &opts).unwrap();
    (bytes, config)
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
    // Addresses are numbered through the ranges as trimmed: 10.0.0.10-20,
    // then 10.0.0.30-40, then 10.0.0.41-50.
    assert_eq!(map.place(a("10.0.0.10")), Some((0, 0)));
    assert_eq!(map.place(a("10.0.0.20")), Some((0, 10)));
    assert_eq!(map.place(a("10.0.0.30")), Some((1, 11)));
    assert_eq!(map.place(a("10.0.0.41")), Some((2, 22)));
    assert_eq!(map.place(a("10.0.0.50")), Some((2, 31)));
    assert_eq!(map.place(a("10.0.0.25")), None);
}
