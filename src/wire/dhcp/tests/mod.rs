//! Tests of the DHCP codec: captures (`captures`), option rules (`options`), ISC's size-limited
//! emit (`limited`), and robustness against truncated and random input (`robust`).

mod captures;
mod limited;
mod options;
mod robust;

use std::borrow::Cow;
use std::net::Ipv4Addr;

use super::*;

/// A DHCPDISCOVER laid out like ISC dhclient 4.4 sends it, written field by field from
/// RFC 2131 §2: broadcast flag clear, requested address from its last lease, host name, the
/// Debian default parameter request list, END, then zeros up to 300 bytes (dhclient pads to
/// `BOOTP_MIN_LEN` too).
pub(super) fn dhclient_discover() -> Vec<u8> {
    let mut p = vec![
        1, // op: BOOTREQUEST
        1, // htype: Ethernet
        6, // hlen: 6-byte MAC
        0, // hops
    ];
    p.extend_from_slice(&[0x5a, 0x1c, 0x3e, 0x07]); // xid
    p.extend_from_slice(&[0x00, 0x03]); // secs: 3 seconds into acquisition
    p.extend_from_slice(&[0x00, 0x00]); // flags: unicast replies are fine
    p.extend_from_slice(&[0; 4]); // ciaddr: none yet
    p.extend_from_slice(&[0; 4]); // yiaddr
    p.extend_from_slice(&[0; 4]); // siaddr
    p.extend_from_slice(&[0; 4]); // giaddr: not relayed
    p.extend_from_slice(&[0x52, 0x54, 0x00, 0x12, 0x34, 0x56]); // chaddr: the MAC ...
    p.extend_from_slice(&[0; 10]); // ... padded to 16 bytes
    p.extend_from_slice(&[0; 64]); // sname
    p.extend_from_slice(&[0; 128]); // file
    p.extend_from_slice(&MAGIC_COOKIE);
    p.extend_from_slice(&[53, 1, 1]); // DHCPDISCOVER
    p.extend_from_slice(&[50, 4, 192, 168, 1, 23]); // requested address
    p.extend_from_slice(&[12, 6]); // host name
    p.extend_from_slice(b"laptop");
    p.extend_from_slice(&[55, 13, 1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]); // PRL
    p.push(OPT_END);
    p.resize(BOOTP_MIN_LEN, 0);
    p
}

/// A message with an empty option list and the given options, for building test packets.
pub(super) fn repr_with(options: Vec<RawOption<'static>>) -> Repr<'static> {
    Repr {
        op: OpCode::Reply,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid: 0xdead_beef,
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::new(10, 0, 0, 7),
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr: [2, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        sname: Cow::Borrowed(&[]),
        file: Cow::Borrowed(&[]),
        vendor: Vendor::Options(options),
    }
}

/// Parses `bytes`, panicking with the error (for tests that expect success).
pub(super) fn parse(bytes: &[u8]) -> Repr<'_> {
    Repr::parse(&Packet::new_checked(bytes).unwrap()).unwrap()
}

/// The 240-byte header of a request from `repr_with`, followed by `options` raw.
pub(super) fn raw_packet(options: &[u8]) -> Vec<u8> {
    let mut r = repr_with(vec![]);
    r.op = OpCode::Request;
    let mut buf = vec![0; HEADER_LEN + 1];
    r.emit(&mut Packet::new_unchecked(&mut buf[..])).unwrap();
    buf.truncate(HEADER_LEN);
    buf.extend_from_slice(options);
    buf
}

#[test]
fn codes_round_trip_for_every_byte() {
    for b in 0..=255u8 {
        assert_eq!(u8::from(MessageType::from(b)), b);
        assert_eq!(u8::from(OpCode::from(b)), b);
    }
    assert_eq!(MessageType::from(8), MessageType::Inform);
    assert_eq!(MessageType::from(18), MessageType::Tls);
    assert_eq!(MessageType::from(19), MessageType::Unknown(19));
    assert_eq!(OpCode::from(2), OpCode::Reply);
    assert_eq!(MessageType::Nak.isc_name(), Some("DHCPNAK"));
    assert_eq!(MessageType::LeaseActive.isc_name(), Some("DHCPLEASEACTIVE"));
    assert_eq!(MessageType::ForceRenew.isc_name(), None);
}

#[test]
fn error_lines_match_isc_logs() {
    // Lines as ISC 4.4.3 logged them for the same packets (testdata/README.md setup).
    assert_eq!(
        Error::BadHlen(17).to_string(),
        "Discarding packet with bogus hlen."
    );
    let overrun = Error::MalformedOption {
        area: Area::Options,
        code: 12,
        fault: OptionFault::Overrun,
    };
    assert_eq!(
        overrun.to_string(),
        "parse_option_buffer: malformed option dhcp.<unknown> (code 12): option length exceeds option buffer length."
    );
    let missing = Error::MalformedOption {
        area: Area::Options,
        code: 61,
        fault: OptionFault::MissingLength,
    };
    assert_eq!(
        missing.to_string(),
        "parse_option_buffer: malformed option dhcp.<unknown> (code 61): code tag at end of buffer - missing length field."
    );
}
