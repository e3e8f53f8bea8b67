//! `host` objects (ISC `dhcp_host_lookup`, `dhcp_host_set_value`, `dhcp_host_signal_handler`,
//! `dhcp_host_stuff_values`, `dhcp_host_remove`, and `enter_host`/`delete_host` behind them).
//!
//! An OPEN that finds nothing makes an empty host object; its values are set one by one with
//! ISC's rules (`name`, `hardware-address` and `dhcp-client-identifier` only once, a new
//! `ip-address` replaces the old, `group` names a named group), then the update is
//! committed: a host needs a hardware address or a client identifier, gets a generated name
//! if it has none, and is entered in the engine, refused with EXISTS when another live host
//! has its name. Every committed change is written to the lease file first, as ISC writes
//! it: a new host as `host NAME { dynamic; ... }`; a changed one as a rubout then the new
//! declaration; a removed one as a rubout (`deleted;`).
//!
//! `statements` (configuration statements sent as text) is not taken: it answers
//! NOTIMPLEMENTED. ISC parses it into the host's own scope.

use super::hostfile::{self, RecordError};
use super::lease::hardware_type;
use super::{data, int, Backend, HostObj, Obj, Store};
use crate::conf::model::{AddrOrName, Config, FixedAddresses, GroupId, Hardware, Host};
use crate::engine::hosts::HostId;
use crate::lease::records::Record;
use crate::omapi::store::{Attributes, Handle, ObjectType};
use crate::wire::omapi::{IscResult, NamedValue};

/// ISC's hardware buffer holds the type byte and at most this many address bytes.
const HARDWARE_MAX: usize = 20;

/// A host object's fields, as ISC's `host_decl` holds those OMAPI can set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDraft {
    /// `name`, cut at the first NUL as ISC's C string is.
    pub name: Option<String>,
    /// The hardware type byte (ISC `interface.hbuf[0]`), set apart from the address.
    pub htype: u8,
    /// The hardware address; `None` while ISC's `interface.hlen` is 0.
    pub hw: Option<Vec<u8>>,
    /// The client identifier.
    pub uid: Option<Vec<u8>>,
    /// The fixed addresses, 4 bytes each.
    pub fixed: Vec<[u8; 4]>,
    /// The named group (index into `Config::named_groups`).
    pub named_group: Option<usize>,
    /// The host's scope: the root, or its named group's.
    pub group: GroupId,
    /// Made through OMAPI (ISC `HOST_DECL_DYNAMIC`).
    pub dynamic: bool,
    /// Removed before it was ever entered.
    pub deleted: bool,
}

impl Default for HostDraft {
    /// A host as `dhcp_host_create` makes it: dynamic, in the root scope, nothing set.
    fn default() -> HostDraft {
        HostDraft {
            name: None,
            htype: 0,
            hw: None,
            uid: None,
            fixed: Vec::new(),
            named_group: None,
            group: Config::ROOT,
            dynamic: true,
            deleted: false,
        }
    }
}

impl HostDraft {
    /// The fields of a declared host.
    pub fn from_host(h: &Host) -> HostDraft {
        let fixed = match &h.fixed_addresses {
            Some(FixedAddresses::V4(list)) => list
                .iter()
                .filter_map(|a| match a {
                    AddrOrName::Addr(ip) => Some(ip.octets()),
                    AddrOrName::Name(_) => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        HostDraft {
            name: Some(h.name.clone()),
            htype: h.hardware.as_ref().map_or(0, |hw| hw.htype),
            hw: h.hardware.as_ref().map(|hw| hw.addr.clone()),
            uid: h.uid.clone().filter(|u| !u.is_empty()),
            fixed,
            named_group: h.named_group,
            group: h.group,
            dynamic: h.dynamic,
            deleted: h.deleted,
        }
    }

    /// The declaration the engine keeps (the name must be set).
    pub fn to_host(&self) -> Host {
        Host {
            name: self.name.clone().unwrap_or_default(),
            group: self.group,
            hardware: self.hw.as_ref().map(|a| Hardware { htype: self.htype, addr: a.clone() }),
            fixed_addresses: (!self.fixed.is_empty())
                .then(|| FixedAddresses::V4(self.fixed.iter().map(|&b| AddrOrName::Addr(b.into())).collect())),
            fixed_prefixes6: Vec::new(),
            uid: self.uid.clone(),
            host_identifier: None,
            named_group: self.named_group,
            dynamic: self.dynamic,
            deleted: self.deleted,
        }
    }

    /// Sets one value (ISC `dhcp_host_set_value`); `value` is `None` for a null value.
    fn set(&mut self, name: &[u8], value: Option<&[u8]>, config: &Config) -> Result<(), IscResult> {
        match name {
            b"name" => {
                if self.name.is_some() {
                    return Err(IscResult::Exists);
                }
                let v = value.ok_or(IscResult::InvalidArg)?;
                let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
                self.name = Some(String::from_utf8_lossy(&v[..end]).into_owned());
            }
            b"group" => {
                let v = value.ok_or(IscResult::InvalidArg)?;
                let ng = config
                    .named_groups
                    .iter()
                    .position(|g| g.name.as_bytes() == v)
                    .ok_or(IscResult::NotFound)?;
                self.named_group = Some(ng);
                self.group = config.named_groups[ng].group;
            }
            b"hardware-address" => {
                if self.hw.is_some() {
                    return Err(IscResult::Exists);
                }
                let v = value.ok_or(IscResult::InvalidArg)?;
                if v.len() > HARDWARE_MAX {
                    return Err(IscResult::InvalidArg);
                }
                self.hw = Some(v.to_vec());
            }
            b"hardware-type" => match value {
                // ISC reads a 4-byte value as a network-order int and keeps its low byte.
                Some(&[_, _, _, t]) => self.htype = t,
                _ => return Err(IscResult::InvalidArg),
            },
            b"dhcp-client-identifier" => {
                if self.uid.is_some() {
                    return Err(IscResult::Exists);
                }
                self.uid = Some(value.ok_or(IscResult::InvalidArg)?.to_vec());
            }
            b"ip-address" => {
                self.fixed.clear();
                if let Some(v) = value {
                    // ISC keeps any bytes and uses whole addresses; a ragged tail could
                    // never be used, so it is refused.
                    if v.len() % 4 != 0 {
                        return Err(IscResult::InvalidArg);
                    }
                    self.fixed = v.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
                }
            }
            b"statements" => return Err(IscResult::NotImplemented),
            // "Not supported in the database yet, but legitimate."
            b"known" => {}
            _ => return Err(IscResult::UnknownAttribute),
        }
        Ok(())
    }

    /// The reply values, in ISC's order.
    fn values(&self) -> Vec<NamedValue> {
        let mut out = Vec::new();
        if !self.fixed.is_empty() {
            out.push(data("ip-address", &self.fixed.concat()));
        }
        if let Some(uid) = self.uid.as_ref().filter(|u| !u.is_empty()) {
            out.push(data("dhcp-client-identifier", uid));
        }
        if let Some(n) = &self.name {
            out.push(data("name", n.as_bytes()));
        }
        if let Some(hw) = &self.hw {
            out.push(data("hardware-address", hw));
            out.push(int("hardware-type", u32::from(self.htype)));
        }
        out
    }
}

/// One step of ISC's host lookup chain over host objects.
fn chain(found: &mut Option<usize>, hit: Option<usize>) -> Result<(), IscResult> {
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
    /// The draft of host object `k`, from the engine for an entered one.
    fn draft(&self, k: usize) -> Option<HostDraft> {
        match self.objects.hosts.get(k)? {
            HostObj::Draft(d) => Some((**d).clone()),
            HostObj::Entered(id) => self.backend.dhcp().host(*id).map(HostDraft::from_host),
        }
    }

    fn live_object(&mut self, id: Option<HostId>) -> Option<usize> {
        let id = id?;
        if self.backend.dhcp().host(id).map_or(true, |h| h.deleted) {
            return None;
        }
        Some(self.objects.host_object(id))
    }

    pub(super) fn lookup_host(&mut self, keys: &Attributes) -> Result<Handle, IscResult> {
        if keys.is_empty() {
            return Err(IscResult::NoKeys);
        }
        let mut found: Option<usize> = None;
        if let Some(h) = self.by_handle(keys, ObjectType::Host)? {
            if let Some(&Obj::Host(k)) = self.obj(h) {
                // A deleted host found by handle is dropped, and the other keys decide.
                if !self.draft(k).is_some_and(|d| d.deleted) {
                    found = Some(k);
                }
            }
        }
        if let Some(uid) = keys.get("dhcp-client-identifier") {
            let id = self.backend.dhcp().hosts_by_uid(uid).first().copied();
            let hit = self.live_object(id);
            chain(&mut found, hit)?;
        }
        if let Some(addr) = keys.get("hardware-address") {
            let htype = hardware_type(keys)?;
            let id = self.backend.dhcp().hosts_by_hw(htype, addr).first().copied();
            let hit = self.live_object(id);
            chain(&mut found, hit)?;
        }
        if let Some(ip) = keys.get("ip-address") {
            // The host of the lease of that address, found by the lease's hardware address.
            let lease_hw = <[u8; 4]>::try_from(ip)
                .ok()
                .and_then(|a| self.backend.dhcp().lease_entry(a.into()))
                .map(|e| e.lease.hardware.clone());
            match lease_hw {
                None if found.is_none() => return Err(IscResult::NotFound),
                None => {}
                Some(hw) => {
                    let id = hw.and_then(|hw| self.backend.dhcp().hosts_by_hw(hw.htype, &hw.addr).first().copied());
                    match self.live_object(id) {
                        Some(k) if found.is_some_and(|f| f != k) => return Err(IscResult::KeyConflict),
                        Some(k) => found = found.or(Some(k)),
                        None if found.is_none() => return Err(IscResult::NotFound),
                        None => {}
                    }
                }
            }
        }
        if let Some(name) = keys.get("name") {
            let id = self.backend.dhcp().host_by_name(name);
            let hit = self.live_object(id);
            chain(&mut found, hit)?;
        }
        match found {
            Some(k) => Ok(self.handle(Obj::Host(k))),
            None => Err(IscResult::NoKeys),
        }
    }

    pub(super) fn host_values(&mut self, k: usize) -> Vec<NamedValue> {
        self.draft(k).map_or_else(Vec::new, |d| d.values())
    }

    /// Sets the values, then commits the host (ISC's "updated" signal → `enter_host`).
    pub(super) fn update_host(&mut self, k: usize, values: &Attributes) -> Result<(), IscResult> {
        let Some(mut d) = self.draft(k) else { return Err(IscResult::NotFound) };
        let before = d.clone();
        let mut result = Ok(());
        for (name, value) in values.iter() {
            match d.set(name, value, self.backend.dhcp().config()) {
                Ok(()) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // ISC changes the object value by value: what was set before a failure stays set.
        self.store_draft(k, &d, &before);
        result?;
        self.commit_host(k, d)
    }

    /// Keeps the values set so far on the object, without entering it.
    fn store_draft(&mut self, k: usize, d: &HostDraft, before: &HostDraft) {
        if d == before {
            return;
        }
        match &mut self.objects.hosts[k] {
            HostObj::Draft(old) => **old = d.clone(),
            // An entered host changed in place: the engine sees it at once, as ISC's host
            // object is the one its hashes hold (the hashes are redone on commit).
            HostObj::Entered(id) => {
                let id = *id;
                self.backend.dhcp_mut().replace_host(id, d.to_host());
            }
        }
    }

    /// ISC `dhcp_host_signal_handler("updated")` and `enter_host(host, 1, 1)`.
    fn commit_host(&mut self, k: usize, mut d: HostDraft) -> Result<(), IscResult> {
        if d.hw.is_none() && d.uid.as_ref().map_or(true, |u| u.is_empty()) {
            return Err(IscResult::InvalidArg);
        }
        if d.name.is_none() {
            // ISC: "nh" then the time and the object's address in hex; the object number
            // stands in for the address.
            d.name = Some(format!("nh{:08x}{:08x}", self.now.wall as u32, k as u32));
        }
        let name = d.name.clone().unwrap_or_default();
        let mut records = Vec::new();
        match self.objects.hosts[k].clone() {
            HostObj::Draft(_) => {
                if self.backend.dhcp().host_by_name(name.as_bytes()).is_some() {
                    self.objects.hosts[k] = HostObj::Draft(Box::new(d));
                    return Err(IscResult::Exists);
                }
                d.deleted = false;
                let id = self.backend.dhcp_mut().add_host(d.to_host());
                self.objects.hosts[k] = HostObj::Entered(id);
                self.objects.drafts -= 1;
                self.objects.host_of.insert(id, k);
            }
            HostObj::Entered(id) => {
                match self.backend.dhcp().host_by_name(name.as_bytes()) {
                    Some(other) if other != id => return Err(IscResult::Exists),
                    _ => {}
                }
                // Updating an entered host: ISC deletes it, writes the rubout, enters it
                // again and writes it.
                let mut gone = d.clone();
                gone.deleted = true;
                records.push(hostfile::record(&gone, self.backend.dhcp().config()));
                d.deleted = false;
                self.backend.dhcp_mut().replace_host(id, d.to_host());
            }
        }
        records.push(hostfile::record(&d, self.backend.dhcp().config()));
        self.persist(records)
    }

    /// ISC `dhcp_host_remove` → `delete_host(host, 1)`.
    pub(super) fn remove_host(&mut self, k: usize) -> Result<(), IscResult> {
        let Some(mut d) = self.draft(k) else { return Err(IscResult::NotFound) };
        if d.deleted {
            return Ok(());
        }
        d.deleted = true;
        match self.objects.hosts[k] {
            HostObj::Draft(ref mut old) => {
                **old = d.clone();
                // Never entered: a rubout is written only if there is a name to write
                // (ISC would write one for a NULL name too, reading through the pointer).
                if d.name.is_none() {
                    return Ok(());
                }
            }
            HostObj::Entered(id) => self.backend.dhcp_mut().delete_host(id),
        }
        self.persist(vec![hostfile::record(&d, self.backend.dhcp().config())])
    }

    /// Writes host records (ISC `write_host` + `commit_leases`).
    fn persist(&mut self, records: Vec<Result<Record, RecordError>>) -> Result<(), IscResult> {
        let records: Vec<Record> = records.into_iter().collect::<Result<_, _>>().map_err(|_| IscResult::IoError)?;
        self.backend.persist(&records).map_err(|_| IscResult::IoError)
    }
}
