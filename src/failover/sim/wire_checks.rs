//! The bytes our peers put on the wire, against the reference's [seen]
//! captures of ISC 4.4.3-P1 (§1.2, §1.5). Where a capture's time or xid
//! belongs to a different moment of ISC's run, those fields are compared
//! with what our run must have there instead.

use super::scenarios::normal_pair;
use super::{Pair, Sent};
use crate::failover::binding::{self, Client};
use crate::failover::table::LeaseTable;
use crate::lease::HardwareAddr;
use crate::wire::failover::{MessageType, Packet};
use std::net::Ipv4Addr;

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn ascii(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Compares `ours` with `seen` except the time and xid header fields, and
/// returns ours' (time, xid).
fn same_but_time_and_xid(ours: &Sent, seen: &[u8]) -> (u32, u32) {
    let b = &ours.bytes;
    assert_eq!(b.len(), seen.len(), "length of {:?}", ours.kind());
    assert_eq!(b[..4], seen[..4], "{:?} header", ours.kind());
    assert_eq!(b[12..], seen[12..], "{:?} options", ours.kind());
    let p = Packet::new_unchecked(&b[..]);
    (p.time(), p.xid())
}

#[test]
fn handshake_bytes_are_iscs() {
    let mut pair = Pair::new(20, 1);
    pair.time = 0x6b03_cef4;
    pair.start(0);
    pair.start(1);
    pair.settle();
    let connect = pair.sent(0, MessageType::Connect)[0];
    let seen_connect = hex(&format!(
        "006d 05 0c 6b03cef4 00000000 0016 0007 {} 000e 0004 0000000a 0013 0004 0000001e 001c 000c {} \
         0014 0001 01 001b 0001 00 000f 0004 0000003c 000b 0020 {}{}",
        ascii("fo-test"),
        ascii("isc-4.4.3-P1"),
        "ff".repeat(16),
        "00".repeat(16)
    ));
    assert_eq!(connect.bytes, seen_connect, "CONNECT is byte for byte ISC's");

    let ack = pair.sent(1, MessageType::ConnectAck)[0];
    let seen_ack = hex(&format!(
        "0041 06 0c 6b03cef5 00000000 0016 0007 {} 000e 0004 0000000a 0013 0004 0000001e 001c 000c {} \
         0014 0001 01 001a 0001 00",
        ascii("fo-test"),
        ascii("isc-4.4.3-P1")
    ));
    assert_eq!(
        same_but_time_and_xid(ack, &seen_ack),
        (0x6b03_cef4, 0),
        "CONNECTACK echoes CONNECT's xid"
    );

    // The primary's first STATE: recover (saved) with the STARTUP flag, xid 1.
    let state = pair.sent(0, MessageType::State)[0];
    let seen_state = hex("001e 0a 0c 6b03cef6 00000001 0018 0001 06 0017 0001 01 0019 0004 6b03ce00");
    assert_eq!(same_but_time_and_xid(state, &seen_state), (0x6b03_cef4, 1));

    // Requests and their UPDDONE answers are bare headers; UPDDONE echoes
    // the xid of the UPDREQALL it answers.
    for i in 0..2 {
        let reqs: Vec<u32> = pair
            .sent(i, MessageType::UpdReqAll)
            .iter()
            .map(|s| s.message().xid)
            .collect();
        for s in pair
            .sent(i, MessageType::UpdReqAll)
            .into_iter()
            .chain(pair.sent(1 - i, MessageType::UpdDone))
        {
            assert_eq!(s.bytes.len(), 12);
            assert_eq!(s.bytes[..4], [0x00, 0x0c, u8::from(s.kind()), 0x0c]);
        }
        for d in pair.sent(1 - i, MessageType::UpdDone) {
            assert!(reqs.contains(&d.message().xid));
        }
    }

    // A virgin free lease is a 49-byte BNDUPD; its BNDACK is 20 bytes with
    // the same xid.
    let upd = pair.sent(1, MessageType::BndUpd)[0];
    let seen_upd = hex("0031 03 0c 6b03cf00 00000001 0002 0004 0a320064 0003 0001 01 000d 0004 00000000 0012 0004 00000000 0019 0004 00000000");
    let (_, xid) = same_but_time_and_xid(upd, &seen_upd);
    assert_ne!(xid, 0, "BNDUPD never uses xid 0");
    let primary_upd = pair.sent(0, MessageType::BndUpd)[0];
    let (_, pxid) = same_but_time_and_xid(primary_upd, &seen_upd);
    let acks = pair.sent(1, MessageType::BndAck);
    let ack = acks
        .iter()
        .find(|a| a.message().xid == pxid)
        .expect("BNDACK for the primary's first BNDUPD");
    let seen_bndack = hex("0014 04 0c 6b03cf02 00000001 0002 0004 0a320064");
    same_but_time_and_xid(ack, &seen_bndack);
}

#[test]
fn bndupd_after_an_ack_is_iscs() {
    let mut pair = normal_pair(20);
    pair.run_until(0x6b03_d000);
    let ip = Ipv4Addr::new(10, 50, 0, 110);
    let client = Client {
        uid: Some(hex("01aabbccddee01")),
        hardware: Some(HardwareAddr {
            htype: 1,
            addr: hex("3a05f80d0cc2"),
        }),
    };
    let s = &mut pair.servers[0];
    let rel = s.peer().relationship();
    let mut lease = s.table.get(ip).unwrap().clone();
    assert_eq!(binding::ack(&mut lease, &client, 600, &rel, pair.time), 60);
    s.table.put(lease);
    let before = pair.trace.len();
    pair.with_peer(0, |p, t, now| p.lease_changed(now, ip, t));
    let upd = pair.trace[before..]
        .iter()
        .find(|s| s.kind() == MessageType::BndUpd)
        .unwrap();
    let seen = hex(
        "004f 03 0c 6b03d000 00000005 0002 0004 0a32006e 0003 0001 02 0004 0007 01aabbccddee01
         0005 0007 013a05f80d0cc2 000d 0004 6b03d03c 0012 0004 6b03d276 0019 0004 6b03d000
         0006 0004 6b03d000",
    );
    let (time, _) = same_but_time_and_xid(upd, &seen);
    assert_eq!(time, 0x6b03_d000);
    // The secondary stores it with ISC's times (and, unlike ISC, the CLTT).
    pair.settle();
    let l = pair.servers[1].table.get(ip).unwrap();
    assert_eq!(
        (l.ends, l.tsfp, l.starts, l.cltt),
        (0x6b03_d03c, 0x6b03_d276, 0x6b03_d000, 0x6b03_d000)
    );
    // BNDACK after 2 s when nothing else is queued [seen: 2.0 s].
    pair.run_for(3);
    let ack = pair.trace[before..]
        .iter()
        .find(|s| s.kind() == MessageType::BndAck && s.from == 1)
        .unwrap();
    assert_eq!(ack.time, 0x6b03_d000 + 2);
    assert_eq!(ack.bytes.len(), 20);
}
