//! Side by side with ISC dhcpd 4.4: the same configuration and the same
//! scripted client messages go to the real ISC server (in network
//! namespaces this test creates) and to our engine; every reply is
//! compared field by field, and ISC's log lines with ours.
//!
//! Needs root, `ip` and /usr/sbin/dhcpd, so it is ignored by default:
//! `cargo test --test engine_vs_isc -- --ignored --nocapture`.
//!
//! Differences allowed, each for a stated reason:
//! * the lease time of a reused lease (`dhcp-cache-threshold`) is the
//!   time left on it, which may differ by a second between two clocks.

mod lab;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcpd::conf::parser::MemLoader;
use dhcpd::engine::{Engine, IscEvaluator, NoFailover, ProbeResult};
use dhcpd::wire::dhcp::{MessageType, OpCode, Packet, RawOption, Repr, Vendor};
use dhcpd::wire::frame::{FrameRepr, PAYLOAD_OFFSET};

use lab::{Frame, Lab};

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const RELAY: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 1);

const CONF: &str = r#"
ddns-update-style none;
authoritative;
ping-check false;
default-lease-time 600;
max-lease-time 7200;
option domain-name "example.org";
option domain-name-servers 10.0.0.53, 10.0.0.54;
class "phones" {
  match if substring(option vendor-class-identifier, 0, 5) = "phone";
  option domain-name "phones.example.org";
}
subnet 10.0.0.0 netmask 255.255.255.0 {
  option routers 10.0.0.1;
  pool {
    range 10.0.0.10 10.0.0.19;
    allow members of "phones";
  }
  pool {
    range 10.0.0.20 10.0.0.39;
    deny members of "phones";
  }
}
subnet 10.1.0.0 netmask 255.255.255.0 {
  range 10.1.0.50 10.1.0.60;
  option routers 10.1.0.1;
  option broadcast-address 10.1.0.255;
}
host printer {
  hardware ethernet 02:00:00:00:00:42;
  fixed-address 10.0.0.5;
}
host byid {
  option dhcp-client-identifier "client-7";
  fixed-address 10.0.0.7;
}
"#;

fn wall() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A scripted client message and how it travels.
#[derive(Clone)]
struct Msg {
    name: &'static str,
    mac: [u8; 6],
    kind: Option<MessageType>,
    ciaddr: Ipv4Addr,
    giaddr: Ipv4Addr,
    options: Vec<(u8, Vec<u8>)>,
    /// IP source and destination, UDP source port.
    src: Ipv4Addr,
    dst: Ipv4Addr,
    sport: u16,
    xid: u32,
}

fn mac(last: u8) -> [u8; 6] {
    [2, 0, 0, 0, 0, last]
}

impl Msg {
    fn new(name: &'static str, last: u8, kind: MessageType) -> Msg {
        Msg {
            name,
            mac: mac(last),
            kind: Some(kind),
            ciaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            options: Vec::new(),
            src: Ipv4Addr::UNSPECIFIED,
            dst: Ipv4Addr::BROADCAST,
            sport: 68,
            xid: 0x5000 + u32::from(last),
        }
    }

    fn opt(mut self, code: u8, v: &[u8]) -> Msg {
        self.options.push((code, v.to_vec()));
        self
    }

    fn relayed(mut self) -> Msg {
        self.giaddr = RELAY;
        self.src = RELAY;
        self.dst = SERVER;
        self.sport = 67;
        self
    }

    fn unicast_from(mut self, a: Ipv4Addr) -> Msg {
        self.ciaddr = a;
        self.src = a;
        self.dst = SERVER;
        self
    }

    fn payload(&self) -> Vec<u8> {
        let mut chaddr = [0u8; 16];
        chaddr[..6].copy_from_slice(&self.mac);
        let mut list: Vec<RawOption<'static>> = Vec::new();
        if let Some(k) = self.kind {
            list.push(RawOption::owned(53, vec![u8::from(k)]));
        }
        for (c, v) in &self.options {
            list.push(RawOption::owned(*c, v.clone()));
        }
        let repr = Repr {
            op: OpCode::Request,
            htype: 1,
            hlen: 6,
            hops: u8::from(!self.giaddr.is_unspecified()),
            xid: self.xid,
            secs: 3,
            flags: 0,
            ciaddr: self.ciaddr,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: self.giaddr,
            chaddr,
            sname: Default::default(),
            file: Default::default(),
            vendor: Vendor::Options(list),
        };
        let mut buf = vec![0u8; repr.buffer_len().max(300)];
        repr.emit(&mut Packet::new_unchecked(&mut buf[..])).unwrap();
        buf
    }

    fn frame(&self, server_mac: [u8; 6]) -> Vec<u8> {
        let payload = self.payload();
        let dst_mac = if self.dst == Ipv4Addr::BROADCAST { [0xff; 6] } else { server_mac };
        let f = FrameRepr::isc_reply(self.mac, dst_mac, (self.src, self.sport), (self.dst, 67), payload.len());
        let mut buf = vec![0u8; f.buffer_len()];
        buf[PAYLOAD_OFFSET..].copy_from_slice(&payload);
        f.emit(&mut buf).unwrap();
        buf
    }
}

/// A reply described field by field; option 51 of a reused lease may be
/// off by a second.
fn describe(payload: &[u8]) -> Vec<String> {
    let repr = Repr::parse(&Packet::new_unchecked(payload)).expect("reply parses");
    let mut v = vec![
        format!("len {}", payload.len()),
        format!("op {:?} htype {} hlen {} hops {}", repr.op, repr.htype, repr.hlen, repr.hops),
        format!("xid {:#x} secs {} flags {:#06x}", repr.xid, repr.secs, repr.flags),
        format!("ciaddr {} yiaddr {} siaddr {} giaddr {}", repr.ciaddr, repr.yiaddr, repr.siaddr, repr.giaddr),
        format!("chaddr {:02x?}", &repr.chaddr[..]),
        format!("sname {:?} file {:?}", String::from_utf8_lossy(&repr.sname), String::from_utf8_lossy(&repr.file)),
    ];
    for o in repr.options() {
        v.push(format!("option {} = {:02x?}", o.code, &o.data[..]));
    }
    v
}

fn close_lease_times(a: &str, b: &str) -> bool {
    let num = |s: &str| -> Option<u32> {
        let hex = s.strip_prefix("option 51 = [")?.strip_suffix(']')?;
        let bytes: Vec<u8> = hex.split(", ").map(|x| u8::from_str_radix(x, 16).unwrap()).collect();
        Some(u32::from_be_bytes(bytes.try_into().ok()?))
    };
    matches!((num(a), num(b)), (Some(x), Some(y)) if x.abs_diff(y) <= 1)
}

/// Log lines equal, but for a reuse age one second apart (two clocks).
fn same_log(a: &[String], b: &[String]) -> bool {
    let age = |s: &str| -> Option<(i64, String)> {
        let rest = s.strip_prefix("reuse_lease: lease age ")?;
        let (n, tail) = rest.split_once(' ')?;
        Some((n.parse().ok()?, tail.to_string()))
    };
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x == y || matches!((age(x), age(y)), (Some((n, t)), Some((m, u))) if t == u && (n - m).abs() <= 1)
        })
}

struct Run {
    lab: Lab,
    engine: Engine<IscEvaluator>,
    failures: Vec<String>,
    /// Replies compared (both servers answered).
    compared: usize,
}

/// A lease record with times blurred to the second ISC and we may
/// disagree on.
fn lease_text(l: &dhcpd::lease::Lease) -> String {
    let mut l = l.clone();
    let t = |x: i64| if x == 0 || x == dhcpd::lease::NEVER { x } else { x / 4 };
    (l.starts, l.ends, l.cltt, l.tstp, l.tsfp, l.atsfp) = (t(l.starts), t(l.ends), t(l.cltt), t(l.tstp), t(l.tsfp), t(l.atsfp));
    format!("{l:?}")
}

impl Run {
    /// ISC's lease file against our lease records: every lease ISC wrote
    /// must be in the same state here.
    fn compare_lease_file(&mut self) {
        std::thread::sleep(Duration::from_millis(500));
        let bytes = self.lab.lease_file();
        let log = dhcpd::lease::file::read_lease_file("dhcpd.leases", &bytes, dhcpd::lease::file::ReadOptions::at(wall()))
            .expect("ISC's lease file reads");
        let state = log.state();
        assert!(!state.leases.is_empty(), "ISC wrote leases");
        for (ip, theirs) in &state.leases {
            match self.engine.lease(*ip) {
                None => self.failures.push(format!("lease {ip}: ISC has it, we do not")),
                Some(ours) => {
                    // Through the lease file as ours would be written, so
                    // defaults applied on reading (tstp = ends) apply alike.
                    let opts = dhcpd::lease::write::WriteOptions::default();
                    let mut text = Vec::new();
                    dhcpd::lease::write::lease(&mut text, ours, &opts).expect("our lease writes");
                    let back = dhcpd::lease::file::read_lease_file("ours", &text, dhcpd::lease::file::ReadOptions::at(wall()))
                        .expect("our lease reads back");
                    let ours = back.state().leases.get(ip).cloned().expect("one lease");
                    if lease_text(&ours) != lease_text(theirs) {
                        self.failures.push(format!("lease {ip} differs\n  isc:  {theirs:?}\n  ours: {ours:?}"));
                    }
                }
            }
        }
    }

    fn new(tag: &str, conf: &str) -> Run {
        Run::with_leases(tag, conf, "")
    }

    /// Both servers start from the lease file `leases`.
    fn with_leases(tag: &str, conf: &str, leases: &str) -> Run {
        let mut lab = Lab::new(tag);
        lab.start_isc_with_leases(conf, leases);
        let loader = MemLoader(vec![("dhcpd.conf".into(), conf.as_bytes().to_vec())]);
        let config = dhcpd::conf::check_config("dhcpd.conf", &loader).config.expect("config");
        let mut engine = Engine::new(Arc::new(config), IscEvaluator::new(), NoFailover);
        let read = dhcpd::lease::file::read_lease_file("dhcpd.leases", leases.as_bytes(), dhcpd::lease::file::ReadOptions::at(wall()))
            .expect("the lease file reads");
        let refused = engine.load_leases(read.state().leases.into_values());
        assert!(refused.is_empty(), "leases refused: {refused:?}");
        engine.set_interface(0, &lab.server_if, &[SERVER]);
        let _ = engine.start(wall());
        Run { lab, engine, failures: Vec::new(), compared: 0 }
    }

    /// Sends `m` to both servers and compares replies and log lines.
    /// Returns ISC's reply.
    fn exchange(&mut self, m: &Msg) -> Option<Frame> {
        // Both servers see the message in the same second (give or take).
        let now = wall();
        self.lab.send(&m.frame(self.lab.server_mac));
        let isc = self.lab.receive(Duration::from_millis(1500), true).into_iter().next();
        let isc_log: Vec<String> = self.lab.new_log();
        let mut out = self.engine.handle_packet(now, 0, m.src, m.sport, &m.payload());
        if let Some(p) = out.probe.take() {
            let more = self.engine.continue_offer(now, p.id, ProbeResult::Timeout);
            out.logs.extend(more.logs);
            out.reply = more.reply;
        }
        // `dhcpd -d` prints debug lines too.
        let ours_log: Vec<String> = out.logs.iter().map(|l| l.text.clone()).collect();
        let isc_dhcp_log: Vec<String> = isc_log.into_iter().filter(|l| !l.starts_with("execute_statement")).collect();
        if !same_log(&ours_log, &isc_dhcp_log) {
            self.failures.push(format!("{}: log lines differ\n  isc:  {:?}\n  ours: {:?}", m.name, isc_dhcp_log, ours_log));
        }
        match (&isc, &out.reply) {
            (None, None) => {}
            (Some(_), None) => self.failures.push(format!("{}: ISC replied, we did not ({:?})", m.name, out.logs)),
            (None, Some(_)) => self.failures.push(format!("{}: we replied, ISC did not", m.name)),
            (Some(f), Some(r)) => {
                let (a, b) = (describe(&f.payload), describe(&r.bytes));
                self.compared += 1;
                if std::env::var_os("ENGINE_VS_ISC_SHOW").is_some() {
                    println!("{}:\n  isc:  {:?}\n  ours: {:?}\n  isc log: {:?}", m.name, a, b, isc_dhcp_log);
                }
                let differ: Vec<String> = a
                    .iter()
                    .zip(b.iter())
                    .filter(|(x, y)| x != y && !close_lease_times(x, y))
                    .map(|(x, y)| format!("    isc:  {x}\n    ours: {y}"))
                    .collect();
                if !differ.is_empty() || a.len() != b.len() {
                    self.failures.push(format!(
                        "{}: replies differ\n{}\n  isc:  {:?}\n  ours: {:?}",
                        m.name,
                        differ.join("\n"),
                        a,
                        b
                    ));
                }
                // Where ISC sent it, against the facts our reply carries.
                let facts = r.facts;
                if facts.giaddr != Ipv4Addr::UNSPECIFIED && f.repr.dst_addr != facts.giaddr {
                    self.failures.push(format!("{}: ISC sent to {}, facts say relay {}", m.name, f.repr.dst_addr, facts.giaddr));
                }
            }
        }
        isc
    }
}

#[test]
#[ignore = "needs root, ip and ISC dhcpd; run with --ignored"]
fn same_replies_as_isc() {
    assert!(Lab::available(), "needs root, ip and /usr/sbin/dhcpd");
    let mut run = Run::new(&format!("{}", std::process::id() % 100_000), CONF);
    let server = SERVER.octets().to_vec();

    // Plain client, no parameter request list.
    let a_off = run.exchange(&Msg::new("A discover", 1, MessageType::Discover));
    let a_ip = Ipv4Addr::from(<[u8; 4]>::try_from(&a_off.expect("offer").payload[16..20]).unwrap());
    run.exchange(&Msg::new("A select", 1, MessageType::Request).opt(50, &a_ip.octets()).opt(54, &server));

    // A phone with a parameter request list and a client identifier.
    let prl = [1, 3, 6, 15, 28, 51, 58, 59, 12];
    let b = |k| Msg::new("B", 2, k).opt(60, b"phone-x1").opt(61, b"\x01\x02\x00\x00\x00\x00\x02").opt(55, &prl);
    let b_off = run.exchange(&Msg { name: "B discover", ..b(MessageType::Discover) });
    let b_ip = Ipv4Addr::from(<[u8; 4]>::try_from(&b_off.expect("offer").payload[16..20]).unwrap());
    run.exchange(&Msg { name: "B select", ..b(MessageType::Request).opt(50, &b_ip.octets()).opt(54, &server) });

    // Host reservations by hardware address and by client identifier.
    run.exchange(&Msg::new("printer discover", 0x42, MessageType::Discover));
    run.exchange(&Msg::new("byid discover", 9, MessageType::Discover).opt(61, b"client-7"));

    // INIT-REBOOT on the wrong network, and for an unknown address.
    run.exchange(&Msg::new("C wrong network", 3, MessageType::Request).opt(50, &[10, 1, 0, 55]));
    run.exchange(&Msg::new("C unknown lease", 3, MessageType::Request).opt(50, &[10, 0, 0, 99]));
    run.exchange(&Msg::new("C wrong network again", 3, MessageType::Request).opt(50, &[10, 1, 0, 55]));

    // Through a relay on 10.1.0.0/24.
    let d_off = run.exchange(&Msg::new("D relayed discover", 4, MessageType::Discover).relayed());
    let d_ip = Ipv4Addr::from(<[u8; 4]>::try_from(&d_off.expect("relayed offer").payload[16..20]).unwrap());
    run.exchange(&Msg::new("D relayed select", 4, MessageType::Request).relayed().opt(50, &d_ip.octets()).opt(54, &server));

    // A requested lease time above the maximum.
    run.exchange(&Msg::new("E long lease", 5, MessageType::Discover).opt(51, &100_000u32.to_be_bytes()));

    // Renewing (unicast, the lease is young: reused) and INFORM.
    run.lab.add_client_address(a_ip);
    run.exchange(&Msg::new("A renew", 1, MessageType::Request).unicast_from(a_ip));
    run.exchange(&Msg::new("A inform", 1, MessageType::Inform).unicast_from(a_ip).opt(55, &[1, 3, 6, 15]));

    // RELEASE, and DECLINE of B's address.
    run.exchange(&Msg::new("A release", 1, MessageType::Release).unicast_from(a_ip).opt(54, &server));
    run.exchange(&Msg { name: "B decline", ..b(MessageType::Decline).opt(50, &b_ip.octets()) });

    // BOOTP without a dynamic-bootp range.
    run.exchange(&Msg { kind: None, ..Msg::new("F bootp", 6, MessageType::Discover) });

    assert_eq!(run.compared, 14, "replies both servers sent");
    run.compare_lease_file();
    let failures = std::mem::take(&mut run.failures);
    drop(run);
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

const CONF_B: &str = r#"
authoritative;
ping-check false;
default-lease-time 900;
max-lease-time 1800;
min-lease-time 60;
one-lease-per-client true;
echo-client-id true;
use-host-decl-names on;
next-server 10.0.0.2;
filename "pxelinux.0";
server-name "bootsrv";
option domain-name "b.example";
option ntp-servers 10.0.0.123;
option time-offset 3600;
option ip-forwarding off;
option interface-mtu 1400;
option dhcp-renewal-time 300;
option dhcp-rebinding-time 600;
class "byvendor" { match option vendor-class-identifier; }
subclass "byvendor" "v1" { option domain-name "v1.example"; }
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.100 10.0.0.110;
  range dynamic-bootp 10.0.0.200 10.0.0.201;
  option routers 10.0.0.1;
}
subnet 10.1.0.0 netmask 255.255.255.0 {
  range 10.1.0.50 10.1.0.60;
  option routers 10.1.0.1;
}
host named { hardware ethernet 02:00:00:00:00:55; }
"#;

fn yiaddr(f: Option<Frame>) -> Ipv4Addr {
    Ipv4Addr::from(<[u8; 4]>::try_from(&f.expect("a reply").payload[16..20]).unwrap())
}

#[test]
#[ignore = "needs root, ip and ISC dhcpd; run with --ignored"]
fn same_replies_as_isc_options_relay_bootp() {
    assert!(Lab::available(), "needs root, ip and /usr/sbin/dhcpd");
    let mut run = Run::new(&format!("b{}", std::process::id() % 100_000), CONF_B);
    let server = SERVER.octets().to_vec();

    // Many options, no parameter request list: ISC's storage order.
    let a = yiaddr(run.exchange(&Msg::new("A discover", 1, MessageType::Discover)));
    run.exchange(&Msg::new("A select", 1, MessageType::Request).opt(50, &a.octets()).opt(54, &server));
    // A long list, a maximum message size, a client identifier echoed.
    let prl: Vec<u8> = (1..=80).collect();
    run.exchange(
        &Msg::new("B discover", 2, MessageType::Discover)
            .opt(57, &1500u16.to_be_bytes())
            .opt(61, b"\x01\x02\x00\x00\x00\x00\x02")
            .opt(55, &prl),
    );
    // A subclass by vendor class, and a host without an address.
    run.exchange(&Msg::new("V discover", 3, MessageType::Discover).opt(60, b"v1").opt(55, &[1, 3, 15, 66, 67]));
    run.exchange(&Msg::new("named discover", 0x55, MessageType::Discover).opt(55, &[1, 3, 12, 15]));
    // Dynamic BOOTP.
    run.exchange(&Msg { kind: None, ..Msg::new("F bootp", 6, MessageType::Discover) });

    // Through a relay with agent options; then the renewal without them.
    let agent = [1, 4, b'p', b'o', b'r', b't', 2, 3, 0xaa, 0xbb, 0xcc];
    let r = yiaddr(run.exchange(&Msg::new("R relayed discover", 7, MessageType::Discover).relayed().opt(82, &agent)));
    run.exchange(&Msg::new("R relayed select", 7, MessageType::Request).relayed().opt(50, &r.octets()).opt(54, &server).opt(82, &agent));
    run.lab.add_client_address(r);
    run.exchange(&Msg::new("R renew", 7, MessageType::Request).unicast_from(r));
    // INFORM through the relay, and from an unknown subnet.
    run.exchange(&Msg::new("R relayed inform", 7, MessageType::Inform).relayed().opt(55, &[1, 3, 6]));
    run.exchange(&Msg::new("U inform", 8, MessageType::Inform).unicast_from(Ipv4Addr::new(192, 0, 2, 9)));

    // Subnet selection picks the other subnet.
    run.exchange(&Msg::new("S selection", 9, MessageType::Discover).opt(118, &[10, 1, 0, 0]).opt(55, &[1, 3, 118]));

    // one-lease-per-client: A moves to the relay's network.
    let a2 = yiaddr(run.exchange(&Msg::new("A relayed discover", 1, MessageType::Discover).relayed()));
    run.exchange(&Msg::new("A relayed select", 1, MessageType::Request).relayed().opt(50, &a2.octets()).opt(54, &server));
    // A NAK through the relay.
    run.exchange(&Msg::new("N relayed nak", 10, MessageType::Request).relayed().opt(50, &[10, 0, 0, 105]));

    run.compare_lease_file();
    let failures = std::mem::take(&mut run.failures);
    drop(run);
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

#[test]
#[ignore = "needs root, ip and ISC dhcpd; run with --ignored"]
fn same_replies_as_isc_with_ping_check() {
    assert!(Lab::available(), "needs root, ip and /usr/sbin/dhcpd");
    let conf = "authoritative;\ndefault-lease-time 300;\nsubnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.12; }\n";
    let mut run = Run::new(&format!("p{}", std::process::id() % 100_000), conf);
    let server = SERVER.octets().to_vec();
    let a = yiaddr(run.exchange(&Msg::new("A discover", 1, MessageType::Discover)));
    run.exchange(&Msg::new("A select", 1, MessageType::Request).opt(50, &a.octets()).opt(54, &server));
    // The same client again within ping-cltt-secs: no ping, same address.
    run.exchange(&Msg::new("A rediscover", 1, MessageType::Discover));
    let failures = std::mem::take(&mut run.failures);
    drop(run);
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

const CONF_C: &str = r#"
authoritative;
ping-check false;
default-lease-time 1200;
option space acme;
option acme.server code 1 = ip-address;
option acme.label code 2 = text;
class "acme" {
  match if option vendor-class-identifier = "acme";
  vendor-option-space acme;
  option acme.server 10.0.0.9;
  option acme.label "hello";
}
class "circuits" {
  spawn with option agent.circuit-id;
  lease limit 1;
}
if exists user-class {
  option domain-name = concat("uc-", option user-class);
} else {
  option domain-name "plain.example";
}
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.10 10.0.0.30;
  option routers 10.0.0.1;
  log(info, concat("seen ", binary-to-ascii(16, 8, ":", substring(hardware, 1, 6))));
}
subnet 10.1.0.0 netmask 255.255.255.0 {
  range 10.1.0.50 10.1.0.60;
  option host-name = concat("h-", binary-to-ascii(16, 8, "-", substring(hardware, 1, 6)));
  on commit { log(info, concat("commit ", binary-to-ascii(10, 8, ".", leased-address))); }
}
host hid {
  host-identifier option agent.remote-id "xyz";
  fixed-address 10.1.0.8;
}
"#;

#[test]
#[ignore = "needs root, ip and ISC dhcpd; run with --ignored"]
fn same_replies_as_isc_expressions_and_spaces() {
    assert!(Lab::available(), "needs root, ip and /usr/sbin/dhcpd");
    let mut run = Run::new(&format!("c{}", std::process::id() % 100_000), CONF_C);
    let server = SERVER.octets().to_vec();
    // Vendor options from a class's vendor-option-space.
    run.exchange(&Msg::new("acme", 1, MessageType::Discover).opt(60, b"acme").opt(55, &[1, 3, 15, 43]));
    run.exchange(&Msg::new("acme no prl", 1, MessageType::Discover).opt(60, b"acme"));
    // An if/else on the request and a computed option.
    run.exchange(&Msg::new("user-class", 2, MessageType::Discover).opt(77, b"lab").opt(55, &[15]));
    run.exchange(&Msg::new("relayed computed", 3, MessageType::Discover).relayed().opt(55, &[12, 15]));
    // host-identifier on a relay agent sub-option.
    let remote = [2, 3, b'x', b'y', b'z'];
    run.exchange(&Msg::new("hid", 4, MessageType::Discover).relayed().opt(82, &remote));
    // Spawned classes with a lease limit of one per circuit.
    let c1 = [1, 2, b'c', b'1'];
    let a = yiaddr(run.exchange(&Msg::new("circuit A", 5, MessageType::Discover).relayed().opt(82, &c1)));
    run.exchange(&Msg::new("circuit A select", 5, MessageType::Request).relayed().opt(82, &c1).opt(50, &a.octets()).opt(54, &server));
    run.exchange(&Msg::new("circuit B", 6, MessageType::Discover).relayed().opt(82, &c1));
    run.compare_lease_file();
    let failures = std::mem::take(&mut run.failures);
    drop(run);
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

const CONF_RESTART: &str = r#"
authoritative;
ping-check false;
default-lease-time 600;
max-lease-time 7200;
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.10 10.0.0.250;
}
"#;

#[test]
#[ignore = "needs root, ip and ISC dhcpd; run with --ignored"]
fn same_offers_as_isc_after_a_restart_from_a_used_lease_file() {
    // One active lease early in the range: at start-up ISC queues the free
    // leases after it at the head, each after the previous, so our queue
    // labels run out and are respaced (once they were respaced under stale
    // keys, and a bound lease could stay queued as free). Sixty new clients
    // in a row must be offered the addresses ISC offers, in ISC's order.
    assert!(Lab::available(), "needs root, ip and /usr/sbin/dhcpd");
    let date = |t| dhcpd::lease::date::format_time(t, dhcpd::lease::date::DateFormat::Utc).unwrap();
    let (starts, ends) = (date(wall() - 60), date(wall() + 3600));
    let leases = format!(
        "lease 10.0.0.11 {{\n  starts {starts}\n  ends {ends}\n  cltt {starts}\n  binding state active;\n  \
         next binding state free;\n  rewind binding state free;\n  hardware ethernet 02:00:00:00:00:f0;\n}}\n"
    );
    let mut run = Run::with_leases(&format!("r{}", std::process::id() % 100_000), CONF_RESTART, &leases);
    let mut offered = Vec::new();
    for n in 0..60u8 {
        let m = Msg::new("restart discover", 0x80 + n, MessageType::Discover);
        offered.push(yiaddr(run.exchange(&m)));
    }
    assert_eq!(run.compared, 60, "replies both servers sent");
    let distinct: std::collections::BTreeSet<_> = offered.iter().collect();
    let failures = std::mem::take(&mut run.failures);
    drop(run);
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(distinct.len(), 60, "an address offered twice: {offered:?}");
    assert!(!offered.contains(&Ipv4Addr::new(10, 0, 0, 11)), "the bound address was offered");
}
