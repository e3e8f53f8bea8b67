//! A received BOOTP/DHCP message read the way ISC's `do_packet`,
//! `parse_options` and `validate_packet` read it, with the fields the
//! handlers use picked out once, and ISC's `locate_network`.

use std::borrow::Cow;
use std::net::Ipv4Addr;

use crate::conf::model::Config;
use crate::wire::dhcp::{self, MessageType, Packet, RawOption, Repr};

use super::eval::{builtin_dhcp_option_has_text, EvalPacket};
use super::outcome::LogLine;
use super::scope::Scopes;

/// Option codes the engine reads.
pub mod code {
    /// Subnet mask.
    pub const SUBNET_MASK: u8 = 1;
    /// Routers.
    pub const ROUTERS: u8 = 3;
    /// Host name.
    pub const HOST_NAME: u8 = 12;
    /// Requested IP address.
    pub const REQUESTED_ADDRESS: u8 = 50;
    /// IP address lease time.
    pub const LEASE_TIME: u8 = 51;
    /// Message type.
    pub const MESSAGE_TYPE: u8 = 53;
    /// Server identifier.
    pub const SERVER_IDENTIFIER: u8 = 54;
    /// Parameter request list.
    pub const PRL: u8 = 55;
    /// Message (text for the client).
    pub const MESSAGE: u8 = 56;
    /// Maximum DHCP message size.
    pub const MAX_MESSAGE_SIZE: u8 = 57;
    /// Renewal (T1) time.
    pub const RENEWAL_TIME: u8 = 58;
    /// Rebinding (T2) time.
    pub const REBINDING_TIME: u8 = 59;
    /// Vendor class identifier.
    pub const VENDOR_CLASS_IDENTIFIER: u8 = 60;
    /// Client identifier.
    pub const CLIENT_IDENTIFIER: u8 = 61;
    /// Client FQDN.
    pub const FQDN: u8 = 81;
    /// Relay agent information.
    pub const AGENT: u8 = 82;
    /// Associated IP (leasequery).
    pub const ASSOCIATED_IP: u8 = 92;
    /// Subnet selection.
    pub const SUBNET_SELECTION: u8 = 118;
    /// Vendor-encapsulated options.
    pub const VENDOR_ENCAPSULATED: u8 = 43;
}

/// Relay agent sub-option: link selection.
const RAI_LINK_SELECT: u8 = 5;
/// Relay agent sub-option: relay port (RFC 8357).
const RAI_RELAY_PORT: u8 = 19;

/// Why a message was not handled at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// The wire codec refused it (ISC logs some of these).
    Wire(dhcp::Error),
    /// A zero-length client identifier (ISC `validate_packet`).
    EmptyClientId,
}

/// A received message.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The message bytes as received.
    pub raw: &'a [u8],
    /// The parsed message; text options lost their trailing NULs.
    pub repr: Repr<'a>,
    /// Option 53; `None` makes it BOOTP (also for a type byte of 0).
    pub message_type: Option<MessageType>,
    /// The interface it came in on (the shell's index).
    pub iface: usize,
    /// The IP source address.
    pub source: Ipv4Addr,
    /// The UDP source port.
    pub source_port: u16,
    /// The client sent a host name ending in NULs (ISC `ms_nulltp`).
    pub ms_nulltp: bool,
    /// The shared network `locate_network` found.
    pub shared_network: Option<usize>,
    /// The client has a host declaration (`known`), once looked up.
    pub known: bool,
    /// The request carried a requested-address option (as `find_lease`
    /// records it).
    pub got_requested_address: bool,
    /// Option 82 was not sent but taken from the client's lease (ISC
    /// `agent_options_stashed`): it is not echoed nor stashed again.
    pub agent_stashed: bool,
}

/// The value of a relay agent sub-option inside option 82.
pub fn agent_suboption(agent: &[u8], code: u8) -> Option<&[u8]> {
    let mut at = 0;
    while at + 2 <= agent.len() {
        let (c, len) = (agent[at], usize::from(agent[at + 1]));
        let v = agent.get(at + 2..at + 2 + len)?;
        if c == code {
            return Some(v);
        }
        at += 2 + len;
    }
    None
}

fn addr(v: &[u8]) -> Option<Ipv4Addr> {
    let b: [u8; 4] = v.get(..4)?.try_into().ok()?;
    Some(Ipv4Addr::from(b))
}

impl<'a> Request<'a> {
    /// Reads `payload` as ISC does; `Err` when ISC drops it, with the line
    /// ISC logs for it, if any.
    pub fn parse(payload: &'a [u8], iface: usize, source: Ipv4Addr, source_port: u16) -> Result<Request<'a>, (Dropped, Option<LogLine>)> {
        let packet = Packet::new_unchecked(payload);
        let mut repr = match Repr::parse(&packet) {
            Ok(r) => r,
            Err(e @ dhcp::Error::BadHlen(_)) => return Err((Dropped::Wire(e), Some(LogLine::info(e.to_string())))),
            Err(e @ dhcp::Error::MalformedOption { .. }) => {
                return Err((Dropped::Wire(e), Some(LogLine::error(e.to_string()))))
            }
            Err(e) => return Err((Dropped::Wire(e), None)),
        };
        let mut ms_nulltp = false;
        if let dhcp::Vendor::Options(list) = &mut repr.vendor {
            for o in list.iter_mut() {
                if builtin_dhcp_option_has_text(o.code) && o.data.last() == Some(&0) {
                    let keep = o.data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                    if o.code == code::HOST_NAME {
                        ms_nulltp = true;
                    }
                    o.data = match std::mem::take(&mut o.data) {
                        Cow::Borrowed(b) => Cow::Borrowed(&b[..keep]),
                        Cow::Owned(mut v) => {
                            v.truncate(keep);
                            Cow::Owned(v)
                        }
                    };
                }
            }
            // ISC ignores an empty host name outright.
            list.retain(|o| !(o.code == code::HOST_NAME && o.data.is_empty() && !ms_nulltp));
            if list.iter().any(|o| o.code == code::CLIENT_IDENTIFIER && o.data.is_empty()) {
                return Err((Dropped::EmptyClientId, Some(LogLine::debug("Dropped DHCPv4 packet with zero-length client-id"))));
            }
        }
        let message_type = repr.message_type().filter(|t| u8::from(*t) != 0);
        Ok(Request {
            raw: payload,
            repr,
            message_type,
            iface,
            source,
            source_port,
            ms_nulltp,
            shared_network: None,
            known: false,
            got_requested_address: false,
            agent_stashed: false,
        })
    }

    /// A received DHCP option.
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        self.repr.option(code)
    }

    /// The client identifier (option 61).
    pub fn client_id(&self) -> Option<&[u8]> {
        self.option(code::CLIENT_IDENTIFIER)
    }

    /// The requested address (option 50).
    pub fn requested_address(&self) -> Option<Ipv4Addr> {
        self.option(code::REQUESTED_ADDRESS).and_then(addr)
    }

    /// The server identifier the client sent (option 54).
    pub fn server_identifier(&self) -> Option<Ipv4Addr> {
        self.option(code::SERVER_IDENTIFIER).and_then(addr)
    }

    /// The hardware address (first `hlen` bytes of chaddr).
    pub fn hw(&self) -> &[u8] {
        self.repr.hardware_address()
    }

    /// The hardware key ISC hashes: type byte then address.
    pub fn hw_key(&self) -> Vec<u8> {
        let mut k = vec![self.repr.htype];
        k.extend_from_slice(self.hw());
        k
    }

    /// Whether the message is plain BOOTP (no options, or no type).
    pub fn is_bootp(&self) -> bool {
        self.message_type.is_none()
    }

    /// Whether ISC's `options_valid` holds (a magic cookie was present).
    pub fn options_valid(&self) -> bool {
        matches!(self.repr.vendor, dhcp::Vendor::Options(_))
    }

    /// The relay port to answer on, when the relay asked for one (82.19).
    pub fn relay_port(&self) -> Option<u16> {
        let agent = self.option(code::AGENT)?;
        agent_suboption(agent, RAI_RELAY_PORT).map(|_| self.source_port)
    }

    /// The link-selection (82.5) or subnet-selection (118) value, in ISC's
    /// order of preference.
    pub fn selected_link(&self) -> Option<&[u8]> {
        self.option(code::AGENT)
            .and_then(|a| agent_suboption(a, RAI_LINK_SELECT))
            .or_else(|| self.option(code::SUBNET_SELECTION))
    }

    /// ISC `locate_network`: the shared network the client is on, given
    /// the receiving interface's.
    pub fn locate_network(&self, config: &Config, scopes: &Scopes, iface_network: Option<usize>) -> Option<usize> {
        let link = self.selected_link();
        if link.is_none() && self.repr.giaddr.is_unspecified() {
            return iface_network;
        }
        let ia = match link {
            Some(v) if v.len() == 4 => addr(v)?,
            Some(_) => return None,
            None => self.repr.giaddr,
        };
        scopes.find_subnet(config, ia).map(|s| config.subnets[s].shared_network)
    }

    /// A received option of the DHCP or relay agent space (ISC looks
    /// `host-identifier option` values up in either).
    pub fn space_option(&self, space: crate::options::SpaceId, code: u32) -> Option<&[u8]> {
        let code = u8::try_from(code).ok()?;
        match space {
            crate::options::SpaceId::DHCP => self.option(code),
            crate::options::SpaceId::AGENT => agent_suboption(self.option(code::AGENT)?, code),
            _ => None,
        }
    }

    /// The request as expressions see it.
    pub fn eval_packet(&self) -> EvalPacket<'_> {
        EvalPacket { raw: self.raw, options: self.repr.options(), known: self.known }
    }

    /// Makes `agent` the request's relay agent information, as ISC does
    /// for a unicast renewal whose relay added none.
    pub fn stash_agent(&mut self, agent: Vec<u8>) {
        if let dhcp::Vendor::Options(list) = &mut self.repr.vendor {
            list.push(RawOption::owned(code::AGENT, agent));
            self.agent_stashed = true;
        }
    }

    /// The options as received, for echoing (option 82).
    pub fn options(&self) -> &[RawOption<'a>] {
        self.repr.options()
    }
}
