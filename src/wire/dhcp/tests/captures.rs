//! Byte captures: a dhclient-style DISCOVER and real ISC 4.4.3 replies, read and rewritten.

use super::*;
use crate::wire::frame::{FrameRepr, PAYLOAD_OFFSET};
use crate::wire::testutil::{
    hex, DISCOVER_RELAYED, ISC_OFFER_FRAME, ISC_OFFER_OVERLOAD_FRAME, ISC_OFFER_RELAYED,
};

/// The DHCP payload of a captured frame.
fn payload(frame_hex: &str) -> Vec<u8> {
    let frame = hex(frame_hex);
    let (_, payload) = FrameRepr::parse(&frame, true).unwrap();
    payload.to_vec()
}

fn codes(r: &Repr<'_>) -> Vec<u8> {
    r.options().iter().map(|o| o.code).collect()
}

#[test]
fn discover_deconstruct() {
    let bytes = dhclient_discover();
    let p = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(p.op(), OpCode::Request);
    assert_eq!((p.htype(), p.hlen(), p.hops()), (1, 6, 0));
    assert_eq!(p.xid(), 0x5a1c_3e07);
    assert_eq!((p.secs(), p.flags()), (3, 0));
    assert_eq!(p.ciaddr(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.giaddr(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.hardware_address(), &[0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    assert_eq!(p.chaddr().len(), 16);
    assert!(p.sname().iter().all(|&b| b == 0) && p.file().iter().all(|&b| b == 0));
    p.check_magic().unwrap();
    let mut it = p.options();
    let got: Vec<_> = it.by_ref().map(|o| (o.code, o.data.to_vec())).collect();
    assert_eq!(
        got,
        vec![
            (53, vec![1]),
            (50, vec![192, 168, 1, 23]),
            (12, b"laptop".to_vec()),
            (55, vec![1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]),
        ]
    );
    assert_eq!(it.fault(), None);
    // The iterator parked at END: the padding after it is not read as PADs to the end.
    assert_eq!(it.position(), p.options_area().len());
}

#[test]
fn discover_construct() {
    let bytes = dhclient_discover();
    let mut buf = vec![0xa5; bytes.len()];
    let mut p = Packet::new_unchecked(&mut buf[..]);
    p.set_op(OpCode::Request);
    p.set_htype(1);
    p.set_hlen(6);
    p.set_hops(0);
    p.set_xid(0x5a1c_3e07);
    p.set_secs(3);
    p.set_flags(0);
    p.set_ciaddr(Ipv4Addr::UNSPECIFIED);
    p.set_yiaddr(Ipv4Addr::UNSPECIFIED);
    p.set_siaddr(Ipv4Addr::UNSPECIFIED);
    p.set_giaddr(Ipv4Addr::UNSPECIFIED);
    p.set_chaddr(&[0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    p.set_sname(b"");
    p.set_file(b"");
    p.set_magic_cookie();
    let opts = &bytes[HEADER_LEN..];
    p.options_area_mut().copy_from_slice(opts);
    assert_eq!(buf, bytes);
}

#[test]
fn discover_parse_and_emit() {
    let bytes = dhclient_discover();
    let r = parse(&bytes);
    assert_eq!(r.op, OpCode::Request);
    assert_eq!(r.message_type(), Some(MessageType::Discover));
    assert_eq!(r.hardware_address(), &[0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    assert!(!r.broadcast());
    assert_eq!(codes(&r), vec![53, 50, 12, 55]);
    assert_eq!(r.option(12), Some(&b"laptop"[..]));
    assert!(r.sname.is_empty() && r.file.is_empty());
    // Plain emit: everything up to END; the capture only adds zero padding after it.
    let len = r.buffer_len();
    assert_eq!(len, HEADER_LEN + 3 + 6 + 8 + 15 + 1);
    let mut out = vec![0xee; len];
    r.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
    assert_eq!(out[..], bytes[..len]);
    assert!(bytes[len..].iter().all(|&b| b == 0));
    // The size-limited emit pads to 300 and gives the capture back exactly.
    let mut out = vec![0xee; 1500];
    let packed = r
        .emit_limited(&mut out, &Limits::new(MIN_OPTION_SPACE))
        .unwrap();
    assert_eq!(
        packed,
        Packed {
            len: 300,
            overload: 0,
            dropped: vec![],
            agent_dropped: false
        }
    );
    assert_eq!(out[..300], bytes[..]);
}

#[test]
fn isc_offer_parse_and_reemit() {
    let bytes = payload(ISC_OFFER_FRAME);
    assert_eq!(bytes.len(), 300);
    let r = parse(&bytes);
    assert_eq!(r.op, OpCode::Reply);
    assert_eq!(r.xid, 0x3903_f326);
    assert_eq!(r.yiaddr, Ipv4Addr::new(10, 99, 0, 100));
    assert_eq!(r.message_type(), Some(MessageType::Offer));
    // ISC's order: 53 54 51, then the PRL order with subnet mask kept before routers.
    assert_eq!(codes(&r), vec![53, 54, 51, 1, 3, 15, 6]);
    assert_eq!(r.option(54), Some(&[10, 99, 0, 1][..]));
    assert_eq!(r.option(51), Some(&600u32.to_be_bytes()[..]));
    assert_eq!(r.option(15), Some(&b"example.test"[..]));
    let mut out = vec![0; 1500];
    let packed = r
        .emit_limited(&mut out, &Limits::new(option_space(0, None, None)))
        .unwrap();
    assert_eq!(packed.len, 300);
    assert_eq!(out[..300], bytes[..]);
}

#[test]
fn isc_overloaded_offer_parse_and_reemit() {
    let bytes = payload(ISC_OFFER_OVERLOAD_FRAME);
    assert_eq!(bytes.len(), 548);
    let r = parse(&bytes);
    // Option 18 is joined from 48 bytes in the options field and 108 bytes in `file`.
    assert_eq!(codes(&r), vec![53, 54, 51, 1, 3, 15, 6, 17, 18]);
    assert_eq!(r.option(17).unwrap().len(), 206);
    let ext = r.option(18).unwrap();
    assert_eq!(ext.len(), 156);
    assert!(ext.starts_with(b"/srv/ext/bbb") && ext.ends_with(b"bbb"));
    assert!(r.file.is_empty(), "file held options, not a name");
    assert_eq!(r.option(OPT_OVERLOAD), None, "option 52 is framing");
    // Rewriting it with ISC's rules gives the same 548 bytes: no END in the full options
    // field, 52 = 1 in its last 3 bytes, `file` = 18 (108 bytes), END, PADs.
    let mut out = vec![0; 1500];
    let packed = r
        .emit_limited(&mut out, &Limits::new(MIN_OPTION_SPACE))
        .unwrap();
    assert_eq!(
        packed,
        Packed {
            len: 548,
            overload: OVERLOAD_FILE,
            dropped: vec![],
            agent_dropped: false
        }
    );
    assert_eq!(out[..548], bytes[..]);
}

#[test]
fn relayed_discover_keeps_agent_information_raw() {
    let bytes = hex(DISCOVER_RELAYED);
    let r = parse(&bytes);
    assert_eq!(r.giaddr, Ipv4Addr::new(10, 99, 0, 2));
    assert_eq!(r.hops, 1);
    let mut agent = vec![1, 6];
    agent.extend_from_slice(b"eth0/1");
    agent.extend_from_slice(&[2, 8, 2, 0, 0, 0, 0, 0xaa, 0, 1]);
    assert_eq!(r.agent_information(), Some(&agent[..]));
    assert_eq!(codes(&r), vec![53, 12, 55, 82]);
}

#[test]
fn isc_relayed_offer_echoes_agent_last() {
    let bytes = hex(ISC_OFFER_RELAYED);
    let r = parse(&bytes);
    assert_eq!(codes(&r), vec![53, 54, 51, 1, 3, 15, 6, 82]);
    let request = hex(DISCOVER_RELAYED);
    assert_eq!(r.agent_information(), parse(&request).agent_information());
    let mut out = vec![0; 1500];
    let packed = r
        .emit_limited(&mut out, &Limits::new(MIN_OPTION_SPACE))
        .unwrap();
    assert_eq!(out[..packed.len], bytes[..]);
    // Wherever 82 sits in the list, ISC's layout puts it last.
    let mut moved = r.clone();
    if let Vendor::Options(list) = &mut moved.vendor {
        let agent = list.pop().unwrap();
        list.insert(0, agent);
    }
    let mut out2 = vec![0; 1500];
    let packed2 = moved
        .emit_limited(&mut out2, &Limits::new(MIN_OPTION_SPACE))
        .unwrap();
    assert_eq!(out2[..packed2.len], bytes[..]);
}

#[test]
fn captured_frames_reemit_identically() {
    // Our IP/UDP header values and checksums are ISC's.
    for frame_hex in [ISC_OFFER_FRAME, ISC_OFFER_OVERLOAD_FRAME] {
        let frame = hex(frame_hex);
        let (repr, dhcp) = FrameRepr::parse(&frame, true).unwrap();
        let mut out = vec![0; repr.buffer_len()];
        out[PAYLOAD_OFFSET..].copy_from_slice(dhcp);
        repr.emit(&mut out).unwrap();
        assert_eq!(out, frame);
    }
}
