//! Host reservations by hardware address and client identifier, known
//! and unknown clients.

use super::*;
use crate::lease::BindingState;

const CONF: &str = "
authoritative;
ping-check false;
subnet 10.0.0.0 netmask 255.255.255.0 {
  option routers 10.0.0.1;
  pool {
    range 10.0.0.10 10.0.0.19;
    deny known-clients;
  }
  pool {
    range 10.0.0.20 10.0.0.29;
    allow known-clients;
  }
}
host printer {
  hardware ethernet 02:00:00:00:00:42;
  fixed-address 10.0.0.5;
  option host-name \"printer\";
}
host byid {
  option dhcp-client-identifier \"client-7\";
  fixed-address 10.0.0.7;
}
host laptop {
  hardware ethernet 02:00:00:00:00:43;
}
";

#[test]
fn hardware_reservation_gets_fixed_address() {
    let mut e = engine(CONF);
    let c = Client::new(0x42);
    let offer = send(&mut e, T0, &c.discover());
    let got = reply(&offer);
    assert_eq!(got.repr.yiaddr, ip(5));
    assert!(offer.probe.is_none(), "fixed addresses are not pinged");
    assert_eq!(got.opt(12), Some(&b"printer"[..]));
    assert_eq!(lines(&offer)[1], "DHCPOFFER on 10.0.0.5 to 02:00:00:00:00:42 via eth0");
    let ack = send(&mut e, T0, &c.select(ip(5), ip(1)));
    assert_eq!(reply(&ack).repr.yiaddr, ip(5));
    assert!(ack.lease_changes.is_empty(), "fixed-address leases are not stored");
    // Asking for another address gets a NAK with ISC's text.
    let nak = send(&mut e, T0, &c.reboot(ip(12)));
    let got = reply(&nak);
    assert_eq!(got.kind(), Some(MessageType::Nak));
    assert_eq!(got.opt(56), Some(&b"requested address is incorrect"[..]));
}

#[test]
fn client_identifier_reservation() {
    let mut e = engine(CONF);
    let mut c = Client::new(9);
    c.client_id = Some(b"client-7".to_vec());
    let (a, _) = dora(&mut e, T0, &c);
    assert_eq!(a, ip(7));
}

#[test]
fn known_and_unknown_clients_use_their_pools() {
    let mut e = engine(CONF);
    let (a, _) = dora(&mut e, T0, &Client::new(1));
    assert!((10..20).contains(&a.octets()[3]), "unknown client from the deny-known pool: {a}");
    let (b, _) = dora(&mut e, T0, &Client::new(0x43));
    assert!((20..30).contains(&b.octets()[3]), "known client from the allow-known pool: {b}");
    assert_eq!(lease(&e, b).binding_state, BindingState::Active);
}

const NAMED: &str = "
authoritative;
ping-check false;
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.10 10.0.0.19;
}
host byname {
  hardware ethernet 02:00:00:00:00:51;
  fixed-address printer.example, 10.0.0.6;
}
host unresolved {
  hardware ethernet 02:00:00:00:00:52;
  fixed-address nowhere.example, 10.0.0.8;
}
";

#[test]
fn fixed_address_names_take_what_dns_answered() {
    let mut e = engine(NAMED);
    assert_eq!(
        crate::engine::hosts::fixed_address_names(e.config()),
        vec!["printer.example".to_string(), "nowhere.example".to_string()]
    );
    let mut dns = std::collections::HashMap::new();
    dns.insert("printer.example".to_string(), vec![std::net::Ipv4Addr::new(192, 168, 9, 9), ip(5)]);
    e.set_fixed_address_names(dns);
    // The first address on the client's subnet, in list order with the
    // name expanded (192.168.9.9 is elsewhere).
    let c = Client::new(0x51);
    assert_eq!(reply(&send(&mut e, T0, &c.discover())).repr.yiaddr, ip(5));
    // One name without an answer spoils the whole list, as ISC's
    // concatenation fails: this client gets a pool address.
    let c = Client::new(0x52);
    let got = reply(&send(&mut e, T0, &c.discover())).repr.yiaddr;
    assert!((10..=19).contains(&got.octets()[3]), "{got}");
}
