//! Fuzz target for `wire::omapi` and `omapi::Session`: any bytes must frame, parse or fail
//! cleanly; what parses must re-emit to the same message; and a session fed the bytes (as an
//! introduction and messages, in pieces) must never panic and only ever send well-formed
//! messages. Run with `cargo +nightly fuzz run omapi` from the crate root.
#![no_main]

use std::sync::Arc;

use dhcpd::omapi::{
    Attributes, AuthKey, Handle, KeyRing, ObjectStore, ObjectType, Session, SessionConfig, Target,
};
use dhcpd::time::Now;
use dhcpd::wire::omapi::{
    Deframer, Intro, IscResult, Message, NamedValue, Packet, Value, HEADER_LEN,
};
use libfuzzer_sys::fuzz_target;

/// A store with one failover state (handle 1) that accepts any update.
struct OneObject;

impl ObjectStore for OneObject {
    fn lookup(&mut self, kind: ObjectType, keys: &Attributes) -> Result<Handle, IscResult> {
        match (kind, keys.is_empty()) {
            (_, true) => Err(IscResult::NoKeys),
            (ObjectType::FailoverState, false) => Ok(1),
            _ => Err(IscResult::NotFound),
        }
    }
    fn create(&mut self, _: ObjectType) -> Result<Handle, IscResult> {
        Err(IscResult::NotImplemented)
    }
    fn update(&mut self, _: Handle, _: &Attributes) -> Result<(), IscResult> {
        Ok(())
    }
    fn values(&mut self, _: Handle) -> Vec<NamedValue> {
        vec![NamedValue::new("name", Value::string("fo"))]
    }
    fn remove(&mut self, _: Handle) -> Result<(), IscResult> {
        Err(IscResult::NotImplemented)
    }
    fn target(&self, h: Handle) -> Option<Target> {
        match h {
            1 => Some(Target::Object(ObjectType::FailoverState)),
            2 => Some(Target::Key("k".into())),
            _ => None,
        }
    }
    fn key_handle(&mut self, _: &str) -> Handle {
        2
    }
}

fuzz_target!(|data: &[u8]| {
    for header_len in [HEADER_LEN, HEADER_LEN + 4] {
        let packet = Packet::new_unchecked(data, header_len);
        if let Ok(msg) = Message::parse(&packet) {
            let out = msg.to_vec().expect("emit");
            let back = Message::parse(&Packet::new_checked(&out[..], HEADER_LEN).expect("view"));
            assert_eq!(back.expect("re-parse"), msg);
        }
        let mut d = Deframer::new(header_len, 4096);
        d.push(data);
        while let Ok(Some(p)) = d.next_message() {
            assert!(p.check_len().is_ok());
        }
    }

    let config = Arc::new(SessionConfig {
        keys: KeyRing::new([AuthKey::new("k", "hmac-md5.SIG-ALG.REG.INT.", b"secret")]),
        omapi_key: (data.first() == Some(&1)).then(|| "k".to_string()),
        ..SessionConfig::default()
    });
    let now = Now::read();
    let mut session = Session::new(now, config, 7);
    let mut store = OneObject;
    session.handle_bytes(now, &Intro::OURS.to_bytes(), &mut store);
    let step = 1 + usize::from(data.get(1).copied().unwrap_or(0) % 16);
    for piece in data.chunks(step) {
        session.handle_bytes(now, piece, &mut store);
        while let Some(out) = session.poll_transmit() {
            if out.len() != 8 {
                assert!(Packet::new_checked(&out[..], HEADER_LEN).is_ok());
            }
        }
    }
});
