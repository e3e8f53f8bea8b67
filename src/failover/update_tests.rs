//! Tests of the BNDUPD/BNDACK lease rules, including byte-exact BNDUPDs
//! against ISC's [seen] captures (reference §1.5).

use super::*;
use crate::failover::binding::{ack, Client};
use crate::wire::failover::Packet;

const T: Time = 0x6b03_d000;

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn rel(role: Role, me: FailoverState) -> Relationship {
    Relationship {
        role,
        me,
        partner: FailoverState::Normal,
        stos: 0,
        mclt: 60,
    }
}

fn client() -> Client {
    Client {
        uid: Some(hex("01aabbccddee01")),
        hardware: Some(HardwareAddr {
            htype: 1,
            addr: hex("3a05f80d0cc2"),
        }),
    }
}

fn active_lease() -> Lease {
    let mut l = Lease::new(Ipv4Addr::new(10, 50, 0, 110));
    ack(&mut l, &client(), 600, &rel(Role::Primary, FailoverState::Normal), T);
    l
}

#[test]
fn bndupd_for_a_fresh_ack_is_iscs_seen_bytes() {
    // default-lease-time 600, MCLT 60: ends = now+60, tstp = now+630.
    let upd = BindUpdate::from_lease(&active_lease(), Role::Primary);
    let wire = upd.to_message(0x6b03_d000, 5).to_vec().unwrap();
    let seen = hex(
        "004f 03 0c 6b03d000 00000005 0002 0004 0a32006e 0003 0001 02 0004 0007 01aabbccddee01
         0005 0007 013a05f80d0cc2 000d 0004 6b03d03c 0012 0004 6b03d276 0019 0004 6b03d000
         0006 0004 6b03d000",
    );
    assert_eq!(wire, seen);
}

#[test]
fn bndupd_for_a_virgin_free_lease_is_49_bytes() {
    let l = Lease::new(Ipv4Addr::new(10, 50, 0, 100));
    let wire = BindUpdate::from_lease(&l, Role::Secondary)
        .to_message(0x6b03_cf00, 1)
        .to_vec()
        .unwrap();
    let seen = hex("0031 03 0c 6b03cf00 00000001 0002 0004 0a320064 0003 0001 01 000d 0004 00000000 0012 0004 00000000 0019 0004 00000000");
    assert_eq!(wire, seen);
}

#[test]
fn reserved_leases_are_offered_in_the_peers_free_state() {
    let mut l = Lease::new(Ipv4Addr::new(10, 0, 0, 1));
    l.reserved = true;
    let u = BindUpdate::from_lease(&l, Role::Primary);
    assert_eq!((u.state, u.flags), (B::Backup.code(), Some(IP_FLAG_RESERVE)));
    l.binding_state = B::Backup;
    l.bootp = true;
    let u = BindUpdate::from_lease(&l, Role::Secondary);
    assert_eq!(
        (u.state, u.flags),
        (B::Free.code(), Some(IP_FLAG_RESERVE | IP_FLAG_BOOTP))
    );
}

#[test]
fn received_bndupd_round_trips_and_requires_address_and_state() {
    let upd = BindUpdate::from_lease(&active_lease(), Role::Primary);
    let bytes = upd.to_message(1, 2).to_vec().unwrap();
    let msg = Message::parse(&Packet::new_unchecked(&bytes[..])).unwrap();
    assert_eq!(BindUpdate::from_message(&msg).unwrap(), upd);
    let mut bare = msg;
    bare.options.binding_status = None;
    let err = BindUpdate::from_message(&bare).unwrap_err();
    assert_eq!(err.reason, RejectReason::MissingBindInfo);
    assert_eq!(err.message, "binding update lacks required options");
}

#[test]
fn dueling_rules() {
    use Role::*;
    assert!(lease_is_better(B::Active, 10, B::Active, 9, Secondary));
    assert!(!lease_is_better(B::Active, 10, B::Active, 11, Primary));
    assert!(lease_is_better(B::Active, 10, B::Active, 10, Primary));
    assert!(!lease_is_better(B::Active, 10, B::Active, 10, Secondary));
    assert!(!lease_is_better(B::Active, 10, B::Expired, 0, Primary));
    assert!(!lease_is_better(B::Free, 0, B::Active, 0, Primary));
    assert!(lease_is_better(B::Free, 0, B::Free, 0, Primary));
    assert!(!lease_is_better(B::Free, 0, B::Free, 0, Secondary));
    assert!(lease_is_better(B::Active, 10, B::Free, 0, Primary));
}

#[test]
fn normal_state_checks() {
    let now = 1000;
    let mut l = Lease::new(Ipv4Addr::new(10, 0, 0, 1));
    for new in BindingState::ALL {
        assert_eq!(normal_transition_check(&l, Role::Primary, new, 0, now), new);
    }
    l.binding_state = B::Active;
    l.ends = 2000;
    assert_eq!(
        normal_transition_check(&l, Role::Primary, B::Released, 0, now),
        B::Released
    );
    assert_eq!(
        normal_transition_check(&l, Role::Primary, B::Expired, 0, now),
        B::Active
    );
    assert_eq!(
        normal_transition_check(&l, Role::Secondary, B::Expired, 0, now),
        B::Active
    );
    l.ends = now + EXPIRY_SKEW;
    assert_eq!(
        normal_transition_check(&l, Role::Secondary, B::Expired, 0, now),
        B::Expired
    );
    assert_eq!(
        normal_transition_check(&l, Role::Secondary, B::Free, now + 1, now),
        B::Active
    );
    assert_eq!(normal_transition_check(&l, Role::Secondary, B::Free, now, now), B::Free);
    l.binding_state = B::Expired;
    assert_eq!(
        normal_transition_check(&l, Role::Primary, B::Backup, now + 1, now),
        B::Expired
    );
    assert_eq!(
        normal_transition_check(&l, Role::Primary, B::Active, now + 1, now),
        B::Active
    );
    l.binding_state = B::Backup;
    assert_eq!(
        normal_transition_check(&l, Role::Secondary, B::Backup, 0, now),
        B::Backup
    );
    assert_eq!(conflict_transition_check(&l, B::Active, now), B::Active);
    l.binding_state = B::Active;
    l.ends = now + 100;
    assert_eq!(conflict_transition_check(&l, B::Free, now), B::Active);
    assert_eq!(conflict_transition_check(&l, B::Expired, now), B::Active);
    assert_eq!(conflict_transition_check(&l, B::Released, now), B::Released);
}

fn ctx<'a>(r: &'a Relationship, in_flight: Option<BindingState>, now: Time) -> UpdateContext<'a> {
    UpdateContext {
        rel: r,
        hba: None,
        in_flight,
        now,
    }
}

#[test]
fn active_update_installs_the_binding_with_its_times() {
    let r = rel(Role::Secondary, FailoverState::Normal);
    let mine = Lease::new(Ipv4Addr::new(10, 50, 0, 110));
    let upd = BindUpdate::from_lease(&active_lease(), Role::Primary);
    let out = apply_update(&mine, &upd, &ctx(&r, None, T)).unwrap();
    let l = out.lease;
    assert_eq!(
        (l.binding_state, l.starts, l.ends, l.tsfp, l.atsfp),
        (B::Active, T, T + 60, T + 630, T + 630)
    );
    assert_eq!(l.uid, client().uid);
    assert_eq!(l.hardware, client().hardware);
    assert_eq!(l.cltt, T);
    assert!(!out.cancelled_mine);
}

#[test]
fn expired_update_is_stored_free_and_may_go_to_backup() {
    let hba = Hba::from_split(128).unwrap();
    let r = rel(Role::Primary, FailoverState::Normal);
    let mut mine = active_lease();
    mine.uid = Some(hex("01aabbccddee04")); // the secondary's bucket
    mine.ends = T;
    let mut theirs = mine.clone();
    theirs.binding_state = B::Expired;
    theirs.cltt = T;
    let upd = BindUpdate::from_lease(&theirs, Role::Secondary);
    let out = apply_update(
        &mine,
        &upd,
        &UpdateContext {
            rel: &r,
            hba: Some(&hba),
            in_flight: None,
            now: T + 1,
        },
    );
    // Expired from the secondary on an ACTIVE primary lease: ISC refuses.
    assert_eq!(out.unwrap_err().reason, RejectReason::FatalConflict);
    let r2 = rel(Role::Secondary, FailoverState::Normal);
    let out = apply_update(&mine, &upd, &ctx(&r2, None, T + 1)).unwrap();
    assert_eq!(out.lease.binding_state, B::Free);
    let mut released = theirs.clone();
    released.binding_state = B::Released;
    let upd = BindUpdate::from_lease(&released, Role::Secondary);
    let out = apply_update(
        &mine,
        &upd,
        &UpdateContext {
            rel: &r,
            hba: Some(&hba),
            in_flight: None,
            now: T + 1,
        },
    );
    let out = out.unwrap();
    assert_eq!(out.lease.binding_state, B::Free);
    assert!(out.send_to_backup);
}

#[test]
fn invalid_transition_text_is_iscs() {
    let r = rel(Role::Primary, FailoverState::Normal);
    let mine = active_lease();
    let mut theirs = Lease::new(mine.ip);
    theirs.binding_state = B::Backup;
    theirs.tstp = T + 1000;
    // At the lease's end, so our own "outdated" rule does not decide first.
    let err = apply_update(
        &mine,
        &BindUpdate::from_lease(&theirs, Role::Secondary),
        &ctx(&r, None, mine.ends),
    )
    .unwrap_err();
    assert_eq!(err.reason, RejectReason::FatalConflict);
    assert_eq!(err.message, "10.50.0.110: invalid state transition: active to backup");
}

#[test]
fn chaddr_rules() {
    let r = rel(Role::Secondary, FailoverState::Normal);
    let mine = Lease::new(Ipv4Addr::new(10, 50, 0, 110));
    let mut upd = BindUpdate::from_lease(&active_lease(), Role::Primary);
    upd.chaddr = None;
    assert_eq!(
        apply_update(&mine, &upd, &ctx(&r, None, T)).unwrap_err().message,
        "BNDUPD without CHADDR"
    );
    upd.state = B::Abandoned.code();
    upd.uid = None;
    let out = apply_update(&mine, &upd, &ctx(&r, None, T)).unwrap();
    assert_eq!(out.lease.hardware, None);
    upd.chaddr = Some(vec![1, 2]);
    assert_eq!(
        apply_update(&mine, &upd, &ctx(&r, None, T)).unwrap_err().message,
        "BNDUPD to ABANDONED with a CHADDR"
    );
    upd.state = 42;
    assert_eq!(
        apply_update(&mine, &upd, &ctx(&r, None, T)).unwrap_err().reason,
        RejectReason::MiscReject
    );
}

#[test]
fn dueling_update_loses_to_my_better_one() {
    let r = rel(Role::Primary, FailoverState::Normal);
    let mine = Lease::new(Ipv4Addr::new(10, 50, 0, 100));
    let theirs = Lease::new(mine.ip);
    let upd = BindUpdate::from_lease(&theirs, Role::Secondary);
    // [seen] fresh pair: the primary refuses the secondary's BNDUPD(free).
    let err = apply_update(&mine, &upd, &ctx(&r, Some(B::Free), T)).unwrap_err();
    assert_eq!(err.reason, RejectReason::LessCritBindInfo);
    assert_eq!(err.message, "incoming update is less critical than outgoing update");
    let r2 = rel(Role::Secondary, FailoverState::Normal);
    let out = apply_update(
        &mine,
        &BindUpdate::from_lease(&theirs, Role::Primary),
        &ctx(&r2, Some(B::Free), T),
    );
    assert!(out.unwrap().cancelled_mine);
}

#[test]
fn older_transaction_never_overwrites_a_live_binding() {
    // Mechanism 1 of the fault report: the peer's queued EXPIRED with an
    // older CLTT arrives after we renewed the client.
    let r = rel(Role::Secondary, FailoverState::Normal);
    let mut mine = active_lease();
    ack(&mut mine, &client(), 600, &r, T + 30);
    let mut stale = active_lease();
    stale.binding_state = B::Expired;
    let err = apply_update(
        &mine,
        &BindUpdate::from_lease(&stale, Role::Primary),
        &ctx(&r, None, T + 40),
    )
    .unwrap_err();
    assert_eq!(err.reason, RejectReason::OutdatedBindInfo);
    // An ISC echo of the same binding without CLTT is accepted.
    let mut echo = BindUpdate::from_lease(&mine, Role::Primary);
    echo.cltt = None;
    assert!(apply_update(&mine, &echo, &ctx(&r, None, T + 40)).is_ok());
    // Once the binding is over, the expiry is accepted.
    let ok = apply_update(
        &mine,
        &BindUpdate::from_lease(&stale, Role::Primary),
        &ctx(&r, None, mine.ends),
    );
    assert_eq!(ok.unwrap().lease.binding_state, B::Free);
}

#[test]
fn ack_frees_transitional_leases() {
    let hba = Hba::from_split(128).unwrap();
    let mut l = active_lease();
    l.uid = Some(hex("01aabbccddee04"));
    l.binding_state = B::Expired;
    l.tstp = T + 60;
    assert!(apply_ack(&mut l, B::Expired, Role::Primary, Some(&hba)));
    assert_eq!((l.binding_state, l.tsfp, l.atsfp), (B::Free, T + 60, T + 60));
    let mut l = active_lease();
    assert!(!apply_ack(&mut l, B::Active, Role::Secondary, Some(&hba)));
    assert_eq!((l.binding_state, l.tsfp), (B::Active, T + 630));
    let mut r = Lease::new(Ipv4Addr::new(10, 0, 0, 9));
    r.reserved = true;
    r.binding_state = B::Released;
    apply_ack(&mut r, B::Released, Role::Secondary, None);
    assert_eq!(r.binding_state, B::Backup);
}
