/*!
BOOTP/DHCPv4 messages (RFC 951, RFC 2131, RFC 2132, RFC 3396) as ISC dhcpd 4.4 reads and writes them.

```text
 0                   1                   2                   3
 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
+---------------+---------------+---------------+---------------+
|     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |   0
+---------------+---------------+---------------+---------------+
|                            xid (4)                            |   4
+-------------------------------+-------------------------------+
|           secs (2)            |           flags (2)           |   8
+-------------------------------+-------------------------------+
|  ciaddr (4) | yiaddr (4) | siaddr (4) | giaddr (4)            |  12..28
+---------------------------------------------------------------+
|                          chaddr (16)                          |  28
+---------------------------------------------------------------+
|                          sname  (64)                          |  44
+---------------------------------------------------------------+
|                          file   (128)                         | 108
+---------------------------------------------------------------+
|                 magic cookie 99.130.83.99 (4)                 | 236
+---------------------------------------------------------------+
|                       options (variable)                      | 240
+---------------------------------------------------------------+
```

* [`Packet`] is the checked view: field getters and setters over a buffer, and
  [`Packet::options`], a borrowed iterator over raw `(code, bytes)` options.
* [`Repr`] is the meaning: header fields plus the ordered option list, with option overload
  (option 52) and RFC 3396 long options resolved. [`Repr::emit`] writes it plainly;
  [`Repr::emit_limited`] fits it into a maximum message size the way ISC's `cons_options` does.

What ISC accepts, and where this module draws the same lines (ISC 4.4.3 `common/discover.c`
`got_one`, `common/options.c` `do_packet`/`parse_options`/`parse_option_buffer`):

* fewer than 236 bytes: dropped without a log line → [`Error::Truncated`];
* `hlen` > 16: `Discarding packet with bogus hlen.` → [`Error::BadHlen`];
* shorter than 240 bytes or no magic cookie: not an error, a BOOTP packet without options
  (ISC `options_valid = 0`); its vendor area is kept raw in [`Vendor::Raw`] because ISC's
  `bootp()` copies it back verbatim;
* a malformed option (a code with no room for its length byte, or a length running past the
  buffer): `parse_option_buffer: malformed option dhcp.<unknown> (code N): REASON.` and the
  packet is dropped → [`Error::MalformedOption`], whose `Display` is that exact line. ISC's
  one exception is kept: in the options field (not in `file`/`sname`) a malformed option is
  tolerated when the options before it include a message type of OFFER, ACK or NAK.

Rules ISC applies after parsing that stay with the caller, because they are about meaning:
an empty host-name (12) is ignored with the debug line `Ignoring empty DHO_HOST_NAME option`,
and a zero-length client identifier (61) drops the packet (`validate_packet`).
*/

mod pack;
mod packet;
mod repr;

#[cfg(test)]
mod tests;

use core::fmt;

pub use self::pack::{option_space, Limits, Packed, MAX_OPTION_SPACE, MIN_OPTION_SPACE};
pub use self::packet::{DhcpOption, OptionIter, Packet};
pub use self::repr::{RawOption, Repr, Vendor};

/// Length of the fixed BOOTP header (op .. file), ISC's `DHCP_FIXED_NON_UDP`.
pub const FIXED_LEN: usize = 236;
/// Length of the fixed header plus the magic cookie: where options begin.
pub const HEADER_LEN: usize = 240;
/// The RFC 1048 magic cookie, 99.130.83.99.
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// Size of the `chaddr` field; a larger `hlen` is bogus.
pub const CHADDR_LEN: usize = 16;
/// Size of the `sname` field.
pub const SNAME_LEN: usize = 64;
/// Size of the `file` field.
pub const FILE_LEN: usize = 128;
/// ISC pads every reply to at least this many bytes (`BOOTP_MIN_LEN`).
pub const BOOTP_MIN_LEN: usize = 300;
/// The broadcast bit of `flags` (RFC 2131 §2, ISC `BOOTP_BROADCAST`).
pub const FLAG_BROADCAST: u16 = 0x8000;

/// Option code 0: one byte of padding, no length.
pub const OPT_PAD: u8 = 0;
/// Option code 52: which of `file` (1) and `sname` (2) carry more options.
pub const OPT_OVERLOAD: u8 = 52;
/// Option code 53: the DHCP message type.
pub const OPT_MESSAGE_TYPE: u8 = 53;
/// Option code 82: relay agent information, echoed back to the relay.
pub const OPT_AGENT_INFORMATION: u8 = 82;
/// Option code 255: end of an option area, no length.
pub const OPT_END: u8 = 255;

/// Bit of the overload option value meaning "`file` holds options".
pub const OVERLOAD_FILE: u8 = 1;
/// Bit of the overload option value meaning "`sname` holds options".
pub const OVERLOAD_SNAME: u8 = 2;

enum_with_unknown! {
    /// BOOTP `op` field.
    pub enum OpCode(u8) {
        /// Client (or relay) to server, ISC `BOOTREQUEST`.
        Request = 1,
        /// Server to client, ISC `BOOTREPLY`.
        Reply = 2,
    }
}

enum_with_unknown! {
    /// Value of option 53, DHCP message type (RFC 2132 §9.6, RFC 4388, RFC 6926, RFC 7724).
    pub enum MessageType(u8) {
        /// Client looks for servers.
        Discover = 1,
        /// Server offers an address.
        Offer = 2,
        /// Client asks for (or renews) an address.
        Request = 3,
        /// Client found the address in use.
        Decline = 4,
        /// Server commits the binding.
        Ack = 5,
        /// Server refuses the request.
        Nak = 6,
        /// Client gives the address back.
        Release = 7,
        /// Client wants configuration only.
        Inform = 8,
        /// Server asks a client to renew (RFC 3203).
        ForceRenew = 9,
        /// Lease query (RFC 4388).
        LeaseQuery = 10,
        /// Lease query answer: address not leased.
        LeaseUnassigned = 11,
        /// Lease query answer: address not known.
        LeaseUnknown = 12,
        /// Lease query answer: address leased.
        LeaseActive = 13,
        /// Bulk lease query (RFC 6926).
        BulkLeaseQuery = 14,
        /// Bulk lease query finished.
        LeaseQueryDone = 15,
        /// Active lease query (RFC 7724).
        ActiveLeaseQuery = 16,
        /// Lease query status.
        LeaseQueryStatus = 17,
        /// DHCPTLS (RFC 7724).
        Tls = 18,
    }
}

impl MessageType {
    /// The name ISC prints in its log lines (`DHCPDISCOVER`, ...), for the types ISC names.
    pub fn isc_name(self) -> Option<&'static str> {
        Some(match self {
            MessageType::Discover => "DHCPDISCOVER",
            MessageType::Offer => "DHCPOFFER",
            MessageType::Request => "DHCPREQUEST",
            MessageType::Decline => "DHCPDECLINE",
            MessageType::Ack => "DHCPACK",
            MessageType::Nak => "DHCPNAK",
            MessageType::Release => "DHCPRELEASE",
            MessageType::Inform => "DHCPINFORM",
            MessageType::LeaseQuery => "DHCPLEASEQUERY",
            MessageType::LeaseUnassigned => "DHCPLEASEUNASSIGNED",
            MessageType::LeaseUnknown => "DHCPLEASEUNKNOWN",
            MessageType::LeaseActive => "DHCPLEASEACTIVE",
            _ => return None,
        })
    }
}

/// Which field of the message an option area is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// The options field after the magic cookie.
    Options,
    /// The `file` field, when option 52 says it holds options.
    File,
    /// The `sname` field, when option 52 says it holds options.
    Sname,
}

/// Why an option in an area could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionFault {
    /// The code byte is the last byte of the area.
    MissingLength,
    /// The length byte points past the end of the area.
    Overrun,
}

impl OptionFault {
    /// The reason ISC prints at the end of its `parse_option_buffer: malformed option` line.
    pub fn isc_reason(self) -> &'static str {
        match self {
            OptionFault::MissingLength => "code tag at end of buffer - missing length field",
            OptionFault::Overrun => "option length exceeds option buffer length",
        }
    }
}

/// What can go wrong reading or writing a DHCP message. Small and `Copy`, so a server can map
/// each case to the log line (or silence) ISC would produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the 236-byte fixed header. ISC drops these without logging.
    Truncated {
        /// Bytes received.
        len: usize,
    },
    /// `hlen` larger than the 16-byte `chaddr`. ISC: `Discarding packet with bogus hlen.`
    BadHlen(u8),
    /// Bytes 236..240 are not the magic cookie (only from [`Packet::check_magic`]: a parse
    /// treats such a packet as plain BOOTP, as ISC does).
    BadMagic,
    /// An option area could not be read to its end.
    MalformedOption {
        /// Field holding the bad option.
        area: Area,
        /// Its code byte.
        code: u8,
        /// What was wrong with it.
        fault: OptionFault,
    },
    /// Emit: the buffer is shorter than the message.
    BufferTooSmall {
        /// Bytes the message needs.
        need: usize,
        /// Bytes the buffer has.
        have: usize,
    },
    /// Emit: `sname` or `file` longer than its field.
    FieldTooLong {
        /// The field (`Area::Sname` or `Area::File`).
        area: Area,
        /// Length given.
        len: usize,
    },
    /// Emit: an option list entry uses a code that only framing may write: PAD (0) or END
    /// (255) always, overload (52) when [`Repr::emit_limited`] computes it itself.
    FramingOption(u8),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Truncated { len } => {
                write!(
                    f,
                    "packet of {len} bytes is shorter than the {FIXED_LEN}-byte BOOTP header"
                )
            }
            Error::BadHlen(_) => f.write_str("Discarding packet with bogus hlen."),
            Error::BadMagic => f.write_str("no DHCP magic cookie"),
            // ISC looks the option name up too late to print it, so every such line says
            // `<unknown>` (seen on 4.4.3 for code 12, which it knows as host-name).
            Error::MalformedOption { code, fault, .. } => write!(
                f,
                "parse_option_buffer: malformed option dhcp.<unknown> (code {code}): {}.",
                fault.isc_reason()
            ),
            Error::BufferTooSmall { need, have } => {
                write!(
                    f,
                    "buffer of {have} bytes is too small for a {need}-byte message"
                )
            }
            Error::FieldTooLong { area, len } => {
                write!(f, "{area:?} of {len} bytes does not fit its field")
            }
            Error::FramingOption(code) => {
                write!(f, "option code {code} cannot be given as an option value")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Result type of this module.
pub type Result<T> = core::result::Result<T, Error>;
