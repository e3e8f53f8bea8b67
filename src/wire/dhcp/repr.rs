//! [`Repr`]: the meaning of a DHCP message, parsed with overload and RFC 3396 resolved.
//!
//! Options are kept as `(code, bytes)` in the order their code first appeared (options field,
//! then `file`, then `sname`); the values are borrowed from the received buffer unless several
//! pieces had to be joined. [`Repr::emit`] writes the list back plainly into the options field,
//! splitting values longer than 255 bytes; see [`Repr::emit_limited`] for ISC's size-limited form.

use std::borrow::Cow;
use std::net::Ipv4Addr;

use super::packet::{field, OptionIter, Packet};
use super::{
    Area, Error, MessageType, OpCode, Result, CHADDR_LEN, FILE_LEN, FIXED_LEN, HEADER_LEN,
    MAGIC_COOKIE, OPT_AGENT_INFORMATION, OPT_END, OPT_MESSAGE_TYPE, OPT_OVERLOAD, OPT_PAD,
    OVERLOAD_FILE, OVERLOAD_SNAME, SNAME_LEN,
};

/// One option of a [`Repr`]: its code and its whole value (all RFC 3396 pieces joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOption<'a> {
    /// Option code (never PAD or END after a parse).
    pub code: u8,
    /// Value bytes, any length; emit splits it into 255-byte pieces.
    pub data: Cow<'a, [u8]>,
}

impl<'a> RawOption<'a> {
    /// An option borrowing its value.
    pub fn new(code: u8, data: &'a [u8]) -> RawOption<'a> {
        RawOption {
            code,
            data: Cow::Borrowed(data),
        }
    }

    /// An option owning its value.
    pub fn owned(code: u8, data: Vec<u8>) -> RawOption<'static> {
        RawOption {
            code,
            data: Cow::Owned(data),
        }
    }

    /// Detaches the value from the received buffer.
    pub fn into_owned(self) -> RawOption<'static> {
        RawOption {
            code: self.code,
            data: Cow::Owned(self.data.into_owned()),
        }
    }
}

/// What follows the fixed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vendor<'a> {
    /// Magic cookie and options (RFC 1048 and later): the usual case.
    Options(Vec<RawOption<'a>>),
    /// No magic cookie (or fewer than 240 bytes): a BOOTP vendor area ISC does not interpret
    /// (`options_valid = 0`). ISC's `bootp()` copies these bytes into its reply unless
    /// `always-reply-rfc1048` is on, so they are kept exactly, possibly empty.
    Raw(Cow<'a, [u8]>),
}

/// A BOOTP/DHCP message: fixed header fields and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr<'a> {
    /// `op`: BOOTREQUEST or BOOTREPLY.
    pub op: OpCode,
    /// `htype`: hardware type (1 = Ethernet).
    pub htype: u8,
    /// `hlen`: length of the hardware address in `chaddr`, at most 16.
    pub hlen: u8,
    /// `hops`: relay agents passed.
    pub hops: u8,
    /// `xid`: transaction id.
    pub xid: u32,
    /// `secs`: seconds since the client started.
    pub secs: u16,
    /// `flags`: see [`FLAG_BROADCAST`](super::FLAG_BROADCAST).
    pub flags: u16,
    /// `ciaddr`: client's current address.
    pub ciaddr: Ipv4Addr,
    /// `yiaddr`: "your" address, given by the server.
    pub yiaddr: Ipv4Addr,
    /// `siaddr`: next (boot) server.
    pub siaddr: Ipv4Addr,
    /// `giaddr`: relay agent address.
    pub giaddr: Ipv4Addr,
    /// `chaddr`: the whole 16-byte field; the address is its first `hlen` bytes.
    pub chaddr: [u8; CHADDR_LEN],
    /// `sname` without its trailing NULs; empty when the field carried options (or nothing).
    /// At most 64 bytes on emit.
    pub sname: Cow<'a, [u8]>,
    /// `file` without its trailing NULs; empty when the field carried options (or nothing).
    /// At most 128 bytes on emit.
    pub file: Cow<'a, [u8]>,
    /// Cookie and options, or a raw BOOTP vendor area.
    pub vendor: Vendor<'a>,
}

/// Option list under construction: codes in first-seen order, repeated codes joined.
struct Collector<'a> {
    list: Vec<RawOption<'a>>,
    /// `index[code]` = position in `list` + 1, or 0 when the code was not seen yet.
    index: [u16; 256],
}

impl<'a> Collector<'a> {
    fn new() -> Self {
        Collector {
            list: Vec::new(),
            index: [0; 256],
        }
    }

    /// Reads one area into the list; returns the fault that stopped it early, if any.
    fn add_area(&mut self, mut iter: OptionIter<'a>) -> Option<Error> {
        for opt in iter.by_ref() {
            match self.index[usize::from(opt.code)] {
                0 => {
                    self.list.push(RawOption::new(opt.code, opt.data));
                    // At most 254 distinct codes, so the position fits a u16.
                    self.index[usize::from(opt.code)] = self.list.len() as u16;
                }
                i => self.list[usize::from(i) - 1]
                    .data
                    .to_mut()
                    .extend_from_slice(opt.data),
            }
        }
        iter.fault()
    }

    fn get(&self, code: u8) -> Option<&[u8]> {
        match self.index[usize::from(code)] {
            0 => None,
            i => Some(&self.list[usize::from(i) - 1].data),
        }
    }
}

fn trim_nuls(field: &[u8]) -> &[u8] {
    let end = field.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &field[..end]
}

/// Bytes `data` takes in an option area: code and length per 255-byte piece; an empty value
/// is one piece.
pub(super) fn encoded_len(data_len: usize) -> usize {
    data_len + 2 * data_len.div_ceil(255).max(1)
}

/// Writes `code` with `data` split into 255-byte pieces (RFC 3396); returns bytes written.
/// `out` must be at least [`encoded_len`] long.
pub(super) fn write_option(out: &mut [u8], code: u8, data: &[u8]) -> usize {
    let mut at = 0;
    let mut pieces = data.chunks(255).peekable();
    if pieces.peek().is_none() {
        out[0] = code;
        out[1] = 0;
        return 2;
    }
    for piece in pieces {
        out[at] = code;
        out[at + 1] = piece.len() as u8;
        out[at + 2..at + 2 + piece.len()].copy_from_slice(piece);
        at += 2 + piece.len();
    }
    at
}

impl<'a> Repr<'a> {
    /// Reads a message the way ISC's `do_packet` and `parse_options` do (see the module doc for
    /// what is rejected). Option 52 is applied and then left out of the list: it describes the
    /// framing, and emit recomputes it.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&'a T>) -> Result<Repr<'a>> {
        packet.check_len()?;
        packet.check_hlen()?;
        // Field slices are taken from `bytes` so that they live for 'a, not for `&packet`.
        let bytes = packet.bytes();
        let mut chaddr = [0; CHADDR_LEN];
        chaddr.copy_from_slice(packet.chaddr());
        let mut repr = Repr {
            op: packet.op(),
            htype: packet.htype(),
            hlen: packet.hlen(),
            hops: packet.hops(),
            xid: packet.xid(),
            secs: packet.secs(),
            flags: packet.flags(),
            ciaddr: packet.ciaddr(),
            yiaddr: packet.yiaddr(),
            siaddr: packet.siaddr(),
            giaddr: packet.giaddr(),
            chaddr,
            sname: Cow::Borrowed(trim_nuls(&bytes[field::SNAME])),
            file: Cow::Borrowed(trim_nuls(&bytes[field::FILE])),
            vendor: Vendor::Raw(Cow::Borrowed(&bytes[FIXED_LEN..])),
        };
        if packet.check_magic().is_err() {
            return Ok(repr);
        }

        let mut found = Collector::new();
        if let Some(fault) = found.add_area(OptionIter::new(&bytes[HEADER_LEN..], Area::Options)) {
            // ISC keeps a corrupt options field only from a server (an STSN workaround): when
            // a message type of OFFER, ACK or NAK was read before the fault.
            let tolerated = matches!(
                found
                    .get(OPT_MESSAGE_TYPE)
                    .and_then(|v| v.first())
                    .map(|&t| MessageType::from(t)),
                Some(MessageType::Offer | MessageType::Ack | MessageType::Nak)
            );
            if !tolerated {
                return Err(fault);
            }
        }
        // ISC reads the first byte of the (joined) option 52. An empty 52 is taken as "no
        // overload"; ISC would read whatever byte follows it in memory.
        let overload = found
            .get(OPT_OVERLOAD)
            .and_then(|v| v.first().copied())
            .unwrap_or(0);
        if overload & OVERLOAD_FILE != 0 {
            if let Some(fault) = found.add_area(OptionIter::new(&bytes[field::FILE], Area::File)) {
                return Err(fault);
            }
            repr.file = Cow::Borrowed(&[]);
        }
        if overload & OVERLOAD_SNAME != 0 {
            if let Some(fault) = found.add_area(OptionIter::new(&bytes[field::SNAME], Area::Sname))
            {
                return Err(fault);
            }
            repr.sname = Cow::Borrowed(&[]);
        }
        let mut list = found.list;
        list.retain(|o| o.code != OPT_OVERLOAD);
        repr.vendor = Vendor::Options(list);
        Ok(repr)
    }

    /// The option list; empty for a raw BOOTP vendor area.
    pub fn options(&self) -> &[RawOption<'a>] {
        match &self.vendor {
            Vendor::Options(list) => list,
            Vendor::Raw(_) => &[],
        }
    }

    /// The value of the first option with `code`.
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        self.options()
            .iter()
            .find(|o| o.code == code)
            .map(|o| &*o.data)
    }

    /// The message type from option 53 (its first byte); `None` means BOOTP to ISC.
    pub fn message_type(&self) -> Option<MessageType> {
        self.option(OPT_MESSAGE_TYPE)?
            .first()
            .map(|&t| MessageType::from(t))
    }

    /// The relay agent information option (82) as raw bytes, to echo back unchanged.
    pub fn agent_information(&self) -> Option<&[u8]> {
        self.option(OPT_AGENT_INFORMATION)
    }

    /// The first `hlen` bytes of `chaddr`.
    pub fn hardware_address(&self) -> &[u8] {
        &self.chaddr[..usize::from(self.hlen).min(CHADDR_LEN)]
    }

    /// True when the broadcast bit of `flags` is set.
    pub fn broadcast(&self) -> bool {
        self.flags & super::FLAG_BROADCAST != 0
    }

    /// Detaches every borrowed byte from the received buffer.
    pub fn into_owned(self) -> Repr<'static> {
        Repr {
            op: self.op,
            htype: self.htype,
            hlen: self.hlen,
            hops: self.hops,
            xid: self.xid,
            secs: self.secs,
            flags: self.flags,
            ciaddr: self.ciaddr,
            yiaddr: self.yiaddr,
            siaddr: self.siaddr,
            giaddr: self.giaddr,
            chaddr: self.chaddr,
            sname: Cow::Owned(self.sname.into_owned()),
            file: Cow::Owned(self.file.into_owned()),
            vendor: match self.vendor {
                Vendor::Options(list) => {
                    Vendor::Options(list.into_iter().map(RawOption::into_owned).collect())
                }
                Vendor::Raw(raw) => Vendor::Raw(Cow::Owned(raw.into_owned())),
            },
        }
    }

    /// Length of the message [`emit`](Self::emit) writes: header, cookie, every option (split
    /// at 255 bytes) and END; or header and the raw vendor area. No padding.
    pub fn buffer_len(&self) -> usize {
        match &self.vendor {
            Vendor::Raw(raw) => FIXED_LEN + raw.len(),
            Vendor::Options(list) => {
                HEADER_LEN
                    + list
                        .iter()
                        .map(|o| encoded_len(o.data.len()))
                        .sum::<usize>()
                    + 1
            }
        }
    }

    /// Checks what emit cannot write: `hlen`, `sname`/`file` lengths, framing codes in the list.
    pub(super) fn check_emit(&self, framing: &[u8]) -> Result<()> {
        if usize::from(self.hlen) > CHADDR_LEN {
            return Err(Error::BadHlen(self.hlen));
        }
        if self.sname.len() > SNAME_LEN {
            return Err(Error::FieldTooLong {
                area: Area::Sname,
                len: self.sname.len(),
            });
        }
        if self.file.len() > FILE_LEN {
            return Err(Error::FieldTooLong {
                area: Area::File,
                len: self.file.len(),
            });
        }
        match self.options().iter().find(|o| framing.contains(&o.code)) {
            Some(o) => Err(Error::FramingOption(o.code)),
            None => Ok(()),
        }
    }

    /// Writes the fixed header fields (and the cookie when there are options) into `packet`,
    /// which must be at least [`HEADER_LEN`] long.
    pub(super) fn emit_header<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_op(self.op);
        packet.set_htype(self.htype);
        packet.set_hlen(self.hlen);
        packet.set_hops(self.hops);
        packet.set_xid(self.xid);
        packet.set_secs(self.secs);
        packet.set_flags(self.flags);
        packet.set_ciaddr(self.ciaddr);
        packet.set_yiaddr(self.yiaddr);
        packet.set_siaddr(self.siaddr);
        packet.set_giaddr(self.giaddr);
        packet.set_chaddr(&self.chaddr);
        packet.set_sname(&self.sname);
        packet.set_file(&self.file);
    }

    /// Writes the message into the first [`buffer_len`](Self::buffer_len) bytes of `packet`:
    /// options in list order, each split into 255-byte pieces, then END. The list may carry
    /// option 52 (with `file`/`sname` holding pre-encoded options) but not PAD or END.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) -> Result<()> {
        self.check_emit(&[OPT_PAD, OPT_END])?;
        let need = self.buffer_len();
        let have = packet.len();
        if have < need {
            return Err(Error::BufferTooSmall { need, have });
        }
        self.emit_header(packet);
        match &self.vendor {
            Vendor::Raw(raw) => packet.vendor_area_mut()[..raw.len()].copy_from_slice(raw),
            Vendor::Options(list) => {
                packet.vendor_area_mut()[..MAGIC_COOKIE.len()].copy_from_slice(&MAGIC_COOKIE);
                let area = packet.options_area_mut();
                let mut at = 0;
                for o in list {
                    at += write_option(&mut area[at..], o.code, &o.data);
                }
                area[at] = OPT_END;
            }
        }
        Ok(())
    }
}
