//! The configuration as parsed: a tree of scopes and the declarations in them.
//!
//! This is the typed model shared by `dhcpd -t`, the server and the lint:
//! scopes (ISC "groups") form a tree from the global scope down through
//! shared networks, subnets, pools, groups, hosts and classes; each scope
//! holds its parameters and executable statements in source order, because
//! ISC evaluates them in that order and later ones override earlier ones.
//! Declarations refer to each other by index into the arenas of [`Config`].

use std::net::Ipv4Addr;

use super::ast::Statement;
use super::model_failover::FailoverConfig;

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
    /// The shared network this scope belongs to, if any.
    pub shared_network: Option<usize>,
    /// The subnet this scope belongs to, if any.
    pub subnet: Option<usize>,
}

impl Group {
    /// A new empty scope under `parent`.
    pub fn new(kind: ScopeKind, parent: Option<GroupId>) -> Self {
        Group { kind, parent, statements: Vec::new(), authoritative: None, shared_network: None, subnet: None }
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
    /// Pools in declaration order (indexes into [`Config::pools`]).
    pub pools: Vec<usize>,
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
    /// First address.
    pub low: Ipv4Addr,
    /// Last address (equal to `low` for a single address).
    pub high: Ipv4Addr,
    /// `dynamic-bootp` was given.
    pub dynamic_bootp: bool,
    /// Subnet the addresses belong to.
    pub subnet: usize,
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
    /// Failover peers and the shared networks naming them.
    pub failover: FailoverConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            groups: vec![Group::new(ScopeKind::Root, None)],
            shared_networks: Vec::new(),
            subnets: Vec::new(),
            failover: FailoverConfig::default(),
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
