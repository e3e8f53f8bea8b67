//! The handler with a real engine and a real lease file in a scratch
//! directory: replies wait for the fsync of their leases, the order of
//! replies is kept, ping-check delays the offer, expiry is timed, relays
//! are addressed, and a stop leaves every lease on disk.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;
use crate::conf::parser::MemLoader;
use crate::io::transmit::Route;
use crate::lease::file::{read_lease_file, ReadOptions};
use crate::lease::BindingState;
use crate::server::startup;
use crate::wire::dhcp::{MessageType, OpCode, Packet, RawOption, Repr, Vendor};

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const T0: i64 = 1_700_000_000;

#[derive(Clone, Default)]
struct SharedLog(Arc<Mutex<Vec<String>>>);

impl LogSink for SharedLog {
    fn log(&self, _level: Level, msg: &str) {
        if let Ok(mut l) = self.0.lock() {
            l.push(msg.to_string());
        }
    }
}

impl SharedLog {
    fn lines(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

struct Fixture {
    server: Server,
    log: SharedLog,
    dir: PathBuf,
    path: PathBuf,
    t0: Instant,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn now_at(t0: Instant, secs: f64) -> Now {
    let d = Duration::from_secs_f64(secs);
    Now { mono: t0 + d, wall: T0 + d.as_secs() as i64, wall_micros: d.subsec_micros() }
}

fn fixture(name: &str, conf: &str) -> Fixture {
    let dir = std::env::temp_dir().join(format!("dhcpd-handler-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dhcpd.leases");
    std::fs::write(&path, b"").unwrap();
    let loader = MemLoader(vec![("d.conf".into(), conf.as_bytes().to_vec())]);
    let config = Arc::new(crate::conf::check_config("d.conf", &loader).config.expect("config"));
    let t0 = Instant::now();
    let now = now_at(t0, 0.0);
    let mut loaded = startup::load(Arc::clone(&config), &path, now, &mut |_| {}).unwrap();
    loaded.engine.set_interface(0, "eth0", &[SERVER]);
    let (store, _) = startup::create_store(&path, &loaded, startup::store_options(&config, now.wall), now).unwrap();
    let log = SharedLog::default();
    let server = Server::new(loaded.engine, store, loaded.carried, Addressing::STANDARD, Pinger::disabled(), Box::new(log.clone()), now);
    Fixture { server, log, dir, path, t0 }
}

fn msg(mac_last: u8, kind: MessageType, ciaddr: Ipv4Addr, giaddr: Ipv4Addr, opts: Vec<(u8, Vec<u8>)>) -> Vec<u8> {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&[2, 0, 0, 0, 0, mac_last]);
    let mut list = vec![RawOption::owned(53, vec![u8::from(kind)])];
    list.extend(opts.into_iter().map(|(c, v)| RawOption::owned(c, v)));
    let repr = Repr {
        op: OpCode::Request,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid: 0x100 + u32::from(mac_last),
        secs: 0,
        flags: 0,
        ciaddr,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr,
        chaddr,
        sname: Default::default(),
        file: Default::default(),
        vendor: Vendor::Options(list),
    };
    let mut buf = vec![0u8; repr.buffer_len().max(300)];
    repr.emit(&mut Packet::new_unchecked(&mut buf[..])).unwrap();
    buf
}

fn origin(src: Ipv4Addr, port: u16) -> Origin {
    Origin { mac: [2, 0, 0, 0, 0, 1], src: SocketAddrV4::new(src, port), dst: Ipv4Addr::BROADCAST }
}

fn from_client() -> Origin {
    origin(Ipv4Addr::UNSPECIFIED, 68)
}

fn reply_of(t: &Transmit) -> Repr<'static> {
    Repr::parse(&Packet::new_checked(&t.payload[..]).unwrap()).unwrap().into_owned()
}

fn on_disk(path: &std::path::Path) -> Vec<crate::lease::Lease> {
    let bytes = std::fs::read(path).unwrap();
    read_lease_file("f", &bytes, ReadOptions::at(T0)).unwrap().leases().cloned().collect()
}

const CONF: &str = "authoritative; ping-check false; default-lease-time 600; max-lease-time 600;\n\
    subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n";

/// DISCOVER and REQUEST through the handler: the offer goes at once, the ACK
/// only once its lease is on disk.
fn dora(f: &mut Fixture, mac: u8, at: f64) -> Ipv4Addr {
    let now = now_at(f.t0, at);
    let sent = f.server.handle_packet(now, IfaceId(0), from_client(), &msg(mac, MessageType::Discover, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![]));
    assert_eq!(sent.len(), 1, "{:?}", f.log.lines());
    let offered = reply_of(&sent[0]).yiaddr;
    assert!(f.server.end_of_turn(now).is_empty());
    let req = msg(mac, MessageType::Request, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![(50, offered.octets().to_vec()), (54, SERVER.octets().to_vec())]);
    let sent = f.server.handle_packet(now, IfaceId(0), from_client(), &req);
    assert!(sent.is_empty(), "the ACK must wait for the fsync");
    assert_eq!(f.server.held(), 1);
    assert!(!on_disk(&f.path).iter().any(|l| l.ip == offered), "nothing written before the end of the turn");
    let sent = f.server.end_of_turn(now);
    assert_eq!(sent.len(), 1);
    assert_eq!(reply_of(&sent[0]).message_type(), Some(MessageType::Ack));
    let disk = on_disk(&f.path);
    let l = disk.iter().rev().find(|l| l.ip == offered).expect("the lease is on disk when the ACK is released");
    assert_eq!(l.binding_state, BindingState::Active);
    offered
}

#[test]
fn acks_wait_for_their_fsync() {
    let mut f = fixture("dora", CONF);
    let ip = dora(&mut f, 1, 0.0);
    assert_eq!(ip, Ipv4Addr::new(10, 0, 0, 10));
    let lines = f.log.lines();
    assert!(lines.iter().any(|l| l == "DHCPACK on 10.0.0.10 to 02:00:00:00:00:01 via eth0"), "{lines:?}");
}

/// Under load (a flush less than the window ago) a commit waits for the end
/// of the window, so that the turns in between share one fsync; after a
/// quiet spell it is flushed at once.
#[test]
fn commits_close_together_share_the_window_fsync() {
    let mut f = fixture("window", CONF);
    dora(&mut f, 1, 0.0);
    let soon = now_at(f.t0, 0.0005);
    let offer = f.server.handle_packet(soon, IfaceId(0), from_client(), &msg(2, MessageType::Discover, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![]));
    let offered = reply_of(&offer[0]).yiaddr;
    let req = msg(2, MessageType::Request, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![(50, offered.octets().to_vec()), (54, SERVER.octets().to_vec())]);
    assert!(f.server.handle_packet(soon, IfaceId(0), from_client(), &req).is_empty());
    assert!(f.server.end_of_turn(soon).is_empty(), "a commit inside the window waits");
    assert!(!on_disk(&f.path).iter().any(|l| l.ip == offered && l.binding_state == BindingState::Active));
    assert_eq!(f.server.poll_timeout(), Some(f.t0 + COMMIT_WINDOW), "the loop wakes at the end of the window");
    // A third client's ACK in a later turn joins the same batch (its offer
    // promised nothing and went at once).
    let later = now_at(f.t0, 0.001);
    let offer3 = f.server.handle_packet(later, IfaceId(0), from_client(), &msg(3, MessageType::Discover, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![]));
    assert_eq!(offer3.len(), 1);
    let offered3 = reply_of(&offer3[0]).yiaddr;
    let req3 = msg(3, MessageType::Request, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![(50, offered3.octets().to_vec()), (54, SERVER.octets().to_vec())]);
    assert!(f.server.handle_packet(later, IfaceId(0), from_client(), &req3).is_empty());
    assert!(f.server.end_of_turn(later).is_empty());
    let due = now_at(f.t0, 0.002);
    let sent = f.server.end_of_turn(due);
    let kinds: Vec<_> = sent.iter().map(|t| reply_of(t).message_type()).collect();
    assert_eq!(kinds, vec![Some(MessageType::Ack), Some(MessageType::Ack)]);
    assert!(on_disk(&f.path).iter().any(|l| l.ip == offered && l.binding_state == BindingState::Active));
    assert_eq!(f.server.poll_timeout().filter(|&t| t <= due.mono + COMMIT_WINDOW), None, "nothing left to flush");
    // After a quiet spell the next commit is flushed in its own turn.
    dora(&mut f, 4, 5.0);
}

#[test]
fn a_reply_never_overtakes_an_earlier_held_one() {
    let mut f = fixture("order", CONF);
    let now = now_at(f.t0, 0.0);
    let d1 = f.server.handle_packet(now, IfaceId(0), from_client(), &msg(1, MessageType::Discover, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![]));
    let offered = reply_of(&d1[0]).yiaddr;
    let req = msg(1, MessageType::Request, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![(50, offered.octets().to_vec()), (54, SERVER.octets().to_vec())]);
    assert!(f.server.handle_packet(now, IfaceId(0), from_client(), &req).is_empty());
    // Another client's offer promises nothing: it goes at once.
    let d2 = f.server.handle_packet(now, IfaceId(0), from_client(), &msg(2, MessageType::Discover, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![]));
    assert_eq!(d2.len(), 1);
    assert_ne!(reply_of(&d2[0]).yiaddr, offered);
    // The first client's retransmission, answered from the cache without a
    // record of its own, waits behind the ACK that wrote the lease.
    assert!(f.server.handle_packet(now, IfaceId(0), from_client(), &req).is_empty());
    // A NAK promises nothing either: client 2 asking for client 1's
    // address hears at once.
    let steal = msg(2, MessageType::Request, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![(50, offered.octets().to_vec())]);
    let nak = f.server.handle_packet(now, IfaceId(0), from_client(), &steal);
    assert_eq!(nak.iter().map(|t| reply_of(t).message_type()).collect::<Vec<_>>(), vec![Some(MessageType::Nak)]);
    let sent = f.server.end_of_turn(now);
    let kinds: Vec<_> = sent.iter().map(|t| reply_of(t).message_type()).collect();
    assert_eq!(kinds, vec![Some(MessageType::Ack), Some(MessageType::Ack)]);
    assert!(on_disk(&f.path).iter().any(|l| l.ip == offered && l.binding_state == BindingState::Active));
    assert_eq!(f.server.held(), 0);
}

#[test]
fn ping_check_holds_the_offer_until_the_timeout() {
    let conf = "ping-timeout 2; subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n";
    let mut f = fixture("ping", conf);
    let now = now_at(f.t0, 0.0);
    let sent = f.server.handle_packet(now, IfaceId(0), from_client(), &msg(1, MessageType::Discover, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![]));
    assert!(sent.is_empty(), "the offer waits for the ping");
    assert!(f.server.end_of_turn(now).is_empty());
    assert_eq!(f.server.poll_timeout(), Some(f.t0 + Duration::from_secs(2)));
    assert!(f.server.handle_timeout(now_at(f.t0, 1.9)).is_empty());
    let sent = f.server.handle_timeout(now_at(f.t0, 2.0));
    assert_eq!(sent.len(), 1);
    assert_eq!(reply_of(&sent[0]).message_type(), Some(MessageType::Offer));
}

#[test]
fn an_answered_ping_abandons_the_address() {
    let conf = "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n";
    let mut f = fixture("pinged", conf);
    let now = now_at(f.t0, 0.0);
    assert!(f.server.handle_packet(now, IfaceId(0), from_client(), &msg(1, MessageType::Discover, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![])).is_empty());
    // The echo reply as the socket would report it (the disabled pinger's id is 0).
    let answered = f.server.pinger.answered(Ipv4Addr::new(10, 0, 0, 10), 0);
    assert_eq!(answered.len(), 1);
    let out = f.server.engine.continue_offer(now.wall, answered[0], ProbeResult::Answered);
    assert!(f.server.apply(out, now).is_empty());
    assert!(f.server.end_of_turn(now).is_empty());
    assert!(f.log.lines().iter().any(|l| l == "Abandoning IP address 10.0.0.10: pinged before offer"), "{:?}", f.log.lines());
    let disk = on_disk(&f.path);
    assert_eq!(disk.iter().rev().find(|l| l.ip == Ipv4Addr::new(10, 0, 0, 10)).map(|l| l.binding_state), Some(BindingState::Abandoned));
}

#[test]
fn leases_expire_on_time_and_the_change_is_written() {
    let conf = "ping-check false; default-lease-time 60; max-lease-time 60; min-lease-time 60;\n\
        subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n";
    let mut f = fixture("expiry", conf);
    let ip = dora(&mut f, 1, 0.0);
    let deadline = f.server.poll_timeout().expect("an expiry is ahead");
    assert!(deadline > f.t0 + Duration::from_secs(59) && deadline <= f.t0 + Duration::from_secs(61), "{:?}", deadline - f.t0);
    let later = now_at(f.t0, 61.0);
    assert!(f.server.handle_timeout(later).is_empty());
    assert!(f.server.end_of_turn(later).is_empty());
    let disk = on_disk(&f.path);
    assert_eq!(disk.iter().rev().find(|l| l.ip == ip).map(|l| l.binding_state), Some(BindingState::Free));
    assert!(f.server.poll_timeout().is_none_or(|t| t > later.mono), "no busy loop after expiry");
}

#[test]
fn relayed_requests_are_answered_to_the_relay() {
    let mut f = fixture("relay", "ping-check false; subnet 10.9.0.0 netmask 255.255.255.0 { range 10.9.0.10 10.9.0.20; }\nsubnet 10.0.0.0 netmask 255.255.255.0 { }\n");
    let relay = Ipv4Addr::new(10, 9, 0, 1);
    let now = now_at(f.t0, 0.0);
    let d = msg(1, MessageType::Discover, Ipv4Addr::UNSPECIFIED, relay, vec![]);
    let sent = f.server.handle_packet(now, IfaceId(0), origin(relay, 67), &d);
    assert_eq!(sent.len(), 1, "{:?}", f.log.lines());
    assert_eq!(sent[0].route, Route::Ip { dst: SocketAddrV4::new(relay, 67) });
    assert_eq!(reply_of(&sent[0]).yiaddr, Ipv4Addr::new(10, 9, 0, 10));
    // A relay asking to be answered on its own port (82.19).
    let agent = vec![19, 2, 0x1a, 0x0a];
    let d = msg(2, MessageType::Discover, Ipv4Addr::UNSPECIFIED, relay, vec![(82, agent)]);
    let sent = f.server.handle_packet(now, IfaceId(0), origin(relay, 6666), &d);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].route, Route::Ip { dst: SocketAddrV4::new(relay, 0x1a0a) });
}

#[test]
fn stop_flushes_what_the_turn_left() {
    let mut f = fixture("stop", CONF);
    let now = now_at(f.t0, 0.0);
    let sent = f.server.handle_packet(now, IfaceId(0), from_client(), &msg(1, MessageType::Discover, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![]));
    let offered = reply_of(&sent[0]).yiaddr;
    let req = msg(1, MessageType::Request, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![(50, offered.octets().to_vec()), (54, SERVER.octets().to_vec())]);
    assert!(f.server.handle_packet(now, IfaceId(0), from_client(), &req).is_empty());
    let sent = f.server.stop(now);
    assert_eq!(sent.len(), 1, "the held ACK goes once durable");
    assert!(on_disk(&f.path).iter().any(|l| l.ip == offered && l.binding_state == BindingState::Active));
}

#[test]
fn garbage_is_dropped_without_a_reply() {
    let mut f = fixture("garbage", CONF);
    let now = now_at(f.t0, 0.0);
    let mut seed = 0x1234_5678_u32;
    for len in [0usize, 1, 235, 236, 240, 300, 548, 1500] {
        let mut p = vec![0u8; len];
        for b in p.iter_mut() {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *b = (seed >> 24) as u8;
        }
        if len > 240 {
            p[236..240].copy_from_slice(&[99, 130, 83, 99]);
        }
        let _ = f.server.handle_packet(now, IfaceId(0), from_client(), &p);
    }
    let _ = f.server.end_of_turn(now);
    assert_eq!(f.server.held(), 0);
}

#[test]
fn execute_runs_without_blocking_the_handler() {
    let dir = std::env::temp_dir().join(format!("dhcpd-handler-exec-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mark = dir.join("committed");
    let conf = format!(
        "ping-check false;\nsubnet 10.0.0.0 netmask 255.255.255.0 {{ range 10.0.0.10 10.0.0.20;\n\
         on commit {{ execute(\"/bin/sh\", \"-c\", \"sleep 0.3; echo $0 > {}\", binary-to-ascii(10, 8, \".\", leased-address)); }} }}\n",
        mark.display()
    );
    let mut f = fixture("exec", &conf);
    let started = Instant::now();
    dora(&mut f, 1, 0.0);
    assert!(started.elapsed() < Duration::from_millis(250), "the ACK waited for the program");
    assert!(f.server.poll_timeout().is_some(), "a reap timer runs while the program does");
    let end = Instant::now() + Duration::from_secs(10);
    while !mark.exists() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
        let now = now_at(f.t0, 0.0);
        let _ = f.server.end_of_turn(now);
    }
    assert_eq!(std::fs::read_to_string(&mark).map(|t| t.trim().to_string()).ok().as_deref(), Some("10.0.0.10"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_operator_state_change_is_on_disk_before_omapi_answers() {
    let conf = "failover peer \"fo\" { primary; address 10.0.0.1; port 647; peer address 10.0.0.2; peer port 647;\n\
        max-response-delay 60; max-unacked-updates 10; mclt 60; split 128; load balance max seconds 3; }\n\
        subnet 10.0.0.0 netmask 255.255.255.0 { pool { failover peer \"fo\"; range 10.0.0.10 10.0.0.20; } }\n";
    let mut f = fixture("omapi-state", conf);
    let now = now_at(f.t0, 1.0);
    Backend::set_failover_state(&mut f.server, now, 0, FailoverState::PartnerDown).expect("state set");
    // No end of turn yet: the record must already be synced, as ISC
    // commits it before the OMAPI reply.
    let bytes = std::fs::read(&f.path).unwrap();
    let st = read_lease_file("f", &bytes, ReadOptions::at(T0)).unwrap().state();
    let rec = st.failover.iter().find(|r| r.peer == "fo").expect("a state record");
    assert_eq!(rec.me.map(|m| m.state), Some(FailoverState::PartnerDown));
}
