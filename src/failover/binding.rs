//! Lease-level failover rules as pure functions over [`Lease`]: who may
//! hand out which lease in which state, how long a lease may be granted
//! before the peer has acknowledged it, and the binding-state moves a server
//! makes on its own (DHCPACK, release, expiry, the pool timer).
//!
//! The rules are ISC's (`lease_mine_to_reallocate`, `ack_lease`,
//! `make_binding_state_transition`, `pool_timer`, reference §1.11–1.12)
//! with three deliberate differences, each closing a hole through which an
//! ISC pair was seen to bind one address to two clients
//! (`isc-failover-under-faults.md`):
//!
//! 1. **No rewind.** ISC lets an expired or released lease go straight back
//!    to its server's free pool while the peer cannot be told, if the peer
//!    never heard it was bound. We keep it expired/released until the peer
//!    acknowledges the change, or until partner-down's MCLT wait is over.
//! 2. **Partner-down waits for the peer's last promise.** ISC sets an
//!    expired lease's tsfp to stos + MCLT on entering partner-down, which
//!    forgets a later potential-expiry the peer was told, and lets leases
//!    that expire during partner-down go free at max(tsfp, ends). The peer
//!    may have extended a client up to MCLT past the potential expiry it was
//!    acknowledged, so we hold every lease the peer might still have given
//!    out until max(tsfp, stos) + MCLT and its `ends`.
//! 3. The same wait applies to taking the peer's free leases (as in ISC)
//!    and also to `ends`, so a lease the peer bound and we only learnt of
//!    late is never taken early.

use crate::failover::hash::{bucket_is_primary, Hba};
use crate::failover::state::{service_state, FailoverState, Role, ServiceState};
use crate::lease::{BindingState, HardwareAddr, Lease, Time, NEVER};

use BindingState as B;

/// What the lease rules need to know about the relationship at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relationship {
    /// This server's role.
    pub role: Role,
    /// This server's state.
    pub me: FailoverState,
    /// The peer's state as last heard.
    pub partner: FailoverState,
    /// When this server entered its state (ISC `me.stos`).
    pub stos: Time,
    /// Maximum client lead time in seconds.
    pub mclt: Time,
}

impl Relationship {
    /// What this server may do for clients now.
    pub fn service(&self) -> ServiceState {
        service_state(self.me, self.partner).0
    }

    /// The free state this server allocates from: FREE on the primary,
    /// BACKUP on the secondary.
    pub fn my_free(&self) -> BindingState {
        my_free_state(self.role)
    }

    /// The free state the peer allocates from.
    pub fn peer_free(&self) -> BindingState {
        my_free_state(other(self.role))
    }

    /// The end of the MCLT wait for a lease the peer may have promised up to
    /// `tsfp`: max(tsfp, stos) + MCLT.
    pub fn peer_release_time(&self, tsfp: Time) -> Time {
        peer_release_time(tsfp, self.stos, self.mclt)
    }
}

/// The end of the MCLT wait in partner-down (entered at `stos`) for a lease
/// the peer may have promised up to `tsfp`: max(tsfp, stos) + MCLT. Until
/// then the peer, cut off, may still be extending a client on it (module
/// doc, point 2). The serving engine and the simulation both use this.
pub fn peer_release_time(tsfp: Time, stos: Time, mclt: Time) -> Time {
    tsfp.max(stos).saturating_add(mclt)
}

/// Whether a lease whose peer-promised end is `tsfp` and whose own end is
/// `ends` is past partner-down's wait at `now` (module doc, points 2 and 3).
fn past_partner_down_wait(tsfp: Time, ends: Time, stos: Time, mclt: Time, now: Time) -> bool {
    now > peer_release_time(tsfp, stos, mclt) && (ends == 0 || (ends != NEVER && now > ends))
}

/// The other role.
pub fn other(role: Role) -> Role {
    match role {
        Role::Primary => Role::Secondary,
        Role::Secondary => Role::Primary,
    }
}

/// FREE for the primary, BACKUP for the secondary.
pub fn my_free_state(role: Role) -> BindingState {
    match role {
        Role::Primary => B::Free,
        Role::Secondary => B::Backup,
    }
}

/// Whether this server may give `lease` to a client that does not hold it
/// (ISC `lease_mine_to_reallocate` plus the service state, with the
/// differences in the module doc). `now` is compared strictly, as ISC does.
pub fn may_allocate(lease: &Lease, rel: &Relationship, now: Time) -> bool {
    let service = rel.service();
    if !service.serves() {
        return false;
    }
    match lease.binding_state {
        B::Active => false,
        s if s == rel.my_free() || s == B::Abandoned => {
            // Abandoned leases are ISC's FREE for this purpose; on the
            // secondary they follow the peer-owned rule.
            rel.role == Role::Primary || s == B::Backup || reclaimable(lease, rel, now)
        }
        _ => reclaimable(lease, rel, now),
    }
}

/// Partner-down may take a lease the peer could have promised only after
/// the MCLT wait and the lease's end.
fn reclaimable(lease: &Lease, rel: &Relationship, now: Time) -> bool {
    rel.service() == ServiceState::PartnerDown && past_partner_down_wait(lease.tsfp, lease.ends, rel.stos, rel.mclt, now)
}

/// The lease time a server may grant under failover (ISC `ack_lease`):
/// up to MCLT freely; beyond it only up to the peer-acknowledged potential
/// expiry `tsfp` plus MCLT.
pub fn granted_lease_time(desired: Time, tsfp: Time, mclt: Time, now: Time) -> Time {
    if desired <= mclt {
        desired
    } else if tsfp <= now {
        mclt
    } else if now.saturating_add(desired) > tsfp.saturating_add(mclt) {
        tsfp - now + mclt
    } else {
        desired
    }
}

/// The client a lease is bound to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    /// Hardware type and address.
    pub hardware: Option<HardwareAddr>,
    /// Client identifier (option 61 value).
    pub uid: Option<Vec<u8>>,
}

impl Client {
    /// Whether `lease` is bound to this client (uid when both have one,
    /// else hardware address).
    pub fn holds(&self, lease: &Lease) -> bool {
        match (&self.uid, &lease.uid) {
            (Some(a), Some(b)) => a == b,
            _ => self.hardware.is_some() && self.hardware == lease.hardware,
        }
    }
}

/// Makes `lease` ACTIVE for `client` as a DHCPACK does at `now`, asking for
/// `desired` seconds (`NEVER` = infinite). Returns the lease time granted.
/// The change must then be sent to the peer (queue it).
pub fn ack(lease: &mut Lease, client: &Client, desired: Time, rel: &Relationship, now: Time) -> Time {
    let infinite = desired == NEVER;
    let granted = if infinite && rel.mclt > 0 {
        granted_lease_time(NEVER - now, lease.tsfp, rel.mclt, now)
    } else {
        granted_lease_time(desired, lease.tsfp, rel.mclt, now)
    };
    lease.tstp = if infinite {
        NEVER
    } else {
        now.saturating_add(desired).saturating_add(granted / 2).min(NEVER - 1)
    };
    if lease.tstp < lease.tsfp {
        lease.tsfp = lease.tstp;
    }
    lease.atsfp = 0;
    lease.starts = now;
    lease.ends = now.saturating_add(granted).min(NEVER - 1);
    lease.cltt = now;
    lease.binding_state = B::Active;
    lease.next_binding_state = B::Expired;
    lease.hardware = client.hardware.clone();
    lease.uid = client.uid.clone();
    granted
}

/// Client-specific data ISC drops when a lease stops being bound.
fn scrub(lease: &mut Lease) {
    lease.client_hostname = None;
    lease.agent_options.clear();
    lease.billing_class = None;
    lease.on_release = None;
    lease.on_expiry = None;
}

/// ACTIVE → EXPIRED at the end of the lease (the peer then has to agree
/// before anyone reuses it). In partner-down the MCLT wait is stamped into
/// tsfp (module doc, point 2).
pub fn expire(lease: &mut Lease, rel: &Relationship) {
    scrub(lease);
    lease.tstp = lease.ends;
    lease.atsfp = 0;
    lease.binding_state = B::Expired;
    lease.next_binding_state = B::Free;
    if rel.me == FailoverState::PartnerDown {
        lease.tsfp = rel.peer_release_time(lease.tsfp);
    }
}

/// ACTIVE → RELEASED on a DHCPRELEASE at `now`.
pub fn release(lease: &mut Lease, rel: &Relationship, now: Time) {
    scrub(lease);
    lease.ends = now;
    lease.tstp = now;
    lease.atsfp = 0;
    lease.binding_state = B::Released;
    lease.next_binding_state = B::Free;
    if rel.me == FailoverState::PartnerDown {
        lease.tsfp = rel.peer_release_time(lease.tsfp);
    }
}

/// Whether a server's pool timer expires ACTIVE leases itself: the primary
/// always; the secondary only while it serves alone (communications-
/// interrupted) or in partner-down, otherwise it waits for the primary's
/// update. ISC's secondary skips them only in normal, but its pool timer is
/// not re-armed when its state changes, so a restarted secondary in
/// practice leaves them to the primary. Expiring them in startup or recover
/// instead sends the partner a stale EXPIRED, which a partner in
/// partner-down accepts over the renewal it granted meanwhile (a lost
/// lease, seen in `tests/failover_outage.rs`).
pub fn expires_active_leases(role: Role, service: ServiceState) -> bool {
    role == Role::Primary || matches!(service, ServiceState::NotCooperating | ServiceState::PartnerDown)
}

/// What the pool timer does to `lease` at `now` (ISC `pool_timer`): the
/// new state, or `None`. A moved lease must be sent to the peer.
///
/// * ACTIVE past `ends` expires, except on a secondary that is not serving
///   alone, which waits for the primary's update
///   ([`expires_active_leases`]);
/// * EXPIRED/RELEASED/RESET go free only in partner-down, once the wait
///   stamped into tsfp and `ends` are over (never while merely
///   communications-interrupted: no rewind, module doc point 1).
pub fn timer_transition(lease: &Lease, rel: &Relationship, now: Time) -> Option<BindingState> {
    match lease.binding_state {
        B::Active if lease.ends != NEVER && lease.ends <= now => {
            expires_active_leases(rel.role, rel.service()).then_some(B::Expired)
        }
        B::Expired | B::Released | B::Reset
            if rel.me == FailoverState::PartnerDown && lease.tsfp.max(lease.ends) <= now =>
        {
            Some(B::Free)
        }
        _ => None,
    }
}

/// Applies [`timer_transition`]; returns whether the lease changed.
pub fn run_timer(lease: &mut Lease, rel: &Relationship, now: Time) -> bool {
    match timer_transition(lease, rel, now) {
        Some(B::Expired) => {
            expire(lease, rel);
            true
        }
        Some(state) => {
            scrub(lease);
            lease.binding_state = state;
            lease.next_binding_state = state;
            lease.atsfp = 0;
            true
        }
        None => false,
    }
}

/// On entering partner-down: every lease waiting for the peer's agreement
/// gets the MCLT wait stamped into tsfp (ISC sets tsfp = stos + MCLT; we
/// keep a later potential expiry, module doc point 2). Returns whether the
/// lease changed.
pub fn enter_partner_down(lease: &mut Lease, rel: &Relationship) -> bool {
    match lease.binding_state {
        B::Expired | B::Released | B::Reset => {
            lease.tsfp = rel.peer_release_time(lease.tsfp);
            true
        }
        _ => false,
    }
}

/// The hash key of a lease's client (ISC `peer_wants_lease`): uid, else the
/// hardware address without its type byte.
pub fn lease_key(lease: &Lease) -> Option<&[u8]> {
    match (&lease.uid, &lease.hardware) {
        (Some(uid), _) if !uid.is_empty() => Some(uid),
        (_, Some(hw)) if !hw.addr.is_empty() => Some(&hw.addr),
        _ => None,
    }
}

/// Whether the lease's last client hashes to the *other* server, so the
/// peer is more likely to see it again (ISC `peer_wants_lease`).
pub fn peer_wants_lease(lease: &Lease, hba: Option<&Hba>, role: Role) -> bool {
    match (hba, lease_key(lease)) {
        (Some(hba), Some(key)) => bucket_is_primary(hba, key) != (role == Role::Primary),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn rel(role: Role, me: FailoverState) -> Relationship {
        Relationship {
            role,
            me,
            partner: FailoverState::Normal,
            stos: 1000,
            mclt: 60,
        }
    }

    fn lease(state: BindingState) -> Lease {
        let mut l = Lease::new(Ipv4Addr::new(10, 0, 0, 1));
        l.binding_state = state;
        l
    }

    #[test]
    fn lease_time_follows_mclt_rule() {
        // The [seen] case: default-lease-time 600, MCLT 60, nothing acked.
        assert_eq!(granted_lease_time(600, 0, 60, 5000), 60);
        assert_eq!(granted_lease_time(30, 0, 60, 5000), 30);
        assert_eq!(granted_lease_time(600, 5630, 60, 5030), 600);
        assert_eq!(granted_lease_time(1000, 5100, 60, 5030), 130);
    }

    #[test]
    fn ack_sets_iscs_times() {
        let r = rel(Role::Primary, FailoverState::Normal);
        let mut l = lease(B::Free);
        let c = Client {
            uid: Some(vec![1, 2]),
            hardware: None,
        };
        let now = 0x6b03_d000;
        assert_eq!(ack(&mut l, &c, 600, &r, now), 60);
        assert_eq!((l.starts, l.ends, l.tstp, l.cltt), (now, now + 60, now + 630, now));
        assert_eq!((l.binding_state, l.next_binding_state), (B::Active, B::Expired));
        assert!(c.holds(&l));
        // A lower potential expiry pulls tsfp down with it.
        l.tsfp = now + 5000;
        ack(&mut l, &c, 10, &r, now);
        assert_eq!(l.tsfp, now + 10 + 5);
    }

    #[test]
    fn who_may_allocate() {
        let now = 5000;
        let p = rel(Role::Primary, FailoverState::Normal);
        let s = rel(Role::Secondary, FailoverState::Normal);
        assert!(may_allocate(&lease(B::Free), &p, now));
        assert!(!may_allocate(&lease(B::Free), &s, now));
        assert!(may_allocate(&lease(B::Backup), &s, now));
        assert!(!may_allocate(&lease(B::Backup), &p, now));
        assert!(!may_allocate(&lease(B::Active), &p, now));
        // No rewind: released stays unavailable while interrupted.
        let pc = rel(Role::Primary, FailoverState::CommunicationsInterrupted);
        let mut rl = lease(B::Released);
        rl.rewind_binding_state = Some(B::Free);
        assert!(!may_allocate(&rl, &pc, now));
        // Not serving at all in recover.
        assert!(!may_allocate(
            &lease(B::Free),
            &rel(Role::Primary, FailoverState::Recover),
            now
        ));
        // Partner-down: the peer's leases after max(tsfp, stos) + MCLT.
        let pd = rel(Role::Primary, FailoverState::PartnerDown);
        let mut b = lease(B::Backup);
        assert!(!may_allocate(&b, &pd, 1060));
        assert!(may_allocate(&b, &pd, 1061));
        b.tsfp = 2000;
        assert!(!may_allocate(&b, &pd, 2060));
        assert!(may_allocate(&b, &pd, 2061));
        b.ends = 3000;
        assert!(!may_allocate(&b, &pd, 2100));
    }

    #[test]
    fn timer_rules() {
        let mut a = lease(B::Active);
        a.ends = 100;
        assert_eq!(
            timer_transition(&a, &rel(Role::Secondary, FailoverState::Normal), 200),
            None
        );
        assert_eq!(
            timer_transition(&a, &rel(Role::Primary, FailoverState::Normal), 200),
            Some(B::Expired)
        );
        assert_eq!(
            timer_transition(&a, &rel(Role::Primary, FailoverState::Normal), 99),
            None
        );
        // A restarted secondary (startup, recover) leaves them to the
        // primary; alone or in partner-down it expires them.
        for me in [FailoverState::Startup, FailoverState::Recover, FailoverState::RecoverDone] {
            assert_eq!(timer_transition(&a, &rel(Role::Secondary, me), 200), None, "{me:?}");
        }
        for me in [FailoverState::CommunicationsInterrupted, FailoverState::PartnerDown] {
            assert_eq!(timer_transition(&a, &rel(Role::Secondary, me), 200), Some(B::Expired), "{me:?}");
        }
        assert_eq!(
            timer_transition(&a, &rel(Role::Primary, FailoverState::Recover), 200),
            Some(B::Expired)
        );
        let pd = rel(Role::Primary, FailoverState::PartnerDown);
        let mut e = a.clone();
        expire(&mut e, &pd);
        assert_eq!((e.binding_state, e.tstp, e.tsfp), (B::Expired, 100, 1060));
        assert_eq!(timer_transition(&e, &pd, 1059), None);
        assert_eq!(timer_transition(&e, &pd, 1060), Some(B::Free));
        assert_eq!(
            timer_transition(&e, &rel(Role::Primary, FailoverState::CommunicationsInterrupted), 9999),
            None
        );
    }

    #[test]
    fn peer_wants_uses_uid_then_mac() {
        let hba = Hba::from_split(128).unwrap();
        let mut l = lease(B::Free);
        assert!(!peer_wants_lease(&l, Some(&hba), Role::Primary));
        l.uid = Some(vec![0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x04]); // bucket 236: secondary's
        assert!(peer_wants_lease(&l, Some(&hba), Role::Primary));
        assert!(!peer_wants_lease(&l, Some(&hba), Role::Secondary));
        l.uid = None;
        l.hardware = Some(HardwareAddr {
            htype: 1,
            addr: vec![0x3a, 0x05, 0xf8, 0x0d, 0x0c, 0xc2],
        }); // 15
        assert!(!peer_wants_lease(&l, Some(&hba), Role::Primary));
        assert!(!peer_wants_lease(&l, None, Role::Secondary));
    }
}
