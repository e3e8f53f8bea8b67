//! A brand-new pair: both servers from empty lease files, the Spanish seed's
//! configuration as written (MCLT 1800), no partner-down dance. What happens
//! is measured and checked the same way for ISC+ISC and for ours in either
//! role or both:
//!
//! * **together**: both servers and one udhcpc client start at once. Each
//!   server goes `recover -> startup -> recover -> recover-done -> normal`
//!   (no MCLT wait: each sees the other in recover, so neither can have
//!   given out anything), within seconds; the client is answered only once
//!   its server is normal, and gets a lease of exactly the MCLT;
//! * **alone**: the primary starts alone with a client waiting: it goes
//!   `recover -> startup -> recover` after the 15 s startup and serves nobody
//!   (`not responding (recovering)`), for as long as it stays alone. When
//!   the secondary starts, the pair goes normal as above and the client is
//!   bound.
//!
//! That is what the French seed's partner-down procedure is for: a single
//! fresh server serves no one until its partner has been seen.

use std::fmt::Write as _;
use std::time::Duration;

use super::pair::{ensure, macs, own_moves, wall, Impl, Pair};
use super::seeds;

/// The es seed's MCLT.
const MCLT: i64 = 1800;
/// How long the lone primary waits for its partner.
const ALONE_SECS: u64 = 22;

/// What a run showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The primary's own moves, then the secondary's.
    pub moves: (Vec<String>, Vec<String>),
    /// In the alone variant, the lone primary's log lines about the client
    /// (hardware address written `MAC`), de-duplicated.
    pub lone_lines: Vec<String>,
    /// The client's first lease time.
    pub grant: i64,
}

/// One fresh start. `alone`: the primary runs alone for a while first.
/// Returns the facts and the seconds from the (second) start to normal.
pub fn run(primary: Impl, secondary: Impl, alone: bool, notes: &mut String) -> Result<(Facts, f64), String> {
    let es = seeds::all().into_iter().find(|s| s.name == "es").ok_or("no es seed")?;
    let imp = |i: Impl| if i == Impl::Isc { "isc" } else { "ours" };
    let tag = format!("fo-fresh-{}-{}{}", imp(primary), imp(secondary), if alone { "-alone" } else { "" });
    let mut pair = Pair::new(&tag, es.relationship, (&es.primary, primary), (&es.secondary, secondary))?;
    let name = es.relationship;
    let c = pair.add_client("c0", macs(1, false, 1)[0], false)?;
    let t0 = wall();
    pair.start_server(true)?;
    let mut lone_lines = Vec::new();
    if alone {
        pair.start_client(c)?;
        std::thread::sleep(Duration::from_secs(ALONE_SECS));
        ensure(pair.clients[c].acks_after(t0).is_empty(), || {
            format!("the lone primary served a client\n{}", pair.dump())
        })?;
        let log = pair.primary.log(&pair.lab);
        let moves = own_moves(&log, name);
        ensure(moves == ["recover -> startup", "startup -> recover"], || {
            format!("the lone primary moved {moves:?}\n{}", pair.dump())
        })?;
        let mac = super::pair::mac_text(&pair.clients[c].mac);
        let mut lines: Vec<String> = log.iter().filter(|l| l.contains(&mac)).map(|l| l.replace(&mac, "MAC")).collect();
        lines.sort();
        lines.dedup();
        ensure(!lines.is_empty(), || format!("the lone primary logged nothing about the client\n{}", pair.dump()))?;
        let _ = writeln!(notes, "    alone {ALONE_SECS} s: {moves:?}, client unanswered: {lines:?}");
        lone_lines = lines;
    }
    let t1 = wall();
    pair.start_server(false)?;
    if !alone {
        pair.start_client(c)?;
    }
    let tp = pair.wait_move(&pair.primary, "recover-done", "normal", 60)?;
    let ts = pair.wait_move(&pair.secondary, "recover-done", "normal", 60)?;
    let normal = tp.max(ts) - t1;
    let ack = pair.wait_ack(c, t0, 30).ok_or_else(|| format!("the client was never bound\n{}", pair.dump()))?;
    let server = if ack.server == Some(pair.primary.ip) { &pair.primary } else { &pair.secondary };
    let t_server_normal = if server.role == "primary" { tp } else { ts };
    // The server answered only once normal (the ACK is at the client a
    // moment after the server decided; the log lines bracket it).
    let log = server.log(&pair.lab);
    let first_ack_line = log.iter().position(|l| l.starts_with("DHCPACK on "));
    let normal_line =
        log.iter().position(|l| l == &format!("failover peer {name}: I move from recover-done to normal"));
    ensure(first_ack_line.is_some() && first_ack_line > normal_line, || {
        format!("{} acknowledged a client before it was normal\n{}", server.who(), pair.dump())
    })?;
    let grant = ack.lease.unwrap_or(-1);
    ensure(grant == MCLT, || format!("the first lease is {grant} s, want the MCLT ({MCLT})\n{}", pair.dump()))?;
    let moves = (own_moves(&pair.primary.log(&pair.lab), name), own_moves(&pair.secondary.log(&pair.lab), name));
    let _ = writeln!(
        notes,
        "    normal {normal:.1} s after the {} start; client bound by the {} {:.1} s after it was normal, lease {grant} s\n    primary:   {:?}\n    secondary: {:?}",
        if alone { "secondary's" } else { "pair's" },
        server.role,
        ack.t - t_server_normal,
        moves.0,
        moves.1
    );
    if std::env::var_os("FAILOVER_OUTAGE_VERBOSE").is_some() {
        notes.push_str(&pair.dump());
    }
    Ok((Facts { moves, lone_lines, grant }, normal))
}
