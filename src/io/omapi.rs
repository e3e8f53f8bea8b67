/*!
The OMAPI listener: TCP connections on `omapi-port`, each driving an [`omapi::Session`],
inside the one event loop, never blocking it.

ISC listens on INADDR_ANY at `omapi-port` (no listener without it) and serves every
connection it accepts for as long as the client keeps it, with no limit on their number.
Here every cost is bounded, so that a slow or hostile client cannot stall DHCP:

* at most [`ServerLimits::max_sessions`] connections; a new one beyond that evicts the
  connection idle the longest among those that never completed a request or have been
  idle [`ServerLimits::evict_idle_after`], and is itself closed at once when there is none
  (a thousand idle connections cost the cap, and a client who comes later still gets in;
  a client in the middle of its work is not cut off by a flood);
* per turn of the loop, at most [`ServerLimits::accept_budget`] accepts and
  [`ServerLimits::read_budget`] bytes read per connection; what is left is taken in the next
  turn ([`OmapiServer::poll_timeout`] asks for one at once);
* each session bounds its own buffers and times out a missing introduction or a stalled
  message ([`omapi::Limits`]); replies a client does not read stop its input being
  processed, and TCP pushes back on it.

The protocol is all in the session and the objects ([`omapi::objects`]); this file only moves
bytes. Every object change goes through the [`Backend`] given to
[`handle_ready`](OmapiServer::handle_ready) and [`handle_timeout`](OmapiServer::handle_timeout),
which the serving loop implements over its engine, failover peers and lease file.

How the loop uses it: [`OmapiServer::new`] from the configuration, [`register`](OmapiServer::register)
with the loop's [`Sources`] before running, then for a ready source that
[`owns`](OmapiServer::owns) says is ours, `handle_ready`; `poll_timeout`/`handle_timeout` with
the loop's timer (the loop calls [`Handler::handle_timeout_with_sources`]); [`take_log`](OmapiServer::take_log) for lines to log.
*/

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::Interest;

use super::event_loop::{Ready, SourceId, Sources};
#[cfg(doc)]
use super::event_loop::Handler;
use super::syslog::Level;
use crate::conf::model::Config;
use crate::conf::parser::os_error_text;
use crate::omapi::objects::{Backend, Objects};
use crate::omapi::{Session, SessionConfig, State};
use crate::time::Now;

/// Bounds on what all OMAPI connections together may cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// Connections served at once.
    pub max_sessions: usize,
    /// How long a connection that has completed requests must have been idle to be evicted
    /// for a new one (one that never completed a request can be evicted at once).
    pub evict_idle_after: Duration,
    /// Connections accepted per turn of the loop.
    pub accept_budget: usize,
    /// Bytes read from one connection per turn of the loop.
    pub read_budget: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_sessions: 64,
            evict_idle_after: Duration::from_secs(5),
            accept_budget: 32,
            read_budget: 64 * 1024,
        }
    }
}

/// What the listener has done, for tests and statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Connections accepted.
    pub accepted: u64,
    /// Connections closed to make room for a new one.
    pub evicted: u64,
    /// New connections closed at once because every slot was busy.
    pub refused: u64,
    /// Connections the session closed (protocol error, limit, timeout).
    pub dropped: u64,
    /// Connections the client closed.
    pub hung_up: u64,
}

/// One connection.
struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    session: Session,
    /// Bytes the session produced that the socket has not taken yet.
    out: Vec<u8>,
    /// Last time the client sent something (or connected).
    last_active: Instant,
    /// Replies sent (our introduction not counted): a connection that never got one has
    /// not completed a request.
    replies: u64,
}

/// Size of the buffer reads go into.
const READ_CHUNK: usize = 16 * 1024;
/// How long to wait before accepting again after an accept error (out of descriptors...).
const ACCEPT_RETRY: Duration = Duration::from_millis(250);

/// The OMAPI listener and its connections (see the module doc).
pub struct OmapiServer {
    settings: Arc<SessionConfig>,
    bind: SocketAddr,
    limits: ServerLimits,
    listener: Option<(TcpListener, SourceId)>,
    conns: HashMap<SourceId, Conn>,
    objects: Objects,
    /// Connections with bytes left to read after their budget, and whether accepting
    /// stopped at its budget.
    backlog: Vec<SourceId>,
    accept_more: bool,
    accept_retry_at: Option<Instant>,
    /// The last time given to an input: "at once" for `poll_timeout`.
    last_now: Option<Instant>,
    rng: u64,
    rx: Vec<u8>,
    counters: Counters,
    log: Vec<(Level, String)>,
}

impl OmapiServer {
    /// The listener a configuration asks for (`omapi-port`; keys and `omapi-key`), on all
    /// addresses as ISC's; `None` without `omapi-port`.
    pub fn new(config: &Config) -> Option<OmapiServer> {
        let port = config.postconf.omapi_port?;
        let bind = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port));
        Some(OmapiServer::with_settings(bind, Arc::new(SessionConfig::from_config(config)), ServerLimits::default()))
    }

    /// A listener on `bind` with explicit settings and limits.
    pub fn with_settings(bind: SocketAddr, settings: Arc<SessionConfig>, limits: ServerLimits) -> OmapiServer {
        OmapiServer {
            settings,
            bind,
            limits,
            listener: None,
            conns: HashMap::new(),
            objects: Objects::new(),
            backlog: Vec::new(),
            accept_more: false,
            accept_retry_at: None,
            last_now: None,
            rng: 0x9e37_79b9_7f4a_7c15,
            rx: vec![0; READ_CHUNK],
            counters: Counters::default(),
            log: Vec::new(),
        }
    }

    /// Opens the listening socket and registers it with the loop. The error is ISC's
    /// fatal condition; [`startup_error`] gives its line.
    pub fn register(&mut self, sources: &mut Sources<'_>) -> io::Result<()> {
        let mut listener = TcpListener::bind(self.bind)?;
        let id = sources.register(&mut listener, Interest::READABLE)?;
        self.bind = listener.local_addr()?;
        self.listener = Some((listener, id));
        Ok(())
    }

    /// Where the listener listens (the port chosen, once registered with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.bind
    }

    /// Whether `id` is the listener or one of its connections.
    pub fn owns(&self, id: SourceId) -> bool {
        self.listener.as_ref().is_some_and(|(_, l)| *l == id) || self.conns.contains_key(&id)
    }

    /// Connections open now.
    pub fn sessions(&self) -> usize {
        self.conns.len()
    }

    /// What has happened so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// OMAPI's lasting object state (handles, host objects).
    pub fn objects(&self) -> &Objects {
        &self.objects
    }

    /// Lines to log since the last call.
    pub fn take_log(&mut self) -> Vec<(Level, String)> {
        std::mem::take(&mut self.log)
    }

    /// The next time [`handle_timeout`](Self::handle_timeout) must run: a session's
    /// deadline, or at once when a budget left work for the next turn.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let soon = (!self.backlog.is_empty() || self.accept_more).then_some(self.last_now).flatten();
        let sessions = self.conns.values().filter_map(|c| c.session.poll_timeout()).min();
        [soon, sessions, self.accept_retry_at].into_iter().flatten().min()
    }

    /// A source of ours is ready.
    pub fn handle_ready(&mut self, now: Now, id: SourceId, ready: Ready, sources: &mut Sources<'_>, backend: &mut dyn Backend) {
        self.last_now = Some(now.mono);
        if self.listener.as_ref().is_some_and(|(_, l)| *l == id) {
            self.accept(now, sources);
            return;
        }
        self.service(now, id, ready.closed, sources, backend);
    }

    /// Deadlines: sessions that timed out are closed; work left by a budget is done.
    pub fn handle_timeout(&mut self, now: Now, sources: &mut Sources<'_>, backend: &mut dyn Backend) {
        self.last_now = Some(now.mono);
        if self.accept_retry_at.is_some_and(|t| t <= now.mono) {
            self.accept_retry_at = None;
            self.accept_more = true;
        }
        if self.accept_more {
            self.accept(now, sources);
        }
        for id in std::mem::take(&mut self.backlog) {
            self.service(now, id, false, sources, backend);
        }
        let expired: Vec<SourceId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.session.poll_timeout().is_some_and(|t| t <= now.mono))
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some(c) = self.conns.get_mut(&id) {
                c.session.handle_timeout(now);
            }
            self.service(now, id, false, sources, backend);
        }
    }

    /// Accepts up to the budget; evicts or refuses beyond the cap.
    fn accept(&mut self, now: Now, sources: &mut Sources<'_>) {
        self.accept_more = false;
        for _ in 0..self.limits.accept_budget {
            let Some((listener, _)) = self.listener.as_ref() else { return };
            let (mut stream, peer) = match listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.log.push((Level::Error, format!("OMAPI accept: {}", os_error_text(&e))));
                    self.accept_retry_at = Some(now.mono + ACCEPT_RETRY);
                    return;
                }
            };
            if self.conns.len() >= self.limits.max_sessions && !self.evict_one(now, sources) {
                self.counters.refused += 1;
                drop(stream);
                continue;
            }
            let id = match sources.register(&mut stream, Interest::READABLE | Interest::WRITABLE) {
                Ok(id) => id,
                Err(e) => {
                    self.log.push((Level::Error, format!("OMAPI register: {}", os_error_text(&e))));
                    continue;
                }
            };
            self.counters.accepted += 1;
            let session = Session::new(now, self.settings.clone(), self.next_id());
            let mut conn = Conn { stream, peer, session, out: Vec::new(), last_active: now.mono, replies: 0 };
            // Our introduction goes out at once, as ISC sends it on accept.
            pump_output(&mut conn);
            conn.replies = 0;
            let _ = flush(&mut conn);
            self.conns.insert(id, conn);
        }
        // The budget ran out with connections perhaps still queued.
        self.accept_more = true;
    }

    /// Closes the connection idle the longest among those that never completed a request
    /// or have been idle long enough.
    fn evict_one(&mut self, now: Now, sources: &mut Sources<'_>) -> bool {
        let victim = self
            .conns
            .iter()
            .filter(|(_, c)| c.replies == 0 || now.mono.saturating_duration_since(c.last_active) >= self.limits.evict_idle_after)
            .min_by_key(|(_, c)| c.last_active)
            .map(|(id, _)| *id);
        match victim {
            Some(id) => {
                if let Some(c) = self.conns.get(&id) {
                    self.log.push((Level::Debug, format!("OMAPI: closing idle connection from {} for a new one", c.peer)));
                }
                self.counters.evicted += 1;
                self.close(id, sources);
                true
            }
            None => false,
        }
    }

    /// Moves bytes both ways on one connection, within the read budget.
    fn service(&mut self, now: Now, id: SourceId, peer_closed: bool, sources: &mut Sources<'_>, backend: &mut dyn Backend) {
        let budget = self.limits.read_budget;
        let Some(conn) = self.conns.get_mut(&id) else { return };
        let mut read = 0;
        let mut hung_up = false;
        // Replies waiting on a full socket first; then let the session resume input it held.
        if flush(conn).is_err() {
            return self.drop_conn(id, sources, true);
        }
        if conn.session.wants_read() && conn.session.state() != State::Closed {
            let mut store = self.objects.store(backend, now);
            conn.session.handle_bytes(now, &[], &mut store);
        }
        loop {
            pump_output(conn);
            if flush(conn).is_err() {
                return self.drop_conn(id, sources, true);
            }
            if conn.session.state() == State::Closed || !conn.session.wants_read() {
                break;
            }
            if read >= budget {
                if !self.backlog.contains(&id) {
                    self.backlog.push(id);
                }
                break;
            }
            match conn.stream.read(&mut self.rx) {
                Ok(0) => {
                    hung_up = true;
                    break;
                }
                Ok(n) => {
                    read += n;
                    conn.last_active = now.mono;
                    let mut store = self.objects.store(backend, now);
                    conn.session.handle_bytes(now, &self.rx[..n], &mut store);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    hung_up = true;
                    break;
                }
            }
        }
        pump_output(conn);
        let _ = flush(conn);
        if conn.session.state() == State::Closed {
            if let Some(reason) = conn.session.close_reason() {
                self.log.push((Level::Debug, format!("OMAPI: connection from {} closed: {reason}", conn.peer)));
            }
            self.counters.dropped += 1;
            return self.drop_conn(id, sources, false);
        }
        if hung_up || (peer_closed && read == 0 && conn.out.is_empty()) {
            self.counters.hung_up += 1;
            self.drop_conn(id, sources, false);
        }
    }

    fn drop_conn(&mut self, id: SourceId, sources: &mut Sources<'_>, write_failed: bool) {
        if write_failed {
            self.counters.hung_up += 1;
        }
        self.close(id, sources);
    }

    fn close(&mut self, id: SourceId, sources: &mut Sources<'_>) {
        self.backlog.retain(|b| *b != id);
        if let Some(mut c) = self.conns.remove(&id) {
            let _ = sources.deregister(&mut c.stream);
        }
    }

    /// ISC starts each connection's transaction ids at `random()`.
    fn next_id(&mut self) -> u32 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 32) as u32
    }

    /// Seeds the transaction ids (the loop passes something unpredictable).
    pub fn seed(&mut self, seed: u64) {
        self.rng = seed | 1;
    }
}

/// Moves the session's queued replies into the connection's output buffer once the socket
/// took what was there before, so that replies a client leaves unread stay counted in the
/// session, which then stops processing its input.
fn pump_output(conn: &mut Conn) {
    if !conn.out.is_empty() {
        return;
    }
    while let Some(bytes) = conn.session.poll_transmit() {
        conn.out.extend_from_slice(&bytes);
        conn.replies += 1;
    }
}

/// Writes what the socket takes. An error means the connection is dead.
fn flush(conn: &mut Conn) -> io::Result<()> {
    let mut written = 0;
    while written < conn.out.len() {
        match conn.stream.write(&conn.out[written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    conn.out.drain(..written);
    Ok(())
}

/// ISC's fatal line when the listener cannot be set up (`omapi_protocol_listen` failing in
/// `dhcpd.c`: "Can't start OMAPI protocol: %s").
pub fn startup_error(e: &io::Error) -> String {
    let text = match e.kind() {
        io::ErrorKind::AddrInUse => "address in use".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => os_error_text(e),
    };
    format!("Can't start OMAPI protocol: {text}")
}

#[cfg(test)]
#[path = "omapi_tests.rs"]
mod tests;
