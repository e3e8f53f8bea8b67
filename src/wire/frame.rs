/*!
Ethernet II + IPv4 + UDP around a DHCP message, for the raw `AF_PACKET` path.

A server must answer clients that have no address yet, so ISC builds whole Ethernet frames
and sends them on a packet socket (`common/lpf.c`). This module holds three views
([`EthernetFrame`], [`Ipv4Packet`], [`UdpPacket`]) and one [`FrameRepr`] that parses a received
frame and emits a reply frame with correct checksums.

Receive follows ISC's `decode_ethernet_header` + `decode_udp_ip_header` and the socket's BPF
filter (IPv4, UDP, fragment offset 0): the IP header and the UDP length must fit the frame,
the IP header checksum must be right, and a nonzero UDP checksum must be right unless the
kernel says it was not computed yet (checksum offload). Like ISC, the payload length comes
from the UDP length, and trailing bytes (Ethernet padding) are ignored. Stricter than ISC: the
IP version must be 4 and the header at least 20 bytes (ISC would reject such frames anyway,
by their checksum or their port). Destination port filtering is the caller's.

Transmit writes what ISC 4.4.3 writes (`assemble_ethernet_header`, `assemble_udp_ip_header`,
checked on the wire): IHL 5, TOS 0x10 (low delay), identification 0, no flags (DF clear),
TTL 128, protocol 17. The UDP checksum is always computed (0 is sent as 0xffff, RFC 768).

No getter panics once `check_len` passed; `FrameRepr::parse` never panics on any input.
*/

use std::net::Ipv4Addr;

/// Length of an Ethernet II header.
pub const ETHERNET_HEADER_LEN: usize = 14;
/// Length of an IPv4 header without options.
pub const IPV4_HEADER_LEN: usize = 20;
/// Length of a UDP header.
pub const UDP_HEADER_LEN: usize = 8;
/// Where the UDP payload starts in a frame built by [`FrameRepr::emit`].
pub const PAYLOAD_OFFSET: usize = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN;
/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// IP protocol number of UDP.
pub const PROTOCOL_UDP: u8 = 17;
/// The broadcast hardware address.
pub const BROADCAST_MAC: [u8; 6] = [0xff; 6];
/// TOS ISC sets on every packet it builds (`IPTOS_LOWDELAY`).
pub const ISC_TOS: u8 = 0x10;
/// TTL ISC sets on every packet it builds.
pub const ISC_TTL: u8 = 128;

/// Why a received frame is not a DHCP datagram we can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A header, or the IP total length, does not fit in the frame.
    Truncated,
    /// EtherType is not IPv4.
    NotIpv4,
    /// IP version is not 4 or the header length is below 20 bytes.
    BadIpHeader,
    /// IP protocol is not UDP.
    NotUdp,
    /// A fragment other than the first (the BPF filter drops these).
    Fragment,
    /// IP header checksum is wrong (ISC counts: `%u bad IP checksums seen in %u packets`).
    BadIpChecksum,
    /// UDP length below 8.
    BadUdpLength,
    /// UDP length runs past the frame (ISC: `%u udp packets in %u too long - dropped`).
    UdpTooLong,
    /// UDP checksum is wrong (ISC: `%u bad udp checksums in %u packets`).
    BadUdpChecksum,
    /// Emit: the buffer is shorter than the frame.
    BufferTooSmall {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::BufferTooSmall { need, have } => {
                write!(f, "buffer of {have} bytes, frame needs {need}")
            }
            other => write!(f, "frame dropped: {other:?}"),
        }
    }
}

impl std::error::Error for Error {}

/// Result type of this module.
pub type Result<T> = core::result::Result<T, Error>;

fn read_u16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn read_addr(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn mac(b: &[u8]) -> [u8; 6] {
    [b[0], b[1], b[2], b[3], b[4], b[5]]
}

/// Ones' complement sum of `data` (big-endian 16-bit words, odd byte padded), not inverted.
fn sum16(mut acc: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(2);
    for w in words.by_ref() {
        acc += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        acc += u32::from(*last) << 8;
    }
    acc
}

/// Folds a sum to 16 bits and inverts it: the Internet checksum (RFC 1071).
fn finish(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The UDP checksum over pseudo-header, UDP header (with its checksum field as given) and payload.
fn udp_checksum(src: Ipv4Addr, dst: Ipv4Addr, udp: &[u8]) -> u16 {
    let mut acc = sum16(0, &src.octets());
    acc = sum16(acc, &dst.octets());
    acc += u32::from(PROTOCOL_UDP) + udp.len() as u32;
    finish(sum16(acc, udp))
}

mod views;

pub use self::views::{EthernetFrame, Ipv4Packet, UdpPacket};

/// The addressing of a DHCP datagram on the link: what a received frame says, or what a
/// reply frame should carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRepr {
    /// Ethernet source: the client's hardware address on receive.
    pub src_mac: [u8; 6],
    /// Ethernet destination: the client's chaddr, or broadcast.
    pub dst_mac: [u8; 6],
    /// IPv4 source address.
    pub src_addr: Ipv4Addr,
    /// IPv4 destination address.
    pub dst_addr: Ipv4Addr,
    /// UDP source port.
    pub src_port: u16,
    /// UDP destination port.
    pub dst_port: u16,
    /// IPv4 type of service.
    pub tos: u8,
    /// IPv4 time to live.
    pub ttl: u8,
    /// IPv4 identification.
    pub ident: u16,
    /// IPv4 don't-fragment flag.
    pub dont_fragment: bool,
    /// Bytes of UDP payload (the DHCP message).
    pub payload_len: usize,
}

impl FrameRepr {
    /// A reply frame with ISC's IP header values (TOS 0x10, TTL 128, id 0, DF clear).
    pub fn isc_reply(
        src_mac: [u8; 6],
        dst_mac: [u8; 6],
        (src_addr, src_port): (Ipv4Addr, u16),
        (dst_addr, dst_port): (Ipv4Addr, u16),
        payload_len: usize,
    ) -> FrameRepr {
        FrameRepr {
            src_mac,
            dst_mac,
            src_addr,
            dst_addr,
            src_port,
            dst_port,
            tos: ISC_TOS,
            ttl: ISC_TTL,
            ident: 0,
            dont_fragment: false,
            payload_len,
        }
    }

    /// Reads a received frame; returns its addressing and the UDP payload. `checksum_ready` is
    /// false when the kernel reports the UDP checksum as not yet computed
    /// (`TP_STATUS_CSUMNOTREADY`): the UDP checksum is then not checked, as in ISC.
    pub fn parse(frame: &[u8], checksum_ready: bool) -> Result<(FrameRepr, &[u8])> {
        let eth = EthernetFrame::new_checked(frame)?;
        if eth.ethertype() != ETHERTYPE_IPV4 {
            return Err(Error::NotIpv4);
        }
        let ip = Ipv4Packet::new_checked(eth.payload())?;
        if ip.protocol() != PROTOCOL_UDP {
            return Err(Error::NotUdp);
        }
        if ip.frag_offset() != 0 {
            return Err(Error::Fragment);
        }
        let udp = UdpPacket::new_checked(ip.payload())?;
        if !ip.verify_checksum() {
            return Err(Error::BadIpChecksum);
        }
        if checksum_ready && !udp.verify_checksum(ip.src_addr(), ip.dst_addr()) {
            return Err(Error::BadUdpChecksum);
        }
        let repr = FrameRepr {
            src_mac: eth.src(),
            dst_mac: eth.dst(),
            src_addr: ip.src_addr(),
            dst_addr: ip.dst_addr(),
            src_port: udp.src_port(),
            dst_port: udp.dst_port(),
            tos: ip.tos(),
            ttl: ip.ttl(),
            ident: ip.ident(),
            dont_fragment: ip.dont_fragment(),
            payload_len: udp.payload().len(),
        };
        // Re-slice from `frame` so the payload borrows the caller's buffer, not the views.
        let start = ETHERNET_HEADER_LEN + ip.header_len() + UDP_HEADER_LEN;
        Ok((repr, &frame[start..start + repr.payload_len]))
    }

    /// Length of the frame [`emit`](Self::emit) writes: headers plus payload.
    pub fn buffer_len(&self) -> usize {
        PAYLOAD_OFFSET + self.payload_len
    }

    /// Writes the three headers into `frame[..PAYLOAD_OFFSET]`, around a payload the caller
    /// has already written at `frame[PAYLOAD_OFFSET..][..payload_len]`, and fills both
    /// checksums. The payload must keep IP and UDP lengths within 65535.
    pub fn emit(&self, frame: &mut [u8]) -> Result<()> {
        let need = self.buffer_len();
        let udp_len = UDP_HEADER_LEN + self.payload_len;
        if frame.len() < need || IPV4_HEADER_LEN + udp_len > usize::from(u16::MAX) {
            return Err(Error::BufferTooSmall {
                need,
                have: frame.len(),
            });
        }
        let frame = &mut frame[..need];
        let mut eth = EthernetFrame::new_unchecked(&mut *frame);
        eth.set_dst(self.dst_mac);
        eth.set_src(self.src_mac);
        eth.set_ethertype(ETHERTYPE_IPV4);

        let mut ip = Ipv4Packet::new_unchecked(&mut frame[ETHERNET_HEADER_LEN..]);
        ip.set_version_and_header_len(IPV4_HEADER_LEN);
        ip.set_tos(self.tos);
        ip.set_total_len((IPV4_HEADER_LEN + udp_len) as u16);
        ip.set_ident(self.ident);
        ip.set_dont_fragment(self.dont_fragment);
        ip.set_ttl(self.ttl);
        ip.set_protocol(PROTOCOL_UDP);
        ip.set_src_addr(self.src_addr);
        ip.set_dst_addr(self.dst_addr);
        ip.fill_checksum();

        let mut udp = UdpPacket::new_unchecked(&mut frame[ETHERNET_HEADER_LEN + IPV4_HEADER_LEN..]);
        udp.set_src_port(self.src_port);
        udp.set_dst_port(self.dst_port);
        udp.set_len(udp_len as u16);
        udp.fill_checksum(self.src_addr, self.dst_addr);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
