//! What a failover peer tells the event loop besides bytes to send: ISC's
//! log lines, state changes to persist, connections to open or close.
//!
//! The log texts are ISC 4.4's, word for word (they are what operators and
//! monitoring grep for); the functions here build the ones used in more
//! than one place.

use crate::failover::link::LinkId;
use crate::failover::state::FailoverState;
use crate::lease::records::FailoverStateRecord;

/// Syslog level of a log line (ISC's `log_info`, `log_error`, `log_debug`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// `log_info`.
    Info,
    /// `log_error`.
    Error,
    /// `log_debug`.
    Debug,
}

/// An output of the peer other than a message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A line to log.
    Log(Level, String),
    /// Write this `failover peer "NAME" state { ... }` record to the lease
    /// file and make it durable before sending anything queued after it.
    Persist(FailoverStateRecord),
    /// This server's failover state changed (already logged and persisted).
    StateChanged {
        /// Previous state.
        from: FailoverState,
        /// New state.
        to: FailoverState,
    },
    /// The peer's state changed.
    PeerStateChanged {
        /// Previous state.
        from: FailoverState,
        /// New state.
        to: FailoverState,
    },
    /// Open a TCP connection to the peer (from our configured `address`,
    /// the only source ISC's listener accepts), then report it with
    /// `handle_connected` or `handle_connect_failed`. A request while a
    /// dial is still pending may be dropped; keep dials short (a few
    /// seconds) so a partition shows up as `TimedOut`.
    Connect,
    /// Close this connection once the bytes `poll_transmit` gives (or has
    /// given) for it are written; the peer has already forgotten it and
    /// expects no `handle_disconnected` for it.
    Close(LinkId),
    /// ISC would end the process here (`log_fatal`); the line is its text.
    Fatal(String),
}

/// `failover peer NAME: I move from A to B`.
pub fn i_move(name: &str, from: FailoverState, to: FailoverState) -> String {
    format!("failover peer {name}: I move from {from} to {to}")
}

/// `failover peer NAME: peer moves from A to B`.
pub fn peer_moves(name: &str, from: FailoverState, to: FailoverState) -> String {
    format!("failover peer {name}: peer moves from {from} to {to}")
}

/// `failover peer NAME: Both servers normal`.
pub fn both_normal(name: &str) -> String {
    format!("failover peer {name}: Both servers normal")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert_eq!(
            i_move("fo", FailoverState::Recover, FailoverState::Startup),
            "failover peer fo: I move from recover to startup"
        );
        assert_eq!(
            peer_moves("fo", FailoverState::Unknown, FailoverState::Recover),
            "failover peer fo: peer moves from unknown-state to recover"
        );
        assert_eq!(both_normal("fo"), "failover peer fo: Both servers normal");
    }
}
