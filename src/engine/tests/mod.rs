//! Scripted exchanges: a configuration, a client that builds messages,
//! and a virtual clock. Each test drives the engine the way the shell
//! does and checks addresses, lease times, option sets and ISC's lines.

mod classes;
mod dora;
mod failover;
mod hosts;
mod other;
mod request;
mod times;

use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::conf::parser::MemLoader;
use crate::lease::Lease;
use crate::wire::dhcp::{MessageType, OpCode, Packet, RawOption, Repr, Vendor};

use super::{Engine, FailoverHooks, IscEvaluator, NoFailover, Outcome, ProbeResult};

/// The engine under test: the full evaluator, no failover.
pub type TestEngine = Engine<IscEvaluator>;

/// The time tests start at (a Tuesday in 2023).
pub const T0: i64 = 1_700_000_000;

/// An engine for `conf`, interface 0 = `eth0` at 10.0.0.1.
pub fn engine(conf: &str) -> TestEngine {
    engine_with(conf, NoFailover, Vec::new())
}

/// An engine with failover hooks and leases from a lease file.
pub fn engine_with<F: FailoverHooks>(conf: &str, hooks: F, leases: Vec<Lease>) -> Engine<IscEvaluator, F> {
    let loader = MemLoader(vec![("dhcpd.conf".into(), conf.as_bytes().to_vec())]);
    let outcome = crate::conf::check_config("dhcpd.conf", &loader);
    let config = outcome.config.unwrap_or_else(|| panic!("config rejected: {:?} {:?}", outcome.fatal, outcome.diagnostics));
    let mut e = Engine::new(Arc::new(config), IscEvaluator::new(), hooks);
    e.set_interface(0, "eth0", &[Ipv4Addr::new(10, 0, 0, 1)]);
    assert!(e.load_leases(leases).is_empty());
    let started = e.start(T0);
    assert!(started.lease_changes.is_empty());
    e
}

/// A client: hardware address, optional client identifier, and what it
/// sends besides.
#[derive(Clone, Debug)]
pub struct Client {
    pub mac: [u8; 6],
    pub client_id: Option<Vec<u8>>,
    pub prl: Option<Vec<u8>>,
    pub extra: Vec<(u8, Vec<u8>)>,
    pub giaddr: Ipv4Addr,
    pub flags: u16,
    pub secs: u16,
    pub xid: u32,
}

impl Client {
    pub fn new(last: u8) -> Client {
        Client {
            mac: [0x02, 0, 0, 0, 0, last],
            client_id: None,
            prl: None,
            extra: Vec::new(),
            giaddr: Ipv4Addr::UNSPECIFIED,
            flags: 0,
            secs: 0,
            xid: 0x1000 + u32::from(last),
        }
    }

    /// A message of `kind` with `ciaddr` and extra options `opts`.
    pub fn msg(&self, kind: Option<MessageType>, ciaddr: Ipv4Addr, opts: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut chaddr = [0u8; 16];
        chaddr[..6].copy_from_slice(&self.mac);
        let mut list: Vec<RawOption<'static>> = Vec::new();
        if let Some(k) = kind {
            list.push(RawOption::owned(53, vec![u8::from(k)]));
        }
        if let Some(c) = &self.client_id {
            list.push(RawOption::owned(61, c.clone()));
        }
        for (c, v) in opts.iter().chain(self.extra.iter()) {
            list.push(RawOption::owned(*c, v.clone()));
        }
        if let Some(p) = &self.prl {
            list.push(RawOption::owned(55, p.clone()));
        }
        let repr = Repr {
            op: OpCode::Request,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid: self.xid,
            secs: self.secs,
            flags: self.flags,
            ciaddr,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: self.giaddr,
            chaddr,
            sname: Default::default(),
            file: Default::default(),
            vendor: Vendor::Options(list),
        };
        let mut buf = vec![0u8; repr.buffer_len().max(300)];
        repr.emit(&mut Packet::new_unchecked(&mut buf[..])).unwrap();
        buf
    }

    pub fn discover(&self) -> Vec<u8> {
        self.msg(Some(MessageType::Discover), Ipv4Addr::UNSPECIFIED, &[])
    }

    /// SELECTING: requested address and server identifier.
    pub fn select(&self, ip: Ipv4Addr, server: Ipv4Addr) -> Vec<u8> {
        self.msg(
            Some(MessageType::Request),
            Ipv4Addr::UNSPECIFIED,
            &[(50, ip.octets().to_vec()), (54, server.octets().to_vec())],
        )
    }

    /// INIT-REBOOT: requested address only.
    pub fn reboot(&self, ip: Ipv4Addr) -> Vec<u8> {
        self.msg(Some(MessageType::Request), Ipv4Addr::UNSPECIFIED, &[(50, ip.octets().to_vec())])
    }

    /// RENEWING / REBINDING: ciaddr only.
    pub fn renew(&self, ip: Ipv4Addr) -> Vec<u8> {
        self.msg(Some(MessageType::Request), ip, &[])
    }
}

/// A reply read back.
#[derive(Debug)]
pub struct Got {
    pub repr: Repr<'static>,
    pub len: usize,
}

impl Got {
    pub fn codes(&self) -> Vec<u8> {
        self.repr.options().iter().map(|o| o.code).collect()
    }

    pub fn opt(&self, code: u8) -> Option<&[u8]> {
        self.repr.option(code)
    }

    pub fn lease_time(&self) -> Option<u32> {
        self.opt(51).map(|v| u32::from_be_bytes(v.try_into().unwrap()))
    }

    pub fn kind(&self) -> Option<MessageType> {
        self.repr.message_type()
    }
}

/// The reply of an outcome, parsed.
pub fn reply(out: &Outcome) -> Got {
    let r = out.reply.as_ref().unwrap_or_else(|| panic!("no reply; logs: {:?}", out.logs));
    let repr = Repr::parse(&Packet::new_unchecked(&r.bytes[..])).unwrap().into_owned();
    Got { repr, len: r.bytes.len() }
}

/// The log texts of an outcome.
pub fn lines(out: &Outcome) -> Vec<String> {
    out.logs.iter().map(|l| l.text.clone()).collect()
}

/// Sends `bytes` on eth0 from 0.0.0.0:68 at `now`; an offer held for a
/// ping is released as if the ping timed out.
pub fn send<F: FailoverHooks>(e: &mut Engine<IscEvaluator, F>, now: i64, bytes: &[u8]) -> Outcome {
    send_from(e, now, Ipv4Addr::UNSPECIFIED, bytes)
}

/// As [`send`], from a given IP source.
pub fn send_from<F: FailoverHooks>(e: &mut Engine<IscEvaluator, F>, now: i64, source: Ipv4Addr, bytes: &[u8]) -> Outcome {
    let mut out = e.handle_packet(now, 0, source, 68, bytes);
    if let Some(p) = out.probe.take() {
        let more = e.continue_offer(now + 1, p.id, ProbeResult::Timeout);
        out.logs.extend(more.logs);
        out.lease_changes.extend(more.lease_changes);
        out.reply = more.reply;
    }
    out
}

/// A full DISCOVER/OFFER/REQUEST/ACK; returns the address and the ACK.
pub fn dora<F: FailoverHooks>(e: &mut Engine<IscEvaluator, F>, now: i64, c: &Client) -> (Ipv4Addr, Got) {
    let offer = reply(&send(e, now, &c.discover()));
    assert_eq!(offer.kind(), Some(MessageType::Offer));
    let ip = offer.repr.yiaddr;
    let ack = send(e, now, &c.select(ip, Ipv4Addr::new(10, 0, 0, 1)));
    let got = reply(&ack);
    assert_eq!(got.kind(), Some(MessageType::Ack), "{:?}", ack.logs);
    (ip, got)
}

/// The lease record the engine holds for `ip`.
pub fn lease<F: FailoverHooks>(e: &Engine<IscEvaluator, F>, ip: Ipv4Addr) -> Lease {
    e.lease(ip).cloned().unwrap()
}

/// 10.0.0.N.
pub fn ip(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, n)
}
