//! Engine throughput: full DISCOVER/OFFER/REQUEST/ACK exchanges for
//! distinct clients on one /16 pool, with the full evaluator, no IO.
//! `cargo bench --bench engine_dora` prints exchanges per second and the
//! cost of each. Lease-file writes and sockets are the shell's and are
//! not measured here.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Instant;

use dhcpd::conf::parser::MemLoader;
use dhcpd::engine::{Engine, IscEvaluator, NoFailover};
use dhcpd::wire::dhcp::{MessageType, OpCode, Packet, RawOption, Repr, Vendor};

const CONF: &str = "
authoritative;
ping-check false;
default-lease-time 3600;
option domain-name \"bench.example\";
option domain-name-servers 10.0.0.53;
subnet 10.0.0.0 netmask 255.255.0.0 {
  range 10.0.1.0 10.0.250.255;
  option routers 10.0.0.1;
}
";

fn msg(n: u32, kind: MessageType, requested: Option<Ipv4Addr>) -> Vec<u8> {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&[2, 0, (n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    let mut opts = vec![RawOption::owned(53, vec![u8::from(kind)]), RawOption::owned(55, vec![1, 3, 6, 15, 51, 58, 59])];
    if let Some(ip) = requested {
        opts.push(RawOption::owned(50, ip.octets().to_vec()));
        opts.push(RawOption::owned(54, vec![10, 0, 0, 1]));
    }
    let repr = Repr {
        op: OpCode::Request,
        htype: 1,
        hlen: 6,
        hops: 1,
        xid: n,
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::new(10, 0, 0, 254),
        chaddr,
        sname: Default::default(),
        file: Default::default(),
        vendor: Vendor::Options(opts),
    };
    let mut buf = vec![0u8; repr.buffer_len().max(300)];
    repr.emit(&mut Packet::new_unchecked(&mut buf[..])).unwrap();
    buf
}

fn main() {
    let loader = MemLoader(vec![("c".into(), CONF.as_bytes().to_vec())]);
    let config = Arc::new(dhcpd::conf::check_config("c", &loader).config.unwrap());
    let t = Instant::now();
    let mut e = Engine::new(config, IscEvaluator::new(), NoFailover);
    e.set_interface(0, "eth0", &[Ipv4Addr::new(10, 0, 0, 1)]);
    let _ = e.start(1_700_000_000);
    println!("start-up with {} leases: {:?}", e.leases().count(), t.elapsed());
    let n = 20_000u32;
    let t = Instant::now();
    let mut acks = 0;
    for i in 0..n {
        let now = 1_700_000_000 + i64::from(i / 1000);
        let offer = e.handle_packet(now, 0, Ipv4Addr::new(10, 0, 0, 254), 67, &msg(i, MessageType::Discover, None));
        let reply = offer.reply.expect("offer");
        let yiaddr = Ipv4Addr::new(reply.bytes[16], reply.bytes[17], reply.bytes[18], reply.bytes[19]);
        let ack = e.handle_packet(now, 0, Ipv4Addr::new(10, 0, 0, 254), 67, &msg(i, MessageType::Request, Some(yiaddr)));
        acks += usize::from(ack.reply.is_some() && ack.lease_changes.len() == 1);
    }
    let el = t.elapsed();
    assert_eq!(acks, n as usize);
    println!(
        "{n} exchanges (DISCOVER+REQUEST) in {:?}: {:.0} exchanges/s, {:.1} µs each",
        el,
        f64::from(n) / el.as_secs_f64(),
        el.as_secs_f64() * 1e6 / f64::from(n)
    );
}
