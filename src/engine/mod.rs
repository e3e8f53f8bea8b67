//! The DHCPv4 engine: ISC dhcpd 4.4's packet handling as a pure function
//! of (packet, configuration, lease state, time).
//!
//! The engine contains no networking, file or clock code (quinn-proto's
//! sans-IO shape). The shell feeds it inputs and carries out the
//! [`Outcome`]s it returns:
//!
//! * [`Engine::handle_packet`] — a BOOTP/DHCP message arrived;
//! * [`Engine::continue_offer`] — the ping a previous outcome asked for
//!   ([`Outcome::probe`]) timed out or was answered;
//! * [`Engine::handle_timeout`] — the time [`Engine::poll_timeout`] named
//!   has come: leases expire.
//!
//! Every outcome lists lease records to make durable *before* its reply
//! goes out, ISC's log lines, and at most one reply with the facts its
//! destination depends on. Time is passed in as wall-clock seconds (ISC's
//! `cur_time`); tests run days of lease time in microseconds.
//!
//! The processing order is ISC's (`server/dhcp.c`, `server/bootp.c`):
//! [`request`] reads the message and locates its network ([`scope`]),
//! [`classify`] puts it in classes, the handlers in [`dhcp`], [`inform`]
//! and [`bootp`] find or allocate a lease ([`find`], [`allocate`],
//! [`leasedb`]), [`ack`] computes the binding and the option state by
//! running the configuration's scopes through the [`eval`] interface
//! ([`isc_eval`] for the crate's evaluator) with [`leasetime`] and
//! [`billing`], and [`grant`] with [`reply`] packs the answer. A pool shared with a failover partner
//! consults [`failover::FailoverHooks`]. OMAPI reads leases and changes
//! host declarations through [`objects`], and changes leases through [`lease_edit`].

pub mod ack;
pub mod agent;
pub mod allocate;
pub mod billing;
pub mod bootp;
pub mod classify;
pub mod dhcp;
pub mod eval;
pub mod failover;
pub mod failover_table;
pub mod find;
pub mod grant;
pub mod hosts;
pub mod inform;
pub mod isc_eval;
pub mod isclog;
pub mod lease_edit;
pub mod leasedb;
pub mod leasetime;
pub mod nak;
pub mod objects;
pub mod outcome;
pub mod queue;
pub mod release;
pub mod reply;
pub mod request;
pub mod scope;

#[cfg(test)]
mod tests;


use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::conf::model::Config;
use crate::lease::Lease;
use crate::options::SpaceId;

pub use eval::{ConstEvaluator, EvalContext, ScopeEvaluator};
pub use failover::{FailoverHooks, NoFailover, PeerStatus, ServiceState};
pub use isc_eval::{IscEvaluator, IscState};
pub use outcome::{LogLine, Outcome, Priority, Probe, ProbeResult, Reply, ReplyFacts, ReplyKind};

use classify::Classes;
use hosts::Hosts;
use leasedb::LeaseDb;
use scope::Scopes;

/// ISC's default `abandon-lease-time` (seconds).
pub const DEFAULT_ABANDON_LEASE_TIME: i64 = 86_400;

/// A network interface the shell listens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Its name (`via NAME` in log lines).
    pub name: String,
    /// Its IPv4 addresses, primary first (the first is the default
    /// server identifier).
    pub addresses: Vec<Ipv4Addr>,
    /// The shared network it is attached to, as ISC decides at start-up.
    pub shared_network: Option<usize>,
}

/// An offer waiting for its ping (ISC `lease->state` while
/// `outstanding_pings`).
#[derive(Clone, Debug)]
struct PendingOffer {
    lease: queue::LeaseIdx,
    reply: Reply,
    log: LogLine,
}

/// The engine: configuration, lease database and run-time class state.
pub struct Engine<E: ScopeEvaluator = ConstEvaluator, F: FailoverHooks = NoFailover> {
    config: Arc<Config>,
    scopes: Scopes,
    hosts: Hosts,
    classes: Classes,
    db: LeaseDb,
    interfaces: Vec<Interface>,
    eval: E,
    failover: F,
    pending: HashMap<u64, PendingOffer>,
    next_probe: u64,
    abandon_lease_time: i64,
    /// ISC's static `dhcp_message`: the text of the next DHCPNAK, set by
    /// the lease lookup and kept between packets.
    dhcp_message: String,
    /// Counter behind ISC's once-in-a-hundred INFORM hint (`eso`).
    inform_hint: u32,
    /// Each failover relationship's pools, indexed like the peers.
    fo_pools: Vec<failover_table::RelationshipPools>,
}

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// An engine for `config`, every range address a FREE lease. Leases
    /// from the lease file go in with [`load_leases`](Self::load_leases),
    /// then [`start`](Self::start) puts them to work.
    pub fn new(config: Arc<Config>, mut eval: E, failover: F) -> Self {
        let scopes = Scopes::new(&config);
        let hosts = Hosts::new(&config);
        let classes = Classes::new(&config);
        let db = LeaseDb::new(&config);
        let fo_pools = failover_table::RelationshipPools::of_config(&config);
        // `abandon-lease-time` is read once from the global scope (ISC
        // `postconf_initialization`).
        let mut abandon_lease_time = DEFAULT_ABANDON_LEASE_TIME;
        {
            let cx = EvalContext { packet: None, lease: None, now: 0 };
            let mut st = eval.new_state();
            eval.execute(&cx, &mut st, &config.groups[Config::ROOT].statements);
            if let Some(v) = eval.option(&cx, &st, SpaceId::SERVER, ack::SV_ABANDON_LEASE_TIME) {
                if let Ok(b) = <[u8; 4]>::try_from(v.as_slice()) {
                    abandon_lease_time = i64::from(u32::from_be_bytes(b));
                }
            }
            let _ = eval.take_logs();
        }
        Engine {
            config,
            scopes,
            hosts,
            classes,
            db,
            interfaces: Vec::new(),
            eval,
            failover,
            pending: HashMap::new(),
            next_probe: 1,
            abandon_lease_time,
            dhcp_message: String::new(),
            inform_hint: 0,
            fo_pools,
        }
    }

    /// Takes DNS's answers for the host names in `fixed-address` lists
    /// (see [`hosts::fixed_address_names`]; a name absent from `resolved`
    /// did not resolve): the hosts naming them get those addresses.
    pub fn set_fixed_address_names(&mut self, resolved: HashMap<String, Vec<Ipv4Addr>>) {
        self.hosts.set_resolved(&self.config, resolved);
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Enters leases read from the lease file, in file order (later
    /// records of an address replace earlier ones). Returns ISC's lines
    /// for leases outside every range.
    pub fn load_leases(&mut self, leases: impl IntoIterator<Item = Lease>) -> Vec<LogLine> {
        let mut logs = Vec::new();
        for l in leases {
            if let Err(line) = self.db.enter(l) {
                logs.push(line);
            }
        }
        logs
    }

    /// Puts every lease on its queue and runs the expiry that came due
    /// while the server was down (ISC `expire_all_pools`).
    pub fn start(&mut self, now: i64) -> Outcome {
        let mut out = Outcome::default();
        // Leases still bound keep their class billing (ISC
        // `lease_instantiate`); others drop it.
        for idx in 0..self.db.len() {
            let e = self.db.get(idx);
            let Some(record) = e.lease.billing_class.clone() else { continue };
            let bound = matches!(
                e.lease.binding_state,
                crate::lease::BindingState::Active
                    | crate::lease::BindingState::Expired
                    | crate::lease::BindingState::Released
                    | crate::lease::BindingState::Reset
            );
            let class = if bound { self.classes.resolve_billing(&self.config, &record) } else { None };
            let class = class.filter(|&c| self.classes.bill(&self.config, c));
            let e = self.db.get_mut(idx);
            e.billing = class;
            if class.is_none() {
                e.lease.billing_class = None;
            }
        }
        let statuses = self.pool_statuses();
        let changed = self.db.instantiate(now, &|p| statuses[p].clone());
        self.settle(&mut out);
        for idx in changed {
            out.record(self.db.get(idx).lease.clone());
        }
        out
    }

    /// Registers the interface the shell numbers `index` and returns the
    /// shared network ISC attaches it to (`None`: ISC logs "No subnet
    /// declaration for ..." and ignores it).
    pub fn set_interface(&mut self, index: usize, name: &str, addresses: &[Ipv4Addr]) -> Option<usize> {
        let shared_network = self.scopes.interface_network(&self.config, addresses);
        if self.interfaces.len() <= index {
            self.interfaces.resize(index + 1, Interface { name: String::new(), addresses: Vec::new(), shared_network: None });
        }
        self.interfaces[index] = Interface { name: name.to_string(), addresses: addresses.to_vec(), shared_network };
        shared_network
    }

    /// A registered interface.
    pub fn interface(&self, index: usize) -> Option<&Interface> {
        self.interfaces.get(index)
    }

    /// The lease of an address.
    pub fn lease(&self, ip: Ipv4Addr) -> Option<&Lease> {
        self.db.by_ip(ip).map(|i| &self.db.get(i).lease)
    }

    /// Every lease, for a full rewrite of the lease file.
    pub fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.db.leases()
    }

    /// The failover hooks (the crate's peers, when serving with failover).
    pub fn failover(&self) -> &F {
        &self.failover
    }

    /// The failover hooks, for the state machine to update.
    pub fn failover_mut(&mut self) -> &mut F {
        &mut self.failover
    }

    /// Runs `f` with the failover hooks and relationship `peer`'s leases
    /// (index into `FailoverConfig::peers`) as the peer's
    /// [`LeaseTable`](crate::failover::LeaseTable). Returns what `f`
    /// returned and the leases it changed, which must be written to the
    /// lease file and made durable before anything the peer sends next.
    pub fn with_failover_table<R>(
        &mut self,
        peer: usize,
        f: impl FnOnce(&mut F, &mut dyn crate::failover::LeaseTable) -> R,
    ) -> (R, Vec<Lease>) {
        let status = self.failover.status(peer);
        let empty = failover_table::RelationshipPools::default();
        let rel = self.fo_pools.get(peer).unwrap_or(&empty);
        let mut table = failover_table::EngineTable::new(&mut self.db, rel, status.clone());
        let r = f(&mut self.failover, &mut table);
        let changed = table.into_changed();
        for c in self.db.take_unbilled() {
            self.classes.unbill(c);
        }
        // Leases stored after a state change inside `f` were queued by the
        // state before it; partner-down orders the expired queue differently.
        let after = self.failover.status(peer);
        if after.as_ref().map(|s| s.me_partner_down) != status.as_ref().map(|s| s.me_partner_down) {
            for &p in &rel.pools {
                self.db.resort_expired(p, after.as_ref());
            }
        }
        (r, changed)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next run
    /// (wall-clock seconds), if any lease has a state change ahead.
    pub fn poll_timeout(&self, now: i64) -> Option<i64> {
        let statuses = self.pool_statuses();
        self.db.next_event(now, &|p| statuses[p].clone())
    }

    /// Makes the lease state changes due at `now` (ISC `pool_timer`).
    pub fn handle_timeout(&mut self, now: i64) -> Outcome {
        let mut out = Outcome::default();
        let statuses = self.pool_statuses();
        for pool in self.db.pools_due(now, &|p| statuses[p].clone()) {
            for idx in self.db.pool_timer(pool, now, statuses[pool].as_ref()) {
                out.record(self.db.get(idx).lease.clone());
            }
        }
        self.settle(&mut out);
        out
    }

    /// Each pool's failover relationship as the hooks report it now.
    fn pool_statuses(&self) -> Vec<Option<PeerStatus>> {
        self.config.pools.iter().map(|p| p.failover_peer.and_then(|peer| self.failover.status(peer))).collect()
    }

    /// The relationship of one pool.
    fn pool_peer(&self, pool: Option<usize>) -> Option<PeerStatus> {
        let peer = self.config.pools.get(pool?)?.failover_peer?;
        self.failover.status(peer)
    }

    /// Gives back the class slots of leases that lost their billing and
    /// records the leases an expiry run changed on the way.
    fn settle(&mut self, out: &mut Outcome) {
        for c in self.db.take_unbilled() {
            self.classes.unbill(c);
        }
        for idx in self.db.take_expired() {
            out.record(self.db.get(idx).lease.clone());
        }
        for (idx, stmts) in self.db.take_fired() {
            self.run_lease_event(idx, &stmts, 0, out);
        }
    }

    /// Runs `on expiry` / `on release` / `on commit` statements for lease
    /// `idx` (ISC passes the lease and no packet).
    fn run_lease_event(&mut self, idx: queue::LeaseIdx, stmts: &[crate::conf::ast::Statement], now: i64, out: &mut Outcome) {
        let l = &self.db.get(idx).lease;
        let host_name = self.db.get(idx).host.map(|h| self.config.hosts[h].name.clone());
        let ev = eval::EvalLease {
            address: l.ip,
            ends: l.ends,
            is_static: false,
            host_name,
            hardware: l.hardware.as_ref().map_or_else(Vec::new, |h| [&[h.htype][..], &h.addr].concat()),
        };
        let cx = EvalContext { packet: None, lease: Some(&ev), now };
        self.eval.run_event(&cx, stmts);
        out.logs.extend(self.eval.take_logs());
        out.commands.extend(self.eval.take_commands());
    }

    fn next_probe_id(&mut self) -> u64 {
        let id = self.next_probe;
        self.next_probe += 1;
        id
    }
}
