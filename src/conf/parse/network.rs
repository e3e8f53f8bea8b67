//! The network declarations: `shared-network` and `subnet`, with the
//! implicit shared network ISC wraps around a lone subnet (named like
//! `10.0.0.0/24`). Pools and ranges inside them are in `pool.rs`.
//!
//! Besides the grammar this is where ISC checks subnets: a subnet number
//! with host bits set is an error, and an overlap with the subnet declared
//! just before earns a warning whose wording, prefix lengths included, is
//! ISC's.

use std::net::Ipv4Addr;

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{GroupId, ScopeKind, SharedNetwork, Subnet};
use super::super::parser::{PResult, Parser};

/// ISC's interface names are cut to fit `IFNAMSIZ` (16 bytes with the NUL).
const INTERFACE_NAME_MAX: usize = 15;

impl Parser<'_> {
    /// `shared-network NAME { ... }` (ISC `parse_shared_net_declaration`).
    pub(crate) fn parse_shared_net_declaration(&mut self, group: GroupId) -> PResult<()> {
        let sgroup = self.clone_group(group, ScopeKind::SharedNetwork);
        let share = self.new_shared_network(sgroup, false);
        let name = if self.peek_token()? == Token::String {
            self.skip_token()?;
            let v = self.val_bytes();
            if v.first().map_or(true, |&b| b == 0) {
                self.parse_warn("zero-length shared network name");
                "<no-name-given>".to_string()
            } else {
                self.c_text()
            }
        } else {
            match self.parse_host_name()? {
                Some(n) => n,
                None => {
                    self.parse_warn("expecting a name for shared-network");
                    return self.skip_to_semi();
                }
            }
        };
        self.config.shared_networks[share].name = name;
        if !self.parse_lbrace()? {
            return Ok(());
        }
        self.enter()?;
        let mut declaration = false;
        loop {
            let t = self.peek_token()?;
            if t.is(b'}') {
                self.skip_token()?;
                if self.config.shared_networks[share].subnets.is_empty() {
                    self.parse_warn("empty shared-network decl");
                } else {
                    self.config.shared_networks[share].listed = true;
                }
                break;
            }
            if t == Token::Eof {
                self.skip_token()?;
                self.parse_warn("unexpected end of file");
                break;
            }
            if t == Token::Kw(K::Interface) {
                self.skip_token()?;
                self.next_token()?;
                let name = self.c_text();
                self.new_shared_network_interface(share, &name);
                if !self.parse_semi()? {
                    break;
                }
                continue;
            }
            declaration = self.parse_statement(sgroup, ScopeKind::SharedNetwork, None, declaration)?;
        }
        self.leave();
        Ok(())
    }

    /// A shared network record whose scope is `group`.
    fn new_shared_network(&mut self, group: GroupId, implicit: bool) -> usize {
        let idx = self.config.shared_networks.len();
        self.config.shared_networks.push(SharedNetwork {
            name: String::new(),
            implicit,
            group,
            subnets: Vec::new(),
            pools: Vec::new(),
            listed: false,
            interface: None,
        });
        self.config.groups[group].shared_network = Some(idx);
        idx
    }

    /// `interface NAME;` in a shared network or subnet (ISC
    /// `new_shared_network_interface`): the first shared network to name an
    /// interface gets it; a later one naming the same interface silently
    /// does not.
    fn new_shared_network_interface(&mut self, share: usize, name: &str) {
        if self.config.shared_networks[share].interface.is_some() {
            self.parse_warn("A subnet or shared network can't be connected to two interfaces.");
            return;
        }
        let taken = self
            .config
            .shared_networks
            .iter()
            .any(|s| s.interface.as_deref() == Some(name));
        if !taken {
            let mut stored = name.to_string();
            if stored.len() > INTERFACE_NAME_MAX + 1 {
                let mut cut = INTERFACE_NAME_MAX;
                while !stored.is_char_boundary(cut) {
                    cut -= 1;
                }
                stored.truncate(cut);
            }
            self.config.shared_networks[share].interface = Some(stored);
        }
    }

    /// `subnet NET netmask MASK { ... }` after the `subnet` keyword, making
    /// the implicit shared network when the scope is not one (ISC
    /// `parse_statement` SUBNET case and `parse_subnet_declaration`).
    pub(crate) fn parse_subnet_declaration(&mut self, group: GroupId) -> PResult<()> {
        if let Some(share) = self.config.groups[group].shared_network {
            return self.parse_subnet(share);
        }
        // The lone subnet and its implicit shared network share one scope.
        let g = self.clone_group(group, ScopeKind::Subnet);
        let share = self.new_shared_network(g, true);
        self.parse_subnet(share)?;
        if let Some(&first) = self.config.shared_networks[share].subnets.first() {
            let s = &self.config.subnets[first];
            let name = format!("{}/{}", s.net, mask_width(s.netmask));
            let sn = &mut self.config.shared_networks[share];
            sn.name = name;
            sn.listed = true;
        }
        Ok(())
    }

    /// The rest of a subnet declaration inside `share`.
    fn parse_subnet(&mut self, share: usize) -> PResult<()> {
        let share_group = self.config.shared_networks[share].group;
        let sgroup = if self.config.shared_networks[share].implicit {
            share_group
        } else {
            self.clone_group(share_group, ScopeKind::Subnet)
        };
        let mut buf = [0u8; 4];
        let Some(net) = self.parse_ipv4_aggregate(&mut buf)? else {
            return Ok(());
        };
        if self.next_token()? != Token::Kw(K::Netmask) {
            self.parse_warn("Expecting netmask");
            return self.skip_to_semi();
        }
        let Some(netmask) = self.parse_ipv4_aggregate(&mut buf)? else {
            return Ok(());
        };
        if u32::from(net) & !u32::from(netmask) != 0 {
            self.parse_warn(format!(
                "subnet {} netmask {}: bad subnet number/mask combination.",
                net, netmask
            ));
            return self.skip_to_semi();
        }
        let subnet = self.config.subnets.len();
        self.config.subnets.push(Subnet {
            net,
            netmask,
            group: sgroup,
            shared_network: share,
        });
        self.config.groups[sgroup].subnet = Some(subnet);
        self.enter_subnet(subnet);
        if !self.parse_lbrace()? {
            return Ok(());
        }
        self.enter()?;
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
            if t == Token::Kw(K::Interface) {
                self.skip_token()?;
                self.next_token()?;
                let name = self.c_text();
                self.new_shared_network_interface(share, &name);
                if !self.parse_semi()? {
                    break;
                }
                continue;
            }
            declaration = self.parse_statement(sgroup, ScopeKind::Subnet, None, declaration)?;
        }
        self.leave();
        // Siblings are kept narrowest first where they overlap; ISC never
        // compares against the last sibling.
        let siblings = self.config.shared_networks[share].subnets.clone();
        let at = siblings
            .iter()
            .take(siblings.len().saturating_sub(1))
            .position(|&t| self.subnet_inner_than(subnet, t, false));
        let siblings = &mut self.config.shared_networks[share].subnets;
        match at {
            Some(i) => siblings.insert(i, subnet),
            None => siblings.push(subnet),
        }
        Ok(())
    }

    /// A dotted quad as ISC reads subnet numbers, masks and range ends:
    /// a numeric aggregate of four bytes into `buf`, which the caller
    /// reuses for the next one. Cut short by end of file, the bytes not
    /// read keep what the previous address left there, as in ISC.
    pub(crate) fn parse_ipv4_aggregate(&mut self, buf: &mut [u8; 4]) -> PResult<Option<Ipv4Addr>> {
        let Some(bytes) = self.parse_numeric_aggregate(4, Some(b'.'), 10, 8)? else {
            return Ok(None);
        };
        for (d, s) in buf.iter_mut().zip(bytes.iter()) {
            *d = *s;
        }
        Ok(Some(Ipv4Addr::from(*buf)))
    }

    /// Puts a subnet into ISC's global subnet list (`enter_subnet`). ISC
    /// means to find its place by comparing with every subnet, but its loop
    /// stops after the first: only the subnet entered last is compared
    /// (and warned about on overlap), and the new one always goes first.
    fn enter_subnet(&mut self, subnet: usize) {
        if let Some(last) = self.decl.last_subnet {
            self.subnet_inner_than(subnet, last, true);
        }
        self.decl.last_subnet = Some(subnet);
    }

    /// ISC `subnet_inner_than`: the two overlap and `subnet` is the
    /// narrower. With `warn`, an overlap is logged either way.
    fn subnet_inner_than(&mut self, subnet: usize, scan: usize, warn: bool) -> bool {
        let (a, b) = (&self.config.subnets[subnet], &self.config.subnets[scan]);
        let (an, am, bn, bm) = (
            u32::from(a.net),
            u32::from(a.netmask),
            u32::from(b.net),
            u32::from(b.netmask),
        );
        if an & bm != bn && bn & am != an {
            return false;
        }
        let (i, j) = (host_bits(am), host_bits(bm));
        if warn {
            let msg = format!(
                "Warning: subnet {}/{} overlaps subnet {}/{}",
                a.net,
                32 - i,
                b.net,
                32 - j
            );
            self.log_error(msg);
        }
        i < j
    }
}

/// The prefix length ISC's `piaddrmask` gives a mask: the position of its
/// last one bit.
pub(crate) fn mask_width(mask: Ipv4Addr) -> u32 {
    let m = u32::from(mask);
    if m == 0 {
        0
    } else {
        32 - m.trailing_zeros()
    }
}

/// The number of zero bits below a mask's lowest one bit, as ISC's
/// `subnet_inner_than` counts it. For an all-zero mask ISC reads on past
/// the address into the length field stored before it and stops at 58.
fn host_bits(mask: u32) -> i32 {
    if mask == 0 {
        58
    } else {
        mask.trailing_zeros() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isc_prefix_arithmetic() {
        assert_eq!(mask_width(Ipv4Addr::new(255, 255, 255, 0)), 24);
        assert_eq!(mask_width(Ipv4Addr::new(0, 0, 0, 0)), 0);
        assert_eq!(32 - host_bits(0), -26);
        assert_eq!(32 - host_bits(0xffff_ffff), 32);
    }
}
