//! Where a packet comes from and which scopes apply to it.
//!
//! * Subnet lookup in ISC's list order (`enter_subnet`: a narrower subnet
//!   declared after an overlapping wider one goes first; otherwise the
//!   most recently declared subnet comes first), and within a shared
//!   network in its sibling order (`find_grouped_subnet`).
//! * Network selection (ISC `locate_network`): relay-agent link selection
//!   (82.5), else subnet selection (118), else — without giaddr — the
//!   receiving interface's shared network, else giaddr's subnet.
//! * Scope chains (ISC `execute_statements_in_scope`): a group's
//!   statements run after those of every enclosing group, stopping at a
//!   limiting group and its ancestors. ISC's tree differs from the parsed
//!   model in two places, both kept here: a host that names a `group`
//!   hangs under that group, and a lone subnet's implicit shared network
//!   has a scope of its own (empty) between the subnet and its parent, so
//!   pools hang beside the subnet rather than under it.

use std::net::Ipv4Addr;

use crate::conf::model::{Config, GroupId, ScopeKind};

/// A scope node: a configuration group or the virtual scope of an
/// implicit shared network.
pub type Node = usize;

/// ISC `subnet_inner_than(subnet, scan)`: the two overlap and `subnet`'s
/// mask is longer.
fn inner_than(config: &Config, subnet: usize, scan: usize) -> bool {
    let (a, b) = (&config.subnets[subnet], &config.subnets[scan]);
    let (an, am, bn, bm) = (u32::from(a.net), u32::from(a.netmask), u32::from(b.net), u32::from(b.netmask));
    if an & bm != bn && bn & am != an {
        return false;
    }
    // Lowest set bit of each mask: a higher one means a longer mask.
    let i = if am == 0 { 32 } else { am.trailing_zeros() };
    let j = if bm == 0 { 32 } else { bm.trailing_zeros() };
    i < j
}

/// The scope tree and subnet tables of a configuration.
#[derive(Clone, Debug)]
pub struct Scopes {
    /// Parent of each node (`None` at the root).
    parent: Vec<Option<Node>>,
    /// Number of real groups; nodes from here on are virtual.
    groups: usize,
    /// All subnets in ISC's global list order.
    subnet_order: Vec<usize>,
    /// Each shared network's subnets in ISC's sibling order.
    sibling_order: Vec<Vec<usize>>,
}

impl Scopes {
    /// Builds the tables for `config`.
    pub fn new(config: &Config) -> Scopes {
        let groups = config.groups.len();
        let mut parent: Vec<Option<Node>> = config.groups.iter().map(|g| g.parent).collect();
        for h in &config.hosts {
            // A host made at run time may use its named group's scope as its
            // own; that scope's parent stays where it is.
            if let Some(ng) = h.named_group.filter(|&ng| config.named_groups[ng].group != h.group) {
                parent[h.group] = Some(config.named_groups[ng].group);
            }
        }
        for sn in config.shared_networks.iter().filter(|sn| sn.implicit) {
            let g = sn.group;
            let virt = parent.len();
            parent.push(config.groups[g].parent);
            parent[g] = Some(virt);
            for (i, grp) in config.groups.iter().enumerate() {
                if grp.kind == ScopeKind::Pool && grp.parent == Some(g) {
                    parent[i] = Some(virt);
                }
            }
        }
        let mut subnet_order: Vec<usize> = Vec::new();
        for s in 0..config.subnets.len() {
            match subnet_order.iter().position(|&scan| inner_than(config, s, scan)) {
                Some(at) => subnet_order.insert(at, s),
                None => subnet_order.insert(0, s),
            }
        }
        let mut sibling_order = vec![Vec::new(); config.shared_networks.len()];
        for s in 0..config.subnets.len() {
            let list: &mut Vec<usize> = &mut sibling_order[config.subnets[s].shared_network];
            // ISC never compares with the last sibling.
            let last = list.len().saturating_sub(1);
            match list[..last].iter().position(|&t| inner_than(config, s, t)) {
                Some(at) => list.insert(at, s),
                None => list.push(s),
            }
        }
        Scopes { parent, groups, subnet_order, sibling_order }
    }

    /// The subnet containing `ip` (ISC `find_subnet`).
    pub fn find_subnet(&self, config: &Config, ip: Ipv4Addr) -> Option<usize> {
        let a = u32::from(ip);
        self.subnet_order.iter().copied().find(|&s| {
            let sub = &config.subnets[s];
            a & u32::from(sub.netmask) == u32::from(sub.net)
        })
    }

    /// The subnet of shared network `share` containing `ip` (ISC
    /// `find_grouped_subnet`).
    pub fn find_grouped_subnet(&self, config: &Config, share: usize, ip: Ipv4Addr) -> Option<usize> {
        let a = u32::from(ip);
        self.sibling_order.get(share)?.iter().copied().find(|&s| {
            let sub = &config.subnets[s];
            a & u32::from(sub.netmask) == u32::from(sub.net)
        })
    }

    /// The first subnet of a shared network in ISC's sibling order
    /// (`share->subnets`).
    pub fn first_subnet(&self, share: usize) -> Option<usize> {
        self.sibling_order.get(share)?.first().copied()
    }

    /// The shared network an interface with these addresses is attached
    /// to (ISC `dhcpd_interface_setup_hook`: the first address inside a
    /// declared subnet decides).
    pub fn interface_network(&self, config: &Config, addresses: &[Ipv4Addr]) -> Option<usize> {
        addresses
            .iter()
            .find_map(|&a| self.find_subnet(config, a))
            .map(|s| config.subnets[s].shared_network)
    }

    /// The groups whose statements `execute_statements_in_scope(group,
    /// limit)` runs, outermost first: `group` and its ancestors up to, not
    /// including, `limit` or any ancestor of `limit`.
    pub fn chain(&self, group: GroupId, limit: Option<GroupId>) -> Vec<GroupId> {
        let mut stop = Vec::new();
        let mut l = limit;
        while let Some(n) = l {
            stop.push(n);
            l = self.parent[n];
        }
        let mut out = Vec::new();
        let mut g = Some(group);
        while let Some(n) = g {
            if stop.contains(&n) {
                break;
            }
            if n < self.groups {
                out.push(n);
            }
            g = self.parent[n];
        }
        out.reverse();
        out
    }

    /// The scope node ISC uses as a shared network's group: the virtual
    /// one for an implicit shared network.
    pub fn shared_network_node(&self, config: &Config, share: usize) -> Node {
        let g = config.shared_networks[share].group;
        match self.parent[g] {
            Some(p) if p >= self.groups && config.shared_networks[share].implicit => p,
            _ => g,
        }
    }

    /// A subnet's `authoritative` flag (ISC `subnet->group->authoritative`).
    pub fn subnet_authoritative(config: &Config, subnet: usize) -> bool {
        config.groups[config.subnets[subnet].group].is_authoritative()
    }

    /// A shared network's `authoritative` flag.
    pub fn shared_network_authoritative(config: &Config, share: usize) -> bool {
        config.groups[config.shared_networks[share].group].is_authoritative()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::model::{Group, SharedNetwork, Subnet};

    fn net(config: &mut Config, net: [u8; 4], mask: [u8; 4]) -> usize {
        let g = config.add_group(Group::new(ScopeKind::SharedNetwork, Some(Config::ROOT)));
        config.shared_networks.push(SharedNetwork {
            name: format!("{:?}", net),
            implicit: true,
            group: g,
            subnets: vec![config.subnets.len()],
            pools: vec![],
            listed: true,
            interface: None,
        });
        config.subnets.push(Subnet {
            net: Ipv4Addr::from(net),
            netmask: Ipv4Addr::from(mask),
            group: g,
            shared_network: config.shared_networks.len() - 1,
        });
        config.subnets.len() - 1
    }

    #[test]
    fn wider_subnet_declared_later_wins_like_isc() {
        let mut c = Config::default();
        let narrow = net(&mut c, [10, 0, 0, 0], [255, 255, 255, 0]);
        let wide = net(&mut c, [10, 0, 0, 0], [255, 255, 0, 0]);
        let s = Scopes::new(&c);
        // ISC puts the later, wider subnet at the head of its list.
        assert_eq!(s.find_subnet(&c, Ipv4Addr::new(10, 0, 0, 5)), Some(wide));
        let mut c2 = Config::default();
        let wide2 = net(&mut c2, [10, 0, 0, 0], [255, 255, 0, 0]);
        let narrow2 = net(&mut c2, [10, 0, 0, 0], [255, 255, 255, 0]);
        let s2 = Scopes::new(&c2);
        assert_eq!(s2.find_subnet(&c2, Ipv4Addr::new(10, 0, 0, 5)), Some(narrow2));
        assert_eq!(s2.find_subnet(&c2, Ipv4Addr::new(10, 0, 1, 5)), Some(wide2));
        let _ = narrow;
    }

    #[test]
    fn pools_of_a_lone_subnet_hang_beside_it() {
        let mut c = Config::default();
        net(&mut c, [10, 0, 0, 0], [255, 255, 255, 0]);
        let subnet_group = c.subnets[0].group;
        let pool = c.add_group(Group::new(ScopeKind::Pool, Some(subnet_group)));
        let host = c.add_group(Group::new(ScopeKind::Host, Some(subnet_group)));
        let s = Scopes::new(&c);
        assert_eq!(s.chain(pool, None), vec![Config::ROOT, pool], "the subnet is not the pool's parent");
        // A host in the subnet re-runs the subnet after the pool (ISC).
        assert_eq!(s.chain(host, Some(pool)), vec![subnet_group, host]);
        assert_eq!(s.chain(subnet_group, None), vec![Config::ROOT, subnet_group]);
    }

    #[test]
    fn interface_takes_first_matching_address() {
        let mut c = Config::default();
        net(&mut c, [10, 0, 0, 0], [255, 255, 255, 0]);
        let s = Scopes::new(&c);
        assert_eq!(s.interface_network(&c, &[Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(10, 0, 0, 1)]), Some(0));
        assert_eq!(s.interface_network(&c, &[Ipv4Addr::new(192, 0, 2, 1)]), None);
    }
}
