/*! ISC failover protocol messages (draft-ietf-dhc-failover-12 as ISC dhcpd 4.4 speaks it).

Two levels, as in the rest of `wire`:

* [`Packet`] is a view over the bytes of one message: the 12-byte header and
  the TLV option area. Its accessors never panic, whatever the buffer holds:
  a field that lies outside the buffer reads as zero and writes to it are
  dropped. Call [`Packet::check_len`] (or use [`Packet::new_checked`]) first
  to know the fields are real. [`Packet::options`] walks the options and stops
  at the first malformed one, reporting why.
* [`Message`] is the meaning: type, time, xid and the typed option values ISC
  keeps. [`Message::parse`] applies ISC's receive rules
  (`do_a_failover_option`) so that a message we accept is one ISC accepts
  and an error is the error ISC logs before dropping the link;
  [`Message::emit`] writes options in the order ISC's senders use, so our
  bytes equal ISC's bytes.

[`Deframer`] cuts a TCP byte stream into messages using the length prefix.

```text
 0               1               2               3
+-------------------------------+---------------+---------------+
|        message length         |     type      | payload offset|
+-------------------------------+---------------+---------------+
|                 time (sender's clock, Unix seconds)           |
+---------------------------------------------------------------+
|                              xid                              |
+-------------------------------+-------------------------------+
|          option code          |         option length         |  <- at payload offset
+-------------------------------+-------------------------------+
|          option data ...                                      |
```

All integers are big-endian. Nothing here does IO or reads a clock.
*/

#[cfg(test)]
mod captures;
mod codes;
mod framer;
mod repr;

pub use codes::{
    BindingState, MessageType, OptionCode, OptionInfo, OptionKind, RejectReason, ServerState,
    ALLOWED, IP_FLAG_BOOTP, IP_FLAG_RESERVE, MESSAGE_TYPE_MAX, OPTION_CODE_MAX, OPTION_INFO,
    PROTOCOL_VERSION, SERVER_FLAG_STARTUP,
};
pub use framer::{frame_len, Deframer};
pub use repr::{EmitError, Message, Options};

use core::fmt;

mod field {
    pub type Field = core::ops::Range<usize>;

    pub const LENGTH: Field = 0..2;
    pub const TYPE: usize = 2;
    pub const PAYLOAD_OFFSET: usize = 3;
    pub const TIME: Field = 4..8;
    pub const XID: Field = 8..12;

    pub const OPTION_CODE: Field = 0..2;
    pub const OPTION_LEN: Field = 2..4;
    pub const OPTION_HEADER_LEN: usize = OPTION_LEN.end;
}

/// Length of the fixed header, and the payload offset ISC always sends.
pub const HEADER_LEN: usize = field::XID.end;
/// Length of an option's code+length prefix.
pub const OPTION_HEADER_LEN: usize = field::OPTION_HEADER_LEN;
/// Smallest message length ISC accepts (`DHCP_FAILOVER_MIN_MESSAGE_SIZE`).
pub const MIN_MESSAGE_LEN: u16 = 12;
/// Largest message length ISC accepts (`DHCP_FAILOVER_MAX_MESSAGE_SIZE`).
pub const MAX_MESSAGE_LEN: u16 = 2048;

/// Why a failover message could not be read.
///
/// Every variant means ISC would close the TCP connection. `Display` gives
/// the line ISC logs for the error (its `log_error` text) where ISC has one;
/// ISC then logs [`Error::link_log_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer ends before the header or before `length` bytes; only a
    /// complete message can be parsed (the stream reader waits instead).
    Truncated {
        /// Bytes the message needs.
        need: usize,
        /// Bytes the buffer has.
        have: usize,
    },
    /// The length field is outside 12..=2048.
    BadLength(u16),
    /// The payload offset is below 12 or beyond the message. ISC does not
    /// check this and loses message framing; we refuse the message instead.
    BadPayloadOffset {
        /// The payload offset field.
        offset: u8,
        /// The message length field.
        len: u16,
    },
    /// Fewer than 2 bytes remain where an option code should start.
    OverflowAtCode,
    /// Fewer than 2 bytes remain where an option length should be.
    OverflowAtLength,
    /// An option's data runs past the end of the message.
    OverflowAtData,
    /// A message of type > 12 carries at least one option.
    InvalidMessageType(u8),
    /// An option this message type keeps appears twice.
    DuplicateOption(OptionCode),
    /// A fixed-size option has the wrong length.
    OptionSize {
        /// The option.
        code: OptionCode,
        /// Its length on the wire.
        got: u16,
        /// The length ISC's table demands.
        want: u16,
    },
    /// An empty DDNS option: passes ISC's size check and then fails its
    /// type switch, so ISC drops the link all the same.
    BadType(OptionCode),
}

impl Error {
    /// ISC's `isc_result_totext` for the status it fails the link with.
    pub fn isc_result(&self) -> &'static str {
        match self {
            Error::BadLength(_) => "unexpected error",
            _ => "protocol error",
        }
    }

    /// The line ISC logs (at info level) when it drops the link for this error.
    pub fn link_log_line(&self) -> String {
        format!("message length wait: {}", self.isc_result())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { need, have } => {
                write!(
                    f,
                    "failover message truncated: need {need} bytes, have {have}"
                )
            }
            Error::BadLength(len) => write!(
                f,
                "failover message length {len} outside {MIN_MESSAGE_LEN}..{MAX_MESSAGE_LEN}"
            ),
            Error::BadPayloadOffset { offset, len } => {
                write!(
                    f,
                    "failover payload offset {offset} outside {HEADER_LEN}..{len}"
                )
            }
            Error::OverflowAtCode => f.write_str("FAILOVER: message overflow at option code."),
            Error::OverflowAtLength => f.write_str("FAILOVER: message overflow at length."),
            Error::OverflowAtData => f.write_str("FAILOVER: message overflow at data."),
            Error::InvalidMessageType(t) => write!(f, "FAILOVER: invalid message type: {t}"),
            Error::DuplicateOption(code) => write!(f, "FAILOVER: duplicate option {code}"),
            Error::OptionSize { code, got, want } => {
                write!(f, "FAILOVER: option size ({got}:{want}), option {code}")
            }
            // 5 is FT_DDNS in ISC's type enum, which it prints as a number.
            Error::BadType(code) => write!(f, "FAILOVER: option {code}: bad type 5"),
        }
    }
}

impl std::error::Error for Error {}

fn read_be(bytes: Option<&[u8]>) -> u32 {
    bytes.map_or(0, |b| {
        b.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x))
    })
}

fn write_be(bytes: Option<&mut [u8]>, value: u32) {
    if let Some(bytes) = bytes {
        let n = bytes.len();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (value >> (8 * (n - 1 - i))) as u8;
        }
    }
}

/// A view over one failover message (header and options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; accessors still never panic.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds a whole message whose length and payload
    /// offset are sane: length 12..=2048 (checked first, as the stream reader
    /// does after two bytes), buffer ≥ length, offset 12..=length.
    pub fn check_len(&self) -> Result<(), Error> {
        let have = self.buffer.as_ref().len();
        if have < field::LENGTH.end {
            return Err(Error::Truncated {
                need: HEADER_LEN,
                have,
            });
        }
        let len = self.msg_len();
        if !(MIN_MESSAGE_LEN..=MAX_MESSAGE_LEN).contains(&len) {
            return Err(Error::BadLength(len));
        }
        if have < usize::from(len) {
            return Err(Error::Truncated {
                need: usize::from(len),
                have,
            });
        }
        let offset = self.payload_offset();
        if usize::from(offset) < HEADER_LEN || u16::from(offset) > len {
            return Err(Error::BadPayloadOffset { offset, len });
        }
        Ok(())
    }

    /// Gives back the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Total message length including the length field itself.
    pub fn msg_len(&self) -> u16 {
        read_be(self.buffer.as_ref().get(field::LENGTH)) as u16
    }

    /// Message type.
    pub fn msg_type(&self) -> MessageType {
        MessageType::from(self.buffer.as_ref().get(field::TYPE).copied().unwrap_or(0))
    }

    /// Where the options start; ISC always sends 12.
    pub fn payload_offset(&self) -> u8 {
        self.buffer
            .as_ref()
            .get(field::PAYLOAD_OFFSET)
            .copied()
            .unwrap_or(0)
    }

    /// The sender's clock when it sent the message (Unix seconds).
    pub fn time(&self) -> u32 {
        read_be(self.buffer.as_ref().get(field::TIME))
    }

    /// Transaction id.
    pub fn xid(&self) -> u32 {
        read_be(self.buffer.as_ref().get(field::XID))
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The option area: payload offset up to the message length, clipped to
    /// the buffer (empty if the header is nonsense).
    pub fn payload(&self) -> &'a [u8] {
        let data = self.buffer.as_ref();
        let end = usize::from(self.msg_len()).min(data.len());
        let start = usize::from(self.payload_offset()).max(HEADER_LEN);
        data.get(start..end).unwrap_or(&[])
    }

    /// Iterates the raw options of the payload.
    pub fn options(&self) -> OptionIter<'a> {
        OptionIter::new(self.payload())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the total message length.
    pub fn set_msg_len(&mut self, value: u16) {
        write_be(self.buffer.as_mut().get_mut(field::LENGTH), value.into());
    }

    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: MessageType) {
        if let Some(b) = self.buffer.as_mut().get_mut(field::TYPE) {
            *b = value.into();
        }
    }

    /// Sets the payload offset.
    pub fn set_payload_offset(&mut self, value: u8) {
        if let Some(b) = self.buffer.as_mut().get_mut(field::PAYLOAD_OFFSET) {
            *b = value;
        }
    }

    /// Sets the time field.
    pub fn set_time(&mut self, value: u32) {
        write_be(self.buffer.as_mut().get_mut(field::TIME), value);
    }

    /// Sets the xid.
    pub fn set_xid(&mut self, value: u32) {
        write_be(self.buffer.as_mut().get_mut(field::XID), value);
    }

    /// The bytes after the fixed header, to the end of the buffer.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        self.buffer
            .as_mut()
            .get_mut(HEADER_LEN..)
            .unwrap_or(&mut [])
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// One option as it appears on the wire, not yet checked against the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption<'a> {
    /// Option code.
    pub code: OptionCode,
    /// Option data (exactly the length the option declared).
    pub data: &'a [u8],
}

/// Iterator over the options of a payload.
///
/// Yields each option, then `None` at the end of the payload. A malformed
/// option yields one `Err` (the overflow ISC would report) and then `None`.
#[derive(Debug, Clone)]
pub struct OptionIter<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> OptionIter<'a> {
    /// Iterates the TLVs in `payload`.
    pub fn new(payload: &'a [u8]) -> Self {
        OptionIter {
            rest: payload,
            failed: false,
        }
    }

    /// The bytes not consumed yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = Result<RawOption<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let result = match (
            self.rest.get(field::OPTION_CODE),
            self.rest.get(field::OPTION_LEN),
        ) {
            (None, _) => Err(Error::OverflowAtCode),
            (Some(_), None) => Err(Error::OverflowAtLength),
            (Some(code), Some(len)) => {
                let len = read_be(Some(len)) as usize;
                let end = OPTION_HEADER_LEN + len;
                match self.rest.get(OPTION_HEADER_LEN..end) {
                    None => Err(Error::OverflowAtData),
                    Some(data) => {
                        let code = OptionCode::from(read_be(Some(code)) as u16);
                        self.rest = self.rest.get(end..).unwrap_or(&[]);
                        Ok(RawOption { code, data })
                    }
                }
            }
        };
        if result.is_err() {
            self.failed = true;
            self.rest = &[];
        }
        Some(result)
    }
}

impl core::iter::FusedIterator for OptionIter<'_> {}

#[cfg(test)]
mod test {
    use super::*;

    static STATE: [u8; 30] = [
        0x00, 0x1e, 0x0a, 0x0c, 0x6b, 0x03, 0xce, 0xf4, 0x00, 0x00, 0x00, 0x07, // header
        0x00, 0x18, 0x00, 0x01, 0x02, // server-state normal
        0x00, 0x17, 0x00, 0x01, 0x00, // server-flags 0
        0x00, 0x19, 0x00, 0x04, 0x6b, 0x03, 0xce, 0x00, // stos
    ];

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&STATE[..]).unwrap();
        assert_eq!(p.msg_len(), 30);
        assert_eq!(p.msg_type(), MessageType::State);
        assert_eq!(p.payload_offset(), 12);
        assert_eq!(p.time(), 0x6b03_cef4);
        assert_eq!(p.xid(), 7);
        let opts: Vec<_> = p.options().collect::<Result<_, _>>().unwrap();
        assert_eq!(opts.len(), 3);
        assert_eq!(
            opts[0],
            RawOption {
                code: OptionCode::ServerState,
                data: &[2]
            }
        );
        assert_eq!(opts[2].code, OptionCode::Stos);
        assert_eq!(opts[2].data, &[0x6b, 0x03, 0xce, 0x00]);
    }

    #[test]
    fn construct() {
        let mut buf = [0xa5u8; 30];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        p.set_msg_len(30);
        p.set_msg_type(MessageType::State);
        p.set_payload_offset(12);
        p.set_time(0x6b03_cef4);
        p.set_xid(7);
        p.payload_mut().copy_from_slice(&STATE[12..]);
        assert_eq!(&buf[..], &STATE[..]);
    }

    #[test]
    fn accessors_on_short_buffers_read_zero_and_ignore_writes() {
        let p = Packet::new_unchecked(&[0x00u8, 0x1e, 0x0a][..]);
        assert_eq!(p.msg_len(), 30);
        assert_eq!(p.msg_type(), MessageType::State);
        assert_eq!(p.payload_offset(), 0);
        assert_eq!(p.time(), 0);
        assert_eq!(p.xid(), 0);
        assert_eq!(p.payload(), &[] as &[u8]);
        let mut short = [0u8; 5];
        let mut p = Packet::new_unchecked(&mut short[..]);
        p.set_xid(0xffff_ffff);
        p.set_time(0xffff_ffff);
        assert!(p.payload_mut().is_empty());
        assert_eq!(short, [0; 5]);
    }

    #[test]
    fn check_len_rules() {
        let mut m = STATE;
        assert_eq!(
            Packet::new_checked(&m[..29]).unwrap_err(),
            Error::Truncated { need: 30, have: 29 }
        );
        assert_eq!(
            Packet::new_checked(&m[..1]).unwrap_err(),
            Error::Truncated { need: 12, have: 1 }
        );
        // A bad length is reported from the first two bytes alone.
        m[0..2].copy_from_slice(&11u16.to_be_bytes());
        assert_eq!(
            Packet::new_checked(&m[..2]).unwrap_err(),
            Error::BadLength(11)
        );
        m[0..2].copy_from_slice(&2049u16.to_be_bytes());
        assert_eq!(
            Packet::new_checked(&m[..]).unwrap_err(),
            Error::BadLength(2049)
        );
        m[0..2].copy_from_slice(&30u16.to_be_bytes());
        m[3] = 11;
        assert_eq!(
            Packet::new_checked(&m[..]).unwrap_err(),
            Error::BadPayloadOffset {
                offset: 11,
                len: 30
            }
        );
        m[3] = 31;
        assert!(matches!(
            Packet::new_checked(&m[..]),
            Err(Error::BadPayloadOffset { .. })
        ));
        m[3] = 30;
        let p = Packet::new_checked(&m[..]).unwrap();
        assert_eq!(p.options().count(), 0);
        // Trailing bytes beyond the length are not part of the message.
        let mut long = STATE.to_vec();
        long.extend_from_slice(&[0, 0, 0]);
        let p = Packet::new_checked(&long[..]).unwrap();
        assert_eq!(p.payload().len(), 18);
    }

    #[test]
    fn option_iter_reports_overflows_once() {
        let mut it = OptionIter::new(&[0x00]);
        assert_eq!(it.next(), Some(Err(Error::OverflowAtCode)));
        assert_eq!(it.next(), None);
        let mut it = OptionIter::new(&[0x00, 0x02, 0x00]);
        assert_eq!(it.next(), Some(Err(Error::OverflowAtLength)));
        assert_eq!(it.next(), None);
        let mut it = OptionIter::new(&[0x00, 0x02, 0x00, 0x01, 0xff, 0x00, 0x03, 0x00, 0x02, 0x01]);
        assert_eq!(
            it.next(),
            Some(Ok(RawOption {
                code: OptionCode::AssignedIpAddress,
                data: &[0xff]
            }))
        );
        assert_eq!(it.next(), Some(Err(Error::OverflowAtData)));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn error_texts_are_iscs() {
        let e = Error::OptionSize {
            code: OptionCode::Mclt,
            got: 2,
            want: 4,
        };
        assert_eq!(e.to_string(), "FAILOVER: option size (2:4), option MCLT");
        assert_eq!(e.link_log_line(), "message length wait: protocol error");
        assert_eq!(
            Error::BadLength(5).link_log_line(),
            "message length wait: unexpected error"
        );
        assert_eq!(
            Error::DuplicateOption(OptionCode::AssignedIpAddress).to_string(),
            "FAILOVER: duplicate option assigned-IP-address"
        );
        assert_eq!(
            Error::BadType(OptionCode::Ddns).to_string(),
            "FAILOVER: option DDNS: bad type 5"
        );
        assert_eq!(
            Error::InvalidMessageType(13).to_string(),
            "FAILOVER: invalid message type: 13"
        );
    }
}
