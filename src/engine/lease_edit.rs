//! Lease changes an operator makes through OMAPI (ISC `dhcp_lease_set_value`, `server/omapi.c`).
//!
//! ISC lets a client change four things on a lease, each on its own:
//!
//! * `state` — the lease is given that next binding state and superseded (ISC
//!   `supersede_lease(lease, NULL, 1, 1, 1, 0)`): the state transition runs as for any other
//!   change (an active lease that stops being active loses its client hostname and billing),
//!   the lease is written and, in a failover pool, the partner is sent the change;
//! * `ends` — the end time is replaced and the lease superseded the same way. The transition
//!   that runs is the one already pending: an active lease goes to its next state (expired in
//!   a failover pool, free otherwise) whatever the new end time. That is what ISC 4.4.3 does
//!   (seen: `set ends` on an active lease leaves it expired), and what this does;
//! * `flags` — the ephemeral flags (bootp, reserved, NUL termination, unicast broadcast);
//!   superseded with a copy of the lease, so the same pending transition runs;
//! * a variable of the lease's scope (`set NAME = VALUE;` in the lease file): written, without
//!   a state transition and without telling the partner.
//!
//! Nothing here does IO: the caller makes [`Edited::Changed`]'s records durable before it
//! answers, and tells the failover partner when [`Edited::Changed::propagate`] says so.

use std::net::Ipv4Addr;

use super::failover::FailoverHooks;
use super::leasedb::flags;
use super::outcome::Outcome;
use super::{Engine, ScopeEvaluator};
use crate::lease::{Binding, BindingState, BindingValue};

/// One change to a lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseEdit {
    /// `state`: move to this binding state.
    State(BindingState),
    /// `ends`: the new end time (seconds, as ISC's 32-bit OMAPI integer gives it).
    Ends(i64),
    /// `flags`: the new ephemeral flags (other bits are ignored, as ISC ignores them).
    Flags(u8),
    /// A scope variable: set to the value (made, in front of the others, when new), or
    /// removed when `None`.
    Variable(String, Option<BindingValue>),
}

/// What an edit did.
#[derive(Debug)]
pub enum Edited {
    /// Nothing to change (ISC `DHCP_R_UNCHANGED`).
    Unchanged,
    /// The lease changed.
    Changed {
        /// The lease records to make durable (the lease, then any an expiry run changed on
        /// the way), the log lines, the commands `on expiry`/`on release` asked for.
        out: Outcome,
        /// The failover partner must be sent the change (everything but variables).
        propagate: bool,
    },
}

/// Why an edit could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditError {
    /// No lease has that address.
    NoLease,
    /// The lease belongs to no pool (ISC: `Supersede_lease: lease A with no pool.`).
    NoPool,
    /// Removing a variable the lease does not have (ISC `DHCP_R_UNKNOWNATTRIBUTE`).
    NoVariable,
}

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// Makes `edit` to the lease of `ip` at `now`; see the module doc.
    pub fn edit_lease(&mut self, ip: Ipv4Addr, edit: LeaseEdit, now: i64) -> Result<Edited, EditError> {
        let idx = self.db.by_ip(ip).ok_or(EditError::NoLease)?;
        let mut out = Outcome::default();
        let (update, line) = match edit {
            LeaseEdit::Variable(name, value) => {
                let l = &mut self.db.get_mut(idx).lease;
                let at = l.bindings.iter().position(|b| b.name.eq_ignore_ascii_case(&name));
                match (at, value) {
                    (Some(i), Some(v)) => l.bindings[i].value = v,
                    (Some(i), None) => {
                        l.bindings.remove(i);
                    }
                    // ISC keeps a scope newest first.
                    (None, Some(v)) => l.bindings.insert(0, Binding { name, value: v }),
                    (None, None) => return Err(EditError::NoVariable),
                }
                out.record(l.clone());
                return Ok(Edited::Changed { out, propagate: false });
            }
            _ if self.db.get(idx).pool.is_none() => return Err(EditError::NoPool),
            LeaseEdit::State(to) => {
                let l = &mut self.db.get_mut(idx).lease;
                if l.binding_state == to {
                    return Ok(Edited::Unchanged);
                }
                let from = l.binding_state;
                l.next_binding_state = to;
                (None, Some(format!("lease {ip} state changed from {from} to {to}")))
            }
            LeaseEdit::Ends(ends) => {
                let l = &mut self.db.get_mut(idx).lease;
                let old = l.ends;
                l.ends = ends;
                (None, Some(format!("lease {ip} end changed from {old} to {ends}")))
            }
            LeaseEdit::Flags(v) => {
                let e = self.db.get_mut(idx);
                let old = e.flags();
                let new = v & flags::EPHEMERAL;
                if new == old {
                    return Ok(Edited::Unchanged);
                }
                e.ms_null = new & flags::MS_NULL_TERMINATION != 0;
                e.unicast_hack = new & flags::UNICAST_BROADCAST_HACK != 0;
                let mut copy = e.lease.clone();
                copy.bootp = new & flags::BOOTP != 0;
                copy.reserved = new & flags::RESERVED != 0;
                // ISC logs this at debug level, with two spaces after "from".
                out.debug(format!("lease flags changed from  {old:x} to {new:x} for lease {ip}."));
                (Some(copy), None)
            }
        };
        let peer = self.pool_peer(self.db.get(idx).pool);
        if self
            .db
            .supersede(idx, update, true, true, now, peer.as_ref(), &mut out.logs)
        {
            out.record(self.db.get(idx).lease.clone());
        }
        self.settle(&mut out);
        if let Some(line) = line {
            out.info(line);
        }
        Ok(Edited::Changed { out, propagate: true })
    }
}

#[cfg(test)]
#[path = "lease_edit_tests.rs"]
mod tests;
