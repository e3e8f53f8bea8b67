//! Frame tests: ISC captures, each rejection, checksums, truncation and random input.

use super::*;
use crate::wire::testutil::{hex, XorShift, ISC_OFFER_FRAME, ISC_OFFER_OVERLOAD_FRAME};

fn offer() -> Vec<u8> {
    hex(ISC_OFFER_FRAME)
}

/// Recomputes the IP header checksum after a test edited the header.
fn refix_ip(frame: &mut [u8]) {
    Ipv4Packet::new_unchecked(&mut frame[ETHERNET_HEADER_LEN..]).fill_checksum();
}

#[test]
fn isc_offer_frame_deconstruct() {
    let frame = offer();
    let eth = EthernetFrame::new_checked(&frame[..]).unwrap();
    assert_eq!(eth.dst(), [2, 0, 0, 0, 0, 2]);
    assert_eq!(eth.src(), [2, 0, 0, 0, 0, 1]);
    assert_eq!(eth.ethertype(), ETHERTYPE_IPV4);
    let ip = Ipv4Packet::new_checked(eth.payload()).unwrap();
    assert_eq!((ip.version(), ip.header_len(), ip.tos()), (4, 20, ISC_TOS));
    assert_eq!(
        (ip.ident(), ip.dont_fragment(), ip.frag_offset(), ip.ttl()),
        (0, false, 0, ISC_TTL)
    );
    assert_eq!(ip.protocol(), PROTOCOL_UDP);
    assert_eq!(ip.total_len(), 328);
    assert!(ip.verify_checksum());
    let udp = UdpPacket::new_checked(ip.payload()).unwrap();
    assert_eq!((udp.src_port(), udp.dst_port(), udp.len()), (67, 68, 308));
    assert!(udp.verify_checksum(ip.src_addr(), ip.dst_addr()));
    assert_eq!(udp.payload().len(), 300);
}

#[test]
fn isc_offer_frame_parse() {
    let frame = offer();
    let (repr, payload) = FrameRepr::parse(&frame, true).unwrap();
    let want = FrameRepr::isc_reply(
        [2, 0, 0, 0, 0, 1],
        [2, 0, 0, 0, 0, 2],
        (Ipv4Addr::new(10, 99, 0, 1), 67),
        (Ipv4Addr::new(10, 99, 0, 100), 68),
        300,
    );
    assert_eq!(repr, want);
    assert_eq!(payload, &frame[PAYLOAD_OFFSET..]);
}

#[test]
fn isc_frames_construct() {
    // Building the reply from scratch gives ISC's bytes, checksums included.
    for f in [ISC_OFFER_FRAME, ISC_OFFER_OVERLOAD_FRAME] {
        let frame = hex(f);
        let want = FrameRepr::isc_reply(
            [2, 0, 0, 0, 0, 1],
            [2, 0, 0, 0, 0, 2],
            (Ipv4Addr::new(10, 99, 0, 1), 67),
            (Ipv4Addr::new(10, 99, 0, 100), 68),
            frame.len() - PAYLOAD_OFFSET,
        );
        let mut out = vec![0xcc; want.buffer_len()];
        out[PAYLOAD_OFFSET..].copy_from_slice(&frame[PAYLOAD_OFFSET..]);
        want.emit(&mut out).unwrap();
        assert_eq!(out, frame);
    }
}

#[test]
fn rejections() {
    let good = offer();
    let mut f = good.clone();
    f[12] = 0x86;
    assert_eq!(FrameRepr::parse(&f, true), Err(Error::NotIpv4));

    let mut f = good.clone();
    f[14 + 9] = 6;
    refix_ip(&mut f);
    assert_eq!(FrameRepr::parse(&f, true), Err(Error::NotUdp));

    let mut f = good.clone();
    f[14 + 6..14 + 8].copy_from_slice(&[0x00, 0x10]);
    refix_ip(&mut f);
    assert_eq!(FrameRepr::parse(&f, true), Err(Error::Fragment));
    // First fragment (MF set, offset 0) passes the filter, like ISC's BPF program.
    let mut f = good.clone();
    f[14 + 6] = 0x20;
    refix_ip(&mut f);
    assert!(FrameRepr::parse(&f, true).is_ok());

    for b in [0x65, 0x44] {
        let mut f = good.clone();
        f[14] = b;
        assert_eq!(FrameRepr::parse(&f, true), Err(Error::BadIpHeader));
    }

    let mut f = good.clone();
    f[14 + 8] = 64; // TTL changed, checksum not
    assert_eq!(FrameRepr::parse(&f, true), Err(Error::BadIpChecksum));

    let mut f = good.clone();
    f[PAYLOAD_OFFSET + 4] ^= 1; // xid bit flip
    assert_eq!(FrameRepr::parse(&f, true), Err(Error::BadUdpChecksum));
    assert!(
        FrameRepr::parse(&f, false).is_ok(),
        "offloaded checksum is not checked"
    );
    f[40..42].fill(0); // no UDP checksum at all
    assert!(FrameRepr::parse(&f, true).is_ok());

    let mut f = good.clone();
    f[38..40].copy_from_slice(&7u16.to_be_bytes());
    assert_eq!(FrameRepr::parse(&f, true), Err(Error::BadUdpLength));
    let mut f = good.clone();
    f[38..40].copy_from_slice(&309u16.to_be_bytes());
    assert_eq!(FrameRepr::parse(&f, true), Err(Error::UdpTooLong));

    let mut f = good.clone();
    f[16..18].copy_from_slice(&329u16.to_be_bytes());
    refix_ip(&mut f);
    assert_eq!(FrameRepr::parse(&f, true), Err(Error::Truncated));
}

#[test]
fn lengths_trust_udp_and_ignore_padding() {
    let mut f = offer();
    f.extend_from_slice(&[0; 18]); // trailing link padding
    let (repr, payload) = FrameRepr::parse(&f, true).unwrap();
    assert_eq!((repr.payload_len, payload.len()), (300, 300));
}

#[test]
fn ip_options_move_the_payload() {
    let good = offer();
    let mut f = good[..34].to_vec();
    f.extend_from_slice(&[1, 1, 1, 0]); // NOP NOP NOP EOL
    f.extend_from_slice(&good[34..]);
    f[14] = 0x46;
    f[16..18].copy_from_slice(&332u16.to_be_bytes());
    refix_ip(&mut f);
    let (repr, payload) = FrameRepr::parse(&f, true).unwrap();
    assert_eq!(payload, &good[PAYLOAD_OFFSET..]);
    assert_eq!(repr.src_port, 67);
}

#[test]
fn zero_udp_checksum_is_sent_as_ffff() {
    // Find a 2-byte payload whose checksum computes to 0; RFC 768 sends 0xffff instead.
    let base = FrameRepr::isc_reply(
        [1; 6],
        BROADCAST_MAC,
        (Ipv4Addr::new(10, 0, 0, 1), 67),
        (Ipv4Addr::BROADCAST, 68),
        2,
    );
    let mut found = false;
    for v in 0..=u16::MAX {
        let mut f = vec![0; base.buffer_len()];
        f[PAYLOAD_OFFSET..].copy_from_slice(&v.to_be_bytes());
        base.emit(&mut f).unwrap();
        f[40..42].fill(0);
        let sum = udp_checksum(base.src_addr, base.dst_addr, &f[34..]);
        if sum == 0 {
            base.emit(&mut f).unwrap();
            assert_eq!(&f[40..42], &[0xff, 0xff]);
            assert!(FrameRepr::parse(&f, true).is_ok());
            found = true;
            break;
        }
    }
    assert!(found);
}

#[test]
fn emit_checks_the_buffer() {
    let r = FrameRepr::isc_reply(
        [1; 6],
        BROADCAST_MAC,
        (Ipv4Addr::new(10, 0, 0, 1), 67),
        (Ipv4Addr::BROADCAST, 68),
        300,
    );
    let mut short = vec![0; 341];
    assert_eq!(
        r.emit(&mut short),
        Err(Error::BufferTooSmall {
            need: 342,
            have: 341
        })
    );
    let huge = FrameRepr {
        payload_len: 65_600,
        ..r
    };
    let mut big = vec![0; huge.buffer_len()];
    assert!(huge.emit(&mut big).is_err());
}

#[test]
fn every_prefix_and_random_frames() {
    for f in [ISC_OFFER_FRAME, ISC_OFFER_OVERLOAD_FRAME] {
        let frame = hex(f);
        for n in 0..frame.len() {
            assert!(FrameRepr::parse(&frame[..n], true).is_err(), "prefix {n}");
        }
    }
    let mut rng = XorShift::new(99);
    let template = offer();
    for i in 0..20_000 {
        let len = rng.below(400);
        let mut f = if i % 2 == 0 {
            rng.bytes(len)
        } else {
            template.clone()
        };
        if i % 2 == 1 {
            // Corrupt a few header bytes of a real frame.
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(PAYLOAD_OFFSET);
                f[at] = rng.byte();
            }
            f.truncate(rng.below(f.len() + 1));
        }
        if let Ok((repr, payload)) = FrameRepr::parse(&f, true) {
            assert_eq!(payload.len(), repr.payload_len);
        }
    }
}
