//! Group declarations, the two global settings `lease-id-format` and
//! `server-duid`, and what the declaration files share: [`DeclState`]
//! (ISC's hashes and lists that decide the fate of later declarations)
//! and small helpers (`parse_lbrace`, `clone_group`).
//!
//! Named groups live in ISC's group name hash, whose quirks decide what
//! `dhcpd -t` accepts: a named group declared a second time makes its name
//! unknown instead of taking its place. Hosts are in `host.rs`.

use crate::conf::fasthash::FastMap as HashMap;
use crate::conf::name_index::NameIndex;

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{Group, GroupId, LeaseIdFormat, NamedGroup, ScopeKind, ServerDuid};
use super::super::parser::{PResult, Parser};
use super::common::atoi;

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

/// What ISC's group name hash holds for a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NamedGroupEntry {
    /// A usable group (index into `Config::named_groups`).
    Live(usize),
    /// A deleted or superseded group: hosts may still name it (no error)
    /// but get nothing from it.
    Deleted(usize),
}

/// Lookup tables kept while parsing, standing for ISC's global hashes and
/// lists that decide later declarations' fate.
#[derive(Debug, Default)]
pub struct DeclState {
    /// Host name → index into `Config::hosts` (ISC `host_name_hash`); the
    /// names themselves are read from the hosts.
    pub(crate) host_by_name: NameIndex,
    /// Group name → entry (ISC `group_name_hash`).
    pub(crate) named_group_by_name: HashMap<String, NamedGroupEntry>,
    /// The subnet entered last: the head of ISC's global subnet list, the
    /// only one a new subnet is checked against for overlap.
    pub(crate) last_subnet: Option<usize>,
    /// Addresses already declared by ranges, as sorted disjoint inclusive
    /// intervals (ISC's lease address hash).
    pub(crate) leased: Vec<(u32, u32)>,
    /// `class` declarations findable by name, in declaration order (ISC's
    /// class collection).
    pub(crate) class_collection: Vec<usize>,
    /// class → data → subclass (ISC's per-class subclass hash); nested so
    /// that a lookup borrows the data instead of copying it into a key.
    pub(crate) subclass_by_data: HashMap<usize, HashMap<Vec<u8>, usize>>,
    /// The `authoritative` value each scope copied from its parent when
    /// it was made (ISC's `clone_group` copies the flag, not a link), by
    /// `GroupId`; false for scopes not made by cloning. Scope ids are dense,
    /// so a vector beats a hash map (one entry per host on big configs).
    pub(crate) cloned_authoritative: Vec<bool>,
}

impl Parser<'_> {
    /// The current token's text as ISC's C code sees it (cut at a NUL).
    pub(crate) fn c_text(&self) -> String {
        String::from_utf8_lossy(self.lex.value_cstr()).into_owned()
    }

    /// Expects `{` (ISC `parse_lbrace`): reports and skips if missing.
    pub(crate) fn parse_lbrace(&mut self) -> PResult<bool> {
        if !self.next_token()?.is(b'{') {
            self.parse_warn("expecting left brace.");
            self.skip_to_semi()?;
            return Ok(false);
        }
        Ok(true)
    }

    /// A new scope inside `parent` (ISC `clone_group`): it inherits by
    /// reference, and knows nothing of the parent's subnet or shared network.
    pub(crate) fn clone_group(&mut self, parent: GroupId, kind: ScopeKind) -> GroupId {
        let authoritative = self.authoritative(parent);
        let mut group = Group::new(kind, Some(parent));
        // The model keeps the copied flag too: the engine reads it at run time.
        group.authoritative_inherited = authoritative;
        let g = self.config.add_group(group);
        let cloned = &mut self.decl.cloned_authoritative;
        if cloned.len() <= g {
            cloned.resize(g + 1, false);
        }
        cloned[g] = authoritative;
        g
    }

    /// A scope's `authoritative` flag as ISC holds it: set in the scope,
    /// else copied from its parent when the scope was made (false at the top).
    pub(crate) fn authoritative(&self, group: GroupId) -> bool {
        self.config.groups[group]
            .authoritative
            .unwrap_or_else(|| self.decl.cloned_authoritative.get(group).copied().unwrap_or(false))
    }

    /// `group [NAME] { ... }` (ISC `parse_group_declaration`).
    pub(crate) fn parse_group_declaration(&mut self, group: GroupId) -> PResult<()> {
        let g = self.clone_group(group, ScopeKind::Group);
        let t = self.peek_token()?;
        let mut name = None;
        if t.is_identifier() || t == Token::String {
            self.skip_token()?;
            name = Some(self.c_text());
        }
        if !self.parse_lbrace()? {
            return Ok(());
        }
        self.enter()?;
        let (mut deleted, mut dynamic, mut is_static) = (false, false, false);
        let mut declaration = false;
        loop {
            let t = self.peek_token()?;
            if t.is(b'}') {
                self.skip_token()?;
                break;
            }
            if t == Token::Eof {
                self.skip_token()?;
                self.parse_warn("unexpected end of file");
                break;
            }
            // ISC notes these flags and then, unlike hosts, parses the
            // following token as a statement too (so `group { deleted; }`
            // reports the closing brace).
            match t {
                Token::Kw(K::Deleted) => deleted = true,
                Token::Kw(K::Dynamic) => dynamic = true,
                Token::Kw(K::Static) => is_static = true,
                _ => {}
            }
            if matches!(t, Token::Kw(K::Deleted) | Token::Kw(K::Dynamic) | Token::Kw(K::Static)) {
                self.skip_token()?;
                self.parse_semi()?;
            }
            declaration = self.parse_statement(g, ScopeKind::Group, None, declaration)?;
        }
        self.leave();
        if let Some(name) = name {
            if deleted {
                self.delete_named_group(&name);
            } else {
                self.supersede_named_group(NamedGroup {
                    name,
                    group: g,
                    dynamic,
                    r#static: is_static,
                });
            }
        }
        Ok(())
    }

    /// ISC `delete_group` on the group currently registered under `name`.
    fn delete_named_group(&mut self, name: &str) {
        let Some(NamedGroupEntry::Live(old) | NamedGroupEntry::Deleted(old)) =
            self.decl.named_group_by_name.get(name).copied()
        else {
            return;
        };
        let g = &self.config.named_groups[old];
        if g.dynamic && !g.r#static {
            self.decl.named_group_by_name.remove(name);
        } else {
            self.decl
                .named_group_by_name
                .insert(name.to_string(), NamedGroupEntry::Deleted(old));
        }
    }

    /// Registers a named group as ISC's `supersede_group` does. Declaring
    /// a name again does not replace the group: the name becomes unknown,
    /// and a third declaration takes it (checked against `dhcpd -t`: hosts
    /// naming the group fail after every second declaration). A name left
    /// by a `deleted;` declaration is simply taken.
    fn supersede_named_group(&mut self, mut group: NamedGroup) {
        let name = group.name.clone();
        let existing = self.decl.named_group_by_name.get(&name).copied();
        let register = match existing {
            None => true,
            Some(NamedGroupEntry::Live(old)) => {
                if !self.config.named_groups[old].dynamic {
                    group.r#static = true;
                }
                self.decl.named_group_by_name.remove(&name);
                false
            }
            Some(NamedGroupEntry::Deleted(old)) => {
                if !self.config.named_groups[old].dynamic {
                    group.r#static = true;
                }
                self.decl.named_group_by_name.remove(&name);
                true
            }
        };
        let idx = self.config.named_groups.len();
        self.config.named_groups.push(group);
        if register {
            self.decl.named_group_by_name.insert(name, NamedGroupEntry::Live(idx));
        }
    }

    /// `lease-id-format octal|hex;` after its keyword (ISC `parse_lease_id_format`).
    pub(crate) fn parse_lease_id_format(&mut self, _group: GroupId) -> PResult<()> {
        let format = match self.next_token()? {
            Token::Kw(K::Octal) => LeaseIdFormat::Octal,
            Token::Kw(K::Hex) => LeaseIdFormat::Hex,
            _ => {
                self.parse_warn("lease-id-format is invalid:  it must be octal or hex.");
                return self.skip_to_semi();
            }
        };
        self.config.lease_id_format = Some(format);
        // ISC logs this at debug level, which `dhcpd -t` prints.
        self.log_info(format!(
            "lease_id_format is: {}",
            if format == LeaseIdFormat::Octal { "octal" } else { "hex" }
        ));
        if !self.next_token()?.is(b';') {
            // ISC shares this text with the lease file reader.
            self.parse_warn("corrupt lease file; expecting a semicolon");
            self.skip_to_semi()?;
        }
        Ok(())
    }

    /// `server-duid llt|ll|en|NUMBER ...;` (ISC `parse_server_duid_conf`),
    /// starting at the keyword.
    pub(crate) fn parse_server_duid_conf(&mut self) -> PResult<()> {
        self.skip_token()?;
        let duid = match self.next_token()? {
            Token::Kw(K::En) => {
                if self.next_token()? != Token::Number {
                    self.parse_warn("enterprise number expected");
                    return self.skip_to_semi();
                }
                let enterprise = atoi(self.lex.value_cstr()) as u32;
                if self.next_token()? != Token::String {
                    self.parse_warn("identifier expected");
                    return self.skip_to_semi();
                }
                let mut v = 2u16.to_be_bytes().to_vec();
                v.extend(enterprise.to_be_bytes());
                v.extend(self.val_bytes());
                ServerDuid::Value(v)
            }
            t @ (Token::Kw(K::Ll) | Token::Kw(K::Llt)) => {
                let llt = t == Token::Kw(K::Llt);
                if self.peek_token()?.is(b';') {
                    if llt {
                        ServerDuid::Llt
                    } else {
                        ServerDuid::Ll
                    }
                } else {
                    let htype: u16 = match self.next_token()? {
                        Token::Kw(K::Ethernet) => 1,
                        Token::Kw(K::Ring) => 6,
                        Token::Kw(K::Fddi) => 8,
                        _ => {
                            self.parse_warn("hardware type expected");
                            return self.skip_to_semi();
                        }
                    };
                    let mut time = None;
                    if llt {
                        if self.next_token()? != Token::Number {
                            self.parse_warn("timestamp expected");
                            return self.skip_to_semi();
                        }
                        time = Some(atoi(self.lex.value_cstr()) as u32);
                    }
                    let Some(addr) = self.parse_cshl()? else {
                        return Ok(());
                    };
                    let mut v = (if llt { 1u16 } else { 3u16 }).to_be_bytes().to_vec();
                    v.extend(htype.to_be_bytes());
                    if let Some(time) = time {
                        v.extend(time.to_be_bytes());
                    }
                    v.extend(addr);
                    ServerDuid::Value(v)
                }
            }
            Token::Number => {
                let kind = atoi(self.lex.value_cstr()) as u16;
                if self.next_token()? != Token::String {
                    self.parse_warn("identifier expected");
                    return self.skip_to_semi();
                }
                let mut v = kind.to_be_bytes().to_vec();
                v.extend(self.val_bytes());
                ServerDuid::Value(v)
            }
            _ => {
                self.parse_warn("DUID type of LLT, EN, or LL expected");
                return self.skip_to_semi();
            }
        };
        self.config.server_duid = Some(duid);
        if !self.next_token()?.is(b';') {
            self.parse_warn("semicolon expected");
            self.skip_to_semi()?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "decl_tests.rs"]
mod tests;
