//! The server's OMAPI objects: what `omshell` finds, reads and changes in a running dhcpd.
//!
//! [`Objects`] is OMAPI's own lasting state, one per server: the process-wide handle table
//! (ISC numbers objects from 1 as the protocol first names them and never reuses a number),
//! host objects made by OPEN but not entered yet, and the control object's state.
//! [`Objects::store`] lends it, with the server's [`Backend`], to a session as an
//! [`ObjectStore`]. The object rules are ISC's (`server/omapi.c`, `server/failover.c`,
//! `common/comapi.c`, reference §3.5), one file per type:
//!
//! * [`lease`] — looked up by ip-address, dhcp-client-identifier or hardware-address;
//!   `state`, `ends`, `flags` and scope variables changed as ISC changes them;
//! * [`host`] — created, looked up, updated and removed; every change is a lease-file
//!   record ([`hostfile`]) written before the reply, and takes effect in the engine;
//! * [`failover`] — looked up by name; `local-state` moves the peer (partner-down);
//! * the control object (here): `state = 2` asks the server to stop.
//!
//! Subnets, pools and billing classes are named by handle in lease replies; like ISC, they
//! cannot be looked up. Nothing here does IO: the backend does.

pub mod backend;
mod failover;
pub mod host;
pub mod hostfile;
mod lease;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;
use std::net::Ipv4Addr;

pub use backend::{Backend, Dhcp, Endpoint, FailoverFacts, LeaseEditError};
pub use host::HostDraft;

use super::handles::HandleTable;
use super::store::{Attributes, Handle, ObjectStore, ObjectType, Target};
use crate::engine::classify::ClassRef;
use crate::engine::hosts::HostId;
use crate::time::Now;
use crate::wire::omapi::{IscResult, NamedValue, Value};

/// The control object's `state` (ISC `control_object_state_t`).
pub mod control_state {
    /// `server_startup`: what ISC's control object reads while serving (it never changes it).
    pub const STARTUP: u32 = 0;
    /// `server_running`.
    pub const RUNNING: u32 = 1;
    /// `server_shutdown`: the one value a client may set.
    pub const SHUTDOWN: u32 = 2;
}

/// Host objects made by OPEN and never entered that may exist at once.
pub const MAX_DRAFTS: usize = 4096;

/// What a handle names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Obj {
    /// A `key` statement, by name.
    Key(String),
    /// The lease of an address.
    Lease(Ipv4Addr),
    /// A subnet (index into `Config::subnets`).
    Subnet(usize),
    /// A pool (index into `Config::pools`).
    Pool(usize),
    /// A billing class.
    Class(ClassRef),
    /// A host object (index into `Objects::hosts`).
    Host(usize),
    /// A failover relationship (index into `FailoverConfig::peers`).
    Failover(usize),
    /// The control object.
    Control,
}

/// A host object: being put together by OMAPI, or entered in the engine.
#[derive(Debug, Clone)]
enum HostObj {
    /// Made by OPEN; entered once an update gives it a hardware address or client id.
    Draft(Box<HostDraft>),
    /// In the engine.
    Entered(HostId),
}

/// OMAPI's lasting state (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct Objects {
    handles: HandleTable<Obj>,
    hosts: Vec<HostObj>,
    host_of: HashMap<HostId, usize>,
    /// Host objects in `hosts` that are drafts.
    drafts: usize,
    control: u32,
}

impl Objects {
    /// Nothing named yet; the control object reads `server_startup`, as ISC's does.
    pub fn new() -> Objects {
        Objects::default()
    }

    /// The store a session uses for one input: these objects over `backend` at `now`.
    pub fn store<'a, B: Backend + ?Sized>(&'a mut self, backend: &'a mut B, now: Now) -> Store<'a, B> {
        Store { objects: self, backend, now }
    }

    /// Number of handles given so far.
    pub fn handles_given(&self) -> usize {
        self.handles.len()
    }

    /// The host object for an engine host, made on first use.
    fn host_object(&mut self, id: HostId) -> usize {
        if let Some(&k) = self.host_of.get(&id) {
            return k;
        }
        self.hosts.push(HostObj::Entered(id));
        let k = self.hosts.len() - 1;
        self.host_of.insert(id, k);
        k
    }
}

/// [`Objects`] with a backend, for one session input.
pub struct Store<'a, B: ?Sized> {
    objects: &'a mut Objects,
    backend: &'a mut B,
    now: Now,
}

impl<B: Backend + ?Sized> Store<'_, B> {
    fn obj(&self, handle: Handle) -> Option<&Obj> {
        self.objects.handles.get(handle)
    }

    fn handle(&mut self, obj: Obj) -> Handle {
        self.objects.handles.handle_of(obj)
    }

    /// The object a `handle` lookup key names, if it is of type `kind` (ISC: another type
    /// is INVALIDARG, an unknown handle NOTFOUND).
    fn by_handle(&self, keys: &Attributes, kind: ObjectType) -> Result<Option<Handle>, IscResult> {
        let Some(h) = keys.get_u32("handle") else { return Ok(None) };
        let h = h.map_err(|()| IscResult::InvalidArg)?;
        match self.target(h) {
            None => Err(IscResult::NotFound),
            Some(Target::Object(k)) if k == kind => Ok(Some(h)),
            Some(_) => Err(IscResult::InvalidArg),
        }
    }
}

/// A value as ISC's `omapi_connection_put_named_uint32` sends it.
fn int(name: &str, v: u32) -> NamedValue {
    NamedValue::new(name, Value::Int(v))
}

/// Bytes as ISC sends data.
fn data(name: &str, v: &[u8]) -> NamedValue {
    NamedValue::new(name, Value::Data(v.to_vec()))
}

impl<B: Backend + ?Sized> ObjectStore for Store<'_, B> {
    fn lookup(&mut self, kind: ObjectType, keys: &Attributes) -> Result<Handle, IscResult> {
        match kind {
            ObjectType::Lease => self.lookup_lease(keys),
            ObjectType::Host => self.lookup_host(keys),
            ObjectType::FailoverState => self.lookup_failover(keys),
            ObjectType::Control => {
                // One control object: found whatever the keys say, unless a handle names
                // something else.
                if let Some(h) = self.by_handle(keys, ObjectType::Control)? {
                    return Ok(h);
                }
                Ok(self.handle(Obj::Control))
            }
            // ISC cannot look these up (or we do not yet): the session then tries to
            // create one, which answers NOTIMPLEMENTED.
            _ => Err(IscResult::NoKeys),
        }
    }

    fn create(&mut self, kind: ObjectType) -> Result<Handle, IscResult> {
        match kind {
            ObjectType::Host => {
                // Each OPEN that finds no host makes one that lives as long as the server
                // (its handle stays valid, as ISC's do); without a cap an unkeyed listener
                // would let any client fill memory with them.
                if self.objects.drafts >= MAX_DRAFTS {
                    return Err(IscResult::NoMemory);
                }
                self.objects.drafts += 1;
                self.objects.hosts.push(HostObj::Draft(Box::default()));
                let k = self.objects.hosts.len() - 1;
                Ok(self.handle(Obj::Host(k)))
            }
            _ => Err(IscResult::NotImplemented),
        }
    }

    fn update(&mut self, handle: Handle, values: &Attributes) -> Result<(), IscResult> {
        match self.obj(handle).cloned() {
            Some(Obj::Lease(ip)) => self.update_lease(ip, values),
            Some(Obj::Host(k)) => self.update_host(k, values),
            Some(Obj::Failover(p)) => self.update_failover(p, values),
            Some(Obj::Control) => {
                for (name, _) in values.iter() {
                    if name != b"state" {
                        return Err(IscResult::NotFound);
                    }
                    let v = values.get_u32("state").unwrap_or(Err(())).map_err(|()| IscResult::InvalidArg)?;
                    if v != control_state::SHUTDOWN {
                        return Err(IscResult::InvalidArg);
                    }
                    if self.objects.control != control_state::SHUTDOWN {
                        self.backend.shutdown();
                    }
                    self.objects.control = v;
                }
                Ok(())
            }
            // Subnets, pools and classes take no values (ISC's set methods answer
            // NOTFOUND for every name through their empty inner chain).
            Some(Obj::Subnet(_) | Obj::Pool(_) | Obj::Class(_)) => Err(IscResult::NotFound),
            Some(Obj::Key(_)) | None => Err(IscResult::NotFound),
        }
    }

    fn values(&mut self, handle: Handle) -> Vec<NamedValue> {
        match self.obj(handle).cloned() {
            Some(Obj::Lease(ip)) => self.lease_values(ip),
            Some(Obj::Host(k)) => self.host_values(k),
            Some(Obj::Failover(p)) => self.failover_values(p),
            Some(Obj::Control) => vec![int("state", self.objects.control)],
            Some(Obj::Pool(p)) => match self.backend.dhcp().config().pools.get(p) {
                Some(_) => self.pool_values(p),
                None => Vec::new(),
            },
            Some(Obj::Subnet(_) | Obj::Class(_) | Obj::Key(_)) | None => Vec::new(),
        }
    }

    fn remove(&mut self, handle: Handle) -> Result<(), IscResult> {
        match self.obj(handle).cloned() {
            Some(Obj::Host(k)) => self.remove_host(k),
            Some(_) => Err(IscResult::NotImplemented),
            None => Err(IscResult::NotFound),
        }
    }

    fn target(&self, handle: Handle) -> Option<Target> {
        Some(match self.obj(handle)? {
            Obj::Key(name) => Target::Key(name.clone()),
            Obj::Lease(_) => Target::Object(ObjectType::Lease),
            Obj::Subnet(_) => Target::Object(ObjectType::Subnet),
            Obj::Pool(_) => Target::Object(ObjectType::Pool),
            Obj::Class(ClassRef::Config(i)) => {
                let config = self.backend.dhcp().config();
                match config.classes.get(*i).and_then(|c| c.superclass) {
                    Some(_) => Target::Object(ObjectType::Subclass),
                    None => Target::Object(ObjectType::Class),
                }
            }
            Obj::Class(ClassRef::Spawned(_)) => Target::Object(ObjectType::Subclass),
            Obj::Host(_) => Target::Object(ObjectType::Host),
            Obj::Failover(_) => Target::Object(ObjectType::FailoverState),
            Obj::Control => Target::Object(ObjectType::Control),
        })
    }

    fn key_handle(&mut self, name: &str) -> Handle {
        self.handle(Obj::Key(name.to_string()))
    }

    fn remote_handle(&mut self, handle: Handle, remote: Handle) {
        // Of ISC's objects only a lease keeps it: as a scope variable, in the lease file.
        if let Some(Obj::Lease(ip)) = self.obj(handle).cloned() {
            self.set_remote_handle(ip, remote);
        }
    }
}
