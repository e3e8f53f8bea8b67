//! One OMAPI connection as ISC dhcpd serves it, without the socket (quinn-proto style).
//!
//! The IO shell accepts a TCP connection, makes a [`Session`], and then only moves bytes and
//! time: [`Session::handle_bytes`] with what it read, [`Session::poll_transmit`] until `None`
//! for what to write, [`Session::poll_timeout`]/[`Session::handle_timeout`] for the one
//! deadline, and closes the socket once [`Session::state`] is [`State::Closed`]. Time is an
//! argument; nothing here reads a clock or touches a socket.
//!
//! Method classes, in the order to call them: getters (`state`, `close_reason`, `wants_read`,
//! `pending_output`), inputs (`handle_bytes`, `handle_timeout`), outputs (`poll_transmit`,
//! `poll_timeout`). Inputs must carry non-decreasing instants.
//!
//! The protocol is ISC's (`omapip/protocol.c`, `omapip/message.c`, reference §3): each side
//! introduces itself, then every request gets exactly one reply: UPDATE with the object's
//! values, or STATUS with an ISC result code and, for most failures, ISC's text. Where ISC
//! drops the connection (unknown authid, a `rid` on a request, an unknown op, a STATUS sent
//! to the server, a reserved name among the message values) so does the session. Two
//! departures, both refusals of things ISC accepts:
//!
//! * a message that names a key (`authid`) but carries no signature is answered
//!   INVALIDKEY; ISC processes it as if it had been verified;
//! * limits ([`Limits`]): a message longer than `max_message_len` closes the connection
//!   before its bytes are buffered (ISC would allocate whatever a length field asks), input
//!   stops being processed while replies wait unread (`max_pending_output`), and a client that
//!   does not introduce itself or stalls inside a message is timed out. A hostile client can
//!   therefore hold at most about `max_buffered_input + max_pending_output` bytes.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::time::Now;

use super::auth::{AuthKey, KeyRing};
use super::store::{key_values, Handle, ObjectStore, Target};
use crate::conf::model::Config;
use crate::wire::omapi::{
    Deframer, Error as WireError, Intro, IscResult, Message, Opcode, HEADER_LEN, INTRO_LEN,
    PROTOCOL_VERSION,
};
use process::Request;

/// Bounds on what one connection may cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest message accepted (header, values and signature).
    pub max_message_len: usize,
    /// Unprocessed input held while replies wait; past it the connection is closed.
    pub max_buffered_input: usize,
    /// Reply bytes waiting to be sent past which input is left unprocessed.
    pub max_pending_output: usize,
    /// Time a client has to send its introduction.
    pub intro_timeout: Option<Duration>,
    /// Time a started message may take to complete (idle time between messages is free,
    /// as omshell users type at human speed).
    pub message_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_len: 64 * 1024,
            max_buffered_input: 128 * 1024,
            max_pending_output: 256 * 1024,
            intro_timeout: Some(Duration::from_secs(30)),
            message_timeout: Some(Duration::from_secs(60)),
        }
    }
}

/// The server's OMAPI settings, shared by all sessions.
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    /// Every `key` statement: any of them can be opened as an authenticator.
    pub keys: KeyRing,
    /// `omapi-key NAME`: when set, only that key is accepted and every request other than
    /// opening it must be signed.
    pub omapi_key: Option<String>,
    /// Resource limits.
    pub limits: Limits,
}

impl SessionConfig {
    /// The OMAPI settings of a configuration: every key statement, `omapi-key`, default
    /// limits.
    pub fn from_config(config: &Config) -> SessionConfig {
        SessionConfig {
            keys: KeyRing::from_config(&config.keys),
            omapi_key: config.postconf.omapi_key.clone(),
            limits: Limits::default(),
        }
    }
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Our introduction is queued; the client's has not fully arrived.
    IntroWait,
    /// Exchanging messages.
    Open,
    /// The connection must be closed; nothing more will be sent.
    Closed,
}

/// Why a session closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The client's protocol version is not 100.
    VersionMismatch(u32),
    /// The client's header size is below 24.
    HeaderTooSmall(u32),
    /// The client's header size exceeds the message limit.
    HeaderTooLarge(u32),
    /// A message broke the limits or could not be framed.
    Framing(WireError),
    /// A message named a key handle not opened on this connection.
    UnknownAuthenticator(u32),
    /// A message used a key whose algorithm cannot sign.
    UnusableKey(String),
    /// A message answered a request the server never sent (`rid` set).
    UnsolicitedResponse(u32),
    /// The client sent a STATUS, which only answers requests.
    UnsolicitedStatus,
    /// An operation code ISC does not know.
    UnknownOp(u32),
    /// A message value used a name reserved for the header (`op`, `id`, `object`, ...).
    ReservedName(String),
    /// Input piled up while the client did not read its replies.
    InputBacklog(usize),
    /// No introduction within `intro_timeout`.
    IntroTimeout,
    /// A message stayed incomplete for `message_timeout`.
    MessageTimeout,
    /// A reply could not be built (an attribute the store gave cannot be sent).
    ReplyUnsendable(String),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::VersionMismatch(v) => write!(f, "protocol version {v}, not 100"),
            CloseReason::HeaderTooSmall(n) => write!(f, "header size {n} is below 24"),
            CloseReason::HeaderTooLarge(n) => write!(f, "header size {n} exceeds the limit"),
            CloseReason::Framing(e) => write!(f, "{e}"),
            CloseReason::UnknownAuthenticator(h) => write!(f, "unknown authenticator {h}"),
            CloseReason::UnusableKey(k) => write!(f, "key {k} cannot sign"),
            CloseReason::UnsolicitedResponse(rid) => {
                write!(f, "response to unknown message {rid:#x}")
            }
            CloseReason::UnsolicitedStatus => f.write_str("STATUS sent to the server"),
            CloseReason::UnknownOp(op) => write!(f, "unknown operation {op}"),
            CloseReason::ReservedName(n) => write!(f, "reserved message value name {n:?}"),
            CloseReason::InputBacklog(n) => write!(f, "{n} bytes of input held unread"),
            CloseReason::IntroTimeout => f.write_str("no introduction in time"),
            CloseReason::MessageTimeout => f.write_str("message not completed in time"),
            CloseReason::ReplyUnsendable(e) => write!(f, "reply cannot be sent: {e}"),
        }
    }
}

/// Message-value names the message object keeps for itself; ISC drops the connection when a
/// client sends them, because it insists on typed values the wire cannot carry.
const RESERVED_NAMES: [&str; 7] = [
    "object",
    "notify-object",
    "authid",
    "op",
    "handle",
    "id",
    "rid",
];

/// One OMAPI connection (see the module doc).
#[derive(Debug)]
pub struct Session {
    config: Arc<SessionConfig>,
    state: State,
    close_reason: Option<CloseReason>,
    /// The client's introduction so far.
    intro: Vec<u8>,
    /// Messages after the introduction (made once the header size is known).
    deframer: Option<Deframer>,
    /// Keys this connection opened: (handle the client signs with, key).
    auths: Vec<(Handle, AuthKey)>,
    /// Transaction id of our next message (ISC starts each connection at `random()`).
    next_id: u32,
    out: VecDeque<Vec<u8>>,
    pending_output: usize,
    /// When the introduction must have arrived.
    intro_deadline: Option<Instant>,
    /// When the message being received must be complete.
    message_deadline: Option<Instant>,
}

impl Session {
    /// A session for a connection accepted at `now`. Our introduction is queued at once, as
    /// ISC sends it on accept. `first_id` is the first transaction id we use (ISC takes it
    /// from `random()`; the caller chooses).
    pub fn new(now: Now, config: Arc<SessionConfig>, first_id: u32) -> Session {
        let intro_deadline = config.limits.intro_timeout.map(|t| now.mono + t);
        let mut session = Session {
            config,
            state: State::IntroWait,
            close_reason: None,
            intro: Vec::with_capacity(INTRO_LEN),
            deframer: None,
            auths: Vec::new(),
            next_id: first_id,
            out: VecDeque::new(),
            pending_output: 0,
            intro_deadline,
            message_deadline: None,
        };
        session.queue(Intro::OURS.to_bytes().to_vec());
        session
    }

    /// Where the session stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// Why it closed, once closed.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.close_reason.as_ref()
    }

    /// Reply bytes waiting for [`poll_transmit`](Self::poll_transmit).
    pub fn pending_output(&self) -> usize {
        self.pending_output
    }

    /// False while replies wait unread past the limit (or once closed): the shell should
    /// stop reading the socket, letting TCP push back on the client.
    pub fn wants_read(&self) -> bool {
        self.state != State::Closed && self.pending_output < self.config.limits.max_pending_output
    }

    /// Feeds bytes read from the socket and answers every complete message, as far as the
    /// output limit allows. Call it with no bytes after draining output to resume.
    pub fn handle_bytes<S: ObjectStore + ?Sized>(&mut self, now: Now, data: &[u8], store: &mut S) {
        let mut data = data;
        if self.state == State::IntroWait {
            let take = (INTRO_LEN - self.intro.len()).min(data.len());
            self.intro.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.intro.len() < INTRO_LEN {
                return;
            }
            if !self.accept_intro() {
                return;
            }
        }
        if self.state != State::Open {
            return;
        }
        let limits = self.config.limits.clone();
        let Some(deframer) = self.deframer.as_mut() else {
            return;
        };
        let had_partial = deframer.in_message();
        deframer.push(data);
        if !had_partial && deframer.in_message() {
            self.message_deadline = limits.message_timeout.map(|t| now.mono + t);
        }
        while self.state == State::Open && self.pending_output < limits.max_pending_output {
            match self.next_request() {
                Ok(Some(request)) => {
                    self.message_deadline = match &self.deframer {
                        Some(d) if d.in_message() => limits.message_timeout.map(|t| now.mono + t),
                        _ => None,
                    };
                    self.serve(request, store);
                }
                Ok(None) => break,
                Err(reason) => self.close(reason),
            }
        }
        let held = self.deframer.as_ref().map_or(0, Deframer::pending);
        if self.state == State::Open && held > limits.max_buffered_input {
            self.close(CloseReason::InputBacklog(held));
        }
    }

    /// The next message to send (our introduction first), or `None`.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let bytes = self.out.pop_front()?;
        self.pending_output -= bytes.len();
        Some(bytes)
    }

    /// The one deadline the shell should arm, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::IntroWait => self.intro_deadline,
            State::Open => self.message_deadline,
            State::Closed => None,
        }
    }

    /// Closes the session if its deadline has passed.
    pub fn handle_timeout(&mut self, now: Now) {
        match self.poll_timeout() {
            Some(deadline) if now.mono >= deadline => {
                let reason = if self.state == State::IntroWait {
                    CloseReason::IntroTimeout
                } else {
                    CloseReason::MessageTimeout
                };
                self.close(reason);
            }
            _ => {}
        }
    }

    fn close(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        // ISC disconnects with force: queued output is dropped, not flushed.
        self.state = State::Closed;
        self.close_reason = Some(reason);
        self.out.clear();
        self.pending_output = 0;
        self.deframer = None;
    }

    fn queue(&mut self, bytes: Vec<u8>) {
        self.pending_output += bytes.len();
        self.out.push_back(bytes);
    }

    /// Checks the client's introduction and gets ready for its messages.
    fn accept_intro(&mut self) -> bool {
        let Ok(intro) = Intro::parse(&self.intro) else {
            return false;
        };
        let reason = if intro.version != PROTOCOL_VERSION {
            Some(CloseReason::VersionMismatch(intro.version))
        } else if (intro.header_size as usize) < HEADER_LEN {
            Some(CloseReason::HeaderTooSmall(intro.header_size))
        } else if intro.header_size as usize > self.config.limits.max_message_len {
            Some(CloseReason::HeaderTooLarge(intro.header_size))
        } else {
            None
        };
        if let Some(reason) = reason {
            self.close(reason);
            return false;
        }
        let max = self.config.limits.max_message_len;
        self.deframer = Some(Deframer::new(intro.header_size as usize, max));
        self.state = State::Open;
        self.intro_deadline = None;
        true
    }

    /// Takes the next complete message off the stream, checks it as ISC's reader does, and
    /// says which opened key (if any) vouches for it.
    fn next_request(&mut self) -> Result<Option<Request>, CloseReason> {
        let Some(deframer) = self.deframer.as_mut() else {
            return Ok(None);
        };
        let packet = match deframer.next_message() {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(e) => return Err(CloseReason::Framing(e)),
        };
        let message = Message::parse(&packet).map_err(CloseReason::Framing)?;
        // ISC looks the authid up as soon as the header is in and starts the key's digest,
        // failing the connection when no key of this connection has that handle or the key
        // cannot sign.
        let key = match message.authid {
            0 => None,
            authid => match self.auths.iter().position(|(h, _)| *h == authid) {
                Some(i) if self.auths[i].1.algorithm().is_err() => {
                    return Err(CloseReason::UnusableKey(self.auths[i].1.name().to_string()));
                }
                Some(i) => Some(i),
                None => return Err(CloseReason::UnknownAuthenticator(authid)),
            },
        };
        // Then it stores message values as they arrive, before any signature check, and
        // fails the connection on the names its message object reserves.
        if let Some(nv) = message
            .message_values
            .iter()
            .find(|nv| RESERVED_NAMES.iter().any(|r| r.as_bytes() == nv.name))
        {
            return Err(CloseReason::ReservedName(
                String::from_utf8_lossy(&nv.name).into_owned(),
            ));
        }
        let verified = match key {
            None => true,
            Some(i) => {
                let k = &self.auths[i].1;
                !message.signature.is_empty()
                    && k.verify_packet(&packet)
                        .map_err(|_| CloseReason::UnusableKey(k.name().to_string()))?
            }
        };
        Ok(Some(Request {
            message,
            key,
            verified,
        }))
    }

    fn send_status(&mut self, key: Option<usize>, rid: u32, result: IscResult, text: Option<&str>) {
        let message = Message::status(0, rid, result.into(), text);
        self.send(key, message);
    }

    fn send_object<S: ObjectStore + ?Sized>(
        &mut self,
        key: Option<usize>,
        rid: u32,
        handle: Handle,
        store: &mut S,
    ) {
        let object_values = match store.target(handle) {
            Some(Target::Key(name)) => match self.config.keys.get(&name) {
                Some(k) => key_values(k.name(), k.algorithm_name()),
                None => Vec::new(),
            },
            _ => store.values(handle),
        };
        let message = Message {
            op: Opcode::Update,
            handle,
            rid,
            object_values,
            ..Message::default()
        };
        self.send(key, message);
    }

    /// Numbers, signs (with the key that vouched for the request) and queues a reply.
    fn send(&mut self, key: Option<usize>, mut message: Message) {
        message.id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let signer = key
            .and_then(|i| self.auths.get(i))
            .map(|(h, k)| (*h, k.clone()));
        if let Some((handle, k)) = &signer {
            let Ok(alg) = k.algorithm() else {
                return self.close(CloseReason::UnusableKey(k.name().to_string()));
            };
            message.authid = *handle;
            message.signature = vec![0; alg.signature_len()];
        }
        let mut bytes = match message.to_vec() {
            Ok(b) => b,
            Err(e) => return self.close(CloseReason::ReplyUnsendable(e.to_string())),
        };
        if let Some((_, k)) = &signer {
            if let Err(e) = k.sign_message(&mut bytes) {
                return self.close(CloseReason::ReplyUnsendable(e.to_string()));
            }
        }
        self.queue(bytes);
    }
}

#[path = "process.rs"]
mod process;

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
