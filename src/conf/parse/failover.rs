//! `failover peer NAME { ... }` and `failover peer NAME state { ... }`.
//!
//! UNFINISHED: the entry point reports "not supported yet" and skips.

use super::super::model::{GroupId, ScopeKind};
use super::super::parser::{PResult, Parser};

impl Parser<'_> {
    /// After the `failover` keyword (ISC `parse_failover_peer`).
    pub(crate) fn parse_failover_peer(&mut self, _group: GroupId, _kind: ScopeKind) -> PResult<()> {
        self.unfinished("failover")
    }
}
