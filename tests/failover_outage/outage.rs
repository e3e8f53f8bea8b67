//! One server of a normal pair dies while clients are bound; the survivor
//! serves alone, is put in partner-down, and the dead server comes back.
//!
//! The configuration is the Spanish seed's with a short MCLT (20 s), a lease
//! time above it (60 s), a pool of six (three each once balanced) and an
//! OMAPI port. What each step proves, from the survivor's log, the clients'
//! own events and both lease files:
//!
//! 1. the pair reaches normal and balances; `c0` (hash: primary) and `c1`
//!    (hash: secondary) are bound, each by the server its hash names;
//! 2. the other server is killed: the survivor logs `I move from normal to
//!    communications-interrupted`;
//! 3. `c0` and `c1` keep their addresses, renewed by the survivor (the one
//!    whose server died rebinding by broadcast once its unicast renewals go
//!    unanswered), and every lease time the survivor grants them while alone
//!    follows ISC's rule: the desired time, but no more than MCLT past the
//!    potential expiry the partner last acknowledged (exactly MCLT once that
//!    is past). The case waits until the rule has cut a grant below the
//!    desired time for both (not in the restart variant, where the clients
//!    are unanswered through the survivor's startups and may rebind);
//! 4. new clients `n0`, `n1` get the survivor's own free leases (the state it
//!    allocates from: FREE on the primary, BACKUP on the secondary), for
//!    exactly MCLT; `n2` then finds no lease it may take (the partner's free
//!    leases are not the survivor's to give) and stays unbound;
//! 5. the survivor is put in partner-down (OMAPI `local-state 4`); `n2` is
//!    bound from the partner's half of the pool, not before the MCLT has
//!    passed since partner-down began. In the restart variant the survivor
//!    is restarted instead: right after the kill with a configuration
//!    `state` block, which its lease file's state record overrides (it comes
//!    back communications-interrupted, and step 4 runs then), and after step
//!    4 with the block appended to its lease file, the method ISC's manual
//!    gives. Its MCLT is 40 s, so that the clients' MCLT-long leases outlast
//!    the 15 s startups in which the survivor answers nobody;
//! 6. the dead server restarts from its lease file (`normal -> startup ->
//!    recover -> recover-done -> normal`: the recover wait counts from its
//!    state's start, long past) or, in the database-lost variant, from an
//!    empty one (`recover -> startup -> recover -> recover-wait ->
//!    recover-done -> normal`, the MCLT after its restart); the survivor goes
//!    from partner-down to normal; both lease files then agree on every
//!    binding (address, state, hardware address, end).
//!
//! The run returns [`Facts`], which the caller compares with the ISC+ISC
//! run in the same roles.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::time::Duration;

use dhcpd::lease::records::LeaseFileState;
use dhcpd::lease::BindingState;

use super::netlab;
use super::pair::{ensure, macs, own_moves, wall, Impl, Outcome, Pair, Server};
use super::seeds;

/// MCLT of the outage configuration. The restart variant uses
/// [`RESTART_MCLT`]: the survivor's restarts leave clients unanswered for
/// 15 s each, which MCLT-long leases must outlast.
pub const MCLT: i64 = 20;
/// MCLT of the restart variant.
pub const RESTART_MCLT: i64 = 40;
/// default-lease-time and max-lease-time of the outage configuration.
pub const DESIRED: i64 = 60;
/// The OMAPI port both servers listen on (each in its own namespace).
pub const OMAPI_PORT: u16 = 7911;
const RELATIONSHIP: &str = "dhcp-failover";
/// Seconds a grant may differ from the rule's value: the client's event
/// time and the server's `now` differ by the exchange and script delays.
const SLACK: f64 = 2.5;

/// How the survivor is put in partner-down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// omshell: `set local-state = 4` on the relationship's failover-state.
    Omapi,
    /// Restarts: with a configuration state block (overridden by the lease
    /// file's record), then with the block appended to the lease file.
    Restart,
}

/// Who runs which role, who survives, how partner-down is reached.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub primary: Impl,
    pub secondary: Impl,
    /// The primary survives (else the secondary does).
    pub primary_survives: bool,
    pub method: Method,
    /// The dead server comes back with an empty lease file (its database
    /// lost): it recovers from nothing and waits out the MCLT in
    /// recover-wait.
    pub database_lost: bool,
}

impl Plan {
    /// The MCLT configured for this plan.
    pub fn mclt(&self) -> i64 {
        if self.method == Method::Restart {
            RESTART_MCLT
        } else {
            MCLT
        }
    }

    pub fn tag(&self) -> String {
        let imp = |i: Impl| if i == Impl::Isc { "isc" } else { "ours" };
        format!(
            "{}-{}-{}-survives{}{}",
            imp(self.primary),
            imp(self.secondary),
            if self.primary_survives { "primary" } else { "secondary" },
            if self.database_lost { "-database-lost" } else { "" },
            if self.method == Method::Restart { "-restart" } else { "" }
        )
    }
}

/// What a run showed, in the terms compared between implementations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The survivor's own moves from the kill to the end.
    pub survivor_moves: Vec<String>,
    /// The returning server's own moves.
    pub returning_moves: Vec<String>,
    /// The survivor's log lines about `n2` while it was starved, with its
    /// hardware address written `MAC`.
    pub starved_lines: BTreeSet<String>,
    /// Lease times the survivor gave the new clients while alone.
    pub new_client_grants: Vec<i64>,
    /// The survivor's own free leases and the partner's, at the kill.
    pub free_at_kill: (BTreeSet<Ipv4Addr>, BTreeSet<Ipv4Addr>),
    /// The address each client got, in the order they came (which lease
    /// a server hands out next follows ISC's queue order).
    pub addresses: Vec<(String, Ipv4Addr)>,
}

/// The outage configurations (primary, secondary): the Spanish seed with
/// `mclt`, lease time 60, a pool of six and an OMAPI port.
pub fn configs(mclt: i64) -> (String, String) {
    let es = seeds::all().into_iter().find(|s| s.name == "es").expect("es seed");
    let globals = format!("default-lease-time {DESIRED};\nmax-lease-time {DESIRED};\nomapi-port {OMAPI_PORT};\n");
    let edit = |text: &str| {
        let t = seeds::must_replace(text, "range 172.16.1.220 172.16.1.230;", "range 172.16.1.220 172.16.1.225;");
        format!("{globals}{t}")
    };
    (edit(&seeds::must_replace(&es.primary, "mclt 1800;", &format!("mclt {mclt};"))), edit(&es.secondary))
}

/// The addresses in `state` in a lease file.
fn in_state(st: &LeaseFileState, state: BindingState) -> BTreeSet<Ipv4Addr> {
    st.leases.values().filter(|l| l.binding_state == state).map(|l| l.ip).collect()
}

/// ISC `ack_lease`'s grant under failover at `now` for a lease whose
/// acknowledged potential expiry is `tsfp`.
pub fn rule_grant(tsfp: i64, now: f64, mclt: i64) -> f64 {
    if DESIRED <= mclt {
        DESIRED as f64
    } else if (tsfp as f64) <= now {
        mclt as f64
    } else {
        (DESIRED as f64).min(tsfp as f64 - now + mclt as f64)
    }
}

/// Whether `grant`, received at `t`, is what the rule gives for some
/// server time within the slack before `t` (the server decided a moment
/// before the client's script ran).
fn obeys_rule(grant: i64, tsfp: i64, t: f64, mclt: i64) -> bool {
    let g = grant as f64;
    (0..=(SLACK * 10.0) as i32).any(|d| (rule_grant(tsfp, t - f64::from(d) / 10.0, mclt) - g).abs() <= 1.0)
}

/// Waits until `server`'s lease file satisfies `f`; returns it.
fn wait_state(
    pair: &Pair,
    server: &Server,
    secs: u64,
    what: &str,
    f: impl Fn(&LeaseFileState) -> bool,
) -> Result<LeaseFileState, String> {
    netlab::wait_for(Duration::from_secs(secs), || server.lease_state().ok().filter(|st| f(st)))
        .ok_or_else(|| format!("{}'s lease file: {what} within {secs} s\n{}", server.who(), pair.dump()))
}

/// Runs the outage with `plan`; the log of what happened goes to `notes`.
pub fn run(plan: Plan, notes: &mut String) -> Result<Facts, String> {
    let mclt = plan.mclt();
    let (pconf, sconf) = configs(mclt);
    let mut pair =
        Pair::new(&format!("fo-out-{}", plan.tag()), RELATIONSHIP, (&pconf, plan.primary), (&sconf, plan.secondary))?;
    let name = RELATIONSHIP;
    pair.start_server(true)?;
    pair.start_server(false)?;

    // ---- 1. normal, balanced, two clients bound ---------------------------
    pair.wait_move(&pair.primary, "recover-done", "normal", 60)?;
    pair.wait_move(&pair.secondary, "recover-done", "normal", 60)?;
    for srv in [&pair.primary, &pair.secondary] {
        wait_state(&pair, srv, 30, "three BACKUP leases", |st| in_state(st, BindingState::Backup).len() == 3)?;
    }
    let c0 = pair.add_client("c0", macs(1, true, 1)[0], true)?;
    let c1 = pair.add_client("c1", macs(1, false, 1)[0], false)?;
    let t_clients = wall();
    for i in [c0, c1] {
        pair.start_client(i)?;
    }
    for i in [c0, c1] {
        let ack = pair
            .wait_ack(i, t_clients, 30)
            .ok_or_else(|| format!("{} was never bound\n{}", pair.clients[i].name, pair.dump()))?;
        let want = if pair.clients[i].hashes_to_primary { pair.primary.ip } else { pair.secondary.ip };
        ensure(ack.server == Some(want), || {
            format!("{} bound by {:?}, its hash names {want}\n{}", pair.clients[i].name, ack.server, pair.dump())
        })?;
    }
    let bound: Vec<Ipv4Addr> = [c0, c1].iter().filter_map(|&i| pair.clients[i].last_ack().and_then(|e| e.ip)).collect();
    // Both bindings acknowledged across the link: active in both files with
    // a potential expiry past now (the rule's input for step 3).
    let sp = plan.primary_survives;
    let (survivor, dead) = (pair.server(sp), pair.server(!sp));
    let acked = |st: &LeaseFileState| {
        bound.iter().all(|ip| {
            st.leases.get(ip).is_some_and(|l| l.binding_state == BindingState::Active && l.tsfp as f64 > wall())
        })
    };
    wait_state(&pair, survivor, 20, "both bindings active and acknowledged", acked)?;
    wait_state(&pair, dead, 20, "both bindings active and acknowledged", acked)?;

    // ---- 2. kill ------------------------------------------------------------
    let (s_who, d_who) = (survivor.who(), dead.who());
    let survivor_run_before = survivor.run();
    let mine = if sp { BindingState::Free } else { BindingState::Backup };
    let theirs = if sp { BindingState::Backup } else { BindingState::Free };
    pair.stop_server(!sp, libc::SIGKILL);
    let t_kill = wall();
    let survivor = pair.server(sp);
    pair.wait_move(survivor, "normal", "communications-interrupted", 15)?;
    let at_kill = survivor.lease_state()?;
    let own_free = in_state(&at_kill, mine);
    let peer_free = in_state(&at_kill, theirs);
    let tsfp: BTreeMap<Ipv4Addr, i64> = bound.iter().map(|ip| (*ip, at_kill.leases[ip].tsfp)).collect();
    let _ = writeln!(notes, "    killed the {d_who}; {s_who} communications-interrupted; its own free {own_free:?}, the partner's {peer_free:?}");
    ensure(own_free.len() == 2 && peer_free.len() == 2, || {
        format!(
            "at the kill the survivor holds own {own_free:?}, partner's {peer_free:?}; want two each\n{}",
            pair.dump()
        )
    })?;

    if plan.method == Method::Restart {
        restart_with_configuration_block(&mut pair, sp, notes)?;
    }

    // ---- 4. new clients from the survivor's own free leases ---------------
    let n0 = pair.add_client("n0", macs(2, true, 1)[0], true)?;
    let n1 = pair.add_client("n1", macs(2, false, 1)[0], false)?;
    let mut new_client_grants = Vec::new();
    // One after the other, so which one gets which lease is not a race.
    for i in [n0, n1] {
        let t_new = wall();
        pair.start_client(i)?;
        let survivor = pair.server(sp);
        let ack = pair
            .wait_ack(i, t_new, 30)
            .ok_or_else(|| format!("{} was never bound by the survivor\n{}", pair.clients[i].name, pair.dump()))?;
        let ip = ack.ip.ok_or("no ip")?;
        ensure(ack.server == Some(survivor.ip) && own_free.contains(&ip), || {
            format!(
                "{} got {ip} from {:?}; want one of the survivor's own {own_free:?}\n{}",
                pair.clients[i].name,
                ack.server,
                pair.dump()
            )
        })?;
        new_client_grants.push(ack.lease.unwrap_or(-1));
    }
    ensure(new_client_grants.iter().all(|&g| g == mclt), || {
        format!("new clients got {new_client_grants:?} s, want the MCLT ({mclt})\n{}", pair.dump())
    })?;
    let n2 = pair.add_client("n2", macs(3, true, 1)[0], true)?;
    let t_n2 = wall();
    pair.start_client(n2)?;
    let n2_mac = super::pair::mac_text(&pair.clients[n2].mac);
    // Starved: several discover rounds (every 3 s) and no lease.
    std::thread::sleep(Duration::from_secs(8));
    let survivor = pair.server(sp);
    ensure(pair.clients[n2].acks_after(t_n2).is_empty(), || {
        format!("n2 was bound while the survivor had no free lease of its own\n{}", pair.dump())
    })?;
    let starved_lines: BTreeSet<String> =
        survivor.log(&pair.lab).iter().filter(|l| l.contains(&n2_mac)).map(|l| l.replace(&n2_mac, "MAC")).collect();
    ensure(!starved_lines.is_empty(), || format!("the survivor logged nothing about n2\n{}", pair.dump()))?;

    // ---- 5. partner-down ----------------------------------------------------
    let t_pd = match plan.method {
        Method::Omapi => {
            let script = format!("new failover-state\nset name = \"{name}\"\nopen\nset local-state = 4\nupdate\n");
            let out = survivor.omshell(&pair.lab, OMAPI_PORT, &script)?;
            let t = pair
                .wait_move(survivor, "communications-interrupted", "partner-down", 10)
                .map_err(|e| format!("{e}\nomshell:\n{out}"))?;
            let _ = writeln!(notes, "    partner-down by OMAPI");
            t
        }
        Method::Restart => restart_with_lease_file_block(&mut pair, sp, notes)?,
    };
    let survivor = pair.server(sp);
    let served = pair
        .wait_ack(n2, t_n2, (mclt + 30) as u64)
        .ok_or_else(|| format!("n2 was never bound in partner-down\n{}", pair.dump()))?;
    let n2_ip = served.ip.ok_or("no ip")?;
    let _ = writeln!(
        notes,
        "    n2 bound {:.1} s after partner-down ({n2_ip}, {} s)",
        served.t - t_pd,
        served.lease.unwrap_or(-1)
    );
    // Servers keep the state's start in whole seconds, and `t_pd` is when
    // the move was seen: allow 2 s.
    ensure(served.t >= t_pd + mclt as f64 - 2.0, || {
        format!("n2 bound {:.1} s after partner-down, before the MCLT ({mclt} s)\n{}", served.t - t_pd, pair.dump())
    })?;
    ensure(served.server == Some(survivor.ip) && peer_free.contains(&n2_ip), || {
        format!("n2 got {n2_ip} from {:?}; want one of the partner's {peer_free:?}\n{}", served.server, pair.dump())
    })?;

    // ---- 3. renewals by the survivor ------------------------------------------
    // The rule's input is the potential expiry the partner acknowledged
    // before the kill, so it applies to renewals of the binding the client
    // held then: its ACKs up to its first other event (a client that lost
    // its lease and was bound again has a new binding).
    let held = |pair: &Pair, i: usize| -> Vec<super::pair::Event> {
        pair.clients[i].events().into_iter().filter(|e| e.t >= t_kill).take_while(|e| e.is_ack()).collect()
    };
    let cut = |pair: &Pair, i: usize| held(pair, i).iter().any(|e| e.lease.is_some_and(|g| g < DESIRED));
    if plan.method == Method::Omapi {
        netlab::wait_for(Duration::from_secs(90), || (cut(&pair, c0) && cut(&pair, c1)).then_some(()))
            .ok_or_else(|| format!("no grant below {DESIRED} s to both c0 and c1 while alone\n{}", pair.dump()))?;
    }
    for (i, ip) in [c0, c1].into_iter().zip(&bound) {
        let acks = pair.clients[i].acks_after(t_kill);
        let _ = writeln!(
            notes,
            "    {} renewed by the survivor: {:?}{}",
            pair.clients[i].name,
            acks.iter().map(|e| format!("+{:.0}s {}s", e.t - t_kill, e.lease.unwrap_or(-1))).collect::<Vec<_>>(),
            if held(&pair, i).len() < acks.len() { " (lost it and was bound again)" } else { "" }
        );
        for e in &acks {
            ensure(e.ip == Some(*ip) && e.server == Some(survivor.ip), || {
                format!("{} lost {ip}: {e:?}\n{}", pair.clients[i].name, pair.dump())
            })?;
        }
        for e in &held(&pair, i) {
            let g = e.lease.unwrap_or(-1);
            ensure(obeys_rule(g, tsfp[ip], e.t, mclt), || {
                format!(
                    "{} granted {g} s at +{:.1} s with the partner's potential expiry at +{} s: the rule gives {:.1}\n{}",
                    pair.clients[i].name,
                    e.t - t_kill,
                    tsfp[ip] as f64 - t_kill,
                    rule_grant(tsfp[ip], e.t, mclt),
                    pair.dump()
                )
            })?;
        }
    }

    // ---- 6. the dead server returns -----------------------------------------
    if plan.database_lost {
        std::fs::write(&pair.server(!sp).leases, "").map_err(|e| e.to_string())?;
    }
    let t_back = wall();
    pair.start_server(!sp)?;
    let (survivor, dead) = (pair.server(sp), pair.server(!sp));
    let t_normal = pair.wait_move(dead, "recover-done", "normal", 60 + mclt as u64)?;
    let _ = writeln!(
        notes,
        "    the {d_who} back{}: normal {:.1} s after its restart",
        if plan.database_lost { " with an empty lease file" } else { "" },
        t_normal - t_back
    );
    if plan.database_lost {
        // Nothing says what it may have handed out before: the MCLT wait
        // (counted from its state's start, in whole seconds: up to 1 s
        // earlier than the restart as this clock sees it).
        ensure(t_normal - t_back >= mclt as f64 - 2.0, || {
            format!(
                "the {d_who} recovered from nothing in {:.1} s, within the MCLT\n{}",
                t_normal - t_back,
                pair.dump()
            )
        })?;
    }
    pair.wait_move(survivor, "partner-down", "normal", 30)?;
    let clients: Vec<(String, Ipv4Addr, [u8; 6])> = pair
        .clients
        .iter()
        .filter_map(|c| c.last_ack().and_then(|e| e.ip).map(|ip| (c.name.clone(), ip, c.mac)))
        .collect();
    ensure(clients.len() == 5, || format!("only {} clients bound\n{}", clients.len(), pair.dump()))?;
    let agree = || {
        let a = survivor.lease_state().ok()?;
        let b = dead.lease_state().ok()?;
        clients
            .iter()
            .all(|(_, ip, mac)| {
                let (Some(x), Some(y)) = (a.leases.get(ip), b.leases.get(ip)) else { return false };
                x.binding_state == BindingState::Active
                    && y.binding_state == BindingState::Active
                    && x.hardware.as_ref().is_some_and(|h| h.addr == mac[..])
                    && x.hardware == y.hardware
                    && x.ends == y.ends
            })
            .then_some(())
    };
    netlab::wait_for(Duration::from_secs(20), agree).ok_or_else(|| {
        let show = |s: &Server| {
            s.lease_state()
                .map(|st| {
                    clients
                        .iter()
                        .map(|(n, ip, _)| {
                            st.leases.get(ip).map_or(format!("{n} {ip}: none"), |l| {
                                format!(
                                    "{n} {ip}: {:?} {:?} ends {}",
                                    l.binding_state,
                                    l.hardware.as_ref().map(|h| super::pair::mac_text(&h.addr)),
                                    l.ends
                                )
                            })
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_else(|e| e)
        };
        format!("the lease files disagree:\n  {s_who}: {}\n  {d_who}: {}\n{}", show(survivor), show(dead), pair.dump())
    })?;

    // The survivor's moves since the kill (every run since, for the restart
    // variant), the returning server's.
    let mut survivor_moves = Vec::new();
    for (k, id) in survivor.runs.iter().enumerate() {
        let log = pair.lab.proc(*id).stderr.all();
        let moves = own_moves(&log, name);
        if *id == survivor_run_before {
            let before = own_moves(&log, name)
                .into_iter()
                .position(|m| m == "normal -> communications-interrupted")
                .unwrap_or(0);
            survivor_moves.extend(moves.into_iter().skip(before));
        } else {
            survivor_moves.push(format!("(restart {k})"));
            survivor_moves.extend(moves);
        }
    }
    let returning_moves = own_moves(&dead.log(&pair.lab), name);
    let _ = writeln!(notes, "    {s_who}: {survivor_moves:?}\n    {d_who} back: {returning_moves:?}");
    let _ = writeln!(notes, "    both lease files agree on {} bindings", clients.len());
    if std::env::var_os("FAILOVER_OUTAGE_VERBOSE").is_some() {
        notes.push_str(&pair.dump());
    }
    let addresses = clients.iter().map(|(n, ip, _)| (n.clone(), *ip)).collect();
    Ok(Facts {
        survivor_moves,
        returning_moves,
        starved_lines,
        new_client_grants,
        free_at_kill: (own_free, peer_free),
        addresses,
    })
}

/// Restarts the survivor with `my state partner-down` in its configuration:
/// its lease file's state record wins, so it comes back (after the 15 s of
/// startup) communications-interrupted.
fn restart_with_configuration_block(pair: &mut Pair, sp: bool, notes: &mut String) -> Outcome {
    let conf = pair.server(sp).conf.clone();
    let plain = std::fs::read_to_string(&conf).map_err(|e| e.to_string())?;
    pair.stop_server(sp, libc::SIGTERM);
    std::fs::write(&conf, format!("{plain}{}", partner_down_block(&pair.name))).map_err(|e| e.to_string())?;
    pair.start_server(sp)?;
    pair.wait_move(pair.server(sp), "communications-interrupted", "startup", 10)?;
    pair.wait_move(pair.server(sp), "startup", "communications-interrupted", 30)?;
    std::fs::write(&conf, plain).map_err(|e| e.to_string())?;
    let _ = writeln!(
        notes,
        "    restarted with a configuration state block: back in communications-interrupted (the lease file's record wins)"
    );
    Ok(())
}

/// Restarts the survivor with the partner-down block appended to its lease
/// file (`dhcpd.conf(5)`'s method). Returns when partner-down began: the
/// state's start in the lease file (the block has no date, so the time it
/// was read), from which the MCLT wait counts.
fn restart_with_lease_file_block(pair: &mut Pair, sp: bool, notes: &mut String) -> Result<f64, String> {
    let name = pair.name.clone();
    let leases = pair.server(sp).leases.clone();
    pair.stop_server(sp, libc::SIGTERM);
    let mut file = std::fs::OpenOptions::new().append(true).open(&leases).map_err(|e| e.to_string())?;
    std::io::Write::write_all(&mut file, partner_down_block(&name).as_bytes()).map_err(|e| e.to_string())?;
    drop(file);
    let t = wall();
    pair.start_server(sp)?;
    pair.wait_move(pair.server(sp), "partner-down", "startup", 10)?;
    pair.wait_move(pair.server(sp), "startup", "partner-down", 30)?;
    let _ = writeln!(notes, "    restarted with the state block appended to its lease file: partner-down");
    let st = pair.server(sp).lease_state()?;
    let since = st.failover.iter().find(|r| r.peer == name).and_then(|r| r.me).map(|m| m.since as f64);
    Ok(since.unwrap_or(t).max(t.floor()))
}

/// `failover peer "NAME" state { my state partner-down; }`.
fn partner_down_block(name: &str) -> String {
    format!("failover peer \"{name}\" state {{\n  my state partner-down;\n}}\n")
}
