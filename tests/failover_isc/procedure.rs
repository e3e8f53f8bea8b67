//! The French seed's bootstrap procedure (`fr-*-partner-down.conf`), step by
//! step as its text gives it, run with any mix of ISC and ours: both servers
//! get `my state partner-down` in their configuration; the primary starts
//! alone; the secondary starts; the primary is stopped, its state block
//! commented out, restarted; the same for the secondary. What matters is
//! what each server does at each step, so the state changes each side logs
//! are collected per step and compared between ISC and ours in the same role.

use std::time::{Duration, Instant};

use super::netlab::{Lab, ProcId};
use super::{io, seeds, Side};

/// The state lines (`I move ...`, `peer moves ...`, `Both servers ...`) a
/// server logged, with the relationship name cut off.
fn state_lines(lab: &Lab, id: ProcId) -> Vec<String> {
    lab.proc(id)
        .stderr
        .all()
        .into_iter()
        .filter_map(|l| l.strip_prefix("failover peer GSB: ").map(str::to_string))
        .filter(|l| l.starts_with("I move") || l.starts_with("peer moves") || l.starts_with("Both servers"))
        .collect()
}

/// Waits until neither process has logged a new state line for `quiet`
/// (at most `limit`); returns every state line of each.
fn settle(lab: &Lab, ids: &[Option<ProcId>], quiet: Duration, limit: Duration) -> Vec<Vec<String>> {
    let start = Instant::now();
    let mut last = Vec::new();
    let mut since = Instant::now();
    loop {
        let now: Vec<Vec<String>> = ids.iter().map(|id| id.map_or_else(Vec::new, |id| state_lines(lab, id))).collect();
        if now != last {
            last = now;
            since = Instant::now();
        }
        if since.elapsed() >= quiet || start.elapsed() >= limit {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What one step made each server log: (step, primary's lines, secondary's lines).
pub type Step = (&'static str, Vec<String>, Vec<String>);

/// Runs the procedure with ISC (`true`) or ours in each role.
pub fn run(primary_isc: bool, secondary_isc: bool) -> Result<Vec<Step>, String> {
    let fr = seeds::all().into_iter().find(|s| s.name == "fr").ok_or("no fr seed")?;
    let (p_down, s_down) = seeds::fr_partner_down();
    let tag = format!("{}-{}", if primary_isc { "isc" } else { "ours" }, if secondary_isc { "isc" } else { "ours" });
    let mut lab = io(Lab::new(&format!("fo-frproc-{tag}")))?;
    let pns = io(lab.netns("p"))?;
    let sns = io(lab.netns("s"))?;
    io(lab.veth((&pns, "p0"), (&sns, "s0")))?;
    io(lab.addr(&pns, "p0", fr.primary_cidr))?;
    io(lab.addr(&sns, "s0", fr.secondary_cidr))?;
    let write = |lab: &Lab, name: &str, text: &str| -> Result<String, String> {
        let p = lab.dir().join(name);
        io(std::fs::write(&p, text))?;
        Ok(p.to_string_lossy().into_owned())
    };
    let mut primary = Side {
        ns: pns,
        dev: "p0",
        conf: write(&lab, "primary.conf", &p_down)?,
        leases: write(&lab, "primary.leases", "")?,
        pid: lab.dir().join("primary.pid").to_string_lossy().into_owned(),
        isc: primary_isc,
    };
    let mut secondary = Side {
        ns: sns,
        dev: "s0",
        conf: write(&lab, "secondary.conf", &s_down)?,
        leases: write(&lab, "secondary.leases", "")?,
        pid: lab.dir().join("secondary.pid").to_string_lossy().into_owned(),
        isc: secondary_isc,
    };
    // Startup lasts 15 s without a partner (a server alone waits it out);
    // MCLT is 3 s.
    let quiet = Duration::from_secs(6);
    let alone = Duration::from_secs(20);
    let limit = Duration::from_secs(60);
    let mut steps = Vec::new();
    let count = |lab: &Lab, id: Option<ProcId>| id.map_or(0, |id| state_lines(lab, id).len());
    let mut record = |lab: &Lab, step: &'static str, ids: [Option<ProcId>; 2], before: [usize; 2], quiet: Duration| {
        let got = settle(lab, &ids, quiet, limit);
        let mut it = got.into_iter();
        let pl: Vec<String> = it.next().unwrap_or_default().into_iter().skip(before[0]).collect();
        let sl: Vec<String> = it.next().unwrap_or_default().into_iter().skip(before[1]).collect();
        steps.push((step, pl, sl));
    };

    // 3) the primary alone, in partner-down by its configuration.
    let p1 = primary.start(&mut lab)?;
    record(&lab, "primary starts alone", [Some(p1), None], [0, 0], alone);
    // 5) the secondary starts, also configured partner-down.
    let before = [count(&lab, Some(p1)), 0];
    let s1 = secondary.start(&mut lab)?;
    record(&lab, "secondary starts", [Some(p1), Some(s1)], before, quiet);
    // 6-8) the primary restarts without the state block.
    let before = [0, count(&lab, Some(s1))];
    lab.stop(p1, libc::SIGTERM, Duration::from_secs(5));
    record(&lab, "primary stopped", [None, Some(s1)], before, quiet);
    primary.conf = write(&lab, "primary.conf", &fr.primary)?;
    let before = [0, count(&lab, Some(s1))];
    let p2 = primary.start(&mut lab)?;
    record(&lab, "primary restarts plain", [Some(p2), Some(s1)], before, quiet);
    // 9-11) the secondary restarts without the state block.
    let before = [count(&lab, Some(p2)), 0];
    lab.stop(s1, libc::SIGTERM, Duration::from_secs(5));
    record(&lab, "secondary stopped", [Some(p2), None], before, quiet);
    secondary.conf = write(&lab, "secondary.conf", &fr.secondary)?;
    let before = [count(&lab, Some(p2)), 0];
    let s2 = secondary.start(&mut lab)?;
    record(&lab, "secondary restarts plain", [Some(p2), Some(s2)], before, quiet);
    Ok(steps)
}

/// Own moves only (`I move ...`): the part of a server's log that depends
/// on its own decisions, not on how the two logs interleave.
pub fn own_moves(lines: &[String]) -> Vec<&str> {
    lines.iter().filter(|l| l.starts_with("I move")).map(String::as_str).collect()
}
