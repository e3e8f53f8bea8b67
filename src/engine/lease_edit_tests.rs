//! OMAPI lease edits on a bound lease, as ISC makes them.

use super::*;
use crate::engine::tests::{dora, engine, lease, lines, Client, T0};

const CONF: &str = "authoritative;\nping-check false;\ndefault-lease-time 600;\n\
    subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n";

fn bound() -> (crate::engine::tests::TestEngine, Ipv4Addr) {
    let mut e = engine(CONF);
    let mut c = Client::new(7);
    c.extra.push((12, b"box".to_vec()));
    let (ip, _) = dora(&mut e, T0, &c);
    assert_eq!(lease(&e, ip).client_hostname.as_deref(), Some(&b"box"[..]));
    (e, ip)
}

fn changed(r: Result<Edited, EditError>) -> (Outcome, bool) {
    match r {
        Ok(Edited::Changed { out, propagate }) => (out, propagate),
        other => panic!("expected a change, got {other:?}"),
    }
}

#[test]
fn state_runs_the_transition_and_is_written() {
    let (mut e, ip) = bound();
    let (out, propagate) = changed(e.edit_lease(ip, LeaseEdit::State(BindingState::Free), T0 + 5));
    assert!(propagate);
    let l = lease(&e, ip);
    assert_eq!(l.binding_state, BindingState::Free);
    // Active to free is an expiry: the client's hostname goes.
    assert_eq!(l.client_hostname, None);
    assert_eq!(out.lease_changes.last(), Some(&l));
    assert_eq!(
        lines(&out),
        vec![format!("lease {ip} state changed from active to free")]
    );
}

#[test]
fn the_same_state_is_unchanged() {
    let (mut e, ip) = bound();
    assert!(matches!(
        e.edit_lease(ip, LeaseEdit::State(BindingState::Active), T0),
        Ok(Edited::Unchanged)
    ));
}

#[test]
fn ends_makes_the_pending_transition_as_isc_does() {
    let (mut e, ip) = bound();
    let before = lease(&e, ip).ends;
    let (out, _) = changed(e.edit_lease(ip, LeaseEdit::Ends(1_900_000_000), T0 + 5));
    let l = lease(&e, ip);
    assert_eq!(l.ends, 1_900_000_000);
    // Without a failover peer an active lease's next state is free.
    assert_eq!(l.binding_state, BindingState::Free);
    assert_eq!(
        lines(&out),
        vec![format!("lease {ip} end changed from {before} to 1900000000")]
    );
}

#[test]
fn flags_change_only_the_ephemeral_bits() {
    let (mut e, ip) = bound();
    let (out, _) = changed(e.edit_lease(ip, LeaseEdit::Flags(flags::MS_NULL_TERMINATION | 1), T0 + 5));
    assert_eq!(e.lease_entry(ip).map(|x| x.flags()), Some(flags::MS_NULL_TERMINATION));
    assert_eq!(
        lines(&out),
        vec![format!("lease flags changed from  0 to 8 for lease {ip}.")]
    );
    assert!(matches!(
        e.edit_lease(ip, LeaseEdit::Flags(flags::MS_NULL_TERMINATION), T0),
        Ok(Edited::Unchanged)
    ));
}

#[test]
fn variables_are_written_without_a_transition_or_the_partner() {
    let (mut e, ip) = bound();
    let set = |v: &[u8]| LeaseEdit::Variable("Foo".into(), Some(BindingValue::Data(v.to_vec())));
    let (out, propagate) = changed(e.edit_lease(ip, set(b"bar"), T0));
    assert!(!propagate);
    assert_eq!(lease(&e, ip).binding_state, BindingState::Active);
    assert_eq!(out.lease_changes.len(), 1);
    e.edit_lease(
        ip,
        LeaseEdit::Variable("other".into(), Some(BindingValue::Numeric(2))),
        T0,
    )
    .unwrap();
    // A new one goes in front; an existing one is found whatever its case.
    e.edit_lease(
        ip,
        LeaseEdit::Variable("foo".into(), Some(BindingValue::Data(b"baz".to_vec()))),
        T0,
    )
    .unwrap();
    let names: Vec<(String, BindingValue)> = lease(&e, ip).bindings.into_iter().map(|b| (b.name, b.value)).collect();
    assert_eq!(
        names,
        vec![
            ("other".into(), BindingValue::Numeric(2)),
            ("Foo".into(), BindingValue::Data(b"baz".to_vec()))
        ]
    );
    e.edit_lease(ip, LeaseEdit::Variable("FOO".into(), None), T0).unwrap();
    assert_eq!(lease(&e, ip).bindings.len(), 1);
    assert_eq!(
        e.edit_lease(ip, LeaseEdit::Variable("foo".into(), None), T0)
            .unwrap_err(),
        EditError::NoVariable
    );
}

#[test]
fn an_unknown_address_is_no_lease() {
    let (mut e, _) = bound();
    let err = e
        .edit_lease(Ipv4Addr::new(192, 0, 2, 1), LeaseEdit::State(BindingState::Free), T0)
        .unwrap_err();
    assert_eq!(err, EditError::NoLease);
}
