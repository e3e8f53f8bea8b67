//! Host declarations found by hardware address, client identifier or
//! `host-identifier option`, and their fixed addresses (ISC `enter_host`,
//! `find_hosts_by_haddr`, `find_hosts_by_uid`, `find_hosts_by_option`,
//! `find_host_for_network`).
//!
//! Several hosts may share a key; ISC chains them in declaration order and
//! the first match wins wherever a single one is wanted. Fixed addresses
//! given as host names need a DNS lookup, which is IO: the serving shell
//! resolves [`fixed_address_names`] and hands the answers to
//! [`Hosts::set_resolved`]; until then only literal addresses count.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::conf::model::{AddrOrName, Config, FixedAddresses, Host};
use crate::conf::parse::option::ValuePart;
use crate::options::{OptionCatalog, SpaceId};

/// Index of a host in `Config::hosts`.
pub type HostId = usize;

/// One `host-identifier option` key: an option and the hosts by value.
#[derive(Clone, Debug)]
struct IdentifierTable {
    space: SpaceId,
    code: u32,
    hosts: HashMap<Vec<u8>, Vec<HostId>>,
}

/// The host indexes.
#[derive(Clone, Debug, Default)]
pub struct Hosts {
    by_hw: HashMap<Vec<u8>, Vec<HostId>>,
    by_uid: HashMap<Vec<u8>, Vec<HostId>>,
    by_option: Vec<IdentifierTable>,
    fixed: Vec<Vec<Ipv4Addr>>,
    by_name: HashMap<Vec<u8>, HostId>,
    /// What DNS said of each `fixed-address` host name (absent: no answer).
    resolved: HashMap<String, Vec<Ipv4Addr>>,
}

/// The host names written in `fixed-address` lists, each once, in
/// declaration order: what the shell must look up.
pub fn fixed_address_names(config: &Config) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for host in &config.hosts {
        if let Some(FixedAddresses::V4(list)) = &host.fixed_addresses {
            for a in list {
                if let AddrOrName::Name(n) = a {
                    if !names.contains(n) {
                        names.push(n.clone());
                    }
                }
            }
        }
    }
    names
}

/// A host's fixed addresses given what DNS answered: the list in order,
/// each name replaced by all its addresses. A name without an answer makes
/// the whole list unusable, as in ISC, where the list is one concatenation
/// that fails when any lookup in it fails.
fn fixed_list(list: &[AddrOrName], resolved: &HashMap<String, Vec<Ipv4Addr>>) -> Vec<Ipv4Addr> {
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        match a {
            AddrOrName::Addr(ip) => out.push(*ip),
            AddrOrName::Name(n) => match resolved.get(n) {
                Some(ips) => out.extend_from_slice(ips),
                None => return Vec::new(),
            },
        }
    }
    out
}

/// A host's hardware key: type byte then address (ISC `interface.hbuf`).
fn hw_key(host: &Host) -> Option<Vec<u8>> {
    let hw = host.hardware.as_ref()?;
    let mut key = Vec::with_capacity(1 + hw.addr.len());
    key.push(hw.htype);
    key.extend_from_slice(&hw.addr);
    Some(key)
}

impl Hosts {
    /// Indexes the live hosts of `config`.
    pub fn new(config: &Config) -> Hosts {
        let catalog = OptionCatalog::isc();
        let mut h = Hosts { fixed: vec![Vec::new(); config.hosts.len()], ..Hosts::default() };
        for (id, host) in config.hosts.iter().enumerate() {
            h.index(id, host, &catalog);
        }
        h
    }

    /// Files host `id` under its keys (ISC `enter_host`): a host added at
    /// run time (OMAPI, the lease file) goes after those already sharing a
    /// key, as ISC chains it. Deleted hosts are not filed.
    pub fn insert(&mut self, id: HostId, host: &Host) {
        self.index(id, host, &OptionCatalog::isc());
    }

    /// Takes host `id` out of every index (ISC `delete_host`); `host` must be
    /// the declaration it was filed with.
    pub fn remove(&mut self, id: HostId, host: &Host) {
        fn unlink(map: &mut HashMap<Vec<u8>, Vec<HostId>>, key: &[u8], id: HostId) {
            if let Some(list) = map.get_mut(key) {
                list.retain(|&h| h != id);
                if list.is_empty() {
                    map.remove(key);
                }
            }
        }
        if let Some(key) = hw_key(host) {
            unlink(&mut self.by_hw, &key, id);
        }
        if let Some(uid) = host.uid.as_ref().filter(|u| !u.is_empty()) {
            unlink(&mut self.by_uid, uid, id);
        }
        for t in &mut self.by_option {
            t.hosts.retain(|_, list| {
                list.retain(|&h| h != id);
                !list.is_empty()
            });
        }
        if self.by_name.get(host.name.as_bytes()) == Some(&id) {
            self.by_name.remove(host.name.as_bytes());
        }
        if let Some(f) = self.fixed.get_mut(id) {
            f.clear();
        }
    }

    fn index(&mut self, id: HostId, host: &Host, catalog: &OptionCatalog) {
        if self.fixed.len() <= id {
            self.fixed.resize(id + 1, Vec::new());
        }
        if host.deleted {
            return;
        }
        self.by_name.insert(host.name.as_bytes().to_vec(), id);
        if let Some(key) = hw_key(host) {
            self.by_hw.entry(key).or_default().push(id);
        }
        if let Some(uid) = host.uid.as_ref().filter(|u| !u.is_empty()) {
            self.by_uid.entry(uid.clone()).or_default().push(id);
        }
        if let Some(hi) = host.host_identifier.as_ref().filter(|hi| hi.relays == 0) {
            let (space, name) = hi.option.split_once('.').unwrap_or(("dhcp", hi.option.as_str()));
            let def = catalog.find(space, name);
            let value: Option<Vec<u8>> = hi
                .value
                .iter()
                .map(|p| match p {
                    ValuePart::Bytes(b) => Some(b.clone()),
                    ValuePart::HostLookup { .. } => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(|v| v.concat());
            if let (Some(def), Some(value)) = (def, value) {
                let at = match self.by_option.iter().position(|t| t.space == def.space && t.code == def.code) {
                    Some(i) => i,
                    None => {
                        self.by_option.push(IdentifierTable { space: def.space, code: def.code, hosts: HashMap::new() });
                        self.by_option.len() - 1
                    }
                };
                self.by_option[at].hosts.entry(value).or_default().push(id);
            }
        }
        if let Some(FixedAddresses::V4(list)) = &host.fixed_addresses {
            self.fixed[id] = fixed_list(list, &self.resolved);
        }
    }

    /// Takes DNS's answers for the `fixed-address` host names (a name
    /// missing from `resolved` did not resolve) and recomputes the fixed
    /// addresses of every host of `config` that names one.
    pub fn set_resolved(&mut self, config: &Config, resolved: HashMap<String, Vec<Ipv4Addr>>) {
        self.resolved = resolved;
        for (id, host) in config.hosts.iter().enumerate() {
            if let Some(FixedAddresses::V4(list)) = &host.fixed_addresses {
                if !host.deleted && list.iter().any(|a| matches!(a, AddrOrName::Name(_))) && id < self.fixed.len() {
                    self.fixed[id] = fixed_list(list, &self.resolved);
                }
            }
        }
    }

    /// The live host called `name` (ISC `host_name_hash`; exact bytes).
    pub fn by_name(&self, name: &[u8]) -> Option<HostId> {
        self.by_name.get(name).copied()
    }

    /// Hosts declared with this hardware type and address.
    pub fn by_hw(&self, htype: u8, addr: &[u8]) -> &[HostId] {
        let mut key = Vec::with_capacity(1 + addr.len());
        key.push(htype);
        key.extend_from_slice(addr);
        self.by_hw.get(&key).map_or(&[], Vec::as_slice)
    }

    /// Hosts declared with this client identifier.
    pub fn by_uid(&self, uid: &[u8]) -> &[HostId] {
        self.by_uid.get(uid).map_or(&[], Vec::as_slice)
    }

    /// Hosts found through `host-identifier option` (ISC
    /// `find_hosts_by_option`): the first identifier option the request
    /// carries whose value names a host. `option` yields a received option.
    pub fn by_option<'a>(&self, option: impl Fn(SpaceId, u32) -> Option<&'a [u8]>) -> &[HostId] {
        for t in &self.by_option {
            if let Some(v) = option(t.space, t.code) {
                if let Some(hosts) = t.hosts.get(v) {
                    return hosts;
                }
            }
        }
        &[]
    }

    /// A host's literal fixed addresses, in declaration order.
    pub fn fixed(&self, host: HostId) -> &[Ipv4Addr] {
        self.fixed.get(host).map_or(&[], Vec::as_slice)
    }

    /// Whether a host declares `fixed-address` at all (ISC tests the
    /// option cache, so a name-only list counts).
    pub fn has_fixed(config: &Config, host: HostId) -> bool {
        matches!(config.hosts[host].fixed_addresses, Some(FixedAddresses::V4(_)))
    }
}
