/*!
The "fallback" UDP socket: replies that the kernel's IP stack must route.

ISC opens one ordinary UDP socket besides its packet sockets (`maybe_setup_fallback`,
`common/socket.c`) and sends through it to relays (giaddr) and to clients that already have
an address (renewing ACKs to ciaddr, INFORM replies); the kernel picks the route, the
source address and the next hop's MAC. Like ISC's, it is bound to `local-address` (default
0.0.0.0) on the server port with `SO_REUSEADDR`. Relayed requests reach the server through
the packet sockets, whose filter sees every datagram to the server port, and this socket
only keeps the kernel from answering them with ICMP port-unreachable. ISC reads and throws
away whatever it receives (`fallback_discard`); we attach a filter that drops every datagram
in the kernel instead, so the relayed requests each cost the server one read rather than
two (and a wake-up). What still arrives -- an ICMP error from an earlier send, or datagrams
from before the filter -- is read and dropped as ISC does ([`FallbackSocket::discard_all`]).

ISC sets `SO_BROADCAST` only on sockets tied to an interface, not on this one, and neither
do we: no rule in [`reply_destination`](super::transmit::reply_destination) broadcasts
through the kernel, and an accidental broadcast then fails loudly instead of leaving the host.
*/

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, RawFd};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol, Socket, Type};

/// The name ISC gives this socket's pseudo-interface, and the shared network it logs.
pub const FALLBACK_NAME: &str = "fallback";
/// ISC's name for the fallback interface's network (`dhcpd_interface_setup_hook`).
pub const FALLBACK_NETWORK: &str = "fallback-net";

/// The line ISC logs when the fallback socket is up.
pub fn sending_line() -> String {
    format!("Sending on   Socket/{FALLBACK_NAME}/{FALLBACK_NETWORK}")
}

/// Why the fallback socket could not be opened.
#[derive(Debug)]
pub enum FallbackError {
    /// `socket(2)` or `SO_REUSEADDR` failed.
    Socket(io::Error),
    /// `bind(2)` failed: another server holds the port, or `local-address` is not ours.
    Bind {
        /// The address it tried.
        addr: SocketAddrV4,
        /// Why.
        error: io::Error,
    },
}

impl FallbackError {
    /// ISC's lines for this failure; the last one is the fatal message.
    pub fn isc_lines(&self) -> Vec<String> {
        let text = |e: &io::Error| crate::conf::parser::os_error_text(e);
        match self {
            FallbackError::Socket(e) => vec![format!("Can't create dhcp socket for {FALLBACK_NAME}: {}", text(e))],
            FallbackError::Bind { error, .. } => vec![
                format!("Can't bind to dhcp address: {}", text(error)),
                "Please make sure there is no other dhcp server".into(),
                "running and that there's no entry for dhcp or".into(),
                "bootp in /etc/inetd.conf.   Also make sure you".into(),
                "are not running HP JetAdmin software, which".into(),
                "includes a bootp server.".into(),
            ],
        }
    }
}

impl std::fmt::Display for FallbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FallbackError::Socket(e) => write!(f, "fallback socket: {e}"),
            FallbackError::Bind { addr, error } => write!(f, "fallback socket: bind {addr}: {error}"),
        }
    }
}

impl std::error::Error for FallbackError {}

/// Attaches a classic BPF program that accepts nothing: datagrams to the socket are dropped
/// by the kernel (after the port lookup that keeps it from sending port-unreachable).
fn drop_all(socket: &Socket) -> io::Result<()> {
    let mut program = [libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: 0,
    }];
    let prog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: `prog` points at `program`, alive during the call; the kernel copies it.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&prog as *const libc::sock_fprog).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The fallback UDP socket, non-blocking.
#[derive(Debug)]
pub struct FallbackSocket {
    socket: Socket,
}

impl FallbackSocket {
    /// Opens it on `local_address:port`.
    pub fn open(local_address: Ipv4Addr, port: u16) -> Result<FallbackSocket, FallbackError> {
        let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(FallbackError::Socket)?;
        socket.set_reuse_address(true).map_err(FallbackError::Socket)?;
        socket.set_nonblocking(true).map_err(FallbackError::Socket)?;
        drop_all(&socket).map_err(FallbackError::Socket)?;
        let addr = SocketAddrV4::new(local_address, port);
        socket
            .bind(&SocketAddr::V4(addr).into())
            .map_err(|error| FallbackError::Bind { addr, error })?;
        Ok(FallbackSocket { socket })
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        match self.socket.local_addr()?.as_socket() {
            Some(SocketAddr::V4(a)) => Ok(a),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "fallback socket is not IPv4",
            )),
        }
    }

    /// Sends one datagram to `dst`.
    pub fn send_to(&self, payload: &[u8], dst: SocketAddrV4) -> io::Result<usize> {
        self.socket.send_to(payload, &SocketAddr::V4(dst).into())
    }

    /// Reads and drops every queued datagram (ISC `fallback_discard`); returns how many.
    pub fn discard_all(&self) -> io::Result<usize> {
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1540];
        let mut n = 0;
        loop {
            match self.socket.recv_from(&mut buf) {
                Ok(_) => n += 1,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // ICMP errors from earlier sends surface here; they are not ours to act on.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl AsRawFd for FallbackSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

impl Source for FallbackSocket {
    fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        SourceFd(&self.socket.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        SourceFd(&self.socket.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.socket.as_raw_fd()).deregister(registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;

    #[test]
    fn sends_and_discards_on_loopback() {
        // Port 0: the kernel picks a free one, so tests never need privileges or port 67.
        let fb = FallbackSocket::open(Ipv4Addr::LOCALHOST, 0).unwrap();
        let here = fb.local_addr().unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let SocketAddr::V4(peer_addr) = peer.local_addr().unwrap() else {
            unreachable!()
        };

        assert_eq!(fb.send_to(b"reply", peer_addr).unwrap(), 5);
        let mut buf = [0u8; 16];
        peer.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"reply");
        assert_eq!(from, SocketAddr::V4(here));

        // Datagrams to it are dropped by its filter (on loopback they would be queued by
        // the time send returns), and the sender gets no port-unreachable: a connected
        // socket would see it as ECONNREFUSED on its next call.
        peer.connect(here).unwrap();
        peer.send(b"a").unwrap();
        peer.send(b"b").unwrap();
        assert_eq!(fb.discard_all().unwrap(), 0);
        peer.set_read_timeout(Some(std::time::Duration::from_millis(100)))
            .unwrap();
        let err = peer.recv(&mut buf).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{err}"
        );
        peer.send(b"c").unwrap();
    }

    #[test]
    fn no_broadcast_permission() {
        // Checked with getsockopt rather than by trying: a broadcast from a test must never
        // have a chance of leaving the host.
        let fb = FallbackSocket::open(Ipv4Addr::LOCALHOST, 0).unwrap();
        assert!(!fb.socket.broadcast().unwrap());
        assert!(fb.socket.reuse_address().unwrap());
    }

    #[test]
    fn bind_failure_reads_like_isc() {
        let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        // SO_REUSEADDR does not let a second UDP socket share a port with one that lacks it.
        let err = FallbackSocket::open(Ipv4Addr::LOCALHOST, port).unwrap_err();
        let lines = err.isc_lines();
        assert_eq!(lines[0], "Can't bind to dhcp address: Address already in use");
        assert_eq!(lines.last().unwrap(), "includes a bootp server.");
        assert_eq!(sending_line(), "Sending on   Socket/fallback/fallback-net");
    }
}
