//! `lease` objects (ISC `dhcp_lease_lookup`, `dhcp_lease_stuff_values`,
//! `dhcp_lease_set_value`), and the pool values a lease reply points at.
//!
//! Lookup tries ISC's keys in ISC's order (handle, ip-address, dhcp-client-identifier,
//! hardware-address with hardware-type, ethernet by default); keys naming different leases
//! are KEYCONFLICT, a client identifier or hardware address shared by several leases is
//! MULTIPLE. A reply lists ISC's attributes in ISC's order and encodings; times go out as
//! 32-bit numbers, as ISC truncates them.
//!
//! An update sets ISC's attributes in turn, stopping at the first refusal (what came before
//! stays done and written): `state` (1-7), `ends` and `flags` go through the engine's
//! [`edit_lease`](crate::engine::Engine::edit_lease) as ISC's `supersede_lease`, written
//! before the answer and sent to the failover partner; `ip-address`, `pool` and `starts` are
//! NOPERM, `subnet` INVALIDARG, the client's identity and names UNCHANGED (skipped); any
//! other name is a variable of the lease's scope, written as `set NAME = "VALUE";` (ISC
//! stores it as a boolean made of a pointer's bits, and shows those bits), a value-less one
//! removes it (UNKNOWNATTRIBUTE when there is none). After a successful UPDATE the lease
//! also keeps the message's handle as `remote-handle`, as ISC's does. A variable name the
//! lease file could not read back is INVALIDARG (ISC writes it, and then cannot read its
//! own file).

use std::net::Ipv4Addr;

use super::{data, int, Backend, LeaseEditError, Obj, Store};
use crate::engine::lease_edit::{EditError, LeaseEdit};
use crate::lease::{BindingState, BindingValue};
use crate::omapi::store::{Attributes, Handle, ObjectType};
use crate::wire::omapi::{IscResult, NamedValue, Value};

/// ISC's ethernet hardware type, assumed when a lookup gives no `hardware-type`.
const HTYPE_ETHER: u8 = 1;

/// ISC `omapi_get_int_value` on what came off the wire: exactly 4 bytes, big-endian.
fn int_value(value: Option<&[u8]>) -> Result<u32, IscResult> {
    match value {
        Some(&[a, b, c, d]) => Ok(u32::from_be_bytes([a, b, c, d])),
        _ => Err(IscResult::InvalidArg),
    }
}

/// A name the lease file reads back as a variable (`set NAME = ...;`): a word of letters,
/// digits, `-` and `_` that starts with a letter or digit, is not all digits and is not a
/// keyword. ISC writes any name, and a lease file it cannot read back.
fn variable_name_ok(name: &[u8]) -> bool {
    let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_';
    name.first().is_some_and(u8::is_ascii_alphanumeric)
        && name.len() <= 64
        && name.iter().all(word)
        && !name.iter().all(u8::is_ascii_digit)
        && crate::conf::keywords::lookup(name).is_none()
}

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
        // ISC's `EPHEMERAL_FLAGS` bits.
        out.push(data("flags", &[e.flags()]));
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

    /// ISC `dhcp_lease_set_value` for each value in turn; see the module doc.
    pub(super) fn update_lease(&mut self, ip: Ipv4Addr, values: &Attributes) -> Result<(), IscResult> {
        for (name, value) in values.iter() {
            let edit = match name {
                b"state" => {
                    let code = int_value(value)?;
                    let state = u8::try_from(code).ok().and_then(BindingState::from_code).ok_or(IscResult::InvalidArg)?;
                    LeaseEdit::State(state)
                }
                b"ends" => LeaseEdit::Ends(i64::from(int_value(value)?)),
                // ISC sends flags as one byte and takes that or omshell's 4-byte integer.
                b"flags" => match value {
                    Some(&[f]) => LeaseEdit::Flags(f),
                    v => LeaseEdit::Flags(int_value(v)? as u8),
                },
                b"ip-address" | b"pool" | b"starts" => return Err(IscResult::NoPerm),
                b"subnet" => return Err(IscResult::InvalidArg),
                // ISC answers UNCHANGED ("XXX take change"), which an update skips.
                b"dhcp-client-identifier" | b"hostname" | b"client-hostname" | b"host" | b"billing-class"
                | b"hardware-address" | b"hardware-type" => continue,
                _ => {
                    if !variable_name_ok(name) {
                        return Err(IscResult::InvalidArg);
                    }
                    let name = String::from_utf8_lossy(name).into_owned();
                    LeaseEdit::Variable(name, value.map(|v| BindingValue::Data(v.to_vec())))
                }
            };
            self.edit(ip, edit)?;
        }
        Ok(())
    }

    /// ISC sets `remote-handle` as an integer: a numeric variable.
    pub(super) fn set_remote_handle(&mut self, ip: Ipv4Addr, remote: Handle) {
        let edit = LeaseEdit::Variable("remote-handle".into(), Some(BindingValue::Numeric(i64::from(remote))));
        let _ = self.edit(ip, edit);
    }

    /// One edit through the backend; an unchanged value is no error.
    fn edit(&mut self, ip: Ipv4Addr, edit: LeaseEdit) -> Result<(), IscResult> {
        match self.backend.edit_lease(self.now, ip, edit) {
            Ok(_) => Ok(()),
            Err(LeaseEditError::Refused(EditError::NoVariable)) => Err(IscResult::UnknownAttribute),
            Err(LeaseEditError::Refused(EditError::NoLease)) => Err(IscResult::NotFound),
            Err(LeaseEditError::Refused(EditError::NoPool) | LeaseEditError::Unwritten(_)) => Err(IscResult::IoError),
        }
    }

    pub(super) fn pool_values(&mut self, pool: usize) -> Vec<NamedValue> {
        let (count, free, backup) = self.backend.dhcp().pool_counts(pool);
        vec![int("lease-count", count as u32), int("free-leases", free as u32), int("backup-leases", backup as u32)]
    }
}

#[cfg(test)]
mod tests {
    use super::variable_name_ok;
    use crate::lease::file::{read_lease_file, ReadOptions};
    use crate::lease::{Binding, BindingValue, Lease};

    /// Every name let through comes back from the lease file as a variable; the refused ones
    /// would not.
    #[test]
    fn variable_names_are_those_the_lease_file_reads_back() {
        let read_back = |name: &str| {
            let mut l = Lease::new("10.0.0.5".parse().unwrap());
            l.bindings.push(Binding { name: name.into(), value: BindingValue::Data(b"v".to_vec()) });
            let mut text = Vec::new();
            crate::lease::write::lease(&mut text, &l, &Default::default()).unwrap();
            let log = read_lease_file("t", &text, ReadOptions::at(0)).ok()?;
            let got = log.leases().next()?.bindings.first().map(|b| b.name.clone());
            got.filter(|n| n == name)
        };
        for ok in ["foo", "remote-handle", "a_1", "1a", "X-Y"] {
            assert!(variable_name_ok(ok.as_bytes()), "{ok}");
            assert_eq!(read_back(ok).as_deref(), Some(ok), "{ok} must read back");
        }
        for bad in ["uid", "ends", "a b", "12", "-x", "", "a;b", "é"] {
            assert!(!variable_name_ok(bad.as_bytes()), "{bad}");
        }
        for keyword in ["uid", "ends", "hardware"] {
            assert_eq!(read_back(keyword), None, "{keyword} is not read back as a variable");
        }
    }
}
