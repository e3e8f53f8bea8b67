//! Pools and address ranges: `pool { ... }` with its permit lists and
//! failover peer, and `range [dynamic-bootp] LOW [HIGH];` inside a subnet
//! or a pool.
//!
//! A range outside its subnet ends the run, a range too large for ISC's
//! lease array too, and every address declared twice is reported once per
//! address. ISC attaches a range written outside any pool to a pool it
//! finds or makes for it; we keep the same pools, including its choice of
//! the pool *before* the matching one, which decides where the failover
//! check on dynamic-bootp ranges bites.

use std::net::Ipv4Addr;

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{GroupId, Permit, Pool, Range, ScopeKind};
use super::super::parser::{Fatal, PResult, Parser};
use super::failover::PoolPeerRef;

/// At most this many "declared twice" messages per range: ISC prints one per
/// address, which for a large overlap would be millions of lines.
const MAX_DUPLICATE_REPORTS: u64 = 1 << 16;

/// The size of ISC's `struct lease` on 64-bit builds, which decides when a
/// range is "overly large" (ISC's own comment: at 14,128,181 addresses).
const LEASE_STRUCT_SIZE: u64 = 304;

/// At most this many host numbers of one range are looked at under a
/// netmask with holes (ISC would allocate a lease for each).
const MAX_HOLEY_RANGE: usize = 1 << 24;

impl Parser<'_> {
    /// `pool { ... }` in a subnet or shared network (ISC `parse_pool_statement`).
    pub(crate) fn parse_pool_statement(&mut self, group: GroupId, kind: ScopeKind) -> PResult<()> {
        let share = match kind {
            ScopeKind::Subnet => self.config.groups[group]
                .subnet
                .map(|s| self.config.subnets[s].shared_network),
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
    pub(crate) fn parse_address_range(
        &mut self,
        group: GroupId,
        kind: ScopeKind,
        in_pool: Option<usize>,
    ) -> PResult<u64> {
        let dynamic = self.peek_token()? == Token::Kw(K::DynamicBootp);
        if dynamic {
            self.skip_token()?;
        }
        let mut buf = [0u8; 4];
        let Some(low) = self.parse_ipv4_aggregate(&mut buf)? else {
            return Ok(0);
        };
        let high = if self.peek_token()?.is(b';') {
            low
        } else {
            match self.parse_ipv4_aggregate(&mut buf)? {
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
        self.config.pools[pool].ranges.push(Range {
            low,
            high,
            dynamic_bootp: dynamic,
            subnet,
        });
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
        let num = max.wrapping_sub(min).wrapping_add(1);
        // ISC allocates the range's leases as one array; a size that does
        // not fit its 32-bit byte count is refused, one that does but is
        // too big for memory fails the allocation.
        let bytes = u64::from(num.wrapping_add(1)) * LEASE_STRUCT_SIZE;
        if bytes > u64::from(u32::MAX) {
            self.parse_warn(format!("{}-{} is an overly large address range.", low, high));
            return Err(Fatal("Memory overflow.".into()));
        }
        if u64::from(num) * LEASE_STRUCT_SIZE > u64::from(u32::MAX) {
            return Err(Fatal(format!("No memory for address range {}-{}.", low, high)));
        }
        let count = u64::from(num);
        if count == 0 {
            return Ok(0);
        }
        // The range's addresses as runs of consecutive hash keys. Under a
        // netmask with holes a host number may not fit; ISC then files the
        // lease under a half-built address and prints it as empty.
        let mut runs: Vec<(u32, u32, bool)> = Vec::new();
        if is_contiguous(mask) {
            runs.push((net | min, net | max, true));
        } else {
            for h in (min..=max).take(MAX_HOLEY_RANGE) {
                let (key, fits) = match ip_addr(net, mask, h) {
                    Ok(a) => (a, true),
                    Err(partial) => (partial, false),
                };
                match runs.last_mut() {
                    Some(run) if run.2 && fits && run.1.checked_add(1) == Some(key) => run.1 = key,
                    _ => runs.push((key, key, fits)),
                }
            }
        }
        let mut reported = 0u64;
        for (first, last, fits) in runs {
            for dup in overlaps(&self.decl.leased, first, last) {
                for a in dup.0..=dup.1 {
                    if reported == MAX_DUPLICATE_REPORTS {
                        break;
                    }
                    reported += 1;
                    let shown = if fits {
                        Ipv4Addr::from(a).to_string()
                    } else {
                        "<null address>".to_string()
                    };
                    self.parse_warn(format!("lease {} is declared twice!", shown));
                }
            }
            insert_interval(&mut self.decl.leased, first, last);
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

/// Whether a netmask is ones followed by zeros.
fn is_contiguous(mask: u32) -> bool {
    mask.leading_ones() + mask.trailing_zeros() == 32
}

/// ISC `ip_addr`: puts host number `host` into the network, byte by byte
/// from the low end. When it does not fit the mask, `Err` carries the
/// address as far as ISC had built it (ISC's hash still keys on it).
fn ip_addr(net: u32, mask: u32, host: u32) -> Result<u32, u32> {
    let h = host.to_be_bytes();
    let m = mask.to_be_bytes();
    let mut rv = net.to_be_bytes();
    for i in (0..4).rev() {
        if m[i] != 0 {
            if h[i] > (m[i] ^ 0xff) || h[..i].iter().any(|&b| b != 0) {
                return Err(u32::from_be_bytes(rv));
            }
            rv[i] |= h[i];
            break;
        }
        rv[i] = h[i];
    }
    Ok(u32::from_be_bytes(rv))
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
    fn host_numbers_placed_like_isc() {
        assert_eq!(ip_addr(0x0a00_0000, 0xffff_ff00, 5), Ok(0x0a00_0005));
        assert_eq!(ip_addr(0x0a00_0000, 0xffff_ff00, 256), Err(0x0a00_0000));
        assert_eq!(ip_addr(0x0a00_0000, 0xff00_ff00, 0x0105), Err(0x0a00_0005));
        assert!(is_contiguous(0xffff_ff00) && is_contiguous(0) && !is_contiguous(0xff00_ff00));
    }
}
