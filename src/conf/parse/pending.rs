//! Stand-ins for entry points the declarations family owns, so statements
//! compile and run on this branch before that family merges.
//!
//! Each names the ISC function it stands for and has the signature the
//! statement parser calls. They report the construct as not supported yet
//! and skip it, like the skeleton's other placeholders. When the
//! declarations family lands, the lead deletes this file and the `mod` line.

use super::super::ast::Statement;
use super::super::keywords::Keyword;
use super::super::parser::{PResult, Parser};

impl Parser<'_> {
    /// Stands for ISC `parse_allow_deny` after `allow`/`deny`/`ignore`
    /// (`kw` says which): the `supersede` statement of the permit, or
    /// `None` when it failed (reported).
    pub(crate) fn parse_allow_deny(&mut self, _kw: Keyword) -> PResult<Option<Statement>> {
        self.unfinished("allow/deny")?;
        Ok(None)
    }

    /// Stands for ISC `parse_key` after the `key` keyword: whether the key
    /// declaration parsed.
    pub(crate) fn parse_key_declaration(&mut self) -> PResult<bool> {
        self.unfinished("key")?;
        Ok(false)
    }

    /// Stands for the `zone` branch of ISC `parse_executable_statement`
    /// after the keyword (the name, its trailing dot, `parse_zone`):
    /// whether the zone parsed.
    pub(crate) fn parse_zone_declaration(&mut self) -> PResult<bool> {
        self.unfinished("zone")?;
        Ok(false)
    }

    /// Stands for ISC `find_class`: the index of the named (not sub-)class.
    pub(crate) fn find_class(&self, _name: &str) -> Option<usize> {
        None
    }
}
