//! The DHCPv6 declarations as a DHCPv4 server reads them: `subnet6`,
//! `range6`, `prefix6`, `pool6` and `fixed-prefix6`.
//!
//! We only serve DHCPv4, like `dhcpd -4`. ISC in that mode still parses
//! these declarations far enough to give its messages: `subnet6`, `range6`
//! and `prefix6` are refused as DHCPv6-only, while `pool6` bodies,
//! `fixed-address6` and `fixed-prefix6` are parsed and kept (harmlessly).

use std::net::Ipv6Addr;

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{GroupId, ScopeKind};
use super::super::parser::{PResult, Parser};
use super::common::atoi;

impl Parser<'_> {
    /// `subnet6 NET/BITS { ... }` after its keyword: DHCPv6 only.
    pub(crate) fn parse_subnet6_declaration(&mut self, _group: GroupId) -> PResult<()> {
        self.parse_warn("subnet6 statement is only supported in DHCPv6 mode.");
        self.skip_to_semi()
    }

    /// `range6`, `prefix6`, `fixed-prefix6` or `pool6`, starting at the
    /// keyword (ISC `parse_statement`'s DHCPv6 cases). Returns ISC's
    /// "a declaration was seen" flag.
    pub(crate) fn parse_v6_declaration(
        &mut self,
        group: GroupId,
        kind: ScopeKind,
        host: Option<usize>,
        kw: K,
        declaration: bool,
    ) -> PResult<bool> {
        self.skip_token()?;
        let in_subnet = kind == ScopeKind::Subnet && self.config.groups[group].subnet.is_some();
        match kw {
            K::Range6 | K::Prefix6 => {
                let what = if kw == K::Range6 { "range6" } else { "prefix6" };
                if !in_subnet {
                    self.parse_warn(format!("{} declaration not allowed here.", what));
                } else {
                    self.parse_warn(format!("{} statement is only supported in DHCPv6 mode.", what));
                }
                self.skip_to_semi()?;
                Ok(declaration)
            }
            K::FixedPrefix6 => {
                match host {
                    None => {
                        self.parse_warn("fixed-prefix6 declaration not allowed here.");
                        self.skip_to_semi()?;
                    }
                    Some(h) => {
                        if let Some(prefix) = self.parse_fixed_prefix6()? {
                            self.config.hosts[h].fixed_prefixes6.push(prefix);
                        }
                    }
                }
                Ok(false)
            }
            _ => {
                if kind == ScopeKind::Pool {
                    self.parse_warn("pool6 declared within pool.");
                    self.skip_to_semi()?;
                } else if kind != ScopeKind::Subnet {
                    self.parse_warn("pool6 declared outside of network");
                    self.skip_to_semi()?;
                } else {
                    self.parse_pool6_statement(group)?;
                }
                Ok(declaration)
            }
        }
    }

    /// `P/N;` after `fixed-prefix6` (ISC `parse_fixed_prefix6`).
    fn parse_fixed_prefix6(&mut self) -> PResult<Option<(Ipv6Addr, u8)>> {
        let Some(addr) = self.parse_ip6_addr()? else {
            return Ok(None);
        };
        let t = self.next_token()?;
        if !t.is(b'/') {
            self.parse_warn("expecting '/'");
            if !t.is(b';') {
                self.skip_to_semi()?;
            }
            return Ok(None);
        }
        let t = self.next_token()?;
        if t != Token::Number {
            self.parse_warn("expecting number");
            if !t.is(b';') {
                self.skip_to_semi()?;
            }
            return Ok(None);
        }
        let bits = atoi(self.lex.value_cstr()) as i32;
        if !self.next_token()?.is(b';') {
            self.parse_warn("semicolon expected.");
            self.skip_to_semi()?;
            return Ok(None);
        }
        if !(0..=128).contains(&bits) {
            self.parse_warn("networks have 0 to 128 bits");
            return Ok(None);
        }
        if !is_cidr_mask_valid(addr, bits as u32) {
            self.parse_warn("network mask too short");
            return Ok(None);
        }
        Ok(Some((addr, bits as u8)))
    }

    /// `pool6 { ... }` (ISC `parse_pool6_statement`): its `range6` and
    /// `prefix6` are refused in DHCPv4 mode, so it always ends up empty.
    fn parse_pool6_statement(&mut self, group: GroupId) -> PResult<()> {
        let pgroup = self.clone_group(group, ScopeKind::Pool);
        if !self.parse_lbrace()? {
            return Ok(());
        }
        self.enter()?;
        let (mut valid_from, mut valid_until) = (0i64, 0i64);
        let mut declaration = false;
        loop {
            let t = self.peek_token()?;
            match t {
                Token::Kw(K::Range6) | Token::Kw(K::Prefix6) => {
                    self.skip_token()?;
                    let what = if t == Token::Kw(K::Range6) { "range6" } else { "prefix6" };
                    self.parse_warn(format!("{} statement is only supported in DHCPv6 mode.", what));
                    self.skip_to_semi()?;
                }
                Token::Kw(K::Allow) | Token::Kw(K::Deny) => {
                    self.skip_token()?;
                    let has_after = valid_from != 0 || valid_until != 0;
                    if let Some(super::super::model::Permit::After(at)) = self.get_permit(has_after)? {
                        if t == Token::Kw(K::Allow) {
                            valid_from = at;
                        } else {
                            valid_until = at;
                        }
                    }
                }
                Token::Punct(b'}') => {
                    self.skip_token()?;
                    break;
                }
                Token::Eof => {
                    self.parse_warn("unexpected end of file");
                    self.leave();
                    return Ok(());
                }
                _ => {
                    declaration = self.parse_statement(pgroup, ScopeKind::Pool, None, declaration)?;
                }
            }
        }
        self.leave();
        self.parse_warn("Pool6 declaration with no address range6 or prefix6.");
        self.log_error("Pool6 declarations must always contain at least");
        self.log_error("one range6 or prefix6 statement.");
        Ok(())
    }
}

/// ISC `is_cidr_mask_valid`: no bits set past the first `bits`.
fn is_cidr_mask_valid(addr: Ipv6Addr, bits: u32) -> bool {
    if bits > 128 {
        return false;
    }
    let v = u128::from(addr);
    bits == 128 || v & (u128::MAX >> bits) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_masks() {
        let a: Ipv6Addr = "2001:db8::".parse().unwrap();
        assert!(is_cidr_mask_valid(a, 32));
        assert!(!is_cidr_mask_valid(a, 16));
        assert!(is_cidr_mask_valid(a, 128));
        assert!(is_cidr_mask_valid(Ipv6Addr::UNSPECIFIED, 0));
    }
}
