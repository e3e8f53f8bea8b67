//! The listener in the real event loop, on loopback: captured omshell sessions over TCP,
//! a thousand idle connections, a message that never completes, an oversized one, a burst
//! of requests whose replies are read late, and the control object stopping the loop. A
//! UDP echo source in the same loop stands for DHCP: it must keep answering promptly.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use mio::Interest;

use super::*;
use crate::io::event_loop::{EventLoop, Handler, Origin, Sources};
use crate::io::syslog::MemoryLog;
use crate::io::transmit::{IfaceId, Transmit};
use crate::omapi::objects::tests::{corrected, lab_conf, omkey, session_config, Lab};
use crate::omapi::Limits;
use crate::wire::omapi::captures::{self, connections, split, stream, Event};
use crate::wire::omapi::{Intro, Message, NamedValue, Opcode, Packet, Value};

/// The loop's handler: the OMAPI server over the lab backend, plus a UDP echo.
struct TestServer {
    omapi: OmapiServer,
    lab: Lab,
    echo: mio::net::UdpSocket,
    echo_id: Option<SourceId>,
    stop: Arc<AtomicBool>,
}

impl Handler for TestServer {
    fn handle_packet(&mut self, _: Now, _: IfaceId, _: Origin, _: &[u8]) -> Vec<Transmit> {
        Vec::new()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        // A short tick so the test's stop flag is seen.
        let tick = Instant::now() + Duration::from_millis(20);
        Some(self.omapi.poll_timeout().map_or(tick, |t| t.min(tick)))
    }

    fn handle_timeout(&mut self, _: Now) -> Vec<Transmit> {
        unreachable!("the loop calls handle_timeout_with_sources")
    }

    fn handle_timeout_with_sources(&mut self, now: Now, sources: &mut Sources<'_>) -> Vec<Transmit> {
        self.omapi.handle_timeout(now, sources, &mut self.lab);
        Vec::new()
    }

    fn handle_ready(&mut self, now: Now, id: SourceId, ready: Ready, sources: &mut Sources<'_>) -> Vec<Transmit> {
        if Some(id) == self.echo_id {
            let mut buf = [0u8; 64];
            while let Ok((n, from)) = self.echo.recv_from(&mut buf) {
                let _ = self.echo.send_to(&buf[..n], from);
            }
        } else if self.omapi.owns(id) {
            self.omapi.handle_ready(now, id, ready, sources, &mut self.lab);
        }
        Vec::new()
    }

    fn wants_stop(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.lab.shutdowns > 0
    }
}

/// What the server thread reports when it stops.
struct Report {
    counters: Counters,
    sessions: usize,
    written: String,
}

/// Runs a server on loopback in its own thread; returns its OMAPI and echo addresses, the
/// stop flag and the report channel.
fn start(keyed: bool, settings: Arc<SessionConfig>, limits: ServerLimits) -> (SocketAddr, SocketAddr, Arc<AtomicBool>, mpsc::Receiver<Report>) {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let (addr_tx, addr_rx) = mpsc::channel();
    let flag = stop.clone();
    thread::spawn(move || {
        let mut ev = EventLoop::new(67).unwrap();
        let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut omapi = OmapiServer::with_settings(bind, settings, limits);
        let mut echo = mio::net::UdpSocket::bind(bind).unwrap();
        let echo_addr = echo.local_addr().unwrap();
        let echo_id = {
            let mut sources = ev.sources();
            omapi.register(&mut sources).unwrap();
            sources.register(&mut echo, Interest::READABLE).unwrap()
        };
        addr_tx.send((omapi.local_addr(), echo_addr)).unwrap();
        let mut h = TestServer { omapi, lab: Lab::new(&lab_conf(keyed)), echo, echo_id: Some(echo_id), stop: flag };
        let log = MemoryLog::default();
        ev.run(&mut h, &log).unwrap();
        let _ = tx.send(Report { counters: h.omapi.counters(), sessions: h.omapi.sessions(), written: h.lab.written_text() });
    });
    let (omapi, echo) = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    (omapi, echo, stop, rx)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Reads exactly `n` bytes.
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).unwrap();
    buf
}

/// Reads one message (24-byte headers).
fn read_message(s: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if Packet::new_checked(&buf[..], 24).is_ok() {
            return buf;
        }
        s.read_exact(&mut byte).unwrap();
        buf.push(byte[0]);
    }
}

/// Round trip of a datagram through the loop's echo source.
fn echo_rtt(echo: SocketAddr) -> Duration {
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    u.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let t = Instant::now();
    u.send_to(b"ping", echo).unwrap();
    let mut buf = [0u8; 8];
    let (n, _) = u.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
    t.elapsed()
}

fn finish(stop: Arc<AtomicBool>, rx: mpsc::Receiver<Report>) -> Report {
    stop.store(true, Ordering::SeqCst);
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

fn open_msg(id: u32, kind: &str, object: Vec<NamedValue>) -> Vec<u8> {
    Message { op: Opcode::Open, id, message_values: vec![NamedValue::new("type", Value::string(kind))], object_values: object, ..Message::default() }
        .to_vec()
        .unwrap()
}

#[test]
fn captured_omshell_sessions_over_tcp() {
    let (addr, _, stop, rx) = start(false, session_config(false), ServerLimits::default());
    let lab = Lab::new(&lab_conf(false));
    for events in connections(captures::OMSHELL_NOKEY) {
        let mut s = connect(addr);
        assert_eq!(read_n(&mut s, 8), Intro::OURS.to_bytes());
        let (_, isc) = split(&stream(&events, false));
        for e in &events {
            if let Event::ToServer(b) = e {
                s.write_all(b).unwrap();
            }
        }
        for want in isc {
            let got = read_message(&mut s);
            // Transaction ids are ours; everything else is ISC's (corrected where we differ).
            let mut want = corrected(&want, &lab, None);
            want[16..20].copy_from_slice(&got[16..20]);
            assert_eq!(got, want);
        }
    }
    let r = finish(stop, rx);
    assert_eq!(r.counters.accepted, 4);
    assert!(r.written.contains("host h1 {\n  dynamic;\n  deleted;\n}\n"));
}

#[test]
fn a_thousand_idle_connections_do_not_stall_the_loop() {
    let limits = ServerLimits { max_sessions: 32, ..ServerLimits::default() };
    let (addr, echo, stop, rx) = start(true, session_config(true), limits);
    let idle: Vec<TcpStream> = (0..1000)
        .map(|i| {
            let mut s = TcpStream::connect(addr).unwrap();
            if i % 2 == 0 {
                let _ = s.write_all(&Intro::OURS.to_bytes());
            }
            s
        })
        .collect();
    // DHCP's stand-in answers at once while they sit there.
    assert!(echo_rtt(echo) < Duration::from_millis(500));
    // None of them ever completed a request: a real client takes a slot at once.
    let mut s = connect(addr);
    assert_eq!(read_n(&mut s, 8), Intro::OURS.to_bytes());
    s.write_all(&Intro::OURS.to_bytes()).unwrap();
    s.write_all(&open_msg(1, "failover-state", vec![NamedValue::new("name", Value::string("fo-test"))])).unwrap();
    let reply = Message::parse(&Packet::new_checked(&read_message(&mut s)[..], 24).unwrap()).unwrap();
    // Keyed server, no key: ISC's refusal.
    assert_eq!(reply.message_value("result").and_then(Value::as_u32), Some(0x60009));
    assert!(echo_rtt(echo) < Duration::from_millis(500));
    drop(idle);
    let r = finish(stop, rx);
    assert!(r.counters.accepted >= 33, "{:?}", r.counters);
    assert!(r.counters.refused + r.counters.evicted >= 968, "{:?}", r.counters);
    assert!(r.counters.evicted >= 1, "{:?}", r.counters);
    assert!(r.sessions <= 32);
}

#[test]
fn incomplete_and_oversized_messages_are_refused() {
    let settings = Arc::new(SessionConfig {
        limits: Limits { message_timeout: Some(Duration::from_millis(200)), ..Limits::default() },
        ..(*session_config(false)).clone()
    });
    let (addr, echo, stop, rx) = start(false, settings, ServerLimits::default());
    // A message cut short: closed once the message deadline passes.
    let mut cut = connect(addr);
    cut.write_all(&Intro::OURS.to_bytes()).unwrap();
    cut.write_all(&open_msg(1, "control", vec![])[..30]).unwrap();
    // A value announcing 4 GB: closed as soon as its length is read.
    let mut big = connect(addr);
    big.write_all(&Intro::OURS.to_bytes()).unwrap();
    let mut msg = vec![0u8; 24];
    msg[11] = 1;
    msg.extend_from_slice(&[0, 4, b't', b'y', b'p', b'e', 0xff, 0xff, 0xff, 0xff]);
    big.write_all(&msg).unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    assert_eq!(big.read_to_end(&mut rest).unwrap(), 8, "only our introduction, then the close");
    assert!(t.elapsed() < Duration::from_millis(150));
    assert!(echo_rtt(echo) < Duration::from_millis(500));
    let mut rest = Vec::new();
    assert_eq!(cut.read_to_end(&mut rest).unwrap(), 8);
    assert!(t.elapsed() >= Duration::from_millis(150));
    let r = finish(stop, rx);
    assert_eq!(r.counters.dropped, 2);
}

#[test]
fn replies_read_late_all_arrive_in_order() {
    let (addr, _, stop, rx) = start(false, session_config(false), ServerLimits::default());
    let mut s = connect(addr);
    s.write_all(&Intro::OURS.to_bytes()).unwrap();
    // 20000 REFRESHes of an unknown handle (1.5 MB of replies) before reading any.
    let refresh = |id: u32| Message { op: Opcode::Refresh, handle: 77, id, ..Message::default() }.to_vec().unwrap();
    let burst: Vec<u8> = (1..=20_000).flat_map(refresh).collect();
    let writer = {
        let mut w = s.try_clone().unwrap();
        thread::spawn(move || w.write_all(&burst).unwrap())
    };
    assert_eq!(read_n(&mut s, 8), Intro::OURS.to_bytes());
    for id in 1..=20_000u32 {
        let m = Message::parse(&Packet::new_checked(&read_message(&mut s)[..], 24).unwrap()).unwrap();
        assert_eq!(m.rid, id);
    }
    writer.join().unwrap();
    finish(stop, rx);
}

#[test]
fn control_state_two_stops_the_loop_after_the_reply() {
    let settings = Arc::new(SessionConfig { omapi_key: Some("omkey".into()), ..(*session_config(true)).clone() });
    let (addr, _, _stop, rx) = start(true, settings, ServerLimits::default());
    let mut s = connect(addr);
    s.write_all(&Intro::OURS.to_bytes()).unwrap();
    assert_eq!(read_n(&mut s, 8), Intro::OURS.to_bytes());
    let key = vec![
        NamedValue::new("name", Value::string("omkey")),
        NamedValue::new("algorithm", Value::string("hmac-md5.SIG-ALG.REG.INT.")),
    ];
    s.write_all(&open_msg(1, "authenticator", key)).unwrap();
    let authid = Packet::new_checked(&read_message(&mut s)[..], 24).unwrap().handle();
    let signed = |m: Message| {
        let mut m = m;
        m.authid = authid;
        m.signature = vec![0; 16];
        let mut b = m.to_vec().unwrap();
        omkey().sign_message(&mut b).unwrap();
        b
    };
    let open = Message::parse(&Packet::new_checked(&open_msg(2, "control", vec![])[..], 24).unwrap()).unwrap();
    s.write_all(&signed(open)).unwrap();
    let control = Packet::new_checked(&read_message(&mut s)[..], 24).unwrap().handle();
    let stop = Message { op: Opcode::Update, handle: control, id: 3, object_values: vec![NamedValue::new("state", Value::Int(2))], ..Message::default() };
    s.write_all(&signed(stop)).unwrap();
    let reply = Message::parse(&Packet::new_checked(&read_message(&mut s)[..], 24).unwrap()).unwrap();
    assert_eq!(reply.message_value("result").and_then(Value::as_u32), Some(0));
    // The loop stopped by itself.
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
}

#[test]
fn a_flood_does_not_cut_off_a_client_at_work() {
    let limits = ServerLimits { max_sessions: 8, ..ServerLimits::default() };
    let (addr, _, stop, rx) = start(false, session_config(false), limits);
    let mut s = connect(addr);
    s.write_all(&Intro::OURS.to_bytes()).unwrap();
    assert_eq!(read_n(&mut s, 8), Intro::OURS.to_bytes());
    s.write_all(&open_msg(1, "control", vec![])).unwrap();
    read_message(&mut s);
    let flood: Vec<TcpStream> = (0..200).map(|_| TcpStream::connect(addr).unwrap()).collect();
    thread::sleep(Duration::from_millis(200));
    s.write_all(&open_msg(2, "control", vec![])).unwrap();
    let m = Message::parse(&Packet::new_checked(&read_message(&mut s)[..], 24).unwrap()).unwrap();
    assert_eq!((m.op, m.rid), (Opcode::Update, 2));
    drop(flood);
    let r = finish(stop, rx);
    assert!(r.counters.evicted >= 190, "{:?}", r.counters);
}
