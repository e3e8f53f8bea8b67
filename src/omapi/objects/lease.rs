//! `lease` objects (ISC `dhcp_lease_lookup`, `dhcp_lease_stuff_values`,
//! `dhcp_lease_set_value`), and the pool values a lease reply points at.
//!
//! Lookup tries ISC's keys in ISC's order (handle, ip-address, dhcp-client-identifier,
//! hardware-address with hardware-type, ethernet by default); keys naming different leases
//! are KEYCONFLICT, a client identifier or hardware address shared by several leases is
//! MULTIPLE. A reply lists ISC's attributes in ISC's order and encodings; times go out as
//! 32-bit numbers, as ISC truncates them.
//!
//! Changing a lease through OMAPI is refused here where ISC accepts it (`state`, `ends`,
//! `flags`, binding variables): those are ISC_R_NOTIMPLEMENTED until the engine takes lease
//! changes from outside a packet. The attributes ISC refuses are refused with ISC's codes.

use std::net::Ipv4Addr;

use super::{data, int, Backend, Obj, Store};
use crate::lease::BindingValue;
use crate::omapi::store::{Attributes, Handle, ObjectType};
use crate::wire::omapi::{IscResult, NamedValue, Value};

/// ISC's ethernet hardware type, assumed when a lookup gives no `hardware-type`.
const HTYPE_ETHER: u8 = 1;

/// ISC's `EPHEMERAL_FLAGS`: the lease flags OMAPI shows (MS_NULL_TERMINATION 8,
/// UNICAST_BROADCAST_HACK 16). Neither is kept in the lease record, so the byte reads 0
/// unless the engine notes the client's NUL-terminated options.
const MS_NULL_TERMINATION: u8 = 8;

/// The hardware-type a lookup gives: 4 bytes, the first three zero (ISC checks the data form
/// this way; an integer form does not exist on the wire).
pub(super) fn hardware_type(keys: &Attributes) -> Result<u8, IscResult> {
    match keys.get("hardware-type") {
        None => Ok(HTYPE_ETHER),
        Some(&[0, 0, 0, t]) => Ok(t),
        Some(_) => Err(IscResult::InvalidArg),
    }
}

/// One step of ISC's lookup chain: `found` so far, `hit` for this key.
fn chain<T: PartialEq + Copy>(found: &mut Option<T>, hit: Option<T>) -> Result<(), IscResult> {
    match (*found, hit) {
        (Some(prev), h) if h != Some(prev) => Err(IscResult::KeyConflict),
        (_, None) => Err(IscResult::NotFound),
        (_, Some(h)) => {
            *found = Some(h);
            Ok(())
        }
    }
}

impl<B: Backend + ?Sized> Store<'_, B> {
    pub(super) fn lookup_lease(&mut self, keys: &Attributes) -> Result<Handle, IscResult> {
        if keys.is_empty() {
            return Err(IscResult::NoKeys);
        }
        let mut found: Option<Ipv4Addr> = None;
        if let Some(h) = self.by_handle(keys, ObjectType::Lease)? {
            if let Some(Obj::Lease(ip)) = self.obj(h) {
                found = Some(*ip);
            }
        }
        let dhcp = self.backend.dhcp();
        if let Some(ip) = keys.get("ip-address") {
            let hit = <[u8; 4]>::try_from(ip)
                .ok()
                .map(Ipv4Addr::from)
                .filter(|&a| dhcp.lease_entry(a).is_some());
            chain(&mut found, hit)?;
        }
        if let Some(uid) = keys.get("dhcp-client-identifier") {
            let hits = dhcp.leases_by_uid(uid);
            chain(&mut found, hits.first().copied())?;
            if hits.len() > 1 {
                return Err(IscResult::Multiple);
            }
        }
        if let Some(addr) = keys.get("hardware-address") {
            let mut key = vec![hardware_type(keys)?];
            key.extend_from_slice(addr);
            let hits = dhcp.leases_by_hw(&key);
            chain(&mut found, hits.first().copied())?;
            if hits.len() > 1 {
                return Err(IscResult::Multiple);
            }
        }
        match found {
            Some(ip) => Ok(self.handle(Obj::Lease(ip))),
            None => Err(IscResult::NoKeys),
        }
    }

    pub(super) fn lease_values(&mut self, ip: Ipv4Addr) -> Vec<NamedValue> {
        let Some(e) = self.backend.dhcp().lease_entry(ip).cloned() else {
            return Vec::new();
        };
        let l = &e.lease;
        let mut out = vec![int("state", u32::from(l.binding_state.code())), data("ip-address", &l.ip.octets())];
        if let Some(uid) = l.uid.as_ref().filter(|u| !u.is_empty()) {
            out.push(data("dhcp-client-identifier", uid));
        }
        if let Some(name) = &l.client_hostname {
            out.push(data("client-hostname", name));
        }
        if let Some(h) = e.host {
            let k = self.objects.host_object(h);
            out.push(NamedValue::new("host", Value::Handle(self.handle(Obj::Host(k)))));
        }
        let subnet = e.subnet.map_or(0, |s| self.handle(Obj::Subnet(s)));
        out.push(NamedValue::new("subnet", Value::Handle(subnet)));
        let pool = e.pool.map_or(0, |p| self.handle(Obj::Pool(p)));
        out.push(NamedValue::new("pool", Value::Handle(pool)));
        if let Some(c) = e.billing {
            out.push(NamedValue::new("billing-class", Value::Handle(self.handle(Obj::Class(c)))));
        }
        if let Some(hw) = &l.hardware {
            out.push(data("hardware-address", &hw.addr));
            out.push(int("hardware-type", u32::from(hw.htype)));
        }
        for (name, t) in [("ends", l.ends), ("starts", l.starts), ("tstp", l.tstp), ("tsfp", l.tsfp), ("atsfp", l.atsfp), ("cltt", l.cltt)] {
            out.push(int(name, t as u32));
        }
        let flags = if e.ms_null { MS_NULL_TERMINATION } else { 0 };
        out.push(data("flags", &[flags]));
        // ISC keeps a lease's variables newest first, so a lease read from the file shows
        // them in reverse file order.
        for b in l.bindings.iter().rev() {
            out.push(match &b.value {
                BindingValue::Data(d) => data(&b.name, d),
                BindingValue::Numeric(n) => int(&b.name, *n as u32),
                BindingValue::Boolean(v) => int(&b.name, u32::from(*v)),
            });
        }
        out
    }

    /// ISC `dhcp_lease_set_value`, as far as it refuses; see the module doc.
    pub(super) fn update_lease(&mut self, _ip: Ipv4Addr, values: &Attributes) -> Result<(), IscResult> {
        for (name, _) in values.iter() {
            match name {
                b"ip-address" | b"pool" | b"starts" => return Err(IscResult::NoPerm),
                b"subnet" => return Err(IscResult::InvalidArg),
                b"dhcp-client-identifier" | b"hostname" | b"client-hostname" | b"host" | b"billing-class"
                | b"hardware-address" | b"hardware-type" => {}
                _ => return Err(IscResult::NotImplemented),
            }
        }
        Ok(())
    }

    pub(super) fn pool_values(&mut self, pool: usize) -> Vec<NamedValue> {
        let (count, free, backup) = self.backend.dhcp().pool_counts(pool);
        vec![int("lease-count", count as u32), int("free-leases", free as u32), int("backup-leases", backup as u32)]
    }
}
