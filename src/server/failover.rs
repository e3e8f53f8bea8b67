//! The failover side of a serving dhcpd, until the link manager exists.
//!
//! Pools with a `failover peer` are served by ISC's rules for a peer that
//! cannot be reached: at start every relationship moves to startup (`I
//! move from X to startup`, written to the lease file), and after ISC's 15
//! seconds without a connection it takes the "disconnect" transition (from
//! normal to communications-interrupted; most other states return to
//! themselves). The engine asks the [`Peer`]s what it may do through its
//! `FailoverHooks`, so allocation, lease times (MCLT) and expiry follow the
//! state each relationship is in, and `auto-partner-down` timers run.
//!
//! **No connection is ever made**: the `Connect` requests the peers raise
//! are dropped here (so no reconnect timer runs either), and nothing is
//! sent. The TCP link manager (dial, listen, bytes in and out) plugs in at
//! exactly this point: it answers `Connect` with `handle_connected` /
//! `handle_connect_failed`, feeds `handle_bytes` and writes
//! `poll_transmit`, all through [`Engine::with_peer_table`].

use std::time::Instant;

use crate::conf::model::Config;
use crate::engine::{Engine, IscEvaluator, Outcome};
use crate::failover::{Event, Level, Peer, PeerConfig};
use crate::lease::records::FailoverStateRecord;
use crate::time::Now;

/// The engine as the server runs it: the crate's evaluator, the crate's peers.
pub type ServerEngine = Engine<IscEvaluator, Vec<Peer>>;

/// What the peers asked the shell to do.
#[derive(Debug, Default)]
pub struct Effects {
    /// Lease changes and log lines from the engine side.
    pub outcome: Outcome,
    /// Lines to log, in order.
    pub logs: Vec<(Level, String)>,
    /// State records to write to the lease file (durable before anything
    /// sent afterwards).
    pub records: Vec<FailoverStateRecord>,
    /// ISC would exit with this message.
    pub fatal: Option<String>,
}

impl Effects {
    fn absorb(&mut self, out: Outcome) {
        self.outcome.logs.extend(out.logs);
        for l in out.lease_changes {
            self.outcome.lease_changes.retain(|x| x.ip != l.ip);
            self.outcome.lease_changes.push(l);
        }
        self.outcome.commands.extend(out.commands);
    }
}

/// One peer per configured relationship, restored from the lease file's
/// state records (matched by name).
pub fn peers(config: &Config, restored: &[FailoverStateRecord], now: Now) -> Vec<Peer> {
    config
        .failover
        .peers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let record = restored.iter().find(|r| r.peer == p.name);
            let seed = (now.wall as u64) ^ (u64::from(now.wall_micros) << 20) ^ (i as u64) ^ u64::from(std::process::id());
            Peer::new(PeerConfig::from_conf(p, now.wall), record, now, seed)
        })
        .collect()
}

/// Starts every relationship (ISC `dhcp_failover_startup`).
pub fn start(engine: &mut ServerEngine, now: Now) -> Effects {
    let mut fx = Effects::default();
    for i in 0..engine.failover_mut().len() {
        let ((), out) = engine.with_peer_table(now.wall, i, |peers, table| peers[i].start(now, table));
        fx.absorb(out);
        drain(engine, i, &mut fx);
    }
    fx
}

/// The earliest deadline of any relationship.
pub fn poll_timeout(engine: &ServerEngine) -> Option<Instant> {
    engine.failover().iter().filter_map(Peer::poll_timeout).min()
}

/// Runs the relationships whose deadline has passed.
pub fn handle_timeout(engine: &mut ServerEngine, now: Now) -> Effects {
    let mut fx = Effects::default();
    for i in 0..engine.failover_mut().len() {
        if !engine.failover()[i].poll_timeout().is_some_and(|t| t <= now.mono) {
            continue;
        }
        let ((), out) = engine.with_peer_table(now.wall, i, |peers, table| peers[i].handle_timeout(now, table));
        fx.absorb(out);
        drain(engine, i, &mut fx);
    }
    fx
}

/// Moves relationship `i` to `state` by operator command (OMAPI
/// `local-state`, e.g. partner-down).
pub fn set_state(engine: &mut ServerEngine, now: Now, i: usize, state: crate::failover::FailoverState) -> Effects {
    let mut fx = Effects::default();
    let ((), out) = engine.with_peer_table(now.wall, i, |peers, table| peers[i].set_state(now, state, table));
    fx.absorb(out);
    drain(engine, i, &mut fx);
    fx
}

/// Takes what peer `i` produced.
fn drain(engine: &mut ServerEngine, i: usize, fx: &mut Effects) {
    let peer = &mut engine.failover_mut()[i];
    while let Some(ev) = peer.poll_event() {
        match ev {
            Event::Log(level, line) => fx.logs.push((level, line)),
            Event::Persist(record) => fx.records.push(record),
            Event::Fatal(line) => fx.fatal = Some(line),
            // No link manager yet: the peer is never dialled (see the module doc).
            Event::Connect | Event::Close(_) | Event::StateChanged { .. } | Event::PeerStateChanged { .. } => {}
        }
    }
    // Without links there is nothing to send; drop anything queued anyway.
    while peer.poll_transmit().is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::parser::MemLoader;
    use crate::engine::ServiceState;
    use crate::failover::FailoverState;
    use std::sync::Arc;
    use std::time::Duration;

    const CONF: &str = "failover peer \"fo\" { primary; address 10.0.0.1; peer address 10.0.0.2; mclt 600; split 128; }\n\
        subnet 10.0.0.0 netmask 255.255.255.0 { pool { failover peer \"fo\"; range 10.0.0.10 10.0.0.20; } }\n";

    #[test]
    fn an_unreachable_peer_goes_through_startup_to_its_disconnect_state() {
        let loader = MemLoader(vec![("d.conf".into(), CONF.as_bytes().to_vec())]);
        let config = Arc::new(crate::conf::check_config("d.conf", &loader).config.expect("config"));
        let t0 = Instant::now();
        let now = Now { mono: t0, wall: 1_700_000_000, wall_micros: 0 };
        let restored = FailoverStateRecord {
            peer: "fo".into(),
            me: Some(crate::lease::records::StateAt { state: FailoverState::Normal, since: now.wall - 100 }),
            partner: Some(crate::lease::records::StateAt { state: FailoverState::Normal, since: now.wall - 100 }),
            mclt: None,
        };
        let ps = peers(&config, &[restored], now);
        let mut engine: ServerEngine = Engine::new(config, IscEvaluator::new(), ps);
        let _ = engine.start(now.wall);
        let fx = start(&mut engine, now);
        let lines: Vec<&str> = fx.logs.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(lines, vec!["failover peer fo: I move from normal to startup"]);
        assert_eq!(fx.records.len(), 1, "the state is written before anything else");
        use crate::engine::FailoverHooks;
        assert!(!engine.failover().status(0).unwrap().service.serves(), "no service in startup");

        let deadline = poll_timeout(&engine).expect("startup timer");
        assert_eq!(deadline, t0 + Duration::from_secs(15));
        let later = Now { mono: deadline, wall: now.wall + 15, wall_micros: 0 };
        let fx = handle_timeout(&mut engine, later);
        let lines: Vec<&str> = fx.logs.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(lines, vec!["failover peer fo: I move from startup to communications-interrupted"]);
        assert_eq!(engine.failover().status(0).unwrap().service, ServiceState::NotCooperating);
        assert!(poll_timeout(&engine).is_none(), "no reconnect timer without a link manager");
    }
}
