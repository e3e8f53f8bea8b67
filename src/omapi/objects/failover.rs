//! `failover-state` objects (ISC `dhcp_failover_state_lookup`, `dhcp_failover_state_stuff`,
//! `dhcp_failover_state_set_value`).
//!
//! Found by `name` (exact bytes) or handle; never created or removed. A reply lists the 19
//! attributes of reference §3.5 in ISC's order, with one correction: ISC sends the bytes of
//! a pointer as `partner-address` and `local-address`; we send the address (4 bytes), the
//! configured host name when it is one, or 0.0.0.0 when our end has none configured and the
//! link has not picked one.
//!
//! Of the attributes a client may set, only `local-state` does anything: the peer moves to
//! that state by operator command (4 = partner-down is the documented use). Every other
//! attribute ISC lists is accepted and ignored, unknown names are NOTFOUND. Where ISC takes
//! any number as a state, a number that names no state is refused (INVALIDARG).

use super::{data, int, Backend, Endpoint, FailoverFacts, Obj, Store};
use crate::lease::records::FailoverState;
use crate::omapi::store::{Attributes, Handle, ObjectType};
use crate::wire::omapi::{IscResult, NamedValue, Value};

/// The attribute names ISC's set method accepts (and, but for `local-state`, ignores).
const ACCEPTED: [&[u8]; 19] = [
    b"name",
    b"partner-address",
    b"local-address",
    b"partner-port",
    b"local-port",
    b"max-outstanding-updates",
    b"mclt",
    b"load-balance-max-secs",
    b"load-balance-hba",
    b"partner-state",
    b"local-state",
    b"partner-stos",
    b"local-stos",
    b"hierarchy",
    b"last-packet-sent",
    b"last-timestamp-received",
    b"skew",
    b"max-response-delay",
    b"cur-unacked-updates",
];

fn endpoint(name: &str, e: &Endpoint) -> NamedValue {
    match e {
        Endpoint::Ip(ip) => data(name, &ip.octets()),
        Endpoint::Name(n) => NamedValue::new(name, Value::string(n)),
        Endpoint::Unknown => data(name, &[0, 0, 0, 0]),
    }
}

/// The reply values of a failover state, in ISC's order.
pub(super) fn values(f: &FailoverFacts) -> Vec<NamedValue> {
    let mut out = vec![
        NamedValue::new("name", Value::string(&f.name)),
        endpoint("partner-address", &f.partner_address),
        int("partner-port", f.partner_port),
        endpoint("local-address", &f.local_address),
        int("local-port", f.local_port),
        int("max-outstanding-updates", f.max_outstanding_updates),
        int("mclt", f.mclt),
        int("load-balance-max-secs", f.load_balance_max_secs),
    ];
    if let Some(hba) = &f.hba {
        out.push(data("load-balance-hba", hba));
    }
    out.extend([
        int("partner-state", f.partner_state),
        int("local-state", f.local_state),
        int("partner-stos", f.partner_stos),
        int("local-stos", f.local_stos),
        int("hierarchy", f.hierarchy),
        int("last-packet-sent", f.last_packet_sent),
        int("last-timestamp-received", f.last_timestamp_received),
        int("skew", f.skew),
        int("max-response-delay", f.max_response_delay),
        int("cur-unacked-updates", f.cur_unacked_updates),
    ]);
    out
}

impl<B: Backend + ?Sized> Store<'_, B> {
    pub(super) fn lookup_failover(&mut self, keys: &Attributes) -> Result<Handle, IscResult> {
        if keys.is_empty() {
            return Err(IscResult::NoKeys);
        }
        let mut found = None;
        if let Some(h) = self.by_handle(keys, ObjectType::FailoverState)? {
            if let Some(&Obj::Failover(p)) = self.obj(h) {
                found = Some(p);
            }
        }
        if let Some(name) = keys.get("name") {
            let hit = self
                .backend
                .dhcp()
                .config()
                .failover
                .peers
                .iter()
                .position(|p| p.name.as_bytes() == name)
                .filter(|&p| self.backend.failover(p).is_some());
            match (found, hit) {
                (Some(prev), h) if h != Some(prev) => return Err(IscResult::KeyConflict),
                (_, None) => return Err(IscResult::NotFound),
                (_, Some(p)) => found = Some(p),
            }
        }
        match found {
            Some(p) => Ok(self.handle(Obj::Failover(p))),
            None => Err(IscResult::NoKeys),
        }
    }

    pub(super) fn failover_values(&mut self, peer: usize) -> Vec<NamedValue> {
        self.backend.failover(peer).map_or_else(Vec::new, |f| values(&f))
    }

    pub(super) fn update_failover(&mut self, peer: usize, values: &Attributes) -> Result<(), IscResult> {
        for (name, value) in values.iter() {
            if !ACCEPTED.contains(&name) {
                return Err(IscResult::NotFound);
            }
            if name != b"local-state" {
                continue;
            }
            let code = match value {
                Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
                _ => return Err(IscResult::InvalidArg),
            };
            let state = u8::try_from(code)
                .ok()
                .and_then(FailoverState::from_code)
                .ok_or(IscResult::InvalidArg)?;
            self.backend
                .set_failover_state(self.now, peer, state)
                .map_err(|_| IscResult::IoError)?;
        }
        Ok(())
    }
}
