//! Failover safety under faults, on the wire: two serving dhcpd (ours and ISC's 4.4.3 in every
//! pairing) with real clients, under a seeded random schedule of faults, every DHCPACK captured.
//!
//! The measurement of `isc-failover-under-faults.md`, repeated with ours in it. Per pairing
//! (ours+ours, ours primary with ISC secondary, ISC primary with ours secondary, and ISC+ISC as
//! the reference) one run:
//!
//! 1. both servers start from empty lease files on their namespaces' links (the real command
//!    line) and reach normal (`failover_faults/lab.rs` has the topology and settings: split 128,
//!    MCLT 60, max-response-delay 10, max-unacked-updates 10, load balance max seconds 3, 30 s
//!    leases, a pool of 36);
//! 2. 24 long-lived busybox udhcpc clients acquire and renew every 15 s throughout, and 4 more
//!    leave (DHCPRELEASE) and come back or are replaced by new clients;
//! 3. the schedule (`failover_faults/schedule.rs`) runs: SIGKILL and restart of a server,
//!    SIGSTOP/SIGCONT, the failover TCP connection destroyed (`ss -K`, a RST to the other end), a
//!    partition of the failover link that heals while both keep serving, a crash and restart
//!    inside a partition; each once in a random order, then more while time is left;
//! 4. the pair is given up to 75 s to be normal again, clients keep renewing 5 s more, then they
//!    are killed (keeping their leases), the updates get 4 s to settle, and both servers are
//!    stopped: a lease a stale update lost is still missing then;
//! 5. the captures and lease files are measured (`failover_faults/analysis.rs`, whose module doc
//!    defines every figure): double bindings and whom they are attributed to, stale updates
//!    applied, and leases a client still held that a lease file lost.
//!
//! **Attribution.** A double binding is attributed to a server when that server made the second
//! binding (its DHCPACK started it) while it knew of the first one (it had ACKed that binding
//! itself, or applied the partner's BNDUPD for it: a positive BNDACK it sent) and the two servers
//! had not since agreed the address was free (no non-ACTIVE BNDUPD for it applied by either side
//! after the allocator last learnt of the binding). If they had agreed, the partner is blamed
//! (it told or accepted a stale "free"); if the allocator was never told, nobody's rule was
//! broken by the allocator. A server applied a *stale update* when it stored a non-ACTIVE BNDUPD
//! for an address whose binding it knew was still alive and the client still held.
//!
//! **Fails** when ours + ours has any double binding, stale update or lost lease (missing from,
//! or ending early in, either file), or not normal again 75 s after the last fault; when a mixed
//! pairing has a double binding attributed to our side or our side applied a stale update.
//! ISC + ISC is the reference: its figures are reported, never failed on. A run that cannot
//! measure (the pair never reaches normal at the start) fails in every pairing.
//!
//! The default run is one schedule per pairing (every fault kind once, then more while 60 s
//! last), all four pairings at once: they share nothing but the CPU and need little of it.
//! `FAILOVER_FAULTS_SEED=N` replays a schedule (the same seed is used for every pairing, so
//! their figures compare); `FAILOVER_FAULTS_LONG=1` runs three seeds of 180 s per pairing;
//! `FAILOVER_FAULTS_SECS=N` sets the length; `FAILOVER_FAULTS_JOBS=N` runs N pairings at once;
//! `FAILOVER_FAULTS_VERBOSE=1` prints both servers' logs. `cargo test --test failover_faults --
//! ours` runs the pairings whose name contains `ours`. The figures measured so far are in
//! `docs/failover.md` (Under faults).
//!
//! A custom harness (no libtest), so that a run that cannot happen here (not root, ISC or busybox
//! missing) is reported as skipped, loudly.

#[path = "failover_faults/analysis.rs"]
mod analysis;
#[path = "failover_faults/capture.rs"]
mod capture;
#[path = "failover_faults/lab.rs"]
mod lab;
mod netlab;
#[path = "failover_faults/schedule.rs"]
mod schedule;

use std::time::Duration;

use dhcpd::lease::file::{read_lease_file, ReadOptions};
use dhcpd::lease::records::LeaseFileState;

use analysis::{Blame, Findings};
use capture::Origin;
use lab::PairLab;
use schedule::Action;

/// Who runs which role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pairing {
    OursOurs,
    OursPrimary,
    IscPrimary,
    IscIsc,
}

impl Pairing {
    const ALL: [Pairing; 4] = [Pairing::OursOurs, Pairing::OursPrimary, Pairing::IscPrimary, Pairing::IscIsc];

    fn tag(self) -> &'static str {
        match self {
            Pairing::OursOurs => "ours+ours",
            Pairing::OursPrimary => "ours(primary)+ISC",
            Pairing::IscPrimary => "ISC(primary)+ours",
            Pairing::IscIsc => "ISC+ISC",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Pairing::OursOurs => "ours-ours",
            Pairing::OursPrimary => "ours-primary-isc",
            Pairing::IscPrimary => "isc-primary-ours",
            Pairing::IscIsc => "isc-isc",
        }
    }

    /// Per role: ISC's dhcpd.
    fn isc(self) -> [bool; 2] {
        match self {
            Pairing::OursOurs => [false, false],
            Pairing::OursPrimary => [false, true],
            Pairing::IscPrimary => [true, false],
            Pairing::IscIsc => [true, true],
        }
    }
}

/// One run's result.
struct Run {
    pairing: Pairing,
    seed: u64,
    faults: Vec<String>,
    findings: Findings,
    /// Seconds from the last fault's end to both servers normal, if they got there.
    back_to_normal: Option<f64>,
    /// Why the run fails (empty: it passes).
    failures: Vec<String>,
    /// Details for a failure or the verbose output.
    details: String,
    /// How long the run took, seconds.
    took: f64,
}

fn io<T>(r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

fn read_leases(path: &str) -> Result<LeaseFileState, String> {
    let bytes = io(std::fs::read(path))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    read_lease_file(path, &bytes, ReadOptions::at(now)).map(|l| l.state()).map_err(|e| format!("{path}: {e}"))
}

fn sleep_until(origin: &Origin, at: f64) {
    let left = at - origin.elapsed();
    if left > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(left));
    }
}

/// Carries out one scheduled step.
fn act(pl: &mut PairLab, a: Action) -> Result<(), String> {
    match a {
        Action::Kill(i) => pl.kill(i),
        Action::Start(i) => pl.start(i)?,
        Action::Freeze(i) => pl.signal(i, libc::SIGSTOP),
        Action::Thaw(i) => pl.signal(i, libc::SIGCONT),
        Action::Reset(i) => pl.reset(i)?,
        Action::Cut => pl.cut()?,
        Action::Heal => pl.heal()?,
        Action::ClientLeave(n) => pl.client_leave(lab::LONG_CLIENTS + n, true),
        Action::ClientJoin(n, fresh) => pl.client_join(lab::LONG_CLIENTS + n, fresh)?,
    }
    Ok(())
}

fn run(pairing: Pairing, seed: u64, secs: u32) -> Result<Run, String> {
    let mut pl = PairLab::new(pairing.name(), pairing.isc())?;
    let origin = Origin::now();
    let built = std::time::Instant::now();
    pl.start(0)?;
    pl.start(1)?;
    if pl.wait_normal(90).is_none() {
        return Err(format!("the pair never reached normal\n{}", pl.logs()));
    }
    // The pool balance reaches the secondary before clients come.
    std::thread::sleep(Duration::from_secs(3));
    for n in 0..lab::LONG_CLIENTS + lab::TRICKLE {
        pl.client_join(n, false)?;
        std::thread::sleep(Duration::from_millis(100));
    }
    let sched = schedule::generate(seed, secs, lab::TRICKLE);
    let begin = origin.elapsed() + 5.0;
    for &(at, action) in &sched.actions {
        sleep_until(&origin, begin + at);
        act(&mut pl, action)?;
    }
    sleep_until(&origin, begin + f64::from(sched.length));
    let back_to_normal = pl.wait_normal(75);
    std::thread::sleep(Duration::from_secs(5));
    for n in 0..pl.clients.len() {
        pl.client_leave(n, false);
    }
    std::thread::sleep(Duration::from_secs(4));
    let stop = origin.elapsed();
    pl.terminate(0);
    pl.terminate(1);

    let files = [read_leases(&pl.servers[0].leases)?, read_leases(&pl.servers[1].leases)?];
    let mut events = Vec::new();
    let mut exchanges = Vec::new();
    for i in 0..2 {
        events.extend(capture::dhcp_events(&pl.dhcp_caps[i].frames(), i, &origin));
        exchanges.extend(capture::exchanges(&pl.fo_caps[i].frames(), i, lab::PORT, &origin));
    }
    exchanges.sort_by(|a, b| a.received.total_cmp(&b.received));
    let findings =
        analysis::analyse(&events, &exchanges, [&files[0], &files[1]], stop, |unix| origin.wall_secs(unix as f64));

    let isc = pairing.isc();
    let names = [
        if isc[0] { "primary (ISC)" } else { "primary (ours)" },
        if isc[1] { "secondary (ISC)" } else { "secondary (ours)" },
    ];
    let ours = |s: usize| !isc[s];
    let mut failures = Vec::new();
    let mut details = String::new();
    for d in &findings.doubles {
        let (a, b) = (&findings.chains[d.first], &findings.chains[d.second]);
        let blamed = match d.blame {
            Blame::Allocator => Some(d.allocator),
            Blame::Partner => Some(1 - d.allocator),
            Blame::NotTold => None,
        };
        let line = format!(
            "double binding of {} for {:.1} s, made by {}, {}",
            d.addr,
            d.overlap,
            names[d.allocator],
            match (d.blame, blamed) {
                (Blame::NotTold, _) => "which had never been told of the first binding".to_string(),
                (Blame::Allocator, _) => "which knew of the first binding".to_string(),
                (Blame::Partner, Some(p)) => format!("after {} agreed the address was free", names[p]),
                (Blame::Partner, None) => unreachable!(),
            }
        );
        details.push_str(&format!(
            "  {line}\n    first:  {}\n    second: {}\n{}",
            analysis::describe_chain(a, names),
            analysis::describe_chain(b, names),
            analysis::describe_updates(d.addr, a.start - 5.0, b.start + 5.0, &exchanges, names)
        ));
        if pairing == Pairing::OursOurs || blamed.is_some_and(ours) {
            failures.push(line);
        }
    }
    for s in &findings.stale {
        let x = &exchanges[s.exchange];
        let c = &findings.chains[s.chain];
        let line = format!(
            "{} applied a stale update at {:.1}s: {} state {} while {}",
            names[s.side],
            x.applied_at().unwrap_or(0.0),
            x.addr,
            x.state,
            analysis::describe_chain(c, names)
        );
        details.push_str(&format!(
            "  {line}\n{}{}",
            analysis::describe_events(x.addr, c.client, &events, names),
            analysis::describe_updates(x.addr, c.start - 5.0, x.received + 5.0, &exchanges, names)
        ));
        if ours(s.side) {
            failures.push(line);
        }
    }
    for l in &findings.lost {
        let c = &findings.chains[l.chain];
        let mut where_ = Vec::new();
        for (s, name) in names.iter().enumerate() {
            if l.missing[s] {
                where_.push(format!("missing from {name}'s file"));
            } else if l.short[s] {
                where_.push(format!("ending early in {name}'s file"));
            }
        }
        let line = format!("lost lease: {} ({})", analysis::describe_chain(c, names), where_.join(", "));
        details.push_str(&format!("  {line}\n"));
        if pairing == Pairing::OursOurs {
            failures.push(line);
        }
    }
    if back_to_normal.is_none() && pairing == Pairing::OursOurs {
        failures.push("not normal again within 75 s of the last fault".into());
    }
    if !failures.is_empty() || std::env::var_os("FAILOVER_FAULTS_VERBOSE").is_some() {
        details.push_str(&pl.logs());
    }
    Ok(Run {
        pairing,
        seed,
        faults: sched.faults.iter().map(|(t, f)| format!("+{t}s {f}")).collect(),
        findings,
        back_to_normal,
        failures,
        details,
        took: built.elapsed().as_secs_f64(),
    })
}

fn row(r: &Run) -> String {
    let f = &r.findings;
    let blamed = |who: Blame| f.doubles.iter().filter(|d| d.blame == who).count();
    let missing_in = |s: usize| f.lost.iter().filter(|l| l.missing[s]).count();
    let neither = f.lost.iter().filter(|l| l.missing[0] && l.missing[1]).count();
    let short = f.lost.iter().filter(|l| !l.missing.iter().any(|&m| m) && l.short.iter().any(|&s| s)).count();
    format!(
        "| {} | {} | {} | {} ({}/{}) | {} ({} allocator, {} partner, {} not told) | {} | {}/{} ({} in neither; {} short) | {} |",
        r.pairing.tag(),
        r.seed,
        r.faults.len(),
        f.acks,
        f.acks_by[0],
        f.acks_by[1],
        f.doubles.len(),
        blamed(Blame::Allocator),
        blamed(Blame::Partner),
        blamed(Blame::NotTold),
        f.stale.len(),
        missing_in(0),
        missing_in(1),
        neither,
        short,
        r.back_to_normal.map_or("no (75 s)".into(), |s| format!("{s:.0} s")),
    )
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    for (name, check) in [
        ("schedule-self-check", schedule::self_check as fn() -> Result<(), String>),
        ("analysis-self-check", analysis::self_check),
    ] {
        match check() {
            Ok(()) => println!("test {name} ... ok"),
            Err(e) => {
                println!("test {name} ... FAILED\n{e}");
                std::process::exit(1);
            }
        }
    }
    let long = std::env::var_os("FAILOVER_FAULTS_LONG").is_some();
    let seed: u64 = match std::env::var("FAILOVER_FAULTS_SEED") {
        Ok(s) => s.parse().unwrap_or_else(|_| panic!("FAILOVER_FAULTS_SEED={s} is not a number")),
        Err(_) => {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_secs()) % 1_000_000
        }
    };
    let (seeds, mut secs): (Vec<u64>, u32) =
        if long { ((0..3).map(|k| seed + k).collect(), 180) } else { (vec![seed], 60) };
    if let Some(s) = std::env::var("FAILOVER_FAULTS_SECS").ok().and_then(|s| s.parse().ok()) {
        secs = s;
    }
    let jobs: usize = std::env::var("FAILOVER_FAULTS_JOBS").ok().and_then(|s| s.parse().ok()).unwrap_or(4).max(1);
    println!(
        "failover_faults: seed {seed} (FAILOVER_FAULTS_SEED={seed} replays it){}",
        if long { ", long run" } else { "" }
    );

    let mut todo = Vec::new();
    let (mut failed, mut skipped) = (0, 0);
    for pairing in Pairing::ALL {
        let name = pairing.name();
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let why = netlab::prerequisites(&["busybox", "ss"]).or_else(|| {
            (pairing != Pairing::OursOurs && !std::path::Path::new(lab::ISC).is_file())
                .then(|| format!("{} is not installed", lab::ISC))
        });
        if let Some(why) = why {
            println!("test {name} ... SKIPPED: {why}");
            eprintln!("!!!!! failover_faults: {name} NOT RUN: {why} !!!!!");
            skipped += 1;
            continue;
        }
        for &s in &seeds {
            todo.push((pairing, s));
        }
    }
    for s in &seeds {
        println!("schedule {s}:");
        for (t, f) in &schedule::generate(*s, secs, lab::TRICKLE).faults {
            println!("  +{t}s {f}");
        }
    }

    let mut results: Vec<(Pairing, u64, Result<Run, String>)> = Vec::new();
    for batch in todo.chunks(jobs) {
        let handles: Vec<_> = batch.iter().map(|&(p, s)| (p, s, std::thread::spawn(move || run(p, s, secs)))).collect();
        for (p, s, h) in handles {
            let r = h.join().unwrap_or_else(|_| Err("panicked".into()));
            results.push((p, s, r));
        }
    }

    let mut table = vec![
        "| pairing | seed | faults | ACKs (primary/secondary) | double bindings | stale updates applied | lost leases: missing from primary/secondary file | normal again after the last fault |".to_string(),
        "|---|---|---|---|---|---|---|---|".to_string(),
    ];
    for (p, s, r) in &results {
        let name = format!("{}-seed{s}", p.name());
        match r {
            Ok(run) => {
                table.push(row(run));
                if run.failures.is_empty() {
                    println!("test {name} ... ok ({:.0} s)", run.took);
                } else {
                    failed += 1;
                    println!("test {name} ... FAILED ({:.0} s)", run.took);
                    for f in &run.failures {
                        println!("  {f}");
                    }
                }
                if !run.failures.is_empty() || std::env::var_os("FAILOVER_FAULTS_VERBOSE").is_some() {
                    println!("{}", run.details);
                } else {
                    // Findings that are not ours (the reference's, ISC's side of a mixed pair)
                    // are figures: their headlines only.
                    for l in run.details.lines().filter(|l| l.starts_with("  ") && !l.starts_with("   ")) {
                        println!("  {}: {}", run.pairing.tag(), l.trim_start());
                    }
                }
            }
            Err(e) => {
                failed += 1;
                println!("test {name} ... FAILED\n{e}");
            }
        }
    }
    println!("\n{}", table.join("\n"));
    let passed = results.len() - failed;
    println!("\nfailover_faults: {passed} passed, {failed} failed, {skipped} skipped");
    std::process::exit(if failed > 0 { 1 } else { 0 });
}
