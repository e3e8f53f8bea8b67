//! The configuration as parsed: a tree of scopes and the declarations in them.
//!
//! This is the typed model shared by `dhcpd -t`, the server and the lint:
//! scopes (ISC "groups") form a tree from the global scope down through
//! shared networks, subnets, pools, groups, hosts and classes; each scope
//! holds its parameters and executable statements in source order, because
//! ISC evaluates them in that order and later ones override earlier ones.
//! Declarations refer to each other by index into the arenas of [`Config`].

use std::net::{Ipv4Addr, Ipv6Addr};

use super::ast::Statement;
use super::model_failover::FailoverConfig;
use super::ast::Expression;
pub use super::parse::{AddrOrName, Hardware};

/// Index of a scope in [`Config::groups`].
pub type GroupId = usize;

/// What kind of declaration opened a scope (ISC's `*_DECL` group types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    /// The global scope of the file.
    Root,
    /// `host NAME { ... }`.
    Host,
    /// `shared-network NAME { ... }` (also the implicit one around a lone subnet).
    SharedNetwork,
    /// `subnet A netmask M { ... }`.
    Subnet,
    /// `class`, `subclass`, `vendor-class`, `user-class`.
    Class,
    /// `group { ... }`.
    Group,
    /// `pool { ... }`.
    Pool,
}

/// One scope: its parameters/statements and where it sits in the tree.
#[derive(Clone, Debug)]
pub struct Group {
    /// The declaration that opened it.
    pub kind: ScopeKind,
    /// The enclosing scope (`None` only for the root).
    pub parent: Option<GroupId>,
    /// Parameters, option settings and executable statements, in order.
    pub statements: Vec<Statement>,
    /// `authoritative;` / `not authoritative;` as last set in this scope.
    pub authoritative: Option<bool>,
    /// The flag copied from the parent when the scope was made (ISC's
    /// `clone_group` copies the value, not a link): what the scope holds
    /// when it sets nothing itself.
    pub authoritative_inherited: bool,
    /// The shared network this scope belongs to, if any.
    pub shared_network: Option<usize>,
    /// The subnet this scope belongs to, if any.
    pub subnet: Option<usize>,
}

impl Group {
    /// The scope's `authoritative` flag as ISC holds it at run time.
    pub fn is_authoritative(&self) -> bool {
        self.authoritative.unwrap_or(self.authoritative_inherited)
    }

    /// A new empty scope under `parent`.
    pub fn new(kind: ScopeKind, parent: Option<GroupId>) -> Self {
        Group {
            kind,
            parent,
            statements: Vec::new(),
            authoritative: None,
            authoritative_inherited: false,
            shared_network: None,
            subnet: None,
        }
    }
}

/// A `shared-network` (or the implicit one ISC makes around a lone subnet).
#[derive(Clone, Debug)]
pub struct SharedNetwork {
    /// Its name; implicit ones are named like `10.0.0.0/24`.
    pub name: String,
    /// Whether ISC made it implicitly around a single subnet.
    pub implicit: bool,
    /// The scope of its parameters.
    pub group: GroupId,
    /// Subnets in declaration order (indexes into [`Config::subnets`]).
    pub subnets: Vec<usize>,
    /// Pools in declaration order (indexes into [`Config::pools`]), the
    /// ad-hoc pools ISC makes for ranges outside any `pool` included.
    pub pools: Vec<usize>,
    /// ISC put it in its list of shared networks: an explicit one with at
    /// least one subnet, or an implicit one whose subnet parsed. Others exist
    /// only because a subnet or pool refers to them.
    pub listed: bool,
    /// `interface NAME;` given in it or in one of its subnets.
    pub interface: Option<String>,
}

/// A `subnet NET netmask MASK { ... }` declaration.
#[derive(Clone, Debug)]
pub struct Subnet {
    /// Network number.
    pub net: Ipv4Addr,
    /// Netmask.
    pub netmask: Ipv4Addr,
    /// Its scope.
    pub group: GroupId,
    /// The shared network it belongs to.
    pub shared_network: usize,
}

/// An address `range` (inside a subnet or pool).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// First address as written.
    pub low: Ipv4Addr,
    /// Last address as written (equal to `low` for a single address; ISC
    /// accepts the two in either order).
    pub high: Ipv4Addr,
    /// `dynamic-bootp` was given.
    pub dynamic_bootp: bool,
    /// Subnet the addresses belong to.
    pub subnet: usize,
}

/// Who a pool lets in or keeps out (ISC's `permit` types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permit {
    /// `known clients` / `known-clients`: clients with a host declaration.
    KnownClients,
    /// `unknown clients` / `unknown-clients`.
    UnknownClients,
    /// `authenticated clients`.
    AuthenticatedClients,
    /// `unauthenticated clients`.
    UnauthenticatedClients,
    /// `all clients`.
    AllClients,
    /// `dynamic bootp clients`.
    DynamicBootpClients,
    /// `members of "CLASS"`: index into [`Config::classes`], `None` when
    /// the class was not declared (ISC reports it and keeps the permit).
    Class(Option<usize>),
    /// `after DATE`: seconds since the epoch.
    After(i64),
}

/// A `pool { ... }`, or the pool ISC makes for ranges declared outside one.
#[derive(Clone, Debug)]
pub struct Pool {
    /// The shared network it belongs to.
    pub shared_network: usize,
    /// Its scope.
    pub group: GroupId,
    /// `allow` list.
    pub permits: Vec<Permit>,
    /// `deny` list.
    pub prohibits: Vec<Permit>,
    /// Start of validity (`allow after DATE`).
    pub valid_from: Option<i64>,
    /// End of validity (`deny after DATE`).
    pub valid_until: Option<i64>,
    /// Failover peer serving it, declared or inherited from the shared
    /// network (index into `FailoverConfig::peers`).
    pub failover_peer: Option<usize>,
    /// Address ranges, in declaration order.
    pub ranges: Vec<Range>,
    /// Made by ISC for a `range` outside any pool.
    pub implicit: bool,
    /// ISC merged this pool into an earlier identical one (same permits,
    /// peer and no statements of its own); its addresses belong there.
    pub merged_into: Option<usize>,
}

/// The fixed addresses of a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixedAddresses {
    /// `fixed-address A, B, ...;` (addresses or names to resolve).
    V4(Vec<AddrOrName>),
    /// `fixed-address6 A, B, ...;`.
    V6(Vec<Ipv6Addr>),
}

/// `host-identifier option NAME VALUE;` or `host-identifier v6relopt N option NAME VALUE;`.
#[derive(Clone, Debug, PartialEq)]
pub struct HostIdentifier {
    /// The option's full name (`space.name`).
    pub option: String,
    /// How many relay hops in (v6relopt), 0 otherwise.
    pub relays: u32,
    /// The value clients must send, as the option's syntax gave it.
    pub value: Vec<super::parse::option::ValuePart>,
}

/// A `host NAME { ... }` declaration.
#[derive(Clone, Debug)]
pub struct Host {
    /// The host's name as written (dotted names joined).
    pub name: String,
    /// Its scope.
    pub group: GroupId,
    /// `hardware TYPE ADDR;`.
    pub hardware: Option<Hardware>,
    /// `fixed-address` / `fixed-address6`.
    pub fixed_addresses: Option<FixedAddresses>,
    /// `fixed-prefix6 P/N;` entries.
    pub fixed_prefixes6: Vec<(Ipv6Addr, u8)>,
    /// `uid DATA;` (client identifier).
    pub uid: Option<Vec<u8>>,
    /// `host-identifier ...;` (boxed: rare, and it would make every host
    /// 48 bytes bigger).
    pub host_identifier: Option<Box<HostIdentifier>>,
    /// `group NAME;`: the named group it takes parameters from (index
    /// into [`Config::named_groups`]); unset when that group was deleted.
    pub named_group: Option<usize>,
    /// `dynamic;`: made through OMAPI and saved in the lease file.
    pub dynamic: bool,
    /// Removed by a later `host NAME { deleted; }`.
    pub deleted: bool,
}

/// A named `group NAME { ... }` (hosts refer to it with `group NAME;`).
#[derive(Clone, Debug)]
pub struct NamedGroup {
    /// Its name.
    pub name: String,
    /// Its scope.
    pub group: GroupId,
    /// `dynamic;` was given.
    pub dynamic: bool,
    /// `static;` was given.
    pub r#static: bool,
}

/// A `class`, `subclass`, `vendor-class` or `user-class` declaration.
#[derive(Clone, Debug)]
pub struct Class {
    /// The class's name; subclasses have none (ISC names vendor/user
    /// classes `implicit-vendor-class` / `implicit-user-class`).
    pub name: Option<String>,
    /// Its scope.
    pub group: GroupId,
    /// The class it is a subclass of (index into [`Config::classes`]).
    pub superclass: Option<usize>,
    /// The subclass's match data.
    pub hash_string: Option<Vec<u8>>,
    /// `match if EXPR;` (boxed, as `submatch`: only classes that others
    /// refine have them, and inline they made every subclass 176 bytes
    /// bigger).
    pub match_if: Option<Box<Expression>>,
    /// `match EXPR;` or `spawn with EXPR;`.
    pub submatch: Option<Box<Expression>>,
    /// `spawn with` (rather than `match`): subclasses are made on the fly.
    pub spawning: bool,
    /// `lease limit N;`.
    pub lease_limit: Option<i32>,
    /// `dynamic;`.
    pub dynamic: bool,
    /// `deleted;`.
    pub deleted: bool,
}

/// A TSIG key (`key NAME { algorithm ALG; secret BASE64; }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// Its name.
    pub name: String,
    /// The algorithm, made a fully qualified name as ISC does
    /// (`hmac-md5` becomes `hmac-md5.SIG-ALG.REG.INT.`).
    pub algorithm: String,
    /// The decoded secret.
    pub secret: Vec<u8>,
}

/// A DNS zone for dynamic updates (`zone NAME { primary ...; key ...; }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// The zone name, always ending in `.`.
    pub name: String,
    /// `primary` servers.
    pub primary: Vec<AddrOrName>,
    /// `secondary` servers.
    pub secondary: Vec<AddrOrName>,
    /// `primary6` servers.
    pub primary6: Vec<Ipv6Addr>,
    /// `secondary6` servers.
    pub secondary6: Vec<Ipv6Addr>,
    /// The key that signs updates (its name).
    pub key: Option<String>,
}

/// The global settings ISC reads after parsing (`postconf_initialization`),
/// as the configuration gave them; the command line's paths apply where
/// these are unset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostConf {
    /// `lease-file-name`.
    pub lease_file_name: Option<Vec<u8>>,
    /// `pid-file-name`.
    pub pid_file_name: Option<Vec<u8>>,
    /// `dont-use-fsync on`.
    pub dont_use_fsync: bool,
    /// `server-id-check on`.
    pub server_id_check: bool,
    /// `omapi-port`: the OMAPI listener's TCP port (no listener without it).
    pub omapi_port: Option<u16>,
    /// `omapi-key`: the name of the one key OMAPI clients must sign with, as the key
    /// statement spells it (ISC matches the names without case).
    pub omapi_key: Option<String>,
}

/// The DHCPv6 server DUID asked for by `server-duid`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerDuid {
    /// `server-duid llt;`: make a link-layer-plus-time DUID.
    Llt,
    /// `server-duid ll;`: make a link-layer DUID.
    Ll,
    /// A complete DUID given in the configuration.
    Value(Vec<u8>),
}

/// How lease identifiers are written in the lease file (`lease-id-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseIdFormat {
    /// Octal escapes in quoted strings (ISC's default).
    Octal,
    /// Colon-separated hex.
    Hex,
}

/// The whole parsed configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Every scope; index 0 is the global scope.
    pub groups: Vec<Group>,
    /// Shared networks, explicit and implicit, in declaration order.
    pub shared_networks: Vec<SharedNetwork>,
    /// Subnets in declaration order.
    pub subnets: Vec<Subnet>,
    /// How times are written to the lease file (`db-time-format`).
    pub db_time_format: DbTimeFormat,
    /// Failover peers and the shared networks naming them.
    pub failover: FailoverConfig,
    /// Pools (explicit and ad-hoc) in creation order.
    pub pools: Vec<Pool>,
    /// Hosts in declaration order (a deleted or rejected duplicate is not kept).
    pub hosts: Vec<Host>,
    /// Named groups in declaration order.
    pub named_groups: Vec<NamedGroup>,
    /// Classes and subclasses in declaration order.
    pub classes: Vec<Class>,
    /// TSIG keys; a later key of the same name (ignoring case) replaces an
    /// earlier one.
    pub keys: Vec<Key>,
    /// DNS zones; a later zone of the same name replaces an earlier one.
    pub zones: Vec<Zone>,
    /// `lease-id-format`, when given.
    pub lease_id_format: Option<LeaseIdFormat>,
    /// `server-duid`, when given (DHCPv6; ISC accepts it in -4 mode too).
    pub server_duid: Option<ServerDuid>,
    /// The global server settings ISC reads once parsing is done.
    pub postconf: PostConf,
}

/// How lease times are written to the lease file (ISC `db-time-format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DbTimeFormat {
    /// `default`: `W YYYY/MM/DD HH:MM:SS` in UTC.
    #[default]
    Default,
    /// `local`: seconds since the epoch with the local time as a comment.
    Local,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            groups: vec![Group::new(ScopeKind::Root, None)],
            shared_networks: Vec::new(),
            subnets: Vec::new(),
            db_time_format: DbTimeFormat::Default,
            failover: FailoverConfig::default(),
            pools: Vec::new(),
            hosts: Vec::new(),
            named_groups: Vec::new(),
            classes: Vec::new(),
            keys: Vec::new(),
            zones: Vec::new(),
            lease_id_format: None,
            server_duid: None,
            postconf: PostConf::default(),
        }
    }
}

impl Config {
    /// The global scope.
    pub const ROOT: GroupId = 0;

    /// Adds a scope and returns its id.
    pub fn add_group(&mut self, group: Group) -> GroupId {
        self.groups.push(group);
        self.groups.len() - 1
    }
}
