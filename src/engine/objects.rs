//! What OMAPI reads and changes in the engine: host declarations added,
//! replaced and deleted at run time (ISC `enter_host`, `delete_host`), and
//! leases found by address, client identifier or hardware address with the
//! facts ISC keeps beside them (subnet, pool, host, billing class).
//!
//! Hosts live in the configuration, indexed by [`HostId`], which never
//! changes for a host: a deleted host keeps its slot (flagged `deleted`, as
//! ISC keeps the object) and a new one takes the next. The first run-time
//! change of a configuration still shared with another holder copies it
//! (`Arc::make_mut`); later ones change the engine's own copy.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::failover::FailoverHooks;
use super::hosts::HostId;
use super::leasedb::Entry;
use super::{Engine, ScopeEvaluator};
use crate::conf::model::Host;

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// A host declaration (deleted ones included).
    pub fn host(&self, id: HostId) -> Option<&Host> {
        self.config.hosts.get(id)
    }

    /// The live host called `name` (exact bytes, ISC `host_name_hash`).
    pub fn host_by_name(&self, name: &[u8]) -> Option<HostId> {
        self.hosts.by_name(name)
    }

    /// Live hosts declared with this hardware type and address, in ISC's
    /// chain order.
    pub fn hosts_by_hw(&self, htype: u8, addr: &[u8]) -> &[HostId] {
        self.hosts.by_hw(htype, addr)
    }

    /// Live hosts declared with this client identifier, in ISC's chain order.
    pub fn hosts_by_uid(&self, uid: &[u8]) -> &[HostId] {
        self.hosts.by_uid(uid)
    }

    /// Adds a host that takes effect for the next packet (ISC `enter_host`
    /// of a dynamic host). The caller checks the name is free.
    pub fn add_host(&mut self, host: Host) -> HostId {
        let config = Arc::make_mut(&mut self.config);
        config.hosts.push(host);
        let id = config.hosts.len() - 1;
        self.hosts.insert(id, &config.hosts[id]);
        id
    }

    /// Puts `host` in place of host `id` (an OMAPI update): the old keys no
    /// longer find it, the new ones do. False when there is no such host.
    pub fn replace_host(&mut self, id: HostId, host: Host) -> bool {
        if id >= self.config.hosts.len() {
            return false;
        }
        let config = Arc::make_mut(&mut self.config);
        self.hosts.remove(id, &config.hosts[id]);
        config.hosts[id] = host;
        self.hosts.insert(id, &config.hosts[id]);
        true
    }

    /// Deletes host `id` (ISC `delete_host`): no key finds it any more; the
    /// declaration stays, flagged deleted. False when there is no such host
    /// or it was deleted already.
    pub fn delete_host(&mut self, id: HostId) -> bool {
        match self.config.hosts.get(id) {
            Some(h) if !h.deleted => {}
            _ => return false,
        }
        let config = Arc::make_mut(&mut self.config);
        self.hosts.remove(id, &config.hosts[id]);
        config.hosts[id].deleted = true;
        true
    }

    /// The lease of an address with what the engine keeps beside it.
    pub fn lease_entry(&self, ip: Ipv4Addr) -> Option<&Entry> {
        self.db.by_ip(ip).map(|i| self.db.get(i))
    }

    /// A pool's lease count and its FREE and BACKUP leases (ISC `lease_count`,
    /// `free_leases`, `backup_leases`); zeros for a pool that does not exist.
    pub fn pool_counts(&self, pool: usize) -> (i64, i64, i64) {
        if pool >= self.config.pools.len() {
            return (0, 0, 0);
        }
        let p = self.db.pool(pool);
        (p.lease_count, p.free_leases, p.backup_leases)
    }

    /// The addresses of the leases of a client identifier (ISC's uid hash
    /// chain), most preferred first.
    pub fn leases_by_uid(&self, uid: &[u8]) -> Vec<Ipv4Addr> {
        self.db.by_uid(uid).iter().map(|&i| self.db.get(i).lease.ip).collect()
    }

    /// The addresses of the leases of a hardware address given as ISC's
    /// hash key (type byte, then the address), most preferred first.
    pub fn leases_by_hw(&self, key: &[u8]) -> Vec<Ipv4Addr> {
        self.db.by_hw(key).iter().map(|&i| self.db.get(i).lease.ip).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::sync::Arc;

    use crate::conf::model::{AddrOrName, Config, FixedAddresses, Hardware, Host};
    use crate::engine::{ConstEvaluator, Engine, NoFailover};

    fn host(name: &str, mac: u8, ip: [u8; 4]) -> Host {
        Host {
            name: name.into(),
            group: Config::ROOT,
            hardware: Some(Hardware { htype: 1, addr: vec![0, 0x11, 0x22, 0x33, 0x44, mac] }),
            fixed_addresses: Some(FixedAddresses::V4(vec![AddrOrName::Addr(Ipv4Addr::from(ip))])),
            fixed_prefixes6: Vec::new(),
            uid: Some(vec![1, mac]),
            host_identifier: None,
            named_group: None,
            dynamic: true,
            deleted: false,
        }
    }

    /// A host added at run time is a reservation for the next packet; deleted, it is not.
    #[test]
    fn added_hosts_are_served_and_deleted_ones_are_not() {
        use crate::engine::tests::{engine, reply, send, Client, T0};
        let conf = "authoritative;\nping-check false;\n\
            subnet 10.0.0.0 netmask 255.255.255.0 { pool { range 10.0.0.20 10.0.0.29; allow known-clients; } }\n";
        let mut e = engine(conf);
        let (fixed, known) = (Client::new(0x42), Client::new(0x43));
        assert!(send(&mut e, T0, &fixed.discover()).reply.is_none());
        assert!(send(&mut e, T0, &known.discover()).reply.is_none());
        let mut h = host("fixed", 0x42, [10, 0, 0, 5]);
        h.hardware.as_mut().unwrap().addr = fixed.mac.to_vec();
        let id = e.add_host(h);
        let mut k = host("known", 0x43, [0, 0, 0, 0]);
        k.hardware.as_mut().unwrap().addr = known.mac.to_vec();
        k.fixed_addresses = None;
        e.add_host(k);
        assert_eq!(reply(&send(&mut e, T0, &fixed.discover())).repr.yiaddr, Ipv4Addr::new(10, 0, 0, 5));
        let offered = reply(&send(&mut e, T0, &known.discover())).repr.yiaddr;
        assert!((20..=29).contains(&offered.octets()[3]), "{offered}");
        e.delete_host(id);
        assert!(send(&mut e, T0 + 1, &fixed.discover()).reply.is_none());
    }

    #[test]
    fn hosts_come_and_go_by_every_key() {
        let shared = Arc::new(Config::default());
        let mut e: Engine<ConstEvaluator, NoFailover> = Engine::new(shared.clone(), ConstEvaluator::default(), NoFailover);
        let a = e.add_host(host("a", 1, [10, 0, 0, 5]));
        let b = e.add_host(host("b", 1, [10, 0, 0, 6]));
        // The shared configuration was copied, not changed.
        assert!(shared.hosts.is_empty());
        assert_eq!(e.host_by_name(b"a"), Some(a));
        assert_eq!(e.hosts_by_hw(1, &[0, 0x11, 0x22, 0x33, 0x44, 1]), &[a, b]);
        assert_eq!(e.hosts_by_uid(&[1, 1]), &[a, b]);
        assert!(e.delete_host(a));
        assert!(!e.delete_host(a));
        assert_eq!(e.host_by_name(b"a"), None);
        assert_eq!(e.hosts_by_hw(1, &[0, 0x11, 0x22, 0x33, 0x44, 1]), &[b]);
        assert!(e.host(a).unwrap().deleted);
        assert!(e.replace_host(b, host("b", 2, [10, 0, 0, 7])));
        assert_eq!(e.hosts_by_hw(1, &[0, 0x11, 0x22, 0x33, 0x44, 1]), &[] as &[usize]);
        assert_eq!(e.hosts_by_uid(&[1, 2]), &[b]);
        assert_eq!(e.host_by_name(b"b"), Some(b));
        assert!(!e.replace_host(9, host("c", 3, [10, 0, 0, 8])));
    }
}
