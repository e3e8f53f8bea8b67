/*!
Where a reply goes, and how the shell is told to send it.

[`reply_destination`] is ISC's addressing decision as a pure function (`dhcp_reply`,
`nak_lease`, `dhcpinform` in `server/dhcp.c`, `bootp` in `server/bootp.c`). It matters as much
as the reply's contents: a client without an address can only be reached by a frame the
server builds itself (Ethernet destination = its chaddr, no ARP), a renewing client by the
kernel's IP stack, a relay on port 67. The engine calls it and wraps the answer into a
[`Transmit`]; the event loop only carries out what a `Transmit` says.

The rules, in ISC's order:

| reply | condition | destination | socket |
|---|---|---|---|
| OFFER, ACK | giaddr ≠ 0 | giaddr : server port (client port if giaddr is 127.0.0.1) | fallback |
| ACK | ciaddr ≠ 0, unless (server-id sent or broadcast bit) and the lease is on the receiving interface's network | ciaddr : client port | fallback |
| OFFER, ACK | broadcast bit clear | yiaddr : client port, Ethernet to chaddr | packet |
| OFFER, ACK | otherwise | limited broadcast : client port, Ethernet broadcast | packet |
| NAK | giaddr ≠ 0 | as OFFER; broadcast bit set in the reply | fallback |
| NAK | otherwise | limited broadcast : client port, Ethernet broadcast; broadcast bit set | packet |
| INFORM's ACK | ciaddr = 0 and giaddr ≠ 0 | giaddr : server port; broadcast bit set | fallback |
| INFORM's ACK | otherwise | ciaddr, else the request's IP source : client port | fallback |
| BOOTREPLY | giaddr ≠ 0 | giaddr : server port | fallback |
| BOOTREPLY | broadcast bit clear | yiaddr : client port, Ethernet to chaddr | packet |
| BOOTREPLY | otherwise | limited broadcast : client port, Ethernet **to chaddr** | packet |

"Limited broadcast" is 255.255.255.255 unless `-s ADDR` or `limited-broadcast-address` says
otherwise. "Ethernet to chaddr" needs a 6-byte hardware address (hlen 6); with any other
length ISC's frame builder falls back to the broadcast MAC, and so does this.
*/

use std::net::{Ipv4Addr, SocketAddrV4};

use crate::wire::frame::BROADCAST_MAC;

/// An interface the shell listens on: an index into the event loop's interface table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfaceId(pub usize);

/// What kind of reply is being sent: ISC addresses each kind by its own rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyKind {
    /// DHCPOFFER.
    Offer,
    /// DHCPACK to a DHCPREQUEST.
    Ack,
    /// DHCPNAK.
    Nak,
    /// DHCPACK to a DHCPINFORM.
    InformAck,
    /// BOOTREPLY to a BOOTP request.
    BootReply,
}

/// What the decision depends on, read from the request, the reply and the lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyFacts {
    /// The kind of reply.
    pub kind: ReplyKind,
    /// giaddr of the request (a relay's address, or 0).
    pub giaddr: Ipv4Addr,
    /// ciaddr of the request.
    pub ciaddr: Ipv4Addr,
    /// yiaddr of the reply (the address offered or acknowledged).
    pub yiaddr: Ipv4Addr,
    /// The request's BOOTP broadcast flag.
    pub broadcast_flag: bool,
    /// The request's hlen.
    pub hlen: u8,
    /// The request's chaddr.
    pub chaddr: [u8; 16],
    /// The request carried a server identifier (option 54).
    pub got_server_identifier: bool,
    /// The lease's subnet is on the shared network of the interface the request came in on
    /// (ISC compares `state->shared_network`, the interface's, with the lease's).
    pub lease_on_receiving_network: bool,
    /// The request's IP source address (an INFORM without ciaddr is answered there).
    pub source: Ipv4Addr,
}

/// The server-wide settings the decision uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addressing {
    /// The server's UDP port (67, or `-p`): relays are answered on it.
    pub server_port: u16,
    /// The client's UDP port (68, or server port + 1, or `remote-port`).
    pub client_port: u16,
    /// Where broadcast replies go: 255.255.255.255, `-s ADDR` or `limited-broadcast-address`.
    pub limited_broadcast: Ipv4Addr,
}

impl Addressing {
    /// The defaults: ports 67 and 68, broadcast to 255.255.255.255.
    pub const STANDARD: Addressing = Addressing {
        server_port: 67,
        client_port: 68,
        limited_broadcast: Ipv4Addr::BROADCAST,
    };
}

/// Where one reply goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Through the kernel's IP stack on the fallback UDP socket (ISC `send_fallback`): the
    /// kernel routes it and resolves the next hop with ARP.
    Ip(SocketAddrV4),
    /// A frame the server builds and writes on the receiving interface's packet socket.
    Link {
        /// Ethernet destination.
        mac: [u8; 6],
        /// IP destination and UDP port.
        to: SocketAddrV4,
    },
}

/// The addressing decision for one reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Where it goes.
    pub destination: Destination,
    /// The reply must carry the BOOTP broadcast flag whatever the request had (every NAK;
    /// an INFORM's ACK through a relay, which has no other way to find the client).
    pub set_broadcast_flag: bool,
}

/// ISC's choice of destination for a reply; see the module doc for the table.
pub fn reply_destination(f: &ReplyFacts, a: &Addressing) -> Decision {
    let zero = Ipv4Addr::UNSPECIFIED;
    let ip = |addr: Ipv4Addr, port: u16| Destination::Ip(SocketAddrV4::new(addr, port));
    // Offers, ACKs and NAKs to 127.0.0.1 go to the client port, "for debugging" in ISC.
    let relay_port = if f.giaddr == Ipv4Addr::LOCALHOST {
        a.client_port
    } else {
        a.server_port
    };
    let to_client = |addr: Ipv4Addr, mac: [u8; 6]| Destination::Link {
        mac,
        to: SocketAddrV4::new(addr, a.client_port),
    };
    let chaddr_mac = if f.hlen == 6 {
        let mut m = [0u8; 6];
        m.copy_from_slice(&f.chaddr[..6]);
        m
    } else {
        BROADCAST_MAC
    };
    let plain = |destination| Decision {
        destination,
        set_broadcast_flag: false,
    };

    match f.kind {
        ReplyKind::Offer | ReplyKind::Ack => {
            if f.giaddr != zero {
                return plain(ip(f.giaddr, relay_port));
            }
            let keep_local = (f.got_server_identifier || f.broadcast_flag) && f.lease_on_receiving_network;
            if f.ciaddr != zero && !keep_local && f.kind == ReplyKind::Ack {
                return plain(ip(f.ciaddr, a.client_port));
            }
            if !f.broadcast_flag {
                plain(to_client(f.yiaddr, chaddr_mac))
            } else {
                plain(to_client(a.limited_broadcast, BROADCAST_MAC))
            }
        }
        ReplyKind::Nak => {
            let destination = if f.giaddr != zero {
                ip(f.giaddr, relay_port)
            } else {
                to_client(a.limited_broadcast, BROADCAST_MAC)
            };
            Decision {
                destination,
                set_broadcast_flag: true,
            }
        }
        ReplyKind::InformAck => {
            if f.ciaddr == zero && f.giaddr != zero {
                Decision {
                    destination: ip(f.giaddr, a.server_port),
                    set_broadcast_flag: true,
                }
            } else {
                let to = if f.ciaddr != zero { f.ciaddr } else { f.source };
                plain(ip(to, a.client_port))
            }
        }
        ReplyKind::BootReply => {
            if f.giaddr != zero {
                plain(ip(f.giaddr, a.server_port))
            } else if !f.broadcast_flag {
                plain(to_client(f.yiaddr, chaddr_mac))
            } else {
                // bootp.c always hands the client's hardware address to the frame builder.
                plain(to_client(a.limited_broadcast, chaddr_mac))
            }
        }
    }
}

/// One datagram for the shell to send.
#[must_use = "a Transmit does nothing until the event loop sends it"]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// How to send it.
    pub route: Route,
    /// The UDP payload: the DHCP message.
    pub payload: Vec<u8>,
}

/// How a [`Transmit`] leaves the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// A whole Ethernet/IPv4/UDP frame on an interface's packet socket. The source MAC is
    /// the interface's and the source port the server port; the IP header is ISC's.
    Link {
        /// The interface to send on (normally the one the request came in on).
        iface: IfaceId,
        /// IP source address (the server identifier, or the interface's first address).
        src: Ipv4Addr,
        /// Ethernet destination.
        dst_mac: [u8; 6],
        /// IP destination and UDP port.
        dst: SocketAddrV4,
    },
    /// A datagram on the fallback UDP socket; the kernel picks the source address.
    Ip {
        /// Destination address and port.
        dst: SocketAddrV4,
    },
}

impl Transmit {
    /// A reply to a request that came in on `iface`, sent from `src` to where `destination` says.
    pub fn reply(destination: Destination, iface: IfaceId, src: Ipv4Addr, payload: Vec<u8>) -> Transmit {
        let route = match destination {
            Destination::Ip(dst) => Route::Ip { dst },
            Destination::Link { mac, to } => Route::Link {
                iface,
                src,
                dst_mac: mac,
                dst: to,
            },
        };
        Transmit { route, payload }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
    const GI: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 1);
    const CI: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 20);
    const YI: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 30);
    const SRC: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 40);

    fn facts(kind: ReplyKind) -> ReplyFacts {
        let mut chaddr = [0u8; 16];
        chaddr[..6].copy_from_slice(&MAC);
        // Bytes past hlen must never leak into the MAC.
        chaddr[6] = 0x99;
        ReplyFacts {
            kind,
            giaddr: Ipv4Addr::UNSPECIFIED,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: YI,
            broadcast_flag: false,
            hlen: 6,
            chaddr,
            got_server_identifier: false,
            lease_on_receiving_network: true,
            source: Ipv4Addr::UNSPECIFIED,
        }
    }

    fn dest(f: &ReplyFacts) -> Destination {
        reply_destination(f, &Addressing::STANDARD).destination
    }

    fn ip(a: Ipv4Addr, p: u16) -> Destination {
        Destination::Ip(SocketAddrV4::new(a, p))
    }

    fn link(mac: [u8; 6], a: Ipv4Addr) -> Destination {
        Destination::Link {
            mac,
            to: SocketAddrV4::new(a, 68),
        }
    }

    #[test]
    fn relayed_offer_and_ack_go_to_the_relay_on_the_server_port() {
        for kind in [ReplyKind::Offer, ReplyKind::Ack] {
            let f = ReplyFacts {
                giaddr: GI,
                ciaddr: CI,
                broadcast_flag: true,
                ..facts(kind)
            };
            let d = reply_destination(&f, &Addressing::STANDARD);
            assert_eq!(
                d,
                Decision {
                    destination: ip(GI, 67),
                    set_broadcast_flag: false
                }
            );
        }
        let custom = Addressing {
            server_port: 6767,
            client_port: 6768,
            ..Addressing::STANDARD
        };
        let f = ReplyFacts {
            giaddr: GI,
            ..facts(ReplyKind::Offer)
        };
        assert_eq!(reply_destination(&f, &custom).destination, ip(GI, 6767));
    }

    #[test]
    fn a_loopback_relay_is_answered_on_the_client_port() {
        for kind in [ReplyKind::Offer, ReplyKind::Ack, ReplyKind::Nak] {
            let f = ReplyFacts {
                giaddr: Ipv4Addr::LOCALHOST,
                ..facts(kind)
            };
            assert_eq!(dest(&f), ip(Ipv4Addr::LOCALHOST, 68), "{kind:?}");
        }
        // BOOTP and INFORM have no such exception.
        for kind in [ReplyKind::BootReply, ReplyKind::InformAck] {
            let f = ReplyFacts {
                giaddr: Ipv4Addr::LOCALHOST,
                ..facts(kind)
            };
            assert_eq!(dest(&f), ip(Ipv4Addr::LOCALHOST, 67), "{kind:?}");
        }
    }

    #[test]
    fn renewing_ack_is_unicast_to_ciaddr_through_the_kernel() {
        let f = ReplyFacts {
            ciaddr: CI,
            ..facts(ReplyKind::Ack)
        };
        assert_eq!(dest(&f), ip(CI, 68));
        // Server id or broadcast bit alone do not keep it local when the lease is elsewhere.
        let f = ReplyFacts {
            ciaddr: CI,
            got_server_identifier: true,
            lease_on_receiving_network: false,
            ..facts(ReplyKind::Ack)
        };
        assert_eq!(dest(&f), ip(CI, 68));
        let f = ReplyFacts {
            ciaddr: CI,
            broadcast_flag: true,
            lease_on_receiving_network: false,
            ..facts(ReplyKind::Ack)
        };
        assert_eq!(dest(&f), ip(CI, 68));
    }

    #[test]
    fn ack_with_ciaddr_and_server_id_on_the_local_network_stays_on_the_link() {
        let f = ReplyFacts {
            ciaddr: CI,
            got_server_identifier: true,
            ..facts(ReplyKind::Ack)
        };
        assert_eq!(dest(&f), link(MAC, YI));
        let f = ReplyFacts {
            ciaddr: CI,
            broadcast_flag: true,
            ..facts(ReplyKind::Ack)
        };
        assert_eq!(dest(&f), link(BROADCAST_MAC, Ipv4Addr::BROADCAST));
    }

    #[test]
    fn an_offer_never_goes_to_ciaddr() {
        let f = ReplyFacts {
            ciaddr: CI,
            ..facts(ReplyKind::Offer)
        };
        assert_eq!(dest(&f), link(MAC, YI));
    }

    #[test]
    fn unicast_to_yiaddr_and_chaddr_without_arp() {
        for kind in [ReplyKind::Offer, ReplyKind::Ack, ReplyKind::BootReply] {
            let d = reply_destination(&facts(kind), &Addressing::STANDARD);
            assert_eq!(
                d,
                Decision {
                    destination: link(MAC, YI),
                    set_broadcast_flag: false
                },
                "{kind:?}"
            );
        }
    }

    #[test]
    fn broadcast_bit_means_limited_broadcast_and_broadcast_mac() {
        for kind in [ReplyKind::Offer, ReplyKind::Ack] {
            let f = ReplyFacts {
                broadcast_flag: true,
                ..facts(kind)
            };
            assert_eq!(dest(&f), link(BROADCAST_MAC, Ipv4Addr::BROADCAST));
        }
    }

    #[test]
    fn dash_s_changes_the_broadcast_address_but_not_the_mac() {
        let s = Addressing {
            limited_broadcast: Ipv4Addr::new(10, 0, 0, 255),
            ..Addressing::STANDARD
        };
        let f = ReplyFacts {
            broadcast_flag: true,
            ..facts(ReplyKind::Offer)
        };
        assert_eq!(
            reply_destination(&f, &s).destination,
            link(BROADCAST_MAC, Ipv4Addr::new(10, 0, 0, 255))
        );
        let f = facts(ReplyKind::Nak);
        assert_eq!(
            reply_destination(&f, &s).destination,
            link(BROADCAST_MAC, Ipv4Addr::new(10, 0, 0, 255))
        );
    }

    #[test]
    fn hardware_address_of_other_length_is_sent_to_the_broadcast_mac() {
        for hlen in [0u8, 5, 7, 16] {
            let f = ReplyFacts {
                hlen,
                ..facts(ReplyKind::Offer)
            };
            assert_eq!(dest(&f), link(BROADCAST_MAC, YI), "hlen {hlen}");
            let f = ReplyFacts {
                hlen,
                broadcast_flag: true,
                ..facts(ReplyKind::BootReply)
            };
            assert_eq!(dest(&f), link(BROADCAST_MAC, Ipv4Addr::BROADCAST), "hlen {hlen}");
        }
    }

    #[test]
    fn nak_always_sets_the_broadcast_flag() {
        let d = reply_destination(&facts(ReplyKind::Nak), &Addressing::STANDARD);
        assert_eq!(
            d,
            Decision {
                destination: link(BROADCAST_MAC, Ipv4Addr::BROADCAST),
                set_broadcast_flag: true
            }
        );
        // Even a renewing client's NAK is broadcast, not sent to ciaddr.
        let f = ReplyFacts {
            ciaddr: CI,
            ..facts(ReplyKind::Nak)
        };
        assert_eq!(dest(&f), link(BROADCAST_MAC, Ipv4Addr::BROADCAST));
        let f = ReplyFacts {
            giaddr: GI,
            ..facts(ReplyKind::Nak)
        };
        assert_eq!(
            reply_destination(&f, &Addressing::STANDARD),
            Decision {
                destination: ip(GI, 67),
                set_broadcast_flag: true
            }
        );
    }

    #[test]
    fn inform_rules() {
        // ciaddr wins, even over a relay.
        let f = ReplyFacts {
            ciaddr: CI,
            giaddr: GI,
            source: SRC,
            ..facts(ReplyKind::InformAck)
        };
        assert_eq!(
            reply_destination(&f, &Addressing::STANDARD),
            Decision {
                destination: ip(CI, 68),
                set_broadcast_flag: false
            }
        );
        // No ciaddr, relayed: to the relay with the broadcast flag.
        let f = ReplyFacts {
            giaddr: GI,
            source: SRC,
            ..facts(ReplyKind::InformAck)
        };
        assert_eq!(
            reply_destination(&f, &Addressing::STANDARD),
            Decision {
                destination: ip(GI, 67),
                set_broadcast_flag: true
            }
        );
        // No ciaddr, direct: back to the IP source, through the kernel even with the broadcast bit.
        let f = ReplyFacts {
            source: SRC,
            broadcast_flag: true,
            ..facts(ReplyKind::InformAck)
        };
        assert_eq!(dest(&f), ip(SRC, 68));
    }

    #[test]
    fn bootp_rules() {
        let f = ReplyFacts {
            giaddr: GI,
            broadcast_flag: true,
            ..facts(ReplyKind::BootReply)
        };
        assert_eq!(dest(&f), ip(GI, 67));
        // BOOTP ignores ciaddr.
        let f = ReplyFacts {
            ciaddr: CI,
            ..facts(ReplyKind::BootReply)
        };
        assert_eq!(dest(&f), link(MAC, YI));
        // Broadcast, but the frame still goes to the client's MAC.
        let f = ReplyFacts {
            broadcast_flag: true,
            ..facts(ReplyKind::BootReply)
        };
        assert_eq!(dest(&f), link(MAC, Ipv4Addr::BROADCAST));
    }

    #[test]
    fn transmit_wraps_the_decision() {
        let t = Transmit::reply(link(MAC, YI), IfaceId(3), SRC, vec![1, 2]);
        assert_eq!(
            t.route,
            Route::Link {
                iface: IfaceId(3),
                src: SRC,
                dst_mac: MAC,
                dst: SocketAddrV4::new(YI, 68)
            }
        );
        let t = Transmit::reply(ip(GI, 67), IfaceId(3), SRC, vec![]);
        assert_eq!(
            t.route,
            Route::Ip {
                dst: SocketAddrV4::new(GI, 67)
            }
        );
    }
}
