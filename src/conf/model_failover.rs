//! Failover peers as declared in dhcpd.conf (`failover peer NAME { ... }`),
//! the `failover peer NAME state { ... }` records that seed their protocol
//! state, and which shared networks and pools refer to them.
//!
//! The values are kept the way ISC keeps them after parsing — defaults
//! filled in, `split` already turned into the 32-byte hash bucket array — so
//! the failover engine can start from this model without re-deriving
//! anything, and `dhcpd -t` checks see exactly what ISC's checks see.

use std::net::Ipv4Addr;

use super::model::GroupId;
use crate::failover::hash::Hba;

/// TCP port ISC uses for both ends when none is configured (IANA's
/// `dhcp-failover`).
pub const DEFAULT_FAILOVER_PORT: i32 = 647;
/// ISC's default for `max-lease-misbalance` (percent).
pub const DEFAULT_MAX_LEASE_MISBALANCE: u32 = 15;
/// ISC's default for `max-lease-ownership` (percent).
pub const DEFAULT_MAX_LEASE_OWNERSHIP: u32 = 10;
/// ISC's default for `max-balance` (seconds between pool rebalances, at most).
pub const DEFAULT_MAX_BALANCE: u32 = 3600;
/// ISC's default for `min-balance` (seconds between pool rebalances, at least).
pub const DEFAULT_MIN_BALANCE: u32 = 60;
/// ISC's default for our `max-unacked-updates`.
pub const DEFAULT_MAX_UNACKED_UPDATES: u32 = 100;
/// ISC's default for our `max-response-delay` (seconds).
pub const DEFAULT_MAX_RESPONSE_DELAY: u32 = 20;

/// Which side of the relationship this server is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailoverRole {
    /// `primary;` — also ISC's value when neither role is given.
    Primary,
    /// `secondary;`
    Secondary,
}

/// A failover protocol state; the one definition lives with the lease file
/// records, which write and read it by the same names.
pub use crate::lease::records::FailoverState;

/// When a recorded state began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateSince {
    /// No time was given: ISC stamps the state with the time it read it.
    WhenRead,
    /// `at DATE`, as seconds since the epoch (ISC `parse_date`).
    At(i64),
}

/// A state with the time it was entered (`my state S [at DATE];`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateRecord {
    /// The state.
    pub state: FailoverState,
    /// When it began.
    pub since: StateSince,
}

/// An `address` / `peer address`: ISC accepts a host name, looked up when
/// the link is made (only its first address is used).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerAddress {
    /// A dotted-quad address.
    Ip(Ipv4Addr),
    /// A host name to resolve.
    Hostname(String),
}

/// The settings of one end of the relationship (ISC `dhcp_failover_config_t`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverEndpoint {
    /// Where this end listens. Optional for our end: ISC then picks the
    /// address of the interface that reaches the partner.
    pub address: Option<PeerAddress>,
    /// TCP port; ISC stores `atoi` of the number unchecked, hence `i32`.
    pub port: i32,
    /// `max-unacked-updates`: BNDUPDs this end accepts in flight.
    pub max_unacked_updates: u32,
    /// `max-response-delay`: seconds of silence before this end gives up
    /// on the other.
    pub max_response_delay: u32,
    /// Protocol state as last recorded (RECOVER for our end and UNKNOWN for
    /// the partner until a state declaration says otherwise).
    pub state: StateRecord,
}

impl FailoverEndpoint {
    fn new(state: FailoverState) -> Self {
        FailoverEndpoint {
            address: None,
            port: 0,
            max_unacked_updates: 0,
            max_response_delay: 0,
            state: StateRecord {
                state,
                since: StateSince::WhenRead,
            },
        }
    }
}

/// Where a peer was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerScope {
    /// At the top of the file (or an include read there).
    Root,
    /// Inside the given shared network (index into `Config::shared_networks`;
    /// `None` when the scope had no shared network recorded).
    SharedNetwork(Option<usize>),
}

/// One `failover peer NAME { ... }` declaration, defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverPeer {
    /// The relationship's name; pools and state records refer to it.
    pub name: String,
    /// Our role.
    pub role: FailoverRole,
    /// Whether `primary;` or `secondary;` appeared at all.
    pub role_given: bool,
    /// Our end (`address`, `port`, `max-response-delay`, ...).
    pub me: FailoverEndpoint,
    /// The partner's end (`peer address`, `peer port`, ...).
    pub partner: FailoverEndpoint,
    /// Maximum client lead time in seconds (0 when not given).
    pub mclt: u32,
    /// The `split` value when the HBA came from `split`.
    pub split: Option<u32>,
    /// Hash bucket array (from `hba` or `split`): which RFC 3074 hash
    /// buckets the primary serves.
    pub hba: Option<Hba>,
    /// `load balance max seconds`: clients waiting longer are answered by
    /// both servers; 0 disables load balancing.
    pub load_balance_max_secs: i32,
    /// `max-lease-misbalance` (percent).
    pub max_lease_misbalance: u32,
    /// `max-lease-ownership` (percent).
    pub max_lease_ownership: u32,
    /// `max-balance` (seconds).
    pub max_balance: u32,
    /// `min-balance` (seconds).
    pub min_balance: u32,
    /// `auto-partner-down` (seconds in COMMUNICATIONS-INTERRUPTED before
    /// moving to PARTNER-DOWN by itself; 0 = never).
    pub auto_partner_down: u32,
    /// Where it was declared.
    pub scope: PeerScope,
    /// The scope (group) that held the declaration.
    pub group: GroupId,
    /// How many pools name it with `failover peer "NAME";` (ISC's check
    /// wants at least one; inheriting it from a shared network does not count).
    pub pool_count: usize,
}

impl FailoverPeer {
    /// A peer as ISC allocates it before reading the body: everything zero,
    /// role primary, states RECOVER / UNKNOWN.
    pub fn new(name: String, scope: PeerScope, group: GroupId) -> Self {
        FailoverPeer {
            name,
            role: FailoverRole::Primary,
            role_given: false,
            me: FailoverEndpoint::new(FailoverState::Recover),
            partner: FailoverEndpoint::new(FailoverState::Unknown),
            mclt: 0,
            split: None,
            hba: None,
            load_balance_max_secs: 0,
            max_lease_misbalance: 0,
            max_lease_ownership: 0,
            max_balance: 0,
            min_balance: 0,
            auto_partner_down: 0,
            scope,
            group,
            pool_count: 0,
        }
    }

    /// Fills in ISC's defaults for everything left at zero.
    pub fn apply_defaults(&mut self) {
        fn or(v: &mut u32, d: u32) {
            if *v == 0 {
                *v = d;
            }
        }
        if self.me.port == 0 {
            self.me.port = DEFAULT_FAILOVER_PORT;
        }
        if self.partner.port == 0 {
            self.partner.port = DEFAULT_FAILOVER_PORT;
        }
        or(&mut self.max_lease_misbalance, DEFAULT_MAX_LEASE_MISBALANCE);
        or(&mut self.max_lease_ownership, DEFAULT_MAX_LEASE_OWNERSHIP);
        or(&mut self.max_balance, DEFAULT_MAX_BALANCE);
        or(&mut self.min_balance, DEFAULT_MIN_BALANCE);
        or(&mut self.me.max_unacked_updates, DEFAULT_MAX_UNACKED_UPDATES);
        or(&mut self.me.max_response_delay, DEFAULT_MAX_RESPONSE_DELAY);
    }
}

/// Every failover peer of a configuration and the links to them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailoverConfig {
    /// Peers in declaration order.
    pub peers: Vec<FailoverPeer>,
    /// The peer each shared network names (`failover peer "X";` or a peer
    /// declared inside it), as (shared network, peer) pairs; pools created
    /// in that shared network start out with it.
    pub shared_network_peers: Vec<(usize, usize)>,
}

impl FailoverConfig {
    /// The peer with this exact name (ISC `find_failover_peer`).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.peers.iter().position(|p| p.name == name)
    }

    /// The peer a shared network hands down to its pools, if any.
    pub fn shared_network_peer(&self, shared_network: usize) -> Option<usize> {
        self.shared_network_peers
            .iter()
            .rev()
            .find(|(sn, _)| *sn == shared_network)
            .map(|&(_, p)| p)
    }

    /// Records that a shared network names `peer`, replacing any earlier one.
    pub fn set_shared_network_peer(&mut self, shared_network: usize, peer: usize) {
        self.shared_network_peers.retain(|(sn, _)| *sn != shared_network);
        self.shared_network_peers.push((shared_network, peer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_codes_round_trip() {
        for code in 0..=255u8 {
            if let Some(s) = FailoverState::from_code(code) {
                assert_eq!(s.code(), code);
            }
        }
        assert_eq!(FailoverState::from_code(254), Some(FailoverState::RecoverWait));
        assert_eq!(FailoverState::from_code(12), None);
    }
}
