//! Option names and spaces as the parser sees them.
//!
//! The parser owns an [`OptionCatalog`]: ISC's built-in spaces and options,
//! grown by `option space ...;` and `option NAME code N = TYPE;` as the file
//! is read, with ISC's rules (names ignore ASCII case, a redeclared space
//! hides the old one, a redefinition edits the option in place and may take
//! another option's code over). The `opt_*` methods are the parser's view of
//! it, in the shape the statement parsers want: an [`OptionRef`] snapshot of
//! the option a statement names.

use super::super::parser::{Fatal, PResult, Parser};
use super::option::OptionRef;
use crate::options::{EncapsulatedSpace, OptionFormat, OptionId, SpaceDecl, SpaceId};

impl Parser<'_> {
    /// The space a name means now (ISC `universe_hash_lookup`).
    pub(crate) fn opt_space(&self, name: &str) -> Option<SpaceId> {
        self.options.space_id(name)
    }

    /// Whether a space of that name exists.
    pub(crate) fn opt_space_exists(&self, name: &str) -> bool {
        self.opt_space(name).is_some()
    }

    /// The space's name as declared (ISC prints `universe->name`).
    pub(crate) fn opt_space_name(&self, space: SpaceId) -> String {
        self.options.space(space).map(|s| s.name.clone()).unwrap_or_default()
    }

    /// ISC's `universe->end`: 255 for dhcp, 0 elsewhere.
    pub(crate) fn opt_space_end(&self, space: SpaceId) -> u32 {
        self.options.space(space).map(|s| s.end).unwrap_or(0)
    }

    /// A snapshot of a catalog entry.
    pub(crate) fn opt_ref_by_id(&self, id: OptionId) -> Option<OptionRef> {
        let def = self.options.option(id)?;
        Some(OptionRef {
            space: self.opt_space_name(def.space),
            space_id: def.space,
            code: def.code,
            name: def.name.clone(),
            format: def.format.as_str().to_string(),
            id: Some(id),
        })
    }

    /// The option a name means in a space, if any.
    pub(crate) fn opt_lookup_name_in(&self, space: SpaceId, name: &str) -> Option<OptionRef> {
        self.opt_ref_by_id(self.options.by_name(space, name)?)
    }

    /// The option a code means in a space, if any.
    pub(crate) fn opt_lookup_code_in(&self, space: SpaceId, code: u32) -> Option<OptionRef> {
        self.opt_ref_by_id(self.options.by_code(space, code)?)
    }

    /// Drops the name and code entries of a known option before it is
    /// redefined (ISC deletes both hash entries by key).
    pub(crate) fn opt_forget(&mut self, option: &OptionRef) {
        self.options.forget(option.space_id, &option.name, option.code);
    }

    /// Enters a definition: the option itself when it existed (ISC edits
    /// it in place), else a new one. The format is one the definition
    /// parser built, which [`OptionFormat`] accepts by construction; should
    /// it not, the definition is dropped rather than entered half-made.
    ///
    /// An `encapsulate` definition makes the option the carrier of that
    /// space. ISC finds out only now that the space already has a carrier
    /// (a built-in one, or an earlier definition) and exits; so it does
    /// when the option's own space has no code table (the fqdn6 shim).
    pub(crate) fn opt_define(&mut self, option: &OptionRef) -> PResult<()> {
        let Ok(format) = OptionFormat::parse(&option.format) else {
            return Ok(());
        };
        let carried = match format.encapsulated_space() {
            Some(EncapsulatedSpace::Named(name)) => self.opt_space(name),
            _ => None,
        };
        if let Some(space) = carried.and_then(|c| self.options.space(c)) {
            if !self.options.space(option.space_id).is_some_and(|s| s.tables) {
                return Err(Fatal("error finding encapsulated option (parse.c:1851)".into()));
            }
            if space.encapsulated_by.is_some() {
                return Err(Fatal(
                    "Internal inconsistency: storage value has not been initialized to zero (from parse.c:1849).".into(),
                ));
            }
        }
        let _ = match option.id {
            Some(id) => self.options.redefine(id, option.code, format),
            None => self.options.define_option(option.space_id, &option.name, option.code, format),
        };
        Ok(())
    }

    /// Declares a space (`option space NAME ...;`), hiding any older one.
    pub(crate) fn opt_define_space(&mut self, decl: SpaceDecl) {
        self.options.define_space(decl);
    }
}
