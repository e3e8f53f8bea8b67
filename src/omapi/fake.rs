//! An in-memory [`ObjectStore`] for tests: a few objects, looked up by attribute equality.
//!
//! It models only what the session tests need, with the object rules of reference §3.5 in
//! their simplest form: failover states found by `name` and updatable through `local-state`;
//! leases found by ip-address, client identifier or hardware address, read-only; hosts that
//! can be created, found by name, hardware address, ip-address or client identifier, updated
//! and removed; one control object whose `state` accepts 2 (shutdown). Attribute values are
//! whatever the test puts in, typically those ISC sent in a capture.

use super::handles::HandleTable;
use super::store::{Attributes, Handle, ObjectStore, ObjectType, Target};
use crate::wire::omapi::{IscResult, NamedValue, Value};

/// An attribute of a fake object: a value, or a reference to another object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeValue {
    /// A plain value.
    Plain(Value),
    /// Another object (index in the store), sent as its handle.
    Ref(usize),
}

/// One object.
#[derive(Debug, Clone)]
pub struct FakeObject {
    /// Its type.
    pub kind: ObjectType,
    /// Its attributes in reply order.
    pub values: Vec<(String, FakeValue)>,
    /// Removed objects are not found by lookups (their handles still name them, as in ISC).
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Named {
    Key(String),
    Object(usize),
}

/// The store.
#[derive(Debug, Default, Clone)]
pub struct FakeStore {
    /// The objects, by index.
    pub objects: Vec<FakeObject>,
    handles: HandleTable<Named>,
    /// Values the control object was set to.
    pub control_states: Vec<u32>,
}

/// Attributes that identify objects of each type, in the order they are tried.
fn lookup_keys(kind: ObjectType) -> &'static [&'static str] {
    match kind {
        ObjectType::FailoverState => &["name"],
        ObjectType::Lease => &["ip-address", "dhcp-client-identifier", "hardware-address"],
        ObjectType::Host => &[
            "name",
            "hardware-address",
            "ip-address",
            "dhcp-client-identifier",
        ],
        _ => &[],
    }
}

/// The failover-state attributes ISC accepts (and, but for `local-state`, ignores).
const FAILOVER_NAMES: [&str; 19] = [
    "name",
    "partner-address",
    "partner-port",
    "local-address",
    "local-port",
    "max-outstanding-updates",
    "mclt",
    "load-balance-max-secs",
    "load-balance-hba",
    "partner-state",
    "local-state",
    "partner-stos",
    "local-stos",
    "hierarchy",
    "last-packet-sent",
    "last-timestamp-received",
    "skew",
    "max-response-delay",
    "cur-unacked-updates",
];

/// Host attributes in ISC's reply order.
const HOST_ORDER: [&str; 5] = [
    "ip-address",
    "name",
    "hardware-address",
    "hardware-type",
    "dhcp-client-identifier",
];

impl FakeStore {
    /// An empty store.
    pub fn new() -> FakeStore {
        FakeStore::default()
    }

    /// Adds an object and returns its index.
    pub fn add(&mut self, kind: ObjectType, values: Vec<(&str, FakeValue)>) -> usize {
        self.objects.push(FakeObject {
            kind,
            values: values
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect(),
            removed: false,
        });
        self.objects.len() - 1
    }

    /// Adds an object whose attributes are the given reply values.
    pub fn add_values(&mut self, kind: ObjectType, values: &[NamedValue]) -> usize {
        let values = values
            .iter()
            .map(|nv| {
                let name = String::from_utf8(nv.name.clone()).unwrap();
                (name, FakeValue::Plain(nv.value.clone()))
            })
            .collect();
        self.objects.push(FakeObject {
            kind,
            values,
            removed: false,
        });
        self.objects.len() - 1
    }

    /// The wire bytes of an object's attribute.
    pub fn value(&self, index: usize, name: &str) -> Option<Vec<u8>> {
        self.objects[index]
            .values
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| match v {
                FakeValue::Plain(v) => Some(v.to_wire()),
                FakeValue::Ref(_) => None,
            })
    }

    fn object(&self, handle: Handle) -> Option<usize> {
        match self.handles.get(handle)? {
            Named::Object(i) => Some(*i),
            Named::Key(_) => None,
        }
    }

    fn set(&mut self, index: usize, name: &str, value: Option<&[u8]>) {
        let values = &mut self.objects[index].values;
        values.retain(|(n, _)| n != name);
        if let Some(v) = value {
            values.push((name.to_string(), FakeValue::Plain(Value::Data(v.to_vec()))));
        }
    }
}

impl ObjectStore for FakeStore {
    fn lookup(&mut self, kind: ObjectType, keys: &Attributes) -> Result<Handle, IscResult> {
        if kind == ObjectType::Control {
            let i = self
                .objects
                .iter()
                .position(|o| o.kind == kind)
                .ok_or(IscResult::NotFound)?;
            return Ok(self.handles.handle_of(Named::Object(i)));
        }
        let mut found: Option<Option<usize>> = None;
        for &key in lookup_keys(kind) {
            let Some(want) = keys.get(key) else { continue };
            let hit = (0..self.objects.len()).find(|&i| {
                let o = &self.objects[i];
                o.kind == kind && !o.removed && self.value(i, key).as_deref() == Some(want)
            });
            match found {
                None => found = Some(hit),
                Some(prev) if prev != hit => return Err(IscResult::KeyConflict),
                Some(_) => {}
            }
        }
        match found {
            None => Err(IscResult::NoKeys),
            Some(None) => Err(IscResult::NotFound),
            Some(Some(i)) => Ok(self.handles.handle_of(Named::Object(i))),
        }
    }

    fn create(&mut self, kind: ObjectType) -> Result<Handle, IscResult> {
        if kind != ObjectType::Host {
            return Err(IscResult::NotImplemented);
        }
        let i = self.add(kind, Vec::new());
        Ok(self.handles.handle_of(Named::Object(i)))
    }

    fn update(&mut self, handle: Handle, values: &Attributes) -> Result<(), IscResult> {
        let i = self.object(handle).ok_or(IscResult::NotFound)?;
        let kind = self.objects[i].kind;
        for (name, value) in values.iter() {
            let name = std::str::from_utf8(name).map_err(|_| IscResult::NotFound)?;
            match kind {
                ObjectType::FailoverState if name == "local-state" => self.set(i, name, value),
                ObjectType::FailoverState if FAILOVER_NAMES.contains(&name) => {}
                ObjectType::Host if HOST_ORDER.contains(&name) => self.set(i, name, value),
                ObjectType::Control if name == "state" => match values.get_u32(name) {
                    Some(Ok(2)) => self.control_states.push(2),
                    _ => return Err(IscResult::InvalidArg),
                },
                ObjectType::Lease => return Err(IscResult::NoPerm),
                _ => return Err(IscResult::NotFound),
            }
        }
        Ok(())
    }

    fn values(&mut self, handle: Handle) -> Vec<NamedValue> {
        let Some(i) = self.object(handle) else {
            return Vec::new();
        };
        let mut values = self.objects[i].values.clone();
        if self.objects[i].kind == ObjectType::Host {
            values.sort_by_key(|(n, _)| HOST_ORDER.iter().position(|h| h == n));
        }
        values
            .into_iter()
            .map(|(name, v)| {
                let value = match v {
                    FakeValue::Plain(v) => v,
                    FakeValue::Ref(j) => Value::Handle(self.handles.handle_of(Named::Object(j))),
                };
                NamedValue::new(name, value)
            })
            .collect()
    }

    fn remove(&mut self, handle: Handle) -> Result<(), IscResult> {
        let i = self.object(handle).ok_or(IscResult::NotFound)?;
        if self.objects[i].kind != ObjectType::Host {
            return Err(IscResult::NotImplemented);
        }
        self.objects[i].removed = true;
        Ok(())
    }

    fn target(&self, handle: Handle) -> Option<Target> {
        Some(match self.handles.get(handle)? {
            Named::Key(name) => Target::Key(name.clone()),
            Named::Object(i) => Target::Object(self.objects[*i].kind),
        })
    }

    fn key_handle(&mut self, name: &str) -> Handle {
        self.handles.handle_of(Named::Key(name.to_string()))
    }
}
