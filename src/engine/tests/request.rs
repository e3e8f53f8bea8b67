//! REQUEST in its four client states and ISC's NAK rules.

use super::*;
use crate::engine::ReplyKind;

fn conf(authoritative: bool) -> String {
    format!(
        "
{}
ping-check false;
default-lease-time 600;
max-lease-time 7200;
dhcp-cache-threshold 0;
subnet 10.0.0.0 netmask 255.255.255.0 {{
  range 10.0.0.10 10.0.0.20;
}}
subnet 10.1.0.0 netmask 255.255.255.0 {{
  range 10.1.0.10 10.1.0.20;
}}
",
        if authoritative { "authoritative;" } else { "" }
    )
}

#[test]
fn renewing_extends_the_lease() {
    let mut e = engine(&conf(true));
    let c = Client::new(1);
    let (a, _) = dora(&mut e, T0, &c);
    let out = send_from(&mut e, T0 + 300, a, &c.renew(a));
    assert_eq!(
        lines(&out),
        vec!["DHCPREQUEST for 10.0.0.10 from 02:00:00:00:00:01 via eth0", "DHCPACK on 10.0.0.10 to 02:00:00:00:00:01 via eth0"]
    );
    let got = reply(&out);
    assert_eq!(got.lease_time(), Some(600));
    assert_eq!(got.repr.ciaddr, a);
    assert_eq!(out.lease_changes[0].ends, T0 + 900);
    let facts = out.reply.as_ref().unwrap().facts;
    assert_eq!(facts.kind, ReplyKind::Ack);
    assert_eq!(facts.ciaddr, a);
    assert!(facts.lease_on_receiving_network);
}

#[test]
fn rebinding_through_a_relay_is_acked() {
    let mut e = engine(&conf(true));
    let mut c = Client::new(1);
    c.giaddr = Ipv4Addr::new(10, 1, 0, 1);
    let (a, _) = dora(&mut e, T0, &c);
    assert_eq!(a, Ipv4Addr::new(10, 1, 0, 10), "giaddr selects the relay's subnet");
    let out = send_from(&mut e, T0 + 500, c.giaddr, &c.renew(a));
    assert_eq!(reply(&out).kind(), Some(MessageType::Ack));
    assert_eq!(lines(&out)[1], "DHCPACK on 10.1.0.10 to 02:00:00:00:00:01 via 10.1.0.1");
    assert!(!out.reply.as_ref().unwrap().facts.lease_on_receiving_network);
}

#[test]
fn init_reboot_on_the_wrong_network_is_naked_when_authoritative() {
    let mut e = engine(&conf(true));
    let c = Client::new(1);
    let out = send(&mut e, T0, &c.reboot(Ipv4Addr::new(10, 1, 0, 15)));
    assert_eq!(
        lines(&out),
        vec![
            "DHCPREQUEST for 10.1.0.15 from 02:00:00:00:00:01 via eth0: wrong network.",
            "DHCPNAK on 10.1.0.15 to 02:00:00:00:00:01 via eth0"
        ]
    );
    let got = reply(&out);
    assert_eq!(got.kind(), Some(MessageType::Nak));
    // ISC's NAK: type, server identifier, and the message its last lease
    // look-up left behind: none yet on a fresh server (seen on 4.4.3).
    assert_eq!(got.codes(), vec![53, 54]);
    assert_eq!(got.repr.flags & 0x8000, 0x8000);
    // An unknown-lease look-up in between sets the text for the next NAK.
    let _ = send(&mut e, T0, &c.reboot(ip(99)));
    let got = reply(&send(&mut e, T0, &c.reboot(Ipv4Addr::new(10, 1, 0, 15))));
    assert_eq!(got.codes(), vec![53, 54, 56]);
    assert_eq!(got.opt(56), Some(&b"requested address not available"[..]));
    assert_eq!(got.repr.yiaddr, Ipv4Addr::UNSPECIFIED);
    let facts = out.reply.as_ref().unwrap().facts;
    assert_eq!(facts.kind, ReplyKind::Nak);
    assert!(facts.broadcast_flag);
}

#[test]
fn init_reboot_on_the_wrong_network_is_ignored_when_not_authoritative() {
    let mut e = engine(&conf(false));
    let out = send(&mut e, T0, &Client::new(1).reboot(Ipv4Addr::new(10, 1, 0, 15)));
    assert!(out.reply.is_none());
    assert_eq!(
        lines(&out),
        vec!["DHCPREQUEST for 10.1.0.15 from 02:00:00:00:00:01 via eth0: ignored (not authoritative)."]
    );
}

#[test]
fn unknown_address_is_silence_and_foreign_lease_is_nak() {
    let mut e = engine(&conf(true));
    let out = send(&mut e, T0, &Client::new(1).reboot(ip(99)));
    assert!(out.reply.is_none());
    assert_eq!(lines(&out), vec!["DHCPREQUEST for 10.0.0.99 from 02:00:00:00:00:01 via eth0: unknown lease 10.0.0.99."]);
    // Someone else's active lease: ours, so NAK regardless.
    let (a, _) = dora(&mut e, T0, &Client::new(2));
    let out = send(&mut e, T0, &Client::new(3).reboot(a));
    assert_eq!(lines(&out)[0], "DHCPREQUEST for 10.0.0.10 from 02:00:00:00:00:03 via eth0: lease 10.0.0.10 unavailable.");
    assert_eq!(reply(&out).kind(), Some(MessageType::Nak));
}

#[test]
fn init_reboot_with_own_address_is_acked() {
    let mut e = engine(&conf(false));
    let c = Client::new(1);
    let (a, _) = dora(&mut e, T0, &c);
    let out = send(&mut e, T0 + 100, &c.reboot(a));
    assert_eq!(reply(&out).kind(), Some(MessageType::Ack));
    assert_eq!(reply(&out).repr.yiaddr, a);
}

#[test]
fn request_from_unknown_relay_network_is_ignored_or_naked() {
    let mut e = engine(&conf(true));
    let mut c = Client::new(1);
    c.giaddr = Ipv4Addr::new(192, 0, 2, 1);
    let out = send(&mut e, T0, &c.reboot(ip(15)));
    assert_eq!(lines(&out)[0], "DHCPREQUEST for 10.0.0.15 from 02:00:00:00:00:01 via 192.0.2.1: wrong network.");
    assert_eq!(reply(&out).kind(), Some(MessageType::Nak));
    let mut e = engine(&conf(false));
    let out = send(&mut e, T0, &c.reboot(ip(15)));
    assert!(out.reply.is_none());
    assert_eq!(lines(&out), vec!["DHCPREQUEST for 10.0.0.15 from 02:00:00:00:00:01 via 192.0.2.1: ignored (not authoritative)."]);
    let out = send(&mut e, T0, &c.reboot(Ipv4Addr::new(172, 16, 0, 1)));
    assert_eq!(lines(&out), vec!["DHCPREQUEST for 172.16.0.1 from 02:00:00:00:00:01 via 192.0.2.1: ignored (unknown subnet)."]);
}

#[test]
fn discover_from_unknown_network_is_dropped() {
    let mut e = engine(&conf(true));
    let mut c = Client::new(1);
    c.giaddr = Ipv4Addr::new(192, 0, 2, 1);
    let out = send(&mut e, T0, &c.discover());
    assert!(out.reply.is_none());
    assert_eq!(lines(&out), vec!["DHCPDISCOVER from 02:00:00:00:00:01 via 192.0.2.1: unknown network segment"]);
}
