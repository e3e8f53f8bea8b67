//! The session against ISC dhcpd 4.4.3-P1: every captured connection (`wire/omapi/testdata`)
//! is replayed into a [`Session`] backed by a [`FakeStore`] holding the objects ISC showed,
//! and our bytes must equal ISC's, signatures, handles and transaction ids included. Then the
//! limits, timers and refusals ISC does not have.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::omapi::auth::{AuthKey, KeyRing};
use crate::omapi::fake::{FakeStore, FakeValue};
use crate::omapi::store::ObjectType;
use crate::time::Now;
use crate::wire::omapi::captures::{self, connections, split, stream, Event};
use crate::wire::omapi::{Message, NamedValue, Opcode, Packet, Value};

/// A loop turn at `mono` (the session only reads the monotonic clock).
pub(super) fn at(mono: Instant) -> Now {
    Now {
        mono,
        wall: 1_700_000_000,
        wall_micros: 0,
    }
}

pub(super) fn omkey() -> AuthKey {
    AuthKey::new("omkey", "hmac-md5.SIG-ALG.REG.INT.", b"this is a test key!")
}

fn shakey() -> AuthKey {
    AuthKey::new(
        "shakey",
        "hmac-sha256.SIG-ALG.REG.INT.",
        b"sha256 test secret key bytes",
    )
}

/// The lab's configuration: both keys; `omapi-key omkey` when `keyed`.
fn config(keyed: bool) -> Arc<SessionConfig> {
    Arc::new(SessionConfig {
        keys: KeyRing::new([omkey(), shakey()]),
        omapi_key: keyed.then(|| "omkey".to_string()),
        limits: Limits::default(),
    })
}

/// The object values of the first UPDATE in `log` that has attribute `marker`.
fn reply_values(log: &str, marker: &str) -> Option<Vec<NamedValue>> {
    for conn in connections(log) {
        let s = stream(&conn, false);
        if s.len() < 8 {
            continue;
        }
        for m in split(&s).1 {
            let msg = Message::parse(&Packet::new_checked(&m[..], 24).unwrap()).unwrap();
            if msg.op == Opcode::Update && msg.object_value(marker).is_some() {
                return Some(msg.object_values);
            }
        }
    }
    None
}

/// The lab server's objects: the failover state as `log` shows it (its pointer garbage and
/// stos differ per run), the seeded lease with its subnet and pool, the control object.
fn lab_store(log: &str) -> FakeStore {
    let mut store = FakeStore::new();
    let fo = reply_values(log, "partner-address")
        .or_else(|| reply_values(captures::OMSHELL_NOKEY, "partner-address"))
        .unwrap();
    store.add_values(ObjectType::FailoverState, &fo);
    let subnet = store.add(ObjectType::Subnet, vec![]);
    let pool = store.add(ObjectType::Pool, vec![]);
    let lease: Vec<_> = reply_values(captures::OMSHELL_NOKEY, "client-hostname")
        .unwrap()
        .into_iter()
        .map(|nv| {
            let v = match &nv.name[..] {
                b"subnet" => FakeValue::Ref(subnet),
                b"pool" => FakeValue::Ref(pool),
                _ => FakeValue::Plain(nv.value.clone()),
            };
            (String::from_utf8(nv.name).unwrap(), v)
        })
        .collect();
    let lease: Vec<_> = lease.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    store.add(ObjectType::Lease, lease);
    store.add(
        ObjectType::Control,
        vec![("state", FakeValue::Plain(Value::Int(0)))],
    );
    store
}

fn drain(s: &mut Session) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    out
}

/// Replays the connections of `log` (1-based numbers, all but `skip`) against one store,
/// feeding client bytes in `chunk`-byte pieces (0: as captured). Returns the sessions.
fn replay(
    log: &str,
    keyed: bool,
    store: &mut FakeStore,
    skip: &[usize],
    chunk: usize,
) -> Vec<Session> {
    let config = config(keyed);
    let t0 = Instant::now();
    let mut sessions = Vec::new();
    for (i, events) in connections(log).iter().enumerate() {
        let conn = i + 1;
        if skip.contains(&conn) {
            continue;
        }
        let isc = stream(events, false);
        let first_id = if isc.len() > 8 {
            split(&isc)
                .1
                .first()
                .map_or(0, |m| Packet::new_unchecked(&m[..], 24).id())
        } else {
            0
        };
        let mut s = Session::new(at(t0), config.clone(), first_id);
        let mut ours = drain(&mut s);
        let mut now = t0;
        for event in events {
            match event {
                Event::ToServer(bytes) => {
                    now += Duration::from_millis(5);
                    let size = if chunk == 0 { bytes.len() } else { chunk };
                    for piece in bytes.chunks(size) {
                        s.handle_bytes(at(now), piece, store);
                        ours.extend(drain(&mut s));
                    }
                }
                Event::ServerClosed => {
                    assert_eq!(s.state(), State::Closed, "connection {conn}: ISC closed")
                }
                Event::ClientClosed => break,
                Event::ToClient(_) => {}
            }
        }
        assert_eq!(ours, isc, "connection {conn}: our bytes vs ISC's");
        if !events.contains(&Event::ServerClosed) {
            assert_ne!(
                s.state(),
                State::Closed,
                "connection {conn}: {:?}",
                s.close_reason()
            );
        }
        sessions.push(s);
    }
    sessions
}

#[test]
fn omshell_against_unkeyed_server() {
    let mut store = lab_store(captures::OMSHELL_NOKEY);
    replay(captures::OMSHELL_NOKEY, false, &mut store, &[], 0);
    // The host was created, then removed.
    let host = store
        .objects
        .iter()
        .find(|o| o.kind == ObjectType::Host)
        .unwrap();
    assert!(host.removed);
}

#[test]
fn omshell_against_keyed_server() {
    let mut store = lab_store(captures::OMSHELL_KEY);
    let sessions = replay(captures::OMSHELL_KEY, true, &mut store, &[], 0);
    // `set local-state = 4` + `update`: partner-down reached the failover state.
    assert_eq!(store.value(0, "local-state"), Some(vec![0, 0, 0, 4]));
    assert!(store.control_states.is_empty());
    assert!(sessions.iter().all(|s| s.state() == State::Open));
}

#[test]
fn omshell_signing_with_sha256() {
    let mut store = lab_store(captures::OMSHELL_SHA256);
    replay(captures::OMSHELL_SHA256, false, &mut store, &[], 0);
}

#[test]
fn hand_made_edge_cases_unkeyed() {
    let mut store = lab_store(captures::RAW_NOKEY);
    let sessions = replay(captures::RAW_NOKEY, false, &mut store, &[], 0);
    let reasons: Vec<_> = sessions
        .iter()
        .filter_map(|s| s.close_reason().cloned())
        .collect();
    assert_eq!(
        reasons,
        [
            CloseReason::VersionMismatch(99),
            CloseReason::HeaderTooSmall(16),
            CloseReason::UnsolicitedResponse(5),
            CloseReason::UnknownOp(9),
            CloseReason::UnsolicitedStatus,
            CloseReason::ReservedName("op".into()),
        ]
    );
}

#[test]
fn hand_made_edge_cases_keyed() {
    let mut store = lab_store(captures::RAW_KEY);
    // Connection 1 is the one where we depart from ISC (next test).
    let sessions = replay(captures::RAW_KEY, true, &mut store, &[1], 0);
    assert_eq!(
        sessions[0].close_reason(),
        Some(&CloseReason::UnknownAuthenticator(7))
    );
}

/// ISC serves a message naming its key with no signature as if it were signed; we refuse it.
#[test]
fn authid_without_signature_is_refused() {
    let events = &connections(captures::RAW_KEY)[0];
    let mut store = lab_store(captures::RAW_KEY);
    let isc = split(&stream(events, false)).1;
    let first_id = Packet::new_unchecked(&isc[0][..], 24).id();
    let mut s = Session::new(at(Instant::now()), config(true), first_id);
    let client = split(&stream(events, true)).1;
    let mut ours = drain(&mut s);
    s.handle_bytes(at(Instant::now()), &stream(events, true), &mut store);
    ours.extend(drain(&mut s));
    let (_, replies) = split(&ours);
    assert_eq!(
        replies[0], isc[0],
        "the authenticator OPEN is answered as ISC does"
    );
    let refusal = Message::status(first_id + 1, 2, IscResult::InvalidKey.into(), None);
    assert_eq!(replies[1], refusal.to_vec().unwrap());
    assert_eq!(Packet::new_unchecked(&client[1][..], 24).authlen(), 0);
}

#[test]
fn replies_do_not_depend_on_read_sizes() {
    for chunk in [1, 3, 7] {
        let mut store = lab_store(captures::OMSHELL_KEY);
        replay(captures::OMSHELL_KEY, true, &mut store, &[], chunk);
        let mut store = lab_store(captures::RAW_NOKEY);
        replay(captures::RAW_NOKEY, false, &mut store, &[], chunk);
    }
}

// ---- built messages, for what the captures do not show --------------------------------

fn open_msg(id: u32, flags: &[&str], kind: &str, object: Vec<NamedValue>) -> Vec<u8> {
    let mut values: Vec<_> = flags
        .iter()
        .map(|f| NamedValue::new(*f, Value::Int(1)))
        .collect();
    values.push(NamedValue::new("type", Value::string(kind)));
    Message {
        op: Opcode::Open,
        id,
        message_values: values,
        object_values: object,
        ..Message::default()
    }
    .to_vec()
    .unwrap()
}

fn refresh_msg(id: u32, handle: u32) -> Vec<u8> {
    Message {
        op: Opcode::Refresh,
        handle,
        id,
        ..Message::default()
    }
    .to_vec()
    .unwrap()
}

fn open_session(config: Arc<SessionConfig>, store: &mut FakeStore) -> (Session, Instant) {
    let t0 = Instant::now();
    let mut s = Session::new(at(t0), config, 1000);
    assert_eq!(s.poll_transmit().unwrap(), Intro::OURS.to_bytes());
    s.handle_bytes(at(t0), &Intro::OURS.to_bytes(), store);
    assert_eq!(s.state(), State::Open);
    (s, t0)
}

fn replies(s: &mut Session) -> Vec<Message> {
    let mut out = Vec::new();
    while let Some(b) = s.poll_transmit() {
        out.push(Message::parse(&Packet::new_checked(&b[..], 24).unwrap()).unwrap());
    }
    out
}

fn status_of(m: &Message) -> (u32, Option<Vec<u8>>) {
    let result = m.message_value("result").and_then(Value::as_u32).unwrap();
    let text = m.message_value("message").map(Value::to_wire);
    (result, text)
}

#[test]
fn exclusive_create_of_an_existing_object() {
    let mut store = lab_store(captures::OMSHELL_NOKEY);
    let (mut s, t) = open_session(config(false), &mut store);
    let name = vec![NamedValue::new("name", Value::string("fo-test"))];
    s.handle_bytes(
        at(t),
        &open_msg(1, &["create", "exclusive"], "failover-state", name),
        &mut store,
    );
    let r = replies(&mut s);
    assert_eq!(
        status_of(&r[0]),
        (18, Some(b"specified object already exists".to_vec()))
    );
    assert_eq!(r[0].rid, 1);
    assert_eq!(r[0].id, 1000);
}

#[test]
fn host_lifecycle_and_control_shutdown() {
    let mut store = lab_store(captures::OMSHELL_NOKEY);
    let (mut s, t) = open_session(config(false), &mut store);
    let host = vec![
        NamedValue::new("name", Value::string("h2")),
        NamedValue::new("hardware-address", Value::Data(vec![0, 1, 2, 3, 4, 5])),
    ];
    s.handle_bytes(at(t), &open_msg(1, &["create"], "host", host), &mut store);
    let r = replies(&mut s);
    assert_eq!(r[0].op, Opcode::Update);
    let handle = r[0].handle;
    // UPDATE by handle sets a value and answers STATUS success with no text.
    let set_ip = Message {
        op: Opcode::Update,
        handle,
        id: 2,
        object_values: vec![NamedValue::new(
            "ip-address",
            Value::Data(vec![10, 99, 0, 9]),
        )],
        ..Message::default()
    };
    s.handle_bytes(at(t), &set_ip.to_vec().unwrap(), &mut store);
    s.handle_bytes(at(t), &refresh_msg(3, handle), &mut store);
    let r = replies(&mut s);
    assert_eq!(status_of(&r[0]), (0, None));
    assert_eq!(
        r[1].object_value("ip-address"),
        Some(&Value::Data(vec![10, 99, 0, 9]))
    );
    // An UPDATE without values is INVALIDARG, as ISC's omapi_object_update answers.
    let empty = Message {
        op: Opcode::Update,
        handle,
        id: 4,
        ..Message::default()
    };
    s.handle_bytes(at(t), &empty.to_vec().unwrap(), &mut store);
    let r = replies(&mut s);
    assert_eq!(
        status_of(&r[0]),
        (0x60003, Some(b"can't update object".to_vec()))
    );
    // Control: state 2 is accepted.
    s.handle_bytes(at(t), &open_msg(5, &[], "control", vec![]), &mut store);
    let control = replies(&mut s)[0].handle;
    let shutdown = Message {
        op: Opcode::Update,
        handle: control,
        id: 6,
        object_values: vec![NamedValue::new("state", Value::Int(2))],
        ..Message::default()
    };
    s.handle_bytes(at(t), &shutdown.to_vec().unwrap(), &mut store);
    assert_eq!(status_of(&replies(&mut s)[0]), (0, None));
    assert_eq!(store.control_states, [2]);
}

#[test]
fn refresh_and_delete_of_a_key_handle() {
    let mut store = lab_store(captures::OMSHELL_NOKEY);
    let (mut s, t) = open_session(config(false), &mut store);
    let key = vec![
        NamedValue::new("name", Value::string("omkey")),
        NamedValue::new("algorithm", Value::string("hmac-md5.SIG-ALG.REG.INT.")),
    ];
    s.handle_bytes(at(t), &open_msg(1, &[], "authenticator", key), &mut store);
    let h = replies(&mut s)[0].handle;
    s.handle_bytes(at(t), &refresh_msg(2, h), &mut store);
    let delete = Message {
        op: Opcode::Delete,
        handle: h,
        id: 3,
        ..Message::default()
    };
    s.handle_bytes(at(t), &delete.to_vec().unwrap(), &mut store);
    let r = replies(&mut s);
    assert_eq!(r[0].object_value("name"), Some(&Value::string("omkey")));
    assert_eq!(r[0].object_value("algorithm").unwrap().wire_len(), 25);
    assert_eq!(
        status_of(&r[1]),
        (27, Some(b"no remove method for object".to_vec()))
    );
}

#[test]
fn notify_is_not_implemented_and_unsearchable_types_are_named() {
    let mut store = FakeStore::new();
    let (mut s, t) = open_session(config(false), &mut store);
    let notify = Message {
        op: Opcode::Notify,
        id: 1,
        ..Message::default()
    };
    s.handle_bytes(at(t), &notify.to_vec().unwrap(), &mut store);
    s.handle_bytes(
        at(t),
        &open_msg(2, &[], "failover-link", vec![]),
        &mut store,
    );
    s.handle_bytes(
        at(t),
        &open_msg(3, &[], "authenticator", vec![]),
        &mut store,
    );
    let r = replies(&mut s);
    assert_eq!(
        status_of(&r[0]),
        (27, Some(b"notify not implemented yet".to_vec()))
    );
    assert_eq!(
        status_of(&r[1]),
        (27, Some(b"unsearchable object type".to_vec()))
    );
    // No values for a key lookup: NOKEYS, then the authenticator type cannot be created.
    assert_eq!(
        status_of(&r[2]),
        (27, Some(b"can't create new object".to_vec()))
    );
}

/// The lab's dhcpd.conf read by our parser gives the lab's session settings; `omapi-key`
/// names the key without regard to case, as ISC's key hash does.
#[test]
fn settings_come_from_the_configuration() {
    use crate::conf::parser::MemLoader;
    let conf = include_str!("../wire/omapi/testdata/lab/dhcpd-key.conf")
        .replace("omapi-key omkey;", "omapi-key OMKEY;");
    let loader = MemLoader(vec![("dhcpd.conf".into(), conf.into_bytes())]);
    let outcome = crate::conf::check_config("dhcpd.conf", &loader);
    let config = outcome.config.expect("the lab configuration is valid");
    assert_eq!(config.postconf.omapi_port, Some(7911));
    assert_eq!(config.postconf.omapi_key.as_deref(), Some("omkey"));
    let settings = SessionConfig::from_config(&config);
    assert_eq!(settings.omapi_key.as_deref(), Some("omkey"));
    assert_eq!(settings.keys.get("omkey"), Some(&omkey()));
    assert_eq!(settings.keys.get("shakey"), Some(&shakey()));
    // Driven by those settings, the keyed omshell session replays byte for byte.
    let mut store = lab_store(captures::OMSHELL_KEY);
    let events = &connections(captures::OMSHELL_KEY)[1];
    let isc = stream(events, false);
    let first_id = Packet::new_unchecked(&split(&isc).1[0][..], 24).id();
    let mut s = Session::new(at(Instant::now()), Arc::new(settings), first_id);
    s.handle_bytes(at(Instant::now()), &stream(events, true), &mut store);
    assert_eq!(drain(&mut s), isc);
}

#[path = "session_limits_tests.rs"]
mod limits;
