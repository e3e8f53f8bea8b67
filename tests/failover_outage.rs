//! Failover through an outage and from a fresh start, with real clients,
//! against the real ISC dhcpd 4.4.3, in network namespaces this test creates
//! (see `netlab`); no traffic leaves them.
//!
//! Both servers run the real serving command line (`dhcpd -f -d -cf .. -lf
//! .. -pf .. IFACE`) on one segment with busybox udhcpc clients, each in its
//! own namespace. Every scenario runs first with ISC's dhcpd in both roles,
//! as the reference, then with ours in the roles under test; each run checks
//! its own outcome against ISC's rules and its facts (own state moves, log
//! lines, lease times) are compared with the reference's.
//!
//! * `outage-*` (`failover_outage/outage.rs`): one server is killed while
//!   clients are bound; the survivor serves alone (communications-
//!   interrupted: renewals with MCLT-limited lease times, new clients only
//!   from its own free leases), is put in partner-down through OMAPI and
//!   then serves from the whole pool after the MCLT; the dead server comes
//!   back through recover and both lease files agree on every binding. The
//!   secondary survives and the primary returns with its lease file; then
//!   the primary survives and the secondary returns with its database lost
//!   (an empty lease file); each time ISC+ISC, ours surviving ISC, ISC
//!   surviving ours, ours+ours.
//! * `fresh-*` (`failover_outage/fresh.rs`): a new pair from empty lease
//!   files without the partner-down dance, started together and with the
//!   primary alone first.
//!
//! `FAILOVER_OUTAGE_FULL=1` adds the two other combinations of survivor and
//! lost database, and the restart variant of partner-down (a configuration
//! state block, which the lease file's record overrides, then the block
//! appended to the lease file) for both survivors, every pairing each (about
//! five more minutes). `FAILOVER_OUTAGE_VERBOSE=1` prints every log
//! and, on failure, both lease files. `cargo test --test failover_outage --
//! fresh` runs the cases whose name contains `fresh` (and the ISC+ISC
//! reference of their group).
//!
//! The runs of one group go in parallel, each in its own lab; the default
//! run takes about two and a half minutes.
//!
//! A custom harness (no libtest): a case that cannot run here (not root, ISC,
//! busybox or omshell missing) is reported as skipped, loudly.

#[path = "failover_outage/fresh.rs"]
mod fresh;
mod netlab;
#[path = "failover_outage/outage.rs"]
mod outage;
#[path = "failover_outage/pair.rs"]
mod pair;
#[path = "failover_isc/seeds.rs"]
#[allow(dead_code)]
mod seeds;

use pair::Impl;

/// A run's result: its facts and what it printed.
type Run<F> = Result<(F, String), String>;

/// Runs every job in its own thread and returns the results in order.
fn parallel<T: Send>(jobs: Vec<Box<dyn FnOnce() -> T + Send + '_>>) -> Vec<T> {
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|j| s.spawn(j)).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("a run panicked"))).collect()
    })
}

struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Tally {
    fn report(&mut self, name: &str, r: Result<String, String>) {
        match r {
            Ok(notes) => {
                println!("test {name} ... ok");
                print!("{notes}");
                self.passed += 1;
            }
            Err(msg) => {
                println!("test {name} ... FAILED\n{msg}");
                self.failed += 1;
            }
        }
    }
}

fn tag(i: Impl) -> &'static str {
    match i {
        Impl::Isc => "isc",
        Impl::Ours => "ours",
    }
}

/// The pairings: ISC+ISC first (the reference), then ours in each role and in both.
const PAIRINGS: [(Impl, Impl); 4] =
    [(Impl::Isc, Impl::Isc), (Impl::Ours, Impl::Isc), (Impl::Isc, Impl::Ours), (Impl::Ours, Impl::Ours)];

/// Compares a run's facts with the reference's, field by field as `Debug`.
fn compare<F: std::fmt::Debug + PartialEq>(label: &str, reference: &Run<F>, got: Run<F>) -> Result<String, String> {
    let (facts, notes) = got?;
    match reference {
        Ok((r, _)) if *r == facts => Ok(notes),
        Ok((r, _)) => Err(format!("{label} differs from ISC+ISC:\n  ISC+ISC: {r:?}\n  this:    {facts:?}\n{notes}")),
        Err(_) => Err(format!("the ISC+ISC reference failed, nothing to compare with\n{notes}")),
    }
}

/// Runs the reference (the first plan) and every other plan `filter`
/// selects, in parallel; reports the reference, then each other run
/// compared with it.
fn group<P: Copy + Send, F: std::fmt::Debug + PartialEq + Send>(
    what: &str,
    plans: Vec<(String, P)>,
    filter: &Option<String>,
    run: fn(P, &mut String) -> Result<F, String>,
    tally: &mut Tally,
) {
    let wanted: Vec<(String, P)> = plans
        .into_iter()
        .enumerate()
        .filter(|(i, (n, _))| *i == 0 || filter.as_deref().map_or(true, |f| n.contains(f)))
        .map(|(_, p)| p)
        .collect();
    if wanted.len() < 2 && filter.as_deref().is_some_and(|f| !wanted[0].0.contains(f)) {
        return;
    }
    let jobs: Vec<Box<dyn FnOnce() -> Run<F> + Send>> = wanted
        .iter()
        .map(|&(_, plan)| {
            Box::new(move || {
                let mut notes = String::new();
                run(plan, &mut notes).map(|f| (f, notes))
            }) as Box<dyn FnOnce() -> Run<F> + Send>
        })
        .collect();
    let mut results = parallel(jobs).into_iter();
    let reference = results.next().expect("reference");
    tally.report(&wanted[0].0, reference.as_ref().map(|(_, n)| n.clone()).map_err(Clone::clone));
    for ((name, _), r) in wanted[1..].iter().zip(results) {
        tally.report(name, compare(what, &reference, r));
    }
}

fn fresh_plans(alone: bool) -> Vec<(String, (Impl, Impl, bool))> {
    let variant = if alone { "alone" } else { "together" };
    PAIRINGS.iter().map(|&(p, s)| (format!("fresh-{variant}-{}-{}", tag(p), tag(s)), (p, s, alone))).collect()
}

fn fresh_run((p, s, alone): (Impl, Impl, bool), notes: &mut String) -> Result<fresh::Facts, String> {
    fresh::run(p, s, alone, notes).map(|(f, _)| f)
}

fn plans(primary_survives: bool, database_lost: bool, method: outage::Method) -> Vec<(String, outage::Plan)> {
    PAIRINGS
        .iter()
        .map(|&(primary, secondary)| outage::Plan { primary, secondary, primary_survives, method, database_lost })
        .map(|p| (format!("outage-{}", p.tag()), p))
        .collect()
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let full = std::env::var_os("FAILOVER_OUTAGE_FULL").is_some();
    let mut tally = Tally { passed: 0, failed: 0, skipped: 0 };
    let why = netlab::prerequisites(&["busybox", "omshell"])
        .or_else(|| (!std::path::Path::new(pair::ISC).is_file()).then(|| format!("{} is not installed", pair::ISC)));
    if let Some(why) = why {
        println!("test failover_outage (every case) ... SKIPPED: {why}");
        eprintln!("!!!!! failover_outage: NOT RUN: {why} !!!!!");
        tally.skipped += 1;
    } else {
        group("the fresh start", fresh_plans(false), &filter, fresh_run, &mut tally);
        group("the fresh start", fresh_plans(true), &filter, fresh_run, &mut tally);
        group("the outage", plans(false, false, outage::Method::Omapi), &filter, outage::run, &mut tally);
        group("the outage", plans(true, true, outage::Method::Omapi), &filter, outage::run, &mut tally);
        if full {
            group("the outage", plans(true, false, outage::Method::Omapi), &filter, outage::run, &mut tally);
            group("the outage", plans(false, true, outage::Method::Omapi), &filter, outage::run, &mut tally);
            group("the outage", plans(false, false, outage::Method::Restart), &filter, outage::run, &mut tally);
            group("the outage", plans(true, false, outage::Method::Restart), &filter, outage::run, &mut tally);
        } else {
            println!("(FAILOVER_OUTAGE_FULL=1 adds partner-down by restarting the survivor)");
        }
    }
    println!("\nfailover_outage: {} passed, {} failed, {} skipped", tally.passed, tally.failed, tally.skipped);
    std::process::exit(if tally.failed > 0 { 1 } else { 0 });
}
