/*!
Where a running server's log lines go: syslog, and stderr while asked to.

ISC logs every line with `syslog(3)` (`openlog(basename(argv[0]), LOG_NDELAY | LOG_PID,
LOG_DAEMON)` in Debian's build, checked: lines read `dhcpd[PID]: ...` at `daemon.info`)
and, while `log_perror` is on, writes the same line to stderr. It reopens syslog with the
configured `log-facility` once the configuration is read. Levels: errors and fatal
messages at `LOG_ERR`, information at `LOG_INFO`, debug lines at `LOG_DEBUG`.

A message is cut at 1023 bytes like ISC's 1024-byte buffer. Lines are passed to syslog as
`"%s"` so a `%` in a client's hostname is text, never a format directive.
*/

use std::ffi::{CStr, CString, OsStr};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;

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

/// ISC's message buffer, NUL included.
const MESSAGE_BUFFER: usize = 1024;

/// The syslog ident: `openlog` keeps the pointer, so it lives for the whole process.
static IDENT: OnceLock<CString> = OnceLock::new();

/// The ident ISC uses: the last component of `argv[0]`.
pub fn ident_of(argv0: &OsStr) -> CString {
    let base = Path::new(argv0).file_name().unwrap_or(argv0);
    let bytes: Vec<u8> = base.as_bytes().iter().copied().filter(|&b| b != 0).collect();
    CString::new(bytes).unwrap_or_default()
}

/// The process's logger. There is one syslog connection per process, so there should be
/// one of these.
#[derive(Debug)]
pub struct Logger {
    /// Write lines to stderr too (`-d`, `-f` before detaching, `-t`).
    pub stderr: bool,
    /// Send lines to syslog. Off only in tests, which must not fill the host's log.
    pub syslog: bool,
}

impl Logger {
    /// Opens syslog with ident `basename(argv0)` and `facility` (ISC's first `openlog`).
    pub fn open(argv0: &OsStr, facility: libc::c_int, stderr: bool) -> Logger {
        let ident: &'static CStr = IDENT.get_or_init(|| ident_of(argv0));
        // SAFETY: `ident` is a 'static NUL-terminated string, as openlog requires.
        unsafe { libc::openlog(ident.as_ptr(), libc::LOG_NDELAY | libc::LOG_PID, facility) };
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
        if let Some(ident) = IDENT.get() {
            // SAFETY: as in `open`; closelog has no preconditions.
            unsafe {
                libc::closelog();
                libc::openlog(ident.as_ptr(), libc::LOG_NDELAY | libc::LOG_PID, facility);
            }
        }
    }

    /// Logs one line.
    pub fn log(&self, level: Level, msg: &str) {
        let bytes = cut(msg.as_bytes());
        if self.syslog {
            let text: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
            if let Ok(c) = CString::new(text) {
                // SAFETY: both strings are NUL-terminated; "%s" consumes exactly one argument.
                unsafe { libc::syslog(level.priority(), b"%s\0".as_ptr().cast(), c.as_ptr()) };
            }
        }
        if self.stderr {
            let mut line = Vec::with_capacity(bytes.len() + 1);
            line.extend_from_slice(bytes);
            line.push(b'\n');
            // One write per line, as ISC; a closed stderr is no reason to stop serving.
            let _ = std::io::stderr().lock().write_all(&line);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
