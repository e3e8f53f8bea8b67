/*!
Which interfaces the server listens on, decided as ISC's `discover_interfaces` decides it.

Two halves. [`scan`] is the only part that asks the system: `getifaddrs(3)`, one entry per
address, as ISC's `next_iface` reads it. [`select`] is pure: it replays ISC's walk over those
entries against the configuration and returns what ISC would log and register, in ISC's
order, so the rules are tested on made-up interface lists and checked against the real
ISC in a network namespace (`tests/io_netns.rs`).

ISC's rules, as `common/discover.c` and `server/dhcpd.c` apply them (checked on 4.4.3):

* An interface is considered if it is up and either broadcast-capable (and neither loopback
  nor point-to-point) or named on the command line. With names on the command line only
  those are served; the others are still scanned (their addresses can trigger the "Multiple
  interfaces" lines) and then silently dropped.
* Each IPv4 address is matched with `find_subnet`: the subnet declared *last* that contains it
  (ISC's subnet list is in reverse declaration order). Its shared network becomes the
  interface's; a second, different one is fatal. A subnet or shared network matched by two
  interfaces is logged.
* ISC keeps its interface list newest-first: the interfaces named on the command line in
  reverse order, with each newly discovered one put in front. Interfaces are registered
  (or reported with the `No subnet declaration` block) in that order.
* An interface without a shared network is not served; if none is left, the start fails
  with `Not configured to listen on any interfaces!`.
*/

use std::io;
use std::net::Ipv4Addr;

use nix::net::if_::InterfaceFlags;

use super::syslog::Level;
use crate::conf::model::Config;

/// The flags ISC looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `IFF_UP`.
    pub up: bool,
    /// `IFF_BROADCAST`.
    pub broadcast: bool,
    /// `IFF_LOOPBACK`.
    pub loopback: bool,
    /// `IFF_POINTOPOINT`.
    pub point_to_point: bool,
}

/// The link-layer facts of an interface (its `AF_PACKET` entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// Interface index.
    pub ifindex: u32,
    /// `ARPHRD_*` hardware type (1 = Ethernet).
    pub hatype: u16,
    /// The hardware address, when it is 6 bytes long.
    pub mac: Option<[u8; 6]>,
}

/// The address part of one `getifaddrs` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanAddr {
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// The link entry.
    Link(Link),
    /// No address, or one of another family.
    Other,
}

/// One `getifaddrs` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanEntry {
    /// Interface name.
    pub name: String,
    /// Its flags.
    pub flags: Flags,
    /// The address.
    pub addr: ScanAddr,
}

/// Reads the system's interfaces (`getifaddrs`), in the kernel's order.
pub fn scan() -> io::Result<Vec<ScanEntry>> {
    let list = nix::ifaddrs::getifaddrs().map_err(io::Error::from)?;
    Ok(list
        .map(|ifa| {
            let f = ifa.flags;
            let flags = Flags {
                up: f.contains(InterfaceFlags::IFF_UP),
                broadcast: f.contains(InterfaceFlags::IFF_BROADCAST),
                loopback: f.contains(InterfaceFlags::IFF_LOOPBACK),
                point_to_point: f.contains(InterfaceFlags::IFF_POINTOPOINT),
            };
            let addr = match ifa.address {
                Some(a) => {
                    if let Some(sin) = a.as_sockaddr_in() {
                        ScanAddr::V4(sin.ip())
                    } else if let Some(ll) = a.as_link_addr() {
                        let mac = if ll.halen() == 6 { ll.addr() } else { None };
                        ScanAddr::Link(Link {
                            ifindex: ll.ifindex() as u32,
                            hatype: ll.hatype(),
                            mac,
                        })
                    } else {
                        ScanAddr::Other
                    }
                }
                None => ScanAddr::Other,
            };
            ScanEntry {
                name: ifa.interface_name,
                flags,
                addr,
            }
        })
        .collect())
}

/// An interface the server will listen on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    /// Its name.
    pub name: String,
    /// Its link entry, when the scan had one.
    pub link: Option<Link>,
    /// Its IPv4 addresses in scan order; the first is the default server identifier.
    pub addresses: Vec<Ipv4Addr>,
    /// The shared network it is attached to (index into `Config::shared_networks`).
    pub shared_network: usize,
}

/// One step of ISC's start-up, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A line to log.
    Log(Level, String),
    /// Open the packet socket on this interface, then log [`listening_lines`].
    Listen(Chosen),
    /// Stop: ISC's fatal message.
    Fatal(String),
}

/// The lines ISC logs once an interface's packet socket is open.
pub fn listening_lines(name: &str, mac: &[u8; 6], network: &str) -> [String; 2] {
    let mac = mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
    [
        format!("Listening on LPF/{name}/{mac}/{network}"),
        format!("Sending on   LPF/{name}/{mac}/{network}"),
    ]
}

/// ISC's block for an interface without a subnet declaration.
pub fn no_subnet_lines(name: &str, first_address: Option<Ipv4Addr>) -> Vec<String> {
    let addr = first_address.map_or_else(|| "no IPv4 addresses".to_string(), |a| a.to_string());
    vec![
        String::new(),
        format!("No subnet declaration for {name} ({addr})."),
        format!("** Ignoring requests on {name}.  If this is not what"),
        "   you want, please write a subnet declaration".to_string(),
        "   in your dhcpd.conf file for the network segment".to_string(),
        format!("   to which interface {name} is attached. **"),
        String::new(),
    ]
}

/// The fatal message when no interface is left.
pub const NOT_CONFIGURED: &str = "Not configured to listen on any interfaces!";

/// The subnet ISC's `find_subnet` returns for `addr`: the last declared that contains it.
pub fn find_subnet(config: &Config, addr: Ipv4Addr) -> Option<usize> {
    let a = u32::from(addr);
    config
        .subnets
        .iter()
        .enumerate()
        .rev()
        .find(|(_, s)| a & u32::from(s.netmask) == u32::from(s.net))
        .map(|(i, _)| i)
}

struct Iface {
    name: String,
    requested: bool,
    link: Option<Link>,
    addresses: Vec<Ipv4Addr>,
    shared_network: Option<usize>,
}

/// ISC's interface discovery over `entries` for a server given `requested` names on its
/// command line; see the module doc.
pub fn select(requested: &[String], entries: &[ScanEntry], config: &Config) -> Vec<Step> {
    let mut steps = Vec::new();
    // Newest first, as ISC's list: the named ones are entered in argument order, each in front.
    let mut list: Vec<Iface> = requested
        .iter()
        .rev()
        .map(|n| Iface {
            name: n.clone(),
            requested: true,
            link: None,
            addresses: Vec::new(),
            shared_network: None,
        })
        .collect();
    let auto_requested = requested.is_empty();
    let mut subnet_iface: Vec<Option<String>> = vec![None; config.subnets.len()];
    let mut share_iface: Vec<Option<String>> = vec![None; config.shared_networks.len()];

    for e in entries {
        let known = list.iter().position(|i| i.name == e.name);
        let unsuitable = !e.flags.broadcast || e.flags.loopback || e.flags.point_to_point;
        if (unsuitable && known.is_none()) || !e.flags.up {
            continue;
        }
        let at = match known {
            Some(at) => at,
            None => {
                let new = Iface {
                    name: e.name.clone(),
                    requested: auto_requested,
                    link: None,
                    addresses: Vec::new(),
                    shared_network: None,
                };
                list.insert(0, new);
                0
            }
        };
        let iface = &mut list[at];
        match e.addr {
            ScanAddr::Link(link) => iface.link = Some(link),
            ScanAddr::V4(addr) => {
                iface.addresses.push(addr);
                let Some(subnet) = find_subnet(config, addr) else {
                    continue;
                };
                match &subnet_iface[subnet] {
                    None => subnet_iface[subnet] = Some(iface.name.clone()),
                    Some(other) if *other != iface.name => steps.push(Step::Log(
                        Level::Error,
                        format!("Multiple interfaces match the same subnet: {other} {}", iface.name),
                    )),
                    Some(_) => {}
                }
                let share = config.subnets[subnet].shared_network;
                match iface.shared_network {
                    Some(s) if s != share => {
                        steps.push(Step::Fatal(format!(
                            "Interface {} matches multiple shared networks",
                            iface.name
                        )));
                        return steps;
                    }
                    Some(_) => {}
                    None => iface.shared_network = Some(share),
                }
                match &share_iface[share] {
                    None => share_iface[share] = Some(iface.name.clone()),
                    Some(other) if *other != iface.name => steps.push(Step::Log(
                        Level::Error,
                        format!(
                            "Multiple interfaces match the same shared network: {other} {}",
                            iface.name
                        ),
                    )),
                    Some(_) => {}
                }
            }
            ScanAddr::Other => {}
        }
    }

    let mut listening = 0;
    for iface in list.into_iter().filter(|i| i.requested) {
        match iface.shared_network {
            None => {
                for line in no_subnet_lines(&iface.name, iface.addresses.first().copied()) {
                    steps.push(Step::Log(Level::Error, line));
                }
            }
            Some(shared_network) => {
                listening += 1;
                steps.push(Step::Listen(Chosen {
                    name: iface.name,
                    link: iface.link,
                    addresses: iface.addresses,
                    shared_network,
                }));
            }
        }
    }
    if listening == 0 {
        steps.push(Step::Log(Level::Info, String::new()));
        steps.push(Step::Fatal(NOT_CONFIGURED.to_string()));
    }
    steps
}

/// ISC's fatal message for an interface whose hardware it cannot frame for.
pub fn unsupported_device(hatype: u16, name: &str) -> String {
    format!("Unsupported device type {hatype} for \"{name}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::parser::MemLoader;

    fn config(text: &str) -> Config {
        let loader = MemLoader(vec![("t.conf".into(), text.as_bytes().to_vec())]);
        let out = crate::conf::check_config("t.conf", &loader);
        assert!(out.ok(), "{:?}", out.fatal);
        out.config.unwrap()
    }

    const ETH: Flags = Flags {
        up: true,
        broadcast: true,
        loopback: false,
        point_to_point: false,
    };

    fn link(name: &str, ifindex: u32) -> ScanEntry {
        ScanEntry {
            name: name.into(),
            flags: ETH,
            addr: ScanAddr::Link(Link {
                ifindex,
                hatype: 1,
                mac: Some([2, 0, 0, 0, 0, ifindex as u8]),
            }),
        }
    }

    fn v4(name: &str, a: [u8; 4]) -> ScanEntry {
        ScanEntry {
            name: name.into(),
            flags: ETH,
            addr: ScanAddr::V4(Ipv4Addr::from(a)),
        }
    }

    fn names(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match s {
                Step::Log(_, l) => l.clone(),
                Step::Listen(c) => format!("LISTEN {}", c.name),
                Step::Fatal(m) => format!("FATAL {m}"),
            })
            .filter(|l| !l.is_empty())
            .collect()
    }

    const TWO: &str = "subnet 10.1.0.0 netmask 255.255.255.0 {}\nsubnet 10.2.0.0 netmask 255.255.255.0 {}\n";

    #[test]
    fn every_broadcast_interface_newest_first() {
        let c = config(TWO);
        let e = vec![
            link("a", 2),
            link("b", 3),
            link("c", 4),
            v4("a", [10, 1, 0, 1]),
            v4("c", [10, 2, 0, 1]),
        ];
        let steps = select(&[], &e, &c);
        assert_eq!(
            names(&steps),
            [
                "LISTEN c".to_string(),
                "No subnet declaration for b (no IPv4 addresses).".into(),
                "** Ignoring requests on b.  If this is not what".into(),
                "   you want, please write a subnet declaration".into(),
                "   in your dhcpd.conf file for the network segment".into(),
                "   to which interface b is attached. **".into(),
                "LISTEN a".into(),
            ]
        );
        let Step::Listen(a) = &steps.last().unwrap() else {
            panic!()
        };
        assert_eq!(a.addresses, [Ipv4Addr::new(10, 1, 0, 1)]);
        assert_eq!(a.link.unwrap().ifindex, 2);
        assert_eq!(c.shared_networks[a.shared_network].name, "10.1.0.0/24");
    }

    #[test]
    fn the_no_subnet_block_is_framed_by_blank_error_lines() {
        let c = config(TWO);
        let steps = select(
            &[],
            &[
                link("a", 2),
                v4("a", [10, 9, 0, 1]),
                link("b", 3),
                v4("b", [10, 1, 0, 1]),
            ],
            &c,
        );
        // b came last, so it is first in ISC's list.
        assert!(matches!(&steps[0], Step::Listen(c) if c.name == "b"));
        assert_eq!(steps[1], Step::Log(Level::Error, String::new()));
        assert_eq!(
            steps[2],
            Step::Log(Level::Error, "No subnet declaration for a (10.9.0.1).".into())
        );
        assert_eq!(steps[7], Step::Log(Level::Error, String::new()));
        assert_eq!(steps.len(), 8);
    }

    #[test]
    fn loopback_point_to_point_down_and_non_broadcast_are_skipped() {
        let c = config("subnet 127.0.0.0 netmask 255.0.0.0 {}\nsubnet 10.1.0.0 netmask 255.255.255.0 {}\n");
        let lo = Flags { loopback: true, ..ETH };
        let ptp = Flags {
            point_to_point: true,
            ..ETH
        };
        let down = Flags { up: false, ..ETH };
        let nobcast = Flags {
            broadcast: false,
            ..ETH
        };
        let e = vec![
            ScanEntry {
                name: "lo".into(),
                flags: lo,
                addr: ScanAddr::V4(Ipv4Addr::LOCALHOST),
            },
            ScanEntry {
                name: "tun0".into(),
                flags: ptp,
                addr: ScanAddr::V4(Ipv4Addr::new(10, 1, 0, 2)),
            },
            ScanEntry {
                name: "eth1".into(),
                flags: down,
                addr: ScanAddr::V4(Ipv4Addr::new(10, 1, 0, 3)),
            },
            ScanEntry {
                name: "wg0".into(),
                flags: nobcast,
                addr: ScanAddr::V4(Ipv4Addr::new(10, 1, 0, 4)),
            },
        ];
        assert_eq!(
            names(&select(&[], &e, &c)),
            ["FATAL Not configured to listen on any interfaces!"]
        );
        // Named on the command line, a loopback interface is taken (ISC would then fail on
        // its hardware type); a down one is still skipped.
        let steps = select(&["lo".into(), "eth1".into()], &e, &c);
        assert_eq!(names(&steps)[0], "No subnet declaration for eth1 (no IPv4 addresses).");
        assert!(matches!(steps.last().unwrap(), Step::Listen(c) if c.name == "lo"));
    }

    #[test]
    fn named_interfaces_only_in_reverse_argument_order() {
        let c = config(TWO);
        let e = vec![
            link("a", 2),
            link("b", 3),
            v4("a", [10, 1, 0, 1]),
            v4("b", [10, 2, 0, 1]),
        ];
        let steps = select(&["a".into(), "nosuch".into(), "b".into()], &e, &c);
        assert_eq!(names(&steps)[0], "LISTEN b");
        assert_eq!(
            names(&steps)[1],
            "No subnet declaration for nosuch (no IPv4 addresses)."
        );
        assert_eq!(names(&steps)[6], "LISTEN a");
        assert_eq!(names(&steps).len(), 7);
    }

    #[test]
    fn unnamed_interfaces_still_report_multiple_matches() {
        let c = config(TWO);
        let e = vec![
            link("a", 2),
            link("b", 3),
            v4("a", [10, 1, 0, 1]),
            v4("b", [10, 1, 0, 2]),
        ];
        let n = names(&select(&["a".into()], &e, &c));
        assert_eq!(
            n,
            [
                "Multiple interfaces match the same subnet: a b",
                "Multiple interfaces match the same shared network: a b",
                "LISTEN a",
            ]
        );
    }

    #[test]
    fn two_addresses_on_one_network_are_fine_on_two_networks_fatal() {
        let c = config(
            "shared-network s { subnet 10.1.0.0 netmask 255.255.255.0 {} subnet 10.3.0.0 netmask 255.255.255.0 {} }\n\
             subnet 10.2.0.0 netmask 255.255.255.0 {}\n",
        );
        let ok = select(&[], &[link("a", 2), v4("a", [10, 1, 0, 1]), v4("a", [10, 3, 0, 1])], &c);
        assert_eq!(names(&ok), ["LISTEN a"]);
        let Step::Listen(a) = &ok[0] else { panic!() };
        assert_eq!(c.shared_networks[a.shared_network].name, "s");
        let bad = select(&[], &[link("a", 2), v4("a", [10, 1, 0, 1]), v4("a", [10, 2, 0, 1])], &c);
        assert_eq!(names(&bad), ["FATAL Interface a matches multiple shared networks"]);
    }

    #[test]
    fn find_subnet_prefers_the_last_declared() {
        let c = config("subnet 10.0.0.0 netmask 255.255.0.0 {}\nsubnet 10.0.1.0 netmask 255.255.255.0 {}\n");
        assert_eq!(find_subnet(&c, Ipv4Addr::new(10, 0, 1, 5)), Some(1));
        assert_eq!(find_subnet(&c, Ipv4Addr::new(10, 0, 2, 5)), Some(0));
        assert_eq!(find_subnet(&c, Ipv4Addr::new(10, 1, 0, 1)), None);
        let c = config("subnet 10.0.1.0 netmask 255.255.255.0 {}\nsubnet 10.0.0.0 netmask 255.255.0.0 {}\n");
        assert_eq!(find_subnet(&c, Ipv4Addr::new(10, 0, 1, 5)), Some(1));
    }

    #[test]
    fn line_formats() {
        assert_eq!(
            listening_lines("v1", &[0x16, 0x78, 0x49, 0x66, 0xd7, 0xb9], "10.1.0.0/24"),
            [
                "Listening on LPF/v1/16:78:49:66:d7:b9/10.1.0.0/24",
                "Sending on   LPF/v1/16:78:49:66:d7:b9/10.1.0.0/24"
            ]
        );
        assert_eq!(unsupported_device(772, "lo"), "Unsupported device type 772 for \"lo\"");
    }

    #[test]
    fn scan_sees_loopback() {
        // Reading the interface list sends nothing; every machine has a loopback interface.
        let entries = scan().unwrap();
        assert!(entries
            .iter()
            .any(|e| e.flags.loopback && e.addr == ScanAddr::V4(Ipv4Addr::LOCALHOST)));
    }
}
