//! Crash test of the lease store: a writer process is killed with SIGKILL at
//! random points, 200 times, and after every kill the lease file must load
//! cleanly and hold every lease the writer had reported committed.
//!
//! This file is its own writer (the test target has `harness = false`):
//! run as `lease_crash child DIR BASE SEED`, it does what a server does with
//! its lease file — load it, rewrite it at startup, then commit leases one
//! at a time and in groups, with a full rewrite every few hundred commits —
//! and prints `C <ip> <seq>` on stdout after each commit *returned*, i.e.
//! after the fsync covering it. Each lease carries its sequence number as
//! `set seq = %N;`, so the parent can tell which version of an address the
//! file holds. Addresses are reused, so later versions replace earlier ones.
//!
//! The parent (run without arguments, as `cargo test` does) starts the
//! child, kills it after a random 0–60 ms (during its startup rewrite, a
//! commit, a group flush or an hourly rewrite), reads everything it printed,
//! and checks the file: it loads with no message other than a torn-record
//! warning, and for every address the file's `seq` is at least the last one
//! reported. `LEASE_CRASH_SEED` replays a run; `LEASE_CRASH_ITERATIONS`
//! changes the count.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dhcpd::lease::file::ReadOptions;
use dhcpd::lease::journal::Policy;
use dhcpd::lease::records::{LeaseFileState, Record};
use dhcpd::lease::store::{self, LeaseStore, StoreOptions};
use dhcpd::lease::write::{Rewrite, WriteOptions};
use dhcpd::lease::{BindingState, BindingValue, HardwareAddr, Lease};

/// Distinct addresses the writer cycles through.
const ADDRESSES: u64 = 512;
/// Commits between the writer's full rewrites.
const REWRITE_EVERY: u64 = 300;

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A small deterministic generator (xorshift64*), so a failing run can be
/// replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn ip_of(seq: u64) -> Ipv4Addr {
    let n = seq % ADDRESSES;
    Ipv4Addr::new(10, 9, (n / 256) as u8, (n % 256) as u8)
}

fn seq_of(l: &Lease) -> Option<u64> {
    match l.binding("seq") {
        Some(BindingValue::Numeric(n)) => u64::try_from(*n).ok(),
        _ => None,
    }
}

fn lease(seq: u64, now: i64) -> Lease {
    let mut l = Lease::new(ip_of(seq));
    l.starts = now;
    l.ends = now + 3600;
    l.tstp = l.ends;
    l.cltt = now;
    l.binding_state = BindingState::Active;
    l.next_binding_state = BindingState::Free;
    l.rewind_binding_state = Some(BindingState::Active);
    l.hardware = Some(HardwareAddr { htype: 1, addr: seq.to_be_bytes()[2..].to_vec() });
    l.uid = Some(seq.to_be_bytes().to_vec());
    l.client_hostname = Some(format!("client-{}", seq).into_bytes());
    l.set_binding("seq", BindingValue::Numeric(seq as i64));
    l
}

fn load_clean(path: &Path) -> Result<LeaseFileState, String> {
    let log = store::load(path, ReadOptions::at(now_secs())).map_err(|e| e.to_string())?;
    let msgs: Vec<String> = log.diagnostics.iter().map(|d| d.headline()).collect();
    let bad = || format!("{} does not load cleanly: {:?} dropped {:?}", path.display(), msgs, log.dropped);
    if !log.dropped.is_empty() {
        return Err(bad());
    }
    match &log.torn {
        None if msgs.is_empty() => {}
        None => return Err(bad()),
        Some(t) => {
            // The parser's own complaints about the cut record, then ours,
            // which names the file and the line where the record starts.
            let place = format!("{} line {}:", path.display(), t.line);
            let last = msgs.last().cloned().unwrap_or_default();
            if !(last.starts_with(&place) && last.ends_with("(torn write); dropped.")) {
                return Err(bad());
            }
            let before_cut = log.diagnostics.iter().any(|d| d.at.as_ref().is_some_and(|(_, p)| p.line < t.line));
            if before_cut {
                return Err(bad());
            }
        }
    }
    Ok(log.state())
}

/// The writer: what a server does with its lease file, reporting each
/// commit after it returned.
fn child(dir: &Path, base: u64, seed: u64) -> Result<(), String> {
    let path = dir.join("dhcpd.leases");
    let now = now_secs();
    let mut state = if path.exists() { load_clean(&path)? } else { LeaseFileState::default() };
    let options = StoreOptions {
        write: WriteOptions { now, ..WriteOptions::default() },
        policy: Policy::group(Duration::from_millis(2)),
        ..StoreOptions::default()
    };
    let (mut st, _) =
        LeaseStore::create(&path, &Rewrite::from_state(&state), options, Instant::now()).map_err(|e| e.to_string())?;
    let out = std::io::stdout();
    let mut out = out.lock();
    writeln!(out, "R").and_then(|()| out.flush()).map_err(|e| e.to_string())?;
    let mut rng = Rng(seed | 1);
    let mut seq = base;
    loop {
        let group = if rng.below(2) == 0 { 1 } else { 1 + rng.below(16) };
        let mut pending = Vec::new();
        for _ in 0..group {
            seq += 1;
            let l = lease(seq, now);
            st.append(&Record::Lease(l.clone()), Instant::now()).map_err(|e| e.to_string())?;
            pending.push(l);
        }
        st.flush(Instant::now()).map_err(|e| e.to_string())?;
        for l in pending {
            writeln!(out, "C {} {}", l.ip, seq_of(&l).unwrap_or(0)).map_err(|e| e.to_string())?;
            state.leases.insert(l.ip, l);
        }
        out.flush().map_err(|e| e.to_string())?;
        if seq / REWRITE_EVERY != (seq - group) / REWRITE_EVERY {
            st.rewrite(&Rewrite::from_state(&state), Instant::now()).map_err(|e| e.to_string())?;
        }
    }
}

/// Simulates a power cut after the kill: bytes past the last record the
/// writer reported committed may not have reached the disk, so the file is
/// cut at a random point among them (often inside a record). Everything up
/// to that record was fsynced and must survive.
fn power_cut(path: &Path, max_reported: u64, rng: &mut Rng) -> Result<(), String> {
    let text = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut durable_end = 0;
    let mut at = 0;
    while let Some(p) = find(&text[at..], b"set seq = %") {
        let start = at + p + b"set seq = %".len();
        let digits = text[start..].iter().take_while(|b| b.is_ascii_digit()).count();
        let seq: u64 = std::str::from_utf8(&text[start..start + digits]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
        let end = find(&text[start..], b"\n}\n").map_or(text.len(), |e| start + e + 3);
        if seq <= max_reported {
            durable_end = durable_end.max(end);
        }
        at = start;
    }
    if durable_end < text.len() {
        let cut = durable_end + rng.below((text.len() - durable_end) as u64 + 1) as usize;
        let f = std::fs::OpenOptions::new().write(true).open(path).map_err(|e| e.to_string())?;
        f.set_len(cut as u64).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parent() -> Result<(), String> {
    let seed = std::env::var("LEASE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64));
    let iterations: u64 = std::env::var("LEASE_CRASH_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    eprintln!("lease_crash: {} kills, LEASE_CRASH_SEED={}", iterations, seed);
    let dir = std::env::temp_dir().join(format!("dhcpd-rs-lease-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("dhcpd.leases");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut rng = Rng(seed | 1);
    // The newest version of each address the writer reported committed.
    let mut reported: HashMap<Ipv4Addr, u64> = HashMap::new();
    let (mut commits, mut torn_seen, mut mid_startup) = (0usize, 0usize, 0usize);
    let started = Instant::now();
    let mut max_reported = 0u64;
    for iter in 0..iterations {
        let base = (iter + 1) * 1_000_000;
        let mut child = Command::new(&exe)
            .arg("child")
            .arg(&dir)
            .arg(base.to_string())
            .arg(rng.next().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut lines = Vec::new();
        if rng.below(4) == 0 {
            // Anywhere, the startup load and rewrite included.
            std::thread::sleep(Duration::from_micros(rng.below(60_000)));
        } else {
            // While committing: wait until the writer is ready.
            let deadline = Instant::now() + Duration::from_secs(30);
            while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                let ready = line == "R";
                lines.push(line);
                if ready {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(rng.below(20_000)));
        }
        // Child::kill sends SIGKILL.
        let _ = child.kill();
        let status = child.wait().map_err(|e| e.to_string())?;
        reader.join().map_err(|_| "reader thread panicked")?;
        lines.extend(rx.try_iter());
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        if status.code().is_some() {
            return Err(format!("iteration {}: the writer exited by itself ({:?}): {}", iter, status, err));
        }
        if !lines.iter().any(|l| l.starts_with('C')) {
            mid_startup += 1;
        }
        for line in lines.iter().filter(|l| *l != "R") {
            let mut parts = line.split(' ');
            let (Some("C"), Some(ip), Some(seq)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("iteration {}: bad line {:?}", iter, line));
            };
            let ip: Ipv4Addr = ip.parse().map_err(|_| format!("bad ip in {:?}", line))?;
            let seq: u64 = seq.parse().map_err(|_| format!("bad seq in {:?}", line))?;
            let e = reported.entry(ip).or_insert(0);
            *e = (*e).max(seq);
            max_reported = max_reported.max(seq);
            commits += 1;
        }
        if !path.exists() {
            if reported.is_empty() {
                continue;
            }
            return Err(format!("iteration {}: the lease file is gone", iter));
        }
        if rng.below(2) == 0 {
            power_cut(&path, max_reported, &mut rng)?;
        }
        let log = store::load(&path, ReadOptions::at(now_secs())).map_err(|e| e.to_string())?;
        torn_seen += log.torn.is_some() as usize;
        let state = load_clean(&path).map_err(|e| format!("iteration {}: {}", iter, e))?;
        for (ip, &want) in &reported {
            let have = state.leases.get(ip).and_then(seq_of);
            match have {
                Some(h) if h >= want && h < base + 1_000_000 => {}
                _ => {
                    return Err(format!(
                        "iteration {}: {} was reported committed at seq {} but the file has {:?} (seed {})",
                        iter, ip, want, have, seed
                    ))
                }
            }
        }
    }
    eprintln!(
        "lease_crash: {} kills in {:.1} s, {} commits reported, {} kills before the first commit, {} torn tails dropped",
        iterations,
        started.elapsed().as_secs_f64(),
        commits,
        mid_startup,
        torn_seen
    );
    if commits == 0 {
        return Err("the writer never committed anything: the test tested nothing".into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        let dir = PathBuf::from(args.get(2).cloned().unwrap_or_default());
        let base = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
        let seed = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1);
        if let Err(e) = child(&dir, base, seed) {
            eprintln!("writer: {}", e);
            std::process::exit(3);
        }
        return;
    }
    // `cargo test -- FILTER` passes a filter; run unless it excludes us.
    if args.iter().skip(1).any(|a| !a.starts_with('-') && !"lease_crash".contains(a.as_str())) {
        return;
    }
    if args.iter().any(|a| a == "--list") {
        println!("lease_crash: test");
        return;
    }
    match parent() {
        Ok(()) => println!("test lease_crash ... ok"),
        Err(e) => {
            eprintln!("lease_crash FAILED: {}", e);
            std::process::exit(1);
        }
    }
}
