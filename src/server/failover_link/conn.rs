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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::SourceId;

    /// A connected loopback pair: our mio end and the partner's std end.
    fn pair() -> (Conn, std::net::TcpStream) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let to = match l.local_addr().expect("addr") {
            std::net::SocketAddr::V4(a) => a,
            std::net::SocketAddr::V6(_) => unreachable!("bound to IPv4"),
        };
        let ours = crate::server::failover_link::endpoint::dial(None, to).expect("dial");
        let (theirs, _) = l.accept().expect("accept");
        let mut c = Conn::new(LinkId(1), 0, SourceId(0), ours, Phase::Up);
        // The connect has completed once the partner accepted it.
        for _ in 0..100 {
            if c.dial_result().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        (c, theirs)
    }

    #[test]
    fn a_partner_that_does_not_read_fills_the_buffer_and_pauses_reading() {
        let (mut c, mut theirs) = pair();
        assert_eq!(c.dial_result().map(|r| r.is_ok()), Some(true));
        let chunk = vec![0x5a; 1 << 20];
        for _ in 0..(HARD_LIMIT >> 20) + 16 {
            c.queue(&chunk);
        }
        assert!(!c.flush().expect("flush"), "the kernel cannot hold it all");
        assert!(c.read_paused());
        assert!(c.pending() > HARD_LIMIT - (16 << 20), "at most the socket buffers were taken");
        // The partner reads everything: the buffer drains in order.
        let total = c.pending() + c.written;
        let reader = std::thread::spawn(move || {
            let mut got = 0usize;
            let mut buf = vec![0u8; 1 << 16];
            while got < total {
                let n = theirs.read(&mut buf).expect("read");
                assert!(n > 0 && buf[..n].iter().all(|&b| b == 0x5a));
                got += n;
            }
            got
        });
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        while !c.flush().expect("flush") {
            assert!(Instant::now() < deadline, "the buffer never drained");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(c.pending(), 0);
        assert!(!c.read_paused());
        assert_eq!(reader.join().expect("reader"), total);
    }

    #[test]
    fn reads_stop_at_the_budget_and_report_the_close() {
        let (mut c, mut theirs) = pair();
        let data = vec![7u8; READ_BUDGET + 4096];
        theirs.write_all(&data).expect("write");
        drop(theirs);
        // Let it all arrive, so the first pass meets the budget.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = Vec::new();
        let mut saw_more = false;
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let pass = c.read(&mut buf);
            got.extend_from_slice(&pass.data);
            assert!(pass.data.len() <= READ_BUDGET + buf.len());
            if pass.more {
                assert!(c.unread);
                saw_more = true;
            }
            if pass.closed.is_some() {
                break;
            }
            assert!(Instant::now() < deadline);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(got, data);
        assert!(saw_more, "one pass stopped at the budget");
    }
}
