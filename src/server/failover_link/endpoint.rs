//! Where one failover relationship listens and dials, and the sockets for
//! it (reference §1.1).
//!
//! ISC listens on the configured local `address` and `port` only (one
//! listener per distinct pair, shared by relationships), and dials every
//! address of `peer address` on `peer port` *from* the local `address`:
//! the partner accepts a connection only when its source is the address it
//! has configured as its `peer address`. Sockets are made with socket2 so
//! the source can be bound before the non-blocking connect starts.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, ToSocketAddrs};

use socket2::{Domain, Protocol, Socket, Type};

use crate::conf::model_failover::{FailoverPeer, PeerAddress};
use crate::failover::ConnectFailure;

/// The listen backlog (ISC's `omapi_listen_addr` asks for 5; a few more
/// costs nothing and survives both peers' redials arriving together).
const BACKLOG: i32 = 16;

/// A relationship's addresses and ports, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The relationship's name (log lines).
    pub name: String,
    /// Our `address`: where we listen and dial from. `None` when not
    /// configured (ISC then dials from any address and does not listen).
    pub local: Option<Ipv4Addr>,
    /// Our `port`.
    pub port: Option<u16>,
    /// Every address `peer address` names.
    pub peer_addrs: Vec<Ipv4Addr>,
    /// `peer port`.
    pub peer_port: Option<u16>,
    /// What could not be resolved or is out of range, in ISC-like words;
    /// logged once at start.
    pub problems: Vec<String>,
}

fn resolve(a: &PeerAddress) -> Result<Vec<Ipv4Addr>, String> {
    match a {
        PeerAddress::Ip(ip) => Ok(vec![*ip]),
        PeerAddress::Hostname(name) => {
            let addrs = (name.as_str(), 0)
                .to_socket_addrs()
                .map_err(|e| format!("{name}: host unknown ({e})"))?;
            let v4: Vec<Ipv4Addr> = addrs
                .filter_map(|a| match a {
                    SocketAddr::V4(a) => Some(*a.ip()),
                    SocketAddr::V6(_) => None,
                })
                .collect();
            if v4.is_empty() {
                Err(format!("{name}: host unknown"))
            } else {
                Ok(v4)
            }
        }
    }
}

fn port(p: i32, what: &str) -> Result<u16, String> {
    u16::try_from(p).ok().filter(|&p| p != 0).ok_or_else(|| format!("{what} {p} is not a TCP port"))
}

impl Endpoint {
    /// The endpoint of a parsed declaration; host names are looked up now
    /// (ISC looks them up when it dials; a name that does not resolve is
    /// reported and leaves the relationship unable to dial).
    pub fn from_conf(peer: &FailoverPeer) -> Endpoint {
        let mut problems = Vec::new();
        let local = match peer.me.address.as_ref().map(resolve) {
            None => None,
            Some(Ok(v)) => v.first().copied(),
            Some(Err(e)) => {
                problems.push(format!("failover peer {}: 'address' parameter fails to resolve to an IPv4 address: {e}", peer.name));
                None
            }
        };
        let peer_addrs = match peer.partner.address.as_ref().map(resolve) {
            None => Vec::new(),
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                problems.push(format!("failover peer {}: {e}", peer.name));
                Vec::new()
            }
        };
        let mut checked = |p: i32, what: &str| match port(p, what) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(format!("failover peer {}: {e}", peer.name));
                None
            }
        };
        let port = checked(peer.me.port, "port");
        let peer_port = checked(peer.partner.port, "peer port");
        Endpoint { name: peer.name.clone(), local, port, peer_addrs, peer_port, problems }
    }

    /// The address and port to listen on, if both are known.
    pub fn listen_addr(&self) -> Option<SocketAddrV4> {
        Some(SocketAddrV4::new(self.local?, self.port?))
    }

    /// The `n`th dial target (cycling through `peer address`'s addresses).
    pub fn dial_target(&self, n: usize) -> Option<SocketAddrV4> {
        let port = self.peer_port?;
        let ip = *self.peer_addrs.get(n % self.peer_addrs.len().max(1))?;
        Some(SocketAddrV4::new(ip, port))
    }
}

/// A non-blocking listener on `addr` (close-on-exec, as socket2 makes
/// every socket; address reuse on, so a restarted
/// server can listen again while old connections linger in TIME-WAIT).
pub fn listen(addr: SocketAddrV4) -> io::Result<mio::net::TcpListener> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    s.set_nonblocking(true)?;
    s.bind(&SocketAddr::V4(addr).into())?;
    s.listen(BACKLOG)?;
    Ok(mio::net::TcpListener::from_std(s.into()))
}

/// Starts a non-blocking connect to `to` from `from` (port chosen by the
/// system). The connection is up once the socket turns writable with no
/// pending error.
pub fn dial(from: Option<Ipv4Addr>, to: SocketAddrV4) -> io::Result<mio::net::TcpStream> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    s.set_nonblocking(true)?;
    s.set_tcp_nodelay(true)?;
    if let Some(ip) = from {
        s.bind(&SocketAddr::V4(SocketAddrV4::new(ip, 0)).into())?;
    }
    match s.connect(&SocketAddr::V4(to).into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(mio::net::TcpStream::from_std(s.into()))
}

/// How a failed dial counts for the failover peer's redial timing.
pub fn failure_kind(e: &io::Error) -> ConnectFailure {
    match e.raw_os_error() {
        Some(libc::ECONNREFUSED) => ConnectFailure::Refused,
        Some(libc::EHOSTUNREACH | libc::ENETUNREACH | libc::EHOSTDOWN | libc::ENETDOWN) => ConnectFailure::Unreachable,
        Some(libc::ETIMEDOUT) => ConnectFailure::TimedOut,
        _ if e.kind() == io::ErrorKind::TimedOut => ConnectFailure::TimedOut,
        _ => ConnectFailure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::model::GroupId;
    use crate::conf::model_failover::PeerScope;

    #[test]
    fn endpoints_from_declarations() {
        let mut p = FailoverPeer::new("fo".into(), PeerScope::Root, GroupId::default());
        p.apply_defaults();
        p.me.address = Some(PeerAddress::Ip(Ipv4Addr::new(10, 0, 0, 1)));
        p.partner.address = Some(PeerAddress::Ip(Ipv4Addr::new(10, 0, 0, 2)));
        p.partner.port = 209;
        let e = Endpoint::from_conf(&p);
        assert!(e.problems.is_empty(), "{:?}", e.problems);
        assert_eq!(e.listen_addr(), Some("10.0.0.1:647".parse().unwrap()));
        assert_eq!(e.dial_target(0), Some("10.0.0.2:209".parse().unwrap()));
        assert_eq!(e.dial_target(3), Some("10.0.0.2:209".parse().unwrap()));
        p.me.port = 70000;
        p.me.address = None;
        let e = Endpoint::from_conf(&p);
        assert_eq!(e.listen_addr(), None);
        assert_eq!(e.problems, vec!["failover peer fo: port 70000 is not a TCP port".to_string()]);
    }

    #[test]
    fn failures_map_to_redial_kinds() {
        let os = io::Error::from_raw_os_error;
        assert_eq!(failure_kind(&os(libc::ECONNREFUSED)), ConnectFailure::Refused);
        assert_eq!(failure_kind(&os(libc::EHOSTUNREACH)), ConnectFailure::Unreachable);
        assert_eq!(failure_kind(&os(libc::ETIMEDOUT)), ConnectFailure::TimedOut);
        assert_eq!(failure_kind(&os(libc::EADDRNOTAVAIL)), ConnectFailure::Other);
    }
}
