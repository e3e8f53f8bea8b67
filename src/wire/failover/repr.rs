//! [`Message`]: the typed meaning of one failover message, parsed with ISC's
//! receive rules and emitted in the byte order ISC's senders use.
//!
//! Receive rules (ISC `do_a_failover_option`), applied option by option:
//! a message of type > 12 with any option is an error; an option that does
//! not fit the message is an error; codes 0 and > 29 are skipped; options
//! the message type does not keep (`ALLOWED`) are skipped *without* a size
//! check; a kept option seen twice is an error; a fixed-size option of the
//! wrong length is an error; DDNS (9), kept by BNDUPD/BNDACK, is always an
//! error. Only kept options end up in [`Options`], so parse → emit is exact
//! for every message ISC itself sends.

use std::net::Ipv4Addr;

use super::codes::{
    BindingState, MessageType, OptionCode, OptionKind, RejectReason, ServerState, MESSAGE_TYPE_MAX,
    OPTION_CODE_MAX, OPTION_INFO, PROTOCOL_VERSION, SERVER_FLAG_STARTUP,
};
use super::{Error, OptionIter, Packet, HEADER_LEN, MAX_MESSAGE_LEN, OPTION_HEADER_LEN};
use core::fmt;

/// The option values a message carries; `None` = absent.
///
/// Only options some message type keeps are here: DDNS (always fatal),
/// delayed-service, message-digest and vendor-options (kept by no message)
/// have no field. Byte strings borrow from the parsed buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options<'a> {
    /// 1: leases handed over (POOLRESP).
    pub addresses_transferred: Option<u32>,
    /// 2: the lease address (BNDUPD, BNDACK).
    pub assigned_addr: Option<Ipv4Addr>,
    /// 3: binding state (BNDUPD, BNDACK).
    pub binding_status: Option<BindingState>,
    /// 4: the client's raw option-61 value.
    pub client_identifier: Option<&'a [u8]>,
    /// 5: hardware type byte + hardware address.
    pub chaddr: Option<&'a [u8]>,
    /// 6: client last transaction time.
    pub cltt: Option<u32>,
    /// 7: client reply options (ISC never sends them).
    pub reply_options: Option<&'a [u8]>,
    /// 8: client request options (ISC never sends them).
    pub request_options: Option<&'a [u8]>,
    /// 11: hash bucket assignment (CONNECT; ISC requires 32 bytes).
    pub hba: Option<&'a [u8]>,
    /// 12: IP flags (RESERVE 0x1, BOOTP 0x2).
    pub ip_flags: Option<u16>,
    /// 13: lease expiration time (`ends`).
    pub lease_expiry: Option<u32>,
    /// 14: max un-acked BNDUPDs the sender accepts.
    pub max_unacked: Option<u32>,
    /// 15: maximum client lead time.
    pub mclt: Option<u32>,
    /// 16: text, without NUL.
    pub message: Option<&'a [u8]>,
    /// 18: potential expiration time (`tstp`).
    pub potential_expiry: Option<u32>,
    /// 19: the sender's max-response-delay.
    pub receive_timer: Option<u32>,
    /// 20: protocol version.
    pub protocol_version: Option<u8>,
    /// 21: why the request was refused.
    pub reject_reason: Option<RejectReason>,
    /// 22: failover peer name.
    pub relationship_name: Option<&'a [u8]>,
    /// 23: server flags (`SERVER_FLAG_STARTUP`).
    pub server_flags: Option<u8>,
    /// 24: the sender's server state.
    pub server_state: Option<ServerState>,
    /// 25: start time of state; in BNDUPD the lease's `starts`.
    pub stos: Option<u32>,
    /// 26: TLS reply.
    pub tls_reply: Option<u8>,
    /// 27: TLS request.
    pub tls_request: Option<u8>,
    /// 28: vendor class identifier.
    pub vendor_class: Option<&'a [u8]>,
}

/// One option value ready to be written: integers are big-endian in `int`.
enum Wire<'a> {
    Int([u8; 4], usize),
    Bytes(&'a [u8]),
}

impl<'a> Wire<'a> {
    fn u8(v: u8) -> Self {
        Wire::Int([v, 0, 0, 0], 1)
    }
    fn u16(v: u16) -> Self {
        let b = v.to_be_bytes();
        Wire::Int([b[0], b[1], 0, 0], 2)
    }
    fn u32(v: u32) -> Self {
        Wire::Int(v.to_be_bytes(), 4)
    }
    fn bytes(&self) -> &[u8] {
        match self {
            Wire::Int(b, n) => b.get(..*n).unwrap_or(&[]),
            Wire::Bytes(b) => b,
        }
    }
}

fn be(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

impl<'a> Options<'a> {
    /// The value of option `code` as it goes on the wire, if present.
    fn wire(&self, code: u16) -> Option<Wire<'a>> {
        Some(match code {
            1 => Wire::u32(self.addresses_transferred?),
            2 => Wire::Int(self.assigned_addr?.octets(), 4),
            3 => Wire::u8(self.binding_status?.into()),
            4 => Wire::Bytes(self.client_identifier?),
            5 => Wire::Bytes(self.chaddr?),
            6 => Wire::u32(self.cltt?),
            7 => Wire::Bytes(self.reply_options?),
            8 => Wire::Bytes(self.request_options?),
            11 => Wire::Bytes(self.hba?),
            12 => Wire::u16(self.ip_flags?),
            13 => Wire::u32(self.lease_expiry?),
            14 => Wire::u32(self.max_unacked?),
            15 => Wire::u32(self.mclt?),
            16 => Wire::Bytes(self.message?),
            18 => Wire::u32(self.potential_expiry?),
            19 => Wire::u32(self.receive_timer?),
            20 => Wire::u8(self.protocol_version?),
            21 => Wire::u8(self.reject_reason?.into()),
            22 => Wire::Bytes(self.relationship_name?),
            23 => Wire::u8(self.server_flags?),
            24 => Wire::u8(self.server_state?.into()),
            25 => Wire::u32(self.stos?),
            26 => Wire::u8(self.tls_reply?),
            27 => Wire::u8(self.tls_request?),
            28 => Wire::Bytes(self.vendor_class?),
            _ => return None,
        })
    }

    /// Stores option `code` whose size was already checked against the
    /// table; codes without a field are ignored (none reach here).
    fn store(&mut self, code: u16, data: &'a [u8]) {
        let byte = data.first().copied().unwrap_or(0);
        match code {
            1 => self.addresses_transferred = Some(be(data)),
            2 => self.assigned_addr = Some(Ipv4Addr::from(be(data))),
            3 => self.binding_status = Some(byte.into()),
            4 => self.client_identifier = Some(data),
            5 => self.chaddr = Some(data),
            6 => self.cltt = Some(be(data)),
            7 => self.reply_options = Some(data),
            8 => self.request_options = Some(data),
            11 => self.hba = Some(data),
            12 => self.ip_flags = Some(be(data) as u16),
            13 => self.lease_expiry = Some(be(data)),
            14 => self.max_unacked = Some(be(data)),
            15 => self.mclt = Some(be(data)),
            16 => self.message = Some(data),
            18 => self.potential_expiry = Some(be(data)),
            19 => self.receive_timer = Some(be(data)),
            20 => self.protocol_version = Some(byte),
            21 => self.reject_reason = Some(byte.into()),
            22 => self.relationship_name = Some(data),
            23 => self.server_flags = Some(byte),
            24 => self.server_state = Some(byte.into()),
            25 => self.stos = Some(be(data)),
            26 => self.tls_reply = Some(byte),
            27 => self.tls_request = Some(byte),
            28 => self.vendor_class = Some(data),
            _ => {}
        }
    }

    /// Codes of the options present, ascending.
    pub fn present(&self) -> impl Iterator<Item = OptionCode> + '_ {
        (1..=OPTION_CODE_MAX)
            .filter(|&c| self.wire(c).is_some())
            .map(OptionCode::from)
    }
}

/// The order ISC's senders put options in, per message type (§1.5 of our
/// reference: `dhcp_failover_send_*`). Options a type keeps but ISC never
/// sends come after ISC's own, so parse → emit also round-trips messages
/// from other implementations: BNDACK follows ISC's disabled
/// `DO_BNDACK_SHOULD_NOT` layout, BNDUPD its request/reply placeholders.
pub(super) fn emit_order(kind: MessageType) -> &'static [u16] {
    match kind {
        MessageType::PoolResp => &[1],
        MessageType::BndUpd => &[2, 3, 4, 5, 13, 18, 25, 6, 12, 8, 7],
        MessageType::BndAck => &[2, 3, 4, 5, 13, 18, 25, 6, 12, 21, 16, 8, 7],
        MessageType::Connect => &[22, 14, 19, 28, 20, 27, 15, 11],
        MessageType::ConnectAck => &[22, 14, 19, 28, 20, 26, 21, 16],
        MessageType::State => &[24, 23, 25],
        MessageType::Disconnect => &[21, 16],
        _ => &[],
    }
}

/// Why a [`Message`] could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmitError {
    /// The option is not one this message type carries; ISC would ignore it.
    OptionNotAllowed {
        /// The message type.
        kind: MessageType,
        /// The offending option.
        code: OptionCode,
    },
    /// The message would exceed 2048 bytes, which the peer rejects.
    TooLong {
        /// Length the message would have.
        len: usize,
    },
    /// The output buffer is shorter than [`Message::buffer_len`].
    BufferTooSmall {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::OptionNotAllowed { kind, code } => {
                write!(
                    f,
                    "failover option {code} is not carried by {kind} messages"
                )
            }
            EmitError::TooLong { len } => {
                write!(
                    f,
                    "failover message of {len} bytes exceeds {MAX_MESSAGE_LEN}"
                )
            }
            EmitError::BufferTooSmall { need, have } => {
                write!(f, "failover emit needs {need} bytes, buffer has {have}")
            }
        }
    }
}

impl std::error::Error for EmitError {}

/// One failover message: header fields plus the options ISC keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Message type.
    pub kind: MessageType,
    /// The sender's clock (Unix seconds); ISC checks it only on CONNECT/CONNECTACK.
    pub time: u32,
    /// Transaction id; replies echo the request's.
    pub xid: u32,
    /// The options.
    pub options: Options<'a>,
}

impl<'a> Message<'a> {
    /// Parses a message with ISC's receive rules (see the module doc).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&'a T>) -> Result<Message<'a>, Error> {
        packet.check_len()?;
        let kind = packet.msg_type();
        let type_code = u8::from(kind);
        let mut options = Options::default();
        let mut seen: u32 = 0;
        let mut iter: OptionIter<'a> = packet.options();
        // ISC tests the message type before each option, but only after
        // making sure two bytes remain for the option code.
        loop {
            let rest = iter.remaining().len();
            if rest >= 2 && type_code > MESSAGE_TYPE_MAX {
                return Err(Error::InvalidMessageType(type_code));
            }
            let option = match iter.next() {
                Some(option) => option?,
                None => break,
            };
            let code = u16::from(option.code);
            let info = match (code, OPTION_INFO.get(usize::from(code))) {
                (1..=OPTION_CODE_MAX, Some(info)) => info,
                _ => continue,
            };
            let bit = option.code.bit();
            if kind.allowed_mask() & bit == 0 {
                continue;
            }
            if seen & bit != 0 {
                return Err(Error::DuplicateOption(option.code));
            }
            let got = option.data.len() as u16;
            match info.kind {
                OptionKind::Fixed(want) if got != want => {
                    return Err(Error::OptionSize {
                        code: option.code,
                        got,
                        want,
                    });
                }
                OptionKind::Ddns if got != 0 => {
                    return Err(Error::OptionSize {
                        code: option.code,
                        got,
                        want: 0,
                    });
                }
                OptionKind::Ddns => return Err(Error::BadType(option.code)),
                _ => {}
            }
            seen |= bit;
            options.store(code, option.data);
        }
        Ok(Message {
            kind,
            time: packet.time(),
            xid: packet.xid(),
            options,
        })
    }

    /// Length of the emitted message: header plus every present option.
    pub fn buffer_len(&self) -> usize {
        let options: usize = (1..=OPTION_CODE_MAX)
            .filter_map(|c| self.options.wire(c))
            .map(|w| OPTION_HEADER_LEN + w.bytes().len())
            .sum();
        HEADER_LEN + options
    }

    /// Writes the message (payload offset 12, options in ISC's order) into
    /// the start of `packet`'s buffer, which must hold `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
    ) -> Result<(), EmitError> {
        if let Some(code) = self.options.present().find(|&c| !self.kind.allows(c)) {
            return Err(EmitError::OptionNotAllowed {
                kind: self.kind,
                code,
            });
        }
        let len = self.buffer_len();
        if len > usize::from(MAX_MESSAGE_LEN) {
            return Err(EmitError::TooLong { len });
        }
        let have = packet.as_ref().len();
        if have < len {
            return Err(EmitError::BufferTooSmall { need: len, have });
        }
        packet.set_msg_len(len as u16);
        packet.set_msg_type(self.kind);
        packet.set_payload_offset(HEADER_LEN as u8);
        packet.set_time(self.time);
        packet.set_xid(self.xid);
        let mut out = packet.payload_mut();
        for &code in emit_order(self.kind) {
            let Some(wire) = self.options.wire(code) else {
                continue;
            };
            let data = wire.bytes();
            let size = OPTION_HEADER_LEN + data.len();
            if out.len() < size {
                return Err(EmitError::BufferTooSmall { need: len, have });
            }
            let (head, rest) = core::mem::take(&mut out).split_at_mut(size);
            let (tl, value) = head.split_at_mut(OPTION_HEADER_LEN);
            tl[..2].copy_from_slice(&code.to_be_bytes());
            tl[2..].copy_from_slice(&(data.len() as u16).to_be_bytes());
            value.copy_from_slice(data);
            out = rest;
        }
        Ok(())
    }

    /// Emits into a new vector of exactly `buffer_len()` bytes.
    pub fn to_vec(&self) -> Result<Vec<u8>, EmitError> {
        let mut buf = vec![0u8; self.buffer_len()];
        self.emit(&mut Packet::new_unchecked(&mut buf[..]))?;
        Ok(buf)
    }

    /// A message with no options (POOLREQ, UPDREQ, UPDREQALL, UPDDONE, CONTACT).
    pub fn header_only(kind: MessageType, time: u32, xid: u32) -> Self {
        Message {
            kind,
            time,
            xid,
            options: Options::default(),
        }
    }

    /// CONNECT as ISC's primary sends it: protocol-version 1 and a one-byte
    /// TLS-request of 0 are fixed; `hba` is omitted only if `None`.
    #[allow(clippy::too_many_arguments)]
    pub fn connect(
        time: u32,
        xid: u32,
        relationship_name: &'a [u8],
        max_unacked: u32,
        receive_timer: u32,
        vendor_class: &'a [u8],
        mclt: u32,
        hba: Option<&'a [u8]>,
    ) -> Self {
        let options = Options {
            relationship_name: Some(relationship_name),
            max_unacked: Some(max_unacked),
            receive_timer: Some(receive_timer),
            vendor_class: Some(vendor_class),
            protocol_version: Some(PROTOCOL_VERSION),
            tls_request: Some(0),
            mclt: Some(mclt),
            hba,
            ..Options::default()
        };
        Message {
            kind: MessageType::Connect,
            time,
            xid,
            options,
        }
    }

    /// STATE as ISC sends it: `state` is the saved state while in startup,
    /// with the STARTUP server flag set then.
    pub fn state(time: u32, xid: u32, state: ServerState, startup: bool, stos: u32) -> Self {
        let options = Options {
            server_state: Some(state),
            server_flags: Some(if startup { SERVER_FLAG_STARTUP } else { 0 }),
            stos: Some(stos),
            ..Options::default()
        };
        Message {
            kind: MessageType::State,
            time,
            xid,
            options,
        }
    }

    /// BNDACK as ISC sends it: only the address, plus reason and text when
    /// rejecting. `xid` must be the BNDUPD's.
    pub fn bind_ack(
        time: u32,
        xid: u32,
        addr: Ipv4Addr,
        reject: Option<(RejectReason, &'a [u8])>,
    ) -> Self {
        let options = Options {
            assigned_addr: Some(addr),
            reject_reason: reject.map(|r| r.0),
            message: reject.map(|r| r.1),
            ..Options::default()
        };
        Message {
            kind: MessageType::BndAck,
            time,
            xid,
            options,
        }
    }

    /// DISCONNECT: ISC always sends the reason, and as `message` the
    /// caller's text or else the reason's own text (`reason.to_string()`).
    pub fn disconnect(time: u32, xid: u32, reason: RejectReason, message: &'a [u8]) -> Self {
        let options = Options {
            reject_reason: Some(reason),
            message: Some(message),
            ..Options::default()
        };
        Message {
            kind: MessageType::Disconnect,
            time,
            xid,
            options,
        }
    }

    /// POOLRESP with the number of leases queued to the peer.
    pub fn pool_resp(time: u32, xid: u32, leases: u32) -> Self {
        let options = Options {
            addresses_transferred: Some(leases),
            ..Options::default()
        };
        Message {
            kind: MessageType::PoolResp,
            time,
            xid,
            options,
        }
    }
}
