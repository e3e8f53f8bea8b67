//! `ping-check`: an ICMP echo to an address before it is offered (ISC
//! `common/icmp.c` and `do_ping_check` in `server/dhcp.c`).
//!
//! The engine asks for a ping with a [`Probe`]; the offer waits until an
//! echo reply comes from that address (the address is in use: the engine
//! abandons the lease) or the probe's timeout passes (the offer goes out).
//! Nothing here blocks: the raw ICMP socket is non-blocking and watched by
//! the event loop, and timeouts are deadlines the loop wakes up for.
//!
//! As ISC: one raw `IPPROTO_ICMP` socket for the process; a 28-byte echo
//! request (ISC sends `sizeof(struct icmp)`); any echo reply whose source is
//! an address being probed counts as an answer, wherever it came from. When
//! the socket cannot be created (not root), ISC logs `unable to create icmp
//! socket` and offers after the timeout without pinging; so do we. A failed
//! send is logged (`icmp_echorequest A: ERR`) and the timeout still runs.
//! We also check the echo identifier, so a reply to some other program's
//! ping of the same address is not taken for ours (ISC does not check).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::engine::Probe;
use crate::io::{SourceId, Sources};

/// ICMP echo request type.
const ECHO_REQUEST: u8 = 8;
/// ICMP echo reply type.
const ECHO_REPLY: u8 = 0;
/// Bytes of the echo request ISC sends (`struct icmp`).
pub const REQUEST_LEN: usize = 28;
/// Replies read per readiness event before the loop moves on.
const READ_BUDGET: usize = 256;

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in data.chunks(2) {
        let word = match pair {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The echo request we send: type 8, our identifier and `seq`, zero data.
pub fn echo_request(id: u16, seq: u16) -> [u8; REQUEST_LEN] {
    let mut b = [0u8; REQUEST_LEN];
    b[0] = ECHO_REQUEST;
    b[4..6].copy_from_slice(&id.to_be_bytes());
    b[6..8].copy_from_slice(&seq.to_be_bytes());
    let sum = checksum(&b);
    b[2..4].copy_from_slice(&sum.to_be_bytes());
    b
}

/// The source address and identifier of an echo reply as a raw ICMP socket
/// delivers it (IPv4 header first); `None` for anything else or too short.
pub fn parse_echo_reply(datagram: &[u8]) -> Option<(Ipv4Addr, u16)> {
    let first = *datagram.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    if ihl < 20 || *datagram.get(9)? != 1 {
        return None;
    }
    let src = <[u8; 4]>::try_from(datagram.get(12..16)?).ok()?;
    let icmp = datagram.get(ihl..)?;
    // ISC: shorter than `struct icmp`'s header part is ignored.
    if icmp.len() < 8 || icmp[0] != ECHO_REPLY {
        return None;
    }
    Some((Ipv4Addr::from(src), u16::from_be_bytes([icmp[4], icmp[5]])))
}

/// What happened to probes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Finished {
    /// Probes whose address answered.
    pub answered: Vec<u64>,
    /// Probes whose timeout passed.
    pub timed_out: Vec<u64>,
    /// Lines to log (send and receive errors).
    pub errors: Vec<String>,
}

/// The outstanding pings and the ICMP socket.
#[derive(Debug)]
pub struct Pinger {
    socket: Option<Socket>,
    source: Option<SourceId>,
    id: u16,
    by_deadline: BTreeMap<(Instant, u64), Ipv4Addr>,
    by_addr: HashMap<Ipv4Addr, Vec<(u64, Instant)>>,
}

impl Pinger {
    /// Opens the raw ICMP socket. On failure the error is returned with a
    /// pinger that does not ping (ISC's `no_icmp`): offers wait out their
    /// timeout and go.
    pub fn open() -> (Pinger, Option<io::Error>) {
        let id = (std::process::id() & 0xffff) as u16;
        let made = Socket::new(Domain::IPV4, Type::from(libc::SOCK_RAW), Some(Protocol::ICMPV4)).and_then(|s| {
            s.set_nonblocking(true)?;
            Ok(s)
        });
        let (socket, err) = match made {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        (Pinger { socket, source: None, id, by_deadline: BTreeMap::new(), by_addr: HashMap::new() }, err)
    }

    /// A pinger without a socket (tests, and when ICMP is not available).
    pub fn disabled() -> Pinger {
        Pinger { socket: None, source: None, id: 0, by_deadline: BTreeMap::new(), by_addr: HashMap::new() }
    }

    /// Registers the socket with the event loop; its readiness comes back
    /// with the returned id.
    pub fn register(&mut self, sources: &mut Sources<'_>) -> io::Result<Option<SourceId>> {
        let Some(s) = &self.socket else { return Ok(None) };
        let fd = s.as_raw_fd();
        let id = sources.register(&mut mio::unix::SourceFd(&fd), mio::Interest::READABLE)?;
        self.source = Some(id);
        Ok(Some(id))
    }

    /// The loop's id for the socket, once registered.
    pub fn source(&self) -> Option<SourceId> {
        self.source
    }

    /// Pings outstanding.
    pub fn outstanding(&self) -> usize {
        self.by_deadline.len()
    }

    /// Sends the echo request for `probe` and starts its timeout. Returns
    /// the line to log if sending failed.
    pub fn start(&mut self, probe: Probe, now: Instant) -> Option<String> {
        let deadline = now + Duration::from_millis(probe.timeout_ms);
        self.by_deadline.insert((deadline, probe.id), probe.address);
        self.by_addr.entry(probe.address).or_default().push((probe.id, deadline));
        let s = self.socket.as_ref()?;
        let packet = echo_request(self.id, probe.id as u16);
        let to = SockAddr::from(SocketAddrV4::new(probe.address, 0));
        match s.send_to(&packet, &to) {
            Ok(_) => None,
            Err(e) => Some(format!("icmp_echorequest {}: {}", probe.address, crate::conf::parser::os_error_text(&e))),
        }
    }

    /// When the earliest outstanding ping times out.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.by_deadline.keys().next().map(|(t, _)| *t)
    }

    /// Probes whose timeout has passed at `now`, oldest first.
    pub fn expire(&mut self, now: Instant) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some((&(t, id), &addr)) = self.by_deadline.iter().next() {
            if t > now {
                break;
            }
            self.by_deadline.remove(&(t, id));
            self.forget_addr(addr, id);
            out.push(id);
        }
        out
    }

    fn forget_addr(&mut self, addr: Ipv4Addr, id: u64) {
        if let Some(v) = self.by_addr.get_mut(&addr) {
            v.retain(|(p, _)| *p != id);
            if v.is_empty() {
                self.by_addr.remove(&addr);
            }
        }
    }

    /// An echo reply came from `addr` with identifier `id`: the probes of
    /// that address are answered.
    pub fn answered(&mut self, addr: Ipv4Addr, id: u16) -> Vec<u64> {
        if id != self.id {
            return Vec::new();
        }
        let Some(list) = self.by_addr.remove(&addr) else { return Vec::new() };
        list.into_iter()
            .map(|(probe, deadline)| {
                self.by_deadline.remove(&(deadline, probe));
                probe
            })
            .collect()
    }

    /// Reads what the socket has (bounded); returns the probes answered.
    pub fn read(&mut self) -> Finished {
        let mut fin = Finished::default();
        let mut buf = [MaybeUninit::<u8>::uninit(); 1500];
        for _ in 0..READ_BUDGET {
            let Some(s) = &self.socket else { break };
            let n = match s.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    fin.errors.push(format!("icmp_echoreply: {}", crate::conf::parser::os_error_text(&e)));
                    break;
                }
            };
            // SAFETY: recv initialised the first n bytes.
            let data: Vec<u8> = buf[..n].iter().map(|b| unsafe { b.assume_init() }).collect();
            if let Some((addr, id)) = parse_echo_reply(&data) {
                fin.answered.extend(self.answered(addr, id));
            }
        }
        fin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(src: [u8; 4], ty: u8, id: u16) -> Vec<u8> {
        let mut ip = vec![0x45, 0, 0, 48, 0, 0, 0, 0, 64, 1, 0, 0];
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&[10, 0, 0, 1]);
        let mut icmp = echo_request(id, 7).to_vec();
        icmp[0] = ty;
        ip.extend_from_slice(&icmp);
        ip
    }

    #[test]
    fn echo_request_checksums_to_zero() {
        let p = echo_request(0x1234, 9);
        assert_eq!(p.len(), 28);
        assert_eq!(p[0], 8);
        assert_eq!(checksum(&p), 0);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 9]);
    }

    #[test]
    fn only_echo_replies_parse() {
        assert_eq!(parse_echo_reply(&reply([10, 0, 0, 9], 0, 5)), Some((Ipv4Addr::new(10, 0, 0, 9), 5)));
        assert_eq!(parse_echo_reply(&reply([10, 0, 0, 9], 8, 5)), None);
        assert_eq!(parse_echo_reply(&reply([10, 0, 0, 9], 3, 5)), None);
        for n in 0..28 {
            assert_eq!(parse_echo_reply(&reply([10, 0, 0, 9], 0, 5)[..n]), None, "{n} bytes");
        }
        let mut bad_ihl = reply([10, 0, 0, 9], 0, 5);
        bad_ihl[0] = 0x4f;
        assert_eq!(parse_echo_reply(&bad_ihl), None);
    }

    #[test]
    fn probes_end_by_answer_or_timeout() {
        let mut p = Pinger::disabled();
        let t0 = Instant::now();
        let a = Ipv4Addr::new(10, 0, 0, 5);
        let b = Ipv4Addr::new(10, 0, 0, 6);
        assert_eq!(p.start(Probe { id: 1, address: a, timeout_ms: 1000 }, t0), None);
        assert_eq!(p.start(Probe { id: 2, address: b, timeout_ms: 500 }, t0), None);
        assert_eq!(p.next_deadline(), Some(t0 + Duration::from_millis(500)));
        assert_eq!(p.answered(a, 99), Vec::<u64>::new(), "someone else's ping");
        assert_eq!(p.answered(a, 0), vec![1]);
        assert_eq!(p.answered(a, 0), Vec::<u64>::new(), "answered once");
        assert_eq!(p.expire(t0 + Duration::from_millis(499)), Vec::<u64>::new());
        assert_eq!(p.expire(t0 + Duration::from_millis(500)), vec![2]);
        assert_eq!(p.outstanding(), 0);
        assert_eq!(p.next_deadline(), None);
    }
}
