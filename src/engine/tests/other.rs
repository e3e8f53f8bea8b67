//! RELEASE, DECLINE, INFORM, BOOTP and expiry.

use super::*;
use crate::engine::{Priority, ReplyKind};
use crate::lease::BindingState;

const CONF: &str = "
authoritative;
ping-check false;
default-lease-time 600;
option domain-name-servers 10.0.0.53;
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.10 10.0.0.12;
  range dynamic-bootp 10.0.0.100 10.0.0.101;
  option routers 10.0.0.1;
}
";

#[test]
fn release_frees_the_lease_now() {
    let mut e = engine(CONF);
    let c = Client::new(1);
    let (a, _) = dora(&mut e, T0, &c);
    let out = send_from(&mut e, T0 + 50, a, &c.msg(Some(MessageType::Release), a, &[(54, ip(1).octets().to_vec())]));
    assert!(out.reply.is_none());
    assert_eq!(lines(&out), vec!["DHCPRELEASE of 10.0.0.10 from 02:00:00:00:00:01 via eth0 (found)"]);
    let l = &out.lease_changes[0];
    assert_eq!((l.binding_state, l.ends, l.tstp), (BindingState::Free, T0 + 50, T0 + 50));
    // A release from another hardware address is not honoured.
    let (b, _) = dora(&mut e, T0, &Client::new(2));
    let out = send_from(&mut e, T0 + 60, b, &Client::new(3).msg(Some(MessageType::Release), b, &[]));
    assert!(out.lease_changes.is_empty());
    assert_eq!(lines(&out), vec!["DHCPRELEASE of 10.0.0.11 from 02:00:00:00:00:03 via eth0 (not found)"]);
    assert_eq!(lease(&e, b).binding_state, BindingState::Active);
}

#[test]
fn decline_abandons_the_address() {
    let mut e = engine(CONF);
    let c = Client::new(1);
    let (a, _) = dora(&mut e, T0, &c);
    let out = send(&mut e, T0 + 5, &c.msg(Some(MessageType::Decline), Ipv4Addr::UNSPECIFIED, &[(50, a.octets().to_vec())]));
    assert_eq!(
        lines(&out),
        vec![
            "Abandoning IP address 10.0.0.10: declined.",
            "DHCPDECLINE of 10.0.0.10 from 02:00:00:00:00:01 via eth0: abandoned"
        ]
    );
    assert_eq!(out.logs[0].priority, Priority::Error);
    let l = &out.lease_changes[0];
    assert_eq!(l.binding_state, BindingState::Abandoned);
    assert_eq!(l.ends, T0 + 5 + 86_400);
    // The client gets another address; the abandoned one is a last resort.
    let (b, _) = dora(&mut e, T0 + 6, &c);
    assert_ne!(b, a);
    // After abandon-lease-time it is free again (the new lease expires
    // first).
    assert_eq!(e.poll_timeout(T0 + 10), Some(T0 + 6 + 600));
    assert_eq!(e.handle_timeout(T0 + 6 + 600).lease_changes[0].ip, b);
    assert_eq!(e.poll_timeout(T0 + 606), Some(T0 + 5 + 86_400));
    let out = e.handle_timeout(T0 + 5 + 86_400);
    assert_eq!(out.lease_changes.len(), 1);
    assert_eq!((out.lease_changes[0].ip, out.lease_changes[0].binding_state), (a, BindingState::Free));
}

#[test]
fn declines_can_be_ignored() {
    let mut e = engine(&format!("deny declines;\n{CONF}"));
    let c = Client::new(1);
    let (a, _) = dora(&mut e, T0, &c);
    let out = send(&mut e, T0, &c.msg(Some(MessageType::Decline), Ipv4Addr::UNSPECIFIED, &[(50, a.octets().to_vec())]));
    assert!(out.lease_changes.is_empty());
    assert_eq!(lines(&out), vec!["DHCPDECLINE of 10.0.0.10 from 02:00:00:00:00:01 via eth0: ignored"]);
    let mut e = engine(&format!("ignore declines;\n{CONF}"));
    let (a, _) = dora(&mut e, T0, &c);
    let out = send(&mut e, T0, &c.msg(Some(MessageType::Decline), Ipv4Addr::UNSPECIFIED, &[(50, a.octets().to_vec())]));
    assert!(out.logs.is_empty());
}

#[test]
fn inform_gets_options_without_lease_times() {
    let mut e = engine(CONF);
    let c = Client::new(7);
    let me = ip(77);
    let out = send_from(&mut e, T0, me, &c.msg(Some(MessageType::Inform), me, &[]));
    assert_eq!(
        lines(&out),
        vec!["DHCPINFORM from 10.0.0.77 via eth0", "DHCPACK to 10.0.0.77 (02:00:00:00:00:07) via eth0"]
    );
    let got = reply(&out);
    assert_eq!(got.kind(), Some(MessageType::Ack));
    assert_eq!(got.codes(), vec![53, 54, 1, 3, 6]);
    assert_eq!(got.lease_time(), None);
    assert_eq!(got.repr.ciaddr, me);
    assert_eq!(got.repr.yiaddr, Ipv4Addr::UNSPECIFIED);
    assert!(out.lease_changes.is_empty());
    assert_eq!(out.reply.as_ref().unwrap().facts.kind, ReplyKind::InformAck);
}

#[test]
fn inform_is_not_answered_unless_authoritative() {
    let mut e = engine(&CONF.replace("authoritative;", ""));
    let me = ip(77);
    let out = send_from(&mut e, T0, me, &Client::new(7).msg(Some(MessageType::Inform), me, &[]));
    assert!(out.reply.is_none());
    let l = lines(&out);
    assert_eq!(l[0], "DHCPINFORM from 10.0.0.77 via eth0: not authoritative for subnet 10.0.0.0");
    assert_eq!(l[1], "If this DHCP server is authoritative for that subnet,");
    assert_eq!(l.len(), 6);
    // The hint comes once per hundred and one.
    let out = send_from(&mut e, T0, me, &Client::new(7).msg(Some(MessageType::Inform), me, &[]));
    assert_eq!(lines(&out).len(), 1);
}

#[test]
fn dynamic_bootp_gets_an_infinite_lease_from_a_dynamic_range() {
    let mut e = engine(CONF);
    let c = Client::new(5);
    let out = send(&mut e, T0, &c.msg(None, Ipv4Addr::UNSPECIFIED, &[]));
    assert_eq!(
        lines(&out),
        vec!["BOOTREQUEST from 02:00:00:00:00:05 via eth0", "BOOTREPLY on 10.0.0.100 to 02:00:00:00:00:05 via eth0"]
    );
    let got = reply(&out);
    assert_eq!(got.repr.yiaddr, ip(100));
    assert_eq!(got.kind(), None, "no message type in a BOOTP reply");
    assert_eq!(got.codes(), vec![1, 3, 6]);
    let l = &out.lease_changes[0];
    assert!(l.bootp);
    assert_eq!(l.binding_state, BindingState::Active);
    assert_eq!(l.ends, 0x7fff_ffff);
    assert_eq!(out.reply.as_ref().unwrap().facts.kind, ReplyKind::BootReply);
}

#[test]
fn bootp_without_dynamic_range_is_refused() {
    let mut e = engine(&CONF.replace("  range dynamic-bootp 10.0.0.100 10.0.0.101;\n", ""));
    let out = send(&mut e, T0, &Client::new(5).msg(None, Ipv4Addr::UNSPECIFIED, &[]));
    assert!(out.reply.is_none());
    assert_eq!(
        lines(&out),
        vec!["BOOTREQUEST from 02:00:00:00:00:05 via eth0: BOOTP from dynamic client and no dynamic leases"]
    );
}

#[test]
fn bootp_disallowed_by_scope() {
    let mut e = engine(&CONF.replace("option routers 10.0.0.1;", "option routers 10.0.0.1; deny bootp;"));
    let out = send(&mut e, T0, &Client::new(5).msg(None, Ipv4Addr::UNSPECIFIED, &[]));
    assert!(out.reply.is_none());
    assert_eq!(lines(&out), vec!["BOOTREQUEST from 02:00:00:00:00:05 via eth0: bootp disallowed"]);
}

#[test]
fn leases_expire_to_free() {
    let mut e = engine(CONF);
    let (a, _) = dora(&mut e, T0, &Client::new(1));
    assert_eq!(e.poll_timeout(T0), Some(T0 + 600));
    assert!(e.handle_timeout(T0 + 599).lease_changes.is_empty());
    let out = e.handle_timeout(T0 + 600);
    let l = &out.lease_changes[0];
    assert_eq!((l.ip, l.binding_state), (a, BindingState::Free));
    assert_eq!(e.poll_timeout(T0 + 600), None);
}

#[test]
fn lease_events_run_at_commit_expiry_and_release() {
    let conf = "
authoritative;
ping-check false;
default-lease-time 600;
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.10 10.0.0.12;
  on commit {
    log(info, concat(\"commit \", binary-to-ascii(10, 8, \".\", leased-address)));
    execute(\"/usr/local/bin/hook\", \"commit\", binary-to-ascii(10, 8, \".\", leased-address));
  }
  on expiry { log(info, concat(\"expiry \", binary-to-ascii(10, 8, \".\", leased-address))); }
  on release { log(info, concat(\"release \", binary-to-ascii(10, 8, \".\", leased-address))); }
}
";
    let mut e = engine(conf);
    let c = Client::new(1);
    let offer = send(&mut e, T0, &c.discover());
    assert!(!lines(&offer).iter().any(|l| l.starts_with("commit")), "no commit for an offer");
    let ack = send(&mut e, T0, &c.select(ip(10), ip(1)));
    assert_eq!(lines(&ack)[0], "commit 10.0.0.10");
    assert_eq!(ack.commands, vec![vec![b"/usr/local/bin/hook".to_vec(), b"commit".to_vec(), b"10.0.0.10".to_vec()]]);
    let out = e.handle_timeout(T0 + 600);
    assert_eq!(lines(&out), vec!["expiry 10.0.0.10"]);
    // A released lease runs its release statements, not the expiry ones.
    let (b, _) = dora(&mut e, T0 + 700, &Client::new(2));
    let out = send_from(&mut e, T0 + 710, b, &Client::new(2).msg(Some(MessageType::Release), b, &[]));
    assert_eq!(lines(&out)[0], format!("release {b}"));
    assert!(e.handle_timeout(T0 + 2000).logs.is_empty());
}
