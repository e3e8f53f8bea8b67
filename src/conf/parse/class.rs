//! Client classes: `class`, `subclass`, and the old `vendor-class` and
//! `user-class` forms (ISC `parse_class_declaration`).
//!
//! A `class` may be declared again to add to it. A `subclass` (and the old
//! forms, which ISC turns into subclasses) names an existing class and
//! gives the data that selects it; the same data again reopens the same
//! subclass. ISC finds classes by name in the order they were declared, and
//! only `class` declarations are found that way.

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{Class, GroupId, ScopeKind};
use super::super::parser::{PResult, Parser};
use super::common::atoi;
use super::ClassKind;

impl Parser<'_> {
    /// The `class` declaration named `name` (ISC `find_class`): index into
    /// `Config::classes`.
    pub(crate) fn find_class(&self, name: &str) -> Option<usize> {
        self.decl
            .class_collection
            .iter()
            .copied()
            .find(|&c| self.config.classes[c].name.as_deref() == Some(name))
    }

    /// After `class`, `subclass`, `vendor-class` or `user-class` (ISC
    /// `parse_class_declaration`).
    pub(crate) fn parse_class_declaration(&mut self, group: GroupId, kind: ClassKind) -> PResult<()> {
        if self.next_token()? != Token::String {
            self.parse_warn("Expecting class name");
            return self.skip_to_semi();
        }
        let val = self.c_text();
        let parent = self.find_class(&val);
        let mut existing = None;
        if kind == ClassKind::Class {
            existing = parent;
        } else if parent.is_none() {
            self.parse_warn(format!("no class named {}", val));
            return self.skip_to_semi();
        }
        let name = match kind {
            ClassKind::Class => Some(val.clone()),
            ClassKind::Vendor => Some("implicit-vendor-class".to_string()),
            ClassKind::User => Some("implicit-user-class".to_string()),
            ClassKind::Subclass => None,
        };
        // The data selecting a subclass. The old forms select with a
        // zeroed buffer as long as the name (ISC never fills it in).
        let mut data = Vec::new();
        match kind {
            ClassKind::Vendor | ClassKind::User => data = vec![0u8; val.len()],
            ClassKind::Subclass => match self.peek_token()? {
                Token::String => {
                    self.skip_token()?;
                    data = self.val_bytes();
                }
                Token::Number | Token::NumberOrName => match self.parse_cshl()? {
                    Some(d) => data = d,
                    None => return Ok(()),
                },
                _ => {
                    self.parse_warn("Expecting string or hex list.");
                    return Ok(());
                }
            },
            ClassKind::Class => {}
        }
        if let Some(pc) = parent.filter(|_| kind != ClassKind::Class) {
            existing = self.decl.subclass_by_data.get(&pc).and_then(|m| m.get(data.as_slice())).copied();
        }
        let new = existing.is_none();
        let class = match existing {
            Some(c) => c,
            None => {
                let (cgroup, superclass, lease_limit, hash_string) = match parent.filter(|_| kind != ClassKind::Class) {
                    Some(pc) => {
                        let p = &self.config.classes[pc];
                        (p.group, Some(pc), p.lease_limit, Some(data.clone()))
                    }
                    None => (self.clone_group(group, ScopeKind::Class), None, None, None),
                };
                let idx = self.config.classes.len();
                self.config.classes.push(Class {
                    name,
                    group: cgroup,
                    superclass,
                    hash_string,
                    match_if: None,
                    submatch: None,
                    spawning: false,
                    lease_limit,
                    dynamic: false,
                    deleted: false,
                });
                if let Some(pc) = superclass {
                    self.decl.subclass_by_data.entry(pc).or_default().insert(data.clone(), idx);
                }
                idx
            }
        };
        let is_sub = self.config.classes[class].superclass.is_some();
        if is_sub {
            // A subclass may stop here and take its class's settings.
            if self.peek_token()?.is(b';') {
                self.skip_token()?;
                return Ok(());
            }
            let g = self.config.classes[class].group;
            self.config.classes[class].group = self.clone_group(g, ScopeKind::Class);
        }
        if !self.parse_lbrace()? {
            return Ok(());
        }
        self.parse_class_body(class, parent.filter(|_| kind != ClassKind::Class).is_some())?;
        let c = &self.config.classes[class];
        if c.deleted {
            if kind == ClassKind::Class {
                let n = c.name.clone().unwrap_or_default();
                if let Some(found) = self.find_class(&n) {
                    self.decl.class_collection.retain(|&x| x != found);
                }
            } else if let Some(pc) = c.superclass {
                if let Some(m) = self.decl.subclass_by_data.get_mut(&pc) {
                    m.remove(data.as_slice());
                }
            }
        } else if kind == ClassKind::Class && new {
            self.decl.class_collection.push(class);
        }
        Ok(())
    }

    /// The `{ ... }` of a class after its `{`. `subclass` forbids `match`
    /// and `spawn` (they belong to the class it refines).
    fn parse_class_body(&mut self, class: usize, subclass: bool) -> PResult<()> {
        self.enter()?;
        let group = self.config.classes[class].group;
        let mut declaration = false;
        let (mut matched_once, mut submatched_once) = (false, false);
        loop {
            let t = self.peek_token()?;
            match t {
                Token::Punct(b'}') => {
                    self.skip_token()?;
                    break;
                }
                Token::Eof => {
                    self.skip_token()?;
                    self.parse_warn("unexpected end of file");
                    break;
                }
                Token::Kw(K::Dynamic) | Token::Kw(K::Deleted) => {
                    if t == Token::Kw(K::Dynamic) {
                        self.config.classes[class].dynamic = true;
                    } else {
                        self.config.classes[class].deleted = true;
                    }
                    self.skip_token()?;
                    if !self.parse_semi()? {
                        break;
                    }
                }
                Token::Kw(K::Match) => {
                    if subclass {
                        self.parse_warn("invalid match in subclass.");
                        self.skip_to_semi()?;
                        break;
                    }
                    self.skip_token()?;
                    if self.peek_token()? != Token::Kw(K::If) {
                        if !self.parse_submatch(class, &mut submatched_once)? {
                            break;
                        }
                        continue;
                    }
                    self.skip_token()?;
                    if matched_once {
                        self.parse_warn("A class may only have one 'match if' clause.");
                        self.skip_to_semi()?;
                        break;
                    }
                    matched_once = true;
                    self.config.classes[class].match_if = None;
                    match self.parse_boolean_expression()? {
                        (Some(e), _) => {
                            self.config.classes[class].match_if = Some(Box::new(e));
                            self.parse_semi()?;
                        }
                        (None, lose) => {
                            if !lose {
                                self.parse_warn("expecting boolean expr.");
                                self.skip_to_semi()?;
                            }
                        }
                    }
                }
                Token::Kw(K::Spawn) => {
                    self.skip_token()?;
                    if subclass {
                        self.parse_warn("invalid spawn in subclass.");
                        self.skip_to_semi()?;
                        break;
                    }
                    self.config.classes[class].spawning = true;
                    if self.next_token()? != Token::Kw(K::With) {
                        self.parse_warn("expecting with after spawn");
                        self.skip_to_semi()?;
                        break;
                    }
                    if !self.parse_submatch(class, &mut submatched_once)? {
                        break;
                    }
                }
                Token::Kw(K::Lease) => {
                    self.skip_token()?;
                    let t = self.next_token()?;
                    if t != Token::Kw(K::Limit) {
                        self.parse_warn("expecting \"limit\"");
                        if !t.is(b';') {
                            self.skip_to_semi()?;
                        }
                        break;
                    }
                    let t = self.next_token()?;
                    if t != Token::Number {
                        self.parse_warn("expecting a number");
                        if !t.is(b';') {
                            self.skip_to_semi()?;
                        }
                        break;
                    }
                    self.config.classes[class].lease_limit = Some(atoi(self.lex.value_cstr()) as i32);
                    self.parse_semi()?;
                }
                _ => {
                    declaration = self.parse_statement(group, ScopeKind::Class, None, declaration)?;
                }
            }
        }
        self.leave();
        Ok(())
    }

    /// The data expression of `match EXPR;` or `spawn with EXPR;`.
    /// Returns false when ISC leaves the class body.
    fn parse_submatch(&mut self, class: usize, submatched_once: &mut bool) -> PResult<bool> {
        if *submatched_once {
            self.parse_warn("can't override existing submatch/spawn.");
            self.skip_to_semi()?;
            return Ok(false);
        }
        *submatched_once = true;
        self.config.classes[class].submatch = None;
        match self.parse_data_expression()? {
            (Some(e), _) => {
                self.config.classes[class].submatch = Some(Box::new(e));
                self.parse_semi()?;
            }
            (None, lose) => {
                if !lose {
                    self.parse_warn("expecting data expr.");
                    self.skip_to_semi()?;
                }
            }
        }
        Ok(true)
    }
}
