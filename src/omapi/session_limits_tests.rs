//! The session's limits and timers, which ISC does not have: output backpressure, input
//! backlog, message size, introduction and message deadlines, unusable keys, and garbage.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::*;
use super::{at, config, lab_store, omkey, open_msg, open_session, refresh_msg, replies};
use crate::omapi::auth::{AuthKey, KeyRing};
use crate::omapi::fake::FakeStore;
use crate::wire::omapi::captures::{self, connections, split, stream};
use crate::wire::omapi::{Message, NamedValue, Opcode, Packet, Value};

fn limited(limits: Limits) -> Arc<SessionConfig> {
    Arc::new(SessionConfig {
        keys: KeyRing::new([omkey()]),
        omapi_key: None,
        limits,
    })
}

#[test]
fn unread_replies_stop_input_processing_until_drained() {
    let limits = Limits {
        max_pending_output: 200,
        ..Limits::default()
    };
    let mut store = FakeStore::new();
    let (mut s, t) = open_session(limited(limits), &mut store);
    let burst: Vec<u8> = (1..=50).flat_map(|id| refresh_msg(id, 77)).collect();
    s.handle_bytes(at(t), &burst, &mut store);
    // Each "no matching handle" STATUS is 75 bytes: three fit under 200, then input waits.
    assert_eq!(s.pending_output(), 225);
    assert!(!s.wants_read());
    let mut answered = Vec::new();
    for _ in 0..100 {
        let r = replies(&mut s);
        if r.is_empty() {
            break;
        }
        answered.extend(r.iter().map(|m| (m.id, m.rid)));
        assert!(s.wants_read());
        s.handle_bytes(at(t), &[], &mut store);
    }
    let expect: Vec<_> = (0..50).map(|i| (1000 + i, i + 1)).collect();
    assert_eq!(answered, expect);
    assert_eq!(s.state(), State::Open);
}

#[test]
fn input_piling_up_behind_unread_replies_closes() {
    let limits = Limits {
        max_pending_output: 200,
        max_buffered_input: 500,
        ..Limits::default()
    };
    let mut store = FakeStore::new();
    let (mut s, t) = open_session(limited(limits), &mut store);
    let burst: Vec<u8> = (1..=50).flat_map(|id| refresh_msg(id, 77)).collect();
    s.handle_bytes(at(t), &burst, &mut store);
    assert_eq!(s.state(), State::Closed);
    assert_eq!(
        s.close_reason(),
        Some(&CloseReason::InputBacklog(50 * 28 - 3 * 28))
    );
    assert_eq!(
        s.poll_transmit(),
        None,
        "a closed session sends nothing more"
    );
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn oversized_message_closes_before_it_is_buffered() {
    let limits = Limits {
        max_message_len: 100,
        ..Limits::default()
    };
    let mut store = FakeStore::new();
    let (mut s, t) = open_session(limited(limits), &mut store);
    let big = Message {
        op: Opcode::Open,
        id: 1,
        object_values: vec![NamedValue::new("name", Value::Data(vec![b'x'; 200]))],
        ..Message::default()
    }
    .to_vec()
    .unwrap();
    // Only the header and the value's length arrive: that is enough to refuse.
    s.handle_bytes(at(t), &big[..40], &mut store);
    assert_eq!(s.state(), State::Closed);
    assert!(matches!(
        s.close_reason(),
        Some(CloseReason::Framing(crate::wire::omapi::Error::TooLong {
            max: 100,
            ..
        }))
    ));
}

#[test]
fn introduction_must_arrive_in_time() {
    let t0 = Instant::now();
    let mut store = FakeStore::new();
    let mut s = Session::new(at(t0), limited(Limits::default()), 1);
    assert_eq!(s.state(), State::IntroWait);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    s.handle_bytes(at(t0), &[0, 0, 0], &mut store);
    s.handle_timeout(at(t0 + Duration::from_secs(29)));
    assert_eq!(s.state(), State::IntroWait);
    s.handle_timeout(at(t0 + Duration::from_secs(30)));
    assert_eq!(s.close_reason(), Some(&CloseReason::IntroTimeout));
    assert_eq!(
        s.poll_transmit(),
        None,
        "the queued introduction is dropped"
    );
}

#[test]
fn a_started_message_must_complete_in_time() {
    let mut store = FakeStore::new();
    let (mut s, t0) = open_session(limited(Limits::default()), &mut store);
    assert_eq!(s.poll_timeout(), None, "idle between messages is free");
    let m = refresh_msg(1, 5);
    let t1 = t0 + Duration::from_secs(100);
    s.handle_bytes(at(t1), &m[..10], &mut store);
    assert_eq!(s.poll_timeout(), Some(t1 + Duration::from_secs(60)));
    s.handle_bytes(at(t1 + Duration::from_secs(10)), &m[10..], &mut store);
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(replies(&mut s).len(), 1);
    let t2 = t1 + Duration::from_secs(500);
    s.handle_bytes(at(t2), &m[..5], &mut store);
    s.handle_timeout(at(t2 + Duration::from_secs(59)));
    assert_eq!(s.state(), State::Open);
    s.handle_timeout(at(t2 + Duration::from_secs(60)));
    assert_eq!(s.close_reason(), Some(&CloseReason::MessageTimeout));
}

#[test]
fn absurd_header_size_is_refused() {
    let mut store = FakeStore::new();
    let t = Instant::now();
    let mut s = Session::new(at(t), limited(Limits::default()), 1);
    let intro = Intro {
        version: 100,
        header_size: 1 << 20,
    };
    s.handle_bytes(at(t), &intro.to_bytes(), &mut store);
    assert_eq!(
        s.close_reason(),
        Some(&CloseReason::HeaderTooLarge(1 << 20))
    );
}

#[test]
fn a_key_that_cannot_sign_closes_when_used() {
    let odd = AuthKey::new("odd", "hmac-md4.SIG-ALG.REG.INT.", b"x");
    let config = Arc::new(SessionConfig {
        keys: KeyRing::new([odd]),
        ..SessionConfig::default()
    });
    let mut store = FakeStore::new();
    let (mut s, t) = open_session(config, &mut store);
    let key = vec![
        NamedValue::new("name", Value::string("odd")),
        NamedValue::new("algorithm", Value::string("hmac-md4.SIG-ALG.REG.INT.")),
    ];
    s.handle_bytes(at(t), &open_msg(1, &[], "authenticator", key), &mut store);
    let h = replies(&mut s)[0].handle;
    let signed = Message {
        authid: h,
        op: Opcode::Refresh,
        handle: h,
        id: 2,
        signature: vec![0; 16],
        ..Message::default()
    };
    s.handle_bytes(at(t), &signed.to_vec().unwrap(), &mut store);
    assert_eq!(
        s.close_reason(),
        Some(&CloseReason::UnusableKey("odd".into()))
    );
}

#[test]
fn garbage_never_panics_and_replies_stay_well_formed() {
    let mut rng = crate::wire::testutil::XorShift::new(0x5e55);
    let valid: Vec<Vec<u8>> = {
        let conns = connections(captures::OMSHELL_KEY);
        split(&stream(&conns[1], true)).1
    };
    let base = lab_store(captures::OMSHELL_NOKEY);
    for _ in 0..1500 {
        let mut store = base.clone();
        let (mut s, t) = open_session(config(rng.below(2) == 0), &mut store);
        let mut input = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let mut m = valid[rng.below(valid.len())].clone();
            for _ in 0..rng.below(4) {
                let i = rng.below(m.len());
                m[i] = rng.byte();
            }
            input.extend_from_slice(&m);
        }
        for chunk in input.chunks(1 + rng.below(64)) {
            s.handle_bytes(at(t), chunk, &mut store);
            for r in std::iter::from_fn(|| s.poll_transmit()) {
                assert!(Packet::new_checked(&r[..], 24).is_ok());
            }
        }
    }
}
