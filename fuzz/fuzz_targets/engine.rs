//! Fuzz target for the DHCPv4 engine: arbitrary messages (framed as a
//! script of steps) against a configuration with pools, permits, classes,
//! hosts, expressions and a relay network must never panic, and every
//! reply must parse. Run with `cargo +nightly fuzz run engine` from the
//! crate root.
#![no_main]

use std::net::Ipv4Addr;
use std::sync::{Arc, OnceLock};

use dhcpd::conf::model::Config;
use dhcpd::conf::parser::MemLoader;
use dhcpd::engine::{Engine, IscEvaluator, NoFailover, ProbeResult};
use dhcpd::wire::dhcp::{Packet, Repr};
use libfuzzer_sys::fuzz_target;

const CONF: &str = r#"
authoritative;
default-lease-time 600;
max-lease-time 7200;
one-lease-per-client true;
option domain-name "fuzz.example";
class "phones" {
  match if substring(option vendor-class-identifier, 0, 5) = "phone";
  option domain-name = concat("p-", option vendor-class-identifier);
}
class "circuits" { spawn with option agent.circuit-id; lease limit 2; }
subnet 10.0.0.0 netmask 255.255.255.0 {
  option routers 10.0.0.1;
  pool { range 10.0.0.10 10.0.0.14; allow members of "phones"; }
  pool { range 10.0.0.20 10.0.0.24; deny members of "phones"; }
  range dynamic-bootp 10.0.0.200 10.0.0.201;
}
subnet 10.1.0.0 netmask 255.255.255.0 { range 10.1.0.50 10.1.0.53; }
host h1 { hardware ethernet 02:00:00:00:00:01; fixed-address 10.0.0.5; }
host h2 { option dhcp-client-identifier "id"; }
"#;

fn config() -> Arc<Config> {
    static C: OnceLock<Arc<Config>> = OnceLock::new();
    C.get_or_init(|| {
        let loader = MemLoader(vec![("c".into(), CONF.as_bytes().to_vec())]);
        Arc::new(dhcpd::conf::check_config("c", &loader).config.expect("config"))
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let mut e = Engine::new(config(), IscEvaluator::new(), NoFailover);
    e.set_interface(0, "eth0", &[Ipv4Addr::new(10, 0, 0, 1)]);
    let _ = e.start(1_700_000_000);
    let mut now = 1_700_000_000i64;
    let mut probes = Vec::new();
    // Steps: [op, time step, len_hi, len_lo, payload...].
    let mut rest = data;
    while rest.len() >= 4 {
        let (op, dt, len) = (rest[0], i64::from(rest[1]) * 37, usize::from(u16::from_be_bytes([rest[2], rest[3]])));
        rest = &rest[4..];
        let take = len.min(rest.len());
        let (payload, tail) = rest.split_at(take);
        rest = tail;
        now += dt;
        let out = match op % 4 {
            0 | 1 => {
                let src = if op & 0x10 != 0 { Ipv4Addr::new(10, 1, 0, 1) } else { Ipv4Addr::UNSPECIFIED };
                e.handle_packet(now, usize::from(op >> 7), src, 68, payload)
            }
            2 => match probes.pop() {
                Some(id) => e.continue_offer(now, id, if op & 8 != 0 { ProbeResult::Answered } else { ProbeResult::Timeout }),
                None => e.handle_timeout(now),
            },
            _ => e.handle_timeout(now),
        };
        if let Some(p) = out.probe {
            probes.push(p.id);
        }
        if let Some(r) = &out.reply {
            let repr = Repr::parse(&Packet::new_checked(&r.bytes[..]).expect("reply view")).expect("reply parses");
            assert!(r.bytes.len() >= 300);
            let _ = repr;
        }
        let _ = e.poll_timeout(now);
    }
});
