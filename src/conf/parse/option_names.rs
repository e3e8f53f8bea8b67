//! Option names and spaces as the parser sees them: the built-in table of
//! `crate::options` plus the spaces and definitions the configuration adds
//! (`option space ...;`, `option NAME code N = TYPE;`), which ISC lets
//! override built-in ones. Names compare without regard to ASCII case.

use super::super::parser::Parser;
use super::option::OptionRef;
use crate::options::table::SPACES;

/// Spaces and options defined by the configuration itself.
#[derive(Clone, Debug, Default)]
pub struct UserOptions {
    /// User spaces: (name, code width, length width).
    pub spaces: Vec<(String, u32, u32)>,
    /// User definitions, newest last.
    pub options: Vec<OptionRef>,
    /// Built-in (space, code) pairs whose definition was replaced.
    pub removed: Vec<(String, u32)>,
}

impl Parser<'_> {
    pub(crate) fn opt_space_exists(&self, name: &str) -> bool {
        SPACES.iter().any(|s| s.name.eq_ignore_ascii_case(name))
            || self.user_options.spaces.iter().any(|s| s.0.eq_ignore_ascii_case(name))
    }

    /// The space's name as declared (for messages and storage).
    pub(crate) fn opt_space_canonical(&self, name: &str) -> String {
        if let Some(s) = self.user_options.spaces.iter().rev().find(|s| s.0.eq_ignore_ascii_case(name)) {
            return s.0.clone();
        }
        SPACES
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .map(|s| s.name.to_string())
            .unwrap_or_else(|| name.to_string())
    }

    /// ISC's `universe->end`: 255 for dhcp, 0 elsewhere.
    pub(crate) fn opt_space_end(&self, space: &str) -> u32 {
        SPACES.iter().find(|s| s.name.eq_ignore_ascii_case(space)).map(|s| s.end).unwrap_or(0)
    }

    fn removed(&self, space: &str, code: u32) -> bool {
        self.user_options.removed.iter().any(|(s, c)| s.eq_ignore_ascii_case(space) && *c == code)
    }

    pub(crate) fn opt_lookup_name(&self, space: &str, name: &str) -> Option<OptionRef> {
        if let Some(o) = self
            .user_options
            .options
            .iter()
            .rev()
            .find(|o| o.space.eq_ignore_ascii_case(space) && o.name.eq_ignore_ascii_case(name))
        {
            return Some(o.clone());
        }
        let s = SPACES.iter().find(|s| s.name.eq_ignore_ascii_case(space))?;
        let o = s.options.iter().find(|o| o.name.eq_ignore_ascii_case(name))?;
        if self.removed(s.name, o.code) {
            return None;
        }
        Some(OptionRef { space: s.name.to_string(), code: o.code, name: o.name.to_string(), format: o.format.to_string() })
    }

    pub(crate) fn opt_lookup_code(&self, space: &str, code: u32) -> Option<OptionRef> {
        if let Some(o) =
            self.user_options.options.iter().rev().find(|o| o.space.eq_ignore_ascii_case(space) && o.code == code)
        {
            return Some(o.clone());
        }
        let s = SPACES.iter().find(|s| s.name.eq_ignore_ascii_case(space))?;
        let o = s.options.iter().find(|o| o.code == code)?;
        if self.removed(s.name, o.code) {
            return None;
        }
        Some(OptionRef { space: s.name.to_string(), code: o.code, name: o.name.to_string(), format: o.format.to_string() })
    }

    /// Forgets a definition before it is redefined (ISC deletes it from both hashes).
    pub(crate) fn opt_remove(&mut self, space: &str, name: &str, code: u32) {
        self.user_options
            .options
            .retain(|o| !(o.space.eq_ignore_ascii_case(space) && (o.name.eq_ignore_ascii_case(name) || o.code == code)));
        if let Some(s) = SPACES.iter().find(|s| s.name.eq_ignore_ascii_case(space)) {
            for o in s.options.iter().filter(|o| o.name.eq_ignore_ascii_case(name)) {
                self.user_options.removed.push((s.name.to_string(), o.code));
            }
        }
    }

    /// Adds a definition; an older option with the same code loses its
    /// code mapping (ISC keeps only one code→name entry).
    pub(crate) fn opt_define(&mut self, option: OptionRef) {
        let (space, code) = (option.space.clone(), option.code);
        self.user_options.options.retain(|o| !(o.space.eq_ignore_ascii_case(&space) && o.code == code));
        if let Some(s) = SPACES.iter().find(|s| s.name.eq_ignore_ascii_case(&space)) {
            if s.options.iter().any(|o| o.code == code) {
                self.user_options.removed.push((s.name.to_string(), code));
            }
        }
        self.user_options.options.push(option);
    }

    pub(crate) fn opt_define_space(&mut self, name: &str, code_width: u32, length_width: u32) {
        self.user_options.spaces.push((name.to_string(), code_width, length_width));
    }
}
