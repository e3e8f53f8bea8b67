//! The three header views of a frame: Ethernet II, IPv4 and UDP, each a `T: AsRef<[u8]>`
//! wrapper with a private table of field ranges. `check_len` makes every getter safe.

use std::net::Ipv4Addr;

use super::{
    finish, mac, read_addr, read_u16, sum16, udp_checksum, Error, Result, ETHERNET_HEADER_LEN,
    IPV4_HEADER_LEN, UDP_HEADER_LEN,
};
mod eth {
    use core::ops::Range;
    /// Destination hardware address.
    pub const DST: Range<usize> = 0..6;
    /// Source hardware address.
    pub const SRC: Range<usize> = 6..12;
    /// EtherType of the payload.
    pub const ETHERTYPE: Range<usize> = 12..14;
}

/// A view over an Ethernet II frame.
#[derive(Debug, Clone)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps a buffer without checks (emit path).
    pub fn new_unchecked(buffer: T) -> Self {
        EthernetFrame { buffer }
    }

    /// Wraps a buffer that holds at least the 14-byte header.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let f = Self::new_unchecked(buffer);
        f.check_len()?;
        Ok(f)
    }

    /// Ok when the header fits.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < ETHERNET_HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Destination hardware address.
    pub fn dst(&self) -> [u8; 6] {
        mac(&self.buffer.as_ref()[eth::DST])
    }

    /// Source hardware address: the client's, as ISC records it for the reply.
    pub fn src(&self) -> [u8; 6] {
        mac(&self.buffer.as_ref()[eth::SRC])
    }

    /// EtherType.
    pub fn ethertype(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[eth::ETHERTYPE])
    }

    /// Bytes after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[ETHERNET_HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination address.
    pub fn set_dst(&mut self, a: [u8; 6]) {
        self.buffer.as_mut()[eth::DST].copy_from_slice(&a);
    }

    /// Sets the source address.
    pub fn set_src(&mut self, a: [u8; 6]) {
        self.buffer.as_mut()[eth::SRC].copy_from_slice(&a);
    }

    /// Sets the EtherType.
    pub fn set_ethertype(&mut self, t: u16) {
        self.buffer.as_mut()[eth::ETHERTYPE].copy_from_slice(&t.to_be_bytes());
    }

    /// Bytes after the header, to write into.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[ETHERNET_HEADER_LEN..]
    }
}

mod ip {
    use core::ops::Range;
    /// Version (high nibble) and header length in 32-bit words (low nibble).
    pub const VER_IHL: usize = 0;
    /// Type of service / DSCP+ECN.
    pub const TOS: usize = 1;
    /// Total length: header plus payload.
    pub const LENGTH: Range<usize> = 2..4;
    /// Identification, for reassembly.
    pub const IDENT: Range<usize> = 4..6;
    /// Flags (reserved, DF, MF) and 13-bit fragment offset.
    pub const FLG_OFF: Range<usize> = 6..8;
    /// Time to live.
    pub const TTL: usize = 8;
    /// Payload protocol.
    pub const PROTOCOL: usize = 9;
    /// Header checksum.
    pub const CHECKSUM: Range<usize> = 10..12;
    /// Source address.
    pub const SRC: Range<usize> = 12..16;
    /// Destination address.
    pub const DST: Range<usize> = 16..20;
}

/// The don't-fragment bit of the flags/offset field.
const IP_DF: u16 = 0x4000;
/// The fragment offset bits of the flags/offset field.
const IP_OFFSET_MASK: u16 = 0x1fff;

/// A view over an IPv4 packet.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checks (emit path).
    pub fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Ok when the fixed header fits, the version is 4, the header length is at least 20 and
    /// fits, and the total length fits the buffer.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < IPV4_HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.version() != 4 || self.header_len() < IPV4_HEADER_LEN {
            return Err(Error::BadIpHeader);
        }
        if self.header_len() > len || usize::from(self.total_len()) > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// IP version (4).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[ip::VER_IHL] >> 4
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[ip::VER_IHL] & 0x0f) * 4
    }

    /// Type of service byte.
    pub fn tos(&self) -> u8 {
        self.buffer.as_ref()[ip::TOS]
    }

    /// Total length from the header.
    pub fn total_len(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[ip::LENGTH])
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[ip::IDENT])
    }

    /// True when the don't-fragment flag is set.
    pub fn dont_fragment(&self) -> bool {
        read_u16(&self.buffer.as_ref()[ip::FLG_OFF]) & IP_DF != 0
    }

    /// Fragment offset in 8-byte units.
    pub fn frag_offset(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[ip::FLG_OFF]) & IP_OFFSET_MASK
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[ip::TTL]
    }

    /// Payload protocol number.
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[ip::PROTOCOL]
    }

    /// Header checksum as sent.
    pub fn checksum(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[ip::CHECKSUM])
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        read_addr(&self.buffer.as_ref()[ip::SRC])
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        read_addr(&self.buffer.as_ref()[ip::DST])
    }

    /// True when the header (options included) sums to zero. Requires `check_len`.
    pub fn verify_checksum(&self) -> bool {
        finish(sum16(0, &self.buffer.as_ref()[..self.header_len()])) == 0
    }

    /// Bytes after the header, up to the end of the buffer (not the total length: ISC
    /// trusts the UDP length). Requires `check_len`.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets version 4 and a header of `len` bytes (a multiple of 4, 20..=60).
    pub fn set_version_and_header_len(&mut self, len: usize) {
        self.buffer.as_mut()[ip::VER_IHL] = 0x40 | ((len / 4) as u8 & 0x0f);
    }

    /// Sets the type of service byte.
    pub fn set_tos(&mut self, v: u8) {
        self.buffer.as_mut()[ip::TOS] = v;
    }

    /// Sets the total length.
    pub fn set_total_len(&mut self, v: u16) {
        self.buffer.as_mut()[ip::LENGTH].copy_from_slice(&v.to_be_bytes());
    }

    /// Sets the identification.
    pub fn set_ident(&mut self, v: u16) {
        self.buffer.as_mut()[ip::IDENT].copy_from_slice(&v.to_be_bytes());
    }

    /// Sets flags and offset: DF as given, MF clear, offset 0.
    pub fn set_dont_fragment(&mut self, df: bool) {
        let v = if df { IP_DF } else { 0 };
        self.buffer.as_mut()[ip::FLG_OFF].copy_from_slice(&v.to_be_bytes());
    }

    /// Sets the time to live.
    pub fn set_ttl(&mut self, v: u8) {
        self.buffer.as_mut()[ip::TTL] = v;
    }

    /// Sets the payload protocol.
    pub fn set_protocol(&mut self, v: u8) {
        self.buffer.as_mut()[ip::PROTOCOL] = v;
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[ip::SRC].copy_from_slice(&a.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[ip::DST].copy_from_slice(&a.octets());
    }

    /// Computes and writes the header checksum over `header_len` bytes.
    pub fn fill_checksum(&mut self) {
        let hl = self.header_len();
        self.buffer.as_mut()[ip::CHECKSUM].fill(0);
        let c = finish(sum16(0, &self.buffer.as_ref()[..hl]));
        self.buffer.as_mut()[ip::CHECKSUM].copy_from_slice(&c.to_be_bytes());
    }
}

mod udp {
    use core::ops::Range;
    /// Source port.
    pub const SRC_PORT: Range<usize> = 0..2;
    /// Destination port.
    pub const DST_PORT: Range<usize> = 2..4;
    /// Length of header plus payload.
    pub const LENGTH: Range<usize> = 4..6;
    /// Checksum over pseudo-header, header and payload; 0 = not computed.
    pub const CHECKSUM: Range<usize> = 6..8;
}

/// A view over a UDP datagram.
#[derive(Debug, Clone)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Wraps a buffer without checks (emit path).
    pub fn new_unchecked(buffer: T) -> Self {
        UdpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Ok when the header fits, the UDP length is at least 8 and fits the buffer.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < UDP_HEADER_LEN {
            return Err(Error::Truncated);
        }
        match usize::from(self.len()) {
            l if l < UDP_HEADER_LEN => Err(Error::BadUdpLength),
            l if l > len => Err(Error::UdpTooLong),
            _ => Ok(()),
        }
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[udp::SRC_PORT])
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[udp::DST_PORT])
    }

    /// UDP length field (header + payload).
    pub fn len(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[udp::LENGTH])
    }

    /// True when the UDP length field says there is no payload.
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= UDP_HEADER_LEN
    }

    /// Checksum as sent (0 = none).
    pub fn checksum(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[udp::CHECKSUM])
    }

    /// True when the checksum is 0 (not used) or sums correctly. Requires `check_len`.
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        self.checksum() == 0
            || udp_checksum(src, dst, &self.buffer.as_ref()[..usize::from(self.len())]) == 0
    }

    /// The payload, as long as the UDP length says. Requires `check_len`.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[UDP_HEADER_LEN..usize::from(self.len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        self.buffer.as_mut()[udp::SRC_PORT].copy_from_slice(&v.to_be_bytes());
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        self.buffer.as_mut()[udp::DST_PORT].copy_from_slice(&v.to_be_bytes());
    }

    /// Sets the length field.
    pub fn set_len(&mut self, v: u16) {
        self.buffer.as_mut()[udp::LENGTH].copy_from_slice(&v.to_be_bytes());
    }

    /// Computes and writes the checksum over the first `len()` bytes.
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        let n = usize::from(self.len());
        self.buffer.as_mut()[udp::CHECKSUM].fill(0);
        let c = match udp_checksum(src, dst, &self.buffer.as_ref()[..n]) {
            0 => 0xffff,
            c => c,
        };
        self.buffer.as_mut()[udp::CHECKSUM].copy_from_slice(&c.to_be_bytes());
    }
}
