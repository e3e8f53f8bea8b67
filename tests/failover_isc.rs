//! Our failover peer on the wire against the real ISC dhcpd 4.4.3, in network namespaces this
//! test creates (see `netlab`); no traffic leaves them.
//!
//! Ours is `dhcpd --selftest-failover` (`src/server/failover_selftest.rs`): the real
//! configuration and lease-file reading, the DHCP engine holding the leases, the failover peer
//! and `FailoverLinks` (listeners, dials from `address`, durability before transmit), without
//! DHCP sockets. ISC is `/usr/sbin/dhcpd -f -d` on its namespace's link. Each seed pair of
//! `conformance/seeds` runs in both pairings (ours primary + ISC secondary, ISC primary + ours
//! secondary), with the seeds' addresses and ports as written (see `failover_isc/seeds.rs` for
//! the few placeholders filled in). Each case proves, from ISC's own log, both lease files
//! and the captured TCP streams:
//!
//! * the TCP link comes up between the configured addresses and ports; only the primary sends
//!   CONNECT and the secondary answers CONNECTACK; both send STATE, UPDREQALL and UPDDONE;
//! * both servers reach normal (ISC logs `I move from ... to normal` and `Both servers normal`
//!   appears), ISC logs its `balancing pool` / `balanced pool` lines, the primary's BNDUPDs
//!   with binding state backup cross the wire, and both lease files end with the same half of
//!   the pool in BACKUP;
//! * our `failover peer ... state` record in our lease file says normal/normal;
//! * ISC killed: ours moves to communications-interrupted; ISC restarted: both back to normal;
//! * ours killed: ISC moves to communications-interrupted; ours restarted from its lease file
//!   (`I move from normal to startup`, so the persisted state was read): both back to normal.
//!
//! The same checks run a third time with ours in both roles (`ours-ours`).
//!
//! `ja-209-redials` checks the Japanese pair's mismatched `peer port 209`: the link only ever
//! comes from the primary's dial (to 520), and with the primary gone the secondary's refused
//! dials to 209 repeat on the same schedule for ours as for ISC's (every 5 s).
//!
//! `es-clients-ours-primary` and `es-clients-isc-primary` serve real busybox udhcpc clients
//! from the mixed pair, ISC's dhcpd and ours both serving with the real command line (see
//! `failover_isc/clients.rs`).
//!
//! `fr-partner-down-procedure` runs the French seed's bootstrap (`fr-*-partner-down.conf`: both
//! configured `my state partner-down`, the primary started alone, then the secondary, then each
//! restarted without the state block) with ISC+ISC as the reference and ours in each role and in
//! both: at every step ours makes the same own state changes as ISC in that role.
//!
//! `ru-omapi-partner-down-primary` and `ru-omapi-partner-down-secondary` force partner-down
//! through the real `omshell` with the Russian seed's OMAPI key (see
//! `failover_isc/partner_down.rs`): the forced server's partner is killed, omshell sets
//! `local-state = 4`, the partner restarts and the pair recovers to normal; ISC+ISC is the
//! reference for every state change of ours forced with ISC's partner and of ISC forced with
//! ours as the partner, and omshell prints the same for ours as for ISC.
//!
//! A custom harness (no libtest), so that a case that cannot run here (not root, ISC missing)
//! is reported as skipped, loudly. `cargo test --test failover_isc -- es` runs one seed;
//! `FAILOVER_ISC_VERBOSE=1` prints both servers' logs and the messages seen on the wire.

mod netlab;
#[path = "failover_isc/clients.rs"]
mod clients;
#[path = "failover_isc/partner_down.rs"]
mod partner_down;
#[path = "failover_isc/procedure.rs"]
mod procedure;
#[path = "failover_isc/seeds.rs"]
mod seeds;
#[path = "failover_isc/tcp.rs"]
mod tcp;

use std::ffi::OsStr;
use std::net::Ipv4Addr;
use std::time::Duration;

use dhcpd::lease::file::{read_lease_file, ReadOptions};
use dhcpd::lease::records::LeaseFileState;
use dhcpd::lease::BindingState;
use dhcpd::wire::failover::MessageType;
use netlab::{Lab, ProcId};
use seeds::Seed;

const BIN: &str = env!("CARGO_BIN_EXE_dhcpd");
const ISC: &str = "/usr/sbin/dhcpd";

type Outcome = Result<(), String>;

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn io<T>(r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Outcome {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

fn ip_of(cidr: &str) -> Ipv4Addr {
    cidr.split('/').next().and_then(|s| s.parse().ok()).expect("cidr")
}

/// One server of the pair as the test runs it.
#[derive(Clone)]
struct Side {
    ns: String,
    dev: &'static str,
    conf: String,
    leases: String,
    pid: String,
    isc: bool,
}

impl Side {
    fn who(&self) -> &'static str {
        if self.isc {
            "ISC"
        } else {
            "ours"
        }
    }

    fn start(&self, lab: &mut Lab) -> Result<ProcId, String> {
        self.forget_pid_file();
        let argv: Vec<&OsStr> = if self.isc {
            [ISC, "-f", "-d", "-cf", &self.conf, "-lf", &self.leases, "-pf", &self.pid, self.dev]
                .into_iter()
                .map(os)
                .collect()
        } else {
            [BIN, "--selftest-failover", "-cf", &self.conf, "-lf", &self.leases].into_iter().map(os).collect()
        };
        io(lab.spawn(&self.ns, &argv, &[]))
    }

    /// Starts a serving dhcpd (ISC's or ours) with the real command line on the side's link.
    fn serve(&self, lab: &mut Lab) -> Result<ProcId, String> {
        let bin = if self.isc { ISC } else { BIN };
        self.forget_pid_file();
        let argv: Vec<&OsStr> =
            [bin, "-f", "-d", "-cf", &self.conf, "-lf", &self.leases, "-pf", &self.pid, self.dev].into_iter().map(os).collect();
        io(lab.spawn(&self.ns, &argv, &[]))
    }

    /// A server this test killed with SIGKILL leaves its pid file; ISC's
    /// dhcpd refuses to start while the pid in it names a live process, and
    /// pids are reused, so a restart starts without it.
    fn forget_pid_file(&self) {
        let _ = std::fs::remove_file(&self.pid);
    }

    fn lease_state(&self) -> Result<LeaseFileState, String> {
        let bytes = io(std::fs::read(&self.leases))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        read_lease_file(&self.leases, &bytes, ReadOptions::at(now))
            .map(|l| l.state())
            .map_err(|e| format!("{} lease file: {e}", self.who()))
    }
}

/// Everything both processes logged, for failure messages.
fn dump(lab: &Lab, procs: &[(&str, ProcId)]) -> String {
    let mut s = String::new();
    for (who, id) in procs {
        s.push_str(&format!("---- {who} stderr:\n{}\n", lab.proc(*id).stderr.all().join("\n")));
    }
    s
}

fn wait_line(lab: &Lab, id: ProcId, secs: u64, line: &str, all: &[(&str, ProcId)]) -> Outcome {
    lab.proc(id)
        .stderr
        .wait_line(Duration::from_secs(secs), |l| l == line)
        .map(|_| ())
        .ok_or_else(|| format!("no `{line}` within {secs} s\n{}", dump(lab, all)))
}

/// How many lines of `id` satisfy `pred`.
fn count_from(lab: &Lab, id: ProcId, pred: impl Fn(&str) -> bool) -> usize {
    lab.proc(id).stderr.all().iter().filter(|l| pred(l)).count()
}

fn backups(st: &LeaseFileState) -> Vec<Ipv4Addr> {
    st.leases.values().filter(|l| l.binding_state == BindingState::Backup).map(|l| l.ip).collect()
}

/// A case beyond the seed pairings.
type Case = fn() -> Outcome;

/// Who runs which role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pairing {
    /// Ours primary, ISC secondary.
    OursPrimary,
    /// ISC primary, ours secondary.
    IscPrimary,
    /// Ours in both roles (the same checks, our logs standing in for ISC's).
    OursOurs,
}

impl Pairing {
    const ALL: [Pairing; 3] = [Pairing::OursPrimary, Pairing::IscPrimary, Pairing::OursOurs];

    fn tag(self) -> &'static str {
        match self {
            Pairing::OursPrimary => "ours-primary",
            Pairing::IscPrimary => "isc-primary",
            Pairing::OursOurs => "ours-ours",
        }
    }
}

fn pair(seed: &Seed, pairing: Pairing) -> Outcome {
    let tag = pairing.tag();
    let ours_primary = pairing != Pairing::IscPrimary;
    let mut lab = io(Lab::new(&format!("fo-{}-{tag}", seed.name)))?;
    let pns = io(lab.netns("p"))?;
    let sns = io(lab.netns("s"))?;
    io(lab.veth((&pns, "p0"), (&sns, "s0")))?;
    io(lab.addr(&pns, "p0", seed.primary_cidr))?;
    io(lab.addr(&sns, "s0", seed.secondary_cidr))?;
    let cap = io(lab.capture(&pns, "p0"))?;
    let file = |lab: &Lab, name: &str, text: &str| -> Result<String, String> {
        let p = lab.dir().join(name);
        io(std::fs::write(&p, text))?;
        Ok(p.to_string_lossy().into_owned())
    };
    let primary = Side {
        ns: pns.clone(),
        dev: "p0",
        conf: file(&lab, "primary.conf", &seed.primary)?,
        leases: file(&lab, "primary.leases", "")?,
        pid: lab.dir().join("primary.pid").to_string_lossy().into_owned(),
        isc: !ours_primary,
    };
    let secondary = Side {
        ns: sns.clone(),
        dev: "s0",
        conf: file(&lab, "secondary.conf", &seed.secondary)?,
        leases: file(&lab, "secondary.leases", "")?,
        pid: lab.dir().join("secondary.pid").to_string_lossy().into_owned(),
        isc: pairing == Pairing::OursPrimary,
    };
    // `isc` is the partner of the side under test: ISC's dhcpd, or ours again in ours-ours.
    let (isc, ours) = if ours_primary { (&secondary, &primary) } else { (&primary, &secondary) };
    let partner = if isc.isc { "ISC" } else { "partner (ours)" };
    let name = seed.relationship;
    let big = seed.pool_size > 1000;
    let settle = if big { 180 } else { 60 };

    // ---- a fresh pair reaches normal ----------------------------------
    let isc_id = isc.start(&mut lab)?;
    let ours_id = ours.start(&mut lab)?;
    let all = [(partner, isc_id), ("ours", ours_id)];
    for id in [isc_id, ours_id] {
        wait_line(&lab, id, settle, &format!("failover peer {name}: I move from recover-done to normal"), &all)?;
    }
    let both_normal = format!("failover peer {name}: Both servers normal");
    netlab::wait_for(Duration::from_secs(20), || {
        (count_from(&lab, isc_id, |l| l == both_normal) + count_from(&lab, ours_id, |l| l == both_normal) > 0)
            .then_some(())
    })
    .ok_or_else(|| format!("nobody logged `{both_normal}`\n{}", dump(&lab, &all)))?;
    ensure(count_from(&lab, isc_id, |l| l.starts_with("balancing pool ")) > 0, || {
        format!("{partner} logged no balancing line\n{}", dump(&lab, &all))
    })?;
    ensure(count_from(&lab, isc_id, |l| l.starts_with("balanced pool ")) > 0, || {
        format!("{partner} logged no balanced line\n{}", dump(&lab, &all))
    })?;

    // ---- the pool is balanced in both lease files ---------------------
    let half = seed.pool_size / 2;
    let balanced = netlab::wait_for(Duration::from_secs(settle), || {
        let a = isc.lease_state().ok()?;
        let b = ours.lease_state().ok()?;
        let (x, y) = (backups(&a), backups(&b));
        (x.len() == half && x == y).then_some(x.len())
    });
    if balanced.is_none() {
        let a = isc.lease_state().map(|s| backups(&s).len());
        let b = ours.lease_state().map(|s| backups(&s).len());
        return Err(format!(
            "pool not balanced: want {half} BACKUP in both files, {partner} has {a:?}, ours {b:?}\n{}",
            dump(&lab, &all)
        ));
    }

    // ---- our state record ---------------------------------------------
    let st = ours.lease_state()?;
    let rec = st.failover.iter().find(|r| r.peer == name).ok_or("no state record in our lease file")?;
    ensure(
        rec.me.map(|m| m.state) == Some(dhcpd::failover::FailoverState::Normal)
            && rec.partner.map(|m| m.state) == Some(dhcpd::failover::FailoverState::Normal),
        || format!("our persisted record is {rec:?}"),
    )?;

    // ---- the wire -----------------------------------------------------
    let frames = cap.frames();
    let seen = tcp::messages(&frames, seed.ports);
    let p_ip = ip_of(seed.primary_cidr);
    let s_ip = ip_of(seed.secondary_cidr);
    let sent = |from: Ipv4Addr, kind: MessageType| seen.iter().filter(|m| *m.flow.0.ip() == from && m.kind == kind).count();
    let summary = |seen: &[tcp::Seen]| {
        let mut counts: std::collections::BTreeMap<(Ipv4Addr, String), usize> = Default::default();
        for m in seen {
            *counts.entry((*m.flow.0.ip(), format!("{:?}", m.kind))).or_default() += 1;
        }
        format!("{counts:?}")
    };
    ensure(sent(p_ip, MessageType::Connect) >= 1, || format!("no CONNECT from the primary: {}", summary(&seen)))?;
    ensure(sent(s_ip, MessageType::Connect) == 0, || format!("the secondary sent CONNECT: {}", summary(&seen)))?;
    ensure(sent(s_ip, MessageType::ConnectAck) >= 1, || format!("no CONNECTACK: {}", summary(&seen)))?;
    for (who, ip) in [("primary", p_ip), ("secondary", s_ip)] {
        for kind in [MessageType::State, MessageType::UpdReqAll, MessageType::UpdDone] {
            ensure(sent(ip, kind) >= 1, || format!("the {who} sent no {kind:?}: {}", summary(&seen)))?;
        }
    }
    let backup_code = u8::from(dhcpd::wire::failover::BindingState::Backup);
    let gifts = seen
        .iter()
        .filter(|m| *m.flow.0.ip() == p_ip && m.kind == MessageType::BndUpd && m.binding == Some(backup_code))
        .count();
    ensure(gifts >= half, || format!("{gifts} BNDUPD(backup) from the primary, want {half}: {}", summary(&seen)))?;
    // Every connection ran between the configured addresses, from `address`.
    let syns = tcp::syns(&frames);
    for (from, to) in &syns {
        let ok = (*from.ip() == p_ip && *to.ip() == s_ip) || (*from.ip() == s_ip && *to.ip() == p_ip);
        ensure(ok && seed.ports.contains(&to.port()), || format!("unexpected SYN {from} -> {to}"))?;
    }
    let mut syn_counts: std::collections::BTreeMap<String, usize> = Default::default();
    for (from, to) in &syns {
        *syn_counts.entry(format!("{} -> {to}", from.ip())).or_default() += 1;
    }

    // ---- ISC dies, comes back ------------------------------------------
    lab.stop(isc_id, libc::SIGKILL, Duration::from_secs(5));
    wait_line(&lab, ours_id, 15, &format!("failover peer {name}: I move from normal to communications-interrupted"), &all)?;
    let isc2 = isc.start(&mut lab)?;
    let restarted = format!("{partner} (restarted)");
    let all2 = [(restarted.as_str(), isc2), ("ours", ours_id)];
    wait_line(&lab, ours_id, settle, &format!("failover peer {name}: I move from communications-interrupted to normal"), &all2)?;
    wait_line(&lab, isc2, settle, &format!("failover peer {name}: I move from startup to normal"), &all2)?;

    // ---- ours dies, comes back from its lease file -------------------
    lab.stop(ours_id, libc::SIGKILL, Duration::from_secs(5));
    wait_line(&lab, isc2, 15, &format!("failover peer {name}: I move from normal to communications-interrupted"), &all2)?;
    let ours2 = ours.start(&mut lab)?;
    let all3 = [(restarted.as_str(), isc2), ("ours (restarted)", ours2)];
    wait_line(&lab, ours2, 15, &format!("failover peer {name}: I move from normal to startup"), &all3)?;
    wait_line(&lab, isc2, settle, &format!("failover peer {name}: I move from communications-interrupted to normal"), &all3)?;
    wait_line(&lab, ours2, settle, &format!("failover peer {name}: I move from startup to normal"), &all3)?;
    let after = ours.lease_state()?;
    ensure(backups(&after).len() == half, || format!("our pool after the restart: {} BACKUP", backups(&after).len()))?;

    if std::env::var_os("FAILOVER_ISC_VERBOSE").is_some() {
        println!("{}", dump(&lab, &[(partner, isc_id), (restarted.as_str(), isc2), ("ours", ours_id), ("ours (restarted)", ours2)]));
        println!("---- wire: {}", summary(&seen));
    }

    // ---- clean stop ----------------------------------------------------
    let status = lab.stop(ours2, libc::SIGTERM, Duration::from_secs(5));
    ensure(status.is_some_and(|s| s.success()), || format!("ours did not stop cleanly: {status:?}"))?;
    println!(
        "  {} {tag}: normal, {half}/{} BACKUP in both files, {gifts} BNDUPD(backup), kill+restart both sides ok; dials: {syn_counts:?}; seed changes: {}",
        seed.name, seed.pool_size, seed.changes
    );
    Ok(())
}

/// The Japanese pair's `peer port 209` (nothing listens there): the secondary's dials to the
/// primary are refused, so the link only ever comes from the primary's dial to 520. With the
/// primary gone, the secondary keeps dialling 209; this measures when, for ISC's secondary and
/// for ours (both partnered with ISC's primary, which is killed once the pair is normal).
/// Returns the seconds (since the kill) of each SYN to 209.
fn port_209_redials(seed: &Seed, ours_secondary: bool) -> Result<Vec<f64>, String> {
    let mut lab = io(Lab::new(&format!("fo-ja209-{}", if ours_secondary { "ours" } else { "isc" })))?;
    let pns = io(lab.netns("p"))?;
    let sns = io(lab.netns("s"))?;
    io(lab.veth((&pns, "p0"), (&sns, "s0")))?;
    io(lab.addr(&pns, "p0", seed.primary_cidr))?;
    io(lab.addr(&sns, "s0", seed.secondary_cidr))?;
    let cap = io(lab.capture(&pns, "p0"))?;
    let file = |lab: &Lab, name: &str, text: &str| -> Result<String, String> {
        let p = lab.dir().join(name);
        io(std::fs::write(&p, text))?;
        Ok(p.to_string_lossy().into_owned())
    };
    let primary = Side {
        ns: pns.clone(),
        dev: "p0",
        conf: file(&lab, "primary.conf", &seed.primary)?,
        leases: file(&lab, "primary.leases", "")?,
        pid: lab.dir().join("primary.pid").to_string_lossy().into_owned(),
        isc: true,
    };
    let secondary = Side {
        ns: sns.clone(),
        dev: "s0",
        conf: file(&lab, "secondary.conf", &seed.secondary)?,
        leases: file(&lab, "secondary.leases", "")?,
        pid: lab.dir().join("secondary.pid").to_string_lossy().into_owned(),
        isc: !ours_secondary,
    };
    let p = primary.start(&mut lab)?;
    let s = secondary.start(&mut lab)?;
    let all = [("primary", p), ("secondary", s)];
    let name = seed.relationship;
    wait_line(&lab, s, 60, &format!("failover peer {name}: I move from recover-done to normal"), &all)?;
    let to_209 = |cap: &netlab::Capture| tcp::syns(&cap.frames()).iter().filter(|(_, to)| to.port() == 209).count();
    let before = to_209(&cap);
    lab.stop(p, libc::SIGKILL, Duration::from_secs(5));
    let t0 = std::time::Instant::now();
    let mut times = Vec::new();
    let mut seen = before;
    while t0.elapsed() < Duration::from_secs(32) {
        std::thread::sleep(Duration::from_millis(50));
        let n = to_209(&cap);
        for _ in seen..n {
            times.push((t0.elapsed().as_secs_f64() * 10.0).round() / 10.0);
        }
        seen = n;
    }
    Ok(times)
}

/// Ours redials the refused port on ISC's schedule (measured: every 5 s).
fn redials_match_isc() -> Outcome {
    let ja = seeds::all().into_iter().find(|s| s.name == "ja").ok_or("no ja seed")?;
    let isc = port_209_redials(&ja, false)?;
    let ours = port_209_redials(&ja, true)?;
    println!("  SYNs to :209 after the primary died: ISC secondary at {isc:?} s, ours at {ours:?} s");
    ensure(isc.len() >= 5, || format!("ISC redialled only at {isc:?}"))?;
    ensure(
        isc.len() == ours.len() && isc.iter().zip(&ours).all(|(a, b)| (a - b).abs() <= 1.0),
        || format!("redials differ: ISC {isc:?}, ours {ours:?}"),
    )
}

/// The French bootstrap procedure: ours in either role (and in both) makes, step by step, the
/// same own state changes as ISC in that role, and every step that brings both servers up ends
/// with both normal.
fn fr_procedure_matches_isc() -> Outcome {
    let reference = procedure::run(true, true)?;
    let show = |steps: &[procedure::Step]| {
        steps
            .iter()
            .map(|(step, p, s)| format!("  {step}\n    primary:   {p:?}\n    secondary: {s:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (step, p, s) in &reference {
        if step.contains("starts") || step.contains("restarts") {
            if step.contains("alone") {
                continue;
            }
            ensure(p.last().is_some_and(|l| l == "Both servers normal") || s.last().is_some_and(|l| l == "Both servers normal"), || {
                format!("ISC's own pair did not end `{step}` normal:\n{}", show(&reference))
            })?;
        }
    }
    for (p_isc, s_isc) in [(false, true), (true, false), (false, false)] {
        let ours = procedure::run(p_isc, s_isc)?;
        let label = format!("primary {}, secondary {}", if p_isc { "ISC" } else { "ours" }, if s_isc { "ISC" } else { "ours" });
        ensure(ours.len() == reference.len(), || format!("{label}: steps differ"))?;
        for ((step, rp, rs), (_, op, os)) in reference.iter().zip(&ours) {
            let same_p = procedure::own_moves(rp) == procedure::own_moves(op);
            let same_s = procedure::own_moves(rs) == procedure::own_moves(os);
            ensure(same_p && same_s, || {
                format!("{label}, step `{step}` differs from ISC+ISC\nISC+ISC:\n{}\n{label}:\n{}", show(&reference), show(&ours))
            })?;
        }
        println!("  fr procedure, {label}: every step's own state changes as ISC's");
    }
    println!("  ISC+ISC reference:\n{}", show(&reference));
    Ok(())
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for seed in seeds::all() {
        for pairing in Pairing::ALL {
            let name = format!("{}-{}", seed.name, pairing.tag());
            if filter.as_deref().is_some_and(|f| !name.contains(f)) {
                continue;
            }
            let why = netlab::prerequisites(&[]).or_else(|| {
                (pairing != Pairing::OursOurs && !std::path::Path::new(ISC).is_file())
                    .then(|| format!("{ISC} is not installed"))
            });
            if let Some(why) = why {
                println!("test {name} ... SKIPPED: {why}");
                eprintln!("!!!!! failover_isc: {name} NOT RUN: {why} !!!!!");
                skipped += 1;
                continue;
            }
            match std::panic::catch_unwind(|| pair(&seed, pairing)) {
                Ok(Ok(())) => {
                    println!("test {name} ... ok");
                    passed += 1;
                }
                Ok(Err(msg)) => {
                    println!("test {name} ... FAILED\n{msg}");
                    failed += 1;
                }
                Err(_) => {
                    println!("test {name} ... FAILED (panicked)");
                    failed += 1;
                }
            }
        }
    }
    let extra: [(&str, Case); 6] = [
        ("ja-209-redials", redials_match_isc),
        ("fr-partner-down-procedure", fr_procedure_matches_isc),
        ("es-clients-ours-primary", || clients::clients_on_a_mixed_pair(true)),
        ("es-clients-isc-primary", || clients::clients_on_a_mixed_pair(false)),
        ("ru-omapi-partner-down-primary", || partner_down::partner_down_matches_isc(true)),
        ("ru-omapi-partner-down-secondary", || partner_down::partner_down_matches_isc(false)),
    ];
    for (name, case) in extra {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let tools: &[&str] = if name.contains("clients") {
            &["busybox"]
        } else if name.contains("omapi") {
            &["omshell"]
        } else {
            &[]
        };
        let why = netlab::prerequisites(tools)
            .or_else(|| (!std::path::Path::new(ISC).is_file()).then(|| format!("{ISC} is not installed")));
        if let Some(why) = why {
            println!("test {name} ... SKIPPED: {why}");
            eprintln!("!!!!! failover_isc: {name} NOT RUN: {why} !!!!!");
            skipped += 1;
            continue;
        }
        match std::panic::catch_unwind(case) {
            Ok(Ok(())) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Ok(Err(msg)) => {
                println!("test {name} ... FAILED\n{msg}");
                failed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED (panicked)");
                failed += 1;
            }
        }
    }
    println!("\nfailover_isc: {passed} passed, {failed} failed, {skipped} skipped");
    std::process::exit(if failed > 0 { 1 } else { 0 });
}
