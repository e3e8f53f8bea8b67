//! Option settings (`option NAME VALUE;`, `server-identifier A;`), option
//! spaces (`option space NAME ...;`) and option definitions
//! (`option NAME code N = TYPE;`).
//!
//! UNFINISHED: the entry points report "not supported yet" and skip.

use super::super::model::{GroupId, ScopeKind};
use super::super::parser::{PResult, Parser};

impl Parser<'_> {
    /// After the `option` keyword in a scope (ISC `parse_statement` OPTION).
    pub(crate) fn parse_option_keyword_statement(&mut self, _group: GroupId, _kind: ScopeKind) -> PResult<()> {
        self.unfinished("option")
    }

    /// After `server-identifier` (same as `option dhcp-server-identifier`).
    pub(crate) fn parse_server_identifier_statement(&mut self, _group: GroupId) -> PResult<()> {
        self.unfinished("server-identifier")
    }
}
