//! Declarations: host, group, shared-network, subnet, pool, range, class and
//! subclass, hardware and fixed-address inside hosts, key and zone.
//!
//! UNFINISHED: every entry point below reports "not supported yet" and skips
//! the statement; the real grammar replaces them.

use super::super::keywords::Keyword;
use super::super::model::{GroupId, ScopeKind};
use super::super::parser::{PResult, Parser};

/// Which keyword declared a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassKind {
    /// `class "name" { ... }`
    Class,
    /// `subclass "class" DATA [{ ... }]`
    Subclass,
    /// `vendor-class` (old syntax)
    Vendor,
    /// `user-class` (old syntax)
    User,
}

impl Parser<'_> {
    pub(crate) fn unfinished(&mut self, what: &str) -> PResult<()> {
        self.parse_warn(format!("{} is not supported yet.", what));
        self.skip_to_semi()
    }

    /// `host NAME { ... }` (ISC `parse_host_declaration`).
    pub(crate) fn parse_host_declaration(&mut self, _group: GroupId) -> PResult<()> {
        self.unfinished("host")
    }

    /// `group { ... }` (ISC `parse_group_declaration`).
    pub(crate) fn parse_group_declaration(&mut self, _group: GroupId) -> PResult<()> {
        self.unfinished("group")
    }

    /// `shared-network NAME { ... }` (ISC `parse_shared_net_declaration`).
    pub(crate) fn parse_shared_net_declaration(&mut self, _group: GroupId) -> PResult<()> {
        self.unfinished("shared-network")
    }

    /// `subnet NET netmask MASK { ... }`, making the implicit shared network
    /// when not inside one (ISC `parse_statement` SUBNET + `parse_subnet_declaration`).
    pub(crate) fn parse_subnet_declaration(&mut self, _group: GroupId) -> PResult<()> {
        self.unfinished("subnet")
    }

    /// `subnet6` is DHCPv6 only; in -4 mode ISC rejects it.
    pub(crate) fn parse_subnet6_declaration(&mut self, _group: GroupId) -> PResult<()> {
        self.unfinished("subnet6")
    }

    /// `class`/`subclass`/`vendor-class`/`user-class` (ISC `parse_class_declaration`).
    pub(crate) fn parse_class_declaration(&mut self, _group: GroupId, _kind: ClassKind) -> PResult<()> {
        self.unfinished("class")
    }

    /// `hardware TYPE ADDR;` inside (or wrongly outside) a host.
    pub(crate) fn parse_host_hardware(&mut self, _host: Option<usize>) -> PResult<()> {
        self.unfinished("hardware")
    }

    /// `fixed-address A, B, ...;` (or `fixed-address6`) inside a host.
    pub(crate) fn parse_host_fixed_address(&mut self, _host: Option<usize>, _v6: bool) -> PResult<()> {
        self.unfinished("fixed-address")
    }

    /// `pool { ... }` (ISC `parse_pool_statement`).
    pub(crate) fn parse_pool_statement(&mut self, _group: GroupId, _kind: ScopeKind) -> PResult<()> {
        self.unfinished("pool")
    }

    /// `range [dynamic-bootp] LOW [HIGH];` (ISC `parse_address_range`).
    pub(crate) fn parse_address_range(&mut self, _group: GroupId, _kind: ScopeKind, _pool: Option<usize>) -> PResult<()> {
        self.unfinished("range")
    }

    /// DHCPv6 declarations (`range6`, `prefix6`, `fixed-prefix6`, `pool6`).
    pub(crate) fn parse_v6_declaration(&mut self, _group: GroupId, _kind: ScopeKind, _host: Option<usize>, _kw: Keyword) -> PResult<()> {
        self.skip_token()?;
        self.unfinished("DHCPv6 declaration")
    }

    /// `server-duid ...;` in the config.
    pub(crate) fn parse_server_duid_conf(&mut self) -> PResult<()> {
        self.skip_token()?;
        self.unfinished("server-duid")
    }

    /// `lease-id-format octal|hex;`.
    pub(crate) fn parse_lease_id_format(&mut self, _group: GroupId) -> PResult<()> {
        self.unfinished("lease-id-format")
    }
}
