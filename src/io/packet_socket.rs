/*!
One `AF_PACKET` raw socket per interface: how the server hears clients that have no address
yet and answers them with frames it builds itself (ISC `common/lpf.c`).

The socket is bound to one interface index and carries a classic BPF program with ISC's
test (`common/bpf.c` `dhcp_bpf_filter`): IPv4, UDP, not a fragment (offset 0), destination
port = the server port. Everything else stays in the kernel. Two differences from ISC, both
about not seeing frames that ISC would only discard later:

* the socket is created listening to no protocol and bound to `ETH_P_ALL` only after the
  filter is attached, so no unfiltered frame can slip in between;
* frames the host itself sent (`PACKET_OUTGOING`, e.g. our own replies to a relay on port 67)
  are dropped instead of being handed to the engine as BOOTREPLYs: in the kernel where it
  has `PACKET_IGNORE_OUTGOING` (Linux 4.20), which saves a wake-up and a `recvmsg` per reply
  to a relay, and in [`decode`] otherwise;
* the receive buffer is [`RECEIVE_BUFFER`] (4 MiB) instead of the system default (about
  200 kB, a hundred or so frames): the loop waits for the lease file's fsync every turn,
  and one slow fsync (100 ms and more on a busy disk) would otherwise overflow the queue at
  a few thousand requests a second and drop requests that a moment later could have been
  answered.

As in ISC, `PACKET_AUXDATA` tells which frames arrived with a VLAN tag that the driver
stripped (dropped: the VLAN interface will see them) and which have a UDP checksum the
kernel has not computed yet (checksum offload: not checked). Frames are parsed with
[`crate::wire::frame`]; sending writes a whole frame with `send(2)` on the bound socket.
*/

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use crate::wire::frame::{self, FrameRepr};

/// Instructions of the classic BPF program, as in `<linux/filter.h>`.
const LD_H_ABS: u16 = (libc::BPF_LD | libc::BPF_H | libc::BPF_ABS) as u16;
const LD_B_ABS: u16 = (libc::BPF_LD | libc::BPF_B | libc::BPF_ABS) as u16;
const LD_H_IND: u16 = (libc::BPF_LD | libc::BPF_H | libc::BPF_IND) as u16;
const LDX_B_MSH: u16 = (libc::BPF_LDX | libc::BPF_B | libc::BPF_MSH) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JSET_K: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

/// `<linux/if_packet.h>`: frames sent by this host are not delivered to the socket.
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;

/// The receive buffer asked for (`SO_RCVBUFFORCE`, or `SO_RCVBUF` up to `rmem_max` when
/// that is refused).
pub const RECEIVE_BUFFER: libc::c_int = 4 << 20;

/// Number of instructions in [`dhcp_filter`].
pub const FILTER_LEN: usize = 11;

const fn insn(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// ISC's receive filter for server port `port`: accept the whole frame when it is IPv4 (
/// EtherType at 12), UDP (protocol at 23), not a later fragment (offset bits at 20) and sent
/// to `port` (at 14 + IP header length + 2); drop it otherwise.
pub fn dhcp_filter(port: u16) -> [libc::sock_filter; FILTER_LEN] {
    [
        insn(LD_H_ABS, 0, 0, 12),
        insn(JEQ_K, 0, 8, frame::ETHERTYPE_IPV4 as u32),
        insn(LD_B_ABS, 0, 0, 23),
        insn(JEQ_K, 0, 6, frame::PROTOCOL_UDP as u32),
        insn(LD_H_ABS, 0, 0, 20),
        insn(JSET_K, 4, 0, 0x1fff),
        insn(LDX_B_MSH, 0, 0, 14),
        insn(LD_H_IND, 0, 0, 16),
        insn(JEQ_K, 0, 1, port as u32),
        insn(RET_K, 0, 0, u32::MAX),
        insn(RET_K, 0, 0, 0),
    ]
}

/// Why a packet socket could not be opened; renders as ISC's fatal message.
#[derive(Debug)]
pub enum OpenError {
    /// `socket(AF_PACKET, SOCK_RAW)` failed (not root, or no packet socket support).
    Socket(io::Error),
    /// The filter could not be attached.
    Filter(io::Error),
    /// `PACKET_AUXDATA` could not be turned on.
    AuxData(io::Error),
    /// Binding to the interface index failed (e.g. the interface went away).
    Bind(io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Socket(e) => write!(f, "Open a socket for LPF: {}", crate::conf::parser::os_error_text(e)),
            OpenError::Filter(e) => write!(
                f,
                "Can't install packet filter program: {}",
                crate::conf::parser::os_error_text(e)
            ),
            OpenError::AuxData(e) => write!(
                f,
                "Failed to set auxiliary packet data: {}",
                crate::conf::parser::os_error_text(e)
            ),
            OpenError::Bind(e) => write!(f, "Bind socket to interface: {}", crate::conf::parser::os_error_text(e)),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::Socket(e) | OpenError::Filter(e) | OpenError::AuxData(e) | OpenError::Bind(e) => Some(e),
        }
    }
}

/// What the kernel said about one received frame, besides its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameMeta {
    /// Bytes of the frame in the caller's buffer (the kernel may have cut it to the buffer).
    pub len: usize,
    /// `sll_pkttype`: host, broadcast, multicast, other host or outgoing.
    pub pkttype: u8,
    /// The VLAN TCI a driver stripped off, 0 when none.
    pub vlan_tci: u16,
    /// False when the UDP checksum was left to hardware and is not filled in yet.
    pub checksum_ready: bool,
}

/// Why a received frame is not handed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discard {
    /// A frame the host sent.
    Outgoing,
    /// It carried a VLAN tag (ISC ignores these on the parent interface).
    Vlan,
    /// The headers are bad or it is not for the server port.
    Frame(frame::Error),
    /// UDP to another port (the filter should have stopped it).
    WrongPort,
}

/// Reads a received frame the way ISC's `receive_packet` does: returns the addressing and
/// the UDP payload (the DHCP message) or why it is dropped. Pure, so it is tested on bytes.
pub fn decode<'a>(frame_bytes: &'a [u8], meta: &FrameMeta, server_port: u16) -> Result<(FrameRepr, &'a [u8]), Discard> {
    if meta.pkttype == libc::PACKET_OUTGOING {
        return Err(Discard::Outgoing);
    }
    if meta.vlan_tci & 0x0fff != 0 {
        return Err(Discard::Vlan);
    }
    let bytes = frame_bytes.get(..meta.len).unwrap_or(frame_bytes);
    let (repr, payload) = FrameRepr::parse(bytes, meta.checksum_ready).map_err(Discard::Frame)?;
    if repr.dst_port != server_port {
        return Err(Discard::WrongPort);
    }
    Ok((repr, payload))
}

/// A raw packet socket bound to one interface, non-blocking.
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
    ifindex: u32,
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

impl PacketSocket {
    /// Opens a socket on interface `ifindex` that receives what [`dhcp_filter`] lets through
    /// for `server_port`.
    pub fn open(ifindex: u32, server_port: u16) -> Result<PacketSocket, OpenError> {
        // SAFETY: plain socket(2); the result is checked before it is wrapped.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
        let raw = cvt(raw).map_err(OpenError::Socket)?;
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };

        let program = dhcp_filter(server_port);
        let prog = libc::sock_fprog {
            len: FILTER_LEN as u16,
            filter: program.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: `prog` points at `program`, which lives until after the call; the kernel copies it.
        setsockopt(&fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &prog).map_err(OpenError::Filter)?;
        let on: libc::c_int = 1;
        match setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_AUXDATA, &on) {
            // ISC carries on without auxiliary data where the kernel has none.
            Err(e) if e.raw_os_error() != Some(libc::ENOPROTOOPT) => return Err(OpenError::AuxData(e)),
            _ => {}
        }

        // Our own frames stay in the kernel; an older kernel without the option hands them
        // up, and `decode` drops them.
        let _ = setsockopt(&fd, libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, &on);
        // Room for a stall (see the module documentation); the default is not an error.
        if setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &RECEIVE_BUFFER).is_err() {
            let _ = setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &RECEIVE_BUFFER);
        }

        // SAFETY: an all-zero sockaddr_ll is valid; the fields that matter are set below.
        let mut sll: libc::sockaddr_ll = unsafe { zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: `sll` is a properly sized sockaddr_ll for the duration of the call.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &sll as *const _ as *const libc::sockaddr,
                size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        cvt(rc).map_err(OpenError::Bind)?;
        Ok(PacketSocket { fd, ifindex })
    }

    /// The interface index it is bound to.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Receives one frame into `buf`. `Err(WouldBlock)` when none is queued.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<FrameMeta> {
        // SAFETY: all-zero is a valid value for these C structs.
        let mut from: libc::sockaddr_ll = unsafe { zeroed() };
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // Room for one tpacket_auxdata control message, 8-byte aligned.
        let mut control = [0u64; 8];
        let mut msg: libc::msghdr = unsafe { zeroed() };
        msg.msg_name = (&mut from as *mut libc::sockaddr_ll).cast();
        msg.msg_namelen = size_of::<libc::sockaddr_ll>() as u32;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = size_of::<[u64; 8]>();
        // SAFETY: every pointer in `msg` refers to a live local buffer of the stated size.
        let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut meta = FrameMeta {
            len: n as usize,
            pkttype: from.sll_pkttype,
            vlan_tci: 0,
            checksum_ready: true,
        };
        // SAFETY: the CMSG_* macros walk the control buffer the kernel just filled, within
        // msg_controllen; the aux data is read unaligned.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_PACKET && (*cmsg).cmsg_type == libc::PACKET_AUXDATA {
                    let aux: libc::tpacket_auxdata = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                    meta.vlan_tci = aux.tp_vlan_tci;
                    meta.checksum_ready = aux.tp_status & libc::TP_STATUS_CSUMNOTREADY == 0;
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
        }
        meta.len = meta.len.min(buf.len());
        Ok(meta)
    }

    /// Sends one whole Ethernet frame on the interface.
    pub fn send(&self, frame_bytes: &[u8]) -> io::Result<usize> {
        // SAFETY: the buffer is valid for its length during the call.
        let n = unsafe { libc::send(self.fd.as_raw_fd(), frame_bytes.as_ptr().cast(), frame_bytes.len(), 0) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

fn setsockopt<T>(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` is a live T and its size is passed with it.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    cvt(rc).map(|_| ())
}

impl AsRawFd for PacketSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Source for PacketSocket {
    fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        SourceFd(&self.fd.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        SourceFd(&self.fd.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.fd.as_raw_fd()).deregister(registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Runs the classic BPF instructions [`dhcp_filter`] uses, as the kernel would: out of
    /// bounds loads reject the frame.
    fn run(prog: &[libc::sock_filter], pkt: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let half = |off: usize| {
            pkt.get(off..off + 2)
                .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
        };
        while let Some(i) = prog.get(pc) {
            pc += 1;
            match i.code {
                LD_H_ABS => match half(i.k as usize) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LD_B_ABS => match pkt.get(i.k as usize) {
                    Some(&v) => a = u32::from(v),
                    None => return 0,
                },
                LD_H_IND => match half(x as usize + i.k as usize) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LDX_B_MSH => match pkt.get(i.k as usize) {
                    Some(&v) => x = 4 * u32::from(v & 0x0f),
                    None => return 0,
                },
                JEQ_K => pc += usize::from(if a == i.k { i.jt } else { i.jf }),
                JSET_K => pc += usize::from(if a & i.k != 0 { i.jt } else { i.jf }),
                RET_K => return i.k,
                other => panic!("instruction {other:#x} not modelled"),
            }
        }
        panic!("program fell off its end")
    }

    fn udp_frame(dst_port: u16) -> Vec<u8> {
        let repr = FrameRepr::isc_reply(
            [2, 0, 0, 0, 0, 1],
            frame::BROADCAST_MAC,
            (Ipv4Addr::UNSPECIFIED, 68),
            (Ipv4Addr::BROADCAST, dst_port),
            300,
        );
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf).unwrap();
        buf
    }

    #[test]
    fn filter_accepts_dhcp_to_the_server_port_only() {
        let prog = dhcp_filter(67);
        assert_eq!(run(&prog, &udp_frame(67)), u32::MAX);
        assert_eq!(run(&prog, &udp_frame(68)), 0);
        assert_eq!(run(&dhcp_filter(6767), &udp_frame(6767)), u32::MAX);
        assert_eq!(run(&dhcp_filter(6767), &udp_frame(67)), 0);
    }

    #[test]
    fn filter_rejects_other_protocols_fragments_and_short_frames() {
        let mut arp = udp_frame(67);
        arp[12..14].copy_from_slice(&0x0806u16.to_be_bytes());
        assert_eq!(run(&dhcp_filter(67), &arp), 0);

        let mut tcp = udp_frame(67);
        tcp[23] = 6;
        assert_eq!(run(&dhcp_filter(67), &tcp), 0);

        // A later fragment, even if its bytes happen to look like port 67.
        let mut frag = udp_frame(67);
        frag[20..22].copy_from_slice(&0x0010u16.to_be_bytes());
        assert_eq!(run(&dhcp_filter(67), &frag), 0);
        // The first fragment of a fragmented datagram (MF set, offset 0) passes, as in ISC.
        let mut first = udp_frame(67);
        first[20..22].copy_from_slice(&0x2000u16.to_be_bytes());
        assert_eq!(run(&dhcp_filter(67), &first), u32::MAX);

        assert_eq!(run(&dhcp_filter(67), &udp_frame(67)[..20]), 0);
    }

    #[test]
    fn filter_follows_ip_options() {
        // IHL 6: the UDP header moves 4 bytes further in.
        let plain = udp_frame(67);
        let mut f = plain[..34].to_vec();
        f[14] = 0x46;
        f.extend_from_slice(&[1, 1, 1, 1]);
        f.extend_from_slice(&plain[34..]);
        assert_eq!(run(&dhcp_filter(67), &f), u32::MAX);
        f[14] = 0x45; // now the "port" read is inside the options
        assert_eq!(run(&dhcp_filter(67), &f), 0);
    }

    fn meta(len: usize) -> FrameMeta {
        FrameMeta {
            len,
            pkttype: libc::PACKET_BROADCAST,
            vlan_tci: 0,
            checksum_ready: true,
        }
    }

    #[test]
    fn decode_hands_on_the_payload() {
        let f = udp_frame(67);
        let (repr, payload) = decode(&f, &meta(f.len()), 67).unwrap();
        assert_eq!(repr.src_mac, [2, 0, 0, 0, 0, 1]);
        assert_eq!(payload.len(), 300);
    }

    #[test]
    fn decode_drops_what_isc_drops() {
        let f = udp_frame(67);
        let out = FrameMeta {
            pkttype: libc::PACKET_OUTGOING,
            ..meta(f.len())
        };
        assert_eq!(decode(&f, &out, 67).unwrap_err(), Discard::Outgoing);
        let tagged = FrameMeta {
            vlan_tci: 0x0005,
            ..meta(f.len())
        };
        assert_eq!(decode(&f, &tagged, 67).unwrap_err(), Discard::Vlan);
        // Priority bits without a VLAN id are not a VLAN.
        let prio = FrameMeta {
            vlan_tci: 0xe000,
            ..meta(f.len())
        };
        assert!(decode(&f, &prio, 67).is_ok());
        assert_eq!(decode(&f, &meta(f.len()), 68).unwrap_err(), Discard::WrongPort);
        assert_eq!(
            decode(&f, &meta(30), 67).unwrap_err(),
            Discard::Frame(frame::Error::Truncated)
        );
    }

    #[test]
    fn decode_skips_the_checksum_the_kernel_left_to_hardware() {
        let mut f = udp_frame(67);
        let last = f.len() - 1;
        f[last] ^= 0xff; // breaks the UDP checksum
        assert_eq!(
            decode(&f, &meta(f.len()), 67).unwrap_err(),
            Discard::Frame(frame::Error::BadUdpChecksum)
        );
        let offload = FrameMeta {
            checksum_ready: false,
            ..meta(f.len())
        };
        assert!(decode(&f, &offload, 67).is_ok());
    }

    /// The socket gets its large receive buffer (needs root: packet sockets do).
    #[test]
    fn the_receive_buffer_is_large() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("!!!!! the_receive_buffer_is_large SKIPPED: packet sockets need root !!!!!");
            return;
        }
        let sock = PacketSocket::open(1, 67).expect("a packet socket on lo");
        let mut v: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `v` and `len` are live locals of the sizes passed.
        let rc = unsafe {
            libc::getsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut v as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        // The kernel reports twice what was set (its bookkeeping overhead).
        assert!(v >= RECEIVE_BUFFER, "SO_RCVBUF {v}");
    }
}
