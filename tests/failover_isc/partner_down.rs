//! Forcing partner-down through `omshell`, the way the Russian seed drives OMAPI (`omapi-port
//! 7911;`, `omapi-key omapi_key;`), with ISC's dhcpd and ours paired, both serving with the real
//! command line (`dhcpd -f -d -cf -lf -pf IF`).
//!
//! One run, with ISC or ours as the server that is forced (`forced`) and as its partner
//! (`other`), in either role:
//!
//! 1. the fresh pair reaches normal;
//! 2. the partner is killed: the forced server goes communications-interrupted;
//! 3. `omshell` runs the seed's steps against the forced server (`server localhost`, `port
//!    7911`, `key omapi_key SECRET`, `connect`, `new failover-state`, `set name =
//!    "failover-dhcp"`, `open`, then `set local-state = 4`, `update`, and the object opened
//!    again to show it): the server logs `I move from communications-interrupted to
//!    partner-down` and its lease file says `my state partner-down`;
//! 4. the partner restarts from its lease file, sees partner-down (`peer moves from ... to
//!    partner-down`), recovers, and both are normal again;
//! 5. omshell sets a lease's `state` to abandoned on the forced server: the change is logged,
//!    written, and sent to the partner, whose lease file follows.
//!
//! ISC+ISC in the same roles is the reference: ours, forced or partner, logs at every step the
//! same state changes (its own and its partner's) as ISC in its place, so ISC's partner reacts
//! to our partner-down as to ISC's, and ours to ISC's as ISC's own partner would; omshell
//! prints the same for ours as for ISC, but for the two addresses ISC sends as 8 bytes of a
//! pointer (ours are the configured addresses) and the times; the lease of step 5 ends in the
//! same state in both lease files as with ISC+ISC.
//!
//! The seed's MCLT is 3600 s; the restarted partner waits out MCLT from the start of its last
//! state before it may leave recover (`recover-wait`), so the MCLT here is 30 s: long enough
//! that the wait is always seen, short enough for a test.

use std::time::{Duration, Instant};

use dhcpd::failover::FailoverState;
use dhcpd::lease::BindingState;

use super::netlab::{self, Lab, ProcId};
use super::seeds::{self, Seed};
use super::{dump, ensure, io, Outcome, Side};

/// Who is forced and who partners it.
#[derive(Clone, Copy, Debug)]
struct Mix {
    forced_isc: bool,
    other_isc: bool,
}

impl Mix {
    fn label(self) -> String {
        let who = |isc: bool| if isc { "ISC" } else { "ours" };
        format!("forced {}, partner {}", who(self.forced_isc), who(self.other_isc))
    }
}

/// What one step made each server log: (step, forced server's lines, partner's lines).
type Step = (&'static str, Vec<String>, Vec<String>);

/// What one run saw.
struct Run {
    steps: Vec<Step>,
    /// omshell's output against the forced server.
    omshell: String,
    /// Step 5: omshell's output, the forced server's `lease ... state changed` lines, and the
    /// lease's state in each lease file (forced, partner) before and after.
    abandon: (String, Vec<String>, [Option<BindingState>; 4]),
}

/// The lease step 5 changes.
const LEASE: &str = "192.168.100.33";

/// Sets the lease's binding state to abandoned (5).
fn abandon_script(secret: &str) -> String {
    format!(
        "server localhost\nport 7911\nkey omapi_key {secret}\nconnect\nnew lease\nset ip-address = {LEASE}\nopen\n\
         set state = 5\nupdate\nclose\nnew lease\nset ip-address = {LEASE}\nopen\n"
    )
}

fn lease_state(side: &Side) -> Option<BindingState> {
    let ip: std::net::Ipv4Addr = LEASE.parse().ok()?;
    side.lease_state().ok()?.leases.get(&ip).map(|l| l.binding_state)
}

/// The seed's omshell steps, and the object opened again to show what `update` did.
fn script(name: &str, secret: &str) -> String {
    format!(
        "server localhost\nport 7911\nkey omapi_key {secret}\nconnect\nnew failover-state\nset name = \"{name}\"\nopen\n\
         set local-state = 4\nupdate\nclose\nnew failover-state\nset name = \"{name}\"\nopen\n"
    )
}

/// The state lines (`I move ...`, `peer moves ...`) of a server, relationship name cut off.
fn state_lines(lab: &Lab, id: ProcId, name: &str) -> Vec<String> {
    let prefix = format!("failover peer {name}: ");
    lab.proc(id)
        .stderr
        .all()
        .into_iter()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .filter(|l| l.starts_with("I move") || l.starts_with("peer moves"))
        .collect()
}

/// Waits until neither process has logged a new state line for `quiet` (at most `limit`).
fn settle(lab: &Lab, ids: &[ProcId], name: &str, quiet: Duration, limit: Duration) {
    let start = Instant::now();
    let mut last = Vec::new();
    let mut since = Instant::now();
    while start.elapsed() < limit {
        let now: Vec<Vec<String>> = ids.iter().map(|&id| state_lines(lab, id, name)).collect();
        if now != last {
            last = now;
            since = Instant::now();
        }
        if since.elapsed() >= quiet {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The Russian seed pair as this test runs it (see the module doc for the MCLT).
fn seed() -> Result<Seed, String> {
    let mut ru = seeds::all().into_iter().find(|s| s.name == "ru").ok_or("no ru seed")?;
    ensure(ru.primary.contains("  mclt 3600;\n"), || {
        "the ru seed's MCLT changed".into()
    })?;
    ru.primary = ru.primary.replace("  mclt 3600;\n", "  mclt 30;\n");
    Ok(ru)
}

/// One run; `forced_primary` says which role is forced.
fn run(mix: Mix, forced_primary: bool) -> Result<Run, String> {
    let ru = seed()?;
    let name = ru.relationship;
    let tag = format!(
        "{}{}{}",
        if forced_primary { "p" } else { "s" },
        if mix.forced_isc { "i" } else { "o" },
        if mix.other_isc { "i" } else { "o" }
    );
    let mut lab = io(Lab::new(&format!("fo-omapi-{tag}")))?;
    let pns = io(lab.netns("p"))?;
    let sns = io(lab.netns("s"))?;
    io(lab.veth((&pns, "p0"), (&sns, "s0")))?;
    io(lab.addr(&pns, "p0", ru.primary_cidr))?;
    io(lab.addr(&sns, "s0", ru.secondary_cidr))?;
    let write = |lab: &Lab, file: &str, text: &str| -> Result<String, String> {
        let p = lab.dir().join(file);
        io(std::fs::write(&p, text))?;
        Ok(p.to_string_lossy().into_owned())
    };
    let (p_isc, s_isc) = if forced_primary {
        (mix.forced_isc, mix.other_isc)
    } else {
        (mix.other_isc, mix.forced_isc)
    };
    let primary = Side {
        ns: pns,
        dev: "p0",
        conf: write(&lab, "primary.conf", &ru.primary)?,
        leases: write(&lab, "primary.leases", "")?,
        pid: lab.dir().join("primary.pid").to_string_lossy().into_owned(),
        isc: p_isc,
    };
    let secondary = Side {
        ns: sns,
        dev: "s0",
        conf: write(&lab, "secondary.conf", &ru.secondary)?,
        leases: write(&lab, "secondary.leases", "")?,
        pid: lab.dir().join("secondary.pid").to_string_lossy().into_owned(),
        isc: s_isc,
    };
    let (forced, other) = if forced_primary {
        (&primary, &secondary)
    } else {
        (&secondary, &primary)
    };
    let quiet = Duration::from_secs(3);
    let limit = Duration::from_secs(90);
    let mut steps: Vec<Step> = Vec::new();
    let lines = |lab: &Lab, id: ProcId| state_lines(lab, id, name);

    // 1) The fresh pair reaches normal.
    let p = primary.serve(&mut lab)?;
    let s = secondary.serve(&mut lab)?;
    let (f1, o1) = if forced_primary { (p, s) } else { (s, p) };
    let all = [("forced", f1), ("partner", o1)];
    for id in [p, s] {
        super::wait_line(
            &lab,
            id,
            60,
            &format!("failover peer {name}: I move from recover-done to normal"),
            &all,
        )?;
    }
    settle(&lab, &[f1, o1], name, quiet, limit);
    steps.push(("the pair starts", lines(&lab, f1), lines(&lab, o1)));

    // 2) The partner is killed.
    let before = lines(&lab, f1).len();
    lab.stop(o1, libc::SIGKILL, Duration::from_secs(5));
    super::wait_line(
        &lab,
        f1,
        15,
        &format!("failover peer {name}: I move from normal to communications-interrupted"),
        &all,
    )?;
    settle(&lab, &[f1], name, Duration::from_secs(1), limit);
    steps.push(("the partner is killed", lines(&lab, f1)[before..].to_vec(), Vec::new()));

    // 3) omshell forces partner-down.
    let before = lines(&lab, f1).len();
    let secret = seeds::OMAPI_SECRET;
    let out = io(lab.exec_input(
        &forced.ns,
        &[super::os("omshell")],
        script(name, secret).as_bytes(),
        Duration::from_secs(20),
    ))?;
    let omshell = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let moved = format!("failover peer {name}: I move from communications-interrupted to partner-down");
    lab.proc(f1)
        .stderr
        .wait_line(Duration::from_secs(10), |l| l == moved)
        .ok_or_else(|| format!("no `{moved}`\nomshell:\n{omshell}\n{}", dump(&lab, &all)))?;
    let st = forced.lease_state()?;
    let mine = st
        .failover
        .iter()
        .find(|r| r.peer == name)
        .and_then(|r| r.me.as_ref())
        .map(|m| m.state);
    ensure(mine == Some(FailoverState::PartnerDown), || {
        format!(
            "{}'s lease file after the update says {mine:?}\n{}",
            forced.who(),
            io(std::fs::read_to_string(&forced.leases)).unwrap_or_default()
        )
    })?;
    settle(&lab, &[f1], name, Duration::from_secs(1), limit);
    steps.push((
        "omshell sets local-state 4",
        lines(&lab, f1)[before..].to_vec(),
        Vec::new(),
    ));

    // 4) The partner restarts; the pair recovers to normal.
    let before = lines(&lab, f1).len();
    let o2 = other.serve(&mut lab)?;
    let all = [("forced", f1), ("partner (restarted)", o2)];
    let both_normal = netlab::wait_for(limit, || {
        let ends_normal = |l: &[String]| {
            l.iter()
                .rev()
                .find(|l| l.starts_with("I move"))
                .is_some_and(|l| l.ends_with(" to normal"))
        };
        (ends_normal(&lines(&lab, f1)[before..]) && ends_normal(&lines(&lab, o2))).then_some(())
    });
    settle(&lab, &[f1, o2], name, quiet, limit);
    steps.push((
        "the partner restarts",
        lines(&lab, f1)[before..].to_vec(),
        lines(&lab, o2),
    ));
    if std::env::var_os("FAILOVER_ISC_VERBOSE").is_some() {
        println!(
            "---- {} ({}):\n{}",
            mix.label(),
            if forced_primary {
                "primary forced"
            } else {
                "secondary forced"
            },
            dump(&lab, &all)
        );
    }
    ensure(both_normal.is_some(), || {
        format!("the pair did not return to normal\n{}", dump(&lab, &all))
    })?;
    ensure(
        lines(&lab, o2)
            .iter()
            .any(|l| l.starts_with("peer moves from ") && l.ends_with(" to partner-down")),
        || format!("the restarted partner never saw partner-down\n{}", dump(&lab, &all)),
    )?;
    for side in [forced, other] {
        let st = side.lease_state()?;
        let rec = st.failover.iter().find(|r| r.peer == name);
        let states = rec.map(|r| (r.me.as_ref().map(|m| m.state), r.partner.as_ref().map(|m| m.state)));
        ensure(
            states == Some((Some(FailoverState::Normal), Some(FailoverState::Normal))),
            || format!("{}'s lease file ends with {states:?}", side.who()),
        )?;
    }

    // 5) omshell abandons a lease on the forced server: it is written there and sent to the
    //    partner, which writes it too.
    let before = (lease_state(forced), lease_state(other));
    let out = io(lab.exec_input(
        &forced.ns,
        &[super::os("omshell")],
        abandon_script(secret).as_bytes(),
        Duration::from_secs(20),
    ))?;
    let abandon_out = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let _ = netlab::wait_for(Duration::from_secs(10), || {
        (lease_state(other) != before.1).then_some(())
    });
    std::thread::sleep(Duration::from_secs(1));
    let after = (lease_state(forced), lease_state(other));
    let changed: Vec<String> = lab
        .proc(f1)
        .stderr
        .all()
        .into_iter()
        .filter(|l| l.starts_with(&format!("lease {LEASE} ")))
        .collect();
    for id in [f1, o2] {
        lab.stop(id, libc::SIGTERM, Duration::from_secs(5));
    }
    Ok(Run {
        steps,
        omshell,
        abandon: (abandon_out, changed, [before.0, before.1, after.0, after.1]),
    })
}

/// omshell's output with the state start times masked; the two addresses apart.
fn normalize(out: &str) -> (String, Vec<String>) {
    let mut addrs = Vec::new();
    let mut text = String::new();
    for line in out.lines() {
        let masked = match line.split_once(" = ") {
            Some((key, value)) => match key.trim_start_matches("> ").trim_start_matches("obj: ") {
                k @ ("partner-address" | "local-address") => {
                    addrs.push(format!("{k} = {value}"));
                    format!("{key} = <address>")
                }
                "partner-stos" | "local-stos" | "ends" | "starts" | "tstp" | "tsfp" | "atsfp" | "cltt" => {
                    format!("{key} = <time>")
                }
                _ => line.to_string(),
            },
            None => line.to_string(),
        };
        text.push_str(&masked);
        text.push('\n');
    }
    (text, addrs)
}

fn show(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|(step, f, o)| format!("  {step}\n    forced:  {f:?}\n    partner: {o:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// ISC+ISC, then ours forced with ISC's partner, then ISC forced with ours as the partner:
/// every step's state lines as the reference's, omshell's output as ISC's.
pub fn partner_down_matches_isc(forced_primary: bool) -> Outcome {
    let role = if forced_primary { "primary" } else { "secondary" };
    let reference = run(
        Mix {
            forced_isc: true,
            other_isc: true,
        },
        forced_primary,
    )?;
    let (ref_text, _) = normalize(&reference.omshell);
    ensure(ref_text.matches("local-state = 00:00:00:04").count() == 1, || {
        format!(
            "ISC's omshell output does not show partner-down once:\n{}",
            reference.omshell
        )
    })?;
    // Step 5 did something in ISC+ISC: the change was logged and reached the partner.
    ensure(
        reference.abandon.1.iter().any(|l| l.contains(" state changed from "))
            && reference.abandon.2[3] != reference.abandon.2[1],
        || {
            format!(
                "ISC+ISC: abandoning {LEASE} changed nothing: {:?} {:?}",
                reference.abandon.1, reference.abandon.2
            )
        },
    )?;
    let ru = seed()?;
    let (me, partner) = if forced_primary {
        (ru.primary_cidr, ru.secondary_cidr)
    } else {
        (ru.secondary_cidr, ru.primary_cidr)
    };
    let hex = |cidr: &str| {
        super::ip_of(cidr)
            .octets()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let want_addrs = vec![
        format!("partner-address = {}", hex(partner)),
        format!("local-address = {}", hex(me)),
    ];
    for mix in [
        Mix {
            forced_isc: false,
            other_isc: true,
        },
        Mix {
            forced_isc: true,
            other_isc: false,
        },
    ] {
        let label = format!("{role} forced; {}", mix.label());
        let ours = run(mix, forced_primary)?;
        ensure(ours.steps == reference.steps, || {
            format!(
                "{label}: state changes differ from ISC+ISC\nISC+ISC:\n{}\n{label}:\n{}",
                show(&reference.steps),
                show(&ours.steps)
            )
        })?;
        ensure(
            ours.abandon.1 == reference.abandon.1 && ours.abandon.2 == reference.abandon.2,
            || {
                format!(
                    "{label}: abandoning {LEASE} differs\nISC+ISC: {:?} {:?}\n{label}: {:?} {:?}",
                    reference.abandon.1, reference.abandon.2, ours.abandon.1, ours.abandon.2
                )
            },
        )?;
        if !mix.forced_isc {
            let (text, _) = normalize(&ours.abandon.0);
            ensure(text == normalize(&reference.abandon.0).0, || {
                format!(
                    "{label}: omshell (lease) differs\n--- ISC\n{}\n--- ours\n{}",
                    reference.abandon.0, ours.abandon.0
                )
            })?;
            let (text, addrs) = normalize(&ours.omshell);
            ensure(text == ref_text, || {
                format!(
                    "{label}: omshell differs\n--- ISC\n{}\n--- ours\n{}",
                    reference.omshell, ours.omshell
                )
            })?;
            // omshell shows the object after each reply: every pair of address lines is ours.
            let pairs: Vec<&[String]> = addrs.chunks(2).collect();
            ensure(
                !pairs.is_empty() && pairs.iter().all(|p| *p == want_addrs.as_slice()),
                || format!("{label}: our addresses {addrs:?}, want {want_addrs:?} each time"),
            )?;
        }
        if std::env::var_os("FAILOVER_ISC_VERBOSE").is_some() {
            println!(
                "---- omshell, ISC forced:\n{}\n---- omshell, {label}:\n{}",
                reference.omshell, ours.omshell
            );
        }
        println!("  {label}: every step's state changes as ISC+ISC's; omshell's output as ISC's");
    }
    println!("  ISC+ISC reference ({role} forced):\n{}", show(&reference.steps));
    println!(
        "  abandoning {LEASE} through omshell: {:?}; lease state (forced, partner) before {:?}, after {:?}",
        reference.abandon.1,
        &reference.abandon.2[..2],
        &reference.abandon.2[2..]
    );
    Ok(())
}
