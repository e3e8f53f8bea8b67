//! The settings one failover peer runs with, taken from the parsed
//! `failover peer` declaration (defaults already applied there).
//!
//! Only what the protocol engine needs is kept; addresses and ports belong
//! to the event loop, which dials and listens.

use crate::conf::model_failover::{FailoverPeer, StateSince};
use crate::failover::balance::BalanceSettings;
use crate::failover::hash::Hba;
use crate::failover::state::{FailoverState, Role, StateAt};
use crate::lease::Time;

/// The vendor-class-identifier sent in CONNECT and CONNECTACK. ISC sends
/// `isc-` and its version and never checks the peer's (only a `isc-V3.0.`
/// prefix draws a warning); we send ISC 4.4.3-P1's so our handshake bytes
/// are the ones an ISC pair exchanges.
pub const DEFAULT_VENDOR_CLASS: &str = "isc-4.4.3-P1";

/// One relationship's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConfig {
    /// Relationship name, compared byte for byte with the peer's.
    pub name: String,
    /// Our role.
    pub role: Role,
    /// MCLT from the configuration (the primary's is authoritative; a
    /// secondary learns it from CONNECT).
    pub mclt: u32,
    /// The primary's hash bucket assignment.
    pub hba: Option<Hba>,
    /// Our `max-unacked-updates`: BNDUPDs we accept in flight.
    pub max_unacked_updates: u32,
    /// Our `max-response-delay`: seconds of silence before we drop the link.
    pub max_response_delay: u32,
    /// `peer max-unacked-updates`, used until the peer tells its own.
    pub partner_max_unacked_updates: u32,
    /// `peer max-response-delay`, used until the peer tells its own.
    pub partner_max_response_delay: u32,
    /// `load balance max seconds`.
    pub load_balance_max_secs: u32,
    /// Pool balancing settings.
    pub balance: BalanceSettings,
    /// `auto-partner-down` seconds (0 = off).
    pub auto_partner_down: u32,
    /// What we send as vendor-class-identifier.
    pub vendor_class: String,
    /// Our state from the configuration's state block (`recover` if none).
    pub me: StateAt,
    /// The partner's state from the configuration (`unknown-state` if none).
    pub partner: StateAt,
}

impl PeerConfig {
    /// The settings of a parsed declaration; `now` stamps states given
    /// without `at DATE`, as ISC stamps them when it reads them.
    pub fn from_conf(peer: &FailoverPeer, now: Time) -> PeerConfig {
        let at = |since: StateSince| match since {
            StateSince::WhenRead => now,
            StateSince::At(t) => t,
        };
        PeerConfig {
            name: peer.name.clone(),
            role: peer.role,
            mclt: peer.mclt,
            hba: peer.hba,
            max_unacked_updates: peer.me.max_unacked_updates,
            max_response_delay: peer.me.max_response_delay,
            partner_max_unacked_updates: peer.partner.max_unacked_updates,
            partner_max_response_delay: peer.partner.max_response_delay,
            load_balance_max_secs: u32::try_from(peer.load_balance_max_secs).unwrap_or(0),
            balance: BalanceSettings {
                max_lease_misbalance: i64::from(peer.max_lease_misbalance),
                max_lease_ownership: i64::from(peer.max_lease_ownership),
                min_balance: Time::from(peer.min_balance),
                max_balance: Time::from(peer.max_balance),
            },
            auto_partner_down: peer.auto_partner_down,
            vendor_class: DEFAULT_VENDOR_CLASS.to_string(),
            me: StateAt {
                state: peer.me.state.state,
                since: at(peer.me.state.since),
            },
            partner: StateAt {
                state: peer.partner.state.state,
                since: at(peer.partner.state.since),
            },
        }
    }

    /// A configuration with ISC's defaults for a relationship `name`
    /// (`split 128` on the primary), starting in recover at `now`.
    pub fn new(name: &str, role: Role, mclt: u32, now: Time) -> PeerConfig {
        PeerConfig {
            name: name.to_string(),
            role,
            mclt,
            hba: match role {
                Role::Primary => Hba::from_split(128).ok(),
                Role::Secondary => None,
            },
            max_unacked_updates: 100,
            max_response_delay: 20,
            partner_max_unacked_updates: 0,
            partner_max_response_delay: 0,
            load_balance_max_secs: 3,
            balance: BalanceSettings {
                max_lease_misbalance: 15,
                max_lease_ownership: 10,
                min_balance: 60,
                max_balance: 3600,
            },
            auto_partner_down: 0,
            vendor_class: DEFAULT_VENDOR_CLASS.to_string(),
            me: StateAt {
                state: FailoverState::Recover,
                since: now,
            },
            partner: StateAt {
                state: FailoverState::Unknown,
                since: now,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::model::GroupId;
    use crate::conf::model_failover::{PeerScope, StateRecord};

    #[test]
    fn from_conf_takes_defaults_and_stamps_states() {
        let mut p = FailoverPeer::new("fo".into(), PeerScope::Root, GroupId::default());
        p.role = Role::Secondary;
        p.apply_defaults();
        p.partner.state = StateRecord {
            state: FailoverState::PartnerDown,
            since: StateSince::At(77),
        };
        let c = PeerConfig::from_conf(&p, 1000);
        assert_eq!(c.max_unacked_updates, 100);
        assert_eq!(c.max_response_delay, 20);
        assert_eq!(c.balance.min_balance, 60);
        assert_eq!(
            c.me,
            StateAt {
                state: FailoverState::Recover,
                since: 1000
            }
        );
        assert_eq!(
            c.partner,
            StateAt {
                state: FailoverState::PartnerDown,
                since: 77
            }
        );
        assert_eq!(c.role, Role::Secondary);
    }
}
