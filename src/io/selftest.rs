/*!
`dhcpd --selftest-echo ...`: a test aid that runs the real IO shell with a trivial handler.

**Not a DHCP server.** It exists so the network-namespace tests can prove the shell end to
end with real clients before the engine exists, and keep proving it afterwards: interface
selection and its log lines, the packet sockets and their filter, frames built without
ARP, the fallback socket, daemonising, the pid file and a clean stop on SIGTERM.

It must be the first argument; the rest is read as dhcpd's command line (`-cf`, `-pf`,
`--no-pid`, `-p`, `-f`, `-d`, `-q`, `-s`, interface names). The handler logs every request
as `selftest: DHCPDISCOVER from MAC via IF` (`selftest: DHCPREQUEST for A (SID) from MAC via
IF` when the request names them) and answers each DHCPDISCOVER with a DHCPOFFER of the one
address in the environment variable `DHCPD_SELFTEST_OFFER` (server identifier: the
interface's first address; lease time 3600 s), addressed by
[`reply_destination`](super::transmit::reply_destination). A real client that then sends a
DHCPREQUEST for that address has accepted our frame. Nothing is ever ACKed, so no client
configures an address from it.
*/

use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use super::event_loop::{Handler, Interface, Origin};
use super::serve::{serve, ServeOptions};
use super::syslog::{Logger, DEFAULT_FACILITY};
use super::transmit::{reply_destination, Addressing, IfaceId, ReplyFacts, ReplyKind, Transmit};
use crate::cli;
use crate::conf::{check_config, parser::FsLoader};
use crate::time::Now;
use crate::wire::dhcp::{self, MessageType, OpCode, Packet, RawOption, Repr, Vendor};

/// The flag that selects this mode; only as the first argument.
pub const FLAG: &str = "--selftest-echo";
/// The environment variable naming the address to offer.
pub const OFFER_ENV: &str = "DHCPD_SELFTEST_OFFER";

/// Lease time put in the offer, seconds.
const LEASE_TIME: u32 = 3600;

/// Colon-separated lowercase hex, as ISC's `print_hw_addr`.
pub fn hw_text(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":")
}

/// The echo handler: logs requests, offers one address to every DISCOVER.
pub struct EchoHandler {
    offer: Ipv4Addr,
    addressing: Addressing,
    /// Per interface: name and first address.
    ifaces: Vec<(String, Option<Ipv4Addr>)>,
    log: Logger,
}

impl EchoHandler {
    /// A handler for the interfaces the loop serves.
    pub fn new(offer: Ipv4Addr, addressing: Addressing, ifaces: &[Interface], log: Logger) -> EchoHandler {
        let ifaces = ifaces
            .iter()
            .map(|i| (i.name.clone(), i.addresses.first().copied()))
            .collect();
        EchoHandler {
            offer,
            addressing,
            ifaces,
            log,
        }
    }

    /// The OFFER for `req`, or why there is none.
    fn offer_for(&self, req: &Repr<'_>, iface: IfaceId, origin: &Origin) -> Option<Transmit> {
        let server_id = self.ifaces.get(iface.0)?.1?;
        let reply = Repr {
            op: OpCode::Reply,
            htype: req.htype,
            hlen: req.hlen,
            hops: 0,
            xid: req.xid,
            secs: 0,
            flags: req.flags,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: self.offer,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: req.giaddr,
            chaddr: req.chaddr,
            sname: Default::default(),
            file: Default::default(),
            vendor: Vendor::Options(vec![
                RawOption::owned(dhcp::OPT_MESSAGE_TYPE, vec![u8::from(MessageType::Offer)]),
                RawOption::owned(54, server_id.octets().to_vec()),
                RawOption::owned(51, LEASE_TIME.to_be_bytes().to_vec()),
            ]),
        };
        let mut buf = vec![0u8; reply.buffer_len().max(dhcp::BOOTP_MIN_LEN)];
        reply.emit(&mut Packet::new_unchecked(&mut buf[..])).ok()?;
        let facts = ReplyFacts {
            kind: ReplyKind::Offer,
            giaddr: req.giaddr,
            ciaddr: req.ciaddr,
            yiaddr: self.offer,
            broadcast_flag: req.broadcast(),
            hlen: req.hlen,
            chaddr: req.chaddr,
            got_server_identifier: req.option(54).is_some(),
            lease_on_receiving_network: true,
            source: *origin.src.ip(),
        };
        let decision = reply_destination(&facts, &self.addressing);
        Some(Transmit::reply(decision.destination, iface, server_id, buf))
    }
}

fn addr_option(req: &Repr<'_>, code: u8) -> Option<Ipv4Addr> {
    let b = req.option(code)?;
    (b.len() == 4).then(|| Ipv4Addr::new(b[0], b[1], b[2], b[3]))
}

impl Handler for EchoHandler {
    fn handle_packet(&mut self, _now: Now, iface: IfaceId, origin: Origin, payload: &[u8]) -> Vec<Transmit> {
        let via = self.ifaces.get(iface.0).map_or("?", |i| i.0.as_str()).to_string();
        let parsed = Packet::new_checked(payload).and_then(|p| Repr::parse(&p));
        let req = match parsed {
            Ok(r) => r,
            Err(e) => {
                self.log.info(&format!(
                    "selftest: unreadable message from {} via {via}: {e:?}",
                    hw_text(&origin.mac)
                ));
                return Vec::new();
            }
        };
        if req.op != OpCode::Request {
            return Vec::new();
        }
        let mac = hw_text(req.hardware_address());
        let name = req.message_type().and_then(|t| t.isc_name()).unwrap_or("BOOTREQUEST");
        let line = match (addr_option(&req, 50), addr_option(&req, 54)) {
            (Some(a), Some(sid)) => format!("selftest: {name} for {a} ({sid}) from {mac} via {via}"),
            (Some(a), None) => format!("selftest: {name} for {a} from {mac} via {via}"),
            _ => format!("selftest: {name} from {mac} via {via}"),
        };
        self.log.info(&line);
        if req.message_type() != Some(MessageType::Discover) {
            return Vec::new();
        }
        match self.offer_for(&req, iface, &origin) {
            Some(t) => {
                self.log
                    .info(&format!("selftest: DHCPOFFER on {} to {mac} via {via}", self.offer));
                vec![t]
            }
            None => Vec::new(),
        }
    }

    fn poll_timeout(&self) -> Option<std::time::Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Now) -> Vec<Transmit> {
        Vec::new()
    }
}

/// Runs the mode; `args` is argv without the program name and without [`FLAG`].
pub fn main(argv0: &OsString, args: &[OsString]) -> i32 {
    let stderr = std::io::stderr();
    let mut lock = stderr.lock();
    let mut clilog = cli::Log::new(&mut lock);
    let o = match cli::parse(args, &mut clilog) {
        Ok(o) => o,
        Err(e) => {
            clilog.always(e.to_string().as_bytes());
            return 1;
        }
    };
    let Some(offer) = std::env::var(OFFER_ENV).ok().and_then(|v| v.parse::<Ipv4Addr>().ok()) else {
        clilog.always(format!("{FLAG} needs {OFFER_ENV}=ADDRESS").as_bytes());
        return 1;
    };
    let limited_broadcast = match &o.server {
        None => Ipv4Addr::BROADCAST,
        Some(s) => match s.to_string_lossy().parse() {
            Ok(a) => a,
            Err(_) => {
                clilog.always(b"-s: not an IPv4 address");
                return 1;
            }
        },
    };
    let conf = o.conf_file.clone().unwrap_or_else(|| cli::DEFAULT_CONF.into());
    let outcome = check_config(&conf.to_string_lossy(), &FsLoader);
    for d in &outcome.diagnostics {
        for line in d.render() {
            clilog.line(&line);
        }
    }
    let Some(config) = outcome.config else {
        return clilog.fatal(outcome.fatal.unwrap_or_default().as_bytes());
    };
    let pid_file = (!o.no_pid).then(|| PathBuf::from(o.pid_file.clone().unwrap_or_else(|| cli::DEFAULT_PID.into())));
    if let Some(p) = &pid_file {
        if super::daemon::already_running(p) {
            return clilog.fatal(super::daemon::ALREADY_RUNNING.as_bytes());
        }
    }
    drop(lock);

    let server_port = o.port.unwrap_or(67);
    let addressing = Addressing {
        server_port,
        client_port: server_port.wrapping_add(1),
        limited_broadcast,
    };
    let opts = ServeOptions {
        requested: o.interfaces.iter().map(|i| i.to_string_lossy().into_owned()).collect(),
        server_port,
        local_address: Ipv4Addr::UNSPECIFIED,
        daemonize: !o.foreground,
        keep_stderr: o.debug,
        pid_file,
        run_as: (None, None),
    };
    let mut log = Logger::open(argv0, DEFAULT_FACILITY, !o.quiet);
    let keep = !o.quiet && o.debug;
    serve(&opts, &config, &mut log, |ifaces, _, _| {
        Ok(EchoHandler::new(
            offer,
            addressing,
            ifaces,
            Logger {
                stderr: keep,
                syslog: true,
            },
        ))
    })
}
