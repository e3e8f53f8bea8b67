//! Damaged and hostile input: torn tails at every byte, generated garbage,
//! mutated ISC files, and ISC's exact messages on broken files.

use super::{messages, opts, read, read_at, show, CAPTURE_NOW};
use crate::lease::file::{read_lease_file, ReadOptions};
use crate::lease::records::LeaseLog;
use crate::lease::write;

// ----- damage ------------------------------------------------------------------

/// Offsets just past each lease's closing brace.
fn lease_ends(text: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut i = 0;
    while let Some(p) = find(&text[i..], b"\n}\n") {
        ends.push(i + p + 2);
        i += p + 3;
    }
    ends
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn a_torn_last_record_is_dropped_and_named() {
    let full = data!("isc-rewrite-fr-primary-sync.leases");
    let first_lease = find(full, b"\nlease ").unwrap() + 1;
    let ends: Vec<usize> = lease_ends(full).into_iter().filter(|&e| e > first_lease).collect();
    let (mut torn_cuts, mut clean_cuts) = (0, 0);
    for cut in first_lease..full.len() {
        let log = read_at("dhcpd.leases", &full[..cut], CAPTURE_NOW);
        let complete = ends.iter().filter(|&&e| e <= cut).count();
        assert_eq!(log.leases().count(), complete, "cut at {}", cut);
        let last_end = ends.iter().copied().filter(|&e| e <= cut).max().unwrap_or(first_lease);
        let tail: Vec<u8> = full[last_end..cut].iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
        // A partial keyword ("lea") is the start of a record cut short too.
        let partial_keyword = tail.len() < 5 && b"lease".starts_with(&tail);
        let inside = !tail.is_empty();
        if inside {
            torn_cuts += 1;
            let torn = log.torn.as_ref().unwrap_or_else(|| panic!("cut at {}: {:?}", cut, messages(&log)));
            if partial_keyword {
                assert_eq!(torn.what, format!("a record starting `{}`", String::from_utf8_lossy(&tail)));
            } else {
                assert!(torn.what.starts_with("lease "), "{:?}", torn);
            }
            assert!(!messages(&log).iter().any(|m| m.starts_with("Corrupt")), "{:?}", messages(&log));
            assert!(
                messages(&log).iter().any(|m| m.starts_with("dhcpd.leases line ") && m.contains("torn write")),
                "{:?}",
                messages(&log)
            );
        } else {
            clean_cuts += 1;
            assert_eq!(log.torn, None, "cut at {}", cut);
        }
    }
    assert!(torn_cuts > 500 && clean_cuts > 3, "{} {}", torn_cuts, clean_cuts);
}

#[test]
fn a_torn_failover_block_is_dropped() {
    let text = "failover peer \"a\" state {\n  my state normal at 1 2026/11/23 05:30:57;\n  partner sta";
    let log = read(text.as_bytes());
    assert!(log.entries.is_empty());
    assert_eq!(log.torn.as_ref().map(|t| t.line), Some(1));
}

/// A small deterministic generator (xorshift) so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "lease",
    "10.0.0.1",
    "{",
    "}",
    ";",
    "starts",
    "ends",
    "tstp",
    "tsfp",
    "atsfp",
    "cltt",
    "binding",
    "state",
    "next",
    "rewind",
    "active",
    "free",
    "backup",
    "abandoned",
    "hardware",
    "ethernet",
    "00:11:22",
    "uid",
    "\"x\\001\"",
    "set",
    "a",
    "=",
    "%",
    "5",
    "true",
    "on",
    "expiry",
    "or",
    "release",
    "option",
    "agent.circuit-id",
    "failover",
    "peer",
    "\"p\"",
    "my",
    "partner",
    "at",
    "never",
    "epoch",
    "6 2012/10/27 15:37:03",
    "mclt",
    "host",
    "group",
    "class",
    "subclass",
    "dynamic",
    "deleted",
    "server-duid",
    "authoring-byte-order",
    "little-endian",
    "billing",
    "client-hostname",
    "#",
    "\n",
    "\"",
    "\\",
    "\u{ff}",
    "-",
    ":",
    ".",
    "ia-na",
    "timestamp",
    "reserved",
    "\"p\\\"q\"",
    "\"two words\"",
    "\"\"",
];

fn soup(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(80) {
        if rng.below(8) == 0 {
            out.push(rng.next() as u8);
        } else {
            out.extend_from_slice(WORDS[rng.below(WORDS.len())].as_bytes());
        }
        out.push(if rng.below(4) == 0 { b'\n' } else { b' ' });
    }
    out
}

/// Whatever we accept we can write, and writing what we read settles:
/// after one rewrite (which, like ISC's, fills in defaults such as a `tstp`
/// that an error left at 0), reading and writing again changes nothing.
fn assert_stable(bytes: &[u8]) {
    let Ok(log) = read_lease_file("f", bytes, ReadOptions::at(CAPTURE_NOW)) else {
        return;
    };
    let emit = |log: &LeaseLog| -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for e in &log.entries {
            write::append_record(&mut out, &e.record, &opts()).ok()?;
        }
        Some(out)
    };
    let Some(first) = emit(&log) else {
        return;
    };
    let second_log = read(&first);
    assert!(second_log.diagnostics.is_empty(), "{:?} from {:?}", messages(&second_log), show(&first));
    let second = emit(&second_log).expect("writable");
    let third = emit(&read(&second)).expect("writable");
    assert_eq!(show(&third), show(&second), "input {:?}", show(bytes));
}

#[test]
fn garbage_never_panics_and_accepted_records_are_stable() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..4000 {
        let bytes = soup(&mut rng);
        assert_stable(&bytes);
    }
    for _ in 0..2000 {
        let n = rng.below(300);
        let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        assert_stable(&bytes);
    }
}

#[test]
fn mutated_isc_files_never_panic_and_stay_stable() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let base = data!("isc-rewrite-rich.leases");
    for _ in 0..1500 {
        let mut b = base.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(b.len());
            match rng.below(3) {
                0 => b[at] = rng.next() as u8,
                1 => {
                    b.remove(at);
                }
                _ => b.insert(at, b"{};\"\\#\n 0:"[rng.below(10)]),
            }
        }
        assert_stable(&b);
    }
}

// ----- ISC's messages ---------------------------------------------------------

/// Every `tests/data/leases/errors/NAME.leases` was read by ISC dhcpd
/// 4.4.3-P1 (`dhcpd -T` with `fr-primary.conf`: failover peer "GSB" as
/// primary, no classes); `NAME.isc` holds what it printed while parsing.
/// We must print the same lines, apart from our own note on a torn tail.
#[test]
fn messages_match_isc_on_broken_files() {
    use crate::lease::file::ConfigFacts;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/leases/errors");
    let facts = ConfigFacts { failover_peers: vec![("GSB".into(), true)], classes: vec![] };
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".leases").map(String::from))
        .collect();
    names.sort();
    assert!(names.len() >= 16);
    let mut failures = Vec::new();
    for name in &names {
        let bytes = std::fs::read(dir.join(format!("{}.leases", name))).unwrap();
        let expected = std::fs::read(dir.join(format!("{}.isc", name))).unwrap();
        let file = format!("{}.leases", name);
        let log = read_lease_file(&file, &bytes, ReadOptions { now: CAPTURE_NOW, config: Some(&facts) }).unwrap();
        let mut got = Vec::new();
        for d in &log.diagnostics {
            if d.at.is_none() && d.message.contains("torn write") {
                continue;
            }
            for line in d.render() {
                got.extend_from_slice(&line);
                got.push(b'\n');
            }
        }
        if got != expected {
            failures.push(format!("== {}\n-- ISC:\n{}-- ours:\n{}", name, show(&expected), show(&got)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
