//! The seam between the OMAPI objects and the rest of the server.
//!
//! The objects ([`super::Store`]) never own server state: every lookup and every change goes
//! through [`Backend`], which the serving loop implements over what it owns. [`Dhcp`] is the
//! engine's part (leases and host declarations) and is implemented here for
//! [`Engine`](crate::engine::Engine), so a backend only adds the failover peers, the lease
//! file and the stop request.
//!
//! Durability follows ISC: a host change is written and committed (`write_host` +
//! `commit_leases`) before OMAPI answers, so [`Backend::persist`] is synchronous; a failure
//! is answered with ISC's IOERROR. Failover state changes are made durable by whoever drains
//! the peer's events (the peer emits the state record to write), before the peer's messages
//! go out; the serving server also syncs them before OMAPI answers, as ISC does. Lease
//! changes ([`Backend::edit_lease`]) are durable before OMAPI answers too.

use std::net::Ipv4Addr;

use crate::conf::model::{Config, Host};
use crate::conf::model_failover::{FailoverPeer, PeerAddress};
use crate::engine::hosts::HostId;
use crate::engine::leasedb::Entry;
use crate::engine::lease_edit::{EditError, LeaseEdit};
use crate::engine::{Engine, FailoverHooks, ScopeEvaluator};
use crate::failover::{Peer, Role};
use crate::lease::records::{FailoverState, Record};
use crate::time::Now;

/// Leases and host declarations, as the engine holds them.
pub trait Dhcp {
    /// The configuration in force (named groups, failover declarations).
    fn config(&self) -> &Config;
    /// The lease of an address with what the engine keeps beside it.
    fn lease_entry(&self, ip: Ipv4Addr) -> Option<&Entry>;
    /// The leases of a client identifier, most preferred first.
    fn leases_by_uid(&self, uid: &[u8]) -> Vec<Ipv4Addr>;
    /// The leases of a hardware key (type byte, then address), most preferred first.
    fn leases_by_hw(&self, key: &[u8]) -> Vec<Ipv4Addr>;
    /// A pool's lease count, FREE and BACKUP leases (index into `Config::pools`).
    fn pool_counts(&self, pool: usize) -> (i64, i64, i64);
    /// A host declaration, deleted ones included.
    fn host(&self, id: HostId) -> Option<&Host>;
    /// The live host of this name.
    fn host_by_name(&self, name: &[u8]) -> Option<HostId>;
    /// Live hosts of a hardware type and address, in ISC's chain order.
    fn hosts_by_hw(&self, htype: u8, addr: &[u8]) -> Vec<HostId>;
    /// Live hosts of a client identifier, in ISC's chain order.
    fn hosts_by_uid(&self, uid: &[u8]) -> Vec<HostId>;
    /// Adds a host, in effect for the next packet.
    fn add_host(&mut self, host: Host) -> HostId;
    /// Replaces a host's declaration.
    fn replace_host(&mut self, id: HostId, host: Host);
    /// Deletes a host.
    fn delete_host(&mut self, id: HostId);
}

impl<E: ScopeEvaluator, F: FailoverHooks> Dhcp for Engine<E, F> {
    fn config(&self) -> &Config {
        Engine::config(self)
    }
    fn lease_entry(&self, ip: Ipv4Addr) -> Option<&Entry> {
        Engine::lease_entry(self, ip)
    }
    fn leases_by_uid(&self, uid: &[u8]) -> Vec<Ipv4Addr> {
        Engine::leases_by_uid(self, uid)
    }
    fn leases_by_hw(&self, key: &[u8]) -> Vec<Ipv4Addr> {
        Engine::leases_by_hw(self, key)
    }
    fn pool_counts(&self, pool: usize) -> (i64, i64, i64) {
        Engine::pool_counts(self, pool)
    }
    fn host(&self, id: HostId) -> Option<&Host> {
        Engine::host(self, id)
    }
    fn host_by_name(&self, name: &[u8]) -> Option<HostId> {
        Engine::host_by_name(self, name)
    }
    fn hosts_by_hw(&self, htype: u8, addr: &[u8]) -> Vec<HostId> {
        Engine::hosts_by_hw(self, htype, addr).to_vec()
    }
    fn hosts_by_uid(&self, uid: &[u8]) -> Vec<HostId> {
        Engine::hosts_by_uid(self, uid).to_vec()
    }
    fn add_host(&mut self, host: Host) -> HostId {
        Engine::add_host(self, host)
    }
    fn replace_host(&mut self, id: HostId, host: Host) {
        Engine::replace_host(self, id, host);
    }
    fn delete_host(&mut self, id: HostId) {
        Engine::delete_host(self, id);
    }
}

/// What the OMAPI objects ask of the server.
pub trait Backend {
    /// The engine's leases and hosts.
    fn dhcp(&self) -> &dyn Dhcp;
    /// The same, to change hosts.
    fn dhcp_mut(&mut self) -> &mut dyn Dhcp;
    /// Appends records to the lease file and makes them durable before returning (ISC
    /// `commit_leases`). The error text is logged; OMAPI answers IOERROR.
    fn persist(&mut self, records: &[Record]) -> Result<(), String>;
    /// The running state of failover peer `peer` (index into `FailoverConfig::peers`),
    /// `None` when it is not running.
    fn failover(&self, peer: usize) -> Option<FailoverFacts>;
    /// Moves peer `peer` to `state` by operator command (OMAPI `local-state`, ISC
    /// `dhcp_failover_set_state`); the error text says why it could not.
    fn set_failover_state(&mut self, now: Now, peer: usize, state: FailoverState) -> Result<(), String>;
    /// Makes an OMAPI change to the lease of `ip` (ISC `dhcp_lease_set_value`): the engine
    /// edits it ([`Engine::edit_lease`]), the lease records are durable before this returns
    /// (ISC `write_lease` + `commit_leases`), and the failover partner is sent the change when
    /// the edit says so. `Ok(false)`: nothing to change.
    fn edit_lease(&mut self, now: Now, ip: Ipv4Addr, edit: LeaseEdit) -> Result<bool, LeaseEditError>;
    /// The control object's `state` was set to 2: stop serving gracefully, as on SIGTERM.
    fn shutdown(&mut self);
}

/// Why [`Backend::edit_lease`] made no change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseEditError {
    /// The engine refused it.
    Refused(EditError),
    /// The change was made but could not be written (the text says why; it is logged).
    Unwritten(String),
}

/// Where an end of a failover relationship is, as OMAPI shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// An IPv4 address (sent as 4 bytes).
    Ip(Ipv4Addr),
    /// A host name not resolved yet (sent as the name's text).
    Name(String),
    /// Not configured and not known yet (our end before the link picks one): sent as
    /// 0.0.0.0.
    Unknown,
}

impl From<Option<&PeerAddress>> for Endpoint {
    fn from(a: Option<&PeerAddress>) -> Endpoint {
        match a {
            Some(PeerAddress::Ip(ip)) => Endpoint::Ip(*ip),
            Some(PeerAddress::Hostname(n)) => Endpoint::Name(n.clone()),
            None => Endpoint::Unknown,
        }
    }
}

/// Everything a failover-state object shows (ISC `dhcp_failover_state_stuff`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverFacts {
    /// The relationship's name.
    pub name: String,
    /// The partner's address (ISC sends 8 bytes of a pointer here instead).
    pub partner_address: Endpoint,
    /// The partner's port.
    pub partner_port: u32,
    /// Our address (same ISC bug as `partner_address`).
    pub local_address: Endpoint,
    /// Our port.
    pub local_port: u32,
    /// Our `max-unacked-updates` (ISC `me.max_flying_updates`).
    pub max_outstanding_updates: u32,
    /// The MCLT in force.
    pub mclt: u32,
    /// `load balance max seconds`.
    pub load_balance_max_secs: u32,
    /// The hash bucket assignment in force, if any.
    pub hba: Option<[u8; 32]>,
    /// The partner's state code.
    pub partner_state: u32,
    /// Our state code.
    pub local_state: u32,
    /// When the partner entered its state.
    pub partner_stos: u32,
    /// When we entered ours.
    pub local_stos: u32,
    /// 0 primary, 1 secondary (ISC `i_am`).
    pub hierarchy: u32,
    /// ISC never updates this field; always 0.
    pub last_packet_sent: u32,
    /// ISC never updates this field; always 0.
    pub last_timestamp_received: u32,
    /// ISC never updates this field; always 0.
    pub skew: u32,
    /// Our `max-response-delay`.
    pub max_response_delay: u32,
    /// BNDUPDs sent and not yet acknowledged.
    pub cur_unacked_updates: u32,
}

impl FailoverFacts {
    /// The facts of a running peer and its declaration. `local` is the address the link
    /// uses when the declaration names none, if known.
    pub fn new(conf: &FailoverPeer, peer: &Peer, local: Option<Ipv4Addr>) -> FailoverFacts {
        let me = peer.state();
        let partner = peer.partner_state();
        let (max_unacked, max_delay) = peer.own_limits();
        let local_address = match (conf.me.address.as_ref(), local) {
            (None, Some(ip)) => Endpoint::Ip(ip),
            (a, _) => Endpoint::from(a),
        };
        FailoverFacts {
            name: peer.name().to_string(),
            partner_address: Endpoint::from(conf.partner.address.as_ref()),
            partner_port: conf.partner.port as u32,
            local_address,
            local_port: conf.me.port as u32,
            max_outstanding_updates: max_unacked,
            mclt: peer.mclt(),
            load_balance_max_secs: peer.load_balance_max_secs(),
            hba: peer.hba().map(|h| *h.as_bytes()),
            partner_state: u32::from(partner.state.code()),
            local_state: u32::from(me.state.code()),
            partner_stos: partner.since as u32,
            local_stos: me.since as u32,
            hierarchy: match peer.role() {
                Role::Primary => 0,
                Role::Secondary => 1,
            },
            last_packet_sent: 0,
            last_timestamp_received: 0,
            skew: 0,
            max_response_delay: max_delay,
            cur_unacked_updates: peer.unacked_updates() as u32,
        }
    }
}
