//! The failover server states and ISC's rules over them, as pure functions.
//!
//! Three tables from ISC's `server/failover.c` live here, each a function of
//! plain values so that it can be tested row by row:
//!
//! * [`service_state`] — what a server may do for DHCP clients in a state
//!   (`dhcp_failover_set_service_state`), with the "not responding" reason
//!   ISC appends to its log lines;
//! * [`after_disconnect`] — where a server goes when the link is lost, the
//!   receive timer fires or startup times out (the "disconnect" branch of
//!   `dhcp_failover_state_transition`; its "connect" tables are dead code in
//!   ISC and have no counterpart here);
//! * [`react_to_peer`] — what a server does when the peer reports a new state
//!   (`dhcp_failover_peer_state_changed`).
//!
//! The state enum itself is [`FailoverState`], defined once with the lease
//! file records that store it.

pub use crate::conf::model_failover::FailoverRole as Role;
pub use crate::lease::records::{FailoverState, StateAt};
use crate::wire::failover::ServerState;

use FailoverState as S;

/// What a server offers DHCP clients (ISC `service_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceState {
    /// Answers nobody.
    NotResponding,
    /// In startup: answers nobody until the peer has been heard or 15 s pass.
    Startup,
    /// Both normal: each side answers its half of the hash.
    Cooperating,
    /// Communications-interrupted: answers everyone from its own free leases,
    /// with MCLT-limited lease times.
    NotCooperating,
    /// Partner-down: answers everyone and may take the peer's leases once
    /// MCLT has passed.
    PartnerDown,
}

impl ServiceState {
    /// Whether DHCP clients get any answer at all.
    pub fn serves(self) -> bool {
        matches!(
            self,
            ServiceState::Cooperating | ServiceState::NotCooperating | ServiceState::PartnerDown
        )
    }
}

/// The service a server offers in `me` while its peer is in `partner`, and
/// the reason ISC appends to "not responding" log lines (empty when serving).
pub fn service_state(me: FailoverState, partner: FailoverState) -> (ServiceState, &'static str) {
    let own = match me {
        S::Unknown => (ServiceState::NotResponding, " (my state unknown)"),
        S::PartnerDown => (ServiceState::PartnerDown, ""),
        S::Normal => (ServiceState::Cooperating, ""),
        S::CommunicationsInterrupted => (ServiceState::NotCooperating, ""),
        S::ResolutionInterrupted | S::PotentialConflict | S::ConflictDone => {
            (ServiceState::NotResponding, " (resolving conflicts)")
        }
        S::Recover => (ServiceState::NotResponding, " (recovering)"),
        S::Shutdown => (ServiceState::NotResponding, " (shut down)"),
        S::Paused => (ServiceState::NotResponding, " (paused)"),
        S::RecoverWait => (ServiceState::NotResponding, " (recover wait)"),
        S::RecoverDone => (ServiceState::NotResponding, " (recover done)"),
        S::Startup => (ServiceState::Startup, " (startup)"),
    };
    if own.0 == ServiceState::NotResponding {
        return own;
    }
    match partner {
        S::PartnerDown => (ServiceState::NotResponding, " (peer demands: recovering)"),
        S::PotentialConflict | S::ConflictDone | S::ResolutionInterrupted => {
            (ServiceState::NotResponding, " (peer demands: resolving conflicts)")
        }
        _ => own,
    }
}

/// What losing the peer does to a server whose state (its saved state while
/// in startup) is `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disconnect {
    /// Keep the state (leave startup for the saved state if in startup).
    Stay,
    /// As `Stay`, and BNDUPDs the peer has not acknowledged are sent again
    /// later (conflict-done: the peer may have lost them).
    StayRescind,
    /// Move to this state.
    Move(FailoverState),
}

/// ISC's "disconnect" transition.
pub fn after_disconnect(state: FailoverState) -> Disconnect {
    match state {
        S::Normal => Disconnect::Move(S::CommunicationsInterrupted),
        S::PotentialConflict | S::Unknown => Disconnect::Move(S::ResolutionInterrupted),
        S::ConflictDone => Disconnect::StayRescind,
        // Startup never is the saved state; treat it as nothing to do.
        _ => Disconnect::Stay,
    }
}

/// What a server does when the peer's state changes (after logging the
/// move and recording it). At most one action; afterwards a server still in
/// startup moves to its saved state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reaction {
    /// Nothing.
    Nothing,
    /// Move to this state.
    Move(FailoverState),
    /// Schedule a pool rebalance check (both normal).
    PoolCheck,
    /// Recover, peer recover: log `requesting full update from peer` and,
    /// unless in startup, send UPDREQALL.
    RequestFullUpdate,
    /// Recover, peer partner-down or communications-interrupted: send
    /// UPDREQALL unless in startup (no log line).
    SendUpdateRequestAll,
    /// Potential-conflict, peer conflict-done: send UPDREQ if the peer was in
    /// potential-conflict before, else log `Unexpected move to conflict-done`.
    UpdateRequestAfterConflictDone,
    /// Communications-interrupted, peer back: send pending updates, then
    /// move to normal.
    SendUpdatesThenNormal,
    /// Log `Peer NAME` followed by this text as an error and move to
    /// shutdown.
    ErrorThenShutdown(String),
    /// Recover-done, peer recover-done: log `Both servers have entered
    /// recover-done!` and move to normal.
    BothRecoverDone,
    /// ISC exits the process (`log_fatal`): conflict-done and the peer moved
    /// somewhere the protocol does not allow.
    Fatal(String),
}

/// Inputs to [`react_to_peer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerChange {
    /// My state, or my saved state while in startup.
    pub me: FailoverState,
    /// Whether I am in startup.
    pub in_startup: bool,
    /// The peer's previous state.
    pub previous: FailoverState,
    /// The peer's new state.
    pub new: FailoverState,
    /// The STARTUP flag of the peer's STATE message.
    pub peer_startup: bool,
    /// My role.
    pub role: Role,
}

/// ISC's `dhcp_failover_peer_state_changed` table (reference §1.10).
pub fn react_to_peer(c: PeerChange) -> Reaction {
    use Reaction as R;
    let (p, n) = (c.previous, c.new);
    let transition = |from: S, to: S| format!(": Invalid state transition {from} to {to}.");
    match c.me {
        S::Normal => match n {
            S::Normal => R::PoolCheck,
            S::PartnerDown if c.in_startup => R::Move(S::Recover),
            S::PartnerDown => R::Move(S::PotentialConflict),
            S::PotentialConflict | S::ResolutionInterrupted | S::ConflictDone => R::ErrorThenShutdown(transition(p, n)),
            S::Recover | S::Shutdown => R::Move(S::PartnerDown),
            S::Paused => R::Move(S::CommunicationsInterrupted),
            _ => R::Nothing,
        },
        S::Recover => match n {
            S::Recover => R::RequestFullUpdate,
            S::PotentialConflict | S::ResolutionInterrupted | S::ConflictDone | S::Normal => {
                R::Move(S::PotentialConflict)
            }
            S::PartnerDown | S::CommunicationsInterrupted => R::SendUpdateRequestAll,
            S::Shutdown => R::Move(S::PartnerDown),
            _ => R::Nothing,
        },
        S::PotentialConflict => match n {
            S::Normal => {
                R::ErrorThenShutdown(" moves to normal during conflict resolution - panic, shutting down.".into())
            }
            S::ConflictDone => R::UpdateRequestAfterConflictDone,
            S::Recover => R::Move(S::Recover),
            S::Shutdown => R::Move(S::PartnerDown),
            _ => R::Nothing,
        },
        S::ConflictDone => match n {
            S::Normal | S::Shutdown => R::Move(n),
            S::PotentialConflict | S::ResolutionInterrupted => R::Nothing,
            _ => R::Fatal(format!(
                "Invalid attempt to move from {p} to {n} while local state is conflict-done."
            )),
        },
        S::PartnerDown if c.peer_startup => R::Nothing,
        S::PartnerDown => match n {
            S::RecoverDone => R::Move(S::Normal),
            S::Normal
            | S::PotentialConflict
            | S::PartnerDown
            | S::CommunicationsInterrupted
            | S::ResolutionInterrupted
            | S::ConflictDone => R::Move(S::PotentialConflict),
            _ => R::Nothing,
        },
        S::CommunicationsInterrupted => match n {
            S::Recover => R::Move(S::PartnerDown),
            S::Normal | S::CommunicationsInterrupted | S::RecoverDone | S::RecoverWait => R::SendUpdatesThenNormal,
            S::PotentialConflict | S::PartnerDown | S::ResolutionInterrupted | S::ConflictDone => {
                R::Move(S::PotentialConflict)
            }
            S::Shutdown => R::Move(S::PartnerDown),
            _ => R::Nothing,
        },
        S::ResolutionInterrupted => match n {
            S::Shutdown => R::Move(S::PartnerDown),
            S::Paused | S::Unknown | S::Startup => R::Nothing,
            _ => R::Move(S::PotentialConflict),
        },
        S::RecoverDone => match n {
            S::RecoverDone => R::BothRecoverDone,
            S::Normal => R::Move(S::Normal),
            S::Shutdown => R::Move(S::PartnerDown),
            _ => R::Nothing,
        },
        S::RecoverWait | S::Shutdown | S::Paused | S::Unknown | S::Startup => R::Nothing,
    }
}

/// Whether a STATE naming the peer's current state again is processed
/// (ISC ignores the repeat unless I am in one of the "disconnected" states;
/// its test of "I have a state" lets `unknown-state` through too).
/// `None` means "leave startup without logging a peer move".
pub fn repeat_is_processed(me: FailoverState) -> Option<bool> {
    match me {
        S::Startup => None,
        S::Unknown
        | S::PartnerDown
        | S::CommunicationsInterrupted
        | S::ResolutionInterrupted
        | S::Recover
        | S::ConflictDone => Some(true),
        _ => Some(false),
    }
}

/// The wire code of a state.
pub fn to_wire(state: FailoverState) -> ServerState {
    ServerState::from(state.code())
}

/// The state a wire code names, `None` for codes outside ISC's table.
pub fn from_wire(state: ServerState) -> Option<FailoverState> {
    FailoverState::from_code(u8::from(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(me: S, previous: S, new: S) -> PeerChange {
        PeerChange {
            me,
            in_startup: false,
            previous,
            new,
            peer_startup: false,
            role: Role::Primary,
        }
    }

    #[test]
    fn service_follows_both_states() {
        assert_eq!(service_state(S::Normal, S::Normal), (ServiceState::Cooperating, ""));
        assert_eq!(
            service_state(S::Normal, S::PartnerDown),
            (ServiceState::NotResponding, " (peer demands: recovering)")
        );
        assert_eq!(
            service_state(S::CommunicationsInterrupted, S::ConflictDone),
            (ServiceState::NotResponding, " (peer demands: resolving conflicts)")
        );
        assert_eq!(
            service_state(S::Recover, S::Normal),
            (ServiceState::NotResponding, " (recovering)")
        );
        assert_eq!(service_state(S::Startup, S::Unknown).0, ServiceState::Startup);
        assert!(service_state(S::PartnerDown, S::Recover).0.serves());
        assert!(!service_state(S::RecoverDone, S::Normal).0.serves());
    }

    #[test]
    fn disconnect_table() {
        assert_eq!(
            after_disconnect(S::Normal),
            Disconnect::Move(S::CommunicationsInterrupted)
        );
        assert_eq!(
            after_disconnect(S::PotentialConflict),
            Disconnect::Move(S::ResolutionInterrupted)
        );
        assert_eq!(after_disconnect(S::Unknown), Disconnect::Move(S::ResolutionInterrupted));
        assert_eq!(after_disconnect(S::ConflictDone), Disconnect::StayRescind);
        for s in [
            S::PartnerDown,
            S::Recover,
            S::RecoverWait,
            S::RecoverDone,
            S::Shutdown,
            S::Paused,
        ] {
            assert_eq!(after_disconnect(s), Disconnect::Stay, "{s}");
        }
    }

    #[test]
    fn peer_reactions_follow_iscs_table() {
        use Reaction as R;
        assert_eq!(
            react_to_peer(change(S::Normal, S::Normal, S::Shutdown)),
            R::Move(S::PartnerDown)
        );
        assert_eq!(
            react_to_peer(change(S::Normal, S::Normal, S::PartnerDown)),
            R::Move(S::PotentialConflict)
        );
        let mut c = change(S::Normal, S::Normal, S::PartnerDown);
        c.in_startup = true;
        assert_eq!(react_to_peer(c), R::Move(S::Recover));
        assert_eq!(
            react_to_peer(change(S::Normal, S::Normal, S::ConflictDone)),
            R::ErrorThenShutdown(": Invalid state transition normal to conflict-done.".into())
        );
        assert_eq!(
            react_to_peer(change(S::Recover, S::Unknown, S::Recover)),
            R::RequestFullUpdate
        );
        assert_eq!(
            react_to_peer(change(S::Recover, S::Normal, S::PartnerDown)),
            R::SendUpdateRequestAll
        );
        assert_eq!(
            react_to_peer(change(S::CommunicationsInterrupted, S::Unknown, S::Recover)),
            R::Move(S::PartnerDown)
        );
        assert_eq!(
            react_to_peer(change(S::CommunicationsInterrupted, S::Normal, S::Normal)),
            R::SendUpdatesThenNormal
        );
        assert_eq!(
            react_to_peer(change(S::PartnerDown, S::Recover, S::RecoverDone)),
            R::Move(S::Normal)
        );
        let mut c = change(S::PartnerDown, S::Normal, S::Normal);
        c.peer_startup = true;
        assert_eq!(react_to_peer(c), R::Nothing);
        c.peer_startup = false;
        assert_eq!(react_to_peer(c), R::Move(S::PotentialConflict));
        assert_eq!(
            react_to_peer(change(S::RecoverDone, S::Recover, S::RecoverDone)),
            R::BothRecoverDone
        );
        assert_eq!(
            react_to_peer(change(S::PotentialConflict, S::PotentialConflict, S::ConflictDone)),
            R::UpdateRequestAfterConflictDone
        );
        assert!(matches!(
            react_to_peer(change(S::ConflictDone, S::Normal, S::Recover)),
            R::Fatal(_)
        ));
        assert_eq!(
            react_to_peer(change(S::RecoverWait, S::Normal, S::Shutdown)),
            R::Nothing
        );
    }

    #[test]
    fn wire_codes_round_trip() {
        for s in FailoverState::ALL {
            assert_eq!(from_wire(to_wire(s)), Some(s));
        }
        assert_eq!(to_wire(S::RecoverWait), ServerState::RecoverWait);
        assert_eq!(from_wire(ServerState::Unknown(12)), None);
    }
}
