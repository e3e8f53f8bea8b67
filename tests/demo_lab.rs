//! `make demo` (`scripts/demo-lab.sh`) run for real, so the README's first command keeps
//! working: a failover pair from a seed config and real DHCP clients in namespaces the
//! script creates and deletes.
//!
//! * ISC's dhcpd on both sides: the pair reaches normal, every client the machine has
//!   (dhclient, udhcpc, dhcpcd) is bound, renews and releases, the servers log each
//!   release, and the script's namespaces are gone afterwards;
//! * our dhcpd as the primary next to ISC's secondary (a mixed pair, the script's default), and
//!   ours on both sides: the same checks.
//!
//! A custom harness (no libtest): a case that cannot run here (not root, a tool missing) is reported as skipped, loudly, and counted in the closing line.

mod netlab;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const OURS: &str = env!("CARGO_BIN_EXE_dhcpd");
const ISC: &str = "/usr/sbin/dhcpd";
/// The script bounds itself with DEMO_TIMEOUT; this is the test's own bound on top.
const DEMO_TIMEOUT_S: u64 = 240;
const HARD_TIMEOUT: Duration = Duration::from_secs(DEMO_TIMEOUT_S + 30);

enum Verdict {
    Pass,
    Skip(String),
}
type Outcome = Result<Verdict, String>;

/// What one run of the script left behind.
struct Run {
    status: Option<i32>,
    out: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo-lab.sh")
}

/// Namespaces named after the script's pid (`dl-PID-*`) that still exist.
fn leftovers(pid: u32) -> Vec<String> {
    let prefix = format!("dl-{pid}-");
    let out = Command::new("ip").args(["netns", "list"]).output();
    out.map(|o| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(&prefix))
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Runs the demo with the given primary and secondary binaries; stdout and stderr go to a
/// file (no pipe to fill). On overrun the script gets SIGTERM (its trap cleans up), then
/// SIGKILL; namespaces it left are deleted here and reported as a failure.
fn run_demo(primary: &str, secondary: &str) -> Result<Run, String> {
    let dir = std::env::temp_dir().join(format!("demo-lab-test-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let log = dir.join(format!("out-{}-{}", primary.replace('/', "_"), secondary.replace('/', "_")));
    let file = fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new("bash")
        .arg(script())
        .env("DHCPD", primary)
        .env("DHCPD_PEER", secondary)
        .env("DEMO_TIMEOUT", DEMO_TIMEOUT_S.to_string())
        .env_remove("KEEP")
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("bash {}: {e}", script().display()))?;
    let pid = child.id();
    let mut status = netlab::wait_for(HARD_TIMEOUT, || child.try_wait().ok().flatten());
    if status.is_none() {
        // SAFETY: kill on the pid of our own child, which has not been reaped.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        status = netlab::wait_for(Duration::from_secs(20), || child.try_wait().ok().flatten());
        if status.is_none() {
            let _ = child.kill();
            status = child.wait().ok();
        }
    }
    let out = fs::read_to_string(&log).unwrap_or_default();
    let _ = fs::remove_dir_all(&dir);
    let left = leftovers(pid);
    for ns in &left {
        let _ = Command::new("ip").args(["netns", "del", ns]).status();
    }
    if !left.is_empty() {
        return Err(format!("the script left namespaces behind: {left:?}\n{out}"));
    }
    Ok(Run { status: status.and_then(|s| s.code()), out })
}

/// The clients the script will find on this machine, by the name it prints.
fn clients() -> Vec<&'static str> {
    let mut c = Vec::new();
    if netlab::which("dhclient").is_some() {
        c.push("dhclient");
    }
    c.push("udhcpc");
    if netlab::which("dhcpcd").is_some() {
        c.push("dhcpcd");
    }
    c
}

fn count(out: &str, pred: impl Fn(&str) -> bool) -> usize {
    out.lines().filter(|l| pred(l)).count()
}

/// The whole story ran: pair normal, each client bound, renewed and released.
fn check_full_run(run: &Run) -> Result<(), String> {
    let fail = |what: &str| Err(format!("{what}\n--- demo output ---\n{}", run.out));
    if run.status != Some(0) {
        return fail(&format!("exit status {:?}, expected 0", run.status));
    }
    if count(&run.out, |l| l.contains("Both servers normal")) < 2 {
        return fail("the pair never logged `Both servers normal` on both sides");
    }
    let cs = clients();
    for c in &cs {
        if !run.out.lines().any(|l| l.contains(&format!("   {c} is bound to "))) {
            return fail(&format!("{c} was never bound"));
        }
        let renew = |l: &str| {
            l.contains(&format!(" ({c}): "))
                && ["RENEW ", "renew ", "BOUND ", "bound ", "REBIND "].iter().any(|e| l.contains(&format!("): {e}")))
        };
        if count(&run.out, renew) != 1 {
            return fail(&format!("{c} did not renew"));
        }
        if count(&run.out, |l| l.contains(&format!(" ({c}) sent DHCPRELEASE for "))) != 1 {
            return fail(&format!("{c} did not release"));
        }
    }
    if count(&run.out, |l| l.contains("| DHCPRELEASE of ") && l.contains("(found)")) != cs.len() {
        return fail("the servers did not log one DHCPRELEASE (found) per client");
    }
    if netlab::which("omshell").is_some() && !run.out.contains("local-state normal, partner-state normal") {
        return fail("omshell did not show both servers normal");
    }
    Ok(())
}

fn needs_isc() -> Option<String> {
    if !Path::new(ISC).is_file() {
        return Some(format!("{ISC} (ISC dhcpd) is not installed"));
    }
    netlab::prerequisites(&["busybox", "unshare", "bash"])
}

fn isc_pair() -> Outcome {
    let run = run_demo(ISC, ISC)?;
    check_full_run(&run)?;
    Ok(Verdict::Pass)
}

fn mixed_pair() -> Outcome {
    let run = run_demo(OURS, ISC)?;
    check_full_run(&run)?;
    Ok(Verdict::Pass)
}

fn ours_pair() -> Outcome {
    let run = run_demo(OURS, OURS)?;
    check_full_run(&run)?;
    Ok(Verdict::Pass)
}

struct Case {
    name: &'static str,
    run: fn() -> Outcome,
}

const CASES: &[Case] = &[
    Case { name: "isc_pair_acquires_renews_releases", run: isc_pair },
    Case { name: "mixed_pair_ours_primary_isc_secondary", run: mixed_pair },
    Case { name: "ours_pair", run: ours_pair },
];

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for case in CASES.iter().filter(|c| filter.as_deref().map_or(true, |f| c.name.contains(f))) {
        let outcome = match needs_isc() {
            Some(why) => Ok(Verdict::Skip(why)),
            None => std::panic::catch_unwind(case.run).unwrap_or_else(|_| Err("panicked".into())),
        };
        match outcome {
            Ok(Verdict::Pass) => {
                println!("test {} ... ok", case.name);
                passed += 1;
            }
            Ok(Verdict::Skip(why)) => {
                println!("test {} ... SKIPPED: {why}", case.name);
                eprintln!("!!!!! demo_lab: {} NOT RUN: {why} !!!!!", case.name);
                skipped += 1;
            }
            Err(msg) => {
                println!("test {} ... FAILED\n{msg}", case.name);
                failed += 1;
            }
        }
    }
    println!("\ndemo_lab: {passed} passed, {failed} failed, {skipped} skipped");
    std::process::exit(if failed > 0 { 1 } else { 0 });
}
