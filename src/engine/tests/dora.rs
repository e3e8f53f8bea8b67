//! DISCOVER / OFFER / REQUEST / ACK, ping-check, option order, allocation
//! order and exhaustion.

use super::*;
use crate::engine::{Priority, ProbeResult, ReplyKind};
use crate::lease::BindingState;

const CONF: &str = "
ddns-update-style none;
authoritative;
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.10 10.0.0.20;
  option routers 10.0.0.1;
}
";

#[test]
fn offer_waits_for_ping_then_matches_isc_capture() {
    let mut e = engine(CONF);
    let c = Client::new(1);
    let out = e.handle_packet(T0, 0, Ipv4Addr::UNSPECIFIED, 68, &c.discover());
    assert!(out.reply.is_none(), "the offer waits for the ping");
    assert_eq!(lines(&out), vec!["DHCPDISCOVER from 02:00:00:00:00:01 via eth0"]);
    let probe = out.probe.expect("ping-check is on by default");
    assert_eq!(probe.address, ip(10));
    assert_eq!(probe.timeout_ms, 1000);
    // A second DISCOVER while the ping is out is not answered (ISC's
    // `lease->state` check) and not logged twice.
    let again = e.handle_packet(T0, 0, Ipv4Addr::UNSPECIFIED, 68, &c.discover());
    assert!(again.reply.is_none() && again.probe.is_none());

    let out = e.continue_offer(T0 + 1, probe.id, ProbeResult::Timeout);
    assert_eq!(lines(&out), vec!["DHCPOFFER on 10.0.0.10 to 02:00:00:00:00:01 via eth0"]);
    assert!(out.lease_changes.is_empty(), "an offer is not written");
    let r = out.reply.as_ref().unwrap();
    assert_eq!(r.facts.kind, ReplyKind::Offer);
    assert_eq!(r.from, ip(1));
    // Options exactly as ISC 4.4.3 sent them for this configuration.
    let got = reply(&out);
    assert_eq!(got.len, 300);
    assert_eq!(got.codes(), vec![53, 54, 51, 1, 3]);
    let opts = &r.bytes[240..240 + 27];
    assert_eq!(
        opts,
        [
            0x35, 1, 2, 0x36, 4, 10, 0, 0, 1, 0x33, 4, 0, 0, 0xa8, 0xc0, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 0, 1, 0xff
        ][..27]
            .as_ref()
    );
    assert_eq!(r.bytes[240 + 27], 0xff);
    assert_eq!(got.repr.yiaddr, ip(10));
    assert_eq!(got.repr.xid, c.xid);
}

#[test]
fn answered_ping_abandons_the_address() {
    let mut e = engine(CONF);
    let c = Client::new(1);
    let out = e.handle_packet(T0, 0, Ipv4Addr::UNSPECIFIED, 68, &c.discover());
    let probe = out.probe.unwrap();
    let out = e.continue_offer(T0 + 1, probe.id, ProbeResult::Answered);
    assert!(out.reply.is_none());
    assert_eq!(lines(&out), vec!["Abandoning IP address 10.0.0.10: pinged before offer"]);
    assert_eq!(out.logs[0].priority, Priority::Error);
    let l = &out.lease_changes[0];
    assert_eq!(l.binding_state, BindingState::Abandoned);
    assert_eq!(l.ends, T0 + 1 + 86_400);
    assert!(l.hardware.is_none() && l.uid.is_none());
    // The client retries and gets the next address.
    let out = send(&mut e, T0 + 2, &c.discover());
    assert_eq!(reply(&out).repr.yiaddr, ip(11));
}

#[test]
fn full_exchange_binds_the_lease() {
    let mut e = engine(CONF);
    let c = Client::new(1);
    let offer = send(&mut e, T0, &c.discover());
    assert_eq!(reply(&offer).lease_time(), Some(43_200));
    let ack = send(&mut e, T0 + 2, &c.select(ip(10), ip(1)));
    assert_eq!(
        lines(&ack),
        vec![
            "DHCPREQUEST for 10.0.0.10 (10.0.0.1) from 02:00:00:00:00:01 via eth0",
            "DHCPACK on 10.0.0.10 to 02:00:00:00:00:01 via eth0"
        ]
    );
    let got = reply(&ack);
    assert_eq!(got.codes(), vec![53, 54, 51, 1, 3]);
    assert_eq!(got.lease_time(), Some(43_200));
    assert_eq!(ack.lease_changes.len(), 1, "the ACK is written before it is sent");
    let l = &ack.lease_changes[0];
    assert_eq!(l.ip, ip(10));
    assert_eq!(l.binding_state, BindingState::Active);
    assert_eq!(l.next_binding_state, BindingState::Free);
    assert_eq!((l.starts, l.ends, l.cltt), (T0 + 2, T0 + 2 + 43_200, T0 + 2));
    assert_eq!(l.hardware.as_ref().unwrap().addr, c.mac.to_vec());
    assert_eq!(ack.reply.as_ref().unwrap().facts.kind, ReplyKind::Ack);
}

#[test]
fn parameter_request_list_orders_options() {
    let conf = "
authoritative;
ping-check false;
option domain-name \"example.org\";
option domain-name-servers 10.0.0.53;
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.10 10.0.0.20;
  option routers 10.0.0.1;
  option broadcast-address 10.0.0.255;
}
";
    let mut e = engine(conf);
    let mut c = Client::new(2);
    c.prl = Some(vec![3, 6, 15, 28, 42, 1]);
    let offer = reply(&send(&mut e, T0, &c.discover()));
    // The mask is moved before the routers; 42 is not configured.
    assert_eq!(offer.codes(), vec![53, 54, 51, 1, 6, 15, 28, 3]);
    assert_eq!(offer.opt(15), Some(&b"example.org"[..]));
    // Without 1 in the list, ISC still sends the mask, last.
    c.prl = Some(vec![3, 15]);
    let ack = reply(&send(&mut e, T0, &c.select(offer.repr.yiaddr, ip(1))));
    assert_eq!(ack.codes(), vec![53, 54, 51, 1, 15, 3]);
}

#[test]
fn addresses_go_out_in_order_and_run_out() {
    let mut e = engine(CONF);
    for n in 0..11u8 {
        let c = Client::new(10 + n);
        let (got, _) = dora(&mut e, T0, &c);
        assert_eq!(got, ip(10 + n));
    }
    let out = send(&mut e, T0, &Client::new(99).discover());
    assert!(out.reply.is_none());
    assert_eq!(
        lines(&out),
        vec!["DHCPDISCOVER from 02:00:00:00:00:63 via eth0: network 10.0.0.0/24: no free leases"]
    );
    assert_eq!(out.logs[0].priority, Priority::Error);
}

#[test]
fn an_offer_reserves_the_address_for_two_minutes() {
    let mut e = engine(CONF);
    let a = reply(&send(&mut e, T0, &Client::new(1).discover()));
    let b = reply(&send(&mut e, T0, &Client::new(2).discover()));
    assert_eq!((a.repr.yiaddr, b.repr.yiaddr), (ip(10), ip(11)));
    // The same client asking again gets the same offer.
    let a2 = reply(&send(&mut e, T0 + 10, &Client::new(1).discover()));
    assert_eq!(a2.repr.yiaddr, ip(10));
}

#[test]
fn returning_client_gets_its_old_address() {
    let mut e = engine(CONF);
    let c = Client::new(1);
    dora(&mut e, T0, &Client::new(9));
    let (first, _) = dora(&mut e, T0, &c);
    assert_eq!(first, ip(11));
    let rel = send_from(&mut e, T0 + 100, first, &c.msg(Some(MessageType::Release), first, &[]));
    assert_eq!(rel.lease_changes[0].binding_state, BindingState::Free);
    // Another client takes the next free address, not the released one
    // (it went to the back of the queue); the old client gets its own back.
    let (other, _) = dora(&mut e, T0 + 200, &Client::new(3));
    assert_eq!(other, ip(12));
    let (again, _) = dora(&mut e, T0 + 300, &c);
    assert_eq!(again, first);
}
