//! The loop driven on loopback only: timers, the handler's own sources, the fallback socket,
//! send errors. Packet sockets need a network namespace: see `tests/io_netns.rs`.

use super::*;
use crate::io::syslog::MemoryLog;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Instant;

use mio::unix::SourceFd;

fn v4(a: SocketAddr) -> SocketAddrV4 {
    match a {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => panic!("not IPv4"),
    }
}

/// A handler scripted by closures over its own state.
#[derive(Default)]
struct Script {
    deadline: Option<Instant>,
    timeouts: Vec<Now>,
    on_timeout: Vec<Transmit>,
    stop_after_timeout: bool,
    ready_nows: Vec<Now>,
    turn_nows: Vec<Now>,
    echo_socket: Option<UdpSocket>,
    echo_to: Option<SocketAddrV4>,
    stop_after_echo: bool,
    echoed: usize,
    stopped: bool,
}

impl Handler for Script {
    fn handle_packet(&mut self, _: Now, _: IfaceId, _: Origin, _: &[u8]) -> Vec<Transmit> {
        panic!("no packet sockets in these tests")
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    fn handle_timeout(&mut self, now: Now) -> Vec<Transmit> {
        self.timeouts.push(now);
        self.deadline = None;
        std::mem::take(&mut self.on_timeout)
    }

    fn handle_ready(&mut self, now: Now, _: SourceId, ready: Ready, _: &mut Sources<'_>) -> Vec<Transmit> {
        self.ready_nows.push(now);
        assert!(ready.readable);
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        if let (Some(sock), Some(to)) = (&self.echo_socket, self.echo_to) {
            while let Ok(n) = sock.recv(&mut buf) {
                let mut reply = b"echo:".to_vec();
                reply.extend_from_slice(&buf[..n]);
                out.push(Transmit {
                    route: Route::Ip { dst: to },
                    payload: reply,
                });
                self.echoed += 1;
            }
        }
        out
    }

    fn end_of_turn(&mut self, now: Now) -> Vec<Transmit> {
        self.turn_nows.push(now);
        Vec::new()
    }

    fn wants_stop(&self) -> bool {
        (self.stop_after_timeout && !self.timeouts.is_empty()) || (self.stop_after_echo && self.echoed > 0)
    }

    fn stop(&mut self, _: Now) -> Vec<Transmit> {
        self.stopped = true;
        Vec::new()
    }
}

#[test]
fn the_timer_fires_at_its_deadline_and_stop_is_clean() {
    let mut ev = EventLoop::new(67).unwrap();
    let start = Instant::now();
    let deadline = start + Duration::from_millis(30);
    let mut h = Script {
        deadline: Some(deadline),
        stop_after_timeout: true,
        ..Default::default()
    };
    let log = MemoryLog::default();
    assert_eq!(ev.run(&mut h, &log).unwrap(), Stop::Requested);
    assert_eq!(h.timeouts.len(), 1);
    assert!(h.timeouts[0].mono >= deadline, "fired early");
    assert!(
        h.timeouts[0].mono - deadline < Duration::from_secs(2),
        "fired far too late"
    );
    assert!(h.stopped, "stop() is called before run returns");
    assert!(log.lines().is_empty());
}

#[test]
fn own_sources_get_readiness_and_replies_go_out_through_the_fallback() {
    let mut ev = EventLoop::new(0).unwrap();
    ev.set_fallback(FallbackSocket::open(Ipv4Addr::LOCALHOST, 0).unwrap())
        .unwrap();

    let own = UdpSocket::bind("127.0.0.1:0").unwrap();
    own.set_nonblocking(true).unwrap();
    let id = ev
        .sources()
        .register(&mut SourceFd(&own.as_raw_fd()), Interest::READABLE)
        .unwrap();
    assert!(id.0 >= FIRST_EXTRA);

    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    peer.send_to(b"hello", own.local_addr().unwrap()).unwrap();

    let mut h = Script {
        echo_to: Some(v4(peer.local_addr().unwrap())),
        echo_socket: Some(own),
        stop_after_echo: true,
        // A safety net: the test fails rather than hangs if readiness never comes.
        deadline: Some(Instant::now() + Duration::from_secs(5)),
        ..Default::default()
    };
    let log = MemoryLog::default();
    assert_eq!(ev.run(&mut h, &log).unwrap(), Stop::Requested);
    assert!(h.timeouts.is_empty(), "readiness, not the safety timer, ended the run");
    let mut buf = [0u8; 64];
    let n = peer.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"echo:hello");
    assert_eq!(ev.counters().sent, 1);
    // One clock reading per turn: the handler saw the same `now` for the event and the turn's end.
    assert_eq!(h.ready_nows.last(), h.turn_nows.last());
}

/// Datagrams to the fallback socket are dropped by its filter: the loop never sees them.
#[test]
fn the_fallback_socket_drops_its_datagrams() {
    let mut ev = EventLoop::new(0).unwrap();
    let fb = FallbackSocket::open(Ipv4Addr::LOCALHOST, 0).unwrap();
    let at = fb.local_addr().unwrap();
    ev.set_fallback(fb).unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"one", at).unwrap();
    peer.send_to(b"two", at).unwrap();
    let mut h = Script {
        deadline: Some(Instant::now() + Duration::from_millis(50)),
        stop_after_timeout: true,
        ..Default::default()
    };
    ev.run(&mut h, &MemoryLog::default()).unwrap();
    assert_eq!(ev.counters().fallback_discarded, 0);
    assert_eq!(
        h.turn_nows.len(),
        1,
        "only the timer's turn: the datagrams never woke the loop"
    );
}

#[test]
fn failed_sends_are_logged_like_isc_and_the_loop_goes_on() {
    let mut ev = EventLoop::new(67).unwrap();
    let bad_iface = Transmit {
        route: Route::Link {
            iface: IfaceId(5),
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst_mac: [2, 0, 0, 0, 0, 1],
            dst: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 68),
        },
        payload: vec![0; 300],
    };
    let no_fallback = Transmit {
        route: Route::Ip {
            dst: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9),
        },
        payload: vec![1],
    };
    let mut h = Script {
        deadline: Some(Instant::now()),
        on_timeout: vec![bad_iface, no_fallback],
        stop_after_timeout: true,
        ..Default::default()
    };
    let log = MemoryLog::default();
    assert_eq!(ev.run(&mut h, &log).unwrap(), Stop::Requested);
    assert_eq!(ev.counters().send_errors, 2);
    assert_eq!(
        log.lines(),
        [
            (Level::Error, "send_packet: no interface 5".to_string()),
            (Level::Error, "send_packet: no fallback socket".to_string()),
        ]
    );
}
