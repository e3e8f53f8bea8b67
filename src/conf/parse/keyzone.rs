//! TSIG keys and DNS zones for dynamic DNS updates: `key NAME { algorithm
//! ALG; secret BASE64; }` and `zone NAME { primary ...; key NAME; }`.
//!
//! ISC parses both as executable statements (any scope), so the statement
//! parser calls [`Parser::parse_key_declaration`] and
//! [`Parser::parse_zone_declaration`] after their keywords. A key missing
//! its algorithm or secret crashes ISC when it builds the key; we refuse it
//! with a parse error instead.

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{Key, Zone};
use super::super::parser::{Fatal, PResult, Parser};

/// The algorithms ISC can sign with, as fully qualified names.
const KNOWN_ALGORITHMS: [&str; 6] = [
    "HMAC-MD5.SIG-ALG.REG.INT.",
    "HMAC-SHA1.SIG-ALG.REG.INT.",
    "HMAC-SHA224.SIG-ALG.REG.INT.",
    "HMAC-SHA256.SIG-ALG.REG.INT.",
    "HMAC-SHA384.SIG-ALG.REG.INT.",
    "HMAC-SHA512.SIG-ALG.REG.INT.",
];

/// Which server list of a zone a statement fills.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ServerList {
    Primary,
    Secondary,
    Primary6,
    Secondary6,
}

impl Parser<'_> {
    /// After the `key` keyword (ISC `parse_key`). Returns false when the
    /// declaration was reported and skipped: the caller then sets ISC's
    /// `lose` (no second message) and produces no statement.
    pub(crate) fn parse_key_declaration(&mut self) -> PResult<bool> {
        let name = if self.peek_token()? == Token::String {
            self.skip_token()?;
            self.c_text()
        } else {
            match self.parse_host_name()? {
                Some(n) => n,
                None => {
                    self.parse_warn("expecting key name.");
                    self.skip_to_semi()?;
                    return Ok(false);
                }
            }
        };
        if !self.next_token()?.is(b'{') {
            self.parse_warn("expecting left brace");
            self.drop_key(&name);
            return Ok(false);
        }
        let mut algorithm: Option<String> = None;
        let mut secret: Option<Vec<u8>> = None;
        let t = loop {
            let t = self.next_token()?;
            match t {
                Token::Kw(K::Algorithm) => {
                    if algorithm.is_some() {
                        self.parse_warn(format!("key {}: too many algorithms", name));
                        return self.abandon_key(&name);
                    }
                    let Some(alg) = self.parse_host_name()? else {
                        self.parse_warn("expecting key algorithm name.");
                        return self.abandon_key(&name);
                    };
                    if !self.parse_semi()? {
                        return self.abandon_key(&name);
                    }
                    algorithm = Some(qualify_algorithm(alg));
                }
                Token::Kw(K::Secret) => {
                    if secret.is_some() {
                        self.parse_warn(format!("key {}: too many secrets", name));
                        return self.abandon_key(&name);
                    }
                    let Some(bytes) = self.parse_base64()? else {
                        return self.abandon_key(&name);
                    };
                    if !self.parse_semi()? {
                        return self.abandon_key(&name);
                    }
                    secret = Some(bytes);
                }
                _ => break t,
            }
        };
        if !t.is(b'}') {
            self.parse_warn("expecting right brace.");
            return self.abandon_key(&name);
        }
        // BIND 8 syntax puts a `;` after the closing brace.
        if self.peek_token()?.is(b';') {
            self.skip_token()?;
        }
        let Some(algorithm) = algorithm else {
            self.parse_warn(format!("key {}: no algorithm specified", name));
            self.drop_key(&name);
            return Ok(false);
        };
        let Some(secret) = secret else {
            self.parse_warn(format!("key {}: no secret specified", name));
            self.drop_key(&name);
            return Ok(false);
        };
        if !KNOWN_ALGORITHMS.iter().any(|a| a.eq_ignore_ascii_case(&algorithm)) {
            self.log_error(format!("Unable to create tsec structure for {}", name));
        }
        self.drop_key(&name);
        self.config.keys.push(Key {
            name,
            algorithm,
            secret,
        });
        Ok(true)
    }

    /// ISC's `rbad` exit from `parse_key`: skip past the key's `}`, and
    /// drop the half-made key.
    fn abandon_key(&mut self, name: &str) -> PResult<bool> {
        self.skip_to_rbrace(1)?;
        self.drop_key(name);
        Ok(false)
    }

    /// Removes the key of this name. ISC does so when a key object is
    /// freed, so a declaration abandoned halfway also takes away an earlier
    /// key of the same name (checked against `dhcpd -t`).
    fn drop_key(&mut self, name: &str) {
        self.config.keys.retain(|k| !k.name.eq_ignore_ascii_case(name));
    }

    /// The key of this name; ISC's key names ignore case.
    pub(crate) fn find_key(&self, name: &str) -> Option<usize> {
        self.config.keys.iter().position(|k| k.name.eq_ignore_ascii_case(name))
    }

    /// After the `zone` keyword (ISC `parse_executable_statement` ZONE case
    /// and `parse_zone`). Returns false when the declaration was reported
    /// and skipped: the caller then sets ISC's `lose` and produces no
    /// statement.
    pub(crate) fn parse_zone_declaration(&mut self) -> PResult<bool> {
        let Some(mut name) = self.parse_host_name()? else {
            self.parse_warn("expecting hostname.");
            self.skip_to_semi()?;
            return Ok(false);
        };
        if !name.ends_with('.') {
            name.push('.');
        }
        match self.parse_zone(name)? {
            Some(zone) => {
                self.config.zones.retain(|z| !z.name.eq_ignore_ascii_case(&zone.name));
                self.config.zones.push(zone);
                Ok(true)
            }
            None => {
                self.skip_to_semi()?;
                Ok(false)
            }
        }
    }

    /// The `{ ... }` of a zone (ISC `parse_zone`); `None` when reported.
    fn parse_zone(&mut self, name: String) -> PResult<Option<Zone>> {
        if !self.next_token()?.is(b'{') {
            self.parse_warn("expecting left brace");
            return Ok(None);
        }
        let mut zone = Zone {
            name,
            primary: Vec::new(),
            secondary: Vec::new(),
            primary6: Vec::new(),
            secondary6: Vec::new(),
            key: None,
        };
        let mut seen = [false; 4];
        loop {
            let list = match self.peek_token()? {
                Token::Kw(K::Primary) => ServerList::Primary,
                Token::Kw(K::Secondary) => ServerList::Secondary,
                Token::Kw(K::Primary6) => ServerList::Primary6,
                Token::Kw(K::Secondary6) => ServerList::Secondary6,
                Token::Kw(K::Key) => {
                    if !self.parse_zone_key(&mut zone)? {
                        return Ok(None);
                    }
                    continue;
                }
                _ => break,
            };
            let (i, what) = match list {
                ServerList::Primary => (0, "primary"),
                ServerList::Secondary => (1, "secondary"),
                ServerList::Primary6 => (2, "primary6"),
                ServerList::Secondary6 => (3, "secondary6"),
            };
            if seen[i] {
                self.parse_warn(format!("more than one {}.", what));
                self.skip_to_semi()?;
                return Ok(None);
            }
            seen[i] = true;
            self.skip_token()?;
            loop {
                match list {
                    ServerList::Primary | ServerList::Secondary => {
                        let Some(server) = self.parse_ip_addr_or_hostname()? else {
                            self.parse_warn("expecting IP addr or hostname.");
                            self.skip_to_semi()?;
                            return Ok(None);
                        };
                        if list == ServerList::Primary {
                            zone.primary.push(server);
                        } else {
                            zone.secondary.push(server);
                        }
                    }
                    ServerList::Primary6 | ServerList::Secondary6 => {
                        let Some(server) = self.parse_ip6_addr()? else {
                            self.parse_warn("expecting IPv6 addr.");
                            self.skip_to_semi()?;
                            return Ok(None);
                        };
                        if list == ServerList::Primary6 {
                            zone.primary6.push(server);
                        } else {
                            zone.secondary6.push(server);
                        }
                    }
                }
                let t = self.next_token()?;
                if t.is(b',') {
                    continue;
                }
                if !t.is(b';') {
                    self.parse_warn("expecting semicolon.");
                    self.skip_to_semi()?;
                    return Ok(None);
                }
                break;
            }
        }
        if !self.next_token()?.is(b'}') {
            self.parse_warn("expecting right brace.");
            return Ok(None);
        }
        Ok(Some(zone))
    }

    /// `key NAME;` inside a zone. Returns false when the zone is abandoned.
    fn parse_zone_key(&mut self, zone: &mut Zone) -> PResult<bool> {
        self.skip_token()?;
        let key = if self.peek_token()? == Token::String {
            self.skip_token()?;
            self.c_text()
        } else {
            match self.parse_host_name()? {
                Some(n) => n,
                None => {
                    self.parse_warn("expecting key name.");
                    self.skip_to_semi()?;
                    return Ok(false);
                }
            }
        };
        if zone.key.is_some() {
            return Err(Fatal(format!("Multiple key definitions for zone {}.", zone.name)));
        }
        if self.find_key(&key).is_some() {
            zone.key = Some(key);
        } else {
            self.parse_warn(format!("unknown key {}", key));
        }
        self.parse_semi()
    }
}

/// ISC makes an algorithm name fully qualified: a bare name gets
/// `.SIG-ALG.REG.INT.`, a dotted one without the final dot gets the dot.
fn qualify_algorithm(mut alg: String) -> String {
    match alg.rfind('.') {
        None => alg.push_str(".SIG-ALG.REG.INT."),
        Some(i) if i + 1 < alg.len() => alg.push('.'),
        Some(_) => {}
    }
    alg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_are_qualified_like_isc() {
        assert_eq!(qualify_algorithm("hmac-md5".into()), "hmac-md5.SIG-ALG.REG.INT.");
        assert_eq!(
            qualify_algorithm("hmac-md5.sig-alg.reg.int".into()),
            "hmac-md5.sig-alg.reg.int."
        );
        assert_eq!(qualify_algorithm("HMAC-SHA512.".into()), "HMAC-SHA512.");
    }
}
