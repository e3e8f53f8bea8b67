//! BNDUPD and BNDACK at the lease level: building the update a lease
//! change sends, checking and applying an update the peer sent, and what an
//! acknowledgement does to our lease. Pure functions over [`Lease`]; the
//! queues that carry them are in the peer.
//!
//! Receiving follows ISC's `dhcp_failover_process_bind_update` (reference
//! §1.13) — option checks, dueling updates, the normal- and conflict-state
//! transition checks, EXPIRED/RELEASED/RESET stored as FREE — with one rule
//! added in front: an update whose client-last-transaction-time is older
//! than the live binding we hold is refused as *outdated binding
//! information* (reason 15) instead of overwriting it. That is the hole
//! through which ISC pairs lost leases after a partition healed
//! (`isc-failover-under-faults.md`, mechanism 1). We also store the peer's
//! CLTT (ISC drops it), so the rule works between two of our servers.

use std::net::Ipv4Addr;

use crate::failover::binding::{my_free_state, peer_wants_lease, Relationship};
use crate::failover::hash::Hba;
use crate::failover::state::{FailoverState, Role};
use crate::lease::{BindingState, HardwareAddr, Lease, Time, HARDWARE_ADDR_MAX};
use crate::wire::failover::{
    self as wire, Message, MessageType, Options, RejectReason, IP_FLAG_BOOTP, IP_FLAG_RESERVE,
};

use BindingState as B;

/// ISC's slack for clock skew when judging an EXPIRED update (seconds).
pub const EXPIRY_SKEW: Time = 65;

/// The content of one BNDUPD, owned, in lease terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindUpdate {
    /// assigned-IP-address.
    pub ip: Ipv4Addr,
    /// binding-status (a raw code: a peer may send one we do not know).
    pub state: u8,
    /// client-identifier.
    pub uid: Option<Vec<u8>>,
    /// client-hardware-address: type byte then address.
    pub chaddr: Option<Vec<u8>>,
    /// lease-expiration-time (`ends`).
    pub ends: Option<Time>,
    /// potential-expiration-time (`tstp` of the sender).
    pub potential_expiry: Option<Time>,
    /// start-time-of-state: the lease's `starts`.
    pub starts: Option<Time>,
    /// client-last-transaction-time.
    pub cltt: Option<Time>,
    /// IP-flags.
    pub flags: Option<u16>,
}

fn wire_time(t: Time) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

impl BindUpdate {
    /// The update ISC sends for `lease` (`dhcp_failover_send_bind_update`):
    /// a reserved lease in my free state is offered as the peer's free
    /// state with the RESERVE flag; BOOTP leases carry the BOOTP flag.
    pub fn from_lease(lease: &Lease, role: Role) -> BindUpdate {
        let mut state = lease.binding_state;
        let mut flags = 0;
        if lease.reserved {
            state = match (role, state) {
                (Role::Primary, B::Free) => B::Backup,
                (Role::Secondary, B::Backup) => B::Free,
                (_, s) => s,
            };
            flags |= IP_FLAG_RESERVE;
        }
        if lease.bootp {
            flags |= IP_FLAG_BOOTP;
        }
        let chaddr = lease.hardware.as_ref().map(|hw| {
            let mut v = Vec::with_capacity(1 + hw.addr.len());
            v.push(hw.htype);
            v.extend_from_slice(&hw.addr);
            v
        });
        BindUpdate {
            ip: lease.ip,
            state: state.code(),
            uid: lease.uid.clone().filter(|u| !u.is_empty()),
            chaddr,
            ends: Some(lease.ends),
            potential_expiry: Some(lease.tstp),
            starts: Some(lease.starts),
            cltt: Some(lease.cltt).filter(|&c| c != 0),
            flags: Some(flags).filter(|&f| f != 0),
        }
    }

    /// The BNDUPD message (options in ISC's order are the codec's job).
    pub fn to_message(&self, time: u32, xid: u32) -> Message<'_> {
        let options = Options {
            assigned_addr: Some(self.ip),
            binding_status: Some(wire::BindingState::from(self.state)),
            client_identifier: self.uid.as_deref(),
            chaddr: self.chaddr.as_deref(),
            lease_expiry: self.ends.map(wire_time),
            potential_expiry: self.potential_expiry.map(wire_time),
            stos: self.starts.map(wire_time),
            cltt: self.cltt.map(wire_time),
            ip_flags: self.flags,
            ..Options::default()
        };
        Message {
            kind: MessageType::BndUpd,
            time,
            xid,
            options,
        }
    }

    /// Reads a received BNDUPD; `Err` is ISC's rejection when the address or
    /// the state is missing.
    pub fn from_message(msg: &Message<'_>) -> Result<BindUpdate, Reject> {
        let o = &msg.options;
        let (Some(ip), Some(state)) = (o.assigned_addr, o.binding_status) else {
            return Err(Reject::new(
                RejectReason::MissingBindInfo,
                "binding update lacks required options",
            ));
        };
        Ok(BindUpdate {
            ip,
            state: u8::from(state),
            uid: o.client_identifier.map(<[u8]>::to_vec),
            chaddr: o.chaddr.map(<[u8]>::to_vec),
            ends: o.lease_expiry.map(Time::from),
            potential_expiry: o.potential_expiry.map(Time::from),
            starts: o.stos.map(Time::from),
            cltt: o.cltt.map(Time::from),
            flags: o.ip_flags,
        })
    }
}

/// A refusal carried back in a BNDACK: reason code and message text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// reject-reason option.
    pub reason: RejectReason,
    /// message option.
    pub message: String,
}

impl Reject {
    /// A refusal with ISC's text.
    pub fn new(reason: RejectReason, message: impl Into<String>) -> Reject {
        Reject {
            reason,
            message: message.into(),
        }
    }
}

/// ISC's `failover_lease_is_better`: whether my un-acknowledged update
/// (state `mine`, CLTT `my_cltt`) beats an incoming one.
pub fn lease_is_better(mine: BindingState, my_cltt: Time, theirs: BindingState, their_cltt: Time, role: Role) -> bool {
    if mine == B::Active {
        if theirs == B::Active {
            return match their_cltt.cmp(&my_cltt) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Greater => false,
                std::cmp::Ordering::Equal => role == Role::Primary,
            };
        }
        if theirs == B::Expired {
            return false;
        }
    }
    theirs != B::Active && role == Role::Primary
}

/// ISC's `normal_binding_state_transition_check`: the state the lease may
/// take when the peer asks for `new` (equal to `new` when allowed).
/// `tsfp` is the update's potential expiry.
pub fn normal_transition_check(lease: &Lease, role: Role, new: BindingState, tsfp: Time, now: Time) -> BindingState {
    let cur = lease.binding_state;
    if new == cur {
        return new;
    }
    match cur {
        // Either side may move a free or abandoned lease anywhere (ISC
        // only warns about the primary's peer doing so, and allows it).
        B::Free | B::Abandoned => new,
        B::Active if role == Role::Primary => match new {
            B::Released | B::Abandoned => new,
            _ => cur,
        },
        B::Active => match new {
            B::Free | B::Backup if tsfp > now => cur,
            B::Expired if lease.ends - EXPIRY_SKEW > now => cur,
            _ => new,
        },
        B::Expired | B::Reset => match new {
            B::Free | B::Backup if tsfp > now => cur,
            _ => new,
        },
        B::Released => new,
        B::Backup => new,
    }
}

/// ISC's `conflict_binding_state_transition_check`, used outside normal.
pub fn conflict_transition_check(lease: &Lease, new: BindingState, now: Time) -> BindingState {
    let cur = lease.binding_state;
    match (cur, new) {
        (B::Active, B::Free | B::Backup) => cur,
        (B::Active, B::Expired) if lease.ends - EXPIRY_SKEW > now => cur,
        _ => new,
    }
}

/// What applying a peer's update produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The lease as it is now (to be written before the BNDACK goes out).
    pub lease: Lease,
    /// My own pending update for this lease lost a duel and is dropped.
    pub cancelled_mine: bool,
    /// The primary should hand the lease to the secondary (MAC affinity),
    /// if the secondary is not hoarding.
    pub send_to_backup: bool,
}

/// The local context of an incoming update.
#[derive(Clone, Copy, Debug)]
pub struct UpdateContext<'a> {
    /// The relationship now.
    pub rel: &'a Relationship,
    /// The HBA in use, for MAC affinity.
    pub hba: Option<&'a Hba>,
    /// The state of my un-acknowledged BNDUPD for this lease, if one is in flight.
    pub in_flight: Option<BindingState>,
    /// Current time.
    pub now: Time,
}

/// Checks the peer's update `upd` against our `lease` and gives the lease
/// as it must be stored, or the refusal for the BNDACK.
pub fn apply_update(lease: &Lease, upd: &BindUpdate, ctx: &UpdateContext<'_>) -> Result<Applied, Reject> {
    let now = ctx.now;
    let role = ctx.rel.role;
    let Some(new) = BindingState::from_code(upd.state) else {
        return Err(Reject::new(
            RejectReason::MiscReject,
            format!("unknown binding state {}", upd.state),
        ));
    };
    let their_cltt = upd.cltt.unwrap_or(0);

    // Ours: never let an older transaction overwrite a live binding.
    // An echo of our own binding (same client, no shorter) is harmless; an
    // ISC peer sends no CLTT for leases it learnt from us.
    if lease.binding_state == B::Active && lease.ends > now && their_cltt < lease.cltt {
        let echo = new == B::Active && same_identity(lease, upd) && upd.ends.unwrap_or(0) >= lease.ends;
        if !echo {
            return Err(Reject::new(
                RejectReason::OutdatedBindInfo,
                format!("{}: update older than the local binding", lease.ip),
            ));
        }
    }

    let mut cancelled_mine = false;
    if let Some(mine) = ctx.in_flight {
        if lease_is_better(mine, lease.cltt, new, their_cltt, role) {
            return Err(Reject::new(
                RejectReason::LessCritBindInfo,
                "incoming update is less critical than outgoing update",
            ));
        }
        cancelled_mine = true;
    }

    let mut lt = lease.clone();
    let mut changed_ident = false;
    match &upd.chaddr {
        Some(_) if new == B::Abandoned => {
            return Err(Reject::new(
                RejectReason::MiscReject,
                "BNDUPD to ABANDONED with a CHADDR",
            ));
        }
        Some(c) if c.len() > HARDWARE_ADDR_MAX + 1 => {
            return Err(Reject::new(RejectReason::MiscReject, "chaddr too long"));
        }
        Some(c) => {
            let hw = HardwareAddr {
                htype: c.first().copied().unwrap_or(0),
                addr: c.get(1..).unwrap_or(&[]).to_vec(),
            };
            changed_ident |= lt.hardware.as_ref() != Some(&hw);
            lt.hardware = Some(hw);
        }
        None if matches!(new, B::Active | B::Expired | B::Released) => {
            return Err(Reject::new(RejectReason::MissingBindInfo, "BNDUPD without CHADDR"));
        }
        None if new == B::Abandoned => {
            changed_ident = true;
            lt.hardware = None;
            lt.bindings.clear();
        }
        None => {}
    }
    match &upd.uid {
        Some(_) if new == B::Abandoned => {
            return Err(Reject::new(
                RejectReason::MiscReject,
                "BNDUPD to ABANDONED with client-id",
            ));
        }
        Some(u) => {
            changed_ident |= lt.uid.as_ref() != Some(u);
            lt.uid = Some(u.clone());
        }
        None if lt.uid.is_some() && !matches!(new, B::Reset | B::Free | B::Backup) => {
            changed_ident = true;
            lt.uid = None;
        }
        None => {}
    }
    if new == B::Active && changed_ident {
        lt.bindings.clear();
    }
    if let Some(s) = upd.starts {
        lt.starts = s;
    }
    if let Some(e) = upd.ends {
        lt.ends = e;
    }
    if let Some(p) = upd.potential_expiry {
        lt.tsfp = p;
        lt.atsfp = p;
    }
    if let Some(c) = upd.cltt {
        lt.cltt = c;
    }
    let in_my_free = lease.binding_state == my_free_state(role);
    match upd.flags {
        Some(flags) => {
            if flags & IP_FLAG_RESERVE != 0 && in_my_free && !lease.reserved {
                return Err(Reject::new(RejectReason::IpNotReserved, "Address is not reserved."));
            }
            if flags & IP_FLAG_BOOTP != 0 && in_my_free && !lease.bootp {
                return Err(Reject::new(
                    RejectReason::MiscReject,
                    "Address is not allocated to BOOTP.",
                ));
            }
            lt.reserved = flags & IP_FLAG_RESERVE != 0;
            lt.bootp = flags & IP_FLAG_BOOTP != 0;
        }
        None => {
            lt.reserved = false;
            lt.bootp = false;
        }
    }

    let allowed = if ctx.rel.me == FailoverState::Normal {
        normal_transition_check(lease, role, new, upd.potential_expiry.unwrap_or(0), now)
    } else {
        conflict_transition_check(lease, new, now)
    };
    if allowed != new {
        return Err(Reject::new(
            RejectReason::FatalConflict,
            format!(
                "{}: invalid state transition: {} to {}",
                lease.ip, lease.binding_state, new
            ),
        ));
    }

    let mut send_to_backup = false;
    let stored = if matches!(new, B::Expired | B::Released | B::Reset) {
        if role == Role::Primary && !lt.reserved && !lt.bootp {
            send_to_backup = peer_wants_lease(&lt, ctx.hba, role);
        }
        B::Free
    } else {
        new
    };
    if stored != B::Active && lease.binding_state == B::Active {
        lt.client_hostname = None;
        lt.agent_options.clear();
        lt.billing_class = None;
    }
    lt.binding_state = stored;
    lt.next_binding_state = if stored == B::Active { B::Expired } else { stored };
    lt.rewind_binding_state = Some(stored);
    Ok(Applied {
        lease: lt,
        cancelled_mine,
        send_to_backup,
    })
}

fn same_identity(lease: &Lease, upd: &BindUpdate) -> bool {
    match (&lease.uid, &upd.uid) {
        (Some(a), Some(b)) => a == b,
        (None, None) => match (&lease.hardware, &upd.chaddr) {
            (Some(hw), Some(c)) => c.first() == Some(&hw.htype) && c.get(1..) == Some(&hw.addr[..]),
            _ => false,
        },
        _ => false,
    }
}

/// What an acknowledgement of my BNDUPD (sent in state `sent`) does to the
/// lease (ISC `dhcp_failover_process_bind_ack`): the peer now has our
/// potential expiry; a lease sent as EXPIRED/RELEASED/RESET becomes free.
/// Returns whether the primary should now hand it to the secondary.
pub fn apply_ack(lease: &mut Lease, sent: BindingState, role: Role, hba: Option<&Hba>) -> bool {
    // ISC tests for the potential-expiry option with the wrong constant and
    // so always uses its own tstp; so do we (the peer never sends one).
    lease.tsfp = lease.tstp;
    lease.atsfp = lease.tstp;
    if matches!(sent, B::Expired | B::Released | B::Reset) {
        let free = if role == Role::Secondary && lease.reserved {
            B::Backup
        } else {
            B::Free
        };
        lease.binding_state = free;
        lease.next_binding_state = free;
        lease.rewind_binding_state = Some(free);
        role == Role::Primary && !lease.reserved && !lease.bootp && peer_wants_lease(lease, hba, role)
    } else {
        // Any local change since sending re-queues the lease and forgets
        // the update in flight, so an ack only ever finds the state it sent.
        false
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
