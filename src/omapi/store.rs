//! What an OMAPI session asks of the server's objects: the [`ObjectStore`] trait, the object
//! types ISC registers, and [`Attributes`], the name/value set a client sends.
//!
//! ISC dhcpd's OMAPI objects live in one process-wide handle table: a handle is given to an
//! object the first time the protocol needs to name it (a reply, a reference inside another
//! object, an authenticator being selected), counting from 1, and is never reused. Handles are
//! therefore shared by all connections, which is why the store (one per server) hands them
//! out, authenticators included, and the sessions (one per connection) only use them.

use crate::wire::omapi::{IscResult, NamedValue, Value};

/// An object handle (0 never names an object).
pub type Handle = u32;

/// The object types ISC dhcpd registers with a lookup method: an OPEN naming one of these
/// looks the object up. The store is never asked about [`ObjectType::Authenticator`], which
/// the session keeps itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectType {
    /// A signing key (`key` statement), opened to authenticate a connection.
    Authenticator,
    /// A lease (lookup by ip-address, dhcp-client-identifier, hardware-address).
    Lease,
    /// A host declaration (created, looked up, updated, removed through OMAPI).
    Host,
    /// A failover peer's state (lookup by name; `local-state` can be set).
    FailoverState,
    /// The server itself (`state`: setting 2 shuts it down).
    Control,
    /// A named group.
    Group,
    /// A class.
    Class,
    /// A subclass.
    Subclass,
    /// A pool.
    Pool,
    /// A subnet.
    Subnet,
    /// A shared network.
    SharedNetwork,
    /// A network interface.
    Interface,
}

impl ObjectType {
    /// Every type with a lookup method.
    pub const ALL: [ObjectType; 12] = [
        ObjectType::Authenticator,
        ObjectType::Lease,
        ObjectType::Host,
        ObjectType::FailoverState,
        ObjectType::Control,
        ObjectType::Group,
        ObjectType::Class,
        ObjectType::Subclass,
        ObjectType::Pool,
        ObjectType::Subnet,
        ObjectType::SharedNetwork,
        ObjectType::Interface,
    ];

    /// ISC's type name, as a client sends it in the `type` message value.
    pub fn name(self) -> &'static str {
        match self {
            ObjectType::Authenticator => "authenticator",
            ObjectType::Lease => "lease",
            ObjectType::Host => "host",
            ObjectType::FailoverState => "failover-state",
            ObjectType::Control => "control",
            ObjectType::Group => "group",
            ObjectType::Class => "class",
            ObjectType::Subclass => "subclass",
            ObjectType::Pool => "pool",
            ObjectType::Subnet => "subnet",
            ObjectType::SharedNetwork => "shared-network",
            ObjectType::Interface => "interface",
        }
    }
}

/// Type names ISC dhcpd registers without a lookup method; an OPEN of one gets
/// NOTIMPLEMENTED "unsearchable object type".
pub const UNSEARCHABLE_TYPES: [&str; 11] = [
    "connection",
    "listener",
    "io",
    "generic",
    "protocol",
    "protocol-listener",
    "message",
    "waiter",
    "failover-link",
    "failover-listener",
    "icmp",
];

/// What a `type` message value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeName {
    /// A type that can be looked up.
    Searchable(ObjectType),
    /// A registered type without lookup.
    Unsearchable,
    /// No registered type: ISC then treats the OPEN as a REFRESH of the header's handle.
    Unknown,
}

impl TypeName {
    /// Classifies a type name; the comparison is exact, bytes and case (ISC `omapi_td_strcmp`).
    pub fn of(name: &[u8]) -> TypeName {
        if let Some(t) = ObjectType::ALL
            .into_iter()
            .find(|t| t.name().as_bytes() == name)
        {
            return TypeName::Searchable(t);
        }
        if UNSEARCHABLE_TYPES.iter().any(|t| t.as_bytes() == name) {
            return TypeName::Unsearchable;
        }
        TypeName::Unknown
    }
}

/// The name/value pairs a client sent, with the rules of ISC's generic object: a repeated
/// name replaces the earlier value in its place, and a zero-length value is kept as a
/// name/null pair that reads as absent (it is how a client asks to delete a value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    entries: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Attributes {
    /// An empty set.
    pub fn new() -> Attributes {
        Attributes::default()
    }

    /// The set a list of received values makes.
    pub fn from_values(values: &[NamedValue]) -> Attributes {
        let mut out = Attributes::new();
        for nv in values {
            out.set(&nv.name, (!nv.value.is_null()).then(|| nv.value.to_wire()));
        }
        out
    }

    /// Sets `name` (replacing an earlier value in place) to `value` (`None`: null).
    pub fn set(&mut self, name: &[u8], value: Option<Vec<u8>>) {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name.to_vec(), value)),
        }
    }

    /// The value of `name`; `None` when absent or null.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(n, _)| n == name.as_bytes())
            .and_then(|(_, v)| v.as_deref())
    }

    /// `name` read as an integer the way ISC does (`omapi_get_int_value`): `None` when absent
    /// or null, `Some(Err(()))` unless exactly 4 bytes.
    pub fn get_u32(&self, name: &str) -> Option<Result<u32, ()>> {
        self.get(name).map(|v| match v {
            &[a, b, c, d] => Ok(u32::from_be_bytes([a, b, c, d])),
            _ => Err(()),
        })
    }

    /// True when `name` was sent with a zero-length value.
    pub fn is_null(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|(n, v)| n == name.as_bytes() && v.is_none())
    }

    /// The pairs in order (`None` for null values).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        self.entries
            .iter()
            .map(|(n, v)| (n.as_slice(), v.as_deref()))
    }

    /// Number of distinct names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was sent. A message without object values reaches ISC's methods as
    /// "no object": lookups answer NOKEYS (the control object excepted) and updates
    /// INVALIDARG.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What a handle names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A signing key, by its configured name.
    Key(String),
    /// A server object.
    Object(ObjectType),
}

/// The server's objects, as one OMAPI session sees them.
///
/// Errors are ISC result codes; the session sends them in a STATUS with ISC's text for the
/// step that failed ("object lookup failed", "can't update object", ...). Implementations
/// follow the object rules of reference §3.5 (which attributes identify an object, which can
/// be set, what a reply lists and in what order).
pub trait ObjectStore {
    /// Finds the object of type `kind` that `keys` identify: NOTFOUND when none does, NOKEYS
    /// when `keys` holds no usable key (the session then creates an object, as ISC does),
    /// KEYCONFLICT when keys name different objects, MULTIPLE when a key matches several.
    /// Gives the object a handle if it had none.
    fn lookup(&mut self, kind: ObjectType, keys: &Attributes) -> Result<Handle, IscResult>;

    /// Makes a new, empty object of type `kind` (NOTIMPLEMENTED for types that cannot be
    /// created) and gives it a handle. The session applies the OPEN's values with
    /// [`update`](Self::update) right after.
    fn create(&mut self, kind: ObjectType) -> Result<Handle, IscResult>;

    /// Sets `values` on the object, in order, then lets it act on the change (ISC's
    /// "updated" signal: a new host is committed, a failover state change starts). A value
    /// whose set answers UNCHANGED is skipped; any other error stops the update.
    fn update(&mut self, handle: Handle, values: &Attributes) -> Result<(), IscResult>;

    /// ISC's `omapi_object_update` ends, after a successful update of a message whose header
    /// named a handle, by setting `remote-handle` to that handle on the object and ignoring
    /// the result. Objects that keep nothing of it need not implement this.
    fn remote_handle(&mut self, handle: Handle, remote: Handle) {
        let _ = (handle, remote);
    }

    /// The object's attributes as they go in an UPDATE reply, in ISC's order. Objects it
    /// refers to are given handles as needed.
    fn values(&mut self, handle: Handle) -> Vec<NamedValue>;

    /// Removes the object (NOTIMPLEMENTED for types that cannot be removed).
    fn remove(&mut self, handle: Handle) -> Result<(), IscResult>;

    /// What a handle names, if anything.
    fn target(&self, handle: Handle) -> Option<Target>;

    /// The handle of the key called `name` (case as configured), given on first use.
    fn key_handle(&mut self, name: &str) -> Handle;
}

/// The values an authenticator object shows: its name and algorithm, never the secret.
pub(crate) fn key_values(name: &str, algorithm: &str) -> Vec<NamedValue> {
    vec![
        NamedValue::new("name", Value::string(name)),
        NamedValue::new("algorithm", Value::string(algorithm)),
    ]
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn type_names_are_exact() {
        assert_eq!(
            TypeName::of(b"failover-state"),
            TypeName::Searchable(ObjectType::FailoverState)
        );
        assert_eq!(TypeName::of(b"Lease"), TypeName::Unknown);
        assert_eq!(TypeName::of(b"connection"), TypeName::Unsearchable);
        assert_eq!(TypeName::of(b"bogus-type"), TypeName::Unknown);
        for t in ObjectType::ALL {
            assert_eq!(TypeName::of(t.name().as_bytes()), TypeName::Searchable(t));
            assert!(!UNSEARCHABLE_TYPES.contains(&t.name()));
        }
    }

    #[test]
    fn attributes_follow_the_generic_object() {
        let values = [
            NamedValue::new("name", Value::string("a")),
            NamedValue::new("ip-address", Value::Data(vec![10, 0, 0, 1])),
            NamedValue::new("name", Value::Null),
            NamedValue::new("hardware-type", Value::Int(1)),
        ];
        let a = Attributes::from_values(&values);
        assert_eq!(a.len(), 3);
        assert_eq!(a.get("name"), None);
        assert!(a.is_null("name"));
        assert!(!a.is_null("ip-address"));
        assert_eq!(a.get_u32("hardware-type"), Some(Ok(1)));
        assert_eq!(a.get_u32("ip-address"), Some(Ok(0x0a00_0001)));
        assert_eq!(a.get_u32("missing"), None);
        let names: Vec<_> = a.iter().map(|(n, _)| n.to_vec()).collect();
        assert_eq!(names, [&b"name"[..], b"ip-address", b"hardware-type"]);
        let mut b = Attributes::new();
        assert!(b.is_empty());
        b.set(b"x", Some(vec![1, 2]));
        assert_eq!(b.get_u32("x"), Some(Err(())));
    }
}
