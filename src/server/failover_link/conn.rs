//! One TCP connection of a failover relationship: the mio stream, its
//! phase (dialling or up), and a write buffer.
//!
//! Writes never block: what the socket does not take stays buffered and is
//! written when the socket turns writable again. The buffer is the link's
//! backpressure: above [`HIGH_WATER`] we stop reading from the connection
//! (the partner's own sends then back up in TCP, and its flow control
//! holds its updates), and a partner that stops reading altogether is cut
//! off at [`HARD_LIMIT`] rather than let memory grow without bound; its
//! `max-response-delay` would end the link soon anyway.

use std::io::{self, Read, Write};
use std::net::SocketAddrV4;
use std::time::Instant;

use mio::net::TcpStream;

use crate::failover::LinkId;
use crate::io::SourceId;

/// Above this many unwritten bytes the connection is not read from.
pub const HIGH_WATER: usize = 256 * 1024;
/// Above this many unwritten bytes the connection is closed.
pub const HARD_LIMIT: usize = 16 * 1024 * 1024;
/// Bytes read from one connection before other work gets a turn.
pub const READ_BUDGET: usize = 1024 * 1024;

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Our connect to `target` is in progress; give up at `deadline`.
    Dialing {
        /// Where we dial.
        target: SocketAddrV4,
        /// When the attempt counts as timed out.
        deadline: Instant,
    },
    /// Connected (dialled or accepted) and known to the failover peer.
    Up,
}

/// What a read pass found.
#[derive(Debug, Default)]
pub struct ReadPass {
    /// The bytes read, in order.
    pub data: Vec<u8>,
    /// The other end closed the connection (or it failed).
    pub closed: Option<io::Error>,
    /// The read budget ran out with data still waiting.
    pub more: bool,
}

/// One connection.
#[derive(Debug)]
pub struct Conn {
    /// The peer's name for it.
    pub id: LinkId,
    /// The relationship (index into the configuration's peers).
    pub peer: usize,
    /// The event loop's name for it.
    pub source: SourceId,
    /// The socket.
    pub stream: TcpStream,
    /// Dialling or up.
    pub phase: Phase,
    /// Close once everything buffered is written (the peer said so).
    pub closing: bool,
    /// A read pass stopped early (budget or backpressure); read again.
    pub unread: bool,
    /// Set when the close is carried out: drop the connection once its
    /// buffer is written, or at this time at the latest.
    pub linger_until: Option<Instant>,
    out: Vec<u8>,
    written: usize,
}

impl Conn {
    /// A connection in `phase`.
    pub fn new(id: LinkId, peer: usize, source: SourceId, stream: TcpStream, phase: Phase) -> Conn {
        Conn { id, peer, source, stream, phase, closing: false, unread: false, linger_until: None, out: Vec::new(), written: 0 }
    }

    /// Bytes buffered and not yet written.
    pub fn pending(&self) -> usize {
        self.out.len() - self.written
    }

    /// Whether reading should wait for the write buffer to drain.
    pub fn read_paused(&self) -> bool {
        self.pending() > HIGH_WATER
    }

    /// Appends bytes to write.
    pub fn queue(&mut self, bytes: &[u8]) {
        if self.written == self.out.len() {
            self.out.clear();
            self.written = 0;
        }
        self.out.extend_from_slice(bytes);
    }

    /// Writes what the socket takes. `Ok(true)` when nothing is left.
    pub fn flush(&mut self) -> io::Result<bool> {
        while self.written < self.out.len() {
            match self.stream.write(&self.out[self.written..]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // Compact once a large prefix is written, so the buffer does not
        // keep every byte ever sent on a slow link.
        if self.written > 64 * 1024 && self.written * 2 > self.out.len() {
            self.out.drain(..self.written);
            self.written = 0;
        }
        Ok(self.written == self.out.len())
    }

    /// Reads what is waiting, up to [`READ_BUDGET`] bytes.
    pub fn read(&mut self, buf: &mut [u8]) -> ReadPass {
        let mut pass = ReadPass::default();
        self.unread = false;
        loop {
            if pass.data.len() >= READ_BUDGET {
                pass.more = true;
                self.unread = true;
                return pass;
            }
            match self.stream.read(buf) {
                Ok(0) => {
                    pass.closed = Some(io::Error::from(io::ErrorKind::UnexpectedEof));
                    return pass;
                }
                Ok(n) => pass.data.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return pass,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    pass.closed = Some(e);
                    return pass;
                }
            }
        }
    }

    /// For a dialling connection that turned writable (or errored): `None`
    /// while still in progress, else whether it connected.
    pub fn dial_result(&mut self) -> Option<io::Result<()>> {
        if let Ok(Some(e)) | Err(e) = self.stream.take_error() {
            return Some(Err(e));
        }
        match self.stream.peer_addr() {
            Ok(_) => Some(Ok(())),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => None,
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
