//! Tests of [`Message`] against messages seen on the wire from ISC dhcpd
//! 4.4.3-P1 (reference §1.5), ISC's receive rules, and robustness on
//! truncated and random input.

use std::net::Ipv4Addr;

use super::repr::emit_order;
use super::*;

/// Concatenates hex words (spaces and `|` ignored) and quoted text pieces.
fn bytes(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        if let Some(text) = part.strip_prefix('"') {
            out.extend_from_slice(text.trim_end_matches('"').as_bytes());
            continue;
        }
        let digits: Vec<u8> = part.bytes().filter(u8::is_ascii_hexdigit).collect();
        assert!(digits.len() % 2 == 0, "odd hex in {part}");
        for pair in digits.chunks(2) {
            let s = std::str::from_utf8(pair).unwrap();
            out.push(u8::from_str_radix(s, 16).unwrap());
        }
    }
    out
}

const HBA_SPLIT_128: [u8; 32] = {
    let mut hba = [0u8; 32];
    let mut i = 0;
    while i < 16 {
        hba[i] = 0xff;
        i += 1;
    }
    hba
};

fn connect_capture() -> Vec<u8> {
    bytes(&[
        "006d 05 0c 6b03cef4 00000000",
        "0016 0007",
        "\"fo-test\"",
        "000e 0004 0000000a | 0013 0004 0000001e | 001c 000c",
        "\"isc-4.4.3-P1\"",
        "0014 0001 01 | 001b 0001 00 | 000f 0004 0000003c | 000b 0020",
        "ffffffffffffffffffffffffffffffff 00000000000000000000000000000000",
    ])
}

fn connect_repr() -> Message<'static> {
    Message::connect(
        0x6b03_cef4,
        0,
        b"fo-test",
        10,
        30,
        b"isc-4.4.3-P1",
        60,
        Some(&HBA_SPLIT_128),
    )
}

fn connectack_capture() -> Vec<u8> {
    bytes(&[
        "0041 06 0c 6b03cef5 00000000 | 0016 0007",
        "\"fo-test\"",
        "000e 0004 0000000a | 0013 0004 0000001e | 001c 000c",
        "\"isc-4.4.3-P1\"",
        "0014 0001 01 | 001a 0001 00",
    ])
}

fn connectack_repr() -> Message<'static> {
    let options = Options {
        relationship_name: Some(b"fo-test"),
        max_unacked: Some(10),
        receive_timer: Some(30),
        vendor_class: Some(b"isc-4.4.3-P1"),
        protocol_version: Some(1),
        tls_reply: Some(0),
        ..Options::default()
    };
    Message {
        kind: MessageType::ConnectAck,
        time: 0x6b03_cef5,
        xid: 0,
        options,
    }
}

fn bndupd_active_capture() -> Vec<u8> {
    bytes(&[
        "004f 03 0c 6b03d000 00000005",
        "0002 0004 0a32006e | 0003 0001 02 | 0004 0007 01aabbccddee01",
        "0005 0007 013a05f80d0cc2 | 000d 0004 6b03d03c | 0012 0004 6b03d276",
        "0019 0004 6b03d000 | 0006 0004 6b03d000",
    ])
}

fn bndupd_active_repr() -> Message<'static> {
    let options = Options {
        assigned_addr: Some(Ipv4Addr::new(10, 50, 0, 110)),
        binding_status: Some(BindingState::Active),
        client_identifier: Some(&[0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01]),
        chaddr: Some(&[0x01, 0x3a, 0x05, 0xf8, 0x0d, 0x0c, 0xc2]),
        lease_expiry: Some(0x6b03_d03c),
        potential_expiry: Some(0x6b03_d276),
        stos: Some(0x6b03_d000),
        cltt: Some(0x6b03_d000),
        ..Options::default()
    };
    Message {
        kind: MessageType::BndUpd,
        time: 0x6b03_d000,
        xid: 5,
        options,
    }
}

fn bndupd_free_capture() -> Vec<u8> {
    bytes(&[
        "0031 03 0c 6b03cf00 00000001",
        "0002 0004 0a320064 | 0003 0001 01",
        "000d 0004 00000000 | 0012 0004 00000000 | 0019 0004 00000000",
    ])
}

fn bndupd_free_repr() -> Message<'static> {
    let options = Options {
        assigned_addr: Some(Ipv4Addr::new(10, 50, 0, 100)),
        binding_status: Some(BindingState::Free),
        lease_expiry: Some(0),
        potential_expiry: Some(0),
        stos: Some(0),
        ..Options::default()
    };
    Message {
        kind: MessageType::BndUpd,
        time: 0x6b03_cf00,
        xid: 1,
        options,
    }
}

fn bndack_capture() -> Vec<u8> {
    bytes(&["0014 04 0c 6b03cf02 00000001 | 0002 0004 0a320064"])
}

fn state_capture() -> Vec<u8> {
    bytes(&["001e 0a 0c 6b03cef6 00000001 | 0018 0001 06 | 0017 0001 01 | 0019 0004 6b03ce00"])
}

fn all_captures() -> Vec<(Vec<u8>, Message<'static>)> {
    vec![
        (connect_capture(), connect_repr()),
        (connectack_capture(), connectack_repr()),
        (bndupd_active_capture(), bndupd_active_repr()),
        (bndupd_free_capture(), bndupd_free_repr()),
        (
            bndack_capture(),
            Message::bind_ack(0x6b03_cf02, 1, Ipv4Addr::new(10, 50, 0, 100), None),
        ),
        (
            state_capture(),
            Message::state(0x6b03_cef6, 1, ServerState::Recover, true, 0x6b03_ce00),
        ),
    ]
}

#[test]
fn captures_have_the_seen_lengths() {
    let lens: Vec<usize> = all_captures().iter().map(|(b, _)| b.len()).collect();
    assert_eq!(lens, [109, 65, 79, 49, 20, 30]);
}

#[test]
fn emit_is_byte_exact() {
    for (wire, repr) in all_captures() {
        assert_eq!(repr.buffer_len(), wire.len(), "{:?}", repr.kind);
        assert_eq!(repr.to_vec().unwrap(), wire, "{:?}", repr.kind);
    }
}

#[test]
fn parse_gives_the_repr_and_round_trips() {
    for (wire, repr) in all_captures() {
        let parsed = Message::parse(&Packet::new_checked(&wire[..]).unwrap()).unwrap();
        assert_eq!(parsed, repr);
        assert_eq!(parsed.to_vec().unwrap(), wire);
    }
}

#[test]
fn header_only_messages_are_twelve_bytes() {
    for kind in [
        MessageType::PoolReq,
        MessageType::UpdReqAll,
        MessageType::UpdDone,
        MessageType::UpdReq,
        MessageType::Contact,
    ] {
        let wire = Message::header_only(kind, 1, 2).to_vec().unwrap();
        assert_eq!(wire, [0, 12, u8::from(kind), 12, 0, 0, 0, 1, 0, 0, 0, 2]);
    }
}

#[test]
fn reject_messages_carry_reason_then_text() {
    let reason = RejectReason::DupConnection;
    let text = reason.to_string();
    let wire = Message::disconnect(0, 3, reason, text.as_bytes())
        .to_vec()
        .unwrap();
    let mut want = bytes(&["003f 0c 0c 00000000 00000003 | 0015 0001 07 | 0010 002a"]);
    want.extend_from_slice(b"Connection rejected, duplicate connection.");
    assert_eq!(wire, want);
    let ack = Message::bind_ack(
        0,
        9,
        Ipv4Addr::new(10, 0, 0, 1),
        Some((RejectReason::LessCritBindInfo, b"x")),
    );
    assert_eq!(
        ack.to_vec().unwrap(),
        bytes(&["001e 04 0c 00000000 00000009 | 0002 0004 0a000001 | 0015 0001 10 | 0010 0001 78"])
    );
    let resp = Message::pool_resp(0, 4, 10).to_vec().unwrap();
    assert_eq!(
        resp,
        bytes(&["0014 02 0c 00000000 00000004 | 0001 0004 0000000a"])
    );
}

#[test]
fn emit_order_lists_exactly_the_kept_options() {
    for t in 0..=MESSAGE_TYPE_MAX {
        let kind = MessageType::from(t);
        let order = emit_order(kind);
        let mask = order
            .iter()
            .fold(0u32, |m, &c| m | OptionCode::from(c).bit());
        let ddns = OptionCode::Ddns.bit();
        assert_eq!(mask, kind.allowed_mask() & !ddns, "{kind}");
        assert_eq!(order.len() as u32, mask.count_ones(), "duplicate in {kind}");
    }
}

fn parse(wire: &[u8]) -> Result<Message<'_>, Error> {
    Message::parse(&Packet::new_unchecked(wire))
}

/// A STATE header followed by `options`, with the length fixed up.
fn state_with(options: &str) -> Vec<u8> {
    let mut wire = bytes(&["0000 0a 0c 00000000 00000000", options]);
    let len = wire.len() as u16;
    wire[..2].copy_from_slice(&len.to_be_bytes());
    wire
}

fn with_type(mut wire: Vec<u8>, kind: u8) -> Vec<u8> {
    wire[2] = kind;
    wire
}

#[test]
fn unknown_and_unkept_options_are_skipped_unchecked() {
    // Code 0, code 30, code 65535, MCLT with a bad size (not kept by STATE),
    // and DDNS (not kept by STATE) are all skipped.
    let wire = state_with("0000 0001 ff | 001e 0000 | ffff 0002 abcd | 000f 0002 0001 | 0009 0003 010203 | 0018 0001 02");
    let m = parse(&wire).unwrap();
    assert_eq!(
        m.options,
        Options {
            server_state: Some(ServerState::Normal),
            ..Options::default()
        }
    );
    // A CONNECTACK does not keep an HBA or an MCLT.
    let wire = with_type(state_with("000b 0003 010203 | 000f 0004 0000003c"), 6);
    assert_eq!(parse(&wire).unwrap().options, Options::default());
    // Not-kept options may repeat.
    let wire = state_with("000f 0001 01 | 000f 0001 01");
    assert!(parse(&wire).is_ok());
}

#[test]
fn kept_option_twice_is_an_error() {
    let wire = state_with("0018 0001 02 | 0018 0001 02");
    assert_eq!(
        parse(&wire),
        Err(Error::DuplicateOption(OptionCode::ServerState))
    );
}

#[test]
fn fixed_size_mismatch_is_an_error_with_iscs_text() {
    let wire = state_with("0019 0002 0001");
    let err = parse(&wire).unwrap_err();
    assert_eq!(
        err,
        Error::OptionSize {
            code: OptionCode::Stos,
            got: 2,
            want: 4
        }
    );
    assert_eq!(
        err.to_string(),
        "FAILOVER: option size (2:4), option start-time-of-state"
    );
    let wire = with_type(state_with("0014 0002 0001"), 5);
    assert_eq!(
        parse(&wire).unwrap_err().to_string(),
        "FAILOVER: option size (2:1), option protocol-version"
    );
    // Variable options take any length, including zero.
    let wire = with_type(state_with("0016 0000 | 000b 0003 010203"), 5);
    let m = parse(&wire).unwrap();
    assert_eq!(m.options.relationship_name, Some(&[][..]));
    assert_eq!(m.options.hba, Some(&[1, 2, 3][..]));
}

#[test]
fn ddns_in_bndupd_or_bndack_kills_the_link() {
    for kind in [3, 4] {
        let wire = with_type(state_with("0009 0003 000161"), kind);
        assert_eq!(
            parse(&wire),
            Err(Error::OptionSize {
                code: OptionCode::Ddns,
                got: 3,
                want: 0
            })
        );
        let wire = with_type(state_with("0009 0000"), kind);
        assert_eq!(parse(&wire), Err(Error::BadType(OptionCode::Ddns)));
    }
}

#[test]
fn message_type_rules() {
    // Unknown type without options: accepted.
    let wire = with_type(state_with(""), 13);
    assert_eq!(parse(&wire).unwrap().kind, MessageType::Unknown(13));
    // Unknown type with any option (even an unknown one): error.
    let wire = with_type(state_with("0063 0000"), 200);
    assert_eq!(parse(&wire), Err(Error::InvalidMessageType(200)));
    // The overflow check comes first.
    let wire = with_type(state_with("00"), 13);
    assert_eq!(parse(&wire), Err(Error::OverflowAtCode));
    // Type 0 keeps nothing, but is no error.
    let wire = with_type(state_with("0018 0001 02"), 0);
    assert_eq!(parse(&wire).unwrap().options, Options::default());
}

#[test]
fn overruns_are_errors() {
    assert_eq!(parse(&state_with("00")), Err(Error::OverflowAtCode));
    assert_eq!(parse(&state_with("0018 00")), Err(Error::OverflowAtLength));
    assert_eq!(
        parse(&state_with("0018 0002 02")),
        Err(Error::OverflowAtData)
    );
}

#[test]
fn larger_payload_offset_skips_header_bytes() {
    let mut wire = bytes(&["0000 0a 10 00000005 00000006 | deadbeef | 0018 0001 04"]);
    let len = wire.len() as u16;
    wire[..2].copy_from_slice(&len.to_be_bytes());
    let m = parse(&wire).unwrap();
    assert_eq!((m.time, m.xid), (5, 6));
    assert_eq!(m.options.server_state, Some(ServerState::PartnerDown));
    // Re-emitted with ISC's payload offset of 12.
    assert_eq!(
        m.to_vec().unwrap(),
        state_with("0018 0001 04")
            .iter()
            .enumerate()
            .map(|(i, &b)| match i {
                7 => 5,
                11 => 6,
                _ => b,
            })
            .collect::<Vec<_>>()
    );
}

#[test]
fn emit_refuses_what_the_peer_would_not_take() {
    let mut m = Message::state(0, 0, ServerState::Normal, false, 0);
    m.options.mclt = Some(60);
    assert_eq!(
        m.to_vec(),
        Err(EmitError::OptionNotAllowed {
            kind: MessageType::State,
            code: OptionCode::Mclt
        })
    );
    let m = Message::header_only(MessageType::Unknown(40), 0, 0);
    assert_eq!(m.to_vec().unwrap().len(), 12);
    let big = vec![b'x'; 2048];
    let m = Message::disconnect(0, 0, RejectReason::MiscReject, &big);
    assert_eq!(
        m.to_vec(),
        Err(EmitError::TooLong {
            len: 12 + 5 + 4 + 2048
        })
    );
    let m = connect_repr();
    let mut small = [0u8; 108];
    assert_eq!(
        m.emit(&mut Packet::new_unchecked(&mut small[..])),
        Err(EmitError::BufferTooSmall {
            need: 109,
            have: 108
        })
    );
}

/// Byte offsets where an option (or the options area) starts in `wire`.
fn option_boundaries(wire: &[u8]) -> Vec<usize> {
    let mut at = vec![HEADER_LEN];
    let mut pos = HEADER_LEN;
    while pos + 4 <= wire.len() {
        pos += 4 + usize::from(u16::from_be_bytes([wire[pos + 2], wire[pos + 3]]));
        at.push(pos);
    }
    at
}

#[test]
fn every_truncation_is_refused_without_panicking() {
    for (wire, _) in all_captures() {
        let boundaries = option_boundaries(&wire);
        for cut in 0..wire.len() {
            let prefix = &wire[..cut];
            assert!(
                matches!(Packet::new_checked(prefix), Err(Error::Truncated { .. })),
                "cut {cut}"
            );
            assert!(matches!(parse(prefix), Err(Error::Truncated { .. })));
            let mut d = Deframer::new();
            d.push(prefix);
            assert!(d.next_message().unwrap().is_none());
            // The same prefix with its length field claiming exactly `cut`
            // bytes: whole options parse, a cut inside one overflows.
            if cut >= HEADER_LEN {
                let mut short = prefix.to_vec();
                short[..2].copy_from_slice(&(cut as u16).to_be_bytes());
                match parse(&short) {
                    Ok(m) => {
                        assert!(boundaries.contains(&cut), "cut {cut} parsed");
                        assert_eq!(m.to_vec().unwrap(), short);
                    }
                    Err(
                        Error::OverflowAtCode | Error::OverflowAtLength | Error::OverflowAtData,
                    ) => {
                        assert!(!boundaries.contains(&cut), "cut {cut} refused");
                    }
                    Err(other) => panic!("cut {cut}: {other:?}"),
                }
            }
        }
    }
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random bytes shaped like a message often enough to reach the option rules.
fn random_message(rng: &mut XorShift) -> Vec<u8> {
    let mut wire: Vec<u8> = (0..12).map(|_| rng.next() as u8).collect();
    if rng.below(4) != 0 {
        wire[2] = rng.below(14) as u8;
        wire[3] = if rng.below(8) == 0 {
            12 + rng.below(6) as u8
        } else {
            12
        };
        while wire.len() < usize::from(wire[3]) {
            wire.push(rng.next() as u8);
        }
        for _ in 0..rng.below(8) {
            let code = rng.below(32) as u16;
            let len = match OPTION_INFO.get(usize::from(code)).map(|i| i.kind) {
                Some(OptionKind::Fixed(n)) if rng.below(6) != 0 => n,
                _ => rng.below(40) as u16,
            };
            wire.extend_from_slice(&code.to_be_bytes());
            wire.extend_from_slice(&len.to_be_bytes());
            wire.extend((0..len).map(|_| rng.next() as u8));
        }
        let len = if rng.below(5) == 0 {
            rng.below(2100) as u16
        } else {
            wire.len() as u16
        };
        wire[..2].copy_from_slice(&len.to_be_bytes());
    } else {
        let extra = rng.below(64) as usize;
        wire.extend((0..extra).map(|_| rng.next() as u8));
    }
    let keep = if rng.below(6) == 0 {
        rng.below(wire.len() as u64 + 1) as usize
    } else {
        wire.len()
    };
    wire.truncate(keep);
    wire
}

#[test]
fn random_input_never_panics_and_accepted_input_round_trips() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut accepted = 0;
    for _ in 0..20_000 {
        let wire = random_message(&mut rng);
        let view = Packet::new_unchecked(&wire[..]);
        let _ = (
            view.msg_len(),
            view.msg_type(),
            view.payload_offset(),
            view.time(),
            view.xid(),
        );
        let _ = view.options().count();
        if let Ok(m) = parse(&wire) {
            accepted += 1;
            let again = m.to_vec().unwrap();
            assert!(again.len() <= wire.len());
            assert_eq!(parse(&again).unwrap(), m);
        }
        let mut d = Deframer::new();
        for chunk in wire.chunks(1 + rng.below(16) as usize) {
            d.push(chunk);
            while let Ok(Some(p)) = d.next_message() {
                let _ = Message::parse(&p);
            }
        }
    }
    // The generator must actually reach the accepting path.
    assert!(accepted > 1000, "only {accepted} accepted");
}
