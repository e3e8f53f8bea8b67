//! Wire codes of the failover protocol: message types, option codes, reject
//! reasons, server states and binding states, with the names ISC logs.
//!
//! Every enum here is *open*: a code we do not know still parses (into an
//! `Unknown(n)` variant) and converts back to the same number, because ISC
//! accepts unknown message types that carry no options and skips unknown
//! option codes. The option table (`OPTION_INFO`) and the per-message
//! "allowed" masks are data taken from ISC's `server/stables.c`; the codec in
//! the parent module reads them rather than hard-coding sizes.

use core::fmt;

/// Declares a `u8`/`u16`-backed enum with an `Unknown` catch-all and
/// lossless `From` conversions both ways (the smoltcp `enum_with_unknown!`
/// idea, kept local so this module has no shared-macro dependency).
macro_rules! open_enum {
    (
        $(#[$enum_attr:meta])*
        pub enum $name:ident($ty:ty) {
            $( $(#[$variant_attr:meta])* $variant:ident = $value:expr ),+ $(,)?
        }
    ) => {
        $(#[$enum_attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_attr])* $variant ),+,
            /// A code this implementation does not define; kept so it round-trips.
            Unknown($ty),
        }

        impl From<$ty> for $name {
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant ),+,
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for $ty {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value ),+,
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}

open_enum! {
    /// Failover message type (`FTM_*` in ISC's `includes/failover.h`).
    pub enum MessageType(u8) {
        /// POOLREQ: ask the peer to rebalance the pool.
        PoolReq = 1,
        /// POOLRESP: answer to POOLREQ with the number of leases given.
        PoolResp = 2,
        /// BNDUPD: a lease changed and the peer must learn it.
        BndUpd = 3,
        /// BNDACK: acknowledgement (or rejection) of one BNDUPD.
        BndAck = 4,
        /// CONNECT: the primary opens the relationship on a new link.
        Connect = 5,
        /// CONNECTACK: the secondary accepts or rejects a CONNECT.
        ConnectAck = 6,
        /// UPDREQALL: send me every lease.
        UpdReqAll = 7,
        /// UPDDONE: all requested updates were sent and acknowledged.
        UpdDone = 8,
        /// UPDREQ: send me the leases I have not acknowledged.
        UpdReq = 9,
        /// STATE: the sender's server state changed.
        State = 10,
        /// CONTACT: keepalive on an idle link.
        Contact = 11,
        /// DISCONNECT: the sender is closing the link, with a reason.
        Disconnect = 12,
    }
}

/// Highest message type ISC knows (`FTM_MAX`); a larger type is a protocol
/// error as soon as the message carries an option.
pub const MESSAGE_TYPE_MAX: u8 = 12;

impl fmt::Display for MessageType {
    /// ISC's `dhcp_failover_message_name`, as used in its log lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            MessageType::PoolReq => "pool-request",
            MessageType::PoolResp => "pool-response",
            MessageType::BndUpd => "bind-update",
            MessageType::BndAck => "bind-ack",
            MessageType::Connect => "connect",
            MessageType::ConnectAck => "connect-ack",
            MessageType::UpdReqAll => "update-request-all",
            MessageType::UpdDone => "update-done",
            MessageType::UpdReq => "update-request",
            MessageType::State => "state",
            MessageType::Contact => "contact",
            MessageType::Disconnect => "disconnect",
            MessageType::Unknown(n) => return write!(f, "unknown-message-{n}"),
        };
        f.write_str(name)
    }
}

open_enum! {
    /// Failover option code (`FTO_*`, draft-ietf-dhc-failover-12 §12).
    pub enum OptionCode(u16) {
        /// Number of leases handed over in answer to POOLREQ (uint32).
        AddressesTransferred = 1,
        /// The lease's IPv4 address (ipaddr).
        AssignedIpAddress = 2,
        /// Binding state of the lease (uint8, `BindingState`).
        BindingStatus = 3,
        /// Raw DHCP option 61 value of the client (bytes).
        ClientIdentifier = 4,
        /// Hardware type byte followed by the MAC (bytes).
        Chaddr = 5,
        /// Client last transaction time (uint32).
        Cltt = 6,
        /// Reply options (bytes); ISC never sends them.
        ReplyOptions = 7,
        /// Request options (bytes); ISC never sends them.
        RequestOptions = 8,
        /// DDNS status; ISC cannot parse it, so any occurrence kills the link.
        Ddns = 9,
        /// Delayed service (uint8); accepted in no message.
        DelayedService = 10,
        /// Hash bucket assignment, 32 bytes in CONNECT (bytes).
        Hba = 11,
        /// RESERVE/BOOTP flags (uint16).
        IpFlags = 12,
        /// Lease end time (uint32).
        LeaseExpiry = 13,
        /// Max un-acked BNDUPDs the sender accepts (uint32).
        MaxUnacked = 14,
        /// Maximum client lead time (uint32).
        Mclt = 15,
        /// Human-readable text, no NUL (text).
        Message = 16,
        /// Message digest (bytes); ignored by ISC.
        MessageDigest = 17,
        /// Potential expiration time (uint32).
        PotentialExpiry = 18,
        /// The sender's max-response-delay (uint32).
        ReceiveTimer = 19,
        /// Protocol version (uint8); ISC sends 1 and never checks.
        ProtocolVersion = 20,
        /// Reject reason (uint8, `RejectReason`).
        RejectReason = 21,
        /// Failover peer name, compared byte-exact (bytes).
        RelationshipName = 22,
        /// Server flags (uint8), bit 0x01 = STARTUP.
        ServerFlags = 23,
        /// Server state (uint8, `ServerState`).
        ServerState = 24,
        /// Start time of state; in BNDUPD the lease's `starts` (uint32).
        Stos = 25,
        /// TLS reply (uint8); ISC sends 0.
        TlsReply = 26,
        /// TLS request (uint8); ISC sends 0.
        TlsRequest = 27,
        /// Vendor class, ISC sends `isc-<version>` (bytes).
        VendorClass = 28,
        /// Vendor-specific options (bytes); accepted in no message.
        VendorOptions = 29,
    }
}

/// Highest option code ISC knows (`FTO_MAX`); larger codes are skipped.
pub const OPTION_CODE_MAX: u16 = 29;

/// How an option's data is laid out, which decides ISC's size check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// Exactly this many bytes (uint8 = 1, uint16 = 2, uint32/ipaddr = 4).
    Fixed(u16),
    /// Any length (ISC's FT_BYTES and FT_TEXT have element size 1).
    Variable,
    /// ISC's FT_DDNS: "one element of a 0-byte type", i.e. never valid.
    Ddns,
}

/// One row of ISC's `ft_options` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionInfo {
    /// The option code; equals the row index.
    pub code: u16,
    /// ISC's table name, used in its protocol-error log lines.
    pub name: &'static str,
    /// Data layout, for the size check.
    pub kind: OptionKind,
}

const fn info(code: u16, name: &'static str, kind: OptionKind) -> OptionInfo {
    OptionInfo { code, name, kind }
}

use OptionKind::{Ddns as DDNS, Fixed, Variable as VAR};

/// ISC's `ft_options`, indexed by code (row 0 is ISC's "unused" entry and is
/// skipped on receive like any undefined code).
pub static OPTION_INFO: [OptionInfo; 30] = [
    info(0, "unused", VAR),
    info(1, "addresses-transferred", Fixed(4)),
    info(2, "assigned-IP-address", Fixed(4)),
    info(3, "binding-status", Fixed(1)),
    info(4, "client-identifier", VAR),
    info(5, "client-hardware-address", VAR),
    info(6, "client-last-transaction-time", Fixed(4)),
    info(7, "client-reply-options", VAR),
    info(8, "client-request-options", VAR),
    info(9, "DDNS", DDNS),
    info(10, "delayed-service", Fixed(1)),
    info(11, "hash-bucket-assignment", VAR),
    info(12, "IP-flags", Fixed(2)),
    info(13, "lease-expiration-time", Fixed(4)),
    info(14, "max-unacked-bndupd", Fixed(4)),
    info(15, "MCLT", Fixed(4)),
    info(16, "message", VAR),
    info(17, "message-digest", VAR),
    info(18, "potential-expiration-time", Fixed(4)),
    info(19, "receive-timer", Fixed(4)),
    info(20, "protocol-version", Fixed(1)),
    info(21, "reject-reason", Fixed(1)),
    info(22, "relationship-name", VAR),
    info(23, "server-flags", Fixed(1)),
    info(24, "server-state", Fixed(1)),
    info(25, "start-time-of-state", Fixed(4)),
    info(26, "TLS-reply", Fixed(1)),
    info(27, "TLS-request", Fixed(1)),
    info(28, "vendor-class-identifier", VAR),
    info(29, "vendor-specific-options", VAR),
];

impl OptionCode {
    /// The table row for a code ISC defines (1..=29), `None` otherwise.
    pub fn info(self) -> Option<&'static OptionInfo> {
        match u16::from(self) {
            0 => None,
            n => OPTION_INFO.get(usize::from(n)),
        }
    }

    /// The bit ISC uses for this option in its `options_present` and
    /// `fto_allowed` masks (`1 << code`), or 0 for undefined codes.
    pub fn bit(self) -> u32 {
        match u16::from(self) {
            n @ 1..=OPTION_CODE_MAX => 1 << n,
            _ => 0,
        }
    }
}

impl fmt::Display for OptionCode {
    /// ISC's `ft_options` name (the one in "FAILOVER: option size ... option
    /// NAME"), or `unknown-option-N` for codes outside the table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.info() {
            Some(info) => f.write_str(info.name),
            None => write!(f, "unknown-option-{}", u16::from(*self)),
        }
    }
}

const fn bits(codes: &[u16]) -> u32 {
    let mut mask = 0;
    let mut i = 0;
    while i < codes.len() {
        mask |= 1 << codes[i];
        i += 1;
    }
    mask
}

/// ISC's `fto_allowed`: which options each message type keeps on receive
/// (index = message type 0..=12). Anything else is skipped unchecked.
pub static ALLOWED: [u32; 13] = [
    0,                                                       // 0 unused
    0,                                                       // POOLREQ
    bits(&[1]),                                              // POOLRESP
    bits(&[2, 3, 4, 5, 9, 12, 13, 18, 25, 6, 8, 7]),         // BNDUPD
    bits(&[2, 3, 4, 5, 9, 12, 13, 18, 25, 6, 8, 7, 21, 16]), // BNDACK
    bits(&[22, 14, 19, 28, 20, 27, 15, 11]),                 // CONNECT
    bits(&[22, 14, 19, 28, 20, 26, 21, 16]),                 // CONNECTACK
    0,                                                       // UPDREQALL
    0,                                                       // UPDDONE
    0,                                                       // UPDREQ
    bits(&[24, 23, 25]),                                     // STATE
    0,                                                       // CONTACT
    bits(&[21, 16]),                                         // DISCONNECT
];

impl MessageType {
    /// The `fto_allowed` mask for this type; unknown types allow nothing.
    pub fn allowed_mask(self) -> u32 {
        ALLOWED
            .get(usize::from(u8::from(self)))
            .copied()
            .unwrap_or(0)
    }

    /// Whether ISC keeps `code` when it arrives in this message type.
    pub fn allows(self, code: OptionCode) -> bool {
        self.allowed_mask() & code.bit() != 0
    }
}

open_enum! {
    /// Reject reason (`FTR_*`), carried in option 21.
    pub enum RejectReason(u8) {
        /// Address is not part of any pool.
        IllegalIpAddr = 1,
        /// Address in use by another client.
        FatalConflict = 2,
        /// BNDUPD lacks required options.
        MissingBindInfo = 3,
        /// Clocks differ by more than 60 s.
        TimeMismatch = 4,
        /// CONNECT lacked an MCLT.
        InvalidMclt = 5,
        /// Anything else.
        MiscReject = 6,
        /// Already linked to this peer.
        DupConnection = 7,
        /// Unknown or missing relationship name.
        InvalidPartner = 8,
        /// TLS not supported.
        TlsUnsupported = 9,
        /// TLS not configured.
        TlsUnconfigured = 10,
        /// TLS required.
        TlsRequired = 11,
        /// Message digest not supported.
        DigestUnsupported = 12,
        /// Message digest not configured.
        DigestUnconfigured = 13,
        /// Protocol version mismatch.
        VersionMismatch = 14,
        /// Outdated binding information.
        OutdatedBindInfo = 15,
        /// The update is less critical than one in flight the other way.
        LessCritBindInfo = 16,
        /// No traffic within sufficient time.
        NoTraffic = 17,
        /// Missing or wrong-sized HBA.
        HbaConflict = 18,
        /// Address is not reserved on the receiver.
        IpNotReserved = 19,
        /// Digest mismatch.
        IpDigestFailure = 20,
        /// Digest missing.
        IpMissingDigest = 21,
        /// ISC's catch-all code 254 ("Unknown Error."), not the open variant.
        UnknownError = 254,
    }
}

impl RejectReason {
    /// ISC's fixed text for a defined reason (`dhcp_failover_reject_reason_print`).
    pub fn text(self) -> Option<&'static str> {
        Some(match self {
            RejectReason::IllegalIpAddr => "Illegal IP address (not part of any address pool).",
            RejectReason::FatalConflict => "Fatal conflict exists: address in use by other client.",
            RejectReason::MissingBindInfo => "Missing binding information.",
            RejectReason::TimeMismatch => "Connection rejected, time mismatch too great.",
            RejectReason::InvalidMclt => "Connection rejected, invalid MCLT.",
            RejectReason::MiscReject => "Connection rejected, unknown reason.",
            RejectReason::DupConnection => "Connection rejected, duplicate connection.",
            RejectReason::InvalidPartner => "Connection rejected, invalid failover partner.",
            RejectReason::TlsUnsupported => "TLS not supported.",
            RejectReason::TlsUnconfigured => "TLS supported but not configured.",
            RejectReason::TlsRequired => "TLS required but not supported by partner.",
            RejectReason::DigestUnsupported => "Message digest not supported.",
            RejectReason::DigestUnconfigured => "Message digest not configured.",
            RejectReason::VersionMismatch => "Protocol version mismatch.",
            RejectReason::OutdatedBindInfo => "Outdated binding information.",
            RejectReason::LessCritBindInfo => "Less critical binding information.",
            RejectReason::NoTraffic => "No traffic within sufficient time.",
            RejectReason::HbaConflict => "Hash bucket assignment conflict.",
            RejectReason::IpNotReserved => "IP not reserved on this server.",
            RejectReason::IpDigestFailure => "Message digest failed to compare.",
            RejectReason::IpMissingDigest => "Missing message digest.",
            RejectReason::UnknownError => "Unknown Error.",
            RejectReason::Unknown(_) => return None,
        })
    }
}

impl fmt::Display for RejectReason {
    /// Exactly the text ISC logs and puts in a DISCONNECT/BNDACK `message`
    /// when none is given, including its `Undefined-N` wording.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Some(text) => f.write_str(text),
            None => write!(
                f,
                "Undefined-{}: This reason code is not defined in the protocol standard.",
                u8::from(*self)
            ),
        }
    }
}

open_enum! {
    /// Server state (`enum failover_state`), carried in option 24 and
    /// written in the lease file.
    pub enum ServerState(u8) {
        /// Code 0, ISC's `unknown-state` (not the open variant).
        UnknownState = 0,
        /// Just started; no service until the peer is heard from.
        Startup = 1,
        /// Both servers cooperating.
        Normal = 2,
        /// Link lost while normal.
        CommunicationsInterrupted = 3,
        /// Serving alone, may take the peer's leases after MCLT.
        PartnerDown = 4,
        /// Lease databases may disagree.
        PotentialConflict = 5,
        /// Lost the database; relearning it from the peer.
        Recover = 6,
        /// Paused by the operator.
        Paused = 7,
        /// Shutting down.
        Shutdown = 8,
        /// Recovery finished, waiting for the peer.
        RecoverDone = 9,
        /// Link lost during conflict resolution.
        ResolutionInterrupted = 10,
        /// Conflict resolution finished on this side.
        ConflictDone = 11,
        /// Waiting out MCLT after recovery; ISC's number (draft-12 has none).
        RecoverWait = 254,
    }
}

impl ServerState {
    /// ISC's `dhcp_failover_state_name_print`: undefined codes print as
    /// `unknown-state`, and SHUTDOWN is `shutdown` without a hyphen.
    pub fn name(self) -> &'static str {
        match self {
            ServerState::UnknownState | ServerState::Unknown(_) => "unknown-state",
            ServerState::Startup => "startup",
            ServerState::Normal => "normal",
            ServerState::CommunicationsInterrupted => "communications-interrupted",
            ServerState::PartnerDown => "partner-down",
            ServerState::PotentialConflict => "potential-conflict",
            ServerState::Recover => "recover",
            ServerState::Paused => "paused",
            ServerState::Shutdown => "shutdown",
            ServerState::RecoverDone => "recover-done",
            ServerState::ResolutionInterrupted => "resolution-interrupted",
            ServerState::ConflictDone => "conflict-done",
            ServerState::RecoverWait => "recover-wait",
        }
    }
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

open_enum! {
    /// Lease binding state (`FTS_*`), carried in option 3.
    pub enum BindingState(u8) {
        /// Available to the primary.
        Free = 1,
        /// Bound to a client.
        Active = 2,
        /// Lease time ran out.
        Expired = 3,
        /// Client released it.
        Released = 4,
        /// Declined or found in use.
        Abandoned = 5,
        /// Reset by the operator.
        Reset = 6,
        /// Available to the secondary.
        Backup = 7,
    }
}

impl BindingState {
    /// ISC's `binding_state_print` (`unknown` for undefined codes).
    pub fn name(self) -> &'static str {
        match self {
            BindingState::Free => "free",
            BindingState::Active => "active",
            BindingState::Expired => "expired",
            BindingState::Released => "released",
            BindingState::Abandoned => "abandoned",
            BindingState::Reset => "reset",
            BindingState::Backup => "backup",
            BindingState::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for BindingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Server-flags bit meaning "I am in startup" (`FTF_SERVER_STARTUP`).
pub const SERVER_FLAG_STARTUP: u8 = 0x01;
/// IP-flags bit for a reserved lease (`FTF_IP_FLAG_RESERVE`).
pub const IP_FLAG_RESERVE: u16 = 0x0001;
/// IP-flags bit for a BOOTP lease (`FTF_IP_FLAG_BOOTP`).
pub const IP_FLAG_BOOTP: u16 = 0x0002;
/// The protocol-version value ISC sends (`DHCP_FAILOVER_VERSION`).
pub const PROTOCOL_VERSION: u8 = 1;

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn codes_round_trip_through_open_enums() {
        for n in 0..=255u8 {
            assert_eq!(u8::from(MessageType::from(n)), n);
            assert_eq!(u8::from(RejectReason::from(n)), n);
            assert_eq!(u8::from(ServerState::from(n)), n);
            assert_eq!(u8::from(BindingState::from(n)), n);
        }
        for n in [0u16, 1, 29, 30, 255, 256, 65535] {
            assert_eq!(u16::from(OptionCode::from(n)), n);
        }
        assert_eq!(ServerState::from(254), ServerState::RecoverWait);
        assert_eq!(ServerState::from(12), ServerState::Unknown(12));
        assert_eq!(MessageType::from(13), MessageType::Unknown(13));
    }

    #[test]
    fn option_table_rows_match_their_index_and_enum() {
        for (i, row) in OPTION_INFO.iter().enumerate() {
            assert_eq!(usize::from(row.code), i);
            if i > 0 {
                let code = OptionCode::from(row.code);
                assert!(!matches!(code, OptionCode::Unknown(_)), "code {i}");
                assert_eq!(code.to_string(), row.name);
            }
        }
        assert_eq!(OptionCode::from(0).info(), None);
        assert_eq!(OptionCode::from(30).to_string(), "unknown-option-30");
        assert_eq!(OptionCode::Mclt.bit(), 0x0000_8000);
        assert_eq!(OptionCode::VendorOptions.bit(), 0x2000_0000);
    }

    #[test]
    fn allowed_masks_match_isc_bits() {
        // Values of ISC's FTB_* sums, spelled out independently of `bits`.
        assert_eq!(MessageType::PoolResp.allowed_mask(), 0x0000_0002);
        assert_eq!(MessageType::BndUpd.allowed_mask(), 0x0204_33fc);
        assert_eq!(MessageType::BndAck.allowed_mask(), 0x0225_33fc);
        assert_eq!(MessageType::Connect.allowed_mask(), 0x1858_c800);
        assert_eq!(MessageType::ConnectAck.allowed_mask(), 0x1479_4000);
        assert_eq!(MessageType::State.allowed_mask(), 0x0380_0000);
        assert_eq!(MessageType::Disconnect.allowed_mask(), 0x0021_0000);
        assert_eq!(MessageType::Unknown(13).allowed_mask(), 0);
        assert!(MessageType::Connect.allows(OptionCode::Hba));
        assert!(!MessageType::ConnectAck.allows(OptionCode::Hba));
        assert!(!MessageType::State.allows(OptionCode::DelayedService));
    }

    #[test]
    fn reject_reason_texts_are_iscs() {
        assert_eq!(
            RejectReason::DupConnection.to_string(),
            "Connection rejected, duplicate connection."
        );
        assert_eq!(RejectReason::from(254).to_string(), "Unknown Error.");
        assert_eq!(
            RejectReason::from(0).to_string(),
            "Undefined-0: This reason code is not defined in the protocol standard."
        );
        assert_eq!(
            RejectReason::from(22).to_string(),
            "Undefined-22: This reason code is not defined in the protocol standard."
        );
        assert_eq!(
            RejectReason::from(18).to_string(),
            "Hash bucket assignment conflict."
        );
    }

    #[test]
    fn names_are_the_ones_isc_logs() {
        assert_eq!(ServerState::Shutdown.name(), "shutdown");
        assert_eq!(ServerState::RecoverWait.name(), "recover-wait");
        assert_eq!(ServerState::from(99).name(), "unknown-state");
        assert_eq!(
            ServerState::CommunicationsInterrupted.to_string(),
            "communications-interrupted"
        );
        assert_eq!(MessageType::UpdReqAll.to_string(), "update-request-all");
        assert_eq!(MessageType::from(200).to_string(), "unknown-message-200");
        assert_eq!(BindingState::from(7).name(), "backup");
        assert_eq!(BindingState::from(0).name(), "unknown");
    }
}
