//! The checked view over a BOOTP/DHCP message and the raw option iterator.
//!
//! No getter panics once [`Packet::check_len`] passed; the option iterator never panics on
//! any bytes. Setters assume a buffer of at least [`HEADER_LEN`] bytes, which the emit paths
//! check before they call them.

use std::net::Ipv4Addr;

use super::{
    Area, Error, OpCode, OptionFault, Result, CHADDR_LEN, FIXED_LEN, HEADER_LEN, MAGIC_COOKIE,
    OPT_END, OPT_PAD,
};

/// Byte ranges of the fixed header: the offsets are data, each accessor is one line.
pub(super) mod field {
    pub type Field = core::ops::Range<usize>;
    pub type Rest = core::ops::RangeFrom<usize>;

    pub const OP: usize = 0;
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const HOPS: usize = 3;
    pub const XID: Field = 4..8;
    pub const SECS: Field = 8..10;
    pub const FLAGS: Field = 10..12;
    pub const CIADDR: Field = 12..16;
    pub const YIADDR: Field = 16..20;
    pub const SIADDR: Field = 20..24;
    pub const GIADDR: Field = 24..28;
    pub const CHADDR: Field = 28..44;
    pub const SNAME: Field = 44..108;
    pub const FILE: Field = 108..236;
    pub const MAGIC: Field = 236..240;
    pub const OPTIONS: Rest = 240..;
}

// The public lengths and the field table must agree.
const _: () = assert!(field::FILE.end == FIXED_LEN && field::MAGIC.end == HEADER_LEN);
const _: () = assert!(field::CHADDR.end - field::CHADDR.start == CHADDR_LEN);

/// A read/write view over a BOOTP/DHCP message in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

fn read_u16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn read_addr(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without looking at it (the emit path).
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a received buffer after the two checks ISC makes before anything else: at least
    /// the fixed header ([`Error::Truncated`]) and `hlen` ≤ 16 ([`Error::BadHlen`]).
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let packet = Packet::new_unchecked(buffer);
        packet.check_len()?;
        packet.check_hlen()?;
        Ok(packet)
    }

    /// Ok when the buffer holds the whole fixed header, so no getter can panic.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < FIXED_LEN {
            Err(Error::Truncated { len })
        } else {
            Ok(())
        }
    }

    /// Ok when `hlen` fits `chaddr`. Requires [`check_len`](Self::check_len).
    pub fn check_hlen(&self) -> Result<()> {
        match self.hlen() {
            h if usize::from(h) > CHADDR_LEN => Err(Error::BadHlen(h)),
            _ => Ok(()),
        }
    }

    /// Ok when bytes 236..240 are the magic cookie. A parse does not require this: a message
    /// without it is BOOTP with a raw vendor area.
    pub fn check_magic(&self) -> Result<()> {
        match self.buffer.as_ref().get(field::MAGIC) {
            Some(m) if m == MAGIC_COOKIE => Ok(()),
            _ => Err(Error::BadMagic),
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Total length of the buffer (the UDP payload length on receive).
    pub fn len(&self) -> usize {
        self.buffer.as_ref().len()
    }

    /// True for an empty buffer.
    pub fn is_empty(&self) -> bool {
        self.buffer.as_ref().is_empty()
    }

    /// `op`: request from a client or relay, or reply from a server.
    pub fn op(&self) -> OpCode {
        OpCode::from(self.buffer.as_ref()[field::OP])
    }

    /// `htype`: ARP hardware type of `chaddr` (1 = Ethernet).
    pub fn htype(&self) -> u8 {
        self.buffer.as_ref()[field::HTYPE]
    }

    /// `hlen`: how many bytes of `chaddr` are the hardware address.
    pub fn hlen(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    /// `hops`: relay agents passed so far.
    pub fn hops(&self) -> u8 {
        self.buffer.as_ref()[field::HOPS]
    }

    /// `xid`: transaction id chosen by the client.
    pub fn xid(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::XID];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// `secs`: seconds since the client began acquiring an address.
    pub fn secs(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::SECS])
    }

    /// `flags`: only the broadcast bit is defined.
    pub fn flags(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::FLAGS])
    }

    /// `ciaddr`: the client's current address, when it has one.
    pub fn ciaddr(&self) -> Ipv4Addr {
        read_addr(&self.buffer.as_ref()[field::CIADDR])
    }

    /// `yiaddr`: the address the server gives ("your" address).
    pub fn yiaddr(&self) -> Ipv4Addr {
        read_addr(&self.buffer.as_ref()[field::YIADDR])
    }

    /// `siaddr`: the next server (boot server) address.
    pub fn siaddr(&self) -> Ipv4Addr {
        read_addr(&self.buffer.as_ref()[field::SIADDR])
    }

    /// `giaddr`: the relay agent's address, 0 when not relayed.
    pub fn giaddr(&self) -> Ipv4Addr {
        read_addr(&self.buffer.as_ref()[field::GIADDR])
    }

    /// `chaddr`: all 16 bytes of the client hardware address field.
    pub fn chaddr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::CHADDR]
    }

    /// The first `hlen` bytes of `chaddr` (all 16 if `hlen` is bogus).
    pub fn hardware_address(&self) -> &[u8] {
        let n = usize::from(self.hlen()).min(CHADDR_LEN);
        &self.chaddr()[..n]
    }

    /// `sname`: all 64 bytes of the server host name field.
    pub fn sname(&self) -> &[u8] {
        &self.buffer.as_ref()[field::SNAME]
    }

    /// `file`: all 128 bytes of the boot file name field.
    pub fn file(&self) -> &[u8] {
        &self.buffer.as_ref()[field::FILE]
    }

    /// The bytes after the fixed header, whatever they are (BOOTP's vendor area).
    pub fn vendor_area(&self) -> &[u8] {
        self.buffer.as_ref().get(FIXED_LEN..).unwrap_or(&[])
    }

    /// The options field after the cookie; empty when the message is shorter than 240 bytes.
    pub fn options_area(&self) -> &[u8] {
        self.buffer.as_ref().get(field::OPTIONS).unwrap_or(&[])
    }

    /// Raw options of the options field. Check the cookie first; this does not.
    pub fn options(&self) -> OptionIter<'_> {
        OptionIter::new(self.options_area(), Area::Options)
    }

    /// Raw options of `file`, for a message whose option 52 says it holds options.
    pub fn file_options(&self) -> OptionIter<'_> {
        OptionIter::new(self.file(), Area::File)
    }

    /// Raw options of `sname`, for a message whose option 52 says it holds options.
    pub fn sname_options(&self) -> OptionIter<'_> {
        OptionIter::new(self.sname(), Area::Sname)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The whole buffer with its own lifetime, so that a `Repr` can borrow from it.
    pub fn bytes(&self) -> &'a [u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets `op`.
    pub fn set_op(&mut self, op: OpCode) {
        self.buffer.as_mut()[field::OP] = op.into();
    }

    /// Sets `htype`.
    pub fn set_htype(&mut self, v: u8) {
        self.buffer.as_mut()[field::HTYPE] = v;
    }

    /// Sets `hlen`.
    pub fn set_hlen(&mut self, v: u8) {
        self.buffer.as_mut()[field::HLEN] = v;
    }

    /// Sets `hops`.
    pub fn set_hops(&mut self, v: u8) {
        self.buffer.as_mut()[field::HOPS] = v;
    }

    /// Sets `xid`.
    pub fn set_xid(&mut self, v: u32) {
        self.buffer.as_mut()[field::XID].copy_from_slice(&v.to_be_bytes());
    }

    /// Sets `secs`.
    pub fn set_secs(&mut self, v: u16) {
        self.buffer.as_mut()[field::SECS].copy_from_slice(&v.to_be_bytes());
    }

    /// Sets `flags`.
    pub fn set_flags(&mut self, v: u16) {
        self.buffer.as_mut()[field::FLAGS].copy_from_slice(&v.to_be_bytes());
    }

    /// Sets `ciaddr`.
    pub fn set_ciaddr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::CIADDR].copy_from_slice(&a.octets());
    }

    /// Sets `yiaddr`.
    pub fn set_yiaddr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::YIADDR].copy_from_slice(&a.octets());
    }

    /// Sets `siaddr`.
    pub fn set_siaddr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::SIADDR].copy_from_slice(&a.octets());
    }

    /// Sets `giaddr`.
    pub fn set_giaddr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::GIADDR].copy_from_slice(&a.octets());
    }

    /// Writes `chaddr`: up to 16 bytes of `hw`, zeros after.
    pub fn set_chaddr(&mut self, hw: &[u8]) {
        fill(&mut self.buffer.as_mut()[field::CHADDR], hw);
    }

    /// Writes `sname`: up to 64 bytes of `v`, zeros after.
    pub fn set_sname(&mut self, v: &[u8]) {
        fill(&mut self.buffer.as_mut()[field::SNAME], v);
    }

    /// Writes `file`: up to 128 bytes of `v`, zeros after.
    pub fn set_file(&mut self, v: &[u8]) {
        fill(&mut self.buffer.as_mut()[field::FILE], v);
    }

    /// Writes the magic cookie.
    pub fn set_magic_cookie(&mut self) {
        self.buffer.as_mut()[field::MAGIC].copy_from_slice(&MAGIC_COOKIE);
    }

    /// The bytes after the fixed header, to write a raw vendor area into.
    pub fn vendor_area_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut().get_mut(FIXED_LEN..).unwrap_or(&mut [])
    }

    /// The options field after the cookie, to write options into.
    pub fn options_area_mut(&mut self) -> &mut [u8] {
        self.buffer
            .as_mut()
            .get_mut(field::OPTIONS)
            .unwrap_or(&mut [])
    }
}

/// Copies as much of `src` as fits into `dst` and zeroes the rest.
fn fill(dst: &mut [u8], src: &[u8]) {
    let n = src.len().min(dst.len());
    dst[..n].copy_from_slice(&src[..n]);
    dst[n..].fill(0);
}

/// One option as it sits in an area: a code and its value bytes (no PAD, no END).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DhcpOption<'a> {
    /// Option code.
    pub code: u8,
    /// Value bytes, without code and length.
    pub data: &'a [u8],
}

/// Iterator over the options of one area: skips PAD, stops at END, at the end of the bytes, or
/// at the first option that does not fit, which it then reports through [`fault`](Self::fault).
#[derive(Debug, Clone)]
pub struct OptionIter<'a> {
    data: &'a [u8],
    pos: usize,
    area: Area,
    fault: Option<Error>,
}

impl<'a> OptionIter<'a> {
    /// Iterates the options of `data`, which came from the field `area` (used in errors).
    pub fn new(data: &'a [u8], area: Area) -> OptionIter<'a> {
        OptionIter {
            data,
            pos: 0,
            area,
            fault: None,
        }
    }

    /// After the iterator stopped: the [`Error::MalformedOption`] that stopped it, if any.
    pub fn fault(&self) -> Option<Error> {
        self.fault
    }

    /// Offset in the area of the next byte to read.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = DhcpOption<'a>;

    fn next(&mut self) -> Option<DhcpOption<'a>> {
        loop {
            let code = *self.data.get(self.pos)?;
            match code {
                OPT_PAD => self.pos += 1,
                OPT_END => {
                    // Park past the end so later calls keep returning None.
                    self.pos = self.data.len();
                    return None;
                }
                _ => break,
            }
        }
        let code = self.data[self.pos];
        let stop = |this: &mut Self, fault| {
            this.fault = Some(Error::MalformedOption {
                area: this.area,
                code,
                fault,
            });
            this.pos = this.data.len();
            None
        };
        let Some(&len) = self.data.get(self.pos + 1) else {
            return stop(self, OptionFault::MissingLength);
        };
        let start = self.pos + 2;
        let Some(data) = self.data.get(start..start + usize::from(len)) else {
            return stop(self, OptionFault::Overrun);
        };
        self.pos = start + usize::from(len);
        Some(DhcpOption { code, data })
    }
}
