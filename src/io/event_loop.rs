/*!
The single-threaded event loop: sockets and signals in, [`Transmit`]s out, no protocol logic.

One `mio::Poll` watches the packet socket of every interface, the fallback UDP socket, the
signal pipe and any further sources a [`Handler`] registers (failover and OMAPI TCP later).
Each turn of the loop:

1. waits until something is ready or the handler's [`poll_timeout`](Handler::poll_timeout)
   passes (at once when an interface still had frames queued);
2. reads the clock once ([`Now::read`]); that one value is handed to every call in the turn;
3. drains what is ready: frames are checked and stripped to their DHCP payload
   ([`decode`](super::packet_socket::decode)) and given to
   [`handle_packet`](Handler::handle_packet); at most [`RX_BUDGET`] frames per interface per
   turn, so one busy link cannot starve the others (the rest are read next turn); the
   fallback socket is emptied and its datagrams dropped, as ISC does; readiness of other
   sources goes to [`handle_ready`](Handler::handle_ready);
4. calls [`handle_timeout`](Handler::handle_timeout) if the deadline has passed;
5. calls [`end_of_turn`](Handler::end_of_turn): the place to make the turn's lease changes
   durable (one fsync for the whole batch) and to release the replies that waited for it;
   then writes the turn's log lines ([`syslog::flush`]: they are queued while the loop runs);
6. on SIGTERM/SIGINT (or when the handler asks), calls [`stop`](Handler::stop) so the lease
   store can flush, sends what it returns, and returns [`Stop`].

Every output of the handler is a [`Transmit`], sent at once: a frame is built around the
payload with the interface's MAC as source and the server port as UDP source port.
A send that fails is logged as ISC logs it (`send_packet: ERR`) and the loop goes on.
*/

use std::cell::Cell;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::rc::Rc;
use std::time::Duration;

use mio::{Events, Interest, Poll, Registry, Token};

use super::packet_socket::{decode, Discard, PacketSocket};
use super::rxstats::RxStats;
use super::signals::{SignalPipe, STOP_SIGNALS};
use super::syslog::{self, Level, LogSink};
use super::transmit::{IfaceId, Route, Transmit};
use super::udp::FallbackSocket;
use crate::conf::parser::os_error_text;
use crate::time::Now;
use crate::wire::frame::{FrameRepr, PAYLOAD_OFFSET};

/// Frames read from one interface per turn before the others get their turn.
pub const RX_BUDGET: usize = 64;

/// ISC's receive buffer: longer frames are cut and then dropped as too long, as in ISC.
pub const RX_BUFFER: usize = 1536;

/// The fixed BOOTP header; shorter payloads are dropped (ISC `got_one`, `DHCP_FIXED_NON_UDP`).
pub const MIN_PAYLOAD: usize = 236;

const SIGNALS: Token = Token(0);
const FALLBACK: Token = Token(1);
const FIRST_IFACE: usize = 2;
/// Tokens from here on belong to the handler's own sources.
const FIRST_EXTRA: usize = 1 << 24;

/// An interface being served.
#[derive(Debug)]
pub struct Interface {
    /// Its name (`via NAME` in log lines).
    pub name: String,
    /// Its hardware address, the source of every frame sent on it.
    pub mac: [u8; 6],
    /// Its IPv4 addresses; the first is the server identifier unless one is configured.
    pub addresses: Vec<Ipv4Addr>,
    /// The shared network it is attached to (index into `Config::shared_networks`).
    pub shared_network: usize,
    socket: PacketSocket,
}

impl Interface {
    /// An interface served through `socket`.
    pub fn new(
        name: String,
        mac: [u8; 6],
        addresses: Vec<Ipv4Addr>,
        shared_network: usize,
        socket: PacketSocket,
    ) -> Self {
        Interface {
            name,
            mac,
            addresses,
            shared_network,
            socket,
        }
    }
}

/// Where a received DHCP message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Ethernet source.
    pub mac: [u8; 6],
    /// IP source address and UDP source port.
    pub src: SocketAddrV4,
    /// IP destination (255.255.255.255, or ours for a unicast or relayed message).
    pub dst: Ipv4Addr,
}

/// What a handler's own source is ready for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// Can be read (or has been closed by the peer).
    pub readable: bool,
    /// Can be written.
    pub writable: bool,
    /// The peer closed its side, or an error is pending.
    pub closed: bool,
}

/// A handler's own source (a failover or OMAPI connection, a listener).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub usize);

/// Registration of a handler's own sources with the loop's poll.
pub struct Sources<'a> {
    registry: &'a Registry,
    next: &'a Rc<Cell<usize>>,
}

impl Sources<'_> {
    /// Starts watching `source`; its events come to [`Handler::handle_ready`] with the id.
    pub fn register<S: mio::event::Source + ?Sized>(
        &mut self,
        source: &mut S,
        interest: Interest,
    ) -> io::Result<SourceId> {
        register_next(self.registry, self.next, source, interest)
    }

    /// A handle that registers sources from anywhere, not only inside
    /// [`Handler::handle_ready`]: a timer may ask for a new connection (a
    /// failover redial) when no source is ready. Ids come from the same
    /// sequence as this `Sources`' own.
    pub fn registrar(&self) -> io::Result<Registrar> {
        Ok(Registrar {
            registry: self.registry.try_clone()?,
            next: Rc::clone(self.next),
        })
    }

    /// Changes what `source` is watched for.
    pub fn reregister<S: mio::event::Source + ?Sized>(
        &mut self,
        source: &mut S,
        id: SourceId,
        interest: Interest,
    ) -> io::Result<()> {
        self.registry.reregister(source, Token(id.0), interest)
    }

    /// Stops watching `source` (before it is closed).
    pub fn deregister<S: mio::event::Source + ?Sized>(&mut self, source: &mut S) -> io::Result<()> {
        self.registry.deregister(source)
    }
}

fn register_next<S: mio::event::Source + ?Sized>(
    registry: &Registry,
    next: &Cell<usize>,
    source: &mut S,
    interest: Interest,
) -> io::Result<SourceId> {
    let id = next.get();
    registry.register(source, Token(id), interest)?;
    next.set(id + 1);
    Ok(SourceId(id))
}

/// An owned [`Sources`]: a clone of the loop's registry and its id
/// sequence, kept by a handler that opens sources on timers.
#[derive(Debug)]
pub struct Registrar {
    registry: Registry,
    next: Rc<Cell<usize>>,
}

impl Registrar {
    /// Starts watching `source`; its events come to [`Handler::handle_ready`] with the id.
    pub fn register<S: mio::event::Source + ?Sized>(&self, source: &mut S, interest: Interest) -> io::Result<SourceId> {
        register_next(&self.registry, &self.next, source, interest)
    }

    /// Changes what `source` is watched for.
    pub fn reregister<S: mio::event::Source + ?Sized>(
        &self,
        source: &mut S,
        id: SourceId,
        interest: Interest,
    ) -> io::Result<()> {
        self.registry.reregister(source, Token(id.0), interest)
    }

    /// Stops watching `source` (before it is closed).
    pub fn deregister<S: mio::event::Source + ?Sized>(&self, source: &mut S) -> io::Result<()> {
        self.registry.deregister(source)
    }
}

/// The protocol side the loop drives: the DHCP engine, later with failover and OMAPI.
/// Every method gets the turn's [`Now`]; none may block.
pub trait Handler {
    /// A DHCP message (the UDP payload, at least the fixed BOOTP header) arrived on `iface`.
    fn handle_packet(&mut self, now: Now, iface: IfaceId, origin: Origin, payload: &[u8]) -> Vec<Transmit>;

    /// The next deadline, if any.
    fn poll_timeout(&self) -> Option<std::time::Instant>;

    /// The deadline from [`poll_timeout`](Self::poll_timeout) has passed.
    fn handle_timeout(&mut self, now: Now) -> Vec<Transmit>;

    /// The deadline has passed, with the loop's [`Sources`] at hand for handlers whose
    /// timers open or close sources (OMAPI accepting what a budget left, closing timed-out
    /// connections). The loop calls this one; by default it is
    /// [`handle_timeout`](Self::handle_timeout).
    fn handle_timeout_with_sources(&mut self, now: Now, sources: &mut Sources<'_>) -> Vec<Transmit> {
        let _ = sources;
        self.handle_timeout(now)
    }

    /// A source registered through [`Sources`] is ready.
    fn handle_ready(&mut self, now: Now, source: SourceId, ready: Ready, sources: &mut Sources<'_>) -> Vec<Transmit> {
        let _ = (now, source, ready, sources);
        Vec::new()
    }

    /// Everything ready in this turn has been handled.
    fn end_of_turn(&mut self, now: Now) -> Vec<Transmit> {
        let _ = now;
        Vec::new()
    }

    /// Asked after every turn; `true` stops the loop as a signal would.
    fn wants_stop(&self) -> bool {
        false
    }

    /// The loop is about to return: flush what must survive.
    fn stop(&mut self, now: Now) -> Vec<Transmit> {
        let _ = now;
        Vec::new()
    }
}

/// Why [`EventLoop::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// This signal arrived (SIGTERM or SIGINT).
    Signal(libc::c_int),
    /// The handler asked to stop.
    Requested,
}

/// What the loop has seen and done, for tests and statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Frames read from packet sockets.
    pub frames: u64,
    /// Frames dropped before the handler (bad headers, VLAN, our own, wrong port, too short).
    pub dropped: u64,
    /// Payloads given to the handler.
    pub delivered: u64,
    /// Datagrams read and discarded on the fallback socket.
    pub fallback_discarded: u64,
    /// Transmits sent.
    pub sent: u64,
    /// Transmits that failed.
    pub send_errors: u64,
}

/// The loop and everything it owns.
pub struct EventLoop {
    poll: Poll,
    events: Events,
    interfaces: Vec<Interface>,
    fallback: Option<FallbackSocket>,
    signals: Option<SignalPipe>,
    server_port: u16,
    next_extra: Rc<Cell<usize>>,
    rx: Vec<u8>,
    tx: Vec<u8>,
    /// Interfaces that may have frames queued (ready, or budget ran out).
    pending: Vec<usize>,
    ready: Vec<(Token, Ready)>,
    stats: RxStats,
    counters: Counters,
}

impl EventLoop {
    /// An empty loop for a server on `server_port` (frames to other ports are dropped).
    pub fn new(server_port: u16) -> io::Result<EventLoop> {
        Ok(EventLoop {
            poll: Poll::new()?,
            events: Events::with_capacity(256),
            interfaces: Vec::new(),
            fallback: None,
            signals: None,
            server_port,
            next_extra: Rc::new(Cell::new(FIRST_EXTRA)),
            rx: vec![0; RX_BUFFER],
            tx: Vec::with_capacity(RX_BUFFER),
            pending: Vec::new(),
            ready: Vec::new(),
            stats: RxStats::default(),
            counters: Counters::default(),
        })
    }

    /// Serves `iface` from now on.
    pub fn add_interface(&mut self, mut iface: Interface) -> io::Result<IfaceId> {
        let index = self.interfaces.len();
        if FIRST_IFACE + index >= FIRST_EXTRA {
            return Err(io::Error::other("too many interfaces"));
        }
        self.poll
            .registry()
            .register(&mut iface.socket, Token(FIRST_IFACE + index), Interest::READABLE)?;
        self.interfaces.push(iface);
        Ok(IfaceId(index))
    }

    /// Uses `socket` for [`Route::Ip`] transmits and empties it when datagrams arrive.
    pub fn set_fallback(&mut self, mut socket: FallbackSocket) -> io::Result<()> {
        self.poll
            .registry()
            .register(&mut socket, FALLBACK, Interest::READABLE)?;
        self.fallback = Some(socket);
        Ok(())
    }

    /// Stops the loop on SIGTERM/SIGINT delivered through `pipe`.
    pub fn set_signals(&mut self, mut pipe: SignalPipe) -> io::Result<()> {
        self.poll.registry().register(&mut pipe, SIGNALS, Interest::READABLE)?;
        self.signals = Some(pipe);
        Ok(())
    }

    /// For registering a handler's sources before the loop runs.
    pub fn sources(&mut self) -> Sources<'_> {
        Sources {
            registry: self.poll.registry(),
            next: &self.next_extra,
        }
    }

    /// The interfaces and the registration of further sources, together
    /// (a handler made from the interfaces registers its own sockets).
    pub fn interfaces_and_sources(&mut self) -> (&[Interface], Sources<'_>) {
        (
            &self.interfaces,
            Sources {
                registry: self.poll.registry(),
                next: &mut self.next_extra,
            },
        )
    }

    /// The interfaces served, indexed by [`IfaceId`].
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// What the loop has done so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Sends one transmit now.
    pub fn send(&mut self, t: &Transmit) -> io::Result<()> {
        match t.route {
            Route::Link {
                iface,
                src,
                dst_mac,
                dst,
            } => {
                let Some(i) = self.interfaces.get(iface.0) else {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("no interface {}", iface.0),
                    ));
                };
                let repr = FrameRepr::isc_reply(
                    i.mac,
                    dst_mac,
                    (src, self.server_port),
                    (*dst.ip(), dst.port()),
                    t.payload.len(),
                );
                self.tx.clear();
                self.tx.resize(repr.buffer_len(), 0);
                self.tx[PAYLOAD_OFFSET..].copy_from_slice(&t.payload);
                repr.emit(&mut self.tx)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                i.socket.send(&self.tx).map(|_| ())
            }
            Route::Ip { dst } => match &self.fallback {
                Some(f) => f.send_to(&t.payload, dst).map(|_| ()),
                None => Err(io::Error::new(io::ErrorKind::NotConnected, "no fallback socket")),
            },
        }
    }

    fn send_all(&mut self, out: Vec<Transmit>, log: &dyn LogSink) {
        for t in out {
            match self.send(&t) {
                Ok(()) => self.counters.sent += 1,
                Err(e) => {
                    self.counters.send_errors += 1;
                    log.log(Level::Error, &format!("send_packet: {}", os_error_text(&e)));
                    if e.raw_os_error() == Some(libc::ENETUNREACH) {
                        log.log(
                            Level::Error,
                            "send_packet: please consult README file regarding broadcast address.",
                        );
                    }
                }
            }
        }
    }

    /// Reads up to [`RX_BUDGET`] frames from interface `index`; true if more may be queued.
    fn receive<H: Handler>(&mut self, index: usize, handler: &mut H, now: Now, log: &dyn LogSink) -> bool {
        for _ in 0..RX_BUDGET {
            let iface = &self.interfaces[index];
            let meta = match iface.socket.recv(&mut self.rx) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log.log(
                        Level::Error,
                        &format!("receive_packet failed on {}: {}", iface.name, os_error_text(&e)),
                    );
                    return false;
                }
            };
            self.counters.frames += 1;
            let (repr, payload) = match decode(&self.rx, &meta, self.server_port) {
                Ok(ok) => ok,
                Err(d) => {
                    self.counters.dropped += 1;
                    if let Discard::Frame(e) = d {
                        if let Some((level, line)) = self.stats.record(Err(e)) {
                            log.log(level, &line);
                        }
                    }
                    continue;
                }
            };
            let _ = self.stats.record(Ok(()));
            if payload.len() < MIN_PAYLOAD {
                self.counters.dropped += 1;
                continue;
            }
            let origin = Origin {
                mac: repr.src_mac,
                src: SocketAddrV4::new(repr.src_addr, repr.src_port),
                dst: repr.dst_addr,
            };
            self.counters.delivered += 1;
            let out = handler.handle_packet(now, IfaceId(index), origin, payload);
            self.send_all(out, log);
        }
        true
    }

    /// Runs until a stop signal or the handler's request.
    pub fn run<H: Handler>(&mut self, handler: &mut H, log: &dyn LogSink) -> io::Result<Stop> {
        let mut now = Now::read();
        // Log lines wait for the end of each turn (one write for all of them); the last
        // ones are written when `_batch` goes, however the loop ends.
        let _batch = syslog::Batch::start();
        loop {
            let timeout = if self.pending.is_empty() {
                handler.poll_timeout().map(|t| t.saturating_duration_since(now.mono))
            } else {
                Some(Duration::ZERO)
            };
            match self.poll.poll(&mut self.events, timeout) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
                Ok(()) => {}
            }
            now = Now::read();
            let stop = self.turn(handler, now, log);
            syslog::flush();
            if let Some(stop) = stop {
                let out = handler.stop(now);
                self.send_all(out, log);
                return Ok(stop);
            }
        }
    }

    /// Everything after the wait: handles what is ready, timers and the end of the turn.
    fn turn<H: Handler>(&mut self, handler: &mut H, now: Now, log: &dyn LogSink) -> Option<Stop> {
        self.ready.clear();
        self.ready.extend(self.events.iter().map(|e| {
            let ready = Ready {
                readable: e.is_readable() || e.is_read_closed(),
                writable: e.is_writable(),
                closed: e.is_read_closed() || e.is_write_closed() || e.is_error(),
            };
            (e.token(), ready)
        }));
        let mut stop = None;
        for i in 0..self.ready.len() {
            let (token, ready) = self.ready[i];
            match token {
                SIGNALS => {
                    let got = self.signals.as_ref().map(|s| s.drain()).unwrap_or_default();
                    if let Some(&sig) = got.iter().find(|s| STOP_SIGNALS.contains(s)) {
                        stop = Some(Stop::Signal(sig));
                    }
                }
                FALLBACK => {
                    if let Some(f) = &self.fallback {
                        match f.discard_all() {
                            Ok(n) => self.counters.fallback_discarded += n as u64,
                            Err(e) => log.log(Level::Error, &format!("fallback_discard: {}", os_error_text(&e))),
                        }
                    }
                }
                Token(t) if t >= FIRST_EXTRA => {
                    let mut sources = Sources {
                        registry: self.poll.registry(),
                        next: &self.next_extra,
                    };
                    let out = handler.handle_ready(now, SourceId(t), ready, &mut sources);
                    self.send_all(out, log);
                }
                Token(t) => {
                    let index = t - FIRST_IFACE;
                    if index < self.interfaces.len() && !self.pending.contains(&index) {
                        self.pending.push(index);
                    }
                }
            }
        }
        for index in std::mem::take(&mut self.pending) {
            if self.receive(index, handler, now, log) {
                self.pending.push(index);
            }
        }
        if handler.poll_timeout().is_some_and(|t| t <= now.mono) {
            let mut sources = Sources {
                registry: self.poll.registry(),
                next: &mut self.next_extra,
            };
            let out = handler.handle_timeout_with_sources(now, &mut sources);
            self.send_all(out, log);
        }
        let out = handler.end_of_turn(now);
        self.send_all(out, log);
        if stop.is_none() && handler.wants_stop() {
            stop = Some(Stop::Requested);
        }
        stop
    }
}

#[cfg(test)]
mod tests;
