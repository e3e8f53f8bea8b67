/*!
Where a running server's log lines go: syslog, and stderr while asked to.

ISC logs every line with `syslog(3)` (`openlog(basename(argv[0]), LOG_NDELAY | LOG_PID,
LOG_DAEMON)` in Debian's build, checked: lines read `dhcpd[PID]: ...` at `daemon.info`)
and, while `log_perror` is on, writes the same line to stderr. It reopens syslog with the
configured `log-facility` once the configuration is read. Levels: errors and fatal
messages at `LOG_ERR`, information at `LOG_INFO`, debug lines at `LOG_DEBUG`.

A message is cut at 1023 bytes like ISC's 1024-byte buffer; NUL bytes are left out.

We speak the syslog socket protocol ourselves rather than through glibc's `syslog(3)`, with
the same datagrams (`<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE` to `/dev/log`, a stream
socket with a NUL after each message where `/dev/log` is one), for the cost of a serving
turn: glibc formats each line with stdio and, while no syslog daemon listens, makes a
socket, fails to connect and closes it again for every single line -- four lines per
client exchange made that the largest part of the server's CPU per lease. Here:

* while the event loop runs, lines are queued ([`Batch`]) and written at the end of each
  turn ([`flush`]): one `sendmmsg` for the turn's syslog datagrams and one `write` for its
  stderr lines, in the order they were logged;
* the connection is kept; when `/dev/log` cannot be reached, connecting is tried again at
  most once a second ([`RETRY`]) instead of at every line. Lines logged while no daemon
  listens are lost either way (we do not write to the console, nor does ISC: no
  `LOG_CONS`); the only difference from glibc is that the first second of lines after a
  syslog daemon (re)starts may be lost too.

The connection and the queue are one per process, as glibc's are: a [`Logger`] is only
the choice of where its lines go.
*/

use std::ffi::{CString, OsStr};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::conf::diag::FATAL_FOOTER;

/// How important a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `log_error` and `log_fatal`.
    Error,
    /// `log_info`.
    Info,
    /// `log_debug`.
    Debug,
}

impl Level {
    /// The syslog priority.
    pub fn priority(self) -> libc::c_int {
        match self {
            Level::Error => libc::LOG_ERR,
            Level::Info => libc::LOG_INFO,
            Level::Debug => libc::LOG_DEBUG,
        }
    }
}

/// Something that takes log lines: the [`Logger`], or a [`MemoryLog`] in tests.
pub trait LogSink {
    /// Logs one line at `level`.
    fn log(&self, level: Level, msg: &str);
}

impl LogSink for Logger {
    fn log(&self, level: Level, msg: &str) {
        Logger::log(self, level, msg)
    }
}

/// Keeps the lines in memory, for tests that check what was logged.
#[derive(Debug, Default)]
pub struct MemoryLog(pub std::sync::Mutex<Vec<(Level, String)>>);

impl MemoryLog {
    /// The lines so far.
    pub fn lines(&self) -> Vec<(Level, String)> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl LogSink for MemoryLog {
    fn log(&self, level: Level, msg: &str) {
        if let Ok(mut l) = self.0.lock() {
            l.push((level, msg.to_string()));
        }
    }
}

/// ISC's default facility.
pub const DEFAULT_FACILITY: libc::c_int = libc::LOG_DAEMON;

/// glibc's facility when `openlog` was never called.
const USER_FACILITY: libc::c_int = libc::LOG_USER;

/// ISC's message buffer, NUL included.
const MESSAGE_BUFFER: usize = 1024;

/// Where syslog daemons listen (`_PATH_LOG`).
const PATH_LOG: &str = "/dev/log";

/// How long after a failed connection the next attempt waits.
pub const RETRY: Duration = Duration::from_secs(1);

/// Datagrams handed to one `sendmmsg` (the kernel takes at most `UIO_MAXIOV`, 1024).
const SENDMMSG_MAX: usize = 256;

/// The ident ISC uses: the last component of `argv[0]`.
pub fn ident_of(argv0: &OsStr) -> CString {
    let base = Path::new(argv0).file_name().unwrap_or(argv0);
    let bytes: Vec<u8> = base.as_bytes().iter().copied().filter(|&b| b != 0).collect();
    CString::new(bytes).unwrap_or_default()
}

/// The process's logger. There is one syslog connection per process (see the module
/// documentation); a `Logger` says whether its lines go there and to stderr.
#[derive(Debug)]
pub struct Logger {
    /// Write lines to stderr too (`-d`, `-f` before detaching, `-t`).
    pub stderr: bool,
    /// Send lines to syslog. Off only in tests, which must not fill the host's log.
    pub syslog: bool,
}

impl Logger {
    /// Opens syslog with ident `basename(argv0)` and `facility` (ISC's first `openlog`):
    /// connects at once, as `LOG_NDELAY` does.
    pub fn open(argv0: &OsStr, facility: libc::c_int, stderr: bool) -> Logger {
        let mut s = shared();
        s.open(ident_of(argv0).into_bytes(), facility, None);
        Logger { stderr, syslog: true }
    }

    /// A logger that writes to stderr only (for tests and `-t`).
    pub fn stderr_only() -> Logger {
        Logger {
            stderr: true,
            syslog: false,
        }
    }

    /// Reopens syslog with the configured `log-facility` (a `LOG_*` facility code).
    pub fn set_facility(&mut self, facility: libc::c_int) {
        let mut s = shared();
        let ident = s.ident.clone().unwrap_or_else(default_ident);
        s.open(ident, facility, None);
    }

    /// Logs one line: queued while a [`Batch`] is open, written at once otherwise.
    pub fn log(&self, level: Level, msg: &str) {
        if !self.syslog && !self.stderr {
            return;
        }
        let mut s = shared();
        s.push(level, cut(msg.as_bytes()), self.syslog, self.stderr);
        if s.batches == 0 {
            s.flush();
        }
    }

    /// `log_error`.
    pub fn error(&self, msg: &str) {
        self.log(Level::Error, msg);
    }

    /// `log_info`.
    pub fn info(&self, msg: &str) {
        self.log(Level::Info, msg);
    }

    /// `log_debug`.
    pub fn debug(&self, msg: &str) {
        self.log(Level::Debug, msg);
    }

    /// `log_fatal`: the message and ISC's footer at `LOG_ERR`. Returns the exit status, 1.
    pub fn fatal(&self, msg: &str) -> i32 {
        for line in fatal_lines(msg) {
            self.error(&line);
        }
        1
    }
}

/// While alive, every [`Logger`]'s lines wait in the process's queue until [`flush`] (or
/// the last batch's end) writes them. The event loop holds one while it runs and flushes
/// at the end of each turn.
#[derive(Debug)]
pub struct Batch {
    _private: (),
}

impl Batch {
    /// Starts queueing lines.
    pub fn start() -> Batch {
        shared().batches += 1;
        Batch { _private: () }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let mut s = shared();
        s.batches = s.batches.saturating_sub(1);
        s.flush();
    }
}

/// Writes the queued lines: syslog's in one `sendmmsg`, stderr's in one `write`.
pub fn flush() {
    shared().flush();
}

/// The lines `log_fatal` writes: the message, a blank line, the footer, a blank line, `exiting.`
pub fn fatal_lines(msg: &str) -> Vec<String> {
    let mut v = vec![msg.to_string(), String::new()];
    v.extend(FATAL_FOOTER.iter().map(|s| s.to_string()));
    v.push(String::new());
    v.push("exiting.".to_string());
    v
}

fn cut(b: &[u8]) -> &[u8] {
    &b[..b.len().min(MESSAGE_BUFFER - 1)]
}

/// The process's syslog connection and queue.
static SHARED: Mutex<Shared> = Mutex::new(Shared::new());

fn shared() -> MutexGuard<'static, Shared> {
    // A panic while logging leaves nothing half-done that matters: carry on.
    SHARED.lock().unwrap_or_else(|e| e.into_inner())
}

/// glibc's ident when `openlog` was never called: the program's short name.
fn default_ident() -> Vec<u8> {
    std::env::args_os()
        .next()
        .map(|a| ident_of(&a).into_bytes())
        .unwrap_or_else(|| b"dhcpd".to_vec())
}

/// A queued syslog line: its priority and where its text is in [`Shared::text`].
#[derive(Clone, Copy, Debug)]
struct Queued {
    level: Level,
    start: usize,
    end: usize,
}

/// The syslog connection and the lines waiting for it and for stderr.
#[derive(Debug)]
struct Shared {
    /// From `openlog`; `None` until it is called (then glibc's defaults apply).
    ident: Option<Vec<u8>>,
    facility: libc::c_int,
    /// The socket path; `None` is `/dev/log` (tests use their own).
    path: Option<PathBuf>,
    /// The connected socket, and whether it is a stream socket.
    socket: Option<(OwnedFd, bool)>,
    /// No connection is tried before this.
    retry_at: Option<Instant>,
    /// Open [`Batch`]es; lines are written at once when there are none.
    batches: usize,
    /// Queued syslog lines, their text back to back in `text`.
    queued: Vec<Queued>,
    text: Vec<u8>,
    /// Queued stderr bytes, each line with its newline.
    stderr: Vec<u8>,
    /// The datagrams being sent (kept to reuse its allocation).
    out: Vec<u8>,
    /// The wall-clock second `stamp` was made for.
    stamp_second: libc::time_t,
    /// `Mmm dd hh:mm:ss ` for `stamp_second`, in local time.
    stamp: [u8; 16],
}

impl Shared {
    const fn new() -> Shared {
        Shared {
            ident: None,
            facility: USER_FACILITY,
            path: None,
            socket: None,
            retry_at: None,
            batches: 0,
            queued: Vec::new(),
            text: Vec::new(),
            stderr: Vec::new(),
            out: Vec::new(),
            stamp_second: libc::time_t::MIN,
            stamp: [b' '; 16],
        }
    }

    /// `openlog(ident, LOG_NDELAY | LOG_PID, facility)`: (re)connects now.
    fn open(&mut self, ident: Vec<u8>, facility: libc::c_int, path: Option<PathBuf>) {
        self.ident = Some(ident);
        self.facility = facility;
        if path.is_some() {
            self.path = path;
        }
        self.socket = None;
        self.retry_at = None;
        self.connect();
    }

    fn connect(&mut self) {
        let path = self.path.clone().unwrap_or_else(|| PathBuf::from(PATH_LOG));
        self.socket = match connect(&path, libc::SOCK_DGRAM) {
            Ok(fd) => Some((fd, false)),
            Err(e) if e.raw_os_error() == Some(libc::EPROTOTYPE) => {
                connect(&path, libc::SOCK_STREAM).ok().map(|fd| (fd, true))
            }
            Err(_) => None,
        };
        self.retry_at = match self.socket {
            Some(_) => None,
            None => Some(Instant::now() + RETRY),
        };
    }

    /// Queues one line (already cut).
    fn push(&mut self, level: Level, msg: &[u8], syslog: bool, stderr: bool) {
        if syslog {
            let start = self.text.len();
            self.text.extend(msg.iter().copied().filter(|&b| b != 0));
            self.queued.push(Queued {
                level,
                start,
                end: self.text.len(),
            });
        }
        if stderr {
            self.stderr.extend_from_slice(msg);
            self.stderr.push(b'\n');
        }
    }

    fn flush(&mut self) {
        if !self.stderr.is_empty() {
            // A closed stderr is no reason to stop serving.
            let _ = io::stderr().lock().write_all(&self.stderr);
            self.stderr.clear();
        }
        if !self.queued.is_empty() {
            self.send_queued();
            self.queued.clear();
            self.text.clear();
        }
    }

    /// Formats the queued lines as syslog messages into `out`; returns where each ends.
    fn format(&mut self, ends: &mut Vec<usize>, stream: bool) {
        if self.ident.is_none() {
            self.ident = Some(default_ident());
        }
        self.refresh_stamp();
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        let mut head = Vec::with_capacity(64);
        head.extend_from_slice(&self.stamp);
        head.extend_from_slice(self.ident.as_deref().unwrap_or_default());
        let _ = write!(head, "[{pid}]: ");
        self.out.clear();
        ends.clear();
        for q in &self.queued {
            let _ = write!(self.out, "<{}>", self.facility | q.level.priority());
            self.out.extend_from_slice(&head);
            self.out.extend_from_slice(&self.text[q.start..q.end]);
            if stream {
                self.out.push(0);
            }
            ends.push(self.out.len());
        }
    }

    /// `Mmm dd hh:mm:ss ` (glibc's `"%h %e %T "` in the C locale) for this second.
    fn refresh_stamp(&mut self) {
        // SAFETY: time accepts a null pointer.
        let now = unsafe { libc::time(std::ptr::null_mut()) };
        if now == self.stamp_second {
            return;
        }
        // SAFETY: an all-zero tm is valid; localtime_r fills it from `now`.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        if unsafe { libc::localtime_r(&now, &mut tm) }.is_null() {
            return;
        }
        self.stamp = stamp(&tm);
        self.stamp_second = now;
    }

    /// Sends the queued lines, reconnecting once if the connection fails.
    fn send_queued(&mut self) {
        let mut ends = Vec::with_capacity(self.queued.len());
        let mut sent = 0;
        for attempt in 0..2 {
            if self.socket.is_none() {
                // A failure just now (attempt 1) is retried at once, as glibc does;
                // an old one only after the pause.
                if attempt == 0 && self.retry_at.is_some_and(|t| Instant::now() < t) {
                    return;
                }
                self.connect();
            }
            let Some(stream) = self.socket.as_ref().map(|s| s.1) else {
                return;
            };
            // (Again after a reconnection: the socket's kind decides the framing.)
            self.format(&mut ends, stream);
            while sent < ends.len() {
                let Some((fd, _)) = &self.socket else { break };
                let r = if stream {
                    send_stream(fd, &self.out, &ends, sent)
                } else {
                    send_datagrams(fd, &self.out, &ends, sent)
                };
                match r {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    // The daemon restarted or went away.
                    Err(_) => self.socket = None,
                }
            }
            if sent == ends.len() {
                return;
            }
        }
        self.retry_at = Some(Instant::now() + RETRY);
    }
}

/// `Mmm dd hh:mm:ss ` from a broken-down time.
fn stamp(tm: &libc::tm) -> [u8; 16] {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
    ];
    let two = |n: libc::c_int, pad: u8| -> [u8; 2] {
        let n = n.clamp(0, 99) as u8;
        [if n < 10 { pad } else { b'0' + n / 10 }, b'0' + n % 10]
    };
    let mut s = [b' '; 16];
    s[..3].copy_from_slice(MONTHS[tm.tm_mon.clamp(0, 11) as usize]);
    s[4..6].copy_from_slice(&two(tm.tm_mday, b' '));
    s[7..9].copy_from_slice(&two(tm.tm_hour, b'0'));
    s[9] = b':';
    s[10..12].copy_from_slice(&two(tm.tm_min, b'0'));
    s[12] = b':';
    s[13..15].copy_from_slice(&two(tm.tm_sec, b'0'));
    s
}

/// A socket of `kind` connected to the unix socket at `path`.
fn connect(path: &Path, kind: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2); the result is checked before it is wrapped.
    let raw = unsafe { libc::socket(libc::AF_UNIX, kind | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: an all-zero sockaddr_un is valid; the path is copied in below.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let p = path.as_os_str().as_bytes();
    if p.len() >= addr.sun_path.len() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "socket path too long"));
    }
    for (d, s) in addr.sun_path.iter_mut().zip(p) {
        *d = *s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + p.len() + 1;
    // SAFETY: `addr` is a sockaddr_un of at least `len` bytes for the duration of the call.
    let rc = unsafe { libc::connect(fd.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len as u32) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

/// Sends the datagrams from index `first` on (each `out[ends[i-1]..ends[i]]`) with as few
/// `sendmmsg` calls as it takes; returns how many went.
fn send_datagrams(fd: &OwnedFd, out: &[u8], ends: &[usize], first: usize) -> io::Result<usize> {
    let last = ends.len().min(first + SENDMMSG_MAX);
    let mut iovs: Vec<libc::iovec> = (first..last)
        .map(|i| {
            let start = if i == 0 { 0 } else { ends[i - 1] };
            libc::iovec {
                iov_base: out[start..].as_ptr() as *mut libc::c_void,
                iov_len: ends[i] - start,
            }
        })
        .collect();
    let mut msgs: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .map(|iov| {
            // SAFETY: an all-zero msghdr (no name, no control) is valid.
            let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
            hdr.msg_iov = iov;
            hdr.msg_iovlen = 1;
            libc::mmsghdr {
                msg_hdr: hdr,
                msg_len: 0,
            }
        })
        .collect();
    // SAFETY: every header points at one iovec into `out`, all alive during the call.
    let n = unsafe { libc::sendmmsg(fd.as_raw_fd(), msgs.as_mut_ptr(), msgs.len() as u32, libc::MSG_NOSIGNAL) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Writes the messages from index `first` on to a stream socket; returns how many went.
fn send_stream(fd: &OwnedFd, out: &[u8], ends: &[usize], first: usize) -> io::Result<usize> {
    let start = if first == 0 { 0 } else { ends[first - 1] };
    let mut buf = &out[start..];
    while !buf.is_empty() {
        // SAFETY: `buf` is a live slice of the stated length.
        let n = unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        buf = &buf[n as usize..];
    }
    Ok(ends.len() - first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;

    #[test]
    fn ident_is_the_basename() {
        assert_eq!(ident_of(OsStr::new("/usr/sbin/dhcpd")).as_bytes(), b"dhcpd");
        assert_eq!(ident_of(OsStr::new("dhcpd-rs")).as_bytes(), b"dhcpd-rs");
        assert_eq!(ident_of(OsStr::new("")).as_bytes(), b"");
    }

    #[test]
    fn priorities_and_cut() {
        assert_eq!(Level::Error.priority(), libc::LOG_ERR);
        assert_eq!(Level::Info.priority(), libc::LOG_INFO);
        assert_eq!(Level::Debug.priority(), libc::LOG_DEBUG);
        assert_eq!(cut(&[b'x'; 5000]).len(), 1023);
    }

    #[test]
    fn fatal_layout() {
        let l = fatal_lines("boom");
        assert_eq!(l[0], "boom");
        assert_eq!(l[1], "");
        assert_eq!(l[2], FATAL_FOOTER[0]);
        assert_eq!(l.last().unwrap(), "exiting.");
        assert_eq!(l.len(), FATAL_FOOTER.len() + 4);
    }

    #[test]
    fn stamp_is_glibcs_layout() {
        // SAFETY: all-zero is a valid tm.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        tm.tm_mon = 10;
        tm.tm_mday = 3;
        tm.tm_hour = 9;
        tm.tm_min = 5;
        tm.tm_sec = 7;
        assert_eq!(&stamp(&tm), b"Nov  3 09:05:07 ");
        tm.tm_mon = 0;
        tm.tm_mday = 23;
        tm.tm_hour = 23;
        tm.tm_min = 59;
        tm.tm_sec = 59;
        assert_eq!(&stamp(&tm), b"Jan 23 23:59:59 ");
    }

    fn listener() -> (tempdir::Dir, UnixDatagram) {
        let dir = tempdir::Dir::new();
        let sock = UnixDatagram::bind(dir.path().join("log")).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        (dir, sock)
    }

    fn recv(sock: &UnixDatagram) -> Option<String> {
        let mut buf = [0u8; 2048];
        let n = sock.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// A queue of lines goes out as one datagram each, in order, in glibc's layout.
    #[test]
    fn queued_lines_become_datagrams() {
        let (dir, sock) = listener();
        let mut s = Shared::new();
        s.open(b"mydhcpd".to_vec(), libc::LOG_DAEMON, Some(dir.path().join("log")));
        s.push(
            Level::Info,
            b"DHCPDISCOVER from 00:11:22:33:44:55 via eth0",
            true,
            false,
        );
        s.push(Level::Error, b"a\0b", true, false);
        s.push(Level::Debug, b"", true, false);
        assert!(recv_nonblocking(&sock).is_none(), "nothing before the flush");
        s.flush();
        let pid = std::process::id();
        let got: Vec<String> = (0..3).filter_map(|_| recv(&sock)).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        let check = |line: &str, pri: &str, msg: &str| {
            let (head, rest) = line.split_at(pri.len());
            assert_eq!(head, pri, "{line}");
            // "Mmm dd hh:mm:ss " then the tag.
            assert_eq!(rest.as_bytes()[15], b' ', "{line}");
            assert_eq!(&rest[16..], format!("mydhcpd[{pid}]: {msg}"), "{line}");
        };
        check(&got[0], "<30>", "DHCPDISCOVER from 00:11:22:33:44:55 via eth0");
        check(&got[1], "<27>", "ab");
        check(&got[2], "<31>", "");
    }

    fn recv_nonblocking(sock: &UnixDatagram) -> Option<String> {
        sock.set_nonblocking(true).unwrap();
        let got = recv(sock);
        sock.set_nonblocking(false).unwrap();
        got
    }

    /// No listener: lines are dropped, and no connection is tried again before RETRY.
    #[test]
    fn no_listener_is_retried_after_a_pause() {
        let dir = tempdir::Dir::new();
        let path = dir.path().join("log");
        let mut s = Shared::new();
        s.open(b"d".to_vec(), libc::LOG_DAEMON, Some(path.clone()));
        assert!(s.socket.is_none());
        s.push(Level::Info, b"lost", true, false);
        s.flush();
        assert!(s.queued.is_empty() && s.text.is_empty());
        // A listener appears: not used until the pause is over.
        let sock = UnixDatagram::bind(&path).unwrap();
        s.push(Level::Info, b"lost too", true, false);
        s.flush();
        assert!(recv_nonblocking(&sock).is_none());
        s.retry_at = Some(Instant::now());
        s.push(Level::Info, b"found", true, false);
        s.flush();
        sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        assert!(recv(&sock).is_some_and(|l| l.ends_with("]: found")));
    }

    /// The listener goes away and comes back: the next flush reconnects.
    #[test]
    fn a_restarted_listener_is_reconnected() {
        let (dir, sock) = listener();
        let path = dir.path().join("log");
        let mut s = Shared::new();
        s.open(b"d".to_vec(), libc::LOG_DAEMON, Some(path.clone()));
        s.push(Level::Info, b"one", true, false);
        s.flush();
        assert!(recv(&sock).is_some_and(|l| l.ends_with("]: one")));
        drop(sock);
        std::fs::remove_file(&path).unwrap();
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        s.push(Level::Info, b"two", true, false);
        s.flush();
        assert!(recv(&sock).is_some_and(|l| l.ends_with("]: two")));
    }

    /// Many lines in one turn: sent in several sendmmsg calls, none lost.
    #[test]
    fn long_queues_are_sent_whole() {
        let (dir, sock) = listener();
        let mut s = Shared::new();
        s.open(b"d".to_vec(), libc::LOG_DAEMON, Some(dir.path().join("log")));
        let n = SENDMMSG_MAX + 10;
        let reader = std::thread::spawn(move || (0..n).filter_map(|_| recv(&sock)).collect::<Vec<_>>());
        for i in 0..n {
            s.push(Level::Info, format!("line {i}").as_bytes(), true, false);
        }
        s.flush();
        let got = reader.join().unwrap();
        assert_eq!(got.len(), n);
        assert!(got[n - 1].ends_with(&format!("]: line {}", n - 1)));
    }

    /// A private directory for a test's socket, removed afterwards.
    mod tempdir {
        use std::path::{Path, PathBuf};

        pub struct Dir(PathBuf);

        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!(
                    "dhcpd-syslog-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }

            pub fn path(&self) -> &Path {
                &self.0
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
