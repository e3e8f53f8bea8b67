//! The network declarations: `shared-network`, `subnet` (with the implicit
//! shared network ISC wraps around a lone subnet), `pool` and `range`.
//!
//! Besides the grammar this is where ISC checks addresses: a subnet number
//! with host bits set is an error, overlapping subnets earn a warning (its
//! wording, prefix lengths included, is ISC's), a range outside its subnet
//! ends the run, and every address declared twice by ranges is reported
//! once per address. ISC attaches a range written outside any pool to a pool
//! it finds or makes for it; we keep the same pools, including its choice of
//! the pool *before* the matching one.

use std::net::Ipv4Addr;

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{GroupId, Permit, Pool, Range, ScopeKind, SharedNetwork, Subnet};
use super::super::parser::{Fatal, PResult, Parser};
use super::failover::PoolPeerRef;

/// At most this many "declared twice" messages per range: ISC prints one per
/// address, which for a large overlap would be millions of lines.
const MAX_DUPLICATE_REPORTS: u64 = 1 << 16;

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
        let taken = self.config.shared_networks.iter().any(|s| s.interface.as_deref() == Some(name));
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
        let Some(net) = self.parse_ipv4_aggregate()? else {
            return Ok(());
        };
        if self.next_token()? != Token::Kw(K::Netmask) {
            self.parse_warn("Expecting netmask");
            return self.skip_to_semi();
        }
        let Some(netmask) = self.parse_ipv4_aggregate()? else {
            return Ok(());
        };
        if u32::from(net) & !u32::from(netmask) != 0 {
            self.parse_warn(format!("subnet {} netmask {}: bad subnet number/mask combination.", net, netmask));
            return self.skip_to_semi();
        }
        let subnet = self.config.subnets.len();
        self.config.subnets.push(Subnet { net, netmask, group: sgroup, shared_network: share });
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

    /// A dotted quad as ISC reads subnet numbers and masks (a numeric
    /// aggregate of four bytes; cut short by end of file, the rest is 0).
    fn parse_ipv4_aggregate(&mut self) -> PResult<Option<Ipv4Addr>> {
        Ok(self.parse_numeric_aggregate(4, Some(b'.'), 10, 8)?.map(|b| {
            let mut q = [0u8; 4];
            for (d, s) in q.iter_mut().zip(b.iter()) {
                *d = *s;
            }
            Ipv4Addr::from(q)
        }))
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
        let (an, am, bn, bm) = (u32::from(a.net), u32::from(a.netmask), u32::from(b.net), u32::from(b.netmask));
        if an & bm != bn && bn & am != an {
            return false;
        }
        let (i, j) = (host_bits(am), host_bits(bm));
        if warn {
            let msg = format!("Warning: subnet {}/{} overlaps subnet {}/{}", a.net, 32 - i, b.net, 32 - j);
            self.log_error(msg);
        }
        i < j
    }

    /// `pool { ... }` in a subnet or shared network (ISC `parse_pool_statement`).
    pub(crate) fn parse_pool_statement(&mut self, group: GroupId, kind: ScopeKind) -> PResult<()> {
        let share = match kind {
            ScopeKind::Subnet => self.config.groups[group].subnet.map(|s| self.config.subnets[s].shared_network),
            ScopeKind::SharedNetwork => self.config.groups[group].shared_network,
            _ => None,
        };
        let Some(share) = share else {
            self.parse_warn("Dynamic pools are only valid inside subnet or shared-network statements.");
            return self.skip_to_semi();
        };
        // A pool's scope hangs off the shared network's, not the subnet's.
        let share_group = self.config.shared_networks[share].group;
        let pgroup = self.clone_group(share_group, ScopeKind::Pool);
        let mut pool = Pool {
            shared_network: share,
            group: pgroup,
            permits: Vec::new(),
            prohibits: Vec::new(),
            valid_from: None,
            valid_until: None,
            failover_peer: self.config.failover.shared_network_peer(share),
            ranges: Vec::new(),
            implicit: false,
            merged_into: None,
        };
        if !self.parse_lbrace()? {
            return Ok(());
        }
        // The pool is numbered now so ranges can name it; it joins the
        // shared network's list only once complete, as in ISC.
        let idx = self.config.pools.len();
        self.config.pools.push(pool.clone());
        self.enter()?;
        let mut declaration = false;
        let mut addresses = 0u64;
        let mut complete = false;
        loop {
            let t = self.peek_token()?;
            match t {
                Token::Kw(K::No) => {
                    self.skip_token()?;
                    let ok = self.next_token()? == Token::Kw(K::Failover) && self.next_token()? == Token::Kw(K::Peer);
                    if !ok {
                        self.parse_warn("expecting \"failover peer\".");
                        self.skip_to_semi()?;
                        continue;
                    }
                    // ISC reads no `;` here: it is then taken for a statement.
                    self.config.pools[idx].failover_peer = None;
                }
                Token::Kw(K::Failover) => {
                    self.skip_token()?;
                    match self.parse_pool_failover_peer()? {
                        PoolPeerRef::Malformed => {}
                        PoolPeerRef::NotFound => self.config.pools[idx].failover_peer = None,
                        PoolPeerRef::Peer(p) => self.config.pools[idx].failover_peer = Some(p),
                    }
                }
                Token::Kw(K::Range) => {
                    self.skip_token()?;
                    addresses += self.parse_address_range(group, kind, Some(idx))?;
                }
                Token::Kw(K::Allow) | Token::Kw(K::Deny) => {
                    self.skip_token()?;
                    let allow = t == Token::Kw(K::Allow);
                    let p = &self.config.pools[idx];
                    let has_after = p.valid_from.is_some_and(|t| t != 0) || p.valid_until.is_some_and(|t| t != 0);
                    if let Some(permit) = self.get_permit(has_after)? {
                        let p = &mut self.config.pools[idx];
                        if let Permit::After(t) = permit {
                            if allow {
                                p.valid_from = Some(t);
                            } else {
                                p.valid_until = Some(t);
                            }
                        }
                        if allow {
                            p.permits.push(permit);
                        } else {
                            p.prohibits.push(permit);
                        }
                    }
                }
                Token::Punct(b'}') => {
                    self.skip_token()?;
                    complete = true;
                    break;
                }
                Token::Eof => {
                    self.parse_warn("unexpected end of file");
                    break;
                }
                _ => {
                    declaration = self.parse_statement(pgroup, ScopeKind::Pool, None, declaration)?;
                }
            }
        }
        self.leave();
        if !complete {
            return Ok(());
        }
        pool = self.config.pools[idx].clone();
        let merge_with = self.config.shared_networks[share].pools.iter().copied().find(|&pp| {
            let other = &self.config.pools[pp];
            self.config.groups[other.group].statements.is_empty()
                && self.config.groups[pool.group].statements.is_empty()
                && other.failover_peer == pool.failover_peer
                && same_permits(&other.permits, &pool.permits)
                && same_permits(&other.prohibits, &pool.prohibits)
        });
        match merge_with {
            Some(pp) => self.config.pools[idx].merged_into = Some(pp),
            None => self.config.shared_networks[share].pools.push(idx),
        }
        if addresses == 0 {
            self.parse_warn("Pool declaration with no address range.");
            self.log_error("Pool declarations must always contain at least");
            self.log_error("one range statement.");
        }
        Ok(())
    }

    /// `range [dynamic-bootp] LOW [HIGH];` after the `range` keyword (ISC
    /// `parse_address_range` and `new_address_range`). `group`/`kind` are
    /// the subnet or shared network the range (or its pool) is declared in.
    /// Returns how many addresses it declared.
    pub(crate) fn parse_address_range(&mut self, group: GroupId, kind: ScopeKind, in_pool: Option<usize>) -> PResult<u64> {
        let dynamic = self.peek_token()? == Token::Kw(K::DynamicBootp);
        if dynamic {
            self.skip_token()?;
        }
        let Some(low) = self.parse_ipv4_aggregate()? else {
            return Ok(0);
        };
        let high = if self.peek_token()?.is(b';') {
            low
        } else {
            match self.parse_ipv4_aggregate()? {
                Some(h) => h,
                None => return Ok(0),
            }
        };
        if !self.next_token()?.is(b';') {
            self.parse_warn("semicolon expected.");
            self.skip_to_semi()?;
            return Ok(0);
        }
        let (subnet, share) = if kind == ScopeKind::Subnet {
            let Some(s) = self.config.groups[group].subnet else {
                return Ok(0);
            };
            (s, self.config.subnets[s].shared_network)
        } else {
            let Some(share) = self.config.groups[group].shared_network else {
                return Ok(0);
            };
            let found = self.config.shared_networks[share].subnets.iter().copied().find(|&s| {
                let sub = &self.config.subnets[s];
                u32::from(low) & u32::from(sub.netmask) == u32::from(sub.net)
            });
            match found {
                Some(s) => (s, share),
                None => {
                    let name = self.config.shared_networks[share].name.clone();
                    self.parse_warn(format!("address range not on network {}", name));
                    self.log_error("Be sure to place pool statement after related subnet declarations.");
                    return Ok(0);
                }
            }
        };
        let pool = match in_pool {
            Some(p) => p,
            None => self.range_pool(share, dynamic),
        };
        if dynamic && self.config.pools[pool].failover_peer.is_some() {
            self.parse_warn("dynamic-bootp flag is not permitted for address");
            for line in DYNAMIC_BOOTP_FAILOVER_TEXT {
                self.log_error(*line);
            }
        }
        let count = self.new_address_range(low, high, subnet)?;
        self.config.pools[pool].ranges.push(Range { low, high, dynamic_bootp: dynamic, subnet });
        Ok(count)
    }

    /// The pool ISC gives a range declared outside any pool: one whose only
    /// permit matches the range's kind, made if there is none. ISC then
    /// takes the pool *before* the one it found (the first if it was first).
    fn range_pool(&mut self, share: usize, dynamic: bool) -> usize {
        let pools = &self.config.shared_networks[share].pools;
        let mut last = None;
        let mut found = None;
        for &p in pools {
            let pool = &self.config.pools[p];
            let fits = if dynamic {
                pool.prohibits.is_empty() && pool.permits == [Permit::AllClients]
            } else {
                pool.permits.is_empty() && pool.prohibits == [Permit::DynamicBootpClients]
            };
            if fits {
                found = Some(p);
                break;
            }
            last = Some(p);
        }
        if found.is_some() {
            return last.unwrap_or(pools[0]);
        }
        let share_group = self.config.shared_networks[share].group;
        let group = self.clone_group(share_group, ScopeKind::Pool);
        let (permits, prohibits) = if dynamic {
            (vec![Permit::AllClients], Vec::new())
        } else {
            (Vec::new(), vec![Permit::DynamicBootpClients])
        };
        let idx = self.config.pools.len();
        self.config.pools.push(Pool {
            shared_network: share,
            group,
            permits,
            prohibits,
            valid_from: None,
            valid_until: None,
            failover_peer: None,
            ranges: Vec::new(),
            implicit: true,
            merged_into: None,
        });
        self.config.shared_networks[share].pools.push(idx);
        idx
    }

    /// Declares the addresses of a range (ISC `new_address_range`): both
    /// ends must lie in the subnet (fatal otherwise), and each address
    /// already declared is reported. Returns the number of addresses.
    fn new_address_range(&mut self, low: Ipv4Addr, high: Ipv4Addr, subnet: usize) -> PResult<u64> {
        let (net, mask) = {
            let s = &self.config.subnets[subnet];
            (u32::from(s.net), u32::from(s.netmask))
        };
        for end in [low, high] {
            if u32::from(end) & mask != net {
                return Err(Fatal(format!(
                    "bad range, address {} not in subnet {} netmask {}",
                    end,
                    Ipv4Addr::from(net),
                    Ipv4Addr::from(mask)
                )));
            }
        }
        let (mut min, mut max) = (u32::from(low) & !mask, u32::from(high) & !mask);
        if min > max {
            std::mem::swap(&mut min, &mut max);
        }
        // ISC counts in 32 bits: a range over all of 0.0.0.0/0 wraps to none.
        let count = u64::from(max.wrapping_sub(min).wrapping_add(1));
        if count == 0 {
            return Ok(0);
        }
        let mut reported = 0u64;
        if is_contiguous(mask) {
            let (first, last) = (net | min, net | max);
            for dup in overlaps(&self.decl.leased, first, last) {
                for a in dup.0..=dup.1 {
                    if reported == MAX_DUPLICATE_REPORTS {
                        break;
                    }
                    reported += 1;
                    self.parse_warn(format!("lease {} is declared twice!", Ipv4Addr::from(a)));
                }
            }
            insert_interval(&mut self.decl.leased, first, last);
        } else {
            for h in min..=max {
                let addr = match ip_addr(net, mask, h) {
                    Some(a) => a,
                    None => continue,
                };
                if !overlaps(&self.decl.leased, addr, addr).is_empty() {
                    if reported < MAX_DUPLICATE_REPORTS {
                        reported += 1;
                        self.parse_warn(format!("lease {} is declared twice!", Ipv4Addr::from(addr)));
                    }
                } else {
                    insert_interval(&mut self.decl.leased, addr, addr);
                }
            }
        }
        Ok(count)
    }
}

/// ISC's explanation after "dynamic-bootp flag is not permitted for address".
const DYNAMIC_BOOTP_FAILOVER_TEXT: &[&str] = &[
    "range declarations where there is a failover",
    "peer in scope.   If you wish to declare an",
    "address range from which dynamic bootp leases",
    "can be allocated, please declare it within a",
    "pool declaration that also contains the \"no",
    "failover\" statement.   The failover protocol",
    "itself does not permit dynamic bootp - this",
    "is not a limitation specific to the ISC DHCP",
    "server.   Please don't ask me to defend this",
    "until you have read and really tried to understand",
    "the failover protocol specification.",
];

/// Permit lists match when each entry of either appears in the other (ISC
/// `permit_list_match` both ways; `after` times are not compared).
fn same_permits(a: &[Permit], b: &[Permit]) -> bool {
    fn same_kind(x: &Permit, y: &Permit) -> bool {
        match (x, y) {
            (Permit::Class(c), Permit::Class(d)) => c == d,
            (Permit::After(_), Permit::After(_)) => true,
            _ => x == y,
        }
    }
    a.iter().all(|x| b.iter().any(|y| same_kind(x, y))) && b.iter().all(|y| a.iter().any(|x| same_kind(x, y)))
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

/// Whether a netmask is ones followed by zeros.
fn is_contiguous(mask: u32) -> bool {
    mask.leading_ones() + mask.trailing_zeros() == 32
}

/// ISC `ip_addr`: puts host number `host` into the network, byte by byte
/// from the low end; `None` when it does not fit the mask.
fn ip_addr(net: u32, mask: u32, host: u32) -> Option<u32> {
    let h = host.to_be_bytes();
    let m = mask.to_be_bytes();
    let mut rv = net.to_be_bytes();
    for i in (0..4).rev() {
        if m[i] != 0 {
            if h[i] > (m[i] ^ 0xff) || h[..i].iter().any(|&b| b != 0) {
                return None;
            }
            rv[i] |= h[i];
            break;
        }
        rv[i] = h[i];
    }
    Some(u32::from_be_bytes(rv))
}

/// The parts of `[first, last]` already covered by `set` (sorted, disjoint).
fn overlaps(set: &[(u32, u32)], first: u32, last: u32) -> Vec<(u32, u32)> {
    let start = set.partition_point(|&(_, hi)| hi < first);
    set[start..]
        .iter()
        .take_while(|&&(lo, _)| lo <= last)
        .map(|&(lo, hi)| (lo.max(first), hi.min(last)))
        .collect()
}

/// Adds `[first, last]` to a sorted set of disjoint intervals, merging.
fn insert_interval(set: &mut Vec<(u32, u32)>, first: u32, last: u32) {
    let start = set.partition_point(|&(_, hi)| hi.saturating_add(1) < first);
    let mut end = start;
    let (mut lo, mut hi) = (first, last);
    while end < set.len() && set[end].0 <= last.saturating_add(1) {
        lo = lo.min(set[end].0);
        hi = hi.max(set[end].1);
        end += 1;
    }
    set.splice(start..end, [(lo, hi)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_merge_and_report_overlaps() {
        let mut s = Vec::new();
        insert_interval(&mut s, 10, 50);
        assert_eq!(overlaps(&s, 40, 90), vec![(40, 50)]);
        insert_interval(&mut s, 40, 90);
        assert_eq!(s, vec![(10, 90)]);
        insert_interval(&mut s, 92, 95);
        insert_interval(&mut s, 91, 91);
        assert_eq!(s, vec![(10, 95)]);
        insert_interval(&mut s, 0, 2);
        assert_eq!(s, vec![(0, 2), (10, 95)]);
        assert_eq!(overlaps(&s, 1, 20), vec![(1, 2), (10, 20)]);
        insert_interval(&mut s, u32::MAX, u32::MAX);
        assert_eq!(s.last(), Some(&(u32::MAX, u32::MAX)));
    }

    #[test]
    fn isc_prefix_arithmetic() {
        assert_eq!(mask_width(Ipv4Addr::new(255, 255, 255, 0)), 24);
        assert_eq!(mask_width(Ipv4Addr::new(0, 0, 0, 0)), 0);
        assert_eq!(32 - host_bits(0), -26);
        assert_eq!(32 - host_bits(0xffff_ffff), 32);
        assert_eq!(ip_addr(0x0a00_0000, 0xffff_ff00, 5), Some(0x0a00_0005));
        assert_eq!(ip_addr(0x0a00_0000, 0xffff_ff00, 256), None);
    }
}
