//! The OMAPI codec against ISC dhcpd 4.4.3-P1 and omshell bytes (`testdata/`), the worked
//! example of reference §3.6, and robustness on truncated and random input.

use super::captures::{self, connections, split, stream, Event};
use super::*;
use crate::wire::testutil::XorShift;

/// Every message of every capture, with its sender's header size.
fn all_messages() -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    for (_, log) in captures::ALL {
        for conn in connections(log) {
            for to_server in [true, false] {
                let s = stream(&conn, to_server);
                if s.len() < INTRO_LEN {
                    continue;
                }
                let (intro, msgs) = split(&s);
                out.extend(msgs.into_iter().map(|m| (intro.header_size as usize, m)));
            }
        }
    }
    out
}

#[test]
fn every_captured_message_round_trips() {
    let msgs = all_messages();
    assert!(msgs.len() > 80, "only {} messages", msgs.len());
    for (header_len, bytes) in &msgs {
        let packet = Packet::new_checked(&bytes[..], *header_len).unwrap();
        assert_eq!(packet.layout().unwrap().len(), bytes.len());
        let msg = Message::parse(&packet).unwrap();
        let mut expect = bytes.clone();
        expect.drain(HEADER_LEN..*header_len);
        assert_eq!(msg.to_vec().unwrap(), expect);
        assert_eq!(msg.buffer_len(), expect.len());
    }
}

#[test]
fn intros_are_version_100_header_24() {
    let conns = connections(captures::OMSHELL_NOKEY);
    let server = stream(&conns[0], false);
    assert_eq!(Intro::parse(&server).unwrap(), Intro::OURS);
    assert_eq!(Intro::OURS.to_bytes(), [0, 0, 0, 100, 0, 0, 0, 24]);
    assert_eq!(&server[..8], &Intro::OURS.to_bytes());
    assert!(matches!(
        Intro::parse(&[0, 0, 0]),
        Err(Error::Truncated { need: 8, have: 3 })
    ));
    // raw_nokey connection 1 announced version 99, connection 12 a 28-byte header.
    let raw = connections(captures::RAW_NOKEY);
    assert_eq!(Intro::parse(&stream(&raw[0], true)).unwrap().version, 99);
    assert_eq!(
        Intro::parse(&stream(&raw[11], true)).unwrap().header_size,
        28
    );
}

fn first_message(log: &str, conn: usize, to_server: bool) -> Vec<u8> {
    let conns = connections(log);
    split(&stream(&conns[conn], to_server)).1.remove(0)
}

/// Reference §3.6: omshell's `open` of failover-state "fo-test" is 69 bytes.
#[test]
fn omshell_open_is_built_byte_for_byte() {
    let captured = first_message(captures::OMSHELL_NOKEY, 0, true);
    let built = Message {
        op: Opcode::Open,
        id: 0x6b8b_4567,
        message_values: vec![NamedValue::new("type", Value::string("failover-state"))],
        object_values: vec![NamedValue::new("name", Value::string("fo-test"))],
        ..Message::default()
    };
    assert_eq!(built.to_vec().unwrap(), captured);
    assert_eq!(captured.len(), 69);
}

/// Reference §3.5: the 510-byte reply with the 19 failover-state attributes in ISC's order.
#[test]
fn failover_state_reply_decodes() {
    let reply = first_message(captures::OMSHELL_NOKEY, 0, false);
    assert_eq!(reply.len(), 510);
    let packet = Packet::new_checked(&reply[..], HEADER_LEN).unwrap();
    assert_eq!(
        (
            packet.authid(),
            packet.authlen(),
            packet.op(),
            packet.handle()
        ),
        (0, 0, Opcode::Update, 1)
    );
    assert_eq!(packet.rid(), 0x6b8b_4567);
    assert_eq!(packet.message_values().count(), 0);
    let names: Vec<_> = packet
        .object_values()
        .map(|(n, _)| String::from_utf8(n.to_vec()).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "name",
            "partner-address",
            "partner-port",
            "local-address",
            "local-port",
            "max-outstanding-updates",
            "mclt",
            "load-balance-max-secs",
            "load-balance-hba",
            "partner-state",
            "local-state",
            "partner-stos",
            "local-stos",
            "hierarchy",
            "last-packet-sent",
            "last-timestamp-received",
            "skew",
            "max-response-delay",
            "cur-unacked-updates",
        ]
    );
    let msg = Message::parse(&packet).unwrap();
    assert_eq!(msg.object_value("mclt").and_then(Value::as_u32), Some(60));
    assert_eq!(
        msg.object_value("partner-port").and_then(Value::as_u32),
        Some(847)
    );
    assert_eq!(
        msg.object_value("local-state").and_then(Value::as_u32),
        Some(1)
    );
    assert_eq!(msg.object_value("partner-address").unwrap().wire_len(), 8);
}

#[test]
fn status_replies_are_built_byte_for_byte() {
    let conns = connections(captures::OMSHELL_NOKEY);
    let (_, replies) = split(&stream(&conns[0], false));
    let not_found = Message::status(
        0x3474_80b8,
        0x6b8b_4568,
        IscResult::NotFound.into(),
        Some("no object matches specification"),
    );
    assert_eq!(not_found.to_vec().unwrap(), replies[1]);
    assert_eq!(replies[1].len(), 88);
    // The host DELETE's reply carries a result and no text (connection 3).
    let (_, replies) = split(&stream(&conns[2], false));
    let ok = Message::status(0x0141_f19d, 0x6b8b_4569, 0, None);
    assert_eq!(ok.to_vec().unwrap(), replies[2]);
}

#[test]
fn signed_parts_skip_authid_extra_header_and_signature() {
    // The first message is the unsigned authenticator OPEN; take the second.
    let conns = connections(captures::OMSHELL_KEY);
    let (_, msgs) = split(&stream(&conns[0], true));
    let m = &msgs[1];
    let p = Packet::new_checked(&m[..], HEADER_LEN).unwrap();
    assert_eq!((p.authid(), p.authlen()), (1, 16));
    let [head, body] = p.signed_parts();
    assert_eq!(head, &m[4..24]);
    assert_eq!(body, &m[24..m.len() - 16]);
    assert_eq!(p.signature(), &m[m.len() - 16..]);

    let mut big = m[..24].to_vec();
    big.extend_from_slice(b"ABCD");
    big.extend_from_slice(&m[24..]);
    let p = Packet::new_checked(&big[..], 28).unwrap();
    assert_eq!(p.signed_parts(), [&m[4..24], &m[24..m.len() - 16]]);
}

#[test]
fn setters_write_fields_and_signature() {
    let mut m = Message {
        op: Opcode::Refresh,
        handle: 5,
        id: 9,
        signature: vec![0; 16],
        ..Message::default()
    }
    .to_vec()
    .unwrap();
    let mut p = Packet::new_unchecked(&mut m[..], HEADER_LEN);
    p.set_authid(3);
    p.set_rid(4);
    p.signature_mut().copy_from_slice(&[7; 16]);
    let p = Packet::new_checked(&m[..], HEADER_LEN).unwrap();
    assert_eq!((p.authid(), p.authlen(), p.rid()), (3, 16, 4));
    assert_eq!(p.signature(), &[7; 16]);
}

#[test]
fn values_read_like_isc() {
    assert_eq!(Value::Data(vec![0, 0, 1, 0]).as_u32(), Some(256));
    assert_eq!(Value::Data(vec![0, 1]).as_u32(), None);
    assert_eq!(Value::Null.as_u32(), None);
    assert_eq!(Value::Handle(7).to_wire(), vec![0, 0, 0, 7]);
    assert_eq!(Value::from_wire(&[]), Value::Null);
    assert!(Value::from_wire(&[]).is_null());
}

#[test]
fn names_that_cannot_be_sent_are_refused() {
    let empty = Message {
        object_values: vec![NamedValue::new("", Value::Int(1))],
        ..Message::default()
    };
    assert_eq!(empty.to_vec(), Err(EmitError::BadName { len: 0 }));
    let long = Message {
        message_values: vec![NamedValue::new(vec![b'x'; 70_000], Value::Null)],
        ..Message::default()
    };
    assert_eq!(long.to_vec(), Err(EmitError::BadName { len: 70_000 }));
    let ok = Message::status(1, 2, 0, None);
    let mut short = vec![0u8; ok.buffer_len() - 1];
    assert!(matches!(
        ok.emit(&mut short),
        Err(EmitError::BufferTooSmall { .. })
    ));
}

#[test]
fn truncations_are_refused_without_panics() {
    for (header_len, bytes) in all_messages().into_iter().take(40) {
        for cut in 0..bytes.len() {
            let p = Packet::new_unchecked(&bytes[..cut], header_len);
            assert!(p.check_len().is_err(), "cut {cut} of {}", bytes.len());
            assert!(Message::parse(&p).is_err());
            // Accessors on a broken buffer still answer.
            let _ = (p.authid(), p.op(), p.rid(), p.signature(), p.signed_parts());
            assert_eq!(p.message_values().count(), 0);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift::new(0xa9a1);
    for _ in 0..20_000 {
        let len = rng.below(120);
        let mut bytes = rng.bytes(len);
        let header_len = if rng.below(4) == 0 { 28 } else { 24 };
        // Often make a well-formed message (empty lists, the rest as signature) so the parse
        // and emit paths run, not just the refusals.
        let well_formed = len > header_len + 12 && rng.below(2) == 0;
        if well_formed {
            let sig = (len - header_len - 4) as u32;
            bytes[4..8].copy_from_slice(&sig.to_be_bytes());
            bytes[header_len..header_len + 4].fill(0);
        }
        let p = Packet::new_unchecked(&bytes[..], header_len);
        assert!(!well_formed || Message::parse(&p).is_ok());
        if let Ok(msg) = Message::parse(&p) {
            let again = msg.to_vec().unwrap();
            let back = Message::parse(&Packet::new_checked(&again[..], HEADER_LEN).unwrap());
            assert_eq!(back.unwrap(), msg);
        }
        let _ = (
            p.message_values().count(),
            p.object_values().count(),
            p.signature(),
        );
        let mut d = Deframer::new(header_len, 256);
        for chunk in bytes.chunks(1 + rng.below(7)) {
            d.push(chunk);
            while let Ok(Some(p)) = d.next_message() {
                assert!(p.check_len().is_ok());
            }
        }
    }
}

#[test]
fn captured_streams_deframe_whatever_the_chunking() {
    let mut rng = XorShift::new(77);
    for (_, log) in captures::ALL {
        for conn in connections(log) {
            let s = stream(&conn, false);
            if s.len() <= INTRO_LEN {
                continue;
            }
            let (_, expect) = split(&s);
            let mut d = Deframer::new(HEADER_LEN, 4096);
            let mut got = Vec::new();
            for chunk in s[INTRO_LEN..].chunks(1 + rng.below(40)) {
                d.push(chunk);
                while let Some(p) = d.next_message().unwrap() {
                    got.push(p.as_ref().to_vec());
                }
            }
            assert_eq!(got, expect);
            assert!(conn.iter().any(|e| matches!(e, Event::ToClient(_))));
        }
    }
}
