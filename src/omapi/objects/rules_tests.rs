//! Object rules the captures do not show, called on the store directly: host creation,
//! update and removal with their lease-file records and their effect in the engine, lookup
//! conflicts, the control object, `local-state` values, write failures, and reading host
//! records back at start-up.

use std::time::Instant;

use super::{lab_conf, now, Lab};
use crate::omapi::objects::hostfile;
use crate::omapi::objects::Objects;
use crate::omapi::store::{Attributes, ObjectStore, ObjectType, Target};
use crate::lease::records::{FailoverState, Record};
use crate::wire::omapi::{IscResult, NamedValue, Value};

fn attrs(pairs: &[(&str, &[u8])]) -> Attributes {
    let mut a = Attributes::new();
    for (n, v) in pairs {
        a.set(n.as_bytes(), Some(v.to_vec()));
    }
    a
}

const MAC: &[u8] = &[0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const ETHER: &[u8] = &[0, 0, 0, 1];

fn value<'a>(values: &'a [NamedValue], name: &str) -> Option<&'a Value> {
    values.iter().find(|nv| nv.name == name.as_bytes()).map(|nv| &nv.value)
}

/// OPEN with create, as omshell's `create` sends it: create, then update with the values.
fn create_host(objects: &mut Objects, lab: &mut Lab, values: &Attributes) -> (u32, Result<(), IscResult>) {
    let mut store = objects.store(lab, now(Instant::now()));
    let h = store.create(ObjectType::Host).unwrap();
    let r = store.update(h, values);
    (h, r)
}

#[test]
fn a_created_host_is_written_and_served_then_updated_then_removed() {
    let mut lab = Lab::new(&lab_conf(false));
    let mut objects = Objects::new();
    let (h, r) = create_host(
        &mut objects,
        &mut lab,
        &attrs(&[("name", b"h1"), ("hardware-address", MAC), ("hardware-type", ETHER), ("ip-address", &[10, 99, 0, 55])]),
    );
    r.unwrap();
    // The engine serves it at once: found by its hardware address, with its address.
    let id = lab.engine.hosts_by_hw(1, MAC)[0];
    assert_eq!(lab.engine.host(id).unwrap().name, "h1");
    assert!(lab.engine.host(id).unwrap().dynamic);
    // An update replaces the address: ISC writes a rubout, then the new declaration.
    let mut store = objects.store(&mut lab, now(Instant::now()));
    store.update(h, &attrs(&[("ip-address", &[10, 99, 0, 56]), ("dhcp-client-identifier", b"\x01\x00\x11")])).unwrap();
    assert_eq!(value(&store.values(h), "ip-address"), Some(&Value::Data(vec![10, 99, 0, 56])));
    // The name can be set only once.
    assert_eq!(store.update(h, &attrs(&[("name", b"other")])), Err(IscResult::Exists));
    store.remove(h).unwrap();
    // Removed twice: nothing more happens, as ISC's delete_host returns at once.
    store.remove(h).unwrap();
    // The handle still names the host; no key finds it.
    assert_eq!(store.target(h), Some(Target::Object(ObjectType::Host)));
    assert_eq!(store.lookup(ObjectType::Host, &attrs(&[("name", b"h1")])), Err(IscResult::NotFound));
    assert!(lab.engine.hosts_by_hw(1, MAC).is_empty());
    assert_eq!(
        lab.written_text(),
        "host h1 {\n  dynamic;\n  hardware ethernet 00:11:22:33:44:55;\n  fixed-address 10.99.0.55;\n}\n\
         host h1 {\n  dynamic;\n  deleted;\n}\n\
         host h1 {\n  dynamic;\n  hardware ethernet 00:11:22:33:44:55;\n  uid 01:00:11;\n  fixed-address 10.99.0.56;\n}\n\
         host h1 {\n  dynamic;\n  deleted;\n}\n"
    );
}

#[test]
fn a_host_needs_an_identifier_and_a_free_name() {
    let mut lab = Lab::new(&lab_conf(false));
    let mut objects = Objects::new();
    let (_, r) = create_host(&mut objects, &mut lab, &attrs(&[("name", b"x")]));
    assert_eq!(r, Err(IscResult::InvalidArg));
    let (_, r) = create_host(&mut objects, &mut lab, &attrs(&[("name", b"a"), ("dhcp-client-identifier", b"cid-a")]));
    r.unwrap();
    let (_, r) = create_host(&mut objects, &mut lab, &attrs(&[("name", b"a"), ("dhcp-client-identifier", b"cid-b")]));
    assert_eq!(r, Err(IscResult::Exists));
    // Without a name ISC makes one from the time and the object.
    let (h, r) = create_host(&mut objects, &mut lab, &attrs(&[("hardware-address", MAC)]));
    r.unwrap();
    let mut store = objects.store(&mut lab, now(Instant::now()));
    let name = match value(&store.values(h), "name") {
        Some(Value::Data(n)) => String::from_utf8(n.clone()).unwrap(),
        other => panic!("{other:?}"),
    };
    assert!(name.starts_with("nh65968") && name.len() == 18, "{name}");
    // No hardware-type given: ISC keeps type 0 and writes it as unknown-0.
    assert_eq!(value(&store.values(h), "hardware-type"), Some(&Value::Int(0)));
    assert!(lab.written_text().contains("hardware unknown-0 00:11:22:33:44:55;"));
    // A printable client id is written quoted.
    assert!(lab.written_text().contains("  uid \"cid-a\";\n"));
}

#[test]
fn host_values_follow_isc_rules() {
    let mut lab = Lab::new(&lab_conf(false));
    let mut objects = Objects::new();
    let mut store = objects.store(&mut lab, now(Instant::now()));
    let h = store.create(ObjectType::Host).unwrap();
    for (name, value, want) in [
        ("bogus", &b"1"[..], IscResult::UnknownAttribute),
        ("hardware-address", &[0u8; 21][..], IscResult::InvalidArg),
        ("hardware-type", &[1u8][..], IscResult::InvalidArg),
        ("group", &b"no-such-group"[..], IscResult::NotFound),
        ("statements", &b"option host-name \"x\";"[..], IscResult::NotImplemented),
        ("ip-address", &[10u8, 0, 0][..], IscResult::InvalidArg),
    ] {
        assert_eq!(store.update(h, &attrs(&[(name, value)])), Err(want), "{name}");
    }
    // `known` is accepted and ignored; with no identifier the commit is still refused.
    assert_eq!(store.update(h, &attrs(&[("known", &[0, 0, 0, 1])])), Err(IscResult::InvalidArg));
}

#[test]
fn hosts_are_found_by_every_key_and_conflicts_are_refused() {
    let mut lab = Lab::new(&lab_conf(false));
    let mut objects = Objects::new();
    // A host for the hardware address of the seeded lease of 10.99.0.60.
    let lab_mac: &[u8] = &[0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    let (h, r) = create_host(&mut objects, &mut lab, &attrs(&[("name", b"lc"), ("hardware-address", lab_mac), ("hardware-type", ETHER)]));
    r.unwrap();
    let (g, r) = create_host(&mut objects, &mut lab, &attrs(&[("name", b"other"), ("dhcp-client-identifier", b"u")]));
    r.unwrap();
    let mut store = objects.store(&mut lab, now(Instant::now()));
    assert_eq!(store.lookup(ObjectType::Host, &attrs(&[("hardware-address", lab_mac)])), Ok(h));
    assert_eq!(store.lookup(ObjectType::Host, &attrs(&[("ip-address", &[10, 99, 0, 60])])), Ok(h));
    assert_eq!(store.lookup(ObjectType::Host, &attrs(&[("dhcp-client-identifier", b"u")])), Ok(g));
    assert_eq!(
        store.lookup(ObjectType::Host, &attrs(&[("dhcp-client-identifier", b"u"), ("name", b"lc")])),
        Err(IscResult::KeyConflict)
    );
    assert_eq!(store.lookup(ObjectType::Host, &attrs(&[("ip-address", &[10, 99, 0, 61])])), Err(IscResult::NotFound));
    assert_eq!(store.lookup(ObjectType::Host, &attrs(&[("hardware-type", &[1, 0, 0, 1]), ("hardware-address", lab_mac)])), Err(IscResult::InvalidArg));
    assert_eq!(store.lookup(ObjectType::Host, &Attributes::new()), Err(IscResult::NoKeys));
    // By handle: a handle of another type is refused.
    let l = store.lookup(ObjectType::Lease, &attrs(&[("ip-address", &[10, 99, 0, 60])])).unwrap();
    assert_eq!(store.lookup(ObjectType::Host, &attrs(&[("handle", &l.to_be_bytes())])), Err(IscResult::InvalidArg));
    assert_eq!(store.lookup(ObjectType::Host, &attrs(&[("handle", &h.to_be_bytes())])), Ok(h));
}

#[test]
fn leases_are_found_by_client_id_and_hardware_and_refuse_what_isc_refuses() {
    let mut lab = Lab::new(&lab_conf(false));
    let mut objects = Objects::new();
    let mut store = objects.store(&mut lab, now(Instant::now()));
    let by_ip = store.lookup(ObjectType::Lease, &attrs(&[("ip-address", &[10, 99, 0, 60])])).unwrap();
    let by_uid = store.lookup(ObjectType::Lease, &attrs(&[("dhcp-client-identifier", b"\x01RT\x00\x124V")])).unwrap();
    let by_hw = store
        .lookup(ObjectType::Lease, &attrs(&[("hardware-address", b"RT\x00\x124V"), ("hardware-type", ETHER)]))
        .unwrap();
    assert_eq!((by_uid, by_hw), (by_ip, by_ip));
    // A free lease of the pool is found by address and shows its pool's counts by handle.
    let free = store.lookup(ObjectType::Lease, &attrs(&[("ip-address", &[10, 99, 0, 51])])).unwrap();
    let values = store.values(free);
    assert_eq!(value(&values, "state"), Some(&Value::Int(1)));
    let Some(Value::Handle(pool)) = value(&values, "pool").cloned() else { panic!() };
    let pool_values = store.values(pool);
    assert_eq!(value(&pool_values, "lease-count"), Some(&Value::Int(21)));
    assert_eq!(store.target(pool), Some(Target::Object(ObjectType::Pool)));
    // ISC's refusals.
    assert_eq!(store.update(by_ip, &attrs(&[("ip-address", &[1, 2, 3, 4])])), Err(IscResult::NoPerm));
    assert_eq!(store.update(by_ip, &attrs(&[("subnet", &[0, 0, 0, 1])])), Err(IscResult::InvalidArg));
    assert_eq!(store.update(by_ip, &attrs(&[("client-hostname", b"x")])), Ok(()));
    assert_eq!(store.remove(by_ip), Err(IscResult::NotImplemented));
    assert_eq!(store.create(ObjectType::Lease), Err(IscResult::NotImplemented));
}

#[test]
fn leases_take_state_ends_flags_and_variables_as_isc_does() {
    use crate::lease::{BindingState, BindingValue};
    let mut lab = Lab::new(&lab_conf(false));
    let mut objects = Objects::new();
    let mut store = objects.store(&mut lab, now(Instant::now()));
    let l = store.lookup(ObjectType::Lease, &attrs(&[("ip-address", &[10, 99, 0, 60])])).unwrap();
    let state = |store: &mut dyn ObjectStore| value(&store.values(l), "state").cloned();
    // Refusals: a state outside 1-7, a value that is not 4 bytes, names the file cannot hold.
    assert_eq!(store.update(l, &attrs(&[("state", &[0, 0, 0, 9])])), Err(IscResult::InvalidArg));
    assert_eq!(store.update(l, &attrs(&[("state", &[2])])), Err(IscResult::InvalidArg));
    assert_eq!(store.update(l, &attrs(&[("ends", &[1, 2])])), Err(IscResult::InvalidArg));
    assert_eq!(store.update(l, &attrs(&[("a b", b"x")])), Err(IscResult::InvalidArg));
    assert_eq!(store.update(l, &attrs(&[("uid", b"x")])), Err(IscResult::InvalidArg));
    // The same state is unchanged; a variable is written and shown first.
    assert_eq!(store.update(l, &attrs(&[("state", &[0, 0, 0, 2]), ("foo", b"bar")])), Ok(()));
    assert_eq!(state(&mut store), Some(Value::Int(2)));
    assert_eq!(store.values(l).last(), Some(&NamedValue::new("foo", Value::Data(b"bar".to_vec()))));
    // Removing a variable the lease lacks.
    let mut clear = Attributes::new();
    clear.set(b"nosuch", None);
    assert_eq!(store.update(l, &clear), Err(IscResult::UnknownAttribute));
    // `ends` runs the pending transition: to the lease file's `next binding state expired`.
    assert_eq!(store.update(l, &attrs(&[("ends", &1_900_000_000u32.to_be_bytes())])), Ok(()));
    assert_eq!(state(&mut store), Some(Value::Int(3)));
    assert_eq!(value(&store.values(l), "ends"), Some(&Value::Int(1_900_000_000)));
    // What comes before a refusal stays done.
    assert_eq!(store.update(l, &attrs(&[("state", &[0, 0, 0, 2]), ("starts", &[0, 0, 0, 1])])), Err(IscResult::NoPerm));
    assert_eq!(state(&mut store), Some(Value::Int(2)));
    // Flags: one byte or omshell's integer; only ISC's ephemeral bits.
    assert_eq!(store.update(l, &attrs(&[("flags", &[0, 0, 0, 8 | 1])])), Ok(()));
    assert_eq!(value(&store.values(l), "flags"), Some(&Value::Data(vec![8])));
    store.remote_handle(l, l);
    let last = lab.written.iter().rev().find_map(|r| match r {
        Record::Lease(x) => Some(x.clone()),
        _ => None,
    });
    let last = last.expect("lease records written");
    // Flags superseded the lease too: active to its next state, free (this engine has no
    // failover hooks).
    assert_eq!(last.binding_state, BindingState::Free);
    let vars: Vec<(&str, &BindingValue)> = last.bindings.iter().map(|b| (b.name.as_str(), &b.value)).collect();
    assert_eq!(
        vars,
        vec![("remote-handle", &BindingValue::Numeric(i64::from(l))), ("foo", &BindingValue::Data(b"bar".to_vec()))]
    );
}

#[test]
fn control_state_two_asks_the_server_to_stop_once() {
    let mut lab = Lab::new(&lab_conf(false));
    let mut objects = Objects::new();
    let mut store = objects.store(&mut lab, now(Instant::now()));
    let c = store.lookup(ObjectType::Control, &Attributes::new()).unwrap();
    assert_eq!(store.update(c, &attrs(&[("state", &[0, 0, 0, 1])])), Err(IscResult::InvalidArg));
    assert_eq!(store.update(c, &attrs(&[("state", &[2])])), Err(IscResult::InvalidArg));
    assert_eq!(store.update(c, &attrs(&[("other", &[0, 0, 0, 2])])), Err(IscResult::NotFound));
    store.update(c, &attrs(&[("state", &[0, 0, 0, 2])])).unwrap();
    store.update(c, &attrs(&[("state", &[0, 0, 0, 2])])).unwrap();
    assert_eq!(value(&store.values(c), "state"), Some(&Value::Int(2)));
    assert_eq!(store.remove(c), Err(IscResult::NotImplemented));
    assert_eq!(lab.shutdowns, 1);
}

#[test]
fn local_state_takes_known_states_only() {
    let mut lab = Lab::new(&lab_conf(false));
    let mut objects = Objects::new();
    let mut store = objects.store(&mut lab, now(Instant::now()));
    let f = store.lookup(ObjectType::FailoverState, &attrs(&[("name", b"fo-test")])).unwrap();
    assert_eq!(store.update(f, &attrs(&[("local-state", &[0, 0, 0, 99])])), Err(IscResult::InvalidArg));
    assert_eq!(store.update(f, &attrs(&[("local-state", &[4])])), Err(IscResult::InvalidArg));
    // Other listed attributes are accepted and ignored.
    store.update(f, &attrs(&[("mclt", &[0, 0, 0, 1]), ("local-state", &[0, 0, 0, 4])])).unwrap();
    assert_eq!(value(&store.values(f), "local-state"), Some(&Value::Int(4)));
    assert_eq!(value(&store.values(f), "mclt"), Some(&Value::Int(60)));
    assert_eq!(lab.peers[0].state().state, FailoverState::PartnerDown);
}

#[test]
fn a_failed_write_is_an_io_error() {
    let mut lab = Lab::new(&lab_conf(false));
    lab.fail_writes = true;
    let mut objects = Objects::new();
    let (_, r) = create_host(&mut objects, &mut lab, &attrs(&[("name", b"h"), ("hardware-address", MAC)]));
    assert_eq!(r, Err(IscResult::IoError));
    // A name the lease file cannot hold is an I/O error too, as in ISC.
    lab.fail_writes = false;
    let (_, r) = create_host(&mut objects, &mut lab, &attrs(&[("name", b"a\"b"), ("dhcp-client-identifier", b"q")]));
    assert_eq!(r, Err(IscResult::IoError));
}

#[test]
fn host_records_read_back_at_start_up() {
    // What ISC wrote for a host made through omshell (reference §2.7, its statements aside),
    // our records, and a rubout of a configuration host.
    let conf = lab_conf(false) + "group staff { default-lease-time 600; }\nhost fixed1 { hardware ethernet 00:00:00:00:00:01; }\n";
    let mut lab = Lab::new(&conf);
    let file = "host h1 {\n  dynamic;\n  hardware ethernet 00:11:22:33:44:55;\n  fixed-address 10.50.0.50;\n        supersede host-name = \"h1x\";\n}\n\
                host h2 {\n  dynamic;\n  uid \"\\001ab\";\n  group \"staff\";\n}\n\
                host h3 {\n  dynamic;\n  uid 01:02:03;\n}\n\
                host h3 {\n  dynamic;\n  deleted;\n}\n\
                host fixed1 {\n  deleted;\n}\n";
    let log = crate::lease::file::read_lease_file("dhcpd.leases", file.as_bytes(), crate::lease::file::ReadOptions::at(0)).unwrap();
    let records: Vec<_> = log
        .entries
        .iter()
        .filter_map(|e| match &e.record {
            Record::Host(h) => Some(h),
            _ => None,
        })
        .collect();
    let lines = hostfile::apply(records, &mut lab.engine);
    // A rewrite keeps the rubout of the configuration host and the live dynamic hosts.
    let mut rewritten = Vec::new();
    for r in hostfile::rewrite_records(&lab.engine) {
        if let Record::Host(h) = r {
            crate::lease::write::host(&mut rewritten, &h);
        }
    }
    assert_eq!(
        String::from_utf8(rewritten).unwrap(),
        "host fixed1 {\n  deleted;\n}\n\
         host h1 {\n  dynamic;\n  hardware ethernet 00:11:22:33:44:55;\n  fixed-address 10.50.0.50;\n}\n\
         host h2 {\n  dynamic;\n  uid 01:61:62;\n  group \"staff\";\n}\n"
    );
    assert_eq!(lines, ["host h1: statements in the lease file not applied: supersede host-name = \"h1x\""]);
    let h1 = lab.engine.host_by_name(b"h1").unwrap();
    assert_eq!(lab.engine.hosts_by_hw(1, MAC), &[h1]);
    let h2 = lab.engine.host(lab.engine.host_by_name(b"h2").unwrap()).unwrap();
    assert_eq!(h2.uid.as_deref(), Some(&b"\x01ab"[..]));
    assert_eq!(lab.engine.config().named_groups[h2.named_group.unwrap()].name, "staff");
    assert_eq!(lab.engine.host_by_name(b"h3"), None);
    assert_eq!(lab.engine.host_by_name(b"fixed1"), None);
    assert!(lab.engine.hosts_by_hw(1, &[0, 0, 0, 0, 0, 1]).is_empty());
    // Our record of h2 is what we read.
    let d = crate::omapi::objects::HostDraft::from_host(h2);
    let Record::Host(r) = hostfile::record(&d, lab.engine.config()).unwrap() else { panic!() };
    let mut text = Vec::new();
    crate::lease::write::host(&mut text, &r);
    assert_eq!(String::from_utf8(text).unwrap(), "host h2 {\n  dynamic;\n  uid 01:61:62;\n  group \"staff\";\n}\n");
}

#[test]
fn host_objects_never_entered_are_capped() {
    let mut lab = Lab::new(&lab_conf(false));
    let mut objects = Objects::new();
    let mut store = objects.store(&mut lab, now(Instant::now()));
    for _ in 0..crate::omapi::objects::MAX_DRAFTS {
        store.create(ObjectType::Host).unwrap();
    }
    assert_eq!(store.create(ObjectType::Host), Err(IscResult::NoMemory));
    assert_eq!(store.create(ObjectType::FailoverState), Err(IscResult::NotImplemented));
}
