//! One TCP connection to the failover peer, and ISC's handshake checks.
//!
//! Both servers dial and both listen; the primary sends CONNECT on every
//! connection that comes up, the secondary answers CONNECTACK, and the first
//! connection to complete the handshake becomes *the* link (ISC
//! `link_to_peer`); a later one is refused as a duplicate. Each connection
//! carries its own stream reassembly, its own xid counter (starting at 0)
//! and its own 15 s startup deadline.
//!
//! The checks are ISC's, in ISC's order (reference §1.7): they return the
//! reject reason and the text ISC puts in the `message` option and its log.

use std::time::Instant;

use crate::lease::Time;
use crate::time::Now;
use crate::wire::failover::{Deframer, Message, RejectReason};

/// Names a connection; chosen by the event loop, unique among live ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId(pub u64);

/// A connection's protocol state.
#[derive(Debug)]
pub(crate) struct Link {
    /// Its name.
    pub id: LinkId,
    /// Bytes received but not yet a whole message.
    pub deframer: Deframer,
    /// Next xid for messages that start a transaction.
    pub xid: u32,
    /// When to give up on the handshake (cleared once it completes).
    pub startup_deadline: Option<Instant>,
}

impl Link {
    /// A link that just came up at `now`.
    pub fn new(id: LinkId, now: Now) -> Link {
        Link {
            id,
            deframer: Deframer::new(),
            xid: 0,
            startup_deadline: Some(super::timer::after(now, super::timer::LINK_STARTUP_SECS)),
        }
    }

    /// The next request xid (ISC `link->xid++`).
    pub fn next_xid(&mut self) -> u32 {
        let x = self.xid;
        self.xid = self.xid.wrapping_add(1);
        x
    }

    /// The next BNDUPD xid, which skips 0 (0 means "no update" to ISC).
    pub fn next_update_xid(&mut self) -> u32 {
        if self.xid == 0 {
            self.xid = 1;
        }
        self.next_xid()
    }
}

/// ISC's tolerance for the peer's clock on CONNECT and CONNECTACK.
pub const MAX_TIME_SKEW: Time = 60;

/// Why a handshake message is refused: reason and ISC's text.
pub type Refusal = (RejectReason, &'static str);

fn skewed(peer_time: u32, now: Time) -> bool {
    (Time::from(peer_time) - now).abs() > MAX_TIME_SKEW
}

/// Checks a CONNECT received for relationship `name` (the receiver's side).
/// `Err` carries the reason for the CONNECTACK; whether the name matched
/// decides what that CONNECTACK says about us (see [`name_matched`]).
pub fn check_connect(msg: &Message<'_>, name: &str, now: Time, linked: bool) -> Result<(), Refusal> {
    let o = &msg.options;
    match o.relationship_name {
        None => return Err((RejectReason::InvalidPartner, "missing relationship-name")),
        Some(n) if n != name.as_bytes() => {
            return Err((RejectReason::InvalidPartner, "unknown failover relationship name"))
        }
        Some(_) => {}
    }
    if skewed(msg.time, now) {
        return Err((RejectReason::TimeMismatch, "time offset too large"));
    }
    if o.hba.map(<[u8]>::len) != Some(32) {
        return Err((RejectReason::HbaConflict, "invalid HBA"));
    }
    if linked {
        return Err((RejectReason::DupConnection, "already connected"));
    }
    if o.mclt.is_none() {
        return Err((RejectReason::InvalidMclt, "no MCLT provided"));
    }
    Ok(())
}

/// Whether a CONNECT refusal still counts as "matched a relationship", in
/// which case ISC's CONNECTACK names us and gives our settings.
pub fn name_matched(refusal: &Refusal) -> bool {
    refusal.1 != "missing relationship-name" && refusal.1 != "unknown failover relationship name"
}

/// What a CONNECTACK means to the primary that sent CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectAckVerdict {
    /// The link is up.
    Accept,
    /// The peer refused us: log `Failover CONNECT to NAME rejected: TEXT`
    /// and close.
    Refused(RejectReason),
    /// We refuse the peer: log `Failover CONNECTACK from NAME: TEXT`, send
    /// DISCONNECT with the reason and text, close.
    Bad(RejectReason, String),
}

/// Checks a CONNECTACK, in ISC's order.
pub fn check_connectack(msg: &Message<'_>, name: &str, now: Time, linked: bool) -> ConnectAckVerdict {
    let o = &msg.options;
    let Some(peer_name) = o.relationship_name else {
        return ConnectAckVerdict::Bad(RejectReason::InvalidPartner, "missing relationship-name".into());
    };
    if let Some(reason) = o.reject_reason {
        return ConnectAckVerdict::Refused(reason);
    }
    if peer_name != name.as_bytes() {
        return ConnectAckVerdict::Bad(
            RejectReason::InvalidPartner,
            format!(
                "remote failover relationship name {} does not match",
                String::from_utf8_lossy(peer_name)
            ),
        );
    }
    if linked {
        return ConnectAckVerdict::Bad(RejectReason::DupConnection, "already connected".into());
    }
    if skewed(msg.time, now) {
        return ConnectAckVerdict::Bad(RejectReason::TimeMismatch, "time offset too large".into());
    }
    ConnectAckVerdict::Accept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::failover::{MessageType, Options};

    const HBA: [u8; 32] = [0xff; 32];

    fn connect(time: u32) -> Message<'static> {
        Message::connect(time, 0, b"fo", 10, 30, b"isc-4.4.3-P1", 60, Some(&HBA))
    }

    #[test]
    fn connect_checks_in_iscs_order() {
        assert_eq!(check_connect(&connect(1000), "fo", 1000, false), Ok(()));
        let mut m = connect(1000);
        m.options.relationship_name = None;
        assert_eq!(
            check_connect(&m, "fo", 1000, true).unwrap_err().1,
            "missing relationship-name"
        );
        assert_eq!(
            check_connect(&connect(1000), "other", 1000, true).unwrap_err().1,
            "unknown failover relationship name"
        );
        assert_eq!(
            check_connect(&connect(1061), "fo", 1000, true).unwrap_err().0,
            RejectReason::TimeMismatch
        );
        assert_eq!(
            check_connect(&connect(1060), "fo", 1000, true).unwrap_err().0,
            RejectReason::DupConnection
        );
        let mut m = connect(1000);
        m.options.hba = Some(&HBA[..31]);
        assert_eq!(
            check_connect(&m, "fo", 1000, true).unwrap_err(),
            (RejectReason::HbaConflict, "invalid HBA")
        );
        let mut m = connect(1000);
        m.options.mclt = None;
        assert_eq!(
            check_connect(&m, "fo", 1000, false).unwrap_err(),
            (RejectReason::InvalidMclt, "no MCLT provided")
        );
        assert!(!name_matched(&(
            RejectReason::InvalidPartner,
            "unknown failover relationship name"
        )));
        assert!(name_matched(&(RejectReason::DupConnection, "already connected")));
    }

    #[test]
    fn connectack_checks() {
        let ack = |name: Option<&'static [u8]>, reason: Option<RejectReason>, time: u32| Message {
            kind: MessageType::ConnectAck,
            time,
            xid: 0,
            options: Options {
                relationship_name: name,
                reject_reason: reason,
                ..Options::default()
            },
        };
        assert_eq!(
            check_connectack(&ack(Some(b"fo"), None, 5), "fo", 5, false),
            ConnectAckVerdict::Accept
        );
        assert_eq!(
            check_connectack(&ack(None, None, 5), "fo", 5, false),
            ConnectAckVerdict::Bad(RejectReason::InvalidPartner, "missing relationship-name".into())
        );
        assert_eq!(
            check_connectack(&ack(Some(b"fo"), Some(RejectReason::DupConnection), 5), "fo", 5, false),
            ConnectAckVerdict::Refused(RejectReason::DupConnection)
        );
        assert_eq!(
            check_connectack(&ack(Some(b"xx"), None, 5), "fo", 5, false),
            ConnectAckVerdict::Bad(
                RejectReason::InvalidPartner,
                "remote failover relationship name xx does not match".into()
            )
        );
        assert!(matches!(
            check_connectack(&ack(Some(b"fo"), None, 5), "fo", 5, true),
            ConnectAckVerdict::Bad(RejectReason::DupConnection, _)
        ));
        assert!(matches!(
            check_connectack(&ack(Some(b"fo"), None, 100), "fo", 5, false),
            ConnectAckVerdict::Bad(RejectReason::TimeMismatch, _)
        ));
    }

    #[test]
    fn xids() {
        let now = Now {
            mono: Instant::now(),
            wall: 0,
            wall_micros: 0,
        };
        let mut l = Link::new(LinkId(1), now);
        assert_eq!(l.startup_deadline, Some(now.mono + std::time::Duration::from_secs(15)));
        assert_eq!(l.next_xid(), 0);
        assert_eq!(l.next_update_xid(), 1);
        let mut l = Link::new(LinkId(2), now);
        assert_eq!(l.next_update_xid(), 1);
        assert_eq!(l.next_xid(), 2);
    }
}
