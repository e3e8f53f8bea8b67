//! Robustness: every prefix of every capture, and random bytes, parse without panicking; what
//! parses re-emits to something that parses the same.

use super::*;
use crate::wire::frame::FrameRepr;
use crate::wire::testutil::{
    hex, XorShift, DISCOVER_RELAYED, ISC_OFFER_FRAME, ISC_OFFER_OVERLOAD_FRAME, ISC_OFFER_RELAYED,
};

fn samples() -> Vec<Vec<u8>> {
    let mut v = vec![
        dhclient_discover(),
        hex(DISCOVER_RELAYED),
        hex(ISC_OFFER_RELAYED),
    ];
    for f in [ISC_OFFER_FRAME, ISC_OFFER_OVERLOAD_FRAME] {
        let frame = hex(f);
        v.push(FrameRepr::parse(&frame, true).unwrap().1.to_vec());
    }
    v
}

/// Parses `bytes` and, when that works, checks both emit paths against the parse.
fn check(bytes: &[u8]) -> Option<Repr<'_>> {
    let packet = Packet::new_checked(bytes).ok()?;
    let _ = packet.options().count();
    let _ = (
        packet.file_options().count(),
        packet.sname_options().count(),
    );
    let r = Repr::parse(&packet).ok()?;

    // Plain emit of a parsed message parses back to the same message.
    let mut out = vec![0; r.buffer_len()];
    r.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
    assert_eq!(parse(&out), r);

    // The limited emit keeps every value it does not report as dropped; order may change
    // (options moved to file/sname are read after the options field, 82 goes last).
    let limits = Limits::new(MIN_OPTION_SPACE);
    let mut out = vec![0; limits.max_len()];
    let packed = r.emit_limited(&mut out, &limits).unwrap();
    assert!(packed.len <= limits.max_len());
    let back = parse(&out[..packed.len]);
    for o in r.options() {
        let lost = o.data.is_empty()
            || packed.dropped.contains(&o.code)
            || (o.code == OPT_AGENT_INFORMATION && packed.agent_dropped);
        assert_eq!(
            back.option(o.code),
            if lost { None } else { Some(&*o.data) },
            "option {}",
            o.code
        );
    }
    assert_eq!(
        back.options().len(),
        r.options()
            .iter()
            .filter(|o| back.option(o.code).is_some())
            .count()
    );
    assert_eq!(
        (back.xid, back.chaddr, &back.file, &back.sname),
        (r.xid, r.chaddr, &r.file, &r.sname)
    );
    Some(r)
}

#[test]
fn every_prefix_of_every_sample() {
    for sample in samples() {
        for n in 0..=sample.len() {
            let prefix = &sample[..n];
            let parsed = check(prefix);
            if n < FIXED_LEN {
                assert_eq!(
                    Packet::new_checked(prefix).unwrap_err(),
                    Error::Truncated { len: n }
                );
            }
            // Cut inside the options, a client packet is malformed; cut at or after END it
            // is whole. Either way nothing panicked and the header is read.
            if let Some(r) = parsed {
                assert_eq!(r.xid, Packet::new_unchecked(prefix).xid());
            }
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift::new(0x5eed_d4c9);
    for _ in 0..20_000 {
        // Mostly small, sometimes past what a 1500-byte MTU can carry.
        let len = if rng.below(10) == 0 {
            rng.below(1600)
        } else {
            rng.below(700)
        };
        check(&rng.bytes(len));
    }
}

#[test]
fn random_options_after_a_valid_header() {
    // Random bytes in the option areas reach the deeper paths: overload, joins, faults.
    let mut rng = XorShift::new(42);
    let mut parsed = 0;
    for _ in 0..20_000 {
        let mut bytes = dhclient_discover();
        bytes.truncate(HEADER_LEN);
        let opts_len = rng.below(400);
        bytes.extend(rng.bytes(opts_len));
        match rng.below(4) {
            0 => bytes[HEADER_LEN..].iter_mut().for_each(|b| *b %= 8), // small codes, short lengths
            1 => bytes.extend_from_slice(&[OPT_OVERLOAD, 1, 3, OPT_END]),
            _ => {}
        }
        if rng.below(2) == 0 {
            let garbage = rng.bytes(192);
            bytes[44..236].copy_from_slice(&garbage);
        }
        parsed += usize::from(check(&bytes).is_some());
    }
    assert!(
        parsed > 1000,
        "the generator should produce parseable packets too ({parsed})"
    );
}

#[test]
fn random_option_lists_survive_limited_emit() {
    let mut rng = XorShift::new(7);
    for round in 0..3000 {
        let mut codes: Vec<u8> = (1..=254).filter(|&c| c != OPT_OVERLOAD).collect();
        let count = rng.below(12);
        let mut list = Vec::new();
        for _ in 0..count {
            let code = codes.swap_remove(rng.below(codes.len()));
            let len = if rng.below(5) == 0 {
                rng.below(600)
            } else {
                rng.below(40)
            };
            list.push(RawOption::owned(code, rng.bytes(len)));
        }
        let mut r = repr_with(list);
        if rng.below(3) == 0 {
            r.file = Cow::Owned(vec![b'f'; 1 + rng.below(128)]);
        }
        if rng.below(3) == 0 {
            r.sname = Cow::Owned(vec![b's'; 1 + rng.below(64)]);
        }
        let mut limits = Limits::new(option_space(
            0,
            Some(&(576 + rng.below(1000) as u16).to_be_bytes()),
            None,
        ));
        limits.overload = rng.byte() & 3;
        limits.last_is_final = rng.below(2) == 0;
        let mut out = vec![0; limits.max_len()];
        let packed = r.emit_limited(&mut out, &limits).unwrap();
        let back = parse(&out[..packed.len]);
        for o in r.options() {
            let kept = back.option(o.code);
            if packed.dropped.contains(&o.code)
                || (o.code == OPT_AGENT_INFORMATION && packed.agent_dropped)
                || o.data.is_empty()
            {
                assert_eq!(kept, None, "round {round} option {}", o.code);
            } else {
                assert_eq!(kept, Some(&*o.data), "round {round} option {}", o.code);
            }
        }
        // Never larger than the budget allows (agent options may add to it).
        let agent = r
            .agent_information()
            .map_or(0, |a| a.len() + 2 * a.len().div_ceil(255));
        let cap = FIXED_LEN + (limits.option_space + agent).min(MAX_OPTION_SPACE);
        assert!(
            packed.len <= cap.max(BOOTP_MIN_LEN),
            "round {round}: {} > {cap}",
            packed.len
        );
    }
}
